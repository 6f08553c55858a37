/*
 * The slackemu test client (see et.h): process control for the emulator,
 * libcurl HTTP helpers, a blocking RFC 6455 client that masks its frames
 * (and can be told not to), and the structural JSON comparison.
 */
#include "et.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "xmalloc.h"

#define START_TIMEOUT_MS 60000 /* generous: the emulator may run under valgrind */
#define STOP_TIMEOUT_MS  60000
#define HTTP_TIMEOUT_MS  60000

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

long long et_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------- process ---------- */

bool et_emu_start(struct et_emu *e, const char *bin, const char *const *args)
{
    if (!e->dir[0]) {
        snprintf(e->dir, sizeof e->dir, "/tmp/slackemu-test-XXXXXX");
        if (!mkdtemp(e->dir)) {
            perror("mkdtemp");
            return false;
        }
    }
    snprintf(e->log, sizeof e->log, "%s/slackemu.log", e->dir);
    int out[2];
    if (pipe(out) != 0)
        return false;
    const char *argv[64];
    int n = 0;
    char *wrapper = getenv("SLACKEMU_WRAPPER") ? xstrdup(getenv("SLACKEMU_WRAPPER")) : NULL;
    for (char *p = wrapper; p && *p && n < 40;) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        argv[n++] = p;
        while (*p && *p != ' ')
            p++;
    }
    argv[n++] = bin;
    argv[n++] = "--port";
    argv[n++] = "0";
    for (int i = 0; args && args[i] && n < 62; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0) {
        free(wrapper);
        return false;
    }
    if (pid == 0) {
        int logfd = open(e->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(out[1], 1);
        if (logfd >= 0)
            dup2(logfd, 2);
        close(out[0]);
        execvp(argv[0], (char *const *)argv);
        perror("exec slackemu");
        _exit(127);
    }
    free(wrapper);
    close(out[1]);
    e->pid = pid;
    char line[512];
    size_t len = 0;
    long long deadline = et_now_ms() + START_TIMEOUT_MS;
    bool found = false;
    while (!found && et_now_ms() < deadline && len + 1 < sizeof line) {
        struct pollfd pfd = {.fd = out[0], .events = POLLIN};
        if (poll(&pfd, 1, 200) <= 0)
            continue;
        ssize_t r = read(out[0], line + len, sizeof line - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        line[len] = '\0';
        const char *p = strstr(line, "listening on http://127.0.0.1:");
        if (p && strchr(p, '\n')) {
            e->port = (int)strtol(p + strlen("listening on http://127.0.0.1:"), NULL, 10);
            found = e->port > 0;
        }
    }
    close(out[0]);
    if (!found) {
        fprintf(stderr, "slackemu did not start (see %s)\n", e->log);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        e->pid = 0;
        return false;
    }
    snprintf(e->base, sizeof e->base, "http://127.0.0.1:%d", e->port);
    return true;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int et_emu_stop(struct et_emu *e)
{
    if (e->pid <= 0)
        return -1;
    kill(e->pid, SIGTERM);
    int st = 0;
    long long deadline = et_now_ms() + STOP_TIMEOUT_MS;
    pid_t r;
    while ((r = waitpid(e->pid, &st, WNOHANG)) == 0 && et_now_ms() < deadline)
        sleep_ms(20);
    if (r == 0) {
        kill(e->pid, SIGKILL);
        waitpid(e->pid, &st, 0);
    }
    e->pid = 0;
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (rc != 0 || getenv("ET_KEEP_LOGS")) {
        fprintf(stderr, "slackemu exit status %d; log kept in %s\n", rc, e->log);
    } else {
        remove_dir(e->dir);
        e->dir[0] = '\0';
    }
    return rc;
}

/* ---------- HTTP ---------- */

struct sink {
    char *data;
    size_t len, cap;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct sink *s = ud;
    size_t n = size * nmemb;
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->data = xrealloc(s->data, s->cap);
    }
    memcpy(s->data + s->len, ptr, n);
    s->len += n;
    s->data[s->len] = '\0';
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct et_resp *r = ud;
    size_t n = size * nmemb;
    char line[256];
    size_t m = n < sizeof line - 1 ? n : sizeof line - 1;
    memcpy(line, ptr, m);
    line[m] = '\0';
    while (m && (line[m - 1] == '\r' || line[m - 1] == '\n'))
        line[--m] = '\0';
    if (!strncasecmp(line, "retry-after:", 12)) {
        const char *v = line + 12;
        while (*v == ' ')
            v++;
        snprintf(r->retry_after, sizeof r->retry_after, "%.31s", v);
    } else if (!strncasecmp(line, "content-type:", 13)) {
        const char *v = line + 13;
        while (*v == ' ')
            v++;
        snprintf(r->content_type, sizeof r->content_type, "%.127s", v);
    }
    return n;
}

static CURL *curl_handle(void)
{
    /* One handle per test process, so connections are reused as a client would. */
    static CURL *c;
    if (!c) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        c = curl_easy_init();
    }
    return c;
}

