/*
 * The inbox worker (see worker.h). It owns a second SQLite connection, used
 * only on its thread, so that slow SQL never runs on the loop thread that
 * acks envelopes and serves HTTP; it makes no network calls at all.
 */
#include "worker.h"

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "delivery.h"
#include "log.h"
#include "store.h"
#include "store_inbox.h"
#include "store_outbox.h"
#include "store_reminder.h"
#include "utf8.h"
#include "xmalloc.h"

#define WORKER_SP_ENTRY 265 /* a [statuspage.atlassian] components entry (264 bytes) and NUL */

struct worker {
    const struct config *cfg;
    struct plan_config pc;
    struct plan_webhook webhooks[CFG_MAX_WEBHOOKS]; /* pc.webhooks points here */
    const char *components[2 * CFG_MAX_COMPONENTS];  /* pc.components points here */
    char sp_names[CFG_MAX_COMPONENTS][WORKER_SP_ENTRY]; /* the names of "name=id" */
    pthread_mutex_t *write_lock;  /* shared with the loop and delivery; see worker.h */
    const atomic_uint *yield_to;  /* the store thread's waits for write_lock; may be NULL */
    struct delivery *deliveries[WORKER_MAX_DELIVERIES];
    size_t n_deliveries;
    struct store *store;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, kicked;
};

/*
 * The configured component names for the plan: [[statuspage.components]],
 * then the names of [statuspage.atlassian] components ("name=id") not among
 * them, so a component mirrored only on Statuspage can be named too.
 */
static void plan_components_from(const struct config *cfg, struct worker *w)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_statuspage_components && n < 2 * CFG_MAX_COMPONENTS; i++)
        w->components[n++] = cfg->statuspage_components[i].name;
    for (size_t i = 0; i < cfg->n_atlassian_components && i < CFG_MAX_COMPONENTS; i++) {
        const char *e = cfg->atlassian_components[i], *eq = strchr(e, '=');
        size_t len = eq ? (size_t)(eq - e) : strlen(e);
        bool dup = false;
        if (len == 0 || len >= WORKER_SP_ENTRY)
            continue;
        memcpy(w->sp_names[i], e, len);
        w->sp_names[i][len] = '\0';
        for (size_t k = 0; k < n && !dup; k++)
            dup = strcmp(w->components[k], w->sp_names[i]) == 0;
        if (!dup && n < 2 * CFG_MAX_COMPONENTS)
            w->components[n++] = w->sp_names[i];
    }
    w->pc.components = w->components;
    w->pc.n_components = n;
}

