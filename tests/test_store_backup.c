/*
 * Unit tests of store_backup() on real database files in a temporary
 * directory: a copy of every table's rows, a copy taken while another
 * connection keeps committing (each copy one consistent snapshot), a copy
 * of a database nobody has open, the copy replacing an older file
 * atomically, and every bad source or destination refused with a clear
 * error, the destination untouched and no temporary file left behind.
 */
#include <dirent.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "store.h"
#include "store_backup.h"
#include "store_testing.h"
#include "xmalloc.h"

#define T0      1700000000000LL
#define WRITES  400 /* rows the concurrent writer commits, one transaction each */
#define BACKUPS 5   /* backups taken while it writes */

static char tmpdir[] = "/tmp/incidentd-backup-XXXXXX";
static int seq;

static char *new_path(const char *name)
{
    return xasprintf("%s/%s-%d.db", tmpdir, name, ++seq);
}

static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);
        DIR *d = opendir(path);
        if (d != NULL) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                char *p = xasprintf("%s/%s", path, e->d_name);
                rm_rf(p);
                free(p);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Files in dir whose name contains ".tmp-" (left-over temporary copies). */
static int tmp_files(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp-") != NULL)
            n++;
    closedir(d);
    return n;
}

/* One integer from a query on a plain read-only connection; -1 on error. */
static int64_t query_i64(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Rows of every table of the database at path, summed, as "table=N;" text (caller frees). */
static char *table_counts(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *out = xstrdup("");
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto done;
    if (sqlite3_prepare_v2(db,
                           "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                           "'sqlite_%' ORDER BY name",
                           -1, &st, NULL) != SQLITE_OK)
        goto done;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        char *q = xasprintf("SELECT count(*) FROM \"%s\"", t);
        sqlite3_stmt *c = NULL;
        long long n = -1;
        if (sqlite3_prepare_v2(db, q, -1, &c, NULL) == SQLITE_OK && sqlite3_step(c) == SQLITE_ROW)
            n = sqlite3_column_int64(c, 0);
        sqlite3_finalize(c);
        char *next = xasprintf("%s%s=%lld;", out, t, n);
        free(out);
        out = next;
        free(q);
    }
done:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

static void test_copy_has_every_row(void)
{
    struct bot_err err = {{0}};
    struct store_backup_info info = {0};
    struct store *s = NULL;
    char *src = new_path("src"), *dst = new_path("copy");
    /* Every table with its seed rows, then a connection kept open as the daemon keeps it. */
    CHECK_INT(store_testing_create(src, store_schema_latest(), &err), BOT_OK);
    CHECK_INT(store_open(src, &s, &err), BOT_OK);
    CHECK_INT(store_kv_set(s, "backup.test", "kept", T0, &err), BOT_OK);

    CHECK_MSG(store_backup(src, dst, &info, &err) == BOT_OK, "%s", err.msg);
    CHECK_INT(info.schema_version, store_schema_latest());
    CHECK(info.pages > 0);
    struct stat st;
    CHECK(stat(dst, &st) == 0);
    CHECK_INT(info.bytes, st.st_size);
    CHECK_INT(st.st_mode & 0777, 0600);
    /* One self-contained file: rollback journal mode, no -wal beside it. */
    char *wal = xasprintf("%s-wal", dst);
    CHECK(access(wal, F_OK) != 0);
    free(wal);
    unsigned char hdr[20] = {0};
    FILE *f = fopen(dst, "rb");
    CHECK(f != NULL);
    size_t got = fread(hdr, 1, sizeof(hdr), f);
    fclose(f);
    CHECK_INT(got, sizeof(hdr));
    CHECK_INT(hdr[18], 1); /* file format versions: 1 = rollback journal, 2 = WAL */
    CHECK_INT(hdr[19], 1);

    char *a = table_counts(src), *b = table_counts(dst);
    CHECK_MSG(strcmp(a, b) == 0 && strlen(a) > 20, "source %s, copy %s", a, b);
    CHECK_CONTAINS(b, "incidents=");
    free(a);
    free(b);
    store_close(s);

    /* The copy opens as an incidentd database, without migrating, with the row. */
    struct store *c = NULL;
    char *v = NULL;
    CHECK_MSG(store_open(dst, &c, &err) == BOT_OK, "%s", err.msg);
    CHECK_INT(store_kv_get(c, "backup.test", &v, &err), BOT_OK);
    CHECK_STR(v, "kept");
    free(v);
    store_close(c);
    CHECK_INT(tmp_files(tmpdir), 0);
    free(src);
    free(dst);
}

struct writer {
    const char *path;
    int done;
    int failed;
    char msg[BOT_ERR_MAX];
};

static void *write_rows(void *arg)
{
    struct writer *w = arg;
    struct bot_err err = {{0}};
    struct store *s = NULL;
    if (store_open(w->path, &s, &err) != BOT_OK) {
        w->failed = 1;
        snprintf(w->msg, sizeof(w->msg), "%s", err.msg);
        return NULL;
    }
    for (int i = 0; i < WRITES && !w->failed; i++) {
        char key[32];
        snprintf(key, sizeof(key), "row.%05d", i);
        if (store_kv_set(s, key, "x", T0 + i, &err) != BOT_OK) {
            w->failed = 1;
            snprintf(w->msg, sizeof(w->msg), "%s", err.msg);
        }
    }
    store_close(s);
    __atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* The rows a copy holds are row.00000 .. row.(n-1), with no gap: one snapshot. */
static void test_backup_while_writing(void)
{
    struct bot_err err = {{0}};
    struct store *s = NULL;
    char *src = new_path("busy");
    CHECK_INT(store_open(src, &s, &err), BOT_OK); /* the daemon's connection, open throughout */
    struct writer w = {.path = src};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, write_rows, &w) == 0);
    int64_t last = -1, distinct = 0;
    for (int i = 0; i < BACKUPS; i++) {
        char *dst = new_path("snap");
        enum bot_rc rc = store_backup(src, dst, NULL, &err);
        if (rc != BOT_OK) {
            pthread_join(t, NULL);
            store_close(s);
            CHECK_MSG(0, "backup %d: %s", i, err.msg);
        }
        int64_t n = query_i64(dst, "SELECT count(*) FROM meta WHERE key LIKE 'row.%'");
        int64_t maxi =
            query_i64(dst, "SELECT coalesce(max(CAST(substr(key, 5) AS INTEGER)), -1) FROM meta "
                           "WHERE key LIKE 'row.%'");
        if (n < 0 || maxi != n - 1 || n < last) {
            pthread_join(t, NULL);
            store_close(s);
            CHECK_MSG(0, "copy %d holds %lld rows up to index %lld (previous copy %lld)", i,
                      (long long)n, (long long)maxi, (long long)last);
        }
        fprintf(stderr, "%s copy %d: %lld rows\n", __func__, i, (long long)n);
        if (n != last)
            distinct++;
        last = n;
        free(dst);
        nanosleep(&(struct timespec){0, 2000000L}, NULL);
    }
    pthread_join(t, NULL);
    CHECK_MSG(!w.failed, "writer: %s", w.msg);
    /* The backups ran beside the writer, not after it: some saw different row counts. */
    CHECK_MSG(distinct >= 2 || last < WRITES, "every copy saw the same %lld rows", (long long)last);
    /* After the writer: a copy holds all of them. */
    char *dst = new_path("final");
    CHECK_MSG(store_backup(src, dst, NULL, &err) == BOT_OK, "%s", err.msg);
    CHECK_INT(query_i64(dst, "SELECT count(*) FROM meta WHERE key LIKE 'row.%'"), WRITES);
    store_close(s);
    CHECK_INT(tmp_files(tmpdir), 0);
    free(dst);
    free(src);
}

