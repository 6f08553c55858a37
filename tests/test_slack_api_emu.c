/*
 * The Web API client over loopback: against a private slackemu (argv[1] is
 * its binary) for real calls, JSON and form bodies, pagination, 429 with
 * Retry-After (the wait is read from the emulator's own request log, not
 * from a timer here), 5xx, hangs, dropped connections, unknown error codes,
 * deadlines and abort; and against a few canned raw HTTP answers from an
 * in-process socket (not JSON, cut off) that the emulator never sends.
 * Retries use injected sleep where the length of the wait is not the point,
 * so the suite stays fast; time bounds are generous upper limits only.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "slack_api.h"
#include "test_slack_emu.h"
#include "xmalloc.h"

static struct emu_proc emu;

/* ---- injected clock: sleeps are recorded and advance a fake clock ---- */

struct fake_time {
    int64_t now;
    int64_t slept_total;
    int64_t sleeps[32];
    int nsleeps;
};

static int64_t fake_now(void *ud)
{
    return ((struct fake_time *)ud)->now;
}

static void fake_sleep(void *ud, int64_t ms)
{
    struct fake_time *t = ud;
    t->now += ms;
    t->slept_total += ms;
    if (t->nsleeps < 32)
        t->sleeps[t->nsleeps++] = ms;
}

static struct slack_api *client(struct slack_api_opts *o, const struct slack_api_hooks *hooks)
{
    struct slack_api *c = NULL;
    struct bot_err err = {{0}};
    if (o->base_url == NULL)
        o->base_url = emu.api_base;
    if (o->token == NULL)
        o->token = "xoxb-test-token";
    o->hooks = hooks;
    if (slack_api_new(o, &c, &err) != BOT_OK) {
        fprintf(stderr, "slack_api_new: %s\n", err.msg);
        return NULL;
    }
    return c;
}

static void reset_emu(void)
{
    cJSON *r = emu_ctl(&emu, "reset", NULL, NULL);
    cJSON_Delete(r);
    r = emu_ctl(&emu, "ratelimits", "{\"enabled\":false}", NULL);
    cJSON_Delete(r);
}

static bool fault(const char *json)
{
    cJSON *r = emu_ctl(&emu, "fault", json, NULL);
    bool ok = r && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok"));
    cJSON_Delete(r);
    return ok;
}

/* How many times the emulator saw method (from /_emu/state "calls"). */
static int calls_of(const char *method)
{
    cJSON *st = emu_get(&emu, "state", NULL);
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(st, "calls");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(calls, method);
    int v = cJSON_IsNumber(n) ? n->valueint : 0;
    cJSON_Delete(st);
    return v;
}

/* ---- tests ------------------------------------------------------------- */

