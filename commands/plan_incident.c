/*
 * The decisions of plan steps 1 and 2 (see plan.h): declaring (or keeping
 * as potential) an incident, setting it up in Slack, roles, severity, a
 * suspected breach and the video call. Each one validates first and writes
 * afterwards, so a refused request changes nothing.
 */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chan_name.h"
#include "cmd.h"
#include "render.h"
#include "slack_text.h"
#include "store_component.h"
#include "store_directory.h"
#include "xmalloc.h"

/* s escaped for mrkdwn (whole, never cut); caller frees. */
/* User text as stored (Slack's format) for mrkdwn: mentions work, crowds are never pinged. */
static char *esc(const char *s)
{
    return slack_text_user_dup(s, 256 * 1024);
}

/* A section block of mrkdwn text. */
static cJSON *section(const char *text)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", "section");
    cJSON *t = cJSON_AddObjectToObject(b, "text");
    cJSON_AddStringToObject(t, "type", "mrkdwn");
    cJSON_AddStringToObject(t, "text", text);
    return b;
}

static cJSON *button(const char *text, const char *action_id, const char *value, const char *style)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "type", "button");
    cJSON *l = cJSON_AddObjectToObject(e, "text");
    cJSON_AddStringToObject(l, "type", "plain_text");
    cJSON_AddStringToObject(l, "text", text);
    cJSON_AddStringToObject(e, "action_id", action_id);
    cJSON_AddStringToObject(e, "value", value);
    if (style)
        cJSON_AddStringToObject(e, "style", style);
    return e;
}

static bool is_potential(const struct store_incident *inc)
{
    return strcmp(inc->status, "potential") == 0;
}

static bool in_list(const char *const *list, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], id) == 0)
            return true;
    return false;
}

/* Invites user into the incident's channel; "already in" is success (see delivery.h ok_errors). */
static enum bot_rc invite(struct plan *p, const struct store_incident *inc, const char *user,
                          struct bot_err *err)
{
    cJSON *pl = cJSON_CreateObject();
    cJSON_AddStringToObject(pl, "method", "conversations.invite");
    cJSON *args = cJSON_AddObjectToObject(pl, "args");
    cJSON_AddStringToObject(args, "channel", "{{incident.channel_id}}");
    cJSON_AddStringToObject(args, "users", user);
    cJSON *ok = cJSON_AddArrayToObject(pl, "ok_errors");
    cJSON_AddItemToArray(ok, cJSON_CreateString("already_in_channel"));
    cJSON_AddItemToArray(ok, cJSON_CreateString("cant_invite_self"));
    return plan_effect(p, inc->id, "slack", "slack.call", pl, err);
}

/* "<!subteam^S1> <@U1> <@U2>": who is asked to take the IRM role; "" when nobody is configured. */
static char *irm_ping(const struct plan_config *cfg)
{
    struct buf b;
    buf_init(&b, 8192);
    if (cfg->irm_group[0])
        (void)!buf_addf(&b, "<!subteam^%s>", cfg->irm_group);
    for (size_t i = 0; i < cfg->n_irm_users; i++)
        (void)!buf_addf(&b, "%s<@%s>", b.len ? " " : "", cfg->irm_users[i]);
    char *s = xstrdup(buf_str(&b));
    buf_free(&b);
    return s;
}

enum bot_rc plan_is_irm(struct plan *p, const char *user, bool *irm, struct bot_err *err)
{
    const struct plan_config *cfg = p->cfg;
    *irm = true;
    if (cfg->n_irm_users == 0 && cfg->irm_group[0] == '\0')
        return BOT_OK; /* no IRMs configured: anyone may run the plan */
    *irm = in_list(cfg->irm_users, cfg->n_irm_users, user);
    if (*irm || cfg->irm_group[0] == '\0')
        return BOT_OK;
    enum bot_rc rc = store_directory_in_group(p->store, cfg->irm_group, user, irm, err);
    if (rc == BOT_ENOTFOUND) { /* the group was never synced: cannot tell, so yes */
        *irm = true;
        rc = BOT_OK;
    }
    return rc;
}

/* A Slack user id (U… or W…), not one of the words a permission list may also hold. */
static bool is_user_id(const char *s)
{
    if (s[0] != 'U' && s[0] != 'W')
        return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
            return false;
    return true;
}

/* "the incident's response team, the IRMs, the admins" from the manage rule, for refusals. */
static void who_may(const struct plan_config *cfg, char *why, size_t whysz)
{
    struct buf b;
    buf_init(&b, 2048);
    if (cfg->manage_team)
        (void)!buf_addstr(&b, "the incident's response team");
    if (cfg->manage_irms)
        (void)!buf_addf(&b, "%sthe IRMs", b.len ? ", " : "");
    if (cfg->manage_admins)
        (void)!buf_addf(&b, "%sthe admins", b.len ? ", " : "");
    for (size_t i = 0; i < cfg->n_manage_users; i++)
        if (is_user_id(cfg->manage_users[i]))
            (void)!buf_addf(&b, "%s<@%s>", b.len ? ", " : "", cfg->manage_users[i]);
    snprintf(why, whysz, "%s", b.len ? buf_str(&b) : "nobody");
    buf_free(&b);
}

enum bot_rc plan_may_manage(struct plan *p, const struct store_incident *inc, const char *user,
                            bool *allowed, char *why, size_t whysz)
{
    const struct plan_config *cfg = p->cfg;
    struct bot_err err;
    enum bot_rc rc = BOT_OK;
    *allowed = cfg->manage_everyone || in_list(cfg->manage_users, cfg->n_manage_users, user) ||
               (cfg->manage_admins && in_list(cfg->admins, cfg->n_admins, user));
    if (!*allowed && cfg->manage_team) {
        struct store_role *roles = NULL;
        size_t n = 0;
        *allowed = inc->declarer && strcmp(inc->declarer, user) == 0;
        rc = store_role_list_current(p->store, inc->id, &roles, &n, &err);
        for (size_t i = 0; rc == BOT_OK && i < n && !*allowed; i++)
            *allowed = strcmp(roles[i].user_id, user) == 0;
        store_role_list_free(roles, n);
    }
    if (rc == BOT_OK && !*allowed && cfg->manage_irms &&
        (cfg->n_irm_users > 0 || cfg->irm_group[0]))
        rc = plan_is_irm(p, user, allowed, &err);
    if (rc == BOT_OK && !*allowed)
        who_may(cfg, why, whysz);
    return rc;
}

