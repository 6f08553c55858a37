/*
 * Delivery against a private slackemu (argv[1] is its binary), with a real
 * database file per test in a temporary directory: the views of an incident
 * rendered at perform time (the control message posted once, saved, pinned,
 * then edited; a failed pin or a lost answer never makes a second post; the
 * announcement posted then updated; the topic from render_topic(); no
 * channel yet is a retry with the reason, given up after the attempt
 * limit), and the lanes (the fast lane's two attempts and expired triggers,
 * and a fast lane that finishes its effect while the slack lane hangs in a
 * call), and the workspace directory the slack lane keeps (synced from
 * users.list and the IRM group, a failed sync leaving it as it was, effects
 * first, the slack lane's thread syncing at start and the fast lane's not).
 * Effects are run one at a time with delivery_run_one() at chosen times, so
 * retries need no waiting; the lane tests run real threads and poll the
 * outcome with generous deadlines only.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "delivery.h"
#include "inc_view.h"
#include "log.h"
#include "render.h"
#include "slack_api.h"
#include "store.h"
#include "store_directory.h"
#include "store_incident.h"
#include "store_outbox.h"
#include "test_slack_emu.h"
#include "xmalloc.h"

#define HOUR_MS 3600000LL

static struct emu_proc emu;
static char tmpdir[] = "/tmp/incidentd-dlvemu-XXXXXX";
static int dbseq;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

/* One test's world: its database (the test's own connection), a config pointing at the emulator. */
struct world {
    char *db;
    struct store *s;
    struct config *cfg;
    struct slack_api *api; /* the test's own client, for setting the scene */
};

static void world_open(struct world *w, int64_t call_timeout_s)
{
    struct bot_err err = {{0}};
    memset(w, 0, sizeof(*w));
    w->db = xasprintf("%s/dlv-%d.db", tmpdir, ++dbseq);
    if (store_open(w->db, &w->s, &err) != BOT_OK) {
        fprintf(stderr, "open %s: %s\n", w->db, err.msg);
        abort();
    }
    w->cfg = cfg_defaults();
    free(w->cfg->store_path);
    w->cfg->store_path = xstrdup(w->db);
    free(w->cfg->slack_api_base_url);
    w->cfg->slack_api_base_url = xstrdup(emu.api_base);
    w->cfg->slack_bot_token = xstrdup("xoxb-1-2-delivery0test");
    w->cfg->slack_call_timeout_seconds = call_timeout_s;
    struct slack_api_opts o = {
        .base_url = emu.api_base, .token = "xoxb-1-2-delivery0test", .no_limiter = true};
    if (slack_api_new(&o, &w->api, &err) != BOT_OK) {
        fprintf(stderr, "slack_api_new: %s\n", err.msg);
        abort();
    }
    cJSON_Delete(emu_ctl(&emu, "reset", NULL, NULL));
    cJSON_Delete(emu_ctl(&emu, "ratelimits", "{\"enabled\":false}", NULL));
}

static void world_close(struct world *w)
{
    slack_api_free(w->api);
    store_close(w->s);
    cfg_free(w->cfg);
    const char *suffix[] = {"", "-wal", "-shm"};
    for (size_t k = 0; k < 3; k++) {
        char *p = xasprintf("%s%s", w->db, suffix[k]);
        unlink(p);
        free(p);
    }
    free(w->db);
}

static struct delivery *lane(struct world *w, const char *name)
{
    struct bot_err err = {{0}};
    struct delivery *d = NULL;
    if (delivery_open_lane(w->cfg, NULL, &write_lock, name, &d, &err) != BOT_OK) {
        fprintf(stderr, "delivery_open_lane %s: %s\n", name, err.msg);
        abort();
    }
    return d;
}

static bool fault(const char *json)
{
    cJSON *r = emu_ctl(&emu, "fault", json, NULL);
    bool ok = r && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"));
    cJSON_Delete(r);
    return ok;
}

/* A channel created in the emulator (by the bot, so it is a member); its id, caller frees. */
static char *make_channel(struct world *w, const char *name)
{
    struct bot_err err = {{0}};
    struct slack_api_result res = {0};
    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "name", name);
    char *id = NULL;
    if (slack_api_call(w->api, "conversations.create", args, &res, &err) == BOT_OK) {
        const cJSON *ch = cJSON_GetObjectItemCaseSensitive(res.body, "channel");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(ch, "id");
        if (cJSON_IsString(v))
            id = xstrdup(v->valuestring);
    } else {
        fprintf(stderr, "conversations.create %s: %s\n", name, err.msg);
    }
    cJSON_Delete(args);
    slack_api_result_free(&res);
    return id;
}

