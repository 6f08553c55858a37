/*
 * Splitting, lookup and dispatch of /incident commands (see cmd.h). The
 * checks done here, before any handler runs, are the ones every command
 * shares: no character a user may not type (utf8_check_text: controls, NUL,
 * bidirectional overrides), a known name and an acceptable number of words.
 */
#include "cmd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slack_text.h"
#include "utf8.h"
#include "xmalloc.h"

void cmd_result_init(struct cmd_result *r)
{
    buf_init(&r->reply, CMD_MAX_REPLY);
    r->in_channel = false;
}

void cmd_result_free(struct cmd_result *r)
{
    buf_free(&r->reply);
}

void cmd_args_free(struct cmd_args *a)
{
    for (int i = 0; i < a->argc; i++)
        free(a->argv[i]);
    a->argc = 0;
}

/* Curly quotes as typed by phones and some Slack clients: “ ” ‘ ’ */
static const char LDQ[] = "\xe2\x80\x9c", RDQ[] = "\xe2\x80\x9d";
static const char LSQ[] = "\xe2\x80\x98", RSQ[] = "\xe2\x80\x99";

static bool at(const char *s, size_t i, size_t len, const char *lit)
{
    size_t l = strlen(lit);
    return i + l <= len && memcmp(s + i, lit, l) == 0;
}

/*
 * True when a quote opened just before from is closed by lit (or, when
 * straight_too, by a straight double quote) in text[from, len), skipping
 * backslash escapes the way cmd_split reads the quoted part.
 */
