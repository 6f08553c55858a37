/*
 * Loading an incident's view for rendering (see inc_view.h): three store
 * reads in one snapshot, then a struct render_incident filled from them.
 */
#include "inc_view.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "incident.h"
#include "store_outbox.h"
#include "xmalloc.h"

void inc_view_free(struct inc_view *v)
{
    store_incident_clear(&v->row);
    store_role_list_free(v->roles, v->n_roles);
    store_component_links_free(v->components, v->n_components);
    free(v->component_names);
    free(v->mirror_state);
    memset(v, 0, sizeof(*v));
    store_incident_init(&v->row);
}

/* Points r at what the store returned; BOT_EINVAL for a severity or status it does not know. */
static enum bot_rc fill(struct inc_view *v, struct bot_err *err)
{
    const struct store_incident *row = &v->row;
    struct render_incident *r = &v->r;
    const char *sev = row->severity ? row->severity : "", *st = row->status ? row->status : "";

    memset(r, 0, sizeof(*r));
    if (!plan_severity_parse(sev, strlen(sev), &r->severity))
        return bot_err_set(err, BOT_EINVAL, "incident %lld: unknown severity \"%.40s\"",
                           (long long)row->id, sev);
    if (!plan_status_parse(st, strlen(st), &r->status))
        return bot_err_set(err, BOT_EINVAL, "incident %lld: unknown status \"%.40s\"",
                           (long long)row->id, st);
    r->id = row->id;
    r->title = row->title;
    r->description = row->description;
    r->breach = row->breach != 0;
    r->declarer = row->declarer;
    r->public_ = row->published != 0;
    r->cancelled = v->cancelled;
    r->started_at_ms = row->started_at;
    r->declared_at_ms = row->declared_at;
    r->step = row->step > 0 ? row->step : 1;
    r->call_url = row->call_url;
    r->mirror_state = v->mirror_state;
    r->channel_id = row->channel_id;
    for (size_t i = 0; i < v->n_roles; i++) {
        const char *role = v->roles[i].role, *user = v->roles[i].user_id;
        if (role == NULL)
            continue;
        if (strcmp(role, "irm") == 0)
            r->irm = user;
        else if (strcmp(role, "tech") == 0)
            r->tech_liaison = user;
        else if (strcmp(role, "support") == 0)
            r->support_liaison = user;
        else if (strcmp(role, "dpo") == 0)
            r->dpo = user;
    }
    if (v->n_components > 0) {
        v->component_names = xcalloc(v->n_components, sizeof(*v->component_names));
        for (size_t i = 0; i < v->n_components; i++)
            v->component_names[i] = v->components[i].component;
    }
    r->components = v->component_names;
    r->n_components = v->n_components;
    return BOT_OK;
}

/*
 * The status-page mirror's state from the incident's "statuspage" effects:
 * failed (an effect given up) wins, then retrying (one pending after a failed
 * attempt), then sending, then synced; NULL when it never had any.
 */
static enum bot_rc mirror_state(struct store *s, int64_t id, char **out, struct bot_err *err)
{
    struct store_outbox_row *rows = NULL;
    size_t n = 0;
    *out = NULL;
    enum bot_rc rc = store_outbox_list_incident(s, id, &rows, &n, err);
    if (rc)
        return rc;
    const struct store_outbox_row *failed = NULL, *retrying = NULL;
    bool pending = false, done = false;
    for (size_t i = 0; i < n; i++) {
        const struct store_outbox_row *r = &rows[i];
        if (strcmp(r->target, "statuspage") != 0)
            continue;
        if (strcmp(r->state, "failed") == 0)
            failed = r;
        else if (strcmp(r->state, "done") == 0)
            done = true;
        else if (r->attempts > 0 && r->last_error && retrying == NULL)
            retrying = r;
        else
            pending = true;
    }
    if (failed)
        *out = xasprintf("failed: %.300s", failed->last_error ? failed->last_error : "?");
    else if (retrying)
        *out = xasprintf("retrying (attempt %lld failed: %.200s)",
                         (long long)retrying->attempts, retrying->last_error);
    else if (pending)
        *out = xstrdup("sending");
    else if (done)
        *out = xstrdup("synced");
    store_outbox_list_free(rows, n);
    return BOT_OK;
}

enum bot_rc inc_view_load(struct store *s, int64_t id, struct inc_view *out, struct bot_err *err)
{
    enum bot_rc rc;
    bool own_txn = !store_in_txn(s);

    memset(out, 0, sizeof(*out));
    store_incident_init(&out->row);
    if (own_txn) {
        rc = store_begin_read(s, err);
        if (rc)
            return rc;
    }
    rc = store_incident_get(s, id, &out->row, err);
    if (rc == BOT_OK)
        rc = store_role_list_current(s, id, &out->roles, &out->n_roles, err);
    if (rc == BOT_OK)
        rc = store_incident_component_list(s, id, &out->components, &out->n_components, err);
    if (rc == BOT_OK)
        rc = mirror_state(s, id, &out->mirror_state, err);
    if (rc == BOT_OK) {
        char *why = NULL;
        rc = store_incident_attr_get(s, id, "cancelled", &why, err);
        out->cancelled = rc == BOT_OK;
        if (rc == BOT_ENOTFOUND)
            rc = BOT_OK;
        free(why);
    }
    if (own_txn)
        store_rollback(s); /* only read: ending the snapshot is all that is left to do */
    if (rc == BOT_OK)
        rc = fill(out, err);
    if (rc)
        inc_view_free(out);
    return rc;
}
