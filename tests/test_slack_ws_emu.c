/*
 * The Socket Mode client over loopback. Usage: test_slack_ws_emu SLACKEMU
 * SCENARIO. Most scenarios run against a private slackemu: hello and acks
 * (with a response payload), a refused events_api envelope redelivered and
 * then acked, a disconnect warning / refresh_requested in the middle of a
 * flood of slash commands (the replacement link is ready before the old one
 * closes and every envelope is acked once), dropped sockets, link_disabled,
 * a bad app token and too_many_websockets. The "frames" and "stall"
 * scenarios need frames the emulator never sends (garbage, binary, oversize,
 * fragmented, unknown types, silence), so they run against a scripted
 * websocket server in this process, in the same lws context, with a canned
 * HTTP answer for apps.connections.open.
 *
 * Threads: the main thread runs the lws loop (as the bot will); a driver
 * thread runs the scenario, talks to the emulator and waits on what the
 * callbacks recorded (under a mutex), then sets `done` and wakes the loop
 * with lws_cancel_service(), the one lws call made off the loop thread.
 * Waits are generous deadlines, never timing assertions.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "check.h"
#include "slack_api.h"
#include "slack_ws.h"
#include "test_slack_emu.h"
#include "xmalloc.h"

#define MAX_SEEN  4096
#define MAX_NOTES 1024

struct seen {
    char id[64];
    char type[24];
    char event_id[32];
    int retry_attempt;
    int count;
};

struct note_rec {
    enum slack_ws_note kind;
    unsigned link;
    long long at;
    char msg[160];
};

static struct {
    struct emu_proc emu;
    struct lws_context *ctx;
    struct slack_ws *ws;
    pthread_mutex_t mu;
    atomic_bool done;
    bool verbose;
    /* recorded by the callbacks (loop thread), read by the driver under mu */
    struct seen seen[MAX_SEEN];
    int nseen, envelopes;
    struct note_rec notes[MAX_NOTES];
    int nnotes;
    int refuse_first_events; /* refuse an events_api envelope the first time its event_id comes */
    const char *reply_text;  /* reply in the ack of slash commands */
    struct slack_ws_counters counters; /* copied by the loop thread after each callback */
} h;

/* ---- callbacks (loop thread) --------------------------------------------- */

static struct seen *seen_find(const char *id)
{
    for (int i = 0; i < h.nseen; i++)
        if (strcmp(h.seen[i].id, id) == 0)
            return &h.seen[i];
    return NULL;
}

static int on_envelope(void *ud, const struct slack_envelope *env, cJSON **response)
{
    (void)ud;
    int refuse = 0;
    pthread_mutex_lock(&h.mu);
    h.envelopes++;
    struct seen *s = seen_find(env->envelope_id);
    if (s == NULL && h.nseen < MAX_SEEN) {
        s = &h.seen[h.nseen++];
        snprintf(s->id, sizeof(s->id), "%s", env->envelope_id);
        snprintf(s->type, sizeof(s->type), "%s", env->type_name);
        snprintf(s->event_id, sizeof(s->event_id), "%s", env->event_id ? env->event_id : "");
    }
    if (s) {
        s->count++;
        s->retry_attempt = env->retry_attempt;
    }
    if (env->type == SLACK_ENV_EVENTS_API && h.refuse_first_events && env->retry_attempt <= 0)
        refuse = 1;
    if (env->type == SLACK_ENV_SLASH_COMMANDS && h.reply_text) {
        *response = cJSON_CreateObject();
        cJSON_AddStringToObject(*response, "response_type", "ephemeral");
        cJSON_AddStringToObject(*response, "text", h.reply_text);
    }
    pthread_mutex_unlock(&h.mu);
    return refuse;
}

static void on_note(void *ud, enum slack_ws_note kind, unsigned link, const char *msg)
{
    (void)ud;
    if (h.verbose)
        fprintf(stderr, "%lld note %s link %u: %s\n", emu_now_ms() % 100000,
                slack_ws_note_name(kind), link, msg);
    pthread_mutex_lock(&h.mu);
    if (h.nnotes < MAX_NOTES) {
        struct note_rec *r = &h.notes[h.nnotes++];
        *r = (struct note_rec){kind, link, emu_now_ms(), ""};
        snprintf(r->msg, sizeof(r->msg), "%s", msg);
    }
    pthread_mutex_unlock(&h.mu);
}

/* ---- driver helpers (driver thread) ---------------------------------------- */

static int count_notes(enum slack_ws_note kind)
{
    int n = 0;
    pthread_mutex_lock(&h.mu);
    for (int i = 0; i < h.nnotes; i++)
        n += h.notes[i].kind == kind;
    pthread_mutex_unlock(&h.mu);
    return n;
}

