/*
 * The HTTP side of slackemu and the single lws protocol: it owns request
 * intake (path, query, headers, body up to EMU_MAX_BODY, discarding beyond),
 * routing to the Web API (/api/), the control API (/_emu/) and response_url
 * paths (/commands/, /actions/), delayed, hung and deferred answers, writing
 * responses in chunks, and the one log line per request. WebSocket callbacks
 * arrive on the same protocol (Slack's SDKs send no subprotocol) and are
 * passed to emu_sock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "xmalloc.h"

#define HTTP_CHUNK 32768 /* bytes written per HTTP_WRITEABLE */

struct emu_http {
    struct lws *wsi;
    struct emu *emu;
    struct emu_req req;
    struct buf body;
    size_t discarded;
    int64_t t0;
    bool dispatched;
    bool ready; /* resp is final and may be written */
    bool headers_sent;
    bool logged;
    struct emu_resp resp;
    unsigned char *out; /* LWS_PRE + body */
    size_t sent;
    lws_sorted_usec_list_t sul; /* delayed answers */
};

struct emu_pss {
    struct emu_http *http;
    struct emu_conn *conn;
};

void emu_resp_json(struct emu_resp *resp, cJSON *obj)
{
    free(resp->body);
    resp->body = emu_jprint(obj);
    resp->body_len = strlen(resp->body);
    resp->content_type = "application/json; charset=utf-8";
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(obj, "ok");
    const char *err = emu_jstr(obj, "error");
    if (cJSON_IsFalse(ok) && err && !resp->note[0])
        snprintf(resp->note, sizeof resp->note, "%s", err);
    else if (cJSON_IsTrue(ok) && !resp->note[0])
        snprintf(resp->note, sizeof resp->note, "ok");
    cJSON_Delete(obj);
}

void emu_resp_error(struct emu_resp *resp, int status, const char *err)
{
    resp->status = status;
    emu_resp_json(resp, emu_jerror(err));
}

static void http_free(struct emu *emu, struct emu_http *h)
{
    if (!h)
        return;
    lws_sul_cancel(&h->sul);
    emu_ctl_forget(emu, h);
    cJSON_Delete(h->req.query);
    buf_free(&h->body);
    free(h->resp.body);
    free(h->out);
    free(h);
}

static void http_log(struct emu *emu, struct emu_http *h, const char *what)
{
    if (h->logged || emu->cfg.quiet)
        return;
    h->logged = true;
    int64_t us = emu_mono_us() - h->t0;
    emu_log(emu, "%s %s %s %s %.1fms", h->req.verb_name, h->req.path, what,
            h->resp.note[0] ? h->resp.note : "-", (double)us / 1000.0);
}

static void route(struct emu *emu, struct emu_req *req, struct emu_resp *resp)
{
    const char *p = req->path;
    if (req->body_too_big) {
        emu_resp_error(resp, 413, "request_too_large");
        return;
    }
    if (strncmp(p, "/api/", 5) == 0) {
        emu_api_handle(emu, p + 5, req, resp);
    } else if (strcmp(p, "/_emu") == 0 || strncmp(p, "/_emu/", 6) == 0) {
        emu_ctl_handle(emu, p[5] ? p + 6 : "", req, resp);
    } else if (strncmp(p, "/commands/", 10) == 0 || strncmp(p, "/actions/", 9) == 0) {
        emu_ix_response_url(emu, req, resp);
    } else if (strcmp(p, "/") == 0) {
        free(resp->body);
        resp->body = xasprintf("slackemu: Slack Web API at %s/api/, control API at %s/_emu/\n",
                               emu->base_url, emu->base_url);
        resp->body_len = strlen(resp->body);
        resp->content_type = "text/plain; charset=utf-8";
    } else if (strcmp(p, "/link") == 0 || strcmp(p, "/link/") == 0) {
        emu_resp_error(resp, 400, "websocket_upgrade_required");
    } else {
        emu_resp_error(resp, 404, "not_found");
    }
}

static void answer_now(struct emu_http *h)
{
    h->ready = true;
    if (h->wsi)
        lws_callback_on_writable(h->wsi);
}

static void sul_delay_cb(lws_sorted_usec_list_t *sul)
{
    struct emu_http *h = lws_container_of(sul, struct emu_http, sul);
    answer_now(h);
}

