/*
 * A growable byte buffer with a maximum size fixed at creation, for
 * building messages, JSON and HTTP bodies without unbounded growth. The
 * contents are always NUL-terminated but may contain NUL bytes; use len.
 */
#ifndef INCIDENTD_BUF_H
#define INCIDENTD_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "err.h"

struct buf {
    char *data;  /* NULL until the first append; owned by the buf */
    size_t len;  /* bytes used, not counting the terminating NUL */
    size_t cap;  /* bytes allocated */
    size_t max;  /* appends that would exceed this fail with BOT_ETOOBIG */
};

/* Initialises an empty buffer that will never hold more than max bytes. */
void buf_init(struct buf *b, size_t max);
/* Frees the contents; the buf may be reused after buf_init(). */
void buf_free(struct buf *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
enum bot_rc buf_add(struct buf *b, const void *data, size_t len) BOT_MUST_CHECK;
enum bot_rc buf_addstr(struct buf *b, const char *s) BOT_MUST_CHECK;
enum bot_rc buf_addf(struct buf *b, const char *fmt, ...) BOT_MUST_CHECK
    __attribute__((format(printf, 2, 3)));
enum bot_rc buf_vaddf(struct buf *b, const char *fmt, va_list ap) BOT_MUST_CHECK
    __attribute__((format(printf, 2, 0)));
/* Hands the contents over (never NULL; "" when empty) and leaves b empty. Caller frees. */
char *buf_take(struct buf *b);
/* The contents as a C string, "" when empty; valid until the next change. */
const char *buf_str(const struct buf *b);

#endif
