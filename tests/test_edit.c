/*
 * Unit tests of the edits after declaring (commands/plan_component.c,
 * cmd_component.c): which components a user may name (the configured ones,
 * then the store's), the refusal that lists them (also for declare), who may
 * change them, and what follows a change: the timeline, the control message,
 * and on a published incident the built-in page and the mirror.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "plan_fixture.h"
#include "store_component.h"

#define ALICE "U0ALICE0001"
#define CAROL "U0CAROL0003"

static const char *const configured[] = {"API", "Checkout", "Search"};

static const char *status_of(const char *name)
{
    return fx_str("SELECT status FROM components WHERE name = '%s'", name);
}

static long long count_effects(const char *kind)
{
    return fx_int("SELECT count(*) FROM outbox WHERE kind = '%s'", kind);
}

static void publish(int id, const char *channel, const char *env)
{
    char click[300];
    CHECK_INT(fx_slash(ALICE, channel, "publish"), BOT_OK);
    snprintf(click, sizeof(click),
             "{\"type\":\"block_actions\",\"user\":{\"id\":\"" ALICE "\"},\"response_url\":"
             "\"https://h/a\",\"actions\":[{\"action_id\":\"inc_publish_confirm\",\"value\":"
             "\"%d\"}]}", id);
    CHECK_INT(fx_decide("interactive", click, env), BOT_OK);
}

static void setup(void)
{
    fx_cfg.components = configured;
    fx_cfg.n_components = 3;
    fx_cfg.irm_group = "";
    fx_open();
}

/* A typo is refused, listing the known components; nothing is created. */
static void test_unknown_component_refused(void)
{
    struct plan_config saved = fx_cfg;
    setup();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Checkout fails --sev major --component Checkut"),
              BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM incidents"), 0);
    CHECK_INT(fx_int("SELECT count(*) FROM components"), 0);
    CHECK_CONTAINS(fx_last_reply(), "There is no component `Checkut`");
    CHECK_CONTAINS(fx_last_reply(), "Known components: `API`, `Checkout`, `Search`.");
    /* Case does not matter; the configured spelling is kept. */
    CHECK_INT(fx_slash(ALICE, "C1", "declare Checkout fails --sev major --component checkout"),
              BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM incident_components"), 1);
    CHECK_STR(fx_str("SELECT name FROM components"), "Checkout");
    fx_channel_created(1, "C0INC000001");
    long long before = fx_int("SELECT count(*) FROM timeline");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "component add Serch"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "There is no component `Serch`");
    CHECK_CONTAINS(fx_last_reply(), "`Search`");
    CHECK_INT(fx_int("SELECT count(*) FROM timeline"), before);
    /* Bad verbs and missing quotes are usage errors. */
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "component drop API"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "component add EU API"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM incident_components"), 1);
    fx_close();
    fx_cfg = saved;
}

/* Before publishing: the incident's list, the timeline, the control message; no public copy. */
static void test_component_add_remove_private(void)
{
    struct plan_config saved = fx_cfg;
    setup();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Search is slow --sev minor --component API"),
              BOT_OK);
    fx_channel_created(1, "C0INC000001");
    fx_views_delivered(); /* the earlier views are out: a change asks for its own */
    long long controls = count_effects("incident.control");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "component add Search"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM incident_components"), 2);
    CHECK_STR(fx_str("SELECT text FROM timeline WHERE kind = 'component'"),
              "Component Search added by <@" ALICE ">");
    CHECK(count_effects("incident.control") > controls);
    CHECK_STR(status_of("Search"), "operational"); /* not public: the page does not change */
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE target = 'statuspage'"), 0);
    /* Twice is answered, not an error; INC-N names the incident from anywhere. */
    CHECK_INT(fx_slash(ALICE, "C1", "component add search INC-1"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "already");
    CHECK_INT(fx_slash(ALICE, "C1", "component remove API INC-1"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM incident_components"), 1);
    CHECK_INT(fx_slash(ALICE, "C1", "component remove API INC-1"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "does not affect");
    fx_close();
    fx_cfg = saved;
}

/* Published: the page's statuses follow at once, the mirror gets the list and the removed. */
static void test_component_change_after_publish(void)
{
    struct plan_config saved = fx_cfg;
    setup();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Payments fail --sev major --component API"),
              BOT_OK);
    fx_channel_created(1, "C0INC000001");
    publish(1, "C0INC000001", "env-pub1");
    CHECK_STR(status_of("API"), "partial_outage");
    long long updates = count_effects("statuspage.update");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "component add Checkout"), BOT_OK);
    CHECK_STR(status_of("Checkout"), "partial_outage");
    CHECK_INT(count_effects("statuspage.update"), updates + 1);
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.components') FROM outbox WHERE kind = "
                     "'statuspage.update' ORDER BY id DESC LIMIT 1"),
              "[\"API\",\"Checkout\"]");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "component remove API"), BOT_OK);
    CHECK_STR(status_of("API"), "operational");
    CHECK_STR(status_of("Checkout"), "partial_outage");
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.components') || json_extract(payload, "
                     "'$.removed') FROM outbox WHERE kind = 'statuspage.update' ORDER BY id "
                     "DESC LIMIT 1"),
              "[\"Checkout\"][\"API\"]");
    /* Another published incident holding it keeps it down when this one lets go. */
    CHECK_INT(fx_slash(ALICE, "C1", "declare Checkout errors --sev critical --component "
                                    "Checkout"),
              BOT_OK);
    fx_channel_created(2, "C0INC000002");
    publish(2, "C0INC000002", "env-pub2");
    CHECK_STR(status_of("Checkout"), "major_outage");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "component remove Checkout"), BOT_OK);
    CHECK_STR(status_of("Checkout"), "major_outage");
    fx_close();
    fx_cfg = saved;
}