/* Waits up to ms for count_notes(kind) >= n. */
static bool wait_notes(enum slack_ws_note kind, int n, long ms)
{
    long long end = emu_now_ms() + ms;
    while (emu_now_ms() < end) {
        if (count_notes(kind) >= n)
            return true;
        emu_sleep_ms(20);
    }
    fprintf(stderr, "timed out waiting for %d x %s (have %d)\n", n, slack_ws_note_name(kind),
            count_notes(kind));
    return false;
}

static int count_seen(void)
{
    pthread_mutex_lock(&h.mu);
    int n = h.nseen;
    pthread_mutex_unlock(&h.mu);
    return n;
}

static bool wait_seen(int n, long ms)
{
    long long end = emu_now_ms() + ms;
    while (emu_now_ms() < end) {
        if (count_seen() >= n)
            return true;
        emu_sleep_ms(20);
    }
    fprintf(stderr, "timed out waiting for %d envelopes (have %d)\n", n, count_seen());
    return false;
}

static cJSON *ctl(const char *cmd, const char *body)
{
    return emu_ctl(&h.emu, cmd, body, NULL);
}

static bool ctl_ok(const char *cmd, const char *body)
{
    cJSON *r = ctl(cmd, body);
    bool ok = r && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"));
    if (!ok) {
        char *t = r ? cJSON_PrintUnformatted(r) : NULL;
        fprintf(stderr, "/_emu/%s %s -> %s\n", cmd, body ? body : "", t ? t : "(nothing)");
        free(t);
    }
    cJSON_Delete(r);
    return ok;
}

/* Waits (in the emulator) for a number of open connections. */
static bool emu_wait_connections(int n)
{
    char body[96];
    snprintf(body, sizeof(body), "{\"connections\":%d,\"timeout_ms\":30000}", n);
    return ctl_ok("wait", body);
}

static bool emu_wait_acked(const char *envelope_id)
{
    char body[160];
    snprintf(body, sizeof(body), "{\"envelope_id\":\"%s\",\"timeout_ms\":30000}", envelope_id);
    return ctl_ok("wait", body);
}

/* Sends a slash command; copies its envelope id. */
static bool slash(const char *text, char *id, size_t idlen)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"command\":\"/incident\",\"text\":\"%s\"}", text);
    cJSON *r = ctl("slash", body);
    const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "envelope_id"));
    bool ok = e && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"));
    if (ok)
        snprintf(id, idlen, "%s", e);
    cJSON_Delete(r);
    return ok;
}

static double stat_of(const char *key)
{
    cJSON *r = emu_get(&h.emu, "stats", NULL);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, key);
    double d = cJSON_IsNumber(v) ? v->valuedouble : -1;
    cJSON_Delete(r);
    return d;
}

static struct slack_ws_counters counters(void)
{
    pthread_mutex_lock(&h.mu);
    struct slack_ws_counters c = h.counters;
    pthread_mutex_unlock(&h.mu);
    return c;
}

/* ---- scenarios against the emulator ---------------------------------------- */

static void scenario_basic(void)
{
    CHECK(wait_notes(SLACK_WS_NOTE_READY, 2, 30000));
    CHECK(emu_wait_connections(2));

    char id[64];
    CHECK(slash("help", id, sizeof(id)));
    CHECK(emu_wait_acked(id));
    char q[128];
    snprintf(q, sizeof(q), "acks?envelope_id=%s", id);
    cJSON *acks = emu_get(&h.emu, q, NULL);
    const cJSON *a0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(acks, "acks"), 0);
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(a0, "payload");
    char *pt = payload ? cJSON_PrintUnformatted(payload) : NULL;
    cJSON_Delete(acks);
    bool has_text = pt && strstr(pt, "usage: /incident") != NULL;
    free(pt);
    CHECK_MSG(has_text, "the ack did not carry the reply");

    CHECK(ctl_ok("envelope", "{\"type\":\"events_api\",\"payload\":{\"type\":\"event_callback\","
                             "\"event_id\":\"Ev0BASIC\",\"event\":{\"type\":\"app_mention\"}}}"));
    CHECK(wait_seen(2, 30000));
    CHECK(ctl_ok("wait", "{\"acks\":2,\"timeout_ms\":30000}"));
    pthread_mutex_lock(&h.mu);
    struct seen *s0 = seen_find(id);
    bool ok0 = s0 && strcmp(s0->type, "slash_commands") == 0 && s0->count == 1;
    bool ok1 =
        h.nseen == 2 && strcmp(h.seen[1].event_id, "Ev0BASIC") == 0 && h.seen[1].retry_attempt == 0;
    pthread_mutex_unlock(&h.mu);
    CHECK(ok0);
    CHECK(ok1);
    long long end = emu_now_ms() + 10000;
    while (counters().acks < 2 && emu_now_ms() < end)
        emu_sleep_ms(20);
    struct slack_ws_counters c = counters();
    CHECK_INT(c.envelopes, 2);
    CHECK_INT(c.acks, 2);
    CHECK_INT(c.links_ready, 2);
    CHECK_INT(c.errors, 0);
}

