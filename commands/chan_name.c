/*
 * Channel names from `[slack] channel_name` templates (see chan_name.h):
 * the slug of a title with its transliteration table, the expansion of
 * {date} {id} {slug} {severity}, the fitting of the slug into Slack's 80
 * characters, the `name_taken` variants and the config-time check.
 */
#include "chan_name.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

#define MS_PER_DAY INT64_C(86400000)
#define MS_PER_MIN INT64_C(60000)
#define LAST_MS_OF_9999 INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */
#define CHAN_NAME_MAX_EXPANDED 2048 /* bound of a template with every placeholder expanded */

bool chan_name_valid(const char *name, size_t len)
{
    if (len == 0 || len > CHAN_NAME_MAX || name[0] == '-' || name[len - 1] == '-')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
        if (c == '-' && i > 0 && name[i - 1] == '-')
            return false;
    }
    return true;
}

/* Why name is not valid, for messages; NULL when it is. */
static const char *invalid_reason(const char *name, size_t len)
{
    if (len == 0)
        return "it is empty";
    if (len > CHAN_NAME_MAX)
        return "it is longer than 80 characters";
    if (name[0] == '-' || name[len - 1] == '-')
        return "it starts or ends with a hyphen";
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return "it has a character other than a-z, 0-9, - and _";
        if (c == '-' && i > 0 && name[i - 1] == '-')
            return "it has a double hyphen";
    }
    return NULL;
}

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

/* U+00C0..U+00FF; "" is a separator (× and ÷). */
static const char *const latin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",   /* C0 */
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",   /* D0 */
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",   /* E0 */
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",    /* F0 */
};

/* U+0100..U+017F, one base letter each; the digraphs Ĳ ĳ Œ œ are special-cased. */
static const char latin_ext_a[] =
    "aaaaaacccccccc" "dddd" "eeeeeeeeee" "gggggggg" "hhhh" "iiiiiiiiii" "II" "jj" "kkk"
    "llllllllll" "nnnnnnnnn" "oooooo" "OO" "rrrrrr" "ssssssss" "tttttt" "uuuuuuuuuuuu" "ww"
    "yyy" "zzzzzz" "s";
_Static_assert(sizeof(latin_ext_a) == 0x80 + 1, "one letter per code point U+0100..U+017F");

/* What code point c becomes in a slug: letters, "" for a separator, NULL to drop it. */
static const char *translit(uint32_t c, char tmp[2])
{
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        tmp[0] = (char)c;
        return tmp;
    }
    if (c >= 'A' && c <= 'Z') {
        tmp[0] = (char)(c - 'A' + 'a');
        return tmp;
    }
    if (c == '\'' || c == 0x2019 || (c >= 0x300 && c <= 0x36f))
        return NULL; /* "can't" -> "cant"; combining accents of decomposed text */
    if (c >= 0xc0 && c <= 0xff)
        return latin1[c - 0xc0];
    if (c >= 0x100 && c <= 0x17f) {
        char b = latin_ext_a[c - 0x100];
        if (b == 'I')
            return "ij";
        if (b == 'O')
            return "oe";
        tmp[0] = b;
        return tmp;
    }
    if (c == 0x218 || c == 0x219) /* Romanian Ș ș */
        return "s";
    if (c == 0x21a || c == 0x21b) /* Romanian Ț ț */
        return "t";
    return "";
}

/* Longest prefix of s (len bytes, no '-' at the ends) within max bytes, cut after a whole
 * word when that keeps at least half of max; never ends with '-'. */
static size_t fit(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    if (s[max] == '-')
        return max;
    for (size_t k = max; k > max / 2 && k > 1; k--)
        if (s[k - 1] == '-')
            return k - 1;
    size_t k = max;
    while (k > 0 && s[k - 1] == '-')
        k--;
    return k;
}

void chan_name_slug(const char *title, char *out, size_t outsz)
{
    const unsigned char *s = (const unsigned char *)title;
    size_t n = strlen(title), o = 0;
    char *full = xmalloc(n + 1);
    bool sep = false;

    for (size_t i = 0; i < n;) {
        uint32_t c = 0xfffd;
        size_t l = utf8_next(s + i, n - i, &c);
        if (l == 0)
            l = 1; /* a stray byte is a separator */
        char tmp[2] = {0, 0};
        const char *t = translit(c, tmp);
        i += l;
        if (t == NULL)
            continue;
        if (t[0] == '\0') {
            sep = true;
            continue;
        }
        if (sep && o > 0)
            full[o++] = '-';
        sep = false;
        size_t tl = strlen(t);
        memcpy(full + o, t, tl); /* a transliteration is never longer than its UTF-8 */
        o += tl;
    }
    if (o == 0) {
        size_t fl = strlen(CHAN_NAME_FALLBACK_SLUG);
        free(full);
        full = xstrdup(CHAN_NAME_FALLBACK_SLUG);
        o = fl;
    }
    if (outsz > 0) {
        size_t k = fit(full, o, outsz - 1);
        memcpy(out, full, k);
        out[k] = '\0';
    }
    free(full);
}

