/*
 * The Statuspage management API client (see sp_api.h): one libcurl easy
 * handle per client, one request per call, the answer decoded into a
 * struct sp_api_result. Retrying and pacing are the caller's.
 */
#include "sp_api.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "buf.h"
#include "retry_after.h"
#include "xmalloc.h"

struct sp_api {
    CURL *curl;
    char *base_url; /* without a trailing '/' */
    char *page_id;
    char *auth;     /* "Authorization: OAuth <key>" */
    char *ca_file;
    long connect_timeout_ms, timeout_ms;
    bool (*pace)(void *ud);
    void *pace_ud;
    atomic_bool aborted;
    long last_status; /* of the last request; 0: no answer; -1: none since sp_api_take_status */
};

struct reply {
    struct buf body;
    int64_t retry_after_ms;
};

void sp_api_result_clear(struct sp_api_result *r)
{
    if (r == NULL)
        return;
    cJSON_Delete(r->body);
    memset(r, 0, sizeof(*r));
}

enum bot_rc sp_api_new(const struct sp_api_opts *opts, struct sp_api **out, struct bot_err *err)
{
    *out = NULL;
    const char *base = opts->base_url ? opts->base_url : SP_API_DEFAULT_BASE_URL;
    if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0)
        return bot_err_set(err, BOT_EINVAL, "statuspage: base URL must be http(s)");
    if (opts->page_id == NULL || opts->page_id[0] == '\0' || strlen(opts->page_id) >= SP_API_MAX_ID ||
        strpbrk(opts->page_id, "/?#% ") != NULL)
        return bot_err_set(err, BOT_EINVAL, "statuspage: a page id is required");
    if (opts->api_key == NULL || opts->api_key[0] == '\0' ||
        strlen(opts->api_key) > SP_API_MAX_KEY || strpbrk(opts->api_key, "\r\n") != NULL)
        return bot_err_set(err, BOT_EINVAL, "statuspage: an API key is required");
    struct sp_api *c = xcalloc(1, sizeof(*c));
    c->curl = curl_easy_init();
    if (c->curl == NULL) {
        free(c);
        return bot_err_set(err, BOT_EIO, "statuspage: curl_easy_init failed");
    }
    c->base_url = xstrdup(base);
    size_t n = strlen(c->base_url);
    while (n > 0 && c->base_url[n - 1] == '/')
        c->base_url[--n] = '\0';
    c->page_id = xstrdup(opts->page_id);
    c->auth = xasprintf("Authorization: OAuth %s", opts->api_key);
    c->ca_file = opts->ca_file ? xstrdup(opts->ca_file) : NULL;
    c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 5000;
    c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
    c->pace = opts->pace;
    c->pace_ud = opts->pace_ud;
    c->last_status = -1;
    atomic_init(&c->aborted, false);
    *out = c;
    return BOT_OK;
}

void sp_api_free(struct sp_api *c)
{
    if (c == NULL)
        return;
    curl_easy_cleanup(c->curl);
    free(c->base_url);
    free(c->page_id);
    if (c->auth) {
        /* The key is a secret: do not leave it in freed memory. */
        volatile char *p = c->auth;
        while (*p)
            *p++ = '\0';
        free(c->auth);
    }
    free(c->ca_file);
    free(c);
}

void sp_api_abort(struct sp_api *c)
{
    if (c)
        atomic_store(&c->aborted, true);
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct reply *r = ud;
    if (buf_add(&r->body, data, size * n) != BOT_OK)
        return 0; /* over SP_API_MAX_RESPONSE: curl fails with CURLE_WRITE_ERROR */
    return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    struct reply *r = ud;
    size_t len = size * n;
    (void)retry_after_header(data, len, &r->retry_after_ms);
    return len;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    struct sp_api *c = ud;
    return atomic_load(&c->aborted) ? 1 : 0;
}

bool sp_api_permanent(enum bot_rc rc, const struct sp_api_result *res)
{
    if (rc == BOT_OK || bot_rc_transient(rc))
        return false; /* the one classification of every lane (err.h) */
    if (rc == BOT_EINVAL || rc == BOT_ENOTFOUND || rc == BOT_ETOOBIG)
        return true;
    long s = res ? res->http_status : 0;
    return s >= 400 && s < 500 && s != 408 && s != 420 && s != 429;
}

