/*
 * Private to store/: the connection struct, the per-connection cache of
 * prepared statements (one slot per statement, named by enum store_stmt_id),
 * the small helpers every store_*.c file uses to bind, read columns and turn
 * SQLite's codes into enum bot_rc, and the savepoint helper that makes a
 * multi-statement operation atomic whether or not the caller holds a
 * transaction. Nothing outside store/ includes this header.
 */
#ifndef INCIDENTD_STORE_INTERNAL_H
#define INCIDENTD_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

#define STORE_APPLICATION_ID 1229865796 /* 'INCD', set by migration 1; store_backup.c checks it too */

/* Every cached statement. Each id is used by exactly one call site. */
enum store_stmt_id {
    STMT_PING,
    STMT_BEGIN,
    STMT_BEGIN_READ,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_SAVEPOINT,
    STMT_RELEASE,
    STMT_ROLLBACK_TO,
    STMT_KV_GET,
    STMT_KV_SET,
    STMT_KV_DELETE,
    STMT_INCIDENT_INSERT,
    STMT_INCIDENT_UPDATE,
    STMT_INCIDENT_VERSION,
    STMT_INCIDENT_GET,
    STMT_INCIDENT_GET_BY_CHANNEL,
    STMT_INCIDENT_GET_BY_SLUG,
    STMT_INCIDENT_LIST_STATUS,
    STMT_INCIDENT_LIST_PUBLISHED,
    STMT_INCIDENT_EXISTS,
    STMT_ATTR_SET,
    STMT_ATTR_GET,
    STMT_ROLE_END,
    STMT_ROLE_INSERT,
    STMT_ROLE_GET,
    STMT_ROLE_LIST_CURRENT,
    STMT_ROLE_HISTORY,
    STMT_TIMELINE_APPEND,
    STMT_TIMELINE_LIST,
    STMT_CHECKLIST_SET,
    STMT_CHECKLIST_CLEAR,
    STMT_CHECKLIST_LIST,
    STMT_FOLLOWUP_ADD,
    STMT_FOLLOWUP_LIST,
    STMT_FOLLOWUP_DONE,
    STMT_FOLLOWUP_STATE,
    STMT_FOLLOWUP_COUNT_OPEN,
    STMT_COMPONENT_UPSERT,
    STMT_COMPONENT_LIST,
    STMT_COMPONENT_GET,
    STMT_COMPONENT_SET_STATUS,
    STMT_COMPONENT_LOG,
    STMT_COMPONENT_HISTORY,
    STMT_INCIDENT_COMPONENT_ADD,
    STMT_INCIDENT_COMPONENT_REMOVE,
    STMT_INCIDENT_COMPONENT_LIST,
    STMT_COMPONENT_HOLDERS,
    STMT_INBOX_INSERT,
    STMT_INBOX_CLAIM,
    STMT_INBOX_FINISH,
    STMT_INBOX_RELEASE,
    STMT_INBOX_RECOVER_FAIL,
    STMT_INBOX_RECOVER,
    STMT_INBOX_COUNT,
    STMT_QUEUE_BUSY,
    STMT_OUTBOX_CLAIM_TARGET,
    STMT_OUTBOX_CLAIM_TARGET_FIRST,
    STMT_OUTBOX_NEXT_DUE_AT_TARGET,
    STMT_INBOX_STATE,
    STMT_INBOX_PRUNE,
    STMT_OUTBOX_ENQUEUE,
    STMT_OUTBOX_ENQUEUE_REFRESH,
    STMT_OUTBOX_CLAIM,
    STMT_OUTBOX_NEXT_DUE_AT,
    STMT_OUTBOX_DONE,
    STMT_OUTBOX_RETRY,
    STMT_OUTBOX_FAIL,
    STMT_OUTBOX_REQUEUE,
    STMT_OUTBOX_RECOVER,
    STMT_OUTBOX_GET,
    STMT_OUTBOX_GET_BY_KEY,
    STMT_OUTBOX_LIST_INCIDENT,
    STMT_OUTBOX_COUNTS,
    STMT_OUTBOX_PRUNE,
    STMT_OUTBOX_STATE,
    STMT_REMINDER_ADD,
    STMT_REMINDER_DUE,
    STMT_REMINDER_DONE,
    STMT_REMINDER_CANCEL,
    STMT_REMINDER_NEXT_DUE_AT,
    STMT_REMINDER_LIST,
    STMT_REMINDER_STATE,
    STMT_DIRECTORY_USER_UPSERT,
    STMT_DIRECTORY_USER_IDS,
    STMT_DIRECTORY_USER_DELETE,
    STMT_DIRECTORY_USER_GET,
    STMT_DIRECTORY_GROUP_CLEAR,
    STMT_DIRECTORY_GROUP_ADD,
    STMT_DIRECTORY_IN_GROUP,
    STMT_DIRECTORY_SYNCED_SET,
    STMT_DIRECTORY_SYNCED_GET,
    STMT_COUNT
};

