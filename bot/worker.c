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

/* Records the effects and the envelope's end in one transaction. */
static enum bot_rc record(struct worker *w, const struct store_inbox_row *row,
                          const struct worker_effects *fx, const char *failure,
                          struct bot_err *err)
{
    enum bot_rc rc;
    int64_t now = store_now_ms();
    pthread_mutex_lock(w->write_lock);
    rc = store_begin(w->store, err);
    if (rc)
        goto out;
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
    if (rc == BOT_OK)
        rc = store_commit(w->store, err);
    else
        store_rollback(w->store);
out:
    pthread_mutex_unlock(w->write_lock);
    return rc;
}

static void process_one(struct worker *w, struct store_inbox_row *row)
{
    struct bot_err err = {{0}}, err2 = {{0}};
    struct worker_effects fx = {0};
    char id[32];
    snprintf(id, sizeof(id), "%lld", (long long)row->id);
    enum bot_rc rc = worker_decide(row->envelope_id, row->type, row->payload, &fx, &err);
    if (rc != BOT_OK)
        log_warn("envelope failed", "inbox_id", id, "type", row->type, "envelope_id",
                 row->envelope_id, "error", err.msg);
    if (record(w, row, &fx, rc == BOT_OK ? NULL : err.msg, &err2) != BOT_OK)
        log_error("cannot record an envelope's outcome; it is retried at the next start",
                  "inbox_id", id, "error", err2.msg);
    else if (fx.n > 0)
        delivery_wake(w->delivery);
    else
        log_debug("envelope processed", "inbox_id", id, "type", row->type);
    worker_effects_free(&fx);
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

        struct store_inbox_row row = {0};
        struct bot_err err;
        pthread_mutex_lock(w->write_lock);
        enum bot_rc rc = store_inbox_claim(w->store, store_now_ms(), &row, &err);
        pthread_mutex_unlock(w->write_lock);
        if (rc == BOT_OK) {
            process_one(w, &row);
            store_inbox_row_clear(&row);
            if (++since_checkpoint < WORKER_CHECKPOINT_EVERY)
                continue;
        } else if (rc != BOT_ENOTFOUND) {
            log_error("cannot read the inbox", "error", err.msg);
        }
        /* The loop thread's connection never checkpoints (an ack must not wait for it). */
        if (since_checkpoint > 0) {
            if (store_checkpoint(w->store, &err) != BOT_OK)
                log_warn("checkpoint failed", "error", err.msg);
            since_checkpoint = 0;
        }
        if (rc == BOT_OK)
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
    so.sync = cfg->store_fsync_every_commit ? STORE_SYNC_FULL : STORE_SYNC_NORMAL;
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
