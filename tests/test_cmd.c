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

static void test_split_lone_quotes_are_characters(void)
{
    struct cmd_args a;
    struct bot_err e;
    /* A quote that is never closed groups nothing: free text never fails to split. */
    const char *t = "say \"unterminated";
    CHECK_INT(cmd_split(t, strlen(t), &a, &e), BOT_OK);
    CHECK_INT(a.argc, 2);
    CHECK_STR(a.argv[1], "\"unterminated");
    cmd_args_free(&a);
    t = "a 5” screen “open";
    CHECK_INT(cmd_split(t, strlen(t), &a, &e), BOT_OK);
    CHECK_INT(a.argc, 4);
    CHECK_STR(a.argv[1], "5”");
    CHECK_STR(a.argv[3], "“open");
    cmd_args_free(&a);
    t = "a \"b\\\" c";                /* the only later quote is escaped: not a closing one */
    CHECK_INT(cmd_split(t, strlen(t), &a, &e), BOT_OK);
    CHECK_INT(a.argc, 3);
    CHECK_STR(a.argv[1], "\"b\"");
    CHECK_STR(a.argv[2], "c");
    cmd_args_free(&a);
    t = "x “a\\” b";                   /* likewise with a curly opening quote */
    CHECK_INT(cmd_split(t, strlen(t), &a, &e), BOT_OK);
    CHECK_INT(a.argc, 3);
    CHECK_STR(a.argv[1], "“a”");
    cmd_args_free(&a);
}

static void test_split_keeps_the_text_as_typed(void)
{
    struct cmd_args a;
    struct bot_err e;
    const char *t = " note  Users see \"Error 500\"\n  and ‘it’ a\\ b  INC-4 ";
    CHECK_INT(cmd_split(t, strlen(t), &a, &e), BOT_OK);
    CHECK_INT(a.argc, 8);
    CHECK_STR(a.argv[3], "Error 500");
    char *raw = cmd_args_raw(&a, 1, a.argc - 1);
    CHECK_STR(raw, "Users see \"Error 500\"\n  and ‘it’ a\\ b");
    free(raw);
    raw = cmd_args_raw(&a, 3, 4);
    CHECK_STR(raw, "\"Error 500\"");
    free(raw);
    raw = cmd_args_raw(&a, 8, 8);
    CHECK_STR(raw, "");
    free(raw);
    raw = cmd_args_raw(&a, 6, 100);
    CHECK_STR(raw, "a\\ b  INC-4");
    free(raw);
    cmd_args_free(&a);
    /* args made by hand: the words joined */
    struct cmd_args h = {.argc = 2, .argv = {"a b", "c"}};
    raw = cmd_args_raw(&h, 0, 2);
    CHECK_STR(raw, "a b c");
    free(raw);
}

static void test_split_errors(void)
{
    struct cmd_args a;
    struct bot_err e;
    CHECK_INT(cmd_split("a\0b", 3, &a, &e), BOT_EINVAL);
    CHECK_STR(e.msg, "the command contains a NUL character (U+0000) at character 2");
    CHECK_INT(a.argc, 0);
    CHECK_INT(cmd_split("bad \xff utf8", 10, &a, &e), BOT_EINVAL);
    CHECK_STR(e.msg, "the command contains a byte that is not valid UTF-8 (0xFF) at character 5");
    CHECK_INT(cmd_split("\xc0\x80", 2, &a, &e), BOT_EINVAL); /* a "\u0000" of the JSON */
    CHECK_CONTAINS(e.msg, "NUL character (U+0000) at character 1");
    CHECK_INT(cmd_split("a\xe2\x80\xae" "b", 5, &a, &e), BOT_EINVAL);
    CHECK_CONTAINS(e.msg, "right-to-left override (U+202E) at character 2");
    CHECK_INT(cmd_split("a\rb", 3, &a, &e), BOT_EINVAL);
    CHECK_CONTAINS(e.msg, "carriage return (U+000D)");
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
    CHECK_CONTAINS(buf_str(&r.reply), "Unknown command `@channel`");
    CHECK(strstr(buf_str(&r.reply), "<!channel>") == NULL);
    CHECK_CONTAINS(buf_str(&r.reply), "`/incident help");
    cmd_result_free(&r);

    cmd_result_init(&r);
    t = "help <!here>";
    CHECK_INT(cmd_run(&call, t, strlen(t), &r), BOT_EINVAL);
    CHECK_CONTAINS(buf_str(&r.reply), "There is no command `/incident @here`");
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

static void test_refused_characters_reply(void)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"declare Users see \xe2\x80\xae" "005 rorrE --sev major",
         ":warning: The command contains a right-to-left override (U+202E) at character 19 "
         "(right after “declare Users see ”); remove it and try again. Nothing changed."},
        {"\xe2\x81\xa6x", ":warning: The command contains a left-to-right isolate (U+2066) at "
                         "character 1; remove it and try again. Nothing changed."},
        {"note a\nb c \x07", "The command contains a control character (U+0007) at "
                           "character 12 (right after “b c ”)"},
        {"note x\xc2\x85", "a control character (U+0085) at character 7"},
        {"note x\x7f", "a control character (U+007F) at character 7"},
        {"update all \xc0\x80 good", "a NUL character (U+0000) at character 12 (right after "
                                   "“update all ”)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cmd_result r;
        cmd_result_init(&r);
        CHECK_INT(cmd_run(&call, cases[i].text, strlen(cases[i].text), &r), BOT_EINVAL);
        CHECK_CONTAINS(buf_str(&r.reply), cases[i].want);
        CHECK_CONTAINS(buf_str(&r.reply), "Nothing changed.");
        cmd_result_free(&r);
    }
    /* The text quoted from before the character is escaped like any user text. */
    struct cmd_result r;
    cmd_result_init(&r);
    CHECK_INT(cmd_run(&call, "note <!here> \x1b", 14, &r), BOT_EINVAL);
    CHECK_CONTAINS(buf_str(&r.reply), "(U+001B) at character 14 (right after “note ");
    CHECK(strstr(buf_str(&r.reply), "<!here>") == NULL);
    cmd_result_free(&r);
    /* Newlines, tabs and the bidirectional marks are fine: help runs. */
    cmd_result_init(&r);
    const char *t = "help\n\thelp";
    CHECK_INT(cmd_run(&call, t, strlen(t), &r), BOT_OK);
    cmd_result_free(&r);
    cmd_result_init(&r);
    t = "help \xe2\x80\x8f\xd8\x9c";
    CHECK_INT(cmd_run(&call, t, strlen(t), &r), BOT_EINVAL);
    CHECK_CONTAINS(buf_str(&r.reply), "There is no command");
    cmd_result_free(&r);
}

static void test_lone_quote_is_text(void)
{
    struct cmd_result r;
    cmd_result_init(&r);
    CHECK_INT(cmd_run(&call, "help \"x", 7, &r), BOT_EINVAL);
    CHECK_CONTAINS(buf_str(&r.reply), "There is no command `/incident \"x`");
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
    RUN(test_split_lone_quotes_are_characters);
    RUN(test_split_keeps_the_text_as_typed);
    RUN(test_split_errors);
    RUN(test_help_lists_every_command);
    RUN(test_empty_text_is_help);
    RUN(test_help_for_one_command);
    RUN(test_unknown_command_is_escaped);
    RUN(test_too_many_arguments);
    RUN(test_refused_characters_reply);
    RUN(test_lone_quote_is_text);
    RUN(test_long_user_text_is_cut);
    return CHECK_DONE();
}
