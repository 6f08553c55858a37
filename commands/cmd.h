/*
 * The /incident command table. Each subcommand lives in its own file
 * (cmd_<name>.c) and exports one struct cmd_entry; cmd_table[] lists them.
 * cmd_run() splits the text the user typed, finds the entry, checks the
 * argument count before calling the handler, and turns every mistake into
 * a reply that says what was expected. `/incident help` is generated from
 * the table. Pure code: no I/O, so every rule is a unit test.
 */
#ifndef INCIDENTD_CMD_H
#define INCIDENTD_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define CMD_MAX_TEXT 4000  /* longest command text accepted (Slack's own limit is similar) */
#define CMD_MAX_ARGS 1000  /* most words in one command (a long note is many words) */
#define CMD_MAX_REPLY 12000 /* longest reply text produced */

/*
 * The words of a command line; argv[i] are NUL-terminated and owned by the
 * struct. text is the line they were split from (borrowed: valid as long as
 * the caller's text), and word i was text[start[i], end[i]) as typed, quotes
 * included, so a handler that takes free text takes it from there
 * (cmd_args_raw) rather than re-joining argv, which lost the user's quotes
 * and spacing.
 */
struct cmd_args {
    int argc;
    char *argv[CMD_MAX_ARGS];
    const char *text;
    uint16_t start[CMD_MAX_ARGS], end[CMD_MAX_ARGS]; /* CMD_MAX_TEXT fits in 16 bits */
};

/*
 * Splits text (len bytes) into words: blanks separate, "double", 'single'
 * and Slack's “curly” quotes group, a backslash escapes the next character
 * outside single quotes. A quote groups only when a closing one follows,
 * and a single one only at the start of a word; anywhere else a quote is a
 * character of the word ("it's", "users'", a lone 5"), so free text never
 * fails to split. Grouping is for values such as `--component "EU API"`:
 * free text is taken as typed with cmd_args_raw(). Errors (too many words,
 * text too long, a character utf8_check_text() refuses, with newlines and
 * tabs allowed) return BOT_EINVAL with a message in err.
 */
enum bot_rc cmd_split(const char *text, size_t len, struct cmd_args *out, struct bot_err *err)
    BOT_MUST_CHECK;
void cmd_args_free(struct cmd_args *a);

/*
 * Words from .. to-1 (0 <= from, to <= argc) exactly as the user typed
 * them: the text from the first character of word from to the last of word
 * to-1, with the quotes, backslashes, blanks and line breaks in and between
 * them. "" when from >= to. When a was not filled by cmd_split() (text is
 * NULL) the words are joined by one space. The caller frees the string.
 */
char *cmd_args_raw(const struct cmd_args *a, int from, int to);

/*
 * Checks text (len bytes) that a user typed as field (e.g. "The command",
 * "The title") with utf8_check_text(allow). When it is refused, appends one
 * sentence to out naming field, the character and where it is, e.g. "The
 * title contains a right-to-left override (U+202E) at character 12 (right
 * after “Users see”); remove it and try again.", and returns false. The
 * text quoted from before the character is shown like any user text in
 * mrkdwn (as cmd_add_user_text does) when mrkdwn is true (a reply), and
 * left as it is for plain text (a form's error).
 */
bool cmd_check_text(const char *field, const char *text, size_t len, unsigned allow, bool mrkdwn,
                    struct buf *out);

struct plan;

/* Who typed the command and where; strings borrowed from the envelope. */
struct cmd_call {
    const char *command; /* e.g. "/incident" */
    const char *user_id;
    const char *channel_id;
    const char *response_url; /* may be NULL */
    const char *trigger_id;   /* may be NULL */
    struct plan *plan;        /* the decision in progress; NULL in parser-only tests */
};

/* What the plan answers: a reply shown to the user (ephemeral) or the channel. */
struct cmd_result {
    struct buf reply;  /* mrkdwn; user text in it is escaped */
    bool in_channel;   /* false: only the user sees it */
};

void cmd_result_init(struct cmd_result *r);
void cmd_result_free(struct cmd_result *r);

struct cmd_entry {
    const char *name;    /* the subcommand, e.g. "help" */
    const char *args;    /* usage of its arguments, e.g. "[command]" */
    const char *summary; /* one line for the help */
    int min_args, max_args; /* words after the name */
    enum bot_rc (*handler)(const struct cmd_call *call, const struct cmd_args *args,
                           struct cmd_result *out);
};

extern const struct cmd_entry *const cmd_table[];

/* The entry named name (exact, lowercase), or NULL. */
const struct cmd_entry *cmd_find(const char *name);

/*
 * Runs the command line text for call. Always fills out with a reply for
 * the user, also on a mistake (unknown subcommand, wrong number of
 * arguments, bad quoting), in which case it returns BOT_EINVAL. Other
 * codes come from the handler.
 */
enum bot_rc cmd_run(const struct cmd_call *call, const char *text, size_t len,
                    struct cmd_result *out) BOT_MUST_CHECK;

/* Appends the usage of every command (or just of e) to out. */
enum bot_rc cmd_usage(const char *command, const struct cmd_entry *e, struct buf *out)
    BOT_MUST_CHECK;

/* Appends text a user typed to out: escaped for mrkdwn, cut after 60 bytes with "…". */
enum bot_rc cmd_add_user_text(struct buf *out, const char *s) BOT_MUST_CHECK;

#endif
