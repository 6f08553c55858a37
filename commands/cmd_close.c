/*
 * `/incident close [INC-N]` and the control message's "Close incident": the
 * end of the plan (status closed). A resolved incident closes when its
 * follow-ups are done; with follow-ups still open only its IRM may close it,
 * and they are listed in the channel. Steps of the checklist still open
 * (after plan_checklist_follow) are listed first with a "Close anyway"
 * button: closing over them is a decision, recorded with the list. Closing
 * needs [permissions] manage like any status change, marks step 9 done and
 * cancels the incident's pending reminders. The internal postmortem does
 * not hold it up; when [postmortem] required_for made it optional and it was
 * not held, the record says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "plan.h"
#include "render.h"
#include "slack_text.h"
#include "store_followup.h"
#include "xmalloc.h"

#define CLOSE_USAGE "`/incident close [INC-N]`"

/* The open follow-ups, one line each ("• 2. text"), at most max bytes. */
static void open_list(const struct store_followup *f, size_t n, struct buf *b, size_t max)
{
    for (size_t i = 0; i < n; i++) {
        if (f[i].done_at)
            continue;
        size_t before = b->len;
        (void)!buf_addf(b, "\n• %d. ", f[i].n);
        (void)!slack_text_user(b, f[i].text, strlen(f[i].text));
        if (f[i].owner)
            (void)!buf_addf(b, " (<@%s>)", f[i].owner);
        if (b->len > max && before < b->len) {
            b->len = before;
            b->data[before] = '\0';
            (void)!buf_addstr(b, "\n• …");
            break;
        }
    }
}

/* "3. Support plan, 8. Customer communication" */
static void steps_list(struct buf *b, const int *steps, int n)
{
    for (int i = 0; i < n; i++)
        (void)!buf_addf(b, "%s%d. %s", i ? ", " : "", steps[i], render_step_name(steps[i]));
}

/* The question before closing over open steps; answered through url, nothing changed. */
static enum bot_rc ask_anyway(struct plan *p, const struct store_incident *inc, const char *url,
                              const int *steps, int n, struct bot_err *err)
{
    struct buf b;
    char value[24];
    buf_init(&b, 2000);
    (void)!buf_addf(&b, ":warning: INC-%lld still has %d open step%s on its checklist: ",
                    (long long)inc->id, n, n == 1 ? "" : "s");
    steps_list(&b, steps, n);
    (void)!buf_addstr(&b, ".\nMark them done (`/incident checklist`), or close it anyway: they "
                          "stay open on the record. Nothing changed yet.");
    snprintf(value, sizeof(value), "%lld", (long long)inc->id);
    cJSON *blocks = cJSON_CreateArray(), *sec = cJSON_CreateObject(), *t, *acts, *els, *btn, *l;
    cJSON_AddStringToObject(sec, "type", "section");
    t = cJSON_AddObjectToObject(sec, "text");
    cJSON_AddStringToObject(t, "type", "mrkdwn");
    cJSON_AddStringToObject(t, "text", buf_str(&b));
    cJSON_AddItemToArray(blocks, sec);
    acts = cJSON_CreateObject();
    cJSON_AddStringToObject(acts, "type", "actions");
    els = cJSON_AddArrayToObject(acts, "elements");
    btn = cJSON_CreateObject();
    cJSON_AddStringToObject(btn, "type", "button");
    l = cJSON_AddObjectToObject(btn, "text");
    cJSON_AddStringToObject(l, "type", "plain_text");
    cJSON_AddStringToObject(l, "text", "Close anyway");
    cJSON_AddStringToObject(btn, "action_id", PLAN_CLOSE_ANYWAY_ACTION);
    cJSON_AddStringToObject(btn, "value", value);
    cJSON_AddStringToObject(btn, "style", "danger");
    cJSON_AddItemToArray(els, btn);
    cJSON_AddItemToArray(blocks, acts);
    enum bot_rc rc = plan_respond(p, url, buf_str(&b), blocks, false, err);
    buf_free(&b);
    return rc;
}

