/*
 * Unit tests of plan steps 4-7 (commands/plan_status.c, cmd_note.c,
 * cmd_status.c, cmd_timeline.c, render_status.c): notes, status changes by
 * command, button and modal, the severity re-assessment prompt and its
 * reminder, the timeline command; and that every refused request is
 * answered and changes nothing. Against a real SQLite file, decisions made
 * the way the worker makes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "plan_fixture.h"
#include "render.h"
#include "render_status.h"
#include "store_checklist.h"

#define ALICE "U0ALICE0001"
#define BOB "U0BOB000002"
#define CAROL "U0CAROL0003"
#define DAVE "U0DAVE00004"
#define CHAN "C0INC000001"

/* Everything that changes state, counted: a refused request must leave these as they were. */
static long long state_count(void)
{
    return fx_int("SELECT (SELECT count(*) FROM incidents) + (SELECT count(*) FROM roles) + "
                  "(SELECT count(*) FROM timeline) + (SELECT count(*) FROM reminders) + "
                  "(SELECT count(*) FROM checklist) + "
                  "(SELECT count(*) FROM outbox WHERE kind != 'slack.respond') + "
                  "(SELECT sum(version) FROM incidents)");
}

static long long effects(const char *kind)
{
    return fx_int("SELECT count(*) FROM outbox WHERE kind = '%s'", kind);
}

/* Texts of chat.postMessage calls into the incident's channel / the announcement's thread. */
static long long posts_like(const char *pattern)
{
    return fx_int("SELECT count(*) FROM outbox WHERE kind = 'slack.call' AND "
                  "json_extract(payload, '$.method') = 'chat.postMessage' AND "
                  "json_extract(payload, '$.args.thread_ts') IS NULL AND "
                  "json_extract(payload, '$.args.text') LIKE '%s'", pattern);
}

static long long thread_posts_like(const char *pattern)
{
    return fx_int("SELECT count(*) FROM outbox WHERE kind = 'slack.call' AND "
                  "json_extract(payload, '$.args.thread_ts') = '{{incident.announce_ts}}' AND "
                  "json_extract(payload, '$.args.channel') = '{{incident.announce_channel}}' AND "
                  "json_extract(payload, '$.args.text') LIKE '%s'", pattern);
}

/* 2026-11-23 10:00:00 UTC, a Monday in business hours: each test starts there. */
#define T0 1795428000000LL

/* A declared incident with its channel, INC-1 in CHAN, declared by ALICE. */
static void declared(void)
{
    fx_now = T0;
    fx_open();
    if (fx_slash(ALICE, "C0GENERAL01", "declare Checkout fails") != BOT_OK)
        abort();
    fx_channel_created(1, CHAN);
}

/*
 * A private incident (a suspected breach) in the announcement channel: the
 * redacted announcement is kept current, and nothing is threaded under it,
 * unless [privacy] private_thread_updates says so.
 */
static void test_private_incident_threads_nothing(void)
{
    for (int threads = 0; threads < 2; threads++) {
        struct plan_config saved = fx_cfg;
        fx_cfg.privacy.private_thread_updates = threads == 1;
        fx_now = T0;
        fx_open();
        CHECK_INT(fx_slash(ALICE, "C0GENERAL01", "declare Export SECRET-T leaked --breach"),
                  BOT_OK);
        fx_channel_created(1, CHAN);
        CHECK_INT(fx_slash(BOB, CHAN, "note files are names, emails SECRET-N"), BOT_OK);
        CHECK_INT(fx_slash(ALICE, CHAN, "severity critical SECRET-W"), BOT_OK);
        CHECK_INT(fx_slash(ALICE, CHAN, "status identified SECRET-S"), BOT_OK);
        CHECK_INT(fx_slash(DAVE, "C0GENERAL01", "list"), BOT_OK); /* its number only */
        CHECK_CONTAINS(fx_last_reply(), "*INC-1* critical · identified · :lock: a private "
                                        "incident");
        CHECK(strstr(fx_last_reply(), "SECRET") == NULL);
        CHECK_INT(fx_slash(ALICE, CHAN, "status monitoring SECRET-M"), BOT_OK);
        CHECK_INT(fx_slash(ALICE, CHAN, "status resolved SECRET-R"), BOT_OK);
        CHECK_STR(fx_str("SELECT status FROM incidents"), "resolved");
        CHECK(effects("incident.announce") >= 1); /* the redacted announcement follows */
        long long under = fx_int("SELECT count(*) FROM outbox WHERE json_extract(payload, "
                                 "'$.args.channel') = '{{incident.announce_channel}}'");
        long long secret = fx_int("SELECT count(*) FROM outbox WHERE json_extract(payload, "
                                  "'$.args.channel') = '{{incident.announce_channel}}' AND "
                                  "payload LIKE '%%SECRET%%'");
        if (threads == 0) {
            CHECK_INT(under, 0);
            CHECK_INT(secret, 0);
        } else {
            CHECK_MSG(under >= 5, "%lld under the announcement", under);
            CHECK(secret >= 5);
        }
        /* The incident channel keeps the whole record. */
        CHECK(posts_like("%SECRET-N%") >= 1);
        /* Someone outside its team, elsewhere, learns nothing more. */
        static const char *const asks[] = {"show INC-1", "timeline INC-1", "note more INC-1",
                                           "severity minor SECRET-X INC-1"};
        for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
            long long before = fx_int("SELECT count(*) FROM timeline");
            CHECK_INT(fx_slash(DAVE, "C0GENERAL01", asks[i]), BOT_OK);
            CHECK_CONTAINS(fx_last_reply(), "INC-1 is a private incident");
            CHECK(strstr(fx_last_reply(), "SECRET") == NULL);
            CHECK_INT(fx_int("SELECT count(*) FROM timeline"), before);
        }
        /* Its team may, from anywhere, and anyone in its (private) channel. */
        CHECK_INT(fx_slash(ALICE, "C0GENERAL01", "show INC-1"), BOT_OK);
        CHECK_CONTAINS(fx_last_reply(), "SECRET-T");
        CHECK_INT(fx_slash(DAVE, CHAN, "timeline"), BOT_OK);
        CHECK_CONTAINS(fx_last_reply(), "Timeline of INC-1");
        fx_close();
        fx_cfg = saved;
    }
}

static void fx_published(long long id);

/*
 * A public message as Slack sends it (entities, mentions, links) is stored
 * once as sent, shown in Slack with its mention working, and reaches the
 * public copies (the Atlassian mirror, here) as plain words.
 */
static void test_public_message_is_converted_once(void)
{
    declared();
    fx_published(1);
    CHECK_INT(fx_slash(ALICE, CHAN, "status identified A &amp; B (&gt;50%) for <@" BOB
                       "|bob> <!channel> see <https://example.com/x|our docs> "
                       "{{incident.channel_id}}"),
              BOT_OK);
    CHECK_STR(fx_str("SELECT text FROM timeline WHERE kind = 'status' AND public = 1"),
              "A &amp; B (&gt;50%) for <@" BOB "> @channel see <https://example.com/x|our docs> "
              "{{incident.channel_id}}");
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.body') FROM outbox WHERE kind = "
                     "'statuspage.update'"),
              "A & B (>50%) for @bob @channel see our docs {{incident.channel_id}}");
    CHECK(posts_like("%*Public message:* A &amp; B (&gt;50%) for <@" BOB "> @channel%") == 1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%&amp;amp;%%' OR payload "
                     "LIKE '%%&amp;lt;%%' OR payload LIKE '%%<!channel>%%'"),
              0);
    fx_close();
}

/* Pretends the incident was published to the status page. */
static void fx_published(long long id)
{
    struct store_incident inc;
    struct bot_err err;
    if (store_incident_get(fx_store, id, &inc, &err) != BOT_OK)
        abort();
    inc.published = 1;
    inc.published_at = fx_now;
    if (store_incident_update(fx_store, &inc, &err) != BOT_OK)
        abort();
    store_incident_clear(&inc);
}

/*
 * Decides every reminder due at `at` as the worker does (marked done in the
 * same transaction); returns how many of them were re-assessment prompts.
 */
