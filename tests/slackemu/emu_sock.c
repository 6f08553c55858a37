/*
 * Socket Mode connections: single-use tickets from apps.connections.open,
 * the WebSocket handshake check (path /link/, ticket, refusal), hello,
 * the per-connection write queue, server pings, the connection lifetime
 * (disconnect warning, then refresh_requested, then close), disconnect
 * frames on request (warning, refresh_requested, link_disabled), the
 * too_many_websockets refusal of the connection over the limit, dropping
 * every socket, and round-robin choice of a connection per envelope.
 * Incoming text messages are handed to emu_env; garbage is logged and
 * ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "xmalloc.h"

#define MAX_TICKETS    4096
#define MAX_PENDING    32
#define PENDING_TTL_US (10 * 1000000)

struct out_msg {
    struct out_msg *next;
    size_t len;
    char env_id[EMU_UUID_LEN];
    unsigned char data[]; /* LWS_PRE bytes, then len bytes */
};

enum conn_state { C_OPEN, C_WARNED, C_REFRESHING, C_CLOSING };
enum life_stage { LS_WARN, LS_REFRESH, LS_CLOSE };

struct emu_conn {
    struct emu *emu;
    struct lws *wsi;
    unsigned id;
    char host[48];
    int64_t opened_us;
    int lifetime_s;
    bool debug_reconnects;
    bool counted; /* one of the (at most max_conns) live connections */
    enum conn_state state;
    enum life_stage next_stage;
    struct out_msg *qhead, *qtail;
    size_t qbytes, qlen;
    bool ping_due, close_due, kill_due;
    lws_sorted_usec_list_t sul_life, sul_ping;
    struct buf rx;
    bool rx_discard;
    uint64_t sent, received;
    struct emu_conn *next;
};

struct ticket {
    char id[EMU_UUID_LEN];
    int64_t created_us;
};

struct pending {
    struct lws *wsi;
    bool debug;
    int64_t at_us;
};

struct emu_sock {
    struct emu_conn *conns;
    unsigned next_id;
    unsigned rr;
    struct ticket *tickets;
    size_t nt, capt;
    struct pending pend[MAX_PENDING];
    bool refuse;
    unsigned long opened_total, rejected_total, too_many_total;
};

struct emu_sock *emu_sock_new(void)
{
    return xcalloc(1, sizeof(struct emu_sock));
}

void emu_sock_free(struct emu_sock *s)
{
    if (!s)
        return;
    /* Connections are freed by their CLOSED callbacks during lws_context_destroy. */
    free(s->tickets);
    free(s);
}

void emu_sock_ticket(struct emu *emu, char *url, size_t urlsz)
{
    struct emu_sock *s = emu->sock;
    if (s->nt == MAX_TICKETS) { /* drop the oldest */
        memmove(s->tickets, s->tickets + 1, (s->nt - 1) * sizeof *s->tickets);
        s->nt--;
    }
    if (s->nt == s->capt) {
        s->capt = s->capt ? s->capt * 2 : 16;
        s->tickets = xreallocarray(s->tickets, s->capt, sizeof *s->tickets);
    }
    struct ticket *t = &s->tickets[s->nt++];
    emu_uuid(emu, t->id);
    t->created_us = emu_mono_us();
    snprintf(url, urlsz, "%s/link/?ticket=%s&app_id=%s", emu->ws_base, t->id, emu_wk_app_id(emu));
}

static bool ticket_take(struct emu *emu, const char *id)
{
    struct emu_sock *s = emu->sock;
    int64_t now = emu_mono_us();
    for (size_t i = 0; i < s->nt; i++) {
        if (strcmp(s->tickets[i].id, id) == 0) {
            bool fresh = now - s->tickets[i].created_us <= (int64_t)emu->cfg.ticket_ttl_ms * 1000;
            memmove(s->tickets + i, s->tickets + i + 1, (s->nt - i - 1) * sizeof *s->tickets);
            s->nt--;
            return fresh;
        }
    }
    return false;
}

