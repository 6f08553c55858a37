/*
 * Parsing and checking of `/incident declare` (see declare.h): the flag
 * table, the title and component rules, --started and --users values, the
 * incident-definition check and the severity suggestion. Every mistake is
 * one sentence for the user; whatever they typed is echoed only through
 * cmd_add_user_text(), which escapes it for mrkdwn.
 */
#include "declare.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

#define MS_PER_MIN INT64_C(60000)
#define MS_PER_DAY INT64_C(86400000)
#define DECLARE_MAX_MSG 1024 /* bound of a message before it goes into struct bot_err */

/* Decodes the UTF-8 sequence at s (n bytes left) into *cp; its length, 0 when invalid. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t c;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2;
        c = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3;
        c = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4;
        c = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
        c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

static bool is_blank_or_control(uint32_t c)
{
    return c <= 0x20 || c == 0x7f || (c >= 0x80 && c <= 0xa0) || (c >= 0x2000 && c <= 0x200b) ||
           c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000 ||
           c == 0xfeff;
}

/* A character that makes a title more than punctuation: a letter, a digit, or any
 * non-ASCII character outside the punctuation and symbol blocks. */
static bool is_content(uint32_t c)
{
    if (c < 0x80)
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (c <= 0xbf || c == 0xd7 || c == 0xf7)
        return false;
    if (c >= 0x2000 && c <= 0x206f) /* general punctuation */
        return false;
    if (c >= 0x3000 && c <= 0x303f) /* CJK punctuation */
        return false;
    if (c >= 0xff01 && c <= 0xff0f) /* fullwidth punctuation */
        return false;
    return true;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool ascii_casecmp_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (ascii_lower(*a) != ascii_lower(*b))
            return false;
    return *a == *b;
}

/* Sets err from a message built in m (truncated by bot_err_set when long). */
static enum bot_rc fail(struct bot_err *err, struct buf *m)
{
    enum bot_rc rc = bot_err_set(err, BOT_EINVAL, "%s", buf_str(m));
    buf_free(m);
    return rc;
}

/* err = prefix + "\"" + escaped user text + "\"" + suffix. */
static enum bot_rc fail_with(struct bot_err *err, const char *prefix, const char *user,
                             const char *suffix)
{
    struct buf m;
    buf_init(&m, DECLARE_MAX_MSG);
    if (buf_addstr(&m, prefix) == BOT_OK && buf_addstr(&m, "\"") == BOT_OK &&
        cmd_add_user_text(&m, user) == BOT_OK && buf_addstr(&m, "\"") == BOT_OK)
        (void)!buf_addstr(&m, suffix);
    return fail(err, &m);
}

void declare_req_init(struct declare_req *req)
{
    memset(req, 0, sizeof(*req));
    req->severity = SEV_MINOR;
}

enum bot_rc declare_set_title(struct declare_req *req, const char *text, struct bot_err *err)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n = strlen(text), o = 0, chars = 0;
    bool space = false, content = false;

    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t l = utf8_next(s + i, n - i, &c);
        if (l == 0)
            return bot_err_set(err, BOT_EINVAL, "the title is not valid UTF-8 (byte %zu)",
                               i + 1);
        if (is_blank_or_control(c)) {
            space = chars > 0;
            i += l;
            continue;
        }
        if (space) {
            if (++chars <= DECLARE_MAX_TITLE)
                req->title[o++] = ' ';
            space = false;
        }
        if (++chars <= DECLARE_MAX_TITLE) {
            memcpy(req->title + o, s + i, l);
            o += l;
        }
        content = content || is_content(c);
        i += l;
    }
    req->title[o] = '\0';
    if (chars == 0)
        return bot_err_set(err, BOT_EINVAL, "missing title: say what is broken, e.g. "
                           "`/incident declare Checkout fails --sev major`");
    if (chars > DECLARE_MAX_TITLE)
        return bot_err_set(err, BOT_EINVAL, "the title is %zu characters long; at most %d fit "
                           "in a Slack header", chars, DECLARE_MAX_TITLE);
    if (!content)
        return fail_with(err, "the title ", text,
                         " has no letters or digits: say what is broken");
    return BOT_OK;
}

