/*
 * Socket Mode frame decoding and ack encoding (slack_envelope). Without
 * arguments: hand-written frames, including every kind of bad one. With a
 * directory (shared/slack-samples/socket-mode): every sample file there and
 * in its subdirectories is decoded; the known envelopes are checked field
 * by field, and the documented acks are rebuilt by the encoder and compared.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "slack_envelope.h"
#include "utf8.h"
#include "xmalloc.h"

static enum bot_rc parse_str(const char *s, struct slack_envelope *env, struct bot_err *err)
{
    return slack_envelope_parse(s, strlen(s), env, err);
}

static void test_slash_command(void)
{
    struct slack_envelope env;
    struct bot_err err = {{0}};
    const char *f = "{\"envelope_id\":\"e1\",\"type\":\"slash_commands\","
                    "\"accepts_response_payload\":true,"
                    "\"payload\":{\"command\":\"/incident\",\"text\":\"help\"}}";
    CHECK_INT(parse_str(f, &env, &err), BOT_OK);
    CHECK_INT(env.type, SLACK_ENV_SLASH_COMMANDS);
    CHECK_STR(env.envelope_id, "e1");
    CHECK(env.accepts_response_payload);
    CHECK(slack_envelope_needs_ack(&env));
    CHECK(env.event_id == NULL);
    CHECK(cJSON_IsObject(env.payload));
    CHECK_INT(env.retry_attempt, -1);
    CHECK(env.raw == f && env.raw_len == strlen(f));
    slack_envelope_free(&env);
    CHECK(env.root == NULL);
    slack_envelope_free(&env); /* twice is harmless */
}

/* cJSON alone would cut the text at the NUL and the plan would act on "declare DB". */
static void test_nul_in_a_string_is_marked(void)
{
    struct slack_envelope env;
    const char *f = "{\"envelope_id\":\"e1\",\"type\":\"slash_commands\",\"payload\":"
                    "{\"command\":\"/incident\",\"text\":\"declare DB\\u0000 down --sev minor\"}}"
                    "  \n";
    CHECK_INT(parse_str(f, &env, NULL), BOT_OK);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(env.payload, "text");
    CHECK_STR(cJSON_GetStringValue(t), "declare DB" UTF8_NUL_MARK " down --sev minor");
    CHECK(env.raw == f && env.raw_len == strlen(f)); /* the frame as received */
    char *again = cJSON_PrintUnformatted(env.payload); /* what the inbox stores */
    CHECK_CONTAINS(again, "DB" UTF8_NUL_MARK " down");
    free(again);
    slack_envelope_free(&env);
    /* bytes after the JSON value are still refused */
    struct bot_err err = {{0}};
    CHECK_INT(parse_str("{\"type\":\"hello\\u0000\"} x", &env, &err), BOT_EPROTO);
    CHECK_CONTAINS(err.msg, "bytes after its JSON value");
}

static void test_events_api_retry(void)
{
    struct slack_envelope env;
    const char *f = "{\"envelope_id\":\"e2\",\"type\":\"events_api\",\"retry_attempt\":2,"
                    "\"retry_reason\":\"timeout\",\"accepts_response_payload\":false,"
                    "\"payload\":{\"type\":\"event_callback\",\"event_id\":\"Ev9\","
                    "\"event\":{\"type\":\"app_mention\"}}}";
    CHECK_INT(parse_str(f, &env, NULL), BOT_OK);
    CHECK_INT(env.type, SLACK_ENV_EVENTS_API);
    CHECK_STR(env.event_id, "Ev9");
    CHECK_STR(env.event_type, "app_mention");
    CHECK_STR(env.payload_type, "event_callback");
    CHECK_INT(env.retry_attempt, 2);
    CHECK_STR(env.retry_reason, "timeout");
    CHECK(!env.accepts_response_payload);
    slack_envelope_free(&env);
}

