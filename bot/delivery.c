/*
 * The outbox drain (see delivery.h). One instance per lane (outbox target),
 * one effect at a time, in the order the store hands them out (per incident
 * and target); the loop sleeps until the next effect of its lane falls due
 * or someone calls delivery_wake(). Views of an incident are rendered here,
 * from the incident as it is stored when the effect is performed. The
 * "slack" lane also syncs the workspace directory between effects.
 */
#include "delivery.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "hook.h"
#include "audience.h"
#include "inc_view.h"
#include "log.h"
#include "plan.h"
#include "render.h"
#include "slack_api.h"
#include "slack_backoff.h"
#include "slack_text.h"
#include "sp_api.h"
#include "buf.h"
#include "store.h"
#include "store_component.h"
#include "store_directory.h"
#include "store_incident.h"
#include "store_outbox.h"
#include "webhook.h"
#include "xmalloc.h"

/* A users.list walk in progress, kept across the effects it let go first. */
struct dir_walk {
    struct store_directory_user *users; /* their strings owned */
    size_t n, cap;
    char *cursor;   /* the next page; NULL before the first and after the last */
    unsigned pages; /* read so far */
    size_t skipped; /* members without a usable id */
};

struct delivery {
    const struct config *cfg;
    char lane[DELIVERY_MAX_LANE]; /* the outbox target it drains */
    int64_t max_attempts;         /* per effect, in this lane */
    pthread_mutex_t *write_lock;
    struct store *store;
    struct slack_api *api;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, kicked;
    uint64_t rng;
    /* The workspace directory, kept by the "slack" lane only; touched by its thread only. */
    bool directory;
    struct dir_walk walk;
    int64_t directory_due_at;      /* next sync (wall clock ms); 0: when the lane is idle */
    unsigned directory_failures;   /* failed syncs in a row, for the backoff */
    int64_t directory_retry_after; /* Slack's Retry-After of the last failed call, ms */
    /* The "statuspage" lane's Statuspage client and its pacing (CLOCK_MONOTONIC ms). */
    struct sp_api *sp;
    int64_t sp_next_at;
    /* Statuspage seemed down (no answer, 5xx): its next probe (CLOCK_MONOTONIC ms). */
    bool sp_down;
    int64_t sp_probe_at;
    /* A webhook's lane: its entry in cfg (NULL in other lanes) and its HTTP client. */
    const struct cfg_webhook *hook;
    struct webhook *wh;
};

