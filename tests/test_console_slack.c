/*
 * The console's workspace (bot/console_slack.c) through the real Web API
 * client with the in-process transport: the answers have Slack's shape and
 * errors, what it prints reads like Slack (mentions, links, ephemeral, an
 * edit as only the lines it changed), numbered elements click into
 * block_actions payloads, keep their numbers across an edit and stop working
 * when they leave their message, response_urls answer or replace,
 * forms wait for their user, and the workspace survives a save (to a file
 * only its owner reads) and a load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "console.h"
#include "slack_api.h"
#include "xmalloc.h"

static char *out_buf;
static size_t out_len;
static FILE *out;

static struct cslack *cs;
static struct slack_api *api;

static void setup(void)
{
    struct bot_err err;
    out = open_memstream(&out_buf, &out_len);
    cs = cslack_new(out);
    struct slack_api_opts o = {
        .token = "xoxb-console", .local = cslack_local(cs), .no_limiter = true};
    if (slack_api_new(&o, &api, &err) != BOT_OK)
        abort();
}

static void teardown(void)
{
    slack_api_free(api);
    cslack_free(cs);
    fclose(out);
    free(out_buf);
    out_buf = NULL;
}

/* What was printed since the last call (the caller frees). */
static char *printed(void)
{
    fflush(out);
    /* out_len, not strlen: after the rewind below a shorter output leaves the tail of a longer
       one in the stream's buffer */
    char *s = xmalloc(out_len + 1);
    if (out_len > 0)
        memcpy(s, out_buf, out_len);
    s[out_len] = '\0';
    rewind(out);
    fflush(out);
    out_len = 0;
    if (out_buf)
        out_buf[0] = '\0';
    return s;
}

/* Calls method with args given as JSON text; returns the rc, the answer in *res. */
static enum bot_rc call(const char *method, const char *json, struct slack_api_result *res)
{
    struct bot_err err;
    cJSON *args = cJSON_Parse(json);
    if (args == NULL)
        abort();
    enum bot_rc rc = slack_api_call(api, method, args, res, &err);
    cJSON_Delete(args);
    return rc;
}

static const char *field(const struct slack_api_result *res, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(res->body, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_channels_and_errors(void)
{
    struct slack_api_result r = {0};
    setup();
    CHECK_INT(call("conversations.create", "{\"name\":\"inc-1-db\",\"is_private\":false}", &r),
              BOT_OK);
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(r.body, "channel");
    char id[64];
    snprintf(id, sizeof(id), "%s", cJSON_GetObjectItemCaseSensitive(ch, "id")->valuestring);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(ch, "creator")->valuestring, CONSOLE_BOT_USER);
    char *p = printed();
    CHECK_CONTAINS(p, "incidentd created the public channel #inc-1-db");
    free(p);
    CHECK_INT(call("conversations.create", "{\"name\":\"inc-1-db\"}", &r), BOT_EREMOTE);
    CHECK_STR(r.error, "name_taken");
    CHECK_INT(call("conversations.create", "{\"name\":\"Bad Name\"}", &r), BOT_EREMOTE);
    CHECK_STR(r.error, "invalid_name_specials");
    char args[256];
    snprintf(args, sizeof(args), "{\"channel\":\"%s\",\"users\":\"U0ALICE,U0BOB\"}", id);
    CHECK_INT(call("conversations.invite", args, &r), BOT_OK);
    snprintf(args, sizeof(args), "{\"channel\":\"%s\",\"users\":\"U0ALICE\"}", id);
    CHECK_INT(call("conversations.invite", args, &r), BOT_EREMOTE);
    CHECK_STR(r.error, "already_in_channel");
    snprintf(args, sizeof(args), "{\"channel\":\"%s\",\"users\":\"U0NOBODY\"}", id);
    CHECK_INT(call("conversations.invite", args, &r), BOT_EREMOTE);
    CHECK_STR(r.error, "user_not_found");
    CHECK_INT(call("chat.postMessage", "{\"channel\":\"C0NOPE\",\"text\":\"x\"}", &r), BOT_EREMOTE);
    CHECK_STR(r.error, "channel_not_found");
    CHECK_INT(
        call("chat.update", "{\"channel\":\"C0GENERAL\",\"ts\":\"1.000001\",\"text\":\"x\"}", &r),
        BOT_EREMOTE);
    CHECK_STR(r.error, "message_not_found");
    CHECK_INT(call("no.such.method", "{}", &r), BOT_EREMOTE);
    CHECK_STR(r.error, "unknown_method");
    CHECK_INT(call("auth.test", "{}", &r), BOT_OK);
    CHECK_STR(field(&r, "user_id"), CONSOLE_BOT_USER);
    CHECK_INT(call("users.list", "{}", &r), BOT_OK);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r.body, "members")), 6);
    slack_api_result_free(&r);
    free(printed());
    teardown();
}

