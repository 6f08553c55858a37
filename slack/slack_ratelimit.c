/*
 * The method tier table and the shared, mutex-protected bucket table of the
 * rate limiter (see slack_ratelimit.h). Each bucket is GCRA: tat is the
 * "theoretical arrival time" of the next call; a call at t is allowed once
 * t >= tat - tau (tau = the burst allowance), and pushes tat forward by the
 * emission interval. Reserving a future slot is the same arithmetic, which
 * is what lets callers queue instead of being refused.
 */
#include "slack_ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "xmalloc.h"

/* Workspace-wide limit of chat.postMessage ("several hundred per minute"). */
static const struct slack_rl_rate post_workspace_rate = {300.0, 30.0};

static const struct {
    const char *method;
    enum slack_tier tier;
} method_tiers[] = {
    {"apps.connections.open", SLACK_TIER_3},
    {"auth.test", SLACK_TIER_SPECIAL},
    {"bookmarks.add", SLACK_TIER_2},
    {"chat.delete", SLACK_TIER_3},
    {"chat.getPermalink", SLACK_TIER_SPECIAL},
    {"chat.postEphemeral", SLACK_TIER_4},
    {"chat.postMessage", SLACK_TIER_POST},
    {"chat.update", SLACK_TIER_3},
    {"conversations.archive", SLACK_TIER_2},
    {"conversations.create", SLACK_TIER_2},
    {"conversations.history", SLACK_TIER_3},
    {"conversations.info", SLACK_TIER_3},
    {"conversations.invite", SLACK_TIER_3},
    {"conversations.join", SLACK_TIER_3},
    {"conversations.list", SLACK_TIER_2},
    {"conversations.members", SLACK_TIER_4},
    {"conversations.rename", SLACK_TIER_2},
    {"conversations.setPurpose", SLACK_TIER_2},
    {"conversations.setTopic", SLACK_TIER_2},
    {"pins.add", SLACK_TIER_2},
    {"reactions.add", SLACK_TIER_3},
    {"team.info", SLACK_TIER_3},
    {"usergroups.list", SLACK_TIER_2},
    {"usergroups.users.list", SLACK_TIER_2},
    {"users.conversations", SLACK_TIER_3},
    {"users.info", SLACK_TIER_4},
    {"users.list", SLACK_TIER_2},
    {"users.lookupByEmail", SLACK_TIER_3},
    {"views.open", SLACK_TIER_4},
    {"views.publish", SLACK_TIER_4},
    {"views.push", SLACK_TIER_4},
    {"views.update", SLACK_TIER_4},
};

#define NELEM(a)      (sizeof(a) / sizeof((a)[0]))
#define MAX_OVERRIDES 32

enum slack_tier slack_method_tier(const char *method)
{
    for (size_t i = 0; method && i < NELEM(method_tiers); i++)
        if (strcmp(method, method_tiers[i].method) == 0)
            return method_tiers[i].tier;
    return SLACK_TIER_3;
}

struct slack_rl_rate slack_tier_rate(enum slack_tier tier)
{
    switch (tier) {
    case SLACK_TIER_1:
        return (struct slack_rl_rate){1.0, 1.0};
    case SLACK_TIER_2:
        return (struct slack_rl_rate){20.0, 3.0};
    case SLACK_TIER_3:
        return (struct slack_rl_rate){50.0, 5.0};
    case SLACK_TIER_4:
        return (struct slack_rl_rate){100.0, 10.0};
    case SLACK_TIER_SPECIAL:
        return (struct slack_rl_rate){300.0, 20.0};
    case SLACK_TIER_POST:
        return (struct slack_rl_rate){60.0, 3.0};
    }
    return (struct slack_rl_rate){50.0, 5.0};
}

struct bucket {
    char key[SLACK_RL_MAX_KEY];
    double tat; /* ms; the theoretical arrival time of the next call */
    bool used;
};

struct override {
    char method[SLACK_RL_MAX_KEY];
    struct slack_rl_rate rate;
};

struct slack_rl {
    pthread_mutex_t mu;
    struct bucket buckets[SLACK_RL_MAX_BUCKETS];
    struct override overrides[MAX_OVERRIDES];
    size_t n_overrides;
};

struct slack_rl *slack_rl_new(void)
{
    struct slack_rl *rl = xcalloc(1, sizeof(*rl));
    pthread_mutex_init(&rl->mu, NULL);
    return rl;
}

void slack_rl_free(struct slack_rl *rl)
{
    if (rl == NULL)
        return;
    pthread_mutex_destroy(&rl->mu);
    free(rl);
}

void slack_rl_set_rate(struct slack_rl *rl, const char *method, struct slack_rl_rate rate)
{
    pthread_mutex_lock(&rl->mu);
    size_t i;
    for (i = 0; i < rl->n_overrides; i++)
        if (strcmp(rl->overrides[i].method, method) == 0)
            break;
    if (i == rl->n_overrides && rl->n_overrides < MAX_OVERRIDES) {
        snprintf(rl->overrides[i].method, sizeof(rl->overrides[i].method), "%s", method);
        rl->n_overrides++;
    }
    if (i < MAX_OVERRIDES)
        rl->overrides[i].rate = rate;
    pthread_mutex_unlock(&rl->mu);
}

