/*
 * Unit tests of the checklist and plan steps 3, 8 and 9 (commands/plan_steps.c,
 * cmd_checklist.c, cmd_support.c, cmd_followup.c, cmd_postmortem.c,
 * cmd_close.c, render_steps.c): what each command, click, modal submission
 * and reminder writes (incident, checklist, attributes, follow-ups,
 * timeline, reminders) and which effects it enqueues, and that every
 * mistake is answered and changes nothing. Against a real SQLite file,
 * decisions made the way the worker makes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "plan_fixture.h"
#include "render_steps.h"
#include "store_timeline.h"

#define ALICE "U0ALICE0001"
#define BOB "U0BOB000002"
#define CAROL "U0CAROL0003"
#define DAVE "U0DAVE00004"
#define CHAN "C0INC000001"
#define HOUR 3600000LL
#define DAY (24 * HOUR)

static const int64_t remind_4h[] = {4};

/* Everything that changes state, counted: a refused request must leave these as they were. */
static long long state_count(void)
{
    return fx_int(
        "SELECT (SELECT count(*) + sum(version) FROM incidents) + (SELECT count(*) FROM roles) + "
        "(SELECT count(*) FROM timeline) + (SELECT count(*) + sum(state = 'pending') FROM "
        "reminders) + (SELECT count(*) FROM checklist) + (SELECT count(*) + count(done_at) FROM "
        "followups) + (SELECT count(*) + coalesce(sum(length(value)), 0) FROM incident_attrs) + "
        "(SELECT count(*) FROM outbox WHERE kind != 'slack.respond')");
}

static long long effects(const char *kind)
{
    return fx_int("SELECT count(*) FROM outbox WHERE kind = '%s'", kind);
}

/* The latest chat.postMessage's text ("" when none). */
static const char *last_post(void)
{
    return fx_str("SELECT json_extract(payload, '$.args.text') FROM outbox WHERE kind = "
                  "'slack.call' AND json_extract(payload, '$.method') = 'chat.postMessage' "
                  "ORDER BY id DESC LIMIT 1");
}

/* A click on a button (action_id, value) by user. */
static enum bot_rc click(const char *user, const char *action, const char *value)
{
    static int n;
    char id[32];
    snprintf(id, sizeof(id), "click-%d", ++n);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "block_actions");
    cJSON_AddItemToObject(p, "user", cJSON_CreateObject());
    cJSON_AddStringToObject(cJSON_GetObjectItem(p, "user"), "id", user);
    cJSON_AddStringToObject(p, "response_url", "https://hooks.slack.com/actions/T1/2/y");
    cJSON_AddStringToObject(p, "trigger_id", "3.4.trigger");
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "action_id", action);
    cJSON_AddStringToObject(a, "value", value);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "actions"), a);
    char *s = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    enum bot_rc rc = fx_decide("interactive", s, id);
    free(s);
    return rc;
}

/* A declared incident with its channel, and CAROL as its IRM. */
static void declare_one(const char *title)
{
    char text[200];
    snprintf(text, sizeof(text), "declare %s --users 40", title);
    if (fx_slash(ALICE, "C0GENERAL01", text) != BOT_OK)
        abort();
    long long id = fx_int("SELECT max(id) FROM incidents");
    char chan[32];
    snprintf(chan, sizeof(chan), "C0INC%06lld", id);
    fx_channel_created(id, chan);
    snprintf(text, sizeof(text), "role irm <@%s> INC-%lld", CAROL, id);
    if (fx_slash(ALICE, chan, text) != BOT_OK)
        abort();
}

/* Changes the incident row as a test needs it (status, times, published). */
static void set_incident(long long id, const char *status, int64_t resolved_at, int published)
{
    struct store_incident inc;
    struct bot_err err;
    if (store_incident_get(fx_store, id, &inc, &err) != BOT_OK)
        abort();
    if (status) {
        free(inc.status);
        inc.status = xstrdup(status);
    }
    if (resolved_at)
        inc.resolved_at = resolved_at;
    if (published >= 0) {
        inc.published = published;
        inc.published_at = published ? fx_now : 0;
    }
    if (store_incident_update(fx_store, &inc, &err) != BOT_OK)
        abort();
    store_incident_clear(&inc);
}

/* Resolves incident id at `at` the way a status change does: the row, then plan_on_resolved(). */
static enum bot_rc resolve(long long id, int64_t at)
{
    static int n;
    char ev[32];
    struct plan p;
    struct store_incident inc;
    struct bot_err err = {{0}};
    snprintf(ev, sizeof(ev), "resolve-%d", ++n);
    set_incident(id, "resolved", at, -1);
    worker_plan_init(&p, &fx_cfg, fx_store, at, ev);
    p.tz_offset_min = 0;
    if (store_begin(fx_store, &err) != BOT_OK)
        abort();
    enum bot_rc rc = store_incident_get(fx_store, id, &inc, &err);
    if (rc == BOT_OK)
        rc = plan_on_resolved(&p, &inc, CAROL, &err);
    store_incident_clear(&inc);
    if (rc == BOT_OK && store_commit(fx_store, &err) == BOT_OK)
        return BOT_OK;
    fprintf(stderr, "  resolve: %s\n", err.msg);
    store_rollback(fx_store);
    return rc ? rc : BOT_EDB;
}

/*
 * Runs every reminder due at `at` as the worker does, each in its own
 * transaction; returns how many of them were the internal postmortem's.
 */
static int run_reminders(int64_t at)
{
    static int n;
    struct store_reminder *rows = NULL;
    size_t nr = 0;
    struct bot_err err;
    if (store_reminder_due(fx_store, at, 100, &rows, &nr, &err) != BOT_OK)
        abort();
    for (size_t i = 0; i < nr; i++) {
        struct plan p;
        char id[32];
        snprintf(id, sizeof(id), "reminder-%d", ++n);
        worker_plan_init(&p, &fx_cfg, fx_store, at, id);
        p.tz_offset_min = 0;
        /* In the worker's order: marked done first, then decided. */
        if (store_begin(fx_store, &err) != BOT_OK ||
            store_reminder_done(fx_store, rows[i].id, at, &err) != BOT_OK ||
            plan_reminder(&p, &rows[i], &err) != BOT_OK || store_commit(fx_store, &err) != BOT_OK) {
            fprintf(stderr, "  reminder: %s\n", err.msg);
            abort();
        }
    }
    int mine = 0;
    for (size_t i = 0; i < nr; i++)
        mine += strcmp(rows[i].kind, PLAN_REMINDER_POSTMORTEM) == 0;
    store_reminder_list_free(rows, nr);
    return mine;
}

/* A view_submission of the postmortem modal for incident id with the four parts. */
static char *pm_submission(long long id, const char *impact, const char *happened,
                           const char *done, const char *next)
{
    const char *parts[RENDER_PM_PARTS] = {impact, happened, done, next};
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "view_submission");
    cJSON_AddItemToObject(p, "user", cJSON_CreateObject());
    cJSON_AddStringToObject(cJSON_GetObjectItem(p, "user"), "id", CAROL);
    cJSON *view = cJSON_AddObjectToObject(p, "view");
    cJSON_AddStringToObject(view, "callback_id", RENDER_POSTMORTEM_CALLBACK);
    char meta[200];
    snprintf(meta, sizeof(meta), "{\"incident\":%lld,\"response_url\":\"https://h/pm\"}", id);
    cJSON_AddStringToObject(view, "private_metadata", meta);
    cJSON *values = cJSON_AddObjectToObject(cJSON_AddObjectToObject(view, "state"), "values");
    for (int i = 0; i < RENDER_PM_PARTS; i++) {
        char action[48];
        snprintf(action, sizeof(action), "%s_input", render_pm_block((enum render_pm_part)i));
        cJSON *e = cJSON_AddObjectToObject(cJSON_AddObjectToObject(values,
                                               render_pm_block((enum render_pm_part)i)), action);
        cJSON_AddStringToObject(e, "type", "plain_text_input");
        if (parts[i])
            cJSON_AddStringToObject(e, "value", parts[i]);
        else
            cJSON_AddNullToObject(e, "value");
    }
    char *s = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    return s;
}

/* ---- the checklist ---- */

