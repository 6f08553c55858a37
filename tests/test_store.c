/*
 * Unit tests of store/ on real database files in a temporary directory:
 * opening and migrating (from empty and from every earlier schema version),
 * refusing a newer schema or an unwritable path without changing anything,
 * new files readable by their owner only,
 * every API function, transactions, crash recovery of the queues, and two
 * connections in two threads writing at once.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "store.h"
#include "store_checklist.h"
#include "store_component.h"
#include "store_directory.h"
#include "store_followup.h"
#include "store_inbox.h"
#include "store_incident.h"
#include "store_lock.h"
#include "store_outbox.h"
#include "store_reminder.h"
#include "store_testing.h"
#include "store_timeline.h"
#include "xmalloc.h"

#define T0 1700000000000LL /* a fixed "now" in Unix ms */

static char tmpdir[] = "/tmp/incidentd-store-XXXXXX";
static int dbseq;

/* A fresh database path in the temporary directory; the caller frees it. */
static char *new_path(const char *name)
{
    return xasprintf("%s/%s-%d.db", tmpdir, name, ++dbseq);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The whole file, or NULL; *len its size. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *data = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            data = xrealloc(data, cap);
        }
        size_t r = fread(data + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    fclose(f);
    *len = n;
    return data;
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

static struct store *open_new(const char *name)
{
    struct bot_err err = {{0}};
    struct store *s = NULL;
    char *path = new_path(name);
    if (store_open(path, &s, &err) != BOT_OK) {
        fprintf(stderr, "open %s: %s\n", path, err.msg);
        abort();
    }
    free(path);
    return s;
}

/* Inserts a minimal incident and returns its id (0 on failure). */
static int64_t add_incident(struct store *s, const char *title, const char *status,
                            const char *channel)
{
    struct bot_err err = {{0}};
    struct store_incident inc;
    store_incident_init(&inc);
    inc.title = (char *)title;
    inc.severity = "major";
    inc.status = (char *)status;
    inc.channel_id = (char *)channel;
    inc.declared_at = T0;
    if (store_incident_insert(s, &inc, &err) != BOT_OK) {
        fprintf(stderr, "add_incident: %s\n", err.msg);
        return 0;
    }
    return inc.id;
}

/* ---- opening and migrations ---- */

static void test_open_empty_is_latest(void)
{
    struct bot_err err = {{0}};
    struct store *s = NULL;
    char *path = new_path("empty");
    char *wal = xasprintf("%s-wal", path);
    int v = -1;

    CHECK(store_schema_latest() >= 3);
    CHECK_INT(store_open(path, &s, &err), BOT_OK);
    CHECK_INT(store_schema_version(s, &v, &err), BOT_OK);
    CHECK_INT(v, store_schema_latest());
    CHECK_STR(store_path(s), path);
    CHECK_INT(store_ping(s, &err), BOT_OK);
    CHECK(!store_in_txn(s));
    CHECK(add_incident(s, "x", "investigating", NULL) == 1);
    CHECK_MSG(file_exists(wal), "WAL mode leaves %s while open", wal);
    store_close(s);
    CHECK(!file_exists(wal)); /* checkpointed and removed on the last close */
    free(wal);
    free(path);
}

/* The permission bits of path, or -1 when it does not exist. */
static int mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* Under the umask the caller set (022: world-readable by default). */
static void check_new_files_private(void)
{
    struct bot_err err = {{0}};
    struct store *s = NULL, *other = NULL;
    struct store_opts opts;
    char *dir = xasprintf("%s/private-%d", tmpdir, ++dbseq);
    char *path = xasprintf("%s/incidentd.db", dir);
    char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);

    CHECK(mkdir(dir, 0755) == 0);
    store_opts_init(&opts);
    opts.autocheckpoint = 0; /* as the bot's loop: the WAL stays while it is open */
    CHECK_INT(store_open_opts(path, &opts, &s, &err), BOT_OK);
    CHECK_INT(store_open(path, &other, &err), BOT_OK);
    CHECK(add_incident(s, "Private", "investigating", "C1") > 0);
    CHECK(add_incident(other, "Private too", "investigating", "C2") > 0);
    CHECK_MSG(mode_of(path) == 0600, "database is %o", mode_of(path));
    CHECK_MSG(mode_of(wal) == 0600, "-wal is %o", mode_of(wal));
    CHECK_MSG(mode_of(shm) == 0600, "-shm is %o", mode_of(shm));
    CHECK_MSG(mode_of(dir) == 0755, "the directory became %o", mode_of(dir));
    store_close(other);
    store_close(s);
    CHECK_MSG(mode_of(path) == 0600, "database is %o after close", mode_of(path));

    /* Reopened, it stays so; an existing file's mode is the operator's and is kept. */
    CHECK_INT(store_open(path, &s, &err), BOT_OK);
    CHECK(add_incident(s, "Again", "investigating", "C3") > 0);
    CHECK_MSG(mode_of(wal) == 0600, "-wal is %o on reopening", mode_of(wal));
    store_close(s);
    char *shared = xasprintf("%s/shared.db", dir);
    FILE *f = fopen(shared, "wb");
    CHECK(f != NULL);
    fclose(f);
    CHECK(chmod(shared, 0640) == 0);
    CHECK_INT(store_open(shared, &s, &err), BOT_OK);
    CHECK(add_incident(s, "Shared", "investigating", "C4") > 0);
    store_close(s);
    CHECK_MSG(mode_of(shared) == 0640, "an existing database became %o", mode_of(shared));
    free(shared);
    free(wal);
    free(shm);
    free(path);
    free(dir);
}

static void test_new_files_are_private(void)
{
    mode_t old = umask(022);
    check_new_files_private();
    umask(old);
}

static void test_open_options(void)
{
    struct bot_err err = {{0}};
    struct store *s = NULL;
    struct store_opts opts;
    char *path = new_path("opts");

    store_opts_init(&opts);
    CHECK_INT(opts.busy_timeout_ms, STORE_BUSY_TIMEOUT_MS_DEFAULT);
    CHECK_INT(opts.sync, STORE_SYNC_FULL);
    opts.busy_timeout_ms = -1;
    CHECK_INT(store_open_opts(path, &opts, &s, &err), BOT_EINVAL);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, "busy timeout");
    CHECK(!file_exists(path));
    opts.busy_timeout_ms = 250;
    opts.sync = STORE_SYNC_NORMAL;
    CHECK_INT(store_open_opts(path, &opts, &s, &err), BOT_OK);
    CHECK(add_incident(s, "x", "investigating", NULL) == 1);
    store_close(s);
    s = NULL;
    CHECK_INT(store_open(":memory:", &s, &err), BOT_OK);
    CHECK(add_incident(s, "in memory", "investigating", NULL) == 1);
    store_close(s);
    store_close(NULL);
    free(path);
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* Writes about 8 MB through s: twice SQLite's default autocheckpoint threshold. */
static int write_8mb(struct store *s, const char *prefix)
{
    struct bot_err err;
    char *big = malloc(100001);
    memset(big, 'x', 100000);
    big[100000] = '\0';
    for (int i = 0; i < 80; i++) {
        char key[64];
        snprintf(key, sizeof(key), "%s-%d", prefix, i);
        if (store_kv_set(s, key, big, i + 1, &err) != BOT_OK) {
            free(big);
            return -1;
        }
    }
    free(big);
    return 0;
}

static void test_checkpoint_left_to_another_connection(void)
{
    struct bot_err err = {{0}};
    struct store *loop = NULL, *worker = NULL;
    struct store_opts opts;
    char *path = new_path("ckpt");
    char *wal = xasprintf("%s-wal", path);

    store_opts_init(&opts);
    CHECK_INT(opts.autocheckpoint, 1);
    opts.autocheckpoint = 0;
    CHECK_INT(store_open_opts(path, &opts, &loop, &err), BOT_OK);
    CHECK_INT(store_open(path, &worker, &err), BOT_OK);
    CHECK_INT(write_8mb(loop, "a"), 0);
    /* With checkpoints on, the WAL would have been restarted near 4 MB. */
    CHECK_MSG(file_size(wal) > 7000000, "WAL is %ld bytes", file_size(wal));
    CHECK_INT(store_checkpoint(worker, &err), BOT_OK);
    /* Once checkpointed, the next writes reuse the WAL from its start: it stops growing. */
    long before = file_size(wal);
    CHECK_INT(write_8mb(loop, "b"), 0);
    CHECK_MSG(file_size(wal) <= before + 200000, "WAL grew from %ld to %ld", before,
              file_size(wal));
    char *v = NULL;
    CHECK_INT(store_kv_get(worker, "b-79", &v, &err), BOT_OK);
    CHECK_INT(strlen(v), 100000);
    free(v);
    store_close(worker);
    store_close(loop);
    free(wal);
    free(path);
}

static void test_reopen_keeps_data(void)
{
    struct bot_err err = {{0}};
    struct store *s = NULL;
    struct store_incident inc;
    char *path = new_path("reopen");
    int v = 0;

    CHECK_INT(store_open(path, &s, &err), BOT_OK);
    int64_t id = add_incident(s, "Reopened", "identified", "C1");
    CHECK(id > 0);
    store_close(s);
    s = NULL;
    for (int i = 0; i < 2; i++) {
        CHECK_INT(store_open(path, &s, &err), BOT_OK);
        CHECK_INT(store_schema_version(s, &v, &err), BOT_OK);
        CHECK_INT(v, store_schema_latest());
        CHECK_INT(store_incident_get(s, id, &inc, &err), BOT_OK);
        CHECK_STR(inc.title, "Reopened");
        CHECK_STR(inc.status, "identified");
        store_incident_clear(&inc);
        store_close(s);
        s = NULL;
    }
    free(path);
}

