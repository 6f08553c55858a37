/*
 * Unit tests of outgoing webhooks: the HMAC-SHA256 signature (RFC 4231's
 * test vectors, and the "<timestamp>.<body>" scheme the README documents),
 * the event body (commands/hook.c), which answers are retried, and the
 * plan's webhook effects against a real SQLite file: one per subscribed
 * webhook in its own lane, in order, for published incidents only, with or
 * without the Atlassian mirror.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "hook.h"
#include "plan_fixture.h"
#include "render_steps.h"
#include "store_outbox.h"
#include "webhook.h"

#define ALICE "U0ALICE0001"
#define CHAN  "C0INC000001"

static void test_hmac_rfc4231(void)
{
    char out[WEBHOOK_SIG_HEX + 1];
    unsigned char key[131], data[50];
    memset(key, 0x0b, 20);
    webhook_hmac_hex(key, 20, "Hi There", 8, out); /* test case 1 */
    CHECK_STR(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    webhook_hmac_hex("Jefe", 4, "what do ya want for nothing?", 28, out); /* 2 */
    CHECK_STR(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(key, 0xaa, 20);
    memset(data, 0xdd, 50);
    webhook_hmac_hex(key, 20, data, 50, out); /* 3 */
    CHECK_STR(out, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (int i = 0; i < 25; i++)
        key[i] = (unsigned char)(i + 1);
    memset(data, 0xcd, 50);
    webhook_hmac_hex(key, 25, data, 50, out); /* 4 */
    CHECK_STR(out, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(key, 0xaa, 131);
    const char *t6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    webhook_hmac_hex(key, 131, t6, strlen(t6), out); /* 6: a key longer than a block */
    CHECK_STR(out, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_sign_is_hmac_of_timestamp_dot_body(void)
{
    char out[WEBHOOK_SIG_HEX + 1];
    char key[131];
    memset(key, 0xaa, sizeof(key));
    /* RFC 4231 test case 7, whose data has a "." in it: timestamp "." body is that data. */
    CHECK_INT(webhook_sign(key, sizeof(key),
                           "This is a test using a larger than block-size key and a larger than "
                           "block-size data",
                           " The key needs to be hashed before being used by the HMAC algorithm.",
                           68, out),
              BOT_OK);
    CHECK_STR(out, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
    /* What a receiver computes (python3: hmac.new(secret, b"1700000000." + body, sha256)). */
    const char *body = "{\"id\":\"e/1\"}";
    CHECK_INT(
        webhook_sign("0123456789abcdef0123456789abcdef", 32, "1700000000", body, strlen(body), out),
        BOT_OK);
    CHECK_STR(out, "cbae8de1a3b8dee52d4fb74592e899feaa4611cdf000d707bf8630bfccb8bf05");
    /* Another timestamp, another signature: a replayed body with a new time does not verify. */
    CHECK_INT(
        webhook_sign("0123456789abcdef0123456789abcdef", 32, "1700000001", body, strlen(body), out),
        BOT_OK);
    CHECK(strcmp(out, "cbae8de1a3b8dee52d4fb74592e899feaa4611cdf000d707bf8630bfccb8bf05") != 0);
    CHECK_INT(webhook_sign("k", 1, "1", body, WEBHOOK_MAX_BODY + 1, out), BOT_ETOOBIG);
}

static void test_which_answers_are_retried(void)
{
    struct webhook_result r = {0};
    CHECK(!webhook_permanent(BOT_ENET, &r)); /* no answer, timeouts */
    r.http_status = 429;
    CHECK(!webhook_permanent(BOT_ERATELIMIT, &r));
    r.http_status = 503;
    CHECK(!webhook_permanent(BOT_EREMOTE, &r));
    r.http_status = 408;
    CHECK(!webhook_permanent(BOT_EREMOTE, &r));
    r.http_status = 400;
    CHECK(webhook_permanent(BOT_EREMOTE, &r));
    r.http_status = 404;
    CHECK(webhook_permanent(BOT_EREMOTE, &r));
    r.http_status = 301; /* redirects are not followed: the URL is wrong */
    CHECK(webhook_permanent(BOT_EREMOTE, &r));
    CHECK(webhook_permanent(BOT_EINVAL, NULL));
}

static void test_event_names(void)
{
    enum hook_event e;
    CHECK_STR(hook_event_name(HOOK_PUBLISHED), "incident.published");
    CHECK_STR(hook_event_name(HOOK_POSTMORTEM_PUBLISHED), "incident.postmortem_published");
    CHECK(hook_event_name(HOOK_N_EVENTS) == NULL);
    for (int i = 0; i < HOOK_N_EVENTS; i++) {
        CHECK(hook_event_parse(hook_event_name((enum hook_event)i), &e));
        CHECK_INT(e, i);
    }
    CHECK(!hook_event_parse("incident.closed", &e));
    CHECK(!hook_event_parse("", &e));
}

static void test_payload(void)
{
    const char *comps[] = {"API", "Web <UI>"};
    struct hook_incident hi = {
        .id = 42,
        .name = "Payments \"fail\" — ünïcode",
        .status = "identified",
        .impact = "major",
        .message = "We found it.\nA fix is coming.",
        .components = comps,
        .n_components = 2,
        .created_at = 1795428000000LL,
        .updated_at = 1795428060123LL,
        .url = "https://status.example.com/incidents/INC-42",
    };
    cJSON *p = hook_payload("env-1/3", HOOK_STATUS_CHANGED, 1795428060123LL, &hi);
    char *s = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    CHECK_STR(s, "{\"id\":\"env-1/3\",\"event\":\"incident.status_changed\","
                 "\"created_at\":\"2026-11-23T10:01:00.123Z\",\"incident\":{\"id\":\"INC-42\","
                 "\"number\":42,\"name\":\"Payments \\\"fail\\\" — ünïcode\","
                 "\"status\":\"identified\",\"impact\":\"major\","
                 "\"message\":\"We found it.\\nA fix is coming.\","
                 "\"components\":[\"API\",\"Web <UI>\"],"
                 "\"created_at\":\"2026-11-23T10:00:00.000Z\","
                 "\"updated_at\":\"2026-11-23T10:01:00.123Z\",\"resolved_at\":null,"
                 "\"url\":\"https://status.example.com/incidents/INC-42\","
                 "\"postmortem_published_at\":null,\"postmortem_updated_at\":null}}");
    free(s);
    /* Unknown parts are null, never missing: receivers can rely on the keys. */
    struct hook_incident bare = {.id = 1,
                                 .name = "x",
                                 .status = "resolved",
                                 .impact = "minor",
                                 .resolved_at = 1795428000000LL};
    p = hook_payload("e", HOOK_RESOLVED, 1795428000000LL, &bare);
    cJSON *inc = cJSON_GetObjectItemCaseSensitive(p, "incident");
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(inc, "message")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(inc, "url")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(inc, "created_at")));
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(inc, "components")), 0);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(inc, "resolved_at")->valuestring,
              "2026-11-23T10:00:00.000Z");
    cJSON_Delete(p);
}

static long long hook_effects(const char *lane)
{
    return fx_int("SELECT count(*) FROM outbox WHERE kind = 'webhook.post' AND target = '%s'",
                  lane);
}

static const struct plan_webhook hooks[] = {
    {"webhook:all", HOOK_ALL_EVENTS},
    {"webhook:social", (1u << HOOK_PUBLISHED) | (1u << HOOK_RESOLVED)},
};

/* A public postmortem submitted by ALICE for incident 1 (the modal's view_submission). */
static char *pm_submission(void)
{
    const char *parts[RENDER_PM_PARTS] = {"Checkout failed for an hour.", "A bad deploy & <b>.",
                                          "We rolled it back.", "A canary stage."};
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "view_submission");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "user"), "id", ALICE);
    cJSON *view = cJSON_AddObjectToObject(p, "view");
    cJSON_AddStringToObject(view, "callback_id", RENDER_POSTMORTEM_CALLBACK);
    cJSON_AddStringToObject(view, "private_metadata",
                            "{\"incident\":1,\"response_url\":\"https://h/pm\"}");
    cJSON *values = cJSON_AddObjectToObject(cJSON_AddObjectToObject(view, "state"), "values");
    for (int i = 0; i < RENDER_PM_PARTS; i++) {
        char action[48];
        snprintf(action, sizeof(action), "%s_input", render_pm_block((enum render_pm_part)i));
        cJSON *e = cJSON_AddObjectToObject(
            cJSON_AddObjectToObject(values, render_pm_block((enum render_pm_part)i)), action);
        cJSON_AddStringToObject(e, "type", "plain_text_input");
        cJSON_AddStringToObject(e, "value", parts[i]);
    }
    char *s = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    return s;
}

