/*
 * Unit tests of the worker's decisions and of delivery's pure parts: which
 * effects an envelope leads to, what a malformed payload is told, how
 * delivery classifies effects it cannot perform, and its backoff.
 */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "plan_fixture.h"
#include "delivery.h"
#include "store_incident.h"
#include "worker.h"
#include "xmalloc.h"

static const char slash[] =
    "{\"command\":\"/incident\",\"text\":\"<!channel>\",\"user_id\":\"U1\",\"channel_id\":\"C1\","
    "\"response_url\":\"https://hooks.slack.com/commands/T1/1/abc\",\"trigger_id\":\"1.2.x\"}";

static void test_slash_becomes_one_reply_effect(void)
{
    fx_open();
    CHECK_INT(fx_decide("slash_commands", slash, "env-1"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox"), 1);
    CHECK_STR(fx_str("SELECT kind FROM outbox"), "slack.respond");
    CHECK_STR(fx_str("SELECT target FROM outbox"), "fast");
    CHECK_STR(fx_str("SELECT idem_key FROM outbox"), "env-1/0");
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.url') FROM outbox"),
              "https://hooks.slack.com/commands/T1/1/abc");
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.message.response_type') FROM outbox"),
              "ephemeral");
    CHECK_CONTAINS(fx_last_reply(), "Unknown command `@channel`"); /* echoed, pinging nobody */
    /* The same envelope decided again (a crash before the commit was recorded) adds nothing. */
    CHECK_INT(fx_decide("slash_commands", slash, "env-1"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox"), 1);
    fx_close();
}

static void test_slash_missing_field_is_named(void)
{
    struct bot_err err;
    fx_open();
    CHECK_INT(fx_decide_err("slash_commands",
                            "{\"command\":\"/incident\",\"text\":\"help\",\"user_id\":\"U1\","
                            "\"channel_id\":\"C1\"}",
                            "env-2", &err),
              BOT_EPROTO);
    CHECK_STR(err.msg, "slash command payload: \"response_url\" is missing or not a string");
    CHECK_INT(fx_decide_err("slash_commands", "{\"command\":5}", "env-3", &err), BOT_EPROTO);
    CHECK_CONTAINS(err.msg, "\"command\"");
    CHECK_INT(fx_int("SELECT count(*) FROM outbox"), 0);
    fx_close();
}

static void test_payload_not_an_object(void)
{
    struct bot_err err;
    fx_open();
    CHECK_INT(fx_decide_err("slash_commands", "[1,2]", "env-4", &err), BOT_EPROTO);
    CHECK_STR(err.msg, "slash_commands payload is not a JSON object");
    CHECK_INT(fx_decide_err("events_api", "not json", "env-5", &err), BOT_EPROTO);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox"), 0);
    fx_close();
}

static void test_events_have_no_effect_yet(void)
{
    fx_open();
    CHECK_INT(fx_decide("events_api", "{\"type\":\"event_callback\",\"event_id\":\"Ev1\","
                        "\"event\":{}}", "env-6"),
              BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox"), 0);
    fx_close();
}

static void test_delivery_refuses_bad_effects(void)
{
    char *result = NULL;
    int64_t ra = 1;
    struct bot_err err;
    /* Bad effects are given up before any network call: no client is needed. */
    CHECK_INT(delivery_perform(NULL, "slack.respond", "{\"url\":5}", NULL, &result, &ra, &err),
              DELIVERY_FAIL);
    CHECK_CONTAINS(err.msg, "needs \"url\" (string) and \"message\" (object)");
    CHECK(result == NULL && ra == 0);
    CHECK_INT(delivery_perform(NULL, "slack.call", "{\"args\":{}}", NULL, &result, &ra, &err),
              DELIVERY_FAIL);
    CHECK_CONTAINS(err.msg, "needs \"method\"");
    CHECK_INT(delivery_perform(NULL, "slack.teleport", "{}", NULL, &result, &ra, &err), DELIVERY_FAIL);
    CHECK_STR(err.msg, "unknown effect kind \"slack.teleport\"");
    CHECK_INT(delivery_perform(NULL, "slack.call", "{", NULL, &result, &ra, &err), DELIVERY_FAIL);
    CHECK_CONTAINS(err.msg, "not a JSON object");
}

static void test_fill_placeholders(void)
{
    struct store_incident inc;
    struct bot_err err;
    store_incident_init(&inc);
    inc.id = 42;
    inc.channel_id = "C0INC42";
    /* Routing arguments and the paths the plan listed are filled; nothing else is. */
    cJSON *p = cJSON_Parse("{\"method\":\"chat.postMessage\",\"args\":{\"channel\":"
                           "\"{{incident.channel_id}}\",\"text\":\"see <#{{incident.channel_id}}>\","
                           "\"n\":[\"{{incident.channel_id}}\",3]},\"fill\":[\"args.text\"]}");
    CHECK(p != NULL);
    enum bot_rc rc = delivery_fill(p, &inc, &err);
    char *out = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    bool ok = rc == BOT_OK &&
              strcmp(out, "{\"method\":\"chat.postMessage\",\"args\":{\"channel\":\"C0INC42\","
                          "\"text\":\"see <#C0INC42>\",\"n\":[\"{{incident.channel_id}}\",3]}}") == 0;
    CHECK_MSG(ok, "placeholders filled where they should not be, or not where they should");
    free(out);

    /* User text is data: placeholders in a note, broken or unknown ones, stay as typed. */
    const char *note = "{\"method\":\"chat.postMessage\",\"args\":{\"channel\":"
                       "\"{{incident.channel_id}}\",\"text\":\"leak: {{incident.channel_id}} "
                       "{{incident.declarer}} {{incident.password}} {{incident.\"}}";
    p = cJSON_Parse(note);
    CHECK_INT(delivery_fill(p, &inc, &err), BOT_OK);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "args"), "text")->valuestring,
              "leak: {{incident.channel_id}} {{incident.declarer}} {{incident.password}} "
              "{{incident.");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "args"), "channel")->valuestring,
              "C0INC42");
    cJSON_Delete(p);

    /* Unset field: the effect that should have set it failed. */
    p = cJSON_Parse("{\"args\":{\"thread_ts\":\"{{incident.control_ts}}\"}}");
    CHECK_INT(delivery_fill(p, &inc, &err), BOT_ESTATE);
    CHECK_STR(err.msg, "incident 42 has no control_ts yet (the effect that sets it failed)");
    cJSON_Delete(p);
    p = cJSON_Parse("{\"args\":{\"channel\":\"{{incident.password}}\"}}");
    CHECK_INT(delivery_fill(p, &inc, &err), BOT_EINVAL);
    CHECK_STR(err.msg, "unknown placeholder {{incident.password}}");
    CHECK_INT(delivery_fill(p, NULL, &err), BOT_EINVAL);
    cJSON_Delete(p);
    p = cJSON_Parse("{\"a\":\"{{incident.channel_id\",\"fill\":[\"a\"]}");
    CHECK_INT(delivery_fill(p, &inc, &err), BOT_EINVAL);
    CHECK_CONTAINS(err.msg, "unterminated placeholder");
    cJSON_Delete(p);
    p = cJSON_Parse("{\"a\":3,\"fill\":[\"a\"]}");
    CHECK_INT(delivery_fill(p, &inc, &err), BOT_EINVAL);
    cJSON_Delete(p);
    p = cJSON_Parse("{\"a\":\"no placeholder {{here}}\"}");
    CHECK_INT(delivery_fill(p, NULL, &err), BOT_OK);
    cJSON_Delete(p);
}

