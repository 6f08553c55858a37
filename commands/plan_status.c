/*
 * The decisions of plan steps 4-7 (see plan.h): notes on the timeline, the
 * status changes identified -> monitoring -> resolved with their public
 * message (asked for in a modal pre-filled from [status] templates), and the
 * severity re-assessment prompt, on a status change and on a stored
 * reminder. Each one checks every rule before it writes, so a refused
 * request changes nothing but the answer to the user.
 */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "render.h"
#include "render_status.h"
#include "slack_text.h"
#include "store_timeline.h"
#include "xmalloc.h"

#define REFUSAL_MAX 2048 /* bytes of a refusal's text */

/* s escaped for mrkdwn (whole, never cut); caller frees. */
/* User text as stored (Slack's format) for mrkdwn: mentions work, crowds are never pinged. */
static char *esc(const char *s)
{
    return slack_text_user_dup(s, 256 * 1024);
}

/* A copy of s without leading and trailing blanks (may be ""); caller frees. */
static char *trim_dup(const char *s)
{
    const char *end = s + strlen(s);
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
        end--;
    return xmemdup0(s, (size_t)(end - s));
}

static enum inc_status status_of(const struct store_incident *inc)
{
    enum inc_status st = ST_INVESTIGATING;
    (void)plan_status_parse(inc->status, strlen(inc->status), &st);
    return st;
}

static enum severity severity_of(const struct store_incident *inc)
{
    enum severity sev = SEV_MAJOR;
    (void)plan_severity_parse(inc->severity, strlen(inc->severity), &sev);
    return sev;
}

/* The plan step a status stands for (PLAN.md steps 5-7); 0 for the others. */
static int status_step(enum inc_status st)
{
    return st == ST_IDENTIFIED ? 5 : st == ST_MONITORING ? 6 : st == ST_RESOLVED ? 7 : 0;
}

static const char *status_emoji(enum inc_status st)
{
    return st == ST_IDENTIFIED ? ":mag:" : st == ST_MONITORING ? ":eyes:" : ":white_check_mark:";
}

/* The current holder of role (caller frees), NULL when vacant; store failures in *rc. */
static char *role_holder(struct plan *p, int64_t id, const char *role, enum bot_rc *rc,
                         struct bot_err *err)
{
    char *who = NULL;
    enum bot_rc r = store_role_get(p->store, id, role, &who, err);
    if (r != BOT_OK && r != BOT_ENOTFOUND)
        *rc = r;
    return r == BOT_OK ? who : NULL;
}

/* The public message of a status change (stored form), as the page's update at this status. */
static enum bot_rc record_public_status(struct plan *p, const struct store_incident *inc,
                                        const char *actor, char *msg, struct bot_err *err)
{
    struct store_timeline_entry e = {
        .incident_id = inc->id,
        .at = p->now_ms,
        .actor = (char *)actor,
        .kind = "status",
        .text = msg,
        .public = 1,
        .status = inc->status,
    };
    return store_timeline_append(p->store, &e, err);
}

/* ---- step 4: notes ---- */

enum bot_rc plan_note(struct plan *p, const struct store_incident *inc, const char *actor,
                      const char *text, const char *url, struct bot_err *err)
{
    char reply[300];
    char *note = trim_dup(text ? text : "");
    size_t chars = render_status_chars(note);
    enum bot_rc rc = BOT_OK;
    if (chars == 0 || chars > PLAN_MAX_NOTE) {
        if (chars == 0)
            snprintf(reply, sizeof(reply), ":warning: Write the finding or mitigation to note. "
                     "Usage: `/incident note <text> [INC-N]`");
        else
            snprintf(reply, sizeof(reply), ":warning: The note is %zu characters long; at most "
                     "%d are kept. Split it into several notes; nothing was recorded.", chars,
                     PLAN_MAX_NOTE);
        rc = plan_respond(p, url, reply, NULL, false, err);
        free(note);
        return rc;
    }
    char *e = esc(note);
    rc = plan_record(p, inc, actor, "note", e, err);
    free(e);
    bool potential = strcmp(inc->status, "potential") == 0;
    if (rc == BOT_OK && !potential) {
        struct render_update u = {.kind = RENDER_UPDATE_NOTE, .actor = actor, .text = note};
        char *line = NULL;
        rc = render_update_line(&u, &line);
        if (rc == BOT_OK) {
            char *msg = xasprintf(":memo: %s", line);
            rc = plan_say(p, inc, msg, err);
            free(msg);
        }
        free(line);
        if (rc == BOT_OK)
            rc = plan_announce_update(p, inc, &u, err);
    }
    snprintf(reply, sizeof(reply), "Noted on the timeline of INC-%lld%s.", (long long)inc->id,
             potential ? " (a potential incident: not posted anywhere)" : "");
    if (rc == BOT_OK)
        rc = plan_respond(p, url, reply, NULL, false, err);
    free(note);
    return rc;
}

