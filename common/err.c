/* Names for enum bot_rc and the bounded error buffer that carries details. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const names[BOT_RC_COUNT] = {
    [BOT_OK] = "ok",
    [BOT_EINVAL] = "invalid input",
    [BOT_ECONFIG] = "configuration error",
    [BOT_EIO] = "input/output error",
    [BOT_EDB] = "database error",
    [BOT_ESCHEMA] = "database schema is newer than this program",
    [BOT_ENOTFOUND] = "not found",
    [BOT_EEXISTS] = "already exists",
    [BOT_EBUSY] = "busy",
    [BOT_ETOOBIG] = "too big",
    [BOT_EPROTO] = "protocol error",
    [BOT_EREMOTE] = "remote error",
    [BOT_ERATELIMIT] = "rate limited",
    [BOT_ENET] = "network error",
    [BOT_EPERM] = "not permitted",
    [BOT_ESTATE] = "not allowed in the current state",
};

const char *bot_strerror(enum bot_rc rc)
{
    if ((int)rc < 0 || rc >= BOT_RC_COUNT || names[rc] == NULL)
        return "unknown error";
    return names[rc];
}

bool bot_rc_transient(enum bot_rc rc)
{
    switch (rc) {
    case BOT_EIO:        /* a full disk, an I/O error, no descriptor left: may clear */
    case BOT_EBUSY:      /* another writer holds the database */
    case BOT_ERATELIMIT: /* asked to slow down */
    case BOT_ENET:       /* the network or the peer was away */
        return true;
    default:
        return false;
    }
}

enum bot_rc bot_err_set(struct bot_err *err, enum bot_rc rc, const char *fmt, ...)
{
    if (err == NULL)
        return rc;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        snprintf(err->msg, sizeof(err->msg), "%s", bot_strerror(rc));
    else if ((size_t)n >= sizeof(err->msg))
        memcpy(err->msg + sizeof(err->msg) - 4, "...", 4);
    return rc;
}
