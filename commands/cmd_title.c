/*
 * `/incident title [--public] <title> [INC-N]`: renames the incident, or
 * with --public sets the title the status page, the mirror and the webhooks
 * show (plan_set_title). A flag rather than a second command, as declare
 * takes its options.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "plan.h"

#define TITLE_USAGE "`/incident title [--public] <title> [INC-N]`"

static enum bot_rc title_cmd(const struct cmd_call *call, const struct cmd_args *args,
                             struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    int argc = args->argc, from = 1;
    if (p == NULL)
        return BOT_ESTATE;
    bool public = strcmp(args->argv[1], "--public") == 0;
    if (public)
        from = 2;
    /* Only INC-N or #N name the incident: a title may end with a number. */
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, false, &inc, &out->reply, &err);
    if (rc == BOT_OK && argc <= from) {
        (void)!buf_addstr(&out->reply, ":warning: Write the new title. Usage: " TITLE_USAGE);
        rc = BOT_ENOTFOUND;
    } else if (rc == BOT_OK) {
        char *text = cmd_args_raw(args, from, argc);
        rc = plan_set_title(p, &inc, public, text, call->user_id, call->response_url, &err);
        free(text);
    }
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_title_entry = {
    .name = "title",
    .args = "[--public] <title> [INC-N]",
    .summary = "rename the incident; --public: the title the status page shows",
    .min_args = 1,
    .max_args = -1,
    .handler = title_cmd,
};
