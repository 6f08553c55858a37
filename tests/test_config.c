/*
 * Unit tests of the configuration table and loader, and of log redaction:
 * defaults, every kind of error with its file:line, secrets from a fake
 * environment. argv[1] is the path of config.example.toml.
 */
#include <stdlib.h>

#include "check.h"
#include "config.h"
#include "hook.h"
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
    CHECK_STR(c->http_internal_listen, "127.0.0.1:8081");
    CHECK_STR(c->http_internal_host, "127.0.0.1");
    CHECK_INT(c->http_internal_port, 8081);
    CHECK_INT(c->slack_connections, 2);
    CHECK_INT(c->log_level, LOG_INFO);
    CHECK(c->slack_bot_token == NULL);
    cfg_free(c);
}

static void test_defaults_of_declare_keys(void)
{
    struct config *c = cfg_defaults();
    CHECK_INT(c->incident_min_duration_minutes, 15);
    CHECK_INT(c->incident_min_affected_users, 5);
    CHECK_STR(c->incident_timezone, "UTC");
    CHECK_INT(c->severity_critical_percent, 50);
    CHECK_INT(c->severity_major_percent, 10);
    CHECK_STR(c->slack_channel_name, "inc-{date}-{id}-{slug}");
    CHECK_STR(c->slack_announce_channel, "");
    CHECK_STR(c->roles_irm_group, "");
    CHECK(c->roles_irm_users == NULL);
    CHECK_INT(c->n_roles_irm_users, 0);
    CHECK_STR(c->roles_dpo, "");
    CHECK(c->oncall_users == NULL);
    CHECK_INT(c->n_oncall_users, 0);
    CHECK_INT(c->breach_notify_within_hours, 72);
    CHECK_INT(c->n_breach_remind_before_hours, 3);
    CHECK_INT(c->breach_remind_before_hours[0], 24);
    CHECK_INT(c->breach_remind_before_hours[1], 4);
    CHECK_INT(c->breach_remind_before_hours[2], 1);
    CHECK_STR(c->call_url_template, "");
    cfg_free(c);
}

