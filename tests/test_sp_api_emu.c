/*
 * The Statuspage management API client (statuspage/sp_api.c) over loopback
 * against a private statuspageemu (argv[1]: the script; argv[2], optional:
 * the published OpenAPI description, so every body sent is also checked
 * against it): create, update, find by metadata tag, component status,
 * postmortem; 401, 404, 420/429 with Retry-After, 5xx, 4xx, a hang past the
 * timeout, a dropped connection, abort, the pace hook, and the emulator's
 * own 1 request/second limit.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "check.h"
#include "sp_api.h"
#include "xmalloc.h"

#define KEY "testkey0123456789abcdef"
#define PAGE "testpage0001"

struct spemu {
    pid_t pid;
    char api[160]; /* http://127.0.0.1:PORT/v1 */
    char ctl[160]; /* http://127.0.0.1:PORT */
};

static struct spemu emu, slow; /* slow: the 1 request/s limit on */
static const char *script, *spec;

static bool spemu_start(struct spemu *e, const char *rate)
{
    int fd[2];
    if (pipe(fd) != 0)
        return false;
    e->pid = fork();
    if (e->pid < 0)
        return false;
    if (e->pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        const char *argv[16] = {"python3", script, "--port", "0", "--quiet", "--key", KEY,
                                "--page-id", PAGE, "--rate", rate,
                                "--component", "comp00000001=API"};
        if (spec) {
            argv[13] = "--spec";
            argv[14] = spec;
        }
        execvp("python3", (char *const *)argv);
        _exit(127);
    }
    close(fd[1]);
    FILE *f = fdopen(fd[0], "r");
    char line[128] = "";
    bool ok = f && fgets(line, sizeof(line), f) && strncmp(line, "http://", 7) == 0;
    if (f)
        fclose(f);
    if (!ok)
        return false;
    line[strcspn(line, "\r\n")] = '\0';
    snprintf(e->api, sizeof(e->api), "%s", line);
    snprintf(e->ctl, sizeof(e->ctl), "%.*s", (int)(strlen(line) - 3), line);
    return true;
}

static void spemu_stop(struct spemu *e)
{
    if (e->pid > 0) {
        kill(e->pid, SIGTERM);
        waitpid(e->pid, NULL, 0);
        e->pid = 0;
    }
}

static size_t on_body(char *d, size_t s, size_t n, void *ud)
{
    return buf_add(ud, d, s * n) == BOT_OK ? s * n : 0;
}

/* A control call (POST with body, else GET) to /_emu/<cmd>; the parsed answer (caller frees). */
static cJSON *ctl(const struct spemu *e, const char *cmd, const char *body)
{
    char url[224];
    struct buf b;
    buf_init(&b, 16 * 1024 * 1024);
    snprintf(url, sizeof(url), "%s/_emu/%s", e->ctl, cmd);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    CURLcode cc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    cJSON *r = cc == CURLE_OK ? cJSON_Parse(buf_str(&b)) : NULL;
    buf_free(&b);
    return r;
}

static void fault(const char *json)
{
    cJSON_Delete(ctl(&emu, "fault", json));
}

static int pace_calls;
static bool pace_ok = true;

static bool count_pace(void *ud)
{
    (void)ud;
    pace_calls++;
    return pace_ok;
}

static struct sp_api *client(const struct spemu *e, const char *key, long timeout_ms)
{
    struct sp_api *c = NULL;
    struct bot_err err = {{0}};
    struct sp_api_opts o = {.base_url = e->api, .page_id = PAGE, .api_key = key,
                            .timeout_ms = timeout_ms, .pace = count_pace};
    if (sp_api_new(&o, &c, &err) != BOT_OK)
        fprintf(stderr, "sp_api_new: %s\n", err.msg);
    return c;
}

static void test_new_refuses(void)
{
    struct sp_api *c = NULL;
    struct bot_err err = {{0}};
    struct sp_api_opts o = {.base_url = "ftp://x", .page_id = PAGE, .api_key = KEY};
    CHECK_INT(sp_api_new(&o, &c, &err), BOT_EINVAL);
    o.base_url = NULL;
    o.page_id = "a/b";
    CHECK_INT(sp_api_new(&o, &c, &err), BOT_EINVAL);
    o.page_id = PAGE;
    o.api_key = "";
    CHECK_INT(sp_api_new(&o, &c, &err), BOT_EINVAL);
    o.api_key = KEY;
    CHECK_INT(sp_api_new(&o, &c, &err), BOT_OK);
    sp_api_free(c);
}

