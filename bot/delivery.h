/*
 * Delivery: the threads that drain the outbox. Each performs the effects the
 * worker recorded (a Web API call, a reply to a response_url, a refreshed
 * view of an incident), records the result, and on failure schedules a
 * retry, durable across restarts, with exponential backoff that honours
 * Retry-After, until the effect succeeds or is given up. Slack being slow or
 * down therefore delays effects, never the acks (loop thread) or the
 * processing of new envelopes (worker).
 *
 * Lanes: one delivery instance drains one outbox target, so a call that
 * hangs (or a backlog) in one lane never delays another.
 *   "fast"  calls that must not wait behind anything: views.open with a
 *           trigger_id (Slack's 3 s window), slack.respond ephemeral replies.
 *           At most DELIVERY_FAST_MAX_ATTEMPTS attempts (a retry later than
 *           that would find the trigger expired anyway); views.open
 *           answered expired_trigger_id is given up at once.
 *   "slack" everything else sent to Slack (channels, messages, views of
 *           incidents), DELIVERY_MAX_ATTEMPTS attempts.
 *   "statuspage" the Atlassian Statuspage mirror (the "statuspage.*" kinds
 *           below), at most one request per DELIVERY_STATUSPAGE_INTERVAL_MS,
 *           DELIVERY_STATUSPAGE_MAX_ATTEMPTS attempts; started only when
 *           delivery_statuspage_configured().
 *   "webhook:<name>" one per [[webhooks]] entry (cfg_webhook_by_lane), the
 *           HOOK_KIND effects {"event", "id", "body"}: body POSTed as JSON,
 *           signed (bot/webhook.h); 2xx done; 429, 5xx, 408 and network
 *           errors retried honouring Retry-After, DELIVERY_WEBHOOK_MAX_ATTEMPTS
 *           attempts; other answers given up at once, and a given-up event
 *           is said in the incident's channel.
 * Effects of one incident in one target run in order (store_outbox.h); the
 * lanes are not ordered against each other.
 *
 * Effect kinds (payload is JSON):
 *   "slack.respond"  {"url": response_url, "message": {...}}
 *   "slack.call"     {"method": "chat.postMessage", "args": {...}[, "ok_errors": [...]]}
 *                    ok_errors: Slack errors that count as success (the call's purpose is
 *                    met already, e.g. "already_in_channel" for conversations.invite)
 *   "slack.create_channel" {"names": ["inc-42-db", "inc-42-db-2", ...], "is_private": false}
 *                    the first free name; after name_taken, a channel of that name
 *                    created by this bot (an attempt whose answer was lost) is the answer,
 *                    so a crash between creating and recording never makes two channels
 * and views of an incident (row incident_id), rendered when they are
 * performed from the incident as stored at that moment (commands/inc_view.h),
 * so a retry never shows stale state and an update decided before the
 * message existed still finds it:
 *   "incident.control"  {} the pinned control message in the incident's channel:
 *                    posted (and its ts saved in the incident row at once, before
 *                    anything else can fail) and pinned the first time, chat.update
 *                    afterwards. No channel yet: retried (the channel effect failed).
 *   "incident.announce" {"channel": "C..."} the announcement: posted into that channel
 *                    the first time (announce_channel and announce_ts saved at once),
 *                    chat.update of that message afterwards.
 *   "incident.topic"    {} conversations.setTopic of the incident's channel to
 *                    render_topic(); skipped when the topic it last set is the same.
 * A first post retried after an attempt that may have posted (an answer lost
 * to a timeout, a crash) looks for its own message first
 * (conversations.history: "inc<id>_header" / "inc<id>_announce" blocks), so
 * no second control message or announcement appears.
 * Every other "slack.call" chat.postMessage carries message metadata naming
 * its effect (delivery_effect_metadata()); a retry of one (attempts > 1: the
 * earlier attempt may have posted and lost the answer) first reads the
 * channel's history since the effect was enqueued (conversations.history,
 * or conversations.replies of its thread_ts, include_all_metadata, at most
 * DELIVERY_LOOKUP_PAGES pages) and, finding its post, is done with it as
 * the answer ({"ok", "channel", "ts", "message", "found": true}).
 *
 * The workspace directory (store/store_directory.h): the "slack" lane, and
 * only it, also keeps the local copy of the workspace's users and of the
 * [roles] irm_group members that the plan reads (it may not call Slack).
 * It syncs when nothing of its lane is due: at start, then every
 * DELIVERY_DIRECTORY_REFRESH_MS, and after a failed sync again after a
 * backoff (DELIVERY_DIRECTORY_RETRY_*), the directory staying as it was.
 * Effects come first: a sync stops for an effect that falls due between
 * its calls and goes on from the same page afterwards.
 *
 * The Atlassian Statuspage mirror ("statuspage" lane; row incident_id; our
 * component names mapped by [statuspage.atlassian] components, unmapped ones
 * skipped with a warning):
 *   "statuspage.create" {"name", "status", "impact", "body", "components": [our names]}
 *                    POST /incidents with impact_override = impact, the mapped
 *                    components at the status the impact gives them, and
 *                    metadata {"incidentd": {"tag": "inc-<id>-<declared_at>"}};
 *                    the id is committed into incidents.statuspage_id at once.
 *                    A retry (attempts > 1: the answer may have been lost) first
 *                    looks for an incident with that tag and adopts it, so a crash
 *                    between request and answer never makes a second one; an
 *                    incident with a statuspage_id already is done without a call.
 *   "statuspage.update" {"status", "body", "impact"} (each optional) PATCH of the
 *                    incident: status (a Statuspage one), body (a new update),
 *                    impact_override, and on a status its components' statuses
 *                    (once resolved: operational, unless another published
 *                    incident still open holds the component: then its status).
 *                    A retry (attempts > 1) of one that adds an update (a status
 *                    or a body) first GETs the incident: when its newest update
 *                    reads the same (sp_api_update_applied()), the earlier
 *                    attempt was carried out and the effect is done without a
 *                    second PATCH.
 *   "statuspage.postmortem" {"body"} PUT the postmortem draft, then publish it.
 *   "statuspage.delete" {} DELETE of a withdrawn (cancelled) incident (a 404 is
 *                    done), then its components restored as after a resolve.
 *   Updates, postmortems and deletes wait (retry) until the incident has a statuspage_id.
 *   420/429/5xx and network errors are retried honouring Retry-After; other
 *   4xx are given up (logged). While the page is down (no answer, 5xx) the
 *   lane asks it every DELIVERY_STATUSPAGE_PROBE_MS whether it is back; the
 *   first request it answers again makes every effect waiting out its
 *   backoff due at once (store_outbox_due_now_target), so the catch-up goes
 *   at the pacing rate instead of each effect's own backoff.
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
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "err.h"

#define DELIVERY_MAX_ATTEMPTS 8          /* attempts before an effect is given up */
#define DELIVERY_BACKOFF_BASE_MS 1000    /* first retry delay */
#define DELIVERY_BACKOFF_CAP_MS 300000   /* longest retry delay (5 min) */
#define DELIVERY_POLL_MS 1000            /* looks at the outbox at least this often */
#define DELIVERY_FAST_MAX_ATTEMPTS 2     /* attempts in the "fast" lane */
#define DELIVERY_FAST_TIMEOUT_MS 10000   /* longest single call in the "fast" lane */
#define DELIVERY_MAX_LANE 32             /* longest lane (outbox target) name */
#define DELIVERY_LOOKUP_PAGES 5          /* conversations.history pages searched for our post */
#define DELIVERY_LOOKUP_PAGE_SIZE 200
#define DELIVERY_EFFECT_EVENT "incidentd_effect" /* event_type of our messages' metadata */
#define DELIVERY_LOOKUP_SKEW_S 600 /* an effect's post is looked for from this long before it
                                      was enqueued (clocks differ) */

