/*
 * The Web API at /api/<method>: the method table (name, rate tier, token
 * kind, handler), the order in which Slack checks a call (unknown method,
 * injected faults, body errors, token, rate limit, arguments), token rules
 * (not_authed, invalid_auth, not_allowed_token_type, pinned tokens), the
 * per-tier and per-channel rate limits answered with HTTP 429 and
 * Retry-After, and one handler per method returning Slack's documented
 * shapes and error codes. It also owns posting as the bot on behalf of
 * slash-command acks and response_url calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "xmalloc.h"

#define MAX_ATTACHMENTS 100
#define MAX_PAGE        1000

enum tok { TOK_BOT, TOK_APP, TOK_NONE };

struct call {
    const char *method;
    int retry_after; /* a handler's own 429 (chat.postMessage per channel) */
};

typedef cJSON *(*handler_fn)(struct emu *emu, struct emu_args *a, struct call *call);

struct method {
    const char *name;
    double per_min; /* tier rate; 0 = no limit */
    enum tok tok;
    handler_fn fn;
};

struct emu_api {
    int unused;
};

struct emu_api *emu_api_new(void)
{
    return xcalloc(1, sizeof(struct emu_api));
}

void emu_api_free(struct emu_api *a)
{
    free(a);
}

/* ---------- helpers ---------- */

static cJSON *ok_obj(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", 1);
    return o;
}

static bool str_listed(const cJSON *arr, const char *s)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
            return true;
    }
    return false;
}

static cJSON *err(const char *e)
{
    return emu_jerror(e);
}

static cJSON *err_msg(const char *e, const char *msg)
{
    cJSON *o = emu_jerror(e);
    emu_jadd_messages(o, msg);
    return o;
}

static cJSON *err_missing(const char *field)
{
    char msg[128];
    snprintf(msg, sizeof msg, "[ERROR] missing required field: %s", field);
    return err_msg("invalid_arguments", msg);
}

/* Resolves a channel the bot can see; private channels it is not in do not exist for it. */
static struct emu_chan *visible_chan(struct emu *emu, const char *arg)
{
    struct emu_chan *c = emu_wk_chan_resolve(emu, arg);
    if (c && c->is_private && !emu_wk_is_member(c, emu_wk_bot_user(emu)))
        return NULL;
    return c;
}

static bool can_post(struct emu *emu, const struct emu_chan *c)
{
    return emu_wk_is_member(c, emu_wk_bot_user(emu)) ||
           (!c->is_private && emu_wk_has_scope(emu, "chat:write.public"));
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Cursors are base64 of "emu:<offset>", opaque to clients as Slack's are. */
static void cursor_make(long offset, char out[64])
{
    char raw[32];
    int n = snprintf(raw, sizeof raw, "emu:%ld", offset);
    size_t o = 0;
    for (int i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)raw[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)raw[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)raw[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[o] = '\0';
}

/* Returns the offset, 0 for no cursor, or -1 for an invalid one. */
static long cursor_parse(const char *c)
{
    if (!c || !c[0])
        return 0;
    char raw[48];
    size_t o = 0, len = strlen(c);
    if (len % 4 || len > 60)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        unsigned v = 0;
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            const char *p = c[i + k] == '=' ? NULL : strchr(b64, c[i + k]);
            if (c[i + k] == '=')
                pad++;
            else if (!p || !c[i + k])
                return -1;
            v = (v << 6) | (p ? (unsigned)(p - b64) : 0);
        }
        raw[o++] = (char)(v >> 16);
        if (pad < 2)
            raw[o++] = (char)(v >> 8);
        if (pad < 1)
            raw[o++] = (char)v;
    }
    raw[o] = '\0';
    long off;
    if (strncmp(raw, "emu:", 4) != 0 || !emu_parse_long(raw + 4, 0, 100000000, &off))
        return -1;
    return off;
}

static void add_next_cursor(cJSON *o, long next)
{
    cJSON *md = cJSON_AddObjectToObject(o, "response_metadata");
    char cur[64] = "";
    if (next > 0)
        cursor_make(next, cur);
    cJSON_AddStringToObject(md, "next_cursor", cur);
}

/* Parses blocks; NULL error means fine (*out may be NULL when absent). */
static cJSON *parse_blocks(struct emu_args *a, cJSON **out)
{
    bool bad;
    *out = emu_arg_json(a, "blocks", &bad);
    if (bad || (*out && !cJSON_IsArray(*out))) {
        cJSON_Delete(*out);
        *out = NULL;
        return err("invalid_blocks_format");
    }
    if (*out) {
        char *msg = emu_blk_check(*out, EMU_BLK_MESSAGE);
        if (msg) {
            cJSON *e = err_msg("invalid_blocks", msg);
            free(msg);
            cJSON_Delete(*out);
            *out = NULL;
            return e;
        }
    }
    return NULL;
}

/*
 * chat.postMessage's "metadata": {"event_type": string, "event_payload": object}, as a JSON
 * object or (form bodies) a JSON string; anything else is invalid_metadata_format.
 */
static cJSON *parse_metadata(struct emu_args *a, cJSON **out)
{
    bool bad;
    *out = emu_arg_json(a, "metadata", &bad);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(*out, "event_type");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(*out, "event_payload");
    if (bad || (*out && (!cJSON_IsObject(*out) || !cJSON_IsString(t) || !t->valuestring[0] ||
                         (p && !cJSON_IsObject(p))))) {
        cJSON_Delete(*out);
        *out = NULL;
        return err("invalid_metadata_format");
    }
    return NULL;
}

static cJSON *parse_attachments(struct emu_args *a, cJSON **out)
{
    bool bad;
    *out = emu_arg_json(a, "attachments", &bad);
    if (bad || (*out && !cJSON_IsArray(*out))) {
        cJSON_Delete(*out);
        *out = NULL;
        return err("invalid_attachments");
    }
    if (*out && cJSON_GetArraySize(*out) > MAX_ATTACHMENTS) {
        cJSON_Delete(*out);
        *out = NULL;
        return err("too_many_attachments");
    }
    int id = 1;
    cJSON *att;
    cJSON_ArrayForEach(att, *out)
    {
        if (!cJSON_IsObject(att)) {
            cJSON_Delete(*out);
            *out = NULL;
            return err("invalid_attachments");
        }
        cJSON_DeleteItemFromObjectCaseSensitive(att, "id");
        cJSON_AddNumberToObject(att, "id", id++);
    }
    if (cJSON_GetArraySize(*out) == 0) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    return NULL;
}

/* The message object Slack stores for a bot post. Takes blocks and attachments. */
static cJSON *bot_message(struct emu *emu, const char *text, cJSON *blocks, cJSON *attachments)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "user", emu_wk_bot_user(emu));
    cJSON_AddStringToObject(m, "type", "message");
    cJSON_AddStringToObject(m, "bot_id", emu_wk_bot_id(emu));
    cJSON_AddStringToObject(m, "app_id", emu_wk_app_id(emu));
    cJSON_AddStringToObject(m, "text", text ? text : "");
    cJSON_AddStringToObject(m, "team", emu_wk_team_id(emu));
    if (blocks) {
        emu_blk_assign_ids(emu, blocks);
        cJSON_AddItemToObject(m, "blocks", blocks);
    }
    if (attachments)
        cJSON_AddItemToObject(m, "attachments", attachments);
    return m;
}

