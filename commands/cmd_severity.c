/* `/incident severity critical|major|minor [why...] [INC-N]`: re-assesses the severity. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "plan.h"

#define SEVERITY_USAGE "`/incident severity critical|major|minor [why] [INC-N]`"

static enum bot_rc severity_cmd(const struct cmd_call *call, const struct cmd_args *args,
                                struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    enum severity sev;
    int argc = args->argc;
    if (p == NULL)
        return BOT_ESTATE;
    if (!plan_severity_parse(args->argv[1], strlen(args->argv[1]), &sev)) {
        (void)!buf_addstr(&out->reply, ":warning: There is no severity `");
        (void)!cmd_add_user_text(&out->reply, args->argv[1]);
        (void)!buf_addstr(&out->reply, "`: use critical, major or minor. Usage: " SEVERITY_USAGE);
        return BOT_EINVAL;
    }
    /* A bare trailing number would be ambiguous with the reason ("... for 500"). */
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, argc == 3, &inc, &out->reply, &err);
    if (rc == BOT_OK) {
        char *why = cmd_args_raw(args, 2, argc); /* as typed: quotes, spacing, lines */
        rc = plan_set_severity(p, &inc, sev, call->user_id, why, call->response_url, &err);
        free(why);
    }
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_severity_entry = {
    .name = "severity",
    .args = "critical|major|minor [why] [INC-N]",
    .summary = "change the severity, saying why",
    .min_args = 1,
    .max_args = -1,
    .handler = severity_cmd,
};