static void test_render_click_and_replace(void)
{
    struct slack_api_result r = {0};
    struct bot_err err;
    setup();
    /* mrkdwn as people read it; a stray '<' stays text */
    CHECK_INT(call("chat.postMessage",
                   "{\"channel\":\"C0GENERAL\",\"text\":\"<@U0BOB> see <#C0SUPPORT> and "
                   "<https://x.test/a|the runbook>; age < 1 min &amp; more\"}",
                   &r),
              BOT_OK);
    char *p = printed();
    CHECK_CONTAINS(p, "-- #general · incidentd");
    CHECK_CONTAINS(p, "@bob see #support and the runbook (https://x.test/a); age < 1 min & more");
    free(p);

    /* a message with a button and a menu: numbered */
    CHECK_INT(call("chat.postMessage",
                   "{\"channel\":\"C0GENERAL\",\"text\":\"f\",\"blocks\":[{\"type\":\"actions\","
                   "\"block_id\":\"inc:7\",\"elements\":[{\"type\":\"button\",\"action_id\":"
                   "\"inc_take_irm\",\"value\":\"7\",\"text\":{\"type\":\"plain_text\",\"text\":"
                   "\"Take IRM\"}},{\"type\":\"static_select\",\"action_id\":\"inc_severity\","
                   "\"placeholder\":{\"type\":\"plain_text\",\"text\":\"Severity\"},\"options\":["
                   "{\"text\":{\"type\":\"plain_text\",\"text\":\"Critical\"},\"value\":"
                   "\"critical\"},{\"text\":{\"type\":\"plain_text\",\"text\":\"Major\"},"
                   "\"value\":\"major\"}]}]}]}",
                   &r),
              BOT_OK);
    char ts[32];
    snprintf(ts, sizeof(ts), "%s", field(&r, "ts"));
    p = printed();
    CHECK_CONTAINS(p, "[1] Take IRM");
    CHECK_CONTAINS(p, "[2] Severity: Critical | Major");
    free(p);
    CHECK_INT(cslack_find_click(cs, "take irm", "U0ALICE"), 1);
    CHECK_INT(cslack_find_click(cs, "Sev", "U0ALICE"), 2);
    CHECK_INT(cslack_find_click(cs, "Nothing", "U0ALICE"), 0);

    cJSON *pl = NULL;
    char why[256];
    CHECK_INT(cslack_click(cs, 1, "", "U0BOB", &pl, why, sizeof(why)), BOT_OK);
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(pl, "actions"), 0);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(pl, "type")->valuestring, "block_actions");
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(a, "action_id")->valuestring, "inc_take_irm");
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(a, "block_id")->valuestring, "inc:7");
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(a, "value")->valuestring, "7");
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pl, "user"), "id")
                  ->valuestring,
              "U0BOB");
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pl, "container"),
                                               "message_ts")
                  ->valuestring,
              ts);
    /* the click's response_url replaces the message clicked */
    char url[128];
    snprintf(url, sizeof(url), "%s",
             cJSON_GetObjectItemCaseSensitive(pl, "response_url")->valuestring);
    cJSON_Delete(pl);
    cJSON *msg = cJSON_Parse("{\"replace_original\":true,\"text\":\"taken\"}");
    CHECK_INT(slack_api_post_url(api, url, msg, &r, &err), BOT_OK);
    cJSON_Delete(msg);
    p = printed();
    CHECK_CONTAINS(p, "-- #general · incidentd\n   (edited)\n");
    CHECK_CONTAINS(p, "   - [1] Take IRM\n");
    CHECK_CONTAINS(p, "   - [2] Severity: Critical | Major\n");
    CHECK_CONTAINS(p, "   + taken\n");
    free(p);
    /* its old numbers are gone with the old version */
    CHECK_INT(cslack_click(cs, 1, "", "U0BOB", &pl, why, sizeof(why)), BOT_ENOTFOUND);
    CHECK_CONTAINS(why, "no button or menu [1]");
    CHECK_INT(cslack_click(cs, 99, "", "U0BOB", &pl, why, sizeof(why)), BOT_ENOTFOUND);
    /* a menu needs an option it has */
    CHECK_INT(call("chat.postMessage",
                   "{\"channel\":\"C0GENERAL\",\"text\":\"f\",\"blocks\":[{\"type\":\"actions\","
                   "\"block_id\":\"inc:7\",\"elements\":[{\"type\":\"static_select\","
                   "\"action_id\":\"inc_severity\",\"placeholder\":{\"type\":\"plain_text\","
                   "\"text\":\"Severity\"},\"options\":[{\"text\":{\"type\":\"plain_text\","
                   "\"text\":\"Major\"},\"value\":\"major\"}]}]}]}",
                   &r),
              BOT_OK);
    free(printed());
    long n = cslack_find_click(cs, "Severity", "U0BOB");
    CHECK_INT(cslack_click(cs, n, "", "U0BOB", &pl, why, sizeof(why)), BOT_EINVAL);
    CHECK_INT(cslack_click(cs, n, "huge", "U0BOB", &pl, why, sizeof(why)), BOT_EINVAL);
    CHECK_INT(cslack_click(cs, n, "MAJOR", "U0BOB", &pl, why, sizeof(why)), BOT_OK);
    a = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(pl, "actions"), 0);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(
                  cJSON_GetObjectItemCaseSensitive(a, "selected_option"), "value")
                  ->valuestring,
              "major");
    cJSON_Delete(pl);
    /* a button Slack would confirm first: the console says so, and the click is the answer */
    CHECK_INT(call("chat.postMessage",
                   "{\"channel\":\"C0GENERAL\",\"text\":\"f\",\"blocks\":[{\"type\":\"actions\","
                   "\"block_id\":\"inc:7\",\"elements\":[{\"type\":\"button\",\"action_id\":"
                   "\"inc_take_irm\",\"value\":\"7\",\"text\":{\"type\":\"plain_text\",\"text\":"
                   "\"Take over IRM\"},\"confirm\":{\"title\":{\"type\":\"plain_text\",\"text\":"
                   "\"Sure?\"},\"text\":{\"type\":\"plain_text\",\"text\":\"Really\"},"
                   "\"confirm\":{\"type\":\"plain_text\",\"text\":\"Yes\"},\"deny\":{\"type\":"
                   "\"plain_text\",\"text\":\"No\"}}}]}]}",
                   &r),
              BOT_OK);
    p = printed();
    CHECK_CONTAINS(p, "Take over IRM (asks to confirm)");
    free(p);
    n = cslack_find_click(cs, "Take over IRM", "U0BOB");
    CHECK(n > 0);
    CHECK_INT(cslack_click(cs, n, "", "U0BOB", &pl, why, sizeof(why)), BOT_OK);
    a = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(pl, "actions"), 0);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(a, "action_id")->valuestring, "inc_take_irm");
    cJSON_Delete(pl);

    /* a slash command's response_url: ephemeral, marked, only for its user */
    cslack_response_url(cs, "U0CAROL", "C0GENERAL", NULL, 0, url);
    msg = cJSON_Parse("{\"response_type\":\"ephemeral\",\"text\":\"just for you\"}");
    CHECK_INT(slack_api_post_url(api, url, msg, &r, &err), BOT_OK);
    cJSON_Delete(msg);
    p = printed();
    CHECK_CONTAINS(p, "only @carol sees this");
    free(p);
    msg = cJSON_Parse("{\"text\":\"x\"}");
    CHECK_INT(slack_api_post_url(api, "console://response/99999", msg, &r, &err), BOT_EREMOTE);
    cJSON_Delete(msg);
    slack_api_result_free(&r);
    teardown();
}