static void scenario_refused(void)
{
    h.refuse_first_events = 1;
    CHECK(wait_notes(SLACK_WS_NOTE_READY, 1, 30000));
    CHECK(ctl_ok("envelope", "{\"type\":\"events_api\",\"payload\":{\"type\":\"event_callback\","
                             "\"event_id\":\"Ev0RETRY\",\"event\":{\"type\":\"app_mention\"}}}"));
    /* refused (no ack); Slack redelivers the event in a new envelope with retry_attempt 1 */
    CHECK(wait_notes(SLACK_WS_NOTE_NOT_ACKED, 1, 30000));
    CHECK(wait_seen(2, 30000));
    CHECK(ctl_ok("wait", "{\"acks\":1,\"timeout_ms\":30000}"));
    pthread_mutex_lock(&h.mu);
    bool ok = h.nseen == 2 && strcmp(h.seen[0].event_id, "Ev0RETRY") == 0 &&
              strcmp(h.seen[1].event_id, "Ev0RETRY") == 0 && h.seen[0].retry_attempt == 0 &&
              h.seen[1].retry_attempt == 1 && strcmp(h.seen[0].id, h.seen[1].id) != 0;
    pthread_mutex_unlock(&h.mu);
    CHECK_MSG(ok, "the redelivery did not carry the same event_id with retry_attempt 1");
    CHECK(stat_of("retried") >= 1);
    CHECK_INT(counters().not_acked, 1);
}

/* The emulator's ids of the open connections, oldest first; returns how many. */
static int emu_connection_ids(unsigned *ids, int max)
{
    cJSON *r = emu_get(&h.emu, "connections", NULL);
    const cJSON *c;
    int n = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(r, "connections"))
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
        if (n < max && cJSON_IsNumber(id))
            ids[n++] = (unsigned)id->valuedouble;
    }
    cJSON_Delete(r);
    return n;
}

/*
 * Every slash command of a flood is acked exactly once while Slack refreshes
 * each link in turn, as it does in production: a warning, then
 * refresh_requested and the close about a second later.
 */
static void scenario_refresh(void)
{
    const int n = 600;
    CHECK(wait_notes(SLACK_WS_NOTE_READY, 2, 30000));
    CHECK(emu_wait_connections(2));
    unsigned ids[8];
    CHECK_INT(emu_connection_ids(ids, 8), 2);
    char body[128];
    snprintf(body, sizeof(body), "{\"count\":%d,\"rate\":300,\"type\":\"slash_commands\"}", n);
    CHECK(ctl_ok("flood", body));
    for (int k = 0; k < 2; k++) {
        CHECK(wait_seen(n / 5 * (k + 1), 30000));
        snprintf(body, sizeof(body), "{\"reason\":\"warning\",\"connection_id\":%u}", ids[k]);
        CHECK(ctl_ok("disconnect", body));
        CHECK(wait_notes(SLACK_WS_NOTE_READY, 3 + k, 30000)); /* the replacement */
        emu_sleep_ms(200);
        snprintf(body, sizeof(body), "{\"reason\":\"refresh_requested\",\"connection_id\":%u}",
                 ids[k]);
        CHECK(ctl_ok("disconnect", body));
    }
    snprintf(body, sizeof(body), "{\"acks\":%d,\"timeout_ms\":30000}", n);
    CHECK(ctl_ok("wait", body));
    CHECK(wait_notes(SLACK_WS_NOTE_CLOSED, 2, 30000));
    CHECK(emu_wait_connections(2));

    CHECK_INT(stat_of("timed_out"), 0);
    CHECK_INT(stat_of("undelivered"), 0);
    CHECK_INT(stat_of("duplicate_acks"), 0);
    CHECK_INT(stat_of("invalid_messages"), 0);
    pthread_mutex_lock(&h.mu);
    int nseen = h.nseen, dups = 0;
    for (int i = 0; i < h.nseen; i++)
        dups += h.seen[i].count != 1;
    /* Each retired link's replacement was READY before the retired link closed. */
    int retiring = 0, bad_order = 0;
    for (int i = 0; i < h.nnotes; i++) {
        if (h.notes[i].kind != SLACK_WS_NOTE_RETIRING)
            continue;
        retiring++;
        unsigned old = h.notes[i].link;
        int closed_at = -1, ready_after = -1;
        for (int j = i + 1; j < h.nnotes; j++) {
            if (closed_at < 0 && h.notes[j].link == old &&
                (h.notes[j].kind == SLACK_WS_NOTE_CLOSED || h.notes[j].kind == SLACK_WS_NOTE_STALL))
                closed_at = j;
            if (ready_after < 0 && h.notes[j].kind == SLACK_WS_NOTE_READY && h.notes[j].link > old)
                ready_after = j;
        }
        if (ready_after < 0 || (closed_at >= 0 && closed_at < ready_after))
            bad_order++;
    }
    pthread_mutex_unlock(&h.mu);
    CHECK_INT(nseen, n);
    CHECK_INT(dups, 0);
    CHECK_INT(retiring, 2);
    CHECK_INT(bad_order, 0);
    struct slack_ws_counters c = counters();
    CHECK_INT(c.envelopes, n);
    CHECK_INT(c.not_acked, 0);
    CHECK(c.reconnects >= 2);
}

