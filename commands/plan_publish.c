/*
 * Plan step 2's public half: making an incident public (a preview first,
 * then an explicit confirmation: never automatic), public updates, and the
 * status-page effects that mirror every public change. The built-in status
 * page reads published incidents straight from the store; the hosted
 * Atlassian page is fed through the outbox's "statuspage" lane, only when
 * that mirror is configured (plan_config.mirror), and each outgoing webhook
 * subscribed to the change through a lane of its own (plan_config.webhooks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "hook.h"
#include "plan.h"
#include "render.h"
#include "slack_text.h"
#include "store_component.h"
#include "store_timeline.h"
#include "xmalloc.h"

#define PUBLISH_DRAFT_ATTR "publish_draft"

const char *plan_component_status(const char *severity)
{
    if (severity != NULL && strcmp(severity, "critical") == 0)
        return "major_outage";
    if (severity != NULL && strcmp(severity, "major") == 0)
        return "partial_outage";
    return "degraded_performance";
}

/* Statuspage's component statuses by how bad they are; unknown ones count as operational. */
static int component_rank(const char *status)
{
    static const char *const order[] = {"operational", "under_maintenance",
                                        "degraded_performance", "partial_outage", "major_outage"};
    for (int i = (int)(sizeof(order) / sizeof(order[0])) - 1; i > 0; i--)
        if (strcmp(status, order[i]) == 0)
            return i;
    return 0;
}

enum bot_rc plan_sync_component(struct plan *p, const char *name, struct bot_err *err)
{
    struct store_component_link *h = NULL;
    size_t nh = 0;
    char worst[32] = "operational";
    enum bot_rc rc = store_component_holders(p->store, name, &h, &nh, err);
    for (size_t k = 0; rc == BOT_OK && k < nh; k++) {
        struct store_incident other;
        store_incident_init(&other);
        rc = store_incident_get(p->store, h[k].incident_id, &other, err);
        if (rc == BOT_ENOTFOUND) {
            rc = BOT_OK;
        } else if (rc == BOT_OK && other.published) {
            const char *st = h[k].impact ? h[k].impact : plan_component_status(other.severity);
            if (component_rank(st) > component_rank(worst))
                snprintf(worst, sizeof(worst), "%s", st);
        }
        store_incident_clear(&other);
    }
    store_component_links_free(h, nh);
    if (rc == BOT_OK)
        rc = store_component_set_status(p->store, name, worst, p->now_ms, NULL, err);
    return rc;
}

enum bot_rc plan_sync_components(struct plan *p, const struct store_incident *inc,
                                 struct bot_err *err)
{
    struct store_component_link *links = NULL;
    size_t nl = 0;
    enum bot_rc rc = store_incident_component_list(p->store, inc->id, &links, &nl, err);
    for (size_t i = 0; rc == BOT_OK && i < nl; i++)
        rc = plan_sync_component(p, links[i].component, err);
    store_component_links_free(links, nl);
    return rc;
}

/* Stored text (Slack's format) as the public reads it: plain words, people by name. Caller frees. */
static char *public_text(struct plan *p, const char *s)
{
    struct slack_names names;
    audience_public_names(&names, p->store);
    return slack_text_plain_dup(s, 256 * 1024, &names);
}

/*
 * The webhook body of event ev of inc, built from the public data only: the
 * mirror's payload gives this change's status, message and impact; the
 * rest is the incident as stored. One event id for every webhook, made of
 * the decision's id so a decision made twice makes the same one.
 */
