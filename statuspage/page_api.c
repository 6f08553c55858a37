/*
 * Statuspage public API v2 JSON (see page_api.h). Built as a cJSON tree so
 * every string is escaped by one encoder; unset times are null, never
 * omitted, as Statuspage does.
 */
#include "page_api.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static void add_time(cJSON *o, const char *key, int64_t ms)
{
    char t[32];
    if (ms <= 0) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    page_time_iso(t, ms);
    cJSON_AddStringToObject(o, key, t);
}

static void add_str_or_null(cJSON *o, const char *key, const char *s)
{
    if (s && *s)
        cJSON_AddStringToObject(o, key, s);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *page_obj(const struct page *p)
{
    char id[PAGE_ID_LEN + 1];
    cJSON *o = cJSON_CreateObject();
    page_id(id, 'p', 1);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "name", p->name ? p->name : "");
    cJSON_AddStringToObject(o, "url", p->url ? p->url : "");
    cJSON_AddStringToObject(o, "time_zone", "Etc/UTC");
    add_time(o, "updated_at", page_updated(p) > 0 ? page_updated(p) : p->now);
    return o;
}

static cJSON *component_obj(const struct page *p, const struct page_component *c)
{
    char id[PAGE_ID_LEN + 1], pid[PAGE_ID_LEN + 1];
    cJSON *o = cJSON_CreateObject();
    page_id(id, 'c', c->id);
    page_id(pid, 'p', 1);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "name", c->name ? c->name : "");
    cJSON_AddStringToObject(o, "status", c->status ? c->status : "operational");
    add_time(o, "created_at", c->updated_at);
    add_time(o, "updated_at", c->updated_at);
    cJSON_AddNumberToObject(o, "position", (double)c->position);
    add_str_or_null(o, "description", c->description);
    cJSON_AddBoolToObject(o, "showcase", 0);
    cJSON_AddNullToObject(o, "start_date");
    if (c->group && *c->group) {
        char gid[PAGE_ID_LEN + 1];
        page_group_id(p, c->group, gid);
        cJSON_AddStringToObject(o, "group_id", gid);
    } else {
        cJSON_AddNullToObject(o, "group_id");
    }
    cJSON_AddStringToObject(o, "page_id", pid);
    cJSON_AddBoolToObject(o, "group", 0);
    cJSON_AddBoolToObject(o, "only_show_if_degraded", 0);
    return o;
}

/*
 * The row of the group whose first member is components[first]: Statuspage
 * lists groups as flat rows with group true and their members' ids; its
 * status is the worst of theirs.
 */
static cJSON *group_obj(const struct page *p, size_t first)
{
    static const char *const order[] = {"operational", "under_maintenance",
                                        "degraded_performance", "partial_outage", "major_outage"};
    const char *g = p->components[first].group;
    char id[PAGE_ID_LEN + 1], pid[PAGE_ID_LEN + 1], cid[PAGE_ID_LEN + 1];
    cJSON *o = cJSON_CreateObject(), *members;
    int worst = 0;
    int64_t updated = 0;
    page_group_id(p, g, id);
    page_id(pid, 'p', 1);
    for (size_t i = first; i < p->ncomponents && p->components[i].group &&
                           strcmp(p->components[i].group, g) == 0; i++) {
        for (int r = 4; r > worst; r--)
            if (p->components[i].status && strcmp(p->components[i].status, order[r]) == 0)
                worst = r;
        if (p->components[i].updated_at > updated)
            updated = p->components[i].updated_at;
    }
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "name", g);
    cJSON_AddStringToObject(o, "status", order[worst]);
    add_time(o, "created_at", updated);
    add_time(o, "updated_at", updated);
    cJSON_AddNumberToObject(o, "position", (double)p->components[first].position);
    cJSON_AddNullToObject(o, "description");
    cJSON_AddBoolToObject(o, "showcase", 0);
    cJSON_AddNullToObject(o, "start_date");
    cJSON_AddNullToObject(o, "group_id");
    cJSON_AddStringToObject(o, "page_id", pid);
    cJSON_AddBoolToObject(o, "group", 1);
    cJSON_AddBoolToObject(o, "only_show_if_degraded", 0);
    members = cJSON_AddArrayToObject(o, "components");
    for (size_t i = first; i < p->ncomponents && p->components[i].group &&
                           strcmp(p->components[i].group, g) == 0; i++) {
        page_id(cid, 'c', p->components[i].id);
        cJSON_AddItemToArray(members, cJSON_CreateString(cid));
    }
    return o;
}

static cJSON *update_obj(const struct page_incident *inc, const char *iid, const char *status,
                         int64_t uid, const char *body, int64_t at)
{
    char id[PAGE_ID_LEN + 1];
    cJSON *o = cJSON_CreateObject();
    page_id(id, 'u', uid);
    (void)inc;
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "status", status);
    cJSON_AddStringToObject(o, "body", body ? body : "");
    cJSON_AddStringToObject(o, "incident_id", iid);
    add_time(o, "created_at", at);
    add_time(o, "updated_at", at);
    add_time(o, "display_at", at);
    cJSON_AddNullToObject(o, "affected_components");
    cJSON_AddBoolToObject(o, "deliver_notifications", 1);
    cJSON_AddNullToObject(o, "custom_tweet");
    cJSON_AddNullToObject(o, "tweet_id");
    return o;
}