static int64_t add_incident(struct world *w, const char *channel)
{
    struct bot_err err = {{0}};
    struct store_incident inc;
    int64_t now = store_now_ms();
    store_incident_init(&inc);
    inc.title = "Checkout fails";
    inc.severity = "major";
    inc.status = "investigating";
    inc.started_at = now - 60000;
    inc.declared_at = now;
    inc.channel_id = (char *)channel;
    if (store_incident_insert(w->s, &inc, &err) != BOT_OK) {
        fprintf(stderr, "add_incident: %s\n", err.msg);
        return 0;
    }
    if (store_role_set(w->s, inc.id, "irm", "U0ALICE0001", "U0ALICE0001", now, &err) != BOT_OK)
        return 0;
    return inc.id;
}

static int64_t enqueue(struct world *w, int64_t incident, const char *kind, const char *target,
                       const char *payload, const char *key)
{
    struct bot_err err = {{0}};
    struct store_effect e = {incident, kind, target, payload, key, 0, false, false};
    int64_t id = 0;
    if (store_outbox_enqueue(w->s, &e, store_now_ms(), &id, &err) != BOT_OK) {
        fprintf(stderr, "enqueue %s: %s\n", key, err.msg);
        return 0;
    }
    return id;
}

/* Runs the next effect of d's lane at time now; returns the outbox id run, 0 when none. */
static int64_t run_at(struct delivery *d, int64_t now)
{
    struct bot_err err = {{0}};
    int64_t id = 0;
    enum bot_rc rc = delivery_run_one(d, now, &id, &err);
    if (rc != BOT_OK && rc != BOT_ENOTFOUND)
        fprintf(stderr, "delivery_run_one: %s\n", err.msg);
    return rc == BOT_OK ? id : 0;
}

static struct store_outbox_row get_row(struct world *w, int64_t id)
{
    struct bot_err err = {{0}};
    struct store_outbox_row row;
    if (store_outbox_get(w->s, id, &row, &err) != BOT_OK)
        memset(&row, 0, sizeof(row));
    return row;
}

static struct store_incident get_incident(struct world *w, int64_t id)
{
    struct bot_err err = {{0}};
    struct store_incident inc;
    if (store_incident_get(w->s, id, &inc, &err) != BOT_OK)
        fprintf(stderr, "get incident: %s\n", err.msg);
    return inc;
}

/* ---- the emulator's view ---- */

/* The channel object of /_emu/state (caller frees), or NULL. */
static cJSON *chan_state(const char *id)
{
    cJSON *st = emu_get(&emu, "state", NULL), *found = NULL;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(st, "channels"))
    {
        const cJSON *cid = cJSON_GetObjectItemCaseSensitive(c, "id");
        if (cJSON_IsString(cid) && strcmp(cid->valuestring, id) == 0) {
            found = cJSON_Duplicate(c, 1);
            break;
        }
    }
    cJSON_Delete(st);
    return found;
}

static bool msg_has_block(const cJSON *m, const char *block_id)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(m, "blocks"))
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(b, "block_id");
        if (cJSON_IsString(id) && strcmp(id->valuestring, block_id) == 0)
            return true;
    }
    return false;
}

/* Messages of channel state c carrying block_id (not deleted); *last the last of them. */
static int count_with_block(const cJSON *c, const char *block_id, const cJSON **last)
{
    int n = 0;
    const cJSON *m;
    if (last)
        *last = NULL;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(c, "messages"))
    {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "deleted")) ||
            !msg_has_block(m, block_id))
            continue;
        n++;
        if (last)
            *last = m;
    }
    return n;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool pinned_in(const cJSON *m, const char *channel)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(m, "pinned_to"))
    {
        if (cJSON_IsString(p) && strcmp(p->valuestring, channel) == 0)
            return true;
    }
    return false;
}

static int edits_of(const cJSON *m)
{
    return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m, "history"));
}

static int calls_of(const char *method)
{
    cJSON *st = emu_get(&emu, "state", NULL);
    const cJSON *n =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(st, "calls"), method);
    int v = cJSON_IsNumber(n) ? n->valueint : 0;
    cJSON_Delete(st);
    return v;
}

/* ---- tests ---- */

