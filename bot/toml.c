/*
 * The TOML 1.0.0 parser behind incidentd's configuration file. It owns the
 * value tree (struct toml_value and everything hanging off it) and every
 * rule of the format: the four string forms and their escapes, integers in
 * four bases, floats, booleans, the four date/time kinds, arrays, inline
 * tables, dotted keys, [table] and [[array]] headers with TOML's rules on
 * what may be defined twice. The input is an operator's file, so a typo must
 * give a precise `line:col: message` and never a crash: every read is
 * checked against the length (the buffer may hold NUL bytes and is not
 * NUL-terminated), UTF-8 is validated before parsing, and both the size of
 * the document and the nesting depth are capped.
 */
#include "toml.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "utf8.h"

/* Tables with fewer keys are searched linearly; from this size on a hash index is kept. */
#define TABLE_INDEX_MIN 16
/* Longest piece of a key quoted in an error message before it is cut with "...". */
#define ERR_KEY_MAX 60
/* Room for describe_at()'s longest answer, "control character U+001F". */
#define DESCRIBE_MAX 40

/*
 * How a table came to exist decides what may still be done to it later
 * (TOML 1.0, "Table" and "Keys"): a table named only as the parent in a
 * header may be defined once by its own header later; one made by dotted
 * keys may not get a header of its own, and one with a header may not be
 * extended by dotted keys from elsewhere; an inline table is closed for good.
 */
enum table_origin {
    TBL_IMPLICIT, /* created as a parent of a [header]; not defined yet */
    TBL_HEADER,   /* defined by [header], an [[array]] element, or the root */
    TBL_DOTTED,   /* created by a dotted key */
    TBL_INLINE,   /* written as { ... } */
};

struct toml_kv {
    char *key; /* owned, NUL-terminated, may contain NUL */
    size_t klen;
    int line;
    struct toml_value *val; /* owned */
};

struct toml_value {
    enum toml_type type;
    int line, col;
    int depth; /* root is 0; a value nested in a container is one deeper */
    union {
        struct {
            struct toml_kv *kv; /* in insertion order */
            size_t len, cap;
            uint32_t *index;  /* open addressing; a slot holds entry number + 1, 0 is empty */
            size_t index_cap; /* power of two, kept at least twice len */
            enum table_origin origin;
        } tbl;
        struct {
            struct toml_value **items;
            size_t len, cap;
            bool of_tables; /* made by [[header]]: the only arrays a header may append to */
        } arr;
        struct {
            char *s; /* owned, NUL-terminated, may contain NUL */
            size_t len;
        } str;
        int64_t i;
        double f;
        bool b;
        struct toml_datetime dt;
    } u;
};

struct parser {
    const char *buf;
    size_t len;
    size_t pos;
    size_t start; /* 3 when the document begins with a byte order mark */
    struct toml_error *err;
    bool failed;
    struct toml_value *root;
    struct toml_value *cur; /* where key/value lines go: the table of the last header */
    /*
     * locate() turns byte offsets into line:col. Offsets are asked for in
     * increasing order while parsing, so it scans forward from the last
     * answer; going back (only for errors) rescans from the start.
     */
    size_t cache_pos, cache_bol;
    int cache_line;
};

/* One piece of a dotted key, with where it was written. */
struct keypart {
    char *s; /* owned; tables get their own copy, so messages can still name every part */
    size_t len;
    size_t pos;
    int line, col;
};

struct keypath {
    struct keypart *part;
    size_t n, cap;
};

/* ---- small helpers ---------------------------------------------------------------------- */

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_bare_key_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-';
}

/* Characters that can appear in an unquoted value: numbers, dates, true/false, inf/nan. */
static bool is_token_char(int c)
{
    return is_bare_key_char(c) || c == '.' || c == ':' || c == '+';
}

static int digit_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_control(int c)
{
    return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

/* snprintf for messages: a message cut short is still a message, so truncation ends in "...". */
static void fmt_into(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt_into(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, size, fmt, ap);
    va_end(ap);
    if (n < 0)
        out[0] = '\0';
    else if ((size_t)n >= size && size > 4)
        memcpy(out + size - 4, "...", 4);
}

/* Growable byte string used while decoding strings and keys. */
struct sbuf {
    char *d;
    size_t len, cap;
};

static void sbuf_add(struct sbuf *b, const void *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->d = xrealloc(b->d, cap);
        b->cap = cap;
    }
    if (n)
        memcpy(b->d + b->len, s, n);
    b->len += n;
    b->d[b->len] = '\0';
}

static void sbuf_addc(struct sbuf *b, char c)
{
    sbuf_add(b, &c, 1);
}

/* Hands the bytes over, NUL-terminated (never NULL). */
static char *sbuf_take(struct sbuf *b, size_t *len)
{
    char *s = b->d ? b->d : xmemdup0("", 0);
    *len = b->len;
    b->d = NULL;
    b->len = b->cap = 0;
    return s;
}

/* Writes a key into a message: control bytes as \xNN, quotes escaped, long keys cut. */
static void show_key(char *out, size_t size, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char piece[8];
        size_t plen;
        if (c < 0x20 || c == 0x7f) {
            fmt_into(piece, sizeof piece, "\\x%02X", c);
            plen = 4;
        } else if (c == '"' || c == '\\') {
            piece[0] = '\\';
            piece[1] = (char)c;
            plen = 2;
        } else {
            piece[0] = (char)c;
            plen = 1;
        }
        /* Stop early enough for "..." and never in the middle of a UTF-8 sequence. */
        bool cont = (c & 0xC0) == 0x80;
        if (!cont && (o + plen + 4 > size || o >= ERR_KEY_MAX)) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (o + plen + 4 > size)
            break;
        memcpy(out + o, piece, plen);
        o += plen;
    }
    out[o] = '\0';
}

/* Writes parts [0, n) of a dotted key as a.b.c for messages about headers. */
static void show_path(char *out, size_t size, const struct keypath *k, size_t n)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char one[ERR_KEY_MAX + 16];
        show_key(one, sizeof one, k->part[i].s, k->part[i].len);
        size_t l = strlen(one); /* our own formatted text, never input */
        if (o + l + 2 > size) {
            if (o + 4 <= size)
                memcpy(out + o, "...", 4);
            return;
        }
        if (i)
            out[o++] = '.';
        memcpy(out + o, one, l + 1);
        o += l;
    }
}

/* ---- positions and errors ------------------------------------------------------------------ */