/* Copies the value of query argument name (lws has URL-decoded it) into out, or "". */
static void url_arg(struct lws *wsi, const char *name, char *out, size_t outsz)
{
    char frag[512];
    size_t n = strlen(name);
    out[0] = '\0';
    for (int i = 0; i < 32; i++) {
        if (lws_hdr_copy_fragment(wsi, frag, (int)sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) < 0)
            return;
        if (strncmp(frag, name, n) == 0 && frag[n] == '=') {
            snprintf(out, outsz, "%s", frag + n + 1);
            return;
        }
    }
}

int emu_sock_filter(struct emu *emu, struct lws *wsi)
{
    struct emu_sock *s = emu->sock;
    char path[256] = "", ticket[128] = "", debug[16] = "";
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) < (int)sizeof path)
        lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI);
    /* Read by hand: lws_get_urlarg_by_name's buffer semantics differ between versions. */
    url_arg(wsi, "ticket", ticket, sizeof ticket);
    url_arg(wsi, "debug_reconnects", debug, sizeof debug);
    const char *why = NULL;
    if (strcmp(path, "/link") != 0 && strcmp(path, "/link/") != 0)
        why = "not_found";
    else if (s->refuse)
        why = "refused";
    else if (!ticket[0] || !ticket_take(emu, ticket))
        why = "invalid_ticket";
    if (why) {
        s->rejected_total++;
        if (!emu->cfg.quiet)
            emu_log(emu, "WS %s rejected: %s", path, why);
        lws_return_http_status(
            wsi, strcmp(why, "not_found") == 0 ? HTTP_STATUS_NOT_FOUND : HTTP_STATUS_UNAUTHORIZED,
            why);
        return -1;
    }
    int64_t now = emu_mono_us();
    struct pending *slot = &s->pend[0];
    for (int i = 0; i < MAX_PENDING; i++) {
        if (!s->pend[i].wsi || now - s->pend[i].at_us > PENDING_TTL_US) {
            slot = &s->pend[i];
            break;
        }
        if (s->pend[i].at_us < slot->at_us)
            slot = &s->pend[i];
    }
    slot->wsi = wsi;
    slot->debug = strcmp(debug, "true") == 0;
    slot->at_us = now;
    return 0;
}

static int live_count(struct emu_sock *s)
{
    int n = 0;
    for (struct emu_conn *c = s->conns; c; c = c->next)
        if (c->counted && c->state != C_CLOSING)
            n++;
    return n;
}

int emu_sock_count(struct emu *emu)
{
    return live_count(emu->sock);
}

static void queue_frame(struct emu_conn *c, const char *text, size_t len, const char *env_id)
{
    if (c->kill_due || c->state == C_CLOSING)
        return;
    struct out_msg *m = xmalloc(sizeof *m + LWS_PRE + len);
    m->next = NULL;
    m->len = len;
    snprintf(m->env_id, sizeof m->env_id, "%s", env_id ? env_id : "");
    memcpy(m->data + LWS_PRE, text, len);
    if (c->qtail)
        c->qtail->next = m;
    else
        c->qhead = m;
    c->qtail = m;
    c->qbytes += len;
    c->qlen++;
    if (c->qbytes > EMU_MAX_WS_QUEUE) {
        emu_log(c->emu, "WS #%u: client is not reading (%zu bytes queued); dropping it", c->id,
                c->qbytes);
        c->kill_due = true;
    }
    lws_callback_on_writable(c->wsi);
}

void emu_sock_send(struct emu *emu, struct emu_conn *c, const char *text, size_t len,
                   const char *envelope_id)
{
    (void)emu;
    queue_frame(c, text, len, envelope_id);
}

static void send_disconnect(struct emu_conn *c, const char *reason)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "disconnect");
    cJSON_AddStringToObject(o, "reason", reason);
    cJSON *dbg = cJSON_AddObjectToObject(o, "debug_info");
    cJSON_AddStringToObject(dbg, "host", c->host);
    char *s = emu_jprint(o);
    cJSON_Delete(o);
    queue_frame(c, s, strlen(s), NULL);
    free(s);
    if (!c->emu->cfg.quiet)
        emu_log(c->emu, "WS #%u: disconnect %s", c->id, reason);
}

