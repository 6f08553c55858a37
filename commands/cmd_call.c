/* `/incident call <url> [INC-N]`: sets the incident's video call link by hand. */
#include "cmd.h"
#include "plan.h"

static enum bot_rc call_cmd(const struct cmd_call *call, const struct cmd_args *args,
                            struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    int argc = args->argc;
    if (p == NULL)
        return BOT_ESTATE;
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, true, &inc, &out->reply, &err);
    if (rc == BOT_OK && argc != 2) {
        (void)!buf_addstr(&out->reply, ":warning: Give one link. Usage: `/incident call <url> "
                          "[INC-N]`");
        rc = BOT_EINVAL;
    } else if (rc == BOT_OK) {
        rc = plan_set_call(p, &inc, args->argv[1], call->user_id, call->response_url, &err);
    }
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_call_entry = {
    .name = "call",
    .args = "<url> [INC-N]",
    .summary = "set the incident's video call link",
    .min_args = 1,
    .max_args = 2,
    .handler = call_cmd,
};
