/*
 * What users do and what they see: building the payloads Slack sends when a
 * user runs a slash command, clicks a button on a bot message or in a modal,
 * submits or closes a modal, posts a message, or when an event happens;
 * trigger_ids (single use, expiring after --trigger-ttl-ms) and response_urls
 * (five uses in thirty minutes); the visible effect of an ack (a slash
 * command's response message, a view_submission's response_action errors /
 * update / push / clear); what the user sees when an ack never comes; and
 * the POSTs apps make to a response_url. Every outcome is kept in a
 * timeline for /_emu/state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "xmalloc.h"

#define MAX_TRIGGERS    8192
#define TRIGGER_KEEP_US (600LL * 1000000) /* forget triggers after 10 minutes */
#define MAX_TIMELINE    10000

struct trigger {
    char id[EMU_TRIGGER_LEN];
    char user[EMU_ID_LEN];
    char view_root[EMU_ID_LEN];
    int64_t issued_us;
    bool used;
};

struct rurl {
    char path[160];
    bool action; /* from block_actions: may replace/delete the source message */
    char channel[EMU_ID_LEN];
    char user[EMU_ID_LEN];
    char message_ts[EMU_TS_LEN];
    bool ephemeral; /* the source message is ephemeral */
    int uses;
    int64_t created_us;
};

struct emu_ix {
    struct trigger *t;
    size_t nt, capt;
    struct rurl *r;
    size_t nr, capr;
    unsigned long rurl_seq;
    unsigned long event_seq;
    cJSON *timeline; /* array of outcomes */
};

struct emu_ix *emu_ix_new(void)
{
    struct emu_ix *ix = xcalloc(1, sizeof *ix);
    ix->timeline = cJSON_CreateArray();
    return ix;
}

void emu_ix_free(struct emu_ix *ix)
{
    if (!ix)
        return;
    free(ix->t);
    free(ix->r);
    cJSON_Delete(ix->timeline);
    free(ix);
}

void emu_ix_reset(struct emu *emu)
{
    struct emu_ix *ix = emu->ix;
    ix->nt = ix->nr = 0;
    cJSON_Delete(ix->timeline);
    ix->timeline = cJSON_CreateArray();
}

/* Adds {"kind":kind,...} to the timeline; takes o. */
static void note(struct emu *emu, const char *kind, cJSON *o)
{
    struct emu_ix *ix = emu->ix;
    if (cJSON_GetArraySize(ix->timeline) >= MAX_TIMELINE)
        cJSON_DeleteItemFromArray(ix->timeline, 0);
    cJSON_AddStringToObject(o, "kind", kind);
    char ts[EMU_TS_LEN];
    emu_next_ts(emu, ts);
    cJSON_AddStringToObject(o, "at", ts);
    cJSON_AddItemToArray(ix->timeline, o);
}

/* ---------- triggers ---------- */

void emu_ix_trigger_new(struct emu *emu, const char *user, const char *view_root,
                        char out[EMU_TRIGGER_LEN])
{
    struct emu_ix *ix = emu->ix;
    int64_t now = emu_mono_us();
    size_t k = 0;
    for (size_t i = 0; i < ix->nt; i++) /* prune old ones */
        if (now - ix->t[i].issued_us < TRIGGER_KEEP_US)
            ix->t[k++] = ix->t[i];
    ix->nt = k;
    if (ix->nt == MAX_TRIGGERS) {
        memmove(ix->t, ix->t + 1, (ix->nt - 1) * sizeof *ix->t);
        ix->nt--;
    }
    if (ix->nt == ix->capt) {
        ix->capt = ix->capt ? ix->capt * 2 : 64;
        ix->t = xreallocarray(ix->t, ix->capt, sizeof *ix->t);
    }
    struct trigger *t = &ix->t[ix->nt++];
    emu_trigger_id(emu, t->id);
    snprintf(t->user, sizeof t->user, "%s", user ? user : "");
    snprintf(t->view_root, sizeof t->view_root, "%s", view_root ? view_root : "");
    t->issued_us = now;
    t->used = false;
    snprintf(out, EMU_TRIGGER_LEN, "%s", t->id);
}

/* "digits.digits.hex", as Slack's trigger ids look. */
static bool trigger_format_ok(const char *s)
{
    int part = 0;
    size_t len = 0;
    for (const char *p = s;; p++) {
        if (*p == '.' || *p == '\0') {
            if (len == 0)
                return false;
            part++;
            len = 0;
            if (!*p)
                break;
            continue;
        }
        bool ok = part < 2 ? (*p >= '0' && *p <= '9')
                           : ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                              (*p >= 'A' && *p <= 'Z'));
        if (!ok)
            return false;
        len++;
    }
    return part == 3 && strlen(s) < EMU_TRIGGER_LEN;
}

const char *emu_ix_trigger_use(struct emu *emu, const char *trigger, char user[EMU_ID_LEN],
                               char view_root[EMU_ID_LEN])
{
    user[0] = view_root[0] = '\0';
    if (!trigger_format_ok(trigger))
        return "invalid_arguments";
    struct emu_ix *ix = emu->ix;
    for (size_t i = 0; i < ix->nt; i++) {
        struct trigger *t = &ix->t[i];
        if (strcmp(t->id, trigger) != 0)
            continue;
        if (t->used)
            return "exchanged_trigger_id";
        if (emu_mono_us() - t->issued_us > (int64_t)emu->cfg.trigger_ttl_ms * 1000)
            return "expired_trigger_id";
        t->used = true;
        snprintf(user, EMU_ID_LEN, "%s", t->user);
        snprintf(view_root, EMU_ID_LEN, "%s", t->view_root);
        return NULL;
    }
    return "invalid_trigger_id";
}

/* ---------- response_url ---------- */

static void rurl_new(struct emu *emu, bool action, const char *channel, const char *user,
                     const char *message_ts, bool ephemeral, char *url, size_t urlsz)
{
    struct emu_ix *ix = emu->ix;
    if (ix->nr == ix->capr) {
        ix->capr = ix->capr ? ix->capr * 2 : 64;
        ix->r = xreallocarray(ix->r, ix->capr, sizeof *ix->r);
    }
    struct rurl *r = &ix->r[ix->nr++];
    memset(r, 0, sizeof *r);
    char secret[25];
    emu_rand_id(emu, "", 24, secret, sizeof secret);
    snprintf(r->path, sizeof r->path, "/%s/%s/%lu/%s", action ? "actions" : "commands",
             emu_wk_team_id(emu), 1000000 + ++ix->rurl_seq, secret);
    r->action = action;
    snprintf(r->channel, sizeof r->channel, "%s", channel ? channel : "");
    snprintf(r->user, sizeof r->user, "%s", user ? user : "");
    snprintf(r->message_ts, sizeof r->message_ts, "%s", message_ts ? message_ts : "");
    r->ephemeral = ephemeral;
    r->created_us = emu_mono_us();
    snprintf(url, urlsz, "%s%s", emu->base_url, r->path);
}