static cJSON *incident_obj(const struct page *p, const struct page_incident *inc)
{
    char id[PAGE_ID_LEN + 1], pid[PAGE_ID_LEN + 1];
    cJSON *o = cJSON_CreateObject(), *ups, *comps;
    int64_t monitoring_at = 0;
    page_id(id, 'i', inc->id);
    page_id(pid, 'p', 1);
    for (size_t i = 0; i < inc->nupdates; i++)
        if (monitoring_at == 0 && inc->updates[i].status &&
            strcmp(inc->updates[i].status, "monitoring") == 0)
            monitoring_at = inc->updates[i].at;
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "name", inc->name ? inc->name : "");
    cJSON_AddStringToObject(o, "status", page_incident_status(inc));
    add_time(o, "created_at", inc->published_at);
    add_time(o, "updated_at", page_incident_updated(inc));
    add_time(o, "monitoring_at", monitoring_at);
    add_time(o, "resolved_at", page_incident_open(inc) ? 0 : inc->resolved_at);
    cJSON_AddStringToObject(o, "impact", page_impact(inc->severity));
    {
        struct buf link;
        buf_init(&link, 4096);
        if (buf_addf(&link, "%s/incidents/%s", p->url ? p->url : "", inc->slug ? inc->slug : id))
            cJSON_AddNullToObject(o, "shortlink");
        else
            cJSON_AddStringToObject(o, "shortlink", buf_str(&link));
        buf_free(&link);
    }
    add_time(o, "started_at", inc->started_at > 0 ? inc->started_at : inc->published_at);
    cJSON_AddStringToObject(o, "page_id", pid);
    /*
     * The postmortem is no update (Statuspage's IncidentUpdate has no "postmortem" status):
     * it is the incident's own postmortem_body, as in Statuspage's Incident object, present
     * once published; the captures of incidents without one have none of these keys.
     */
    if (page_postmortem_latest(inc) > 0) {
        cJSON_AddStringToObject(o, "postmortem_body", inc->postmortem);
        add_time(o, "postmortem_published_at", inc->postmortem_at);
        add_time(o, "postmortem_body_last_updated_at", page_postmortem_latest(inc));
    }
    ups = cJSON_AddArrayToObject(o, "incident_updates");
    for (size_t i = inc->nupdates; i-- > 0;) /* newest first */
        cJSON_AddItemToArray(ups, update_obj(inc, id, page_status_public(inc->updates[i].status),
                                             inc->updates[i].id, inc->updates[i].body,
                                             inc->updates[i].at));
    comps = cJSON_AddArrayToObject(o, "components");
    for (size_t i = 0; i < inc->ncomponents; i++) {
        const struct page_component *c = page_component_find(p, inc->components[i]);
        if (c)
            cJSON_AddItemToArray(comps, component_obj(p, c));
    }
    return o;
}

static void add_incidents(cJSON *root, const struct page *p, int open_only, size_t max)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "incidents");
    size_t n = 0;
    for (size_t i = 0; i < p->nincidents && n < max; i++) {
        if (open_only && !page_incident_open(&p->incidents[i]))
            continue;
        cJSON_AddItemToArray(arr, incident_obj(p, &p->incidents[i]));
        n++;
    }
}

enum bot_rc page_api_render(const struct page *p, enum page_api_doc doc, struct buf *out)
{
    cJSON *root = cJSON_CreateObject();
    enum bot_rc rc;
    char *text;
    cJSON_AddItemToObject(root, "page", page_obj(p));
    if (doc == PAGE_API_SUMMARY || doc == PAGE_API_COMPONENTS) {
        cJSON *arr = cJSON_AddArrayToObject(root, "components");
        for (size_t i = 0; i < p->ncomponents; i++) {
            const char *g = p->components[i].group;
            if (g && *g && (i == 0 || !p->components[i - 1].group ||
                            strcmp(p->components[i - 1].group, g) != 0))
                cJSON_AddItemToArray(arr, group_obj(p, i));
            cJSON_AddItemToArray(arr, component_obj(p, &p->components[i]));
        }
    }
    if (doc == PAGE_API_SUMMARY || doc == PAGE_API_UNRESOLVED)
        add_incidents(root, p, 1, PAGE_MAX_INCIDENTS);
    if (doc == PAGE_API_INCIDENTS)
        add_incidents(root, p, 0, PAGE_API_MAX_INCIDENTS);
    if (doc == PAGE_API_SUMMARY || doc == PAGE_API_MAINTENANCES ||
        doc == PAGE_API_MAINTENANCES_UPCOMING || doc == PAGE_API_MAINTENANCES_ACTIVE)
        cJSON_AddArrayToObject(root, "scheduled_maintenances");
    if (doc == PAGE_API_SUMMARY || doc == PAGE_API_STATUS) {
        cJSON *st = cJSON_AddObjectToObject(root, "status");
        const char *ind = page_indicator(p);
        cJSON_AddStringToObject(st, "indicator", ind);
        cJSON_AddStringToObject(st, "description", page_indicator_text(ind));
    }
    text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (text == NULL)
        return BOT_ETOOBIG;
    rc = buf_addstr(out, text);
    if (rc == BOT_OK)
        rc = buf_addstr(out, "\n");
    free(text);
    return rc;
}