enum bot_rc declare_add_component(struct declare_req *req, const char *name,
                                  struct bot_err *err)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t n = strlen(name), start = 0, chars = 0;

    while (start < n && (s[start] == ' ' || s[start] == '\t'))
        start++;
    while (n > start && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    for (size_t i = start; i < n;) {
        uint32_t c;
        size_t l = utf8_next(s + i, n - i, &c);
        if (l == 0)
            return bot_err_set(err, BOT_EINVAL, "--component: the name is not valid UTF-8");
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029)
            return fail_with(err, "--component: expected a name without line breaks or "
                             "control characters, got ", name, "");
        chars++;
        i += l;
    }
    if (chars == 0)
        return bot_err_set(err, BOT_EINVAL, "--component: expected a name of 1 to %d "
                           "characters, got an empty one", DECLARE_MAX_COMPONENT);
    if (chars > DECLARE_MAX_COMPONENT)
        return bot_err_set(err, BOT_EINVAL, "--component: a name has at most %d characters; "
                           "this one has %zu", DECLARE_MAX_COMPONENT, chars);
    char tmp[DECLARE_COMPONENT_BYTES];
    memcpy(tmp, s + start, n - start);
    tmp[n - start] = '\0';
    for (int i = 0; i < req->ncomponents; i++)
        if (ascii_casecmp_eq(req->components[i], tmp))
            return BOT_OK;
    if (req->ncomponents == DECLARE_MAX_COMPONENTS)
        return bot_err_set(err, BOT_EINVAL, "--component: at most %d components, one "
                           "--component each", DECLARE_MAX_COMPONENTS);
    memcpy(req->components[req->ncomponents++], tmp, n - start + 1);
    return BOT_OK;
}

static const char started_expect[] = "--started: expected a duration like 40m, 2h or 1h30m, "
                                     "or a time like 14:05, got ";

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static enum bot_rc parse_clock(const char *s, int64_t now_ms, int tz_offset_min, int64_t *out,
                               struct bot_err *err)
{
    size_t i = 0;
    int h = 0, m = 0;
    while (is_digit(s[i]) && i < 2)
        h = h * 10 + (s[i++] - '0');
    if (i == 0 || s[i] != ':' || !is_digit(s[i + 1]) || !is_digit(s[i + 2]) || s[i + 3] != '\0')
        return fail_with(err, started_expect, s, "");
    m = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
    if (h > 23 || m > 59)
        return fail_with(err, "--started: expected a time of day from 00:00 to 23:59, got ", s,
                         "");
    int64_t off = (int64_t)tz_offset_min * MS_PER_MIN;
    int64_t local_now = now_ms + off;
    int64_t at = floor_div(local_now, MS_PER_DAY) * MS_PER_DAY + (h * 60 + m) * MS_PER_MIN;
    if (at > local_now)
        at -= MS_PER_DAY; /* still to come today: it meant yesterday */
    *out = at - off;
    return BOT_OK;
}

static enum bot_rc parse_duration(const char *s, int64_t now_ms, int64_t *out,
                                  struct bot_err *err)
{
    static const char units[] = "dhms";
    static const int64_t unit_s[] = {86400, 3600, 60, 1};
    int64_t total = 0;
    size_t i = 0, next_unit = 0;

    if (s[0] == '\0')
        return fail_with(err, started_expect, s, "");
    while (s[i] != '\0') {
        int64_t v = 0;
        size_t digits = 0;
        while (is_digit(s[i])) {
            if (digits++ < 9)
                v = v * 10 + (s[i] - '0');
            else
                v = INT64_C(1000000000); /* longer than 9 digits: surely out of range */
            i++;
        }
        char u = ascii_lower(s[i]);
        const char *p = u != '\0' ? strchr(units, u) : NULL;
        if (digits == 0 || p == NULL || (size_t)(p - units) < next_unit)
            return fail_with(err, started_expect, s, "");
        next_unit = (size_t)(p - units) + 1;
        total += v * unit_s[p - units];
        i++;
    }
    if (total <= 0 || total > (int64_t)DECLARE_MAX_STARTED_DAYS * 86400)
        return fail_with(err, "--started: expected more than 0 and at most 30 days ago, got ",
                         s, "");
    *out = now_ms - total * 1000;
    return BOT_OK;
}

