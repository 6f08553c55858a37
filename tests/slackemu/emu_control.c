/*
 * The control API for tests under /_emu/: JSON in (body, or the query
 * string for GETs), JSON out. It owns the endpoint table and help text,
 * reading the whole state, faults and switches (rate limits, refusing
 * connections, dropping websockets, disconnect frames, runtime settings),
 * reset, the flood driver and latency statistics, and /_emu/wait, a long
 * poll that answers when a number of connections or acks is reached.
 * Interaction requests (slash, click, submit, event, ...) are passed to
 * emu_interact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "xmalloc.h"

#define WAIT_MAX_MS  600000
#define WAIT_DEFAULT 10000
#define MAX_WAITERS  256

struct waiter {
    struct emu_http *http;
    int connections; /* -1: not waited for */
    long acks;       /* -1: not waited for */
    char envelope_id[EMU_UUID_LEN];
    int64_t deadline_us;
};

struct emu_ctl {
    struct waiter w[MAX_WAITERS];
    size_t n;
};

struct emu_ctl *emu_ctl_new(void)
{
    return xcalloc(1, sizeof(struct emu_ctl));
}

void emu_ctl_free(struct emu_ctl *c)
{
    free(c);
}

/* A number from a JSON number or a numeric string (query arguments are strings). */
static bool num(const cJSON *req, const char *key, double *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(req, key);
    if (cJSON_IsNumber(it)) {
        /* Bounded, so that callers may cast to int or long safely. */
        if (!(it->valuedouble >= -1e9 && it->valuedouble <= 1e9))
            return false;
        *out = it->valuedouble;
        return true;
    }
    long v;
    if (cJSON_IsString(it) && emu_parse_long(it->valuestring, -1000000000L, 1000000000L, &v)) {
        *out = (double)v;
        return true;
    }
    return false;
}

static bool flag(const cJSON *req, const char *key, bool def)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(req, key);
    if (cJSON_IsBool(it))
        return cJSON_IsTrue(it);
    if (cJSON_IsString(it))
        return !strcmp(it->valuestring, "true") || !strcmp(it->valuestring, "1");
    return def;
}

static bool is_post_only(const char *cmd)
{
    static const char *const names[] = {
        "slash",   "click", "submit",     "close_view",      "event",      "envelope",
        "message", "fault", "ratelimits", "drop_websockets", "disconnect", "refuse_connections",
        "reset",   "flood", NULL};
    for (size_t i = 0; names[i]; i++)
        if (!strcmp(names[i], cmd))
            return true;
    return false;
}

static cJSON *ok(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", 1);
    return o;
}

/* ---------- wait ---------- */

static bool satisfied(struct emu *emu, const struct waiter *w)
{
    if (w->connections >= 0 && emu_sock_count(emu) != w->connections)
        return false;
    if (w->acks >= 0 && (long)emu_env_ack_count(emu) < w->acks)
        return false;
    if (w->envelope_id[0] && !emu_env_is_acked(emu, w->envelope_id))
        return false;
    return true;
}

static void wait_answer(struct emu *emu, size_t i, bool success)
{
    struct emu_ctl *c = emu->ctl;
    struct waiter w = c->w[i];
    c->w[i] = c->w[--c->n];
    struct emu_resp resp;
    memset(&resp, 0, sizeof resp);
    resp.status = 200;
    cJSON *o = success ? ok() : emu_jerror("timeout");
    cJSON_AddNumberToObject(o, "connections", emu_sock_count(emu));
    cJSON_AddNumberToObject(o, "acks", (double)emu_env_ack_count(emu));
    if (w.envelope_id[0])
        cJSON_AddBoolToObject(o, "acked", emu_env_is_acked(emu, w.envelope_id));
    emu_resp_json(&resp, o);
    emu_http_answer(emu, w.http, &resp);
}

void emu_ctl_poke(struct emu *emu)
{
    struct emu_ctl *c = emu->ctl;
    for (size_t i = 0; i < c->n;) {
        if (satisfied(emu, &c->w[i]))
            wait_answer(emu, i, true);
        else
            i++;
    }
}

void emu_ctl_tick(struct emu *emu)
{
    struct emu_ctl *c = emu->ctl;
    int64_t now = emu_mono_us();
    for (size_t i = 0; i < c->n;) {
        if (satisfied(emu, &c->w[i]))
            wait_answer(emu, i, true);
        else if (now >= c->w[i].deadline_us)
            wait_answer(emu, i, false);
        else
            i++;
    }
}

void emu_ctl_forget(struct emu *emu, struct emu_http *http)
{
    struct emu_ctl *c = emu->ctl;
    if (!c)
        return;
    for (size_t i = 0; i < c->n;) {
        if (c->w[i].http == http)
            c->w[i] = c->w[--c->n];
        else
            i++;
    }
}

