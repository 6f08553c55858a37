/*
 * Envelopes, as Slack's Socket Mode sends them: building the envelope frame
 * around a payload, choosing a connection, the ack deadline, acks (with or
 * without a payload; unknown, duplicate, late and malformed ones are
 * counted and logged), redelivery of unacked events_api envelopes with
 * retry_attempt/retry_reason on Slack's schedule (never for slash commands
 * or interactions), the send-to-ack latency of every envelope in
 * microseconds, and the flood driver that delivers envelopes at a given
 * rate for the ack-latency benchmark.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "xmalloc.h"

#define HASH_BUCKETS   (1u << 16)
#define FLOOD_MAX_TICK 5000 /* envelopes a single step may send while catching up */
#define FLOOD_STEP_US  1000 /* flood pacing step */

enum env_status { E_QUEUED, E_SENT, E_ACKED, E_TIMED_OUT, E_UNDELIVERED };

struct event {     /* one events_api payload and its delivery attempts */
    char *payload; /* serialized event_callback */
    char event_type[48];
    int attempts;   /* deliveries made so far */
    bool done;      /* acked, or out of retries */
    bool scheduled; /* a retry is due at due_us */
    int64_t due_us;
    char reason[32];     /* retry_reason for the next attempt */
    struct event *next;  /* all events, for freeing */
    struct event *rnext; /* the list of events with a retry scheduled */
};

struct envelope {
    char id[EMU_UUID_LEN];
    enum emu_env_type type;
    char subtype[48]; /* payload type: block_actions, slash command name, event type */
    bool accepts;
    int retry_attempt;
    enum env_status status;
    bool late; /* acked after its deadline */
    unsigned conn_id;
    int64_t queued_us, sent_us, acked_us;
    struct event *event;
    cJSON *ctx;
    cJSON *ack_payload;
    struct envelope *hnext; /* hash chain */
    struct envelope *pnext; /* pending FIFO */
    struct envelope *anext; /* all envelopes, newest first */
};

struct flood {
    struct emu *emu;
    lws_sorted_usec_list_t sul; /* paces the flood at 1 ms steps */
    bool active;
    long count, sent;
    double rate;
    enum emu_env_type type;
    int64_t start_us, end_us;
};

struct emu_env {
    struct envelope *hash[HASH_BUCKETS];
    struct envelope *all;
    struct envelope *phead, *ptail;
    struct envelope **acks;
    size_t nacks, capacks;
    struct event *events;
    struct event *retries; /* events waiting for a redelivery */
    int64_t *lat;
    size_t nlat, caplat;
    unsigned long sent, acked, timed_out, retried, undelivered, unknown_acks, dup_acks, invalid,
        late_acks;
    struct flood flood;
    unsigned long event_seq;
};

static unsigned hash_id(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h & (HASH_BUCKETS - 1);
}

static struct envelope *find(struct emu_env *e, const char *id)
{
    for (struct envelope *v = e->hash[hash_id(id)]; v; v = v->hnext)
        if (strcmp(v->id, id) == 0)
            return v;
    return NULL;
}

const char *emu_env_type_name(enum emu_env_type t)
{
    switch (t) {
    case EMU_ENV_EVENTS_API:
        return "events_api";
    case EMU_ENV_SLASH:
        return "slash_commands";
    case EMU_ENV_INTERACTIVE:
        return "interactive";
    }
    return "?";
}

struct emu_env *emu_env_new(void)
{
    return xcalloc(1, sizeof(struct emu_env));
}

static void clear(struct emu_env *e)
{
    lws_sul_cancel(&e->flood.sul);
    struct envelope *v = e->all;
    while (v) {
        struct envelope *n = v->anext;
        cJSON_Delete(v->ctx);
        cJSON_Delete(v->ack_payload);
        free(v);
        v = n;
    }
    struct event *ev = e->events;
    while (ev) {
        struct event *n = ev->next;
        free(ev->payload);
        free(ev);
        ev = n;
    }
    free(e->acks);
    free(e->lat);
    memset(e, 0, sizeof *e);
}

