/*
 * Shared by the plan and worker tests: a real SQLite database in a temp
 * directory, a plan configuration like a deployment's, decisions made the
 * way the worker makes them (one transaction each), and SQL looks at the
 * outcome through a second, read-only connection.
 */
#ifndef INCIDENTD_PLAN_FIXTURE_H
#define INCIDENTD_PLAN_FIXTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "plan.h"
#include "store.h"
#include "worker.h"
#include "xmalloc.h"

static char fx_dir[] = "/tmp/incidentd-plan-XXXXXX";
static struct store *fx_store;
static sqlite3 *fx_db;
static int fx_seq;
static const char *const fx_oncall[] = {"U0ONCALL001", "U0ONCALL002"};
static const int64_t fx_remind[] = {24, 4, 1};
static struct plan_config fx_cfg = {
    .min_duration_minutes = 15,
    .min_affected_users = 5,
    .sev = DECLARE_SEV_THRESHOLDS_DEFAULT,
    .channel_template = "inc-{date}-{id}-{slug}",
    .announce_channel = "C0INCIDENTS",
    .irm_group = "S0IRMGROUP1",
    .irm_users = NULL,
    .n_irm_users = 0,
    .dpo = "U0DPO000001",
    .oncall = fx_oncall,
    .n_oncall = 2,
    .breach_notify_hours = 72,
    .breach_remind_hours = fx_remind,
    .n_breach_remind_hours = 3,
    .call_url_template = "https://meet.example.com/{channel}",
    .oncall_group = "",
    .mirror = true,
    .declare_everyone = true,
    .manage_team = true,
    .manage_irms = true,
    .manage_admins = true,
};
/* 2026-11-23 10:00:00 UTC */
static int64_t fx_now = 1795428000000LL;

/* Removes the temp directory and every database in it, at exit. */
static void fx_cleanup(void)
{
    DIR *d = opendir(fx_dir);
    struct dirent *e;
    char path[512];
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", fx_dir, e->d_name);
        unlink(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(fx_dir);
}

/* A fresh database for each test. */
static __attribute__((unused)) void fx_open(void)
{
    struct bot_err err;
    char path[128];
    if (fx_seq == 0) {
        if (mkdtemp(fx_dir) == NULL)
            abort();
        atexit(fx_cleanup);
    }
    snprintf(path, sizeof(path), "%s/plan-%d.db", fx_dir, ++fx_seq);
    if (store_open(path, &fx_store, &err) != BOT_OK) {
        fprintf(stderr, "store_open: %s\n", err.msg);
        abort();
    }
    if (sqlite3_open_v2(path, &fx_db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        abort();
}

static __attribute__((unused)) void fx_close(void)
{
    sqlite3_close(fx_db);
    store_close(fx_store);
    fx_db = NULL;
    fx_store = NULL;
}

/* Runs the reminders due at `at` as the worker does: each marked done and decided in one
 * transaction. Returns how many ran, or 999 when one could not be. */
static __attribute__((unused)) size_t fx_run_due(int64_t at)
{
    struct store_reminder *rows = NULL;
    size_t n = 0, ran = 0;
    struct bot_err err;
    if (store_reminder_due(fx_store, at, 50, &rows, &n, &err) != BOT_OK)
        return 999;
    for (size_t i = 0; i < n; i++, ran++) {
        struct plan p;
        char id[32];
        snprintf(id, sizeof(id), "reminder-%lld", (long long)rows[i].id);
        worker_plan_init(&p, &fx_cfg, fx_store, at, id);
        if (store_begin(fx_store, &err) != BOT_OK ||
            store_reminder_done(fx_store, rows[i].id, at, &err) != BOT_OK ||
            plan_reminder(&p, &rows[i], &err) != BOT_OK || store_commit(fx_store, &err) != BOT_OK) {
            store_rollback(fx_store);
            ran = 999;
            break;
        }
    }
    store_reminder_list_free(rows, n);
    return ran;
}

/* Decides one envelope in its own transaction, as the worker does; returns the plan's code. */
static __attribute__((unused)) enum bot_rc fx_decide_err(const char *type, const char *payload,
                                                         const char *event_id, struct bot_err *err)
{
    struct plan p;
    struct bot_err e2;
    worker_plan_init(&p, &fx_cfg, fx_store, fx_now, event_id);
    p.tz_offset_min = 0;
    if (store_begin(fx_store, &e2) != BOT_OK)
        abort();
    enum bot_rc rc = worker_decide(&p, type, payload, err);
    if (rc == BOT_OK) {
        if (store_commit(fx_store, &e2) != BOT_OK)
            abort();
    } else {
        store_rollback(fx_store);
    }
    return rc;
}

static __attribute__((unused)) enum bot_rc fx_decide(const char *type, const char *payload,
                                                     const char *event_id)
{
    struct bot_err err = {{0}};
    enum bot_rc rc = fx_decide_err(type, payload, event_id, &err);
    if (rc != BOT_OK)
        fprintf(stderr, "  decide %s: %s\n", event_id, err.msg);
    return rc;
}

/* A slash command by user in channel; the event id is "env-<n>". */
static __attribute__((unused)) enum bot_rc fx_slash(const char *user, const char *channel,
                                                    const char *text)
{
    static int n;
    char id[32];
    snprintf(id, sizeof(id), "env-%d", ++n);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "command", "/incident");
    cJSON_AddStringToObject(p, "text", text);
    cJSON_AddStringToObject(p, "user_id", user);
    cJSON_AddStringToObject(p, "channel_id", channel);
    cJSON_AddStringToObject(p, "response_url", "https://hooks.slack.com/commands/T1/1/x");
    cJSON_AddStringToObject(p, "trigger_id", "1.2.trigger");
    char *s = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    enum bot_rc rc = fx_decide("slash_commands", s, id);
    free(s);
    return rc;
}

/* A click by user on one of our buttons: action_id with value; the event id is "click-<n>". */
static __attribute__((unused)) enum bot_rc fx_click(const char *user, const char *action_id,
                                                    const char *value)
{
    static int n;
    char id[32];
    snprintf(id, sizeof(id), "click-%d", ++n);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "block_actions");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "user"), "id", user);
    cJSON_AddStringToObject(p, "response_url", "https://hooks.slack.com/actions/T1/2/y");
    cJSON_AddStringToObject(p, "trigger_id", "3.4.trigger");
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "action_id", action_id);
    cJSON_AddStringToObject(a, "value", value);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "actions"), a);
    char *s = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    enum bot_rc rc = fx_decide("interactive", s, id);
    free(s);
    return rc;
}