/* The plan's view of the configuration; strings borrowed from cfg, webhooks[] filled. */
static void plan_config_from(const struct config *cfg, struct plan_config *pc,
                             struct plan_webhook webhooks[CFG_MAX_WEBHOOKS])
{
    memset(pc, 0, sizeof(*pc));
    pc->min_duration_minutes = cfg->incident_min_duration_minutes;
    pc->min_affected_users = cfg->incident_min_affected_users;
    pc->sev.critical_percent = (double)cfg->severity_critical_percent;
    pc->sev.major_percent = (double)cfg->severity_major_percent;
    pc->channel_template = cfg->slack_channel_name;
    pc->announce_channel = cfg->slack_announce_channel;
    pc->support_channel = cfg->slack_support_channel;
    config_audience(cfg, &pc->privacy);
    pc->postmortem_due_hours = cfg->postmortem_due_hours;
    pc->postmortem_remind_hours = cfg->postmortem_remind_before_hours;
    pc->n_postmortem_remind_hours = cfg->n_postmortem_remind_before_hours;
    for (int sev = 0; sev < SEV_COUNT; sev++)
        pc->postmortem_optional[sev] = true;
    for (size_t i = 0; i < cfg->n_postmortem_required_for; i++) {
        enum severity sev;
        if (plan_severity_parse(cfg->postmortem_required_for[i],
                                strlen(cfg->postmortem_required_for[i]), &sev))
            pc->postmortem_optional[sev] = false;
    }
    pc->irm_group = cfg->roles_irm_group;
    pc->irm_users = (const char *const *)cfg->roles_irm_users;
    pc->n_irm_users = cfg->n_roles_irm_users;
    pc->dpo = cfg->roles_dpo;
    pc->oncall = (const char *const *)cfg->oncall_users;
    pc->n_oncall = cfg->n_oncall_users;
    pc->breach_notify_hours = cfg->breach_notify_within_hours;
    pc->breach_remind_hours = cfg->breach_remind_before_hours;
    pc->n_breach_remind_hours = cfg->n_breach_remind_before_hours;
    pc->call_url_template = cfg->call_url_template;
    pc->irm_unclaimed_minutes = cfg->reminders_irm_unclaimed_minutes;
    pc->public_update_minutes = cfg->reminders_public_update_minutes;
    /* Status-page effects only when a lane will drain them (see plan_mirror()). */
    pc->mirror = delivery_statuspage_configured(cfg);
    /* Each webhook has a lane of its own, started for every one with its secret (bot.c). */
    for (size_t i = 0; i < cfg->n_webhooks && i < CFG_MAX_WEBHOOKS; i++) {
        if (cfg->webhooks[i].secret == NULL)
            continue; /* not started (console mode reads no secrets): nothing for it */
        webhooks[pc->n_webhooks].lane = cfg->webhooks[i].lane;
        webhooks[pc->n_webhooks].events = cfg->webhooks[i].events;
        pc->n_webhooks++;
    }
    pc->webhooks = webhooks;
    pc->statuspage_url = cfg->statuspage_url;
    pc->reassess_after_minutes = cfg->incident_reassess_after_minutes;
    pc->status_templates[0] = cfg->status_identified_template;
    pc->status_templates[1] = cfg->status_monitoring_template;
    pc->status_templates[2] = cfg->status_resolved_template;
    pc->hours.enabled = cfg->hours_enabled != 0;
    for (size_t i = 0; i < cfg->n_hours_days; i++) {
        int d;
        if (hours_parse_day(cfg->hours_days[i], &d))
            pc->hours.days[d] = true;
    }
    if (!hours_parse_clock(cfg->hours_start, &pc->hours.start_min) ||
        !hours_parse_clock(cfg->hours_end, &pc->hours.end_min))
        pc->hours.enabled = false; /* checked at load; cannot happen */
    for (size_t i = 0; i < cfg->n_hours_escalate; i++) {
        enum severity sev;
        if (plan_severity_parse(cfg->hours_escalate[i], strlen(cfg->hours_escalate[i]), &sev))
            pc->escalate[sev] = true;
    }
    pc->oncall_group = cfg->oncall_group;
    pc->rotation = (const char *const *)cfg->oncall_rotation;
    pc->n_rotation = cfg->n_oncall_rotation;
    pc->rotation_start_ms = cfg_date_ms(cfg->oncall_rotation_start);
    for (size_t i = 0; i < cfg->n_perm_declare; i++)
        pc->declare_everyone |= strcmp(cfg->perm_declare[i], "everyone") == 0;
    pc->declare_users = (const char *const *)cfg->perm_declare; /* "everyone" matches nobody */
    pc->n_declare_users = cfg->n_perm_declare;
    for (size_t i = 0; i < cfg->n_perm_manage; i++) {
        const char *w = cfg->perm_manage[i];
        pc->manage_everyone |= strcmp(w, "everyone") == 0;
        pc->manage_team |= strcmp(w, "team") == 0;
        pc->manage_irms |= strcmp(w, "irms") == 0;
        pc->manage_admins |= strcmp(w, "admins") == 0;
    }
    pc->manage_users = (const char *const *)cfg->perm_manage; /* the words match no user id */
    pc->n_manage_users = cfg->n_perm_manage;
    pc->admins = (const char *const *)cfg->perm_admins;
    pc->n_admins = cfg->n_perm_admins;
}

int worker_tz_offset_min(int64_t now_ms)
{
    time_t t = (time_t)(now_ms / 1000);
    struct tm lt, gt;
    if (localtime_r(&t, &lt) == NULL || gmtime_r(&t, &gt) == NULL)
        return 0;
    /* tm_gmtoff is not POSIX: compare the two calendars instead (they differ by < 1 day). */
    int days = lt.tm_year != gt.tm_year ? (lt.tm_year > gt.tm_year ? 1 : -1)
                                         : lt.tm_yday - gt.tm_yday;
    return days * 1440 + (lt.tm_hour - gt.tm_hour) * 60 + (lt.tm_min - gt.tm_min);
}