/* ---- steps 5-7: status changes ---- */

/*
 * Whether actor may move inc to status to now, with message (NULL: to be
 * asked): *ok false with the answer in text when not. Store failures only
 * are returned as errors.
 */
static enum bot_rc check_status(struct plan *p, const struct store_incident *inc,
                                enum inc_status to, const char *actor, const char *message,
                                bool *ok, char *text, size_t textsz, struct bot_err *err)
{
    enum inc_status from = status_of(inc);
    long long id = (long long)inc->id;
    enum bot_rc rc = BOT_OK;
    *ok = false;
    if (from == ST_POTENTIAL) {
        snprintf(text, textsz, ":warning: INC-%lld is a potential incident: declare it first "
                 "with `/incident promote %lld`, then its status can change; nothing changed.",
                 id, id);
        return BOT_OK;
    }
    if (to == from) {
        snprintf(text, textsz, ":warning: INC-%lld is already *%s*; nothing changed.", id,
                 plan_status_name(from));
        return BOT_OK;
    }
    if (to == ST_POTENTIAL || to > ST_RESOLVED) {
        snprintf(text, textsz, ":warning: A status change sets investigating, identified, "
                 "monitoring or resolved, not %s; nothing changed.", plan_status_name(to));
        return BOT_OK;
    }
    if (from == ST_RESOLVED) { /* to < from: reopening has its own command and effects */
        snprintf(text, textsz, ":warning: INC-%lld is *resolved*: to work on it again, reopen "
                 "it with `/incident reopen <why> INC-%lld` (it goes back to identified); "
                 "nothing changed.", id, id);
        return BOT_OK;
    }
    if (from > ST_RESOLVED) {
        snprintf(text, textsz, ":warning: INC-%lld is *%s*: its status no longer changes and it "
                 "cannot be reopened. If the problem is back, declare a new incident and mention "
                 "INC-%lld; nothing changed.", id, plan_status_name(from), id);
        return BOT_OK;
    }
    bool allowed = true;
    char who[1024];
    rc = plan_may_manage(p, inc, actor, &allowed, who, sizeof(who));
    if (rc)
        return rc;
    if (!allowed) {
        snprintf(text, textsz, ":no_entry: Only %s may change the status of INC-%lld; nothing "
                 "changed.", who, id);
        return BOT_OK;
    }
    if (to > from + 1) { /* a skip: the IRM's call (PLAN.md "Statuses") */
        char *irm = role_holder(p, inc->id, "irm", &rc, err);
        if (rc == BOT_OK && (irm == NULL || strcmp(irm, actor) != 0)) {
            if (irm)
                snprintf(text, textsz, ":no_entry: INC-%lld is *%s*: going to %s skips %s, which "
                         "only its IRM <@%s> may do. Mark it %s first; nothing changed.", id,
                         plan_status_name(from), plan_status_name(to),
                         plan_status_name((enum inc_status)(from + 1)), irm,
                         plan_status_name((enum inc_status)(from + 1)));
            else
                snprintf(text, textsz, ":no_entry: INC-%lld is *%s*: going to %s skips %s, which "
                         "only its IRM may do, and it has none (*Take IRM* on the pinned "
                         "message). Mark it %s first; nothing changed.", id,
                         plan_status_name(from), plan_status_name(to),
                         plan_status_name((enum inc_status)(from + 1)),
                         plan_status_name((enum inc_status)(from + 1)));
            free(irm);
            return BOT_OK;
        }
        free(irm);
        if (rc)
            return rc;
    }
    if (message != NULL) {
        size_t chars = render_status_chars(message);
        if (chars > RENDER_MAX_STATUS_MESSAGE) {
            snprintf(text, textsz, ":warning: The public message is %zu characters long; at most "
                     "%d are allowed. Shorten it, or leave it out to write it in a form; nothing "
                     "changed.", chars, RENDER_MAX_STATUS_MESSAGE);
            return BOT_OK;
        }
        if (chars == 0) {
            snprintf(text, textsz, ":warning: The public message is empty; nothing changed.");
            return BOT_OK;
        }
    }
    *ok = true;
    return BOT_OK;
}

