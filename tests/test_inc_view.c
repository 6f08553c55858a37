/*
 * Unit tests of commands/inc_view: an incident loaded from a real database
 * file in a temporary directory becomes the struct render_incident the
 * renderers take (enums, roles by name, components, flags, times), a role
 * change is seen by the next load, an unknown severity or status is named,
 * a missing incident is BOT_ENOTFOUND, and the result renders.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "store_outbox.h"
#include "inc_view.h"
#include "render.h"
#include "store.h"
#include "store_component.h"
#include "store_incident.h"
#include "xmalloc.h"

#define T0 1700000000000LL

static char tmpdir[] = "/tmp/incidentd-incview-XXXXXX";
static int dbseq;

static char *db_path(int n)
{
    return xasprintf("%s/view-%d.db", tmpdir, n);
}

static struct store *open_new(void)
{
    struct bot_err err = {{0}};
    struct store *s = NULL;
    char *path = db_path(++dbseq);
    if (store_open(path, &s, &err) != BOT_OK) {
        fprintf(stderr, "open %s: %s\n", path, err.msg);
        abort();
    }
    free(path);
    return s;
}

static int64_t add_incident(struct store *s, const char *channel)
{
    struct bot_err err = {{0}};
    struct store_incident inc;
    store_incident_init(&inc);
    inc.title = "Checkout <!channel> fails";
    inc.description = "500s on /pay";
    inc.severity = "critical";
    inc.status = "identified";
    inc.breach = 1;
    inc.breach_at = T0;
    inc.started_at = T0 - 60000;
    inc.declared_at = T0;
    inc.channel_id = (char *)channel;
    inc.call_url = "https://meet.example.com/inc";
    inc.step = 4;
    inc.published = 1;
    inc.published_at = T0;
    if (store_incident_insert(s, &inc, &err) != BOT_OK) {
        fprintf(stderr, "add_incident: %s\n", err.msg);
        return 0;
    }
    return inc.id;
}

static void test_view_of_a_full_incident(void)
{
    struct store *s = open_new();
    struct bot_err err = {{0}};
    struct inc_view v;
    int64_t id = add_incident(s, "C0INC000001");
    CHECK(id > 0);
    CHECK_INT(store_role_set(s, id, "irm", "U0IRM", "U0DECL", T0, &err), BOT_OK);
    CHECK_INT(store_role_set(s, id, "tech", "U0TECH", "U0DECL", T0, &err), BOT_OK);
    CHECK_INT(store_role_set(s, id, "support", "U0SUP", "U0DECL", T0, &err), BOT_OK);
    CHECK_INT(store_role_set(s, id, "dpo", "U0DPO", "U0DECL", T0, &err), BOT_OK);
    CHECK_INT(store_component_upsert(s, "API", "", 2, T0, &err), BOT_OK);
    CHECK_INT(store_component_upsert(s, "Checkout", "", 1, T0, &err), BOT_OK);
    CHECK_INT(store_component_upsert(s, "Search", "", 3, T0, &err), BOT_OK);
    CHECK_INT(store_incident_component_add(s, id, "API", "major_outage", &err), BOT_OK);
    CHECK_INT(store_incident_component_add(s, id, "Checkout", NULL, &err), BOT_OK);

    CHECK_INT(inc_view_load(s, id, &v, &err), BOT_OK);
    const struct render_incident *r = &v.r;
    CHECK_INT(r->id, id);
    CHECK_STR(r->title, "Checkout <!channel> fails");
    CHECK_STR(r->description, "500s on /pay");
    CHECK_INT(r->severity, SEV_CRITICAL);
    CHECK_INT(r->status, ST_IDENTIFIED);
    CHECK(r->breach);
    CHECK(r->public_);
    CHECK_INT(r->started_at_ms, T0 - 60000);
    CHECK_INT(r->declared_at_ms, T0);
    CHECK_INT(r->step, 4);
    CHECK_STR(r->irm, "U0IRM");
    CHECK_STR(r->tech_liaison, "U0TECH");
    CHECK_STR(r->support_liaison, "U0SUP");
    CHECK_STR(r->dpo, "U0DPO");
    CHECK_STR(r->call_url, "https://meet.example.com/inc");
    CHECK_STR(r->channel_id, "C0INC000001");
    CHECK(r->announcement_url == NULL);
    CHECK_INT(r->n_components, 2);
    CHECK_STR(r->components[0], "Checkout"); /* by position */
    CHECK_STR(r->components[1], "API");

    /* It renders: the topic names the IRM and the breach. */
    char *topic = NULL;
    CHECK_INT(render_topic(r, &topic), BOT_OK);
    CHECK_STR(topic, "SEV critical | identified | IRM <@U0IRM> | breach suspected");
    free(topic);
    cJSON *blocks = NULL;
    char *text = NULL;
    CHECK_INT(render_control_message(r, T0 + 3600000, &blocks, &text), BOT_OK);
    char *json = cJSON_PrintUnformatted(blocks);
    CHECK_CONTAINS(json, "<@U0TECH>");
    CHECK_CONTAINS(json, "Checkout");
    free(json);
    CHECK_CONTAINS(text, "Checkout @channel fails"); /* a title pings nobody: plain words */
    CHECK(strstr(text, "<!channel>") == NULL);
    cJSON_Delete(blocks);
    free(text);
    inc_view_free(&v);
    CHECK(v.r.title == NULL && v.roles == NULL && v.component_names == NULL);
    inc_view_free(&v); /* twice is harmless */
    store_close(s);
}

