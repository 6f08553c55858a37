/*
 * The Socket Mode client: keeps `connections` websocket links to Slack
 * open, decodes what arrives, hands every envelope to the caller and acks
 * it the moment the caller says it is stored. It owns the links' whole life:
 * getting a fresh URL from apps.connections.open (with the app-level token,
 * on a helper thread so that the loop never waits on HTTP), connecting
 * (wss:// verified against the system CAs; ws:// only to loopback), hello,
 * Slack's disconnect requests (a replacement link is opened before the old
 * one is let go), keepalive pings, stall detection, backoff with jitter
 * after failures, reassembly of fragmented frames up to a named cap, and
 * surviving bad frames. It does not log: everything worth a log line is
 * reported through on_note, and the counters are there for /metrics.
 *
 * It runs inside the caller's lws_context, so the bot's HTTP server and
 * this client share one loop thread:
 *
 *     slack_ws_new(&opts, &ws, &err);
 *     protocols[] = { http..., *slack_ws_protocol(ws), { 0 } };
 *     ctx = lws_create_context(&info);   // info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT
 *     slack_ws_start(ws, ctx, NULL, &err);
 *     while (!stop) lws_service(ctx, 0);
 *     slack_ws_stop(ws);                 // on the loop thread, before the context goes
 *     lws_context_destroy(ctx);
 *     slack_ws_free(ws);                 // after the context is gone
 *
 * Threads: every function runs on the loop thread (the one calling
 * lws_service) except slack_ws_new/slack_ws_free, which run when the loop is
 * not running. Callbacks are called on the loop thread; they must be quick
 * (on_envelope queues or stores the envelope and returns; an ack is only
 * sent after it returns, or at slack_ws_flush/_one() for a deferred one).
 * Internally one helper thread makes the blocking apps.connections.open
 * calls and wakes the loop with lws_cancel_service(), the only lws call it
 * makes. lws resolves host names synchronously on the
 * loop thread; that happens once per new link, and new links are rare and
 * backed off.
 */
#ifndef INCIDENTD_SLACK_WS_H
#define INCIDENTD_SLACK_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <libwebsockets.h>

#include "err.h"
#include "slack_envelope.h"

#define SLACK_WS_MAX_FRAME           (1024 * 1024) /* one reassembled text message; larger is dropped */
#define SLACK_WS_MAX_CONNECTIONS     10            /* Slack's limit of links per app */
#define SLACK_WS_DEFAULT_CONNECTIONS 2
#define SLACK_WS_MAX_URL             2048              /* a wss:// URL from apps.connections.open */
#define SLACK_WS_MAX_ACK_QUEUE       (4 * 1024 * 1024) /* ack bytes waiting for one link's socket */
#define SLACK_WS_PROTOCOL_NAME       "incidentd-slack-socket-mode"

/* What on_note reports. link is the link's number (1, 2, …), 0 when none. */
enum slack_ws_note {
    SLACK_WS_NOTE_CONNECTING,     /* a new link is being opened (msg: host) */
    SLACK_WS_NOTE_READY,          /* a link got hello and receives envelopes */
    SLACK_WS_NOTE_RETIRING,       /* Slack asked to refresh a link; a replacement is opened first */
    SLACK_WS_NOTE_CLOSED,         /* a link went away (msg: why); it is replaced */
    SLACK_WS_NOTE_CONNECT_FAILED, /* getting a URL or connecting failed; retried after a backoff */
    SLACK_WS_NOTE_BACKOFF, /* Slack said too_many_websockets on a link: the links that work
                              are kept, the refused one is not replaced for a while (msg) */
    SLACK_WS_NOTE_STALL,   /* nothing arrived for stall_ms (or no hello): link dropped, replaced */
    SLACK_WS_NOTE_BAD_FRAME,    /* not JSON, binary, no type, envelope without id: dropped */
    SLACK_WS_NOTE_UNKNOWN_TYPE, /* a frame type this client does not know: dropped, not acked */
    SLACK_WS_NOTE_OVERSIZE,     /* a frame over max_frame: dropped */
    SLACK_WS_NOTE_NOT_ACKED,    /* on_envelope refused it, or its ack could not be queued */
    SLACK_WS_NOTE_FATAL         /* stopped for good (bad app token, Socket Mode disabled) */
};

/* Monotonic counts since slack_ws_new(); links_ready is the current number. */
struct slack_ws_counters {
    uint64_t envelopes;  /* envelopes handed to on_envelope */
    uint64_t acks;       /* acks written to a socket */
    uint64_t not_acked;  /* envelopes refused by on_envelope, or whose ack could not be queued */
    uint64_t acks_lost;  /* acks queued on a link that closed before they were written */
    uint64_t reconnects; /* links lost or retired (each one is replaced) */
    uint64_t errors;     /* bad + unknown + oversize frames and connect failures */
    uint64_t bad_frames;
    uint64_t unknown_frames;
    uint64_t oversize_frames;
    uint64_t connect_failures;
    uint64_t stalls;
    uint64_t disconnects; /* disconnect frames received from Slack */
    uint64_t links_ready; /* links currently past hello */
};