static enum bot_rc webhook_effects(struct plan *p, const struct store_incident *inc,
                                   enum hook_event ev, const cJSON *payload, struct bot_err *err)
{
    const struct plan_config *c = p->cfg;
    bool any = false;
    for (size_t i = 0; i < c->n_webhooks && !any; i++)
        any = (c->webhooks[i].events & (1u << ev)) != 0;
    if (!any)
        return BOT_OK;
    struct store_component_link *links = NULL;
    size_t nl = 0;
    enum bot_rc rc = store_incident_component_list(p->store, inc->id, &links, &nl, err);
    if (rc)
        return rc;
    const char **names = nl ? xcalloc(nl, sizeof(*names)) : NULL;
    for (size_t i = 0; i < nl; i++)
        names[i] = links[i].component;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(payload, "status");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(payload, "body");
    const cJSON *impact = cJSON_GetObjectItemCaseSensitive(payload, "impact");
    char *url = NULL;
    if (c->statuspage_url && c->statuspage_url[0]) {
        if (inc->slug && inc->slug[0])
            url = xasprintf("%sincidents/%s", c->statuspage_url, inc->slug);
        else
            url = xasprintf("%sincidents/INC-%lld", c->statuspage_url, (long long)inc->id);
    }
    const char *status = cJSON_IsString(st) ? st->valuestring : inc->status;
    char *name = public_text(p, inc->public_title ? inc->public_title : inc->title);
    struct hook_incident hi = {
        .id = inc->id,
        .name = name,
        .status = status,
        .impact = cJSON_IsString(impact) ? impact->valuestring : inc->severity,
        .message = cJSON_IsString(body) ? body->valuestring : NULL,
        .components = names,
        .n_components = nl,
        .created_at = inc->published_at > 0 ? inc->published_at : p->now_ms,
        .updated_at = p->now_ms,
        .resolved_at = strcmp(status, "investigating") == 0 || strcmp(status, "identified") == 0 ||
                               strcmp(status, "monitoring") == 0
                           ? 0
                           : (inc->resolved_at > 0 ? inc->resolved_at : p->now_ms),
        .url = url,
        .postmortem_published_at = inc->postmortem_published_at,
        .postmortem_updated_at = inc->postmortem_updated_at,
    };
    char *event_id = xasprintf("%s/%u", p->event_id, p->seq);
    cJSON *doc = hook_payload(event_id, ev, p->now_ms, &hi);
    for (size_t i = 0; rc == BOT_OK && i < c->n_webhooks; i++) {
        if ((c->webhooks[i].events & (1u << ev)) == 0)
            continue;
        cJSON *pl = cJSON_CreateObject();
        cJSON_AddStringToObject(pl, "event", hook_event_name(ev));
        cJSON_AddStringToObject(pl, "id", event_id);
        cJSON_AddItemToObject(pl, "body", cJSON_Duplicate(doc, true));
        rc = plan_effect(p, inc->id, c->webhooks[i].lane, HOOK_KIND, pl, err);
    }
    cJSON_Delete(doc);
    free(event_id);
    free(name);
    free(url);
    free(names);
    store_component_links_free(links, nl);
    return rc;
}

enum bot_rc plan_mirror(struct plan *p, const struct store_incident *inc, enum hook_event ev,
                        const char *kind, cJSON *payload, struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    if (audience_show(&p->cfg->privacy, inc, AUD_PUBLIC, AUD_TEXT_PUBLIC_UPDATE) !=
        AUD_SHOW_FULL) {
        cJSON_Delete(payload);
        return BOT_OK;
    }
    /* The one conversion of this change's texts for every public copy (mirror and webhooks). */
    static const char *const texts[] = {"body", "name"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(payload, texts[i]);
        if (cJSON_IsString(v) && v->valuestring != NULL) {
            char *plain = public_text(p, v->valuestring);
            cJSON_ReplaceItemInObjectCaseSensitive(payload, texts[i], cJSON_CreateString(plain));
            free(plain);
        }
    }
    /* Our own page first: its components follow every public change. */
    rc = plan_sync_components(p, inc, err);
    if (rc == BOT_OK)
        rc = webhook_effects(p, inc, ev, payload, err);
    if (rc == BOT_OK && p->cfg->mirror)
        return plan_effect(p, inc->id, "statuspage", kind, payload, err);
    cJSON_Delete(payload);
    return rc;
}

/* The public message proposed when none is given. */
static char *default_message(const struct store_incident *inc)
{
    if (strcmp(inc->status, "investigating") == 0)
        return xstrdup("We are investigating reports of a problem. We will post an update as "
                       "soon as we know more.");
    return xasprintf("We are aware of a problem and it is %s. We will post an update as soon as "
                     "we know more.", inc->status);
}

static cJSON *button(const char *text, const char *action_id, const char *value, const char *style)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "type", "button");
    cJSON *l = cJSON_AddObjectToObject(e, "text");
    cJSON_AddStringToObject(l, "type", "plain_text");
    cJSON_AddStringToObject(l, "text", text);
    cJSON_AddStringToObject(e, "action_id", action_id);
    cJSON_AddStringToObject(e, "value", value);
    if (style)
        cJSON_AddStringToObject(e, "style", style);
    return e;
}

