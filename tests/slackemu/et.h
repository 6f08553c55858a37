/*
 * A small test client for slackemu, used by its tests and its benchmark:
 * start the real slackemu binary on port 0 in a temporary directory (with
 * an optional wrapper such as valgrind from $SLACKEMU_WRAPPER) and stop it,
 * checking its exit status; HTTP calls over loopback with libcurl; a
 * blocking WebSocket client written for tests (it can also send malformed
 * frames on purpose); and the structural JSON comparison the sample tests
 * use (same keys, same JSON types, recursively).
 */
#ifndef SLACKEMU_ET_H
#define SLACKEMU_ET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#define ET_MAX_FRAME (8u << 20) /* biggest frame the test client accepts */

struct et_emu {
    pid_t pid;
    int port;
    char base[64]; /* http://127.0.0.1:PORT */
    char dir[128]; /* temporary directory (log, workspace files) */
    char log[192]; /* the emulator's stderr */
};

/* Starts bin with args (NULL-terminated, may be NULL) and waits for its listening line. */
bool et_emu_start(struct et_emu *e, const char *bin, const char *const *args);
/* SIGTERM, then waits; returns the exit status (0 is a clean exit), -1 on a signal/timeout.
 * Removes the temporary directory unless the status is bad. */
int et_emu_stop(struct et_emu *e);

struct et_resp {
    long status;
    char *body; /* owned */
    size_t len;
    cJSON *json;          /* parsed body or NULL; owned */
    char retry_after[32]; /* "" when absent */
    char content_type[128];
};
void et_resp_free(struct et_resp *r);

/* One HTTP request; body may be NULL. auth is the whole Authorization value or NULL. */
bool et_http(const struct et_emu *e, const char *verb, const char *path, const char *ctype,
             const char *body, size_t len, const char *auth, struct et_resp *out);
/* POST /api/<method> with a JSON body and a Bearer token (NULL: none); returns the parsed
 * answer (caller deletes) or NULL. */
cJSON *et_api(const struct et_emu *e, const char *method, const char *token, const char *json);
/* The same with a form body. */
cJSON *et_api_form(const struct et_emu *e, const char *method, const char *token, const char *form);
/* POST /_emu/<path> with a JSON body (NULL: empty). */
cJSON *et_ctl(const struct et_emu *e, const char *path, const char *json);
/* GET /_emu/<path_and_query>. */
cJSON *et_ctl_get(const struct et_emu *e, const char *path);

/* A blocking WebSocket client. */
struct et_ws {
    int fd;
    unsigned char *buf;
    size_t len, cap;
    int pings_seen; /* server pings answered */
    int close_code; /* from a close frame, or 0 */
    bool closed;
};
/* Connects to a ws:// URL; *status gets the HTTP status of the handshake (101 on success). */
bool et_ws_connect(struct et_ws *w, const char *url, int *status);
bool et_ws_send_text(struct et_ws *w, const char *text);
/* Sends one frame as given: opcode, fin, and masked or not (servers must reject unmasked). */
bool et_ws_send_frame(struct et_ws *w, int opcode, const void *data, size_t len, bool fin,
                      bool mask);
bool et_ws_send_raw(struct et_ws *w, const void *data, size_t len);
/* Next text/binary frame: 1 with *data (owned, NUL-terminated), 0 on timeout, -1 when
 * closed. Pings are answered and counted; pongs are skipped. */
int et_ws_recv(struct et_ws *w, int timeout_ms, int *opcode, char **data, size_t *len);
/* Next text frame parsed as JSON, or NULL on timeout/close/bad JSON. */
cJSON *et_ws_recv_json(struct et_ws *w, int timeout_ms);
/* Waits until the server closes the connection; true if it did within the time. */
bool et_ws_wait_closed(struct et_ws *w, int timeout_ms);
/* Sends a ping with payload and waits for the matching pong. */
bool et_ws_ping(struct et_ws *w, const char *payload, int timeout_ms);
void et_ws_close(struct et_ws *w);

/* Connects with a fresh ticket (apps.connections.open with token) and reads hello. Returns
 * hello (caller deletes) or NULL. */
cJSON *et_socket_open(const struct et_emu *e, struct et_ws *w, const char *app_token);

/* Structural equality: same keys, same JSON types, recursively; arrays compare their
 * elements pairwise up to the shorter length. On a difference writes where into why. */
bool et_same_shape(const cJSON *want, const cJSON *got, char *why, size_t whysz);

/* Reads a whole file (caller frees) or NULL. */
char *et_read_file(const char *path, size_t *len);
cJSON *et_read_json(const char *path);

/* Milliseconds of a monotonic clock. */
long long et_now_ms(void);

#endif
