/*
 * Unit tests of the TOML parser's API as the configuration layer uses it:
 * key order and key lines, lookups (small and hashed tables), every scalar
 * accessor, error positions and messages, NUL inside keys, CRLF files, and
 * the depth and size limits. Conformance is the job of toml_test_suite;
 * these cases are our own.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "toml.h"
#include "xmalloc.h"

/* Parses a C string literal; the tests free the result. */
static struct toml_value *parse_ok(const char *text, size_t len)
{
    struct toml_value *root = NULL;
    struct toml_error err;
    if (toml_parse(text, len, &root, &err) != BOT_OK) {
        fprintf(stderr, "unexpected parse error %d:%d: %s\n", err.line, err.col, err.msg);
        return NULL;
    }
    return root;
}

#define PARSE_OK(s) parse_ok((s), sizeof(s) - 1)

/* Expects failure at line:col with a message containing want. */
static int parse_fails(const char *text, size_t len, int line, int col, const char *want)
{
    struct toml_value *root = (struct toml_value *)1;
    struct toml_error err;
    if (toml_parse(text, len, &root, &err) == BOT_OK) {
        fprintf(stderr, "parsed but should not have: %.*s\n", (int)len, text);
        toml_free(root);
        return 0;
    }
    if (root != NULL || err.line != line || err.col != col || strstr(err.msg, want) == NULL) {
        fprintf(stderr, "got %d:%d: %s; wanted %d:%d: ...%s...\n", err.line, err.col, err.msg, line,
                col, want);
        return 0;
    }
    return 1;
}

#define PARSE_FAILS(s, line, col, want) parse_fails((s), sizeof(s) - 1, (line), (col), (want))

static struct toml_value *get(const struct toml_value *t, const char *key)
{
    return toml_table_get(t, key, strlen(key));
}

static void test_keys_keep_order_and_lines(void)
{
    struct toml_value *root = PARSE_OK("zeta = 1\n"
                                       "# comment\n"
                                       "alpha = 2\n"
                                       "\n"
                                       "mid.inner = 3\n"
                                       "[server]\n"
                                       "port = 8080\n"
                                       "  host = \"h\"\n");
    CHECK(root != NULL);
    CHECK_INT(toml_table_len(root), 4);
    const char *want[] = {"zeta", "alpha", "mid", "server"};
    int lines[] = {1, 3, 5, 6};
    for (size_t i = 0; i < 4; i++) {
        size_t klen;
        CHECK_STR(toml_table_key(root, i, &klen), want[i]);
        CHECK_INT(klen, strlen(want[i]));
        CHECK_INT(toml_table_key_line(root, i), lines[i]);
    }
    struct toml_value *server = toml_table_value(root, 3);
    CHECK_INT(toml_type(server), TOML_TABLE);
    CHECK_INT(toml_line(server), 6);
    CHECK_INT(toml_col(server), 1);
    CHECK_INT(toml_table_key_line(server, 1), 8);
    struct toml_value *host = get(server, "host");
    CHECK_INT(toml_line(host), 8);
    CHECK_INT(toml_col(host), 10);
    /* A table implied by a dotted key is positioned at that key. */
    CHECK_INT(toml_line(get(root, "mid")), 5);
    toml_free(root);
}

static void test_lookup(void)
{
    struct toml_value *root = PARSE_OK("a.b.c = 1\n[x]\ny = [1, [2, 3]]\n");
    CHECK(root != NULL);
    struct toml_value *b = get(get(root, "a"), "b");
    CHECK(b != NULL);
    CHECK_INT(toml_int(get(b, "c")), 1);
    CHECK(get(root, "b") == NULL);
    CHECK(toml_table_get(root, "ab", 1) != NULL); /* only klen bytes count */
    CHECK(get(b, "C") == NULL);                   /* keys are case-sensitive */
    struct toml_value *y = get(get(root, "x"), "y");
    CHECK_INT(toml_array_len(y), 2);
    CHECK_INT(toml_int(toml_array_get(toml_array_get(y, 1), 1)), 3);
    toml_free(root);
}

