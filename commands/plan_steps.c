/*
 * The decisions of the checklist and of plan steps 8 and 9 (see plan.h,
 * "The checklist and steps 3, 8, 9"): marking steps and moving the step
 * pointer, showing the checklist, the internal postmortem's deadline and
 * reminders once an incident is resolved, the public postmortem's modal and
 * its submission, the internal postmortem draft. The support plan (step 3),
 * follow-ups and closing are in cmd_support.c, cmd_followup.c and
 * cmd_close.c. As everywhere in the plan, each decision checks first and
 * writes afterwards, so a refused request changes nothing.
 */
#include "plan.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audience.h"
#include "buf.h"
#include "render.h"
#include "render_steps.h"
#include "slack_text.h"
#include "store_checklist.h"
#include "store_component.h"
#include "store_followup.h"
#include "store_timeline.h"
#include "xmalloc.h"

#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL

/* s escaped for mrkdwn, whole; caller frees. */
/* User text as stored (Slack's format) for mrkdwn: mentions work, crowds are never pinged. */
static char *esc(const char *s)
{
    return slack_text_user_dup(s, 256 * 1024);
}

static bool is_potential(const struct store_incident *inc)
{
    return strcmp(inc->status, "potential") == 0;
}

bool plan_is_over(const struct store_incident *inc)
{
    return strcmp(inc->status, "resolved") == 0 || strcmp(inc->status, "postmortem") == 0 ||
           strcmp(inc->status, "closed") == 0;
}

void plan_fmt_utc(int64_t ms, char *out, size_t outsz)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms <= 0 || gmtime_r(&t, &tm) == NULL || strftime(out, outsz, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(out, outsz, "?");
}

void plan_fmt_duration(int64_t ms, char *out, size_t outsz)
{
    int64_t mins = ms / 60000, d = mins / 1440, h = mins % 1440 / 60, m = mins % 60;
    if (ms < 60000)
        snprintf(out, outsz, "< 1 min");
    else if (d > 0)
        snprintf(out, outsz, "%" PRId64 " d %" PRId64 " h", d, h);
    else if (h > 0)
        snprintf(out, outsz, "%" PRId64 " h %" PRId64 " min", h, m);
    else
        snprintf(out, outsz, "%" PRId64 " min", m);
}

enum bot_rc plan_is_incident_irm(struct plan *p, const struct store_incident *inc,
                                 const char *user, bool *irm, struct bot_err *err)
{
    char *holder = NULL;
    enum bot_rc rc = store_role_get(p->store, inc->id, "irm", &holder, err);
    *irm = rc == BOT_OK && strcmp(holder, user) == 0;
    free(holder);
    return rc == BOT_ENOTFOUND ? BOT_OK : rc;
}

/* ---- the checklist ---- */

/* The first open step after `after`, or 0 when every later step is done. */
static int first_open_after(const struct store_checklist_item it[STORE_CHECKLIST_STEPS], int after)
{
    for (int s = after + 1; s <= STORE_CHECKLIST_STEPS; s++)
        if (!it[s - 1].done)
            return s;
    return 0;
}

/* Moves the pointer to the first open step after `after` when that is further on. */
static enum bot_rc advance_pointer(struct plan *p, struct store_incident *inc, int after,
                                   bool *moved, struct bot_err *err)
{
    struct store_checklist_item it[STORE_CHECKLIST_STEPS];
    enum bot_rc rc = store_checklist_get(p->store, inc->id, it, err);
    if (rc)
        return rc;
    int next = first_open_after(it, after);
    store_checklist_clear(it);
    if (next == 0)
        next = STORE_CHECKLIST_STEPS; /* everything after it is done: the last step */
    *moved = next > inc->step;
    if (!*moved)
        return BOT_OK;
    inc->step = next;
    inc->updated_at = p->now_ms;
    return store_incident_update(p->store, inc, err);
}

enum bot_rc plan_step_set(struct plan *p, struct store_incident *inc, int step,
                          enum plan_step_how how, const char *actor, struct bot_err *err)
{
    struct store_checklist_item it[STORE_CHECKLIST_STEPS];
    if (step < 1 || step > STORE_CHECKLIST_STEPS)
        return bot_err_set(err, BOT_EINVAL, "checklist: no step %d", step);
    enum bot_rc rc = store_checklist_get(p->store, inc->id, it, err);
    if (rc)
        return rc;
    bool done = it[step - 1].done;
    store_checklist_clear(it);
    if (how != PLAN_STEP_REOPEN && done)
        return BOT_EEXISTS;
    if (how == PLAN_STEP_REOPEN && !done)
        return BOT_ENOTFOUND;

    bool moved = false;
    if (how == PLAN_STEP_DONE)
        rc = store_checklist_mark(p->store, inc->id, step, actor, p->now_ms, err);
    else if (how == PLAN_STEP_SKIP)
        rc = store_checklist_skip(p->store, inc->id, step, actor, p->now_ms, err);
    else
        rc = store_checklist_reopen(p->store, inc->id, step, err);
    if (rc == BOT_OK && how != PLAN_STEP_REOPEN) {
        rc = advance_pointer(p, inc, step, &moved, err);
    } else if (rc == BOT_OK && step < inc->step) {
        inc->step = step;
        inc->updated_at = p->now_ms;
        moved = true;
        rc = store_incident_update(p->store, inc, err);
    }
    char text[300];
    const char *what = how == PLAN_STEP_DONE ? "done" : how == PLAN_STEP_SKIP ? "skipped"
                                                                           : "reopened";
    if (actor)
        snprintf(text, sizeof(text), "Step %d (%s) %s by <@%s>", step, render_step_name(step),
                 what, actor);
    else
        snprintf(text, sizeof(text), "Step %d (%s) %s", step, render_step_name(step), what);
    if (rc == BOT_OK)
        rc = plan_record(p, inc, actor, "checklist", text, err);
    if (rc == BOT_OK && moved && !is_potential(inc))
        rc = plan_refresh(p, inc, err);
    return rc;
}

/* ---- the checklist follows the work ---- */

_Static_assert(STORE_CHECKLIST_STEPS == 9, "plan.h's plan_checklist_open() has room for 9");

/* True when every one of the roles is held (store failures in *rc). */
static bool roles_held(struct plan *p, int64_t id, const char *const *roles, size_t n,
                       enum bot_rc *rc, struct bot_err *err)
{
    bool all = true;
    for (size_t i = 0; *rc == BOT_OK && all && i < n; i++) {
        char *who = NULL;
        *rc = store_role_get(p->store, id, roles[i], &who, err);
        if (*rc == BOT_ENOTFOUND) {
            *rc = BOT_OK;
            all = false;
        }
        free(who);
    }
    return all && *rc == BOT_OK;
}

/* Announced, or there is nothing to announce it in: no channel configured, or shown nothing. */
static bool announced(const struct plan *p, const struct store_incident *inc)
{
    return inc->announce_ts != NULL || p->cfg->announce_channel[0] == '\0' ||
           audience_show(&p->cfg->privacy, inc, AUD_ANNOUNCE, AUD_TEXT_ANNOUNCEMENT) ==
               AUD_SHOW_NOTHING;
}

/* Whether the public side of step 2 was decided: published, or kept internal on purpose. */
static enum bot_rc publish_decided(struct plan *p, const struct store_incident *inc, bool *yes,
                                   struct bot_err *err)
{
    char *v = NULL;
    *yes = inc->published != 0;
    if (*yes)
        return BOT_OK;
    enum bot_rc rc = store_incident_attr_get(p->store, inc->id, PLAN_ATTR_KEPT_INTERNAL, &v, err);
    *yes = rc == BOT_OK;
    free(v);
    return rc == BOT_ENOTFOUND ? BOT_OK : rc;
}

