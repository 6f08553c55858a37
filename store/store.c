/*
 * The connection: opening the database file safely (directory checks, WAL,
 * busy timeout, foreign keys, durability), applying the migrations of
 * store_schema.c in one transaction, refusing a newer schema without
 * touching the file, transactions and savepoints, the prepared-statement
 * cache and the helpers shared by the other store_*.c files, and the kv
 * table. See store.h for the contract.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_internal.h"
#include "store_testing.h"
#include "xmalloc.h"

#define STORE_BUSY_TIMEOUT_MS_MAX 600000

/* ---- helpers shared by store_*.c ---- */

enum bot_rc store_stmt(struct store *s, enum store_stmt_id id, const char *sql, sqlite3_stmt **out,
                       struct bot_err *err)
{
    *out = NULL;
    if (s->stmts[id] == NULL) {
        int src =
            sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[id], NULL);
        if (src != SQLITE_OK) {
            sqlite3_finalize(s->stmts[id]);
            s->stmts[id] = NULL;
            return store_sqlerr(s, src, "preparing a statement", err);
        }
    }
    *out = s->stmts[id];
    return BOT_OK;
}

void store_stmt_done(sqlite3_stmt *st)
{
    if (st == NULL)
        return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

enum bot_rc store_sqlerr(struct store *s, int sqlite_rc, const char *what, struct bot_err *err)
{
    enum bot_rc rc;
    switch (sqlite_rc & 0xff) {
    case SQLITE_CONSTRAINT:
        if (sqlite_rc == SQLITE_CONSTRAINT_UNIQUE || sqlite_rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            rc = BOT_EEXISTS;
        else if (sqlite_rc == SQLITE_CONSTRAINT_FOREIGNKEY)
            rc = BOT_ENOTFOUND;
        else
            rc = BOT_EINVAL;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        rc = BOT_EBUSY;
        break;
    case SQLITE_TOOBIG:
        rc = BOT_ETOOBIG;
        break;
    case SQLITE_FULL:     /* the disk is full */
    case SQLITE_IOERR:    /* a read or write of the file failed */
    case SQLITE_CANTOPEN: /* e.g. no descriptor left for a journal or the WAL */
    case SQLITE_NOMEM:
        rc = BOT_EIO; /* all of which may clear: bot_rc_transient() */
        break;
    default:
        rc = BOT_EDB;
        break;
    }
    /* The connection's message is about this failure only when its code matches. */
    const char *msg = sqlite3_errstr(sqlite_rc);
    if (s->db != NULL && sqlite3_extended_errcode(s->db) == sqlite_rc)
        msg = sqlite3_errmsg(s->db);
    return bot_err_set(err, rc, "%s: %s (database %s)", what, msg, s->path);
}

enum bot_rc store_step_done(struct store *s, sqlite3_stmt *st, const char *what,
                            struct bot_err *err)
{
    int src = sqlite3_step(st);
    if (src == SQLITE_DONE)
        return BOT_OK;
    if (src == SQLITE_ROW)
        return bot_err_set(err, BOT_EDB, "%s: unexpected row", what);
    return store_sqlerr(s, src, what, err);
}

enum bot_rc store_step_row(struct store *s, sqlite3_stmt *st, const char *what, struct bot_err *err)
{
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        return BOT_OK;
    if (src == SQLITE_DONE)
        return bot_err_set(err, BOT_ENOTFOUND, "%s: not found", what);
    return store_sqlerr(s, src, what, err);
}

int store_bind_text(sqlite3_stmt *st, int idx, const char *text)
{
    if (text == NULL)
        return sqlite3_bind_null(st, idx);
    size_t len = strlen(text);
    if (len > STORE_VALUE_MAX)
        return SQLITE_TOOBIG;
    /* SQLITE_STATIC: every caller unbinds (store_stmt_done) before text goes away. */
    return sqlite3_bind_text(st, idx, text, (int)len, SQLITE_STATIC);
}

int store_bind_time(sqlite3_stmt *st, int idx, int64_t t)
{
    return t == 0 ? sqlite3_bind_null(st, idx) : sqlite3_bind_int64(st, idx, t);
}

int store_bind_id(sqlite3_stmt *st, int idx, int64_t id)
{
    return id == 0 ? sqlite3_bind_null(st, idx) : sqlite3_bind_int64(st, idx, id);
}

int store_bind_int(sqlite3_stmt *st, int idx, int64_t v)
{
    return sqlite3_bind_int64(st, idx, v);
}

char *store_col_text(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return NULL;
    const unsigned char *t = sqlite3_column_text(st, col);
    int len = sqlite3_column_bytes(st, col);
    if (t == NULL)
        return xstrdup("");
    return xmemdup0(t, (size_t)len);
}

int64_t store_col_int(sqlite3_stmt *st, int col)
{
    return sqlite3_column_int64(st, col);
}

enum bot_rc store_grow(void **rows, size_t elem_size, size_t n, size_t *cap, const char *what,
                       struct bot_err *err)
{
    if (n < *cap)
        return BOT_OK;
    if (n >= STORE_LIST_MAX)
        return bot_err_set(err, BOT_ETOOBIG, "%s: more than %d rows", what, STORE_LIST_MAX);
    size_t ncap = *cap ? *cap * 2 : 8;
    if (ncap > STORE_LIST_MAX)
        ncap = STORE_LIST_MAX;
    *rows = xreallocarray(*rows, ncap, elem_size);
    memset((char *)*rows + n * elem_size, 0, (ncap - n) * elem_size);
    *cap = ncap;
    return BOT_OK;
}

enum bot_rc store_exec(struct store *s, const char *sql, const char *what, struct bot_err *err)
{
    int src = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (src != SQLITE_OK)
        return store_sqlerr(s, src, what, err);
    return BOT_OK;
}

/* Runs a cached statement that returns no rows (BEGIN, COMMIT, ...). */
static enum bot_rc run(struct store *s, enum store_stmt_id id, const char *sql, const char *what,
                       struct bot_err *err)
{
    sqlite3_stmt *st;
    enum bot_rc rc = store_stmt(s, id, sql, &st, err);
    if (rc)
        return rc;
    rc = store_step_done(s, st, what, err);
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_op_begin(struct store *s, struct store_op *op, struct bot_err *err)
{
    op->own_txn = sqlite3_get_autocommit(s->db) != 0;
    if (op->own_txn)
        return run(s, STMT_BEGIN, "BEGIN IMMEDIATE", "beginning a transaction", err);
    return run(s, STMT_SAVEPOINT, "SAVEPOINT store_op", "opening a savepoint", err);
}

enum bot_rc store_op_end(struct store *s, struct store_op *op, enum bot_rc rc, struct bot_err *err)
{
    if (rc == BOT_OK) {
        if (op->own_txn)
            rc = run(s, STMT_COMMIT, "COMMIT", "committing", err);
        else
            rc = run(s, STMT_RELEASE, "RELEASE store_op", "releasing a savepoint", err);
        if (rc == BOT_OK)
            return BOT_OK;
    }
    /* A failed statement may already have ended the transaction (e.g. SQLITE_FULL). */
    if (sqlite3_get_autocommit(s->db))
        return rc;
    if (op->own_txn) {
        (void)run(s, STMT_ROLLBACK, "ROLLBACK", "rolling back", NULL);
    } else {
        (void)run(s, STMT_ROLLBACK_TO, "ROLLBACK TO store_op", "rolling back a savepoint", NULL);
        (void)run(s, STMT_RELEASE, "RELEASE store_op", "releasing a savepoint", NULL);
    }
    return rc;
}

static enum bot_rc exec_sql(struct store *s, const char *sql, const char *what,
                            struct bot_err *err)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return bot_err_set(err, BOT_EIO, "%s: %s", what, sqlite3_errmsg(s->db));
    return BOT_OK;
}

enum bot_rc store_savepoint(struct store *s, struct bot_err *err)
{
    if (sqlite3_get_autocommit(s->db))
        return bot_err_set(err, BOT_ESTATE, "a savepoint needs an open transaction");
    return exec_sql(s, "SAVEPOINT decision", "opening a savepoint", err);
}

enum bot_rc store_release(struct store *s, struct bot_err *err)
{
    return exec_sql(s, "RELEASE decision", "releasing a savepoint", err);
}

void store_rollback_savepoint(struct store *s)
{
    if (sqlite3_get_autocommit(s->db))
        return; /* a failed statement ended the whole transaction already */
    (void)exec_sql(s, "ROLLBACK TO decision", "rolling back a savepoint", NULL);
    (void)exec_sql(s, "RELEASE decision", "releasing a savepoint", NULL);
}

/* ---- opening, migrations ---- */

void store_opts_init(struct store_opts *opts)
{
    opts->busy_timeout_ms = STORE_BUSY_TIMEOUT_MS_DEFAULT;
    opts->sync = STORE_SYNC_FULL;
    opts->autocheckpoint = 1;
}

int store_schema_latest(void)
{
    return store_migration_count;
}

const char *store_path(const struct store *s)
{
    return s->path;
}

int64_t store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The directory that will hold path, its -wal and -shm files must exist and be writable. */
static enum bot_rc check_dir(const char *path, struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    const char *slash = strrchr(path, '/');
    char *dir;
    struct stat st;

    if (slash == NULL)
        dir = xstrdup(".");
    else if (slash == path)
        dir = xstrdup("/");
    else
        dir = xmemdup0(path, (size_t)(slash - path));

    if (stat(dir, &st) != 0) {
        if (errno == ENOENT)
            rc = bot_err_set(err, BOT_EIO, "cannot open database %s: directory %s does not exist",
                             path, dir);
        else
            rc = bot_err_set(err, BOT_EIO, "cannot open database %s: directory %s: %s", path, dir,
                             strerror(errno));
        goto out;
    }
    if (!S_ISDIR(st.st_mode)) {
        rc = bot_err_set(err, BOT_EIO, "cannot open database %s: %s is not a directory", path, dir);
        goto out;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        rc = bot_err_set(err, BOT_EIO, "cannot open database %s: directory %s is not writable: %s",
                         path, dir, strerror(errno));
        goto out;
    }
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            rc = bot_err_set(err, BOT_EIO, "cannot open database %s: it is a directory", path);
            goto out;
        }
        if (access(path, R_OK | W_OK) != 0) {
            rc = bot_err_set(err, BOT_EIO, "cannot open database %s: file is not writable: %s",
                             path, strerror(errno));
            goto out;
        }
    }
out:
    free(dir);
    return rc;
}