static struct rurl *rurl_find(struct emu *emu, const char *path)
{
    for (size_t i = 0; i < emu->ix->nr; i++)
        if (strcmp(emu->ix->r[i].path, path) == 0)
            return &emu->ix->r[i];
    return NULL;
}

/* Applies a message payload from a response_url or a slash command ack. */
static const char *apply_response(struct emu *emu, const struct rurl *r, const cJSON *body)
{
    const char *rt = emu_jstr(body, "response_type");
    bool in_channel = rt && strcmp(rt, "in_channel") == 0;
    bool del = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "delete_original"));
    bool repl = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "replace_original"));
    if (r->action && (del || repl)) {
        if (r->ephemeral) {
            if (del) {
                emu_wk_ephemeral_delete(emu, r->message_ts);
                return NULL;
            }
            cJSON *e = emu_wk_ephemeral_find(emu, r->message_ts);
            if (!e)
                return "message_not_found";
            const char *text = emu_jstr(body, "text");
            if (text) {
                cJSON_DeleteItemFromObjectCaseSensitive(e, "text");
                cJSON_AddStringToObject(e, "text", text);
            }
            const cJSON *b = cJSON_GetObjectItemCaseSensitive(body, "blocks");
            if (cJSON_IsArray(b)) {
                cJSON_DeleteItemFromObjectCaseSensitive(e, "blocks");
                cJSON_AddItemToObject(e, "blocks", cJSON_Duplicate(b, 1));
            }
            return NULL;
        }
        struct emu_chan *c = emu_wk_chan(emu, r->channel);
        struct emu_msg *m = emu_wk_msg(c, r->message_ts);
        if (!m)
            return "message_not_found";
        if (del) {
            emu_wk_msg_delete(c, m);
            return NULL;
        }
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(body, "blocks");
        cJSON *blocks = cJSON_IsArray(b) ? cJSON_Duplicate(b, 1) : NULL;
        if (blocks) {
            char *msg = emu_blk_check(blocks, EMU_BLK_MESSAGE);
            if (msg) {
                free(msg);
                cJSON_Delete(blocks);
                return "invalid_blocks";
            }
            emu_blk_assign_ids(emu, blocks);
        }
        const char *text = emu_jstr(body, "text");
        if (!text && !blocks)
            return "no_text";
        emu_wk_msg_edit(emu, m, emu_wk_bot_user(emu), text, blocks, NULL);
        return NULL;
    }
    return emu_api_bot_post(emu, r->channel, r->user, body, !in_channel,
                            emu_jstr(body, "thread_ts"));
}

void emu_ix_response_url(struct emu *emu, struct emu_req *req, struct emu_resp *resp)
{
    struct rurl *r = rurl_find(emu, req->path);
    if (!r) {
        emu_resp_error(resp, 404, "invalid_url");
        return;
    }
    if (req->verb != EMU_POST) {
        emu_resp_error(resp, 405, "method_not_allowed");
        return;
    }
    /* Faults set for the pseudo-method "response_url" apply here, as for Web API methods. */
    struct emu_fault_hit hit;
    emu_fault_take(emu, "response_url", &hit);
    resp->delay_us = hit.latency_us;
    switch (hit.mode) {
    case EMU_FAULT_NONE:
        break;
    case EMU_FAULT_ERROR:
        emu_resp_error(resp, 404, hit.error);
        return;
    case EMU_FAULT_429:
    case EMU_FAULT_500:
        emu_resp_error(resp, hit.mode == EMU_FAULT_429 ? 429 : 500,
                       hit.mode == EMU_FAULT_429 ? "ratelimited" : "internal_error");
        return;
    case EMU_FAULT_HANG:
        resp->hang = true;
        snprintf(resp->note, sizeof resp->note, "fault hang");
        return;
    case EMU_FAULT_CLOSE:
        resp->close = true;
        snprintf(resp->note, sizeof resp->note, "fault close");
        return;
    case EMU_FAULT_HOLD: /* carried out below; only the answer waits */
        resp->delay_us += hit.hold_us;
        break;
    }
    if (emu_mono_us() - r->created_us > (int64_t)EMU_RESPONSE_URL_TTL_S * 1000000) {
        emu_resp_error(resp, 404, "expired_url");
        return;
    }
    if (r->uses >= EMU_RESPONSE_URL_USES) {
        emu_resp_error(resp, 404, "used_url");
        return;
    }
    cJSON *body = cJSON_ParseWithLength(req->body, req->body_len);
    if (!body) { /* also accepted: a form with payload=<json> */
        cJSON *form = cJSON_CreateObject();
        emu_form_decode(req->body, req->body_len, form);
        const char *p = emu_jstr(form, "payload");
        body = p ? cJSON_Parse(p) : NULL;
        cJSON_Delete(form);
    }
    if (!cJSON_IsObject(body)) {
        cJSON_Delete(body);
        emu_resp_error(resp, 400, "invalid_payload");
        return;
    }
    r->uses++;
    const char *e = apply_response(emu, r, body);
    cJSON *n = cJSON_CreateObject();
    cJSON_AddStringToObject(n, "response_url", req->path);
    cJSON_AddItemToObject(n, "body", cJSON_Duplicate(body, 1));
    cJSON_AddStringToObject(n, "result", e ? e : "ok");
    note(emu, "response_url", n);
    cJSON_Delete(body);
    if (e) {
        emu_resp_error(resp, 400, e);
    } else {
        cJSON *ok = cJSON_CreateObject();
        cJSON_AddBoolToObject(ok, "ok", 1);
        emu_resp_json(resp, ok);
    }
}

/* ---------- payload pieces ---------- */

static cJSON *user_obj(struct emu *emu, const char *uid, bool with_name)
{
    cJSON *u = cJSON_CreateObject();
    const char *name = emu_wk_user_name(emu, uid);
    cJSON_AddStringToObject(u, "id", uid);
    cJSON_AddStringToObject(u, "username", name);
    if (with_name)
        cJSON_AddStringToObject(u, "name", name);
    cJSON_AddStringToObject(u, "team_id", emu_wk_team_id(emu));
    return u;
}

static cJSON *team_obj(struct emu *emu)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "id", emu_wk_team_id(emu));
    cJSON_AddStringToObject(t, "domain", emu_wk_team_domain(emu));
    return t;
}

static void reply(struct emu_resp *resp, cJSON *o)
{
    emu_resp_json(resp, o);
}

static void reply_err(struct emu_resp *resp, const char *e)
{
    emu_resp_json(resp, emu_jerror(e));
}

/* The answer to a control call that delivered an envelope. */
static cJSON *delivered_reply(bool ok, const char *env_id, const char *trigger)
{
    cJSON *o = ok ? cJSON_CreateObject() : emu_jerror("dispatch_failed");
    if (ok)
        cJSON_AddBoolToObject(o, "ok", 1);
    cJSON_AddStringToObject(o, "envelope_id", env_id);
    if (trigger)
        cJSON_AddStringToObject(o, "trigger_id", trigger);
    return o;
}