static void do_wait(struct emu *emu, const cJSON *req, struct emu_req *hreq, struct emu_resp *resp)
{
    struct emu_ctl *c = emu->ctl;
    struct waiter w;
    memset(&w, 0, sizeof w);
    double v;
    w.connections = num(req, "connections", &v) && v >= 0 ? (int)v : -1;
    w.acks = num(req, "acks", &v) && v >= 0 ? (long)v : -1;
    const char *env = emu_jstr(req, "envelope_id");
    if (env)
        snprintf(w.envelope_id, sizeof w.envelope_id, "%s", env);
    double ms = WAIT_DEFAULT;
    if (num(req, "timeout_ms", &v))
        ms = v < 0 ? 0 : v > WAIT_MAX_MS ? WAIT_MAX_MS : v;
    w.deadline_us = emu_mono_us() + (int64_t)(ms * 1000);
    w.http = hreq->http;
    if (w.connections < 0 && w.acks < 0 && !w.envelope_id[0]) {
        emu_resp_json(resp, emu_jerror("nothing_to_wait_for"));
        return;
    }
    if (satisfied(emu, &w)) {
        cJSON *o = ok();
        cJSON_AddNumberToObject(o, "connections", emu_sock_count(emu));
        cJSON_AddNumberToObject(o, "acks", (double)emu_env_ack_count(emu));
        if (w.envelope_id[0])
            cJSON_AddBoolToObject(o, "acked", 1);
        emu_resp_json(resp, o);
        return;
    }
    if (c->n == MAX_WAITERS) {
        emu_resp_json(resp, emu_jerror("too_many_waiters"));
        return;
    }
    c->w[c->n++] = w;
    resp->deferred = true;
    snprintf(resp->note, sizeof resp->note, "waiting");
}

/* ---------- the rest ---------- */

static cJSON *help(void)
{
    static const char *const lines[] = {
        "POST /_emu/slash {user_id,channel_id,command,text} -> {ok,envelope_id,trigger_id}",
        "GET  /_emu/acks[?since=N&envelope_id=ID] -> {ok,acks:[{envelope_id,type,latency_us,"
        "payload}]}",
        "POST /_emu/click {user_id,channel_id,message_ts,action_id[,block_id,value]} or "
        "{user_id,view_id,action_id,...}",
        "POST /_emu/submit {view_id,user_id,values:{block_id:{action_id:value}}}",
        "POST /_emu/close_view {view_id,user_id}",
        "POST /_emu/event {event:{type,...}} or {payload:{...}}",
        "POST /_emu/envelope {type,payload[,accepts_response_payload]}",
        "POST /_emu/message {user_id,channel_id,text[,thread_ts]}",
        "GET  /_emu/state",
        "GET  /_emu/envelopes?id=ID",
        "POST /_emu/fault {method,latency_ms} or {method,mode:error|429|500|hang|close,next,"
        "error,retry_after} or {clear:true}",
        "POST /_emu/ratelimits {enabled}",
        "POST /_emu/drop_websockets",
        "POST /_emu/disconnect {reason:warning|refresh_requested|link_disabled[,connection_id]}",
        "POST /_emu/refuse_connections {refuse}",
        "POST /_emu/config {ack_timeout_ms,trigger_ttl_ms,retry_delays_ms,conn_lifetime_s,"
        "warning_lead_ms,refresh_grace_ms,ping_interval_ms,max_connections}",
        "POST /_emu/reset",
        "POST /_emu/flood {count,rate,type:events_api|slash_commands}",
        "GET  /_emu/stats[?reset=1]",
        "GET  /_emu/connections",
        "POST /_emu/wait {connections|acks|envelope_id,timeout_ms}",
    };
    cJSON *o = ok();
    cJSON *arr = cJSON_AddArrayToObject(o, "endpoints");
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(lines[i]));
    return o;
}

static cJSON *state(struct emu *emu)
{
    cJSON *o = emu_wk_state(emu);
    cJSON_AddItemToObject(o, "connections", emu_sock_render(emu));
    cJSON_AddItemToObject(o, "socket_mode", emu_sock_summary(emu));
    cJSON_AddItemToObject(o, "envelopes", emu_env_summary(emu));
    cJSON_AddItemToObject(o, "interactions", emu_ix_render(emu));
    cJSON_AddItemToObject(o, "faults", emu_fault_render(emu));
    cJSON_AddBoolToObject(o, "rate_limits", emu->cfg.rate_limits);
    return o;
}

