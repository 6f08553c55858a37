/*
 * The durable queues: the inbox of received envelopes (store_inbox.h), the
 * outbox of effects with per-incident, per-target ordering
 * (store_outbox.h), and reminders (store_reminder.h). Claims are single
 * UPDATE ... RETURNING statements, so picking a row and marking it taken is
 * one atomic step even with another connection writing.
 */
#include <stdlib.h>
#include <string.h>

#include "store_inbox.h"
#include "store_internal.h"
#include "store_outbox.h"
#include "store_reminder.h"
#include "xmalloc.h"

/*
 * After a state-changing UPDATE touched no row: says why, by reading the
 * row's state with `sql` (one ?1 = id, one text column).
 */
static enum bot_rc explain_state(struct store *s, enum store_stmt_id sid, const char *sql,
                                 const char *what, int64_t id, const char *expected,
                                 struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = store_stmt(s, sid, sql, &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, id);
    if (b) {
        rc = store_sqlerr(s, b, what, err);
        goto out;
    }
    rc = store_step_row(s, st, what, err);
    if (rc == BOT_ENOTFOUND)
        rc = bot_err_set(err, rc, "%s: no row %lld", what, (long long)id);
    else if (rc == BOT_OK)
        rc = bot_err_set(err, BOT_ESTATE, "%s: row %lld is %s, not %s", what, (long long)id,
                         (const char *)sqlite3_column_text(st, 0), expected);
out:
    store_stmt_done(st);
    return rc;
}

/* Runs a bound UPDATE; BOT_ENOTFOUND-or-BOT_ESTATE via explain_state() when it changed nothing. */
static enum bot_rc transition(struct store *s, sqlite3_stmt *st, int b, const char *what,
                              enum store_stmt_id sid, const char *state_sql, int64_t id,
                              const char *expected, struct bot_err *err)
{
    enum bot_rc rc;

    if (b) {
        rc = store_sqlerr(s, b, what, err);
        goto out;
    }
    rc = store_step_done(s, st, what, err);
    if (rc)
        goto out;
    if (sqlite3_changes(s->db) == 0) {
        store_stmt_done(st);
        st = NULL;
        rc = explain_state(s, sid, state_sql, what, id, expected, err);
    }
out:
    store_stmt_done(st);
    return rc;
}

/* Runs a bound statement returning one integer (count, MIN...); NULL reads as *value = 0. */
static enum bot_rc one_int(struct store *s, sqlite3_stmt *st, int b, const char *what,
                           int64_t *value, int *is_null, struct bot_err *err)
{
    enum bot_rc rc;

    if (b) {
        rc = store_sqlerr(s, b, what, err);
        goto out;
    }
    rc = store_step_row(s, st, what, err);
    if (rc)
        goto out;
    if (is_null)
        *is_null = sqlite3_column_type(st, 0) == SQLITE_NULL;
    *value = store_col_int(st, 0);
out:
    store_stmt_done(st);
    return rc;
}

/* ---- inbox ---- */

#define INBOX_COLS      "id, envelope_id, event_id, type, payload, received_at, state, attempts, error"
#define INBOX_STATE_SQL "SELECT state FROM inbox WHERE id = ?1"

void store_inbox_row_clear(struct store_inbox_row *row)
{
    free(row->envelope_id);
    free(row->event_id);
    free(row->type);
    free(row->payload);
    free(row->state);
    free(row->error);
    memset(row, 0, sizeof(*row));
}