/*
 * Creates the empty database file readable by its owner only, whatever the
 * umask: it holds every internal incident. SQLite gives the -wal and -shm
 * files it creates beside it the database file's mode, so they are 0600 too.
 * The directory is left as the operator made it. A file that appeared
 * meanwhile is kept as it is (EEXIST).
 */
static enum bot_rc create_private(const char *path, struct bot_err *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, STORE_FILE_MODE);
    if (fd < 0)
        return errno == EEXIST ? BOT_OK
                               : bot_err_set(err, BOT_EIO, "cannot create database %s: %s", path,
                                             strerror(errno));
    /* open() applied the umask, which may only have taken bits away; make it exact. */
    if (fchmod(fd, STORE_FILE_MODE) != 0) {
        int e = errno;
        close(fd);
        unlink(path);
        return bot_err_set(err, BOT_EIO, "cannot create database %s: %s", path, strerror(e));
    }
    close(fd);
    return BOT_OK;
}

static enum bot_rc pragma_int(struct store *s, const char *sql, int *value, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc = BOT_OK;
    int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *value = sqlite3_column_int(st, 0);
    else if (src == SQLITE_NOTADB)
        rc = bot_err_set(err, BOT_EDB, "cannot open database %s: not an SQLite database", s->path);
    else
        rc = store_sqlerr(s, src, "reading the database header", err);
    sqlite3_finalize(st);
    return rc;
}