static void scenario_drop(void)
{
    CHECK(wait_notes(SLACK_WS_NOTE_READY, 2, 30000));
    CHECK(emu_wait_connections(2));
    CHECK(ctl_ok("drop_websockets", NULL));
    CHECK(wait_notes(SLACK_WS_NOTE_CLOSED, 2, 30000));
    CHECK(wait_notes(SLACK_WS_NOTE_READY, 4, 30000));
    CHECK(emu_wait_connections(2));
    char id[64];
    CHECK(slash("status", id, sizeof(id)));
    CHECK(emu_wait_acked(id));
    CHECK(counters().reconnects >= 2);
}

static void scenario_link_disabled(void)
{
    CHECK(wait_notes(SLACK_WS_NOTE_READY, 1, 30000));
    CHECK(ctl_ok("disconnect", "{\"reason\":\"link_disabled\"}"));
    CHECK(wait_notes(SLACK_WS_NOTE_FATAL, 1, 30000));
    emu_sleep_ms(300); /* give it a chance to (wrongly) reconnect */
    CHECK(count_notes(SLACK_WS_NOTE_CONNECTING) <= 1);
}

static void scenario_bad_token(void)
{
    CHECK(wait_notes(SLACK_WS_NOTE_FATAL, 1, 30000));
    CHECK_INT(count_notes(SLACK_WS_NOTE_CONNECTING), 0);
}

static void scenario_too_many(void)
{
    /* The emulator allows 1 link, the client wants 2. */
    CHECK(wait_notes(SLACK_WS_NOTE_READY, 1, 30000));
    CHECK(wait_notes(SLACK_WS_NOTE_BACKOFF, 1, 30000));
    emu_sleep_ms(1500);
    char id[64];
    CHECK(slash("help", id, sizeof(id)));
    CHECK(emu_wait_acked(id));
    /* backed off: not a storm of refused links */
    cJSON *r = emu_get(&h.emu, "connections", NULL);
    const cJSON *sm = cJSON_GetObjectItemCaseSensitive(r, "socket_mode");
    double tm =
        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sm, "too_many_websockets_total"));
    cJSON_Delete(r);
    CHECK_MSG(tm >= 1 && tm <= 4, "too_many_websockets_total %g", tm);
}

/*
 * too_many_websockets on one of two links: the other is kept, and when Slack
 * then asks that one to refresh, its replacement opens at once, not after
 * too_many_backoff_ms (20 s here); refused on every link: a link is back
 * after the ordinary backoff (100 ms here), long before that wait.
 */
static void scenario_too_many_kept(void)
{
    unsigned ids[4];
    char body[128], id[64];
    CHECK(wait_notes(SLACK_WS_NOTE_READY, 2, 30000));
    CHECK(emu_wait_connections(2));
    CHECK_INT(emu_connection_ids(ids, 4), 2);
    snprintf(body, sizeof(body), "{\"reason\":\"too_many_websockets\",\"connection_id\":%u}",
             ids[0]);
    CHECK(ctl_ok("disconnect", body));
    CHECK(wait_notes(SLACK_WS_NOTE_BACKOFF, 1, 30000));
    CHECK(wait_notes(SLACK_WS_NOTE_CLOSED, 1, 30000));
    CHECK_INT(counters().links_ready, 1);
    CHECK(slash("help", id, sizeof(id)));
    CHECK(emu_wait_acked(id));
    snprintf(body, sizeof(body), "{\"reason\":\"refresh_requested\",\"connection_id\":%u}",
             ids[1]);
    CHECK(ctl_ok("disconnect", body));
    CHECK(wait_notes(SLACK_WS_NOTE_READY, 3, 2000)); /* the replacement, at once */
    CHECK(slash("help", id, sizeof(id)));
    CHECK(emu_wait_acked(id));
    CHECK(ctl_ok("disconnect", "{\"reason\":\"too_many_websockets\"}"));
    CHECK(wait_notes(SLACK_WS_NOTE_READY, 4, 3000)); /* one link, after the ordinary backoff */
    CHECK(slash("help", id, sizeof(id)));
    CHECK(emu_wait_acked(id));
}

