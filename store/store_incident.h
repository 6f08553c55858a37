/*
 * Incidents as stored: the incident row (one struct with plain fields, read
 * and written whole, with a version number for optimistic checks), the
 * incident's response team as role assignments with their history, and
 * small per-incident attributes. Conventions (times in Unix ms, 0 = unset,
 * owned strings) are in store.h.
 */
#ifndef INCIDENTD_STORE_INCIDENT_H
#define INCIDENTD_STORE_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

#define STORE_STATUS_FILTER_MAX 7 /* statuses one list call may ask for */

/*
 * One incident. Every char * is NULL or a string owned by the struct once
 * the store filled it (store_incident_get, _list); release with
 * store_incident_clear(). For insert and update the store only reads the
 * fields, so callers may point them at their own strings.
 */
struct store_incident {
    int64_t id;          /* assigned by insert: the N of INC-N */
    char *slug;          /* public URL slug on the status page; unique; NULL until set */
    char *title;         /* required, non-empty */
    char *description;   /* NULL stored as "" */
    char *severity;      /* "critical" | "major" | "minor" */
    char *status;        /* "potential" | "investigating" | ... | "closed" */
    int breach;          /* 0/1: data or security breach suspected */
    int64_t breach_at;   /* when it was first suspected: starts the regulator clock */
    int below_threshold; /* 0/1: declared below the incident definition's thresholds */
    int64_t started_at;  /* when the problem began (may precede declared_at) */
    int64_t declared_at;
    int64_t identified_at;
    int64_t resolved_at;
    int64_t closed_at;
    char *declarer;   /* Slack user id */
    char *channel_id; /* the incident's own channel; unique */
    char *channel_name;
    int channel_private;    /* 0/1 */
    char *control_ts;       /* ts of the pinned control message */
    char *announce_channel; /* where it was announced, and the message's ts */
    char *announce_ts;
    char *call_url;
    int step;               /* plan step pointer 1..9; 0 on insert means 1 */
    int64_t affected_users; /* -1 when unknown */
    char *public_title;     /* title on the status page; NULL means title */
    int published;          /* 0/1: on the public status page */
    int64_t published_at;
    char *statuspage_id; /* the Atlassian Statuspage incident id; unique */
    char *postmortem;    /* public postmortem (Markdown, in Slack's stored text form) */
    int64_t postmortem_published_at; /* its first publication */
    int64_t postmortem_updated_at;   /* its latest amendment; 0: never amended */
    int64_t updated_at;
    int64_t version; /* 1 after insert, +1 on every update */
};

/* Zeroes inc, with affected_users -1 and step 1: a blank incident to fill. */
void store_incident_init(struct store_incident *inc);
/* Frees the strings of a row filled by the store and re-initialises it. */
void store_incident_clear(struct store_incident *inc);
/* Frees an array returned by a list call (n rows). */
void store_incident_list_free(struct store_incident *rows, size_t n);

/*
 * Inserts inc (its id and version are ignored) and sets inc->id and
 * inc->version = 1. BOT_EINVAL for a missing title or an unknown severity or
 * status; BOT_EEXISTS when the channel, slug or Statuspage id is taken.
 */
enum bot_rc store_incident_insert(struct store *s, struct store_incident *inc,
                                  struct bot_err *err) BOT_MUST_CHECK;
/*
 * Writes every field of inc over row inc->id, but only if the row's version
 * still equals inc->version (nobody changed it since it was read); then
 * inc->version is incremented. BOT_ESTATE when the version moved on (re-read
 * and decide again), BOT_ENOTFOUND when there is no such incident.
 */
enum bot_rc store_incident_update(struct store *s, struct store_incident *inc,
                                  struct bot_err *err) BOT_MUST_CHECK;
/* Fills *out (initialised first, so it is always safe to clear). BOT_ENOTFOUND when absent. */
enum bot_rc store_incident_get(struct store *s, int64_t id, struct store_incident *out,
                               struct bot_err *err) BOT_MUST_CHECK;
