/*
 * The configuration table and its loader (see config.h). Every key the bot
 * reads is one row of cfg_keys[]: adding a key is adding a row, and the
 * checks, the defaults and `cfg_print_reference` follow from it.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "chan_name.h"
#include "hook.h"
#include "hours.h"
#include "incident.h"
#include "render_status.h"
#include "toml.h"
#include "audience.h"
#include "xmalloc.h"

enum cfg_type {
    CT_STRING,
    CT_INT,
    CT_BOOL,
    CT_URL,      /* http:// or https:// base URL; stored with a trailing '/' */
    CT_LISTEN,   /* host:port for a listening socket */
    CT_LOGLEVEL, /* debug | info | warn | error */
    CT_STRLIST,  /* array of strings: char ** at off, size_t count at off_n; default [] */
    CT_INTLIST,  /* array of integers: int64_t * at off, size_t count at off_n */
};

/*
 * A check of a string (or of one element of a string list) beyond its
 * type and length: BOT_OK, or BOT_ECONFIG with the reason in err, written
 * to follow "[table] key: " in the message, so it does not name the key.
 */
typedef enum bot_rc cfg_check_fn(const char *s, struct bot_err *err);

struct cfg_key {
    const char *table;
    const char *key;
    enum cfg_type type;
    const char *def_str;     /* default for string-like types */
    int64_t def_int;         /* default for CT_INT and CT_BOOL */
    const int64_t *def_ints; /* default for CT_INTLIST: n_def values */
    const char *const *def_strs; /* default for CT_STRLIST: n_def values (none: []) */
    size_t n_def;
    int64_t min, max;    /* CT_INT and CT_INTLIST elements: the range; strings: the length */
    size_t max_items;    /* lists: most entries */
    cfg_check_fn *check; /* strings and CT_STRLIST elements: extra check, or NULL */
    size_t off;          /* offset of the field in struct config */
    size_t off_n;        /* lists: offset of the size_t count */
    size_t off_host;     /* CT_LISTEN: offset of the parsed host (char *) */
    size_t off_port;     /* CT_LISTEN: offset of the parsed port (int) */
    const char *help;
};

#define OFF(f) offsetof(struct config, f)

static cfg_check_fn check_timezone, check_channel_name, check_channel_id, check_group_id,
    check_user_id, check_user_id_or_empty, check_call_url, check_day, check_clock,
    check_severity, check_date, check_declare_who, check_manage_who, check_status_template;
static cfg_check_fn check_sp_id, check_sp_component, check_private_announcement;

static const char *const def_days[] = {"mon", "tue", "wed", "thu", "fri"};
static const char *const def_escalate[] = {"critical"};
static const char *const def_postmortem_required[] = {"critical", "major", "minor"};
static const char *const def_declare[] = {"everyone"};
static const char *const def_manage[] = {"team", "irms", "admins"};
#define NDEF(a) .def_strs = (a), .n_def = sizeof(a) / sizeof((a)[0])

static const int64_t def_remind_before_hours[] = {24, 4, 1};
static const int64_t def_postmortem_remind[] = {4};