enum bot_rc plan_checklist_follow(struct plan *p, struct store_incident *inc,
                                  struct bot_err *err)
{
    static const char *const team[] = {"irm", "tech", "support"};
    struct store_checklist_item it[STORE_CHECKLIST_STEPS];
    const char *why[STORE_CHECKLIST_STEPS] = {0};
    enum inc_status st = ST_INVESTIGATING;
    if (is_potential(inc) || strcmp(inc->status, "closed") == 0)
        return BOT_OK; /* not set up yet, or over: nothing more follows */
    (void)plan_status_parse(inc->status, strlen(inc->status), &st);
    enum bot_rc rc = store_checklist_get(p->store, inc->id, it, err);
    if (rc)
        return rc;
    if (!it[0].done && inc->channel_id != NULL &&
        roles_held(p, inc->id, team, sizeof(team) / sizeof(team[0]), &rc, err))
        why[0] = "its channel is set up and the IRM and both liaisons are appointed";
    bool decided = false;
    if (rc == BOT_OK && !it[1].done && announced(p, inc))
        rc = publish_decided(p, inc, &decided, err);
    if (rc == BOT_OK && decided)
        why[1] = inc->published ? "announced, and published on the status page"
                                : "announced, and kept internal by decision";
    if (rc == BOT_OK && !it[3].done && st >= ST_IDENTIFIED && st != ST_CLOSED)
        why[3] = "the cause is identified";
    store_checklist_clear(it);
    bool any = false;
    for (int s = 1; rc == BOT_OK && s <= STORE_CHECKLIST_STEPS; s++) {
        if (why[s - 1] == NULL)
            continue;
        char text[300];
        snprintf(text, sizeof(text), "Step %d (%s) done: %s", s, render_step_name(s), why[s - 1]);
        rc = store_checklist_mark(p->store, inc->id, s, NULL, p->now_ms, err);
        if (rc == BOT_OK)
            rc = plan_record(p, inc, NULL, "checklist", text, err);
        any = true;
    }
    bool moved = false;
    if (rc == BOT_OK && any) /* the pointer leaves a step done, never passes an open one */
        rc = advance_pointer(p, inc, inc->step - 1, &moved, err);
    if (rc == BOT_OK && moved)
        rc = plan_refresh(p, inc, err);
    return rc;
}

enum bot_rc plan_checklist_open(struct plan *p, const struct store_incident *inc,
                                int open[9], int *n, struct bot_err *err)
{
    struct store_checklist_item it[STORE_CHECKLIST_STEPS];
    *n = 0;
    enum bot_rc rc = store_checklist_get(p->store, inc->id, it, err);
    if (rc)
        return rc;
    /* Step 8 closes the customer communication of a public incident; 9 is what close does. */
    for (int s = 1; s < STORE_CHECKLIST_STEPS; s++)
        if (!it[s - 1].done && !(s == 8 && inc->published_at == 0))
            open[(*n)++] = s;
    store_checklist_clear(it);
    return BOT_OK;
}

enum bot_rc plan_step_done(struct plan *p, struct store_incident *inc, int step,
                           const char *actor, struct bot_err *err)
{
    enum bot_rc rc = plan_step_set(p, inc, step, PLAN_STEP_DONE, actor, err);
    return rc == BOT_EEXISTS ? BOT_OK : rc;
}

/* An attribute holding {"by","at",...} JSON, parsed; NULL when unset. */
static enum bot_rc attr_json(struct plan *p, int64_t id, const char *key, cJSON **out,
                             struct bot_err *err)
{
    char *v = NULL;
    *out = NULL;
    enum bot_rc rc = store_incident_attr_get(p->store, id, key, &v, err);
    if (rc == BOT_ENOTFOUND)
        return BOT_OK;
    if (rc == BOT_OK)
        *out = cJSON_Parse(v);
    free(v);
    return rc;
}

/* An attribute holding a number (Unix ms); 0 when unset. */
static enum bot_rc attr_ms(struct plan *p, int64_t id, const char *key, int64_t *out,
                           struct bot_err *err)
{
    char *v = NULL, *end;
    *out = 0;
    enum bot_rc rc = store_incident_attr_get(p->store, id, key, &v, err);
    if (rc == BOT_ENOTFOUND)
        return BOT_OK;
    if (rc == BOT_OK) {
        long long n = strtoll(v, &end, 10);
        *out = *end == '\0' && n > 0 ? (int64_t)n : 0;
    }
    free(v);
    return rc;
}

static enum bot_rc set_attr_ms(struct plan *p, int64_t id, const char *key, int64_t ms,
                               struct bot_err *err)
{
    char v[32];
    snprintf(v, sizeof(v), "%" PRId64, ms);
    return store_incident_attr_set(p->store, id, key, v, p->now_ms, err);
}

/* " · <@U1> <date>" for an attribute's {"by","at"}; nothing when absent. */
static void add_by_at(struct buf *b, const cJSON *o)
{
    const char *by = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "by"));
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(o, "at");
    if (by)
        (void)!buf_addf(b, " (<@%s>", by);
    if (by && cJSON_IsNumber(at))
        (void)!buf_addf(b, ", <!date^%lld^{date_short} {time}|then>",
                        (long long)(at->valuedouble / 1000));
    if (by)
        (void)!buf_addstr(b, ")");
}

/* The detail line of step 3: the support checklist in one line. */
static enum bot_rc support_detail(struct plan *p, const struct store_incident *inc,
                                  struct buf *b, struct bot_err *err)
{
    static const char *const keys[] = {"support.summary", "support.plan", "support.docs",
                                       "support.contact", "support.done"};
    cJSON *v[5] = {0};
    enum bot_rc rc = BOT_OK;
    for (size_t i = 0; rc == BOT_OK && i < 5; i++)
        rc = attr_json(p, inc->id, keys[i], &v[i], err);
    if (rc == BOT_OK) {
        const char *contact = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v[3],
                                                                                    "value"));
        (void)!buf_addf(b, "%s summary · %s plan ready · %s user docs · %s contact users%s · "
                        "`/incident support`",
                        v[0] ? ":white_check_mark:" : ":white_circle:",
                        v[1] ? ":white_check_mark:" : ":white_circle:",
                        v[2] ? ":white_check_mark:" : ":white_circle:",
                        v[3] ? ":white_check_mark:" : ":white_circle:",
                        contact ? (strcmp(contact, "yes") == 0 ? ": yes" : ": no") : "");
    }
    for (size_t i = 0; i < 5; i++)
        cJSON_Delete(v[i]);
    return rc;
}

/* The detail line of step 9: the internal postmortem's deadline and the follow-ups. */
static enum bot_rc followup_detail(struct plan *p, const struct store_incident *inc,
                                   struct buf *b, struct bot_err *err)
{
    int64_t due = 0, overdue = 0;
    cJSON *held = NULL;
    struct store_followup *f = NULL;
    size_t nf = 0, open = 0;
    enum bot_rc rc = attr_ms(p, inc->id, "postmortem.due_at", &due, err);
    if (rc == BOT_OK)
        rc = attr_ms(p, inc->id, "postmortem.overdue", &overdue, err);
    if (rc == BOT_OK)
        rc = attr_json(p, inc->id, "postmortem.held", &held, err);
    if (rc == BOT_OK)
        rc = store_followup_list(p->store, inc->id, &f, &nf, err);
    if (rc == BOT_OK) {
        if (held) {
            (void)!buf_addstr(b, "Internal postmortem held");
            add_by_at(b, held);
        } else if (due) {
            char when[40]; /* the fallback shows where Slack cannot render the date */
            plan_fmt_utc(due, when, sizeof(when));
            (void)!buf_addf(b, "Internal postmortem %s <!date^%lld^{date_short} {time}|%s>",
                            overdue ? ":rotating_light: *overdue* since" : "due by",
                            (long long)(due / 1000), when);
        } else if (!plan_postmortem_required(p, inc)) {
            (void)!buf_addf(b, "Internal postmortem optional for a %s incident", inc->severity);
        } else {
            (void)!buf_addstr(b, "Internal postmortem: due once resolved");
        }
        for (size_t i = 0; i < nf; i++)
            open += f[i].done_at == 0;
        (void)!buf_addf(b, " · follow-ups: %zu open of %zu (`/incident followup list`)", open, nf);
    }
    store_followup_list_free(f, nf);
    cJSON_Delete(held);
    return rc;
}