/*
 * Called for each events_api / interactive / slash_commands envelope. env
 * and everything it points to are valid during the call only. Return 0 once
 * the envelope is durably stored: the ack is then queued at once. To reply
 * in the ack (slash command text, view_submission response_action, block
 * suggestion options), set *response to a JSON object: the client takes it
 * and frees it. Non-zero: no ack (Slack retries events_api; interactive and
 * slash commands are not retried, and the user sees an error).
 */
typedef int (*slack_ws_envelope_fn)(void *ud, const struct slack_envelope *env, cJSON **response);
/*
 * on_envelope may also answer SLACK_WS_DEFER: the envelope went into a batch
 * that is not committed yet (group commit: one commit for every envelope of
 * a poll round). Its ack, with *response if set, is held until the caller's
 * slack_ws_flush(), and goes out only if that says the batch was stored.
 */
#define SLACK_WS_DEFER 2 /* any other non-zero answer still means "not stored: no ack" */
/* Called for everything a log line should say; msg is valid during the call only. */
typedef void (*slack_ws_note_fn)(void *ud, enum slack_ws_note note, unsigned link, const char *msg);

/* Settings; zero means "the default" for every number. */
struct slack_ws_opts {
    const char *app_token;    /* xapp-…; required; copied; never in messages */
    const char *token_name;   /* names the token in fatal messages; NULL: "SLACK_APP_TOKEN" */
    const char *api_base_url; /* Web API base for apps.connections.open; NULL: Slack's */
    const char *ca_file;      /* PEM bundle trusted for apps.connections.open instead of the
                                 system CAs; NULL: system CAs. The wss:// links use the CA
                                 file of the lws vhost (client_ssl_ca_filepath); copied */
    unsigned connections;     /* links kept open; default 2, at most SLACK_WS_MAX_CONNECTIONS */
    long ping_interval_ms;    /* client pings; default 5000; < 0: none */
    long stall_ms; /* reconnect when nothing (frame or pong) came for this long; default 30000 */
    long hello_timeout_ms;    /* a link without hello this long after connecting is dropped; default
                                 10000 */
    long drain_ms;            /* a retired link whose replacement is ready is closed once no frame
                                 came for this long (or Slack closes it); default 1000 */
    long close_timeout_ms;    /* a link that does not finish closing is cut; default 5000 */
    long backoff_base_ms;     /* first delay after a failure (before jitter); default 1000 */
    long backoff_cap_ms;      /* longest delay; default 60000 */
    long too_many_backoff_ms; /* after too_many_websockets, no more links than the ones kept
                                 for this long (one link is retried sooner, with the backoff,
                                 when none is left); default 30000 */
    long api_timeout_ms;      /* apps.connections.open, per attempt; default 10000 */
    size_t max_frame;         /* default and maximum SLACK_WS_MAX_FRAME */
    slack_ws_envelope_fn on_envelope; /* required */
    slack_ws_note_fn on_note;         /* may be NULL */
    void *ud;                         /* passed to both callbacks */
};

struct slack_ws;

/* Checks and copies opts; *out is freed with slack_ws_free(). */
enum bot_rc slack_ws_new(const struct slack_ws_opts *opts, struct slack_ws **out,
                         struct bot_err *err) BOT_MUST_CHECK;

/*
 * The lws protocol to copy into the protocols[] list of the vhost that
 * slack_ws_start() will use, before the context is created. Its user field
 * points to ws. The pointer stays valid until slack_ws_free().
 */
const struct lws_protocols *slack_ws_protocol(struct slack_ws *ws);

/*
 * Starts the helper thread and the first links in ctx, on vhost (NULL: the
 * context's default vhost), which must list slack_ws_protocol(ws). For
 * wss:// the context needs LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT. Call once,
 * on the loop thread or before the loop runs.
 */
enum bot_rc slack_ws_start(struct slack_ws *ws, struct lws_context *ctx, struct lws_vhost *vhost,
                           struct bot_err *err) BOT_MUST_CHECK;

/*
 * Closes every link (acks already queued are sent first when the socket
 * allows) and stops reconnecting; the helper thread stops touching the
 * context. Call on the loop thread before lws_context_destroy().
 */
void slack_ws_stop(struct slack_ws *ws);

/* Joins the helper thread and frees everything. Call after lws_context_destroy(). */
void slack_ws_free(struct slack_ws *ws);

/*
 * Sends the acks held by SLACK_WS_DEFER answers when stored is true (the
 * batch is committed), or drops them (counted as not acked) when false. An
 * ack whose link closed meanwhile is lost and counted (Slack retries
 * events_api envelopes). Call on the loop thread.
 */
void slack_ws_flush(struct slack_ws *ws, bool stored);
/*
 * The same for the oldest held ack only; false when none is held. For a
 * caller that stores envelopes in the order it answered SLACK_WS_DEFER (a
 * queue), so that its n-th result is the n-th held ack. Loop thread.
 */
bool slack_ws_flush_one(struct slack_ws *ws, bool stored);

/* True once the client stopped for good by itself (SLACK_WS_NOTE_FATAL); see slack_ws_error(). */
bool slack_ws_failed(const struct slack_ws *ws);
/* The fatal error's message, "" when none; valid until slack_ws_free(). */
const char *slack_ws_error(const struct slack_ws *ws);

/* Copies the counters. */
void slack_ws_counters(const struct slack_ws *ws, struct slack_ws_counters *out);

/* Static name of a note ("ready", "stall" …); never NULL. */
const char *slack_ws_note_name(enum slack_ws_note note);

#endif