static void test_control_posted_once_pinned_then_edited(void)
{
    struct world w;
    world_open(&w, 5);
    struct delivery *d = lane(&w, DELIVERY_LANE_SLACK);
    struct bot_err err = {{0}};
    char *ch = make_channel(&w, "inc-dlv-control");
    CHECK(ch != NULL);
    int64_t inc = add_incident(&w, ch);
    CHECK(inc > 0);
    char header[32];
    snprintf(header, sizeof header, "inc%lld_header", (long long)inc);

    int64_t e1 = enqueue(&w, inc, "incident.control", "slack", "{}", "c/1");
    CHECK(e1 > 0);
    CHECK_INT(run_at(d, 0), e1);
    struct store_outbox_row r = get_row(&w, e1);
    CHECK_STR(r.state, "done");
    CHECK_CONTAINS(r.result, "\"posted\":true");
    store_outbox_row_clear(&r);
    struct store_incident row = get_incident(&w, inc);
    CHECK(row.control_ts != NULL);
    char *ts = xstrdup(row.control_ts);
    store_incident_clear(&row);

    /* A change, then the second refresh: the same message, edited, not a new one. */
    CHECK_INT(store_role_set(w.s, inc, "irm", "U0BOB000002", "U0BOB000002", store_now_ms(), &err),
              BOT_OK);
    int64_t e2 = enqueue(&w, inc, "incident.control", "slack", "{}", "c/2");
    CHECK_INT(run_at(d, 0), e2);
    r = get_row(&w, e2);
    CHECK_STR(r.state, "done");
    CHECK_CONTAINS(r.result, "\"posted\":false");
    store_outbox_row_clear(&r);

    cJSON *c = chan_state(ch);
    const cJSON *m = NULL;
    CHECK_INT(count_with_block(c, header, &m), 1);
    CHECK_STR(jstr(m, "ts"), ts);
    CHECK(pinned_in(m, ch));
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(c, "pins")), 1);
    CHECK_INT(edits_of(m), 1);
    char *blocks = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(m, "blocks"));
    CHECK_CONTAINS(blocks, "U0BOB000002"); /* rendered from the state at the second refresh */
    free(blocks);
    CHECK_INT(calls_of("chat.postMessage"), 1);
    CHECK_INT(calls_of("chat.update"), 1);
    CHECK_INT(calls_of("pins.add"), 1); /* known to be pinned: not asked again */
    cJSON_Delete(c);
    free(ts);
    free(ch);
    delivery_stop(d);
    world_close(&w);
}

static void test_failed_pin_is_retried_without_a_second_post(void)
{
    struct world w;
    world_open(&w, 5);
    struct delivery *d = lane(&w, DELIVERY_LANE_SLACK);
    char *ch = make_channel(&w, "inc-dlv-pin");
    CHECK(ch != NULL);
    int64_t inc = add_incident(&w, ch);
    char header[32];
    snprintf(header, sizeof header, "inc%lld_header", (long long)inc);
    CHECK(fault("{\"method\":\"pins.add\",\"mode\":\"error\",\"error\":\"internal_error\","
                "\"next\":1}"));

    int64_t e = enqueue(&w, inc, "incident.control", "slack", "{}", "c/1");
    int64_t now = store_now_ms();
    CHECK_INT(run_at(d, now), e);
    struct store_outbox_row r = get_row(&w, e);
    CHECK_STR(r.state, "pending");
    CHECK_CONTAINS(r.last_error, "internal_error");
    int64_t due = r.next_attempt_at;
    store_outbox_row_clear(&r);
    struct store_incident row = get_incident(&w, inc);
    CHECK(row.control_ts != NULL); /* saved before the pin was tried */
    store_incident_clear(&row);
    cJSON *c = chan_state(ch);
    const cJSON *m = NULL;
    CHECK_INT(count_with_block(c, header, &m), 1);
    CHECK(!pinned_in(m, ch));
    cJSON_Delete(c);

    CHECK_INT(run_at(d, due), e);
    r = get_row(&w, e);
    CHECK_STR(r.state, "done");
    CHECK_INT(r.attempts, 2);
    store_outbox_row_clear(&r);
    c = chan_state(ch);
    CHECK_INT(count_with_block(c, header, &m), 1);
    CHECK(pinned_in(m, ch));
    cJSON_Delete(c);
    CHECK_INT(calls_of("chat.postMessage"), 1);
    CHECK_INT(calls_of("pins.add"), 2);
    free(ch);
    delivery_stop(d);
    world_close(&w);
}

