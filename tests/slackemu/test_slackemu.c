/*
 * Loopback tests of slackemu: each group (one ctest test) starts the real
 * binary on port 0 in its own temporary directory and drives it over real
 * sockets with the et.h client: Web API answers compared structurally with
 * ../shared/slack-samples/web-api, every Socket Mode sample replayed
 * through the envelope path, token and argument errors, rate limits,
 * single-use tickets, the disconnect cycle, event retries, trigger expiry,
 * the connection limit, the control API, faults, and garbage input. Every
 * group ends by stopping the emulator and requiring a clean exit (which,
 * under ASan or valgrind, also means no leaks).
 *
 * usage: test_slackemu SLACKEMU GROUP [SAMPLES_DIR]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "et.h"
#include "xmalloc.h"

#define BOT     "xoxb-1111111111-2222222222-emutesttoken0001"
#define APP     "xapp-1-A0EMU1NCDNT-3333333333-abcdef0123456789"
#define T_LONG  20000 /* ms: generous waits for things that must happen */
#define T_QUIET 1500  /* ms: how long "nothing more arrives" is watched */

static const char *emu_bin;
static const char *samples;
static struct et_emu E;

/* ---------- helpers ---------- */

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A value by dotted path ("channel.id", "acks.0.payload"); NULL if absent. */
static const cJSON *jget(const cJSON *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = o;
    for (char *p = buf, *dot; cur && p; p = dot ? dot + 1 : NULL) {
        dot = strchr(p, '.');
        if (dot)
            *dot = '\0';
        if (cJSON_IsArray(cur) && p[0] >= '0' && p[0] <= '9')
            cur = cJSON_GetArrayItem(cur, (int)strtol(p, NULL, 10));
        else
            cur = cJSON_GetObjectItemCaseSensitive(cur, p);
    }
    return cur;
}

static const char *js(const cJSON *o, const char *path)
{
    const cJSON *it = jget(o, path);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static double jn(const cJSON *o, const char *path)
{
    const cJSON *it = jget(o, path);
    return cJSON_IsNumber(it) ? it->valuedouble : -1;
}

static bool jok(const cJSON *o)
{
    return cJSON_IsTrue(jget(o, "ok"));
}

static bool jerr(const cJSON *o, const char *err)
{
    const char *e = js(o, "error");
    if (!e || strcmp(e, err) != 0) {
        char *s = o ? cJSON_PrintUnformatted(o) : NULL;
        fprintf(stderr, "  expected error %s, got %s\n", err, s ? s : "(no answer)");
        free(s);
        return false;
    }
    return cJSON_IsFalse(jget(o, "ok"));
}

/* Compares got with samples/rel structurally, explaining a difference. */
static bool shape(const char *rel, const cJSON *got)
{
    char path[1024], why[1200];
    snprintf(path, sizeof path, "%s/%s", samples, rel);
    cJSON *want = et_read_json(path);
    if (!want) {
        fprintf(stderr, "  cannot read sample %s\n", path);
        return false;
    }
    bool ok = got && et_same_shape(want, got, why, sizeof why);
    if (!ok) {
        char *s = got ? cJSON_PrintUnformatted(got) : NULL;
        fprintf(stderr, "  %s: %s\n  got: %.2000s\n", rel, got ? why : "no answer",
                s ? s : "(null)");
        free(s);
    }
    cJSON_Delete(want);
    return ok;
}

static cJSON *sample(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", samples, rel);
    return et_read_json(path);
}

static bool start(const char *const *args)
{
    memset(&E, 0, sizeof E);
    return et_emu_start(&E, emu_bin, args);
}

/* Back to the built-in workspace with no websockets, so one failed test cannot leave
 * connections behind for the next. */
static void reset(void)
{
    cJSON_Delete(et_ctl(&E, "drop_websockets", NULL));
    cJSON_Delete(et_ctl(&E, "wait", "{\"connections\":0,\"timeout_ms\":20000}"));
    cJSON_Delete(et_ctl(&E, "reset", NULL));
}

static cJSON *api(const char *method, const char *json)
{
    return et_api(&E, method, BOT, json);
}

/* Posts a bot message with the blocks of a sample message; returns its ts (owned). */
static char *post_blocks(const char *channel, const cJSON *blocks)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "channel", channel);
    cJSON_AddStringToObject(req, "text", "This content can't be displayed.");
    cJSON_AddItemToObject(req, "blocks", cJSON_Duplicate(blocks, 1));
    char *body = cJSON_PrintUnformatted(req);
    cJSON *r = api("chat.postMessage", body);
    char *ts = js(r, "ts") ? xstrdup(js(r, "ts")) : NULL;
    free(body);
    cJSON_Delete(req);
    cJSON_Delete(r);
    return ts;
}

/* Opens a Socket Mode connection; false if anything is off. */
static bool sock(struct et_ws *w)
{
    cJSON *hello = et_socket_open(&E, w, APP);
    bool ok = hello && js(hello, "type") && !strcmp(js(hello, "type"), "hello");
    cJSON_Delete(hello);
    return ok;
}

/* The next frame that carries an envelope (skipping disconnect frames). */
static cJSON *next_env(struct et_ws *w, int timeout_ms)
{
    long long deadline = et_now_ms() + timeout_ms;
    while (et_now_ms() < deadline) {
        cJSON *j = et_ws_recv_json(w, (int)(deadline - et_now_ms()));
        if (!j)
            return NULL;
        if (js(j, "envelope_id"))
            return j;
        cJSON_Delete(j);
    }
    return NULL;
}

static void ack(struct et_ws *w, const char *id, const char *payload)
{
    char *s = payload ? xasprintf("{\"envelope_id\":\"%s\",\"payload\":%s}", id, payload)
                      : xasprintf("{\"envelope_id\":\"%s\"}", id);
    et_ws_send_text(w, s);
    free(s);
}

/* Waits (via /_emu/wait) until envelope id is acked. */
static bool wait_acked(const char *id)
{
    char *body = xasprintf("{\"envelope_id\":\"%s\",\"timeout_ms\":%d}", id, T_LONG);
    cJSON *r = et_ctl(&E, "wait", body);
    bool ok = jok(r);
    free(body);
    cJSON_Delete(r);
    return ok;
}

static bool wait_conns(int n)
{
    char *body = xasprintf("{\"connections\":%d,\"timeout_ms\":%d}", n, T_LONG);
    cJSON *r = et_ctl(&E, "wait", body);
    bool ok = jok(r);
    free(body);
    cJSON_Delete(r);
    return ok;
}

/* The channel object from /_emu/state. */
static const cJSON *state_chan(const cJSON *st, const char *id)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, jget(st, "channels"))
    {
        if (js(c, "id") && !strcmp(js(c, "id"), id))
            return c;
    }
    return NULL;
}

static const cJSON *state_view(const cJSON *st, const char *id)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, jget(st, "views"))
    {
        if (js(v, "id") && !strcmp(js(v, "id"), id))
            return v;
    }
    return NULL;
}

/* Counts timeline entries of a kind (optionally for an envelope). */
static int timeline_count(const cJSON *st, const char *kind, const char *env)
{
    int n = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, jget(st, "interactions"))
    {
        if (js(t, "kind") && !strcmp(js(t, "kind"), kind) &&
            (!env || (js(t, "envelope_id") && !strcmp(js(t, "envelope_id"), env))))
            n++;
    }
    return n;
}

/* A fresh trigger_id from a slash command (delivered or not). */
static char *trigger(void)
{
    cJSON *r = et_ctl(&E, "slash", "{\"command\":\"/incident\",\"text\":\"new\"}");
    char *t = js(r, "trigger_id") ? xstrdup(js(r, "trigger_id")) : NULL;
    cJSON_Delete(r);
    return t;
}

/* ---------- web API vs samples ---------- */

static void test_samples_auth(void)
{
    cJSON *r = api("auth.test", NULL);
    CHECK(jok(r));
    CHECK(shape("web-api/auth.test.ok_bot_token.json", r));
    cJSON_Delete(r);
    r = et_api(&E, "auth.test", "xoxb-nope!", NULL);
    CHECK(shape("web-api/auth.test.error_invalid_auth.json", r));
    CHECK(shape("web-api/errors/invalid_auth.auth.test.json", r));
    cJSON_Delete(r);
    r = et_api(&E, "auth.test", NULL, NULL);
    CHECK(jerr(r, "not_authed"));
    CHECK(shape("web-api/auth.test.error_not_authed.json", r));
    cJSON_Delete(r);
    r = et_api(&E, "apps.connections.open", APP, NULL);
    CHECK(jok(r));
    CHECK(shape("web-api/apps.connections.open.ok.json", r));
    CHECK(shape("web-api/apps.connections.open.ok.socket-mode-guide.json", r));
    CHECK(strncmp(js(r, "url"), "ws://127.0.0.1:", 15) == 0);
    CHECK_CONTAINS(js(r, "url"), "/link/?ticket=");
    cJSON_Delete(r);
}

static void test_samples_conversations(void)
{
    reset();
    cJSON *r = api("conversations.create", "{\"name\":\"inc-2024-outage\"}");
    CHECK(jok(r));
    CHECK(shape("web-api/conversations.create.ok.json", r));
    char chan[32];
    snprintf(chan, sizeof chan, "%s", js(r, "channel.id"));
    cJSON_Delete(r);
    r = api("conversations.create", "{\"name\":\"inc-2024-outage\"}");
    CHECK(shape("web-api/conversations.create.error_name_taken.json", r));
    CHECK(jerr(r, "name_taken"));
    cJSON_Delete(r);

    char body[256];
    snprintf(body, sizeof body, "{\"channel\":\"%s\",\"users\":\"U0BOB000002,U0CAROL0003\"}", chan);
    r = api("conversations.invite", body);
    CHECK(jok(r));
    CHECK(shape("web-api/conversations.invite.ok.json", r));
    cJSON_Delete(r);
    snprintf(body, sizeof body, "{\"channel\":\"%s\",\"users\":\"U0NOBODY01,U0EMUB0TUSR\"}", chan);
    r = api("conversations.invite", body);
    CHECK(jerr(r, "user_not_found"));
    CHECK(shape("web-api/conversations.invite.error_user_not_found.json", r));
    CHECK_STR(js(r, "errors.1.error"), "cant_invite_self");
    cJSON_Delete(r);

    r = api("conversations.join", "{\"channel\":\"C0INCIDENTS\"}");
    CHECK(jok(r));
    CHECK(shape("web-api/conversations.join.ok_warning_already_in_channel.json", r));
    cJSON_Delete(r);
    r = api("conversations.join", "{\"channel\":\"C0OLDINC001\"}");
    CHECK(shape("web-api/conversations.join.error_is_archived.json", r));
    CHECK(jerr(r, "is_archived"));
    cJSON_Delete(r);

    snprintf(body, sizeof body, "{\"channel\":\"%s\",\"topic\":\"Sev1: checkout down\"}", chan);
    r = api("conversations.setTopic", body);
    CHECK(jok(r));
    CHECK(shape("web-api/conversations.setTopic.ok.json", r));
    cJSON_Delete(r);
    snprintf(body, sizeof body, "{\"channel\":\"%s\"}", chan);
    r = api("conversations.setTopic", body);
    CHECK(jerr(r, "invalid_arguments"));
    CHECK(shape("web-api/conversations.setTopic.error_invalid_arguments.json", r));
    cJSON_Delete(r);
    snprintf(body, sizeof body, "{\"channel\":\"%s\",\"purpose\":\"Sev1 war room\"}", chan);
    r = api("conversations.setPurpose", body);
    CHECK(shape("web-api/conversations.setPurpose.ok.json", r));
    cJSON_Delete(r);
    r = et_api(&E, "conversations.setPurpose", "garbage", body);
    CHECK(shape("web-api/conversations.setPurpose.error_invalid_auth.json", r));
    cJSON_Delete(r);

    r = api("conversations.rename", "{\"channel\":\"C0GENERAL01\",\"name\":\"everyone\"}");
    CHECK(jerr(r, "not_in_channel"));
    CHECK(shape("web-api/errors/not_in_channel.conversations.rename.json", r));
    cJSON_Delete(r);

    snprintf(body, sizeof body, "{\"channel\":\"%s\"}", chan);
    r = api("conversations.archive", body);
    CHECK(jok(r));
    CHECK(shape("web-api/conversations.archive.ok.json", r));
    cJSON_Delete(r);
    r = api("conversations.archive", "{\"channel\":\"C0DOESNOTX1\"}");
    CHECK(shape("web-api/conversations.archive.error_channel_not_found.json", r));
    CHECK(shape("web-api/errors/channel_not_found.conversations.archive.json", r));
    cJSON_Delete(r);
}

static void test_samples_chat(void)
{
    reset();
    cJSON *r = api("chat.postMessage",
                   "{\"channel\":\"C0INCIDENTS\",\"text\":\"Here's a message for you\","
                   "\"attachments\":[{\"text\":\"This is an attachment\",\"fallback\":\"This is "
                   "an attachment's fallback\"}]}");
    CHECK(jok(r));
    CHECK(shape("web-api/chat.postMessage.ok.json", r));
    CHECK(jn(r, "message.attachments.0.id") == 1);
    char ts[32];
    snprintf(ts, sizeof ts, "%s", js(r, "ts"));
    cJSON_Delete(r);

    struct et_resp hr;
    char *many = xstrdup("{\"channel\":\"C0INCIDENTS\",\"attachments\":[");
    for (int i = 0; i < 101; i++) {
        char *n = xasprintf("%s%s{\"text\":\"a\"}", many, i ? "," : "");
        free(many);
        many = n;
    }
    char *full = xasprintf("%s]}", many);
    free(many);
    r = api("chat.postMessage", full);
    free(full);
    CHECK(shape("web-api/chat.postMessage.error_too_many_attachments.json", r));
    CHECK(jerr(r, "too_many_attachments"));
    cJSON_Delete(r);

    char body[256];
    snprintf(body, sizeof body,
             "{\"channel\":\"C0INCIDENTS\",\"ts\":\"%s\",\"text\":\"Updated text you carefully "
             "authored\"}",
             ts);
    r = api("chat.update", body);
    CHECK(jok(r));
    CHECK(shape("web-api/chat.update.ok.json", r));
    cJSON_Delete(r);
    r = et_ctl(&E, "message",
               "{\"user_id\":\"U0ALICE0001\",\"channel_id\":\"C0INCIDENTS\",\"text\":\"hello\"}");
    CHECK(jok(r));
    snprintf(body, sizeof body, "{\"channel\":\"C0INCIDENTS\",\"ts\":\"%s\",\"text\":\"x\"}",
             js(r, "ts"));
    cJSON_Delete(r);
    r = api("chat.update", body);
    CHECK(shape("web-api/chat.update.error_cant_update_message.json", r));
    CHECK(jerr(r, "cant_update_message"));
    cJSON_Delete(r);

    r = api("chat.postEphemeral",
            "{\"channel\":\"C0INCIDENTS\",\"user\":\"U0ALICE0001\",\"text\":\"only you\"}");
    CHECK(jok(r));
    CHECK(shape("web-api/chat.postEphemeral.ok.json", r));
    cJSON_Delete(r);
    r = api("chat.postEphemeral",
            "{\"channel\":\"C0INCIDENTS\",\"user\":\"U0ERIN00005\",\"text\":\"only you\"}");
    CHECK(shape("web-api/chat.postEphemeral.error_user_not_in_channel.json", r));
    CHECK(jerr(r, "user_not_in_channel"));
    cJSON_Delete(r);

    snprintf(body, sizeof body, "{\"channel\":\"C0INCIDENTS\",\"timestamp\":\"%s\"}", ts);
    r = api("pins.add", body);
    CHECK(shape("web-api/pins.add.ok.json", r));
    CHECK(jok(r));
    cJSON_Delete(r);
    snprintf(body, sizeof body, "{\"channel\":\"C0NOPE00001\",\"timestamp\":\"%s\"}", ts);
    r = api("pins.add", body);
    CHECK(shape("web-api/pins.add.error_channel_not_found.json", r));
    cJSON_Delete(r);

    r = api("bookmarks.add", "{\"channel_id\":\"C0INCIDENTS\",\"title\":\"bookmark-1\","
                             "\"type\":\"link\",\"link\":\"https://google.com\","
                             "\"emoji\":\":clap:\"}");
    CHECK(jok(r));
    CHECK(shape("web-api/bookmarks.add.ok.json", r));
    cJSON_Delete(r);
    r = et_api(&E, "bookmarks.add", "xoxb-", "{}");
    CHECK(shape("web-api/bookmarks.add.error_invalid_auth.json", r));
    cJSON_Delete(r);
    (void)hr;
}

