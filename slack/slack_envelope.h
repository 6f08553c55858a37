/*
 * Socket Mode frames: decoding what Slack sends over the websocket (hello,
 * disconnect, and the events_api / interactive / slash_commands envelopes)
 * into a typed struct, and encoding the acknowledgement that goes back.
 * Pure code with no I/O, so every sample frame is a unit test and a fuzz
 * target. The parsed cJSON tree belongs to the struct; every string and
 * cJSON pointer in it points into that tree and lives as long as it does.
 */
#ifndef INCIDENTD_SLACK_ENVELOPE_H
#define INCIDENTD_SLACK_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"

/* Largest acknowledgement frame (envelope id plus response payload); views are <= 250 kB. */
#define SLACK_ACK_MAX (300 * 1024)

enum slack_env_type {
    SLACK_ENV_UNKNOWN = 0,   /* a "type" this code does not know; see type_name */
    SLACK_ENV_HELLO,         /* connection ready; no envelope_id, not acked */
    SLACK_ENV_DISCONNECT,    /* Slack will close this link; see reason */
    SLACK_ENV_EVENTS_API,    /* Events API callback; Slack retries it when not acked */
    SLACK_ENV_INTERACTIVE,   /* block_actions, view_submission, shortcut ...; never retried */
    SLACK_ENV_SLASH_COMMANDS /* a slash command; never retried; the ack may carry the reply */
};

enum slack_disconnect_reason {
    SLACK_DISC_NONE = 0,            /* not a disconnect frame */
    SLACK_DISC_WARNING,             /* about 10 s before Slack closes the link */
    SLACK_DISC_REFRESH_REQUESTED,   /* Slack wants this link replaced now */
    SLACK_DISC_LINK_DISABLED,       /* Socket Mode was turned off for the app */
    SLACK_DISC_TOO_MANY_WEBSOCKETS, /* the app has more than 10 links open */
    SLACK_DISC_OTHER                /* a reason this code does not know; see reason_name */
};

/*
 * One decoded frame. All pointers point into root, which the struct owns:
 * they are valid until slack_envelope_free(). Optional fields are NULL (or
 * -1 / false) when Slack did not send them.
 */
struct slack_envelope {
    enum slack_env_type type;
    const char *type_name;    /* "type" as sent; never NULL after a successful parse */
    const char *envelope_id;  /* required for the three envelope types; NULL for hello/disconnect */
    const cJSON *payload;     /* "payload" (any JSON type), or NULL */
    const char *payload_type; /* payload.type ("event_callback", "block_actions", ...) or NULL */
    const char *event_id;     /* events_api: payload.event_id, Slack's dedupe key; else NULL */
    const char *event_type;   /* events_api: payload.event.type ("app_mention" ...) or NULL */
    int retry_attempt;        /* events_api: 0 on first delivery; -1 when absent */
    const char *retry_reason; /* events_api: "" on first delivery; NULL when absent */
    bool accepts_response_payload;       /* true when the ack may carry a response payload */
    enum slack_disconnect_reason reason; /* disconnect only */
    const char *reason_name;             /* disconnect: "reason" as sent, or NULL */
    int num_connections; /* hello/disconnect: Slack's count of open links; -1 when absent */
    long approximate_connection_time; /* hello: seconds until Slack refreshes the link; -1 when
                                         absent */
    cJSON *root;                      /* the whole frame; owned, freed by slack_envelope_free() */
    /*
     * The frame text given to slack_envelope_parse(): borrowed, not
     * NUL-terminated, valid as long as the caller's text (in slack_ws
     * callbacks: during the call). Store it as received to replay it
     * through slack_envelope_parse() later.
     */
    const char *raw;
    size_t raw_len;
};

/*
 * Decodes one text frame of len bytes (need not be NUL-terminated). On
 * BOT_OK, env owns a tree that the caller frees with slack_envelope_free().
 * An unknown "type" is not an error: it parses with SLACK_ENV_UNKNOWN so
 * that the caller can report it and go on. A "\u0000" in a string comes out
 * as UTF8_NUL_MARK (utf8.h), not as a 0 byte that would cut the string
 * short, so the plan can refuse it. Errors (env holds nothing, no
 * free needed, though calling slack_envelope_free() is harmless):
 *   BOT_EPROTO  not JSON, not an object, no string "type", or an envelope
 *               type without a non-empty string "envelope_id";
 *   BOT_EINVAL  text is NULL.
 */
enum bot_rc slack_envelope_parse(const char *text, size_t len, struct slack_envelope *env,
                                 struct bot_err *err) BOT_MUST_CHECK;

/* Frees env->root and clears env. Safe on a zeroed or already freed struct. */
void slack_envelope_free(struct slack_envelope *env);

/* True for the types that carry an envelope_id and must be acknowledged. */
bool slack_envelope_needs_ack(const struct slack_envelope *env);

/* Static name of a type / reason ("events_api", "warning", ...); never NULL. */
const char *slack_env_type_name(enum slack_env_type t);
const char *slack_disconnect_reason_name(enum slack_disconnect_reason r);

/*
 * Appends the acknowledgement frame {"envelope_id":"…"} to out, with
 * ,"payload":<payload> when payload is not NULL (it is borrowed, not freed).
 * Fails with BOT_EINVAL on an empty id or a payload that is not an object,
 * and BOT_ETOOBIG when the frame would exceed SLACK_ACK_MAX or out's bound.
 */
enum bot_rc slack_envelope_ack(struct buf *out, const char *envelope_id, const cJSON *payload,
                               struct bot_err *err) BOT_MUST_CHECK;

#endif