/*
 * The template of status to, filled for inc; caller frees. A step back has
 * its own wording, not configurable: "we have identified the cause" would
 * read wrong after a failed fix.
 */
static char *status_template(const struct plan *p, const struct store_incident *inc,
                             enum inc_status to)
{
    static const char *const defaults[3] = {RENDER_STATUS_TEMPLATE_IDENTIFIED,
                                            RENDER_STATUS_TEMPLATE_MONITORING,
                                            RENDER_STATUS_TEMPLATE_RESOLVED};
    const char *tmpl = NULL;
    if (to < status_of(inc)) { /* a correction: the configured templates speak of progress */
        tmpl = to == ST_INVESTIGATING ? PLAN_STATUS_TEMPLATE_BACK_INVESTIGATING
                                      : PLAN_STATUS_TEMPLATE_BACK_IDENTIFIED;
    } else {
        int i = to - ST_IDENTIFIED;
        tmpl = p->cfg->status_templates[i];
        if (tmpl == NULL || tmpl[0] == '\0')
            tmpl = defaults[i];
    }
    const char *title = inc->public_title && inc->public_title[0] ? inc->public_title : inc->title;
    return render_status_fill(tmpl, inc->id, title, severity_of(inc));
}

/* The status modal for actor, through views.open in the fast lane. */
static enum bot_rc open_status_modal(struct plan *p, const struct plan_actor *a,
                                     const struct store_incident *inc, enum inc_status to,
                                     struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    char *support = role_holder(p, inc->id, "support", &rc, err);
    if (rc)
        return rc;
    cJSON *meta = cJSON_CreateObject();
    cJSON_AddNumberToObject(meta, "id", (double)inc->id);
    cJSON_AddStringToObject(meta, "status", plan_status_name(to));
    cJSON_AddStringToObject(meta, "from", plan_status_name(status_of(inc)));
    if (a->response_url && strlen(a->response_url) < RENDER_MAX_PRIVATE_META - 100)
        cJSON_AddStringToObject(meta, "response_url", a->response_url);
    char *metas = cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    char *initial = status_template(p, inc, to);
    struct render_status_modal m = {
        .id = inc->id,
        .title = inc->title,
        .from = status_of(inc),
        .to = to,
        .initial = initial,
        .actor = a->user_id,
        .support = support,
        .public_ = inc->published != 0,
        .private_metadata = metas,
    };
    cJSON *view = NULL;
    rc = render_status_modal(&m, &view);
    if (rc == BOT_OK) {
        cJSON *pl = cJSON_CreateObject();
        cJSON_AddStringToObject(pl, "method", "views.open");
        cJSON *args = cJSON_AddObjectToObject(pl, "args");
        cJSON_AddStringToObject(args, "trigger_id", a->trigger_id);
        cJSON_AddItemToObject(args, "view", view);
        rc = plan_effect(p, 0, "fast", "slack.call", pl, err);
    } else {
        rc = bot_err_set(err, rc, "status modal of INC-%lld: %s", (long long)inc->id,
                         bot_strerror(rc));
    }
    free(initial);
    free(metas);
    free(support);
    return rc;
}

enum bot_rc plan_status_request(struct plan *p, const struct plan_actor *a,
                                struct store_incident *inc, enum inc_status to,
                                const char *message, struct bot_err *err)
{
    char text[REFUSAL_MAX];
    bool ok;
    enum bot_rc rc = check_status(p, inc, to, a->user_id, message, &ok, text, sizeof(text), err);
    if (rc)
        return rc;
    if (!ok)
        return plan_respond(p, a->response_url, text, NULL, false, err);
    if (message != NULL)
        return plan_set_status(p, inc, to, a->user_id, message, a->response_url, err);
    if (a->trigger_id == NULL || a->trigger_id[0] == '\0') {
        snprintf(text, sizeof(text), ":warning: Slack sent no trigger to open the form with. "
                 "Give the public message in the command: `/incident status %s <public message> "
                 "INC-%lld`", plan_status_name(to), (long long)inc->id);
        return plan_respond(p, a->response_url, text, NULL, false, err);
    }
    return open_status_modal(p, a, inc, to, err);
}

