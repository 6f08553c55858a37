/*
 * Unit tests of "exactly once where Slack and Statuspage let us" (issue 15):
 * the metadata a posted message carries and finding it again in a history
 * page, deciding from an incident's updates whether a Statuspage update was
 * carried out already, and the outbox making a target's waiting effects due
 * at once when the target answers again after an outage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "delivery.h"
#include "sp_api.h"
#include "store.h"
#include "store_outbox.h"
#include "xmalloc.h"

#define T0 1700000000000LL
#define SELF "U0EMUB0TUSR"
#define SELF_BOT "B0EMU1NCDNT"

static char tmpdir[] = "/tmp/incidentd-once-XXXXXX";

static void test_metadata_names_the_effect(void)
{
    cJSON *m = delivery_effect_metadata("Ev01/3", 42);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(m, "event_type")->valuestring,
              DELIVERY_EFFECT_EVENT);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(m, "event_payload");
    CHECK(cJSON_IsObject(p));
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(p, "effect")->valuestring, "Ev01/3");
    CHECK(cJSON_GetObjectItemCaseSensitive(p, "outbox_id")->valuedouble == 42.0);
    cJSON_Delete(m);
}

/* A history page: messages as conversations.history lists them with include_all_metadata. */
static cJSON *page(const char *json)
{
    cJSON *p = cJSON_Parse(json);
    if (p == NULL)
        abort();
    return p;
}

static void test_find_effect_post(void)
{
    cJSON *ms = page(
        "["
        "{\"type\":\"message\",\"user\":\"U0ALICE0001\",\"ts\":\"5.0\",\"text\":\"hi\"},"
        /* another app's message carrying our metadata: not ours */
        "{\"type\":\"message\",\"user\":\"U0PAGERBOT1\",\"bot_id\":\"B0OTHER\",\"ts\":\"4.0\","
        " \"metadata\":{\"event_type\":\"incidentd_effect\","
        "  \"event_payload\":{\"effect\":\"k/1\",\"outbox_id\":7}}},"
        /* ours, another effect */
        "{\"type\":\"message\",\"user\":\"" SELF "\",\"bot_id\":\"" SELF_BOT "\",\"ts\":\"3.0\","
        " \"metadata\":{\"event_type\":\"incidentd_effect\","
        "  \"event_payload\":{\"effect\":\"k/2\",\"outbox_id\":8}}},"
        /* ours, the same key from another database (another outbox id) */
        "{\"type\":\"message\",\"user\":\"" SELF "\",\"ts\":\"2.5\","
        " \"metadata\":{\"event_type\":\"incidentd_effect\","
        "  \"event_payload\":{\"effect\":\"k/1\",\"outbox_id\":99}}},"
        /* ours and the one: found by the bot id alone, outbox id quoted */
        "{\"type\":\"message\",\"bot_id\":\"" SELF_BOT "\",\"ts\":\"2.0\","
        " \"metadata\":{\"event_type\":\"incidentd_effect\","
        "  \"event_payload\":{\"effect\":\"k/1\",\"outbox_id\":\"7\"}}},"
        /* an older copy without a ts is never an answer */
        "{\"type\":\"message\",\"user\":\"" SELF "\","
        " \"metadata\":{\"event_type\":\"incidentd_effect\","
        "  \"event_payload\":{\"effect\":\"k/3\",\"outbox_id\":9}}}"
        "]");
    const cJSON *m = delivery_find_effect_post(ms, SELF, SELF_BOT, "k/1", 7);
    CHECK(m != NULL);
    if (m)
        CHECK_STR(cJSON_GetObjectItemCaseSensitive(m, "ts")->valuestring, "2.0");
    m = delivery_find_effect_post(ms, SELF, SELF_BOT, "k/2", 8);
    CHECK(m != NULL);
    if (m)
        CHECK_STR(cJSON_GetObjectItemCaseSensitive(m, "ts")->valuestring, "3.0");
    CHECK(delivery_find_effect_post(ms, SELF, SELF_BOT, "k/2", 7) == NULL);
    CHECK(delivery_find_effect_post(ms, SELF, SELF_BOT, "k/3", 9) == NULL);
    CHECK(delivery_find_effect_post(ms, SELF, SELF_BOT, "k/4", 10) == NULL);
    /* The other app's message is found only by the other app. */
    CHECK(delivery_find_effect_post(ms, "U0PAGERBOT1", "B0OTHER", "k/1", 7) != NULL);
    CHECK(delivery_find_effect_post(ms, "U0NOBODY", NULL, "k/1", 7) == NULL);
    CHECK(delivery_find_effect_post(NULL, SELF, SELF_BOT, "k/1", 7) == NULL);
    cJSON_Delete(ms);

    /* A message without metadata (history read without include_all_metadata) is not found. */
    ms = page("[{\"type\":\"message\",\"user\":\"" SELF "\",\"ts\":\"1.0\",\"text\":\"x\"}]");
    CHECK(delivery_find_effect_post(ms, SELF, SELF_BOT, "k/1", 7) == NULL);
    cJSON_Delete(ms);
}