static const char *set_config(struct emu *emu, const cJSON *req)
{
    struct emu_cfg *cfg = &emu->cfg;
    double v;
    struct {
        const char *key;
        int *dst;
        double min, max;
    } ints[] = {
        {"ack_timeout_ms", &cfg->ack_timeout_ms, 1, 3600000},
        {"trigger_ttl_ms", &cfg->trigger_ttl_ms, 1, 3600000},
        {"ticket_ttl_ms", &cfg->ticket_ttl_ms, 1, 3600000},
        {"conn_lifetime_s", &cfg->conn_lifetime_s, 1, 604800},
        {"debug_lifetime_s", &cfg->debug_lifetime_s, 1, 604800},
        {"warning_lead_ms", &cfg->warning_lead_ms, 0, 3600000},
        {"refresh_grace_ms", &cfg->refresh_grace_ms, 0, 3600000},
        {"ping_interval_ms", &cfg->ping_interval_ms, 0, 3600000},
        {"max_connections", &cfg->max_conns, 1, EMU_MAX_CONNS_LIMIT},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (!cJSON_GetObjectItemCaseSensitive(req, ints[i].key))
            continue;
        if (!num(req, ints[i].key, &v) || v < ints[i].min || v > ints[i].max)
            return "invalid_config";
    }
    const cJSON *rd = cJSON_GetObjectItemCaseSensitive(req, "retry_delays_ms");
    if (rd && (!cJSON_IsArray(rd) || cJSON_GetArraySize(rd) != EMU_RETRIES))
        return "invalid_config";
    const cJSON *it;
    cJSON_ArrayForEach(it, rd)
    {
        if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 86400000)
            return "invalid_config";
    }
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (num(req, ints[i].key, &v))
            *ints[i].dst = (int)v;
    int k = 0;
    cJSON_ArrayForEach(it, rd) cfg->retry_delays_ms[k++] = (int)it->valuedouble;
    if (cJSON_GetObjectItemCaseSensitive(req, "rate_limits"))
        cfg->rate_limits = flag(req, "rate_limits", cfg->rate_limits);
    return NULL;
}

static cJSON *config_json(struct emu *emu)
{
    struct emu_cfg *cfg = &emu->cfg;
    cJSON *o = ok();
    cJSON *c = cJSON_AddObjectToObject(o, "config");
    cJSON_AddNumberToObject(c, "ack_timeout_ms", cfg->ack_timeout_ms);
    cJSON_AddNumberToObject(c, "trigger_ttl_ms", cfg->trigger_ttl_ms);
    cJSON_AddNumberToObject(c, "ticket_ttl_ms", cfg->ticket_ttl_ms);
    cJSON_AddNumberToObject(c, "conn_lifetime_s", cfg->conn_lifetime_s);
    cJSON_AddNumberToObject(c, "debug_lifetime_s", cfg->debug_lifetime_s);
    cJSON_AddNumberToObject(c, "warning_lead_ms", cfg->warning_lead_ms);
    cJSON_AddNumberToObject(c, "refresh_grace_ms", cfg->refresh_grace_ms);
    cJSON_AddNumberToObject(c, "ping_interval_ms", cfg->ping_interval_ms);
    cJSON_AddNumberToObject(c, "max_connections", cfg->max_conns);
    cJSON *rd = cJSON_AddArrayToObject(c, "retry_delays_ms");
    for (int i = 0; i < EMU_RETRIES; i++)
        cJSON_AddItemToArray(rd, cJSON_CreateNumber(cfg->retry_delays_ms[i]));
    cJSON_AddBoolToObject(c, "rate_limits", cfg->rate_limits);
    return o;
}

static void reset(struct emu *emu)
{
    emu_wk_reset(emu);
    emu_env_reset(emu);
    emu_ix_reset(emu);
    emu_fault_reset(emu->fault);
    emu_rate_reset(emu->rate);
    emu_sock_set_refuse(emu, false);
}