static void test_json_and_form_calls(void)
{
    reset_emu();
    struct slack_api_opts o = {.no_limiter = true};
    struct slack_api *c = client(&o, NULL);
    CHECK(c != NULL);
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};

    CHECK_INT(slack_api_call(c, "auth.test", NULL, &res, &err), BOT_OK);
    CHECK(res.ok);
    CHECK_INT(res.http_status, 200);
    CHECK_INT(res.attempts, 1);

    /* JSON body, with blocks as a real array */
    cJSON *a = cJSON_Parse("{\"channel\":\"general\",\"text\":\"db down <!channel>\","
                           "\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\","
                           "\"text\":\"db down\"}}]}");
    CHECK_INT(slack_api_call(c, "chat.postMessage", a, &res, &err), BOT_OK);
    cJSON_Delete(a);
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(res.body, "ts");
    CHECK(cJSON_IsString(ts) && ts->valuestring[0] != '\0');

    /* form body (users.info does not take JSON) */
    a = cJSON_Parse("{\"user\":\"U0ALICE0001\",\"include_locale\":true}");
    CHECK_INT(slack_api_call(c, "users.info", a, &res, &err), BOT_OK);
    cJSON_Delete(a);
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(res.body, "user");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(user, "name")), "alice");

    a = cJSON_Parse("{\"email\":\"alice@acme-ops.example\"}");
    CHECK_INT(slack_api_call(c, "users.lookupByEmail", a, &res, &err), BOT_OK);
    cJSON_Delete(a);

    /* Slack errors come back typed */
    a = cJSON_Parse("{\"user\":\"U0NOBODY000\"}");
    CHECK_INT(slack_api_call(c, "users.info", a, &res, &err), BOT_EREMOTE);
    cJSON_Delete(a);
    CHECK_STR(res.error, "user_not_found");
    CHECK_INT(slack_api_error_class(res.error), SLACK_ERRC_REQUEST);
    CHECK_CONTAINS(err.msg, "users.info: user_not_found");
    CHECK(strstr(err.msg, "xoxb") == NULL);

    a = cJSON_Parse("{\"name\":\"Bad Name!\"}");
    CHECK_INT(slack_api_call(c, "conversations.create", a, &res, &err), BOT_EREMOTE);
    cJSON_Delete(a);
    CHECK(strncmp(res.error, "invalid_name", 12) == 0);

    CHECK_INT(calls_of("users.info"), 2);
    slack_api_result_free(&res);
    slack_api_free(c);
}

static void test_bad_token_is_auth_error(void)
{
    reset_emu();
    struct slack_api_opts o = {.no_limiter = true, .token = "xapp-1-not-a-bot-token"};
    struct slack_api *c = client(&o, NULL);
    CHECK(c != NULL);
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    CHECK_INT(slack_api_call(c, "chat.postMessage", NULL, &res, &err), BOT_EREMOTE);
    CHECK_INT(slack_api_error_class(res.error), SLACK_ERRC_AUTH);
    CHECK(strstr(err.msg, "not-a-bot-token") == NULL);
    slack_api_result_free(&res);
    slack_api_free(c);
}

struct pages {
    int pages;
    int members;
    int stop_after;
};

static enum bot_rc on_page(void *ud, struct slack_api_result *page, bool *more, struct bot_err *err)
{
    (void)err;
    struct pages *p = ud;
    p->pages++;
    p->members += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(page->body, "members"));
    if (p->stop_after && p->pages == p->stop_after)
        *more = false;
    return BOT_OK;
}

static void test_pagination(void)
{
    reset_emu();
    struct slack_api_opts o = {.no_limiter = true};
    struct slack_api *c = client(&o, NULL);
    CHECK(c != NULL);
    struct bot_err err = {{0}};
    struct slack_api_result res = {0};

    CHECK_INT(slack_api_call(c, "users.list", NULL, &res, &err), BOT_OK);
    int total = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res.body, "members"));
    slack_api_result_free(&res);
    CHECK(total >= 3);

    cJSON *a = cJSON_Parse("{\"limit\":2}");
    struct pages p = {0};
    CHECK_INT(slack_api_paginate(c, "users.list", a, 0, on_page, &p, &err), BOT_OK);
    CHECK_INT(p.members, total);
    CHECK_INT(p.pages, (total + 1) / 2);

    struct pages q = {.stop_after = 1};
    CHECK_INT(slack_api_paginate(c, "users.list", a, 0, on_page, &q, &err), BOT_OK);
    CHECK_INT(q.pages, 1);

    struct pages r = {0};
    CHECK_INT(slack_api_paginate(c, "users.list", a, 1, on_page, &r, &err), BOT_ETOOBIG);
    cJSON_Delete(a);
    slack_api_free(c);
}

