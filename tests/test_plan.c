/*
 * Unit tests of the plan's rules (commands/plan*.c, cmd_*.c) for declaring
 * and setting up incidents: what each command or click writes (incident,
 * roles, timeline, reminders) and which effects it enqueues, and that every
 * mistake is answered and changes nothing. Against a real SQLite file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "plan_fixture.h"
#include "store_directory.h"
#include "utf8.h"

#define ALICE "U0ALICE0001"
#define BOB "U0BOB000002"
#define CAROL "U0CAROL0003"

/* Everything that changes state, counted: a refused request must leave these as they were. */
static long long state_count(void)
{
    return fx_int("SELECT (SELECT count(*) FROM incidents) + (SELECT count(*) FROM roles) + "
                  "(SELECT count(*) FROM timeline) + (SELECT count(*) FROM reminders) + "
                  "(SELECT count(*) FROM outbox WHERE kind != 'slack.respond')");
}

static long long effects(const char *kind)
{
    return fx_int("SELECT count(*) FROM outbox WHERE kind = '%s'", kind);
}

static long long calls(const char *method)
{
    return fx_int("SELECT count(*) FROM outbox WHERE kind = 'slack.call' AND "
                  "json_extract(payload, '$.method') = '%s'", method);
}

/* The channel's name comes from the title's words, not from its stored form's entities. */
static void test_channel_name_from_the_words(void)
{
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C0GENERAL01", "declare R&amp;D search &lt;slow&gt; for "
                       "<@U0BOB000002|bob>"),
              BOT_OK);
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.names[0]') FROM outbox WHERE kind = "
                     "'slack.create_channel'"),
              "inc-2026-11-23-1-r-d-search-slow-for-bob");
    fx_close();
}

static void test_declare_by_text_sets_everything_up(void)
{
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C0GENERAL01", "declare DB <!channel> down --sev critical --users 40 "
                       "--started 1h --component api"),
              BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM incidents"), 1);
    CHECK_STR(fx_str("SELECT status || ' ' || severity || ' ' || declarer FROM incidents"),
              "investigating critical " ALICE);
    CHECK_INT(fx_int("SELECT affected_users FROM incidents"), 40);
    CHECK_INT(fx_int("SELECT declared_at - started_at FROM incidents"), 3600000);
    CHECK_STR(fx_str("SELECT c.name FROM incident_components ic JOIN components c ON c.id = "
                     "ic.component_id"),
              "api");
    /* The channel: template name first, variants after, public. */
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.names[0]') FROM outbox WHERE kind = "
                     "'slack.create_channel'"),
              "inc-2026-11-23-1-db-channel-down");
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.names[1]') FROM outbox WHERE kind = "
                     "'slack.create_channel'"),
              "inc-2026-11-23-1-db-channel-down-2");
    CHECK_INT(fx_int("SELECT json_array_length(payload, '$.names') FROM outbox WHERE kind = "
                     "'slack.create_channel'"),
              PLAN_CHANNEL_VARIANTS);
    CHECK_INT(fx_int("SELECT json_extract(payload, '$.is_private') FROM outbox WHERE kind = "
                     "'slack.create_channel'"),
              0);
    /* Declarer and the two on-call engineers invited; nobody twice. */
    CHECK_INT(calls("conversations.invite"), 3);
    CHECK_INT(fx_int("SELECT count(DISTINCT json_extract(payload, '$.args.users')) FROM outbox "
                     "WHERE json_extract(payload, '$.method') = 'conversations.invite'"),
              3);
    CHECK_INT(calls("conversations.setPurpose"), 1);
    CHECK_CONTAINS(fx_str("SELECT json_extract(payload, '$.args.purpose') FROM outbox WHERE "
                          "json_extract(payload, '$.method') = 'conversations.setPurpose'"),
                   "DB @channel down");
    CHECK_INT(effects("incident.control"), 1);
    CHECK_INT(effects("incident.topic"), 1);
    CHECK_INT(effects("incident.announce"), 1);
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.channel') FROM outbox WHERE kind = "
                     "'incident.announce'"),
              "C0INCIDENTS");
    /* The call link from the template, as a bookmark and on the incident. */
    CHECK_STR(fx_str("SELECT call_url FROM incidents"),
              "https://meet.example.com/inc-2026-11-23-1-db-channel-down");
    CHECK_INT(calls("bookmarks.add"), 1);
    /* The channel comes first in the incident's lane; everything else after it. */
    CHECK_STR(fx_str("SELECT kind FROM outbox WHERE incident_id = 1 ORDER BY id LIMIT 1"),
              "slack.create_channel");
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE incident_id = 1 AND target != 'slack'"),
              0);
    /* The welcome message pings the IRM group; user text is escaped everywhere. */
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%<!subteam^S0IRMGROUP1>%%'"),
              1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%<!channel>%%'"), 0);
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE text LIKE '%%<!channel>%%'"), 0);
    CHECK_STR(fx_str("SELECT kind FROM timeline"), "declare");
    /* The declarer's answer, in the fast lane. */
    CHECK_CONTAINS(fx_last_reply(), "INC-1");
    CHECK_STR(fx_str("SELECT target FROM outbox WHERE kind = 'slack.respond'"), "fast");
    fx_close();
}

static void test_declare_twice_same_event_is_one_incident(void)
{
    const char payload[] = "{\"command\":\"/incident\",\"text\":\"declare X is down\",\"user_id\":"
                           "\"U0ALICE0001\",\"channel_id\":\"C1\",\"response_url\":\"https://h/x\"}";
    struct plan p;
    struct bot_err err;
    fx_open();
    /* A first attempt that crashed before its commit: rolled back. */
    worker_plan_init(&p, &fx_cfg, fx_store, fx_now, "env-same");
    CHECK_INT(store_begin(fx_store, &err), BOT_OK);
    CHECK_INT(worker_decide(&p, "slash_commands", payload, &err), BOT_OK);
    store_rollback(fx_store);
    CHECK_INT(fx_decide("slash_commands", payload, "env-same"), BOT_OK);
    long long n = fx_int("SELECT count(*) FROM outbox");
    CHECK_INT(fx_int("SELECT count(*) FROM incidents"), 1);
    /* Effects carry keys made of the event id: the same decision enqueues the same keys. */
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE idem_key LIKE 'env-same/%%'"), n);
    fx_close();
}

static void test_breach_declare_is_private_with_dpo_and_clock(void)
{
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Leaked tokens --breach --sev minor"), BOT_OK);
    CHECK_STR(fx_str("SELECT severity FROM incidents"), "major"); /* a breach is at least major */
    CHECK_INT(fx_int("SELECT breach FROM incidents"), 1);
    CHECK_INT(fx_int("SELECT breach_at FROM incidents"), fx_now);
    CHECK_INT(fx_int("SELECT json_extract(payload, '$.is_private') FROM outbox WHERE kind = "
                     "'slack.create_channel'"),
              1);
    CHECK_STR(fx_str("SELECT user_id FROM roles WHERE role = 'dpo'"), "U0DPO000001");
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE json_extract(payload, '$.args.users') = "
                     "'U0DPO000001'"),
              1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%regulator-notification "
                     "clock started%%'"),
              1);
    /* The DPO is told why. */
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%<@U0DPO000001>, you are "
                     "asked to join as the DPO because%%'"),
              1);
    /* Reminders 24, 4 and 1 h before the 72 h deadline, and one at it. */
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'breach_clock'"), 4);
    CHECK_INT(fx_int("SELECT min(due_at) FROM reminders"), fx_now + 48LL * 3600000);
    CHECK_INT(fx_int("SELECT max(due_at) FROM reminders"), fx_now + 72LL * 3600000);
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE kind = 'declare'"),
                   "raised from minor");
    fx_close();
}

