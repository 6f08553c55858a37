/*
 * The inbox worker (see worker.h). It owns a second SQLite connection and
 * a Web API client, both used only on its thread, so that curl and slow SQL
 * never run on the loop thread that acks envelopes and serves HTTP.
 */
#include "worker.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "log.h"
#include "slack_api.h"
#include "store.h"
#include "store_inbox.h"
#include "xmalloc.h"

struct worker {
    const struct config *cfg;
    pthread_mutex_t *write_lock;  /* shared with the loop thread; see worker.h */
    struct store *store;
    struct slack_api *api;
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

/* Answers a slash command through its response_url: only the user sees it. */
static enum bot_rc reply_ephemeral(struct slack_api *api, const char *url, const char *text,
                                   struct bot_err *err)
{
    struct slack_api_result res = {0};
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "response_type", "ephemeral");
    cJSON_AddStringToObject(msg, "text", text);
    enum bot_rc rc = slack_api_post_url(api, url, msg, &res, err);
    cJSON_Delete(msg);
    slack_api_result_free(&res);
    return rc;
}

static enum bot_rc process_slash(struct slack_api *api, const cJSON *p, struct bot_err *err)
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
    if (rc == BOT_OK || rc == BOT_EINVAL)
        rc = reply_ephemeral(api, str_field(p, "response_url"), buf_str(&out.reply), err);
    else
        bot_err_set(err, rc, "%s: %s", call.command, bot_strerror(rc));
    cmd_result_free(&out);
    return rc;
}

enum bot_rc worker_process(struct slack_api *api, const char *type, const char *payload,
                           struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    cJSON *p = cJSON_Parse(payload);
    if (!cJSON_IsObject(p)) {
        rc = bot_err_set(err, BOT_EPROTO, "%s payload is not a JSON object", type);
        goto out;
    }
    if (strcmp(type, "slash_commands") == 0)
        rc = process_slash(api, p, err);
    /* events_api and interactive envelopes have no handler yet: recorded and done. */
out:
    cJSON_Delete(p);
    return rc;
}

static void process_one(struct worker *w, struct store_inbox_row *row)
{
    struct bot_err err = {{0}};
    char id[32];
    snprintf(id, sizeof(id), "%lld", (long long)row->id);
    enum bot_rc rc = worker_process(w->api, row->type, row->payload, &err);
    if (rc == BOT_OK) {
        pthread_mutex_lock(w->write_lock);
        rc = store_inbox_done(w->store, row->id, store_now_ms(), &err);
        pthread_mutex_unlock(w->write_lock);
        if (rc)
            log_error("cannot mark envelope done", "inbox_id", id, "error", err.msg);
        else
            log_debug("envelope processed", "inbox_id", id, "type", row->type,
                      "envelope_id", row->envelope_id);
        return;
    }
    pthread_mutex_lock(&w->lock);
    bool stopping = w->stop;
    pthread_mutex_unlock(&w->lock);
    if (stopping) {
        /* Interrupted by shutdown: left in processing, the next start picks it up again. */
        log_info("envelope interrupted by shutdown", "inbox_id", id, "envelope_id",
                 row->envelope_id);
        return;
    }
    log_warn("envelope failed", "inbox_id", id, "type", row->type, "envelope_id",
             row->envelope_id, "error", err.msg);
    struct bot_err err2;
    pthread_mutex_lock(w->write_lock);
    rc = store_inbox_fail(w->store, row->id, err.msg, store_now_ms(), &err2);
    pthread_mutex_unlock(w->write_lock);
    if (rc)
        log_error("cannot mark envelope failed", "inbox_id", id, "error", err2.msg);
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

enum bot_rc worker_start(const struct config *cfg, struct slack_rl *rl,
                         pthread_mutex_t *write_lock, struct worker **out, struct bot_err *err)
{
    enum bot_rc rc;
    struct worker *w = xcalloc(1, sizeof(*w));
    struct store_opts so;
    int64_t requeued = 0, failed = 0;

    *out = NULL;
    w->cfg = cfg;
    w->write_lock = write_lock;
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
    struct slack_api_opts ao = {
        .base_url = cfg->slack_api_base_url,
        .token = cfg->slack_bot_token,
        .timeout_ms = cfg->slack_call_timeout_seconds * 1000,
        .limiter = rl,
    };
    rc = slack_api_new(&ao, &w->api, err);
    if (rc)
        goto fail;
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
        slack_api_abort(w->api);
        pthread_join(w->thread, NULL);
    }
    slack_api_free(w->api);
    store_close(w->store);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}
