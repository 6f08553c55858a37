/*
 * The worker: a thread that processes the inbox. The loop thread stores an
 * envelope and acks it; the worker then claims it, runs it through the
 * plan (commands/), sends the replies that go straight to the user, and
 * marks it done or failed. Everything acked but not processed when the
 * process stopped (even by kill -9) is picked up again at the next start.
 */
#ifndef INCIDENTD_WORKER_H
#define INCIDENTD_WORKER_H

#include <pthread.h>

#include "config.h"
#include "err.h"

#define WORKER_MAX_ATTEMPTS 3 /* claims of one envelope before it is failed for good */
#define WORKER_POLL_MS 1000   /* the worker looks at the inbox at least this often */
#define WORKER_CHECKPOINT_EVERY 500 /* envelopes between WAL checkpoints under load */

struct worker;
struct slack_rl;

/*
 * Opens the worker's own database connection and Web API client and starts
 * its thread. rl is the shared rate limiter (borrowed; outlives the
 * worker). write_lock (borrowed) is taken around every write the worker
 * makes: the loop thread takes it around its inbox inserts, so the two
 * writers queue on a mutex that wakes the next one at once, instead of on
 * SQLite's busy handler, which sleeps in steps of milliseconds and would
 * delay acks. On failure nothing is left running.
 */
enum bot_rc worker_start(const struct config *cfg, struct slack_rl *rl,
                         pthread_mutex_t *write_lock, struct worker **out,
                         struct bot_err *err) BOT_MUST_CHECK;
/* Tells the worker there is new work; callable from any thread. */
void worker_wake(struct worker *w);
/* Asks the worker to stop, aborts its Web API call in progress, joins it and frees it. */
void worker_stop(struct worker *w);

/*
 * Processes one inbox row of the given type with payload JSON, using api
 * for replies; exposed for tests. Returns BOT_OK when done; otherwise the
 * reason is in err and the row should be failed (BOT_EPROTO: the payload
 * lacks a field; BOT_ENET etc.: a reply could not be sent).
 */
struct slack_api;
enum bot_rc worker_process(struct slack_api *api, const char *type, const char *payload,
                           struct bot_err *err) BOT_MUST_CHECK;

#endif