static void test_update_applied(void)
{
    char uid[SP_API_MAX_ID];
    cJSON *inc = page(
        "{\"id\":\"p31zjtct2jer\",\"status\":\"identified\",\"incident_updates\":["
        "{\"id\":\"u2\",\"status\":\"identified\",\"body\":\"Found it.\","
        " \"created_at\":\"2026-12-08T03:00:02.000Z\"},"
        "{\"id\":\"u1\",\"status\":\"investigating\",\"body\":\"Looking.\","
        " \"created_at\":\"2026-12-08T03:00:01.000Z\"}]}");
    CHECK(sp_api_update_applied(inc, "identified", "Found it.", uid));
    CHECK_STR(uid, "u2");
    CHECK(sp_api_update_applied(inc, NULL, "Found it.", NULL)); /* a body-only PATCH */
    CHECK(!sp_api_update_applied(inc, "monitoring", "Found it.", uid));
    CHECK_STR(uid, "");
    CHECK(!sp_api_update_applied(inc, "identified", "Found it!", NULL));
    /* An older update reading the same is not ours: it is not the newest. */
    CHECK(!sp_api_update_applied(inc, "investigating", "Looking.", NULL));
    CHECK(!sp_api_update_applied(inc, "identified", NULL, NULL)); /* no body: "" */
    cJSON_Delete(inc);

    /* Listed oldest first: the newest is still the latest created. */
    inc = page("{\"incident_updates\":["
               "{\"id\":\"a\",\"status\":\"investigating\",\"body\":\"A\","
               " \"created_at\":\"2026-12-08T03:00:01.000Z\"},"
               "{\"id\":\"b\",\"status\":\"resolved\",\"body\":null,"
               " \"created_at\":\"2026-12-08T03:00:05.000Z\"}]}");
    CHECK(sp_api_update_applied(inc, "resolved", NULL, uid));
    CHECK_STR(uid, "b");
    CHECK(sp_api_update_applied(inc, "resolved", "", NULL));
    CHECK(!sp_api_update_applied(inc, "investigating", "A", NULL));
    cJSON_Delete(inc);

    inc = page("{\"id\":\"x\",\"incident_updates\":[]}");
    CHECK(!sp_api_update_applied(inc, "identified", "Found it.", NULL));
    cJSON_Delete(inc);
    CHECK(!sp_api_update_applied(NULL, "identified", "Found it.", NULL));
}

static int64_t put(struct store *s, const char *target, const char *key)
{
    struct bot_err err = {{0}};
    struct store_effect e = {.incident_id = 0, .kind = "statuspage.update", .target = target,
                             .payload = "{}", .idem_key = key};
    int64_t id = 0;
    if (store_outbox_enqueue(s, &e, T0, &id, &err) != BOT_OK)
        fprintf(stderr, "enqueue %s: %s\n", key, err.msg);
    return id;
}

/* Claims the next effect of target due at now and schedules its retry at `retry`. */
static int64_t fail_until(struct store *s, const char *target, int64_t now, int64_t retry)
{
    struct bot_err err = {{0}};
    struct store_outbox_row row;
    if (store_outbox_claim_target(s, now, target, &row, &err) != BOT_OK)
        return 0;
    int64_t id = row.id;
    store_outbox_row_clear(&row);
    if (store_outbox_retry(s, id, retry, "HTTP 503", now, &err) != BOT_OK)
        return -1;
    return id;
}

static void test_due_now_target(void)
{
    struct bot_err err = {{0}};
    struct store *s = NULL;
    char *path = xasprintf("%s/once.db", tmpdir);
    if (store_open(path, &s, &err) != BOT_OK) {
        fprintf(stderr, "open %s: %s\n", path, err.msg);
        CHECK(0);
        free(path);
        return;
    }
    int64_t a = put(s, "statuspage", "a"), b = put(s, "statuspage", "b");
    int64_t c = put(s, "webhook:x", "c"), d = put(s, "statuspage", "d");
    /* a and b wait out a long backoff, c (another target) too; d is due already. */
    CHECK_INT(fail_until(s, "statuspage", T0, T0 + 120000), a);
    CHECK_INT(fail_until(s, "statuspage", T0, T0 + 300000), b);
    CHECK_INT(fail_until(s, "webhook:x", T0, T0 + 120000), c);
    int64_t changed = -1, at = 0;
    CHECK_INT(store_outbox_due_now_target(s, "statuspage", T0 + 5000, &changed, &err), BOT_OK);
    CHECK_INT(changed, 2);
    /* In order again, at once: a, b, d; c keeps its backoff. */
    struct store_outbox_row row;
    int64_t order[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (store_outbox_claim_target(s, T0 + 5000, "statuspage", &row, &err) == BOT_OK) {
            order[i] = row.id;
            CHECK_INT(store_outbox_done(s, row.id, NULL, T0 + 5000, &err), BOT_OK);
            store_outbox_row_clear(&row);
        }
    }
    CHECK_INT(order[0], a);
    CHECK_INT(order[1], b);
    CHECK_INT(order[2], d);
    CHECK_INT(store_outbox_next_due_at_target(s, "webhook:x", &at, &err), BOT_OK);
    CHECK_INT(at, T0 + 120000);
    /* Nothing waiting: nothing changes. */
    CHECK_INT(store_outbox_due_now_target(s, "statuspage", T0 + 6000, &changed, &err), BOT_OK);
    CHECK_INT(changed, 0);
    store_close(s);
    const char *suffix[] = {"", "-wal", "-shm", ".lock"};
    for (size_t k = 0; k < 4; k++) {
        char *p = xasprintf("%s%s", path, suffix[k]);
        unlink(p);
        free(p);
    }
    free(path);
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_metadata_names_the_effect);
    RUN(test_find_effect_post);
    RUN(test_update_applied);
    RUN(test_due_now_target);
    rmdir(tmpdir);
    return CHECK_DONE();
}
