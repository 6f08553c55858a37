/*
 * incidentd's configuration: a table of every key ({table, key, type,
 * default, min, max, help}) on top of the TOML parser. A file is checked
 * against the table: unknown tables and keys, wrong types and values out of
 * range are errors naming `file:line`, the key and what was expected, so a
 * typo never passes silently. Secrets are never read from the file; they
 * come from the environment (cfg_load_secrets) and their shape is checked.
 *
 * struct config is plain data, read-only once loaded, and read by every
 * part of the bot; it is a visible struct rather than an opaque one because
 * a getter per key would add nothing.
 */
#ifndef INCIDENTD_CONFIG_H
#define INCIDENTD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "log.h"

struct slack_api_local;

#define CFG_MAX_FILE (1u << 20) /* largest configuration file read, in bytes */
#define CFG_MAX_ERRORS 100      /* errors collected before giving up on a file */
#define CFG_MAX_STR_LIST 100    /* most entries in a list of strings (e.g. [oncall] users) */
#define CFG_MAX_INT_LIST 10     /* most entries in a list of integers */
#define CFG_MAX_COMPONENTS 100  /* most [[statuspage.components]] */
#define CFG_MAX_COMPONENT_NAME 200 /* longest component or group name, in bytes */
#define CFG_MAX_WEBHOOKS 10     /* most [[webhooks]] */
#define CFG_MAX_WEBHOOK_NAME 23 /* longest webhook name: its outbox lane is "webhook:<name>" */
#define CFG_MAX_WEBHOOK_URL 2000 /* longest webhook URL, in bytes */
#define CFG_MAX_SECRET_ENV 100  /* longest name of a webhook's secret variable */
#define CFG_WEBHOOK_SECRET_MIN 16   /* shortest signing secret accepted, in bytes */
#define CFG_WEBHOOK_SECRET_MAX 1024 /* longest signing secret accepted, in bytes */
#define CFG_WEBHOOK_TIMEOUT_DEFAULT 10 /* [[webhooks]] timeout_seconds when not given */
#define CFG_WEBHOOK_TIMEOUT_MAX 120
#define CFG_ZONEINFO_DIR "/usr/share/zoneinfo" /* where [incident] timezone must exist */

/* One [[statuspage.components]] entry: a component shown on the status page. */
struct cfg_component {
    char *name;        /* unique, 1..CFG_MAX_COMPONENT_NAME bytes */
    char *description; /* "" when not given */
    char *group;       /* "" when not in a group */
};

/*
 * One [[webhooks]] entry: an endpoint that receives the public changes of
 * published incidents as signed JSON (bot/webhook.h).
 */
struct cfg_webhook {
    char *name;       /* unique, [A-Za-z0-9_-], 1..CFG_MAX_WEBHOOK_NAME bytes; when not
                         given "url-" and 8 hex digits of a hash of url */
    char *url;        /* http:// or https://, as written */
    unsigned events;  /* bit (1u << enum hook_event): subscribed; all when not given */
    char *secret_env; /* the environment variable holding the signing secret */
    int64_t timeout_seconds; /* one request, 1..CFG_WEBHOOK_TIMEOUT_MAX */
    char *lane;       /* its outbox target: HOOK_LANE_PREFIX + name */
    char *secret;     /* the secret, set by cfg_load_secrets; NULL before. Never log it. */
};

