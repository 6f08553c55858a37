/*
 * Delivery: the thread that drains the outbox. It performs each effect the
 * worker recorded (a Web API call, a reply to a response_url), records the
 * result, and on failure schedules a retry, durable across restarts, with
 * exponential backoff that honours Retry-After, until the effect succeeds or
 * is given up. Slack being slow or down therefore delays effects, never the
 * acks (loop thread) or the processing of new envelopes (worker).
 *
 * Effect kinds (payload is JSON):
 *   "slack.respond"  {"url": response_url, "message": {...}}
 *   "slack.call"     {"method": "chat.postMessage", "args": {...}}
 *   "slack.create_channel" {"names": ["inc-42-db", "inc-42-db-2", ...], "is_private": false}
 *                    the first free name; after name_taken, a channel of that name
 *                    created by this bot (an attempt whose answer was lost) is the answer,
 *                    so a crash between creating and recording never makes two channels
 *
 * Effects of an incident may refer to what earlier effects produced: a
 * string anywhere in the payload may contain "{{incident.channel_id}}" (or
 * another incident field listed in fields[] in delivery.c), filled from the
 * incident row just before the call; and a "save" object, e.g. {"channel_id": "channel.id"}, writes
 * members of Slack's answer into the incident row when the call succeeds.
 * Effects of one incident run in order, so a conversations.create that saves
 * the channel id comes before the invites that use it.
 */
#ifndef INCIDENTD_DELIVERY_H
#define INCIDENTD_DELIVERY_H

#include <pthread.h>
#include <stdint.h>

#include "config.h"
#include "err.h"

#define DELIVERY_MAX_ATTEMPTS 8          /* attempts before an effect is given up */
#define DELIVERY_BACKOFF_BASE_MS 1000    /* first retry delay */
#define DELIVERY_BACKOFF_CAP_MS 300000   /* longest retry delay (5 min) */
#define DELIVERY_POLL_MS 1000            /* looks at the outbox at least this often */

struct delivery;
struct slack_rl;
struct slack_api;
struct store_incident;
struct cJSON;

#define DELIVERY_MAX_FILL 8192 /* longest string after its placeholders are filled */

/*
 * Opens the delivery thread's own database connection and Web API client,
 * puts effects a crash left in flight back to pending, and starts the
 * thread. rl and write_lock are borrowed (see worker.h for the lock).
 */
enum bot_rc delivery_start(const struct config *cfg, struct slack_rl *rl,
                           pthread_mutex_t *write_lock, struct delivery **out,
                           struct bot_err *err) BOT_MUST_CHECK;
/* There are new effects; callable from any thread. */
void delivery_wake(struct delivery *d);
/* Stops the thread (aborting a call in progress, which is retried at the next start). */
void delivery_stop(struct delivery *d);

/* What became of one attempt. */
enum delivery_outcome {
    DELIVERY_DONE,  /* carried out; result holds Slack's answer */
    DELIVERY_RETRY, /* failed for now; try again after retry_after_ms */
    DELIVERY_FAIL,  /* can never succeed (bad effect, refused request): give up */
};

/*
 * Performs one effect of kind with payload through api. *result (caller
 * frees, may stay NULL) is the JSON answer on success; *retry_after_ms is
 * Slack's Retry-After when it sent one, else 0; err says why on failure.
 * Exposed for tests.
 */
enum delivery_outcome delivery_perform(struct slack_api *api, const char *kind,
                                       const char *payload, const struct store_incident *inc,
                                       char **result, int64_t *retry_after_ms,
                                       struct bot_err *err);

/*
 * Replaces every "{{incident.FIELD}}" in the strings of node (recursively,
 * in place) with that field of inc. BOT_ESTATE when a field is still unset
 * (the effect that should have set it failed), BOT_EINVAL for an unknown
 * field or a placeholder without an incident (inc NULL), BOT_ETOOBIG past
 * DELIVERY_MAX_FILL.
 */
enum bot_rc delivery_fill(struct cJSON *node, const struct store_incident *inc,
                          struct bot_err *err) BOT_MUST_CHECK;

/*
 * Copies into inc the members of result named by save ({"field":
 * "dotted.path"}); the fields that may be saved are channel_id,
 * channel_name, control_ts, announce_channel, announce_ts and
 * statuspage_id. Strings replaced in inc are freed (inc must be a row the
 * store filled). BOT_EINVAL for another field or a path not in result.
 */
enum bot_rc delivery_save(const struct cJSON *save, const struct cJSON *result,
                          struct store_incident *inc, struct bot_err *err) BOT_MUST_CHECK;

/* Delay before attempt number `attempts` + 1 (attempts >= 1), jittered by rnd. */
int64_t delivery_backoff_ms(int64_t attempts, int64_t retry_after_ms, uint64_t rnd);

#endif
