/*
 * slackemu's internal header: the one context struct (struct emu) every
 * module receives, the request/response pair the HTTP layer hands to the
 * Web API and control handlers, the workspace data model, and each
 * module's functions under its own prefix (emu_http_, emu_api_, emu_sock_,
 * emu_env_, emu_ix_, emu_wk_, emu_blk_, emu_ctl_, emu_rate_, emu_fault_,
 * emu_req_, and the emu_ utilities). slackemu is one small program, so its
 * modules share this header instead of one header each; the workspace model
 * (struct emu_chan, emu_msg, emu_view) is deliberately visible because it is
 * the vocabulary the Web API, the control API and the interaction builders
 * all speak. Other state (connections, envelopes, rate buckets, faults) is
 * private to its module and reached only through functions.
 */
#ifndef SLACKEMU_EMU_H
#define SLACKEMU_EMU_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <libwebsockets.h>

#include "buf.h"

/* Named bounds. */
#define EMU_MAX_BODY           (4u << 20)  /* request body; larger gets HTTP 413 */
#define EMU_MAX_DISCARD        (64u << 20) /* beyond this an oversize upload is cut off */
#define EMU_MAX_PATH           1024        /* request path */
#define EMU_MAX_HDR            2048        /* one request header value */
#define EMU_MAX_WS_MSG         (1u << 20)  /* one incoming websocket message */
#define EMU_MAX_WS_QUEUE       (64u << 20) /* bytes queued to one slow websocket before it is dropped */
#define EMU_MAX_CONNS_LIMIT    64          /* hard ceiling for --max-connections */
#define EMU_ID_LEN             24          /* buffers for ids like C0123456789 */
#define EMU_TS_LEN             24          /* "1700000000.000123" */
#define EMU_UUID_LEN           37          /* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" + NUL */
#define EMU_TRIGGER_LEN        64          /* "1234567890123.1234567890.<32 hex>" */
#define EMU_MAX_TEXT           40000       /* chat.postMessage text (Slack truncates above) */
#define EMU_MAX_UPDATE_TEXT    4000        /* chat.update text: msg_too_long above */
#define EMU_MAX_TOPIC          250         /* conversations.setTopic/setPurpose: too_long above */
#define EMU_MAX_CHAN_NAME      80          /* conversations.create: invalid_name_maxlength above */
#define EMU_MAX_VIEW_BYTES     (250u * 1000u) /* views.*: view_too_large above */
#define EMU_MAX_INVITE         1000           /* conversations.invite: users per call */
#define EMU_RESPONSE_URL_USES  5              /* a response_url works this many times */
#define EMU_RESPONSE_URL_TTL_S 1800           /* ... within 30 minutes */
#define EMU_VIEW_STACK_MAX     3              /* a modal stack holds at most 3 views */
#define EMU_RETRIES            3              /* events_api redeliveries after the first attempt */

/* ---- configuration (filled by emu_main.c from the command line) ---- */
struct emu_cfg {
    const char *host;                 /* address to bind and to put in URLs */
    int port;                         /* 0: the kernel picks */
    const char *workspace_file;       /* NULL: the built-in workspace */
    int conn_lifetime_s;              /* approximate_connection_time */
    int debug_lifetime_s;             /* lifetime with debug_reconnects=true */
    int warning_lead_ms;              /* disconnect warning this long before refresh */
    int refresh_grace_ms;             /* close this long after refresh_requested */
    int ping_interval_ms;             /* server pings; 0 = never */
    int ack_timeout_ms;               /* envelope ack deadline */
    int trigger_ttl_ms;               /* trigger_id lifetime */
    int ticket_ttl_ms;                /* unused apps.connections.open tickets expire */
    int retry_delays_ms[EMU_RETRIES]; /* events_api redelivery delays */
    int max_conns;                    /* Socket Mode connections per app */
    bool rate_limits;                 /* method tiers and chat.postMessage per channel */
    bool quiet;                       /* no per-request log lines */
    uint64_t seed;                    /* 0: seeded from the clock */
    const char *tls_cert, *tls_key;   /* PEM files: serve https/wss; NULL: plain http/ws */
};

