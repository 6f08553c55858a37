/*
 * The Atlassian Statuspage management API (v1) client: one request in, one
 * typed result out. It owns the HTTP side of the hosted page: the
 * "Authorization: OAuth <key>" header (the key is kept in the client and
 * never put in an error message), JSON bodies wrapped in their resource key
 * ({"incident": {...}}), timeouts on every request, Retry-After on 420/429
 * and 503, and turning whatever comes back into a return code. It makes ONE
 * request per call and does not retry or sleep: the durable retries (and the
 * 1 request/second pacing) belong to the caller, the outbox's "statuspage"
 * lane, which must not repeat a POST blindly (Statuspage has no idempotency
 * key; see sp_api_incident_find()). It does not log.
 *
 * Threads: a client is used by one thread at a time; sp_api_abort() may be
 * called from another. Call curl_global_init() (slack_api_global_init())
 * once before any thread starts.
 */
#ifndef INCIDENTD_SP_API_H
#define INCIDENTD_SP_API_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"

#define SP_API_DEFAULT_BASE_URL "https://api.statuspage.io/v1"
#define SP_API_MAX_URL       2048              /* base URL + path */
#define SP_API_MAX_KEY       512               /* longest API key accepted */
#define SP_API_MAX_ID        64                /* longest Statuspage object id kept */
#define SP_API_MAX_RESPONSE  (8 * 1024 * 1024) /* response body; bigger is BOT_ETOOBIG */
#define SP_API_FIND_LIMIT    100               /* incidents per page searched by _find */
#define SP_API_FIND_PAGES    3                 /* pages searched by _find */
#define SP_API_METADATA_KEY  "incidentd"       /* our object in an incident's metadata */

struct sp_api;

/* Client settings; zero means "the default" for every number. */
struct sp_api_opts {
    const char *base_url;    /* NULL: SP_API_DEFAULT_BASE_URL; a trailing '/' is dropped; copied */
    const char *page_id;     /* required; copied */
    const char *api_key;     /* required; copied; never in errors */
    long connect_timeout_ms; /* default 5000 */
    long timeout_ms;         /* whole request; default 30000 */
    const char *ca_file;     /* NULL: the system CAs; copied */
    /*
     * Called before every request (NULL: none): the caller's pacing, e.g.
     * Statuspage's 1 request/second; returns false to cancel the request
     * (it then fails with BOT_ENET, not sent).
     */
    bool (*pace)(void *ud);
    void *pace_ud;
};

/* What one request produced. */
struct sp_api_result {
    long http_status;       /* 0 when no answer arrived */
    int64_t retry_after_ms; /* Retry-After of a 420/429/503, else 0 */
    cJSON *body;            /* the parsed answer (may be NULL); freed by sp_api_result_clear */
    char id[SP_API_MAX_ID]; /* the answer's "id" when it has one, else "" */
    bool sent;              /* the request may have reached the server (a retry may repeat it) */
};

void sp_api_result_clear(struct sp_api_result *r);

/*
 * *out is a new client (free with sp_api_free). BOT_EINVAL for a missing
 * page id or key, or a base URL that is not http(s).
 */
enum bot_rc sp_api_new(const struct sp_api_opts *opts, struct sp_api **out,
                       struct bot_err *err) BOT_MUST_CHECK;
void sp_api_free(struct sp_api *c);
/* Makes a request in progress (and later ones) fail with BOT_ENET; any thread. */
void sp_api_abort(struct sp_api *c);

/*
 * One request: method ("GET", "POST", "PATCH", "PUT") of path (relative to
 * /pages/{page_id}, e.g. "/incidents"), with body (may be NULL; sent as
 * JSON, borrowed). res is filled in every case (clear it). Returns:
 *   BOT_OK         a 2xx answer (res->body, res->id);
 *   BOT_ERATELIMIT 420 or 429 (res->retry_after_ms when the server said);
 *   BOT_EREMOTE    5xx (retryable) or another 4xx (permanent: see
 *                  sp_api_permanent());
 *   BOT_ENOTFOUND  404;
 *   BOT_ENET       no answer (connect failure, timeout, aborted);
 *   BOT_EPROTO     a 2xx whose body is not JSON; BOT_ETOOBIG past SP_API_MAX_RESPONSE.
 */
