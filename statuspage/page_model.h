/*
 * What the built-in status page shows, as plain read-only structs that bot/
 * fills from the store: components, and published incidents with their
 * public updates. The renderers (page_api.h JSON, page_html.h HTML,
 * page_feed.h Atom/RSS) only read these; they do no I/O. Also the mapping
 * rules shared by every renderer: public ids, impact from severity, the
 * public status of an incident, the page's indicator. Times are Unix ms.
 */
#ifndef INCIDENTD_PAGE_MODEL_H
#define INCIDENTD_PAGE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define PAGE_HISTORY_DAYS 90        /* days of history on the page */
#define PAGE_MAX_INCIDENTS 500      /* published incidents one page snapshot holds */
#define PAGE_API_MAX_INCIDENTS 50   /* incidents.json, as Statuspage */
#define PAGE_FEED_MAX_ENTRIES 25    /* history.atom / history.rss entries, as Statuspage */
#define PAGE_MAX_BODY (4u << 20)    /* largest rendered document */
#define PAGE_ID_LEN 12              /* public ids: 12 chars of [0-9a-z] */

struct page_component {
    int64_t id;
    const char *name;
    const char *description; /* NULL or "" shown as null */
    const char *status;      /* Statuspage component status */
    int64_t position;
    int64_t updated_at;
    const char *group; /* NULL or "": not in a group; members of a group are adjacent */
    /* NULL, or PAGE_HISTORY_DAYS days ending today, oldest first: the worst PAGE_RANK_* of each */
    const unsigned char *days;
    int uptime_permille; /* over those days; -1: unknown */
};

/* Component statuses from best to worst, for the uptime bars. */
enum page_rank {
    PAGE_RANK_OPERATIONAL,
    PAGE_RANK_MAINTENANCE,
    PAGE_RANK_DEGRADED,
    PAGE_RANK_PARTIAL,
    PAGE_RANK_MAJOR,
};

/* One public update: a public timeline entry. */
struct page_update {
    int64_t id;
    const char *status; /* the incident's (internal) status when written, or NULL */
    const char *body;   /* plain text (the JSON API, feeds) */
    int64_t at;
    const char *html;   /* the same as a safe HTML fragment (escaped, links checked), or NULL:
                           the page then escapes body */
};

struct page_incident {
    int64_t id;            /* INC-N's N */
    const char *slug;      /* NULL when none */
    const char *name;      /* public title */
    const char *status;    /* internal status: potential..closed */
    const char *severity;  /* critical | major | minor */
    int64_t started_at, published_at, resolved_at, updated_at;
    const char *postmortem;        /* public postmortem (plain-text Markdown) or NULL */
    int64_t postmortem_at;         /* when it was first published, 0 if not */
    int64_t postmortem_updated_at; /* when it was last amended, 0 if never */
    const struct page_update *updates; /* oldest first */
    size_t nupdates;
    const char *const *components; /* names of the affected components */
    size_t ncomponents;
};

struct page {
    const char *name; /* page title, e.g. "Example Status" */
    const char *url;  /* public base URL without trailing slash, e.g. "https://status.example.com" */
    int64_t now;
    const struct page_component *components; /* by position */
    size_t ncomponents;
    const struct page_incident *incidents; /* published ones only, newest first */
    size_t nincidents;
};

/* Writes kind followed by n in base 36, zero-padded to PAGE_ID_LEN chars, into out. */
void page_id(char out[PAGE_ID_LEN + 1], char kind, int64_t n);
/* ISO 8601 UTC with milliseconds, "2022-11-25T15:50:04.967Z". */
void page_time_iso(char out[32], int64_t ms);
/* Public status of the incident: investigating, identified, monitoring, resolved, postmortem. */
const char *page_incident_status(const struct page_incident *inc);
/* Public status of an internal one: potential -> investigating; postmortem, closed -> resolved. */
const char *page_status_public(const char *status);
/* True while the incident is not resolved. */
int page_incident_open(const struct page_incident *inc);
/* Statuspage impact from severity: critical, major, minor (none for unknown). */
const char *page_impact(const char *severity);
/* none/minor/major/critical: the worst impact of the open incidents and component statuses. */
const char *page_indicator(const struct page *p);
/* The banner text of an indicator ("All Systems Operational", ...). */
const char *page_indicator_text(const char *indicator);
/* The rank of a component status (unknown: operational). */
enum page_rank page_rank_of(const char *status);
/* The public id of the group named group: the position of its first member. */
void page_group_id(const struct page *p, const char *group, char out[PAGE_ID_LEN + 1]);
/* The component by name, or NULL. */
const struct page_component *page_component_find(const struct page *p, const char *name);
/* The postmortem's latest publication (its amendment, else its first), 0 if none. */
int64_t page_postmortem_latest(const struct page_incident *inc);
/* The last update's time, else the published time: the incident's last change. */
int64_t page_incident_updated(const struct page_incident *inc);
/* The time the page last changed (newest of components and incidents), or 0. */
int64_t page_updated(const struct page *p);
/* The incident whose public id, slug or number ("42", "INC-42") is key, or NULL. */
const struct page_incident *page_incident_find(const struct page *p, const char *key);

#endif
