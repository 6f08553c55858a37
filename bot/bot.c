/*
 * The daemon's life cycle (see bot.h): open the database, create the one
 * libwebsockets context that serves HTTP (a public and an internal
 * listener) and carries the Slack Socket Mode links, start the inbox
 * worker, service the loop until a signal asks to stop, then take
 * everything down in order so nothing is half-written.
 *
 * The loop thread never waits on the database: it queues each envelope in
 * memory for the store thread, which stores them in groups (one commit for
 * all that arrived meanwhile) and hands them back; the loop then sends
 * exactly the acks whose commit succeeded. A locked or slow database delays
 * those acks only, never pings, other links or the HTTP listeners. The
 * loop's own connection only reads, for /healthz and /metrics.
 */
#include "bot_internal.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "delivery.h"
#include "hook.h"
#include "http.h"
#include "incident.h"
#include "log.h"
#include "plan.h"
#include "slack_api.h"
#include "slack_ratelimit.h"
#include "slack_ws.h"
#include "store.h"
#include "store_inbox.h"
#include "store_incident.h"
#include "store_outbox.h"
#include "worker.h"
#include "xmalloc.h"

#define BOT_TICK_US (200 * LWS_US_PER_MS) /* how often the loop checks the stop flag */
#define BOT_DRAIN_US (5 * LWS_US_PER_SEC)   /* at stop, how long queued envelopes may take */
#define BOT_RETRY_MIN_MS 50                 /* first wait after a failed commit, doubling */
#define BOT_RETRY_MAX_WAIT_MS 1000          /* longest wait between two attempts */

/* An envelope on its way to the inbox: queued by the loop, stored by the store thread. */
struct bot_env {
    struct bot_env *next;
    char *envelope_id, *event_id, *type_name, *payload; /* owned */
    size_t bytes;       /* of payload */
    int64_t arrived_us; /* monotonic */
    bool stored;        /* in the inbox (now or before: a retry Slack sent again) */
};


/* Upper bounds (ms) of the ack latency buckets; the last bucket is +Inf. */
static const double bot_ack_bucket_ms[BOT_ACK_BUCKETS] = {0.25, 0.5, 1, 2, 5, 10, 25, 50, 100,
                                                          250, 1000};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Counts an ack by how long its envelope waited for it. */
static void observe_ack(struct bot *b, int64_t waited_us)
{
    double ms = (double)waited_us / 1000.0;
    size_t k = 0;
    while (k < BOT_ACK_BUCKETS && ms > bot_ack_bucket_ms[k])
        k++;
    b->ack_hist[k]++;
    b->ack_count++;
    b->ack_sum_s += ms / 1000.0;
}

