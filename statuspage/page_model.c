/* Mapping rules shared by the status page renderers (see page_model.h). */
#include "page_model.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void page_id(char out[PAGE_ID_LEN + 1], char kind, int64_t n)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    uint64_t v = n < 0 ? 0 : (uint64_t)n;
    out[0] = kind;
    for (int i = PAGE_ID_LEN - 1; i >= 1; i--) {
        out[i] = digits[v % 36];
        v /= 36;
    }
    out[PAGE_ID_LEN] = '\0';
}

void page_time_iso(char out[32], int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms < 0 || gmtime_r(&t, &tm) == NULL) {
        memcpy(out, "1970-01-01T00:00:00.000Z", 25);
        return;
    }
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    int ms3 = (int)(ms % 1000);
    out[n] = '.';
    out[n + 1] = (char)('0' + ms3 / 100);
    out[n + 2] = (char)('0' + ms3 / 10 % 10);
    out[n + 3] = (char)('0' + ms3 % 10);
    out[n + 4] = 'Z';
    out[n + 5] = '\0';
}

const char *page_status_public(const char *status)
{
    if (status == NULL)
        return "investigating";
    if (strcmp(status, "identified") == 0 || strcmp(status, "monitoring") == 0 ||
        strcmp(status, "resolved") == 0)
        return status;
    if (strcmp(status, "closed") == 0 || strcmp(status, "postmortem") == 0)
        return "resolved";
    return "investigating";
}

int page_incident_open(const struct page_incident *inc)
{
    return strcmp(page_status_public(inc->status), "resolved") != 0;
}

const char *page_incident_status(const struct page_incident *inc)
{
    if (!page_incident_open(inc) && inc->postmortem_at > 0)
        return "postmortem";
    return page_status_public(inc->status);
}

const char *page_impact(const char *severity)
{
    if (severity && (strcmp(severity, "critical") == 0 || strcmp(severity, "major") == 0 ||
                     strcmp(severity, "minor") == 0))
        return severity;
    return "none";
}

static int impact_rank(const char *impact)
{
    static const char *const order[] = {"none", "minor", "major", "critical"};
    for (int i = 3; i > 0; i--)
        if (strcmp(impact, order[i]) == 0)
            return i;
    return 0;
}

const char *page_indicator(const struct page *p)
{
    static const char *const order[] = {"none", "minor", "major", "critical"};
    int worst = 0;
    for (size_t i = 0; i < p->nincidents; i++)
        if (page_incident_open(&p->incidents[i])) {
            int r = impact_rank(page_impact(p->incidents[i].severity));
            worst = r > worst ? r : worst;
        }
    for (size_t i = 0; i < p->ncomponents; i++) {
        const char *st = p->components[i].status ? p->components[i].status : "";
        int r = strcmp(st, "major_outage") == 0     ? 2
                : strcmp(st, "partial_outage") == 0 ? 2
                : strcmp(st, "degraded_performance") == 0 ? 1
                                                          : 0;
        worst = r > worst ? r : worst;
    }
    return order[worst];
}

const char *page_indicator_text(const char *indicator)
{
    switch (impact_rank(indicator)) {
    case 1: return "Minor Service Outage";
    case 2: return "Partial System Outage";
    case 3: return "Major System Outage";
    default: return "All Systems Operational";
    }
}

enum page_rank page_rank_of(const char *status)
{
    static const char *const names[] = {"operational", "under_maintenance", "degraded_performance",
                                        "partial_outage", "major_outage"};
    for (int r = PAGE_RANK_MAJOR; r > PAGE_RANK_OPERATIONAL; r--)
        if (status && strcmp(status, names[r]) == 0)
            return (enum page_rank)r;
    return PAGE_RANK_OPERATIONAL;
}

void page_group_id(const struct page *p, const char *group, char out[PAGE_ID_LEN + 1])
{
    size_t i = 0;
    while (i < p->ncomponents &&
           !(p->components[i].group && strcmp(p->components[i].group, group) == 0))
        i++;
    page_id(out, 'g', (int64_t)i + 1);
}

const struct page_component *page_component_find(const struct page *p, const char *name)
{
    for (size_t i = 0; i < p->ncomponents; i++)
        if (p->components[i].name && strcmp(p->components[i].name, name) == 0)
            return &p->components[i];
    return NULL;
}

int64_t page_postmortem_latest(const struct page_incident *inc)
{
    if (inc->postmortem_at <= 0 || inc->postmortem == NULL)
        return 0;
    return inc->postmortem_updated_at > inc->postmortem_at ? inc->postmortem_updated_at
                                                           : inc->postmortem_at;
}

int64_t page_incident_updated(const struct page_incident *inc)
{
    int64_t t = inc->published_at;
    if (inc->nupdates > 0 && inc->updates[inc->nupdates - 1].at > t)
        t = inc->updates[inc->nupdates - 1].at;
    if (page_postmortem_latest(inc) > t)
        t = page_postmortem_latest(inc);
    if (inc->resolved_at > t)
        t = inc->resolved_at;
    return t;
}

int64_t page_updated(const struct page *p)
{
    int64_t t = 0;
    for (size_t i = 0; i < p->ncomponents; i++)
        if (p->components[i].updated_at > t)
            t = p->components[i].updated_at;
    for (size_t i = 0; i < p->nincidents; i++) {
        int64_t u = page_incident_updated(&p->incidents[i]);
        if (u > t)
            t = u;
    }
    return t;
}

const struct page_incident *page_incident_find(const struct page *p, const char *key)
{
    char id[PAGE_ID_LEN + 1];
    const char *num = strncmp(key, "INC-", 4) == 0 ? key + 4 : key;
    char *end = NULL;
    long long n = -1;
    if (*num >= '0' && *num <= '9') {
        n = strtoll(num, &end, 10);
        if (end == NULL || *end != '\0')
            n = -1;
    }
    for (size_t i = 0; i < p->nincidents; i++) {
        const struct page_incident *inc = &p->incidents[i];
        page_id(id, 'i', inc->id);
        if (strcmp(id, key) == 0 || (inc->slug && strcmp(inc->slug, key) == 0) || inc->id == n)
            return inc;
    }
    return NULL;
}