/* ---- the context ---- */
struct emu_wk;
struct emu_sock;
struct emu_env;
struct emu_ix;
struct emu_ctl;
struct emu_rate;
struct emu_fault;
struct emu_api;

struct emu {
    struct emu_cfg cfg;
    struct lws_context *lws;
    int port;            /* the port actually bound */
    char base_url[96];   /* http://HOST:PORT */
    char ws_base[96];    /* ws://HOST:PORT */
    uint64_t rng;        /* xorshift state */
    uint64_t ts_last_us; /* last message ts handed out, to keep them unique */
    int64_t started_us;  /* wall clock at start */
    unsigned build_number;
    struct emu_wk *wk;
    struct emu_sock *sock;
    struct emu_env *env;
    struct emu_ix *ix;
    struct emu_ctl *ctl;
    struct emu_rate *rate;
    struct emu_fault *fault;
    struct emu_api *api;
    lws_sorted_usec_list_t sul_tick; /* the periodic housekeeping tick */
};

/* Set by the signal handler; the tick notices it. */
extern volatile sig_atomic_t emu_stop_requested;

/* ---- HTTP request / response handed to handlers ---- */
enum emu_verb { EMU_GET, EMU_POST, EMU_OTHER };

struct emu_http; /* one in-flight HTTP transaction (emu_http.c) */

struct emu_req {
    enum emu_verb verb;
    const char *verb_name;   /* "GET", "POST", ... */
    char path[EMU_MAX_PATH]; /* decoded path without the query */
    cJSON *query;            /* object: name -> string, from the query string */
    char content_type[256];  /* "" when absent */
    char authorization[EMU_MAX_HDR];
    const char *body; /* NUL-terminated, may be "" */
    size_t body_len;
    bool body_too_big;     /* over EMU_MAX_BODY: body is empty */
    struct emu_http *http; /* for handlers that answer later (emu_http_answer) */
};

struct emu_resp {
    int status;               /* HTTP status, 200 unless set */
    const char *content_type; /* static string; default application/json; charset=utf-8 */
    char *body;               /* owned, xmalloc'd */
    size_t body_len;
    int retry_after;  /* > 0: add Retry-After */
    int64_t delay_us; /* answer this much later */
    bool hang;        /* never answer */
    bool deferred;    /* a handler kept req->http and answers with emu_http_answer() */
    bool close;       /* drop the connection instead of answering */
    char note[96];    /* short text for the request log, e.g. the error code */
};

/* emu_http.c: the lws protocol callback (HTTP and WebSocket on one port). */
extern const struct lws_protocols emu_http_protocols[];
/* Answers a deferred request; takes resp->body. Safe if the client has gone (then a no-op). */
void emu_http_answer(struct emu *emu, struct emu_http *http, struct emu_resp *resp);
/* Sets resp to a JSON body (takes obj and deletes it). */
void emu_resp_json(struct emu_resp *resp, cJSON *obj);
/* Sets resp to {"ok":false,"error":err} with the given status. */
void emu_resp_error(struct emu_resp *resp, int status, const char *err);

