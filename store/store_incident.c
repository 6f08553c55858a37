/*
 * Incidents, their attributes and their role assignments (store_incident.h):
 * the incident row read and written whole with an optimistic version check,
 * and role changes that end the previous holder's row instead of
 * overwriting it, so the history of who held what stays on record.
 */
#include "store_incident.h"

#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "xmalloc.h"

/* Columns 1..31 of a row, in the order of bind_incident() and read_incident(). */
#define INCIDENT_FIELDS                                                                            \
    "slug, title, description, severity, status, breach, breach_at, below_threshold,"              \
    " started_at, declared_at, identified_at, resolved_at, closed_at, declarer, channel_id,"       \
    " channel_name, channel_private, control_ts, announce_channel, announce_ts, call_url, step,"   \
    " affected_users, public_title, published, published_at, statuspage_id, postmortem,"           \
    " postmortem_published_at, postmortem_updated_at, updated_at"
#define INCIDENT_NFIELDS 31
#define INCIDENT_SELECT  "SELECT id, " INCIDENT_FIELDS ", version FROM incidents"

void store_incident_init(struct store_incident *inc)
{
    memset(inc, 0, sizeof(*inc));
    inc->affected_users = -1;
    inc->step = 1;
}

void store_incident_clear(struct store_incident *inc)
{
    char **strs[] = {
        &inc->slug,         &inc->title,
        &inc->description,  &inc->severity,
        &inc->status,       &inc->declarer,
        &inc->channel_id,   &inc->channel_name,
        &inc->control_ts,   &inc->announce_channel,
        &inc->announce_ts,  &inc->call_url,
        &inc->public_title, &inc->statuspage_id,
        &inc->postmortem,
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        free(*strs[i]);
    store_incident_init(inc);
}

void store_incident_list_free(struct store_incident *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        store_incident_clear(&rows[i]);
    free(rows);
}

static enum bot_rc check_incident(const struct store_incident *inc, struct bot_err *err)
{
    if (inc->title == NULL || inc->title[0] == '\0')
        return bot_err_set(err, BOT_EINVAL, "incident: the title is required");
    if (inc->severity == NULL || inc->status == NULL)
        return bot_err_set(err, BOT_EINVAL, "incident: severity and status are required");
    if (inc->affected_users < -1)
        return bot_err_set(err, BOT_EINVAL, "incident: affected users %lld is negative",
                           (long long)inc->affected_users);
    if (inc->step < 0 || inc->step > 9)
        return bot_err_set(err, BOT_EINVAL, "incident: step %d is not 1..9", inc->step);
    if (inc->published && inc->published_at <= 0)
        return bot_err_set(err, BOT_EINVAL, "incident: published without a publication time");
    return BOT_OK;
}

/* Binds the INCIDENT_FIELDS to ?1..?31; returns a SQLite code. */
static int bind_incident(sqlite3_stmt *st, const struct store_incident *inc)
{
    int b = 0;
    b |= store_bind_text(st, 1, inc->slug);
    b |= store_bind_text(st, 2, inc->title);
    b |= store_bind_text(st, 3, inc->description ? inc->description : "");
    b |= store_bind_text(st, 4, inc->severity);
    b |= store_bind_text(st, 5, inc->status);
    b |= store_bind_int(st, 6, inc->breach != 0);
    b |= store_bind_time(st, 7, inc->breach_at);
    b |= store_bind_int(st, 8, inc->below_threshold != 0);
    b |= store_bind_time(st, 9, inc->started_at);
    b |= store_bind_time(st, 10, inc->declared_at);
    b |= store_bind_time(st, 11, inc->identified_at);
    b |= store_bind_time(st, 12, inc->resolved_at);
    b |= store_bind_time(st, 13, inc->closed_at);
    b |= store_bind_text(st, 14, inc->declarer);
    b |= store_bind_text(st, 15, inc->channel_id);
    b |= store_bind_text(st, 16, inc->channel_name);
    b |= store_bind_int(st, 17, inc->channel_private != 0);
    b |= store_bind_text(st, 18, inc->control_ts);
    b |= store_bind_text(st, 19, inc->announce_channel);
    b |= store_bind_text(st, 20, inc->announce_ts);
    b |= store_bind_text(st, 21, inc->call_url);
    b |= store_bind_int(st, 22, inc->step ? inc->step : 1);
    if (inc->affected_users < 0)
        b |= sqlite3_bind_null(st, 23);
    else
        b |= store_bind_int(st, 23, inc->affected_users);
    b |= store_bind_text(st, 24, inc->public_title);
    b |= store_bind_int(st, 25, inc->published != 0);
    b |= store_bind_time(st, 26, inc->published_at);
    b |= store_bind_text(st, 27, inc->statuspage_id);
    b |= store_bind_text(st, 28, inc->postmortem);
    b |= store_bind_time(st, 29, inc->postmortem_published_at);
    b |= store_bind_time(st, 30, inc->postmortem_updated_at);
    b |= store_bind_time(st, 31, inc->updated_at);
    return b;
}

/* Reads a row of INCIDENT_SELECT into out (which must be initialised and empty). */
static void read_incident(sqlite3_stmt *st, struct store_incident *out)
{
    out->id = store_col_int(st, 0);
    out->slug = store_col_text(st, 1);
    out->title = store_col_text(st, 2);
    out->description = store_col_text(st, 3);
    out->severity = store_col_text(st, 4);
    out->status = store_col_text(st, 5);
    out->breach = (int)store_col_int(st, 6);
    out->breach_at = store_col_int(st, 7);
    out->below_threshold = (int)store_col_int(st, 8);
    out->started_at = store_col_int(st, 9);
    out->declared_at = store_col_int(st, 10);
    out->identified_at = store_col_int(st, 11);
    out->resolved_at = store_col_int(st, 12);
    out->closed_at = store_col_int(st, 13);
    out->declarer = store_col_text(st, 14);
    out->channel_id = store_col_text(st, 15);
    out->channel_name = store_col_text(st, 16);
    out->channel_private = (int)store_col_int(st, 17);
    out->control_ts = store_col_text(st, 18);
    out->announce_channel = store_col_text(st, 19);
    out->announce_ts = store_col_text(st, 20);
    out->call_url = store_col_text(st, 21);
    out->step = (int)store_col_int(st, 22);
    out->affected_users = sqlite3_column_type(st, 23) == SQLITE_NULL ? -1 : store_col_int(st, 23);
    out->public_title = store_col_text(st, 24);
    out->published = (int)store_col_int(st, 25);
    out->published_at = store_col_int(st, 26);
    out->statuspage_id = store_col_text(st, 27);
    out->postmortem = store_col_text(st, 28);
    out->postmortem_published_at = store_col_int(st, 29);
    out->postmortem_updated_at = store_col_int(st, 30);
    out->updated_at = store_col_int(st, 31);
    out->version = store_col_int(st, 32);
}

enum bot_rc store_incident_insert(struct store *s, struct store_incident *inc, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = check_incident(inc, err);
    if (rc)
        goto out;
    rc = store_stmt(s, STMT_INCIDENT_INSERT,
                    "INSERT INTO incidents (" INCIDENT_FIELDS ", version) VALUES (?1, ?2, ?3, ?4,"
                    " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,"
                    " ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, 1) RETURNING id",
                    &st, err);
    if (rc)
        goto out;
    b = bind_incident(st, inc);
    if (b) {
        rc = store_sqlerr(s, b, "incident insert", err);
        goto out;
    }
    rc = store_step_row(s, st, "incident insert", err);
    if (rc)
        goto out;
    inc->id = store_col_int(st, 0);
    inc->version = 1;
    rc = store_step_done(s, st, "incident insert", err);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_incident_update(struct store *s, struct store_incident *inc, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = check_incident(inc, err);
    if (rc)
        goto out;
    rc = store_stmt(s, STMT_INCIDENT_UPDATE,
                    "UPDATE incidents SET slug = ?1, title = ?2, description = ?3, severity = ?4,"
                    " status = ?5, breach = ?6, breach_at = ?7, below_threshold = ?8,"
                    " started_at = ?9, declared_at = ?10, identified_at = ?11, resolved_at = ?12,"
                    " closed_at = ?13, declarer = ?14, channel_id = ?15, channel_name = ?16,"
                    " channel_private = ?17, control_ts = ?18, announce_channel = ?19,"
                    " announce_ts = ?20, call_url = ?21, step = ?22, affected_users = ?23,"
                    " public_title = ?24, published = ?25, published_at = ?26,"
                    " statuspage_id = ?27, postmortem = ?28, postmortem_published_at = ?29,"
                    " postmortem_updated_at = ?30, updated_at = ?31, version = version + 1"
                    " WHERE id = ?32 AND version = ?33",
                    &st, err);
    if (rc)
        goto out;
    b = bind_incident(st, inc);
    b |= store_bind_int(st, INCIDENT_NFIELDS + 1, inc->id);
    b |= store_bind_int(st, INCIDENT_NFIELDS + 2, inc->version);
    if (b) {
        rc = store_sqlerr(s, b, "incident update", err);
        goto out;
    }
    rc = store_step_done(s, st, "incident update", err);
    if (rc)
        goto out;
    if (sqlite3_changes(s->db) == 1) {
        inc->version++;
        goto out;
    }
    store_stmt_done(st);
    rc = store_stmt(s, STMT_INCIDENT_VERSION, "SELECT version FROM incidents WHERE id = ?1", &st,
                    err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, inc->id);
    if (b) {
        rc = store_sqlerr(s, b, "incident update", err);
        goto out;
    }
    rc = store_step_row(s, st, "incident update", err);
    if (rc == BOT_ENOTFOUND)
        rc = bot_err_set(err, BOT_ENOTFOUND, "incident update: no incident %lld",
                         (long long)inc->id);
    if (rc)
        goto out;
    rc = bot_err_set(err, BOT_ESTATE,
                     "incident %lld changed since it was read (read version %lld, now %lld)",
                     (long long)inc->id, (long long)inc->version, (long long)store_col_int(st, 0));
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_incident_exists(struct store *s, int64_t id, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = store_stmt(s, STMT_INCIDENT_EXISTS, "SELECT 1 FROM incidents WHERE id = ?1", &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, id);
    if (b) {
        rc = store_sqlerr(s, b, "incident exists", err);
        goto out;
    }
    rc = store_step_row(s, st, "incident exists", err);
    if (rc == BOT_ENOTFOUND)
        rc = bot_err_set(err, rc, "no incident %lld", (long long)id);
out:
    store_stmt_done(st);
    return rc;
}

/* Runs a one-row incident query whose ?1 is already bound. */
static enum bot_rc get_one(struct store *s, sqlite3_stmt *st, const char *what,
                           struct store_incident *out, struct bot_err *err)
{
    enum bot_rc rc = store_step_row(s, st, what, err);
    if (rc == BOT_OK)
        read_incident(st, out);
    return rc;
}

enum bot_rc store_incident_get(struct store *s, int64_t id, struct store_incident *out,
                               struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    store_incident_init(out);
    rc = store_stmt(s, STMT_INCIDENT_GET, INCIDENT_SELECT " WHERE id = ?1", &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, id);
    if (b) {
        rc = store_sqlerr(s, b, "incident get", err);
        goto out;
    }
    rc = get_one(s, st, "incident get", out, err);
    if (rc == BOT_ENOTFOUND)
        rc = bot_err_set(err, rc, "no incident %lld", (long long)id);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_incident_get_by_channel(struct store *s, const char *channel_id,
                                          struct store_incident *out, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    store_incident_init(out);
    if (channel_id == NULL)
        return bot_err_set(err, BOT_EINVAL, "incident by channel: no channel given");
    rc = store_stmt(s, STMT_INCIDENT_GET_BY_CHANNEL, INCIDENT_SELECT " WHERE channel_id = ?1", &st,
                    err);
    if (rc)
        goto out;
    b = store_bind_text(st, 1, channel_id);
    if (b) {
        rc = store_sqlerr(s, b, "incident by channel", err);
        goto out;
    }
    rc = get_one(s, st, "incident by channel", out, err);
    if (rc == BOT_ENOTFOUND)
        rc = bot_err_set(err, rc, "no incident has channel %s", channel_id);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_incident_get_by_slug(struct store *s, const char *slug,
                                       struct store_incident *out, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    store_incident_init(out);
    if (slug == NULL)
        return bot_err_set(err, BOT_EINVAL, "incident by slug: no slug given");
    rc = store_stmt(s, STMT_INCIDENT_GET_BY_SLUG, INCIDENT_SELECT " WHERE slug = ?1", &st, err);
    if (rc)
        goto out;
    b = store_bind_text(st, 1, slug);
    if (b) {
        rc = store_sqlerr(s, b, "incident by slug", err);
        goto out;
    }
    rc = get_one(s, st, "incident by slug", out, err);
    if (rc == BOT_ENOTFOUND)
        rc = bot_err_set(err, rc, "no incident has slug %s", slug);
out:
    store_stmt_done(st);
    return rc;
}

/* Steps a bound incident query to the end, collecting rows. */
static enum bot_rc collect(struct store *s, sqlite3_stmt *st, const char *what,
                           struct store_incident **rows, size_t *n, struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    size_t cap = 0;
    int src;

    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        rc = store_grow((void **)rows, sizeof(**rows), *n, &cap, what, err);
        if (rc)
            goto out;
        store_incident_init(&(*rows)[*n]);
        read_incident(st, &(*rows)[*n]);
        (*n)++;
    }
    if (src != SQLITE_DONE)
        rc = store_sqlerr(s, src, what, err);
out:
    if (rc) {
        store_incident_list_free(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

enum bot_rc store_incident_list_by_status(struct store *s, const char *const *statuses,
                                          size_t nstatuses, struct store_incident **rows, size_t *n,
                                          struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b = 0;

    *rows = NULL;
    *n = 0;
    if (nstatuses == 0 || nstatuses > STORE_STATUS_FILTER_MAX)
        return bot_err_set(err, BOT_EINVAL, "incident list: %zu statuses, expected 1..%d",
                           nstatuses, STORE_STATUS_FILTER_MAX);
    rc = store_stmt(s, STMT_INCIDENT_LIST_STATUS,
                    INCIDENT_SELECT " WHERE status IN (?1, ?2, ?3, ?4, ?5, ?6, ?7) ORDER BY id",
                    &st, err);
    if (rc)
        goto out;
    /* Unused slots stay NULL, which matches nothing. */
    for (size_t i = 0; i < nstatuses; i++)
        b |= store_bind_text(st, (int)i + 1, statuses[i]);
    if (b) {
        rc = store_sqlerr(s, b, "incident list", err);
        goto out;
    }
    rc = collect(s, st, "incident list", rows, n, err);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_incident_list_open(struct store *s, struct store_incident **rows, size_t *n,
                                     struct bot_err *err)
{
    static const char *const open[] = {"potential", "investigating", "identified", "monitoring"};
    return store_incident_list_by_status(s, open, sizeof(open) / sizeof(open[0]), rows, n, err);
}

enum bot_rc store_incident_list_published(struct store *s, int64_t since, size_t limit,
                                          struct store_incident **rows, size_t *n,
                                          struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    *rows = NULL;
    *n = 0;
    if (limit == 0 || limit > STORE_LIST_MAX)
        return bot_err_set(err, BOT_EINVAL, "published incidents: limit %zu is not 1..%d", limit,
                           STORE_LIST_MAX);
    rc = store_stmt(s, STMT_INCIDENT_LIST_PUBLISHED,
                    INCIDENT_SELECT " WHERE published = 1 AND published_at >= ?1"
                                    " ORDER BY published_at DESC, id DESC LIMIT ?2",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, since);
    b |= store_bind_int(st, 2, (int64_t)limit);
    if (b) {
        rc = store_sqlerr(s, b, "published incidents", err);
        goto out;
    }
    rc = collect(s, st, "published incidents", rows, n, err);
out:
    store_stmt_done(st);
    return rc;
}

/* ---- attributes ---- */

static enum bot_rc check_attr_key(const char *key, struct bot_err *err)
{
    if (key == NULL || key[0] == '\0' || strlen(key) > STORE_KEY_MAX)
        return bot_err_set(err, BOT_EINVAL, "incident attribute: key must be 1..%d bytes",
                           STORE_KEY_MAX);
    return BOT_OK;
}

enum bot_rc store_incident_attr_set(struct store *s, int64_t incident_id, const char *key,
                                    const char *value, int64_t at, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = check_attr_key(key, err);
    if (rc)
        goto out;
    if (value == NULL) {
        rc = bot_err_set(err, BOT_EINVAL, "incident attribute %s: NULL value", key);
        goto out;
    }
    rc = store_stmt(s, STMT_ATTR_SET,
                    "INSERT INTO incident_attrs (incident_id, key, value, updated_at)"
                    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (incident_id, key) DO UPDATE"
                    " SET value = excluded.value, updated_at = excluded.updated_at",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    b |= store_bind_text(st, 2, key);
    b |= store_bind_text(st, 3, value);
    b |= store_bind_time(st, 4, at);
    if (b) {
        rc = store_sqlerr(s, b, "incident attribute set", err);
        goto out;
    }
    rc = store_step_done(s, st, "incident attribute set", err);
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_incident_attr_get(struct store *s, int64_t incident_id, const char *key,
                                    char **value, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    *value = NULL;
    rc = check_attr_key(key, err);
    if (rc)
        goto out;
    rc = store_stmt(s, STMT_ATTR_GET,
                    "SELECT value FROM incident_attrs WHERE incident_id = ?1 AND key = ?2", &st,
                    err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    b |= store_bind_text(st, 2, key);
    if (b) {
        rc = store_sqlerr(s, b, "incident attribute get", err);
        goto out;
    }
    rc = store_step_row(s, st, "incident attribute get", err);
    if (rc)
        goto out;
    *value = store_col_text(st, 0);
out:
    store_stmt_done(st);
    return rc;
}

/* ---- roles ---- */

void store_role_list_free(struct store_role *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].role);
        free(rows[i].user_id);
        free(rows[i].assigned_by);
        free(rows[i].ended_by);
    }
    free(rows);
}

enum bot_rc store_role_get(struct store *s, int64_t incident_id, const char *role, char **user_id,
                           struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    *user_id = NULL;
    if (role == NULL)
        return bot_err_set(err, BOT_EINVAL, "role get: no role given");
    rc = store_stmt(s, STMT_ROLE_GET,
                    "SELECT user_id FROM roles WHERE incident_id = ?1 AND role = ?2"
                    " AND ended_at IS NULL",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    b |= store_bind_text(st, 2, role);
    if (b) {
        rc = store_sqlerr(s, b, "role get", err);
        goto out;
    }
    rc = store_step_row(s, st, "role get", err);
    if (rc == BOT_ENOTFOUND)
        rc = bot_err_set(err, rc, "incident %lld has no %s", (long long)incident_id, role);
    if (rc)
        goto out;
    *user_id = store_col_text(st, 0);
out:
    store_stmt_done(st);
    return rc;
}

/* Ends the current holder's assignment; *ended is 1 when there was one. */
static enum bot_rc role_end(struct store *s, int64_t incident_id, const char *role, const char *by,
                            int64_t at, int *ended, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    enum bot_rc rc;
    int b;

    rc = store_stmt(s, STMT_ROLE_END,
                    "UPDATE roles SET ended_at = ?3, ended_by = ?4 WHERE incident_id = ?1"
                    " AND role = ?2 AND ended_at IS NULL",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    b |= store_bind_text(st, 2, role);
    b |= store_bind_time(st, 3, at);
    b |= store_bind_text(st, 4, by);
    if (b) {
        rc = store_sqlerr(s, b, "role end", err);
        goto out;
    }
    rc = store_step_done(s, st, "role end", err);
    if (rc)
        goto out;
    *ended = sqlite3_changes(s->db) > 0;
out:
    store_stmt_done(st);
    return rc;
}

enum bot_rc store_role_set(struct store *s, int64_t incident_id, const char *role,
                           const char *user_id, const char *by, int64_t at, struct bot_err *err)
{
    sqlite3_stmt *st = NULL;
    struct store_op op;
    enum bot_rc rc;
    char *current = NULL;
    int ended, b;

    if (role == NULL || user_id == NULL || at <= 0)
        return bot_err_set(err, BOT_EINVAL, "role set: role, user and a time are required");
    rc = store_op_begin(s, &op, err);
    if (rc)
        return rc;
    rc = store_role_get(s, incident_id, role, &current, err);
    if (rc == BOT_OK && strcmp(current, user_id) == 0) {
        rc = bot_err_set(err, BOT_EEXISTS, "%s already holds %s of incident %lld", user_id, role,
                         (long long)incident_id);
        goto out;
    }
    if (rc && rc != BOT_ENOTFOUND)
        goto out;
    rc = role_end(s, incident_id, role, by, at, &ended, err);
    if (rc)
        goto out;
    rc = store_stmt(s, STMT_ROLE_INSERT,
                    "INSERT INTO roles (incident_id, role, user_id, assigned_by, assigned_at)"
                    " VALUES (?1, ?2, ?3, ?4, ?5)",
                    &st, err);
    if (rc)
        goto out;
    b = store_bind_int(st, 1, incident_id);
    b |= store_bind_text(st, 2, role);
    b |= store_bind_text(st, 3, user_id);
    b |= store_bind_text(st, 4, by);
    b |= store_bind_time(st, 5, at);
    if (b) {
        rc = store_sqlerr(s, b, "role set", err);
        goto out;
    }
    rc = store_step_done(s, st, "role set", err);
out:
    store_stmt_done(st);
    free(current);
    return store_op_end(s, &op, rc, err);
}

enum bot_rc store_role_clear(struct store *s, int64_t incident_id, const char *role, const char *by,
                             int64_t at, struct bot_err *err)
{
    enum bot_rc rc;
    int ended = 0;

    if (role == NULL || at <= 0)
        return bot_err_set(err, BOT_EINVAL, "role clear: role and a time are required");
    rc = role_end(s, incident_id, role, by, at, &ended, err);
    if (rc == BOT_OK && !ended)
        rc = bot_err_set(err, BOT_ENOTFOUND, "incident %lld has no %s", (long long)incident_id,
                         role);
    return rc;
}

static enum bot_rc role_list(struct store *s, sqlite3_stmt *st, int64_t incident_id,
                             const char *what, struct store_role **rows, size_t *n,
                             struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    size_t cap = 0;
    int src, b;

    b = store_bind_int(st, 1, incident_id);
    if (b) {
        rc = store_sqlerr(s, b, what, err);
        goto out;
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        rc = store_grow((void **)rows, sizeof(**rows), *n, &cap, what, err);
        if (rc)
            goto out;
        struct store_role *r = &(*rows)[*n];
        r->id = store_col_int(st, 0);
        r->incident_id = store_col_int(st, 1);
        r->role = store_col_text(st, 2);
        r->user_id = store_col_text(st, 3);
        r->assigned_by = store_col_text(st, 4);
        r->assigned_at = store_col_int(st, 5);
        r->ended_at = store_col_int(st, 6);
        r->ended_by = store_col_text(st, 7);
        (*n)++;
    }
    if (src != SQLITE_DONE)
        rc = store_sqlerr(s, src, what, err);
out:
    store_stmt_done(st);
    if (rc) {
        store_role_list_free(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

#define ROLE_SELECT                                                                                \
    "SELECT id, incident_id, role, user_id, assigned_by, assigned_at, ended_at, ended_by"          \
    " FROM roles WHERE incident_id = ?1"

enum bot_rc store_role_list_current(struct store *s, int64_t incident_id, struct store_role **rows,
                                    size_t *n, struct bot_err *err)
{
    sqlite3_stmt *st;
    enum bot_rc rc;

    *rows = NULL;
    *n = 0;
    rc = store_stmt(s, STMT_ROLE_LIST_CURRENT,
                    ROLE_SELECT " AND ended_at IS NULL ORDER BY CASE role WHEN 'irm' THEN 1"
                                " WHEN 'tech' THEN 2 WHEN 'support' THEN 3 ELSE 4 END",
                    &st, err);
    if (rc)
        return rc;
    return role_list(s, st, incident_id, "current roles", rows, n, err);
}

enum bot_rc store_role_history(struct store *s, int64_t incident_id, struct store_role **rows,
                               size_t *n, struct bot_err *err)
{
    sqlite3_stmt *st;
    enum bot_rc rc;

    *rows = NULL;
    *n = 0;
    rc = store_stmt(s, STMT_ROLE_HISTORY, ROLE_SELECT " ORDER BY assigned_at, id", &st, err);
    if (rc)
        return rc;
    return role_list(s, st, incident_id, "role history", rows, n, err);
}