/*
 * The control-message shape: a header, a status line, a severity line and buttons; what
 * changes between the edits below is the status, the first button's label, and which of the
 * others are there.
 */
static char *control_args(const char *ts, const char *status, const char *take, bool publish,
                          bool resolve)
{
    return xasprintf(
        "{\"channel\":\"C0GENERAL\",%s%s%s\"text\":\"INC-7\",\"blocks\":["
        "{\"type\":\"header\",\"text\":{\"type\":\"plain_text\",\"text\":\"INC-7: Checkout\"}},"
        "{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"*Status:* %s\"}},"
        "{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"*Severity:* critical\"}},"
        "{\"type\":\"actions\",\"block_id\":\"inc7_actions\",\"elements\":["
        "{\"type\":\"button\",\"action_id\":\"inc_take_irm\",\"value\":\"7\","
        "\"text\":{\"type\":\"plain_text\",\"text\":\"%s\"}}%s%s]}]}",
        ts ? "\"ts\":\"" : "", ts ? ts : "", ts ? "\"," : "", status, take,
        publish ? ",{\"type\":\"button\",\"action_id\":\"inc_publish\",\"value\":\"7\","
                  "\"text\":{\"type\":\"plain_text\",\"text\":\"Publish\"}}"
                : "",
        resolve ? ",{\"type\":\"button\",\"action_id\":\"inc_resolve\",\"value\":\"7\","
                  "\"text\":{\"type\":\"plain_text\",\"text\":\"Resolve\"}}"
                : "");
}