void et_resp_free(struct et_resp *r)
{
    free(r->body);
    cJSON_Delete(r->json);
    memset(r, 0, sizeof *r);
}

bool et_http(const struct et_emu *e, const char *verb, const char *path, const char *ctype,
             const char *body, size_t len, const char *auth, struct et_resp *out)
{
    memset(out, 0, sizeof *out);
    CURL *c = curl_handle();
    if (!c)
        return false;
    curl_easy_reset(c);
    char url[4096];
    snprintf(url, sizeof url, "%s%s", e->base, path);
    struct curl_slist *h = NULL;
    char hdr[4096];
    if (ctype) {
        snprintf(hdr, sizeof hdr, "Content-Type: %s", ctype);
        h = curl_slist_append(h, hdr);
    } else {
        h = curl_slist_append(h, "Content-Type:"); /* none at all, not curl's default */
    }
    if (auth) {
        snprintf(hdr, sizeof hdr, "Authorization: %s", auth);
        h = curl_slist_append(h, hdr);
    }
    h = curl_slist_append(h, "Expect:");
    struct sink s = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, verb);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else if (!strcmp(verb, "POST")) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)HTTP_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(h);
    if (rc != CURLE_OK) {
        free(s.data);
        return false;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    out->body = s.data ? s.data : xstrdup("");
    out->len = s.len;
    out->json = cJSON_ParseWithLength(out->body, out->len);
    return true;
}

static cJSON *call(const struct et_emu *e, const char *verb, const char *path, const char *ctype,
                   const char *body, const char *token)
{
    char auth[600];
    if (token)
        snprintf(auth, sizeof auth, "Bearer %s", token);
    struct et_resp r;
    if (!et_http(e, verb, path, ctype, body, body ? strlen(body) : 0, token ? auth : NULL, &r))
        return NULL;
    cJSON *j = r.json;
    r.json = NULL;
    et_resp_free(&r);
    return j;
}

cJSON *et_api(const struct et_emu *e, const char *method, const char *token, const char *json)
{
    char path[256];
    snprintf(path, sizeof path, "/api/%s", method);
    return call(e, "POST", path, json ? "application/json; charset=utf-8" : NULL, json, token);
}

cJSON *et_api_form(const struct et_emu *e, const char *method, const char *token, const char *form)
{
    char path[256];
    snprintf(path, sizeof path, "/api/%s", method);
    return call(e, "POST", path, "application/x-www-form-urlencoded", form, token);
}

cJSON *et_ctl(const struct et_emu *e, const char *path, const char *json)
{
    char p[512];
    snprintf(p, sizeof p, "/_emu/%s", path);
    return call(e, "POST", p, json ? "application/json" : NULL, json, NULL);
}

cJSON *et_ctl_get(const struct et_emu *e, const char *path)
{
    char p[1024];
    snprintf(p, sizeof p, "/_emu/%s", path);
    return call(e, "GET", p, NULL, NULL, NULL);
}

/* ---------- WebSocket ---------- */

static void b64(const unsigned char *in, size_t n, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = t[(v >> 18) & 63];
        out[o++] = t[(v >> 12) & 63];
        out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? t[v & 63] : '=';
    }
    out[o] = '\0';
}