static void close_soon(struct emu_conn *c)
{
    c->close_due = true;
    lws_callback_on_writable(c->wsi);
}

static void life_cb(lws_sorted_usec_list_t *sul)
{
    struct emu_conn *c = lws_container_of(sul, struct emu_conn, sul_life);
    struct emu *emu = c->emu;
    int64_t lead_ms = emu->cfg.warning_lead_ms;
    if (lead_ms > (int64_t)c->lifetime_s * 500)
        lead_ms = (int64_t)c->lifetime_s * 500;
    switch (c->next_stage) {
    case LS_WARN:
        if (c->state == C_OPEN) {
            c->state = C_WARNED;
            send_disconnect(c, "warning");
        }
        c->next_stage = LS_REFRESH;
        lws_sul_schedule(emu->lws, 0, &c->sul_life, life_cb, lead_ms * 1000);
        break;
    case LS_REFRESH:
        if (c->state == C_OPEN || c->state == C_WARNED) {
            c->state = C_REFRESHING;
            send_disconnect(c, "refresh_requested");
        }
        c->next_stage = LS_CLOSE;
        lws_sul_schedule(emu->lws, 0, &c->sul_life, life_cb,
                         (int64_t)emu->cfg.refresh_grace_ms * 1000);
        break;
    case LS_CLOSE:
        close_soon(c);
        break;
    }
}

static void ping_cb(lws_sorted_usec_list_t *sul)
{
    struct emu_conn *c = lws_container_of(sul, struct emu_conn, sul_ping);
    c->ping_due = true;
    lws_callback_on_writable(c->wsi);
    lws_sul_schedule(c->emu->lws, 0, &c->sul_ping, ping_cb,
                     (int64_t)c->emu->cfg.ping_interval_ms * 1000);
}

int emu_sock_established(struct emu *emu, struct lws *wsi, struct emu_conn **slot)
{
    struct emu_sock *s = emu->sock;
    struct emu_conn *c = xcalloc(1, sizeof *c);
    c->emu = emu;
    c->wsi = wsi;
    c->id = ++s->next_id;
    snprintf(c->host, sizeof c->host, "applink-emu-%u", c->id);
    c->opened_us = emu_mono_us();
    buf_init(&c->rx, EMU_MAX_WS_MSG);
    for (int i = 0; i < MAX_PENDING; i++) {
        if (s->pend[i].wsi == wsi) {
            c->debug_reconnects = s->pend[i].debug;
            s->pend[i].wsi = NULL;
        }
    }
    c->lifetime_s = c->debug_reconnects ? emu->cfg.debug_lifetime_s : emu->cfg.conn_lifetime_s;
    c->next = s->conns;
    s->conns = c;
    *slot = c;

    int live = live_count(s);
    if (live >= emu->cfg.max_conns) {
        /* Slack accepts the 11th socket, says why, and closes it (bolt-js#2238). */
        s->too_many_total++;
        if (!emu->cfg.quiet)
            emu_log(emu, "WS #%u: refused, already %d connections", c->id, live);
        send_disconnect(c, "too_many_websockets");
        c->state = C_OPEN;
        close_soon(c);
        return 0;
    }
    c->counted = true;
    s->opened_total++;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "hello");
    cJSON_AddNumberToObject(o, "num_connections", live + 1);
    cJSON *dbg = cJSON_AddObjectToObject(o, "debug_info");
    cJSON_AddStringToObject(dbg, "host", c->host);
    cJSON_AddNumberToObject(dbg, "build_number", emu->build_number);
    cJSON_AddNumberToObject(dbg, "approximate_connection_time", c->lifetime_s);
    cJSON *ci = cJSON_AddObjectToObject(o, "connection_info");
    cJSON_AddStringToObject(ci, "app_id", emu_wk_app_id(emu));
    char *hello = emu_jprint(o);
    cJSON_Delete(o);
    queue_frame(c, hello, strlen(hello), NULL);
    free(hello);

    int64_t lead_ms = emu->cfg.warning_lead_ms;
    if (lead_ms > (int64_t)c->lifetime_s * 500)
        lead_ms = (int64_t)c->lifetime_s * 500;
    c->next_stage = LS_WARN;
    lws_sul_schedule(emu->lws, 0, &c->sul_life, life_cb,
                     ((int64_t)c->lifetime_s * 1000 - lead_ms) * 1000);
    if (emu->cfg.ping_interval_ms > 0)
        lws_sul_schedule(emu->lws, 0, &c->sul_ping, ping_cb,
                         (int64_t)emu->cfg.ping_interval_ms * 1000);
    if (!emu->cfg.quiet)
        emu_log(emu, "WS #%u: open (%d connections, lifetime %ds%s)", c->id, live + 1,
                c->lifetime_s, c->debug_reconnects ? ", debug_reconnects" : "");
    emu_ctl_poke(emu);
    return 0;
}

