/* Unit tests of the /incident command table: splitting, dispatch, help and every mistake. */
#include <stdlib.h>

#include "check.h"
#include "cmd.h"

static const struct cmd_call call = {.command = "/incident", .user_id = "U1", .channel_id = "C1"};

static void test_split_words_and_quotes(void)
{
    struct cmd_args a;
    struct bot_err e;
    const char *t = "declare \"DB is down\" --sev 'maj or' a\\ b “curly q” x\"y z\"";
    CHECK_INT(cmd_split(t, strlen(t), &a, &e), BOT_OK);
    CHECK_INT(a.argc, 7);
    CHECK_STR(a.argv[0], "declare");
    CHECK_STR(a.argv[1], "DB is down");
    CHECK_STR(a.argv[2], "--sev");
    CHECK_STR(a.argv[3], "maj or");
    CHECK_STR(a.argv[4], "a b");
    CHECK_STR(a.argv[5], "curly q");
    CHECK_STR(a.argv[6], "xy z");
    cmd_args_free(&a);
}

static void test_split_apostrophes(void)
{
    struct cmd_args a;
    struct bot_err e;
    const char *t = "note it's the users' cache, 'as said' ‘quoted’ don‘t 'open";
    CHECK_INT(cmd_split(t, strlen(t), &a, &e), BOT_OK);
    CHECK_INT(a.argc, 9);
    CHECK_STR(a.argv[1], "it's");
    CHECK_STR(a.argv[3], "users'");
    CHECK_STR(a.argv[5], "as said");
    CHECK_STR(a.argv[6], "quoted");
    CHECK_STR(a.argv[7], "don‘t");  /* inside a word: an apostrophe */
    CHECK_STR(a.argv[8], "'open"); /* never closed: an apostrophe too */
    cmd_args_free(&a);
}

static void test_split_empty_and_blank(void)
{
    struct cmd_args a;
    struct bot_err e;
    CHECK_INT(cmd_split("", 0, &a, &e), BOT_OK);
    CHECK_INT(a.argc, 0);
    CHECK_INT(cmd_split(" \t\n ", 4, &a, &e), BOT_OK);
    CHECK_INT(a.argc, 0);
    CHECK_INT(cmd_split("\"\"", 2, &a, &e), BOT_OK);
    CHECK_INT(a.argc, 1);
    CHECK_STR(a.argv[0], "");
    cmd_args_free(&a);
}

static void test_split_errors(void)
{
    struct cmd_args a;
    struct bot_err e;
    CHECK_INT(cmd_split("say \"unterminated", 17, &a, &e), BOT_EINVAL);
    CHECK_STR(e.msg, "unterminated quote starting at character 5");
    CHECK_INT(a.argc, 0);
    CHECK_INT(cmd_split("a\0b", 3, &a, &e), BOT_EINVAL);
    CHECK_CONTAINS(e.msg, "NUL");
    CHECK_INT(cmd_split("bad \xff utf8", 10, &a, &e), BOT_EINVAL);
    CHECK_CONTAINS(e.msg, "not valid UTF-8 (byte 5)");
    CHECK_INT(cmd_split("\xc0\x80", 2, &a, &e), BOT_EINVAL); /* overlong NUL */
    char many[CMD_MAX_ARGS * 2 + 10];
    size_t n = 0;
    for (int i = 0; i < CMD_MAX_ARGS + 1; i++) {
        many[n++] = 'w';
        many[n++] = ' ';
    }
    CHECK_INT(cmd_split(many, n, &a, &e), BOT_EINVAL);
    CHECK_CONTAINS(e.msg, "too many words");
    CHECK_INT(a.argc, 0);
    char *big = malloc(CMD_MAX_TEXT + 1);
    memset(big, 'a', CMD_MAX_TEXT + 1);
    CHECK_INT(cmd_split(big, CMD_MAX_TEXT + 1, &a, &e), BOT_EINVAL);
    free(big);
    CHECK_CONTAINS(e.msg, "at most 4000");
}

