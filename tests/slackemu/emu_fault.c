/*
 * Injected faults for the Web API: per method (or "*" for every method),
 * an added latency, and a queue of "the next N calls answer with X", where
 * X is a Slack error code, HTTP 429 with Retry-After, HTTP 500, a hang (no
 * answer at all), a dropped connection, or a hold (the call is carried out
 * and its answer held back for a while: an answer lost after the fact). Faults are set through
 * /_emu/fault and cleared by /_emu/reset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "xmalloc.h"

#define FAULT_MAX_RULES 256

struct rule {
    char method[64];
    int64_t latency_us;       /* added to every call */
    enum emu_fault_mode mode; /* for the next `count` calls */
    long count;
    char error[64];
    int retry_after;
    int64_t hold_us;
};

struct emu_fault {
    struct rule r[FAULT_MAX_RULES];
    size_t n;
};

struct emu_fault *emu_fault_new(void)
{
    return xcalloc(1, sizeof(struct emu_fault));
}

void emu_fault_free(struct emu_fault *f)
{
    free(f);
}

void emu_fault_reset(struct emu_fault *f)
{
    f->n = 0;
}

static struct rule *rule_for(struct emu_fault *f, const char *method, bool create)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->r[i].method, method) == 0)
            return &f->r[i];
    if (!create || f->n == FAULT_MAX_RULES)
        return NULL;
    struct rule *r = &f->r[f->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->method, sizeof r->method, "%s", method);
    return r;
}

static void apply(struct rule *r, struct emu_fault_hit *hit)
{
    if (!r)
        return;
    hit->latency_us += r->latency_us;
    if (r->count > 0 && hit->mode == EMU_FAULT_NONE) {
        r->count--;
        hit->mode = r->mode;
        snprintf(hit->error, sizeof hit->error, "%s", r->error);
        hit->retry_after = r->retry_after;
        hit->hold_us = r->hold_us;
    }
}

void emu_fault_take(struct emu *emu, const char *method, struct emu_fault_hit *hit)
{
    memset(hit, 0, sizeof *hit);
    apply(rule_for(emu->fault, method, false), hit);
    apply(rule_for(emu->fault, "*", false), hit);
}

const char *emu_fault_add(struct emu *emu, const cJSON *req)
{
    const char *method = emu_jstr(req, "method");
    if (!method || !method[0] || strlen(method) >= 64)
        return "invalid_method";
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(req, "latency_ms");
    const char *mode = emu_jstr(req, "mode");
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(req, "next");
    if (!lat && !mode)
        return "nothing_to_do";
    if (lat && (!cJSON_IsNumber(lat) || lat->valuedouble < 0 || lat->valuedouble > 600000))
        return "invalid_latency_ms";
    enum emu_fault_mode m = EMU_FAULT_NONE;
    if (mode) {
        if (!strcmp(mode, "error"))
            m = EMU_FAULT_ERROR;
        else if (!strcmp(mode, "429"))
            m = EMU_FAULT_429;
        else if (!strcmp(mode, "500"))
            m = EMU_FAULT_500;
        else if (!strcmp(mode, "hang"))
            m = EMU_FAULT_HANG;
        else if (!strcmp(mode, "close"))
            m = EMU_FAULT_CLOSE;
        else if (!strcmp(mode, "hold"))
            m = EMU_FAULT_HOLD;
        else
            return "invalid_mode";
        if (next && (!cJSON_IsNumber(next) || next->valuedouble < 1 || next->valuedouble > 1e6))
            return "invalid_next";
    }
    struct rule *r = rule_for(emu->fault, method, true);
    if (!r)
        return "too_many_faults";
    if (lat)
        r->latency_us = (int64_t)(lat->valuedouble * 1000.0);
    if (mode) {
        r->mode = m;
        r->count = next ? (long)next->valuedouble : 1;
        const char *err = emu_jstr(req, "error");
        snprintf(r->error, sizeof r->error, "%s", err && err[0] ? err : "internal_error");
        const cJSON *ra = cJSON_GetObjectItemCaseSensitive(req, "retry_after");
        r->retry_after = cJSON_IsNumber(ra) && ra->valuedouble >= 0 && ra->valuedouble < 3600
                             ? (int)ra->valuedouble
                             : 1;
        const cJSON *hold = cJSON_GetObjectItemCaseSensitive(req, "hold_ms");
        if (hold && (!cJSON_IsNumber(hold) || hold->valuedouble < 0 || hold->valuedouble > 600000))
            return "invalid_hold_ms";
        r->hold_us = (int64_t)((hold ? hold->valuedouble : 60000.0) * 1000.0);
    }
    return NULL;
}

cJSON *emu_fault_render(struct emu *emu)
{
    static const char *const names[] = {"none", "error", "429", "500", "hang", "close", "hold"};
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < emu->fault->n; i++) {
        struct rule *r = &emu->fault->r[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "method", r->method);
        cJSON_AddNumberToObject(o, "latency_ms", (double)r->latency_us / 1000.0);
        cJSON_AddStringToObject(o, "mode", names[r->mode]);
        cJSON_AddNumberToObject(o, "remaining", (double)r->count);
        if (r->mode == EMU_FAULT_ERROR)
            cJSON_AddStringToObject(o, "error", r->error);
        if (r->mode == EMU_FAULT_HOLD)
            cJSON_AddNumberToObject(o, "hold_ms", (double)r->hold_us / 1000.0);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}