void emu_env_stop(struct emu *emu)
{
    lws_sul_cancel(&emu->env->flood.sul);
    emu->env->flood.active = false;
}

void emu_env_free(struct emu_env *e)
{
    if (!e)
        return;
    clear(e);
    free(e);
}

void emu_env_reset(struct emu *emu)
{
    clear(emu->env);
}

static struct envelope *env_new(struct emu *emu, enum emu_env_type type, const char *subtype,
                                bool accepts, cJSON *ctx)
{
    struct emu_env *e = emu->env;
    struct envelope *v = xcalloc(1, sizeof *v);
    do
        emu_uuid(emu, v->id);
    while (find(e, v->id));
    v->type = type;
    snprintf(v->subtype, sizeof v->subtype, "%s", subtype ? subtype : "");
    v->accepts = accepts;
    v->ctx = ctx;
    v->queued_us = emu_mono_us();
    unsigned h = hash_id(v->id);
    v->hnext = e->hash[h];
    e->hash[h] = v;
    v->anext = e->all;
    e->all = v;
    return v;
}

static void pending_push(struct emu_env *e, struct envelope *v)
{
    v->pnext = NULL;
    if (e->ptail)
        e->ptail->pnext = v;
    else
        e->phead = v;
    e->ptail = v;
}

/* Writes the envelope frame and queues it on conn. */
static void send_frame(struct emu *emu, struct emu_conn *conn, struct envelope *v,
                       const char *payload, const char *retry_reason)
{
    struct buf b;
    buf_init(&b, EMU_MAX_WS_QUEUE);
    enum bot_rc rc = buf_addf(&b, "{\"envelope_id\":\"%s\",\"payload\":", v->id);
    if (!rc)
        rc = buf_addstr(&b, payload);
    if (!rc)
        rc = buf_addf(&b, ",\"type\":\"%s\",\"accepts_response_payload\":%s",
                      emu_env_type_name(v->type), v->accepts ? "true" : "false");
    if (!rc && v->type == EMU_ENV_EVENTS_API)
        rc = buf_addf(&b, ",\"retry_attempt\":%d,\"retry_reason\":\"%s\"", v->retry_attempt,
                      retry_reason);
    if (!rc)
        rc = buf_addstr(&b, "}");
    if (rc) {
        emu_log(emu, "envelope %s too large to send", v->id);
        v->status = E_UNDELIVERED;
        buf_free(&b);
        return;
    }
    v->status = E_QUEUED;
    v->conn_id = emu_sock_conn_id(conn);
    emu->env->sent++;
    emu_sock_send(emu, conn, b.data, b.len, v->id);
    buf_free(&b);
    pending_push(emu->env, v);
}

/* Schedules the next attempt of ev after the configured delay, or gives up. */
static void schedule_retry(struct emu *emu, struct event *ev, const char *reason)
{
    if (ev->done || ev->scheduled)
        return;
    if (ev->attempts > EMU_RETRIES) {
        ev->done = true; /* out of retries: Slack drops it */
        free(ev->payload);
        ev->payload = NULL;
        return;
    }
    ev->scheduled = true;
    ev->due_us = emu_mono_us() + (int64_t)emu->cfg.retry_delays_ms[ev->attempts - 1] * 1000;
    snprintf(ev->reason, sizeof ev->reason, "%s", reason);
    ev->rnext = emu->env->retries;
    emu->env->retries = ev;
}