/* Whether /incident cancel ended it (its "cancelled" attribute; a read failure counts as no). */
static bool was_cancelled(struct plan *p, const struct store_incident *inc)
{
    char *why = NULL;
    struct bot_err e;
    bool yes = store_incident_attr_get(p->store, inc->id, "cancelled", &why, &e) == BOT_OK;
    free(why);
    return yes;
}

/* Refusals shared by publish and update; true (answered) when the request cannot go on. */
static bool refused(struct plan *p, const struct store_incident *inc, const char *user,
                    const char *url, bool want_published, enum bot_rc *rc, struct bot_err *err)
{
    char text[1400], who[1024];
    bool allowed = true;
    *rc = BOT_OK;
    if (was_cancelled(p, inc)) {
        snprintf(text, sizeof(text), ":warning: INC-%lld was cancelled (not an incident): it is "
                 "not public and is not published again; nothing changed.", (long long)inc->id);
    } else if (strcmp(inc->status, "potential") == 0) {
        snprintf(text, sizeof(text), ":warning: INC-%lld is a potential incident: promote it "
                 "first (`/incident promote %lld`); nothing changed.", (long long)inc->id,
                 (long long)inc->id);
    } else if (!want_published && inc->published) {
        snprintf(text, sizeof(text), "INC-%lld is public already; post public updates with "
                 "`/incident update <message>` or a status change.", (long long)inc->id);
    } else if (want_published && !inc->published) {
        snprintf(text, sizeof(text), ":warning: INC-%lld is not public: publish it first with "
                 "`/incident publish [message]`; nothing changed.", (long long)inc->id);
    } else if ((*rc = plan_may_manage(p, inc, user, &allowed, who, sizeof(who))) != BOT_OK) {
        return true;
    } else if (!allowed) {
        snprintf(text, sizeof(text), ":no_entry: Only %s may %s INC-%lld; nothing changed.", who,
                 want_published ? "post public updates of" : "publish", (long long)inc->id);
    } else {
        return false;
    }
    *rc = plan_respond(p, url, text, NULL, false, err);
    return true;
}

/* Checks a public message: 1..RENDER_MAX_STATUS_MESSAGE-like bound, not blank. */
static bool message_ok(const char *m, char *why, size_t whysz)
{
    size_t n = 0;
    bool blank = true;
    for (const unsigned char *c = (const unsigned char *)m; *c; c++) {
        if ((*c & 0xc0) != 0x80)
            n++;
        if (*c > ' ')
            blank = false;
    }
    if (blank)
        snprintf(why, whysz, ":warning: The public message is empty; nothing changed.");
    else if (n > PLAN_MAX_PUBLIC_MESSAGE)
        snprintf(why, whysz, ":warning: The public message is %zu characters long; at most %d "
                 "are accepted; nothing changed.", n, PLAN_MAX_PUBLIC_MESSAGE);
    return !blank && n <= PLAN_MAX_PUBLIC_MESSAGE;
}