static void test_lifecycle(void)
{
    struct sp_api *c = client(&emu, KEY, 5000);
    struct sp_api_result r = {0};
    struct bot_err err = {{0}};
    char id[SP_API_MAX_ID], found[SP_API_MAX_ID];
    CHECK(c != NULL);
    const char *comps[] = {"comp00000001", "comp00000001"};
    cJSON *b = sp_api_incident_body("Errors <b>&", "investigating", "major", "We look.", comps, 2,
                                    "partial_outage", "inc-1-100");
    pace_calls = 0;
    enum bot_rc rc = sp_api_incident_create(c, b, &r, &err);
    cJSON_Delete(b);
    CHECK_MSG(rc == BOT_OK, "%s", err.msg);
    CHECK_INT(r.http_status, 201);
    CHECK(r.id[0] != '\0');
    snprintf(id, sizeof(id), "%s", r.id);
    sp_api_result_clear(&r);

    cJSON *u = cJSON_CreateObject();
    cJSON_AddStringToObject(u, "status", "resolved");
    cJSON_AddStringToObject(u, "body", "Fixed.");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(u, "components"), "comp00000001",
                            "operational");
    rc = sp_api_incident_update(c, id, u, &r, &err);
    cJSON_Delete(u);
    CHECK_MSG(rc == BOT_OK, "%s", err.msg);
    CHECK_STR(cJSON_GetObjectItemCaseSensitive(r.body, "status")->valuestring, "resolved");
    sp_api_result_clear(&r);

    CHECK_INT(sp_api_incident_find(c, "inc-1-100", found, &r, &err), BOT_OK);
    sp_api_result_clear(&r);
    CHECK_STR(found, id);
    CHECK_INT(sp_api_incident_find(c, "inc-1-999", found, &r, &err), BOT_ENOTFOUND);
    sp_api_result_clear(&r);

    CHECK_INT(sp_api_component_set(c, "comp00000001", "degraded_performance", &r, &err), BOT_OK);
    sp_api_result_clear(&r);
    CHECK_INT(sp_api_postmortem(c, id, "# Postmortem", true, &r, &err), BOT_OK);
    sp_api_result_clear(&r);
    CHECK(pace_calls == 7); /* create, update, find x2, component, postmortem x2 */

    cJSON *st = ctl(&emu, "state", NULL);
    const cJSON *inc = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "incidents"), 0);
    bool ok = inc && strcmp(cJSON_GetObjectItemCaseSensitive(inc, "name")->valuestring,
                            "Errors <b>&") == 0 &&
              cJSON_IsString(cJSON_GetObjectItemCaseSensitive(inc, "postmortem_body")) &&
              cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "schema_errors")) == 0;
    cJSON_Delete(st);
    CHECK(ok);

    /* Withdrawn: DELETE answers the incident as it was; gone after, a second one is a 404. */
    CHECK_INT(sp_api_incident_delete(c, id, &r, &err), BOT_OK);
    CHECK_INT(r.http_status, 200);
    CHECK_STR(r.id, id);
    sp_api_result_clear(&r);
    CHECK_INT(sp_api_incident_delete(c, id, &r, &err), BOT_ENOTFOUND);
    sp_api_result_clear(&r);
    CHECK_INT(sp_api_incident_delete(c, "../pages", &r, &err), BOT_EINVAL);
    sp_api_result_clear(&r);
    st = ctl(&emu, "state", NULL);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "incidents")), 0);
    cJSON_Delete(st);
    sp_api_free(c);
}

