/*
 * The Socket Mode client (see slack_ws.h). It owns the link table, the ack
 * queues, the timers (one lws_sul per link plus one that decides when to
 * open links), and the helper thread that fetches websocket URLs. The rule
 * that keeps it simple: the loop thread owns every field except the
 * `h_*` hand-over fields, which are under `mu`; the helper thread touches
 * nothing else, and calls into lws only for lws_cancel_service(), under
 * `mu` and only while `h_quit` is false, so it can never wake a context
 * that is being destroyed.
 *
 * A link goes FREE -> CONNECTING -> OPEN (socket up) -> READY (hello) ->
 * FREE, and CLOSING on the way out when this side closes it. A link that
 * Slack asks to refresh is `retiring`: it keeps receiving and acking, but no
 * longer counts toward `connections`, so a replacement is opened; once the
 * replacement is READY the retiring link is closed after drain_ms.
 */
#include "slack_ws.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "slack_api.h"
#include "slack_backoff.h"
#include "xmalloc.h"

#define MAX_LINKS     (2 * SLACK_WS_MAX_CONNECTIONS) /* room for a replacement of every link */
#define RX_CHUNK      16384         /* lws rx buffer: frames larger than this come in pieces */
#define RX_KEEP       (64 * 1024)   /* a reassembly buffer grown past this is released after use */
#define SHORT_LIFE_US (1000 * 1000) /* a link closed this soon after hello counts as a failure */
#define RETIRE_MAX_US                                                                              \
    (30 * 1000000LL) /* a replaced link still busy is closed after this anyway                     \
                      */
#define PING_PAYLOAD "incidentd"

enum link_state { L_FREE = 0, L_CONNECTING, L_OPEN, L_READY, L_CLOSING };

struct ack {
    struct ack *next;
    size_t len;
    unsigned char data[]; /* LWS_PRE bytes of headroom, then len bytes of frame */
};

struct link {
    struct slack_ws *ws;
    unsigned id;
    enum link_state state;
    bool retiring; /* Slack asked for a refresh; not counted toward connections */
    bool replaced; /* its replacement is READY: close at close_at_us */
    bool kill;     /* cut without a close handshake (stall, close timeout) */
    bool refused;  /* Slack said too_many_websockets on it: its backoff is already decided */
    bool want_ping;
    bool rx_discard; /* the frame being received is dropped (over max_frame or binary) */
    bool rx_binary;
    size_t rx_dropped; /* bytes of the dropped frame, for the note */
    struct lws *wsi;
    struct buf rx;
    struct ack *ack_head, *ack_tail;
    size_t ack_bytes;
    int64_t opened_us, ready_us, last_rx_us, last_text_us, last_ping_us, closing_us;
    int64_t replaced_us; /* when its replacement became READY */
    lws_sorted_usec_list_t sul;
    char url[SLACK_WS_MAX_URL]; /* lws_parse_uri cuts this up in place */
    char path[SLACK_WS_MAX_URL + 1];
};

/* An envelope whose handler answered SLACK_WS_DEFER: acked (or not) at the next flush. */
struct deferred {
    struct deferred *next;
    unsigned link_id;   /* the link it arrived on; gone by the flush means the ack is lost */
    cJSON *response;    /* owned */
    char envelope_id[]; /* NUL-terminated */
};

struct slack_ws {
    struct slack_ws_opts o; /* defaults applied; strings below */
    char *app_token, *token_name, *api_base_url, *ca_file;
    struct lws_protocols proto;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    struct link links[MAX_LINKS];
    unsigned next_id;
    bool started, stopping, fatal;
    char fatal_msg[BOT_ERR_MAX];
    unsigned failures;       /* consecutive; reset by a hello */
    int64_t next_attempt_us; /* no new link before this */
    /*
     * After too_many_websockets: until tm_until_us at most tm_cap links are
     * wanted (the ones that still worked when a link was refused, at least
     * one), so the links that work are kept and replaced as usual, and only
     * the refused one waits.
     */
    int64_t tm_until_us;
    unsigned tm_cap;
    bool url_pending;        /* the helper is fetching a URL for us */
    lws_sorted_usec_list_t sul_reconcile;
    struct slack_ws_counters n;
    uint64_t rng;
    struct buf ackbuf; /* scratch for encoding acks */
    struct deferred *def_head, *def_tail; /* acks held for slack_ws_flush(), in arrival order */

    /* helper thread and its hand-over fields (h_*: under mu) */
    struct slack_api *api; /* used by the helper thread only */
    pthread_t helper;
    bool helper_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool h_want, h_have, h_quit, h_fatal;
    enum bot_rc h_rc;
    char *h_url;
    struct bot_err h_err;
};

static const char *const note_names[] = {
    [SLACK_WS_NOTE_CONNECTING] = "connecting",
    [SLACK_WS_NOTE_READY] = "ready",
    [SLACK_WS_NOTE_RETIRING] = "retiring",
    [SLACK_WS_NOTE_CLOSED] = "closed",
    [SLACK_WS_NOTE_CONNECT_FAILED] = "connect_failed",
    [SLACK_WS_NOTE_BACKOFF] = "backoff",
    [SLACK_WS_NOTE_STALL] = "stall",
    [SLACK_WS_NOTE_BAD_FRAME] = "bad_frame",
    [SLACK_WS_NOTE_UNKNOWN_TYPE] = "unknown_type",
    [SLACK_WS_NOTE_OVERSIZE] = "oversize",
    [SLACK_WS_NOTE_NOT_ACKED] = "not_acked",
    [SLACK_WS_NOTE_FATAL] = "fatal",
};

