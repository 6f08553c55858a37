/*
 * Test hooks of the store, for tests/test_store.c only: build a database
 * file at an older schema version with known rows in it, and stamp a file
 * with a schema version this program does not know. They live in store/ so
 * that no SQL exists outside it; the product never calls them.
 */
#ifndef INCIDENTD_STORE_TESTING_H
#define INCIDENTD_STORE_TESTING_H

#include "err.h"

/*
 * Creates a new database at path (which must not exist) with migrations
 * 1..version applied and, after each migration k, its sample rows:
 *  1: meta seed=v1; incident 1 "Seeded checkout outage" (major, investigating,
 *     started 1700000000000, declared 1700000060000 by U0SEED, channel C0SEED
 *     inc-seed, 12 affected users, version 3); role irm U0IRM; timeline
 *     "declare" (private) and "note" "Looking at the database" (public).
 *  2: incident 1 at step 4; checklist step 1 done by U0IRM; follow-up 1
 *     "Add an alert on checkout errors" owned by U0IRM; component API
 *     (partial_outage, position 1) attached to incident 1 with that impact,
 *     one status log row; attr support.plan_ready=yes.
 *  3: inbox envelope env-seed / event Ev-seed (events_api, pending); outbox
 *     slack chat.postMessage for incident 1 with key seed-1; a postmortem_due
 *     reminder for incident 1 due 1700086400000.
 *  4: incident 1 slug seeded-checkout-outage, published at 1700000120000,
 *     Statuspage id sp-seed.
 *  5: directory users U0IRM "irm" and U0GONE "gone" (deleted), synced at
 *     1700000130000; group S0SEED = {U0IRM}, synced at 1700000140000.
 *  6: an outbox statuspage.update for incident 1 with key seed-6.
 *  7: incident 1's postmortem "Seeded postmortem", published at
 *     1700000160000 and amended at 1700000170000.
 * version 0 creates an empty database file.
 */
enum bot_rc store_testing_create(const char *path, int version, struct bot_err *err) BOT_MUST_CHECK;

/* Sets PRAGMA user_version of an existing incidentd database, e.g. to a future version. */
enum bot_rc store_testing_set_user_version(const char *path, int version,
                                           struct bot_err *err) BOT_MUST_CHECK;

#endif