static void test_samples_users(void)
{
    cJSON *r = et_api_form(&E, "users.info", BOT, "user=U0ALICE0001");
    CHECK(jok(r));
    CHECK(shape("web-api/users.info.ok.json", r));
    cJSON_Delete(r);
    r = et_api_form(&E, "users.info", BOT, "user=U0NOBODY01");
    CHECK(shape("web-api/users.info.error_user_not_found.json", r));
    cJSON_Delete(r);
    r = et_api_form(&E, "users.lookupByEmail", BOT, "email=bob%40acme-ops.example");
    CHECK(jok(r));
    CHECK(shape("web-api/users.lookupByEmail.ok.json", r));
    CHECK_STR(js(r, "user.id"), "U0BOB000002");
    cJSON_Delete(r);
    r = et_api_form(&E, "users.lookupByEmail", BOT, "email=nobody%40example.com");
    CHECK(shape("web-api/users.lookupByEmail.error_users_not_found.json", r));
    cJSON_Delete(r);
    r = et_api_form(&E, "usergroups.users.list", BOT, "usergroup=S0ONCALL001");
    CHECK(jok(r));
    CHECK(shape("web-api/usergroups.users.list.ok.json", r));
    cJSON_Delete(r);
    r = et_api_form(&E, "usergroups.users.list", "xoxp-user", "usergroup=S0ONCALL001");
    CHECK(shape("web-api/usergroups.users.list.error_invalid_auth.json", r));
    cJSON_Delete(r);
    /* GET with a query string works too, as Slack's SDKs send read methods. */
    struct et_resp hr;
    CHECK(
        et_http(&E, "GET", "/api/users.info?user=U0BOB000002", NULL, NULL, 0, "Bearer " BOT, &hr));
    CHECK(jok(hr.json));
    CHECK_STR(js(hr.json, "user.name"), "bob");
    et_resp_free(&hr);
}

static void test_samples_views(void)
{
    char *t = trigger();
    CHECK(t);
    cJSON *want = sample("web-api/views.open.ok.json");
    CHECK(want);
    cJSON *view = cJSON_Duplicate(jget(want, "view"), 1);
    static const char *const drop[] = {
        "id",     "team_id",        "state",           "hash",       "root_view_id", "app_id",
        "bot_id", "clear_on_close", "notify_on_close", "external_id"};
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(view, drop[i]);
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "trigger_id", t);
    cJSON_AddItemToObject(req, "view", view);
    char *body = cJSON_PrintUnformatted(req);
    cJSON *r = api("views.open", body);
    CHECK(jok(r));
    CHECK(shape("web-api/views.open.ok.json", r));
    char vid[32];
    snprintf(vid, sizeof vid, "%s", js(r, "view.id"));
    cJSON_Delete(r);
    r = api("views.open", body); /* the same trigger again */
    CHECK(jerr(r, "exchanged_trigger_id"));
    cJSON_Delete(r);
    free(body);
    cJSON_Delete(req);
    cJSON_Delete(want);
    free(t);

    r = api("views.open", "{\"trigger_id\":\"garbage\",\"view\":{\"type\":\"modal\",\"title\":"
                          "{\"type\":\"plain_text\",\"text\":\"t\"},\"blocks\":[]}}");
    CHECK(jerr(r, "invalid_arguments"));
    CHECK(shape("web-api/views.open.error_invalid_arguments.json", r));
    cJSON_Delete(r);
    r = api("views.open", "{\"trigger_id\":\"123.456.abcdef\",\"view\":{\"type\":\"modal\","
                          "\"title\":{\"type\":\"plain_text\",\"text\":\"t\"},\"blocks\":[]}}");
    CHECK(jerr(r, "invalid_trigger_id"));
    cJSON_Delete(r);

    want = sample("web-api/views.update.ok.json");
    CHECK(want);
    view = cJSON_CreateObject();
    cJSON_AddStringToObject(view, "type", "modal");
    cJSON_AddItemToObject(view, "title", cJSON_Duplicate(jget(want, "view.title"), 1));
    cJSON_AddItemToObject(view, "close", cJSON_Duplicate(jget(want, "view.close"), 1));
    cJSON_AddItemToObject(view, "blocks", cJSON_Duplicate(jget(want, "view.blocks"), 1));
    cJSON_AddStringToObject(view, "callback_id", "view_2");
    cJSON_AddBoolToObject(view, "clear_on_close", 1);
    req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "view_id", vid);
    cJSON_AddItemToObject(req, "view", view);
    body = cJSON_PrintUnformatted(req);
    r = api("views.update", body);
    CHECK(jok(r));
    CHECK(shape("web-api/views.update.ok.json", r));
    CHECK(cJSON_IsNull(jget(r, "view.submit")));
    cJSON_Delete(r);
    cJSON_Delete(want);
    free(body);
    cJSON_Delete(req);
    r = api("views.update", "{\"view_id\":\"V0NOPE\",\"view\":{\"type\":\"modal\",\"title\":"
                            "{\"type\":\"plain_text\",\"text\":\"t\"},\"blocks\":[]}}");
    CHECK(shape("web-api/views.update.error_not_found.json", r));
    CHECK(jerr(r, "not_found"));
    cJSON_Delete(r);
    char b2[512];
    snprintf(b2, sizeof b2,
             "{\"view_id\":\"%s\",\"hash\":\"1.stale\",\"view\":{\"type\":\"modal\",\"title\":"
             "{\"type\":\"plain_text\",\"text\":\"t\"},\"blocks\":[]}}",
             vid);
    r = api("views.update", b2);
    CHECK(jerr(r, "hash_conflict"));
    cJSON_Delete(r);
}

/* ---------- tokens ---------- */

static void test_tokens(void)
{
    cJSON *r = et_api(&E, "chat.postMessage", NULL, "{\"channel\":\"C0INCIDENTS\",\"text\":\"x\"}");
    CHECK(jerr(r, "not_authed"));
    cJSON_Delete(r);
    static const char *const bad[] = {"garbage",    "xoxb-",  "xoxb-has space",
                                      "xoxp-1-2-3", "Bearer", "xoxb-\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = et_api(&E, "auth.test", bad[i], NULL);
        CHECK_MSG(jerr(r, "invalid_auth"), "token %s", bad[i]);
        cJSON_Delete(r);
    }
    r = et_api(&E, "chat.postMessage", APP, "{\"channel\":\"C0INCIDENTS\",\"text\":\"x\"}");
    CHECK(jerr(r, "not_allowed_token_type"));
    cJSON_Delete(r);
    r = et_api(&E, "apps.connections.open", BOT, NULL);
    CHECK(jerr(r, "not_allowed_token_type"));
    cJSON_Delete(r);
    r = et_api(&E, "apps.connections.open", NULL, NULL);
    CHECK(jerr(r, "not_authed"));
    cJSON_Delete(r);
    /* The token may come as a form field, never in the query string or a JSON body. */
    r = et_api_form(&E, "auth.test", NULL, "token=" BOT);
    CHECK(jok(r));
    cJSON_Delete(r);
    struct et_resp hr;
    CHECK(et_http(&E, "GET", "/api/auth.test?token=" BOT, NULL, NULL, 0, NULL, &hr));
    CHECK(jerr(hr.json, "not_authed"));
    et_resp_free(&hr);
    r = et_api(&E, "auth.test", NULL, "{\"token\":\"" BOT "\"}");
    CHECK(jerr(r, "not_authed"));
    cJSON_Delete(r);
    /* Case of "Bearer" does not matter. */
    CHECK(et_http(&E, "POST", "/api/auth.test", NULL, NULL, 0, "bearer " BOT, &hr));
    CHECK(jok(hr.json));
    et_resp_free(&hr);
}

static void test_pinned_tokens(void)
{
    struct et_emu saved = E;
    memset(&E, 0, sizeof E);
    snprintf(E.dir, sizeof E.dir, "/tmp/slackemu-test-XXXXXX");
    CHECK(mkdtemp(E.dir));
    char path[256];
    snprintf(path, sizeof path, "%s/workspace.json", E.dir);
    FILE *f = fopen(path, "w");
    CHECK(f);
    fprintf(f, "{\"tokens\":{\"bot\":\"xoxb-pinned-1\",\"app\":[\"xapp-pinned-1\"]},"
               "\"team\":{\"id\":\"T0PINNED01\",\"name\":\"Pinned\",\"domain\":\"pinned\"},"
               "\"users\":[{\"id\":\"U0ONLY00001\",\"name\":\"only\",\"email\":\"o@x.example\"}],"
               "\"channels\":[{\"id\":\"C0ONLY00001\",\"name\":\"only\","
               "\"members\":[\"U0ONLY00001\"]}]}");
    fclose(f);
    const char *args[] = {"--workspace", path, NULL};
    CHECK(et_emu_start(&E, emu_bin, args));
    cJSON *r = et_api(&E, "auth.test", "xoxb-pinned-1", NULL);
    bool ok1 = jok(r) && js(r, "team_id") && !strcmp(js(r, "team_id"), "T0PINNED01");
    cJSON_Delete(r);
    r = et_api(&E, "auth.test", BOT, NULL);
    bool ok2 = jerr(r, "invalid_auth");
    cJSON_Delete(r);
    r = et_api(&E, "apps.connections.open", "xapp-pinned-1", NULL);
    bool ok3 = jok(r);
    cJSON_Delete(r);
    r = et_api(&E, "apps.connections.open", APP, NULL);
    bool ok4 = jerr(r, "invalid_auth");
    cJSON_Delete(r);
    r = et_api_form(&E, "users.info", "xoxb-pinned-1", "user=U0ALICE0001");
    bool ok5 = jerr(r, "user_not_found");
    cJSON_Delete(r);
    int rc = et_emu_stop(&E);
    E = saved;
    CHECK(ok1 && ok2 && ok3 && ok4 && ok5);
    CHECK_INT(rc, 0);
}

/* ---------- arguments and their errors ---------- */

static void test_channel_names(void)
{
    reset();
    struct {
        const char *name, *err;
    } cases[] = {
        {"", "invalid_name_required"},
        {"Incident", "invalid_name_specials"},
        {"inc 1", "invalid_name_specials"},
        {"inc#1", "invalid_name_specials"},
        {"caf\xc3\xa9", "invalid_name_specials"},
        {"---", "invalid_name_punctuation"},
        {"general", "name_taken"},
        {"inc-2023-01-12-db-failover", "name_taken"}, /* archived names stay taken */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = xasprintf("{\"name\":\"%s\"}", cases[i].name);
        cJSON *r = api("conversations.create", body);
        free(body);
        CHECK_MSG(jerr(r, cases[i].err), "name '%s'", cases[i].name);
        cJSON_Delete(r);
    }
    char n81[82], n80[81];
    memset(n81, 'a', 81);
    n81[81] = '\0';
    memset(n80, 'b', 80);
    n80[80] = '\0';
    char *body = xasprintf("{\"name\":\"%s\"}", n81);
    cJSON *r = api("conversations.create", body);
    free(body);
    CHECK(jerr(r, "invalid_name_maxlength"));
    cJSON_Delete(r);
    body = xasprintf("{\"name\":\"%s\"}", n80);
    r = api("conversations.create", body);
    free(body);
    CHECK(jok(r));
    cJSON_Delete(r);
    r = api("conversations.create", "{}");
    CHECK(jerr(r, "invalid_name_required"));
    cJSON_Delete(r);
    r = api("conversations.create", "{\"name\":\"inc_ok-2\",\"is_private\":true}");
    CHECK(jok(r));
    CHECK(cJSON_IsTrue(jget(r, "channel.is_private")));
    cJSON_Delete(r);
}

/*
 * Message metadata (chat.postMessage "metadata", listed with include_all_metadata only),
 * conversations.replies (parent first, "oldest" exclusive) and the "hold" fault (carried
 * out, answer held).
 */