void worker_plan_init(struct plan *p, const struct plan_config *pc, struct store *s,
                      int64_t now_ms, const char *event_id)
{
    memset(p, 0, sizeof(*p));
    p->cfg = pc;
    p->store = s;
    p->now_ms = now_ms;
    p->tz_offset_min = worker_tz_offset_min(now_ms);
    p->event_id = event_id;
}

enum bot_rc worker_decide(struct plan *p, const char *type, const char *payload,
                          struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    /* A "\u0000" as UTF8_NUL_MARK, which the plan refuses, not as a string cut short. */
    char *marked = utf8_json_mark_nul(payload, strlen(payload), NULL);
    cJSON *pl = cJSON_Parse(marked ? marked : payload);
    free(marked);
    if (!cJSON_IsObject(pl)) {
        rc = bot_err_set(err, BOT_EPROTO, "%s payload is not a JSON object", type);
        goto out;
    }
    if (strcmp(type, "slash_commands") == 0)
        rc = plan_slash(p, pl, err);
    else if (strcmp(type, "interactive") == 0)
        rc = plan_interactive(p, pl, err);
    /* events_api envelopes (member_joined_channel, app_mention) need no decision yet. */
out:
    cJSON_Delete(pl);
    return rc;
}

/*
 * Decides one envelope inside the batch's transaction: its own savepoint, then its end. A
 * decision that failed for a reason retrying may clear (bot_rc_transient: a locked or full
 * database, no descriptor left) is not the envelope's fault: *transient is set and the batch
 * is given up as a whole, to be tried again in order; any other failure fails the envelope.
 */
static enum bot_rc decide_one(struct worker *w, const struct store_inbox_row *row, int64_t now,
                              unsigned *effects, bool *transient, struct bot_err *err)
{
    struct plan p;
    struct bot_err why = {{0}};
    char id[32];
    worker_plan_init(&p, &w->pc, w->store, now, row->envelope_id);
    enum bot_rc rc = store_savepoint(w->store, err);
    if (rc)
        return rc;
    enum bot_rc decided = worker_decide(&p, row->type, row->payload, &why);
    if (decided == BOT_OK) {
        rc = store_release(w->store, err);
        *effects += p.seq;
    } else if (bot_rc_transient(decided)) {
        store_rollback_savepoint(w->store);
        *transient = true;
        return bot_err_set(err, decided, "%s", why.msg[0] ? why.msg : bot_strerror(decided));
    } else {
        store_rollback_savepoint(w->store);
        snprintf(id, sizeof(id), "%lld", (long long)row->id);
        log_warn("envelope failed", "inbox_id", id, "type", row->type, "envelope_id",
                 row->envelope_id, "error", why.msg[0] ? why.msg : bot_strerror(decided));
    }
    if (rc == BOT_OK)
        rc = decided == BOT_OK ? store_inbox_done(w->store, row->id, now, err)
                               : store_inbox_fail(w->store, row->id,
                                                  why.msg[0] ? why.msg : bot_strerror(decided),
                                                  now, err);
    if (rc)
        log_error("cannot record an envelope's outcome", "envelope_id", row->envelope_id,
                  "error", err->msg);
    return rc;
}

/*
 * Claims up to WORKER_BATCH pending envelopes in one transaction. Few, short
 * write transactions matter: each one holds the write lock the loop thread
 * needs for its next group commit, so per-envelope transactions would show
 * up directly as ack latency.
 */
static size_t claim_batch(struct worker *w, struct store_inbox_row *rows, struct bot_err *err,
                          enum bot_rc *rcp)
{
    size_t n = 0;
    enum bot_rc rc;
    pthread_mutex_lock(w->write_lock);
    rc = store_begin(w->store, err);
    while (rc == BOT_OK && n < WORKER_BATCH) {
        rc = store_inbox_claim(w->store, store_now_ms(), &rows[n], err);
        if (rc == BOT_OK)
            n++;
    }
    if (rc == BOT_ENOTFOUND)
        rc = BOT_OK;
    if (rc == BOT_OK && store_in_txn(w->store))
        rc = store_commit(w->store, err);
    if (rc) {
        store_rollback(w->store);
        for (size_t i = 0; i < n; i++)
            store_inbox_row_clear(&rows[i]);
        n = 0;
    }
    pthread_mutex_unlock(w->write_lock);
    *rcp = rc;
    return n;
}