static void test_checklist_shows_marks_and_moves_the_pointer(void)
{
    fx_open();
    declare_one("API errors");
    CHECK_INT(fx_slash(BOB, CHAN, "checklist"), BOT_OK);
    const char *blocks = "SELECT json_extract(payload, '$.message.blocks') FROM outbox WHERE kind = "
                         "'slack.respond' ORDER BY id DESC LIMIT 1";
    CHECK_INT(fx_int("SELECT json_array_length(payload, '$.message.blocks') FROM outbox WHERE "
                     "kind = 'slack.respond' ORDER BY id DESC LIMIT 1"),
              12);
    CHECK_CONTAINS(fx_str("%s", blocks), "\"INC-1 checklist\"");
    CHECK_CONTAINS(fx_str("%s", blocks), ":arrow_right: *1. Set up* — _the current step_");
    CHECK_CONTAINS(fx_str("%s", blocks), "IRM <@" CAROL ">");
    CHECK_CONTAINS(fx_str("%s", blocks), "\"action_id\":\"inc_step_done\",\"text\"");
    CHECK_CONTAINS(fx_str("%s", blocks), "\"value\":\"1:9\"");
    CHECK_CONTAINS(fx_last_reply(), "step 1 of 9 (Set up)");

    /* The control message's button shows the same, and a click on "Mark done" marks. */
    long long replies = effects("slack.respond");
    CHECK_INT(click(BOB, "inc_checklist", "1"), BOT_OK);
    CHECK_INT(effects("slack.respond"), replies + 1);
    CHECK_CONTAINS(fx_last_reply(), "INC-1 checklist");
    fx_views_delivered();
    long long controls = effects("incident.control");
    CHECK_INT(click(BOB, "inc_step_done", "1:1"), BOT_OK);
    CHECK_STR(fx_str("SELECT done_by || ' ' || skipped FROM checklist WHERE step = 1"), BOB " 0");
    CHECK_INT(fx_int("SELECT done_at FROM checklist WHERE step = 1"), fx_now);
    CHECK_INT(fx_int("SELECT step FROM incidents"), 2);
    CHECK_STR(fx_str("SELECT text FROM timeline WHERE kind = 'checklist'"),
              "Step 1 (Set up) done by <@" BOB ">");
    CHECK_INT(effects("incident.control"), controls + 1); /* the pointer shows there */
    CHECK_INT(fx_int("SELECT json_extract(payload, '$.message.replace_original') FROM outbox "
                     "WHERE kind = 'slack.respond' ORDER BY id DESC LIMIT 1"),
              1);
    CHECK_CONTAINS(fx_str("%s", blocks), ":white_check_mark: *1. Set up* — done by <@" BOB ">");

    /* Marking a later step moves the pointer past it; the one before stays open. */
    CHECK_INT(fx_slash(BOB, CHAN, "checklist done 3"), BOT_OK);
    CHECK_INT(fx_int("SELECT step FROM incidents"), 4);
    CHECK_INT(fx_slash(BOB, CHAN, "checklist done 2"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM checklist WHERE step = 2"), 1);
    CHECK_INT(fx_int("SELECT step FROM incidents"), 4); /* never backwards */

    /* Again: nothing changes; a second click says who was quicker. */
    long long before = state_count();
    CHECK_INT(fx_slash(ALICE, CHAN, "checklist done 3"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "already done");
    CHECK_INT(click(ALICE, "inc_step_done", "1:1"), BOT_OK);
    CHECK_CONTAINS(fx_str("%s", blocks), "done by <@" BOB ">");
    CHECK_INT(state_count(), before);

    /* Reopening moves the pointer back: the IRM's, like skipping. */
    before = state_count();
    CHECK_INT(fx_slash(BOB, CHAN, "checklist reopen 2"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Only the IRM of INC-1, <@" CAROL ">, may reopen a step; "
                                    "nothing changed.");
    CHECK_INT(state_count(), before);
    CHECK_INT(fx_int("SELECT step FROM incidents"), 4);
    /* Reopening an earlier step brings the pointer back to it. */
    CHECK_INT(fx_slash(CAROL, CHAN, "checklist reopen 2"), BOT_OK);
    CHECK_INT(fx_int("SELECT step FROM incidents"), 2);
    CHECK_INT(fx_int("SELECT count(*) FROM checklist WHERE step = 2"), 0);
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline ORDER BY id DESC LIMIT 1"), "reopened by");
    fx_close();
}

static void test_only_the_irm_skips(void)
{
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Slow search --users 40"), BOT_OK);
    fx_channel_created(1, CHAN);
    long long before = state_count();
    CHECK_INT(fx_slash(BOB, CHAN, "checklist skip 3"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Only the IRM may skip a step, and INC-1 has none yet");
    CHECK_INT(state_count(), before);
    CHECK_INT(fx_slash(ALICE, CHAN, "role irm <@" CAROL ">"), BOT_OK);
    before = state_count();
    CHECK_INT(fx_slash(BOB, CHAN, "checklist skip 3"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Only the IRM of INC-1, <@" CAROL ">, may skip a step");
    CHECK_INT(state_count(), before);
    CHECK_INT(fx_slash(CAROL, CHAN, "checklist skip 1"), BOT_OK);
    CHECK_STR(fx_str("SELECT skipped || ' ' || done_by FROM checklist WHERE step = 1"),
              "1 " CAROL);
    CHECK_INT(fx_int("SELECT step FROM incidents"), 2);
    CHECK_STR(fx_str("SELECT text FROM timeline WHERE kind = 'checklist'"),
              "Step 1 (Set up) skipped by <@" CAROL ">");
    CHECK_CONTAINS(fx_str("SELECT json_extract(payload, '$.message.blocks') FROM outbox WHERE "
                          "kind = 'slack.respond' ORDER BY id DESC LIMIT 1"),
                   ":fast_forward: *1. Set up* — skipped by <@" CAROL ">");
    fx_close();
}

/* A step's row as "done skipped by" ("" when open; by is "-" for incidentd). */
static const char *step_row(long long id, int step)
{
    return fx_str("SELECT coalesce((SELECT (done_at IS NOT NULL) || ' ' || skipped || ' ' || "
                  "coalesce(done_by, '-') FROM checklist WHERE incident_id = %lld AND step = %d), "
                  "'')", id, step);
}

/*
 * The checklist follows the work: step 1 once the channel exists and the
 * IRM and both liaisons are appointed, step 2 once announced and published
 * or kept internal on purpose, step 4 once identified (open again when the
 * status goes back to investigating); each recorded with its reason.
 */
static void test_checklist_follows_the_work(void)
{
    fx_open();
    declare_one("API errors"); /* channel, and CAROL the IRM */
    CHECK_STR(step_row(1, 1), ""); /* no liaisons yet */
    CHECK_INT(fx_slash(CAROL, CHAN, "role tech <@" BOB ">"), BOT_OK);
    CHECK_STR(step_row(1, 1), "");
    fx_views_delivered();
    long long controls = effects("incident.control");
    CHECK_INT(fx_slash(CAROL, CHAN, "role support <@" DAVE ">"), BOT_OK);
    CHECK_STR(step_row(1, 1), "1 0 -");
    CHECK_STR(fx_str("SELECT coalesce(actor, '-') || '|' || text FROM timeline WHERE kind = "
                     "'checklist' ORDER BY id DESC LIMIT 1"),
              "-|Step 1 (Set up) done: its channel is set up and the IRM and both liaisons are "
              "appointed");
    CHECK_INT(fx_int("SELECT step FROM incidents WHERE id = 1"), 2);
    CHECK(effects("incident.control") > controls);

    /* Step 2: kept internal needs a why; then it waits for the announcement. */
    long long before = state_count();
    CHECK_INT(fx_slash(CAROL, CHAN, "publish --internal"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Say why it stays internal");
    CHECK_INT(state_count(), before);
    CHECK_INT(fx_slash(BOB, "C0GENERAL01", "publish --internal only staff saw it INC-1"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Done: it stays internal");
    CHECK_STR(fx_str("SELECT json_extract(value, '$.by') || '|' || json_extract(value, '$.why') "
                     "FROM incident_attrs WHERE key = '" PLAN_ATTR_KEPT_INTERNAL "'"),
              BOB "|only staff saw it");
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE kind = 'publish'"),
                   "Kept internal by <@" BOB ">: not published on the status page. Why: only "
                   "staff saw it");
    CHECK_STR(step_row(1, 2), ""); /* the announcement is not out yet */
    before = state_count();
    CHECK_INT(fx_slash(BOB, CHAN, "publish --internal again"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "was kept internal already; nothing changed");
    CHECK_INT(state_count(), before);
    fx_announced(1, "1795428001.000100");
    CHECK_INT(fx_slash(DAVE, CHAN, "checklist"), BOT_OK); /* looking at it brings it up to date */
    CHECK_STR(step_row(1, 2), "1 0 -");
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE kind = 'checklist' ORDER BY id DESC "
                          "LIMIT 1"),
                   "Step 2 (Announce) done: announced, and kept internal by decision");
    CHECK_INT(fx_int("SELECT step FROM incidents WHERE id = 1"), 3);
    CHECK_CONTAINS(fx_str("SELECT json_extract(payload, '$.message.blocks') FROM outbox WHERE "
                          "kind = 'slack.respond' ORDER BY id DESC LIMIT 1"),
                   ":arrow_right: *3. Support plan* — _the current step_");
    CHECK_CONTAINS(fx_str("SELECT json_extract(payload, '$.message.blocks') FROM outbox WHERE "
                          "kind = 'slack.respond' ORDER BY id DESC LIMIT 1"),
                   "kept internal by decision (<@" BOB ">");

    /* Step 4 with the identification; a step back to investigating opens it again. */
    CHECK_INT(fx_slash(CAROL, CHAN, "status identified a bad deploy"), BOT_OK);
    CHECK_STR(step_row(1, 4), "1 0 -");
    CHECK_STR(step_row(1, 5), "1 0 " CAROL);
    CHECK_INT(fx_slash(CAROL, CHAN, "status investigating not the deploy after all"), BOT_OK);
    CHECK_STR(step_row(1, 4), "");
    CHECK_STR(step_row(1, 5), "");
    CHECK_INT(fx_int("SELECT step FROM incidents WHERE id = 1"), 4);
    CHECK_INT(fx_slash(CAROL, CHAN, "status identified the database"), BOT_OK);
    CHECK_STR(step_row(1, 4), "1 0 -");

    /* A second incident, published: step 2 says so; a potential one derives nothing. */
    declare_one("Slow search");
    fx_announced(2, "1795428002.000100");
    CHECK_INT(fx_slash(CAROL, "C0INC000002", "publish Search is slow"), BOT_OK);
    CHECK_INT(click(CAROL, "inc_publish_confirm", "2"), BOT_OK);
    CHECK_STR(step_row(2, 2), "1 0 -");
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE kind = 'checklist' AND incident_id = 2 "
                          "ORDER BY id DESC LIMIT 1"),
                   "announced, and published on the status page");
    CHECK_INT(fx_slash(ALICE, "C0GENERAL01", "declare Blip --users 2"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, "C0GENERAL01", "checklist INC-3"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM checklist WHERE incident_id = 3"), 0);
    fx_close();
}

/* Closing over open steps asks first; the answer "Close anyway" records them. */
static void test_close_asks_about_open_steps(void)
{
    fx_open();
    declare_one("Uploads fail");
    CHECK_INT(fx_slash(CAROL, CHAN, "role tech <@" BOB ">"), BOT_OK);
    CHECK_INT(fx_slash(CAROL, CHAN, "role support <@" DAVE ">"), BOT_OK);
    fx_announced(1, "1795428001.000100");
    CHECK_INT(fx_slash(CAROL, CHAN, "status identified found"), BOT_OK);
    CHECK_INT(fx_slash(CAROL, CHAN, "status monitoring fixed"), BOT_OK);
    CHECK_INT(fx_slash(CAROL, CHAN, "status resolved done"), BOT_OK);
    /* Left open: 2 (neither published nor kept internal) and 3 (no support plan); 8 does not
     * apply to an incident never public. */
    long long before = state_count();
    CHECK_INT(fx_slash(CAROL, CHAN, "close"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), ":warning: INC-1 still has 2 open steps on its checklist: "
                                    "2. Announce, 3. Support plan.");
    CHECK_CONTAINS(fx_str("SELECT json_extract(payload, '$.message.blocks') FROM outbox WHERE "
                          "kind = 'slack.respond' ORDER BY id DESC LIMIT 1"),
                   "\"action_id\":\"inc_close_anyway\",\"value\":\"1\"");
    CHECK_STR(fx_str("SELECT status FROM incidents"), "resolved");
    CHECK_INT(state_count(), before);
    /* The control message's "Close incident" asks the same. */
    CHECK_INT(click(CAROL, "inc_next_status", "1:closed"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "still has 2 open steps");
    CHECK_INT(state_count(), before);
    /* Deciding step 2 and marking 3 leaves nothing to ask: it closes at once. */
    CHECK_INT(fx_slash(CAROL, CHAN, "publish --internal a handful of staff only"), BOT_OK);
    CHECK_INT(fx_slash(DAVE, CHAN, "checklist done 3"), BOT_OK);
    CHECK_INT(fx_slash(CAROL, CHAN, "close"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Done: INC-1 is closed.");
    CHECK(strstr(fx_str("SELECT text FROM timeline WHERE kind = 'status' ORDER BY id DESC LIMIT "
                        "1"), "checklist step") == NULL);

    /* Anyway: closed, the open steps on the record. */
    declare_one("Avatars missing");
    CHECK_INT(fx_slash(BOB, "C0INC000002", "followup add Cache avatars"), BOT_OK);
    CHECK_INT(fx_slash(CAROL, "C0INC000002", "status resolved fixed"), BOT_OK);
    CHECK_INT(fx_slash(CAROL, "C0INC000002", "close"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "1. Set up, 2. Announce, 3. Support plan.");
    CHECK_INT(click(CAROL, "inc_close_anyway", "2"), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents WHERE id = 2"), "closed");
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE kind = 'status' AND incident_id = 2 "
                          "ORDER BY id DESC LIMIT 1"),
                   "Closed with 3 checklist steps open: 1. Set up, 2. Announce, 3. Support plan");
    long long posts = fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%closes the "
                             "incident%%'");
    CHECK_INT(fx_slash(BOB, "C0INC000002", "followup done 1"), BOT_OK);
    CHECK_CONTAINS(last_post(), "Follow-up 1 done by <@" BOB ">");
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%closes the incident%%'"),
              posts);
    /* A second click of the old button: closed already. */
    before = state_count();
    CHECK_INT(click(CAROL, "inc_close_anyway", "2"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "INC-2 is closed already");
    CHECK_INT(state_count(), before);
    fx_close();
}

/* ---- step 3: the support plan ---- */

static void test_support_plan(void)
{
    fx_open();
    declare_one("Checkout fails");
    const char *chan = "C0INC000001";
    /* No support channel configured: the summary has nowhere to go. */
    long long before = state_count();
    CHECK_INT(fx_slash(BOB, chan, "support summary Payments may fail"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "No support channel is configured");
    CHECK_INT(state_count(), before);

    fx_cfg.support_channel = "C0SUPPORT01";
    CHECK_INT(fx_slash(BOB, chan, "support"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "*Support plan of INC-1* (step 3)");
    CHECK_CONTAINS(fx_last_reply(), ":white_circle: Customer-facing summary for <#C0SUPPORT01>");
    CHECK_INT(fx_slash(BOB, chan, "support summary Some <!channel> payments fail; retry later"),
              BOT_OK);
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.args.channel') FROM outbox WHERE "
                     "json_extract(payload, '$.args.channel') = 'C0SUPPORT01'"),
              "C0SUPPORT01");
    const char *post = fx_str("SELECT json_extract(payload, '$.args.text') FROM outbox WHERE "
                              "json_extract(payload, '$.args.channel') = 'C0SUPPORT01'");
    CHECK_CONTAINS(post, "*INC-1: Checkout fails*");
    CHECK_CONTAINS(post, ">Some @channel payments fail; retry later");
    CHECK_CONTAINS(post, "Incident channel: <#C0INC000001>");
    CHECK_STR(fx_str("SELECT json_extract(value, '$.value') FROM incident_attrs WHERE key = "
                     "'support.summary'"),
              "Some <!channel> payments fail; retry later");
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'support' AND text LIKE "
                     "'%%Some @channel payments%%'"),
              1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%<!channel>%%'"), 0);

    /* Done needs the plan ready and the contact decided. */
    before = state_count();
    CHECK_INT(fx_slash(BOB, chan, "support done"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "mark it ready (`/incident support plan`) and decide");
    CHECK_INT(state_count(), before);
    CHECK_INT(fx_slash(BOB, chan, "support plan"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), ":white_check_mark: Plan ready (<@" BOB ">");
    CHECK_INT(fx_slash(BOB, chan, "support docs <https://docs.example.com/status?a=1&amp;b=2|docs>"),
              BOT_OK);
    CHECK_STR(fx_str("SELECT json_extract(value, '$.value') FROM incident_attrs WHERE key = "
                     "'support.docs'"),
              "https://docs.example.com/status?a=1&b=2");
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline ORDER BY id DESC LIMIT 1"),
                   "status?a=1&amp;b=2 (<@" BOB ">)");
    before = state_count();
    CHECK_INT(fx_slash(BOB, chan, "support done"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "decide whether affected users are contacted");
    CHECK_INT(state_count(), before);
    CHECK_INT(fx_slash(ALICE, chan, "support contact no"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, chan, "support contact yes"), BOT_OK); /* changed their mind */
    CHECK_STR(fx_str("SELECT json_extract(value, '$.value') FROM incident_attrs WHERE key = "
                     "'support.contact'"),
              "yes");
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'support' AND text LIKE "
                     "'Affected users will%%'"),
              2);
    CHECK_INT(fx_int("SELECT count(*) FROM checklist WHERE step = 3"), 0);
    CHECK_INT(fx_slash(ALICE, chan, "support done"), BOT_OK);
    CHECK_STR(fx_str("SELECT done_by FROM checklist WHERE step = 3"), ALICE);
    CHECK_CONTAINS(fx_last_reply(), ":white_check_mark: Done (<@" ALICE ">");
    CHECK_CONTAINS(last_post(), "Support plan done");

    /* Repeats and mistakes: answered, nothing changed. */
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"support plan", "already"},
        {"support done", "already"},
        {"support contact yes", "recorded already"},
        {"support contact maybe", "Unexpected `contact`"},
        {"support docs notalink", "needs an http:// or https:// link"},
        {"support docs ftp://a.example.com/x", "needs an http:// or https:// link"},
        {"support docs <https://a.example.com/x y>", "Unexpected `docs`"},
        {"support frobnicate", "Unexpected `frobnicate`"},
        {"support summary", "Write the summary"},
    };
    before = state_count();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_INT(fx_slash(BOB, chan, bad[i].text), BOT_OK);
        CHECK_MSG(strstr(fx_last_reply(), bad[i].want) != NULL, "%s: %s", bad[i].text,
                  fx_last_reply());
        CHECK_MSG(state_count() == before, "%s changed the state", bad[i].text);
    }
    fx_cfg.support_channel = NULL;
    fx_close();
}

/* ---- step 9: the internal postmortem's deadline ---- */

static void test_resolve_schedules_the_internal_postmortem(void)
{
    fx_open();
    fx_cfg.postmortem_remind_hours = remind_4h;
    fx_cfg.n_postmortem_remind_hours = 1;
    declare_one("Queue stuck");
    int64_t at = fx_now + 2 * HOUR;
    CHECK_INT(resolve(1, at), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'postmortem_due' AND state = "
                     "'pending'"),
              2);
    CHECK_INT(fx_int("SELECT min(due_at) FROM reminders WHERE kind = 'postmortem_due'"),
              at + 20 * HOUR);
    CHECK_INT(fx_int("SELECT max(due_at) FROM reminders WHERE kind = 'postmortem_due'"),
              at + 24 * HOUR);
    CHECK_INT(fx_int("SELECT CAST(value AS INTEGER) FROM incident_attrs WHERE key = "
                     "'postmortem.due_at'"),
              at + 24 * HOUR);
    CHECK_STR(fx_str("SELECT done_by FROM checklist WHERE step = 7"), CAROL);
    CHECK_INT(fx_int("SELECT step FROM incidents"), 8);
    CHECK_CONTAINS(last_post(), "The internal postmortem is due within 24 h");
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'postmortem_due'"), 1);

    /* Resolved again (after a reopen): one deadline, from the new resolve. */
    CHECK_INT(resolve(1, at + HOUR), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'postmortem_due' AND state = "
                     "'pending'"),
              2);
    CHECK_INT(fx_int("SELECT max(due_at) FROM reminders WHERE state = 'pending' AND kind = "
                     "'postmortem_due'"),
              at + 25 * HOUR);
    CHECK_INT(fx_int("SELECT count(*) FROM checklist WHERE step = 7"), 1);

    /* Before the deadline a reminder, at it the overdue flag; each once. */
    at += HOUR;
    CHECK_INT(run_reminders(at + 20 * HOUR), 1);
    CHECK_CONTAINS(last_post(), "<@" CAROL ">, a reminder: the internal postmortem of INC-1 is "
                                "due in 4 h");
    CHECK_INT(run_reminders(at + 20 * HOUR), 0);
    CHECK_INT(run_reminders(at + 24 * HOUR), 1);
    CHECK_CONTAINS(last_post(), "is *overdue*");
    CHECK_INT(fx_int("SELECT CAST(value AS INTEGER) FROM incident_attrs WHERE key = "
                     "'postmortem.overdue'"),
              at + 24 * HOUR);
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'reminder'"), 2);
    CHECK_INT(fx_slash(BOB, CHAN, "checklist"), BOT_OK);
    CHECK_CONTAINS(fx_str("SELECT json_extract(payload, '$.message.blocks') FROM outbox WHERE "
                          "kind = 'slack.respond' ORDER BY id DESC LIMIT 1"),
                   "*overdue* since");

    /* Held: recorded once, the reminders stop, a later resolve schedules nothing. */
    CHECK_INT(fx_slash(BOB, CHAN, "postmortem held"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "recorded as held");
    CHECK_STR(fx_str("SELECT json_extract(value, '$.by') FROM incident_attrs WHERE key = "
                     "'postmortem.held'"),
              BOB);
    long long before = state_count();
    CHECK_INT(fx_slash(ALICE, CHAN, "postmortem held"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "already recorded as held (<@" BOB ">");
    CHECK_INT(state_count(), before);
    CHECK_INT(resolve(1, at + 30 * HOUR), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'postmortem_due' AND state = "
                     "'pending'"),
              0);
    fx_cfg.postmortem_remind_hours = NULL;
    fx_cfg.n_postmortem_remind_hours = 0;
    fx_close();
}

static void test_postmortem_reminders_stop_when_closed_or_reopened(void)
{
    fx_open();
    declare_one("Login loops");
    CHECK_INT(resolve(1, fx_now), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE state = 'pending' AND kind = "
                     "'postmortem_due'"),
              1); /* no reminders before the deadline configured: only the overdue flag */
    set_incident(1, "monitoring", 0, -1); /* reopened */
    CHECK_INT(run_reminders(fx_now + DAY), 1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%postmortem of INC-1%%'"),
              0);
    /* Resolved again, then closed: the deadline passes without a word. */
    CHECK_INT(resolve(1, fx_now + 2 * DAY), BOT_OK);
    set_incident(1, "closed", 0, -1);
    CHECK_INT(run_reminders(fx_now + 4 * DAY), 1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%postmortem of INC-1%%'"),
              0);
    fx_close();
}

/*
 * [postmortem] required_for = ["critical", "major"]: a minor incident's
 * internal postmortem is optional (no deadline, no reminders, the channel is
 * told, close goes ahead and says it was not held), and can still be drafted
 * and recorded; a major one is as before.
 */
static void test_optional_postmortem_for_minor(void)
{
    fx_open();
    fx_cfg.postmortem_optional[SEV_MINOR] = true;
    fx_cfg.postmortem_remind_hours = remind_4h;
    fx_cfg.n_postmortem_remind_hours = 1;
    CHECK_INT(fx_slash(ALICE, "C0GENERAL01", "declare Avatars blurry --sev minor --users 40"),
              BOT_OK);
    fx_channel_created(1, "C0INC000001");
    CHECK_INT(fx_slash(ALICE, CHAN, "role irm <@" CAROL ">"), BOT_OK);
    int64_t at = fx_now + HOUR / 2;
    CHECK_INT(resolve(1, at), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'postmortem_due' AND state = "
                     "'pending'"),
              0);
    CHECK_INT(fx_int("SELECT CAST(value AS INTEGER) FROM incident_attrs WHERE key = "
                     "'postmortem.due_at'"),
              0);
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'postmortem_due'"), 0);
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'postmortem_optional'"), 1);
    CHECK_CONTAINS(last_post(), "For a minor incident the internal postmortem is optional");
    CHECK(strstr(last_post(), "due within") == NULL);
    CHECK_STR(fx_str("SELECT done_by FROM checklist WHERE step = 7"), CAROL);
    CHECK_INT(fx_slash(BOB, CHAN, "checklist"), BOT_OK);
    CHECK_CONTAINS(fx_str("SELECT json_extract(payload, '$.message.blocks') FROM outbox WHERE "
                          "kind = 'slack.respond' ORDER BY id DESC LIMIT 1"),
                   "Internal postmortem optional for a minor incident");
    /* Days later: nothing reminds. */
    CHECK_INT(run_reminders(at + 3 * DAY), 0);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%postmortem of INC-1%%'"),
              0);
    /* The team may still hold one. */
    CHECK_INT(fx_slash(BOB, CHAN, "postmortem internal"), BOT_OK);
    CHECK_CONTAINS(last_post(), "Internal postmortem draft of INC-1");
    /* Not the IRM, no follow-ups, no postmortem: closed over the open steps, and the record
     * says so; the optional internal postmortem is not one of them. */
    CHECK_INT(fx_slash(ALICE, CHAN, "close"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "still has 5 open steps on its checklist: 1. Set up, 2. "
                                    "Announce, 3. Support plan, 5. Identified, 6. Monitoring.");
    CHECK_INT(click(ALICE, "inc_close_anyway", "1"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Done: INC-1 is closed.");
    CHECK_STR(fx_str("SELECT status FROM incidents WHERE id = 1"), "closed");
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE kind = 'status' AND incident_id = 1"),
                   "The internal postmortem was optional for a minor incident and was not held.");
    CHECK_STR(fx_str("SELECT done_by FROM checklist WHERE step = 9 AND incident_id = 1"), ALICE);

    /* A major incident: required, as before. */
    declare_one("Uploads slow");
    CHECK_INT(resolve(2, at), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE kind = 'postmortem_due' AND state = "
                     "'pending' AND incident_id = 2"),
              2);
    CHECK_CONTAINS(last_post(), "The internal postmortem is due within 24 h");
    CHECK_INT(run_reminders(at + 20 * HOUR), 1);
    CHECK_CONTAINS(last_post(), "the internal postmortem of INC-2 is due in 4 h");
    CHECK_INT(fx_slash(ALICE, "C0INC000002", "close"), BOT_OK);
    CHECK_INT(click(ALICE, "inc_close_anyway", "2"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Done: INC-2 is closed.");
    CHECK(strstr(fx_str("SELECT text FROM timeline WHERE kind = 'status' AND incident_id = 2"),
                 "optional") == NULL);
    fx_cfg.postmortem_optional[SEV_MINOR] = false;
    fx_cfg.postmortem_remind_hours = NULL;
    fx_cfg.n_postmortem_remind_hours = 0;
    fx_close();
}

/* ---- step 8: the public postmortem ---- */

/* The latest reply's whole payload (JSON text), "" when none. */
static const char *last_reply_json(void)
{
    return fx_str("SELECT payload FROM outbox WHERE kind = 'slack.respond' ORDER BY id DESC "
                  "LIMIT 1");
}

#define PM_VIEW                                                                                    \
    "SELECT json_extract(payload, '$.args.view') FROM outbox WHERE json_extract(payload, "        \
    "'$.method') = 'views.open' ORDER BY id DESC LIMIT 1"
#define SECRET "SECRET-NOTE-7f3 https://grafana.internal/d/db"

/* The value of the Publish button of the latest preview, as the test clicks it. */
static const char *preview_value(void)
{
    return fx_str("SELECT json_extract(e.value, '$.value') FROM outbox o, "
                  "json_each(o.payload, '$.message.blocks') b, "
                  "json_each(b.value, '$.elements') e WHERE o.kind = 'slack.respond' AND "
                  "json_extract(e.value, '$.action_id') = '" RENDER_PM_PUBLISH_ACTION "' "
                  "ORDER BY o.id DESC LIMIT 1");
}

static void test_public_postmortem(void)
{
    struct store_timeline_entry e = {.incident_id = 1, .actor = CAROL, .kind = "status",
                                     .text = "We found the &lt;cause&gt;: a bad deploy.",
                                     .public = 1, .status = "identified"};
    struct bot_err err;
    char value[64];
    fx_open();
    declare_one("Search down");
    CHECK_INT(fx_slash(ALICE, CHAN, "call https://meet.example.com/x"), BOT_OK);
    /* Before resolving: refused. */
    long long before = state_count();
    CHECK_INT(fx_slash(CAROL, CHAN, "postmortem"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "INC-1 is investigating: the public postmortem is written "
                                    "once it is resolved");
    CHECK_INT(state_count(), before);

    e.at = fx_now + 10 * 60000;
    CHECK_INT(store_timeline_append(fx_store, &e, &err), BOT_OK);
    e = (struct store_timeline_entry){.incident_id = 1, .at = fx_now + 20 * 60000, .actor = BOB,
                                      .kind = "note", .text = "Rolled back <@U0BOB000002>'s deploy",
                                      .status = "identified"};
    CHECK_INT(store_timeline_append(fx_store, &e, &err), BOT_OK);
    CHECK_INT(fx_slash(BOB, CHAN, "note " SECRET), BOT_OK);
    CHECK_INT(fx_slash(BOB, CHAN, "followup add Add a canary stage"), BOT_OK);
    set_incident(1, NULL, 0, 1); /* public */
    CHECK_INT(resolve(1, fx_now + 90 * 60000), BOT_OK);

    /* The modal, drafted from the public record only, in the fast lane. */
    CHECK_INT(fx_slash(CAROL, CHAN, "postmortem"), BOT_OK);
    CHECK_STR(fx_str("SELECT target FROM outbox WHERE json_extract(payload, '$.method') = "
                     "'views.open'"),
              "fast");
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.args.trigger_id') FROM outbox WHERE "
                     "json_extract(payload, '$.method') = 'views.open'"),
              "1.2.trigger");
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.args.view.callback_id') FROM outbox WHERE "
                     "json_extract(payload, '$.method') = 'views.open'"),
              RENDER_POSTMORTEM_CALLBACK);
    const char *view = fx_str(PM_VIEW);
    CHECK_CONTAINS(view, "Impact: major.");
    CHECK_CONTAINS(view, "From 2026-11-23 10:00 UTC to 2026-11-23 11:30 UTC (1 h 30 min).");
    CHECK_CONTAINS(view, "Our updates during the incident:\\n- 10:10 UTC — Identified: We "
                         "found the <cause>: a bad deploy.");
    CHECK_CONTAINS(view, "[[Replace this: what happened");
    CHECK_CONTAINS(view, "[[Replace this: what we did");
    CHECK_CONTAINS(view, "[[Replace this: what we will do");
    CHECK_CONTAINS(view, "\"text\":\"Preview\"");
    /* Nothing internal: no note, no follow-up, no people, no channel, no affected users. */
    CHECK(strstr(view, "Rolled back") == NULL && strstr(view, "SECRET-NOTE") == NULL &&
          strstr(view, "grafana") == NULL && strstr(view, "canary") == NULL &&
          strstr(view, "U0BOB") == NULL && strstr(view, CHAN) == NULL &&
          strstr(view, "40 users") == NULL && strstr(view, "meet.example.com") == NULL);

    /* A required part left blank: refused in the ack, and nothing changes. */
    char *sub = pm_submission(1, "Search was down.", "  \n ", "Rolled back.", NULL);
    cJSON *payload = cJSON_Parse(sub), *errors = NULL;
    plan_check_submission(payload, &errors);
    CHECK(errors != NULL);
    CHECK_STR(cJSON_GetObjectItem(errors, "response_action")->valuestring, "errors");
    CHECK_CONTAINS(cJSON_GetObjectItem(cJSON_GetObjectItem(errors, "errors"),
                                       "pm_happened")->valuestring,
                   "Write the \"what happened\" part");
    cJSON_Delete(errors);
    cJSON_Delete(payload);
    before = state_count();
    CHECK_INT(fx_decide("interactive", sub, "env-pm-1"), BOT_OK);
    CHECK_INT(state_count(), before);
    free(sub);

    /* The draft sent back as it is (Enter in the console): its placeholders refuse it. */
    sub = pm_submission(1, "Impact: major.", render_pm_placeholder(RENDER_PM_HAPPENED),
                        "We rolled it back.", render_pm_placeholder(RENDER_PM_NEXT));
    payload = cJSON_Parse(sub);
    plan_check_submission(payload, &errors);
    CHECK(errors != NULL);
    CHECK_CONTAINS(cJSON_GetObjectItem(cJSON_GetObjectItem(errors, "errors"),
                                       "pm_happened")->valuestring,
                   "Replace the [[…]] placeholder");
    CHECK(cJSON_HasObjectItem(cJSON_GetObjectItem(errors, "errors"), "pm_next")); /* all at once */
    CHECK(!cJSON_HasObjectItem(cJSON_GetObjectItem(errors, "errors"), "pm_done"));
    cJSON_Delete(errors);
    cJSON_Delete(payload);
    CHECK_INT(fx_decide("interactive", sub, "env-pm-1b"), BOT_OK);
    CHECK_INT(state_count(), before);
    free(sub);

    /* Submitted: nothing is published; the draft waits and its author gets the preview. */
    sub = pm_submission(1, "Search was down for 90 minutes.", "A deploy broke the index & <b>.",
                        "We rolled it back.", "A canary stage.");
    payload = cJSON_Parse(sub);
    plan_check_submission(payload, &errors);
    CHECK(errors == NULL);
    cJSON_Delete(payload);
    CHECK_INT(fx_decide("interactive", sub, "env-pm-2"), BOT_OK);
    free(sub);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "resolved");
    CHECK_INT(fx_int("SELECT count(*) FROM incidents WHERE postmortem IS NOT NULL OR "
                     "postmortem_published_at IS NOT NULL"),
              0);
    CHECK_INT(effects("statuspage.postmortem"), 0);
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'postmortem'"), 0);
    CHECK_CONTAINS(fx_str("SELECT value FROM incident_attrs WHERE key = 'postmortem.draft'"),
                   "\"A deploy broke the index &amp; &lt;b&gt;.\""); /* stored form */
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.url') FROM outbox WHERE kind = "
                     "'slack.respond' ORDER BY id DESC LIMIT 1"),
              "https://h/pm");
    const char *pv = last_reply_json();
    CHECK_CONTAINS(pv, "Preview: the postmortem of INC-1 on the public status page");
    CHECK_CONTAINS(pv, "A deploy broke the index &amp; &lt;b&gt;."); /* mrkdwn, escaped */
    CHECK_CONTAINS(pv, "\"text\":\"Publish postmortem\"");
    CHECK_CONTAINS(pv, "\"action_id\":\"" RENDER_PM_EDIT_ACTION "\"");
    CHECK_CONTAINS(pv, "\"action_id\":\"" RENDER_PM_CANCEL_ACTION "\"");
    snprintf(value, sizeof(value), "1:%lld", (long long)fx_now);
    CHECK_STR(preview_value(), value);

    /* Only who may publish, only the latest draft's preview; "Not yet" keeps the draft. */
    before = state_count();
    fx_cfg.manage_irms = false;
    CHECK_INT(click(DAVE, RENDER_PM_PUBLISH_ACTION, value), BOT_OK);
    fx_cfg.manage_irms = true;
    CHECK_CONTAINS(fx_last_reply(), "may publish the postmortem of INC-1; nothing changed");
    CHECK_INT(click(CAROL, RENDER_PM_PUBLISH_ACTION, "1:123"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "This preview is not the latest draft");
    CHECK_INT(click(CAROL, RENDER_PM_CANCEL_ACTION, "1"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Not published: the draft of the postmortem of INC-1 is kept");
    CHECK_INT(state_count(), before);

    /* The click publishes: stored, status postmortem, step 8, the status page effect. */
    CHECK_INT(click(CAROL, RENDER_PM_PUBLISH_ACTION, value), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "postmortem");
    CHECK_INT(fx_int("SELECT postmortem_published_at FROM incidents"), fx_now);
    CHECK_INT(fx_int("SELECT count(*) FROM incidents WHERE postmortem_updated_at IS NULL"), 1);
    CHECK_STR(fx_str("SELECT postmortem FROM incidents"),
              "## Impact\n\nSearch was down for 90 minutes.\n\n## What happened\n\nA deploy "
              "broke the index &amp; &lt;b&gt;.\n\n## What we did\n\nWe rolled it back.\n\n"
              "## What we will do\n\nA canary stage.");
    CHECK_STR(fx_str("SELECT target FROM outbox WHERE kind = 'statuspage.postmortem'"),
              "statuspage");
    /* What leaves Slack is plain text: the entities decoded once. */
    CHECK_CONTAINS(fx_str("SELECT json_extract(payload, '$.body') FROM outbox WHERE kind = "
                          "'statuspage.postmortem'"),
                   "## What happened\n\nA deploy broke the index & <b>.");
    CHECK_INT(fx_int("SELECT incident_id FROM outbox WHERE kind = 'statuspage.postmortem'"), 1);
    CHECK_STR(fx_str("SELECT done_by FROM checklist WHERE step = 8"), CAROL);
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE kind = 'postmortem'"),
                   "Public postmortem published by <@" CAROL "> and sent to the status page");
    CHECK_CONTAINS(fx_last_reply(), "The postmortem of INC-1 is published on the status page");
    CHECK(fx_int("SELECT json_extract(payload, '$.message.replace_original') FROM outbox WHERE "
                 "kind = 'slack.respond' ORDER BY id DESC LIMIT 1") == 1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE json_extract(payload, '$.args.thread_ts') "
                     "= '{{incident.announce_ts}}' AND json_extract(payload, '$.args.text') LIKE "
                     "'%%postmortem%%'"),
              1);
    /* The draft was used up: a second click on the same preview publishes nothing again. */
    before = state_count();
    CHECK_INT(click(CAROL, RENDER_PM_PUBLISH_ACTION, value), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "No postmortem draft of INC-1 is waiting");
    CHECK_INT(state_count(), before);
    CHECK_INT(effects("statuspage.postmortem"), 1);

    /* Amended later: the modal holds the published parts, as typed; the click is a new event. */
    CHECK_INT(fx_slash(CAROL, CHAN, "postmortem"), BOT_OK);
    view = fx_str(PM_VIEW);
    CHECK_CONTAINS(view, "\"initial_value\":\"A deploy broke the index & <b>.\"");
    CHECK_CONTAINS(view, "\"text\":\"Amend postmortem\"");
    sub = pm_submission(1, "Search was down for 90 minutes.", "A deploy broke the index; the "
                        "internal postmortem found why.", "We rolled it back.", NULL);
    fx_now += HOUR;
    CHECK_INT(fx_decide("interactive", sub, "env-pm-3"), BOT_OK);
    free(sub);
    CHECK_CONTAINS(last_reply_json(), "This *amends* the postmortem published");
    CHECK_INT(effects("statuspage.postmortem"), 1); /* not before the click */
    snprintf(value, sizeof(value), "1:%lld", (long long)fx_now);
    CHECK_INT(click(CAROL, RENDER_PM_PUBLISH_ACTION, value), BOT_OK);
    CHECK_INT(effects("statuspage.postmortem"), 2);
    CHECK_INT(fx_int("SELECT postmortem_published_at FROM incidents"), fx_now - HOUR); /* first */
    CHECK_INT(fx_int("SELECT postmortem_updated_at FROM incidents"), fx_now);
    CHECK_CONTAINS(fx_str("SELECT postmortem FROM incidents"), "found why");
    CHECK_INT(fx_int("SELECT instr(postmortem, 'What we will do') FROM incidents"), 0);
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE kind = 'postmortem' ORDER BY id DESC "
                          "LIMIT 1"),
                   "amended by");
    CHECK_CONTAINS(fx_last_reply(), "is amended: the status page shows it as updated");
    fx_now -= HOUR;
    /* Nothing internal went anywhere public. */
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE kind LIKE 'statuspage.%%' AND (payload "
                     "LIKE '%%SECRET-NOTE%%' OR payload LIKE '%%Rolled back%%')"),
              0);
    fx_close();
}