/* One delivery attempt of an event; the first attempt's envelope id goes to id_out. */
static struct envelope *event_attempt(struct emu *emu, struct event *ev)
{
    struct emu_env *e = emu->env;
    struct envelope *v = env_new(emu, EMU_ENV_EVENTS_API, ev->event_type, false, NULL);
    v->event = ev;
    v->retry_attempt = ev->attempts;
    ev->attempts++;
    ev->scheduled = false;
    if (v->retry_attempt > 0)
        e->retried++;
    struct emu_conn *conn = emu_sock_pick(emu);
    if (!conn) {
        v->status = E_UNDELIVERED;
        e->undelivered++;
        /* Nobody is listening: this attempt failed; Slack tries again later. */
        schedule_retry(emu, ev, "connection_failed");
        return v;
    }
    send_frame(emu, conn, v, ev->payload, v->retry_attempt ? ev->reason : "");
    return v;
}

static void deliver_str(struct emu *emu, enum emu_env_type type, char *payload, const char *subtype,
                        bool accepts, cJSON *ctx, char id_out[EMU_UUID_LEN], bool *delivered)
{
    struct emu_env *e = emu->env;
    if (type == EMU_ENV_EVENTS_API) {
        cJSON_Delete(ctx);
        struct event *ev = xcalloc(1, sizeof *ev);
        ev->payload = payload;
        snprintf(ev->event_type, sizeof ev->event_type, "%s", subtype ? subtype : "");
        ev->next = e->events;
        e->events = ev;
        struct envelope *v = event_attempt(emu, ev);
        if (id_out)
            snprintf(id_out, EMU_UUID_LEN, "%s", v->id);
        *delivered = v->status != E_UNDELIVERED;
        return;
    }
    struct envelope *v = env_new(emu, type, subtype, accepts, ctx);
    if (id_out)
        snprintf(id_out, EMU_UUID_LEN, "%s", v->id);
    struct emu_conn *conn = emu_sock_pick(emu);
    if (!conn) {
        v->status = E_UNDELIVERED;
        e->undelivered++;
        *delivered = false;
    } else {
        send_frame(emu, conn, v, payload, "");
        *delivered = v->status != E_UNDELIVERED;
    }
    free(payload);
}

bool emu_env_deliver(struct emu *emu, enum emu_env_type type, cJSON *payload,
                     bool accepts_response_payload, cJSON *ctx, char id_out[EMU_UUID_LEN])
{
    char subtype[48] = "";
    const char *t = emu_jstr(payload, "type");
    if (type == EMU_ENV_SLASH)
        t = emu_jstr(payload, "command");
    if (type == EMU_ENV_EVENTS_API)
        t = emu_jstr(cJSON_GetObjectItemCaseSensitive(payload, "event"), "type");
    snprintf(subtype, sizeof subtype, "%s", t ? t : "");
    char *s = emu_jprint(payload);
    cJSON_Delete(payload);
    bool delivered;
    deliver_str(emu, type, s, subtype, accepts_response_payload, ctx, id_out, &delivered);
    if (!emu->cfg.quiet && !emu->env->flood.active)
        emu_log(emu, "envelope %s %s %s%s", id_out ? id_out : "-", emu_env_type_name(type), subtype,
                delivered ? "" : " (no connection)");
    return delivered;
}

void emu_env_written(struct emu *emu, const char *envelope_id, unsigned conn_id, int64_t sent_us)
{
    struct envelope *v = find(emu->env, envelope_id);
    if (!v || v->status != E_QUEUED)
        return;
    v->status = E_SENT;
    v->sent_us = sent_us;
    v->conn_id = conn_id;
}

static void add_latency(struct emu_env *e, int64_t us)
{
    if (e->nlat == e->caplat) {
        e->caplat = e->caplat ? e->caplat * 2 : 1024;
        e->lat = xreallocarray(e->lat, e->caplat, sizeof *e->lat);
    }
    e->lat[e->nlat++] = us;
}

