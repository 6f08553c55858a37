/*
 * The pure parts of the Web API client (slack_api): answer decoding (every
 * kind of broken answer, and with a directory argument every sample of
 * shared/slack-samples/web-api, whose names say ok or error_<code>), form
 * encoding, error classes, and the checks made when a client is created.
 * Calls over HTTP are in test_slack_api_emu.c.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "slack_api.h"
#include "xmalloc.h"

static enum bot_rc parse(const char *body, long status, struct slack_api_result *res,
                         struct bot_err *err)
{
    return slack_api_result_parse("m.x", status, body, body ? strlen(body) : 0, res, err);
}

static void test_parse_ok_with_metadata(void)
{
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    CHECK_INT(
        parse("{\"ok\":true,\"warning\":\"already_in_channel\",\"response_metadata\":"
              "{\"warnings\":[\"already_in_channel\"],\"next_cursor\":\"dXNlcjpVMEc5V0ZYTlo=\"}}",
              200, &res, &err),
        BOT_OK);
    CHECK(res.ok);
    CHECK_STR(res.warning, "already_in_channel");
    CHECK_STR(res.error, "");
    CHECK_STR(res.next_cursor, "dXNlcjpVMEc5V0ZYTlo=");
    CHECK(cJSON_IsArray(res.warnings) && cJSON_GetArraySize(res.warnings) == 1);
    CHECK(res.messages == NULL);
    cJSON *body = slack_api_result_take_body(&res);
    CHECK(body != NULL && res.body == NULL && res.warnings == NULL);
    cJSON_Delete(body);
    slack_api_result_free(&res);

    /* an empty next_cursor means "last page" */
    CHECK_INT(parse("{\"ok\":true,\"response_metadata\":{\"next_cursor\":\"\"}}", 200, &res, &err),
              BOT_OK);
    CHECK(res.next_cursor == NULL);
    slack_api_result_free(&res);
}

static void test_parse_errors(void)
{
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    CHECK_INT(parse("{\"ok\":false,\"error\":\"invalid_arguments\",\"response_metadata\":"
                    "{\"messages\":[\"invalid `trigger_id`\"]}}",
                    200, &res, &err),
              BOT_EREMOTE);
    CHECK(!res.ok);
    CHECK_STR(res.error, "invalid_arguments");
    CHECK_CONTAINS(err.msg, "invalid_arguments: invalid `trigger_id`");
    CHECK(cJSON_IsArray(res.messages));

    CHECK_INT(parse("{\"ok\":false,\"error\":\"flux_capacitor_melted\"}", 200, &res, &err),
              BOT_EREMOTE);
    CHECK_STR(res.error, "flux_capacitor_melted");
    CHECK_CONTAINS(err.msg, "unknown Slack error \"flux_capacitor_melted\"");
    CHECK_INT(slack_api_error_class(res.error), SLACK_ERRC_UNKNOWN);

    CHECK_INT(parse("{\"ok\":false}", 200, &res, &err), BOT_EREMOTE);
    CHECK_CONTAINS(err.msg, "without an error code");
    CHECK_INT(parse("{\"ok\":false,\"error\":17}", 200, &res, &err), BOT_EREMOTE);
    CHECK_STR(res.error, "");

    /* an error code longer than the result keeps is cut, not overflowed */
    char longcode[600];
    memset(longcode, 'e', sizeof(longcode));
    longcode[sizeof(longcode) - 1] = '\0';
    char *b = xasprintf("{\"ok\":false,\"error\":\"%s\"}", longcode);
    CHECK_INT(parse(b, 200, &res, &err), BOT_EREMOTE);
    free(b);
    CHECK_INT(strlen(res.error), SLACK_API_MAX_CODE - 1);
    slack_api_result_free(&res);
}