int emu_sock_receive(struct emu *emu, struct emu_conn *c, const void *in, size_t len)
{
    if (lws_frame_is_binary(c->wsi))
        c->rx_discard = true;
    if (!c->rx_discard && buf_add(&c->rx, in, len) != BOT_OK) {
        c->rx_discard = true;
        emu_log(emu, "WS #%u: message over %u bytes ignored", c->id, EMU_MAX_WS_MSG);
    }
    if (lws_is_final_fragment(c->wsi) && lws_remaining_packet_payload(c->wsi) == 0) {
        c->received++;
        if (!c->rx_discard)
            emu_env_on_message(emu, c->id, buf_str(&c->rx), c->rx.len);
        else if (!emu->cfg.quiet)
            emu_log(emu, "WS #%u: binary or oversize message ignored", c->id);
        buf_reset(&c->rx);
        if (c->rx.cap > 65536) { /* give back memory after a big message */
            buf_free(&c->rx);
            buf_init(&c->rx, EMU_MAX_WS_MSG);
        }
        c->rx_discard = false;
    }
    return 0;
}

int emu_sock_writeable(struct emu *emu, struct emu_conn *c)
{
    if (c->kill_due)
        return -1; /* no close frame: the socket just goes away */
    if (c->ping_due) {
        c->ping_due = false;
        unsigned char buf[LWS_PRE + 125];
        int n = snprintf((char *)buf + LWS_PRE, 125, "Ping from %s", c->host);
        if (n < 0 || n >= 125)
            n = 4;
        if (lws_write(c->wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_PING) < n)
            return -1;
        if (c->qhead || c->close_due)
            lws_callback_on_writable(c->wsi);
        return 0;
    }
    struct out_msg *m = c->qhead;
    if (m) {
        c->qhead = m->next;
        if (!c->qhead)
            c->qtail = NULL;
        c->qbytes -= m->len;
        c->qlen--;
        /* Stamped before the write: the peer may ack before this thread runs again. */
        int64_t t = emu_mono_us();
        int n = lws_write(c->wsi, m->data + LWS_PRE, m->len, LWS_WRITE_TEXT);
        if (n < (int)m->len) {
            free(m);
            return -1;
        }
        c->sent++;
        if (m->env_id[0])
            emu_env_written(emu, m->env_id, c->id, t);
        free(m);
        if (c->qhead || c->close_due)
            lws_callback_on_writable(c->wsi);
        return 0;
    }
    if (c->close_due) {
        c->state = C_CLOSING;
        static const char why[] = "bye";
        lws_close_reason(c->wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)why, sizeof why - 1);
        return -1;
    }
    return 0;
}