struct config {
    /* [slack] */
    char *slack_api_base_url;     /* always ends with '/' */
    int64_t slack_connections;    /* Socket Mode links kept open, 1..10 */
    int64_t slack_stall_seconds;  /* reconnect a link silent for this long */
    int64_t slack_call_timeout_seconds; /* total time allowed for one Web API call */
    char *slack_ca_file;          /* "" : the system CAs */
    /* [store] */
    char *store_path;
    int64_t store_busy_timeout_ms;
    int64_t store_fsync_every_commit; /* 1: synchronous=FULL, 0: NORMAL */
    /* [http] */
    char *http_listen;            /* the public listener (status page), as written, e.g.
                                     "127.0.0.1:8080" */
    char *http_host;              /* parsed from http_listen */
    int http_port;
    char *http_internal_listen;   /* the internal listener (/healthz, /metrics), as written;
                                     never the same address as http_listen */
    char *http_internal_host;     /* parsed from http_internal_listen */
    int http_internal_port;
    int64_t http_max_connections;       /* public listener: open connections at once */
    int64_t http_max_connections_per_address; /* public listener: per client address */
    int64_t http_header_timeout_seconds; /* to send a whole request's headers */
    int64_t http_idle_timeout_seconds;   /* idle keep-alive, or a reader that stopped reading */
    /* [log] */
    enum log_level log_level;
    /* [incident]: what counts as an incident, and the zone of its clock */
    int64_t incident_min_duration_minutes; /* 0..10080 */
    int64_t incident_min_affected_users;   /* 0..10000000 */
    char *incident_timezone;      /* IANA name in CFG_ZONEINFO_DIR, or "UTC"/"Etc/UTC"; `run`
                                     sets TZ to it, so localtime_r() is in this zone */
    /* [severity]: share of customers affected that suggests a severity */
    int64_t severity_critical_percent; /* 1..100 */
    int64_t severity_major_percent;    /* 1..100, always < severity_critical_percent */
    /* [slack], continued */
    char *slack_channel_name;     /* template, passed chan_name_check_template() */
    char *slack_announce_channel; /* "" : no announcements; else a channel id, C... or G... */
    char *privacy_private_announcement; /* "redacted", "none" or "full" */
    int64_t privacy_private_thread_updates; /* 1: a private incident's updates go under its announcement */
    char *slack_support_channel;  /* "" : none; else the channel id where customer-facing
                                     summaries go (plan step 3) */
    /* [roles] */
    char *roles_irm_group;        /* "" or a user group id, S... */
    char **roles_irm_users;       /* user ids, U... or W...; NULL when none */
    size_t n_roles_irm_users;
    char *roles_dpo;              /* "" or a user id */
    /* [oncall] */
    char **oncall_users;          /* user ids invited into every incident channel; NULL when none */
    size_t n_oncall_users;
    /* [breach] */
    int64_t breach_notify_within_hours;  /* 1..720 */
    int64_t *breach_remind_before_hours; /* each 1..720, < notify_within_hours, distinct; as
                                            written (not sorted); NULL when none */
    size_t n_breach_remind_before_hours;
    /* [postmortem]: plan steps 8 and 9 */
    int64_t postmortem_due_hours;            /* 1..720: internal postmortem due after resolving */
    int64_t *postmortem_remind_before_hours; /* each 1..720, < due_hours; NULL when none */
    size_t n_postmortem_remind_before_hours;
    char **postmortem_required_for; /* severities whose internal postmortem is required */
    size_t n_postmortem_required_for;
    /* [oncall], continued */
    char *oncall_group;           /* "" or a user group id, S... */
    char **oncall_rotation;       /* weekly rotation of user ids */
    size_t n_oncall_rotation;
    char *oncall_rotation_start;  /* YYYY-MM-DD in the rotation's first week */
    /* [business_hours] (in [incident] timezone) */
    int64_t hours_enabled;        /* 0: always business hours */
    char **hours_days;            /* "mon".."sun" */
    size_t n_hours_days;
    char *hours_start, *hours_end; /* "HH:MM", start < end */
    char **hours_escalate;        /* severities paging the IRMs out of hours */
    size_t n_hours_escalate;
    /* [permissions] */
    char **perm_declare;          /* "everyone" or user ids */
    size_t n_perm_declare;
    char **perm_manage;           /* everyone, team, irms, admins or user ids */
    size_t n_perm_manage;
    char **perm_admins;
    size_t n_perm_admins;
    /* [reminders] */
    int64_t reminders_irm_unclaimed_minutes; /* 0: never */
    int64_t reminders_public_update_minutes; /* 0: never */
    /* [incident], continued, and [status]: plan steps 4-7 */
    int64_t incident_reassess_after_minutes; /* 0..10080; 0: no timed prompt */
    char *status_identified_template;        /* public message templates: render_status_check_
                                                template() passed ({title} {severity} {id}) */
    char *status_monitoring_template;
    char *status_resolved_template;
    /* [statuspage]: the built-in page */
    char *statuspage_title; /* page name */
    char *statuspage_url;   /* public base URL, with a trailing '/' */
    struct cfg_component *statuspage_components; /* [[statuspage.components]], in file order */
    size_t n_statuspage_components;
    /* [call] */
    char *call_url_template;      /* "" or an http(s) URL whose placeholders are only {id} and
                                     {channel} */