static const char *default_channel(struct emu *emu)
{
    struct emu_chan *c = emu_wk_chan_by_name(emu, "incidents");
    if (!c)
        c = emu_wk_chan_at(emu, 0);
    return c ? c->id : "C0";
}

/* ---------- slash commands ---------- */

void emu_ix_slash(struct emu *emu, const cJSON *req, struct emu_resp *resp)
{
    const char *user = emu_jstr(req, "user_id");
    const char *chan = emu_jstr(req, "channel_id");
    const char *command = emu_jstr(req, "command");
    const char *text = emu_jstr(req, "text");
    if (!user)
        user = emu_wk_first_human(emu);
    if (!chan)
        chan = default_channel(emu);
    if (!command)
        command = "/incident";
    if (!text)
        text = "";
    if (command[0] != '/' || strlen(command) > 64) {
        reply_err(resp, "invalid_command");
        return;
    }
    if (!emu_wk_user(emu, user)) {
        reply_err(resp, "user_not_found");
        return;
    }
    struct emu_chan *c = emu_wk_chan(emu, chan);
    if (!c) {
        reply_err(resp, "channel_not_found");
        return;
    }
    char trigger[EMU_TRIGGER_LEN], url[256];
    emu_ix_trigger_new(emu, user, NULL, trigger);
    rurl_new(emu, false, c->id, user, NULL, false, url, sizeof url);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "token", "emu-verification-token");
    cJSON_AddStringToObject(p, "team_id", emu_wk_team_id(emu));
    cJSON_AddStringToObject(p, "team_domain", emu_wk_team_domain(emu));
    cJSON_AddStringToObject(p, "channel_id", c->id);
    cJSON_AddStringToObject(p, "channel_name",
                            c->is_im        ? "directmessage"
                            : c->is_private ? "privategroup"
                                            : c->name);
    cJSON_AddStringToObject(p, "user_id", user);
    cJSON_AddStringToObject(p, "user_name", emu_wk_user_name(emu, user));
    cJSON_AddStringToObject(p, "command", command);
    cJSON_AddStringToObject(p, "text", text);
    cJSON_AddStringToObject(p, "api_app_id", emu_wk_app_id(emu));
    cJSON_AddStringToObject(p, "response_url", url);
    cJSON_AddStringToObject(p, "trigger_id", trigger);
    cJSON *ctx = cJSON_CreateObject();
    cJSON_AddStringToObject(ctx, "kind", "slash");
    cJSON_AddStringToObject(ctx, "channel_id", c->id);
    cJSON_AddStringToObject(ctx, "user_id", user);
    cJSON_AddStringToObject(ctx, "command", command);
    cJSON_AddStringToObject(ctx, "text", text);
    cJSON_AddStringToObject(ctx, "response_url", url);
    char env_id[EMU_UUID_LEN];
    bool ok = emu_env_deliver(emu, EMU_ENV_SLASH, p, true, ctx, env_id);
    cJSON *n = cJSON_CreateObject();
    cJSON_AddStringToObject(n, "envelope_id", env_id);
    cJSON_AddStringToObject(n, "user", user);
    cJSON_AddStringToObject(n, "channel", c->id);
    cJSON_AddStringToObject(n, "command", command);
    cJSON_AddStringToObject(n, "text", text);
    cJSON_AddStringToObject(n, "result", ok ? "sent" : "dispatch_failed");
    note(emu, "slash_command", n);
    cJSON *o = delivered_reply(ok, env_id, trigger);
    cJSON_AddStringToObject(o, "response_url", url);
    reply(resp, o);
}

/* ---------- block_actions ---------- */

/* Finds an option by value in options or option_groups. */
static const cJSON *find_option(const cJSON *el, const char *value)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(el, "options"))
    {
        const char *v = emu_jstr(o, "value");
        if (!value || (v && strcmp(v, value) == 0))
            return o;
    }
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(el, "option_groups"))
    {
        cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(g, "options"))
        {
            const char *v = emu_jstr(o, "value");
            if (!value || (v && strcmp(v, value) == 0))
                return o;
        }
    }
    return NULL;
}

static cJSON *option_for(const cJSON *el, const char *value, const char **e)
{
    const cJSON *o = find_option(el, value);
    if (o)
        return cJSON_Duplicate(o, 1);
    if (value && !cJSON_GetObjectItemCaseSensitive(el, "options") &&
        !cJSON_GetObjectItemCaseSensitive(el, "option_groups")) {
        /* external_select: the option comes from the app's own suggestions */
        cJSON *opt = cJSON_CreateObject();
        cJSON *t = cJSON_AddObjectToObject(opt, "text");
        cJSON_AddStringToObject(t, "type", "plain_text");
        cJSON_AddStringToObject(t, "text", value);
        cJSON_AddStringToObject(opt, "value", value);
        return opt;
    }
    *e = "option_not_found";
    return NULL;
}

/* The strings of a "values" array or a single "value". */
static cJSON *string_list(const cJSON *given)
{
    cJSON *arr = cJSON_CreateArray();
    if (cJSON_IsString(given)) {
        cJSON_AddItemToArray(arr, cJSON_CreateString(given->valuestring));
    } else if (cJSON_IsArray(given)) {
        const cJSON *it;
        cJSON_ArrayForEach(it, given)
        {
            if (cJSON_IsString(it))
                cJSON_AddItemToArray(arr, cJSON_CreateString(it->valuestring));
        }
    }
    return arr;
}

/* Fills the selection fields a user's choice `given` (string, array, or NULL) makes for an
 * element; shared by block_actions "actions" and view state values. A users_select with no
 * choice selects `user` when given (a click), else nothing (an empty input). */
