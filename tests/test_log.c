/*
 * Unit tests of bot/log.c's collapsing of repeated lines (issue 15): a flood of one
 * line is written once, then as one count line when something else is logged, when
 * log_flush_repeats() finds the repeats over, or when the stream changes; lines that
 * differ in any pair are all written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "log.h"

static char mem[1 << 16];

static FILE *capture(void)
{
    memset(mem, 0, sizeof(mem));
    FILE *f = fmemopen(mem, sizeof(mem), "w");
    if (f)
        log_set_stream(f);
    return f;
}

static void release(FILE *f)
{
    log_set_stream(NULL);
    fclose(f);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_flood_is_one_line_and_a_count(void)
{
    FILE *f = capture();
    CHECK(f != NULL);
    log_set_level(LOG_INFO);
    /* Fewer than the 10 s rule could split even under valgrind; the seconds are not checked. */
    for (int i = 0; i < 20000; i++)
        log_error("accept: errno 24", "src", "lws");
    log_info("something else");
    release(f);
    CHECK_INT(count_lines(mem), 3);
    CHECK_CONTAINS(mem, " level=error msg=\"accept: errno 24\" src=lws\n");
    CHECK_CONTAINS(mem, " level=error msg=\"accept: errno 24 (repeated 19999 times in ");
    CHECK_CONTAINS(mem, " s)\" src=lws\n");
    CHECK(strstr(mem, "(repeated") < strstr(mem, "something else"));
}

static void test_different_pairs_are_not_collapsed(void)
{
    FILE *f = capture();
    CHECK(f != NULL);
    log_warn("refused", "reason", "a");
    log_warn("refused", "reason", "b");
    log_warn("refused", "reason", "a");
    release(f);
    CHECK_INT(count_lines(mem), 3);
    CHECK(strstr(mem, "repeated") == NULL);
}

static void test_quiet_flood_is_counted_by_flush(void)
{
    FILE *f = capture();
    CHECK(f != NULL);
    log_warn("same");
    log_warn("same");
    log_warn("same");
    log_flush_repeats(); /* too soon: the repeats may go on */
    CHECK(strstr(mem, "repeated") == NULL);
    struct timespec ts = {.tv_sec = LOG_REPEAT_QUIET_MS / 1000 + 0, .tv_nsec = 200000000L};
    nanosleep(&ts, NULL);
    log_flush_repeats();
    fflush(f);
    CHECK_CONTAINS(mem, "msg=\"same (repeated 2 times in 0 s)\"\n");
    log_warn("same"); /* after the count, one more is a repeat again, not written */
    release(f); /* the stream change says it */
    CHECK_INT(count_lines(mem), 3);
    CHECK_CONTAINS(mem, "msg=\"same (repeated 1 time in 0 s)\"\n");
}

int main(void)
{
    RUN(test_flood_is_one_line_and_a_count);
    RUN(test_different_pairs_are_not_collapsed);
    RUN(test_quiet_flood_is_counted_by_flush);
    return CHECK_DONE();
}
