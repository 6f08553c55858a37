/*
 * Converts a parsed TOML tree into toml-test's tagged JSON (see
 * shared/toml-test/README.md): tables become objects, arrays stay arrays and
 * every scalar becomes {"type": ..., "value": "<text>"}. It also owns the
 * U+0000 stand-in described in toml_json.h, in both directions, because
 * cJSON cannot hold a NUL inside a string.
 */
#include "toml_json.h"

#include <inttypes.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* A copy of len bytes with every NUL replaced by the stand-in, NUL-terminated for cJSON. */
static char *nul_to_standin(const char *s, size_t len)
{
    char *c = xmemdup0(s, len);
    for (size_t i = 0; i < len; i++)
        if (c[i] == '\0')
            c[i] = TOML_JSON_NUL;
    return c;
}

static const char *tag_name(enum toml_type t)
{
    switch (t) {
    case TOML_STRING:
        return "string";
    case TOML_INTEGER:
        return "integer";
    case TOML_FLOAT:
        return "float";
    case TOML_BOOL:
        return "bool";
    case TOML_DATETIME:
        return "datetime";
    case TOML_DATETIME_LOCAL:
        return "datetime-local";
    case TOML_DATE_LOCAL:
        return "date-local";
    case TOML_TIME_LOCAL:
        return "time-local";
    case TOML_TABLE:
    case TOML_ARRAY:
        break;
    }
    return "?";
}

/* snprintf that must not truncate: the formats here have known, small sizes. */
static size_t put(char *out, size_t size, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t put(char *out, size_t size, size_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = at < size ? vsnprintf(out + at, size - at, fmt, ap) : -1;
    va_end(ap);
    if (n < 0 || (size_t)n >= size - at) {
        fprintf(stderr, "toml_json: scalar text does not fit in %zu bytes\n", size);
        abort();
    }
    return at + (size_t)n;
}

void toml_json_scalar_text(const struct toml_value *v, char *out, size_t size)
{
    enum toml_type t = toml_type(v);
    size_t o = 0;
    switch (t) {
    case TOML_INTEGER:
        put(out, size, 0, "%" PRId64, toml_int(v));
        return;
    case TOML_FLOAT: {
        double f = toml_float(v);
        if (isnan(f))
            put(out, size, 0, "nan"); /* the tagged form has no signed NaN */
        else if (isinf(f))
            put(out, size, 0, "%s", f < 0 ? "-inf" : "inf");
        else
            put(out, size, 0, "%.17g", f); /* 17 significant digits always read back exactly */
        return;
    }
    case TOML_BOOL:
        put(out, size, 0, "%s", toml_bool(v) ? "true" : "false");
        return;
    case TOML_DATETIME:
    case TOML_DATETIME_LOCAL:
    case TOML_DATE_LOCAL:
    case TOML_TIME_LOCAL:
        break;
    case TOML_STRING:
    case TOML_TABLE:
    case TOML_ARRAY:
        fprintf(stderr, "%s: not a fixed-size scalar: %s\n", __func__, toml_type_name(t));
        abort();
    }

    const struct toml_datetime *dt = toml_datetime(v);
    if (t != TOML_TIME_LOCAL)
        o = put(out, size, o, "%04d-%02d-%02d", dt->year, dt->month, dt->day);
    if (t == TOML_DATE_LOCAL)
        return;
    o = put(out, size, o, "%s%02d:%02d:%02d", t == TOML_TIME_LOCAL ? "" : "T", dt->hour, dt->minute,
            dt->second);
    /*
     * Milliseconds as three digits, as toml-test writes them; finer
     * fractions get six or nine digits rather than being cut.
     */
    int ns = dt->nanosecond;
    if (ns != 0 && ns % 1000000 == 0)
        o = put(out, size, o, ".%03d", ns / 1000000);
    else if (ns != 0 && ns % 1000 == 0)
        o = put(out, size, o, ".%06d", ns / 1000);
    else if (ns != 0)
        o = put(out, size, o, ".%09d", ns);
    if (t != TOML_DATETIME)
        return;
    int off = dt->offset_minutes;
    if (off == 0)
        put(out, size, o, "Z");
    else
        put(out, size, o, "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60, abs(off) % 60);
}

static cJSON *tagged(const char *type, const char *text)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "type", cJSON_CreateString(type));
    cJSON_AddItemToObject(o, "value", cJSON_CreateString(text));
    return o;
}

cJSON *toml_json_encode(const struct toml_value *v)
{
    switch (toml_type(v)) {
    case TOML_TABLE: {
        cJSON *o = cJSON_CreateObject();
        for (size_t i = 0; i < toml_table_len(v); i++) {
            size_t klen;
            const char *k = toml_table_key(v, i, &klen);
            char *name = nul_to_standin(k, klen);
            cJSON_AddItemToObject(o, name, toml_json_encode(toml_table_value(v, i)));
            free(name);
        }
        return o;
    }
    case TOML_ARRAY: {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < toml_array_len(v); i++)
            cJSON_AddItemToArray(a, toml_json_encode(toml_array_get(v, i)));
        return a;
    }
    case TOML_STRING: {
        size_t len;
        const char *s = toml_string(v, &len);
        char *text = nul_to_standin(s, len);
        cJSON *o = tagged("string", text);
        free(text);
        return o;
    }
    default: {
        char text[64];
        toml_json_scalar_text(v, text, sizeof text);
        return tagged(tag_name(toml_type(v)), text);
    }
    }
}

char *toml_json_print(const cJSON *json)
{
    char *s = cJSON_Print(json);
    if (s == NULL) {
        fprintf(stderr, "%s: cJSON_Print failed\n", __func__);
        abort();
    }
    size_t n = 0, extra = 0;
    for (; s[n]; n++)
        if (s[n] == TOML_JSON_NUL)
            extra += 5; /* one byte becomes the six of \u0000 */
    char *out = xmalloc(n + extra + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == TOML_JSON_NUL) {
            memcpy(out + o, "\\u0000", 6);
            o += 6;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    cJSON_free(s);
    return out;
}

cJSON *toml_json_parse(const char *text, size_t len)
{
    /* The rewrite only shrinks text, so len + 1 bytes are enough. */
    char *buf = xmalloc(len + 1);
    size_t o = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string && c == '\\' && i + 1 < len) {
            if (len - i >= 6 && memcmp(text + i + 1, "u0000", 5) == 0) {
                buf[o++] = TOML_JSON_NUL;
                i += 5;
            } else {
                buf[o++] = c;
                buf[o++] = text[++i];
            }
            continue;
        }
        if (c == '"')
            in_string = !in_string;
        buf[o++] = c;
    }
    buf[o] = '\0';
    cJSON *json = cJSON_ParseWithLength(buf, o);
    free(buf);
    return json;
}