/* Caller holds mu. */
static struct slack_rl_rate rate_of(const struct slack_rl *rl, const char *method)
{
    for (size_t i = 0; i < rl->n_overrides; i++)
        if (strcmp(rl->overrides[i].method, method) == 0)
            return rl->overrides[i].rate;
    return slack_tier_rate(slack_method_tier(method));
}

static double interval_ms(struct slack_rl_rate r)
{
    return 60000.0 / r.per_minute;
}

static double tau_ms(struct slack_rl_rate r)
{
    double burst = r.burst < 1.0 ? 1.0 : r.burst;
    return interval_ms(r) * (burst - 1.0);
}

/*
 * The bucket for key, created when missing. When the table is full, a
 * bucket whose tat has passed (it is as good as new) is recycled, else the
 * one that frees up first, so a flood of channels cannot grow memory.
 * keep (may be NULL) is never recycled. Caller holds mu.
 */
static struct bucket *bucket_get(struct slack_rl *rl, const char *key, double now,
                                 const struct bucket *keep)
{
    struct bucket *freeb = NULL, *oldest = NULL;
    for (size_t i = 0; i < SLACK_RL_MAX_BUCKETS; i++) {
        struct bucket *b = &rl->buckets[i];
        if (!b->used) {
            if (freeb == NULL)
                freeb = b;
            continue;
        }
        if (strcmp(b->key, key) == 0)
            return b;
        if (b != keep && (oldest == NULL || b->tat < oldest->tat))
            oldest = b;
    }
    struct bucket *b = freeb ? freeb : oldest;
    snprintf(b->key, sizeof(b->key), "%s", key);
    b->used = true;
    b->tat = now;
    return b;
}

/*
 * Fills key with "method" or "method#channel" for per-channel methods.
 * Truncation is harmless and deliberate: a key cut at SLACK_RL_MAX_KEY
 * only shares its bucket with another key of the same first 127 bytes.
 */
static void make_keys(const char *method, const char *channel, char *key, size_t keylen,
                      bool *per_channel)
{
    *per_channel = slack_method_tier(method) == SLACK_TIER_POST;
    if (*per_channel)
        snprintf(key, keylen, "%s#%s", method, channel ? channel : "");
    else
        snprintf(key, keylen, "%s", method);
}

/* Earliest time >= t at which bucket b lets a call through. */
static double allowed_at(const struct bucket *b, struct slack_rl_rate r, double t)
{
    double at = b->tat - tau_ms(r);
    return at > t ? at : t;
}

static void consume(struct bucket *b, struct slack_rl_rate r, double t)
{
    double base = b->tat > t ? b->tat : t;
    b->tat = base + interval_ms(r);
}

enum bot_rc slack_rl_acquire(struct slack_rl *rl, const char *method, const char *channel,
                             int64_t now_ms, int64_t max_wait_ms, int64_t *wait_ms)
{
    char key[SLACK_RL_MAX_KEY];
    bool per_channel;
    double now = (double)now_ms;
    enum bot_rc rc = BOT_OK;

    *wait_ms = 0;
    make_keys(method, channel, key, sizeof(key), &per_channel);
    pthread_mutex_lock(&rl->mu);
    struct slack_rl_rate r = rate_of(rl, method);
    if (r.per_minute <= 0.0)
        goto out;
    struct bucket *b = bucket_get(rl, key, now, NULL);
    struct bucket *ws = NULL; /* chat.postMessage's workspace-wide bucket */
    double t = allowed_at(b, r, now);
    if (per_channel) {
        ws = bucket_get(rl, method, now, b);
        double t2 = allowed_at(ws, post_workspace_rate, now);
        if (t2 > t)
            t = t2;
    }
    double wait = t - now;
    *wait_ms = (int64_t)(wait + 0.999);
    if (*wait_ms > max_wait_ms) {
        rc = BOT_ERATELIMIT;
        goto out;
    }
    consume(b, r, t);
    if (ws)
        consume(ws, post_workspace_rate, t);
out:
    pthread_mutex_unlock(&rl->mu);
    return rc;
}

void slack_rl_penalize(struct slack_rl *rl, const char *method, const char *channel, int64_t now_ms,
                       int64_t retry_after_ms)
{
    char key[SLACK_RL_MAX_KEY];
    bool per_channel;
    double until = (double)now_ms + (double)(retry_after_ms > 0 ? retry_after_ms : 0);

    make_keys(method, channel, key, sizeof(key), &per_channel);
    pthread_mutex_lock(&rl->mu);
    struct slack_rl_rate r = rate_of(rl, method);
    if (r.per_minute > 0.0) {
        /* Next call allowed at `until`, and only one: no burst right after a 429. */
        struct bucket *b = bucket_get(rl, key, (double)now_ms, NULL);
        double tat = until + tau_ms(r);
        if (b->tat < tat)
            b->tat = tat;
    }
    pthread_mutex_unlock(&rl->mu);
}
