/*
 * Business hours and who is on call, as PLAN.md needs them: whether a
 * moment falls inside the configured days and hours (in the zone whose
 * offset the caller passes in, so DST is the caller's clock's business),
 * and the on-call engineer of a weekly rotation. Pure: no clock reads.
 */
#ifndef INCIDENTD_HOURS_H
#define INCIDENTD_HOURS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOURS_DAYS 7

struct hours {
    bool enabled;          /* false: every moment counts as business hours */
    bool days[HOURS_DAYS]; /* [0] Monday .. [6] Sunday */
    int start_min;         /* local minutes after midnight, 0..1439 */
    int end_min;           /* 1..1440, > start_min */
};

/* "mon".."sun" (case-insensitive, or the full English name) -> 0..6; false otherwise. */
bool hours_parse_day(const char *s, int *day_out);
/* "HH:MM" (00:00..24:00) -> minutes after midnight; false otherwise. */
bool hours_parse_clock(const char *s, int *min_out);

/* The local weekday (0 Monday) and minute of the day of now_ms in the zone tz_offset_min east. */
void hours_local(int64_t now_ms, int tz_offset_min, int *day_out, int *minute_out);

/* True when now_ms is inside business hours (always when h is NULL or disabled). */
bool hours_within(const struct hours *h, int64_t now_ms, int tz_offset_min);

/*
 * The on-call engineer of a weekly rotation: users[k % n] where k counts the
 * local weeks (Monday 00:00 to Monday 00:00) since the week holding
 * start_ms; NULL when n is 0. A moment before start_ms counts backwards.
 */
const char *hours_rotation(const char *const *users, size_t n, int64_t start_ms, int64_t now_ms,
                           int tz_offset_min);

#endif
