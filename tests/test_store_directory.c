/*
 * Unit tests of store_directory.h on real database files in a temporary
 * directory: a directory never synced is unknown, replacing the user list
 * (who is gone is removed, an unchanged row keeps its updated_at, the last
 * of duplicates wins), bad input changing nothing, a replace inside the
 * caller's transaction or savepoint following it, group memberships, a large
 * workspace, and migrating a database of the previous schema version.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "store.h"
#include "store_directory.h"
#include "store_incident.h"
#include "store_testing.h"
#include "xmalloc.h"

#define T0 1700000000000LL /* a fixed "now" in Unix ms */
#define T1 (T0 + 3600000)

static char tmpdir[] = "/tmp/incidentd-directory-XXXXXX";
static int dbseq;
static char *paths[64];
static int npaths;

/* A fresh database path in the temporary directory, removed at the end. */
static char *new_path(const char *name)
{
    char *p = xasprintf("%s/%s-%d.db", tmpdir, name, ++dbseq);
    if (npaths < (int)(sizeof(paths) / sizeof(paths[0])))
        paths[npaths++] = p;
    return p;
}

static struct store *open_new(const char *name)
{
    struct bot_err err = {{0}};
    struct store *s = NULL;
    if (store_open(new_path(name), &s, &err) != BOT_OK) {
        fprintf(stderr, "open: %s\n", err.msg);
        abort();
    }
    return s;
}

static struct store_directory_user user(const char *id, const char *name, bool deleted, bool is_bot,
                                        bool is_guest)
{
    struct store_directory_user u = {(char *)id, (char *)name, deleted, is_bot, is_guest, 0};
    return u;
}

/* The directory's row of id into *u (cleared by the caller); the return code of the lookup. */
static enum bot_rc lookup(struct store *s, const char *id, struct store_directory_user *u)
{
    struct bot_err err = {{0}};
    return store_directory_user(s, id, u, &err);
}

