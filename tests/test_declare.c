/*
 * Unit tests of the pure parts of /incident declare: the text parser and
 * each of its mistakes, the incident definition, the severity suggestion,
 * and channel names (slug, template, variants, the config-time check).
 */
#include <stdint.h>
#include <stdlib.h>

#include "chan_name.h"
#include "check.h"
#include "declare.h"

#define S(x) INT64_C(x)
#define MIN S(60000)
/* 2024-03-10T00:20:00Z: twenty minutes after midnight UTC. */
static const int64_t NOW = S(1710030000000);

/* Splits "declare " + text and parses from the word after "declare". */
static enum bot_rc parse_tz(const char *text, int64_t now, int tz, struct declare_req *r,
                            struct bot_err *e)
{
    char line[CMD_MAX_TEXT + 16];
    struct cmd_args a;
    int n = snprintf(line, sizeof(line), "declare %s", text);
    if (n < 0 || (size_t)n >= sizeof(line))
        return BOT_ETOOBIG;
    e->msg[0] = '\0';
    enum bot_rc rc = cmd_split(line, (size_t)n, &a, e);
    if (rc)
        return rc;
    rc = declare_parse(&a, 1, now, tz, r, e);
    cmd_args_free(&a);
    return rc;
}

static enum bot_rc parse(const char *text, struct declare_req *r, struct bot_err *e)
{
    return parse_tz(text, NOW, 0, r, e);
}

/* Parses text, which must fail, and checks the exact message. */
#define CHECK_BAD(text_, want_)                                                                       \
    do {                                                                                           \
        struct declare_req r_;                                                                     \
        struct bot_err e_;                                                                         \
        CHECK_INT(parse(text_, &r_, &e_), BOT_EINVAL);                                              \
        CHECK_STR(e_.msg, want_);                                                                    \
    } while (0)

static void test_title_and_severity(void)
{
    struct declare_req r;
    struct bot_err e;
    CHECK_INT(parse("DB is down --sev major", &r, &e), BOT_OK);
    CHECK_STR(r.title, "DB is down");
    CHECK(r.has_sev);
    CHECK_INT(r.severity, SEV_MAJOR);
    CHECK(!r.breach && !r.has_started && !r.has_users);
    CHECK_INT(r.ncomponents, 0);

    CHECK_INT(parse("Checkout   fails for EU", &r, &e), BOT_OK);
    CHECK_STR(r.title, "Checkout fails for EU");
    CHECK(!r.has_sev);

    /* blanks and line breaks collapse to one space; the quotes stay as typed */
    CHECK_INT(parse("\"  Search\n\tslow  \" now", &r, &e), BOT_OK);
    CHECK_STR(r.title, "\" Search slow \" now");
}

static void test_title_keeps_quotes(void)
{
    struct declare_req r;
    struct bot_err e;
    CHECK_INT(parse("Users see \"Error 500\"", &r, &e), BOT_OK);
    CHECK_STR(r.title, "Users see \"Error 500\"");
    CHECK_INT(parse("\"DB is down\" --sev major", &r, &e), BOT_OK);
    CHECK_STR(r.title, "\"DB is down\"");
    CHECK_INT(r.severity, SEV_MAJOR);
    /* typographic quotes, apostrophes, a lone quote and a backslash are text too */
    CHECK_INT(parse("Users see \xe2\x80\x9c" "Error 500\xe2\x80\x9d on \xe2\x80\x98" "cart\xe2\x80\x99 "
                    "--sev minor", &r, &e), BOT_OK);
    CHECK_STR(r.title, "Users see \xe2\x80\x9c" "Error 500\xe2\x80\x9d on \xe2\x80\x98" "cart\xe2\x80\x99");
    CHECK_INT(r.severity, SEV_MINOR);
    CHECK_INT(parse("5\" screens can't load 'cart \\o/", &r, &e), BOT_OK);
    CHECK_STR(r.title, "5\" screens can't load 'cart \\o/");
    CHECK_INT(parse("\"DB down --sev major", &r, &e), BOT_OK);
    CHECK_STR(r.title, "\"DB down");
    CHECK_INT(r.severity, SEV_MAJOR);

    /* the flags, and their quoted multi-word values, work as before */
    CHECK_INT(parse("Checkout down --severity critical --component Checkout", &r, &e), BOT_OK);
    CHECK_STR(r.title, "Checkout down");
    CHECK_INT(r.severity, SEV_CRITICAL);
    CHECK_INT(r.ncomponents, 1);
    CHECK_STR(r.components[0], "Checkout");
    CHECK_INT(parse("Users see \"Error 500\" --component \"EU API\" --component 'US API' "
                    "--component \xe2\x80\x9c" "Asia API\xe2\x80\x9d --component=\"Web app\" --sev major",
                    &r, &e), BOT_OK);
    CHECK_STR(r.title, "Users see \"Error 500\"");
    CHECK_INT(r.ncomponents, 4);
    CHECK_STR(r.components[0], "EU API");
    CHECK_STR(r.components[1], "US API");
    CHECK_STR(r.components[2], "Asia API");
    CHECK_STR(r.components[3], "Web app");
    CHECK_INT(r.severity, SEV_MAJOR);
    /* title words on both sides of a flag: each run as typed, one space between */
    CHECK_INT(parse("\"Search\" --sev minor  is \"slow\"", &r, &e), BOT_OK);
    CHECK_STR(r.title, "\"Search\" is \"slow\"");
}

