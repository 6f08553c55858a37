/*
 * Client-side rate limiting by Slack's method tiers, so that the bot spaces
 * its calls instead of collecting 429s. Slack counts "per API method per
 * workspace per app", so one limiter is meant to be shared by every Web API
 * client of a workspace token, across threads: it is the only object of
 * slack/ that is thread-safe. Each bucket is a token bucket (implemented as
 * GCRA: a theoretical arrival time per key), keyed by method, and for
 * chat.postMessage also by channel (Slack allows about 1 message per second
 * per channel, with bursts, on top of a workspace-wide limit).
 */
#ifndef INCIDENTD_SLACK_RATELIMIT_H
#define INCIDENTD_SLACK_RATELIMIT_H

#include <stdint.h>

#include "err.h"

#define SLACK_RL_MAX_BUCKETS 512 /* keys tracked; idle buckets are recycled beyond this */
#define SLACK_RL_MAX_KEY     128 /* "method" or "method#channel", truncated keys share a bucket */

enum slack_tier {
    SLACK_TIER_1 = 1,   /* 1+ per minute */
    SLACK_TIER_2,       /* 20+ per minute */
    SLACK_TIER_3,       /* 50+ per minute; also methods this table does not know */
    SLACK_TIER_4,       /* 100+ per minute */
    SLACK_TIER_SPECIAL, /* auth.test and the like: hundreds per minute */
    SLACK_TIER_POST     /* chat.postMessage: per channel ~1/s plus a workspace limit */
};

struct slack_rl_rate {
    double per_minute; /* sustained rate */
    double burst;      /* calls allowed back to back after a quiet spell (>= 1) */
};

/* The tier of a Web API method (from Slack's method docs); unknown methods are tier 3. */
enum slack_tier slack_method_tier(const char *method);
/* The rate this limiter uses for a tier (for SLACK_TIER_POST: the per-channel rate). */
struct slack_rl_rate slack_tier_rate(enum slack_tier tier);

struct slack_rl;

/* A new limiter with the default tier rates; free with slack_rl_free(). */
struct slack_rl *slack_rl_new(void);
void slack_rl_free(struct slack_rl *rl);

/*
 * Overrides the rate of one method (all its channels), e.g. from
 * configuration or in tests. per_minute <= 0 removes the limit for it.
 */
void slack_rl_set_rate(struct slack_rl *rl, const char *method, struct slack_rl_rate rate);

/*
 * Reserves one call of method (channel: the target channel for per-channel
 * methods, else ignored; may be NULL) at monotonic time now_ms. *wait_ms is
 * set to how long the caller must wait before calling (0: call now). When
 * that wait would exceed max_wait_ms nothing is reserved and BOT_ERATELIMIT
 * is returned, *wait_ms still telling how long it would have been, so that
 * a caller can reschedule the work instead of blocking.
 */
enum bot_rc slack_rl_acquire(struct slack_rl *rl, const char *method, const char *channel,
                             int64_t now_ms, int64_t max_wait_ms, int64_t *wait_ms) BOT_MUST_CHECK;

/*
 * Slack answered 429 with Retry-After: no call of method (and channel) is
 * let through before now_ms + retry_after_ms.
 */
void slack_rl_penalize(struct slack_rl *rl, const char *method, const char *channel, int64_t now_ms,
                       int64_t retry_after_ms);

#endif