/* YYYY-MM-DD of the day that ms (local unix ms, >= 0) is in. */
static void format_date(int64_t ms, char out[11])
{
    int64_t z = ms / MS_PER_DAY + 719468; /* days since 0000-03-01 */
    int64_t era = z / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    /* digits by hand: y is 0..9999 by the range check of the caller */
    const int64_t parts[3] = {y, m, d};
    const int width[3] = {4, 2, 2};
    size_t o = 0;
    for (int p = 0; p < 3; p++) {
        for (int k = width[p] - 1; k >= 0; k--) {
            int64_t div = 1;
            for (int j = 0; j < k; j++)
                div *= 10;
            out[o++] = (char)('0' + parts[p] / div % 10);
        }
        out[o++] = p < 2 ? '-' : '\0';
    }
}

struct vals {
    int64_t id;
    enum severity sev;
    char date[11];
};

/*
 * Expands tmpl into b; {slug} becomes slug, or nothing when slug is NULL
 * (the measuring pass), and is counted in *nslug.
 */
static enum bot_rc expand(const char *tmpl, const struct vals *v, const char *slug,
                          struct buf *b, size_t *nslug, struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    *nslug = 0;
    for (size_t i = 0; tmpl[i] != '\0' && rc == BOT_OK; i++) {
        char c = tmpl[i];
        if (c == '{') {
            const char *close = strchr(tmpl + i, '}');
            if (close == NULL)
                return bot_err_set(err, BOT_EINVAL, "unterminated placeholder at character "
                                   "%zu; use {date}, {id}, {slug} or {severity}", i + 1);
            const char *name = tmpl + i + 1;
            size_t nl = (size_t)(close - name);
            if (nl == 4 && memcmp(name, "date", 4) == 0) {
                rc = buf_addstr(b, v->date);
            } else if (nl == 2 && memcmp(name, "id", 2) == 0) {
                rc = buf_addf(b, "%" PRId64, v->id);
            } else if (nl == 4 && memcmp(name, "slug", 4) == 0) {
                (*nslug)++;
                if (slug != NULL)
                    rc = buf_addstr(b, slug);
            } else if (nl == 8 && memcmp(name, "severity", 8) == 0) {
                rc = buf_addstr(b, plan_severity_name(v->sev));
            } else {
                return bot_err_set(err, BOT_EINVAL, "unknown placeholder {%.*s}; use {date}, "
                                   "{id}, {slug} or {severity}", nl > 40 ? 40 : (int)nl, name);
            }
            i += nl + 1;
            continue;
        }
        if (c == '}')
            return bot_err_set(err, BOT_EINVAL, "a '}' without '{' at character %zu", i + 1);
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
                return bot_err_set(err, BOT_EINVAL, "'%c' (character %zu) is not allowed in a "
                                   "channel name; use a-z, 0-9, - and _", c, i + 1);
            return bot_err_set(err, BOT_EINVAL, "character %zu is not allowed in a channel "
                               "name; use a-z, 0-9, - and _", i + 1);
        }
        rc = buf_add(b, &c, 1);
    }
    if (rc)
        return bot_err_set(err, BOT_EINVAL, "the template expands to too long a name");
    return BOT_OK;
}