static void test_metadata_replies_hold(void)
{
    reset();
    cJSON *r = api("chat.postMessage",
                   "{\"channel\":\"C0INCIDENTS\",\"text\":\"tagged\",\"metadata\":"
                   "{\"event_type\":\"incidentd_effect\",\"event_payload\":{\"effect\":\"k/1\","
                   "\"outbox_id\":7}}}");
    CHECK(jok(r));
    char *parent = js(r, "ts") ? xstrdup(js(r, "ts")) : xstrdup("");
    cJSON_Delete(r);
    r = api("conversations.history", "{\"channel\":\"C0INCIDENTS\"}");
    CHECK_STR(js(r, "messages.0.text"), "tagged");
    CHECK(jget(r, "messages.0.metadata") == NULL);
    cJSON_Delete(r);
    r = api("conversations.history", "{\"channel\":\"C0INCIDENTS\",\"include_all_metadata\":true}");
    CHECK_STR(js(r, "messages.0.metadata.event_type"), "incidentd_effect");
    CHECK_STR(js(r, "messages.0.metadata.event_payload.effect"), "k/1");
    CHECK(jn(r, "messages.0.metadata.event_payload.outbox_id") == 7);
    cJSON_Delete(r);
    /* A form body sends it as a JSON string; a bad one is refused. */
    r = api("chat.postMessage", "{\"channel\":\"C0INCIDENTS\",\"text\":\"s\",\"metadata\":"
                                "\"{\\\"event_type\\\":\\\"e\\\",\\\"event_payload\\\":{}}\"}");
    CHECK(jok(r));
    cJSON_Delete(r);
    static const char *const bad[] = {"\"{nope\"", "{\"event_payload\":{}}",
                                      "{\"event_type\":\"e\",\"event_payload\":5}", "[1]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *body = xasprintf("{\"channel\":\"C0INCIDENTS\",\"text\":\"b\",\"metadata\":%s}",
                               bad[i]);
        r = api("chat.postMessage", body);
        CHECK_STR(js(r, "error"), "invalid_metadata_format");
        cJSON_Delete(r);
        free(body);
    }

    /* Replies: the parent first, then the thread, oldest first; "oldest" is exclusive. */
    char *body = xasprintf("{\"channel\":\"C0INCIDENTS\",\"text\":\"reply 1\",\"thread_ts\":"
                           "\"%s\",\"metadata\":{\"event_type\":\"e\",\"event_payload\":{}}}",
                           parent);
    r = api("chat.postMessage", body);
    char *r1 = js(r, "ts") ? xstrdup(js(r, "ts")) : xstrdup("");
    cJSON_Delete(r);
    free(body);
    body = xasprintf("{\"channel\":\"C0INCIDENTS\",\"text\":\"reply 2\",\"thread_ts\":\"%s\"}",
                     parent);
    cJSON_Delete(api("chat.postMessage", body));
    free(body);
    body = xasprintf("{\"channel\":\"C0INCIDENTS\",\"ts\":\"%s\",\"include_all_metadata\":true}",
                     parent);
    r = api("conversations.replies", body);
    free(body);
    CHECK(jok(r));
    CHECK_INT(cJSON_GetArraySize(jget(r, "messages")), 3);
    CHECK_STR(js(r, "messages.0.text"), "tagged");
    CHECK_STR(js(r, "messages.1.text"), "reply 1");
    CHECK_STR(js(r, "messages.1.metadata.event_type"), "e");
    CHECK_STR(js(r, "messages.2.text"), "reply 2");
    cJSON_Delete(r);
    body = xasprintf("{\"channel\":\"C0INCIDENTS\",\"ts\":\"%s\",\"oldest\":\"%s\"}", parent, r1);
    r = api("conversations.replies", body);
    free(body);
    CHECK_INT(cJSON_GetArraySize(jget(r, "messages")), 2); /* the parent and reply 2 */
    CHECK_STR(js(r, "messages.1.text"), "reply 2");
    cJSON_Delete(r);
    r = api("conversations.replies", "{\"channel\":\"C0INCIDENTS\",\"ts\":\"1.000001\"}");
    CHECK_STR(js(r, "error"), "thread_not_found");
    cJSON_Delete(r);
    /* History lists the thread's parent only, and honours "oldest". */
    body = xasprintf("{\"channel\":\"C0INCIDENTS\",\"oldest\":\"%s\"}", parent);
    r = api("conversations.history", body);
    free(body);
    CHECK_INT(cJSON_GetArraySize(jget(r, "messages")), 1); /* "s" only */
    CHECK_STR(js(r, "messages.0.text"), "s");
    cJSON_Delete(r);

    /* hold: the call is carried out at once, its answer comes hold_ms later. */
    cJSON *f = et_ctl(&E, "fault", "{\"method\":\"chat.postMessage\",\"mode\":\"hold\","
                                   "\"next\":1,\"hold_ms\":1200}");
    CHECK(jok(f));
    cJSON_Delete(f);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = api("chat.postMessage", "{\"channel\":\"C0INCIDENTS\",\"text\":\"held\"}");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(jok(r));
    CHECK_MSG(took >= 1.1, "held %.2f s", took);
    cJSON_Delete(r);
    r = api("chat.postMessage", "{\"channel\":\"C0INCIDENTS\",\"text\":\"not held\"}");
    CHECK(jok(r));
    cJSON_Delete(r);
    r = api("conversations.history", "{\"channel\":\"C0INCIDENTS\",\"limit\":2}");
    CHECK_STR(js(r, "messages.0.text"), "not held");
    CHECK_STR(js(r, "messages.1.text"), "held");
    cJSON_Delete(r);
    f = et_ctl(&E, "fault", "{\"method\":\"chat.postMessage\",\"mode\":\"hold\","
                            "\"hold_ms\":-1}");
    CHECK_STR(js(f, "error"), "invalid_hold_ms");
    cJSON_Delete(f);
    free(parent);
    free(r1);
}

static void test_argument_errors(void)
{
    reset();
    cJSON *r =
        api("conversations.invite", "{\"channel\":\"C0INCIDENTS\",\"users\":\"U0BOB000002\"}");
    CHECK(jerr(r, "already_in_channel"));
    CHECK_STR(js(r, "errors.0.error"), "already_in_channel");
    cJSON_Delete(r);
    r = api("conversations.invite", "{\"channel\":\"C0INCIDENTS\",\"users\":\"U0EMUB0TUSR\"}");
    CHECK(jerr(r, "cant_invite_self"));
    cJSON_Delete(r);
    r = api("conversations.invite",
            "{\"channel\":\"C0INCIDENTS\",\"users\":\"U0NOBODY01,U0ERIN00005\",\"force\":true}");
    CHECK(jok(r));
    CHECK_STR(js(r, "errors.0.error"), "user_not_found");
    cJSON_Delete(r);
    r = api("conversations.invite", "{\"channel\":\"C0RANDOM001\",\"users\":\"U0ERIN00005\"}");
    CHECK(jerr(r, "not_in_channel"));
    cJSON_Delete(r);
    r = api("conversations.setTopic", "{\"channel\":\"C0GENERAL01\",\"topic\":\"x\"}");
    CHECK(jerr(r, "not_in_channel"));
    cJSON_Delete(r);
    char big[300];
    memset(big, 'x', 260);
    big[260] = '\0';
    char *body = xasprintf("{\"channel\":\"C0INCIDENTS\",\"topic\":\"%s\"}", big);
    r = api("conversations.setTopic", body);
    free(body);
    CHECK(jerr(r, "too_long"));
    cJSON_Delete(r);
    r = api("conversations.info", "{\"channel\":\"C0NOPE00001\"}");
    CHECK(jerr(r, "channel_not_found"));
    cJSON_Delete(r);
    r = api("chat.postMessage", "{\"channel\":\"C0INCIDENTS\"}");
    CHECK(jerr(r, "no_text"));
    cJSON_Delete(r);
    r = api("chat.postMessage", "{\"channel\":\"C0OLDINC001\",\"text\":\"x\"}");
    CHECK(jerr(r, "is_archived"));
    cJSON_Delete(r);
    r = api("chat.postMessage", "{\"channel\":\"C0ONCALL001\",\"text\":\"x\"}");
    CHECK(jok(r)); /* private, but the bot is a member */
    cJSON_Delete(r);
    r = api("chat.postMessage", "{\"text\":\"x\"}");
    CHECK(jerr(r, "invalid_arguments"));
    cJSON_Delete(r);
    r = api("chat.postMessage", "{\"channel\":\"C0INCIDENTS\",\"blocks\":\"not json\"}");
    CHECK(jerr(r, "invalid_blocks_format"));
    cJSON_Delete(r);
    r = api("chat.postMessage",
            "{\"channel\":\"C0INCIDENTS\",\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":"
            "\"mrkdwn\",\"text\":\"\"}}]}");
    CHECK(jerr(r, "invalid_blocks"));
    CHECK_CONTAINS(js(r, "response_metadata.messages.0"), "json-pointer:/blocks/0/text");
    cJSON_Delete(r);
    r = api("chat.postMessage",
            "{\"channel\":\"C0INCIDENTS\",\"blocks\":[{\"type\":\"actions\",\"elements\":[{"
            "\"type\":\"button\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"x\"}}]}]}");
    CHECK(jerr(r, "invalid_blocks"));
    cJSON_Delete(r);
    r = api("chat.postMessage",
            "{\"channel\":\"C0INCIDENTS\",\"blocks\":[{\"type\":\"no_such_block\"}]}");
    CHECK(jerr(r, "invalid_blocks"));
    cJSON_Delete(r);
    /* Form bodies carry blocks as URL-encoded JSON, as the SDKs send them. */
    r = et_api_form(&E, "chat.postMessage", BOT,
                    "channel=C0INCIDENTS&text=t&blocks=%5B%7B%22type%22%3A%22divider%22%7D%5D");
    CHECK(jok(r));
    CHECK_STR(js(r, "message.blocks.0.type"), "divider");
    char ts[32];
    snprintf(ts, sizeof ts, "%s", js(r, "ts"));
    cJSON_Delete(r);
    char long_text[4100];
    memset(long_text, 'y', 4001);
    long_text[4001] = '\0';
    body = xasprintf("{\"channel\":\"C0INCIDENTS\",\"ts\":\"%s\",\"text\":\"%s\"}", ts, long_text);
    r = api("chat.update", body);
    free(body);
    CHECK(jerr(r, "msg_too_long"));
    cJSON_Delete(r);
    r = api("chat.update", "{\"channel\":\"C0INCIDENTS\",\"ts\":\"1.000001\",\"text\":\"x\"}");
    CHECK(jerr(r, "message_not_found"));
    cJSON_Delete(r);
    r = api("users.info", "{}");
    CHECK(jerr(r, "invalid_arguments"));
    cJSON_Delete(r);
    r = api("usergroups.users.list", "{\"usergroup\":\"S0NOPE\"}");
    CHECK(jerr(r, "no_such_subteam"));
    cJSON_Delete(r);
    body = xasprintf("{\"channel\":\"C0INCIDENTS\",\"timestamp\":\"%s\"}", ts);
    r = api("pins.add", body);
    CHECK(jok(r));
    cJSON_Delete(r);
    r = api("pins.add", body);
    CHECK(jerr(r, "already_pinned"));
    cJSON_Delete(r);
    free(body);
    body = xasprintf("{\"channel\":\"C0INCIDENTS\",\"timestamp\":\"%s\",\"name\":\"eyes\"}", ts);
    r = api("reactions.add", body);
    CHECK(jok(r));
    cJSON_Delete(r);
    r = api("reactions.add", body);
    CHECK(jerr(r, "already_reacted"));
    cJSON_Delete(r);
    free(body);
    r = api("bookmarks.add", "{\"channel_id\":\"C0INCIDENTS\",\"title\":\"x\",\"type\":\"link\","
                             "\"link\":\"ftp://x\"}");
    CHECK(jerr(r, "invalid_link"));
    cJSON_Delete(r);
    r = api("views.publish", "{\"user_id\":\"U0ALICE0001\",\"view\":{\"type\":\"home\","
                             "\"blocks\":[{\"type\":\"divider\"}]}}");
    CHECK(jok(r));
    cJSON_Delete(r);
    /* Listing methods page with cursors. */
    r = et_api_form(&E, "users.list", BOT, "limit=2");
    CHECK(jok(r));
    CHECK_INT(cJSON_GetArraySize(jget(r, "members")), 2);
    CHECK(js(r, "response_metadata.next_cursor") && js(r, "response_metadata.next_cursor")[0]);
    char *next = xasprintf("limit=100&cursor=%s", js(r, "response_metadata.next_cursor"));
    cJSON_Delete(r);
    r = et_api_form(&E, "users.list", BOT, next);
    free(next);
    CHECK(jok(r));
    CHECK(cJSON_GetArraySize(jget(r, "members")) >= 5);
    CHECK_STR(js(r, "response_metadata.next_cursor"), "");
    cJSON_Delete(r);
    r = et_api_form(&E, "conversations.list", BOT, "types=public_channel,private_channel");
    CHECK(jok(r));
    CHECK(cJSON_GetArraySize(jget(r, "channels")) >= 4);
    cJSON_Delete(r);
    r = et_api_form(&E, "conversations.members", BOT, "channel=C0INCIDENTS");
    CHECK(jok(r));
    CHECK_INT(cJSON_GetArraySize(jget(r, "members")), 6); /* erin was invited above */
    cJSON_Delete(r);
    r = et_api_form(&E, "usergroups.list", BOT, "include_users=true");
    CHECK(jok(r));
    CHECK_INT(cJSON_GetArraySize(jget(r, "usergroups.0.users")), 2);
    cJSON_Delete(r);
}

/* ---------- rate limits ---------- */

static void test_rate_limits(void)
{
    reset();
    /* chat.postMessage: about one per second per channel after a short burst. */
    int ok = 0, limited = 0;
    struct et_resp hr;
    for (int i = 0; i < 40 && !limited; i++) {
        const char *b = "{\"channel\":\"C0RANDOM001\",\"text\":\"spam\"}";
        CHECK(et_http(&E, "POST", "/api/chat.postMessage", "application/json", b, strlen(b),
                      "Bearer " BOT, &hr));
        if (hr.status == 429) {
            limited++;
            CHECK(hr.retry_after[0]);
            CHECK(strtol(hr.retry_after, NULL, 10) >= 1);
            CHECK_INT((long)hr.len, 34);
            CHECK_STR(hr.body, "{\"ok\":false,\"error\":\"ratelimited\"}");
            CHECK(shape("web-api/errors/ratelimited.http429.python-slack-sdk.json", hr.json));
        } else {
            CHECK(jok(hr.json));
            ok++;
        }
        et_resp_free(&hr);
    }
    CHECK(limited == 1);
    CHECK(ok >= 5);
    /* Another channel is not limited by the first. */
    cJSON *r = api("chat.postMessage", "{\"channel\":\"C0INCIDENTS\",\"text\":\"fine\"}");
    CHECK(jok(r));
    cJSON_Delete(r);
    /* A tier 2 method: 20 a minute. */
    limited = 0;
    int created = 0;
    for (int i = 0; i < 60 && !limited; i++) {
        char *b = xasprintf("{\"name\":\"rl-%d\"}", i);
        CHECK(et_http(&E, "POST", "/api/conversations.create", "application/json", b, strlen(b),
                      "Bearer " BOT, &hr));
        free(b);
        if (hr.status == 429)
            limited++;
        else if (jok(hr.json))
            created++;
        et_resp_free(&hr);
    }
    CHECK(limited == 1);
    CHECK(created >= 20);
    /* Switched off, nothing is limited. */
    r = et_ctl(&E, "ratelimits", "{\"enabled\":false}");
    CHECK(jok(r));
    cJSON_Delete(r);
    for (int i = 0; i < 30; i++) {
        r = api("chat.postMessage", "{\"channel\":\"C0RANDOM001\",\"text\":\"spam\"}");
        CHECK_MSG(jok(r), "post %d", i);
        cJSON_Delete(r);
    }
    r = et_ctl(&E, "ratelimits", "{\"enabled\":true}");
    cJSON_Delete(r);
}

/* ---------- Socket Mode ---------- */