/* Failed connects are retried with growing delays, and the client recovers. */
static void scenario_backoff(void)
{
    CHECK(wait_notes(SLACK_WS_NOTE_READY, 1, 30000));
    CHECK(ctl_ok("refuse_connections", "{\"refuse\":true}"));
    CHECK(ctl_ok("drop_websockets", NULL));
    CHECK(wait_notes(SLACK_WS_NOTE_CONNECT_FAILED, 6, 30000));
    CHECK(ctl_ok("refuse_connections", "{\"refuse\":false}"));
    CHECK(wait_notes(SLACK_WS_NOTE_READY, 2, 30000));
    char id[64];
    CHECK(slash("help", id, sizeof(id)));
    CHECK(emu_wait_acked(id));

    /* "next attempt in N ms": with base 100 and cap 2000, later delays are longer */
    long delays[64];
    int nd = 0;
    pthread_mutex_lock(&h.mu);
    for (int i = 0; i < h.nnotes && nd < 64; i++) {
        const char *p = strstr(h.notes[i].msg, "next attempt in ");
        if (h.notes[i].kind == SLACK_WS_NOTE_CONNECT_FAILED && p)
            delays[nd++] = strtol(p + 16, NULL, 10);
    }
    pthread_mutex_unlock(&h.mu);
    CHECK(nd >= 6);
    CHECK_MSG(delays[nd - 1] > delays[1] && delays[nd - 1] <= 2000,
              "delays did not grow: %ld ... %ld", delays[1], delays[nd - 1]);
    for (int i = 0; i < nd; i++)
        CHECK_MSG(delays[i] <= 2000, "delay %ld over the cap", delays[i]);
}

/* ---- the scripted server: frames the emulator does not send ---------------- */

enum script { SCRIPT_FRAMES, SCRIPT_STALL, SCRIPT_INSECURE };

static struct {
    enum script script;
    int conns; /* websocket connections accepted */
    int step;  /* next frame of the script on the current connection */
    int acks;  /* ack frames received */
    char ack_ids[8][64];
    int http_port; /* of the canned apps.connections.open answer */
    int ws_port;
    int listen_fd;
    pthread_t http_th;
    atomic_bool http_stop;
} fake;

/* Text frames (and how to send them) of the "frames" script, after hello. */
static const char big_prefix[] =
    "{\"type\":\"events_api\",\"envelope_id\":\"E-BIG\",\"payload\":{\"x\":\"";

static int fake_write(struct lws *wsi, const char *text, size_t len, int flags)
{
    unsigned char *b = xmalloc(LWS_PRE + len + 1);
    memcpy(b + LWS_PRE, text, len);
    int n = lws_write(wsi, b + LWS_PRE, len, (enum lws_write_protocol)flags);
    free(b);
    return n < (int)len ? -1 : 0;
}