enum bot_rc chan_name_render_variant(const char *tmpl, int64_t id, const char *title,
                                     enum severity sev, int64_t start_ms, int tz_offset_min,
                                     int n, char *out, size_t outsz, struct bot_err *err)
{
    struct vals v = {.id = id, .sev = sev};
    struct buf b;
    char suffix[16] = "", slug[CHAN_NAME_MAX + 1];
    size_t nslug, tl = strlen(tmpl);
    enum bot_rc rc;

    if (tl > CHAN_NAME_MAX_TEMPLATE)
        return bot_err_set(err, BOT_EINVAL, "the template is %zu bytes long; at most %d",
                           tl, CHAN_NAME_MAX_TEMPLATE);
    if (id < 0)
        return bot_err_set(err, BOT_EINVAL, "incident id %" PRId64 " is negative", id);
    if (tz_offset_min < -14 * 60 || tz_offset_min > 14 * 60)
        return bot_err_set(err, BOT_EINVAL, "the time zone offset %d min is out of range",
                           tz_offset_min);
    int64_t local = start_ms + tz_offset_min * MS_PER_MIN;
    if (start_ms < 0 || start_ms > LAST_MS_OF_9999 || local < 0 || local > LAST_MS_OF_9999)
        return bot_err_set(err, BOT_EINVAL, "start time %" PRId64 " ms is out of range",
                           start_ms);
    format_date(local, v.date);
    if (n >= 2)
        snprintf(suffix, sizeof(suffix), "-%d", n);

    buf_init(&b, CHAN_NAME_MAX_EXPANDED);
    rc = expand(tmpl, &v, NULL, &b, &nslug, err);
    if (rc)
        goto out;
    size_t fixed = b.len + strlen(suffix);
    slug[0] = '\0';
    if (nslug > 0) {
        if (fixed + nslug > CHAN_NAME_MAX) {
            rc = bot_err_set(err, BOT_EINVAL, "the name without its slug is already %zu "
                             "characters; at most %d fit", fixed, CHAN_NAME_MAX);
            goto out;
        }
        size_t budget = (CHAN_NAME_MAX - fixed) / nslug;
        chan_name_slug(title != NULL ? title : "", slug, budget + 1);
        buf_reset(&b);
        rc = expand(tmpl, &v, slug, &b, &nslug, err);
        if (rc)
            goto out;
    }
    if (buf_addstr(&b, suffix) != BOT_OK) {
        rc = bot_err_set(err, BOT_EINVAL, "the template expands to too long a name");
        goto out;
    }
    const char *why = invalid_reason(buf_str(&b), b.len);
    if (why != NULL) {
        rc = bot_err_set(err, BOT_EINVAL, "the name \"%.100s\" is not a valid channel name: %s",
                         buf_str(&b), why);
        goto out;
    }
    if (b.len >= outsz) {
        rc = bot_err_set(err, BOT_ETOOBIG, "the output buffer is too small");
        goto out;
    }
    memcpy(out, buf_str(&b), b.len + 1);
out:
    buf_free(&b);
    return rc;
}

enum bot_rc chan_name_render(const char *tmpl, int64_t id, const char *title,
                             enum severity sev, int64_t start_ms, int tz_offset_min, char *out,
                             size_t outsz, struct bot_err *err)
{
    return chan_name_render_variant(tmpl, id, title, sev, start_ms, tz_offset_min, 0, out,
                                    outsz, err);
}

enum bot_rc chan_name_variant(const char *base, int n, char *out, size_t outsz)
{
    char suffix[16];
    size_t bl = strlen(base);
    if (n < 2 || !chan_name_valid(base, bl))
        return BOT_EINVAL;
    int sl = snprintf(suffix, sizeof(suffix), "-%d", n);
    if (sl < 0 || (size_t)sl >= sizeof(suffix))
        return BOT_EINVAL;
    size_t k = fit(base, bl, CHAN_NAME_MAX - (size_t)sl);
    if (k + (size_t)sl >= outsz)
        return BOT_ETOOBIG;
    memcpy(out, base, k);
    memcpy(out + k, suffix, (size_t)sl + 1);
    return BOT_OK;
}

enum bot_rc chan_name_check_template(const char *tmpl, struct bot_err *err)
{
    static const int64_t ids[] = {1, INT64_C(999999999999)};
    static const char *const titles[] = {
        "Checkout fails",
        "!!!",
        "データベース障害",
        ("Zahlungsausfall bei Überweisungen und Lastschriften für Großkunden in Österreich, "
         "Dänemark und der Schweiz seit dem frühen Morgen mit Folgen für alle Abrechnungen"),
        "x",
    };
    static const int64_t starts[] = {0, INT64_C(1709164800000) /* 2024-02-29 */,
                                     INT64_C(4102444799000) /* 2099-12-31 */};
    static const int tzs[] = {0, 14 * 60};
    static const int variants[] = {0, 2, 9999};
    char name[CHAN_NAME_MAX + 1];
    struct bot_err e;

    if (tmpl[0] == '\0')
        return bot_err_set(err, BOT_ECONFIG, "channel_name: the template is empty");
    for (size_t a = 0; a < sizeof(ids) / sizeof(ids[0]); a++)
        for (size_t t = 0; t < sizeof(titles) / sizeof(titles[0]); t++)
            for (int s = 0; s < SEV_COUNT; s++)
                for (size_t d = 0; d < sizeof(starts) / sizeof(starts[0]); d++)
                    for (size_t z = 0; z < sizeof(tzs) / sizeof(tzs[0]); z++)
                        for (size_t k = 0; k < sizeof(variants) / sizeof(variants[0]); k++)
                            if (chan_name_render_variant(tmpl, ids[a], titles[t],
                                                         (enum severity)s, starts[d], tzs[z],
                                                         variants[k], name, sizeof(name),
                                                         &e) != BOT_OK)
                                return bot_err_set(err, BOT_ECONFIG, "channel_name \"%.200s\": "
                                                   "%s", tmpl, e.msg);
    return BOT_OK;
}
