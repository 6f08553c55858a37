/* Unit tests of common/: bounded buffers, error messages, allocation helpers. */
#include <stdlib.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "retry_after.h"
#include "utf8.h"
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

/* What utf8_check_text(s) says, as "ok" or its description. */
static const char *checked(const char *s, size_t n, unsigned allow)
{
    static char out[160];
    struct utf8_bad bad;
    if (utf8_check_text(s, n, allow, &bad))
        return "ok";
    return utf8_bad_describe(&bad, out, sizeof(out));
}

static void test_utf8_check_text(void)
{
#define CHK(s, allow, want) CHECK_STR(checked(s, sizeof(s) - 1, allow), want)
    CHK("", 0, "ok");
    CHK("Checkout fails for \"EU\" users “now” — データベース障害 😀", 0, "ok");
    /* the bidirectional marks are allowed (Arabic and Hebrew writing uses them) */
    CHK("a\xe2\x80\x8e" "b\xe2\x80\x8f" "c\xd8\x9c" "d", 0, "ok");
    CHK("a\nb\tc", UTF8_MULTILINE, "ok");
    CHK("a\nb", UTF8_ALLOW_TAB, "a line break (U+000A) at character 2");
    CHK("a\tb", UTF8_ALLOW_NEWLINE, "a tab (U+0009) at character 2");
    CHK("a\r\nb", UTF8_MULTILINE, "a carriage return (U+000D) at character 2");
    CHK("ab\0c", UTF8_MULTILINE, "a NUL character (U+0000) at character 3");
    CHK("ab" UTF8_NUL_MARK "c", UTF8_MULTILINE, "a NUL character (U+0000) at character 3");
    CHK("\x01", UTF8_MULTILINE, "a control character (U+0001) at character 1");
    CHK("x\x1f", UTF8_MULTILINE, "a control character (U+001F) at character 2");
    CHK("x\x7f", UTF8_MULTILINE, "a control character (U+007F) at character 2");
    CHK("é\xc2\x80", UTF8_MULTILINE, "a control character (U+0080) at character 2");
    CHK("é\xc2\x9f", UTF8_MULTILINE, "a control character (U+009F) at character 2");
    CHK("\xc2\xa0ok", 0, "ok"); /* U+00A0 is a space, not a control */
    CHK("Users see \xe2\x80\xae" "005", 0,
        "a right-to-left override (U+202E) at character 11");
    CHK("\xe2\x80\xaa", 0, "a left-to-right embedding (U+202A) at character 1");
    CHK("\xe2\x80\xab", 0, "a right-to-left embedding (U+202B) at character 1");
    CHK("\xe2\x80\xac", 0, "a pop directional formatting (U+202C) at character 1");
    CHK("\xe2\x80\xad", 0, "a left-to-right override (U+202D) at character 1");
    CHK("\xe2\x81\xa6", 0, "a left-to-right isolate (U+2066) at character 1");
    CHK("\xe2\x81\xa7", 0, "a right-to-left isolate (U+2067) at character 1");
    CHK("\xe2\x81\xa8", 0, "a first strong isolate (U+2068) at character 1");
    CHK("\xe2\x81\xa9", 0, "a pop directional isolate (U+2069) at character 1");
    CHK("\xe2\x80\xa9\xe2\x81\xaa", 0, "ok"); /* the neighbours of both ranges */
    CHK("ab\xff", 0, "a byte that is not valid UTF-8 (0xFF) at character 3");
    CHK("ab\xe2\x80", 0, "a byte that is not valid UTF-8 (0xE2) at character 3");
#undef CHK
    struct utf8_bad bad;
    CHECK(!utf8_check_text("éé\xe2\x80\xaex", 8, 0, &bad));
    CHECK_INT(bad.offset, 4);
    CHECK_INT(bad.index, 3);
    CHECK_INT(bad.cp, 0x202e);
    CHECK(!bad.invalid);
    CHECK(!utf8_check_text("\x07", 1, 0, NULL)); /* bad may be NULL */
    char small[8];
    CHECK_STR(utf8_bad_describe(&bad, small, sizeof(small)), "a right");
}

static void test_utf8_json_mark_nul(void)
{
    size_t n = 0;
    const char *none = "{\"text\":\"a\\\\u0000b \\u00e9\"}"; /* an escaped backslash, then é */
    CHECK(utf8_json_mark_nul(none, strlen(none), &n) == NULL);
    const char *j = "{\"text\":\"declare A\\u0000 B\\\\\\u0000\"}";
    char *m = utf8_json_mark_nul(j, strlen(j), &n);
    CHECK_STR(m, "{\"text\":\"declare A\xc0\x80 B\\\\\xc0\x80\"}");
    CHECK_INT(n, strlen(m));
    free(m);
    /* only len bytes are read; an escape cut short is left alone */
    m = utf8_json_mark_nul("\\u0000\\u000", 10, &n);
    CHECK(m != NULL && n == 6 && memcmp(m, "\xc0\x80\\u000", 6) == 0);
    free(m);
    CHECK(utf8_json_mark_nul("\\u0000", 5, NULL) == NULL);
    CHECK(utf8_json_mark_nul("", 0, NULL) == NULL);
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

/* One classification for every retry decision: what may clear, and what never will. */
static void test_transient_classification(void)
{
    static const enum bot_rc transient[] = {BOT_EIO, BOT_EBUSY, BOT_ERATELIMIT, BOT_ENET};
    static const enum bot_rc permanent[] = {BOT_OK,       BOT_EINVAL, BOT_ECONFIG, BOT_EDB,
                                            BOT_ESCHEMA,  BOT_ENOTFOUND, BOT_EEXISTS,
                                            BOT_ETOOBIG,  BOT_EPROTO, BOT_EREMOTE, BOT_EPERM,
                                            BOT_ESTATE};
    for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
        CHECK_MSG(bot_rc_transient(transient[i]), "%s", bot_strerror(transient[i]));
    for (size_t i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
        CHECK_MSG(!bot_rc_transient(permanent[i]), "%s", bot_strerror(permanent[i]));
    CHECK_INT((int)(sizeof(transient) + sizeof(permanent)) / (int)sizeof(enum bot_rc),
              BOT_RC_COUNT); /* every code is classified here */
}

int main(void)
{
    RUN(test_buf_grows_and_keeps_nul);
    RUN(test_buf_max_is_enforced);
    RUN(test_buf_take_hands_over);
    RUN(test_err_set_truncates);
    RUN(test_xasprintf_and_memdup);
    RUN(test_retry_after_header);
    RUN(test_utf8_check_text);
    RUN(test_utf8_json_mark_nul);
    RUN(test_transient_classification);
    return CHECK_DONE();
}