/* Enough keys for the hash index; order and lookups must still hold. */
static void test_big_table(void)
{
    enum { N = 5000 };
    size_t cap = (size_t)N * 32, len = 0;
    char *doc = xmalloc(cap);
    for (int i = 0; i < N; i++) {
        int n = snprintf(doc + len, cap - len, "key%d = %d\n", (i * 7919) % N, i);
        CHECK(n > 0 && (size_t)n < cap - len);
        len += (size_t)n;
    }
    struct toml_value *root = parse_ok(doc, len);
    free(doc);
    CHECK(root != NULL);
    CHECK_INT(toml_table_len(root), N);
    for (int i = 0; i < N; i++) {
        char key[32];
        int n = snprintf(key, sizeof key, "key%d", (i * 7919) % N);
        CHECK(n > 0 && (size_t)n < sizeof key);
        size_t klen;
        CHECK_STR(toml_table_key(root, (size_t)i, &klen), key);
        struct toml_value *v = toml_table_get(root, key, (size_t)n);
        CHECK(v != NULL);
        CHECK_INT(toml_int(v), i);
    }
    CHECK(get(root, "key5000") == NULL);
    CHECK(get(root, "") == NULL);
    toml_free(root);
}

static void test_strings(void)
{
    struct toml_value *root = PARSE_OK("basic = \"tab\\there \\u00e9 \\U0001F600 \\\"q\\\"\"\n"
                                       "literal = 'C:\\path\\n'\n"
                                       "ml = \"\"\"\n"
                                       "one \\\n"
                                       "   two\"\"\"\"\n"
                                       "mll = '''\n"
                                       "x''y'''''\n"
                                       "empty = \"\"\n");
    CHECK(root != NULL);
    size_t len;
    CHECK_STR(toml_string(get(root, "basic"), &len), "tab\there \xC3\xA9 \xF0\x9F\x98\x80 \"q\"");
    CHECK_INT(len, 20);
    CHECK_STR(toml_string(get(root, "literal"), NULL), "C:\\path\\n");
    CHECK_STR(toml_string(get(root, "ml"), NULL), "one two\"");
    CHECK_STR(toml_string(get(root, "mll"), NULL), "x''y''");
    CHECK_STR(toml_string(get(root, "empty"), &len), "");
    CHECK_INT(len, 0);
    toml_free(root);
}

static void test_integers(void)
{
    struct toml_value *root = PARSE_OK("a = 1_000\n"
                                       "b = -9223372036854775808\n"
                                       "c = +9223372036854775807\n"
                                       "d = 0xdead_BEEF\n"
                                       "e = 0o755\n"
                                       "f = 0b1010\n"
                                       "g = 0x7FFFFFFFFFFFFFFF\n"
                                       "h = -0\n");
    CHECK(root != NULL);
    CHECK_INT(toml_int(get(root, "a")), 1000);
    CHECK(toml_int(get(root, "b")) == INT64_MIN);
    CHECK(toml_int(get(root, "c")) == INT64_MAX);
    CHECK_INT(toml_int(get(root, "d")), 0xdeadbeef);
    CHECK_INT(toml_int(get(root, "e")), 0755);
    CHECK_INT(toml_int(get(root, "f")), 10);
    CHECK(toml_int(get(root, "g")) == INT64_MAX);
    CHECK_INT(toml_int(get(root, "h")), 0);
    toml_free(root);

    CHECK(PARSE_FAILS("n = 9223372036854775808\n", 1, 5, "does not fit in 64 bits"));
    CHECK(PARSE_FAILS("n = -9223372036854775809\n", 1, 5, "does not fit in 64 bits"));
    CHECK(PARSE_FAILS("n = 0x8000000000000000\n", 1, 5, "does not fit in 64 bits"));
    CHECK(PARSE_FAILS("n = 1__0\n", 1, 6, "'_'"));
    CHECK(PARSE_FAILS("n = 012\n", 1, 5, "leading zeros"));
    CHECK(PARSE_FAILS("n = -0x1\n", 1, 5, "cannot have a sign"));
}

static void test_floats_and_bools(void)
{
    struct toml_value *root = PARSE_OK("a = 3.25\n"
                                       "b = -1e-3\n"
                                       "c = 6.02_2E2_3\n"
                                       "d = -inf\n"
                                       "e = nan\n"
                                       "f = -0.0\n"
                                       "t = true\n"
                                       "u = false\n");
    CHECK(root != NULL);
    CHECK(toml_float(get(root, "a")) == 3.25);
    CHECK(toml_float(get(root, "b")) == -1e-3);
    CHECK(toml_float(get(root, "c")) == 6.022e23);
    CHECK(isinf(toml_float(get(root, "d"))) && toml_float(get(root, "d")) < 0);
    CHECK(isnan(toml_float(get(root, "e"))));
    CHECK(toml_float(get(root, "f")) == 0.0 && signbit(toml_float(get(root, "f"))));
    CHECK(toml_bool(get(root, "t")) == true);
    CHECK(toml_bool(get(root, "u")) == false);
    CHECK_INT(toml_type(get(root, "a")), TOML_FLOAT);
    CHECK_STR(toml_type_name(toml_type(get(root, "t"))), "boolean");
    toml_free(root);

    CHECK(PARSE_FAILS("f = 1e400\n", 1, 5, "out of range"));
    CHECK(PARSE_FAILS("f = 1.\n", 1, 7, "digits after the decimal point"));
    CHECK(PARSE_FAILS("f = True\n", 1, 5, "strings must be quoted"));
}