static void locate(struct parser *p, size_t pos, int *line, int *col)
{
    if (pos > p->len)
        pos = p->len;
    if (pos < p->start) {
        *line = 1;
        *col = 1;
        return;
    }
    if (pos < p->cache_pos) {
        p->cache_pos = p->start;
        p->cache_bol = p->start;
        p->cache_line = 1;
    }
    for (size_t i = p->cache_pos; i < pos; i++) {
        if (p->buf[i] == '\n') {
            p->cache_line++;
            p->cache_bol = i + 1;
        }
    }
    p->cache_pos = pos;
    *line = p->cache_line;
    *col = (int)(pos - p->cache_bol) + 1;
}

/* Records the first error only (later ones are consequences) and returns -1. */
static int fail_at(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(struct parser *p, size_t pos, const char *fmt, ...)
{
    if (p->failed)
        return -1;
    p->failed = true;
    locate(p, pos, &p->err->line, &p->err->col);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        fmt_into(p->err->msg, sizeof p->err->msg, "syntax error");
    else if ((size_t)n >= sizeof p->err->msg)
        memcpy(p->err->msg + sizeof p->err->msg - 4, "...", 4);
    return -1;
}

/* Describes the character at pos for "found ..." in messages. */
static const char *describe_at(const struct parser *p, size_t pos, char *out, size_t size)
{
    if (pos >= p->len)
        return "end of input";
    unsigned char c = (unsigned char)p->buf[pos];
    if (c == '\n')
        return "a newline";
    if (c == '\r')
        return "a carriage return";
    if (c == '\t')
        return "a tab";
    if (c == ' ')
        return "a space";
    if (c < 0x20 || c == 0x7f) {
        fmt_into(out, size, "control character U+%04X", c);
    } else if (c < 0x80) {
        fmt_into(out, size, "'%c'", c);
    } else {
        /* Input is valid UTF-8 by now: quote the whole character. */
        size_t n = 1;
        while (n < 4 && pos + n < p->len && ((unsigned char)p->buf[pos + n] & 0xC0) == 0x80)
            n++;
        fmt_into(out, size, "'%.*s'", (int)n, p->buf + pos);
    }
    return out;
}

static int peek(const struct parser *p)
{
    return p->pos < p->len ? (unsigned char)p->buf[p->pos] : -1;
}

static int peek_at(const struct parser *p, size_t k)
{
    return p->len - p->pos > k ? (unsigned char)p->buf[p->pos + k] : -1;
}

/* Length of the newline at pos: 1 for LF, 2 for CRLF, 0 otherwise. */
static size_t newline_len(const struct parser *p)
{
    int c = peek(p);
    if (c == '\n')
        return 1;
    if (c == '\r' && peek_at(p, 1) == '\n')
        return 2;
    return 0;
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len && (p->buf[p->pos] == ' ' || p->buf[p->pos] == '\t'))
        p->pos++;
}

/* ---- UTF-8 ------------------------------------------------------------------------------- */

/* TOML documents must be valid UTF-8 throughout, comments included, so check it once. */
static int check_utf8(struct parser *p)
{
    const unsigned char *s = (const unsigned char *)p->buf;
    for (size_t i = p->start; i < p->len;) {
        size_t n = utf8_seq_len(s + i, p->len - i);
        if (n == 0)
            return fail_at(p, i, "invalid UTF-8 (byte 0x%02X)", s[i]);
        i += n;
    }
    return 0;
}

static void utf8_put(struct sbuf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    sbuf_add(b, u, n);
}

/* ---- the value tree ---------------------------------------------------------------------- */

static struct toml_value *value_new(enum toml_type t, int line, int col, int depth)
{
    struct toml_value *v = xcalloc(1, sizeof *v);
    v->type = t;
    v->line = line;
    v->col = col;
    v->depth = depth;
    return v;
}

static void value_free(struct toml_value *v)
{
    if (v == NULL)
        return;
    switch (v->type) {
    case TOML_TABLE:
        for (size_t i = 0; i < v->u.tbl.len; i++) {
            free(v->u.tbl.kv[i].key);
            value_free(v->u.tbl.kv[i].val);
        }
        free(v->u.tbl.kv);
        free(v->u.tbl.index);
        break;
    case TOML_ARRAY:
        for (size_t i = 0; i < v->u.arr.len; i++)
            value_free(v->u.arr.items[i]);
        free(v->u.arr.items);
        break;
    case TOML_STRING:
        free(v->u.str.s);
        break;
    default:
        break;
    }
    free(v);
}

/* FNV-1a: short, good enough for keys, and needs no seed handling. */
static uint32_t key_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static struct toml_kv *table_find_kv(const struct toml_value *t, const char *key, size_t klen)
{
    if (t->u.tbl.index) {
        size_t mask = t->u.tbl.index_cap - 1;
        for (size_t s = key_hash(key, klen) & mask;; s = (s + 1) & mask) {
            uint32_t e = t->u.tbl.index[s];
            if (e == 0)
                return NULL;
            struct toml_kv *kv = &t->u.tbl.kv[e - 1];
            if (kv->klen == klen && memcmp(kv->key, key, klen) == 0)
                return kv;
        }
    }
    for (size_t i = 0; i < t->u.tbl.len; i++) {
        struct toml_kv *kv = &t->u.tbl.kv[i];
        if (kv->klen == klen && memcmp(kv->key, key, klen) == 0)
            return kv;
    }
    return NULL;
}

static struct toml_value *table_find(const struct toml_value *t, const char *key, size_t klen)
{
    struct toml_kv *kv = table_find_kv(t, key, klen);
    return kv ? kv->val : NULL;
}

static void index_put(struct toml_value *t, size_t entry)
{
    size_t mask = t->u.tbl.index_cap - 1;
    const struct toml_kv *kv = &t->u.tbl.kv[entry];
    size_t s = key_hash(kv->key, kv->klen) & mask;
    while (t->u.tbl.index[s] != 0)
        s = (s + 1) & mask;
    t->u.tbl.index[s] = (uint32_t)(entry + 1);
}

/* Adds a key the caller has checked is new; takes ownership of key and val. */
static void table_add(struct toml_value *t, char *key, size_t klen, int line,
                      struct toml_value *val)
{
    if (t->u.tbl.len == t->u.tbl.cap) {
        t->u.tbl.cap = t->u.tbl.cap ? t->u.tbl.cap * 2 : 4;
        t->u.tbl.kv = xreallocarray(t->u.tbl.kv, t->u.tbl.cap, sizeof *t->u.tbl.kv);
    }
    t->u.tbl.kv[t->u.tbl.len++] = (struct toml_kv){key, klen, line, val};
    size_t len = t->u.tbl.len;
    if (len < TABLE_INDEX_MIN)
        return;
    if (t->u.tbl.index_cap < 2 * len) {
        size_t cap = 64;
        while (cap < 4 * len)
            cap *= 2;
        free(t->u.tbl.index);
        t->u.tbl.index = xcalloc(cap, sizeof *t->u.tbl.index);
        t->u.tbl.index_cap = cap;
        for (size_t i = 0; i < len; i++)
            index_put(t, i);
    } else {
        index_put(t, len - 1);
    }
}

