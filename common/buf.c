/* Growable, bounded byte buffer (see buf.h). */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static enum bot_rc reserve(struct buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return BOT_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return BOT_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > (b->max + 1) / 2 ? b->max + 1 : cap * 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
    return BOT_OK;
}

enum bot_rc buf_add(struct buf *b, const void *data, size_t len)
{
    enum bot_rc rc = reserve(b, len);
    if (rc)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return BOT_OK;
}

enum bot_rc buf_addstr(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

enum bot_rc buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return BOT_EINVAL;
    enum bot_rc rc = reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return BOT_OK;
}

enum bot_rc buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum bot_rc rc = buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *buf_take(struct buf *b)
{
    char *p = b->data ? b->data : xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

const char *buf_str(const struct buf *b)
{
    return b->data ? b->data : "";
}