static void test_flags_anywhere(void)
{
    struct declare_req r;
    struct bot_err e;
    CHECK_INT(parse("--sev=CRITICAL API --breach is --users 12 down --component api", &r, &e),
              BOT_OK);
    CHECK_STR(r.title, "API is down");
    CHECK_INT(r.severity, SEV_CRITICAL);
    CHECK(r.breach);
    CHECK(r.has_users);
    CHECK_INT(r.users, 12);
    CHECK_INT(r.ncomponents, 1);
    CHECK_STR(r.components[0], "api");

    CHECK_INT(parse("Login broken --SEVERITY Minor", &r, &e), BOT_OK);
    CHECK_STR(r.title, "Login broken");
    CHECK_INT(r.severity, SEV_MINOR);

    /* phones turn "--" into an em or en dash */
    CHECK_INT(parse("Login broken \xe2\x80\x94sev major \xe2\x80\x93" "breach", &r, &e), BOT_OK);
    CHECK_STR(r.title, "Login broken");
    CHECK_INT(r.severity, SEV_MAJOR);
    CHECK(r.breach);

    /* a lone dash is a title word; "--" ends the flags */
    CHECK_INT(parse("API \xe2\x80\x94 down --sev minor -- --not-a-flag x", &r, &e), BOT_OK);
    CHECK_STR(r.title, "API \xe2\x80\x94 down --not-a-flag x");
    CHECK_INT(r.severity, SEV_MINOR);

    /* a quoted title that starts with "--" is not a flag (and keeps its quotes) */
    CHECK_INT(parse("\"--force push broke main\" --sev=major", &r, &e), BOT_OK);
    CHECK_STR(r.title, "\"--force push broke main\"");
    CHECK_INT(parse("--sev \"minor\" \"x --users 5\"", &r, &e), BOT_OK);
    CHECK_STR(r.title, "\"x --users 5\"");
    CHECK(!r.has_users);

    /* same value twice is fine; different values are a mistake */
    CHECK_INT(parse("x --sev major --sev MAJOR --breach --breach", &r, &e), BOT_OK);
    CHECK_BAD("x --sev major --sev minor", "--sev: given twice with different values; give it once");
    CHECK_BAD("x --users 3 --users 4", "--users: given twice with different values; give it once");
    CHECK_BAD("x --started 5m --started 6m",
              "--started: given twice with different values; give it once");
}

static void test_bad_severity(void)
{
    CHECK_BAD("x --sev huge", "--sev: expected critical, major or minor, got \"huge\"");
    CHECK_BAD("x --severity=<!channel>",
              "--severity: expected critical, major or minor, got \"@channel\"");
    CHECK_BAD("x --sev", "--sev: missing value; expected critical, major or minor");
    CHECK_BAD("x --sev= y", "--sev: missing value; expected critical, major or minor");
    CHECK_BAD("x --sev --breach", "--sev: missing value; expected critical, major or minor");
    CHECK_BAD("x --breach=yes", "--breach takes no value; write just --breach");
}

static void test_unknown_flags(void)
{
    CHECK_BAD("x --sevrity major", "unknown flag \"--sevrity\"; did you mean --severity?");
    CHECK_BAD("x --user 5", "unknown flag \"--user\"; did you mean --users?");
    CHECK_BAD("x --comp api", "unknown flag \"--comp\"; did you mean --component?");
    CHECK_BAD("x --start=5m", "unknown flag \"--start\"; did you mean --started?");
    CHECK_BAD("x --frobnicate",
              "unknown flag \"--frobnicate\"; the flags are --sev, --breach, --started, --users "
              "and --component");
    CHECK_BAD("x --<!channel>",
              "unknown flag \"--@channel\"; the flags are --sev, --breach, --started, "
              "--users and --component");
    CHECK_BAD("x \xe2\x80\x94sevv=1", "unknown flag \"\xe2\x80\x94sevv\"; did you mean --sev?");
}

static void test_users(void)
{
    struct declare_req r;
    struct bot_err e;
    CHECK_INT(parse("x --users 0", &r, &e), BOT_OK);
    CHECK(r.has_users);
    CHECK_INT(r.users, 0);
    CHECK_INT(parse("x --users=10000000", &r, &e), BOT_OK);
    CHECK_INT(r.users, 10000000);
    CHECK_BAD("x --users -3", "--users: expected a whole number from 0 to 10000000, got \"-3\"");
    CHECK_BAD("x --users 12abc",
              "--users: expected a whole number from 0 to 10000000, got \"12abc\"");
    CHECK_BAD("x --users 10000001",
              "--users: expected a whole number from 0 to 10000000, got \"10000001\"");
    CHECK_BAD("x --users 99999999999999999999999",
              "--users: expected a whole number from 0 to 10000000, got \"99999999999999999999999\"");
    CHECK_BAD("x --users \"<!here>\"",
              "--users: expected a whole number from 0 to 10000000, got \"@here\"");
    CHECK_BAD("x --users", "--users: missing value; expected a whole number from 0 to 10000000");
}

static void test_started_relative(void)
{
    struct declare_req r;
    struct bot_err e;
    CHECK_INT(parse("x --started 40m", &r, &e), BOT_OK);
    CHECK(r.has_started);
    CHECK_INT(r.started_at_ms, NOW - 40 * MIN);
    CHECK_INT(parse("x --started 2h", &r, &e), BOT_OK);
    CHECK_INT(r.started_at_ms, NOW - 120 * MIN);
    CHECK_INT(parse("x --started 90s", &r, &e), BOT_OK);
    CHECK_INT(r.started_at_ms, NOW - S(90000));
    CHECK_INT(parse("x --started=1h30m", &r, &e), BOT_OK);
    CHECK_INT(r.started_at_ms, NOW - 90 * MIN);
    CHECK_INT(parse("x --started 1H5M10S", &r, &e), BOT_OK);
    CHECK_INT(r.started_at_ms, NOW - 65 * MIN - S(10000));
    CHECK_INT(parse("x --started 30d", &r, &e), BOT_OK);
    CHECK_INT(r.started_at_ms, NOW - 30 * 1440 * MIN);
    CHECK_INT(parse("x --started 720h", &r, &e), BOT_OK);

    CHECK_BAD("x --started 0m",
              "--started: expected more than 0 and at most 30 days ago, got \"0m\"");
    CHECK_BAD("x --started 721h",
              "--started: expected more than 0 and at most 30 days ago, got \"721h\"");
    CHECK_BAD("x --started 99999999999999m",
              "--started: expected more than 0 and at most 30 days ago, got \"99999999999999m\"");
    CHECK_BAD("x --started 40",
              "--started: expected a duration like 40m, 2h or 1h30m, or a time like 14:05, got "
              "\"40\"");
    CHECK_BAD("x --started 30m1h",
              "--started: expected a duration like 40m, 2h or 1h30m, or a time like 14:05, got "
              "\"30m1h\"");
    CHECK_BAD("x --started 5m5m",
              "--started: expected a duration like 40m, 2h or 1h30m, or a time like 14:05, got "
              "\"5m5m\"");
    CHECK_BAD("x --started m",
              "--started: expected a duration like 40m, 2h or 1h30m, or a time like 14:05, got "
              "\"m\"");
    CHECK_BAD("x --started <!channel>",
              "--started: expected a duration like 40m, 2h or 1h30m, or a time like 14:05, got "
              "\"@channel\"");
}