enum bot_rc sp_api_request(struct sp_api *c, const char *method, const char *path,
                           const cJSON *body, struct sp_api_result *res,
                           struct bot_err *err) BOT_MUST_CHECK;

/* True when rc/res of a request can never succeed as it is (4xx other than 420/429/408). */
bool sp_api_permanent(enum bot_rc rc, const struct sp_api_result *res);

/*
 * POST /incidents with {"incident": incident}; incident (borrowed) should
 * carry metadata {SP_API_METADATA_KEY: {"tag": tag}} so sp_api_incident_find
 * can recognise it; sp_api_incident_body() builds that.
 */
enum bot_rc sp_api_incident_create(struct sp_api *c, const cJSON *incident,
                                   struct sp_api_result *res, struct bot_err *err) BOT_MUST_CHECK;
/* PATCH /incidents/{id} with {"incident": incident}. */
enum bot_rc sp_api_incident_update(struct sp_api *c, const char *id, const cJSON *incident,
                                   struct sp_api_result *res, struct bot_err *err) BOT_MUST_CHECK;
/* GET /incidents/{id}: the incident with its incident_updates (newest first) in res->body. */
enum bot_rc sp_api_incident_get(struct sp_api *c, const char *id, struct sp_api_result *res,
                                struct bot_err *err) BOT_MUST_CHECK;
/*
 * Whether an update reading status/body is already the newest of incident's
 * incident_updates (incident: a GET answer, borrowed): the PATCH that adds
 * it was carried out by an attempt whose answer was lost. status NULL: any
 * status (a PATCH without one keeps the incident's); body NULL: an update
 * without text. Updates of one incident are sent in order, so an update of
 * ours that was carried out is the newest; one identical to the newest is
 * never worth a second notification either. *update_id (SP_API_MAX_ID
 * bytes, may be NULL) gets the matching update's id.
 */
bool sp_api_update_applied(const cJSON *incident, const char *status, const char *body,
                           char *update_id);
/*
 * The HTTP status of the client's last request since the previous call: 0
 * when it got no answer (a network error, a timeout), -1 when no request
 * was made; then forgets it. The caller tells an outage (0, 5xx) from a
 * page that answers.
 */
long sp_api_take_status(struct sp_api *c);
/*
 * DELETE /incidents/{id}: a withdrawn incident leaves the page. Same codes as
 * sp_api_request; a 404 (gone already) is the caller's to treat as done.
 */
enum bot_rc sp_api_incident_delete(struct sp_api *c, const char *id, struct sp_api_result *res,
                                   struct bot_err *err) BOT_MUST_CHECK;
/*
 * Looks among the most recent incidents (GET /incidents, SP_API_FIND_PAGES
 * pages of SP_API_FIND_LIMIT) for one whose metadata carries tag; copies its
 * id into id (SP_API_MAX_ID bytes). BOT_ENOTFOUND when there is none; other
 * codes as sp_api_request (res holds the last answer).
 */
enum bot_rc sp_api_incident_find(struct sp_api *c, const char *tag, char *id,
                                 struct sp_api_result *res, struct bot_err *err) BOT_MUST_CHECK;
/* PATCH /components/{id} with {"component": {"status": status}}. */
enum bot_rc sp_api_component_set(struct sp_api *c, const char *component_id, const char *status,
                                 struct sp_api_result *res, struct bot_err *err) BOT_MUST_CHECK;
/*
 * The postmortem of incident id: PUT …/postmortem {"postmortem": {"body_draft": body}},
 * then PUT …/postmortem/publish {"postmortem": {"notify_subscribers": notify,
 * "notify_twitter": false}}. Both are idempotent, so a retry repeats both.
 */
enum bot_rc sp_api_postmortem(struct sp_api *c, const char *id, const char *body, bool notify,
                              struct sp_api_result *res, struct bot_err *err) BOT_MUST_CHECK;

/*
 * A new incident object (caller frees) for create: name, status,
 * impact_override (NULL: not sent), body, component_ids and components
 * ({id: component_status} for the n ids), and metadata tagged with tag.
 */
cJSON *sp_api_incident_body(const char *name, const char *status, const char *impact,
                            const char *body, const char *const *component_ids, size_t n,
                            const char *component_status, const char *tag);

#endif