static const char *channel_type(const struct emu_chan *c)
{
    return c->is_im ? "im" : c->is_private ? "group" : "channel";
}

/* Tells subscribed apps about a new message (message.channels and friends). */
static void emit_message_event(struct emu *emu, const struct emu_chan *c, const struct emu_msg *m)
{
    char sub[32];
    snprintf(sub, sizeof sub, "message.%s",
             c->is_im        ? "im"
             : c->is_private ? "groups"
                             : "channels");
    if (!emu_wk_subscribed(emu, sub))
        return;
    cJSON *ev = cJSON_Duplicate(m->obj, 1);
    cJSON_AddStringToObject(ev, "channel", c->id);
    cJSON_AddStringToObject(ev, "event_ts", m->ts);
    cJSON_AddStringToObject(ev, "channel_type", channel_type(c));
    emu_ix_emit_event(emu, ev);
}

static void emit_member_joined(struct emu *emu, const struct emu_chan *c, const char *user,
                               const char *inviter)
{
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "type", "member_joined_channel");
    cJSON_AddStringToObject(ev, "user", user);
    cJSON_AddStringToObject(ev, "channel", c->id);
    cJSON_AddStringToObject(ev, "channel_type", c->is_private ? "G" : "C");
    cJSON_AddStringToObject(ev, "team", emu_wk_team_id(emu));
    if (inviter)
        cJSON_AddStringToObject(ev, "inviter", inviter);
    char ts[EMU_TS_LEN];
    emu_next_ts(emu, ts);
    cJSON_AddStringToObject(ev, "event_ts", ts);
    emu_ix_emit_event(emu, ev);
}

const char *emu_api_bot_post(struct emu *emu, const char *channel, const char *user,
                             const cJSON *payload, bool ephemeral, const char *thread_ts)
{
    struct emu_chan *c = emu_wk_chan(emu, channel);
    if (!c)
        return "channel_not_found";
    const char *text = emu_jstr(payload, "text");
    const cJSON *bl = cJSON_GetObjectItemCaseSensitive(payload, "blocks");
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(payload, "attachments");
    if ((!text || !text[0]) && !cJSON_IsArray(bl) && !cJSON_IsArray(at))
        return "no_text";
    cJSON *blocks = cJSON_IsArray(bl) ? cJSON_Duplicate(bl, 1) : NULL;
    if (blocks) {
        char *msg = emu_blk_check(blocks, EMU_BLK_MESSAGE);
        if (msg) {
            free(msg);
            cJSON_Delete(blocks);
            return "invalid_blocks";
        }
    }
    cJSON *m = bot_message(emu, text, blocks, cJSON_IsArray(at) ? cJSON_Duplicate(at, 1) : NULL);
    if (ephemeral) {
        char ts[EMU_TS_LEN];
        emu_wk_ephemeral_add(emu, c->id, user, m, ts);
    } else {
        struct emu_msg *msg = emu_wk_msg_add(emu, c, m, thread_ts, true);
        emit_message_event(emu, c, msg);
    }
    return NULL;
}

/* ---------- auth, apps ---------- */

static cJSON *m_auth_test(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)a;
    (void)call;
    cJSON *o = ok_obj();
    char url[160];
    snprintf(url, sizeof url, "https://%s.slack.com/", emu_wk_team_domain(emu));
    cJSON_AddStringToObject(o, "url", url);
    cJSON_AddStringToObject(o, "team", emu_wk_team_name(emu));
    cJSON_AddStringToObject(o, "user", emu_wk_bot_name(emu));
    cJSON_AddStringToObject(o, "team_id", emu_wk_team_id(emu));
    cJSON_AddStringToObject(o, "user_id", emu_wk_bot_user(emu));
    cJSON_AddStringToObject(o, "bot_id", emu_wk_bot_id(emu));
    return o;
}

static cJSON *m_api_test(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)emu;
    (void)call;
    const char *e = emu_arg_str(a, "error");
    cJSON *o = e ? err(e) : ok_obj();
    cJSON_AddItemToObject(o, "args", cJSON_Duplicate(a->obj, 1));
    return o;
}

static cJSON *m_apps_connections_open(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)a;
    (void)call;
    char url[256];
    emu_sock_ticket(emu, url, sizeof url);
    cJSON *o = ok_obj();
    cJSON_AddStringToObject(o, "url", url);
    return o;
}

static cJSON *m_team_info(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)a;
    (void)call;
    cJSON *o = ok_obj();
    cJSON *t = cJSON_AddObjectToObject(o, "team");
    char url[160];
    snprintf(url, sizeof url, "https://%s.slack.com/", emu_wk_team_domain(emu));
    cJSON_AddStringToObject(t, "id", emu_wk_team_id(emu));
    cJSON_AddStringToObject(t, "name", emu_wk_team_name(emu));
    cJSON_AddStringToObject(t, "url", url);
    cJSON_AddStringToObject(t, "domain", emu_wk_team_domain(emu));
    cJSON_AddStringToObject(t, "email_domain", "");
    cJSON *icon = cJSON_AddObjectToObject(t, "icon");
    cJSON_AddBoolToObject(icon, "image_default", 1);
    cJSON_AddStringToObject(t, "avatar_base_url", "https://ca.slack-edge.com/");
    cJSON_AddBoolToObject(t, "is_verified", 0);
    return o;
}

/* ---------- conversations ---------- */