#define DELIVERY_DIRECTORY_REFRESH_MS (60 * 60 * 1000) /* re-sync the directory this often */
#define DELIVERY_DIRECTORY_RETRY_BASE_MS 60000         /* first retry after a failed sync */
#define DELIVERY_DIRECTORY_RETRY_CAP_MS 900000         /* longest retry delay (15 min) */
#define DELIVERY_DIRECTORY_PAGE_SIZE 200               /* users.list "limit" */
#define DELIVERY_DIRECTORY_MAX_PAGES 500               /* users.list pages (100,000 users) */

#define DELIVERY_LANE_SLACK "slack"
#define DELIVERY_LANE_FAST "fast"
#define DELIVERY_LANE_STATUSPAGE "statuspage"

#define DELIVERY_STATUSPAGE_MAX_ATTEMPTS 30      /* the mirror may be down for a while */
#define DELIVERY_STATUSPAGE_INTERVAL_MS 1050     /* Statuspage: 1 request/s per key, + margin */
#define DELIVERY_STATUSPAGE_TIMEOUT_MS 30000     /* longest single Statuspage request */
#define DELIVERY_STATUSPAGE_MAX_COMPONENTS 100   /* components of one incident mirrored */
#define DELIVERY_STATUSPAGE_PROBE_MS 30000       /* while Statuspage is down, asked this often
                                                    whether it is back (one GET) */

#define DELIVERY_WEBHOOK_MAX_ATTEMPTS 30 /* a webhook's receiver may be down for a while, like
                                            the mirror: with the 5 min backoff cap, ~2 h */

struct delivery;
struct slack_rl;
struct slack_api;
struct store_incident;
struct cJSON;

#define DELIVERY_MAX_FILL 8192 /* longest string after its placeholders are filled */

/*
 * Opens a delivery instance for lane (an outbox target, e.g.
 * DELIVERY_LANE_FAST) with its own database connection and Web API client,
 * puts the effects of that lane a crash left in flight back to pending
 * (never another lane's), and starts its thread. rl and write_lock are
 * borrowed (see worker.h for the lock); every lane shares them. BOT_EINVAL
 * for an empty or over-long lane name.
 */
