/*
 * The daemon's context and life cycle: one struct bot holds the
 * configuration, the database, the libwebsockets context (the loop thread:
 * the public and internal HTTP listeners, the Socket Mode links) and the stop flag set by
 * signals. `incidentd run` is bot_open() + bot_run() + bot_close().
 */
#ifndef INCIDENTD_BOT_H
#define INCIDENTD_BOT_H

#include <signal.h>

#include "config.h"
#include "err.h"

struct bot;

/*
 * Opens the database (running migrations) and binds the two HTTP listeners. On
 * failure returns an error with a one-line explanation in err and leaves
 * nothing behind. cfg stays owned by the caller and must outlive the bot.
 */
enum bot_rc bot_open(const struct config *cfg, struct bot **out, struct bot_err *err)
    BOT_MUST_CHECK;
/* Serves until *stop becomes non-zero (set from a signal handler). */
enum bot_rc bot_run(struct bot *b, volatile sig_atomic_t *stop) BOT_MUST_CHECK;
/* Stops the loop, closes the database; NULL is fine. */
void bot_close(struct bot *b);
/* The TCP port the public HTTP listener (the status page) listens on (useful when configured
   as 0). */
int bot_http_port(const struct bot *b);
/* The TCP port of the internal HTTP listener (/healthz, /metrics). */
int bot_internal_port(const struct bot *b);

#endif
