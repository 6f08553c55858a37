/*
 * The Markdown subset of the public postmortem as HTML (see page_md.h).
 * Every byte of text goes out through page_html_escape(); the only markup
 * written is this file's own literals. Each delimiter search that fails is
 * remembered for the rest of the line, so a line of a thousand unmatched
 * "*" or "[" costs one scan, not a thousand.
 */
#include "page_md.h"

#include <stdbool.h>
#include <string.h>

#include "page_html.h"

struct md {
    struct buf *out;
    enum bot_rc rc; /* sticky: nothing is appended after the first failure */
};

static void add(struct md *m, const char *s, size_t n)
{
    if (m->rc == BOT_OK)
        m->rc = buf_add(m->out, s, n);
}

static void addstr(struct md *m, const char *s)
{
    add(m, s, strlen(s));
}

static void esc(struct md *m, const char *s, size_t n)
{
    if (m->rc == BOT_OK && n > 0)
        m->rc = page_html_escape(m->out, s, n);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_punct(char c)
{
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
           (c >= '{' && c <= '~');
}

/* True when s (n bytes) starts with prefix, ASCII case ignored. */
static bool starts_nocase(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != prefix[i])
            return false;
    }
    return true;
}

/* The length of the scheme when s starts with http:// or https:// and more; else 0. */
static size_t web_scheme(const char *s, size_t n)
{
    size_t k = starts_nocase(s, n, "https://") ? 8 : starts_nocase(s, n, "http://") ? 7 : 0;
    return k > 0 && n > k ? k : 0;
}