static void test_never_synced_is_unknown(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("unknown");
    struct store_directory_user u;
    int64_t at = -1;
    bool member = true;

    CHECK_INT(store_directory_synced_at(s, STORE_DIRECTORY_USERS, &at, &err), BOT_ENOTFOUND);
    CHECK_INT(at, 0);
    CHECK_CONTAINS(err.msg, "never synced");
    CHECK_INT(lookup(s, "U0ALICE0001", &u), BOT_ENOTFOUND);
    CHECK(u.user_id == NULL && u.name == NULL);
    CHECK_INT(store_directory_in_group(s, "S0ONCALL001", "U0ALICE0001", &member, &err),
              BOT_ENOTFOUND);
    CHECK(!member);
    CHECK_CONTAINS(err.msg, "S0ONCALL001");
    CHECK_INT(store_directory_synced_at(s, "S0ONCALL001", &at, &err), BOT_ENOTFOUND);
    /* Empty and over-long ids are refused, not looked up. */
    CHECK_INT(store_directory_user(s, "", &u, &err), BOT_EINVAL);
    CHECK_INT(store_directory_user(s, NULL, &u, &err), BOT_EINVAL);
    char longid[STORE_DIRECTORY_ID_MAX + 2];
    memset(longid, 'U', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    CHECK_INT(store_directory_user(s, longid, &u, &err), BOT_EINVAL);
    CHECK_INT(store_directory_synced_at(s, "", &at, &err), BOT_EINVAL);
    CHECK_INT(store_directory_in_group(s, "", "U1", &member, &err), BOT_EINVAL);
    CHECK_INT(store_directory_in_group(s, "S1", "", &member, &err), BOT_EINVAL);
    CHECK_INT(store_directory_in_group(s, STORE_DIRECTORY_USERS, "U1", &member, &err), BOT_EINVAL);
    store_close(s);
}

static void test_replace_users(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("users");
    struct store_directory_user u;
    int64_t at = 0;

    struct store_directory_user first[] = {
        user("U0ALICE0001", "alice", false, false, false),
        user("U0FRANK0006", "frank", true, false, false),
        user("U0PAGERBOT1", "pagerbot", false, true, false),
        user("U0ERIN00005", "erin", false, false, true),
        user("U0NONAME001", NULL, false, false, false),
    };
    CHECK_INT(store_directory_replace_users(s, first, 5, T0, &err), BOT_OK);
    CHECK_INT(store_directory_synced_at(s, STORE_DIRECTORY_USERS, &at, &err), BOT_OK);
    CHECK_INT(at, T0);

    CHECK_INT(lookup(s, "U0ALICE0001", &u), BOT_OK);
    CHECK_STR(u.user_id, "U0ALICE0001");
    CHECK_STR(u.name, "alice");
    CHECK(!u.deleted && !u.is_bot && !u.is_guest);
    CHECK_INT(u.updated_at, T0);
    store_directory_user_clear(&u);
    CHECK(u.user_id == NULL);
    CHECK_INT(lookup(s, "U0FRANK0006", &u), BOT_OK);
    CHECK(u.deleted && !u.is_bot);
    store_directory_user_clear(&u);
    CHECK_INT(lookup(s, "U0PAGERBOT1", &u), BOT_OK);
    CHECK(u.is_bot && !u.deleted);
    store_directory_user_clear(&u);
    CHECK_INT(lookup(s, "U0ERIN00005", &u), BOT_OK);
    CHECK(u.is_guest);
    store_directory_user_clear(&u);
    CHECK_INT(lookup(s, "U0NONAME001", &u), BOT_OK);
    CHECK(u.name == NULL);
    store_directory_user_clear(&u);
    CHECK_INT(store_directory_user(s, "U0NOBODY000", &u, &err), BOT_ENOTFOUND);
    CHECK_CONTAINS(err.msg, "U0NOBODY000");

    /*
     * An hour later: alice unchanged, frank gone from the list, bob new, erin
     * renamed and no longer a guest, the pager bot listed twice (the last wins).
     */
    struct store_directory_user second[] = {
        user("U0PAGERBOT1", "pagerbot", false, true, false),
        user("U0ALICE0001", "alice", false, false, false),
        user("U0BOB000002", "bob", false, false, false),
        user("U0ERIN00005", "erin.walsh", false, false, false),
        user("U0NONAME001", NULL, false, false, false),
        user("U0PAGERBOT1", "pager", true, true, false),
    };
    CHECK_INT(store_directory_replace_users(s, second, 6, T1, &err), BOT_OK);
    CHECK_INT(store_directory_synced_at(s, STORE_DIRECTORY_USERS, &at, &err), BOT_OK);
    CHECK_INT(at, T1);
    CHECK_INT(lookup(s, "U0ALICE0001", &u), BOT_OK);
    CHECK_INT(u.updated_at, T0); /* not rewritten */
    store_directory_user_clear(&u);
    CHECK_INT(lookup(s, "U0NONAME001", &u), BOT_OK);
    CHECK_INT(u.updated_at, T0); /* NULL name, unchanged */
    store_directory_user_clear(&u);
    CHECK_INT(lookup(s, "U0FRANK0006", &u), BOT_ENOTFOUND);
    CHECK_INT(lookup(s, "U0BOB000002", &u), BOT_OK);
    CHECK_INT(u.updated_at, T1);
    store_directory_user_clear(&u);
    CHECK_INT(lookup(s, "U0ERIN00005", &u), BOT_OK);
    CHECK_STR(u.name, "erin.walsh");
    CHECK(!u.is_guest);
    CHECK_INT(u.updated_at, T1);
    store_directory_user_clear(&u);
    CHECK_INT(lookup(s, "U0PAGERBOT1", &u), BOT_OK);
    CHECK_STR(u.name, "pager");
    CHECK(u.deleted && u.is_bot);
    store_directory_user_clear(&u);

    /* An empty list is a list: everyone is gone, and the directory is still synced. */
    CHECK_INT(store_directory_replace_users(s, NULL, 0, T1 + 1, &err), BOT_OK);
    CHECK_INT(lookup(s, "U0ALICE0001", &u), BOT_ENOTFOUND);
    CHECK_INT(store_directory_synced_at(s, STORE_DIRECTORY_USERS, &at, &err), BOT_OK);
    CHECK_INT(at, T1 + 1);
    store_close(s);
}

static void test_bad_input_changes_nothing(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("bad");
    struct store_directory_user u;
    int64_t at = 0;

    struct store_directory_user good[] = {user("U0ALICE0001", "alice", false, false, false)};
    CHECK_INT(store_directory_replace_users(s, good, 1, T0, &err), BOT_OK);

    char longname[STORE_DIRECTORY_NAME_MAX + 2];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    char longid[STORE_DIRECTORY_ID_MAX + 2];
    memset(longid, 'U', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    struct store_directory_user bad_empty[] = {user("U0BOB000002", "bob", false, false, false),
                                               user("", "nobody", false, false, false)};
    struct store_directory_user bad_null[] = {user(NULL, "nobody", false, false, false)};
    struct store_directory_user bad_name[] = {user("U0BOB000002", longname, false, false, false)};
    struct store_directory_user bad_id[] = {user(longid, "x", false, false, false)};

    CHECK_INT(store_directory_replace_users(s, bad_empty, 2, T1, &err), BOT_EINVAL);
    CHECK_CONTAINS(err.msg, "user id is required");
    CHECK_INT(store_directory_replace_users(s, bad_null, 1, T1, &err), BOT_EINVAL);
    CHECK_INT(store_directory_replace_users(s, bad_name, 1, T1, &err), BOT_EINVAL);
    CHECK_CONTAINS(err.msg, "U0BOB000002");
    CHECK_INT(store_directory_replace_users(s, bad_id, 1, T1, &err), BOT_EINVAL);
    CHECK_INT(store_directory_replace_users(s, good, 1, 0, &err), BOT_EINVAL);
    CHECK_INT(store_directory_replace_users(s, NULL, 1, T1, &err), BOT_EINVAL);
    CHECK_INT(store_directory_replace_users(s, good, (size_t)STORE_DIRECTORY_MAX + 1, T1, &err),
              BOT_ETOOBIG);

    const char *members[] = {"U0ALICE0001", ""};
    CHECK_INT(store_directory_replace_group(s, "S0ONCALL001", members, 1, T0, &err), BOT_OK);
    CHECK_INT(store_directory_replace_group(s, "S0ONCALL001", members, 2, T1, &err), BOT_EINVAL);
    CHECK_INT(store_directory_replace_group(s, "", members, 1, T1, &err), BOT_EINVAL);
    CHECK_INT(store_directory_replace_group(s, NULL, members, 1, T1, &err), BOT_EINVAL);
    CHECK_INT(store_directory_replace_group(s, STORE_DIRECTORY_USERS, members, 1, T1, &err),
              BOT_EINVAL);
    CHECK_INT(store_directory_replace_group(s, "S0ONCALL001", NULL, 1, T1, &err), BOT_EINVAL);
    CHECK_INT(store_directory_replace_group(s, "S0ONCALL001", members, 1, -5, &err), BOT_EINVAL);
    CHECK_INT(store_directory_replace_group(s, "S0ONCALL001", members,
                                            (size_t)STORE_DIRECTORY_MAX + 1, T1, &err),
              BOT_ETOOBIG);

    /* Nothing of the refused calls was written. */
    CHECK_INT(lookup(s, "U0ALICE0001", &u), BOT_OK);
    store_directory_user_clear(&u);
    CHECK_INT(lookup(s, "U0BOB000002", &u), BOT_ENOTFOUND);
    CHECK_INT(store_directory_synced_at(s, STORE_DIRECTORY_USERS, &at, &err), BOT_OK);
    CHECK_INT(at, T0);
    CHECK_INT(store_directory_synced_at(s, "S0ONCALL001", &at, &err), BOT_OK);
    CHECK_INT(at, T0);
    CHECK(!store_in_txn(s));
    store_close(s);
}

static void test_inside_callers_transaction(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("txn");
    struct store_directory_user u;
    int64_t at = 0;
    bool member = false;

    struct store_directory_user a[] = {user("U0ALICE0001", "alice", false, false, false)};
    struct store_directory_user b[] = {user("U0BOB000002", "bob", false, false, false)};
    const char *g[] = {"U0BOB000002"};
    CHECK_INT(store_directory_replace_users(s, a, 1, T0, &err), BOT_OK);

    /* Rolled back with the caller's transaction. */
    CHECK_INT(store_begin(s, &err), BOT_OK);
    CHECK_INT(store_directory_replace_users(s, b, 1, T1, &err), BOT_OK);
    CHECK_INT(store_directory_replace_group(s, "S0ONCALL001", g, 1, T1, &err), BOT_OK);
    CHECK(store_in_txn(s));
    CHECK_INT(lookup(s, "U0BOB000002", &u), BOT_OK); /* visible inside */
    store_directory_user_clear(&u);
    store_rollback(s);
    CHECK_INT(lookup(s, "U0ALICE0001", &u), BOT_OK);
    store_directory_user_clear(&u);
    CHECK_INT(lookup(s, "U0BOB000002", &u), BOT_ENOTFOUND);
    CHECK_INT(store_directory_synced_at(s, STORE_DIRECTORY_USERS, &at, &err), BOT_OK);
    CHECK_INT(at, T0);
    CHECK_INT(store_directory_in_group(s, "S0ONCALL001", "U0BOB000002", &member, &err),
              BOT_ENOTFOUND);

    /* Undone with a savepoint, kept with the commit. */
    CHECK_INT(store_begin(s, &err), BOT_OK);
    CHECK_INT(store_savepoint(s, &err), BOT_OK);
    CHECK_INT(store_directory_replace_users(s, b, 1, T1, &err), BOT_OK);
    store_rollback_savepoint(s);
    CHECK_INT(store_directory_replace_group(s, "S0ONCALL001", g, 1, T1, &err), BOT_OK);
    CHECK_INT(store_commit(s, &err), BOT_OK);
    CHECK_INT(lookup(s, "U0ALICE0001", &u), BOT_OK);
    store_directory_user_clear(&u);
    CHECK_INT(lookup(s, "U0BOB000002", &u), BOT_ENOTFOUND);
    CHECK_INT(store_directory_in_group(s, "S0ONCALL001", "U0BOB000002", &member, &err), BOT_OK);
    CHECK(member);

    /* Another connection sees what was committed. */
    struct store *r = NULL;
    CHECK_INT(store_open(store_path(s), &r, &err), BOT_OK);
    CHECK_INT(lookup(r, "U0ALICE0001", &u), BOT_OK);
    store_directory_user_clear(&u);
    CHECK_INT(store_directory_in_group(r, "S0ONCALL001", "U0BOB000002", &member, &err), BOT_OK);
    CHECK(member);
    store_close(r);
    store_close(s);
}

static void test_groups(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("groups");
    int64_t at = 0;
    bool member = false;

    const char *oncall[] = {"U0ALICE0001", "U0BOB000002", "U0ALICE0001"};
    const char *sre[] = {"U0CAROL0003"};
    CHECK_INT(store_directory_replace_group(s, "S0ONCALL001", oncall, 3, T0, &err), BOT_OK);
    CHECK_INT(store_directory_replace_group(s, "S0SRETEAM01", sre, 1, T0 + 5, &err), BOT_OK);
    CHECK_INT(store_directory_in_group(s, "S0ONCALL001", "U0ALICE0001", &member, &err), BOT_OK);
    CHECK(member);
    CHECK_INT(store_directory_in_group(s, "S0ONCALL001", "U0BOB000002", &member, &err), BOT_OK);
    CHECK(member);
    CHECK_INT(store_directory_in_group(s, "S0ONCALL001", "U0CAROL0003", &member, &err), BOT_OK);
    CHECK(!member);
    CHECK_INT(store_directory_in_group(s, "S0SRETEAM01", "U0CAROL0003", &member, &err), BOT_OK);
    CHECK(member);
    CHECK_INT(store_directory_synced_at(s, "S0ONCALL001", &at, &err), BOT_OK);
    CHECK_INT(at, T0);
    CHECK_INT(store_directory_synced_at(s, "S0SRETEAM01", &at, &err), BOT_OK);
    CHECK_INT(at, T0 + 5);
    /* Groups are not users: the user list was never synced. */
    CHECK_INT(store_directory_synced_at(s, STORE_DIRECTORY_USERS, &at, &err), BOT_ENOTFOUND);

    /* bob leaves, carol joins; the other group is untouched. */
    const char *oncall2[] = {"U0ALICE0001", "U0CAROL0003"};
    CHECK_INT(store_directory_replace_group(s, "S0ONCALL001", oncall2, 2, T1, &err), BOT_OK);
    CHECK_INT(store_directory_in_group(s, "S0ONCALL001", "U0BOB000002", &member, &err), BOT_OK);
    CHECK(!member);
    CHECK_INT(store_directory_in_group(s, "S0ONCALL001", "U0CAROL0003", &member, &err), BOT_OK);
    CHECK(member);
    CHECK_INT(store_directory_in_group(s, "S0SRETEAM01", "U0CAROL0003", &member, &err), BOT_OK);
    CHECK(member);
    CHECK_INT(store_directory_synced_at(s, "S0ONCALL001", &at, &err), BOT_OK);
    CHECK_INT(at, T1);

    /* An emptied group is known to be empty. */
    CHECK_INT(store_directory_replace_group(s, "S0ONCALL001", NULL, 0, T1 + 1, &err), BOT_OK);
    CHECK_INT(store_directory_in_group(s, "S0ONCALL001", "U0ALICE0001", &member, &err), BOT_OK);
    CHECK(!member);
    store_close(s);
}

static void test_large_workspace(void)
{
    struct bot_err err = {{0}};
    struct store *s = open_new("large");
    struct store_directory_user u;
    enum { N = 5000 };
    struct store_directory_user *users = xcalloc(N, sizeof(*users));
    char(*ids)[16] = xcalloc(N, sizeof(*ids));

    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof(ids[i]), "U%09d", (i * 7919) % N); /* not in order */
        users[i] = user(ids[i], ids[i] + 1, i % 10 == 0, false, false);
    }
    CHECK_INT(store_directory_replace_users(s, users, N, T0, &err), BOT_OK);
    /* Half of them leave; the rest are unchanged. */
    CHECK_INT(store_directory_replace_users(s, users, N / 2, T1, &err), BOT_OK);
    int present = 0;
    for (int i = 0; i < N; i++) {
        enum bot_rc rc = lookup(s, ids[i], &u);
        CHECK(rc == BOT_OK || rc == BOT_ENOTFOUND);
        if (rc == BOT_OK) {
            present++;
            CHECK(i < N / 2);
            CHECK_INT(u.updated_at, T0);
            CHECK_INT(u.deleted, i % 10 == 0);
        }
        store_directory_user_clear(&u);
    }
    CHECK_INT(present, N / 2);
    free(users);
    free(ids);
    store_close(s);
}