/* Checks, after migrating from version k, that the rows of seeds 1..k are intact. */
static void check_seeded(struct store *s, int k)
{
    struct bot_err err = {{0}};
    struct store_incident inc;
    char *val = NULL;

    if (k == 0) {
        CHECK_INT(store_incident_get(s, 1, &inc, &err), BOT_ENOTFOUND);
        CHECK_INT(store_kv_get(s, "seed", &val, &err), BOT_ENOTFOUND);
        return;
    }
    CHECK_INT(store_kv_get(s, "seed", &val, &err), BOT_OK);
    CHECK_STR(val, "v1");
    free(val);
    val = NULL;

    CHECK_INT(store_incident_get(s, 1, &inc, &err), BOT_OK);
    CHECK_STR(inc.title, "Seeded checkout outage");
    CHECK_STR(inc.description, "from schema v1");
    CHECK_STR(inc.severity, "major");
    CHECK_STR(inc.status, "investigating");
    CHECK_INT(inc.started_at, 1700000000000LL);
    CHECK_INT(inc.declared_at, 1700000060000LL);
    CHECK_STR(inc.declarer, "U0SEED");
    CHECK_STR(inc.channel_id, "C0SEED");
    CHECK_INT(inc.affected_users, 12);
    CHECK_INT(inc.version, 3);
    CHECK_INT(inc.step, k >= 2 ? 4 : 1); /* the column added by migration 2 has its default */
    CHECK_INT(inc.published, k >= 4);
    if (k >= 4) {
        CHECK_STR(inc.slug, "seeded-checkout-outage");
        CHECK_STR(inc.statuspage_id, "sp-seed");
        CHECK_INT(inc.published_at, 1700000120000LL);
    } else {
        CHECK(inc.slug == NULL && inc.statuspage_id == NULL && inc.published_at == 0);
    }
    if (k >= 7) { /* the amendment's time, added by migration 7, next to the first's */
        CHECK_STR(inc.postmortem, "Seeded postmortem");
        CHECK_INT(inc.postmortem_published_at, 1700000160000LL);
        CHECK_INT(inc.postmortem_updated_at, 1700000170000LL);
    } else {
        CHECK(inc.postmortem == NULL && inc.postmortem_updated_at == 0);
    }
    store_incident_clear(&inc);

    char *user = NULL;
    CHECK_INT(store_role_get(s, 1, "irm", &user, &err), BOT_OK);
    CHECK_STR(user, "U0IRM");
    free(user);

    struct store_timeline_entry *tl = NULL;
    size_t n = 0;
    CHECK_INT(store_timeline_list(s, 1, 0, &tl, &n, &err), BOT_OK);
    CHECK_INT(n, 2);
    CHECK_STR(tl[0].kind, "declare");
    CHECK_STR(tl[1].text, "Looking at the database");
    store_timeline_list_free(tl, n);
    CHECK_INT(store_timeline_list(s, 1, 1, &tl, &n, &err), BOT_OK);
    CHECK_INT(n, 1);
    store_timeline_list_free(tl, n);

    struct store_checklist_item items[STORE_CHECKLIST_STEPS];
    CHECK_INT(store_checklist_get(s, 1, items, &err), BOT_OK);
    CHECK_INT(items[0].done, k >= 2);
    if (k >= 2)
        CHECK_STR(items[0].done_by, "U0IRM");
    store_checklist_clear(items);

    int64_t open = -1;
    CHECK_INT(store_followup_count_open(s, 1, &open, &err), BOT_OK);
    CHECK_INT(open, k >= 2 ? 1 : 0);

    struct store_component c;
    enum bot_rc rc = store_component_get(s, "API", &c, &err);
    if (k >= 2) {
        CHECK_INT(rc, BOT_OK);
        CHECK_STR(c.status, "partial_outage");
        store_component_clear(&c);
        struct store_component_link *links = NULL;
        CHECK_INT(store_component_holders(s, "API", &links, &n, &err), BOT_OK);
        CHECK_INT(n, 1);
        CHECK_STR(links[0].impact, "partial_outage");
        store_component_links_free(links, n);
        CHECK_INT(store_incident_attr_get(s, 1, "support.plan_ready", &val, &err), BOT_OK);
        CHECK_STR(val, "yes");
        free(val);
        val = NULL;
    } else {
        CHECK_INT(rc, BOT_ENOTFOUND);
    }

    struct store_outbox_row ob;
    rc = store_outbox_get_by_key(s, "seed-1", &ob, &err);
    CHECK_INT(rc, k >= 3 ? BOT_OK : BOT_ENOTFOUND);
    if (k >= 3) {
        CHECK_STR(ob.state, "pending");
        CHECK_INT(ob.incident_id, 1);
    }
    store_outbox_row_clear(&ob);
    CHECK_INT(store_inbox_insert(s, "env-seed", NULL, "events_api", "{}", T0, NULL, &err),
              k >= 3 ? BOT_EEXISTS : BOT_OK);
    struct store_reminder *rem = NULL;
    CHECK_INT(store_reminder_list(s, 1, &rem, &n, &err), BOT_OK);
    CHECK_INT(n, k >= 3 ? 1 : 0);
    store_reminder_list_free(rem, n);

    struct store_directory_user du;
    int64_t synced = 0;
    bool member = false;
    rc = store_directory_user(s, "U0GONE", &du, &err);
    CHECK_INT(rc, k >= 5 ? BOT_OK : BOT_ENOTFOUND);
    if (k >= 5) {
        CHECK_STR(du.name, "gone");
        CHECK(du.deleted && !du.is_bot);
        CHECK_INT(du.updated_at, 1700000130000LL);
    }
    store_directory_user_clear(&du);
    CHECK_INT(store_directory_synced_at(s, STORE_DIRECTORY_USERS, &synced, &err),
              k >= 5 ? BOT_OK : BOT_ENOTFOUND);
    CHECK_INT(store_directory_in_group(s, "S0SEED", "U0IRM", &member, &err),
              k >= 5 ? BOT_OK : BOT_ENOTFOUND);
    CHECK_INT(member, k >= 5);

    /* The migrated database takes new rows in every table. */
    int fn = 0;
    CHECK_INT(store_followup_add(s, 1, "after migration", NULL, 0, "U1", T0, &fn, &err), BOT_OK);
    CHECK_INT(fn, k >= 2 ? 2 : 1);
    struct store_effect e = {1, "chat.postMessage", "slack", "{}", "after-migration", 0, false, false};
    CHECK_INT(store_outbox_enqueue(s, &e, T0, NULL, &err), BOT_OK);
    struct store_directory_user list[] = {{"U0NEW", "new", false, false, false, 0}};
    CHECK_INT(store_directory_replace_users(s, list, 1, T0, &err), BOT_OK);
    const char *members[] = {"U0NEW"};
    CHECK_INT(store_directory_replace_group(s, "S0SEED", members, 1, T0, &err), BOT_OK);
}

static void test_migrate_from_every_version(void)
{
    struct bot_err err = {{0}};
    for (int k = 0; k <= store_schema_latest(); k++) {
        struct store *s = NULL;
        char *path = new_path("migrate");
        int v = -1;
        CHECK_MSG(store_testing_create(path, k, &err) == BOT_OK, "v%d: %s", k, err.msg);
        CHECK_INT(store_testing_create(path, k, &err), BOT_EEXISTS);
        CHECK_MSG(store_open(path, &s, &err) == BOT_OK, "from v%d: %s", k, err.msg);
        CHECK_INT(store_schema_version(s, &v, &err), BOT_OK);
        CHECK_INT(v, store_schema_latest());
        check_seeded(s, k);
        if (check_cur_failed) {
            fprintf(stderr, "  (migrating from schema version %d)\n", k);
            return;
        }
        store_close(s);
        /* And again: reopening a migrated file changes nothing. */
        s = NULL;
        CHECK_INT(store_open(path, &s, &err), BOT_OK);
        struct store_incident inc;
        CHECK_INT(store_incident_get(s, 1, &inc, &err), k > 0 ? BOT_OK : BOT_ENOTFOUND);
        store_incident_clear(&inc);
        store_close(s);
        free(path);
    }
    CHECK_INT(store_testing_create("/nonexistent-dir/x.db", store_schema_latest() + 1, &err),
              BOT_EINVAL);
}

static void test_newer_schema_refused_unchanged(void)
{
    struct bot_err err = {{0}};
    struct store *s = NULL;
    char *path = new_path("newer");
    size_t len_before = 0, len_after = 0;
    int latest = store_schema_latest();

    CHECK_INT(store_testing_create(path, latest, &err), BOT_OK);
    CHECK_INT(store_testing_set_user_version(path, latest + 1, &err), BOT_OK);
    char *before = read_file(path, &len_before);
    CHECK(before != NULL && len_before > 0);
    CHECK_INT(store_open(path, &s, &err), BOT_ESCHEMA);
    CHECK(s == NULL);
    char want[64];
    snprintf(want, sizeof(want), "version is %d", latest + 1);
    CHECK_CONTAINS(err.msg, want);
    snprintf(want, sizeof(want), "up to %d", latest);
    CHECK_CONTAINS(err.msg, want);
    CHECK_CONTAINS(err.msg, path);
    char *after = read_file(path, &len_after);
    CHECK(after != NULL);
    CHECK_INT(len_after, len_before);
    CHECK(memcmp(before, after, len_before) == 0);
    free(before);
    free(after);
    free(path);
}