static const char *fill_selection(struct emu *emu, cJSON *dst, const cJSON *el, const cJSON *given,
                                  const char *user)
{
    const char *t = emu_jstr(el, "type");
    const char *value = cJSON_IsString(given) ? given->valuestring : NULL;
    const char *e = NULL;
    if (!t)
        return "invalid_element";
    if (!strcmp(t, "static_select") || !strcmp(t, "external_select") ||
        !strcmp(t, "radio_buttons") || !strcmp(t, "overflow")) {
        if (!value && !given && !strcmp(t, "external_select")) {
            cJSON_AddNullToObject(dst, "selected_option");
            return NULL;
        }
        cJSON *opt = option_for(el, value, &e);
        if (!opt)
            return e;
        cJSON_AddItemToObject(dst, "selected_option", opt);
    } else if (!strcmp(t, "multi_static_select") || !strcmp(t, "multi_external_select") ||
               !strcmp(t, "checkboxes")) {
        cJSON *vals = string_list(given);
        cJSON *sel = cJSON_AddArrayToObject(dst, "selected_options");
        const cJSON *v;
        cJSON_ArrayForEach(v, vals)
        {
            cJSON *opt = option_for(el, v->valuestring, &e);
            if (!opt)
                break;
            cJSON_AddItemToArray(sel, opt);
        }
        cJSON_Delete(vals);
        if (e)
            return e;
    } else if (!strcmp(t, "users_select")) {
        if (value || user)
            cJSON_AddStringToObject(dst, "selected_user", value ? value : user);
        else
            cJSON_AddNullToObject(dst, "selected_user");
    } else if (!strcmp(t, "conversations_select") || !strcmp(t, "channels_select")) {
        const char *key = t[0] == 'c' && t[1] == 'o' ? "selected_conversation" : "selected_channel";
        if (value)
            cJSON_AddStringToObject(dst, key, value);
        else
            cJSON_AddNullToObject(dst, key);
    } else if (!strcmp(t, "multi_users_select") || !strcmp(t, "multi_conversations_select") ||
               !strcmp(t, "multi_channels_select")) {
        const char *key = !strcmp(t, "multi_users_select")      ? "selected_users"
                          : !strcmp(t, "multi_channels_select") ? "selected_channels"
                                                                : "selected_conversations";
        cJSON_AddItemToObject(dst, key, string_list(given));
    } else if (!strcmp(t, "datepicker")) {
        if (value)
            cJSON_AddStringToObject(dst, "selected_date", value);
        else
            cJSON_AddNullToObject(dst, "selected_date");
    } else if (!strcmp(t, "timepicker")) {
        if (value)
            cJSON_AddStringToObject(dst, "selected_time", value);
        else
            cJSON_AddNullToObject(dst, "selected_time");
    } else if (!strcmp(t, "datetimepicker")) {
        if (cJSON_IsNumber(given))
            cJSON_AddNumberToObject(dst, "selected_date_time", given->valuedouble);
        else
            cJSON_AddNullToObject(dst, "selected_date_time");
    } else if (!strcmp(t, "button")) {
        /* text and value are added by the caller */
    } else {
        /* plain_text_input, email/url/number inputs, rich_text_input */
        if (value)
            cJSON_AddStringToObject(dst, "value", value);
        else if (cJSON_IsNumber(given))
            cJSON_AddNumberToObject(dst, "value", given->valuedouble);
        else
            cJSON_AddNullToObject(dst, "value");
    }
    (void)emu;
    return NULL;
}

static cJSON *make_action(struct emu *emu, const cJSON *el, const cJSON *block, const cJSON *req,
                          const char *user, const char **e)
{
    const char *type = emu_jstr(el, "type");
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "action_id", emu_jstr(el, "action_id"));
    cJSON_AddStringToObject(a, "block_id", emu_jstr(block, "block_id"));
    if (type && !strcmp(type, "button")) {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(el, "text");
        if (text)
            cJSON_AddItemToObject(a, "text", cJSON_Duplicate(text, 1));
        const char *value = emu_jstr(el, "value");
        if (value)
            cJSON_AddStringToObject(a, "value", value);
        const char *style = emu_jstr(el, "style");
        if (style)
            cJSON_AddStringToObject(a, "style", style);
    } else {
        const cJSON *given = cJSON_GetObjectItemCaseSensitive(req, "values");
        if (!given)
            given = cJSON_GetObjectItemCaseSensitive(req, "value");
        *e = fill_selection(emu, a, el, given, user);
        if (*e) {
            cJSON_Delete(a);
            return NULL;
        }
        const cJSON *ph = cJSON_GetObjectItemCaseSensitive(el, "placeholder");
        if (ph)
            cJSON_AddItemToObject(a, "placeholder", cJSON_Duplicate(ph, 1));
    }
    cJSON_AddStringToObject(a, "type", type ? type : "button");
    char ts[EMU_TS_LEN];
    emu_next_ts(emu, ts);
    cJSON_AddStringToObject(a, "action_ts", ts);
    return a;
}