static void array_push(struct toml_value *a, struct toml_value *v)
{
    if (a->u.arr.len == a->u.arr.cap) {
        a->u.arr.cap = a->u.arr.cap ? a->u.arr.cap * 2 : 4;
        a->u.arr.items = xreallocarray(a->u.arr.items, a->u.arr.cap, sizeof *a->u.arr.items);
    }
    a->u.arr.items[a->u.arr.len++] = v;
}

/* Makes a container one level below parent_depth, refusing to nest deeper than the limit. */
static struct toml_value *container_new(struct parser *p, enum toml_type t, size_t pos, int line,
                                        int col, int parent_depth)
{
    if (parent_depth + 1 > TOML_MAX_DEPTH) {
        fail_at(p, pos, "nesting is deeper than %d levels", TOML_MAX_DEPTH);
        return NULL;
    }
    return value_new(t, line, col, parent_depth + 1);
}

/* "an integer", "a static array", ... for messages about what a key already holds. */
static const char *a_type(const struct toml_value *v)
{
    switch (v->type) {
    case TOML_TABLE:
        return v->u.tbl.origin == TBL_INLINE ? "an inline table" : "a table";
    case TOML_ARRAY:
        return v->u.arr.of_tables ? "an array of tables" : "a static array";
    case TOML_STRING:
        return "a string";
    case TOML_INTEGER:
        return "an integer";
    case TOML_FLOAT:
        return "a float";
    case TOML_BOOL:
        return "a boolean";
    case TOML_DATETIME:
        return "an offset date-time";
    case TOML_DATETIME_LOCAL:
        return "a local date-time";
    case TOML_DATE_LOCAL:
        return "a local date";
    case TOML_TIME_LOCAL:
        return "a local time";
    }
    return "a value";
}

static void keypath_free(struct keypath *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->part[i].s);
    free(k->part);
    k->part = NULL;
    k->n = k->cap = 0;
}

/* ---- comments and line ends -------------------------------------------------------------- */

static int skip_comment(struct parser *p)
{
    p->pos++; /* '#' */
    for (;;) {
        int c = peek(p);
        if (c < 0 || c == '\n')
            return 0;
        if (c == '\r') {
            if (peek_at(p, 1) == '\n')
                return 0;
            return fail_at(p, p->pos, "carriage return without a newline in comment");
        }
        if (is_control(c))
            return fail_at(p, p->pos, "control character U+%04X is not allowed in a comment", c);
        p->pos++;
    }
}

/* Skips whitespace, comments and newlines, as allowed between array elements. */
static int skip_trivia(struct parser *p)
{
    for (;;) {
        skip_ws(p);
        if (peek(p) == '#') {
            if (skip_comment(p))
                return -1;
            continue;
        }
        size_t nl = newline_len(p);
        if (nl == 0)
            return 0;
        p->pos += nl;
    }
}

/* After a key/value or a header only a comment may follow on the same line. */
static int end_of_line(struct parser *p, const char *after)
{
    skip_ws(p);
    if (peek(p) == '#' && skip_comment(p))
        return -1;
    if (peek(p) < 0)
        return 0;
    size_t nl = newline_len(p);
    if (nl) {
        p->pos += nl;
        return 0;
    }
    char d[DESCRIBE_MAX];
    return fail_at(p, p->pos, "expected a newline after %s, found %s", after,
                   describe_at(p, p->pos, d, sizeof d));
}

/* ---- strings ----------------------------------------------------------------------------- */

