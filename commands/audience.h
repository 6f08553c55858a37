/*
 * Who may read what: every text the bot emits is addressed to one audience,
 * and this is the one place that decides which facts of an incident each
 * audience may see (docs/design.md, "Audiences"). A message that leaves the
 * incident's own channel asks audience_show() first; nothing else chooses.
 *
 * - the incident channel: its response team (private for a suspected
 *   breach); sees everything;
 * - the announcement channel ([slack] announce_channel): the whole company;
 *   for a private incident only what [privacy] allows (by default a
 *   redacted announcement: INC number, severity, status, whom to ask; no
 *   title, no channel, nothing threaded under it);
 * - the support channel ([slack] support_channel): only what
 *   `/incident support summary` sends there on purpose;
 * - one person (a direct message, an ephemeral reply): what that person
 *   asked for or must act on;
 * - the public (the built-in status page, its JSON and feeds, the Atlassian
 *   mirror, webhooks): only an incident someone published, and only its
 *   public texts (the published message, updates, status messages, the
 *   public postmortem), converted to plain words: never notes, never
 *   internal names.
 */
#ifndef INCIDENTD_AUDIENCE_H
#define INCIDENTD_AUDIENCE_H

#include <stdbool.h>

#include "slack_text.h"
#include "store.h"
#include "store_incident.h"

enum audience {
    AUD_INCIDENT_CHANNEL,
    AUD_ANNOUNCE,
    AUD_SUPPORT,
    AUD_PERSON,
    AUD_PUBLIC,
    AUD_COUNT
};

/* The kinds of text the bot sends outside the incident channel. */
enum aud_text {
    AUD_TEXT_ANNOUNCEMENT,    /* the announcement of an incident (kept current) */
    AUD_TEXT_THREAD_UPDATE,   /* a line under it: note, status, severity, close, postmortem */
    AUD_TEXT_SUPPORT_SUMMARY, /* the customer-facing summary, sent on purpose */
    AUD_TEXT_PUBLIC_UPDATE,   /* a published message, update, status message, postmortem */
    AUD_TEXT_NOTE,            /* an internal finding */
    AUD_TEXT_COUNT
};

enum aud_show {
    AUD_SHOW_NOTHING,  /* not sent to that audience at all */
    AUD_SHOW_REDACTED, /* sent without what identifies the incident's subject */
    AUD_SHOW_FULL,
};

/* [privacy]: what a private incident may show the whole company. */
enum aud_private_announcement {
    AUD_PRIVATE_REDACTED, /* the default */
    AUD_PRIVATE_NONE,
    AUD_PRIVATE_FULL,
};

struct audience_config {
    enum aud_private_announcement private_announcement;
    bool private_thread_updates;
};

/* "redacted", "none", "full" -> *out; false for anything else. */
bool audience_parse_private_announcement(const char *s, enum aud_private_announcement *out);

/* True when inc is private: a data or security breach is suspected (its channel is private). */
bool audience_private(const struct store_incident *inc);

/*
 * How text of kind t about inc is shown to audience a under cfg (NULL: the
 * defaults). Pure; the table in audience.c is the whole rule.
 */
enum aud_show audience_show(const struct audience_config *cfg, const struct store_incident *inc,
                            enum audience a, enum aud_text t);

/*
 * Names for public text (slack_text_plain/html): people by the handle the
 * workspace directory has for them (store_directory), else the mention's own
 * label. s must outlive *out; lookups read s on the caller's thread.
 */
void audience_public_names(struct slack_names *out, struct store *s);

#endif
