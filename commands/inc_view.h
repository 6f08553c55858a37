/*
 * An incident as the renderers see it, loaded from the store: the incident
 * row, its current response team and its components, and a struct
 * render_incident (render.h) pointing into them. Delivery loads a view when
 * it performs an effect that shows the incident (the pinned control
 * message, the announcement, the channel topic), so what Slack shows is the
 * incident's state at that moment, not at the moment the effect was
 * decided. Pure apart from the store reads.
 */
#ifndef INCIDENTD_INC_VIEW_H
#define INCIDENTD_INC_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "render.h"
#include "store.h"
#include "store_component.h"
#include "store_incident.h"

/*
 * Everything is owned by the view and freed by inc_view_free(); r's strings
 * point into row, roles and components, so r is valid until then.
 */
struct inc_view {
    struct store_incident row;
    struct store_role *roles; /* current holders, in the order irm, tech, support, dpo */
    size_t n_roles;
    struct store_component_link *components; /* by position, then name */
    size_t n_components;
    const char **component_names; /* n_components names, pointing into components */
    char *mirror_state; /* owned; see render_incident.mirror_state */
    bool cancelled;     /* the attribute "cancelled" is set (/incident cancel) */
    struct render_incident r;
};

/*
 * Fills *out with incident id as stored now, read in one snapshot (a read
 * transaction, unless the caller holds one). The row's severity and status
 * become enums (an unknown one is BOT_EINVAL naming it); roles "irm",
 * "tech", "support", "dpo" become irm, tech_liaison, support_liaison, dpo;
 * published becomes public_; step 0 (never set) reads as 1.
 * BOT_ENOTFOUND when there is no such incident; store errors as the store
 * reports them. On failure *out holds nothing (inc_view_free() is still
 * safe on it).
 */
enum bot_rc inc_view_load(struct store *s, int64_t id, struct inc_view *out,
                          struct bot_err *err) BOT_MUST_CHECK;
/* Frees what v holds and zeroes it; safe on a zeroed or failed view. */
void inc_view_free(struct inc_view *v);

#endif