/* A link target we write: http(s), no blanks or quotes (they could not be in a URL anyway). */
static bool url_ok(const char *s, size_t n)
{
    if (web_scheme(s, n) == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (is_space(s[i]) || s[i] == '"' || s[i] == '<' || s[i] == '>' || s[i] == '\n')
            return false;
    return true;
}

static void link(struct md *m, const char *url, size_t un, const char *label, size_t ln,
                 bool label_inline, int depth);

/* Searches that failed on this span: no later start can succeed either. */
struct seen {
    bool no_code, no_strong, no_em_star, no_em_under, no_link;
    size_t link_fail_until; /* "[" before here finds the same "]" that is no link */
};

static void span(struct md *m, const char *s, size_t n, int depth, bool links);

/* The closing "**" of a strong span opened at s[0..2), or 0. */
static size_t strong_close(const char *s, size_t n)
{
    for (size_t j = 3; j + 1 < n; j++)
        if (s[j] == '*' && s[j + 1] == '*' && !is_space(s[j - 1]))
            return j;
    return 0;
}

/* The closing c of an emphasis opened at s[0], or 0. */
static size_t em_close(const char *s, size_t n, char c)
{
    for (size_t j = 2; j < n; j++) {
        if (c == '*' && s[j] == '*' && j + 1 < n && s[j + 1] == '*') {
            j++; /* a "**" inside is strong's, not this one's end */
            continue;
        }
        if (s[j] == c && !is_space(s[j - 1]) && (c == '*' || j + 1 == n || !is_alnum(s[j + 1])))
            return j;
    }
    return 0;
}

/*
 * Inline Markdown of s (n bytes, one line or part of one) as escaped HTML.
 * depth bounds nesting (strong > em > link label); links is false inside a
 * link's label.
 */
static void span(struct md *m, const char *s, size_t n, int depth, bool links)
{
    struct seen seen = {0};
    size_t i = 0, text = 0;
    while (i < n && m->rc == BOT_OK) {
        char c = s[i];
        size_t j, k;
        if (c == '\\' && i + 1 < n && is_punct(s[i + 1])) {
            esc(m, s + text, i - text);
            esc(m, s + i + 1, 1);
            i += 2;
            text = i;
            continue;
        }
        if (c == '`' && !seen.no_code) {
            const char *e = memchr(s + i + 1, '`', n - i - 1);
            if (e != NULL) {
                j = (size_t)(e - s);
                esc(m, s + text, i - text);
                addstr(m, "<code>");
                esc(m, s + i + 1, j - i - 1);
                addstr(m, "</code>");
                i = j + 1;
                text = i;
                continue;
            }
            seen.no_code = true;
        }
        if (c == '*' && i + 1 < n && s[i + 1] == '*') {
            if (depth < 3 && !seen.no_strong && i + 2 < n && !is_space(s[i + 2])) {
                j = strong_close(s + i, n - i);
                if (j > 0) {
                    esc(m, s + text, i - text);
                    addstr(m, "<strong>");
                    span(m, s + i + 2, j - 2, depth + 1, links);
                    addstr(m, "</strong>");
                    i += j + 2;
                    text = i;
                    continue;
                }
                seen.no_strong = true;
            }
            i += 2; /* "**" that opens nothing is text, both stars */
            continue;
        }
        if ((c == '*' || c == '_') && depth < 3 && i + 1 < n && !is_space(s[i + 1]) &&
            !(c == '*' ? seen.no_em_star : seen.no_em_under) &&
            (c == '*' || i == 0 || !is_alnum(s[i - 1]))) {
            j = em_close(s + i, n - i, c);
            if (j > 0) {
                esc(m, s + text, i - text);
                addstr(m, "<em>");
                span(m, s + i + 1, j - 1, depth + 1, links);
                addstr(m, "</em>");
                i += j + 1;
                text = i;
                continue;
            }
            if (c == '*')
                seen.no_em_star = true;
            else
                seen.no_em_under = true;
        }
        if (c == '[' && links && !seen.no_link && i >= seen.link_fail_until) {
            const char *close = memchr(s + i + 1, ']', n - i - 1);
            if (close == NULL) {
                seen.no_link = true;
            } else if ((j = (size_t)(close - s)) + 1 >= n || s[j + 1] != '(') {
                seen.link_fail_until = j;
            } else {
                const char *paren = memchr(s + j + 2, ')', n - j - 2);
                if (paren == NULL) {
                    seen.no_link = true;
                } else if (url_ok(s + j + 2, (size_t)(paren - s) - j - 2) && j > i + 1) {
                    k = (size_t)(paren - s);
                    esc(m, s + text, i - text);
                    link(m, s + j + 2, k - j - 2, s + i + 1, j - i - 1, true, depth);
                    i = k + 1;
                    text = i;
                    continue;
                } else {
                    seen.link_fail_until = j; /* not a web link: all of it stays text */
                }
            }
        }
        if ((c == 'h' || c == 'H') && links && (i == 0 || !is_alnum(s[i - 1])) &&
            (k = web_scheme(s + i, n - i)) > 0) {
            j = i + k;
            while (j < n && !is_space(s[j]) && s[j] != '<' && s[j] != '>' && s[j] != '"')
                j++;
            while (j > i + k && strchr(".,;:!?')]*_", s[j - 1]) != NULL)
                j--; /* sentence punctuation after a URL is not part of it */
            if (j > i + k) {
                esc(m, s + text, i - text);
                link(m, s + i, j - i, s + i, j - i, false, depth);
                i = j;
                text = i;
                continue;
            }
        }
        i++;
    }
    esc(m, s + text, n - text);
}

static void link(struct md *m, const char *url, size_t un, const char *label, size_t ln,
                 bool label_inline, int depth)
{
    addstr(m, "<a href=\"");
    esc(m, url, un); /* escapes " and ': the attribute value cannot be left */
    addstr(m, "\" rel=\"nofollow noopener\">");
    if (label_inline)
        span(m, label, ln, depth + 1, false);
    else
        esc(m, label, ln);
    addstr(m, "</a>");
}

/* ---- blocks ---- */

enum block { B_NONE, B_PARA, B_UL, B_OL };

static void close_block(struct md *m, enum block *b)
{
    static const char *const ends[] = {
        [B_NONE] = "", [B_PARA] = "</p>\n", [B_UL] = "</li>\n</ul>\n", [B_OL] = "</li>\n</ol>\n"};
    addstr(m, ends[*b]);
    *b = B_NONE;
}

/* A heading's level (1..6) and its text, or 0. */
static int heading(const char *t, size_t n, const char **text, size_t *tn)
{
    int level = 0;
    while ((size_t)level < n && t[level] == '#' && level < 7)
        level++;
    if (level == 0 || level > 6 || ((size_t)level < n && !is_space(t[level])))
        return 0;
    size_t a = (size_t)level, b = n;
    while (a < b && is_space(t[a]))
        a++;
    while (b > a && (is_space(t[b - 1]) || t[b - 1] == '#'))
        b--; /* "## Title ##": the closing marks are not text */
    *text = t + a;
    *tn = b - a;
    return level;
}

/* "---", "***", "___" (three or more of one, blanks between allowed). */
static bool rule(const char *t, size_t n)
{
    int count = 0;
    char c = t[0];
    if (c != '-' && c != '*' && c != '_')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == c)
            count++;
        else if (!is_space(t[i]))
            return false;
    }
    return count >= 3;
}