static const char *str_field(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The incident fields effects may read, and which of them an answer may be saved into. */
static const struct {
    const char *name;
    size_t off;
    bool saveable;
} fields[] = {
    {"channel_id", offsetof(struct store_incident, channel_id), true},
    {"channel_name", offsetof(struct store_incident, channel_name), true},
    {"control_ts", offsetof(struct store_incident, control_ts), true},
    {"announce_channel", offsetof(struct store_incident, announce_channel), true},
    {"announce_ts", offsetof(struct store_incident, announce_ts), true},
    {"call_url", offsetof(struct store_incident, call_url), false},
    {"statuspage_id", offsetof(struct store_incident, statuspage_id), true},
    {"declarer", offsetof(struct store_incident, declarer), false},
};

static char **field_ptr(struct store_incident *inc, size_t i)
{
    return (char **)(void *)((char *)inc + fields[i].off);
}

static int field_index(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (strlen(fields[i].name) == len && memcmp(fields[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

static enum bot_rc fill_string(cJSON *node, const struct store_incident *inc, struct bot_err *err)
{
    static const char open[] = "{{incident.";
    const char *s = node->valuestring;
    if (strstr(s, open) == NULL)
        return BOT_OK;
    struct buf out;
    enum bot_rc rc = BOT_OK;
    buf_init(&out, DELIVERY_MAX_FILL);
    while (rc == BOT_OK && *s) {
        const char *p = strstr(s, open);
        if (p == NULL) {
            rc = buf_addstr(&out, s);
            break;
        }
        const char *name = p + sizeof(open) - 1, *close = strstr(name, "}}");
        if (close == NULL) {
            rc = bot_err_set(err, BOT_EINVAL, "unterminated placeholder in \"%.60s\"",
                             node->valuestring);
            break;
        }
        int i = field_index(name, (size_t)(close - name));
        if (i < 0) {
            rc = bot_err_set(err, BOT_EINVAL, "unknown placeholder {{incident.%.*s}}",
                             (int)(close - name), name);
            break;
        }
        if (inc == NULL) {
            rc = bot_err_set(err, BOT_EINVAL, "placeholder {{incident.%s}} in an effect of no "
                             "incident", fields[i].name);
            break;
        }
        const char *v = *field_ptr((struct store_incident *)(void *)inc, (size_t)i);
        if (v == NULL) {
            rc = bot_err_set(err, BOT_ESTATE, "incident %lld has no %s yet (the effect that "
                             "sets it failed)", (long long)inc->id, fields[i].name);
            break;
        }
        rc = buf_add(&out, s, (size_t)(p - s));
        if (rc == BOT_OK)
            rc = buf_addstr(&out, v);
        s = close + 2;
    }
    if (rc == BOT_ETOOBIG)
        bot_err_set(err, rc, "a filled string is longer than %d bytes", DELIVERY_MAX_FILL);
    if (rc == BOT_OK && cJSON_SetValuestring(node, buf_str(&out)) == NULL)
        rc = bot_err_set(err, BOT_EINVAL, "cannot set a filled string");
    buf_free(&out);
    return rc;
}

/*
 * The arguments that name where a call goes: a whole value "{{incident.F}}"
 * there is filled. They never hold what a user typed.
 */
static const char *const routing_args[] = {"channel", "channel_id", "thread_ts", "ts", "users"};

static const cJSON *at_path(const cJSON *root, const char *path);

enum bot_rc delivery_fill(cJSON *payload, const struct store_incident *inc, struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    cJSON *args = cJSON_GetObjectItemCaseSensitive(payload, "args");
    for (size_t i = 0; rc == BOT_OK && cJSON_IsObject(args) &&
                       i < sizeof(routing_args) / sizeof(routing_args[0]); i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(args, routing_args[i]);
        if (cJSON_IsString(v) && v->valuestring != NULL && strncmp(v->valuestring, "{{", 2) == 0)
            rc = fill_string(v, inc, err);
    }
    /* Strings the plan wrote itself and named in "fill" (a bot message linking the channel). */
    cJSON *fill = cJSON_DetachItemFromObjectCaseSensitive(payload, "fill");
    const cJSON *path;
    cJSON_ArrayForEach(path, fill) {
        if (rc != BOT_OK)
            break;
        cJSON *v = cJSON_IsString(path) ? (cJSON *)at_path(payload, path->valuestring) : NULL;
        if (!cJSON_IsString(v) || v->valuestring == NULL)
            rc = bot_err_set(err, BOT_EINVAL, "\"fill\" names %s, which is not a string",
                             cJSON_IsString(path) ? path->valuestring : "a non-string");
        else
            rc = fill_string(v, inc, err);
    }
    cJSON_Delete(fill);
    return rc;
}

/* The member of root at a dotted path ("channel.id"), or NULL. */
static const cJSON *at_path(const cJSON *root, const char *path)
{
    const cJSON *cur = root;
    char key[128];
    while (cur != NULL && *path) {
        const char *dot = strchr(path, '.');
        size_t len = dot ? (size_t)(dot - path) : strlen(path);
        if (len == 0 || len >= sizeof(key))
            return NULL;
        memcpy(key, path, len);
        key[len] = '\0';
        cur = cJSON_GetObjectItemCaseSensitive(cur, key);
        path += len + (dot ? 1 : 0);
    }
    return cur;
}

enum bot_rc delivery_save(const cJSON *save, const cJSON *result, struct store_incident *inc,
                          struct bot_err *err)
{
    if (!cJSON_IsObject(save))
        return bot_err_set(err, BOT_EINVAL, "\"save\" is not an object");
    for (const cJSON *m = save->child; m != NULL; m = m->next) {
        int i = field_index(m->string, strlen(m->string));
        if (i < 0 || !fields[i].saveable)
            return bot_err_set(err, BOT_EINVAL, "\"save\": %s cannot be saved", m->string);
        if (!cJSON_IsString(m))
            return bot_err_set(err, BOT_EINVAL, "\"save\": %s needs a path string", m->string);
        const cJSON *v = at_path(result, m->valuestring);
        if (!cJSON_IsString(v))
            return bot_err_set(err, BOT_EINVAL, "\"save\": the answer has no string at %s",
                               m->valuestring);
        char **f = field_ptr(inc, (size_t)i);
        free(*f);
        *f = xstrdup(v->valuestring);
    }
    return BOT_OK;
}

/* Classifies a failed call by what Slack (or the network) said. */
static enum delivery_outcome classify(enum bot_rc rc, const struct slack_api_result *res,
                                      int64_t *retry_after_ms)
{
    switch (rc) {
    case BOT_ERATELIMIT:
        *retry_after_ms = res->retry_after_ms;
        return DELIVERY_RETRY;
    case BOT_ENET:
    case BOT_EPROTO:
        return DELIVERY_RETRY;
    case BOT_EREMOTE:
        if (res->http_status >= 500 || res->http_status == 429 || res->http_status == 0)
            return DELIVERY_RETRY;
        switch (slack_api_error_class(res->error)) {
        case SLACK_ERRC_RATELIMIT:
            *retry_after_ms = res->retry_after_ms;
            return DELIVERY_RETRY;
        case SLACK_ERRC_TRANSIENT:
            return DELIVERY_RETRY;
        default:
            return DELIVERY_FAIL;
        }
    default: /* BOT_EIO, BOT_EBUSY: the one classification of every lane (err.h) */
        return bot_rc_transient(rc) ? DELIVERY_RETRY : DELIVERY_FAIL;
    }
}

/* Page callback: finds the channel named ud->name among conversations.list's answer. */
struct find_channel {
    const char *name;
    cJSON *found; /* a copy of the channel object; owned */
};

static enum bot_rc find_channel_page(void *ud, struct slack_api_result *page, bool *more,
                                     struct bot_err *err)
{
    struct find_channel *f = ud;
    const cJSON *ch;
    (void)err;
    cJSON_ArrayForEach(ch, cJSON_GetObjectItemCaseSensitive(page->body, "channels"))
    {
        const char *n = str_field(ch, "name");
        if (n != NULL && strcmp(n, f->name) == 0) {
            f->found = cJSON_Duplicate(ch, 1);
            *more = false;
            break;
        }
    }
    return BOT_OK;
}

/*
 * After name_taken: is the channel one this bot created, on an attempt whose
 * answer was lost (a timeout, a crash before the result was recorded)? Then
 * that attempt succeeded and its channel is the answer. *answer is NULL when
 * the name belongs to someone else.
 */
static enum bot_rc own_channel(struct slack_api *api, const char *name, cJSON **answer,
                               struct bot_err *err)
{
    struct slack_api_result me = {0};
    struct find_channel f = {name, NULL};
    *answer = NULL;
    enum bot_rc rc = slack_api_call(api, "auth.test", NULL, &me, err);
    const char *self = rc == BOT_OK ? str_field(me.body, "user_id") : NULL;
    if (rc == BOT_OK && self == NULL)
        rc = bot_err_set(err, BOT_EPROTO, "auth.test: no user_id in the answer");
    if (rc == BOT_OK) {
        cJSON *args = cJSON_CreateObject();
        cJSON_AddStringToObject(args, "types", "public_channel,private_channel");
        cJSON_AddTrueToObject(args, "exclude_archived");
        cJSON_AddNumberToObject(args, "limit", 200);
        rc = slack_api_paginate(api, "conversations.list", args, 0, find_channel_page, &f, err);
        cJSON_Delete(args);
    }
    if (rc == BOT_OK && f.found != NULL) {
        const char *creator = str_field(f.found, "creator");
        if (creator != NULL && strcmp(creator, self) == 0) {
            *answer = cJSON_CreateObject();
            cJSON_AddTrueToObject(*answer, "ok");
            cJSON_AddItemToObject(*answer, "channel", f.found);
            f.found = NULL;
        }
    }
    cJSON_Delete(f.found);
    slack_api_result_free(&me);
    return rc;
}

/*
 * "slack.create_channel" {"names": [first choice, fallbacks...], "is_private": bool}:
 * conversations.create with the first name that is free, or the answer of an
 * earlier attempt of ours that created it already. The names come from the
 * plan (it knows the template and keeps the incident id in every variant).
 */
static enum delivery_outcome create_channel(struct slack_api *api, const cJSON *p, char **result,
                                            int64_t *retry_after_ms, struct bot_err *err)
{
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(p, "names");
    const cJSON *priv = cJSON_GetObjectItemCaseSensitive(p, "is_private");
    const cJSON *name;
    if (!cJSON_IsArray(names) || cJSON_GetArraySize(names) == 0 ||
        (priv != NULL && !cJSON_IsBool(priv))) {
        bot_err_set(err, BOT_EINVAL, "slack.create_channel: needs \"names\" (non-empty array of "
                    "strings) and \"is_private\" (boolean)");
        return DELIVERY_FAIL;
    }
    cJSON_ArrayForEach(name, names)
    {
        if (!cJSON_IsString(name)) {
            bot_err_set(err, BOT_EINVAL, "slack.create_channel: a name is not a string");
            return DELIVERY_FAIL;
        }
    }
    cJSON_ArrayForEach(name, names)
    {
        struct slack_api_result res = {0};
        cJSON *args = cJSON_CreateObject();
        cJSON_AddStringToObject(args, "name", name->valuestring);
        cJSON_AddBoolToObject(args, "is_private", cJSON_IsTrue(priv));
        enum bot_rc rc =
            slack_api_call_ex(api, "conversations.create", args, SLACK_API_NO_AMBIGUOUS_RETRY,
                              &res, err);
        cJSON_Delete(args);
        if (rc == BOT_OK) {
            *result = res.body ? cJSON_PrintUnformatted(res.body) : NULL;
            slack_api_result_free(&res);
            return DELIVERY_DONE;
        }
        bool taken = rc == BOT_EREMOTE && strcmp(res.error, "name_taken") == 0;
        if (!taken) {
            enum delivery_outcome o = classify(rc, &res, retry_after_ms);
            slack_api_result_free(&res);
            return o;
        }
        slack_api_result_free(&res);
        cJSON *mine = NULL;
        rc = own_channel(api, name->valuestring, &mine, err);
        if (rc != BOT_OK)
            return DELIVERY_RETRY; /* cannot tell yet whose it is: ask again later */
        if (mine != NULL) {
            *result = cJSON_PrintUnformatted(mine);
            cJSON_Delete(mine);
            return DELIVERY_DONE;
        }
    }
    bot_err_set(err, BOT_EEXISTS, "slack.create_channel: every name offered is taken (last: %s)",
                cJSON_GetArrayItem(names, cJSON_GetArraySize(names) - 1)->valuestring);
    return DELIVERY_FAIL;
}

enum delivery_outcome delivery_perform(struct slack_api *api, const char *kind,
                                       const char *payload, const struct store_incident *inc,
                                       char **result, int64_t *retry_after_ms,
                                       struct bot_err *err)
{
    struct slack_api_result res = {0};
    enum delivery_outcome out = DELIVERY_FAIL;
    enum bot_rc rc;
    cJSON *p = cJSON_Parse(payload);

    *result = NULL;
    *retry_after_ms = 0;
    if (!cJSON_IsObject(p)) {
        bot_err_set(err, BOT_EINVAL, "%s: payload is not a JSON object", kind);
        goto out;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(p, "save"); /* for finish(), not for Slack */
    if (delivery_fill(p, inc, err) != BOT_OK)
        goto out;
    if (strcmp(kind, "slack.respond") == 0) {
        const char *url = str_field(p, "url");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(p, "message");
        if (url == NULL || !cJSON_IsObject(msg)) {
            bot_err_set(err, BOT_EINVAL, "%s: needs \"url\" (string) and \"message\" (object)",
                        kind);
            goto out;
        }
        rc = slack_api_post_url(api, url, msg, &res, err);
    } else if (strcmp(kind, "slack.call") == 0) {
        const char *method = str_field(p, "method");
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(p, "args");
        if (method == NULL || (args != NULL && !cJSON_IsObject(args))) {
            bot_err_set(err, BOT_EINVAL, "%s: needs \"method\" (string) and \"args\" (object)",
                        kind);
            goto out;
        }
        /* A call that may already have run is not repeated blindly within this attempt. */
        rc = slack_api_call_ex(api, method, args, SLACK_API_NO_AMBIGUOUS_RETRY, &res, err);
        /* "ok_errors": Slack errors that mean the call's purpose is met (already_in_channel). */
        const cJSON *okerr;
        cJSON_ArrayForEach(okerr, cJSON_GetObjectItemCaseSensitive(p, "ok_errors"))
        {
            if (rc == BOT_EREMOTE && cJSON_IsString(okerr) &&
                strcmp(okerr->valuestring, res.error) == 0) {
                out = DELIVERY_DONE;
                *result = res.body ? cJSON_PrintUnformatted(res.body) : NULL;
                goto out;
            }
        }
    } else if (strcmp(kind, "slack.create_channel") == 0) {
        out = create_channel(api, p, result, retry_after_ms, err);
        goto out;
    } else if (strncmp(kind, "incident.", 9) == 0) {
        bot_err_set(err, BOT_EINVAL, "%s: performed by a delivery lane only (needs the store)",
                    kind);
        goto out;
    } else {
        bot_err_set(err, BOT_EINVAL, "unknown effect kind \"%s\"", kind);
        goto out;
    }
    if (rc == BOT_OK) {
        out = DELIVERY_DONE;
        *result = res.body ? cJSON_PrintUnformatted(res.body) : NULL;
        goto out;
    }
    out = classify(rc, &res, retry_after_ms);
out:
    slack_api_result_free(&res);
    cJSON_Delete(p);
    return out;
}

int64_t delivery_backoff_ms(int64_t attempts, int64_t retry_after_ms, uint64_t rnd)
{
    int64_t delay = slack_backoff_ms((unsigned)(attempts > 0 ? attempts - 1 : 0),
                                     DELIVERY_BACKOFF_BASE_MS, DELIVERY_BACKOFF_CAP_MS, rnd);
    return retry_after_ms > delay ? retry_after_ms : delay;
}

static bool stopping(struct delivery *d)
{
    pthread_mutex_lock(&d->lock);
    bool s = d->stop;
    pthread_mutex_unlock(&d->lock);
    return s;
}

static int64_t clock_or(int64_t now)
{
    return now > 0 ? now : store_now_ms();
}

/* ---- writing into the incident row ---- */

typedef enum bot_rc (*edit_fn)(struct store_incident *inc, const void *ud, struct bot_err *err);

/*
 * Reads incident id, lets fn change it and writes it back. The worker may
 * update the row meanwhile (its version moved): then it is read again and
 * fn applied again. The caller holds the write lock.
 */
static enum bot_rc edit_incident(struct store *s, int64_t id, edit_fn fn, const void *ud,
                                 struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    for (int tries = 0; tries < 5; tries++) {
        struct store_incident inc;
        rc = store_incident_get(s, id, &inc, err);
        if (rc == BOT_OK)
            rc = fn(&inc, ud, err);
        if (rc == BOT_OK)
            rc = store_incident_update(s, &inc, err);
        store_incident_clear(&inc);
        if (rc != BOT_ESTATE)
            break;
    }
    return rc;
}

struct save_args {
    const cJSON *save, *result;
};

static enum bot_rc apply_save(struct store_incident *inc, const void *ud, struct bot_err *err)
{
    const struct save_args *a = ud;
    return delivery_save(a->save, a->result, inc, err);
}

/*
 * Saves what Slack answered into the incident row, as the effect's "save"
 * says (inside the caller's transaction).
 */
static enum bot_rc save_result(struct delivery *d, int64_t incident_id, const char *payload,
                               const char *result, struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    cJSON *p = cJSON_Parse(payload), *r = result ? cJSON_Parse(result) : NULL;
    struct save_args a = {cJSON_GetObjectItemCaseSensitive(p, "save"), r};
    if (a.save != NULL && incident_id != 0)
        rc = edit_incident(d->store, incident_id, apply_save, &a, err);
    cJSON_Delete(p);
    cJSON_Delete(r);
    return rc;
}

/* Up to two fields of the incident row to set, by their names in fields[]. */
struct set_args {
    const char *name[2];
    const char *value[2];
};

static enum bot_rc apply_set(struct store_incident *inc, const void *ud, struct bot_err *err)
{
    const struct set_args *a = ud;
    for (size_t k = 0; k < 2 && a->name[k] != NULL; k++) {
        int i = field_index(a->name[k], strlen(a->name[k]));
        if (i < 0)
            return bot_err_set(err, BOT_EINVAL, "no incident field %s", a->name[k]);
        char **f = field_ptr(inc, (size_t)i);
        free(*f);
        *f = xstrdup(a->value[k]);
    }
    return BOT_OK;
}

/*
 * Commits at once, in a transaction of its own, what an effect must not
 * lose even if its next step fails: the fields in set (may be NULL) and the
 * incident attribute key = value (key may be NULL).
 */
static enum bot_rc save_now(struct delivery *d, int64_t incident_id, const struct set_args *set,
                            const char *key, const char *value, int64_t now, struct bot_err *err)
{
    pthread_mutex_lock(d->write_lock);
    enum bot_rc rc = store_begin(d->store, err);
    if (rc == BOT_OK && set != NULL)
        rc = edit_incident(d->store, incident_id, apply_set, set, err);
    if (rc == BOT_OK && key != NULL)
        rc = store_incident_attr_set(d->store, incident_id, key, value, clock_or(now), err);
    if (rc == BOT_OK)
        rc = store_commit(d->store, err);
    else
        store_rollback(d->store);
    pthread_mutex_unlock(d->write_lock);
    return rc;
}

/* ---- views of an incident, rendered when performed ---- */

/* Incident attributes delivery keeps for itself (store_incident_attr_*). */
#define ATTR_PINNED "delivery.control_pinned" /* the control ts that is known to be pinned */
#define ATTR_TOPIC  "delivery.topic"          /* the topic delivery last set */

/* One Web API call; DELIVERY_DONE with Slack's answer in *body (may be NULL) when it worked. */
static enum delivery_outcome call_api(struct slack_api *api, const char *method, const cJSON *args,
                                      unsigned flags, cJSON **body, int64_t *retry_after_ms,
                                      struct bot_err *err)
{
    struct slack_api_result res = {0};
    enum delivery_outcome o = DELIVERY_DONE;
    enum bot_rc rc = slack_api_call_ex(api, method, args, flags, &res, err);
    if (rc != BOT_OK)
        o = classify(rc, &res, retry_after_ms);
    else if (body != NULL)
        *body = slack_api_result_take_body(&res);
    slack_api_result_free(&res);
    return o;
}

/* True when message m carries a block whose block_id is block_id. */
static bool has_block(const cJSON *m, const char *block_id)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(m, "blocks"))
    {
        const char *id = str_field(b, "block_id");
        if (id != NULL && strcmp(id, block_id) == 0)
            return true;
    }
    return false;
}

/* The cursor of the history page after *page (NULL after the last), freeing cursor and *page. */
static char *next_page(cJSON **page, char *cursor)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(*page, "response_metadata");
    const char *next = str_field(meta, "next_cursor");
    char *out = next != NULL && next[0] != '\0' ? xstrdup(next) : NULL;
    free(cursor);
    cJSON_Delete(*page);
    *page = NULL;
    return out;
}

/*
 * Looks in channel's recent history (DELIVERY_LOOKUP_PAGES pages) for a
 * message this bot posted with a block block_id: the post of an earlier
 * attempt whose answer was lost. *ts (caller frees) is its ts, or NULL.
 * DELIVERY_DONE when the history could be read, else how the failure
 * classifies.
 */
static enum delivery_outcome find_own_post(struct slack_api *api, const char *channel,
                                           const char *block_id, char **ts,
                                           int64_t *retry_after_ms, struct bot_err *err)
{
    cJSON *me = NULL, *page = NULL, *args = NULL;
    char *cursor = NULL;
    *ts = NULL;
    enum delivery_outcome o = call_api(api, "auth.test", NULL, 0, &me, retry_after_ms, err);
    const char *self = str_field(me, "user_id"), *self_bot = str_field(me, "bot_id");
    if (o == DELIVERY_DONE && self == NULL) {
        bot_err_set(err, BOT_EPROTO, "auth.test: no user_id in the answer");
        o = DELIVERY_RETRY;
    }
    for (int n = 0; o == DELIVERY_DONE && *ts == NULL && n < DELIVERY_LOOKUP_PAGES; n++) {
        args = cJSON_CreateObject();
        cJSON_AddStringToObject(args, "channel", channel);
        cJSON_AddNumberToObject(args, "limit", DELIVERY_LOOKUP_PAGE_SIZE);
        if (cursor != NULL)
            cJSON_AddStringToObject(args, "cursor", cursor);
        o = call_api(api, "conversations.history", args, 0, &page, retry_after_ms, err);
        cJSON_Delete(args);
        const cJSON *m;
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(page, "messages"))
        {
            const char *user = str_field(m, "user"), *bot = str_field(m, "bot_id");
            bool mine = (user != NULL && strcmp(user, self) == 0) ||
                        (bot != NULL && self_bot != NULL && strcmp(bot, self_bot) == 0);
            const char *mts = str_field(m, "ts");
            if (mine && mts != NULL && has_block(m, block_id)) {
                *ts = xstrdup(mts);
                break;
            }
        }
        cursor = next_page(&page, cursor);
        if (cursor == NULL)
            break;
    }
    free(cursor);
    cJSON_Delete(me);
    return o;
}

/*
 * Posts blocks/text into channel as the first message of a view (control
 * message, announcement) and hands its ts over in *ts. On a retry of an
 * attempt that may have posted already, that post is found instead: a
 * second one is never made knowingly. part is the view's block part
 * ("header", "announce").
 */
static enum delivery_outcome post_view(struct delivery *d, const struct store_outbox_row *row,
                                       const char *channel, const char *part, const cJSON *blocks,
                                       const char *text, char **ts, int64_t *retry_after_ms,
                                       struct bot_err *err)
{
    enum delivery_outcome o;
    cJSON *answer = NULL;
    *ts = NULL;
    if (row->attempts > 1) {
        char block_id[64];
        snprintf(block_id, sizeof block_id, "inc%lld_%s", (long long)row->incident_id, part);
        struct bot_err lerr = {{0}};
        o = find_own_post(d->api, channel, block_id, ts, retry_after_ms, &lerr);
        if (o == DELIVERY_RETRY) {
            bot_err_set(err, BOT_ENET, "cannot look for an earlier post yet: %s", lerr.msg);
            return o;
        }
        if (o == DELIVERY_FAIL) /* no history scope, say: post, as when there is none */
            log_warn("cannot look for an earlier post; posting", "channel", channel, "error",
                     lerr.msg);
        if (*ts != NULL)
            return DELIVERY_DONE;
    }
    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "channel", channel);
    cJSON_AddItemToObject(args, "blocks", cJSON_Duplicate(blocks, 1));
    cJSON_AddStringToObject(args, "text", text);
    /* Not repeated within the attempt when it may have run: the next attempt looks first. */
    o = call_api(d->api, "chat.postMessage", args, SLACK_API_NO_AMBIGUOUS_RETRY, &answer,
                 retry_after_ms, err);
    cJSON_Delete(args);
    const char *t = str_field(answer, "ts");
    if (o == DELIVERY_DONE && t == NULL) {
        bot_err_set(err, BOT_EPROTO, "chat.postMessage: no ts in the answer");
        o = DELIVERY_RETRY; /* the next attempt finds the message if it exists */
    } else if (o == DELIVERY_DONE) {
        *ts = xstrdup(t);
    }
    cJSON_Delete(answer);
    return o;
}

static enum delivery_outcome update_view(struct delivery *d, const char *channel, const char *ts,
                                         const cJSON *blocks, const char *text,
                                         int64_t *retry_after_ms, struct bot_err *err)
{
    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "channel", channel);
    cJSON_AddStringToObject(args, "ts", ts);
    cJSON_AddItemToObject(args, "blocks", cJSON_Duplicate(blocks, 1));
    cJSON_AddStringToObject(args, "text", text);
    enum delivery_outcome o = call_api(d->api, "chat.update", args, 0, NULL, retry_after_ms, err);
    cJSON_Delete(args);
    return o;
}

