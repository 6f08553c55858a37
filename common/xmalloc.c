/*
 * The one place where running out of memory is handled: print and abort.
 * A daemon that cannot allocate a few bytes cannot keep any promise about
 * durability, so it stops before it half-writes anything.
 */
#include "xmalloc.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t size)
{
    fprintf(stderr, "incidentd: out of memory allocating %zu bytes\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        oom(size);
    return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (p == NULL)
        oom(nmemb * size);
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (p == NULL)
        oom(size);
    return p;
}

void *xreallocarray(void *ptr, size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size)
        oom(SIZE_MAX);
    return xrealloc(ptr, nmemb * size);
}

char *xstrdup(const char *s)
{
    return xmemdup0(s, strlen(s));
}

char *xmemdup0(const void *s, size_t len)
{
    char *p = xmalloc(len + 1);
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0) {
        fprintf(stderr, "incidentd: bad format string \"%s\"\n", fmt);
        abort();
    }
    char *p = xmalloc((size_t)n + 1);
    int m = vsnprintf(p, (size_t)n + 1, fmt, ap);
    if (m != n)
        abort();
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}

static void *cjson_malloc(size_t size)
{
    return xmalloc(size);
}

void xmalloc_init_cjson(void)
{
    cJSON_Hooks hooks = {.malloc_fn = cjson_malloc, .free_fn = free};
    cJSON_InitHooks(&hooks);
}