enum bot_rc plan_may_read(struct plan *p, const struct store_incident *inc, const char *user,
                          const char *channel, bool *allowed, struct bot_err *err)
{
    const struct plan_config *cfg = p->cfg;
    enum bot_rc rc = BOT_OK;
    *allowed = !audience_private(inc) ||
               (channel && inc->channel_id && strcmp(channel, inc->channel_id) == 0) ||
               (inc->declarer && strcmp(inc->declarer, user) == 0) ||
               in_list(cfg->admins, cfg->n_admins, user) ||
               (cfg->dpo && cfg->dpo[0] && strcmp(cfg->dpo, user) == 0);
    if (!*allowed) {
        struct store_role *roles = NULL;
        size_t n = 0;
        rc = store_role_list_current(p->store, inc->id, &roles, &n, err);
        for (size_t i = 0; rc == BOT_OK && i < n && !*allowed; i++)
            *allowed = strcmp(roles[i].user_id, user) == 0;
        store_role_list_free(roles, n);
    }
    if (rc == BOT_OK && !*allowed)
        *allowed = in_list(cfg->irm_users, cfg->n_irm_users, user);
    if (rc == BOT_OK && !*allowed && cfg->irm_group[0]) {
        /* Unlike running the plan, a group never synced grants no one a look. */
        rc = store_directory_in_group(p->store, cfg->irm_group, user, allowed, err);
        if (rc == BOT_ENOTFOUND) {
            *allowed = false;
            rc = BOT_OK;
        }
    }
    return rc;
}

bool plan_may_declare(const struct plan_config *cfg, const char *user, char *why, size_t whysz)
{
    if (cfg->declare_everyone || in_list(cfg->declare_users, cfg->n_declare_users, user))
        return true;
    struct buf b;
    buf_init(&b, 2048);
    for (size_t i = 0; i < cfg->n_declare_users; i++)
        if (is_user_id(cfg->declare_users[i]))
            (void)!buf_addf(&b, "%s<@%s>", b.len ? ", " : "", cfg->declare_users[i]);
    snprintf(why, whysz, "%s", b.len ? buf_str(&b) : "nobody");
    buf_free(&b);
    return false;
}

/* Who is on call now: the configured users and this week's engineer of the rotation. */
static size_t oncall_now(const struct plan *p, const char **out, size_t max)
{
    const struct plan_config *cfg = p->cfg;
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_oncall && n < max; i++)
        if (!in_list(out, n, cfg->oncall[i]))
            out[n++] = cfg->oncall[i];
    const char *r = hours_rotation(cfg->rotation, cfg->n_rotation, cfg->rotation_start_ms,
                                   p->now_ms, p->tz_offset_min);
    if (r != NULL && n < max && !in_list(out, n, r))
        out[n++] = r;
    return n;
}

/*
 * plan_page_targets() as a table: [kind][column], the columns being in business hours
 * and the severity escalates, in hours and it does not, out of hours and it escalates,
 * out of hours and it does not.
 */
#define PG_IRMS PLAN_PAGE_IRMS
#define PG_ONCALL PLAN_PAGE_ONCALL
#define PG_HOLDER PLAN_PAGE_HOLDER
static const unsigned page_table[][4] = {
    [PLAN_PAGE_DECLARE] = {PG_IRMS, PG_IRMS, PG_IRMS | PG_ONCALL, PG_ONCALL},
    [PLAN_PAGE_RAISE] = {PG_IRMS, 0, PG_IRMS, 0},
    [PLAN_PAGE_IRM_UNCLAIMED] = {PG_IRMS, PG_IRMS, PG_IRMS | PG_ONCALL, PG_ONCALL},
    [PLAN_PAGE_LIAISONS] = {PG_HOLDER, PG_HOLDER, PG_HOLDER, PG_ONCALL},
    [PLAN_PAGE_PUBLIC_UPDATE] = {PG_HOLDER, PG_HOLDER, PG_HOLDER, PG_ONCALL},
};

unsigned plan_page_targets(const struct plan *p, const struct store_incident *inc,
                           enum plan_page_kind kind)
{
    enum severity sev;
    bool escalates = inc->severity != NULL &&
                     plan_severity_parse(inc->severity, strlen(inc->severity), &sev) &&
                     p->cfg->escalate[sev];
    bool in_hours = hours_within(&p->cfg->hours, p->now_ms, p->tz_offset_min);
    if ((unsigned)kind >= sizeof(page_table) / sizeof(page_table[0]))
        return 0;
    return page_table[kind][(in_hours ? 0 : 2) + (escalates ? 0 : 1)];
}

/* The mentions of targets (PLAN_PAGE_*): "<!subteam^S1> <@U1> <@U2>", each person once; holder
 * may be NULL. "" when nobody is configured. Caller frees. */
static char *page_ping(const struct plan *p, unsigned targets, const char *holder)
{
    const struct plan_config *cfg = p->cfg;
    const char *who[128];
    size_t n = 0;
    struct buf b;
    buf_init(&b, 8192);
    if ((targets & PLAN_PAGE_IRMS) && cfg->irm_group[0])
        (void)!buf_addf(&b, "<!subteam^%s>", cfg->irm_group);
    if ((targets & PLAN_PAGE_ONCALL) && cfg->oncall_group[0] &&
        !((targets & PLAN_PAGE_IRMS) && strcmp(cfg->oncall_group, cfg->irm_group) == 0))
        (void)!buf_addf(&b, "%s<!subteam^%s>", b.len ? " " : "", cfg->oncall_group);
    if ((targets & PLAN_PAGE_HOLDER) && holder != NULL)
        who[n++] = holder;
    for (size_t i = 0; (targets & PLAN_PAGE_IRMS) && i < cfg->n_irm_users && n < 64; i++)
        if (!in_list(who, n, cfg->irm_users[i]))
            who[n++] = cfg->irm_users[i];
    if (targets & PLAN_PAGE_ONCALL) {
        const char *oc[64];
        size_t no = oncall_now(p, oc, 64);
        for (size_t i = 0; i < no; i++)
            if (!in_list(who, n, oc[i]))
                who[n++] = oc[i];
    }
    for (size_t i = 0; i < n; i++)
        (void)!buf_addf(&b, "%s<@%s>", b.len ? " " : "", who[i]);
    char *s = xstrdup(buf_str(&b));
    buf_free(&b);
    return s;
}

/* Pages the IRMs in the channel once (attr irm_paged), recording why on the timeline. */
static enum bot_rc page_irms(struct plan *p, const struct store_incident *inc, const char *why,
                             struct bot_err *err)
{
    char *paged = NULL;
    enum bot_rc rc = store_incident_attr_get(p->store, inc->id, "irm_paged", &paged, err);
    free(paged);
    if (rc == BOT_OK)
        return BOT_OK;
    if (rc != BOT_ENOTFOUND)
        return rc;
    char *ping = irm_ping(p->cfg);
    char *text = xasprintf(":pager: %s%san IRM is needed to run the plan (%s): press *Take IRM* "
                           "on the pinned message.", ping, ping[0] ? ": " : "", why);
    rc = store_incident_attr_set(p->store, inc->id, "irm_paged", "1", p->now_ms, err);
    if (rc == BOT_OK)
        rc = plan_say(p, inc, text, err);
    if (rc == BOT_OK)
        rc = plan_record(p, inc, NULL, "escalation", text, err);
    free(text);
    free(ping);
    return rc;
}