static void test_help_lists_every_command(void)
{
    struct cmd_result r;
    cmd_result_init(&r);
    CHECK_INT(cmd_run(&call, "help", 4, &r), BOT_OK);
    CHECK(!r.in_channel);
    for (size_t i = 0; cmd_table[i] != NULL; i++) {
        char want[200];
        snprintf(want, sizeof(want), "`/incident %s", cmd_table[i]->name);
        CHECK_CONTAINS(buf_str(&r.reply), want);
    }
    cmd_result_free(&r);
}

static void test_empty_text_is_help(void)
{
    struct cmd_result r;
    cmd_result_init(&r);
    CHECK_INT(cmd_run(&call, "", 0, &r), BOT_OK);
    CHECK_CONTAINS(buf_str(&r.reply), "`/incident help [command]`");
    cmd_result_free(&r);
}

static void test_help_for_one_command(void)
{
    struct cmd_result r;
    cmd_result_init(&r);
    CHECK_INT(cmd_run(&call, "help help", 9, &r), BOT_OK);
    CHECK_STR(buf_str(&r.reply),
              "`/incident help [command]` show the commands, or how to use one of them\n");
    cmd_result_free(&r);
}

static void test_unknown_command_is_escaped(void)
{
    struct cmd_result r;
    cmd_result_init(&r);
    const char *t = "<!channel>";
    CHECK_INT(cmd_run(&call, t, strlen(t), &r), BOT_EINVAL);
    CHECK_CONTAINS(buf_str(&r.reply), "Unknown command `&lt;!channel&gt;`");
    CHECK(strstr(buf_str(&r.reply), "<!channel>") == NULL);
    CHECK_CONTAINS(buf_str(&r.reply), "`/incident help");
    cmd_result_free(&r);

    cmd_result_init(&r);
    t = "help <!here>";
    CHECK_INT(cmd_run(&call, t, strlen(t), &r), BOT_EINVAL);
    CHECK_CONTAINS(buf_str(&r.reply), "There is no command `/incident &lt;!here&gt;`");
    cmd_result_free(&r);
}

static void test_too_many_arguments(void)
{
    struct cmd_result r;
    cmd_result_init(&r);
    CHECK_INT(cmd_run(&call, "help a b", 8, &r), BOT_EINVAL);
    CHECK_CONTAINS(buf_str(&r.reply), "`/incident help` takes fewer arguments");
    cmd_result_free(&r);
}

static void test_bad_quoting_replies(void)
{
    struct cmd_result r;
    cmd_result_init(&r);
    CHECK_INT(cmd_run(&call, "help \"x", 7, &r), BOT_EINVAL);
    CHECK_CONTAINS(buf_str(&r.reply), "unterminated quote");
    cmd_result_free(&r);
}

static void test_long_user_text_is_cut(void)
{
    struct cmd_result r;
    cmd_result_init(&r);
    char t[200];
    memset(t, 'z', sizeof(t) - 1);
    t[sizeof(t) - 1] = '\0';
    CHECK_INT(cmd_run(&call, t, strlen(t), &r), BOT_EINVAL);
    CHECK_CONTAINS(buf_str(&r.reply), "zzz…`");
    CHECK(strstr(buf_str(&r.reply), t) == NULL);
    cmd_result_free(&r);
}

int main(void)
{
    RUN(test_split_words_and_quotes);
    RUN(test_split_apostrophes);
    RUN(test_split_empty_and_blank);
    RUN(test_split_errors);
    RUN(test_help_lists_every_command);
    RUN(test_empty_text_is_help);
    RUN(test_help_for_one_command);
    RUN(test_unknown_command_is_escaped);
    RUN(test_too_many_arguments);
    RUN(test_bad_quoting_replies);
    RUN(test_long_user_text_is_cut);
    return CHECK_DONE();
}