void emu_ix_click(struct emu *emu, const cJSON *req, struct emu_resp *resp)
{
    const char *user = emu_jstr(req, "user_id");
    const char *action_id = emu_jstr(req, "action_id");
    const char *block_id = emu_jstr(req, "block_id");
    const char *view_id = emu_jstr(req, "view_id");
    if (!user)
        user = emu_wk_first_human(emu);
    if (!emu_wk_user(emu, user)) {
        reply_err(resp, "user_not_found");
        return;
    }
    if (!action_id) {
        reply_err(resp, "missing_action_id");
        return;
    }
    struct emu_view *v = NULL;
    struct emu_chan *c = NULL;
    struct emu_msg *m = NULL;
    cJSON *eph = NULL;
    const cJSON *blocks;
    if (view_id) {
        v = emu_wk_view(emu, view_id);
        if (!v || v->state == EMU_VIEW_CLOSED) {
            reply_err(resp, "view_not_found");
            return;
        }
        blocks = cJSON_GetObjectItemCaseSensitive(v->def, "blocks");
    } else {
        const char *ts = emu_jstr(req, "message_ts");
        if (!ts)
            ts = emu_jstr(req, "ts");
        const char *chan = emu_jstr(req, "channel_id");
        if (!ts) {
            reply_err(resp, "missing_message_ts");
            return;
        }
        if (chan) {
            c = emu_wk_chan(emu, chan);
            m = emu_wk_msg(c, ts);
        } else {
            for (size_t i = 0; !m && i < emu_wk_nchans(emu); i++) {
                c = emu_wk_chan_at(emu, i);
                m = emu_wk_msg(c, ts);
            }
        }
        if (!m) {
            eph = emu_wk_ephemeral_find(emu, ts);
            if (!eph) {
                reply_err(resp, "message_not_found");
                return;
            }
            c = emu_wk_chan(emu, emu_jstr(eph, "channel"));
            if (!c) {
                reply_err(resp, "message_not_found");
                return;
            }
            blocks = cJSON_GetObjectItemCaseSensitive(eph, "blocks");
        } else {
            if (!m->from_bot || !emu_jstr(m->obj, "bot_id")) {
                reply_err(resp, "not_a_bot_message");
                return;
            }
            blocks = cJSON_GetObjectItemCaseSensitive(m->obj, "blocks");
        }
    }
    const cJSON *block = NULL;
    const cJSON *el = emu_blk_find_action(blocks, action_id, block_id, &block);
    if (!el) {
        reply_err(resp, "action_not_found");
        return;
    }
    const char *e = NULL;
    cJSON *action = make_action(emu, el, block, req, user, &e);
    if (!action) {
        reply_err(resp, e);
        return;
    }
    char trigger[EMU_TRIGGER_LEN], url[256] = "";
    emu_ix_trigger_new(emu, user, v ? v->root_id : NULL, trigger);
    const char *msg_ts = m ? m->ts : eph ? emu_jstr(eph, "ts") : "";
    if (!v)
        rurl_new(emu, true, c->id, user, msg_ts, eph != NULL, url, sizeof url);

    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "block_actions");
    cJSON_AddItemToObject(p, "user", user_obj(emu, user, true));
    cJSON_AddStringToObject(p, "api_app_id", emu_wk_app_id(emu));
    cJSON_AddStringToObject(p, "token", "emu-verification-token");
    cJSON *container = cJSON_AddObjectToObject(p, "container");
    if (v) {
        cJSON_AddStringToObject(container, "type", "view");
        cJSON_AddStringToObject(container, "view_id", v->id);
    } else {
        cJSON_AddStringToObject(container, "type", "message");
        cJSON_AddStringToObject(container, "message_ts", msg_ts);
        cJSON_AddStringToObject(container, "channel_id", c->id);
        cJSON_AddBoolToObject(container, "is_ephemeral", eph != NULL);
    }
    cJSON_AddStringToObject(p, "trigger_id", trigger);
    cJSON_AddItemToObject(p, "team", team_obj(emu));
    if (v) {
        cJSON_AddNullToObject(p, "enterprise");
        cJSON_AddBoolToObject(p, "is_enterprise_install", 0);
        cJSON_AddItemToObject(p, "view", emu_wk_view_render(emu, v, EMU_VIEW_PAYLOAD));
    } else {
        cJSON *ch = cJSON_AddObjectToObject(p, "channel");
        cJSON_AddStringToObject(ch, "id", c->id);
        cJSON_AddStringToObject(ch, "name",
                                c->is_im        ? "directmessage"
                                : c->is_private ? "privategroup"
                                                : c->name);
        if (m)
            cJSON_AddItemToObject(p, "message", emu_wk_msg_render(emu, m, EMU_MSG_PAYLOAD));
        cJSON_AddStringToObject(p, "response_url", url);
    }
    cJSON *actions = cJSON_AddArrayToObject(p, "actions");
    cJSON_AddItemToArray(actions, action);

    cJSON *ctx = cJSON_CreateObject();
    cJSON_AddStringToObject(ctx, "kind", "block_actions");
    cJSON_AddStringToObject(ctx, "user_id", user);
    cJSON_AddStringToObject(ctx, "action_id", action_id);
    if (v)
        cJSON_AddStringToObject(ctx, "view_id", v->id);
    else
        cJSON_AddStringToObject(ctx, "message_ts", msg_ts);
    char env_id[EMU_UUID_LEN];
    bool ok = emu_env_deliver(emu, EMU_ENV_INTERACTIVE, p, false, ctx, env_id);
    cJSON *n = cJSON_CreateObject();
    cJSON_AddStringToObject(n, "envelope_id", env_id);
    cJSON_AddStringToObject(n, "user", user);
    cJSON_AddStringToObject(n, "action_id", action_id);
    cJSON_AddStringToObject(n, v ? "view_id" : "message_ts", v ? v->id : msg_ts);
    cJSON_AddStringToObject(n, "result", ok ? "sent" : "dispatch_failed");
    note(emu, "block_actions", n);
    cJSON *o = delivered_reply(ok, env_id, trigger);
    if (!v)
        cJSON_AddStringToObject(o, "response_url", url);
    reply(resp, o);
}

/* ---------- view_submission / view_closed ---------- */

/* The "values" a submit request gives for one element. */
static const cJSON *given_value(const cJSON *values, const char *block_id, const char *action_id)
{
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(values, block_id);
    if (!b)
        return NULL;
    if (cJSON_IsObject(b) && action_id && cJSON_GetObjectItemCaseSensitive(b, action_id))
        return cJSON_GetObjectItemCaseSensitive(b, action_id);
    return b;
}

/* Builds state.values for a submission; on a problem returns an error and the block. */
static const char *build_state(struct emu *emu, const struct emu_view *v, const cJSON *values,
                               bool force, cJSON *out, const char **bad_block)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(v->def, "blocks"))
    {
        const char *type = emu_jstr(b, "type"), *bid = emu_jstr(b, "block_id");
        if (!type || !bid)
            continue;
        const cJSON *els[32];
        int nel = 0;
        if (!strcmp(type, "input")) {
            els[nel++] = cJSON_GetObjectItemCaseSensitive(b, "element");
        } else if (!strcmp(type, "actions")) {
            const cJSON *el;
            cJSON_ArrayForEach(el, cJSON_GetObjectItemCaseSensitive(b, "elements"))
            {
                if (nel < 32)
                    els[nel++] = el;
            }
        } else if (!strcmp(type, "section") && cJSON_GetObjectItemCaseSensitive(b, "accessory")) {
            els[nel++] = cJSON_GetObjectItemCaseSensitive(b, "accessory");
        }
        for (int i = 0; i < nel; i++) {
            const cJSON *el = els[i];
            const char *aid = emu_jstr(el, "action_id"), *et = emu_jstr(el, "type");
            if (!aid || !et || !strcmp(et, "button") || !strcmp(et, "overflow") ||
                !strcmp(et, "image"))
                continue;
            const cJSON *given = given_value(values, bid, aid);
            bool input = !strcmp(type, "input");
            if (!given && !input)
                continue; /* untouched elements outside input blocks have no state */
            bool optional = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "optional"));
            if (!given && input && !optional && !force) {
                *bad_block = bid;
                return "missing_required_value";
            }
            cJSON *sv = cJSON_CreateObject();
            cJSON_AddStringToObject(sv, "type", et);
            const char *e;
            if (cJSON_IsObject(given)) { /* a raw state value, taken as given */
                const cJSON *it;
                cJSON_ArrayForEach(it, given)
                {
                    if (strcmp(it->string, "type") != 0)
                        cJSON_AddItemToObject(sv, it->string, cJSON_Duplicate(it, 1));
                }
                e = NULL;
            } else {
                e = fill_selection(emu, sv, el, given, NULL);
            }
            if (e) {
                cJSON_Delete(sv);
                *bad_block = bid;
                return e;
            }
            cJSON *bo = cJSON_GetObjectItemCaseSensitive(out, bid);
            if (!bo)
                bo = cJSON_AddObjectToObject(out, bid);
            cJSON_AddItemToObject(bo, aid, sv);
        }
    }
    return NULL;
}