const char *slack_ws_note_name(enum slack_ws_note note)
{
    if ((int)note < 0 || (size_t)note >= sizeof(note_names) / sizeof(note_names[0]) ||
        note_names[note] == NULL)
        return "unknown";
    return note_names[note];
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void note(struct slack_ws *ws, enum slack_ws_note kind, unsigned link, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void note(struct slack_ws *ws, enum slack_ws_note kind, unsigned link, const char *fmt, ...)
{
    if (ws->o.on_note == NULL)
        return;
    char msg[BOT_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    else if ((size_t)n >= sizeof(msg))
        memcpy(msg + sizeof(msg) - 4, "...", 4); /* a cut note says so */
    ws->o.on_note(ws->o.ud, kind, link, msg);
}

/* ---- helper thread: apps.connections.open ----------------------------- */

/* Runs on the helper thread. Fills url or err; *fatal when retrying cannot help. */
static enum bot_rc fetch_url(struct slack_ws *ws, char **url, bool *fatal, struct bot_err *err)
{
    struct slack_api_result res = {0};
    *url = NULL;
    *fatal = false;
    enum bot_rc rc = slack_api_call(ws->api, "apps.connections.open", NULL, &res, err);
    if (rc == BOT_EREMOTE) {
        enum slack_api_errclass cls = slack_api_error_class(res.error);
        if (cls == SLACK_ERRC_AUTH || strcmp(res.error, "missing_args") == 0 ||
            strcmp(res.error, "forbidden_team") == 0) {
            *fatal = true;
            bot_err_set(err, rc,
                        "Slack refused the app-level token (%s): check %s (an xapp- token with "
                        "connections:write)",
                        res.error, ws->token_name);
        }
    } else if (rc == BOT_OK) {
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(res.body, "url");
        if (!cJSON_IsString(u) || u->valuestring[0] == '\0')
            rc = bot_err_set(err, BOT_EPROTO, "apps.connections.open answered without a url");
        else if (strlen(u->valuestring) >= SLACK_WS_MAX_URL)
            rc = bot_err_set(err, BOT_ETOOBIG, "apps.connections.open url over %d bytes",
                             SLACK_WS_MAX_URL);
        else
            *url = xstrdup(u->valuestring);
    }
    slack_api_result_free(&res);
    return rc;
}

static void *helper_main(void *arg)
{
    struct slack_ws *ws = arg;
    pthread_mutex_lock(&ws->mu);
    for (;;) {
        while (!ws->h_want && !ws->h_quit)
            pthread_cond_wait(&ws->cv, &ws->mu);
        if (ws->h_quit)
            break;
        ws->h_want = false;
        pthread_mutex_unlock(&ws->mu);

        struct bot_err err = {{0}};
        char *url = NULL;
        bool fatal = false;
        enum bot_rc rc = fetch_url(ws, &url, &fatal, &err);

        pthread_mutex_lock(&ws->mu);
        if (ws->h_quit) {
            free(url);
            break;
        }
        free(ws->h_url);
        ws->h_url = url;
        ws->h_rc = rc;
        ws->h_fatal = fatal;
        ws->h_err = err;
        ws->h_have = true;
        lws_cancel_service(ws->ctx); /* under mu and !h_quit: the context is alive */
    }
    pthread_mutex_unlock(&ws->mu);
    return NULL;
}

/* ---- link bookkeeping ------------------------------------------------------ */

static void schedule_reconcile(struct slack_ws *ws, int64_t delay_us);
static void link_tick(lws_sorted_usec_list_t *sul);
static void stop_helper(struct slack_ws *ws);

static int64_t tick_us(const struct slack_ws *ws)
{
    long t = 1000;
    if (ws->o.ping_interval_ms > 0 && ws->o.ping_interval_ms < t)
        t = ws->o.ping_interval_ms;
    if (ws->o.stall_ms / 4 < t)
        t = ws->o.stall_ms / 4;
    if (ws->o.hello_timeout_ms / 4 < t)
        t = ws->o.hello_timeout_ms / 4;
    if (ws->o.drain_ms > 0 && ws->o.drain_ms < t)
        t = ws->o.drain_ms;
    if (t < 20)
        t = 20;
    return (int64_t)t * 1000;
}

static unsigned count_active(const struct slack_ws *ws)
{
    unsigned n = 0;
    for (size_t i = 0; i < MAX_LINKS; i++) {
        const struct link *l = &ws->links[i];
        if (l->state != L_FREE && l->state != L_CLOSING && !l->retiring)
            n++;
    }
    return n;
}

static void ack_queue_clear(struct link *l)
{
    struct ack *a = l->ack_head;
    while (a) {
        struct ack *next = a->next;
        free(a);
        a = next;
    }
    l->ack_head = l->ack_tail = NULL;
    l->ack_bytes = 0;
}

static size_t ack_queue_len(const struct link *l)
{
    size_t n = 0;
    for (const struct ack *a = l->ack_head; a; a = a->next)
        n++;
    return n;
}

/* Releases a slot whose wsi is gone (or never was). */
static void link_release(struct link *l)
{
    struct slack_ws *ws = l->ws;
    if (l->state == L_READY && ws->n.links_ready > 0)
        ws->n.links_ready--;
    size_t lost = ack_queue_len(l);
    ws->n.acks_lost += lost;
    ack_queue_clear(l);
    lws_sul_cancel(&l->sul);
    buf_free(&l->rx);
    memset(l, 0, sizeof(*l));
}

/* Counts a failed attempt and delays the next link by the backoff. */
static void failure(struct slack_ws *ws, unsigned link, const char *why)
{
    int64_t delay_ms = slack_backoff_ms(ws->failures, ws->o.backoff_base_ms, ws->o.backoff_cap_ms,
                                        slack_rand_next(&ws->rng));
    ws->failures++;
    ws->n.connect_failures++;
    ws->n.errors++;
    int64_t at = mono_us() + delay_ms * 1000;
    if (at > ws->next_attempt_us)
        ws->next_attempt_us = at;
    if (!ws->stopping)
        note(ws, SLACK_WS_NOTE_CONNECT_FAILED, link, "%s; next attempt in %lld ms", why,
             (long long)((ws->next_attempt_us - mono_us()) / 1000));
}

static void fatal_stop(struct slack_ws *ws, const char *msg)
{
    if (ws->fatal)
        return;
    ws->fatal = true;
    snprintf(ws->fatal_msg, sizeof(ws->fatal_msg), "%s", msg); /* both are BOT_ERR_MAX */
    note(ws, SLACK_WS_NOTE_FATAL, 0, "%s", msg);
    slack_ws_stop(ws);
}

/* Asks lws for a graceful close (acks first) or, with kill, an immediate cut. */
static void link_close(struct link *l, bool kill)
{
    if (l->wsi == NULL)
        return;
    if (l->state == L_READY && l->ws->n.links_ready > 0)
        l->ws->n.links_ready--;
    if (l->state != L_CLOSING) {
        l->state = L_CLOSING;
        l->closing_us = mono_us();
    }
    if (kill || l->kill) {
        l->kill = true;
        lws_set_timeout(l->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return;
    }
    lws_callback_on_writable(l->wsi);
}

static bool is_loopback(const char *host)
{
    return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
           strcmp(host, "::1") == 0 || strcmp(host, "[::1]") == 0;
}

/* Opens a link to url (loop thread). Failures are counted and backed off. */
static void link_open(struct slack_ws *ws, const char *url)
{
    struct link *l = NULL;
    for (size_t i = 0; i < MAX_LINKS && l == NULL; i++)
        if (ws->links[i].state == L_FREE)
            l = &ws->links[i];
    if (l == NULL) {
        failure(ws, 0, "no free link slot");
        return;
    }
    memset(l, 0, sizeof(*l));
    l->ws = ws;
    l->id = ++ws->next_id;
    buf_init(&l->rx, ws->o.max_frame);
    int n = snprintf(l->url, sizeof(l->url), "%s", url);

    const char *prot = NULL, *addr = NULL, *path = NULL;
    int port = 0;
    if (n < 0 || (size_t)n >= sizeof(l->url) ||
        lws_parse_uri(l->url, &prot, &addr, &port, &path) != 0 || addr == NULL || addr[0] == '\0') {
        link_release(l);
        failure(ws, 0, "apps.connections.open gave a URL that does not parse");
        return;
    }
    bool tls = strcmp(prot, "wss") == 0;
    if (!tls && strcmp(prot, "ws") != 0) {
        link_release(l);
        failure(ws, 0, "apps.connections.open gave a URL that is not ws:// or wss://");
        return;
    }
    if (!tls && !is_loopback(addr)) {
        char msg[BOT_ERR_MAX];
        snprintf(msg, sizeof(msg),
                 "refusing unencrypted ws:// to %.100s (only loopback may skip TLS)", addr);
        link_release(l);
        fatal_stop(ws, msg);
        return;
    }
    /* path is a piece of url, so it fits; checked all the same */
    n = snprintf(l->path, sizeof(l->path), "/%s", path ? path : "");
    if (n < 0 || (size_t)n >= sizeof(l->path)) {
        link_release(l);
        failure(ws, 0, "apps.connections.open gave an overlong URL");
        return;
    }

    struct lws_client_connect_info i;
    memset(&i, 0, sizeof(i));
    i.context = ws->ctx;
    i.vhost = ws->vh;
    i.address = addr;
    i.port = port;
    i.path = l->path;
    i.host = addr;
    i.origin = addr;
    i.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
    i.protocol = NULL; /* Slack speaks no ws subprotocol */
    i.local_protocol_name = ws->proto.name;
    i.pwsi = &l->wsi;
    i.opaque_user_data = l;

    l->state = L_CONNECTING;
    l->opened_us = l->last_rx_us = l->last_text_us = mono_us();
    unsigned id = l->id;
    note(ws, SLACK_WS_NOTE_CONNECTING, id, "%s://%s:%d", prot, addr, port);
    lws_sul_schedule(ws->ctx, 0, &l->sul, link_tick, tick_us(ws));
    struct lws *wsi = lws_client_connect_via_info(&i);
    /* The connect may already have failed inside lws (CONNECTION_ERROR released the slot). */
    if (wsi == NULL && l->state == L_CONNECTING && l->id == id) {
        link_release(l);
        failure(ws, id, "websocket connect failed at once");
    }
}

/* ---- the reconcile timer: open links until `connections` are up ---------- */

static void poll_helper(struct slack_ws *ws)
{
    char *url = NULL;
    enum bot_rc rc;
    bool fatal;
    struct bot_err err;

    pthread_mutex_lock(&ws->mu);
    if (!ws->h_have) {
        pthread_mutex_unlock(&ws->mu);
        return;
    }
    ws->h_have = false;
    url = ws->h_url;
    ws->h_url = NULL;
    rc = ws->h_rc;
    fatal = ws->h_fatal;
    err = ws->h_err;
    pthread_mutex_unlock(&ws->mu);

    ws->url_pending = false;
    if (ws->stopping) {
        free(url);
        return;
    }
    if (fatal) {
        fatal_stop(ws, err.msg);
    } else if (rc != BOT_OK) {
        failure(ws, 0, err.msg);
    } else {
        link_open(ws, url);
    }
    free(url);
    schedule_reconcile(ws, 0);
}

/* How many links to hold now: `connections`, fewer for a while after too_many_websockets. */
static unsigned links_wanted(const struct slack_ws *ws, int64_t now)
{
    unsigned want = ws->o.connections;
    if (now < ws->tm_until_us) {
        unsigned cap = ws->tm_cap > 0 ? ws->tm_cap : 1; /* never settle for no link */
        if (cap < want)
            want = cap;
    }
    return want;
}

static void reconcile(lws_sorted_usec_list_t *sul)
{
    struct slack_ws *ws = lws_container_of(sul, struct slack_ws, sul_reconcile);
    poll_helper(ws);
    if (ws->stopping || ws->url_pending)
        return;
    int64_t now = mono_us();
    unsigned want = links_wanted(ws, now);
    if (count_active(ws) >= want) {
        if (want < ws->o.connections)
            schedule_reconcile(ws, ws->tm_until_us - now); /* grow back when the wait ends */
        return;
    }
    if (now < ws->next_attempt_us) {
        schedule_reconcile(ws, ws->next_attempt_us - now);
        return;
    }
    ws->url_pending = true;
    pthread_mutex_lock(&ws->mu);
    ws->h_want = true;
    pthread_cond_signal(&ws->cv);
    pthread_mutex_unlock(&ws->mu);
}

static void schedule_reconcile(struct slack_ws *ws, int64_t delay_us)
{
    if (ws->stopping || ws->ctx == NULL)
        return;
    lws_sul_schedule(ws->ctx, 0, &ws->sul_reconcile, reconcile, delay_us > 0 ? delay_us : 1);
}

/* ---- per-link timer: pings, stalls, hello timeout, drain, close timeout -- */

static void link_tick(lws_sorted_usec_list_t *sul)
{
    struct link *l = lws_container_of(sul, struct link, sul);
    struct slack_ws *ws = l->ws;
    int64_t now = mono_us();

    if (l->state == L_FREE || l->wsi == NULL)
        return;
    if (l->state == L_CLOSING) {
        if (now - l->closing_us > (int64_t)ws->o.close_timeout_ms * 1000)
            link_close(l, true);
    } else if ((l->state == L_CONNECTING || l->state == L_OPEN) &&
               now - l->opened_us > (int64_t)ws->o.hello_timeout_ms * 1000) {
        ws->n.stalls++;
        note(ws, SLACK_WS_NOTE_STALL, l->id, "no hello within %ld ms", ws->o.hello_timeout_ms);
        link_close(l, true); /* counted as a failure when it is gone */
    } else if (l->state == L_READY && now - l->last_rx_us > (int64_t)ws->o.stall_ms * 1000) {
        ws->n.stalls++;
        note(ws, SLACK_WS_NOTE_STALL, l->id, "nothing received for %lld ms",
             (long long)((now - l->last_rx_us) / 1000));
        link_close(l, true);
    } else if (l->state == L_READY && l->replaced &&
               (now - l->last_text_us >= (int64_t)ws->o.drain_ms * 1000 ||
                now - l->replaced_us >= RETIRE_MAX_US)) {
        /*
         * Slack may still route envelopes to a link it warned about, and a
         * frame in flight when we close would be lost (slash commands and
         * interactions are never redelivered). So the old link goes once it
         * has been quiet for drain_ms, or when Slack closes it.
         */
        link_close(l, false);
    } else if (l->state == L_READY && ws->o.ping_interval_ms > 0 &&
               now - l->last_ping_us >= (int64_t)ws->o.ping_interval_ms * 1000) {
        l->want_ping = true;
        l->last_ping_us = now;
        lws_callback_on_writable(l->wsi);
    }
    lws_sul_schedule(ws->ctx, 0, &l->sul, link_tick, tick_us(ws));
}

/* ---- frames ---------------------------------------------------------------- */

static void on_hello(struct link *l, const struct slack_envelope *env)
{
    struct slack_ws *ws = l->ws;
    if (l->state != L_OPEN)
        return; /* a second hello changes nothing */
    l->state = L_READY;
    l->ready_us = mono_us();
    l->last_ping_us = l->ready_us;
    ws->n.links_ready++;
    ws->failures = 0;
    note(ws, SLACK_WS_NOTE_READY, l->id, "hello (Slack counts %d connections, refresh in ~%ld s)",
         env->num_connections, env->approximate_connection_time);
    /* This link may be the replacement of a retiring one: let the oldest one go. */
    struct link *old = NULL;
    for (size_t i = 0; i < MAX_LINKS; i++) {
        struct link *o = &ws->links[i];
        if (o != l && o->state == L_READY && o->retiring && !o->replaced &&
            (old == NULL || o->id < old->id))
            old = o;
    }
    if (old) {
        old->replaced = true;
        old->replaced_us = mono_us();
    }
    schedule_reconcile(ws, 0);
}

static void on_disconnect(struct link *l, const struct slack_envelope *env)
{
    struct slack_ws *ws = l->ws;
    const char *why = env->reason_name ? env->reason_name : "(no reason)";
    ws->n.disconnects++;
    switch (env->reason) {
    case SLACK_DISC_LINK_DISABLED: {
        char msg[BOT_ERR_MAX];
        snprintf(msg, sizeof(msg),
                 "Slack disabled Socket Mode for this app (link_disabled): enable it in the app "
                 "settings, and check that %s belongs to this app",
                 ws->token_name);
        fatal_stop(ws, msg);
        return;
    }
    case SLACK_DISC_TOO_MANY_WEBSOCKETS: {
        /*
         * Slack refuses this one link (it counts others of this app, maybe of
         * another process). The links that work are kept and still replaced
         * when they go; only the number of links is held at theirs for
         * too_many_backoff_ms. Refused with no other link: one link is tried
         * again after the ordinary backoff, as after any failed connect, so
         * the bot is never left without a link for the whole wait.
         */
        int64_t now = mono_us();
        if (l->refused)
            return; /* said twice on one link */
        l->refused = true;
        l->retiring = true; /* not counted from now on */
        unsigned kept = count_active(ws);
        int64_t until = now + (int64_t)ws->o.too_many_backoff_ms * 1000;
        if (until > ws->tm_until_us)
            ws->tm_until_us = until;
        ws->tm_cap = kept;
        if (kept == 0) {
            int64_t delay_ms = slack_backoff_ms(ws->failures, ws->o.backoff_base_ms,
                                                ws->o.backoff_cap_ms, slack_rand_next(&ws->rng));
            ws->failures++;
            if (now + delay_ms * 1000 > ws->next_attempt_us)
                ws->next_attempt_us = now + delay_ms * 1000;
            note(ws, SLACK_WS_NOTE_BACKOFF, l->id,
                 "too_many_websockets with no other link: next link in %lld ms",
                 (long long)delay_ms);
        } else {
            note(ws, SLACK_WS_NOTE_BACKOFF, l->id,
                 "too_many_websockets: keeping %u link(s), no more for %ld ms", kept,
                 ws->o.too_many_backoff_ms);
        }
        link_close(l, false);
        schedule_reconcile(ws, 0);
        return;
    }
    case SLACK_DISC_WARNING:
    case SLACK_DISC_REFRESH_REQUESTED:
    case SLACK_DISC_OTHER:
    case SLACK_DISC_NONE:
        break;
    }
    if (!l->retiring) {
        l->retiring = true;
        ws->n.reconnects++;
        note(ws, SLACK_WS_NOTE_RETIRING, l->id, "disconnect %s: opening a replacement first", why);
        schedule_reconcile(ws, 0);
    }
}

static void queue_ack(struct link *l, const char *envelope_id, cJSON *response)
{
    struct slack_ws *ws = l->ws;
    struct bot_err err = {{0}};
    buf_reset(&ws->ackbuf);
    enum bot_rc rc = slack_envelope_ack(&ws->ackbuf, envelope_id, response, &err);
    if (rc != BOT_OK && response != NULL) {
        note(ws, SLACK_WS_NOTE_NOT_ACKED, l->id, "response for %s dropped: %s", envelope_id,
             err.msg);
        buf_reset(&ws->ackbuf);
        rc = slack_envelope_ack(&ws->ackbuf, envelope_id, NULL, &err);
    }
    if (rc == BOT_OK && l->ack_bytes + ws->ackbuf.len > SLACK_WS_MAX_ACK_QUEUE)
        rc = bot_err_set(&err, BOT_ETOOBIG, "ack queue over SLACK_WS_MAX_ACK_QUEUE");
    if (rc != BOT_OK) {
        ws->n.not_acked++;
        note(ws, SLACK_WS_NOTE_NOT_ACKED, l->id, "%s not acked: %s", envelope_id, err.msg);
        return;
    }
    struct ack *a = xmalloc(sizeof(*a) + LWS_PRE + ws->ackbuf.len);
    a->next = NULL;
    a->len = ws->ackbuf.len;
    memcpy(a->data + LWS_PRE, ws->ackbuf.data, a->len);
    if (l->ack_tail)
        l->ack_tail->next = a;
    else
        l->ack_head = a;
    l->ack_tail = a;
    l->ack_bytes += a->len;
    lws_callback_on_writable(l->wsi);
}

static void on_frame(struct link *l, const char *text, size_t len)
{
    struct slack_ws *ws = l->ws;
    struct slack_envelope env;
    struct bot_err err = {{0}};
    if (slack_envelope_parse(text, len, &env, &err) != BOT_OK) {
        ws->n.bad_frames++;
        ws->n.errors++;
        note(ws, SLACK_WS_NOTE_BAD_FRAME, l->id, "%s", err.msg);
        return;
    }
    switch (env.type) {
    case SLACK_ENV_HELLO:
        on_hello(l, &env);
        break;
    case SLACK_ENV_DISCONNECT:
        on_disconnect(l, &env);
        break;
    case SLACK_ENV_UNKNOWN:
        ws->n.unknown_frames++;
        ws->n.errors++;
        note(ws, SLACK_WS_NOTE_UNKNOWN_TYPE, l->id, "frame type \"%.64s\" (envelope %.64s) dropped",
             env.type_name, env.envelope_id ? env.envelope_id : "-");
        break;
    case SLACK_ENV_EVENTS_API:
    case SLACK_ENV_INTERACTIVE:
    case SLACK_ENV_SLASH_COMMANDS: {
        cJSON *response = NULL;
        ws->n.envelopes++;
        int r = ws->o.on_envelope(ws->o.ud, &env, &response);
        if (r == SLACK_WS_DEFER) {
            size_t idlen = strlen(env.envelope_id);
            struct deferred *d = xmalloc(sizeof(*d) + idlen + 1);
            d->next = NULL;
            d->link_id = l->id;
            d->response = response;
            response = NULL;
            memcpy(d->envelope_id, env.envelope_id, idlen + 1);
            if (ws->def_tail)
                ws->def_tail->next = d;
            else
                ws->def_head = d;
            ws->def_tail = d;
        } else if (r != 0) {
            ws->n.not_acked++;
            note(ws, SLACK_WS_NOTE_NOT_ACKED, l->id, "%s %s refused by the handler (%d)",
                 env.type_name, env.envelope_id, r);
        } else {
            queue_ack(l, env.envelope_id, response); /* lost (and counted) if the link is being cut */
        }
        cJSON_Delete(response);
        break;
    }
    }
    slack_envelope_free(&env);
}

static void on_receive(struct link *l, struct lws *wsi, const void *in, size_t len)
{
    struct slack_ws *ws = l->ws;
    l->last_rx_us = l->last_text_us = mono_us();
    if (lws_frame_is_binary(wsi))
        l->rx_binary = true;
    if (!l->rx_discard && !l->rx_binary && buf_add(&l->rx, in, len) != BOT_OK) {
        l->rx_discard = true;
        l->rx_dropped = l->rx.len;
        buf_reset(&l->rx);
    }
    if (l->rx_discard || l->rx_binary)
        l->rx_dropped += len;
    if (!lws_is_final_fragment(wsi))
        return;
    if (l->rx_binary) {
        ws->n.bad_frames++;
        ws->n.errors++;
        note(ws, SLACK_WS_NOTE_BAD_FRAME, l->id, "binary frame of %zu bytes dropped",
             l->rx_dropped);
    } else if (l->rx_discard) {
        ws->n.oversize_frames++;
        ws->n.errors++;
        note(ws, SLACK_WS_NOTE_OVERSIZE, l->id, "frame of %zu bytes over the %zu byte cap dropped",
             l->rx_dropped, ws->o.max_frame);
    } else {
        on_frame(l, l->rx.data ? l->rx.data : "", l->rx.len);
    }
    l->rx_discard = l->rx_binary = false;
    l->rx_dropped = 0;
    if (l->rx.cap > RX_KEEP)
        buf_free(&l->rx); /* keep memory flat after a rare huge frame */
    else
        buf_reset(&l->rx);
}

static int on_writeable(struct link *l, struct lws *wsi)
{
    struct slack_ws *ws = l->ws;
    if (l->ack_head) {
        struct ack *a = l->ack_head;
        int n = lws_write(wsi, a->data + LWS_PRE, a->len, LWS_WRITE_TEXT);
        if (n < 0 || (size_t)n < a->len)
            return -1; /* the socket is broken: close; the acks left are counted lost */
        l->ack_head = a->next;
        if (l->ack_head == NULL)
            l->ack_tail = NULL;
        l->ack_bytes -= a->len;
        free(a);
        ws->n.acks++;
    } else if (l->want_ping) {
        unsigned char ping[LWS_PRE + sizeof(PING_PAYLOAD)];
        memcpy(ping + LWS_PRE, PING_PAYLOAD, sizeof(PING_PAYLOAD) - 1);
        l->want_ping = false;
        if (lws_write(wsi, ping + LWS_PRE, sizeof(PING_PAYLOAD) - 1, LWS_WRITE_PING) < 0)
            return -1;
    } else if (l->state == L_CLOSING) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)"bye", 3);
        return -1;
    }
    if (l->ack_head || l->want_ping || l->state == L_CLOSING)
        lws_callback_on_writable(wsi);
    return 0;
}

/* The link's socket is gone (closed, refused, or never connected). */
static void on_gone(struct link *l, const char *why, bool connect_error)
{
    struct slack_ws *ws = l->ws;
    unsigned id = l->id;
    bool was_ready = l->ready_us != 0;
    bool retiring = l->retiring; /* already counted as a reconnect when Slack asked */
    bool refused = l->refused;   /* its backoff was decided when Slack refused it */
    bool by_peer = l->state != L_CLOSING;
    bool short_life = was_ready && mono_us() - l->ready_us < SHORT_LIFE_US;
    size_t unsent = ack_queue_len(l);
    link_release(l);
    if (ws->stopping)
        return;
    if (refused && !connect_error) {
        note(ws, SLACK_WS_NOTE_CLOSED, id, "%s (refused: too_many_websockets)", why);
    } else if (connect_error || !was_ready) {
        failure(ws, id, why);
    } else {
        if (!retiring)
            ws->n.reconnects++;
        note(ws, SLACK_WS_NOTE_CLOSED, id, "%s%s", why,
             unsent ? " (with acks unsent; Slack redelivers events)" : "");
        if (!retiring && by_peer && short_life)
            failure(ws, id, "link closed right after hello");
    }
    schedule_reconcile(ws, 0);
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    const struct lws_protocols *p = lws_get_protocol(wsi);
    struct slack_ws *ws = p ? p->user : NULL;
    struct link *l = NULL;

    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (ws && ws->started && !ws->stopping)
            schedule_reconcile(ws, 0); /* picks up the helper's URL */
        return 0;
    case LWS_CALLBACK_PROTOCOL_DESTROY:
        /*
         * The context is going. Normally slack_ws_stop() came first; if not,
         * at least make sure the helper never wakes a dead context and nothing
         * is rescheduled. The sockets are lws's to close now.
         */
        if (ws && ws->started)
            stop_helper(ws);
        if (ws)
            ws->stopping = true;
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
    case LWS_CALLBACK_CLIENT_RECEIVE:
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
    case LWS_CALLBACK_CLIENT_WRITEABLE:
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
    case LWS_CALLBACK_WSI_DESTROY:
        l = lws_get_opaque_user_data(wsi);
        if (l == NULL || l->state == L_FREE || (l->wsi != NULL && l->wsi != wsi))
            return reason == LWS_CALLBACK_CLIENT_WRITEABLE ? -1 : 0;
        break;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }

    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        char why[160];
        snprintf(why, sizeof(why), "websocket connect failed: %.120s",
                 in ? (const char *)in : "(no reason)");
        lws_set_opaque_user_data(wsi, NULL);
        on_gone(l, why, true);
        return 0;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        l->wsi = wsi;
        if (l->state == L_CONNECTING)
            l->state = L_OPEN;
        l->last_rx_us = mono_us();
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        on_receive(l, wsi, in, len);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        l->last_rx_us = mono_us();
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return on_writeable(l, wsi);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        return 0; /* lws answers the close; CLIENT_CLOSED follows */
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY: /* a safety net: a wsi gone without CLOSED or ERROR */
        lws_set_opaque_user_data(wsi, NULL);
        on_gone(l, l->kill ? "link cut" : "link closed", false);
        return 0;
    default:
        return 0;
    }
}