/* ---- emu_util.c ---- */
int64_t emu_mono_us(void);
int64_t emu_wall_us(void);
uint64_t emu_rand(struct emu *emu);
/* prefix followed by n random characters of [A-Z0-9]. */
void emu_rand_id(struct emu *emu, const char *prefix, size_t n, char *out, size_t outsz);
void emu_rand_hex(struct emu *emu, size_t n, char *out, size_t outsz);
void emu_uuid(struct emu *emu, char out[EMU_UUID_LEN]);
void emu_trigger_id(struct emu *emu, char out[EMU_TRIGGER_LEN]);
/* A new unique message ts ("seconds.micros"), strictly increasing. */
void emu_next_ts(struct emu *emu, char out[EMU_TS_LEN]);
void emu_log(struct emu *emu, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses a base-10 long in [min,max]; false on junk or range. */
bool emu_parse_long(const char *s, long min, long max, long *out);
/* cJSON helpers: string member or NULL. */
const char *emu_jstr(const cJSON *obj, const char *key);
/* Returns an xmalloc'd compact rendering. */
char *emu_jprint(const cJSON *obj);
/* Recursive structural comparison is in the tests, not here. */
/* Builds {"ok":false,"error":err}. */
cJSON *emu_jerror(const char *err);
/* Adds response_metadata.messages = [msg] to obj. */
void emu_jadd_messages(cJSON *obj, const char *msg);
/* Strict ASCII lower-case check helpers. */
bool emu_str_has_prefix(const char *s, const char *prefix);

/* ---- emu_req.c: request arguments (query, form, JSON) and tokens ---- */
struct emu_args {
    cJSON *obj;      /* name -> value; strings for form/query, any type for JSON */
    bool json;       /* came from a JSON body */
    char token[512]; /* Bearer header, else form "token"; "" when none */
};
/* Parses req into args. On a body error returns a Slack error code
 * (invalid_json, json_not_object, invalid_post_type, invalid_charset,
 * invalid_form_data) and leaves args empty; NULL on success. Free with emu_args_free. */
const char *emu_req_parse_args(const struct emu_req *req, struct emu_args *args);
void emu_args_free(struct emu_args *args);
/* String argument; numbers and booleans from JSON are rendered. NULL if absent or JSON null. */
const char *emu_arg_str(struct emu_args *args, const char *name);
/* "true"/"1"/true are true; absent gives def. */
bool emu_arg_bool(struct emu_args *args, const char *name, bool def);
long emu_arg_long(struct emu_args *args, const char *name, long def, long min, long max);
/* A JSON argument (blocks, view, attachments): parses strings, returns a new tree the
 * caller deletes, or NULL when absent. *bad is set when present but not JSON. */
cJSON *emu_arg_json(struct emu_args *args, const char *name, bool *bad);
/* Decodes application/x-www-form-urlencoded into obj (last value wins). */
void emu_form_decode(const char *s, size_t len, cJSON *obj);

/* ---- emu_workspace.c: the workspace model ---- */
struct emu_msg {
    char ts[EMU_TS_LEN];
    char thread_ts[EMU_TS_LEN]; /* "" unless a reply */
    cJSON *obj;                 /* the stored message, Slack's shape (type, user, text, ...) */
    cJSON *history;             /* array of previous versions (edits) */
    bool deleted;
    bool from_bot; /* posted by our bot */
};

struct emu_chan {
    char id[EMU_ID_LEN];
    char *name;
    bool is_private, is_archived, is_general, is_im;
    char im_user[EMU_ID_LEN]; /* the other user of an IM */
    long created;
    char creator[EMU_ID_LEN];
    char *topic, *purpose;
    char topic_creator[EMU_ID_LEN], purpose_creator[EMU_ID_LEN];
    long topic_set, purpose_set;
    cJSON *previous_names; /* array of strings */
    char **members;
    size_t nmembers, capmembers;
    struct emu_msg **msgs;
    size_t nmsgs, capmsgs;
    cJSON *pins;      /* array of message ts strings */
    cJSON *bookmarks; /* array of bookmark objects */
};

enum emu_view_state { EMU_VIEW_OPEN, EMU_VIEW_CLOSED, EMU_VIEW_PUBLISHED };

struct emu_view {
    char id[EMU_ID_LEN];
    char root_id[EMU_ID_LEN];
    char previous_id[EMU_ID_LEN]; /* "" for the root */
    char user[EMU_ID_LEN];
    char hash[48];
    char *external_id; /* "" when none */
    cJSON *def;        /* the view as the app sent it (type, title, blocks, ...) */
    cJSON *values;     /* state.values */
    cJSON *errors;     /* last response_action errors, or NULL */
    enum emu_view_state state;
    int64_t opened_us;
};

/* Channel render variants: each Web API method's sample has its own key set. */
enum emu_chan_style {
    EMU_CHAN_CREATE, /* conversations.create */
    EMU_CHAN_INVITE, /* conversations.invite */
    EMU_CHAN_JOIN,   /* conversations.join, rename */
    EMU_CHAN_FULL,   /* conversations.setTopic, info, list */
};
/* View render variants. */
enum emu_view_style {
    EMU_VIEW_API_OPEN,   /* views.open / push / publish answers */
    EMU_VIEW_API_UPDATE, /* views.update answer (previous_view_id, submit null) */
    EMU_VIEW_PAYLOAD,    /* inside view_submission / block_actions payloads */
};
/* Message render variants. */
enum emu_msg_style {
    EMU_MSG_POST,    /* chat.postMessage answer */
    EMU_MSG_PAYLOAD, /* block_actions payload "message" */
    EMU_MSG_STATE,   /* /_emu/state: everything */
};

/* Loads the built-in workspace or file (NULL); on error prints why and returns NULL. */
struct emu_wk *emu_wk_new(struct emu *emu, const char *file);
void emu_wk_free(struct emu_wk *wk);
/* Back to the loaded workspace: drops messages, views, new channels. */
void emu_wk_reset(struct emu *emu);

const char *emu_wk_team_id(struct emu *emu);
const char *emu_wk_team_name(struct emu *emu);
const char *emu_wk_team_domain(struct emu *emu);
const char *emu_wk_app_id(struct emu *emu);
const char *emu_wk_bot_id(struct emu *emu);
const char *emu_wk_bot_user(struct emu *emu);
const char *emu_wk_bot_name(struct emu *emu);
/* Pinned token of a kind ("bot"/"app"), or NULL when any well-formed token is accepted. */
bool emu_wk_token_ok(struct emu *emu, const char *kind, const char *token, bool *pinned);
bool emu_wk_has_scope(struct emu *emu, const char *scope);
bool emu_wk_subscribed(struct emu *emu, const char *event_type);

/* Users: the stored Slack user object (do not modify), or NULL. */
const cJSON *emu_wk_user(struct emu *emu, const char *id);
const cJSON *emu_wk_user_by_email(struct emu *emu, const char *email);
const char *emu_wk_user_name(struct emu *emu, const char *id);
/* Renders a user; with_original adds profile.image_original (users.info). */
cJSON *emu_wk_user_render(const cJSON *user, bool with_original);
cJSON *emu_wk_users_array(struct emu *emu); /* shared, do not free */
const char *emu_wk_first_human(struct emu *emu);
/* User groups. */
cJSON *emu_wk_usergroups(struct emu *emu); /* shared, do not free */
const cJSON *emu_wk_usergroup(struct emu *emu, const char *id);

/* Channels. */
struct emu_chan *emu_wk_chan(struct emu *emu, const char *id);
struct emu_chan *emu_wk_chan_by_name(struct emu *emu, const char *name);
/* Resolves a channel argument: id, name, #name, or a user id (opens the IM). */
struct emu_chan *emu_wk_chan_resolve(struct emu *emu, const char *arg);
size_t emu_wk_nchans(struct emu *emu);
struct emu_chan *emu_wk_chan_at(struct emu *emu, size_t i);
struct emu_chan *emu_wk_chan_create(struct emu *emu, const char *name, bool is_private,
                                    const char *creator);
/* NULL when the name is acceptable, else Slack's error code. */
const char *emu_wk_check_name(struct emu *emu, const char *name, const struct emu_chan *self);
bool emu_wk_is_member(const struct emu_chan *c, const char *user);
/* True if added, false if already there. */
bool emu_wk_add_member(struct emu_chan *c, const char *user);
bool emu_wk_remove_member(struct emu_chan *c, const char *user);
cJSON *emu_wk_chan_render(struct emu *emu, const struct emu_chan *c, enum emu_chan_style st);
void emu_wk_chan_rename(struct emu_chan *c, const char *name);

/* Messages. */
struct emu_msg *emu_wk_msg(struct emu_chan *c, const char *ts);
/* Adds a message; takes obj (which must have type/text...); sets ts and thread links. */
struct emu_msg *emu_wk_msg_add(struct emu *emu, struct emu_chan *c, cJSON *obj,
                               const char *thread_ts, bool from_bot);
/* Replaces text/blocks/attachments of m, keeping history; takes newobj's fields. */
void emu_wk_msg_edit(struct emu *emu, struct emu_msg *m, const char *editor, const char *text,
                     cJSON *blocks, cJSON *attachments);
void emu_wk_msg_delete(struct emu_chan *c, struct emu_msg *m);
cJSON *emu_wk_msg_render(struct emu *emu, const struct emu_msg *m, enum emu_msg_style st);
/* The newest top-level message that is not deleted, or NULL. */
struct emu_msg *emu_wk_latest(struct emu_chan *c);

/* Ephemeral messages: takes obj. */
void emu_wk_ephemeral_add(struct emu *emu, const char *channel, const char *user, cJSON *obj,
                          char ts_out[EMU_TS_LEN]);
cJSON *emu_wk_ephemeral_find(struct emu *emu, const char *ts); /* shared */
void emu_wk_ephemeral_delete(struct emu *emu, const char *ts);

/* Views. */
struct emu_view *emu_wk_view_new(struct emu *emu, const char *user, cJSON *def, const char *root_id,
                                 const char *previous_id);
struct emu_view *emu_wk_view(struct emu *emu, const char *id);
struct emu_view *emu_wk_view_by_external(struct emu *emu, const char *external_id);
/* The topmost open view of root's stack, and its depth. */
struct emu_view *emu_wk_view_top(struct emu *emu, const char *root_id, int *depth);
/* The newest open modal of a user, or NULL. */
struct emu_view *emu_wk_view_user_top(struct emu *emu, const char *user);
/* The user's published Home tab, or NULL. */
struct emu_view *emu_wk_view_user_home(struct emu *emu, const char *user);
/* Replaces def (takes it), new hash. */
void emu_wk_view_replace(struct emu *emu, struct emu_view *v, cJSON *def);
void emu_wk_view_close_stack(struct emu *emu, const char *root_id);
cJSON *emu_wk_view_render(struct emu *emu, const struct emu_view *v, enum emu_view_style st);

/* Calls received per Web API method. */
void emu_wk_count_call(struct emu *emu, const char *method);
/* The whole state for /_emu/state. */
cJSON *emu_wk_state(struct emu *emu);
/* Bookmark ids. */
void emu_wk_new_bookmark_id(struct emu *emu, char out[EMU_ID_LEN]);

/* ---- emu_blocks.c: Block Kit validation ---- */
enum emu_blk_surface { EMU_BLK_MESSAGE, EMU_BLK_MODAL, EMU_BLK_HOME };
/* NULL when valid, else an xmalloc'd "[ERROR] ... [json-pointer:/blocks/...]" message. */
char *emu_blk_check(const cJSON *blocks, enum emu_blk_surface surface);
/* Checks a view definition; NULL or an xmalloc'd message. */
char *emu_blk_check_view(const cJSON *view);
/* Finds the interactive element with action_id in blocks; sets *block_out to its block. */
const cJSON *emu_blk_find_action(const cJSON *blocks, const char *action_id, const char *block_id,
                                 const cJSON **block_out);
/* Gives every block a block_id (Slack does); returns blocks. */
void emu_blk_assign_ids(struct emu *emu, cJSON *blocks);
/* Plain-text rendering of a text object's text, or "". */
const char *emu_blk_text(const cJSON *textobj);

/* ---- emu_rate.c: rate limits ---- */
struct emu_rate *emu_rate_new(void);
void emu_rate_free(struct emu_rate *r);
void emu_rate_reset(struct emu_rate *r);
/* 0 if allowed (and consumed), else seconds to wait. per_min is the steady rate; burst
 * the bucket size. */
int emu_rate_take(struct emu *emu, const char *key, double per_min, double burst);

/* ---- emu_fault.c: injected faults ---- */
enum emu_fault_mode {
    EMU_FAULT_NONE,
    EMU_FAULT_ERROR,
    EMU_FAULT_429,
    EMU_FAULT_500,
    EMU_FAULT_HANG,
    EMU_FAULT_CLOSE,
    EMU_FAULT_HOLD /* carried out, then the answer held for hold_us (lost if the client goes) */
};
struct emu_fault_hit {
    enum emu_fault_mode mode;
    char error[64];
    int retry_after;
    int64_t latency_us;
    int64_t hold_us; /* EMU_FAULT_HOLD */
};
struct emu_fault *emu_fault_new(void);
void emu_fault_free(struct emu_fault *f);
void emu_fault_reset(struct emu_fault *f);
/* Applies and consumes the faults for method (or "*"). */
void emu_fault_take(struct emu *emu, const char *method, struct emu_fault_hit *hit);
/* Adds from a control request; NULL or an error code. */
const char *emu_fault_add(struct emu *emu, const cJSON *req);
cJSON *emu_fault_render(struct emu *emu);

/* ---- emu_api.c: the Web API ---- */
struct emu_api *emu_api_new(void);
void emu_api_free(struct emu_api *a);
void emu_api_handle(struct emu *emu, const char *method, struct emu_req *req,
                    struct emu_resp *resp);
/* True if method is one the emulator implements. */
bool emu_api_known(const char *method);
/* Posts a message as the bot from a response payload (slash ack, response_url). Returns
 * an error code or NULL. Takes nothing. */
const char *emu_api_bot_post(struct emu *emu, const char *channel, const char *user,
                             const cJSON *payload, bool ephemeral, const char *thread_ts);

/* ---- emu_sock.c: Socket Mode connections ---- */
struct emu_conn;
struct emu_sock *emu_sock_new(void);
void emu_sock_free(struct emu_sock *s);
/* Issues a ticket; writes the ws URL. */
void emu_sock_ticket(struct emu *emu, char *url, size_t urlsz);
/* lws callbacks (from emu_http.c). */
int emu_sock_filter(struct emu *emu, struct lws *wsi);
int emu_sock_established(struct emu *emu, struct lws *wsi, struct emu_conn **slot);
int emu_sock_receive(struct emu *emu, struct emu_conn *c, const void *in, size_t len);
int emu_sock_writeable(struct emu *emu, struct emu_conn *c);
void emu_sock_closed(struct emu *emu, struct emu_conn *c);
/* Picks a connection for the next envelope (round robin), or NULL. */
struct emu_conn *emu_sock_pick(struct emu *emu);
unsigned emu_sock_conn_id(const struct emu_conn *c);
/* Queues a text frame; envelope_id (may be NULL) is reported to emu_env when written. */
void emu_sock_send(struct emu *emu, struct emu_conn *c, const char *text, size_t len,
                   const char *envelope_id);
int emu_sock_count(struct emu *emu);
/* Sends disconnect reason to one connection (id) or all (0); then closes if close_after. */
int emu_sock_disconnect(struct emu *emu, unsigned id, const char *reason);
/* Drops every websocket without a close handshake. */
int emu_sock_drop_all(struct emu *emu);
void emu_sock_set_refuse(struct emu *emu, bool refuse);
bool emu_sock_refusing(struct emu *emu);
cJSON *emu_sock_render(struct emu *emu);
cJSON *emu_sock_summary(struct emu *emu);
void emu_sock_tick(struct emu *emu);

/* ---- emu_env.c: envelopes, acks, retries, latency ---- */
enum emu_env_type { EMU_ENV_EVENTS_API, EMU_ENV_SLASH, EMU_ENV_INTERACTIVE };
struct emu_env *emu_env_new(void);
/* Cancels the env's timers; call before the lws_context goes away. */
void emu_env_stop(struct emu *emu);
/* Frees e; its timers must already be cancelled (emu_env_stop). */
void emu_env_free(struct emu_env *e);
void emu_env_reset(struct emu *emu);
/* Delivers payload (taken) as a new envelope. ctx (taken, may be NULL) is handed back to
 * emu_ix_on_ack/emu_ix_on_timeout. Writes the envelope id. Returns false when no connection
 * is open (slash/interactive are then dropped; events_api is retried on schedule). */
bool emu_env_deliver(struct emu *emu, enum emu_env_type type, cJSON *payload,
                     bool accepts_response_payload, cJSON *ctx, char id_out[EMU_UUID_LEN]);
/* From emu_sock: a frame carrying envelope_id was written; sent_us is the time just before
 * the write (latency is measured from there to the ack). */
void emu_env_written(struct emu *emu, const char *envelope_id, unsigned conn_id, int64_t sent_us);
/* From emu_sock: an incoming text message. */
void emu_env_on_message(struct emu *emu, unsigned conn_id, const char *text, size_t len);
void emu_env_tick(struct emu *emu);
cJSON *emu_env_acks(struct emu *emu, long since, const char *envelope_id);
cJSON *emu_env_stats(struct emu *emu, bool reset);
cJSON *emu_env_summary(struct emu *emu);
/* The state of one envelope (sent/acked/...) or NULL. */
cJSON *emu_env_lookup(struct emu *emu, const char *id);
/* Every delivery attempt of the event behind envelope id, oldest first. */
cJSON *emu_env_attempts(struct emu *emu, const char *id);
size_t emu_env_ack_count(struct emu *emu);
bool emu_env_is_acked(struct emu *emu, const char *id);
/* Starts a flood (count envelopes at rate per second); NULL or an error code. */
const char *emu_env_flood(struct emu *emu, long count, double rate, const char *type);
const char *emu_env_type_name(enum emu_env_type t);

/* ---- emu_interact.c: payload builders, acks' effects, response_url ---- */
struct emu_ix *emu_ix_new(void);
void emu_ix_free(struct emu_ix *ix);
void emu_ix_reset(struct emu *emu);
/* Control requests; each fills resp. */
void emu_ix_slash(struct emu *emu, const cJSON *req, struct emu_resp *resp);
void emu_ix_click(struct emu *emu, const cJSON *req, struct emu_resp *resp);
void emu_ix_submit(struct emu *emu, const cJSON *req, struct emu_resp *resp);
void emu_ix_close_view(struct emu *emu, const cJSON *req, struct emu_resp *resp);
void emu_ix_event(struct emu *emu, const cJSON *req, struct emu_resp *resp);
void emu_ix_envelope(struct emu *emu, const cJSON *req, struct emu_resp *resp);
void emu_ix_user_message(struct emu *emu, const cJSON *req, struct emu_resp *resp);
/* Emits an event_callback for event (taken) if the app subscribes to its type. */
void emu_ix_emit_event(struct emu *emu, cJSON *event);
/* From emu_env. */
void emu_ix_on_ack(struct emu *emu, const cJSON *ctx, const cJSON *payload, const char *env_id);
void emu_ix_on_timeout(struct emu *emu, const cJSON *ctx, const char *env_id);
/* POST to a response_url path. */
void emu_ix_response_url(struct emu *emu, struct emu_req *req, struct emu_resp *resp);
/* Trigger ids. */
void emu_ix_trigger_new(struct emu *emu, const char *user, const char *view_root,
                        char out[EMU_TRIGGER_LEN]);
/* NULL if usable (and now used), else the Slack error code. Sets *user and *view_root. */
const char *emu_ix_trigger_use(struct emu *emu, const char *trigger, char user[EMU_ID_LEN],
                               char view_root[EMU_ID_LEN]);
cJSON *emu_ix_render(struct emu *emu);

/* ---- emu_control.c: /_emu/ ---- */
struct emu_ctl *emu_ctl_new(void);
void emu_ctl_free(struct emu_ctl *c);
void emu_ctl_handle(struct emu *emu, const char *cmd, struct emu_req *req, struct emu_resp *resp);
/* Something changed that a /_emu/wait may be waiting for. */
void emu_ctl_poke(struct emu *emu);
/* The HTTP transaction went away. */
void emu_ctl_forget(struct emu *emu, struct emu_http *http);
void emu_ctl_tick(struct emu *emu);

#endif
