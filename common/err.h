/*
 * The one error convention of incidentd: functions that can fail return an
 * enum bot_rc, BOT_OK (zero) on success, and callers write
 * `rc = f(); if (rc) goto out;`. Details for humans go into an error buffer
 * that the caller provides (struct bot_err); libraries never log.
 */
#ifndef INCIDENTD_ERR_H
#define INCIDENTD_ERR_H

#include <stdbool.h>
#include <stddef.h>

#define BOT_ERR_MAX 512 /* longest error message kept in a struct bot_err */

enum bot_rc {
    BOT_OK = 0,
    BOT_EINVAL,    /* bad input: a field, argument or value that is not acceptable */
    BOT_ECONFIG,   /* configuration file or environment is wrong */
    BOT_EIO,       /* reading or writing a file or socket failed */
    BOT_EDB,       /* the database refused or failed */
    BOT_ESCHEMA,   /* the database schema is from a newer incidentd */
    BOT_ENOTFOUND, /* the thing asked for does not exist */
    BOT_EEXISTS,   /* the thing to create already exists (a duplicate) */
    BOT_EBUSY,     /* locked or in use; try again later */
    BOT_ETOOBIG,   /* over a named size limit */
    BOT_EPROTO,    /* a peer spoke the protocol wrongly (bad JSON, missing field) */
    BOT_EREMOTE,   /* a peer answered with an error of its own */
    BOT_ERATELIMIT,/* a peer asked us to slow down (429, Retry-After) */
    BOT_ENET,      /* network failure or timeout talking to a peer */
    BOT_EPERM,     /* the user may not do this */
    BOT_ESTATE,    /* not allowed in the current state */
    BOT_RC_COUNT
};

/* An error message with a fixed bound; set with bot_err_set(). */
struct bot_err {
    char msg[BOT_ERR_MAX];
};

/* Static text naming rc; never NULL. */
const char *bot_strerror(enum bot_rc rc);

/*
 * Formats a message into err (if err is not NULL; truncated with "..." when
 * longer than BOT_ERR_MAX) and returns rc, so that callers can write
 * `return bot_err_set(err, BOT_EINVAL, "...")`.
 */
enum bot_rc bot_err_set(struct bot_err *err, enum bot_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The one classification of failures for every retry decision (the worker's
 * envelopes, the delivery lanes): true when trying again later may succeed
 * (BOT_EIO, BOT_EBUSY, BOT_ERATELIMIT, BOT_ENET), false for what retrying
 * cannot change (bad input, a protocol error, a refusal, a corrupt database).
 */
bool bot_rc_transient(enum bot_rc rc);

#define BOT_MUST_CHECK __attribute__((warn_unused_result))

#endif