/* The re-assessment prompt in the incident's channel: why (a sentence), the question, a menu. */
static enum bot_rc reassess_prompt(struct plan *p, const struct store_incident *inc,
                                   const char *why, struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    char *irm = role_holder(p, inc->id, "irm", &rc, err);
    char *tech = rc == BOT_OK ? role_holder(p, inc->id, "tech", &rc, err) : NULL;
    if (rc == BOT_OK) {
        struct buf b;
        buf_init(&b, 4096);
        (void)!buf_addstr(&b, ":scales: ");
        if (irm)
            (void)!buf_addf(&b, "<@%s> ", irm);
        if (tech && (irm == NULL || strcmp(tech, irm) != 0))
            (void)!buf_addf(&b, "<@%s> ", tech);
        (void)!buf_addf(&b, "%s. Is *%s* still the right severity? Re-assess it from what is "
                        "known now (functionality affected, share of customers, data security) "
                        "and change it here or with `/incident severity critical|major|minor "
                        "[why]`.", why, inc->severity);
        cJSON *blocks = NULL;
        rc = render_reassess_blocks(inc->id, severity_of(inc), buf_str(&b), &blocks);
        if (rc == BOT_OK) {
            cJSON *args = cJSON_CreateObject();
            cJSON_AddStringToObject(args, "channel", "{{incident.channel_id}}");
            cJSON_AddStringToObject(args, "text", buf_str(&b));
            cJSON_AddItemToObject(args, "blocks", blocks);
            rc = plan_call(p, inc->id, "chat.postMessage", args, err);
        } else {
            rc = bot_err_set(err, rc, "re-assessment prompt of INC-%lld: %s", (long long)inc->id,
                             bot_strerror(rc));
        }
        buf_free(&b);
    }
    free(irm);
    free(tech);
    return rc;
}

enum bot_rc plan_set_status(struct plan *p, struct store_incident *inc, enum inc_status to,
                            const char *actor, const char *message, const char *url,
                            struct bot_err *err)
{
    char text[REFUSAL_MAX];
    bool ok;
    enum bot_rc rc = check_status(p, inc, to, actor, message ? message : "", &ok, text,
                                  sizeof(text), err);
    if (rc)
        return rc;
    if (!ok)
        return plan_respond(p, url, text, NULL, false, err);
    enum inc_status from = status_of(inc);
    long long id = (long long)inc->id;
    char *support = role_holder(p, inc->id, "support", &rc, err);
    if (rc)
        return rc;

    /* The row: status and the times the metrics need. */
    free(inc->status);
    inc->status = xstrdup(plan_status_name(to));
    if (inc->identified_at == 0)
        inc->identified_at = p->now_ms; /* reaching monitoring or resolved implies identified */
    if (to == ST_RESOLVED)
        inc->resolved_at = p->now_ms;
    inc->updated_at = p->now_ms;
    rc = store_incident_update(p->store, inc, err);

    /* The record: a skipped status first, then the change with its public message. */
    for (enum inc_status st = (enum inc_status)(from + 1); rc == BOT_OK && st < to;
         st = (enum inc_status)(st + 1)) {
        char *t = xasprintf("Skipped %s: <@%s>, the IRM, moved INC-%lld from %s to %s",
                            plan_status_name(st), actor, id, plan_status_name(from),
                            plan_status_name(to));
        rc = plan_record(p, inc, actor, "skip", t, err);
        free(t);
    }
    if (rc == BOT_OK && to < from) {
        char *t = xasprintf("Status corrected: <@%s> moved INC-%lld back from %s to %s",
                            actor, id, plan_status_name(from), plan_status_name(to));
        rc = plan_record(p, inc, actor, "status_back", t, err);
        free(t);
    }
    char *msg = esc(message);
    if (rc == BOT_OK) {
        rc = record_public_status(p, inc, actor, msg, err);
    }
    /*
     * The checklist: the status's step (5, 6, 7) done, a skipped one's
     * skipped; the step pointer moves on as plan_step_set() moves it (to the
     * first open step after, never backwards). Already marked by hand is fine.
     */
    int pointer = inc->step;
    for (enum inc_status st = (enum inc_status)(from + 1); rc == BOT_OK && st <= to;
         st = (enum inc_status)(st + 1)) {
        rc = plan_step_set(p, inc, status_step(st), st < to ? PLAN_STEP_SKIP : PLAN_STEP_DONE,
                           actor, err);
        if (rc == BOT_EEXISTS)
            rc = BOT_OK;
    }
    /* A step back opens the steps of the statuses undone; the pointer follows back. */
    for (enum inc_status st = from; rc == BOT_OK && st > to; st = (enum inc_status)(st - 1)) {
        rc = plan_step_set(p, inc, status_step(st), PLAN_STEP_REOPEN, actor, err);
        if (rc == BOT_ENOTFOUND)
            rc = BOT_OK; /* open already */
    }
    /* Back to investigating: the cause is not identified after all (step 4 open again). */
    if (rc == BOT_OK && to == ST_INVESTIGATING && from >= ST_IDENTIFIED) {
        rc = plan_step_set(p, inc, 4, PLAN_STEP_REOPEN, actor, err);
        if (rc == BOT_ENOTFOUND)
            rc = BOT_OK;
    }
    if (rc == BOT_OK)
        rc = plan_checklist_follow(p, inc, err); /* step 4 once identified */