/* pins.add of the control message unless it is known to be pinned; already_pinned is success. */
static enum delivery_outcome pin_control(struct delivery *d, int64_t incident_id,
                                         const char *channel, const char *ts, int64_t now,
                                         int64_t *retry_after_ms, struct bot_err *err)
{
    struct bot_err aerr = {{0}};
    char *pinned = NULL;
    if (store_incident_attr_get(d->store, incident_id, ATTR_PINNED, &pinned, &aerr) == BOT_OK &&
        strcmp(pinned, ts) == 0) {
        free(pinned);
        return DELIVERY_DONE;
    }
    free(pinned);
    struct slack_api_result res = {0};
    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "channel", channel);
    cJSON_AddStringToObject(args, "timestamp", ts);
    enum bot_rc rc = slack_api_call(d->api, "pins.add", args, &res, err);
    cJSON_Delete(args);
    enum delivery_outcome o = DELIVERY_DONE;
    if (rc != BOT_OK && !(rc == BOT_EREMOTE && strcmp(res.error, "already_pinned") == 0))
        o = classify(rc, &res, retry_after_ms);
    slack_api_result_free(&res);
    if (o == DELIVERY_DONE && save_now(d, incident_id, NULL, ATTR_PINNED, ts, now, &aerr))
        /* Only a saved call: the next update pins again and hears already_pinned. */
        log_warn("cannot record that the control message is pinned", "error", aerr.msg);
    return o;
}

/* {"channel": c, "ts": ts, "posted": posted}, for the outbox row's result. */
static char *view_result(const char *channel, const char *ts, bool posted)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "channel", channel);
    cJSON_AddStringToObject(r, "ts", ts);
    cJSON_AddBoolToObject(r, "posted", posted);
    char *s = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return s;
}

static enum delivery_outcome no_channel(const struct inc_view *v, struct bot_err *err)
{
    bot_err_set(err, BOT_ESTATE,
                "incident %lld has no channel yet (the effect that creates it has not succeeded)",
                (long long)v->row.id);
    return DELIVERY_RETRY;
}

/* "incident.control": the pinned control message of the incident's channel. */
static enum delivery_outcome view_control(struct delivery *d, const struct store_outbox_row *row,
                                          const struct inc_view *v, int64_t now, char **result,
                                          int64_t *retry_after_ms, struct bot_err *err)
{
    const char *ch = v->row.channel_id;
    cJSON *blocks = NULL;
    char *text = NULL, *ts = NULL;
    bool posted = false;
    enum delivery_outcome o = DELIVERY_FAIL;

    if (ch == NULL)
        return no_channel(v, err);
    if (render_control_message(&v->r, clock_or(now), &blocks, &text) != BOT_OK) {
        bot_err_set(err, BOT_EINVAL, "incident %lld: the control message cannot be rendered",
                    (long long)v->row.id);
        goto out;
    }
    if (v->row.control_ts == NULL) {
        o = post_view(d, row, ch, "header", blocks, text, &ts, retry_after_ms, err);
        if (o != DELIVERY_DONE)
            goto out;
        struct set_args set = {{"control_ts", NULL}, {ts, NULL}};
        struct bot_err serr = {{0}};
        if (save_now(d, v->row.id, &set, NULL, NULL, now, &serr) != BOT_OK) {
            /* Posted but not recorded: the retry finds the post instead of making another. */
            bot_err_set(err, BOT_EDB, "cannot record the control message's ts: %s", serr.msg);
            o = DELIVERY_RETRY;
            goto out;
        }
        posted = true;
    } else {
        ts = xstrdup(v->row.control_ts);
        o = update_view(d, ch, ts, blocks, text, retry_after_ms, err);
        if (o != DELIVERY_DONE)
            goto out;
    }
    o = pin_control(d, v->row.id, ch, ts, now, retry_after_ms, err);
    if (o == DELIVERY_DONE)
        *result = view_result(ch, ts, posted);
out:
    cJSON_Delete(blocks);
    free(text);
    free(ts);
    return o;
}

/* "incident.announce" {"channel": C}: the announcement. */
static enum delivery_outcome view_announce(struct delivery *d, const struct store_outbox_row *row,
                                           const struct inc_view *v, const cJSON *p, int64_t now,
                                           char **result, int64_t *retry_after_ms,
                                           struct bot_err *err)
{
    const char *target = str_field(p, "channel");
    cJSON *blocks = NULL;
    char *text = NULL, *ts = NULL;
    bool posted = false;
    enum delivery_outcome o = DELIVERY_FAIL;
    const char *ch = v->row.announce_ts != NULL && v->row.announce_channel != NULL
                         ? v->row.announce_channel
                         : target;

    if (ch == NULL || ch[0] == '\0') {
        bot_err_set(err, BOT_EINVAL, "incident.announce: needs \"channel\" (string)");
        return DELIVERY_FAIL;
    }
    /* What the whole company may read of this incident now (it may have become private). */
    struct audience_config aud;
    config_audience(d->cfg, &aud);
    enum aud_show show = audience_show(&aud, &v->row, AUD_ANNOUNCE, AUD_TEXT_ANNOUNCEMENT);
    if (show == AUD_SHOW_NOTHING && v->row.announce_ts == NULL)
        return DELIVERY_DONE; /* never announced, and it must not be */
    struct render_incident r = v->r;
    r.redacted = show != AUD_SHOW_FULL;
    if (render_announcement(&r, &blocks, &text) != BOT_OK) {
        bot_err_set(err, BOT_EINVAL, "incident %lld: the announcement cannot be rendered",
                    (long long)v->row.id);
        goto out;
    }
    if (v->row.announce_ts == NULL) {
        o = post_view(d, row, ch, "announce", blocks, text, &ts, retry_after_ms, err);
        if (o != DELIVERY_DONE)
            goto out;
        struct set_args set = {{"announce_channel", "announce_ts"}, {ch, ts}};
        struct bot_err serr = {{0}};
        if (save_now(d, v->row.id, &set, NULL, NULL, now, &serr) != BOT_OK) {
            bot_err_set(err, BOT_EDB, "cannot record the announcement's ts: %s", serr.msg);
            o = DELIVERY_RETRY;
            goto out;
        }
        posted = true;
    } else {
        ts = xstrdup(v->row.announce_ts);
        o = update_view(d, ch, ts, blocks, text, retry_after_ms, err);
    }
    if (o == DELIVERY_DONE)
        *result = view_result(ch, ts, posted);
out:
    cJSON_Delete(blocks);
    free(text);
    free(ts);
    return o;
}

/* "incident.topic": the channel topic, from render_topic(). */
static enum delivery_outcome view_topic(struct delivery *d, const struct inc_view *v, int64_t now,
                                        char **result, int64_t *retry_after_ms,
                                        struct bot_err *err)
{
    const char *ch = v->row.channel_id;
    char *topic = NULL, *last = NULL;
    struct bot_err aerr = {{0}};
    enum delivery_outcome o = DELIVERY_FAIL;