static void test_internal_incident_postmortem_stays_internal(void)
{
    fx_open();
    declare_one("Admin UI slow");
    CHECK_INT(resolve(1, fx_now + HOUR), BOT_OK);
    CHECK_INT(fx_slash(CAROL, CHAN, "postmortem"), BOT_OK);
    CHECK_CONTAINS(fx_str(PM_VIEW), "not sent to the status page");
    char *sub = pm_submission(1, "Slow admin pages.", "A slow query.", "An index.", NULL);
    CHECK_INT(fx_decide("interactive", sub, "env-pm-4"), BOT_OK);
    free(sub);
    CHECK_CONTAINS(last_reply_json(), "The incident is not public");
    CHECK_CONTAINS(last_reply_json(), "\"text\":\"Record postmortem\"");
    CHECK_STR(fx_str("SELECT status FROM incidents"), "resolved");
    char value[64];
    snprintf(value, sizeof(value), "%s", preview_value());
    CHECK_INT(click(CAROL, RENDER_PM_PUBLISH_ACTION, value), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "postmortem");
    CHECK_INT(effects("statuspage.postmortem"), 0);
    CHECK_CONTAINS(fx_last_reply(), "The postmortem of INC-1 is recorded with the incident");
    /* A submission or a click for an incident reopened meanwhile changes nothing. */
    set_incident(1, "monitoring", 0, -1);
    long long before = state_count();
    sub = pm_submission(1, "x", "y", "z", NULL);
    CHECK_INT(fx_decide("interactive", sub, "env-pm-5"), BOT_OK);
    free(sub);
    CHECK_CONTAINS(fx_last_reply(), "is monitoring again: the postmortem was not published");
    CHECK_INT(click(CAROL, RENDER_PM_PUBLISH_ACTION, value), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "is monitoring again: the postmortem was not published");
    CHECK_INT(state_count(), before);
    fx_close();
}

