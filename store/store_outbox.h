/*
 * The outbox: effects decided by the plan (post this message, create that
 * channel, mirror this status) written in the same transaction as the state
 * they follow from, and drained by delivery. Each effect has a unique
 * idempotency key (enqueueing it twice is BOT_EEXISTS), attempts, the time
 * of its next attempt, its last error and, once done, its result (the new
 * channel's id, the Statuspage incident id...).
 *
 * Order: effects of one incident for one target are delivered one at a
 * time in the order they were enqueued. target is the ordering lane
 * ("slack", "statuspage", "webhook:NAME"): a status page that is down for an
 * hour holds back its own lane only, not the incident's Slack messages.
 * Effects without an incident are unordered. A failed (given up) effect no
 * longer holds its lane.
 *
 * Delivery runs one drain per target ("slack", "fast", ...): each claims only
 * its own target's effects (store_outbox_claim_target), so a drain stuck in a
 * slow call never holds back another target's effects, and recovers only its
 * own target at start (store_outbox_recover_target), never an effect another
 * drain is performing at that moment.
 *
 * States: pending -> sending (claimed) -> done | pending again (retry) |
 * failed (permanent); a crash leaves rows in sending, which
 * store_outbox_recover() puts back at start. Times are Unix ms (store.h).
 */
#ifndef INCIDENTD_STORE_OUTBOX_H
#define INCIDENTD_STORE_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

/* What to enqueue; the store only reads it. */
struct store_effect {
    int64_t incident_id;  /* 0: not tied to an incident (unordered) */
    const char *kind;     /* e.g. "chat.postMessage", "statuspage.create" */
    const char *target;   /* ordering lane, e.g. "slack", "statuspage" */
    const char *payload;  /* JSON text */
    const char *idem_key; /* unique forever, e.g. "inc-42/announce/3" */
    int64_t not_before;   /* 0: due at once */
    /*
     * A view that renders the incident's state when it is performed (control
     * message, topic, announcement): not enqueued while an effect of the same
     * incident, kind and target is still pending, since that one will show
     * the latest state.
     */
    bool merge;
    /*
     * A refresh of a view that exists already: in its lane it yields to
     * effects that are not refreshes (new channels, first posts) of other
     * incidents.
     */
    bool refresh;
};

struct store_outbox_row {
    int64_t id;
    int64_t incident_id; /* 0 when none */
    char *kind;
    char *target;
    char *payload;
    char *idem_key;
    char *state;      /* "pending" | "sending" | "done" | "failed" */
    int64_t attempts; /* claims so far */
    int64_t next_attempt_at;
    int64_t last_attempt_at;
    char *last_error;
    char *result; /* set by store_outbox_done() */
    int64_t created_at;
    int64_t done_at; /* when it was done or given up */
};

struct store_outbox_counts {
    int64_t pending; /* waiting, including retries */
    int64_t sending; /* claimed, not finished */
    int64_t done;
    int64_t failed; /* given up */
};

void store_outbox_row_clear(struct store_outbox_row *row);
void store_outbox_list_free(struct store_outbox_row *rows, size_t n);

/*
 * Enqueues e as pending, due at max(now, e->not_before); *id (may be NULL)
 * is its row id. BOT_EEXISTS when the idempotency key is taken (the effect
 * was already enqueued: nothing changes), BOT_ENOTFOUND for an unknown
 * incident, BOT_EINVAL for a missing field. A view (e->merge) merged into a
 * pending effect of the same view is BOT_OK with *id 0.
 */
enum bot_rc store_outbox_enqueue(struct store *s, const struct store_effect *e, int64_t now,
                                 int64_t *id, struct bot_err *err) BOT_MUST_CHECK;
/*
 * Claims the oldest effect that is due at now and not held back by an
 * earlier unfinished effect of its incident and target: marks it sending,
 * counts the attempt, fills *row (zeroed first; the caller clears it).
 * BOT_ENOTFOUND when nothing is due.
 */
enum bot_rc store_outbox_claim(struct store *s, int64_t now, struct store_outbox_row *row,
                               struct bot_err *err) BOT_MUST_CHECK;
/*
 * The same, among the effects whose target is exactly target (NULL: any
 * target, as store_outbox_claim). Ordering is unchanged: an effect waits
 * for the earlier unfinished effects of its incident and target.
 */
