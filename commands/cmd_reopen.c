/*
 * `/incident reopen <why> [INC-N]`: a resolved incident whose problem is back
 * goes back to identified, with who and why on the timeline and, when it is
 * published, the why as its public update (see plan_reopen). A postmortem or
 * closed incident is not reopened: the answer says to declare a new one.
 */
#include <stdlib.h>

#include "cmd.h"
#include "plan.h"

static enum bot_rc reopen_cmd(const struct cmd_call *call, const struct cmd_args *args,
                              struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    int argc = args->argc;
    if (p == NULL)
        return BOT_ESTATE;
    /* Only INC-N or #N name the incident: a why may well end with a number. */
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, false, &inc, &out->reply, &err);
    if (rc == BOT_OK && argc < 2) {
        (void)!buf_addstr(&out->reply, ":warning: Say why the incident is reopened (when it is "
                                       "public, this is its public update). Usage: "
                                       "`/incident reopen <why> [INC-N]`");
        rc = BOT_EINVAL;
    } else if (rc == BOT_OK) {
        char *why = cmd_args_raw(args, 1, argc); /* as typed: quotes, spacing, lines */
        struct plan_actor a = {call->user_id, call->channel_id, call->response_url,
                               call->trigger_id};
        rc = plan_reopen(p, &a, &inc, why, &err);
        free(why);
    }
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_reopen_entry = {
    .name = "reopen",
    .args = "<why> [INC-N]",
    .summary = "a resolved incident is back: identified again (the why is its public update)",
    .min_args = 1,
    .max_args = -1,
    .handler = reopen_cmd,
};
