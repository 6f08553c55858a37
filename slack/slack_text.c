/*
 * Slack's message format in and out (see slack_text.h): one reader of the
 * stored form, three writers (mrkdwn, plain text, HTML). The reader splits
 * text into runs of characters and control sequences `<...>`; a '<' without
 * its '>' on the same line, or one that holds another '<', is a character.
 */
#include "slack_text.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

enum bot_rc slack_text_escape(struct buf *out, const char *s, size_t len)
{
    enum bot_rc rc = BOT_OK;
    size_t start = 0;
    for (size_t i = 0; i < len && rc == BOT_OK; i++) {
        const char *ent = NULL;
        switch (s[i]) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        default: continue;
        }
        rc = buf_add(out, s + start, i - start);
        if (rc == BOT_OK)
            rc = buf_addstr(out, ent);
        start = i + 1;
    }
    if (rc == BOT_OK)
        rc = buf_add(out, s + start, len - start);
    return rc;
}

enum out_mode { OUT_USER, OUT_PLAIN, OUT_HTML };

/* The entity at s (n bytes left), its character in *c and its length; 0 when none. */
static size_t entity_at(const char *s, size_t n, char *c)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}};
    for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
        size_t l = strlen(ents[i].ent);
        if (n >= l && memcmp(s, ents[i].ent, l) == 0) {
            *c = ents[i].c;
            return l;
        }
    }
    return 0;
}

static enum bot_rc html_char(struct buf *out, char c)
{
    switch (c) {
    case '&': return buf_addstr(out, "&amp;");
    case '<': return buf_addstr(out, "&lt;");
    case '>': return buf_addstr(out, "&gt;");
    case '"': return buf_addstr(out, "&quot;");
    case '\'': return buf_addstr(out, "&#39;");
    default: return buf_add(out, &c, 1);
    }
}

/*
 * Characters of stored text (entities are characters) written for mode:
 * decoded for plain text, decoded and HTML-escaped for HTML, and for mrkdwn
 * kept as entities (a bare & < > is escaped).
 */
static enum bot_rc put_text(struct buf *out, const char *s, size_t len, enum out_mode mode)
{
    enum bot_rc rc = BOT_OK;
    size_t start = 0, i = 0;
    while (i < len && rc == BOT_OK) {
        char c = s[i];
        size_t el = 0;
        if (c != '&' && c != '<' && c != '>' && (mode != OUT_HTML || (c != '"' && c != '\''))) {
            i++;
            continue;
        }
        rc = buf_add(out, s + start, i - start);
        if (c == '&')
            el = entity_at(s + i, len - i, &c);
        if (rc != BOT_OK)
            break;
        if (mode == OUT_USER)
            rc = el ? buf_add(out, s + i, el) : slack_text_escape(out, &c, 1);
        else if (mode == OUT_PLAIN)
            rc = buf_add(out, &c, 1);
        else
            rc = html_char(out, c);
        i += el ? el : 1;
        start = i;
    }
    if (rc == BOT_OK)
        rc = buf_add(out, s + start, len - start);
    return rc;
}