void emu_env_on_message(struct emu *emu, unsigned conn_id, const char *text, size_t len)
{
    struct emu_env *e = emu->env;
    int64_t now = emu_mono_us();
    cJSON *j = cJSON_ParseWithLength(text, len);
    const char *id = j ? emu_jstr(j, "envelope_id") : NULL;
    if (!cJSON_IsObject(j) || !id) {
        e->invalid++;
        if (!emu->cfg.quiet)
            emu_log(emu, "WS #%u: ignored a message that is not an ack (%zu bytes)", conn_id, len);
        cJSON_Delete(j);
        return;
    }
    struct envelope *v = find(e, id);
    if (!v) {
        e->unknown_acks++;
        if (!emu->cfg.quiet)
            emu_log(emu, "WS #%u: ack for unknown envelope %.40s", conn_id, id);
        cJSON_Delete(j);
        return;
    }
    if (v->status == E_ACKED || (v->status == E_TIMED_OUT && v->late)) {
        e->dup_acks++;
        if (!emu->cfg.quiet)
            emu_log(emu, "WS #%u: duplicate ack for %s", conn_id, id);
        cJSON_Delete(j);
        return;
    }
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(j, "payload");
    if (payload && !cJSON_IsNull(payload))
        v->ack_payload = cJSON_Duplicate(payload, 1);
    v->acked_us = now;
    bool late = v->status == E_TIMED_OUT;
    if (v->sent_us == 0) /* the ack beat our bookkeeping of the write */
        v->sent_us = now;
    if (late) {
        v->late = true;
        e->late_acks++;
    } else {
        v->status = E_ACKED;
    }
    e->acked++;
    add_latency(e, now - v->sent_us);
    if (e->nacks == e->capacks) {
        e->capacks = e->capacks ? e->capacks * 2 : 256;
        e->acks = xreallocarray(e->acks, e->capacks, sizeof *e->acks);
    }
    e->acks[e->nacks++] = v;
    if (v->event && !v->event->done) {
        v->event->done = true; /* a scheduled retry is dropped at the next tick */
        free(v->event->payload);
        v->event->payload = NULL;
    }
    if (!emu->cfg.quiet && !e->flood.active)
        emu_log(emu, "ack %s %s %lldus%s%s", v->id, emu_env_type_name(v->type),
                (long long)(now - v->sent_us), v->ack_payload ? " with payload" : "",
                late ? " (late: the user already saw an error)" : "");
    /* A late ack of a slash command or interaction changes nothing: Slack gave up. */
    if (!late && v->ctx)
        emu_ix_on_ack(emu, v->ctx, v->ack_payload, v->id);
    cJSON_Delete(j);
    emu_ctl_poke(emu);
}

static void expire(struct emu *emu, struct envelope *v)
{
    struct emu_env *e = emu->env;
    v->status = E_TIMED_OUT;
    e->timed_out++;
    if (!emu->cfg.quiet && !e->flood.active)
        emu_log(emu, "envelope %s %s %s not acked in %dms", v->id, emu_env_type_name(v->type),
                v->subtype, emu->cfg.ack_timeout_ms);
    if (v->event)
        schedule_retry(emu, v->event, "timeout");
    if (v->ctx)
        emu_ix_on_timeout(emu, v->ctx, v->id);
    emu_ctl_poke(emu);
}

void emu_env_tick(struct emu *emu)
{
    struct emu_env *e = emu->env;
    int64_t now = emu_mono_us();
    int64_t timeout = (int64_t)emu->cfg.ack_timeout_ms * 1000;
    while (e->phead) {
        struct envelope *v = e->phead;
        if (v->status == E_SENT || v->status == E_QUEUED) {
            int64_t start = v->status == E_SENT ? v->sent_us : v->queued_us;
            if (now - start < timeout)
                break;
            expire(emu, v);
        }
        e->phead = v->pnext;
        if (!e->phead)
            e->ptail = NULL;
        v->pnext = NULL;
    }
    /* Due retries are taken off the list first: an attempt may schedule the next one. */
    struct event *due = NULL;
    for (struct event **pp = &e->retries; *pp;) {
        struct event *ev = *pp;
        if (ev->done || now >= ev->due_us) {
            *pp = ev->rnext;
            ev->scheduled = false;
            if (!ev->done) {
                ev->rnext = due;
                due = ev;
            }
        } else {
            pp = &ev->rnext;
        }
    }
    while (due) {
        struct event *ev = due;
        due = ev->rnext;
        event_attempt(emu, ev);
    }
}