static int run_due(int64_t at)
{
    int reassess = 0;
    struct store_reminder *rows = NULL;
    size_t n = 0;
    struct bot_err err;
    if (store_reminder_due(fx_store, at, 50, &rows, &n, &err) != BOT_OK)
        abort();
    for (size_t i = 0; i < n; i++) {
        struct plan p;
        char id[32];
        snprintf(id, sizeof(id), "reminder-%lld", (long long)rows[i].id);
        worker_plan_init(&p, &fx_cfg, fx_store, at, id);
        p.tz_offset_min = 0;
        if (store_begin(fx_store, &err) != BOT_OK ||
            store_reminder_done(fx_store, rows[i].id, at, &err) != BOT_OK ||
            plan_reminder(&p, &rows[i], &err) != BOT_OK || store_commit(fx_store, &err) != BOT_OK) {
            fprintf(stderr, "  reminder %s: %s\n", rows[i].kind, err.msg);
            abort();
        }
        reassess += strcmp(rows[i].kind, PLAN_REMINDER_REASSESS) == 0;
    }
    store_reminder_list_free(rows, n);
    return reassess;
}

static const char *checklist(int step)
{
    return fx_str("SELECT '1 ' || skipped || ' ' || coalesce(done_by, '-') FROM checklist "
                  "WHERE incident_id = 1 AND step = %d", step);
}

/* ---- step 4: notes ---- */

static void test_note_records_posts_and_threads(void)
{
    declared();
    CHECK_INT(fx_slash(BOB, CHAN, "note DB primary ran out of disk <!channel> at 42"), BOT_OK);
    CHECK_STR(fx_str("SELECT kind || ' ' || actor FROM timeline ORDER BY id DESC LIMIT 1"),
              "note " BOB);
    CHECK_STR(fx_str("SELECT text FROM timeline WHERE kind = 'note'"),
              "DB primary ran out of disk @channel at 42"); /* as sent, less the crowd ping */
    CHECK_INT(posts_like(":memo: Note by <@" BOB ">: DB primary ran out of disk @channel "
                         "at 42"),
              1);
    CHECK_INT(thread_posts_like("Note by <@" BOB ">: DB primary%"), 1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%<!channel>%%'"), 0);
    CHECK_CONTAINS(fx_last_reply(), "Noted on the timeline of INC-1");
    /* From anywhere, naming the incident; a bare trailing number stays part of the note. */
    CHECK_INT(fx_slash(CAROL, "C0GENERAL01", "note rolled back deploy 123 INC-1"), BOT_OK);
    CHECK_STR(fx_str("SELECT text FROM timeline WHERE kind = 'note' ORDER BY id DESC LIMIT 1"),
              "rolled back deploy 123");
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE incident_id = 1 AND target != 'slack'"),
              0);
    fx_close();
}

static void test_note_on_potential_incident_is_only_recorded(void)
{
    fx_now = T0;
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Blip --users 2"), BOT_OK);
    long long calls = effects("slack.call");
    CHECK_INT(fx_slash(ALICE, "C1", "note only two users saw it INC-1"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'note'"), 1);
    CHECK_INT(effects("slack.call"), calls);
    CHECK_CONTAINS(fx_last_reply(), "potential incident");
    fx_close();
}

/* ---- steps 5-7: status changes ---- */

static void test_status_by_command_moves_forward(void)
{
    declared();
    fx_views_delivered(); /* the setup's views are out: the change must ask for its own */
    CHECK_INT(fx_slash(BOB, CHAN, "status identified A bad deploy <b>broke</b> checkout"),
              BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "identified");
    CHECK_INT(fx_int("SELECT identified_at FROM incidents"), fx_now);
    CHECK_INT(fx_int("SELECT resolved_at FROM incidents"), 0);
    /* Step 5 done; the pointer on the first open step after it (plan_step_set's rule). */
    CHECK_STR(checklist(5), "1 0 " BOB);
    CHECK_INT(fx_int("SELECT step FROM incidents"), 6);
    /* The record: public, the message escaped like every entry, the new status. */
    CHECK_STR(fx_str("SELECT kind || '|' || actor || '|' || public || '|' || status || '|' || "
                     "text FROM timeline WHERE kind = 'status'"),
              "status|" BOB "|1|identified|A bad deploy &lt;b&gt;broke&lt;/b&gt; checkout");
    /* Control message, topic and announcement refreshed after the change. */
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE kind = 'incident.control' AND id > "
                     "(SELECT max(id) FROM outbox WHERE kind = 'slack.create_channel')"),
              2);
    CHECK_INT(effects("incident.topic"), 2);
    CHECK_INT(effects("incident.announce"), 2);
    CHECK_INT(posts_like(":mag: <@" BOB "> marked INC-1 *identified*.%Public message:* A bad "
                         "deploy &lt;b&gt;broke&lt;/b&gt; checkout%Internal only%"),
              1);
    CHECK_INT(thread_posts_like("Status changed to identified by <@" BOB ">: A bad deploy "
                                "&lt;b&gt;broke&lt;/b&gt; checkout"),
              1);
    /* Not public: nothing for the status page. */
    CHECK_INT(effects("statuspage.update"), 0);
    /* Step 4 goes on: the severity re-assessment prompt, with a severity menu. */
    CHECK_INT(posts_like(":scales: INC-1 is identified now. Is *major* still the right "
                         "severity?%"),
              1);
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.args.blocks[0].accessory.action_id') || ' ' "
                     "|| json_extract(payload, '$.args.blocks[0].block_id') || ' ' || "
                     "json_extract(payload, '$.args.blocks[0].accessory.initial_option.value') "
                     "FROM outbox WHERE payload LIKE '%%:scales:%%'"),
              "inc_severity inc1_reassess major");
    CHECK_CONTAINS(fx_last_reply(), "Done: INC-1 is identified.");

    fx_now += 600000;
    CHECK_INT(fx_slash(CAROL, CHAN, "status monitoring Fix deployed"), BOT_OK);
    CHECK_STR(fx_str("SELECT status || ' ' || step FROM incidents"), "monitoring 7");
    CHECK_INT(fx_int("SELECT identified_at FROM incidents"), fx_now - 600000);
    CHECK_INT(posts_like(":eyes: <@" CAROL "> marked INC-1 *monitoring*%"), 1);
    fx_now += 600000;
    CHECK_INT(fx_slash(CAROL, "C0GENERAL01", "status resolved All good again INC-1"), BOT_OK);
    CHECK_STR(fx_str("SELECT status || ' ' || step FROM incidents"), "resolved 8");
    CHECK_INT(fx_int("SELECT resolved_at FROM incidents"), fx_now);
    CHECK_STR(checklist(7), "1 0 " CAROL);
    /* Resolved: the internal postmortem falls due (plan_on_resolved, step 9). */
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = '%s' AND state = 'pending'",
                     PLAN_REMINDER_POSTMORTEM) > 0,
              1);
    CHECK_INT(posts_like("%INC-1 is resolved; its final severity goes into the postmortem%"), 1);
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'status' AND public = 1"), 3);
    fx_now -= 1200000;
    fx_close();
}

static void test_step_pointer_never_moves_back(void)
{
    struct store_incident inc;
    struct bot_err err;
    declared();
    CHECK_INT(store_incident_get(fx_store, 1, &inc, &err), BOT_OK);
    inc.step = 8; /* the team is ahead, e.g. in customer communication already */
    CHECK_INT(store_incident_update(fx_store, &inc, &err), BOT_OK);
    store_incident_clear(&inc);
    CHECK_INT(fx_slash(ALICE, CHAN, "status identified found it"), BOT_OK);
    CHECK_STR(fx_str("SELECT status || ' ' || step FROM incidents"), "identified 8");
    fx_close();
}

