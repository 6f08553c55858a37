/*
 * Unit tests of `/incident cancel` (commands/cmd_cancel.c): a declared
 * incident cancelled (closed, reminders gone, timeline, channel, refresh),
 * a published one withdrawn (off the page query, statuspage.delete,
 * incident.withdrawn), a potential one dismissed, and the refusals, which
 * answer and change nothing. Against a real SQLite file, decided the way
 * the worker decides.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "plan_fixture.h"
#include "render.h"

#define ALICE "U0ALICE0001"
#define DAVE  "U0DAVE00004"
#define CHAN  "C0INC000001"
#define T0    1795428000000LL

static const struct plan_webhook hooks[] = {
    {"webhook:all", HOOK_ALL_EVENTS},
};

static long long effects(const char *kind)
{
    return fx_int("SELECT count(*) FROM outbox WHERE kind = '%s'", kind);
}

/* Everything that changes state: a refused request must leave it as it was. */
static long long state_count(void)
{
    return fx_int("SELECT (SELECT count(*) FROM incidents) + (SELECT count(*) FROM timeline) + "
                  "(SELECT count(*) FROM reminders WHERE state = 'pending') + "
                  "(SELECT count(*) FROM outbox WHERE kind != 'slack.respond') + "
                  "(SELECT sum(version) FROM incidents)");
}

static void declared(void)
{
    fx_now = T0;
    fx_open();
    if (fx_slash(ALICE, "C0GENERAL01", "declare Checkout fails --component payments") != BOT_OK)
        abort();
    fx_channel_created(1, CHAN);
}

static size_t published_count(void)
{
    struct store_incident *rows = NULL;
    size_t n = 0;
    struct bot_err err;
    if (store_incident_list_published(fx_store, 0, 10, &rows, &n, &err) != BOT_OK)
        abort();
    store_incident_list_free(rows, n);
    return n;
}

static void test_cancel_declared(void)
{
    fx_cfg.reassess_after_minutes = 30; /* a pending reminder to cancel */
    declared();
    CHECK(fx_int("SELECT count(*) FROM reminders WHERE incident_id = 1 AND state = 'pending'") > 0);
    fx_views_delivered(); /* the earlier views are out: a change asks for its own */
    long long controls = effects("incident.control");
    CHECK_INT(fx_slash(ALICE, CHAN, "cancel it was a load test"), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents WHERE id = 1"), "closed");
    CHECK_INT(fx_int("SELECT closed_at FROM incidents WHERE id = 1"), T0);
    CHECK_STR(fx_str("SELECT value FROM incident_attrs WHERE incident_id = 1 AND "
                     "key = 'cancelled'"),
              "it was a load test");
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE incident_id = 1 AND state = 'pending'"),
              0);
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE incident_id = 1 AND kind = 'cancel'"),
                   "Cancelled by <@" ALICE ">");
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE kind = 'slack.call' AND "
                     "json_extract(payload, '$.args.text') LIKE '%%cancelled INC-1%%it was a load "
                     "test%%'"),
              1);
    CHECK(effects("incident.control") > controls);
    CHECK_CONTAINS(fx_last_reply(), "Done: INC-1 is cancelled.");
    CHECK_INT(effects("statuspage.delete"), 0); /* never published: nothing to withdraw */
    /* Closed now: a second cancel is refused. */
    long long before = state_count();
    CHECK_INT(fx_slash(ALICE, CHAN, "cancel again"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "INC-1 is cancelled already");
    CHECK_INT(state_count(), before);
    fx_close();
    fx_cfg.reassess_after_minutes = 0;
}

