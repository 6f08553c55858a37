/*
 * logfmt logging to stderr (see log.h). One line per call, written with a
 * single fwrite under a lock so lines from several threads do not mix;
 * identical lines in a row are collapsed into a count.
 */
#include "log.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"

#define LOG_MAX_LINE 8192 /* longest line written; longer values are cut */
#define LOG_TS_BYTES 28   /* "ts=2026-12-08T03:39:44.150Z " before each line's body */

static enum log_level cur_level = LOG_INFO;
static FILE *out_stream;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

bool log_level_parse(const char *s, enum log_level *out)
{
    for (int i = 0; i <= LOG_ERROR; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    return false;
}

const char *log_level_name(enum log_level lvl)
{
    return (unsigned)lvl <= LOG_ERROR ? level_names[lvl] : "info";
}

void log_set_level(enum log_level lvl)
{
    cur_level = lvl;
}

enum log_level log_get_level(void)
{
    return cur_level;
}


/* Prefixes of secrets we know: Slack bot/user/app/config tokens. */
static const char *const secret_prefixes[] = {"xoxb-", "xoxp-", "xapp-", "xoxa-", "xoxe-",
                                              "xoxs-", "xoxr-"};

static bool is_token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
}

void log_redact(const char *s, char *out, size_t outsz)
{
    size_t o = 0;
    if (outsz == 0)
        return;
    for (size_t i = 0; s[i] != '\0' && o + 1 < outsz;) {
        size_t plen = 0;
        for (size_t k = 0; k < sizeof(secret_prefixes) / sizeof(secret_prefixes[0]); k++) {
            size_t l = strlen(secret_prefixes[k]);
            if (strncmp(s + i, secret_prefixes[k], l) == 0) {
                plen = l;
                break;
            }
        }
        /* "Bearer <anything>" hides whatever follows, e.g. a Statuspage key. */
        if (plen == 0 && strncmp(s + i, "Bearer ", 7) == 0)
            plen = 7;
        if (plen == 0 && strncasecmp(s + i, "OAuth ", 6) == 0)
            plen = 6;
        if (plen) {
            for (size_t k = 0; k < plen && o + 1 < outsz; k++)
                out[o++] = s[i + k];
            for (const char *m = "***"; *m && o + 1 < outsz; m++)
                out[o++] = *m;
            i += plen;
            while (is_token_char(s[i]))
                i++;
            continue;
        }
        out[o++] = s[i++];
    }
    out[o] = '\0';
}

/* Set when the line being built (under out_lock) was cut at LOG_MAX_LINE. */
static bool line_cut;

/*
 * Appends to a log line; a line that reaches LOG_MAX_LINE is cut, never
 * dropped: room for the "...\n" that marks the cut is always kept.
 */
static void lput(struct buf *b, const char *s, size_t n)
{
    size_t room = b->max - 4 - b->len;
    if (n > room) {
        n = room;
        line_cut = true;
    }
    if (n && buf_add(b, s, n) != BOT_OK)
        line_cut = true;
}

static bool needs_quotes(const char *v)
{
    if (*v == '\0')
        return true;
    for (; *v; v++)
        if (*v == ' ' || *v == '"' || *v == '=' || (unsigned char)*v < 0x20)
            return true;
    return false;
}

static void add_value(struct buf *b, const char *v)
{
    static char red[LOG_MAX_LINE];
    /* red is only used under out_lock. */
    log_redact(v, red, sizeof(red));
    if (!needs_quotes(red)) {
        lput(b, red, strlen(red));
        return;
    }
    lput(b, "\"", 1);
    for (const char *p = red; *p; p++) {
        char esc[8] = {0};
        switch (*p) {
        case '"': memcpy(esc, "\\\"", 3); break;
        case '\\': memcpy(esc, "\\\\", 3); break;
        case '\n': memcpy(esc, "\\n", 3); break;
        case '\r': memcpy(esc, "\\r", 3); break;
        case '\t': memcpy(esc, "\\t", 3); break;
        default:
            if ((unsigned char)*p < 0x20)
                snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)*p);
        }
        if (esc[0])
            lput(b, esc, strlen(esc));
        else
            lput(b, p, 1);
    }
    lput(b, "\"", 1);
}