/* A database of every earlier schema version takes the directory after migrating. */
static void test_migrate_from_previous_version(void)
{
    struct bot_err err = {{0}};
    int latest = store_schema_latest();
    const int with_directory = 5; /* the migration that brought the directory (and its seed) */
    for (int k = with_directory - 1; k <= latest; k++) {
        struct store *s = NULL;
        struct store_directory_user u;
        struct store_incident inc;
        int64_t at = 0;
        bool member = false;
        int v = 0;
        char *path = new_path("migrate");

        CHECK_MSG(store_testing_create(path, k, &err) == BOT_OK, "v%d: %s", k, err.msg);
        CHECK_MSG(store_open(path, &s, &err) == BOT_OK, "from v%d: %s", k, err.msg);
        CHECK_INT(store_schema_version(s, &v, &err), BOT_OK);
        CHECK_INT(v, latest);
        /* What the earlier versions held is still there. */
        CHECK_INT(store_incident_get(s, 1, &inc, &err), BOT_OK);
        CHECK_STR(inc.slug, "seeded-checkout-outage");
        store_incident_clear(&inc);
        if (k < with_directory) {
            CHECK_INT(store_directory_synced_at(s, STORE_DIRECTORY_USERS, &at, &err),
                      BOT_ENOTFOUND);
            CHECK_INT(lookup(s, "U0IRM", &u), BOT_ENOTFOUND);
        } else {
            CHECK_INT(store_directory_synced_at(s, STORE_DIRECTORY_USERS, &at, &err), BOT_OK);
            CHECK_INT(at, 1700000130000LL);
            CHECK_INT(lookup(s, "U0GONE", &u), BOT_OK);
            CHECK(u.deleted);
            store_directory_user_clear(&u);
            CHECK_INT(store_directory_in_group(s, "S0SEED", "U0IRM", &member, &err), BOT_OK);
            CHECK(member);
        }
        /* And it takes a sync. */
        struct store_directory_user list[] = {user("U0IRM", "irm", false, false, false)};
        const char *g[] = {"U0IRM"};
        CHECK_INT(store_directory_replace_users(s, list, 1, T1, &err), BOT_OK);
        CHECK_INT(store_directory_replace_group(s, "S0ONCALL001", g, 1, T1, &err), BOT_OK);
        CHECK_INT(lookup(s, "U0IRM", &u), BOT_OK);
        CHECK_INT(u.updated_at, k < with_directory ? T1 : 1700000130000LL);
        store_directory_user_clear(&u);
        CHECK_INT(lookup(s, "U0GONE", &u), BOT_ENOTFOUND);
        CHECK_INT(store_directory_in_group(s, "S0ONCALL001", "U0IRM", &member, &err), BOT_OK);
        CHECK(member);
        store_close(s);
    }
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_never_synced_is_unknown);
    RUN(test_replace_users);
    RUN(test_bad_input_changes_nothing);
    RUN(test_inside_callers_transaction);
    RUN(test_groups);
    RUN(test_large_workspace);
    RUN(test_migrate_from_previous_version);
    for (int i = 0; i < npaths; i++) {
        const char *suffix[] = {"", "-wal", "-shm"};
        for (size_t k = 0; k < 3; k++) {
            char *p = xasprintf("%s%s", paths[i], suffix[k]);
            unlink(p);
            free(p);
        }
        free(paths[i]);
    }
    rmdir(tmpdir);
    return CHECK_DONE();
}