/* A member of the body of the webhook:all event ev (NULL when null or missing). */
static const char *field(const char *member, const char *ev)
{
    return fx_str("SELECT json_extract(payload, '$.body.incident.%s') FROM outbox WHERE target = "
                  "'webhook:all' AND json_extract(payload, '$.event') = '%s'",
                  member, ev);
}

/* The whole public life, without the Atlassian mirror: webhooks do not depend on it. */
static void test_plan_emits_events_in_order(void)
{
    struct plan_config saved = fx_cfg;
    fx_cfg.mirror = false;
    fx_cfg.webhooks = hooks;
    fx_cfg.n_webhooks = 2;
    fx_cfg.statuspage_url = "https://status.example.com/";
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Checkout <b>fails</b> --component payments"), BOT_OK);
    fx_channel_created(1, CHAN);
    /* Internal changes of an incident never published: nothing goes out. */
    CHECK_INT(fx_slash(ALICE, CHAN, "status identified found it"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "publish Payments are failing"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE target LIKE 'webhook:%%'"), 0);
    CHECK_INT(fx_click(ALICE, "inc_publish_confirm", "1"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "update Card payments fail for some"), BOT_OK);
    /* A raise asks whether the public impact follows; only "yes" is a public change. */
    CHECK_INT(fx_slash(ALICE, CHAN, "severity critical all cards fail"), BOT_OK);
    CHECK_INT(hook_effects("webhook:all"), 2);
    CHECK_INT(fx_click(ALICE, "inc_sp_impact_yes", "1:yes:critical"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "status monitoring A fix is out"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "status resolved All good"), BOT_OK);
    char *pm = pm_submission();
    CHECK_INT(fx_decide("interactive", pm, "env-pm"), BOT_OK);
    /* The submission only shows a preview: no event before its click. */
    CHECK_STR(fx_str("SELECT status FROM incidents"), "resolved");
    CHECK_INT(hook_effects("webhook:all"), 5);
    char value[64];
    snprintf(value, sizeof(value), "1:%lld", (long long)fx_now);
    CHECK_INT(fx_click(ALICE, RENDER_PM_PUBLISH_ACTION, value), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "postmortem");
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE target LIKE 'statuspage%%'"), 0);
    CHECK_INT(hook_effects("webhook:all"), 6);
    CHECK_INT(hook_effects("webhook:social"), 2);
    CHECK_STR(fx_str("SELECT group_concat(json_extract(payload, '$.event'), ' ') FROM (SELECT "
                     "payload FROM outbox WHERE target = 'webhook:all' ORDER BY id)"),
              "incident.published incident.updated incident.severity_changed "
              "incident.status_changed incident.resolved incident.postmortem_published");
    CHECK_STR(fx_str("SELECT group_concat(json_extract(payload, '$.event'), ' ') FROM (SELECT "
                     "payload FROM outbox WHERE target = 'webhook:social' ORDER BY id)"),
              "incident.published incident.resolved");
    /* Every row belongs to the incident (per-incident order), event ids unique per event and
     * the same in both lanes, as in the body. */
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE kind = 'webhook.post' AND "
                     "incident_id = 1"),
              8);
    CHECK_INT(fx_int("SELECT count(DISTINCT json_extract(payload, '$.id')) FROM outbox WHERE "
                     "kind = 'webhook.post'"),
              6);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE kind = 'webhook.post' AND "
                     "json_extract(payload, '$.id') != json_extract(payload, '$.body.id') OR "
                     "json_extract(payload, '$.event') != json_extract(payload, '$.body.event')"),
              0);
    /* The public data of each change. */
    CHECK_STR(field("message", "incident.published"), "Payments are failing");
    CHECK_STR(field("name", "incident.published"), "Checkout <b>fails</b>"); /* as typed */
    CHECK_STR(field("status", "incident.published"), "identified");
    CHECK_STR(field("components[0]", "incident.published"), "payments");
    CHECK_STR(field("url", "incident.published"), "https://status.example.com/incidents/INC-1");
    CHECK_STR(field("message", "incident.updated"), "Card payments fail for some");
    CHECK_STR(field("status", "incident.status_changed"), "monitoring");
    CHECK_STR(field("status", "incident.resolved"), "resolved");
    CHECK_STR(field("message", "incident.resolved"), "All good");
    CHECK_STR(field("resolved_at", "incident.resolved"), "2026-11-23T10:00:00.000Z");
    CHECK_STR(field("impact", "incident.severity_changed"), "critical");
    CHECK_STR(fx_str("SELECT json_type(payload, '$.body.incident.message') FROM outbox WHERE "
                     "target = 'webhook:all' AND json_extract(payload, '$.event') = "
                     "'incident.severity_changed'"),
              "null");
    CHECK_STR(field("impact", "incident.resolved"), "critical");
    CHECK_STR(field("status", "incident.postmortem_published"), "postmortem");
    CHECK_CONTAINS(field("message", "incident.postmortem_published"),
                   "## What happened\n\nA bad deploy & <b>.");
    CHECK_STR(field("postmortem_published_at", "incident.postmortem_published"),
              "2026-11-23T10:00:00.000Z");
    CHECK_STR(fx_str("SELECT json_type(payload, '$.body.incident.postmortem_updated_at') FROM "
                     "outbox WHERE target = 'webhook:all' AND json_extract(payload, '$.event') = "
                     "'incident.postmortem_published'"),
              "null");
    /* An amendment is an event again, with its own time; the first publication's stays. */
    fx_now += 3600000;
    CHECK_INT(fx_decide("interactive", pm, "env-pm-2"), BOT_OK);
    snprintf(value, sizeof(value), "1:%lld", (long long)fx_now);
    CHECK_INT(fx_click(ALICE, RENDER_PM_PUBLISH_ACTION, value), BOT_OK);
    fx_now -= 3600000;
    free(pm);
    CHECK_INT(hook_effects("webhook:all"), 7);
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.body.incident.postmortem_updated_at') FROM "
                     "outbox WHERE target = 'webhook:all' ORDER BY id DESC LIMIT 1"),
              "2026-11-23T11:00:00.000Z");
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.body.incident.postmortem_published_at') FROM "
                     "outbox WHERE target = 'webhook:all' ORDER BY id DESC LIMIT 1"),
              "2026-11-23T10:00:00.000Z");
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.event') FROM outbox WHERE target = "
                     "'webhook:all' ORDER BY id DESC LIMIT 1"),
              "incident.postmortem_published");
    CHECK_STR(fx_str("SELECT json_type(payload, '$.body.incident.resolved_at') FROM outbox WHERE "
                     "target = 'webhook:all' AND json_extract(payload, '$.event') = "
                     "'incident.status_changed'"),
              "null");
    /* Nothing internal in a body: no channel, declarer or internal notes. */
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE kind = 'webhook.post' AND (payload "
                     "LIKE '%%" CHAN "%%' OR payload LIKE '%%" ALICE "%%' OR payload LIKE "
                     "'%%found it%%')"),
              0);
    fx_close();
    fx_cfg = saved;
}