#define NEED_CHAN(var, key)                                                                        \
    const char *var##_arg = emu_arg_str(a, key);                                                   \
    if (!var##_arg || !var##_arg[0])                                                               \
        return err_missing(key);                                                                   \
    struct emu_chan *var = visible_chan(emu, var##_arg);                                           \
    if (!var)                                                                                      \
    return err("channel_not_found")

static cJSON *m_conv_create(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    const char *name = emu_arg_str(a, "name");
    const char *e = emu_wk_check_name(emu, name, NULL);
    if (e)
        return err(e);
    struct emu_chan *c =
        emu_wk_chan_create(emu, name, emu_arg_bool(a, "is_private", false), emu_wk_bot_user(emu));
    cJSON *o = ok_obj();
    cJSON_AddItemToObject(o, "channel", emu_wk_chan_render(emu, c, EMU_CHAN_CREATE));
    return o;
}

static cJSON *m_conv_invite(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    NEED_CHAN(c, "channel");
    const char *users = emu_arg_str(a, "users");
    if (!users || !users[0])
        return err("no_user");
    if (c->is_archived)
        return err("is_archived");
    if (c->is_im)
        return err("method_not_supported_for_channel_type");
    if (!emu_wk_is_member(c, emu_wk_bot_user(emu)))
        return err("not_in_channel");
    bool force = emu_arg_bool(a, "force", false);
    cJSON *errors = cJSON_CreateArray();
    cJSON *valid = cJSON_CreateArray();
    const char *first_error = NULL;
    int count = 0;
    const char *p = users;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        size_t len = (size_t)(p - start);
        while (len && start[len - 1] == ' ')
            len--;
        if (!len)
            continue;
        if (++count > EMU_MAX_INVITE) {
            cJSON_Delete(errors);
            cJSON_Delete(valid);
            return err("too_many_users");
        }
        char uid[EMU_ID_LEN * 2];
        snprintf(uid, sizeof uid, "%.*s", (int)(len < sizeof uid ? len : sizeof uid - 1), start);
        const cJSON *u = emu_wk_user(emu, uid);
        const char *ue = NULL;
        if (!u || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(u, "deleted")))
            ue = "user_not_found";
        else if (strcmp(uid, emu_wk_bot_user(emu)) == 0)
            ue = "cant_invite_self";
        else if (emu_wk_is_member(c, uid))
            ue = "already_in_channel";
        if (ue) {
            cJSON *eo = cJSON_CreateObject();
            cJSON_AddStringToObject(eo, "user", uid);
            cJSON_AddBoolToObject(eo, "ok", 0);
            cJSON_AddStringToObject(eo, "error", ue);
            cJSON_AddItemToArray(errors, eo);
            if (!first_error)
                first_error = ue;
        } else if (!str_listed(valid, uid)) {
            cJSON_AddItemToArray(valid, cJSON_CreateString(uid));
        }
    }
    if (count == 0) {
        cJSON_Delete(errors);
        cJSON_Delete(valid);
        return err("no_user");
    }
    cJSON *o;
    if (first_error && (!force || cJSON_GetArraySize(valid) == 0)) {
        o = err(first_error);
        cJSON_AddItemToObject(o, "errors", errors);
        cJSON_Delete(valid);
        return o;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, valid)
    {
        emu_wk_add_member(c, v->valuestring);
        emit_member_joined(emu, c, v->valuestring, emu_wk_bot_user(emu));
    }
    cJSON_Delete(valid);
    o = ok_obj();
    cJSON_AddItemToObject(o, "channel", emu_wk_chan_render(emu, c, EMU_CHAN_INVITE));
    if (first_error)
        cJSON_AddItemToObject(o, "errors", errors);
    else
        cJSON_Delete(errors);
    return o;
}

static cJSON *m_conv_join(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    const char *arg = emu_arg_str(a, "channel");
    if (!arg || !arg[0])
        return err_missing("channel");
    struct emu_chan *c = emu_wk_chan_resolve(emu, arg);
    if (!c)
        return err("channel_not_found");
    bool member = emu_wk_is_member(c, emu_wk_bot_user(emu));
    if ((c->is_private || c->is_im) && !member)
        return err(c->is_im ? "method_not_supported_for_channel_type" : "channel_not_found");
    if (c->is_archived)
        return err("is_archived");
    cJSON *o = ok_obj();
    if (!member) {
        emu_wk_add_member(c, emu_wk_bot_user(emu));
        emit_member_joined(emu, c, emu_wk_bot_user(emu), NULL);
    }
    cJSON_AddItemToObject(o, "channel", emu_wk_chan_render(emu, c, EMU_CHAN_JOIN));
    if (member) {
        cJSON_AddStringToObject(o, "warning", "already_in_channel");
        cJSON *md = cJSON_AddObjectToObject(o, "response_metadata");
        cJSON *w = cJSON_AddArrayToObject(md, "warnings");
        cJSON_AddItemToArray(w, cJSON_CreateString("already_in_channel"));
    }
    return o;
}

static cJSON *m_conv_info(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    NEED_CHAN(c, "channel");
    cJSON *o = ok_obj();
    cJSON *ch = emu_wk_chan_render(emu, c, EMU_CHAN_FULL);
    if (emu_arg_bool(a, "include_num_members", false))
        cJSON_AddNumberToObject(ch, "num_members", (double)c->nmembers);
    cJSON_AddItemToObject(o, "channel", ch);
    return o;
}

static cJSON *m_conv_members(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    NEED_CHAN(c, "channel");
    long limit = emu_arg_long(a, "limit", 100, 1, MAX_PAGE);
    long off = cursor_parse(emu_arg_str(a, "cursor"));
    if (off < 0)
        return err("invalid_cursor");
    cJSON *o = ok_obj();
    cJSON *arr = cJSON_AddArrayToObject(o, "members");
    long i = off;
    for (; i < (long)c->nmembers && i < off + limit; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(c->members[i]));
    add_next_cursor(o, i < (long)c->nmembers ? i : 0);
    return o;
}

static cJSON *set_text_prop(struct emu *emu, struct emu_args *a, bool topic)
{
    const char *key = topic ? "topic" : "purpose";
    const char *chan_arg = emu_arg_str(a, "channel");
    if (!chan_arg || !chan_arg[0])
        return err_missing("channel");
    const char *value = emu_arg_str(a, key);
    if (!value)
        return err_missing(key);
    struct emu_chan *c = visible_chan(emu, chan_arg);
    if (!c)
        return err("channel_not_found");
    if (c->is_im)
        return err("method_not_supported_for_channel_type");
    if (c->is_archived)
        return err("is_archived");
    if (!emu_wk_is_member(c, emu_wk_bot_user(emu)))
        return err("not_in_channel");
    if (strlen(value) > EMU_MAX_TOPIC)
        return err("too_long");
    long now = (long)(emu_wall_us() / 1000000);
    const char *bot = emu_wk_bot_user(emu);
    if (topic) {
        free(c->topic);
        c->topic = xstrdup(value);
        snprintf(c->topic_creator, sizeof c->topic_creator, "%s", bot);
        c->topic_set = now;
    } else {
        free(c->purpose);
        c->purpose = xstrdup(value);
        snprintf(c->purpose_creator, sizeof c->purpose_creator, "%s", bot);
        c->purpose_set = now;
    }
    /* Slack records the change as a channel message. */
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "message");
    cJSON_AddStringToObject(m, "subtype", topic ? "channel_topic" : "channel_purpose");
    cJSON_AddStringToObject(m, "user", bot);
    char *text = xasprintf("set the channel %s: %s", key, value);
    cJSON_AddStringToObject(m, "text", text);
    free(text);
    cJSON_AddStringToObject(m, key, value);
    emu_wk_msg_add(emu, c, m, NULL, true);
    cJSON *o = ok_obj();
    if (topic)
        cJSON_AddItemToObject(o, "channel", emu_wk_chan_render(emu, c, EMU_CHAN_FULL));
    return o;
}

static cJSON *m_conv_set_topic(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    return set_text_prop(emu, a, true);
}

static cJSON *m_conv_set_purpose(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    return set_text_prop(emu, a, false);
}