static void test_lost_answer_is_found_not_posted_again(void)
{
    struct world w;
    world_open(&w, 1); /* 1 s per call: the post below answers after 2.5 s */
    struct delivery *d = lane(&w, DELIVERY_LANE_SLACK);
    char *ch = make_channel(&w, "inc-dlv-lost");
    CHECK(ch != NULL);
    int64_t inc = add_incident(&w, ch);
    char header[32];
    snprintf(header, sizeof header, "inc%lld_header", (long long)inc);
    CHECK(fault("{\"method\":\"chat.postMessage\",\"latency_ms\":2500}"));

    int64_t e = enqueue(&w, inc, "incident.control", "slack", "{}", "c/1");
    CHECK_INT(run_at(d, store_now_ms()), e);
    struct store_outbox_row r = get_row(&w, e);
    CHECK_STR(r.state, "pending"); /* timed out: it may have run */
    int64_t due = r.next_attempt_at;
    store_outbox_row_clear(&r);
    struct store_incident row = get_incident(&w, inc);
    CHECK(row.control_ts == NULL);
    store_incident_clear(&row);
    CHECK(fault("{\"clear\":true}"));
    cJSON *c = chan_state(ch);
    CHECK_INT(count_with_block(c, header, NULL), 1); /* it did run */
    cJSON_Delete(c);

    CHECK_INT(run_at(d, due), e);
    r = get_row(&w, e);
    CHECK_STR(r.state, "done");
    store_outbox_row_clear(&r);
    c = chan_state(ch);
    const cJSON *m = NULL;
    CHECK_INT(count_with_block(c, header, &m), 1);
    CHECK(pinned_in(m, ch));
    row = get_incident(&w, inc);
    CHECK_STR(row.control_ts, jstr(m, "ts"));
    store_incident_clear(&row);
    cJSON_Delete(c);
    CHECK_INT(calls_of("chat.postMessage"), 1);
    CHECK_INT(calls_of("conversations.history"), 1);
    free(ch);
    delivery_stop(d);
    world_close(&w);
}

static void test_announce_posts_then_updates(void)
{
    struct world w;
    world_open(&w, 5);
    struct delivery *d = lane(&w, DELIVERY_LANE_SLACK);
    struct bot_err err = {{0}};
    char *ch = make_channel(&w, "inc-dlv-announce");
    CHECK(ch != NULL);
    int64_t inc = add_incident(&w, ch);
    char part[32];
    snprintf(part, sizeof part, "inc%lld_announce", (long long)inc);

    int64_t e1 =
        enqueue(&w, inc, "incident.announce", "slack", "{\"channel\":\"C0INCIDENTS\"}", "a/1");
    CHECK_INT(run_at(d, 0), e1);
    struct store_outbox_row r = get_row(&w, e1);
    CHECK_STR(r.state, "done");
    store_outbox_row_clear(&r);
    struct store_incident row = get_incident(&w, inc);
    CHECK_STR(row.announce_channel, "C0INCIDENTS");
    CHECK(row.announce_ts != NULL);
    char *ts = xstrdup(row.announce_ts);

    /* The worker moves the incident on; the update shows the new status. */
    free(row.status);
    row.status = xstrdup("monitoring");
    CHECK_INT(store_incident_update(w.s, &row, &err), BOT_OK);
    store_incident_clear(&row);
    int64_t e2 =
        enqueue(&w, inc, "incident.announce", "slack", "{\"channel\":\"C0INCIDENTS\"}", "a/2");
    CHECK_INT(run_at(d, 0), e2);
    r = get_row(&w, e2);
    CHECK_STR(r.state, "done");
    CHECK_CONTAINS(r.result, "\"posted\":false");
    store_outbox_row_clear(&r);

    cJSON *c = chan_state("C0INCIDENTS");
    const cJSON *m = NULL;
    CHECK_INT(count_with_block(c, part, &m), 1);
    CHECK_STR(jstr(m, "ts"), ts);
    CHECK_INT(edits_of(m), 1);
    CHECK_CONTAINS(jstr(m, "text"), "monitoring");
    char *blocks = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(m, "blocks"));
    char link[64];
    snprintf(link, sizeof link, "<#%s>", ch);
    CHECK_CONTAINS(blocks, link);
    free(blocks);
    cJSON_Delete(c);
    CHECK_INT(calls_of("chat.postMessage"), 1);
    free(ts);
    free(ch);
    delivery_stop(d);
    world_close(&w);
}

