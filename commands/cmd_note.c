/*
 * `/incident note <text> [INC-N]`: records a finding or mitigation on the
 * timeline (plan step 4) and posts it in the channel and under the
 * announcement.
 */
#include <stdlib.h>

#include "cmd.h"
#include "plan.h"

static enum bot_rc note_cmd(const struct cmd_call *call, const struct cmd_args *args,
                            struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    int argc = args->argc;
    if (p == NULL)
        return BOT_ESTATE;
    /* Only INC-N or #N name the incident: a note may well end with a number. */
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, false, &inc, &out->reply, &err);
    if (rc == BOT_OK && argc < 2) {
        (void)!buf_addstr(&out->reply, ":warning: Write the finding or mitigation to note. "
                                       "Usage: `/incident note <text> [INC-N]`");
        rc = BOT_EINVAL;
    } else if (rc == BOT_OK) {
        char *text = cmd_args_raw(args, 1, argc); /* as typed: quotes, spacing, lines */
        rc = plan_note(p, &inc, call->user_id, text, call->response_url, &err);
        free(text);
    }
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_note_entry = {
    .name = "note",
    .args = "<text> [INC-N]",
    .summary = "record a finding or mitigation on the timeline",
    .min_args = 1,
    .max_args = -1,
    .handler = note_cmd,
};