void emu_ctl_handle(struct emu *emu, const char *cmd, struct emu_req *req, struct emu_resp *resp)
{
    cJSON *body = NULL;
    if (req->body_len > 0) {
        body = cJSON_ParseWithLength(req->body, req->body_len);
        if (!cJSON_IsObject(body)) {
            cJSON_Delete(body);
            emu_resp_error(resp, 400, body ? "json_not_object" : "invalid_json");
            return;
        }
    } else {
        body = cJSON_Duplicate(req->query, 1);
    }
    const cJSON *r = body;
    bool post = req->verb == EMU_POST;

    if (!cmd[0] || !strcmp(cmd, "help")) {
        emu_resp_json(resp, help());
    } else if (!strcmp(cmd, "state")) {
        emu_resp_json(resp, state(emu));
    } else if (!strcmp(cmd, "acks")) {
        double since = 0;
        num(r, "since", &since);
        emu_resp_json(resp, emu_env_acks(emu, (long)since, emu_jstr(r, "envelope_id")));
    } else if (!strcmp(cmd, "stats")) {
        emu_resp_json(resp, emu_env_stats(emu, flag(r, "reset", false)));
    } else if (!strcmp(cmd, "connections")) {
        cJSON *o = ok();
        cJSON_AddItemToObject(o, "connections", emu_sock_render(emu));
        cJSON_AddItemToObject(o, "socket_mode", emu_sock_summary(emu));
        emu_resp_json(resp, o);
    } else if (!strcmp(cmd, "envelopes")) {
        const char *id = emu_jstr(r, "id");
        cJSON *e = id ? emu_env_lookup(emu, id) : NULL;
        if (!e) {
            emu_resp_json(resp, emu_jerror("envelope_not_found"));
        } else {
            cJSON *o = ok();
            cJSON_AddItemToObject(o, "envelope", e);
            cJSON_AddItemToObject(o, "attempts", emu_env_attempts(emu, id));
            emu_resp_json(resp, o);
        }
    } else if (!strcmp(cmd, "wait")) {
        do_wait(emu, r, req, resp);
    } else if (!strcmp(cmd, "config")) {
        const char *e = post ? set_config(emu, r) : NULL;
        emu_resp_json(resp, e ? emu_jerror(e) : config_json(emu));
    } else if (!post) {
        bool known = is_post_only(cmd);
        emu_resp_error(resp, known ? 405 : 404, known ? "method_not_allowed" : "unknown_endpoint");
    } else if (!strcmp(cmd, "slash")) {
        emu_ix_slash(emu, r, resp);
    } else if (!strcmp(cmd, "click")) {
        emu_ix_click(emu, r, resp);
    } else if (!strcmp(cmd, "submit")) {
        emu_ix_submit(emu, r, resp);
    } else if (!strcmp(cmd, "close_view")) {
        emu_ix_close_view(emu, r, resp);
    } else if (!strcmp(cmd, "event")) {
        emu_ix_event(emu, r, resp);
    } else if (!strcmp(cmd, "envelope")) {
        emu_ix_envelope(emu, r, resp);
    } else if (!strcmp(cmd, "message")) {
        emu_ix_user_message(emu, r, resp);
    } else if (!strcmp(cmd, "fault")) {
        if (flag(r, "clear", false)) {
            emu_fault_reset(emu->fault);
            emu_resp_json(resp, ok());
        } else {
            const char *e = emu_fault_add(emu, r);
            emu_resp_json(resp, e ? emu_jerror(e) : ok());
        }
    } else if (!strcmp(cmd, "ratelimits")) {
        emu->cfg.rate_limits = flag(r, "enabled", emu->cfg.rate_limits);
        if (!emu->cfg.rate_limits)
            emu_rate_reset(emu->rate);
        cJSON *o = ok();
        cJSON_AddBoolToObject(o, "enabled", emu->cfg.rate_limits);
        emu_resp_json(resp, o);
    } else if (!strcmp(cmd, "drop_websockets")) {
        cJSON *o = ok();
        cJSON_AddNumberToObject(o, "dropped", emu_sock_drop_all(emu));
        emu_resp_json(resp, o);
    } else if (!strcmp(cmd, "disconnect")) {
        const char *reason = emu_jstr(r, "reason");
        double id = 0;
        num(r, "connection_id", &id);
        if (!reason || (strcmp(reason, "warning") && strcmp(reason, "refresh_requested") &&
                        strcmp(reason, "link_disabled") && strcmp(reason, "too_many_websockets"))) {
            emu_resp_json(resp, emu_jerror("invalid_reason"));
        } else {
            cJSON *o = ok();
            cJSON_AddNumberToObject(o, "connections",
                                    emu_sock_disconnect(emu, (unsigned)id, reason));
            emu_resp_json(resp, o);
        }
    } else if (!strcmp(cmd, "refuse_connections")) {
        emu_sock_set_refuse(emu, flag(r, "refuse", true));
        cJSON *o = ok();
        cJSON_AddBoolToObject(o, "refusing", emu_sock_refusing(emu));
        emu_resp_json(resp, o);
    } else if (!strcmp(cmd, "reset")) {
        reset(emu);
        emu_resp_json(resp, ok());
    } else if (!strcmp(cmd, "flood")) {
        double count = 0, rate = 0;
        num(r, "count", &count);
        num(r, "rate", &rate);
        const char *e = emu_env_flood(emu, (long)count, rate, emu_jstr(r, "type"));
        emu_resp_json(resp, e ? emu_jerror(e) : ok());
    } else {
        emu_resp_error(resp, 404, "unknown_endpoint");
    }
    cJSON_Delete(body);
}
