/*
 * The Web API client (see slack_api.h): request encoding (JSON or form),
 * the retry loop (limiter, 429 + Retry-After, 5xx and network errors with
 * backoff, attempt and deadline bounds), and decoding of Slack's answer
 * into struct slack_api_result. It owns one CURL easy handle per client and
 * the header lists that carry the token; nothing here writes the token
 * anywhere but into those headers.
 */
#include "slack_api.h"

#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "retry_after.h"
#include "slack_backoff.h"
#include "xmalloc.h"

#define NELEM(a)       (sizeof(a) / sizeof((a)[0]))
#define MAX_METHOD     100 /* longest method name accepted */
#define SLEEP_SLICE_MS 50  /* the default sleep looks at the abort flag this often */

struct slack_api {
    CURL *curl;
    char *base_url;
    struct curl_slist *hdr_json; /* Authorization + JSON content type; holds the token */
    struct curl_slist *hdr_form; /* Authorization + form content type; holds the token */
    struct slack_api_opts o;     /* numbers with defaults applied; strings not used */
    struct slack_rl *rl;         /* NULL when opts.no_limiter */
    bool own_rl;
    struct slack_api_hooks hooks;
    bool have_hooks;
    const struct slack_api_local *local; /* console mode: answered in-process */
    uint64_t rng;
    atomic_int aborted;

    /* per attempt */
    struct buf req;  /* encoded request body */
    struct buf resp; /* response body */
    bool resp_overflow;
    int64_t retry_after_ms; /* from the Retry-After header; -1 when none */
    char errbuf[CURL_ERROR_SIZE];
};

/* ---- error classes ---------------------------------------------------- */

