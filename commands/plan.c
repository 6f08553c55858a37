/*
 * The plan's event entry points and the small helpers every decision uses
 * (see plan.h): enqueuing effects with deterministic idempotency keys,
 * answering the user, recording on the timeline, and routing slash
 * commands, clicks, modal submissions and reminders to the decisions in
 * plan_incident.c and the cmd_*.c handlers.
 */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cmd.h"
#include "render.h"
#include "render_status.h"
#include "slack_text.h"
#include "store_outbox.h"
#include "store_timeline.h"
#include "utf8.h"
#include "xmalloc.h"

static const char *str_field(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Enqueues e (its payload and key filled in here) and takes payload. */
static enum bot_rc enqueue(struct plan *p, struct store_effect *e, cJSON *payload,
                           struct bot_err *err)
{
    char *json = cJSON_PrintUnformatted(payload);
    char *idem = xasprintf("%s/%u", p->event_id, p->seq++);
    e->payload = json;
    e->idem_key = idem;
    enum bot_rc rc = store_outbox_enqueue(p->store, e, p->now_ms, NULL, err);
    if (rc == BOT_EEXISTS)
        rc = BOT_OK; /* decided before by an attempt that crashed before its commit ended */
    free(idem);
    free(json);
    cJSON_Delete(payload);
    return rc;
}

enum bot_rc plan_effect(struct plan *p, int64_t incident_id, const char *target, const char *kind,
                        cJSON *payload, struct bot_err *err)
{
    struct store_effect e = {.incident_id = incident_id, .kind = kind, .target = target};
    return enqueue(p, &e, payload, err);
}

enum bot_rc plan_call(struct plan *p, int64_t incident_id, const char *method, cJSON *args,
                      struct bot_err *err)
{
    cJSON *pl = cJSON_CreateObject();
    cJSON_AddStringToObject(pl, "method", method);
    cJSON_AddItemToObject(pl, "args", args);
    return plan_effect(p, incident_id, "slack", "slack.call", pl, err);
}

enum bot_rc plan_call_linking(struct plan *p, int64_t incident_id, const char *method,
                              cJSON *args, struct bot_err *err)
{
    cJSON *pl = cJSON_CreateObject();
    cJSON_AddStringToObject(pl, "method", method);
    cJSON_AddItemToObject(pl, "args", args);
    cJSON *fill = cJSON_AddArrayToObject(pl, "fill");
    cJSON_AddItemToArray(fill, cJSON_CreateString("args.text"));
    return plan_effect(p, incident_id, "slack", "slack.call", pl, err);
}

enum bot_rc plan_say(struct plan *p, const struct store_incident *inc, const char *text,
                     struct bot_err *err)
{
    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "channel", "{{incident.channel_id}}");
    cJSON_AddStringToObject(args, "text", text);
    cJSON_AddFalseToObject(args, "unfurl_links");
    return plan_call(p, inc->id, "chat.postMessage", args, err);
}

enum bot_rc plan_respond(struct plan *p, const char *url, const char *text, cJSON *blocks,
                         bool replace, struct bot_err *err)
{
    if (url == NULL || *url == '\0') {
        cJSON_Delete(blocks);
        return BOT_OK; /* nobody to answer (a reminder, a modal without a response_url) */
    }
    cJSON *pl = cJSON_CreateObject();
    cJSON_AddStringToObject(pl, "url", url);
    cJSON *msg = cJSON_AddObjectToObject(pl, "message");
    cJSON_AddStringToObject(msg, "response_type", "ephemeral");
    cJSON_AddBoolToObject(msg, "replace_original", replace);
    cJSON_AddStringToObject(msg, "text", text);
    if (blocks != NULL)
        cJSON_AddItemToObject(msg, "blocks", blocks);
    return plan_effect(p, 0, "fast", "slack.respond", pl, err);
}

/*
 * A view's effect merges into a pending one of the same view (it renders the state as it is
 * when performed); once the view exists (refresh), it also yields in its lane to other
 * incidents' first posts, while a first post goes in line like any message.
 */
static enum bot_rc view_effect(struct plan *p, int64_t incident_id, const char *kind,
                               cJSON *payload, bool refresh, struct bot_err *err)
{
    struct store_effect e = {
        .incident_id = incident_id, .kind = kind, .target = "slack", .merge = true,
        .refresh = refresh};
    return enqueue(p, &e, payload, err);
}

