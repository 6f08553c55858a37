/*
 * Web API argument intake as Slack does it: query strings, URL-encoded form
 * bodies, multipart form bodies and JSON bodies become one cJSON object of
 * arguments; the token comes from "Authorization: Bearer" or the form's
 * "token" field (never the query string, and never a JSON body). Body
 * errors map to Slack's codes: invalid_json, json_not_object,
 * invalid_post_type, missing_post_type, invalid_charset, invalid_form_data.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu.h"
#include "xmalloc.h"

#define MAX_FORM_FIELDS 256 /* form fields kept per request */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* URL-decodes [s, s+len) into a new string; '+' is a space; bad escapes stay literal. */
static char *url_decode(const char *s, size_t len)
{
    char *out = xmalloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < len && hexval((unsigned char)s[i + 1]) >= 0 &&
                   hexval((unsigned char)s[i + 2]) >= 0) {
            out[o++] =
                (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

void emu_form_decode(const char *s, size_t len, cJSON *obj)
{
    size_t i = 0;
    int fields = 0;
    while (i < len && fields < MAX_FORM_FIELDS) {
        size_t end = i;
        while (end < len && s[end] != '&')
            end++;
        size_t eq = i;
        while (eq < end && s[eq] != '=')
            eq++;
        if (end > i) {
            char *name = url_decode(s + i, eq - i);
            char *val = eq < end ? url_decode(s + eq + 1, end - eq - 1) : xstrdup("");
            if (name[0]) {
                cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
                cJSON_AddStringToObject(obj, name, val);
                fields++;
            }
            free(name);
            free(val);
        }
        i = end + 1;
    }
}

/* Finds a parameter ("boundary", "charset") in a Content-Type value. */
static bool ctype_param(const char *ct, const char *name, char *out, size_t outsz)
{
    size_t n = strlen(name);
    const char *p = strchr(ct, ';');
    while (p) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, name, n) == 0 && p[n] == '=') {
            p += n + 1;
            bool quoted = *p == '"';
            if (quoted)
                p++;
            size_t o = 0;
            while (*p && *p != ';' && !(quoted && *p == '"') && o + 1 < outsz) {
                if (!quoted && (*p == ' ' || *p == '\t'))
                    break;
                out[o++] = *p++;
            }
            out[o] = '\0';
            return true;
        }
        p = strchr(p, ';');
    }
    return false;
}

