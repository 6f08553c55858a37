/* Names of severities and statuses (see incident.h). */
#include "incident.h"

#include <strings.h>

static const char *const sev_names[SEV_COUNT] = {"critical", "major", "minor"};
static const char *const st_names[ST_COUNT] = {
    "potential", "investigating", "identified", "monitoring", "resolved", "postmortem", "closed",
};

static bool lookup(const char *const *names, int n, const char *s, size_t len, int *out)
{
    for (int i = 0; i < n; i++) {
        size_t k = 0;
        while (names[i][k] != '\0')
            k++;
        if (k == len && strncasecmp(names[i], s, len) == 0) {
            *out = i;
            return true;
        }
    }
    return false;
}

const char *plan_severity_name(enum severity sev)
{
    return (unsigned)sev < SEV_COUNT ? sev_names[sev] : "unknown";
}

bool plan_severity_parse(const char *s, size_t len, enum severity *out)
{
    int i;
    if (!lookup(sev_names, SEV_COUNT, s, len, &i))
        return false;
    *out = (enum severity)i;
    return true;
}

const char *plan_status_name(enum inc_status st)
{
    return (unsigned)st < ST_COUNT ? st_names[st] : "unknown";
}

bool plan_status_parse(const char *s, size_t len, enum inc_status *out)
{
    int i;
    if (!lookup(st_names, ST_COUNT, s, len, &i))
        return false;
    *out = (enum inc_status)i;
    return true;
}