/* Milliseconds of "YYYY-MM-DDTHH:MM:SS.mmmZ" at the start of a log line, or -1. */
static long long log_ms(const char *line)
{
    struct tm tm;
    int ms;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(line, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
        return -1;
    long long days_ms =
        ((long long)tm.tm_mday * 24 * 3600 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) * 1000;
    return days_ms + ms; /* same month in one test run; enough for differences */
}

/* Times (ms) at which the emulator logged requests containing needle; returns the count. */
static int log_times(const char *needle, long long *out, int max)
{
    FILE *f = fopen(emu.log_path, "r");
    int n = 0;
    char line[1024];
    if (f == NULL)
        return 0;
    while (n < max && fgets(line, sizeof(line), f))
        if (strstr(line, needle) && log_ms(line) >= 0)
            out[n++] = log_ms(line);
    fclose(f);
    return n;
}

static void test_429_waits_retry_after(void)
{
    reset_emu();
    /* The real clock: Slack's Retry-After is honoured by actually waiting. */
    struct slack_api_opts o = {.no_limiter = true};
    struct slack_api *c = client(&o, NULL);
    CHECK(c != NULL);
    CHECK(fault("{\"method\":\"team.info\",\"mode\":\"429\",\"retry_after\":2,\"next\":1}"));
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    CHECK_INT(slack_api_call(c, "team.info", NULL, &res, &err), BOT_OK);
    CHECK_INT(res.attempts, 2);
    CHECK_INT(res.retry_after_ms, 2000);
    CHECK(res.waited_ms >= 2000);
    /* The emulator's log says when each request arrived. */
    long long t[4];
    int n = log_times("POST /api/team.info", t, 4);
    CHECK_INT(n, 2);
    CHECK_MSG(t[1] - t[0] >= 1990, "second request %lld ms after the 429", t[1] - t[0]);
    slack_api_result_free(&res);
    slack_api_free(c);
}

static void test_429_too_long_is_returned(void)
{
    reset_emu();
    struct fake_time ft = {0};
    struct slack_api_hooks h = {fake_now, fake_sleep, NULL, &ft};
    struct slack_api_opts o = {.no_limiter = true, .max_retry_after_ms = 30000};
    struct slack_api *c = client(&o, &h);
    CHECK(c != NULL);
    CHECK(fault("{\"method\":\"auth.test\",\"mode\":\"429\",\"retry_after\":120,\"next\":1}"));
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    CHECK_INT(slack_api_call(c, "auth.test", NULL, &res, &err), BOT_ERATELIMIT);
    CHECK_INT(res.attempts, 1);
    CHECK_INT(res.retry_after_ms, 120000);
    CHECK_INT(ft.slept_total, 0);
    CHECK_CONTAINS(err.msg, "Retry-After 120");
    slack_api_result_free(&res);
    slack_api_free(c);
}

static void test_429_penalizes_the_shared_limiter(void)
{
    reset_emu();
    struct fake_time ft = {.now = 1000000};
    struct slack_api_hooks h = {fake_now, fake_sleep, NULL, &ft};
    struct slack_rl *rl = slack_rl_new();
    struct slack_api_opts o = {.limiter = rl};
    struct slack_api *c1 = client(&o, &h);
    struct slack_api_opts o2 = {.limiter = rl};
    struct slack_api *c2 = client(&o2, &h);
    CHECK(c1 && c2);
    CHECK(fault("{\"method\":\"views.publish\",\"mode\":\"429\",\"retry_after\":5,\"next\":1}"));
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    CHECK_INT(slack_api_call(c1, "views.publish", NULL, &res, &err), BOT_EREMOTE); /* no args */
    CHECK_INT(res.attempts, 2);
    CHECK(ft.slept_total >= 5000);
    /* The other thread's client now queues behind the penalty instead of hitting a 429. */
    int64_t wait;
    CHECK_INT(slack_rl_acquire(rl, "views.publish", NULL, ft.now - 4000, 60000, &wait), BOT_OK);
    CHECK(wait > 0);
    slack_api_result_free(&res);
    slack_api_free(c1);
    slack_api_free(c2);
    slack_rl_free(rl);
}

/* Posts n messages to one channel as fast as the client lets it; returns the 429s seen. */
static int post_burst(struct slack_api *c, int n, int *failures)
{
    int retried = 0;
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    *failures = 0;
    for (int i = 0; i < n; i++) {
        cJSON *a = cJSON_Parse("{\"channel\":\"C0GENERAL01\",\"text\":\"update\"}");
        if (slack_api_call(c, "chat.postMessage", a, &res, &err) != BOT_OK)
            (*failures)++;
        if (res.attempts > 1)
            retried++;
        cJSON_Delete(a);
    }
    slack_api_result_free(&res);
    return retried;
}

static void test_limiter_avoids_429(void)
{
    reset_emu();
    cJSON_Delete(emu_ctl(&emu, "ratelimits", "{\"enabled\":true}", NULL));
    /* Without the limiter, a burst to one channel runs into Slack's ~1/s per channel ... */
    struct slack_api_opts o = {.no_limiter = true};
    struct slack_api *c = client(&o, NULL);
    CHECK(c != NULL);
    int failures;
    int retried = post_burst(c, 8, &failures);
    slack_api_free(c);
    CHECK_INT(failures, 0); /* Retry-After made them succeed anyway */
    CHECK_MSG(retried > 0, "the emulator never answered 429; the test proves nothing");
    long long t[64];
    int seen = log_times("POST /api/chat.postMessage 429", t, 64);
    CHECK(seen > 0);

    /* ... with it (the real clock), the client spaces the calls and never sees a 429. */
    reset_emu();
    cJSON_Delete(emu_ctl(&emu, "ratelimits", "{\"enabled\":true}", NULL));
    struct slack_api_opts o2 = {0};
    c = client(&o2, NULL);
    CHECK(c != NULL);
    retried = post_burst(c, 8, &failures);
    slack_api_free(c);
    CHECK_INT(failures, 0);
    CHECK_INT(retried, 0);
    CHECK_INT(log_times("POST /api/chat.postMessage 429", t, 64),
              seen); /* none in the emulator's log */
}

static void test_5xx_retried_with_backoff(void)
{
    reset_emu();
    struct fake_time ft = {0};
    struct slack_api_hooks h = {fake_now, fake_sleep, NULL, &ft};
    struct slack_api_opts o = {.no_limiter = true, .backoff_base_ms = 400, .backoff_cap_ms = 10000};
    struct slack_api *c = client(&o, &h);
    CHECK(c != NULL);
    CHECK(fault("{\"method\":\"auth.test\",\"mode\":\"500\",\"next\":2}"));
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    CHECK_INT(slack_api_call(c, "auth.test", NULL, &res, &err), BOT_OK);
    CHECK_INT(res.attempts, 3);
    CHECK_INT(ft.nsleeps, 2);
    CHECK(ft.sleeps[0] >= 200 && ft.sleeps[0] <= 400);
    CHECK(ft.sleeps[1] >= 400 && ft.sleeps[1] <= 800);

    /* more failures than attempts: a clear error, with the HTML body never parsed as JSON */
    CHECK(fault("{\"method\":\"auth.test\",\"mode\":\"500\",\"next\":10}"));
    CHECK_INT(slack_api_call(c, "auth.test", NULL, &res, &err), BOT_EREMOTE);
    CHECK_INT(res.attempts, 4);
    CHECK_CONTAINS(err.msg, "gave up after 4 attempts: HTTP 500");
    CHECK(res.ambiguous);

    /* a caller that cannot risk running it twice is told instead */
    CHECK_INT(slack_api_call_ex(c, "auth.test", NULL, SLACK_API_NO_AMBIGUOUS_RETRY, &res, &err),
              BOT_EREMOTE);
    CHECK_INT(res.attempts, 1);
    CHECK(res.ambiguous);
    slack_api_result_free(&res);
    slack_api_free(c);
}

static void test_hang_times_out(void)
{
    reset_emu();
    struct fake_time ft = {0};
    struct slack_api_hooks h = {fake_now, fake_sleep, NULL, &ft};
    struct slack_api_opts o = {.no_limiter = true, .timeout_ms = 500, .max_attempts = 2};
    struct slack_api *c = client(&o, &h);
    CHECK(c != NULL);
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    long long t0 = emu_now_ms();
    CHECK(fault("{\"method\":\"auth.test\",\"mode\":\"hang\",\"next\":1}"));
    CHECK_INT(slack_api_call(c, "auth.test", NULL, &res, &err), BOT_OK);
    CHECK_INT(res.attempts, 2);
    CHECK(fault("{\"method\":\"auth.test\",\"mode\":\"hang\",\"next\":5}"));
    CHECK_INT(slack_api_call(c, "auth.test", NULL, &res, &err), BOT_ENET);
    CHECK_INT(res.attempts, 2);
    CHECK(res.ambiguous);
    CHECK_CONTAINS(err.msg, "timed out");
    CHECK_MSG(emu_now_ms() - t0 < 30000, "hangs took %lld ms", emu_now_ms() - t0);
    slack_api_result_free(&res);
    slack_api_free(c);
}

static void test_dropped_connection_retried(void)
{
    reset_emu();
    struct fake_time ft = {0};
    struct slack_api_hooks h = {fake_now, fake_sleep, NULL, &ft};
    struct slack_api_opts o = {.no_limiter = true};
    struct slack_api *c = client(&o, &h);
    CHECK(c != NULL);
    CHECK(fault("{\"method\":\"auth.test\",\"mode\":\"close\",\"next\":1}"));
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    CHECK_INT(slack_api_call(c, "auth.test", NULL, &res, &err), BOT_OK);
    CHECK_INT(res.attempts, 2);
    slack_api_result_free(&res);
    slack_api_free(c);
}

static void test_unknown_error_code(void)
{
    reset_emu();
    struct slack_api_opts o = {.no_limiter = true};
    struct slack_api *c = client(&o, NULL);
    CHECK(c != NULL);
    CHECK(fault("{\"method\":\"auth.test\",\"mode\":\"error\",\"error\":\"quantum_flux\"}"));
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    CHECK_INT(slack_api_call(c, "auth.test", NULL, &res, &err), BOT_EREMOTE);
    CHECK_STR(res.error, "quantum_flux");
    CHECK_INT(slack_api_error_class(res.error), SLACK_ERRC_UNKNOWN);
    CHECK_CONTAINS(err.msg, "unknown Slack error \"quantum_flux\"");
    CHECK_INT(res.attempts, 1);
    slack_api_result_free(&res);
    slack_api_free(c);
}

static void test_deadline_bounds_the_call(void)
{
    reset_emu();
    /* Real clock: 1.5 s latency, 1 s per attempt, 2.5 s for the call. */
    struct slack_api_opts o = {.no_limiter = true,
                               .timeout_ms = 1000,
                               .deadline_ms = 2500,
                               .max_attempts = 10,
                               .backoff_base_ms = 100};
    struct slack_api *c = client(&o, NULL);
    CHECK(c != NULL);
    CHECK(fault("{\"method\":\"auth.test\",\"latency_ms\":1500}"));
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    long long t0 = emu_now_ms();
    CHECK_INT(slack_api_call(c, "auth.test", NULL, &res, &err), BOT_ENET);
    long long took = emu_now_ms() - t0;
    CHECK(res.attempts >= 1 && res.attempts < 10);
    CHECK_MSG(took < 15000, "call took %lld ms", took);
    slack_api_result_free(&res);
    slack_api_free(c);
}

struct aborter {
    struct slack_api *c;
    long ms;
};

static void *abort_later(void *arg)
{
    struct aborter *a = arg;
    emu_sleep_ms(a->ms);
    slack_api_abort(a->c);
    return NULL;
}

static void test_abort_from_another_thread(void)
{
    reset_emu();
    struct slack_api_opts o = {.no_limiter = true, .timeout_ms = 60000};
    struct slack_api *c = client(&o, NULL);
    CHECK(c != NULL);
    CHECK(fault("{\"method\":\"auth.test\",\"mode\":\"hang\",\"next\":1}"));
    struct aborter ab = {c, 300};
    pthread_t th;
    pthread_create(&th, NULL, abort_later, &ab);
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    long long t0 = emu_now_ms();
    enum bot_rc rc = slack_api_call(c, "auth.test", NULL, &res, &err);
    long long took = emu_now_ms() - t0;
    pthread_join(th, NULL);
    CHECK_INT(rc, BOT_ENET);
    CHECK_CONTAINS(err.msg, "aborted");
    CHECK_MSG(took < 20000, "abort took %lld ms", took);
    CHECK_INT(slack_api_call(c, "auth.test", NULL, &res, &err), BOT_ENET); /* stays aborted */
    slack_api_result_free(&res);
    slack_api_free(c);
}

static void test_connection_refused(void)
{
    /* Nothing listens on port 1: a network error after the attempts, quickly. */
    struct fake_time ft = {0};
    struct slack_api_hooks h = {fake_now, fake_sleep, NULL, &ft};
    struct slack_api_opts o = {
        .no_limiter = true, .base_url = "http://127.0.0.1:1/api/", .max_attempts = 3};
    struct slack_api *c = client(&o, &h);
    CHECK(c != NULL);
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    CHECK_INT(slack_api_call(c, "auth.test", NULL, &res, &err), BOT_ENET);
    CHECK_INT(res.attempts, 3);
    CHECK(!res.ambiguous); /* a refused connect never reached Slack */
    CHECK_INT(ft.nsleeps, 2);
    slack_api_result_free(&res);
    slack_api_free(c);
}

static void test_response_url(void)
{
    reset_emu();
    struct slack_api_opts o = {0};
    struct slack_api *c = client(&o, NULL);
    CHECK(c != NULL);
    cJSON *r = emu_ctl(&emu, "slash", "{\"command\":\"/incident\",\"text\":\"help\"}", NULL);
    const char *u = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "response_url"));
    char url[512];
    snprintf(url, sizeof(url), "%s", u ? u : "");
    cJSON_Delete(r);
    CHECK(url[0] != '\0');
    cJSON *msg = cJSON_Parse("{\"response_type\":\"ephemeral\",\"text\":\"usage: /incident\"}");
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    CHECK_INT(slack_api_post_url(c, url, msg, &res, &err), BOT_OK);
    CHECK(res.ok);
    /* only http(s), and never with the token: the emulator would refuse a replayed URL anyway */
    CHECK_INT(slack_api_post_url(c, "ftp://127.0.0.1/x", msg, &res, &err), BOT_EINVAL);
    cJSON_Delete(msg);
    slack_api_result_free(&res);
    slack_api_free(c);
}