    if (ch == NULL)
        return no_channel(v, err);
    if (render_topic(&v->r, &topic) != BOT_OK) {
        bot_err_set(err, BOT_EINVAL, "incident %lld: the topic cannot be rendered",
                    (long long)v->row.id);
        goto out;
    }
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "channel", ch);
    cJSON_AddStringToObject(r, "topic", topic);
    /* Every setTopic shows a line in the channel: none for a topic that did not change. */
    if (store_incident_attr_get(d->store, v->row.id, ATTR_TOPIC, &last, &aerr) == BOT_OK &&
        strcmp(last, topic) == 0) {
        cJSON_AddTrueToObject(r, "unchanged");
        o = DELIVERY_DONE;
    } else {
        o = call_api(d->api, "conversations.setTopic", r, 0, NULL, retry_after_ms, err);
        if (o == DELIVERY_DONE && save_now(d, v->row.id, NULL, ATTR_TOPIC, topic, now, &aerr))
            log_warn("cannot record the topic set", "error", aerr.msg);
    }
    if (o == DELIVERY_DONE)
        *result = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
out:
    free(topic);
    free(last);
    return o;
}

/* The "incident.*" kinds: load the incident as it is now, then render and send that view. */
static enum delivery_outcome perform_view(struct delivery *d, const struct store_outbox_row *row,
                                          int64_t now, char **result, int64_t *retry_after_ms,
                                          struct bot_err *err)
{
    struct inc_view v;
    enum delivery_outcome o = DELIVERY_FAIL;
    cJSON *p = cJSON_Parse(row->payload);

    memset(&v, 0, sizeof v);
    if (!cJSON_IsObject(p)) {
        bot_err_set(err, BOT_EINVAL, "%s: payload is not a JSON object", row->kind);
        goto out;
    }
    if (row->incident_id == 0) {
        bot_err_set(err, BOT_EINVAL, "%s: an effect of no incident", row->kind);
        goto out;
    }
    enum bot_rc rc = inc_view_load(d->store, row->incident_id, &v, err);
    if (rc != BOT_OK) {
        /* The database busy, full or out of descriptors: later; gone or unreadable: give up. */
        o = bot_rc_transient(rc) ? DELIVERY_RETRY : DELIVERY_FAIL;
        goto out;
    }
    if (strcmp(row->kind, "incident.control") == 0)
        o = view_control(d, row, &v, now, result, retry_after_ms, err);
    else if (strcmp(row->kind, "incident.announce") == 0)
        o = view_announce(d, row, &v, p, now, result, retry_after_ms, err);
    else if (strcmp(row->kind, "incident.topic") == 0)
        o = view_topic(d, &v, now, result, retry_after_ms, err);
    else
        bot_err_set(err, BOT_EINVAL, "unknown effect kind \"%s\"", row->kind);
out:
    inc_view_free(&v);
    cJSON_Delete(p);
    return o;
}

static bool is_view_kind(const char *kind)
{
    return strncmp(kind, "incident.", 9) == 0;
}

/* ---- channel messages: posted once (their metadata names the effect) ---- */

cJSON *delivery_effect_metadata(const char *idem_key, int64_t outbox_id)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "event_type", DELIVERY_EFFECT_EVENT);
    cJSON *p = cJSON_AddObjectToObject(m, "event_payload");
    cJSON_AddStringToObject(p, "effect", idem_key);
    cJSON_AddNumberToObject(p, "outbox_id", (double)outbox_id);
    return m;
}

/* The outbox id in event_payload: a number as we send it, or its digits should Slack quote it. */
static bool same_outbox_id(const cJSON *v, int64_t outbox_id)
{
    char want[24];
    snprintf(want, sizeof want, "%lld", (long long)outbox_id);
    if (cJSON_IsNumber(v))
        return v->valuedouble == (double)outbox_id;
    return cJSON_IsString(v) && strcmp(v->valuestring, want) == 0;
}

const cJSON *delivery_find_effect_post(const cJSON *messages, const char *self_user,
                                       const char *self_bot, const char *idem_key,
                                       int64_t outbox_id)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, messages)
    {
        const char *user = str_field(m, "user"), *bot = str_field(m, "bot_id");
        bool mine = (user != NULL && self_user != NULL && strcmp(user, self_user) == 0) ||
                    (bot != NULL && self_bot != NULL && strcmp(bot, self_bot) == 0);
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(m, "metadata");
        const cJSON *pl = cJSON_GetObjectItemCaseSensitive(md, "event_payload");
        const char *type = str_field(md, "event_type"), *key = str_field(pl, "effect");
        if (mine && str_field(m, "ts") != NULL && type != NULL &&
            strcmp(type, DELIVERY_EFFECT_EVENT) == 0 && key != NULL &&
            strcmp(key, idem_key) == 0 &&
            same_outbox_id(cJSON_GetObjectItemCaseSensitive(pl, "outbox_id"), outbox_id))
            return m;
    }
    return NULL;
}

/*
 * Looks for the post of effect row in channel (in the thread under
 * thread_ts when it is not NULL) among the messages since a little before
 * it was enqueued. *found (caller frees) is then the answer
 * chat.postMessage would have given, marked "found"; NULL when there is
 * none. DELIVERY_DONE when the history could be read, else how the
 * failure classifies.
 */
static enum delivery_outcome find_effect_post(struct delivery *d,
                                              const struct store_outbox_row *row,
                                              const char *channel, const char *thread_ts,
                                              cJSON **found, int64_t *retry_after_ms,
                                              struct bot_err *err)
{
    cJSON *me = NULL, *page = NULL;
    char *cursor = NULL, oldest[32];
    int64_t since = row->created_at / 1000 - DELIVERY_LOOKUP_SKEW_S;

    *found = NULL;
    snprintf(oldest, sizeof oldest, "%lld.000000", (long long)(since > 0 ? since : 0));
    enum delivery_outcome o = call_api(d->api, "auth.test", NULL, 0, &me, retry_after_ms, err);
    const char *self = str_field(me, "user_id"), *self_bot = str_field(me, "bot_id");
    if (o == DELIVERY_DONE && self == NULL) {
        bot_err_set(err, BOT_EPROTO, "auth.test: no user_id in the answer");
        o = DELIVERY_RETRY;
    }
    for (int n = 0; o == DELIVERY_DONE && *found == NULL && n < DELIVERY_LOOKUP_PAGES; n++) {
        cJSON *args = cJSON_CreateObject();
        cJSON_AddStringToObject(args, "channel", channel);
        if (thread_ts != NULL)
            cJSON_AddStringToObject(args, "ts", thread_ts);
        cJSON_AddStringToObject(args, "oldest", oldest);
        cJSON_AddTrueToObject(args, "include_all_metadata");
        cJSON_AddNumberToObject(args, "limit", DELIVERY_LOOKUP_PAGE_SIZE);
        if (cursor != NULL)
            cJSON_AddStringToObject(args, "cursor", cursor);
        /* A thread reply is found among the thread's replies, a message in the channel. */
        if (thread_ts != NULL)
            o = call_api(d->api, "conversations.replies", args, 0, &page, retry_after_ms, err);
        else
            o = call_api(d->api, "conversations.history", args, 0, &page, retry_after_ms, err);
        cJSON_Delete(args);
        const cJSON *m = delivery_find_effect_post(
            cJSON_GetObjectItemCaseSensitive(page, "messages"), self, self_bot, row->idem_key,
            row->id);
        if (o == DELIVERY_DONE && m != NULL) {
            *found = cJSON_CreateObject();
            cJSON_AddTrueToObject(*found, "ok");
            cJSON_AddStringToObject(*found, "channel", channel);
            cJSON_AddStringToObject(*found, "ts", str_field(m, "ts"));
            cJSON_AddItemToObject(*found, "message", cJSON_Duplicate(m, 1));
            cJSON_AddTrueToObject(*found, "found");
        }
        cursor = next_page(&page, cursor);
        if (cursor == NULL)
            break;
    }
    free(cursor);
    cJSON_Delete(me);
    return o;
}

/*
 * "slack.call" effects. A chat.postMessage carries its effect's metadata,
 * and a retry (the earlier attempt may have posted and lost the answer: a
 * timeout, a crash before the outcome was recorded) first looks for that
 * post, so a channel message is posted once. Other calls as
 * delivery_perform().
 */
static enum delivery_outcome perform_call(struct delivery *d, const struct store_outbox_row *row,
                                          const struct store_incident *inc, char **result,
                                          int64_t *retry_after_ms, struct bot_err *err)
{
    cJSON *p = cJSON_Parse(row->payload), *found = NULL;
    cJSON *args = cJSON_GetObjectItemCaseSensitive(p, "args");
    const char *method = str_field(p, "method");
    enum delivery_outcome o;

    if (strcmp(row->kind, "slack.call") != 0 || method == NULL ||
        strcmp(method, "chat.postMessage") != 0 || !cJSON_IsObject(args)) {
        cJSON_Delete(p);
        return delivery_perform(d->api, row->kind, row->payload, inc, result, retry_after_ms,
                                err);
    }
    *result = NULL;
    *retry_after_ms = 0;
    cJSON_DeleteItemFromObjectCaseSensitive(args, "metadata");
    cJSON_AddItemToObject(args, "metadata", delivery_effect_metadata(row->idem_key, row->id));
    if (row->attempts > 1) {
        struct bot_err ferr = {{0}}, lerr = {{0}};
        cJSON *filled = cJSON_Duplicate(p, 1);
        const cJSON *fa = cJSON_GetObjectItemCaseSensitive(filled, "args");
        /* A payload that cannot be filled fails below, as it would have the first time. */
        const char *ch = delivery_fill(filled, inc, &ferr) == BOT_OK ? str_field(fa, "channel")
                                                                     : NULL;
        o = ch != NULL ? find_effect_post(d, row, ch, str_field(fa, "thread_ts"), &found,
                                          retry_after_ms, &lerr)
                       : DELIVERY_DONE;
        if (o == DELIVERY_RETRY)
            bot_err_set(err, BOT_ENET, "cannot look for an earlier post yet: %s", lerr.msg);
        else if (o == DELIVERY_FAIL) /* no history scope, a DM by user id: post, unchecked */
            log_warn("cannot look for an earlier post; posting", "channel", ch, "error",
                     lerr.msg);
        cJSON_Delete(filled);
        if (o == DELIVERY_RETRY)
            goto out;
        if (found != NULL) {
            char id[24];
            snprintf(id, sizeof id, "%lld", (long long)row->id);
            log_info("an earlier attempt posted it; not posting again", "outbox_id", id, "ts",
                     str_field(found, "ts"));
            *result = cJSON_PrintUnformatted(found);
            o = DELIVERY_DONE;
            goto out;
        }
    }
    char *json = cJSON_PrintUnformatted(p);
    o = delivery_perform(d->api, row->kind, json, inc, result, retry_after_ms, err);
    free(json);
out:
    cJSON_Delete(found);
    cJSON_Delete(p);
    return o;
}

/* ---- the Atlassian Statuspage mirror ("statuspage" lane) ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * sp_api's pace hook: at most one request per DELIVERY_STATUSPAGE_INTERVAL_MS
 * (Statuspage allows 1/s per key). Sleeps in slices so that a stop is not
 * held up; false (the request is not made) when stopping.
 */
static bool sp_pace(void *ud)
{
    struct delivery *d = ud;
    for (;;) {
        if (stopping(d))
            return false;
        int64_t wait = d->sp_next_at - mono_ms();
        if (wait <= 0)
            break;
        if (wait > 100)
            wait = 100;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)wait * 1000000L};
        nanosleep(&ts, NULL);
    }
    d->sp_next_at = mono_ms() + DELIVERY_STATUSPAGE_INTERVAL_MS;
    return true;
}

static bool is_statuspage_kind(const char *kind)
{
    return strncmp(kind, "statuspage.", 11) == 0;
}

/* The Statuspage component id configured for our component name, or NULL. */
static const char *sp_component_id(const struct config *cfg, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < cfg->n_atlassian_components; i++) {
        const char *e = cfg->atlassian_components[i];
        if (strncmp(e, name, n) == 0 && e[n] == '=')
            return e + n + 1;
    }
    return NULL;
}


