/*
 * Unit tests of the outbox's per-target claims, on a real database file in a
 * temporary directory: a drain of one target ("fast") is never handed an
 * effect of another ("slack") and the other way round, ordering per incident
 * holds within a target and not across targets, the next due time is per
 * target, and recovering one target leaves another drain's effects in flight.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "store.h"
#include "store_incident.h"
#include "store_outbox.h"
#include "xmalloc.h"

#define T0 1700000000000LL /* a fixed "now" in Unix ms */

static char tmpdir[] = "/tmp/incidentd-lanes-XXXXXX";
static int dbseq;

static struct store *open_new(void)
{
    struct bot_err err = {{0}};
    struct store *s = NULL;
    char *path = xasprintf("%s/lanes-%d.db", tmpdir, ++dbseq);
    if (store_open(path, &s, &err) != BOT_OK) {
        fprintf(stderr, "open %s: %s\n", path, err.msg);
        abort();
    }
    free(path);
    return s;
}

static int64_t add_incident(struct store *s)
{
    struct bot_err err = {{0}};
    struct store_incident inc;
    store_incident_init(&inc);
    inc.title = "db down";
    inc.severity = "major";
    inc.status = "investigating";
    inc.declared_at = T0;
    if (store_incident_insert(s, &inc, &err) != BOT_OK) {
        fprintf(stderr, "add_incident: %s\n", err.msg);
        return 0;
    }
    return inc.id;
}

/* Enqueues one effect; returns its id (0 on failure). */
static int64_t put(struct store *s, int64_t incident, const char *target, const char *key,
                   int64_t not_before)
{
    struct bot_err err = {{0}};
    struct store_effect e = {incident, "slack.call", target, "{}", key, not_before, false, false};
    int64_t id = 0;
    if (store_outbox_enqueue(s, &e, T0, &id, &err) != BOT_OK) {
        fprintf(stderr, "enqueue %s: %s\n", key, err.msg);
        return 0;
    }
    return id;
}

/* Claims for target; returns the row id, 0 when nothing, -1 on an error. */
static int64_t claim(struct store *s, const char *target, int64_t now)
{
    struct bot_err err = {{0}};
    struct store_outbox_row row;
    enum bot_rc rc = store_outbox_claim_target(s, now, target, &row, &err);
    if (rc == BOT_ENOTFOUND)
        return 0;
    if (rc != BOT_OK) {
        fprintf(stderr, "claim: %s\n", err.msg);
        return -1;
    }
    int64_t id = row.id;
    if (target != NULL && strcmp(row.target, target) != 0) {
        fprintf(stderr, "claim for %s got row %lld of %s\n", target, (long long)id, row.target);
        id = -1;
    }
    store_outbox_row_clear(&row);
    return id;
}

static const char *state_of(struct store *s, int64_t id, char *buf, size_t len)
{
    struct bot_err err = {{0}};
    struct store_outbox_row row;
    if (store_outbox_get(s, id, &row, &err) != BOT_OK)
        return "?";
    snprintf(buf, len, "%s", row.state);
    store_outbox_row_clear(&row);
    return buf;
}

static void test_claim_keeps_to_its_target(void)
{
    struct store *s = open_new();
    struct bot_err err = {{0}};
    int64_t inc = add_incident(s);
    CHECK(inc > 0);
    /* Interleaved, with the "slack" ones first, so an any-target claim would take them. */
    int64_t s1 = put(s, inc, "slack", "s1", 0), f1 = put(s, inc, "fast", "f1", 0);
    int64_t s2 = put(s, 0, "slack", "s2", 0), f2 = put(s, 0, "fast", "f2", 0);
    int64_t o1 = put(s, 0, "statuspage", "o1", 0);
    CHECK(s1 > 0 && f1 > 0 && s2 > 0 && f2 > 0 && o1 > 0);

    CHECK_INT(claim(s, "fast", T0), f1);
    CHECK_INT(claim(s, "fast", T0), f2);
    CHECK_INT(claim(s, "fast", T0), 0); /* three effects of other targets are due */
    CHECK_INT(claim(s, "slack", T0), s1);
    CHECK_INT(claim(s, "slack", T0), s2);
    CHECK_INT(claim(s, "slack", T0), 0);
    CHECK_INT(claim(s, NULL, T0), o1); /* the target-blind claim still takes anything */
    CHECK_INT(claim(s, "nosuchlane", T0), 0);
    CHECK_INT(store_outbox_done(s, f1, NULL, T0, &err), BOT_OK);
    store_close(s);
}