/*
 * Decides every claimed envelope and records each outcome, a savepoint per
 * envelope: a decision reads what the ones before it wrote (two clicks on
 * "Take IRM" in one batch), and one that fails is undone alone. Envelopes
 * are decided in one transaction, except that when the store thread waits
 * for the write lock (yield_to) the worker commits after the envelope it is
 * deciding and lets it in before the next one. *decided is how many rows
 * (from the first) are recorded. A transient failure (a decision's, or a
 * commit's) undoes what is not committed and returns its rc: the caller
 * puts rows[*decided..n) back to pending and tries again after a pause.
 * Another failed commit leaves the rows in processing, which the next start
 * puts back to pending.
 */
static enum bot_rc process_batch(struct worker *w, struct store_inbox_row *rows, size_t n,
                                 size_t *decided)
{
    struct bot_err err = {{0}};
    unsigned effects = 0;
    bool transient = false;
    int64_t now = store_now_ms();
    size_t i = 0;
    enum bot_rc rc = BOT_OK;
    *decided = 0;
    while (rc == BOT_OK && i < n) {
        /*
         * Handing over: a mutex is not fair, so after letting go for the store thread the
         * worker waits (briefly, bounded) until that thread holds the lock before it asks
         * for it again.
         */
        for (int spin = 0; i > 0 && w->yield_to != NULL && atomic_load(w->yield_to) > 0 &&
                           spin < WORKER_HANDOVER_SPINS;
             spin++)
            sched_yield();
        pthread_mutex_lock(w->write_lock);
        rc = store_begin(w->store, &err);
        while (rc == BOT_OK && i < n) {
            rc = decide_one(w, &rows[i], now, &effects, &transient, &err);
            if (rc == BOT_OK)
                i++;
            if (w->yield_to != NULL && atomic_load(w->yield_to) > 0)
                break; /* an ack waits for the lock: commit what is decided and let it in */
        }
        if (rc == BOT_OK)
            rc = store_commit(w->store, &err);
        else
            store_rollback(w->store);
        if (rc != BOT_OK && store_in_txn(w->store))
            store_rollback(w->store); /* a failed commit leaves the transaction open */
        pthread_mutex_unlock(w->write_lock);
        if (rc == BOT_OK)
            *decided = i;
    }
    if (effects > 0 && *decided > 0)
        for (size_t k = 0; k < w->n_deliveries; k++)
            delivery_wake(w->deliveries[k]);
    if (rc != BOT_OK && (transient || bot_rc_transient(rc))) {
        char count[24];
        snprintf(count, sizeof(count), "%zu", n - *decided);
        log_warn("envelopes not decided for now; tried again", "count", count, "error",
                 err.msg);
        return rc;
    }
    if (rc != BOT_OK) {
        char count[24];
        snprintf(count, sizeof(count), "%zu", n - *decided);
        log_error("cannot record the outcome of envelopes; they are retried at the next start",
                  "count", count, "error", err.msg);
    }
    return BOT_OK;
}

/* Puts claimed rows back to pending after a transient failure; false when that failed too. */
static bool release_batch(struct worker *w, const struct store_inbox_row *rows, size_t n)
{
    struct bot_err err = {{0}};
    pthread_mutex_lock(w->write_lock);
    enum bot_rc rc = store_begin(w->store, &err);
    for (size_t i = 0; i < n && rc == BOT_OK; i++)
        rc = store_inbox_release(w->store, rows[i].id, &err);
    if (rc == BOT_OK)
        rc = store_commit(w->store, &err);
    if (rc != BOT_OK && store_in_txn(w->store))
        store_rollback(w->store);
    pthread_mutex_unlock(w->write_lock);
    if (rc != BOT_OK)
        log_warn("cannot put envelopes back yet; trying again", "error", err.msg);
    return rc == BOT_OK;
}

/* The CLOCK_REALTIME time ms from now, for pthread_cond_timedwait(). */
static struct timespec deadline_after(int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    return until;
}