/* The action_id and button text a click on [n] sends, as "action_id/text". */
static void click_as(long n, const char *user, char *got, size_t len, enum bot_rc *rc)
{
    cJSON *pl = NULL;
    char why[256];
    got[0] = '\0';
    *rc = cslack_click(cs, n, "", user, &pl, why, sizeof(why));
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(pl, "actions"), 0);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "action_id");
    const cJSON *t =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(a, "text"), "text");
    if (cJSON_IsString(id) && cJSON_IsString(t))
        snprintf(got, len, "%s/%s", id->valuestring, t->valuestring);
    cJSON_Delete(pl);
}

static void test_edit_shows_changes(void)
{
    struct slack_api_result r = {0};
    struct bot_err err;
    enum bot_rc rc;
    char got[128], ts[32];
    setup();
    char *args = control_args(NULL, "investigating", "Take IRM", true, false);
    CHECK_INT(call("chat.postMessage", args, &r), BOT_OK);
    free(args);
    snprintf(ts, sizeof(ts), "%s", field(&r, "ts"));
    char *p = printed();
    CHECK_CONTAINS(p, "== INC-7: Checkout ==");
    CHECK_CONTAINS(p, "[1] Take IRM");
    CHECK_CONTAINS(p, "[2] Publish");
    free(p);

    /* one line changes: only it is printed, as removed and added */
    args = control_args(ts, "identified", "Take IRM", true, false);
    CHECK_INT(call("chat.update", args, &r), BOT_OK);
    free(args);
    p = printed();
    CHECK_STR(p, "-- #general · incidentd\n"
                 "   (edited)\n"
                 "   - *Status:* investigating\n"
                 "   + *Status:* identified\n");
    free(p);

    /* the same again: nothing visible changed, nothing is printed */
    args = control_args(ts, "identified", "Take IRM", true, false);
    CHECK_INT(call("chat.update", args, &r), BOT_OK);
    free(args);
    p = printed();
    CHECK_STR(p, "");
    free(p);
    click_as(1, "U0BOB", got, sizeof(got), &rc); /* and its buttons still work */
    CHECK_INT(rc, BOT_OK);
    CHECK_STR(got, "inc_take_irm/Take IRM");

    /* a button that stays keeps its number and clicks as its new version; a new one gets a
       fresh number; one that is gone is forgotten */
    args = control_args(ts, "identified", "Hand over IRM", false, true);
    CHECK_INT(call("chat.update", args, &r), BOT_OK);
    free(args);
    p = printed();
    CHECK_CONTAINS(p, "   - [1] Take IRM\n");
    CHECK_CONTAINS(p, "   + [1] Hand over IRM\n");
    CHECK_CONTAINS(p, "   - [2] Publish\n");
    CHECK_CONTAINS(p, "   + [3] Resolve\n");
    CHECK(strstr(p, "Status") == NULL && strstr(p, "INC-7: Checkout") == NULL);
    free(p);
    click_as(1, "U0BOB", got, sizeof(got), &rc);
    CHECK_INT(rc, BOT_OK);
    CHECK_STR(got, "inc_take_irm/Hand over IRM");
    click_as(2, "U0BOB", got, sizeof(got), &rc);
    CHECK_INT(rc, BOT_ENOTFOUND);
    click_as(3, "U0BOB", got, sizeof(got), &rc);
    CHECK_INT(rc, BOT_OK);
    CHECK_STR(got, "inc_resolve/Resolve");
    CHECK_INT(cslack_find_click(cs, "Hand over IRM", "U0BOB"), 1);

    /* a message shown again (/show) keeps its numbers too */
    cslack_show_channel(cs, "C0GENERAL", 1);
    p = printed();
    CHECK_CONTAINS(p, "[1] Hand over IRM");
    CHECK_CONTAINS(p, "[3] Resolve");
    free(p);

    /* an ephemeral reply replaced through its click's response_url: the same rule */
    CHECK_INT(call("chat.postEphemeral",
                   "{\"channel\":\"C0GENERAL\",\"user\":\"U0CAROL\",\"text\":\"x\","
                   "\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\","
                   "\"text\":\"Publish INC-7?\\nIt goes on the status page.\"}},"
                   "{\"type\":\"actions\",\"block_id\":\"inc7_pub\",\"elements\":["
                   "{\"type\":\"button\",\"action_id\":\"inc_publish\",\"value\":\"7\","
                   "\"text\":{\"type\":\"plain_text\",\"text\":\"Publish\"}}]}]}",
                   &r),
              BOT_OK);
    p = printed();
    CHECK_CONTAINS(p, "only @carol sees this");
    CHECK_CONTAINS(p, "[4] Publish");
    free(p);
    cJSON *pl = NULL;
    char why[256];
    CHECK_INT(cslack_click(cs, 4, "", "U0CAROL", &pl, why, sizeof(why)), BOT_OK);
    char url[128];
    snprintf(url, sizeof(url), "%s",
             cJSON_GetObjectItemCaseSensitive(pl, "response_url")->valuestring);
    cJSON_Delete(pl);
    cJSON *msg = cJSON_Parse(
        "{\"replace_original\":true,\"text\":\"x\",\"blocks\":[{\"type\":\"section\","
        "\"text\":{\"type\":\"mrkdwn\",\"text\":\"Published INC-7.\\nIt goes on the status "
        "page.\"}}]}");
    CHECK_INT(slack_api_post_url(api, url, msg, &r, &err), BOT_OK);
    cJSON_Delete(msg);
    p = printed();
    CHECK_STR(p, "-- #general · incidentd · only @carol sees this\n"
                 "   (edited)\n"
                 "   - Publish INC-7?\n"
                 "   + Published INC-7.\n"
                 "   - [4] Publish\n");
    free(p);
    CHECK_INT(cslack_click(cs, 4, "", "U0CAROL", &pl, why, sizeof(why)), BOT_ENOTFOUND);
    slack_api_result_free(&r);
    teardown();
}