static cJSON *m_conv_rename(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    NEED_CHAN(c, "channel");
    const char *name = emu_arg_str(a, "name");
    if (c->is_im)
        return err("method_not_supported_for_channel_type");
    if (!emu_wk_is_member(c, emu_wk_bot_user(emu)))
        return err("not_in_channel");
    if (c->is_archived)
        return err("is_archived");
    const char *e = emu_wk_check_name(emu, name, c);
    if (e)
        return err(e);
    if (strcmp(c->name, name) != 0) {
        char *old = xstrdup(c->name);
        emu_wk_chan_rename(c, name);
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "type", "message");
        cJSON_AddStringToObject(m, "subtype", "channel_name");
        cJSON_AddStringToObject(m, "user", emu_wk_bot_user(emu));
        char *text = xasprintf("renamed the channel from \"%s\" to \"%s\"", old, name);
        cJSON_AddStringToObject(m, "text", text);
        free(text);
        cJSON_AddStringToObject(m, "old_name", old);
        cJSON_AddStringToObject(m, "name", name);
        free(old);
        emu_wk_msg_add(emu, c, m, NULL, true);
    }
    cJSON *o = ok_obj();
    cJSON_AddItemToObject(o, "channel", emu_wk_chan_render(emu, c, EMU_CHAN_JOIN));
    return o;
}

static cJSON *m_conv_archive(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    NEED_CHAN(c, "channel");
    if (c->is_im)
        return err("method_not_supported_for_channel_type");
    if (c->is_archived)
        return err("already_archived");
    if (c->is_general)
        return err("cant_archive_general");
    if (!emu_wk_is_member(c, emu_wk_bot_user(emu)))
        return err("not_in_channel");
    c->is_archived = true;
    return ok_obj();
}

