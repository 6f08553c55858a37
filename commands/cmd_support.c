/*
 * `/incident support ...`: plan step 3, the support plan for affected users.
 * `support summary <text>` posts a customer-facing summary to [slack]
 * support_channel; `support plan`, `support docs <url>`, `support contact
 * yes|no` and `support done` tick the support checklist (incident
 * attributes "support.*", each {"by","at"[,"value"]}); `done` needs the plan
 * ready and the contact decided, and marks step 3 done. `support` alone
 * shows the checklist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "plan.h"
#include "slack_text.h"
#include "xmalloc.h"

#define SUPPORT_USAGE                                                                              \
    "`/incident support [summary <text> | plan | docs <url> | contact yes|no | done] [INC-N]`"

static const char *const keys[] = {"support.summary", "support.plan", "support.docs",
                                   "support.contact", "support.done"};
enum { K_SUMMARY, K_PLAN, K_DOCS, K_CONTACT, K_DONE, K_COUNT };

struct support {
    cJSON *v[K_COUNT]; /* parsed attributes; NULL when unset */
};

static void support_free(struct support *s)
{
    for (int i = 0; i < K_COUNT; i++)
        cJSON_Delete(s->v[i]);
}

static enum bot_rc support_load(struct plan *p, int64_t id, struct support *s, struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    memset(s, 0, sizeof(*s));
    for (int i = 0; rc == BOT_OK && i < K_COUNT; i++) {
        char *v = NULL;
        rc = store_incident_attr_get(p->store, id, keys[i], &v, err);
        if (rc == BOT_OK)
            s->v[i] = cJSON_Parse(v);
        else if (rc == BOT_ENOTFOUND)
            rc = BOT_OK;
        free(v);
    }
    return rc;
}

static const char *value_of(const struct support *s, int k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s->v[k], "value"));
}

/* Writes attribute k as {"by","at"[,"value"]}. */
static enum bot_rc support_set(struct plan *p, int64_t id, int k, const char *by,
                               const char *value, struct bot_err *err)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "by", by);
    cJSON_AddNumberToObject(o, "at", (double)p->now_ms);
    if (value)
        cJSON_AddStringToObject(o, "value", value);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    enum bot_rc rc = store_incident_attr_set(p->store, id, keys[k], s, p->now_ms, err);
    free(s);
    return rc;
}

static void by_at(struct buf *b, const cJSON *o)
{
    const char *by = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "by"));
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(o, "at");
    if (by && cJSON_IsNumber(at))
        (void)!buf_addf(b, " (<@%s>, <!date^%lld^{date_short} {time}|then>)", by,
                        (long long)(at->valuedouble / 1000));
}

/* The support checklist as a reply. */
static void show(struct plan *p, const struct store_incident *inc, const struct support *s,
                 struct buf *b)
{
    const char *sc = p->cfg->support_channel ? p->cfg->support_channel : "";
    (void)!buf_addf(b, "*Support plan of INC-%lld* (step 3):\n", (long long)inc->id);
    if (s->v[K_SUMMARY]) {
        (void)!buf_addstr(b, ":white_check_mark: Customer-facing summary posted");
        by_at(b, s->v[K_SUMMARY]);
        (void)!buf_addstr(b, ": ");
        (void)!cmd_add_user_text(b, value_of(s, K_SUMMARY) ? value_of(s, K_SUMMARY) : "");
        (void)!buf_addstr(b, "\n");
    } else if (sc[0]) {
        (void)!buf_addf(b, ":white_circle: Customer-facing summary for <#%s>: `/incident support "
                        "summary <text>`\n", sc);
    } else {
        (void)!buf_addstr(b, ":white_circle: Customer-facing summary: no support channel is "
                          "configured (`[slack] support_channel`)\n");
    }
    (void)!buf_addstr(b, s->v[K_PLAN] ? ":white_check_mark: Plan ready" :
                      ":white_circle: Plan ready: `/incident support plan`");
    by_at(b, s->v[K_PLAN]);
    if (s->v[K_DOCS]) {
        (void)!buf_addstr(b, "\n:white_check_mark: User documentation: ");
        (void)!slack_text_escape(b, value_of(s, K_DOCS) ? value_of(s, K_DOCS) : "",
                                 value_of(s, K_DOCS) ? strlen(value_of(s, K_DOCS)) : 0);
        by_at(b, s->v[K_DOCS]);
    } else {
        (void)!buf_addstr(b, "\n:white_circle: User documentation (if any): `/incident support "
                          "docs <url>`");
    }
    if (s->v[K_CONTACT]) {
        const char *c = value_of(s, K_CONTACT);
        (void)!buf_addf(b, "\n:white_check_mark: Contact affected users directly: %s",
                        c && strcmp(c, "yes") == 0 ? "*yes*" : "*no*");
        by_at(b, s->v[K_CONTACT]);
    } else {
        (void)!buf_addstr(b, "\n:white_circle: Contact affected users directly? `/incident "
                          "support contact yes|no`");
    }
    (void)!buf_addstr(b, s->v[K_DONE] ? "\n:white_check_mark: Done" :
                      "\n:white_circle: Done: `/incident support done` once the plan is ready "
                      "and the contact decided");
    by_at(b, s->v[K_DONE]);
}