static void test_hello_and_tickets(void)
{
    reset();
    cJSON *r = et_api(&E, "apps.connections.open", APP, NULL);
    CHECK(jok(r));
    char url[256];
    snprintf(url, sizeof url, "%s", js(r, "url"));
    cJSON_Delete(r);
    struct et_ws w, w2;
    int status;
    CHECK(et_ws_connect(&w, url, &status));
    cJSON *hello = et_ws_recv_json(&w, T_LONG);
    CHECK(hello);
    CHECK_STR(js(hello, "type"), "hello");
    CHECK(shape("socket-mode/hello.java-slack-sdk.json", hello));
    CHECK(shape("socket-mode/hello.python-slack-sdk.json", hello));
    CHECK_INT(jn(hello, "num_connections"), 1);
    CHECK_STR(js(hello, "connection_info.app_id"), "A0EMU1NCDNT");
    cJSON_Delete(hello);
    /* The same ticket does not work twice. */
    CHECK(!et_ws_connect(&w2, url, &status));
    CHECK_INT(status, 401);
    /* Nor does a made-up one, or another path. */
    char bad[300];
    snprintf(bad, sizeof bad, "ws://127.0.0.1:%d/link/?ticket=made-up", E.port);
    CHECK(!et_ws_connect(&w2, bad, &status));
    snprintf(bad, sizeof bad, "ws://127.0.0.1:%d/other", E.port);
    CHECK(!et_ws_connect(&w2, bad, &status));
    /* debug_reconnects shortens the lifetime to 360 s. */
    r = et_api(&E, "apps.connections.open", APP, NULL);
    snprintf(url, sizeof url, "%s&debug_reconnects=true", js(r, "url"));
    cJSON_Delete(r);
    CHECK(et_ws_connect(&w2, url, &status));
    hello = et_ws_recv_json(&w2, T_LONG);
    CHECK_INT(jn(hello, "debug_info.approximate_connection_time"), 360);
    CHECK_INT(jn(hello, "num_connections"), 2);
    cJSON_Delete(hello);
    /* The server answers pings with the same payload, and pings on its own. */
    CHECK(et_ws_ping(&w2, "are you there", T_LONG));
    long long deadline = et_now_ms() + T_LONG;
    while (w.pings_seen == 0 && et_now_ms() < deadline) {
        int op;
        char *d;
        size_t n;
        if (et_ws_recv(&w, 200, &op, &d, &n) == 1)
            free(d);
    }
    CHECK(w.pings_seen > 0);
    et_ws_close(&w);
    et_ws_close(&w2);
    CHECK(wait_conns(0));
}

/* Replays a sample envelope's payload through /_emu/envelope; compares what arrives. */
static bool replay_envelope(struct et_ws *w, const char *rel)
{
    cJSON *s = sample(rel);
    if (!s) {
        fprintf(stderr, "  cannot read %s\n", rel);
        return false;
    }
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "type", js(s, "type"));
    cJSON_AddItemToObject(req, "payload", cJSON_Duplicate(jget(s, "payload"), 1));
    cJSON_AddItemToObject(req, "accepts_response_payload",
                          cJSON_Duplicate(jget(s, "accepts_response_payload"), 1));
    char *body = cJSON_PrintUnformatted(req);
    cJSON *r = et_ctl(&E, "envelope", body);
    free(body);
    cJSON_Delete(req);
    cJSON *env = next_env(w, T_LONG);
    bool ok =
        jok(r) && env && shape(rel, env) && !strcmp(js(r, "envelope_id"), js(env, "envelope_id"));
    if (ok)
        ack(w, js(env, "envelope_id"), "{}");
    cJSON_Delete(r);
    cJSON_Delete(env);
    cJSON_Delete(s);
    return ok;
}

static void test_replay_socket_samples(void)
{
    reset();
    struct et_ws w;
    CHECK(sock(&w));
    static const char *const envs[] = {
        "socket-mode/slash_commands.docs.json",
        "socket-mode/slash_commands.java-slack-sdk.json",
        "socket-mode/slash_commands.python-slack-sdk.json",
        "socket-mode/interactive_block_actions.java-slack-sdk.json",
        "socket-mode/interactive_block_actions_large.python-slack-sdk.json",
        "socket-mode/interactive_shortcut.python-slack-sdk.json",
        "socket-mode/block_suggestion.docs.json",
        "socket-mode/events_api_app_mention.python-slack-sdk.json",
        "socket-mode/events_api_app_mention.java-slack-sdk.json",
        "socket-mode/events_api_message.python-slack-sdk.json",
    };
    for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++)
        CHECK_MSG(replay_envelope(&w, envs[i]), "%s", envs[i]);

    /* The view_submission sample is a bare payload; it travels in an interactive envelope. */
    cJSON *p = sample("socket-mode/interactive_view_submission.payload-only.java-slack-sdk.json");
    CHECK(p);
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "type", "interactive");
    cJSON_AddItemToObject(req, "payload", p);
    char *body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    cJSON_Delete(et_ctl(&E, "envelope", body));
    free(body);
    cJSON *env = next_env(&w, T_LONG);
    CHECK(env);
    CHECK(shape("socket-mode/interactive_view_submission.payload-only.java-slack-sdk.json",
                jget(env, "payload")));
    CHECK(cJSON_IsTrue(jget(env, "accepts_response_payload")));
    CHECK_STR(js(env, "type"), "interactive");
    ack(&w, js(env, "envelope_id"), NULL);
    cJSON_Delete(env);

    /* Inner events travel inside an event_callback; full payloads travel as given. */
    static const char *const events[] = {
        "socket-mode/events/app_mention.event.api-slack-com.json",
        "socket-mode/events/member_joined_channel.event.docs.json",
        "socket-mode/events/member_joined_channel.event_no_inviter.docs.json",
    };
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
        cJSON *ev = sample(events[i]);
        CHECK(ev);
        req = cJSON_CreateObject();
        cJSON_AddItemToObject(req, "event", ev);
        body = cJSON_PrintUnformatted(req);
        cJSON_Delete(req);
        cJSON_Delete(et_ctl(&E, "event", body));
        free(body);
        env = next_env(&w, T_LONG);
        CHECK(env);
        CHECK(shape(events[i], jget(env, "payload.event")));
        CHECK_STR(js(env, "payload.type"), "event_callback");
        CHECK_INT(jn(env, "retry_attempt"), 0);
        CHECK_STR(js(env, "retry_reason"), "");
        ack(&w, js(env, "envelope_id"), NULL);
        cJSON_Delete(env);
    }
    static const char *const payloads[] = {
        "socket-mode/events/event_callback.reaction_added.docs.json",
        "socket-mode/events/app_rate_limited.docs.json",
    };
    for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
        cJSON *pl = sample(payloads[i]);
        CHECK(pl);
        req = cJSON_CreateObject();
        cJSON_AddItemToObject(req, "payload", pl);
        body = cJSON_PrintUnformatted(req);
        cJSON_Delete(req);
        cJSON_Delete(et_ctl(&E, "event", body));
        free(body);
        env = next_env(&w, T_LONG);
        CHECK(env);
        CHECK(shape(payloads[i], jget(env, "payload")));
        CHECK_STR(js(env, "type"), "events_api");
        ack(&w, js(env, "envelope_id"), NULL);
        cJSON_Delete(env);
    }

    /* Disconnect frames, as the docs show them. */
    static const char *const reasons[][2] = {
        {"warning", "socket-mode/disconnect_warning.docs.json"},
        {"refresh_requested", "socket-mode/disconnect_refresh_requested.docs.json"},
    };
    for (size_t i = 0; i < 2; i++) {
        char *b = xasprintf("{\"reason\":\"%s\"}", reasons[i][0]);
        cJSON *r = et_ctl(&E, "disconnect", b);
        free(b);
        CHECK_INT(jn(r, "connections"), 1);
        cJSON_Delete(r);
        cJSON *d = et_ws_recv_json(&w, T_LONG);
        CHECK(d);
        CHECK_STR(js(d, "reason"), reasons[i][0]);
        CHECK(shape(reasons[i][1], d));
        cJSON_Delete(d);
    }
    /* After refresh_requested the server closes the socket. */
    CHECK(et_ws_wait_closed(&w, T_LONG));
    et_ws_close(&w);
    CHECK(sock(&w));
    cJSON_Delete(et_ctl(&E, "disconnect", "{\"reason\":\"link_disabled\"}"));
    cJSON *d = et_ws_recv_json(&w, T_LONG);
    CHECK(shape("socket-mode/disconnect_link_disabled.docs.json", d));
    CHECK_STR(js(d, "reason"), "link_disabled");
    cJSON_Delete(d);
    CHECK(et_ws_wait_closed(&w, T_LONG));
    et_ws_close(&w);
    CHECK(wait_conns(0));
}

static void test_own_payloads_match_samples(void)
{
    reset();
    struct et_ws w;
    CHECK(sock(&w));
    /* slash command */
    cJSON *r = et_ctl(&E, "slash",
                      "{\"user_id\":\"U0ALICE0001\",\"channel_id\":\"C0INCIDENTS\","
                      "\"command\":\"/incident\",\"text\":\"declare sev1\"}");
    CHECK(jok(r));
    cJSON *env = next_env(&w, T_LONG);
    CHECK(env);
    CHECK(shape("socket-mode/slash_commands.java-slack-sdk.json", env));
    CHECK(shape("socket-mode/slash_commands.python-slack-sdk.json", env));
    CHECK_STR(js(env, "envelope_id"), js(r, "envelope_id"));
    CHECK_STR(js(env, "payload.trigger_id"), js(r, "trigger_id"));
    CHECK_STR(js(env, "payload.text"), "declare sev1");
    CHECK(cJSON_IsTrue(jget(env, "accepts_response_payload")));
    ack(&w, js(env, "envelope_id"), "{}");
    cJSON_Delete(env);
    cJSON_Delete(r);

    /* block_actions built from the real message the bot posted */
    cJSON *s = sample("socket-mode/interactive_block_actions.java-slack-sdk.json");
    CHECK(s);
    char *ts = post_blocks("C0INCIDENTS", jget(s, "payload.message.blocks"));
    CHECK(ts);
    char *b = xasprintf("{\"user_id\":\"U0BOB000002\",\"channel_id\":\"C0INCIDENTS\","
                        "\"message_ts\":\"%s\",\"action_id\":\"a\"}",
                        ts);
    r = et_ctl(&E, "click", b);
    free(b);
    CHECK(jok(r));
    env = next_env(&w, T_LONG);
    CHECK(env);
    CHECK(shape("socket-mode/interactive_block_actions.java-slack-sdk.json", env));
    CHECK_STR(js(env, "payload.container.message_ts"), ts);
    CHECK_STR(js(env, "payload.actions.0.value"), "underlying");
    CHECK_STR(js(env, "payload.user.id"), "U0BOB000002");
    CHECK_STR(js(env, "payload.message.blocks.0.elements.0.action_id"), "a");
    ack(&w, js(env, "envelope_id"), "{}");
    cJSON_Delete(env);
    cJSON_Delete(r);
    free(ts);
    cJSON_Delete(s);

    /* view_submission from an open modal, submitted with values */
    cJSON *vs = sample("socket-mode/interactive_view_submission.payload-only.java-slack-sdk.json");
    CHECK(vs);
    char *t = trigger();
    CHECK(t);
    cJSON *view = cJSON_CreateObject();
    cJSON_AddStringToObject(view, "type", "modal");
    cJSON_AddItemToObject(view, "title", cJSON_Duplicate(jget(vs, "view.title"), 1));
    cJSON_AddItemToObject(view, "close", cJSON_Duplicate(jget(vs, "view.close"), 1));
    cJSON_AddItemToObject(view, "submit", cJSON_Duplicate(jget(vs, "view.submit"), 1));
    cJSON_AddItemToObject(view, "blocks", cJSON_Duplicate(jget(vs, "view.blocks"), 1));
    cJSON_AddStringToObject(view, "callback_id", "view-callback-id");
    cJSON_AddBoolToObject(view, "notify_on_close", 1);
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "trigger_id", t);
    cJSON_AddItemToObject(req, "view", view);
    char *body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    free(t);
    r = api("views.open", body);
    free(body);
    CHECK(jok(r));
    char vid[32];
    snprintf(vid, sizeof vid, "%s", js(r, "view.id"));
    cJSON_Delete(r);
    env = next_env(&w, 2000); /* the slash command behind trigger() */
    if (env)
        ack(&w, js(env, "envelope_id"), NULL);
    cJSON_Delete(env);
    b = xasprintf("{\"view_id\":\"%s\",\"user_id\":\"U0ALICE0001\","
                  "\"values\":{\"Cuw\":{\"0HiH\":\"C0INCIDENTS\"}}}",
                  vid);
    r = et_ctl(&E, "submit", b);
    free(b);
    CHECK(jok(r));
    env = next_env(&w, T_LONG);
    CHECK(env);
    CHECK(shape("socket-mode/interactive_view_submission.payload-only.java-slack-sdk.json",
                jget(env, "payload")));
    CHECK_STR(js(env, "payload.view.state.values.Cuw.0HiH.selected_channel"), "C0INCIDENTS");
    CHECK_STR(js(env, "payload.response_urls.0.channel_id"), "C0INCIDENTS");
    CHECK(cJSON_IsTrue(jget(env, "accepts_response_payload")));
    ack(&w, js(env, "envelope_id"), NULL);
    cJSON_Delete(env);
    cJSON_Delete(r);
    cJSON_Delete(vs);

    /* an app_mention from a user's message */
    r = et_ctl(&E, "message",
               "{\"user_id\":\"U0CAROL0003\",\"channel_id\":\"C0INCIDENTS\","
               "\"text\":\"<@U0EMUB0TUSR> status?\"}");
    CHECK(jok(r));
    cJSON_Delete(r);
    env = next_env(&w, T_LONG);
    CHECK(env);
    CHECK(shape("socket-mode/events_api_app_mention.python-slack-sdk.json", env));
    CHECK(shape("socket-mode/events_api_app_mention.java-slack-sdk.json", env));
    ack(&w, js(env, "envelope_id"), NULL);
    cJSON_Delete(env);

    /* member_joined_channel when the bot invites someone */
    r = api("conversations.invite", "{\"channel\":\"C0INCIDENTS\",\"users\":\"U0ERIN00005\"}");
    CHECK(jok(r));
    cJSON_Delete(r);
    env = next_env(&w, T_LONG);
    CHECK(env);
    CHECK_STR(js(env, "payload.event.type"), "member_joined_channel");
    CHECK_STR(js(env, "payload.event.inviter"), "U0EMUB0TUSR");
    ack(&w, js(env, "envelope_id"), NULL);
    cJSON_Delete(env);
    et_ws_close(&w);
    CHECK(wait_conns(0));
}

/* Sends a sample ack (app -> Slack) for envelope id: the sample's envelope_id is replaced. */
static void ack_sample(struct et_ws *w, const char *rel, const char *id, bool bare_payload)
{
    cJSON *a = sample(rel);
    cJSON *msg;
    if (bare_payload) { /* the docs-modals bodies are what goes inside "payload" */
        msg = cJSON_CreateObject();
        cJSON_AddStringToObject(msg, "envelope_id", id);
        cJSON_AddItemToObject(msg, "payload", a);
    } else {
        msg = a;
        cJSON_ReplaceItemInObjectCaseSensitive(msg, "envelope_id", cJSON_CreateString(id));
    }
    char *s = cJSON_PrintUnformatted(msg);
    et_ws_send_text(w, s);
    free(s);
    cJSON_Delete(msg);
}

