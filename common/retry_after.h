/*
 * The Retry-After response header as the Web API clients read it (Slack,
 * Statuspage, outgoing webhooks): delta-seconds only; an HTTP-date or
 * anything else is not understood, and the caller's own backoff applies.
 */
#ifndef INCIDENTD_RETRY_AFTER_H
#define INCIDENTD_RETRY_AFTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RETRY_AFTER_MAX_S 86400 /* a longer wait is not believed */

/*
 * When line (one raw header line of len bytes as libcurl hands it over, not
 * NUL-terminated, usually ending in CRLF) is "Retry-After: N" (name in any
 * case, blanks around N) with 0 <= N <= RETRY_AFTER_MAX_S, sets *ms to N
 * seconds in milliseconds and returns true; false for any other line.
 */
bool retry_after_header(const char *line, size_t len, int64_t *ms);

#endif