void bot_metrics(struct bot *b, struct buf *out)
{
    struct slack_ws_counters c = {0};
    struct store_outbox_counts oc = {0};
    struct bot_err err;
    struct bot_db_health h;
    if (b->ws != NULL)
        slack_ws_counters(b->ws, &c);
    bot_db_health(b, &h);
    (void)!buf_addf(out,
                    "# HELP incidentd_store_last_commit_timestamp_seconds When envelopes were "
                    "last committed to the inbox (Unix time; start-up before the first).\n"
                    "# TYPE incidentd_store_last_commit_timestamp_seconds gauge\n"
                    "incidentd_store_last_commit_timestamp_seconds %.3f\n"
                    "# HELP incidentd_store_commit_failures_total Failed commits of envelopes "
                    "(each one is retried).\n"
                    "# TYPE incidentd_store_commit_failures_total counter\n"
                    "incidentd_store_commit_failures_total %llu\n"
                    "# HELP incidentd_store_commit_failing 1 while the last commit of envelopes "
                    "failed.\n"
                    "# TYPE incidentd_store_commit_failing gauge\n"
                    "incidentd_store_commit_failing %d\n"
                    "# HELP incidentd_store_queue Envelopes received and not yet stored.\n"
                    "# TYPE incidentd_store_queue gauge\n"
                    "incidentd_store_queue %zu\n"
                    "# HELP incidentd_store_wait_seconds How long the oldest envelope not yet "
                    "stored has waited.\n"
                    "# TYPE incidentd_store_wait_seconds gauge\n"
                    "incidentd_store_wait_seconds %.3f\n"
                    "# HELP incidentd_envelopes_given_up_total Envelopes never stored, so not "
                    "acked (queue full, refused, or their commit failed for too long).\n"
                    "# TYPE incidentd_envelopes_given_up_total counter\n"
                    "incidentd_envelopes_given_up_total %llu\n",
                    (double)h.last_commit_ms / 1000.0, (unsigned long long)h.commit_failures,
                    h.commit_failing ? 1 : 0, h.queued, (double)h.waiting_ms / 1000.0,
                    (unsigned long long)h.given_up);
    (void)!buf_addf(out,
                    "# HELP incidentd_envelopes_total Socket Mode envelopes received.\n"
                    "# TYPE incidentd_envelopes_total counter\n"
                    "incidentd_envelopes_total %llu\n"
                    "# HELP incidentd_acks_total Acks written to Slack.\n"
                    "# TYPE incidentd_acks_total counter\n"
                    "incidentd_acks_total %llu\n"
                    "# HELP incidentd_not_acked_total Envelopes not acked (not stored).\n"
                    "# TYPE incidentd_not_acked_total counter\n"
                    "incidentd_not_acked_total %llu\n"
                    "# HELP incidentd_acks_lost_total Acks queued on a link that closed.\n"
                    "# TYPE incidentd_acks_lost_total counter\n"
                    "incidentd_acks_lost_total %llu\n"
                    "# HELP incidentd_slack_reconnects_total Socket Mode links replaced.\n"
                    "# TYPE incidentd_slack_reconnects_total counter\n"
                    "incidentd_slack_reconnects_total %llu\n"
                    "# HELP incidentd_slack_links Socket Mode links ready now.\n"
                    "# TYPE incidentd_slack_links gauge\n"
                    "incidentd_slack_links %llu\n",
                    (unsigned long long)c.envelopes, (unsigned long long)c.acks,
                    (unsigned long long)c.not_acked, (unsigned long long)c.acks_lost,
                    (unsigned long long)c.reconnects, (unsigned long long)c.links_ready);
    (void)!buf_addstr(out, "# HELP incidentd_ack_latency_seconds From an envelope's arrival to "
                           "its ack being queued (stored first).\n"
                           "# TYPE incidentd_ack_latency_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t k = 0; k < BOT_ACK_BUCKETS; k++) {
        cum += b->ack_hist[k];
        (void)!buf_addf(out, "incidentd_ack_latency_seconds_bucket{le=\"%g\"} %llu\n",
                        bot_ack_bucket_ms[k] / 1000.0, (unsigned long long)cum);
    }
    cum += b->ack_hist[BOT_ACK_BUCKETS];
    (void)!buf_addf(out, "incidentd_ack_latency_seconds_bucket{le=\"+Inf\"} %llu\n"
                         "incidentd_ack_latency_seconds_sum %.6f\n"
                         "incidentd_ack_latency_seconds_count %llu\n",
                    (unsigned long long)cum, b->ack_sum_s, (unsigned long long)b->ack_count);
    static const char *const states[] = {"pending", "processing", "done", "failed"};
    (void)!buf_addstr(out, "# HELP incidentd_inbox Stored envelopes by state.\n"
                           "# TYPE incidentd_inbox gauge\n");
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        int64_t n = 0;
        if (store_inbox_count(b->store, states[i], &n, &err) == BOT_OK)
            (void)!buf_addf(out, "incidentd_inbox{state=\"%s\"} %lld\n", states[i],
                            (long long)n);
    }
    if (store_outbox_counts(b->store, &oc, &err) == BOT_OK)
        (void)!buf_addf(out,
                        "# HELP incidentd_outbox Effects by state (failed: given up).\n"
                        "# TYPE incidentd_outbox gauge\n"
                        "incidentd_outbox{state=\"pending\"} %lld\n"
                        "incidentd_outbox{state=\"sending\"} %lld\n"
                        "incidentd_outbox{state=\"done\"} %lld\n"
                        "incidentd_outbox{state=\"failed\"} %lld\n",
                        (long long)oc.pending, (long long)oc.sending, (long long)oc.done,
                        (long long)oc.failed);
    struct store_incident *rows = NULL;
    size_t n = 0;
    if (store_incident_list_open(b->store, &rows, &n, &err) == BOT_OK) {
        size_t counts[SEV_COUNT] = {0};
        for (size_t i = 0; i < n; i++) {
            enum severity sev;
            if (plan_severity_parse(rows[i].severity, strlen(rows[i].severity), &sev))
                counts[sev]++;
        }
        (void)!buf_addstr(out, "# HELP incidentd_incidents_open Incidents being worked on, by "
                               "severity.\n# TYPE incidentd_incidents_open gauge\n");
        for (int sv = 0; sv < SEV_COUNT; sv++)
            (void)!buf_addf(out, "incidentd_incidents_open{severity=\"%s\"} %zu\n",
                            plan_severity_name((enum severity)sv), counts[sv]);
        store_incident_list_free(rows, n);
    }
}