enum bot_rc sp_api_request(struct sp_api *c, const char *method, const char *path,
                           const cJSON *body, struct sp_api_result *res, struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    struct reply r = {.retry_after_ms = 0};
    struct curl_slist *hdr = NULL;
    char *json = NULL;
    char url[SP_API_MAX_URL];

    memset(res, 0, sizeof(*res));
    buf_init(&r.body, SP_API_MAX_RESPONSE);
    int un = snprintf(url, sizeof(url), "%s/pages/%s%s", c->base_url, c->page_id, path);
    if (un < 0 || (size_t)un >= sizeof(url)) {
        rc = bot_err_set(err, BOT_ETOOBIG, "statuspage: URL too long");
        goto out;
    }
    if (atomic_load(&c->aborted) || (c->pace != NULL && !c->pace(c->pace_ud))) {
        rc = bot_err_set(err, BOT_ENET, "statuspage: aborted");
        goto out;
    }
    CURL *h = c->curl;
    curl_easy_reset(h);
    hdr = curl_slist_append(hdr, c->auth);
    hdr = curl_slist_append(hdr, "Accept: application/json");
    if (body != NULL) {
        json = cJSON_PrintUnformatted(body);
        if (json == NULL) {
            rc = bot_err_set(err, BOT_EINVAL, "statuspage: cannot encode the request");
            goto out;
        }
        hdr = curl_slist_append(hdr, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
    }
    hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "GET") == 0)
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "incidentd");
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    if (c->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);

    CURLcode cc = curl_easy_perform(h);
    c->last_status = 0;
    if (cc != CURLE_OK) {
        /* Anything after the connection was made may have reached the server. */
        res->sent = cc != CURLE_COULDNT_CONNECT && cc != CURLE_COULDNT_RESOLVE_HOST;
        if (cc == CURLE_WRITE_ERROR && r.body.len >= SP_API_MAX_RESPONSE)
            rc = bot_err_set(err, BOT_ETOOBIG, "statuspage: %s %s: answer too big", method, path);
        else
            rc = bot_err_set(err, BOT_ENET, "statuspage: %s %s: %s", method, path,
                             curl_easy_strerror(cc));
        goto out;
    }
    res->sent = true;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->http_status);
    c->last_status = res->http_status;
    res->retry_after_ms = r.retry_after_ms;
    if (r.body.len > 0)
        res->body = cJSON_ParseWithLength(buf_str(&r.body), r.body.len);
    const cJSON *idn = cJSON_GetObjectItemCaseSensitive(res->body, "id");
    if (cJSON_IsString(idn) && strlen(idn->valuestring) < sizeof(res->id))
        snprintf(res->id, sizeof(res->id), "%s", idn->valuestring);
    long s = res->http_status;
    if (s >= 200 && s < 300) {
        if (r.body.len > 0 && res->body == NULL)
            rc = bot_err_set(err, BOT_EPROTO, "statuspage: %s %s: answer is not JSON", method,
                             path);
        goto out;
    }
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(res->body, "error");
    const char *why = cJSON_IsString(e) ? e->valuestring : "";
    if (s == 420 || s == 429)
        rc = bot_err_set(err, BOT_ERATELIMIT, "statuspage: %s %s: HTTP %ld (rate limited)",
                         method, path, s);
    else if (s == 404)
        rc = bot_err_set(err, BOT_ENOTFOUND, "statuspage: %s %s: HTTP 404 %.200s", method, path,
                         why);
    else
        rc = bot_err_set(err, BOT_EREMOTE, "statuspage: %s %s: HTTP %ld %.200s", method, path, s,
                         why);
out:
    curl_slist_free_all(hdr);
    free(json);
    buf_free(&r.body);
    return rc;
}

static cJSON *wrap(const char *key, const cJSON *obj)
{
    cJSON *w = cJSON_CreateObject();
    cJSON_AddItemToObject(w, key, cJSON_Duplicate(obj, true));
    return w;
}