static const struct {
    const char *code;
    enum slack_api_errclass cls;
} error_classes[] = {
    {"access_denied", SLACK_ERRC_AUTH},
    {"account_inactive", SLACK_ERRC_AUTH},
    {"ekm_access_denied", SLACK_ERRC_AUTH},
    {"enterprise_is_restricted", SLACK_ERRC_AUTH},
    {"invalid_auth", SLACK_ERRC_AUTH},
    {"missing_scope", SLACK_ERRC_AUTH},
    {"no_permission", SLACK_ERRC_AUTH},
    {"not_allowed_token_type", SLACK_ERRC_AUTH},
    {"not_authed", SLACK_ERRC_AUTH},
    {"org_login_required", SLACK_ERRC_AUTH},
    {"team_access_not_granted", SLACK_ERRC_AUTH},
    {"token_expired", SLACK_ERRC_AUTH},
    {"token_revoked", SLACK_ERRC_AUTH},
    {"two_factor_setup_required", SLACK_ERRC_AUTH},
    {"rate_limited", SLACK_ERRC_RATELIMIT},
    {"ratelimited", SLACK_ERRC_RATELIMIT},
    {"fatal_error", SLACK_ERRC_TRANSIENT},
    {"internal_error", SLACK_ERRC_TRANSIENT},
    {"request_timeout", SLACK_ERRC_TRANSIENT},
    {"service_unavailable", SLACK_ERRC_TRANSIENT},
    {"already_in_channel", SLACK_ERRC_REQUEST},
    {"already_pinned", SLACK_ERRC_REQUEST},
    {"cant_invite", SLACK_ERRC_REQUEST},
    {"cant_invite_self", SLACK_ERRC_REQUEST},
    {"cant_update_message", SLACK_ERRC_REQUEST},
    {"channel_not_found", SLACK_ERRC_REQUEST},
    {"deprecated_endpoint", SLACK_ERRC_REQUEST},
    {"duplicate_channel_not_found", SLACK_ERRC_REQUEST},
    {"edit_window_closed", SLACK_ERRC_REQUEST},
    {"exchanged_trigger_id", SLACK_ERRC_REQUEST},
    {"expired_trigger_id", SLACK_ERRC_REQUEST},
    {"forbidden_team", SLACK_ERRC_REQUEST},
    {"hash_conflict", SLACK_ERRC_REQUEST},
    {"insecure_request", SLACK_ERRC_REQUEST},
    {"invalid_arg_name", SLACK_ERRC_REQUEST},
    {"invalid_arguments", SLACK_ERRC_REQUEST},
    {"invalid_array_arg", SLACK_ERRC_REQUEST},
    {"invalid_blocks", SLACK_ERRC_REQUEST},
    {"invalid_blocks_format", SLACK_ERRC_REQUEST},
    {"invalid_charset", SLACK_ERRC_REQUEST},
    {"invalid_cursor", SLACK_ERRC_REQUEST},
    {"invalid_form_data", SLACK_ERRC_REQUEST},
    {"invalid_json", SLACK_ERRC_REQUEST},
    {"invalid_name", SLACK_ERRC_REQUEST},
    {"invalid_name_maxlength", SLACK_ERRC_REQUEST},
    {"invalid_name_punctuation", SLACK_ERRC_REQUEST},
    {"invalid_name_required", SLACK_ERRC_REQUEST},
    {"invalid_name_specials", SLACK_ERRC_REQUEST},
    {"invalid_post_type", SLACK_ERRC_REQUEST},
    {"invalid_trigger_id", SLACK_ERRC_REQUEST},
    {"invalid_users", SLACK_ERRC_REQUEST},
    {"is_archived", SLACK_ERRC_REQUEST},
    {"json_not_object", SLACK_ERRC_REQUEST},
    {"message_not_found", SLACK_ERRC_REQUEST},
    {"method_deprecated", SLACK_ERRC_REQUEST},
    {"missing_args", SLACK_ERRC_REQUEST},
    {"missing_post_type", SLACK_ERRC_REQUEST},
    {"msg_too_long", SLACK_ERRC_REQUEST},
    {"name_taken", SLACK_ERRC_REQUEST},
    {"no_channel", SLACK_ERRC_REQUEST},
    {"no_text", SLACK_ERRC_REQUEST},
    {"not_found", SLACK_ERRC_REQUEST},
    {"not_in_channel", SLACK_ERRC_REQUEST},
    {"push_limit_reached", SLACK_ERRC_REQUEST},
    {"restricted_action", SLACK_ERRC_REQUEST},
    {"too_long", SLACK_ERRC_REQUEST},
    {"too_many_attachments", SLACK_ERRC_REQUEST},
    {"too_many_users", SLACK_ERRC_REQUEST},
    {"unknown_method", SLACK_ERRC_REQUEST},
    {"user_is_restricted", SLACK_ERRC_REQUEST},
    {"user_not_found", SLACK_ERRC_REQUEST},
    {"user_not_in_channel", SLACK_ERRC_REQUEST},
    {"users_not_found", SLACK_ERRC_REQUEST},
    {"view_too_large", SLACK_ERRC_REQUEST},
};

enum slack_api_errclass slack_api_error_class(const char *code)
{
    if (code == NULL || code[0] == '\0')
        return SLACK_ERRC_NONE;
    for (size_t i = 0; i < NELEM(error_classes); i++)
        if (strcmp(code, error_classes[i].code) == 0)
            return error_classes[i].cls;
    return SLACK_ERRC_UNKNOWN;
}

/* Methods whose docs say json_input_supported (shared/notes/slack-protocol.md). */
static const char *const json_methods[] = {
    "apps.connections.open",
    "auth.test",
    "bookmarks.add",
    "chat.delete",
    "chat.postEphemeral",
    "chat.postMessage",
    "chat.update",
    "conversations.archive",
    "conversations.create",
    "conversations.invite",
    "conversations.join",
    "conversations.rename",
    "conversations.setPurpose",
    "conversations.setTopic",
    "pins.add",
    "reactions.add",
    "views.open",
    "views.publish",
    "views.push",
    "views.update",
};

bool slack_api_method_accepts_json(const char *method)
{
    for (size_t i = 0; method && i < NELEM(json_methods); i++)
        if (strcmp(method, json_methods[i]) == 0)
            return true;
    return false;
}

/* ---- global ------------------------------------------------------------ */

enum bot_rc slack_api_global_init(struct bot_err *err)
{
    CURLcode cc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (cc != CURLE_OK)
        return bot_err_set(err, BOT_ENET, "curl_global_init: %s", curl_easy_strerror(cc));
    return BOT_OK;
}

void slack_api_global_cleanup(void)
{
    curl_global_cleanup();
}

/* ---- results ----------------------------------------------------------- */

