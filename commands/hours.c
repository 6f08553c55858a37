/* Business hours and weekly rotations (see hours.h). */
#include "hours.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const day_names[HOURS_DAYS][2] = {
    {"mon", "monday"},   {"tue", "tuesday"}, {"wed", "wednesday"}, {"thu", "thursday"},
    {"fri", "friday"},   {"sat", "saturday"}, {"sun", "sunday"},
};

bool hours_parse_day(const char *s, int *day_out)
{
    for (int i = 0; i < HOURS_DAYS; i++)
        if (strcasecmp(s, day_names[i][0]) == 0 || strcasecmp(s, day_names[i][1]) == 0) {
            *day_out = i;
            return true;
        }
    return false;
}

bool hours_parse_clock(const char *s, int *min_out)
{
    if (strlen(s) != 5 || s[2] != ':')
        return false;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0))
        return false;
    *min_out = h * 60 + m;
    return true;
}

/* Floor division, for moments before 1970. */
static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void hours_local(int64_t now_ms, int tz_offset_min, int *day_out, int *minute_out)
{
    int64_t local_min = floordiv(now_ms, 60000) + tz_offset_min;
    int64_t days = floordiv(local_min, 1440);
    *minute_out = (int)(local_min - days * 1440);
    /* 1970-01-01 was a Thursday (3 when Monday is 0). */
    int64_t dow = (days + 3) % 7;
    *day_out = (int)(dow < 0 ? dow + 7 : dow);
}

bool hours_within(const struct hours *h, int64_t now_ms, int tz_offset_min)
{
    int day, minute;
    if (h == NULL || !h->enabled)
        return true;
    hours_local(now_ms, tz_offset_min, &day, &minute);
    return h->days[day] && minute >= h->start_min && minute < h->end_min;
}

/* Local days since 1970-01-01 of the Monday of the week holding ms. */
static int64_t week_monday(int64_t ms, int tz_offset_min)
{
    int day, minute;
    hours_local(ms, tz_offset_min, &day, &minute);
    return floordiv(floordiv(ms, 60000) + tz_offset_min, 1440) - day;
}

const char *hours_rotation(const char *const *users, size_t n, int64_t start_ms, int64_t now_ms,
                           int tz_offset_min)
{
    if (n == 0)
        return NULL;
    int64_t weeks = floordiv(week_monday(now_ms, tz_offset_min) -
                                 week_monday(start_ms, tz_offset_min), 7);
    int64_t k = weeks % (int64_t)n;
    return users[k < 0 ? k + (int64_t)n : k];
}
