/*
 * Which components an incident affects, after it was declared: the names a
 * user may give (the configured ones, then those the store already has),
 * the refusal that lists them, and `/incident component add|remove`, whose
 * change the built-in page and the Statuspage mirror follow at once when
 * the incident is public.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "plan.h"
#include "render.h"
#include "slack_text.h"
#include "store_component.h"
#include "xmalloc.h"

static bool ascii_eq_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return *a == *b;
}

const char *plan_component_match(char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return names[i];
    for (size_t i = 0; i < n; i++)
        if (ascii_eq_nocase(names[i], name))
            return names[i];
    return NULL;
}

const char *plan_component_resolve(const struct plan_config *cfg, char *const *names, size_t n,
                                   const char *name)
{
    const char *m = plan_component_match(names, n, name);
    return m != NULL || cfg->n_components > 0 ? m : name;
}

void plan_components_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

enum bot_rc plan_components_known(struct plan *p, char ***names, size_t *n, struct bot_err *err)
{
    struct store_component *rows = NULL;
    size_t nr = 0;
    const struct plan_config *c = p->cfg;
    *names = NULL;
    *n = 0;
    enum bot_rc rc = store_component_list(p->store, &rows, &nr, err);
    if (rc)
        return rc;
    char **out = xcalloc(c->n_components + nr + 1, sizeof(*out));
    size_t k = 0;
    for (size_t i = 0; i < c->n_components; i++)
        if (c->components[i] && c->components[i][0] && !plan_component_match(out, k,
                                                                             c->components[i]))
            out[k++] = xstrdup(c->components[i]);
    for (size_t i = 0; i < nr; i++) {
        bool dup = false;
        for (size_t j = 0; j < k && !dup; j++)
            dup = strcmp(out[j], rows[i].name) == 0;
        if (!dup)
            out[k++] = xstrdup(rows[i].name);
    }
    store_component_list_free(rows, nr);
    *names = out;
    *n = k;
    return BOT_OK;
}

void plan_component_unknown(struct buf *out, const char *name, char *const *names, size_t n)
{
    (void)!buf_addstr(out, ":warning: There is no component `");
    (void)!cmd_add_user_text(out, name);
    if (n == 0) {
        (void)!buf_addstr(out, "`, and none is configured ([statuspage] components); nothing "
                          "changed.");
        return;
    }
    (void)!buf_addstr(out, "`; nothing changed. Known components: ");
    for (size_t i = 0; i < n; i++) {
        (void)!buf_addstr(out, i ? ", `" : "`");
        (void)!cmd_add_user_text(out, names[i]);
        (void)!buf_addstr(out, "`");
    }
    (void)!buf_addstr(out, ".");
}

enum bot_rc plan_component_attach(struct plan *p, int64_t id, const char *name,
                                  struct bot_err *err)
{
    struct store_component c;
    enum bot_rc rc = store_component_get(p->store, name, &c, err);
    if (rc == BOT_ENOTFOUND)
        rc = store_component_upsert(p->store, name, NULL, 0, p->now_ms, err);
    else if (rc == BOT_OK)
        store_component_clear(&c);
    if (rc == BOT_OK)
        rc = store_incident_component_add(p->store, id, name, NULL, err);
    return rc;
}

/* The names of inc's components now, as a JSON array. */
static enum bot_rc component_names(struct plan *p, int64_t id, cJSON **arr, struct bot_err *err)
{
    struct store_component_link *links = NULL;
    size_t nl = 0;
    enum bot_rc rc = store_incident_component_list(p->store, id, &links, &nl, err);
    *arr = cJSON_CreateArray();
    for (size_t i = 0; rc == BOT_OK && i < nl; i++)
        cJSON_AddItemToArray(*arr, cJSON_CreateString(links[i].component));
    store_component_links_free(links, nl);
    return rc;
}

static enum bot_rc holds(struct plan *p, int64_t id, const char *name, bool *held,
                         struct bot_err *err)
{
    struct store_component_link *links = NULL;
    size_t nl = 0;
    enum bot_rc rc = store_incident_component_list(p->store, id, &links, &nl, err);
    *held = false;
    for (size_t i = 0; rc == BOT_OK && i < nl; i++)
        *held = *held || strcmp(links[i].component, name) == 0;
    store_component_links_free(links, nl);
    return rc;
}

