/*
 * The daemon's life cycle (see bot.h): open the database, create the one
 * libwebsockets context that serves HTTP and carries the Slack Socket Mode
 * links, start the inbox worker, service the loop until a signal asks to
 * stop, then take everything down in order so nothing is half-written.
 *
 * The loop thread's only database work is the inbox insert that must
 * precede each ack; everything else happens on the worker's thread.
 */
#include "bot_internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "delivery.h"
#include "plan.h"
#include "http.h"
#include "log.h"
#include "slack_api.h"
#include "slack_ratelimit.h"
#include "slack_ws.h"
#include "store.h"
#include "store_inbox.h"
#include "worker.h"
#include "xmalloc.h"

#define BOT_TICK_US (200 * LWS_US_PER_MS) /* how often the loop checks the stop flag */
#define BOT_BATCH_MAX 256                 /* envelopes per group commit, at most */

bool bot_db_ok(struct bot *b)
{
    struct bot_err err;
    return b->store != NULL && store_ping(b->store, &err) == BOT_OK;
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

/*
 * Group commit: the envelopes that arrive in one poll round go into one
 * transaction, committed by batch_sul at the start of the next round, and
 * only then acked (SLACK_WS_DEFER). One commit (one fsync) per round instead
 * of one per envelope keeps acks fast under load without giving up "stored
 * before acked". The write lock is held from the first insert to the commit.
 */
static void batch_commit(struct bot *b)
{
    struct bot_err err;
    char n[24];
    if (!b->batch_open)
        return;
    lws_sul_cancel(&b->batch_sul);
    enum bot_rc rc = store_commit(b->store, &err);
    b->batch_open = false;
    pthread_mutex_unlock(&b->write_lock);
    if (rc) {
        snprintf(n, sizeof(n), "%u", b->batch_n);
        log_error("cannot store envelopes; not acking them", "count", n, "error", err.msg);
    }
    slack_ws_flush(b->ws, rc == BOT_OK);
    if (rc == BOT_OK)
        worker_wake(b->worker);
}

static void on_batch(lws_sorted_usec_list_t *sul)
{
    batch_commit(lws_container_of(sul, struct bot, batch_sul));
}

/* Socket Mode: store first, ack after the commit; a retry Slack sends again is acked and dropped. */
static int on_envelope(void *ud, const struct slack_envelope *env, cJSON **response)
{
    struct bot *b = ud;
    struct bot_err err;
    /*
     * A declare form with a mistake is answered in the ack, so Slack shows the
     * message under the field and keeps the form open; the check is pure and
     * quick. The envelope is stored all the same (the worker finds the same
     * mistake and changes nothing).
     */
    if (env->type == SLACK_ENV_INTERACTIVE && env->payload != NULL)
        plan_check_submission(env->payload, response);
    if (!b->batch_open) {
        pthread_mutex_lock(&b->write_lock);
        if (store_begin(b->store, &err) != BOT_OK) {
            pthread_mutex_unlock(&b->write_lock);
            log_error("cannot store envelope; not acking it", "envelope_id", env->envelope_id,
                      "type", env->type_name, "error", err.msg);
            return -1;
        }
        b->batch_open = true;
        b->batch_n = 0;
        lws_sul_schedule(b->lws, 0, &b->batch_sul, on_batch, 1);
    }
    char *payload = env->payload ? cJSON_PrintUnformatted(env->payload) : xstrdup("null");
    enum bot_rc rc = store_inbox_insert(b->store, env->envelope_id, env->event_id,
                                        env->type_name, payload, store_now_ms(), NULL, &err);
    free(payload);
    if (rc == BOT_EEXISTS) {
        /* Stored before, maybe earlier in this very batch: acked with it. */
        log_debug("duplicate envelope dropped", "envelope_id", env->envelope_id, "event_id",
                  env->event_id ? env->event_id : "");
        return SLACK_WS_DEFER;
    }
    if (rc) {
        log_error("cannot store envelope; not acking it", "envelope_id", env->envelope_id,
                  "type", env->type_name, "error", err.msg);
        return -1;
    }
    if (++b->batch_n >= BOT_BATCH_MAX)
        batch_commit(b);
    return SLACK_WS_DEFER;
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

enum bot_rc bot_open(const struct config *cfg, struct bot **out, struct bot_err *err)
{
    enum bot_rc rc;
    struct bot *b = xcalloc(1, sizeof(*b));
    struct store_opts so;

    *out = NULL;
    b->cfg = cfg;
    pthread_mutex_init(&b->write_lock, NULL);
    store_opts_init(&so);
    so.busy_timeout_ms = cfg->store_busy_timeout_ms;
    so.sync = cfg->store_fsync_every_commit ? STORE_SYNC_FULL : STORE_SYNC_NORMAL;
    so.autocheckpoint = 0; /* the worker checkpoints, so no ack waits for one */
    rc = store_open_opts(cfg->store_path, &so, &b->store, err);
    if (rc)
        goto fail;

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
    rc = slack_ws_new(&wo, &b->ws, err);
    if (rc)
        goto fail;
    b->rl = slack_rl_new();
    rc = delivery_start_lane(cfg, b->rl, &b->write_lock, DELIVERY_LANE_SLACK, &b->delivery, err);
    if (rc)
        goto fail;
    rc = delivery_start_lane(cfg, b->rl, &b->write_lock, DELIVERY_LANE_FAST, &b->fast, err);
    if (rc)
        goto fail;
    struct delivery *lanes[3] = {b->delivery, b->fast, NULL};
    size_t n_lanes = 2;
    if (delivery_statuspage_configured(cfg)) {
        /* The Atlassian mirror: only when configured, so no lane waits on a page that is not. */
        rc = delivery_start_lane(cfg, b->rl, &b->write_lock, DELIVERY_LANE_STATUSPAGE,
                                 &b->statuspage, err);
        if (rc)
            goto fail;
        lanes[n_lanes++] = b->statuspage;
    }
    rc = worker_start(cfg, &b->write_lock, lanes, n_lanes, &b->worker, err);
    if (rc)
        goto fail;

    b->protocols[0] = http_protocol;
    b->protocols[1] = *slack_ws_protocol(b->ws);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = cfg->http_port;
    info.iface = cfg->http_host;
    info.protocols = b->protocols;
    info.user = b;
    info.client_ssl_ca_filepath = ca; /* the wss:// links; NULL: the system CAs */
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                   LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
    b->lws = lws_create_context(&info);
    if (b->lws == NULL) {
        rc = bot_err_set(err, BOT_EIO, "[http] listen %s: cannot listen (address in use, or not "
                         "an address of this machine?)", cfg->http_listen);
        goto fail;
    }
    b->vhost = lws_get_vhost_by_name(b->lws, "default");
    b->http_port = b->vhost ? lws_get_vhost_listen_port(b->vhost) : cfg->http_port;
    rc = slack_ws_start(b->ws, b->lws, b->vhost, err);
    if (rc)
        goto fail;
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
        if (slack_ws_failed(b->ws)) {
            log_error("Slack connection stopped", "error", slack_ws_error(b->ws));
            return BOT_ECONFIG;
        }
    }
    /* Commit what arrived, let the links close and their last acks go out, for at most 1 s. */
    batch_commit(b);
    slack_ws_stop(b->ws);
    int64_t until = lws_now_usecs() + LWS_US_PER_SEC;
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

void bot_close(struct bot *b)
{
    if (b == NULL)
        return;
    batch_commit(b); /* nothing is acked after this: the links are stopping */
    if (b->lws && b->ws)
        slack_ws_stop(b->ws); /* a second call, after bot_run's, does nothing more */
    /* Worker and delivery go before the context; the worker first, as it wakes delivery. */
    worker_stop(b->worker);
    delivery_stop(b->delivery);
    delivery_stop(b->fast);
    delivery_stop(b->statuspage);
    if (b->lws) {
        lws_sul_cancel(&b->tick);
        lws_context_destroy(b->lws);
    }
    slack_ws_free(b->ws);
    slack_rl_free(b->rl);
    store_close(b->store);
    pthread_mutex_destroy(&b->write_lock);
    free(b);
}