enum bot_rc store_inbox_insert(struct store *s, const char *envelope_id, const char *event_id,
                               const char *type, const char *payload, int64_t received_at,
                               int64_t *id, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b, src;

    if (id)
        *id = 0;
    if (envelope_id == NULL || envelope_id[0] == '\0' || type == NULL || type[0] == '\0' ||
        payload == NULL || received_at <= 0)
        return bot_err_set(err, BOT_EINVAL,
                           "inbox: envelope id, type, payload and time are required");
    if (event_id != NULL && event_id[0] == '\0')
        event_id = NULL;
    if (strlen(envelope_id) > STORE_INBOX_ID_MAX ||
        (event_id != NULL && strlen(event_id) > STORE_INBOX_ID_MAX))
        return bot_err_set(err, BOT_ETOOBIG, "inbox: id longer than %d bytes", STORE_INBOX_ID_MAX);
    rc = store_stmt(s, STMT_INBOX_INSERT,
                    "INSERT INTO inbox (envelope_id, event_id, type, payload, received_at)"
                    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING RETURNING id",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_text(st, 1, envelope_id);
    b |= store_bind_text(st, 2, event_id);
    b |= store_bind_text(st, 3, type);
    b |= store_bind_text(st, 4, payload);
    b |= store_bind_time(st, 5, received_at);
    if (b) {
        rc = store_sqlerr(s, b, "inbox insert", err);
        goto out;
    }
    src = sqlite3_step(st);
    if (src == SQLITE_DONE) {
        /* No row inserted: one of the unique keys was there already. */
        rc = bot_err_set(err, BOT_EEXISTS, "inbox: envelope %s (event %s) already received",
                         envelope_id, event_id ? event_id : "none");
        goto out;
    }
    if (src != SQLITE_ROW) {
        rc = store_sqlerr(s, src, "inbox insert", err);
        goto out;
    }
    if (id)
        *id = store_col_int(st, 0);
    rc = store_step_done(s, st, "inbox insert", err);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_inbox_claim(struct store *s, int64_t now, struct store_inbox_row *row,
                              struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    memset(row, 0, sizeof(*row));
    rc = store_stmt(s, STMT_INBOX_CLAIM,
                    "UPDATE inbox SET state = 'processing', attempts = attempts + 1,"
                    " claimed_at = ?1 WHERE id = (SELECT id FROM inbox WHERE state = 'pending'"
                    " ORDER BY id LIMIT 1) RETURNING " INBOX_COLS,
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_time(st, 1, now);
    if (b) {
        rc = store_sqlerr(s, b, "inbox claim", err);
        goto out;
    }
    rc = store_step_row(s, st, "inbox claim", err);
    if (rc == BOT_ENOTFOUND)
        rc = bot_err_set(err, rc, "inbox: nothing pending");
    if (rc)
        goto out;
    row->id = store_col_int(st, 0);
    row->envelope_id = store_col_text(st, 1);
    row->event_id = store_col_text(st, 2);
    row->type = store_col_text(st, 3);
    row->payload = store_col_text(st, 4);
    row->received_at = store_col_int(st, 5);
    row->state = store_col_text(st, 6);
    row->attempts = store_col_int(st, 7);
    row->error = store_col_text(st, 8);
    rc = store_step_done(s, st, "inbox claim", err);
    if (rc)
        store_inbox_row_clear(row);
out:
    store_stmt_done(st);
    return rc;
}

static enum bot_rc inbox_finish(struct store *s, int64_t id, const char *state, const char *error,
                                int64_t now, const char *what, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = store_stmt(s, STMT_INBOX_FINISH,
                    "UPDATE inbox SET state = ?2, done_at = ?3, error = ?4 WHERE id = ?1"
                    " AND state = 'processing'",
                    &st, err);
    if (rc)
        return rc;
    b = store_bind_int(st, 1, id);
    b |= store_bind_text(st, 2, state);
    b |= store_bind_time(st, 3, now);
    b |= store_bind_text(st, 4, error);
    return transition(s, st, b, what, STMT_INBOX_STATE, INBOX_STATE_SQL, id, "processing", err);
}

enum bot_rc store_inbox_done(struct store *s, int64_t id, int64_t now, struct bot_err *err)
{
    return inbox_finish(s, id, "done", NULL, now, "inbox done", err);
}

enum bot_rc store_inbox_fail(struct store *s, int64_t id, const char *error, int64_t now,
                             struct bot_err *err)
{
    return inbox_finish(s, id, "failed", error ? error : "failed", now, "inbox fail", err);
}

enum bot_rc store_inbox_release(struct store *s, int64_t id, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc = store_stmt(s, STMT_INBOX_RELEASE,
                                "UPDATE inbox SET state = 'pending', attempts = max(attempts - 1,"
                                " 0), claimed_at = NULL WHERE id = ?1 AND state = 'processing'",
                                &st, err);
    if (rc)
        return rc;
    int b = store_bind_int(st, 1, id);
    return transition(s, st, b, "inbox release", STMT_INBOX_STATE, INBOX_STATE_SQL, id,
                      "processing", err);
}

enum bot_rc store_inbox_recover(struct store *s, int64_t max_attempts, int64_t now,
                                int64_t *requeued, int64_t *failed, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    struct store_op op;
    enum bot_rc rc;
    int64_t nfailed = 0, nrequeued = 0;
    int b;

    if (requeued)
        *requeued = 0;
    if (failed)
        *failed = 0;
    if (max_attempts < 1)
        return bot_err_set(err, BOT_EINVAL, "inbox recover: max_attempts must be >= 1");
    rc = store_op_begin(s, &op, err);
    if (rc)
        return rc;
    rc = store_stmt(s, STMT_INBOX_RECOVER_FAIL,
                    "UPDATE inbox SET state = 'failed', done_at = ?2, error = 'gave up after '"
                    " || attempts || ' attempts: the bot stopped while processing it'"
                    " WHERE state = 'processing' AND attempts >= ?1",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, max_attempts);
    b |= store_bind_time(st, 2, now);
    if (b) {
        rc = store_sqlerr(s, b, "inbox recover", err);
        goto out;
    }
    rc = store_step_done(s, st, "inbox recover", err);
    if (rc)
        goto out;
    nfailed = sqlite3_changes(s->db);
    store_stmt_done(st);
    rc = store_stmt(s, STMT_INBOX_RECOVER,
                    "UPDATE inbox SET state = 'pending', claimed_at = NULL"
                    " WHERE state = 'processing'",
                    &st, err);
    if (rc)
        goto out;
    rc = store_step_done(s, st, "inbox recover", err);
    if (rc)
        goto out;
    nrequeued = sqlite3_changes(s->db);
out:
    store_stmt_done(st);
    rc = store_op_end(s, &op, rc, err);
    if (rc == BOT_OK) {
        if (requeued)
            *requeued = nrequeued;
        if (failed)
            *failed = nfailed;
    }
    return rc;
}

enum bot_rc store_inbox_count(struct store *s, const char *state, int64_t *count,
                              struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;

    *count = 0;
    if (state == NULL)
        return bot_err_set(err, BOT_EINVAL, "inbox count: no state given");
    rc = store_stmt(s, STMT_INBOX_COUNT, "SELECT count(*) FROM inbox WHERE state = ?1", &st, err);
    if (rc)
        return rc;
    return one_int(s, st, store_bind_text(st, 1, state), "inbox count", count, NULL, err);
}

enum bot_rc store_queue_busy(struct store *s, int64_t now, int64_t *count, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;

    *count = 0;
    rc = store_stmt(s, STMT_QUEUE_BUSY,
                    "SELECT (SELECT count(*) FROM inbox WHERE state IN ('pending', 'processing'))"
                    " + (SELECT count(*) FROM outbox WHERE state = 'sending'"
                    "    OR (state = 'pending' AND next_attempt_at <= ?1))"
                    " + (SELECT count(*) FROM reminders WHERE state = 'pending' AND due_at <= ?1)",
                    &st, err);
    if (rc)
        return rc;
    return one_int(s, st, sqlite3_bind_int64(st, 1, now), "queue busy", count, NULL, err);
}

enum bot_rc store_inbox_prune(struct store *s, int64_t before, int64_t *deleted,
                              struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    if (deleted)
        *deleted = 0;
    rc = store_stmt(s, STMT_INBOX_PRUNE,
                    "DELETE FROM inbox WHERE state IN ('done', 'failed') AND received_at < ?1", &st,
                    err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, before);
    if (b) {
        rc = store_sqlerr(s, b, "inbox prune", err);
        goto out;
    }
    rc = store_step_done(s, st, "inbox prune", err);
    if (rc == BOT_OK && deleted)
        *deleted = sqlite3_changes(s->db);
out:
    store_stmt_done(st);
    return rc;
}

/* ---- outbox ---- */

#define OUTBOX_COLS                                                                                \
    "id, incident_id, kind, target, payload, idem_key, state, attempts, next_attempt_at,"          \
    " last_attempt_at, last_error, result, created_at, done_at"
#define OUTBOX_STATE_SQL "SELECT state FROM outbox WHERE id = ?1"
/* An effect waits while an earlier effect of its incident and target is unfinished. */
#define OUTBOX_NOT_HELD                                                                            \
    " NOT EXISTS (SELECT 1 FROM outbox p WHERE p.incident_id = o.incident_id"                      \
    " AND p.target = o.target AND p.id < o.id AND p.state IN ('pending', 'sending'))"

void store_outbox_row_clear(struct store_outbox_row *row)
{
    free(row->kind);
    free(row->target);
    free(row->payload);
    free(row->idem_key);
    free(row->state);
    free(row->last_error);
    free(row->result);
    memset(row, 0, sizeof(*row));
}

void store_outbox_list_free(struct store_outbox_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        store_outbox_row_clear(&rows[i]);
    free(rows);
}

static void read_outbox(sqlite3_stmt *st, struct store_outbox_row *r)
{
    r->id = store_col_int(st, 0);
    r->incident_id = store_col_int(st, 1);
    r->kind = store_col_text(st, 2);
    r->target = store_col_text(st, 3);
    r->payload = store_col_text(st, 4);
    r->idem_key = store_col_text(st, 5);
    r->state = store_col_text(st, 6);
    r->attempts = store_col_int(st, 7);
    r->next_attempt_at = store_col_int(st, 8);
    r->last_attempt_at = store_col_int(st, 9);
    r->last_error = store_col_text(st, 10);
    r->result = store_col_text(st, 11);
    r->created_at = store_col_int(st, 12);
    r->done_at = store_col_int(st, 13);
}

enum bot_rc store_outbox_enqueue(struct store *s, const struct store_effect *e, int64_t now,
                                 int64_t *id, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b, src;

    if (id)
        *id = 0;
    if (e->kind == NULL || e->target == NULL || e->payload == NULL || e->idem_key == NULL ||
        e->idem_key[0] == '\0' || now <= 0)
        return bot_err_set(err, BOT_EINVAL,
                           "outbox: kind, target, payload, key and time are required");
    if (e->merge || e->refresh)
        rc = store_stmt(s, STMT_OUTBOX_ENQUEUE_REFRESH,
                        "INSERT INTO outbox (incident_id, kind, target, payload, idem_key,"
                        " next_attempt_at, created_at, refresh)"
                        " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE NOT EXISTS (SELECT 1 FROM"
                        " outbox p INDEXED BY outbox_pending_incident WHERE p.state = 'pending'"
                        " AND p.incident_id IS ?1 AND p.kind = ?2 AND p.target = ?3)"
                        " ON CONFLICT (idem_key) DO NOTHING RETURNING id",
                        &st, err);
    else
        rc = store_stmt(s, STMT_OUTBOX_ENQUEUE,
                        "INSERT INTO outbox (incident_id, kind, target, payload, idem_key,"
                        " next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                        " ON CONFLICT (idem_key) DO NOTHING RETURNING id",
                        &st, err);
    if (rc)
        goto out;
    b = store_bind_id(st, 1, e->incident_id);
    b |= store_bind_text(st, 2, e->kind);
    b |= store_bind_text(st, 3, e->target);
    b |= store_bind_text(st, 4, e->payload);
    b |= store_bind_text(st, 5, e->idem_key);
    b |= store_bind_int(st, 6, e->not_before > now ? e->not_before : now);
    b |= store_bind_time(st, 7, now);
    if (e->merge || e->refresh)
        b |= store_bind_int(st, 8, e->refresh ? 1 : 0);
    if (b) {
        rc = store_sqlerr(s, b, "outbox enqueue", err);
        goto out;
    }
    src = sqlite3_step(st);
    if (src == SQLITE_DONE && (e->merge || e->refresh)) {
        rc = BOT_OK; /* merged into the pending refresh of the same view (or enqueued before) */
        goto out;
    }
    if (src == SQLITE_DONE) {
        rc = bot_err_set(err, BOT_EEXISTS, "outbox: effect %s is already enqueued", e->idem_key);
        goto out;
    }
    if (src != SQLITE_ROW) {
        rc = store_sqlerr(s, src, "outbox enqueue", err);
        if (rc == BOT_ENOTFOUND)
            rc =
                bot_err_set(err, rc, "outbox enqueue: no incident %lld", (long long)e->incident_id);
        goto out;
    }
    if (id)
        *id = store_col_int(st, 0);
    rc = store_step_done(s, st, "outbox enqueue", err);
out:
    store_stmt_done(st);
    return rc;
}

/* The claim statements: the first due row of a lane that is not a refresh, of a lane, of any. */
#define OUTBOX_CLAIM_SET                                                                           \
    "UPDATE outbox SET state = 'sending', attempts = attempts + 1, last_attempt_at = ?1"          \
    " WHERE id = (SELECT o.id FROM outbox o"
#define OUTBOX_CLAIM_END " ORDER BY o.id LIMIT 1) RETURNING " OUTBOX_COLS

/* Runs one claim statement (?1 now, ?2 target) into *row; BOT_ENOTFOUND when nothing is due. */
static enum bot_rc claim_with(struct store *s, enum store_stmt_id sid, const char *sql,
                              int64_t now, const char *target, struct store_outbox_row *row,
                              struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc = store_stmt(s, sid, sql, &st, err);
    if (rc)
        return rc;
    int b = store_bind_int(st, 1, now);
    b |= store_bind_text(st, 2, target);
    if (b) {
        rc = store_sqlerr(s, b, "outbox claim", err);
        goto out;
    }
    rc = store_step_row(s, st, "outbox claim", err);
    if (rc)
        goto out;
    read_outbox(st, row);
    rc = store_step_done(s, st, "outbox claim", err);
    if (rc)
        store_outbox_row_clear(row);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_outbox_claim_target(struct store *s, int64_t now, const char *target,
                                      struct store_outbox_row *row, struct bot_err *err)
{
    enum bot_rc rc;

    memset(row, 0, sizeof(*row));
    /*
     * A lane walks its own pending rows in id order (outbox_pending_target) and stops at the
     * first that is due and not held: the oldest is almost always it, so a claim no longer
     * costs a sort of every due row of every lane. Without a lane, the old query.
     * Refreshes yield: first the lane's oldest due effect that is not one (a new channel, a
     * first post, a message), then, when there is none, its oldest due refresh. An incident's
     * own effects still go in order (OUTBOX_NOT_HELD).
     */
    if (target != NULL) {
        rc = claim_with(s, STMT_OUTBOX_CLAIM_TARGET_FIRST,
                        OUTBOX_CLAIM_SET " INDEXED BY outbox_pending_target"
                        " WHERE o.target = ?2 AND o.state = 'pending' AND o.refresh = 0"
                        " AND o.next_attempt_at <= ?1 AND" OUTBOX_NOT_HELD OUTBOX_CLAIM_END,
                        now, target, row, err);
        if (rc == BOT_ENOTFOUND)
            rc = claim_with(s, STMT_OUTBOX_CLAIM_TARGET,
                            OUTBOX_CLAIM_SET " INDEXED BY outbox_pending_target"
                            " WHERE o.target = ?2 AND o.state = 'pending'"
                            " AND o.next_attempt_at <= ?1 AND" OUTBOX_NOT_HELD OUTBOX_CLAIM_END,
                            now, target, row, err);
    } else {
        rc = claim_with(s, STMT_OUTBOX_CLAIM,
                        OUTBOX_CLAIM_SET " WHERE o.state = 'pending' AND o.next_attempt_at <= ?1"
                        " AND (?2 IS NULL OR o.target = ?2) AND" OUTBOX_NOT_HELD OUTBOX_CLAIM_END,
                        now, target, row, err);
    }
    if (rc == BOT_ENOTFOUND)
        rc = bot_err_set(err, rc, "outbox: nothing due%s%s", target ? " for " : "",
                         target ? target : "");
    return rc;
}

enum bot_rc store_outbox_claim(struct store *s, int64_t now, struct store_outbox_row *row,
                               struct bot_err *err)
{
    return store_outbox_claim_target(s, now, NULL, row, err);
}

enum bot_rc store_outbox_next_due_at_target(struct store *s, const char *target, int64_t *at,
                                            struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int is_null = 1;

    *at = 0;
    /* A lane reads its pending rows in next_attempt_at order and stops at the first not held. */
    if (target != NULL)
        rc = store_stmt(s, STMT_OUTBOX_NEXT_DUE_AT_TARGET,
                        "SELECT (SELECT o.next_attempt_at FROM outbox o"
                        " INDEXED BY outbox_pending_target_due"
                        " WHERE o.target = ?1 AND o.state = 'pending' AND" OUTBOX_NOT_HELD
                        " ORDER BY o.next_attempt_at LIMIT 1)",
                        &st, err);
    else
        rc = store_stmt(s, STMT_OUTBOX_NEXT_DUE_AT,
                        "SELECT MIN(o.next_attempt_at) FROM outbox o WHERE o.state = 'pending'"
                        " AND (?1 IS NULL OR o.target = ?1) AND" OUTBOX_NOT_HELD,
                        &st, err);
    if (rc)
        return rc;
    rc = one_int(s, st, store_bind_text(st, 1, target), "outbox next due", at, &is_null, err);
    if (rc == BOT_OK && is_null)
        rc = bot_err_set(err, BOT_ENOTFOUND, "outbox: nothing waiting");
    return rc;
}

enum bot_rc store_outbox_next_due_at(struct store *s, int64_t *at, struct bot_err *err)
{
    return store_outbox_next_due_at_target(s, NULL, at, err);
}

enum bot_rc store_outbox_done(struct store *s, int64_t id, const char *result, int64_t now,
                              struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = store_stmt(s, STMT_OUTBOX_DONE,
                    "UPDATE outbox SET state = 'done', result = ?2, done_at = ?3,"
                    " last_error = NULL WHERE id = ?1 AND state = 'sending'",
                    &st, err);
    if (rc)
        return rc;
    b = store_bind_int(st, 1, id);
    b |= store_bind_text(st, 2, result);
    b |= store_bind_time(st, 3, now);
    return transition(s, st, b, "outbox done", STMT_OUTBOX_STATE, OUTBOX_STATE_SQL, id, "sending",
                      err);
}

enum bot_rc store_outbox_retry(struct store *s, int64_t id, int64_t next_attempt_at,
                               const char *error, int64_t now, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = store_stmt(s, STMT_OUTBOX_RETRY,
                    "UPDATE outbox SET state = 'pending', next_attempt_at = ?2, last_error = ?3"
                    " WHERE id = ?1 AND state = 'sending'",
                    &st, err);
    if (rc)
        return rc;
    b = store_bind_int(st, 1, id);
    b |= store_bind_int(st, 2, next_attempt_at > now ? next_attempt_at : now);
    b |= store_bind_text(st, 3, error ? error : "failed");
    return transition(s, st, b, "outbox retry", STMT_OUTBOX_STATE, OUTBOX_STATE_SQL, id, "sending",
                      err);
}

enum bot_rc store_outbox_fail(struct store *s, int64_t id, const char *error, int64_t now,
                              struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = store_stmt(s, STMT_OUTBOX_FAIL,
                    "UPDATE outbox SET state = 'failed', last_error = ?2, done_at = ?3"
                    " WHERE id = ?1 AND state = 'sending'",
                    &st, err);
    if (rc)
        return rc;
    b = store_bind_int(st, 1, id);
    b |= store_bind_text(st, 2, error ? error : "failed");
    b |= store_bind_time(st, 3, now);
    return transition(s, st, b, "outbox fail", STMT_OUTBOX_STATE, OUTBOX_STATE_SQL, id, "sending",
                      err);
}

enum bot_rc store_outbox_requeue(struct store *s, int64_t id, int64_t now, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = store_stmt(s, STMT_OUTBOX_REQUEUE,
                    "UPDATE outbox SET state = 'pending', next_attempt_at = ?2, done_at = NULL"
                    " WHERE id = ?1 AND state = 'failed'",
                    &st, err);
    if (rc)
        return rc;
    b = store_bind_int(st, 1, id);
    b |= store_bind_int(st, 2, now);
    return transition(s, st, b, "outbox requeue", STMT_OUTBOX_STATE, OUTBOX_STATE_SQL, id, "failed",
                      err);
}

enum bot_rc store_outbox_recover_target(struct store *s, const char *target, int64_t *requeued,
                                        struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    if (requeued)
        *requeued = 0;
    rc = store_stmt(s, STMT_OUTBOX_RECOVER,
                    "UPDATE outbox SET state = 'pending' WHERE state = 'sending'"
                    " AND (?1 IS NULL OR target = ?1)",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_text(st, 1, target);
    if (b) {
        rc = store_sqlerr(s, b, "outbox recover", err);
        goto out;
    }
    rc = store_step_done(s, st, "outbox recover", err);
    if (rc == BOT_OK && requeued)
        *requeued = sqlite3_changes(s->db);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_outbox_recover(struct store *s, int64_t *requeued, struct bot_err *err)
{
    return store_outbox_recover_target(s, NULL, requeued, err);
}

static enum bot_rc outbox_get_one(struct store *s, sqlite3_stmt *st, int b, const char *what,
                                  struct store_outbox_row *row, struct bot_err *err)
{
    enum bot_rc rc;

    if (b) {
        rc = store_sqlerr(s, b, what, err);
        goto out;
    }
    rc = store_step_row(s, st, what, err);
    if (rc)
        goto out;
    read_outbox(st, row);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_outbox_get(struct store *s, int64_t id, struct store_outbox_row *row,
                             struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;

    memset(row, 0, sizeof(*row));
    rc = store_stmt(s, STMT_OUTBOX_GET, "SELECT " OUTBOX_COLS " FROM outbox WHERE id = ?1", &st,
                    err);
    if (rc)
        return rc;
    return outbox_get_one(s, st, store_bind_int(st, 1, id), "outbox get", row, err);
}

enum bot_rc store_outbox_get_by_key(struct store *s, const char *idem_key,
                                    struct store_outbox_row *row, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;

    memset(row, 0, sizeof(*row));
    if (idem_key == NULL)
        return bot_err_set(err, BOT_EINVAL, "outbox get: no key given");
    rc = store_stmt(s, STMT_OUTBOX_GET_BY_KEY,
                    "SELECT " OUTBOX_COLS " FROM outbox WHERE idem_key = ?1", &st, err);
    if (rc)
        return rc;
    return outbox_get_one(s, st, store_bind_text(st, 1, idem_key), "outbox get by key", row, err);
}

enum bot_rc store_outbox_list_incident(struct store *s, int64_t incident_id,
                                       struct store_outbox_row **rows, size_t *n,
                                       struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    size_t cap = 0;
    int b, src;

    *rows = NULL;
    *n = 0;
    rc = store_stmt(s, STMT_OUTBOX_LIST_INCIDENT,
                    "SELECT " OUTBOX_COLS " FROM outbox WHERE incident_id = ?1 ORDER BY id", &st,
                    err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    if (b) {
        rc = store_sqlerr(s, b, "outbox list", err);
        goto out;
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        rc = store_grow((void **)rows, sizeof(**rows), *n, &cap, "outbox list", err);
        if (rc)
            goto out;
        read_outbox(st, &(*rows)[*n]);
        (*n)++;
    }
    if (src != SQLITE_DONE)
        rc = store_sqlerr(s, src, "outbox list", err);
out:
    store_stmt_done(st);
    if (rc) {
        store_outbox_list_free(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

enum bot_rc store_outbox_counts(struct store *s, struct store_outbox_counts *counts,
                                struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int src;

    memset(counts, 0, sizeof(*counts));
    rc = store_stmt(s, STMT_OUTBOX_COUNTS, "SELECT state, count(*) FROM outbox GROUP BY state", &st,
                    err);
    if (rc)
        goto out;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *state = (const char *)sqlite3_column_text(st, 0);
        int64_t c = store_col_int(st, 1);
        if (state == NULL)
            continue;
        if (strcmp(state, "pending") == 0)
            counts->pending = c;
        else if (strcmp(state, "sending") == 0)
            counts->sending = c;
        else if (strcmp(state, "done") == 0)
            counts->done = c;
        else if (strcmp(state, "failed") == 0)
            counts->failed = c;
    }
    if (src != SQLITE_DONE)
        rc = store_sqlerr(s, src, "outbox counts", err);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_outbox_waiting_targets(struct store *s, char ***targets, size_t *n,
                                         struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc = BOT_OK;
    int src;

    *targets = NULL;
    *n = 0;
    /* Not a cached statement: it runs once at start. */
    src = sqlite3_prepare_v2(s->db, "SELECT DISTINCT target FROM outbox WHERE state IN "
                             "('pending', 'sending') ORDER BY target", -1, &st, NULL);
    if (src != SQLITE_OK) {
        rc = store_sqlerr(s, src, "outbox targets", err);
        goto out;
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        *targets = xreallocarray(*targets, *n + 1, sizeof(**targets));
        (*targets)[(*n)++] = xstrdup(t ? t : "");
    }
    if (src != SQLITE_DONE) {
        rc = store_sqlerr(s, src, "outbox targets", err);
        store_outbox_targets_free(*targets, *n);
        *targets = NULL;
        *n = 0;
    }
out:
    sqlite3_finalize(st);
    return rc;
}

enum bot_rc store_outbox_due_now_target(struct store *s, const char *target, int64_t now,
                                        int64_t *changed, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc = BOT_OK;
    int src;

    if (changed)
        *changed = 0;
    /* Not a cached statement: it runs once per outage of a target. */
    src = sqlite3_prepare_v2(s->db, "UPDATE outbox SET next_attempt_at = ?2 WHERE target = ?1"
                             " AND state = 'pending' AND next_attempt_at > ?2", -1, &st, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(st, 2, now);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src != SQLITE_DONE)
        rc = store_sqlerr(s, src, "outbox due now", err);
    else if (changed)
        *changed = sqlite3_changes(s->db);
    sqlite3_finalize(st);
    return rc;
}

void store_outbox_targets_free(char **targets, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(targets[i]);
    free(targets);
}

enum bot_rc store_outbox_prune(struct store *s, int64_t before, int64_t *deleted,
                               struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    if (deleted)
        *deleted = 0;
    rc = store_stmt(s, STMT_OUTBOX_PRUNE,
                    "DELETE FROM outbox WHERE state = 'done' AND done_at < ?1", &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, before);
    if (b) {
        rc = store_sqlerr(s, b, "outbox prune", err);
        goto out;
    }
    rc = store_step_done(s, st, "outbox prune", err);
    if (rc == BOT_OK && deleted)
        *deleted = sqlite3_changes(s->db);
out:
    store_stmt_done(st);
    return rc;
}

/* ---- reminders ---- */

#define REMINDER_COLS "id, incident_id, kind, due_at, state, payload, created_at, done_at"

void store_reminder_list_free(struct store_reminder *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].kind);
        free(rows[i].state);
        free(rows[i].payload);
    }
    free(rows);
}

static enum bot_rc read_reminders(struct store *s, sqlite3_stmt *st, int b, const char *what,
                                  struct store_reminder **rows, size_t *n, struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    size_t cap = 0;
    int src;

    if (b) {
        rc = store_sqlerr(s, b, what, err);
        goto out;
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        rc = store_grow((void **)rows, sizeof(**rows), *n, &cap, what, err);
        if (rc)
            goto out;
        struct store_reminder *r = &(*rows)[*n];
        r->id = store_col_int(st, 0);
        r->incident_id = store_col_int(st, 1);
        r->kind = store_col_text(st, 2);
        r->due_at = store_col_int(st, 3);
        r->state = store_col_text(st, 4);
        r->payload = store_col_text(st, 5);
        r->created_at = store_col_int(st, 6);
        r->done_at = store_col_int(st, 7);
        (*n)++;
    }
    if (src != SQLITE_DONE)
        rc = store_sqlerr(s, src, what, err);
out:
    store_stmt_done(st);
    if (rc) {
        store_reminder_list_free(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

enum bot_rc store_reminder_add(struct store *s, int64_t incident_id, const char *kind,
                               int64_t due_at, const char *payload, int64_t now, int64_t *id,
                               struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    if (id)
        *id = 0;
    if (kind == NULL || kind[0] == '\0' || due_at <= 0 || now <= 0)
        return bot_err_set(err, BOT_EINVAL, "reminder: a kind and times are required");
    rc = store_stmt(s, STMT_REMINDER_ADD,
                    "INSERT INTO reminders (incident_id, kind, due_at, payload, created_at)"
                    " VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_id(st, 1, incident_id);
    b |= store_bind_text(st, 2, kind);
    b |= store_bind_int(st, 3, due_at);
    b |= store_bind_text(st, 4, payload ? payload : "{}");
    b |= store_bind_int(st, 5, now);
    if (b) {
        rc = store_sqlerr(s, b, "reminder add", err);
        goto out;
    }
    rc = store_step_row(s, st, "reminder add", err);
    if (rc == BOT_ENOTFOUND)
        rc = bot_err_set(err, rc, "reminder add: no incident %lld", (long long)incident_id);
    if (rc)
        goto out;
    if (id)
        *id = store_col_int(st, 0);
    rc = store_step_done(s, st, "reminder add", err);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_reminder_due(struct store *s, int64_t now, size_t limit,
                               struct store_reminder **rows, size_t *n, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    *rows = NULL;
    *n = 0;
    if (limit == 0 || limit > STORE_LIST_MAX)
        return bot_err_set(err, BOT_EINVAL, "reminders due: limit %zu is not 1..%d", limit,
                           STORE_LIST_MAX);
    rc = store_stmt(s, STMT_REMINDER_DUE,
                    "SELECT " REMINDER_COLS " FROM reminders WHERE state = 'pending'"
                    " AND due_at <= ?1 ORDER BY due_at, id LIMIT ?2",
                    &st, err);
    if (rc)
        return rc;
    b = store_bind_int(st, 1, now);
    b |= store_bind_int(st, 2, (int64_t)limit);
    return read_reminders(s, st, b, "reminders due", rows, n, err);
}

enum bot_rc store_reminder_done(struct store *s, int64_t id, int64_t now, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = store_stmt(s, STMT_REMINDER_DONE,
                    "UPDATE reminders SET state = 'done', done_at = ?2 WHERE id = ?1"
                    " AND state = 'pending'",
                    &st, err);
    if (rc)
        return rc;
    b = store_bind_int(st, 1, id);
    b |= store_bind_time(st, 2, now);
    return transition(s, st, b, "reminder done", STMT_REMINDER_STATE,
                      "SELECT state FROM reminders WHERE id = ?1", id, "pending", err);
}

enum bot_rc store_reminder_cancel(struct store *s, int64_t incident_id, const char *kind,
                                  int64_t now, int64_t *cancelled, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    if (cancelled)
        *cancelled = 0;
    rc = store_stmt(s, STMT_REMINDER_CANCEL,
                    "UPDATE reminders SET state = 'cancelled', done_at = ?3 WHERE incident_id = ?1"
                    " AND state = 'pending' AND (?2 IS NULL OR kind = ?2)",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    b |= store_bind_text(st, 2, kind);
    b |= store_bind_time(st, 3, now);
    if (b) {
        rc = store_sqlerr(s, b, "reminder cancel", err);
        goto out;
    }
    rc = store_step_done(s, st, "reminder cancel", err);
    if (rc == BOT_OK && cancelled)
        *cancelled = sqlite3_changes(s->db);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_reminder_next_due_at(struct store *s, int64_t *at, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int is_null = 1;

    *at = 0;
    rc = store_stmt(s, STMT_REMINDER_NEXT_DUE_AT,
                    "SELECT MIN(due_at) FROM reminders WHERE state = 'pending'", &st, err);
    if (rc)
        return rc;
    rc = one_int(s, st, 0, "reminder next due", at, &is_null, err);
    if (rc == BOT_OK && is_null)
        rc = bot_err_set(err, BOT_ENOTFOUND, "reminders: nothing pending");
    return rc;
}

enum bot_rc store_reminder_list(struct store *s, int64_t incident_id, struct store_reminder **rows,
                                size_t *n, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;

    *rows = NULL;
    *n = 0;
    rc = store_stmt(s, STMT_REMINDER_LIST,
                    "SELECT " REMINDER_COLS " FROM reminders WHERE incident_id = ?1"
                    " AND state = 'pending' ORDER BY due_at, id",
                    &st, err);
    if (rc)
        return rc;
    return read_reminders(s, st, store_bind_int(st, 1, incident_id), "reminder list", rows, n, err);
}
