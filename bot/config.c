/*
 * The configuration table and its loader (see config.h). Every key the bot
 * reads is one row of cfg_keys[]: adding a key is adding a row, and the
 * checks, the defaults and `cfg_print_reference` follow from it.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "toml.h"
#include "xmalloc.h"

enum cfg_type {
    CT_STRING,
    CT_INT,
    CT_BOOL,
    CT_URL,      /* http:// or https:// base URL; stored with a trailing '/' */
    CT_LISTEN,   /* host:port for a listening socket */
    CT_LOGLEVEL, /* debug | info | warn | error */
};

struct cfg_key {
    const char *table;
    const char *key;
    enum cfg_type type;
    const char *def_str; /* default for string-like types */
    int64_t def_int;     /* default for CT_INT and CT_BOOL */
    int64_t min, max;    /* CT_INT range; for strings, the length range */
    size_t off;          /* offset of the field in struct config */
    const char *help;
};

#define OFF(f) offsetof(struct config, f)

static const struct cfg_key cfg_keys[] = {
    {"slack", "api_base_url", CT_URL, "https://slack.com/api/", 0, 10, 2000,
     OFF(slack_api_base_url),
     "Base URL of Slack's Web API; tests and the emulator point it at loopback"},
    {"slack", "connections", CT_INT, NULL, 2, 1, 10, OFF(slack_connections),
     "Socket Mode connections kept open at once (Slack allows up to 10)"},
    {"slack", "stall_seconds", CT_INT, NULL, 60, 5, 3600, OFF(slack_stall_seconds),
     "Reconnect a Socket Mode link when nothing (not even a ping) arrived for this long"},
    {"slack", "call_timeout_seconds", CT_INT, NULL, 30, 1, 600,
     OFF(slack_call_timeout_seconds), "Longest time one Web API call may take, retries excluded"},
    {"slack", "ca_file", CT_STRING, "", 0, 0, 4096, OFF(slack_ca_file),
     "PEM file of CA certificates to trust for Slack instead of the system's (a TLS-inspecting "
     "proxy); empty: the system CAs"},
    {"store", "path", CT_STRING, "var/incidentd.db", 0, 1, 4096, OFF(store_path),
     "SQLite database file; its directory must exist and be writable"},
    {"store", "busy_timeout_ms", CT_INT, NULL, 5000, 0, 600000, OFF(store_busy_timeout_ms),
     "How long a writer waits for another connection's lock before failing"},
    {"store", "fsync_every_commit", CT_BOOL, NULL, 1, 0, 1, OFF(store_fsync_every_commit),
     "true: every commit reaches the disk before an envelope is acked (survives power loss); "
     "false: survives a crash of the process only, with much lower ack latency"},
    {"http", "listen", CT_LISTEN, "127.0.0.1:8080", 0, 3, 300, OFF(http_listen),
     "Address of the built-in HTTP server (status page, /healthz, /metrics)"},
    {"log", "level", CT_LOGLEVEL, "info", 0, 0, 0, OFF(log_level),
     "Least severe level written to stderr: debug, info, warn or error"},
};

#define NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

static void diag_add(struct cfg_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void diag_add(struct cfg_diag *d, const char *fmt, ...)
{
    if (d == NULL || d->n >= CFG_MAX_ERRORS)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *line = xvasprintf(fmt, ap);
    va_end(ap);
    d->lines = xreallocarray(d->lines, d->n + 1, sizeof(*d->lines));
    d->lines[d->n++] = line;
}

void cfg_diag_free(struct cfg_diag *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->lines[i]);
    free(d->lines);
    d->lines = NULL;
    d->n = 0;
}

static char **str_field(struct config *c, const struct cfg_key *k)
{
    return (char **)(void *)((char *)c + k->off);
}

static int64_t *int_field(struct config *c, const struct cfg_key *k)
{
    return (int64_t *)(void *)((char *)c + k->off);
}

/* Splits "host:port" or "[v6]:port"; false with a reason when it is neither. */
static bool parse_listen(const char *s, char **host, int *port, const char **why)
{
    const char *colon;
    const char *hs = s, *he;
    if (s[0] == '[') {
        he = strchr(s, ']');
        if (he == NULL || he[1] != ':') {
            *why = "an IPv6 address must be written [addr]:port";
            return false;
        }
        hs = s + 1;
        colon = he + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL) {
            *why = "expected host:port, e.g. \"127.0.0.1:8080\"";
            return false;
        }
        he = colon;
    }
    if (he == hs) {
        *why = "the host is empty; use 0.0.0.0 to listen on every address";
        return false;
    }
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || errno || p < 0 || p > 65535) {
        *why = "the port must be a number from 0 to 65535";
        return false;
    }
    *host = xmemdup0(hs, (size_t)(he - hs));
    *port = (int)p;
    return true;
}