/* ---- public ---------------------------------------------------------------- */

static long def(long v, long d)
{
    return v > 0 ? v : d;
}

enum bot_rc slack_ws_new(const struct slack_ws_opts *opts, struct slack_ws **out,
                         struct bot_err *err)
{
    *out = NULL;
    if (opts->on_envelope == NULL)
        return bot_err_set(err, BOT_EINVAL, "slack_ws_new: on_envelope is required");
    if (opts->connections > SLACK_WS_MAX_CONNECTIONS)
        return bot_err_set(err, BOT_EINVAL, "Socket Mode connections must be 1..%d, not %u",
                           SLACK_WS_MAX_CONNECTIONS, opts->connections);
    const char *tname = opts->token_name ? opts->token_name : "SLACK_APP_TOKEN";
    if (opts->app_token == NULL || opts->app_token[0] == '\0')
        return bot_err_set(err, BOT_EINVAL, "no app-level token: set %s (xapp-…)", tname);

    struct slack_ws *ws = xcalloc(1, sizeof(*ws));
    ws->o = *opts;
    ws->o.app_token = ws->o.token_name = ws->o.api_base_url = ws->o.ca_file = NULL;
    ws->o.connections = opts->connections ? opts->connections : SLACK_WS_DEFAULT_CONNECTIONS;
    ws->o.ping_interval_ms = opts->ping_interval_ms < 0 ? -1 : def(opts->ping_interval_ms, 5000);
    ws->o.stall_ms = def(opts->stall_ms, 30000);
    ws->o.hello_timeout_ms = def(opts->hello_timeout_ms, 10000);
    ws->o.drain_ms = def(opts->drain_ms, 1000);
    ws->o.close_timeout_ms = def(opts->close_timeout_ms, 5000);
    ws->o.backoff_base_ms = def(opts->backoff_base_ms, 1000);
    ws->o.backoff_cap_ms = def(opts->backoff_cap_ms, 60000);
    ws->o.too_many_backoff_ms = def(opts->too_many_backoff_ms, 30000);
    ws->o.api_timeout_ms = def(opts->api_timeout_ms, 10000);
    if (opts->max_frame == 0 || opts->max_frame > SLACK_WS_MAX_FRAME)
        ws->o.max_frame = SLACK_WS_MAX_FRAME;
    ws->app_token = xstrdup(opts->app_token);
    ws->token_name = xstrdup(tname);
    ws->api_base_url = opts->api_base_url ? xstrdup(opts->api_base_url) : NULL;
    ws->ca_file = opts->ca_file ? xstrdup(opts->ca_file) : NULL;
    ws->rng = slack_rand_seed();
    buf_init(&ws->ackbuf, SLACK_ACK_MAX);
    pthread_mutex_init(&ws->mu, NULL);
    pthread_cond_init(&ws->cv, NULL);