static void test_datetimes(void)
{
    struct toml_value *root = PARSE_OK("odt = 1979-05-27T07:32:00.5-07:30\n"
                                       "ldt = 2024-02-29 23:59:60\n"
                                       "ld = 2000-02-29\n"
                                       "lt = 00:32:00.999999\n");
    CHECK(root != NULL);
    const struct toml_datetime *d = toml_datetime(get(root, "odt"));
    CHECK_INT(toml_type(get(root, "odt")), TOML_DATETIME);
    CHECK_INT(d->year, 1979);
    CHECK_INT(d->month, 5);
    CHECK_INT(d->day, 27);
    CHECK_INT(d->hour, 7);
    CHECK_INT(d->minute, 32);
    CHECK_INT(d->second, 0);
    CHECK_INT(d->nanosecond, 500000000);
    CHECK_INT(d->offset_minutes, -450);
    d = toml_datetime(get(root, "ldt"));
    CHECK_INT(toml_type(get(root, "ldt")), TOML_DATETIME_LOCAL);
    CHECK_INT(d->day, 29);
    CHECK_INT(d->second, 60);
    CHECK_INT(toml_type(get(root, "ld")), TOML_DATE_LOCAL);
    CHECK_INT(toml_datetime(get(root, "ld"))->month, 2);
    CHECK_INT(toml_type(get(root, "lt")), TOML_TIME_LOCAL);
    CHECK_INT(toml_datetime(get(root, "lt"))->nanosecond, 999999000);
    toml_free(root);

    CHECK(PARSE_FAILS("d = 2023-02-29\n", 1, 13, "day 29 is out of range"));
    CHECK(PARSE_FAILS("d = 1900-02-29\n", 1, 13, "day 29 is out of range"));
    CHECK(PARSE_FAILS("d = 2023-04-31T00:00:00\n", 1, 13, "day 31"));
    CHECK(PARSE_FAILS("d = 2023-13-01\n", 1, 10, "month 13"));
    CHECK(PARSE_FAILS("d = 24:00:00\n", 1, 5, "hour 24"));
    CHECK(PARSE_FAILS("d = 2023-01-01T10:00:00+24:00\n", 1, 24, "offset"));
    CHECK(PARSE_FAILS("d = 2023-01-01T10:00\n", 1, 16, "expected HH:MM:SS"));
}

static void test_errors_have_positions(void)
{
    CHECK(PARSE_FAILS("a = 1\nb c = 2\n", 2, 3, "expected '=' after key"));
    CHECK(PARSE_FAILS("x = 1\n\n  x = 2\n", 3, 3, "duplicate key \"x\""));
    CHECK(PARSE_FAILS("s = \"ab\\qc\"\n", 1, 8, "invalid escape \\q"));
    /* An unterminated string is reported where it starts, not at the end of the file. */
    CHECK(PARSE_FAILS("ok = 1\ns = \"\"\"never\nclosed\n", 2, 5, "unterminated"));
    CHECK(PARSE_FAILS("[a]\n[a]\n", 2, 1, "defined more than once"));
    CHECK(PARSE_FAILS("t = {a = 1}\nt.b = 2\n", 2, 1, "inline table"));
    CHECK(PARSE_FAILS("t = {a = 1,}\n", 1, 12, "trailing comma"));
    CHECK(PARSE_FAILS("t = {a = 1,\n b = 2}\n", 1, 12, "newlines are not allowed"));
    CHECK(PARSE_FAILS("a.b = 1\n[a]\n", 2, 1, "dotted keys"));
    CHECK(PARSE_FAILS("a = [1, 2\n", 1, 5, "unterminated array"));
    CHECK(PARSE_FAILS("a = 1 # ok\n# bad \x01 comment\n", 2, 7, "control character U+0001"));
    CHECK(PARSE_FAILS("a = \"\xC0\xAF\"\n", 1, 6, "invalid UTF-8"));
    CHECK(PARSE_FAILS("a = \"\xED\xA0\x80\"\n", 1, 6, "invalid UTF-8"));
    CHECK(PARSE_FAILS("a = \"\xF4\x90\x80\x80\"\n", 1, 6, "invalid UTF-8"));
    CHECK(PARSE_FAILS("a = \"\\uD800\"\n", 1, 6, "not a Unicode scalar value"));
    /* With a BOM, columns still count from the first character after it. */
    CHECK(PARSE_FAILS("\xEF\xBB\xBF"
                      "a = ?\n",
                      1, 5, "expected a value"));
    CHECK(PARSE_FAILS("a = 1\n\xEF\xBB\xBF"
                      "b = 2\n",
                      2, 1, "expected a key"));
}