void slack_api_result_free(struct slack_api_result *res)
{
    if (res == NULL)
        return;
    cJSON_Delete(res->body);
    free(res->next_cursor);
    memset(res, 0, sizeof(*res));
}

cJSON *slack_api_result_take_body(struct slack_api_result *res)
{
    cJSON *b = res->body;
    res->body = NULL;
    res->messages = NULL;
    res->warnings = NULL;
    return b;
}

/* ---- time -------------------------------------------------------------- */

static int64_t now_ms(struct slack_api *c)
{
    if (c->have_hooks && c->hooks.now_ms)
        return c->hooks.now_ms(c->hooks.ud);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(struct slack_api *c, int64_t ms)
{
    if (ms <= 0)
        return;
    if (c->have_hooks && c->hooks.sleep_ms) {
        c->hooks.sleep_ms(c->hooks.ud, ms);
        return;
    }
    while (ms > 0 && !atomic_load(&c->aborted)) {
        int64_t slice = ms < SLEEP_SLICE_MS ? ms : SLEEP_SLICE_MS;
        struct timespec ts = {.tv_sec = (time_t)(slice / 1000),
                              .tv_nsec = (long)(slice % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        ms -= slice;
    }
}

static uint64_t next_random(struct slack_api *c)
{
    if (c->have_hooks && c->hooks.random)
        return c->hooks.random(c->hooks.ud);
    return slack_rand_next(&c->rng);
}

/* ---- curl callbacks ------------------------------------------------------ */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct slack_api *c = ud;
    size_t len = size * n;
    if (buf_add(&c->resp, p, len) != BOT_OK) {
        c->resp_overflow = true;
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    }
    return len;
}

/* Retry-After as delta-seconds (Slack's form); an HTTP-date is ignored (backoff applies). */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct slack_api *c = ud;
    size_t len = size * n;
    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0)
        c->retry_after_ms = -1; /* a new response (after 100 Continue, say) */
    else
        (void)retry_after_header(p, len, &c->retry_after_ms);
    return len;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    struct slack_api *c = ud;
    return atomic_load(&c->aborted) ? 1 : 0;
}

/* ---- client ------------------------------------------------------------ */

static long def(long v, long d)
{
    return v > 0 ? v : d;
}

static bool token_ok(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n > SLACK_API_MAX_TOKEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isgraph((unsigned char)t[i]))
            return false; /* no spaces, CR or LF: they would split the header */
    return true;
}

static struct curl_slist *make_headers(const char *token, const char *content_type)
{
    struct curl_slist *l = NULL;
    char *auth = xasprintf("Authorization: Bearer %s", token);
    l = curl_slist_append(l, auth);
    free(auth);
    char *ct = xasprintf("Content-Type: %s", content_type);
    l = curl_slist_append(l, ct);
    free(ct);
    l = curl_slist_append(l, "Expect:"); /* no 100-continue round trip for large bodies */
    if (l == NULL)
        abort(); /* curl_slist_append fails only when out of memory */
    return l;
}

enum bot_rc slack_api_new(const struct slack_api_opts *opts, struct slack_api **out,
                          struct bot_err *err)
{
    *out = NULL;
    const char *base = opts->base_url ? opts->base_url : SLACK_API_DEFAULT_BASE_URL;
    size_t blen = strlen(base);
    if (!token_ok(opts->token))
        return bot_err_set(err, BOT_EINVAL,
                           "Slack token is missing, longer than %d bytes or has blanks",
                           SLACK_API_MAX_TOKEN);
    if ((strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0) || blen < 9 ||
        base[blen - 1] != '/' || blen + MAX_METHOD >= SLACK_API_MAX_URL)
        return bot_err_set(err, BOT_EINVAL,
                           "Slack API base URL \"%.200s\" must be http(s)://…/ and short", base);

