/*
 * struct bot, private to bot/: the single context passed explicitly to
 * every part of the daemon (STYLE.md habit 2). Other folders never see it.
 */
#ifndef INCIDENTD_BOT_INTERNAL_H
#define INCIDENTD_BOT_INTERNAL_H

#include <libwebsockets.h>
#include <pthread.h>
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

struct bot {
    const struct config *cfg;
    struct store *store;          /* the loop thread's connection: inbox inserts, /healthz */
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
    pthread_mutex_t write_lock;   /* serialises the database writers (loop and worker) */
    bool batch_open;              /* a group commit of envelopes is open (write_lock held) */
    unsigned batch_n;             /* envelopes in it */
    lws_sorted_usec_list_t batch_sul; /* commits it at the start of the next poll round */
    int64_t batch_arrived_us[BOT_BATCH_MAX];  /* monotonic arrival of each envelope of the batch */
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
 * Appends the Prometheus text exposition of the bot's metrics to out:
 * envelopes and acks, the ack latency histogram, Slack links, inbox and
 * outbox depth by state, open incidents. Loop thread only.
 */
void bot_metrics(struct bot *b, struct buf *out);
/* Socket Mode links that are past hello and receive envelopes. */
unsigned bot_slack_links(struct bot *b);

#endif