void emu_sock_closed(struct emu *emu, struct emu_conn *c)
{
    struct emu_sock *s = emu->sock;
    lws_sul_cancel(&c->sul_life);
    lws_sul_cancel(&c->sul_ping);
    for (struct emu_conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    while (c->qhead) {
        struct out_msg *m = c->qhead;
        c->qhead = m->next;
        free(m);
    }
    buf_free(&c->rx);
    if (!emu->cfg.quiet)
        emu_log(emu, "WS #%u: closed after %.1fs (%llu frames out, %llu in; %d connections left)",
                c->id, (double)(emu_mono_us() - c->opened_us) / 1e6, (unsigned long long)c->sent,
                (unsigned long long)c->received, live_count(s));
    free(c);
    emu_ctl_poke(emu);
}

struct emu_conn *emu_sock_pick(struct emu *emu)
{
    struct emu_sock *s = emu->sock;
    struct emu_conn *usable[EMU_MAX_CONNS_LIMIT];
    int n = 0;
    for (struct emu_conn *c = s->conns; c && n < EMU_MAX_CONNS_LIMIT; c = c->next)
        if (c->counted && (c->state == C_OPEN || c->state == C_WARNED) && !c->close_due &&
            !c->kill_due)
            usable[n++] = c;
    if (n == 0)
        return NULL;
    return usable[s->rr++ % (unsigned)n];
}

unsigned emu_sock_conn_id(const struct emu_conn *c)
{
    return c->id;
}

int emu_sock_disconnect(struct emu *emu, unsigned id, const char *reason)
{
    int n = 0;
    for (struct emu_conn *c = emu->sock->conns; c; c = c->next) {
        if (!c->counted || c->state == C_CLOSING || c->close_due || c->kill_due)
            continue;
        if (id && c->id != id)
            continue;
        n++;
        send_disconnect(c, reason);
        if (!strcmp(reason, "refresh_requested")) {
            c->state = C_REFRESHING;
            c->next_stage = LS_CLOSE;
            lws_sul_schedule(emu->lws, 0, &c->sul_life, life_cb,
                             (int64_t)emu->cfg.refresh_grace_ms * 1000);
        } else if (!strcmp(reason, "warning")) {
            c->state = C_WARNED;
        } else {
            close_soon(c); /* link_disabled, too_many_websockets */
        }
    }
    return n;
}

int emu_sock_drop_all(struct emu *emu)
{
    int n = 0;
    for (struct emu_conn *c = emu->sock->conns; c; c = c->next) {
        c->kill_due = true;
        lws_callback_on_writable(c->wsi);
        n++;
    }
    return n;
}

void emu_sock_set_refuse(struct emu *emu, bool refuse)
{
    emu->sock->refuse = refuse;
}

bool emu_sock_refusing(struct emu *emu)
{
    return emu->sock->refuse;
}

cJSON *emu_sock_render(struct emu *emu)
{
    static const char *const names[] = {"open", "warned", "refreshing", "closing"};
    cJSON *arr = cJSON_CreateArray();
    int64_t now = emu_mono_us();
    for (struct emu_conn *c = emu->sock->conns; c; c = c->next) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", c->id);
        cJSON_AddStringToObject(o, "host", c->host);
        cJSON_AddStringToObject(o, "state",
                                !c->counted    ? "refused"
                                : c->close_due ? "closing"
                                               : names[c->state]);
        cJSON_AddNumberToObject(o, "age_ms", (double)((now - c->opened_us) / 1000));
        cJSON_AddNumberToObject(o, "approximate_connection_time", c->lifetime_s);
        cJSON_AddBoolToObject(o, "debug_reconnects", c->debug_reconnects);
        cJSON_AddNumberToObject(o, "frames_sent", (double)c->sent);
        cJSON_AddNumberToObject(o, "frames_received", (double)c->received);
        cJSON_AddNumberToObject(o, "queued", (double)c->qlen);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

cJSON *emu_sock_summary(struct emu *emu)
{
    struct emu_sock *s = emu->sock;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "open", live_count(s));
    cJSON_AddNumberToObject(o, "opened_total", (double)s->opened_total);
    cJSON_AddNumberToObject(o, "rejected_total", (double)s->rejected_total);
    cJSON_AddNumberToObject(o, "too_many_websockets_total", (double)s->too_many_total);
    cJSON_AddBoolToObject(o, "refusing", s->refuse);
    cJSON_AddNumberToObject(o, "tickets_outstanding", (double)s->nt);
    return o;
}

void emu_sock_tick(struct emu *emu)
{
    struct emu_sock *s = emu->sock;
    int64_t now = emu_mono_us(), ttl = (int64_t)emu->cfg.ticket_ttl_ms * 1000;
    size_t k = 0;
    for (size_t i = 0; i < s->nt; i++)
        if (now - s->tickets[i].created_us <= ttl)
            s->tickets[k++] = s->tickets[i];
    s->nt = k;
}