static void test_started_clock(void)
{
    struct declare_req r;
    struct bot_err e;
    /* UTC+1: it is 01:20 local on 2024-03-10 */
    CHECK_INT(parse_tz("x --started 01:05", NOW, 60, &r, &e), BOT_OK);
    CHECK_INT(r.started_at_ms, S(1710029100000)); /* 00:05Z */
    CHECK_INT(parse_tz("x --started 00:30", NOW, 60, &r, &e), BOT_OK);
    CHECK_INT(r.started_at_ms, S(1710027000000)); /* 2024-03-09T23:30Z, same local day */
    CHECK_INT(parse_tz("x --started 23:50", NOW, 60, &r, &e), BOT_OK);
    CHECK_INT(r.started_at_ms, S(1710024600000)); /* yesterday 23:50 local = 22:50Z */
    CHECK_INT(parse_tz("x --started 1:20", NOW, 60, &r, &e), BOT_OK);
    CHECK_INT(r.started_at_ms, NOW); /* now is not in the future */
    CHECK_INT(parse_tz("x --started 01:21", NOW, 60, &r, &e), BOT_OK);
    CHECK_INT(r.started_at_ms, NOW + MIN - 1440 * MIN);
    /* UTC+0: 00:20; 00:10 is today, 00:30 yesterday */
    CHECK_INT(parse_tz("x --started 00:10", NOW, 0, &r, &e), BOT_OK);
    CHECK_INT(r.started_at_ms, NOW - 10 * MIN);
    CHECK_INT(parse_tz("x --started 00:30", NOW, 0, &r, &e), BOT_OK);
    CHECK_INT(r.started_at_ms, NOW + 10 * MIN - 1440 * MIN);
    /* UTC-5 at 03:00Z: 22:00 local on 2024-03-09 */
    int64_t now2 = S(1710039600000);
    CHECK_INT(parse_tz("x --started 21:30", now2, -300, &r, &e), BOT_OK);
    CHECK_INT(r.started_at_ms, S(1710037800000)); /* 02:30Z */
    CHECK_INT(parse_tz("x --started 23:00", now2, -300, &r, &e), BOT_OK);
    CHECK_INT(r.started_at_ms, S(1709956800000)); /* 2024-03-08 23:00 local = 03-09T04:00Z */
    /* UTC+5:45 (Nepal) */
    CHECK_INT(parse_tz("x --started 06:00", NOW, 345, &r, &e), BOT_OK);
    CHECK_INT(r.started_at_ms, NOW - 5 * MIN); /* 06:05 local now */

    CHECK_BAD("x --started 25:99",
              "--started: expected a time of day from 00:00 to 23:59, got \"25:99\"");
    CHECK_BAD("x --started 24:00",
              "--started: expected a time of day from 00:00 to 23:59, got \"24:00\"");
    CHECK_BAD("x --started 12:60",
              "--started: expected a time of day from 00:00 to 23:59, got \"12:60\"");
    CHECK_BAD("x --started 1:5",
              "--started: expected a duration like 40m, 2h or 1h30m, or a time like 14:05, got "
              "\"1:5\"");
    CHECK_BAD("x --started 123:00",
              "--started: expected a duration like 40m, 2h or 1h30m, or a time like 14:05, got "
              "\"123:00\"");
    CHECK_BAD("x --started 12:00pm",
              "--started: expected a duration like 40m, 2h or 1h30m, or a time like 14:05, got "
              "\"12:00pm\"");
    CHECK_INT(parse_tz("x", NOW, 15 * 60, &r, &e), BOT_EINVAL);
    CHECK_STR(e.msg, "the time zone offset 900 min is out of range");
}