/* Roles of step 1 in one line. */
static enum bot_rc roles_detail(struct plan *p, const struct store_incident *inc, struct buf *b,
                                struct bot_err *err)
{
    struct store_role *roles = NULL;
    size_t n = 0;
    enum bot_rc rc = store_role_list_current(p->store, inc->id, &roles, &n, err);
    for (size_t i = 0; rc == BOT_OK && i < n; i++)
        (void)!buf_addf(b, "%s%s <@%s>", i ? " · " : "", plan_role_title(roles[i].role),
                        roles[i].user_id);
    if (rc == BOT_OK && n == 0)
        (void)!buf_addstr(b, "No IRM yet");
    if (rc == BOT_OK && inc->call_url)
        (void)!buf_addstr(b, " · video call set");
    store_role_list_free(roles, n);
    return rc;
}

enum bot_rc plan_checklist_show(struct plan *p, const struct store_incident *inc, const char *url,
                                bool replace, struct bot_err *err)
{
    struct store_checklist_item it[STORE_CHECKLIST_STEPS];
    struct render_checklist c = {.id = inc->id, .title = inc->title, .pointer = inc->step};
    struct buf detail[RENDER_STEPS];
    cJSON *blocks = NULL;
    char *text = NULL;
    enum inc_status st = ST_INVESTIGATING;
    (void)plan_status_parse(inc->status, strlen(inc->status), &st);
    c.status = st;
    if (c.pointer < 1 || c.pointer > RENDER_STEPS)
        c.pointer = 1;
    for (int i = 0; i < RENDER_STEPS; i++)
        buf_init(&detail[i], RENDER_STEP_DETAIL_MAX); /* bytes <= characters: never over */
    enum bot_rc rc = store_checklist_get(p->store, inc->id, it, err);
    if (rc)
        goto out;
    if (rc == BOT_OK)
        rc = roles_detail(p, inc, &detail[0], err);
    if (rc == BOT_OK) {
        struct buf *b = &detail[1];
        if (inc->announce_channel)
            (void)!buf_addf(b, "Announced in <#%s> · ", inc->announce_channel);
        cJSON *kept = NULL;
        if (!inc->published)
            rc = attr_json(p, inc->id, PLAN_ATTR_KEPT_INTERNAL, &kept, err);
        if (inc->published) {
            (void)!buf_addf(b, "public on the status page since <!date^%lld^{date_short} "
                            "{time}|then>", (long long)(inc->published_at / 1000));
        } else if (kept) {
            (void)!buf_addstr(b, "kept internal by decision");
            add_by_at(b, kept);
        } else {
            (void)!buf_addstr(b, "internal: not on the status page yet (`/incident publish`, "
                                 "or `/incident publish --internal <why>`)");
        }
        cJSON_Delete(kept);
    }
    if (rc == BOT_OK)
        rc = support_detail(p, inc, &detail[2], err);
    if (rc == BOT_OK)
        (void)!buf_addstr(&detail[3], "Findings and mitigations: `/incident note <text>`");
    if (rc == BOT_OK && inc->identified_at)
        (void)!buf_addf(&detail[4], "Identified <!date^%lld^{date_short} {time}|then>",
                        (long long)(inc->identified_at / 1000));
    if (rc == BOT_OK && inc->resolved_at)
        (void)!buf_addf(&detail[6], "Resolved <!date^%lld^{date_short} {time}|then>",
                        (long long)(inc->resolved_at / 1000));
    if (rc == BOT_OK) {
        struct buf *b = &detail[7];
        if (inc->postmortem_published_at) {
            (void)!buf_addf(b, "Public postmortem %s <!date^%lld^{date_short} {time}|then>",
                            inc->published ? "published" : "written (internal incident)",
                            (long long)(inc->postmortem_published_at / 1000));
            if (inc->postmortem_updated_at > inc->postmortem_published_at)
                (void)!buf_addf(b, ", updated <!date^%lld^{date_short} {time}|then>",
                                (long long)(inc->postmortem_updated_at / 1000));
            (void)!buf_addstr(b, " · amend: `/incident postmortem`");
        } else
            (void)!buf_addstr(b, "Public postmortem: `/incident postmortem` once resolved");
    }
    if (rc == BOT_OK)
        rc = followup_detail(p, inc, &detail[8], err);
    if (rc)
        goto out;
    for (int i = 0; i < RENDER_STEPS; i++) {
        c.steps[i].done = it[i].done;
        c.steps[i].skipped = it[i].skipped;
        c.steps[i].by = it[i].done_by;
        c.steps[i].at_ms = it[i].done_at;
        c.steps[i].detail = buf_str(&detail[i]);
    }
    rc = render_checklist(&c, &blocks, &text);
    if (rc == BOT_OK)
        rc = plan_respond(p, url, text, blocks, replace, err);
    else
        rc = bot_err_set(err, rc, "render_checklist of INC-%lld failed", (long long)inc->id);
out:
    free(text);
    store_checklist_clear(it);
    for (int i = 0; i < RENDER_STEPS; i++)
        buf_free(&detail[i]);
    return rc;
}

enum bot_rc plan_steps_action(struct plan *p, struct store_incident *inc, const char *action_id,
                              const char *arg, const char *user, const char *url, bool *handled,
                              struct bot_err *err)
{
    *handled = true;
    if (strcmp(action_id, "inc_checklist") == 0) {
        enum bot_rc rc = plan_checklist_follow(p, inc, err);
        return rc ? rc : plan_checklist_show(p, inc, url, false, err);
    }
    if (strcmp(action_id, RENDER_STEP_DONE_ACTION) != 0) {
        *handled = false;
        return BOT_OK;
    }
    char *end;
    long step = strtol(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || step < 1 || step > RENDER_STEPS)
        return bot_err_set(err, BOT_EPROTO, "block_actions %s: no step in the value", action_id);
    enum bot_rc rc = plan_step_set(p, inc, (int)step, PLAN_STEP_DONE, user, err);
    if (rc == BOT_EEXISTS)
        rc = BOT_OK; /* someone was quicker: the fresh checklist shows who */
    if (rc == BOT_OK)
        rc = plan_checklist_show(p, inc, url, true, err);
    return rc;
}

/* ---- step 9: the internal postmortem's deadline ---- */

static int64_t due_hours(const struct plan *p)
{
    return p->cfg->postmortem_due_hours > 0 ? p->cfg->postmortem_due_hours
                                            : PLAN_POSTMORTEM_DUE_HOURS;
}

bool plan_postmortem_required(const struct plan *p, const struct store_incident *inc)
{
    enum severity sev;
    if (inc->severity == NULL || !plan_severity_parse(inc->severity, strlen(inc->severity), &sev))
        return true; /* cannot happen (checked on write); the stricter rule */
    return !p->cfg->postmortem_optional[sev];
}

/*
 * plan_on_resolved() of an incident whose severity [postmortem] required_for
 * leaves out: nothing falls due (a deadline of an earlier resolve, at
 * another severity, is withdrawn) and the channel is told it is optional.
 */
static enum bot_rc postmortem_optional(struct plan *p, struct store_incident *inc,
                                       struct bot_err *err)
{
    enum bot_rc rc =
        store_reminder_cancel(p->store, inc->id, PLAN_REMINDER_POSTMORTEM, p->now_ms, NULL, err);
    if (rc == BOT_OK)
        rc = store_incident_attr_set(p->store, inc->id, "postmortem.due_at", "0", p->now_ms, err);
    if (rc == BOT_OK)
        rc = store_incident_attr_set(p->store, inc->id, "postmortem.overdue", "0", p->now_ms, err);
    char *text = xasprintf("Internal postmortem optional for a %s incident ([postmortem] "
                           "required_for): no deadline, no reminders",
                           inc->severity);
    if (rc == BOT_OK)
        rc = plan_record(p, inc, NULL, "postmortem_optional", text, err);
    free(text);
    if (rc == BOT_OK && !is_potential(inc)) {
        text = xasprintf(":memo: Resolved. For a %s incident the internal postmortem is "
                         "optional: no deadline, no reminders, and `/incident close` does not "
                         "wait for it. If the team wants one, `/incident postmortem internal` "
                         "posts a draft from the timeline and `/incident postmortem held` records "
                         "it; `/incident followup add <text> [@owner] [due]` records what should "
                         "follow. The public postmortem: `/incident postmortem`.",
                         inc->severity);
        rc = plan_say(p, inc, text, err);
        free(text);
    }
    return rc;
}