/* ---- canned raw answers the emulator does not produce -------------------- */

struct raw_server {
    int fd;
    int port;
    const char *answers[4]; /* one per connection, in order */
    int n;
    pthread_t th;
};

static void *raw_serve(void *arg)
{
    struct raw_server *s = arg;
    for (int i = 0; i < s->n; i++) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            break;
        char req[8192];
        size_t got = 0;
        /* read the headers and whatever body came with them; enough for these tests */
        while (got < sizeof(req) - 1) {
            ssize_t r = read(c, req + got, sizeof(req) - 1 - got);
            if (r <= 0)
                break;
            got += (size_t)r;
            req[got] = '\0';
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        const char *a = s->answers[i];
        size_t off = 0, len = strlen(a);
        while (off < len) {
            ssize_t w = write(c, a + off, len - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        close(c);
    }
    return NULL;
}

static bool raw_start(struct raw_server *s)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(s->fd, 8) != 0 || getsockname(s->fd, (struct sockaddr *)&sa, &sl) != 0)
        return false;
    s->port = ntohs(sa.sin_port);
    return pthread_create(&s->th, NULL, raw_serve, s) == 0;
}

static void raw_stop(struct raw_server *s)
{
    shutdown(s->fd, SHUT_RDWR);
    pthread_join(s->th, NULL);
    close(s->fd);
}