static void test_components(void)
{
    struct declare_req r;
    struct bot_err e;
    CHECK_INT(parse("x --component API --component db --component=api --component ' Db '", &r,
                    &e), BOT_OK);
    CHECK_INT(r.ncomponents, 2);
    CHECK_STR(r.components[0], "API");
    CHECK_STR(r.components[1], "db");

    char line[3000];
    size_t n = 0;
    n += (size_t)snprintf(line + n, sizeof(line) - n, "x");
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(line + n, sizeof(line) - n, " --component c%d", i);
    CHECK_INT(parse(line, &r, &e), BOT_OK);
    CHECK_INT(r.ncomponents, 20);
    CHECK_STR(r.components[19], "c19");
    snprintf(line + n, sizeof(line) - n, " --component C0"); /* a duplicate still fits */
    CHECK_INT(parse(line, &r, &e), BOT_OK);
    snprintf(line + n, sizeof(line) - n, " --component c20");
    CHECK_BAD(line, "--component: at most 20 components, one --component each");

    char name[150];
    memset(name, 'k', 100);
    name[100] = '\0';
    snprintf(line, sizeof(line), "x --component %s", name);
    CHECK_INT(parse(line, &r, &e), BOT_OK);
    CHECK_INT(strlen(r.components[0]), 100);
    snprintf(line, sizeof(line), "x --component %sk", name);
    CHECK_BAD(line, "--component: a name has at most 100 characters; this one has 101");
    /* 100 characters of two bytes each fit */
    n = 0;
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(line + n, sizeof(line) - n, "%s", i ? "\xc3\xa9" : "x --component \xc3\xa9");
    CHECK_INT(parse(line, &r, &e), BOT_OK);
    CHECK_INT(strlen(r.components[0]), 200);

    CHECK_BAD("x --component ''",
              "--component: missing value; expected a component name of 1 to 100 characters");
    CHECK_BAD("x --component '  '",
              "--component: expected a name of 1 to 100 characters, got an empty one");
    CHECK_BAD("x --component \"a\nb\"",
              "--component: expected a name without line breaks or control characters, got "
              "\"a\nb\"");
    /* stored as typed (escaping happens where it is shown) */
    CHECK_INT(parse("x --component <!channel>", &r, &e), BOT_OK);
    CHECK_STR(r.components[0], "<!channel>");
}

static void test_title_rules(void)
{
    struct declare_req r;
    struct bot_err e;
    const char *missing = "missing title: say what is broken, e.g. `/incident declare Checkout "
                          "fails --sev major`";
    CHECK_BAD("", missing);
    CHECK_BAD("--sev major --breach", missing);
    CHECK_BAD("\"  \"", "the title \"\"  \"\" has no letters or digits: say what is broken");
    CHECK_BAD("!!! ???", "the title \"!!! ???\" has no letters or digits: say what is broken");
    CHECK_BAD("<!--> \xe2\x80\xa6",
              "the title \"&lt;!--&gt; \xe2\x80\xa6\" has no letters or digits: say what is broken");

    CHECK_INT(parse("<!channel> is down & out", &r, &e), BOT_OK);
    CHECK_STR(r.title, "<!channel> is down & out"); /* kept as typed; escaped when shown */
    CHECK_INT(parse("\xe3\x83\x87\xe3\x83\xbc\xe3\x82\xbf\xe3\x83\x99\xe3\x83\xbc\xe3\x82\xb9"
                    "\xe9\x9a\x9c\xe5\xae\xb3", &r, &e), BOT_OK);
    CHECK_STR(r.title, "データベース障害");

    char line[1000];
    memset(line, 'a', 150);
    line[150] = '\0';
    CHECK_INT(parse(line, &r, &e), BOT_OK);
    CHECK_INT(strlen(r.title), 150);
    line[150] = 'a';
    line[151] = '\0';
    CHECK_BAD(line, "the title is 151 characters long; at most 150 fit in a Slack header");
    /* 150 characters, each 3 bytes, with words */
    size_t n = 0;
    for (int i = 0; i < 150; i++)
        n += (size_t)snprintf(line + n, sizeof(line) - n, "%s", i % 10 == 9 ? " " : "\xe9\x9a\x9c");
    line[n - 1] = 'z'; /* the last is a letter, not a trailing space */
    CHECK_INT(parse(line, &r, &e), BOT_OK);
    CHECK_INT(strlen(r.title), n);
    snprintf(line + n, sizeof(line) - n, "z");
    CHECK_BAD(line, "the title is 151 characters long; at most 150 fit in a Slack header");

    struct declare_req q;
    declare_req_init(&q);
    CHECK_INT(declare_set_title(&q, "bad \xff byte", &e), BOT_EINVAL);
    CHECK_STR(e.msg, "the title is not valid UTF-8 (byte 5)");
}

static void test_below_threshold(void)
{
    struct declare_req r;
    struct bot_err e;
    char why[200];
    CHECK_INT(parse("x --started 5m", &r, &e), BOT_OK);
    CHECK(declare_below_threshold(&r, NOW, 15, 5, why, sizeof(why)));
    CHECK_STR(why, "started 5 min ago, under the 15 minutes of the incident definition");
    CHECK_INT(parse("x --started 15m", &r, &e), BOT_OK);
    CHECK(!declare_below_threshold(&r, NOW, 15, 5, why, sizeof(why)));
    CHECK_STR(why, "");
    CHECK_INT(parse("x --started 14m59s", &r, &e), BOT_OK);
    CHECK(declare_below_threshold(&r, NOW, 15, 5, why, sizeof(why)));
    CHECK_STR(why, "started 14 min ago, under the 15 minutes of the incident definition");
    CHECK_INT(parse("x --started 30s", &r, &e), BOT_OK);
    CHECK(declare_below_threshold(&r, NOW, 15, 5, why, sizeof(why)));
    CHECK_STR(why, "started under a minute ago, under the 15 minutes of the incident definition");

    CHECK_INT(parse("x --users 3", &r, &e), BOT_OK);
    CHECK(declare_below_threshold(&r, NOW, 15, 5, why, sizeof(why)));
    CHECK_STR(why, "3 users affected, under the 5 users of the incident definition");
    CHECK_INT(parse("x --users 1", &r, &e), BOT_OK);
    CHECK(declare_below_threshold(&r, NOW, 15, 5, why, sizeof(why)));
    CHECK_STR(why, "1 user affected, under the 5 users of the incident definition");
    CHECK_INT(parse("x --users 5", &r, &e), BOT_OK);
    CHECK(!declare_below_threshold(&r, NOW, 15, 5, why, sizeof(why)));

    CHECK_INT(parse("x --users 0 --started 2m", &r, &e), BOT_OK);
    CHECK(declare_below_threshold(&r, NOW, 15, 5, why, sizeof(why)));
    CHECK_STR(why, "started 2 min ago, under the 15 minutes of the incident definition; "
                   "0 users affected, under the 5 users of the incident definition");
    CHECK(declare_below_threshold(&r, NOW, 15, 5, NULL, 0));
    char small[8];
    CHECK(declare_below_threshold(&r, NOW, 15, 5, small, sizeof(small)));
    CHECK_STR(small, "started");

    /* long ago and many users; or neither given: taken at its word */
    CHECK_INT(parse("x --users 5000 --started 2h", &r, &e), BOT_OK);
    CHECK(!declare_below_threshold(&r, NOW, 15, 5, why, sizeof(why)));
    CHECK_INT(parse("x", &r, &e), BOT_OK);
    CHECK(!declare_below_threshold(&r, NOW, 15, 5, why, sizeof(why)));
    CHECK_STR(why, "");
    /* other thresholds from config */
    CHECK_INT(parse("x --started 20m --users 50", &r, &e), BOT_OK);
    CHECK(declare_below_threshold(&r, NOW, 30, 5, why, sizeof(why)));
    CHECK_STR(why, "started 20 min ago, under the 30 minutes of the incident definition");
    CHECK(declare_below_threshold(&r, NOW, 15, 100, why, sizeof(why)));
    CHECK_STR(why, "50 users affected, under the 100 users of the incident definition");
}

