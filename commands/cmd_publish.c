/*
 * `/incident publish [public message] [INC-N]`: a preview of what the status
 * page will say, and a button to make the incident public (plan step 2: an
 * explicit decision of the response team, never automatic).
 * `/incident publish --internal <why> [INC-N]`: the decision not to.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "plan.h"

static enum bot_rc publish_cmd(const struct cmd_call *call, const struct cmd_args *args,
                               struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    int argc = args->argc;
    if (p == NULL)
        return BOT_ESTATE;
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, argc == 2, &inc, &out->reply, &err);
    bool internal = argc > 1 && strcmp(args->argv[1], "--internal") == 0;
    if (rc == BOT_OK) {
        /* as typed: quotes, spacing, lines */
        char *msg = argc > 1 + internal ? cmd_args_raw(args, 1 + internal, argc) : NULL;
        struct plan_actor a = {call->user_id, call->channel_id, call->response_url,
                               call->trigger_id};
        if (internal)
            rc = plan_keep_internal(p, &a, &inc, msg, &err);
        else
            rc = plan_publish_preview(p, &a, &inc, msg, &err);
        free(msg);
    }
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_publish_entry = {
    .name = "publish",
    .args = "[public message] | --internal <why> [INC-N]",
    .summary = "preview the incident on the public status page, then publish it; --internal: "
               "decide to keep it internal",
    .min_args = 0,
    .max_args = -1,
    .handler = publish_cmd,
};