static bool type_wanted(const char *types, const struct emu_chan *c)
{
    const char *want = c->is_im ? "im" : c->is_private ? "private_channel" : "public_channel";
    size_t n = strlen(want);
    for (const char *p = types; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (strncmp(p, want, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return true;
        p = strchr(p, ',');
    }
    return false;
}

static cJSON *list_channels(struct emu *emu, struct emu_args *a, const char *member)
{
    const char *types = emu_arg_str(a, "types");
    if (!types || !types[0])
        types = "public_channel";
    bool exclude_archived = emu_arg_bool(a, "exclude_archived", false);
    long limit = emu_arg_long(a, "limit", 100, 1, MAX_PAGE);
    long off = cursor_parse(emu_arg_str(a, "cursor"));
    if (off < 0)
        return err("invalid_cursor");
    cJSON *o = ok_obj();
    cJSON *arr = cJSON_AddArrayToObject(o, "channels");
    long seen = 0, added = 0, next = 0;
    for (size_t i = 0; i < emu_wk_nchans(emu); i++) {
        struct emu_chan *c = emu_wk_chan_at(emu, i);
        if (!type_wanted(types, c) || (exclude_archived && c->is_archived))
            continue;
        if (c->is_private && !emu_wk_is_member(c, emu_wk_bot_user(emu)))
            continue;
        if (member && !emu_wk_is_member(c, member))
            continue;
        if (seen++ < off)
            continue;
        if (added == limit) {
            next = off + added;
            break;
        }
        cJSON *ch = emu_wk_chan_render(emu, c, EMU_CHAN_FULL);
        cJSON_AddNumberToObject(ch, "num_members", (double)c->nmembers);
        cJSON_AddItemToArray(arr, ch);
        added++;
    }
    add_next_cursor(o, next);
    return o;
}

static cJSON *m_conv_list(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    return list_channels(emu, a, NULL);
}

static cJSON *m_users_conversations(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    const char *user = emu_arg_str(a, "user");
    if (!user || !user[0])
        user = emu_wk_bot_user(emu);
    else if (!emu_wk_user(emu, user))
        return err("user_not_found");
    return list_channels(emu, a, user);
}

/* A message of history or replies as the caller asked: metadata only with include_all_metadata. */
static cJSON *listed_msg(const struct emu_msg *m, bool metadata)
{
    cJSON *o = cJSON_Duplicate(m->obj, 1);
    if (!metadata)
        cJSON_DeleteItemFromObjectCaseSensitive(o, "metadata");
    return o;
}

/* Is ts after the "oldest" argument (exclusive, Slack's default)? No argument: yes. */
static bool after_oldest(struct emu_args *a, const char *ts)
{
    const char *oldest = emu_arg_str(a, "oldest");
    return !oldest || !oldest[0] || strtod(ts, NULL) > strtod(oldest, NULL);
}

static cJSON *m_conv_history(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    NEED_CHAN(c, "channel");
    long limit = emu_arg_long(a, "limit", 100, 1, MAX_PAGE);
    bool meta = emu_arg_bool(a, "include_all_metadata", false);
    cJSON *o = ok_obj();
    cJSON *arr = cJSON_AddArrayToObject(o, "messages");
    long n = 0;
    for (size_t i = c->nmsgs; i-- > 0 && n < limit;) {
        struct emu_msg *m = c->msgs[i];
        if (m->deleted || m->thread_ts[0] || !after_oldest(a, m->ts))
            continue;
        cJSON_AddItemToArray(arr, listed_msg(m, meta));
        n++;
    }
    cJSON_AddBoolToObject(o, "has_more", 0);
    cJSON_AddNumberToObject(o, "pin_count", cJSON_GetArraySize(c->pins));
    add_next_cursor(o, 0);
    return o;
}

/* The thread under ts: its parent first, then the replies, oldest first (one page). */
static cJSON *m_conv_replies(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    NEED_CHAN(c, "channel");
    const char *ts = emu_arg_str(a, "ts");
    if (!ts || !ts[0])
        return err_missing("ts");
    struct emu_msg *parent = emu_wk_msg(c, ts);
    if (!parent || parent->deleted)
        return err("thread_not_found");
    const char *root = parent->thread_ts[0] ? parent->thread_ts : parent->ts;
    long limit = emu_arg_long(a, "limit", 1000, 1, MAX_PAGE);
    bool meta = emu_arg_bool(a, "include_all_metadata", false);
    cJSON *o = ok_obj();
    cJSON *arr = cJSON_AddArrayToObject(o, "messages");
    long n = 0;
    for (size_t i = 0; i < c->nmsgs && n < limit; i++) {
        struct emu_msg *m = c->msgs[i];
        bool in = strcmp(m->ts, root) == 0 || strcmp(m->thread_ts, root) == 0;
        if (!in || m->deleted || (strcmp(m->ts, root) != 0 && !after_oldest(a, m->ts)))
            continue;
        cJSON_AddItemToArray(arr, listed_msg(m, meta));
        n++;
    }
    cJSON_AddBoolToObject(o, "has_more", 0);
    add_next_cursor(o, 0);
    return o;
}

/* ---------- chat ---------- */

static cJSON *m_chat_post(struct emu *emu, struct emu_args *a, struct call *call)
{
    NEED_CHAN(c, "channel");
    if (c->is_archived)
        return err("is_archived");
    if (!can_post(emu, c))
        return err("not_in_channel");
    const char *text = emu_arg_str(a, "text");
    const char *md = emu_arg_str(a, "markdown_text");
    cJSON *blocks, *attachments, *e;
    if ((e = parse_blocks(a, &blocks)))
        return e;
    if ((e = parse_attachments(a, &attachments))) {
        cJSON_Delete(blocks);
        return e;
    }
    cJSON *meta = NULL;
    if ((e = parse_metadata(a, &meta))) {
        cJSON_Delete(blocks);
        cJSON_Delete(attachments);
        return e;
    }
    if (md && md[0] && ((text && text[0]) || blocks)) {
        cJSON_Delete(blocks);
        cJSON_Delete(attachments);
        cJSON_Delete(meta);
        return err("markdown_text_conflict");
    }
    if (md && md[0])
        text = md;
    if ((!text || !text[0]) && !blocks && !attachments) {
        cJSON_Delete(meta);
        return err("no_text");
    }
    /* Per channel: about one message a second, with a short burst. */
    char key[64];
    snprintf(key, sizeof key, "chat.postMessage:%s", c->id);
    int wait = emu_rate_take(emu, key, 60, 5);
    if (wait) {
        cJSON_Delete(blocks);
        cJSON_Delete(attachments);
        cJSON_Delete(meta);
        call->retry_after = wait;
        return err("ratelimited");
    }
    char *cut = NULL;
    if (text && strlen(text) > EMU_MAX_TEXT) /* Slack truncates very long text */
        text = cut = xmemdup0(text, EMU_MAX_TEXT);
    cJSON *m = bot_message(emu, text, blocks, attachments);
    free(cut);
    if (meta) /* kept with the message; history shows it with include_all_metadata */
        cJSON_AddItemToObject(m, "metadata", meta);
    struct emu_msg *msg = emu_wk_msg_add(emu, c, m, emu_arg_str(a, "thread_ts"), true);
    cJSON *o = ok_obj();
    cJSON_AddStringToObject(o, "channel", c->id);
    cJSON_AddStringToObject(o, "ts", msg->ts);
    cJSON_AddItemToObject(o, "message", emu_wk_msg_render(emu, msg, EMU_MSG_POST));
    emit_message_event(emu, c, msg);
    return o;
}

static cJSON *m_chat_update(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    NEED_CHAN(c, "channel");
    const char *ts = emu_arg_str(a, "ts");
    if (!ts || !ts[0])
        return err_missing("ts");
    struct emu_msg *m = emu_wk_msg(c, ts);
    if (!m)
        return err("message_not_found");
    if (!m->from_bot || !emu_jstr(m->obj, "bot_id"))
        return err("cant_update_message");
    const char *text = emu_arg_str(a, "text");
    cJSON *blocks, *attachments, *e;
    if ((e = parse_blocks(a, &blocks)))
        return e;
    if ((e = parse_attachments(a, &attachments))) {
        cJSON_Delete(blocks);
        return e;
    }
    if (!text && !blocks && !attachments)
        return err("no_text");
    if (text && strlen(text) > EMU_MAX_UPDATE_TEXT) {
        cJSON_Delete(blocks);
        cJSON_Delete(attachments);
        return err("msg_too_long");
    }
    if (blocks)
        emu_blk_assign_ids(emu, blocks);
    emu_wk_msg_edit(emu, m, emu_wk_bot_user(emu), text, blocks, attachments);
    cJSON *o = ok_obj();
    cJSON_AddStringToObject(o, "channel", c->id);
    cJSON_AddStringToObject(o, "ts", m->ts);
    const char *cur = emu_jstr(m->obj, "text");
    cJSON_AddStringToObject(o, "text", cur ? cur : "");
    cJSON *mo = cJSON_AddObjectToObject(o, "message");
    cJSON_AddStringToObject(mo, "text", cur ? cur : "");
    cJSON_AddStringToObject(mo, "user", emu_wk_bot_user(emu));
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(m->obj, "blocks");
    if (b && blocks)
        cJSON_AddItemToObject(mo, "blocks", cJSON_Duplicate(b, 1));
    return o;
}

static cJSON *m_chat_delete(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    NEED_CHAN(c, "channel");
    const char *ts = emu_arg_str(a, "ts");
    if (!ts || !ts[0])
        return err_missing("ts");
    struct emu_msg *m = emu_wk_msg(c, ts);
    if (!m)
        return err("message_not_found");
    if (!m->from_bot || !emu_jstr(m->obj, "bot_id"))
        return err("cant_delete_message");
    emu_wk_msg_delete(c, m);
    cJSON *o = ok_obj();
    cJSON_AddStringToObject(o, "channel", c->id);
    cJSON_AddStringToObject(o, "ts", m->ts);
    return o;
}

static cJSON *m_chat_ephemeral(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    NEED_CHAN(c, "channel");
    const char *user = emu_arg_str(a, "user");
    if (!user || !user[0])
        return err_missing("user");
    if (!emu_wk_user(emu, user))
        return err("user_not_found");
    if (c->is_archived)
        return err("is_archived");
    if (!can_post(emu, c))
        return err("not_in_channel");
    if (!emu_wk_is_member(c, user))
        return err("user_not_in_channel");
    const char *text = emu_arg_str(a, "text");
    cJSON *blocks, *attachments, *e;
    if ((e = parse_blocks(a, &blocks)))
        return e;
    if ((e = parse_attachments(a, &attachments))) {
        cJSON_Delete(blocks);
        return e;
    }
    if ((!text || !text[0]) && !blocks && !attachments)
        return err("no_text");
    if (text && strlen(text) > EMU_MAX_TEXT) {
        cJSON_Delete(blocks);
        cJSON_Delete(attachments);
        return err("msg_too_long");
    }
    cJSON *m = bot_message(emu, text, blocks, attachments);
    const char *thread = emu_arg_str(a, "thread_ts");
    if (thread && thread[0])
        cJSON_AddStringToObject(m, "thread_ts", thread);
    char ts[EMU_TS_LEN];
    emu_wk_ephemeral_add(emu, c->id, user, m, ts);
    cJSON *o = ok_obj();
    cJSON_AddStringToObject(o, "message_ts", ts);
    return o;
}

static cJSON *m_chat_permalink(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    NEED_CHAN(c, "channel");
    const char *ts = emu_arg_str(a, "message_ts");
    if (!ts || !ts[0])
        return err_missing("message_ts");
    struct emu_msg *m = emu_wk_msg(c, ts);
    if (!m)
        return err("message_not_found");
    char digits[EMU_TS_LEN];
    size_t o = 0;
    for (const char *p = m->ts; *p && o + 1 < sizeof digits; p++)
        if (*p != '.')
            digits[o++] = *p;
    digits[o] = '\0';
    char *link =
        xasprintf("https://%s.slack.com/archives/%s/p%s", emu_wk_team_domain(emu), c->id, digits);
    cJSON *r = ok_obj();
    cJSON_AddStringToObject(r, "channel", c->id);
    cJSON_AddStringToObject(r, "permalink", link);
    free(link);
    return r;
}

/* ---------- users, usergroups ---------- */

static cJSON *m_users_info(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    const char *id = emu_arg_str(a, "user");
    if (!id || !id[0])
        return err_missing("user");
    const cJSON *u = emu_wk_user(emu, id);
    if (!u)
        return err("user_not_found");
    cJSON *o = ok_obj();
    cJSON_AddItemToObject(o, "user", emu_wk_user_render(u, true));
    return o;
}

static cJSON *m_users_lookup(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    const char *email = emu_arg_str(a, "email");
    if (!email || !email[0])
        return err_missing("email");
    const cJSON *u = emu_wk_user_by_email(emu, email);
    if (!u)
        return err("users_not_found");
    cJSON *o = ok_obj();
    cJSON_AddItemToObject(o, "user", emu_wk_user_render(u, false));
    return o;
}

static cJSON *m_users_list(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    long limit = emu_arg_long(a, "limit", 0, 0, MAX_PAGE);
    if (limit == 0)
        limit = MAX_PAGE;
    long off = cursor_parse(emu_arg_str(a, "cursor"));
    if (off < 0)
        return err("invalid_cursor");
    cJSON *o = ok_obj();
    cJSON *arr = cJSON_AddArrayToObject(o, "members");
    const cJSON *users = emu_wk_users_array(emu);
    long n = cJSON_GetArraySize(users), i = off;
    for (; i < n && i < off + limit; i++)
        cJSON_AddItemToArray(arr, emu_wk_user_render(cJSON_GetArrayItem(users, (int)i), true));
    cJSON_AddNumberToObject(o, "cache_ts", (double)(emu_wall_us() / 1000000));
    add_next_cursor(o, i < n ? i : 0);
    return o;
}

static cJSON *m_usergroups_list(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    bool with_users = emu_arg_bool(a, "include_users", false);
    cJSON *o = ok_obj();
    cJSON *arr = cJSON_AddArrayToObject(o, "usergroups");
    const cJSON *g;
    cJSON_ArrayForEach(g, emu_wk_usergroups(emu))
    {
        cJSON *d = cJSON_Duplicate(g, 1);
        if (!with_users)
            cJSON_DeleteItemFromObjectCaseSensitive(d, "users");
        cJSON_AddItemToArray(arr, d);
    }
    return o;
}

static cJSON *m_usergroups_users_list(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    const char *id = emu_arg_str(a, "usergroup");
    if (!id || !id[0])
        return err_missing("usergroup");
    const cJSON *g = emu_wk_usergroup(emu, id);
    if (!g)
        return err("no_such_subteam");
    cJSON *o = ok_obj();
    cJSON_AddItemToObject(o, "users",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(g, "users"), 1));
    return o;
}

/* ---------- bookmarks, pins, reactions ---------- */

static cJSON *m_bookmarks_add(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    const char *title = emu_arg_str(a, "title"), *type = emu_arg_str(a, "type");
    const char *chan = emu_arg_str(a, "channel_id");
    if (!title || !title[0])
        return err_missing("title");
    if (!type || !type[0])
        return err_missing("type");
    if (!chan || !chan[0])
        return err("channel_not_found");
    struct emu_chan *c = visible_chan(emu, chan);
    if (!c)
        return err("channel_not_found");
    if (strcmp(type, "link") != 0)
        return err("invalid_bookmark_type");
    const char *link = emu_arg_str(a, "link");
    if (!link || (strncmp(link, "http://", 7) != 0 && strncmp(link, "https://", 8) != 0) ||
        strlen(link) > 2048)
        return err("invalid_link");
    if (strlen(title) > 256)
        return err("invalid_arguments");
    if (cJSON_GetArraySize(c->bookmarks) >= 100)
        return err("too_many_bookmarks");
    const char *emoji = emu_arg_str(a, "emoji");
    if (emoji && emoji[0] && (emoji[0] != ':' || emoji[strlen(emoji) - 1] != ':'))
        return err("invalid_emoji");
    char id[EMU_ID_LEN];
    emu_wk_new_bookmark_id(emu, id);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "id", id);
    cJSON_AddStringToObject(b, "channel_id", c->id);
    cJSON_AddStringToObject(b, "title", title);
    cJSON_AddStringToObject(b, "link", link);
    cJSON_AddStringToObject(b, "emoji", emoji ? emoji : "");
    /* The favicon of the link's host, as Slack shows it. */
    const char *host = strstr(link, "://") + 3;
    size_t hl = strcspn(host, "/?#");
    char *icon = xasprintf("%.*s://%.*s/favicon.ico", (int)(host - 3 - link), link, (int)hl, host);
    cJSON_AddStringToObject(b, "icon_url", icon);
    free(icon);
    cJSON_AddStringToObject(b, "type", "link");
    const char *entity = emu_arg_str(a, "entity_id");
    if (entity && entity[0])
        cJSON_AddStringToObject(b, "entity_id", entity);
    else
        cJSON_AddNullToObject(b, "entity_id");
    cJSON_AddNumberToObject(b, "date_created", (double)(emu_wall_us() / 1000000));
    cJSON_AddNumberToObject(b, "date_updated", 0);
    char rank[2] = {(char)('g' + cJSON_GetArraySize(c->bookmarks) % 20), 0};
    cJSON_AddStringToObject(b, "rank", rank);
    cJSON_AddStringToObject(b, "last_updated_by_user_id", emu_wk_bot_user(emu));
    cJSON_AddStringToObject(b, "last_updated_by_team_id", emu_wk_team_id(emu));
    cJSON_AddNullToObject(b, "shortcut_id");
    cJSON_AddNullToObject(b, "app_id");
    cJSON_AddItemToArray(c->bookmarks, cJSON_Duplicate(b, 1));
    cJSON *o = ok_obj();
    cJSON_AddItemToObject(o, "bookmark", b);
    return o;
}

