/* `/incident update <public message> [INC-N]`: a public update of a published incident. */
#include <stdlib.h>

#include "cmd.h"
#include "plan.h"

static enum bot_rc update_cmd(const struct cmd_call *call, const struct cmd_args *args,
                              struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    int argc = args->argc;
    if (p == NULL)
        return BOT_ESTATE;
    /* A bare trailing number would be ambiguous with the message ("... in 10"). */
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, false, &inc, &out->reply, &err);
    if (rc == BOT_OK) {
        char *msg = cmd_args_raw(args, 1, argc); /* as typed: quotes, spacing, lines */
        struct plan_actor a = {call->user_id, call->channel_id, call->response_url,
                               call->trigger_id};
        rc = plan_public_update(p, &a, &inc, msg, &err);
        free(msg);
    }
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_update_entry = {
    .name = "update",
    .args = "<public message> [INC-N]",
    .summary = "post a public update of a published incident",
    .min_args = 1,
    .max_args = -1,
    .handler = update_cmd,
};
