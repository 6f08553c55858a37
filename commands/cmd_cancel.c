/*
 * `/incident cancel <why> [INC-N]`: not an incident after all (a test, a
 * mistake). Whoever may manage the incident may cancel it until it is
 * closed; a potential incident is dismissed the same way. The record keeps
 * everything: the row ends closed with the attribute "cancelled" (the why)
 * and "cancelled.by", since the incidents.status CHECK of migration 1 cannot
 * gain a value without the table rebuild store_open() does not do. Every
 * pending reminder goes (no postmortem clock), the channel is told who and
 * why, the control message, topic and announcement are refreshed. A
 * published incident is withdrawn: off the built-in page (published
 * cleared, published_at kept), deleted on the Atlassian mirror
 * (statuspage.delete) and announced to the webhooks (incident.withdrawn).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "hook.h"
#include "plan.h"
#include "render.h"
#include "slack_text.h"
#include "store_reminder.h"
#include "xmalloc.h"

#define CANCEL_USAGE   "`/incident cancel <why> [INC-N]`"
#define CANCEL_WHY_MAX 2000 /* bytes of the why, as typed */
#define CANCEL_PUBLIC_TEXT                                                                         \
    "This incident has been withdrawn: after review it was not an incident. We apologise for "     \
    "any confusion."

/* A copy of s without leading and trailing blanks (may be ""); caller frees. */
static char *trim_dup(const char *s)
{
    const char *end = s + strlen(s);
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
        end--;
    return xmemdup0(s, (size_t)(end - s));
}

/* Refusals; true (answered in out) when the cancel cannot go on. */
static bool refused(struct plan *p, const struct plan_actor *a, const struct store_incident *inc,
                    const char *why, struct buf *reply, enum bot_rc *rc, struct bot_err *err)
{
    char who[600];
    bool allowed = false;
    char *was = NULL;
    *rc = BOT_OK;
    if (why[0] == '\0') {
        (void)!buf_addstr(reply, ":warning: Say why it is not an incident (it goes to the "
                                       "channel and the timeline). Usage: " CANCEL_USAGE);
        return true;
    }
    if (strlen(why) > CANCEL_WHY_MAX) {
        (void)!buf_addf(reply,
                        ":warning: The why is too long (at most %d bytes). Nothing "
                        "changed.",
                        CANCEL_WHY_MAX);
        return true;
    }
    if (strcmp(inc->status, "closed") == 0) {
        *rc = store_incident_attr_get(p->store, inc->id, "cancelled", &was, err);
        if (*rc == BOT_OK || *rc == BOT_ENOTFOUND) {
            (void)!buf_addf(reply,
                            ":information_source: INC-%lld is %s already; nothing "
                            "changed.",
                            (long long)inc->id, was ? "cancelled" : "closed");
            *rc = BOT_OK;
        }
        free(was);
        return true;
    }
    *rc = plan_may_manage(p, inc, a->user_id, &allowed, who, sizeof(who));
    if (*rc == BOT_OK && !allowed) {
        (void)!buf_addf(reply, ":no_entry: Only %s may cancel INC-%lld; nothing changed.",
                        who, (long long)inc->id);
        return true;
    }
    return *rc != BOT_OK;
}

/* Off the page, the mirror and to the webhooks: inc is still the published row here. */
static enum bot_rc withdraw(struct plan *p, const struct store_incident *inc, struct bot_err *err)
{
    cJSON *pl = cJSON_CreateObject();
    cJSON_AddStringToObject(pl, "status", "withdrawn");
    cJSON_AddStringToObject(pl, "body", CANCEL_PUBLIC_TEXT);
    cJSON_AddStringToObject(pl, "impact", inc->severity);
    return plan_mirror(p, inc, HOOK_WITHDRAWN, "statuspage.delete", pl, err);
}