static bool closes(const char *text, size_t from, size_t len, const char *lit, bool escapes,
                   bool straight_too)
{
    for (size_t i = from; i < len; i++) {
        if (at(text, i, len, lit) || (straight_too && text[i] == '"'))
            return true;
        if (escapes && text[i] == '\\')
            i++;
    }
    return false;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

_Static_assert(CMD_MAX_TEXT <= UINT16_MAX, "word offsets are 16 bits");

enum bot_rc cmd_split(const char *text, size_t len, struct cmd_args *out, struct bot_err *err)
{
    struct buf word;
    struct utf8_bad bad;
    char what[120];
    enum bot_rc rc = BOT_OK;
    size_t i = 0;

    out->argc = 0;
    out->text = text;
    if (len > CMD_MAX_TEXT)
        return bot_err_set(err, BOT_EINVAL, "the command is %zu bytes long; at most %d are "
                           "accepted", len, CMD_MAX_TEXT);
    if (!utf8_check_text(text, len, UTF8_MULTILINE, &bad))
        return bot_err_set(err, BOT_EINVAL, "the command contains %s",
                           utf8_bad_describe(&bad, what, sizeof(what)));
    buf_init(&word, CMD_MAX_TEXT);
    while (i < len) {
        while (i < len && blank(text[i]))
            i++;
        if (i >= len)
            break;
        if (out->argc == CMD_MAX_ARGS) {
            rc = bot_err_set(err, BOT_EINVAL, "too many words; at most %d are accepted",
                             CMD_MAX_ARGS);
            goto out;
        }
        buf_reset(&word);
        size_t word_start = i;
        bool any = false;
        while (i < len && !blank(text[i])) {
            const char *close = NULL;
            size_t skip = 0;
            bool escapes = true;
            /* A quote groups only when it is closed: a lone one is a character ("5\" screen"). */
            if (text[i] == '"' && closes(text, i + 1, len, "\"", true, false)) {
                close = "\"";
                skip = 1;
            } else if (text[i] == '\'' && !any && closes(text, i + 1, len, "'", false, false)) {
                /* Only at the start of a word and when closed: elsewhere an apostrophe
                 * ("it's", "users'") is a letter, not a quote. */
                close = "'";
                skip = 1;
                escapes = false;
            } else if ((at(text, i, len, LDQ) || at(text, i, len, RDQ)) &&
                       closes(text, i + 3, len, RDQ, true, true)) {
                close = RDQ;
                skip = 3;
            } else if (at(text, i, len, LSQ) && !any &&
                       closes(text, i + 3, len, RSQ, false, false)) {
                close = RSQ;
                skip = 3;
                escapes = false;
            }
            if (close == NULL) {
                if (text[i] == '\\' && i + 1 < len)
                    i++;
                rc = buf_add(&word, &text[i], 1);
                if (rc)
                    goto out;
                i++;
                any = true;
                continue;
            }
            i += skip;
            any = true;
            while (i < len) { /* closes() said it ends before len */
                /* A straight double quote also closes a curly one: clients mix them. */
                if (at(text, i, len, close) || (skip == 3 && close == RDQ && text[i] == '"')) {
                    i += text[i] == '"' ? 1 : strlen(close);
                    break;
                }
                if (escapes && text[i] == '\\' && i + 1 < len)
                    i++;
                rc = buf_add(&word, &text[i], 1);
                if (rc)
                    goto out;
                i++;
            }
        }
        if (any) {
            out->start[out->argc] = (uint16_t)word_start;
            out->end[out->argc] = (uint16_t)i;
            out->argv[out->argc++] = xmemdup0(buf_str(&word), word.len);
        }
    }
out:
    buf_free(&word);
    if (rc) {
        cmd_args_free(out);
        if (rc != BOT_EINVAL)
            rc = bot_err_set(err, BOT_EINVAL, "the command is too long");
    }
    return rc;
}

char *cmd_args_raw(const struct cmd_args *a, int from, int to)
{
    if (from < 0)
        from = 0;
    if (to > a->argc)
        to = a->argc;
    if (from >= to)
        return xstrdup("");
    if (a->text != NULL)
        return xmemdup0(a->text + a->start[from], (size_t)(a->end[to - 1] - a->start[from]));
    struct buf b;
    buf_init(&b, CMD_MAX_TEXT + CMD_MAX_ARGS);
    for (int i = from; i < to; i++)
        (void)!buf_addf(&b, "%s%s", i > from ? " " : "", a->argv[i]);
    return buf_take(&b);
}

#define CMD_CONTEXT_CHARS 24 /* characters before a refused one that cmd_check_text shows */

bool cmd_check_text(const char *field, const char *text, size_t len, unsigned allow, bool mrkdwn,
                    struct buf *out)
{
    struct utf8_bad bad;
    char what[120];
    if (utf8_check_text(text, len, allow, &bad))
        return true;
    (void)!buf_addf(out, "%s contains %s", field, utf8_bad_describe(&bad, what, sizeof(what)));
    /* What comes before it on its line, since the character itself may well be invisible. */
    size_t from = bad.offset, chars = 0;
    while (from > 0 && text[from - 1] != '\n' && chars < CMD_CONTEXT_CHARS) {
        from--;
        if (((unsigned char)text[from] & 0xc0) != 0x80)
            chars++;
    }
    while (from < bad.offset && (text[from] == ' ' || text[from] == '\t'))
        from++;
    if (from < bad.offset && buf_addstr(out, " (right after “") == BOT_OK &&
        (mrkdwn ? slack_text_user(out, text + from, bad.offset - from)
                : buf_add(out, text + from, bad.offset - from)) == BOT_OK)
        (void)!buf_addstr(out, "”)");
    (void)!buf_addstr(out, "; remove it and try again.");
    return false;
}

const struct cmd_entry *cmd_find(const char *name)
{
    for (size_t i = 0; cmd_table[i] != NULL; i++)
        if (strcmp(cmd_table[i]->name, name) == 0)
            return cmd_table[i];
    return NULL;
}

static enum bot_rc usage_line(const char *command, const struct cmd_entry *e, struct buf *out)
{
    return buf_addf(out, "`%s %s%s%s` %s\n", command, e->name, e->args[0] ? " " : "", e->args,
                    e->summary);
}

enum bot_rc cmd_usage(const char *command, const struct cmd_entry *e, struct buf *out)
{
    if (e != NULL)
        return usage_line(command, e, out);
    for (size_t i = 0; cmd_table[i] != NULL; i++) {
        enum bot_rc rc = usage_line(command, cmd_table[i], out);
        if (rc)
            return rc;
    }
    return BOT_OK;
}

enum bot_rc cmd_add_user_text(struct buf *out, const char *s)
{
    size_t n = strlen(s);
    if (n > 60)
        n = 60;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--; /* do not cut a UTF-8 sequence */
    enum bot_rc rc = slack_text_user(out, s, n);
    if (rc == BOT_OK && n < strlen(s))
        rc = buf_addstr(out, "…");
    return rc;
}

enum bot_rc cmd_run(const struct cmd_call *call, const char *text, size_t len,
                    struct cmd_result *out)
{
    struct cmd_args args = {0};
    struct bot_err err;
    enum bot_rc rc;
    const char *command = call->command ? call->command : "/incident";

    /* The whole text, before anything reads it: no handler ever sees such a character. */
    struct buf why;
    buf_init(&why, CMD_MAX_REPLY);
    bool clean =
        len > CMD_MAX_TEXT || cmd_check_text("The command", text, len, UTF8_MULTILINE, true, &why);
    if (!clean)
        (void)!buf_addf(&out->reply, ":warning: %s Nothing changed.", buf_str(&why));
    buf_free(&why);
    if (!clean)
        return BOT_EINVAL;
    if (cmd_split(text, len, &args, &err) != BOT_OK) {
        if (buf_addf(&out->reply, ":warning: %s.\n", err.msg) == BOT_OK)
            (void)!buf_addf(&out->reply, "Try `%s help`.", command);
        return BOT_EINVAL;
    }
    if (args.argc == 0) {
        rc = cmd_find("help")->handler(call, &args, out);
        goto out;
    }
    const struct cmd_entry *e = cmd_find(args.argv[0]);
    if (e == NULL) {
        rc = buf_addstr(&out->reply, ":warning: Unknown command `");
        if (rc == BOT_OK)
            rc = cmd_add_user_text(&out->reply, args.argv[0]);
        if (rc == BOT_OK)
            rc = buf_addf(&out->reply, "`. These are the commands:\n");
        if (rc == BOT_OK)
            rc = cmd_usage(command, NULL, &out->reply);
        rc = BOT_EINVAL;
        goto out;
    }
    int n = args.argc - 1;
    if (n < e->min_args || (e->max_args >= 0 && n > e->max_args)) {
        if (buf_addf(&out->reply, ":warning: `%s %s` takes %s. Usage:\n", command, e->name,
                     n < e->min_args ? "more arguments" : "fewer arguments") == BOT_OK)
            (void)!cmd_usage(command, e, &out->reply);
        rc = BOT_EINVAL;
        goto out;
    }
    rc = e->handler(call, &args, out);
out:
    cmd_args_free(&args);
    return rc;
}
