/*
 * Unit tests of business hours and on-call rotations (commands/hours.c),
 * and of the worker's zone offset on the days the clocks change: the plan
 * decides with the offset of "now", so DST is right when the offset is.
 */
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "hours.h"
#include "worker.h"

#define MIN 60000LL
#define HOUR (60 * MIN)
/* 2026-11-23 00:00 UTC, a Monday */
#define MON 1795392000000LL

static const struct hours office = {
    .enabled = true,
    .days = {true, true, true, true, true, false, false},
    .start_min = 9 * 60,
    .end_min = 17 * 60,
};

static void test_parse(void)
{
    int v;
    CHECK(hours_parse_day("Mon", &v) && v == 0);
    CHECK(hours_parse_day("sunday", &v) && v == 6);
    CHECK(!hours_parse_day("mo", &v));
    CHECK(hours_parse_clock("09:30", &v) && v == 570);
    CHECK(hours_parse_clock("24:00", &v) && v == 1440);
    CHECK(!hours_parse_clock("24:01", &v));
    CHECK(!hours_parse_clock("9:30", &v));
    CHECK(!hours_parse_clock("09:60", &v));
}

static void test_within_edges(void)
{
    int day, minute;
    hours_local(MON, 0, &day, &minute);
    CHECK(day == 0 && minute == 0);
    CHECK(!hours_within(&office, MON + 9 * HOUR - MIN, 0)); /* 08:59 */
    CHECK(hours_within(&office, MON + 9 * HOUR, 0));        /* 09:00 */
    CHECK(hours_within(&office, MON + 17 * HOUR - MIN, 0)); /* 16:59 */
    CHECK(!hours_within(&office, MON + 17 * HOUR, 0));      /* 17:00 */
    /* Midnight: Friday 23:59 is outside; Saturday at noon too (weekend). */
    CHECK(!hours_within(&office, MON + 4 * 24 * HOUR + 23 * HOUR + 59 * MIN, 0));
    CHECK(!hours_within(&office, MON + 5 * 24 * HOUR + 12 * HOUR, 0));
    /* The zone moves the day: Monday 02:00 UTC is Sunday 21:00 in New York (-5 h). */
    hours_local(MON + 2 * HOUR, -300, &day, &minute);
    CHECK(day == 6 && minute == 21 * 60);
    /* ... and Sunday 23:30 UTC is Monday 09:30 ten hours east (Brisbane): business hours. */
    CHECK(hours_within(&office, MON - 30 * MIN, 10 * 60));
    CHECK(!hours_within(&office, MON - 30 * MIN, 0));
    /* Disabled or absent: always business hours. */
    struct hours off = office;
    off.enabled = false;
    CHECK(hours_within(&off, MON + 5 * 24 * HOUR, 0));
    CHECK(hours_within(NULL, MON, 0));
    /* Before 1970 still gives a valid weekday (1969-12-31 was a Wednesday). */
    hours_local(-HOUR, 0, &day, &minute);
    CHECK(day == 2 && minute == 23 * 60);
}

static void test_rotation(void)
{
    const char *const users[] = {"U1", "U2", "U3"};
    int64_t start = MON + 3 * 24 * HOUR; /* a Thursday in week 0 */
    CHECK_STR(hours_rotation(users, 3, start, MON, 0), "U1");
    CHECK_STR(hours_rotation(users, 3, start, MON + 7 * 24 * HOUR - MIN, 0), "U1");
    CHECK_STR(hours_rotation(users, 3, start, MON + 7 * 24 * HOUR, 0), "U2");
    CHECK_STR(hours_rotation(users, 3, start, MON + 21 * 24 * HOUR, 0), "U1");
    CHECK_STR(hours_rotation(users, 3, start, MON - HOUR, 0), "U3"); /* the week before */
    /* Weeks change at local midnight: Sunday 23:30 UTC is already Monday in Berlin (+1 h). */
    CHECK_STR(hours_rotation(users, 3, start, MON + 7 * 24 * HOUR - 30 * MIN, 60), "U2");
    CHECK(hours_rotation(users, 0, start, MON, 0) == NULL);
}

static void test_offsets_across_dst(void)
{
    if (setenv("TZ", "Europe/Berlin", 1) != 0)
        abort();
    tzset();
    /* Berlin: CET (+60) until 2026-03-29 01:00 UTC, then CEST (+120) until 2026-10-25 01:00 UTC. */
    const int64_t spring = 1774746000000LL, autumn = 1792890000000LL;
    if (worker_tz_offset_min(spring + HOUR) != 120) {
        printf("skipped: no Europe/Berlin zone data here (tzdata not installed)\n");
        return;
    }
    CHECK_INT(worker_tz_offset_min(spring - MIN), 60);
    CHECK_INT(worker_tz_offset_min(spring), 120);
    CHECK_INT(worker_tz_offset_min(autumn - MIN), 120);
    CHECK_INT(worker_tz_offset_min(autumn), 60);
    /* New Year's Eve crosses the year in the offset computation. */
    CHECK_INT(worker_tz_offset_min(1798761600000LL - 30 * MIN), 60); /* 2026-12-31 23:30 UTC */
    setenv("TZ", "America/New_York", 1);
    tzset();
    CHECK_INT(worker_tz_offset_min(1798761600000LL + 2 * HOUR), -300); /* 2027-01-01 02:00 UTC */
    setenv("TZ", "UTC", 1);
    tzset();
    CHECK_INT(worker_tz_offset_min(MON), 0);
}

int main(void)
{
    RUN(test_parse);
    RUN(test_within_edges);
    RUN(test_rotation);
    RUN(test_offsets_across_dst);
    return CHECK_DONE();
}