static void test_parse_broken_answers(void)
{
    static const char *const bad[] = {
        "<html><body>502 Bad Gateway</body></html>",
        "{\"ok\":true,\"channel\":{\"id\":\"C1\"", /* cut off */
        "[true]",
        "\"ok\"",
        "{\"ok\":\"true\"}", /* ok is not a boolean */
        "{\"channel\":\"C1\"}",
        "\x01\x02\xff",
    };
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum bot_rc rc = parse(bad[i], 200, &res, &err);
        CHECK_MSG(rc == BOT_EPROTO, "answer %zu gave %d", i, (int)rc);
        CHECK(!res.ok);
        CHECK(err.msg[0] != '\0');
    }
    CHECK_INT(parse("", 200, &res, &err), BOT_EPROTO);
    CHECK_CONTAINS(err.msg, "empty");
    CHECK_INT(parse(NULL, 200, &res, &err), BOT_EPROTO);
    /* non-2xx without a Slack answer is the remote's error, not a protocol error */
    CHECK_INT(parse("Not Found", 404, &res, &err), BOT_EREMOTE);
    CHECK_INT(parse("", 403, &res, &err), BOT_EREMOTE);
    CHECK_INT(parse("{\"ok\":false,\"error\":\"not_authed\"}", 401, &res, &err), BOT_EREMOTE);
    CHECK_STR(res.error, "not_authed");
    /* The unexpected text is quoted, but only a short, printable prefix of it. */
    CHECK_INT(parse("<html>\n\"quoted\"</html>", 200, &res, &err), BOT_EPROTO);
    CHECK_CONTAINS(err.msg, "starts \"<html>..quoted.</html>\"");
    slack_api_result_free(&res);
}

static void test_error_classes(void)
{
    CHECK_INT(slack_api_error_class(NULL), SLACK_ERRC_NONE);
    CHECK_INT(slack_api_error_class(""), SLACK_ERRC_NONE);
    CHECK_INT(slack_api_error_class("invalid_auth"), SLACK_ERRC_AUTH);
    CHECK_INT(slack_api_error_class("token_revoked"), SLACK_ERRC_AUTH);
    CHECK_INT(slack_api_error_class("ratelimited"), SLACK_ERRC_RATELIMIT);
    CHECK_INT(slack_api_error_class("rate_limited"), SLACK_ERRC_RATELIMIT);
    CHECK_INT(slack_api_error_class("internal_error"), SLACK_ERRC_TRANSIENT);
    CHECK_INT(slack_api_error_class("name_taken"), SLACK_ERRC_REQUEST);
    CHECK_INT(slack_api_error_class("expired_trigger_id"), SLACK_ERRC_REQUEST);
    CHECK_INT(slack_api_error_class("what_is_this"), SLACK_ERRC_UNKNOWN);
}

static void test_json_methods(void)
{
    CHECK(slack_api_method_accepts_json("chat.postMessage"));
    CHECK(slack_api_method_accepts_json("views.open"));
    CHECK(slack_api_method_accepts_json("apps.connections.open"));
    CHECK(!slack_api_method_accepts_json("users.info"));
    CHECK(!slack_api_method_accepts_json("users.lookupByEmail"));
    CHECK(!slack_api_method_accepts_json("usergroups.users.list"));
    CHECK(!slack_api_method_accepts_json("conversations.list"));
    CHECK(!slack_api_method_accepts_json("made.up"));
}

static void test_form_encoding(void)
{
    struct buf b;
    buf_init(&b, 4096);
    cJSON *a = cJSON_Parse("{\"email\":\"a+b@example.com\",\"limit\":200,\"include_locale\":true,"
                           "\"skip\":null,\"ratio\":0.5,\"neg\":-3,\"text\":\"é &=?\","
                           "\"blocks\":[{\"type\":\"divider\"}]}");
    CHECK_INT(slack_api_encode_form(&b, a), BOT_OK);
    CHECK_STR(buf_str(&b), "email=a%2Bb%40example.com&limit=200&include_locale=true&ratio=0.5"
                           "&neg=-3&text=%C3%A9%20%26%3D%3F"
                           "&blocks=%5B%7B%22type%22%3A%22divider%22%7D%5D");
    cJSON_Delete(a);
    buf_free(&b);

    buf_init(&b, 10);
    a = cJSON_Parse("{\"user\":\"U0123456789\"}");
    CHECK_INT(slack_api_encode_form(&b, a), BOT_ETOOBIG);
    cJSON_Delete(a);
    buf_free(&b);

    buf_init(&b, 10);
    CHECK_INT(slack_api_encode_form(&b, NULL), BOT_OK);
    CHECK_STR(buf_str(&b), "");
    buf_free(&b);
}