static bool write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Reads more into the buffer; false on timeout or EOF. */
static bool fill(struct et_ws *w, long long deadline)
{
    if (w->fd < 0)
        return false;
    long long left = deadline - et_now_ms();
    if (left < 0)
        left = 0;
    struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
    int pr = poll(&pfd, 1, (int)left);
    if (pr <= 0)
        return false;
    if (w->cap - w->len < 65536) {
        w->cap = w->cap ? w->cap * 2 : 131072;
        w->buf = xrealloc(w->buf, w->cap);
    }
    ssize_t n = read(w->fd, w->buf + w->len, w->cap - w->len);
    if (n <= 0) {
        w->closed = true;
        return false;
    }
    w->len += (size_t)n;
    return true;
}

bool et_ws_connect(struct et_ws *w, const char *url, int *status)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    *status = 0;
    if (strncmp(url, "ws://", 5) != 0)
        return false;
    const char *hp = url + 5;
    const char *path = strchr(hp, '/');
    if (!path)
        path = "/";
    char host[64];
    snprintf(host, sizeof host, "%.*s", (int)(path - hp), hp);
    char *colon = strrchr(host, ':');
    int port = 80;
    if (colon) {
        *colon = '\0';
        port = (int)strtol(colon + 1, NULL, 10);
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return false;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    unsigned char key[16];
    for (int i = 0; i < 16; i++)
        key[i] = (unsigned char)(rand() & 0xff);
    char k64[32];
    b64(key, 16, k64);
    char req[2048];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     path, host, port, k64);
    w->fd = fd;
    if (n < 0 || (size_t)n >= sizeof req || !write_all(fd, req, (size_t)n)) {
        et_ws_close(w);
        return false;
    }
    long long deadline = et_now_ms() + 30000;
    char *end = NULL;
    while (!end) {
        if (!fill(w, deadline)) {
            if (w->len > 12)
                *status = (int)strtol((char *)w->buf + 9, NULL, 10);
            et_ws_close(w);
            return false;
        }
        w->buf[w->len < w->cap ? w->len : w->cap - 1] = '\0';
        end = strstr((char *)w->buf, "\r\n\r\n");
    }
    *status = (int)strtol((char *)w->buf + 9, NULL, 10);
    size_t hlen = (size_t)(end + 4 - (char *)w->buf);
    memmove(w->buf, w->buf + hlen, w->len - hlen);
    w->len -= hlen;
    if (*status != 101) {
        et_ws_close(w);
        return false;
    }
    return true;
}

bool et_ws_send_frame(struct et_ws *w, int opcode, const void *data, size_t len, bool fin,
                      bool mask)
{
    if (w->fd < 0)
        return false;
    unsigned char *f = xmalloc(len + 14);
    size_t o = 0;
    f[o++] = (unsigned char)((fin ? 0x80 : 0) | (opcode & 0x0f));
    unsigned char mbit = mask ? 0x80 : 0;
    if (len < 126) {
        f[o++] = (unsigned char)(mbit | len);
    } else if (len < 65536) {
        f[o++] = mbit | 126;
        f[o++] = (unsigned char)(len >> 8);
        f[o++] = (unsigned char)len;
    } else {
        f[o++] = mbit | 127;
        for (int i = 7; i >= 0; i--)
            f[o++] = (unsigned char)((unsigned long long)len >> (8 * i));
    }
    unsigned char mk[4] = {0x12, 0x34, 0x56, 0x78};
    if (mask) {
        for (int i = 0; i < 4; i++)
            mk[i] = (unsigned char)(rand() & 0xff);
        memcpy(f + o, mk, 4);
        o += 4;
    }
    const unsigned char *d = data;
    for (size_t i = 0; i < len; i++)
        f[o + i] = mask ? (unsigned char)(d[i] ^ mk[i & 3]) : d[i];
    bool ok = write_all(w->fd, f, o + len);
    free(f);
    return ok;
}

bool et_ws_send_text(struct et_ws *w, const char *text)
{
    return et_ws_send_frame(w, 1, text, strlen(text), true, true);
}

