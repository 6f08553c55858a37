/*
 * Runs the TOML 1.0.0 cases of toml-test (shared/toml-test, see its
 * README.md) against our parser: every valid case must parse and produce
 * the expected tagged JSON, compared by the README's rules (objects as sets
 * of members, floats by value, NaN with NaN, date-times field by field);
 * every invalid case must be rejected without crashing. Usage:
 * test_toml_suite TOML_TEST_DIR [-v]; -v also prints the error message our
 * parser gives for each invalid case, for reviewing their wording.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "toml.h"
#include "toml_json.h"
#include "xmalloc.h"

#define SUITE_MAX_FILE (1u << 20) /* largest case file read; the real ones are a few KB */
#define SUITE_MAX_PATH 4096
#define SUITE_MAX_WHY  512

/* Reads a whole file as bytes. NULL (and errno) on failure; caller frees. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap >= SUITE_MAX_FILE) {
                errno = EFBIG;
                goto fail;
            }
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f))
        goto fail;
    fclose(f);
    *len = n;
    return buf;
fail:
    free(buf);
    fclose(f);
    return NULL;
}

static bool join(char *out, size_t size, const char *a, const char *b, size_t blen,
                 const char *suffix)
{
    int n = snprintf(out, size, "%s/%.*s%s", a, (int)blen, b, suffix);
    return n >= 0 && (size_t)n < size;
}

static void why(char *out, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void why(char *out, const char *path, const char *fmt, ...)
{
    char msg[SUITE_MAX_WHY];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    n = snprintf(out, SUITE_MAX_WHY, "at %s: %s", path[0] ? path : "(root)", msg);
    if (n < 0 || n >= SUITE_MAX_WHY)
        memcpy(out + SUITE_MAX_WHY - 4, "...", 4);
}

/* {"type": "...", "value": "..."} and nothing else. */
static bool is_tagged(const cJSON *j)
{
    if (!cJSON_IsObject(j) || cJSON_GetArraySize(j) != 2)
        return false;
    return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "type")) &&
           cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "value"));
}

static bool is_nan_text(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    return strcasecmp(s, "nan") == 0;
}

static bool read_double(const char *s, double *d)
{
    char *end;
    errno = 0;
    *d = strtod(s, &end);
    return end != s && *end == '\0';
}

struct dt_fields {
    bool date, time, offset;
    int year, month, day, hour, minute, second;
    long nanos;
    int offset_minutes;
};

static bool read_int(const char **s, int ndig, int *out)
{
    *out = 0;
    for (int i = 0; i < ndig; i++, (*s)++) {
        if (**s < '0' || **s > '9')
            return false;
        *out = *out * 10 + (**s - '0');
    }
    return true;
}

/* Reads any of the four RFC 3339 / TOML date-time forms into fields. */
static bool read_datetime(const char *s, struct dt_fields *f)
{
    memset(f, 0, sizeof *f);
    if (strlen(s) >= 10 && s[4] == '-') {
        f->date = true;
        if (!read_int(&s, 4, &f->year) || *s++ != '-' || !read_int(&s, 2, &f->month) ||
            *s++ != '-' || !read_int(&s, 2, &f->day))
            return false;
        if (*s == '\0')
            return true;
        if (*s != 'T' && *s != 't' && *s != ' ')
            return false;
        s++;
    }
    f->time = true;
    if (!read_int(&s, 2, &f->hour) || *s++ != ':' || !read_int(&s, 2, &f->minute) || *s++ != ':' ||
        !read_int(&s, 2, &f->second))
        return false;
    if (*s == '.') {
        s++;
        int digits = 0;
        for (; *s >= '0' && *s <= '9'; s++, digits++)
            if (digits < 9)
                f->nanos = f->nanos * 10 + (*s - '0');
        if (digits == 0)
            return false;
        for (; digits < 9; digits++)
            f->nanos *= 10;
    }
    if (*s == 'Z' || *s == 'z') {
        f->offset = true;
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s++ == '-' ? -1 : 1, h, m;
        if (!read_int(&s, 2, &h) || *s++ != ':' || !read_int(&s, 2, &m))
            return false;
        f->offset = true;
        f->offset_minutes = sign * (h * 60 + m);
    }
    return *s == '\0';
}

