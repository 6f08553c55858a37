/*
 * `/incident breach [INC-N]`: a data or security breach is suspected (DPO,
 * regulator clock). `/incident breach notify yes|no <why> [INC-N]` records
 * the decision whether to notify the regulator, which stops the clock's
 * reminders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "plan.h"
#include "slack_text.h"

#define BREACH_USAGE "`/incident breach [INC-N]` or `/incident breach notify yes|no <why> [INC-N]`"

static enum bot_rc decide(const struct cmd_call *call, const struct cmd_args *args, int argc,
                          struct store_incident *inc, struct cmd_result *out, struct bot_err *err)
{
    struct plan *p = call->plan;
    bool yes = argc > 2 && strcmp(args->argv[2], "yes") == 0;
    bool no = argc > 2 && strcmp(args->argv[2], "no") == 0;
    if ((!yes && !no) || argc < 4) {
        (void)!buf_addstr(&out->reply, ":warning: Say whether the regulator is notified and why: "
                          BREACH_USAGE);
        return BOT_EINVAL;
    }
    if (!inc->breach) {
        (void)!buf_addf(&out->reply, ":warning: INC-%lld is not marked as a suspected breach; "
                        "mark it first with `/incident breach`.", (long long)inc->id);
        return BOT_EINVAL;
    }
    struct buf text;
    char *why = cmd_args_raw(args, 3, argc); /* as typed: quotes, spacing, lines */
    buf_init(&text, PLAN_MAX_REASON * 8);
    (void)!buf_addf(&text, "Regulator notification decision by <@%s>: %s. Why: ", call->user_id,
                    yes ? "notify" : "do not notify");
    (void)!slack_text_user(&text, why, strlen(why));
    enum bot_rc rc = store_incident_attr_set(p->store, inc->id, "breach_decision",
                                             buf_str(&text), p->now_ms, err);
    if (rc == BOT_OK)
        rc = plan_record(p, inc, call->user_id, "breach_decision", buf_str(&text), err);
    if (rc == BOT_OK)
        rc = store_reminder_cancel(p->store, inc->id, "breach_clock", p->now_ms, NULL, err);
    if (rc == BOT_OK && strcmp(inc->status, "potential") != 0)
        rc = plan_say(p, inc, buf_str(&text), err);
    if (rc == BOT_OK)
        (void)!buf_addf(&out->reply, "Recorded for INC-%lld; the regulator clock's reminders "
                        "are stopped.", (long long)inc->id);
    free(why);
    buf_free(&text);
    return rc;
}

static enum bot_rc breach_cmd(const struct cmd_call *call, const struct cmd_args *args,
                              struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    int argc = args->argc;
    if (p == NULL)
        return BOT_ESTATE;
    bool notify = argc > 1 && strcmp(args->argv[1], "notify") == 0;
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, !notify, &inc, &out->reply, &err);
    if (rc == BOT_OK && notify) {
        rc = decide(call, args, argc, &inc, out, &err);
    } else if (rc == BOT_OK && argc > 1) {
        (void)!buf_addstr(&out->reply, ":warning: Unexpected `");
        (void)!cmd_add_user_text(&out->reply, args->argv[1]);
        (void)!buf_addstr(&out->reply, "`. Usage: " BREACH_USAGE);
        rc = BOT_EINVAL;
    } else if (rc == BOT_OK) {
        rc = plan_breach(p, &inc, call->user_id, call->response_url, &err);
    }
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_breach_entry = {
    .name = "breach",
    .args = "[notify yes|no <why>] [INC-N]",
    .summary = "mark a suspected data or security breach, or record the notification decision",
    .min_args = 0,
    .max_args = -1,
    .handler = breach_cmd,
};