void emu_ix_submit(struct emu *emu, const cJSON *req, struct emu_resp *resp)
{
    const char *view_id = emu_jstr(req, "view_id");
    struct emu_view *v = emu_wk_view(emu, view_id);
    if (!v || v->state != EMU_VIEW_OPEN) {
        reply_err(resp, "view_not_found");
        return;
    }
    int depth;
    if (emu_wk_view_top(emu, v->root_id, &depth) != v) {
        reply_err(resp, "not_top_view");
        return;
    }
    const char *user = emu_jstr(req, "user_id");
    if (!user)
        user = v->user;
    if (!emu_wk_user(emu, user)) {
        reply_err(resp, "user_not_found");
        return;
    }
    bool force = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "force"));
    cJSON *values = cJSON_CreateObject();
    const char *bad_block = NULL;
    const char *e = build_state(emu, v, cJSON_GetObjectItemCaseSensitive(req, "values"), force,
                                values, &bad_block);
    if (e) {
        cJSON_Delete(values);
        cJSON *o = emu_jerror(e);
        cJSON_AddStringToObject(o, "block_id", bad_block ? bad_block : "");
        reply(resp, o);
        return;
    }
    cJSON_Delete(v->values);
    v->values = values;
    cJSON_Delete(v->errors);
    v->errors = NULL;

    char trigger[EMU_TRIGGER_LEN];
    emu_ix_trigger_new(emu, user, v->root_id, trigger);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "view_submission");
    cJSON_AddItemToObject(p, "team", team_obj(emu));
    cJSON_AddItemToObject(p, "user", user_obj(emu, user, true));
    cJSON_AddStringToObject(p, "api_app_id", emu_wk_app_id(emu));
    cJSON_AddStringToObject(p, "token", "emu-verification-token");
    cJSON_AddStringToObject(p, "trigger_id", trigger);
    cJSON_AddItemToObject(p, "view", emu_wk_view_render(emu, v, EMU_VIEW_PAYLOAD));
    cJSON *rus = cJSON_AddArrayToObject(p, "response_urls");
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(v->def, "blocks"))
    {
        const cJSON *el = cJSON_GetObjectItemCaseSensitive(b, "element");
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(el, "response_url_enabled")))
            continue;
        const char *bid = emu_jstr(b, "block_id"), *aid = emu_jstr(el, "action_id");
        const cJSON *sv = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(values, bid ? bid : ""), aid ? aid : "");
        const char *chan = emu_jstr(sv, "selected_conversation");
        if (!chan)
            chan = emu_jstr(sv, "selected_channel");
        if (!chan || !emu_wk_chan(emu, chan))
            continue;
        char url[256];
        rurl_new(emu, false, chan, user, NULL, false, url, sizeof url);
        cJSON *ru = cJSON_CreateObject();
        cJSON_AddStringToObject(ru, "block_id", bid);
        cJSON_AddStringToObject(ru, "action_id", aid);
        cJSON_AddStringToObject(ru, "channel_id", chan);
        cJSON_AddStringToObject(ru, "response_url", url);
        cJSON_AddItemToArray(rus, ru);
    }
    cJSON *ctx = cJSON_CreateObject();
    cJSON_AddStringToObject(ctx, "kind", "view_submission");
    cJSON_AddStringToObject(ctx, "view_id", v->id);
    cJSON_AddStringToObject(ctx, "user_id", user);
    char env_id[EMU_UUID_LEN];
    bool ok = emu_env_deliver(emu, EMU_ENV_INTERACTIVE, p, true, ctx, env_id);
    cJSON *n = cJSON_CreateObject();
    cJSON_AddStringToObject(n, "envelope_id", env_id);
    cJSON_AddStringToObject(n, "view_id", v->id);
    cJSON_AddStringToObject(n, "user", user);
    cJSON_AddStringToObject(n, "result", ok ? "sent" : "dispatch_failed");
    note(emu, "view_submission", n);
    reply(resp, delivered_reply(ok, env_id, trigger));
}

void emu_ix_close_view(struct emu *emu, const cJSON *req, struct emu_resp *resp)
{
    struct emu_view *v = emu_wk_view(emu, emu_jstr(req, "view_id"));
    if (!v || v->state != EMU_VIEW_OPEN) {
        reply_err(resp, "view_not_found");
        return;
    }
    const char *user = emu_jstr(req, "user_id");
    if (!user)
        user = v->user;
    bool notify = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v->def, "notify_on_close"));
    cJSON *p = NULL;
    if (notify) {
        p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "type", "view_closed");
        cJSON_AddItemToObject(p, "team", team_obj(emu));
        cJSON_AddItemToObject(p, "user", user_obj(emu, user, true));
        cJSON_AddStringToObject(p, "api_app_id", emu_wk_app_id(emu));
        cJSON_AddStringToObject(p, "token", "emu-verification-token");
        cJSON_AddItemToObject(p, "view", emu_wk_view_render(emu, v, EMU_VIEW_PAYLOAD));
        cJSON_AddBoolToObject(p, "is_cleared", 0);
        cJSON_AddBoolToObject(p, "is_enterprise_install", 0);
        cJSON_AddNullToObject(p, "enterprise");
    }
    /* Cancel closes the whole stack when clear_on_close is set, else the top view. */
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v->def, "clear_on_close")))
        emu_wk_view_close_stack(emu, v->root_id);
    else
        v->state = EMU_VIEW_CLOSED;
    cJSON *n = cJSON_CreateObject();
    cJSON_AddStringToObject(n, "view_id", v->id);
    cJSON_AddStringToObject(n, "user", user);
    note(emu, "view_closed", n);
    if (!p) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "ok", 1);
        cJSON_AddBoolToObject(o, "notified", 0);
        reply(resp, o);
        return;
    }
    char env_id[EMU_UUID_LEN];
    bool ok = emu_env_deliver(emu, EMU_ENV_INTERACTIVE, p, false, NULL, env_id);
    reply(resp, delivered_reply(ok, env_id, NULL));
}

/* ---------- events ---------- */

static cJSON *wrap_event(struct emu *emu, cJSON *event)
{
    /* The event goes out as given: replayed samples keep their exact shape. */
    const char *type = emu_jstr(event, "type");
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "token", "emu-verification-token");
    cJSON_AddStringToObject(p, "team_id", emu_wk_team_id(emu));
    cJSON_AddStringToObject(p, "api_app_id", emu_wk_app_id(emu));
    cJSON_AddItemToObject(p, "event", event);
    cJSON_AddStringToObject(p, "type", "event_callback");
    char eid[EMU_ID_LEN];
    emu_rand_id(emu, "Ev0", 9, eid, sizeof eid);
    cJSON_AddStringToObject(p, "event_id", eid);
    cJSON_AddNumberToObject(p, "event_time", (double)(emu_wall_us() / 1000000));
    cJSON *auths = cJSON_AddArrayToObject(p, "authorizations");
    cJSON *au = cJSON_CreateObject();
    cJSON_AddNullToObject(au, "enterprise_id");
    cJSON_AddStringToObject(au, "team_id", emu_wk_team_id(emu));
    cJSON_AddStringToObject(au, "user_id", emu_wk_bot_user(emu));
    cJSON_AddBoolToObject(au, "is_bot", 1);
    cJSON_AddBoolToObject(au, "is_enterprise_install", 0);
    cJSON_AddItemToArray(auths, au);
    cJSON_AddBoolToObject(p, "is_ext_shared_channel", 0);
    char ctxs[96];
    snprintf(ctxs, sizeof ctxs, "4-%s-%s-%lu", type ? type : "event", emu_wk_team_id(emu),
             ++emu->ix->event_seq);
    cJSON_AddStringToObject(p, "event_context", ctxs);
    return p;
}