/*
 * A failed fix and a resolve that did not hold (issue 14): each step back is an
 * incident.status_changed with the earlier status; a reopen clears resolved_at
 * and the component is degraded again.
 */
static void test_plan_corrections_and_reopen(void)
{
    struct plan_config saved = fx_cfg;
    fx_cfg.webhooks = hooks;
    fx_cfg.n_webhooks = 2;
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Checkout fails --component payments"), BOT_OK);
    fx_channel_created(1, CHAN);
    CHECK_INT(fx_slash(ALICE, CHAN, "publish Payments are failing"), BOT_OK);
    CHECK_INT(fx_click(ALICE, "inc_publish_confirm", "1"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "status identified found it"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "status monitoring A fix is out"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "status identified The fix did not work"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "status monitoring Another fix is out"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "status resolved All good"), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM components WHERE name = 'payments'"), "operational");
    fx_now += 60000;
    CHECK_INT(fx_slash(ALICE, CHAN, "reopen Errors are back"), BOT_OK);
    fx_now -= 60000;
    CHECK_STR(fx_str("SELECT group_concat(json_extract(payload, '$.event') || ':' || "
                     "json_extract(payload, '$.body.incident.status'), ' ') FROM (SELECT payload "
                     "FROM outbox WHERE target = 'webhook:all' ORDER BY id)"),
              "incident.published:investigating incident.status_changed:identified "
              "incident.status_changed:monitoring incident.status_changed:identified "
              "incident.status_changed:monitoring incident.resolved:resolved "
              "incident.status_changed:identified");
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.body.incident.message') || '|' || "
                     "json_type(payload, '$.body.incident.resolved_at') FROM outbox WHERE target "
                     "= 'webhook:all' ORDER BY id DESC LIMIT 1"),
              "Errors are back|null");
    CHECK_STR(fx_str("SELECT group_concat(json_extract(payload, '$.status'), ' ') FROM (SELECT "
                     "payload FROM outbox WHERE kind = 'statuspage.update' ORDER BY id)"),
              "identified monitoring identified monitoring resolved identified");
    /* Degraded again, as a major incident degrades it (plan_component_status). */
    CHECK_STR(fx_str("SELECT status FROM components WHERE name = 'payments'"), "partial_outage");
    /* The social webhook wants only published and resolved: a reopen is not sent to it. */
    CHECK_INT(hook_effects("webhook:social"), 2);
    fx_close();
    fx_cfg = saved;
}