/* One row per key reads better than one field per line. */
/* clang-format off */
static const struct cfg_key cfg_keys[] = {
    {.table = "slack", .key = "api_base_url", .type = CT_URL, .def_str = "https://slack.com/api/",
     .min = 10, .max = 2000, .off = OFF(slack_api_base_url),
     .help = "Base URL of Slack's Web API; tests and the emulator point it at loopback"},
    {.table = "slack", .key = "connections", .type = CT_INT, .def_int = 2, .min = 1, .max = 10,
     .off = OFF(slack_connections),
     .help = "Socket Mode connections kept open at once (Slack allows up to 10)"},
    {.table = "slack", .key = "stall_seconds", .type = CT_INT, .def_int = 60, .min = 5,
     .max = 3600, .off = OFF(slack_stall_seconds),
     .help = "Reconnect a Socket Mode link when nothing (not even a ping) arrived for this long"},
    {.table = "slack", .key = "call_timeout_seconds", .type = CT_INT, .def_int = 30, .min = 1,
     .max = 600, .off = OFF(slack_call_timeout_seconds),
     .help = "Longest time one Web API call may take, retries excluded"},
    {.table = "slack", .key = "ca_file", .type = CT_STRING, .def_str = "", .min = 0, .max = 4096,
     .off = OFF(slack_ca_file),
     .help = "PEM file of CA certificates to trust for Slack instead of the system's (a "
             "TLS-inspecting proxy); empty: the system CAs"},
    {.table = "slack", .key = "channel_name", .type = CT_STRING,
     .def_str = "inc-{date}-{id}-{slug}", .min = 0, .max = 4096, .check = check_channel_name,
     .off = OFF(slack_channel_name),
     .help = "Name of each incident's channel: {date} (YYYY-MM-DD in [incident] timezone), {id}, "
             "{slug} (from the title) and {severity}, with a-z, 0-9, '-' and '_' between them"},
    {.table = "slack", .key = "announce_channel", .type = CT_STRING, .def_str = "", .min = 0,
     .max = 64, .check = check_channel_id, .off = OFF(slack_announce_channel),
     .help = "Channel id (C... or G...) where every declared incident is announced and kept "
             "current; empty: no announcements"},
    {.table = "slack", .key = "support_channel", .type = CT_STRING, .def_str = "", .min = 0,
     .max = 64, .check = check_channel_id, .off = OFF(slack_support_channel),
     .help = "Channel id (C... or G...) of the support team, where `/incident support summary` "
             "posts the customer-facing summary of an incident (plan step 3); empty: none"},
    {.table = "privacy", .key = "private_announcement", .type = CT_STRING,
     .def_str = "redacted", .min = 1, .max = 16, .check = check_private_announcement,
     .off = OFF(privacy_private_announcement),
     .help = "What the announcement channel (the whole company) shows of a private incident (a "
             "suspected breach): \"redacted\" (INC number, severity, status and whom to ask for "
             "access; no title, no channel), \"none\" (nothing; one already posted is redacted), "
             "or \"full\" (as any incident)"},
    {.table = "privacy", .key = "private_thread_updates", .type = CT_BOOL, .def_int = 0,
     .min = 0, .max = 1, .off = OFF(privacy_private_thread_updates),
     .help = "Whether notes, status and severity changes of a private incident are threaded "
             "under its announcement; false keeps them in its private channel"},
    {.table = "store", .key = "path", .type = CT_STRING, .def_str = "var/incidentd.db", .min = 1,
     .max = 4096, .off = OFF(store_path),
     .help = "SQLite database file; its directory must exist and be writable"},
    {.table = "store", .key = "busy_timeout_ms", .type = CT_INT, .def_int = 5000, .min = 0,
     .max = 600000, .off = OFF(store_busy_timeout_ms),
     .help = "How long a writer waits for another connection's lock before failing"},
    {.table = "store", .key = "fsync_every_commit", .type = CT_BOOL, .def_int = 1, .min = 0,
     .max = 1, .off = OFF(store_fsync_every_commit),
     .help = "true: every commit reaches the disk before an envelope is acked (survives power "
             "loss); false: survives a crash of the process only, with much lower ack latency"},
    {.table = "http", .key = "listen", .type = CT_LISTEN, .def_str = "127.0.0.1:8080", .min = 3,
     .max = 300, .off = OFF(http_listen), .off_host = OFF(http_host), .off_port = OFF(http_port),
     .help = "Address of the public HTTP server: the status page, its JSON API and feeds only "
             "(/healthz and /metrics are on internal_listen)"},
    {.table = "http", .key = "internal_listen", .type = CT_LISTEN, .def_str = "127.0.0.1:8081",
     .min = 3, .max = 300, .off = OFF(http_internal_listen), .off_host = OFF(http_internal_host),
     .off_port = OFF(http_internal_port),
     .help = "Address of the internal HTTP server: /healthz and /metrics (Prometheus); never "
             "expose it to the internet; must differ from listen"},
    {.table = "http", .key = "max_connections", .type = CT_INT, .def_int = 1000, .min = 1,
     .max = 100000, .off = OFF(http_max_connections),
     .help = "Most connections the public listener keeps open at once; more are closed as soon "
             "as accepted (also kept below the process's open-file limit)"},
    {.table = "http", .key = "max_connections_per_address", .type = CT_INT, .def_int = 64,
     .min = 1, .max = 100000, .off = OFF(http_max_connections_per_address),
     .help = "Most connections one client address may hold open on the public listener (behind "
             "a proxy every client has the proxy's address: raise it to max_connections)"},
    {.table = "http", .key = "header_timeout_seconds", .type = CT_INT, .def_int = 10, .min = 1,
     .max = 300, .off = OFF(http_header_timeout_seconds),
     .help = "Seconds a client has to send a request's headers once connected; then the "
             "connection is closed"},
    {.table = "http", .key = "idle_timeout_seconds", .type = CT_INT, .def_int = 5, .min = 1,
     .max = 300, .off = OFF(http_idle_timeout_seconds),
     .help = "Seconds an idle kept-alive connection, or a client that stopped reading its "
             "answer, is kept before it is closed"},
    {.table = "statuspage", .key = "title", .type = CT_STRING, .def_str = "Status", .min = 1,
     .max = 200, .off = OFF(statuspage_title),
     .help = "Name of the built-in status page, shown in its banner, API and feeds"},
    {.table = "statuspage", .key = "url", .type = CT_URL, .def_str = "http://127.0.0.1:8080/",
     .min = 10, .max = 2000, .off = OFF(statuspage_url),
     .help = "Public base URL of the built-in status page, for links in its JSON and feeds"},
    {.table = "statuspage.atlassian", .key = "api_base_url", .type = CT_URL,
     .def_str = "https://api.statuspage.io/v1", .min = 10, .max = 2000,
     .off = OFF(atlassian_api_base_url),
     .help = "Base URL of the Atlassian Statuspage management API"},
    {.table = "statuspage.atlassian", .key = "page_id", .type = CT_STRING, .def_str = "",
     .min = 0, .max = 63, .check = check_sp_id, .off = OFF(atlassian_page_id),
     .help = "Statuspage page id to mirror published incidents to; \"\": no mirror"},
    {.table = "statuspage.atlassian", .key = "components", .type = CT_STRLIST, .min = 3,
     .max = 264, .max_items = 100, .check = check_sp_component, .off = OFF(atlassian_components),
     .off_n = OFF(n_atlassian_components),
     .help = "Our component names and their Statuspage component ids, as \"name=id\""},
    {.table = "log", .key = "level", .type = CT_LOGLEVEL, .def_str = "info", .off = OFF(log_level),
     .help = "Least severe level written to stderr: debug, info, warn or error"},
    {.table = "incident", .key = "min_duration_minutes", .type = CT_INT, .def_int = 15, .min = 0,
     .max = 10080, .off = OFF(incident_min_duration_minutes),
     .help = "An incident has lasted longer than this many minutes; a shorter one may still be "
             "declared, as a potential incident"},
    {.table = "incident", .key = "min_affected_users", .type = CT_INT, .def_int = 5, .min = 0,
     .max = 10000000, .off = OFF(incident_min_affected_users),
     .help = "An incident affects at least this many users; fewer may still be declared, as a "
             "potential incident"},
    {.table = "incident", .key = "timezone", .type = CT_STRING, .def_str = "UTC", .min = 1,
     .max = 100, .check = check_timezone, .off = OFF(incident_timezone),
     .help = "IANA time zone of business hours, of times such as --started 14:05 and of {date} "
             "in channel names, e.g. \"Europe/Berlin\"; needs the tzdata package unless \"UTC\""},
    {.table = "incident", .key = "reassess_after_minutes", .type = CT_INT, .def_int = 60,
     .min = 0, .max = 10080, .off = OFF(incident_reassess_after_minutes),
     .help = "Prompt the incident's channel to re-assess the severity this many minutes after it "
             "was declared or last changed, and again after as long (also on every status "
             "change); 0: only on status changes"},
    {.table = "severity", .key = "critical_percent", .type = CT_INT, .def_int = 50, .min = 1,
     .max = 100, .off = OFF(severity_critical_percent),
     .help = "Share of customers affected, in percent, from which the declare form suggests "
             "critical"},
    {.table = "severity", .key = "major_percent", .type = CT_INT, .def_int = 10, .min = 1,
     .max = 100, .off = OFF(severity_major_percent),
     .help = "Share of customers affected, in percent, from which the declare form suggests "
             "major; less than critical_percent"},
    {.table = "status", .key = "identified_template", .type = CT_STRING,
     .def_str = RENDER_STATUS_TEMPLATE_IDENTIFIED, .min = 0, .max = 8000,
     .check = check_status_template, .off = OFF(status_identified_template),
     .help = "The public message proposed when an incident is marked identified (the form is "
             "pre-filled with it): {title}, {severity} and {id} are filled in, at most 2000 "
             "characters; empty: the built-in text"},
    {.table = "status", .key = "monitoring_template", .type = CT_STRING,
     .def_str = RENDER_STATUS_TEMPLATE_MONITORING, .min = 0, .max = 8000,
     .check = check_status_template, .off = OFF(status_monitoring_template),
     .help = "The same when an incident is marked monitoring"},
    {.table = "status", .key = "resolved_template", .type = CT_STRING,
     .def_str = RENDER_STATUS_TEMPLATE_RESOLVED, .min = 0, .max = 8000,
     .check = check_status_template, .off = OFF(status_resolved_template),
     .help = "The same when an incident is marked resolved"},
    {.table = "roles", .key = "irm_group", .type = CT_STRING, .def_str = "", .min = 0, .max = 64,
     .check = check_group_id, .off = OFF(roles_irm_group),
     .help = "User group id (S...) whose members are the Incident Response Managers; empty: "
             "none"},
    {.table = "roles", .key = "irm_users", .type = CT_STRLIST, .min = 0, .max = 64,
     .max_items = CFG_MAX_STR_LIST, .check = check_user_id, .off = OFF(roles_irm_users),
     .off_n = OFF(n_roles_irm_users),
     .help = "User ids (U... or W...) of Incident Response Managers, besides irm_group's members"},
    {.table = "roles", .key = "dpo", .type = CT_STRING, .def_str = "", .min = 0, .max = 64,
     .check = check_user_id_or_empty, .off = OFF(roles_dpo),
     .help = "User id (U... or W...) of the Data Protection Officer, invited when a breach is "
             "suspected; empty: none"},
    {.table = "oncall", .key = "users", .type = CT_STRLIST, .min = 0, .max = 64,
     .max_items = CFG_MAX_STR_LIST, .check = check_user_id, .off = OFF(oncall_users),
     .off_n = OFF(n_oncall_users),
     .help = "User ids (U... or W...) of the on-call engineers, invited into every incident "
             "channel"},
    {.table = "oncall", .key = "group", .type = CT_STRING, .def_str = "", .min = 0, .max = 64,
     .check = check_group_id, .off = OFF(oncall_group),
     .help = "User group id (S...) of the on-call engineers, mentioned when an incident starts "
             "outside business hours; empty: none"},
    {.table = "oncall", .key = "rotation", .type = CT_STRLIST, .min = 0, .max = 64,
     .max_items = CFG_MAX_STR_LIST, .check = check_user_id, .off = OFF(oncall_rotation),
     .off_n = OFF(n_oncall_rotation),
     .help = "A weekly rotation: one user id per week (Monday to Monday in [incident] timezone), "
             "starting with the week of rotation_start; this week's engineer is on call too"},
    {.table = "oncall", .key = "rotation_start", .type = CT_STRING, .def_str = "2026-01-05",
     .min = 10, .max = 10, .check = check_date, .off = OFF(oncall_rotation_start),
     .help = "A day (YYYY-MM-DD) in the week of the rotation's first engineer"},
    {.table = "business_hours", .key = "enabled", .type = CT_BOOL, .def_int = 0, .min = 0,
     .max = 1, .off = OFF(hours_enabled),
     .help = "false: every moment counts as business hours (the IRMs are always paged); true: "
             "outside days/start/end the on-call engineers run the simplified plan"},
    {.table = "business_hours", .key = "days", .type = CT_STRLIST, NDEF(def_days), .min = 3,
     .max = 9, .max_items = 7, .check = check_day, .off = OFF(hours_days),
     .off_n = OFF(n_hours_days),
     .help = "Working days: mon, tue, wed, thu, fri, sat, sun (in [incident] timezone)"},
    {.table = "business_hours", .key = "start", .type = CT_STRING, .def_str = "09:00", .min = 5,
     .max = 5, .check = check_clock, .off = OFF(hours_start),
     .help = "When business hours begin on a working day, HH:MM"},
    {.table = "business_hours", .key = "end", .type = CT_STRING, .def_str = "17:00", .min = 5,
     .max = 5, .check = check_clock, .off = OFF(hours_end),
     .help = "When they end, HH:MM (after start; 24:00 is midnight)"},
    {.table = "business_hours", .key = "escalate_severities", .type = CT_STRLIST,
     NDEF(def_escalate), .min = 5, .max = 8, .max_items = 3, .check = check_severity,
     .off = OFF(hours_escalate), .off_n = OFF(n_hours_escalate),
     .help = "Severities that page the IRMs outside business hours (also when raised later); "
             "others wait for business hours"},
    {.table = "permissions", .key = "declare", .type = CT_STRLIST, NDEF(def_declare), .min = 1,
     .max = 64, .max_items = CFG_MAX_STR_LIST, .check = check_declare_who,
     .off = OFF(perm_declare), .off_n = OFF(n_perm_declare),
     .help = "Who may declare: \"everyone\", or user ids"},
    {.table = "permissions", .key = "manage", .type = CT_STRLIST, NDEF(def_manage), .min = 1,
     .max = 64, .max_items = CFG_MAX_STR_LIST, .check = check_manage_who,
     .off = OFF(perm_manage), .off_n = OFF(n_perm_manage),
     .help = "Who may change severity and status, publish and close: \"everyone\", \"team\" "
             "(the incident's declarer and role holders), \"irms\", \"admins\", or user ids"},
    {.table = "permissions", .key = "admins", .type = CT_STRLIST, .min = 0, .max = 64,
     .max_items = CFG_MAX_STR_LIST, .check = check_user_id, .off = OFF(perm_admins),
     .off_n = OFF(n_perm_admins),
     .help = "User ids of the admins named by \"admins\" in manage"},
    {.table = "breach", .key = "notify_within_hours", .type = CT_INT, .def_int = 72, .min = 1,
     .max = 720, .off = OFF(breach_notify_within_hours),
     .help = "Hours from when a breach is first suspected until the regulator must be notified"},
    {.table = "breach", .key = "remind_before_hours", .type = CT_INTLIST,
     .def_ints = def_remind_before_hours,
     .n_def = sizeof(def_remind_before_hours) / sizeof(def_remind_before_hours[0]), .min = 1,
     .max = 720, .max_items = CFG_MAX_INT_LIST, .off = OFF(breach_remind_before_hours),
     .off_n = OFF(n_breach_remind_before_hours),
     .help = "Remind the incident channel this many hours before the regulator deadline; each "
             "less than notify_within_hours, at most 10"},
    {.table = "postmortem", .key = "due_hours", .type = CT_INT, .def_int = 24, .min = 1,
     .max = 720, .off = OFF(postmortem_due_hours),
     .help = "Hours from resolving an incident until its internal postmortem is due; the "
             "channel is told, reminded, and told when it is overdue"},
    {.table = "postmortem", .key = "remind_before_hours", .type = CT_INTLIST,
     .def_ints = def_postmortem_remind, .n_def = 1, .min = 1, .max = 720,
     .max_items = CFG_MAX_INT_LIST, .off = OFF(postmortem_remind_before_hours),
     .off_n = OFF(n_postmortem_remind_before_hours),
     .help = "Remind the incident channel this many hours before the internal postmortem is "
             "due; each less than due_hours, at most 10"},
    {.table = "postmortem", .key = "required_for", .type = CT_STRLIST,
     NDEF(def_postmortem_required), .min = 5, .max = 8, .max_items = 3,
     .check = check_severity, .off = OFF(postmortem_required_for),
     .off_n = OFF(n_postmortem_required_for),
     .help = "Severities whose internal postmortem is required (a deadline and reminders once "
             "resolved); for the others it is optional: none, and the channel is told so"},
    {.table = "reminders", .key = "irm_unclaimed_minutes", .type = CT_INT, .def_int = 15,
     .min = 0, .max = 1440, .off = OFF(reminders_irm_unclaimed_minutes),
     .help = "Remind the channel (and ping the IRMs again) every this many minutes while nobody "
             "has taken the IRM role of a declared incident; 0: never"},
    {.table = "reminders", .key = "public_update_minutes", .type = CT_INT, .def_int = 60,
     .min = 0, .max = 1440, .off = OFF(reminders_public_update_minutes),
     .help = "Remind the support liaison when a public incident's status page had no update for "
             "this many minutes (until it is resolved); 0: never"},
    {.table = "call", .key = "url_template", .type = CT_STRING, .def_str = "", .min = 0,
     .max = 2000, .check = check_call_url, .off = OFF(call_url_template),
     .help = "http(s) URL of each incident's video call, with {id} and {channel} (the channel's "
             "name) filled in; empty: the IRM sets the call link by hand"},
};
/* clang-format on */