enum bot_rc plan_close(struct plan *p, const struct plan_actor *a, struct store_incident *inc,
                       bool anyway, struct buf *reply, struct bot_err *err)
{
    struct store_followup *f = NULL;
    size_t nf = 0, open = 0;
    char why[600], *irm = NULL, *held = NULL;
    bool allowed = false, is_irm = false;
    int steps[9], nsteps = 0;
    if (strcmp(inc->status, "closed") == 0) {
        (void)!buf_addf(reply, ":information_source: INC-%lld is closed already; nothing "
                        "changed.", (long long)inc->id);
        return BOT_EINVAL;
    }
    if (!plan_is_over(inc)) {
        (void)!buf_addf(reply, ":warning: INC-%lld is %s: resolve it first (`/incident "
                        "status resolved`). Nothing changed.", (long long)inc->id, inc->status);
        return BOT_EINVAL;
    }
    enum bot_rc rc = plan_may_manage(p, inc, a->user_id, &allowed, why, sizeof(why));
    if (rc == BOT_OK && !allowed) {
        (void)!buf_addf(reply, ":no_entry: Only %s may close INC-%lld; nothing changed.",
                        why, (long long)inc->id);
        return BOT_EINVAL;
    }
    if (rc == BOT_OK)
        rc = store_followup_list(p->store, inc->id, &f, &nf, err);
    for (size_t i = 0; i < nf; i++)
        open += f[i].done_at == 0;
    if (rc == BOT_OK)
        rc = plan_is_incident_irm(p, inc, a->user_id, &is_irm, err);
    if (rc == BOT_OK && open > 0 && !is_irm) {
        rc = store_role_get(p->store, inc->id, "irm", &irm, err);
        if (rc == BOT_OK || rc == BOT_ENOTFOUND) {
            (void)!buf_addf(reply, ":no_entry: INC-%lld has %zu open follow-up%s:",
                            (long long)inc->id, open, open == 1 ? "" : "s");
            open_list(f, nf, reply, 6000);
            if (irm)
                (void)!buf_addf(reply, "\nFinish them (`/incident followup done N`), or "
                                "ask its IRM <@%s> to close it anyway. Nothing changed.", irm);
            else
                (void)!buf_addstr(reply, "\nFinish them (`/incident followup done N`); "
                                  "only the IRM may close it with follow-ups open, and it has "
                                  "none. Nothing changed.");
            rc = BOT_EINVAL;
        }
        goto out;
    }
    /* The checklist: what the work shows done is marked, the rest is asked about. */
    if (rc == BOT_OK)
        rc = plan_checklist_follow(p, inc, err);
    if (rc == BOT_OK)
        rc = plan_checklist_open(p, inc, steps, &nsteps, err);
    if (rc == BOT_OK && nsteps > 0 && !anyway) {
        rc = ask_anyway(p, inc, a->response_url, steps, nsteps, err);
        goto out;
    }
    if (rc == BOT_OK && !plan_postmortem_required(p, inc)) {
        rc = store_incident_attr_get(p->store, inc->id, "postmortem.held", &held, err);
        if (rc == BOT_ENOTFOUND)
            rc = BOT_OK;
    }
    if (rc)
        goto out;

    free(inc->status);
    inc->status = xstrdup("closed");
    inc->closed_at = p->now_ms;
    inc->updated_at = p->now_ms;
    rc = store_incident_update(p->store, inc, err);
    struct buf text;
    buf_init(&text, 8000);
    (void)!buf_addf(&text, "Closed by <@%s>", a->user_id);
    if (open) {
        (void)!buf_addf(&text, " (the IRM) with %zu follow-up%s still open:", open,
                        open == 1 ? "" : "s");
        open_list(f, nf, &text, 6000);
    } else {
        (void)!buf_addstr(&text, ": every follow-up is done");
    }
    if (nsteps > 0) {
        (void)!buf_addf(&text, "\nClosed with %d checklist step%s open: ", nsteps,
                        nsteps == 1 ? "" : "s");
        steps_list(&text, steps, nsteps);
    }
    if (!plan_postmortem_required(p, inc) && (held == NULL || held[0] == '\0'))
        (void)!buf_addf(&text, "\nThe internal postmortem was optional for a %s incident and "
                        "was not held.", inc->severity);
    if (rc == BOT_OK)
        rc = plan_record(p, inc, a->user_id, "status", buf_str(&text), err);
    if (rc == BOT_OK)
        rc = store_reminder_cancel(p->store, inc->id, NULL, p->now_ms, NULL, err);
    if (rc == BOT_OK)
        rc = plan_step_done(p, inc, 9, a->user_id, err);
    if (rc == BOT_OK)
        rc = plan_say(p, inc, buf_str(&text), err);
    if (rc == BOT_OK)
        rc = plan_refresh(p, inc, err);
    if (rc == BOT_OK) {
        struct render_update u = {.kind = RENDER_UPDATE_STATUS, .status = ST_CLOSED,
                                  .actor = a->user_id};
        rc = plan_announce_update(p, inc, &u, err);
    }
    if (rc == BOT_OK)
        (void)!buf_addf(reply, "Done: INC-%lld is closed.", (long long)inc->id);
    buf_free(&text);
out:
    free(held);
    free(irm);
    store_followup_list_free(f, nf);
    return rc;
}

static enum bot_rc close_cmd(const struct cmd_call *call, const struct cmd_args *args,
                             struct cmd_result *out)
{
    struct bot_err err = {{0}};
    struct store_incident inc;
    int argc = args->argc;
    if (call->plan == NULL)
        return BOT_ESTATE;
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, true, &inc, &out->reply, &err);
    if (rc == BOT_OK && argc > 1) {
        (void)!buf_addstr(&out->reply, ":warning: `");
        (void)!cmd_add_user_text(&out->reply, args->argv[1]);
        (void)!buf_addstr(&out->reply, "` is not an incident. Usage: " CLOSE_USAGE);
        rc = BOT_EINVAL;
    } else if (rc == BOT_OK) {
        struct plan_actor a = {call->user_id, call->channel_id, call->response_url,
                               call->trigger_id};
        rc = plan_close(call->plan, &a, &inc, false, &out->reply, &err);
    }
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_close_entry = {
    .name = "close",
    .args = "[INC-N]",
    .summary = "close a resolved incident once its follow-ups are done (the IRM: also before)",
    .min_args = 0,
    .max_args = 1,
    .handler = close_cmd,
};
