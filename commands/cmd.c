/*
 * Splitting, lookup and dispatch of /incident commands (see cmd.h). The
 * checks done here, before any handler runs, are the ones every command
 * shares: a known name and an acceptable number of words.
 */
#include "cmd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slack_text.h"
#include "xmalloc.h"
#include "utf8.h"

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

/* True when lit occurs in text[from, len). */
static bool closes(const char *text, size_t from, size_t len, const char *lit)
{
    for (size_t i = from; i < len; i++)
        if (at(text, i, len, lit))
            return true;
    return false;
}

enum bot_rc cmd_split(const char *text, size_t len, struct cmd_args *out, struct bot_err *err)
{
    struct buf word;
    enum bot_rc rc = BOT_OK;
    size_t i = 0;

    out->argc = 0;
    if (len > CMD_MAX_TEXT)
        return bot_err_set(err, BOT_EINVAL, "the command is %zu bytes long; at most %d are "
                           "accepted", len, CMD_MAX_TEXT);
    for (size_t k = 0; k < len;) {
        size_t l = utf8_seq_len((const unsigned char *)text + k, len - k);
        if (l == 0)
            return bot_err_set(err, BOT_EINVAL, "the command is not valid UTF-8 (byte %zu)",
                               k + 1);
        if (text[k] == '\0')
            return bot_err_set(err, BOT_EINVAL, "the command contains a NUL character");
        k += l;
    }
    buf_init(&word, CMD_MAX_TEXT);
    while (i < len) {
        while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
                           text[i] == '\r'))
            i++;
        if (i >= len)
            break;
        if (out->argc == CMD_MAX_ARGS) {
            rc = bot_err_set(err, BOT_EINVAL, "too many words; at most %d are accepted",
                             CMD_MAX_ARGS);
            goto out;
        }
        buf_reset(&word);
        bool any = false;
        while (i < len && text[i] != ' ' && text[i] != '\t' && text[i] != '\n' &&
               text[i] != '\r') {
            const char *close = NULL;
            size_t skip = 0;
            bool escapes = true;
            if (text[i] == '"') {
                close = "\"";
                skip = 1;
            } else if (text[i] == '\'' && !any && closes(text, i + 1, len, "'")) {
                /* Only at the start of a word and when closed: elsewhere an apostrophe
                 * ("it's", "users'") is a letter, not a quote. */
                close = "'";
                skip = 1;
                escapes = false;
            } else if (at(text, i, len, LDQ) || at(text, i, len, RDQ)) {
                close = RDQ;
                skip = 3;
            } else if (at(text, i, len, LSQ) && !any && closes(text, i + 3, len, RSQ)) {
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
            size_t start = i;
            i += skip;
            any = true;
            for (;;) {
                if (i >= len) {
                    rc = bot_err_set(err, BOT_EINVAL, "unterminated quote starting at "
                                     "character %zu", start + 1);
                    goto out;
                }
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
        if (any)
            out->argv[out->argc++] = xmemdup0(buf_str(&word), word.len);
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
    enum bot_rc rc = slack_text_escape(out, s, n);
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