    struct slack_api *c = xcalloc(1, sizeof(*c));
    c->o = *opts;
    c->o.base_url = NULL;
    c->o.token = NULL;
    c->o.user_agent = NULL;
    c->o.ca_file = NULL;
    c->o.hooks = NULL;
    c->o.local = NULL;
    c->local = opts->local;
    c->o.connect_timeout_ms = def(opts->connect_timeout_ms, 5000);
    c->o.timeout_ms = def(opts->timeout_ms, 15000);
    c->o.deadline_ms = def(opts->deadline_ms, 60000);
    c->o.max_attempts = opts->max_attempts ? opts->max_attempts : 4;
    if (c->o.max_attempts > SLACK_API_MAX_ATTEMPTS)
        c->o.max_attempts = SLACK_API_MAX_ATTEMPTS;
    c->o.backoff_base_ms = def(opts->backoff_base_ms, 500);
    c->o.backoff_cap_ms = def(opts->backoff_cap_ms, 8000);
    c->o.max_retry_after_ms = def(opts->max_retry_after_ms, 30000);
    c->o.max_limiter_wait_ms = def(opts->max_limiter_wait_ms, 10000);
    c->base_url = xstrdup(base);
    if (opts->hooks) {
        c->hooks = *opts->hooks;
        c->have_hooks = true;
    }
    c->rng = slack_rand_seed();
    atomic_init(&c->aborted, 0);
    if (!opts->no_limiter) {
        c->rl = opts->limiter;
        if (c->rl == NULL) {
            c->rl = slack_rl_new();
            c->own_rl = true;
        }
    }
    buf_init(&c->req, SLACK_API_MAX_REQUEST);
    buf_init(&c->resp, SLACK_API_MAX_RESPONSE);
    c->hdr_json = make_headers(opts->token, "application/json; charset=utf-8");
    c->hdr_form = make_headers(opts->token, "application/x-www-form-urlencoded");

    c->curl = curl_easy_init();
    if (c->curl == NULL) {
        slack_api_free(c);
        return bot_err_set(err, BOT_ENET, "curl_easy_init failed");
    }
    CURL *h = c->curl;
    CURLcode cc = CURLE_OK;
    /* Each setopt below can only fail on a bad argument or a curl built without the feature. */
    cc |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    cc |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    cc |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    cc |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    cc |= curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    cc |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    cc |= curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    cc |= curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    cc |= curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
    cc |= curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    cc |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    cc |= curl_easy_setopt(h, CURLOPT_USERAGENT, opts->user_agent ? opts->user_agent : "incidentd");
    if (opts->ca_file != NULL)
        cc |= curl_easy_setopt(h, CURLOPT_CAINFO, opts->ca_file); /* curl keeps a copy */
    cc |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->o.connect_timeout_ms);
    cc |= curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    cc |= curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    cc |= curl_easy_setopt(h, CURLOPT_POST, 1L);
    if (cc != CURLE_OK) {
        slack_api_free(c);
        return bot_err_set(err, BOT_ENET, "this libcurl lacks an option the Slack client needs");
    }
    *out = c;
    return BOT_OK;
}

void slack_api_free(struct slack_api *c)
{
    if (c == NULL)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->hdr_json);
    curl_slist_free_all(c->hdr_form);
    if (c->own_rl)
        slack_rl_free(c->rl);
    buf_free(&c->req);
    buf_free(&c->resp);
    free(c->base_url);
    free(c);
}

void slack_api_abort(struct slack_api *c)
{
    atomic_store(&c->aborted, 1);
}

/* ---- request encoding ---------------------------------------------------- */

static bool method_ok(const char *m)
{
    size_t n = m ? strlen(m) : 0;
    if (n == 0 || n > MAX_METHOD)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)m[i]) && m[i] != '.' && m[i] != '_')
            return false;
    return true;
}

static enum bot_rc urlencode(struct buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        enum bot_rc rc;
        if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            rc = buf_add(b, &s[i], 1);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            rc = buf_add(b, e, 3);
        }
        if (rc)
            return rc;
    }
    return BOT_OK;
}