enum bot_rc plan_irm_unclaimed(struct plan *p, const struct store_incident *inc,
                               struct bot_err *err)
{
    int64_t minutes = (p->now_ms - inc->declared_at) / 60000;
    unsigned to = plan_page_targets(p, inc, PLAN_PAGE_IRM_UNCLAIMED);
    char *ping = page_ping(p, to, NULL);
    char *text = (to & PLAN_PAGE_IRMS)
        ? xasprintf(":hourglass: INC-%lld has had no IRM for %lld minutes. %s%sPress *Take IRM* "
                    "on the pinned message, or `/incident role irm @someone`.",
                    (long long)inc->id, (long long)minutes, ping, ping[0] ? ": " : "")
        : xasprintf(":hourglass: INC-%lld has had no IRM for %lld minutes. %s%sOutside business "
                    "hours the on-call engineers contain it; the IRMs are not paged for severity "
                    "%s and take over in business hours (raise the severity with `/incident "
                    "severity` if it needs them now).",
                    (long long)inc->id, (long long)minutes, ping, ping[0] ? ": " : "",
                    inc->severity);
    enum bot_rc rc = plan_say(p, inc, text, err);
    if (rc == BOT_OK)
        rc = plan_record(p, inc, NULL, "reminder", text, err);
    if (rc == BOT_OK && p->cfg->irm_unclaimed_minutes > 0)
        rc = store_reminder_add(p->store, inc->id, "irm_unclaimed",
                                p->now_ms + p->cfg->irm_unclaimed_minutes * 60000, NULL,
                                p->now_ms, NULL, err);
    free(text);
    free(ping);
    return rc;
}

enum bot_rc plan_liaisons_remind(struct plan *p, const struct store_incident *inc,
                                 struct bot_err *err)
{
    char *irm = NULL, *tech = NULL, *support = NULL;
    enum bot_rc rc = store_role_get(p->store, inc->id, "irm", &irm, err);
    if (rc == BOT_ENOTFOUND)
        return BOT_OK; /* nobody to appoint them: the IRM reminder is the one that runs */
    if (rc == BOT_OK)
        rc = store_role_get(p->store, inc->id, "tech", &tech, err);
    if (rc == BOT_ENOTFOUND)
        rc = BOT_OK;
    if (rc == BOT_OK)
        rc = store_role_get(p->store, inc->id, "support", &support, err);
    if (rc == BOT_ENOTFOUND)
        rc = BOT_OK;
    if (rc == BOT_OK && (tech == NULL || support == NULL)) {
        unsigned to = plan_page_targets(p, inc, PLAN_PAGE_LIAISONS);
        char *ping = page_ping(p, to, irm);
        char *text = xasprintf("%s%sa reminder: this incident still has no %s%s%s. Appoint them "
                               "with the menus on the pinned message or `/incident role tech "
                               "@someone`.%s", ping, ping[0] ? ", " : "",
                               tech ? "" : "technical liaison",
                               !tech && !support ? " and no " : "",
                               support ? "" : "support liaison",
                               (to & PLAN_PAGE_HOLDER) ? ""
                                                      : " Outside business hours this goes to "
                                                        "the on-call engineers.");
        rc = plan_say(p, inc, text, err);
        if (rc == BOT_OK)
            rc = plan_record(p, inc, NULL, "reminder", text, err);
        free(text);
        free(ping);
    }
    free(irm);
    free(tech);
    free(support);
    return rc;
}

enum bot_rc plan_public_update_schedule(struct plan *p, const struct store_incident *inc,
                                        struct bot_err *err)
{
    enum inc_status st = ST_INVESTIGATING;
    (void)plan_status_parse(inc->status, strlen(inc->status), &st);
    enum bot_rc rc = store_reminder_cancel(p->store, inc->id, "public_update", p->now_ms, NULL,
                                           err);
    if (rc == BOT_OK && inc->published && p->cfg->public_update_minutes > 0 &&
        st >= ST_INVESTIGATING && st < ST_RESOLVED)
        rc = store_reminder_add(p->store, inc->id, "public_update",
                                p->now_ms + p->cfg->public_update_minutes * 60000, NULL,
                                p->now_ms, NULL, err);
    return rc;
}

enum bot_rc plan_public_update_remind(struct plan *p, const struct store_incident *inc,
                                      struct bot_err *err)
{
    if (!inc->published)
        return BOT_OK;
    char *who = NULL;
    enum bot_rc rc = store_role_get(p->store, inc->id, "support", &who, err);
    if (rc == BOT_ENOTFOUND)
        rc = store_role_get(p->store, inc->id, "irm", &who, err);
    if (rc != BOT_OK && rc != BOT_ENOTFOUND)
        return rc;
    char *ping = page_ping(p, plan_page_targets(p, inc, PLAN_PAGE_PUBLIC_UPDATE), who);
    char *text = xasprintf(":loudspeaker: %s%sINC-%lld is public and its status page has had no "
                           "update for %lld minutes. Customers are waiting: post one with "
                           "`/incident status <status> <message>`.",
                           ping, ping[0] ? ": " : "", (long long)inc->id,
                           (long long)p->cfg->public_update_minutes);
    free(ping);
    free(who);
    rc = plan_say(p, inc, text, err);
    if (rc == BOT_OK)
        rc = plan_record(p, inc, NULL, "reminder", text, err);
    free(text);
    if (rc == BOT_OK)
        rc = plan_public_update_schedule(p, inc, err);
    return rc;
}

/* The deadline reminders of the regulator clock, and the message that starts it. */
static enum bot_rc breach_clock(struct plan *p, const struct store_incident *inc,
                                struct bot_err *err)
{
    const struct plan_config *cfg = p->cfg;
    int64_t hour = 3600000, deadline = inc->breach_at + cfg->breach_notify_hours * hour;
    enum bot_rc rc = store_reminder_cancel(p->store, inc->id, "breach_clock", p->now_ms, NULL, err);
    for (size_t i = 0; rc == BOT_OK && i <= cfg->n_breach_remind_hours; i++) {
        int64_t left = i < cfg->n_breach_remind_hours ? cfg->breach_remind_hours[i] : 0;
        if (left >= cfg->breach_notify_hours)
            continue;
        char payload[64];
        snprintf(payload, sizeof(payload), "{\"hours_left\":%lld}", (long long)left);
        rc = store_reminder_add(p->store, inc->id, "breach_clock", deadline - left * hour,
                                payload, p->now_ms, NULL, err);
    }
    char *text = xasprintf(":stopwatch: A data or security breach is suspected: the "
                           "regulator-notification clock started. The decision whether to "
                           "notify is due within %lld h, by <!date^%lld^{date_short} {time}|%lld h "
                           "from now>. Record it with `/incident breach notify yes|no <why>`.",
                           (long long)cfg->breach_notify_hours, (long long)(deadline / 1000),
                           (long long)cfg->breach_notify_hours);
    if (rc == BOT_OK && !is_potential(inc))
        rc = plan_say(p, inc, text, err);
    free(text);
    return rc;
}