    ws->proto.name = SLACK_WS_PROTOCOL_NAME;
    ws->proto.callback = ws_callback;
    ws->proto.per_session_data_size = 0;
    ws->proto.rx_buffer_size = RX_CHUNK;
    ws->proto.user = ws;

    struct slack_api_opts ao = {
        .base_url = ws->api_base_url,
        .token = ws->app_token,
        .connect_timeout_ms = ws->o.api_timeout_ms < 5000 ? ws->o.api_timeout_ms : 5000,
        .timeout_ms = ws->o.api_timeout_ms,
        .deadline_ms = 3 * ws->o.api_timeout_ms,
        .max_attempts = 2, /* the link backoff does the patient retrying */
        .no_limiter = true,
        .ca_file = ws->ca_file,
    };
    struct bot_err aerr = {{0}};
    if (slack_api_new(&ao, &ws->api, &aerr) != BOT_OK) {
        slack_ws_free(ws);
        return bot_err_set(err, BOT_EINVAL, "%s: %s", tname, aerr.msg);
    }
    *out = ws;
    return BOT_OK;
}

const struct lws_protocols *slack_ws_protocol(struct slack_ws *ws)
{
    return &ws->proto;
}

enum bot_rc slack_ws_start(struct slack_ws *ws, struct lws_context *ctx, struct lws_vhost *vhost,
                           struct bot_err *err)
{
    if (ws->started)
        return bot_err_set(err, BOT_ESTATE, "slack_ws_start called twice");
    if (ctx == NULL)
        return bot_err_set(err, BOT_EINVAL, "slack_ws_start: no lws context");
    ws->ctx = ctx;
    ws->vh = vhost;
    if (pthread_create(&ws->helper, NULL, helper_main, ws) != 0)
        return bot_err_set(err, BOT_EIO, "cannot start the Socket Mode helper thread");
    ws->helper_started = true;
    ws->started = true;
    schedule_reconcile(ws, 0);
    return BOT_OK;
}