/* Our impact (severity) as a Statuspage impact_override; NULL: not sent. */
static const char *sp_impact(const char *impact)
{
    static const char *const ok[] = {"critical", "major", "minor", "none"};
    for (size_t i = 0; impact != NULL && i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strcmp(impact, ok[i]) == 0)
            return ok[i];
    return NULL;
}

/* Statuspage ids of the named components (a JSON array of our names), deduplicated. */
static size_t sp_map_names(const struct config *cfg, const cJSON *names, const char **ids,
                           size_t max)
{
    size_t n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, names) {
        const char *id = cJSON_IsString(it) ? sp_component_id(cfg, it->valuestring) : NULL;
        bool dup = false;
        for (size_t k = 0; id != NULL && k < n; k++)
            dup = dup || strcmp(ids[k], id) == 0;
        if (id != NULL && !dup && n < max)
            ids[n++] = id;
        else if (id == NULL && cJSON_IsString(it))
            log_warn("statuspage: component not in [statuspage.atlassian] components; not "
                     "mirrored", "component", it->valuestring);
    }
    return n;
}

/* What a Statuspage answer means for the effect. */
static enum delivery_outcome sp_outcome(enum bot_rc rc, const struct sp_api_result *res,
                                        int64_t *retry_after_ms)
{
    if (rc == BOT_OK)
        return DELIVERY_DONE;
    *retry_after_ms = res->retry_after_ms;
    return sp_api_permanent(rc, res) ? DELIVERY_FAIL : DELIVERY_RETRY;
}

/* The tag in the metadata of incident inc's Statuspage incident: unique per incident row. */
static void sp_tag(const struct store_incident *inc, char *tag, size_t size)
{
    snprintf(tag, size, "inc-%lld-%lld", (long long)inc->id, (long long)inc->declared_at);
}

static enum delivery_outcome sp_create(struct delivery *d, const struct store_outbox_row *row,
                                       const struct store_incident *inc, const cJSON *p,
                                       int64_t now, char **result, int64_t *retry_after_ms,
                                       struct bot_err *err)
{
    struct sp_api_result res = {0};
    char tag[80], id[SP_API_MAX_ID];
    enum bot_rc rc;
    enum delivery_outcome o;
    const char *name = str_field(p, "name"), *status = str_field(p, "status"),
               *body = str_field(p, "body"), *impact = str_field(p, "impact");

    if (inc->statuspage_id != NULL && inc->statuspage_id[0] != '\0') {
        /* Created already (published twice, or an earlier attempt recorded it). */
        *result = xasprintf("{\"id\":\"%s\",\"existing\":true}", inc->statuspage_id);
        return DELIVERY_DONE;
    }
    if (name == NULL || status == NULL || body == NULL) {
        bot_err_set(err, BOT_EINVAL, "statuspage.create: name, status and body are required");
        return DELIVERY_FAIL;
    }
    sp_tag(inc, tag, sizeof(tag));
    id[0] = '\0';
    if (row->attempts > 1) {
        /*
         * An earlier attempt may have created it and lost the answer (a
         * timeout, a crash): Statuspage has no idempotency key, so look for
         * our tag before creating again.
         */
        rc = sp_api_incident_find(d->sp, tag, id, &res, err);
        sp_api_result_clear(&res);
        if (rc != BOT_OK && rc != BOT_ENOTFOUND)
            return sp_outcome(rc, &res, retry_after_ms);
    }
    if (id[0] == '\0') {
        const char *ids[DELIVERY_STATUSPAGE_MAX_COMPONENTS];
        size_t n = sp_map_names(d->cfg, cJSON_GetObjectItemCaseSensitive(p, "components"), ids,
                                DELIVERY_STATUSPAGE_MAX_COMPONENTS);
        cJSON *b = sp_api_incident_body(name, status, sp_impact(impact), body, ids, n,
                                        strcmp(status, "resolved") == 0
                                            ? "operational" : plan_component_status(impact),
                                        tag);
        rc = sp_api_incident_create(d->sp, b, &res, err);
        cJSON_Delete(b);
        o = sp_outcome(rc, &res, retry_after_ms);
        if (o != DELIVERY_DONE) {
            sp_api_result_clear(&res);
            return o;
        }
        snprintf(id, sizeof(id), "%s", res.id);
        sp_api_result_clear(&res);
    }
    /* Recorded at once: every later effect of the incident needs it. */
    struct set_args set = {{"statuspage_id", NULL}, {id, NULL}};
    rc = save_now(d, row->incident_id, &set, NULL, NULL, now, err);
    if (rc != BOT_OK)
        return DELIVERY_RETRY; /* looked up next time */
    *result = xasprintf("{\"id\":\"%s\"}", id);
    return DELIVERY_DONE;
}

/*
 * The status component name should have on Statuspage once incident_id is
 * resolved: operational, unless another published incident still open holds
 * it (then the status that one gives it). Into status (size bytes).
 */
static enum bot_rc sp_restored_status(struct delivery *d, int64_t incident_id, const char *name,
                                      char *status, size_t size, struct bot_err *err)
{
    struct store_component_link *h = NULL;
    size_t nh = 0;
    snprintf(status, size, "operational");
    enum bot_rc rc = store_component_holders(d->store, name, &h, &nh, err);
    for (size_t i = 0; rc == BOT_OK && i < nh; i++) {
        if (h[i].incident_id == incident_id)
            continue;
        struct store_incident other;
        store_incident_init(&other);
        rc = store_incident_get(d->store, h[i].incident_id, &other, err);
        if (rc == BOT_ENOTFOUND) {
            rc = BOT_OK;
        } else if (rc == BOT_OK && other.published) {
            snprintf(status, size, "%s",
                     h[i].impact ? h[i].impact : plan_component_status(other.severity));
            store_incident_clear(&other);
            break;
        }
        store_incident_clear(&other);
    }
    store_component_links_free(h, nh);
    return rc;
}

/*
 * The incident's components on Statuspage, as {id: status} (NULL: none
 * mapped): the status the incident gives each (its impact, else one from
 * the severity), or once resolved the restored one.
 */
static cJSON *sp_components_of(struct delivery *d, int64_t incident_id, bool resolved,
                               const char *impact, struct bot_err *err, enum bot_rc *rc)
{
    struct store_component_link *links = NULL;
    size_t nl = 0;
    cJSON *map = NULL;
    *rc = store_incident_component_list(d->store, incident_id, &links, &nl, err);
    for (size_t i = 0; *rc == BOT_OK && i < nl; i++) {
        const char *id = sp_component_id(d->cfg, links[i].component);
        char st[32];
        if (id == NULL || (map != NULL && cJSON_HasObjectItem(map, id)))
            continue;
        if (resolved)
            *rc = sp_restored_status(d, incident_id, links[i].component, st, sizeof(st), err);
        else
            snprintf(st, sizeof(st), "%s",
                     links[i].impact ? links[i].impact : plan_component_status(impact));
        if (*rc != BOT_OK)
            break;
        if (map == NULL)
            map = cJSON_CreateObject();
        cJSON_AddStringToObject(map, id, st);
    }
    store_component_links_free(links, nl);
    return map;
}

/*
 * After a withdrawn incident's DELETE: its components back to what the
 * others still published give them (operational when none). Idempotent, so
 * a failure retries the whole effect (the DELETE is then a 404).
 */
static enum delivery_outcome sp_restore_components(struct delivery *d,
                                                   const struct store_incident *inc,
                                                   int64_t *retry_after_ms, struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    cJSON *map = sp_components_of(d, inc->id, true, inc->severity, err, &rc);
    enum delivery_outcome o = rc == BOT_OK ? DELIVERY_DONE : DELIVERY_RETRY;
    const cJSON *it;
    cJSON_ArrayForEach(it, map)
    {
        struct sp_api_result res = {0};
        if (o != DELIVERY_DONE)
            break;
        rc = sp_api_component_set(d->sp, it->string, it->valuestring, &res, err);
        o = sp_outcome(rc, &res, retry_after_ms);
        sp_api_result_clear(&res);
    }
    cJSON_Delete(map);
    return o;
}

static enum delivery_outcome sp_update(struct delivery *d, const struct store_outbox_row *row,
                                       const struct store_incident *inc, const cJSON *p,
                                       char **result, int64_t *retry_after_ms,
                                       struct bot_err *err)
{
    struct sp_api_result res = {0};
    const char *status = str_field(p, "status"), *body = str_field(p, "body"),
               *impact = str_field(p, "impact");
    enum bot_rc rc;
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(p, "components");
    const char *name = str_field(p, "name"); /* a new public title */
    if (status == NULL && body == NULL && impact == NULL && name == NULL &&
        !cJSON_IsArray(names)) {
        bot_err_set(err, BOT_EINVAL, "statuspage.update: nothing to update");
        return DELIVERY_FAIL;
    }
    cJSON *b = cJSON_CreateObject();
    if (name != NULL)
        cJSON_AddStringToObject(b, "name", name);
    if (cJSON_IsArray(names)) {
        /* The incident's components changed: its list, their statuses, the removed restored. */
        const char *ids[DELIVERY_STATUSPAGE_MAX_COMPONENTS];
        size_t n = sp_map_names(d->cfg, names, ids, DELIVERY_STATUSPAGE_MAX_COMPONENTS);
        cJSON *arr = cJSON_AddArrayToObject(b, "component_ids");
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(arr, cJSON_CreateString(ids[i]));
        /* After the resolve its components are restored, not degraded again. */
        bool over = strcmp(inc->status, "investigating") != 0 &&
                    strcmp(inc->status, "identified") != 0 &&
                    strcmp(inc->status, "monitoring") != 0;
        cJSON *map = sp_components_of(d, row->incident_id, over, inc->severity, err, &rc);
        const cJSON *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(p, "removed")) {
            const char *id = cJSON_IsString(it) ? sp_component_id(d->cfg, it->valuestring) : NULL;
            char st[32];
            if (rc != BOT_OK || id == NULL)
                continue;
            rc = sp_restored_status(d, row->incident_id, it->valuestring, st, sizeof(st), err);
            if (rc == BOT_OK) {
                if (map == NULL)
                    map = cJSON_CreateObject();
                if (!cJSON_HasObjectItem(map, id))
                    cJSON_AddStringToObject(map, id, st);
            }
        }
        if (rc != BOT_OK) {
            cJSON_Delete(b);
            cJSON_Delete(map);
            return DELIVERY_RETRY;
        }
        if (map != NULL)
            cJSON_AddItemToObject(b, "components", map);
    }
    /* Statuses we have that Statuspage has not (postmortem, closed) are no status change. */
    static const char *const statuses[] = {"investigating", "identified", "monitoring",
                                           "resolved"};
    bool known = false;
    for (size_t i = 0; status != NULL && i < 4; i++)
        known = known || strcmp(status, statuses[i]) == 0;
    if (known)
        cJSON_AddStringToObject(b, "status", status);
    if (body != NULL)
        cJSON_AddStringToObject(b, "body", body);
    if (sp_impact(impact) != NULL)
        cJSON_AddStringToObject(b, "impact_override", sp_impact(impact));
    if (known) {
        cJSON *map = sp_components_of(d, row->incident_id, strcmp(status, "resolved") == 0,
                                      impact, err, &rc);
        if (rc != BOT_OK) {
            cJSON_Delete(b);
            cJSON_Delete(map);
            return DELIVERY_RETRY;
        }
        if (map != NULL)
            cJSON_AddItemToObject(b, "components", map);
    }
    if (row->attempts > 1 && (known || body != NULL)) {
        /*
         * This PATCH adds an update, and an earlier attempt may have added it
         * and lost the answer (a timeout, a crash): Statuspage has no
         * idempotency key, so the incident's newest update is read first.
         */
        char uid[SP_API_MAX_ID];
        rc = sp_api_incident_get(d->sp, inc->statuspage_id, &res, err);
        bool applied = rc == BOT_OK &&
                       sp_api_update_applied(res.body, known ? status : NULL, body, uid);
        enum delivery_outcome o = sp_outcome(rc, &res, retry_after_ms);
        sp_api_result_clear(&res);
        if (o != DELIVERY_DONE || applied) {
            cJSON_Delete(b);
            if (applied) {
                cJSON *r = cJSON_CreateObject();
                cJSON_AddStringToObject(r, "update_id", uid);
                cJSON_AddTrueToObject(r, "found");
                *result = cJSON_PrintUnformatted(r);
                cJSON_Delete(r);
            }
            return o;
        }
    }
    rc = sp_api_incident_update(d->sp, inc->statuspage_id, b, &res, err);
    cJSON_Delete(b);
    enum delivery_outcome o = sp_outcome(rc, &res, retry_after_ms);
    sp_api_result_clear(&res);
    return o;
}