/* Opens a modal whose single input block has block_id bid; returns the view id (owned). */
static char *open_simple_modal(struct et_ws *w, const char *bid)
{
    cJSON *r = et_ctl(&E, "slash", "{\"text\":\"modal\"}");
    cJSON *env = next_env(w, T_LONG);
    if (env)
        ack(w, js(env, "envelope_id"), NULL);
    cJSON_Delete(env);
    char *body = xasprintf(
        "{\"trigger_id\":\"%s\",\"view\":{\"type\":\"modal\",\"title\":{\"type\":"
        "\"plain_text\",\"text\":\"Ticket\"},\"submit\":{\"type\":\"plain_text\",\"text\":"
        "\"Save\"},\"blocks\":[{\"type\":\"input\",\"block_id\":\"%s\",\"label\":{\"type\":"
        "\"plain_text\",\"text\":\"Due\"},\"element\":{\"type\":\"datepicker\",\"action_id\":"
        "\"d\"}}]}}",
        js(r, "trigger_id") ? js(r, "trigger_id") : "", bid);
    cJSON_Delete(r);
    r = api("views.open", body);
    free(body);
    char *vid = js(r, "view.id") ? xstrdup(js(r, "view.id")) : NULL;
    cJSON_Delete(r);
    return vid;
}

/* Submits vid and answers with a sample ack; returns the envelope id (owned). */
static char *submit_with(struct et_ws *w, const char *vid, const char *rel, bool bare)
{
    char *b = xasprintf("{\"view_id\":\"%s\",\"values\":{\"ticket-due-date\":\"2020-01-01\","
                        "\"due\":\"2020-01-01\"},\"force\":true}",
                        vid);
    cJSON *r = et_ctl(&E, "submit", b);
    free(b);
    cJSON *env = next_env(w, T_LONG);
    char *id = env && js(env, "envelope_id") ? xstrdup(js(env, "envelope_id")) : NULL;
    if (id)
        ack_sample(w, rel, id, bare);
    cJSON_Delete(env);
    cJSON_Delete(r);
    if (id && !wait_acked(id)) {
        free(id);
        id = NULL;
    }
    return id;
}

/* Every ack sample under socket-mode/acks is accepted and has its documented effect. */
static void test_replay_ack_samples(void)
{
    reset();
    struct et_ws w;
    CHECK(sock(&w));
    cJSON *r = et_ctl(&E, "slash", "{\"user_id\":\"U0CAROL0003\",\"channel_id\":\"C0INCIDENTS\"}");
    cJSON *env = next_env(&w, T_LONG);
    CHECK(env);
    ack_sample(&w, "socket-mode/acks/ack_envelope_only.docs.json", js(env, "envelope_id"), false);
    CHECK(wait_acked(js(r, "envelope_id")));
    cJSON_Delete(env);
    cJSON_Delete(r);
    r = et_ctl(&E, "slash", "{\"user_id\":\"U0CAROL0003\",\"channel_id\":\"C0INCIDENTS\"}");
    env = next_env(&w, T_LONG);
    CHECK(env);
    ack_sample(&w, "socket-mode/acks/ack_slash_commands_with_blocks.docs.json",
               js(env, "envelope_id"), false);
    CHECK(wait_acked(js(r, "envelope_id")));
    cJSON_Delete(env);
    cJSON_Delete(r);
    cJSON *acks = et_ctl_get(&E, "acks");
    CHECK(cJSON_IsNull(jget(acks, "acks.0.payload")));
    CHECK_INT(cJSON_GetArraySize(jget(acks, "acks.1.payload.blocks")), 2);
    cJSON_Delete(acks);
    cJSON *st = et_ctl_get(&E, "state");
    CHECK_STR(js(st, "ephemeral.0.recipient"), "U0CAROL0003");
    CHECK_STR(js(st, "ephemeral.0.blocks.0.text.text"), "Book of Hours");
    cJSON_Delete(st);

    /* block_suggestion: the options ack is recorded as sent. */
    cJSON *bs = sample("socket-mode/block_suggestion.docs.json");
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "type", "interactive");
    cJSON_AddItemToObject(req, "payload", cJSON_Duplicate(jget(bs, "payload"), 1));
    char *body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    cJSON_Delete(bs);
    r = et_ctl(&E, "envelope", body);
    free(body);
    env = next_env(&w, T_LONG);
    CHECK(env);
    CHECK(cJSON_IsTrue(jget(env, "accepts_response_payload")));
    ack_sample(&w, "socket-mode/acks/ack_block_suggestion_options.docs.json",
               js(env, "envelope_id"), false);
    CHECK(wait_acked(js(r, "envelope_id")));
    char *q = xasprintf("acks?envelope_id=%s", js(r, "envelope_id"));
    acks = et_ctl_get(&E, q);
    free(q);
    CHECK_INT(cJSON_GetArraySize(jget(acks, "acks.0.payload.options")), 2);
    cJSON_Delete(acks);
    cJSON_Delete(env);
    cJSON_Delete(r);

    /* view_submission acks: update (full ack and bare body), errors, push, clear. */
    char *vid = open_simple_modal(&w, "ticket-due-date");
    CHECK(vid);
    char *id = submit_with(
        &w, vid, "socket-mode/acks/ack_view_submission_response_action_update.docs.json", false);
    CHECK(id);
    free(id);
    st = et_ctl_get(&E, "state");
    CHECK_STR(js(state_view(st, vid), "callback_id"), "updated-view-id");
    CHECK_STR(js(state_view(st, vid), "status"), "open");
    cJSON_Delete(st);
    free(vid);

    vid = open_simple_modal(&w, "ticket-due-date");
    CHECK(vid);
    id = submit_with(&w, vid, "socket-mode/acks/response_action_errors.docs-modals.json", true);
    CHECK(id);
    free(id);
    st = et_ctl_get(&E, "state");
    CHECK_STR(js(state_view(st, vid), "errors.ticket-due-date"),
              "You may not select a due date in the past");
    cJSON_Delete(st);
    id = submit_with(&w, vid, "socket-mode/acks/response_action_update.docs-modals.json", true);
    CHECK(id);
    free(id);
    st = et_ctl_get(&E, "state");
    CHECK_STR(js(state_view(st, vid), "title.text"), "Updated view");
    CHECK(!jget(state_view(st, vid), "errors"));
    cJSON_Delete(st);
    free(vid);

    vid = open_simple_modal(&w, "due");
    CHECK(vid);
    id = submit_with(&w, vid, "socket-mode/acks/response_action_push.docs-modals.json", true);
    CHECK(id);
    free(id);
    st = et_ctl_get(&E, "state");
    char top[32] = "";
    const cJSON *it;
    cJSON_ArrayForEach(it, jget(st, "views"))
    {
        if (js(it, "previous_view_id") && !strcmp(js(it, "previous_view_id"), vid))
            snprintf(top, sizeof top, "%s", js(it, "id"));
    }
    CHECK(top[0]);
    CHECK_STR(js(state_view(st, top), "blocks.0.type"), "image");
    cJSON_Delete(st);
    /* The pushed view has no inputs; submit it and clear the whole stack. */
    id = submit_with(&w, top, "socket-mode/acks/response_action_clear.docs-modals.json", true);
    CHECK(id);
    free(id);
    st = et_ctl_get(&E, "state");
    CHECK_STR(js(state_view(st, vid), "status"), "closed");
    CHECK_STR(js(state_view(st, top), "status"), "closed");
    cJSON_Delete(st);
    free(vid);
    et_ws_close(&w);
    CHECK(wait_conns(0));
}

static void test_acks(void)
{
    reset();
    struct et_ws w;
    CHECK(sock(&w));
    cJSON *r1 = et_ctl(&E, "slash", "{\"text\":\"one\"}");
    cJSON *e1 = next_env(&w, T_LONG);
    CHECK(e1);
    ack(&w, js(e1, "envelope_id"), NULL); /* no payload at all */
    cJSON *r2 = et_ctl(&E, "slash", "{\"text\":\"two\"}");
    cJSON *e2 = next_env(&w, T_LONG);
    CHECK(e2);
    ack(&w, js(e2, "envelope_id"), "{}"); /* what the node SDK sends */
    CHECK(wait_acked(js(r1, "envelope_id")));
    CHECK(wait_acked(js(r2, "envelope_id")));
    cJSON *acks = et_ctl_get(&E, "acks");
    CHECK(jok(acks));
    CHECK_INT(cJSON_GetArraySize(jget(acks, "acks")), 2);
    CHECK_STR(js(acks, "acks.0.envelope_id"), js(r1, "envelope_id"));
    CHECK_STR(js(acks, "acks.0.type"), "slash_commands");
    CHECK(cJSON_IsNull(jget(acks, "acks.0.payload")));
    CHECK(cJSON_IsObject(jget(acks, "acks.1.payload")));
    CHECK(jn(acks, "acks.0.latency_us") >= 0);
    CHECK(jn(acks, "acks.1.latency_us") >= 0);
    cJSON_Delete(acks);
    char *q = xasprintf("acks?envelope_id=%s", js(r2, "envelope_id"));
    acks = et_ctl_get(&E, q);
    free(q);
    CHECK_INT(cJSON_GetArraySize(jget(acks, "acks")), 1);
    cJSON_Delete(acks);
    acks = et_ctl_get(&E, "acks?since=1");
    CHECK_INT(cJSON_GetArraySize(jget(acks, "acks")), 1);
    cJSON_Delete(acks);

    /* A slash command ack with a message: in_channel shows in the channel... */
    cJSON *r3 = et_ctl(&E, "slash", "{\"channel_id\":\"C0INCIDENTS\",\"text\":\"three\"}");
    cJSON *e3 = next_env(&w, T_LONG);
    CHECK(e3);
    ack(&w, js(e3, "envelope_id"),
        "{\"response_type\":\"in_channel\",\"text\":\"Incident declared\"}");
    CHECK(wait_acked(js(r3, "envelope_id")));
    /* ...and the default (ephemeral) only to the user. */
    cJSON *r4 = et_ctl(&E, "slash",
                       "{\"user_id\":\"U0BOB000002\",\"channel_id\":\"C0INCIDENTS\","
                       "\"text\":\"help\"}");
    cJSON *e4 = next_env(&w, T_LONG);
    CHECK(e4);
    ack(&w, js(e4, "envelope_id"),
        "{\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"Usage\"}}]}");
    CHECK(wait_acked(js(r4, "envelope_id")));
    cJSON *st = et_ctl_get(&E, "state");
    CHECK(jok(st));
    const cJSON *c = state_chan(st, "C0INCIDENTS");
    CHECK(c);
    const cJSON *last =
        cJSON_GetArrayItem(jget(c, "messages"), cJSON_GetArraySize(jget(c, "messages")) - 1);
    CHECK_STR(js(last, "text"), "Incident declared");
    CHECK_STR(js(last, "bot_id"), "B0EMU1NCDNT");
    const cJSON *eph = cJSON_GetArrayItem(jget(st, "ephemeral"), 0);
    CHECK(eph);
    CHECK_STR(js(eph, "recipient"), "U0BOB000002");
    CHECK_STR(js(eph, "blocks.0.text.text"), "Usage");
    CHECK_INT(timeline_count(st, "slash_ack", NULL), 4);
    cJSON_Delete(st);
    /* Acks for unknown envelopes and repeated acks change nothing. */
    ack(&w, "00000000-0000-4000-8000-000000000000", NULL);
    ack(&w, js(e1, "envelope_id"), NULL);
    CHECK(et_ws_ping(&w, "sync", T_LONG));
    cJSON *stats = et_ctl_get(&E, "stats");
    CHECK_INT(jn(stats, "unknown_acks"), 1);
    CHECK_INT(jn(stats, "duplicate_acks"), 1);
    CHECK_INT(jn(stats, "acked"), 4);
    cJSON_Delete(stats);
    cJSON_Delete(r1);
    cJSON_Delete(r2);
    cJSON_Delete(r3);
    cJSON_Delete(r4);
    cJSON_Delete(e1);
    cJSON_Delete(e2);
    cJSON_Delete(e3);
    cJSON_Delete(e4);
    et_ws_close(&w);
    CHECK(wait_conns(0));
}

static void test_no_retry_of_slash_and_interactive(void)
{
    reset();
    struct et_ws w;
    CHECK(sock(&w));
    cJSON *r = et_ctl(&E, "slash", "{\"text\":\"ignored\"}");
    cJSON *env = next_env(&w, T_LONG);
    CHECK(env);
    cJSON_Delete(env);
    /* Never acked: it must not come again, and the user sees a timeout. */
    long long deadline = et_now_ms() + 1500 + T_QUIET; /* past the ack deadline */
    while (et_now_ms() < deadline) {
        env = next_env(&w, (int)(deadline - et_now_ms()));
        CHECK_MSG(!env, "a slash command was redelivered");
    }
    cJSON *st = et_ctl_get(&E, "state");
    CHECK_INT(timeline_count(st, "user_error", js(r, "envelope_id")), 1);
    cJSON_Delete(st);
    char *q = xasprintf("envelopes?id=%s", js(r, "envelope_id"));
    cJSON *e = et_ctl_get(&E, q);
    free(q);
    CHECK_STR(js(e, "envelope.status"), "timed_out");
    cJSON_Delete(e);
    /* A late ack is recorded as late and has no visible effect. */
    ack(&w, js(r, "envelope_id"), "{\"response_type\":\"in_channel\",\"text\":\"too late\"}");
    CHECK(wait_acked(js(r, "envelope_id")));
    cJSON *acks = et_ctl_get(&E, "acks");
    CHECK(cJSON_IsTrue(jget(acks, "acks.0.late")));
    cJSON_Delete(acks);
    st = et_ctl_get(&E, "state");
    CHECK_INT(timeline_count(st, "slash_ack", NULL), 0);
    cJSON_Delete(st);
    cJSON_Delete(r);
    et_ws_close(&w);
    CHECK(wait_conns(0));
}

static void test_event_retries(void)
{
    reset();
    struct et_ws w;
    CHECK(sock(&w));
    cJSON *r = et_ctl(&E, "event",
                      "{\"event\":{\"type\":\"app_mention\",\"user\":\"U0ALICE0001\","
                      "\"text\":\"<@U0EMUB0TUSR> hi\",\"ts\":\"1.000100\","
                      "\"channel\":\"C0INCIDENTS\",\"event_ts\":\"1.000100\"}}");
    CHECK(jok(r));
    char event_id[64];
    snprintf(event_id, sizeof event_id, "%s", js(r, "event_id"));
    cJSON_Delete(r);
    /* Attempts 0, 1, 2 are ignored; attempt 3 (the last retry) is acked. */
    char ids[4][40];
    for (int attempt = 0; attempt <= 3; attempt++) {
        cJSON *env = next_env(&w, T_LONG);
        CHECK_MSG(env, "attempt %d never came", attempt);
        CHECK_INT(jn(env, "retry_attempt"), attempt);
        CHECK_STR(js(env, "retry_reason"), attempt ? "timeout" : "");
        CHECK_STR(js(env, "payload.event_id"), event_id);
        CHECK_STR(js(env, "type"), "events_api");
        snprintf(ids[attempt], sizeof ids[attempt], "%s", js(env, "envelope_id"));
        if (attempt == 3)
            ack(&w, ids[attempt], NULL);
        cJSON_Delete(env);
    }
    CHECK(strcmp(ids[0], ids[1]) != 0);
    CHECK(wait_acked(ids[3]));
    cJSON *env = next_env(&w, T_QUIET);
    CHECK_MSG(!env, "delivered after being acked");
    /* An event acked on its second attempt stops there. */
    r = et_ctl(&E, "event", "{\"event\":{\"type\":\"app_mention\",\"text\":\"again\"}}");
    cJSON_Delete(r);
    env = next_env(&w, T_LONG);
    CHECK(env);
    CHECK_INT(jn(env, "retry_attempt"), 0);
    cJSON_Delete(env);
    env = next_env(&w, T_LONG);
    CHECK(env);
    CHECK_INT(jn(env, "retry_attempt"), 1);
    ack(&w, js(env, "envelope_id"), NULL);
    char *q = xasprintf("envelopes?id=%s", js(env, "envelope_id"));
    CHECK(wait_acked(js(env, "envelope_id")));
    cJSON_Delete(env);
    cJSON *attempts = et_ctl_get(&E, q);
    /* Acked in time, nothing more comes; acked late (a very slow box), Slack had already
     * scheduled the next attempt, so only the count is bounded. */
    const char *status = js(attempts, "envelope.status");
    bool in_time = status && !strcmp(status, "acked");
    cJSON_Delete(attempts);
    if (in_time)
        CHECK(!next_env(&w, T_QUIET));
    attempts = et_ctl_get(&E, q);
    free(q);
    int n_attempts = cJSON_GetArraySize(jget(attempts, "attempts"));
    cJSON_Delete(attempts);
    if (in_time)
        CHECK_INT(n_attempts, 2);
    else
        CHECK(n_attempts <= 4);
    et_ws_close(&w);
    CHECK(wait_conns(0));
}