static void test_unusable_paths(void)
{
    struct bot_err err = {{0}};
    struct store *s = NULL;

    /* A directory that does not exist: named in the error, nothing created. */
    char *missing_dir = xasprintf("%s/no/such/dir", tmpdir);
    char *path = xasprintf("%s/incidentd.db", missing_dir);
    CHECK_INT(store_open(path, &s, &err), BOT_EIO);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, missing_dir);
    CHECK_CONTAINS(err.msg, "does not exist");
    CHECK(!file_exists(missing_dir));
    free(path);
    free(missing_dir);

    CHECK_INT(store_open("", &s, &err), BOT_EINVAL);

    /* A path that is a directory. */
    char *dir = xasprintf("%s/adir.db", tmpdir);
    CHECK(mkdir(dir, 0700) == 0);
    CHECK_INT(store_open(dir, &s, &err), BOT_EIO);
    CHECK_CONTAINS(err.msg, "directory");
    free(dir);

    /* A file that is not a database: refused and left as it was. */
    char *junk = xasprintf("%s/junk.db", tmpdir);
    FILE *f = fopen(junk, "wb");
    CHECK(f != NULL);
    for (int i = 0; i < 512; i++)
        fputs("not a database ", f);
    fclose(f);
    size_t len0 = 0, len1 = 0;
    char *before = read_file(junk, &len0);
    CHECK_INT(store_open(junk, &s, &err), BOT_EDB);
    CHECK_CONTAINS(err.msg, "not an SQLite database");
    CHECK_CONTAINS(err.msg, junk);
    char *after = read_file(junk, &len1);
    CHECK(len0 == len1 && memcmp(before, after, len0) == 0);
    free(before);
    free(after);
    free(junk);

    /* A database with tables but no schema version is another program's: left alone. */
    char *foreign = new_path("foreign");
    CHECK_INT(store_testing_create(foreign, 1, &err), BOT_OK);
    CHECK_INT(store_testing_set_user_version(foreign, 0, &err), BOT_OK);
    before = read_file(foreign, &len0);
    CHECK_INT(store_open(foreign, &s, &err), BOT_EDB);
    CHECK_CONTAINS(err.msg, "no incidentd schema version");
    after = read_file(foreign, &len1);
    CHECK(len0 == len1 && memcmp(before, after, len0) == 0);
    free(before);
    free(after);
    free(foreign);

    /* A read-only directory; root writes anyway, so this part only runs as a user. */
    char *ro = xasprintf("%s/readonly", tmpdir);
    CHECK(mkdir(ro, 0500) == 0);
    char *ropath = xasprintf("%s/incidentd.db", ro);
    if (geteuid() != 0) {
        CHECK_INT(store_open(ropath, &s, &err), BOT_EIO);
        CHECK_CONTAINS(err.msg, "not writable");
        CHECK_CONTAINS(err.msg, ro);
        CHECK(!file_exists(ropath));
    } else {
        fprintf(stderr, "note: running as root, read-only directory case skipped\n");
    }
    free(ropath);
    free(ro);
}

/* ---- incidents ---- */

static void test_incident_roundtrip(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("incident");
    struct store_incident in, out, other;

    store_incident_init(&in);
    CHECK_INT(in.affected_users, -1);
    CHECK_INT(in.step, 1);
    in.slug = "db-down";
    in.title = "Database down";
    in.description = "Primary is gone";
    in.severity = "critical";
    in.status = "investigating";
    in.breach = 1;
    in.breach_at = T0 + 1;
    in.below_threshold = 1;
    in.started_at = T0 - 60000;
    in.declared_at = T0;
    in.identified_at = T0 + 2;
    in.resolved_at = T0 + 3;
    in.closed_at = T0 + 4;
    in.declarer = "U1";
    in.channel_id = "C1";
    in.channel_name = "inc-1-db-down";
    in.channel_private = 1;
    in.control_ts = "111.1";
    in.announce_channel = "C0ANN";
    in.announce_ts = "222.2";
    in.call_url = "https://meet.example.com/x";
    in.step = 3;
    in.affected_users = 500;
    in.public_title = "Service disruption";
    in.published = 1;
    in.published_at = T0 + 5;
    in.statuspage_id = "sp1";
    in.postmortem = "What happened";
    in.postmortem_published_at = T0 + 6;
    in.postmortem_updated_at = T0 + 7;
    in.updated_at = T0 + 7;
    CHECK_INT(store_incident_insert(s, &in, &err), BOT_OK);
    CHECK_INT(in.id, 1);
    CHECK_INT(in.version, 1);

    CHECK_INT(store_incident_get(s, in.id, &out, &err), BOT_OK);
    CHECK_STR(out.slug, "db-down");
    CHECK_STR(out.title, "Database down");
    CHECK_STR(out.description, "Primary is gone");
    CHECK_STR(out.severity, "critical");
    CHECK_STR(out.status, "investigating");
    CHECK_INT(out.breach, 1);
    CHECK_INT(out.breach_at, T0 + 1);
    CHECK_INT(out.below_threshold, 1);
    CHECK_INT(out.started_at, T0 - 60000);
    CHECK_INT(out.declared_at, T0);
    CHECK_INT(out.identified_at, T0 + 2);
    CHECK_INT(out.resolved_at, T0 + 3);
    CHECK_INT(out.closed_at, T0 + 4);
    CHECK_STR(out.declarer, "U1");
    CHECK_STR(out.channel_id, "C1");
    CHECK_STR(out.channel_name, "inc-1-db-down");
    CHECK_INT(out.channel_private, 1);
    CHECK_STR(out.control_ts, "111.1");
    CHECK_STR(out.announce_channel, "C0ANN");
    CHECK_STR(out.announce_ts, "222.2");
    CHECK_STR(out.call_url, "https://meet.example.com/x");
    CHECK_INT(out.step, 3);
    CHECK_INT(out.affected_users, 500);
    CHECK_STR(out.public_title, "Service disruption");
    CHECK_INT(out.published, 1);
    CHECK_INT(out.published_at, T0 + 5);
    CHECK_STR(out.statuspage_id, "sp1");
    CHECK_STR(out.postmortem, "What happened");
    CHECK_INT(out.postmortem_published_at, T0 + 6);
    CHECK_INT(out.postmortem_updated_at, T0 + 7);
    CHECK_INT(out.updated_at, T0 + 7);
    CHECK_INT(out.version, 1);

    /* Optimistic update: the first writer wins, a stale copy is refused. */
    CHECK_INT(store_incident_get(s, in.id, &other, &err), BOT_OK);
    free(out.status);
    out.status = xstrdup("identified");
    free(out.description);
    out.description = NULL; /* stored as "" */
    out.affected_users = -1;
    CHECK_INT(store_incident_update(s, &out, &err), BOT_OK);
    CHECK_INT(out.version, 2);
    free(other.severity);
    other.severity = xstrdup("minor");
    CHECK_INT(store_incident_update(s, &other, &err), BOT_ESTATE);
    CHECK_CONTAINS(err.msg, "changed since it was read");
    store_incident_clear(&other);
    CHECK_INT(store_incident_get(s, in.id, &other, &err), BOT_OK);
    CHECK_STR(other.status, "identified");
    CHECK_STR(other.severity, "critical");
    CHECK_STR(other.description, "");
    CHECK_INT(other.affected_users, -1);
    CHECK_INT(other.version, 2);
    store_incident_clear(&other);

    /* Lookups by channel and slug. */
    CHECK_INT(store_incident_get_by_channel(s, "C1", &other, &err), BOT_OK);
    CHECK_INT(other.id, in.id);
    store_incident_clear(&other);
    CHECK_INT(store_incident_get_by_channel(s, "C404", &other, &err), BOT_ENOTFOUND);
    CHECK_INT(store_incident_get_by_slug(s, "db-down", &other, &err), BOT_OK);
    CHECK_INT(other.id, in.id);
    store_incident_clear(&other);
    CHECK_INT(store_incident_get_by_slug(s, "nope", &other, &err), BOT_ENOTFOUND);
    CHECK_INT(store_incident_get(s, 999, &other, &err), BOT_ENOTFOUND);
    CHECK_CONTAINS(err.msg, "999");

    /* Update of a missing incident. */
    out.id = 999;
    CHECK_INT(store_incident_update(s, &out, &err), BOT_ENOTFOUND);
    store_incident_clear(&out);

    /* Bad input and duplicates. */
    struct store_incident bad;
    store_incident_init(&bad);
    bad.severity = "major";
    bad.status = "investigating";
    CHECK_INT(store_incident_insert(s, &bad, &err), BOT_EINVAL); /* no title */
    bad.title = "t";
    bad.severity = "huge";
    CHECK_INT(store_incident_insert(s, &bad, &err), BOT_EINVAL);
    bad.severity = "major";
    bad.status = "sleeping";
    CHECK_INT(store_incident_insert(s, &bad, &err), BOT_EINVAL);
    bad.status = "investigating";
    bad.affected_users = -3;
    CHECK_INT(store_incident_insert(s, &bad, &err), BOT_EINVAL);
    bad.affected_users = -1;
    bad.step = 10;
    CHECK_INT(store_incident_insert(s, &bad, &err), BOT_EINVAL);
    bad.step = 0; /* means 1 */
    bad.published = 1;
    CHECK_INT(store_incident_insert(s, &bad, &err), BOT_EINVAL);
    bad.published = 0;
    bad.channel_id = "C1";
    CHECK_INT(store_incident_insert(s, &bad, &err), BOT_EEXISTS);
    bad.channel_id = NULL;
    bad.slug = "db-down";
    CHECK_INT(store_incident_insert(s, &bad, &err), BOT_EEXISTS);
    bad.slug = NULL;
    bad.statuspage_id = "sp1";
    CHECK_INT(store_incident_insert(s, &bad, &err), BOT_EEXISTS);
    bad.statuspage_id = NULL;
    CHECK_INT(store_incident_insert(s, &bad, &err), BOT_OK);
    CHECK_INT(bad.id, 2);
    CHECK_INT(store_incident_get(s, 2, &other, &err), BOT_OK);
    CHECK_INT(other.step, 1);
    CHECK(other.slug == NULL && other.channel_id == NULL);
    store_incident_clear(&other);

    /* A title with quotes and a would-be injection is stored as given. */
    CHECK(add_incident(s, "x'); DROP TABLE incidents; --", "investigating", NULL) == 3);
    CHECK_INT(store_incident_get(s, 3, &other, &err), BOT_OK);
    CHECK_STR(other.title, "x'); DROP TABLE incidents; --");
    store_incident_clear(&other);
    store_close(s);
}