void emu_ix_emit_event(struct emu *emu, cJSON *event)
{
    const char *type = emu_jstr(event, "type");
    if (!type || (strcmp(type, "message") != 0 && !emu_wk_subscribed(emu, type))) {
        cJSON_Delete(event);
        return;
    }
    cJSON *p = wrap_event(emu, event);
    char env_id[EMU_UUID_LEN];
    emu_env_deliver(emu, EMU_ENV_EVENTS_API, p, false, NULL, env_id);
}

void emu_ix_event(struct emu *emu, const cJSON *req, struct emu_resp *resp)
{
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(req, "payload");
    const cJSON *event = cJSON_GetObjectItemCaseSensitive(req, "event");
    cJSON *p;
    if (cJSON_IsObject(payload))
        p = cJSON_Duplicate(payload, 1);
    else if (cJSON_IsObject(event) && emu_jstr(event, "type"))
        p = wrap_event(emu, cJSON_Duplicate(event, 1));
    else {
        reply_err(resp, "invalid_event");
        return;
    }
    const char *eid = emu_jstr(p, "event_id");
    char event_id[64];
    snprintf(event_id, sizeof event_id, "%s", eid ? eid : "");
    char env_id[EMU_UUID_LEN];
    bool ok = emu_env_deliver(emu, EMU_ENV_EVENTS_API, p, false, NULL, env_id);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", 1);
    cJSON_AddStringToObject(o, "envelope_id", env_id);
    cJSON_AddStringToObject(o, "event_id", event_id);
    cJSON_AddBoolToObject(o, "delivered", ok);
    reply(resp, o);
}

void emu_ix_envelope(struct emu *emu, const cJSON *req, struct emu_resp *resp)
{
    const char *type = emu_jstr(req, "type");
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(req, "payload");
    if (!type || !cJSON_IsObject(payload)) {
        reply_err(resp, "invalid_envelope");
        return;
    }
    enum emu_env_type t;
    bool accepts;
    const char *pt = emu_jstr(payload, "type");
    if (!strcmp(type, "events_api")) {
        t = EMU_ENV_EVENTS_API;
        accepts = false;
    } else if (!strcmp(type, "slash_commands")) {
        t = EMU_ENV_SLASH;
        accepts = true;
    } else if (!strcmp(type, "interactive")) {
        t = EMU_ENV_INTERACTIVE;
        accepts = pt && (!strcmp(pt, "view_submission") || !strcmp(pt, "block_suggestion"));
    } else {
        reply_err(resp, "invalid_envelope_type");
        return;
    }
    const cJSON *acc = cJSON_GetObjectItemCaseSensitive(req, "accepts_response_payload");
    if (cJSON_IsBool(acc))
        accepts = cJSON_IsTrue(acc);
    char env_id[EMU_UUID_LEN];
    bool ok = emu_env_deliver(emu, t, cJSON_Duplicate(payload, 1), accepts, NULL, env_id);
    reply(resp, delivered_reply(ok, env_id, NULL));
}

/* Splits message text into rich_text section elements the way Slack's clients do:
 * <@U..> becomes a user element, <#C..|name> a channel, <!here> a broadcast, <url|label>
 * a link, everything else text. */
static cJSON *rich_text_elements(const char *text)
{
    cJSON *arr = cJSON_CreateArray();
    const char *p = text;
    while (*p) {
        const char *lt = strchr(p, '<');
        const char *gt = lt ? strchr(lt, '>') : NULL;
        const char *end = lt && gt ? lt : p + strlen(p);
        if (end > p) {
            cJSON *t = cJSON_CreateObject();
            cJSON_AddStringToObject(t, "type", "text");
            char *s = xmemdup0(p, (size_t)(end - p));
            cJSON_AddStringToObject(t, "text", s);
            free(s);
            cJSON_AddItemToArray(arr, t);
        }
        if (!lt || !gt)
            break;
        char *inner = xmemdup0(lt + 1, (size_t)(gt - lt - 1));
        char *bar = strchr(inner, '|');
        if (bar)
            *bar = '\0';
        cJSON *e = cJSON_CreateObject();
        if (inner[0] == '@') {
            cJSON_AddStringToObject(e, "type", "user");
            cJSON_AddStringToObject(e, "user_id", inner + 1);
        } else if (inner[0] == '#') {
            cJSON_AddStringToObject(e, "type", "channel");
            cJSON_AddStringToObject(e, "channel_id", inner + 1);
        } else if (inner[0] == '!') {
            cJSON_AddStringToObject(e, "type", "broadcast");
            cJSON_AddStringToObject(e, "range", inner + 1);
        } else {
            cJSON_AddStringToObject(e, "type", "link");
            cJSON_AddStringToObject(e, "url", inner);
            if (bar)
                cJSON_AddStringToObject(e, "text", bar + 1);
        }
        cJSON_AddItemToArray(arr, e);
        free(inner);
        p = gt + 1;
    }
    return arr;
}

void emu_ix_user_message(struct emu *emu, const cJSON *req, struct emu_resp *resp)
{
    const char *user = emu_jstr(req, "user_id"), *chan = emu_jstr(req, "channel_id");
    const char *text = emu_jstr(req, "text"), *thread = emu_jstr(req, "thread_ts");
    if (!user)
        user = emu_wk_first_human(emu);
    if (!emu_wk_user(emu, user)) {
        reply_err(resp, "user_not_found");
        return;
    }
    struct emu_chan *c = emu_wk_chan(emu, chan ? chan : default_channel(emu));
    if (!c) {
        reply_err(resp, "channel_not_found");
        return;
    }
    if (!text || !text[0]) {
        reply_err(resp, "no_text");
        return;
    }
    if (!emu_wk_is_member(c, user)) {
        reply_err(resp, "not_in_channel");
        return;
    }
    if (c->is_archived) {
        reply_err(resp, "is_archived");
        return;
    }
    char cmid[EMU_UUID_LEN];
    emu_uuid(emu, cmid);
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "client_msg_id", cmid);
    cJSON_AddStringToObject(m, "type", "message");
    cJSON_AddStringToObject(m, "text", text);
    cJSON_AddStringToObject(m, "user", user);
    cJSON_AddStringToObject(m, "team", emu_wk_team_id(emu));
    /* Slack's clients send the text as rich_text too. */
    cJSON *blocks = cJSON_AddArrayToObject(m, "blocks");
    cJSON *rt = cJSON_CreateObject();
    cJSON_AddStringToObject(rt, "type", "rich_text");
    char bid[8];
    emu_rand_id(emu, "", 4, bid, sizeof bid);
    cJSON_AddStringToObject(rt, "block_id", bid);
    cJSON *els = cJSON_AddArrayToObject(rt, "elements");
    cJSON *sec = cJSON_CreateObject();
    cJSON_AddStringToObject(sec, "type", "rich_text_section");
    cJSON_AddItemToObject(sec, "elements", rich_text_elements(text));
    cJSON_AddItemToArray(els, sec);
    cJSON_AddItemToArray(blocks, rt);
    struct emu_msg *msg = emu_wk_msg_add(emu, c, m, thread, false);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", 1);
    cJSON_AddStringToObject(o, "channel", c->id);
    cJSON_AddStringToObject(o, "ts", msg->ts);
    cJSON *ids = cJSON_AddArrayToObject(o, "event_types");
    char sub[32];
    snprintf(sub, sizeof sub, "message.%s",
             c->is_im        ? "im"
             : c->is_private ? "groups"
                             : "channels");
    if (emu_wk_subscribed(emu, sub)) {
        cJSON *ev = cJSON_Duplicate(msg->obj, 1);
        cJSON_AddStringToObject(ev, "channel", c->id);
        cJSON_AddStringToObject(ev, "event_ts", msg->ts);
        cJSON_AddStringToObject(ev, "channel_type",
                                c->is_im        ? "im"
                                : c->is_private ? "group"
                                                : "channel");
        emu_ix_emit_event(emu, ev);
        cJSON_AddItemToArray(ids, cJSON_CreateString("message"));
    }
    char mention[EMU_ID_LEN + 4];
    snprintf(mention, sizeof mention, "<@%s>", emu_wk_bot_user(emu));
    if (strstr(text, mention) && emu_wk_subscribed(emu, "app_mention")) {
        cJSON *ev = cJSON_Duplicate(msg->obj, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(ev, "type");
        cJSON_AddStringToObject(ev, "type", "app_mention");
        cJSON_AddStringToObject(ev, "channel", c->id);
        cJSON_AddStringToObject(ev, "event_ts", msg->ts);
        emu_ix_emit_event(emu, ev);
        cJSON_AddItemToArray(ids, cJSON_CreateString("app_mention"));
    }
    reply(resp, o);
}