static void test_breach_later_on_public_channel_advises(void)
{
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Odd logins"), BOT_OK);
    fx_channel_created(1, "C0INC000001");
    CHECK_INT(fx_slash(BOB, "C0INC000001", "breach"), BOT_OK);
    CHECK_INT(fx_int("SELECT breach FROM incidents"), 1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%cannot make a public "
                     "channel private%%'"),
              1);
    CHECK_CONTAINS(fx_last_reply(), "stays so");
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'breach_clock' AND state = "
                     "'pending'"),
              4);
    /* Marking it again changes nothing. */
    long long before = state_count();
    CHECK_INT(fx_slash(BOB, "C0INC000001", "breach"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "already suspected");
    CHECK_INT(state_count(), before);
    /* The decision stops the clock. */
    CHECK_INT(fx_slash(CAROL, "C0INC000001", "breach notify no only <b>hashes</b> leaked"),
              BOT_OK);
    CHECK_CONTAINS(fx_str("SELECT value FROM incident_attrs WHERE key = 'breach_decision'"),
                   "do not notify");
    CHECK_CONTAINS(fx_str("SELECT value FROM incident_attrs WHERE key = 'breach_decision'"),
                   "&lt;b&gt;hashes");
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE state = 'pending'"), 0);
    fx_close();
}

static void test_below_threshold_asks_and_promotes(void)
{
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Blip --users 2"), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "potential");
    CHECK_INT(fx_int("SELECT below_threshold FROM incidents"), 1);
    CHECK_INT(effects("slack.create_channel"), 0);
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'definition'"), 1);
    CHECK_CONTAINS(fx_last_reply(), "2 users affected");
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.message.blocks[1].elements[0].action_id') "
                     "FROM outbox WHERE kind = 'slack.respond'"),
              "inc_declare_anyway");
    /* "Declare anyway" on that message. */
    const char click[] =
        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U0ALICE0001\"},\"response_url\":"
        "\"https://h/a\",\"actions\":[{\"action_id\":\"inc_declare_anyway\",\"block_id\":"
        "\"inc1_definition\",\"value\":\"1\"}]}";
    CHECK_INT(fx_decide("interactive", click, "env-click"), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "investigating");
    CHECK_INT(effects("slack.create_channel"), 1);
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'promote'"), 1);
    /* Once more: already declared, nothing new. */
    long long before = state_count();
    CHECK_INT(fx_decide("interactive", click, "env-click-2"), BOT_OK);
    CHECK_INT(state_count(), before);
    CHECK_CONTAINS(fx_last_reply(), "already declared");
    fx_close();
}

static void test_below_threshold_by_duration_and_keep_potential(void)
{
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Slow page --started 5m"), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "potential");
    CHECK_CONTAINS(fx_last_reply(), "5 min");
    const char click[] =
        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U0ALICE0001\"},\"response_url\":"
        "\"https://h/a\",\"actions\":[{\"action_id\":\"inc_keep_potential\",\"value\":\"1\"}]}";
    CHECK_INT(fx_decide("interactive", click, "env-keep"), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "potential");
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'potential'"), 1);
    CHECK_INT(effects("slack.create_channel"), 0);
    /* Later: promoted by command. */
    CHECK_INT(fx_slash(BOB, "C1", "promote INC-1"), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "investigating");
    CHECK_INT(effects("slack.create_channel"), 1);
    /* At threshold exactly is an incident; giving neither is taken at its word. */
    CHECK_INT(fx_slash(ALICE, "C1", "declare Five users --users 5"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, "C1", "declare Nothing said"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM incidents WHERE status = 'investigating'"), 3);
    fx_close();
}

static void test_roles_by_command_and_button(void)
{
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare API errors"), BOT_OK);
    fx_channel_created(1, "C0INC000001");
    fx_views_delivered();
    long long control_before = effects("incident.control");
    /* Take IRM by button. */
    const char take[] =
        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U0BOB000002\"},\"channel\":{\"id\":"
        "\"C0INC000001\"},\"response_url\":\"https://h/a\",\"actions\":[{\"action_id\":"
        "\"inc_take_irm\",\"block_id\":\"inc1_actions\",\"value\":\"1\"}]}";
    CHECK_INT(fx_decide("interactive", take, "env-take"), BOT_OK);
    CHECK_STR(fx_str("SELECT user_id FROM roles WHERE role = 'irm' AND ended_at IS NULL"), BOB);
    CHECK(effects("incident.control") > control_before);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE json_extract(payload, '$.args.users') = "
                     "'U0BOB000002'"),
              1);
    /* The IRM is asked to appoint the liaisons, and reminded later. */
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%appoint a technical "
                     "liaison%%'"),
              1);
    /* Carol takes it over with the same button (the control message now asks to confirm):
     * Bob is told in the channel; Bob handing it back himself tells nobody. */
    const char over[] =
        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U0CAROL0003\"},\"channel\":{\"id\":"
        "\"C0INC000001\"},\"response_url\":\"https://h/a\",\"actions\":[{\"action_id\":"
        "\"inc_take_irm\",\"block_id\":\"inc1_actions\",\"value\":\"1\"}]}";
    CHECK_INT(fx_decide("interactive", over, "env-over"), BOT_OK);
    CHECK_STR(fx_str("SELECT user_id FROM roles WHERE role = 'irm' AND ended_at IS NULL"), CAROL);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%:arrows_counterclockwise: "
                     "<@" BOB ">, you are no longer the IRM of INC-1: <@" CAROL "> took it "
                     "over.%%'"),
              1);
    CHECK_INT(fx_slash(CAROL, "C0INC000001", "role irm <@U0BOB000002>"), BOT_OK);
    CHECK_STR(fx_str("SELECT user_id FROM roles WHERE role = 'irm' AND ended_at IS NULL"), BOB);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%you are no longer the "
                     "IRM%%'"),
              1);
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'liaisons' AND state = "
                     "'pending'"),
              1);
    /* Tech liaison by command in the channel, then re-assigned: history kept. */
    CHECK_INT(fx_slash(BOB, "C0INC000001", "role tech <@U0CAROL0003|carol>"), BOT_OK);
    CHECK_INT(fx_slash(BOB, "C0INC000001", "role technical <@U0ALICE0001>"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM roles WHERE role = 'tech'"), 2);
    CHECK_STR(fx_str("SELECT user_id FROM roles WHERE role = 'tech' AND ended_at IS NULL"), ALICE);
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE kind = 'role' ORDER BY id DESC"),
                   "before: <@" CAROL ">");
    /* The same again: answered, nothing changes. */
    long long before = state_count();
    CHECK_INT(fx_slash(BOB, "C0INC000001", "role tech <@U0ALICE0001>"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "already the technical liaison");
    CHECK_INT(state_count(), before);
    /* Support liaison by the select on the control message: the liaisons reminder goes. */
    const char sel[] =
        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U0BOB000002\"},\"response_url\":"
        "\"https://h/a\",\"actions\":[{\"action_id\":\"inc_role_support\",\"block_id\":"
        "\"inc1_roles\",\"selected_user\":\"U0DAVE00004\"}]}";
    CHECK_INT(fx_decide("interactive", sel, "env-sel"), BOT_OK);
    CHECK_STR(fx_str("SELECT user_id FROM roles WHERE role = 'support'"), "U0DAVE00004");
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'liaisons' AND state = "
                     "'pending'"),
              0);
    /* Named from elsewhere; "me". */
    CHECK_INT(fx_slash(CAROL, "C0RANDOM001", "role dpo me INC-1"), BOT_OK);
    CHECK_STR(fx_str("SELECT user_id FROM roles WHERE role = 'dpo'"), CAROL);
    CHECK_INT(fx_slash(CAROL, "C0RANDOM001", "show 1"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "DPO: <@" CAROL ">");
    CHECK_CONTAINS(fx_last_reply(), "IRM: <@" BOB ">");
    fx_close();
}