static int fake_script_step(struct lws *wsi)
{
    static const char hello[] = "{\"type\":\"hello\",\"num_connections\":1,"
                                "\"debug_info\":{\"approximate_connection_time\":18060}}";
    int s = fake.step++;
    if (fake.script == SCRIPT_STALL && fake.conns > 1)
        return 1; /* later connections never say hello */
    if (s == 0)
        return fake_write(wsi, hello, strlen(hello), LWS_WRITE_TEXT);
    if (fake.script == SCRIPT_STALL)
        return 1; /* the first connection: hello, then silence */
    switch (s) {
    case 1:
        return fake_write(wsi, "this is not json", 16, LWS_WRITE_TEXT);
    case 2:
        return fake_write(wsi, "\x01\x02\x03", 3, LWS_WRITE_BINARY);
    case 3: {
        /* 10 000 bytes against the client's 4 096-byte cap */
        size_t len = 10000;
        char *t = xmalloc(len + 1);
        memset(t, 'x', len);
        memcpy(t, big_prefix, sizeof(big_prefix) - 1);
        memcpy(t + len - 3, "\"}}", 3);
        int r = fake_write(wsi, t, len, LWS_WRITE_TEXT);
        free(t);
        return r;
    }
    case 4:
        return fake_write(wsi, "{\"type\":\"brand_new_type\",\"envelope_id\":\"E-NEW\"}", 47,
                          LWS_WRITE_TEXT);
    case 5:
        return fake_write(wsi, "{\"type\":\"interactive\",\"payload\":{}}", 35, LWS_WRITE_TEXT);
    /* one envelope in three fragments */
    case 6:
        return fake_write(wsi, "{\"type\":\"slash_commands\",", 25,
                          LWS_WRITE_TEXT | LWS_WRITE_NO_FIN);
    case 7:
        return fake_write(wsi, "\"envelope_id\":\"E-FRAG\",", 23,
                          LWS_WRITE_CONTINUATION | LWS_WRITE_NO_FIN);
    case 8:
        return fake_write(wsi, "\"payload\":{\"command\":\"/incident\"}}", 34,
                          LWS_WRITE_CONTINUATION);
    case 9:
        return fake_write(wsi, "{\"type\":\"slash_commands\",\"envelope_id\":\"E-LAST\"}", 48,
                          LWS_WRITE_TEXT);
    default:
        return 1; /* done */
    }
}

static int fake_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        pthread_mutex_lock(&h.mu);
        fake.conns++;
        fake.step = 0;
        pthread_mutex_unlock(&h.mu);
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE: {
        int r = fake_script_step(wsi);
        if (r < 0)
            return -1;
        if (r == 0)
            lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_RECEIVE: {
        cJSON *a = cJSON_ParseWithLength(in, len);
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "envelope_id"));
        pthread_mutex_lock(&h.mu);
        if (id && fake.acks < 8)
            snprintf(fake.ack_ids[fake.acks++], sizeof(fake.ack_ids[0]), "%s", id);
        pthread_mutex_unlock(&h.mu);
        cJSON_Delete(a);
        return 0;
    }
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols fake_protocols[] = {
    {"fake-slack", fake_cb, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0}, /* lws 4.1 ends the list with a zeroed entry */
};

/* Answers every HTTP request with the ws URL of the scripted server. */
static void *fake_http(void *arg)
{
    (void)arg;
    while (!atomic_load(&fake.http_stop)) {
        int c = accept(fake.listen_fd, NULL, NULL);
        if (c < 0)
            break;
        char req[4096];
        ssize_t r = read(c, req, sizeof(req));
        (void)r;
        char body[160], resp[512];
        /* SCRIPT_INSECURE: plain ws:// to a host that is not loopback */
        int bl =
            snprintf(body, sizeof(body), "{\"ok\":true,\"url\":\"ws://%s:%d/link/?ticket=t\"}",
                     fake.script == SCRIPT_INSECURE ? "10.255.255.1" : "127.0.0.1", fake.ws_port);
        int rl = snprintf(resp, sizeof(resp),
                          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
                          bl, body);
        if (write(c, resp, (size_t)rl) < 0)
            perror("write");
        close(c);
    }
    return NULL;
}

static bool fake_http_start(void)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fake.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fake.listen_fd < 0 || bind(fake.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(fake.listen_fd, 16) != 0 ||
        getsockname(fake.listen_fd, (struct sockaddr *)&sa, &sl) != 0)
        return false;
    fake.http_port = ntohs(sa.sin_port);
    return pthread_create(&fake.http_th, NULL, fake_http, NULL) == 0;
}

static void fake_http_stop(void)
{
    atomic_store(&fake.http_stop, true);
    shutdown(fake.listen_fd, SHUT_RDWR);
    pthread_join(fake.http_th, NULL);
    close(fake.listen_fd);
}

static void scenario_frames(void)
{
    CHECK(wait_notes(SLACK_WS_NOTE_READY, 1, 30000));
    CHECK(wait_seen(2, 30000));
    long long end = emu_now_ms() + 10000;
    int acks = 0;
    while (emu_now_ms() < end) {
        pthread_mutex_lock(&h.mu);
        acks = fake.acks;
        pthread_mutex_unlock(&h.mu);
        if (acks >= 2)
            break;
        emu_sleep_ms(20);
    }
    CHECK_INT(acks, 2);
    pthread_mutex_lock(&h.mu);
    bool ids = strcmp(fake.ack_ids[0], "E-FRAG") == 0 && strcmp(fake.ack_ids[1], "E-LAST") == 0;
    bool got = h.nseen == 2 && strcmp(h.seen[0].id, "E-FRAG") == 0;
    pthread_mutex_unlock(&h.mu);
    CHECK_MSG(ids, "acks were for %s and %s", fake.ack_ids[0], fake.ack_ids[1]);
    CHECK(got);
    CHECK_INT(count_notes(SLACK_WS_NOTE_BAD_FRAME), 3); /* not JSON, binary, no envelope_id */
    CHECK_INT(count_notes(SLACK_WS_NOTE_OVERSIZE), 1);
    CHECK_INT(count_notes(SLACK_WS_NOTE_UNKNOWN_TYPE), 1);
    CHECK_INT(count_notes(SLACK_WS_NOTE_CLOSED), 0); /* the link survived all of it */
    struct slack_ws_counters c = counters();
    CHECK_INT(c.bad_frames, 3);
    CHECK_INT(c.oversize_frames, 1);
    CHECK_INT(c.unknown_frames, 1);
    CHECK_INT(c.errors, 5);
    CHECK_INT(c.reconnects, 0);
}