/*
 * A view_submission payload by user of the modal callback, with its
 * private_metadata (may be NULL) and view.state.values (JSON text); the
 * caller frees it with cJSON_Delete().
 */
static __attribute__((unused)) cJSON *fx_submission(const char *user, const char *callback,
                                                    const char *meta, const char *values)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "view_submission");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "user"), "id", user);
    cJSON *view = cJSON_AddObjectToObject(p, "view");
    cJSON_AddStringToObject(view, "callback_id", callback);
    if (meta != NULL)
        cJSON_AddStringToObject(view, "private_metadata", meta);
    cJSON *v = cJSON_Parse(values);
    if (v == NULL)
        abort(); /* a test's typo */
    cJSON_AddItemToObject(cJSON_AddObjectToObject(view, "state"), "values", v);
    return p;
}

/* Decides fx_submission(...) like the worker; the event id is "submit-<n>". */
static __attribute__((unused)) enum bot_rc fx_submit(const char *user, const char *callback,
                                                     const char *meta, const char *values)
{
    static int n;
    char id[32];
    snprintf(id, sizeof(id), "submit-%d", ++n);
    cJSON *p = fx_submission(user, callback, meta, values);
    char *s = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    enum bot_rc rc = fx_decide("interactive", s, id);
    free(s);
    return rc;
}

/* The first column of the first row of a query (printf-style), as an integer. */
static __attribute__((unused, format(printf, 1, 2))) long long fx_int(const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    sqlite3_stmt *st;
    long long v = -999;
    if (sqlite3_prepare_v2(fx_db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "  sql: %s: %s\n", sql, sqlite3_errmsg(fx_db));
        return v;
    }
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The same as text ("" when no row or NULL); valid until the next call. */
static __attribute__((unused, format(printf, 1, 2))) const char *fx_str(const char *fmt, ...)
{
    static char out[65536];
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    sqlite3_stmt *st;
    out[0] = '\0';
    if (sqlite3_prepare_v2(fx_db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "  sql: %s: %s\n", sql, sqlite3_errmsg(fx_db));
        return out;
    }
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, sizeof(out), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

/* The text of the latest reply to the user (slack.respond), "" when none. */
static __attribute__((unused)) const char *fx_last_reply(void)
{
    return fx_str("SELECT json_extract(payload, '$.message.text') FROM outbox WHERE "
                  "kind = 'slack.respond' ORDER BY id DESC LIMIT 1");
}

/* Pretends delivery created the incident's channel (what its "save" writes). */
static __attribute__((unused)) void fx_channel_created(long long id, const char *channel_id)
{
    struct store_incident inc;
    struct bot_err err;
    if (store_incident_get(fx_store, id, &inc, &err) != BOT_OK)
        abort();
    free(inc.channel_id);
    inc.channel_id = xstrdup(channel_id);
    if (store_incident_update(fx_store, &inc, &err) != BOT_OK)
        abort();
    store_incident_clear(&inc);
}

/* Pretends delivery posted the incident's announcement (what its "save" writes). */
static __attribute__((unused)) void fx_announced(long long id, const char *ts)
{
    struct store_incident inc;
    struct bot_err err;
    if (store_incident_get(fx_store, id, &inc, &err) != BOT_OK)
        abort();
    free(inc.announce_channel);
    free(inc.announce_ts);
    inc.announce_channel = xstrdup(fx_cfg.announce_channel);
    inc.announce_ts = xstrdup(ts);
    if (store_incident_update(fx_store, &inc, &err) != BOT_OK)
        abort();
    store_incident_clear(&inc);
}

/*
 * Pretends delivery performed every pending view of the incidents (control message, topic,
 * announcement): a later change must then enqueue its own, since views merge into a pending one.
 */
static __attribute__((unused)) void fx_views_delivered(void)
{
    char path[128];
    sqlite3 *rw = NULL;
    snprintf(path, sizeof(path), "%s/plan-%d.db", fx_dir, fx_seq);
    if (sqlite3_open_v2(path, &rw, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(rw, "UPDATE outbox SET state = 'done', done_at = 1 WHERE state = "
                         "'pending' AND kind LIKE 'incident.%'",
                     NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "fx_views_delivered: %s\n", rw ? sqlite3_errmsg(rw) : "?");
        abort();
    }
    sqlite3_close(rw);
}

#endif
