/*
 * libFuzzer target for the TOML parser: any bytes must either parse or be
 * rejected with a sane error, never crash, leak or read out of bounds. On
 * success it walks the whole tree through the public API and checks that
 * every key looks itself up again, which exercises the hash index, and that
 * error positions stay inside the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* depth: the root is 0; containers may sit at most TOML_MAX_DEPTH deep, scalars one more. */
static void walk(const struct toml_value *v, int depth)
{
    enum toml_type t = toml_type(v);
    if ((t == TOML_TABLE || t == TOML_ARRAY) && depth > TOML_MAX_DEPTH)
        abort();
    switch (t) {
    case TOML_TABLE:
        for (size_t i = 0; i < toml_table_len(v); i++) {
            size_t klen;
            const char *k = toml_table_key(v, i, &klen);
            if (k[klen] != '\0' || toml_table_get(v, k, klen) != toml_table_value(v, i))
                abort();
            if (toml_table_key_line(v, i) < 1)
                abort();
            walk(toml_table_value(v, i), depth + 1);
        }
        break;
    case TOML_ARRAY:
        for (size_t i = 0; i < toml_array_len(v); i++)
            walk(toml_array_get(v, i), depth + 1);
        break;
    case TOML_STRING: {
        size_t len;
        const char *s = toml_string(v, &len);
        if (s[len] != '\0')
            abort();
        break;
    }
    case TOML_INTEGER:
        (void)toml_int(v);
        break;
    case TOML_FLOAT:
        (void)toml_float(v);
        break;
    case TOML_BOOL:
        (void)toml_bool(v);
        break;
    default: {
        const struct toml_datetime *dt = toml_datetime(v);
        if (dt->nanosecond < 0 || dt->nanosecond > 999999999 || dt->month > 12 || dt->hour > 23)
            abort();
        break;
    }
    }
    if (toml_line(v) < 1 || toml_col(v) < 1)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct toml_value *root = NULL;
    struct toml_error err;
    if (toml_parse((const char *)data, size, &root, &err) == BOT_OK) {
        walk(root, 0);
        toml_free(root);
    } else if (root != NULL || err.line < 1 || err.col < 1 || (size_t)err.line > size + 1 ||
               memchr(err.msg, '\0', sizeof err.msg) == NULL || err.msg[0] == '\0') {
        abort();
    }
    return 0;
}