/* ---- step 9: follow-ups, the internal draft, closing ---- */

static void test_followups(void)
{
    fx_open();
    declare_one("Emails delayed");
    CHECK_INT(fx_slash(BOB, CHAN, "followup list"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "INC-1 has no follow-ups yet");
    CHECK_INT(fx_slash(BOB, CHAN, "followup add Alert on <b>queue</b> depth <@" DAVE "> "
                       "2026-12-01"),
              BOT_OK);
    CHECK_STR(fx_str("SELECT text || '|' || owner || '|' || created_by FROM followups"),
              "Alert on <b>queue</b> depth|" DAVE "|" BOB);
    CHECK_INT(fx_int("SELECT due_at FROM followups WHERE n = 1"), 1796169599000LL);
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE kind = 'followup'"),
                   "Follow-up 1 added by <@" BOB ">: Alert on &lt;b&gt;queue&lt;/b&gt; depth "
                   "(owner <@" DAVE ">)");
    CHECK_CONTAINS(last_post(), "Follow-up 1 added");
    /* Due before owner works too; "3d", "2w", "tomorrow". */
    CHECK_INT(fx_slash(BOB, CHAN, "followup add Write a runbook tomorrow <@" CAROL ">"), BOT_OK);
    CHECK_INT(fx_int("SELECT due_at FROM followups WHERE n = 2"),
              fx_now - 10 * HOUR + 2 * DAY - 1000);
    CHECK_INT(fx_slash(BOB, CHAN, "followup add Rotate keys 3d"), BOT_OK);
    CHECK_INT(fx_int("SELECT due_at FROM followups WHERE n = 3"), fx_now + 3 * DAY);
    CHECK_INT(fx_slash(BOB, CHAN, "followup add Fix the 3d renderer"), BOT_OK);
    CHECK_STR(fx_str("SELECT text FROM followups WHERE n = 4"), "Fix the 3d renderer");
    CHECK_INT(fx_int("SELECT due_at IS NULL FROM followups WHERE n = 4"), 1);
    CHECK_INT(fx_slash(BOB, CHAN, "followup add Review 2w INC-1"), BOT_OK);
    CHECK_INT(fx_int("SELECT due_at FROM followups WHERE n = 5"), fx_now + 14 * DAY);
    CHECK_CONTAINS(fx_last_reply(), "Added follow-up 5 to INC-1 (5 open).");

    CHECK_INT(fx_slash(BOB, CHAN, "followup list"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "*Follow-ups of INC-1:*");
    CHECK_CONTAINS(fx_last_reply(), ":white_circle: *1.* Alert on &lt;b&gt;queue&lt;/b&gt; depth "
                                    "· owner <@" DAVE "> · due <!date^1796169599^");
    CHECK_INT(fx_slash(CAROL, CHAN, "followup done 1"), BOT_OK);
    CHECK_STR(fx_str("SELECT done_by FROM followups WHERE n = 1"), CAROL);
    CHECK_CONTAINS(fx_last_reply(), "Done: follow-up 1 of INC-1 (4 still open).");
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE kind = 'followup' ORDER BY id DESC "
                          "LIMIT 1"),
                   "Follow-up 1 done by <@" CAROL ">");
    CHECK_INT(fx_slash(CAROL, CHAN, "followup list"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), ":white_check_mark: *1.*");
    CHECK_CONTAINS(fx_last_reply(), "done by <@" CAROL ">");

    /* Mistakes: answered, nothing changed. */
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"followup done 9", "INC-1 has no follow-up 9 (it has 5"},
        {"followup done 1", "Follow-up 1 was done already"},
        {"followup done x", "takes the follow-up's number"},
        {"followup done", "takes the follow-up's number"},
        {"followup add", "Say what should be done"},
        {"followup add <@" DAVE ">", "Say what should be done"},
        {"followup add Fix it 2026-11-01", "the due date 2026-11-01 is in the past"},
        {"followup add Fix it 2026-02-30", "`2026-02-30` is not a date"},
        {"followup add Fix it 2026-13-01", "`2026-13-01` is not a date"},
        {"followup add Fix it 0d", "a due date from 1d to 366d"},
        {"followup add Fix it 999d", "a due date from 1d to 366d"},
        {"followup add Fix it 2028-01-01", "more than 366 days away"},
        {"followup add Fix it @dave", "there is no user `@dave`"},
        {"followup frob", "Unexpected `frob`"},
        {"followup list extra", "Unexpected `extra`"},
    };
    long long before = state_count();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long long replies = effects("slack.respond");
        CHECK_INT(fx_slash(BOB, CHAN, bad[i].text), BOT_OK);
        CHECK_MSG(effects("slack.respond") == replies + 1, "no reply to %s", bad[i].text);
        CHECK_MSG(strstr(fx_last_reply(), bad[i].want) != NULL, "%s: %s", bad[i].text,
                  fx_last_reply());
        CHECK_MSG(state_count() == before, "%s changed the state", bad[i].text);
    }
    fx_close();
}