    /*
     * Everything that shows the incident (views render the state as it is when
     * delivered, so the refresh a moved pointer made already shows the new
     * status), the channel, the announcement's thread.
     */
    if (rc == BOT_OK && inc->step == pointer)
        rc = plan_refresh(p, inc, err);
    if (rc == BOT_OK) {
        struct buf b;
        buf_init(&b, 64 * 1024);
        if (to < from)
            (void)!buf_addf(&b, ":leftwards_arrow_with_hook: <@%s> moved INC-%lld back from %s "
                            "to *%s*", actor, id, plan_status_name(from), plan_status_name(to));
        else
            (void)!buf_addf(&b, "%s <@%s> marked INC-%lld *%s*", status_emoji(to), actor, id,
                            plan_status_name(to));
        if (to > from + 1)
            (void)!buf_addf(&b, " (from %s, skipping %s)", plan_status_name(from),
                            to == from + 2 ? plan_status_name((enum inc_status)(from + 1))
                                           : "identified and monitoring");
        (void)!buf_addf(&b, ".\n*Public message:* %s", msg);
        if (support && strcmp(support, actor) != 0)
            (void)!buf_addf(&b, "\n_<@%s>, as the support liaison: <@%s> announced this in "
                            "your place._", support, actor);
        if (inc->published)
            (void)!buf_addstr(&b, "\nIt goes to the public status page too.");
        else
            (void)!buf_addf(&b, "\n_Internal only: INC-%lld is not on the status page._", id);
        rc = plan_say(p, inc, buf_str(&b), err);
        buf_free(&b);
    }
    if (rc == BOT_OK) {
        struct render_update u = {.kind = RENDER_UPDATE_STATUS, .status = to, .actor = actor,
                                  .text = message};
        rc = plan_announce_update(p, inc, &u, err);
    }
    if (rc == BOT_OK && to == ST_RESOLVED)
        rc = plan_on_resolved(p, inc, actor, err); /* step 9: the internal postmortem's clock */
    if (rc == BOT_OK && inc->published) {
        cJSON *pl = cJSON_CreateObject();
        cJSON_AddStringToObject(pl, "status", plan_status_name(to));
        cJSON_AddStringToObject(pl, "body", message);
        cJSON_AddStringToObject(pl, "impact", inc->severity);
        rc = plan_mirror(p, inc, to == ST_RESOLVED ? HOOK_RESOLVED : HOOK_STATUS_CHANGED,
                         "statuspage.update", pl, err);
        if (rc == BOT_OK)
            rc = plan_public_update_schedule(p, inc, err);
    }

    /* Step 4 goes on: a status change is a moment to re-assess the severity. */
    if (rc == BOT_OK) {
        char why[120];
        snprintf(why, sizeof(why), to == ST_RESOLVED ? "INC-%lld is resolved; its final severity "
                 "goes into the postmortem and the metrics" : to < from ? "INC-%lld is %s again"
                 : "INC-%lld is %s now", id, plan_status_name(to));
        rc = reassess_prompt(p, inc, why, err);
    }
    if (rc == BOT_OK)
        rc = plan_reassess_schedule(p, inc, err);
    if (rc == BOT_OK && url) {
        snprintf(text, sizeof(text), "Done: INC-%lld is %s%s.", id, plan_status_name(to),
                 inc->published ? "; the status page is being updated" : "");
        rc = plan_respond(p, url, text, NULL, false, err);
    }
    free(msg);
    free(support);
    return rc;
}