static void test_errors(void)
{
    struct sp_api *c = client(&emu, KEY, 800);
    struct sp_api *bad = client(&emu, "wrongkey0123456789", 800);
    struct sp_api_result r = {0};
    struct bot_err err = {{0}};
    cJSON *u = cJSON_CreateObject();
    cJSON_AddStringToObject(u, "body", "x");
    CHECK(c && bad);

    enum bot_rc rc = sp_api_incident_update(bad, "nope00000001", u, &r, &err);
    CHECK(rc == BOT_EREMOTE && r.http_status == 401 && sp_api_permanent(rc, &r));
    CHECK(strstr(err.msg, "wrongkey") == NULL);
    sp_api_result_clear(&r);

    rc = sp_api_incident_update(c, "nope00000001", u, &r, &err);
    CHECK(rc == BOT_ENOTFOUND && sp_api_permanent(rc, &r));
    sp_api_result_clear(&r);

    fault("{\"mode\":\"ratelimit\",\"status\":429,\"retry_after\":3,\"count\":1}");
    rc = sp_api_incident_update(c, "nope00000001", u, &r, &err);
    CHECK(rc == BOT_ERATELIMIT && r.retry_after_ms == 3000 && !sp_api_permanent(rc, &r));
    sp_api_result_clear(&r);

    fault("{\"mode\":\"ratelimit\",\"status\":420,\"count\":1}");
    rc = sp_api_incident_update(c, "nope00000001", u, &r, &err);
    CHECK(rc == BOT_ERATELIMIT && r.http_status == 420 && !sp_api_permanent(rc, &r));
    sp_api_result_clear(&r);

    fault("{\"mode\":\"error\",\"status\":503,\"retry_after\":7,\"count\":1}");
    rc = sp_api_incident_update(c, "nope00000001", u, &r, &err);
    CHECK(rc == BOT_EREMOTE && r.retry_after_ms == 7000 && !sp_api_permanent(rc, &r));
    sp_api_result_clear(&r);

    fault("{\"mode\":\"error\",\"status\":422,\"count\":1}");
    rc = sp_api_incident_update(c, "nope00000001", u, &r, &err);
    CHECK(rc == BOT_EREMOTE && sp_api_permanent(rc, &r));
    sp_api_result_clear(&r);

    fault("{\"mode\":\"hang\",\"hang_ms\":3000,\"count\":1}");
    rc = sp_api_incident_update(c, "nope00000001", u, &r, &err);
    CHECK(rc == BOT_ENET && r.sent && !sp_api_permanent(rc, &r));
    sp_api_result_clear(&r);

    fault("{\"mode\":\"down\",\"count\":1}");
    rc = sp_api_incident_update(c, "nope00000001", u, &r, &err);
    CHECK(rc == BOT_ENET && !sp_api_permanent(rc, &r));
    sp_api_result_clear(&r);

    pace_ok = false;
    rc = sp_api_incident_update(c, "nope00000001", u, &r, &err);
    pace_ok = true;
    CHECK(rc == BOT_ENET && !r.sent);

    CHECK_INT(sp_api_incident_update(c, "../x", u, &r, &err), BOT_EINVAL);
    sp_api_abort(c);
    CHECK_INT(sp_api_incident_update(c, "nope00000001", u, &r, &err), BOT_ENET);
    cJSON_Delete(u);
    sp_api_free(c);
    sp_api_free(bad);
}

static void test_emulator_rate_limit(void)
{
    struct sp_api *c = client(&slow, KEY, 5000);
    struct sp_api_result r = {0};
    struct bot_err err = {{0}};
    CHECK(c != NULL);
    enum bot_rc rc1 = sp_api_request(c, "GET", "/components", NULL, &r, &err);
    sp_api_result_clear(&r);
    enum bot_rc rc2 = sp_api_request(c, "GET", "/components", NULL, &r, &err);
    CHECK(rc1 == BOT_OK && rc2 == BOT_ERATELIMIT && r.http_status == 420 &&
          r.retry_after_ms == 1000);
    sp_api_result_clear(&r);
    sleep(1);
    CHECK_INT(sp_api_request(c, "GET", "/components", NULL, &r, &err), BOT_OK);
    CHECK(cJSON_GetArraySize(r.body) == 1);
    sp_api_result_clear(&r);
    sp_api_free(c);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_sp_api_emu statuspageemu.py [openapi.json]\n");
        return 2;
    }
    script = argv[1];
    spec = argc > 2 && access(argv[2], R_OK) == 0 ? argv[2] : NULL;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!spemu_start(&emu, "0") || !spemu_start(&slow, "1")) {
        fprintf(stderr, "cannot start statuspageemu\n");
        spemu_stop(&emu);
        spemu_stop(&slow);
        return 1;
    }
    RUN(test_new_refuses);
    RUN(test_lifecycle);
    RUN(test_errors);
    RUN(test_emulator_rate_limit);
    spemu_stop(&emu);
    spemu_stop(&slow);
    curl_global_cleanup();
    return CHECK_DONE();
}