static void test_view_follows_changes_and_defaults(void)
{
    struct store *s = open_new();
    struct bot_err err = {{0}};
    struct inc_view v;
    struct store_incident inc;
    store_incident_init(&inc);
    inc.title = "minimal";
    inc.severity = "minor";
    inc.status = "potential";
    CHECK_INT(store_incident_insert(s, &inc, &err), BOT_OK);

    CHECK_INT(inc_view_load(s, inc.id, &v, &err), BOT_OK);
    CHECK_INT(v.r.severity, SEV_MINOR);
    CHECK_INT(v.r.status, ST_POTENTIAL);
    CHECK_INT(v.r.step, 1);
    CHECK(v.r.irm == NULL && v.r.tech_liaison == NULL && v.r.dpo == NULL);
    CHECK(v.r.channel_id == NULL && v.r.call_url == NULL);
    CHECK(!v.r.breach && !v.r.public_);
    CHECK_INT(v.r.n_components, 0);
    CHECK(v.r.components == NULL);
    inc_view_free(&v);

    /* A new IRM is what the next load shows: the view is the state now. */
    CHECK_INT(store_role_set(s, inc.id, "irm", "U0FIRST", "U0X", T0, &err), BOT_OK);
    CHECK_INT(store_role_set(s, inc.id, "irm", "U0SECOND", "U0X", T0 + 1, &err), BOT_OK);
    CHECK_INT(inc_view_load(s, inc.id, &v, &err), BOT_OK);
    CHECK_STR(v.r.irm, "U0SECOND");
    CHECK_INT(v.n_roles, 1);
    inc_view_free(&v);

    /* Inside the caller's transaction it reads within it, and leaves it open. */
    CHECK_INT(store_begin(s, &err), BOT_OK);
    CHECK_INT(store_role_clear(s, inc.id, "irm", "U0X", T0 + 2, &err), BOT_OK);
    CHECK_INT(inc_view_load(s, inc.id, &v, &err), BOT_OK);
    CHECK(v.r.irm == NULL);
    CHECK(store_in_txn(s));
    inc_view_free(&v);
    CHECK_INT(store_commit(s, &err), BOT_OK);
    store_close(s);
}

static void test_missing_incident(void)
{
    struct store *s = open_new();
    struct bot_err err = {{0}};
    struct inc_view v;
    CHECK_INT(inc_view_load(s, 4242, &v, &err), BOT_ENOTFOUND);
    CHECK(v.r.title == NULL && v.roles == NULL);
    inc_view_free(&v);
    CHECK(!store_in_txn(s)); /* the snapshot was ended */
    store_close(s);
}

/* Writes a value the schema's CHECK refuses, as a newer or damaged database might hold. */
static int force_column(int db, int64_t id, const char *column, const char *value)
{
    char *path = db_path(db);
    char *sql = xasprintf("PRAGMA ignore_check_constraints = ON;"
                          " UPDATE incidents SET %s = '%s' WHERE id = %lld;",
                          column, value, (long long)id);
    sqlite3 *h = NULL;
    int rc = sqlite3_open(path, &h);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
    sqlite3_close(h);
    free(sql);
    free(path);
    return rc;
}

static void test_unknown_enum_is_named(void)
{
    struct store *s = open_new();
    int db = dbseq;
    struct bot_err err = {{0}};
    struct inc_view v;
    int64_t id = add_incident(s, NULL);
    CHECK(id > 0);

    CHECK_INT(force_column(db, id, "severity", "sev0"), SQLITE_OK);
    CHECK_INT(inc_view_load(s, id, &v, &err), BOT_EINVAL);
    CHECK_CONTAINS(err.msg, "unknown severity \"sev0\"");
    CHECK(v.r.title == NULL);
    inc_view_free(&v);

    CHECK_INT(force_column(db, id, "severity", "major"), SQLITE_OK);
    CHECK_INT(force_column(db, id, "status", "exploded"), SQLITE_OK);
    CHECK_INT(inc_view_load(s, id, &v, &err), BOT_EINVAL);
    CHECK_CONTAINS(err.msg, "unknown status \"exploded\"");
    inc_view_free(&v);
    store_close(s);
}