static bool scalar_equal(const char *type, const char *got, const char *want, const char *path,
                         char *reason)
{
    if (strcmp(type, "float") == 0) {
        if (is_nan_text(got) || is_nan_text(want)) {
            if (is_nan_text(got) && is_nan_text(want))
                return true;
        } else {
            double g, w;
            if (!read_double(got, &g) || !read_double(want, &w)) {
                why(reason, path, "unreadable float \"%s\" or \"%s\"", got, want);
                return false;
            }
            if (g == w)
                return true;
        }
        why(reason, path, "float %s, expected %s", got, want);
        return false;
    }
    if (strcmp(type, "datetime") == 0 || strcmp(type, "datetime-local") == 0 ||
        strcmp(type, "date-local") == 0 || strcmp(type, "time-local") == 0) {
        struct dt_fields g, w;
        if (!read_datetime(got, &g) || !read_datetime(want, &w)) {
            why(reason, path, "unreadable %s \"%s\" or \"%s\"", type, got, want);
            return false;
        }
        if (g.date == w.date && g.time == w.time && g.offset == w.offset && g.year == w.year &&
            g.month == w.month && g.day == w.day && g.hour == w.hour && g.minute == w.minute &&
            g.second == w.second && g.nanos == w.nanos && g.offset_minutes == w.offset_minutes)
            return true;
        why(reason, path, "%s %s, expected %s", type, got, want);
        return false;
    }
    /* string, integer, bool: exact text (integers are canonical decimal on both sides). */
    if (strcmp(got, want) == 0)
        return true;
    why(reason, path, "%s \"%s\", expected \"%s\"", type, got, want);
    return false;
}

static bool json_equal(const cJSON *got, const cJSON *want, const char *path, char *reason);

static bool child_path(char *out, size_t size, const char *path, const char *name, int index)
{
    int n = name ? snprintf(out, size, "%s%s%s", path, path[0] ? "." : "", name)
                 : snprintf(out, size, "%s[%d]", path, index);
    return n >= 0 && (size_t)n < size;
}

static bool json_equal(const cJSON *got, const cJSON *want, const char *path, char *reason)
{
    char sub[SUITE_MAX_WHY];
    bool gt = is_tagged(got), wt = is_tagged(want);
    if (gt != wt) {
        why(reason, path, "got %s, expected %s", gt ? "a scalar" : "a table or array",
            wt ? "a scalar" : "a table or array");
        return false;
    }
    if (gt) {
        const char *gtype = cJSON_GetObjectItemCaseSensitive(got, "type")->valuestring;
        const char *wtype = cJSON_GetObjectItemCaseSensitive(want, "type")->valuestring;
        if (strcmp(gtype, wtype) != 0) {
            why(reason, path, "type %s, expected %s", gtype, wtype);
            return false;
        }
        return scalar_equal(gtype, cJSON_GetObjectItemCaseSensitive(got, "value")->valuestring,
                            cJSON_GetObjectItemCaseSensitive(want, "value")->valuestring, path,
                            reason);
    }
    if (cJSON_IsObject(got) && cJSON_IsObject(want)) {
        int ng = cJSON_GetArraySize(got), nw = cJSON_GetArraySize(want);
        const cJSON *w;
        cJSON_ArrayForEach(w, want)
        {
            const cJSON *g = cJSON_GetObjectItemCaseSensitive(got, w->string);
            if (g == NULL) {
                why(reason, path, "missing key \"%s\"", w->string);
                return false;
            }
            if (!child_path(sub, sizeof sub, path, w->string, 0))
                sub[0] = '\0';
            if (!json_equal(g, w, sub, reason))
                return false;
        }
        if (ng != nw) {
            why(reason, path, "%d keys, expected %d", ng, nw);
            return false;
        }
        return true;
    }
    if (cJSON_IsArray(got) && cJSON_IsArray(want)) {
        int ng = cJSON_GetArraySize(got), nw = cJSON_GetArraySize(want);
        if (ng != nw) {
            why(reason, path, "array of %d, expected %d", ng, nw);
            return false;
        }
        for (int i = 0; i < ng; i++) {
            if (!child_path(sub, sizeof sub, path, NULL, i))
                sub[0] = '\0';
            if (!json_equal(cJSON_GetArrayItem(got, i), cJSON_GetArrayItem(want, i), sub, reason))
                return false;
        }
        return true;
    }
    why(reason, path, "got %s, expected %s", cJSON_IsArray(got) ? "an array" : "a table",
        cJSON_IsArray(want) ? "an array" : "a table");
    return false;
}

