/*
 * Outgoing webhooks, the HTTP side: signing a body (HMAC-SHA256 with the
 * webhook's secret, OpenSSL) and POSTing it with the incidentd headers.
 * One request per call; no retries and no sleeping: the durable retries
 * belong to the caller, the webhook's outbox lane (bot/delivery.c). Does
 * not log; errors name the webhook, never its URL (an endpoint's URL often
 * carries a token of its own) nor the secret.
 *
 * The scheme, for receivers (README "Webhooks"): headers
 *   Content-Type: application/json
 *   X-Incidentd-Event: incident.status_changed
 *   X-Incidentd-Delivery: <the event id, also the body's "id": the same on every retry>
 *   X-Incidentd-Timestamp: <Unix seconds when this attempt was signed>
 *   X-Incidentd-Signature: sha256=<lowercase hex HMAC-SHA256(secret, timestamp "." body)>
 *
 * Threads: a client is used by one thread at a time; webhook_abort() may be
 * called from another. curl_global_init() must have been called.
 */
#ifndef INCIDENTD_WEBHOOK_H
#define INCIDENTD_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define WEBHOOK_SIG_HEX            64            /* hex digits of a SHA-256 HMAC */
#define WEBHOOK_SIG_PREFIX         "sha256="     /* before the hex in X-Incidentd-Signature */
#define WEBHOOK_MAX_BODY           (1024 * 1024) /* largest body signed and sent */
#define WEBHOOK_MAX_HEADER_VALUE   200           /* event name, delivery id and timestamp */
#define WEBHOOK_KEEP_RESPONSE      200 /* bytes of a refusal's answer kept for the error */
#define WEBHOOK_CONNECT_TIMEOUT_MS 5000

struct webhook;

/*
 * The lowercase hex HMAC-SHA256 of data under key into out
 * (WEBHOOK_SIG_HEX + 1 bytes). Pure.
 */
void webhook_hmac_hex(const void *key, size_t key_len, const void *data, size_t data_len,
                      char out[WEBHOOK_SIG_HEX + 1]);
/*
 * The signature of body sent at timestamp (decimal Unix seconds): the
 * lowercase hex HMAC-SHA256 under secret of "<timestamp>.<body>", into out
 * (WEBHOOK_SIG_HEX + 1 bytes). BOT_ETOOBIG past WEBHOOK_MAX_BODY, or a timestamp
 * longer than WEBHOOK_MAX_HEADER_VALUE. Pure.
 */
enum bot_rc webhook_sign(const char *secret, size_t secret_len, const char *timestamp,
                         const char *body, size_t body_len,
                         char out[WEBHOOK_SIG_HEX + 1]) BOT_MUST_CHECK;

/* One request to send. Strings borrowed. */
struct webhook_req {
    const char *name; /* the webhook's name, for errors */
    const char *url;
    const char *secret;
    const char *event;       /* X-Incidentd-Event */
    const char *delivery_id; /* X-Incidentd-Delivery */
    const char *body;        /* JSON, signed as is */
    int64_t timestamp;       /* Unix seconds: X-Incidentd-Timestamp */
    long timeout_ms;         /* the whole request */
    const char *ca_file;     /* NULL: the system CAs */
};

/* What one request produced. */
struct webhook_result {
    long http_status;       /* 0 when no answer arrived */
    int64_t retry_after_ms; /* Retry-After (seconds) of a 429 or 5xx, else 0 */
};

/* A new client (free with webhook_free). */
struct webhook *webhook_new(void);
void webhook_free(struct webhook *c);
/* Makes a request in progress (and later ones) fail with BOT_ENET; any thread. */
void webhook_abort(struct webhook *c);

/*
 * POSTs r->body to r->url with the headers above. Returns:
 *   BOT_OK         a 2xx answer;
 *   BOT_ERATELIMIT 429;
 *   BOT_EREMOTE    any other answer (5xx and 408 are worth retrying; see webhook_permanent);
 *   BOT_ENET       no answer (cannot connect, timeout, aborted);
 *   BOT_EINVAL     a header value with control characters, or no secret;
 *   BOT_ETOOBIG    a body over WEBHOOK_MAX_BODY.
 * Redirects are not followed (a 3xx is an answer: the URL should be the final one).
 */
enum bot_rc webhook_post(struct webhook *c, const struct webhook_req *r, struct webhook_result *res,
                         struct bot_err *err) BOT_MUST_CHECK;

/* True when rc/res can never succeed as is: a 3xx or 4xx but 408 and 429, a bad request. */
bool webhook_permanent(enum bot_rc rc, const struct webhook_result *res);

#endif