enum bot_rc plan_on_resolved(struct plan *p, struct store_incident *inc, const char *actor,
                             struct bot_err *err)
{
    bool moved = false;
    cJSON *held = NULL;
    enum bot_rc rc = plan_step_set(p, inc, 7, PLAN_STEP_DONE, actor, err);
    if (rc == BOT_EEXISTS) { /* the status change marked it: only the pointer may lag */
        rc = advance_pointer(p, inc, 7, &moved, err);
        if (rc == BOT_OK && moved && !is_potential(inc))
            rc = plan_refresh(p, inc, err);
    }
    if (rc == BOT_OK)
        rc = attr_json(p, inc->id, "postmortem.held", &held, err);
    if (rc || held) {
        cJSON_Delete(held);
        return rc; /* held already: nothing is due */
    }
    if (!plan_postmortem_required(p, inc))
        return postmortem_optional(p, inc, err);
    int64_t hours = due_hours(p);
    int64_t deadline = (inc->resolved_at > 0 ? inc->resolved_at : p->now_ms) + hours * HOUR_MS;
    rc = store_reminder_cancel(p->store, inc->id, PLAN_REMINDER_POSTMORTEM, p->now_ms, NULL, err);
    if (rc == BOT_OK)
        rc = set_attr_ms(p, inc->id, "postmortem.due_at", deadline, err);
    if (rc == BOT_OK)
        rc = store_incident_attr_set(p->store, inc->id, "postmortem.overdue", "0", p->now_ms, err);
    for (size_t i = 0; rc == BOT_OK && i < p->cfg->n_postmortem_remind_hours; i++) {
        int64_t left = p->cfg->postmortem_remind_hours[i];
        char payload[64];
        if (left <= 0 || left >= hours || deadline - left * HOUR_MS <= p->now_ms)
            continue;
        snprintf(payload, sizeof(payload), "{\"hours_left\":%" PRId64 "}", left);
        rc = store_reminder_add(p->store, inc->id, PLAN_REMINDER_POSTMORTEM,
                                deadline - left * HOUR_MS, payload, p->now_ms, NULL, err);
    }
    if (rc == BOT_OK)
        rc = store_reminder_add(p->store, inc->id, PLAN_REMINDER_POSTMORTEM, deadline,
                                "{\"hours_left\":0}", p->now_ms, NULL, err);
    char when[40];
    plan_fmt_utc(deadline, when, sizeof(when));
    char *text = xasprintf("Internal postmortem due within %" PRId64 " h of resolving, by %s",
                           hours, when);
    if (rc == BOT_OK)
        rc = plan_record(p, inc, NULL, "postmortem_due", text, err);
    free(text);
    if (rc == BOT_OK && !is_potential(inc)) {
        text = xasprintf(":memo: Resolved. The internal postmortem is due within %" PRId64 " h, "
                         "by <!date^%lld^{date_short_pretty} {time}|%s>: `/incident postmortem "
                         "internal` posts a draft from the timeline, `/incident followup add "
                         "<text> [@owner] [due]` records what should follow, and `/incident "
                         "postmortem held` stops the reminders once it took place. The public "
                         "postmortem: `/incident postmortem`.",
                         hours, (long long)(deadline / 1000), when);
        rc = plan_say(p, inc, text, err);
        free(text);
    }
    return rc;
}

enum bot_rc plan_steps_reminder(struct plan *p, struct store_incident *inc,
                                const struct store_reminder *r, bool *handled,
                                struct bot_err *err)
{
    cJSON *held = NULL;
    char *irm = NULL;
    *handled = strcmp(r->kind, PLAN_REMINDER_POSTMORTEM) == 0;
    if (!*handled)
        return BOT_OK;
    bool due = strcmp(inc->status, "resolved") == 0 || strcmp(inc->status, "postmortem") == 0;
    if (!due || is_potential(inc) || !plan_postmortem_required(p, inc))
        return BOT_OK; /* closed, reopened, or lowered to an optional one: nothing to remind of */
    enum bot_rc rc = attr_json(p, inc->id, "postmortem.held", &held, err);
    if (rc || held) {
        cJSON_Delete(held);
        return rc;
    }
    int64_t deadline = 0;
    rc = attr_ms(p, inc->id, "postmortem.due_at", &deadline, err);
    if (rc)
        return rc;
    if (deadline == 0)
        deadline = r->due_at;
    cJSON *pl = cJSON_Parse(r->payload);
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(pl, "hours_left");
    int64_t left = cJSON_IsNumber(h) ? (int64_t)h->valuedouble : 0;
    cJSON_Delete(pl);
    rc = store_role_get(p->store, inc->id, "irm", &irm, err);
    if (rc && rc != BOT_ENOTFOUND)
        return rc;
    char who[64], when[40];
    if (irm)
        snprintf(who, sizeof(who), "<@%s>", irm);
    else
        snprintf(who, sizeof(who), "Response team");
    free(irm);
    plan_fmt_utc(deadline, when, sizeof(when));
    char *text = left > 0
        ? xasprintf(":hourglass_flowing_sand: %s, a reminder: the internal postmortem of "
                    "INC-%lld is due in %lld h (<!date^%lld^{date_short_pretty} {time}|%s>). "
                    "`/incident postmortem internal` posts a draft; `/incident postmortem held` "
                    "records that it took place.",
                    who, (long long)inc->id, (long long)left, (long long)(deadline / 1000), when)
        : xasprintf(":rotating_light: %s: the internal postmortem of INC-%lld is *overdue*: it "
                    "was due <!date^%lld^{date_short_pretty} {time}|%s>, %lld h after the incident "
                    "was resolved. Hold it soon, and record it with `/incident postmortem held`.",
                    who, (long long)inc->id, (long long)(deadline / 1000), when,
                    (long long)due_hours(p));
    rc = BOT_OK;
    if (left <= 0)
        rc = set_attr_ms(p, inc->id, "postmortem.overdue", p->now_ms, err);
    if (rc == BOT_OK)
        rc = plan_say(p, inc, text, err);
    if (rc == BOT_OK)
        rc = plan_record(p, inc, NULL, "reminder", text, err);
    free(text);
    return rc;
}

enum bot_rc plan_postmortem_held(struct plan *p, const struct store_incident *inc,
                                 const char *actor, const char *url, struct bot_err *err)
{
    cJSON *held = NULL;
    char text[400];
    if (!plan_is_over(inc)) {
        snprintf(text, sizeof(text), ":warning: INC-%lld is %s: the internal postmortem comes "
                 "after it is resolved. Nothing changed.", (long long)inc->id, inc->status);
        return plan_respond(p, url, text, NULL, false, err);
    }
    enum bot_rc rc = attr_json(p, inc->id, "postmortem.held", &held, err);
    if (rc == BOT_OK && held) {
        struct buf b;
        buf_init(&b, 400);
        (void)!buf_addf(&b, "The internal postmortem of INC-%lld is already recorded as held",
                        (long long)inc->id);
        add_by_at(&b, held);
        (void)!buf_addstr(&b, ". Nothing changed.");
        rc = plan_respond(p, url, buf_str(&b), NULL, false, err);
        buf_free(&b);
        cJSON_Delete(held);
        return rc;
    }
    if (rc)
        return rc;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "by", actor);
    cJSON_AddNumberToObject(o, "at", (double)p->now_ms);
    char *v = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    rc = store_incident_attr_set(p->store, inc->id, "postmortem.held", v, p->now_ms, err);
    free(v);
    if (rc == BOT_OK)
        rc = store_reminder_cancel(p->store, inc->id, PLAN_REMINDER_POSTMORTEM, p->now_ms, NULL,
                                   err);
    snprintf(text, sizeof(text), "Internal postmortem held (recorded by <@%s>)", actor);
    if (rc == BOT_OK)
        rc = plan_record(p, inc, actor, "postmortem_held", text, err);
    if (rc == BOT_OK)
        rc = plan_say(p, inc, text, err);
    if (rc == BOT_OK) {
        snprintf(text, sizeof(text), "Done: the internal postmortem of INC-%lld is recorded as "
                 "held; its reminders stop.", (long long)inc->id);
        rc = plan_respond(p, url, text, NULL, false, err);
    }
    return rc;
}

/* ---- follow-up due dates ---- */

/* Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Floor division, for local days before 1970. */
static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