enum bot_rc plan_publish_preview(struct plan *p, const struct plan_actor *a,
                                 const struct store_incident *inc, const char *message,
                                 struct bot_err *err)
{
    enum bot_rc rc;
    char why[300];
    if (refused(p, inc, a->user_id, a->response_url, false, &rc, err))
        return rc;
    char *msg = message && *message ? xstrdup(message) : default_message(inc);
    if (!message_ok(msg, why, sizeof(why))) {
        free(msg);
        return plan_respond(p, a->response_url, why, NULL, false, err);
    }
    /* The draft waits in the store: a button's value is too small for a long message. */
    rc = store_incident_attr_set(p->store, inc->id, PUBLISH_DRAFT_ATTR, msg, p->now_ms, err);
    if (rc) {
        free(msg);
        return rc;
    }
    struct buf b;
    buf_init(&b, 8192);
    (void)!buf_addf(&b, "*Preview: INC-%lld on the public status page*\n>*", (long long)inc->id);
    /* Shown as the public will read it: plain words, then escaped for Slack. */
    char *title = public_text(p, inc->public_title ? inc->public_title : inc->title);
    char *plain = public_text(p, msg);
    (void)!slack_text_escape(&b, title, strlen(title));
    (void)!buf_addf(&b, "* — %s, impact %s\n>", inc->status, inc->severity);
    for (const char *c = plain; *c; c++) {
        if (*c == '\n')
            (void)!buf_addstr(&b, "\n>");
        else
            (void)!slack_text_escape(&b, c, 1);
    }
    (void)!buf_addstr(&b, "\nOnce public, every status change, update and the postmortem are "
                          "mirrored there. Publish it?");
    free(title);
    free(plain);
    char value[24];
    snprintf(value, sizeof(value), "%lld", (long long)inc->id);
    cJSON *blocks = cJSON_CreateArray(), *sec = cJSON_CreateObject(), *t, *acts, *els;
    cJSON_AddStringToObject(sec, "type", "section");
    t = cJSON_AddObjectToObject(sec, "text");
    cJSON_AddStringToObject(t, "type", "mrkdwn");
    cJSON_AddStringToObject(t, "text", buf_str(&b));
    cJSON_AddItemToArray(blocks, sec);
    acts = cJSON_CreateObject();
    cJSON_AddStringToObject(acts, "type", "actions");
    els = cJSON_AddArrayToObject(acts, "elements");
    cJSON_AddItemToArray(els, button("Publish", "inc_publish_confirm", value, "primary"));
    cJSON_AddItemToArray(els, button("Not yet", "inc_publish_cancel", value, NULL));
    cJSON_AddItemToArray(blocks, acts);
    rc = plan_respond(p, a->response_url, buf_str(&b), blocks, false, err);
    buf_free(&b);
    free(msg);
    return rc;
}

enum bot_rc plan_publish(struct plan *p, const struct plan_actor *a, struct store_incident *inc,
                         struct bot_err *err)
{
    enum bot_rc rc;
    char *msg = NULL;
    if (refused(p, inc, a->user_id, a->response_url, false, &rc, err))
        return rc;
    rc = store_incident_attr_get(p->store, inc->id, PUBLISH_DRAFT_ATTR, &msg, err);
    if (rc == BOT_ENOTFOUND) {
        msg = default_message(inc);
        rc = BOT_OK;
    }
    if (rc)
        return rc;
    inc->published = 1;
    inc->published_at = p->now_ms;
    inc->updated_at = p->now_ms;
    rc = store_incident_update(p->store, inc, err);
    struct store_timeline_entry e = {
        .incident_id = inc->id,
        .at = p->now_ms,
        .actor = (char *)a->user_id,
        .kind = "publish",
        .text = msg,
        .public = 1,
        .status = inc->status,
    };
    if (rc == BOT_OK)
        rc = store_timeline_append(p->store, &e, err);
    if (rc == BOT_OK) {
        struct store_component_link *links = NULL;
        size_t nl = 0;
        cJSON *pl = cJSON_CreateObject();
        cJSON_AddStringToObject(pl, "name", inc->public_title ? inc->public_title : inc->title);
        cJSON_AddStringToObject(pl, "status", inc->status);
        cJSON_AddStringToObject(pl, "impact", inc->severity);
        cJSON_AddStringToObject(pl, "body", msg);
        cJSON *comps = cJSON_AddArrayToObject(pl, "components");
        rc = store_incident_component_list(p->store, inc->id, &links, &nl, err);
        for (size_t i = 0; rc == BOT_OK && i < nl; i++)
            cJSON_AddItemToArray(comps, cJSON_CreateString(links[i].component));
        store_component_links_free(links, nl);
        if (rc == BOT_OK)
            rc = plan_mirror(p, inc, HOOK_PUBLISHED, "statuspage.create", pl, err);
        else
            cJSON_Delete(pl);
    }
    if (rc == BOT_OK) {
        char text[300];
        snprintf(text, sizeof(text), ":globe_with_meridians: <@%s> published INC-%lld on the "
                 "status page. From now on its status changes, `/incident update` messages and "
                 "the postmortem are public.", a->user_id, (long long)inc->id);
        rc = plan_say(p, inc, text, err);
        if (rc == BOT_OK)
            rc = plan_checklist_follow(p, inc, err); /* step 2's public half is decided */
        if (rc == BOT_OK)
            rc = plan_refresh(p, inc, err);
        if (rc == BOT_OK)
            rc = plan_public_update_schedule(p, inc, err);
        if (rc == BOT_OK)
            rc = plan_respond(p, a->response_url, ":white_check_mark: Published.", NULL, true,
                              err);
    }
    free(msg);
    return rc;
}