bool et_ws_send_raw(struct et_ws *w, const void *data, size_t len)
{
    return w->fd >= 0 && write_all(w->fd, data, len);
}

/* One frame of any kind; 1, 0 (timeout) or -1 (closed). */
static int recv_frame(struct et_ws *w, long long deadline, int *op, bool *fin, char **data,
                      size_t *len)
{
    for (;;) {
        if (w->len >= 2) {
            size_t need = 2, plen = w->buf[1] & 0x7f;
            if (plen == 126)
                need = 4;
            else if (plen == 127)
                need = 10;
            bool masked = w->buf[1] & 0x80;
            if (w->len >= need) {
                if (plen == 126)
                    plen = (size_t)w->buf[2] << 8 | w->buf[3];
                else if (plen == 127) {
                    plen = 0;
                    for (int i = 0; i < 8; i++)
                        plen = plen << 8 | w->buf[2 + i];
                }
                if (plen > ET_MAX_FRAME)
                    return -1;
                size_t hdr = need + (masked ? 4 : 0);
                if (w->len >= hdr + plen) {
                    *op = w->buf[0] & 0x0f;
                    *fin = w->buf[0] & 0x80;
                    *data = xmalloc(plen + 1);
                    memcpy(*data, w->buf + hdr, plen);
                    if (masked)
                        for (size_t i = 0; i < plen; i++)
                            (*data)[i] ^= w->buf[need + (i & 3)];
                    (*data)[plen] = '\0';
                    *len = plen;
                    memmove(w->buf, w->buf + hdr + plen, w->len - hdr - plen);
                    w->len -= hdr + plen;
                    return 1;
                }
            }
        }
        if (w->closed)
            return -1;
        if (!fill(w, deadline))
            return w->closed ? -1 : 0;
    }
}

int et_ws_recv(struct et_ws *w, int timeout_ms, int *opcode, char **data, size_t *len)
{
    long long deadline = et_now_ms() + timeout_ms;
    struct buf_acc {
        char *d;
        size_t n;
        int op;
    } acc = {NULL, 0, 0};
    for (;;) {
        int op;
        bool fin;
        char *d;
        size_t n;
        int r = recv_frame(w, deadline, &op, &fin, &d, &n);
        if (r <= 0) {
            free(acc.d);
            return r;
        }
        if (op == 9) { /* ping: answer */
            w->pings_seen++;
            et_ws_send_frame(w, 10, d, n, true, true);
            free(d);
            continue;
        }
        if (op == 10) {
            free(d);
            continue;
        }
        if (op == 8) {
            if (n >= 2)
                w->close_code = ((unsigned char)d[0] << 8) | (unsigned char)d[1];
            et_ws_send_frame(w, 8, d, n >= 2 ? 2 : 0, true, true);
            free(d);
            free(acc.d);
            w->closed = true;
            return -1;
        }
        if (op != 0)
            acc.op = op;
        acc.d = xrealloc(acc.d, acc.n + n + 1);
        memcpy(acc.d + acc.n, d, n);
        acc.n += n;
        acc.d[acc.n] = '\0';
        free(d);
        if (fin) {
            *opcode = acc.op;
            *data = acc.d;
            *len = acc.n;
            return 1;
        }
    }
}

cJSON *et_ws_recv_json(struct et_ws *w, int timeout_ms)
{
    int op;
    char *d;
    size_t n;
    if (et_ws_recv(w, timeout_ms, &op, &d, &n) != 1)
        return NULL;
    cJSON *j = op == 1 ? cJSON_ParseWithLength(d, n) : NULL;
    free(d);
    return j;
}

bool et_ws_wait_closed(struct et_ws *w, int timeout_ms)
{
    long long deadline = et_now_ms() + timeout_ms;
    while (et_now_ms() < deadline) {
        int op;
        char *d;
        size_t n;
        int r = et_ws_recv(w, (int)(deadline - et_now_ms()), &op, &d, &n);
        if (r < 0)
            return true;
        if (r == 1)
            free(d);
    }
    return false;
}