/* Appends one form value: the text Slack expects for a JSON member. */
static enum bot_rc form_value(struct buf *b, const cJSON *v)
{
    char num[64];
    if (cJSON_IsString(v))
        return urlencode(b, v->valuestring, strlen(v->valuestring));
    if (cJSON_IsTrue(v))
        return buf_addstr(b, "true");
    if (cJSON_IsFalse(v))
        return buf_addstr(b, "false");
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        int n;
        if (d == (double)(long long)d && d > -9007199254740992.0 && d < 9007199254740992.0)
            n = snprintf(num, sizeof(num), "%lld", (long long)d);
        else
            n = snprintf(num, sizeof(num), "%.17g", d);
        if (n < 0 || (size_t)n >= sizeof(num))
            return BOT_EINVAL;
        return buf_add(b, num, (size_t)n);
    }
    /* objects and arrays (blocks, view, attachments) go as URL-encoded JSON text */
    char *json = cJSON_PrintUnformatted(v);
    enum bot_rc rc = urlencode(b, json, strlen(json));
    free(json);
    return rc;
}

enum bot_rc slack_api_encode_form(struct buf *b, const cJSON *args)
{
    const cJSON *m;
    bool first = true;
    cJSON_ArrayForEach(m, args)
    {
        if (cJSON_IsNull(m) || m->string == NULL)
            continue;
        enum bot_rc rc;
        if ((!first && (rc = buf_add(b, "&", 1))) ||
            (rc = urlencode(b, m->string, strlen(m->string))) || (rc = buf_add(b, "=", 1)) ||
            (rc = form_value(b, m)))
            return rc;
        first = false;
    }
    return BOT_OK;
}

static enum bot_rc encode_json(struct buf *b, const cJSON *args)
{
    if (args == NULL)
        return buf_addstr(b, "{}");
    char *json = cJSON_PrintUnformatted(args);
    enum bot_rc rc = buf_addstr(b, json);
    free(json);
    return rc;
}

/* ---- answer decoding ----------------------------------------------------- */

/* A short printable prefix of an unexpected answer, for error messages. */
static void snippet(const char *body, size_t len, char *out, size_t outlen)
{
    size_t j = 0;
    for (size_t i = 0; i < len && j + 1 < outlen && i < 48; i++) {
        unsigned char ch = (unsigned char)body[i];
        out[j++] = (isprint(ch) && ch != '"' && ch != '\\') ? (char)ch : '.';
    }
    out[j] = '\0';
}

/* Copies a Slack code; longer ones are cut at len - 1 bytes (see SLACK_API_MAX_CODE). */
static void copy_code(char *dst, size_t len, const cJSON *v)
{
    dst[0] = '\0';
    if (cJSON_IsString(v))
        snprintf(dst, len, "%s", v->valuestring);
}

enum bot_rc slack_api_result_parse(const char *method, long status, const char *body, size_t len,
                                   struct slack_api_result *res, struct bot_err *err)
{
    char snip[64];
    bool http_ok = status >= 200 && status < 300;
    cJSON_Delete(res->body);
    free(res->next_cursor);
    res->body = NULL;
    res->next_cursor = NULL;
    res->messages = res->warnings = NULL;
    res->ok = false;
    res->error[0] = res->warning[0] = '\0';
    res->http_status = status;
    if (len == 0 || body == NULL) {
        if (!http_ok)
            return bot_err_set(err, BOT_EREMOTE, "%s: HTTP %ld with an empty body", method, status);
        return bot_err_set(err, BOT_EPROTO, "%s: empty answer (HTTP %ld)", method, status);
    }
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (root == NULL || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        snippet(body, len, snip, sizeof(snip));
        return bot_err_set(err, http_ok ? BOT_EPROTO : BOT_EREMOTE,
                           "%s: answer is not a JSON object (HTTP %ld, %zu bytes, starts \"%s\")",
                           method, status, len, snip);
    }
    res->body = root;
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(root, "ok");
    copy_code(res->error, sizeof(res->error), cJSON_GetObjectItemCaseSensitive(root, "error"));
    copy_code(res->warning, sizeof(res->warning),
              cJSON_GetObjectItemCaseSensitive(root, "warning"));
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(root, "response_metadata");
    if (cJSON_IsObject(md)) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(md, "messages");
        res->messages = cJSON_IsArray(v) ? v : NULL;
        v = cJSON_GetObjectItemCaseSensitive(md, "warnings");
        res->warnings = cJSON_IsArray(v) ? v : NULL;
        v = cJSON_GetObjectItemCaseSensitive(md, "next_cursor");
        if (cJSON_IsString(v) && v->valuestring[0] != '\0')
            res->next_cursor = xstrdup(v->valuestring);
    }
    if (!cJSON_IsBool(ok)) {
        if (!http_ok)
            return bot_err_set(err, BOT_EREMOTE, "%s: HTTP %ld", method, status);
        return bot_err_set(err, BOT_EPROTO, "%s: answer has no boolean \"ok\" (HTTP %ld)", method,
                           status);
    }
    res->ok = cJSON_IsTrue(ok);
    if (res->ok)
        return BOT_OK;

    const char *detail = "";
    if (res->messages && cJSON_IsString(res->messages->child))
        detail = res->messages->child->valuestring;
    if (res->error[0] == '\0')
        return bot_err_set(err, BOT_EREMOTE, "%s: ok:false without an error code (HTTP %ld)",
                           method, status);
    if (slack_api_error_class(res->error) == SLACK_ERRC_UNKNOWN)
        return bot_err_set(err, BOT_EREMOTE, "%s: unknown Slack error \"%s\"%s%.200s", method,
                           res->error, detail[0] ? ": " : "", detail);
    return bot_err_set(err, BOT_EREMOTE, "%s: %s%s%.200s", method, res->error,
                       detail[0] ? ": " : "", detail);
}