struct store {
    sqlite3 *db;
    char *path;                      /* as given to store_open, for messages */
    sqlite3_stmt *stmts[STMT_COUNT]; /* prepared on first use, finalized at close */
};

/*
 * Returns the cached statement for id, preparing sql on first use. The
 * statement is reset and unbound: call store_stmt_done() when finished with
 * it (also on error paths) so no read transaction stays open.
 */
enum bot_rc store_stmt(struct store *s, enum store_stmt_id id, const char *sql, sqlite3_stmt **out,
                       struct bot_err *err) BOT_MUST_CHECK;
/* Resets and unbinds st; NULL is allowed. */
void store_stmt_done(sqlite3_stmt *st);

/*
 * Maps a SQLite result code to enum bot_rc and writes "what: <sqlite
 * message>" into err: unique violations are BOT_EEXISTS, foreign keys
 * BOT_ENOTFOUND, CHECK / NOT NULL BOT_EINVAL, busy / locked BOT_EBUSY, too
 * big BOT_ETOOBIG, anything else BOT_EDB.
 */
enum bot_rc store_sqlerr(struct store *s, int sqlite_rc, const char *what, struct bot_err *err);

/* Runs a statement that returns no rows; anything but SQLITE_DONE is an error. */
enum bot_rc store_step_done(struct store *s, sqlite3_stmt *st, const char *what,
                            struct bot_err *err) BOT_MUST_CHECK;
/*
 * Steps a statement expected to return at most one row: BOT_OK with the row
 * current, BOT_ENOTFOUND (message "what: not found") when there is none.
 */
enum bot_rc store_step_row(struct store *s, sqlite3_stmt *st, const char *what,
                           struct bot_err *err) BOT_MUST_CHECK;

/* Binding helpers returning SQLite codes, so call sites can OR them together. */
int store_bind_text(sqlite3_stmt *st, int idx, const char *text); /* NULL binds NULL */
int store_bind_time(sqlite3_stmt *st, int idx, int64_t t);        /* 0 binds NULL */
int store_bind_id(sqlite3_stmt *st, int idx, int64_t id);         /* 0 binds NULL */
int store_bind_int(sqlite3_stmt *st, int idx, int64_t v);

/* Column helpers: a NULL column reads as NULL / 0. Returned strings are owned by the caller. */
char *store_col_text(sqlite3_stmt *st, int col);
int64_t store_col_int(sqlite3_stmt *st, int col);

/* Grows *rows (of elem_size bytes each) to hold one more; BOT_ETOOBIG past STORE_LIST_MAX. */
enum bot_rc store_grow(void **rows, size_t elem_size, size_t n, size_t *cap, const char *what,
                       struct bot_err *err) BOT_MUST_CHECK;

/*
 * Makes several statements one atomic step: BEGIN IMMEDIATE when the
 * connection is in autocommit mode, a SAVEPOINT inside the caller's
 * transaction otherwise. store_op_end() commits or releases when rc is
 * BOT_OK, rolls back otherwise, and returns rc (or the commit's failure).
 */
struct store_op {
    int own_txn;
};
enum bot_rc store_op_begin(struct store *s, struct store_op *op,
                           struct bot_err *err) BOT_MUST_CHECK;
enum bot_rc store_op_end(struct store *s, struct store_op *op, enum bot_rc rc,
                         struct bot_err *err) BOT_MUST_CHECK;

/* BOT_OK when incident id exists, BOT_ENOTFOUND ("no incident N") when not. */
enum bot_rc store_incident_exists(struct store *s, int64_t id, struct bot_err *err) BOT_MUST_CHECK;

/* Executes a constant SQL script (no input in it). */
enum bot_rc store_exec(struct store *s, const char *sql, const char *what,
                       struct bot_err *err) BOT_MUST_CHECK;

/* store_schema.c: the migrations. */
extern const char *const store_migrations[];
extern const int store_migration_count;
/* Test-only sample rows written after migration k (index k-1), see store_testing.h. */
extern const char *const store_migration_seeds[];

#endif