static void test_suggest_severity(void)
{
    const struct declare_sev_thresholds custom = {80.0, 30.0};
    CHECK_INT(declare_suggest_severity(SCOPE_WHOLE_PRODUCT, 0, false, NULL), SEV_CRITICAL);
    CHECK_INT(declare_suggest_severity(SCOPE_MINOR_FEATURE, 50, false, NULL), SEV_CRITICAL);
    CHECK_INT(declare_suggest_severity(SCOPE_MINOR_FEATURE, 49.9, false, NULL), SEV_MAJOR);
    CHECK_INT(declare_suggest_severity(SCOPE_MINOR_FEATURE, 10, false, NULL), SEV_MAJOR);
    CHECK_INT(declare_suggest_severity(SCOPE_MINOR_FEATURE, 9.9, false, NULL), SEV_MINOR);
    CHECK_INT(declare_suggest_severity(SCOPE_MINOR_FEATURE, 9.9, true, NULL), SEV_MAJOR);
    CHECK_INT(declare_suggest_severity(SCOPE_MAJOR_FEATURE, 0, false, NULL), SEV_MAJOR);
    CHECK_INT(declare_suggest_severity(SCOPE_MAJOR_FEATURE, 0, true, NULL), SEV_MAJOR);
    CHECK_INT(declare_suggest_severity(SCOPE_MAJOR_FEATURE, 60, true, NULL), SEV_CRITICAL);
    CHECK_INT(declare_suggest_severity(SCOPE_WHOLE_PRODUCT, 0, true, NULL), SEV_CRITICAL);
    CHECK_INT(declare_suggest_severity(SCOPE_MINOR_FEATURE, -5, false, NULL), SEV_MINOR);
    CHECK_INT(declare_suggest_severity(SCOPE_MINOR_FEATURE, 0.0 / 0.0, false, NULL), SEV_MINOR);
    CHECK_INT(declare_suggest_severity(SCOPE_MINOR_FEATURE, 50, false, &custom), SEV_MAJOR);
    CHECK_INT(declare_suggest_severity(SCOPE_MINOR_FEATURE, 29, false, &custom), SEV_MINOR);
    CHECK_INT(declare_suggest_severity(SCOPE_MINOR_FEATURE, 80, false, &custom), SEV_CRITICAL);

    enum declare_scope s;
    CHECK(declare_scope_parse("whole_product", &s));
    CHECK_INT(s, SCOPE_WHOLE_PRODUCT);
    CHECK(declare_scope_parse("minor_feature", &s));
    CHECK_INT(s, SCOPE_MINOR_FEATURE);
    CHECK(!declare_scope_parse("everything", &s));
    CHECK_STR(declare_scope_name(SCOPE_MAJOR_FEATURE), "major_feature");
    CHECK_STR(declare_scope_name((enum declare_scope)99), "unknown");
}

static void test_chan_name_valid(void)
{
    char n[100];
    CHECK(chan_name_valid("inc-1", 5));
    CHECK(chan_name_valid("a", 1));
    CHECK(chan_name_valid("a_b-9", 5));
    CHECK(chan_name_valid("_x_", 3));
    memset(n, 'a', 81);
    CHECK(chan_name_valid(n, 80));
    CHECK(!chan_name_valid(n, 81));
    CHECK(!chan_name_valid("", 0));
    CHECK(!chan_name_valid("-a", 2));
    CHECK(!chan_name_valid("a-", 2));
    CHECK(!chan_name_valid("a--b", 4));
    CHECK(!chan_name_valid("Inc", 3));
    CHECK(!chan_name_valid("a b", 3));
    CHECK(!chan_name_valid("a.b", 3));
    CHECK(!chan_name_valid("\xc3\xa9", 2));
}