enum bot_rc delivery_start_lane(const struct config *cfg, struct slack_rl *rl,
                                pthread_mutex_t *write_lock, const char *lane,
                                struct delivery **out, struct bot_err *err) BOT_MUST_CHECK;
/* delivery_start_lane() of DELIVERY_LANE_SLACK. */
enum bot_rc delivery_start(const struct config *cfg, struct slack_rl *rl,
                           pthread_mutex_t *write_lock, struct delivery **out,
                           struct bot_err *err) BOT_MUST_CHECK;
/*
 * The same instance without its thread, driven by delivery_run_one() (tests
 * use it to perform effects one at a time at a chosen time). Free with
 * delivery_stop().
 */
enum bot_rc delivery_open_lane(const struct config *cfg, struct slack_rl *rl,
                               pthread_mutex_t *write_lock, const char *lane,
                               struct delivery **out, struct bot_err *err) BOT_MUST_CHECK;
/*
 * Claims the next effect of d's lane due at now (0: the clock), performs it
 * and records its outcome, as the thread does; *outbox_id (may be NULL) is
 * its id. BOT_ENOTFOUND when nothing of the lane is due. Not to be called
 * on an instance whose thread runs.
 */
enum bot_rc delivery_run_one(struct delivery *d, int64_t now, int64_t *outbox_id,
                             struct bot_err *err) BOT_MUST_CHECK;
/*
 * Syncs the workspace directory now, as the "slack" lane's thread does when
 * nothing is due: users.list (DELIVERY_DIRECTORY_PAGE_SIZE a page) and, when
 * [roles] irm_group is set, usergroups.users.list of that group, called
 * outside the write lock; then both replaced in one transaction under it
 * (store_directory_replace_users / _replace_group). Logs one info line with
 * the counts. Returns:
 *   BOT_OK     the directory is replaced;
 *   BOT_EBUSY  an effect of the lane fell due before one of the calls: the
 *              pages read so far are kept and the next call goes on from
 *              there (perform the effect first); also, with what was read
 *              dropped, a database locked past the busy timeout;
 *   BOT_EINVAL d is not the "slack" lane;
 *   any other code: the call or the write failed (err says which), what was
 *              read is dropped, the directory is as it was; an empty user
 *              list is not believed (BOT_EPROTO).
 * Exposed for tests; not to be called on an instance whose thread runs.
 */
enum bot_rc delivery_sync_directory(struct delivery *d, struct bot_err *err) BOT_MUST_CHECK;
/*
 * True when the Atlassian Statuspage mirror is configured: [statuspage.atlassian]
 * page_id set and STATUSPAGE_API_KEY given. Only then is the "statuspage"
 * lane started (and does the plan enqueue into it).
 */
bool delivery_statuspage_configured(const struct config *cfg);
/* There are new effects; callable from any thread. */
void delivery_wake(struct delivery *d);
/*
 * Stops the thread, if any (aborting a call in progress, which is retried at
 * the next start), and frees d.
 */
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
 * The "incident.*" kinds need the store and are performed by a delivery
 * instance only (DELIVERY_FAIL here). Exposed for tests.
 */
enum delivery_outcome delivery_perform(struct slack_api *api, const char *kind,
                                       const char *payload, const struct store_incident *inc,
                                       char **result, int64_t *retry_after_ms,
                                       struct bot_err *err);

/*
 * Fills placeholders "{{incident.FIELD}}" of an effect's payload with that
 * field of inc, in two places only: an "args" member that names where a
 * call goes (channel, channel_id, thread_ts, ts, users) when its whole value
 * starts with "{{", and the strings at the dotted paths the plan listed in
 * the payload's "fill" array (removed here), which it wrote itself. Nothing
 * else is read as a template: what a user typed is never expanded, and a
 * "{{" in it can make no effect fail. BOT_ESTATE when a field is still unset
 * (the effect that should have set it failed), BOT_EINVAL for an unknown
 * field, a placeholder without an incident (inc NULL) or a "fill" path that
 * is not a string, BOT_ETOOBIG past DELIVERY_MAX_FILL.
 */
enum bot_rc delivery_fill(struct cJSON *payload, const struct store_incident *inc,
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

/*
 * The message metadata a chat.postMessage effect carries (caller frees):
 * {"event_type": DELIVERY_EFFECT_EVENT, "event_payload": {"effect": idem_key,
 * "outbox_id": outbox_id}}. Exposed for tests.
 */
struct cJSON *delivery_effect_metadata(const char *idem_key, int64_t outbox_id);
/*
 * The message among messages (a conversations.history or .replies
 * "messages" array, borrowed) that this bot posted (user self_user or bot
 * self_bot; either may be NULL) carrying the metadata of effect
 * idem_key/outbox_id, or NULL. Exposed for tests.
 */
const struct cJSON *delivery_find_effect_post(const struct cJSON *messages, const char *self_user,
                                              const char *self_bot, const char *idem_key,
                                              int64_t outbox_id);

#endif