static bool run_valid(const char *dir, const char *name, size_t nlen, char *reason)
{
    char path[SUITE_MAX_PATH];
    size_t len, jlen;
    char *toml = NULL, *jtext = NULL;
    struct toml_value *root = NULL;
    cJSON *got = NULL, *want = NULL;
    bool ok = false;

    if (!join(path, sizeof path, dir, name, nlen, "") || (toml = read_file(path, &len)) == NULL) {
        why(reason, "", "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    /* name ends in ".toml"; the expected result sits beside it as ".json" */
    if (!join(path, sizeof path, dir, name, nlen - 5, ".json") ||
        (jtext = read_file(path, &jlen)) == NULL) {
        why(reason, "", "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    if ((want = toml_json_parse(jtext, jlen)) == NULL) {
        why(reason, "", "expected JSON %s does not parse", path);
        goto out;
    }
    struct toml_error err;
    if (toml_parse(toml, len, &root, &err) != BOT_OK) {
        why(reason, "", "rejected valid TOML: %d:%d: %s", err.line, err.col, err.msg);
        goto out;
    }
    got = toml_json_encode(root);
    ok = json_equal(got, want, "", reason);
out:
    cJSON_Delete(got);
    cJSON_Delete(want);
    toml_free(root);
    free(toml);
    free(jtext);
    return ok;
}

static bool run_invalid(const char *dir, const char *name, size_t nlen, bool verbose, char *reason)
{
    char path[SUITE_MAX_PATH];
    size_t len;
    char *toml;
    if (!join(path, sizeof path, dir, name, nlen, "") || (toml = read_file(path, &len)) == NULL) {
        why(reason, "", "cannot read %s: %s", path, strerror(errno));
        return false;
    }
    struct toml_value *root = NULL;
    struct toml_error err;
    enum bot_rc rc = toml_parse(toml, len, &root, &err);
    free(toml);
    if (rc == BOT_OK) {
        toml_free(root);
        why(reason, "", "accepted invalid TOML");
        return false;
    }
    if (root != NULL || err.line < 1 || err.col < 1 || err.msg[0] == '\0') {
        why(reason, "", "error not reported properly (%d:%d: %s)", err.line, err.col, err.msg);
        return false;
    }
    if (verbose)
        printf("  %.*s: %d:%d: %s\n", (int)nlen, name, err.line, err.col, err.msg);
    return true;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s TOML_TEST_DIR [-v]\n", argv[0]);
        return 2;
    }
    xmalloc_init_cjson();
    const char *dir = argv[1];
    bool verbose = argc > 2 && strcmp(argv[2], "-v") == 0;
    char path[SUITE_MAX_PATH];
    size_t len;
    char *list;
    if (!join(path, sizeof path, dir, "files-toml-1.0.0", 16, "") ||
        (list = read_file(path, &len)) == NULL) {
        fprintf(stderr, "toml-test: cannot read %s/files-toml-1.0.0: %s\n", dir, strerror(errno));
        return 2;
    }

    int valid_ok = 0, valid_n = 0, invalid_ok = 0, invalid_n = 0;
    for (size_t i = 0; i < len;) {
        const char *name = list + i;
        const char *nl = memchr(name, '\n', len - i);
        size_t nlen = nl ? (size_t)(nl - name) : len - i;
        i += nlen + 1;
        if (nlen > 0 && name[nlen - 1] == '\r')
            nlen--;
        if (nlen < 5 || memcmp(name + nlen - 5, ".toml", 5) != 0)
            continue; /* the .json half of a valid pair, or a blank line */
        char reason[SUITE_MAX_WHY] = "";
        if (nlen > 6 && memcmp(name, "valid/", 6) == 0) {
            valid_n++;
            if (run_valid(dir, name, nlen, reason))
                valid_ok++;
            else
                printf("FAIL %.*s: %s\n", (int)nlen, name, reason);
        } else if (nlen > 8 && memcmp(name, "invalid/", 8) == 0) {
            invalid_n++;
            if (run_invalid(dir, name, nlen, verbose, reason))
                invalid_ok++;
            else
                printf("FAIL %.*s: %s\n", (int)nlen, name, reason);
        }
    }
    free(list);
    printf("toml-test: valid %d/%d, invalid %d/%d\n", valid_ok, valid_n, invalid_ok, invalid_n);
    bool all = valid_n > 0 && invalid_n > 0 && valid_ok == valid_n && invalid_ok == invalid_n;
    return all ? 0 : 1;
}