bool et_ws_ping(struct et_ws *w, const char *payload, int timeout_ms)
{
    size_t plen = strlen(payload);
    if (!et_ws_send_frame(w, 9, payload, plen, true, true))
        return false;
    long long deadline = et_now_ms() + timeout_ms;
    for (;;) {
        int op;
        bool fin;
        char *d;
        size_t n;
        int r = recv_frame(w, deadline, &op, &fin, &d, &n);
        if (r <= 0)
            return false;
        bool match = op == 10 && n == plen && memcmp(d, payload, n) == 0;
        if (op == 9)
            et_ws_send_frame(w, 10, d, n, true, true);
        free(d);
        if (match)
            return true;
    }
}

void et_ws_close(struct et_ws *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

cJSON *et_socket_open(const struct et_emu *e, struct et_ws *w, const char *app_token)
{
    cJSON *r = et_api(e, "apps.connections.open", app_token, NULL);
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(r, "url");
    int status;
    bool ok = cJSON_IsString(url) && et_ws_connect(w, url->valuestring, &status);
    cJSON_Delete(r);
    if (!ok)
        return NULL;
    cJSON *hello = et_ws_recv_json(w, 30000);
    if (!hello)
        et_ws_close(w);
    return hello;
}

/* ---------- JSON ---------- */

static const char *type_name(const cJSON *j)
{
    if (cJSON_IsNull(j))
        return "null";
    if (cJSON_IsBool(j))
        return "boolean";
    if (cJSON_IsNumber(j))
        return "number";
    if (cJSON_IsString(j))
        return "string";
    if (cJSON_IsArray(j))
        return "array";
    if (cJSON_IsObject(j))
        return "object";
    return "invalid";
}

static bool shape(const cJSON *want, const cJSON *got, char *path, size_t pathsz, char *why,
                  size_t whysz)
{
    if (strcmp(type_name(want), type_name(got)) != 0) {
        snprintf(why, whysz, "%s: want %s, got %s", path[0] ? path : "/", type_name(want),
                 type_name(got));
        return false;
    }
    size_t plen = strlen(path);
    if (cJSON_IsObject(want)) {
        const cJSON *it;
        cJSON_ArrayForEach(it, want)
        {
            const cJSON *g = cJSON_GetObjectItemCaseSensitive(got, it->string);
            snprintf(path + plen, pathsz - plen, "/%s", it->string);
            if (!g) {
                snprintf(why, whysz, "%s: missing", path);
                return false;
            }
            if (!shape(it, g, path, pathsz, why, whysz))
                return false;
            path[plen] = '\0';
        }
        cJSON_ArrayForEach(it, got)
        {
            if (!cJSON_GetObjectItemCaseSensitive(want, it->string)) {
                snprintf(why, whysz, "%s/%s: unexpected key", path, it->string);
                return false;
            }
        }
    } else if (cJSON_IsArray(want)) {
        int n = cJSON_GetArraySize(want), m = cJSON_GetArraySize(got);
        for (int i = 0; i < n && i < m; i++) {
            snprintf(path + plen, pathsz - plen, "/%d", i);
            if (!shape(cJSON_GetArrayItem(want, i), cJSON_GetArrayItem(got, i), path, pathsz, why,
                       whysz))
                return false;
            path[plen] = '\0';
        }
    }
    return true;
}

bool et_same_shape(const cJSON *want, const cJSON *got, char *why, size_t whysz)
{
    char path[1024] = "";
    why[0] = '\0';
    return shape(want, got, path, sizeof path, why, whysz);
}

char *et_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0;
    char *d = xmalloc(cap);
    size_t r;
    while ((r = fread(d + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n < 2) {
            cap *= 2;
            d = xrealloc(d, cap);
        }
    }
    fclose(f);
    d[n] = '\0';
    if (len)
        *len = n;
    return d;
}

cJSON *et_read_json(const char *path)
{
    size_t n;
    char *d = et_read_file(path, &n);
    if (!d)
        return NULL;
    cJSON *j = cJSON_ParseWithLength(d, n);
    free(d);
    return j;
}
