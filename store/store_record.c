/*
 * The record and the work of an incident: timeline entries
 * (store_timeline.h), the nine-step checklist (store_checklist.h) and the
 * numbered follow-ups (store_followup.h). All rows hang off an incident and
 * are never deleted with the product's API; a checklist step reopened is the
 * one exception, since "not done" is the absence of a row.
 */
#include <stdlib.h>
#include <string.h>

#include "store_checklist.h"
#include "store_followup.h"
#include "store_internal.h"
#include "store_timeline.h"
#include "xmalloc.h"

/* ---- timeline ---- */

void store_timeline_list_free(struct store_timeline_entry *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].actor);
        free(rows[i].kind);
        free(rows[i].text);
        free(rows[i].status);
    }
    free(rows);
}

enum bot_rc store_timeline_append(struct store *s, struct store_timeline_entry *e,
                                  struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    if (e->kind == NULL || e->kind[0] == '\0' || e->at <= 0)
        return bot_err_set(err, BOT_EINVAL, "timeline append: a kind and a time are required");
    rc = store_stmt(s, STMT_TIMELINE_APPEND,
                    "INSERT INTO timeline (incident_id, at, actor, kind, text, public, status)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, e->incident_id);
    b |= store_bind_int(st, 2, e->at);
    b |= store_bind_text(st, 3, e->actor);
    b |= store_bind_text(st, 4, e->kind);
    b |= store_bind_text(st, 5, e->text ? e->text : "");
    b |= store_bind_int(st, 6, e->public != 0);
    b |= store_bind_text(st, 7, e->status);
    if (b) {
        rc = store_sqlerr(s, b, "timeline append", err);
        goto out;
    }
    rc = store_step_row(s, st, "timeline append", err);
    if (rc)
        goto out;
    e->id = store_col_int(st, 0);
    rc = store_step_done(s, st, "timeline append", err);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_timeline_list(struct store *s, int64_t incident_id, int public_only,
                                struct store_timeline_entry **rows, size_t *n, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    size_t cap = 0;
    int b, src;

    *rows = NULL;
    *n = 0;
    rc = store_stmt(s, STMT_TIMELINE_LIST,
                    "SELECT id, incident_id, at, actor, kind, text, public, status FROM timeline"
                    " WHERE incident_id = ?1 AND (?2 = 0 OR public = 1) ORDER BY at, id",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    b |= store_bind_int(st, 2, public_only != 0);
    if (b) {
        rc = store_sqlerr(s, b, "timeline list", err);
        goto out;
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        rc = store_grow((void **)rows, sizeof(**rows), *n, &cap, "timeline list", err);
        if (rc)
            goto out;
        struct store_timeline_entry *e = &(*rows)[*n];
        e->id = store_col_int(st, 0);
        e->incident_id = store_col_int(st, 1);
        e->at = store_col_int(st, 2);
        e->actor = store_col_text(st, 3);
        e->kind = store_col_text(st, 4);
        e->text = store_col_text(st, 5);
        e->public = (int)store_col_int(st, 6);
        e->status = store_col_text(st, 7);
        (*n)++;
    }
    if (src != SQLITE_DONE)
        rc = store_sqlerr(s, src, "timeline list", err);
out:
    store_stmt_done(st);
    if (rc) {
        store_timeline_list_free(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- checklist ---- */

static enum bot_rc checklist_set(struct store *s, int64_t incident_id, int step, int skipped,
                                 const char *by, int64_t at, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    if (step < 1 || step > STORE_CHECKLIST_STEPS || at <= 0)
        return bot_err_set(err, BOT_EINVAL, "checklist: step %d is not 1..%d or no time given",
                           step, STORE_CHECKLIST_STEPS);
    rc = store_stmt(s, STMT_CHECKLIST_SET,
                    "INSERT INTO checklist (incident_id, step, skipped, done_by, done_at)"
                    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (incident_id, step) DO UPDATE"
                    " SET skipped = excluded.skipped, done_by = excluded.done_by,"
                    " done_at = excluded.done_at",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    b |= store_bind_int(st, 2, step);
    b |= store_bind_int(st, 3, skipped);
    b |= store_bind_text(st, 4, by);
    b |= store_bind_time(st, 5, at);
    if (b) {
        rc = store_sqlerr(s, b, "checklist", err);
        goto out;
    }
    rc = store_step_done(s, st, "checklist", err);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_checklist_mark(struct store *s, int64_t incident_id, int step, const char *by,
                                 int64_t at, struct bot_err *err)
{
    return checklist_set(s, incident_id, step, 0, by, at, err);
}

enum bot_rc store_checklist_skip(struct store *s, int64_t incident_id, int step, const char *by,
                                 int64_t at, struct bot_err *err)
{
    return checklist_set(s, incident_id, step, 1, by, at, err);
}

enum bot_rc store_checklist_reopen(struct store *s, int64_t incident_id, int step,
                                   struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = store_stmt(s, STMT_CHECKLIST_CLEAR,
                    "DELETE FROM checklist WHERE incident_id = ?1 AND step = ?2", &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    b |= store_bind_int(st, 2, step);
    if (b) {
        rc = store_sqlerr(s, b, "checklist reopen", err);
        goto out;
    }
    rc = store_step_done(s, st, "checklist reopen", err);
    if (rc)
        goto out;
    if (sqlite3_changes(s->db) == 0)
        rc = bot_err_set(err, BOT_ENOTFOUND, "checklist: step %d of incident %lld is not done",
                         step, (long long)incident_id);
out:
    store_stmt_done(st);
    return rc;
}

void store_checklist_clear(struct store_checklist_item items[STORE_CHECKLIST_STEPS])
{
    for (int i = 0; i < STORE_CHECKLIST_STEPS; i++) {
        free(items[i].done_by);
        memset(&items[i], 0, sizeof(items[i]));
        items[i].step = i + 1;
    }
}

enum bot_rc store_checklist_get(struct store *s, int64_t incident_id,
                                struct store_checklist_item items[STORE_CHECKLIST_STEPS],
                                struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b, src;

    for (int i = 0; i < STORE_CHECKLIST_STEPS; i++) {
        memset(&items[i], 0, sizeof(items[i]));
        items[i].step = i + 1;
    }
    rc = store_incident_exists(s, incident_id, err);
    if (rc)
        goto out;
    rc = store_stmt(s, STMT_CHECKLIST_LIST,
                    "SELECT step, skipped, done_by, done_at FROM checklist WHERE incident_id = ?1"
                    " ORDER BY step",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    if (b) {
        rc = store_sqlerr(s, b, "checklist", err);
        goto out;
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        int step = (int)store_col_int(st, 0);
        if (step < 1 || step > STORE_CHECKLIST_STEPS)
            continue; /* the schema's CHECK makes this impossible */
        struct store_checklist_item *it = &items[step - 1];
        it->done = 1;
        it->skipped = (int)store_col_int(st, 1);
        free(it->done_by);
        it->done_by = store_col_text(st, 2);
        it->done_at = store_col_int(st, 3);
    }
    if (src != SQLITE_DONE)
        rc = store_sqlerr(s, src, "checklist", err);
out:
    store_stmt_done(st);
    if (rc)
        store_checklist_clear(items);
    return rc;
}

/* ---- follow-ups ---- */

void store_followup_list_free(struct store_followup *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].text);
        free(rows[i].owner);
        free(rows[i].created_by);
        free(rows[i].done_by);
    }
    free(rows);
}

enum bot_rc store_followup_add(struct store *s, int64_t incident_id, const char *text,
                               const char *owner, int64_t due_at, const char *by, int64_t at,
                               int *n, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    *n = 0;
    if (text == NULL || text[0] == '\0' || at <= 0)
        return bot_err_set(err, BOT_EINVAL, "follow-up: text and a time are required");
    /* One statement: numbering and insert are atomic under the write lock. */
    rc = store_stmt(s, STMT_FOLLOWUP_ADD,
                    "INSERT INTO followups (incident_id, n, text, owner, due_at, created_by,"
                    " created_at) SELECT ?1, COALESCE(MAX(n), 0) + 1, ?2, ?3, ?4, ?5, ?6"
                    " FROM followups WHERE incident_id = ?1 RETURNING n",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    b |= store_bind_text(st, 2, text);
    b |= store_bind_text(st, 3, owner);
    b |= store_bind_time(st, 4, due_at);
    b |= store_bind_text(st, 5, by);
    b |= store_bind_time(st, 6, at);
    if (b) {
        rc = store_sqlerr(s, b, "follow-up add", err);
        goto out;
    }
    rc = store_step_row(s, st, "follow-up add", err);
    if (rc)
        goto out;
    *n = (int)store_col_int(st, 0);
    rc = store_step_done(s, st, "follow-up add", err);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_followup_list(struct store *s, int64_t incident_id, struct store_followup **rows,
                                size_t *n, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    size_t cap = 0;
    int b, src;

    *rows = NULL;
    *n = 0;
    rc = store_stmt(s, STMT_FOLLOWUP_LIST,
                    "SELECT incident_id, n, text, owner, due_at, created_by, created_at, done_by,"
                    " done_at FROM followups WHERE incident_id = ?1 ORDER BY n",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    if (b) {
        rc = store_sqlerr(s, b, "follow-up list", err);
        goto out;
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        rc = store_grow((void **)rows, sizeof(**rows), *n, &cap, "follow-up list", err);
        if (rc)
            goto out;
        struct store_followup *f = &(*rows)[*n];
        f->incident_id = store_col_int(st, 0);
        f->n = (int)store_col_int(st, 1);
        f->text = store_col_text(st, 2);
        f->owner = store_col_text(st, 3);
        f->due_at = store_col_int(st, 4);
        f->created_by = store_col_text(st, 5);
        f->created_at = store_col_int(st, 6);
        f->done_by = store_col_text(st, 7);
        f->done_at = store_col_int(st, 8);
        (*n)++;
    }
    if (src != SQLITE_DONE)
        rc = store_sqlerr(s, src, "follow-up list", err);
out:
    store_stmt_done(st);
    if (rc) {
        store_followup_list_free(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

enum bot_rc store_followup_done(struct store *s, int64_t incident_id, int n, const char *by,
                                int64_t at, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    if (at <= 0)
        return bot_err_set(err, BOT_EINVAL, "follow-up done: no time given");
    rc = store_stmt(s, STMT_FOLLOWUP_DONE,
                    "UPDATE followups SET done_by = ?3, done_at = ?4 WHERE incident_id = ?1"
                    " AND n = ?2 AND done_at IS NULL",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    b |= store_bind_int(st, 2, n);
    b |= store_bind_text(st, 3, by);
    b |= store_bind_time(st, 4, at);
    if (b) {
        rc = store_sqlerr(s, b, "follow-up done", err);
        goto out;
    }
    rc = store_step_done(s, st, "follow-up done", err);
    if (rc || sqlite3_changes(s->db) == 1)
        goto out;
    /* Nothing changed: say whether it is missing or already done. */
    store_stmt_done(st);
    rc = store_stmt(s, STMT_FOLLOWUP_STATE,
                    "SELECT done_at FROM followups WHERE incident_id = ?1 AND n = ?2", &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    b |= store_bind_int(st, 2, n);
    if (b) {
        rc = store_sqlerr(s, b, "follow-up done", err);
        goto out;
    }
    rc = store_step_row(s, st, "follow-up done", err);
    if (rc == BOT_ENOTFOUND)
        rc = bot_err_set(err, rc, "incident %lld has no follow-up %d", (long long)incident_id, n);
    else if (rc == BOT_OK)
        rc = bot_err_set(err, BOT_ESTATE, "follow-up %d of incident %lld is already done", n,
                         (long long)incident_id);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_followup_count_open(struct store *s, int64_t incident_id, int64_t *count,
                                      struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    *count = 0;
    rc = store_stmt(s, STMT_FOLLOWUP_COUNT_OPEN,
                    "SELECT count(*) FROM followups WHERE incident_id = ?1 AND done_at IS NULL",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    if (b) {
        rc = store_sqlerr(s, b, "follow-up count", err);
        goto out;
    }
    rc = store_step_row(s, st, "follow-up count", err);
    if (rc)
        goto out;
    *count = store_col_int(st, 0);
out:
    store_stmt_done(st);
    return rc;
}
