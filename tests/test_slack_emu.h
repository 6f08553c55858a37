/*
 * Shared by the loopback tests of slack/ (test_slack_api_emu.c,
 * test_slack_ws_emu.c): starts a private slackemu on a free port, talks to
 * its /_emu/ control API, and stops it. The emulator's stdout goes to a
 * temporary file, which is read for the "listening" line and is kept on
 * failure for the test log. Each test program gets its own emulator.
 */
#ifndef INCIDENTD_TEST_SLACK_EMU_H
#define INCIDENTD_TEST_SLACK_EMU_H

#include <stdbool.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

struct emu_proc {
    pid_t pid;
    int port;
    char base[64];     /* http://127.0.0.1:PORT */
    char api_base[80]; /* http://127.0.0.1:PORT/api/ */
    char log_path[64]; /* the emulator's stdout and stderr */
};

/*
 * Starts bin with --port 0 and the extra arguments (NULL-terminated list,
 * may be NULL) and waits up to 20 s for it to listen. Returns false (and
 * says why on stderr) when it does not come up.
 */
bool emu_start(struct emu_proc *e, const char *bin, const char *const *extra);
/* SIGTERM, wait, and remove the log unless keep_log. */
void emu_stop(struct emu_proc *e, bool keep_log);

/*
 * POSTs body (JSON text, NULL for none) to /_emu/<cmd> and returns the
 * parsed answer (caller frees), or NULL when the call failed or the answer
 * is not JSON. *status gets the HTTP status when status is not NULL.
 */
cJSON *emu_ctl(const struct emu_proc *e, const char *cmd, const char *body, long *status);
/* GET /_emu/<cmd>; otherwise like emu_ctl. */
cJSON *emu_get(const struct emu_proc *e, const char *cmd, long *status);

/* Monotonic milliseconds, for generous deadlines in polling loops. */
long long emu_now_ms(void);
/* Sleeps ms milliseconds. */
void emu_sleep_ms(long ms);

#endif
