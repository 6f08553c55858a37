/*
 * The inbox worker (see worker.h). It owns a second SQLite connection, used
 * only on its thread, so that slow SQL never runs on the loop thread that
 * acks envelopes and serves HTTP; it makes no network calls at all.
 */
#include "worker.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "delivery.h"
#include "log.h"
#include "store.h"
#include "store_inbox.h"
#include "store_outbox.h"
#include "xmalloc.h"

struct worker {
    const struct config *cfg;
    pthread_mutex_t *write_lock;  /* shared with the loop and delivery; see worker.h */
    struct delivery *delivery;
    struct store *store;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, kicked;
};

static const char *str_field(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void worker_effects_free(struct worker_effects *fx)
{
    for (size_t i = 0; i < fx->n; i++) {
        free(fx->e[i].kind);
        free(fx->e[i].payload);
        free(fx->e[i].idem);
    }
    fx->n = 0;
}

static void add_effect(struct worker_effects *fx, const char *kind, cJSON *payload, char *idem)
{
    if (fx->n == WORKER_MAX_EFFECTS)
        abort(); /* a handler producing more is a bug, not bad input */
    struct worker_effect *e = &fx->e[fx->n++];
    e->kind = xstrdup(kind);
    e->payload = cJSON_PrintUnformatted(payload);
    e->idem = idem;
}

/* A reply only the user sees, through the slash command's response_url. */
static void reply_ephemeral(struct worker_effects *fx, const char *envelope_id, const char *url,
                            const char *text)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "url", url);
    cJSON *msg = cJSON_AddObjectToObject(p, "message");
    cJSON_AddStringToObject(msg, "response_type", "ephemeral");
    cJSON_AddStringToObject(msg, "text", text);
    add_effect(fx, "slack.respond", p, xasprintf("reply/%s", envelope_id));
    cJSON_Delete(p);
}

