/*
 * The Slack Web API client: one method call in, one typed result out.
 * It owns the HTTP side of Slack: the Bearer token (kept in the client,
 * never put in an error message), JSON bodies for the methods that accept
 * them and x-www-form-urlencoded for the rest, the per-method rate limiter,
 * Retry-After on 429, capped exponential backoff with jitter on 5xx and
 * network errors, timeouts on every request, cursor pagination, and turning
 * whatever comes back (not JSON, cut off, ok:false with a code nobody knows)
 * into a return code and a message instead of a crash. It does not log.
 *
 * Threads: a client is used by one thread at a time (one client per worker
 * thread; it keeps one CURL easy handle, so connections are reused between
 * calls). Calls block, so never make them on the lws loop thread. The only
 * function that may be called from another thread is slack_api_abort(). The
 * rate limiter (slack_ratelimit.h) may be shared by the clients of all
 * threads, and should be, since Slack counts per workspace and method.
 * Call slack_api_global_init() once in main() before any thread starts.
 */
#ifndef INCIDENTD_SLACK_API_H
#define INCIDENTD_SLACK_API_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"
#include "slack_ratelimit.h"

#define SLACK_API_DEFAULT_BASE_URL "https://slack.com/api/"
#define SLACK_API_MAX_URL          2048              /* base URL + method name */
#define SLACK_API_MAX_TOKEN        512               /* longest token accepted */
#define SLACK_API_MAX_REQUEST      (2 * 1024 * 1024) /* encoded request body */
#define SLACK_API_MAX_RESPONSE     (8 * 1024 * 1024) /* response body; bigger is BOT_ETOOBIG */
#define SLACK_API_MAX_CODE         128  /* Slack error / warning codes kept in a result */
#define SLACK_API_MAX_ATTEMPTS     10   /* upper bound for opts.max_attempts */
#define SLACK_API_MAX_PAGES        1000 /* upper bound for slack_api_paginate() */

/*
 * Time and randomness, replaceable so that tests neither sleep nor depend
 * on luck. now_ms is monotonic milliseconds; sleep_ms must return early
 * (or at once) as the test wishes; random feeds the backoff jitter.
 */
struct slack_api_hooks {
    int64_t (*now_ms)(void *ud);
    void (*sleep_ms)(void *ud, int64_t ms);
    uint64_t (*random)(void *ud);
    void *ud;
};

/*
 * An in-process Slack instead of HTTP (console mode, bot/console_slack.c).
 * call answers one Web API method (method set, url NULL) or one
 * response_url post (method NULL, url set) with an HTTP status and a
 * malloc'd JSON body in *body; it may be called from several threads at
 * once. The answer is decoded exactly like one from Slack; there is no
 * limiter, no retry and no token check beyond slack_api_new()'s.
 */
struct slack_api_local {
    long (*call)(void *ud, const char *method, const char *url, const cJSON *args, char **body);
    void *ud;
};

/* Client settings; zero means "the default" for every number. */
struct slack_api_opts {
    const char *base_url;    /* NULL: SLACK_API_DEFAULT_BASE_URL; must end in '/'; copied */
    const char *token;       /* required (xoxb-…, xapp-…); copied; never in errors */
    long connect_timeout_ms; /* TCP+TLS connect, per attempt; default 5000 */
    long timeout_ms;         /* whole request, per attempt; default 15000 */
    long deadline_ms;        /* one call including all retries and waits; default 60000 */
    unsigned
        max_attempts; /* requests per call, 1 = no retry; default 4, max SLACK_API_MAX_ATTEMPTS */
    long backoff_base_ms;     /* first retry delay (before jitter); default 500 */
    long backoff_cap_ms;      /* longest retry delay; default 8000 */
    long max_retry_after_ms;  /* a longer Retry-After ends the call with BOT_ERATELIMIT; default
                                 30000 */
    long max_limiter_wait_ms; /* a longer limiter queue ends the call with BOT_ERATELIMIT; default
                                 10000 */
    struct slack_rl
        *limiter;    /* shared limiter, borrowed (must outlive the client); NULL: own one */
    bool no_limiter; /* true: no client-side limiting at all (tests, benchmarks) */
    const struct slack_api_hooks *hooks; /* NULL: the real clock; copied */
    const char *user_agent;              /* NULL: "incidentd"; copied */
    const char *ca_file;                 /* NULL: the system CAs; else trust this PEM bundle
                                            instead (a TLS-inspecting proxy, tests); copied */
    const struct slack_api_local *local; /* NULL: HTTP; else answered in-process (borrowed,
                                            must outlive the client) */
};

