/*
 * Unit tests of the configuration table and loader, and of log redaction:
 * defaults, every kind of error with its file:line, secrets from a fake
 * environment. argv[1] is the path of config.example.toml.
 */
#include <stdlib.h>

#include "check.h"
#include "config.h"
#include "log.h"
#include "toml.h"

static const char *example_path;

static struct config *load(const char *text, struct cfg_diag *d)
{
    struct config *c = NULL;
    if (cfg_load_buf("t.toml", text, strlen(text), &c, d) != BOT_OK)
        return NULL;
    return c;
}

static void test_defaults(void)
{
    struct config *c = cfg_defaults();
    CHECK_STR(c->slack_api_base_url, "https://slack.com/api/");
    CHECK_STR(c->store_path, "var/incidentd.db");
    CHECK_STR(c->http_host, "127.0.0.1");
    CHECK_INT(c->http_port, 8080);
    CHECK_INT(c->slack_connections, 2);
    CHECK_INT(c->log_level, LOG_INFO);
    CHECK(c->slack_bot_token == NULL);
    cfg_free(c);
}

static void test_example_file_is_valid_and_complete(void)
{
    struct cfg_diag d = {0};
    struct config *c = NULL;
    CHECK_INT(cfg_load_file(example_path, &c, &d), BOT_OK);
    CHECK_INT(d.n, 0);
    cfg_free(c);

    /* Every key of the schema is written out (documented) in the example. */
    FILE *f = fopen(example_path, "rb");
    CHECK(f != NULL);
    char text[65536];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    struct toml_value *root;
    struct toml_error terr;
    CHECK_INT(toml_parse(text, n, &root, &terr), BOT_OK);
    for (size_t i = 0; i < cfg_key_count(); i++) {
        const char *table, *key = cfg_key_name(i, &table);
        struct toml_value *t = toml_table_get(root, table, strlen(table));
        if (t == NULL || toml_table_get(t, key, strlen(key)) == NULL) {
            toml_free(root);
            CHECK_MSG(0, "config.example.toml lacks [%s] %s", table, key);
        }
    }
    toml_free(root);
}

static void test_values_are_applied(void)
{
    struct cfg_diag d = {0};
    struct config *c = load("[slack]\napi_base_url = \"http://127.0.0.1:9/api\"\nconnections = 5\n"
                            "[http]\nlisten = \"[::1]:0\"\n[log]\nlevel = \"DEBUG\"\n"
                            "[store]\npath = \"/tmp/x.db\"\n",
                            &d);
    CHECK(c != NULL);
    CHECK_STR(c->slack_api_base_url, "http://127.0.0.1:9/api/");
    CHECK_INT(c->slack_connections, 5);
    CHECK_STR(c->http_host, "::1");
    CHECK_INT(c->http_port, 0);
    CHECK_INT(c->log_level, LOG_DEBUG);
    CHECK_STR(c->store_path, "/tmp/x.db");
    cfg_free(c);
}