static enum bot_rc assign(struct plan *p, struct store_incident *inc, const char *role,
                          const char *user, const char *actor, const char *url, bool check,
                          struct bot_err *err);

/* The DPO of a breach: the configured one takes the role and is told why. */
static enum bot_rc breach_dpo(struct plan *p, struct store_incident *inc, const char *actor,
                              struct bot_err *err)
{
    char *dpo = NULL;
    enum bot_rc rc = store_role_get(p->store, inc->id, "dpo", &dpo, err);
    if (rc == BOT_OK) { /* someone holds it already: tell them */
        char *text = xasprintf("<@%s>, as the DPO: a data or security breach is suspected in "
                               "this incident; you are part of the response team now.", dpo);
        rc = is_potential(inc) ? BOT_OK : plan_say(p, inc, text, err);
        free(text);
        free(dpo);
        return rc;
    }
    if (rc != BOT_ENOTFOUND)
        return rc;
    if (p->cfg->dpo[0] == '\0')
        return is_potential(inc) ? BOT_OK
                                 : plan_say(p, inc, ":warning: A breach is suspected but no DPO "
                                            "is configured (`[roles] dpo`). Appoint one with "
                                            "`/incident role dpo @someone`.", err);
    rc = assign(p, inc, "dpo", p->cfg->dpo, actor, NULL, false, err);
    if (rc == BOT_OK)
        rc = store_role_get(p->store, inc->id, "dpo", &dpo, err);
    free(dpo);
    if (rc == BOT_ENOTFOUND) /* the configured DPO could not take it (deactivated, unknown) */
        return is_potential(inc) ? BOT_OK
                                 : plan_say(p, inc, ":warning: A breach is suspected but the "
                                            "configured DPO (`[roles] dpo`) cannot be appointed. "
                                            "Appoint one with `/incident role dpo @someone`.", err);
    if (rc == BOT_OK && !is_potential(inc)) {
        char *text = xasprintf("<@%s>, you are asked to join as the DPO because a data or "
                               "security breach is suspected in this incident: please assess "
                               "which data and whom it concerns, and whether the regulator "
                               "must be notified.", p->cfg->dpo);
        rc = plan_say(p, inc, text, err);
        free(text);
    }
    return rc;
}

enum bot_rc plan_setup(struct plan *p, struct store_incident *inc, const char *actor,
                       struct bot_err *err)
{
    const struct plan_config *cfg = p->cfg;
    enum bot_rc rc;
    char name[CHAN_NAME_MAX + 1];
    enum severity sev;
    (void)plan_severity_parse(inc->severity, strlen(inc->severity), &sev);

    /* 1. The channel: the template's name, then variants for when it is taken. */
    cJSON *pl = cJSON_CreateObject();
    cJSON *names = cJSON_AddArrayToObject(pl, "names");
    /* The slug comes from the title's words, not from its stored form ("R&amp;D"). */
    char *words = slack_text_plain_dup(inc->title, 64 * 1024, NULL);
    for (int n = 1; n <= PLAN_CHANNEL_VARIANTS; n++) {
        rc = chan_name_render_variant(cfg->channel_template, inc->id, words, sev,
                                      inc->declared_at, p->tz_offset_min, n, name, sizeof(name),
                                      err);
        if (rc) {
            free(words);
            cJSON_Delete(pl);
            return rc;
        }
        if (n == 1 && cfg->call_url_template[0] && inc->call_url == NULL) {
            char url[PLAN_MAX_CALL_URL + 1];
            if (plan_call_url(cfg->call_url_template, inc->id, name, url, sizeof(url)) == BOT_OK)
                inc->call_url = xstrdup(url);
        }
        cJSON_AddItemToArray(names, cJSON_CreateString(name));
    }
    free(words);
    cJSON_AddBoolToObject(pl, "is_private", inc->breach != 0);
    cJSON *save = cJSON_AddObjectToObject(pl, "save");
    cJSON_AddStringToObject(save, "channel_id", "channel.id");
    cJSON_AddStringToObject(save, "channel_name", "channel.name");
    inc->channel_private = inc->breach != 0;
    rc = store_incident_update(p->store, inc, err);
    if (rc == BOT_OK)
        rc = plan_effect(p, inc->id, "slack", "slack.create_channel", pl, err);
    else
        cJSON_Delete(pl);

    /* 2. The people: declarer, on-call engineers, whoever holds a role already. */
    const char *people[64];
    size_t np = 0;
    if (inc->declarer)
        people[np++] = inc->declarer;
    const char *oncall[64];
    size_t no = oncall_now(p, oncall, 60);
    for (size_t i = 0; i < no; i++)
        if (!in_list(people, np, oncall[i]))
            people[np++] = oncall[i];
    struct store_role *roles = NULL;
    size_t nroles = 0;
    if (rc == BOT_OK)
        rc = store_role_list_current(p->store, inc->id, &roles, &nroles, err);
    for (size_t i = 0; rc == BOT_OK && i < nroles && np < 64; i++)
        if (!in_list(people, np, roles[i].user_id))
            people[np++] = roles[i].user_id;
    for (size_t i = 0; rc == BOT_OK && i < np; i++)
        rc = invite(p, inc, people[i], err);
    store_role_list_free(roles, nroles);

    /* 3. Purpose (the title), topic, the pinned control message. */
    if (rc == BOT_OK) {
        struct render_incident r = {.id = inc->id, .title = inc->title, .step = 1};
        char *purpose = NULL;
        rc = render_purpose(&r, &purpose);
        if (rc == BOT_OK) {
            cJSON *args = cJSON_CreateObject();
            cJSON_AddStringToObject(args, "channel", "{{incident.channel_id}}");
            cJSON_AddStringToObject(args, "purpose", purpose);
            rc = plan_call(p, inc->id, "conversations.setPurpose", args, err);
        }
        free(purpose);
    }
    if (rc == BOT_OK)
        rc = plan_refresh(p, inc, err);

    /* 4. The call link as a bookmark. */
    if (rc == BOT_OK && inc->call_url) {
        cJSON *args = cJSON_CreateObject();
        cJSON_AddStringToObject(args, "channel_id", "{{incident.channel_id}}");
        cJSON_AddStringToObject(args, "title", "Video call");
        cJSON_AddStringToObject(args, "type", "link");
        cJSON_AddStringToObject(args, "link", inc->call_url);
        rc = plan_call(p, inc->id, "bookmarks.add", args, err);
    }