#define NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

static void diag_add(struct cfg_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void diag_add(struct cfg_diag *d, const char *fmt, ...)
{
    if (d == NULL || d->n >= CFG_MAX_ERRORS)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *line = xvasprintf(fmt, ap);
    va_end(ap);
    d->lines = xreallocarray(d->lines, d->n + 1, sizeof(*d->lines));
    d->lines[d->n++] = line;
}

void cfg_diag_free(struct cfg_diag *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->lines[i]);
    free(d->lines);
    d->lines = NULL;
    d->n = 0;
}

static char **str_field(struct config *c, const struct cfg_key *k)
{
    return (char **)(void *)((char *)c + k->off);
}

static int64_t *int_field(struct config *c, const struct cfg_key *k)
{
    return (int64_t *)(void *)((char *)c + k->off);
}

static char ***strlist_field(struct config *c, const struct cfg_key *k)
{
    return (char ***)(void *)((char *)c + k->off);
}

static int64_t **intlist_field(struct config *c, const struct cfg_key *k)
{
    return (int64_t **)(void *)((char *)c + k->off);
}

static size_t *count_field(struct config *c, const struct cfg_key *k)
{
    return (size_t *)(void *)((char *)c + k->off_n);
}

static char **host_field(struct config *c, const struct cfg_key *k)
{
    return (char **)(void *)((char *)c + k->off_host);
}

static int *port_field(struct config *c, const struct cfg_key *k)
{
    return (int *)(void *)((char *)c + k->off_port);
}

static bool is_string_type(enum cfg_type t)
{
    return t == CT_STRING || t == CT_URL || t == CT_LISTEN;
}

static void components_free(struct cfg_component *v, size_t n);
static void webhooks_free(struct cfg_webhook *v, size_t n);

static void strlist_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Splits "host:port" or "[v6]:port"; false with a reason when it is neither. */
static bool parse_listen(const char *s, char **host, int *port, const char **why)
{
    const char *colon;
    const char *hs = s, *he;
    if (s[0] == '[') {
        he = strchr(s, ']');
        if (he == NULL || he[1] != ':') {
            *why = "an IPv6 address must be written [addr]:port";
            return false;
        }
        hs = s + 1;
        colon = he + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL) {
            *why = "expected host:port, e.g. \"127.0.0.1:8080\"";
            return false;
        }
        he = colon;
    }
    if (he == hs) {
        *why = "the host is empty; use 0.0.0.0 to listen on every address";
        return false;
    }
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || errno || p < 0 || p > 65535) {
        *why = "the port must be a number from 0 to 65535";
        return false;
    }
    *host = xmemdup0(hs, (size_t)(he - hs));
    *port = (int)p;
    return true;
}

static void set_defaults(struct config *c)
{
    for (size_t i = 0; i < NKEYS; i++) {
        const struct cfg_key *k = &cfg_keys[i];
        switch (k->type) {
        case CT_INT:
        case CT_BOOL:
            *int_field(c, k) = k->def_int;
            break;
        case CT_LOGLEVEL:
            log_level_parse(k->def_str, &c->log_level);
            break;
        case CT_STRING:
        case CT_URL:
            *str_field(c, k) = xstrdup(k->def_str);
            break;
        case CT_LISTEN: {
            const char *why;
            *str_field(c, k) = xstrdup(k->def_str);
            if (!parse_listen(k->def_str, host_field(c, k), port_field(c, k), &why))
                abort(); /* the built-in default is wrong: a bug, not a user error */
            break;
        }
        case CT_STRLIST:
            *strlist_field(c, k) = NULL;
            if (k->n_def > 0) {
                *strlist_field(c, k) = xreallocarray(NULL, k->n_def, sizeof(char *));
                for (size_t j = 0; j < k->n_def; j++)
                    (*strlist_field(c, k))[j] = xstrdup(k->def_strs[j]);
            }
            *count_field(c, k) = k->n_def;
            break;
        case CT_INTLIST:
            *intlist_field(c, k) = NULL;
            if (k->n_def > 0) {
                *intlist_field(c, k) = xreallocarray(NULL, k->n_def, sizeof(int64_t));
                memcpy(*intlist_field(c, k), k->def_ints, k->n_def * sizeof(int64_t));
            }
            *count_field(c, k) = k->n_def;
            break;
        }
    }
}

struct config *cfg_defaults(void)
{
    struct config *c = xcalloc(1, sizeof(*c));
    set_defaults(c);
    return c;
}

void cfg_free(struct config *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < NKEYS; i++) {
        const struct cfg_key *k = &cfg_keys[i];
        if (is_string_type(k->type))
            free(*str_field(c, k));
        if (k->type == CT_LISTEN)
            free(*host_field(c, k));
        else if (k->type == CT_STRLIST)
            strlist_free(*strlist_field(c, k), *count_field(c, k));
        else if (k->type == CT_INTLIST)
            free(*intlist_field(c, k));
    }
    free(c->slack_bot_token);
    free(c->slack_app_token);
    free(c->statuspage_api_key);
    components_free(c->statuspage_components, c->n_statuspage_components);
    webhooks_free(c->webhooks, c->n_webhooks);
    free(c);
}

/* Edit distance, for "did you mean" on unknown keys; short strings only. */
static size_t distance(const char *a, size_t la, const char *b)
{
    size_t lb = strlen(b);
    size_t row[64];
    if (la >= 63 || lb >= 63)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

/* A printable copy of a key for messages (keys may contain NUL or quotes). */
static char *show_key(const char *k, size_t len)
{
    struct buf b;
    buf_init(&b, 200);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)k[i];
        enum bot_rc rc = (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
                             ? buf_addf(&b, "\\x%02x", c)
                             : buf_add(&b, &k[i], 1);
        if (rc)
            break;
    }
    return buf_take(&b);
}

static const char *suggest_table(const char *name, size_t len)
{
    const char *best = NULL;
    size_t bestd = 3;
    for (size_t i = 0; i < NKEYS; i++) {
        size_t d = distance(name, len, cfg_keys[i].table);
        if (d < bestd) {
            bestd = d;
            best = cfg_keys[i].table;
        }
    }
    return best;
}

static const char *suggest_key(const char *table, const char *name, size_t len)
{
    const char *best = NULL;
    size_t bestd = 4;
    for (size_t i = 0; i < NKEYS; i++) {
        if (strcmp(cfg_keys[i].table, table) != 0)
            continue;
        size_t d = distance(name, len, cfg_keys[i].key);
        if (d < bestd) {
            bestd = d;
            best = cfg_keys[i].key;
        }
    }
    return best;
}

static const char *type_wanted(enum cfg_type t)
{
    switch (t) {
    case CT_INT: return "an integer";
    case CT_BOOL: return "true or false";
    case CT_URL: return "a URL string (http:// or https://)";
    case CT_LISTEN: return "a \"host:port\" string";
    case CT_LOGLEVEL: return "one of \"debug\", \"info\", \"warn\", \"error\"";
    case CT_STRLIST: return "an array of strings";
    case CT_INTLIST: return "an array of integers";
    case CT_STRING: break;
    }
    return "a string";
}

/* "a string", "an integer": the article and name of a TOML type, for messages. */
static const char *article(enum toml_type t)
{
    return t == TOML_INTEGER || t == TOML_ARRAY ? "an" : "a";
}

static bool has_nul(const char *s, size_t len)
{
    return memchr(s, '\0', len) != NULL;
}

/*
 * Slack ids: one of the letters in prefixes, then 2 to 20 uppercase
 * letters or digits (e.g. U0ALICE0001, C0GENERAL01, S0IRMS0001).
 */