/*
 * Repeated lines. A line identical to the one before (level, message and pairs; not the
 * time) is not written again but counted; the count is written as one line with the
 * message "<message> (repeated N times in S s)" and the same pairs, when another line
 * comes, when LOG_REPEAT_WINDOW_S have passed since the first repeat, or when
 * log_flush_repeats() finds the repeats over. A flood of one error (lws's "accept: errno
 * 24" when descriptors run out) is then a few lines, not millions. Under out_lock.
 */
static struct {
    char *body;       /* the last line written, after "ts=<time> " (through its '\n') */
    char *msg;        /* its message */
    size_t pairs_off; /* where its pairs start in body */
    enum log_level lvl;
    unsigned long repeats;     /* identical lines not written since */
    int64_t first_ms, last_ms; /* when the first and the last of them came */
} last;

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Writes "ts=<now> " and body (a whole line) to the log stream, in one fwrite. */
static void write_line(const char *body, size_t n)
{
    struct buf b;
    char ts[40];
    struct timespec now;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t k = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + k, sizeof(ts) - k, ".%03ldZ ", now.tv_nsec / 1000000);
    buf_init(&b, LOG_MAX_LINE + sizeof(ts)); /* the body is bounded */
    if (buf_addf(&b, "ts=%s", ts) != BOT_OK || buf_add(&b, body, n) != BOT_OK)
        abort(); /* cannot happen: both fit the bound */
    FILE *f = out_stream ? out_stream : stderr;
    fwrite(buf_str(&b), 1, b.len, f);
    fflush(f);
    buf_free(&b);
}

/* Writes the count of repeats of the last line, if any, and starts counting again. */
static void flush_repeats_locked(void)
{
    struct buf b;
    char msg[LOG_MAX_LINE];
    if (last.repeats == 0)
        return;
    int n = snprintf(msg, sizeof(msg), "%s (repeated %lu time%s in %lld s)", last.msg,
                     last.repeats, last.repeats == 1 ? "" : "s",
                     (long long)((last.last_ms - last.first_ms + 500) / 1000));
    if (n < 0)
        msg[0] = '\0'; /* a cut message still says it repeated: the count is near its start */
    buf_init(&b, LOG_MAX_LINE - LOG_TS_BYTES);
    line_cut = false;
    lput(&b, "level=", 6);
    lput(&b, log_level_name(last.lvl), strlen(log_level_name(last.lvl)));
    lput(&b, " msg=", 5);
    add_value(&b, msg);
    const char *pairs = last.body + last.pairs_off;
    size_t plen = strlen(pairs);
    if (plen > 0 && pairs[plen - 1] == '\n')
        plen--;
    if (plen >= 3 && memcmp(pairs + plen - 3, "...", 3) == 0)
        plen -= 3; /* the cut mark of the original is added again if needed */
    lput(&b, pairs, plen);
    if (buf_addstr(&b, line_cut ? "...\n" : "\n") != BOT_OK)
        abort();
    write_line(buf_str(&b), b.len);
    buf_free(&b);
    last.repeats = 0;
}

void log_set_stream(FILE *f)
{
    pthread_mutex_lock(&out_lock);
    flush_repeats_locked(); /* to the old stream; a new stream starts with no last line */
    free(last.body);
    free(last.msg);
    last.body = last.msg = NULL;
    out_stream = f;
    pthread_mutex_unlock(&out_lock);
}