static int dispatch(struct emu *emu, struct emu_http *h)
{
    h->dispatched = true;
    h->req.body = buf_str(&h->body);
    h->req.body_len = h->body.len;
    h->req.http = h;
    h->resp.status = 200;
    route(emu, &h->req, &h->resp);
    if (h->resp.close) {
        http_log(emu, h, "closed");
        return -1;
    }
    if (h->resp.hang) {
        lws_set_timeout(h->wsi, NO_PENDING_TIMEOUT, 0);
        http_log(emu, h, "hang");
        return 0;
    }
    if (h->resp.deferred) {
        lws_set_timeout(h->wsi, NO_PENDING_TIMEOUT, 0);
        return 0;
    }
    if (h->resp.delay_us > 0) {
        lws_set_timeout(h->wsi, NO_PENDING_TIMEOUT, 0);
        lws_sul_schedule(emu->lws, 0, &h->sul, sul_delay_cb, h->resp.delay_us);
        return 0;
    }
    answer_now(h);
    return 0;
}

void emu_http_answer(struct emu *emu, struct emu_http *http, struct emu_resp *resp)
{
    (void)emu;
    free(http->resp.body);
    http->resp = *resp;
    http->resp.deferred = false;
    memset(resp, 0, sizeof *resp);
    if (http->resp.status == 0)
        http->resp.status = 200;
    answer_now(http);
}

static void copy_header(struct lws *wsi, enum lws_token_indexes t, char *dst, size_t dstsz)
{
    dst[0] = '\0';
    int n = lws_hdr_total_length(wsi, t);
    if (n <= 0 || (size_t)n >= dstsz)
        return;
    if (lws_hdr_copy(wsi, dst, (int)dstsz, t) < 0)
        dst[0] = '\0';
}

/* Splits "name=value" query fragments (lws has already URL-decoded them). */
static void read_query(struct lws *wsi, cJSON *obj)
{
    char frag[EMU_MAX_HDR];
    for (int i = 0; i < 64; i++) {
        int n = lws_hdr_copy_fragment(wsi, frag, (int)sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0)
            break;
        char *eq = strchr(frag, '=');
        const char *val = "";
        if (eq) {
            *eq = '\0';
            val = eq + 1;
        }
        if (!frag[0])
            continue;
        cJSON_DeleteItemFromObjectCaseSensitive(obj, frag);
        cJSON_AddStringToObject(obj, frag, val);
    }
}

static int http_begin(struct emu *emu, struct lws *wsi, struct emu_pss *pss, const char *uri)
{
    http_free(emu, pss->http);
    struct emu_http *h = xcalloc(1, sizeof *h);
    pss->http = h;
    h->wsi = wsi;
    h->emu = emu;
    h->t0 = emu_mono_us();
    buf_init(&h->body, EMU_MAX_BODY);
    h->req.query = cJSON_CreateObject();

    bool has_body_verb = false;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI)) {
        h->req.verb = EMU_GET;
        h->req.verb_name = "GET";
    } else if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI)) {
        h->req.verb = EMU_POST;
        h->req.verb_name = "POST";
        has_body_verb = true;
    } else {
        h->req.verb = EMU_OTHER;
        h->req.verb_name = "OTHER";
        if (lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI)) {
            h->req.verb_name = "PUT";
            has_body_verb = true;
        } else if (lws_hdr_total_length(wsi, WSI_TOKEN_PATCH_URI)) {
            h->req.verb_name = "PATCH";
            has_body_verb = true;
        } else if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI)) {
            h->req.verb_name = "DELETE";
        } else if (lws_hdr_total_length(wsi, WSI_TOKEN_OPTIONS_URI)) {
            h->req.verb_name = "OPTIONS";
        } else if (lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI)) {
            h->req.verb_name = "HEAD";
        }
    }
    snprintf(h->req.path, sizeof h->req.path, "%s", uri ? uri : "/");
    read_query(wsi, h->req.query);
    copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, h->req.content_type, sizeof h->req.content_type);
    copy_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, h->req.authorization,
                sizeof h->req.authorization);

    if (!has_body_verb)
        return dispatch(emu, h);
    /* lws reports the body through HTTP_BODY only when one is announced. */
    char cl[32], te[64];
    copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, cl, sizeof cl);
    copy_header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING, te, sizeof te);
    long clen = 0;
    if (!te[0] && (!cl[0] || (emu_parse_long(cl, 0, 0x7fffffffL, &clen) && clen == 0)))
        return dispatch(emu, h);
    if (clen > (long)EMU_MAX_BODY)
        h->req.body_too_big = true;
    return 0;
}