static bool slack_id_ok(const char *s, const char *prefixes)
{
    if (s[0] == '\0' || strchr(prefixes, s[0]) == NULL)
        return false;
    size_t n = strlen(s + 1);
    if (n < 2 || n > 20)
        return false;
    for (const char *p = s + 1; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

/* The value as quoted in a message: control characters and quotes escaped, cut at 80 bytes. */
static enum bot_rc id_error(struct bot_err *err, const char *s, const char *what)
{
    char *shown = show_key(s, strlen(s) > 80 ? 80 : strlen(s));
    bot_err_set(err, BOT_ECONFIG, "\"%s%s\" is not %s", shown, strlen(s) > 80 ? "..." : "", what);
    free(shown);
    return BOT_ECONFIG;
}

static enum bot_rc check_user_id(const char *s, struct bot_err *err)
{
    return slack_id_ok(s, "UW") ? BOT_OK : id_error(err, s, "a Slack user id (U… or W…)");
}

static enum bot_rc check_day(const char *s, struct bot_err *err)
{
    int d;
    if (hours_parse_day(s, &d))
        return BOT_OK;
    return bot_err_set(err, BOT_ECONFIG, "\"%.20s\" is not a day (mon, tue, wed, thu, fri, sat, "
                       "sun)", s);
}

static enum bot_rc check_clock(const char *s, struct bot_err *err)
{
    int m;
    if (hours_parse_clock(s, &m))
        return BOT_OK;
    return bot_err_set(err, BOT_ECONFIG, "\"%.20s\" is not a time of day (HH:MM, 00:00 to "
                       "24:00)", s);
}

static enum bot_rc check_severity(const char *s, struct bot_err *err)
{
    enum severity sev;
    if (plan_severity_parse(s, strlen(s), &sev))
        return BOT_OK;
    return bot_err_set(err, BOT_ECONFIG, "\"%.20s\" is not a severity (critical, major, "
                       "minor)", s);
}

int64_t cfg_date_ms(const char *s)
{
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 ||
        m > 12 || d < 1 || d > 31 || y < 1970 || y > 9999)
        return -1;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap))
        return -1;
    /* Days since 1970-01-01 (civil calendar), then noon UTC: the same date in every zone. */
    int yy = y - (m <= 2), era = yy / 400, yoe = yy - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t days = (int64_t)era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    return days * 86400000 + 12 * 3600000;
}

static enum bot_rc check_date(const char *s, struct bot_err *err)
{
    if (cfg_date_ms(s) >= 0)
        return BOT_OK;
    return bot_err_set(err, BOT_ECONFIG, "\"%.20s\" is not a date (YYYY-MM-DD)", s);
}

static enum bot_rc check_declare_who(const char *s, struct bot_err *err)
{
    if (strcmp(s, "everyone") == 0 || slack_id_ok(s, "UW"))
        return BOT_OK;
    return bot_err_set(err, BOT_ECONFIG, "\"%.40s\" is neither \"everyone\" nor a Slack user id", s);
}

static enum bot_rc check_manage_who(const char *s, struct bot_err *err)
{
    static const char *const words[] = {"everyone", "team", "irms", "admins"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(s, words[i]) == 0)
            return BOT_OK;
    if (slack_id_ok(s, "UW"))
        return BOT_OK;
    return bot_err_set(err, BOT_ECONFIG, "\"%.40s\" is none of everyone, team, irms, admins or a "
                       "Slack user id", s);
}

static enum bot_rc check_user_id_or_empty(const char *s, struct bot_err *err)
{
    return s[0] == '\0' ? BOT_OK : check_user_id(s, err);
}

static enum bot_rc check_private_announcement(const char *s, struct bot_err *err)
{
    if (strcmp(s, "redacted") == 0 || strcmp(s, "none") == 0 || strcmp(s, "full") == 0)
        return BOT_OK;
    return bot_err_set(err, BOT_ECONFIG, "expected \"redacted\", \"none\" or \"full\", got "
                       "\"%.20s\"", s);
}

static enum bot_rc check_channel_id(const char *s, struct bot_err *err)
{
    if (s[0] == '\0' || slack_id_ok(s, "CG"))
        return BOT_OK;
    return id_error(err, s,
                    "a Slack channel id (C… or G…, from the channel's details; not its "
                    "name)");
}

/* A Statuspage object id: letters and digits (they are 12 lowercase base36 characters). */
static enum bot_rc check_sp_id(const char *s, struct bot_err *err)
{
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return bot_err_set(err, BOT_ECONFIG, "\"%s\" is not a Statuspage id (letters and "
                               "digits)", s);
    return BOT_OK;
}

/* "name=id": one of our component names and the Statuspage component id it stands for. */
static enum bot_rc check_sp_component(const char *s, struct bot_err *err)
{
    const char *eq = strchr(s, '=');
    if (eq == NULL || eq == s || eq[1] == '\0')
        return bot_err_set(err, BOT_ECONFIG, "\"%s\" must be name=statuspage_component_id", s);
    if (check_sp_id(eq + 1, err) != BOT_OK)
        return BOT_ECONFIG;
    return BOT_OK;
}

static enum bot_rc check_group_id(const char *s, struct bot_err *err)
{
    if (s[0] == '\0' || slack_id_ok(s, "S"))
        return BOT_OK;
    return id_error(err, s, "a Slack user group id (S…)");
}

static enum bot_rc check_channel_name(const char *s, struct bot_err *err)
{
    struct bot_err e;
    if (chan_name_check_template(s, &e) == BOT_OK)
        return BOT_OK;
    /* chan_name's messages start with "channel_name", which our prefix names already. */
    const char *m = e.msg;
    if (strncmp(m, "channel_name", 12) == 0) {
        m += 12;
        while (*m == ':' || *m == ' ')
            m++;
    }
    return bot_err_set(err, BOT_ECONFIG, "%s", m);
}

/*
 * A zone glibc will find: TZ is set to this name at start (see main.c), and
 * glibc silently falls back to UTC for a name it cannot find, so the file
 * is looked for here, where a typo can still be reported. "UTC" and
 * "Etc/UTC" need no file: glibc's fallback is exactly them.
 */
static enum bot_rc check_timezone(const char *s, struct bot_err *err)
{
    char path[sizeof(CFG_ZONEINFO_DIR) + 128];
    char magic[4];

    if (strcmp(s, "UTC") == 0 || strcmp(s, "Etc/UTC") == 0)
        return BOT_OK;
    /* tzdata's names only: no absolute path, no "." or "..", no POSIX TZ rule such as ":x" */
    bool ok = s[0] != '/';
    for (const char *p = s; ok && *p; p++)
        ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
             *p == '/' || *p == '_' || *p == '-' || *p == '+';
    int n = snprintf(path, sizeof(path), "%s/%s", CFG_ZONEINFO_DIR, s);
    ok = ok && n > 0 && (size_t)n < sizeof(path);
    if (ok) {
        FILE *f = fopen(path, "rb");
        /* A directory (e.g. "Europe") or a table such as "zone.tab" is not a zone. */
        ok = f != NULL && fread(magic, 1, sizeof(magic), f) == sizeof(magic) &&
             memcmp(magic, "TZif", 4) == 0;
        if (f != NULL)
            fclose(f);
    }
    if (ok)
        return BOT_OK;
    char *shown = show_key(s, strlen(s) > 80 ? 80 : strlen(s));
    if (access(CFG_ZONEINFO_DIR, F_OK) != 0)
        bot_err_set(err, BOT_ECONFIG,
                    "\"%s\" cannot be checked: %s is missing; install the "
                    "tzdata package, or use \"UTC\"",
                    shown, CFG_ZONEINFO_DIR);
    else
        bot_err_set(err, BOT_ECONFIG,
                    "\"%s\" is not a time zone in %s; use an IANA name such as "
                    "\"Europe/Berlin\", \"America/New_York\" or \"UTC\"",
                    shown, CFG_ZONEINFO_DIR);
    free(shown);
    return BOT_ECONFIG;
}

/*
 * [call] url_template: empty, or an http(s) URL without spaces whose
 * placeholders are {id} and {channel} only, so that a typo such as {ID} is
 * an error now rather than a broken link in every incident.
 */
static enum bot_rc check_status_template(const char *s, struct bot_err *err)
{
    struct bot_err e;
    if (render_status_check_template(s, &e) != BOT_OK)
        return bot_err_set(err, BOT_ECONFIG, "%s", e.msg);
    return BOT_OK;
}

static enum bot_rc check_call_url(const char *s, struct bot_err *err)
{
    size_t scheme = strncmp(s, "https://", 8) == 0 ? 8 : strncmp(s, "http://", 7) == 0 ? 7 : 0;
    if (s[0] == '\0')
        return BOT_OK;
    if (scheme == 0)
        return bot_err_set(err, BOT_ECONFIG, "expected a URL starting with http:// or https://");
    if (s[scheme] == '\0' || s[scheme] == '/')
        return bot_err_set(err, BOT_ECONFIG, "the URL has no host after %.*s", (int)scheme, s);
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return bot_err_set(err, BOT_ECONFIG,
                               "a URL must not contain spaces or control characters");
    for (const char *p = s; *p; p++) {
        if (*p == '}')
            return bot_err_set(err, BOT_ECONFIG,
                               "\"}\" without its \"{\"; placeholders are "
                               "{id} and {channel}");
        if (*p != '{')
            continue;
        size_t n = strcspn(p + 1, "{}");
        if (p[1 + n] != '}')
            return bot_err_set(err, BOT_ECONFIG,
                               "\"{\" without its \"}\"; placeholders are "
                               "{id} and {channel}");
        if (!(n == 2 && memcmp(p + 1, "id", 2) == 0) &&
            !(n == 7 && memcmp(p + 1, "channel", 7) == 0))
            return bot_err_set(err, BOT_ECONFIG,
                               "unknown placeholder {%.*s}%s; use {id} or "
                               "{channel}",
                               n > 40 ? 40 : (int)n, p + 1, n > 40 ? "..." : "");
        p += n + 1;
    }
    return BOT_OK;
}

#define CFG_MAX_LABEL 128 /* "[table] key[index]" as it appears in messages */

/* Writes "[table] key", or "[table] key[index]" for a list element (index >= 0). */
static void make_label(char *out, size_t outsz, const struct cfg_key *k, long index)
{
    int n = index < 0 ? snprintf(out, outsz, "[%s] %s", k->table, k->key)
                      : snprintf(out, outsz, "[%s] %s[%ld]", k->table, k->key, index);
    if (n < 0 || (size_t)n >= outsz)
        abort(); /* table and key names are ours and short: a bug */
}

/*
 * The checks every string value gets after its type: no NUL, the length
 * range and the row's check function. label names the key (and index).
 */
static bool string_ok(const struct cfg_key *k, const char *s, size_t len, const char *label,
                      const char *name, int line, struct cfg_diag *d)
{
    if (has_nul(s, len)) {
        diag_add(d, "%s:%d: %s: must not contain a NUL character", name, line, label);
        return false;
    }
    if ((int64_t)len < k->min || (int64_t)len > k->max) {
        diag_add(d, "%s:%d: %s: expected %lld to %lld characters, got %zu", name, line, label,
                 (long long)k->min, (long long)k->max, len);
        return false;
    }
    struct bot_err e;
    if (k->check != NULL && k->check(s, &e) != BOT_OK) {
        diag_add(d, "%s:%d: %s: %s", name, line, label, e.msg);
        return false;
    }
    return true;
}