/* \uXXXX or \UXXXXXXXX at p->pos (the backslash); must name a Unicode scalar value. */
static int parse_unicode_escape(struct parser *p, struct sbuf *b)
{
    size_t at = p->pos;
    char kind = p->buf[at + 1];
    size_t ndig = kind == 'u' ? 4 : 8;
    uint32_t cp = 0;
    for (size_t i = 0; i < ndig; i++) {
        int d = peek_at(p, 2 + i);
        if (digit_value(d) < 0)
            return fail_at(p, at, "invalid escape: \\%c needs %zu hex digits", kind, ndig);
        cp = cp << 4 | (uint32_t)digit_value(d);
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return fail_at(p, at, "invalid escape \\%c%.*s: not a Unicode scalar value", kind,
                       (int)ndig, p->buf + at + 2);
    utf8_put(b, cp);
    p->pos += 2 + ndig;
    return 0;
}

/* An escape in a basic string, p->pos at the backslash. */
static int parse_escape(struct parser *p, bool multi, struct sbuf *b)
{
    size_t at = p->pos;
    int e = peek_at(p, 1);
    if (multi && (e == ' ' || e == '\t' || e == '\n' || e == '\r')) {
        /* A line-ending backslash: only whitespace may stand between it and the newline. */
        p->pos++;
        skip_ws(p);
        if (newline_len(p) == 0)
            return fail_at(p, at, "a backslash followed by whitespace must end the line");
        for (;;) {
            skip_ws(p);
            size_t nl = newline_len(p);
            if (nl == 0)
                return 0;
            p->pos += nl;
        }
    }
    static const char from[] = "btnfr\"\\";
    static const char to[] = "\b\t\n\f\r\"\\";
    for (size_t i = 0; i < sizeof from - 1; i++) {
        if (e == from[i]) {
            sbuf_addc(b, to[i]);
            p->pos += 2;
            return 0;
        }
    }
    if (e == 'u' || e == 'U')
        return parse_unicode_escape(p, b);
    if (e < 0)
        return fail_at(p, at, "unterminated string: input ends after a backslash");
    if (e > 0x20 && e < 0x7f)
        return fail_at(p, at, "invalid escape \\%c", e);
    char d[DESCRIBE_MAX];
    return fail_at(p, at, "invalid escape: backslash followed by %s",
                   describe_at(p, at + 1, d, sizeof d));
}

/*
 * Any of the four string forms, p->pos at the opening quote. The result is
 * a fresh NUL-terminated buffer with its length (it may contain NUL from
 * \u0000). Keys may only use the single-line forms.
 */
static int parse_string(struct parser *p, bool is_key, char **out, size_t *outlen)
{
    size_t open = p->pos;
    int q = peek(p);
    bool basic = q == '"';
    bool multi = peek_at(p, 1) == q && peek_at(p, 2) == q;
    const char *kind = basic ? (multi ? "multi-line basic string" : "basic string")
                             : (multi ? "multi-line literal string" : "literal string");
    struct sbuf b = {0};

    if (multi && is_key)
        return fail_at(p, open, "a key cannot be a multi-line string");
    p->pos += multi ? 3 : 1;
    if (multi)
        p->pos += newline_len(p); /* a newline right after the opening quotes is dropped */
    for (;;) {
        int c = peek(p);
        if (c < 0) {
            fail_at(p, open, "unterminated %s", kind);
            goto fail;
        }
        if (c == q) {
            if (!multi) {
                p->pos++;
                break;
            }
            /* One or two quotes are content; three close; up to two more may precede those. */
            size_t run = 0;
            while (peek_at(p, run) == q)
                run++;
            if (run < 3) {
                sbuf_add(&b, p->buf + p->pos, run);
                p->pos += run;
                continue;
            }
            if (run > 5) {
                fail_at(p, p->pos + 5, "too many quotes at the end of a %s", kind);
                goto fail;
            }
            sbuf_add(&b, p->buf + p->pos, run - 3);
            p->pos += run;
            break;
        }
        if (c == '\\' && basic) {
            if (parse_escape(p, multi, &b))
                goto fail;
            continue;
        }
        size_t nl = newline_len(p);
        if (nl) {
            if (!multi) {
                fail_at(p, p->pos, "newline in a %s (use a multi-line string)", kind);
                goto fail;
            }
            /* CRLF becomes LF so that values do not depend on the file's line ends. */
            sbuf_addc(&b, '\n');
            p->pos += nl;
            continue;
        }
        if (c == '\r') {
            fail_at(p, p->pos, "carriage return without a newline in a %s", kind);
            goto fail;
        }
        if (is_control(c)) {
            fail_at(p, p->pos, "control character U+%04X is not allowed in a %s%s", c, kind,
                    basic ? " (escape it)" : "");
            goto fail;
        }
        sbuf_addc(&b, (char)c);
        p->pos++;
    }
    *out = sbuf_take(&b, outlen);
    return 0;
fail:
    free(b.d);
    return -1;
}

/* ---- keys -------------------------------------------------------------------------------- */

/* A key, possibly dotted, with whitespace allowed around the dots; p->pos at its start. */
static int parse_key(struct parser *p, struct keypath *k)
{
    for (;;) {
        skip_ws(p);
        size_t at = p->pos;
        int c = peek(p);
        char *s;
        size_t n;
        if (c == '"' || c == '\'') {
            if (parse_string(p, true, &s, &n))
                return -1;
        } else if (is_bare_key_char(c)) {
            size_t e = at;
            while (e < p->len && is_bare_key_char((unsigned char)p->buf[e]))
                e++;
            n = e - at;
            s = xmemdup0(p->buf + at, n);
            p->pos = e;
        } else {
            char d[DESCRIBE_MAX];
            return fail_at(p, at, "expected a key, found %s", describe_at(p, at, d, sizeof d));
        }
        if (k->n == TOML_MAX_DEPTH) {
            free(s);
            return fail_at(p, at, "key has more than %d parts", TOML_MAX_DEPTH);
        }
        if (k->n == k->cap) {
            k->cap = k->cap ? k->cap * 2 : 4;
            k->part = xreallocarray(k->part, k->cap, sizeof *k->part);
        }
        struct keypart *kp = &k->part[k->n++];
        kp->s = s;
        kp->len = n;
        kp->pos = at;
        locate(p, at, &kp->line, &kp->col);
        skip_ws(p);
        if (peek(p) != '.')
            return 0;
        p->pos++;
    }
}

/* ---- scalars ----------------------------------------------------------------------------- */

/*
 * Reads digits of the given base from tok[*i], where '_' may only stand
 * between two digits. Stores the number of digits read in *count.
 */
static int scan_digits(struct parser *p, size_t at, const char *tok, size_t n, size_t *i, int base,
                       size_t *count)
{
    bool prev_digit = false;
    *count = 0;
    while (*i < n) {
        int c = (unsigned char)tok[*i];
        if (c == '_') {
            int next = *i + 1 < n ? digit_value((unsigned char)tok[*i + 1]) : -1;
            if (!prev_digit || next < 0 || next >= base)
                return fail_at(p, at + *i, "'_' in a number must stand between two digits");
            prev_digit = false;
            (*i)++;
            continue;
        }
        int d = digit_value(c);
        if (d < 0 || d >= base)
            break;
        prev_digit = true;
        (*count)++;
        (*i)++;
    }
    return 0;
}

/* Accumulates the digits of tok[from, n) (underscores already checked) into an int64. */
static int accumulate(struct parser *p, size_t at, const char *tok, size_t from, size_t n, int base,
                      bool neg, int64_t *out)
{
    /* The magnitude of INT64_MIN is one more than INT64_MAX. */
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t mag = 0;
    for (size_t i = from; i < n; i++) {
        if (tok[i] == '_')
            continue;
        uint64_t d = (uint64_t)digit_value((unsigned char)tok[i]);
        if (mag > (limit - d) / (uint64_t)base)
            return fail_at(p, at, "integer %.*s does not fit in 64 bits", (int)n, tok);
        mag = mag * (uint64_t)base + d;
    }
    if (neg)
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    else
        *out = (int64_t)mag;
    return 0;
}

/* An integer or float written as tok (n bytes) at offset at. */
static int parse_number(struct parser *p, size_t at, const char *tok, size_t n,
                        struct toml_value *v)
{
    size_t i = 0;
    bool sign = false, neg = false;
    if (tok[0] == '+' || tok[0] == '-') {
        sign = true;
        neg = tok[0] == '-';
        i = 1;
    }
    size_t rest = n - i;
    if (rest == 3 && (memcmp(tok + i, "inf", 3) == 0 || memcmp(tok + i, "nan", 3) == 0)) {
        v->type = TOML_FLOAT;
        if (tok[i] == 'i')
            v->u.f = neg ? -HUGE_VAL : HUGE_VAL;
        else
            v->u.f = neg ? -NAN : NAN;
        return 0;
    }
    if (rest == 0)
        return fail_at(p, at, "expected digits after the sign");
    if (!is_digit((unsigned char)tok[i])) {
        if (digit_value((unsigned char)tok[0]) < 0 && tok[0] != '.' && tok[0] != '_' &&
            tok[0] != '+' && tok[0] != '-')
            return fail_at(p, at, "invalid value %.*s (strings must be quoted)", (int)n, tok);
        return fail_at(p, at, "invalid number %.*s", (int)n, tok);
    }

    if (rest >= 2 && tok[i] == '0' &&
        (tok[i + 1] == 'x' || tok[i + 1] == 'o' || tok[i + 1] == 'b')) {
        int base = tok[i + 1] == 'x' ? 16 : tok[i + 1] == 'o' ? 8 : 2;
        const char *name = base == 16 ? "hexadecimal" : base == 8 ? "octal" : "binary";
        if (sign)
            return fail_at(p, at, "%s %s integer cannot have a sign", base == 8 ? "an" : "a", name);
        i += 2;
        size_t from = i, count;
        if (scan_digits(p, at, tok, n, &i, base, &count))
            return -1;
        if (count == 0)
            return fail_at(p, at + i, "expected %s digits after 0%c", name, tok[from - 1]);
        if (i != n) {
            char d[DESCRIBE_MAX];
            return fail_at(p, at + i, "invalid %s digit %s", name,
                           describe_at(p, at + i, d, sizeof d));
        }
        v->type = TOML_INTEGER;
        return accumulate(p, at, tok, from, n, base, false, &v->u.i);
    }

    size_t int_from = i, count;
    if (scan_digits(p, at, tok, n, &i, 10, &count))
        return -1;
    if (tok[int_from] == '0' && count > 1)
        return fail_at(p, at, "leading zeros are not allowed in %.*s", (int)n, tok);
    bool is_float = false;
    if (i < n && tok[i] == '.') {
        is_float = true;
        i++;
        if (scan_digits(p, at, tok, n, &i, 10, &count))
            return -1;
        if (count == 0)
            return fail_at(p, at + i, "expected digits after the decimal point");
    }
    if (i < n && (tok[i] == 'e' || tok[i] == 'E')) {
        is_float = true;
        i++;
        if (i < n && (tok[i] == '+' || tok[i] == '-'))
            i++;
        if (scan_digits(p, at, tok, n, &i, 10, &count))
            return -1;
        if (count == 0)
            return fail_at(p, at + i, "expected digits in the exponent");
    }
    if (i != n) {
        char d[DESCRIBE_MAX];
        return fail_at(p, at + i, "unexpected %s in number %.*s",
                       describe_at(p, at + i, d, sizeof d), (int)n, tok);
    }
    if (!is_float) {
        v->type = TOML_INTEGER;
        return accumulate(p, at, tok, int_from, n, 10, neg, &v->u.i);
    }

    /*
     * The grammar is checked above, so strtod only sees [sign]digits[.digits][e[sign]digits]
     * and cannot wander into hex floats or "infinity". strtod follows LC_NUMERIC; incidentd
     * never calls setlocale, so the decimal point is '.'.
     */
    char *clean = xmalloc(n + 1);
    size_t m = 0;
    for (size_t j = 0; j < n; j++)
        if (tok[j] != '_')
            clean[m++] = tok[j];
    clean[m] = '\0';
    char *end;
    errno = 0;
    double d = strtod(clean, &end);
    bool whole = end == clean + m;
    bool overflow = errno == ERANGE && isinf(d);
    free(clean);
    if (!whole)
        return fail_at(p, at, "invalid float %.*s", (int)n, tok);
    if (overflow)
        return fail_at(p, at, "float %.*s is out of range", (int)n, tok);
    v->type = TOML_FLOAT;
    v->u.f = d;
    return 0;
}

static bool digits_at(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit((unsigned char)s[i]))
            return false;
    return true;
}