/* Sleeps ms unless the worker is stopped meanwhile; false when it was. */
static bool pause_ms(struct worker *w, int64_t ms)
{
    struct timespec until = deadline_after(ms);
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        if (pthread_cond_timedwait(&w->cond, &w->lock, &until) != 0)
            break;
    }
    bool stop = w->stop;
    pthread_mutex_unlock(&w->lock);
    return !stop;
}

/*
 * Sends the reminders that fell due (also while the bot was down): each one
 * decided and marked done in one transaction, so it is sent once.
 */
static bool run_reminders(struct worker *w)
{
    struct store_reminder *rows = NULL;
    size_t n = 0;
    struct bot_err err = {{0}};
    unsigned effects = 0;
    int64_t now = store_now_ms();
    enum bot_rc rc = store_reminder_due(w->store, now, WORKER_BATCH, &rows, &n, &err);
    if (rc != BOT_OK || n == 0) {
        if (rc != BOT_OK)
            log_error("cannot read the reminders", "error", err.msg);
        return false;
    }
    pthread_mutex_lock(w->write_lock);
    rc = store_begin(w->store, &err);
    for (size_t i = 0; i < n && rc == BOT_OK; i++) {
        char event[48];
        struct plan p;
        struct bot_err why = {{0}};
        snprintf(event, sizeof(event), "reminder-%lld", (long long)rows[i].id);
        worker_plan_init(&p, &w->pc, w->store, now, event);
        /*
         * Done first: the decision may restart the same clock (cancel the kind's pending
         * reminders and add the next), which must not catch the one being sent. A decision
         * that fails is undone alone and the reminder stays done: it is logged, not retried
         * forever.
         */
        rc = store_reminder_done(w->store, rows[i].id, now, &err);
        if (rc == BOT_ESTATE) { /* cancelled by an earlier decision of this batch */
            rc = BOT_OK;
            continue;
        }
        if (rc == BOT_OK)
            rc = store_savepoint(w->store, &err);
        if (rc)
            break;
        enum bot_rc decided = plan_reminder(&p, &rows[i], &why);
        if (decided == BOT_OK) {
            rc = store_release(w->store, &err);
            effects += p.seq;
        } else {
            store_rollback_savepoint(w->store);
            log_warn("reminder failed", "reminder", event, "kind", rows[i].kind, "error",
                     why.msg);
        }
    }
    if (rc == BOT_OK)
        rc = store_commit(w->store, &err);
    else
        store_rollback(w->store);
    pthread_mutex_unlock(w->write_lock);
    store_reminder_list_free(rows, n);
    if (rc != BOT_OK) {
        log_error("cannot record reminders; they are tried again", "error", err.msg);
        return false;
    }
    for (size_t i = 0; effects > 0 && i < w->n_deliveries; i++)
        delivery_wake(w->deliveries[i]);
    return n == WORKER_BATCH;
}