/* The length of a bullet marker ("- ") at t, or 0. */
static size_t bullet(const char *t, size_t n)
{
    return n >= 2 && (t[0] == '-' || t[0] == '*' || t[0] == '+') && is_space(t[1]) ? 2 : 0;
}

/* The length of a number marker ("12. ", "3) ") at t, or 0; its number in *num. */
static size_t numbered(const char *t, size_t n, long *num)
{
    size_t i = 0;
    long v = 0;
    while (i < n && i < 9 && t[i] >= '0' && t[i] <= '9')
        v = v * 10 + (t[i++] - '0');
    if (i == 0 || i + 1 >= n || (t[i] != '.' && t[i] != ')') || !is_space(t[i + 1]))
        return 0;
    *num = v;
    return i + 2;
}

enum bot_rc page_md_render(struct buf *out, const char *md, size_t len, int heading_base)
{
    struct md m = {out, BOT_OK};
    enum block b = B_NONE;
    if (heading_base < 1 || heading_base > 6)
        return BOT_EINVAL;
    if (len > PAGE_MD_MAX_INPUT)
        return BOT_ETOOBIG;
    for (size_t pos = 0; pos < len && m.rc == BOT_OK;) {
        const char *nl = memchr(md + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - md) : len;
        const char *t = md + pos;
        size_t n = end - pos, mk;
        long num = 0;
        const char *htext;
        size_t hn;
        int level;
        pos = nl ? end + 1 : len;
        if (n > 0 && t[n - 1] == '\r')
            n--;
        while (n > 0 && is_space(*t))
            t++, n--;
        while (n > 0 && is_space(t[n - 1]))
            n--;
        if (n == 0) {
            close_block(&m, &b);
        } else if ((level = heading(t, n, &htext, &hn)) > 0) {
            int h = heading_base + level - 1 > 6 ? 6 : heading_base + level - 1;
            close_block(&m, &b);
            if (m.rc == BOT_OK)
                m.rc = buf_addf(out, "<h%d>", h);
            span(&m, htext, hn, 0, true);
            if (m.rc == BOT_OK)
                m.rc = buf_addf(out, "</h%d>\n", h);
        } else if (rule(t, n)) {
            close_block(&m, &b);
            addstr(&m, "<hr>\n");
        } else if ((mk = bullet(t, n)) > 0 || (mk = numbered(t, n, &num)) > 0) {
            enum block want = bullet(t, n) > 0 ? B_UL : B_OL;
            if (b == want) {
                addstr(&m, "</li>\n");
            } else {
                close_block(&m, &b);
                if (want == B_UL)
                    addstr(&m, "<ul>\n");
                else if (num == 1 && m.rc == BOT_OK)
                    addstr(&m, "<ol>\n");
                else if (m.rc == BOT_OK)
                    m.rc = buf_addf(out, "<ol start=\"%ld\">\n", num);
                b = want;
            }
            addstr(&m, "<li>");
            span(&m, t + mk, n - mk, 0, true);
        } else if (b == B_NONE) {
            addstr(&m, "<p>");
            span(&m, t, n, 0, true);
            b = B_PARA;
        } else { /* the paragraph or the list item goes on: a line break */
            addstr(&m, "<br>\n");
            span(&m, t, n, 0, true);
        }
    }
    close_block(&m, &b);
    return m.rc;
}