enum bot_rc declare_parse_started(const char *s, int64_t now_ms, int tz_offset_min,
                                  int64_t *out, struct bot_err *err)
{
    if (tz_offset_min < -DECLARE_MAX_TZ_OFFSET || tz_offset_min > DECLARE_MAX_TZ_OFFSET)
        return bot_err_set(err, BOT_EINVAL, "the time zone offset %d min is out of range",
                           tz_offset_min);
    if (strchr(s, ':') != NULL)
        return parse_clock(s, now_ms, tz_offset_min, out, err);
    return parse_duration(s, now_ms, out, err);
}

enum bot_rc declare_parse_users(const char *s, long *out, struct bot_err *err)
{
    long v = 0;
    if (s[0] == '\0')
        return bot_err_set(err, BOT_EINVAL, "--users: expected a whole number from 0 to %ld, "
                           "got nothing", DECLARE_MAX_USERS);
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (!is_digit(s[i]) || (v = v * 10 + (s[i] - '0')) > DECLARE_MAX_USERS)
            return fail_with(err, "--users: expected a whole number from 0 to 10000000, got ",
                             s, "");
    }
    *out = v;
    return BOT_OK;
}

enum flag_id { F_SEV, F_BREACH, F_STARTED, F_USERS, F_COMPONENT };

static const struct flag {
    const char *name;
    enum flag_id id;
    const char *expect; /* what the value should be; NULL: takes none */
} flags[] = {
    {"sev", F_SEV, "critical, major or minor"},
    {"severity", F_SEV, "critical, major or minor"},
    {"breach", F_BREACH, NULL},
    {"started", F_STARTED, "a duration like 40m, 2h or 1h30m, or a time like 14:05"},
    {"users", F_USERS, "a whole number from 0 to 10000000"},
    {"component", F_COMPONENT, "a component name of 1 to 100 characters"},
};
#define NFLAGS (sizeof(flags) / sizeof(flags[0]))

/*
 * Length of the flag prefix of w ("--", "—" or "–" followed by something),
 * else 0. A name with a blank in it (before any '=') is a quoted title such
 * as "--force push broke main", not a flag.
 */
static size_t flag_prefix(const char *w)
{
    size_t p = 0;
    if (w[0] == '-' && w[1] == '-')
        p = 2;
    else if (strncmp(w, "\xe2\x80\x94", 3) == 0 || strncmp(w, "\xe2\x80\x93", 3) == 0)
        p = 3;
    if (p == 0 || w[p] == '\0')
        return 0;
    for (const char *c = w + p; *c != '\0' && *c != '='; c++)
        if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r')
            return 0;
    return p;
}