static void test_status_on_public_incident_goes_to_status_page(void)
{
    declared();
    fx_published(1);
    CHECK_INT(fx_slash(ALICE, CHAN, "status identified Payments & <checkout> are slow"), BOT_OK);
    CHECK_INT(effects("statuspage.update"), 1);
    CHECK_STR(fx_str("SELECT target || ' ' || incident_id FROM outbox WHERE kind = "
                     "'statuspage.update'"),
              "statuspage 1");
    /* The public body as typed (the status page escapes for its own format). */
    CHECK_STR(fx_str("SELECT payload FROM outbox WHERE kind = 'statuspage.update'"),
              "{\"status\":\"identified\",\"body\":\"Payments & <checkout> are slow\","
              "\"impact\":\"major\"}");
    CHECK_INT(posts_like("%It goes to the public status page too.%"), 1);
    CHECK_CONTAINS(fx_last_reply(), "the status page is being updated");
    fx_close();
}

static void test_button_opens_modal_and_submission_changes_status(void)
{
    static const char *const tmpl[3] = {"INC-{id} ({severity}): we found why {title} broke", NULL,
                                        NULL};
    declared();
    fx_cfg.status_templates[0] = tmpl[0];
    CHECK_INT(fx_slash(ALICE, CHAN, "role support <@" CAROL ">"), BOT_OK);
    long long before = state_count();
    CHECK_INT(fx_click(BOB, "inc_next_status", "1:identified"), BOT_OK);
    fx_cfg.status_templates[0] = NULL;
    /* The form, in the fast lane, with the template filled in; nothing else happened yet. */
    CHECK_STR(fx_str("SELECT target || ' ' || json_extract(payload, '$.args.trigger_id') || ' ' "
                     "|| json_extract(payload, '$.args.view.callback_id') FROM outbox WHERE "
                     "json_extract(payload, '$.method') = 'views.open'"),
              "fast 3.4.trigger incident_status");
    CHECK_INT(state_count(), before + 1);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "investigating");
    const char *view = fx_str("SELECT json_extract(payload, '$.args.view') FROM outbox WHERE "
                              "json_extract(payload, '$.method') = 'views.open'");
    CHECK_CONTAINS(view, "\"initial_value\":\"INC-1 (major): we found why Checkout fails broke\"");
    CHECK_CONTAINS(view, "<@" CAROL ">, the support liaison, announces status changes");
    CHECK_CONTAINS(view, "investigating → *identified*");
    CHECK_CONTAINS(view, "\"max_length\":2000");
    char *meta = xstrdup(fx_str("SELECT json_extract(payload, '$.args.view.private_metadata') "
                                "FROM outbox WHERE json_extract(payload, '$.method') = "
                                "'views.open'"));
    CHECK_CONTAINS(meta, "\"status\":\"identified\"");
    CHECK_CONTAINS(meta, "https://hooks.slack.com/actions/T1/2/y");

    /* An empty message is refused in the ack, under the field; the plan changes nothing. */
    static const char empty[] =
        "{\"message\":{\"message_input\":{\"type\":\"plain_text_input\",\"value\":\"  \\n \"}}}";
    cJSON *sub = fx_submission(BOB, RENDER_STATUS_CALLBACK, meta, empty);
    cJSON *errors = NULL;
    plan_check_submission(sub, &errors);
    CHECK(errors != NULL);
    CHECK_STR(cJSON_GetObjectItem(errors, "response_action")->valuestring, "errors");
    CHECK_CONTAINS(cJSON_GetObjectItem(cJSON_GetObjectItem(errors, "errors"), "message")
                       ->valuestring,
                   "Write the public message");
    cJSON_Delete(errors);
    cJSON_Delete(sub);
    before = state_count();
    CHECK_INT(fx_submit(BOB, RENDER_STATUS_CALLBACK, meta, empty), BOT_OK);
    CHECK_INT(state_count(), before);
    /* No value at all (the field cleared): the same. */
    sub = fx_submission(BOB, RENDER_STATUS_CALLBACK, meta,
                        "{\"message\":{\"message_input\":{\"type\":\"plain_text_input\","
                        "\"value\":null}}}");
    plan_check_submission(sub, &errors);
    CHECK(errors != NULL);
    cJSON_Delete(errors);
    cJSON_Delete(sub);
    /* A bidirectional override (or a control, or a NUL) in the public message: the same. */
    static const char rlo[] = "{\"message\":{\"message_input\":{\"type\":\"plain_text_input\","
                              "\"value\":\"Fixed.\\nPay \\u202e005\"}}}";
    sub = fx_submission(BOB, RENDER_STATUS_CALLBACK, meta, rlo);
    plan_check_submission(sub, &errors);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(errors, "errors"),
                                                       "message")),
              "This field contains a right-to-left override (U+202E) at character 12 (right "
              "after “Pay ”); remove it and try again.");
    cJSON_Delete(errors);
    cJSON_Delete(sub);
    CHECK_INT(fx_submit(BOB, RENDER_STATUS_CALLBACK, meta, rlo), BOT_OK);
    CHECK_INT(state_count(), before);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "investigating");

    /* A good one: acked without errors, then the change, answered where the button was. */
    static const char good[] = "{\"message\":{\"message_input\":{\"type\":\"plain_text_input\","
                               "\"value\":\"  We found it.\\nA fix is coming.  \"}}}";
    sub = fx_submission(BOB, RENDER_STATUS_CALLBACK, meta, good);
    plan_check_submission(sub, &errors);
    CHECK(errors == NULL);
    cJSON_Delete(sub);
    CHECK_INT(fx_submit(BOB, RENDER_STATUS_CALLBACK, meta, good), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "identified");
    CHECK_STR(fx_str("SELECT text FROM timeline WHERE kind = 'status'"),
              "We found it.\nA fix is coming.");
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.url') FROM outbox WHERE kind = "
                     "'slack.respond' ORDER BY id DESC LIMIT 1"),
              "https://hooks.slack.com/actions/T1/2/y");
    CHECK_CONTAINS(fx_last_reply(), "Done: INC-1 is identified");
    /* The support liaison is the one asked; someone else did it, and it says so. */
    CHECK_INT(posts_like("%<@" CAROL ">, as the support liaison: <@" BOB "> announced this in "
                         "your place.%"),
              1);
    /* A second submission of the same form (opened before the change) changes nothing. */
    before = state_count();
    CHECK_INT(fx_submit(BOB, RENDER_STATUS_CALLBACK, meta, good), BOT_OK);
    CHECK_INT(state_count(), before);
    CHECK_CONTAINS(fx_last_reply(), "already *identified*");
    free(meta);

    /* The support liaison themselves: no "in your place". */
    CHECK_INT(fx_slash(CAROL, CHAN, "status monitoring Fixed, watching"), BOT_OK);
    CHECK_INT(posts_like("%in your place%"), 1);
    fx_close();
}

/* After resolved the next-status button leads to the postmortem and the close. */
static void test_next_status_button_after_resolved(void)
{
    declared();
    CHECK_INT(fx_slash(ALICE, CHAN, "status identified found"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "status monitoring fixed"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "status resolved done"), BOT_OK);
    CHECK_INT(fx_click(ALICE, "inc_next_status", "1:postmortem"), BOT_OK);
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.args.view.callback_id') FROM outbox WHERE "
                     "json_extract(payload, '$.method') = 'views.open'"),
              "incident_postmortem");
    CHECK_INT(fx_click(ALICE, "inc_next_status", "1:closed"), BOT_OK); /* asks first */
    CHECK_CONTAINS(fx_last_reply(), "INC-1 still has 3 open steps on its checklist: 1. Set up, "
                                    "2. Announce, 3. Support plan.");
    CHECK_INT(fx_click(ALICE, "inc_publish", "1"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Preview: INC-1 on the public status page");
    CHECK_STR(fx_str("SELECT status FROM incidents"), "resolved");
    fx_close();
}

static void test_command_without_message_opens_modal(void)
{
    declared();
    CHECK_INT(fx_slash(ALICE, CHAN, "status identified"), BOT_OK);
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.args.trigger_id') FROM outbox WHERE "
                     "json_extract(payload, '$.method') = 'views.open'"),
              "1.2.trigger");
    const char *view = fx_str("SELECT json_extract(payload, '$.args.view') FROM outbox WHERE "
                              "json_extract(payload, '$.method') = 'views.open'");
    /* The built-in template when none is configured. */
    CHECK_CONTAINS(view, "We have identified the cause of the issue affecting Checkout fails");
    CHECK_CONTAINS(view, "No support liaison is appointed");
    CHECK_CONTAINS(view, "not on the status page");
    CHECK_STR(fx_str("SELECT status FROM incidents"), "investigating");
    fx_close();
}