static void test_unknown_key_names_line_and_suggests(void)
{
    struct cfg_diag d = {0};
    CHECK(load("[slack]\nconnections = 2\napi_base_ulr = \"https://x/\"\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_STR(d.lines[0], "t.toml:3: [slack] unknown key \"api_base_ulr\" (did you mean "
                          "\"api_base_url\"?)");
    cfg_diag_free(&d);
}

static void test_unknown_table_and_top_level_key(void)
{
    struct cfg_diag d = {0};
    CHECK(load("level = \"info\"\n[slak]\nconnections = 2\n", &d) == NULL);
    CHECK_INT(d.n, 2);
    CHECK_STR(d.lines[0], "t.toml:1: unknown top-level key \"level\"");
    CHECK_CONTAINS(d.lines[1], "t.toml:2: unknown table \"slak\" (did you mean [slack]?)");
    cfg_diag_free(&d);
}

static void test_wrong_types_and_ranges_all_reported(void)
{
    struct cfg_diag d = {0};
    CHECK(load("[slack]\nconnections = \"2\"\nstall_seconds = 1\n[store]\npath = 7\n"
               "[http]\nlisten = \"localhost\"\n[log]\nlevel = \"loud\"\n",
               &d) == NULL);
    CHECK_INT(d.n, 5);
    CHECK_STR(d.lines[0], "t.toml:2: [slack] connections: expected an integer, got a string");
    CHECK_STR(d.lines[1],
              "t.toml:3: [slack] stall_seconds: expected an integer from 5 to 3600, got 1");
    CHECK_STR(d.lines[2], "t.toml:5: [store] path: expected a string, got an integer");
    CHECK_CONTAINS(d.lines[3], "t.toml:7: [http] listen: expected host:port");
    CHECK_CONTAINS(d.lines[4], "t.toml:9: [log] level: expected one of");
    cfg_diag_free(&d);
}

static void test_bad_url_and_port(void)
{
    struct cfg_diag d = {0};
    CHECK(load("[slack]\napi_base_url = \"ftp://x/\"\n[http]\nlisten = \"1.2.3.4:70000\"\n", &d) ==
          NULL);
    CHECK_INT(d.n, 2);
    CHECK_CONTAINS(d.lines[0], "t.toml:2: [slack] api_base_url: expected a URL starting with");
    CHECK_CONTAINS(d.lines[1], "t.toml:4: [http] listen: the port must be a number");
    cfg_diag_free(&d);
}

static void test_slack_table_must_be_a_table(void)
{
    struct cfg_diag d = {0};
    CHECK(load("slack = 1\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_STR(d.lines[0], "t.toml:1: \"slack\" must be a table ([slack]), got integer");
    cfg_diag_free(&d);
}

static void test_syntax_error_has_line_and_column(void)
{
    struct cfg_diag d = {0};
    CHECK(load("[slack]\nconnections = = 2\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK(strncmp(d.lines[0], "t.toml:2:", 9) == 0);
    cfg_diag_free(&d);
}

static void test_missing_file(void)
{
    struct cfg_diag d = {0};
    struct config *c = (struct config *)1;
    CHECK_INT(cfg_load_file("/nonexistent/incidentd.toml", &c, &d), BOT_EIO);
    CHECK(c == NULL);
    CHECK_CONTAINS(d.lines[0], "/nonexistent/incidentd.toml: cannot open");
    cfg_diag_free(&d);
}

/* A fake environment for cfg_load_secrets. */
static const char *env_bot, *env_app, *env_sp;

static const char *fake_getenv(const char *name)
{
    if (strcmp(name, "SLACK_BOT_TOKEN") == 0)
        return env_bot;
    if (strcmp(name, "SLACK_APP_TOKEN") == 0)
        return env_app;
    if (strcmp(name, "STATUSPAGE_API_KEY") == 0)
        return env_sp;
    return NULL;
}

static void test_secrets_good(void)
{
    struct cfg_diag d = {0};
    struct config *c = cfg_defaults();
    env_bot = "xoxb-1234-5678-abcdefABCDEF";
    env_app = "xapp-1-A111-222-abcdef0123";
    env_sp = NULL;
    CHECK_INT(cfg_load_secrets(c, fake_getenv, &d), BOT_OK);
    CHECK_STR(c->slack_bot_token, env_bot);
    CHECK_STR(c->slack_app_token, env_app);
    CHECK(c->statuspage_api_key == NULL);
    cfg_free(c);
}

static void test_secrets_missing_and_wrong_kind(void)
{
    struct cfg_diag d = {0};
    struct config *c = cfg_defaults();
    env_bot = NULL;
    env_app = "xoxb-1234-5678-abcdefABCDEF";
    env_sp = "has blanks in it, not a key";
    CHECK_INT(cfg_load_secrets(c, fake_getenv, &d), BOT_ECONFIG);
    CHECK_INT(d.n, 3);
    CHECK_CONTAINS(d.lines[0], "SLACK_BOT_TOKEN is not set");
    CHECK_STR(d.lines[1], "SLACK_APP_TOKEN: expected the app-level token starting with xapp-, "
                          "got a bot token (xoxb-)");
    CHECK_CONTAINS(d.lines[2], "STATUSPAGE_API_KEY: malformed");
    /* The values never appear in messages. */
    for (size_t i = 0; i < d.n; i++) {
        CHECK(strstr(d.lines[i], "abcdefABCDEF") == NULL);
        CHECK(strstr(d.lines[i], "blanks") == NULL);
    }
    cfg_diag_free(&d);
    cfg_free(c);
}

static void test_secrets_malformed(void)
{
    struct cfg_diag d = {0};
    struct config *c = cfg_defaults();
    env_bot = "\"xoxb-1234-5678-abcdef\"";
    env_app = "xapp-1 2";
    env_sp = NULL;
    CHECK_INT(cfg_load_secrets(c, fake_getenv, &d), BOT_ECONFIG);
    CHECK_INT(d.n, 2);
    CHECK_CONTAINS(d.lines[0], "SLACK_BOT_TOKEN: expected the bot token starting with xoxb-");
    CHECK_CONTAINS(d.lines[1], "SLACK_APP_TOKEN: malformed app-level token");
    CHECK(c->slack_bot_token == NULL && c->slack_app_token == NULL);
    cfg_diag_free(&d);
    cfg_free(c);
}

static void test_log_redacts_tokens(void)
{
    char out[256];
    log_redact("token=xoxb-123-456-abc next xapp-1-A2-3 Bearer sekrit99 done", out, sizeof(out));
    CHECK_STR(out, "token=xoxb-*** next xapp-*** Bearer *** done");
    log_redact("xoxb-123", out, 6);
    CHECK_STR(out, "xoxb-");
}

static void test_log_line_is_logfmt(void)
{
    char mem[1024] = {0};
    FILE *f = fmemopen(mem, sizeof(mem), "w");
    CHECK(f != NULL);
    log_set_stream(f);
    log_set_level(LOG_INFO);
    log_debug("hidden");
    log_info("hello world", "key", "v", "tok", "xoxb-1-2-3", "q", "a \"b\"");
    log_set_stream(NULL);
    fclose(f);
    CHECK(strncmp(mem, "ts=", 3) == 0);
    CHECK(strstr(mem, "hidden") == NULL);
    CHECK_CONTAINS(mem, " level=info msg=\"hello world\" key=v tok=xoxb-*** q=\"a \\\"b\\\"\"\n");
}

static void test_long_log_line_is_cut_and_marked(void)
{
    static char mem[3 * 8192];
    char *big = malloc(20000);
    memset(big, 'v', 19999);
    big[19999] = '\0';
    FILE *f = fmemopen(mem, sizeof(mem), "w");
    CHECK(f != NULL);
    log_set_stream(f);
    log_info("long", "k", big, "after", "x");
    log_info("next");
    log_set_stream(NULL);
    fclose(f);
    free(big);
    char *nl = strchr(mem, '\n');
    CHECK(nl != NULL);
    /* One line, at most 8192 bytes with its newline, ending with the cut mark. */
    CHECK_MSG(nl - mem + 1 <= 8192, "line is %ld bytes", (long)(nl - mem + 1));
    CHECK(nl - mem > 8000);
    CHECK(strncmp(nl - 3, "...", 3) == 0);
    CHECK(strncmp(nl + 1, "ts=", 3) == 0);
    CHECK_CONTAINS(nl + 1, "msg=next\n");
    CHECK(strstr(nl + 1, "...") == NULL);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_config path/to/config.example.toml\n");
        return 2;
    }
    example_path = argv[1];
    RUN(test_defaults);
    RUN(test_example_file_is_valid_and_complete);
    RUN(test_values_are_applied);
    RUN(test_unknown_key_names_line_and_suggests);
    RUN(test_unknown_table_and_top_level_key);
    RUN(test_wrong_types_and_ranges_all_reported);
    RUN(test_bad_url_and_port);
    RUN(test_slack_table_must_be_a_table);
    RUN(test_syntax_error_has_line_and_column);
    RUN(test_missing_file);
    RUN(test_secrets_good);
    RUN(test_secrets_missing_and_wrong_kind);
    RUN(test_secrets_malformed);
    RUN(test_log_redacts_tokens);
    RUN(test_log_line_is_logfmt);
    RUN(test_long_log_line_is_cut_and_marked);
    return CHECK_DONE();
}