static enum bot_rc check_version(struct store *s, int version, struct bot_err *err)
{
    if (version > store_migration_count)
        return bot_err_set(err, BOT_ESCHEMA,
                           "cannot open database %s: its schema version is %d but this incidentd "
                           "knows only up to %d; run a newer incidentd (the file was not changed)",
                           s->path, version, store_migration_count);
    if (version < 0)
        return bot_err_set(err, BOT_EDB,
                           "cannot open database %s: schema version %d is not one of incidentd's",
                           s->path, version);
    return BOT_OK;
}

/* Opens the connection and sets it up, without migrating. */
static enum bot_rc open_conn(const char *path, const struct store_opts *opts, struct store **out,
                             int *created, struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    struct store *s = NULL;
    int memory = strcmp(path, ":memory:") == 0;
    int app_id = 0, version = 0;
    struct stat st;
    char sql[64];

    *out = NULL;
    *created = 0;
    if (!memory) {
        rc = check_dir(path, err);
        if (rc)
            goto out;
        *created = stat(path, &st) != 0;
        if (*created) {
            rc = create_private(path, err);
            if (rc) {
                *created = 0; /* not ours to remove */
                goto out;
            }
        }
    }
    s = xcalloc(1, sizeof(*s));
    s->path = xstrdup(path);
    int src = sqlite3_open_v2(
        path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        rc = bot_err_set(err, BOT_EIO, "cannot open database %s: %s", path,
                         s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(src));
        goto out;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, (int)opts->busy_timeout_ms);
    if (sqlite3_db_readonly(s->db, "main") == 1) {
        rc = bot_err_set(err, BOT_EIO, "cannot open database %s: opened read-only", path);
        goto out;
    }

    /* Read-only checks first: a file we will not use must stay byte-for-byte as it was. */
    rc = pragma_int(s, "PRAGMA application_id", &app_id, err);
    if (rc)
        goto out;
    if (app_id != 0 && app_id != STORE_APPLICATION_ID) {
        rc = bot_err_set(err, BOT_EDB,
                         "cannot open database %s: not an incidentd database (application_id %d)",
                         path, app_id);
        goto out;
    }
    rc = pragma_int(s, "PRAGMA user_version", &version, err);
    if (rc)
        goto out;
    rc = check_version(s, version, err);
    if (rc)
        goto out;

    if (!memory) {
        sqlite3_stmt *jm = NULL;
        src = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &jm, NULL);
        if (src == SQLITE_OK)
            src = sqlite3_step(jm);
        if (src != SQLITE_ROW) {
            rc = store_sqlerr(s, src, "switching to WAL mode", err);
            sqlite3_finalize(jm);
            goto out;
        }
        const char *mode = (const char *)sqlite3_column_text(jm, 0);
        if (mode == NULL || strcmp(mode, "wal") != 0)
            rc = bot_err_set(err, BOT_EDB, "cannot open database %s: WAL mode refused (got %s)",
                             path, mode ? mode : "nothing");
        sqlite3_finalize(jm);
        if (rc)
            goto out;
    }
    int n = snprintf(sql, sizeof(sql), "PRAGMA synchronous = %s",
                     opts->sync == STORE_SYNC_NORMAL ? "NORMAL" : "FULL");
    if (n < 0 || (size_t)n >= sizeof(sql)) {
        rc = bot_err_set(err, BOT_EINVAL, "synchronous pragma too long");
        goto out;
    }
    rc = store_exec(s, sql, "setting synchronous", err);
    if (rc)
        goto out;
    /* SQLite's default page cache is 2 MiB per connection; the bot keeps three open. */
    rc = store_exec(s, "PRAGMA cache_size = -" STORE_CACHE_KIB_STR, "sizing the page cache", err);
    if (rc)
        goto out;
    if (!opts->autocheckpoint) {
        rc = store_exec(s, "PRAGMA wal_autocheckpoint = 0", "disabling checkpoints", err);
        if (rc)
            goto out;
    }
    /* Per connection, and a no-op inside a transaction: set before anything else runs. */
    rc = store_exec(s, "PRAGMA foreign_keys = ON", "enabling foreign keys", err);
    if (rc)
        goto out;
    rc = store_exec(s, "PRAGMA trusted_schema = OFF", "distrusting the schema", err);
    if (rc)
        goto out;
