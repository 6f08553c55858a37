/*
 * `incidentd console`: the terminal as the Slack workspace, to try the whole
 * plan without a Slack app. The bot is the real one (plan, store, worker,
 * delivery lanes, status page); only its two ends change. What a user types
 * becomes a Socket Mode payload stored in the inbox, as the Slack link
 * stores one; what delivery sends to Slack is answered by an in-process
 * workspace (struct cslack, console_slack.c) that keeps channels, messages,
 * forms and users like Slack does and prints what a Slack user would see.
 *
 * console.c is the front end (prompt, scripts, payloads, forms as prompts);
 * console_slack.c is the workspace. Everything in struct cslack is guarded
 * by its own mutex: delivery lanes call it from their threads while the
 * front end reads the terminal.
 */
#ifndef INCIDENTD_CONSOLE_H
#define INCIDENTD_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "err.h"

#define CONSOLE_TEAM_ID     "T0CONSOLE"
#define CONSOLE_TEAM_DOMAIN "console"
#define CONSOLE_APP_ID      "A0CONSOLE"
#define CONSOLE_BOT_USER    "U0INCIDENTD"
#define CONSOLE_BOT_ID      "B0INCIDENTD"
#define CONSOLE_ID_MAX      32   /* user, channel and message ids, with room */
#define CONSOLE_NAME_MAX    96   /* user and channel names */
#define CONSOLE_URL_MAX     96   /* response_url and trigger_id */
#define CONSOLE_LINE_MAX    8192 /* longest input line */

struct cslack;
struct slack_api_local;

/* Options of `incidentd console`. */
struct console_opts {
    const char *user;  /* who types first (a name of the workspace); NULL: alice */
    FILE *in;          /* NULL: stdin */
    FILE *out;         /* NULL: stdout */
    int quiet_wait_ms; /* longest wait for the bot to settle after a line; 0: 15000 */
};

/*
 * Runs the console on cfg (its [slack] announce_channel and support_channel,
 * when empty, become the workspace's #incidents and #support) until /quit or
 * the end of input. Returns the process exit status: 0 after a clean end, 1
 * when the bot could not start.
 */
int console_run(struct config *cfg, const struct console_opts *o);

/* ---- the workspace (console_slack.c) ---- */

/* A workspace with the default users and channels, printing to out. */
struct cslack *cslack_new(FILE *out);
void cslack_free(struct cslack *cs);
/* The hook for the Web API client (config.slack_local); lives as long as cs. */
const struct slack_api_local *cslack_local(struct cslack *cs);

/*
 * The workspace's channels and messages are kept in a JSON file between
 * runs (Slack keeps them; the bot's database refers to them): load before
 * the bot starts (a missing file is an empty start), save after changes
 * (written aside and renamed into place, readable by its owner only, 0600,
 * like the database).
 */
enum bot_rc cslack_load(struct cslack *cs, const char *path, struct bot_err *err) BOT_MUST_CHECK;
enum bot_rc cslack_save(struct cslack *cs, const char *path, struct bot_err *err) BOT_MUST_CHECK;

/* Looks a channel up by name ("#" optional) or id ("last": the one the bot created last). */
bool cslack_find_channel(struct cslack *cs, const char *name_or_id, char id[CONSOLE_ID_MAX],
                         char name[CONSOLE_NAME_MAX]);
/* Looks a user up by name ("@" optional) or id; copies id and name. cs may be NULL (the
 * people are the same in every workspace). */
bool cslack_find_user(struct cslack *cs, const char *name_or_id, char id[CONSOLE_ID_MAX],
                      char name[CONSOLE_NAME_MAX]);
/* Prints the users, the channels, or a channel's recent messages. */
void cslack_list_users(struct cslack *cs);
void cslack_list_channels(struct cslack *cs);
void cslack_show_channel(struct cslack *cs, const char *channel_id, int last_n);
/* Prints one line (a note of the console itself, not of the bot) under the lock. */
void cslack_note(struct cslack *cs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A new response_url for a slash command (msg_ts NULL, eph 0) or for an
 * interaction with a message (channel + msg_ts) or an ephemeral one (eph):
 * what the bot posts there is shown to user in channel, or replaces the
 * message when it asks to.
 */
void cslack_response_url(struct cslack *cs, const char *user, const char *channel,
                         const char *msg_ts, long eph, char out[CONSOLE_URL_MAX]);
/* A new trigger_id of user's action (a form opened with it shows on user's screen). */
void cslack_trigger_id(struct cslack *cs, const char *user, char out[CONSOLE_URL_MAX]);

/*
 * Clicks the numbered element n as user (an id) with arg (an option of a
 * menu, a user for a user menu; "" for a button): *payload is the
 * block_actions payload Slack would send. BOT_ENOTFOUND when no element
 * with that number is on screen (also when its message was replaced),
 * BOT_EINVAL when arg does not fit the element; why says which in words.
 */
enum bot_rc cslack_click(struct cslack *cs, long n, const char *arg, const char *user,
                         cJSON **payload, char *why, size_t whylen);
/* The option of a menu's options that arg names: its number from 1, its value or its text
 * (case ignored); NULL when none does. */
const cJSON *cslack_pick_option(const cJSON *opts, const char *arg);
/*
 * The number of the newest element on user's screen labelled label (case
 * ignored; an exact label before a prefix of one), or 0: scripts click by
 * label, as numbers depend on what was shown before.
 */
long cslack_find_click(struct cslack *cs, const char *label, const char *user);
/*
 * The oldest form opened for user and not yet answered, removed from the
 * workspace (the caller deletes it): the view as sent, plus "id".
 */
cJSON *cslack_take_view(struct cslack *cs, const char *user);
/* True when a form waits for user. */
bool cslack_has_view(struct cslack *cs, const char *user);

#endif