enum plan_due_parse plan_parse_due(const char *w, int64_t now_ms, int tz_offset_min,
                                   int64_t *due_ms, char *why, size_t whysz)
{
    int64_t off = (int64_t)tz_offset_min * 60000;
    int64_t today = floor_div(now_ms + off, DAY_MS); /* the local day number */
    int64_t day = -1;
    size_t n = strlen(w);
    if (strcmp(w, "today") == 0) {
        day = today;
    } else if (strcmp(w, "tomorrow") == 0) {
        day = today + 1;
    } else if (n >= 2 && n <= 6 && (w[n - 1] == 'd' || w[n - 1] == 'w') && w[0] >= '0' &&
               w[0] <= '9') {
        int64_t k = 0;
        for (size_t i = 0; i + 1 < n; i++) {
            if (w[i] < '0' || w[i] > '9')
                return PLAN_DUE_NONE;
            k = k * 10 + (w[i] - '0');
        }
        int64_t days = w[n - 1] == 'w' ? k * 7 : k;
        if (days < 1 || days > PLAN_MAX_DUE_DAYS) {
            snprintf(why, whysz, "a due date from 1d to %dd from now, not `%s`", PLAN_MAX_DUE_DAYS,
                     w);
            return PLAN_DUE_BAD;
        }
        *due_ms = now_ms + days * DAY_MS;
        return PLAN_DUE_OK;
    } else if (n >= 8 && n <= 10 && w[0] >= '0' && w[0] <= '9' && w[4] == '-') {
        /* YYYY-MM-DD: anything shaped like a date must be one */
        int64_t y = 0, m = 0, d = 0;
        int parts = 0, digits = 0;
        bool ok = true;
        for (size_t i = 0; i <= n && ok; i++) {
            if (i == n || w[i] == '-') {
                ok = digits > 0 && parts < 3;
                parts++;
                digits = 0;
                continue;
            }
            if (w[i] < '0' || w[i] > '9') {
                ok = false;
                break;
            }
            int64_t *f = parts == 0 ? &y : parts == 1 ? &m : &d;
            *f = *f * 10 + (w[i] - '0');
            digits++;
        }
        static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        ok = ok && parts == 3 && y >= 1970 && m >= 1 && m <= 12 && d >= 1 &&
             d <= mdays[m - 1] + (m == 2 && leap(y));
        if (!ok) {
            snprintf(why, whysz, "`%.40s` is not a date: write it YYYY-MM-DD (e.g. 2026-12-01), "
                     "or tomorrow, or 3d", w);
            return PLAN_DUE_BAD;
        }
        day = days_from_civil(y, m, d);
    } else {
        return PLAN_DUE_NONE;
    }
    if (day < today) {
        snprintf(why, whysz, "the due date %.40s is in the past", w);
        return PLAN_DUE_BAD;
    }
    if (day - today > PLAN_MAX_DUE_DAYS) {
        snprintf(why, whysz, "the due date %.40s is more than %d days away", w, PLAN_MAX_DUE_DAYS);
        return PLAN_DUE_BAD;
    }
    *due_ms = (day + 1) * DAY_MS - off - 1000; /* 23:59:59 local on that day */
    return PLAN_DUE_OK;
}

/* ---- step 8: the public postmortem ---- */

/*
 * The draft waiting for its preview's click: {"parts": [4 strings or null, in Slack's stored
 * form], "at": Unix ms (the preview's Publish button carries it), "by": user}; "" once
 * published. The published parts, to amend them, are PM_PARTS_ATTR (the same array).
 */
#define PM_DRAFT_ATTR "postmortem.draft"
#define PM_PARTS_ATTR "postmortem.parts"

/* "10:05 UTC", or "11-24 10:05 UTC" when the incident spans more than one day. */
static void short_time(int64_t ms, bool with_day, char *out, size_t outsz)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL ||
        strftime(out, outsz, with_day ? "%m-%d %H:%M UTC" : "%H:%M UTC", &tm) == 0)
        snprintf(out, outsz, "?");
}

/* Stored text (Slack's format) as the public reads it, on one line: plain words, people by name. */
static char *public_line(struct plan *p, const char *stored)
{
    struct slack_names names;
    audience_public_names(&names, p->store);
    char *t = slack_text_plain_dup(stored, RENDER_PM_INPUT_MAX * 4, &names);
    for (char *c = t; *c; c++)
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' '; /* one list item each in the draft */
    return t;
}

/*
 * The parts of a new draft, from the public record only: what the public was told and when
 * (the public timeline entries), the impact (severity), the duration and the components.
 * Nothing from notes or any other internal entry, no channel and no person; the prose only
 * the team can write is a placeholder, which a submission must replace.
 */
static enum bot_rc draft_parts(struct plan *p, const struct store_incident *inc,
                               struct buf parts[RENDER_PM_PARTS], struct bot_err *err)
{
    struct store_timeline_entry *tl = NULL;
    struct store_component_link *comps = NULL;
    size_t ntl = 0, nc = 0;
    enum bot_rc rc = store_timeline_list(p->store, inc->id, 1, &tl, &ntl, err);
    if (rc == BOT_OK)
        rc = store_incident_component_list(p->store, inc->id, &comps, &nc, err);
    if (rc)
        goto out;
    int64_t start = inc->started_at ? inc->started_at : inc->declared_at;
    int64_t end = inc->resolved_at ? inc->resolved_at : p->now_ms;
    bool days = end - start >= DAY_MS;
    char a[40], b[40], dur[40];

    struct buf *im = &parts[RENDER_PM_IMPACT];
    (void)!buf_addf(im, "Impact: %s.", inc->severity);
    for (size_t i = 0; i < nc; i++)
        (void)!buf_addf(im, "%s%s", i ? ", " : " Affected: ", comps[i].component);
    if (nc)
        (void)!buf_addstr(im, ".");
    plan_fmt_utc(start, a, sizeof(a));
    plan_fmt_utc(end, b, sizeof(b));
    plan_fmt_duration(end - start, dur, sizeof(dur));
    (void)!buf_addf(im, "\nFrom %s to %s (%s).", a, b, dur);

    for (int i = RENDER_PM_HAPPENED; i < RENDER_PM_PARTS; i++)
        (void)!buf_addstr(&parts[i], render_pm_placeholder((enum render_pm_part)i));
    struct buf *h = &parts[RENDER_PM_HAPPENED];
    bool listed = false;
    for (size_t i = 0; i < ntl; i++) {
        const struct store_timeline_entry *e = &tl[i];
        if (!e->public) /* public_only asked for them alone; never anything else */
            continue;
        if (!listed)
            (void)!buf_addstr(h, "\n\nOur updates during the incident:");
        listed = true;
        short_time(e->at, days, a, sizeof(a));
        (void)!buf_addf(h, "\n- %s — ", a);
        if (e->status && e->status[0] >= 'a' && e->status[0] <= 'z')
            (void)!buf_addf(h, "%c%s: ", e->status[0] - 'a' + 'A', e->status + 1);
        char *t = public_line(p, e->text);
        (void)!buf_addstr(h, t);
        free(t);
    }
out:
    store_timeline_list_free(tl, ntl);
    store_component_links_free(comps, nc);
    return rc;
}

/* The parts array of a draft or of the published postmortem, or NULL when it has none. */
static const cJSON *saved_parts(const cJSON *o)
{
    const cJSON *arr = cJSON_IsArray(o) ? o : cJSON_GetObjectItemCaseSensitive(o, "parts");
    return cJSON_IsArray(arr) && cJSON_GetArraySize(arr) == RENDER_PM_PARTS ? arr : NULL;
}

/* The public title as the public reads it (plain words); caller frees. */
static char *public_title(struct plan *p, const struct store_incident *inc)
{
    struct slack_names names;
    audience_public_names(&names, p->store);
    return slack_text_plain_dup(inc->public_title ? inc->public_title : inc->title, 4096, &names);
}