void log_flush_repeats(void)
{
    pthread_mutex_lock(&out_lock);
    int64_t now = mono_ms();
    if (last.repeats > 0 && (now - last.last_ms >= LOG_REPEAT_QUIET_MS ||
                             now - last.first_ms >= (int64_t)LOG_REPEAT_WINDOW_S * 1000))
        flush_repeats_locked();
    pthread_mutex_unlock(&out_lock);
}

static void vlog(enum log_level lvl, const char *msg, va_list ap)
{
    struct buf b;
    size_t pairs_off;
    int64_t now = mono_ms();

    pthread_mutex_lock(&out_lock);
    buf_init(&b, LOG_MAX_LINE - LOG_TS_BYTES);
    line_cut = false;
    lput(&b, "level=", 6);
    lput(&b, log_level_name(lvl), strlen(log_level_name(lvl)));
    lput(&b, " msg=", 5);
    add_value(&b, msg);
    pairs_off = b.len;
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (k == NULL)
            break;
        const char *v = va_arg(ap, const char *);
        lput(&b, " ", 1);
        lput(&b, k, strlen(k));
        lput(&b, "=", 1);
        add_value(&b, v ? v : "");
    }
    /* Cannot fail: lput kept room for it. */
    if (buf_addstr(&b, line_cut ? "...\n" : "\n") != BOT_OK)
        abort();
    if (last.body && strcmp(last.body, buf_str(&b)) == 0) {
        if (last.repeats++ == 0)
            last.first_ms = now;
        last.last_ms = now;
        if (now - last.first_ms >= (int64_t)LOG_REPEAT_WINDOW_S * 1000)
            flush_repeats_locked();
    } else {
        flush_repeats_locked();
        write_line(buf_str(&b), b.len);
        free(last.body);
        free(last.msg);
        last.body = buf_take(&b);
        last.msg = strdup(msg);
        last.pairs_off = pairs_off;
        last.lvl = lvl;
        if (last.body == NULL || last.msg == NULL) { /* no memory: just stop collapsing */
            free(last.body);
            free(last.msg);
            last.body = last.msg = NULL;
        }
    }
    pthread_mutex_unlock(&out_lock);
    buf_free(&b);
}

void log_msg(enum log_level lvl, const char *msg, ...)
{
    if (lvl < cur_level)
        return;
    va_list ap;
    va_start(ap, msg);
    vlog(lvl, msg, ap);
    va_end(ap);
}

void fatal(const char *msg, ...)
{
    va_list ap;
    pthread_mutex_lock(&out_lock);
    flush_repeats_locked();
    pthread_mutex_unlock(&out_lock);
    va_start(ap, msg);
    vlog(LOG_ERROR, msg, ap);
    va_end(ap);
    exit(1);
}

static log_lws_hook_fn *lws_hook;
static void *lws_hook_arg;

void log_set_lws_hook(log_lws_hook_fn *fn, void *arg)
{
    lws_hook = fn;
    lws_hook_arg = arg;
}

static void lws_emit(int level, const char *line)
{
    char tmp[LOG_MAX_LINE];
    size_t n = strlen(line);
    if (n >= sizeof(tmp))
        n = sizeof(tmp) - 1;
    memcpy(tmp, line, n);
    while (n > 0 && (tmp[n - 1] == '\n' || tmp[n - 1] == '\r'))
        n--;
    tmp[n] = '\0';
    if (lws_hook)
        lws_hook(lws_hook_arg, level, tmp);
    enum log_level lvl = (level & LLL_ERR) ? LOG_ERROR : (level & LLL_WARN) ? LOG_WARN
                         : (level & (LLL_NOTICE | LLL_USER)) ? LOG_INFO : LOG_DEBUG;
    log_msg(lvl, tmp, "src", "lws", NULL);
}

void log_route_lws(void)
{
    int levels = LLL_ERR | LLL_WARN;
    if (cur_level <= LOG_DEBUG)
        levels |= LLL_NOTICE | LLL_USER;
    lws_set_log_level(levels, lws_emit);
}