out:
    if (rc) {
        store_close(s);
        return rc;
    }
    *out = s;
    return BOT_OK;
}

/*
 * Takes the database from its version to `to` in one IMMEDIATE transaction,
 * writing the test seed rows after each step when seed is set.
 */
static enum bot_rc migrate(struct store *s, int to, int seed, struct bot_err *err)
{
    enum bot_rc rc;
    int version = 0, objects = 0;
    char what[160], sql[64];
    sqlite3_stmt *st = NULL;

    rc = store_exec(s, "BEGIN IMMEDIATE", "locking the database for migration", err);
    if (rc)
        return rc;
    /* Again under the lock: another process may have migrated in between. */
    rc = pragma_int(s, "PRAGMA user_version", &version, err);
    if (rc)
        goto out;
    rc = check_version(s, version, err);
    if (rc)
        goto out;
    if (version >= to)
        goto out;
    if (version == 0) {
        rc = pragma_int(s, "SELECT count(*) FROM sqlite_schema", &objects, err);
        if (rc)
            goto out;
        if (objects > 0) {
            rc = bot_err_set(err, BOT_EDB,
                             "cannot open database %s: it has tables but no incidentd schema "
                             "version; is it another program's database?",
                             s->path);
            goto out;
        }
    }
    for (int v = version; v < to; v++) {
        int w = snprintf(what, sizeof(what), "migrating to schema version %d", v + 1);
        rc = store_exec(s, store_migrations[v],
                        w > 0 && (size_t)w < sizeof(what) ? what : "migrating", err);
        if (rc)
            goto out;
        if (seed) {
            rc = store_exec(s, store_migration_seeds[v], "writing test seed rows", err);
            if (rc)
                goto out;
        }
    }
    int n = snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", to);
    if (n < 0 || (size_t)n >= sizeof(sql)) {
        rc = bot_err_set(err, BOT_EINVAL, "user_version pragma too long");
        goto out;
    }
    rc = store_exec(s, sql, "setting the schema version", err);
    if (rc)
        goto out;
    int src = sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &st, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        rc = bot_err_set(err, BOT_EDB,
                         "migrating %s: foreign key violation in table %s after migration", s->path,
                         (const char *)sqlite3_column_text(st, 0));
        goto out;
    }
    if (src != SQLITE_DONE) {
        rc = store_sqlerr(s, src, "checking foreign keys after migration", err);
        goto out;
    }