static void test_irm_may_skip_and_it_is_recorded(void)
{
    declared();
    CHECK_INT(fx_slash(ALICE, CHAN, "role irm me"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "status monitoring Fixed before we knew why"), BOT_OK);
    CHECK_STR(fx_str("SELECT status || ' ' || step FROM incidents"), "monitoring 7");
    CHECK_INT(fx_int("SELECT identified_at FROM incidents"), fx_now);
    CHECK_STR(checklist(5), "1 1 " ALICE);
    CHECK_STR(checklist(6), "1 0 " ALICE);
    CHECK_STR(fx_str("SELECT text FROM timeline WHERE kind = 'skip'"),
              "Skipped identified: <@" ALICE ">, the IRM, moved INC-1 from investigating to "
              "monitoring");
    CHECK_INT(posts_like("%marked INC-1 *monitoring* (from investigating, skipping identified)%"),
              1);
    fx_close();
}

static void test_refusals_change_nothing(void)
{
    char long_msg[2100 + 40];
    snprintf(long_msg, sizeof(long_msg), "status identified ");
    memset(long_msg + strlen(long_msg), 'x', 2001);
    long_msg[18 + 2001] = '\0';
    char long_note[2100];
    snprintf(long_note, sizeof(long_note), "note ");
    memset(long_note + 5, 'y', 2001);
    long_note[5 + 2001] = '\0';
    static struct {
        const char *user, *channel, *text, *want;
    } cases[] = {
        {BOB, CHAN, "status fixed it works", "There is no status `fixed`"},
        {BOB, CHAN, "status <!channel>", "There is no status `@channel`"},
        {BOB, CHAN, "status postmortem", "*postmortem* is not set this way"},
        {BOB, CHAN, "status closed", "*closed* is not set this way"},
        {BOB, CHAN, "status investigating", "already *investigating*"},
        {BOB, CHAN, "status monitoring skipping ahead", "only its IRM <@" ALICE "> may do"},
        {BOB, CHAN, "status resolved", "skips identified"},
        {BOB, CHAN, NULL, "at most 2000 are allowed"},
        {BOB, "C0RANDOM001", "status identified found", "not an incident's"},
        {BOB, "C0RANDOM001", "status identified found INC-9", "no incident INC-9"},
        {BOB, "C0RANDOM001", "status identified found INC-2", "promote 2"},
        {BOB, "C0RANDOM001", "note seen by two INC-2", NULL}, /* allowed: recorded */
        {BOB, CHAN, "note INC-1", "Write the finding"},
        {BOB, CHAN, NULL, "at most 2000 are kept"},
        {BOB, "C0RANDOM001", "note something", "not an incident's"},
        {BOB, "C0RANDOM001", "timeline", "not an incident's"},
        {BOB, CHAN, "timeline extra", "is not an incident"},
        {BOB, CHAN, "status", "Usage"},
        {BOB, CHAN, "note", "Usage"},
    };
    cases[7].text = long_msg;
    cases[13].text = long_note;
    declared();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Blip --users 2"), BOT_OK); /* INC-2, potential */
    CHECK_INT(fx_slash(ALICE, CHAN, "role irm me"), BOT_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long long before = state_count(), replies = effects("slack.respond");
        CHECK_INT(fx_slash(cases[i].user, cases[i].channel, cases[i].text), BOT_OK);
        if (cases[i].want == NULL)
            continue;
        CHECK_MSG(effects("slack.respond") == replies + 1, "no reply to %.60s", cases[i].text);
        CHECK_MSG(strstr(fx_last_reply(), cases[i].want) != NULL, "%.60s: reply %s lacks %s",
                  cases[i].text, fx_last_reply(), cases[i].want);
        CHECK_MSG(strstr(fx_last_reply(), "<!channel>") == NULL, "%s: unescaped", cases[i].text);
        CHECK_MSG(state_count() == before, "%.60s changed the state", cases[i].text);
    }

    /* Repeating, stepping back from resolved, resolving a resolved incident. */
    CHECK_INT(fx_slash(ALICE, CHAN, "status identified found"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "status monitoring fixed"), BOT_OK);
    static const struct {
        const char *text, *want;
    } order[] = {
        {"status monitoring again", "INC-1 is already *monitoring*"},
        {"reopen it is back", "INC-1 is *monitoring*, not resolved: there is nothing to reopen"},
    };
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        long long before = state_count();
        CHECK_INT(fx_slash(BOB, CHAN, order[i].text), BOT_OK);
        CHECK_MSG(strstr(fx_last_reply(), order[i].want) != NULL, "%s: reply %s lacks %s",
                  order[i].text, fx_last_reply(), order[i].want);
        CHECK_INT(state_count(), before);
    }
    CHECK_INT(fx_slash(ALICE, CHAN, "status resolved done"), BOT_OK);
    long long before = state_count();
    CHECK_INT(fx_slash(ALICE, CHAN, "status resolved done again"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "INC-1 is already *resolved*; nothing changed.");
    /* A stale button (the control message not refreshed yet) is refused the same way. */
    CHECK_INT(fx_click(BOB, "inc_next_status", "1:monitoring"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "That button is out of date: INC-1 is *resolved* now");
    CHECK_INT(state_count(), before);
    CHECK_INT(fx_slash(BOB, CHAN, "status identified not fixed"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "reopen it with `/incident reopen <why> INC-1`");
    CHECK_INT(fx_slash(BOB, CHAN, "reopen"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "`/incident reopen <why> [INC-N]`");
    CHECK_INT(state_count(), before);
    fx_close();
}

static void test_no_irm_no_skip_and_permissions(void)
{
    declared();
    long long before = state_count();
    CHECK_INT(fx_slash(ALICE, CHAN, "status resolved all fine"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "skips identified, which only its IRM may do, and it has "
                                    "none");
    CHECK_INT(state_count(), before);
    /* [permissions] manage = ["team"]: someone outside the team may not change the status. */
    bool irms = fx_cfg.manage_irms, admins = fx_cfg.manage_admins;
    fx_cfg.manage_irms = fx_cfg.manage_admins = false;
    CHECK_INT(fx_slash(DAVE, CHAN, "status identified found it"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), ":no_entry: Only the incident's response team may change "
                                    "the status of INC-1; nothing changed.");
    CHECK_INT(fx_click(DAVE, "inc_next_status", "1:identified"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Only the incident's response team");
    CHECK_INT(state_count(), before);
    /* But anyone may add a note. */
    CHECK_INT(fx_slash(DAVE, CHAN, "note customers report timeouts"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'note'"), 1);
    /* The declarer is part of the team. */
    CHECK_INT(fx_slash(ALICE, CHAN, "status identified found it"), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "identified");
    fx_cfg.manage_irms = irms;
    fx_cfg.manage_admins = admins;
    fx_close();
}

static void test_submission_after_someone_else_changed_it(void)
{
    declared();
    CHECK_INT(fx_click(BOB, "inc_next_status", "1:identified"), BOT_OK);
    char *meta = xstrdup(fx_str("SELECT json_extract(payload, '$.args.view.private_metadata') "
                                "FROM outbox WHERE json_extract(payload, '$.method') = "
                                "'views.open'"));
    CHECK_INT(fx_slash(ALICE, CHAN, "status identified Alice was faster"), BOT_OK);
    long long before = state_count();
    CHECK_INT(fx_submit(BOB, RENDER_STATUS_CALLBACK, meta,
                        "{\"message\":{\"message_input\":{\"type\":\"plain_text_input\","
                        "\"value\":\"Bob's words\"}}}"),
              BOT_OK);
    CHECK_INT(state_count(), before);
    CHECK_CONTAINS(fx_last_reply(), "INC-1 is already *identified*");
    CHECK_STR(fx_str("SELECT text FROM timeline WHERE kind = 'status'"), "Alice was faster");
    /* Private metadata that is not ours: a protocol error, nothing written. */
    struct bot_err err = {{0}};
    cJSON *sub = fx_submission(BOB, RENDER_STATUS_CALLBACK, "{\"id\":\"x\"}",
                               "{\"message\":{\"message_input\":{\"type\":\"plain_text_input\","
                               "\"value\":\"x\"}}}");
    char *s = cJSON_PrintUnformatted(sub);
    CHECK_INT(fx_decide_err("interactive", s, "submit-bad", &err), BOT_EPROTO);
    CHECK_CONTAINS(err.msg, "private_metadata");
    free(s);
    cJSON_Delete(sub);
    CHECK_INT(state_count(), before);
    free(meta);
    fx_close();
}

/* ---- step 4: re-assessing the severity ---- */

static void test_reassess_reminder(void)
{
    fx_cfg.reassess_after_minutes = 60;
    declared();
    const int64_t min = 60000, t0 = fx_now;
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'reassess' AND state = "
                     "'pending'"),
              1);
    CHECK_INT(fx_int("SELECT due_at FROM reminders WHERE kind = 'reassess'"), t0 + 60 * min);
    /* A severity change restarts the clock. */
    fx_now = t0 + 10 * min;
    CHECK_INT(fx_slash(ALICE, CHAN, "role irm me"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "role tech <@" BOB ">"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "severity critical more customers affected"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'reassess' AND state = "
                     "'pending'"),
              1);
    CHECK_INT(fx_int("SELECT due_at FROM reminders WHERE kind = 'reassess' AND state = "
                     "'pending'"),
              t0 + 70 * min);
    CHECK_INT(run_due(t0 + 69 * min), 0);
    CHECK_INT(run_due(t0 + 70 * min), 1);
    CHECK_INT(posts_like(":scales: <@" ALICE "> <@" BOB "> The severity of INC-1 was set 60 min "
                         "ago. Is *critical* still the right severity?%"),
              1);
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE kind = 'reminder' ORDER BY id DESC"),
                   "Prompted to re-assess the severity (critical, 60 min ago)");
    /* And again after as long, while nobody changes it. */
    CHECK_INT(fx_int("SELECT due_at FROM reminders WHERE kind = 'reassess' AND state = "
                     "'pending'"),
              t0 + 130 * min);
    CHECK_INT(run_due(t0 + 200 * min), 1);
    CHECK_INT(posts_like("%The severity of INC-1 was set 3 h 10 min ago.%"), 1);
    /* The prompt's menu changes the severity (its block id names the incident). */
    fx_now = t0 + 201 * min;
    const char click[] =
        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U0ALICE0001\"},\"response_url\":"
        "\"https://h/a\",\"actions\":[{\"action_id\":\"inc_severity\",\"block_id\":"
        "\"inc1_reassess\",\"selected_option\":{\"value\":\"major\"}}]}";
    CHECK_INT(fx_decide("interactive", click, "env-reassess"), BOT_OK);
    CHECK_STR(fx_str("SELECT severity FROM incidents"), "major");
    CHECK_INT(fx_int("SELECT due_at FROM reminders WHERE kind = 'reassess' AND state = "
                     "'pending'"),
              t0 + 261 * min);
    /* A status change prompts at once and restarts the clock; resolving stops it. */
    CHECK_INT(fx_slash(ALICE, CHAN, "status identified found"), BOT_OK);
    CHECK_INT(fx_int("SELECT due_at FROM reminders WHERE kind = 'reassess' AND state = "
                     "'pending'"),
              t0 + 261 * min);
    fx_now = t0 + 230 * min;
    CHECK_INT(fx_slash(ALICE, CHAN, "status resolved done"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'reassess' AND state = "
                     "'pending'"),
              0);
    fx_now = t0;
    fx_close();

    /* A potential incident has no clock until it is promoted; 0 turns the clock off. */
    fx_now = T0;
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Blip --users 2"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'reassess'"), 0);
    CHECK_INT(fx_slash(ALICE, "C1", "promote 1"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'reassess'"), 1);
    fx_cfg.reassess_after_minutes = 0;
    CHECK_INT(fx_slash(ALICE, "C1", "declare Another one"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'reassess' AND "
                     "incident_id = 2"),
              0);
    fx_close();
}

/* ---- the timeline ---- */

static void test_timeline_shows_the_record(void)
{
    declared();
    fx_now += 60000;
    CHECK_INT(fx_slash(BOB, CHAN, "note <!here> cache hit rate dropped"), BOT_OK);
    fx_now += 60000;
    CHECK_INT(fx_slash(ALICE, CHAN, "status identified Cause found"), BOT_OK);
    CHECK_INT(fx_slash(CAROL, "C0GENERAL01", "timeline INC-1"), BOT_OK);
    const char *blocks = fx_str("SELECT json_extract(payload, '$.message.blocks') FROM outbox "
                                "WHERE kind = 'slack.respond' ORDER BY id DESC LIMIT 1");
    long long n = fx_int("SELECT count(*) FROM timeline WHERE incident_id = 1");
    char head[120];
    snprintf(head, sizeof(head), "*Timeline of INC-1: Checkout fails* · %lld entries", n);
    CHECK_CONTAINS(blocks, head);
    CHECK_CONTAINS(blocks, "<@" BOB "> · *note*: @here cache hit rate dropped");
    CHECK_CONTAINS(blocks, "<@" ALICE "> · *status → identified* (public): Cause found");
    CHECK_CONTAINS(blocks, "2026-11-23 10:01 UTC");
    CHECK(strstr(blocks, "<!here>") == NULL);
    /* Oldest first, newest last. */
    const char *declare = strstr(blocks, "*declare*"), *note = strstr(blocks, "*note*"),
               *status = strstr(blocks, "*status");
    CHECK(declare && note && status && declare < note && note < status);
    snprintf(head, sizeof(head), "Timeline of INC-1: %lld entries", n);
    CHECK_STR(fx_last_reply(), head);
    CHECK_STR(fx_str("SELECT target FROM outbox WHERE kind = 'slack.respond' ORDER BY id DESC"),
              "fast");
    fx_now -= 120000;
    fx_close();
}

static void test_long_timeline_fits_slack(void)
{
    char text[700];
    declared();
    for (int i = 0; i < 120; i++) {
        /* Long notes (under 64 words) full of characters that grow when escaped. */
        int n = snprintf(text, sizeof(text), "note #%d ", i);
        for (int k = 0; n < 600; k++)
            n += snprintf(text + n, sizeof(text) - (size_t)n, "%s",
                          k % 3 ? "a&b<c>d&e-a&b<c>d&e " : "é-é-é-é-é ");
        long long notes = fx_int("SELECT count(*) FROM timeline WHERE kind = 'note'");
        CHECK_INT(fx_slash(BOB, CHAN, text), BOT_OK);
        CHECK_MSG(fx_int("SELECT count(*) FROM timeline WHERE kind = 'note'") == notes + 1, "%s",
                  fx_last_reply());
    }
    CHECK_INT(fx_slash(BOB, CHAN, "note the last one"), BOT_OK);
    CHECK_INT(fx_slash(BOB, CHAN, "timeline"), BOT_OK);
    long long last = fx_int("SELECT max(id) FROM outbox WHERE kind = 'slack.respond'");
    /* Every section under 3000 characters, the whole under 12000, at most 50 blocks. */
    CHECK(fx_int("SELECT max(length(json_extract(value, '$.text.text'))) FROM outbox, "
                 "json_each(payload, '$.message.blocks') WHERE outbox.id = %lld", last) <= 3000);
    long long total = fx_int("SELECT sum(length(json_extract(value, '$.text.text'))) FROM outbox, "
                             "json_each(payload, '$.message.blocks') WHERE outbox.id = %lld",
                             last);
    CHECK_MSG(total <= 12000 && total > 8000, "%lld characters", total);
    CHECK(fx_int("SELECT json_array_length(payload, '$.message.blocks') FROM outbox WHERE id = "
                 "%lld", last) <= 50);
    const char *blocks = fx_str("SELECT json_extract(payload, '$.message.blocks') FROM outbox "
                                "WHERE id = %lld", last);
    char head[64];
    snprintf(head, sizeof(head), "· %lld entries",
             fx_int("SELECT count(*) FROM timeline WHERE incident_id = 1"));
    CHECK_CONTAINS(blocks, head);
    CHECK_CONTAINS(blocks, "earlier entries, left out to fit in Slack_");
    CHECK_CONTAINS(blocks, "*note*: the last one");
    /* A cut entry ends with … and never inside an entity. */
    CHECK_CONTAINS(blocks, "…");
    CHECK(strstr(blocks, "&amp…") == NULL && strstr(blocks, "&am…") == NULL &&
          strstr(blocks, "&a…") == NULL && strstr(blocks, "&…") == NULL);
    fx_close();
}

/* ---- rendering ---- */

static void test_render_status_pieces(void)
{
    struct bot_err err;
    char *s = render_status_fill("{title} is {severity} (INC-{id}) {x} {title}", 42, "DB",
                                 SEV_CRITICAL);
    CHECK_STR(s, "DB is critical (INC-42) {x} DB");
    free(s);
    /* Filled text longer than the limit is cut to it, at a character. */
    char big[3000];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    s = render_status_fill("{title}", 1, big, SEV_MINOR);
    CHECK_INT(render_status_chars(s), RENDER_MAX_STATUS_MESSAGE);
    CHECK(strcmp(s + strlen(s) - 3, "…") == 0);
    free(s);
    CHECK_INT(render_status_check_template("{title} / {severity} / {id}", &err), BOT_OK);
    CHECK_INT(render_status_check_template("{status}", &err), BOT_EINVAL);
    CHECK_CONTAINS(err.msg, "unknown placeholder \"{status}\"");
    CHECK_INT(render_status_check_template("bad \xff byte", &err), BOT_EINVAL);
    CHECK_INT(render_status_chars("a\xf0\x9f\x94\xa5"), 3); /* an emoji counts as two */

    /* The modal: bounded title, initial value cut to max_length, metadata kept. */
    char title[400];
    memset(title, 't', sizeof(title) - 1);
    title[sizeof(title) - 1] = '\0';
    struct render_status_modal m = {.id = 7, .title = title, .from = ST_INVESTIGATING,
                                    .to = ST_RESOLVED, .initial = big, .actor = ALICE,
                                    .support = ALICE, .private_metadata = "{\"id\":7}"};
    cJSON *view = NULL;
    CHECK_INT(render_status_modal(&m, &view), BOT_OK);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(view, "title"), "text")->valuestring,
              "Mark resolved");
    CHECK_STR(cJSON_GetObjectItem(view, "callback_id")->valuestring, RENDER_STATUS_CALLBACK);
    CHECK_STR(cJSON_GetObjectItem(view, "private_metadata")->valuestring, "{\"id\":7}");
    cJSON *blocks = cJSON_GetObjectItem(view, "blocks");
    const char *intro = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(blocks, 0),
                                                                "text"),
                                            "text")
                            ->valuestring;
    CHECK(render_status_chars(intro) <= RENDER_MAX_SECTION_TEXT);
    CHECK_CONTAINS(intro, "skipping a status");
    char *ctx = cJSON_PrintUnformatted(cJSON_GetArrayItem(blocks, 1));
    bool asked = strstr(ctx, "As the support liaison, you announce") != NULL;
    free(ctx);
    CHECK(asked);
    cJSON *input = cJSON_GetArrayItem(blocks, 2);
    CHECK_STR(cJSON_GetObjectItem(input, "block_id")->valuestring, RENDER_STATUS_BLOCK);
    const char *init = cJSON_GetObjectItem(cJSON_GetObjectItem(input, "element"), "initial_value")
                           ->valuestring;
    CHECK_INT(render_status_chars(init), RENDER_MAX_STATUS_MESSAGE);
    cJSON_Delete(view);
    m.id = 0;
    CHECK_INT(render_status_modal(&m, &view), BOT_EINVAL);
    CHECK(view == NULL);

    /* The submission. */
    static const struct {
        const char *values;
        enum bot_rc rc;
        const char *msg;
    } subs[] = {
        {"{}", BOT_EINVAL, NULL},
        {"{\"message\":{\"message_input\":{\"type\":\"plain_text_input\"}}}", BOT_EINVAL, NULL},
        {"{\"message\":{\"message_input\":{\"type\":\"plain_text_input\",\"value\":3}}}",
         BOT_EPROTO, NULL},
        {"{\"message\":{}}", BOT_EPROTO, NULL},
        {"{\"message\":{\"message_input\":{\"type\":\"plain_text_input\",\"value\":\" ok \"}}}",
         BOT_OK, "ok"},
    };
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        cJSON *v = cJSON_Parse(subs[i].values);
        char *msg = NULL;
        CHECK_MSG(render_parse_status_submission(v, &msg, &err) == subs[i].rc, "%s",
                  subs[i].values);
        if (subs[i].msg)
            CHECK_STR(msg, subs[i].msg);
        else
            CHECK(msg == NULL);
        free(msg);
        cJSON_Delete(v);
    }
    /* 2000 characters pass (multi-byte ones counted once), 2001 do not. */
    cJSON *v = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(cJSON_AddObjectToObject(v, "message"), "message_input");
    cJSON_AddStringToObject(e, "type", "plain_text_input");
    char *text = xmalloc(2001 * 2 + 1);
    for (int i = 0; i < 2000; i++)
        memcpy(text + 2 * i, "\xc3\xa9", 2);
    text[4000] = '\0';
    cJSON_AddStringToObject(e, "value", text);
    char *msg = NULL;
    CHECK_INT(render_parse_status_submission(v, &msg, &err), BOT_OK);
    free(msg);
    text[4000] = 'x'; /* the 2001st character (the buffer holds 4003 bytes) */
    text[4001] = '\0';
    cJSON_ReplaceItemInObject(e, "value", cJSON_CreateString(text));
    CHECK_INT(render_parse_status_submission(v, &msg, &err), BOT_EINVAL);
    CHECK_CONTAINS(err.msg, "2001 characters");
    free(text);
    cJSON_Delete(v);

    /* The prompt's blocks. */
    cJSON *pb = NULL;
    CHECK_INT(render_reassess_blocks(3, SEV_MINOR, "hello", &pb), BOT_OK);
    char *js = cJSON_PrintUnformatted(pb);
    CHECK_CONTAINS(js, "\"block_id\":\"inc3_reassess\"");
    CHECK_CONTAINS(js, "\"initial_option\":{\"text\":{\"type\":\"plain_text\",\"text\":"
                       "\":large_yellow_circle: Minor\"");
    free(js);
    cJSON_Delete(pb);
    CHECK_INT(render_reassess_blocks(3, SEV_COUNT, "x", &pb), BOT_EINVAL);
}

