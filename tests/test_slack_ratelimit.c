/*
 * The rate limiter (slack_ratelimit) and the retry delays (slack_backoff),
 * on a simulated clock: no test sleeps, every time is a number.
 */
#include <pthread.h>
#include <stdint.h>

#include "check.h"
#include "slack_backoff.h"
#include "slack_ratelimit.h"

static void test_backoff_grows_caps_and_jitters(void)
{
    /* With rnd 0 the delay is the lower edge (half), with a huge rnd it stays within [d/2, d]. */
    CHECK_INT(slack_backoff_ms(0, 500, 8000, 0), 250);
    CHECK_INT(slack_backoff_ms(1, 500, 8000, 0), 500);
    CHECK_INT(slack_backoff_ms(2, 500, 8000, 0), 1000);
    CHECK_INT(slack_backoff_ms(4, 500, 8000, 0), 4000);
    CHECK_INT(slack_backoff_ms(5, 500, 8000, 0), 4000);  /* capped at 8000, half is 4000 */
    CHECK_INT(slack_backoff_ms(60, 500, 8000, 0), 4000); /* no overflow for large attempts */
    CHECK_INT(slack_backoff_ms(1000, 500, 8000, 4000), 8000);
    CHECK_INT(slack_backoff_ms(0, 0, 8000, 7), 0);
    CHECK_INT(slack_backoff_ms(3, 1000, 500, 0), 500); /* cap below base: base wins */
    uint64_t st = 42;
    for (unsigned a = 0; a < 40; a++) {
        int64_t d = slack_backoff_ms(a, 100, 30000, slack_rand_next(&st));
        int64_t nominal = 100;
        for (unsigned i = 0; i < a && nominal < 30000; i++)
            nominal = nominal * 2 > 30000 ? 30000 : nominal * 2;
        CHECK_MSG(d >= nominal / 2 && d <= nominal, "attempt %u: %lld not in [%lld, %lld]", a,
                  (long long)d, (long long)(nominal / 2), (long long)nominal);
    }
}

static void test_jitter_spreads(void)
{
    uint64_t st = slack_rand_seed();
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 200; i++) {
        int64_t d = slack_backoff_ms(3, 1000, 60000, slack_rand_next(&st));
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    CHECK(lo >= 4000 && hi <= 8000);
    CHECK(hi - lo > 1000); /* 200 draws over a 4 s window do not bunch up */
}

static void test_tiers(void)
{
    CHECK_INT(slack_method_tier("conversations.create"), SLACK_TIER_2);
    CHECK_INT(slack_method_tier("users.lookupByEmail"), SLACK_TIER_3);
    CHECK_INT(slack_method_tier("views.open"), SLACK_TIER_4);
    CHECK_INT(slack_method_tier("chat.postMessage"), SLACK_TIER_POST);
    CHECK_INT(slack_method_tier("auth.test"), SLACK_TIER_SPECIAL);
    CHECK_INT(slack_method_tier("made.up"), SLACK_TIER_3);
    CHECK(slack_tier_rate(SLACK_TIER_2).per_minute >= 20.0);
    CHECK(slack_tier_rate(SLACK_TIER_4).per_minute > slack_tier_rate(SLACK_TIER_3).per_minute);
}

static void test_burst_then_spacing(void)
{
    struct slack_rl *rl = slack_rl_new();
    int64_t wait;
    /* tier 2: 20/min (3 s apart), burst 3 */
    for (int i = 0; i < 3; i++) {
        CHECK_INT(slack_rl_acquire(rl, "conversations.create", NULL, 1000, 60000, &wait), BOT_OK);
        CHECK_INT(wait, 0);
    }
    CHECK_INT(slack_rl_acquire(rl, "conversations.create", NULL, 1000, 60000, &wait), BOT_OK);
    CHECK_INT(wait, 3000);
    CHECK_INT(slack_rl_acquire(rl, "conversations.create", NULL, 1000, 60000, &wait), BOT_OK);
    CHECK_INT(wait, 6000); /* queued behind the previous reservation */
    /* Another method is not affected. */
    CHECK_INT(slack_rl_acquire(rl, "conversations.setTopic", NULL, 1000, 60000, &wait), BOT_OK);
    CHECK_INT(wait, 0);
    /* After a quiet spell the burst is back. */
    for (int i = 0; i < 3; i++) {
        CHECK_INT(slack_rl_acquire(rl, "conversations.create", NULL, 100000, 60000, &wait), BOT_OK);
        CHECK_INT(wait, 0);
    }
    slack_rl_free(rl);
}

