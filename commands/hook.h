/*
 * Outgoing webhooks, the part the plan needs: the event names a
 * [[webhooks]] entry may subscribe to, and the JSON body sent for one
 * public change of a published incident. Pure: no clock, no I/O; the body
 * is built when the change is decided, from the public data only (nothing
 * internal such as the channel, roles or private notes goes into it).
 * Signing and sending are bot/webhook.h's.
 */
#ifndef INCIDENTD_HOOK_H
#define INCIDENTD_HOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define HOOK_LANE_PREFIX "webhook:"     /* outbox target of a webhook: prefix + its name */
#define HOOK_KIND        "webhook.post" /* outbox kind: {"event", "id", "body": {...}} */
#define HOOK_ALL_EVENTS  ((1u << HOOK_N_EVENTS) - 1)

/* The public changes, in the order of an incident's life. */
enum hook_event {
    HOOK_PUBLISHED,            /* "incident.published": made public */
    HOOK_UPDATED,              /* "incident.updated": a public message, status unchanged */
    HOOK_STATUS_CHANGED,       /* "incident.status_changed": investigating, identified or
                                  monitoring, forward or back (a correction, a reopen) */
    HOOK_SEVERITY_CHANGED,     /* "incident.severity_changed": the public impact follows */
    HOOK_RESOLVED,             /* "incident.resolved": the status change to resolved */
    HOOK_POSTMORTEM_PUBLISHED, /* "incident.postmortem_published": published, and again on
                                  each amendment (its postmortem_updated_at tells them apart) */
    HOOK_WITHDRAWN,            /* "incident.withdrawn": cancelled (not an incident after all)
                                  and taken off the status page */
    HOOK_N_EVENTS
};

/* "incident.published", ...; NULL outside the enum. */
const char *hook_event_name(enum hook_event e);
/* The event named name (as hook_event_name gives it); false when there is none. */
bool hook_event_parse(const char *name, enum hook_event *out);

/* The public state of an incident at one change; strings borrowed, NULL when unknown. */
struct hook_incident {
    int64_t id;                    /* N of INC-N */
    const char *name;              /* the public title */
    const char *status;            /* investigating | identified | monitoring | resolved | ... */
    const char *impact;            /* critical | major | minor */
    const char *message;           /* the public text of this change (the postmortem's
                                      Markdown for HOOK_POSTMORTEM_PUBLISHED); NULL: none */
    const char *const *components; /* our component names */
    size_t n_components;
    int64_t created_at;  /* when it was published, Unix ms */
    int64_t updated_at;  /* this change */
    int64_t resolved_at; /* 0: not resolved */
    const char *url;     /* its page on the status page; NULL: none */
    int64_t postmortem_published_at; /* its postmortem's first publication; 0: none */
    int64_t postmortem_updated_at;   /* its latest amendment; 0: never amended */
};

/*
 * The body of event e (caller frees):
 *   {"id": event_id, "event": "incident.status_changed", "created_at": ISO-8601 of at,
 *    "incident": {"id": "INC-42", "number": 42, "name", "status", "impact",
 *                 "message" (string or null), "components": [names],
 *                 "created_at", "updated_at", "resolved_at" (or null), "url" (or null),
 *                 "postmortem_published_at", "postmortem_updated_at" (or null)}}
 * Times are UTC, "2026-11-23T10:00:00.000Z".
 */
cJSON *hook_payload(const char *event_id, enum hook_event e, int64_t at,
                    const struct hook_incident *inc);

/* ms as "2026-11-23T10:00:00.000Z" into out (HOOK_TIME_LEN bytes at least). */
#define HOOK_TIME_LEN 32
void hook_time_iso(int64_t ms, char *out, size_t outsz);

#endif
