/*
 * A TOML 1.0 parser (https://toml.io/en/v1.0.0). Input is a byte buffer
 * with a length: it may hold NUL bytes, CRLF line ends, a leading BOM or
 * invalid UTF-8 (which is rejected). The result is a tree of values; every
 * key and value remembers the line and column where it was written, so
 * that the configuration layer can name `file:line` in its errors.
 * Strings and keys carry explicit lengths because they may contain U+0000.
 */
#ifndef INCIDENTD_TOML_H
#define INCIDENTD_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TOML_MAX_DEPTH 128      /* deepest nesting of arrays and tables accepted */
#define TOML_MAX_INPUT (16u << 20) /* largest document accepted, in bytes */

enum toml_type {
    TOML_TABLE,
    TOML_ARRAY,
    TOML_STRING,
    TOML_INTEGER,
    TOML_FLOAT,
    TOML_BOOL,
    TOML_DATETIME,       /* offset date-time */
    TOML_DATETIME_LOCAL, /* local date-time */
    TOML_DATE_LOCAL,
    TOML_TIME_LOCAL,
};

struct toml_datetime {
    int year, month, day;        /* set for the three date-bearing types */
    int hour, minute, second;    /* set for the three time-bearing types */
    int nanosecond;              /* fraction of a second, 0..999999999 */
    int offset_minutes;          /* TOML_DATETIME only; 0 for Z */
};

struct toml_value; /* opaque; owned by the document root */

/* Where parsing failed: 1-based line and column (in bytes) and a message. */
struct toml_error {
    int line, col;
    char msg[200];
};

/*
 * Parses len bytes at buf. On success stores the root table in *root (free
 * it with toml_free()) and returns BOT_OK. On failure returns BOT_EINVAL,
 * fills *err and leaves *root NULL.
 */
enum bot_rc toml_parse(const char *buf, size_t len, struct toml_value **root,
                       struct toml_error *err) BOT_MUST_CHECK;
/* Frees a root returned by toml_parse(); NULL is fine. */
void toml_free(struct toml_value *root);

enum toml_type toml_type(const struct toml_value *v);
/* Name of a type for messages: "table", "array", "string", "integer", ... */
const char *toml_type_name(enum toml_type t);
/* Where the value was written (for a table: its header or first key). */
int toml_line(const struct toml_value *v);
int toml_col(const struct toml_value *v);

/* Tables keep keys in the order they were defined. */
size_t toml_table_len(const struct toml_value *table);
/* The i-th key (len in *klen, may contain NUL; also NUL-terminated) and its line. */
const char *toml_table_key(const struct toml_value *table, size_t i, size_t *klen);
int toml_table_key_line(const struct toml_value *table, size_t i);
struct toml_value *toml_table_value(const struct toml_value *table, size_t i);
/* Looks a key up by its bytes; NULL when absent. */
struct toml_value *toml_table_get(const struct toml_value *table, const char *key, size_t klen);

size_t toml_array_len(const struct toml_value *array);
struct toml_value *toml_array_get(const struct toml_value *array, size_t i);

/* Scalar accessors; calling one on a value of another type is a programming error (abort). */
const char *toml_string(const struct toml_value *v, size_t *len); /* NUL-terminated too */
int64_t toml_int(const struct toml_value *v);
double toml_float(const struct toml_value *v);
bool toml_bool(const struct toml_value *v);
const struct toml_datetime *toml_datetime(const struct toml_value *v);

#endif