static cJSON *m_pins_add(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    NEED_CHAN(c, "channel");
    const char *ts = emu_arg_str(a, "timestamp");
    if (!ts || !ts[0])
        return err("no_item_specified");
    if (!emu_wk_is_member(c, emu_wk_bot_user(emu)))
        return err("not_in_channel");
    struct emu_msg *m = emu_wk_msg(c, ts);
    if (!m)
        return err("message_not_found");
    if (str_listed(c->pins, m->ts))
        return err("already_pinned");
    if (cJSON_GetArraySize(c->pins) >= 100)
        return err("too_many_pins");
    cJSON_AddItemToArray(c->pins, cJSON_CreateString(m->ts));
    cJSON *pt = cJSON_GetObjectItemCaseSensitive(m->obj, "pinned_to");
    if (!pt)
        pt = cJSON_AddArrayToObject(m->obj, "pinned_to");
    cJSON_AddItemToArray(pt, cJSON_CreateString(c->id));
    return ok_obj();
}

static cJSON *m_reactions_add(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    NEED_CHAN(c, "channel");
    const char *name = emu_arg_str(a, "name"), *ts = emu_arg_str(a, "timestamp");
    if (!name || !name[0])
        return err_missing("name");
    if (!ts || !ts[0])
        return err("no_item_specified");
    if (strchr(name, ':') || strchr(name, ' ') || strlen(name) > 100)
        return err("invalid_name");
    struct emu_msg *m = emu_wk_msg(c, ts);
    if (!m)
        return err("message_not_found");
    const char *bot = emu_wk_bot_user(emu);
    cJSON *rs = cJSON_GetObjectItemCaseSensitive(m->obj, "reactions");
    if (!rs)
        rs = cJSON_AddArrayToObject(m->obj, "reactions");
    cJSON *r, *found = NULL;
    cJSON_ArrayForEach(r, rs)
    {
        const char *n = emu_jstr(r, "name");
        if (n && strcmp(n, name) == 0)
            found = r;
    }
    if (!found) {
        found = cJSON_CreateObject();
        cJSON_AddStringToObject(found, "name", name);
        cJSON_AddArrayToObject(found, "users");
        cJSON_AddNumberToObject(found, "count", 0);
        cJSON_AddItemToArray(rs, found);
    }
    cJSON *users = cJSON_GetObjectItemCaseSensitive(found, "users");
    if (str_listed(users, bot))
        return err("already_reacted");
    cJSON_AddItemToArray(users, cJSON_CreateString(bot));
    cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(found, "count"),
                         cJSON_GetArraySize(users));
    return ok_obj();
}