static void test_internal_postmortem_draft(void)
{
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Queue <!channel> stuck --users 40 --started 30m "
                       "--component api"),
              BOT_OK);
    fx_channel_created(1, CHAN);
    CHECK_INT(fx_slash(ALICE, CHAN, "role irm <@" CAROL ">"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, CHAN, "role irm <@" BOB ">"), BOT_OK);
    CHECK_INT(fx_slash(BOB, CHAN, "followup add Add `backpressure` <@" DAVE ">"), BOT_OK);
    CHECK_INT(resolve(1, fx_now + 2 * HOUR), BOT_OK);
    CHECK_INT(fx_slash(DAVE, CHAN, "postmortem internal"), BOT_OK);
    const char *md = last_post();
    CHECK_CONTAINS(md, ":memo: *Internal postmortem draft of INC-1* (Markdown, from the "
                       "timeline; asked for by <@" DAVE ">):\n```\n# INC-1: Queue @channel "
                       "stuck\n");
    CHECK_CONTAINS(md, "- Started: 2026-11-23 09:30 UTC\n");
    CHECK_CONTAINS(md, "- Declared: 2026-11-23 10:00 UTC (time to declare: 30 min)\n");
    CHECK_CONTAINS(md, "- Resolved: 2026-11-23 12:00 UTC (time to resolve: 2 h 30 min)\n");
    CHECK_CONTAINS(md, "- Components: api\n");
    CHECK_CONTAINS(md, "- Internal postmortem due: 2026-11-24 12:00 UTC\n");
    CHECK_CONTAINS(md, "## Roles\n\n- IRM: @" CAROL ", from 2026-11-23 10:00 UTC until "
                       "2026-11-23 10:00 UTC\n- IRM: @" BOB ", from");
    CHECK_CONTAINS(md, "## Timeline\n\n- 2026-11-23 10:00 UTC · @" ALICE " · declare: Declared "
                       "by @" ALICE ": Queue @channel stuck");
    CHECK_CONTAINS(md, "role: @" BOB " is now the IRM (assigned by @" ALICE "; before: @" CAROL
                       ")");
    CHECK_CONTAINS(md, "## Follow-ups\n\n- [ ] 1. Add 'backpressure' (owner @" DAVE ")\n");
    CHECK(strstr(md, "<!channel>") == NULL);
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'postmortem_draft'"), 1);
    CHECK_CONTAINS(fx_last_reply(), "Posted the internal postmortem draft of INC-1");
    fx_close();
}