static void scenario_stall(void)
{
    /* hello, then silence (no pings from the client): a stall; then links that never say hello */
    CHECK(wait_notes(SLACK_WS_NOTE_READY, 1, 30000));
    CHECK(wait_notes(SLACK_WS_NOTE_STALL, 2, 30000));
    pthread_mutex_lock(&h.mu);
    int conns = fake.conns;
    pthread_mutex_unlock(&h.mu);
    CHECK(conns >= 2);
    CHECK(counters().stalls >= 2);
    CHECK(counters().connect_failures >= 1); /* no hello counts as a failed connect */
}

static void scenario_insecure(void)
{
    CHECK(wait_notes(SLACK_WS_NOTE_FATAL, 1, 30000));
    CHECK_INT(count_notes(SLACK_WS_NOTE_CONNECTING), 0); /* refused before any connect */
    pthread_mutex_lock(&h.mu);
    bool says = strstr(h.notes[h.nnotes - 1].msg, "unencrypted ws://") != NULL;
    pthread_mutex_unlock(&h.mu);
    CHECK(says);
}

/* ---- the loop ------------------------------------------------------------- */

struct scenario {
    const char *name;
    void (*fn)(void);
    bool fake_server;
    const char *emu_args[8];
    const char *app_token;
    unsigned connections;
};

static const struct scenario scenarios[] = {
    {"basic", scenario_basic, false, {NULL}, NULL, 2},
    {"refused",
     scenario_refused,
     false,
     {"--ack-timeout-ms", "300", "--retry-delays-ms", "100,60000,300000", NULL},
     NULL,
     1},
    {"refresh", scenario_refresh, false, {"--refresh-grace-ms", "1500", NULL}, NULL, 2},
    {"drop", scenario_drop, false, {NULL}, NULL, 2},
    {"link_disabled", scenario_link_disabled, false, {NULL}, NULL, 1},
    {"bad_token", scenario_bad_token, false, {NULL}, "xoxb-not-an-app-token", 1},
    {"too_many", scenario_too_many, false, {"--max-connections", "1", NULL}, NULL, 2},
    {"too_many_kept", scenario_too_many_kept, false, {NULL}, NULL, 2},
    {"backoff", scenario_backoff, false, {NULL}, NULL, 1},
    {"frames", scenario_frames, true, {NULL}, NULL, 1},
    {"stall", scenario_stall, true, {NULL}, NULL, 1},
    {"insecure", scenario_insecure, true, {NULL}, NULL, 1},
};

static const struct scenario *current;

/* Keeps lws_service() returning while nothing else is scheduled (after slack_ws_stop). */
static lws_sorted_usec_list_t test_tick;

static void on_test_tick(lws_sorted_usec_list_t *sul)
{
    lws_sul_schedule(h.ctx, 0, sul, on_test_tick, 50 * 1000);
}

static void *driver(void *arg)
{
    (void)arg;
    RUN(current->fn);
    atomic_store(&h.done, true);
    lws_cancel_service(h.ctx);
    return NULL;
}