/* The reference is a valid configuration that sets every key to its default. */
static void test_reference_loads_as_the_defaults(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK(f != NULL);
    cfg_print_reference(f);
    fclose(f);
    struct cfg_diag d = {0};
    struct config *c = load(text, &d);
    for (size_t i = 0; i < d.n; i++)
        fprintf(stderr, "reference: %s\n", d.lines[i]);
    cfg_diag_free(&d);
    CHECK(c != NULL);
    CHECK_STR(c->slack_channel_name, "inc-{date}-{id}-{slug}");
    CHECK_INT(c->n_breach_remind_before_hours, 3);
    CHECK_INT(c->breach_remind_before_hours[2], 1);
    CHECK_INT(c->n_oncall_users, 0);
    cfg_free(c);

    /* Every key of the schema appears as "key = " in its "[table]", after a "# help" line. */
    for (size_t i = 0; i < cfg_key_count(); i++) {
        const char *table, *key = cfg_key_name(i, &table);
        char head[64], line[96];
        snprintf(head, sizeof(head), "[%s]\n", table);
        snprintf(line, sizeof(line), "\n%s = ", key);
        const char *t = strstr(text, head);
        CHECK_MSG(t != NULL, "reference lacks [%s]", table);
        const char *end = strstr(t, "\n[");
        const char *at = strstr(t, line);
        CHECK_MSG(at != NULL && (end == NULL || at < end), "reference lacks [%s] %s", table, key);
        const char *help = at - 1;
        while (help > text && help[-1] != '\n')
            help--;
        CHECK_MSG(strncmp(help, "# ", 2) == 0, "[%s] %s has no help line", table, key);
    }
    CHECK_CONTAINS(text, "[incident]\n");
    CHECK_CONTAINS(text, "\nmin_duration_minutes = 15\n");
    CHECK_CONTAINS(text, "\nmin_affected_users = 5\n");
    CHECK_CONTAINS(text, "\ntimezone = \"UTC\"\n");
    CHECK_CONTAINS(text, "[severity]\n");
    CHECK_CONTAINS(text, "\ncritical_percent = 50\n");
    CHECK_CONTAINS(text, "\nmajor_percent = 10\n");
    CHECK_CONTAINS(text, "\nchannel_name = \"inc-{date}-{id}-{slug}\"\n");
    CHECK_CONTAINS(text, "\nannounce_channel = \"\"\n");
    CHECK_CONTAINS(text, "[roles]\n");
    CHECK_CONTAINS(text, "\nirm_group = \"\"\n");
    CHECK_CONTAINS(text, "\nirm_users = []\n");
    CHECK_CONTAINS(text, "\ndpo = \"\"\n");
    CHECK_CONTAINS(text, "[oncall]\n");
    CHECK_CONTAINS(text, "\nusers = []\n");
    CHECK_CONTAINS(text, "[breach]\n");
    CHECK_CONTAINS(text, "\nnotify_within_hours = 72\n");
    CHECK_CONTAINS(text, "\nremind_before_hours = [24, 4, 1]\n");
    CHECK_CONTAINS(text, "[call]\n");
    CHECK_CONTAINS(text, "\nurl_template = \"\"\n");
    CHECK_CONTAINS(text, "# IANA time zone");
    free(text);
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
        /* A dotted table ([statuspage.atlassian]) is a table inside a table. */
        const char *dot = strchr(table, '.');
        struct toml_value *t = toml_table_get(root, table, dot ? (size_t)(dot - table)
                                                               : strlen(table));
        if (t != NULL && dot != NULL)
            t = toml_table_get(t, dot + 1, strlen(dot + 1));
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

static void test_declare_keys_are_applied(void)
{
    struct cfg_diag d = {0};
    struct config *c =
        load("[incident]\nmin_duration_minutes = 0\nmin_affected_users = 10000000\n"
             "timezone = \"Etc/UTC\"\n"
             "[severity]\ncritical_percent = 100\nmajor_percent = 99\n"
             "[slack]\nchannel_name = \"incident_{id}\"\n"
             "announce_channel = \"G0INCIDENTS\"\n"
             "[roles]\nirm_group = \"S0IRMS0001\"\n"
             "irm_users = [\"U0ALICE0001\", \"W0BOB000002\"]\ndpo = \"U0DPO000001\"\n"
             "[oncall]\nusers = [\n  \"U0CAROL0001\",\n  \"U0DAVE00001\",\n  "
             "\"U0ERIN00001\",\n]\n"
             "[breach]\nnotify_within_hours = 720\nremind_before_hours = []\n"
             "[call]\nurl_template = \"https://meet.example.com/{channel}?i={id}\"\n",
             &d);
    CHECK(c != NULL);
    CHECK_INT(c->incident_min_duration_minutes, 0);
    CHECK_INT(c->incident_min_affected_users, 10000000);
    CHECK_STR(c->incident_timezone, "Etc/UTC");
    CHECK_INT(c->severity_critical_percent, 100);
    CHECK_INT(c->severity_major_percent, 99);
    CHECK_STR(c->slack_channel_name, "incident_{id}");
    CHECK_STR(c->slack_announce_channel, "G0INCIDENTS");
    CHECK_STR(c->roles_irm_group, "S0IRMS0001");
    CHECK_INT(c->n_roles_irm_users, 2);
    CHECK_STR(c->roles_irm_users[0], "U0ALICE0001");
    CHECK_STR(c->roles_irm_users[1], "W0BOB000002");
    CHECK_STR(c->roles_dpo, "U0DPO000001");
    CHECK_INT(c->n_oncall_users, 3);
    CHECK_STR(c->oncall_users[2], "U0ERIN00001");
    CHECK_INT(c->breach_notify_within_hours, 720);
    CHECK_INT(c->n_breach_remind_before_hours, 0);
    CHECK_STR(c->call_url_template, "https://meet.example.com/{channel}?i={id}");
    cfg_free(c);

    c = load("[breach]\nremind_before_hours = [48, 12, 2, 1]\n[oncall]\nusers = []\n", &d);
    CHECK(c != NULL);
    CHECK_INT(c->n_breach_remind_before_hours, 4);
    CHECK_INT(c->breach_remind_before_hours[0], 48);
    CHECK_INT(c->breach_remind_before_hours[3], 1);
    CHECK_INT(c->n_oncall_users, 0);
    cfg_free(c);

    /* A list given twice in one file is impossible (TOML), but a 100-entry list is fine. */
    char big[8192];
    int n = snprintf(big, sizeof(big), "[oncall]\nusers = [");
    for (int i = 0; i < 100; i++)
        n += snprintf(big + n, sizeof(big) - (size_t)n, "%s\"U%09d\"", i ? "," : "", i);
    snprintf(big + n, sizeof(big) - (size_t)n, "]\n");
    c = load(big, &d);
    CHECK(c != NULL);
    CHECK_INT(c->n_oncall_users, 100);
    CHECK_STR(c->oncall_users[99], "U000000099");
    cfg_free(c);
}

/* A real zone needs tzdata; the check reads the zone file. */
static void test_timezone(void)
{
    struct cfg_diag d = {0};
    struct config *c;
    FILE *f = fopen("/usr/share/zoneinfo/Europe/Berlin", "rb");
    if (f != NULL) {
        fclose(f);
        c = load("[incident]\ntimezone = \"Europe/Berlin\"\n", &d);
        CHECK(c != NULL);
        CHECK_STR(c->incident_timezone, "Europe/Berlin");
        cfg_free(c);
        c = load("[incident]\ntimezone = \"America/Argentina/Buenos_Aires\"\n", &d);
        CHECK(c != NULL);
        cfg_free(c);
    } else {
        fprintf(stderr, "test_timezone: no tzdata, Europe/Berlin not tried\n");
    }
    static const char *const bad[] = {
        "Europe/Berln", "Europe",    "europe/berlin", "/etc/localtime", "../zoneinfo/UTC",
        ":UTC",         "CET-1CEST", "zone.tab",      "Europe/Berlin ", "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[200];
        snprintf(text, sizeof(text), "[log]\nlevel = \"info\"\n[incident]\ntimezone = \"%s\"\n",
                 bad[i]);
        CHECK_MSG(load(text, &d) == NULL, "timezone \"%s\" was accepted", bad[i]);
        CHECK_INT(d.n, 1);
        CHECK_MSG(strncmp(d.lines[0], "t.toml:4: [incident] timezone: ", 31) == 0, "%s",
                  d.lines[0]);
        cfg_diag_free(&d);
    }
    CHECK(load("[incident]\ntimezone = \"Europe/Berln\"\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_STR(d.lines[0], "t.toml:2: [incident] timezone: \"Europe/Berln\" is not a time zone in "
                          "/usr/share/zoneinfo; use an IANA name such as \"Europe/Berlin\", "
                          "\"America/New_York\" or \"UTC\"");
    cfg_diag_free(&d);
    CHECK(load("[incident]\ntimezone = 1\n", &d) == NULL);
    CHECK_STR(d.lines[0], "t.toml:2: [incident] timezone: expected a string, got an integer");
    cfg_diag_free(&d);
}

static void test_declare_ints_out_of_range(void)
{
    struct cfg_diag d = {0};
    CHECK(load("[incident]\nmin_duration_minutes = 10081\nmin_affected_users = -1\n"
               "[severity]\ncritical_percent = 101\nmajor_percent = 0\n"
               "[breach]\nnotify_within_hours = 0\n",
               &d) == NULL);
    CHECK_INT(d.n, 5);
    CHECK_STR(d.lines[0], "t.toml:2: [incident] min_duration_minutes: expected an integer from 0 "
                          "to 10080, got 10081");
    CHECK_STR(d.lines[1], "t.toml:3: [incident] min_affected_users: expected an integer from 0 to "
                          "10000000, got -1");
    CHECK_STR(d.lines[2], "t.toml:5: [severity] critical_percent: expected an integer from 1 to "
                          "100, got 101");
    CHECK_STR(d.lines[3], "t.toml:6: [severity] major_percent: expected an integer from 1 to 100, "
                          "got 0");
    CHECK_STR(d.lines[4], "t.toml:8: [breach] notify_within_hours: expected an integer from 1 to "
                          "720, got 0");
    cfg_diag_free(&d);

    CHECK(load("[incident]\nmin_duration_minutes = \"15\"\n[severity]\nmajor_percent = 1.5\n",
               &d) == NULL);
    CHECK_INT(d.n, 2);
    CHECK_STR(d.lines[0], "t.toml:2: [incident] min_duration_minutes: expected an integer, got a "
                          "string");
    CHECK_STR(d.lines[1], "t.toml:4: [severity] major_percent: expected an integer, got a float");
    cfg_diag_free(&d);
}

static void test_major_must_be_below_critical(void)
{
    struct cfg_diag d = {0};
    /* The order in the file does not matter: the check runs once every key is read. */
    CHECK(load("[severity]\nmajor_percent = 50\ncritical_percent = 50\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_STR(d.lines[0], "t.toml:2: [severity] major_percent (50) must be less than "
                          "critical_percent (50)");
    cfg_diag_free(&d);
    /* Only critical set: the default major (10) is compared, on critical's line. */
    CHECK(load("[log]\nlevel = \"info\"\n[severity]\ncritical_percent = 5\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_STR(d.lines[0], "t.toml:4: [severity] major_percent (10) must be less than "
                          "critical_percent (5)");
    cfg_diag_free(&d);
    /* A rejected value is not compared as well: one mistake, one message. */
    CHECK(load("[severity]\ncritical_percent = 500\nmajor_percent = 60\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_CONTAINS(d.lines[0], "t.toml:2: [severity] critical_percent: expected an integer");
    cfg_diag_free(&d);
}

static void test_slack_ids(void)
{
    struct cfg_diag d = {0};
    CHECK(load("[slack]\nannounce_channel = \"#incidents\"\n"
               "[roles]\nirm_group = \"@irms\"\ndpo = \"dpo@example.com\"\n"
               "irm_users = \"U0ALICE0001\"\n",
               &d) == NULL);
    CHECK_INT(d.n, 4);
    CHECK_STR(d.lines[0], "t.toml:2: [slack] announce_channel: \"#incidents\" is not a Slack "
                          "channel id (C… or G…, from the channel's details; not its name)");
    CHECK_STR(d.lines[1], "t.toml:4: [roles] irm_group: \"@irms\" is not a Slack user group id "
                          "(S…)");
    CHECK_STR(d.lines[2], "t.toml:5: [roles] dpo: \"dpo@example.com\" is not a Slack user id (U… "
                          "or W…)");
    CHECK_STR(d.lines[3], "t.toml:6: [roles] irm_users: expected an array of strings, got a "
                          "string");
    cfg_diag_free(&d);

    /* Shapes: the prefix, then 2 to 20 uppercase letters or digits. */
    static const char *const bad_channels[] = {
        "D0123456", "C1", "c0123456", "C0123abc", "C012345678901234567890", "U0ALICE0001"};
    for (size_t i = 0; i < sizeof(bad_channels) / sizeof(bad_channels[0]); i++) {
        char text[200];
        snprintf(text, sizeof(text), "[slack]\nannounce_channel = \"%s\"\n", bad_channels[i]);
        CHECK_MSG(load(text, &d) == NULL, "channel \"%s\" was accepted", bad_channels[i]);
        CHECK_CONTAINS(d.lines[0], "t.toml:2: [slack] announce_channel: ");
        cfg_diag_free(&d);
    }
    struct config *c = load("[slack]\nannounce_channel = \"C01234567890123456789\"\n", &d);
    CHECK(c != NULL);
    cfg_free(c);
}

static void test_user_lists(void)
{
    struct cfg_diag d = {0};
    /* Each element is checked and named by its index, on its own line. */
    CHECK(load("[oncall]\nusers = [\n  \"U0ALICE0001\",\n  \"W0BOB000002\",\n  \"bob\",\n"
               "  7,\n  \"U0ALICE0001\",\n]\n",
               &d) == NULL);
    CHECK_INT(d.n, 3);
    CHECK_STR(d.lines[0], "t.toml:5: [oncall] users[2]: \"bob\" is not a Slack user id (U… or W…)");
    CHECK_STR(d.lines[1], "t.toml:6: [oncall] users[3]: expected a string, got an integer");
    CHECK_STR(d.lines[2], "t.toml:7: [oncall] users[4]: \"U0ALICE0001\" is listed twice (also at "
                          "[0])");
    cfg_diag_free(&d);

    CHECK(load("[roles]\nirm_users = [\"U0ALICE0001\", \"\", \"u0alice0001\"]\n", &d) == NULL);
    CHECK_INT(d.n, 2);
    CHECK_STR(d.lines[0], "t.toml:2: [roles] irm_users[1]: \"\" is not a Slack user id (U… or W…)");
    CHECK_STR(d.lines[1], "t.toml:2: [roles] irm_users[2]: \"u0alice0001\" is not a Slack user id "
                          "(U… or W…)");
    cfg_diag_free(&d);

    /* Quotes and control characters are escaped in the message. */
    CHECK(load("[oncall]\nusers = [\"a\\\"b\\u0001\"]\n", &d) == NULL);
    CHECK_STR(d.lines[0], "t.toml:2: [oncall] users[0]: \"a\\x22b\\x01\" is not a Slack user id "
                          "(U… or W…)");
    cfg_diag_free(&d);

    /* At most CFG_MAX_STR_LIST entries. */
    char big[8192];
    int n = snprintf(big, sizeof(big), "[oncall]\nusers = [");
    for (int i = 0; i < CFG_MAX_STR_LIST + 1; i++)
        n += snprintf(big + n, sizeof(big) - (size_t)n, "%s\"U%09d\"", i ? "," : "", i);
    snprintf(big + n, sizeof(big) - (size_t)n, "]\n");
    CHECK(load(big, &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_STR(d.lines[0], "t.toml:2: [oncall] users: expected at most 100 entries, got 101");
    cfg_diag_free(&d);

    CHECK(load("[oncall]\nusers = [[\"U0ALICE0001\"]]\n", &d) == NULL);
    CHECK_STR(d.lines[0], "t.toml:2: [oncall] users[0]: expected a string, got an array");
    cfg_diag_free(&d);
}

static void test_remind_list(void)
{
    struct cfg_diag d = {0};
    /* Every bad element is reported, each with its index. */
    CHECK(load("[breach]\nremind_before_hours = [24, 0, \"4\", 721, 24]\n", &d) == NULL);
    CHECK_INT(d.n, 4);
    CHECK_STR(d.lines[0], "t.toml:2: [breach] remind_before_hours[1]: expected an integer from 1 "
                          "to 720, got 0");
    CHECK_STR(d.lines[1], "t.toml:2: [breach] remind_before_hours[2]: expected an integer, got a "
                          "string");
    CHECK_STR(d.lines[2], "t.toml:2: [breach] remind_before_hours[3]: expected an integer from 1 "
                          "to 720, got 721");
    CHECK_STR(d.lines[3], "t.toml:2: [breach] remind_before_hours[4]: 24 is listed twice (also at "
                          "[0])");
    cfg_diag_free(&d);

    CHECK(load("[breach]\nremind_before_hours = [1,2,3,4,5,6,7,8,9,10,11]\n", &d) == NULL);
    CHECK_STR(d.lines[0], "t.toml:2: [breach] remind_before_hours: expected at most 10 entries, "
                          "got 11");
    cfg_diag_free(&d);

    CHECK(load("[breach]\nremind_before_hours = 24\n", &d) == NULL);
    CHECK_STR(d.lines[0], "t.toml:2: [breach] remind_before_hours: expected an array of "
                          "integers, got an integer");
    cfg_diag_free(&d);

    /* Each reminder must come before the deadline: with the defaults [24, 4, 1], 4 hours is too
     * short for two of them. The message is on the line of the key the file sets. */
    CHECK(load("[breach]\nnotify_within_hours = 4\n", &d) == NULL);
    CHECK_INT(d.n, 2);
    CHECK_STR(d.lines[0], "t.toml:2: [breach] remind_before_hours[0]: 24 is not less than "
                          "notify_within_hours (4)");
    CHECK_STR(d.lines[1], "t.toml:2: [breach] remind_before_hours[1]: 4 is not less than "
                          "notify_within_hours (4)");
    cfg_diag_free(&d);
    CHECK(load("[breach]\nnotify_within_hours = 48\nremind_before_hours = [72, 1]\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_STR(d.lines[0], "t.toml:3: [breach] remind_before_hours[0]: 72 is not less than "
                          "notify_within_hours (48)");
    cfg_diag_free(&d);
    struct config *c =
        load("[breach]\nnotify_within_hours = 5\nremind_before_hours = [4, 1]\n", &d);
    CHECK(c != NULL);
    cfg_free(c);
}

static void test_channel_name_template(void)
{
    struct cfg_diag d = {0};
    CHECK(load("[slack]\nchannel_name = \"inc-{foo}\"\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_STR(d.lines[0], "t.toml:2: [slack] channel_name: \"inc-{foo}\": unknown placeholder "
                          "{foo}; use {date}, {id}, {slug} or {severity}");
    cfg_diag_free(&d);
    CHECK(load("[slack]\nchannel_name = \"\"\n", &d) == NULL);
    CHECK_STR(d.lines[0], "t.toml:2: [slack] channel_name: the template is empty");
    cfg_diag_free(&d);
    CHECK(load("[slack]\n\nchannel_name = \"{id}--{slug}\"\n", &d) == NULL);
    CHECK_CONTAINS(d.lines[0], "t.toml:3: [slack] channel_name: ");
    CHECK_CONTAINS(d.lines[0], "double hyphen");
    cfg_diag_free(&d);
}

static void test_call_url_template(void)
{
    static const struct {
        const char *url, *why;
    } bad[] = {
        {"https://meet.example.com/{room}", "unknown placeholder {room}; use {id} or {channel}"},
        {"https://meet.example.com/{ID}", "unknown placeholder {ID}"},
        {"https://meet.example.com/{}", "unknown placeholder {}"},
        {"https://meet.example.com/{id", "\"{\" without its \"}\""},
        {"https://meet.example.com/{id{channel}}", "\"{\" without its \"}\""},
        {"https://meet.example.com/id}", "\"}\" without its \"{\""},
        {"meet.example.com/{id}", "expected a URL starting with http:// or https://"},
        {"https:///{id}", "the URL has no host after https://"},
        {"https://meet.example.com/a b", "must not contain spaces"},
    };
    struct cfg_diag d = {0};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[300];
        snprintf(text, sizeof(text), "[call]\nurl_template = \"%s\"\n", bad[i].url);
        CHECK_MSG(load(text, &d) == NULL, "\"%s\" was accepted", bad[i].url);
        CHECK_INT(d.n, 1);
        CHECK_CONTAINS(d.lines[0], "t.toml:2: [call] url_template: ");
        CHECK_CONTAINS(d.lines[0], bad[i].why);
        cfg_diag_free(&d);
    }
    static const char *const good[] = {"", "http://meet.local/{id}",
                                       "https://zoom.example.com/j/123?pwd=x",
                                       "https://meet.example.com/{channel}-{id}/{id}"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char text[300];
        snprintf(text, sizeof(text), "[call]\nurl_template = \"%s\"\n", good[i]);
        struct config *c = load(text, &d);
        CHECK_MSG(c != NULL, "\"%s\": %s", good[i], d.n ? d.lines[0] : "");
        CHECK_STR(c->call_url_template, good[i]);
        cfg_free(c);
    }
}

/* Steps 4-7: the re-assessment interval and the public message templates. */
static void test_status_keys(void)
{
    struct cfg_diag d = {0};
    struct config *c = cfg_defaults();
    CHECK_INT(c->incident_reassess_after_minutes, 60);
    CHECK_CONTAINS(c->status_identified_template, "{title}");
    CHECK_CONTAINS(c->status_monitoring_template, "monitoring");
    CHECK_CONTAINS(c->status_resolved_template, "resolved");
    cfg_free(c);

    c = load("[incident]\nreassess_after_minutes = 0\n[status]\nidentified_template = "
             "\"INC-{id} ({severity}): {title} found\"\nresolved_template = \"\"\n", &d);
    CHECK_MSG(c != NULL, "%s", d.n ? d.lines[0] : "");
    CHECK_INT(c->incident_reassess_after_minutes, 0);
    CHECK_STR(c->status_identified_template, "INC-{id} ({severity}): {title} found");
    CHECK_STR(c->status_resolved_template, "");
    cfg_free(c);

    CHECK(load("[incident]\nreassess_after_minutes = 10081\n[status]\nmonitoring_template = "
               "\"{title} is {status}\"\nresolved_template = 3\n", &d) == NULL);
    CHECK_INT(d.n, 3);
    CHECK_STR(d.lines[0], "t.toml:2: [incident] reassess_after_minutes: expected an integer from "
                          "0 to 10080, got 10081");
    CHECK_CONTAINS(d.lines[1], "t.toml:4: [status] monitoring_template: unknown placeholder "
                               "\"{status}\"");
    CHECK_STR(d.lines[2], "t.toml:5: [status] resolved_template: expected a string, got an "
                          "integer");
    cfg_diag_free(&d);

    /* At most 2000 characters, counted as characters, not bytes. */
    char text[12000];
    int n = snprintf(text, sizeof(text), "[status]\nidentified_template = \"");
    for (int i = 0; i < 2000; i++)
        n += snprintf(text + n, sizeof(text) - (size_t)n, "\xc3\xa9");
    snprintf(text + n, sizeof(text) - (size_t)n, "\"\n");
    c = load(text, &d);
    CHECK_MSG(c != NULL, "%s", d.n ? d.lines[0] : "");
    cfg_free(c);
    snprintf(text + n, sizeof(text) - (size_t)n, "x\"\n");
    CHECK(load(text, &d) == NULL);
    CHECK_CONTAINS(d.lines[0], "at most 2000 characters");
    cfg_diag_free(&d);
}

/* The checklist, steps 3, 8 and 9: the support channel and the internal postmortem's deadline. */
static void test_steps_keys(void)
{
    struct cfg_diag d = {0};
    struct config *c = cfg_defaults();
    CHECK_STR(c->slack_support_channel, "");
    CHECK_INT(c->postmortem_due_hours, 24);
    CHECK_INT(c->n_postmortem_remind_before_hours, 1);
    CHECK_INT(c->postmortem_remind_before_hours[0], 4);
    CHECK_INT(c->n_postmortem_required_for, 3); /* every severity, as before the key existed */
    CHECK_STR(c->postmortem_required_for[0], "critical");
    CHECK_STR(c->postmortem_required_for[2], "minor");
    cfg_free(c);

    c = load("[slack]\nsupport_channel = \"C0SUPPORT01\"\n[postmortem]\ndue_hours = 48\n"
             "remind_before_hours = [24, 2]\n", &d);
    CHECK_MSG(c != NULL, "%s", d.n ? d.lines[0] : "");
    CHECK_STR(c->slack_support_channel, "C0SUPPORT01");
    CHECK_INT(c->postmortem_due_hours, 48);
    CHECK_INT(c->n_postmortem_remind_before_hours, 2);
    CHECK_INT(c->postmortem_remind_before_hours[1], 2);
    cfg_free(c);
    c = load("[postmortem]\nremind_before_hours = []\n", &d);
    CHECK(c != NULL);
    CHECK_INT(c->n_postmortem_remind_before_hours, 0);
    cfg_free(c);
    c = load("[postmortem]\nrequired_for = [\"critical\", \"major\"]\n", &d);
    CHECK_MSG(c != NULL, "%s", d.n ? d.lines[0] : "");
    CHECK_INT(c->n_postmortem_required_for, 2);
    CHECK_STR(c->postmortem_required_for[1], "major");
    cfg_free(c);
    c = load("[postmortem]\nrequired_for = []\n", &d); /* optional for every severity */
    CHECK(c != NULL);
    CHECK_INT(c->n_postmortem_required_for, 0);
    cfg_free(c);
    CHECK(load("[postmortem]\nrequired_for = [\"major\", \"urgent\"]\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_CONTAINS(d.lines[0], "t.toml:2: [postmortem] required_for");
    CHECK_CONTAINS(d.lines[0], "(critical, major, minor)");
    cfg_diag_free(&d);

    CHECK(load("[slack]\nsupport_channel = \"#support\"\n[postmortem]\ndue_hours = 0\n", &d) ==
          NULL);
    CHECK_INT(d.n, 2);
    CHECK_CONTAINS(d.lines[0], "t.toml:2: [slack] support_channel: \"#support\" is not a Slack");
    CHECK_CONTAINS(d.lines[1], "t.toml:4: [postmortem] due_hours: expected an integer from 1 to "
                               "720");
    cfg_diag_free(&d);
    /* A reminder at or after the deadline is an error, named on its line. */
    CHECK(load("[postmortem]\ndue_hours = 6\nremind_before_hours = [2, 6]\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_STR(d.lines[0], "t.toml:3: [postmortem] remind_before_hours[1]: 6 is not less than "
                          "due_hours (6)");
    cfg_diag_free(&d);
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

/* [statuspage.atlassian]: a sub-table of [statuspage]; the mirror is off by default. */
static void test_statuspage_atlassian(void)
{
    struct cfg_diag d = {0};
    struct config *c = cfg_defaults();
    CHECK_STR(c->atlassian_api_base_url, "https://api.statuspage.io/v1");
    CHECK_STR(c->atlassian_page_id, "");
    CHECK_INT(c->n_atlassian_components, 0);
    cfg_free(c);
    c = load("[statuspage]\ntitle = \"S\"\n[statuspage.atlassian]\n"
             "api_base_url = \"http://127.0.0.1:9/v1\"\npage_id = \"kctbh9vrtdwd\"\n"
             "components = [\"API=8kbf7d35c070\", \"Web UI=2dkk3p0q9r1v\"]\n", &d);
    CHECK_MSG(c != NULL, "%s", d.n ? d.lines[0] : "");
    CHECK_STR(c->atlassian_api_base_url, "http://127.0.0.1:9/v1/");
    CHECK_STR(c->atlassian_page_id, "kctbh9vrtdwd");
    CHECK_INT(c->n_atlassian_components, 2);
    CHECK_STR(c->atlassian_components[1], "Web UI=2dkk3p0q9r1v");
    cfg_free(c);
    CHECK(load("[statuspage.atlassian]\npage_id = \"a/b\"\ncomponents = [\"API\", \"=x\","
               " \"API=\", \"API=a b\"]\npage = 1\n", &d) == NULL);
    CHECK_INT(d.n, 6);
    CHECK_CONTAINS(d.lines[0], "t.toml:2: [statuspage.atlassian] page_id:");
    CHECK_CONTAINS(d.lines[1], "components[0]: \"API\" must be name=statuspage_component_id");
    CHECK_CONTAINS(d.lines[5], "t.toml:4: [statuspage.atlassian] unknown key \"page\"");
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

/* [http] internal_listen: its own address, checked like listen and never listen's. */
static void test_internal_listen(void)
{
    struct cfg_diag d = {0};
    struct config *c = load("[http]\nlisten = \"0.0.0.0:80\"\ninternal_listen = \"[::1]:9100\"\n",
                            &d);
    CHECK(c != NULL);
    CHECK_STR(c->http_listen, "0.0.0.0:80");
    CHECK_STR(c->http_host, "0.0.0.0");
    CHECK_INT(c->http_port, 80);
    CHECK_STR(c->http_internal_listen, "[::1]:9100");
    CHECK_STR(c->http_internal_host, "::1");
    CHECK_INT(c->http_internal_port, 9100);
    cfg_free(c);

    /* Port 0 picks a free port for each: both may say so (the tests do). */
    c = load("[http]\nlisten = \"127.0.0.1:0\"\ninternal_listen = \"127.0.0.1:0\"\n", &d);
    CHECK(c != NULL);
    CHECK_INT(c->http_internal_port, 0);
    cfg_free(c);
    /* Another port of the same host, or the same port of another host, is fine. */
    c = load("[http]\nlisten = \"10.0.0.1:8080\"\ninternal_listen = \"127.0.0.1:8080\"\n", &d);
    CHECK(c != NULL);
    cfg_free(c);
    CHECK_INT(d.n, 0);

    /* Malformed: the same messages as listen's, naming internal_listen and its line. */
    CHECK(load("[http]\ninternal_listen = \"localhost\"\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_STR(d.lines[0], "t.toml:2: [http] internal_listen: expected host:port, e.g. "
                          "\"127.0.0.1:8080\", got \"localhost\"");
    cfg_diag_free(&d);
    CHECK(load("[http]\n\ninternal_listen = \"127.0.0.1:99999\"\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_CONTAINS(d.lines[0], "t.toml:3: [http] internal_listen: the port must be a number");
    cfg_diag_free(&d);
    CHECK(load("[http]\ninternal_listen = 8081\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_STR(d.lines[0], "t.toml:2: [http] internal_listen: expected a \"host:port\" string, got "
                          "an integer");
    cfg_diag_free(&d);
    CHECK(load("[http]\ninternal_listen = \":8081\"\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_CONTAINS(d.lines[0], "t.toml:2: [http] internal_listen: the host is empty");
    cfg_diag_free(&d);

    /* The same address as listen: one error, on internal_listen's line. */
    CHECK(load("[http]\nlisten = \"127.0.0.1:9000\"\n\ninternal_listen = \"127.0.0.1:9000\"\n",
               &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_STR(d.lines[0], "t.toml:4: [http] internal_listen (\"127.0.0.1:9000\") must be another "
                          "address than listen (\"127.0.0.1:9000\"): the internal listener "
                          "serves /healthz and /metrics, which must not be public; give it a "
                          "port of its own, e.g. \"127.0.0.1:9001\"");
    cfg_diag_free(&d);
    /* listen moved onto internal_listen's default: said on listen's line. */
    CHECK(load("[http]\nlisten = \"127.0.0.1:8081\"\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_CONTAINS(d.lines[0], "t.toml:2: [http] internal_listen (\"127.0.0.1:8081\", its "
                               "default) must be another address than listen");
    cfg_diag_free(&d);
    /* A wildcard takes the port on every address, loopback included. */
    CHECK(load("[http]\nlisten = \"0.0.0.0:8080\"\ninternal_listen = \"127.0.0.1:8080\"\n",
               &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_CONTAINS(d.lines[0], "t.toml:3: [http] internal_listen (\"127.0.0.1:8080\") must be");
    cfg_diag_free(&d);
    CHECK(load("[http]\nlisten = \"[::1]:8080\"\ninternal_listen = \"[::]:8080\"\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    cfg_diag_free(&d);
    /* A malformed listen is one message, not a second one about the pair. */
    CHECK(load("[http]\nlisten = \"127.0.0.1\"\ninternal_listen = \"127.0.0.1:8080\"\n", &d) ==
          NULL);
    CHECK_INT(d.n, 1);
    CHECK_CONTAINS(d.lines[0], "t.toml:2: [http] listen: expected host:port");
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

/* [[webhooks]]: every key applied, defaults for the optional ones, lanes from names. */
static void test_webhooks_applied(void)
{
    struct cfg_diag d = {0};
    struct config *c = load("[[webhooks]]\nurl = \"https://hooks.example.com/in\"\n"
                            "secret_env = \"SOCIAL_SECRET\"\nname = \"social\"\n"
                            "events = [\"incident.published\", \"incident.resolved\"]\n"
                            "timeout_seconds = 30\n"
                            "[[webhooks]]\nurl = \"http://127.0.0.1:9/x\"\n"
                            "secret_env = \"OTHER_SECRET\"\n", &d);
    CHECK_MSG(c != NULL, "%s", d.n ? d.lines[0] : "");
    CHECK_INT(c->n_webhooks, 2);
    CHECK_STR(c->webhooks[0].name, "social");
    CHECK_STR(c->webhooks[0].lane, "webhook:social");
    CHECK_STR(c->webhooks[0].url, "https://hooks.example.com/in");
    CHECK_STR(c->webhooks[0].secret_env, "SOCIAL_SECRET");
    CHECK_INT(c->webhooks[0].events, (1u << HOOK_PUBLISHED) | (1u << HOOK_RESOLVED));
    CHECK_INT(c->webhooks[0].timeout_seconds, 30);
    CHECK(c->webhooks[0].secret == NULL);
    /* Defaults: every event, 10 s, a name from the URL (stable while the URL is). */
    CHECK_INT(c->webhooks[1].events, HOOK_ALL_EVENTS);
    CHECK_INT(c->webhooks[1].timeout_seconds, CFG_WEBHOOK_TIMEOUT_DEFAULT);
    CHECK(strncmp(c->webhooks[1].name, "url-", 4) == 0 && strlen(c->webhooks[1].name) == 12);
    char lane[64];
    snprintf(lane, sizeof(lane), "webhook:%s", c->webhooks[1].name);
    CHECK(cfg_webhook_by_lane(c, lane) == &c->webhooks[1]);
    CHECK(cfg_webhook_by_lane(c, "webhook:nope") == NULL);
    CHECK(cfg_webhook_by_lane(c, "statuspage") == NULL);
    cfg_free(c);
    c = cfg_defaults();
    CHECK_INT(c->n_webhooks, 0);
    cfg_free(c);
}

/* Each mistake named with its line and what was expected; nothing is loaded. */
static void test_webhooks_errors(void)
{
    struct cfg_diag d = {0};
    CHECK(load("[[webhooks]]\n"                                       /* 1 */
               "url = \"ftp://x/\"\n"                                  /* 2 */
               "secret_env = \"lower-case\"\n"                         /* 3 */
               "events = [\"incident.published\", \"incident.closed\"]\n" /* 4 */
               "timeout_seconds = 0\n"                                 /* 5 */
               "colour = \"red\"\n"                                    /* 6 */
               "[[webhooks]]\n"                                        /* 7 */
               "name = \"has space\"\n"                                /* 8 */
               "events = []\n"                                         /* 9 */
               "timeout_seconds = \"5\"\n",                            /* 10 */
               &d) == NULL);
    CHECK_INT(d.n, 10);
    CHECK_STR(d.lines[0], "t.toml:6: [[webhooks]] unknown key \"colour\" (url, events, "
                          "secret_env, name, timeout_seconds)");
    CHECK_CONTAINS(d.lines[1], "t.toml:2: [[webhooks]] #1: url: expected a URL starting with "
                               "http:// or https://");
    CHECK_CONTAINS(d.lines[2], "t.toml:3: [[webhooks]] #1: secret_env: expected the name of an "
                               "environment variable");
    CHECK_CONTAINS(d.lines[3], "t.toml:5: [[webhooks]] #1: timeout_seconds: expected 1 to 120, "
                               "got 0");
    CHECK_CONTAINS(d.lines[4], "t.toml:4: [[webhooks]] #1: events[1]: expected one of "
                               "incident.published");
    CHECK_CONTAINS(d.lines[4], "got \"incident.closed\"");
    CHECK_CONTAINS(d.lines[5], "t.toml:7: [[webhooks]] #2: \"url\" is required");
    CHECK_CONTAINS(d.lines[6], "t.toml:7: [[webhooks]] #2: \"secret_env\" is required");
    CHECK_CONTAINS(d.lines[7], "t.toml:8: [[webhooks]] #2: name: expected letters, digits, - and _, got "
                               "\"has space\"");
    CHECK_CONTAINS(d.lines[8], "t.toml:10: [[webhooks]] #2: timeout_seconds: expected an "
                               "integer, got string");
    CHECK_CONTAINS(d.lines[9], "t.toml:9: [[webhooks]] #2: \"events\" must be a non-empty list");
    cfg_diag_free(&d);

    /* Names are unique (two unnamed webhooks to the same URL would share a lane). */
    CHECK(load("[[webhooks]]\nurl = \"http://a/\"\nsecret_env = \"A\"\n"
               "[[webhooks]]\nurl = \"http://a/\"\nsecret_env = \"B\"\n"
               "[[webhooks]]\nurl = \"http://b/\"\nsecret_env = \"C\"\nname = \"x\"\n"
               "[[webhooks]]\nurl = \"http://c/\"\nsecret_env = \"D\"\nname = \"x\"\n", &d) ==
          NULL);
    CHECK_INT(d.n, 2);
    CHECK_CONTAINS(d.lines[0], "t.toml:5: [[webhooks]] #2: the same url as an earlier webhook");
    CHECK_STR(d.lines[1], "t.toml:14: [[webhooks]] #4: name \"x\" is given twice");
    cfg_diag_free(&d);

    /* Not an array of tables; a URL without a host; a name too long for a lane. */
    CHECK(load("webhooks = \"http://a/\"\n", &d) == NULL);
    CHECK_INT(d.n, 1);
    CHECK_STR(d.lines[0], "t.toml:1: \"webhooks\" must be an array of tables ([[webhooks]]), "
                          "got string");
    cfg_diag_free(&d);
    CHECK(load("[[webhooks]]\nurl = \"https:///x\"\nsecret_env = \"S\"\n"
               "name = \"abcdefghijklmnopqrstuvwxyz\"\n", &d) == NULL);
    CHECK_INT(d.n, 2);
    CHECK_CONTAINS(d.lines[0], "t.toml:4: [[webhooks]] #1: \"name\" must be 1 to 23 bytes");
    CHECK_CONTAINS(d.lines[1], "t.toml:2: [[webhooks]] #1: url: expected a URL starting with "
                               "http:// or https:// with a host");
    cfg_diag_free(&d);
}

/* The commented [[webhooks]] example of config.example.toml loads once uncommented. */
static void test_webhook_example_loads(void)
{
    FILE *f = fopen(example_path, "rb");
    CHECK(f != NULL);
    char line[512], text[4096] = "";
    size_t used = 0;
    bool in = false;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strcmp(line, "# [[webhooks]]\n") == 0)
            in = true;
        if (in && strncmp(line, "# ", 2) != 0)
            break;
        if (in) {
            size_t n = strlen(line + 2);
            if (used + n < sizeof(text)) {
                memcpy(text + used, line + 2, n + 1);
                used += n;
            }
        }
    }
    fclose(f);
    CHECK_MSG(used > 0, "no [[webhooks]] example in %s", example_path);
    struct cfg_diag d = {0};
    struct config *c = load(text, &d);
    CHECK_MSG(c != NULL, "%s", d.n ? d.lines[0] : "");
    CHECK_INT(c->n_webhooks, 1);
    CHECK_STR(c->webhooks[0].lane, "webhook:social");
    CHECK_INT(c->webhooks[0].events, (1u << HOOK_PUBLISHED) | (1u << HOOK_RESOLVED));
    cfg_free(c);
}

/* A fake environment for webhook secrets. */
static const char *env_hook;

static const char *hook_getenv(const char *name)
{
    if (strcmp(name, "HOOK_SECRET") == 0)
        return env_hook;
    if (strcmp(name, "SLACK_BOT_TOKEN") == 0)
        return "xoxb-1234-5678-abcdefABCDEF";
    if (strcmp(name, "SLACK_APP_TOKEN") == 0)
        return "xapp-1-A111-222-abcdef0123";
    return NULL;
}

static void test_webhook_secret_from_environment(void)
{
    struct cfg_diag d = {0};
    struct config *c = load("[[webhooks]]\nurl = \"http://a/\"\nsecret_env = \"HOOK_SECRET\"\n"
                            "name = \"social\"\n", &d);
    CHECK(c != NULL);
    env_hook = NULL;
    CHECK_INT(cfg_load_secrets(c, hook_getenv, &d), BOT_ECONFIG);
    CHECK_INT(d.n, 1);
    CHECK_STR(d.lines[0], "HOOK_SECRET is not set: export the signing secret of [[webhooks]] "
                          "\"social\" (its secret_env) in the environment");
    cfg_diag_free(&d);
    env_hook = "short-secret";
    CHECK_INT(cfg_load_secrets(c, hook_getenv, &d), BOT_ECONFIG);
    CHECK_INT(d.n, 1);
    CHECK_CONTAINS(d.lines[0], "HOOK_SECRET: the signing secret of [[webhooks]] \"social\" must "
                               "be 16 to 1024 bytes long");
    CHECK(strstr(d.lines[0], "short-secret") == NULL); /* never the value */
    CHECK(c->webhooks[0].secret == NULL);
    cfg_diag_free(&d);
    env_hook = "0123456789abcdef0123456789abcdef";
    CHECK_INT(cfg_load_secrets(c, hook_getenv, &d), BOT_OK);
    CHECK_STR(c->webhooks[0].secret, env_hook);
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
    RUN(test_defaults_of_declare_keys);
    RUN(test_reference_loads_as_the_defaults);
    RUN(test_declare_keys_are_applied);
    RUN(test_timezone);
    RUN(test_declare_ints_out_of_range);
    RUN(test_major_must_be_below_critical);
    RUN(test_slack_ids);
    RUN(test_user_lists);
    RUN(test_remind_list);
    RUN(test_channel_name_template);
    RUN(test_call_url_template);
    RUN(test_status_keys);
    RUN(test_steps_keys);
    RUN(test_example_file_is_valid_and_complete);
    RUN(test_values_are_applied);
    RUN(test_unknown_key_names_line_and_suggests);
    RUN(test_unknown_table_and_top_level_key);
    RUN(test_statuspage_atlassian);
    RUN(test_wrong_types_and_ranges_all_reported);
    RUN(test_internal_listen);
    RUN(test_bad_url_and_port);
    RUN(test_slack_table_must_be_a_table);
    RUN(test_syntax_error_has_line_and_column);
    RUN(test_missing_file);
    RUN(test_secrets_good);
    RUN(test_secrets_missing_and_wrong_kind);
    RUN(test_secrets_malformed);
    RUN(test_webhooks_applied);
    RUN(test_webhooks_errors);
    RUN(test_webhook_secret_from_environment);
    RUN(test_webhook_example_loads);
    RUN(test_log_redacts_tokens);
    RUN(test_log_line_is_logfmt);
    RUN(test_long_log_line_is_cut_and_marked);
    return CHECK_DONE();
}
