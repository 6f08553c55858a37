/*
 * libFuzzer target for the /incident command line, decided for real: the
 * bytes are split, dispatched and decided by the plan against a database
 * (a temp file, each run rolled back), so every handler's validation is
 * fuzzed, not only the splitting. It must never crash or leak, and no reply
 * may carry a mass mention made of user text; a text with a character
 * utf8_check_text() refuses is answered with that and nothing else; the
 * words' spans lie in order inside the text, and cmd_args_raw() of all of
 * them is the text between the first and the last word. Built only with
 * clang (tests/bot.cmake).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "plan.h"
#include "store.h"
#include "utf8.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *db;
static char path[] = "/tmp/incidentd-fuzz-cmd-XXXXXX";
static const int64_t remind[] = {24, 1};
static const struct plan_config cfg = {
    .min_duration_minutes = 15,
    .min_affected_users = 5,
    .sev = DECLARE_SEV_THRESHOLDS_DEFAULT,
    .channel_template = "inc-{date}-{id}-{slug}",
    .announce_channel = "C0INCIDENTS",
    .irm_group = "",
    .dpo = "U0DPO000001",
    .breach_notify_hours = 72,
    .breach_remind_hours = remind,
    .n_breach_remind_hours = 2,
    .call_url_template = "https://meet.example.com/{channel}",
    .oncall_group = "",
    .declare_everyone = true,
    .manage_everyone = true,
};

static void cleanup(void)
{
    char f[64];
    store_close(db);
    for (int i = 0; i < 3; i++) {
        snprintf(f, sizeof(f), "%s/f.db%s", path, i == 0 ? "" : i == 1 ? "-wal" : "-shm");
        unlink(f);
    }
    rmdir(path);
}

static void open_db(void)
{
    struct bot_err err;
    char f[64];
    xmalloc_init_cjson();
    if (mkdtemp(path) == NULL)
        abort();
    snprintf(f, sizeof(f), "%s/f.db", path);
    if (store_open(f, &db, &err) != BOT_OK)
        abort();
    atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bot_err err;
    if (db == NULL)
        open_db();
    struct plan p = {.cfg = &cfg, .store = db, .now_ms = 1795428000000LL, .event_id = "fuzz"};
    struct cmd_call call = {.command = "/incident", .user_id = "U1", .channel_id = "C1",
                            .response_url = "https://hooks.slack.com/x", .trigger_id = "1.2.3",
                            .plan = &p};
    struct cmd_result r;
    if (store_begin(db, &err) != BOT_OK)
        abort();
    cmd_result_init(&r);
    (void)!cmd_run(&call, (const char *)data, size, &r);
    store_rollback(db);
    const char *s = buf_str(&r.reply);
    if (strstr(s, "<!channel") || strstr(s, "<!here") || strstr(s, "<!everyone"))
        abort();
    if (size <= CMD_MAX_TEXT && !utf8_check_text((const char *)data, size, UTF8_MULTILINE, NULL) &&
        strncmp(s, ":warning: The command contains ", 31) != 0)
        abort();
    cmd_result_free(&r);

    struct cmd_args a;
    if (cmd_split((const char *)data, size, &a, &err) == BOT_OK) {
        for (int i = 0; i < a.argc; i++)
            if (a.start[i] >= a.end[i] || a.end[i] > size || (i > 0 && a.start[i] < a.end[i - 1]))
                abort();
        char *raw = cmd_args_raw(&a, 0, a.argc);
        size_t n = strlen(raw);
        if (a.argc > 0 && (n != (size_t)(a.end[a.argc - 1] - a.start[0]) ||
                           memcmp(raw, data + a.start[0], n) != 0))
            abort();
        free(raw);
        cmd_args_free(&a);
    }
    return 0;
}