/* The line of a list element, which may be written on a line of its own. */
static int elem_line(const struct toml_value *e, int line)
{
    int l = toml_line(e);
    return l > 0 ? l : line;
}

/* A list value: an array of at most max_items entries; reports and false when not. */
static bool list_shape_ok(const struct cfg_key *k, const struct toml_value *v, const char *name,
                          int line, struct cfg_diag *d)
{
    char label[CFG_MAX_LABEL];
    enum toml_type t = toml_type(v);
    make_label(label, sizeof(label), k, -1);
    if (t != TOML_ARRAY) {
        diag_add(d, "%s:%d: %s: expected %s, got %s %s", name, line, label, type_wanted(k->type),
                 article(t), toml_type_name(t));
        return false;
    }
    if (toml_array_len(v) > k->max_items) {
        diag_add(d, "%s:%d: %s: expected at most %zu entries, got %zu", name, line, label,
                 k->max_items, toml_array_len(v));
        return false;
    }
    return true;
}

/* One list element's type (TOML arrays may mix types); reports and false when wrong. */
static bool elem_type_ok(const struct toml_value *e, enum toml_type want, const char *label,
                         const char *name, int line, struct cfg_diag *d)
{
    enum toml_type t = toml_type(e);
    if (t == want)
        return true;
    diag_add(d, "%s:%d: %s: expected %s, got %s %s", name, line, label,
             want == TOML_STRING ? "a string" : "an integer", article(t), toml_type_name(t));
    return false;
}

static bool apply_strlist(struct config *c, const struct cfg_key *k, const struct toml_value *v,
                          const char *name, int line, struct cfg_diag *d)
{
    char label[CFG_MAX_LABEL];
    if (!list_shape_ok(k, v, name, line, d))
        return false;
    size_t n = toml_array_len(v);
    char **vals = n ? xcalloc(n, sizeof(*vals)) : NULL;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const struct toml_value *e = toml_array_get(v, i);
        make_label(label, sizeof(label), k, (long)i);
        if (!elem_type_ok(e, TOML_STRING, label, name, elem_line(e, line), d)) {
            ok = false;
            continue;
        }
        size_t len;
        const char *s = toml_string(e, &len);
        bool elem_ok = string_ok(k, s, len, label, name, elem_line(e, line), d);
        for (size_t j = 0; elem_ok && j < i; j++) {
            if (vals[j] != NULL && strcmp(vals[j], s) == 0) {
                char *shown = show_key(s, len);
                diag_add(d, "%s:%d: %s: \"%s\" is listed twice (also at [%zu])", name,
                         elem_line(e, line), label, shown, j);
                free(shown);
                elem_ok = false;
            }
        }
        if (elem_ok)
            vals[i] = xstrdup(s);
        else
            ok = false;
    }
    if (!ok) {
        strlist_free(vals, n);
        return false;
    }
    strlist_free(*strlist_field(c, k), *count_field(c, k));
    *strlist_field(c, k) = vals;
    *count_field(c, k) = n;
    return true;
}

static bool apply_intlist(struct config *c, const struct cfg_key *k, const struct toml_value *v,
                          const char *name, int line, struct cfg_diag *d)
{
    char label[CFG_MAX_LABEL];
    if (!list_shape_ok(k, v, name, line, d))
        return false;
    size_t n = toml_array_len(v);
    int64_t *vals = n ? xreallocarray(NULL, n, sizeof(*vals)) : NULL;
    bool *have = n ? xcalloc(n, sizeof(*have)) : NULL; /* vals[i] is a good value */
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const struct toml_value *e = toml_array_get(v, i);
        make_label(label, sizeof(label), k, (long)i);
        if (!elem_type_ok(e, TOML_INTEGER, label, name, elem_line(e, line), d)) {
            ok = false;
            continue;
        }
        int64_t x = toml_int(e);
        vals[i] = x;
        if (x < k->min || x > k->max) {
            diag_add(d, "%s:%d: %s: expected an integer from %lld to %lld, got %lld", name,
                     elem_line(e, line), label, (long long)k->min, (long long)k->max, (long long)x);
            ok = false;
            continue;
        }
        have[i] = true;
        for (size_t j = 0; j < i; j++) {
            if (have[j] && vals[j] == x) {
                diag_add(d, "%s:%d: %s: %lld is listed twice (also at [%zu])", name,
                         elem_line(e, line), label, (long long)x, j);
                ok = false;
                break;
            }
        }
    }
    free(have);
    if (!ok) {
        free(vals);
        return false;
    }
    free(*intlist_field(c, k));
    *intlist_field(c, k) = vals;
    *count_field(c, k) = n;
    return true;
}

/* Checks one value against its row and stores it; reports to diag and false on error. */
static bool apply(struct config *c, const struct cfg_key *k, const struct toml_value *v,
                  const char *name, int line, struct cfg_diag *d)
{
    char label[CFG_MAX_LABEL];
    if (k->type == CT_STRLIST)
        return apply_strlist(c, k, v, name, line, d);
    if (k->type == CT_INTLIST)
        return apply_intlist(c, k, v, name, line, d);
    make_label(label, sizeof(label), k, -1);
    enum toml_type t = toml_type(v);
    bool want_string = is_string_type(k->type) || k->type == CT_LOGLEVEL;
    bool ok_type = want_string ? t == TOML_STRING : k->type == CT_BOOL ? t == TOML_BOOL
                                                                      : t == TOML_INTEGER;
    if (!ok_type) {
        diag_add(d, "%s:%d: %s: expected %s, got %s %s", name, line, label, type_wanted(k->type),
                 article(t), toml_type_name(t));
        return false;
    }
    if (k->type == CT_INT) {
        int64_t n = toml_int(v);
        if (n < k->min || n > k->max) {
            diag_add(d, "%s:%d: %s: expected an integer from %lld to %lld, got %lld", name, line,
                     label, (long long)k->min, (long long)k->max, (long long)n);
            return false;
        }
        *int_field(c, k) = n;
        return true;
    }
    if (k->type == CT_BOOL) {
        *int_field(c, k) = toml_bool(v);
        return true;
    }
    size_t len;
    const char *s = toml_string(v, &len);
    if (has_nul(s, len)) {
        diag_add(d, "%s:%d: %s: must not contain a NUL character", name, line, label);
        return false;
    }
    if (k->type == CT_LOGLEVEL) {
        enum log_level lvl;
        if (!log_level_parse(s, &lvl)) {
            diag_add(d, "%s:%d: %s: expected %s, got \"%s\"", name, line, label,
                     type_wanted(k->type), s);
            return false;
        }
        c->log_level = lvl;
        return true;
    }
    if (k->type == CT_URL && strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) {
        diag_add(d, "%s:%d: %s: expected a URL starting with http:// or https://, got \"%s\"", name,
                 line, label, s);
        return false;
    }
    if (!string_ok(k, s, len, label, name, line, d))
        return false;
    char *val = NULL;
    if (k->type == CT_URL) {
        for (size_t i = 0; i < len; i++) {
            if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) {
                diag_add(d, "%s:%d: %s: a URL must not contain spaces or control characters", name,
                         line, label);
                return false;
            }
        }
        val = s[len - 1] == '/' ? xstrdup(s) : xasprintf("%s/", s);
    } else if (k->type == CT_LISTEN) {
        char *host;
        int port;
        const char *why;
        if (!parse_listen(s, &host, &port, &why)) {
            diag_add(d, "%s:%d: %s: %s, got \"%s\"", name, line, label, why, s);
            return false;
        }
        free(*host_field(c, k));
        *host_field(c, k) = host;
        *port_field(c, k) = port;
        val = xstrdup(s);
    } else {
        val = xstrdup(s);
    }
    char **f = str_field(c, k);
    free(*f);
    *f = val;
    return true;
}

/* What loading a file learnt per key, for the checks between keys. */
struct cfg_seen {
    int line[NKEYS]; /* where the key is set in the file; 0: it keeps its default */
    bool bad[NKEYS]; /* its value was rejected (and reported) */
};

/* The string key of one [[statuspage.components]] entry; NULL (reported) when wrong. */
static char *component_str(const struct toml_value *entry, const char *key, bool required,
                           const char *name, int line, size_t idx, struct cfg_diag *d)
{
    const struct toml_value *v = toml_table_get(entry, key, strlen(key));
    size_t len;
    const char *s;
    if (v == NULL) {
        if (required)
            diag_add(d, "%s:%d: [[statuspage.components]] #%zu: \"%s\" is required", name, line,
                     idx + 1, key);
        return required ? NULL : xstrdup("");
    }
    if (toml_type(v) != TOML_STRING) {
        diag_add(d, "%s:%d: [[statuspage.components]] #%zu: \"%s\" must be a string, got %s",
                 name, toml_line(v), idx + 1, key, toml_type_name(toml_type(v)));
        return NULL;
    }
    s = toml_string(v, &len);
    if (has_nul(s, len) || len > (strcmp(key, "description") == 0 ? 2000 : CFG_MAX_COMPONENT_NAME) ||
        (required && len == 0)) {
        diag_add(d, "%s:%d: [[statuspage.components]] #%zu: \"%s\" must be 1 to %d bytes without "
                 "NUL", name, toml_line(v), idx + 1, key,
                 strcmp(key, "description") == 0 ? 2000 : CFG_MAX_COMPONENT_NAME);
        return NULL;
    }
    return xstrdup(s);
}

static void components_free(struct cfg_component *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].description);
        free(v[i].group);
    }
    free(v);
}

/*
 * [[statuspage.components]]: an array of tables of name (required, unique),
 * description and group. Not a row of cfg_keys: a list of tables has no
 * single type and default.
 */