static int two_digits(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
        return 29;
    return days[month - 1];
}

/* YYYY-MM-DD at the start of s (n bytes)? Used to decide whether a space joins a time. */
static bool looks_like_date(const char *s, size_t n)
{
    return n >= 10 && digits_at(s, 4) && s[4] == '-' && digits_at(s + 5, 2) && s[7] == '-' &&
           digits_at(s + 8, 2);
}

/* One of the four date/time kinds, written as tok (n bytes) at offset at. */
static int parse_datetime(struct parser *p, size_t at, const char *tok, size_t n,
                          struct toml_value *v)
{
    struct toml_datetime *dt = &v->u.dt;
    size_t i = 0;
    size_t lead = 0;
    while (lead < n && is_digit((unsigned char)tok[lead]))
        lead++;
    bool has_date = lead < n && tok[lead] == '-';
    char d[DESCRIBE_MAX];

    if (has_date) {
        if (!looks_like_date(tok, n))
            return fail_at(p, at, "invalid date %.*s: expected YYYY-MM-DD", (int)n, tok);
        dt->year = two_digits(tok) * 100 + two_digits(tok + 2);
        dt->month = two_digits(tok + 5);
        dt->day = two_digits(tok + 8);
        if (dt->month < 1 || dt->month > 12)
            return fail_at(p, at + 5, "month %02d is out of range", dt->month);
        if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->month))
            return fail_at(p, at + 8, "day %02d is out of range for %04d-%02d", dt->day, dt->year,
                           dt->month);
        i = 10;
        if (i == n) {
            v->type = TOML_DATE_LOCAL;
            return 0;
        }
        if (tok[i] != 'T' && tok[i] != 't' && tok[i] != ' ')
            return fail_at(p, at + i, "expected 'T' or a space between date and time, found %s",
                           describe_at(p, at + i, d, sizeof d));
        i++;
    }
    if (i == n)
        return fail_at(p, at + i, "expected a time after '%c'", tok[i - 1]);
    if (n - i < 8 || !digits_at(tok + i, 2) || tok[i + 2] != ':' || !digits_at(tok + i + 3, 2) ||
        tok[i + 5] != ':' || !digits_at(tok + i + 6, 2))
        return fail_at(p, at + i, "invalid time %.*s: expected HH:MM:SS", (int)(n - i), tok + i);
    dt->hour = two_digits(tok + i);
    dt->minute = two_digits(tok + i + 3);
    dt->second = two_digits(tok + i + 6);
    if (dt->hour > 23)
        return fail_at(p, at + i, "hour %02d is out of range", dt->hour);
    if (dt->minute > 59)
        return fail_at(p, at + i + 3, "minute %02d is out of range", dt->minute);
    /* 60 is a leap second, which RFC 3339 (and so TOML) allows. */
    if (dt->second > 60)
        return fail_at(p, at + i + 6, "second %02d is out of range", dt->second);
    i += 8;
    if (i < n && tok[i] == '.') {
        size_t from = ++i;
        long ns = 0;
        /* Keep nanoseconds; digits beyond them are dropped, as the spec allows. */
        for (; i < n && is_digit((unsigned char)tok[i]); i++)
            if (i - from < 9)
                ns = ns * 10 + (tok[i] - '0');
        if (i == from)
            return fail_at(p, at + i, "expected digits after '.' in the time");
        for (size_t k = i - from; k < 9; k++)
            ns *= 10;
        dt->nanosecond = (int)ns;
    }
    if (!has_date) {
        v->type = TOML_TIME_LOCAL;
    } else if (i == n) {
        v->type = TOML_DATETIME_LOCAL;
    } else if (tok[i] == 'Z' || tok[i] == 'z') {
        v->type = TOML_DATETIME;
        dt->offset_minutes = 0;
        i++;
    } else if (tok[i] == '+' || tok[i] == '-') {
        if (n - i < 6 || !digits_at(tok + i + 1, 2) || tok[i + 3] != ':' ||
            !digits_at(tok + i + 4, 2))
            return fail_at(p, at + i, "invalid UTC offset %.*s: expected +HH:MM or -HH:MM",
                           (int)(n - i), tok + i);
        int oh = two_digits(tok + i + 1), om = two_digits(tok + i + 4);
        if (oh > 23 || om > 59)
            return fail_at(p, at + i, "UTC offset %.6s is out of range", tok + i);
        dt->offset_minutes = (tok[i] == '-' ? -1 : 1) * (oh * 60 + om);
        v->type = TOML_DATETIME;
        i += 6;
    }
    if (i != n)
        return fail_at(p, at + i, "unexpected %s after the %s", describe_at(p, at + i, d, sizeof d),
                       has_date ? "date-time" : "time");
    return 0;
}