static void test_max_wait_refuses_without_reserving(void)
{
    struct slack_rl *rl = slack_rl_new();
    int64_t wait;
    slack_rl_set_rate(rl, "pins.add", (struct slack_rl_rate){6.0, 1.0}); /* 10 s apart */
    CHECK_INT(slack_rl_acquire(rl, "pins.add", NULL, 0, 1000, &wait), BOT_OK);
    CHECK_INT(slack_rl_acquire(rl, "pins.add", NULL, 0, 1000, &wait), BOT_ERATELIMIT);
    CHECK_INT(wait, 10000);
    CHECK_INT(slack_rl_acquire(rl, "pins.add", NULL, 0, 1000, &wait), BOT_ERATELIMIT);
    CHECK_INT(wait, 10000); /* the refused calls reserved nothing */
    CHECK_INT(slack_rl_acquire(rl, "pins.add", NULL, 9500, 1000, &wait), BOT_OK);
    CHECK_INT(wait, 500);
    /* per_minute <= 0 lifts the limit */
    slack_rl_set_rate(rl, "pins.add", (struct slack_rl_rate){0.0, 0.0});
    for (int i = 0; i < 100; i++) {
        CHECK_INT(slack_rl_acquire(rl, "pins.add", NULL, 0, 0, &wait), BOT_OK);
        CHECK_INT(wait, 0);
    }
    slack_rl_free(rl);
}

static void test_post_message_per_channel(void)
{
    struct slack_rl *rl = slack_rl_new();
    int64_t wait;
    /* ~1/s per channel with a burst of 3 */
    for (int i = 0; i < 3; i++) {
        CHECK_INT(slack_rl_acquire(rl, "chat.postMessage", "C1", 0, 60000, &wait), BOT_OK);
        CHECK_INT(wait, 0);
    }
    CHECK_INT(slack_rl_acquire(rl, "chat.postMessage", "C1", 0, 60000, &wait), BOT_OK);
    CHECK_INT(wait, 1000);
    /* another channel has its own budget */
    CHECK_INT(slack_rl_acquire(rl, "chat.postMessage", "C2", 0, 60000, &wait), BOT_OK);
    CHECK_INT(wait, 0);
    /* the workspace-wide limit binds when many channels post at once */
    int64_t worst = 0;
    for (int i = 0; i < 200; i++) {
        char ch[16];
        snprintf(ch, sizeof(ch), "D%d", i);
        CHECK_INT(slack_rl_acquire(rl, "chat.postMessage", ch, 0, 600000, &wait), BOT_OK);
        worst = wait > worst ? wait : worst;
    }
    CHECK(worst > 0);
    slack_rl_free(rl);
}

static void test_penalty_after_429(void)
{
    struct slack_rl *rl = slack_rl_new();
    int64_t wait;
    CHECK_INT(slack_rl_acquire(rl, "views.open", NULL, 0, 60000, &wait), BOT_OK);
    slack_rl_penalize(rl, "views.open", NULL, 100, 2000);
    CHECK_INT(slack_rl_acquire(rl, "views.open", NULL, 100, 60000, &wait), BOT_OK);
    CHECK_INT(wait, 2000);
    /* one call at the end of the penalty, not a burst */
    CHECK_INT(slack_rl_acquire(rl, "views.open", NULL, 2100, 60000, &wait), BOT_OK);
    CHECK(wait > 0);
    /* a penalty never shortens an existing queue */
    slack_rl_penalize(rl, "views.open", NULL, 2100, 0);
    CHECK_INT(slack_rl_acquire(rl, "views.open", NULL, 2100, 60000, &wait), BOT_OK);
    CHECK(wait > 0);
    slack_rl_free(rl);
}

static void test_bucket_table_is_bounded(void)
{
    struct slack_rl *rl = slack_rl_new();
    int64_t wait;
    /* Far more channels than buckets: old idle buckets are recycled, nothing grows. */
    for (int i = 0; i < SLACK_RL_MAX_BUCKETS * 4; i++) {
        char ch[32];
        snprintf(ch, sizeof(ch), "C%06d", i);
        CHECK_INT(slack_rl_acquire(rl, "chat.postMessage", ch, (int64_t)i * 1000, 600000, &wait),
                  BOT_OK);
    }
    slack_rl_free(rl);
}

struct thr {
    struct slack_rl *rl;
    int64_t total;
};

static void *hammer(void *arg)
{
    struct thr *t = arg;
    for (int i = 0; i < 1000; i++) {
        int64_t wait;
        if (slack_rl_acquire(t->rl, "users.info", NULL, 0, INT64_MAX, &wait) == BOT_OK)
            t->total++;
    }
    return NULL;
}

static void test_shared_between_threads(void)
{
    struct slack_rl *rl = slack_rl_new();
    pthread_t th[4];
    struct thr t[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (struct thr){rl, 0};
        pthread_create(&th[i], NULL, hammer, &t[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    int64_t wait;
    CHECK_INT(slack_rl_acquire(rl, "users.info", NULL, 0, INT64_MAX, &wait), BOT_OK);
    /* 4000 reservations at 100/min with a burst of 10: the next is (4000 - 9) * 600 ms away */
    CHECK_INT(wait, (4000 - 9) * 600);
    slack_rl_free(rl);
}

int main(void)
{
    RUN(test_backoff_grows_caps_and_jitters);
    RUN(test_jitter_spreads);
    RUN(test_tiers);
    RUN(test_burst_then_spacing);
    RUN(test_max_wait_refuses_without_reserving);
    RUN(test_post_message_per_channel);
    RUN(test_penalty_after_429);
    RUN(test_bucket_table_is_bounded);
    RUN(test_shared_between_threads);
    return CHECK_DONE();
}
