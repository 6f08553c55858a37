/*
 * The worker: a thread that processes the inbox. The loop thread stores an
 * envelope and acks it; the worker then claims it, runs it through the
 * plan (commands/), and in one transaction records the effects the plan
 * decided (replies, Web API calls) in the outbox and marks the envelope
 * done. It never talks to Slack itself: delivery does, so a slow or absent
 * Slack cannot hold up new envelopes. Everything acked but not processed
 * when the process stopped (even by kill -9) is picked up again at start.
 */
#ifndef INCIDENTD_WORKER_H
#define INCIDENTD_WORKER_H

#include <pthread.h>
#include <stdatomic.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "plan.h"
#include "store.h"

#define WORKER_MAX_ATTEMPTS 3 /* claims of one envelope before it is failed for good */
#define WORKER_POLL_MS 1000   /* the worker looks at the inbox at least this often */
#define WORKER_HANDOVER_SPINS 10000 /* sched_yield()s the worker waits for the store thread */
#define WORKER_BACKOFF_MIN_MS 100    /* first pause after a transient failure (a locked database) */
#define WORKER_BACKOFF_MAX_MS 30000  /* the pause doubles up to this */
#define WORKER_CHECKPOINT_EVERY 500 /* envelopes between WAL checkpoints under load */
#define WORKER_MAX_DELIVERIES (3 + CFG_MAX_WEBHOOKS) /* lanes woken when effects were recorded:
                                                      fast, slack, statuspage, webhooks */
#define WORKER_BATCH 64       /* envelopes claimed, and recorded, per transaction */

struct worker;
struct delivery;

/*
 * Opens the worker's own database connection, requeues what a crash left
 * in processing, and starts its thread. write_lock (borrowed) is taken
 * around every write the worker makes: the loop thread takes it around its
 * inbox inserts, so the writers queue on a mutex that wakes the next one at
 * once, instead of on SQLite's busy handler, which sleeps in steps of
 * milliseconds and would delay acks. deliveries (borrowed, one per lane)
 * are woken when effects were recorded. yield_to (borrowed, may be NULL)
 * counts the store thread's waits for write_lock: while it is not zero the
 * worker commits after the envelope it is deciding and lets the store
 * thread in before the next, so an ack never waits for a whole batch of
 * decisions. On failure nothing is left running.
 */
enum bot_rc worker_start(const struct config *cfg, pthread_mutex_t *write_lock,
                         const atomic_uint *yield_to, struct delivery *const *deliveries,
                         size_t n_deliveries, struct worker **out,
                         struct bot_err *err) BOT_MUST_CHECK;
/* Tells the worker there is new work; callable from any thread. */
void worker_wake(struct worker *w);
/* Asks the worker to stop, joins it and frees it. */
void worker_stop(struct worker *w);

/* The plan's view of the configuration and a decision context, for the worker and tests. */
void worker_plan_init(struct plan *p, const struct plan_config *pc, struct store *s,
                      int64_t now_ms, const char *event_id);
/* The configured zone's offset from UTC at now_ms, in minutes east (TZ is set by main). */
int worker_tz_offset_min(int64_t now_ms);

/*
 * Decides one inbox row (its type and payload JSON) with the plan p, inside
 * the caller's transaction. BOT_OK when the envelope is handled (possibly
 * with no effect); BOT_EPROTO when the payload lacks a field (the reason in
 * err); other codes are store failures. A "\u0000" in the payload reaches
 * the plan as UTF8_NUL_MARK (utf8.h), which it refuses, not as a string cut
 * short. Exposed for tests.
 */
enum bot_rc worker_decide(struct plan *p, const char *type, const char *payload,
                          struct bot_err *err) BOT_MUST_CHECK;

#endif