static void test_slug(void)
{
    char s[CHAN_NAME_MAX + 1];
    chan_name_slug("Checkout fails!", s, sizeof(s));
    CHECK_STR(s, "checkout-fails");
    chan_name_slug("  --Crème brûlée, Straße & Ærø: Ångström--  ", s, sizeof(s));
    CHECK_STR(s, "creme-brulee-strasse-aero-angstrom");
    chan_name_slug("Smørrebrød på Øresund", s, sizeof(s));
    CHECK_STR(s, "smorrebrod-pa-oresund");
    chan_name_slug("Łódź Œuvre ĳssel Þór ðe Șanț ÿ ñ ç", s, sizeof(s));
    CHECK_STR(s, "lodz-oeuvre-ijssel-thor-de-sant-y-n-c");
    chan_name_slug("Can't log in \xe2\x80\x99 don\xe2\x80\x99t", s, sizeof(s));
    CHECK_STR(s, "cant-log-in-dont");
    chan_name_slug("Cafe\xcc\x81 2\xc3\x97" "3", s, sizeof(s)); /* decomposed é; × separates */
    CHECK_STR(s, "cafe-2-3");
    chan_name_slug("データベース障害", s, sizeof(s));
    CHECK_STR(s, "incident");
    chan_name_slug("データベース障害 DB", s, sizeof(s));
    CHECK_STR(s, "db");
    chan_name_slug("!!!", s, sizeof(s));
    CHECK_STR(s, "incident");
    chan_name_slug("", s, sizeof(s));
    CHECK_STR(s, "incident");
    chan_name_slug("<!channel> is_down", s, sizeof(s));
    CHECK_STR(s, "channel-is-down");
    chan_name_slug("bad \xff\xfe bytes", s, sizeof(s));
    CHECK_STR(s, "bad-bytes");
    /* shortened at a hyphen when that keeps half, else cut */
    chan_name_slug("alpha beta gamma", s, 11);
    CHECK_STR(s, "alpha-beta");
    chan_name_slug("alpha beta gamma", s, 12);
    CHECK_STR(s, "alpha-beta");
    chan_name_slug("alpha beta gamma", s, 15);
    CHECK_STR(s, "alpha-beta");
    chan_name_slug("a verylongword", s, 9);
    CHECK_STR(s, "a-verylo");
    chan_name_slug("abcdefghij", s, 5);
    CHECK_STR(s, "abcd");
}

static const char *const DEF = "inc-{date}-{id}-{slug}";

static void test_render(void)
{
    char out[CHAN_NAME_MAX + 1];
    struct bot_err e;
    CHECK_INT(chan_name_render(DEF, 42, "Checkout fails", SEV_MAJOR, NOW, 0, out, sizeof(out),
                               &e), BOT_OK);
    CHECK_STR(out, "inc-2024-03-10-42-checkout-fails");
    /* west of UTC it is still the 9th */
    CHECK_INT(chan_name_render(DEF, 42, "Checkout fails", SEV_MAJOR, NOW, -60, out,
                               sizeof(out), &e), BOT_OK);
    CHECK_STR(out, "inc-2024-03-09-42-checkout-fails");
    /* 2024-02-29T23:30Z is March 1st at UTC+1 */
    CHECK_INT(chan_name_render("{date}", 1, "x", SEV_MINOR, S(1709249400000), 0, out,
                               sizeof(out), &e), BOT_OK);
    CHECK_STR(out, "2024-02-29");
    CHECK_INT(chan_name_render("{date}", 1, "x", SEV_MINOR, S(1709249400000), 60, out,
                               sizeof(out), &e), BOT_OK);
    CHECK_STR(out, "2024-03-01");
    CHECK_INT(chan_name_render("{date}", 1, "x", SEV_MINOR, 0, 0, out, sizeof(out), &e), BOT_OK);
    CHECK_STR(out, "1970-01-01");
    CHECK_INT(chan_name_render("SEV-{severity}_{id}", 7, "x", SEV_CRITICAL, NOW, 0, out,
                               sizeof(out), &e), BOT_OK);
    CHECK_STR(out, "sev-critical_7");
    CHECK_INT(chan_name_render(DEF, 3, "データベース障害", SEV_MINOR, NOW, 0, out, sizeof(out),
                               &e), BOT_OK);
    CHECK_STR(out, "inc-2024-03-10-3-incident");
    CHECK_INT(chan_name_render(DEF, 3, "<!channel> down", SEV_MINOR, NOW, 0, out, sizeof(out),
                               &e), BOT_OK);
    CHECK_STR(out, "inc-2024-03-10-3-channel-down");
}

static void test_render_fits_80(void)
{
    char out[CHAN_NAME_MAX + 1], title[300];
    struct bot_err e;
    /* "inc-2024-03-10-42-" is 18 characters: 62 are left for the slug */
    memset(title, 'a', 62);
    title[62] = '\0';
    CHECK_INT(chan_name_render(DEF, 42, title, SEV_MAJOR, NOW, 0, out, sizeof(out), &e), BOT_OK);
    CHECK_INT(strlen(out), 80);
    memset(title, 'a', 63);
    title[63] = '\0';
    CHECK_INT(chan_name_render(DEF, 42, title, SEV_MAJOR, NOW, 0, out, sizeof(out), &e), BOT_OK);
    CHECK_INT(strlen(out), 80);
    CHECK(out[79] == 'a');
    /* words: cut after the last whole word that fits */
    snprintf(title, sizeof(title), "Payments are failing for every customer in Europe since the "
             "deploy of release 42");
    CHECK_INT(chan_name_render(DEF, 42, title, SEV_MAJOR, NOW, 0, out, sizeof(out), &e), BOT_OK);
    CHECK_STR(out, "inc-2024-03-10-42-payments-are-failing-for-every-customer-in-europe-since-the");
    CHECK_INT(strlen(out), 77);
    /* a word ending exactly at 80 is kept whole */
    snprintf(title, sizeof(title), "%s", "Payments are failing for every customer in Europe "
             "since the de ploy");
    CHECK_INT(chan_name_render(DEF, 42, title, SEV_MAJOR, NOW, 0, out, sizeof(out), &e), BOT_OK);
    CHECK_STR(out, "inc-2024-03-10-42-payments-are-failing-for-every-customer-in-europe-since-the-de");
    CHECK_INT(strlen(out), 80);
    /* {id} last is never cut; here the whole slug fits in exactly 80 */
    CHECK_INT(chan_name_render("{slug}-{id}", S(123456789012), title, SEV_MAJOR, NOW, 0, out,
                               sizeof(out), &e), BOT_OK);
    CHECK_STR(out, "payments-are-failing-for-every-customer-in-europe-since-the-de-ploy-123456789012");
    CHECK_INT(strlen(out), 80);
    CHECK_INT(chan_name_render("{slug}-{id}", S(1234567890123), title, SEV_MAJOR, NOW, 0, out,
                               sizeof(out), &e), BOT_OK);
    CHECK_STR(out, "payments-are-failing-for-every-customer-in-europe-since-the-de-1234567890123");
    /* the variant takes its room from the slug */
    CHECK_INT(chan_name_render_variant(DEF, 42, title, SEV_MAJOR, NOW, 0, 2, out, sizeof(out),
                                       &e), BOT_OK);
    CHECK_STR(out, "inc-2024-03-10-42-payments-are-failing-for-every-customer-in-europe-since-the-2");
    CHECK_INT(chan_name_render_variant("{slug}-{id}", 42, title, SEV_MAJOR, NOW, 0, 17, out,
                                       sizeof(out), &e), BOT_OK);
    CHECK_STR(out, "payments-are-failing-for-every-customer-in-europe-since-the-de-ploy-42-17");
    /* an output buffer that is too small */
    char tiny[10];
    CHECK_INT(chan_name_render(DEF, 42, "x", SEV_MAJOR, NOW, 0, tiny, sizeof(tiny), &e),
              BOT_ETOOBIG);
}