static void test_not_json_and_cut_off_answers(void)
{
    struct raw_server s = {
        .answers =
            {
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 22\r\n"
                "Connection: close\r\n\r\n<html>maintenance</html>",
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n"
                "Connection: close\r\n\r\n{\"ok\":true,\"channel\":{\"id\":",
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n"
                "Connection: close\r\n\r\n{\"ok\":true,\"chan",
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
                "Connection: close\r\n\r\n{\"ok\":true}",
            },
        .n = 4,
    };
    CHECK(raw_start(&s));
    char base[64];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d/api/", s.port);
    struct fake_time ft = {0};
    struct slack_api_hooks h = {fake_now, fake_sleep, NULL, &ft};
    struct slack_api_opts o = {.no_limiter = true, .base_url = base, .max_attempts = 2};
    struct slack_api *c = client(&o, &h);
    struct slack_api_result res = {0};
    struct bot_err err = {{0}};
    enum bot_rc rc1 = slack_api_call(c, "auth.test", NULL, &res, &err);
    char msg1[BOT_ERR_MAX];
    snprintf(msg1, sizeof(msg1), "%s", err.msg);
    unsigned att1 = res.attempts;
    /* valid length, JSON cut off inside: a protocol error, not retried */
    enum bot_rc rc2 = slack_api_call(c, "auth.test", NULL, &res, &err);
    unsigned att2 = res.attempts;
    /* connection closed before Content-Length bytes: retried, then the 4th answer is fine */
    enum bot_rc rc3 = slack_api_call(c, "auth.test", NULL, &res, &err);
    unsigned att3 = res.attempts;
    slack_api_result_free(&res);
    slack_api_free(c);
    raw_stop(&s);
    CHECK_INT(rc1, BOT_EPROTO);
    CHECK_INT(att1, 1);
    CHECK_CONTAINS(msg1, "not a JSON object (HTTP 200, 22 bytes, starts \"<html>maintenance");
    CHECK_INT(rc2, BOT_EPROTO);
    CHECK_INT(att2, 1);
    CHECK_INT(rc3, BOT_OK);
    CHECK_INT(att3, 2);
}

