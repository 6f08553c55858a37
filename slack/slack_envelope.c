/*
 * Decoding of Socket Mode frames and encoding of acks (see slack_envelope.h).
 * It owns the mapping from Slack's strings to enums and the rules for which
 * fields an envelope must have; it trusts nothing in the frame: every field
 * is type-checked before use and anything missing is NULL, never a crash.
 */
#include "slack_envelope.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "xmalloc.h"

static const struct {
    const char *name;
    enum slack_env_type type;
} env_types[] = {
    {"hello", SLACK_ENV_HELLO},
    {"disconnect", SLACK_ENV_DISCONNECT},
    {"events_api", SLACK_ENV_EVENTS_API},
    {"interactive", SLACK_ENV_INTERACTIVE},
    {"slash_commands", SLACK_ENV_SLASH_COMMANDS},
};

static const struct {
    const char *name;
    enum slack_disconnect_reason reason;
} disc_reasons[] = {
    {"warning", SLACK_DISC_WARNING},
    {"refresh_requested", SLACK_DISC_REFRESH_REQUESTED},
    {"link_disabled", SLACK_DISC_LINK_DISABLED},
    {"too_many_websockets", SLACK_DISC_TOO_MANY_WEBSOCKETS},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *slack_env_type_name(enum slack_env_type t)
{
    for (size_t i = 0; i < NELEM(env_types); i++)
        if (env_types[i].type == t)
            return env_types[i].name;
    return "unknown";
}

const char *slack_disconnect_reason_name(enum slack_disconnect_reason r)
{
    if (r == SLACK_DISC_NONE)
        return "none";
    for (size_t i = 0; i < NELEM(disc_reasons); i++)
        if (disc_reasons[i].reason == r)
            return disc_reasons[i].name;
    return "other";
}

/* The string value of obj[key], or NULL when absent or not a string. */
static const char *get_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The integer value of obj[key] within [lo, hi], or def when absent, not a number or out of range.
 */
static long get_long(const cJSON *obj, const char *key, long lo, long hi, long def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        return def;
    double d = v->valuedouble;
    if (!(d >= (double)lo && d <= (double)hi) || d != (double)(long)d)
        return def;
    return (long)d;
}

bool slack_envelope_needs_ack(const struct slack_envelope *env)
{
    switch (env->type) {
    case SLACK_ENV_EVENTS_API:
    case SLACK_ENV_INTERACTIVE:
    case SLACK_ENV_SLASH_COMMANDS:
        return env->envelope_id != NULL;
    case SLACK_ENV_UNKNOWN:
    case SLACK_ENV_HELLO:
    case SLACK_ENV_DISCONNECT:
        break;
    }
    return false;
}

void slack_envelope_free(struct slack_envelope *env)
{
    if (env == NULL)
        return;
    cJSON_Delete(env->root);
    memset(env, 0, sizeof(*env));
}

enum bot_rc slack_envelope_parse(const char *text, size_t len, struct slack_envelope *env,
                                 struct bot_err *err)
{
    memset(env, 0, sizeof(*env));
    env->retry_attempt = -1;
    env->num_connections = -1;
    env->approximate_connection_time = -1;
    if (text == NULL)
        return bot_err_set(err, BOT_EINVAL, "slack_envelope_parse: no frame");

    /*
     * cJSON decodes "\u0000" into a 0 byte, which would end the C string and
     * drop the rest of a command silently: such frames are parsed with the
     * escape turned into UTF8_NUL_MARK, which the plan refuses as a NUL.
     */
    size_t mlen = len;
    char *marked = utf8_json_mark_nul(text, len, &mlen);
    const char *json = marked ? marked : text, *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, mlen, &end, 0);
    if (root == NULL) {
        free(marked);
        return bot_err_set(err, BOT_EPROTO, "frame is not JSON (%zu bytes)", len);
    }
    while (end < json + mlen && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    bool trailing = end != json + mlen;
    free(marked);
    if (trailing) {
        cJSON_Delete(root);
        return bot_err_set(err, BOT_EPROTO, "frame has bytes after its JSON value (%zu bytes)",
                           len);
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return bot_err_set(err, BOT_EPROTO, "frame is JSON but not an object (%zu bytes)", len);
    }
    const char *type = get_str(root, "type");
    if (type == NULL) {
        cJSON_Delete(root);
        return bot_err_set(err, BOT_EPROTO, "frame has no string \"type\"");
    }
    env->root = root;
    env->raw = text;
    env->raw_len = len;
    env->type_name = type;
    for (size_t i = 0; i < NELEM(env_types); i++)
        if (strcmp(type, env_types[i].name) == 0)
            env->type = env_types[i].type;

    env->envelope_id = get_str(root, "envelope_id");
    if (env->envelope_id != NULL && env->envelope_id[0] == '\0')
        env->envelope_id = NULL;
    const cJSON *arp = cJSON_GetObjectItemCaseSensitive(root, "accepts_response_payload");
    env->accepts_response_payload = cJSON_IsTrue(arp);
    env->num_connections = (int)get_long(root, "num_connections", 0, INT_MAX, -1);

    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(root, "payload");
    env->payload = payload;
    if (cJSON_IsObject(payload))
        env->payload_type = get_str(payload, "type");

    switch (env->type) {
    case SLACK_ENV_HELLO: {
        const cJSON *dbg = cJSON_GetObjectItemCaseSensitive(root, "debug_info");
        if (cJSON_IsObject(dbg))
            env->approximate_connection_time =
                get_long(dbg, "approximate_connection_time", 0, LONG_MAX / 2, -1);
        break;
    }
    case SLACK_ENV_DISCONNECT:
        env->reason_name = get_str(root, "reason");
        env->reason = SLACK_DISC_OTHER;
        for (size_t i = 0; env->reason_name && i < NELEM(disc_reasons); i++)
            if (strcmp(env->reason_name, disc_reasons[i].name) == 0)
                env->reason = disc_reasons[i].reason;
        break;
    case SLACK_ENV_EVENTS_API:
        env->retry_attempt = (int)get_long(root, "retry_attempt", 0, INT_MAX, -1);
        env->retry_reason = get_str(root, "retry_reason");
        if (cJSON_IsObject(payload)) {
            env->event_id = get_str(payload, "event_id");
            const cJSON *ev = cJSON_GetObjectItemCaseSensitive(payload, "event");
            if (cJSON_IsObject(ev))
                env->event_type = get_str(ev, "type");
        }
        break;
    case SLACK_ENV_INTERACTIVE:
    case SLACK_ENV_SLASH_COMMANDS:
    case SLACK_ENV_UNKNOWN:
        break;
    }
    bool is_envelope = env->type == SLACK_ENV_EVENTS_API || env->type == SLACK_ENV_INTERACTIVE ||
                       env->type == SLACK_ENV_SLASH_COMMANDS;
    if (is_envelope && env->envelope_id == NULL) {
        enum bot_rc rc = bot_err_set(err, BOT_EPROTO, "%s envelope without \"envelope_id\"",
                                     slack_env_type_name(env->type));
        slack_envelope_free(env);
        return rc;
    }
    return BOT_OK;
}

enum bot_rc slack_envelope_ack(struct buf *out, const char *envelope_id, const cJSON *payload,
                               struct bot_err *err)
{
    if (envelope_id == NULL || envelope_id[0] == '\0')
        return bot_err_set(err, BOT_EINVAL, "ack without an envelope id");
    if (payload != NULL && !cJSON_IsObject(payload))
        return bot_err_set(err, BOT_EINVAL, "ack payload for %s is not a JSON object", envelope_id);
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "envelope_id", envelope_id);
    if (payload != NULL)
        /* A reference: the caller's payload is printed, not copied or freed. */
        cJSON_AddItemToObject(obj, "payload", cJSON_CreateObjectReference(payload->child));
    char *text = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    size_t n = strlen(text);
    enum bot_rc rc = BOT_OK;
    if (n > SLACK_ACK_MAX)
        rc = bot_err_set(err, BOT_ETOOBIG, "ack for %s is %zu bytes, over SLACK_ACK_MAX (%d)",
                         envelope_id, n, SLACK_ACK_MAX);
    else if ((rc = buf_add(out, text, n)) != BOT_OK)
        bot_err_set(err, rc, "ack for %s does not fit its buffer (%zu bytes)", envelope_id, n);
    free(text);
    return rc;
}
