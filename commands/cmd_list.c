/* `/incident list`: the open incidents, oldest first, potential ones marked. */
#include <stdlib.h>

#include "cmd.h"
#include "plan.h"
#include "slack_text.h"

static enum bot_rc list_cmd(const struct cmd_call *call, const struct cmd_args *args,
                            struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident *rows = NULL;
    size_t n = 0;
    (void)args;
    if (p == NULL)
        return BOT_ESTATE;
    enum bot_rc rc = store_incident_list_open(p->store, &rows, &n, &err);
    if (rc)
        return rc;
    if (n == 0)
        (void)!buf_addstr(&out->reply, "No open incidents. :tada:");
    else
        (void)!buf_addf(&out->reply, "*%zu open incident%s:*\n", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n && i < PLAN_MAX_LIST; i++) {
        const struct store_incident *r = &rows[i];
        (void)!buf_addf(&out->reply, "• *INC-%lld* %s · %s · ", (long long)r->id, r->severity,
                        r->status);
        bool may = false;
        if (plan_may_read(p, r, call->user_id, call->channel_id, &may, &err) != BOT_OK || !may) {
            (void)!buf_addstr(&out->reply, ":lock: a private incident\n");
            continue;
        }
        if (r->channel_id)
            (void)!buf_addf(&out->reply, "<#%s> · ", r->channel_id);
        char *title = slack_text_title_dup(r->title, 4096); /* a label: pings nobody */
        bool full = cmd_add_user_text(&out->reply, title) != BOT_OK ||
                    buf_addstr(&out->reply, "\n") != BOT_OK;
        free(title);
        if (full)
            break;
    }
    if (n > PLAN_MAX_LIST)
        (void)!buf_addf(&out->reply, "…and %zu more.\n", n - PLAN_MAX_LIST);
    store_incident_list_free(rows, n);
    return BOT_OK;
}

const struct cmd_entry cmd_list_entry = {
    .name = "list",
    .args = "",
    .summary = "list the open incidents",
    .min_args = 0,
    .max_args = 0,
    .handler = list_cmd,
};