/* Everything that is not quoted or bracketed: booleans, numbers, dates and times. */
static int parse_bare_value(struct parser *p, struct toml_value *v)
{
    size_t at = p->pos, e = at;
    while (e < p->len && is_token_char((unsigned char)p->buf[e]))
        e++;
    /* "1979-05-27 07:32:00": a space may separate date and time, so the token goes on. */
    if (e - at == 10 && looks_like_date(p->buf + at, 10) && p->len - e > 3 && p->buf[e] == ' ' &&
        is_digit((unsigned char)p->buf[e + 1]) && is_digit((unsigned char)p->buf[e + 2]) &&
        p->buf[e + 3] == ':') {
        e++;
        while (e < p->len && is_token_char((unsigned char)p->buf[e]))
            e++;
    }
    if (e == at) {
        char d[DESCRIBE_MAX];
        return fail_at(p, at, "expected a value, found %s", describe_at(p, at, d, sizeof d));
    }
    const char *tok = p->buf + at;
    size_t n = e - at;
    p->pos = e;
    if (n == 4 && memcmp(tok, "true", 4) == 0) {
        v->type = TOML_BOOL;
        v->u.b = true;
        return 0;
    }
    if (n == 5 && memcmp(tok, "false", 5) == 0) {
        v->type = TOML_BOOL;
        v->u.b = false;
        return 0;
    }
    /* Digits then '-' or ':' cannot start a number (a '-' there only follows an 'e'). */
    size_t lead = 0;
    while (lead < n && is_digit((unsigned char)tok[lead]))
        lead++;
    if (lead > 0 && lead < n && (tok[lead] == '-' || tok[lead] == ':'))
        return parse_datetime(p, at, tok, n, v);
    return parse_number(p, at, tok, n, v);
}

/* ---- values, arrays, inline tables ------------------------------------------------------- */

static int parse_value(struct parser *p, int parent_depth, struct toml_value **out);
static int parse_keyval(struct parser *p, struct toml_value *base);

static int parse_array(struct parser *p, int parent_depth, struct toml_value **out)
{
    size_t open = p->pos;
    int line, col;
    locate(p, open, &line, &col);
    struct toml_value *a = container_new(p, TOML_ARRAY, open, line, col, parent_depth);
    if (a == NULL)
        return -1;
    p->pos++;
    for (;;) {
        if (skip_trivia(p))
            goto fail;
        if (peek(p) == ']')
            break;
        if (peek(p) < 0) {
            fail_at(p, open, "unterminated array");
            goto fail;
        }
        struct toml_value *item;
        if (parse_value(p, a->depth, &item))
            goto fail;
        array_push(a, item);
        if (skip_trivia(p))
            goto fail;
        int c = peek(p);
        if (c == ',') {
            p->pos++;
            continue;
        }
        if (c == ']')
            break;
        if (c < 0) {
            fail_at(p, open, "unterminated array");
            goto fail;
        }
        char d[DESCRIBE_MAX];
        fail_at(p, p->pos, "expected ',' or ']' in array, found %s",
                describe_at(p, p->pos, d, sizeof d));
        goto fail;
    }
    p->pos++; /* ']' */
    *out = a;
    return 0;
fail:
    value_free(a);
    return -1;
}

/* { k = v, ... } on one line, no trailing comma; closed for good afterwards. */
static int parse_inline_table(struct parser *p, int parent_depth, struct toml_value **out)
{
    size_t open = p->pos;
    int line, col;
    char d[DESCRIBE_MAX];
    locate(p, open, &line, &col);
    struct toml_value *t = container_new(p, TOML_TABLE, open, line, col, parent_depth);
    if (t == NULL)
        return -1;
    t->u.tbl.origin = TBL_INLINE;
    p->pos++;
    skip_ws(p);
    if (peek(p) != '}') {
        for (;;) {
            skip_ws(p);
            if (newline_len(p) || peek(p) == '\r') {
                fail_at(p, p->pos, "newlines are not allowed in an inline table");
                goto fail;
            }
            if (peek(p) == '}') {
                fail_at(p, p->pos, "a trailing comma is not allowed in an inline table");
                goto fail;
            }
            if (parse_keyval(p, t))
                goto fail;
            skip_ws(p);
            int c = peek(p);
            if (c == ',') {
                p->pos++;
                continue;
            }
            if (c == '}')
                break;
            if (c < 0) {
                fail_at(p, open, "unterminated inline table");
                goto fail;
            }
            if (newline_len(p) || c == '\r') {
                fail_at(p, p->pos, "newlines are not allowed in an inline table");
                goto fail;
            }
            fail_at(p, p->pos, "expected ',' or '}' in inline table, found %s",
                    describe_at(p, p->pos, d, sizeof d));
            goto fail;
        }
    }
    p->pos++; /* '}' */
    *out = t;
    return 0;
fail:
    value_free(t);
    return -1;
}

static int parse_value(struct parser *p, int parent_depth, struct toml_value **out)
{
    size_t at = p->pos;
    int c = peek(p);
    if (c == '[')
        return parse_array(p, parent_depth, out);
    if (c == '{')
        return parse_inline_table(p, parent_depth, out);

    int line, col;
    locate(p, at, &line, &col);
    /* A scalar owns no memory until it is known to be a string, so freeing it on error is safe. */
    struct toml_value *v = value_new(TOML_BOOL, line, col, parent_depth + 1);
    if (c == '"' || c == '\'') {
        char *s;
        size_t n;
        if (parse_string(p, false, &s, &n))
            goto fail;
        v->type = TOML_STRING;
        v->u.str.s = s;
        v->u.str.len = n;
    } else if (parse_bare_value(p, v)) {
        goto fail;
    }
    *out = v;
    return 0;
fail:
    v->type = TOML_BOOL;
    value_free(v);
    return -1;
}