enum bot_rc plan_keep_internal(struct plan *p, const struct plan_actor *a,
                               struct store_incident *inc, const char *why, struct bot_err *err)
{
    enum bot_rc rc;
    char *was = NULL;
    if (refused(p, inc, a->user_id, a->response_url, false, &rc, err))
        return rc;
    if (why == NULL || why[strspn(why, " \t\r\n")] == '\0')
        return plan_respond(p, a->response_url, ":warning: Say why it stays internal (it goes to "
                            "the timeline). Usage: `/incident publish --internal <why>`; "
                            "nothing changed.", NULL, false, err);
    if (strlen(why) > PLAN_MAX_PUBLIC_MESSAGE)
        return plan_respond(p, a->response_url, ":warning: The why is too long; nothing "
                            "changed.", NULL, false, err);
    rc = store_incident_attr_get(p->store, inc->id, PLAN_ATTR_KEPT_INTERNAL, &was, err);
    free(was);
    if (rc == BOT_OK) {
        char text[200];
        snprintf(text, sizeof(text), "INC-%lld was kept internal already; nothing changed. To "
                 "publish it after all: `/incident publish`.", (long long)inc->id);
        return plan_respond(p, a->response_url, text, NULL, false, err);
    }
    if (rc != BOT_ENOTFOUND)
        return rc;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "by", a->user_id);
    cJSON_AddNumberToObject(o, "at", (double)p->now_ms);
    cJSON_AddStringToObject(o, "why", why);
    char *v = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    rc = store_incident_attr_set(p->store, inc->id, PLAN_ATTR_KEPT_INTERNAL, v, p->now_ms, err);
    free(v);
    char *msg = slack_text_user_dup(why, 256 * 1024);
    char *text = xasprintf("Kept internal by <@%s>: not published on the status page. Why: %s",
                           a->user_id, msg);
    if (rc == BOT_OK)
        rc = plan_record(p, inc, a->user_id, "publish", text, err);
    if (rc == BOT_OK)
        rc = plan_say(p, inc, text, err);
    if (rc == BOT_OK)
        rc = plan_checklist_follow(p, inc, err);
    if (rc == BOT_OK)
        rc = plan_respond(p, a->response_url, "Done: it stays internal; `/incident publish` "
                          "still publishes it if that changes.", NULL, false, err);
    free(text);
    free(msg);
    return rc;
}

enum bot_rc plan_public_update(struct plan *p, const struct plan_actor *a,
                               struct store_incident *inc, const char *message,
                               struct bot_err *err)
{
    enum bot_rc rc;
    char why[300];
    if (refused(p, inc, a->user_id, a->response_url, true, &rc, err))
        return rc;
    if (!message_ok(message, why, sizeof(why)))
        return plan_respond(p, a->response_url, why, NULL, false, err);
    struct store_timeline_entry e = {
        .incident_id = inc->id,
        .at = p->now_ms,
        .actor = (char *)a->user_id,
        .kind = "update",
        .text = (char *)message,
        .public = 1,
        .status = inc->status,
    };
    rc = store_timeline_append(p->store, &e, err);
    if (rc == BOT_OK) {
        cJSON *pl = cJSON_CreateObject();
        cJSON_AddStringToObject(pl, "status", inc->status);
        cJSON_AddStringToObject(pl, "body", message);
        cJSON_AddStringToObject(pl, "impact", inc->severity);
        rc = plan_mirror(p, inc, HOOK_UPDATED, "statuspage.update", pl, err);
    }
    if (rc == BOT_OK) {
        struct buf b;
        buf_init(&b, 8192);
        (void)!buf_addf(&b, ":loudspeaker: Public update by <@%s>: ", a->user_id);
        (void)!slack_text_user(&b, message, strlen(message));
        rc = plan_say(p, inc, buf_str(&b), err);
        buf_free(&b);
    }
    if (rc == BOT_OK)
        rc = plan_public_update_schedule(p, inc, err);
    if (rc == BOT_OK)
        rc = plan_respond(p, a->response_url, "Done: the update is public.", NULL, false, err);
    return rc;
}
