/*
 * `/incident checklist [INC-N]`: the nine steps with who did what and when,
 * with a button per open step; what the work shows done is marked first
 * (plan_checklist_follow). `checklist done N`, `checklist skip N` and
 * `checklist reopen N` (these two move the step pointer: the incident's IRM
 * only) change one step from the command line.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "plan.h"
#include "render.h"

#define CHECKLIST_USAGE "`/incident checklist [done|skip|reopen N] [INC-N]`"

/* Step N (1..9) from a word ("#3" would name incident 3). */
static bool parse_step(const char *w, int *step)
{
    if (w[0] < '1' || w[0] > '9' || w[1] != '\0')
        return false;
    *step = w[0] - '0';
    return true;
}

static enum bot_rc change(const struct cmd_call *call, const struct cmd_args *args, int argc,
                          struct store_incident *inc, struct cmd_result *out, struct bot_err *err)
{
    struct plan *p = call->plan;
    const char *verb = args->argv[1];
    enum plan_step_how how = strcmp(verb, "done") == 0 ? PLAN_STEP_DONE
                             : strcmp(verb, "skip") == 0 ? PLAN_STEP_SKIP : PLAN_STEP_REOPEN;
    int step;
    if (argc != 3 || !parse_step(args->argv[2], &step)) {
        (void)!buf_addf(&out->reply, ":warning: `checklist %s` takes a step number from 1 to 9. "
                        "Usage: " CHECKLIST_USAGE, verb);
        return BOT_EINVAL;
    }
    if (how != PLAN_STEP_DONE) { /* skipping and reopening move the pointer: the IRM's */
        bool irm = false;
        char *holder = NULL;
        enum bot_rc rc = plan_is_incident_irm(p, inc, call->user_id, &irm, err);
        if (rc)
            return rc;
        if (!irm) {
            rc = store_role_get(p->store, inc->id, "irm", &holder, err);
            if (rc && rc != BOT_ENOTFOUND)
                return rc;
            if (holder)
                (void)!buf_addf(&out->reply, ":no_entry: Only the IRM of INC-%lld, <@%s>, may "
                                "%s a step; nothing changed.%s", (long long)inc->id, holder,
                                verb, how == PLAN_STEP_SKIP ? " Mark it done instead when it "
                                "is: `/incident checklist done N`." : "");
            else
                (void)!buf_addf(&out->reply, ":no_entry: Only the IRM may %s a step, and "
                                "INC-%lld has none yet (*Take IRM* on the pinned message); "
                                "nothing changed.", verb, (long long)inc->id);
            free(holder);
            return BOT_EINVAL;
        }
    }
    enum bot_rc rc = plan_step_set(p, inc, step, how, call->user_id, err);
    if (rc == BOT_EEXISTS || rc == BOT_ENOTFOUND) {
        (void)!buf_addf(&out->reply, ":information_source: Step %d (%s) of INC-%lld is %s; "
                        "nothing changed.", step, render_step_name(step), (long long)inc->id,
                        rc == BOT_EEXISTS ? "already done" : "open already");
        return BOT_EINVAL;
    }
    if (rc == BOT_OK)
        rc = plan_checklist_show(p, inc, call->response_url, false, err);
    return rc;
}

static enum bot_rc checklist_cmd(const struct cmd_call *call, const struct cmd_args *args,
                                 struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    int argc = args->argc;
    if (p == NULL)
        return BOT_ESTATE;
    /* "checklist 42" names an incident; in "checklist done 3" the 3 is a step. */
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, argc == 2, &inc, &out->reply, &err);
    if (rc == BOT_OK && argc == 1) {
        rc = plan_checklist_follow(p, &inc, &err);
        if (rc == BOT_OK)
            rc = plan_checklist_show(p, &inc, call->response_url, false, &err);
    } else if (rc == BOT_OK && (strcmp(args->argv[1], "done") == 0 ||
                                strcmp(args->argv[1], "skip") == 0 ||
                                strcmp(args->argv[1], "reopen") == 0)) {
        rc = change(call, args, argc, &inc, out, &err);
    } else if (rc == BOT_OK) {
        (void)!buf_addstr(&out->reply, ":warning: Unexpected `");
        (void)!cmd_add_user_text(&out->reply, args->argv[1]);
        (void)!buf_addstr(&out->reply, "`. Usage: " CHECKLIST_USAGE);
        rc = BOT_EINVAL;
    }
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_checklist_entry = {
    .name = "checklist",
    .args = "[done|skip|reopen N] [INC-N]",
    .summary = "the nine steps: who did what and when; mark a step, skip or reopen one (IRM)",
    .min_args = 0,
    .max_args = 3,
    .handler = checklist_cmd,
};