static void test_topic_from_render_topic(void)
{
    struct world w;
    world_open(&w, 5);
    struct delivery *d = lane(&w, DELIVERY_LANE_SLACK);
    struct bot_err err = {{0}};
    char *ch = make_channel(&w, "inc-dlv-topic");
    CHECK(ch != NULL);
    int64_t inc = add_incident(&w, ch);

    int64_t e1 = enqueue(&w, inc, "incident.topic", "slack", "{}", "t/1");
    CHECK_INT(run_at(d, 0), e1);
    struct store_outbox_row r = get_row(&w, e1);
    CHECK_STR(r.state, "done");
    store_outbox_row_clear(&r);
    struct inc_view v;
    char *want = NULL;
    CHECK_INT(inc_view_load(w.s, inc, &v, &err), BOT_OK);
    CHECK_INT(render_topic(&v.r, &want), BOT_OK);
    inc_view_free(&v);
    CHECK_STR(want, "SEV major | investigating | IRM <@U0ALICE0001>");
    cJSON *c = chan_state(ch);
    CHECK_STR(jstr(cJSON_GetObjectItemCaseSensitive(c, "topic"), "value"), want);
    cJSON_Delete(c);
    free(want);

    /* Nothing in the topic changed: no call, no "set the topic" line in the channel. */
    int64_t e2 = enqueue(&w, inc, "incident.topic", "slack", "{}", "t/2");
    CHECK_INT(run_at(d, 0), e2);
    r = get_row(&w, e2);
    CHECK_STR(r.state, "done");
    CHECK_CONTAINS(r.result, "\"unchanged\":true");
    store_outbox_row_clear(&r);
    CHECK_INT(calls_of("conversations.setTopic"), 1);

    CHECK_INT(store_role_set(w.s, inc, "irm", "U0BOB000002", "U0BOB000002", store_now_ms(), &err),
              BOT_OK);
    int64_t e3 = enqueue(&w, inc, "incident.topic", "slack", "{}", "t/3");
    CHECK_INT(run_at(d, 0), e3);
    c = chan_state(ch);
    CHECK_STR(jstr(cJSON_GetObjectItemCaseSensitive(c, "topic"), "value"),
              "SEV major | investigating | IRM <@U0BOB000002>");
    cJSON_Delete(c);
    CHECK_INT(calls_of("conversations.setTopic"), 2);
    free(ch);
    delivery_stop(d);
    world_close(&w);
}

static void test_no_channel_yet_is_retried_then_given_up(void)
{
    struct world w;
    world_open(&w, 5);
    struct delivery *d = lane(&w, DELIVERY_LANE_SLACK);
    int64_t inc = add_incident(&w, NULL);
    CHECK(inc > 0);

    int64_t e = enqueue(&w, inc, "incident.control", "slack", "{}", "c/1");
    int64_t now = store_now_ms();
    CHECK_INT(run_at(d, now), e);
    struct store_outbox_row r = get_row(&w, e);
    CHECK_STR(r.state, "pending");
    CHECK_CONTAINS(r.last_error, "has no channel yet");
    store_outbox_row_clear(&r);
    /* The topic effect behind it waits its turn (same incident and lane). */
    int64_t t = enqueue(&w, inc, "incident.topic", "slack", "{}", "t/1");
    for (int i = 0; i < DELIVERY_MAX_ATTEMPTS + 2; i++) {
        now += DELIVERY_BACKOFF_CAP_MS + 1;
        int64_t ran = run_at(d, now);
        r = get_row(&w, e);
        bool failed = strcmp(r.state, "failed") == 0;
        store_outbox_row_clear(&r);
        if (failed)
            break;
        CHECK_INT(ran, e);
    }
    r = get_row(&w, e);
    CHECK_STR(r.state, "failed");
    CHECK_INT(r.attempts, DELIVERY_MAX_ATTEMPTS);
    CHECK_CONTAINS(r.last_error, "has no channel yet");
    store_outbox_row_clear(&r);
    CHECK_INT(run_at(d, now), t); /* given up, it no longer holds the lane */
    r = get_row(&w, t);
    CHECK_CONTAINS(r.last_error, "has no channel yet");
    store_outbox_row_clear(&r);
    CHECK_INT(calls_of("chat.postMessage") + calls_of("conversations.setTopic"), 0);
    delivery_stop(d);
    world_close(&w);
}

