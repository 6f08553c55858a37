/*
 * The incident's words after declaring: `/incident title [--public]` and
 * `/incident description`. Titles are checked as declare checks them
 * (declare_set_title). The public title is what the status page, the mirror
 * and the webhooks show; a published incident's public copies change only
 * when the public title is set on purpose, so renaming it internally first
 * keeps the title the public already read as its public title.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "slack_text.h"
#include "xmalloc.h"

#define EDIT_MAX_DESCRIPTION 3000 /* bytes of a description (the modal's field allows as much) */

/* Whether actor may edit inc; when not, the refusal is answered and *allowed is false. */
static enum bot_rc may_edit(struct plan *p, const struct store_incident *inc, const char *actor,
                            const char *what, const char *url, bool *allowed,
                            struct bot_err *err)
{
    char who[1024], text[1400];
    enum bot_rc rc = plan_may_manage(p, inc, actor, allowed, who, sizeof(who));
    if (rc != BOT_OK || *allowed)
        return rc;
    snprintf(text, sizeof(text), ":no_entry: Only %s may change the %s of INC-%lld; nothing "
             "changed.", who, what, (long long)inc->id);
    return plan_respond(p, url, text, NULL, false, err);
}

enum bot_rc plan_set_title(struct plan *p, struct store_incident *inc, bool public,
                           const char *text, const char *actor, const char *url,
                           struct bot_err *err)
{
    bool allowed = false;
    const char *what = public ? "public title" : "title";
    enum bot_rc rc = may_edit(p, inc, actor, what, url, &allowed, err);
    if (rc != BOT_OK || !allowed)
        return rc;
    struct declare_req *req = xcalloc(1, sizeof(*req));
    struct bot_err verr = {{0}};
    if (declare_set_title(req, text, &verr) != BOT_OK) {
        char *msg = xasprintf(":warning: %s; nothing changed.", verr.msg);
        rc = plan_respond(p, url, msg, NULL, false, err);
        free(msg);
        free(req);
        return rc;
    }
    const char *now = public ? (inc->public_title ? inc->public_title : inc->title) : inc->title;
    if (strcmp(now, req->title) == 0) {
        char *msg = xasprintf("The %s of INC-%lld is that already; nothing changed.", what,
                              (long long)inc->id);
        rc = plan_respond(p, url, msg, NULL, false, err);
        free(msg);
        free(req);
        return rc;
    }
    char *shown = slack_text_title_dup(req->title, 4096);
    char *line = xasprintf("%s %s by <@%s>: %s", public ? "Public title" : "Title",
                           public ? "set" : "changed", actor, shown);
    free(shown);
    if (public) {
        free(inc->public_title);
        inc->public_title = xstrdup(req->title);
    } else {
        if (inc->published && inc->public_title == NULL)
            inc->public_title = xstrdup(inc->title); /* the public keeps what it read */
        free(inc->title);
        inc->title = xstrdup(req->title);
    }
    inc->updated_at = p->now_ms;
    rc = store_incident_update(p->store, inc, err);
    if (rc == BOT_OK)
        rc = plan_record(p, inc, actor, public ? "public_title" : "title", line, err);
    if (rc == BOT_OK && public && inc->published) {
        cJSON *pl = cJSON_CreateObject();
        cJSON_AddStringToObject(pl, "name", req->title);
        rc = plan_mirror(p, inc, HOOK_UPDATED, "statuspage.update", pl, err);
    }
    if (rc == BOT_OK && strcmp(inc->status, "potential") != 0) {
        rc = plan_say(p, inc, line, err);
        if (rc == BOT_OK)
            rc = plan_refresh(p, inc, err);
    }
    if (rc == BOT_OK && url)
        rc = plan_respond(p, url, public && inc->published
                          ? "Done: the status page shows the new public title."
                          : "Done.", NULL, false, err);
    free(line);
    free(req);
    return rc;
}

enum bot_rc plan_set_description(struct plan *p, struct store_incident *inc, const char *text,
                                 const char *actor, const char *url, struct bot_err *err)
{
    bool allowed = false;
    enum bot_rc rc = may_edit(p, inc, actor, "description", url, &allowed, err);
    if (rc != BOT_OK || !allowed)
        return rc;
    if (strlen(text) > EDIT_MAX_DESCRIPTION) {
        char msg[200];
        snprintf(msg, sizeof(msg), ":warning: A description has at most %d characters; nothing "
                 "changed.", EDIT_MAX_DESCRIPTION);
        return plan_respond(p, url, msg, NULL, false, err);
    }
    free(inc->description);
    inc->description = xstrdup(text); /* as typed: Slack's format, converted per output */
    inc->updated_at = p->now_ms;
    rc = store_incident_update(p->store, inc, err);
    char *line = xasprintf("Description changed by <@%s>", actor);
    if (rc == BOT_OK)
        rc = plan_record(p, inc, actor, "description", line, err);
    if (rc == BOT_OK && strcmp(inc->status, "potential") != 0)
        rc = plan_refresh(p, inc, err);
    if (rc == BOT_OK && url)
        rc = plan_respond(p, url, "Done: the control message shows the new description.", NULL,
                          false, err);
    free(line);
    return rc;
}