/* A database nobody has open (no -wal, no -shm): copied, and left as it was. */
static void test_closed_database(void)
{
    struct bot_err err = {{0}};
    char *src = new_path("closed"), *dst = new_path("closed-copy");
    CHECK_INT(store_testing_create(src, store_schema_latest(), &err), BOT_OK);
    struct stat before, after;
    CHECK(stat(src, &before) == 0);
    CHECK_MSG(store_backup(src, dst, NULL, &err) == BOT_OK, "%s", err.msg);
    CHECK(stat(src, &after) == 0);
    CHECK_INT(after.st_size, before.st_size);
    /* Nothing created beside it either (files that the service's user might not own). */
    char *shm = xasprintf("%s-shm", src), *wal = xasprintf("%s-wal", src);
    int left = access(shm, F_OK) == 0 || access(wal, F_OK) == 0;
    free(shm);
    free(wal);
    CHECK(!left);
    CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
          after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
    char *a = table_counts(src), *b = table_counts(dst);
    CHECK_MSG(strcmp(a, b) == 0, "source %s, copy %s", a, b);
    free(a);
    free(b);
    free(src);
    free(dst);
}

/* An older backup at the destination is replaced; a failed backup leaves it alone. */
static void test_replace_and_keep(void)
{
    struct bot_err err = {{0}};
    char *src = new_path("rep"), *dst = new_path("rep-copy"), *junk = new_path("junk");
    CHECK_INT(store_testing_create(src, store_schema_latest(), &err), BOT_OK);
    FILE *f = fopen(dst, "w");
    CHECK(f != NULL);
    fputs("yesterday's backup\n", f);
    fclose(f);
    f = fopen(junk, "w");
    CHECK(f != NULL);
    fputs("this is not a database, but it is long enough to have a header ........", f);
    fclose(f);

    CHECK(store_backup(junk, dst, NULL, &err) != BOT_OK);
    CHECK_CONTAINS(err.msg, junk);
    struct stat st;
    CHECK(stat(dst, &st) == 0);
    CHECK_INT(st.st_size, 19); /* untouched */

    CHECK_MSG(store_backup(src, dst, NULL, &err) == BOT_OK, "%s", err.msg);
    CHECK(query_i64(dst, "PRAGMA application_id") == 1229865796);
    CHECK_INT(tmp_files(tmpdir), 0);
    free(src);
    free(dst);
    free(junk);
}