/* The "statuspage.*" kinds: the Atlassian Statuspage mirror of a published incident. */
static enum delivery_outcome perform_statuspage(struct delivery *d,
                                                const struct store_outbox_row *row, int64_t now,
                                                char **result, int64_t *retry_after_ms,
                                                struct bot_err *err)
{
    enum delivery_outcome o = DELIVERY_FAIL;
    struct store_incident inc;
    cJSON *p = cJSON_Parse(row->payload);
    struct sp_api_result res = {0};

    store_incident_init(&inc);
    if (d->sp == NULL) {
        bot_err_set(err, BOT_ESTATE, "%s: the Statuspage mirror is not configured "
                    "([statuspage.atlassian] page_id, STATUSPAGE_API_KEY)", row->kind);
        goto out;
    }
    if (!cJSON_IsObject(p) || row->incident_id == 0) {
        bot_err_set(err, BOT_EINVAL, "%s: payload is not a JSON object of an incident",
                    row->kind);
        goto out;
    }
    enum bot_rc rc = store_incident_get(d->store, row->incident_id, &inc, err);
    if (rc != BOT_OK) {
        o = bot_rc_transient(rc) ? DELIVERY_RETRY : DELIVERY_FAIL;
        goto out;
    }
    if (strcmp(row->kind, "statuspage.create") == 0) {
        o = sp_create(d, row, &inc, p, now, result, retry_after_ms, err);
        goto out;
    }
    if (strcmp(row->kind, "statuspage.update") != 0 &&
        strcmp(row->kind, "statuspage.postmortem") != 0 &&
        strcmp(row->kind, "statuspage.delete") != 0) {
        bot_err_set(err, BOT_EINVAL, "unknown effect kind \"%s\"", row->kind);
        goto out;
    }
    if (inc.statuspage_id == NULL || inc.statuspage_id[0] == '\0') {
        /* Its statuspage.create has not succeeded (yet): runs first, or was given up. */
        bot_err_set(err, BOT_ESTATE, "%s: the incident is not on Statuspage yet", row->kind);
        o = DELIVERY_RETRY;
        goto out;
    }
    if (strcmp(row->kind, "statuspage.update") == 0) {
        o = sp_update(d, row, &inc, p, result, retry_after_ms, err);
    } else if (strcmp(row->kind, "statuspage.delete") == 0) {
        /* A withdrawn incident: gone already (404) is what was asked for, as on a retry. */
        rc = sp_api_incident_delete(d->sp, inc.statuspage_id, &res, err);
        if (rc == BOT_ENOTFOUND)
            rc = BOT_OK;
        o = sp_outcome(rc, &res, retry_after_ms);
        if (o == DELIVERY_DONE)
            o = sp_restore_components(d, &inc, retry_after_ms, err);
    } else {
        const char *body = str_field(p, "body");
        if (body == NULL) {
            bot_err_set(err, BOT_EINVAL, "statuspage.postmortem: body is required");
            goto out;
        }
        rc = sp_api_postmortem(d->sp, inc.statuspage_id, body, true, &res, err);
        o = sp_outcome(rc, &res, retry_after_ms);
    }
out:
    sp_api_result_clear(&res);
    store_incident_clear(&inc);
    cJSON_Delete(p);
    return o;
}

/* ---- the workspace directory ---- */

static void walk_free(struct dir_walk *w)
{
    for (size_t i = 0; i < w->n; i++)
        store_directory_user_clear(&w->users[i]);
    free(w->users);
    free(w->cursor);
    memset(w, 0, sizeof(*w));
}

static bool usable_id(const char *id)
{
    return id != NULL && id[0] != '\0' && strlen(id) <= STORE_DIRECTORY_ID_MAX;
}

/* Adds the members of one users.list page to the walk. */
static enum bot_rc walk_add_page(struct dir_walk *w, const cJSON *body, struct bot_err *err)
{
    const cJSON *members = cJSON_GetObjectItemCaseSensitive(body, "members"), *m;
    if (!cJSON_IsArray(members))
        return bot_err_set(err, BOT_EPROTO, "users.list: the answer has no \"members\" array");
    cJSON_ArrayForEach(m, members)
    {
        const char *id = str_field(m, "id"), *name = str_field(m, "name");
        if (!usable_id(id)) {
            w->skipped++;
            continue;
        }
        if (w->n == STORE_DIRECTORY_MAX)
            return bot_err_set(err, BOT_ETOOBIG, "users.list: more than %d users",
                               STORE_DIRECTORY_MAX);
        if (w->n == w->cap) {
            w->cap = w->cap ? w->cap * 2 : DELIVERY_DIRECTORY_PAGE_SIZE;
            w->users = xreallocarray(w->users, w->cap, sizeof(*w->users));
        }
        struct store_directory_user *u = &w->users[w->n++];
        memset(u, 0, sizeof(*u));
        u->user_id = xstrdup(id);
        if (name != NULL && strlen(name) <= STORE_DIRECTORY_NAME_MAX)
            u->name = xstrdup(name);
        u->deleted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "deleted"));
        /* Slackbot is listed with is_bot false, yet it is no one to give a role to. */
        u->is_bot = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "is_bot")) ||
                    strcmp(id, "USLACKBOT") == 0;
        u->is_guest = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "is_restricted")) ||
                      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "is_ultra_restricted"));
    }
    return BOT_OK;
}

/* Is an effect of d's lane due now? (Then it goes before the directory.) */
static bool effect_due(struct delivery *d)
{
    struct bot_err err = {{0}};
    int64_t at = 0;
    return store_outbox_next_due_at_target(d->store, d->lane, &at, &err) == BOT_OK &&
           at <= store_now_ms();
}

/* Notes Slack's Retry-After of a failed call, for the thread's next attempt. */
static void note_retry_after(struct delivery *d, enum bot_rc rc, const struct slack_api_result *res)
{
    if (rc == BOT_ERATELIMIT && res->retry_after_ms > 0)
        d->directory_retry_after = res->retry_after_ms;
}

/* Reads the users.list pages the walk has not read yet; *yielded when an effect fell due. */
static enum bot_rc walk_users(struct delivery *d, bool *yielded, struct bot_err *err)
{
    struct dir_walk *w = &d->walk;
    enum bot_rc rc = BOT_OK;

    while (rc == BOT_OK && (w->pages == 0 || w->cursor != NULL)) {
        struct slack_api_result res = {0};
        if (effect_due(d)) {
            *yielded = true;
            return bot_err_set(err, BOT_EBUSY, "an effect is due; the directory sync goes on "
                               "after it");
        }
        if (w->pages == DELIVERY_DIRECTORY_MAX_PAGES)
            return bot_err_set(err, BOT_ETOOBIG, "users.list: more than %d pages",
                               DELIVERY_DIRECTORY_MAX_PAGES);
        cJSON *args = cJSON_CreateObject();
        cJSON_AddNumberToObject(args, "limit", DELIVERY_DIRECTORY_PAGE_SIZE);
        if (w->cursor != NULL)
            cJSON_AddStringToObject(args, "cursor", w->cursor);
        rc = slack_api_call(d->api, "users.list", args, &res, err);
        cJSON_Delete(args);
        if (rc == BOT_OK)
            rc = walk_add_page(w, res.body, err);
        if (rc == BOT_OK) {
            free(w->cursor);
            w->cursor = res.next_cursor;
            res.next_cursor = NULL;
            w->pages++;
        }
        note_retry_after(d, rc, &res);
        slack_api_result_free(&res);
    }
    return rc;
}

/* The members of user group group (new strings, caller frees each and the array). */
static enum bot_rc fetch_group(struct delivery *d, const char *group, char ***ids, size_t *n,
                               struct bot_err *err)
{
    struct slack_api_result res = {0};
    const cJSON *users, *u;
    size_t cap = 0;

    *ids = NULL;
    *n = 0;
    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "usergroup", group);
    enum bot_rc rc = slack_api_call(d->api, "usergroups.users.list", args, &res, err);
    cJSON_Delete(args);
    note_retry_after(d, rc, &res);
    if (rc)
        goto out;
    users = cJSON_GetObjectItemCaseSensitive(res.body, "users");
    if (!cJSON_IsArray(users)) {
        rc = bot_err_set(err, BOT_EPROTO, "usergroups.users.list: the answer has no \"users\" "
                         "array");
        goto out;
    }
    cJSON_ArrayForEach(u, users)
    {
        if (!cJSON_IsString(u) || !usable_id(u->valuestring))
            continue;
        if (*n == STORE_DIRECTORY_MAX) {
            rc = bot_err_set(err, BOT_ETOOBIG, "user group %s: more than %d members", group,
                             STORE_DIRECTORY_MAX);
            goto out;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *ids = xreallocarray(*ids, cap, sizeof(**ids));
        }
        (*ids)[(*n)++] = xstrdup(u->valuestring);
    }
out:
    slack_api_result_free(&res);
    return rc;
}

static enum bot_rc sync_directory(struct delivery *d, bool *yielded, struct bot_err *err)
{
    const char *group = d->cfg->roles_irm_group;
    bool with_group = group != NULL && group[0] != '\0';
    char **members = NULL;
    size_t nmembers = 0;
    enum bot_rc rc;

    *yielded = false;
    if (!d->directory)
        return bot_err_set(err, BOT_EINVAL, "lane %s does not keep the directory (lane %s does)",
                           d->lane, DELIVERY_LANE_SLACK);
    d->directory_retry_after = 0;
    rc = walk_users(d, yielded, err);
    if (*yielded)
        return rc;
    if (rc == BOT_OK && d->walk.n == 0)
        /* Slack lists at least the bot itself: an empty list is a broken answer, not a fact. */
        rc = bot_err_set(err, BOT_EPROTO, "users.list listed no users");
    if (rc == BOT_OK && with_group) {
        if (effect_due(d)) {
            *yielded = true;
            return bot_err_set(err, BOT_EBUSY, "an effect is due; the directory sync goes on "
                               "after it");
        }
        rc = fetch_group(d, group, &members, &nmembers, err);
    }
    if (rc)
        goto out;

    /* Slack was asked outside the lock; the store is written under it, in one transaction. */
    int64_t now = store_now_ms();
    pthread_mutex_lock(d->write_lock);
    rc = store_begin(d->store, err);
    if (rc == BOT_OK)
        rc = store_directory_replace_users(d->store, d->walk.users, d->walk.n, now, err);
    if (rc == BOT_OK && with_group)
        rc = store_directory_replace_group(d->store, group, (const char *const *)members,
                                           nmembers, now, err);
    if (rc == BOT_OK)
        rc = store_commit(d->store, err);
    else
        store_rollback(d->store);
    pthread_mutex_unlock(d->write_lock);
    if (rc)
        goto out;