/* ---- corrections: a table of transitions, and reopening ---- */

/* INC-1 at status st (ALICE its IRM, declared in CHAN; potential: no channel, no IRM). */
static void incident_at(enum inc_status st)
{
    struct store_incident inc;
    struct bot_err err;
    fx_now = T0;
    if (st == ST_POTENTIAL) {
        fx_open();
        if (fx_slash(ALICE, "C0GENERAL01", "declare Blip --users 2") != BOT_OK)
            abort();
        return;
    }
    declared();
    if (fx_slash(ALICE, CHAN, "role irm me") != BOT_OK)
        abort();
    enum inc_status via = st > ST_RESOLVED ? ST_RESOLVED : st;
    if (via > ST_INVESTIGATING) {
        char cmd[80];
        snprintf(cmd, sizeof(cmd), "status %s getting there", plan_status_name(via));
        if (fx_slash(ALICE, CHAN, cmd) != BOT_OK)
            abort();
    }
    if (st > ST_RESOLVED) { /* a postmortem published, or closed: only the status matters here */
        if (store_incident_get(fx_store, 1, &inc, &err) != BOT_OK)
            abort();
        free(inc.status);
        inc.status = xstrdup(plan_status_name(st));
        if (store_incident_update(fx_store, &inc, &err) != BOT_OK)
            abort();
        store_incident_clear(&inc);
    }
    fx_now += 60000;
}