/* Characters that may make up a Slack id (U0123ABC, C0SUPPORT, S0GROUP). */
static bool is_id(const char *s, size_t n)
{
    if (n == 0 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

static bool starts(const char *s, size_t n, const char *prefix)
{
    size_t l = strlen(prefix);
    return n >= l && memcmp(s, prefix, l) == 0;
}

/* The name callback's answer for id (n bytes) into name; false when it has none. */
static bool lookup(bool (*fn)(void *, const char *, char *, size_t), void *ctx, const char *id,
                   size_t n, char *name, size_t namesz)
{
    char key[40];
    if (fn == NULL || n >= sizeof(key))
        return false;
    memcpy(key, id, n);
    key[n] = '\0';
    name[0] = '\0';
    return fn(ctx, key, name, namesz) && name[0] != '\0';
}

/*
 * A mention's words in plain text or HTML: sigil then the name the callback
 * knows, else the label Slack wrote (less a leading sigil of its own), else
 * the neutral word.
 */
static enum bot_rc put_name(struct buf *out, char sigil, const char *name, const char *label,
                            size_t llen, const char *neutral, enum out_mode mode, const char *id,
                            size_t idlen)
{
    enum bot_rc rc;
    if (name != NULL && *name) {
        rc = buf_add(out, &sigil, 1);
        if (rc != BOT_OK)
            return rc;
        if (mode == OUT_USER) /* a raw name shown literally */
            return slack_text_escape(out, name, strlen(name));
        if (mode == OUT_PLAIN)
            return buf_addstr(out, name);
        for (const char *c = name; rc == BOT_OK && *c; c++)
            rc = html_char(out, *c);
        return rc;
    }
    if (llen > 0 && label[0] == sigil) {
        label++;
        llen--;
    }
    if (llen > 0) {
        rc = buf_add(out, &sigil, 1);
        return rc ? rc : put_text(out, label, llen, mode);
    }
    if (id != NULL) {
        rc = buf_add(out, &sigil, 1);
        return rc ? rc : buf_add(out, id, idlen);
    }
    return buf_addstr(out, neutral);
}

static bool link_scheme_ok(const char *url, size_t n, bool mailto)
{
    return starts(url, n, "https://") || starts(url, n, "http://") ||
           (mailto && starts(url, n, "mailto:"));
}

/* Whether s (n bytes) starts with a URI scheme and its ':' (RFC 3986: ALPHA *( ALPHA / DIGIT / + - . )). */
static bool has_scheme(const char *s, size_t n)
{
    if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (c == ':')
            return true;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '-' || c == '.'))
            return false;
    }
    return false;
}

/* One control sequence: body is what lies between '<' and '>' (n bytes, n > 0). */
static enum bot_rc put_control(struct buf *out, const char *body, size_t n, enum out_mode mode,
                               const struct slack_names *names)
{
    const char *bar = memchr(body, '|', n);
    size_t head = bar ? (size_t)(bar - body) : n;
    const char *label = bar ? bar + 1 : body + n;
    size_t llen = bar ? n - head - 1 : 0;
    char name[SLACK_TEXT_MAX_NAME];
    void *ctx = names ? names->ctx : NULL;

    if (body[0] == '@' && is_id(body + 1, head - 1)) { /* a person */
        if (mode == OUT_USER)
            return buf_addf(out, "<@%.*s>", (int)(head - 1), body + 1);
        bool known = lookup(names ? names->user : NULL, ctx, body + 1, head - 1, name, sizeof(name));
        return put_name(out, '@', known ? name : NULL, label, llen, "someone", mode,
                        names && names->ids ? body + 1 : NULL, head - 1);
    }
    if (body[0] == '#' && is_id(body + 1, head - 1)) { /* a channel */
        if (mode == OUT_USER)
            return buf_addf(out, "<#%.*s>", (int)(head - 1), body + 1);
        bool known =
            lookup(names ? names->channel : NULL, ctx, body + 1, head - 1, name, sizeof(name));
        return put_name(out, '#', known ? name : NULL, label, llen, "a channel", mode,
                        names && names->ids ? body + 1 : NULL, head - 1);
    }
    if (body[0] == '!') {
        const char *word = body + 1;
        size_t wl = head - 1;
        if (starts(word, wl, "subteam^")) { /* a user group: never pinged from user text */
            bool known = lookup(names ? names->group : NULL, ctx, word + 8, wl - 8, name,
                                sizeof(name));
            return put_name(out, '@', known ? name : NULL, label, llen, "a group", mode, NULL, 0);
        }
        if ((wl == 7 && memcmp(word, "channel", 7) == 0) || (wl == 4 && memcmp(word, "here", 4) == 0) ||
            (wl == 8 && memcmp(word, "everyone", 8) == 0)) {
            enum bot_rc rc = buf_addstr(out, "@");
            return rc ? rc : buf_add(out, word, wl);
        }
        /* a date or anything else Slack may add: its fallback text */
        if (llen)
            return put_text(out, label, llen, mode);
    }
    if (body[0] == '!' || !has_scheme(body, head)) { /* not one of Slack's sequences: characters */
        enum bot_rc rc = put_text(out, "&lt;", 4, mode);
        if (rc == BOT_OK)
            rc = put_text(out, body, n, mode);
        return rc ? rc : put_text(out, "&gt;", 4, mode);
    }
    /* A link: <url> or <url|label>. */
    bool ok = link_scheme_ok(body, head, mode != OUT_HTML);
    if (mode == OUT_USER) {
        if (ok) {
            enum bot_rc rc = buf_addstr(out, "<");
            if (rc == BOT_OK)
                rc = buf_add(out, body, n);
            return rc ? rc : buf_addstr(out, ">");
        }
        return put_text(out, llen ? label : body, llen ? llen : head, mode);
    }
    if (mode == OUT_PLAIN) {
        if (llen)
            return put_text(out, label, llen, mode);
        if (starts(body, head, "mailto:"))
            return put_text(out, body + 7, head - 7, mode);
        return put_text(out, body, head, mode);
    }
    if (!ok) /* HTML: other schemes (javascript:, data:, mailto:) are only words */
        return put_text(out, llen ? label : body, llen ? llen : head, mode);
    enum bot_rc rc = buf_addstr(out, "<a href=\"");
    if (rc == BOT_OK)
        rc = put_text(out, body, head, OUT_HTML);
    if (rc == BOT_OK)
        rc = buf_addstr(out, "\" rel=\"nofollow noopener\">");
    if (rc == BOT_OK)
        rc = put_text(out, llen ? label : body, llen ? llen : head, OUT_HTML);
    return rc ? rc : buf_addstr(out, "</a>");
}