static void set_defaults(struct config *c)
{
    for (size_t i = 0; i < NKEYS; i++) {
        const struct cfg_key *k = &cfg_keys[i];
        switch (k->type) {
        case CT_INT:
        case CT_BOOL:
            *int_field(c, k) = k->def_int;
            break;
        case CT_LOGLEVEL:
            log_level_parse(k->def_str, &c->log_level);
            break;
        case CT_STRING:
        case CT_URL:
        case CT_LISTEN:
            *str_field(c, k) = xstrdup(k->def_str);
            break;
        }
    }
    const char *why;
    if (!parse_listen(c->http_listen, &c->http_host, &c->http_port, &why))
        abort(); /* the built-in default is wrong: a bug, not a user error */
}

struct config *cfg_defaults(void)
{
    struct config *c = xcalloc(1, sizeof(*c));
    set_defaults(c);
    return c;
}

void cfg_free(struct config *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < NKEYS; i++) {
        const struct cfg_key *k = &cfg_keys[i];
        if (k->type == CT_STRING || k->type == CT_URL || k->type == CT_LISTEN)
            free(*str_field(c, k));
    }
    free(c->http_host);
    free(c->slack_bot_token);
    free(c->slack_app_token);
    free(c->statuspage_api_key);
    free(c);
}

/* Edit distance, for "did you mean" on unknown keys; short strings only. */
static size_t distance(const char *a, size_t la, const char *b)
{
    size_t lb = strlen(b);
    size_t row[64];
    if (la >= 63 || lb >= 63)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

/* A printable copy of a key for messages (keys may contain NUL or quotes). */
static char *show_key(const char *k, size_t len)
{
    struct buf b;
    buf_init(&b, 200);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)k[i];
        enum bot_rc rc = (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
                             ? buf_addf(&b, "\\x%02x", c)
                             : buf_add(&b, &k[i], 1);
        if (rc)
            break;
    }
    return buf_take(&b);
}

static const char *suggest_table(const char *name, size_t len)
{
    const char *best = NULL;
    size_t bestd = 3;
    for (size_t i = 0; i < NKEYS; i++) {
        size_t d = distance(name, len, cfg_keys[i].table);
        if (d < bestd) {
            bestd = d;
            best = cfg_keys[i].table;
        }
    }
    return best;
}

static const char *suggest_key(const char *table, const char *name, size_t len)
{
    const char *best = NULL;
    size_t bestd = 4;
    for (size_t i = 0; i < NKEYS; i++) {
        if (strcmp(cfg_keys[i].table, table) != 0)
            continue;
        size_t d = distance(name, len, cfg_keys[i].key);
        if (d < bestd) {
            bestd = d;
            best = cfg_keys[i].key;
        }
    }
    return best;
}

static const char *type_wanted(enum cfg_type t)
{
    switch (t) {
    case CT_INT: return "an integer";
    case CT_BOOL: return "true or false";
    case CT_URL: return "a URL string (http:// or https://)";
    case CT_LISTEN: return "a \"host:port\" string";
    case CT_LOGLEVEL: return "one of \"debug\", \"info\", \"warn\", \"error\"";
    case CT_STRING: break;
    }
    return "a string";
}

static bool has_nul(const char *s, size_t len)
{
    return memchr(s, '\0', len) != NULL;
}