static void load_components(struct config *c, const char *name, int line,
                            const struct toml_value *v, struct cfg_diag *d)
{
    static const char *const known[] = {"name", "description", "group"};
    size_t n = toml_type(v) == TOML_ARRAY ? toml_array_len(v) : 0;
    if (toml_type(v) != TOML_ARRAY) {
        diag_add(d, "%s:%d: [statuspage] components must be an array of tables "
                 "([[statuspage.components]]), got %s", name, line, toml_type_name(toml_type(v)));
        return;
    }
    if (n > CFG_MAX_COMPONENTS) {
        diag_add(d, "%s:%d: [[statuspage.components]]: %zu entries, at most %d", name, line, n,
                 CFG_MAX_COMPONENTS);
        return;
    }
    components_free(c->statuspage_components, c->n_statuspage_components);
    c->statuspage_components = n ? xcalloc(n, sizeof(*c->statuspage_components)) : NULL;
    c->n_statuspage_components = 0;
    for (size_t i = 0; i < n; i++) {
        const struct toml_value *e = toml_array_get(v, i);
        int eline = toml_line(e) > 0 ? toml_line(e) : line;
        if (toml_type(e) != TOML_TABLE) {
            diag_add(d, "%s:%d: [[statuspage.components]] #%zu must be a table, got %s", name,
                     eline, i + 1, toml_type_name(toml_type(e)));
            continue;
        }
        for (size_t k = 0; k < toml_table_len(e); k++) {
            size_t klen;
            const char *key = toml_table_key(e, k, &klen);
            bool ok = false;
            for (size_t j = 0; j < sizeof(known) / sizeof(known[0]) && !ok; j++)
                ok = strlen(known[j]) == klen && memcmp(known[j], key, klen) == 0;
            if (!ok) {
                char *shown = show_key(key, klen);
                diag_add(d, "%s:%d: [[statuspage.components]] unknown key \"%s\" (name, "
                         "description, group)", name, toml_table_key_line(e, k), shown);
                free(shown);
            }
        }
        struct cfg_component comp = {
            component_str(e, "name", true, name, eline, i, d),
            component_str(e, "description", false, name, eline, i, d),
            component_str(e, "group", false, name, eline, i, d),
        };
        bool dup = false;
        for (size_t j = 0; comp.name && j < c->n_statuspage_components && !dup; j++)
            dup = strcmp(c->statuspage_components[j].name, comp.name) == 0;
        if (dup)
            diag_add(d, "%s:%d: [[statuspage.components]] #%zu: name \"%s\" is given twice", name,
                     eline, i + 1, comp.name);
        if (comp.name == NULL || comp.description == NULL || comp.group == NULL || dup) {
            free(comp.name);
            free(comp.description);
            free(comp.group);
            continue;
        }
        c->statuspage_components[c->n_statuspage_components++] = comp;
    }
}

/* ---- [[webhooks]] ---- */

static void webhooks_free(struct cfg_webhook *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].url);
        free(v[i].secret_env);
        free(v[i].lane);
        free(v[i].secret);
    }
    free(v);
}

/* A string key of one [[webhooks]] entry; NULL (and *bad when reported) when absent or wrong. */
static const char *webhook_str(const struct toml_value *e, const char *key, size_t max,
                               const char *name, int line, size_t idx, bool *bad, int *vline,
                               struct cfg_diag *d)
{
    const struct toml_value *v = toml_table_get(e, key, strlen(key));
    size_t len;
    *vline = line;
    if (v == NULL)
        return NULL;
    if (toml_line(v) > 0)
        *vline = toml_line(v);
    if (toml_type(v) != TOML_STRING) {
        diag_add(d, "%s:%d: [[webhooks]] #%zu: \"%s\" must be a string, got %s", name,
                 toml_line(v) > 0 ? toml_line(v) : line, idx + 1, key,
                 toml_type_name(toml_type(v)));
        *bad = true;
        return NULL;
    }
    const char *s = toml_string(v, &len);
    if (len == 0 || len > max || has_nul(s, len)) {
        diag_add(d, "%s:%d: [[webhooks]] #%zu: \"%s\" must be 1 to %zu bytes without NUL", name,
                 toml_line(v) > 0 ? toml_line(v) : line, idx + 1, key, max);
        *bad = true;
        return NULL;
    }
    return s;
}

static bool name_chars_ok(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            return false;
    return true;
}