static void test_nul_in_quoted_key(void)
{
    struct toml_value *root = PARSE_OK("\"a\\u0000b\" = 1\n'a' = \"x\\u0000y\"\n");
    CHECK(root != NULL);
    CHECK_INT(toml_table_len(root), 2);
    size_t klen;
    const char *k = toml_table_key(root, 0, &klen);
    CHECK_INT(klen, 3);
    CHECK(memcmp(k, "a\0b", 4) == 0); /* the terminating NUL is there too */
    CHECK_INT(toml_int(toml_table_get(root, "a\0b", 3)), 1);
    CHECK_INT(toml_type(toml_table_get(root, "a", 1)), TOML_STRING);
    size_t len;
    const char *s = toml_string(toml_table_get(root, "a", 1), &len);
    CHECK_INT(len, 3);
    CHECK(memcmp(s, "x\0y", 4) == 0);
    toml_free(root);

    /* A raw NUL byte is never allowed, not even inside a string. */
    CHECK(PARSE_FAILS("a = \"x\0y\"\n", 1, 7, "control character U+0000"));
    CHECK(PARSE_FAILS("a = 1\0\n", 1, 6, "expected a newline"));
}

/* The parser reads len bytes and nothing past them. */
static void test_length_not_nul(void)
{
    const char text[] = "a = 12345";
    struct toml_value *root = parse_ok(text, 5);
    CHECK(root != NULL);
    CHECK_INT(toml_int(get(root, "a")), 1);
    toml_free(root);
    root = parse_ok("", 0);
    CHECK(root != NULL);
    CHECK_INT(toml_table_len(root), 0);
    toml_free(root);
}

static void test_crlf(void)
{
    struct toml_value *root =
        PARSE_OK("# c\r\na = 1\r\n\r\n[t]\r\ns = \"\"\"\r\nx\r\ny \\\r\n  z\"\"\"\r\n");
    CHECK(root != NULL);
    CHECK_INT(toml_table_key_line(root, 0), 2);
    CHECK_INT(toml_table_key_line(root, 1), 4);
    struct toml_value *s = get(get(root, "t"), "s");
    CHECK_STR(toml_string(s, NULL), "x\ny z"); /* CRLF inside strings becomes LF */
    CHECK_INT(toml_line(s), 5);
    toml_free(root);

    CHECK(PARSE_FAILS("a = 1\r\nb = 2\rc = 3\n", 2, 6, "carriage return"));
    CHECK(PARSE_FAILS("a = 1\r\n\r\nb = \"x\ry\"\r\n", 3, 7, "carriage return"));
}

/* Builds prefix repeated n times, then middle, then suffix repeated n times. */
static char *nest(const char *prefix, const char *middle, const char *suffix, int n, size_t *len)
{
    size_t pl = strlen(prefix), ml = strlen(middle), sl = strlen(suffix);
    size_t total = (pl + sl) * (size_t)n + ml;
    char *s = xmalloc(total + 1);
    size_t o = 0;
    for (int i = 0; i < n; i++, o += pl)
        memcpy(s + o, prefix, pl);
    memcpy(s + o, middle, ml);
    o += ml;
    for (int i = 0; i < n; i++, o += sl)
        memcpy(s + o, suffix, sl);
    s[o] = '\0';
    *len = o;
    return s;
}