/* With the mirror on, both go out; with no webhook subscribed, nothing extra. */
static void test_plan_with_mirror_and_unsubscribed(void)
{
    static const struct plan_webhook only_pm[] = {
        {"webhook:pm", 1u << HOOK_POSTMORTEM_PUBLISHED},
    };
    struct plan_config saved = fx_cfg;
    fx_cfg.webhooks = only_pm;
    fx_cfg.n_webhooks = 1;
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Checkout fails"), BOT_OK);
    fx_channel_created(1, CHAN);
    CHECK_INT(fx_slash(ALICE, CHAN, "publish Payments are failing"), BOT_OK);
    CHECK_INT(fx_click(ALICE, "inc_publish_confirm", "1"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "status identified found it"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "status monitoring fixed"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "status resolved All good"), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "resolved");
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE target = 'statuspage'"), 4);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE target LIKE 'webhook:%%'"), 0);
    fx_close();
    fx_cfg = saved;
}

/* The lanes with effects waiting, for the start-up warning about unconfigured webhooks. */
static void test_waiting_targets(void)
{
    struct bot_err err;
    char **t = NULL;
    size_t n = 9;
    fx_open();
    CHECK_INT(store_outbox_waiting_targets(fx_store, &t, &n, &err), BOT_OK);
    CHECK(t == NULL && n == 0);
    const char *targets[] = {"webhook:old", "slack", "webhook:old", "webhook:done"};
    for (int i = 0; i < 4; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        struct store_effect e = {
            .kind = "webhook.post", .target = targets[i], .payload = "{}", .idem_key = key};
        CHECK_INT(store_outbox_enqueue(fx_store, &e, fx_now, NULL, &err), BOT_OK);
    }
    struct store_outbox_row row;
    CHECK_INT(store_outbox_claim_target(fx_store, fx_now, "webhook:done", &row, &err), BOT_OK);
    CHECK_INT(store_outbox_done(fx_store, row.id, "{}", fx_now, &err), BOT_OK);
    store_outbox_row_clear(&row);
    CHECK_INT(store_outbox_waiting_targets(fx_store, &t, &n, &err), BOT_OK);
    CHECK_INT(n, 2);
    CHECK_STR(t[0], "slack");
    CHECK_STR(t[1], "webhook:old");
    store_outbox_targets_free(t, n);
    fx_close();
}

int main(void)
{
    RUN(test_hmac_rfc4231);
    RUN(test_sign_is_hmac_of_timestamp_dot_body);
    RUN(test_which_answers_are_retried);
    RUN(test_event_names);
    RUN(test_payload);
    RUN(test_plan_emits_events_in_order);
    RUN(test_plan_corrections_and_reopen);
    RUN(test_plan_with_mirror_and_unsubscribed);
    RUN(test_waiting_targets);
    return CHECK_DONE();
}