static void test_bad_source_and_destination(void)
{
    struct bot_err err = {{0}};
    char *src = new_path("ok"), *dst = new_path("ok-copy");
    CHECK_INT(store_testing_create(src, store_schema_latest(), &err), BOT_OK);

    /* The destination's directory does not exist. */
    char *nodir = xasprintf("%s/no/such/dir/backup.db", tmpdir);
    CHECK_INT(store_backup(src, nodir, NULL, &err), BOT_EIO);
    CHECK_CONTAINS(err.msg, "no/such/dir");
    CHECK_CONTAINS(err.msg, "No such file or directory");
    free(nodir);
    /* The destination is a directory, or names none. */
    CHECK_INT(store_backup(src, tmpdir, NULL, &err), BOT_EINVAL);
    CHECK_CONTAINS(err.msg, "is a directory");
    char *slash = xasprintf("%s/", tmpdir);
    CHECK_INT(store_backup(src, slash, NULL, &err), BOT_EINVAL);
    free(slash);
    CHECK_INT(store_backup(src, "", NULL, &err), BOT_EINVAL);
    /* The destination is the database itself, also by another name. */
    CHECK_INT(store_backup(src, src, NULL, &err), BOT_EINVAL);
    CHECK_CONTAINS(err.msg, "the database itself");
    /* Or one of its files, existing or not, also through another path to the directory. */
    char *wal = xasprintf("%s-wal", src),
         *journal = xasprintf("%s/./%s-journal", tmpdir, strrchr(src, '/') + 1);
    CHECK_INT(store_backup(src, wal, NULL, &err), BOT_EINVAL);
    CHECK_CONTAINS(err.msg, "the database's -wal");
    CHECK_INT(store_backup(src, journal, NULL, &err), BOT_EINVAL);
    CHECK_CONTAINS(err.msg, "-journal");
    CHECK(access(wal, F_OK) != 0 && access(journal, F_OK) != 0);
    free(wal);
    free(journal);
    char *link = new_path("link");
    CHECK(symlink(src, link) == 0);
    CHECK_INT(store_backup(src, link, NULL, &err), BOT_EINVAL);
    free(link);
    /* The destination's parent is a file. */
    char *under_file = xasprintf("%s/x.db", src);
    CHECK_INT(store_backup(src, under_file, NULL, &err), BOT_EIO);
    CHECK_CONTAINS(err.msg, "not a directory");
    free(under_file);
    /* A read-only directory (root may write anyway: then only the success is checked). */
    char *ro = xasprintf("%s/readonly", tmpdir);
    CHECK(mkdir(ro, 0500) == 0);
    char *ro_dst = xasprintf("%s/b.db", ro);
    enum bot_rc rc = store_backup(src, ro_dst, NULL, &err);
    if (geteuid() != 0) {
        CHECK_INT(rc, BOT_EIO);
        CHECK_CONTAINS(err.msg, "not writable");
    } else {
        CHECK_INT(rc, BOT_OK);
    }
    free(ro_dst);
    free(ro);

    /* Root and a database of another user: refused (SQLite's -shm would become root's). */
    if (geteuid() == 0) {
        char *theirs = new_path("theirs");
        CHECK_INT(store_testing_create(theirs, store_schema_latest(), &err), BOT_OK);
        CHECK(chown(theirs, 10001, 10001) == 0);
        CHECK_INT(store_backup(theirs, dst, NULL, &err), BOT_EPERM);
        CHECK_CONTAINS(err.msg, "uid 10001");
        free(theirs);
    }

    /* Sources: missing, a directory, not SQLite, SQLite but not incidentd's. */
    char *missing = xasprintf("%s/missing.db", tmpdir);
    CHECK_INT(store_backup(missing, dst, NULL, &err), BOT_EIO);
    CHECK_CONTAINS(err.msg, "missing.db");
    CHECK_INT(store_backup(tmpdir, dst, NULL, &err), BOT_EIO);
    char *other = new_path("other");
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(other, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "CREATE TABLE t(x); PRAGMA application_id = 42", NULL, NULL, NULL) ==
          SQLITE_OK);
    sqlite3_close(db);
    CHECK_INT(store_backup(other, dst, NULL, &err), BOT_EDB);
    CHECK_CONTAINS(err.msg, "not an incidentd database");
    CHECK(access(dst, F_OK) != 0); /* nothing written for any of them */
    CHECK_INT(tmp_files(tmpdir), 0);
    free(missing);
    free(other);
    free(src);
    free(dst);
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_copy_has_every_row);
    RUN(test_backup_while_writing);
    RUN(test_closed_database);
    RUN(test_replace_and_keep);
    RUN(test_bad_source_and_destination);
    rm_rf(tmpdir);
    return CHECK_DONE();
}