static void test_incident_lists(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("lists");
    struct store_incident *rows = NULL;
    size_t n = 0;
    const char *statuses[] = {"potential", "investigating", "identified", "monitoring",
                              "resolved",  "postmortem",    "closed"};

    for (int i = 0; i < 7; i++)
        CHECK(add_incident(s, statuses[i], statuses[i], NULL) == i + 1);
    CHECK_INT(store_incident_list_open(s, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 4);
    for (size_t i = 0; i < n; i++)
        CHECK_STR(rows[i].status, statuses[i]);
    store_incident_list_free(rows, n);

    const char *two[] = {"closed", "resolved"};
    CHECK_INT(store_incident_list_by_status(s, two, 2, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 2);
    CHECK_STR(rows[0].status, "resolved");
    CHECK_STR(rows[1].status, "closed");
    store_incident_list_free(rows, n);
    const char *none[] = {"nonsense"};
    CHECK_INT(store_incident_list_by_status(s, none, 1, &rows, &n, &err), BOT_OK);
    CHECK(n == 0 && rows == NULL);
    CHECK_INT(store_incident_list_by_status(s, statuses, 0, &rows, &n, &err), BOT_EINVAL);
    CHECK_INT(store_incident_list_by_status(s, statuses, 8, &rows, &n, &err), BOT_EINVAL);

    /* Published history: newest first, since and limit honoured, unpublished left out. */
    for (int64_t id = 1; id <= 3; id++) {
        struct store_incident inc;
        CHECK_INT(store_incident_get(s, id, &inc, &err), BOT_OK);
        inc.published = 1;
        inc.published_at = T0 + id * 1000;
        CHECK_INT(store_incident_update(s, &inc, &err), BOT_OK);
        store_incident_clear(&inc);
    }
    CHECK_INT(store_incident_list_published(s, 0, 10, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 3);
    CHECK_INT(rows[0].id, 3);
    CHECK_INT(rows[2].id, 1);
    store_incident_list_free(rows, n);
    CHECK_INT(store_incident_list_published(s, T0 + 2000, 10, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 2);
    store_incident_list_free(rows, n);
    CHECK_INT(store_incident_list_published(s, 0, 1, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 1);
    CHECK_INT(rows[0].id, 3);
    store_incident_list_free(rows, n);
    CHECK_INT(store_incident_list_published(s, 0, 0, &rows, &n, &err), BOT_EINVAL);
    store_close(s);
}

static void test_incident_attrs(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("attrs");
    char *v = NULL;
    int64_t id = add_incident(s, "attrs", "investigating", NULL);

    CHECK_INT(store_incident_attr_get(s, id, "support.docs", &v, &err), BOT_ENOTFOUND);
    CHECK(v == NULL);
    CHECK_INT(store_incident_attr_set(s, id, "support.docs", "https://docs/x", T0, &err), BOT_OK);
    CHECK_INT(store_incident_attr_set(s, id, "support.docs", "https://docs/y", T0, &err), BOT_OK);
    CHECK_INT(store_incident_attr_get(s, id, "support.docs", &v, &err), BOT_OK);
    CHECK_STR(v, "https://docs/y");
    free(v);
    CHECK_INT(store_incident_attr_set(s, 99, "k", "v", T0, &err), BOT_ENOTFOUND);
    CHECK_INT(store_incident_attr_set(s, id, "", "v", T0, &err), BOT_EINVAL);
    CHECK_INT(store_incident_attr_set(s, id, "k", NULL, T0, &err), BOT_EINVAL);
    store_close(s);
}

static void test_roles(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("roles");
    struct store_role *rows = NULL;
    size_t n = 0;
    char *user = NULL;
    int64_t id = add_incident(s, "roles", "investigating", NULL);

    CHECK_INT(store_role_get(s, id, "irm", &user, &err), BOT_ENOTFOUND);
    CHECK_INT(store_role_set(s, id, "irm", "UA", "UA", T0, &err), BOT_OK);
    CHECK_INT(store_role_set(s, id, "irm", "UA", "UX", T0 + 1, &err), BOT_EEXISTS);
    CHECK_INT(store_role_set(s, id, "dpo", "UD", "UA", T0 + 2, &err), BOT_OK);
    CHECK_INT(store_role_set(s, id, "tech", "UT", "UA", T0 + 3, &err), BOT_OK);
    CHECK_INT(store_role_set(s, id, "irm", "UB", "UX", T0 + 4, &err), BOT_OK);
    CHECK_INT(store_role_get(s, id, "irm", &user, &err), BOT_OK);
    CHECK_STR(user, "UB");
    free(user);

    CHECK_INT(store_role_list_current(s, id, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 3);
    CHECK_STR(rows[0].role, "irm");
    CHECK_STR(rows[0].user_id, "UB");
    CHECK_STR(rows[1].role, "tech");
    CHECK_STR(rows[2].role, "dpo");
    CHECK_INT(rows[2].ended_at, 0);
    store_role_list_free(rows, n);

    CHECK_INT(store_role_history(s, id, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 4);
    CHECK_STR(rows[0].user_id, "UA");
    CHECK_STR(rows[0].assigned_by, "UA");
    CHECK_INT(rows[0].assigned_at, T0);
    CHECK_INT(rows[0].ended_at, T0 + 4);
    CHECK_STR(rows[0].ended_by, "UX");
    CHECK_STR(rows[3].user_id, "UB");
    CHECK_INT(rows[3].ended_at, 0);
    CHECK_INT(rows[3].incident_id, id);
    store_role_list_free(rows, n);

    CHECK_INT(store_role_clear(s, id, "dpo", "UA", T0 + 5, &err), BOT_OK);
    CHECK_INT(store_role_get(s, id, "dpo", &user, &err), BOT_ENOTFOUND);
    CHECK_INT(store_role_clear(s, id, "dpo", "UA", T0 + 6, &err), BOT_ENOTFOUND);
    CHECK_INT(store_role_set(s, id, "boss", "UA", "UA", T0, &err), BOT_EINVAL);
    CHECK_INT(store_role_set(s, id, "irm", "UA", "UA", 0, &err), BOT_EINVAL);
    CHECK_INT(store_role_set(s, 42, "irm", "UA", "UA", T0, &err), BOT_ENOTFOUND);
    CHECK_INT(store_role_history(s, 42, &rows, &n, &err), BOT_OK);
    CHECK(n == 0 && rows == NULL);
    store_close(s);
}

static void test_timeline(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("timeline");
    struct store_timeline_entry *rows = NULL;
    size_t n = 0;
    int64_t id = add_incident(s, "timeline", "investigating", NULL);

    struct store_timeline_entry e = {0, id, T0 + 20, "U1", "note", "second", 0, "investigating"};
    CHECK_INT(store_timeline_append(s, &e, &err), BOT_OK);
    CHECK(e.id > 0);
    struct store_timeline_entry e2 = {0, id, T0 + 10, NULL, "declare", NULL, 0, NULL};
    CHECK_INT(store_timeline_append(s, &e2, &err), BOT_OK);
    struct store_timeline_entry e3 = {0,        id,           T0 + 20, "U2",
                                      "status", "Identified", 1,       "identified"};
    CHECK_INT(store_timeline_append(s, &e3, &err), BOT_OK);

    CHECK_INT(store_timeline_list(s, id, 0, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 3);
    CHECK_STR(rows[0].kind, "declare"); /* by time */
    CHECK(rows[0].actor == NULL && rows[0].status == NULL);
    CHECK_STR(rows[0].text, "");
    CHECK_STR(rows[1].text, "second"); /* same time: by id */
    CHECK_STR(rows[2].text, "Identified");
    CHECK_INT(rows[2].public, 1);
    CHECK_STR(rows[2].status, "identified");
    CHECK_INT(rows[2].at, T0 + 20);
    CHECK_INT(rows[2].incident_id, id);
    store_timeline_list_free(rows, n);
    CHECK_INT(store_timeline_list(s, id, 1, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 1);
    CHECK_STR(rows[0].kind, "status");
    store_timeline_list_free(rows, n);

    struct store_timeline_entry bad = {0, id, T0, "U1", NULL, "x", 0, NULL};
    CHECK_INT(store_timeline_append(s, &bad, &err), BOT_EINVAL);
    bad.kind = "note";
    bad.status = "sleeping";
    CHECK_INT(store_timeline_append(s, &bad, &err), BOT_EINVAL);
    bad.status = NULL;
    bad.at = 0;
    CHECK_INT(store_timeline_append(s, &bad, &err), BOT_EINVAL);
    bad.at = T0;
    bad.incident_id = 77;
    CHECK_INT(store_timeline_append(s, &bad, &err), BOT_ENOTFOUND);
    store_close(s);
}

static void test_checklist(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("checklist");
    struct store_checklist_item items[STORE_CHECKLIST_STEPS];
    int64_t id = add_incident(s, "checklist", "investigating", NULL);

    CHECK_INT(store_checklist_get(s, id, items, &err), BOT_OK);
    for (int i = 0; i < STORE_CHECKLIST_STEPS; i++)
        CHECK(items[i].step == i + 1 && !items[i].done && items[i].done_by == NULL);
    store_checklist_clear(items);

    CHECK_INT(store_checklist_mark(s, id, 1, "UA", T0 + 1, &err), BOT_OK);
    CHECK_INT(store_checklist_skip(s, id, 2, "UA", T0 + 2, &err), BOT_OK);
    CHECK_INT(store_checklist_skip(s, id, 3, "UA", T0 + 3, &err), BOT_OK);
    CHECK_INT(store_checklist_mark(s, id, 3, "UB", T0 + 4, &err), BOT_OK); /* done after all */
    CHECK_INT(store_checklist_mark(s, id, 9, "UC", T0 + 5, &err), BOT_OK);
    CHECK_INT(store_checklist_get(s, id, items, &err), BOT_OK);
    CHECK(items[0].done && !items[0].skipped);
    CHECK_STR(items[0].done_by, "UA");
    CHECK_INT(items[0].done_at, T0 + 1);
    CHECK(items[1].done && items[1].skipped);
    CHECK(items[2].done && !items[2].skipped);
    CHECK_STR(items[2].done_by, "UB");
    CHECK(!items[3].done);
    CHECK(items[8].done);
    store_checklist_clear(items);

    CHECK_INT(store_checklist_reopen(s, id, 9, &err), BOT_OK);
    CHECK_INT(store_checklist_reopen(s, id, 9, &err), BOT_ENOTFOUND);
    CHECK_INT(store_checklist_get(s, id, items, &err), BOT_OK);
    CHECK(!items[8].done && items[8].done_at == 0);
    store_checklist_clear(items);

    CHECK_INT(store_checklist_mark(s, id, 0, "UA", T0, &err), BOT_EINVAL);
    CHECK_INT(store_checklist_mark(s, id, 10, "UA", T0, &err), BOT_EINVAL);
    CHECK_INT(store_checklist_mark(s, id, 4, "UA", 0, &err), BOT_EINVAL);
    CHECK_INT(store_checklist_mark(s, 55, 1, "UA", T0, &err), BOT_ENOTFOUND);
    CHECK_INT(store_checklist_get(s, 55, items, &err), BOT_ENOTFOUND);
    store_checklist_clear(items);
    store_close(s);
}

static void test_followups(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("followups");
    struct store_followup *rows = NULL;
    size_t n = 0;
    int num = 0;
    int64_t open = 0;
    int64_t a = add_incident(s, "a", "resolved", NULL);
    int64_t b = add_incident(s, "b", "resolved", NULL);

    CHECK_INT(
        store_followup_add(s, a, "Alert on errors", "UO", T0 + 86400000, "UA", T0, &num, &err),
        BOT_OK);
    CHECK_INT(num, 1);
    CHECK_INT(store_followup_add(s, a, "Write runbook", NULL, 0, "UA", T0 + 1, &num, &err), BOT_OK);
    CHECK_INT(num, 2);
    CHECK_INT(store_followup_add(s, b, "Other incident's", NULL, 0, "UA", T0, &num, &err), BOT_OK);
    CHECK_INT(num, 1);
    CHECK_INT(store_followup_add(s, a, "Third", NULL, 0, "UA", T0 + 2, &num, &err), BOT_OK);
    CHECK_INT(num, 3);

    CHECK_INT(store_followup_done(s, a, 2, "UO", T0 + 5, &err), BOT_OK);
    CHECK_INT(store_followup_done(s, a, 2, "UO", T0 + 6, &err), BOT_ESTATE);
    CHECK_CONTAINS(err.msg, "already done");
    CHECK_INT(store_followup_done(s, a, 9, "UO", T0 + 6, &err), BOT_ENOTFOUND);
    CHECK_CONTAINS(err.msg, "no follow-up 9");
    CHECK_INT(store_followup_count_open(s, a, &open, &err), BOT_OK);
    CHECK_INT(open, 2);

    CHECK_INT(store_followup_list(s, a, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 3);
    CHECK_INT(rows[0].n, 1);
    CHECK_STR(rows[0].text, "Alert on errors");
    CHECK_STR(rows[0].owner, "UO");
    CHECK_INT(rows[0].due_at, T0 + 86400000);
    CHECK_STR(rows[0].created_by, "UA");
    CHECK_INT(rows[0].created_at, T0);
    CHECK_INT(rows[0].incident_id, a);
    CHECK(rows[0].done_at == 0 && rows[0].done_by == NULL);
    CHECK(rows[1].owner == NULL && rows[1].due_at == 0);
    CHECK_STR(rows[1].done_by, "UO");
    CHECK_INT(rows[1].done_at, T0 + 5);
    CHECK_STR(rows[2].text, "Third");
    store_followup_list_free(rows, n);

    CHECK_INT(store_followup_add(s, a, "", NULL, 0, "UA", T0, &num, &err), BOT_EINVAL);
    CHECK_INT(store_followup_add(s, 99, "x", NULL, 0, "UA", T0, &num, &err), BOT_ENOTFOUND);
    store_close(s);
}

static void test_components(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("components");
    struct store_component *rows = NULL, c;
    struct store_component_change *hist = NULL;
    struct store_component_link *links = NULL;
    size_t n = 0;
    int changed = -1;
    int64_t a = add_incident(s, "a", "investigating", NULL);
    int64_t b = add_incident(s, "b", "identified", NULL);
    int64_t r = add_incident(s, "r", "resolved", NULL);

    CHECK_INT(store_component_upsert(s, "Web", "Website", 2, T0, &err), BOT_OK);
    CHECK_INT(store_component_upsert(s, "API", "Public API", 1, T0, &err), BOT_OK);
    CHECK_INT(store_component_upsert(s, "", "x", 1, T0, &err), BOT_EINVAL);
    CHECK_INT(store_component_set_status(s, "API", "major_outage", T0 + 10, &changed, &err),
              BOT_OK);
    CHECK_INT(changed, 1);
    CHECK_INT(store_component_set_status(s, "API", "major_outage", T0 + 11, &changed, &err),
              BOT_OK);
    CHECK_INT(changed, 0);
    /* Re-upserting (config reload) keeps the status. */
    CHECK_INT(store_component_upsert(s, "API", "The API", 0, T0 + 12, &err), BOT_OK);
    CHECK_INT(store_component_get(s, "API", &c, &err), BOT_OK);
    CHECK_STR(c.description, "The API");
    CHECK_STR(c.status, "major_outage");
    CHECK_INT(c.position, 0);
    CHECK_INT(c.updated_at, T0 + 10);
    store_component_clear(&c);
    CHECK_INT(store_component_get(s, "Nope", &c, &err), BOT_ENOTFOUND);

    CHECK_INT(store_component_list(s, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 2);
    CHECK_STR(rows[0].name, "API");
    CHECK_STR(rows[1].name, "Web");
    CHECK_STR(rows[1].status, "operational");
    store_component_list_free(rows, n);

    /* A bad status changes nothing, not even the history. */
    CHECK_INT(store_component_set_status(s, "API", "on_fire", T0 + 20, &changed, &err), BOT_EINVAL);
    CHECK_INT(changed, 0);
    CHECK_INT(store_component_set_status(s, "Nope", "operational", T0, &changed, &err),
              BOT_ENOTFOUND);
    CHECK_INT(store_component_set_status(s, "API", "operational", T0 + 30, NULL, &err), BOT_OK);
    CHECK_INT(store_component_set_status(s, "API", "degraded_performance", T0 + 40, NULL, &err),
              BOT_OK);
    CHECK_INT(store_component_history(s, "API", 0, &hist, &n, &err), BOT_OK);
    CHECK_INT(n, 3);
    CHECK_STR(hist[0].status, "major_outage");
    CHECK_INT(hist[0].at, T0 + 10);
    CHECK_STR(hist[1].status, "operational");
    CHECK_STR(hist[2].status, "degraded_performance");
    store_component_history_free(hist, n);
    /* From T0+35: starts with the change in force then (T0+30), then T0+40. */
    CHECK_INT(store_component_history(s, "API", T0 + 35, &hist, &n, &err), BOT_OK);
    CHECK_INT(n, 2);
    CHECK_INT(hist[0].at, T0 + 30);
    CHECK_INT(hist[1].at, T0 + 40);
    store_component_history_free(hist, n);
    CHECK_INT(store_component_history(s, "Web", 0, &hist, &n, &err), BOT_OK);
    CHECK_INT(n, 0);

    /* Links between incidents and components. */
    CHECK_INT(store_incident_component_add(s, a, "API", "major_outage", &err), BOT_OK);
    CHECK_INT(store_incident_component_add(s, a, "Web", NULL, &err), BOT_OK);
    CHECK_INT(store_incident_component_add(s, a, "Web", "partial_outage", &err), BOT_OK);
    CHECK_INT(store_incident_component_add(s, b, "API", "degraded_performance", &err), BOT_OK);
    CHECK_INT(store_incident_component_add(s, r, "API", "major_outage", &err), BOT_OK);
    CHECK_INT(store_incident_component_add(s, a, "Nope", NULL, &err), BOT_ENOTFOUND);
    CHECK_CONTAINS(err.msg, "Nope");
    CHECK_INT(store_incident_component_add(s, 99, "API", NULL, &err), BOT_ENOTFOUND);
    CHECK_INT(store_incident_component_add(s, a, "API", "bad", &err), BOT_EINVAL);
    CHECK_INT(store_incident_component_list(s, a, &links, &n, &err), BOT_OK);
    CHECK_INT(n, 2);
    CHECK_STR(links[0].component, "API");
    CHECK_STR(links[0].impact, "major_outage");
    CHECK_STR(links[1].component, "Web");
    CHECK_STR(links[1].impact, "partial_outage");
    CHECK_STR(links[1].incident_status, "investigating");
    store_component_links_free(links, n);
    /* Holders: only unresolved incidents. */
    CHECK_INT(store_component_holders(s, "API", &links, &n, &err), BOT_OK);
    CHECK_INT(n, 2);
    CHECK_INT(links[0].incident_id, a);
    CHECK_INT(links[1].incident_id, b);
    CHECK_STR(links[1].impact, "degraded_performance");
    store_component_links_free(links, n);
    CHECK_INT(store_incident_component_remove(s, a, "API", &err), BOT_OK);
    CHECK_INT(store_incident_component_remove(s, a, "API", &err), BOT_ENOTFOUND);
    CHECK_INT(store_component_holders(s, "API", &links, &n, &err), BOT_OK);
    CHECK_INT(n, 1);
    CHECK_INT(links[0].incident_id, b);
    store_component_links_free(links, n);
    store_close(s);
}

/* ---- kv ---- */

static void test_kv(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("kv");
    char *v = NULL;
    char longkey[STORE_KEY_MAX + 2];

    CHECK_INT(store_kv_get(s, "cursor", &v, &err), BOT_ENOTFOUND);
    CHECK(v == NULL);
    CHECK_INT(store_kv_set(s, "cursor", "1", T0, &err), BOT_OK);
    CHECK_INT(store_kv_set(s, "cursor", "2", T0, &err), BOT_OK);
    CHECK_INT(store_kv_get(s, "cursor", &v, &err), BOT_OK);
    CHECK_STR(v, "2");
    free(v);
    CHECK_INT(store_kv_set(s, "empty", "", T0, &err), BOT_OK);
    CHECK_INT(store_kv_get(s, "empty", &v, &err), BOT_OK);
    CHECK_STR(v, "");
    free(v);
    CHECK_INT(store_kv_delete(s, "cursor", &err), BOT_OK);
    CHECK_INT(store_kv_delete(s, "cursor", &err), BOT_ENOTFOUND);
    CHECK_INT(store_kv_get(s, "cursor", &v, &err), BOT_ENOTFOUND);
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    CHECK_INT(store_kv_set(s, longkey, "v", T0, &err), BOT_EINVAL);
    CHECK_INT(store_kv_set(s, "", "v", T0, &err), BOT_EINVAL);
    CHECK_INT(store_kv_set(s, "k", NULL, T0, &err), BOT_EINVAL);
    store_close(s);
}

/* ---- inbox ---- */

static void test_inbox_dedupe(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("inbox");
    struct store_inbox_row row;
    int64_t id1 = 0, id = 0, c = -1;

    CHECK_INT(store_inbox_insert(s, "env-1", "Ev1", "events_api", "{\"a\":1}", T0, &id1, &err),
              BOT_OK);
    CHECK(id1 > 0);
    /* Slack's retry: same envelope, or the same event in a new envelope. */
    CHECK_INT(store_inbox_insert(s, "env-1", "Ev2", "events_api", "{}", T0 + 1, &id, &err),
              BOT_EEXISTS);
    CHECK_INT(id, 0);
    CHECK_CONTAINS(err.msg, "env-1");
    CHECK_INT(store_inbox_insert(s, "env-2", "Ev1", "events_api", "{}", T0 + 1, &id, &err),
              BOT_EEXISTS);
    /* No event id (slash commands): only the envelope id counts. */
    CHECK_INT(store_inbox_insert(s, "env-3", NULL, "slash_commands", "{}", T0 + 2, &id, &err),
              BOT_OK);
    CHECK_INT(store_inbox_insert(s, "env-4", "", "interactive", "{}", T0 + 3, NULL, &err), BOT_OK);
    CHECK_INT(store_inbox_insert(s, "env-3", NULL, "slash_commands", "{}", T0 + 4, NULL, &err),
              BOT_EEXISTS);
    CHECK_INT(store_inbox_count(s, "pending", &c, &err), BOT_OK);
    CHECK_INT(c, 3);

    /* Bad input. */
    CHECK_INT(store_inbox_insert(s, "", NULL, "x", "{}", T0, NULL, &err), BOT_EINVAL);
    CHECK_INT(store_inbox_insert(s, "env-9", NULL, NULL, "{}", T0, NULL, &err), BOT_EINVAL);
    CHECK_INT(store_inbox_insert(s, "env-9", NULL, "x", NULL, T0, NULL, &err), BOT_EINVAL);
    char longid[STORE_INBOX_ID_MAX + 2];
    memset(longid, 'e', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    CHECK_INT(store_inbox_insert(s, longid, NULL, "x", "{}", T0, NULL, &err), BOT_ETOOBIG);
    char *big = xmalloc(STORE_VALUE_MAX + 2);
    memset(big, 'x', STORE_VALUE_MAX + 1);
    big[STORE_VALUE_MAX + 1] = '\0';
    CHECK_INT(store_inbox_insert(s, "env-big", NULL, "x", big, T0, NULL, &err), BOT_ETOOBIG);
    free(big);

    /* Oldest first, with the payload as given. */
    CHECK_INT(store_inbox_claim(s, T0 + 10, &row, &err), BOT_OK);
    CHECK_INT(row.id, id1);
    CHECK_STR(row.envelope_id, "env-1");
    CHECK_STR(row.event_id, "Ev1");
    CHECK_STR(row.type, "events_api");
    CHECK_STR(row.payload, "{\"a\":1}");
    CHECK_STR(row.state, "processing");
    CHECK_INT(row.attempts, 1);
    CHECK_INT(row.received_at, T0);
    CHECK_INT(store_inbox_done(s, row.id, T0 + 11, &err), BOT_OK);
    CHECK_INT(store_inbox_done(s, row.id, T0 + 11, &err), BOT_ESTATE);
    CHECK_CONTAINS(err.msg, "done");
    store_inbox_row_clear(&row);
    CHECK_INT(store_inbox_done(s, 9999, T0, &err), BOT_ENOTFOUND);

    CHECK_INT(store_inbox_claim(s, T0 + 12, &row, &err), BOT_OK);
    CHECK_STR(row.envelope_id, "env-3");
    CHECK(row.event_id == NULL);
    CHECK_INT(store_inbox_fail(s, row.id, "unknown command", T0 + 13, &err), BOT_OK);
    CHECK_INT(store_inbox_fail(s, row.id, "again", T0 + 13, &err), BOT_ESTATE);
    store_inbox_row_clear(&row);
    CHECK_INT(store_inbox_claim(s, T0 + 14, &row, &err), BOT_OK);
    CHECK_STR(row.envelope_id, "env-4");
    CHECK(row.event_id == NULL);
    store_inbox_row_clear(&row);
    CHECK_INT(store_inbox_claim(s, T0 + 15, &row, &err), BOT_ENOTFOUND);

    CHECK_INT(store_inbox_count(s, "done", &c, &err), BOT_OK);
    CHECK_INT(c, 1);
    CHECK_INT(store_inbox_count(s, "failed", &c, &err), BOT_OK);
    CHECK_INT(c, 1);
    CHECK_INT(store_inbox_count(s, "processing", &c, &err), BOT_OK);
    CHECK_INT(c, 1);
    CHECK_INT(store_inbox_count(s, "pending", &c, &err), BOT_OK);
    CHECK_INT(c, 0);

    /* Pruning drops finished rows only; then the id may come again. */
    CHECK_INT(store_inbox_prune(s, T0 + 3, &c, &err), BOT_OK);
    CHECK_INT(c, 2);
    CHECK_INT(store_inbox_count(s, "processing", &c, &err), BOT_OK);
    CHECK_INT(c, 1);
    CHECK_INT(store_inbox_insert(s, "env-1", "Ev1", "events_api", "{}", T0 + 20, NULL, &err),
              BOT_OK);
    store_close(s);
}

static void test_inbox_crash_recovery(void)
{
    struct bot_err err = {{0}};
    struct store *s = NULL;
    struct store_inbox_row row;
    char *path = new_path("inbox-crash");
    int64_t requeued = -1, failed = -1, c = 0;

    CHECK_INT(store_open(path, &s, &err), BOT_OK);
    CHECK_INT(store_inbox_insert(s, "e1", NULL, "t", "{}", T0, NULL, &err), BOT_OK);
    CHECK_INT(store_inbox_insert(s, "e2", NULL, "t", "{}", T0, NULL, &err), BOT_OK);
    CHECK_INT(store_inbox_insert(s, "e3", NULL, "t", "{}", T0, NULL, &err), BOT_OK);
    CHECK_INT(store_inbox_claim(s, T0, &row, &err), BOT_OK);
    store_inbox_row_clear(&row);
    CHECK_INT(store_inbox_claim(s, T0, &row, &err), BOT_OK);
    store_inbox_row_clear(&row);
    store_close(s); /* "crash": two envelopes left processing */

    s = NULL;
    CHECK_INT(store_open(path, &s, &err), BOT_OK);
    CHECK_INT(store_inbox_recover(s, 3, T0 + 1, &requeued, &failed, &err), BOT_OK);
    CHECK_INT(requeued, 2);
    CHECK_INT(failed, 0);
    CHECK_INT(store_inbox_count(s, "pending", &c, &err), BOT_OK);
    CHECK_INT(c, 3);
    CHECK_INT(store_inbox_claim(s, T0 + 2, &row, &err), BOT_OK);
    CHECK_STR(row.envelope_id, "e1"); /* still in arrival order */
    CHECK_INT(row.attempts, 2);
    store_inbox_row_clear(&row);
    /* e1 crashes the bot every time: after 3 attempts it is failed, not retried forever. */
    CHECK_INT(store_inbox_recover(s, 3, T0 + 3, NULL, NULL, &err), BOT_OK);
    CHECK_INT(store_inbox_claim(s, T0 + 4, &row, &err), BOT_OK);
    CHECK_STR(row.envelope_id, "e1");
    CHECK_INT(row.attempts, 3);
    store_inbox_row_clear(&row);
    CHECK_INT(store_inbox_recover(s, 3, T0 + 5, &requeued, &failed, &err), BOT_OK);
    CHECK_INT(requeued, 0);
    CHECK_INT(failed, 1);
    CHECK_INT(store_inbox_count(s, "failed", &c, &err), BOT_OK);
    CHECK_INT(c, 1);
    CHECK_INT(store_inbox_claim(s, T0 + 6, &row, &err), BOT_OK);
    CHECK_STR(row.envelope_id, "e2");
    store_inbox_row_clear(&row);
    CHECK_INT(store_inbox_recover(s, 0, T0, NULL, NULL, &err), BOT_EINVAL);
    store_close(s);
    free(path);
}

/* ---- outbox ---- */

static void claim_expect(struct store *s, int64_t now, const char *key,
                         struct store_outbox_row *row)
{
    struct bot_err err = {{0}};
    enum bot_rc rc = store_outbox_claim(s, now, row, &err);
    if (key == NULL) {
        CHECK_MSG(rc == BOT_ENOTFOUND, "expected nothing due, got %s",
                  rc == BOT_OK ? row->idem_key : err.msg);
        return;
    }
    CHECK_MSG(rc == BOT_OK, "expected %s: %s", key, err.msg);
    CHECK_STR(row->idem_key, key);
    CHECK_STR(row->state, "sending");
}

static void test_outbox_order_and_idempotency(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("outbox");
    struct store_outbox_row a1, a2, a3, b1, n1, r;
    struct store_outbox_counts cnt;
    int64_t id = 0, at = 0;
    int64_t A = add_incident(s, "A", "investigating", NULL);
    int64_t B = add_incident(s, "B", "investigating", NULL);

    CHECK_INT(store_outbox_next_due_at(s, &at, &err), BOT_ENOTFOUND);
    struct store_effect e[] = {
        {A, "conversations.create", "slack", "{\"name\":\"inc-a\"}", "A/create", 0, false, false},
        {A, "chat.postMessage", "slack", "{}", "A/post", 0, false, false},
        {A, "statuspage.create", "statuspage", "{}", "A/sp", 0, false, false},
        {B, "chat.postMessage", "slack", "{}", "B/post", 0, false, false},
        {0, "chat.postMessage", "slack", "{}", "N/post", 0, false, false},
    };
    for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
        CHECK_INT(store_outbox_enqueue(s, &e[i], T0, &id, &err), BOT_OK);
        CHECK(id > 0);
    }
    /* The same effect again is a duplicate: nothing added. */
    CHECK_INT(store_outbox_enqueue(s, &e[1], T0 + 1, &id, &err), BOT_EEXISTS);
    CHECK_INT(id, 0);
    CHECK_CONTAINS(err.msg, "A/post");
    CHECK_INT(store_outbox_counts(s, &cnt, &err), BOT_OK);
    CHECK_INT(cnt.pending, 5);
    struct store_effect bad = {99, "k", "slack", "{}", "bad/1", 0, false, false};
    CHECK_INT(store_outbox_enqueue(s, &bad, T0, NULL, &err), BOT_ENOTFOUND);
    bad.incident_id = 0;
    bad.idem_key = NULL;
    CHECK_INT(store_outbox_enqueue(s, &bad, T0, NULL, &err), BOT_EINVAL);

    CHECK_INT(store_outbox_next_due_at(s, &at, &err), BOT_OK);
    CHECK_INT(at, T0);
    /* A's Slack lane waits for A/create; A's status page lane and B do not. */
    claim_expect(s, T0, "A/create", &a1);
    CHECK_INT(a1.attempts, 1);
    CHECK_INT(a1.incident_id, A);
    CHECK_STR(a1.kind, "conversations.create");
    CHECK_STR(a1.target, "slack");
    CHECK_STR(a1.payload, "{\"name\":\"inc-a\"}");
    CHECK_INT(a1.last_attempt_at, T0);
    CHECK_INT(a1.created_at, T0);
    claim_expect(s, T0, "A/sp", &a3);
    claim_expect(s, T0, "B/post", &b1);
    claim_expect(s, T0, "N/post", &n1);
    claim_expect(s, T0, NULL, &r);

    /* A/create fails: retried later, and A/post keeps waiting behind it. */
    CHECK_INT(store_outbox_retry(s, a1.id, T0 + 1000, "HTTP 503", T0, &err), BOT_OK);
    claim_expect(s, T0 + 500, NULL, &r);
    CHECK_INT(store_outbox_next_due_at(s, &at, &err), BOT_OK);
    CHECK_INT(at, T0 + 1000);
    store_outbox_row_clear(&a1);
    claim_expect(s, T0 + 1000, "A/create", &a1);
    CHECK_INT(a1.attempts, 2);
    CHECK_STR(a1.last_error, "HTTP 503");
    CHECK_INT(store_outbox_done(s, a1.id, "C0NEW", T0 + 1001, &err), BOT_OK);
    CHECK_INT(store_outbox_done(s, a1.id, "C0NEW", T0 + 1001, &err), BOT_ESTATE);
    CHECK_INT(store_outbox_retry(s, a1.id, T0, "x", T0, &err), BOT_ESTATE);
    CHECK_INT(store_outbox_done(s, 4242, NULL, T0, &err), BOT_ENOTFOUND);
    claim_expect(s, T0 + 1002, "A/post", &a2);

    /* The result is kept for later effects (and for a look-up after a crash). */
    CHECK_INT(store_outbox_get_by_key(s, "A/create", &r, &err), BOT_OK);
    CHECK_STR(r.state, "done");
    CHECK_STR(r.result, "C0NEW");
    CHECK(r.last_error == NULL);
    CHECK_INT(r.done_at, T0 + 1001);
    store_outbox_row_clear(&r);
    CHECK_INT(store_outbox_get(s, a1.id, &r, &err), BOT_OK);
    CHECK_STR(r.idem_key, "A/create");
    store_outbox_row_clear(&r);
    CHECK_INT(store_outbox_get(s, 4242, &r, &err), BOT_ENOTFOUND);
    CHECK_INT(store_outbox_get_by_key(s, "nope", &r, &err), BOT_ENOTFOUND);

    /* A permanent failure stops holding the lane. */
    struct store_effect a4 = {A, "chat.update", "slack", "{}", "A/update", 0, false, false};
    CHECK_INT(store_outbox_enqueue(s, &a4, T0 + 1003, NULL, &err), BOT_OK);
    claim_expect(s, T0 + 1003, NULL, &r);
    CHECK_INT(store_outbox_fail(s, a2.id, "channel_not_found", T0 + 1004, &err), BOT_OK);
    CHECK_INT(store_outbox_fail(s, a2.id, "again", T0 + 1004, &err), BOT_ESTATE);
    struct store_outbox_row a4row;
    claim_expect(s, T0 + 1005, "A/update", &a4row);
    CHECK_INT(store_outbox_done(s, a4row.id, NULL, T0 + 1006, &err), BOT_OK);
    store_outbox_row_clear(&a4row);

    /* An operator retries the failed one. */
    CHECK_INT(store_outbox_requeue(s, a2.id, T0 + 2000, &err), BOT_OK);
    CHECK_INT(store_outbox_requeue(s, a2.id, T0 + 2000, &err), BOT_ESTATE);
    store_outbox_row_clear(&a2);
    claim_expect(s, T0 + 2000, "A/post", &a2);
    CHECK_INT(a2.attempts, 2);
    CHECK_INT(store_outbox_done(s, a2.id, "{\"ts\":\"1.2\"}", T0 + 2001, &err), BOT_OK);

    /* not_before delays an effect. */
    struct store_effect later = {B, "chat.postMessage", "statuspage", "{}", "B/later", T0 + 9000, false, false};
    CHECK_INT(store_outbox_enqueue(s, &later, T0 + 2002, NULL, &err), BOT_OK);
    claim_expect(s, T0 + 8999, NULL, &r);

    CHECK_INT(store_outbox_counts(s, &cnt, &err), BOT_OK);
    CHECK_INT(cnt.pending, 1);
    CHECK_INT(cnt.sending, 3); /* A/sp, B/post, N/post */
    CHECK_INT(cnt.done, 3);
    CHECK_INT(cnt.failed, 0);

    /* Crash recovery: sending rows are pending again and come back. */
    int64_t requeued = 0;
    CHECK_INT(store_outbox_recover(s, &requeued, &err), BOT_OK);
    CHECK_INT(requeued, 3);
    store_outbox_row_clear(&a3);
    claim_expect(s, T0 + 3000, "A/sp", &a3);
    CHECK_INT(a3.attempts, 2);

    struct store_outbox_row *rows = NULL;
    size_t n = 0;
    CHECK_INT(store_outbox_list_incident(s, A, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 4);
    CHECK_STR(rows[0].idem_key, "A/create");
    CHECK_STR(rows[1].idem_key, "A/post");
    CHECK_STR(rows[2].idem_key, "A/sp");
    CHECK_STR(rows[3].idem_key, "A/update");
    store_outbox_list_free(rows, n);

    int64_t pruned = 0;
    CHECK_INT(store_outbox_prune(s, T0 + 1500, &pruned, &err), BOT_OK);
    CHECK_INT(pruned, 2); /* A/create and A/update; A/post finished later */
    CHECK_INT(store_outbox_get_by_key(s, "A/create", &r, &err), BOT_ENOTFOUND);

    store_outbox_row_clear(&a1);
    store_outbox_row_clear(&a2);
    store_outbox_row_clear(&a3);
    store_outbox_row_clear(&b1);
    store_outbox_row_clear(&n1);
    store_close(s);
}

/* ---- reminders ---- */

static void test_reminders(void)
{
    struct bot_err err = {{0}};
    struct store *s = NULL;
    struct store_reminder *rows = NULL;
    size_t n = 0;
    int64_t id1 = 0, id2 = 0, id3 = 0, at = 0, cancelled = 0;
    char *path = new_path("reminders");

    CHECK_INT(store_open(path, &s, &err), BOT_OK);
    int64_t a = add_incident(s, "a", "investigating", NULL);
    CHECK_INT(store_reminder_next_due_at(s, &at, &err), BOT_ENOTFOUND);
    CHECK_INT(store_reminder_add(s, a, "irm_unclaimed", T0 + 300, NULL, T0, &id1, &err), BOT_OK);
    CHECK_INT(store_reminder_add(s, a, "postmortem_due", T0 + 100, "{\"h\":24}", T0, &id2, &err),
              BOT_OK);
    CHECK_INT(store_reminder_add(s, 0, "digest", T0 + 200, NULL, T0, &id3, &err), BOT_OK);
    CHECK_INT(store_reminder_add(s, 77, "x", T0, NULL, T0, NULL, &err), BOT_ENOTFOUND);
    CHECK_INT(store_reminder_add(s, a, "", T0, NULL, T0, NULL, &err), BOT_EINVAL);
    CHECK_INT(store_reminder_next_due_at(s, &at, &err), BOT_OK);
    CHECK_INT(at, T0 + 100);
    store_close(s); /* they survive a restart */

    s = NULL;
    CHECK_INT(store_open(path, &s, &err), BOT_OK);
    CHECK_INT(store_reminder_due(s, T0 + 50, 10, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 0);
    CHECK_INT(store_reminder_due(s, T0 + 250, 10, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 2);
    CHECK_INT(rows[0].id, id2);
    CHECK_STR(rows[0].kind, "postmortem_due");
    CHECK_STR(rows[0].payload, "{\"h\":24}");
    CHECK_STR(rows[0].state, "pending");
    CHECK_INT(rows[0].incident_id, a);
    CHECK_INT(rows[0].due_at, T0 + 100);
    CHECK_INT(rows[0].created_at, T0);
    CHECK_INT(rows[1].id, id3);
    CHECK_INT(rows[1].incident_id, 0);
    CHECK_STR(rows[1].payload, "{}");
    store_reminder_list_free(rows, n);
    CHECK_INT(store_reminder_due(s, T0 + 250, 1, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 1);
    store_reminder_list_free(rows, n);
    CHECK_INT(store_reminder_due(s, T0, 0, &rows, &n, &err), BOT_EINVAL);

    /* Sent once: a second done is refused, so the sender's transaction rolls back. */
    CHECK_INT(store_reminder_done(s, id2, T0 + 251, &err), BOT_OK);
    CHECK_INT(store_reminder_done(s, id2, T0 + 252, &err), BOT_ESTATE);
    CHECK_INT(store_reminder_done(s, 999, T0, &err), BOT_ENOTFOUND);
    CHECK_INT(store_reminder_due(s, T0 + 250, 10, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 1);
    CHECK_INT(rows[0].id, id3);
    store_reminder_list_free(rows, n);

    CHECK_INT(store_reminder_add(s, a, "no_update", T0 + 400, NULL, T0, NULL, &err), BOT_OK);
    CHECK_INT(store_reminder_list(s, a, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 2);
    CHECK_INT(rows[0].id, id1);
    store_reminder_list_free(rows, n);
    CHECK_INT(store_reminder_cancel(s, a, "irm_unclaimed", T0 + 260, &cancelled, &err), BOT_OK);
    CHECK_INT(cancelled, 1);
    CHECK_INT(store_reminder_done(s, id1, T0 + 261, &err), BOT_ESTATE);
    CHECK_CONTAINS(err.msg, "cancelled");
    CHECK_INT(store_reminder_cancel(s, a, NULL, T0 + 270, &cancelled, &err), BOT_OK);
    CHECK_INT(cancelled, 1);
    CHECK_INT(store_reminder_cancel(s, a, NULL, T0 + 270, &cancelled, &err), BOT_OK);
    CHECK_INT(cancelled, 0);
    CHECK_INT(store_reminder_list(s, a, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 0);
    CHECK_INT(store_reminder_next_due_at(s, &at, &err), BOT_OK);
    CHECK_INT(at, T0 + 200);
    store_close(s);
    free(path);
}

/* ---- transactions ---- */

static void test_transactions(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("txn");
    struct store_incident *rows = NULL;
    struct store_incident inc;
    size_t n = 0;
    int64_t c = 0;

    CHECK_INT(store_commit(s, &err), BOT_ESTATE);
    store_rollback(s); /* harmless without a transaction */

    /* Everything of one event, rolled back: nothing of it remains. */
    CHECK_INT(store_begin(s, &err), BOT_OK);
    CHECK(store_in_txn(s));
    CHECK_INT(store_begin(s, &err), BOT_ESTATE);
    CHECK_INT(store_begin_read(s, &err), BOT_ESTATE);
    int64_t id = add_incident(s, "rolled back", "investigating", "CRB");
    CHECK(id > 0);
    CHECK_INT(store_role_set(s, id, "irm", "U1", "U1", T0, &err), BOT_OK);
    struct store_timeline_entry e = {0, id, T0, "U1", "declare", "", 0, NULL};
    CHECK_INT(store_timeline_append(s, &e, &err), BOT_OK);
    struct store_effect eff = {id, "conversations.create", "slack", "{}", "rb/1", 0, false, false};
    CHECK_INT(store_outbox_enqueue(s, &eff, T0, NULL, &err), BOT_OK);
    CHECK_INT(store_inbox_insert(s, "env-rb", NULL, "t", "{}", T0, NULL, &err), BOT_OK);
    CHECK_INT(store_kv_set(s, "rb", "1", T0, &err), BOT_OK);
    /* A failed step inside the transaction does not end it. */
    CHECK_INT(store_role_set(s, id, "irm", "U1", "U1", T0, &err), BOT_EEXISTS);
    CHECK(store_in_txn(s));
    store_rollback(s);
    CHECK(!store_in_txn(s));
    CHECK_INT(store_incident_get(s, id, &inc, &err), BOT_ENOTFOUND);
    CHECK_INT(store_incident_get_by_channel(s, "CRB", &inc, &err), BOT_ENOTFOUND);
    CHECK_INT(store_incident_list_open(s, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 0);
    struct store_outbox_counts cnt;
    CHECK_INT(store_outbox_counts(s, &cnt, &err), BOT_OK);
    CHECK_INT(cnt.pending, 0);
    CHECK_INT(store_inbox_count(s, "pending", &c, &err), BOT_OK);
    CHECK_INT(c, 0);
    char *v = NULL;
    CHECK_INT(store_kv_get(s, "rb", &v, &err), BOT_ENOTFOUND);
    /* The rolled-back keys are free again. */
    CHECK_INT(store_inbox_insert(s, "env-rb", NULL, "t", "{}", T0, NULL, &err), BOT_OK);

    /* Committed. */
    CHECK_INT(store_begin(s, &err), BOT_OK);
    id = add_incident(s, "committed", "investigating", "CC");
    CHECK(id > 0);
    CHECK_INT(store_role_set(s, id, "irm", "U1", "U1", T0, &err), BOT_OK);
    CHECK_INT(store_outbox_enqueue(s, &eff, T0, NULL, &err), BOT_OK);
    CHECK_INT(store_commit(s, &err), BOT_OK);
    CHECK(!store_in_txn(s));
    CHECK_INT(store_incident_get(s, id, &inc, &err), BOT_OK);
    store_incident_clear(&inc);
    CHECK_INT(store_outbox_counts(s, &cnt, &err), BOT_OK);
    CHECK_INT(cnt.pending, 1);

    /* A read transaction sees a snapshot. */
    CHECK_INT(store_begin_read(s, &err), BOT_OK);
    CHECK_INT(store_incident_list_open(s, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 1);
    store_incident_list_free(rows, n);
    CHECK_INT(store_commit(s, &err), BOT_OK);

    /* An open transaction is rolled back by close. */
    CHECK_INT(store_begin(s, &err), BOT_OK);
    CHECK(add_incident(s, "left open", "investigating", NULL) > 0);
    char *path = xstrdup(store_path(s));
    store_close(s);
    s = NULL;
    CHECK_INT(store_open(path, &s, &err), BOT_OK);
    CHECK_INT(store_incident_list_open(s, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 1);
    CHECK_STR(rows[0].title, "committed");
    store_incident_list_free(rows, n);
    free(path);
    store_close(s);
}

/* ---- two connections ---- */

#define WRITERS 2
#define ROUNDS  150

struct writer {
    char *path;
    int no;
    int failures;
    struct bot_err err;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    struct store *s = NULL;
    struct store_incident *rows = NULL;
    size_t n = 0;

    if (store_open(w->path, &s, &w->err) != BOT_OK) {
        w->failures++;
        return NULL;
    }
    for (int i = 0; i < ROUNDS && w->failures == 0; i++) {
        char env[64], key[64], title[64];
        snprintf(env, sizeof(env), "env-%d-%d", w->no, i);
        snprintf(key, sizeof(key), "key-%d-%d", w->no, i);
        snprintf(title, sizeof(title), "incident %d/%d", w->no, i);
        /* As the loop thread does: one envelope, its own transaction. */
        if (store_inbox_insert(s, env, NULL, "slash_commands", "{}", T0 + i, NULL, &w->err))
            w->failures++;
        /* As the worker does: one event, one transaction of several rows. */
        if (store_begin(s, &w->err)) {
            w->failures++;
            break;
        }
        int64_t id = add_incident(s, title, "investigating", NULL);
        struct store_timeline_entry e = {0, id, T0 + i, "U1", "declare", title, 0, NULL};
        struct store_effect eff = {id, "chat.postMessage", "slack", "{}", key, 0, false, false};
        if (id == 0 || store_timeline_append(s, &e, &w->err) ||
            store_outbox_enqueue(s, &eff, T0 + i, NULL, &w->err) || store_commit(s, &w->err)) {
            w->failures++;
            store_rollback(s);
        }
        /* And readers in between. */
        if (i % 25 == 0) {
            if (store_incident_list_open(s, &rows, &n, &w->err))
                w->failures++;
            store_incident_list_free(rows, n);
        }
    }
    store_close(s);
    return NULL;
}

/* One process per database: the lock names its holder; released, it can be taken again. */
static void test_daemon_lock(void)
{
    struct bot_err err = {{0}};
    struct store_lock *a = NULL, *b = NULL;
    char *db = new_path("locked");
    CHECK_INT(store_lock_take(db, &a, &err), BOT_OK);
    char *lockfile = xasprintf("%s.lock", db);
    struct stat st;
    CHECK(stat(lockfile, &st) == 0 && (st.st_mode & 0777) == 0600);
    /* A second taker (flock is per open file: this process counts as another) is refused. */
    CHECK_INT(store_lock_take(db, &b, &err), BOT_EBUSY);
    CHECK(b == NULL);
    char want[64];
    snprintf(want, sizeof(want), "(process %ld, lock ", (long)getpid());
    CHECK_CONTAINS(err.msg, want);
    CHECK_CONTAINS(err.msg, "is in use by another incidentd");
    store_lock_release(a);
    CHECK_INT(store_lock_take(db, &b, &err), BOT_OK);
    store_lock_release(b);
    /* A directory that does not exist: a clear error, nothing held. */
    char *nowhere = xasprintf("%s/no/such/dir/x.db", tmpdir);
    CHECK_INT(store_lock_take(nowhere, &b, &err), BOT_EIO);
    CHECK_CONTAINS(err.msg, "cannot open the database's lock file");
    free(nowhere);
    free(lockfile);
    free(db);
}

static void test_two_connections_write_at_once(void)
{
    struct bot_err err = {{0}};
    struct store *s = NULL;
    char *path = new_path("threads");
    struct writer w[WRITERS];
    pthread_t th[WRITERS];

    /* Create the file first, as the bot does before it starts threads. */
    CHECK_INT(store_open(path, &s, &err), BOT_OK);
    store_close(s);
    s = NULL;
    for (int i = 0; i < WRITERS; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].path = path;
        w[i].no = i;
        CHECK(pthread_create(&th[i], NULL, writer_main, &w[i]) == 0);
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < WRITERS; i++)
        CHECK_MSG(w[i].failures == 0, "writer %d: %d failures, last: %s", i, w[i].failures,
                  w[i].err.msg);

    CHECK_INT(store_open(path, &s, &err), BOT_OK);
    struct store_incident *rows = NULL;
    size_t n = 0;
    int64_t c = 0;
    struct store_outbox_counts cnt;
    CHECK_INT(store_incident_list_open(s, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, WRITERS * ROUNDS);
    store_incident_list_free(rows, n);
    CHECK_INT(store_inbox_count(s, "pending", &c, &err), BOT_OK);
    CHECK_INT(c, WRITERS * ROUNDS);
    CHECK_INT(store_outbox_counts(s, &cnt, &err), BOT_OK);
    CHECK_INT(cnt.pending, WRITERS * ROUNDS);
    store_close(s);
    free(path);
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_open_empty_is_latest);
    RUN(test_open_options);
    RUN(test_new_files_are_private);
    RUN(test_checkpoint_left_to_another_connection);
    RUN(test_reopen_keeps_data);
    RUN(test_migrate_from_every_version);
    RUN(test_newer_schema_refused_unchanged);
    RUN(test_unusable_paths);
    RUN(test_incident_roundtrip);
    RUN(test_incident_lists);
    RUN(test_incident_attrs);
    RUN(test_roles);
    RUN(test_timeline);
    RUN(test_checklist);
    RUN(test_followups);
    RUN(test_components);
    RUN(test_kv);
    RUN(test_inbox_dedupe);
    RUN(test_inbox_crash_recovery);
    RUN(test_outbox_order_and_idempotency);
    RUN(test_reminders);
    RUN(test_transactions);
    RUN(test_two_connections_write_at_once);
    RUN(test_daemon_lock);
    rm_rf(tmpdir);
    return CHECK_DONE();
}
