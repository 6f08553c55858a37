/*
 * Status page components (store_component.h): the configured components with
 * their current status, a log of every status change for the uptime bars,
 * and the links between incidents and the components they affect.
 */
#include "store_component.h"

#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "xmalloc.h"

void store_component_clear(struct store_component *c)
{
    free(c->name);
    free(c->description);
    free(c->status);
    memset(c, 0, sizeof(*c));
}

void store_component_list_free(struct store_component *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        store_component_clear(&rows[i]);
    free(rows);
}

void store_component_history_free(struct store_component_change *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rows[i].status);
    free(rows);
}

void store_component_links_free(struct store_component_link *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].component);
        free(rows[i].impact);
        free(rows[i].incident_status);
    }
    free(rows);
}

static enum bot_rc check_name(const char *name, const char *what, struct bot_err *err)
{
    if (name == NULL || name[0] == '\0')
        return bot_err_set(err, BOT_EINVAL, "%s: a component name is required", what);
    return BOT_OK;
}

enum bot_rc store_component_upsert(struct store *s, const char *name, const char *description,
                                   int64_t position, int64_t at, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = check_name(name, "component upsert", err);
    if (rc)
        goto out;
    rc = store_stmt(s, STMT_COMPONENT_UPSERT,
                    "INSERT INTO components (name, description, position, updated_at)"
                    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE"
                    " SET description = excluded.description, position = excluded.position",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_text(st, 1, name);
    b |= store_bind_text(st, 2, description ? description : "");
    b |= store_bind_int(st, 3, position);
    b |= store_bind_time(st, 4, at);
    if (b) {
        rc = store_sqlerr(s, b, "component upsert", err);
        goto out;
    }
    rc = store_step_done(s, st, "component upsert", err);
out:
    store_stmt_done(st);
    return rc;
}

#define COMPONENT_SELECT                                                                           \
    "SELECT id, name, description, position, status, updated_at FROM components"

static void read_component(sqlite3_stmt *st, struct store_component *c)
{
    c->id = store_col_int(st, 0);
    c->name = store_col_text(st, 1);
    c->description = store_col_text(st, 2);
    c->position = store_col_int(st, 3);
    c->status = store_col_text(st, 4);
    c->updated_at = store_col_int(st, 5);
}

enum bot_rc store_component_get(struct store *s, const char *name, struct store_component *out,
                                struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    memset(out, 0, sizeof(*out));
    rc = check_name(name, "component get", err);
    if (rc)
        goto out;
    rc = store_stmt(s, STMT_COMPONENT_GET, COMPONENT_SELECT " WHERE name = ?1", &st, err);
    if (rc)
        goto out;
    b = store_bind_text(st, 1, name);
    if (b) {
        rc = store_sqlerr(s, b, "component get", err);
        goto out;
    }
    rc = store_step_row(s, st, "component get", err);
    if (rc == BOT_ENOTFOUND)
        rc = bot_err_set(err, rc, "no component named %s", name);
    if (rc)
        goto out;
    read_component(st, out);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_component_list(struct store *s, struct store_component **rows, size_t *n,
                                 struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    size_t cap = 0;
    int src;

    *rows = NULL;
    *n = 0;
    rc = store_stmt(s, STMT_COMPONENT_LIST, COMPONENT_SELECT " ORDER BY position, name", &st, err);
    if (rc)
        goto out;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        rc = store_grow((void **)rows, sizeof(**rows), *n, &cap, "component list", err);
        if (rc)
            goto out;
        read_component(st, &(*rows)[*n]);
        (*n)++;
    }
    if (src != SQLITE_DONE)
        rc = store_sqlerr(s, src, "component list", err);
out:
    store_stmt_done(st);
    if (rc) {
        store_component_list_free(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

enum bot_rc store_component_set_status(struct store *s, const char *name, const char *status,
                                       int64_t at, int *changed, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    struct store_op op;
    struct store_component cur = {0};
    enum bot_rc rc;
    int b;

    if (changed)
        *changed = 0;
    if (status == NULL || at <= 0)
        return bot_err_set(err, BOT_EINVAL, "component status: a status and a time are required");
    rc = store_op_begin(s, &op, err);
    if (rc)
        return rc;
    rc = store_component_get(s, name, &cur, err);
    if (rc || strcmp(cur.status, status) == 0)
        goto out;
    rc = store_stmt(s, STMT_COMPONENT_SET_STATUS,
                    "UPDATE components SET status = ?2, updated_at = ?3 WHERE id = ?1", &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, cur.id);
    b |= store_bind_text(st, 2, status);
    b |= store_bind_time(st, 3, at);
    if (b) {
        rc = store_sqlerr(s, b, "component status", err);
        goto out;
    }
    rc = store_step_done(s, st, "component status", err);
    if (rc)
        goto out;
    store_stmt_done(st);
    rc = store_stmt(s, STMT_COMPONENT_LOG,
                    "INSERT INTO component_status_log (component_id, at, status)"
                    " VALUES (?1, ?2, ?3)",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, cur.id);
    b |= store_bind_time(st, 2, at);
    b |= store_bind_text(st, 3, status);
    if (b) {
        rc = store_sqlerr(s, b, "component status log", err);
        goto out;
    }
    rc = store_step_done(s, st, "component status log", err);
    if (rc)
        goto out;
    if (changed)
        *changed = 1;
out:
    store_stmt_done(st);
    store_component_clear(&cur);
    return store_op_end(s, &op, rc, err);
}

enum bot_rc store_component_history(struct store *s, const char *name, int64_t since,
                                    struct store_component_change **rows, size_t *n,
                                    struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    size_t cap = 0;
    int b, src;

    *rows = NULL;
    *n = 0;
    rc = check_name(name, "component history", err);
    if (rc)
        goto out;
    /* From the last change at or before since, so the status at since is known. */
    rc = store_stmt(s, STMT_COMPONENT_HISTORY,
                    "SELECT l.at, l.status FROM component_status_log l"
                    " JOIN components c ON c.id = l.component_id WHERE c.name = ?1"
                    " AND l.at >= (SELECT COALESCE(MAX(l2.at), ?2) FROM component_status_log l2"
                    " WHERE l2.component_id = c.id AND l2.at <= ?2) ORDER BY l.at, l.id",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_text(st, 1, name);
    b |= store_bind_int(st, 2, since);
    if (b) {
        rc = store_sqlerr(s, b, "component history", err);
        goto out;
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        rc = store_grow((void **)rows, sizeof(**rows), *n, &cap, "component history", err);
        if (rc)
            goto out;
        (*rows)[*n].at = store_col_int(st, 0);
        (*rows)[*n].status = store_col_text(st, 1);
        (*n)++;
    }
    if (src != SQLITE_DONE)
        rc = store_sqlerr(s, src, "component history", err);
out:
    store_stmt_done(st);
    if (rc) {
        store_component_history_free(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

enum bot_rc store_incident_component_add(struct store *s, int64_t incident_id, const char *name,
                                         const char *impact, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = check_name(name, "incident component", err);
    if (rc)
        goto out;
    rc = store_stmt(
        s, STMT_INCIDENT_COMPONENT_ADD,
        "INSERT INTO incident_components (incident_id, component_id, impact)"
        " SELECT ?1, id, ?3 FROM components WHERE name = ?2"
        " ON CONFLICT (incident_id, component_id) DO UPDATE SET impact = excluded.impact",
        &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    b |= store_bind_text(st, 2, name);
    b |= store_bind_text(st, 3, impact);
    if (b) {
        rc = store_sqlerr(s, b, "incident component", err);
        goto out;
    }
    rc = store_step_done(s, st, "incident component", err);
    if (rc == BOT_ENOTFOUND)
        rc = bot_err_set(err, rc, "no incident %lld", (long long)incident_id);
    if (rc)
        goto out;
    if (sqlite3_changes(s->db) == 0)
        rc = bot_err_set(err, BOT_ENOTFOUND, "no component named %s", name);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_incident_component_remove(struct store *s, int64_t incident_id, const char *name,
                                            struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = check_name(name, "incident component", err);
    if (rc)
        goto out;
    rc = store_stmt(s, STMT_INCIDENT_COMPONENT_REMOVE,
                    "DELETE FROM incident_components WHERE incident_id = ?1"
                    " AND component_id = (SELECT id FROM components WHERE name = ?2)",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    b |= store_bind_text(st, 2, name);
    if (b) {
        rc = store_sqlerr(s, b, "incident component remove", err);
        goto out;
    }
    rc = store_step_done(s, st, "incident component remove", err);
    if (rc)
        goto out;
    if (sqlite3_changes(s->db) == 0)
        rc = bot_err_set(err, BOT_ENOTFOUND, "component %s is not attached to incident %lld", name,
                         (long long)incident_id);
out:
    store_stmt_done(st);
    return rc;
}

static enum bot_rc read_links(struct store *s, sqlite3_stmt *st, const char *what,
                              struct store_component_link **rows, size_t *n, struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    size_t cap = 0;
    int src;

    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        rc = store_grow((void **)rows, sizeof(**rows), *n, &cap, what, err);
        if (rc)
            goto out;
        struct store_component_link *l = &(*rows)[*n];
        l->incident_id = store_col_int(st, 0);
        l->component = store_col_text(st, 1);
        l->impact = store_col_text(st, 2);
        l->incident_status = store_col_text(st, 3);
        (*n)++;
    }
    if (src != SQLITE_DONE)
        rc = store_sqlerr(s, src, what, err);
out:
    if (rc) {
        store_component_links_free(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

#define LINK_SELECT                                                                                \
    "SELECT ic.incident_id, c.name, ic.impact, i.status FROM incident_components ic"               \
    " JOIN components c ON c.id = ic.component_id JOIN incidents i ON i.id = ic.incident_id"

enum bot_rc store_incident_component_list(struct store *s, int64_t incident_id,
                                          struct store_component_link **rows, size_t *n,
                                          struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    *rows = NULL;
    *n = 0;
    rc = store_stmt(s, STMT_INCIDENT_COMPONENT_LIST,
                    LINK_SELECT " WHERE ic.incident_id = ?1 ORDER BY c.position, c.name", &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    if (b) {
        rc = store_sqlerr(s, b, "incident components", err);
        goto out;
    }
    rc = read_links(s, st, "incident components", rows, n, err);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_component_holders(struct store *s, const char *name,
                                    struct store_component_link **rows, size_t *n,
                                    struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    *rows = NULL;
    *n = 0;
    rc = check_name(name, "component holders", err);
    if (rc)
        goto out;
    rc = store_stmt(s, STMT_COMPONENT_HOLDERS,
                    LINK_SELECT " WHERE c.name = ?1 AND i.status IN ('potential', 'investigating',"
                                " 'identified', 'monitoring') ORDER BY ic.incident_id",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_text(st, 1, name);
    if (b) {
        rc = store_sqlerr(s, b, "component holders", err);
        goto out;
    }
    rc = read_links(s, st, "component holders", rows, n, err);
out:
    store_stmt_done(st);
    return rc;
}
