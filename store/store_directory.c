/*
 * The workspace directory (store_directory.h): the user list and user group
 * memberships as last synced from Slack, and when each was synced. A user
 * list is replaced by upserting what changed and deleting who is gone, so a
 * sync of an unchanged workspace writes one row (its sync time) instead of
 * rewriting every user while the caller holds the write lock.
 */
#include "store_directory.h"

#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "xmalloc.h"

void store_directory_user_clear(struct store_directory_user *u)
{
    free(u->user_id);
    free(u->name);
    memset(u, 0, sizeof(*u));
}

static enum bot_rc check_id(const char *id, const char *kind, const char *what, struct bot_err *err)
{
    if (id == NULL || id[0] == '\0')
        return bot_err_set(err, BOT_EINVAL, "%s: a %s id is required", what, kind);
    if (strlen(id) > STORE_DIRECTORY_ID_MAX)
        return bot_err_set(err, BOT_EINVAL, "%s: %s id \"%.32s...\" is longer than %d bytes", what,
                           kind, id, STORE_DIRECTORY_ID_MAX);
    return BOT_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Records now as the sync time of directory (inside the caller's operation). */
static enum bot_rc mark_synced(struct store *s, const char *directory, int64_t now,
                               struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = store_stmt(s, STMT_DIRECTORY_SYNCED_SET,
                    "INSERT INTO directory_syncs (directory, synced_at) VALUES (?1, ?2)"
                    " ON CONFLICT (directory) DO UPDATE SET synced_at = excluded.synced_at",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_text(st, 1, directory);
    b |= store_bind_time(st, 2, now);
    if (b) {
        rc = store_sqlerr(s, b, "directory sync time", err);
        goto out;
    }
    rc = store_step_done(s, st, "directory sync time", err);
out:
    store_stmt_done(st);
    return rc;
}

/*
 * The ids of directory_users missing from sorted[0..n) (new strings, caller
 * frees each and the array).
 */
static enum bot_rc users_gone(struct store *s, const char *const *sorted, size_t n, char ***gone,
                              size_t *ngone, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    size_t cap = 0;
    int src;

    *gone = NULL;
    *ngone = 0;
    rc = store_stmt(s, STMT_DIRECTORY_USER_IDS, "SELECT user_id FROM directory_users", &st, err);
    if (rc)
        goto out;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        if (id == NULL || (n > 0 && bsearch(&id, sorted, n, sizeof(*sorted), cmp_str) != NULL))
            continue;
        rc = store_grow((void **)gone, sizeof(**gone), *ngone, &cap, "directory users", err);
        if (rc)
            goto out;
        (*gone)[(*ngone)++] = xstrdup(id);
    }
    if (src != SQLITE_DONE)
        rc = store_sqlerr(s, src, "directory users", err);
out:
    store_stmt_done(st);
    return rc;
}

/* The statements of store_directory_replace_users(), inside its operation. */
static enum bot_rc replace_users(struct store *s, const struct store_directory_user *users,
                                 size_t n, const char *const *sorted, int64_t now,
                                 struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    char **gone = NULL;
    size_t ngone = 0;
    enum bot_rc rc;
    int b;

    rc = users_gone(s, sorted, n, &gone, &ngone, err);
    for (size_t i = 0; rc == BOT_OK && i < ngone; i++) {
        rc = store_stmt(s, STMT_DIRECTORY_USER_DELETE,
                        "DELETE FROM directory_users WHERE user_id = ?1", &st, err);
        if (rc)
            break;
        b = store_bind_text(st, 1, gone[i]);
        rc = b ? store_sqlerr(s, b, "directory user delete", err)
               : store_step_done(s, st, "directory user delete", err);
        store_stmt_done(st);
        st = NULL;
    }
    /* Only a row that changed is written, so updated_at says when it changed. */
    for (size_t i = 0; rc == BOT_OK && i < n; i++) {
        const struct store_directory_user *u = &users[i];
        rc = store_stmt(s, STMT_DIRECTORY_USER_UPSERT,
                        "INSERT INTO directory_users (user_id, name, deleted, is_bot, is_guest,"
                        " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (user_id)"
                        " DO UPDATE SET name = excluded.name, deleted = excluded.deleted,"
                        " is_bot = excluded.is_bot, is_guest = excluded.is_guest,"
                        " updated_at = excluded.updated_at"
                        " WHERE name IS NOT excluded.name OR deleted <> excluded.deleted"
                        " OR is_bot <> excluded.is_bot OR is_guest <> excluded.is_guest",
                        &st, err);
        if (rc)
            break;
        b = store_bind_text(st, 1, u->user_id);
        b |= store_bind_text(st, 2, u->name);
        b |= store_bind_int(st, 3, u->deleted ? 1 : 0);
        b |= store_bind_int(st, 4, u->is_bot ? 1 : 0);
        b |= store_bind_int(st, 5, u->is_guest ? 1 : 0);
        b |= store_bind_time(st, 6, now);
        rc = b ? store_sqlerr(s, b, "directory user", err)
               : store_step_done(s, st, "directory user", err);
        store_stmt_done(st);
        st = NULL;
    }
    if (rc == BOT_OK)
        rc = mark_synced(s, STORE_DIRECTORY_USERS, now, err);
    for (size_t i = 0; i < ngone; i++)
        free(gone[i]);
    free(gone);
    return rc;
}

enum bot_rc store_directory_replace_users(struct store *s, const struct store_directory_user *users,
                                          size_t n, int64_t now, struct bot_err *err)
{
    const char **sorted = NULL;
    struct store_op op;
    enum bot_rc rc;

    if (n > STORE_DIRECTORY_MAX)
        return bot_err_set(err, BOT_ETOOBIG, "directory users: more than %d users",
                           STORE_DIRECTORY_MAX);
    if (now <= 0 || (users == NULL && n > 0))
        return bot_err_set(err, BOT_EINVAL, "directory users: a time and the users are required");
    for (size_t i = 0; i < n; i++) {
        rc = check_id(users[i].user_id, "user", "directory users", err);
        if (rc)
            return rc;
        if (users[i].name != NULL && strlen(users[i].name) > STORE_DIRECTORY_NAME_MAX)
            return bot_err_set(err, BOT_EINVAL,
                               "directory users: the name of %s is longer than %d bytes",
                               users[i].user_id, STORE_DIRECTORY_NAME_MAX);
    }
    sorted = xcalloc(n ? n : 1, sizeof(*sorted));
    for (size_t i = 0; i < n; i++)
        sorted[i] = users[i].user_id;
    qsort(sorted, n, sizeof(*sorted), cmp_str);
    rc = store_op_begin(s, &op, err);
    if (rc == BOT_OK) {
        rc = replace_users(s, users, n, sorted, now, err);
        rc = store_op_end(s, &op, rc, err);
    }
    free(sorted);
    return rc;
}

/* The statements of store_directory_replace_group(), inside its operation. */
static enum bot_rc replace_group(struct store *s, const char *group_id, const char *const *user_ids,
                                 size_t n, int64_t now, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = store_stmt(s, STMT_DIRECTORY_GROUP_CLEAR,
                    "DELETE FROM directory_group_members WHERE group_id = ?1", &st, err);
    if (rc)
        return rc;
    b = store_bind_text(st, 1, group_id);
    rc = b ? store_sqlerr(s, b, "directory group", err)
           : store_step_done(s, st, "directory group", err);
    store_stmt_done(st);
    st = NULL;
    for (size_t i = 0; rc == BOT_OK && i < n; i++) {
        rc = store_stmt(s, STMT_DIRECTORY_GROUP_ADD,
                        "INSERT INTO directory_group_members (group_id, user_id) VALUES (?1, ?2)"
                        " ON CONFLICT (group_id, user_id) DO NOTHING",
                        &st, err);
        if (rc)
            break;
        b = store_bind_text(st, 1, group_id);
        b |= store_bind_text(st, 2, user_ids[i]);
        rc = b ? store_sqlerr(s, b, "directory group member", err)
               : store_step_done(s, st, "directory group member", err);
        store_stmt_done(st);
        st = NULL;
    }
    if (rc == BOT_OK)
        rc = mark_synced(s, group_id, now, err);
    return rc;
}

enum bot_rc store_directory_replace_group(struct store *s, const char *group_id,
                                          const char *const *user_ids, size_t n, int64_t now,
                                          struct bot_err *err)
{
    struct store_op op;
    enum bot_rc rc;

    rc = check_id(group_id, "group", "directory group", err);
    if (rc)
        return rc;
    if (strcmp(group_id, STORE_DIRECTORY_USERS) == 0)
        return bot_err_set(err, BOT_EINVAL, "directory group: \"%s\" names the user list",
                           STORE_DIRECTORY_USERS);
    if (n > STORE_DIRECTORY_MAX)
        return bot_err_set(err, BOT_ETOOBIG, "directory group %s: more than %d members", group_id,
                           STORE_DIRECTORY_MAX);
    if (now <= 0 || (user_ids == NULL && n > 0))
        return bot_err_set(err, BOT_EINVAL,
                           "directory group %s: a time and the members are required", group_id);
    for (size_t i = 0; i < n; i++) {
        rc = check_id(user_ids[i], "user", "directory group", err);
        if (rc)
            return rc;
    }
    rc = store_op_begin(s, &op, err);
    if (rc)
        return rc;
    rc = replace_group(s, group_id, user_ids, n, now, err);
    return store_op_end(s, &op, rc, err);
}

enum bot_rc store_directory_user(struct store *s, const char *user_id,
                                 struct store_directory_user *out, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    memset(out, 0, sizeof(*out));
    rc = check_id(user_id, "user", "directory user", err);
    if (rc)
        goto out;
    rc = store_stmt(s, STMT_DIRECTORY_USER_GET,
                    "SELECT user_id, name, deleted, is_bot, is_guest, updated_at"
                    " FROM directory_users WHERE user_id = ?1",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_text(st, 1, user_id);
    if (b) {
        rc = store_sqlerr(s, b, "directory user", err);
        goto out;
    }
    rc = store_step_row(s, st, "directory user", err);
    if (rc == BOT_ENOTFOUND)
        rc = bot_err_set(err, rc, "no user %s in the directory", user_id);
    if (rc)
        goto out;
    out->user_id = store_col_text(st, 0);
    out->name = store_col_text(st, 1);
    out->deleted = store_col_int(st, 2) != 0;
    out->is_bot = store_col_int(st, 3) != 0;
    out->is_guest = store_col_int(st, 4) != 0;
    out->updated_at = store_col_int(st, 5);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_directory_synced_at(struct store *s, const char *directory, int64_t *at,
                                      struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    *at = 0;
    rc = check_id(directory, "directory", "directory sync time", err);
    if (rc)
        goto out;
    rc = store_stmt(s, STMT_DIRECTORY_SYNCED_GET,
                    "SELECT synced_at FROM directory_syncs WHERE directory = ?1", &st, err);
    if (rc)
        goto out;
    b = store_bind_text(st, 1, directory);
    if (b) {
        rc = store_sqlerr(s, b, "directory sync time", err);
        goto out;
    }
    rc = store_step_row(s, st, "directory sync time", err);
    if (rc == BOT_ENOTFOUND)
        rc = bot_err_set(err, rc, "directory %s was never synced", directory);
    if (rc)
        goto out;
    *at = store_col_int(st, 0);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_directory_in_group(struct store *s, const char *group_id, const char *user_id,
                                     bool *member, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    *member = false;
    rc = check_id(group_id, "group", "directory group", err);
    if (rc == BOT_OK)
        rc = check_id(user_id, "user", "directory group", err);
    if (rc == BOT_OK && strcmp(group_id, STORE_DIRECTORY_USERS) == 0)
        rc = bot_err_set(err, BOT_EINVAL, "directory group: \"%s\" names the user list",
                         STORE_DIRECTORY_USERS);
    if (rc)
        goto out;
    /* One statement, so the answer and "was it ever synced" come from the same snapshot. */
    rc = store_stmt(s, STMT_DIRECTORY_IN_GROUP,
                    "SELECT EXISTS (SELECT 1 FROM directory_group_members"
                    " WHERE group_id = ?1 AND user_id = ?2)"
                    " FROM directory_syncs WHERE directory = ?1",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_text(st, 1, group_id);
    b |= store_bind_text(st, 2, user_id);
    if (b) {
        rc = store_sqlerr(s, b, "directory group", err);
        goto out;
    }
    rc = store_step_row(s, st, "directory group", err);
    if (rc == BOT_ENOTFOUND)
        rc = bot_err_set(err, rc, "user group %s was never synced", group_id);
    if (rc)
        goto out;
    *member = store_col_int(st, 0) != 0;
out:
    store_stmt_done(st);
    return rc;
}
