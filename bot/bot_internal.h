/*
 * struct bot, private to bot/: the single context passed explicitly to
 * every part of the daemon (STYLE.md habit 2). Other folders never see it.
 */
#ifndef INCIDENTD_BOT_INTERNAL_H
#define INCIDENTD_BOT_INTERNAL_H

#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "bot.h"
#include "config.h"
#include "buf.h"

struct store;
struct slack_ws;
struct slack_rl;
struct worker;
struct delivery;

#define BOT_BATCH_MAX 256  /* envelopes per group commit, at most */
#define BOT_ACK_BUCKETS 11 /* ack latency histogram buckets (see bot_ack_bucket_ms in bot.c) */
/* Envelopes received and not yet stored (waiting for the store thread): more are not acked. */
#define BOT_STORE_QUEUE_MAX 8192
#define BOT_STORE_QUEUE_MAX_BYTES (32 * 1024 * 1024) /* their payloads, at most */
/* An envelope whose commit keeps failing (locked, full disk) is retried this long, then dropped. */
#define BOT_STORE_RETRY_MAX_MS 60000
#define BOT_STORE_SLOW_MS 1000 /* waited this long for its commit: /healthz degraded */

struct bot_env; /* an envelope on its way to the inbox (bot.c) */

/* What the store thread says about the database, for /healthz and /metrics (bot_db_health). */
struct bot_db_health {
    bool ping_ok;             /* the loop's connection answers a trivial query */
    bool commit_failing;      /* the last commit of envelopes failed (they are retried) */
    int64_t waiting_ms;       /* the oldest envelope not yet stored has waited this long */
    size_t queued;            /* envelopes not yet stored */
    int64_t last_commit_ms;   /* wall clock of the last successful commit; 0: none yet */
    uint64_t commit_failures; /* failed commits (each attempt) since start */
    uint64_t given_up;        /* envelopes never stored (retried too long, refused, full queue) */
    char error[BOT_ERR_MAX];  /* the last failure, "" when the last commit succeeded */
};

struct bot {
    const struct config *cfg;
    struct store *store;          /* the loop thread's connection: reads for /healthz, /metrics */
    struct lws_context *lws;
    struct lws_vhost *vhost;      /* the public listener; also carries the Slack links */
    struct lws_vhost *internal_vhost; /* the internal listener: /healthz, /metrics */
    struct lws_protocols protocols[3]; /* http, Socket Mode, lws 4.1's zero terminator */
    struct lws_protocols internal_protocols[2]; /* http, the zero terminator */
    lws_sorted_usec_list_t tick;  /* periodic wake-up to notice the stop flag */
    volatile sig_atomic_t *stop;
    int http_port;                /* where the listeners listen (the configured 0: a free one) */
    int internal_port;
    struct slack_ws *ws;          /* the Socket Mode links */
    struct slack_rl *rl;          /* Web API rate limiter shared by every client */
    struct worker *worker;        /* processes the inbox into outbox effects */
    struct delivery *delivery;    /* drains the outbox's "slack" lane: incidents' effects */
    struct delivery *fast;        /* drains the "fast" lane: replies and modals, never queued
                                     behind the slack lane (the two are the only callers of Slack) */
    struct delivery *statuspage;  /* drains the "statuspage" lane (the Atlassian mirror); NULL
                                     when the mirror is not configured */
    struct delivery *webhooks[CFG_MAX_WEBHOOKS]; /* one lane per [[webhooks]] entry */
    size_t n_webhooks;
    pthread_mutex_t write_lock;   /* serialises the database writers (store thread, worker,
                                     delivery) */
    atomic_uint store_waiting;    /* the store thread waits for write_lock: the worker yields */
    /*
     * The store thread: stores the envelopes the loop queues, in groups (one
     * commit for all that arrived meanwhile), on its own connection, and
     * hands them back for their acks. Every field below up to q_thread is
     * under q_mu; the loop never waits for anything but q_mu.
     */
    struct store *st_store;        /* the store thread's connection; only it uses it */
    pthread_mutex_t q_mu;
    pthread_cond_t q_cv;
    struct bot_env *q_head, *q_tail; /* received, not yet taken by the store thread */
    struct bot_env *d_head, *d_tail; /* stored (or given up), for the loop to ack, in order */
    size_t q_n, q_bytes;           /* queued + being stored: envelopes and payload bytes */
    int64_t q_oldest_us;           /* arrival of the oldest envelope not yet stored; 0: none */
    bool q_stop;                   /* no more envelopes: store what is queued, then end */
    bool q_quit;                   /* end now: give up retrying; never wake the loop again */
    bool st_failing;
    char st_error[BOT_ERR_MAX];
    int64_t st_last_commit_ms;
    uint64_t st_failures, st_given_up;
    pthread_t q_thread;
    bool q_started;
    uint64_t ack_hist[BOT_ACK_BUCKETS + 1]; /* arrival -> ack queued, cumulative at render */
    uint64_t ack_count;
    double ack_sum_s;
};

/*
 * Stores payload (JSON text) in the inbox as an envelope of type with
 * envelope_id, through s (the caller's own connection, used by one thread),
 * under the write lock, and wakes the worker: what the Socket Mode link does
 * with an envelope, for the console (console.c). BOT_EEXISTS for an
 * envelope_id stored before.
 */
enum bot_rc bot_inject(struct bot *b, struct store *s, const char *envelope_id, const char *type,
                       const char *payload, struct bot_err *err) BOT_MUST_CHECK;
/* True when the database answers a trivial query. */
bool bot_db_ok(struct bot *b);
/*
 * Fills h: the loop's ping and the store thread's commits of envelopes
 * (failing, how long the oldest envelope waits). Loop thread; never waits
 * on the database beyond the ping.
 */
void bot_db_health(struct bot *b, struct bot_db_health *h);
/*
 * Appends the Prometheus text exposition of the bot's metrics to out:
 * envelopes and acks, the ack latency histogram, Slack links, inbox and
 * outbox depth by state, open incidents. Loop thread only.
 */
void bot_metrics(struct bot *b, struct buf *out);
/*
 * Appends the /healthz JSON document to out and returns its HTTP status:
 * 200 ok or degraded (envelopes wait long for their commit), 503 when the
 * database fails (a ping, or commits of envelopes), 500 when out is full.
 */
int bot_healthz(struct bot *b, struct buf *out);
/* Socket Mode links that are past hello and receive envelopes. */
unsigned bot_slack_links(struct bot *b);

#endif