out:
    sqlite3_finalize(st);
    if (rc) {
        if (!sqlite3_get_autocommit(s->db))
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL); /* the error is rc's */
        return rc;
    }
    return store_exec(s, "COMMIT", "committing the migration", err);
}

static void remove_created(const char *path)
{
    static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
    unlink(path);
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        char *p = xasprintf("%s%s", path, suffixes[i]);
        unlink(p);
        free(p);
    }
}

static enum bot_rc open_at(const char *path, const struct store_opts *opts, int to, int seed,
                           struct store **out, struct bot_err *err)
{
    enum bot_rc rc;
    struct store_opts defaults;
    struct store *s = NULL;
    int created = 0;

    *out = NULL;
    if (opts == NULL) {
        store_opts_init(&defaults);
        opts = &defaults;
    }
    if (path == NULL || path[0] == '\0')
        return bot_err_set(err, BOT_EINVAL, "cannot open database: empty path");
    if (opts->busy_timeout_ms < 0 || opts->busy_timeout_ms > STORE_BUSY_TIMEOUT_MS_MAX)
        return bot_err_set(err, BOT_EINVAL,
                           "cannot open database %s: busy timeout %lld ms "
                           "is outside 0..%d",
                           path, (long long)opts->busy_timeout_ms, STORE_BUSY_TIMEOUT_MS_MAX);
    rc = open_conn(path, opts, &s, &created, err);
    if (rc)
        goto out;
    rc = migrate(s, to, seed, err);
    if (rc)
        goto out;
out:
    if (rc) {
        store_close(s);
        if (created)
            remove_created(path);
        return rc;
    }
    *out = s;
    return BOT_OK;
}

