/*
 * The store: incidentd's one SQLite database and the only place that knows
 * SQL. This header owns the connection (open with migrations, close),
 * transactions, a small key/value table for bot-wide state, and the
 * conventions every store_*.h follows:
 *
 * - Times are int64_t Unix time in **milliseconds** (UTC). 0 means "not
 *   set" and is stored as NULL. The store never reads the clock except in
 *   store_now_ms(); callers pass times in, so tests and the pure plan decide.
 * - Row ids are int64_t, > 0; 0 means "none" (e.g. an outbox row without an
 *   incident).
 * - Strings passed in are copied (or only read); strings in rows returned by
 *   the store are owned by the row, released with that row type's _clear /
 *   _free function. A string field that is NULL is stored as NULL.
 * - Vocabulary (severity, status, role, component status) travels as the
 *   lowercase names of PLAN.md / commands/incident.h; the schema's CHECK
 *   constraints reject anything else with BOT_EINVAL.
 * - Functions that can fail return enum bot_rc and fill err; the store never
 *   logs. BOT_ENOTFOUND for a missing row, BOT_EEXISTS for a duplicate,
 *   BOT_EBUSY when the database stayed locked past the busy timeout,
 *   BOT_EDB for anything else SQLite refused.
 *
 * Threads: a struct store is one SQLite connection and must be used by one
 * thread at a time (it is opened SQLITE_OPEN_NOMUTEX and caches prepared
 * statements). Each thread opens its own struct store on the same file;
 * WAL mode lets readers run beside one writer, and writers wait up to the
 * busy timeout for each other instead of failing.
 *
 * Durability: WAL with synchronous=FULL by default, so a transaction that
 * store_commit() reported is on disk even across a power cut; that is what
 * lets the bot ack an envelope after storing it. STORE_SYNC_NORMAL keeps
 * every commit across a crash of the process (kill -9) but may lose the last
 * commits on power loss, in exchange for fewer fsyncs.
 */
#ifndef INCIDENTD_STORE_H
#define INCIDENTD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define STORE_BUSY_TIMEOUT_MS_DEFAULT 5000 /* how long a writer waits for another one */
#define STORE_VALUE_MAX               (4 * 1024 * 1024) /* longest string or payload stored; else BOT_ETOOBIG */
#define STORE_LIST_MAX                100000 /* most rows one list call returns; else BOT_ETOOBIG */
#define STORE_KEY_MAX                 256    /* longest kv key */
#define STORE_CACHE_KIB_STR           "512"  /* page cache per connection, KiB: memory stays flat */
#define STORE_FILE_MODE               0600   /* a new database and its -wal, -shm: the owner's */

struct store;

enum store_sync {
    STORE_SYNC_FULL = 0, /* fsync the WAL on every commit (default) */
    STORE_SYNC_NORMAL,   /* survive process crashes, not power loss */
};

struct store_opts {
    int64_t busy_timeout_ms; /* 0..600000; how long to wait for a lock */
    enum store_sync sync;
    /*
     * false: this connection never checkpoints the WAL by itself (SQLite
     * would do it inside a commit once the WAL is 1000 pages long, stalling
     * that commit); another connection calls store_checkpoint() instead.
     * The loop thread's connection uses this so that acks never wait for a
     * checkpoint. Default true.
     */
    int autocheckpoint;
};

/* The defaults: STORE_BUSY_TIMEOUT_MS_DEFAULT, STORE_SYNC_FULL. */
void store_opts_init(struct store_opts *opts);

/*
 * Opens (creating when missing) the database at path and migrates it to
 * store_schema_latest(). A database it creates is STORE_FILE_MODE (0600)
 * whatever the umask, and so are its -wal and -shm files; an existing one
 * keeps its mode. path may be ":memory:" for a private in-memory
 * database (tests of other modules). Errors, each naming the path, with
 * nothing created or changed:
 * - the directory does not exist, is not a directory or is not writable,
 *   or the file is read-only: BOT_EIO;
 * - its schema version is newer than this program's: BOT_ESCHEMA (both
 *   versions in the message);
 * - the file is not an SQLite database, or belongs to another program
 *   (another application_id, or tables without a schema version): BOT_EDB;
 * - a migration failed: BOT_EDB (rolled back; the file is as it was).
 * On success *out is a new connection for the calling thread; close it with
 * store_close().
 */
