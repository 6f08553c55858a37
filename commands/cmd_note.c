/*
 * `/incident note <text> [INC-N]`: records a finding or mitigation on the
 * timeline (plan step 4) and posts it in the channel and under the
 * announcement.
 */
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
        struct buf text;
        buf_init(&text, CMD_MAX_TEXT + CMD_MAX_ARGS);
        for (int i = 1; i < argc; i++)
            if (buf_addf(&text, "%s%s", i > 1 ? " " : "", args->argv[i]) != BOT_OK)
                break; /* cannot happen: the words came from at most CMD_MAX_TEXT bytes */
        rc = plan_note(p, &inc, call->user_id, buf_str(&text), call->response_url, &err);
        buf_free(&text);
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