/* ---- the call ------------------------------------------------------------ */

/* Network errors worth another attempt, and whether Slack may have seen the request. */
static bool curl_retryable(CURLcode cc, bool *maybe_sent)
{
    *maybe_sent = false;
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
        return true;
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        *maybe_sent = true;
        return true;
    default:
        return false;
    }
}

enum bot_rc slack_api_call(struct slack_api *c, const char *method, const cJSON *args,
                           struct slack_api_result *res, struct bot_err *err)
{
    return slack_api_call_ex(c, method, args, 0, res, err);
}

static enum bot_rc perform(struct slack_api *c, const char *method, const char *url,
                           const struct curl_slist *hdrs, const char *channel, bool limit,
                           unsigned flags, struct slack_api_result *res, struct bot_err *err);

/* The in-process answer (console mode), decoded as an HTTP one would be. */
static enum bot_rc perform_local(struct slack_api *c, const char *method, const char *url,
                                 const cJSON *args, struct slack_api_result *res,
                                 struct bot_err *err)
{
    char *body = NULL;
    if (atomic_load(&c->aborted))
        return bot_err_set(err, BOT_ENET, "%s: aborted", method ? method : "response_url");
    long status = c->local->call(c->local->ud, method, url, args, &body);
    res->attempts++;
    enum bot_rc rc = slack_api_result_parse(method ? method : "response_url", status, body,
                                            body ? strlen(body) : 0, res, err);
    free(body);
    return rc;
}

enum bot_rc slack_api_call_ex(struct slack_api *c, const char *method, const cJSON *args,
                              unsigned flags, struct slack_api_result *res, struct bot_err *err)
{
    char url[SLACK_API_MAX_URL];
    enum bot_rc rc = BOT_OK;

    slack_api_result_free(res);
    if (!method_ok(method))
        return bot_err_set(err, BOT_EINVAL, "bad Slack method name");
    if (args != NULL && !cJSON_IsObject(args))
        return bot_err_set(err, BOT_EINVAL, "%s: arguments are not a JSON object", method);
    if (c->local != NULL)
        return perform_local(c, method, NULL, args, res, err);
    int n = snprintf(url, sizeof(url), "%s%s", c->base_url, method);
    if (n < 0 || (size_t)n >= sizeof(url))
        return bot_err_set(err, BOT_EINVAL, "%s: URL too long", method);

    bool json = slack_api_method_accepts_json(method);
    buf_reset(&c->req);
    rc = json ? encode_json(&c->req, args) : slack_api_encode_form(&c->req, args);
    if (rc)
        return bot_err_set(err, rc, "%s: cannot encode the arguments (%s, max %d bytes)", method,
                           bot_strerror(rc), SLACK_API_MAX_REQUEST);
    const cJSON *ch = args ? cJSON_GetObjectItemCaseSensitive(args, "channel") : NULL;
    const char *channel = cJSON_IsString(ch) ? ch->valuestring : NULL;
    return perform(c, method, url, json ? c->hdr_json : c->hdr_form, channel, true, flags, res,
                   err);
}