/* Per-call flags for slack_api_call_ex(). */
enum {
    /*
     * Do not retry when the request may already have been carried out by
     * Slack (timeout after sending, connection lost mid-answer, 5xx): the
     * call returns BOT_ENET / BOT_EREMOTE with result.ambiguous set and the
     * caller decides (look the object up, or retry later). Retries of
     * requests that surely did not run (connect failures, 429) still happen.
     */
    SLACK_API_NO_AMBIGUOUS_RETRY = 1 << 0,
};

/*
 * What a call produced. Zero-initialise before the first use; every call
 * frees what the struct held before filling it. body is owned by the
 * result (slack_api_result_free() frees it, slack_api_result_take_body()
 * hands it over); messages and warnings point into body.
 */
struct slack_api_result {
    bool ok;                          /* Slack's "ok" (false on any failure) */
    bool ambiguous;                   /* the request may have run although the call failed */
    long http_status;                 /* of the last attempt; 0 when no HTTP answer */
    char error[SLACK_API_MAX_CODE];   /* Slack's "error" code when ok is false, else "" */
    char warning[SLACK_API_MAX_CODE]; /* Slack's "warning" (comma-separated codes) or "" */
    char *next_cursor;      /* response_metadata.next_cursor; NULL when none or ""; owned */
    const cJSON *messages;  /* response_metadata.messages (array) or NULL; borrowed */
    const cJSON *warnings;  /* response_metadata.warnings (array) or NULL; borrowed */
    cJSON *body;            /* the whole JSON answer, or NULL; owned */
    unsigned attempts;      /* HTTP requests made by the call */
    int64_t retry_after_ms; /* last Retry-After (or limiter wait) seen; 0 when none */
    int64_t waited_ms;      /* time spent in the limiter, Retry-After and backoff */
};

/* Frees what res holds and zeroes it. */
void slack_api_result_free(struct slack_api_result *res);
/* Hands the body over (caller frees with cJSON_Delete) and clears the borrowed pointers. */
cJSON *slack_api_result_take_body(struct slack_api_result *res);

/*
 * Decodes one Web API answer (HTTP status and body of len bytes, need not
 * be NUL-terminated) of method into res, replacing what res held; used by
 * the calls, and public for tests, fuzzing and response_url answers.
 * Returns BOT_OK for ok:true, BOT_EREMOTE for ok:false (or a non-2xx status
 * without a Slack answer), BOT_EPROTO for anything that is not a JSON
 * object with a boolean "ok". res->body is kept whenever the body parses.
 */
enum bot_rc slack_api_result_parse(const char *method, long status, const char *body, size_t len,
                                   struct slack_api_result *res,
                                   struct bot_err *err) BOT_MUST_CHECK;

/* How a caller should treat a Slack error code. */
enum slack_api_errclass {
    SLACK_ERRC_NONE = 0,  /* no error */
    SLACK_ERRC_AUTH,      /* the token is bad, revoked or lacks a scope: tell the operator */
    SLACK_ERRC_RATELIMIT, /* slow down and retry later */
    SLACK_ERRC_TRANSIENT, /* Slack's trouble (internal_error ...): retry later, maybe it ran */
    SLACK_ERRC_REQUEST,   /* a known error about this request or its objects: do not retry */
    SLACK_ERRC_UNKNOWN    /* a code this table does not know: treat like REQUEST and report it */
};
enum slack_api_errclass slack_api_error_class(const char *code);

/* curl_global_init(); call once in main() before threads. */
enum bot_rc slack_api_global_init(struct bot_err *err) BOT_MUST_CHECK;
void slack_api_global_cleanup(void);

/* True when Slack accepts a JSON body for method (else a form body is sent). */
bool slack_api_method_accepts_json(const char *method);

struct slack_api;

/*
 * A new client with its own CURL handle; *out is freed with
 * slack_api_free(). BOT_EINVAL for a missing or oversized token or a bad
 * base URL (only http:// and https:// are allowed).
 */
