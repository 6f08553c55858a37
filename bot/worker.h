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

#include "buf.h"
#include "config.h"
#include "err.h"

#define WORKER_MAX_ATTEMPTS 3 /* claims of one envelope before it is failed for good */
#define WORKER_POLL_MS 1000   /* the worker looks at the inbox at least this often */
#define WORKER_CHECKPOINT_EVERY 500 /* envelopes between WAL checkpoints under load */
#define WORKER_MAX_EFFECTS 16 /* effects one envelope may produce */
#define WORKER_BATCH 64       /* envelopes claimed, and recorded, per transaction */

struct worker;
struct delivery;

/*
 * Opens the worker's own database connection, requeues what a crash left
 * in processing, and starts its thread. write_lock (borrowed) is taken
 * around every write the worker makes: the loop thread takes it around its
 * inbox inserts, so the writers queue on a mutex that wakes the next one at
 * once, instead of on SQLite's busy handler, which sleeps in steps of
 * milliseconds and would delay acks. delivery (borrowed) is woken when
 * effects were recorded. On failure nothing is left running.
 */
enum bot_rc worker_start(const struct config *cfg, pthread_mutex_t *write_lock,
                         struct delivery *delivery, struct worker **out,
                         struct bot_err *err) BOT_MUST_CHECK;
/* Tells the worker there is new work; callable from any thread. */
void worker_wake(struct worker *w);
/* Asks the worker to stop, joins it and frees it. */
void worker_stop(struct worker *w);

/* An effect decided for one envelope, ready for the outbox; strings owned. */
struct worker_effect {
    char *kind;    /* "slack.respond", "slack.call" (see delivery.h) */
    char *payload; /* JSON text */
    char *idem;    /* idempotency key, unique forever */
};

struct worker_effects {
    size_t n;
    struct worker_effect e[WORKER_MAX_EFFECTS];
};

void worker_effects_free(struct worker_effects *fx);

/*
 * Decides what one inbox row (its envelope id, type and payload JSON) leads
 * to, appending the effects to fx. BOT_OK when the envelope is handled
 * (possibly with no effect); BOT_EPROTO when the payload lacks a field (the
 * reason in err). Pure: no I/O. Exposed for tests.
 */
enum bot_rc worker_decide(const char *envelope_id, const char *type, const char *payload,
                          struct worker_effects *fx, struct bot_err *err) BOT_MUST_CHECK;

#endif