static void test_cancel_published_withdraws(void)
{
    struct plan_config saved = fx_cfg;
    fx_cfg.webhooks = hooks;
    fx_cfg.n_webhooks = 1;
    declared();
    CHECK_INT(fx_slash(ALICE, CHAN, "publish Payments are failing"), BOT_OK);
    CHECK_INT(fx_click(ALICE, "inc_publish_confirm", "1"), BOT_OK);
    CHECK_INT(fx_int("SELECT published FROM incidents WHERE id = 1"), 1);
    CHECK_INT((long long)published_count(), 1);
    CHECK_STR(fx_str("SELECT status FROM components WHERE name = 'payments'"), "partial_outage");
    CHECK_INT(fx_slash(ALICE, CHAN, "cancel a test incident, published by mistake"), BOT_OK);
    CHECK_INT(fx_int("SELECT published FROM incidents WHERE id = 1"), 0);
    CHECK(fx_int("SELECT published_at FROM incidents WHERE id = 1") > 0); /* the record keeps it */
    CHECK_INT((long long)published_count(), 0);
    CHECK_STR(fx_str("SELECT status FROM components WHERE name = 'payments'"), "operational");
    CHECK_INT(effects("statuspage.delete"), 1);
    CHECK_STR(fx_str("SELECT target FROM outbox WHERE kind = 'statuspage.delete'"), "statuspage");
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE target = 'webhook:all' AND "
                     "json_extract(payload, '$.event') = 'incident.withdrawn'"),
              1);
    CHECK_CONTAINS(fx_str("SELECT json_extract(payload, '$.body.incident.message') FROM outbox "
                          "WHERE target = 'webhook:all' AND json_extract(payload, '$.event') = "
                          "'incident.withdrawn'"),
                   "withdrawn");
    /* The internal why stays internal. */
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE target != 'slack' AND "
                     "payload LIKE '%%by mistake%%'"),
              0);
    CHECK_CONTAINS(fx_last_reply(), "withdrawn from the status page");
    /* Not published again, by command or the (stale) control message's button. */
    long long creates = effects("statuspage.create");
    CHECK_INT(fx_slash(ALICE, CHAN, "publish back again"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "INC-1 was cancelled");
    CHECK_INT(fx_click(ALICE, "inc_publish_confirm", "1"), BOT_OK);
    CHECK_INT(fx_int("SELECT published FROM incidents WHERE id = 1"), 0);
    CHECK_INT(effects("statuspage.create"), creates);
    fx_close();
    fx_cfg = saved;
}

static void test_dismiss_potential(void)
{
    fx_now = T0;
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Blip --users 2"), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents WHERE id = 1"), "potential");
    CHECK_INT(fx_slash(ALICE, "C1", "cancel only two users, a flaky test INC-1"), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents WHERE id = 1"), "closed");
    CHECK_CONTAINS(fx_last_reply(), "Done: potential INC-1 is dismissed.");
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE incident_id = 1 AND kind = 'cancel'"),
                   "Dismissed by");
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE incident_id = 1 AND state = 'pending'"),
              0);
    CHECK_INT(effects("incident.control"), 0); /* no channel */
    fx_close();
}

