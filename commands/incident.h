/*
 * The plain vocabulary of the incident plan (../shared/PLAN.md): severities
 * and statuses, their names on the wire and in commands. Pure data, no I/O.
 */
#ifndef INCIDENTD_INCIDENT_H
#define INCIDENTD_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>

enum severity {
    SEV_CRITICAL,
    SEV_MAJOR,
    SEV_MINOR,
    SEV_COUNT
};

/* The lifecycle of PLAN.md: investigating -> ... -> closed; potential is triage. */
enum inc_status {
    ST_POTENTIAL,
    ST_INVESTIGATING,
    ST_IDENTIFIED,
    ST_MONITORING,
    ST_RESOLVED,
    ST_POSTMORTEM,
    ST_CLOSED,
    ST_COUNT
};

/* Lowercase name, e.g. "major"; never NULL. */
const char *plan_severity_name(enum severity sev);
/* Parses a name (case-insensitive, len bytes); false when it is none of them. */
bool plan_severity_parse(const char *s, size_t len, enum severity *out);
const char *plan_status_name(enum inc_status st);
bool plan_status_parse(const char *s, size_t len, enum inc_status *out);

#endif