static void test_save_answer_into_incident(void)
{
    struct store_incident inc;
    struct bot_err err;
    store_incident_init(&inc);
    inc.channel_id = xstrdup("Cold");
    cJSON *save = cJSON_Parse("{\"channel_id\":\"channel.id\",\"channel_name\":\"channel.name\"}");
    cJSON *res = cJSON_Parse("{\"ok\":true,\"channel\":{\"id\":\"C0NEW\",\"name\":\"inc-42\"}}");
    CHECK_INT(delivery_save(save, res, &inc, &err), BOT_OK);
    bool ok = strcmp(inc.channel_id, "C0NEW") == 0 && strcmp(inc.channel_name, "inc-42") == 0;
    cJSON_Delete(save);
    save = cJSON_Parse("{\"title\":\"channel.id\"}");
    enum bot_rc rc1 = delivery_save(save, res, &inc, &err);
    bool msg1 = strcmp(err.msg, "\"save\": title cannot be saved") == 0;
    cJSON_Delete(save);
    save = cJSON_Parse("{\"control_ts\":\"message.ts\"}");
    enum bot_rc rc2 = delivery_save(save, res, &inc, &err);
    cJSON_Delete(save);
    cJSON_Delete(res);
    free(inc.channel_id);
    free(inc.channel_name);
    CHECK(ok);
    CHECK_INT(rc1, BOT_EINVAL);
    CHECK(msg1);
    CHECK_INT(rc2, BOT_EINVAL);
    CHECK_STR(err.msg, "\"save\": the answer has no string at message.ts");
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
    RUN(test_fill_placeholders);
    RUN(test_save_answer_into_incident);
    RUN(test_delivery_backoff);
    return CHECK_DONE();
}