static void test_irm_list_restricts_who_takes_it(void)
{
    static const char *const irms[] = {"U0DAVE00004"};
    struct plan_config saved = fx_cfg;
    fx_cfg.irm_group = "";
    fx_cfg.irm_users = irms;
    fx_cfg.n_irm_users = 1;
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare API errors"), BOT_OK);
    fx_channel_created(1, "C0INC000001");
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%<@U0DAVE00004>: an IRM "
                     "is needed%%'"),
              1);
    long long before = state_count();
    CHECK_INT(fx_slash(BOB, "C0INC000001", "role irm me"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "not one of the IRMs");
    CHECK_INT(state_count(), before);
    /* Bob is not on the response team either, so he cannot appoint Dave; Alice (the declarer)
     * can, and Dave, an IRM, can take it himself. */
    CHECK_INT(fx_slash(BOB, "C0INC000001", "role irm <@U0DAVE00004>"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Only the incident's response team");
    CHECK_INT(state_count(), before);
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "role irm <@U0DAVE00004>"), BOT_OK);
    CHECK_STR(fx_str("SELECT user_id FROM roles WHERE role = 'irm'"), "U0DAVE00004");
    CHECK_INT(fx_slash("U0DAVE00004", "C0INC000001", "role tech <@U0BOB000002>"), BOT_OK);
    CHECK_STR(fx_str("SELECT user_id FROM roles WHERE role = 'tech'"), BOB);
    /* Once on the team, Bob may appoint; Carol, off it, may not appoint herself. */
    CHECK_INT(fx_slash(BOB, "C0INC000001", "role support <@U0ALICE0001>"), BOT_OK);
    CHECK_STR(fx_str("SELECT user_id FROM roles WHERE role = 'support'"), ALICE);
    long long before2 = state_count();
    CHECK_INT(fx_slash(CAROL, "C0INC000001", "role dpo me"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "may appoint the DPO");
    CHECK_INT(state_count(), before2);
    fx_close();
    fx_cfg = saved;
}

static void test_directory_refuses_unknown_deactivated_and_bots(void)
{
    struct bot_err err;
    struct store_directory_user users[] = {
        {.user_id = ALICE, .name = "alice"},
        {.user_id = BOB, .name = "bob"},
        {.user_id = "U0FRANK0006", .name = "frank", .deleted = true},
        {.user_id = "U0PAGERBOT1", .name = "pagerbot", .is_bot = true},
    };
    const char *const group[] = {ALICE};
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare API errors"), BOT_OK);
    fx_channel_created(1, "C0INC000001");
    /* Never synced: nobody can be checked, so the mention is taken at its word. */
    CHECK_INT(fx_slash(BOB, "C0INC000001", "role support <@U0NOBODY999>"), BOT_OK);
    CHECK_STR(fx_str("SELECT user_id FROM roles WHERE role = 'support'"), "U0NOBODY999");
    CHECK_INT(store_directory_replace_users(fx_store, users, 4, fx_now, &err), BOT_OK);
    CHECK_INT(store_directory_replace_group(fx_store, "S0IRMGROUP1", group, 1, fx_now, &err),
              BOT_OK);
    long long before = state_count();
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "role tech <@U0NOBODY998>"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "There is no user <@U0NOBODY998> in this workspace");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "role tech <@U0FRANK0006>"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "is deactivated");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "role tech <@U0PAGERBOT1>"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "is a bot");
    /* IRMs are the group's members as last synced. */
    CHECK_INT(fx_slash(BOB, "C0INC000001", "role irm me"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "not one of the IRMs");
    CHECK_INT(state_count(), before);
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "role irm <@U0ALICE0001>"), BOT_OK);
    CHECK_STR(fx_str("SELECT user_id FROM roles WHERE role = 'irm'"), ALICE);
    fx_close();
}

static void test_severity_changes_are_recorded(void)
{
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Checkout slow --sev minor"), BOT_OK);
    fx_channel_created(1, "C0INC000001");
    CHECK_INT(fx_slash(BOB, "C0INC000001", "severity critical checkout <!here> fails for all"),
              BOT_OK);
    CHECK_STR(fx_str("SELECT severity FROM incidents"), "critical");
    const char *t = fx_str("SELECT text FROM timeline WHERE kind = 'severity'");
    CHECK_CONTAINS(t, "from minor to critical by <@" BOB ">");
    CHECK_CONTAINS(t, "checkout @here fails"); /* the reason as sent, pinging nobody */
    CHECK(strstr(t, "<!here>") == NULL);
    CHECK_STR(fx_str("SELECT actor FROM timeline WHERE kind = 'severity'"), BOB);
    /* The announcement gets a threaded update. */
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE json_extract(payload, '$.args.thread_ts') "
                     "= '{{incident.announce_ts}}'"),
              1);
    /* By the select on the control message. */
    const char sel[] =
        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U0ALICE0001\"},\"response_url\":"
        "\"https://h/a\",\"actions\":[{\"action_id\":\"inc_severity\",\"block_id\":"
        "\"inc1_actions\",\"selected_option\":{\"value\":\"major\"}}]}";
    CHECK_INT(fx_decide("interactive", sel, "env-sev"), BOT_OK);
    CHECK_STR(fx_str("SELECT severity FROM incidents"), "major");
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'severity'"), 2);
    fx_close();
}

static void test_raise_on_public_incident_prompts_status_page(void)
{
    struct store_incident inc;
    struct bot_err err;
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Checkout slow --sev minor"), BOT_OK);
    CHECK_INT(store_incident_get(fx_store, 1, &inc, &err), BOT_OK);
    inc.published = 1;
    inc.published_at = fx_now;
    inc.channel_id = xstrdup("C0INC000001");
    CHECK_INT(store_incident_update(fx_store, &inc, &err), BOT_OK);
    store_incident_clear(&inc);
    CHECK_INT(fx_slash(BOB, "C0INC000001", "severity major"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "status page's impact follow");
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.message.blocks[1].elements[0].value') FROM "
                     "outbox WHERE kind = 'slack.respond' ORDER BY id DESC LIMIT 1"),
              "1:yes:major");
    /* "Yes": the new impact goes to the status page at once. */
    char click[400];
    snprintf(click, sizeof(click),
             "{\"type\":\"block_actions\",\"user\":{\"id\":\"U0BOB000002\"},\"response_url\":"
             "\"https://h/a\",\"actions\":[{\"action_id\":\"inc_sp_impact_yes\",\"value\":"
             "\"1:yes:major\"}]}");
    CHECK_INT(fx_decide("interactive", click, "env-impact"), BOT_OK);
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.impact') FROM outbox WHERE kind = "
                     "'statuspage.update' ORDER BY id DESC LIMIT 1"),
              "major");
    /* Lowering it does not ask. */
    CHECK_INT(fx_slash(BOB, "C0INC000001", "severity minor"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Done");
    fx_close();
}

static void test_call_link_by_hand(void)
{
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare API errors"), BOT_OK);
    fx_channel_created(1, "C0INC000001");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "call <https://zoom.example.com/j/123|zoom>"),
              BOT_OK);
    CHECK_STR(fx_str("SELECT call_url FROM incidents"), "https://zoom.example.com/j/123");
    CHECK_INT(calls("bookmarks.add"), 2);
    long long before = state_count();
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "call javascript:alert(1)"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "needs an http:// or https:// link");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "call https://a.example.com/<!channel>"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "not `https://a.example.com/@channel`");
    CHECK_INT(state_count(), before);
    fx_close();
}