/* After this the helper thread never calls into lws again. */
static void stop_helper(struct slack_ws *ws)
{
    pthread_mutex_lock(&ws->mu);
    ws->h_quit = true;
    pthread_cond_signal(&ws->cv);
    pthread_mutex_unlock(&ws->mu);
    slack_api_abort(ws->api);
}

void slack_ws_stop(struct slack_ws *ws)
{
    if (ws == NULL || !ws->started)
        return;
    stop_helper(ws);
    if (ws->stopping)
        return;
    ws->stopping = true;
    lws_sul_cancel(&ws->sul_reconcile);
    for (size_t i = 0; i < MAX_LINKS; i++) {
        struct link *l = &ws->links[i];
        if (l->state == L_FREE)
            continue;
        if (l->wsi == NULL) {
            link_release(l);
            continue;
        }
        link_close(l, false);
    }
}

/* Sends (stored) or drops the held ack d, and frees it. */
static void resolve_deferred(struct slack_ws *ws, struct deferred *d, bool stored)
{
    struct link *l = NULL;
    for (size_t i = 0; i < MAX_LINKS && l == NULL; i++)
        if (ws->links[i].state != L_FREE && ws->links[i].id == d->link_id &&
            ws->links[i].wsi != NULL)
            l = &ws->links[i];
    if (!stored) {
        ws->n.not_acked++;
        note(ws, SLACK_WS_NOTE_NOT_ACKED, d->link_id, "%s not acked: it was not stored",
             d->envelope_id);
    } else if (l == NULL) {
        ws->n.acks_lost++;
        note(ws, SLACK_WS_NOTE_NOT_ACKED, d->link_id,
             "%s stored, but its link closed before the ack", d->envelope_id);
    } else {
        queue_ack(l, d->envelope_id, d->response);
    }
    cJSON_Delete(d->response);
    free(d);
}