    /* 5. Who should do what next: in business hours the IRMs take charge; outside them the
     *    on-call engineers contain it, and the IRMs are paged only for severe incidents. */
    unsigned to = plan_page_targets(p, inc, PLAN_PAGE_DECLARE);
    if (rc == BOT_OK) {
        char *title = slack_text_title_dup(inc->title, 4096);
        char *text = xasprintf(":rotating_light: *INC-%lld: %s* was declared by <@%s> "
                               "(severity %s).%s%s\nThe IRM appoints a technical liaison and a "
                               "support liaison. Commands: `/incident help`.",
                               (long long)inc->id, title, inc->declarer ? inc->declarer : actor,
                               inc->severity, inc->call_url ? "\nVideo call: " : "",
                               inc->call_url ? inc->call_url : "");
        rc = plan_say(p, inc, text, err);
        free(text);
        free(title);
    }
    if (rc == BOT_OK && !(to & PLAN_PAGE_ONCALL)) {
        rc = page_irms(p, inc, "declared in business hours", err);
    } else if (rc == BOT_OK) {
        static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
        int day, minute;
        hours_local(p->now_ms, p->tz_offset_min, &day, &minute);
        char *ping = page_ping(p, PLAN_PAGE_ONCALL, NULL);
        char *text = xasprintf(":crescent_moon: Declared outside business hours (%s %02d:%02d). "
                               "%s%sOn call: contain the problem and follow the simplified plan: "
                               "1. mitigate, 2. assess the severity (`/incident severity`), "
                               "3. the IRMs are paged %s.",
                               days[day], minute / 60, minute % 60, ping, ping[0] ? ": " : "",
                               (to & PLAN_PAGE_IRMS) ? "now (this severity escalates)"
                                                  : "if the severity is raised to one that "
                                                    "escalates; otherwise they take over in "
                                                    "business hours");
        rc = plan_say(p, inc, text, err);
        if (rc == BOT_OK)
            rc = plan_record(p, inc, NULL, "out_of_hours", text, err);
        free(text);
        free(ping);
        /* A direct message to each on-call engineer: a mention alone may go unseen at 3 a.m. */
        const char *who[64];
        size_t n = oncall_now(p, who, 64);
        for (size_t i = 0; rc == BOT_OK && i < n; i++) {
            cJSON *args = cJSON_CreateObject();
            char *dm = xasprintf(":rotating_light: INC-%lld (%s) was declared outside business "
                                 "hours and you are on call: <#{{incident.channel_id}}>",
                                 (long long)inc->id, inc->severity);
            cJSON_AddStringToObject(args, "channel", who[i]);
            cJSON_AddStringToObject(args, "text", dm);
            free(dm);
            rc = plan_call_linking(p, inc->id, "chat.postMessage", args, err);
        }
        if (rc == BOT_OK && (to & PLAN_PAGE_IRMS)) {
            char reason[120];
            snprintf(reason, sizeof(reason), "severity %s escalates outside business hours",
                     inc->severity);
            rc = page_irms(p, inc, reason, err);
        } else if (rc == BOT_OK) {
            char *t = xasprintf("IRMs not paged: severity %s does not escalate outside business "
                                "hours", inc->severity);
            rc = plan_record(p, inc, NULL, "escalation", t, err);
            free(t);
        }
    }
    if (rc == BOT_OK && cfg->irm_unclaimed_minutes > 0)
        rc = store_reminder_add(p->store, inc->id, "irm_unclaimed",
                                p->now_ms + cfg->irm_unclaimed_minutes * 60000, NULL, p->now_ms,
                                NULL, err);
    if (rc == BOT_OK && inc->breach) {
        rc = breach_dpo(p, inc, actor, err);
        if (rc == BOT_OK)
            rc = breach_clock(p, inc, err);
    }
    return rc;
}

enum bot_rc plan_declare(struct plan *p, const struct plan_actor *a, const struct declare_req *req,
                         const char *description, struct bot_err *err)
{
    const struct plan_config *cfg = p->cfg;
    char why[300];
    bool below = declare_below_threshold(req, p->now_ms, (int)cfg->min_duration_minutes,
                                         (long)cfg->min_affected_users, why, sizeof(why));
    char who[1024];
    if (!plan_may_declare(cfg, a->user_id, who, sizeof(who))) {
        char *text = xasprintf(":no_entry: Only %s may declare incidents here; nothing changed. "
                               "Ask one of them, or the on-call engineer.", who);
        enum bot_rc rc = plan_respond(p, a->response_url, text, NULL, false, err);
        free(text);
        return rc;
    }
    /* Every component must be a known one: a typo was once created and shown nowhere. */
    char **known = NULL;
    size_t nk = 0;
    const char *canon[DECLARE_MAX_COMPONENTS];
    enum bot_rc krc = plan_components_known(p, &known, &nk, err);
    for (int i = 0; krc == BOT_OK && i < req->ncomponents; i++) {
        canon[i] = plan_component_resolve(cfg, known, nk, req->components[i]);
        if (canon[i] == NULL) {
            struct buf t;
            buf_init(&t, CMD_MAX_REPLY);
            plan_component_unknown(&t, req->components[i], known, nk);
            krc = plan_respond(p, a->response_url, buf_str(&t), NULL, false, err);
            buf_free(&t);
            plan_components_free(known, nk);
            return krc;
        }
    }
    if (krc) {
        plan_components_free(known, nk);
        return krc;
    }
    enum severity sev = req->has_sev ? req->severity : SEV_MAJOR;
    bool raised = false;
    if (req->breach && sev == SEV_MINOR) {
        sev = SEV_MAJOR; /* PLAN.md: a suspected breach is at least major */
        raised = true;
    }
    struct store_incident ins, inc;
    store_incident_init(&ins);
    store_incident_init(&inc);
    ins.title = (char *)req->title;
    ins.description = (char *)description;
    ins.severity = (char *)plan_severity_name(sev);
    ins.status = below ? "potential" : "investigating";
    ins.breach = req->breach;
    ins.breach_at = req->breach ? p->now_ms : 0;
    ins.below_threshold = below;
    ins.started_at = req->has_started ? req->started_at_ms : p->now_ms;
    ins.declared_at = p->now_ms;
    ins.declarer = (char *)a->user_id;
    ins.affected_users = req->has_users ? req->users : -1;
    ins.updated_at = p->now_ms;
    enum bot_rc rc = store_incident_insert(p->store, &ins, err);
    if (rc == BOT_OK)
        rc = store_incident_get(p->store, ins.id, &inc, err);
    for (int i = 0; rc == BOT_OK && i < req->ncomponents; i++)
        rc = plan_component_attach(p, inc.id, canon[i], err);
    plan_components_free(known, nk);
    if (rc)
        goto out;

    struct buf t;
    buf_init(&t, 4096);
    char *title = slack_text_title_dup(inc.title, 4096);
    (void)!buf_addf(&t, "Declared by <@%s>: %s (severity %s%s)", a->user_id, title,
                    inc.severity, raised ? ", raised from minor because a breach is suspected" :
                    "");
    if (req->breach)
        (void)!buf_addstr(&t, "; a data or security breach is suspected");
    if (req->has_users)
        (void)!buf_addf(&t, "; %ld users affected", req->users);
    rc = plan_record(p, &inc, a->user_id, "declare", buf_str(&t), err);
    buf_free(&t);

    if (rc == BOT_OK && below) {
        char *text = xasprintf("Below the incident definition: %s. Kept as a potential incident "
                               "until someone declares it anyway.", why);
        rc = plan_record(p, &inc, NULL, "definition", text, err);
        free(text);
        char *msg = xasprintf(":thinking_face: *INC-%lld: %s* looks smaller than an incident: "
                              "%s.\nDeclare it anyway (channel, roles, announcement), track "
                              "it as a *potential* incident that can be promoted later, or "
                              "dismiss it?",
                              (long long)inc.id, title, why);
        char value[24];
        snprintf(value, sizeof(value), "%lld", (long long)inc.id);
        cJSON *blocks = cJSON_CreateArray();
        cJSON_AddItemToArray(blocks, section(msg));
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "type", "actions");
        char bid[48];
        snprintf(bid, sizeof(bid), "inc%lld_definition", (long long)inc.id);
        cJSON_AddStringToObject(b, "block_id", bid);
        cJSON *els = cJSON_AddArrayToObject(b, "elements");
        cJSON_AddItemToArray(els, button("Declare anyway", "inc_declare_anyway", value, "danger"));
        cJSON_AddItemToArray(els, button("Track as potential", "inc_keep_potential", value, NULL));
        cJSON_AddItemToArray(els, button("Dismiss: not an incident", "inc_dismiss", value, NULL));
        cJSON_AddItemToArray(blocks, b);
        if (rc == BOT_OK)
            rc = plan_respond(p, a->response_url, msg, blocks, false, err);
        else
            cJSON_Delete(blocks);
        free(msg);
    } else if (rc == BOT_OK) {
        rc = plan_setup(p, &inc, a->user_id, err);
        char *msg = xasprintf(":white_check_mark: *INC-%lld: %s* is declared (severity %s%s). "
                              "Its channel is being created; you will be invited.",
                              (long long)inc.id, title, inc.severity,
                              inc.breach ? ", private: a breach is suspected" : "");
        if (rc == BOT_OK)
            rc = plan_respond(p, a->response_url, msg, NULL, false, err);
        free(msg);
    }
    free(title);
