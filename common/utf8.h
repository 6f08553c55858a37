/*
 * UTF-8 validation shared by every parser and renderer that counts or
 * checks characters (the command splitter, Block Kit text, the TOML parser),
 * and the one check of the characters user text may not contain
 * (utf8_check_text), with the NUL mark that carries a JSON "\u0000"
 * through C strings to that check.
 */
#ifndef INCIDENTD_UTF8_H
#define INCIDENTD_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Length (1..4) of the valid UTF-8 sequence at s, n bytes available (n >= 1),
 * or 0 when it is not valid: a stray continuation byte, a sequence cut short,
 * an overlong form, a surrogate or anything past U+10FFFF.
 */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/*
 * The bytes that stand for a NUL character decoded from JSON: C0 80, the
 * overlong form of U+0000 ("modified UTF-8", as Java writes NUL), which is
 * never valid UTF-8 and so can never be something a user typed. cJSON
 * decodes "\u0000" into a 0 byte, which ends the C string and silently
 * drops the rest of the text; utf8_json_mark_nul() turns each such escape
 * into this mark before parsing, and utf8_check_text() refuses it as a NUL.
 */
#define UTF8_NUL_MARK "\xc0\x80"

/*
 * A copy of the JSON text json (len bytes) with every "\u0000" escape
 * replaced by UTF8_NUL_MARK, NUL-terminated, its length in *outlen; NULL
 * when json has no such escape (then nothing is allocated). An escaped
 * backslash ("\\u0000", the six characters as text) is left alone. The
 * caller frees the copy.
 */
char *utf8_json_mark_nul(const char *json, size_t len, size_t *outlen);

/* What utf8_check_text() may let through besides ordinary characters. */
#define UTF8_ALLOW_NEWLINE 0x1u /* U+000A, where a multi-line text is allowed */
#define UTF8_ALLOW_TAB     0x2u /* U+0009, likewise */
#define UTF8_MULTILINE     (UTF8_ALLOW_NEWLINE | UTF8_ALLOW_TAB)

/* The first character utf8_check_text() refused. */
struct utf8_bad {
    size_t offset;    /* its byte offset in the text */
    size_t index;     /* its position in characters, from 1 */
    uint32_t cp;      /* the code point (0 for a NUL); the byte itself when invalid */
    bool invalid;     /* not valid UTF-8 at all */
    const char *what; /* static: "a right-to-left override", "a control character", ... */
};

/*
 * Checks that s (n bytes) is text a user may have typed into a field: valid
 * UTF-8 with none of
 *   - NUL (a 0 byte or UTF8_NUL_MARK);
 *   - the other C0 controls U+0001-U+001F, except U+000A and U+0009 when
 *     allow says so;
 *   - DEL U+007F and the C1 controls U+0080-U+009F;
 *   - the bidirectional embeddings, overrides and isolates U+202A-U+202E
 *     and U+2066-U+2069, which reorder how the text around them is shown
 *     (a title can be made to read differently from what it says).
 * The bidirectional marks U+200E, U+200F and U+061C are allowed: writers of
 * Arabic and Hebrew use them to place punctuation, and a mark cannot
 * reverse a run of letters. Returns true when s is clean; otherwise false
 * with the first refused character in *bad (when bad is not NULL).
 */
bool utf8_check_text(const char *s, size_t n, unsigned allow, struct utf8_bad *bad);

/*
 * Writes what bad found and where, e.g. "a right-to-left override (U+202E)
 * at character 12", into out (outsz bytes, always NUL-terminated and cut
 * if small). Returns out.
 */
char *utf8_bad_describe(const struct utf8_bad *bad, char *out, size_t outsz);

#endif
