/*
 * `/incident declare [<title> [flags]]`: with words, declares at once (see
 * declare_parse for the flags); without, opens the declare modal, which
 * must happen within Slack's 3-second trigger_id window, so views.open goes
 * to the fast lane.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "plan.h"
#include "render.h"
#include "xmalloc.h"

static enum bot_rc open_modal(const struct cmd_call *call, struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    char **names = NULL;
    size_t nc = 0;
    if (call->trigger_id == NULL || call->trigger_id[0] == '\0') {
        (void)!buf_addstr(&out->reply, ":warning: Slack sent no trigger to open the declare form "
                          "with. Declare with words instead: `/incident declare " DECLARE_USAGE
                          "`");
        return BOT_EINVAL;
    }
    /* Every configured component, not only those an incident named before. */
    enum bot_rc rc = plan_components_known(p, &names, &nc, &err);
    if (rc)
        return rc;
    cJSON *meta = cJSON_CreateObject();
    cJSON_AddStringToObject(meta, "channel", call->channel_id ? call->channel_id : "");
    cJSON_AddStringToObject(meta, "response_url", call->response_url ? call->response_url : "");
    char *metas = cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    struct render_declare_defaults d = {
        .private_metadata = strlen(metas) <= RENDER_MAX_PRIVATE_META ? metas : NULL,
        .components = (const char *const *)names,
        .n_components = nc,
    };
    cJSON *view = NULL;
    rc = render_declare_modal(&d, &view);
    if (rc == BOT_OK) {
        cJSON *pl = cJSON_CreateObject();
        cJSON_AddStringToObject(pl, "method", "views.open");
        cJSON *args = cJSON_AddObjectToObject(pl, "args");
        cJSON_AddStringToObject(args, "trigger_id", call->trigger_id);
        cJSON_AddItemToObject(args, "view", view);
        rc = plan_effect(p, 0, "fast", "slack.call", pl, &err);
    }
    free(metas);
    plan_components_free(names, nc);
    return rc;
}

static enum bot_rc declare(const struct cmd_call *call, const struct cmd_args *args,
                           struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    if (p == NULL)
        return BOT_ESTATE;
    if (args->argc == 1)
        return open_modal(call, out);
    struct declare_req *req = xmalloc(sizeof(*req));
    enum bot_rc rc = declare_parse(args, 1, p->now_ms, p->tz_offset_min, req, &err);
    if (rc == BOT_EINVAL) {
        (void)!buf_addf(&out->reply, ":warning: %s\nUsage: `%s declare " DECLARE_USAGE "`, or "
                        "`%s declare` alone for a form.", err.msg,
                        call->command ? call->command : "/incident",
                        call->command ? call->command : "/incident");
        free(req);
        return BOT_EINVAL;
    }
    if (rc == BOT_OK) {
        struct plan_actor a = {call->user_id, call->channel_id, call->response_url,
                               call->trigger_id};
        rc = plan_declare(p, &a, req, NULL, &err);
    }
    free(req);
    return rc;
}

const struct cmd_entry cmd_declare_entry = {
    .name = "declare",
    .args = DECLARE_USAGE,
    .summary = "declare an incident: its channel, roles and announcement (alone: a form)",
    .min_args = 0,
    .max_args = -1,
    .handler = declare,
};
