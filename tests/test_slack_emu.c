/* Starting, driving and stopping a private slackemu for the slack/ loopback tests. */
#include "test_slack_emu.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"

long long emu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void emu_sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The port from "... listening on http://HOST:PORT" in the log, or 0. */
static int read_port(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char line[512];
    int port = 0;
    while (port == 0 && fgets(line, sizeof(line), f)) {
        const char *p = strstr(line, "listening on http://");
        if (p == NULL)
            continue;
        p = strrchr(p, ':');
        if (p == NULL)
            continue;
        char *end;
        long v = strtol(p + 1, &end, 10);
        if (v > 0 && v < 65536)
            port = (int)v;
    }
    fclose(f);
    return port;
}

bool emu_start(struct emu_proc *e, const char *bin, const char *const *extra)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->log_path, sizeof(e->log_path), "/tmp/slackemu-log-XXXXXX");
    int fd = mkstemp(e->log_path);
    if (fd < 0) {
        perror("mkstemp");
        return false;
    }
    const char *argv[32];
    int n = 0;
    argv[n++] = bin;
    argv[n++] = "--port";
    argv[n++] = "0";
    for (int i = 0; extra && extra[i] && n < 30; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        close(fd);
        return false;
    }
    if (pid == 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(fd);
    e->pid = pid;
    long long deadline = emu_now_ms() + 20000;
    while (emu_now_ms() < deadline) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            fprintf(stderr, "slackemu exited before listening (log %s)\n", e->log_path);
            e->pid = 0;
            return false;
        }
        if ((e->port = read_port(e->log_path)) != 0)
            break;
        emu_sleep_ms(20);
    }
    if (e->port == 0) {
        fprintf(stderr, "slackemu did not print its port within 20 s (log %s)\n", e->log_path);
        emu_stop(e, true);
        return false;
    }
    snprintf(e->base, sizeof(e->base), "http://127.0.0.1:%d", e->port);
    snprintf(e->api_base, sizeof(e->api_base), "http://127.0.0.1:%d/api/", e->port);
    return true;
}

void emu_stop(struct emu_proc *e, bool keep_log)
{
    if (e->pid > 0) {
        kill(e->pid, SIGTERM);
        int st;
        long long deadline = emu_now_ms() + 10000;
        while (waitpid(e->pid, &st, WNOHANG) == 0) {
            if (emu_now_ms() > deadline) {
                kill(e->pid, SIGKILL);
                waitpid(e->pid, &st, 0);
                break;
            }
            emu_sleep_ms(10);
        }
        e->pid = 0;
    }
    if (keep_log) {
        fprintf(stderr, "slackemu log kept in %s\n", e->log_path);
    } else if (e->log_path[0]) {
        unlink(e->log_path);
    }
}

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    return buf_add(ud, p, size * n) == BOT_OK ? size * n : 0;
}

static cJSON *request(const struct emu_proc *e, const char *cmd, const char *body, long *status)
{
    char url[256];
    struct buf b;
    cJSON *out = NULL;
    snprintf(url, sizeof(url), "%s/_emu/%s", e->base, cmd);
    buf_init(&b, 64 * 1024 * 1024);
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    if (body) {
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    }
    CURLcode cc = curl_easy_perform(h);
    long st = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
    if (status)
        *status = st;
    if (cc == CURLE_OK)
        out = cJSON_ParseWithLength(b.data ? b.data : "", b.len);
    if (cc != CURLE_OK || out == NULL)
        fprintf(stderr, "emulator /_emu/%s: %s (HTTP %ld): %.300s\n", cmd, curl_easy_strerror(cc),
                st, buf_str(&b));
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    buf_free(&b);
    return out;
}

cJSON *emu_ctl(const struct emu_proc *e, const char *cmd, const char *body, long *status)
{
    return request(e, cmd, body ? body : "{}", status);
}

cJSON *emu_get(const struct emu_proc *e, const char *cmd, long *status)
{
    return request(e, cmd, NULL, status);
}
