/*
 * Status page components (from [[statuspage.components]]) with their current
 * status and its history, and which incidents affect which components. The
 * statuses are Statuspage's: "operational", "degraded_performance",
 * "partial_outage", "major_outage", "under_maintenance". Conventions (times in
 * Unix ms, owned strings) are in store.h.
 */
#ifndef INCIDENTD_STORE_COMPONENT_H
#define INCIDENTD_STORE_COMPONENT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

struct store_component {
    int64_t id;
    char *name; /* unique */
    char *description;
    int64_t position; /* display order */
    char *status;
    int64_t updated_at; /* last status change */
};

/* One status change of a component. */
struct store_component_change {
    int64_t at;
    char *status;
};

/* A component attached to an incident. */
struct store_component_link {
    int64_t incident_id;
    char *component;       /* its name */
    char *impact;          /* the status this incident gives it, or NULL */
    char *incident_status; /* the incident's current status */
};

void store_component_clear(struct store_component *c);
void store_component_list_free(struct store_component *rows, size_t n);
void store_component_history_free(struct store_component_change *rows, size_t n);
void store_component_links_free(struct store_component_link *rows, size_t n);

/*
 * Creates the component (status operational) or updates its description and
 * position, keeping its status: call it for every configured component at
 * start. BOT_EINVAL for an empty name.
 */
enum bot_rc store_component_upsert(struct store *s, const char *name, const char *description,
                                   int64_t position, int64_t at,
                                   struct bot_err *err) BOT_MUST_CHECK;
/* Fills *out (zeroed first); BOT_ENOTFOUND for an unknown name. */
enum bot_rc store_component_get(struct store *s, const char *name, struct store_component *out,
                                struct bot_err *err) BOT_MUST_CHECK;
/* Every component by position, then name. */
enum bot_rc store_component_list(struct store *s, struct store_component **rows, size_t *n,
                                 struct bot_err *err) BOT_MUST_CHECK;
/*
 * Sets the status and, when it differs from the current one, records the
 * change in the history; *changed (may be NULL) says which. BOT_ENOTFOUND
 * for an unknown component, BOT_EINVAL for an unknown status.
 */
enum bot_rc store_component_set_status(struct store *s, const char *name, const char *status,
                                       int64_t at, int *changed,
                                       struct bot_err *err) BOT_MUST_CHECK;
/*
 * The component's status changes from since on, oldest first, starting with
 * the last change before since (whose at is then < since) so the status at
 * since is known. No rows: operational throughout.
 */
enum bot_rc store_component_history(struct store *s, const char *name, int64_t since,
                                    struct store_component_change **rows, size_t *n,
                                    struct bot_err *err) BOT_MUST_CHECK;

/*
 * Attaches a component to an incident with the status the incident gives it
 * (impact may be NULL); attaching again replaces the impact. BOT_ENOTFOUND
 * for an unknown component or incident.
 */
enum bot_rc store_incident_component_add(struct store *s, int64_t incident_id, const char *name,
                                         const char *impact, struct bot_err *err) BOT_MUST_CHECK;
/* Detaches it; BOT_ENOTFOUND when it was not attached. */
enum bot_rc store_incident_component_remove(struct store *s, int64_t incident_id, const char *name,
                                            struct bot_err *err) BOT_MUST_CHECK;
/* The incident's components, by position then name. */
enum bot_rc store_incident_component_list(struct store *s, int64_t incident_id,
                                          struct store_component_link **rows, size_t *n,
                                          struct bot_err *err) BOT_MUST_CHECK;
/*
 * The unresolved incidents (potential..monitoring) that hold the component,
 * by incident id: on resolve, a component is restored only when no other
 * incident still holds it.
 */
enum bot_rc store_component_holders(struct store *s, const char *name,
                                    struct store_component_link **rows, size_t *n,
                                    struct bot_err *err) BOT_MUST_CHECK;

#endif