static enum bot_rc decide_slash(const char *envelope_id, const cJSON *p,
                                struct worker_effects *fx, struct bot_err *err)
{
    static const char *const required[] = {"command", "text", "user_id", "channel_id",
                                           "response_url"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (str_field(p, required[i]) == NULL)
            return bot_err_set(err, BOT_EPROTO, "slash command payload: \"%s\" is missing or "
                               "not a string", required[i]);
    struct cmd_call call = {
        .command = str_field(p, "command"),
        .user_id = str_field(p, "user_id"),
        .channel_id = str_field(p, "channel_id"),
    };
    const char *text = str_field(p, "text");
    struct cmd_result out;
    cmd_result_init(&out);
    enum bot_rc rc = cmd_run(&call, text, strlen(text), &out);
    /* A user's mistake is answered like any other reply; it is not a failure of ours. */
    if (rc == BOT_OK || rc == BOT_EINVAL) {
        reply_ephemeral(fx, envelope_id, str_field(p, "response_url"), buf_str(&out.reply));
        rc = BOT_OK;
    } else {
        bot_err_set(err, rc, "%s: %s", call.command, bot_strerror(rc));
    }
    cmd_result_free(&out);
    return rc;
}

enum bot_rc worker_decide(const char *envelope_id, const char *type, const char *payload,
                          struct worker_effects *fx, struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    cJSON *p = cJSON_Parse(payload);
    if (!cJSON_IsObject(p)) {
        rc = bot_err_set(err, BOT_EPROTO, "%s payload is not a JSON object", type);
        goto out;
    }
    if (strcmp(type, "slash_commands") == 0)
        rc = decide_slash(envelope_id, p, fx, err);
    /* events_api and interactive envelopes have no handler yet: recorded and done. */
out:
    cJSON_Delete(p);
    return rc;
}

/* Writes one envelope's effects and its end; inside the caller's transaction. */
static enum bot_rc record_one(struct worker *w, const struct store_inbox_row *row,
                              const struct worker_effects *fx, const char *failure, int64_t now,
                              struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    for (size_t i = 0; i < fx->n && rc == BOT_OK; i++) {
        struct store_effect e = {
            .kind = fx->e[i].kind,
            .target = "slack",
            .payload = fx->e[i].payload,
            .idem_key = fx->e[i].idem,
        };
        rc = store_outbox_enqueue(w->store, &e, now, NULL, err);
        if (rc == BOT_EEXISTS)
            rc = BOT_OK; /* recorded by an attempt that crashed before its commit ended */
    }
    if (rc == BOT_OK)
        rc = failure ? store_inbox_fail(w->store, row->id, failure, now, err)
                     : store_inbox_done(w->store, row->id, now, err);
    return rc;
}

/*
 * Claims up to WORKER_BATCH pending envelopes in one transaction. Few, short
 * write transactions matter: each one holds the write lock the loop thread
 * needs for its next group commit, so per-envelope transactions would show
 * up directly as ack latency.
 */
static size_t claim_batch(struct worker *w, struct store_inbox_row *rows, struct bot_err *err,
                          enum bot_rc *rcp)
{
    size_t n = 0;
    enum bot_rc rc;
    pthread_mutex_lock(w->write_lock);
    rc = store_begin(w->store, err);
    while (rc == BOT_OK && n < WORKER_BATCH) {
        rc = store_inbox_claim(w->store, store_now_ms(), &rows[n], err);
        if (rc == BOT_OK)
            n++;
    }
    if (rc == BOT_ENOTFOUND)
        rc = BOT_OK;
    if (rc == BOT_OK && store_in_txn(w->store))
        rc = store_commit(w->store, err);
    if (rc) {
        store_rollback(w->store);
        for (size_t i = 0; i < n; i++)
            store_inbox_row_clear(&rows[i]);
        n = 0;
    }
    pthread_mutex_unlock(w->write_lock);
    *rcp = rc;
    return n;
}

/* Decides every claimed envelope, then records all outcomes in one transaction. */
static void process_batch(struct worker *w, struct store_inbox_row *rows, size_t n)
{
    struct worker_effects fx[WORKER_BATCH];
    struct bot_err why[WORKER_BATCH];
    enum bot_rc decided[WORKER_BATCH];
    struct bot_err err = {{0}};
    size_t effects = 0;
    char id[32];

    for (size_t i = 0; i < n; i++) {
        memset(&fx[i], 0, sizeof(fx[i]));
        why[i].msg[0] = '\0';
        decided[i] = worker_decide(rows[i].envelope_id, rows[i].type, rows[i].payload, &fx[i],
                                   &why[i]);
        effects += fx[i].n;
        if (decided[i] != BOT_OK) {
            snprintf(id, sizeof(id), "%lld", (long long)rows[i].id);
            log_warn("envelope failed", "inbox_id", id, "type", rows[i].type, "envelope_id",
                     rows[i].envelope_id, "error", why[i].msg);
        }
    }
    int64_t now = store_now_ms();
    pthread_mutex_lock(w->write_lock);
    enum bot_rc rc = store_begin(w->store, &err);
    for (size_t i = 0; i < n && rc == BOT_OK; i++)
        rc = record_one(w, &rows[i], &fx[i], decided[i] == BOT_OK ? NULL : why[i].msg, now,
                        &err);
    if (rc == BOT_OK)
        rc = store_commit(w->store, &err);
    else
        store_rollback(w->store);
    pthread_mutex_unlock(w->write_lock);
    if (rc != BOT_OK) {
        char count[24];
        snprintf(count, sizeof(count), "%zu", n);
        log_error("cannot record the outcome of envelopes; they are retried at the next start",
                  "count", count, "error", err.msg);
    } else if (effects > 0) {
        delivery_wake(w->delivery);
    }
    for (size_t i = 0; i < n; i++)
        worker_effects_free(&fx[i]);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    unsigned since_checkpoint = 1; /* one at start: the WAL may be long after a crash */
    for (;;) {
        pthread_mutex_lock(&w->lock);
        bool stop = w->stop;
        w->kicked = false;
        pthread_mutex_unlock(&w->lock);
        if (stop)
            break;

        struct store_inbox_row rows[WORKER_BATCH];
        struct bot_err err;
        enum bot_rc rc;
        size_t n = claim_batch(w, rows, &err, &rc);
        if (rc != BOT_OK)
            log_error("cannot read the inbox", "error", err.msg);
        if (n > 0) {
            process_batch(w, rows, n);
            for (size_t i = 0; i < n; i++)
                store_inbox_row_clear(&rows[i]);
            since_checkpoint += (unsigned)n;
            if (since_checkpoint < WORKER_CHECKPOINT_EVERY)
                continue;
        }
        /* The loop thread's connection never checkpoints (an ack must not wait for it). */
        if (since_checkpoint > 0) {
            if (store_checkpoint(w->store, &err) != BOT_OK)
                log_warn("checkpoint failed", "error", err.msg);
            since_checkpoint = 0;
        }
        if (n > 0)
            continue;

        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += WORKER_POLL_MS / 1000;
        pthread_mutex_lock(&w->lock);
        while (!w->stop && !w->kicked) {
            if (pthread_cond_timedwait(&w->cond, &w->lock, &until) != 0)
                break;
        }
        pthread_mutex_unlock(&w->lock);
    }
    return NULL;
}

enum bot_rc worker_start(const struct config *cfg, pthread_mutex_t *write_lock,
                         struct delivery *delivery, struct worker **out, struct bot_err *err)
{
    enum bot_rc rc;
    struct worker *w = xcalloc(1, sizeof(*w));
    struct store_opts so;
    int64_t requeued = 0, failed = 0;

    *out = NULL;
    w->cfg = cfg;
    w->write_lock = write_lock;
    w->delivery = delivery;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    store_opts_init(&so);
    so.busy_timeout_ms = cfg->store_busy_timeout_ms;
    /*
     * The worker's commits need no fsync of their own: the envelopes were made
     * durable by the loop's commit before they were acked, and if a power cut
     * loses a worker commit, the envelopes go back to pending and are decided
     * again (the outbox's idempotency keys keep that from doubling effects).
     * An fsync here would be made while holding the write lock the loop needs.
     */
    so.sync = STORE_SYNC_NORMAL;
    rc = store_open_opts(cfg->store_path, &so, &w->store, err);
    if (rc)
        goto fail;
    rc = store_inbox_recover(w->store, WORKER_MAX_ATTEMPTS, store_now_ms(), &requeued, &failed,
                             err);
    if (rc)
        goto fail;
    if (requeued || failed) {
        char a[32], b[32];
        snprintf(a, sizeof(a), "%lld", (long long)requeued);
        snprintf(b, sizeof(b), "%lld", (long long)failed);
        log_info("resuming envelopes left by the previous run", "requeued", a, "failed", b);
    }
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        rc = bot_err_set(err, BOT_EIO, "cannot start the worker thread");
        goto fail;
    }
    w->started = true;
    *out = w;
    return BOT_OK;
fail:
    worker_stop(w);
    return rc;
}

void worker_wake(struct worker *w)
{
    pthread_mutex_lock(&w->lock);
    w->kicked = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void worker_stop(struct worker *w)
{
    if (w == NULL)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->stop = true;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
    }
    store_close(w->store);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}