enum bot_rc plan_refresh(struct plan *p, const struct store_incident *inc, struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    if (strcmp(inc->status, "potential") == 0)
        return BOT_OK; /* no channel, no control message, not announced */
    bool posted = inc->control_ts != NULL; /* the channel and its pinned message exist */
    rc = view_effect(p, inc->id, "incident.control", cJSON_CreateObject(), posted, err);
    if (rc == BOT_OK)
        rc = view_effect(p, inc->id, "incident.topic", cJSON_CreateObject(), posted, err);
    bool announce = audience_show(&p->cfg->privacy, inc, AUD_ANNOUNCE, AUD_TEXT_ANNOUNCEMENT) !=
                        AUD_SHOW_NOTHING ||
                    inc->announce_ts != NULL;
    if (rc == BOT_OK && p->cfg->announce_channel[0] != '\0' && announce) {
        cJSON *pl = cJSON_CreateObject();
        cJSON_AddStringToObject(pl, "channel", p->cfg->announce_channel);
        rc = view_effect(p, inc->id, "incident.announce", pl, inc->announce_ts != NULL, err);
    }
    return rc;
}

enum bot_rc plan_announce_update(struct plan *p, const struct store_incident *inc,
                                 const struct render_update *u, struct bot_err *err)
{
    enum aud_text kind = u->kind == RENDER_UPDATE_NOTE ? AUD_TEXT_NOTE : AUD_TEXT_THREAD_UPDATE;
    if (p->cfg->announce_channel[0] == '\0' || strcmp(inc->status, "potential") == 0 ||
        audience_show(&p->cfg->privacy, inc, AUD_ANNOUNCE, kind) != AUD_SHOW_FULL)
        return BOT_OK;
    char *line = NULL;
    enum bot_rc rc = render_update_line(u, &line);
    if (rc == BOT_OK) {
        cJSON *args = cJSON_CreateObject();
        cJSON_AddStringToObject(args, "channel", "{{incident.announce_channel}}");
        cJSON_AddStringToObject(args, "thread_ts", "{{incident.announce_ts}}");
        cJSON_AddStringToObject(args, "text", line);
        cJSON_AddFalseToObject(args, "unfurl_links");
        rc = plan_call(p, inc->id, "chat.postMessage", args, err);
    }
    free(line);
    return rc;
}

enum bot_rc plan_record(struct plan *p, const struct store_incident *inc, const char *actor,
                        const char *kind, const char *text, struct bot_err *err)
{
    struct store_timeline_entry e = {
        .incident_id = inc->id,
        .at = p->now_ms,
        .actor = (char *)actor,
        .kind = (char *)kind,
        .text = (char *)text,
        .status = inc->status,
    };
    enum bot_rc rc = store_timeline_append(p->store, &e, err);
    /* A declare, a promotion or a severity change restarts the re-assessment clock (step 4). */
    if (rc == BOT_OK && (strcmp(kind, "declare") == 0 || strcmp(kind, "promote") == 0 ||
                         strcmp(kind, "severity") == 0))
        rc = plan_reassess_schedule(p, inc, err);
    return rc;
}

bool plan_severity_higher(enum severity a, enum severity b)
{
    return a < b; /* SEV_CRITICAL is 0 */
}

bool plan_parse_incident_ref(const char *w, int64_t *id_out)
{
    if (strncmp(w, "INC-", 4) == 0 || strncmp(w, "inc-", 4) == 0 || strncmp(w, "Inc-", 4) == 0)
        w += 4;
    else if (w[0] == '#')
        w += 1;
    if (*w < '1' || *w > '9' || strlen(w) > 15)
        return false;
    int64_t id = 0;
    for (; *w; w++) {
        if (*w < '0' || *w > '9')
            return false;
        id = id * 10 + (*w - '0');
    }
    *id_out = id;
    return true;
}