static void test_fast_lane_gives_up_quickly(void)
{
    struct world w;
    world_open(&w, 5);
    struct delivery *fast = lane(&w, DELIVERY_LANE_FAST);
    struct delivery *slow = lane(&w, DELIVERY_LANE_SLACK);

    /* A trigger that expired is given up at once. */
    CHECK(fault("{\"method\":\"views.open\",\"mode\":\"error\",\"error\":\"expired_trigger_id\","
                "\"next\":1}"));
    int64_t v = enqueue(&w, 0, "slack.call", "fast",
                        "{\"method\":\"views.open\",\"args\":{\"trigger_id\":\"1.2.x\","
                        "\"view\":{\"type\":\"modal\"}}}",
                        "v/1");
    CHECK_INT(run_at(slow, 0), 0); /* not the slack lane's */
    CHECK_INT(run_at(fast, 0), v);
    struct store_outbox_row r = get_row(&w, v);
    CHECK_STR(r.state, "failed");
    CHECK_INT(r.attempts, 1);
    CHECK_CONTAINS(r.last_error, "expired_trigger_id");
    store_outbox_row_clear(&r);

    /* Transient failures: two attempts in the fast lane, more in the slack lane. */
    CHECK(fault("{\"method\":\"chat.postMessage\",\"mode\":\"error\",\"error\":\"internal_error\","
                "\"next\":50}"));
    const char *post = "{\"method\":\"chat.postMessage\",\"args\":{\"channel\":\"C0INCIDENTS\","
                       "\"text\":\"hi\"}}";
    int64_t f = enqueue(&w, 0, "slack.call", "fast", post, "f/1");
    int64_t s = enqueue(&w, 0, "slack.call", "slack", post, "s/1");
    int64_t now = store_now_ms();
    for (int i = 0; i < 3; i++, now += DELIVERY_BACKOFF_CAP_MS + 1) {
        run_at(fast, now);
        run_at(slow, now);
    }
    r = get_row(&w, f);
    CHECK_STR(r.state, "failed");
    CHECK_INT(r.attempts, DELIVERY_FAST_MAX_ATTEMPTS);
    store_outbox_row_clear(&r);
    r = get_row(&w, s);
    CHECK_STR(r.state, "pending");
    CHECK_INT(r.attempts, 3);
    store_outbox_row_clear(&r);
    CHECK(fault("{\"clear\":true}"));
    delivery_stop(fast);
    delivery_stop(slow);
    world_close(&w);
}

/* Polls until outbox row id is in state (or deadline_ms passes); true when it got there. */
static bool wait_state(struct world *w, int64_t id, const char *state, long deadline_ms)
{
    long long until = emu_now_ms() + deadline_ms;
    for (;;) {
        struct store_outbox_row r = get_row(w, id);
        bool there = r.state != NULL && strcmp(r.state, state) == 0;
        store_outbox_row_clear(&r);
        if (there)
            return true;
        if (emu_now_ms() > until)
            return false;
        emu_sleep_ms(20);
    }
}

static void test_fast_lane_runs_while_slack_lane_hangs(void)
{
    struct world w;
    struct bot_err err = {{0}};
    world_open(&w, 30); /* the hung call would hold the slack lane for 30 s */
    struct slack_rl *rl = slack_rl_new();
    struct delivery *slow = NULL, *fast = NULL;
    CHECK(fault("{\"method\":\"conversations.setTopic\",\"mode\":\"hang\",\"next\":1}"));
    CHECK_INT(delivery_start_lane(w.cfg, rl, &write_lock, DELIVERY_LANE_SLACK, &slow, &err),
              BOT_OK);
    CHECK_INT(delivery_start_lane(w.cfg, rl, &write_lock, DELIVERY_LANE_FAST, &fast, &err), BOT_OK);

    int64_t hung = enqueue(&w, 0, "slack.call", "slack",
                           "{\"method\":\"conversations.setTopic\",\"args\":{\"channel\":"
                           "\"C0INCIDENTS\",\"topic\":\"x\"}}",
                           "s/hang");
    /* A backlog behind it in the same lane. */
    int64_t behind = enqueue(&w, 0, "slack.call", "slack",
                             "{\"method\":\"chat.postMessage\",\"args\":{\"channel\":"
                             "\"C0INCIDENTS\",\"text\":\"later\"}}",
                             "s/behind");
    delivery_wake(slow);
    CHECK(wait_state(&w, hung, "sending", 10000));
    long long t0 = emu_now_ms();
    while (calls_of("conversations.setTopic") < 1 && emu_now_ms() - t0 < 10000)
        emu_sleep_ms(20);
    CHECK_INT(calls_of("conversations.setTopic"), 1); /* the slack lane is inside the call */

    int64_t quick = enqueue(&w, 0, "slack.call", "fast",
                            "{\"method\":\"chat.postEphemeral\",\"args\":{\"channel\":"
                            "\"C0INCIDENTS\",\"user\":\"U0ALICE0001\",\"text\":\"ok\"}}",
                            "f/quick");
    delivery_wake(fast);
    CHECK(wait_state(&w, quick, "done", 10000));
    /* Done while the slack lane is still stuck in its call, its backlog untouched. */
    struct store_outbox_row r = get_row(&w, hung);
    CHECK_STR(r.state, "sending");
    store_outbox_row_clear(&r);
    r = get_row(&w, behind);
    CHECK_STR(r.state, "pending");
    CHECK_INT(r.attempts, 0);
    store_outbox_row_clear(&r);

    delivery_stop(fast);
    delivery_stop(slow); /* aborts the hung call; the effect is left for the next start */
    slack_rl_free(rl);
    CHECK(fault("{\"clear\":true}"));
    world_close(&w);
}