void slack_ws_flush(struct slack_ws *ws, bool stored)
{
    while (slack_ws_flush_one(ws, stored))
        ;
}

bool slack_ws_flush_one(struct slack_ws *ws, bool stored)
{
    struct deferred *d = ws->def_head;
    if (d == NULL)
        return false;
    ws->def_head = d->next;
    if (ws->def_head == NULL)
        ws->def_tail = NULL;
    resolve_deferred(ws, d, stored);
    return true;
}

void slack_ws_free(struct slack_ws *ws)
{
    if (ws == NULL)
        return;
    if (ws->helper_started) {
        stop_helper(ws);
        pthread_join(ws->helper, NULL);
    }
    /* The context is gone: its timers and sockets with it. Only our memory is left. */
    for (size_t i = 0; i < MAX_LINKS; i++) {
        ack_queue_clear(&ws->links[i]);
        buf_free(&ws->links[i].rx);
    }
    for (struct deferred *d = ws->def_head, *next; d != NULL; d = next) {
        next = d->next;
        cJSON_Delete(d->response);
        free(d);
    }
    slack_api_free(ws->api);
    free(ws->h_url);
    buf_free(&ws->ackbuf);
    pthread_mutex_destroy(&ws->mu);
    pthread_cond_destroy(&ws->cv);
    free(ws->app_token);
    free(ws->token_name);
    free(ws->api_base_url);
    free(ws->ca_file);
    free(ws);
}

bool slack_ws_failed(const struct slack_ws *ws)
{
    return ws->fatal;
}

const char *slack_ws_error(const struct slack_ws *ws)
{
    return ws->fatal_msg;
}

void slack_ws_counters(const struct slack_ws *ws, struct slack_ws_counters *out)
{
    *out = ws->n;
}
