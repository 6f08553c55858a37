/*
 * store_backup(): a consistent copy of the live database through SQLite's
 * online backup API, written beside the destination under a temporary
 * name, verified and renamed into place. See store_backup.h for the
 * contract.
 *
 * Why one backup step for all pages (sqlite3_backup_step(b, -1)): a backup
 * that copies a few pages at a time restarts from the beginning whenever
 * another connection writes between two steps, so under a busy daemon it
 * may never finish. One step reads a single WAL snapshot from start to end;
 * in WAL mode that read does not block the daemon's writers (they append to
 * the WAL; only a checkpoint waits to copy past the snapshot).
 */
#include "store_backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_internal.h"
#include "xmalloc.h"

#define BACKUP_RETRY_MS 20 /* pause between attempts while the source is busy */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The directory part of path, new string: "." when path has no slash. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xmemdup0(path, (size_t)(slash - path));
}

/* One integer from a PRAGMA that returns one row. */
static enum bot_rc pragma_i64(sqlite3 *db, const char *sql, const char *path, int64_t *value,
                              struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc = BOT_OK;
    int src = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *value = sqlite3_column_int64(st, 0);
    else if ((src & 0xff) == SQLITE_NOTADB)
        rc = bot_err_set(err, BOT_EDB, "%s: not an SQLite database", path);
    else if ((src & 0xff) == SQLITE_BUSY || (src & 0xff) == SQLITE_LOCKED)
        rc = bot_err_set(err, BOT_EBUSY, "%s: %s: database locked", path, sql);
    else
        rc = bot_err_set(err, BOT_EDB, "%s: %s: %s", path, sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc;
}

/* The destination must be a file name in a writable directory, and not the source. */
static enum bot_rc check_dest(const char *src_path, const char *dest_path, struct bot_err *err)
{
    struct stat ss, ds;
    enum bot_rc rc = BOT_OK;
    char *dir = NULL;
    size_t n = strlen(dest_path);

    if (n == 0 || dest_path[n - 1] == '/')
        return bot_err_set(err, BOT_EINVAL, "backup destination \"%s\" is not a file name",
                           dest_path);
    if (stat(dest_path, &ds) == 0) {
        if (S_ISDIR(ds.st_mode))
            return bot_err_set(err, BOT_EINVAL,
                               "backup destination %s is a directory; name the file to write",
                               dest_path);
        if (stat(src_path, &ss) == 0 && ss.st_dev == ds.st_dev && ss.st_ino == ds.st_ino)
            return bot_err_set(err, BOT_EINVAL, "backup destination %s is the database itself",
                               dest_path);
        if (!S_ISREG(ds.st_mode))
            return bot_err_set(err, BOT_EINVAL, "backup destination %s is not a regular file",
                               dest_path);
    }
    dir = dir_of(dest_path);
    /*
     * By name too: DEST may not exist yet and still be the database's -wal
     * file. Same directory (by device and inode) and the same file name.
     */
    char *src_dir = dir_of(src_path);
    struct stat sd, dd;
    if (stat(src_dir, &sd) == 0 && stat(dir, &dd) == 0 && sd.st_dev == dd.st_dev &&
        sd.st_ino == dd.st_ino) {
        static const char *const own[] = {"", "-wal", "-shm", "-journal"};
        const char *sb = strrchr(src_path, '/'), *db = strrchr(dest_path, '/');
        sb = sb ? sb + 1 : src_path;
        db = db ? db + 1 : dest_path;
        size_t sn = strlen(sb);
        for (size_t i = 0; rc == BOT_OK && i < sizeof(own) / sizeof(own[0]); i++)
            if (strncmp(db, sb, sn) == 0 && strcmp(db + sn, own[i]) == 0)
                rc = bot_err_set(err, BOT_EINVAL, "backup destination %s is the database%s%s",
                                 dest_path, own[i][0] ? "'s " : " itself", own[i]);
    }
    free(src_dir);
    if (rc == BOT_OK && stat(dir, &ds) != 0)
        rc = bot_err_set(err, BOT_EIO, "cannot write backup %s: directory %s: %s", dest_path, dir,
                         strerror(errno));
    else if (rc == BOT_OK && !S_ISDIR(ds.st_mode))
        rc = bot_err_set(err, BOT_EIO, "cannot write backup %s: %s is not a directory", dest_path,
                         dir);
    else if (rc == BOT_OK && access(dir, W_OK | X_OK) != 0)
        rc = bot_err_set(err, BOT_EIO, "cannot write backup %s: directory %s is not writable: %s",
                         dest_path, dir, strerror(errno));
    free(dir);
    return rc;
}

/* Opens the source (only to read it) and checks that it is incidentd's. */
static enum bot_rc open_source(const char *path, sqlite3 **db, struct bot_err *err)
{
    struct stat st;
    int64_t app_id = 0;

    *db = NULL;
    if (stat(path, &st) != 0)
        return bot_err_set(err, BOT_EIO, "cannot back up %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return bot_err_set(err, BOT_EIO, "cannot back up %s: not a regular file", path);
    /*
     * Root copying a database that another user owns would leave the -wal and
     * -shm files SQLite creates owned by root when the daemon is not running,
     * and the daemon could not open them again: refused, with the remedy.
     */
    if (geteuid() == 0 && st.st_uid != 0)
        return bot_err_set(err, BOT_EPERM,
                           "cannot back up %s as root: it belongs to uid %u; run the backup as "
                           "that user (e.g. sudo -u incidentd incidentd backup ...)",
                           path, (unsigned)st.st_uid);
    /*
     * Read-write without create, and never written: a read-only connection
     * would leave empty -wal and -shm files behind when the daemon is not
     * running, while a read-write one removes them at close when it is the
     * last connection, folding the WAL into the file as the daemon does when
     * it stops.
     */
    int src = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK)
        return bot_err_set(err, BOT_EIO, "cannot back up %s: %s", path,
                           *db ? sqlite3_errmsg(*db) : sqlite3_errstr(src));
    sqlite3_extended_result_codes(*db, 1);
    sqlite3_busy_timeout(*db, STORE_BACKUP_BUSY_MS);
    enum bot_rc rc = pragma_i64(*db, "PRAGMA application_id", path, &app_id, err);
    if (rc == BOT_OK && app_id != STORE_APPLICATION_ID)
        rc = bot_err_set(err, BOT_EDB,
                         "cannot back up %s: not an incidentd database (application_id %lld)", path,
                         (long long)app_id);
    return rc;
}

/* Copies every page of src into dst in one step (see the top of the file). */
static enum bot_rc copy_pages(sqlite3 *src, sqlite3 *dst, const char *src_path, struct bot_err *err)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == NULL)
        return bot_err_set(err, BOT_EDB, "cannot back up %s: %s", src_path, sqlite3_errmsg(dst));
    long waited = 0;
    int step;
    for (;;) {
        step = sqlite3_backup_step(b, -1);
        if (step == SQLITE_DONE)
            break;
        int prim = step & 0xff;
        if (prim == SQLITE_OK)
            continue;
        if ((prim == SQLITE_BUSY || prim == SQLITE_LOCKED) && waited < STORE_BACKUP_BUSY_MS) {
            sleep_ms(BACKUP_RETRY_MS);
            waited += BACKUP_RETRY_MS;
            continue;
        }
        break;
    }
    int fin = sqlite3_backup_finish(b);
    int prim = step & 0xff;
    if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
        return bot_err_set(err, BOT_EBUSY, "cannot back up %s: still locked after %d ms", src_path,
                           STORE_BACKUP_BUSY_MS);
    if (step != SQLITE_DONE)
        return bot_err_set(err, (prim == SQLITE_FULL || prim == SQLITE_IOERR) ? BOT_EIO : BOT_EDB,
                           "cannot back up %s: %s", src_path, sqlite3_errstr(step));
    if (fin != SQLITE_OK)
        return bot_err_set(err, BOT_EDB, "cannot back up %s: %s", src_path, sqlite3_errmsg(dst));
    return BOT_OK;
}