    size_t deleted = 0, bots = 0;
    for (size_t i = 0; i < d->walk.n; i++) {
        deleted += d->walk.users[i].deleted;
        bots += d->walk.users[i].is_bot;
    }
    char nu[24], nd[24], nb[24], np[24], ns[24], nm[24];
    snprintf(nu, sizeof(nu), "%zu", d->walk.n);
    snprintf(nd, sizeof(nd), "%zu", deleted);
    snprintf(nb, sizeof(nb), "%zu", bots);
    snprintf(np, sizeof(np), "%u", d->walk.pages);
    snprintf(ns, sizeof(ns), "%zu", d->walk.skipped);
    snprintf(nm, sizeof(nm), "%zu", nmembers);
    if (with_group)
        log_info("directory synced", "users", nu, "deactivated", nd, "bots", nb, "pages", np,
                 "skipped", ns, "irm_group", group, "irm_group_members", nm);
    else
        log_info("directory synced", "users", nu, "deactivated", nd, "bots", nb, "pages", np,
                 "skipped", ns);
out:
    /* Done or failed: the next sync starts from the first page. */
    walk_free(&d->walk);
    for (size_t i = 0; i < nmembers; i++)
        free(members[i]);
    free(members);
    return rc;
}

enum bot_rc delivery_sync_directory(struct delivery *d, struct bot_err *err)
{
    bool yielded;
    return sync_directory(d, &yielded, err);
}

/*
 * The thread's sync, when nothing of the lane is due: at start, every
 * DELIVERY_DIRECTORY_REFRESH_MS, and after a failure again after a backoff
 * (or Slack's Retry-After, when longer); after yielding to an effect, as
 * soon as the lane is idle again.
 */
static void directory_tick(struct delivery *d)
{
    struct bot_err err = {{0}};
    bool yielded = false;
    enum bot_rc rc = sync_directory(d, &yielded, &err);
    int64_t now = store_now_ms();

    if (rc == BOT_OK) {
        d->directory_failures = 0;
        d->directory_due_at = now + DELIVERY_DIRECTORY_REFRESH_MS;
        return;
    }
    if (yielded || stopping(d))
        return;
    d->rng = d->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    int64_t delay = slack_backoff_ms(d->directory_failures, DELIVERY_DIRECTORY_RETRY_BASE_MS,
                                     DELIVERY_DIRECTORY_RETRY_CAP_MS, d->rng >> 11);
    if (d->directory_retry_after > delay)
        delay = d->directory_retry_after;
    if (d->directory_failures < 16)
        d->directory_failures++;
    d->directory_due_at = now + delay;
    char ms[24];
    snprintf(ms, sizeof(ms), "%lld", (long long)delay);
    log_warn("directory sync failed; will retry", "lane", d->lane, "retry_in_ms", ms, "error",
             err.msg);
}

/* ---- the drain ---- */

/*
 * The status-page mirror's state changed (an effect done, failing for the
 * first time, or given up): the control message shows it, so it is
 * refreshed; a given-up effect is also said in the incident's channel,
 * since the public page is now out of step with the incident. Called with
 * the write lock held; the effects go to the slack lane, which polls.
 */
static void mirror_changed(struct delivery *d, const struct store_outbox_row *row,
                           enum delivery_outcome o, const char *why)
{
    const char *state = o == DELIVERY_DONE ? "done" : o == DELIVERY_FAIL ? "failed" : "retry";
    if (o == DELIVERY_RETRY && row->attempts != 1)
        return; /* already shown as retrying */
    struct bot_err err;
    char key[96];
    snprintf(key, sizeof(key), "mirror/%lld/%s", (long long)row->id, state);
    struct store_effect e = {
        .incident_id = row->incident_id,
        .kind = "incident.control",
        .target = DELIVERY_LANE_SLACK,
        .payload = "{}",
        .idem_key = key,
    };
    enum bot_rc rc = store_outbox_enqueue(d->store, &e, store_now_ms(), NULL, &err);
    if (rc == BOT_OK && o == DELIVERY_FAIL) {
        struct buf text;
        buf_init(&text, 2048);
        (void)!buf_addf(&text, ":warning: The status page mirror gave up on %s: ", row->kind);
        (void)!slack_text_escape(&text, why, strlen(why) > 500 ? 500 : strlen(why));
        (void)!buf_addstr(&text, ". The hosted status page is out of step with this incident: "
                                 "update it by hand, or fix the cause and post the next update.");
        cJSON *pl = cJSON_CreateObject(), *args;
        cJSON_AddStringToObject(pl, "method", "chat.postMessage");
        args = cJSON_AddObjectToObject(pl, "args");
        cJSON_AddStringToObject(args, "channel", "{{incident.channel_id}}");
        cJSON_AddStringToObject(args, "text", buf_str(&text));
        char *json = cJSON_PrintUnformatted(pl);
        snprintf(key, sizeof(key), "mirror/%lld/report", (long long)row->id);
        e.kind = "slack.call";
        e.payload = json;
        rc = store_outbox_enqueue(d->store, &e, store_now_ms(), NULL, &err);
        free(json);
        cJSON_Delete(pl);
        buf_free(&text);
    }
    if (rc != BOT_OK && rc != BOT_EEXISTS)
        log_error("cannot show the mirror's state", "outbox_id", key, "error", err.msg);
}

/* ---- outgoing webhooks (a "webhook:<name>" lane each) ---- */

/*
 * HOOK_KIND: POSTs the body the plan built, signed now (the timestamp is
 * this attempt's, the event id the same on every attempt, so receivers can
 * drop a retry of what they already have).
 */
static enum delivery_outcome perform_webhook(struct delivery *d,
                                             const struct store_outbox_row *row, int64_t now,
                                             char **result, int64_t *retry_after_ms,
                                             struct bot_err *err)
{
    enum delivery_outcome o = DELIVERY_FAIL;
    cJSON *p = cJSON_Parse(row->payload);
    char *body = NULL;
    const char *event = str_field(p, "event"), *id = str_field(p, "id");
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(p, "body");
    if (d->hook == NULL || d->wh == NULL) {
        bot_err_set(err, BOT_ESTATE, "%s: not a webhook's lane (%s)", row->kind, d->lane);
        goto out;
    }
    if (event == NULL || id == NULL || !cJSON_IsObject(doc)) {
        bot_err_set(err, BOT_EINVAL, "%s: payload lacks event, id or body", row->kind);
        goto out;
    }
    body = cJSON_PrintUnformatted(doc);
    struct webhook_req req = {
        .name = d->hook->name,
        .url = d->hook->url,
        .secret = d->hook->secret,
        .event = event,
        .delivery_id = id,
        .body = body,
        .timestamp = clock_or(now) / 1000,
        .timeout_ms = (long)d->hook->timeout_seconds * 1000,
        .ca_file = d->cfg->slack_ca_file[0] ? d->cfg->slack_ca_file : NULL,
    };
    struct webhook_result res;
    enum bot_rc rc = webhook_post(d->wh, &req, &res, err);
    if (rc == BOT_OK) {
        *result = xasprintf("{\"http_status\":%ld}", res.http_status);
        o = DELIVERY_DONE;
    } else {
        *retry_after_ms = res.retry_after_ms;
        o = webhook_permanent(rc, &res) ? DELIVERY_FAIL : DELIVERY_RETRY;
    }
out:
    free(body);
    cJSON_Delete(p);
    return o;
}

/*
 * A webhook effect was given up: the endpoint missed a public change, so
 * the incident's channel is told which and why (like a given-up mirror
 * effect). Called with the write lock held; the message goes to the slack
 * lane, which polls.
 */
static void webhook_gave_up(struct delivery *d, const struct store_outbox_row *row,
                            const char *why)
{
    struct bot_err err;
    char key[96];
    cJSON *p = cJSON_Parse(row->payload);
    const char *event = str_field(p, "event");
    struct buf text;
    buf_init(&text, 2048);
    (void)!buf_addf(&text, ":warning: Webhook *%s* gave up on ", d->hook ? d->hook->name : "?");
    (void)!slack_text_escape(&text, event ? event : row->kind,
                             strlen(event ? event : row->kind));
    (void)!buf_addstr(&text, ": ");
    (void)!slack_text_escape(&text, why, strlen(why) > 500 ? 500 : strlen(why));
    (void)!buf_addstr(&text, ". Its receiver missed this public change; fix the cause, and the "
                             "next change is sent as usual.");
    cJSON *pl = cJSON_CreateObject(), *args;
    cJSON_AddStringToObject(pl, "method", "chat.postMessage");
    args = cJSON_AddObjectToObject(pl, "args");
    cJSON_AddStringToObject(args, "channel", "{{incident.channel_id}}");
    cJSON_AddStringToObject(args, "text", buf_str(&text));
    cJSON_AddFalseToObject(args, "unfurl_links");
    char *json = cJSON_PrintUnformatted(pl);
    snprintf(key, sizeof(key), "webhook/%lld/report", (long long)row->id);
    struct store_effect e = {
        .incident_id = row->incident_id,
        .kind = "slack.call",
        .target = DELIVERY_LANE_SLACK,
        .payload = json,
        .idem_key = key,
    };
    enum bot_rc rc = store_outbox_enqueue(d->store, &e, store_now_ms(), NULL, &err);
    if (rc != BOT_OK && rc != BOT_EEXISTS)
        log_error("cannot report a given-up webhook", "outbox_id", key, "error", err.msg);
    free(json);
    cJSON_Delete(pl);
    cJSON_Delete(p);
    buf_free(&text);
}

/*
 * Statuspage answers again after an outage: every effect of the lane that
 * waits out its own backoff is due now, so the catch-up goes at the pacing
 * rate from this first answered request on.
 */
static void sp_back(struct delivery *d)
{
    struct bot_err err = {{0}};
    int64_t n = 0;
    if (!d->sp_down)
        return;
    d->sp_down = false;
    pthread_mutex_lock(d->write_lock);
    enum bot_rc rc = store_outbox_due_now_target(d->store, d->lane, store_now_ms(), &n, &err);
    pthread_mutex_unlock(d->write_lock);
    char count[24];
    snprintf(count, sizeof count, "%lld", (long long)n);
    if (rc)
        log_error("cannot make the waiting effects due", "lane", d->lane, "error", err.msg);
    else if (n > 0)
        log_info("statuspage answers again; waiting effects are due now", "lane", d->lane,
                 "effects", count);
}

/* What the client's last request says of the page: down (no answer, 5xx) or answering. */
static void sp_note(struct delivery *d, long status)
{
    if (status < 0 || status == 420 || status == 429)
        return; /* no request made; or rate limited: its Retry-After stands */
    if (status == 0 || status >= 500) {
        if (!d->sp_down)
            d->sp_probe_at = mono_ms() + DELIVERY_STATUSPAGE_PROBE_MS;
        d->sp_down = true;
    } else {
        sp_back(d);
    }
}

/* While the page is down and effects wait: one cheap GET asking whether it is back. */
static void sp_probe(struct delivery *d)
{
    struct sp_api_result res = {0};
    struct bot_err err = {{0}};
    (void)sp_api_take_status(d->sp);
    (void)!sp_api_request(d->sp, "GET", "/incidents?limit=1&page=1", NULL, &res, &err);
    sp_api_result_clear(&res);
    d->sp_probe_at = mono_ms() + DELIVERY_STATUSPAGE_PROBE_MS;
    sp_note(d, sp_api_take_status(d->sp));
}

