/* `/incident role irm|tech|support|dpo @user|me [INC-N]`: appoints a member of the response team. */
#include <stdio.h>

#include "cmd.h"
#include "plan.h"

#define ROLE_USAGE "`/incident role irm|tech|support|dpo @someone|me [INC-N]`"

static enum bot_rc role_cmd(const struct cmd_call *call, const struct cmd_args *args,
                            struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    const char *role;
    char user[64], why[400];
    int argc = args->argc;
    if (p == NULL)
        return BOT_ESTATE;
    if (!plan_role_parse(args->argv[1], &role)) {
        (void)!buf_addstr(&out->reply, ":warning: There is no role `");
        (void)!cmd_add_user_text(&out->reply, args->argv[1]);
        (void)!buf_addstr(&out->reply, "`: the roles are irm, tech (technical liaison), support "
                          "(support liaison) and dpo. Usage: " ROLE_USAGE);
        return BOT_EINVAL;
    }
    if (!plan_parse_user(args->argv[2], call->user_id, user, sizeof(user), why, sizeof(why))) {
        (void)!buf_addf(&out->reply, ":warning: %s. Usage: " ROLE_USAGE, why);
        return BOT_EINVAL;
    }
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, true, &inc, &out->reply, &err);
    if (rc == BOT_OK && argc != 3) {
        (void)!buf_addstr(&out->reply, ":warning: Too many words. Usage: " ROLE_USAGE);
        rc = BOT_EINVAL;
    } else if (rc == BOT_OK) {
        rc = plan_assign(p, &inc, role, user, call->user_id, call->response_url, &err);
    }
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_role_entry = {
    .name = "role",
    .args = "irm|tech|support|dpo @someone|me [INC-N]",
    .summary = "appoint the IRM, a liaison or the DPO",
    .min_args = 2,
    .max_args = 3,
    .handler = role_cmd,
};