/* Makes the copy self-contained, checks it and describes it. */
static enum bot_rc finish_copy(sqlite3 *dst, const char *dest_path, struct store_backup_info *info,
                               struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc = BOT_OK;
    int64_t app_id = 0, version = 0, pages = 0, page_size = 0;

    /* The header says WAL, as the source's does; a backup is one file without -wal/-shm. */
    int src = sqlite3_prepare_v2(dst, "PRAGMA journal_mode = DELETE", -1, &st, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    const char *mode = src == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (mode == NULL || strcmp(mode, "delete") != 0)
        rc = bot_err_set(err, BOT_EDB, "backup %s: cannot leave WAL mode: %s", dest_path,
                         sqlite3_errmsg(dst));
    sqlite3_finalize(st);
    st = NULL;
    if (rc)
        return rc;

    src = sqlite3_prepare_v2(dst, "PRAGMA integrity_check", -1, &st, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    const char *verdict = src == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (verdict == NULL)
        rc = bot_err_set(err, BOT_EDB, "backup %s: integrity check failed to run: %s", dest_path,
                         sqlite3_errmsg(dst));
    else if (strcmp(verdict, "ok") != 0)
        rc = bot_err_set(err, BOT_EDB, "backup %s: integrity check failed: %s", dest_path, verdict);
    sqlite3_finalize(st);
    if (rc)
        return rc;

    if ((rc = pragma_i64(dst, "PRAGMA application_id", dest_path, &app_id, err)) ||
        (rc = pragma_i64(dst, "PRAGMA user_version", dest_path, &version, err)) ||
        (rc = pragma_i64(dst, "PRAGMA page_count", dest_path, &pages, err)) ||
        (rc = pragma_i64(dst, "PRAGMA page_size", dest_path, &page_size, err)))
        return rc;
    if (app_id != STORE_APPLICATION_ID || version <= 0)
        return bot_err_set(err, BOT_EDB,
                           "backup %s: the copy is not an incidentd database (application_id "
                           "%lld, schema version %lld)",
                           dest_path, (long long)app_id, (long long)version);
    if (info != NULL) {
        info->schema_version = (int)version;
        info->pages = pages;
        info->bytes = pages * page_size;
    }
    return BOT_OK;
}

/* fsync of a file or directory by path. */
static enum bot_rc sync_path(const char *path, int flags, struct bot_err *err)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return bot_err_set(err, BOT_EIO, "cannot open %s to sync it: %s", path, strerror(errno));
    int r = fsync(fd);
    int e = errno;
    close(fd);
    if (r != 0)
        return bot_err_set(err, BOT_EIO, "fsync %s: %s", path, strerror(e));
    return BOT_OK;
}

/* Removes the temporary file and any journal SQLite left beside it. */
static void remove_tmp(const char *tmp)
{
    static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        char *p = xasprintf("%s%s", tmp, suffixes[i]);
        (void)unlink(p);
        free(p);
    }
}