/* A menu pick on incident id: action (inc_component_add|remove) choosing name, by user. */
static enum bot_rc pick(const char *user, const char *action, long long id, const char *name)
{
    static int n;
    char env[32];
    snprintf(env, sizeof(env), "pick-%d", ++n);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "block_actions");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "user"), "id", user);
    cJSON_AddStringToObject(p, "response_url", "https://hooks.slack.com/actions/T1/2/z");
    cJSON *a = cJSON_CreateObject();
    char bid[48];
    snprintf(bid, sizeof(bid), "inc%lld_components_change", id);
    cJSON_AddStringToObject(a, "type", "static_select");
    cJSON_AddStringToObject(a, "action_id", action);
    cJSON_AddStringToObject(a, "block_id", bid);
    cJSON *o = cJSON_AddObjectToObject(a, "selected_option");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "text"), "text", name);
    cJSON_AddStringToObject(o, "value", name);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "actions"), a);
    char *s = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    enum bot_rc rc = fx_decide("interactive", s, env);
    free(s);
    return rc;
}

/* The names of incident 1's components, in order, comma-separated. */
static const char *linked(void)
{
    return fx_str("SELECT coalesce(group_concat(name, ','), '') FROM (SELECT c.name FROM "
                  "incident_components ic JOIN components c ON c.id = ic.component_id WHERE "
                  "ic.incident_id = 1 ORDER BY c.name)");
}

/* The options of the latest reply's menu action ("" when it has none), as a JSON array. */
static const char *menu_options(const char *action)
{
    return fx_str("SELECT coalesce((SELECT json_group_array(json_extract(o.value, '$.value')) "
                  "FROM json_each(json_extract((SELECT payload FROM outbox WHERE kind = "
                  "'slack.respond' ORDER BY id DESC LIMIT 1), '$.message.blocks')) AS b, "
                  "json_each(json_extract(b.value, '$.elements')) AS e, "
                  "json_each(json_extract(e.value, '$.options')) AS o "
                  "WHERE json_extract(e.value, '$.action_id') = '%s'), '')", action);
}