/* A number kept for a long time would be overwritten when the ring comes round to its slot: an
   edit gives a number from more than half the ring ago a fresh one instead. */
static void test_edit_renews_old_numbers(void)
{
    struct slack_api_result r = {0};
    enum bot_rc rc;
    char got[128], ts[32];
    setup();
    char *args = control_args(NULL, "investigating", "Take IRM", false, false);
    CHECK_INT(call("chat.postMessage", args, &r), BOT_OK);
    free(args);
    snprintf(ts, sizeof(ts), "%s", field(&r, "ts"));
    for (int i = 0; i < 2100; i++) /* 2100 buttons elsewhere: more than half of the 4096 */
        CHECK_INT(call("chat.postMessage",
                       "{\"channel\":\"C0SUPPORT\",\"text\":\"f\",\"blocks\":[{\"type\":"
                       "\"actions\",\"elements\":[{\"type\":\"button\",\"action_id\":\"x\","
                       "\"text\":{\"type\":\"plain_text\",\"text\":\"X\"}}]}]}",
                       &r),
                  BOT_OK);
    free(printed());
    args = control_args(ts, "identified", "Take IRM", false, false);
    CHECK_INT(call("chat.update", args, &r), BOT_OK);
    free(args);
    char *p = printed();
    CHECK_CONTAINS(p, "   - [1] Take IRM\n");
    CHECK_CONTAINS(p, "   + [2102] Take IRM\n");
    free(p);
    click_as(1, "U0BOB", got, sizeof(got), &rc);
    CHECK_INT(rc, BOT_ENOTFOUND);
    click_as(2102, "U0BOB", got, sizeof(got), &rc);
    CHECK_INT(rc, BOT_OK);
    CHECK_STR(got, "inc_take_irm/Take IRM");
    slack_api_result_free(&r);
    teardown();
}