static void test_order_within_target_not_across(void)
{
    struct store *s = open_new();
    struct bot_err err = {{0}};
    int64_t inc = add_incident(s);
    CHECK(inc > 0);
    int64_t a = put(s, inc, "slack", "a", 0), b = put(s, inc, "slack", "b", 0);
    int64_t f = put(s, inc, "fast", "f", 0);
    CHECK(a > 0 && b > 0 && f > 0);

    CHECK_INT(claim(s, "slack", T0), a);
    /* b waits for a (same incident and target); f of the same incident does not. */
    CHECK_INT(claim(s, "slack", T0), 0);
    CHECK_INT(claim(s, "fast", T0), f);
    /* a retried later still holds b back. */
    CHECK_INT(store_outbox_retry(s, a, T0 + 60000, "busy", T0, &err), BOT_OK);
    CHECK_INT(claim(s, "slack", T0 + 1000), 0);
    CHECK_INT(claim(s, "slack", T0 + 60000), a);
    CHECK_INT(store_outbox_done(s, a, NULL, T0, &err), BOT_OK);
    CHECK_INT(claim(s, "slack", T0 + 60000), b);
    store_close(s);
}

static void test_next_due_per_target(void)
{
    struct store *s = open_new();
    struct bot_err err = {{0}};
    int64_t at = 0;
    CHECK(put(s, 0, "slack", "later", T0 + 5000) > 0);
    CHECK_INT(store_outbox_next_due_at_target(s, "fast", &at, &err), BOT_ENOTFOUND);
    CHECK(put(s, 0, "fast", "now", 0) > 0);
    CHECK_INT(store_outbox_next_due_at_target(s, "fast", &at, &err), BOT_OK);
    CHECK_INT(at, T0);
    CHECK_INT(store_outbox_next_due_at_target(s, "slack", &at, &err), BOT_OK);
    CHECK_INT(at, T0 + 5000);
    CHECK_INT(store_outbox_next_due_at(s, &at, &err), BOT_OK);
    CHECK_INT(at, T0);
    store_close(s);
}

static void test_recover_one_target(void)
{
    struct store *s = open_new();
    struct bot_err err = {{0}};
    char buf[16];
    int64_t n = -1;
    int64_t sl = put(s, 0, "slack", "sl", 0), fa = put(s, 0, "fast", "fa", 0);
    CHECK(sl > 0 && fa > 0);
    CHECK_INT(claim(s, "slack", T0), sl);
    CHECK_INT(claim(s, "fast", T0), fa);

    /* A fast drain starting now must not take the slack drain's effect from under it. */
    CHECK_INT(store_outbox_recover_target(s, "fast", &n, &err), BOT_OK);
    CHECK_INT(n, 1);
    CHECK_STR(state_of(s, fa, buf, sizeof buf), "pending");
    CHECK_STR(state_of(s, sl, buf, sizeof buf), "sending");
    CHECK_INT(store_outbox_done(s, sl, NULL, T0, &err), BOT_OK);

    CHECK_INT(claim(s, "fast", T0), fa);
    CHECK_INT(store_outbox_recover(s, &n, &err), BOT_OK); /* every target */
    CHECK_INT(n, 1);
    CHECK_STR(state_of(s, fa, buf, sizeof buf), "pending");
    store_close(s);
}

/* Enqueues a view (kind) of an incident; returns its id, 0 when merged, -1 on error. */
static int64_t put_view(struct store *s, int64_t incident, const char *kind, const char *key,
                        bool refresh)
{
    struct bot_err err = {{0}};
    struct store_effect e = {incident, kind, "slack", "{}", key, 0, true, refresh};
    int64_t id = -1;
    if (store_outbox_enqueue(s, &e, T0, &id, &err) != BOT_OK) {
        fprintf(stderr, "enqueue %s: %s\n", key, err.msg);
        return -1;
    }
    return id;
}

