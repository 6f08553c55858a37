/*
 * Small helpers every slackemu module uses: clocks, the random number
 * generator behind all ids (channel, view, envelope, trigger), unique message
 * timestamps, the log line writer, strict number parsing, and a few cJSON
 * conveniences. Nothing here keeps state except through struct emu.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu.h"
#include "xmalloc.h"

int64_t emu_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t emu_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* xorshift64*: fast, good enough for ids that only need to be unique-ish. */
uint64_t emu_rand(struct emu *emu)
{
    uint64_t x = emu->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    emu->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

void emu_rand_id(struct emu *emu, const char *prefix, size_t n, char *out, size_t outsz)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    size_t plen = strlen(prefix);
    if (outsz == 0)
        return;
    if (plen + n + 1 > outsz)
        n = outsz > plen + 1 ? outsz - plen - 1 : 0;
    if (plen >= outsz)
        plen = outsz - 1;
    memcpy(out, prefix, plen);
    for (size_t i = 0; i < n; i++)
        out[plen + i] = alphabet[emu_rand(emu) % (sizeof alphabet - 1)];
    out[plen + n] = '\0';
}

void emu_rand_hex(struct emu *emu, size_t n, char *out, size_t outsz)
{
    static const char hex[] = "0123456789abcdef";
    if (outsz == 0)
        return;
    if (n + 1 > outsz)
        n = outsz - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = hex[emu_rand(emu) & 15];
    out[n] = '\0';
}

void emu_uuid(struct emu *emu, char out[EMU_UUID_LEN])
{
    uint64_t a = emu_rand(emu), b = emu_rand(emu);
    snprintf(out, EMU_UUID_LEN, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)((a >> 16) & 0xffff), (unsigned)(a & 0xfff),
             (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
             (unsigned long long)(b & 0xffffffffffffULL));
}

void emu_trigger_id(struct emu *emu, char out[EMU_TRIGGER_LEN])
{
    char hex[33];
    emu_rand_hex(emu, 32, hex, sizeof hex);
    snprintf(out, EMU_TRIGGER_LEN, "%llu.%llu.%s",
             (unsigned long long)(1000000000000ULL + emu_rand(emu) % 9000000000000ULL),
             (unsigned long long)(1000000000ULL + emu_rand(emu) % 9000000000ULL), hex);
}

void emu_next_ts(struct emu *emu, char out[EMU_TS_LEN])
{
    uint64_t now = (uint64_t)emu_wall_us();
    if (now <= emu->ts_last_us)
        now = emu->ts_last_us + 1;
    emu->ts_last_us = now;
    snprintf(out, EMU_TS_LEN, "%llu.%06llu", (unsigned long long)(now / 1000000),
             (unsigned long long)(now % 1000000));
}

void emu_log(struct emu *emu, const char *fmt, ...)
{
    (void)emu;
    char line[1024];
    int64_t now = emu_wall_us();
    time_t secs = (time_t)(now / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    int n = snprintf(
        line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ slackemu: ", tm.tm_year + 1900,
        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)((now / 1000) % 1000));
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    size_t len = (size_t)n + (size_t)m;
    if (len >= sizeof line - 1) /* truncated: keep it one line */
        len = sizeof line - 2;
    for (size_t i = 0; i < len; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[len] = '\n';
    fwrite(line, 1, len + 1, stderr);
}

bool emu_parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

const char *emu_jstr(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

char *emu_jprint(const cJSON *obj)
{
    char *s = cJSON_PrintUnformatted(obj);
    if (!s)
        s = xstrdup("null");
    return s;
}

cJSON *emu_jerror(const char *err)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", 0);
    cJSON_AddStringToObject(o, "error", err);
    return o;
}

void emu_jadd_messages(cJSON *obj, const char *msg)
{
    cJSON *md = cJSON_AddObjectToObject(obj, "response_metadata");
    cJSON *arr = cJSON_AddArrayToObject(md, "messages");
    cJSON_AddItemToArray(arr, cJSON_CreateString(msg));
}

bool emu_str_has_prefix(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}