/* Enqueues a statuspage effect and takes it through claim to the given end. */
static void sp_effect(struct store *s, int64_t id, const char *key, const char *end)
{
    struct bot_err err = {{0}};
    struct store_outbox_row row;
    struct store_effect e = {.incident_id = id, .kind = "statuspage.update",
                             .target = "statuspage", .payload = "{}", .idem_key = key};
    if (store_outbox_enqueue(s, &e, T0, NULL, &err) != BOT_OK)
        abort();
    if (strcmp(end, "pending") == 0)
        return;
    if (store_outbox_claim_target(s, T0, "statuspage", &row, &err) != BOT_OK)
        abort();
    enum bot_rc rc = strcmp(end, "done") == 0
                         ? store_outbox_done(s, row.id, NULL, T0, &err)
                         : store_outbox_retry(s, row.id, T0 + 60000, "HTTP 503", T0, &err);
    store_outbox_row_clear(&row);
    if (rc != BOT_OK)
        abort();
}

static void check_control_says(const struct render_incident *r, const char *want)
{
    cJSON *blocks = NULL;
    char *fallback = NULL;
    CHECK_INT(render_control_message(r, T0, &blocks, &fallback), BOT_OK);
    char *json = cJSON_PrintUnformatted(blocks);
    CHECK_CONTAINS(json, want);
    free(json);
    cJSON_Delete(blocks);
    free(fallback);
}

static void test_mirror_state(void)
{
    struct store *s = open_new();
    struct inc_view v;
    struct bot_err err = {{0}};
    int64_t id = add_incident(s, "C0INC000001"), id2 = add_incident(s, "C0INC000002");
    CHECK_INT(inc_view_load(s, id, &v, &err), BOT_OK);
    CHECK(v.r.mirror_state == NULL); /* never mirrored */
    inc_view_free(&v);
    sp_effect(s, id, "k1", "done");
    CHECK_INT(inc_view_load(s, id, &v, &err), BOT_OK);
    CHECK_STR(v.r.mirror_state, "synced");
    check_control_says(&v.r, "Status page mirror: synced");
    inc_view_free(&v);
    /* Another incident: a failed attempt shows as retrying... */
    sp_effect(s, id2, "k3", "retry");
    CHECK_INT(inc_view_load(s, id2, &v, &err), BOT_OK);
    CHECK_STR(v.r.mirror_state, "retrying (attempt 1 failed: HTTP 503)");
    inc_view_free(&v);
    /* ... and a given-up one as failed, which wins over the rest; escaped on the message. */
    struct store_outbox_row row;
    CHECK_INT(store_outbox_claim_target(s, T0 + 60000, "statuspage", &row, &err), BOT_OK);
    CHECK_INT(store_outbox_fail(s, row.id, "HTTP 422: <bad> impact", T0, &err), BOT_OK);
    store_outbox_row_clear(&row);
    CHECK_INT(inc_view_load(s, id2, &v, &err), BOT_OK);
    CHECK_STR(v.r.mirror_state, "failed: HTTP 422: <bad> impact");
    check_control_says(&v.r, "failed: HTTP 422: &lt;bad&gt; impact");
    inc_view_free(&v);
    /* Queued, never tried yet: sending. */
    sp_effect(s, id, "k2", "pending");
    CHECK_INT(inc_view_load(s, id, &v, &err), BOT_OK);
    CHECK_STR(v.r.mirror_state, "sending");
    inc_view_free(&v);
    store_close(s);
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    xmalloc_init_cjson();
    RUN(test_view_of_a_full_incident);
    RUN(test_view_follows_changes_and_defaults);
    RUN(test_missing_incident);
    RUN(test_unknown_enum_is_named);
    RUN(test_mirror_state);
    for (int i = 1; i <= dbseq; i++) {
        const char *suffix[] = {"", "-wal", "-shm"};
        for (size_t k = 0; k < 3; k++) {
            char *p = xasprintf("%s/view-%d.db%s", tmpdir, i, suffix[k]);
            unlink(p);
            free(p);
        }
    }
    rmdir(tmpdir);
    return CHECK_DONE();
}