static void test_events_api_missing_payload_fields(void)
{
    /* A payload without event_id or event is handed on; the caller keys on envelope_id. */
    struct slack_envelope env;
    CHECK_INT(
        parse_str("{\"envelope_id\":\"e3\",\"type\":\"events_api\",\"payload\":[1]}", &env, NULL),
        BOT_OK);
    CHECK(env.event_id == NULL && env.event_type == NULL && env.payload_type == NULL);
    CHECK(cJSON_IsArray(env.payload));
    slack_envelope_free(&env);
    CHECK_INT(parse_str("{\"envelope_id\":\"e3\",\"type\":\"events_api\",\"retry_attempt\":-4,"
                        "\"retry_reason\":7,\"payload\":{\"event_id\":5}}",
                        &env, NULL),
              BOT_OK);
    CHECK(env.event_id == NULL);
    CHECK_INT(env.retry_attempt, -1);
    CHECK(env.retry_reason == NULL);
    slack_envelope_free(&env);
}

static void test_hello_and_disconnects(void)
{
    struct slack_envelope env;
    CHECK_INT(parse_str("{\"type\":\"hello\",\"num_connections\":3,\"debug_info\":"
                        "{\"approximate_connection_time\":360}}",
                        &env, NULL),
              BOT_OK);
    CHECK_INT(env.type, SLACK_ENV_HELLO);
    CHECK_INT(env.num_connections, 3);
    CHECK_INT(env.approximate_connection_time, 360);
    CHECK(!slack_envelope_needs_ack(&env));
    slack_envelope_free(&env);

    static const struct {
        const char *reason;
        enum slack_disconnect_reason r;
    } cases[] = {
        {"warning", SLACK_DISC_WARNING},
        {"refresh_requested", SLACK_DISC_REFRESH_REQUESTED},
        {"link_disabled", SLACK_DISC_LINK_DISABLED},
        {"too_many_websockets", SLACK_DISC_TOO_MANY_WEBSOCKETS},
        {"something_new", SLACK_DISC_OTHER},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char f[128];
        snprintf(f, sizeof(f), "{\"type\":\"disconnect\",\"reason\":\"%s\"}", cases[i].reason);
        CHECK_INT(parse_str(f, &env, NULL), BOT_OK);
        CHECK_INT(env.type, SLACK_ENV_DISCONNECT);
        CHECK_INT(env.reason, cases[i].r);
        CHECK_STR(env.reason_name, cases[i].reason);
        slack_envelope_free(&env);
    }
    CHECK_INT(parse_str("{\"type\":\"disconnect\"}", &env, NULL), BOT_OK);
    CHECK_INT(env.reason, SLACK_DISC_OTHER);
    CHECK(env.reason_name == NULL);
    slack_envelope_free(&env);
    CHECK_STR(slack_disconnect_reason_name(SLACK_DISC_REFRESH_REQUESTED), "refresh_requested");
    CHECK_STR(slack_env_type_name(SLACK_ENV_INTERACTIVE), "interactive");
}

static void test_unknown_type_is_not_an_error(void)
{
    struct slack_envelope env;
    CHECK_INT(parse_str("{\"type\":\"brand_new\",\"envelope_id\":\"e4\"}", &env, NULL), BOT_OK);
    CHECK_INT(env.type, SLACK_ENV_UNKNOWN);
    CHECK_STR(env.type_name, "brand_new");
    CHECK(!slack_envelope_needs_ack(&env));
    slack_envelope_free(&env);
}

static void test_bad_frames(void)
{
    static const char *const bad[] = {
        "",
        "{",
        "{\"type\":\"hello\"", /* cut off */
        "not json at all",
        "[1,2,3]", /* not an object */
        "\"hello\"",
        "{}",                        /* no type */
        "{\"type\":5}",              /* type not a string */
        "{\"type\":\"events_api\"}", /* no envelope_id */
        "{\"type\":\"interactive\",\"envelope_id\":\"\"}",
        "{\"type\":\"slash_commands\",\"envelope_id\":42}",
        "{\"type\":\"hello\"} trailing",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct slack_envelope env;
        struct bot_err err = {{0}};
        enum bot_rc rc = parse_str(bad[i], &env, &err);
        CHECK_MSG(rc == BOT_EPROTO, "frame %zu \"%s\" gave %d", i, bad[i], (int)rc);
        CHECK(env.root == NULL);
        CHECK(err.msg[0] != '\0');
    }
    /* Length is respected: the text after len is not looked at. */
    struct slack_envelope env;
    const char *s = "{\"type\":\"hello\"}GARBAGE";
    CHECK_INT(slack_envelope_parse(s, 16, &env, NULL), BOT_OK);
    slack_envelope_free(&env);
    CHECK_INT(slack_envelope_parse(NULL, 0, &env, NULL), BOT_EINVAL);
}

