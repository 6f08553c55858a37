/*
 * logfmt logging to stderr (see log.h). One line per call, written with a
 * single fwrite under a lock so lines from several threads do not mix.
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

void log_set_stream(FILE *f)
{
    out_stream = f;
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

static void vlog(enum log_level lvl, const char *msg, va_list ap)
{
    struct buf b;
    char ts[40];
    struct timespec now;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", now.tv_nsec / 1000000);

    pthread_mutex_lock(&out_lock);
    buf_init(&b, LOG_MAX_LINE);
    line_cut = false;
    lput(&b, "ts=", 3);
    lput(&b, ts, strlen(ts));
    lput(&b, " level=", 7);
    lput(&b, log_level_name(lvl), strlen(log_level_name(lvl)));
    lput(&b, " msg=", 5);
    add_value(&b, msg);
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
    FILE *f = out_stream ? out_stream : stderr;
    fwrite(buf_str(&b), 1, b.len, f);
    fflush(f);
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
    va_start(ap, msg);
    vlog(LOG_ERROR, msg, ap);
    va_end(ap);
    exit(1);
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