/* ---- the workspace directory ---- */

/* The directory's row of id (cleared by the caller); the return code of the lookup. */
static enum bot_rc dir_user(struct world *w, const char *id, struct store_directory_user *u)
{
    struct bot_err err = {{0}};
    return store_directory_user(w->s, id, u, &err);
}

static bool in_oncall(struct world *w, const char *id)
{
    struct bot_err err = {{0}};
    bool member = false;
    return store_directory_in_group(w->s, "S0ONCALL001", id, &member, &err) == BOT_OK && member;
}

static int64_t synced_at(struct world *w, const char *directory)
{
    struct bot_err err = {{0}};
    int64_t at = 0;
    if (store_directory_synced_at(w->s, directory, &at, &err) != BOT_OK)
        return 0;
    return at;
}

/* The emulator's whole workspace as the plan will read it. */
static void check_emu_directory(struct world *w)
{
    struct store_directory_user u;
    CHECK_INT(dir_user(w, "U0ALICE0001", &u), BOT_OK);
    CHECK_STR(u.name, "alice");
    CHECK(!u.deleted && !u.is_bot && !u.is_guest);
    store_directory_user_clear(&u);
    CHECK_INT(dir_user(w, "U0FRANK0006", &u), BOT_OK);
    CHECK(u.deleted && !u.is_bot);
    store_directory_user_clear(&u);
    CHECK_INT(dir_user(w, "U0PAGERBOT1", &u), BOT_OK);
    CHECK(u.is_bot && !u.deleted);
    store_directory_user_clear(&u);
    CHECK_INT(dir_user(w, "U0EMUB0TUSR", &u), BOT_OK); /* the bot itself */
    CHECK(u.is_bot);
    store_directory_user_clear(&u);
    CHECK_INT(dir_user(w, "U0ERIN00005", &u), BOT_OK);
    CHECK(u.is_guest && !u.deleted);
    store_directory_user_clear(&u);
    CHECK_INT(dir_user(w, "U0NOBODY999", &u), BOT_ENOTFOUND);
    CHECK(in_oncall(w, "U0ALICE0001"));
    CHECK(in_oncall(w, "U0BOB000002"));
    CHECK(!in_oncall(w, "U0CAROL0003"));
    CHECK(!in_oncall(w, "U0FRANK0006"));
}