static bool env_name_ok(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

/* Whether url is http(s)://host... with a host and no spaces or control characters. */
static bool webhook_url_ok(const char *url)
{
    const char *h;
    if (strncmp(url, "http://", 7) == 0)
        h = url + 7;
    else if (strncmp(url, "https://", 8) == 0)
        h = url + 8;
    else
        return false;
    if (*h == '\0' || *h == '/' || *h == ':' || *h == '?' || *h == '#')
        return false;
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return false;
    return true;
}

/* The events list of entry idx into *events; false (reported) when wrong. */
static bool webhook_events(const struct toml_value *e, const char *name, int line, size_t idx,
                           unsigned *events, struct cfg_diag *d)
{
    const struct toml_value *v = toml_table_get(e, "events", 6);
    if (v == NULL) {
        *events = HOOK_ALL_EVENTS;
        return true;
    }
    int vline = toml_line(v) > 0 ? toml_line(v) : line;
    if (toml_type(v) != TOML_ARRAY || toml_array_len(v) == 0) {
        diag_add(d, "%s:%d: [[webhooks]] #%zu: \"events\" must be a non-empty list of event "
                 "names (leave it out for all of them), got %s", name, vline, idx + 1,
                 toml_type(v) == TOML_ARRAY ? "[]" : toml_type_name(toml_type(v)));
        return false;
    }
    bool ok = true;
    *events = 0;
    for (size_t i = 0; i < toml_array_len(v); i++) {
        const struct toml_value *ev = toml_array_get(v, i);
        size_t len = 0;
        const char *s = toml_type(ev) == TOML_STRING ? toml_string(ev, &len) : NULL;
        enum hook_event h;
        if (s != NULL && !has_nul(s, len) && hook_event_parse(s, &h)) {
            *events |= 1u << h;
            continue;
        }
        char *shown = s ? show_key(s, len > 80 ? 80 : len) : NULL;
        diag_add(d, "%s:%d: [[webhooks]] #%zu: events[%zu]: expected one of incident.published, "
                 "incident.updated, incident.status_changed, incident.severity_changed, "
                 "incident.resolved, incident.postmortem_published, incident.withdrawn; got %s%s%s", name, vline,
                 idx + 1, i, shown ? "\"" : "", shown ? shown : toml_type_name(toml_type(ev)),
                 shown ? "\"" : "");
        free(shown);
        ok = false;
    }
    return ok;
}

/* FNV-1a of s: the default name of a webhook, stable while its URL is. */
static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

/*
 * [[webhooks]]: an array of tables of url (required), secret_env (required),
 * events, name and timeout_seconds. Not rows of cfg_keys, like
 * [[statuspage.components]]: a list of tables has no single type and default.
 */
static void load_webhooks(struct config *c, const char *name, int line,
                          const struct toml_value *v, struct cfg_diag *d)
{
    static const char *const known[] = {"url", "events", "secret_env", "name", "timeout_seconds"};
    size_t n = toml_type(v) == TOML_ARRAY ? toml_array_len(v) : 0;
    if (toml_type(v) != TOML_ARRAY) {
        diag_add(d, "%s:%d: \"webhooks\" must be an array of tables ([[webhooks]]), got %s", name,
                 line, toml_type_name(toml_type(v)));
        return;
    }
    if (n > CFG_MAX_WEBHOOKS) {
        diag_add(d, "%s:%d: [[webhooks]]: %zu entries, at most %d", name, line, n,
                 CFG_MAX_WEBHOOKS);
        return;
    }
    webhooks_free(c->webhooks, c->n_webhooks);
    c->webhooks = n ? xcalloc(n, sizeof(*c->webhooks)) : NULL;
    c->n_webhooks = 0;
    for (size_t i = 0; i < n; i++) {
        const struct toml_value *e = toml_array_get(v, i);
        int eline = toml_line(e) > 0 ? toml_line(e) : line;
        bool bad = false;
        if (toml_type(e) != TOML_TABLE) {
            diag_add(d, "%s:%d: [[webhooks]] #%zu must be a table, got %s", name, eline, i + 1,
                     toml_type_name(toml_type(e)));
            continue;
        }
        for (size_t k = 0; k < toml_table_len(e); k++) {
            size_t klen;
            const char *key = toml_table_key(e, k, &klen);
            bool ok = false;
            for (size_t j = 0; j < sizeof(known) / sizeof(known[0]) && !ok; j++)
                ok = strlen(known[j]) == klen && memcmp(known[j], key, klen) == 0;
            if (!ok) {
                char *shown = show_key(key, klen);
                diag_add(d, "%s:%d: [[webhooks]] unknown key \"%s\" (url, events, secret_env, "
                         "name, timeout_seconds)", name, toml_table_key_line(e, k), shown);
                free(shown);
                bad = true;
            }
        }
        int uline, sline, nline;
        const char *url = webhook_str(e, "url", CFG_MAX_WEBHOOK_URL, name, eline, i, &bad, &uline,
                                      d);
        const char *env = webhook_str(e, "secret_env", CFG_MAX_SECRET_ENV, name, eline, i, &bad,
                                      &sline, d);
        const char *nm = webhook_str(e, "name", CFG_MAX_WEBHOOK_NAME, name, eline, i, &bad,
                                     &nline, d);
        const struct toml_value *tv = toml_table_get(e, "timeout_seconds", 15);
        int64_t timeout = CFG_WEBHOOK_TIMEOUT_DEFAULT;
        unsigned events = 0;
        if (url == NULL && !bad)
            diag_add(d, "%s:%d: [[webhooks]] #%zu: \"url\" is required (the endpoint, http:// "
                     "or https://)", name, eline, i + 1);
        else if (url != NULL && !webhook_url_ok(url))
            diag_add(d, "%s:%d: [[webhooks]] #%zu: url: expected a URL starting with http:// or "
                     "https:// with a host and no spaces, got \"%.200s\"", name, uline, i + 1,
                     url);
        bad |= url == NULL || !webhook_url_ok(url);
        if (env == NULL && toml_table_get(e, "secret_env", 10) == NULL) {
            diag_add(d, "%s:%d: [[webhooks]] #%zu: \"secret_env\" is required: the name of the "
                     "environment variable holding the signing secret (the secret itself is "
                     "never written in this file)", name, eline, i + 1);
            bad = true;
        } else if (env != NULL && !env_name_ok(env)) {
            diag_add(d, "%s:%d: [[webhooks]] #%zu: secret_env: expected the name of an "
                     "environment variable (A-Z, 0-9 and _, not starting with a digit), got "
                     "\"%.100s\"", name, sline, i + 1, env);
            bad = true;
        }
        if (nm != NULL && !name_chars_ok(nm)) {
            diag_add(d, "%s:%d: [[webhooks]] #%zu: name: expected letters, digits, - and _, got "
                     "\"%s\"", name, nline, i + 1, nm);
            bad = true;
        }
        if (tv != NULL) {
            int tl = toml_line(tv) > 0 ? toml_line(tv) : eline;
            if (toml_type(tv) != TOML_INTEGER) {
                diag_add(d, "%s:%d: [[webhooks]] #%zu: timeout_seconds: expected an integer, got "
                         "%s", name, tl, i + 1, toml_type_name(toml_type(tv)));
                bad = true;
            } else if ((timeout = toml_int(tv)) < 1 || timeout > CFG_WEBHOOK_TIMEOUT_MAX) {
                diag_add(d, "%s:%d: [[webhooks]] #%zu: timeout_seconds: expected 1 to %d, got "
                         "%lld", name, tl, i + 1, CFG_WEBHOOK_TIMEOUT_MAX, (long long)timeout);
                bad = true;
            }
        }
        if (!webhook_events(e, name, eline, i, &events, d))
            bad = true;
        if (bad)
            continue;
        char *final = nm ? xstrdup(nm) : xasprintf("url-%08x", (unsigned)fnv1a(url));
        bool dup = false;
        for (size_t j = 0; j < c->n_webhooks && !dup; j++)
            dup = strcmp(c->webhooks[j].name, final) == 0;
        if (dup) {
            if (nm)
                diag_add(d, "%s:%d: [[webhooks]] #%zu: name \"%s\" is given twice", name, nline,
                         i + 1, final);
            else
                diag_add(d, "%s:%d: [[webhooks]] #%zu: the same url as an earlier webhook: give "
                         "each a distinct \"name\"", name, uline, i + 1);
            free(final);
            continue;
        }
        struct cfg_webhook *w = &c->webhooks[c->n_webhooks++];
        w->name = final;
        w->url = xstrdup(url);
        w->secret_env = xstrdup(env);
        w->events = events;
        w->timeout_seconds = timeout;
        w->lane = xasprintf("%s%s", HOOK_LANE_PREFIX, final);
    }
}

const struct cfg_webhook *cfg_webhook_by_lane(const struct config *cfg, const char *lane)
{
    for (size_t i = 0; i < cfg->n_webhooks; i++)
        if (strcmp(cfg->webhooks[i].lane, lane) == 0)
            return &cfg->webhooks[i];
    return NULL;
}

static void load_table(struct config *c, const char *name, const char *tname,
                       const struct toml_value *tbl, struct cfg_seen *seen, struct cfg_diag *d)
{
    for (size_t i = 0; i < toml_table_len(tbl); i++) {
        size_t klen;
        const char *key = toml_table_key(tbl, i, &klen);
        int line = toml_table_key_line(tbl, i);
        size_t row = NKEYS;
        if (toml_type(toml_table_value(tbl, i)) == TOML_TABLE) {
            /* A sub-table such as [statuspage.atlassian]: its keys are rows of "tname.key". */
            char sub[64];
            int n = snprintf(sub, sizeof(sub), "%s.%.*s", tname, (int)klen, key);
            bool have = false;
            for (size_t j = 0; n > 0 && (size_t)n < sizeof(sub) && j < NKEYS && !have; j++)
                have = strcmp(cfg_keys[j].table, sub) == 0;
            if (have) {
                load_table(c, name, sub, toml_table_value(tbl, i), seen, d);
                continue;
            }
        }
        if (strcmp(tname, "statuspage") == 0 && klen == 10 && memcmp(key, "components", 10) == 0) {
            load_components(c, name, line, toml_table_value(tbl, i), d);
            continue;
        }
        for (size_t j = 0; j < NKEYS; j++) {
            if (strcmp(cfg_keys[j].table, tname) == 0 && strlen(cfg_keys[j].key) == klen &&
                memcmp(cfg_keys[j].key, key, klen) == 0) {
                row = j;
                break;
            }
        }
        if (row == NKEYS) {
            char *shown = show_key(key, klen);
            const char *hint = suggest_key(tname, key, klen);
            diag_add(d, "%s:%d: [%s] unknown key \"%s\"%s%s%s", name, line, tname, shown,
                     hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "");
            free(shown);
            continue;
        }
        seen->line[row] = line;
        seen->bad[row] = !apply(c, &cfg_keys[row], toml_table_value(tbl, i), name, line, d);
    }
}

/* A host that binds every address of the machine. */
static bool listen_wildcard(const char *host)
{
    return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
}

/*
 * Whether two listening addresses would take the same socket: the same port
 * on the same host, or on a host and a wildcard covering it. Port 0 picks a
 * free port for each, so it never collides.
 */
static bool listen_overlap(const char *host1, int port1, const char *host2, int port2)
{
    if (port1 != port2 || port1 == 0)
        return false;
    return strcmp(host1, host2) == 0 || listen_wildcard(host1) || listen_wildcard(host2);
}

/* The row of the field at offset off in struct config. */
static size_t key_at(size_t off)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (cfg_keys[i].off == off)
            return i;
    abort(); /* a cross-key check names a field that has no row: a bug */
}

/*
 * Checks that relate two keys, once every key is read, so that the order
 * of the file does not matter. A key whose own value was rejected is left
 * out, so that one mistake gives one message. The message is put on the
 * line of the first key given that the file sets (the defaults agree).
 */
static void check_cross(const struct config *c, const struct cfg_seen *seen, const char *name,
                        struct cfg_diag *d)
{
    size_t crit = key_at(OFF(severity_critical_percent));
    size_t maj = key_at(OFF(severity_major_percent));
    if (!seen->bad[crit] && !seen->bad[maj] &&
        c->severity_major_percent >= c->severity_critical_percent)
        diag_add(d,
                 "%s:%d: [severity] major_percent (%lld) must be less than critical_percent "
                 "(%lld)",
                 name, seen->line[maj] ? seen->line[maj] : seen->line[crit],
                 (long long)c->severity_major_percent, (long long)c->severity_critical_percent);

    size_t notify = key_at(OFF(breach_notify_within_hours));
    size_t remind = key_at(OFF(breach_remind_before_hours));
    if (!seen->bad[notify] && !seen->bad[remind]) {
        for (size_t i = 0; i < c->n_breach_remind_before_hours; i++) {
            if (c->breach_remind_before_hours[i] < c->breach_notify_within_hours)
                continue;
            diag_add(d,
                     "%s:%d: [breach] remind_before_hours[%zu]: %lld is not less than "
                     "notify_within_hours (%lld)",
                     name, seen->line[remind] ? seen->line[remind] : seen->line[notify], i,
                     (long long)c->breach_remind_before_hours[i],
                     (long long)c->breach_notify_within_hours);
        }
    }

    size_t due = key_at(OFF(postmortem_due_hours));
    size_t pm_remind = key_at(OFF(postmortem_remind_before_hours));
    if (!seen->bad[due] && !seen->bad[pm_remind]) {
        for (size_t i = 0; i < c->n_postmortem_remind_before_hours; i++) {
            if (c->postmortem_remind_before_hours[i] < c->postmortem_due_hours)
                continue;
            diag_add(d,
                     "%s:%d: [postmortem] remind_before_hours[%zu]: %lld is not less than "
                     "due_hours (%lld)",
                     name, seen->line[pm_remind] ? seen->line[pm_remind] : seen->line[due], i,
                     (long long)c->postmortem_remind_before_hours[i],
                     (long long)c->postmortem_due_hours);
        }
    }

    size_t hs = key_at(OFF(hours_start)), he = key_at(OFF(hours_end));
    int start = 0, end = 0;
    if (!seen->bad[hs] && !seen->bad[he] && hours_parse_clock(c->hours_start, &start) &&
        hours_parse_clock(c->hours_end, &end) && end <= start)
        diag_add(d, "%s:%d: [business_hours] end (%s) must be after start (%s)", name,
                 seen->line[he] ? seen->line[he] : seen->line[hs], c->hours_end, c->hours_start);

    size_t pub = key_at(OFF(http_listen)), internal = key_at(OFF(http_internal_listen));
    if (!seen->bad[pub] && !seen->bad[internal] &&
        listen_overlap(c->http_host, c->http_port, c->http_internal_host, c->http_internal_port))
        diag_add(d,
                 "%s:%d: [http] internal_listen (\"%s\"%s) must be another address than listen "
                 "(\"%s\"): the internal listener serves /healthz and /metrics, which must not "
                 "be public; give it a port of its own, e.g. \"127.0.0.1:%d\"",
                 name, seen->line[internal] ? seen->line[internal] : seen->line[pub],
                 c->http_internal_listen, seen->line[internal] ? "" : ", its default",
                 c->http_listen, c->http_port < 65535 ? c->http_port + 1 : c->http_port - 1);
}

enum bot_rc cfg_load_buf(const char *name, const char *buf, size_t len, struct config **out,
                         struct cfg_diag *diag)
{
    struct toml_value *root = NULL;
    struct toml_error terr;
    struct config *c = NULL;
    struct cfg_seen seen;
    size_t before = diag ? diag->n : 0;

