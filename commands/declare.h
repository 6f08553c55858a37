/*
 * The pure building blocks of `/incident declare`: turning the words the
 * user typed into a struct declare_req (every mistake a message that names
 * the flag and what was expected), the incident-definition check of
 * PLAN.md (longer than N minutes, at least M users) and the severity
 * suggestion from scope, share of customers and a suspected breach. No I/O
 * and no clock reads: callers pass the current time and the time zone in.
 * A struct declare_req holds its strings in fixed arrays, so it owns
 * nothing on the heap and needs no free.
 */
#ifndef INCIDENTD_DECLARE_H
#define INCIDENTD_DECLARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "err.h"
#include "incident.h"

#define DECLARE_MAX_TITLE 150          /* characters (code points): Slack's header limit */
#define DECLARE_MAX_COMPONENTS 20      /* distinct --component values */
#define DECLARE_MAX_COMPONENT 100      /* characters in one component name */
#define DECLARE_MAX_USERS 10000000L    /* largest --users */
#define DECLARE_MAX_STARTED_DAYS 30    /* --started goes back at most this far */
#define DECLARE_MAX_TZ_OFFSET (14 * 60) /* |tz_offset_min| accepted, minutes */

/* Bytes of the fixed arrays: a UTF-8 character takes at most 4 bytes. */
#define DECLARE_TITLE_BYTES (DECLARE_MAX_TITLE * 4 + 1)
#define DECLARE_COMPONENT_BYTES (DECLARE_MAX_COMPONENT * 4 + 1)

/* The arguments of the text form, for usage lines and error replies. */
#define DECLARE_USAGE                                                                             \
    "<title> [--sev critical|major|minor] [--breach] [--started 40m|1h30m|14:05] [--users N] "    \
    "[--component NAME]..."

struct declare_req {
    char title[DECLARE_TITLE_BYTES]; /* UTF-8, blanks collapsed to one space, never empty */
    enum severity severity;          /* meaningful only when has_sev */
    bool has_sev;
    bool breach;                     /* --breach: a data or security breach is suspected */
    bool has_started;
    int64_t started_at_ms;           /* unix ms; meaningful only when has_started */
    bool has_users;
    long users;                      /* affected users, 0..DECLARE_MAX_USERS */
    int ncomponents;
    char components[DECLARE_MAX_COMPONENTS][DECLARE_COMPONENT_BYTES];
};

/* Empties req: no title, no flags. */
void declare_req_init(struct declare_req *req);

/*
 * Parses the words of `/incident declare ...` from args->argv[first] on
 * (first is the index after the subcommand). Flags may come anywhere, as
 * `--sev major` or `--sev=major` (names case-insensitive; a phone's "—" or
 * "–" counts as "--"); `--` ends the flags, so later words are title words
 * even when they start with "--", and so is a quoted word with a blank in
 * it ("--force push broke"). The other words, each as the user typed it
 * (quotes included: cmd_args_raw), joined by one space, are the title.
 *
 *   --sev / --severity critical|major|minor (case-insensitive)
 *   --breach                  a suspected data or security breach (no value)
 *   --started 40m|2h|90s|1h30m|2d   that long before now_ms; more than 0
 *                                   and at most DECLARE_MAX_STARTED_DAYS
 *   --started 14:05 (or 9:05) that clock time in the zone tz_offset_min
 *                             minutes east of UTC: today, or yesterday when
 *                             it is still to come today
 *   --users N                 0..DECLARE_MAX_USERS, digits only
 *   --component NAME          repeatable; 1..100 characters, no control
 *                             characters; case-insensitive duplicates are
 *                             dropped (the first spelling is kept); at
 *                             most DECLARE_MAX_COMPONENTS
 *
 * Giving --sev, --started or --users twice with different values is a
 * mistake. On a mistake returns BOT_EINVAL with one sentence in err that
 * names the flag and what was expected; any user text in it is escaped for
 * mrkdwn. out is filled completely on BOT_OK, unspecified otherwise.
 */
enum bot_rc declare_parse(const struct cmd_args *args, int first, int64_t now_ms,
                          int tz_offset_min, struct declare_req *out, struct bot_err *err)
    BOT_MUST_CHECK;

/*
 * Sets req->title from text (a modal's field or the joined words): blanks
 * and control characters become one space, the ends are trimmed; it must
 * be valid UTF-8, non-empty, at most DECLARE_MAX_TITLE characters and
 * contain a letter or digit (not only punctuation). BOT_EINVAL otherwise.
 */
enum bot_rc declare_set_title(struct declare_req *req, const char *text, struct bot_err *err)
    BOT_MUST_CHECK;

/* Adds one component name to req by the rules of --component above (a duplicate is BOT_OK). */
enum bot_rc declare_add_component(struct declare_req *req, const char *name,
                                  struct bot_err *err) BOT_MUST_CHECK;

/* Parses a --started value (see declare_parse) into unix ms in *out. */
enum bot_rc declare_parse_started(const char *s, int64_t now_ms, int tz_offset_min,
                                  int64_t *out, struct bot_err *err) BOT_MUST_CHECK;

/* Parses a --users value into *out. */
enum bot_rc declare_parse_users(const char *s, long *out, struct bot_err *err) BOT_MUST_CHECK;

/*
 * The incident definition of PLAN.md: true when req says the interruption
 * is below it, i.e. it gives a start time that makes it shorter than
 * min_duration_minutes at now_ms, or a user count below min_affected_users.
 * A declare that gives neither is taken at its word (false). When true and
 * why is not NULL, why (whysz bytes, truncated if small) says which rule and
 * the numbers, e.g. "started 5 min ago, under the 15 minutes of the
 * incident definition"; both rules are named when both apply. When false,
 * why is set to "".
 */
bool declare_below_threshold(const struct declare_req *req, int64_t now_ms,
                             int min_duration_minutes, long min_affected_users, char *why,
                             size_t whysz);

/* How much of the product is affected: factor (a) of PLAN.md's severity. */
enum declare_scope {
    SCOPE_MINOR_FEATURE,
    SCOPE_MAJOR_FEATURE,
    SCOPE_WHOLE_PRODUCT,
    SCOPE_COUNT
};

/* "minor_feature", "major_feature", "whole_product" (the modal's option values); never NULL. */
const char *declare_scope_name(enum declare_scope scope);
/* Parses one of those names (exact); false when it is none of them. */
bool declare_scope_parse(const char *s, enum declare_scope *out);

/* Factor (b) of PLAN.md's severity, in percent of customers; from config. */
struct declare_sev_thresholds {
    double critical_percent; /* at or above: critical; default 50 */
    double major_percent;    /* at or above: major; default 10 */
};
#define DECLARE_SEV_THRESHOLDS_DEFAULT {50.0, 10.0}

/*
 * Suggests a severity from the three factors of PLAN.md:
 *   critical  when the whole product is affected, or percent_customers >=
 *             critical_percent;
 *   major     when a major feature is affected, or percent_customers >=
 *             major_percent;
 *   minor     otherwise;
 * and factor (c): a suspected breach is at least major. t NULL means the
 * defaults; a percent that is not a number or below 0 counts as 0.
 */
enum severity declare_suggest_severity(enum declare_scope scope, double percent_customers,
                                       bool breach, const struct declare_sev_thresholds *t);

#endif