static void test_render_errors(void)
{
    char out[CHAN_NAME_MAX + 1], tmpl[300];
    struct bot_err e;
    CHECK_INT(chan_name_render("inc-{foo}-{id}", 1, "x", SEV_MAJOR, NOW, 0, out, sizeof(out),
                               &e), BOT_EINVAL);
    CHECK_STR(e.msg, "unknown placeholder {foo}; use {date}, {id}, {slug} or {severity}");
    CHECK_INT(chan_name_render("inc-{sev}", 1, "x", SEV_MAJOR, NOW, 0, out, sizeof(out), &e),
              BOT_EINVAL);
    CHECK_STR(e.msg, "unknown placeholder {sev}; use {date}, {id}, {slug} or {severity}");
    CHECK_INT(chan_name_render("inc-{id", 1, "x", SEV_MAJOR, NOW, 0, out, sizeof(out), &e),
              BOT_EINVAL);
    CHECK_STR(e.msg, "unterminated placeholder at character 5; use {date}, {id}, {slug} or "
                     "{severity}");
    CHECK_INT(chan_name_render("inc}", 1, "x", SEV_MAJOR, NOW, 0, out, sizeof(out), &e),
              BOT_EINVAL);
    CHECK_STR(e.msg, "a '}' without '{' at character 4");
    CHECK_INT(chan_name_render("inc {id}", 1, "x", SEV_MAJOR, NOW, 0, out, sizeof(out), &e),
              BOT_EINVAL);
    CHECK_STR(e.msg, "' ' (character 4) is not allowed in a channel name; use a-z, 0-9, - and _");
    CHECK_INT(chan_name_render("inc.{id}", 1, "x", SEV_MAJOR, NOW, 0, out, sizeof(out), &e),
              BOT_EINVAL);
    CHECK_STR(e.msg, "'.' (character 4) is not allowed in a channel name; use a-z, 0-9, - and _");
    CHECK_INT(chan_name_render("inc--{id}", 1, "x", SEV_MAJOR, NOW, 0, out, sizeof(out), &e),
              BOT_EINVAL);
    CHECK_STR(e.msg, "the name \"inc--1\" is not a valid channel name: it has a double hyphen");
    CHECK_INT(chan_name_render("inc-{slug}-", 1, "x", SEV_MAJOR, NOW, 0, out, sizeof(out), &e),
              BOT_EINVAL);
    CHECK_STR(e.msg, "the name \"inc-x-\" is not a valid channel name: it starts or ends with a "
                     "hyphen");
    CHECK_INT(chan_name_render("", 1, "x", SEV_MAJOR, NOW, 0, out, sizeof(out), &e), BOT_EINVAL);
    CHECK_STR(e.msg, "the name \"\" is not a valid channel name: it is empty");
    /* 79 fixed characters leave one for the slug; 80 leave none */
    memset(tmpl, 'a', 79);
    snprintf(tmpl + 79, sizeof(tmpl) - 79, "{slug}");
    CHECK_INT(chan_name_render(tmpl, 1, "xyz", SEV_MAJOR, NOW, 0, out, sizeof(out), &e), BOT_OK);
    CHECK_INT(strlen(out), 80);
    CHECK(out[79] == 'x');
    memset(tmpl, 'a', 80);
    snprintf(tmpl + 80, sizeof(tmpl) - 80, "{slug}");
    CHECK_INT(chan_name_render(tmpl, 1, "xyz", SEV_MAJOR, NOW, 0, out, sizeof(out), &e),
              BOT_EINVAL);
    CHECK_STR(e.msg, "the name without its slug is already 80 characters; at most 80 fit");
    memset(tmpl, 'a', 78);
    snprintf(tmpl + 78, sizeof(tmpl) - 78, "{id}");
    CHECK_INT(chan_name_render(tmpl, 12, "x", SEV_MAJOR, NOW, 0, out, sizeof(out), &e), BOT_OK);
    CHECK_INT(strlen(out), 80);
    CHECK_INT(chan_name_render(tmpl, 123, "x", SEV_MAJOR, NOW, 0, out, sizeof(out), &e),
              BOT_EINVAL);
    CHECK_CONTAINS(e.msg, "it is longer than 80 characters");
    CHECK_INT(chan_name_render(DEF, -1, "x", SEV_MAJOR, NOW, 0, out, sizeof(out), &e),
              BOT_EINVAL);
    CHECK_INT(chan_name_render(DEF, 1, "x", SEV_MAJOR, -1, 0, out, sizeof(out), &e), BOT_EINVAL);
    CHECK_INT(chan_name_render(DEF, 1, "x", SEV_MAJOR, NOW, 901, out, sizeof(out), &e),
              BOT_EINVAL);
}