/* Each mistake: a reply naming it, and nothing else changes. */
static void test_bad_inputs_change_nothing(void)
{
    static const struct {
        const char *channel, *text, *want;
    } cases[] = {
        {"C1", "frobnicate", "Unknown command `frobnicate`"},
        {"C1", "declare --sev major", "title"},
        {"C1", "declare DB down --sev huge", "huge"},
        {"C1", "declare DB down --users -3", "--users"},
        {"C1", "declare DB down --frobnicate", "--frobnicate"},
        {"C1", "declare DB down --started 99:99", "--started"},
        {"C0INC000001", "role tech @nobody", "there is no user `@nobody`"},
        {"C0INC000001", "role boss <@U0BOB000002>", "There is no role `boss`"},
        {"C0INC000001", "role tech <!channel>", "not `@channel`"},
        {"C0INC000001", "severity huge", "There is no severity `huge`"},
        {"C0RANDOM001", "role tech me", "not an incident's"},
        {"C0RANDOM001", "severity major", "not an incident's"},
        {"C0RANDOM001", "show", "not an incident's"},
        {"C0RANDOM001", "show INC-99", "no incident INC-99"},
        {"C0RANDOM001", "promote 99", "no incident INC-99"},
        {"C0INC000001", "breach notify maybe", "notified and why"},
        {"C0INC000001", "role tech <@U0BOB000002> extra", "Usage"},
        {"C1", "help &<>", "&amp;&lt;&gt;"},
    };
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare API errors"), BOT_OK);
    fx_channel_created(1, "C0INC000001");
    long long before = state_count();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long long replies = effects("slack.respond");
        CHECK_INT(fx_slash(BOB, cases[i].channel, cases[i].text), BOT_OK);
        CHECK_MSG(effects("slack.respond") == replies + 1, "no reply to %s", cases[i].text);
        CHECK_MSG(strstr(fx_last_reply(), cases[i].want) != NULL, "%s: reply %s lacks %s",
                  cases[i].text, fx_last_reply(), cases[i].want);
        CHECK_MSG(strstr(fx_last_reply(), "<!channel>") == NULL, "%s: unescaped", cases[i].text);
        CHECK_MSG(state_count() == before, "%s changed the state", cases[i].text);
    }
    fx_close();
}

/* text with every "NULHERE" replaced by the JSON escape "\u0000" (cJSON would print "\\u0000"). */
static char *with_nul_escape(const char *text)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    for (const char *s = text; *s;) {
        if (strncmp(s, "NULHERE", 7) == 0) {
            (void)!buf_addstr(&b, "\\u0000");
            s += 7;
        } else {
            (void)!buf_add(&b, s++, 1);
        }
    }
    return buf_take(&b);
}

/* A slash command as Slack sends it, with "\u0000" where text says NULHERE. */
static enum bot_rc slash_with_nul(const char *user, const char *channel, const char *text,
                                  const char *event_id)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "command", "/incident");
    cJSON_AddStringToObject(p, "text", text);
    cJSON_AddStringToObject(p, "user_id", user);
    cJSON_AddStringToObject(p, "channel_id", channel);
    cJSON_AddStringToObject(p, "response_url", "https://hooks.slack.com/commands/T1/1/x");
    char *s = cJSON_PrintUnformatted(p), *j = with_nul_escape(s);
    cJSON_Delete(p);
    enum bot_rc rc = fx_decide("slash_commands", j, event_id);
    free(j);
    free(s);
    return rc;
}