enum bot_rc store_open_opts(const char *path, const struct store_opts *opts, struct store **out,
                            struct bot_err *err)
{
    return open_at(path, opts, store_migration_count, 0, out, err);
}

enum bot_rc store_open(const char *path, struct store **out, struct bot_err *err)
{
    return store_open_opts(path, NULL, out, err);
}

void store_close(struct store *s)
{
    if (s == NULL)
        return;
    if (s->db != NULL) {
        for (int i = 0; i < STMT_COUNT; i++)
            sqlite3_finalize(s->stmts[i]);
        if (!sqlite3_get_autocommit(s->db))
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(s->db);
    }
    free(s->path);
    free(s);
}

enum bot_rc store_schema_version(struct store *s, int *version, struct bot_err *err)
{
    return pragma_int(s, "PRAGMA user_version", version, err);
}

enum bot_rc store_checkpoint(struct store *s, struct bot_err *err)
{
    int n_log = 0, n_ckpt = 0;
    int src = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &n_log, &n_ckpt);
    if (src == SQLITE_OK)
        return BOT_OK;
    if (src == SQLITE_BUSY || src == SQLITE_LOCKED)
        return bot_err_set(err, BOT_EBUSY, "checkpoint of %s: busy", s->path);
    return bot_err_set(err, BOT_EDB, "checkpoint of %s: %s", s->path, sqlite3_errmsg(s->db));
}

enum bot_rc store_ping(struct store *s, struct bot_err *err)
{
    sqlite3_stmt *st;
    enum bot_rc rc = store_stmt(s, STMT_PING, "SELECT 1", &st, err);
    if (rc)
        return rc;
    rc = store_step_row(s, st, "ping", err);
    store_stmt_done(st);
    return rc;
}

/* ---- transactions ---- */

int store_in_txn(struct store *s)
{
    return !sqlite3_get_autocommit(s->db);
}

static enum bot_rc begin(struct store *s, enum store_stmt_id id, const char *sql,
                         struct bot_err *err)
{
    if (store_in_txn(s))
        return bot_err_set(err, BOT_ESTATE, "begin: a transaction is already open on %s", s->path);
    return run(s, id, sql, "beginning a transaction", err);
}

enum bot_rc store_begin(struct store *s, struct bot_err *err)
{
    return begin(s, STMT_BEGIN, "BEGIN IMMEDIATE", err);
}

enum bot_rc store_begin_read(struct store *s, struct bot_err *err)
{
    return begin(s, STMT_BEGIN_READ, "BEGIN DEFERRED", err);
}

enum bot_rc store_commit(struct store *s, struct bot_err *err)
{
    if (!store_in_txn(s))
        return bot_err_set(err, BOT_ESTATE, "commit: no transaction is open on %s", s->path);
    enum bot_rc rc = run(s, STMT_COMMIT, "COMMIT", "committing", err);
    if (rc)
        store_rollback(s);
    return rc;
}

