/*
 * HTTP routes of the built-in server (see http.h): /healthz for now; the
 * status page and /metrics join here. Each response is rendered into a
 * per-connection buffer when the request arrives and written when lws says
 * the socket is writable, so a slow reader never blocks the loop.
 */
#include "http.h"

#include <string.h>

#include "bot_internal.h"
#include "buf.h"
#include "xmalloc.h"

struct http_session {
    char *body;      /* owned; freed when the connection closes */
    size_t len, sent;
};

/* Renders the response for uri into s; returns the HTTP status. */
static int route(struct bot *b, const char *uri, struct http_session *s, const char **ctype)
{
    struct buf out;
    int status = 200;
    free(s->body); /* a kept-alive connection's previous response */
    s->body = NULL;
    buf_init(&out, HTTP_MAX_BODY);
    *ctype = "application/json";
    if (strcmp(uri, "/healthz") == 0) {
        bool db_ok = bot_db_ok(b);
        unsigned links = bot_slack_links(b);
        /* Unhealthy only when the database fails: a Slack outage is not fixed by a restart. */
        status = db_ok ? 200 : 503;
        if (buf_addf(&out, "{\"status\":\"%s\",\"database\":\"%s\",\"slack\":\"%s\","
                     "\"slack_links\":%u}\n", db_ok ? "ok" : "failing", db_ok ? "ok" : "failing",
                     links > 0 ? "connected" : "disconnected", links))
            status = 500;
    } else {
        status = 404;
        *ctype = "text/plain; charset=utf-8";
        if (buf_addstr(&out, "not found\n"))
            status = 500;
    }
    s->len = out.len;
    s->body = buf_take(&out);
    s->sent = 0;
    return status;
}

static int http_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len)
{
    struct http_session *s = user;
    struct bot *b = lws_context_user(lws_get_context(wsi));
    uint8_t hdr[LWS_PRE + 1024], *start = &hdr[LWS_PRE], *p = start, *end = &hdr[sizeof(hdr) - 1];

    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        char uri[HTTP_MAX_URI];
        const char *ctype;
        size_t ulen = len < sizeof(uri) - 1 ? len : sizeof(uri) - 1;
        memcpy(uri, in, ulen);
        uri[ulen] = '\0';
        int status = route(b, uri, s, &ctype);
        if (lws_add_http_common_headers(wsi, (unsigned)status, ctype, s->len, &p, end))
            return 1;
        if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                         (const unsigned char *)"no-store", 8, &p, end))
            return 1;
        if (lws_finalize_write_http_header(wsi, start, &p, end))
            return 1;
        lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (s->body == NULL)
            return -1;
        size_t chunk = s->len - s->sent;
        if (chunk > 16384)
            chunk = 16384;
        uint8_t *tmp = xmalloc(LWS_PRE + chunk + 1);
        memcpy(tmp + LWS_PRE, s->body + s->sent, chunk);
        bool last = s->sent + chunk == s->len;
        int n = lws_write(wsi, tmp + LWS_PRE, chunk, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
        free(tmp);
        if (n < (int)chunk)
            return -1;
        s->sent += chunk;
        if (!last) {
            lws_callback_on_writable(wsi);
            return 0;
        }
        if (lws_http_transaction_completed(wsi))
            return -1;
        return 0;
    }
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (s) {
            free(s->body);
            s->body = NULL;
        }
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

const struct lws_protocols http_protocol = {
    .name = "http",
    .callback = http_cb,
    .per_session_data_size = sizeof(struct http_session),
};