/* The pause before the next try after transient trouble: doubled, within bounds. */
static int64_t next_backoff(int64_t ms)
{
    if (ms <= 0)
        return WORKER_BACKOFF_MIN_MS;
    return ms * 2 > WORKER_BACKOFF_MAX_MS ? WORKER_BACKOFF_MAX_MS : ms * 2;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int64_t backoff = 0; /* ms; 0 while nothing is in trouble */
    unsigned since_checkpoint = 1; /* one at start: the WAL may be long after a crash */
    for (;;) {
        pthread_mutex_lock(&w->lock);
        bool stop = w->stop;
        w->kicked = false;
        pthread_mutex_unlock(&w->lock);
        if (stop)
            break;

        struct store_inbox_row rows[WORKER_BATCH];
        struct bot_err err;
        enum bot_rc rc;
        size_t n = claim_batch(w, rows, &err, &rc);
        if (rc != BOT_OK && bot_rc_transient(rc)) {
            log_warn("cannot read the inbox for now", "error", err.msg);
            backoff = next_backoff(backoff);
            if (!pause_ms(w, backoff))
                break;
            continue;
        }
        if (rc != BOT_OK)
            log_error("cannot read the inbox", "error", err.msg);
        size_t decided = 0;
        if (n > 0 && process_batch(w, rows, n, &decided) != BOT_OK) {
            /*
             * Transient trouble (a locked or full database, no descriptor left): the batch
             * goes back to pending, in its order, after a pause that doubles up to
             * WORKER_BACKOFF_MAX_MS, and is claimed again; nothing acknowledged is failed
             * for it. Stopping meanwhile leaves the rows processing: the next start
             * requeues them.
             */
            bool released = false;
            while (!released) {
                backoff = next_backoff(backoff);
                if (!pause_ms(w, backoff))
                    break;
                released = release_batch(w, rows + decided, n - decided);
            }
            for (size_t i = 0; i < n; i++)
                store_inbox_row_clear(&rows[i]);
            continue;
        }
        if (n > 0) {
            backoff = 0;
            for (size_t i = 0; i < n; i++)
                store_inbox_row_clear(&rows[i]);
            since_checkpoint += (unsigned)n;
            if (since_checkpoint < WORKER_CHECKPOINT_EVERY)
                continue;
        }
        /* The loop thread's connection never checkpoints (an ack must not wait for it). */
        if (since_checkpoint > 0) {
            if (store_checkpoint(w->store, &err) != BOT_OK)
                log_warn("checkpoint failed", "error", err.msg);
            since_checkpoint = 0;
        }
        if (n > 0)
            continue;
        if (run_reminders(w))
            continue;

        /* Sleep until woken, the poll interval, or the next reminder, whichever is first. */
        int64_t wait = WORKER_POLL_MS, at = 0, now = store_now_ms();
        if (store_reminder_next_due_at(w->store, &at, &err) == BOT_OK && at - now < wait)
            wait = at - now > 0 ? at - now : 0;
        struct timespec until = deadline_after(wait);
        pthread_mutex_lock(&w->lock);
        while (!w->stop && !w->kicked) {
            if (pthread_cond_timedwait(&w->cond, &w->lock, &until) != 0)
                break;
        }
        pthread_mutex_unlock(&w->lock);
    }
    return NULL;
}

enum bot_rc worker_start(const struct config *cfg, pthread_mutex_t *write_lock,
                         const atomic_uint *yield_to, struct delivery *const *deliveries,
                         size_t n_deliveries, struct worker **out, struct bot_err *err)
{
    enum bot_rc rc;
    struct worker *w = xcalloc(1, sizeof(*w));
    struct store_opts so;
    int64_t requeued = 0, failed = 0;

    *out = NULL;
    w->cfg = cfg;
    w->write_lock = write_lock;
    w->yield_to = yield_to;
    plan_config_from(cfg, &w->pc, w->webhooks);
    plan_components_from(cfg, w);
    for (size_t i = 0; i < n_deliveries && i < WORKER_MAX_DELIVERIES; i++)
        w->deliveries[w->n_deliveries++] = deliveries[i];
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    store_opts_init(&so);
    so.busy_timeout_ms = cfg->store_busy_timeout_ms;
    /*
     * The worker's commits need no fsync of their own: the envelopes were made
     * durable by the loop's commit before they were acked, and if a power cut
     * loses a worker commit, the envelopes go back to pending and are decided
     * again (the outbox's idempotency keys keep that from doubling effects).
     * An fsync here would be made while holding the write lock the loop needs.
     */
    so.sync = STORE_SYNC_NORMAL;
    rc = store_open_opts(cfg->store_path, &so, &w->store, err);
    if (rc)
        goto fail;
    rc = store_inbox_recover(w->store, WORKER_MAX_ATTEMPTS, store_now_ms(), &requeued, &failed,
                             err);
    if (rc)
        goto fail;
    if (requeued || failed) {
        char a[32], b[32];
        snprintf(a, sizeof(a), "%lld", (long long)requeued);
        snprintf(b, sizeof(b), "%lld", (long long)failed);
        log_info("resuming envelopes left by the previous run", "requeued", a, "failed", b);
    }
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        rc = bot_err_set(err, BOT_EIO, "cannot start the worker thread");
        goto fail;
    }
    w->started = true;
    *out = w;
    return BOT_OK;
fail:
    worker_stop(w);
    return rc;
}

void worker_wake(struct worker *w)
{
    pthread_mutex_lock(&w->lock);
    w->kicked = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void worker_stop(struct worker *w)
{
    if (w == NULL)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->stop = true;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
    }
    store_close(w->store);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}