/*
 * Steps from table t into the sub-table named by a dotted-key part, creating
 * it if needed. Dotted keys may add to tables they created themselves and to
 * tables only implied by a header, never to [header] tables or inline ones.
 */
static struct toml_value *dotted_descend(struct parser *p, struct toml_value *t, struct keypart *kp)
{
    char name[ERR_KEY_MAX + 16];
    struct toml_value *v = table_find(t, kp->s, kp->len);
    if (v == NULL) {
        v = container_new(p, TOML_TABLE, kp->pos, kp->line, kp->col, t->depth);
        if (v == NULL)
            return NULL;
        v->u.tbl.origin = TBL_DOTTED;
        table_add(t, xmemdup0(kp->s, kp->len), kp->len, kp->line, v);
        return v;
    }
    show_key(name, sizeof name, kp->s, kp->len);
    if (v->type != TOML_TABLE) {
        fail_at(p, kp->pos, "key \"%s\" is already %s, not a table", name, a_type(v));
        return NULL;
    }
    switch (v->u.tbl.origin) {
    case TBL_INLINE:
        fail_at(p, kp->pos, "cannot add keys to inline table \"%s\"", name);
        return NULL;
    case TBL_HEADER:
        fail_at(p, kp->pos, "cannot add keys to table \"%s\" with dotted keys: it has a [header]",
                name);
        return NULL;
    case TBL_IMPLICIT:
        /* Now defined by dotted keys: a [header] for it later would define it twice. */
        v->u.tbl.origin = TBL_DOTTED;
        return v;
    case TBL_DOTTED:
        return v;
    }
    return v;
}

/* key = value into table base (the current section, or an inline table being read). */
static int parse_keyval(struct parser *p, struct toml_value *base)
{
    struct keypath k = {0};
    struct toml_value *t = base, *v;
    char d[DESCRIBE_MAX], name[ERR_KEY_MAX + 16];
    int rc = -1;

    if (parse_key(p, &k))
        goto out;
    if (peek(p) != '=') {
        fail_at(p, p->pos, "expected '=' after key, found %s", describe_at(p, p->pos, d, sizeof d));
        goto out;
    }
    p->pos++;
    skip_ws(p);
    for (size_t i = 0; i + 1 < k.n; i++) {
        t = dotted_descend(p, t, &k.part[i]);
        if (t == NULL)
            goto out;
    }
    struct keypart *last = &k.part[k.n - 1];
    if (table_find(t, last->s, last->len)) {
        show_key(name, sizeof name, last->s, last->len);
        fail_at(p, last->pos, "duplicate key \"%s\"", name);
        goto out;
    }
    if (newline_len(p) || peek(p) < 0 || peek(p) == '#') {
        fail_at(p, p->pos, "expected a value after '='");
        goto out;
    }
    if (parse_value(p, t->depth, &v))
        goto out;
    table_add(t, xmemdup0(last->s, last->len), last->len, last->line, v);
    rc = 0;
out:
    keypath_free(&k);
    return rc;
}

/* ---- headers ----------------------------------------------------------------------------- */

/* [a.b.c] or [[a.b.c]]; p->pos at the first '['. */
static int parse_header(struct parser *p)
{
    size_t open = p->pos;
    bool aot = peek_at(p, 1) == '[';
    struct keypath k = {0};
    struct toml_value *t = p->root, *v;
    char d[DESCRIBE_MAX], path[2 * ERR_KEY_MAX + 32];
    int line, col, rc = -1;

    locate(p, open, &line, &col);
    p->pos += aot ? 2 : 1;
    if (parse_key(p, &k))
        goto out;
    if (peek(p) != ']' || (aot && peek_at(p, 1) != ']')) {
        size_t at = peek(p) == ']' ? p->pos + 1 : p->pos;
        fail_at(p, at, "expected '%s' to close the header, found %s", aot ? "]]" : "]",
                describe_at(p, at, d, sizeof d));
        goto out;
    }
    p->pos += aot ? 2 : 1;

    /* Walk to the parent, creating tables as needed and entering the last [[array]] element. */
    for (size_t i = 0; i + 1 < k.n; i++) {
        struct keypart *kp = &k.part[i];
        v = table_find(t, kp->s, kp->len);
        if (v == NULL) {
            v = container_new(p, TOML_TABLE, kp->pos, kp->line, kp->col, t->depth);
            if (v == NULL)
                goto out;
            v->u.tbl.origin = TBL_IMPLICIT;
            table_add(t, xmemdup0(kp->s, kp->len), kp->len, kp->line, v);
        } else if (v->type == TOML_TABLE && v->u.tbl.origin == TBL_INLINE) {
            show_path(path, sizeof path, &k, i + 1);
            fail_at(p, kp->pos, "cannot extend inline table \"%s\"", path);
            goto out;
        } else if (v->type == TOML_ARRAY && v->u.arr.of_tables) {
            v = v->u.arr.items[v->u.arr.len - 1];
        } else if (v->type != TOML_TABLE) {
            show_path(path, sizeof path, &k, i + 1);
            fail_at(p, kp->pos, "key \"%s\" is already %s, not a table", path, a_type(v));
            goto out;
        }
        t = v;
    }

    struct keypart *last = &k.part[k.n - 1];
    show_path(path, sizeof path, &k, k.n);
    v = table_find(t, last->s, last->len);
    if (!aot) {
        if (v == NULL) {
            v = container_new(p, TOML_TABLE, open, line, col, t->depth);
            if (v == NULL)
                goto out;
            v->u.tbl.origin = TBL_HEADER;
            table_add(t, xmemdup0(last->s, last->len), last->len, last->line, v);
        } else if (v->type == TOML_TABLE && v->u.tbl.origin == TBL_IMPLICIT) {
            v->u.tbl.origin = TBL_HEADER;
            v->line = line;
            v->col = col;
        } else if (v->type == TOML_TABLE) {
            const char *why = v->u.tbl.origin == TBL_HEADER ? "it is defined more than once"
                              : v->u.tbl.origin == TBL_DOTTED
                                  ? "it was already defined with dotted keys"
                                  : "it is an inline table";
            fail_at(p, open, "cannot define table [%s]: %s", path, why);
            goto out;
        } else if (v->type == TOML_ARRAY && v->u.arr.of_tables) {
            fail_at(p, open, "cannot define table [%s]: it is an array of tables ([[%s]])", path,
                    path);
            goto out;
        } else {
            fail_at(p, open, "cannot define table [%s]: the key is already %s", path, a_type(v));
            goto out;
        }
    } else {
        if (v == NULL) {
            v = container_new(p, TOML_ARRAY, open, line, col, t->depth);
            if (v == NULL)
                goto out;
            v->u.arr.of_tables = true;
            table_add(t, xmemdup0(last->s, last->len), last->len, last->line, v);
        } else if (v->type != TOML_ARRAY || !v->u.arr.of_tables) {
            fail_at(p, open, "cannot append to [[%s]]: the key is already %s", path, a_type(v));
            goto out;
        }
        struct toml_value *elem = container_new(p, TOML_TABLE, open, line, col, v->depth);
        if (elem == NULL)
            goto out;
        elem->u.tbl.origin = TBL_HEADER;
        array_push(v, elem);
        v = elem;
    }
    p->cur = v;
    rc = 0;
out:
    keypath_free(&k);
    return rc;
}