out:
    store_incident_clear(&inc);
    return rc;
}

enum bot_rc plan_promote(struct plan *p, const struct plan_actor *a, int64_t id,
                         struct bot_err *err)
{
    struct store_incident inc;
    char text[300];
    enum bot_rc rc = store_incident_get(p->store, id, &inc, err);
    if (rc == BOT_ENOTFOUND) {
        snprintf(text, sizeof(text), ":warning: There is no incident INC-%lld.", (long long)id);
        return plan_respond(p, a->response_url, text, NULL, false, err);
    }
    if (rc)
        return rc;
    if (!is_potential(&inc)) {
        snprintf(text, sizeof(text), "INC-%lld is already declared (status %s); nothing to "
                 "promote.", (long long)id, inc.status);
        rc = plan_respond(p, a->response_url, text, NULL, false, err);
        goto out;
    }
    free(inc.status);
    inc.status = xstrdup("investigating");
    inc.declared_at = p->now_ms;
    inc.updated_at = p->now_ms;
    rc = store_incident_update(p->store, &inc, err);
    if (rc == BOT_OK)
        rc = plan_record(p, &inc, a->user_id, "promote", "Declared although below the incident "
                         "definition", err);
    if (rc == BOT_OK)
        rc = plan_setup(p, &inc, a->user_id, err);
    snprintf(text, sizeof(text), ":white_check_mark: INC-%lld is declared now; its channel is "
             "being created.", (long long)id);
    if (rc == BOT_OK)
        rc = plan_respond(p, a->response_url, text, NULL, true, err);
out:
    store_incident_clear(&inc);
    return rc;
}

/*
 * Whether user can hold role, by the workspace directory delivery keeps: a
 * person who exists, is not deactivated and is not a bot. A directory never
 * synced cannot tell, so then anyone is accepted. BOT_EINVAL with the reason
 * in text when not.
 */
static enum bot_rc check_person(struct plan *p, const char *user, const char *role, char *text,
                                size_t textsz, struct bot_err *err)
{
    int64_t synced = 0;
    struct store_directory_user u = {0};
    enum bot_rc rc = store_directory_synced_at(p->store, STORE_DIRECTORY_USERS, &synced, err);
    if (rc == BOT_ENOTFOUND)
        return BOT_OK;
    if (rc)
        return rc;
    rc = store_directory_user(p->store, user, &u, err);
    if (rc == BOT_ENOTFOUND) {
        snprintf(text, textsz, ":warning: There is no user <@%s> in this workspace (as of "
                 "<!date^%lld^{date_short} {time}|the last sync>); nothing changed.", user,
                 (long long)(synced / 1000));
        return BOT_EINVAL;
    }
    if (rc)
        return rc;
    if (u.deleted)
        snprintf(text, textsz, ":warning: <@%s> is deactivated and cannot be the %s; nothing "
                 "changed.", user, plan_role_title(role));
    else if (u.is_bot)
        snprintf(text, textsz, ":warning: <@%s> is a bot and cannot be the %s; nothing changed.",
                 user, plan_role_title(role));
    rc = u.deleted || u.is_bot ? BOT_EINVAL : BOT_OK;
    store_directory_user_clear(&u);
    return rc;
}

/*
 * plan_assign(), and with check false the bot's own appointments (the
 * configured DPO on a breach), which need no one's permission.
 */