static void test_depth_limit(void)
{
    size_t len;
    char *doc;
    struct toml_value *root;
    struct toml_error err;

    /* The root is level 0, so a = [...] may nest TOML_MAX_DEPTH arrays deep. */
    doc = nest("[", "1", "]", TOML_MAX_DEPTH, &len);
    {
        char *full = xasprintf("a = %s\n", doc);
        free(doc);
        root = parse_ok(full, strlen(full));
        CHECK(root != NULL);
        toml_free(root);
        free(full);
    }
    doc = nest("[", "1", "]", TOML_MAX_DEPTH + 1, &len);
    {
        char *full = xasprintf("a = %s\n", doc);
        free(doc);
        CHECK(toml_parse(full, strlen(full), &root, &err) == BOT_EINVAL);
        free(full);
        CHECK_CONTAINS(err.msg, "nesting is deeper than");
        CHECK_INT(err.line, 1);
        CHECK_INT(err.col, 5 + TOML_MAX_DEPTH);
    }
    doc = nest("{a=", "1", "}", TOML_MAX_DEPTH + 1, &len);
    {
        char *full = xasprintf("a = %s\n", doc);
        free(doc);
        CHECK(toml_parse(full, strlen(full), &root, &err) == BOT_EINVAL);
        free(full);
        CHECK_CONTAINS(err.msg, "nesting is deeper than");
    }
    /* Headers and dotted keys nest too. */
    doc = nest("a.", "b", "", TOML_MAX_DEPTH + 5, &len);
    {
        char *full = xasprintf("[%s]\n", doc);
        free(doc);
        CHECK(toml_parse(full, strlen(full), &root, &err) == BOT_EINVAL);
        free(full);
        CHECK_CONTAINS(err.msg, "more than");
    }
    /* TOML_MAX_DEPTH parts: tables at levels 1..127, so the value may be one array deep. */
    doc = nest("a.", "b", "", TOML_MAX_DEPTH - 1, &len);
    {
        char *ok = xasprintf("%s = [1]\n", doc);
        char *bad = xasprintf("%s = [[1]]\n", doc);
        free(doc);
        root = parse_ok(ok, strlen(ok));
        free(ok);
        CHECK(root != NULL);
        toml_free(root);
        CHECK(toml_parse(bad, strlen(bad), &root, &err) == BOT_EINVAL);
        free(bad);
        CHECK_CONTAINS(err.msg, "nesting is deeper than");
    }
}

static void test_size_limit(void)
{
    size_t len = (size_t)TOML_MAX_INPUT + 1;
    char *doc = xmalloc(len);
    memset(doc, '\n', len);
    struct toml_value *root;
    struct toml_error err;
    CHECK(toml_parse(doc, len, &root, &err) == BOT_EINVAL);
    CHECK(root == NULL);
    CHECK_INT(err.line, 1);
    CHECK_INT(err.col, 1);
    CHECK_CONTAINS(err.msg, "limit");
    /* Exactly at the limit is fine. */
    CHECK(toml_parse(doc, len - 1, &root, &err) == BOT_OK);
    toml_free(root);
    free(doc);
}

static void test_tables_and_arrays_of_tables(void)
{
    struct toml_value *root = PARSE_OK("[a.b]\nx = 1\n[a]\ny = 2\n"
                                       "[[srv]]\nname = \"one\"\n[srv.tls]\non = true\n"
                                       "[[srv]]\nname = \"two\"\n"
                                       "[fruit]\napple.color = \"red\"\n[fruit.apple.texture]\n"
                                       "smooth = true\n");
    CHECK(root != NULL);
    struct toml_value *a = get(root, "a");
    CHECK_INT(toml_int(get(get(a, "b"), "x")), 1);
    CHECK_INT(toml_int(get(a, "y")), 2);
    CHECK_INT(toml_line(a), 3); /* defined by [a] on line 3 after being implied on line 1 */
    struct toml_value *srv = get(root, "srv");
    CHECK_INT(toml_array_len(srv), 2);
    CHECK_STR(toml_string(get(toml_array_get(srv, 1), "name"), NULL), "two");
    CHECK(toml_bool(get(get(toml_array_get(srv, 0), "tls"), "on")));
    CHECK(get(toml_array_get(srv, 1), "tls") == NULL);
    CHECK(toml_bool(get(get(get(get(root, "fruit"), "apple"), "texture"), "smooth")));
    toml_free(root);

    CHECK(PARSE_FAILS("a = [1]\n[[a]]\n", 2, 1, "static array"));
    CHECK(PARSE_FAILS("[[a]]\n[a]\n", 2, 1, "array of tables"));
    CHECK(PARSE_FAILS("[a.b]\n[a]\nb.c = 1\n", 3, 1, "has a [header]"));
}

int main(void)
{
    RUN(test_keys_keep_order_and_lines);
    RUN(test_lookup);
    RUN(test_big_table);
    RUN(test_strings);
    RUN(test_integers);
    RUN(test_floats_and_bools);
    RUN(test_datetimes);
    RUN(test_errors_have_positions);
    RUN(test_nul_in_quoted_key);
    RUN(test_length_not_nul);
    RUN(test_crlf);
    RUN(test_depth_limit);
    RUN(test_size_limit);
    RUN(test_tables_and_arrays_of_tables);
    return CHECK_DONE();
}