/*
 * The status modal's private_metadata: incident, status, where to answer,
 * and the status it was opened at (*from; ST_COUNT when absent: a form
 * opened by an older version).
 */
static bool parse_meta(const cJSON *payload, int64_t *id, enum inc_status *to,
                       enum inc_status *from, char **url)
{
    const cJSON *view = cJSON_GetObjectItemCaseSensitive(payload, "view");
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(view,
                                                                          "private_metadata"));
    cJSON *meta = cJSON_Parse(s ? s : "");
    const cJSON *jid = cJSON_GetObjectItemCaseSensitive(meta, "id");
    const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "status"));
    const char *u = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "response_url"));
    const char *f = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "from"));
    if (f == NULL || !plan_status_parse(f, strlen(f), from))
        *from = ST_COUNT;
    bool ok = cJSON_IsNumber(jid) && jid->valuedouble >= 1 && jid->valuedouble < 9e15 &&
              st != NULL && plan_status_parse(st, strlen(st), to);
    if (ok) {
        *id = (int64_t)jid->valuedouble;
        *url = u ? xstrdup(u) : NULL;
    }
    cJSON_Delete(meta);
    return ok;
}

void plan_status_check_submission(const cJSON *payload, cJSON **errors_out)
{
    struct bot_err err = {{0}};
    char *message = NULL;
    const cJSON *values = render_view_state_values(payload);
    *errors_out = NULL;
    if (values == NULL) {
        *errors_out = render_view_errors(RENDER_STATUS_BLOCK, "The form arrived without its "
                                         "values.");
        return;
    }
    if (render_parse_status_submission(values, &message, &err) != BOT_OK)
        *errors_out = render_view_errors(RENDER_STATUS_BLOCK, err.msg);
    free(message);
}

enum bot_rc plan_status_submission(struct plan *p, const cJSON *payload, const char *user_id,
                                   struct bot_err *err)
{
    struct bot_err perr = {{0}};
    char *message = NULL, *url = NULL;
    int64_t id;
    enum inc_status to, from;
    const cJSON *values = render_view_state_values(payload);
    if (!parse_meta(payload, &id, &to, &from, &url))
        return bot_err_set(err, BOT_EPROTO, "status modal: private_metadata without an "
                           "incident id and status");
    /* A message the ack refused (the modal stayed open) changes nothing. */
    if (values == NULL || render_parse_status_submission(values, &message, &perr) != BOT_OK) {
        free(url);
        return BOT_OK;
    }
    struct store_incident inc;
    enum bot_rc rc = store_incident_get(p->store, id, &inc, err);
    if (rc == BOT_ENOTFOUND) {
        char text[120];
        snprintf(text, sizeof(text), ":warning: There is no incident INC-%lld.", (long long)id);
        rc = plan_respond(p, url, text, NULL, false, err);
    } else if (rc == BOT_OK && from != ST_COUNT && status_of(&inc) != from &&
               status_of(&inc) != to && (to > from) != (to > status_of(&inc))) {
        /* Moved meanwhile so that the form would now go the other way: a form opened to
         * move on never steps back (nor the reverse). */
        char text[400];
        snprintf(text, sizeof(text), ":warning: INC-%lld became *%s* while the form was open "
                 "(it was %s): marking it %s now would %s; nothing changed.", (long long)id,
                 plan_status_name(status_of(&inc)), plan_status_name(from),
                 plan_status_name(to), to > from ? "step it back" : "move it forward");
        rc = plan_respond(p, url, text, NULL, false, err);
    } else if (rc == BOT_OK) {
        /* The rules again: the incident may have moved on while the form was open. The
         * form's text arrives raw and is stored as a slash command carries it. */
        char *stored = slack_text_escape_dup(message, 256 * 1024);
        rc = plan_set_status(p, &inc, to, user_id, stored, url, err);
        free(stored);
    }
    store_incident_clear(&inc);
    free(message);
    free(url);
    return rc;
}

/* ---- a resolved incident reopened ---- */