static bool id_chars(const char *s, size_t n)
{
    if (n < 3 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

bool plan_parse_user(const char *w, const char *self, char *id_out, size_t idsz, char *why,
                     size_t whysz)
{
    struct buf b;
    buf_init(&b, 200);
    if (strcmp(w, "me") == 0 || strcmp(w, "myself") == 0) {
        snprintf(id_out, idsz, "%s", self);
        buf_free(&b);
        return true;
    }
    if (strncmp(w, "<@", 2) == 0) {
        const char *end = strpbrk(w + 2, "|>");
        size_t n = end ? (size_t)(end - (w + 2)) : 0;
        if (end != NULL && (w[2] == 'U' || w[2] == 'W') && id_chars(w + 2, n) && n < idsz &&
            w[strlen(w) - 1] == '>') {
            memcpy(id_out, w + 2, n);
            id_out[n] = '\0';
            buf_free(&b);
            return true;
        }
    }
    if (w[0] == '@')
        (void)!buf_addstr(&b, "there is no user ");
    else
        (void)!buf_addstr(&b, "expected a person, as an @mention or `me`, not ");
    (void)!buf_addstr(&b, "`");
    (void)!cmd_add_user_text(&b, w);
    (void)!buf_addstr(&b, "`");
    if (w[0] == '@')
        (void)!buf_addstr(&b, " (type @ and pick them from Slack's list, so the mention becomes a "
                              "link)");
    snprintf(why, whysz, "%s", buf_str(&b));
    buf_free(&b);
    return false;
}

bool plan_role_parse(const char *s, const char **role_out)
{
    static const struct {
        const char *word, *role;
    } words[] = {
        {"irm", "irm"},         {"tech", "tech"},       {"technical", "tech"},
        {"support", "support"}, {"dpo", "dpo"},
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasecmp(s, words[i].word) == 0) {
            *role_out = words[i].role;
            return true;
        }
    return false;
}

const char *plan_role_title(const char *role)
{
    if (strcmp(role, "irm") == 0)
        return "IRM";
    if (strcmp(role, "tech") == 0)
        return "technical liaison";
    if (strcmp(role, "support") == 0)
        return "support liaison";
    if (strcmp(role, "dpo") == 0)
        return "DPO";
    return "?";
}

enum bot_rc plan_call_url(const char *tmpl, int64_t id, const char *channel, char *out,
                          size_t outsz)
{
    struct buf b;
    enum bot_rc rc = BOT_OK;
    buf_init(&b, PLAN_MAX_CALL_URL);
    for (const char *s = tmpl; *s && rc == BOT_OK; s++) {
        if (strncmp(s, "{id}", 4) == 0) {
            rc = buf_addf(&b, "%lld", (long long)id);
            s += 3;
        } else if (strncmp(s, "{channel}", 9) == 0) {
            rc = buf_addstr(&b, channel);
            s += 8;
        } else {
            rc = buf_add(&b, s, 1);
        }
    }
    if (rc == BOT_OK && b.len + 1 > outsz)
        rc = BOT_ETOOBIG;
    if (rc == BOT_OK)
        memcpy(out, buf_str(&b), b.len + 1);
    buf_free(&b);
    return rc;
}

/* ---- slash commands ---- */

enum bot_rc plan_slash(struct plan *p, const cJSON *payload, struct bot_err *err)
{
    static const char *const required[] = {"command", "text", "user_id", "channel_id",
                                           "response_url"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (str_field(payload, required[i]) == NULL)
            return bot_err_set(err, BOT_EPROTO, "slash command payload: \"%s\" is missing or "
                               "not a string", required[i]);
    struct cmd_call call = {
        .command = str_field(payload, "command"),
        .user_id = str_field(payload, "user_id"),
        .channel_id = str_field(payload, "channel_id"),
        .response_url = str_field(payload, "response_url"),
        .trigger_id = str_field(payload, "trigger_id"),
        .plan = p,
    };
    const char *text = str_field(payload, "text");
    struct cmd_result out;
    cmd_result_init(&out);
    enum bot_rc rc = cmd_run(&call, text, strlen(text), &out);
    /* A user's mistake is answered like any other reply; it is not a failure of ours. */
    if (rc == BOT_OK || rc == BOT_EINVAL) {
        rc = BOT_OK;
        if (out.reply.len > 0)
            rc = plan_respond(p, call.response_url, buf_str(&out.reply), NULL, false, err);
    } else if (err->msg[0] == '\0' || rc != BOT_OK) {
        if (out.reply.len == 0)
            bot_err_set(err, rc, "%s: %s", call.command, bot_strerror(rc));
        else
            bot_err_set(err, rc, "%s", buf_str(&out.reply));
    }
    cmd_result_free(&out);
    return rc;
}

/* ---- clicks ---- */

/* The incident a click is about, from its value ("42" / "42:x") or its block id ("inc42_x"). */
static bool action_incident(const cJSON *action, int64_t *id, const char **arg)
{
    const char *value = str_field(action, "value");
    *arg = "";
    if (value != NULL && render_parse_action_value(value, id, arg))
        return true;
    return render_block_incident_id(str_field(action, "block_id"), id);
}

static enum bot_rc load(struct plan *p, int64_t id, const char *url, struct store_incident *inc,
                        struct bot_err *err)
{
    enum bot_rc rc = store_incident_get(p->store, id, inc, err);
    if (rc == BOT_ENOTFOUND) {
        char text[120];
        snprintf(text, sizeof(text), ":warning: There is no incident INC-%lld.", (long long)id);
        rc = plan_respond(p, url, text, NULL, false, err);
        return rc ? rc : BOT_ENOTFOUND;
    }
    return rc;
}

/* The status of a next-status button's value ("42:identified") that plan_status.c handles. */
static bool next_status(const char *arg, enum inc_status *st)
{
    return plan_status_parse(arg, strlen(arg), st) && *st >= ST_IDENTIFIED && *st <= ST_RESOLVED;
}

static enum bot_rc block_action(struct plan *p, const cJSON *payload, struct bot_err *err)
{
    const cJSON *actions = cJSON_GetObjectItemCaseSensitive(payload, "actions");
    const cJSON *action = cJSON_GetArrayItem(actions, 0);
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(payload, "user");
    const char *user_id = str_field(user, "id");
    const char *action_id = str_field(action, "action_id");
    const char *url = str_field(payload, "response_url");
    if (!cJSON_IsObject(action) || action_id == NULL)
        return bot_err_set(err, BOT_EPROTO, "block_actions payload: \"actions[0].action_id\" "
                           "is missing");
    if (user_id == NULL)
        return bot_err_set(err, BOT_EPROTO, "block_actions payload: \"user.id\" is missing");
    if (strncmp(action_id, "inc_", 4) != 0)
        return BOT_OK; /* not one of ours: nothing to do */

    int64_t id;
    const char *arg;
    enum inc_status st;
    if (!action_incident(action, &id, &arg))
        return bot_err_set(err, BOT_EPROTO, "block_actions %s: no incident id in its value or "
                           "block_id", action_id);
    struct store_incident inc;
    store_incident_init(&inc);
    enum bot_rc rc = load(p, id, url, &inc, err);
    if (rc == BOT_ENOTFOUND)
        return BOT_OK;
    if (rc)
        return rc;

    bool steps = false; /* the checklist's buttons (plan_steps.c) */
    rc = plan_steps_action(p, &inc, action_id, arg, user_id, url, &steps, err);
    if (steps) {
        store_incident_clear(&inc);
        return rc;
    }
    if (strcmp(action_id, "inc_take_irm") == 0) {
        rc = plan_assign(p, &inc, "irm", user_id, user_id, url, err);
    } else if (strncmp(action_id, "inc_role_", 9) == 0) {
        const char *role, *who = str_field(action, "selected_user");
        if (!plan_role_parse(action_id + 9, &role))
            rc = bot_err_set(err, BOT_EPROTO, "block_actions: unknown role action %s", action_id);
        else if (who == NULL)
            rc = bot_err_set(err, BOT_EPROTO, "block_actions %s: no selected_user", action_id);
        else
            rc = plan_assign(p, &inc, role, who, user_id, url, err);
    } else if (strcmp(action_id, "inc_severity") == 0) {
        const char *v = str_field(cJSON_GetObjectItemCaseSensitive(action, "selected_option"),
                                  "value");
        enum severity sev;
        if (v == NULL || !plan_severity_parse(v, strlen(v), &sev))
            rc = bot_err_set(err, BOT_EPROTO, "block_actions inc_severity: no valid "
                             "selected_option.value");
        else
            rc = plan_set_severity(p, &inc, sev, user_id, "changed on the control message", url,
                                   err);
    } else if (strcmp(action_id, "inc_declare_anyway") == 0) {
        struct plan_actor a = {user_id, NULL, url, str_field(payload, "trigger_id")};
        rc = plan_promote(p, &a, id, err);
    } else if (strcmp(action_id, "inc_components") == 0) {
        rc = plan_components_menu(p, &inc, url, false, err);
    } else if (strcmp(action_id, "inc_component_add") == 0 ||
               strcmp(action_id, "inc_component_remove") == 0) {
        const char *v = str_field(cJSON_GetObjectItemCaseSensitive(action, "selected_option"),
                                  "value");
        if (v == NULL || v[0] == '\0')
            rc = bot_err_set(err, BOT_EPROTO, "block_actions %s: no selected_option.value",
                             action_id);
        else
            rc = plan_set_component(p, &inc, strcmp(action_id, "inc_component_add") == 0, v,
                                    user_id, url, err);
        if (rc == BOT_OK)
            rc = plan_components_menu(p, &inc, url, true, err);
    } else if (strcmp(action_id, "inc_dismiss") == 0) {
        struct plan_actor a = {user_id, NULL, url, str_field(payload, "trigger_id")};
        struct buf reply;
        buf_init(&reply, 4000);
        if (strcmp(inc.status, "potential") != 0) /* a prompt older than a promote */
            (void)!buf_addf(&reply, ":information_source: INC-%lld is not a potential incident "
                            "any more (it is %s); nothing changed. If it is not an incident "
                            "after all: `/incident cancel <why> INC-%lld`.", (long long)id,
                            inc.status, (long long)id);
        else
            rc = plan_cancel(p, &a, &inc, "Dismissed on the incident-definition prompt: below "
                             "the incident definition.", &reply, err);
        if (rc == BOT_EINVAL)
            rc = BOT_OK; /* refused: the reason is the answer */
        if (rc == BOT_OK)
            rc = plan_respond(p, url, buf_str(&reply), NULL, true, err);
        buf_free(&reply);
    } else if (strcmp(action_id, "inc_keep_potential") == 0) {
        char text[300];
        rc = plan_record(p, &inc, user_id, "potential", "Kept as a potential incident", err);
        snprintf(text, sizeof(text), "INC-%lld stays a *potential* incident. When it turns out "
                 "to be one, promote it with `/incident promote %lld`.", (long long)id,
                 (long long)id);
        if (rc == BOT_OK)
            rc = plan_respond(p, url, text, NULL, true, err);
    } else if (strncmp(action_id, "inc_sp_impact", 13) == 0) {
        /* The answer to "should the status page's impact follow?" after a raise. */
        enum severity sev;
        bool follow = strncmp(arg, "yes:", 4) == 0;
        const char *sv = follow ? arg + 4 : arg + (strncmp(arg, "no:", 3) == 0 ? 3 : 0);
        if (!plan_severity_parse(sv, strlen(sv), &sev)) {
            rc = bot_err_set(err, BOT_EPROTO, "block_actions inc_sp_impact: bad value");
        } else {
            char text[200];
            snprintf(text, sizeof(text), "Status page impact %s %s", follow ? "follows to" :
                     "stays below", plan_severity_name(sev));
            rc = plan_record(p, &inc, user_id, "statuspage_impact", text, err);
            if (rc == BOT_OK && follow)
                rc = store_incident_attr_set(p->store, inc.id, "statuspage_impact",
                                             plan_severity_name(sev), p->now_ms, err);
            if (rc == BOT_OK && follow) { /* mirrored now, not only with the next update */
                cJSON *pl = cJSON_CreateObject();
                cJSON_AddStringToObject(pl, "impact", plan_severity_name(sev));
                rc = plan_mirror(p, &inc, HOOK_SEVERITY_CHANGED, "statuspage.update", pl,
                                 err);
            }
            if (rc == BOT_OK)
                rc = plan_respond(p, url, follow ? "Noted: the status page's impact follows the "
                                  "new severity." : "Noted: the status page keeps its impact.",
                                  NULL, true, err);
        }
    } else if (strcmp(action_id, "inc_next_status") == 0 && next_status(arg, &st)) {
        struct plan_actor a = {user_id, NULL, url, str_field(payload, "trigger_id")};
        enum inc_status cur = ST_INVESTIGATING;
        (void)plan_status_parse(inc.status, strlen(inc.status), &cur);
        if (st < cur) { /* a button of an older control message: it only moves forward */
            char text[300];
            snprintf(text, sizeof(text), ":warning: That button is out of date: INC-%lld is "
                     "*%s* now; nothing changed. To step back, use `/incident status "
                     "investigating|identified <public message>` or `/incident reopen <why>`.",
                     (long long)id, plan_status_name(cur));
            rc = plan_respond(p, url, text, NULL, false, err);
        } else {
            rc = plan_status_request(p, &a, &inc, st, NULL, err);
        }
    } else if (strcmp(action_id, "inc_next_status") == 0 && strcmp(arg, "postmortem") == 0) {
        struct plan_actor a = {user_id, NULL, url, str_field(payload, "trigger_id")};
        rc = plan_postmortem_open(p, &a, &inc, err); /* "Mark postmortem published" */
    } else if ((strcmp(action_id, "inc_next_status") == 0 && strcmp(arg, "closed") == 0) ||
               strcmp(action_id, PLAN_CLOSE_ANYWAY_ACTION) == 0) {
        struct plan_actor a = {user_id, NULL, url, str_field(payload, "trigger_id")};
        bool anyway = strcmp(action_id, PLAN_CLOSE_ANYWAY_ACTION) == 0;
        struct buf reply;
        buf_init(&reply, 8000);
        rc = plan_close(p, &a, &inc, anyway, &reply, err);
        if (rc == BOT_EINVAL)
            rc = BOT_OK; /* refused: the reason is the answer */
        if (rc == BOT_OK && reply.len > 0)
            rc = plan_respond(p, url, buf_str(&reply), NULL, anyway, err);
        buf_free(&reply);
    } else if (strcmp(action_id, "inc_publish") == 0) {
        struct plan_actor a = {user_id, NULL, url, str_field(payload, "trigger_id")};
        rc = plan_publish_preview(p, &a, &inc, NULL, err);
    } else if (strcmp(action_id, "inc_publish_confirm") == 0) {
        struct plan_actor a = {user_id, NULL, url, str_field(payload, "trigger_id")};
        rc = plan_publish(p, &a, &inc, err);
    } else if (strcmp(action_id, "inc_publish_cancel") == 0) {
        rc = plan_respond(p, url, "Not published: the incident stays internal.", NULL, true, err);
    } else if (strncmp(action_id, "inc_pm_", 7) == 0) { /* the postmortem preview's buttons */
        struct plan_actor a = {user_id, NULL, url, str_field(payload, "trigger_id")};
        rc = plan_postmortem_action(p, &a, &inc, action_id, arg, err);
    }
    /* Other inc_ actions (e.g. a button of an older version) are ignored. */
    store_incident_clear(&inc);
    return rc;
}

/* ---- modal submissions ---- */

/* The input block of the view whose block_id is id, or NULL. */
static const cJSON *view_block(const cJSON *payload, const char *id)
{
    const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(payload, "view"), "blocks");
    const cJSON *b;
    cJSON_ArrayForEach(b, blocks)
    {
        const char *bid = str_field(b, "block_id");
        if (bid != NULL && strcmp(bid, id) == 0)
            return b;
    }
    return NULL;
}

/*
 * The characters typed into any of the bot's forms, checked in one place
 * (cmd_check_text, utf8_check_text) before any form's own rules: every text
 * value of view.state.values, named by its block's label, with line breaks
 * and tabs allowed only where the block's input is multiline (an input the
 * view does not describe counts as multiline: the rules of its form still
 * apply). False with the errors for the first refused value in *errors_out.
 */
static bool view_text_ok(const cJSON *payload, cJSON **errors_out)
{
    const cJSON *values = render_view_state_values(payload), *block, *entry;
    cJSON_ArrayForEach(block, values)
    {
        cJSON_ArrayForEach(entry, block)
        {
            const char *v = str_field(entry, "value");
            if (v == NULL || block->string == NULL)
                continue;
            const cJSON *def = view_block(payload, block->string);
            const cJSON *el = cJSON_GetObjectItemCaseSensitive(def, "element");
            const cJSON *multi = cJSON_GetObjectItemCaseSensitive(el, "multiline");
            const char *label = str_field(cJSON_GetObjectItemCaseSensitive(def, "label"),
                                          "text");
            bool multiline = def == NULL || cJSON_IsTrue(multi);
            char *field = label != NULL ? xasprintf("The field “%s”", label)
                                        : xstrdup("This field");
            struct buf msg;
            buf_init(&msg, RENDER_MAX_LABEL);
            bool ok = cmd_check_text(field, v, strlen(v), multiline ? UTF8_MULTILINE : 0, false,
                                     &msg);
            if (!ok)
                *errors_out = render_view_errors(block->string, buf_str(&msg));
            buf_free(&msg);
            free(field);
            if (!ok)
                return false;
        }
    }
    return true;
}

/* Builds a declare_req from the modal's values; false with the field's error in *errors. */
static bool submission_req(const cJSON *payload, const struct plan_config *cfg,
                           struct declare_req *req, char **description, cJSON **errors)
{
    struct render_declare_values v;
    struct bot_err err = {{0}};
    const cJSON *values = render_view_state_values(payload);
    if (values == NULL) {
        *errors = render_view_errors("title", "The form arrived without its values.");
        return false;
    }
    enum bot_rc rc = render_parse_declare_submission(values, &v, &err);
    if (rc != BOT_OK) {
        *errors = render_view_errors(v.error_block ? v.error_block : "title", err.msg);
        return false;
    }
    declare_req_init(req);
    const char *block = "title";
    /* A form's text arrives raw; it is stored in the form a slash command carries (slack_text.h). */
    char *title = slack_text_escape_dup(v.title, 64 * 1024);
    rc = declare_set_title(req, title, &err);
    free(title);
    if (rc == BOT_OK && v.affected_users >= 0) {
        block = "users";
        if (v.affected_users > DECLARE_MAX_USERS)
            rc = bot_err_set(&err, BOT_EINVAL, "At most %ld affected users.", DECLARE_MAX_USERS);
        req->has_users = true;
        req->users = (long)v.affected_users;
    }
    for (size_t i = 0; rc == BOT_OK && i < v.n_components; i++) {
        block = "components";
        rc = declare_add_component(req, v.components[i], &err);
    }
    req->breach = v.breach;
    if (v.started_at_ms > 0) {
        req->has_started = true;
        req->started_at_ms = v.started_at_ms;
    }
    if (v.has_severity) {
        req->has_sev = true;
        req->severity = v.severity;
    } else if (v.scope != RENDER_SCOPE_NONE || v.percent >= 0 || v.breach) {
        enum declare_scope scope = v.scope == RENDER_SCOPE_WHOLE_PRODUCT ? SCOPE_WHOLE_PRODUCT
                                   : v.scope == RENDER_SCOPE_MAJOR_FEATURE ? SCOPE_MAJOR_FEATURE
                                                                           : SCOPE_MINOR_FEATURE;
        req->has_sev = true;
        req->severity = declare_suggest_severity(scope, v.percent < 0 ? 0 : v.percent, v.breach,
                                                 cfg ? &cfg->sev : NULL);
    }
    if (rc == BOT_OK && description)
        *description = v.description ? slack_text_escape_dup(v.description, 256 * 1024) : NULL;
    render_declare_values_free(&v);
    if (rc != BOT_OK) {
        *errors = render_view_errors(block, err.msg);
        return false;
    }
    return true;
}

void plan_check_submission(const cJSON *payload, cJSON **errors_out)
{
    struct declare_req req;
    const cJSON *view = cJSON_GetObjectItemCaseSensitive(payload, "view");
    *errors_out = NULL;
    if (strcmp(str_field(payload, "type") ? str_field(payload, "type") : "", "view_submission"))
        return;
    if (!view_text_ok(payload, errors_out))
        return; /* every form: a control, a NUL or a bidirectional override */
    if (plan_steps_check_submission(payload, errors_out))
        return; /* the postmortem modal (plan_steps.c) */
    if (strcmp(str_field(view, "callback_id") ? str_field(view, "callback_id") : "",
               RENDER_STATUS_CALLBACK) == 0) {
        plan_status_check_submission(payload, errors_out);
        return;
    }
    if (strcmp(str_field(view, "callback_id") ? str_field(view, "callback_id") : "",
               RENDER_DECLARE_CALLBACK))
        return;
    (void)submission_req(payload, NULL, &req, NULL, errors_out);
}

static enum bot_rc view_submission(struct plan *p, const cJSON *payload, struct bot_err *err)
{
    const cJSON *view = cJSON_GetObjectItemCaseSensitive(payload, "view");
    const char *callback = str_field(view, "callback_id");
    const char *user_id = str_field(cJSON_GetObjectItemCaseSensitive(payload, "user"), "id");
    if (callback == NULL || user_id == NULL)
        return bot_err_set(err, BOT_EPROTO, "view_submission payload: \"view.callback_id\" or "
                           "\"user.id\" is missing");
    cJSON *refused = NULL;
    if (!view_text_ok(payload, &refused)) {
        /* Shown under the field when it was acked; the modal stayed open. Nothing changes. */
        cJSON_Delete(refused);
        return BOT_OK;
    }
    bool steps = false; /* the postmortem modal (plan_steps.c) */
    enum bot_rc src = plan_steps_submission(p, payload, user_id, &steps, err);
    if (steps)
        return src;
    if (strcmp(callback, RENDER_STATUS_CALLBACK) == 0)
        return plan_status_submission(p, payload, user_id, err);
    if (strcmp(callback, RENDER_DECLARE_CALLBACK) != 0)
        return BOT_OK;
    struct declare_req *req = xmalloc(sizeof(*req));
    char *description = NULL;
    cJSON *errors = NULL;
    enum bot_rc rc = BOT_OK;
    if (!submission_req(payload, p->cfg, req, &description, &errors)) {
        /* Shown under the field when it was acked; the modal stayed open. Nothing changes. */
        cJSON_Delete(errors);
        goto out;
    }
    /* private_metadata: where /incident declare was typed, to answer there. */
    cJSON *meta = cJSON_Parse(str_field(view, "private_metadata") ? str_field(view,
                              "private_metadata") : "");
    struct plan_actor a = {
        .user_id = user_id,
        .channel_id = str_field(meta, "channel"),
        .response_url = str_field(meta, "response_url"),
    };
    rc = plan_declare(p, &a, req, description, err);
    cJSON_Delete(meta);
out:
    free(description);
    free(req);
    return rc;
}

enum bot_rc plan_interactive(struct plan *p, const cJSON *payload, struct bot_err *err)
{
    const char *type = str_field(payload, "type");
    if (type == NULL)
        return bot_err_set(err, BOT_EPROTO, "interactive payload: \"type\" is missing");
    if (strcmp(type, "block_actions") == 0)
        return block_action(p, payload, err);
    if (strcmp(type, "view_submission") == 0)
        return view_submission(p, payload, err);
    return BOT_OK; /* view_closed, shortcuts...: nothing to decide */
}

/* ---- reminders ---- */

enum bot_rc plan_reminder(struct plan *p, const struct store_reminder *r, struct bot_err *err)
{
    struct store_incident inc;
    store_incident_init(&inc);
    enum bot_rc rc = store_incident_get(p->store, r->incident_id, &inc, err);
    if (rc == BOT_ENOTFOUND)
        return BOT_OK;
    if (rc)
        return rc;
    bool steps = false; /* the internal postmortem's reminders (plan_steps.c) come after resolving */
    rc = plan_steps_reminder(p, &inc, r, &steps, err);
    if (steps || rc)
        goto out;
    bool open = strcmp(inc.status, "resolved") != 0 && strcmp(inc.status, "postmortem") != 0 &&
                strcmp(inc.status, "closed") != 0 && strcmp(inc.status, "potential") != 0;
    if (!open)
        goto out;
    if (strcmp(r->kind, PLAN_REMINDER_REASSESS) == 0) {
        rc = plan_reassess_remind(p, &inc, err);
    } else if (strcmp(r->kind, "public_update") == 0) {
        rc = plan_public_update_remind(p, &inc, err);
    } else if (strcmp(r->kind, "irm_unclaimed") == 0) {
        char *irm = NULL;
        rc = store_role_get(p->store, inc.id, "irm", &irm, err);
        free(irm);
        if (rc == BOT_ENOTFOUND)
            rc = plan_irm_unclaimed(p, &inc, err);
    } else if (strcmp(r->kind, "liaisons") == 0) {
        rc = plan_liaisons_remind(p, &inc, err);
    } else if (strcmp(r->kind, "breach_clock") == 0) {
        char *decision = NULL;
        if (store_incident_attr_get(p->store, inc.id, "breach_decision", &decision, err) ==
            BOT_OK) {
            free(decision);
            goto out; /* decided: the clock has nothing more to say */
        }
        cJSON *pl = cJSON_Parse(r->payload);
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(pl, "hours_left");
        int64_t left = cJSON_IsNumber(h) ? (int64_t)h->valuedouble : 0;
        cJSON_Delete(pl);
        int64_t deadline = inc.breach_at + p->cfg->breach_notify_hours * 3600000;
        char *dpo = NULL;
        (void)!store_role_get(p->store, inc.id, "dpo", &dpo, err);
        char *who = dpo ? xasprintf("<@%s>", dpo) : xstrdup("DPO");
        char *text = left > 0
            ? xasprintf(":alarm_clock: %s: %lld h left to decide whether the regulator must be "
                        "notified of the suspected breach (deadline <!date^%lld^{date_short} "
                        "{time}|in %lld h>). Record the decision with `/incident breach notify "
                        "yes|no <why>`.", who, (long long)left, (long long)(deadline / 1000),
                        (long long)left)
            : xasprintf(":rotating_light: %s: the %lld h regulator-notification deadline for the "
                        "suspected breach has passed and no decision is recorded. Record it with "
                        "`/incident breach notify yes|no <why>`.", who,
                        (long long)p->cfg->breach_notify_hours);
        rc = plan_say(p, &inc, text, err);
        if (rc == BOT_OK)
            rc = plan_record(p, &inc, NULL, "reminder", text, err);
        free(text);
        free(who);
        free(dpo);
    }
out:
    store_incident_clear(&inc);
    return rc;
}

/* ---- command helpers ---- */

enum bot_rc plan_cmd_incident(const struct cmd_call *call, const struct cmd_args *args, int *argc,
                              bool bare_ok, struct store_incident *inc, struct buf *reply,
                              struct bot_err *err)
{
    struct plan *p = call->plan;
    int64_t id;
    enum bot_rc rc;
    store_incident_init(inc);
    if (*argc > 1) {
        const char *w = args->argv[*argc - 1];
        bool bare = w[0] >= '0' && w[0] <= '9';
        if ((!bare || bare_ok) && plan_parse_incident_ref(w, &id)) {
            (*argc)--;
            rc = store_incident_get(p->store, id, inc, err);
            if (rc == BOT_ENOTFOUND)
                (void)!buf_addf(reply, ":warning: There is no incident INC-%lld. `/incident "
                                "list` shows the open ones.", (long long)id);
            if (rc == BOT_OK) { /* named from elsewhere: a private one only for its team */
                bool may = false;
                rc = plan_may_read(p, inc, call->user_id, call->channel_id, &may, err);
                if (rc == BOT_OK && !may) {
                    (void)!buf_addf(reply, ":lock: INC-%lld is a private incident: only its "
                                    "response team and the IRMs can see or change it. Ask its "
                                    "IRM for access.", (long long)id);
                    store_incident_clear(inc);
                    store_incident_init(inc);
                    rc = BOT_ENOTFOUND;
                }
            }
            return rc;
        }
    }
    rc = call->channel_id ? store_incident_get_by_channel(p->store, call->channel_id, inc, err)
                          : BOT_ENOTFOUND;
    if (rc == BOT_ENOTFOUND)
        (void)!buf_addf(reply, ":warning: This channel is not an incident's. Run the command in "
                        "the incident's channel, or name the incident at the end, e.g. `%s %s "
                        "... INC-42` (`/incident list` shows the open ones).",
                        call->command ? call->command : "/incident", args->argv[0]);
    return rc;
}