/* Edit distance of a and b (ASCII case folded), capped for long words. */
static size_t edit_distance(const char *a, size_t la, const char *b)
{
    size_t lb = strlen(b), row[32];
    if (la >= 31 || lb >= 31)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (ascii_lower(a[i - 1]) != ascii_lower(b[j - 1]));
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static bool ascii_prefix(const char *p, size_t plen, const char *s)
{
    for (size_t i = 0; i < plen; i++)
        if (s[i] == '\0' || ascii_lower(p[i]) != s[i])
            return false;
    return true;
}

/* "unknown flag "--x"; did you mean --y?" with the nearest known flag, or the list. */
static enum bot_rc unknown_flag(const char *word, size_t nlen, struct bot_err *err)
{
    const struct flag *best = NULL;
    size_t bestd = SIZE_MAX;
    const char *name = word + flag_prefix(word);
    for (size_t i = 0; i < NFLAGS; i++) {
        size_t d = edit_distance(name, nlen, flags[i].name);
        if (nlen >= 2 && ascii_prefix(name, nlen, flags[i].name))
            d = 1; /* an abbreviation */
        if (d < bestd) {
            bestd = d;
            best = &flags[i];
        }
    }
    char *shown = xmemdup0(word, (size_t)(name - word) + nlen);
    struct buf m;
    buf_init(&m, DECLARE_MAX_MSG);
    if (buf_addstr(&m, "unknown flag \"") == BOT_OK && cmd_add_user_text(&m, shown) == BOT_OK) {
        if (best != NULL && bestd <= 2 && bestd < nlen)
            (void)!buf_addf(&m, "\"; did you mean --%s?", best->name);
        else
            (void)!buf_addstr(&m, "\"; the flags are --sev, --breach, --started, --users and "
                              "--component");
    }
    free(shown);
    return fail(err, &m);
}

static enum bot_rc missing_value(const struct flag *f, struct bot_err *err)
{
    return bot_err_set(err, BOT_EINVAL, "--%s: missing value; expected %s", f->name, f->expect);
}

static enum bot_rc twice(const struct flag *f, struct bot_err *err)
{
    return bot_err_set(err, BOT_EINVAL, "--%s: given twice with different values; give it "
                       "once", f->name);
}

static enum bot_rc apply_flag(const struct flag *f, const char *v, int64_t now_ms,
                              int tz_offset_min, struct declare_req *out, struct bot_err *err)
{
    enum bot_rc rc;
    switch (f->id) {
    case F_SEV: {
        enum severity sev;
        if (!plan_severity_parse(v, strlen(v), &sev)) {
            struct buf m;
            buf_init(&m, DECLARE_MAX_MSG);
            if (buf_addf(&m, "--%s: expected critical, major or minor, got \"", f->name) ==
                    BOT_OK &&
                cmd_add_user_text(&m, v) == BOT_OK)
                (void)!buf_addstr(&m, "\"");
            return fail(err, &m);
        }
        if (out->has_sev && out->severity != sev)
            return twice(f, err);
        out->severity = sev;
        out->has_sev = true;
        return BOT_OK;
    }
    case F_BREACH:
        out->breach = true;
        return BOT_OK;
    case F_STARTED: {
        int64_t at = 0;
        rc = declare_parse_started(v, now_ms, tz_offset_min, &at, err);
        if (rc)
            return rc;
        if (out->has_started && out->started_at_ms != at)
            return twice(f, err);
        out->started_at_ms = at;
        out->has_started = true;
        return BOT_OK;
    }
    case F_USERS: {
        long n = 0;
        rc = declare_parse_users(v, &n, err);
        if (rc)
            return rc;
        if (out->has_users && out->users != n)
            return twice(f, err);
        out->users = n;
        out->has_users = true;
        return BOT_OK;
    }
    case F_COMPONENT:
        return declare_add_component(out, v, err);
    }
    return bot_err_set(err, BOT_EINVAL, "--%s: not handled", f->name);
}

enum bot_rc declare_parse(const struct cmd_args *args, int first, int64_t now_ms,
                          int tz_offset_min, struct declare_req *out, struct bot_err *err)
{
    struct buf title;
    enum bot_rc rc = BOT_OK;
    bool flags_done = false;

    declare_req_init(out);
    if (tz_offset_min < -DECLARE_MAX_TZ_OFFSET || tz_offset_min > DECLARE_MAX_TZ_OFFSET)
        return bot_err_set(err, BOT_EINVAL, "the time zone offset %d min is out of range",
                           tz_offset_min);
    buf_init(&title, CMD_MAX_TEXT);
    for (int i = first < 0 ? 0 : first; i < args->argc; i++) {
        const char *w = args->argv[i];
        size_t p = flags_done ? 0 : flag_prefix(w);
        if (!flags_done && strcmp(w, "--") == 0) {
            flags_done = true;
            continue;
        }
        if (p == 0) {
            /* As typed, quotes included ("Users see \"Error 500\""); flags come between. */
            char *raw = cmd_args_raw(args, i, i + 1);
            if (title.len > 0)
                rc = buf_addstr(&title, " ");
            if (rc == BOT_OK)
                rc = buf_addstr(&title, raw);
            free(raw);
            if (rc) {
                rc = bot_err_set(err, BOT_EINVAL, "the title is too long");
                goto out;
            }
            continue;
        }
        const char *name = w + p, *eq = strchr(name, '=');
        size_t nlen = eq != NULL ? (size_t)(eq - name) : strlen(name);
        const struct flag *f = NULL;
        for (size_t k = 0; k < NFLAGS && f == NULL; k++)
            if (strlen(flags[k].name) == nlen && ascii_prefix(name, nlen, flags[k].name))
                f = &flags[k];
        if (f == NULL) {
            rc = unknown_flag(w, nlen, err);
            goto out;
        }
        const char *v = NULL;
        if (f->expect == NULL) {
            if (eq != NULL) {
                rc = bot_err_set(err, BOT_EINVAL, "--%s takes no value; write just --%s",
                                 f->name, f->name);
                goto out;
            }
        } else if (eq != NULL) {
            v = eq + 1;
        } else if (i + 1 < args->argc && flag_prefix(args->argv[i + 1]) == 0) {
            v = args->argv[++i];
        }
        if (f->expect != NULL && (v == NULL || v[0] == '\0')) {
            rc = missing_value(f, err);
            goto out;
        }
        rc = apply_flag(f, v, now_ms, tz_offset_min, out, err);
        if (rc)
            goto out;
    }
    rc = declare_set_title(out, buf_str(&title), err);
out:
    buf_free(&title);
    return rc;
}

bool declare_below_threshold(const struct declare_req *req, int64_t now_ms,
                             int min_duration_minutes, long min_affected_users, char *why,
                             size_t whysz)
{
    char a[160] = "", b[160] = "";
    if (req->has_started) {
        int64_t dur = now_ms - req->started_at_ms;
        if (dur < 0)
            dur = 0;
        if (dur < (int64_t)min_duration_minutes * MS_PER_MIN) {
            if (dur < MS_PER_MIN)
                snprintf(a, sizeof(a), "started under a minute ago, under the %d minutes of "
                         "the incident definition", min_duration_minutes);
            else
                snprintf(a, sizeof(a), "started %lld min ago, under the %d minutes of the "
                         "incident definition", (long long)(dur / MS_PER_MIN),
                         min_duration_minutes);
        }
    }
    if (req->has_users && req->users < min_affected_users)
        snprintf(b, sizeof(b), "%ld user%s affected, under the %ld users of the incident "
                 "definition", req->users, req->users == 1 ? "" : "s", min_affected_users);
    if (why != NULL && whysz > 0)
        snprintf(why, whysz, "%s%s%s", a, a[0] && b[0] ? "; " : "", b);
    return a[0] != '\0' || b[0] != '\0';
}

static const char *const scope_names[SCOPE_COUNT] = {
    "minor_feature", "major_feature", "whole_product",
};

const char *declare_scope_name(enum declare_scope scope)
{
    return (unsigned)scope < SCOPE_COUNT ? scope_names[scope] : "unknown";
}

bool declare_scope_parse(const char *s, enum declare_scope *out)
{
    for (int i = 0; i < SCOPE_COUNT; i++) {
        if (strcmp(s, scope_names[i]) == 0) {
            *out = (enum declare_scope)i;
            return true;
        }
    }
    return false;
}

enum severity declare_suggest_severity(enum declare_scope scope, double percent_customers,
                                       bool breach, const struct declare_sev_thresholds *t)
{
    static const struct declare_sev_thresholds defaults = DECLARE_SEV_THRESHOLDS_DEFAULT;
    double p = percent_customers >= 0 ? percent_customers : 0; /* NaN too */
    if (t == NULL)
        t = &defaults;
    if (scope == SCOPE_WHOLE_PRODUCT || p >= t->critical_percent)
        return SEV_CRITICAL;
    if (scope == SCOPE_MAJOR_FEATURE || p >= t->major_percent || breach)
        return SEV_MAJOR;
    return SEV_MINOR;
}