static void finish(struct delivery *d, const struct store_outbox_row *row, int64_t now)
{
    struct bot_err err = {{0}}, err2 = {{0}};
    char *result = NULL;
    int64_t retry_after = 0;
    char id[24], att[24];
    struct store_incident inc;
    bool have_inc = false;
    enum delivery_outcome o;
    enum bot_rc rc;

    snprintf(id, sizeof(id), "%lld", (long long)row->id);
    snprintf(att, sizeof(att), "%lld", (long long)row->attempts);
    store_incident_init(&inc);
    if (is_view_kind(row->kind)) {
        o = perform_view(d, row, now, &result, &retry_after, &err);
    } else if (is_statuspage_kind(row->kind)) {
        (void)sp_api_take_status(d->sp);
        o = perform_statuspage(d, row, now, &result, &retry_after, &err);
        sp_note(d, sp_api_take_status(d->sp));
    } else if (strcmp(row->kind, HOOK_KIND) == 0) {
        o = perform_webhook(d, row, now, &result, &retry_after, &err);
    } else {
        if (row->incident_id != 0) {
            rc = store_incident_get(d->store, row->incident_id, &inc, &err);
            if (rc != BOT_OK && rc != BOT_ENOTFOUND) {
                log_error("cannot read an effect's incident; will retry", "outbox_id", id,
                          "error", err.msg);
                o = DELIVERY_RETRY;
                goto record;
            }
            have_inc = rc == BOT_OK;
        }
        o = perform_call(d, row, have_inc ? &inc : NULL, &result, &retry_after, &err);
    }
    if (o != DELIVERY_DONE && stopping(d)) {
        /* Interrupted by shutdown: left in sending, put back at the next start. */
        log_info("effect interrupted by shutdown", "outbox_id", id, "kind", row->kind);
        goto out;
    }
record:
    if (o == DELIVERY_RETRY && row->attempts >= d->max_attempts)
        o = DELIVERY_FAIL;
    pthread_mutex_lock(d->write_lock);
    if (o == DELIVERY_DONE) {
        rc = store_begin(d->store, &err2);
        if (rc == BOT_OK) {
            struct bot_err serr = {{0}};
            enum bot_rc src = save_result(d, row->incident_id, row->payload, result, &serr);
            if (src == BOT_EINVAL || src == BOT_ENOTFOUND)
                /* The call happened; a bad "save" is a bug to report, not a reason to redo it. */
                log_error("cannot save an effect's answer", "outbox_id", id, "error", serr.msg);
            else if (src != BOT_OK)
                rc = bot_err_set(&err2, src, "%s", serr.msg);
        }
        if (rc == BOT_OK)
            rc = store_outbox_done(d->store, row->id, result, clock_or(now), &err2);
        if (rc == BOT_OK)
            rc = store_commit(d->store, &err2);
        else
            store_rollback(d->store);
    } else if (o == DELIVERY_RETRY) {
        d->rng = d->rng * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t delay = delivery_backoff_ms(row->attempts, retry_after, d->rng >> 11);
        int64_t t = clock_or(now);
        rc = store_outbox_retry(d->store, row->id, t + delay, err.msg, t, &err2);
        char ms[24];
        snprintf(ms, sizeof(ms), "%lld", (long long)delay);
        log_warn("effect failed; will retry", "lane", d->lane, "outbox_id", id, "kind", row->kind,
                 "attempt", att, "retry_in_ms", ms, "error", err.msg);
    } else {
        rc = store_outbox_fail(d->store, row->id, err.msg, clock_or(now), &err2);
        log_error("effect given up", "lane", d->lane, "outbox_id", id, "kind", row->kind,
                  "attempt", att, "error", err.msg);
    }
    if (rc == BOT_OK && is_statuspage_kind(row->kind) && row->incident_id != 0)
        mirror_changed(d, row, o, err.msg);
    if (rc == BOT_OK && o == DELIVERY_FAIL && strcmp(row->kind, HOOK_KIND) == 0 &&
        row->incident_id != 0)
        webhook_gave_up(d, row, err.msg);
    pthread_mutex_unlock(d->write_lock);
    if (rc)
        log_error("cannot record an effect's outcome", "outbox_id", id, "error", err2.msg);
out:
    store_incident_clear(&inc);
    free(result);
}

enum bot_rc delivery_run_one(struct delivery *d, int64_t now, int64_t *outbox_id,
                             struct bot_err *err)
{
    struct store_outbox_row row;
    if (outbox_id)
        *outbox_id = 0;
    pthread_mutex_lock(d->write_lock);
    enum bot_rc rc = store_outbox_claim_target(d->store, clock_or(now), d->lane, &row, err);
    pthread_mutex_unlock(d->write_lock);
    if (rc)
        return rc;
    if (outbox_id)
        *outbox_id = row.id;
    finish(d, &row, now);
    store_outbox_row_clear(&row);
    return BOT_OK;
}

static void *delivery_main(void *arg)
{
    struct delivery *d = arg;
    while (!stopping(d)) {
        struct bot_err err = {{0}};
        enum bot_rc rc = delivery_run_one(d, 0, NULL, &err);
        if (rc == BOT_OK)
            continue;
        int64_t wait = DELIVERY_POLL_MS, now = store_now_ms();
        if (rc != BOT_ENOTFOUND) {
            log_error("cannot read the outbox", "lane", d->lane, "error", err.msg);
        } else {
            /* Nothing due: the lane's idle time is the directory's. */
            if (d->directory && now >= d->directory_due_at) {
                directory_tick(d);
                continue;
            }
            int64_t at = 0;
            bool waiting = store_outbox_next_due_at_target(d->store, d->lane, &at, &err) == BOT_OK;
            if (waiting && at > 0 && at - now < wait)
                wait = at - now > 0 ? at - now : 0;
            /* Effects wait out their backoff while Statuspage is down: is it back? */
            if (waiting && d->sp != NULL && d->sp_down) {
                int64_t probe = d->sp_probe_at - mono_ms();
                if (probe <= 0) {
                    sp_probe(d);
                    continue;
                }
                if (probe < wait)
                    wait = probe;
            }
            if (d->directory && d->directory_due_at - now < wait)
                wait = d->directory_due_at - now;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += wait / 1000;
        until.tv_nsec += (long)(wait % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&d->lock);
        while (!d->stop && !d->kicked) {
            if (pthread_cond_timedwait(&d->cond, &d->lock, &until) != 0)
                break;
        }
        d->kicked = false;
        pthread_mutex_unlock(&d->lock);
    }
    return NULL;
}

enum bot_rc delivery_open_lane(const struct config *cfg, struct slack_rl *rl,
                               pthread_mutex_t *write_lock, const char *lane,
                               struct delivery **out, struct bot_err *err)
{
    enum bot_rc rc;
    struct delivery *d;
    struct store_opts so;
    int64_t requeued = 0;
    bool fast;

    *out = NULL;
    if (lane == NULL || lane[0] == '\0' || strlen(lane) >= DELIVERY_MAX_LANE)
        return bot_err_set(err, BOT_EINVAL, "delivery: a lane is 1..%d bytes",
                           DELIVERY_MAX_LANE - 1);
    fast = strcmp(lane, DELIVERY_LANE_FAST) == 0;
    bool sp = strcmp(lane, DELIVERY_LANE_STATUSPAGE) == 0;
    const struct cfg_webhook *hook = cfg_webhook_by_lane(cfg, lane);
    d = xcalloc(1, sizeof(*d));
    d->hook = hook;
    d->directory = strcmp(lane, DELIVERY_LANE_SLACK) == 0; /* synced at once (due_at 0) */
    d->cfg = cfg;
    d->write_lock = write_lock;
    snprintf(d->lane, sizeof d->lane, "%s", lane);
    d->max_attempts = fast ? DELIVERY_FAST_MAX_ATTEMPTS
                      : sp ? DELIVERY_STATUSPAGE_MAX_ATTEMPTS
                      : hook ? DELIVERY_WEBHOOK_MAX_ATTEMPTS : DELIVERY_MAX_ATTEMPTS;
    d->rng = (uint64_t)store_now_ms() | 1;
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->cond, NULL);
    store_opts_init(&so);
    so.busy_timeout_ms = cfg->store_busy_timeout_ms;
    /*
     * No fsync of its own, for the same reason as the worker's: an fsync made
     * while holding the write lock delays the loop's next group commit, that
     * is, acks. The WAL is persisted in order by the loop's next durable
     * commit or the worker's next checkpoint; only a power cut in between
     * could lose a "done" mark and make an effect run twice.
     */
    so.sync = STORE_SYNC_NORMAL;
    rc = store_open_opts(cfg->store_path, &so, &d->store, err);
    if (rc)
        goto fail;
    rc = store_outbox_recover_target(d->store, d->lane, &requeued, err);
    if (rc)
        goto fail;
    if (requeued) {
        char n[24];
        snprintf(n, sizeof(n), "%lld", (long long)requeued);
        log_info("resuming effects left in flight by the previous run", "lane", d->lane,
                 "requeued", n);
    }
    long timeout_ms = (long)cfg->slack_call_timeout_seconds * 1000;
    if (fast && timeout_ms > DELIVERY_FAST_TIMEOUT_MS)
        timeout_ms = DELIVERY_FAST_TIMEOUT_MS; /* past Slack's trigger window anyway */
    struct slack_api_opts ao = {
        .base_url = cfg->slack_api_base_url,
        .token = cfg->slack_bot_token,
        .timeout_ms = timeout_ms,
        .deadline_ms = timeout_ms * 2,
        .max_attempts = 2, /* quick in-call retries; the durable ones are the outbox's */
        .limiter = rl,
        .ca_file = cfg->slack_ca_file[0] ? cfg->slack_ca_file : NULL,
        .local = cfg->slack_local,
        .no_limiter = cfg->slack_local != NULL, /* the console's workspace has no rate limits */
    };
    rc = slack_api_new(&ao, &d->api, err);
    if (rc)
        goto fail;
    if (sp && delivery_statuspage_configured(cfg)) {
        struct sp_api_opts so2 = {
            .base_url = cfg->atlassian_api_base_url,
            .page_id = cfg->atlassian_page_id,
            .api_key = cfg->statuspage_api_key,
            .timeout_ms = DELIVERY_STATUSPAGE_TIMEOUT_MS,
            .ca_file = cfg->slack_ca_file[0] ? cfg->slack_ca_file : NULL,
            .pace = sp_pace,
            .pace_ud = d,
        };
        rc = sp_api_new(&so2, &d->sp, err);
        if (rc)
            goto fail;
    }
    if (hook)
        d->wh = webhook_new();
    /* An earlier run may have left effects in backoff: the first answer makes them due. */
    d->sp_down = d->sp != NULL;
    d->sp_probe_at = 0;
    *out = d;
    return BOT_OK;
fail:
    delivery_stop(d);
    return rc;
}

enum bot_rc delivery_start_lane(const struct config *cfg, struct slack_rl *rl,
                                pthread_mutex_t *write_lock, const char *lane,
                                struct delivery **out, struct bot_err *err)
{
    struct delivery *d = NULL;
    enum bot_rc rc = delivery_open_lane(cfg, rl, write_lock, lane, &d, err);
    *out = NULL;
    if (rc)
        return rc;
    if (pthread_create(&d->thread, NULL, delivery_main, d) != 0) {
        delivery_stop(d);
        return bot_err_set(err, BOT_EIO, "cannot start the delivery thread of lane %s", lane);
    }
    d->started = true;
    *out = d;
    return BOT_OK;
}

bool delivery_statuspage_configured(const struct config *cfg)
{
    return cfg->atlassian_page_id != NULL && cfg->atlassian_page_id[0] != '\0' &&
           cfg->statuspage_api_key != NULL && cfg->statuspage_api_key[0] != '\0';
}

enum bot_rc delivery_start(const struct config *cfg, struct slack_rl *rl,
                           pthread_mutex_t *write_lock, struct delivery **out,
                           struct bot_err *err)
{
    return delivery_start_lane(cfg, rl, write_lock, DELIVERY_LANE_SLACK, out, err);
}

void delivery_wake(struct delivery *d)
{
    if (d == NULL)
        return;
    pthread_mutex_lock(&d->lock);
    d->kicked = true;
    pthread_cond_signal(&d->cond);
    pthread_mutex_unlock(&d->lock);
}

void delivery_stop(struct delivery *d)
{
    if (d == NULL)
        return;
    if (d->started) {
        pthread_mutex_lock(&d->lock);
        d->stop = true;
        pthread_cond_signal(&d->cond);
        pthread_mutex_unlock(&d->lock);
        slack_api_abort(d->api);
        sp_api_abort(d->sp);
        webhook_abort(d->wh);
        pthread_join(d->thread, NULL);
    }
    slack_api_free(d->api);
    sp_api_free(d->sp);
    webhook_free(d->wh);
    store_close(d->store);
    walk_free(&d->walk);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->cond);
    free(d);
}