static const char *memfind(const char *hay, size_t haylen, const char *needle, size_t nlen)
{
    if (nlen == 0 || haylen < nlen)
        return NULL;
    for (size_t i = 0; i + nlen <= haylen; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
            return hay + i;
    return NULL;
}

/* Minimal multipart/form-data: text fields only (Slack SDKs use it for uploads). */
static bool multipart_decode(const char *body, size_t len, const char *boundary, cJSON *obj)
{
    char delim[256];
    int dn = snprintf(delim, sizeof delim, "--%s", boundary);
    if (dn <= 2 || (size_t)dn >= sizeof delim)
        return false;
    const char *p = memfind(body, len, delim, (size_t)dn);
    if (!p)
        return false;
    const char *end = body + len;
    int fields = 0;
    for (;;) {
        p += dn;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return true; /* closing delimiter */
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return false;
        p += 2;
        const char *hdr_end = memfind(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (!hdr_end)
            return false;
        char name[256] = "";
        const char *cd = memfind(p, (size_t)(hdr_end - p), "name=\"", 6);
        if (cd) {
            cd += 6;
            size_t o = 0;
            while (cd < hdr_end && *cd != '"' && o + 1 < sizeof name)
                name[o++] = *cd++;
            name[o] = '\0';
        }
        const char *val = hdr_end + 4;
        const char *next = memfind(val, (size_t)(end - val), delim, (size_t)dn);
        if (!next)
            return false;
        size_t vlen = (size_t)(next - val);
        if (vlen >= 2 && val[vlen - 2] == '\r' && val[vlen - 1] == '\n')
            vlen -= 2;
        if (name[0] && fields < MAX_FORM_FIELDS) {
            char *v = xmemdup0(val, vlen);
            cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
            cJSON_AddStringToObject(obj, name, v);
            free(v);
            fields++;
        }
        p = next;
    }
}

static void take_form_token(struct emu_args *args)
{
    const char *t = emu_jstr(args->obj, "token");
    if (t && !args->token[0])
        snprintf(args->token, sizeof args->token, "%s", t);
    cJSON_DeleteItemFromObjectCaseSensitive(args->obj, "token");
}

const char *emu_req_parse_args(const struct emu_req *req, struct emu_args *args)
{
    memset(args, 0, sizeof *args);
    args->obj = cJSON_CreateObject();
    if (strncasecmp(req->authorization, "Bearer ", 7) == 0) {
        const char *t = req->authorization + 7;
        while (*t == ' ')
            t++;
        snprintf(args->token, sizeof args->token, "%s", t);
    }
    /* Query arguments count for every verb; a token there is ignored as Slack does. */
    const cJSON *q;
    cJSON_ArrayForEach(q, req->query)
    {
        if (cJSON_IsString(q) && strcmp(q->string, "token") != 0)
            cJSON_AddStringToObject(args->obj, q->string, q->valuestring);
    }
    if (req->verb == EMU_GET || req->body_len == 0)
        return NULL;

    char media[128];
    size_t mi = 0;
    for (const char *c = req->content_type; *c && *c != ';' && mi + 1 < sizeof media; c++)
        if (*c != ' ' && *c != '\t')
            media[mi++] = (char)tolower((unsigned char)*c);
    media[mi] = '\0';
    char charset[64];
    if (ctype_param(req->content_type, "charset", charset, sizeof charset) &&
        strcasecmp(charset, "utf-8") != 0 && strcasecmp(charset, "utf8") != 0 &&
        strcasecmp(charset, "iso-8859-1") != 0)
        return "invalid_charset";

    if (!media[0])
        return "missing_post_type";
    if (!strcmp(media, "application/x-www-form-urlencoded")) {
        emu_form_decode(req->body, req->body_len, args->obj);
        take_form_token(args);
        return NULL;
    }
    if (!strcmp(media, "multipart/form-data")) {
        char boundary[200];
        if (!ctype_param(req->content_type, "boundary", boundary, sizeof boundary) ||
            !multipart_decode(req->body, req->body_len, boundary, args->obj))
            return "invalid_form_data";
        take_form_token(args);
        return NULL;
    }
    if (!strcmp(media, "application/json")) {
        cJSON *j = cJSON_ParseWithLength(req->body, req->body_len);
        if (!j)
            return "invalid_json";
        if (!cJSON_IsObject(j)) {
            cJSON_Delete(j);
            return "json_not_object";
        }
        cJSON *it = j->child;
        while (it) {
            cJSON *next = it->next;
            /* The token belongs in the header when the body is JSON. */
            if (strcmp(it->string, "token") != 0 && !cJSON_IsNull(it)) {
                cJSON_DeleteItemFromObjectCaseSensitive(args->obj, it->string);
                cJSON_AddItemToObject(args->obj, it->string, cJSON_Duplicate(it, 1));
            }
            it = next;
        }
        cJSON_Delete(j);
        args->json = true;
        return NULL;
    }
    return "invalid_post_type";
}

void emu_args_free(struct emu_args *args)
{
    cJSON_Delete(args->obj);
    args->obj = NULL;
}

const char *emu_arg_str(struct emu_args *args, const char *name)
{
    cJSON *it = cJSON_GetObjectItemCaseSensitive(args->obj, name);
    if (!it || cJSON_IsNull(it))
        return NULL;
    if (cJSON_IsString(it))
        return it->valuestring;
    /* Render JSON numbers and booleans once and keep the string in place. */
    char tmp[64];
    if (cJSON_IsBool(it)) {
        snprintf(tmp, sizeof tmp, "%s", cJSON_IsTrue(it) ? "true" : "false");
    } else if (cJSON_IsNumber(it)) {
        double d = it->valuedouble;
        /* Only in-range values may be cast to an integer type. */
        if (d > -9e15 && d < 9e15 && d == (double)(long long)d)
            snprintf(tmp, sizeof tmp, "%lld", (long long)d);
        else
            snprintf(tmp, sizeof tmp, "%.17g", d);
    } else {
        return NULL; /* objects and arrays are not strings */
    }
    cJSON_ReplaceItemInObjectCaseSensitive(args->obj, name, cJSON_CreateString(tmp));
    return emu_jstr(args->obj, name);
}

bool emu_arg_bool(struct emu_args *args, const char *name, bool def)
{
    const char *s = emu_arg_str(args, name);
    if (!s)
        return def;
    return !strcmp(s, "true") || !strcmp(s, "1");
}

long emu_arg_long(struct emu_args *args, const char *name, long def, long min, long max)
{
    const char *s = emu_arg_str(args, name);
    long v;
    if (!s || !emu_parse_long(s, LONG_MIN, LONG_MAX, &v))
        return def;
    return v < min ? min : v > max ? max : v;
}

cJSON *emu_arg_json(struct emu_args *args, const char *name, bool *bad)
{
    *bad = false;
    cJSON *it = cJSON_GetObjectItemCaseSensitive(args->obj, name);
    if (!it || cJSON_IsNull(it))
        return NULL;
    if (cJSON_IsString(it)) {
        if (!it->valuestring[0])
            return NULL;
        cJSON *j = cJSON_Parse(it->valuestring);
        if (!j)
            *bad = true;
        return j;
    }
    if (cJSON_IsArray(it) || cJSON_IsObject(it))
        return cJSON_Duplicate(it, 1);
    *bad = true;
    return NULL;
}