static enum bot_rc assign(struct plan *p, struct store_incident *inc, const char *role,
                          const char *user, const char *actor, const char *url, bool check,
                          struct bot_err *err)
{
    const struct plan_config *cfg = p->cfg;
    char *prev = NULL, text[1400];
    enum bot_rc rc = store_role_get(p->store, inc->id, role, &prev, err);
    if (rc != BOT_OK && rc != BOT_ENOTFOUND)
        return rc;
    if (prev != NULL && strcmp(prev, user) == 0) {
        snprintf(text, sizeof(text), "<@%s> is already the %s of INC-%lld.", user,
                 plan_role_title(role), (long long)inc->id);
        free(prev);
        return plan_respond(p, url, text, NULL, false, err);
    }
    /* Appointing is the response team's (PLAN.md: the IRM appoints the liaisons); an IRM may
     * always take the IRM role themselves, which the IRM check below decides. */
    if (check && !(strcmp(role, "irm") == 0 && strcmp(user, actor) == 0)) {
        bool may = true;
        char who[1024];
        rc = plan_may_manage(p, inc, actor, &may, who, sizeof(who));
        if (rc != BOT_OK)
            goto fail;
        if (!may) {
            snprintf(text, sizeof(text), ":no_entry: Only %s may appoint the %s of INC-%lld; "
                     "nothing changed.", who, plan_role_title(role), (long long)inc->id);
            free(prev);
            return plan_respond(p, url, text, NULL, false, err);
        }
    }
    bool allowed = true;
    rc = check_person(p, user, role, text, sizeof(text), err);
    if (rc == BOT_EINVAL)
        allowed = false;
    else if (rc != BOT_OK)
        goto fail;
    if (allowed && strcmp(role, "irm") == 0) {
        bool member;
        rc = plan_is_irm(p, user, &member, err);
        if (rc != BOT_OK)
            goto fail;
        if (!member) {
            char *ping = irm_ping(cfg);
            snprintf(text, sizeof(text), ":no_entry: <@%s> is not one of the IRMs (%s); nothing "
                     "changed.", user, ping);
            free(ping);
            allowed = false;
        }
    }
    if (!allowed) {
        free(prev);
        return plan_respond(p, url, text, NULL, false, err);
    }
    rc = store_role_set(p->store, inc->id, role, user, actor, p->now_ms, err);
    if (rc == BOT_OK && strcmp(role, "irm") == 0)
        rc = store_reminder_cancel(p->store, inc->id, "irm_unclaimed", p->now_ms, NULL, err);
    if (rc == BOT_OK) {
        if (prev)
            snprintf(text, sizeof(text), "<@%s> is now the %s (assigned by <@%s>; before: <@%s>)",
                     user, plan_role_title(role), actor, prev);
        else
            snprintf(text, sizeof(text), "<@%s> is now the %s (assigned by <@%s>)", user,
                     plan_role_title(role), actor);
        rc = plan_record(p, inc, actor, "role", text, err);
    }
    if (rc == BOT_OK)
        rc = plan_checklist_follow(p, inc, err); /* step 1 once the team is complete */
    if (rc == BOT_OK && !is_potential(inc)) {
        rc = invite(p, inc, user, err);
        if (rc == BOT_OK)
            rc = plan_say(p, inc, text, err);
        /* Taken over: the previous holder is told in so many words, unless they gave it away. */
        if (rc == BOT_OK && prev != NULL && strcmp(prev, actor) != 0) {
            snprintf(text, sizeof(text), ":arrows_counterclockwise: <@%s>, you are no longer the "
                     "%s of INC-%lld: <@%s> took it over.", prev, plan_role_title(role),
                     (long long)inc->id, user);
            rc = plan_say(p, inc, text, err);
        }
        if (rc == BOT_OK)
            rc = plan_refresh(p, inc, err);
    }
    free(prev);
    /* The IRM appoints the liaisons: say so now, and once more later if they are still missing. */
    char *tech = NULL, *support = NULL;
    if (rc == BOT_OK)
        rc = store_role_get(p->store, inc->id, "tech", &tech, err);
    if (rc == BOT_OK || rc == BOT_ENOTFOUND)
        rc = store_role_get(p->store, inc->id, "support", &support, err);
    if (rc == BOT_ENOTFOUND)
        rc = BOT_OK;
    bool missing = tech == NULL || support == NULL;
    if (rc == BOT_OK && strcmp(role, "irm") == 0 && missing && !is_potential(inc)) {
        snprintf(text, sizeof(text), "<@%s>, as the IRM please appoint a technical liaison and a "
                 "support liaison: the menus on the pinned message, or `/incident role tech "
                 "@someone` and `/incident role support @someone`.", user);
        rc = plan_say(p, inc, text, err);
        if (rc == BOT_OK)
            rc = store_reminder_cancel(p->store, inc->id, "liaisons", p->now_ms, NULL, err);
        if (rc == BOT_OK)
            rc = store_reminder_add(p->store, inc->id, "liaisons",
                                    p->now_ms + PLAN_LIAISON_REMIND_MIN * 60000, NULL, p->now_ms,
                                    NULL, err);
    } else if (rc == BOT_OK && !missing) {
        rc = store_reminder_cancel(p->store, inc->id, "liaisons", p->now_ms, NULL, err);
    }
    free(tech);
    free(support);
    if (rc == BOT_OK && url) {
        snprintf(text, sizeof(text), "Done: <@%s> is the %s of INC-%lld.", user,
                 plan_role_title(role), (long long)inc->id);
        rc = plan_respond(p, url, text, NULL, false, err);
    }
    return rc;
fail:
    free(prev);
    return rc;
}

enum bot_rc plan_assign(struct plan *p, struct store_incident *inc, const char *role,
                        const char *user, const char *actor, const char *url, struct bot_err *err)
{
    return assign(p, inc, role, user, actor, url, true, err);
}

enum bot_rc plan_set_severity(struct plan *p, struct store_incident *inc, enum severity sev,
                              const char *actor, const char *why, const char *url,
                              struct bot_err *err)
{
    enum severity old;
    char text[1200];
    (void)plan_severity_parse(inc->severity, strlen(inc->severity), &old);
    if (old == sev) {
        snprintf(text, sizeof(text), "INC-%lld is already %s.", (long long)inc->id,
                 plan_severity_name(sev));
        return plan_respond(p, url, text, NULL, false, err);
    }
    bool allowed = true;
    char who[1024];
    enum bot_rc prc = plan_may_manage(p, inc, actor, &allowed, who, sizeof(who));
    if (prc != BOT_OK)
        return prc;
    if (!allowed) {
        snprintf(text, sizeof(text), ":no_entry: Only %s may change the severity of INC-%lld; "
                 "nothing changed.", who, (long long)inc->id);
        return plan_respond(p, url, text, NULL, false, err);
    }
    if (inc->breach && sev == SEV_MINOR) {
        snprintf(text, sizeof(text), ":no_entry: INC-%lld cannot be minor while a data or "
                 "security breach is suspected (at least major); nothing changed.",
                 (long long)inc->id);
        return plan_respond(p, url, text, NULL, false, err);
    }
    free(inc->severity);
    inc->severity = xstrdup(plan_severity_name(sev));
    inc->updated_at = p->now_ms;
    enum bot_rc rc = store_incident_update(p->store, inc, err);
    char *w = esc(why && *why ? why : "");
    snprintf(text, sizeof(text), "Severity changed from %s to %s by <@%s>%s%s",
             plan_severity_name(old), plan_severity_name(sev), actor, *w ? ": " : "", w);
    free(w);
    if (rc == BOT_OK)
        rc = plan_record(p, inc, actor, "severity", text, err);
    if (rc == BOT_OK && inc->published) /* the built-in page's components follow at once */
        rc = plan_sync_components(p, inc, err);
    if (rc == BOT_OK && !is_potential(inc)) {
        rc = plan_say(p, inc, text, err);
        if (rc == BOT_OK)
            rc = plan_refresh(p, inc, err);
        if (rc == BOT_OK) {
            struct render_update u = {.kind = RENDER_UPDATE_SEVERITY, .severity = sev,
                                      .actor = actor, .text = why};
            rc = plan_announce_update(p, inc, &u, err);
        }
    }
    /* Raised to a severity that escalates: page the IRMs if nobody has yet. */
    if (rc == BOT_OK && !is_potential(inc) && plan_severity_higher(sev, old) &&
        (plan_page_targets(p, inc, PLAN_PAGE_RAISE) & PLAN_PAGE_IRMS)) {
        char reason[120];
        snprintf(reason, sizeof(reason), "severity raised to %s", plan_severity_name(sev));
        rc = page_irms(p, inc, reason, err);
    }
    /* Raised on a published incident: should the status page's impact follow? */
    if (rc == BOT_OK && inc->published && plan_severity_higher(sev, old)) {
        char yes[48], no[48];
        snprintf(yes, sizeof(yes), "%lld:yes:%s", (long long)inc->id, plan_severity_name(sev));
        snprintf(no, sizeof(no), "%lld:no:%s", (long long)inc->id, plan_severity_name(sev));
        snprintf(text, sizeof(text), "INC-%lld is public. Should the status page's impact follow "
                 "the new severity (%s)?", (long long)inc->id, plan_severity_name(sev));
        cJSON *blocks = cJSON_CreateArray();
        cJSON_AddItemToArray(blocks, section(text));
        cJSON *acts = cJSON_CreateObject();
        cJSON_AddStringToObject(acts, "type", "actions");
        cJSON *els = cJSON_AddArrayToObject(acts, "elements");
        cJSON_AddItemToArray(els, button("Yes, update it", "inc_sp_impact_yes", yes, "primary"));
        cJSON_AddItemToArray(els, button("No, keep it", "inc_sp_impact_no", no, NULL));
        cJSON_AddItemToArray(blocks, acts);
        rc = plan_respond(p, url, text, blocks, false, err);
    } else if (rc == BOT_OK && url) {
        snprintf(text, sizeof(text), "Done: INC-%lld is %s now.", (long long)inc->id,
                 plan_severity_name(sev));
        rc = plan_respond(p, url, text, NULL, false, err);
    }
    return rc;
}