enum bot_rc plan_postmortem_open(struct plan *p, const struct plan_actor *a,
                                 const struct store_incident *inc, struct bot_err *err)
{
    char text[400];
    if (!plan_is_over(inc)) {
        snprintf(text, sizeof(text), ":warning: INC-%lld is %s: the public postmortem is written "
                 "once it is resolved (`/incident status resolved`). Nothing changed.",
                 (long long)inc->id, inc->status);
        return plan_respond(p, a->response_url, text, NULL, false, err);
    }
    if (a->trigger_id == NULL || a->trigger_id[0] == '\0')
        return plan_respond(p, a->response_url, ":warning: Slack sent no trigger to open the "
                            "postmortem form with; run `/incident postmortem` again.", NULL,
                            false, err);
    struct buf parts[RENDER_PM_PARTS];
    char *raw[RENDER_PM_PARTS] = {NULL};
    for (int i = 0; i < RENDER_PM_PARTS; i++)
        buf_init(&parts[i], RENDER_PM_INPUT_MAX * 5); /* the renderer cuts to the field's cap */
    cJSON *draft = NULL, *saved = NULL, *view = NULL;
    const cJSON *from = NULL;
    bool amend = inc->postmortem_published_at > 0 || inc->postmortem != NULL;
    char *title = NULL;
    /* A draft waiting for its click first, else the published text to amend, else a new draft. */
    enum bot_rc rc = attr_json(p, inc->id, PM_DRAFT_ATTR, &draft, err);
    if (rc == BOT_OK && (from = saved_parts(draft)) == NULL && amend)
        rc = attr_json(p, inc->id, PM_PARTS_ATTR, &saved, err);
    if (rc == BOT_OK && from == NULL)
        from = saved_parts(saved);
    if (rc == BOT_OK && from == NULL && !amend)
        rc = draft_parts(p, inc, parts, err);
    if (rc)
        goto out;
    /* Parts are kept in Slack's stored form; the form shows them as typed. */
    for (int i = 0; i < RENDER_PM_PARTS; i++) {
        const char *v = from ? cJSON_GetStringValue(cJSON_GetArrayItem(from, i))
                             : buf_str(&parts[i]);
        if (from != NULL && v != NULL)
            raw[i] = slack_text_plain_dup(v, RENDER_PM_INPUT_MAX * 5, NULL);
        else if (from == NULL && amend && i == RENDER_PM_HAPPENED && inc->postmortem)
            raw[i] = slack_text_plain_dup(inc->postmortem, RENDER_PM_BODY_MAX, NULL);
        else if (from == NULL && !amend)
            raw[i] = xstrdup(v);
    }
    cJSON *meta = cJSON_CreateObject();
    cJSON_AddNumberToObject(meta, "incident", (double)inc->id);
    cJSON_AddStringToObject(meta, "response_url", a->response_url ? a->response_url : "");
    char *metas = cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    title = public_title(p, inc);
    struct render_postmortem_defaults d = {
        .id = inc->id,
        .title = title,
        .public_ = inc->published != 0,
        .amend = amend,
        .draft = saved_parts(draft) != NULL,
        .private_metadata = strlen(metas) <= RENDER_MAX_PRIVATE_META ? metas : NULL,
    };
    for (int i = 0; i < RENDER_PM_PARTS; i++)
        d.parts[i] = raw[i];
    rc = render_postmortem_modal(&d, &view);
    free(metas);
    if (rc) {
        rc = bot_err_set(err, rc, "render_postmortem_modal of INC-%lld failed", (long long)inc->id);
        goto out;
    }
    cJSON *pl = cJSON_CreateObject();
    cJSON_AddStringToObject(pl, "method", "views.open");
    cJSON *args = cJSON_AddObjectToObject(pl, "args");
    cJSON_AddStringToObject(args, "trigger_id", a->trigger_id);
    cJSON_AddItemToObject(args, "view", view);
    rc = plan_effect(p, 0, "fast", "slack.call", pl, err);
out:
    cJSON_Delete(draft);
    cJSON_Delete(saved);
    free(title);
    for (int i = 0; i < RENDER_PM_PARTS; i++) {
        buf_free(&parts[i]);
        free(raw[i]);
    }
    return rc;
}

bool plan_steps_check_submission(const cJSON *payload, cJSON **errors_out)
{
    const cJSON *view = cJSON_GetObjectItemCaseSensitive(payload, "view");
    const char *cb = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(view, "callback_id"));
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(payload, "type"));
    *errors_out = NULL;
    if (cb == NULL || type == NULL || strcmp(type, "view_submission") != 0 ||
        strcmp(cb, RENDER_POSTMORTEM_CALLBACK) != 0)
        return false;
    struct render_postmortem_values v;
    struct bot_err err = {{0}};
    const cJSON *values = render_view_state_values(payload);
    if (values == NULL)
        *errors_out = render_view_errors(render_pm_block(RENDER_PM_IMPACT),
                                         "The form arrived without its values.");
    else if (render_parse_postmortem_submission(values, &v, &err) != BOT_OK)
        *errors_out = render_view_errors(v.error_block, err.msg);
    else
        render_postmortem_values_free(&v);
    /* Every placeholder left is said under its own field at once, not one per attempt. */
    cJSON *errs = cJSON_GetObjectItemCaseSensitive(*errors_out, "errors");
    for (int i = 0; errs != NULL && i < RENDER_PM_PARTS; i++) {
        char action[48];
        const char *block = render_pm_block((enum render_pm_part)i);
        snprintf(action, sizeof(action), "%s_input", block);
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(values, block),
                                             action),
            "value"));
        if (t != NULL && strstr(t, RENDER_PM_PLACEHOLDER) != NULL &&
            !cJSON_HasObjectItem(errs, block))
            cJSON_AddStringToObject(errs, block, "Replace the [[…]] placeholder with your own "
                                                 "words (or delete it): it would be published "
                                                 "as it is.");
    }
    return true;
}

/*
 * Who may publish inc's postmortem now: answered through url (nothing changed) and false when
 * user may not, or inc is no longer over.
 */
static bool may_publish(struct plan *p, const struct store_incident *inc, const char *user,
                        const char *url, enum bot_rc *rc, struct bot_err *err)
{
    char text[900], why[600];
    bool allowed = false;
    *rc = plan_may_manage(p, inc, user, &allowed, why, sizeof(why));
    if (*rc)
        return false;
    if (allowed && plan_is_over(inc))
        return true;
    if (!allowed)
        snprintf(text, sizeof(text), ":no_entry: Only %s may publish the postmortem of "
                 "INC-%lld; nothing changed.", why, (long long)inc->id);
    else
        snprintf(text, sizeof(text), ":warning: INC-%lld is %s again: the postmortem was not "
                 "published. Nothing changed.", (long long)inc->id, inc->status);
    *rc = plan_respond(p, url, text, NULL, false, err);
    return false;
}

/*
 * The modal's submission: nothing is published. The draft (in stored form) waits in the
 * incident's attributes and its author gets the preview, whose click publishes it.
 */
static enum bot_rc postmortem_submit(struct plan *p, const cJSON *payload, const char *user,
                                     struct bot_err *err)
{
    struct render_postmortem_values v;
    struct bot_err perr = {{0}};
    struct store_incident inc;
    const cJSON *view = cJSON_GetObjectItemCaseSensitive(payload, "view");
    const cJSON *values = render_view_state_values(payload);
    if (values == NULL || render_parse_postmortem_submission(values, &v, &perr) != BOT_OK)
        return BOT_OK; /* refused in the ack (plan_check_submission): the modal stayed open */
    const char *metas = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(view,
                                                                               "private_metadata"));
    cJSON *meta = cJSON_Parse(metas ? metas : "");
    const cJSON *idj = cJSON_GetObjectItemCaseSensitive(meta, "incident");
    const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta,
                                                                            "response_url"));
    char text[200];
    char *draftj = NULL, *title = NULL, *fallback = NULL;
    cJSON *blocks = NULL;
    enum bot_rc rc = BOT_OK;
    store_incident_init(&inc);
    if (!cJSON_IsNumber(idj) || idj->valuedouble < 1) {
        rc = bot_err_set(err, BOT_EPROTO, "postmortem view_submission: no incident in "
                         "private_metadata");
        goto out;
    }
    rc = store_incident_get(p->store, (int64_t)idj->valuedouble, &inc, err);
    if (rc == BOT_ENOTFOUND) {
        snprintf(text, sizeof(text), ":warning: There is no incident INC-%lld.",
                 (long long)idj->valuedouble);
        rc = plan_respond(p, url, text, NULL, false, err);
        goto out;
    }
    if (rc || !may_publish(p, &inc, user, url, &rc, err))
        goto out;
    /* A modal's text arrives raw: into the stored form at intake, like every user text. */
    cJSON *draft = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(draft, "parts");
    for (int i = 0; i < RENDER_PM_PARTS; i++) {
        char *s = v.parts[i] ? slack_text_escape_dup(v.parts[i], RENDER_PM_INPUT_MAX * 5 + 16)
                             : NULL;
        cJSON_AddItemToArray(arr, s ? cJSON_CreateString(s) : cJSON_CreateNull());
        free(s);
    }
    cJSON_AddNumberToObject(draft, "at", (double)p->now_ms);
    cJSON_AddStringToObject(draft, "by", user);
    draftj = cJSON_PrintUnformatted(draft);
    cJSON_Delete(draft);
    rc = store_incident_attr_set(p->store, inc.id, PM_DRAFT_ATTR, draftj, p->now_ms, err);
    if (rc)
        goto out;
    title = public_title(p, &inc);
    struct render_pm_preview pv = {
        .id = inc.id,
        .title = title,
        .public_ = inc.published != 0,
        .published_at = inc.postmortem_published_at,
        .draft_at = p->now_ms,
    };
    for (int i = 0; i < RENDER_PM_PARTS; i++)
        pv.parts[i] = v.parts[i];
    rc = render_postmortem_preview(&pv, &blocks, &fallback);
    if (rc) {
        rc = bot_err_set(err, rc, "render_postmortem_preview of INC-%lld failed",
                         (long long)inc.id);
        goto out;
    }
    rc = plan_respond(p, url, fallback, blocks, false, err);
