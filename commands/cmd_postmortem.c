/*
 * `/incident postmortem [INC-N]`: the public postmortem (plan step 8), a
 * modal drafted from the public record only (published updates, impact,
 * duration, components; never notes) with placeholders for the prose the
 * team writes, or holding the published text, to amend it. Submitting it
 * shows a preview; only the preview's click publishes. Only once the
 * incident is resolved, and only for who may publish ([permissions]
 * manage). `postmortem internal` posts the internal
 * postmortem draft in Markdown in the channel; `postmortem held` records
 * that the internal postmortem took place, which stops its reminders.
 */
#include <string.h>

#include "cmd.h"
#include "plan.h"

#define POSTMORTEM_USAGE "`/incident postmortem [internal|held] [INC-N]`"

static enum bot_rc postmortem_cmd(const struct cmd_call *call, const struct cmd_args *args,
                                  struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    int argc = args->argc;
    if (p == NULL)
        return BOT_ESTATE;
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, argc == 2, &inc, &out->reply, &err);
    const char *verb = argc > 1 ? args->argv[1] : "";
    if (rc == BOT_OK && argc == 1) {
        bool allowed = false;
        char why[600];
        rc = plan_may_manage(p, &inc, call->user_id, &allowed, why, sizeof(why));
        if (rc == BOT_OK && !allowed) {
            (void)!buf_addf(&out->reply, ":no_entry: Only %s may publish the postmortem of "
                            "INC-%lld; nothing changed.", why, (long long)inc.id);
            rc = BOT_EINVAL;
        } else if (rc == BOT_OK) {
            struct plan_actor a = {call->user_id, call->channel_id, call->response_url,
                                   call->trigger_id};
            rc = plan_postmortem_open(p, &a, &inc, &err);
        }
    } else if (rc == BOT_OK && argc == 2 && strcmp(verb, "internal") == 0) {
        rc = plan_postmortem_internal(p, &inc, call->user_id, call->response_url, &err);
    } else if (rc == BOT_OK && argc == 2 && strcmp(verb, "held") == 0) {
        rc = plan_postmortem_held(p, &inc, call->user_id, call->response_url, &err);
    } else if (rc == BOT_OK) {
        (void)!buf_addstr(&out->reply, ":warning: Unexpected `");
        (void)!cmd_add_user_text(&out->reply, verb);
        (void)!buf_addstr(&out->reply, "`. Usage: " POSTMORTEM_USAGE);
        rc = BOT_EINVAL;
    }
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_postmortem_entry = {
    .name = "postmortem",
    .args = "[internal|held] [INC-N]",
    .summary = "steps 8-9: write or amend the public postmortem (a form drafted from the public "
               "updates, then a preview: only its *Publish postmortem* click publishes); "
               "`internal`: post the internal postmortem draft; `held`: it took place",
    .min_args = 0,
    .max_args = 2,
    .handler = postmortem_cmd,
};
