/*
 * Outgoing webhooks' signing and sending (see webhook.h): OpenSSL's HMAC
 * for the signature, one libcurl easy handle per client for the POST.
 */
#include "webhook.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "retry_after.h"
#include "xmalloc.h"

struct webhook {
    CURL *curl;
    atomic_bool aborted;
};

/* An answer being read: Retry-After and the start of the body. */
struct reply {
    int64_t retry_after_ms;
    char kept[WEBHOOK_KEEP_RESPONSE + 1];
    size_t n_kept;
};

void webhook_hmac_hex(const void *key, size_t key_len, const void *data, size_t data_len,
                      char out[WEBHOOK_SIG_HEX + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    static const unsigned char empty[1] = {0};
    /* HMAC() takes NULL for "no data" as a request to use a static buffer: never pass it. */
    if (HMAC(EVP_sha256(), key_len ? key : empty, (int)key_len,
             data_len ? (const unsigned char *)data : empty, data_len, md, &md_len) == NULL ||
        md_len * 2 != WEBHOOK_SIG_HEX)
        abort(); /* SHA-256 is always there: a broken OpenSSL is a broken invariant */
    for (unsigned i = 0; i < md_len; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[WEBHOOK_SIG_HEX] = '\0';
}

enum bot_rc webhook_sign(const char *secret, size_t secret_len, const char *timestamp,
                         const char *body, size_t body_len, char out[WEBHOOK_SIG_HEX + 1])
{
    struct buf b;
    size_t tl = strlen(timestamp);
    if (body_len > WEBHOOK_MAX_BODY || tl > WEBHOOK_MAX_HEADER_VALUE)
        return BOT_ETOOBIG;
    buf_init(&b, WEBHOOK_MAX_BODY + WEBHOOK_MAX_HEADER_VALUE + 1);
    enum bot_rc rc = buf_add(&b, timestamp, tl);
    if (rc == BOT_OK)
        rc = buf_add(&b, ".", 1);
    if (rc == BOT_OK)
        rc = buf_add(&b, body, body_len);
    if (rc == BOT_OK)
        webhook_hmac_hex(secret, secret_len, b.data, b.len, out);
    buf_free(&b);
    return rc;
}

struct webhook *webhook_new(void)
{
    struct webhook *c = xcalloc(1, sizeof(*c));
    c->curl = curl_easy_init();
    if (c->curl == NULL)
        abort(); /* only out of memory makes curl_easy_init fail */
    atomic_init(&c->aborted, false);
    return c;
}

void webhook_free(struct webhook *c)
{
    if (c == NULL)
        return;
    curl_easy_cleanup(c->curl);
    free(c);
}

void webhook_abort(struct webhook *c)
{
    if (c)
        atomic_store(&c->aborted, true);
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct reply *r = ud;
    size_t len = size * n;
    for (size_t i = 0; i < len && r->n_kept < WEBHOOK_KEEP_RESPONSE; i++) {
        unsigned char ch = (unsigned char)data[i];
        r->kept[r->n_kept++] = ch >= ' ' && ch < 0x7f ? (char)ch : ' ';
    }
    r->kept[r->n_kept] = '\0';
    return len; /* the rest is read and dropped */
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
    struct webhook *c = ud;
    return atomic_load(&c->aborted) ? 1 : 0;
}

/* A header value we put on the wire: printable ASCII only, bounded. */
static bool header_value_ok(const char *v)
{
    size_t n = 0;
    for (; *v; v++, n++)
        if ((unsigned char)*v < ' ' || (unsigned char)*v >= 0x7f)
            return false;
    return n > 0 && n <= WEBHOOK_MAX_HEADER_VALUE;
}

bool webhook_permanent(enum bot_rc rc, const struct webhook_result *res)
{
    if (rc == BOT_OK || bot_rc_transient(rc))
        return false; /* the one classification of every lane (err.h) */
    if (rc != BOT_EREMOTE)
        return true; /* BOT_EINVAL, BOT_ETOOBIG: the same request fails the same way */
    long s = res ? res->http_status : 0;
    return s >= 300 && s < 500 && s != 408 && s != 429;
}

enum bot_rc webhook_post(struct webhook *c, const struct webhook_req *r, struct webhook_result *res,
                         struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    struct reply rep = {0};
    struct curl_slist *hdr = NULL;
    char sig[WEBHOOK_SIG_HEX + 1], ts[24], line[WEBHOOK_MAX_HEADER_VALUE + 64];
    const char *name = r->name ? r->name : "?";

    memset(res, 0, sizeof(*res));
    if (r->secret == NULL || r->secret[0] == '\0')
        return bot_err_set(err, BOT_EINVAL, "webhook %s: no signing secret", name);
    if (!header_value_ok(r->event) || !header_value_ok(r->delivery_id))
        return bot_err_set(err, BOT_EINVAL,
                           "webhook %s: event or delivery id not fit for a "
                           "header",
                           name);
    snprintf(ts, sizeof(ts), "%lld", (long long)r->timestamp);
    size_t blen = strlen(r->body);
    rc = webhook_sign(r->secret, strlen(r->secret), ts, r->body, blen, sig);
    if (rc)
        return bot_err_set(err, rc, "webhook %s: body of %zu bytes, at most %d", name, blen,
                           WEBHOOK_MAX_BODY);
    if (atomic_load(&c->aborted))
        return bot_err_set(err, BOT_ENET, "webhook %s: aborted", name);

    CURL *h = c->curl;
    curl_easy_reset(h);
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    snprintf(line, sizeof(line), "X-Incidentd-Event: %s", r->event);
    hdr = curl_slist_append(hdr, line);
    snprintf(line, sizeof(line), "X-Incidentd-Delivery: %s", r->delivery_id);
    hdr = curl_slist_append(hdr, line);
    snprintf(line, sizeof(line), "X-Incidentd-Timestamp: %s", ts);
    hdr = curl_slist_append(hdr, line);
    snprintf(line, sizeof(line), "X-Incidentd-Signature: " WEBHOOK_SIG_PREFIX "%s", sig);
    hdr = curl_slist_append(hdr, line);
    hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, r->url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)blen);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "incidentd-webhook");
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)WEBHOOK_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, r->timeout_ms > 0 ? r->timeout_ms : 10000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &rep);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &rep);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    if (r->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, r->ca_file);

    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        rc = bot_err_set(err, BOT_ENET, "webhook %s: %s", name, curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->http_status);
    long s = res->http_status;
    if (s >= 200 && s < 300)
        goto out;
    if (s == 429 || s >= 500)
        res->retry_after_ms = rep.retry_after_ms;
    rc = bot_err_set(err, s == 429 ? BOT_ERATELIMIT : BOT_EREMOTE, "webhook %s: HTTP %ld%s%s", name,
                     s, rep.n_kept ? ": " : "", rep.kept);
out:
    curl_slist_free_all(hdr);
    return rc;
}
