/*
 * `/incident status investigating|identified|monitoring|resolved [public
 * message] [INC-N]`: moves the incident on (plan steps 5-7), or corrects it
 * back to an earlier status (monitoring -> identified, identified or
 * monitoring -> investigating). With a message the status changes at once;
 * without, a form asks for the public message, pre-filled from the status's
 * template (see plan_status_request). A resolved incident is reopened with
 * `/incident reopen`.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "plan.h"

#define STATUS_USAGE                                                                              \
    "`/incident status investigating|identified|monitoring|resolved [public message] [INC-N]`"

static enum bot_rc status_cmd(const struct cmd_call *call, const struct cmd_args *args,
                              struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    enum inc_status to;
    int argc = args->argc;
    if (p == NULL)
        return BOT_ESTATE;
    if (!plan_status_parse(args->argv[1], strlen(args->argv[1]), &to)) {
        (void)!buf_addstr(&out->reply, ":warning: There is no status `");
        (void)!cmd_add_user_text(&out->reply, args->argv[1]);
        (void)!buf_addstr(&out->reply,
                          "`: use investigating, identified, monitoring or resolved. "
                          "Usage: " STATUS_USAGE);
        return BOT_EINVAL;
    }
    if (to == ST_POTENTIAL || to > ST_RESOLVED) {
        (void)!buf_addf(&out->reply,
                        ":warning: `/incident status` sets investigating, identified, "
                        "monitoring or resolved; *%s* is not set this way. Usage: " STATUS_USAGE,
                        plan_status_name(to));
        return BOT_EINVAL;
    }
    /* A bare trailing number would be ambiguous with the message ("... in 5"). */
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, argc == 3, &inc, &out->reply, &err);
    if (rc == BOT_OK) {
        char *msg = cmd_args_raw(args, 2, argc); /* as typed: quotes, spacing, lines */
        struct plan_actor a = {call->user_id, call->channel_id, call->response_url,
                               call->trigger_id};
        rc = plan_status_request(p, &a, &inc, to, argc > 2 ? msg : NULL, &err);
        free(msg);
    }
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_status_entry = {
    .name = "status",
    .args = "investigating|identified|monitoring|resolved [public message] [INC-N]",
    .summary = "move the incident on, or back after a failed fix; without a message a form asks "
               "for the public one",
    .min_args = 1,
    .max_args = -1,
    .handler = status_cmd,
};