/* Issue 13: quotes are kept as typed; controls, NULs and bidi overrides change nothing. */
static void test_quotes_kept_and_hidden_characters_refused(void)
{
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Users see \"Error 500\" --sev major --component "
                                    "\"EU API\""),
              BOT_OK);
    CHECK_STR(fx_str("SELECT title || ' / ' || severity FROM incidents WHERE id = 1"),
              "Users see \"Error 500\" / major");
    CHECK_STR(fx_str("SELECT c.name FROM incident_components ic JOIN components c ON c.id = "
                     "ic.component_id WHERE ic.incident_id = 1"),
              "EU API");
    fx_channel_created(1, "C0INC000001");
    CHECK_INT(fx_slash(BOB, "C0INC000001", "note the “fix”  didn't\n  work: 'cache' INC-1"),
              BOT_OK);
    CHECK_STR(fx_str("SELECT text FROM timeline WHERE kind = 'note'"),
              "the “fix”  didn't\n  work: 'cache'");

    long long before = state_count();
    CHECK_INT(fx_slash(BOB, "C1", "declare Users see \xe2\x80\xae" "005 rorrE --sev critical"),
              BOT_OK);
    CHECK_STR(fx_last_reply(), ":warning: The command contains a right-to-left override (U+202E) "
                               "at character 19 (right after “declare Users see ”); remove it "
                               "and try again. Nothing changed.");
    CHECK_INT(fx_slash(BOB, "C0INC000001", "status identified Fixed \xe2\x81\xa7" "x"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "a right-to-left isolate (U+2067) at character 25");
    CHECK_INT(fx_slash(BOB, "C0INC000001", "note beep \x07"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "a control character (U+0007) at character 11");
    /* cJSON alone would have declared "DB" and lost the rest silently. */
    CHECK_INT(slash_with_nul(BOB, "C1", "declare DB NULHERE down --sev minor", "env-nul"), BOT_OK);
    CHECK_STR(fx_last_reply(), ":warning: The command contains a NUL character (U+0000) at "
                               "character 12 (right after “declare DB ”); remove it and try "
                               "again. Nothing changed.");
    CHECK_INT(slash_with_nul(BOB, "C0INC000001", "update NULHERE", "env-nul-2"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "a NUL character (U+0000) at character 8");
    CHECK_INT(state_count(), before);
    CHECK_INT(fx_int("SELECT count(*) FROM incidents"), 1);
    fx_close();
}

/* The same in a form: refused in the ack under the field, and by the plan. */
static void test_form_refuses_hidden_characters(void)
{
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C0GENERAL01", "declare"), BOT_OK);
    cJSON *view = cJSON_Parse(fx_str("SELECT json_extract(payload, '$.args.view') FROM outbox "
                                     "WHERE json_extract(payload, '$.method') = 'views.open'"));
    CHECK(view != NULL);
    cJSON *sub = cJSON_CreateObject();
    cJSON_AddStringToObject(sub, "type", "view_submission");
    cJSON_AddItemToObject(sub, "user", cJSON_Parse("{\"id\":\"U0ALICE0001\"}"));
    cJSON_AddItemToObject(sub, "view", view);
    cJSON *values = cJSON_AddObjectToObject(cJSON_AddObjectToObject(view, "state"), "values");
    cJSON *title = cJSON_AddObjectToObject(cJSON_AddObjectToObject(values, "title"),
                                           "title_input");
    cJSON_AddStringToObject(title, "type", "plain_text_input");
    cJSON *tv = cJSON_AddStringToObject(title, "value", "Users see \xe2\x80\xae" "005");
    cJSON *desc = cJSON_AddObjectToObject(cJSON_AddObjectToObject(values, "description"),
                                          "description_input");
    cJSON_AddStringToObject(desc, "type", "plain_text_input");
    cJSON *dv = cJSON_AddStringToObject(desc, "value", "Line one\n\tline \"two\"");
    static const struct {
        const char *title, *desc, *block, *want;
    } cases[] = {
        {"Users see \xe2\x80\xae" "005", NULL, "title",
         "The field “Title” contains a right-to-left override (U+202E) at character 11 (right "
         "after “Users see ”); remove it and try again."},
        {"Users\tsee", NULL, "title", "The field “Title” contains a tab (U+0009) at character 6"},
        {"Users see", "ok\n\xc2\x9b", "description",
         "The field “Description” contains a control character (U+009B) at character 4"},
        {"Users see", "ok" UTF8_NUL_MARK "cut", "description",
         "The field “Description” contains a NUL character (U+0000) at character 3"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *errors = NULL;
        cJSON_SetValuestring(tv, cases[i].title);
        cJSON_SetValuestring(dv, cases[i].desc ? cases[i].desc : "Line one\n\tline \"two\"");
        plan_check_submission(sub, &errors);
        const char *got = cJSON_GetStringValue(
            cJSON_GetObjectItem(cJSON_GetObjectItem(errors, "errors"), cases[i].block));
        CHECK_MSG(got != NULL && strstr(got, cases[i].want) != NULL, "case %zu: %s", i,
                  got ? got : "no error");
        cJSON_Delete(errors);
        char *s = cJSON_PrintUnformatted(sub), id[32];
        snprintf(id, sizeof(id), "env-form-%zu", i);
        CHECK_INT(fx_decide("interactive", s, id), BOT_OK);
        free(s);
        CHECK_INT(fx_int("SELECT count(*) FROM incidents"), 0);
    }
    /* A "\u0000" in the JSON, as Slack would send it: the plan refuses it too. */
    cJSON_SetValuestring(tv, "Users see 500s");
    cJSON_SetValuestring(dv, "cut NULHERE here");
    char *s = cJSON_PrintUnformatted(sub), *j = with_nul_escape(s);
    CHECK_INT(fx_decide("interactive", j, "env-form-nul"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM incidents"), 0);
    free(j);
    free(s);
    /* Quotes, line breaks and tabs where the input is multiline are fine. */
    cJSON *errors = NULL;
    cJSON_SetValuestring(tv, "Users see \"Error 500\"");
    cJSON_SetValuestring(dv, "Line one\n\tline \"two\"");
    plan_check_submission(sub, &errors);
    CHECK(errors == NULL);
    s = cJSON_PrintUnformatted(sub);
    CHECK_INT(fx_decide("interactive", s, "env-form-ok"), BOT_OK);
    free(s);
    CHECK_STR(fx_str("SELECT title FROM incidents"), "Users see \"Error 500\"");
    cJSON_Delete(sub);
    fx_close();
}

static void test_list_and_show(void)
{
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "list"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "No open incidents");
    CHECK_INT(fx_slash(ALICE, "C1", "declare First one"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, "C1", "declare Second <@U0BOB000002> --users 1"), BOT_OK);
    fx_channel_created(1, "C0INC000001");
    CHECK_INT(fx_slash(ALICE, "C1", "list"), BOT_OK);
    const char *r = fx_last_reply();
    CHECK_CONTAINS(r, "*2 open incidents:*");
    CHECK_CONTAINS(r, "*INC-1* major · investigating · <#C0INC000001> · First one");
    CHECK_CONTAINS(r, "*INC-2* major · potential · Second someone");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "show"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "*INC-1: First one*");
    CHECK_CONTAINS(fx_last_reply(), "No IRM yet");
    fx_close();
}

static void test_modal_open_and_submit(void)
{
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C0GENERAL01", "declare"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM incidents"), 0);
    CHECK_STR(fx_str("SELECT target FROM outbox WHERE json_extract(payload, '$.method') = "
                     "'views.open'"),
              "fast");
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.args.trigger_id') FROM outbox"),
              "1.2.trigger");
    const char *meta = fx_str("SELECT json_extract(payload, '$.args.view.private_metadata') FROM "
                              "outbox");
    CHECK_CONTAINS(meta, "C0GENERAL01");
    char *metas = xstrdup(meta);

    /* A blank title is refused in the ack (the modal stays open) and by the plan. */
    cJSON *sub = cJSON_Parse(
        "{\"type\":\"view_submission\",\"user\":{\"id\":\"U0ALICE0001\"},\"view\":{"
        "\"callback_id\":\"incident_declare\",\"state\":{\"values\":{\"title\":{\"title_input\":"
        "{\"type\":\"plain_text_input\",\"value\":\"   \"}}}}}}");
    cJSON_AddStringToObject(cJSON_GetObjectItem(sub, "view"), "private_metadata", metas);
    cJSON *errors = NULL;
    plan_check_submission(sub, &errors);
    CHECK(errors != NULL);
    CHECK_STR(cJSON_GetObjectItem(errors, "response_action")->valuestring, "errors");
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(errors, "errors"), "title") != NULL);
    cJSON_Delete(errors);
    char *s = cJSON_PrintUnformatted(sub);
    CHECK_INT(fx_decide("interactive", s, "env-sub-1"), BOT_OK);
    free(s);
    CHECK_INT(fx_int("SELECT count(*) FROM incidents"), 0);

    /* A good one: scope and share suggest the severity; a breach makes it private. */
    cJSON *values = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(sub, "view"),
                                                            "state"),
                                        "values");
    cJSON_SetValuestring(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(values,
                                                                                     "title"),
                                                                 "title_input"),
                                             "value"),
                         "Payments fail");
    cJSON_AddItemToObject(values, "scope",
                          cJSON_Parse("{\"scope_input\":{\"type\":\"static_select\","
                                      "\"selected_option\":{\"value\":\"whole_product\"}}}"));
    plan_check_submission(sub, &errors);
    CHECK(errors == NULL);
    s = cJSON_PrintUnformatted(sub);
    CHECK_INT(fx_decide("interactive", s, "env-sub-2"), BOT_OK);
    free(s);
    CHECK_STR(fx_str("SELECT title || ' ' || severity FROM incidents"), "Payments fail critical");
    CHECK_INT(effects("slack.create_channel"), 1);
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.url') FROM outbox WHERE kind = "
                     "'slack.respond'"),
              "https://hooks.slack.com/commands/T1/1/x");
    cJSON_Delete(sub);
    free(metas);
    fx_close();
}

/*
 * A view_submission of the declare modal the bot opened (the last views.open
 * in the outbox), answered as Slack would: the blocks in answers (JSON text,
 * block_id -> a value: a string for a select or a text input, a number of
 * seconds for the start time) are filled in; every other input keeps its
 * initial value, or comes back empty (null) when it has none. The caller
 * frees the result with cJSON_Delete().
 */