/* ---------- reports ---------- */

static cJSON *ack_json(const struct envelope *v)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "envelope_id", v->id);
    cJSON_AddStringToObject(o, "type", emu_env_type_name(v->type));
    cJSON_AddNumberToObject(o, "latency_us", (double)(v->acked_us - v->sent_us));
    if (v->ack_payload)
        cJSON_AddItemToObject(o, "payload", cJSON_Duplicate(v->ack_payload, 1));
    else
        cJSON_AddNullToObject(o, "payload");
    cJSON_AddStringToObject(o, "subtype", v->subtype);
    cJSON_AddNumberToObject(o, "connection_id", v->conn_id);
    if (v->type == EMU_ENV_EVENTS_API)
        cJSON_AddNumberToObject(o, "retry_attempt", v->retry_attempt);
    cJSON_AddBoolToObject(o, "late", v->late);
    return o;
}

cJSON *emu_env_acks(struct emu *emu, long since, const char *envelope_id)
{
    struct emu_env *e = emu->env;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", 1);
    cJSON *arr = cJSON_AddArrayToObject(o, "acks");
    for (size_t i = since > 0 ? (size_t)since : 0; i < e->nacks; i++) {
        if (envelope_id && strcmp(e->acks[i]->id, envelope_id) != 0)
            continue;
        cJSON_AddItemToArray(arr, ack_json(e->acks[i]));
    }
    cJSON_AddNumberToObject(o, "total", (double)e->nacks);
    return o;
}

size_t emu_env_ack_count(struct emu *emu)
{
    return emu->env->nacks;
}

bool emu_env_is_acked(struct emu *emu, const char *id)
{
    struct envelope *v = find(emu->env, id);
    return v && (v->status == E_ACKED || v->late);
}

cJSON *emu_env_lookup(struct emu *emu, const char *id)
{
    static const char *const names[] = {"queued", "sent", "acked", "timed_out", "undelivered"};
    struct envelope *v = find(emu->env, id);
    if (!v)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "envelope_id", v->id);
    cJSON_AddStringToObject(o, "type", emu_env_type_name(v->type));
    cJSON_AddStringToObject(o, "subtype", v->subtype);
    cJSON_AddStringToObject(o, "status", names[v->status]);
    cJSON_AddBoolToObject(o, "late_ack", v->late);
    cJSON_AddNumberToObject(o, "connection_id", v->conn_id);
    if (v->type == EMU_ENV_EVENTS_API)
        cJSON_AddNumberToObject(o, "retry_attempt", v->retry_attempt);
    if (v->acked_us)
        cJSON_AddNumberToObject(o, "latency_us", (double)(v->acked_us - v->sent_us));
    return o;
}