out:
    free(draftj);
    free(title);
    free(fallback);
    cJSON_Delete(meta);
    store_incident_clear(&inc);
    render_postmortem_values_free(&v);
    return rc;
}

/*
 * The preview's "Publish postmortem" (or "Record postmortem") click: the draft it showed
 * becomes the postmortem. A first publication sets postmortem_published_at; an amendment
 * keeps it and sets postmortem_updated_at, and goes out again as a new public event (the
 * mirror's statuspage.postmortem and the webhooks' incident.postmortem_published).
 */
static enum bot_rc postmortem_publish(struct plan *p, const struct plan_actor *a,
                                      struct store_incident *inc, const char *arg,
                                      struct bot_err *err)
{
    const char *user = a->user_id, *url = a->response_url;
    char text[900];
    cJSON *draft = NULL;
    char *body = NULL, *partsj = NULL;
    enum bot_rc rc = BOT_OK;
    if (!may_publish(p, inc, user, url, &rc, err))
        return rc;
    rc = attr_json(p, inc->id, PM_DRAFT_ATTR, &draft, err);
    const cJSON *parts = rc == BOT_OK ? saved_parts(draft) : NULL;
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(draft, "at");
    char stamp[32] = "";
    if (cJSON_IsNumber(at))
        snprintf(stamp, sizeof(stamp), "%lld", (long long)at->valuedouble);
    if (rc == BOT_OK && parts == NULL) {
        snprintf(text, sizeof(text), ":warning: No postmortem draft of INC-%lld is waiting (it "
                 "was published already, or none was saved): nothing changed. `/incident "
                 "postmortem` opens the form.", (long long)inc->id);
        rc = plan_respond(p, url, text, NULL, false, err);
        goto out;
    }
    if (rc == BOT_OK && strcmp(arg, stamp) != 0) {
        snprintf(text, sizeof(text), ":warning: This preview is not the latest draft of the "
                 "postmortem of INC-%lld: publish from the newest preview "
                 "(`/incident postmortem` shows the draft). Nothing changed.", (long long)inc->id);
        rc = plan_respond(p, url, text, NULL, false, err);
        goto out;
    }
    if (rc)
        goto out;
    const char *pv[RENDER_PM_PARTS];
    for (int i = 0; i < RENDER_PM_PARTS; i++)
        pv[i] = cJSON_GetStringValue(cJSON_GetArrayItem(parts, i));
    body = render_postmortem_body(pv);
    bool amend = inc->postmortem_published_at > 0, status = strcmp(inc->status, "resolved") == 0;
    free(inc->postmortem);
    inc->postmortem = xstrdup(body);
    if (amend) {
        inc->postmortem_updated_at = p->now_ms; /* the first publication's time stays */
    } else {
        inc->postmortem_published_at = p->now_ms;
        inc->postmortem_updated_at = 0;
    }
    if (status) {
        free(inc->status);
        inc->status = xstrdup("postmortem");
    }
    inc->updated_at = p->now_ms;
    rc = store_incident_update(p->store, inc, err);
    partsj = cJSON_PrintUnformatted(parts);
    if (rc == BOT_OK)
        rc = store_incident_attr_set(p->store, inc->id, PM_PARTS_ATTR, partsj, p->now_ms, err);
    if (rc == BOT_OK) /* published: a second click finds nothing waiting */
        rc = store_incident_attr_set(p->store, inc->id, PM_DRAFT_ATTR, "", p->now_ms, err);
    snprintf(text, sizeof(text), "Public postmortem %s by <@%s>%s",
             amend ? "amended" : inc->published ? "published" : "written", user,
             inc->published ? " and sent to the status page"
                            : " (the incident is internal: not sent to the status page)");
    if (rc == BOT_OK)
        rc = plan_record(p, inc, user, "postmortem", text, err);
    if (rc == BOT_OK)
        rc = plan_step_done(p, inc, 8, user, err);
    if (rc == BOT_OK && inc->published) {
        /* In stored form: plan_mirror converts it once for every public copy. */
        cJSON *pl = cJSON_CreateObject();
        cJSON_AddStringToObject(pl, "body", body);
        rc = plan_mirror(p, inc, HOOK_POSTMORTEM_PUBLISHED, "statuspage.postmortem", pl, err);
    }
    if (rc == BOT_OK)
        rc = plan_say(p, inc, text, err);
    if (rc == BOT_OK && status) {
        rc = plan_refresh(p, inc, err);
        if (rc == BOT_OK) {
            struct render_update u = {.kind = RENDER_UPDATE_STATUS, .status = ST_POSTMORTEM,
                                      .actor = user};
            rc = plan_announce_update(p, inc, &u, err);
        }
    }
    if (rc == BOT_OK) {
        snprintf(text, sizeof(text), ":white_check_mark: The postmortem of INC-%lld is %s%s.",
                 (long long)inc->id, !inc->published ? "recorded" : amend ? "amended" : "published",
                 !inc->published ? " with the incident (it is not public: it went nowhere)"
                 : amend ? ": the status page shows it as updated, and subscribers get it again"
                         : " on the status page");
        rc = plan_respond(p, url, text, NULL, true, err);
    }
out:
    free(body);
    free(partsj);
    cJSON_Delete(draft);
    return rc;
}

enum bot_rc plan_postmortem_action(struct plan *p, const struct plan_actor *a,
                                   struct store_incident *inc, const char *action_id,
                                   const char *arg, struct bot_err *err)
{
    char text[300];
    if (strcmp(action_id, RENDER_PM_PUBLISH_ACTION) == 0)
        return postmortem_publish(p, a, inc, arg, err);
    if (strcmp(action_id, RENDER_PM_EDIT_ACTION) == 0)
        return plan_postmortem_open(p, a, inc, err);
    if (strcmp(action_id, RENDER_PM_CANCEL_ACTION) == 0) {
        snprintf(text, sizeof(text), "Not published: the draft of the postmortem of INC-%lld is "
                 "kept; `/incident postmortem` opens it again.", (long long)inc->id);
        return plan_respond(p, a->response_url, text, NULL, true, err);
    }
    return BOT_OK; /* a button of another version: ignored */
}

enum bot_rc plan_steps_submission(struct plan *p, const cJSON *payload, const char *user,
                                  bool *handled, struct bot_err *err)
{
    const cJSON *view = cJSON_GetObjectItemCaseSensitive(payload, "view");
    const char *cb = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(view, "callback_id"));
    *handled = cb != NULL && strcmp(cb, RENDER_POSTMORTEM_CALLBACK) == 0;
    return *handled ? postmortem_submit(p, payload, user, err) : BOT_OK;
}

/* ---- step 9: the internal postmortem draft ---- */