static void test_client_checks(void)
{
    struct slack_api *c = NULL;
    struct bot_err err = {{0}};
    struct slack_api_opts o = {.token = "xoxb-1"};
    CHECK_INT(slack_api_new(&o, &c, &err), BOT_OK);
    CHECK(c != NULL);
    /* bad calls are refused before anything is sent */
    struct slack_api_result res = {0};
    CHECK_INT(slack_api_call(c, "", NULL, &res, &err), BOT_EINVAL);
    CHECK_INT(slack_api_call(c, "chat.postMessage/../x", NULL, &res, &err), BOT_EINVAL);
    CHECK_INT(slack_api_call(c, "chat.postMessage?x=1", NULL, &res, &err), BOT_EINVAL);
    cJSON *arr = cJSON_CreateArray();
    CHECK_INT(slack_api_call(c, "auth.test", arr, &res, &err), BOT_EINVAL);
    cJSON_Delete(arr);
    slack_api_free(c);

    static const char *const bad_tokens[] = {NULL, "", "xoxb-1\r\nX-Evil: 1", "xoxb 1"};
    for (size_t i = 0; i < sizeof(bad_tokens) / sizeof(bad_tokens[0]); i++) {
        o.token = bad_tokens[i];
        CHECK_INT(slack_api_new(&o, &c, &err), BOT_EINVAL);
        CHECK(c == NULL);
    }
    /* the message never repeats the token */
    o.token = "xoxb-SECRET 1";
    CHECK_INT(slack_api_new(&o, &c, &err), BOT_EINVAL);
    CHECK(strstr(err.msg, "SECRET") == NULL);

    o.token = "xoxb-1";
    static const char *const bad_bases[] = {"ftp://x/", "https://slack.com/api", "https://",
                                            "slack.com/api/"};
    for (size_t i = 0; i < sizeof(bad_bases) / sizeof(bad_bases[0]); i++) {
        o.base_url = bad_bases[i];
        CHECK_INT(slack_api_new(&o, &c, &err), BOT_EINVAL);
    }
    o.base_url = "http://127.0.0.1:1/api/";
    CHECK_INT(slack_api_new(&o, &c, &err), BOT_OK);
    slack_api_free(c);
    slack_api_free(NULL);
}

/* ---- samples ------------------------------------------------------------- */

static int samples_checked;

static void check_sample(const char *dir, const char *name)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    free(path);
    CHECK_MSG(f != NULL, "cannot open %s", name);
    struct buf b;
    buf_init(&b, 8 * 1024 * 1024);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_add(&b, chunk, n) != BOT_OK)
            break;
    fclose(f);

    /* <method>.ok*.json or <method>.error_<code>.json */
    const char *ok = strstr(name, ".ok");
    const char *er = strstr(name, ".error_");
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    enum bot_rc rc = slack_api_result_parse("sample", 200, b.data, b.len, &res, &err);
    buf_free(&b);
    if (ok != NULL) {
        CHECK_MSG(rc == BOT_OK && res.ok, "%s: %s", name, err.msg);
    } else if (er != NULL) {
        char code[SLACK_API_MAX_CODE];
        snprintf(code, sizeof(code), "%s", er + 7);
        char *dot = strchr(code, '.');
        if (dot)
            *dot = '\0';
        CHECK_MSG(rc == BOT_EREMOTE && !res.ok && strcmp(res.error, code) == 0,
                  "%s: rc %d error \"%s\"", name, (int)rc, res.error);
        /* The bot must not misfile a documented error as unknown. */
        CHECK_MSG(slack_api_error_class(res.error) != SLACK_ERRC_UNKNOWN,
                  "%s: \"%s\" missing from the error class table", name, res.error);
    }
    slack_api_result_free(&res);
    samples_checked++;
}

static void run_samples(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "cannot open %s\n", dir);
        check_failed++;
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
            continue;
        if (strstr(de->d_name, ".ok") == NULL && strstr(de->d_name, ".error_") == NULL)
            continue;
        check_cur_failed = 0;
        check_sample(dir, de->d_name);
        if (check_cur_failed) {
            check_failed++;
            fprintf(stderr, "FAIL sample %s\n", de->d_name);
        } else {
            check_passed++;
        }
    }
    closedir(d);
}

int main(int argc, char **argv)
{
    xmalloc_init_cjson();
    struct bot_err err;
    if (slack_api_global_init(&err) != BOT_OK)
        return 1;
    if (argc > 1) {
        run_samples(argv[1]);
        printf("%d web-api samples\n", samples_checked);
        if (samples_checked < 30)
            check_failed++;
    } else {
        RUN(test_parse_ok_with_metadata);
        RUN(test_parse_errors);
        RUN(test_parse_broken_answers);
        RUN(test_error_classes);
        RUN(test_json_methods);
        RUN(test_form_encoding);
        RUN(test_client_checks);
    }
    slack_api_global_cleanup();
    return CHECK_DONE();
}