enum bot_rc sp_api_incident_create(struct sp_api *c, const cJSON *incident,
                                   struct sp_api_result *res, struct bot_err *err)
{
    cJSON *w = wrap("incident", incident);
    enum bot_rc rc = sp_api_request(c, "POST", "/incidents", w, res, err);
    cJSON_Delete(w);
    if (rc == BOT_OK && res->id[0] == '\0')
        rc = bot_err_set(err, BOT_EPROTO, "statuspage: created incident has no id");
    return rc;
}

/* An id usable in a path: non-empty, no '/', '?', '#', '%', space. */
static bool id_ok(const char *id)
{
    return id != NULL && id[0] != '\0' && strlen(id) < SP_API_MAX_ID &&
           strpbrk(id, "/?#% ") == NULL;
}

enum bot_rc sp_api_incident_update(struct sp_api *c, const char *id, const cJSON *incident,
                                   struct sp_api_result *res, struct bot_err *err)
{
    char path[SP_API_MAX_ID + 32];
    memset(res, 0, sizeof(*res));
    if (!id_ok(id))
        return bot_err_set(err, BOT_EINVAL, "statuspage: bad incident id");
    snprintf(path, sizeof(path), "/incidents/%s", id);
    cJSON *w = wrap("incident", incident);
    enum bot_rc rc = sp_api_request(c, "PATCH", path, w, res, err);
    cJSON_Delete(w);
    return rc;
}

enum bot_rc sp_api_incident_get(struct sp_api *c, const char *id, struct sp_api_result *res,
                                struct bot_err *err)
{
    char path[SP_API_MAX_ID + 32];
    memset(res, 0, sizeof(*res));
    if (!id_ok(id))
        return bot_err_set(err, BOT_EINVAL, "statuspage: bad incident id");
    snprintf(path, sizeof(path), "/incidents/%s", id);
    enum bot_rc rc = sp_api_request(c, "GET", path, NULL, res, err);
    if (rc == BOT_OK && !cJSON_IsObject(res->body))
        rc = bot_err_set(err, BOT_EPROTO, "statuspage: GET %s: the answer is not an incident",
                         path);
    return rc;
}

/* A string member, "" when it is missing or null (Statuspage sends null for no text). */
static const char *text_of(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

bool sp_api_update_applied(const cJSON *incident, const char *status, const char *body,
                           char *update_id)
{
    const cJSON *ups = cJSON_GetObjectItemCaseSensitive(incident, "incident_updates");
    const cJSON *newest = NULL, *u;
    if (update_id != NULL)
        update_id[0] = '\0';
    /* Newest first as documented; should an answer differ, the latest created_at wins. */
    cJSON_ArrayForEach(u, ups) {
        if (newest == NULL || strcmp(text_of(u, "created_at"), text_of(newest, "created_at")) > 0)
            newest = u;
    }
    if (!cJSON_IsObject(newest))
        return false;
    if (status != NULL && strcmp(text_of(newest, "status"), status) != 0)
        return false;
    if (strcmp(text_of(newest, "body"), body != NULL ? body : "") != 0)
        return false;
    if (update_id != NULL && strlen(text_of(newest, "id")) < SP_API_MAX_ID)
        snprintf(update_id, SP_API_MAX_ID, "%s", text_of(newest, "id"));
    return true;
}

long sp_api_take_status(struct sp_api *c)
{
    if (c == NULL)
        return -1;
    long s = c->last_status;
    c->last_status = -1;
    return s;
}

enum bot_rc sp_api_incident_delete(struct sp_api *c, const char *id, struct sp_api_result *res,
                                   struct bot_err *err)
{
    char path[SP_API_MAX_ID + 32];
    memset(res, 0, sizeof(*res));
    if (!id_ok(id))
        return bot_err_set(err, BOT_EINVAL, "statuspage: bad incident id");
    snprintf(path, sizeof(path), "/incidents/%s", id);
    return sp_api_request(c, "DELETE", path, NULL, res, err);
}

static bool has_tag(const cJSON *inc, const char *tag)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(inc, "metadata");
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(m, SP_API_METADATA_KEY);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "tag");
    return cJSON_IsString(t) && strcmp(t->valuestring, tag) == 0;
}