/* Our own mrkdwn (timeline text: user text escaped) as Markdown inside a code block. */
static void md_text(struct buf *b, const char *mrkdwn)
{
    char *t = render_mrkdwn_to_text(mrkdwn, false);
    for (char *c = t; *c; c++)
        if (*c == '`')
            *c = '\''; /* a ``` would end the code block */
        else if (*c == '\n')
            *c = ' ';
    (void)!buf_addstr(b, t);
    free(t);
}

/* User text (raw) as Markdown inside a code block: escaped, no backticks or newlines. */
static void md_user(struct buf *b, const char *s)
{
    char *e = esc(s);
    md_text(b, e);
    free(e);
}

/* Appends line to b when it leaves room (reserve bytes) under b's maximum; counts what was not. */
static void add_line(struct buf *b, const struct buf *line, size_t reserve, size_t *dropped)
{
    if (b->len + line->len + 1 + reserve > b->max || buf_addf(b, "%s\n", buf_str(line)) != BOT_OK)
        (*dropped)++;
}

static void md_time(struct buf *b, const char *label, int64_t ms, int64_t since,
                    const char *since_label)
{
    char t[40], d[40];
    if (ms <= 0)
        return;
    plan_fmt_utc(ms, t, sizeof(t));
    (void)!buf_addf(b, "- %s: %s", label, t);
    if (since > 0 && ms >= since) {
        plan_fmt_duration(ms - since, d, sizeof(d));
        (void)!buf_addf(b, " (%s: %s)", since_label, d);
    }
    (void)!buf_addstr(b, "\n");
}

enum bot_rc plan_postmortem_internal(struct plan *p, const struct store_incident *inc,
                                     const char *actor, const char *url, struct bot_err *err)
{
    struct store_timeline_entry *tl = NULL;
    struct store_role *roles = NULL;
    struct store_followup *f = NULL;
    struct store_component_link *comps = NULL;
    size_t ntl = 0, nroles = 0, nf = 0, nc = 0, dropped = 0;
    int64_t due = 0, overdue = 0;
    cJSON *held = NULL;
    if (is_potential(inc))
        return plan_respond(p, url, ":warning: A potential incident has no channel and no "
                            "postmortem; promote it first (`/incident promote`). Nothing "
                            "changed.", NULL, false, err);
    enum bot_rc rc = store_timeline_list(p->store, inc->id, 0, &tl, &ntl, err);
    if (rc == BOT_OK)
        rc = store_role_history(p->store, inc->id, &roles, &nroles, err);
    if (rc == BOT_OK)
        rc = store_followup_list(p->store, inc->id, &f, &nf, err);
    if (rc == BOT_OK)
        rc = store_incident_component_list(p->store, inc->id, &comps, &nc, err);
    if (rc == BOT_OK)
        rc = attr_ms(p, inc->id, "postmortem.due_at", &due, err);
    if (rc == BOT_OK)
        rc = attr_ms(p, inc->id, "postmortem.overdue", &overdue, err);
    if (rc == BOT_OK)
        rc = attr_json(p, inc->id, "postmortem.held", &held, err);
    if (rc)
        goto out;

    struct buf m, line;
    buf_init(&m, PLAN_MAX_INTERNAL_PM);
    buf_init(&line, PLAN_MAX_INTERNAL_PM);
    int64_t start = inc->started_at ? inc->started_at : inc->declared_at;
    char t[40];
    (void)!buf_addf(&m, ":memo: *Internal postmortem draft of INC-%lld* (Markdown, from the "
                    "timeline; asked for by <@%s>):\n```\n# INC-%lld: ", (long long)inc->id,
                    actor, (long long)inc->id);
    md_user(&m, inc->title);
    (void)!buf_addf(&m, "\n\n## Summary\n\n- Severity: %s; status: %s\n", inc->severity,
                    inc->status);
    md_time(&m, "Started", start, 0, NULL);
    md_time(&m, "Declared", inc->declared_at, start, "time to declare");
    md_time(&m, "Identified", inc->identified_at, start, "time to identify");
    md_time(&m, "Resolved", inc->resolved_at, start, "time to resolve");
    md_time(&m, "Closed", inc->closed_at, 0, NULL);
    if (inc->affected_users >= 0)
        (void)!buf_addf(&m, "- Affected users: %lld\n", (long long)inc->affected_users);
    for (size_t i = 0; i < nc; i++) {
        (void)!buf_addstr(&m, i ? ", " : "- Components: ");
        md_user(&m, comps[i].component);
    }
    if (nc)
        (void)!buf_addstr(&m, "\n");
    if (inc->breach)
        (void)!buf_addstr(&m, "- A data or security breach was suspected\n");
    if (held) {
        (void)!buf_addstr(&m, "- Internal postmortem: held\n");
    } else if (due) {
        plan_fmt_utc(due, t, sizeof(t));
        (void)!buf_addf(&m, "- Internal postmortem due: %s%s\n", t, overdue ? " (OVERDUE)" : "");
    }
    (void)!buf_addf(&m, "- Public postmortem: %s\n", inc->postmortem ? "written" : "not yet");

    (void)!buf_addstr(&m, "\n## Roles\n\n");
    for (size_t i = 0; i < nroles; i++) {
        char a[40], b[40];
        plan_fmt_utc(roles[i].assigned_at, a, sizeof(a));
        plan_fmt_utc(roles[i].ended_at, b, sizeof(b));
        buf_reset(&line);
        (void)!buf_addf(&line, "- %s: @%s, from %s%s%s", plan_role_title(roles[i].role),
                        roles[i].user_id, a, roles[i].ended_at ? " until " : "",
                        roles[i].ended_at ? b : "");
        add_line(&m, &line, 8000, &dropped);
    }
    if (nroles == 0)
        (void)!buf_addstr(&m, "- nobody was appointed\n");

    (void)!buf_addstr(&m, "\n## Timeline\n\n");
    for (size_t i = 0; i < ntl; i++) {
        plan_fmt_utc(tl[i].at, t, sizeof(t));
        buf_reset(&line);
        (void)!buf_addf(&line, "- %s%s%s · %s%s: ", t, tl[i].actor ? " · @" : "",
                        tl[i].actor ? tl[i].actor : "", tl[i].kind, tl[i].public ? " (public)" : "");
        md_text(&line, tl[i].text);
        add_line(&m, &line, 6000, &dropped);
    }
    if (dropped)
        (void)!buf_addf(&m, "- … %zu more entries left out (the message would be too long)\n",
                        dropped);

    (void)!buf_addstr(&m, "\n## Follow-ups\n\n");
    dropped = 0;
    for (size_t i = 0; i < nf; i++) {
        buf_reset(&line);
        (void)!buf_addf(&line, "- [%c] %d. ", f[i].done_at ? 'x' : ' ', f[i].n);
        md_user(&line, f[i].text);
        if (f[i].owner)
            (void)!buf_addf(&line, " (owner @%s)", f[i].owner);
        if (f[i].due_at) {
            plan_fmt_utc(f[i].due_at, t, sizeof(t));
            (void)!buf_addf(&line, " (due %.10s)", t);
        }
        add_line(&m, &line, 200, &dropped);
    }
    if (nf == 0)
        (void)!buf_addstr(&m, "- none yet: `/incident followup add <text> [@owner] [due]`\n");
    if (dropped)
        (void)!buf_addf(&m, "- … %zu more\n", dropped);
    (void)!buf_addstr(&m, "\n## What went well, what did not, what we learned\n\n- \n```");
    rc = plan_say(p, inc, buf_str(&m), err);
    buf_free(&m);
    buf_free(&line);
    char text[200];
    snprintf(text, sizeof(text), "Internal postmortem draft posted by <@%s>", actor);
    if (rc == BOT_OK)
        rc = plan_record(p, inc, actor, "postmortem_draft", text, err);
    if (rc == BOT_OK) {
        snprintf(text, sizeof(text), "Posted the internal postmortem draft of INC-%lld in its "
                 "channel.", (long long)inc->id);
        rc = plan_respond(p, url, text, NULL, false, err);
    }
out:
    cJSON_Delete(held);
    store_timeline_list_free(tl, ntl);
    store_role_list_free(roles, nroles);
    store_followup_list_free(f, nf);
    store_component_links_free(comps, nc);
    return rc;
}