/* The control message's Components button: a menu of the configured ones; picks change them. */
static void test_components_menu(void)
{
    struct plan_config saved = fx_cfg;
    setup();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Search is slow --sev minor --component API"),
              BOT_OK);
    fx_channel_created(1, "C0INC000001");
    CHECK_INT(fx_click(CAROL, "inc_components", "1"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "*INC-1* affects *API*.");
    CHECK_STR(menu_options("inc_component_add"), "[\"Checkout\",\"Search\"]");
    CHECK_STR(menu_options("inc_component_remove"), "[\"API\"]");
    CHECK_INT(pick(ALICE, "inc_component_add", 1, "Search"), BOT_OK);
    CHECK_STR(linked(), "API,Search");
    CHECK_STR(fx_str("SELECT text FROM timeline WHERE kind = 'component'"),
              "Component Search added by <@" ALICE ">");
    /* The menu comes again, replacing the one picked from, with the new choices. */
    CHECK_INT(fx_int("SELECT json_extract(payload, '$.message.replace_original') FROM outbox "
                     "WHERE kind = 'slack.respond' ORDER BY id DESC LIMIT 1"),
              1);
    CHECK_STR(menu_options("inc_component_add"), "[\"Checkout\"]");
    CHECK_CONTAINS(fx_last_reply(), "*INC-1* affects *API* and *Search*.");
    CHECK_INT(pick(ALICE, "inc_component_remove", 1, "API"), BOT_OK);
    CHECK_STR(linked(), "Search");
    /* A pick from a stale menu, or a name that is not one: answered, nothing changed. */
    long long before = fx_int("SELECT count(*) FROM timeline");
    CHECK_INT(pick(ALICE, "inc_component_remove", 1, "API"), BOT_OK);
    CHECK_INT(pick(ALICE, "inc_component_add", 1, "Checkut"), BOT_OK);
    CHECK_CONTAINS(fx_str("SELECT json_extract(payload, '$.message.text') FROM outbox WHERE kind "
                          "= 'slack.respond' ORDER BY id DESC LIMIT 1 OFFSET 1"),
                   "There is no component `Checkut`");
    CHECK_INT(fx_int("SELECT count(*) FROM timeline"), before);
    /* Closed: nothing to change any more. */
    struct store_incident inc;
    struct bot_err err;
    CHECK_INT(store_incident_get(fx_store, 1, &inc, &err), BOT_OK);
    free(inc.status);
    inc.status = xstrdup("closed");
    CHECK_INT(store_incident_update(fx_store, &inc, &err), BOT_OK);
    store_incident_clear(&inc);
    CHECK_INT(fx_click(CAROL, "inc_components", "1"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "INC-1 is closed; its components stay as they were.");
    CHECK_INT(pick(ALICE, "inc_component_add", 1, "Checkout"), BOT_OK);
    CHECK_STR(linked(), "Search");
    CHECK_INT(fx_slash(ALICE, "C1", "component add Checkout INC-1"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "INC-1 is closed");
    CHECK_INT(fx_int("SELECT count(*) FROM timeline"), before);
    fx_close();
    fx_cfg = saved;
}

/* Only those who may manage the incident may change its components. */
static void test_component_permission(void)
{
    struct plan_config saved = fx_cfg;
    setup();
    fx_cfg.manage_admins = false;
    fx_cfg.manage_irms = false;
    CHECK_INT(fx_slash(ALICE, "C1", "declare Payments fail --sev major --component API"),
              BOT_OK);
    fx_channel_created(1, "C0INC000001");
    CHECK_INT(fx_slash(CAROL, "C0INC000001", "component add Search"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "may change the components of INC-1");
    CHECK_INT(fx_int("SELECT count(*) FROM incident_components"), 1);
    fx_close();
    fx_cfg = saved;
}

/* The declare form offers every configured component, then those only the store has. */
static void test_declare_form_offers_configured(void)
{
    struct plan_config saved = fx_cfg;
    setup();
    struct bot_err err;
    CHECK_INT(store_component_upsert(fx_store, "Legacy", NULL, 0, fx_now, &err), BOT_OK);
    CHECK_INT(fx_slash(ALICE, "C1", "declare"), BOT_OK);
    const char *view = fx_str("SELECT json_extract(payload, '$.args.view') FROM outbox WHERE "
                              "json_extract(payload, '$.method') = 'views.open'");
    const char *a = strstr(view, "\"API\""), *s = strstr(view, "\"Search\""),
               *l = strstr(view, "\"Legacy\"");
    CHECK(a != NULL && s != NULL && l != NULL);
    CHECK(a < s && s < l);
    fx_close();
    fx_cfg = saved;
}

/* With no components configured any name is taken as typed (the page shows the store's). */
static void test_nothing_configured_takes_names(void)
{
    fx_cfg.irm_group = "";
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Payments fail --sev major --component payments"),
              BOT_OK);
    fx_channel_created(1, "C0INC000001");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "component add \"EU API\""), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM incident_components"), 2);
    fx_close();
}

/* The internal title, then the public one: the page, the mirror and the webhooks follow. */
static void test_titles(void)
{
    struct plan_config saved = fx_cfg;
    static const struct plan_webhook hooks[] = {{.lane = "hook:ops", .events = 1u << HOOK_UPDATED}};
    setup();
    fx_cfg.webhooks = hooks;
    fx_cfg.n_webhooks = 1;
    CHECK_INT(fx_slash(ALICE, "C1", "declare Payments fail --sev major --component API"),
              BOT_OK);
    fx_channel_created(1, "C0INC000001");
    /* Checked as declare checks titles; the author needs the right to manage. */
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "title ..."), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "nothing changed");
    CHECK_INT(fx_slash(CAROL, "C0INC000001", "title Card payments fail"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "may change the title of INC-1");
    CHECK_STR(fx_str("SELECT title FROM incidents"), "Payments fail");
    /* Before publishing, a rename is internal only. */
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "title Card   payments fail"), BOT_OK);
    CHECK_STR(fx_str("SELECT title FROM incidents"), "Card payments fail");
    CHECK_STR(fx_str("SELECT coalesce(public_title, '-') FROM incidents"), "-");
    CHECK_CONTAINS(fx_str("SELECT text FROM timeline WHERE kind = 'title'"),
                   "Title changed by <@" ALICE ">: Card payments fail");
    publish(1, "C0INC000001", "env-pub1");
    /* Published: a rename keeps what the public read; the public title is set on purpose. */
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "title DB-7 pool exhausted"), BOT_OK);
    CHECK_STR(fx_str("SELECT title || '|' || public_title FROM incidents"),
              "DB-7 pool exhausted|Card payments fail");
    long long updates = count_effects("statuspage.update");
    long long hooked = fx_int("SELECT count(*) FROM outbox WHERE target = 'hook:ops'");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "title --public Some payments fail"), BOT_OK);
    CHECK_STR(fx_str("SELECT public_title FROM incidents"), "Some payments fail");
    CHECK_INT(count_effects("statuspage.update"), updates + 1);
    CHECK_STR(fx_str("SELECT json_extract(payload, '$.name') FROM outbox WHERE kind = "
                     "'statuspage.update' ORDER BY id DESC LIMIT 1"),
              "Some payments fail");
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE target = 'hook:ops'"), hooked + 1);
    CHECK_CONTAINS(fx_str("SELECT payload FROM outbox WHERE target = 'hook:ops' ORDER BY id "
                          "DESC LIMIT 1"),
                   "Some payments fail");
    CHECK_CONTAINS(fx_str("SELECT payload FROM outbox WHERE target = 'hook:ops' ORDER BY id "
                          "DESC LIMIT 1"),
                   "incident.updated");
    fx_close();
    fx_cfg = saved;
}