static void test_directory_sync(void)
{
    struct world w;
    world_open(&w, 5);
    free(w.cfg->roles_irm_group);
    w.cfg->roles_irm_group = xstrdup("S0ONCALL001");
    struct delivery *d = lane(&w, DELIVERY_LANE_SLACK);
    struct delivery *fast = lane(&w, DELIVERY_LANE_FAST);
    struct bot_err err = {{0}};

    CHECK_INT(delivery_sync_directory(fast, &err), BOT_EINVAL); /* the slack lane's job only */
    CHECK_INT(synced_at(&w, STORE_DIRECTORY_USERS), 0);
    int64_t t0 = store_now_ms();
    CHECK_MSG(delivery_sync_directory(d, &err) == BOT_OK, "%s", err.msg);
    CHECK(synced_at(&w, STORE_DIRECTORY_USERS) >= t0);
    CHECK(synced_at(&w, "S0ONCALL001") >= t0);
    check_emu_directory(&w);
    if (check_cur_failed)
        return;
    CHECK_INT(calls_of("users.list"), 1); /* 9 users: one page of 200 */
    CHECK_INT(calls_of("usergroups.users.list"), 1);
    int64_t users_at = synced_at(&w, STORE_DIRECTORY_USERS);
    int64_t group_at = synced_at(&w, "S0ONCALL001");

    /* Failed syncs leave the directory as it was: Slack's error, an HTML 500, the group failing. */
    const char *faults[] = {
        "{\"method\":\"users.list\",\"mode\":\"error\",\"error\":\"internal_error\",\"next\":5}",
        "{\"method\":\"users.list\",\"mode\":\"500\",\"next\":5}",
        "{\"method\":\"usergroups.users.list\",\"mode\":\"error\",\"error\":"
        "\"no_such_subteam\",\"next\":5}",
    };
    const char *why[] = {"internal_error", "users.list", "no_such_subteam"};
    for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
        CHECK(fault(faults[i]));
        enum bot_rc rc = delivery_sync_directory(d, &err);
        CHECK_MSG(rc != BOT_OK && rc != BOT_EBUSY, "fault %zu: %s", i, bot_strerror(rc));
        CHECK_CONTAINS(err.msg, why[i]);
        CHECK(fault("{\"clear\":true}"));
        CHECK_INT(synced_at(&w, STORE_DIRECTORY_USERS), users_at);
        CHECK_INT(synced_at(&w, "S0ONCALL001"), group_at);
        check_emu_directory(&w);
        if (check_cur_failed)
            return;
    }

    /* Effects first: a due effect stops the sync before it asks Slack; it goes on afterwards. */
    int users_calls = calls_of("users.list");
    int64_t e = enqueue(&w, 0, "slack.call", "slack",
                        "{\"method\":\"chat.postMessage\",\"args\":{\"channel\":"
                        "\"C0INCIDENTS\",\"text\":\"first\"}}",
                        "dir/first");
    CHECK(e > 0);
    CHECK_INT(delivery_sync_directory(d, &err), BOT_EBUSY);
    CHECK_CONTAINS(err.msg, "effect is due");
    CHECK_INT(calls_of("users.list"), users_calls);
    CHECK_INT(run_at(d, 0), e);
    CHECK_INT(delivery_sync_directory(d, &err), BOT_OK);
    CHECK_INT(calls_of("users.list"), users_calls + 1);
    CHECK(synced_at(&w, STORE_DIRECTORY_USERS) >= users_at);
    check_emu_directory(&w);

    /* Without [roles] irm_group no group is asked for. */
    free(w.cfg->roles_irm_group);
    w.cfg->roles_irm_group = xstrdup("");
    int group_calls = calls_of("usergroups.users.list");
    CHECK_INT(delivery_sync_directory(d, &err), BOT_OK);
    CHECK_INT(calls_of("usergroups.users.list"), group_calls);
    delivery_stop(fast);
    delivery_stop(d);
    world_close(&w);
}

static void test_slack_lane_thread_syncs_at_start(void)
{
    struct world w;
    struct bot_err err = {{0}};
    world_open(&w, 5);
    free(w.cfg->roles_irm_group);
    w.cfg->roles_irm_group = xstrdup("S0ONCALL001");
    struct delivery *slow = NULL, *fast = NULL;
    CHECK_INT(delivery_start_lane(w.cfg, NULL, &write_lock, DELIVERY_LANE_FAST, &fast, &err),
              BOT_OK);
    CHECK_INT(delivery_start_lane(w.cfg, NULL, &write_lock, DELIVERY_LANE_SLACK, &slow, &err),
              BOT_OK);
    long long until = emu_now_ms() + 10000;
    while (synced_at(&w, "S0ONCALL001") == 0 && emu_now_ms() < until)
        emu_sleep_ms(20);
    CHECK(synced_at(&w, STORE_DIRECTORY_USERS) > 0);
    CHECK(synced_at(&w, "S0ONCALL001") > 0);
    check_emu_directory(&w);
    emu_sleep_ms(300);
    CHECK_INT(calls_of("users.list"), 1); /* the slack lane's, once; never the fast lane's */
    delivery_stop(fast);
    delivery_stop(slow);
    world_close(&w);
}

int main(int argc, char **argv)
{
    struct bot_err err = {{0}};
    if (argc < 2) {
        fprintf(stderr, "usage: %s SLACKEMU-BINARY\n", argv[0]);
        return 2;
    }
    xmalloc_init_cjson();
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    if (slack_api_global_init(&err) != BOT_OK)
        return 1;
    static const char *const args[] = {"--no-rate-limits", NULL};
    if (!emu_start(&emu, argv[1], args))
        return 1;
    log_set_level(LOG_ERROR);
    RUN(test_control_posted_once_pinned_then_edited);
    RUN(test_failed_pin_is_retried_without_a_second_post);
    RUN(test_lost_answer_is_found_not_posted_again);
    RUN(test_announce_posts_then_updates);
    RUN(test_topic_from_render_topic);
    RUN(test_no_channel_yet_is_retried_then_given_up);
    RUN(test_fast_lane_gives_up_quickly);
    RUN(test_fast_lane_runs_while_slack_lane_hangs);
    RUN(test_directory_sync);
    RUN(test_slack_lane_thread_syncs_at_start);
    emu_stop(&emu, check_failed > 0);
    slack_api_global_cleanup();
    rmdir(tmpdir);
    return CHECK_DONE();
}