void store_rollback(struct store *s)
{
    if (s != NULL && store_in_txn(s))
        (void)run(s, STMT_ROLLBACK, "ROLLBACK", "rolling back", NULL);
}

/* ---- kv ---- */

static enum bot_rc check_key(const char *key, struct bot_err *err)
{
    if (key == NULL || key[0] == '\0' || strlen(key) > STORE_KEY_MAX)
        return bot_err_set(err, BOT_EINVAL, "kv: key must be 1..%d bytes", STORE_KEY_MAX);
    return BOT_OK;
}

enum bot_rc store_kv_get(struct store *s, const char *key, char **value, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    *value = NULL;
    rc = check_key(key, err);
    if (rc)
        goto out;
    rc = store_stmt(s, STMT_KV_GET, "SELECT value FROM meta WHERE key = ?1", &st, err);
    if (rc)
        goto out;
    b = store_bind_text(st, 1, key);
    if (b) {
        rc = store_sqlerr(s, b, "kv get", err);
        goto out;
    }
    rc = store_step_row(s, st, "kv get", err);
    if (rc)
        goto out;
    *value = store_col_text(st, 0);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_kv_set(struct store *s, const char *key, const char *value, int64_t at,
                         struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = check_key(key, err);
    if (rc)
        goto out;
    if (value == NULL) {
        rc = bot_err_set(err, BOT_EINVAL, "kv set %s: NULL value", key);
        goto out;
    }
    rc = store_stmt(s, STMT_KV_SET,
                    "INSERT INTO meta (key, value, updated_at) VALUES (?1, ?2, ?3)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                    " updated_at = excluded.updated_at",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_text(st, 1, key);
    b |= store_bind_text(st, 2, value);
    b |= store_bind_time(st, 3, at);
    if (b) {
        rc = store_sqlerr(s, b, "kv set", err);
        goto out;
    }
    rc = store_step_done(s, st, "kv set", err);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_kv_delete(struct store *s, const char *key, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = check_key(key, err);
    if (rc)
        goto out;
    rc = store_stmt(s, STMT_KV_DELETE, "DELETE FROM meta WHERE key = ?1", &st, err);
    if (rc)
        goto out;
    b = store_bind_text(st, 1, key);
    if (b) {
        rc = store_sqlerr(s, b, "kv delete", err);
        goto out;
    }
    rc = store_step_done(s, st, "kv delete", err);
    if (rc)
        goto out;
    if (sqlite3_changes(s->db) == 0)
        rc = bot_err_set(err, BOT_ENOTFOUND, "kv delete: no key %s", key);
out:
    store_stmt_done(st);
    return rc;
}

/* ---- test hooks (store_testing.h) ---- */

enum bot_rc store_testing_create(const char *path, int version, struct bot_err *err)
{
    struct store *s = NULL;
    struct stat st;
    enum bot_rc rc;

    if (version < 0 || version > store_migration_count)
        return bot_err_set(err, BOT_EINVAL, "testing: no schema version %d", version);
    if (stat(path, &st) == 0)
        return bot_err_set(err, BOT_EEXISTS, "testing: %s already exists", path);
    rc = open_at(path, NULL, version, 1, &s, err);
    store_close(s);
    return rc;
}

enum bot_rc store_testing_set_user_version(const char *path, int version, struct bot_err *err)
{
    struct store *s = NULL;
    enum bot_rc rc;
    char sql[64];
    int created = 0;
    struct store_opts opts;

    store_opts_init(&opts);
    rc = open_conn(path, &opts, &s, &created, err);
    if (rc)
        return rc;
    int n = snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
    if (n < 0 || (size_t)n >= sizeof(sql))
        rc = bot_err_set(err, BOT_EINVAL, "user_version pragma too long");
    else
        rc = store_exec(s, sql, "setting user_version", err);
    store_close(s);
    return rc;
}