enum bot_rc slack_api_new(const struct slack_api_opts *opts, struct slack_api **out,
                          struct bot_err *err) BOT_MUST_CHECK;
void slack_api_free(struct slack_api *c);

/*
 * Calls method with the members of args (a JSON object, borrowed; NULL for
 * none). Methods that accept JSON get it as the body; the others get a form
 * where strings go as they are, numbers and booleans as text, null members
 * are left out (Slack's "use the default"), and objects and arrays (blocks,
 * view) as JSON text. For chat.postMessage, args' "channel" selects the
 * per-channel limit. Returns:
 *   BOT_OK         ok:true (res->warning may still be set);
 *   BOT_EREMOTE    ok:false (res->error has the code; see
 *                  slack_api_error_class()), or an HTTP error status that
 *                  was not retried or kept failing;
 *   BOT_ERATELIMIT 429 with a Retry-After over opts.max_retry_after_ms or
 *                  past the deadline, or the limiter queue too long
 *                  (res->retry_after_ms tells how long to wait);
 *   BOT_ENET       network failure or timeout after the allowed attempts,
 *                  or slack_api_abort() was called;
 *   BOT_EPROTO     the answer is not a JSON object with a boolean "ok"
 *                  (HTML error page, cut off, empty);
 *   BOT_ETOOBIG    request or answer over SLACK_API_MAX_REQUEST/RESPONSE;
 *   BOT_EINVAL     bad method name or args.
 * res is filled in every case (body only when the answer was JSON).
 */
enum bot_rc slack_api_call(struct slack_api *c, const char *method, const cJSON *args,
                           struct slack_api_result *res, struct bot_err *err) BOT_MUST_CHECK;
/* Same, with SLACK_API_* flags. */
enum bot_rc slack_api_call_ex(struct slack_api *c, const char *method, const cJSON *args,
                              unsigned flags, struct slack_api_result *res,
                              struct bot_err *err) BOT_MUST_CHECK;

/*
 * Appends args (a JSON object, borrowed) to b as an
 * application/x-www-form-urlencoded body, as slack_api_call() sends it to
 * methods that do not accept JSON. BOT_ETOOBIG when b's bound is reached.
 */
enum bot_rc slack_api_encode_form(struct buf *b, const cJSON *args) BOT_MUST_CHECK;

/*
 * Called once per page. page is the page's result; the callback may take
 * its body. Set *more = false to stop early (the walk then returns BOT_OK).
 * A non-zero return ends the walk with that code.
 */
typedef enum bot_rc (*slack_api_page_fn)(void *ud, struct slack_api_result *page, bool *more,
                                         struct bot_err *err);

/*
 * Walks a cursor-paginated method (users.list, conversations.list,
 * conversations.members, usergroups.users.list …): calls method with args
 * plus "cursor" until response_metadata.next_cursor is empty, handing each
 * page to fn. max_pages (<= SLACK_API_MAX_PAGES, 0 for that maximum) bounds
 * the walk: BOT_ETOOBIG when there are more. Errors of a call are returned
 * as from slack_api_call().
 */
enum bot_rc slack_api_paginate(struct slack_api *c, const char *method, const cJSON *args,
                               unsigned max_pages, slack_api_page_fn fn, void *ud,
                               struct bot_err *err) BOT_MUST_CHECK;

/*
 * POSTs msg (a JSON object, borrowed) to a slash command's or an
 * interaction's response_url, without the token (the URL is the
 * credential). Only https:// URLs are accepted, and http:// ones only when
 * the client's own base URL is http:// (the emulator on loopback). Retries
 * and timeouts as for slack_api_call(); the Web API limiter is not used. A
 * 2xx answer that is not Slack's JSON (e.g. "ok") counts as success.
 */
enum bot_rc slack_api_post_url(struct slack_api *c, const char *url, const cJSON *msg,
                               struct slack_api_result *res, struct bot_err *err) BOT_MUST_CHECK;

/*
 * Makes the call in progress (and every later one) fail fast with BOT_ENET,
 * e.g. at shutdown. The one function that may be called from any thread.
 */
void slack_api_abort(struct slack_api *c);

#endif