/* Checks one value against its row and stores it; reports to diag on error. */
static void apply(struct config *c, const struct cfg_key *k, const struct toml_value *v,
                  const char *name, int line, struct cfg_diag *d)
{
    enum toml_type t = toml_type(v);
    bool want_string = k->type == CT_STRING || k->type == CT_URL || k->type == CT_LISTEN ||
                       k->type == CT_LOGLEVEL;
    bool ok_type = want_string ? t == TOML_STRING : k->type == CT_BOOL ? t == TOML_BOOL
                                                                      : t == TOML_INTEGER;
    if (!ok_type) {
        diag_add(d, "%s:%d: [%s] %s: expected %s, got %s %s", name, line, k->table, k->key,
                 type_wanted(k->type), t == TOML_INTEGER || t == TOML_ARRAY ? "an" : "a",
                 toml_type_name(t));
        return;
    }
    if (k->type == CT_INT) {
        int64_t n = toml_int(v);
        if (n < k->min || n > k->max) {
            diag_add(d, "%s:%d: [%s] %s: expected an integer from %lld to %lld, got %lld", name,
                     line, k->table, k->key, (long long)k->min, (long long)k->max, (long long)n);
            return;
        }
        *int_field(c, k) = n;
        return;
    }
    if (k->type == CT_BOOL) {
        *int_field(c, k) = toml_bool(v);
        return;
    }
    size_t len;
    const char *s = toml_string(v, &len);
    if (has_nul(s, len)) {
        diag_add(d, "%s:%d: [%s] %s: must not contain a NUL character", name, line, k->table,
                 k->key);
        return;
    }
    if (k->type == CT_LOGLEVEL) {
        enum log_level lvl;
        if (!log_level_parse(s, &lvl)) {
            diag_add(d, "%s:%d: [log] level: expected %s, got \"%s\"", name, line,
                     type_wanted(k->type), s);
            return;
        }
        c->log_level = lvl;
        return;
    }
    if (k->type == CT_URL && strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) {
        diag_add(d, "%s:%d: [%s] %s: expected a URL starting with http:// or https://, got \"%s\"",
                 name, line, k->table, k->key, s);
        return;
    }
    if ((int64_t)len < k->min || (int64_t)len > k->max) {
        diag_add(d, "%s:%d: [%s] %s: expected %lld to %lld characters, got %zu", name, line,
                 k->table, k->key, (long long)k->min, (long long)k->max, len);
        return;
    }
    char *val = NULL;
    if (k->type == CT_URL) {
        for (size_t i = 0; i < len; i++) {
            if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) {
                diag_add(d, "%s:%d: [%s] %s: a URL must not contain spaces or control "
                            "characters", name, line, k->table, k->key);
                return;
            }
        }
        val = s[len - 1] == '/' ? xstrdup(s) : xasprintf("%s/", s);
    } else if (k->type == CT_LISTEN) {
        char *host;
        int port;
        const char *why;
        if (!parse_listen(s, &host, &port, &why)) {
            diag_add(d, "%s:%d: [%s] %s: %s, got \"%s\"", name, line, k->table, k->key, why, s);
            return;
        }
        free(c->http_host);
        c->http_host = host;
        c->http_port = port;
        val = xstrdup(s);
    } else {
        val = xstrdup(s);
    }
    char **f = str_field(c, k);
    free(*f);
    *f = val;
}

static void load_table(struct config *c, const char *name, const char *tname,
                       const struct toml_value *tbl, struct cfg_diag *d)
{
    for (size_t i = 0; i < toml_table_len(tbl); i++) {
        size_t klen;
        const char *key = toml_table_key(tbl, i, &klen);
        int line = toml_table_key_line(tbl, i);
        const struct cfg_key *row = NULL;
        for (size_t j = 0; j < NKEYS; j++) {
            if (strcmp(cfg_keys[j].table, tname) == 0 && strlen(cfg_keys[j].key) == klen &&
                memcmp(cfg_keys[j].key, key, klen) == 0) {
                row = &cfg_keys[j];
                break;
            }
        }
        if (row == NULL) {
            char *shown = show_key(key, klen);
            const char *hint = suggest_key(tname, key, klen);
            diag_add(d, "%s:%d: [%s] unknown key \"%s\"%s%s%s", name, line, tname, shown,
                     hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "");
            free(shown);
            continue;
        }
        apply(c, row, toml_table_value(tbl, i), name, line, d);
    }
}

enum bot_rc cfg_load_buf(const char *name, const char *buf, size_t len, struct config **out,
                         struct cfg_diag *diag)
{
    struct toml_value *root = NULL;
    struct toml_error terr;
    struct config *c = NULL;
    size_t before = diag ? diag->n : 0;

    *out = NULL;
    if (toml_parse(buf, len, &root, &terr) != BOT_OK) {
        diag_add(diag, "%s:%d:%d: %s", name, terr.line, terr.col, terr.msg);
        return BOT_ECONFIG;
    }
    c = cfg_defaults();
    for (size_t i = 0; i < toml_table_len(root); i++) {
        size_t klen;
        const char *key = toml_table_key(root, i, &klen);
        const struct toml_value *v = toml_table_value(root, i);
        int line = toml_table_key_line(root, i);
        char *shown = show_key(key, klen);
        bool known = false;
        for (size_t j = 0; j < NKEYS && !known; j++)
            known = strlen(cfg_keys[j].table) == klen && memcmp(cfg_keys[j].table, key, klen) == 0;
        if (!known) {
            const char *hint = suggest_table(key, klen);
            diag_add(diag, "%s:%d: unknown %s \"%s\"%s%s%s", name, line,
                     toml_type(v) == TOML_TABLE ? "table" : "top-level key", shown,
                     hint ? " (did you mean [" : "", hint ? hint : "", hint ? "]?)" : "");
        } else if (toml_type(v) != TOML_TABLE) {
            diag_add(diag, "%s:%d: \"%s\" must be a table ([%s]), got %s", name, line, shown,
                     shown, toml_type_name(toml_type(v)));
        } else {
            load_table(c, name, shown, v, diag);
        }
        free(shown);
    }
    toml_free(root);
    if (diag && diag->n > before) {
        cfg_free(c);
        return BOT_ECONFIG;
    }
    *out = c;
    return BOT_OK;
}