/* The incident whose channel is channel_id. */
enum bot_rc store_incident_get_by_channel(struct store *s, const char *channel_id,
                                          struct store_incident *out,
                                          struct bot_err *err) BOT_MUST_CHECK;
/* The incident with that public slug. */
enum bot_rc store_incident_get_by_slug(struct store *s, const char *slug,
                                       struct store_incident *out,
                                       struct bot_err *err) BOT_MUST_CHECK;
/*
 * Incidents still being worked on: potential, investigating, identified,
 * monitoring; oldest first. *rows is NULL when there are none; free with
 * store_incident_list_free().
 */
enum bot_rc store_incident_list_open(struct store *s, struct store_incident **rows, size_t *n,
                                     struct bot_err *err) BOT_MUST_CHECK;
/* Incidents whose status is one of statuses[0..nstatuses) (1..STORE_STATUS_FILTER_MAX), by id. */
enum bot_rc store_incident_list_by_status(struct store *s, const char *const *statuses,
                                          size_t nstatuses, struct store_incident **rows, size_t *n,
                                          struct bot_err *err) BOT_MUST_CHECK;
/*
 * Published incidents published at or after since, newest first, at most
 * limit (1..STORE_LIST_MAX) of them: the status page's history.
 */
enum bot_rc store_incident_list_published(struct store *s, int64_t since, size_t limit,
                                          struct store_incident **rows, size_t *n,
                                          struct bot_err *err) BOT_MUST_CHECK;

/*
 * Per-incident attributes: small facts that need no column of their own
 * (the support checklist, the breach notification decision...). Keys are
 * 1..STORE_KEY_MAX bytes. get: *value is the caller's; BOT_ENOTFOUND if unset.
 */
enum bot_rc store_incident_attr_set(struct store *s, int64_t incident_id, const char *key,
                                    const char *value, int64_t at,
                                    struct bot_err *err) BOT_MUST_CHECK;
enum bot_rc store_incident_attr_get(struct store *s, int64_t incident_id, const char *key,
                                    char **value, struct bot_err *err) BOT_MUST_CHECK;

/* ---- roles: "irm", "tech" (technical liaison), "support" (support liaison), "dpo" ---- */

struct store_role {
    int64_t id;
    int64_t incident_id;
    char *role;
    char *user_id;
    char *assigned_by;
    int64_t assigned_at;
    int64_t ended_at; /* 0 while current */
    char *ended_by;
};

/* Frees an array of n roles returned by the store. */
void store_role_list_free(struct store_role *rows, size_t n);

/*
 * Makes user_id the holder of role, ending the previous holder's assignment
 * (ended_at = at, ended_by = by) so the history is kept. BOT_EEXISTS when
 * user_id already holds it (nothing changes); BOT_ENOTFOUND for no such
 * incident; BOT_EINVAL for an unknown role or at <= 0.
 */
enum bot_rc store_role_set(struct store *s, int64_t incident_id, const char *role,
                           const char *user_id, const char *by, int64_t at,
                           struct bot_err *err) BOT_MUST_CHECK;
/* Ends the current assignment without a successor; BOT_ENOTFOUND when vacant. */
enum bot_rc store_role_clear(struct store *s, int64_t incident_id, const char *role, const char *by,
                             int64_t at, struct bot_err *err) BOT_MUST_CHECK;
/* *user_id is the current holder (caller frees); BOT_ENOTFOUND when vacant. */
enum bot_rc store_role_get(struct store *s, int64_t incident_id, const char *role, char **user_id,
                           struct bot_err *err) BOT_MUST_CHECK;
/* The current assignments of the incident, in the order irm, tech, support, dpo. */
enum bot_rc store_role_list_current(struct store *s, int64_t incident_id, struct store_role **rows,
                                    size_t *n, struct bot_err *err) BOT_MUST_CHECK;
/* Every assignment ever made for the incident, oldest first, ended ones included. */
enum bot_rc store_role_history(struct store *s, int64_t incident_id, struct store_role **rows,
                               size_t *n, struct bot_err *err) BOT_MUST_CHECK;

#endif
