/* Unit tests of common/: bounded buffers, error messages, allocation helpers. */
#include <stdlib.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "retry_after.h"
#include "xmalloc.h"

static void test_buf_grows_and_keeps_nul(void)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    CHECK_STR(buf_str(&b), "");
    for (int i = 0; i < 1000; i++)
        CHECK_INT(buf_addf(&b, "%d,", i), BOT_OK);
    CHECK_INT(b.len, 3890);
    CHECK(strncmp(buf_str(&b), "0,1,2,", 6) == 0);
    CHECK_INT(buf_add(&b, "a\0b", 3), BOT_OK);
    CHECK_INT(b.len, 3893);
    CHECK(b.data[b.len] == '\0');
    CHECK(b.data[b.len - 2] == '\0');
    buf_free(&b);
}

static void test_buf_max_is_enforced(void)
{
    struct buf b;
    buf_init(&b, 8);
    CHECK_INT(buf_addstr(&b, "12345678"), BOT_OK);
    CHECK_INT(buf_addstr(&b, "9"), BOT_ETOOBIG);
    CHECK_INT(b.len, 8);
    CHECK_STR(buf_str(&b), "12345678");
    CHECK_INT(buf_addf(&b, "%s", "x"), BOT_ETOOBIG);
    buf_reset(&b);
    CHECK_INT(buf_addf(&b, "%d", 123456789), BOT_ETOOBIG);
    CHECK_INT(b.len, 0);
    buf_free(&b);
}

static void test_buf_take_hands_over(void)
{
    struct buf b;
    buf_init(&b, 100);
    char *empty = buf_take(&b);
    CHECK_STR(empty, "");
    free(empty);
    CHECK_INT(buf_addstr(&b, "hello"), BOT_OK);
    char *s = buf_take(&b);
    CHECK_STR(s, "hello");
    CHECK(b.data == NULL && b.len == 0);
    free(s);
}

static void test_err_set_truncates(void)
{
    struct bot_err e;
    char big[BOT_ERR_MAX * 2];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK_INT(bot_err_set(&e, BOT_EINVAL, "%s", big), BOT_EINVAL);
    CHECK_INT(strlen(e.msg), BOT_ERR_MAX - 1);
    CHECK(strcmp(e.msg + BOT_ERR_MAX - 4, "...") == 0);
    CHECK_INT(bot_err_set(NULL, BOT_EIO, "ignored"), BOT_EIO);
    CHECK_STR(bot_strerror(BOT_OK), "ok");
    CHECK_STR(bot_strerror((enum bot_rc)999), "unknown error");
}

static void test_xasprintf_and_memdup(void)
{
    char *s = xasprintf("%s-%d", "inc", 42);
    CHECK_STR(s, "inc-42");
    free(s);
    char *d = xmemdup0("a\0b", 3);
    CHECK(d[0] == 'a' && d[1] == '\0' && d[2] == 'b' && d[3] == '\0');
    free(d);
}

static bool ra(const char *line, int64_t *ms)
{
    *ms = -1;
    return retry_after_header(line, strlen(line), ms);
}

static void test_retry_after_header(void)
{
    int64_t ms;
    CHECK(ra("Retry-After: 2\r\n", &ms));
    CHECK_INT(ms, 2000);
    CHECK(ra("retry-after:0\r\n", &ms));
    CHECK_INT(ms, 0);
    CHECK(ra("RETRY-AFTER: \t 86400 \r\n", &ms));
    CHECK_INT(ms, 86400000);
    CHECK(!ra("Retry-After: 86401\r\n", &ms)); /* not believed */
    CHECK(!ra("Retry-After: 99999999999999999999\r\n", &ms));
    CHECK(!ra("Retry-After: Wed, 21 Oct 2026 07:28:00 GMT\r\n", &ms)); /* an HTTP-date */
    CHECK(!ra("Retry-After: 5s\r\n", &ms));
    CHECK(!ra("Retry-After: -1\r\n", &ms));
    CHECK(!ra("Retry-After:\r\n", &ms));
    CHECK(!ra("Retry-After-Ms: 5\r\n", &ms));
    CHECK(!ra("Content-Length: 5\r\n", &ms));
    CHECK(!ra("Retry", &ms));
    CHECK_INT(ms, -1); /* untouched when false */
    /* not NUL-terminated: only len bytes are read */
    const char cut[] = "Retry-After: 7\r\nXXXX";
    CHECK(retry_after_header(cut, sizeof(cut) - 1 - 4, &ms));
    CHECK_INT(ms, 7000);
}

int main(void)
{
    RUN(test_buf_grows_and_keeps_nul);
    RUN(test_buf_max_is_enforced);
    RUN(test_buf_take_hands_over);
    RUN(test_err_set_truncates);
    RUN(test_xasprintf_and_memdup);
    RUN(test_retry_after_header);
    return CHECK_DONE();
}