/* ---------- acks and timeouts ---------- */

static void view_ack(struct emu *emu, const cJSON *ctx, const cJSON *payload, const char *env_id)
{
    struct emu_view *v = emu_wk_view(emu, emu_jstr(ctx, "view_id"));
    if (!v)
        return;
    const char *ra = emu_jstr(payload, "response_action");
    const char *result = "closed";
    if (!ra) {
        v->state = EMU_VIEW_CLOSED; /* an empty ack closes the submitted view */
    } else if (!strcmp(ra, "errors")) {
        const cJSON *errors = cJSON_GetObjectItemCaseSensitive(payload, "errors");
        bool valid = cJSON_IsObject(errors) && errors->child;
        const cJSON *it;
        cJSON_ArrayForEach(it, errors)
        {
            const cJSON *blk = NULL, *b;
            cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(v->def, "blocks"))
            {
                const char *bid = emu_jstr(b, "block_id"), *bt = emu_jstr(b, "type");
                if (bid && bt && !strcmp(bid, it->string) && !strcmp(bt, "input"))
                    blk = b;
            }
            if (!blk || !cJSON_IsString(it))
                valid = false;
        }
        if (valid) {
            cJSON_Delete(v->errors);
            v->errors = cJSON_Duplicate(errors, 1);
            result = "errors";
        } else {
            result = "invalid_errors"; /* Slack shows the user a generic error */
        }
    } else if (!strcmp(ra, "update") || !strcmp(ra, "push")) {
        const cJSON *view = cJSON_GetObjectItemCaseSensitive(payload, "view");
        char *msg = emu_blk_check_view(view);
        int depth = 0;
        emu_wk_view_top(emu, v->root_id, &depth);
        if (msg) {
            result = "invalid_view";
            free(msg);
        } else if (!strcmp(ra, "update")) {
            emu_wk_view_replace(emu, v, cJSON_Duplicate(view, 1));
            result = "updated";
        } else if (depth >= EMU_VIEW_STACK_MAX) {
            result = "push_limit_reached";
        } else {
            emu_wk_view_new(emu, v->user, cJSON_Duplicate(view, 1), v->root_id, v->id);
            result = "pushed";
        }
    } else if (!strcmp(ra, "clear")) {
        emu_wk_view_close_stack(emu, v->root_id);
        result = "cleared";
    } else {
        result = "invalid_response_action";
    }
    cJSON *n = cJSON_CreateObject();
    cJSON_AddStringToObject(n, "envelope_id", env_id);
    cJSON_AddStringToObject(n, "view_id", v->id);
    cJSON_AddStringToObject(n, "response_action", ra ? ra : "");
    cJSON_AddStringToObject(n, "result", result);
    note(emu, "view_submission_ack", n);
}

void emu_ix_on_ack(struct emu *emu, const cJSON *ctx, const cJSON *payload, const char *env_id)
{
    const char *kind = emu_jstr(ctx, "kind");
    if (!kind)
        return;
    if (!strcmp(kind, "view_submission")) {
        view_ack(emu, ctx, payload, env_id);
        return;
    }
    if (!strcmp(kind, "slash")) {
        const char *result = "empty";
        const char *rt = emu_jstr(payload, "response_type");
        if (payload &&
            (emu_jstr(payload, "text") || cJSON_GetObjectItemCaseSensitive(payload, "blocks") ||
             cJSON_GetObjectItemCaseSensitive(payload, "attachments"))) {
            bool in_channel = rt && !strcmp(rt, "in_channel");
            const char *e = emu_api_bot_post(emu, emu_jstr(ctx, "channel_id"),
                                             emu_jstr(ctx, "user_id"), payload, !in_channel, NULL);
            result = e ? e : in_channel ? "posted_in_channel" : "posted_ephemeral";
        }
        cJSON *n = cJSON_CreateObject();
        cJSON_AddStringToObject(n, "envelope_id", env_id);
        cJSON_AddStringToObject(n, "command", emu_jstr(ctx, "command"));
        cJSON_AddStringToObject(n, "result", result);
        note(emu, "slash_ack", n);
    }
}

void emu_ix_on_timeout(struct emu *emu, const cJSON *ctx, const char *env_id)
{
    const char *kind = emu_jstr(ctx, "kind");
    cJSON *n = cJSON_CreateObject();
    cJSON_AddStringToObject(n, "envelope_id", env_id);
    cJSON_AddStringToObject(n, "user", emu_jstr(ctx, "user_id") ? emu_jstr(ctx, "user_id") : "");
    cJSON_AddStringToObject(n, "interaction", kind ? kind : "");
    /* What Slack shows: "/cmd failed with the error operation_timeout", a warning on the
     * button, or "We had some trouble connecting" in the modal (which stays open). */
    cJSON_AddStringToObject(n, "error", "operation_timeout");
    if (kind && !strcmp(kind, "slash"))
        cJSON_AddStringToObject(n, "command", emu_jstr(ctx, "command"));
    note(emu, "user_error", n);
}

cJSON *emu_ix_render(struct emu *emu)
{
    return cJSON_Duplicate(emu->ix->timeline, 1);
}