/* ---------- views ---------- */

/* Parses and checks the "view" argument; on error returns the answer. */
static cJSON *parse_view(struct emu_args *a, cJSON **out, const char *want_type)
{
    bool bad;
    *out = emu_arg_json(a, "view", &bad);
    if (!*out && !bad)
        return err_missing("view");
    if (bad || !cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return err_msg("invalid_arguments", "[ERROR] failed to match all allowed schemas "
                                            "[json-pointer:/view]");
    }
    char *s = emu_jprint(*out);
    size_t len = strlen(s);
    free(s);
    if (len > EMU_MAX_VIEW_BYTES) {
        cJSON_Delete(*out);
        *out = NULL;
        return err("view_too_large");
    }
    char *msg = emu_blk_check_view(*out);
    if (!msg && want_type) {
        const char *t = emu_jstr(*out, "type");
        if (t && strcmp(t, want_type) != 0)
            msg = xasprintf("[ERROR] must be %s [json-pointer:/view/type]", want_type);
    }
    if (msg) {
        cJSON *e = err_msg("invalid_arguments", msg);
        free(msg);
        cJSON_Delete(*out);
        *out = NULL;
        return e;
    }
    return NULL;
}

static cJSON *check_external(struct emu *emu, const cJSON *view, const struct emu_view *self)
{
    const char *ext = emu_jstr(view, "external_id");
    struct emu_view *other = ext && ext[0] ? emu_wk_view_by_external(emu, ext) : NULL;
    if (other && other != self && other->state != EMU_VIEW_CLOSED)
        return err("duplicate_external_id");
    return NULL;
}

static cJSON *use_trigger(struct emu *emu, struct emu_args *a, char user[EMU_ID_LEN],
                          char root[EMU_ID_LEN])
{
    const char *trigger = emu_arg_str(a, "trigger_id");
    if (!trigger || !trigger[0])
        trigger = emu_arg_str(a, "interactivity_pointer");
    if (!trigger || !trigger[0])
        return err_missing("trigger_id");
    const char *e = emu_ix_trigger_use(emu, trigger, user, root);
    if (e && strcmp(e, "invalid_arguments") == 0)
        return err_msg("invalid_arguments", "invalid `trigger_id`");
    return e ? err(e) : NULL;
}

static cJSON *m_views_open(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    cJSON *view, *e;
    if ((e = parse_view(a, &view, "modal")))
        return e;
    if ((e = check_external(emu, view, NULL))) {
        cJSON_Delete(view);
        return e;
    }
    char user[EMU_ID_LEN], root[EMU_ID_LEN];
    if ((e = use_trigger(emu, a, user, root))) {
        cJSON_Delete(view);
        return e;
    }
    struct emu_view *v = emu_wk_view_new(emu, user, view, NULL, NULL);
    cJSON *o = ok_obj();
    cJSON_AddItemToObject(o, "view", emu_wk_view_render(emu, v, EMU_VIEW_API_OPEN));
    return o;
}

static cJSON *m_views_push(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    cJSON *view, *e;
    if ((e = parse_view(a, &view, "modal")))
        return e;
    if ((e = check_external(emu, view, NULL))) {
        cJSON_Delete(view);
        return e;
    }
    char user[EMU_ID_LEN], root[EMU_ID_LEN];
    if ((e = use_trigger(emu, a, user, root))) {
        cJSON_Delete(view);
        return e;
    }
    int depth = 0;
    struct emu_view *top = root[0] ? emu_wk_view_top(emu, root, &depth) : NULL;
    if (!top)
        top = emu_wk_view_user_top(emu, user);
    if (top && !root[0])
        emu_wk_view_top(emu, top->root_id, &depth);
    if (!top) {
        cJSON_Delete(view);
        return err("not_found");
    }
    if (depth >= EMU_VIEW_STACK_MAX) {
        cJSON_Delete(view);
        return err("push_limit_reached");
    }
    struct emu_view *v = emu_wk_view_new(emu, user, view, top->root_id, top->id);
    cJSON *o = ok_obj();
    cJSON_AddItemToObject(o, "view", emu_wk_view_render(emu, v, EMU_VIEW_API_OPEN));
    return o;
}

static cJSON *m_views_update(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    const char *vid = emu_arg_str(a, "view_id"), *ext = emu_arg_str(a, "external_id");
    if ((!vid || !vid[0]) && (!ext || !ext[0]))
        return err_missing("view_id");
    cJSON *view, *e;
    if ((e = parse_view(a, &view, NULL)))
        return e;
    struct emu_view *v = vid && vid[0] ? emu_wk_view(emu, vid) : emu_wk_view_by_external(emu, ext);
    if (!v) {
        cJSON_Delete(view);
        return err("not_found");
    }
    const char *hash = emu_arg_str(a, "hash");
    if (hash && hash[0] && strcmp(hash, v->hash) != 0) {
        cJSON_Delete(view);
        return err("hash_conflict");
    }
    if ((e = check_external(emu, view, v))) {
        cJSON_Delete(view);
        return e;
    }
    emu_wk_view_replace(emu, v, view);
    cJSON *o = ok_obj();
    cJSON_AddItemToObject(o, "view", emu_wk_view_render(emu, v, EMU_VIEW_API_UPDATE));
    return o;
}