static void test_ack_encoding(void)
{
    struct buf b;
    struct bot_err err = {{0}};
    buf_init(&b, SLACK_ACK_MAX);
    CHECK_INT(slack_envelope_ack(&b, "a\"b", NULL, &err), BOT_OK);
    CHECK_STR(buf_str(&b), "{\"envelope_id\":\"a\\\"b\"}");
    buf_reset(&b);
    cJSON *p = cJSON_Parse("{\"text\":\"usage: /incident …\",\"response_type\":\"ephemeral\"}");
    CHECK_INT(slack_envelope_ack(&b, "e1", p, &err), BOT_OK);
    CHECK_STR(buf_str(&b), "{\"envelope_id\":\"e1\",\"payload\":{\"text\":\"usage: /incident …\","
                           "\"response_type\":\"ephemeral\"}}");
    cJSON_Delete(p); /* the payload stayed the caller's */
    buf_reset(&b);
    p = cJSON_Parse("[1]");
    CHECK_INT(slack_envelope_ack(&b, "e1", p, &err), BOT_EINVAL);
    cJSON_Delete(p);
    CHECK_INT(slack_envelope_ack(&b, "", NULL, &err), BOT_EINVAL);
    CHECK_INT(slack_envelope_ack(&b, NULL, NULL, &err), BOT_EINVAL);
    buf_free(&b);

    /* Over the buffer's own bound, and over SLACK_ACK_MAX. */
    buf_init(&b, 10);
    CHECK_INT(slack_envelope_ack(&b, "a-long-envelope-id", NULL, &err), BOT_ETOOBIG);
    buf_free(&b);
    buf_init(&b, SLACK_ACK_MAX * 2);
    char *big = xmalloc(SLACK_ACK_MAX + 1);
    memset(big, 'x', SLACK_ACK_MAX);
    big[SLACK_ACK_MAX] = '\0';
    p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "text", big);
    free(big);
    CHECK_INT(slack_envelope_ack(&b, "e1", p, &err), BOT_ETOOBIG);
    CHECK_CONTAINS(err.msg, "SLACK_ACK_MAX");
    cJSON_Delete(p);
    buf_free(&b);
}

/* ---- sample files -------------------------------------------------------- */

static const char *sample_dir;

struct expect {
    const char *file;
    enum slack_env_type type;
    const char *envelope_id;
    const char *payload_type;
    const char *event_id;
    bool accepts;
    enum slack_disconnect_reason reason;
    int num_connections;
};