static void test_trigger_expiry(void)
{
    reset();
    const char *view = "\"view\":{\"type\":\"modal\",\"title\":{\"type\":\"plain_text\","
                       "\"text\":\"Declare\"},\"blocks\":[{\"type\":\"section\",\"text\":"
                       "{\"type\":\"mrkdwn\",\"text\":\"hi\"}}]}";
    char *t = trigger();
    CHECK(t);
    sleep_ms(2600); /* --trigger-ttl-ms 2000 in this group */
    char *body = xasprintf("{\"trigger_id\":\"%s\",%s}", t, view);
    cJSON *r = api("views.open", body);
    free(body);
    free(t);
    CHECK(jerr(r, "expired_trigger_id"));
    cJSON_Delete(r);
    t = trigger();
    body = xasprintf("{\"trigger_id\":\"%s\",%s}", t, view);
    r = api("views.open", body);
    CHECK(jok(r));
    char vid[32];
    snprintf(vid, sizeof vid, "%s", js(r, "view.id"));
    cJSON_Delete(r);
    r = api("views.open", body);
    CHECK(jerr(r, "exchanged_trigger_id"));
    cJSON_Delete(r);
    free(body);
    free(t);
    /* views.push with a trigger from inside the modal; three views at most. */
    for (int i = 0; i < 3; i++) {
        cJSON *c;
        t = trigger();
        char *b = xasprintf("{\"trigger_id\":\"%s\",%s}", t, view);
        c = api("views.push", b);
        free(b);
        free(t);
        if (i < 2)
            CHECK_MSG(jok(c), "push %d", i);
        else
            CHECK(jerr(c, "push_limit_reached"));
        cJSON_Delete(c);
    }
}

static void test_connection_limit(void)
{
    reset();
    struct et_ws w[11];
    for (int i = 0; i < 10; i++) {
        cJSON *hello = et_socket_open(&E, &w[i], APP);
        CHECK_MSG(hello, "connection %d", i + 1);
        CHECK_INT(jn(hello, "num_connections"), i + 1);
        cJSON_Delete(hello);
    }
    cJSON *r = et_api(&E, "apps.connections.open", APP, NULL);
    int status;
    CHECK(et_ws_connect(&w[10], js(r, "url"), &status));
    cJSON_Delete(r);
    cJSON *d = et_ws_recv_json(&w[10], T_LONG);
    CHECK(d);
    CHECK_STR(js(d, "type"), "disconnect");
    CHECK_STR(js(d, "reason"), "too_many_websockets");
    CHECK(shape("socket-mode/disconnect_too_many_websockets.captured-bolt-js-issue-2238.json", d));
    cJSON_Delete(d);
    CHECK(et_ws_wait_closed(&w[10], T_LONG));
    et_ws_close(&w[10]);
    CHECK(wait_conns(10));
    /* Envelopes are spread over the connections. */
    for (int i = 0; i < 20; i++)
        cJSON_Delete(et_ctl(&E, "event", "{\"event\":{\"type\":\"app_mention\",\"text\":\"x\"}}"));
    /* Envelopes not acked in time come again, so count distinct events. */
    int receivers = 0;
    char seen[20][64];
    int nseen = 0;
    for (int i = 0; i < 10; i++) {
        int got = 0;
        cJSON *env;
        while ((env = next_env(&w[i], got ? 300 : 3000))) {
            ack(&w[i], js(env, "envelope_id"), NULL);
            const char *eid = js(env, "payload.event_id");
            bool dup = false;
            for (int k = 0; k < nseen; k++)
                dup = dup || !strcmp(seen[k], eid);
            if (!dup && nseen < 20)
                snprintf(seen[nseen++], sizeof seen[0], "%s", eid);
            cJSON_Delete(env);
            got++;
        }
        receivers += got > 0;
    }
    int total = nseen;
    CHECK_INT(total, 20);
    CHECK(receivers >= 2);
    for (int i = 0; i < 10; i++)
        et_ws_close(&w[i]);
    CHECK(wait_conns(0));
}

static void test_drop_and_refuse(void)
{
    reset();
    struct et_ws w;
    CHECK(sock(&w));
    cJSON *r = et_ctl(&E, "drop_websockets", NULL);
    CHECK_INT(jn(r, "dropped"), 1);
    cJSON_Delete(r);
    CHECK(et_ws_wait_closed(&w, T_LONG));
    CHECK_INT(w.close_code, 0); /* dropped, not closed politely */
    et_ws_close(&w);
    CHECK(wait_conns(0));
    r = et_ctl(&E, "refuse_connections", "{\"refuse\":true}");
    CHECK(jok(r));
    cJSON_Delete(r);
    r = et_api(&E, "apps.connections.open", APP, NULL);
    int status;
    CHECK(!et_ws_connect(&w, js(r, "url"), &status));
    cJSON_Delete(r);
    cJSON_Delete(et_ctl(&E, "refuse_connections", "{\"refuse\":false}"));
    CHECK(sock(&w));
    /* With no connection, a slash command cannot be dispatched. */
    et_ws_close(&w);
    CHECK(wait_conns(0));
    r = et_ctl(&E, "slash", "{}");
    CHECK(jerr(r, "dispatch_failed"));
    cJSON_Delete(r);
}

static void test_lifecycle(void)
{
    struct et_ws w;
    cJSON *r = et_api(&E, "apps.connections.open", APP, NULL);
    int status;
    CHECK(et_ws_connect(&w, js(r, "url"), &status));
    cJSON_Delete(r);
    cJSON *hello = et_ws_recv_json(&w, T_LONG);
    CHECK_INT(jn(hello, "debug_info.approximate_connection_time"), 4);
    cJSON_Delete(hello);
    cJSON *d = et_ws_recv_json(&w, T_LONG);
    CHECK(d);
    CHECK_STR(js(d, "reason"), "warning");
    CHECK(shape("socket-mode/disconnect_warning.docs.json", d));
    cJSON_Delete(d);
    /* Still usable between the warning and the refresh. */
    r = et_ctl(&E, "event", "{\"event\":{\"type\":\"app_mention\",\"text\":\"x\"}}");
    cJSON *env = next_env(&w, T_LONG);
    CHECK(env);
    ack(&w, js(env, "envelope_id"), NULL);
    cJSON_Delete(env);
    cJSON_Delete(r);
    d = et_ws_recv_json(&w, T_LONG);
    CHECK(d);
    CHECK_STR(js(d, "reason"), "refresh_requested");
    CHECK(shape("socket-mode/disconnect_refresh_requested.docs.json", d));
    cJSON_Delete(d);
    CHECK(et_ws_wait_closed(&w, T_LONG));
    CHECK_INT(w.close_code, 1000);
    et_ws_close(&w);
    CHECK(wait_conns(0));
}

/* ---------- control API ---------- */

static void test_click_and_response_url(void)
{
    reset();
    struct et_ws w;
    CHECK(sock(&w));
    const char *blocks =
        "[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"*Sev1*\"},\"accessory\":"
        "{\"type\":\"static_select\",\"action_id\":\"sev\",\"options\":[{\"text\":{\"type\":"
        "\"plain_text\",\"text\":\"Sev1\"},\"value\":\"1\"},{\"text\":{\"type\":\"plain_text\","
        "\"text\":\"Sev2\"},\"value\":\"2\"}]}},{\"type\":\"actions\",\"block_id\":\"acts\","
        "\"elements\":[{\"type\":\"button\",\"action_id\":\"ack\",\"text\":{\"type\":"
        "\"plain_text\",\"text\":\"Acknowledge\"},\"value\":\"inc-1\",\"style\":\"primary\"},"
        "{\"type\":\"button\",\"action_id\":\"resolve\",\"text\":{\"type\":\"plain_text\","
        "\"text\":\"Resolve\"},\"value\":\"inc-1\",\"style\":\"danger\"}]}]";
    cJSON *bl = cJSON_Parse(blocks);
    char *ts = post_blocks("C0INCIDENTS", bl);
    cJSON_Delete(bl);
    CHECK(ts);
    char *b = xasprintf("{\"user_id\":\"U0ALICE0001\",\"message_ts\":\"%s\",\"action_id\":"
                        "\"resolve\"}",
                        ts);
    cJSON *r = et_ctl(&E, "click", b);
    free(b);
    CHECK(jok(r));
    cJSON *env = next_env(&w, T_LONG);
    CHECK(env);
    CHECK_STR(js(env, "payload.type"), "block_actions");
    CHECK_STR(js(env, "payload.actions.0.action_id"), "resolve");
    CHECK_STR(js(env, "payload.actions.0.block_id"), "acts");
    CHECK_STR(js(env, "payload.actions.0.style"), "danger");
    CHECK_STR(js(env, "payload.channel.id"), "C0INCIDENTS");
    CHECK_STR(js(env, "payload.message.ts"), ts);
    CHECK_INT(cJSON_GetArraySize(jget(env, "payload.message.blocks")), 2);
    ack(&w, js(env, "envelope_id"), NULL);
    /* The app answers through response_url: replace the original message. */
    char url[300];
    snprintf(url, sizeof url, "%s", js(env, "payload.response_url"));
    cJSON_Delete(env);
    CHECK(strncmp(url, E.base, strlen(E.base)) == 0);
    const char *path = url + strlen(E.base);
    struct et_resp hr;
    const char *rb = "{\"replace_original\":true,\"text\":\"Resolved by alice\"}";
    CHECK(et_http(&E, "POST", path, "application/json", rb, strlen(rb), NULL, &hr));
    CHECK_INT(hr.status, 200);
    CHECK(jok(hr.json));
    et_resp_free(&hr);
    rb = "{\"response_type\":\"in_channel\",\"text\":\"Follow-up\",\"thread_ts\":\"\"}";
    CHECK(et_http(&E, "POST", path, "application/json", rb, strlen(rb), NULL, &hr));
    CHECK(jok(hr.json));
    et_resp_free(&hr);
    cJSON *st = et_ctl_get(&E, "state");
    const cJSON *c = state_chan(st, "C0INCIDENTS");
    const cJSON *m, *orig = NULL, *follow = NULL;
    cJSON_ArrayForEach(m, jget(c, "messages"))
    {
        if (js(m, "ts") && !strcmp(js(m, "ts"), ts))
            orig = m;
        if (js(m, "text") && !strcmp(js(m, "text"), "Follow-up"))
            follow = m;
    }
    CHECK(orig);
    CHECK_STR(js(orig, "text"), "Resolved by alice");
    CHECK(jget(orig, "edited"));
    CHECK_INT(cJSON_GetArraySize(jget(orig, "history")), 1);
    CHECK(follow);
    cJSON_Delete(st);
    /* A response_url works five times. */
    for (int i = 0; i < 3; i++) {
        CHECK(et_http(&E, "POST", path, "application/json", "{\"text\":\"x\"}", 12, NULL, &hr));
        CHECK(jok(hr.json));
        et_resp_free(&hr);
    }
    CHECK(et_http(&E, "POST", path, "application/json", "{\"text\":\"x\"}", 12, NULL, &hr));
    CHECK(jerr(hr.json, "used_url"));
    et_resp_free(&hr);
    cJSON_Delete(r);
    /* A select is clicked with a value; an unknown action is refused. */
    b = xasprintf("{\"message_ts\":\"%s\",\"action_id\":\"sev\",\"value\":\"2\"}", ts);
    r = et_ctl(&E, "click", b);
    free(b);
    CHECK(jok(r));
    cJSON_Delete(r);
    env = next_env(&w, T_LONG);
    CHECK_STR(js(env, "payload.actions.0.selected_option.value"), "2");
    CHECK_STR(js(env, "payload.actions.0.type"), "static_select");
    ack(&w, js(env, "envelope_id"), NULL);
    cJSON_Delete(env);
    b = xasprintf("{\"message_ts\":\"%s\",\"action_id\":\"nope\"}", ts);
    r = et_ctl(&E, "click", b);
    free(b);
    CHECK(jerr(r, "action_not_found"));
    cJSON_Delete(r);
    r = et_ctl(&E, "click", "{\"message_ts\":\"1.000000\",\"action_id\":\"ack\"}");
    CHECK(jerr(r, "message_not_found"));
    cJSON_Delete(r);
    free(ts);
    et_ws_close(&w);
    CHECK(wait_conns(0));
}

/* Opens a modal with two inputs through a real trigger; returns the view id (owned). */
static char *open_modal(struct et_ws *w)
{
    cJSON *r = et_ctl(&E, "slash", "{\"text\":\"declare\"}");
    cJSON *env = next_env(w, T_LONG);
    char *trig = js(r, "trigger_id") ? xstrdup(js(r, "trigger_id")) : NULL;
    if (env)
        ack(w, js(env, "envelope_id"), NULL);
    cJSON_Delete(env);
    cJSON_Delete(r);
    if (!trig)
        return NULL;
    char *body = xasprintf(
        "{\"trigger_id\":\"%s\",\"view\":{\"type\":\"modal\",\"callback_id\":\"declare\","
        "\"title\":{\"type\":\"plain_text\",\"text\":\"Declare incident\"},\"submit\":{\"type\":"
        "\"plain_text\",\"text\":\"Declare\"},\"blocks\":[{\"type\":\"input\",\"block_id\":"
        "\"title\",\"label\":{\"type\":\"plain_text\",\"text\":\"Title\"},\"element\":{\"type\":"
        "\"plain_text_input\",\"action_id\":\"v\"}},{\"type\":\"input\",\"block_id\":\"sev\","
        "\"label\":{\"type\":\"plain_text\",\"text\":\"Severity\"},\"element\":{\"type\":"
        "\"static_select\",\"action_id\":\"v\",\"options\":[{\"text\":{\"type\":\"plain_text\","
        "\"text\":\"Sev1\"},\"value\":\"sev1\"}]}},{\"type\":\"input\",\"block_id\":\"lead\","
        "\"optional\":true,\"label\":{\"type\":\"plain_text\",\"text\":\"Lead\"},\"element\":"
        "{\"type\":\"users_select\",\"action_id\":\"v\"}}]}}",
        trig);
    free(trig);
    r = api("views.open", body);
    free(body);
    char *vid = js(r, "view.id") ? xstrdup(js(r, "view.id")) : NULL;
    cJSON_Delete(r);
    return vid;
}

