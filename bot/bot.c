/*
 * The daemon's life cycle (see bot.h): open the database, create the one
 * libwebsockets context that serves HTTP (a public and an internal
 * listener) and carries the Slack Socket Mode links, start the inbox
 * worker, service the loop until a signal asks to stop, then take
 * everything down in order so nothing is half-written.
 *
 * The loop thread's only database work is the inbox insert that must
 * precede each ack; everything else happens on the worker's thread.
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


/* Upper bounds (ms) of the ack latency buckets; the last bucket is +Inf. */
static const double bot_ack_bucket_ms[BOT_ACK_BUCKETS] = {0.25, 0.5, 1, 2, 5, 10, 25, 50, 100,
                                                          250, 1000};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Counts the acks of a committed batch by how long each envelope waited for its ack. */
static void observe_acks(struct bot *b)
{
    int64_t now = mono_us();
    for (unsigned i = 0; i < b->batch_n && i < BOT_BATCH_MAX; i++) {
        double ms = (double)(now - b->batch_arrived_us[i]) / 1000.0;
        size_t k = 0;
        while (k < BOT_ACK_BUCKETS && ms > bot_ack_bucket_ms[k])
            k++;
        b->ack_hist[k]++;
        b->ack_count++;
        b->ack_sum_s += ms / 1000.0;
    }
}

void bot_metrics(struct bot *b, struct buf *out)
{
    struct slack_ws_counters c = {0};
    struct store_outbox_counts oc = {0};
    struct bot_err err;
    if (b->ws != NULL)
        slack_ws_counters(b->ws, &c);
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
    if (b->ws != NULL)
        slack_ws_flush(b->ws, rc == BOT_OK);
    if (rc == BOT_OK)
        observe_acks(b);
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
    if (b->batch_n < BOT_BATCH_MAX)
        b->batch_arrived_us[b->batch_n] = mono_us();
    if (++b->batch_n >= BOT_BATCH_MAX)
        batch_commit(b);
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
    rc = worker_start(cfg, &b->write_lock, lanes, n_lanes, &b->worker, err);
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
        if (b->ws != NULL && slack_ws_failed(b->ws)) {
            log_error("Slack connection stopped", "error", slack_ws_error(b->ws));
            return BOT_ECONFIG;
        }
    }
    /* Commit what arrived, let the links close and their last acks go out, for at most 1 s. */
    batch_commit(b);
    if (b->ws == NULL)
        return BOT_OK;
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

int bot_internal_port(const struct bot *b)
{
    return b->internal_port;
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
    for (size_t i = 0; i < b->n_webhooks; i++)
        delivery_stop(b->webhooks[i]);
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