enum bot_rc plan_set_component(struct plan *p, struct store_incident *inc, bool add,
                               const char *name, const char *actor, const char *url,
                               struct bot_err *err)
{
    char **known = NULL;
    size_t nk = 0;
    char text[1200], who[1024];
    bool allowed = true, held = false;
    enum bot_rc rc_;
    struct buf reply;
    buf_init(&reply, CMD_MAX_REPLY);
    if (strcmp(inc->status, "closed") == 0) {
        snprintf(text, sizeof(text), ":information_source: INC-%lld is closed; its components "
                 "stay as they were. Nothing changed.", (long long)inc->id);
        rc_ = plan_respond(p, url, text, NULL, false, err);
        buf_free(&reply);
        return rc_;
    }
    enum bot_rc rc = plan_may_manage(p, inc, actor, &allowed, who, sizeof(who));
    if (rc)
        goto out;
    if (!allowed) {
        snprintf(text, sizeof(text), ":no_entry: Only %s may change the components of INC-%lld; "
                 "nothing changed.", who, (long long)inc->id);
        rc = plan_respond(p, url, text, NULL, false, err);
        goto out;
    }
    rc = plan_components_known(p, &known, &nk, err);
    if (rc)
        goto out;
    const char *canon = plan_component_resolve(p->cfg, known, nk, name);
    if (canon == NULL) {
        plan_component_unknown(&reply, name, known, nk);
        rc = plan_respond(p, url, buf_str(&reply), NULL, false, err);
        goto out;
    }
    rc = holds(p, inc->id, canon, &held, err);
    if (rc)
        goto out;
    char *shown = slack_text_title_dup(canon, 1024);
    if (held == add) {
        snprintf(text, sizeof(text), "INC-%lld %s %s already; nothing changed.",
                 (long long)inc->id, add ? "affects" : "does not affect", shown);
        free(shown);
        rc = plan_respond(p, url, text, NULL, false, err);
        goto out;
    }
    rc = add ? plan_component_attach(p, inc->id, canon, err)
             : store_incident_component_remove(p->store, inc->id, canon, err);
    snprintf(text, sizeof(text), "Component %s %s by <@%s>", shown,
             add ? "added" : "removed", actor);
    free(shown);
    if (rc == BOT_OK) {
        inc->updated_at = p->now_ms;
        rc = store_incident_update(p->store, inc, err);
    }
    if (rc == BOT_OK)
        rc = plan_record(p, inc, actor, "component", text, err);
    if (rc == BOT_OK && inc->published && !add) /* its own links no longer name it */
        rc = plan_sync_component(p, canon, err);
    if (rc == BOT_OK && inc->published) {
        cJSON *pl = cJSON_CreateObject(), *names = NULL;
        rc = component_names(p, inc->id, &names, err);
        cJSON_AddItemToObject(pl, "components", names);
        if (!add) {
            cJSON *removed = cJSON_AddArrayToObject(pl, "removed");
            cJSON_AddItemToArray(removed, cJSON_CreateString(canon));
        }
        if (rc == BOT_OK)
            rc = plan_mirror(p, inc, HOOK_UPDATED, "statuspage.update", pl, err);
        else
            cJSON_Delete(pl);
    }
    if (rc == BOT_OK && strcmp(inc->status, "potential") != 0) {
        rc = plan_say(p, inc, text, err);
        if (rc == BOT_OK)
            rc = plan_refresh(p, inc, err);
    }
    if (rc == BOT_OK && url) {
        snprintf(text, sizeof(text), "Done: %s.", inc->published
                 ? "the status page follows" : "the incident's components changed");
        rc = plan_respond(p, url, text, NULL, false, err);
    }
out:
    buf_free(&reply);
    plan_components_free(known, nk);
    return rc;
}

enum bot_rc plan_components_menu(struct plan *p, const struct store_incident *inc,
                                 const char *url, bool replace, struct bot_err *err)
{
    struct store_component_link *links = NULL;
    size_t nl = 0, nk = 0, no = 0;
    char **known = NULL;
    cJSON *blocks = NULL;
    char *text = NULL;
    if (strcmp(inc->status, "closed") == 0) {
        char msg[200];
        snprintf(msg, sizeof(msg), ":information_source: INC-%lld is closed; its components stay "
                 "as they were.", (long long)inc->id);
        return plan_respond(p, url, msg, NULL, replace, err);
    }
    enum bot_rc rc = store_incident_component_list(p->store, inc->id, &links, &nl, err);
    if (rc == BOT_OK)
        rc = plan_components_known(p, &known, &nk, err);
    if (rc == BOT_OK) {
        const char **current = xcalloc(nl + 1, sizeof(*current));
        const char **others = xcalloc(nk + 1, sizeof(*others));
        for (size_t i = 0; i < nl; i++)
            current[i] = links[i].component;
        for (size_t i = 0; i < nk; i++) {
            bool held = false;
            for (size_t j = 0; j < nl && !held; j++)
                held = strcmp(known[i], links[j].component) == 0;
            if (!held)
                others[no++] = known[i];
        }
        rc = render_components_menu(inc->id, current, nl, others, no, &blocks, &text);
        if (rc != BOT_OK)
            rc = bot_err_set(err, rc, "components menu of INC-%lld: %s", (long long)inc->id,
                             bot_strerror(rc));
        free(current);
        free(others);
    }
    if (rc == BOT_OK)
        rc = plan_respond(p, url, text, blocks, replace, err);
    free(text);
    plan_components_free(known, nk);
    store_component_links_free(links, nl);
    return rc;
}