static int http_body(struct emu *emu, struct emu_pss *pss, const void *in, size_t len)
{
    (void)emu;
    struct emu_http *h = pss->http;
    if (!h || h->dispatched)
        return 0;
    if (!h->req.body_too_big && buf_add(&h->body, in, len) != BOT_OK) {
        h->req.body_too_big = true;
        h->discarded = h->body.len;
        buf_free(&h->body);
        buf_init(&h->body, EMU_MAX_BODY);
    }
    if (h->req.body_too_big) {
        h->discarded += len;
        if (h->discarded > EMU_MAX_DISCARD)
            return -1;
    }
    return 0;
}

static int http_write(struct emu *emu, struct lws *wsi, struct emu_pss *pss)
{
    struct emu_http *h = pss->http;
    if (!h || !h->ready)
        return 0;
    struct emu_resp *r = &h->resp;
    if (!h->headers_sent) {
        unsigned char hbuf[LWS_PRE + 1024];
        unsigned char *start = hbuf + LWS_PRE, *p = start, *end = hbuf + sizeof hbuf - 1;
        const char *ctype = r->content_type ? r->content_type : "application/json; charset=utf-8";
        if (lws_add_http_common_headers(wsi, (unsigned)r->status, ctype, r->body_len, &p, end))
            return -1;
        if (r->retry_after > 0) {
            char ra[16];
            int n = snprintf(ra, sizeof ra, "%d", r->retry_after);
            if (lws_add_http_header_by_name(wsi, (const unsigned char *)"retry-after:",
                                            (const unsigned char *)ra, n, &p, end))
                return -1;
        }
        if (lws_finalize_write_http_header(wsi, start, &p, end))
            return -1;
        h->headers_sent = true;
        char what[16];
        snprintf(what, sizeof what, "%d", r->status);
        http_log(emu, h, what);
        if (r->body_len) {
            h->out = xmalloc(LWS_PRE + r->body_len);
            memcpy(h->out + LWS_PRE, r->body, r->body_len);
            lws_callback_on_writable(wsi);
            return 0;
        }
    } else {
        size_t left = r->body_len - h->sent;
        size_t n = left > HTTP_CHUNK ? HTTP_CHUNK : left;
        bool final = n == left;
        if (lws_write(wsi, h->out + LWS_PRE + h->sent, n,
                      final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
            return -1;
        h->sent += n;
        if (!final) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    pss->http = NULL;
    http_free(emu, h);
    if (lws_http_transaction_completed(wsi))
        return -1;
    return 0;
}

static int emu_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                             void *in, size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    struct emu *emu = ctx ? lws_context_user(ctx) : NULL;
    struct emu_pss *pss = user;
    if (!emu)
        return 0;

    switch (reason) {
    case LWS_CALLBACK_HTTP:
        if (!pss)
            return -1;
        return http_begin(emu, wsi, pss, in);
    case LWS_CALLBACK_HTTP_BODY:
        if (!pss)
            return -1;
        return http_body(emu, pss, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (!pss || !pss->http || pss->http->dispatched)
            return 0;
        return dispatch(emu, pss->http);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!pss)
            return 0;
        return http_write(emu, wsi, pss);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (pss && pss->http) {
            if (!pss->http->logged && pss->http->dispatched)
                http_log(emu, pss->http, "client-gone");
            http_free(emu, pss->http);
            pss->http = NULL;
        }
        return 0;

    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return emu_sock_filter(emu, wsi);
    case LWS_CALLBACK_ESTABLISHED:
        if (!pss)
            return -1;
        if (pss->http) {
            http_free(emu, pss->http);
            pss->http = NULL;
        }
        return emu_sock_established(emu, wsi, &pss->conn);
    case LWS_CALLBACK_RECEIVE:
        if (!pss || !pss->conn)
            return 0;
        return emu_sock_receive(emu, pss->conn, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!pss || !pss->conn)
            return 0;
        return emu_sock_writeable(emu, pss->conn);
    case LWS_CALLBACK_CLOSED:
        if (pss && pss->conn) {
            emu_sock_closed(emu, pss->conn);
            pss->conn = NULL;
        }
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        if (pss && pss->http) {
            http_free(emu, pss->http);
            pss->http = NULL;
        }
        if (pss && pss->conn) {
            emu_sock_closed(emu, pss->conn);
            pss->conn = NULL;
        }
        return 0;
    default:
        break;
    }
    return 0;
}

const struct lws_protocols emu_http_protocols[] = {
    {
        .name = "slackemu",
        .callback = emu_http_callback,
        .per_session_data_size = sizeof(struct emu_pss),
        .rx_buffer_size = 65536,
    },
    {0},
};
