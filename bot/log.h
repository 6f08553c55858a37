/*
 * The one logger: logfmt lines on stderr, `ts=... level=... msg="..."`
 * followed by key=value pairs. Values are quoted when needed. Anything that
 * looks like a Slack or Statuspage secret is redacted before it is written,
 * whichever key it was passed under.
 */
#ifndef INCIDENTD_LOG_H
#define INCIDENTD_LOG_H

#include <stdbool.h>
#include <stdio.h>

#define LOG_REPEAT_WINDOW_S 10   /* repeats of one line are counted this long, then said */
#define LOG_REPEAT_QUIET_MS 1000 /* ... or once no repeat came for this long (log_flush_repeats) */

enum log_level {
    LOG_DEBUG,
    LOG_INFO,
    LOG_WARN,
    LOG_ERROR,
};

/* Parses "debug", "info", "warn", "error"; false when it is none. */
bool log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level lvl);
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Sends output to f instead of stderr (for tests); NULL restores stderr. */
void log_set_stream(FILE *f);

/*
 * Writes one line: msg, then the pairs given as alternating key, value
 * strings ended by NULL, e.g. log_msg(LOG_INFO, "connected", "url", u, NULL).
 */
void log_msg(enum log_level lvl, const char *msg, ...) __attribute__((sentinel));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__, NULL)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__, NULL)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__, NULL)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__, NULL)
/*
 * Writes the pending count of a repeated line ("<msg> (repeated N times in S s)") when
 * its repeats stopped LOG_REPEAT_QUIET_MS ago or its window is over; called about once a
 * second by the loop, so a flood that stopped is still counted in the log.
 */
void log_flush_repeats(void);

/* Logs at error level and exits with status 1; only at start-up or on a broken invariant. */
void fatal(const char *msg, ...) __attribute__((noreturn, sentinel));

/* Copies s into out (size outsz) with secret-looking tokens replaced by "xoxb-***" etc. */
void log_redact(const char *s, char *out, size_t outsz);

/* Routes libwebsockets' own log lines into this logger. */
void log_route_lws(void);

/*
 * fn (NULL: none) sees each libwebsockets line routed here (its LLL_ level, the text
 * without the newline) before it is logged, on the thread that logs it: how the HTTP
 * server learns that lws's accept() failed, which lws reports only in its log.
 */
typedef void log_lws_hook_fn(void *arg, int level, const char *line);
void log_set_lws_hook(log_lws_hook_fn *fn, void *arg);

#endif