static cJSON *form_answers(const char *answers)
{
    cJSON *view = cJSON_Parse(fx_str("SELECT json_extract(payload, '$.args.view') FROM outbox "
                                     "WHERE json_extract(payload, '$.method') = 'views.open' "
                                     "ORDER BY id DESC LIMIT 1"));
    cJSON *given = cJSON_Parse(answers), *values = cJSON_CreateObject();
    if (view == NULL || given == NULL)
        abort(); /* a test's typo, or no modal */
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(view, "blocks"))
    {
        const cJSON *el = cJSON_GetObjectItem(b, "element");
        const char *bid = cJSON_GetStringValue(cJSON_GetObjectItem(b, "block_id"));
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(el, "type"));
        const cJSON *g = cJSON_GetObjectItem(given, bid);
        cJSON *e =
            cJSON_AddObjectToObject(cJSON_AddObjectToObject(values, bid),
                                    cJSON_GetStringValue(cJSON_GetObjectItem(el, "action_id")));
        cJSON_AddStringToObject(e, "type", type);
        if (strcmp(type, "static_select") == 0) {
            const cJSON *init = cJSON_GetObjectItem(el, "initial_option");
            if (g != NULL)
                cJSON_AddStringToObject(cJSON_AddObjectToObject(e, "selected_option"), "value",
                                        g->valuestring);
            else
                cJSON_AddItemToObject(e, "selected_option",
                                      init ? cJSON_Duplicate(init, 1) : cJSON_CreateNull());
        } else if (strcmp(type, "datetimepicker") == 0) {
            const cJSON *init = cJSON_GetObjectItem(el, "initial_date_time");
            cJSON_AddItemToObject(e, "selected_date_time",
                                  g      ? cJSON_Duplicate(g, 1)
                                  : init ? cJSON_Duplicate(init, 1)
                                         : cJSON_CreateNull());
        } else if (strcmp(type, "checkboxes") == 0 || strcmp(type, "multi_static_select") == 0) {
            cJSON *arr = cJSON_AddArrayToObject(e, "selected_options");
            if (g != NULL) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "value", g->valuestring);
                cJSON_AddItemToArray(arr, o);
            }
        } else {
            const cJSON *init = cJSON_GetObjectItem(el, "initial_value");
            cJSON_AddItemToObject(e, "value",
                                  g      ? cJSON_Duplicate(g, 1)
                                  : init ? cJSON_Duplicate(init, 1)
                                         : cJSON_CreateNull());
        }
    }
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "view_submission");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "user"), "id", ALICE);
    cJSON *v = cJSON_AddObjectToObject(p, "view");
    cJSON_AddStringToObject(v, "callback_id", "incident_declare");
    cJSON_AddItemToObject(v, "private_metadata",
                          cJSON_DetachItemFromObject(view, "private_metadata"));
    cJSON_AddItemToObject(v, "blocks", cJSON_DetachItemFromObject(view, "blocks"));
    cJSON_AddItemToObject(cJSON_AddObjectToObject(v, "state"), "values", values);
    cJSON_Delete(view);
    cJSON_Delete(given);
    return p;
}

/* Opens the form and submits form_answers(answers), which the ack must accept. */
static void declare_by_form(const char *answers)
{
    static int n;
    char id[32];
    cJSON *errors = NULL;
    CHECK_INT(fx_slash(ALICE, "C0GENERAL01", "declare"), BOT_OK);
    cJSON *sub = form_answers(answers);
    plan_check_submission(sub, &errors);
    char *s = cJSON_PrintUnformatted(sub);
    snprintf(id, sizeof id, "env-form-%d", ++n);
    enum bot_rc rc = fx_decide("interactive", s, id);
    free(s);
    cJSON_Delete(sub);
    bool acked = errors == NULL;
    cJSON_Delete(errors);
    CHECK(acked);
    CHECK_INT(rc, BOT_OK);
}

/*
 * The form starts with no start time and no severity: an untouched one is
 * not judged by the incident definition, and an empty severity is the
 * suggestion from scope, share of customers and breach (major when none is
 * given, as for a text declare). A start time or a user count the user
 * entered is judged.
 */
static void test_form_suggests_and_judges_only_what_was_entered(void)
{
    fx_open();
    declare_by_form("{\"title\":\"Everything down\",\"scope\":\"whole_product\","
                    "\"percent\":\"80\"}");
    CHECK_STR(fx_str("SELECT severity || ' ' || status || ' ' || below_threshold FROM incidents "
                     "WHERE id = 1"),
              "critical investigating 0");
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'definition'"), 0);
    CHECK_INT(effects("slack.create_channel"), 1);

    /* Only the title: the default severity, and nothing to judge. */
    declare_by_form("{\"title\":\"Search slow\"}");
    CHECK_STR(fx_str("SELECT severity || ' ' || status || ' ' || below_threshold FROM incidents "
                     "WHERE id = 2"),
              "major investigating 0");

    /* A share alone suggests; a chosen severity wins over the suggestion. */
    declare_by_form("{\"title\":\"Some logins fail\",\"percent\":\"12\"}");
    declare_by_form("{\"title\":\"Login down\",\"scope\":\"whole_product\","
                    "\"severity\":\"minor\"}");
    CHECK_STR(fx_str("SELECT group_concat(severity, ',') FROM (SELECT severity FROM incidents "
                     "WHERE id IN (3, 4) ORDER BY id)"),
              "major,minor");

    /* What was entered is judged: a start 5 minutes ago, 2 users. */
    char answers[160];
    snprintf(answers, sizeof answers, "{\"title\":\"Blip\",\"started\":%lld}",
             (long long)(fx_now / 1000 - 5 * 60));
    declare_by_form(answers);
    CHECK_STR(fx_str("SELECT status FROM incidents WHERE id = 5"), "potential");
    CHECK_CONTAINS(fx_last_reply(), "started 5 min ago");
    declare_by_form("{\"title\":\"Two users\",\"users\":\"2\"}");
    CHECK_STR(fx_str("SELECT status FROM incidents WHERE id = 6"), "potential");
    CHECK_CONTAINS(fx_last_reply(), "2 users affected");
    CHECK(strstr(fx_last_reply(), "minute") == NULL);
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'definition'"), 2);
    fx_close();
}

static void test_reminders(void)
{
    struct store_reminder *rows = NULL;
    size_t n = 0;
    struct bot_err err;
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Leak --breach"), BOT_OK);
    fx_channel_created(1, "C0INC000001");
    CHECK_INT(fx_slash(BOB, "C0INC000001", "role irm me"), BOT_OK);
    /* Due after 15 minutes: the liaisons; after 48 h: the first breach reminder. */
    CHECK_INT(store_reminder_due(fx_store, fx_now + 49LL * 3600000, 10, &rows, &n, &err), BOT_OK);
    CHECK_INT(n, 2);
    for (size_t i = 0; i < n; i++) {
        struct plan p;
        char id[32];
        snprintf(id, sizeof(id), "reminder-%zu", i);
        worker_plan_init(&p, &fx_cfg, fx_store, fx_now + 49LL * 3600000, id);
        CHECK_INT(store_begin(fx_store, &err), BOT_OK);
        CHECK_INT(plan_reminder(&p, &rows[i], &err), BOT_OK);
        CHECK_INT(store_commit(fx_store, &err), BOT_OK);
    }
    store_reminder_list_free(rows, n);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%a reminder: this incident "
                     "still has no technical liaison and no support liaison%%'"),
              1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%24 h left to decide%%'"),
              1);
    fx_close();
}


static void test_irm_unclaimed_reminds_until_taken(void)
{
    struct plan_config saved = fx_cfg;
    fx_cfg.irm_unclaimed_minutes = 15;
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare API errors"), BOT_OK);
    fx_channel_created(1, "C0INC000001");
    CHECK_INT(fx_run_due(fx_now + 14 * 60000), 0);
    CHECK_INT(fx_run_due(fx_now + 15 * 60000), 1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%has had no IRM for 15 "
                     "minutes%%'"),
              1);
    /* The next one is scheduled; once someone takes the role it is cancelled. */
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'irm_unclaimed' AND state = "
                     "'pending' AND due_at = %lld",
                     (long long)(fx_now + 30 * 60000)),
              1);
    CHECK_INT(fx_slash(BOB, "C0INC000001", "role irm me"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'irm_unclaimed' AND state = "
                     "'pending'"),
              0);
    CHECK_INT(fx_run_due(fx_now + 60 * 60000), 1); /* the liaisons reminder, not another IRM one */
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%has had no IRM%%'"), 1);
    fx_close();
    fx_cfg = saved;
}