    /* [statuspage.atlassian]: the hosted Statuspage mirror (off while page_id is "") */
    char *atlassian_api_base_url; /* management API, with a trailing '/' */
    char *atlassian_page_id;      /* "" or the page's id */
    char **atlassian_components;  /* "name=id": our component name, their component id */
    size_t n_atlassian_components;

    /* [[webhooks]], in file order */
    struct cfg_webhook *webhooks;
    size_t n_webhooks;

    /* Secrets: from the environment only; NULL when not set. Never log them. */
    char *slack_bot_token;        /* SLACK_BOT_TOKEN, xoxb-... */
    char *slack_app_token;        /* SLACK_APP_TOKEN, xapp-... */
    char *statuspage_api_key;     /* STATUSPAGE_API_KEY, optional */

    /*
     * Not configuration: set by `incidentd console` only. Non-NULL, Slack is
     * the console's in-process workspace (bot/console_slack.c): delivery
     * calls it instead of the Web API and no Socket Mode link is opened.
     * Borrowed; never freed by cfg_free().
     */
    const struct slack_api_local *slack_local;
};

/* Error messages collected while loading; each is one line without '\n'. */
struct cfg_diag {
    char **lines;
    size_t n;
};

/* Frees the lines; the diag may be reused afterwards. */
void cfg_diag_free(struct cfg_diag *d);

/* A configuration holding the embedded defaults. Caller frees with cfg_free(). */
struct config *cfg_defaults(void);

/*
 * Reads and checks the file at path. On success *out is a new config (the
 * defaults overlaid with the file) and BOT_OK is returned. On failure
 * *out is NULL, every problem found is appended to diag as
 * "path:line: message", and BOT_ECONFIG (or BOT_EIO) is returned.
 */
enum bot_rc cfg_load_file(const char *path, struct config **out, struct cfg_diag *diag)
    BOT_MUST_CHECK;
/* The same for a buffer already in memory; name is used in messages. */
enum bot_rc cfg_load_buf(const char *name, const char *buf, size_t len, struct config **out,
                         struct cfg_diag *diag) BOT_MUST_CHECK;

/*
 * Reads SLACK_BOT_TOKEN, SLACK_APP_TOKEN, STATUSPAGE_API_KEY and each
 * webhook's secret_env through getenv_fn (getenv in the product; a table in
 * tests) into cfg, checking each one's shape; a webhook's secret is required. Missing required tokens and malformed ones are
 * appended to diag (naming the variable, never its value) and make it
 * return BOT_ECONFIG.
 */
enum bot_rc cfg_load_secrets(struct config *cfg, const char *(*getenv_fn)(const char *),
                             struct cfg_diag *diag) BOT_MUST_CHECK;

void cfg_free(struct config *cfg);

/* Noon UTC of a YYYY-MM-DD date (the same date in every zone), in Unix ms; -1 when not a date. */
int64_t cfg_date_ms(const char *s);

/* The [[webhooks]] entry whose outbox lane is lane, or NULL. */
const struct cfg_webhook *cfg_webhook_by_lane(const struct config *cfg, const char *lane);

/* The schema, for tests and tools: number of keys, and the i-th key's table and name. */
size_t cfg_key_count(void);
const char *cfg_key_name(size_t i, const char **table);

/* Writes "[table]\nkey = default  # help" for every key: the reference for config.example.toml. */
void cfg_print_reference(FILE *f);

struct audience_config;
/* [privacy] as commands/audience.h takes it. */
void config_audience(const struct config *c, struct audience_config *out);

#endif
