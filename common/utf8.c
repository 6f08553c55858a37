/* UTF-8 validation, the NUL mark and the check of user text (see utf8.h). */
#include "utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "xmalloc.h"

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp, min;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0) {
        len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

char *utf8_json_mark_nul(const char *json, size_t len, size_t *outlen)
{
    static const char esc[] = "\\u0000";
    const size_t esclen = sizeof(esc) - 1;
    char *out = NULL;
    size_t o = 0, copied = 0;

    /* Outside strings a backslash is not JSON at all, so every one starts an escape. */
    for (size_t i = 0; i + 1 < len; i++) {
        if (json[i] != '\\')
            continue;
        if (i + esclen <= len && memcmp(json + i, esc, esclen) == 0) {
            if (out == NULL)
                out = xmalloc(len + 1); /* the mark is shorter than the escape */
            memcpy(out + o, json + copied, i - copied);
            o += i - copied;
            memcpy(out + o, UTF8_NUL_MARK, 2);
            o += 2;
            copied = i + esclen;
            i = copied - 1;
        } else {
            i++; /* the escaped character: "\\" must not start another escape */
        }
    }
    if (out == NULL)
        return NULL;
    memcpy(out + o, json + copied, len - copied);
    o += len - copied;
    out[o] = '\0';
    if (outlen != NULL)
        *outlen = o;
    return out;
}

/* The name of a character user text may not contain, or NULL when it may. */
static const char *refused(uint32_t cp, unsigned allow)
{
    static const char *const bidi[] = {
        "a left-to-right embedding", "a right-to-left embedding", "a pop directional formatting",
        "a left-to-right override",  "a right-to-left override",
    };
    static const char *const isolates[] = {
        "a left-to-right isolate", "a right-to-left isolate", "a first strong isolate",
        "a pop directional isolate",
    };
    if (cp == 0)
        return "a NUL character";
    if (cp == '\n')
        return (allow & UTF8_ALLOW_NEWLINE) ? NULL : "a line break";
    if (cp == '\t')
        return (allow & UTF8_ALLOW_TAB) ? NULL : "a tab";
    if (cp == '\r')
        return "a carriage return";
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
        return "a control character";
    if (cp >= 0x202a && cp <= 0x202e)
        return bidi[cp - 0x202a];
    if (cp >= 0x2066 && cp <= 0x2069)
        return isolates[cp - 0x2066];
    return NULL;
}

bool utf8_check_text(const char *s, size_t n, unsigned allow, struct utf8_bad *bad)
{
    const unsigned char *u = (const unsigned char *)s;
    struct utf8_bad b = {0};

    for (size_t i = 0, index = 1; i < n; index++) {
        b.offset = i;
        b.index = index;
        if (i + 1 < n && u[i] == 0xc0 && u[i + 1] == 0x80) {
            b.cp = 0; /* UTF8_NUL_MARK: a "\u0000" of the JSON it came in */
            b.what = refused(0, allow);
            goto found;
        }
        size_t l = utf8_seq_len(u + i, n - i);
        if (l == 0) {
            b.cp = u[i];
            b.invalid = true;
            b.what = "a byte that is not valid UTF-8";
            goto found;
        }
        uint32_t cp = l == 1 ? u[i] : (uint32_t)(u[i] & (0x7f >> l));
        for (size_t k = 1; k < l; k++)
            cp = (cp << 6) | (u[i + k] & 0x3f);
        b.cp = cp;
        b.what = refused(cp, allow);
        if (b.what != NULL)
            goto found;
        i += l;
    }
    return true;
found:
    if (bad != NULL)
        *bad = b;
    return false;
}

char *utf8_bad_describe(const struct utf8_bad *bad, char *out, size_t outsz)
{
    if (outsz == 0)
        return out;
    if (bad->invalid)
        snprintf(out, outsz, "%s (0x%02X) at character %zu", bad->what, (unsigned)bad->cp,
                 bad->index);
    else
        snprintf(out, outsz, "%s (U+%04X) at character %zu", bad->what, (unsigned)bad->cp,
                 bad->index);
    return out;
}