static enum bot_rc convert(struct buf *out, const char *s, size_t len, enum out_mode mode,
                           const struct slack_names *names)
{
    enum bot_rc rc = BOT_OK;
    size_t start = 0, i = 0;
    while (i < len && rc == BOT_OK) {
        if (s[i] != '<') {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < len && s[j] != '>' && s[j] != '<' && s[j] != '\n')
            j++;
        if (j >= len || s[j] != '>' || j == i + 1) { /* not a control sequence */
            i++;
            continue;
        }
        rc = put_text(out, s + start, i - start, mode);
        if (rc == BOT_OK)
            rc = put_control(out, s + i + 1, j - i - 1, mode, names);
        i = j + 1;
        start = i;
    }
    if (rc == BOT_OK)
        rc = put_text(out, s + start, len - start, mode);
    return rc;
}

enum bot_rc slack_text_user(struct buf *out, const char *s, size_t len)
{
    return convert(out, s, len, OUT_USER, NULL);
}

enum bot_rc slack_text_plain(struct buf *out, const char *s, size_t len,
                             const struct slack_names *names)
{
    return convert(out, s, len, OUT_PLAIN, names);
}

enum bot_rc slack_text_html(struct buf *out, const char *s, size_t len,
                            const struct slack_names *names)
{
    return convert(out, s, len, OUT_HTML, names);
}

static char *dup_with(const char *s, size_t max, enum out_mode mode, bool escape,
                      const struct slack_names *names)
{
    struct buf b;
    buf_init(&b, max);
    if (s == NULL)
        s = "";
    /* On BOT_ETOOBIG the buffer keeps what fitted before the run that did not. */
    if (escape)
        (void)!slack_text_escape(&b, s, strlen(s));
    else
        (void)!convert(&b, s, strlen(s), mode, names);
    return buf_take(&b);
}

char *slack_text_user_dup(const char *s, size_t max)
{
    return dup_with(s, max, OUT_USER, false, NULL);
}

char *slack_text_plain_dup(const char *s, size_t max, const struct slack_names *names)
{
    return dup_with(s, max, OUT_PLAIN, false, names);
}

char *slack_text_escape_dup(const char *s, size_t max)
{
    return dup_with(s, max, OUT_USER, true, NULL);
}

char *slack_text_title_dup(const char *s, size_t max)
{
    char *plain = slack_text_plain_dup(s, max, NULL);
    char *out = slack_text_escape_dup(plain, max);
    free(plain);
    return out;
}