int main(int argc, char **argv)
{
    xmalloc_init_cjson();
    struct bot_err err;
    if (argc < 2) {
        fprintf(stderr, "usage: %s SLACKEMU-BINARY\n", argv[0]);
        return 2;
    }
    if (slack_api_global_init(&err) != BOT_OK)
        return 1;
    static const char *const args[] = {"--no-rate-limits", NULL};
    if (!emu_start(&emu, argv[1], args))
        return 1;
    RUN(test_json_and_form_calls);
    RUN(test_bad_token_is_auth_error);
    RUN(test_pagination);
    RUN(test_429_waits_retry_after);
    RUN(test_429_too_long_is_returned);
    RUN(test_429_penalizes_the_shared_limiter);
    RUN(test_limiter_avoids_429);
    RUN(test_5xx_retried_with_backoff);
    RUN(test_hang_times_out);
    RUN(test_dropped_connection_retried);
    RUN(test_unknown_error_code);
    RUN(test_deadline_bounds_the_call);
    RUN(test_abort_from_another_thread);
    RUN(test_connection_refused);
    RUN(test_response_url);
    RUN(test_not_json_and_cut_off_answers);
    emu_stop(&emu, check_failed > 0);
    slack_api_global_cleanup();
    return CHECK_DONE();
}