/* The definition prompt offers to dismiss; a stale prompt never cancels a promoted incident. */
static void test_dismiss_button(void)
{
    fx_now = T0;
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Blip --users 2"), BOT_OK);
    CHECK_CONTAINS(fx_str("SELECT json_extract(payload, '$.message.blocks') FROM outbox WHERE "
                          "kind = 'slack.respond' ORDER BY id DESC LIMIT 1"),
                   "\"action_id\":\"inc_dismiss\",\"value\":\"1\"");
    CHECK_INT(fx_click(DAVE, "inc_dismiss", "1"), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents WHERE id = 1"), "closed");
    CHECK_STR(fx_str("SELECT value FROM incident_attrs WHERE incident_id = 1 AND key = "
                     "'cancelled.by'"),
              DAVE);
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE incident_id = 1 AND kind = 'cancel'"),
                   "Dismissed by <@" DAVE ">: not an incident after all. Why: Dismissed on the "
                   "incident-definition prompt");
    CHECK_CONTAINS(fx_last_reply(), "Done: potential INC-1 is dismissed.");
    CHECK_INT(fx_int("SELECT json_extract(payload, '$.message.replace_original') FROM outbox "
                     "WHERE kind = 'slack.respond' ORDER BY id DESC LIMIT 1"),
              1); /* the prompt goes away */
    /* Clicked again: closed already, nothing changed. */
    long long before = state_count();
    CHECK_INT(fx_click(DAVE, "inc_dismiss", "1"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "not a potential incident any more (it is closed)");
    CHECK_INT(state_count(), before);

    /* Promoted meanwhile: the old prompt's Dismiss does not cancel a real incident. */
    CHECK_INT(fx_slash(ALICE, "C1", "declare Blip again --users 2"), BOT_OK);
    CHECK_INT(fx_click(ALICE, "inc_declare_anyway", "2"), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents WHERE id = 2"), "investigating");
    before = state_count();
    CHECK_INT(fx_click(DAVE, "inc_dismiss", "2"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "INC-2 is not a potential incident any more (it is "
                                    "investigating); nothing changed. If it is not an incident "
                                    "after all: `/incident cancel <why> INC-2`.");
    CHECK_STR(fx_str("SELECT status FROM incidents WHERE id = 2"), "investigating");
    CHECK_INT(state_count(), before);
    fx_close();
}

/* The announcement's thread says cancelled, with the why, not a bare "closed". */
static void test_cancel_announcement_line(void)
{
    declared();
    CHECK_INT(fx_slash(ALICE, CHAN, "cancel a fire drill"), BOT_OK);
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.args.text') FROM outbox WHERE "
                     "json_extract(payload, '$.args.thread_ts') = '{{incident.announce_ts}}' "
                     "ORDER BY id DESC LIMIT 1"),
              "Cancelled, not an incident after all, by <@" ALICE ">: a fire drill");
    fx_close();
}

static void test_refusals_change_nothing(void)
{
    declared();
    long long before = state_count();
    CHECK_INT(fx_slash(ALICE, CHAN, "cancel"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Say why it is not an incident");
    CHECK_INT(fx_slash(ALICE, CHAN, "cancel    "), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Say why it is not an incident");
    bool irms = fx_cfg.manage_irms, admins = fx_cfg.manage_admins;
    fx_cfg.manage_irms = fx_cfg.manage_admins = false;
    CHECK_INT(fx_slash(DAVE, CHAN, "cancel I think it is fine"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), ":no_entry: Only");
    CHECK_CONTAINS(fx_last_reply(), "may cancel INC-1");
    fx_cfg.manage_irms = irms;
    fx_cfg.manage_admins = admins;
    CHECK_INT(state_count(), before);
    /* Resolved is still allowed (a mistake noticed late): no postmortem clock after it. */
    CHECK_INT(fx_slash(ALICE, CHAN, "status identified x"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "status monitoring x"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "status resolved x"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "cancel it was a drill"), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents WHERE id = 1"), "closed");
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE incident_id = 1 AND state = 'pending'"),
              0);
    fx_close();
}

/* The control message of a cancelled incident says so and has no buttons. */
static void test_render_cancelled(void)
{
    struct render_incident r = {.id = 7,
                                .title = "Drill",
                                .severity = SEV_MAJOR,
                                .status = ST_CLOSED,
                                .step = 1,
                                .cancelled = true};
    cJSON *blocks = NULL;
    char *text = NULL;
    CHECK_INT(render_control_message(&r, T0, &blocks, &text), BOT_OK);
    char *s = cJSON_PrintUnformatted(blocks);
    CHECK(s && strstr(s, "cancelled") != NULL);
    CHECK(s && strstr(s, "\"actions\"") == NULL);
    CHECK(s && strstr(s, "inc_publish") == NULL);
    free(s);
    free(text);
    cJSON_Delete(blocks);
}

static void test_help_lists_cancel(void)
{
    declared();
    CHECK_INT(fx_slash(ALICE, CHAN, "help"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "cancel <why> [INC-N]");
    fx_close();
}

int main(void)
{
    xmalloc_init_cjson();
    RUN(test_cancel_declared);
    RUN(test_cancel_published_withdraws);
    RUN(test_dismiss_potential);
    RUN(test_dismiss_button);
    RUN(test_cancel_announcement_line);
    RUN(test_refusals_change_nothing);
    RUN(test_render_cancelled);
    RUN(test_help_lists_cancel);
    return CHECK_DONE();
}