enum bot_rc store_outbox_claim_target(struct store *s, int64_t now, const char *target,
                                      struct store_outbox_row *row,
                                      struct bot_err *err) BOT_MUST_CHECK;
/*
 * When the next claimable effect falls due (it may be <= now), for sleeping
 * until then; BOT_ENOTFOUND when nothing is waiting.
 */
enum bot_rc store_outbox_next_due_at(struct store *s, int64_t *at,
                                     struct bot_err *err) BOT_MUST_CHECK;
/* The same, for the effects of one target (NULL: any target). */
enum bot_rc store_outbox_next_due_at_target(struct store *s, const char *target, int64_t *at,
                                            struct bot_err *err) BOT_MUST_CHECK;
/* sending -> done with its result (may be NULL). BOT_ESTATE unless sending. */
enum bot_rc store_outbox_done(struct store *s, int64_t id, const char *result, int64_t now,
                              struct bot_err *err) BOT_MUST_CHECK;
/* sending -> pending, due again at next_attempt_at, with the error. BOT_ESTATE unless sending. */
enum bot_rc store_outbox_retry(struct store *s, int64_t id, int64_t next_attempt_at,
                               const char *error, int64_t now, struct bot_err *err) BOT_MUST_CHECK;
/* sending -> failed: given up for good, with the error. BOT_ESTATE unless sending. */
enum bot_rc store_outbox_fail(struct store *s, int64_t id, const char *error, int64_t now,
                              struct bot_err *err) BOT_MUST_CHECK;
/* failed -> pending, due at now (an operator's "try again"). BOT_ESTATE unless failed. */
enum bot_rc store_outbox_requeue(struct store *s, int64_t id, int64_t now,
                                 struct bot_err *err) BOT_MUST_CHECK;
/*
 * Crash recovery, at start before delivery runs: sending -> pending, due at
 * once. The effect may have reached its target before the crash: delivery
 * uses the idempotency key to look before it creates anything again.
 */
enum bot_rc store_outbox_recover(struct store *s, int64_t *requeued,
                                 struct bot_err *err) BOT_MUST_CHECK;
/*
 * The same for the effects of one target only (NULL: every target): what a
 * drain of that target left in flight. The effects other drains are
 * performing meanwhile stay theirs.
 */
enum bot_rc store_outbox_recover_target(struct store *s, const char *target, int64_t *requeued,
                                        struct bot_err *err) BOT_MUST_CHECK;
/* One effect by id / by idempotency key; BOT_ENOTFOUND when absent. */
enum bot_rc store_outbox_get(struct store *s, int64_t id, struct store_outbox_row *row,
                             struct bot_err *err) BOT_MUST_CHECK;
enum bot_rc store_outbox_get_by_key(struct store *s, const char *idem_key,
                                    struct store_outbox_row *row,
                                    struct bot_err *err) BOT_MUST_CHECK;
/*
 * Every pending effect of target waiting for a later retry is due at now:
 * the target answers again after an outage, so what waited out its
 * backoff goes at once, in the usual order. *changed (may be NULL) counts them.
 */
enum bot_rc store_outbox_due_now_target(struct store *s, const char *target, int64_t now,
                                        int64_t *changed, struct bot_err *err) BOT_MUST_CHECK;
/* Every effect of an incident in enqueue order (for the mirror state on the control message). */
enum bot_rc store_outbox_list_incident(struct store *s, int64_t incident_id,
                                       struct store_outbox_row **rows, size_t *n,
                                       struct bot_err *err) BOT_MUST_CHECK;
/* Rows per state; pending + sending is the outbox depth. */
enum bot_rc store_outbox_counts(struct store *s, struct store_outbox_counts *counts,
                                struct bot_err *err) BOT_MUST_CHECK;
/*
 * The targets (lanes) that have effects pending or in flight, sorted, each
 * once; *targets (caller frees with store_outbox_targets_free) is NULL when
 * there are none. For start-up: effects in a lane nobody drains wait forever.
 */
enum bot_rc store_outbox_waiting_targets(struct store *s, char ***targets, size_t *n,
                                         struct bot_err *err) BOT_MUST_CHECK;
void store_outbox_targets_free(char **targets, size_t n);
/* Deletes done effects finished before `before` (their keys can then be reused). */
enum bot_rc store_outbox_prune(struct store *s, int64_t before, int64_t *deleted,
                               struct bot_err *err) BOT_MUST_CHECK;

#endif