static const struct expect expects[] = {
    {"block_suggestion.docs.json", SLACK_ENV_INTERACTIVE, "dbdd0ef3-1543-4f94-bfb4-133d0e6c1545",
     "block_suggestion", NULL, true, SLACK_DISC_NONE, -1},
    {"disconnect_link_disabled.docs.json", SLACK_ENV_DISCONNECT, NULL, NULL, NULL, false,
     SLACK_DISC_LINK_DISABLED, -1},
    {"disconnect_refresh_requested.docs.json", SLACK_ENV_DISCONNECT, NULL, NULL, NULL, false,
     SLACK_DISC_REFRESH_REQUESTED, -1},
    {"disconnect_too_many_websockets.captured-bolt-js-issue-2238.json", SLACK_ENV_DISCONNECT, NULL,
     NULL, NULL, false, SLACK_DISC_TOO_MANY_WEBSOCKETS, -1},
    {"disconnect_too_many_websockets.python-slack-sdk.json", SLACK_ENV_DISCONNECT, NULL, NULL, NULL,
     false, SLACK_DISC_TOO_MANY_WEBSOCKETS, 2},
    {"disconnect_warning.docs.json", SLACK_ENV_DISCONNECT, NULL, NULL, NULL, false,
     SLACK_DISC_WARNING, -1},
    {"events_api_app_mention.java-slack-sdk.json", SLACK_ENV_EVENTS_API, "xxx-11-222-yyy-zzz",
     "event_callback", "Ev01ERKCFKK9", false, SLACK_DISC_NONE, -1},
    {"events_api_app_mention.python-slack-sdk.json", SLACK_ENV_EVENTS_API,
     "cda4159a-72a5-4744-aba3-4d66eb52682b", "event_callback", "Ev111", false, SLACK_DISC_NONE, -1},
    {"events_api_message.python-slack-sdk.json", SLACK_ENV_EVENTS_API,
     "ac2cfd40-6f8c-4d5e-a1ad-646e532baa19", "event_callback", "Ev111", false, SLACK_DISC_NONE, -1},
    {"hello.java-slack-sdk.json", SLACK_ENV_HELLO, NULL, NULL, NULL, false, SLACK_DISC_NONE, 1},
    {"hello.python-slack-sdk.json", SLACK_ENV_HELLO, NULL, NULL, NULL, false, SLACK_DISC_NONE, 2},
    {"interactive_block_actions.java-slack-sdk.json", SLACK_ENV_INTERACTIVE, "xxx-11-222-yyy-zzz",
     "block_actions", NULL, false, SLACK_DISC_NONE, -1},
    {"interactive_block_actions_large.python-slack-sdk.json", SLACK_ENV_INTERACTIVE,
     "dfb98ec6-45a8-4200-98af-7d05fb6fb44f", "block_actions", NULL, false, SLACK_DISC_NONE, -1},
    {"interactive_shortcut.python-slack-sdk.json", SLACK_ENV_INTERACTIVE,
     "57d6a792-4d35-4d0b-b6aa-3361493e1caf", "shortcut", NULL, false, SLACK_DISC_NONE, -1},
    /* the inner payload alone: its "type" is no envelope type */
    {"interactive_view_submission.payload-only.java-slack-sdk.json", SLACK_ENV_UNKNOWN, NULL, NULL,
     NULL, false, SLACK_DISC_NONE, -1},
    {"slash_commands.docs.json", SLACK_ENV_SLASH_COMMANDS, "dbdd0ef3-1543-4f94-bfb4-133d0e6c1545",
     NULL, NULL, true, SLACK_DISC_NONE, -1},
    {"slash_commands.java-slack-sdk.json", SLACK_ENV_SLASH_COMMANDS, "xxx-11-222-yyy-zzz", NULL,
     NULL, true, SLACK_DISC_NONE, -1},
    {"slash_commands.python-slack-sdk.json", SLACK_ENV_SLASH_COMMANDS,
     "1d3c79ab-0ffb-41f3-a080-d19e85f53649", NULL, NULL, true, SLACK_DISC_NONE, -1},
};

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    struct buf b;
    buf_init(&b, 16 * 1024 * 1024);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_add(&b, chunk, n) != BOT_OK)
            break;
    fclose(f);
    *len = b.len;
    return buf_take(&b);
}

static bool opt_str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

static int files_seen, envelopes_checked, acks_checked;

