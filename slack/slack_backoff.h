/*
 * Retry delays shared by the Web API and Socket Mode clients: capped
 * exponential backoff with jitter, and the small random source that feeds
 * it. Pure functions of their inputs, so tests pass their own random values.
 */
#ifndef INCIDENTD_SLACK_BACKOFF_H
#define INCIDENTD_SLACK_BACKOFF_H

#include <stdint.h>

/*
 * Delay before retry number attempt (0 for the first retry): d =
 * min(cap_ms, base_ms * 2^attempt), then "equal jitter": a value in
 * [d/2, d] chosen by rnd, so that many clients failing together spread out
 * but none retries sooner than half the nominal delay. Never negative;
 * base_ms <= 0 gives 0.
 */
int64_t slack_backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms, uint64_t rnd);

/* A seed that differs between processes and calls (time, pid, address). */
uint64_t slack_rand_seed(void);
/* Next value of a splitmix64 sequence kept in *state (not for secrets). */
uint64_t slack_rand_next(uint64_t *state);

#endif