static void test_public_update_reminder(void)
{
    struct store_incident inc;
    struct bot_err err;
    struct plan_config saved = fx_cfg;
    fx_cfg.public_update_minutes = 60;
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Checkout fails"), BOT_OK);
    CHECK_INT(store_incident_get(fx_store, 1, &inc, &err), BOT_OK);
    inc.published = 1;
    inc.published_at = fx_now;
    inc.channel_id = xstrdup("C0INC000001");
    CHECK_INT(store_incident_update(fx_store, &inc, &err), BOT_OK);
    store_incident_clear(&inc);
    CHECK_INT(fx_slash(BOB, "C0INC000001", "role support me"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "status identified The payment provider is down"),
              BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'public_update' AND state = "
                     "'pending' AND due_at = %lld",
                     (long long)(fx_now + 60 * 60000)),
              1);
    CHECK_INT(fx_run_due(fx_now + 60 * 60000), 1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%<@" BOB ">: INC-1 is "
                     "public and its status page has had no update for 60 minutes%%'"),
              1);
    /* Resolved: the clock stops. */
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "status monitoring Fix deployed"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "status resolved All good"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'public_update' AND state = "
                     "'pending'"),
              0);
    fx_close();
    fx_cfg = saved;
}

static void test_publish_preview_then_confirm(void)
{
    struct plan_config saved = fx_cfg;
    fx_cfg.irm_group = ""; /* no IRMs: only the team may publish */
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Checkout <b>fails</b> --component payments"),
              BOT_OK);
    fx_channel_created(1, "C0INC000001");
    /* An update before publishing is refused; so is publishing by someone off the team. */
    long long before = state_count();
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "update Still looking"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "is not public: publish it first");
    CHECK_INT(fx_slash(CAROL, "C0INC000001", "publish"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Only the incident's response team");
    CHECK_INT(state_count(), before);
    /* The preview: the message as it will read, escaped, and the buttons; nothing public yet. */
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "publish Payments <script> are failing"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Preview: INC-1 on the public status page");
    CHECK_CONTAINS(fx_last_reply(), "Payments &lt;script&gt; are failing");
    CHECK_INT(fx_int("SELECT published FROM incidents"), 0);
    CHECK_INT(effects("statuspage.create"), 0);
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.message.blocks[1].elements[0].action_id') "
                     "FROM outbox WHERE kind = 'slack.respond' ORDER BY id DESC LIMIT 1"),
              "inc_publish_confirm");
    /* Confirmed: public, on the record, mirrored with the draft's text. */
    const char click[] =
        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U0ALICE0001\"},\"response_url\":"
        "\"https://h/a\",\"actions\":[{\"action_id\":\"inc_publish_confirm\",\"value\":\"1\"}]}";
    CHECK_INT(fx_decide("interactive", click, "env-pub"), BOT_OK);
    CHECK_INT(fx_int("SELECT published FROM incidents"), 1);
    CHECK_INT(fx_int("SELECT published_at FROM incidents"), fx_now);
    CHECK_STR(fx_str("SELECT text FROM timeline WHERE kind = 'publish' AND public = 1"),
              "Payments <script> are failing");
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.body') FROM outbox WHERE kind = "
                     "'statuspage.create'"),
              "Payments <script> are failing");
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.components[0]') || ' ' || "
                     "json_extract(payload, '$.impact') || ' ' || target FROM outbox WHERE kind = "
                     "'statuspage.create'"),
              "payments major statuspage");
    /* Public updates now go out, and publishing twice is answered. */
    CHECK_INT(fx_slash(BOB, "C0INC000001", "update We found the cause"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Only the incident's response team");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "update We found the cause"), BOT_OK);
    CHECK_INT(effects("statuspage.update"), 1);
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE public = 1"), 2);
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "publish"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "public already");
    fx_close();
    fx_cfg = saved;
}

static void test_no_mirror_no_statuspage_effects(void)
{
    struct plan_config saved = fx_cfg;
    fx_cfg.mirror = false;
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Checkout fails"), BOT_OK);
    fx_channel_created(1, "C0INC000001");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "publish"), BOT_OK);
    const char click[] =
        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U0ALICE0001\"},\"response_url\":"
        "\"https://h/a\",\"actions\":[{\"action_id\":\"inc_publish_confirm\",\"value\":\"1\"}]}";
    CHECK_INT(fx_decide("interactive", click, "env-pub"), BOT_OK);
    CHECK_INT(fx_int("SELECT published FROM incidents"), 1);
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "status identified Cause found"), BOT_OK);
    /* Only the built-in page shows it (from the store): nothing for a lane that nobody drains. */
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE target = 'statuspage'"), 0);
    fx_close();
    fx_cfg = saved;
}

/* The built-in page's component statuses follow its published incidents, with or without the
 * Atlassian mirror: the worst an unresolved published incident gives, operational after. */
static void publish_click(int id, const char *env)
{
    char click[300];
    snprintf(click, sizeof(click),
             "{\"type\":\"block_actions\",\"user\":{\"id\":\"U0ALICE0001\"},\"response_url\":"
             "\"https://h/a\",\"actions\":[{\"action_id\":\"inc_publish_confirm\",\"value\":"
             "\"%d\"}]}",
             id);
    CHECK_INT(fx_decide("interactive", click, env), BOT_OK);
}

static const char *component_status(void)
{
    return fx_str("SELECT status FROM components WHERE name = 'payments'");
}

static void test_page_components_follow_incidents(void)
{
    struct plan_config saved = fx_cfg;
    fx_cfg.mirror = false;
    fx_cfg.irm_group = "";
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Checkout fails --sev major --component payments"),
              BOT_OK);
    fx_channel_created(1, "C0INC000001");
    CHECK_STR(component_status(), "operational"); /* not public: the page does not change */
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "publish"), BOT_OK);
    publish_click(1, "env-pub1");
    CHECK_STR(component_status(), "partial_outage");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "severity critical Everyone is affected"), BOT_OK);
    CHECK_STR(component_status(), "major_outage");
    /* A second, minor incident on the same component does not soften it ... */
    CHECK_INT(fx_slash(ALICE, "C1", "declare Slow receipts --sev minor --component payments"),
              BOT_OK);
    fx_channel_created(2, "C0INC000002");
    CHECK_INT(fx_slash(ALICE, "C0INC000002", "publish"), BOT_OK);
    publish_click(2, "env-pub2");
    CHECK_STR(component_status(), "major_outage");
    /* ... and holds it once the first is resolved; the last resolve restores it. */
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "status identified Found it"), BOT_OK);
    CHECK_STR(component_status(), "major_outage"); /* still open */
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "status monitoring Fix deployed"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "status resolved Fixed"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "resolved");
    CHECK_STR(component_status(), "degraded_performance");
    CHECK_INT(fx_slash(ALICE, "C0INC000002", "role irm me"), BOT_OK); /* an IRM may skip ahead */
    CHECK_INT(fx_slash(ALICE, "C0INC000002", "status resolved Fixed too"), BOT_OK);
    CHECK_STR(component_status(), "operational");
    /* Every change is in the history the uptime bars are drawn from. */
    CHECK_INT(fx_int("SELECT count(*) FROM component_status_log h JOIN components c ON c.id = "
                     "h.component_id WHERE c.name = 'payments'"),
              4);
    fx_close();
    fx_cfg = saved;
}