int main(int argc, char **argv)
{
    xmalloc_init_cjson();
    if (argc < 3) {
        fprintf(stderr, "usage: %s SLACKEMU SCENARIO\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
        if (strcmp(argv[2], scenarios[i].name) == 0)
            current = &scenarios[i];
    if (current == NULL) {
        fprintf(stderr, "unknown scenario %s\n", argv[2]);
        return 2;
    }
    h.verbose = getenv("SLACK_WS_TEST_VERBOSE") != NULL;
    pthread_mutex_init(&h.mu, NULL);
    struct bot_err err = {{0}};
    if (slack_api_global_init(&err) != BOT_OK)
        return 1;
    lws_set_log_level(h.verbose ? LLL_ERR | LLL_WARN | LLL_NOTICE : LLL_ERR, NULL);

    char api_base[96];
    if (current->fake_server) {
        if (!fake_http_start())
            return 1;
        fake.script = strcmp(current->name, "stall") == 0      ? SCRIPT_STALL
                      : strcmp(current->name, "insecure") == 0 ? SCRIPT_INSECURE
                                                               : SCRIPT_FRAMES;
        snprintf(api_base, sizeof(api_base), "http://127.0.0.1:%d/api/", fake.http_port);
    } else {
        if (!emu_start(&h.emu, argv[1], current->emu_args))
            return 1;
        snprintf(api_base, sizeof(api_base), "%s", h.emu.api_base);
    }
    h.reply_text = "usage: /incident <command> (try /incident help)";

    struct slack_ws_opts o = {
        .app_token = current->app_token ? current->app_token : "xapp-1-A0EMU1NCDNT-test",
        .api_base_url = api_base,
        .connections = current->connections,
        .backoff_base_ms = 100,
        .backoff_cap_ms = 2000,
        .too_many_backoff_ms = strcmp(current->name, "too_many_kept") == 0 ? 20000 : 2000,
        .drain_ms = 300,
        .on_envelope = on_envelope,
        .on_note = on_note,
    };
    if (current->fake_server) {
        o.max_frame = 4096;
        if (fake.script == SCRIPT_STALL) {
            o.ping_interval_ms = -1;
            o.stall_ms = 800;
            o.hello_timeout_ms = 800;
        }
    }
    if (slack_ws_new(&o, &h.ws, &err) != BOT_OK) {
        fprintf(stderr, "slack_ws_new: %s\n", err.msg);
        return 1;
    }

    /* Two vhosts like the bot: the client's (no listener) first, the scripted server's second. */
    struct lws_protocols client_protocols[2];
    client_protocols[0] = *slack_ws_protocol(h.ws);
    memset(&client_protocols[1], 0, sizeof(client_protocols[1]));
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    h.ctx = lws_create_context(&info);
    if (h.ctx == NULL)
        return 1;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = client_protocols;
    info.vhost_name = "client";
    struct lws_vhost *cvh = lws_create_vhost(h.ctx, &info);
    if (cvh == NULL)
        return 1;
    if (current->fake_server) {
        memset(&info, 0, sizeof(info));
        info.port = 0;
        info.iface = "127.0.0.1";
        info.protocols = fake_protocols;
        info.vhost_name = "fake-slack";
        struct lws_vhost *svh = lws_create_vhost(h.ctx, &info);
        if (svh == NULL)
            return 1;
        fake.ws_port = lws_get_vhost_listen_port(svh);
    }
    if (slack_ws_start(h.ws, h.ctx, cvh, &err) != BOT_OK) {
        fprintf(stderr, "slack_ws_start: %s\n", err.msg);
        return 1;
    }

    lws_sul_schedule(h.ctx, 0, &test_tick, on_test_tick, 50 * 1000);
    pthread_t th;
    pthread_create(&th, NULL, driver, NULL);
    long long deadline = emu_now_ms() + 240000;
    while (!atomic_load(&h.done) && emu_now_ms() < deadline) {
        lws_service(h.ctx, 0);
        pthread_mutex_lock(&h.mu);
        slack_ws_counters(h.ws, &h.counters);
        pthread_mutex_unlock(&h.mu);
    }
    pthread_join(th, NULL);

    bool failed = slack_ws_failed(h.ws);
    const char *why = slack_ws_error(h.ws);
    bool names_token = strstr(why, "SLACK_APP_TOKEN") != NULL && strstr(why, "xapp-") != why;
    slack_ws_stop(h.ws);
    long long until = emu_now_ms() + 300;
    while (emu_now_ms() < until)
        lws_service(h.ctx, 0);
    lws_sul_cancel(&test_tick);
    lws_context_destroy(h.ctx);
    slack_ws_free(h.ws);

    bool want_fatal =
        strcmp(current->name, "link_disabled") == 0 || strcmp(current->name, "bad_token") == 0;
    bool insecure = strcmp(current->name, "insecure") == 0;
    if (insecure && failed) {
        /* fatal, as wanted, but about the URL rather than the token */
    } else if (failed != want_fatal || (want_fatal && !names_token)) {
        fprintf(stderr, "fatal %d (wanted %d): \"%s\"\n", failed, want_fatal, why);
        check_failed++;
    }
    if (current->fake_server)
        fake_http_stop();
    else
        emu_stop(&h.emu, check_failed > 0);
    slack_api_global_cleanup();
    pthread_mutex_destroy(&h.mu);
    return CHECK_DONE();
}