static cJSON *m_views_publish(struct emu *emu, struct emu_args *a, struct call *call)
{
    (void)call;
    const char *user = emu_arg_str(a, "user_id");
    if (!user || !user[0])
        return err_missing("user_id");
    if (!emu_wk_user(emu, user))
        return err("user_not_found");
    cJSON *view, *e;
    if ((e = parse_view(a, &view, "home")))
        return e;
    struct emu_view *v = emu_wk_view_user_home(emu, user);
    const char *hash = emu_arg_str(a, "hash");
    if (v && hash && hash[0] && strcmp(hash, v->hash) != 0) {
        cJSON_Delete(view);
        return err("hash_conflict");
    }
    if (v) {
        emu_wk_view_replace(emu, v, view);
    } else {
        v = emu_wk_view_new(emu, user, view, NULL, NULL);
        v->state = EMU_VIEW_PUBLISHED;
    }
    cJSON *o = ok_obj();
    cJSON_AddItemToObject(o, "view", emu_wk_view_render(emu, v, EMU_VIEW_API_OPEN));
    return o;
}

/* ---------- the table ---------- */

#define T1 1
#define T2 20
#define T3 50
#define T4 100
#define TS 600 /* "special": hundreds per minute */

static const struct method methods[] = {
    {"api.test", 0, TOK_NONE, m_api_test},
    {"apps.connections.open", T3, TOK_APP, m_apps_connections_open},
    {"auth.test", TS, TOK_BOT, m_auth_test},
    {"bookmarks.add", T2, TOK_BOT, m_bookmarks_add},
    {"chat.delete", T3, TOK_BOT, m_chat_delete},
    {"chat.getPermalink", TS, TOK_BOT, m_chat_permalink},
    {"chat.postEphemeral", T4, TOK_BOT, m_chat_ephemeral},
    {"chat.postMessage", TS, TOK_BOT, m_chat_post},
    {"chat.update", T3, TOK_BOT, m_chat_update},
    {"conversations.archive", T2, TOK_BOT, m_conv_archive},
    {"conversations.create", T2, TOK_BOT, m_conv_create},
    {"conversations.history", T3, TOK_BOT, m_conv_history},
    {"conversations.replies", T3, TOK_BOT, m_conv_replies},
    {"conversations.info", T3, TOK_BOT, m_conv_info},
    {"conversations.invite", T3, TOK_BOT, m_conv_invite},
    {"conversations.join", T3, TOK_BOT, m_conv_join},
    {"conversations.list", T2, TOK_BOT, m_conv_list},
    {"conversations.members", T4, TOK_BOT, m_conv_members},
    {"conversations.rename", T2, TOK_BOT, m_conv_rename},
    {"conversations.setPurpose", T2, TOK_BOT, m_conv_set_purpose},
    {"conversations.setTopic", T2, TOK_BOT, m_conv_set_topic},
    {"pins.add", T2, TOK_BOT, m_pins_add},
    {"reactions.add", T3, TOK_BOT, m_reactions_add},
    {"team.info", T3, TOK_BOT, m_team_info},
    {"usergroups.list", T2, TOK_BOT, m_usergroups_list},
    {"usergroups.users.list", T2, TOK_BOT, m_usergroups_users_list},
    {"users.conversations", T3, TOK_BOT, m_users_conversations},
    {"users.info", T4, TOK_BOT, m_users_info},
    {"users.list", T2, TOK_BOT, m_users_list},
    {"users.lookupByEmail", T3, TOK_BOT, m_users_lookup},
    {"views.open", T4, TOK_BOT, m_views_open},
    {"views.publish", T4, TOK_BOT, m_views_publish},
    {"views.push", T4, TOK_BOT, m_views_push},
    {"views.update", T4, TOK_BOT, m_views_update},
};

static const struct method *find_method(const char *name)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(methods[i].name, name) == 0)
            return &methods[i];
    return NULL;
}

bool emu_api_known(const char *method)
{
    return find_method(method) != NULL;
}

static bool well_formed(const char *t, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(t, prefix, n) != 0 || !t[n])
        return false;
    for (const char *p = t + n; *p; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-'))
            return false;
    }
    return true;
}

/* NULL when the token may call a method needing `tok`, else Slack's error code. */
static const char *check_token(struct emu *emu, const char *token, enum tok tok)
{
    if (tok == TOK_NONE)
        return NULL;
    if (!token[0])
        return "not_authed";
    bool is_bot = well_formed(token, "xoxb-"), is_app = well_formed(token, "xapp-");
    if (!is_bot && !is_app)
        return "invalid_auth";
    bool pinned;
    if (!emu_wk_token_ok(emu, is_bot ? "bot" : "app", token, &pinned))
        return "invalid_auth";
    if ((tok == TOK_BOT && !is_bot) || (tok == TOK_APP && !is_app))
        return "not_allowed_token_type";
    return NULL;
}

static void answer_429(struct emu_resp *resp, int retry_after)
{
    resp->status = 429;
    resp->retry_after = retry_after;
    emu_resp_json(resp, err("ratelimited"));
}

void emu_api_handle(struct emu *emu, const char *name, struct emu_req *req, struct emu_resp *resp)
{
    const struct method *m = find_method(name);
    if (!m) {
        cJSON *o = err("unknown_method");
        cJSON_AddStringToObject(o, "req_method", name);
        emu_resp_json(resp, o);
        return;
    }
    emu_wk_count_call(emu, m->name);

    struct emu_fault_hit hit;
    emu_fault_take(emu, m->name, &hit);
    resp->delay_us = hit.latency_us;
    switch (hit.mode) {
    case EMU_FAULT_NONE:
        break;
    case EMU_FAULT_ERROR:
        emu_resp_json(resp, err(hit.error));
        return;
    case EMU_FAULT_429:
        answer_429(resp, hit.retry_after);
        return;
    case EMU_FAULT_500:
        resp->status = 500;
        free(resp->body);
        resp->body = xstrdup("<html><body><h1>500 Internal Server Error</h1></body></html>\n");
        resp->body_len = strlen(resp->body);
        resp->content_type = "text/html";
        snprintf(resp->note, sizeof resp->note, "fault 500");
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
        snprintf(resp->note, sizeof resp->note, "fault hold");
        break;
    }

    struct emu_args args;
    const char *e = emu_req_parse_args(req, &args);
    if (e) {
        emu_args_free(&args);
        emu_resp_json(resp, err(e));
        return;
    }
    e = check_token(emu, args.token, m->tok);
    if (e) {
        emu_args_free(&args);
        emu_resp_json(resp, err(e));
        return;
    }
    int wait = emu_rate_take(emu, m->name, m->per_min, m->per_min);
    if (wait) {
        emu_args_free(&args);
        answer_429(resp, wait);
        return;
    }
    struct call call = {.method = m->name};
    cJSON *o = m->fn(emu, &args, &call);
    emu_args_free(&args);
    if (call.retry_after) {
        cJSON_Delete(o);
        answer_429(resp, call.retry_after);
        return;
    }
    emu_resp_json(resp, o);
}