/*
 * Every status × every status an `/incident status` may ask for, and
 * `/incident reopen`, by BOB (allowed to manage, not the IRM): allowed moves
 * land on the new status; refusals say why and change nothing.
 */
static void test_transition_table(void)
{
    enum { INV, IDE, MON, RES, REOPEN, NCOL };
    static const char *const cmds[NCOL] = {
        "status investigating back to square one INC-1", "status identified not fixed INC-1",
        "status monitoring fix out INC-1", "status resolved all good INC-1",
        "reopen errors are back INC-1",
    };
    static const struct {
        enum inc_status from;
        const char *want[NCOL]; /* NULL: allowed; else part of the refusal */
    } rows[] = {
        {ST_POTENTIAL, {"promote 1", "promote 1", "promote 1", "promote 1",
                        "*potential*, not resolved"}},
        {ST_INVESTIGATING, {"already *investigating*", NULL, "only its IRM", "only its IRM",
                            "not resolved: there is nothing to reopen"}},
        {ST_IDENTIFIED, {NULL, "already *identified*", NULL, "only its IRM",
                         "not resolved: there is nothing to reopen"}},
        {ST_MONITORING, {NULL, NULL, "already *monitoring*", NULL,
                         "not resolved: there is nothing to reopen"}},
        {ST_RESOLVED, {"`/incident reopen <why> INC-1`", "`/incident reopen <why> INC-1`",
                       "`/incident reopen <why> INC-1`", "already *resolved*", NULL}},
        {ST_POSTMORTEM, {"cannot be reopened", "cannot be reopened", "cannot be reopened",
                         "cannot be reopened", "public postmortem is published"}},
        {ST_CLOSED, {"cannot be reopened", "cannot be reopened", "cannot be reopened",
                     "cannot be reopened", "it is closed, so it is not reopened"}},
    };
    static const enum inc_status lands[NCOL] = {ST_INVESTIGATING, ST_IDENTIFIED, ST_MONITORING,
                                                ST_RESOLVED, ST_IDENTIFIED};
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        for (int c = 0; c < NCOL; c++) {
            incident_at(rows[r].from);
            long long before = state_count();
            const char *from = plan_status_name(rows[r].from);
            CHECK_INT(fx_slash(BOB, "C0GENERAL01", cmds[c]), BOT_OK);
            if (rows[r].want[c] == NULL) {
                CHECK_MSG(strcmp(fx_str("SELECT status FROM incidents"),
                                 plan_status_name(lands[c])) == 0,
                          "%s, %s: %s", from, cmds[c], fx_last_reply());
                CHECK_MSG(strstr(fx_last_reply(), "Done: INC-1") != NULL, "%s, %s: %s", from,
                          cmds[c], fx_last_reply());
            } else {
                CHECK_MSG(strstr(fx_last_reply(), rows[r].want[c]) != NULL,
                          "%s, %s: reply %s lacks %s", from, cmds[c], fx_last_reply(),
                          rows[r].want[c]);
                CHECK_MSG(state_count() == before, "%s, %s changed the state", from, cmds[c]);
                CHECK_STR(fx_str("SELECT status FROM incidents"), from);
            }
            fx_close();
        }
    }
}