/* A link as typed (<https://...>, <https://...|label> or bare); false when it is not one. */
static bool parse_url(const char *w, char *out, size_t outsz)
{
    size_t n = strlen(w);
    if (n >= 2 && w[0] == '<' && w[n - 1] == '>') {
        const char *bar = memchr(w, '|', n);
        n = (bar ? (size_t)(bar - w) : n - 1) - 1;
        w++;
    }
    if (n <= 8 || n >= outsz || n > PLAN_MAX_DOCS_URL ||
        (strncmp(w, "https://", 8) != 0 && strncmp(w, "http://", 7) != 0))
        return false;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)w[i] <= ' ' || strchr("<>|\"", w[i]))
            return false;
        out[o++] = w[i];
        if (strncmp(w + i, "&amp;", 5) == 0) /* Slack escapes & inside a link */
            i += 4;
    }
    out[o] = '\0';
    return true;
}

/* Characters of a UTF-8 string. */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static enum bot_rc summary(const struct cmd_call *call, const struct cmd_args *args, int argc,
                           const struct store_incident *inc, struct cmd_result *out,
                           struct bot_err *err)
{
    struct plan *p = call->plan;
    const char *sc = p->cfg->support_channel ? p->cfg->support_channel : "";
    if (sc[0] == '\0') {
        (void)!buf_addstr(&out->reply, ":warning: No support channel is configured (`[slack] "
                          "support_channel`), so there is nowhere to post the summary; nothing "
                          "changed.");
        return BOT_EINVAL;
    }
    if (argc < 3) {
        (void)!buf_addstr(&out->reply, ":warning: Write the summary for customers after "
                          "`summary`. Usage: " SUPPORT_USAGE);
        return BOT_EINVAL;
    }
    struct buf text, msg, esc;
    buf_init(&text, PLAN_MAX_SUMMARY * 4 + 16);
    buf_init(&msg, PLAN_MAX_SUMMARY * 12 + 2000);
    buf_init(&esc, PLAN_MAX_SUMMARY * 6 + 16);
    char *raw = cmd_args_raw(args, 2, argc); /* as typed: quotes, spacing, lines */
    enum bot_rc rc = buf_addstr(&text, raw);
    free(raw);
    if (rc || chars(buf_str(&text)) > PLAN_MAX_SUMMARY) {
        (void)!buf_addf(&out->reply, ":warning: The summary is longer than %d characters; "
                        "nothing changed.", PLAN_MAX_SUMMARY);
        rc = BOT_EINVAL;
        goto out;
    }
    (void)!slack_text_user(&esc, text.data, text.len);
    /* The support channel reads what is sent on purpose; a private incident's subject stays out. */
    bool full = audience_show(&p->cfg->privacy, inc, AUD_SUPPORT, AUD_TEXT_SUPPORT_SUMMARY) ==
                AUD_SHOW_FULL;
    (void)!buf_addf(&msg, ":information_source: *INC-%lld", (long long)inc->id);
    if (full) {
        char *title = slack_text_title_dup(inc->title, 4096);
        (void)!buf_addf(&msg, ": %s", title);
        free(title);
    }
    (void)!buf_addf(&msg, "* (severity %s, %s): customer-facing summary from <@%s>\n>",
                    inc->severity, inc->status, call->user_id);
    for (const char *c = buf_str(&esc); *c; c++)
        (void)!(*c == '\n' ? buf_addstr(&msg, "\n>") : buf_add(&msg, c, 1));
    if (inc->channel_id && full)
        (void)!buf_addf(&msg, "\nIncident channel: <#%s>", inc->channel_id);
    cJSON *args_ = cJSON_CreateObject();
    cJSON_AddStringToObject(args_, "channel", sc);
    cJSON_AddStringToObject(args_, "text", buf_str(&msg));
    cJSON_AddFalseToObject(args_, "unfurl_links");
    rc = plan_call(p, inc->id, "chat.postMessage", args_, err);
    if (rc == BOT_OK)
        rc = support_set(p, inc->id, K_SUMMARY, call->user_id, buf_str(&text), err);
    char *rec = xasprintf("Customer-facing summary posted to <#%s> by <@%s>: %s", sc,
                          call->user_id, buf_str(&esc));
    if (rc == BOT_OK)
        rc = plan_record(p, inc, call->user_id, "support", rec, err);
    if (rc == BOT_OK && strcmp(inc->status, "potential") != 0)
        rc = plan_say(p, inc, rec, err);
    free(rec);
    if (rc == BOT_OK)
        (void)!buf_addf(&out->reply, "Posted the summary to <#%s>.", sc);
out:
    buf_free(&text);
    buf_free(&msg);
    buf_free(&esc);
    return rc;
}

