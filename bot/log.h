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
/* Logs at error level and exits with status 1; only at start-up or on a broken invariant. */
void fatal(const char *msg, ...) __attribute__((noreturn, sentinel));

/* Copies s into out (size outsz) with secret-looking tokens replaced by "xoxb-***" etc. */
void log_redact(const char *s, char *out, size_t outsz);

/* Routes libwebsockets' own log lines into this logger. */
void log_route_lws(void);

#endif