/* A failed fix: monitoring back to identified, recorded, told, mirrored; the checklist follows. */
static void test_correction_back_to_identified(void)
{
    incident_at(ST_MONITORING);
    fx_published(1);
    CHECK_STR(fx_str("SELECT status || ' ' || step FROM incidents"), "monitoring 7");
    long long updates = effects("statuspage.update");
    CHECK_INT(fx_slash(BOB, CHAN, "status identified The fix did not work: errors are back"),
              BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "identified");
    CHECK_INT(fx_int("SELECT identified_at FROM incidents"), T0); /* the first identification */
    /* Step 6 open again, the pointer back on it. */
    CHECK_INT(fx_int("SELECT count(*) FROM checklist WHERE incident_id = 1 AND step = 6"), 0);
    CHECK_STR(checklist(5), "1 1 " ALICE); /* the IRM skipped it on the way */
    CHECK_INT(fx_int("SELECT step FROM incidents"), 6);
    CHECK_STR(fx_str("SELECT actor || '|' || text FROM timeline WHERE kind = 'status_back'"),
              BOB "|Status corrected: <@" BOB "> moved INC-1 back from monitoring to identified");
    CHECK_STR(fx_str("SELECT actor || '|' || public || '|' || status || '|' || text FROM "
                     "timeline WHERE kind = 'status' ORDER BY id DESC LIMIT 1"),
              BOB "|1|identified|The fix did not work: errors are back");
    CHECK_INT(posts_like(":leftwards_arrow_with_hook: <@" BOB "> moved INC-1 back from monitoring "
                         "to *identified*.%Public message:* The fix did not work%"),
              1);
    CHECK_INT(thread_posts_like("Status changed to identified by <@" BOB ">: The fix did not%"),
              1);
    CHECK_INT(effects("statuspage.update"), updates + 1);
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.status') FROM outbox WHERE kind = "
                     "'statuspage.update' ORDER BY id DESC LIMIT 1"),
              "identified");
    CHECK_INT(posts_like(":scales: %INC-1 is identified again.%"), 1);
    /* On again: monitoring is step 6 once more, then back to investigating reopens 5 and 6. */
    CHECK_INT(fx_slash(BOB, CHAN, "status monitoring second fix out"), BOT_OK);
    CHECK_STR(fx_str("SELECT status || ' ' || step FROM incidents"), "monitoring 7");
    CHECK_STR(checklist(6), "1 0 " BOB);
    CHECK_INT(fx_slash(BOB, CHAN, "status investigating we were wrong about the cause"), BOT_OK);
    /* Not identified after all: step 4 is open again too, and the pointer on it. */
    CHECK_STR(fx_str("SELECT status || ' ' || step FROM incidents"), "investigating 4");
    CHECK_INT(fx_int("SELECT count(*) FROM checklist WHERE incident_id = 1 AND step IN (4, 5, 6)"),
              0);
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'status_back'"), 2);
    fx_close();
}

/* Without a message the form asks, pre-filled with words for a step back. */
static void test_correction_by_form(void)
{
    incident_at(ST_MONITORING);
    CHECK_INT(fx_slash(BOB, CHAN, "status identified"), BOT_OK);
    const char *view = "(SELECT json_extract(payload, '$.args.view') FROM outbox WHERE "
                       "json_extract(payload, '$.method') = 'views.open')";
    CHECK_CONTAINS(fx_str("SELECT json_extract(%s, '$.blocks[0].text.text')", view),
                   "monitoring → *identified*");
    CHECK_CONTAINS(fx_str("SELECT json_extract(%s, '$.blocks[2].element.initial_value')", view),
                   "did not work as expected");
    char *meta = xstrdup(fx_str("SELECT json_extract(%s, '$.private_metadata')", view));
    CHECK_CONTAINS(meta, "\"from\":\"monitoring\"");
    CHECK_INT(fx_submit(BOB, RENDER_STATUS_CALLBACK, meta,
                        "{\"message\":{\"message_input\":{\"type\":\"plain_text_input\","
                        "\"value\":\"Errors are back\"}}}"),
              BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "identified");
    free(meta);
    fx_close();

    /* A form opened to move on never steps back when someone was faster (nor the reverse). */
    incident_at(ST_INVESTIGATING);
    CHECK_INT(fx_click(BOB, "inc_next_status", "1:identified"), BOT_OK);
    meta = xstrdup(fx_str("SELECT json_extract(payload, '$.args.view.private_metadata') FROM "
                          "outbox WHERE json_extract(payload, '$.method') = 'views.open'"));
    CHECK_INT(fx_slash(ALICE, CHAN, "status monitoring fixed before we knew why"), BOT_OK);
    long long before = state_count();
    CHECK_INT(fx_submit(BOB, RENDER_STATUS_CALLBACK, meta,
                        "{\"message\":{\"message_input\":{\"type\":\"plain_text_input\","
                        "\"value\":\"Bob's words\"}}}"),
              BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "INC-1 became *monitoring* while the form was open (it was "
                                    "investigating): marking it identified now would step it "
                                    "back; nothing changed.");
    CHECK_INT(state_count(), before);
    free(meta);
    fx_close();

    incident_at(ST_MONITORING);
    CHECK_INT(fx_slash(BOB, CHAN, "status identified"), BOT_OK);
    meta = xstrdup(fx_str("SELECT json_extract(payload, '$.args.view.private_metadata') FROM "
                          "outbox WHERE json_extract(payload, '$.method') = 'views.open'"));
    CHECK_INT(fx_slash(ALICE, CHAN, "status investigating not that either"), BOT_OK);
    before = state_count();
    CHECK_INT(fx_submit(BOB, RENDER_STATUS_CALLBACK, meta,
                        "{\"message\":{\"message_input\":{\"type\":\"plain_text_input\","
                        "\"value\":\"Bob's words\"}}}"),
              BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "would move it forward; nothing changed.");
    CHECK_INT(state_count(), before);
    free(meta);
    fx_close();
}