enum bot_rc plan_cancel(struct plan *p, const struct plan_actor *a, struct store_incident *inc,
                        const char *why, struct buf *reply, struct bot_err *err)
{
    const char *actor = a->user_id;
    long long id = (long long)inc->id;
    bool potential = strcmp(inc->status, "potential") == 0;
    bool was_published = inc->published != 0;
    enum bot_rc rc;
    if (refused(p, a, inc, why, reply, &rc, err))
        return rc == BOT_OK ? BOT_EINVAL : rc;

    struct store_incident pub = *inc; /* shallow: the published row, for withdraw() */
    char *msg = slack_text_user_dup(why, 256 * 1024);
    char *text = NULL;

    free(inc->status);
    inc->status = xstrdup("closed");
    inc->closed_at = p->now_ms;
    inc->updated_at = p->now_ms;
    inc->published = 0; /* the page shows published incidents only; published_at is kept */
    pub.status = inc->status;
    rc = store_incident_update(p->store, inc, err);
    if (rc == BOT_OK)
        rc = store_incident_attr_set(p->store, inc->id, "cancelled", why, p->now_ms, err);
    if (rc == BOT_OK)
        rc = store_incident_attr_set(p->store, inc->id, "cancelled.by", actor, p->now_ms, err);
    if (rc == BOT_OK)
        rc = store_incident_attr_set(p->store, inc->id, "postmortem.due_at", "0", p->now_ms, err);
    if (rc == BOT_OK)
        rc = store_reminder_cancel(p->store, inc->id, NULL, p->now_ms, NULL, err);
    if (rc == BOT_OK) {
        text = xasprintf("%s by <@%s>: not an incident after all.%s Why: %s",
                         potential ? "Dismissed" : "Cancelled", actor,
                         was_published ? " Withdrawn from the status page." : "", msg);
        rc = plan_record(p, inc, actor, "cancel", text, err);
    }
    if (rc == BOT_OK && was_published)
        rc = withdraw(p, &pub, err);
    if (rc == BOT_OK && !potential) {
        struct buf b;
        buf_init(&b, 300 * 1024);
        (void)!buf_addf(&b,
                        ":no_entry_sign: <@%s> cancelled INC-%lld: not an incident after "
                        "all.\n*Why:* %s",
                        actor, id, msg);
        if (was_published)
            (void)!buf_addstr(&b, "\nIt is withdrawn from the status page (and deleted on the "
                                  "Statuspage mirror); the record keeps everything.");
        (void)!buf_addstr(&b, "\nNo postmortem is due and its reminders are cancelled.");
        rc = plan_say(p, inc, buf_str(&b), err);
        buf_free(&b);
        if (rc == BOT_OK)
            rc = plan_refresh(p, inc, err);
        if (rc == BOT_OK) {
            struct render_update u = {
                .kind = RENDER_UPDATE_CANCELLED, .actor = actor, .text = why};
            rc = plan_announce_update(p, inc, &u, err);
        }
    }
    if (rc == BOT_OK)
        (void)!buf_addf(reply,
                        potential ? "Done: potential INC-%lld is dismissed."
                                  : "Done: INC-%lld is cancelled%s.",
                        id, was_published ? " and withdrawn from the status page" : "");
    free(text);
    free(msg);
    return rc;
}

static enum bot_rc cancel_cmd(const struct cmd_call *call, const struct cmd_args *args,
                              struct cmd_result *out)
{
    struct bot_err err = {{0}};
    struct store_incident inc;
    int argc = args->argc;
    if (call->plan == NULL)
        return BOT_ESTATE;
    /* Only INC-N or #N name the incident: a why may well end with a number. */
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, false, &inc, &out->reply, &err);
    if (rc == BOT_OK) {
        char *raw = argc > 1 ? cmd_args_raw(args, 1, argc) : NULL; /* as typed */
        char *why = trim_dup(raw ? raw : "");
        struct plan_actor a = {call->user_id, call->channel_id, call->response_url,
                               call->trigger_id};
        rc = plan_cancel(call->plan, &a, &inc, why, &out->reply, &err);
        free(why);
        free(raw);
    }
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_cancel_entry = {
    .name = "cancel",
    .args = "<why> [INC-N]",
    .summary = "not an incident after all (a test, a mistake): cancel it, or dismiss a potential "
               "one; a published one is withdrawn",
    .min_args = 0,
    .max_args = -1,
    .handler = cancel_cmd,
};
