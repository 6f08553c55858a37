/*
 * Rate limiting as Slack applies it: token buckets per key (a Web API
 * method, or "chat.postMessage:<channel>" for the one-message-per-second
 * channel limit), refilled continuously at the tier's per-minute rate and
 * holding a burst. A refused call learns how many whole seconds to wait,
 * which the Web API sends as Retry-After with HTTP 429. Buckets can be
 * switched off (--no-rate-limits, /_emu/ratelimits) for benchmarks.
 */
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "xmalloc.h"

#define RATE_MAX_BUCKETS 4096 /* beyond this the oldest bucket is recycled */

struct bucket {
    char *key;
    double tokens;
    int64_t last_us;
};

struct emu_rate {
    struct bucket *b;
    size_t n, cap;
    size_t recycle; /* next slot to recycle when full */
};

struct emu_rate *emu_rate_new(void)
{
    return xcalloc(1, sizeof(struct emu_rate));
}

void emu_rate_reset(struct emu_rate *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->b[i].key);
    r->n = 0;
    r->recycle = 0;
}

void emu_rate_free(struct emu_rate *r)
{
    if (!r)
        return;
    emu_rate_reset(r);
    free(r->b);
    free(r);
}

static struct bucket *find(struct emu_rate *r, const char *key, double burst, int64_t now)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->b[i].key, key) == 0)
            return &r->b[i];
    struct bucket *b;
    if (r->n < RATE_MAX_BUCKETS) {
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 32;
            r->b = xreallocarray(r->b, r->cap, sizeof *r->b);
        }
        b = &r->b[r->n++];
    } else {
        b = &r->b[r->recycle++ % RATE_MAX_BUCKETS];
        free(b->key);
    }
    b->key = xstrdup(key);
    b->tokens = burst;
    b->last_us = now;
    return b;
}

int emu_rate_take(struct emu *emu, const char *key, double per_min, double burst)
{
    if (!emu->cfg.rate_limits || per_min <= 0)
        return 0;
    int64_t now = emu_mono_us();
    struct bucket *b = find(emu->rate, key, burst, now);
    double per_s = per_min / 60.0;
    b->tokens += (double)(now - b->last_us) / 1e6 * per_s;
    if (b->tokens > burst)
        b->tokens = burst;
    b->last_us = now;
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return 0;
    }
    double wait = (1.0 - b->tokens) / per_s;
    int secs = (int)wait;
    if ((double)secs < wait)
        secs++;
    return secs < 1 ? 1 : secs;
}