enum bot_rc slack_api_post_url(struct slack_api *c, const char *url, const cJSON *msg,
                               struct slack_api_result *res, struct bot_err *err)
{
    static const char label[] = "response_url";
    slack_api_result_free(res);
    if (c->local != NULL) {
        if (!cJSON_IsObject(msg))
            return bot_err_set(err, BOT_EINVAL, "%s: the message is not a JSON object", label);
        return perform_local(c, NULL, url, msg, res, err);
    }
    bool https = strncmp(url, "https://", 8) == 0;
    bool http_ok = strncmp(c->base_url, "http://", 7) == 0 && strncmp(url, "http://", 7) == 0;
    if (!https && !http_ok)
        return bot_err_set(err, BOT_EINVAL, "%s: not an https:// URL", label);
    if (strlen(url) >= SLACK_API_MAX_URL)
        return bot_err_set(err, BOT_EINVAL, "%s: URL too long", label);
    if (!cJSON_IsObject(msg))
        return bot_err_set(err, BOT_EINVAL, "%s: the message is not a JSON object", label);
    buf_reset(&c->req);
    enum bot_rc rc = encode_json(&c->req, msg);
    if (rc)
        return bot_err_set(err, rc, "%s: cannot encode the message (%s)", label, bot_strerror(rc));
    /* No Authorization header: the URL itself is the credential, and it came from a payload. */
    struct curl_slist *hdrs =
        curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
    if (hdrs == NULL || (hdrs = curl_slist_append(hdrs, "Expect:")) == NULL)
        abort(); /* curl_slist_append fails only when out of memory */
    rc = perform(c, label, url, hdrs, NULL, false, 0, res, err);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    /* A response_url may answer 2xx with a plain "ok" instead of Slack's JSON. */
    if (rc == BOT_EPROTO && res->http_status >= 200 && res->http_status <= 299) {
        res->ok = true;
        rc = BOT_OK;
    }
    return rc;
}