/* Whether actor may reopen inc with why: *ok false with the answer in text when not. */
static enum bot_rc check_reopen(struct plan *p, const struct store_incident *inc,
                                const char *actor, const char *why, bool *ok, char *text,
                                size_t textsz)
{
    enum inc_status from = status_of(inc);
    long long id = (long long)inc->id;
    *ok = false;
    if (from < ST_RESOLVED) {
        snprintf(text, textsz, ":warning: INC-%lld is *%s*, not resolved: there is nothing to "
                 "reopen. To step back, use `/incident status investigating|identified <public "
                 "message> INC-%lld`; nothing changed.", id, plan_status_name(from), id);
        return BOT_OK;
    }
    if (from > ST_RESOLVED) {
        snprintf(text, textsz, ":warning: INC-%lld is *%s*: %s, so it is not reopened. If the "
                 "problem is back, declare a new incident and mention INC-%lld; nothing changed.",
                 id, plan_status_name(from), from == ST_CLOSED ? "it is closed"
                 : "its public postmortem is published", id);
        return BOT_OK;
    }
    bool allowed = true;
    char who[1024];
    enum bot_rc rc = plan_may_manage(p, inc, actor, &allowed, who, sizeof(who));
    if (rc)
        return rc;
    if (!allowed) {
        snprintf(text, textsz, ":no_entry: Only %s may reopen INC-%lld; nothing changed.", who,
                 id);
        return BOT_OK;
    }
    size_t chars = render_status_chars(why);
    if (chars == 0) {
        snprintf(text, textsz, ":warning: Say why INC-%lld is reopened: `/incident reopen <why> "
                 "INC-%lld`%s; nothing changed.", id, id, inc->published ? " (the why is the "
                 "public message on the status page)" : "");
        return BOT_OK;
    }
    if (chars > RENDER_MAX_STATUS_MESSAGE) {
        snprintf(text, textsz, ":warning: The why is %zu characters long; at most %d are "
                 "allowed; nothing changed.", chars, RENDER_MAX_STATUS_MESSAGE);
        return BOT_OK;
    }
    *ok = true;
    return BOT_OK;
}

enum bot_rc plan_reopen(struct plan *p, const struct plan_actor *a, struct store_incident *inc,
                        const char *why_typed, struct bot_err *err)
{
    char text[REFUSAL_MAX];
    bool ok;
    const char *actor = a->user_id;
    char *why = trim_dup(why_typed ? why_typed : "");
    enum bot_rc rc = check_reopen(p, inc, actor, why, &ok, text, sizeof(text));
    if (rc || !ok) {
        if (rc == BOT_OK)
            rc = plan_respond(p, a->response_url, text, NULL, false, err);
        free(why);
        return rc;
    }
    long long id = (long long)inc->id;
    const enum inc_status to = ST_IDENTIFIED;

    /* The row: identified again, no longer resolved (identified_at keeps the first time). */
    free(inc->status);
    inc->status = xstrdup(plan_status_name(to));
    inc->resolved_at = 0;
    inc->updated_at = p->now_ms;
    rc = store_incident_update(p->store, inc, err);

    /* The record: who and why, and the public entry the status page shows as its latest. */
    char *msg = esc(why);
    if (rc == BOT_OK) {
        char *t = xasprintf("Reopened by <@%s>: back from resolved to %s. Why: %s", actor,
                            plan_status_name(to), msg);
        rc = plan_record(p, inc, actor, "reopen", t, err);
        free(t);
    }
    if (rc == BOT_OK) {
        rc = record_public_status(p, inc, actor, msg, err);
    }

    /*
     * Undo what resolving did: the internal postmortem is no longer due (its
     * reminders go; a later resolve starts a new deadline), steps 7 and 6
     * open again and the pointer moves back.
     */
    if (rc == BOT_OK)
        rc = store_reminder_cancel(p->store, inc->id, PLAN_REMINDER_POSTMORTEM, p->now_ms, NULL,
                                   err);
    if (rc == BOT_OK)
        rc = store_incident_attr_set(p->store, inc->id, "postmortem.due_at", "0", p->now_ms, err);
    if (rc == BOT_OK)
        rc = store_incident_attr_set(p->store, inc->id, "postmortem.overdue", "0", p->now_ms, err);
    int pointer = inc->step;
    for (int step = 7; rc == BOT_OK && step >= 6; step--) {
        rc = plan_step_set(p, inc, step, PLAN_STEP_REOPEN, actor, err);
        if (rc == BOT_ENOTFOUND)
            rc = BOT_OK; /* open already (monitoring was never reached by hand) */
    }
    if (rc == BOT_OK && inc->step == pointer)
        rc = plan_refresh(p, inc, err);

    if (rc == BOT_OK) {
        struct buf b;
        buf_init(&b, 64 * 1024);
        (void)!buf_addf(&b, ":leftwards_arrow_with_hook: <@%s> reopened INC-%lld: it is *%s* "
                        "again.\n*Why:* %s", actor, id, plan_status_name(to), msg);
        if (inc->published)
            (void)!buf_addstr(&b, "\nThe why goes to the public status page as its update.");
        else
            (void)!buf_addf(&b, "\n_Internal only: INC-%lld is not on the status page._", id);
        (void)!buf_addstr(&b, "\nThe internal postmortem is no longer due; resolving it again "
                          "starts a new deadline.");
        rc = plan_say(p, inc, buf_str(&b), err);
        buf_free(&b);
    }
    if (rc == BOT_OK) {
        struct render_update u = {.kind = RENDER_UPDATE_STATUS, .status = to, .actor = actor,
                                  .text = why};
        rc = plan_announce_update(p, inc, &u, err);
    }
    if (rc == BOT_OK && inc->published) {
        /* plan_mirror degrades the components again: the incident holds them once more. */
        cJSON *pl = cJSON_CreateObject();
        cJSON_AddStringToObject(pl, "status", plan_status_name(to));
        cJSON_AddStringToObject(pl, "body", why);
        cJSON_AddStringToObject(pl, "impact", inc->severity);
        rc = plan_mirror(p, inc, HOOK_STATUS_CHANGED, "statuspage.update", pl, err);
        if (rc == BOT_OK)
            rc = plan_public_update_schedule(p, inc, err);
    }
    if (rc == BOT_OK) {
        char reason[80];
        snprintf(reason, sizeof(reason), "INC-%lld was reopened", id);
        rc = reassess_prompt(p, inc, reason, err);
    }
    if (rc == BOT_OK)
        rc = plan_reassess_schedule(p, inc, err);
    if (rc == BOT_OK) {
        snprintf(text, sizeof(text), "Done: INC-%lld is reopened and %s%s.", id,
                 plan_status_name(to), inc->published ? "; the status page is being updated" : "");
        rc = plan_respond(p, a->response_url, text, NULL, false, err);
    }
    free(msg);
    free(why);
    return rc;
}