static enum bot_rc support_cmd(const struct cmd_call *call, const struct cmd_args *args,
                               struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    struct support s;
    int argc = args->argc;
    char text[PLAN_MAX_DOCS_URL + 300], url[PLAN_MAX_DOCS_URL + 1];
    if (p == NULL)
        return BOT_ESTATE;
    memset(&s, 0, sizeof(s));
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, argc == 2, &inc, &out->reply, &err);
    if (rc == BOT_OK)
        rc = support_load(p, inc.id, &s, &err);
    if (rc)
        goto out;
    const char *verb = argc > 1 ? args->argv[1] : "";
    int k = -1;
    const char *value = NULL;
    if (argc == 1) {
        show(p, &inc, &s, &out->reply);
        goto out;
    } else if (strcmp(verb, "summary") == 0) {
        rc = summary(call, args, argc, &inc, out, &err);
        goto out;
    } else if (strcmp(verb, "plan") == 0 && argc == 2) {
        k = K_PLAN;
    } else if (strcmp(verb, "docs") == 0 && argc == 3) {
        if (!parse_url(args->argv[2], url, sizeof(url))) {
            (void)!buf_addstr(&out->reply, ":warning: `support docs` needs an http:// or "
                              "https:// link without spaces, not `");
            (void)!cmd_add_user_text(&out->reply, args->argv[2]);
            (void)!buf_addstr(&out->reply, "`; nothing changed.");
            rc = BOT_EINVAL;
            goto out;
        }
        k = K_DOCS;
        value = url;
    } else if (strcmp(verb, "contact") == 0 && argc == 3 &&
               (strcmp(args->argv[2], "yes") == 0 || strcmp(args->argv[2], "no") == 0)) {
        k = K_CONTACT;
        value = args->argv[2];
    } else if (strcmp(verb, "done") == 0 && argc == 2) {
        k = K_DONE;
    } else {
        (void)!buf_addstr(&out->reply, ":warning: Unexpected `");
        (void)!cmd_add_user_text(&out->reply, verb);
        (void)!buf_addstr(&out->reply, "`. Usage: " SUPPORT_USAGE);
        rc = BOT_EINVAL;
        goto out;
    }
    /* Checks: nothing is written before all of them passed. */
    const char *had = value_of(&s, k);
    if ((k == K_PLAN || k == K_DONE) && s.v[k]) {
        (void)!buf_addf(&out->reply, ":information_source: %s already", k == K_PLAN ?
                        "The support plan is marked ready" : "The support plan is done");
        by_at(&out->reply, s.v[k]);
        (void)!buf_addstr(&out->reply, "; nothing changed.");
        rc = BOT_EINVAL;
        goto out;
    }
    if ((k == K_DOCS || k == K_CONTACT) && had && strcmp(had, value) == 0) {
        (void)!buf_addstr(&out->reply, ":information_source: That is recorded already; nothing "
                          "changed.");
        rc = BOT_EINVAL;
        goto out;
    }
    if (k == K_DONE && (s.v[K_PLAN] == NULL || s.v[K_CONTACT] == NULL)) {
        (void)!buf_addf(&out->reply, ":warning: The support plan of INC-%lld is not done yet: "
                        "%s%s%s. Nothing changed.", (long long)inc.id,
                        s.v[K_PLAN] ? "" : "mark it ready (`/incident support plan`)",
                        !s.v[K_PLAN] && !s.v[K_CONTACT] ? " and " : "",
                        s.v[K_CONTACT] ? "" : "decide whether affected users are contacted "
                                              "(`/incident support contact yes|no`)");
        rc = BOT_EINVAL;
        goto out;
    }
    rc = support_set(p, inc.id, k, call->user_id, value, &err);
    if (k == K_PLAN)
        snprintf(text, sizeof(text), "Support plan ready (<@%s>)", call->user_id);
    else if (k == K_DOCS) {
        struct buf e;
        buf_init(&e, sizeof(text) - 100);
        (void)!slack_text_escape(&e, url, strlen(url));
        snprintf(text, sizeof(text), "User documentation for the support plan: %s (<@%s>)",
                 buf_str(&e), call->user_id);
        buf_free(&e);
    }
    else if (k == K_CONTACT)
        snprintf(text, sizeof(text), "Affected users %s contacted directly (<@%s>)",
                 strcmp(value, "yes") == 0 ? "will be" : "will not be", call->user_id);
    else
        snprintf(text, sizeof(text), "Support plan done (<@%s>)", call->user_id);
    if (rc == BOT_OK)
        rc = plan_record(p, &inc, call->user_id, "support", text, &err);
    if (rc == BOT_OK && k == K_DONE) {
        rc = plan_step_done(p, &inc, 3, call->user_id, &err);
        if (rc == BOT_OK && strcmp(inc.status, "potential") != 0)
            rc = plan_say(p, &inc, text, &err);
    }
    if (rc == BOT_OK) {
        support_free(&s);
        rc = support_load(p, inc.id, &s, &err);
    }
    if (rc == BOT_OK) {
        (void)!buf_addstr(&out->reply, "Recorded. ");
        show(p, &inc, &s, &out->reply);
    }
out:
    support_free(&s);
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_support_entry = {
    .name = "support",
    .args = "[summary <text> | plan | docs <url> | contact yes|no | done] [INC-N]",
    .summary = "step 3: a summary for the support channel, and the support plan checklist",
    .min_args = 0,
    .max_args = -1,
    .handler = support_cmd,
};
