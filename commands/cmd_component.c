/*
 * `/incident component add|remove <name> [INC-N]`: changes which components
 * an incident affects after it was declared (plan_set_component). The name
 * may be quoted ("EU API") and must be a known one.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "plan.h"

#define COMPONENT_USAGE "`/incident component add|remove <name> [INC-N]`"

static enum bot_rc component_cmd(const struct cmd_call *call, const struct cmd_args *args,
                                 struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    int argc = args->argc;
    bool add;
    if (p == NULL)
        return BOT_ESTATE;
    if (strcmp(args->argv[1], "add") == 0) {
        add = true;
    } else if (strcmp(args->argv[1], "remove") == 0) {
        add = false;
    } else {
        (void)!buf_addstr(&out->reply, ":warning: Expected add or remove, not `");
        (void)!cmd_add_user_text(&out->reply, args->argv[1]);
        (void)!buf_addstr(&out->reply, "`. Usage: " COMPONENT_USAGE);
        return BOT_EINVAL;
    }
    /* A component may be named "42": only INC-42 or #42 names the incident. */
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, false, &inc, &out->reply, &err);
    if (rc == BOT_OK && argc != 3) {
        (void)!buf_addstr(&out->reply, ":warning: Name one component, in quotes when it has "
                          "spaces. Usage: " COMPONENT_USAGE);
        rc = BOT_ENOTFOUND;
    }
    if (rc == BOT_OK)
        rc = plan_set_component(p, &inc, add, args->argv[2], call->user_id, call->response_url,
                                &err);
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_component_entry = {
    .name = "component",
    .args = "add|remove <name> [INC-N]",
    .summary = "add or remove a component the incident affects (the status page follows)",
    .min_args = 2,
    .max_args = 3,
    .handler = component_cmd,
};
