/*
 * Allocation that cannot fail: every allocation in incidentd goes through
 * these wrappers, which abort the process with a message when memory runs
 * out. Callers never check for NULL. cJSON is routed here too, by
 * xmalloc_init_cjson(), so one place decides what out-of-memory means.
 */
#ifndef INCIDENTD_XMALLOC_H
#define INCIDENTD_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

/* Returned memory is owned by the caller and released with free(). */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Overflow-checked nmemb * size reallocation. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
/* Copies exactly len bytes and adds a NUL; s may contain NUL bytes. */
char *xmemdup0(const void *s, size_t len);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Makes cJSON allocate through xmalloc/free. Call once, before any thread starts. */
void xmalloc_init_cjson(void);

/* Marks a function that is static in the product and visible to unit tests. */
#ifdef INCIDENTD_TESTING
#define BOT_STATIC
#else
#define BOT_STATIC static
#endif

#endif