static void test_close(void)
{
    fx_open();
    declare_one("Uploads fail");
    /* Not resolved: refused. */
    long long before = state_count();
    CHECK_INT(fx_slash(CAROL, CHAN, "close"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "INC-1 is investigating: resolve it first");
    CHECK_INT(state_count(), before);
    CHECK_INT(fx_slash(BOB, CHAN, "followup add Add <b>retries</b> <@" DAVE ">"), BOT_OK);
    CHECK_INT(fx_slash(BOB, CHAN, "followup add Alert earlier"), BOT_OK);
    CHECK_INT(resolve(1, fx_now + HOUR), BOT_OK);

    /* Open follow-ups: only the IRM closes, and they are listed. */
    before = state_count();
    CHECK_INT(fx_slash(ALICE, CHAN, "close"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), ":no_entry: INC-1 has 2 open follow-ups:\n• 1. Add "
                                    "&lt;b&gt;retries&lt;/b&gt; (<@" DAVE ">)\n• 2. Alert earlier");
    CHECK_CONTAINS(fx_last_reply(), "ask its IRM <@" CAROL "> to close it anyway. Nothing "
                                    "changed.");
    CHECK_INT(state_count(), before);
    CHECK_INT(fx_slash(CAROL, CHAN, "close"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "close it anyway");
    CHECK_INT(click(CAROL, "inc_close_anyway", "1"), BOT_OK);
    CHECK_STR(fx_str("SELECT status FROM incidents"), "closed");
    CHECK_INT(fx_int("SELECT closed_at FROM incidents"), fx_now);
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE kind = 'status'"),
                   "Closed by <@" CAROL "> (the IRM) with 2 follow-ups still open:\n• 1. Add");
    CHECK_INT(fx_int("SELECT count(*) FROM reminders WHERE state = 'pending'"), 0);
    CHECK_STR(fx_str("SELECT done_by FROM checklist WHERE step = 9"), CAROL);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE json_extract(payload, '$.args.channel') = "
                     "'{{incident.channel_id}}' AND json_extract(payload, '$.args.text') LIKE "
                     "'Closed by <@" CAROL ">%%'"),
              1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE json_extract(payload, '$.args.thread_ts') "
                     "= '{{incident.announce_ts}}' AND json_extract(payload, '$.args.text') LIKE "
                     "'%%closed%%'"),
              1);
    before = state_count();
    CHECK_INT(fx_slash(CAROL, CHAN, "close"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "INC-1 is closed already");
    CHECK_INT(fx_slash(CAROL, CHAN, "followup add One more"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "INC-1 is closed; nothing changed");
    CHECK_INT(state_count(), before);
    /* Follow-ups can still be finished after a forced close. */
    CHECK_INT(fx_slash(DAVE, CHAN, "followup done 1"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM followups WHERE done_at IS NOT NULL"), 1);

    /* Every follow-up done: anyone allowed to close may; from postmortem too. */
    declare_one("Avatars missing");
    CHECK_INT(fx_slash(BOB, "C0INC000002", "followup add Cache avatars"), BOT_OK);
    CHECK_INT(resolve(2, fx_now + HOUR), BOT_OK);
    CHECK_INT(fx_slash(BOB, "C0INC000002", "followup done 1"), BOT_OK);
    CHECK_CONTAINS(last_post(), "Every follow-up is done: `/incident close` closes the incident.");
    set_incident(2, "postmortem", 0, -1);
    CHECK_INT(fx_slash(ALICE, "C0INC000002", "close"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "still has");
    CHECK_INT(click(ALICE, "inc_close_anyway", "2"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "Done: INC-2 is closed.");
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE kind = 'status' AND incident_id = 2"),
                   "every follow-up is done");

    /* [permissions] manage: someone outside the response team may not close. */
    declare_one("Reports late");
    CHECK_INT(resolve(3, fx_now + HOUR), BOT_OK);
    fx_cfg.manage_irms = false;
    before = state_count();
    CHECK_INT(fx_slash(DAVE, "C0INC000003", "close"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), ":no_entry: Only the incident's response team, the admins "
                                    "may close INC-3");
    CHECK_INT(fx_slash(DAVE, "C0INC000003", "postmortem"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "may publish the postmortem of INC-3");
    CHECK_INT(state_count(), before);
    fx_cfg.manage_irms = true;
    fx_close();
}

/* Commands about no incident, or the wrong state: a reply, nothing changed. */
static void test_bad_inputs_change_nothing(void)
{
    static const struct {
        const char *channel, *text, *want;
    } cases[] = {
        {"C0RANDOM001", "checklist", "not an incident's"},
        {"C0RANDOM001", "checklist INC-99", "no incident INC-99"},
        {"C0RANDOM001", "followup list", "not an incident's"},
        {"C0RANDOM001", "close", "not an incident's"},
        {"C0RANDOM001", "support", "not an incident's"},
        {"C0RANDOM001", "postmortem 77", "no incident INC-77"},
        {CHAN, "checklist done 0", "takes a step number from 1 to 9"},
        {CHAN, "checklist done 10", "takes a step number from 1 to 9"},
        {CHAN, "checklist done", "takes a step number from 1 to 9"},
        {CHAN, "checklist reopen 5", "Only the IRM of INC-1"},
        {CHAN, "checklist frob", "Unexpected `frob`"},
        {CHAN, "postmortem", "the public postmortem is written once it is resolved"},
        {CHAN, "postmortem held", "the internal postmortem comes after it is resolved"},
        {CHAN, "postmortem frob", "Unexpected `frob`"},
        {CHAN, "close extra", "`extra` is not an incident"},
        {CHAN, "close", "resolve it first"},
    };
    fx_open();
    declare_one("API errors");
    long long before = state_count();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long long replies = effects("slack.respond");
        CHECK_INT(fx_slash(BOB, cases[i].channel, cases[i].text), BOT_OK);
        CHECK_MSG(effects("slack.respond") == replies + 1, "no reply to %s", cases[i].text);
        CHECK_MSG(strstr(fx_last_reply(), cases[i].want) != NULL, "%s: reply %s lacks %s",
                  cases[i].text, fx_last_reply(), cases[i].want);
        CHECK_MSG(state_count() == before, "%s changed the state", cases[i].text);
    }
    CHECK_INT(fx_slash(CAROL, CHAN, "checklist reopen 5"), BOT_OK); /* the IRM */
    CHECK_CONTAINS(fx_last_reply(), "Step 5 (Identified) of INC-1 is open already");
    CHECK_INT(state_count(), before);
    /* A click with a step that does not exist is a payload we cannot use. */
    CHECK(click(BOB, "inc_step_done", "1:12") == BOT_EPROTO);
    CHECK(click(BOB, "inc_step_done", "1") == BOT_EPROTO);
    CHECK_INT(state_count(), before);
    fx_close();
}

/* ---- pure helpers and rendering ---- */

static void test_parse_due(void)
{
    char why[300];
    int64_t due = 0;
    /* 2026-11-23 10:00 UTC; an hour east of UTC it is 11:00 there. */
    CHECK_INT(plan_parse_due("2026-11-30", fx_now, 0, &due, why, sizeof(why)), PLAN_DUE_OK);
    CHECK_INT(due, 1796083199000LL); /* 2026-11-30 23:59:59 UTC */
    CHECK_INT(plan_parse_due("2026-11-30", fx_now, 60, &due, why, sizeof(why)), PLAN_DUE_OK);
    CHECK_INT(due, 1796083199000LL - 3600000);
    CHECK_INT(plan_parse_due("today", fx_now, 0, &due, why, sizeof(why)), PLAN_DUE_OK);
    CHECK_INT(due, 1795478399000LL);
    /* 23:30 UTC is already tomorrow two hours east: "today" is the 24th there. */
    CHECK_INT(plan_parse_due("today", fx_now + 810 * 60000, 120, &due, why, sizeof(why)),
              PLAN_DUE_OK);
    CHECK_INT(due, 1795478399000LL + 86400000 - 7200000);
    CHECK_INT(plan_parse_due("2026-11-23", fx_now + 810 * 60000, 120, &due, why, sizeof(why)),
              PLAN_DUE_BAD);
    CHECK_CONTAINS(why, "in the past");
    CHECK_INT(plan_parse_due("2028-02-29", fx_now, 0, &due, why, sizeof(why)), PLAN_DUE_BAD);
    CHECK_CONTAINS(why, "more than 366 days");
    CHECK_INT(plan_parse_due("2027-02-29", fx_now, 0, &due, why, sizeof(why)), PLAN_DUE_BAD);
    CHECK_CONTAINS(why, "not a date");
    CHECK_INT(plan_parse_due("2026-1-5x", fx_now, 0, &due, why, sizeof(why)), PLAN_DUE_BAD);
    CHECK_INT(plan_parse_due("1w", fx_now, 0, &due, why, sizeof(why)), PLAN_DUE_OK);
    CHECK_INT(due, fx_now + 7 * DAY);
    CHECK_INT(plan_parse_due("53w", fx_now, 0, &due, why, sizeof(why)), PLAN_DUE_BAD);
    CHECK_INT(plan_parse_due("42", fx_now, 0, &due, why, sizeof(why)), PLAN_DUE_NONE);
    CHECK_INT(plan_parse_due("3dx", fx_now, 0, &due, why, sizeof(why)), PLAN_DUE_NONE);
    CHECK_INT(plan_parse_due("d", fx_now, 0, &due, why, sizeof(why)), PLAN_DUE_NONE);
    CHECK_INT(plan_parse_due("v2", fx_now, 0, &due, why, sizeof(why)), PLAN_DUE_NONE);
    CHECK_INT(plan_parse_due("1234567d", fx_now, 0, &due, why, sizeof(why)), PLAN_DUE_NONE);
    char out[40];
    plan_fmt_duration(59999, out, sizeof(out));
    CHECK_STR(out, "< 1 min");
    plan_fmt_duration(26 * HOUR + 5 * 60000, out, sizeof(out));
    CHECK_STR(out, "1 d 2 h");
    plan_fmt_utc(fx_now, out, sizeof(out));
    CHECK_STR(out, "2026-11-23 10:00 UTC");
}

static void test_render_steps(void)
{
    struct render_checklist c = {.id = 7, .title = "A <b> & \xff title", .status = ST_RESOLVED,
                                 .pointer = 8};
    cJSON *blocks = NULL;
    char *text = NULL;
    c.steps[0] = (struct render_step){.done = true, .by = "U1", .at_ms = fx_now};
    c.steps[1] = (struct render_step){.done = true, .skipped = true, .by = "<!channel>",
                                      .at_ms = fx_now};
    CHECK_INT(render_checklist(&c, &blocks, &text), BOT_OK);
    char *s = cJSON_PrintUnformatted(blocks);
    CHECK_CONTAINS(s, "*A &lt;b&gt; &amp; \xef\xbf\xbd title* · resolved · step 8 of 9: Customer "
                      "communication");
    CHECK_CONTAINS(s, "skipped by incidentd"); /* a malformed id is never a mention */
    CHECK_CONTAINS(s, "\"block_id\":\"inc7_step3\"");
    CHECK(strstr(s, "\"value\":\"7:1\"") == NULL); /* done: no button */
    CHECK_CONTAINS(s, "\"value\":\"7:8\",\"style\":\"primary\"");
    CHECK_STR(text, "INC-7 checklist: step 8 of 9 (Customer communication)");
    free(s);
    free(text);
    cJSON_Delete(blocks);
    /* A detail over its bound is a bug of the caller: refused whole. */
    char *longd = xmalloc(RENDER_STEP_DETAIL_MAX + 2);
    memset(longd, 'x', RENDER_STEP_DETAIL_MAX + 1);
    longd[RENDER_STEP_DETAIL_MAX + 1] = '\0';
    c.steps[4].detail = longd;
    CHECK_INT(render_checklist(&c, &blocks, &text), BOT_ETOOBIG);
    CHECK(blocks == NULL && text == NULL);
    free(longd);
    c.pointer = 10;
    CHECK_INT(render_checklist(&c, &blocks, &text), BOT_EINVAL);

    /* The modal: initial values cut to Slack's cap; the title cut and escaped. */
    char *big = xmalloc(5000);
    memset(big, 'y', 4999);
    big[4999] = '\0';
    struct render_postmortem_defaults d = {.id = 3, .title = "T <x>", .parts = {big, "h"}};
    cJSON *view = NULL;
    CHECK_INT(render_postmortem_modal(&d, &view), BOT_OK);
    const cJSON *b1 = cJSON_GetArrayItem(cJSON_GetObjectItem(view, "blocks"), 1);
    const char *iv = cJSON_GetObjectItem(cJSON_GetObjectItem(b1, "element"),
                                         "initial_value")->valuestring;
    CHECK_INT(strlen(iv), RENDER_PM_INPUT_MAX - 1 + 3); /* 2999 'y' and "…" */
    CHECK_STR(cJSON_GetObjectItem(b1, "block_id")->valuestring, "pm_impact");
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(b1, "optional")));
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(view, "blocks"),
                                                              4),
                                           "optional")));
    s = cJSON_PrintUnformatted(view);
    CHECK_CONTAINS(s, "*INC-3: T &lt;x&gt;*");
    free(s);
    cJSON_Delete(view);
    d.private_metadata = big;
    CHECK_INT(render_postmortem_modal(&d, &view), BOT_EINVAL);

    /* The submission: shapes Slack would not send, and parts over the cap. */
    struct render_postmortem_values v;
    struct bot_err err;
    cJSON *values = cJSON_Parse("{\"pm_impact\":{\"pm_impact_input\":{\"type\":\"plain_text_input"
                                "\",\"value\":\" i \"}},\"pm_happened\":{\"pm_happened_input\":{"
                                "\"type\":\"plain_text_input\",\"value\":\"h\"}},\"pm_done\":{"
                                "\"pm_done_input\":{\"type\":\"plain_text_input\",\"value\":\"d"
                                "\"}}}");
    CHECK_INT(render_parse_postmortem_submission(values, &v, &err), BOT_OK);
    CHECK_STR(v.parts[RENDER_PM_IMPACT], "i");
    CHECK(v.parts[RENDER_PM_NEXT] == NULL);
    char *body = render_postmortem_body((const char *const *)v.parts);
    CHECK_STR(body, "## Impact\n\ni\n\n## What happened\n\nh\n\n## What we did\n\nd");
    free(body);
    render_postmortem_values_free(&v);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(cJSON_GetObjectItem(values, "pm_done"),
                                                  "pm_done_input"),
                              "value", cJSON_CreateString(big));
    CHECK_INT(render_parse_postmortem_submission(values, &v, &err), BOT_EINVAL);
    CHECK_STR(v.error_block, "pm_done");
    CHECK(v.parts[RENDER_PM_IMPACT] == NULL); /* nothing to free on failure */
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(values, "pm_done"), "pm_done_input",
                              cJSON_Parse("{\"type\":\"static_select\"}"));
    CHECK_INT(render_parse_postmortem_submission(values, &v, &err), BOT_EPROTO);
    CHECK_STR(v.error_block, "pm_done");
    cJSON_DeleteItemFromObject(values, "pm_done");
    CHECK_INT(render_parse_postmortem_submission(values, &v, &err), BOT_EINVAL);
    CHECK_CONTAINS(err.msg, "\"what we did\"");
    /* A placeholder left anywhere, even in the optional part, is refused under its field. */
    cJSON_AddItemToObject(values, "pm_done", cJSON_Parse("{\"pm_done_input\":{\"type\":"
                                                         "\"plain_text_input\",\"value\":\"d\"}}"));
    cJSON_AddItemToObject(values, "pm_next", cJSON_Parse("{\"pm_next_input\":{\"type\":"
                                                         "\"plain_text_input\",\"value\":\"We "
                                                         "will [[Replace this: x]]\"}}"));
    CHECK_INT(render_parse_postmortem_submission(values, &v, &err), BOT_EINVAL);
    CHECK_STR(v.error_block, "pm_next");
    CHECK_CONTAINS(err.msg, "Replace the [[…]] placeholder");
    for (int i = RENDER_PM_HAPPENED; i < RENDER_PM_PARTS; i++)
        CHECK(strstr(render_pm_placeholder((enum render_pm_part)i), RENDER_PM_PLACEHOLDER) != NULL);
    CHECK(render_pm_placeholder(RENDER_PM_IMPACT) == NULL);
    cJSON_Delete(values);

    /* The preview: parts escaped for mrkdwn and cut to fit a section, the buttons' values. */
    struct render_pm_preview pvw = {.id = 4, .title = "T <x>", .public_ = true,
                                    .published_at = fx_now - HOUR, .draft_at = fx_now,
                                    .parts = {"<!channel> & <b>", NULL, big, ""}};
    char *fallback = NULL;
    CHECK_INT(render_postmortem_preview(&pvw, &blocks, &fallback), BOT_OK);
    s = cJSON_PrintUnformatted(blocks);
    CHECK_CONTAINS(s, "*T &lt;x&gt;*");
    CHECK_CONTAINS(s, "This *amends* the postmortem published <!date^");
    CHECK_CONTAINS(s, "*Impact*\\n&lt;!channel&gt; &amp; &lt;b&gt;");
    CHECK_CONTAINS(s, "_(cut in this preview only: it is published whole)_");
    CHECK(strstr(s, "What happened") == NULL && strstr(s, "What we will do") == NULL);
    CHECK_CONTAINS(s, "\"value\":\"4:1795428000000\"");
    CHECK_CONTAINS(s, "\"text\":\"Publish postmortem\"");
    CHECK_STR(fallback, "Preview of the postmortem of INC-4: publish it?");
    for (int i = 0; i < cJSON_GetArraySize(blocks) - 1; i++) {
        const cJSON *t = cJSON_GetObjectItem(cJSON_GetArrayItem(blocks, i), "text");
        CHECK(strlen(cJSON_GetObjectItem(t, "text")->valuestring) <= RENDER_MAX_SECTION_TEXT);
    }
    free(s);
    free(fallback);
    cJSON_Delete(blocks);
    pvw.public_ = false;
    CHECK_INT(render_postmortem_preview(&pvw, &blocks, &fallback), BOT_OK);
    s = cJSON_PrintUnformatted(blocks);
    CHECK_CONTAINS(s, "\"text\":\"Record postmortem\"");
    CHECK_CONTAINS(s, "The incident is not public");
    free(s);
    free(fallback);
    cJSON_Delete(blocks);
    pvw.id = 0;
    CHECK_INT(render_postmortem_preview(&pvw, &blocks, &fallback), BOT_EINVAL);
    CHECK(blocks == NULL && fallback == NULL);
    free(big);

    char *t = render_mrkdwn_to_text("<@U1> set <https://x.example/a?b=1&amp;c|the call> at "
                                    "<!date^1^{time}|10:00>; <#C1|inc-1> <!here> &lt;b&gt; <@U2|bob>",
                                    true);
    CHECK_STR(t, "@U1 set the call at 10:00; #inc-1 @here <b> @bob");
    free(t);
    t = render_mrkdwn_to_text("a &lt; b <unclosed", false);
    CHECK_STR(t, "a &lt; b &lt;unclosed");
    free(t);
}

int main(void)
{
    xmalloc_init_cjson();
    RUN(test_parse_due);
    RUN(test_render_steps);
    RUN(test_checklist_shows_marks_and_moves_the_pointer);
    RUN(test_only_the_irm_skips);
    RUN(test_checklist_follows_the_work);
    RUN(test_close_asks_about_open_steps);
    RUN(test_support_plan);
    RUN(test_resolve_schedules_the_internal_postmortem);
    RUN(test_postmortem_reminders_stop_when_closed_or_reopened);
    RUN(test_optional_postmortem_for_minor);
    RUN(test_public_postmortem);
    RUN(test_internal_incident_postmortem_stays_internal);
    RUN(test_followups);
    RUN(test_internal_postmortem_draft);
    RUN(test_close);
    RUN(test_bad_inputs_change_nothing);
    return CHECK_DONE();
}