/* ---- document ---------------------------------------------------------------------------- */

static int parse_document(struct parser *p)
{
    for (;;) {
        skip_ws(p);
        int c = peek(p);
        if (c < 0)
            return 0;
        const char *after = "the comment";
        if (c == '[') {
            if (parse_header(p))
                return -1;
            after = "the table header";
        } else if (c != '#' && newline_len(p) == 0) {
            if (parse_keyval(p, p->cur))
                return -1;
            after = "the value";
        }
        if (end_of_line(p, after))
            return -1;
    }
}

enum bot_rc toml_parse(const char *buf, size_t len, struct toml_value **root,
                       struct toml_error *err)
{
    struct toml_error scratch;
    if (err == NULL)
        err = &scratch;
    memset(err, 0, sizeof *err);
    *root = NULL;
    struct parser p = {.buf = buf, .len = len, .err = err, .cache_line = 1};
    if (len > TOML_MAX_INPUT) {
        p.len = 0; /* nothing is read: the error is at 1:1 */
        fail_at(&p, 0, "document is %zu bytes; the limit is %u", len, TOML_MAX_INPUT);
        return BOT_EINVAL;
    }
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        p.start = p.pos = p.cache_pos = p.cache_bol = 3;
    if (check_utf8(&p))
        return BOT_EINVAL;
    p.root = p.cur = value_new(TOML_TABLE, 1, 1, 0);
    p.root->u.tbl.origin = TBL_HEADER;
    if (parse_document(&p)) {
        value_free(p.root);
        return BOT_EINVAL;
    }
    *root = p.root;
    return BOT_OK;
}

void toml_free(struct toml_value *root)
{
    value_free(root);
}

/* ---- accessors --------------------------------------------------------------------------- */

/* Asking a value for the wrong type is a bug in the caller, not bad input: stop loudly. */
static void need_type(const struct toml_value *v, enum toml_type t, const char *fn)
{
    if (v == NULL) {
        fprintf(stderr, "%s: called with NULL\n", fn);
        abort();
    }
    if (v->type != t) {
        fprintf(stderr, "%s: value is a %s, not a %s\n", fn, toml_type_name(v->type),
                toml_type_name(t));
        abort();
    }
}

static void need_index(size_t i, size_t len, const char *fn)
{
    if (i >= len) {
        fprintf(stderr, "%s: index %zu out of range (length %zu)\n", fn, i, len);
        abort();
    }
}

enum toml_type toml_type(const struct toml_value *v)
{
    if (v == NULL) {
        fprintf(stderr, "%s: called with NULL\n", __func__);
        abort();
    }
    return v->type;
}

const char *toml_type_name(enum toml_type t)
{
    switch (t) {
    case TOML_TABLE:
        return "table";
    case TOML_ARRAY:
        return "array";
    case TOML_STRING:
        return "string";
    case TOML_INTEGER:
        return "integer";
    case TOML_FLOAT:
        return "float";
    case TOML_BOOL:
        return "boolean";
    case TOML_DATETIME:
        return "offset date-time";
    case TOML_DATETIME_LOCAL:
        return "local date-time";
    case TOML_DATE_LOCAL:
        return "local date";
    case TOML_TIME_LOCAL:
        return "local time";
    }
    return "unknown";
}

int toml_line(const struct toml_value *v)
{
    (void)toml_type(v);
    return v->line;
}

int toml_col(const struct toml_value *v)
{
    (void)toml_type(v);
    return v->col;
}

size_t toml_table_len(const struct toml_value *table)
{
    need_type(table, TOML_TABLE, __func__);
    return table->u.tbl.len;
}

const char *toml_table_key(const struct toml_value *table, size_t i, size_t *klen)
{
    need_type(table, TOML_TABLE, __func__);
    need_index(i, table->u.tbl.len, __func__);
    if (klen)
        *klen = table->u.tbl.kv[i].klen;
    return table->u.tbl.kv[i].key;
}

int toml_table_key_line(const struct toml_value *table, size_t i)
{
    need_type(table, TOML_TABLE, __func__);
    need_index(i, table->u.tbl.len, __func__);
    return table->u.tbl.kv[i].line;
}

struct toml_value *toml_table_value(const struct toml_value *table, size_t i)
{
    need_type(table, TOML_TABLE, __func__);
    need_index(i, table->u.tbl.len, __func__);
    return table->u.tbl.kv[i].val;
}

struct toml_value *toml_table_get(const struct toml_value *table, const char *key, size_t klen)
{
    need_type(table, TOML_TABLE, __func__);
    return table_find(table, key, klen);
}

size_t toml_array_len(const struct toml_value *array)
{
    need_type(array, TOML_ARRAY, __func__);
    return array->u.arr.len;
}

struct toml_value *toml_array_get(const struct toml_value *array, size_t i)
{
    need_type(array, TOML_ARRAY, __func__);
    need_index(i, array->u.arr.len, __func__);
    return array->u.arr.items[i];
}

const char *toml_string(const struct toml_value *v, size_t *len)
{
    need_type(v, TOML_STRING, __func__);
    if (len)
        *len = v->u.str.len;
    return v->u.str.s;
}

int64_t toml_int(const struct toml_value *v)
{
    need_type(v, TOML_INTEGER, __func__);
    return v->u.i;
}

double toml_float(const struct toml_value *v)
{
    need_type(v, TOML_FLOAT, __func__);
    return v->u.f;
}

bool toml_bool(const struct toml_value *v)
{
    need_type(v, TOML_BOOL, __func__);
    return v->u.b;
}

const struct toml_datetime *toml_datetime(const struct toml_value *v)
{
    enum toml_type t = toml_type(v);
    if (t != TOML_DATETIME && t != TOML_DATETIME_LOCAL && t != TOML_DATE_LOCAL &&
        t != TOML_TIME_LOCAL) {
        fprintf(stderr, "%s: value is a %s, not a date or time\n", __func__, toml_type_name(t));
        abort();
    }
    return &v->u.dt;
}
