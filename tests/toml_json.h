/*
 * toml-test's tagged JSON for a parsed TOML document, shared by the
 * toml-decoder program and the toml_test_suite runner so that both speak
 * exactly the same dialect. cJSON strings are NUL-terminated, but TOML keys
 * and strings may contain U+0000; inside the cJSON trees built here that
 * character travels as the byte 0xFF, which never occurs in valid UTF-8 and
 * so cannot collide with real text. toml_json_print() turns it back into
 * \u0000, and toml_json_parse() applies the same substitution to JSON text.
 */
#ifndef INCIDENTD_TOML_JSON_H
#define INCIDENTD_TOML_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "toml.h"

/* Stand-in for U+0000 inside cJSON strings. */
#define TOML_JSON_NUL '\xFF'

/* Builds the tagged JSON of v (normally a document root). Caller frees with cJSON_Delete(). */
cJSON *toml_json_encode(const struct toml_value *v);

/* Prints json as text with U+0000 written as \u0000. Caller frees with free(). */
char *toml_json_print(const cJSON *json);

/*
 * Parses len bytes of JSON text, turning \u0000 escapes into the stand-in
 * first so that strings are not cut short. NULL when the text is not JSON.
 * Caller frees with cJSON_Delete().
 */
cJSON *toml_json_parse(const char *text, size_t len);

/* The "value" text of a scalar: canonical decimal, %.17g floats, RFC 3339 times. */
void toml_json_scalar_text(const struct toml_value *v, char *out, size_t size);

#endif