    *out = NULL;
    memset(&seen, 0, sizeof(seen));
    if (toml_parse(buf, len, &root, &terr) != BOT_OK) {
        diag_add(diag, "%s:%d:%d: %s", name, terr.line, terr.col, terr.msg);
        return BOT_ECONFIG;
    }
    c = cfg_defaults();
    for (size_t i = 0; i < toml_table_len(root); i++) {
        size_t klen;
        const char *key = toml_table_key(root, i, &klen);
        const struct toml_value *v = toml_table_value(root, i);
        int line = toml_table_key_line(root, i);
        if (klen == 8 && memcmp(key, "webhooks", 8) == 0) {
            load_webhooks(c, name, line, v, diag);
            continue;
        }
        char *shown = show_key(key, klen);
        bool known = false;
        for (size_t j = 0; j < NKEYS && !known; j++)
            known = strlen(cfg_keys[j].table) == klen && memcmp(cfg_keys[j].table, key, klen) == 0;
        if (!known) {
            const char *hint = suggest_table(key, klen);
            diag_add(diag, "%s:%d: unknown %s \"%s\"%s%s%s", name, line,
                     toml_type(v) == TOML_TABLE ? "table" : "top-level key", shown,
                     hint ? " (did you mean [" : "", hint ? hint : "", hint ? "]?)" : "");
        } else if (toml_type(v) != TOML_TABLE) {
            diag_add(diag, "%s:%d: \"%s\" must be a table ([%s]), got %s", name, line, shown,
                     shown, toml_type_name(toml_type(v)));
        } else {
            load_table(c, name, shown, v, &seen, diag);
        }
        free(shown);
    }
    toml_free(root);
    check_cross(c, &seen, name, diag);
    if (diag && diag->n > before) {
        cfg_free(c);
        return BOT_ECONFIG;
    }
    *out = c;
    return BOT_OK;
}

enum bot_rc cfg_load_file(const char *path, struct config **out, struct cfg_diag *diag)
{
    enum bot_rc rc = BOT_OK;
    struct buf b;
    char chunk[8192];
    FILE *f;

    *out = NULL;
    buf_init(&b, CFG_MAX_FILE);
    f = fopen(path, "rb");
    if (f == NULL) {
        diag_add(diag, "%s: cannot open: %s", path, strerror(errno));
        return BOT_EIO;
    }
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        if (n > 0 && buf_add(&b, chunk, n) != BOT_OK) {
            diag_add(diag, "%s: larger than %u bytes; is this really the configuration file?",
                     path, CFG_MAX_FILE);
            rc = BOT_ECONFIG;
            goto out;
        }
        if (n < sizeof(chunk))
            break;
    }
    if (ferror(f)) {
        diag_add(diag, "%s: read error: %s", path, strerror(errno));
        rc = BOT_EIO;
        goto out;
    }
    rc = cfg_load_buf(path, b.data ? b.data : "", b.len, out, diag);
out:
    fclose(f);
    buf_free(&b);
    return rc;
}

/* Slack tokens are "xoxb-" / "xapp-" followed by digits, letters and dashes. */
static bool token_chars_ok(const char *s)
{
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return false;
    }
    return true;
}

static const char *token_kind(const char *v)
{
    if (strncmp(v, "xoxb-", 5) == 0)
        return "a bot token (xoxb-)";
    if (strncmp(v, "xapp-", 5) == 0)
        return "an app-level token (xapp-)";
    if (strncmp(v, "xoxp-", 5) == 0)
        return "a user token (xoxp-)";
    return "something that is not a Slack token";
}

static void check_token(const char *var, const char *v, const char *prefix, const char *what,
                        char **dst, struct cfg_diag *d)
{
    if (v == NULL || *v == '\0') {
        diag_add(d, "%s is not set: export the %s (%s...) in the environment", var, what,
                 prefix);
        return;
    }
    if (strncmp(v, prefix, strlen(prefix)) != 0) {
        diag_add(d, "%s: expected the %s starting with %s, got %s", var, what, prefix,
                 token_kind(v));
        return;
    }
    if (strlen(v) < strlen(prefix) + 10 || strlen(v) > 512 || !token_chars_ok(v)) {
        diag_add(d, "%s: malformed %s: expected %s followed by letters, digits and dashes "
                    "(check for quotes or spaces)", var, what, prefix);
        return;
    }
    free(*dst);
    *dst = xstrdup(v);
}

enum bot_rc cfg_load_secrets(struct config *cfg, const char *(*getenv_fn)(const char *),
                             struct cfg_diag *diag)
{
    size_t before = diag ? diag->n : 0;
    check_token("SLACK_BOT_TOKEN", getenv_fn("SLACK_BOT_TOKEN"), "xoxb-", "bot token",
                &cfg->slack_bot_token, diag);
    check_token("SLACK_APP_TOKEN", getenv_fn("SLACK_APP_TOKEN"), "xapp-", "app-level token",
                &cfg->slack_app_token, diag);
    const char *sp = getenv_fn("STATUSPAGE_API_KEY");
    if (sp != NULL && *sp != '\0') {
        bool ok = strlen(sp) >= 16 && strlen(sp) <= 256;
        for (const char *p = sp; ok && *p; p++)
            ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                 (*p >= '0' && *p <= '9') || *p == '-' || *p == '_';
        if (!ok)
            diag_add(diag, "STATUSPAGE_API_KEY: malformed: expected 16 to 256 letters, digits, "
                           "dashes or underscores (check for quotes or spaces)");
        else
            cfg->statuspage_api_key = xstrdup(sp);
    }
    for (size_t i = 0; i < cfg->n_webhooks; i++) {
        struct cfg_webhook *w = &cfg->webhooks[i];
        const char *v = getenv_fn(w->secret_env);
        if (v == NULL || *v == '\0') {
            diag_add(diag, "%s is not set: export the signing secret of [[webhooks]] \"%s\" "
                     "(its secret_env) in the environment", w->secret_env, w->name);
        } else if (strlen(v) < CFG_WEBHOOK_SECRET_MIN || strlen(v) > CFG_WEBHOOK_SECRET_MAX) {
            diag_add(diag, "%s: the signing secret of [[webhooks]] \"%s\" must be %d to %d "
                     "bytes long (e.g. `openssl rand -hex 32`)", w->secret_env, w->name,
                     CFG_WEBHOOK_SECRET_MIN, CFG_WEBHOOK_SECRET_MAX);
        } else {
            free(w->secret);
            w->secret = xstrdup(v);
        }
    }
    return diag && diag->n > before ? BOT_ECONFIG : BOT_OK;
}

void cfg_print_reference(FILE *f)
{
    const char *cur = "";
    for (size_t i = 0; i < NKEYS; i++) {
        const struct cfg_key *k = &cfg_keys[i];
        if (strcmp(cur, k->table) != 0) {
            fprintf(f, "%s[%s]\n", i ? "\n" : "", k->table);
            cur = k->table;
        }
        fprintf(f, "# %s\n", k->help);
        if (k->type == CT_INT) {
            fprintf(f, "%s = %lld\n", k->key, (long long)k->def_int);
        } else if (k->type == CT_STRLIST) {
            fprintf(f, "%s = [", k->key);
            for (size_t j = 0; j < k->n_def; j++)
                fprintf(f, "%s\"%s\"", j ? ", " : "", k->def_strs[j]);
            fputs("]\n", f);
        } else if (k->type == CT_INTLIST) {
            fprintf(f, "%s = [", k->key);
            for (size_t j = 0; j < k->n_def; j++)
                fprintf(f, "%s%lld", j ? ", " : "", (long long)k->def_ints[j]);
            fputs("]\n", f);
        } else if (k->type == CT_BOOL) {
            fprintf(f, "%s = %s\n", k->key, k->def_int ? "true" : "false");
        } else {
            fprintf(f, "%s = \"%s\"\n", k->key, k->def_str);
        }
    }
    /* Not a row of cfg_keys (an array of tables): described here by hand. */
    fprintf(f, "\n# The components shown on the built-in status page, in order (at most %d):\n"
               "# name (required, unique), description and group (shown together).\n"
               "# [[statuspage.components]]\n# name = \"API\"\n# description = \"\"\n"
               "# group = \"\"\n", CFG_MAX_COMPONENTS);
    fprintf(f, "\n# Outgoing webhooks (at most %d): the public changes of published incidents,\n"
               "# POSTed as JSON signed with HMAC-SHA256 (README, \"Webhooks\").\n"
               "# url (required): http:// or https:// endpoint.\n"
               "# secret_env (required): the environment variable holding the signing secret\n"
               "#   (%d to %d bytes); the bot refuses to start when it is unset.\n"
               "# events: any of incident.published, incident.updated, incident.status_changed,\n"
               "#   incident.severity_changed, incident.resolved, incident.postmortem_published,\n"
               "#   incident.withdrawn;\n"
               "#   all when left out.\n"
               "# name: letters, digits, - and _ (at most %d); default url-<hash of the url>.\n"
               "# timeout_seconds: one request, 1 to %d.\n"
               "# [[webhooks]]\n# url = \"https://hooks.example.com/incidentd\"\n"
               "# secret_env = \"INCIDENTD_WEBHOOK_SECRET\"\n# events = [\"incident.published\", "
               "\"incident.resolved\"]\n# name = \"social\"\n# timeout_seconds = %d\n",
            CFG_MAX_WEBHOOKS, CFG_WEBHOOK_SECRET_MIN, CFG_WEBHOOK_SECRET_MAX, CFG_MAX_WEBHOOK_NAME,
            CFG_WEBHOOK_TIMEOUT_MAX, CFG_WEBHOOK_TIMEOUT_DEFAULT);
}

size_t cfg_key_count(void)
{
    return NKEYS;
}

const char *cfg_key_name(size_t i, const char **table)
{
    if (i >= NKEYS)
        return NULL;
    *table = cfg_keys[i].table;
    return cfg_keys[i].key;
}

void config_audience(const struct config *c, struct audience_config *out)
{
    out->private_announcement = AUD_PRIVATE_REDACTED;
    (void)audience_parse_private_announcement(c->privacy_private_announcement,
                                              &out->private_announcement);
    out->private_thread_updates = c->privacy_private_thread_updates != 0;
}