static enum bot_rc perform(struct slack_api *c, const char *method, const char *url,
                           const struct curl_slist *hdrs, const char *channel, bool limit,
                           unsigned flags, struct slack_api_result *res, struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    struct bot_err last = {{0}}; /* why the latest attempt failed */
    CURL *h = c->curl;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, buf_str(&c->req));
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->req.len);

    int64_t start = now_ms(c);
    int64_t deadline = start + c->o.deadline_ms;
    for (unsigned attempt = 0;; attempt++) {
        int64_t delay = 0;
        if (atomic_load(&c->aborted))
            return bot_err_set(err, BOT_ENET, "%s: aborted", method);

        if (c->rl && limit) {
            int64_t wait = 0, now = now_ms(c);
            int64_t max_wait = c->o.max_limiter_wait_ms;
            if (max_wait > deadline - now)
                max_wait = deadline - now;
            if (slack_rl_acquire(c->rl, method, channel, now, max_wait, &wait) != BOT_OK) {
                res->retry_after_ms = wait;
                return bot_err_set(err, BOT_ERATELIMIT,
                                   "%s: client-side rate limit: next slot in %lld ms", method,
                                   (long long)wait);
            }
            sleep_ms(c, wait);
            res->waited_ms += wait;
        }

        int64_t left = deadline - now_ms(c);
        long tmo = c->o.timeout_ms < left ? c->o.timeout_ms : (long)(left > 1 ? left : 1);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, tmo);
        buf_reset(&c->resp);
        c->resp_overflow = false;
        c->retry_after_ms = -1;
        c->errbuf[0] = '\0';
        CURLcode cc = curl_easy_perform(h);
        res->attempts++;
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        res->http_status = cc == CURLE_OK ? status : 0;

        if (cc != CURLE_OK) {
            bool maybe_sent;
            const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc);
            if (c->resp_overflow)
                return bot_err_set(err, BOT_ETOOBIG, "%s: answer over %d bytes", method,
                                   SLACK_API_MAX_RESPONSE);
            if (atomic_load(&c->aborted))
                return bot_err_set(err, BOT_ENET, "%s: aborted", method);
            if (!curl_retryable(cc, &maybe_sent))
                return bot_err_set(err, BOT_ENET, "%s: %s", method, why);
            if (maybe_sent) {
                res->ambiguous = true;
                if (flags & SLACK_API_NO_AMBIGUOUS_RETRY)
                    return bot_err_set(err, BOT_ENET, "%s: %s (not retried: it may have run)",
                                       method, why);
            }
            rc = bot_err_set(&last, BOT_ENET, "%s", why);
            delay = slack_backoff_ms(attempt, c->o.backoff_base_ms, c->o.backoff_cap_ms,
                                     next_random(c));
        } else if (status == 429) {
            res->retry_after_ms = c->retry_after_ms >= 0 ? c->retry_after_ms : 0;
            if (c->retry_after_ms > c->o.max_retry_after_ms)
                return bot_err_set(err, BOT_ERATELIMIT, "%s: rate limited, Retry-After %lld s",
                                   method, (long long)(c->retry_after_ms / 1000));
            delay = c->retry_after_ms >= 0 ? c->retry_after_ms
                                           : slack_backoff_ms(attempt, c->o.backoff_base_ms,
                                                              c->o.backoff_cap_ms, next_random(c));
            if (c->rl && limit)
                slack_rl_penalize(c->rl, method, channel, now_ms(c), delay);
            rc = bot_err_set(&last, BOT_ERATELIMIT, "rate limited (HTTP 429)");
        } else if (status >= 500 && status <= 599) {
            res->ambiguous = true;
            if (flags & SLACK_API_NO_AMBIGUOUS_RETRY)
                return bot_err_set(err, BOT_EREMOTE, "%s: HTTP %ld (not retried: it may have run)",
                                   method, status);
            delay = slack_backoff_ms(attempt, c->o.backoff_base_ms, c->o.backoff_cap_ms,
                                     next_random(c));
            if (c->retry_after_ms > delay && c->retry_after_ms <= c->o.max_retry_after_ms)
                delay = c->retry_after_ms;
            rc = bot_err_set(&last, BOT_EREMOTE, "HTTP %ld", status);
        } else {
            res->ambiguous = false;
            return slack_api_result_parse(method, status, c->resp.data, c->resp.len, res, err);
        }

        if (attempt + 1 >= c->o.max_attempts)
            return bot_err_set(err, rc, "%s: gave up after %u attempts: %s", method, res->attempts,
                               last.msg);
        if (now_ms(c) + delay > deadline) {
            if (rc == BOT_ERATELIMIT)
                return bot_err_set(err, rc,
                                   "%s: rate limited; Retry-After %lld ms is past the "
                                   "call's deadline",
                                   method, (long long)delay);
            return bot_err_set(err, rc, "%s: deadline of %ld ms reached: %s", method,
                               c->o.deadline_ms, last.msg);
        }
        sleep_ms(c, delay);
        res->waited_ms += delay;
    }
}

enum bot_rc slack_api_paginate(struct slack_api *c, const char *method, const cJSON *args,
                               unsigned max_pages, slack_api_page_fn fn, void *ud,
                               struct bot_err *err)
{
    struct slack_api_result page = {0};
    enum bot_rc rc = BOT_OK;
    if (max_pages == 0 || max_pages > SLACK_API_MAX_PAGES)
        max_pages = SLACK_API_MAX_PAGES;
    if (args != NULL && !cJSON_IsObject(args))
        return bot_err_set(err, BOT_EINVAL, "%s: arguments are not a JSON object", method);
    cJSON *a = args ? cJSON_Duplicate(args, 1) : cJSON_CreateObject();
    char *cursor = NULL;
    for (unsigned i = 0;; i++) {
        if (i == max_pages) {
            rc = bot_err_set(err, BOT_ETOOBIG, "%s: more than %u pages", method, max_pages);
            goto out;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(a, "cursor");
        if (cursor)
            cJSON_AddStringToObject(a, "cursor", cursor);
        if ((rc = slack_api_call(c, method, a, &page, err)) != BOT_OK)
            goto out;
        free(cursor);
        cursor = page.next_cursor;
        page.next_cursor = NULL;
        bool more = true;
        if ((rc = fn(ud, &page, &more, err)) != BOT_OK)
            goto out;
        if (!more || cursor == NULL)
            goto out;
    }
out:
    free(cursor);
    slack_api_result_free(&page);
    cJSON_Delete(a);
    return rc;
}
