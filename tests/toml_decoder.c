/*
 * toml-decoder: the program toml-test's runner expects. It reads a TOML
 * document on stdin and writes its tagged JSON on stdout; for a document
 * our parser rejects it writes `line:col: message` on stderr and exits 1.
 * Exit 2 means it could not read its input at all.
 */
#include <stdio.h>
#include <stdlib.h>

#include "toml.h"
#include "toml_json.h"
#include "xmalloc.h"

/* Reads all of stdin as bytes (NUL included); stops one byte past the parser's limit. */
static char *read_stdin(size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap > TOML_MAX_INPUT)
                break; /* enough to let toml_parse() report the size itself */
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(stdin)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int main(void)
{
    xmalloc_init_cjson();
    size_t len;
    char *buf = read_stdin(&len);
    if (buf == NULL) {
        perror("toml-decoder: reading stdin");
        return 2;
    }
    struct toml_value *root;
    struct toml_error err;
    if (toml_parse(buf, len, &root, &err) != BOT_OK) {
        fprintf(stderr, "%d:%d: %s\n", err.line, err.col, err.msg);
        free(buf);
        return 1;
    }
    cJSON *json = toml_json_encode(root);
    char *text = toml_json_print(json);
    int rc = puts(text) < 0 || fflush(stdout) != 0 ? 2 : 0;
    if (rc)
        perror("toml-decoder: writing stdout");
    free(text);
    cJSON_Delete(json);
    toml_free(root);
    free(buf);
    return rc;
}