static char *submit(struct et_ws *w, const char *vid, const char *values, cJSON **env_out)
{
    char *b =
        xasprintf("{\"view_id\":\"%s\",\"user_id\":\"U0ALICE0001\",\"values\":%s}", vid, values);
    cJSON *r = et_ctl(&E, "submit", b);
    free(b);
    char *id = jok(r) ? xstrdup(js(r, "envelope_id")) : NULL;
    cJSON_Delete(r);
    *env_out = id ? next_env(w, T_LONG) : NULL;
    return id;
}

static void test_submit_and_response_actions(void)
{
    reset();
    struct et_ws w;
    CHECK(sock(&w));
    char *vid = open_modal(&w);
    CHECK(vid);
    /* A required input left empty cannot be submitted. */
    char *b = xasprintf("{\"view_id\":\"%s\",\"values\":{\"title\":{\"v\":\"DB down\"}}}", vid);
    cJSON *r = et_ctl(&E, "submit", b);
    free(b);
    CHECK(jerr(r, "missing_required_value"));
    CHECK_STR(js(r, "block_id"), "sev");
    cJSON_Delete(r);

    cJSON *env;
    char *id = submit(&w, vid, "{\"title\":{\"v\":\"DB down\"},\"sev\":\"sev1\"}", &env);
    CHECK(id && env);
    CHECK_STR(js(env, "payload.type"), "view_submission");
    CHECK_STR(js(env, "payload.view.state.values.title.v.value"), "DB down");
    CHECK_STR(js(env, "payload.view.state.values.sev.v.selected_option.value"), "sev1");
    CHECK(cJSON_IsNull(jget(env, "payload.view.state.values.lead.v.selected_user")));
    ack(&w, id, "{\"response_action\":\"errors\",\"errors\":{\"title\":\"Too vague\"}}");
    CHECK(wait_acked(id));
    cJSON *st = et_ctl_get(&E, "state");
    const cJSON *v = state_view(st, vid);
    CHECK_STR(js(v, "status"), "open");
    CHECK_STR(js(v, "errors.title"), "Too vague");
    cJSON_Delete(st);
    cJSON_Delete(env);
    free(id);

    id = submit(&w, vid, "{\"title\":{\"v\":\"Primary DB down\"},\"sev\":\"sev1\"}", &env);
    CHECK(id && env);
    ack(&w, id,
        "{\"response_action\":\"update\",\"view\":{\"type\":\"modal\",\"title\":{\"type\":"
        "\"plain_text\",\"text\":\"Updated view\"},\"blocks\":[{\"type\":\"section\",\"text\":{"
        "\"type\":\"plain_text\",\"text\":\"Declared\"}}]}}");
    CHECK(wait_acked(id));
    st = et_ctl_get(&E, "state");
    v = state_view(st, vid);
    CHECK_STR(js(v, "title.text"), "Updated view");
    CHECK_STR(js(v, "status"), "open");
    cJSON_Delete(st);
    cJSON_Delete(env);
    free(id);

    id = submit(&w, vid, "{}", &env);
    CHECK(id && env);
    ack(&w, id,
        "{\"response_action\":\"push\",\"view\":{\"type\":\"modal\",\"title\":{\"type\":"
        "\"plain_text\",\"text\":\"Pushed\"},\"blocks\":[{\"type\":\"divider\"}]}}");
    CHECK(wait_acked(id));
    st = et_ctl_get(&E, "state");
    int open = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, jget(st, "views"))
    {
        if (js(it, "root_view_id") && !strcmp(js(it, "root_view_id"), vid) &&
            !strcmp(js(it, "status"), "open"))
            open++;
    }
    CHECK_INT(open, 2);
    cJSON_Delete(st);
    cJSON_Delete(env);
    free(id);
    /* Only the top view can be submitted; clearing closes the whole stack. */
    b = xasprintf("{\"view_id\":\"%s\",\"values\":{}}", vid);
    r = et_ctl(&E, "submit", b);
    free(b);
    CHECK(jerr(r, "not_top_view"));
    cJSON_Delete(r);
    st = et_ctl_get(&E, "state");
    char top[32] = "";
    cJSON_ArrayForEach(it, jget(st, "views"))
    {
        if (js(it, "previous_view_id") && !strcmp(js(it, "previous_view_id"), vid))
            snprintf(top, sizeof top, "%s", js(it, "id"));
    }
    cJSON_Delete(st);
    CHECK(top[0]);
    id = submit(&w, top, "{}", &env);
    CHECK(id && env);
    ack(&w, id, "{\"response_action\":\"clear\"}");
    CHECK(wait_acked(id));
    st = et_ctl_get(&E, "state");
    CHECK_STR(js(state_view(st, vid), "status"), "closed");
    CHECK_STR(js(state_view(st, top), "status"), "closed");
    CHECK_INT(timeline_count(st, "view_submission_ack", NULL), 4);
    cJSON_Delete(st);
    cJSON_Delete(env);
    free(id);
    free(vid);

    /* An empty ack closes just the submitted view. */
    vid = open_modal(&w);
    CHECK(vid);
    id = submit(&w, vid, "{\"title\":\"x\",\"sev\":\"sev1\",\"lead\":\"U0BOB000002\"}", &env);
    CHECK(id && env);
    CHECK_STR(js(env, "payload.view.state.values.lead.v.selected_user"), "U0BOB000002");
    ack(&w, id, "{}");
    CHECK(wait_acked(id));
    st = et_ctl_get(&E, "state");
    CHECK_STR(js(state_view(st, vid), "status"), "closed");
    cJSON_Delete(st);
    cJSON_Delete(env);
    free(id);
    free(vid);
    et_ws_close(&w);
    CHECK(wait_conns(0));
}

static void test_state_and_reset(void)
{
    reset();
    cJSON *r = api("chat.postMessage", "{\"channel\":\"C0INCIDENTS\",\"text\":\"parent\"}");
    CHECK(jok(r));
    char *body = xasprintf("{\"channel\":\"C0INCIDENTS\",\"text\":\"reply\",\"thread_ts\":\"%s\"}",
                           js(r, "ts"));
    char parent[32];
    snprintf(parent, sizeof parent, "%s", js(r, "ts"));
    cJSON_Delete(r);
    r = api("chat.postMessage", body);
    free(body);
    CHECK(jok(r));
    CHECK_STR(js(r, "message.thread_ts"), parent);
    cJSON_Delete(r);
    r = api("bookmarks.add", "{\"channel_id\":\"C0INCIDENTS\",\"title\":\"Runbook\","
                             "\"type\":\"link\",\"link\":\"https://runbooks.example/db\"}");
    CHECK(jok(r));
    cJSON_Delete(r);
    body = xasprintf("{\"channel\":\"C0INCIDENTS\",\"timestamp\":\"%s\"}", parent);
    cJSON_Delete(api("pins.add", body));
    free(body);
    cJSON *st = et_ctl_get(&E, "state");
    CHECK(jok(st));
    const cJSON *c = state_chan(st, "C0INCIDENTS");
    CHECK(c);
    CHECK_INT(cJSON_GetArraySize(jget(c, "messages")), 2);
    CHECK_INT(jn(c, "messages.0.reply_count"), 1);
    CHECK_STR(js(c, "pins.0"), parent);
    CHECK_STR(js(c, "bookmarks.0.title"), "Runbook");
    CHECK(cJSON_GetObjectItemCaseSensitive(jget(st, "calls"), "chat.postMessage"));
    CHECK_INT(cJSON_GetObjectItemCaseSensitive(jget(st, "calls"), "chat.postMessage")->valuedouble,
              2);
    CHECK(cJSON_IsArray(jget(st, "users")));
    CHECK(cJSON_IsArray(jget(st, "usergroups")));
    CHECK(cJSON_IsArray(jget(st, "ephemeral")));
    CHECK(cJSON_IsArray(jget(st, "views")));
    CHECK(cJSON_IsArray(jget(st, "connections")));
    cJSON_Delete(st);
    reset();
    st = et_ctl_get(&E, "state");
    c = state_chan(st, "C0INCIDENTS");
    CHECK_INT(cJSON_GetArraySize(jget(c, "messages")), 0);
    CHECK_INT(cJSON_GetArraySize(jget(c, "bookmarks")), 0);
    CHECK(!cJSON_GetObjectItemCaseSensitive(jget(st, "calls"), "chat.postMessage"));
    cJSON_Delete(st);
    cJSON *h = et_ctl_get(&E, "");
    CHECK(jok(h));
    CHECK(cJSON_GetArraySize(jget(h, "endpoints")) > 10);
    cJSON_Delete(h);
}

/* Sends raw bytes to the HTTP port and returns whatever comes back (owned, may be ""). */
static char *raw_http(const char *data, size_t len, int wait_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)E.port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    struct et_ws w = {.fd = fd};
    et_ws_send_raw(&w, data, len);
    shutdown(fd, SHUT_WR);
    char *out = xmalloc(65536);
    size_t n = 0;
    long long deadline = et_now_ms() + wait_ms;
    while (n < 65535 && et_now_ms() < deadline) {
        struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ssize_t r = read(fd, out + n, 65535 - n);
        if (r == 0)
            break;
        if (r > 0)
            n += (size_t)r;
    }
    out[n] = '\0';
    close(fd);
    return out;
}

static void test_faults(void)
{
    reset();
    struct et_resp hr;
    cJSON *r = et_ctl(&E, "fault",
                      "{\"method\":\"chat.postMessage\",\"mode\":\"error\","
                      "\"error\":\"internal_error\",\"next\":2}");
    CHECK(jok(r));
    cJSON_Delete(r);
    const char *post = "{\"channel\":\"C0INCIDENTS\",\"text\":\"x\"}";
    for (int i = 0; i < 2; i++) {
        r = api("chat.postMessage", post);
        CHECK(jerr(r, "internal_error"));
        cJSON_Delete(r);
    }
    r = api("chat.postMessage", post);
    CHECK(jok(r));
    cJSON_Delete(r);
    cJSON_Delete(et_ctl(&E, "fault",
                        "{\"method\":\"auth.test\",\"mode\":\"429\","
                        "\"retry_after\":7}"));
    CHECK(et_http(&E, "POST", "/api/auth.test", NULL, NULL, 0, "Bearer " BOT, &hr));
    CHECK_INT(hr.status, 429);
    CHECK_STR(hr.retry_after, "7");
    CHECK(jerr(hr.json, "ratelimited"));
    et_resp_free(&hr);
    cJSON_Delete(et_ctl(&E, "fault", "{\"method\":\"*\",\"mode\":\"500\"}"));
    CHECK(et_http(&E, "POST", "/api/users.list", NULL, NULL, 0, "Bearer " BOT, &hr));
    CHECK_INT(hr.status, 500);
    et_resp_free(&hr);
    cJSON_Delete(et_ctl(&E, "fault", "{\"method\":\"team.info\",\"latency_ms\":300}"));
    long long t0 = et_now_ms();
    r = api("team.info", NULL);
    CHECK(jok(r));
    CHECK(et_now_ms() - t0 >= 290);
    cJSON_Delete(r);
    /* curl retries once on a reused connection that dies, so fail a few calls */
    cJSON_Delete(et_ctl(&E, "fault",
                        "{\"method\":\"users.info\",\"mode\":\"close\","
                        "\"next\":3}"));
    CHECK(!et_http(&E, "POST", "/api/users.info", NULL, NULL, 0, "Bearer " BOT, &hr));
    /* hang: no answer at all (checked with a short client timeout via a raw socket) */
    cJSON_Delete(et_ctl(&E, "fault", "{\"method\":\"users.list\",\"mode\":\"hang\"}"));
    const char *req =
        "GET /api/users.list HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " BOT "\r\n\r\n";
    char *out = raw_http(req, strlen(req), 1500);
    CHECK(out);
    CHECK_MSG(out[0] == '\0', "a hung method answered: %.80s", out);
    free(out);
    cJSON *faults = et_ctl_get(&E, "state");
    CHECK(cJSON_GetArraySize(jget(faults, "faults")) >= 4);
    cJSON_Delete(faults);
    r = et_ctl(&E, "fault", "{\"method\":\"x\",\"mode\":\"explode\"}");
    CHECK(jerr(r, "invalid_mode"));
    cJSON_Delete(r);
    r = et_ctl(&E, "fault", "{\"clear\":true}");
    CHECK(jok(r));
    cJSON_Delete(r);
    r = api("users.info", "{\"user\":\"U0ALICE0001\"}");
    CHECK(jok(r));
    cJSON_Delete(r);
}

/* ---------- garbage ---------- */