enum bot_rc plan_breach(struct plan *p, struct store_incident *inc, const char *actor,
                        const char *url, struct bot_err *err)
{
    char text[600];
    if (inc->breach) {
        snprintf(text, sizeof(text), "A breach is already suspected in INC-%lld (since "
                 "<!date^%lld^{date_short} {time}|then>).", (long long)inc->id,
                 (long long)(inc->breach_at / 1000));
        return plan_respond(p, url, text, NULL, false, err);
    }
    inc->breach = 1;
    inc->breach_at = p->now_ms;
    inc->updated_at = p->now_ms;
    bool raise = strcmp(inc->severity, "minor") == 0;
    if (raise) {
        free(inc->severity);
        inc->severity = xstrdup("major");
    }
    enum bot_rc rc = store_incident_update(p->store, inc, err);
    if (rc == BOT_OK)
        rc = plan_record(p, inc, actor, "breach", raise ? "A data or security breach is "
                         "suspected; severity raised from minor to major" : "A data or security "
                         "breach is suspected", err);
    if (rc == BOT_OK && !is_potential(inc)) {
        snprintf(text, sizeof(text), ":lock: <@%s> marked this incident as a suspected data or "
                 "security breach%s.", actor, raise ? "; severity raised to major" : "");
        rc = plan_say(p, inc, text, err);
        if (rc == BOT_OK && !inc->channel_private)
            rc = plan_say(p, inc, ":warning: This channel is public, and Slack cannot make a "
                          "public channel private. Keep the breach's details (which data, which "
                          "customers) out of it: discuss them in a private channel with the DPO "
                          "and the response team.", err);
        if (rc == BOT_OK)
            rc = plan_refresh(p, inc, err);
    }
    if (rc == BOT_OK)
        rc = breach_dpo(p, inc, actor, err);
    if (rc == BOT_OK)
        rc = breach_clock(p, inc, err);
    if (rc == BOT_OK && url) {
        snprintf(text, sizeof(text), "Done: INC-%lld is marked as a suspected breach; the "
                 "regulator clock runs %lld h.%s", (long long)inc->id,
                 (long long)p->cfg->breach_notify_hours, !inc->channel_private && !is_potential(inc)
                 ? " Its channel is public and stays so (Slack cannot make it private): keep "
                   "breach details in a private channel." : "");
        rc = plan_respond(p, url, text, NULL, false, err);
    }
    return rc;
}

enum bot_rc plan_set_call(struct plan *p, struct store_incident *inc, const char *url_,
                          const char *actor, const char *reply_url, struct bot_err *err)
{
    char url[PLAN_MAX_CALL_URL + 1], text[PLAN_MAX_CALL_URL + 200];
    size_t n = strlen(url_);
    /* Slack sends a typed link as <https://...> or <https://...|label>. */
    if (n >= 2 && url_[0] == '<' && url_[n - 1] == '>') {
        const char *bar = memchr(url_, '|', n);
        n = (bar ? (size_t)(bar - url_) : n - 1) - 1;
        url_++;
    }
    bool ok = n > 0 && n <= PLAN_MAX_CALL_URL &&
              (strncmp(url_, "https://", 8) == 0 || strncmp(url_, "http://", 7) == 0);
    for (size_t i = 0; ok && i < n; i++)
        if ((unsigned char)url_[i] <= ' ' || strchr("<>|\"", url_[i]))
            ok = false;
    if (!ok || n <= 8) {
        struct buf b;
        buf_init(&b, 400);
        (void)!buf_addstr(&b, ":warning: `/incident call` needs an http:// or https:// link "
                              "without spaces, not `");
        (void)!cmd_add_user_text(&b, url_);
        (void)!buf_addstr(&b, "`. Usage: `/incident call <url> [INC-N]`");
        enum bot_rc rc = plan_respond(p, reply_url, buf_str(&b), NULL, false, err);
        buf_free(&b);
        return rc;
    }
    memcpy(url, url_, n);
    url[n] = '\0';
    free(inc->call_url);
    inc->call_url = xstrdup(url);
    inc->updated_at = p->now_ms;
    enum bot_rc rc = store_incident_update(p->store, inc, err);
    snprintf(text, sizeof(text), "Video call set by <@%s>: %s", actor, url);
    if (rc == BOT_OK)
        rc = plan_record(p, inc, actor, "call", text, err);
    if (rc == BOT_OK && !is_potential(inc)) {
        cJSON *args = cJSON_CreateObject();
        cJSON_AddStringToObject(args, "channel_id", "{{incident.channel_id}}");
        cJSON_AddStringToObject(args, "title", "Video call");
        cJSON_AddStringToObject(args, "type", "link");
        cJSON_AddStringToObject(args, "link", url);
        rc = plan_call(p, inc->id, "bookmarks.add", args, err);
        if (rc == BOT_OK)
            rc = plan_say(p, inc, text, err);
        if (rc == BOT_OK)
            rc = plan_refresh(p, inc, err);
    }
    if (rc == BOT_OK && reply_url) {
        snprintf(text, sizeof(text), "Done: the video call of INC-%lld is %s", (long long)inc->id,
                 url);
        rc = plan_respond(p, reply_url, text, NULL, false, err);
    }
    return rc;
}
