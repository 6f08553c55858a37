/* `/incident promote [INC-N]`: a potential incident becomes a declared one. */
#include "cmd.h"
#include "plan.h"

static enum bot_rc promote(const struct cmd_call *call, const struct cmd_args *args,
                           struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    int argc = args->argc;
    if (p == NULL)
        return BOT_ESTATE;
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, true, &inc, &out->reply, &err);
    if (rc == BOT_OK && argc > 1) {
        (void)!buf_addstr(&out->reply, ":warning: `/incident promote` takes only the incident. "
                          "Usage: `/incident promote [INC-N]`");
        rc = BOT_EINVAL;
    } else if (rc == BOT_OK) {
        struct plan_actor a = {call->user_id, call->channel_id, call->response_url,
                               call->trigger_id};
        rc = plan_promote(p, &a, inc.id, &err);
    }
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_promote_entry = {
    .name = "promote",
    .args = "[INC-N]",
    .summary = "declare a potential incident after all",
    .min_args = 0,
    .max_args = 1,
    .handler = promote,
};