/* The description is stored as typed and the control message is refreshed. */
static void test_description(void)
{
    struct plan_config saved = fx_cfg;
    setup();
    CHECK_INT(fx_slash(ALICE, "C1", "declare Payments fail --sev major"), BOT_OK);
    fx_channel_created(1, "C0INC000001");
    fx_views_delivered(); /* the earlier views are out: a change asks for its own */
    long long controls = count_effects("incident.control");
    CHECK_INT(fx_slash(ALICE, "C0INC000001", "description Cards fail for <@U0BOB000002> &amp; "
                                             "\"others\"  since 9:00"),
              BOT_OK);
    CHECK_STR(fx_str("SELECT description FROM incidents"),
              "Cards fail for <@U0BOB000002> &amp; \"others\"  since 9:00");
    CHECK(count_effects("incident.control") > controls);
    CHECK_STR(fx_str("SELECT text FROM timeline WHERE kind = 'description'"),
              "Description changed by <@" ALICE ">");
    fx_cfg.manage_admins = false;
    fx_cfg.manage_irms = false;
    CHECK_INT(fx_slash(CAROL, "C0INC000001", "description nope"), BOT_OK);
    CHECK_CONTAINS(fx_last_reply(), "may change the description of INC-1");
    CHECK_CONTAINS(fx_str("SELECT description FROM incidents"), "Cards fail");
    fx_close();
    fx_cfg = saved;
}

int main(void)
{
    RUN(test_unknown_component_refused);
    RUN(test_component_add_remove_private);
    RUN(test_component_change_after_publish);
    RUN(test_component_permission);
    RUN(test_components_menu);
    RUN(test_declare_form_offers_configured);
    RUN(test_nothing_configured_takes_names);
    RUN(test_titles);
    RUN(test_description);
    return CHECK_DONE();
}
