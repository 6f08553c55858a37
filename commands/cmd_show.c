/* `/incident show [INC-N]`: one incident's state, roles and links, for the one who asks. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "plan.h"
#include "slack_text.h"

static void show_time(struct buf *b, const char *label, int64_t ms)
{
    char when[40];
    if (ms > 0) {
        plan_fmt_utc(ms, when, sizeof(when));
        (void)!buf_addf(b, "%s: <!date^%lld^{date_short} {time}|%s>\n", label,
                        (long long)(ms / 1000), when);
    }
}

static enum bot_rc show_cmd(const struct cmd_call *call, const struct cmd_args *args,
                            struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    struct store_role *roles = NULL;
    size_t nroles = 0;
    int argc = args->argc;
    if (p == NULL)
        return BOT_ESTATE;
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, true, &inc, &out->reply, &err);
    if (rc == BOT_OK && argc > 1) {
        (void)!buf_addstr(&out->reply, ":warning: `");
        (void)!cmd_add_user_text(&out->reply, args->argv[1]);
        (void)!buf_addstr(&out->reply, "` is not an incident. Usage: `/incident show [INC-N]`");
        rc = BOT_EINVAL;
    }
    if (rc == BOT_OK)
        rc = store_role_list_current(p->store, inc.id, &roles, &nroles, &err);
    if (rc == BOT_OK) {
        struct buf *b = &out->reply;
        (void)!buf_addf(b, "*INC-%lld: ", (long long)inc.id);
        char *title = slack_text_title_dup(inc.title, 4096); /* a label: pings nobody */
        (void)!buf_addstr(b, title);
        free(title);
        (void)!buf_addf(b, "*\nSeverity: %s · Status: %s · Step %d of 9\n", inc.severity,
                        inc.status, inc.step);
        if (inc.channel_id)
            (void)!buf_addf(b, "Channel: <#%s>\n", inc.channel_id);
        show_time(b, "Started", inc.started_at);
        show_time(b, "Declared", inc.declared_at);
        for (size_t i = 0; i < nroles; i++)
            (void)!buf_addf(b, "%s: <@%s>\n", plan_role_title(roles[i].role), roles[i].user_id);
        if (nroles == 0)
            (void)!buf_addstr(b, "No IRM yet.\n");
        if (inc.affected_users >= 0)
            (void)!buf_addf(b, "Affected users: %lld\n", (long long)inc.affected_users);
        if (inc.breach)
            show_time(b, "Breach suspected since", inc.breach_at);
        if (inc.below_threshold)
            (void)!buf_addstr(b, "Declared below the incident definition.\n");
        if (inc.call_url)
            (void)!buf_addf(b, "Video call: %s\n", inc.call_url);
        if (inc.description && inc.description[0]) {
            (void)!buf_addstr(b, "> ");
            (void)!cmd_add_user_text(b, inc.description);
            (void)!buf_addstr(b, "\n");
        }
    }
    store_role_list_free(roles, nroles);
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_show_entry = {
    .name = "show",
    .args = "[INC-N]",
    .summary = "show an incident: severity, status, roles, links",
    .min_args = 0,
    .max_args = 1,
    .handler = show_cmd,
};
