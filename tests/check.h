/*
 * A tiny assertion header for unit tests. Each test file defines test
 * functions, lists them in main() with RUN(), and ends with CHECK_DONE(),
 * which prints "N passed, N failed" and returns non-zero on any failure.
 * A failed CHECK records the failure and returns from the current test.
 */
#ifndef INCIDENTD_CHECK_H
#define INCIDENTD_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed, check_cur_failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, __func__, #cond); \
            check_cur_failed = 1;                                                                  \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: %s: check failed: %s: ", __FILE__, __LINE__, __func__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            check_cur_failed = 1;                                                                  \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                            \
        CHECK_MSG(check_a_ == check_b_, "%lld != %lld", check_a_, check_b_);                       \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *check_a_ = (a), *check_b_ = (b);                                               \
        CHECK_MSG(check_a_ != NULL && check_b_ != NULL && strcmp(check_a_, check_b_) == 0,         \
                  "\"%s\" != \"%s\"", check_a_ ? check_a_ : "(null)",                              \
                  check_b_ ? check_b_ : "(null)");                                                 \
    } while (0)

/* True when needle occurs in haystack (both C strings). */
#define CHECK_CONTAINS(hay, needle)                                                                \
    do {                                                                                           \
        const char *check_h_ = (hay), *check_n_ = (needle);                                        \
        CHECK_MSG(check_h_ != NULL && strstr(check_h_, check_n_) != NULL,                          \
                  "\"%s\" does not contain \"%s\"", check_h_ ? check_h_ : "(null)", check_n_);     \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        check_cur_failed = 0;                                                                      \
        fn();                                                                                      \
        if (check_cur_failed) {                                                                    \
            check_failed++;                                                                        \
            fprintf(stderr, "FAIL %s\n", #fn);                                                     \
        } else {                                                                                   \
            check_passed++;                                                                        \
        }                                                                                          \
    } while (0)

#define CHECK_DONE()                                                                               \
    (printf("%d passed, %d failed\n", check_passed, check_failed), check_failed ? 1 : 0)

#endif