/* Reopening a resolved, published incident undoes what resolving did. */
static void test_reopen_undoes_resolve(void)
{
    fx_cfg.postmortem_remind_hours = (const int64_t[]){4};
    fx_cfg.n_postmortem_remind_hours = 1;
    incident_at(ST_MONITORING);
    fx_published(1);
    CHECK_INT(fx_slash(BOB, CHAN, "status resolved All good again"), BOT_OK);
    CHECK_STR(fx_str("SELECT status || ' ' || step FROM incidents"), "resolved 8");
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = '%s' AND state = 'pending'",
                     PLAN_REMINDER_POSTMORTEM),
              2);
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = '%s' AND state = 'pending'",
                     PLAN_REMINDER_REASSESS),
              0);
    long long updates = effects("statuspage.update");

    fx_now += 3600000;
    fx_cfg.reassess_after_minutes = 60;
    CHECK_INT(fx_slash(CAROL, CHAN, "reopen Errors are back after the fix at 42"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Done: INC-1 is reopened and identified; the status page is "
                                    "being updated.");
    CHECK_STR(fx_str("SELECT status || ' ' || step || ' ' || coalesce(resolved_at, 0) FROM "
                     "incidents"),
              "identified 6 0");
    /* The postmortem clock is gone; its deadline too. */
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = '%s' AND state = 'pending'",
                     PLAN_REMINDER_POSTMORTEM),
              0);
    CHECK_STR(fx_str("SELECT value FROM incident_attrs WHERE incident_id = 1 AND key = "
                     "'postmortem.due_at'"),
              "0");
    /* Steps 6 and 7 open again. */
    CHECK_INT(fx_int("SELECT count(*) FROM checklist WHERE incident_id = 1 AND step IN (6, 7)"),
              0);
    /* Who and why on the timeline; the public entry is the why. */
    CHECK_STR(fx_str("SELECT actor || '|' || text FROM timeline WHERE kind = 'reopen'"),
              CAROL "|Reopened by <@" CAROL ">: back from resolved to identified. Why: Errors "
                    "are back after the fix at 42");
    CHECK_STR(fx_str("SELECT public || '|' || status || '|' || text FROM timeline WHERE kind = "
                     "'status' ORDER BY id DESC LIMIT 1"),
              "1|identified|Errors are back after the fix at 42");
    CHECK_INT(posts_like(":leftwards_arrow_with_hook: <@" CAROL "> reopened INC-1: it is "
                         "*identified* again.%Why:* Errors are back%public status page%"),
              1);
    CHECK_INT(thread_posts_like("Status changed to identified by <@" CAROL ">: Errors are back%"),
              1);
    /* Mirrored with the earlier status; the re-assessment clock runs again. */
    CHECK_INT(effects("statuspage.update"), updates + 1);
    CHECK_STR(fx_str("SELECT payload FROM outbox WHERE kind = 'statuspage.update' ORDER BY id "
                     "DESC LIMIT 1"),
              "{\"status\":\"identified\",\"body\":\"Errors are back after the fix at 42\","
              "\"impact\":\"major\"}");
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = '%s' AND state = 'pending'",
                     PLAN_REMINDER_REASSESS),
              1);
    CHECK_INT(posts_like(":scales: %INC-1 was reopened.%"), 1);

    /* A later resolve starts a new deadline, from the new resolve. */
    fx_now += 3600000;
    CHECK_INT(fx_slash(ALICE, CHAN, "status resolved Fixed for good"), BOT_OK);
    CHECK_STR(fx_str("SELECT status || ' ' || step FROM incidents"), "resolved 8");
    CHECK_INT(fx_int("SELECT resolved_at FROM incidents"), fx_now);
    CHECK_INT(fx_int("SELECT value FROM incident_attrs WHERE incident_id = 1 AND key = "
                     "'postmortem.due_at'"),
              fx_now + 24 * 3600000LL);
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = '%s' AND state = 'pending'",
                     PLAN_REMINDER_POSTMORTEM),
              2);
    fx_cfg.reassess_after_minutes = 0;
    fx_cfg.postmortem_remind_hours = NULL;
    fx_cfg.n_postmortem_remind_hours = 0;
    fx_close();
}

/* An internal incident is reopened internally; outsiders of [permissions] manage may not. */
static void test_reopen_internal_and_permissions(void)
{
    incident_at(ST_RESOLVED);
    bool irms = fx_cfg.manage_irms, admins = fx_cfg.manage_admins;
    fx_cfg.manage_irms = fx_cfg.manage_admins = false;
    long long before = state_count();
    CHECK_INT(fx_slash(DAVE, CHAN, "reopen it broke again"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), ":no_entry: Only the incident's response team may reopen "
                                    "INC-1; nothing changed.");
    CHECK_INT(state_count(), before);
    fx_cfg.manage_irms = irms;
    fx_cfg.manage_admins = admins;
    CHECK_INT(fx_slash(ALICE, CHAN, "reopen it broke again"), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "identified");
    CHECK_INT(posts_like("%reopened INC-1%Internal only: INC-1 is not on the status page.%"), 1);
    CHECK_INT(effects("statuspage.update"), 0);
    fx_close();
}

static void test_help_lists_the_new_commands(void)
{
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "help"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "`/incident note <text> [INC-N]`");
    CHECK_CONTAINS(fx_last_reply(), "`/incident status investigating|identified|monitoring|"
                                    "resolved [public message] [INC-N]`");
    CHECK_CONTAINS(fx_last_reply(), "`/incident reopen <why> [INC-N]`");
    CHECK_CONTAINS(fx_last_reply(), "`/incident timeline [INC-N]`");
    fx_close();
}

int main(void)
{
    xmalloc_init_cjson();
    RUN(test_render_status_pieces);
    RUN(test_help_lists_the_new_commands);
    RUN(test_note_records_posts_and_threads);
    RUN(test_private_incident_threads_nothing);
    RUN(test_public_message_is_converted_once);
    RUN(test_note_on_potential_incident_is_only_recorded);
    RUN(test_status_by_command_moves_forward);
    RUN(test_step_pointer_never_moves_back);
    RUN(test_status_on_public_incident_goes_to_status_page);
    RUN(test_button_opens_modal_and_submission_changes_status);
    RUN(test_command_without_message_opens_modal);
    RUN(test_next_status_button_after_resolved);
    RUN(test_irm_may_skip_and_it_is_recorded);
    RUN(test_refusals_change_nothing);
    RUN(test_no_irm_no_skip_and_permissions);
    RUN(test_submission_after_someone_else_changed_it);
    RUN(test_transition_table);
    RUN(test_correction_back_to_identified);
    RUN(test_correction_by_form);
    RUN(test_reopen_undoes_resolve);
    RUN(test_reopen_internal_and_permissions);
    RUN(test_reassess_reminder);
    fx_cfg.reassess_after_minutes = 0; /* also when it failed half-way */
    RUN(test_timeline_shows_the_record);
    RUN(test_long_timeline_fits_slack);
    return CHECK_DONE();
}
