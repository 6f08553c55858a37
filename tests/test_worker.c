/*
 * Unit tests of the worker's decisions and of delivery's pure parts: which
 * effects an envelope leads to, what a malformed payload is told, how
 * delivery classifies effects it cannot perform, and its backoff.
 */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "delivery.h"
#include "worker.h"
#include "xmalloc.h"

static const char slash[] =
    "{\"command\":\"/incident\",\"text\":\"<!channel>\",\"user_id\":\"U1\",\"channel_id\":\"C1\","
    "\"response_url\":\"https://hooks.slack.com/commands/T1/1/abc\",\"trigger_id\":\"1.2.x\"}";

static void test_slash_becomes_one_reply_effect(void)
{
    struct worker_effects fx = {0};
    struct bot_err err;
    CHECK_INT(worker_decide("env-1", "slash_commands", slash, &fx, &err), BOT_OK);
    CHECK_INT(fx.n, 1);
    CHECK_STR(fx.e[0].kind, "slack.respond");
    CHECK_STR(fx.e[0].idem, "reply/env-1");
    cJSON *p = cJSON_Parse(fx.e[0].payload);
    CHECK(p != NULL);
    const cJSON *url = cJSON_GetObjectItem(p, "url");
    const cJSON *msg = cJSON_GetObjectItem(p, "message");
    bool ok = cJSON_IsString(url) &&
              strcmp(url->valuestring, "https://hooks.slack.com/commands/T1/1/abc") == 0 &&
              strcmp(cJSON_GetObjectItem(msg, "response_type")->valuestring, "ephemeral") == 0 &&
              strstr(cJSON_GetObjectItem(msg, "text")->valuestring, "&lt;!channel&gt;") != NULL;
    cJSON_Delete(p);
    worker_effects_free(&fx);
    CHECK_MSG(ok, "reply effect payload is wrong: url, ephemeral and escaped text expected");
}

static void test_slash_missing_field_is_named(void)
{
    struct worker_effects fx = {0};
    struct bot_err err;
    CHECK_INT(worker_decide("env-2", "slash_commands",
                            "{\"command\":\"/incident\",\"text\":\"help\",\"user_id\":\"U1\","
                            "\"channel_id\":\"C1\"}",
                            &fx, &err),
              BOT_EPROTO);
    CHECK_STR(err.msg, "slash command payload: \"response_url\" is missing or not a string");
    CHECK_INT(fx.n, 0);
    CHECK_INT(worker_decide("env-3", "slash_commands", "{\"command\":5}", &fx, &err), BOT_EPROTO);
    CHECK_CONTAINS(err.msg, "\"command\"");
}

static void test_payload_not_an_object(void)
{
    struct worker_effects fx = {0};
    struct bot_err err;
    CHECK_INT(worker_decide("env-4", "slash_commands", "[1,2]", &fx, &err), BOT_EPROTO);
    CHECK_STR(err.msg, "slash_commands payload is not a JSON object");
    CHECK_INT(worker_decide("env-5", "events_api", "not json", &fx, &err), BOT_EPROTO);
    CHECK_INT(fx.n, 0);
}

static void test_events_have_no_effect_yet(void)
{
    struct worker_effects fx = {0};
    struct bot_err err;
    CHECK_INT(worker_decide("env-6", "events_api",
                            "{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":{}}", &fx,
                            &err),
              BOT_OK);
    CHECK_INT(fx.n, 0);
}

static void test_delivery_refuses_bad_effects(void)
{
    char *result = NULL;
    int64_t ra = 1;
    struct bot_err err;
    /* Bad effects are given up before any network call: no client is needed. */
    CHECK_INT(delivery_perform(NULL, "slack.respond", "{\"url\":5}", &result, &ra, &err),
              DELIVERY_FAIL);
    CHECK_CONTAINS(err.msg, "needs \"url\" (string) and \"message\" (object)");
    CHECK(result == NULL && ra == 0);
    CHECK_INT(delivery_perform(NULL, "slack.call", "{\"args\":{}}", &result, &ra, &err),
              DELIVERY_FAIL);
    CHECK_CONTAINS(err.msg, "needs \"method\"");
    CHECK_INT(delivery_perform(NULL, "slack.teleport", "{}", &result, &ra, &err), DELIVERY_FAIL);
    CHECK_STR(err.msg, "unknown effect kind \"slack.teleport\"");
    CHECK_INT(delivery_perform(NULL, "slack.call", "{", &result, &ra, &err), DELIVERY_FAIL);
    CHECK_CONTAINS(err.msg, "not a JSON object");
}

static void test_delivery_backoff(void)
{
    int64_t prev_hi = 0;
    for (int64_t a = 1; a <= 12; a++) {
        int64_t lo = delivery_backoff_ms(a, 0, 0), hi = delivery_backoff_ms(a, 0, UINT64_MAX);
        CHECK_MSG(lo >= DELIVERY_BACKOFF_BASE_MS / 2 && hi <= DELIVERY_BACKOFF_CAP_MS,
                  "attempt %lld: %lld..%lld", (long long)a, (long long)lo, (long long)hi);
        CHECK(hi >= prev_hi);
        prev_hi = hi;
    }
    /* Far along, the delay stays between half the cap and the cap (equal jitter). */
    for (uint64_t r = 0; r < 1000; r++) {
        int64_t d = delivery_backoff_ms(40, 0, r * 0x9E3779B97F4A7C15ULL);
        CHECK_MSG(d >= DELIVERY_BACKOFF_CAP_MS / 2 && d <= DELIVERY_BACKOFF_CAP_MS, "%lld",
                  (long long)d);
    }
    /* Slack's Retry-After wins when it is longer than our own backoff. */
    CHECK_INT(delivery_backoff_ms(1, 30000, 0), 30000);
}

int main(void)
{
    xmalloc_init_cjson();
    RUN(test_slash_becomes_one_reply_effect);
    RUN(test_slash_missing_field_is_named);
    RUN(test_payload_not_an_object);
    RUN(test_events_have_no_effect_yet);
    RUN(test_delivery_refuses_bad_effects);
    RUN(test_delivery_backoff);
    return CHECK_DONE();
}