/* Every file must decode or be refused cleanly; the known ones must match exactly. */
static void check_one(const char *rel, const char *path)
{
    size_t len;
    char *text = read_file(path, &len);
    CHECK_MSG(text != NULL, "cannot read %s", path);
    struct slack_envelope env;
    struct bot_err err = {{0}};
    enum bot_rc rc = slack_envelope_parse(text, len, &env, &err);
    files_seen++;
    const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    const struct expect *e = NULL;
    if (strchr(rel, '/') == NULL)
        for (size_t i = 0; i < sizeof(expects) / sizeof(expects[0]); i++)
            if (strcmp(expects[i].file, base) == 0)
                e = &expects[i];

    if (strncmp(rel, "acks/", 5) == 0) {
        /* What the app sends back: rebuild it with the encoder and compare as JSON. */
        cJSON *want = cJSON_ParseWithLength(text, len);
        CHECK_MSG(want != NULL, "%s is not JSON", rel);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(want, "envelope_id");
        const cJSON *payload = cJSON_GetObjectItemCaseSensitive(want, "payload");
        cJSON *expect = NULL;
        if (!cJSON_IsString(id)) {
            /* a bare response_action body: it goes inside an ack's payload */
            payload = want;
            expect = cJSON_CreateObject();
            cJSON_AddStringToObject(expect, "envelope_id", "E1");
            cJSON_AddItemToObject(expect, "payload", cJSON_Duplicate(want, 1));
        }
        struct buf b;
        buf_init(&b, SLACK_ACK_MAX);
        enum bot_rc arc =
            slack_envelope_ack(&b, cJSON_IsString(id) ? id->valuestring : "E1", payload, &err);
        cJSON *got = arc == BOT_OK ? cJSON_Parse(buf_str(&b)) : NULL;
        bool same = got && cJSON_Compare(got, expect ? expect : want, 1);
        cJSON_Delete(got);
        cJSON_Delete(expect);
        cJSON_Delete(want);
        buf_free(&b);
        if (rc == BOT_OK)
            slack_envelope_free(&env);
        free(text);
        CHECK_MSG(arc == BOT_OK && same, "%s: the encoded ack differs (%s)", rel, err.msg);
        acks_checked++;
        return;
    }

    if (e == NULL) {
        /* Not an envelope we know (e.g. events/ holds bare events): refused or UNKNOWN. */
        bool fine = rc == BOT_EPROTO || (rc == BOT_OK && !slack_envelope_needs_ack(&env));
        if (rc == BOT_OK)
            slack_envelope_free(&env);
        free(text);
        CHECK_MSG(fine, "%s: unexpected result %d (%s)", rel, (int)rc, err.msg);
        if (strchr(rel, '/') == NULL)
            printf("note: %s has no expectation in test_slack_envelope.c\n", rel);
        return;
    }
    free(text);
    CHECK_MSG(rc == BOT_OK, "%s: %s", rel, err.msg);
    bool ok = env.type == e->type && opt_str_eq(env.envelope_id, e->envelope_id) &&
              opt_str_eq(env.payload_type, e->payload_type) &&
              opt_str_eq(env.event_id, e->event_id) && env.accepts_response_payload == e->accepts &&
              env.reason == e->reason && env.num_connections == e->num_connections;
    if (env.type == SLACK_ENV_EVENTS_API)
        ok = ok && env.retry_attempt == 0 && opt_str_eq(env.retry_reason, "");
    if (env.type == SLACK_ENV_HELLO)
        ok = ok && env.approximate_connection_time == 18060;
    enum slack_env_type got = env.type;
    slack_envelope_free(&env);
    CHECK_MSG(ok, "%s: fields differ from the expectation (type %s)", rel,
              slack_env_type_name(got));
    envelopes_checked++;
}

static int walk(const char *dir, const char *rel)
{
    DIR *d = opendir(dir);
    int failures = 0;
    if (d == NULL) {
        fprintf(stderr, "cannot open %s\n", dir);
        return 1;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *path = xasprintf("%s/%s", dir, de->d_name);
        char *r = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            failures += walk(path, r);
        } else if (strlen(de->d_name) > 5 &&
                   strcmp(de->d_name + strlen(de->d_name) - 5, ".json") == 0) {
            check_cur_failed = 0;
            check_one(r, path);
            if (check_cur_failed) {
                check_failed++;
                fprintf(stderr, "FAIL sample %s\n", r);
            } else {
                check_passed++;
            }
        }
        free(path);
        free(r);
    }
    closedir(d);
    return failures;
}

static void test_every_known_sample_was_seen(void)
{
    CHECK_MSG(envelopes_checked == (int)(sizeof(expects) / sizeof(expects[0])),
              "checked %d of %zu expected envelope samples", envelopes_checked,
              sizeof(expects) / sizeof(expects[0]));
    CHECK(acks_checked >= 4);
}

int main(int argc, char **argv)
{
    xmalloc_init_cjson();
    if (argc > 1) {
        sample_dir = argv[1];
        walk(sample_dir, "");
        printf("%d sample files\n", files_seen);
        RUN(test_every_known_sample_was_seen);
        return CHECK_DONE();
    }
    RUN(test_slash_command);
    RUN(test_nul_in_a_string_is_marked);
    RUN(test_events_api_retry);
    RUN(test_events_api_missing_payload_fields);
    RUN(test_hello_and_disconnects);
    RUN(test_unknown_type_is_not_an_error);
    RUN(test_bad_frames);
    RUN(test_ack_encoding);
    return CHECK_DONE();
}