/* All envelopes of the same event as `id`, oldest first (for retry inspection). */
cJSON *emu_env_attempts(struct emu *emu, const char *id)
{
    struct envelope *v = find(emu->env, id);
    cJSON *arr = cJSON_CreateArray();
    if (!v || !v->event)
        return arr;
    for (struct envelope *w = emu->env->all; w; w = w->anext)
        if (w->event == v->event)
            cJSON_InsertItemInArray(arr, 0, emu_env_lookup(emu, w->id));
    return arr;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

cJSON *emu_env_stats(struct emu *emu, bool reset)
{
    struct emu_env *e = emu->env;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", 1);
    cJSON_AddNumberToObject(o, "sent", (double)e->sent);
    cJSON_AddNumberToObject(o, "acked", (double)e->acked);
    cJSON_AddNumberToObject(o, "timed_out", (double)e->timed_out);
    cJSON_AddNumberToObject(o, "late_acks", (double)e->late_acks);
    cJSON_AddNumberToObject(o, "retried", (double)e->retried);
    cJSON_AddNumberToObject(o, "undelivered", (double)e->undelivered);
    cJSON_AddNumberToObject(o, "unknown_acks", (double)e->unknown_acks);
    cJSON_AddNumberToObject(o, "duplicate_acks", (double)e->dup_acks);
    cJSON_AddNumberToObject(o, "invalid_messages", (double)e->invalid);
    cJSON *l = cJSON_AddObjectToObject(o, "latency_us");
    cJSON_AddNumberToObject(l, "count", (double)e->nlat);
    if (e->nlat) {
        int64_t *s = xreallocarray(NULL, e->nlat, sizeof *s);
        memcpy(s, e->lat, e->nlat * sizeof *s);
        qsort(s, e->nlat, sizeof *s, cmp_i64);
        double sum = 0;
        for (size_t i = 0; i < e->nlat; i++)
            sum += (double)s[i];
        cJSON_AddNumberToObject(l, "min", (double)s[0]);
        cJSON_AddNumberToObject(l, "p50", (double)s[e->nlat / 2]);
        cJSON_AddNumberToObject(l, "p90", (double)s[e->nlat * 9 / 10]);
        cJSON_AddNumberToObject(l, "p99", (double)s[e->nlat * 99 / 100]);
        cJSON_AddNumberToObject(l, "max", (double)s[e->nlat - 1]);
        cJSON_AddNumberToObject(l, "mean", sum / (double)e->nlat);
        free(s);
    }
    struct flood *f = &e->flood;
    cJSON *fo = cJSON_AddObjectToObject(o, "flood");
    cJSON_AddBoolToObject(fo, "active", f->active);
    cJSON_AddNumberToObject(fo, "requested", (double)f->count);
    cJSON_AddNumberToObject(fo, "sent", (double)f->sent);
    cJSON_AddNumberToObject(fo, "rate", f->rate);
    int64_t end = f->active ? emu_mono_us() : f->end_us;
    double secs = f->start_us ? (double)(end - f->start_us) / 1e6 : 0;
    cJSON_AddNumberToObject(fo, "elapsed_s", secs);
    cJSON_AddNumberToObject(fo, "achieved_rate", secs > 0 ? (double)f->sent / secs : 0);
    if (reset) {
        e->nlat = 0;
        e->sent = e->acked = e->timed_out = e->retried = e->undelivered = 0;
        e->unknown_acks = e->dup_acks = e->invalid = e->late_acks = 0;
    }
    return o;
}

cJSON *emu_env_summary(struct emu *emu)
{
    struct emu_env *e = emu->env;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "sent", (double)e->sent);
    cJSON_AddNumberToObject(o, "acked", (double)e->acked);
    cJSON_AddNumberToObject(o, "timed_out", (double)e->timed_out);
    cJSON_AddNumberToObject(o, "retried", (double)e->retried);
    cJSON_AddNumberToObject(o, "undelivered", (double)e->undelivered);
    cJSON_AddNumberToObject(o, "acks", (double)e->nacks);
    return o;
}

/* ---------- flood ---------- */

