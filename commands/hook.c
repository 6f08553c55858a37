/*
 * Outgoing webhooks' event names and bodies (see hook.h). Receivers key on
 * the names and fields, so both are part of the public interface documented
 * in the README: add, never rename.
 */
#include "hook.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const event_names[HOOK_N_EVENTS] = {
    [HOOK_PUBLISHED] = "incident.published",
    [HOOK_UPDATED] = "incident.updated",
    [HOOK_STATUS_CHANGED] = "incident.status_changed",
    [HOOK_SEVERITY_CHANGED] = "incident.severity_changed",
    [HOOK_RESOLVED] = "incident.resolved",
    [HOOK_POSTMORTEM_PUBLISHED] = "incident.postmortem_published",
    [HOOK_WITHDRAWN] = "incident.withdrawn",
};

const char *hook_event_name(enum hook_event e)
{
    return (unsigned)e < HOOK_N_EVENTS ? event_names[e] : NULL;
}

bool hook_event_parse(const char *name, enum hook_event *out)
{
    for (int i = 0; i < HOOK_N_EVENTS; i++) {
        if (strcmp(name, event_names[i]) == 0) {
            *out = (enum hook_event)i;
            return true;
        }
    }
    return false;
}

void hook_time_iso(int64_t ms, char *out, size_t outsz)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms < 0 || gmtime_r(&t, &tm) == NULL) {
        snprintf(out, outsz, "1970-01-01T00:00:00.000Z");
        return;
    }
    snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static void add_time(cJSON *o, const char *key, int64_t ms)
{
    char t[HOOK_TIME_LEN];
    if (ms <= 0) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    hook_time_iso(ms, t, sizeof(t));
    cJSON_AddStringToObject(o, key, t);
}

static void add_str(cJSON *o, const char *key, const char *s)
{
    if (s)
        cJSON_AddStringToObject(o, key, s);
    else
        cJSON_AddNullToObject(o, key);
}

cJSON *hook_payload(const char *event_id, enum hook_event e, int64_t at,
                    const struct hook_incident *inc)
{
    char ref[32];
    cJSON *root = cJSON_CreateObject(), *o, *comps;
    cJSON_AddStringToObject(root, "id", event_id);
    add_str(root, "event", hook_event_name(e));
    add_time(root, "created_at", at);
    o = cJSON_AddObjectToObject(root, "incident");
    snprintf(ref, sizeof(ref), "INC-%lld", (long long)inc->id);
    cJSON_AddStringToObject(o, "id", ref);
    cJSON_AddNumberToObject(o, "number", (double)inc->id);
    add_str(o, "name", inc->name);
    add_str(o, "status", inc->status);
    add_str(o, "impact", inc->impact);
    add_str(o, "message", inc->message);
    comps = cJSON_AddArrayToObject(o, "components");
    for (size_t i = 0; i < inc->n_components; i++)
        cJSON_AddItemToArray(comps, cJSON_CreateString(inc->components[i]));
    add_time(o, "created_at", inc->created_at);
    add_time(o, "updated_at", inc->updated_at);
    add_time(o, "resolved_at", inc->resolved_at);
    add_str(o, "url", inc->url);
    add_time(o, "postmortem_published_at", inc->postmortem_published_at);
    add_time(o, "postmortem_updated_at", inc->postmortem_updated_at);
    return root;
}