static void test_http_garbage(void)
{
    reset();
    struct et_resp hr;
    struct {
        const char *ctype, *body, *err;
    } cases[] = {
        {"application/json", "{\"channel\":", "invalid_json"},
        {"application/json", "[1,2,3]", "json_not_object"},
        {"application/json", "\"just a string\"", "json_not_object"},
        {"application/json; charset=utf-16", "{}", "invalid_charset"},
        {"text/plain", "channel=C1", "invalid_post_type"},
        {NULL, "channel=C1", "missing_post_type"},
        {"multipart/form-data", "garbage", "invalid_form_data"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(et_http(&E, "POST", "/api/chat.postMessage", cases[i].ctype, cases[i].body,
                      strlen(cases[i].body), "Bearer " BOT, &hr));
        CHECK_MSG(jerr(hr.json, cases[i].err), "case %zu", i);
        et_resp_free(&hr);
    }
    /* Broken forms are read as well as they can be. */
    const char *forms[] = {"%zz=%%&&&=&channel", "channel=%E2%82&text=%", "=&=&=",
                           "a=1&a=2&a=3",        "blocks=%5B%7B%22type",  "&&&&"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        CHECK(et_http(&E, "POST", "/api/chat.postMessage", "application/x-www-form-urlencoded",
                      forms[i], strlen(forms[i]), "Bearer " BOT, &hr));
        CHECK_MSG(hr.json && cJSON_IsFalse(jget(hr.json, "ok")), "form %zu", i);
        et_resp_free(&hr);
    }
    /* A multipart body (the SDKs use it for uploads) is understood. */
    const char *mp = "--XyZ\r\nContent-Disposition: form-data; name=\"channel\"\r\n\r\nC0INCIDENTS"
                     "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nfrom "
                     "multipart\r\n--XyZ--\r\n";
    CHECK(et_http(&E, "POST", "/api/chat.postMessage", "multipart/form-data; boundary=XyZ", mp,
                  strlen(mp), "Bearer " BOT, &hr));
    CHECK(jok(hr.json));
    CHECK_STR(js(hr.json, "message.text"), "from multipart");
    et_resp_free(&hr);
    /* Unknown methods, empty method, oversize bodies. */
    CHECK(
        et_http(&E, "POST", "/api/chat.explode", "application/json", "{}", 2, "Bearer " BOT, &hr));
    CHECK(jerr(hr.json, "unknown_method"));
    et_resp_free(&hr);
    CHECK(et_http(&E, "GET", "/api/", NULL, NULL, 0, NULL, &hr));
    CHECK(jerr(hr.json, "unknown_method"));
    et_resp_free(&hr);
    size_t big = 5u << 20;
    char *huge = xmalloc(big);
    memset(huge, 'a', big);
    CHECK(et_http(&E, "POST", "/api/chat.postMessage", "application/x-www-form-urlencoded", huge,
                  big, "Bearer " BOT, &hr));
    free(huge);
    CHECK_INT(hr.status, 413);
    CHECK(jerr(hr.json, "request_too_large"));
    et_resp_free(&hr);
    /* The control API refuses bad JSON and unknown endpoints. */
    CHECK(et_http(&E, "POST", "/_emu/slash", "application/json", "{nope", 5, NULL, &hr));
    CHECK_INT(hr.status, 400);
    et_resp_free(&hr);
    CHECK(et_http(&E, "POST", "/_emu/nothing", "application/json", "{}", 2, NULL, &hr));
    CHECK_INT(hr.status, 404);
    et_resp_free(&hr);
    CHECK(et_http(&E, "GET", "/_emu/slash", NULL, NULL, 0, NULL, &hr));
    CHECK_INT(hr.status, 405);
    et_resp_free(&hr);
    CHECK(et_http(&E, "DELETE", "/nowhere", NULL, NULL, 0, NULL, &hr));
    CHECK_INT(hr.status, 404);
    et_resp_free(&hr);
    /* Views with bad shapes. */
    cJSON *r = api("views.open", "{\"trigger_id\":\"1.2.abc\",\"view\":\"{not json\"}");
    CHECK(jerr(r, "invalid_arguments"));
    cJSON_Delete(r);
    r = api("views.open", "{\"trigger_id\":\"1.2.abc\",\"view\":{\"type\":\"modal\","
                          "\"blocks\":[]}}");
    CHECK(jerr(r, "invalid_arguments"));
    CHECK_CONTAINS(js(r, "response_metadata.messages.0"), "title");
    cJSON_Delete(r);
    /* Raw bytes that are not HTTP at all. */
    const char *junk[] = {
        "\x00\x01\x02\x03garbage\r\n\r\n",
        "GET\r\n\r\n",
        "POST /api/auth.test HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        "POST /api/auth.test HTTP/1.1\r\nContent-Length: 99999999999999999\r\n\r\nx",
        "GET /api/auth.test HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        "xoxb-\xff\xfe\r\n\r\n",
        "GET /"
        "%%%%%%%%%%%% HTTP/1.1\r\n\r\n"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        char *out = raw_http(junk[i], i == 0 ? 15 : strlen(junk[i]), 1000);
        free(out);
    }
    r = api("auth.test", NULL);
    CHECK(jok(r));
    cJSON_Delete(r);
}

/* Every method and every control endpoint, every argument set to odd JSON values: each call
 * must get a JSON answer and the emulator must stay up (ASan/valgrind catch the rest). */
static void test_odd_arguments(void)
{
    reset();
    cJSON_Delete(et_ctl(&E, "ratelimits", "{\"enabled\":false}"));
    static const char *const methods[] = {"api.test",
                                          "auth.test",
                                          "team.info",
                                          "conversations.create",
                                          "conversations.invite",
                                          "conversations.join",
                                          "conversations.info",
                                          "conversations.members",
                                          "conversations.setTopic",
                                          "conversations.setPurpose",
                                          "conversations.rename",
                                          "conversations.archive",
                                          "conversations.list",
                                          "conversations.history",
                                          "users.conversations",
                                          "chat.postMessage",
                                          "chat.update",
                                          "chat.delete",
                                          "chat.postEphemeral",
                                          "chat.getPermalink",
                                          "views.open",
                                          "views.update",
                                          "views.push",
                                          "views.publish",
                                          "users.info",
                                          "users.list",
                                          "users.lookupByEmail",
                                          "usergroups.list",
                                          "usergroups.users.list",
                                          "bookmarks.add",
                                          "pins.add",
                                          "reactions.add"};
    static const char *const ctl[] = {"slash",    "click",   "submit", "close_view", "event",
                                      "envelope", "message", "fault",  "disconnect", "flood",
                                      "wait",     "config",  "acks",   "envelopes"};
    static const char *const keys[] = {
        "channel",       "users",         "name",       "text",
        "blocks",        "attachments",   "ts",         "timestamp",
        "user",          "email",         "usergroup",  "view",
        "view_id",       "trigger_id",    "topic",      "purpose",
        "title",         "type",          "link",       "cursor",
        "limit",         "types",         "hash",       "external_id",
        "user_id",       "channel_id",    "message_ts", "thread_ts",
        "emoji",         "entity_id",     "force",      "is_private",
        "include_users", "markdown_text", "action_id",  "block_id",
        "values",        "value",         "command",    "event",
        "payload",       "method",        "mode",       "next",
        "latency_ms",    "reason",        "count",      "rate",
        "timeout_ms",    "since",         "id",         "response_type",
        "connection_id", "error",         "retry_after"};
    char *longstr = xmalloc(100001);
    memset(longstr, 'z', 100000);
    longstr[100000] = '\0';
    char *longjson = xasprintf("\"%s\"", longstr);
    free(longstr);
    const char *values[] = {"null",
                            "0",
                            "-1",
                            "1e308",
                            "true",
                            "[]",
                            "{}",
                            "[1,\"a\",{}]",
                            "\"\"",
                            "\"\\u0000x\"",
                            "\"<@U0ALICE0001>\"",
                            "\"C0INCIDENTS\"",
                            "\"#general\"",
                            "\"U0ALICE0001\"",
                            "\"1.2.abc\"",
                            "\"[{\\\"type\\\":\\\"section\\\"}]\"",
                            longjson};
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
        struct buf_s {
            char *d;
        } b = {xstrdup("{")};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            /* a short value for the timeout, so waits end quickly */
            const char *val = !strcmp(keys[k], "timeout_ms") ? "1" : values[v];
            char *n = xasprintf("%s%s\"%s\":%s", b.d, k ? "," : "", keys[k], val);
            free(b.d);
            b.d = n;
        }
        char *body = xasprintf("%s}", b.d);
        free(b.d);
        for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
            cJSON *r = api(methods[m], body);
            CHECK_MSG(cJSON_IsBool(jget(r, "ok")), "%s with value %zu", methods[m], v);
            cJSON_Delete(r);
        }
        for (size_t c = 0; c < sizeof ctl / sizeof ctl[0]; c++) {
            cJSON *r = et_ctl(&E, ctl[c], body);
            CHECK_MSG(cJSON_IsBool(jget(r, "ok")), "/_emu/%s with value %zu", ctl[c], v);
            cJSON_Delete(r);
        }
        free(body);
    }
    free(longjson);
    cJSON_Delete(et_ctl(&E, "fault", "{\"clear\":true}"));
    cJSON_Delete(et_ctl(&E, "config", "{\"ack_timeout_ms\":3000}"));
    cJSON *r = api("auth.test", NULL);
    CHECK(jok(r));
    cJSON_Delete(r);
}

static void test_ws_garbage(void)
{
    reset();
    struct et_ws w;
    CHECK(sock(&w));
    const char *texts[] = {"",
                           "not json",
                           "[]",
                           "{\"envelope_id\":42}",
                           "{\"payload\":{}}",
                           "{\"envelope_id\":\"\"}",
                           "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        CHECK(et_ws_send_text(&w, texts[i]));
    CHECK(et_ws_send_frame(&w, 2, "\x01\x02\x03", 3, true, true)); /* binary */
    /* A fragmented ack still counts. */
    cJSON *r = et_ctl(&E, "slash", "{}");
    cJSON *env = next_env(&w, T_LONG);
    CHECK(env);
    char *a = xasprintf("{\"envelope_id\":\"%s\",\"payload\":{}}", js(env, "envelope_id"));
    size_t half = strlen(a) / 2;
    CHECK(et_ws_send_frame(&w, 1, a, half, false, true));
    CHECK(et_ws_send_frame(&w, 0, a + half, strlen(a) - half, true, true));
    free(a);
    CHECK(wait_acked(js(r, "envelope_id")));
    cJSON_Delete(env);
    cJSON_Delete(r);
    /* Oversize message: ignored, connection stays. */
    size_t big = (1u << 20) + 100;
    char *huge = xmalloc(big + 1);
    memset(huge, ' ', big);
    huge[big] = '\0';
    CHECK(et_ws_send_frame(&w, 1, huge, big, true, true));
    free(huge);
    CHECK(et_ws_ping(&w, "still alive", T_LONG));
    cJSON *stats = et_ctl_get(&E, "stats");
    CHECK(jn(stats, "invalid_messages") >= 6);
    cJSON_Delete(stats);
    et_ws_close(&w);
    /* Protocol violations: lws either closes that connection or ignores the frame;
     * either way the emulator stays up and other connections keep working. */
    struct {
        int op;
        const char *data;
        size_t len;
        bool mask, raw;
    } bad[] = {
        {1, "{}", 2, false, false},    /* unmasked client frame */
        {3, "x", 1, true, false},      /* reserved opcode */
        {9, "", 200, true, false},     /* control frame over 125 bytes */
        {0, "orphan", 6, true, false}, /* continuation without a start */
        {0, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12, false, true},
    };
    char zeros[200] = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(sock(&w));
        if (bad[i].raw)
            CHECK(et_ws_send_raw(&w, bad[i].data, bad[i].len));
        else
            CHECK(et_ws_send_frame(&w, bad[i].op, bad[i].len > 100 ? zeros : bad[i].data,
                                   bad[i].len, true, bad[i].mask));
        bool closed = et_ws_wait_closed(&w, 500);
        if (!closed)
            CHECK_MSG(et_ws_ping(&w, "after garbage", T_LONG), "case %zu", i);
        et_ws_close(&w);
    }
    CHECK(wait_conns(0));
    r = api("auth.test", NULL);
    CHECK(jok(r));
    cJSON_Delete(r);
}

/* ---------- command line ---------- */

static int run_status(const char *const *argv, char *out, size_t outsz)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(p[1], 2);
        close(p[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < outsz && (r = read(p[0], out + n, outsz - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli(void)
{
    char out[8192];
    const char *help[] = {emu_bin, "--help", NULL};
    CHECK_INT(run_status(help, out, sizeof out), 0);
    CHECK_CONTAINS(out, "usage: slackemu");
    CHECK_CONTAINS(out, "--port");
    const char *bad[] = {emu_bin, "--frobnicate", NULL};
    CHECK_INT(run_status(bad, out, sizeof out), 2);
    const char *badnum[] = {emu_bin, "--port", "70000", NULL};
    CHECK_INT(run_status(badnum, out, sizeof out), 2);
    const char *badnum2[] = {emu_bin, "--ack-timeout-ms", "12abc", NULL};
    CHECK_INT(run_status(badnum2, out, sizeof out), 2);
    const char *nofile[] = {emu_bin, "--workspace", "/nonexistent/ws.json", NULL};
    CHECK_INT(run_status(nofile, out, sizeof out), 1);
    CHECK_CONTAINS(out, "/nonexistent/ws.json");
    /* The listening line is parseable and one log line is written per request. */
    const char *args[] = {"--quiet", NULL};
    (void)args;
    CHECK(start(NULL));
    cJSON *r = et_api(&E, "auth.test", BOT, NULL);
    CHECK(jok(r));
    cJSON_Delete(r);
    char logpath[256];
    snprintf(logpath, sizeof logpath, "%s", E.log);
    size_t len;
    char *log = et_read_file(logpath, &len);
    CHECK(log);
    CHECK_CONTAINS(log, "POST /api/auth.test 200 ok");
    free(log);
    CHECK_INT(et_emu_stop(&E), 0);
}

/* ---------- main ---------- */

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s SLACKEMU GROUP [SAMPLES_DIR]\n", argv[0]);
        return 2;
    }
    xmalloc_init_cjson();
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    emu_bin = argv[1];
    const char *group = argv[2];
    samples = argc > 3 ? argv[3] : NULL;
    bool need_samples =
        !strcmp(group, "webapi") || !strcmp(group, "socket") || !strcmp(group, "lifecycle");
    if (need_samples && !samples) {
        fprintf(stderr, "group %s needs the samples directory\n", group);
        return 2;
    }
    if (!samples)
        samples = "/nonexistent";

    if (!strcmp(group, "cli")) {
        RUN(test_cli);
        return CHECK_DONE();
    }
    const char *norl[] = {"--no-rate-limits", NULL};
    /* Deadlines here are long enough for a loaded CI box (or valgrind) to meet them. */
    const char *sockargs[] = {"--no-rate-limits",
                              "--ack-timeout-ms",
                              "1500",
                              "--retry-delays-ms",
                              "0,300,300",
                              "--trigger-ttl-ms",
                              "2000",
                              "--ping-interval-ms",
                              "300",
                              NULL};
    const char *lifeargs[] = {
        "--conn-lifetime", "4", "--warning-lead-ms", "2000", "--refresh-grace-ms", "300", NULL};
    const char *const *args = norl;
    if (!strcmp(group, "socket"))
        args = sockargs;
    else if (!strcmp(group, "lifecycle"))
        args = lifeargs;
    else if (!strcmp(group, "ratelimit"))
        args = NULL;
    if (!start(args)) {
        fprintf(stderr, "cannot start %s\n", emu_bin);
        return 1;
    }
    if (!strcmp(group, "webapi")) {
        RUN(test_samples_auth);
        RUN(test_samples_conversations);
        RUN(test_samples_chat);
        RUN(test_samples_users);
        RUN(test_samples_views);
    } else if (!strcmp(group, "api")) {
        RUN(test_tokens);
        RUN(test_pinned_tokens);
        RUN(test_channel_names);
        RUN(test_argument_errors);
        RUN(test_metadata_replies_hold);
    } else if (!strcmp(group, "ratelimit")) {
        RUN(test_rate_limits);
    } else if (!strcmp(group, "socket")) {
        RUN(test_hello_and_tickets);
        RUN(test_replay_socket_samples);
        RUN(test_own_payloads_match_samples);
        RUN(test_replay_ack_samples);
        RUN(test_acks);
        RUN(test_no_retry_of_slash_and_interactive);
        RUN(test_event_retries);
        RUN(test_trigger_expiry);
        RUN(test_connection_limit);
        RUN(test_drop_and_refuse);
    } else if (!strcmp(group, "lifecycle")) {
        RUN(test_lifecycle);
    } else if (!strcmp(group, "control")) {
        RUN(test_click_and_response_url);
        RUN(test_submit_and_response_actions);
        RUN(test_state_and_reset);
        RUN(test_faults);
    } else if (!strcmp(group, "garbage")) {
        RUN(test_http_garbage);
        RUN(test_odd_arguments);
        RUN(test_ws_garbage);
    } else {
        fprintf(stderr, "unknown group %s\n", group);
        et_emu_stop(&E);
        return 2;
    }
    int rc = et_emu_stop(&E);
    if (rc != 0) {
        fprintf(stderr, "slackemu did not exit cleanly (status %d)\n", rc);
        check_failed++;
    }
    return CHECK_DONE();
}
