/* `/incident description <text> [INC-N]`: replaces the description on the control message. */
#include <stdlib.h>

#include "cmd.h"
#include "plan.h"

static enum bot_rc description_cmd(const struct cmd_call *call, const struct cmd_args *args,
                                   struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    int argc = args->argc;
    if (p == NULL)
        return BOT_ESTATE;
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, false, &inc, &out->reply, &err);
    if (rc == BOT_OK && argc < 2) {
        (void)!buf_addstr(&out->reply, ":warning: Write the description. Usage: "
                                       "`/incident description <text> [INC-N]`");
        rc = BOT_ENOTFOUND;
    } else if (rc == BOT_OK) {
        char *text = cmd_args_raw(args, 1, argc); /* as typed: quotes, spacing, lines */
        rc = plan_set_description(p, &inc, text, call->user_id, call->response_url, &err);
        free(text);
    }
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_description_entry = {
    .name = "description",
    .args = "<text> [INC-N]",
    .summary = "replace the incident's description (on the control message)",
    .min_args = 1,
    .max_args = -1,
    .handler = description_cmd,
};