static void test_variant(void)
{
    char out[CHAN_NAME_MAX + 1], base[100];
    CHECK_INT(chan_name_variant("inc-1-db", 2, out, sizeof(out)), BOT_OK);
    CHECK_STR(out, "inc-1-db-2");
    CHECK_INT(chan_name_variant("inc-1-db", 123, out, sizeof(out)), BOT_OK);
    CHECK_STR(out, "inc-1-db-123");
    /* 80 characters: whole words go from the end, so the id stays */
    snprintf(base, sizeof(base), "%s",
             "inc-2024-03-10-42-payments-are-failing-for-every-customer-in-europe-since-the-de");
    CHECK_INT(strlen(base), 80);
    CHECK_INT(chan_name_variant(base, 2, out, sizeof(out)), BOT_OK);
    CHECK_STR(out, "inc-2024-03-10-42-payments-are-failing-for-every-customer-in-europe-since-the-2");
    /* the cut lands on a hyphen: exactly 80 */
    CHECK_INT(chan_name_variant(base, 10, out, sizeof(out)), BOT_OK);
    CHECK_STR(out, "inc-2024-03-10-42-payments-are-failing-for-every-customer-in-europe-since-the-10");
    CHECK_INT(strlen(out), 80);
    /* 78 + "-2" is exactly 80: nothing to cut */
    memcpy(base, "inc-1-", 6);
    memset(base + 6, 'a', 72);
    base[78] = '\0';
    CHECK_INT(chan_name_variant(base, 2, out, sizeof(out)), BOT_OK);
    CHECK_INT(strlen(out), 80);
    CHECK(memcmp(out, base, 78) == 0 && strcmp(out + 78, "-2") == 0);
    /* one more character: cutting a whole word would lose too much, so one character goes */
    base[78] = 'a';
    base[79] = '\0';
    CHECK_INT(chan_name_variant(base, 2, out, sizeof(out)), BOT_OK);
    CHECK_INT(strlen(out), 80);
    CHECK(memcmp(out, base, 78) == 0 && strcmp(out + 78, "-2") == 0);
    /* no hyphen at all: characters go */
    memset(base, 'b', 80);
    base[80] = '\0';
    CHECK_INT(chan_name_variant(base, 2, out, sizeof(out)), BOT_OK);
    CHECK_INT(strlen(out), 80);
    CHECK(memcmp(out + 76, "bb-2", 5) == 0);
    CHECK_INT(chan_name_variant("inc-1", 1, out, sizeof(out)), BOT_EINVAL);
    CHECK_INT(chan_name_variant("Inc-1", 2, out, sizeof(out)), BOT_EINVAL);
    CHECK_INT(chan_name_variant("", 2, out, sizeof(out)), BOT_EINVAL);
    char tiny[6];
    CHECK_INT(chan_name_variant("inc-1", 2, tiny, sizeof(tiny)), BOT_ETOOBIG);
    CHECK_INT(chan_name_variant("inc-1", 2, out, 8), BOT_OK);
    CHECK_STR(out, "inc-1-2");
}

static void test_check_template(void)
{
    struct bot_err e;
    char tmpl[300];
    CHECK_INT(chan_name_check_template(DEF, &e), BOT_OK);
    CHECK_INT(chan_name_check_template("{slug}", &e), BOT_OK);
    CHECK_INT(chan_name_check_template("incident_{id}", &e), BOT_OK);
    CHECK_INT(chan_name_check_template("{severity}-{date}-{slug}", &e), BOT_OK);
    CHECK_INT(chan_name_check_template("", &e), BOT_ECONFIG);
    CHECK_STR(e.msg, "channel_name: the template is empty");
    CHECK_INT(chan_name_check_template("inc-{foo}", &e), BOT_ECONFIG);
    CHECK_STR(e.msg, "channel_name \"inc-{foo}\": unknown placeholder {foo}; use {date}, {id}, "
                     "{slug} or {severity}");
    CHECK_INT(chan_name_check_template("inc-{slug}-", &e), BOT_ECONFIG);
    CHECK_CONTAINS(e.msg, "starts or ends with a hyphen");
    CHECK_INT(chan_name_check_template("-{id}", &e), BOT_ECONFIG);
    CHECK_INT(chan_name_check_template("{id}--{slug}", &e), BOT_ECONFIG);
    CHECK_CONTAINS(e.msg, "double hyphen");
    CHECK_INT(chan_name_check_template("inc #{id}", &e), BOT_ECONFIG);
    /* fine for small ids, but a 12-digit id and a "-9999" retry do not fit */
    memset(tmpl, 'a', 70);
    snprintf(tmpl + 70, sizeof(tmpl) - 70, "-{id}");
    CHECK_INT(chan_name_check_template(tmpl, &e), BOT_ECONFIG);
    CHECK_CONTAINS(e.msg, "longer than 80");
    memset(tmpl, 'a', 250);
    tmpl[250] = '\0';
    CHECK_INT(chan_name_check_template(tmpl, &e), BOT_ECONFIG);
    CHECK_CONTAINS(e.msg, "at most 200");
}

int main(void)
{
    RUN(test_title_and_severity);
    RUN(test_title_keeps_quotes);
    RUN(test_flags_anywhere);
    RUN(test_bad_severity);
    RUN(test_unknown_flags);
    RUN(test_users);
    RUN(test_started_relative);
    RUN(test_started_clock);
    RUN(test_components);
    RUN(test_title_rules);
    RUN(test_below_threshold);
    RUN(test_suggest_severity);
    RUN(test_chan_name_valid);
    RUN(test_slug);
    RUN(test_render);
    RUN(test_render_fits_80);
    RUN(test_render_errors);
    RUN(test_variant);
    RUN(test_check_template);
    return CHECK_DONE();
}