enum bot_rc sp_api_incident_find(struct sp_api *c, const char *tag, char *id,
                                 struct sp_api_result *res, struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    id[0] = '\0';
    memset(res, 0, sizeof(*res));
    for (int page = 1; page <= SP_API_FIND_PAGES; page++) {
        char path[96];
        snprintf(path, sizeof(path), "/incidents?limit=%d&page=%d", SP_API_FIND_LIMIT, page);
        sp_api_result_clear(res);
        rc = sp_api_request(c, "GET", path, NULL, res, err);
        if (rc)
            return rc;
        if (!cJSON_IsArray(res->body))
            return bot_err_set(err, BOT_EPROTO, "statuspage: incident list is not an array");
        const cJSON *it;
        cJSON_ArrayForEach(it, res->body) {
            const cJSON *i = cJSON_GetObjectItemCaseSensitive(it, "id");
            if (has_tag(it, tag) && cJSON_IsString(i) && id_ok(i->valuestring)) {
                snprintf(id, SP_API_MAX_ID, "%s", i->valuestring);
                return BOT_OK;
            }
        }
        if (cJSON_GetArraySize(res->body) < SP_API_FIND_LIMIT)
            break;
    }
    return bot_err_set(err, BOT_ENOTFOUND, "statuspage: no incident tagged %s", tag);
}

enum bot_rc sp_api_component_set(struct sp_api *c, const char *component_id, const char *status,
                                 struct sp_api_result *res, struct bot_err *err)
{
    char path[SP_API_MAX_ID + 32];
    memset(res, 0, sizeof(*res));
    if (!id_ok(component_id))
        return bot_err_set(err, BOT_EINVAL, "statuspage: bad component id");
    snprintf(path, sizeof(path), "/components/%s", component_id);
    cJSON *w = cJSON_CreateObject();
    cJSON *o = cJSON_AddObjectToObject(w, "component");
    cJSON_AddStringToObject(o, "status", status);
    enum bot_rc rc = sp_api_request(c, "PATCH", path, w, res, err);
    cJSON_Delete(w);
    return rc;
}

enum bot_rc sp_api_postmortem(struct sp_api *c, const char *id, const char *body, bool notify,
                              struct sp_api_result *res, struct bot_err *err)
{
    char path[SP_API_MAX_ID + 48];
    memset(res, 0, sizeof(*res));
    if (!id_ok(id))
        return bot_err_set(err, BOT_EINVAL, "statuspage: bad incident id");
    snprintf(path, sizeof(path), "/incidents/%s/postmortem", id);
    cJSON *w = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(w, "postmortem"), "body_draft", body);
    enum bot_rc rc = sp_api_request(c, "PUT", path, w, res, err);
    cJSON_Delete(w);
    if (rc)
        return rc;
    sp_api_result_clear(res);
    snprintf(path, sizeof(path), "/incidents/%s/postmortem/publish", id);
    w = cJSON_CreateObject();
    cJSON *p = cJSON_AddObjectToObject(w, "postmortem");
    cJSON_AddBoolToObject(p, "notify_subscribers", notify);
    cJSON_AddBoolToObject(p, "notify_twitter", false);
    rc = sp_api_request(c, "PUT", path, w, res, err);
    cJSON_Delete(w);
    return rc;
}

cJSON *sp_api_incident_body(const char *name, const char *status, const char *impact,
                            const char *body, const char *const *component_ids, size_t n,
                            const char *component_status, const char *tag)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "status", status);
    if (impact)
        cJSON_AddStringToObject(o, "impact_override", impact);
    cJSON_AddStringToObject(o, "body", body);
    if (n > 0) {
        cJSON *ids = cJSON_AddArrayToObject(o, "component_ids");
        cJSON *map = cJSON_AddObjectToObject(o, "components");
        for (size_t i = 0; i < n; i++) {
            cJSON_AddItemToArray(ids, cJSON_CreateString(component_ids[i]));
            if (!cJSON_HasObjectItem(map, component_ids[i]))
                cJSON_AddStringToObject(map, component_ids[i], component_status);
        }
    }
    cJSON_AddBoolToObject(o, "deliver_notifications", true);
    if (tag) {
        cJSON *m = cJSON_AddObjectToObject(o, "metadata");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(m, SP_API_METADATA_KEY), "tag", tag);
    }
    return o;
}