enum bot_rc store_backup(const char *src_path, const char *dest_path,
                         struct store_backup_info *info, struct bot_err *err)
{
    sqlite3 *src = NULL, *dst = NULL;
    char *tmp = NULL, *dir = NULL;
    bool have_tmp = false;
    enum bot_rc rc;

    if (src_path == NULL || dest_path == NULL)
        return bot_err_set(err, BOT_EINVAL, "store_backup: no source or destination");
    rc = check_dest(src_path, dest_path, err);
    if (rc)
        goto out;
    rc = open_source(src_path, &src, err);
    if (rc)
        goto out;

    /* Same directory as the destination, so that rename() is atomic. */
    tmp = xasprintf("%s.tmp-XXXXXX", dest_path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rc = bot_err_set(err, BOT_EIO, "cannot write backup %s: %s", dest_path, strerror(errno));
        goto out;
    }
    have_tmp = true;
    close(fd);
    int sr = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (sr != SQLITE_OK) {
        rc = bot_err_set(err, BOT_EIO, "cannot write backup %s: %s", dest_path,
                         dst ? sqlite3_errmsg(dst) : sqlite3_errstr(sr));
        goto out;
    }
    sqlite3_extended_result_codes(dst, 1);

    rc = copy_pages(src, dst, src_path, err);
    if (rc)
        goto out;
    sqlite3_close(src);
    src = NULL;
    rc = finish_copy(dst, dest_path, info, err);
    if (rc)
        goto out;
    sr = sqlite3_close(dst);
    dst = NULL;
    if (sr != SQLITE_OK) {
        rc = bot_err_set(err, BOT_EIO, "cannot write backup %s: %s", dest_path, sqlite3_errstr(sr));
        goto out;
    }
    rc = sync_path(tmp, O_RDONLY, err);
    if (rc)
        goto out;
    if (rename(tmp, dest_path) != 0) {
        rc = bot_err_set(err, BOT_EIO, "cannot rename %s to %s: %s", tmp, dest_path,
                         strerror(errno));
        goto out;
    }
    have_tmp = false;
    dir = dir_of(dest_path);
    rc = sync_path(dir, O_RDONLY | O_DIRECTORY, err);
out:
    if (dst != NULL)
        sqlite3_close(dst);
    if (src != NULL)
        sqlite3_close(src);
    if (have_tmp)
        remove_tmp(tmp);
    free(tmp);
    free(dir);
    return rc;
}
