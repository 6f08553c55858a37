/*
 * Rendering for plan steps 4–7 (PLAN.md): the modal that asks for the public
 * message of a status change (identified, monitoring, resolved), pre-filled
 * from a per-status template, and the decoding of its view_submission; the
 * templates' placeholders ({title}, {severity}, {id}) and their check for the
 * configuration; and the severity re-assessment prompt posted in the
 * incident's channel. Pure code, like render.h: no I/O, no clock; text a user
 * typed is cut at a character boundary and escaped wherever it is mrkdwn.
 */
#ifndef INCIDENTD_RENDER_STATUS_H
#define INCIDENTD_RENDER_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "incident.h"

/* The status modal's callback_id, and its one input (block id, action id). */
#define RENDER_STATUS_CALLBACK "incident_status"
#define RENDER_STATUS_BLOCK    "message"
#define RENDER_STATUS_ACTION   "message_input"

#define RENDER_MAX_STATUS_MESSAGE  2000 /* characters of a public status message */
#define RENDER_MAX_STATUS_TEMPLATE 2000 /* characters of a [status] *_template */

/* The defaults of [status] identified_template, monitoring_template, resolved_template. */
#define RENDER_STATUS_TEMPLATE_IDENTIFIED                                                          \
    "We have identified the cause of the issue affecting {title} and are working on a fix."
#define RENDER_STATUS_TEMPLATE_MONITORING                                                          \
    "A fix for the issue affecting {title} has been applied. We are monitoring the results."
#define RENDER_STATUS_TEMPLATE_RESOLVED                                                            \
    "The issue affecting {title} has been resolved. We are sorry for the inconvenience."

/* Characters of s as Slack counts them (an astral character is two, a bad byte one). */
size_t render_status_chars(const char *s);

/*
 * Checks a status template: valid UTF-8, at most RENDER_MAX_STATUS_TEMPLATE
 * characters, and every "{...}" one of {title}, {severity}, {id}. BOT_EINVAL
 * with the reason in err (a phrase that follows "[status] key: ").
 */
enum bot_rc render_status_check_template(const char *tmpl, struct bot_err *err) BOT_MUST_CHECK;

/*
 * The template with {title}, {severity} and {id} (the number, e.g. "42")
 * filled in, cut to RENDER_MAX_STATUS_MESSAGE characters (ending in "…"
 * when cut). Plain text, not escaped: it is the public message as typed.
 * The caller frees the result.
 */
char *render_status_fill(const char *tmpl, int64_t id, const char *title, enum severity sev);

/* What the status modal shows. Strings borrowed; support and private_metadata may be NULL. */
struct render_status_modal {
    int64_t id;                   /* > 0 */
    const char *title;            /* the incident's title, as stored */
    enum inc_status from, to;     /* the current and the asked-for status */
    const char *initial;          /* the pre-filled public message (cut if too long) */
    const char *actor;            /* who opens it (a Slack user id) */
    const char *support;          /* the support liaison, NULL when there is none */
    bool public_;                 /* the incident is on the status page */
    const char *private_metadata; /* handed back in the submission, ≤ RENDER_MAX_PRIVATE_META */
};

/*
 * The status modal, a view for views.open. *view_out is the caller's
 * (cJSON_Delete). BOT_EINVAL on bad arguments (id, statuses, metadata size).
 */
enum bot_rc render_status_modal(const struct render_status_modal *m,
                                cJSON **view_out) BOT_MUST_CHECK;

/*
 * Reads the public message of a status modal's view.state.values into
 * *message_out (trimmed; the caller frees). A missing or blank message, or
 * one over RENDER_MAX_STATUS_MESSAGE characters, is BOT_EINVAL with words
 * for the user in err (fit for render_view_errors on RENDER_STATUS_BLOCK);
 * an element of the wrong shape is BOT_EPROTO. *message_out is NULL on failure.
 */
enum bot_rc render_parse_status_submission(const cJSON *view_state_values, char **message_out,
                                           struct bot_err *err) BOT_MUST_CHECK;

/*
 * The severity re-assessment prompt: a section of text (the bot's mrkdwn,
 * the caller escaped user text in it; cut to the section limit) with a
 * severity select (action_id "inc_severity", block_id "inc<id>_reassess",
 * current severity chosen), as chat.postMessage "blocks". Caller frees.
 * BOT_EINVAL on a bad id or severity.
 */
enum bot_rc render_reassess_blocks(int64_t id, enum severity sev, const char *text,
                                   cJSON **blocks_out) BOT_MUST_CHECK;

#endif