static void test_pure_helpers(void)
{
    char id[32], why[300], url[200];
    int64_t n;
    CHECK(plan_parse_user("<@U0BOB000002|bob>", "U1", id, sizeof(id), why, sizeof(why)));
    CHECK_STR(id, "U0BOB000002");
    CHECK(plan_parse_user("me", "U0SELF", id, sizeof(id), why, sizeof(why)));
    CHECK_STR(id, "U0SELF");
    CHECK(!plan_parse_user("<@u0bob>", "U1", id, sizeof(id), why, sizeof(why)));
    CHECK(!plan_parse_user("<!channel>", "U1", id, sizeof(id), why, sizeof(why)));
    CHECK_CONTAINS(why, "`@channel`");
    CHECK(plan_parse_incident_ref("INC-42", &n) && n == 42);
    CHECK(plan_parse_incident_ref("#7", &n) && n == 7);
    CHECK(!plan_parse_incident_ref("INC-0", &n));
    CHECK(!plan_parse_incident_ref("42x", &n));
    CHECK(!plan_parse_incident_ref("9999999999999999", &n));
    CHECK_INT(plan_call_url("https://m.example.com/{channel}?i={id}", 42, "inc-42-db", url,
                            sizeof(url)),
              BOT_OK);
    CHECK_STR(url, "https://m.example.com/inc-42-db?i=42");
    CHECK(plan_severity_higher(SEV_CRITICAL, SEV_MAJOR));
    CHECK(!plan_severity_higher(SEV_MINOR, SEV_MAJOR));
}

static const struct hours office = {
    .enabled = true,
    .days = {true, true, true, true, true, false, false},
    .start_min = 9 * 60,
    .end_min = 17 * 60,
};

static void test_in_business_hours_pages_irms(void)
{
    struct plan_config saved = fx_cfg;
    fx_cfg.hours = office; /* fx_now is Monday 10:00 UTC */
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare API errors --sev minor"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%<!subteam^S0IRMGROUP1>: "
                     "an IRM is needed%%'"),
              1);
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'out_of_hours'"), 0);
    fx_close();
    fx_cfg = saved;
}

static void test_out_of_hours_minor_waits_critical_pages(void)
{
    static const char *const rotation[] = {"U0ROTA00001", "U0ROTA00002"};
    struct plan_config saved = fx_cfg;
    int64_t saved_now = fx_now;
    fx_cfg.hours = office;
    fx_cfg.escalate[SEV_CRITICAL] = true;
    fx_cfg.oncall_group = "S0ONCALL001";
    fx_cfg.rotation = rotation;
    fx_cfg.n_rotation = 2;
    fx_cfg.rotation_start_ms = fx_now - 7LL * 24 * 3600000; /* last week: this week is U0ROTA00002 */
    fx_now += 5LL * 24 * 3600000 - 7LL * 3600000;           /* Saturday 03:00 UTC */
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Search slow --sev minor"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'out_of_hours' AND text LIKE "
                     "'%%Sat 03:00%%'"),
              1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%<!subteam^S0ONCALL001> "
                     "<@U0ONCALL001> <@U0ONCALL002> <@U0ROTA00002>: On call%%'"),
              1);
    /* Each on-call engineer gets a direct message; this week's rotation engineer is invited. */
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE json_extract(payload, '$.method') = "
                     "'chat.postMessage' AND json_extract(payload, '$.args.channel') LIKE 'U0%%'"),
              3);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE json_extract(payload, '$.args.users') = "
                     "'U0ROTA00002'"),
              1);
    /* A minor incident does not page the IRMs; the decision is on the record. */
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%S0IRMGROUP1%%'"), 0);
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE kind = 'escalation'"),
                   "IRMs not paged: severity minor");
    /* Raised to critical later: now they are paged, once. */
    fx_channel_created(1, "C0INC000001");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "severity critical"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%<!subteam^S0IRMGROUP1>: "
                     "an IRM is needed to run the plan (severity raised to critical)%%'"),
              1);
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "severity major"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "severity critical"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%an IRM is needed%%'"), 1);
    /* A critical one out of hours pages them at once. */
    CHECK_INT(fx_slash(ALICE, "C1", "declare Everything down --sev critical"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE incident_id = 2 AND payload LIKE "
                     "'%%S0IRMGROUP1>: an IRM is needed to run the plan (severity critical "
                     "escalates%%'"),
              1);
    fx_close();
    fx_cfg = saved;
    fx_now = saved_now;
}

static void test_permissions(void)
{
    static const char *const declarers[] = {ALICE};
    static const char *const admins[] = {"U0DAVE00004"};
    struct plan_config saved = fx_cfg;
    fx_cfg.declare_everyone = false;
    fx_cfg.declare_users = declarers;
    fx_cfg.n_declare_users = 1;
    fx_cfg.manage_irms = false;
    fx_cfg.admins = admins;
    fx_cfg.n_admins = 1;
    fx_open();
    CHECK_INT(fx_slash(BOB, "C1", "declare Not allowed"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Only <@" ALICE "> may declare");
    CHECK_INT(fx_int("SELECT count(*) FROM incidents"), 0);
    CHECK_INT(fx_slash(ALICE, "C1", "declare Allowed --sev minor"), BOT_OK);
    fx_channel_created(1, "C0INC000001");
    /* Not on the team, not an admin: refused, saying who may. */
    long long before = state_count();
    CHECK_INT(fx_slash(BOB, "C0INC000001", "severity major"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Only the incident's response team, the admins may change");
    CHECK_INT(state_count(), before);
    /* On the team (a role), the declarer, an admin: allowed. */
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "role support <@U0BOB000002>"), BOT_OK);
    CHECK_INT(fx_slash(BOB, "C0INC000001", "severity major"), BOT_OK);
    CHECK_STR(fx_str("SELECT severity FROM incidents"), "major");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "severity critical"), BOT_OK);
    CHECK_INT(fx_slash("U0DAVE00004", "C0INC000001", "severity minor"), BOT_OK);
    CHECK_STR(fx_str("SELECT severity FROM incidents"), "minor");
    fx_close();
    fx_cfg = saved;
}

/* Many declares: every channel name distinct, every incident set up. */
static void test_many_declares_unique_names(void)
{
    fx_open();
    for (int i = 0; i < 200; i++)
        CHECK_INT(fx_slash(ALICE, "C1", "declare Same title every time"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM incidents"), 200);
    CHECK_INT(effects("slack.create_channel"), 200);
    CHECK_INT(fx_int("SELECT count(DISTINCT json_extract(payload, '$.names[0]')) FROM outbox "
                     "WHERE kind = 'slack.create_channel'"),
              200);
    CHECK_INT(effects("incident.control"), 200);
    fx_close();
}

int main(void)
{
    xmalloc_init_cjson();
    RUN(test_pure_helpers);
    RUN(test_declare_by_text_sets_everything_up);
    RUN(test_channel_name_from_the_words);
    RUN(test_declare_twice_same_event_is_one_incident);
    RUN(test_breach_declare_is_private_with_dpo_and_clock);
    RUN(test_breach_later_on_public_channel_advises);
    RUN(test_below_threshold_asks_and_promotes);
    RUN(test_below_threshold_by_duration_and_keep_potential);
    RUN(test_roles_by_command_and_button);
    RUN(test_irm_list_restricts_who_takes_it);
    RUN(test_directory_refuses_unknown_deactivated_and_bots);
    RUN(test_severity_changes_are_recorded);
    RUN(test_raise_on_public_incident_prompts_status_page);
    RUN(test_call_link_by_hand);
    RUN(test_bad_inputs_change_nothing);
    RUN(test_quotes_kept_and_hidden_characters_refused);
    RUN(test_form_refuses_hidden_characters);
    RUN(test_list_and_show);
    RUN(test_modal_open_and_submit);
    RUN(test_form_suggests_and_judges_only_what_was_entered);
    RUN(test_reminders);
    RUN(test_irm_unclaimed_reminds_until_taken);
    RUN(test_public_update_reminder);
    RUN(test_publish_preview_then_confirm);
    RUN(test_page_components_follow_incidents);
    RUN(test_no_mirror_no_statuspage_effects);
    RUN(test_in_business_hours_pages_irms);
    RUN(test_out_of_hours_minor_waits_critical_pages);
    RUN(test_permissions);
    RUN(test_many_declares_unique_names);
    return CHECK_DONE();
}