/* ---- step 4: the severity re-assessment clock ---- */

static bool being_worked_on(const struct store_incident *inc)
{
    enum inc_status st = status_of(inc);
    return st >= ST_INVESTIGATING && st <= ST_MONITORING;
}

enum bot_rc plan_reassess_schedule(struct plan *p, const struct store_incident *inc,
                                   struct bot_err *err)
{
    enum bot_rc rc = store_reminder_cancel(p->store, inc->id, PLAN_REMINDER_REASSESS, p->now_ms,
                                           NULL, err);
    if (rc == BOT_OK && p->cfg->reassess_after_minutes > 0 && being_worked_on(inc))
        rc = store_reminder_add(p->store, inc->id, PLAN_REMINDER_REASSESS,
                                p->now_ms + p->cfg->reassess_after_minutes * 60000, NULL,
                                p->now_ms, NULL, err);
    return rc;
}

enum bot_rc plan_reassess_remind(struct plan *p, const struct store_incident *inc,
                                 struct bot_err *err)
{
    struct store_timeline_entry *rows = NULL;
    size_t n = 0;
    int64_t last = inc->declared_at;
    if (!being_worked_on(inc))
        return BOT_OK;
    enum bot_rc rc = store_timeline_list(p->store, inc->id, 0, &rows, &n, err);
    for (size_t i = 0; rc == BOT_OK && i < n; i++)
        if (strcmp(rows[i].kind, "severity") == 0 || strcmp(rows[i].kind, "promote") == 0)
            last = rows[i].at;
    store_timeline_list_free(rows, n);
    if (rc)
        return rc;
    long long mins = (long long)((p->now_ms - last) / 60000);
    char why[120];
    if (mins >= 120)
        snprintf(why, sizeof(why), "The severity of INC-%lld was set %lld h %lld min ago",
                 (long long)inc->id, mins / 60, mins % 60);
    else
        snprintf(why, sizeof(why), "The severity of INC-%lld was set %lld min ago",
                 (long long)inc->id, mins);
    rc = reassess_prompt(p, inc, why, err);
    if (rc == BOT_OK) {
        char *t = xasprintf("Prompted to re-assess the severity (%s, %lld min ago)",
                            inc->severity, mins);
        rc = plan_record(p, inc, NULL, "reminder", t, err);
        free(t);
    }
    if (rc == BOT_OK)
        rc = plan_reassess_schedule(p, inc, err);
    return rc;
}
