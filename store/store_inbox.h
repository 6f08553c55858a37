/*
 * The inbox: every Slack envelope as received, stored before it is acked and
 * processed afterwards by the worker. The envelope id and the payload's own
 * event id are both unique, so Slack's retries and re-deliveries of the same
 * event are dropped at insert (BOT_EEXISTS). States: pending -> processing
 * -> done | failed; a crash leaves rows in processing, which
 * store_inbox_recover() puts back at start. Times are Unix ms (store.h).
 */
#ifndef INCIDENTD_STORE_INBOX_H
#define INCIDENTD_STORE_INBOX_H

#include <stdint.h>

#include "err.h"
#include "store.h"

#define STORE_INBOX_ID_MAX 255 /* longest envelope or event id accepted */

struct store_inbox_row {
    int64_t id;
    char *envelope_id;
    char *event_id; /* NULL when the payload has none (slash commands, interactions) */
    char *type;     /* envelope type: "events_api", "slash_commands", "interactive" */
    char *payload;  /* JSON text as received */
    int64_t received_at;
    char *state;      /* "pending" | "processing" | "done" | "failed" */
    int64_t attempts; /* times it was claimed */
    char *error;      /* why it failed */
};

/* Frees the strings of a row and zeroes it. */
void store_inbox_row_clear(struct store_inbox_row *row);

/*
 * Stores an envelope as pending and returns its row id in *id (may be NULL).
 * BOT_EEXISTS when envelope_id or event_id (if not NULL) was seen before:
 * a retry, to be acked and dropped. BOT_EINVAL for an empty envelope id or
 * type, BOT_ETOOBIG for ids over STORE_INBOX_ID_MAX or a payload over
 * STORE_VALUE_MAX.
 */
enum bot_rc store_inbox_insert(struct store *s, const char *envelope_id, const char *event_id,
                               const char *type, const char *payload, int64_t received_at,
                               int64_t *id, struct bot_err *err) BOT_MUST_CHECK;
/*
 * Claims the oldest pending envelope: marks it processing, counts the
 * attempt and fills *row (zeroed first; the caller clears it).
 * BOT_ENOTFOUND when nothing is pending.
 */
enum bot_rc store_inbox_claim(struct store *s, int64_t now, struct store_inbox_row *row,
                              struct bot_err *err) BOT_MUST_CHECK;
/* processing -> done. BOT_ESTATE when the row is not processing, BOT_ENOTFOUND when absent. */
enum bot_rc store_inbox_done(struct store *s, int64_t id, int64_t now,
                             struct bot_err *err) BOT_MUST_CHECK;
/* processing -> failed with the reason; the same errors as store_inbox_done(). */
enum bot_rc store_inbox_fail(struct store *s, int64_t id, const char *error, int64_t now,
                             struct bot_err *err) BOT_MUST_CHECK;
/*
 * processing -> pending, the claim not counted (attempts - 1): the envelope
 * could not be decided for a transient reason (a locked database, a full
 * disk) and is tried again, in its place. The same errors as
 * store_inbox_done().
 */
enum bot_rc store_inbox_release(struct store *s, int64_t id, struct bot_err *err) BOT_MUST_CHECK;
/*
 * Crash recovery, at start before the worker runs: rows left processing go
 * back to pending, except those already claimed max_attempts times (>= 1),
 * which are failed so one poisonous envelope cannot crash the bot forever.
 * *requeued and *failed (may be NULL) count them.
 */
enum bot_rc store_inbox_recover(struct store *s, int64_t max_attempts, int64_t now,
                                int64_t *requeued, int64_t *failed,
                                struct bot_err *err) BOT_MUST_CHECK;
/* How many rows are in state ("pending", "processing", "done" or "failed"). */
enum bot_rc store_inbox_count(struct store *s, const char *state, int64_t *count,
                              struct bot_err *err) BOT_MUST_CHECK;
/*
 * Work the bot still has to do at now: envelopes not yet processed,
 * effects being sent or due (pending with next_attempt_at <= now) in any
 * lane, reminders due. 0 means the bot is quiet until something new
 * arrives or a later time comes (console mode waits for that between the
 * lines of a script).
 */
enum bot_rc store_queue_busy(struct store *s, int64_t now, int64_t *count,
                             struct bot_err *err) BOT_MUST_CHECK;
/*
 * Deletes done and failed rows received before `before`; keep them longer
 * than Slack retries (an hour is plenty) or retries are no longer dropped.
 */
enum bot_rc store_inbox_prune(struct store *s, int64_t before, int64_t *deleted,
                              struct bot_err *err) BOT_MUST_CHECK;

#endif