enum bot_rc store_open(const char *path, struct store **out, struct bot_err *err) BOT_MUST_CHECK;
/* Like store_open() with options; opts NULL means the defaults. */
enum bot_rc store_open_opts(const char *path, const struct store_opts *opts, struct store **out,
                            struct bot_err *err) BOT_MUST_CHECK;
/* Rolls back an open transaction, finalizes statements, closes. NULL is allowed. */
void store_close(struct store *s);

/* The schema version this program writes (number of migrations). */
int store_schema_latest(void);
/* The database's PRAGMA user_version. */
enum bot_rc store_schema_version(struct store *s, int *version, struct bot_err *err) BOT_MUST_CHECK;
/* The path given to store_open; owned by s. */
const char *store_path(const struct store *s);
/*
 * Copies what the WAL holds into the database file without waiting for
 * readers or writers (a passive checkpoint); for the thread whose
 * connection does the checkpoints that others skip (see autocheckpoint).
 */
enum bot_rc store_checkpoint(struct store *s, struct bot_err *err) BOT_MUST_CHECK;
/* A trivial query, for /healthz. */
enum bot_rc store_ping(struct store *s, struct bot_err *err) BOT_MUST_CHECK;
/* The current time in Unix milliseconds (CLOCK_REALTIME). */
int64_t store_now_ms(void);

/*
 * Transactions. store_begin() is BEGIN IMMEDIATE: it takes the write lock
 * at once (waiting up to the busy timeout), so the transaction can never fail
 * later because another connection wrote in between. store_begin_read() is a
 * deferred transaction for a consistent snapshot of several reads; do not
 * write in it. Transactions do not nest (BOT_ESTATE). Every store function
 * called inside a transaction becomes part of it; called outside, each one is
 * atomic on its own. A failed store_commit() has rolled the transaction back.
 */
enum bot_rc store_begin(struct store *s, struct bot_err *err) BOT_MUST_CHECK;
enum bot_rc store_begin_read(struct store *s, struct bot_err *err) BOT_MUST_CHECK;
enum bot_rc store_commit(struct store *s, struct bot_err *err) BOT_MUST_CHECK;
/* Abandons the open transaction, if any; safe to call on any error path. */
void store_rollback(struct store *s);
/*
 * A savepoint inside the open transaction, so that one decision of a batch
 * can be undone without the others: store_savepoint() opens it,
 * store_release() keeps what was done since, store_rollback_savepoint()
 * undoes it (and ends it). They do not nest.
 */
enum bot_rc store_savepoint(struct store *s, struct bot_err *err) BOT_MUST_CHECK;
enum bot_rc store_release(struct store *s, struct bot_err *err) BOT_MUST_CHECK;
void store_rollback_savepoint(struct store *s);
/* True while a transaction is open on s. */
int store_in_txn(struct store *s);

/*
 * Bot-wide small state (e.g. the last Socket Mode connection time, a
 * rotation cursor). Keys are at most STORE_KEY_MAX bytes.
 * store_kv_get: *value is a new string the caller frees; BOT_ENOTFOUND when
 * the key is absent (and *value is NULL).
 */
enum bot_rc store_kv_get(struct store *s, const char *key, char **value,
                         struct bot_err *err) BOT_MUST_CHECK;
/* Inserts or replaces; at is recorded as the row's update time. */
enum bot_rc store_kv_set(struct store *s, const char *key, const char *value, int64_t at,
                         struct bot_err *err) BOT_MUST_CHECK;
/* Removes the key; BOT_ENOTFOUND when it was absent. */
enum bot_rc store_kv_delete(struct store *s, const char *key, struct bot_err *err) BOT_MUST_CHECK;

#endif