enum bot_rc cfg_load_file(const char *path, struct config **out, struct cfg_diag *diag)
{
    enum bot_rc rc = BOT_OK;
    struct buf b;
    char chunk[8192];
    FILE *f;

    *out = NULL;
    buf_init(&b, CFG_MAX_FILE);
    f = fopen(path, "rb");
    if (f == NULL) {
        diag_add(diag, "%s: cannot open: %s", path, strerror(errno));
        return BOT_EIO;
    }
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        if (n > 0 && buf_add(&b, chunk, n) != BOT_OK) {
            diag_add(diag, "%s: larger than %u bytes; is this really the configuration file?",
                     path, CFG_MAX_FILE);
            rc = BOT_ECONFIG;
            goto out;
        }
        if (n < sizeof(chunk))
            break;
    }
    if (ferror(f)) {
        diag_add(diag, "%s: read error: %s", path, strerror(errno));
        rc = BOT_EIO;
        goto out;
    }
    rc = cfg_load_buf(path, b.data ? b.data : "", b.len, out, diag);
out:
    fclose(f);
    buf_free(&b);
    return rc;
}

/* Slack tokens are "xoxb-" / "xapp-" followed by digits, letters and dashes. */
static bool token_chars_ok(const char *s)
{
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return false;
    }
    return true;
}

static const char *token_kind(const char *v)
{
    if (strncmp(v, "xoxb-", 5) == 0)
        return "a bot token (xoxb-)";
    if (strncmp(v, "xapp-", 5) == 0)
        return "an app-level token (xapp-)";
    if (strncmp(v, "xoxp-", 5) == 0)
        return "a user token (xoxp-)";
    return "something that is not a Slack token";
}

static void check_token(const char *var, const char *v, const char *prefix, const char *what,
                        char **dst, struct cfg_diag *d)
{
    if (v == NULL || *v == '\0') {
        diag_add(d, "%s is not set: export the %s (%s...) in the environment", var, what,
                 prefix);
        return;
    }
    if (strncmp(v, prefix, strlen(prefix)) != 0) {
        diag_add(d, "%s: expected the %s starting with %s, got %s", var, what, prefix,
                 token_kind(v));
        return;
    }
    if (strlen(v) < strlen(prefix) + 10 || strlen(v) > 512 || !token_chars_ok(v)) {
        diag_add(d, "%s: malformed %s: expected %s followed by letters, digits and dashes "
                    "(check for quotes or spaces)", var, what, prefix);
        return;
    }
    free(*dst);
    *dst = xstrdup(v);
}

enum bot_rc cfg_load_secrets(struct config *cfg, const char *(*getenv_fn)(const char *),
                             struct cfg_diag *diag)
{
    size_t before = diag ? diag->n : 0;
    check_token("SLACK_BOT_TOKEN", getenv_fn("SLACK_BOT_TOKEN"), "xoxb-", "bot token",
                &cfg->slack_bot_token, diag);
    check_token("SLACK_APP_TOKEN", getenv_fn("SLACK_APP_TOKEN"), "xapp-", "app-level token",
                &cfg->slack_app_token, diag);
    const char *sp = getenv_fn("STATUSPAGE_API_KEY");
    if (sp != NULL && *sp != '\0') {
        bool ok = strlen(sp) >= 16 && strlen(sp) <= 256;
        for (const char *p = sp; ok && *p; p++)
            ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                 (*p >= '0' && *p <= '9') || *p == '-' || *p == '_';
        if (!ok)
            diag_add(diag, "STATUSPAGE_API_KEY: malformed: expected 16 to 256 letters, digits, "
                           "dashes or underscores (check for quotes or spaces)");
        else
            cfg->statuspage_api_key = xstrdup(sp);
    }
    return diag && diag->n > before ? BOT_ECONFIG : BOT_OK;
}

void cfg_print_reference(FILE *f)
{
    const char *cur = "";
    for (size_t i = 0; i < NKEYS; i++) {
        const struct cfg_key *k = &cfg_keys[i];
        if (strcmp(cur, k->table) != 0) {
            fprintf(f, "%s[%s]\n", i ? "\n" : "", k->table);
            cur = k->table;
        }
        fprintf(f, "# %s\n", k->help);
        if (k->type == CT_INT)
            fprintf(f, "%s = %lld\n", k->key, (long long)k->def_int);
        else if (k->type == CT_BOOL)
            fprintf(f, "%s = %s\n", k->key, k->def_int ? "true" : "false");
        else
            fprintf(f, "%s = \"%s\"\n", k->key, k->def_str);
    }
}

size_t cfg_key_count(void)
{
    return NKEYS;
}

const char *cfg_key_name(size_t i, const char **table)
{
    if (i >= NKEYS)
        return NULL;
    *table = cfg_keys[i].table;
    return cfg_keys[i].key;
}
