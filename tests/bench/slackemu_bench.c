/*
 * slackemu_bench: how fast slackemu delivers Socket Mode envelopes and
 * measures acks. It starts the real slackemu on port 0, opens Socket Mode
 * connections, asks /_emu/flood for COUNT envelopes at RATE per second,
 * acks every envelope the moment it arrives, and prints the emulator's
 * own numbers from /_emu/stats (achieved rate, send-to-ack latency
 * percentiles in microseconds, timeouts, retries). It exits non-zero when
 * the achieved rate is under 95% of the asked rate or any envelope went
 * unacked, so it can gate the ">= 5,000 envelopes/s" requirement.
 *
 * usage: slackemu_bench SLACKEMU [--rate N] [--count N] [--conns N] [--type
 * events_api|slash_commands]
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "et.h"
#include "xmalloc.h"

#define APP_TOKEN "xapp-1-A0EMU1NCDNT-bench-0123456789abcdef"
#define MAX_CONNS 10

static long arg_long(const char *name, const char *v, long min, long max)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < min || n > max) {
        fprintf(stderr, "slackemu_bench: %s must be a number in [%ld, %ld]\n", name, min, max);
        exit(2);
    }
    return n;
}

static double num(const cJSON *o, const char *a, const char *b)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        it = cJSON_GetObjectItemCaseSensitive(it, b);
    return cJSON_IsNumber(it) ? it->valuedouble : -1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SLACKEMU [--rate N] [--count N] [--conns N] [--type T]\n",
                argv[0]);
        return 2;
    }
    xmalloc_init_cjson();
    long rate = 5000, count = 50000, nconns = 2;
    const char *type = "events_api";
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rate"))
            rate = arg_long("--rate", argv[i + 1], 1, 1000000);
        else if (!strcmp(argv[i], "--count"))
            count = arg_long("--count", argv[i + 1], 1, 10000000);
        else if (!strcmp(argv[i], "--conns"))
            nconns = arg_long("--conns", argv[i + 1], 1, MAX_CONNS);
        else if (!strcmp(argv[i], "--type"))
            type = argv[i + 1];
        else {
            fprintf(stderr, "slackemu_bench: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    struct et_emu e = {0};
    /* Quiet (no per-request log lines), no rate limits, and an ack deadline long enough that
     * a slow client under load would show as latency rather than as retries. */
    const char *args[] = {"--quiet", "--no-rate-limits", "--ack-timeout-ms", "10000", NULL};
    if (!et_emu_start(&e, argv[1], args))
        return 1;
    struct et_ws w[MAX_CONNS];
    for (long i = 0; i < nconns; i++) {
        cJSON *hello = et_socket_open(&e, &w[i], APP_TOKEN);
        if (!hello) {
            fprintf(stderr, "slackemu_bench: cannot open connection %ld\n", i + 1);
            et_emu_stop(&e);
            return 1;
        }
        cJSON_Delete(hello);
    }
    cJSON_Delete(et_ctl_get(&e, "stats?reset=1"));
    char body[160];
    snprintf(body, sizeof body, "{\"count\":%ld,\"rate\":%ld,\"type\":\"%s\"}", count, rate, type);
    long long t0 = et_now_ms();
    cJSON *r = et_ctl(&e, "flood", body);
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"))) {
        char *s = cJSON_PrintUnformatted(r);
        fprintf(stderr, "slackemu_bench: flood refused: %s\n", s ? s : "(no answer)");
        free(s);
        cJSON_Delete(r);
        et_emu_stop(&e);
        return 1;
    }
    cJSON_Delete(r);

    long received = 0;
    long long deadline = t0 + (long long)count * 1000 / rate + 60000;
    struct pollfd pfd[MAX_CONNS];
    while (received < count && et_now_ms() < deadline) {
        for (long i = 0; i < nconns; i++)
            pfd[i] = (struct pollfd){.fd = w[i].fd, .events = POLLIN};
        if (poll(pfd, (nfds_t)nconns, 1000) <= 0)
            continue;
        for (long i = 0; i < nconns; i++) {
            if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int op;
            char *d;
            size_t n;
            while (et_ws_recv(&w[i], 0, &op, &d, &n) == 1) {
                /* Envelopes start with {"envelope_id":"<uuid>" — ack straight away. */
                const char *id = strstr(d, "\"envelope_id\":\"");
                if (id) {
                    char ack[96];
                    snprintf(ack, sizeof ack, "{\"envelope_id\":\"%.36s\",\"payload\":{}}",
                             id + 15);
                    et_ws_send_text(&w[i], ack);
                    received++;
                }
                free(d);
            }
        }
    }
    long long elapsed = et_now_ms() - t0;
    char wait[96];
    snprintf(wait, sizeof wait, "{\"acks\":%ld,\"timeout_ms\":10000}", count);
    cJSON_Delete(et_ctl(&e, "wait", wait));
    cJSON *st = et_ctl_get(&e, "stats");
    double achieved = num(st, "flood", "achieved_rate");
    double acked = num(st, "acked", NULL), timed_out = num(st, "timed_out", NULL);
    printf("slackemu_bench: %ld %s envelopes asked at %ld/s over %ld connection(s)\n", count, type,
           rate, nconns);
    printf("  delivered %.0f in %.3f s: %.0f envelopes/s (client saw %ld in %.3f s)\n",
           num(st, "flood", "sent"), num(st, "flood", "elapsed_s"), achieved, received,
           (double)elapsed / 1000.0);
    printf("  acked %.0f, timed out %.0f, retried %.0f\n", acked, timed_out,
           num(st, "retried", NULL));
    printf("  send->ack latency us: min %.0f p50 %.0f p90 %.0f p99 %.0f max %.0f mean %.1f\n",
           num(st, "latency_us", "min"), num(st, "latency_us", "p50"), num(st, "latency_us", "p90"),
           num(st, "latency_us", "p99"), num(st, "latency_us", "max"),
           num(st, "latency_us", "mean"));
    cJSON_Delete(st);
    for (long i = 0; i < nconns; i++)
        et_ws_close(&w[i]);
    int rc = et_emu_stop(&e);
    /* Judged on what the client saw arrive, not on what the emulator queued. */
    double client_rate = elapsed > 0 ? (double)received * 1000.0 / (double)elapsed : 0;
    printf("  client-observed rate %.0f envelopes/s\n", client_rate);
    bool ok =
        rc == 0 && acked >= (double)count && timed_out == 0 && client_rate >= 0.95 * (double)rate;
    printf("  %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