bool bot_db_ok(struct bot *b)
{
    struct bot_err err;
    return b->store != NULL && store_ping(b->store, &err) == BOT_OK;
}

void bot_db_health(struct bot *b, struct bot_db_health *h)
{
    memset(h, 0, sizeof(*h));
    h->ping_ok = bot_db_ok(b);
    pthread_mutex_lock(&b->q_mu);
    h->commit_failing = b->st_failing;
    h->queued = b->q_n;
    h->waiting_ms = b->q_oldest_us ? (mono_us() - b->q_oldest_us) / 1000 : 0;
    h->last_commit_ms = b->st_last_commit_ms;
    h->commit_failures = b->st_failures;
    h->given_up = b->st_given_up;
    memcpy(h->error, b->st_error, sizeof(h->error));
    pthread_mutex_unlock(&b->q_mu);
}

int bot_healthz(struct bot *b, struct buf *out)
{
    struct bot_db_health h;
    bot_db_health(b, &h);
    unsigned links = bot_slack_links(b);
    /*
     * Failing (503) only for the database, whose trouble the operator must
     * fix: a ping that fails, or envelopes that cannot be committed (then
     * nothing new is acked). Degraded while envelopes wait long for their
     * commit. A Slack outage is not fixed by a restart.
     */
    const char *status = "ok", *db = "ok";
    int code = 200;
    if (!h.ping_ok) {
        status = db = "failing";
        code = 503;
    } else if (h.commit_failing) {
        status = "failing";
        db = "cannot commit";
        code = 503;
    } else if (h.waiting_ms >= BOT_STORE_SLOW_MS) {
        status = "degraded";
        db = "slow";
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", status);
    cJSON_AddStringToObject(o, "database", db);
    cJSON_AddStringToObject(o, "slack", b->cfg->slack_local != NULL ? "console"
                                        : links > 0                 ? "connected"
                                                                    : "disconnected");
    cJSON_AddNumberToObject(o, "slack_links", links);
    if (h.commit_failing)
        cJSON_AddStringToObject(o, "database_error", h.error);
    cJSON_AddNumberToObject(o, "envelopes_waiting", (double)h.queued);
    cJSON_AddNumberToObject(o, "oldest_wait_ms", (double)h.waiting_ms);
    cJSON_AddNumberToObject(o, "last_commit_ms", (double)h.last_commit_ms);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (buf_addstr(out, text) != BOT_OK || buf_addstr(out, "\n") != BOT_OK)
        code = 500;
    free(text);
    return code;
}

unsigned bot_slack_links(struct bot *b)
{
    struct slack_ws_counters c;
    if (b->ws == NULL)
        return 0;
    slack_ws_counters(b->ws, &c);
    return (unsigned)c.links_ready;
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
    struct bot *b = lws_container_of(sul, struct bot, tick);
    lws_sul_schedule(b->lws, 0, &b->tick, on_tick, BOT_TICK_US);
}

static void env_free(struct bot_env *e)
{
    free(e->envelope_id);
    free(e->event_id);
    free(e->type_name);
    free(e->payload);
    free(e);
}

static void env_list_free(struct bot_env *e)
{
    while (e != NULL) {
        struct bot_env *next = e->next;
        env_free(e);
        e = next;
    }
}

/*
 * Inserts the envelopes of batch in one transaction under the write lock
 * (the store thread's connection). A duplicate (Slack sent it again, maybe
 * in this very batch) counts as stored: it is acked and dropped. An
 * envelope the inbox refuses by itself (empty or overlong id, payload over
 * the limit) is left unstored and the others go on. Any other failure rolls
 * the whole batch back: nothing of it is stored and it is tried again.
 */
static enum bot_rc store_batch(struct bot *b, struct bot_env *batch, struct bot_err *err)
{
    struct store *st = b->st_store;
    enum bot_rc rc;
    for (struct bot_env *e = batch; e != NULL; e = e->next)
        e->stored = false;
    atomic_fetch_add(&b->store_waiting, 1); /* the worker commits and lets us in early */
    pthread_mutex_lock(&b->write_lock);
    atomic_fetch_sub(&b->store_waiting, 1);
    rc = store_begin(st, err);
    if (rc)
        goto out;
    for (struct bot_env *e = batch; e != NULL; e = e->next) {
        struct bot_err ierr;
        enum bot_rc irc = store_inbox_insert(st, e->envelope_id, e->event_id, e->type_name,
                                             e->payload, store_now_ms(), NULL, &ierr);
        if (irc == BOT_OK || irc == BOT_EEXISTS) {
            e->stored = true;
            if (irc == BOT_EEXISTS)
                log_debug("duplicate envelope dropped", "envelope_id", e->envelope_id,
                          "event_id", e->event_id ? e->event_id : "");
        } else if ((irc == BOT_EINVAL || irc == BOT_ETOOBIG) && store_in_txn(st)) {
            log_error("envelope refused by the inbox; not acking it", "envelope_id",
                      e->envelope_id, "type", e->type_name, "error", ierr.msg);
        } else {
            *err = ierr;
            rc = irc;
            store_rollback(st);
            goto out;
        }
    }
    rc = store_commit(st, err); /* rolls back by itself when it fails */
out:
    pthread_mutex_unlock(&b->write_lock);
    if (rc)
        for (struct bot_env *e = batch; e != NULL; e = e->next)
            e->stored = false;
    return rc;
}

/* Moves list (n envelopes, done with: stored or given up) to the loop's list. Under q_mu. */
static void hand_back(struct bot *b, struct bot_env *list, struct bot_env *last, size_t n)
{
    if (list == NULL)
        return;
    for (struct bot_env *e = list; e != NULL; e = e->next) {
        b->q_bytes -= e->bytes;
        if (!e->stored)
            b->st_given_up++;
    }
    b->q_n -= n;
    if (b->d_tail)
        b->d_tail->next = list;
    else
        b->d_head = list;
    b->d_tail = last;
    if (!b->q_quit)
        lws_cancel_service(b->lws); /* under q_mu and !q_quit: the context is alive */
}

/*
 * The store thread. It takes what the loop queued (up to a batch), stores
 * it, and hands it back in arrival order, so the loop's n-th result is the
 * n-th deferred ack of slack_ws. A failed commit is retried with a growing
 * pause, taking in what arrived meanwhile; envelopes still unstored after
 * BOT_STORE_RETRY_MAX_MS are given up (not acked: Slack retries events).
 */
static void *store_main(void *arg)
{
    struct bot *b = arg;
    struct bot_env *batch = NULL, *last = NULL;
    size_t n = 0;
    unsigned failed = 0;
    pthread_mutex_lock(&b->q_mu);
    for (;;) {
        while (b->q_head == NULL && batch == NULL && !b->q_stop)
            pthread_cond_wait(&b->q_cv, &b->q_mu);
        while (b->q_head != NULL && n < BOT_BATCH_MAX) {
            struct bot_env *e = b->q_head;
            b->q_head = e->next;
            if (b->q_head == NULL)
                b->q_tail = NULL;
            e->next = NULL;
            if (last)
                last->next = e;
            else
                batch = e;
            last = e;
            n++;
        }
        if (batch == NULL)
            break; /* stopping, and nothing is left */
        if (b->q_quit) {
            hand_back(b, batch, last, n); /* not stored: not acked */
            batch = last = NULL;
            n = 0;
            continue;
        }
        pthread_mutex_unlock(&b->q_mu);

        struct bot_err err;
        enum bot_rc rc = store_batch(b, batch, &err);
        if (rc == BOT_OK)
            worker_wake(b->worker);

        pthread_mutex_lock(&b->q_mu);
        if (rc == BOT_OK) {
            if (b->st_failing) {
                char k[24];
                snprintf(k, sizeof(k), "%u", failed);
                log_info("envelopes are stored again", "failed_commits", k);
            }
            b->st_failing = false;
            b->st_error[0] = '\0';
            b->st_last_commit_ms = store_now_ms();
            failed = 0;
            hand_back(b, batch, last, n);
            batch = last = NULL;
            n = 0;
        } else {
            b->st_failures++;
            if (!b->st_failing)
                log_error("cannot store envelopes; their acks wait, retrying", "error",
                          err.msg);
            b->st_failing = true;
            snprintf(b->st_error, sizeof(b->st_error), "%s", err.msg);
            failed++;
            /* Give up the envelopes retried too long: a prefix, as the batch is in order. */
            int64_t too_old = mono_us() - (int64_t)BOT_STORE_RETRY_MAX_MS * 1000;
            struct bot_env *gone = batch, *gone_last = NULL;
            size_t gone_n = 0;
            while (batch != NULL && batch->arrived_us < too_old) {
                gone_last = batch;
                batch = batch->next;
                gone_n++;
            }
            if (gone_n > 0) {
                char k[24];
                gone_last->next = NULL;
                if (batch == NULL)
                    last = NULL;
                n -= gone_n;
                snprintf(k, sizeof(k), "%zu", gone_n);
                log_error("envelopes given up after retrying their commit; not acked", "count",
                          k, "error", err.msg);
                hand_back(b, gone, gone_last, gone_n);
            }
            /* A pause (new arrivals do not cut it short), unless told to quit. */
            int64_t wait_ms = (int64_t)BOT_RETRY_MIN_MS << (failed < 6 ? failed - 1 : 5);
            if (wait_ms > BOT_RETRY_MAX_WAIT_MS)
                wait_ms = BOT_RETRY_MAX_WAIT_MS;
            int64_t until = mono_us() + wait_ms * 1000;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += (time_t)(wait_ms / 1000);
            ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            while (!b->q_quit && mono_us() < until &&
                   pthread_cond_timedwait(&b->q_cv, &b->q_mu, &ts) != ETIMEDOUT)
                ;
        }
        /* q_oldest_us: the oldest envelope not yet handed back */
        b->q_oldest_us = batch ? batch->arrived_us : b->q_head ? b->q_head->arrived_us : 0;
    }
    b->q_oldest_us = 0;
    pthread_mutex_unlock(&b->q_mu);
    return NULL;
}

/*
 * The loop's side: the envelopes the store thread is done with get their
 * acks (stored) or are dropped (not stored: no ack), in arrival order.
 */
static void ack_stored(struct bot *b)
{
    pthread_mutex_lock(&b->q_mu);
    struct bot_env *e = b->d_head;
    b->d_head = b->d_tail = NULL;
    pthread_mutex_unlock(&b->q_mu);
    int64_t now = mono_us();
    while (e != NULL) {
        struct bot_env *next = e->next;
        if (b->ws != NULL)
            (void)slack_ws_flush_one(b->ws, e->stored);
        if (e->stored)
            observe_ack(b, now - e->arrived_us);
        env_free(e);
        e = next;
    }
}

/* True while envelopes wait for the store thread or for their acks. */
static bool env_queue_busy(struct bot *b)
{
    pthread_mutex_lock(&b->q_mu);
    bool busy = b->q_n > 0 || b->d_head != NULL;
    pthread_mutex_unlock(&b->q_mu);
    return busy;
}

static enum bot_rc store_thread_start(struct bot *b, struct bot_err *err)
{
    b->st_last_commit_ms = store_now_ms(); /* the database opened: nothing waited yet */
    if (pthread_create(&b->q_thread, NULL, store_main, b) != 0)
        return bot_err_set(err, BOT_EIO, "cannot start the store thread");
    b->q_started = true;
    return BOT_OK;
}

/* Ends the store thread: what it has not stored is not acked. Before the context goes. */
static void store_thread_end(struct bot *b)
{
    pthread_mutex_lock(&b->q_mu);
    b->q_stop = b->q_quit = true;
    pthread_cond_signal(&b->q_cv);
    pthread_mutex_unlock(&b->q_mu);
    if (b->q_started)
        pthread_join(b->q_thread, NULL);
    b->q_started = false;
    env_list_free(b->q_head);
    env_list_free(b->d_head);
    b->q_head = b->q_tail = b->d_head = b->d_tail = NULL;
}

/*
 * Socket Mode: queued for the store thread, acked once it is committed
 * (SLACK_WS_DEFER); a retry Slack sends again is acked and dropped there.
 * Nothing here waits on the database.
 */
static int on_envelope(void *ud, const struct slack_envelope *env, cJSON **response)
{
    struct bot *b = ud;
    /*
     * A declare form with a mistake is answered in the ack, so Slack shows the
     * message under the field and keeps the form open; the check is pure and
     * quick. The envelope is stored all the same (the worker finds the same
     * mistake and changes nothing).
     */
    if (env->type == SLACK_ENV_INTERACTIVE && env->payload != NULL)
        plan_check_submission(env->payload, response);
    struct bot_env *e = xcalloc(1, sizeof(*e));
    e->envelope_id = xstrdup(env->envelope_id);
    e->event_id = env->event_id ? xstrdup(env->event_id) : NULL;
    e->type_name = xstrdup(env->type_name);
    e->payload = env->payload ? cJSON_PrintUnformatted(env->payload) : xstrdup("null");
    e->bytes = strlen(e->payload);
    e->arrived_us = mono_us();
    const char *why = NULL;
    pthread_mutex_lock(&b->q_mu);
    if (b->q_stop || !b->q_started)
        why = "stopping";
    else if (b->q_n >= BOT_STORE_QUEUE_MAX || b->q_bytes + e->bytes > BOT_STORE_QUEUE_MAX_BYTES)
        why = "too many envelopes wait for the database (BOT_STORE_QUEUE_MAX)";
    if (why == NULL) {
        if (b->q_tail)
            b->q_tail->next = e;
        else
            b->q_head = e;
        b->q_tail = e;
        if (b->q_n == 0)
            b->q_oldest_us = e->arrived_us;
        b->q_n++;
        b->q_bytes += e->bytes;
        pthread_cond_signal(&b->q_cv);
    } else {
        b->st_given_up++;
    }
    pthread_mutex_unlock(&b->q_mu);
    if (why != NULL) {
        log_error("cannot store envelope; not acking it", "envelope_id", env->envelope_id,
                  "type", env->type_name, "error", why);
        env_free(e);
        return -1;
    }
    return SLACK_WS_DEFER;
}

enum bot_rc bot_inject(struct bot *b, struct store *s, const char *envelope_id, const char *type,
                       const char *payload, struct bot_err *err)
{
    pthread_mutex_lock(&b->write_lock);
    enum bot_rc rc =
        store_inbox_insert(s, envelope_id, NULL, type, payload, store_now_ms(), NULL, err);
    pthread_mutex_unlock(&b->write_lock);
    if (rc == BOT_OK)
        worker_wake(b->worker);
    return rc;
}

static void on_note(void *ud, enum slack_ws_note note, unsigned link, const char *msg)
{
    (void)ud;
    char l[16];
    snprintf(l, sizeof(l), "%u", link);
    enum log_level lvl = LOG_INFO;
    switch (note) {
    case SLACK_WS_NOTE_CONNECTING:
    case SLACK_WS_NOTE_READY:
    case SLACK_WS_NOTE_RETIRING:
        lvl = LOG_INFO;
        break;
    case SLACK_WS_NOTE_FATAL:
        lvl = LOG_ERROR;
        break;
    default:
        lvl = LOG_WARN;
        break;
    }
    log_msg(lvl, "slack link", "event", slack_ws_note_name(note), "link", l, "detail",
            msg ? msg : "", NULL);
}

/*
 * Webhook events waiting in a lane that no configured webhook drains: its
 * [[webhooks]] entry was removed or renamed (or, unnamed, its URL changed).
 * They are kept, not dropped, and said at start so that an operator can
 * restore the name; nothing else would ever show them.
 */
static void warn_orphan_lanes(struct bot *b)
{
    char **targets = NULL;
    size_t n = 0;
    struct bot_err err;
    if (store_outbox_waiting_targets(b->store, &targets, &n, &err) != BOT_OK) {
        log_warn("cannot list the outbox's lanes", "error", err.msg);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (strncmp(targets[i], HOOK_LANE_PREFIX, strlen(HOOK_LANE_PREFIX)) == 0 &&
            cfg_webhook_by_lane(b->cfg, targets[i]) == NULL)
            log_warn("webhook events wait for a webhook that is not configured; give a "
                     "[[webhooks]] entry that name to send them",
                     "lane", targets[i]);
    }
    store_outbox_targets_free(targets, n);
}

enum bot_rc bot_open(const struct config *cfg, struct bot **out, struct bot_err *err)
{
    enum bot_rc rc;
    struct bot *b = xcalloc(1, sizeof(*b));
    struct store_opts so;

    *out = NULL;
    b->cfg = cfg;
    pthread_mutex_init(&b->write_lock, NULL);
    pthread_mutex_init(&b->q_mu, NULL);
    pthread_cond_init(&b->q_cv, NULL);
    store_opts_init(&so);
    so.busy_timeout_ms = cfg->store_busy_timeout_ms;
    so.sync = cfg->store_fsync_every_commit ? STORE_SYNC_FULL : STORE_SYNC_NORMAL;
    so.autocheckpoint = 0; /* the worker checkpoints, so no ack waits for one */
    rc = store_open_opts(cfg->store_path, &so, &b->store, err);
    if (rc)
        goto fail;
    if (cfg->slack_local == NULL) {
        /* The store thread's: the commits that precede acks (and fsync, see design.md). */
        rc = store_open_opts(cfg->store_path, &so, &b->st_store, err);
        if (rc)
            goto fail;
    }

    const char *ca = cfg->slack_ca_file[0] ? cfg->slack_ca_file : NULL;
    if (ca != NULL && access(ca, R_OK) != 0) {
        rc = bot_err_set(err, BOT_ECONFIG, "[slack] ca_file %s: %s", ca, strerror(errno));
        goto fail;
    }
    struct slack_ws_opts wo = {
        .app_token = cfg->slack_app_token,
        .api_base_url = cfg->slack_api_base_url,
        .ca_file = ca,
        .connections = (unsigned)cfg->slack_connections,
        .stall_ms = cfg->slack_stall_seconds * 1000,
        .on_envelope = on_envelope,
        .on_note = on_note,
        .ud = b,
    };
    if (cfg->slack_local == NULL) { /* console mode has no Socket Mode links */
        rc = slack_ws_new(&wo, &b->ws, err);
        if (rc)
            goto fail;
    }
    b->rl = slack_rl_new();
    rc = delivery_start_lane(cfg, b->rl, &b->write_lock, DELIVERY_LANE_SLACK, &b->delivery, err);
    if (rc)
        goto fail;
    rc = delivery_start_lane(cfg, b->rl, &b->write_lock, DELIVERY_LANE_FAST, &b->fast, err);
    if (rc)
        goto fail;
    struct delivery *lanes[WORKER_MAX_DELIVERIES] = {b->delivery, b->fast};
    size_t n_lanes = 2;
    if (delivery_statuspage_configured(cfg)) {
        /* The Atlassian mirror: only when configured, so no lane waits on a page that is not. */
        rc = delivery_start_lane(cfg, b->rl, &b->write_lock, DELIVERY_LANE_STATUSPAGE,
                                 &b->statuspage, err);
        if (rc)
            goto fail;
        lanes[n_lanes++] = b->statuspage;
    }
    /*
     * A lane per webhook: an endpoint that is down (each attempt waiting for its
     * timeout, then backing off) holds up only its own events.
     */
    for (size_t i = 0; i < cfg->n_webhooks && i < CFG_MAX_WEBHOOKS; i++) {
        if (cfg->webhooks[i].secret == NULL) {
            /* Console mode reads no secrets: its webhooks are off, like the mirror (worker.c). */
            log_info("webhook off: no secret loaded", "webhook", cfg->webhooks[i].name);
            continue;
        }
        rc = delivery_start_lane(cfg, b->rl, &b->write_lock, cfg->webhooks[i].lane,
                                 &b->webhooks[b->n_webhooks], err);
        if (rc)
            goto fail;
        lanes[n_lanes++] = b->webhooks[b->n_webhooks++];
    }
    warn_orphan_lanes(b);
    rc = worker_start(cfg, &b->write_lock, &b->store_waiting, lanes, n_lanes, &b->worker, err);
    if (rc)
        goto fail;

    /*
     * One context, two listeners (vhosts): the public one serves the status page and
     * carries the Slack links (client connections need a vhost with their protocol); the
     * internal one serves /healthz and /metrics. http.c tells them apart by vhost name.
     */
    b->protocols[0] = http_protocol;
    if (b->ws != NULL)
        b->protocols[1] = *slack_ws_protocol(b->ws); /* else the zero terminator */
    b->internal_protocols[0] = http_protocol;
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.user = b;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    b->lws = lws_create_context(&info);
    if (b->lws == NULL) {
        rc = bot_err_set(err, BOT_EIO, "cannot create the network context (libwebsockets)");
        goto fail;
    }
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                   LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
    info.vhost_name = HTTP_VHOST_PUBLIC;
    info.port = cfg->http_port;
    info.iface = cfg->http_host;
    info.protocols = b->protocols;
    info.client_ssl_ca_filepath = ca; /* the wss:// links; NULL: the system CAs */
    /* Both listeners (kept for the internal one): headers due within the header timeout,
       an idle keep-alive connection closed after the idle one (see http.h). */
    info.timeout_secs_ah_idle = (unsigned)cfg->http_header_timeout_seconds;
    info.keepalive_timeout = (int)cfg->http_idle_timeout_seconds;
    b->vhost = lws_create_vhost(b->lws, &info);
    if (b->vhost == NULL) {
        rc = bot_err_set(err, BOT_EIO, "[http] listen %s: cannot listen (address in use, or not "
                         "an address of this machine?)", cfg->http_listen);
        goto fail;
    }
    /* No TLS client here: without the global-init option lws makes no client context for it. */
    info.options = LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
    info.vhost_name = HTTP_VHOST_INTERNAL;
    info.port = cfg->http_internal_port;
    info.iface = cfg->http_internal_host;
    info.protocols = b->internal_protocols;
    info.client_ssl_ca_filepath = NULL;
    b->internal_vhost = lws_create_vhost(b->lws, &info);
    if (b->internal_vhost == NULL) {
        rc = bot_err_set(err, BOT_EIO, "[http] internal_listen %s: cannot listen (address in "
                         "use, or not an address of this machine?)", cfg->http_internal_listen);
        goto fail;
    }
    b->http_port = lws_get_vhost_listen_port(b->vhost);
    b->internal_port = lws_get_vhost_listen_port(b->internal_vhost);
    if (b->ws != NULL) {
        rc = store_thread_start(b, err);
        if (rc)
            goto fail;
        rc = slack_ws_start(b->ws, b->lws, b->vhost, err);
        if (rc)
            goto fail;
    }
    *out = b;
    return BOT_OK;
fail:
    bot_close(b);
    return rc;
}

enum bot_rc bot_run(struct bot *b, volatile sig_atomic_t *stop)
{
    b->stop = stop;
    lws_sul_schedule(b->lws, 0, &b->tick, on_tick, BOT_TICK_US);
    while (!*stop) {
        if (lws_service(b->lws, 0) < 0)
            return BOT_EIO;
        ack_stored(b); /* the store thread woke us (lws_cancel_service) or not: cheap */
        if (b->ws != NULL && slack_ws_failed(b->ws)) {
            log_error("Slack connection stopped", "error", slack_ws_error(b->ws));
            return BOT_ECONFIG;
        }
    }
    if (b->ws == NULL)
        return BOT_OK;
    /*
     * Store what arrived (no more is taken) and send its acks, for at most
     * BOT_DRAIN_US; then let the links close and their last acks go out, for
     * at most 1 s. What is still unstored then is not acked: Slack retries it.
     */
    pthread_mutex_lock(&b->q_mu);
    b->q_stop = true;
    pthread_cond_signal(&b->q_cv);
    pthread_mutex_unlock(&b->q_mu);
    int64_t until = lws_now_usecs() + BOT_DRAIN_US;
    while (env_queue_busy(b) && lws_now_usecs() < until) {
        if (lws_service(b->lws, 0) < 0)
            break;
        ack_stored(b);
    }
    slack_ws_stop(b->ws);
    until = lws_now_usecs() + LWS_US_PER_SEC;
    struct slack_ws_counters c;
    do {
        if (lws_service(b->lws, 0) < 0)
            break;
        slack_ws_counters(b->ws, &c);
    } while (c.links_ready > 0 && lws_now_usecs() < until);
    return BOT_OK;
}

int bot_http_port(const struct bot *b)
{
    return b->http_port;
}

int bot_internal_port(const struct bot *b)
{
    return b->internal_port;
}

void bot_close(struct bot *b)
{
    if (b == NULL)
        return;
    /* Nothing is acked after this: the links are stopping. Before the context goes. */
    store_thread_end(b);
    if (b->lws && b->ws)
        slack_ws_stop(b->ws); /* a second call, after bot_run's, does nothing more */
    /* Worker and delivery go before the context; the worker first, as it wakes delivery. */
    worker_stop(b->worker);
    delivery_stop(b->delivery);
    delivery_stop(b->fast);
    delivery_stop(b->statuspage);
    for (size_t i = 0; i < b->n_webhooks; i++)
        delivery_stop(b->webhooks[i]);
    if (b->lws) {
        lws_sul_cancel(&b->tick);
        lws_context_destroy(b->lws);
    }
    slack_ws_free(b->ws);
    slack_rl_free(b->rl);
    store_close(b->store);
    store_close(b->st_store);
    pthread_cond_destroy(&b->q_cv);
    pthread_mutex_destroy(&b->q_mu);
    pthread_mutex_destroy(&b->write_lock);
    free(b);
}