static int64_t put_refresh(struct store *s, int64_t incident, const char *kind, const char *key)
{
    return put_view(s, incident, kind, key, true);
}

/*
 * Refreshes coalesce: at most one pending per incident and view, a new one once the pending
 * one is being sent; and they yield in their lane to other incidents' work, while each
 * incident's own effects stay in order.
 */
static void test_refreshes_coalesce_and_yield(void)
{
    struct store *s = open_new();
    struct bot_err err = {{0}};
    char buf[32];
    int64_t a = add_incident(s), b = add_incident(s);
    int64_t r1 = put_refresh(s, a, "incident.control", "a/1");
    CHECK(r1 > 0);
    CHECK_INT(put_refresh(s, a, "incident.control", "a/2"), 0); /* merged into r1 */
    CHECK_INT(put_refresh(s, a, "incident.control", "a/3"), 0);
    int64_t t1 = put_refresh(s, a, "incident.topic", "a/4"); /* another view: its own */
    CHECK(t1 > 0);
    int64_t rb = put_refresh(s, b, "incident.control", "b/1"); /* another incident: its own */
    CHECK(rb > 0);
    struct store_outbox_counts counts;
    CHECK_INT(store_outbox_counts(s, &counts, &err), BOT_OK);
    CHECK_INT(counts.pending, 3);

    /* B's new channel goes before A's and B's refreshes, although it came later. */
    int64_t create_b = put(s, b, "slack", "b/create", 0);
    int64_t create_c = put(s, add_incident(s), "slack", "c/create", 0);
    /* B's create is held behind B's own earlier refresh: order within an incident holds. */
    CHECK_INT(claim(s, "slack", T0), create_c);
    CHECK_INT(claim(s, "slack", T0), r1); /* then the oldest refresh */
    /* r1 is being sent: the next change needs a new refresh, which merges no more into r1. */
    int64_t r2 = put_refresh(s, a, "incident.control", "a/5");
    CHECK(r2 > 0 && r2 != r1);
    CHECK_STR(state_of(s, r1, buf, sizeof(buf)), "sending");
    CHECK_INT(claim(s, "slack", T0), rb);
    CHECK_INT(store_outbox_done(s, rb, NULL, T0, &err), BOT_OK);
    CHECK_INT(claim(s, "slack", T0), create_b); /* free now, and not a refresh: first */
    CHECK_INT(claim(s, "slack", T0), 0); /* A's topic and r2 wait behind r1, in flight */
    CHECK_INT(store_outbox_done(s, r1, NULL, T0, &err), BOT_OK);
    CHECK_INT(claim(s, "slack", T0), t1);
    CHECK_INT(store_outbox_done(s, t1, NULL, T0, &err), BOT_OK);
    CHECK_INT(claim(s, "slack", T0), r2);
    /* A refresh merged by its idempotency key a second time is no error either. */
    CHECK_INT(put_refresh(s, a, "incident.control", "a/5"), 0);
    /* A first post (the view does not exist yet) merges the same way, and does not yield. */
    int64_t c = add_incident(s);
    int64_t first = put_view(s, c, "incident.announce", "c/1", false);
    CHECK(first > 0);
    CHECK_INT(put_view(s, c, "incident.announce", "c/2", false), 0);
    CHECK_INT(put_view(s, c, "incident.announce", "c/3", true), 0);
    CHECK_INT(claim(s, "slack", T0), first);
    store_close(s);
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_claim_keeps_to_its_target);
    RUN(test_order_within_target_not_across);
    RUN(test_next_due_per_target);
    RUN(test_recover_one_target);
    RUN(test_refreshes_coalesce_and_yield);
    for (int i = 1; i <= dbseq; i++) {
        const char *suffix[] = {"", "-wal", "-shm"};
        for (size_t k = 0; k < 3; k++) {
            char *p = xasprintf("%s/lanes-%d.db%s", tmpdir, i, suffix[k]);
            unlink(p);
            free(p);
        }
    }
    rmdir(tmpdir);
    return CHECK_DONE();
}