static char *flood_payload(struct emu *emu, enum emu_env_type type, long n)
{
    char ts[EMU_TS_LEN];
    emu_next_ts(emu, ts);
    const char *team = emu_wk_team_id(emu), *app = emu_wk_app_id(emu);
    const char *bot = emu_wk_bot_user(emu), *user = emu_wk_first_human(emu);
    if (type == EMU_ENV_SLASH) {
        char trig[EMU_TRIGGER_LEN];
        emu_trigger_id(emu, trig);
        return xasprintf("{\"token\":\"emu-verification-token\",\"team_id\":\"%s\","
                         "\"team_domain\":\"%s\",\"channel_id\":\"C0INCIDENTS\","
                         "\"channel_name\":\"incidents\",\"user_id\":\"%s\",\"user_name\":\"%s\","
                         "\"command\":\"/incident\",\"text\":\"flood %ld\",\"api_app_id\":\"%s\","
                         "\"response_url\":\"%s/commands/%s/0/flood\",\"trigger_id\":\"%s\"}",
                         team, emu_wk_team_domain(emu), user, emu_wk_user_name(emu, user), n, app,
                         emu->base_url, team, trig);
    }
    unsigned long seq = ++emu->env->event_seq;
    return xasprintf(
        "{\"token\":\"emu-verification-token\",\"team_id\":\"%s\",\"api_app_id\":"
        "\"%s\",\"event\":{\"type\":\"app_mention\",\"user\":\"%s\",\"text\":\"<@%s> "
        "flood %ld\",\"ts\":\"%s\",\"team\":\"%s\",\"channel\":\"C0INCIDENTS\","
        "\"event_ts\":\"%s\"},\"type\":\"event_callback\",\"event_id\":\"Ev0FL%010lu\","
        "\"event_time\":%lld,\"authorizations\":[{\"enterprise_id\":null,\"team_id\":"
        "\"%s\",\"user_id\":\"%s\",\"is_bot\":true,\"is_enterprise_install\":false}],"
        "\"is_ext_shared_channel\":false,\"event_context\":\"4-flood-%lu\"}",
        team, app, user, bot, n, ts, team, ts, seq, (long long)(emu_wall_us() / 1000000), team, bot,
        seq);
}

static void flood_step(lws_sorted_usec_list_t *sul);

static void flood_tick(struct emu *emu, int64_t now)
{
    struct flood *f = &emu->env->flood;
    if (!f->active)
        return;
    double due = (double)(now - f->start_us) / 1e6 * f->rate + 1.0;
    long target = due >= (double)f->count ? f->count : (long)due;
    int budget = FLOOD_MAX_TICK;
    while (f->sent < target && budget-- > 0) {
        char *p = flood_payload(emu, f->type, f->sent);
        bool delivered;
        deliver_str(emu, f->type, p, f->type == EMU_ENV_SLASH ? "/incident" : "app_mention",
                    f->type == EMU_ENV_SLASH, NULL, NULL, &delivered);
        f->sent++;
    }
    if (f->sent >= f->count) {
        f->active = false;
        f->end_us = now;
        emu_log(emu, "flood done: %ld envelopes in %.3fs", f->sent,
                (double)(now - f->start_us) / 1e6);
        return;
    }
    lws_sul_schedule(emu->lws, 0, &f->sul, flood_step, FLOOD_STEP_US);
}

static void flood_step(lws_sorted_usec_list_t *sul)
{
    struct flood *f = lws_container_of(sul, struct flood, sul);
    flood_tick(f->emu, emu_mono_us());
}

const char *emu_env_flood(struct emu *emu, long count, double rate, const char *type)
{
    struct flood *f = &emu->env->flood;
    if (f->active)
        return "flood_running";
    if (count < 1 || count > 10000000)
        return "invalid_count";
    if (!(rate > 0 && rate <= 1e6))
        return "invalid_rate";
    enum emu_env_type t;
    if (!type || !strcmp(type, "events_api"))
        t = EMU_ENV_EVENTS_API;
    else if (!strcmp(type, "slash_commands"))
        t = EMU_ENV_SLASH;
    else
        return "invalid_type";
    if (emu_sock_count(emu) == 0)
        return "no_connection";
    lws_sul_cancel(&f->sul);
    memset(f, 0, sizeof *f);
    f->emu = emu;
    f->active = true;
    f->count = count;
    f->rate = rate;
    f->type = t;
    f->start_us = emu_mono_us();
    emu_log(emu, "flood: %ld %s envelopes at %.0f/s", count, emu_env_type_name(t), rate);
    flood_tick(emu, f->start_us);
    return NULL;
}