static void test_forms(void)
{
    struct slack_api_result r = {0};
    setup();
    char trigger[CONSOLE_URL_MAX], args[512];
    cslack_trigger_id(cs, "U0DAVE", trigger);
    snprintf(args, sizeof(args),
             "{\"trigger_id\":\"%s\",\"view\":{\"type\":\"modal\","
             "\"callback_id\":\"x\",\"title\":{\"type\":\"plain_text\",\"text\":\"Form\"},"
             "\"blocks\":[]}}",
             trigger);
    CHECK_INT(call("views.open", args, &r), BOT_OK);
    CHECK_INT(call("views.open", "{\"trigger_id\":\"forged\",\"view\":{\"type\":\"modal\"}}", &r),
              BOT_EREMOTE);
    CHECK_STR(r.error, "invalid_trigger_id");
    CHECK(!cslack_has_view(cs, "U0ALICE"));
    CHECK(cslack_has_view(cs, "U0DAVE"));
    cJSON *v = cslack_take_view(cs, "U0DAVE");
    CHECK(v != NULL);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(v, "callback_id")->valuestring, "x");
    CHECK(cJSON_GetObjectItemCaseSensitive(v, "id") != NULL);
    cJSON_Delete(v);
    CHECK(!cslack_has_view(cs, "U0DAVE"));
    slack_api_result_free(&r);
    free(printed());
    teardown();
}

static void test_save_load(void)
{
    struct slack_api_result r = {0};
    struct bot_err err;
    char path[] = "/tmp/test_console_slack.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    setup();
    CHECK_INT(call("conversations.create", "{\"name\":\"kept\"}", &r), BOT_OK);
    char id[64], name[CONSOLE_NAME_MAX], args[256];
    CHECK(cslack_find_channel(cs, "#kept", id, name));
    CHECK(cslack_find_channel(cs, "last", id, name));
    CHECK_STR(name, "kept");
    snprintf(args, sizeof(args), "{\"channel\":\"%s\",\"text\":\"remember me\"}", id);
    CHECK_INT(call("chat.postMessage", args, &r), BOT_OK);
    char ts[32];
    snprintf(ts, sizeof(ts), "%s", field(&r, "ts"));
    /* Saved readable by its owner only, whatever the umask, even over a world-readable
       file left by a crash under the temporary name. */
    char *tmp = xasprintf("%s.tmp", path);
    FILE *left = fopen(tmp, "w");
    CHECK(left != NULL);
    fclose(left);
    CHECK(chmod(tmp, 0644) == 0);
    free(tmp);
    mode_t old_mask = umask(022);
    enum bot_rc saved = cslack_save(cs, path, &err);
    umask(old_mask);
    CHECK_INT(saved, BOT_OK);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    CHECK_MSG((st.st_mode & 07777) == 0600, "workspace saved with mode %o", st.st_mode & 07777);
    teardown();

    setup();
    CHECK_INT(cslack_load(cs, path, &err), BOT_OK);
    char id2[64];
    CHECK(cslack_find_channel(cs, "last", id2, name));
    CHECK_STR(id2, id);
    snprintf(args, sizeof(args), "{\"channel\":\"%s\",\"ts\":\"%s\",\"text\":\"edited\"}", id, ts);
    CHECK_INT(call("chat.update", args, &r), BOT_OK); /* the old message is still there */
    CHECK_INT(call("conversations.create", "{\"name\":\"kept\"}", &r), BOT_EREMOTE);
    CHECK_STR(r.error, "name_taken");
    CHECK_INT(call("conversations.create", "{\"name\":\"fresh\"}", &r), BOT_OK);
    CHECK(strcmp(cJSON_GetObjectItemCaseSensitive(
                     cJSON_GetObjectItemCaseSensitive(r.body, "channel"), "id")
                     ->valuestring,
                 id) != 0); /* no id reused */
    teardown();

    /* not a workspace: refused with its name */
    FILE *f = fopen(path, "w");
    fputs("{\"hello\":1}", f);
    fclose(f);
    setup();
    CHECK_INT(cslack_load(cs, path, &err), BOT_EPROTO);
    CHECK_CONTAINS(err.msg, "not a console workspace");
    teardown();
    unlink(path);
    slack_api_result_free(&r);
}

int main(void)
{
    xmalloc_init_cjson();
    RUN(test_channels_and_errors);
    RUN(test_render_click_and_replace);
    RUN(test_edit_shows_changes);
    RUN(test_edit_renews_old_numbers);
    RUN(test_forms);
    RUN(test_save_load);
    return CHECK_DONE();
}
