/*
 * The workspace directory: a local copy of who exists in the Slack workspace
 * (users.list) and of who belongs to a user group (usergroups.users.list),
 * so that the plan, which never calls Slack, can refuse a role for a user
 * who does not exist or was deactivated, and tell the members of
 * [roles] irm_group. Delivery's "slack" lane refreshes it (delivery.h); the
 * plan only reads it.
 *
 * Each directory ("users", or a user group id) is replaced as a whole by a
 * sync and remembers when that happened. A directory never synced is
 * unknown, not empty: callers look at store_directory_synced_at() before
 * reading absence as "does not exist". Conventions (times in Unix ms, owned
 * strings, return codes) are in store.h.
 */
#ifndef INCIDENTD_STORE_DIRECTORY_H
#define INCIDENTD_STORE_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

#define STORE_DIRECTORY_USERS    "users"        /* the directory name of the user list */
#define STORE_DIRECTORY_ID_MAX   64             /* longest user or group id, bytes */
#define STORE_DIRECTORY_NAME_MAX 256            /* longest user name, bytes */
#define STORE_DIRECTORY_MAX      STORE_LIST_MAX /* most users, or members of one group */

/* One user of the workspace, as users.list describes it. */
struct store_directory_user {
    char *user_id;      /* U... or W...; never NULL in a row the store filled */
    char *name;         /* Slack's handle ("alice"), or NULL */
    bool deleted;       /* deactivated */
    bool is_bot;        /* a bot user (Slackbot included) */
    bool is_guest;      /* a single- or multi-channel guest */
    int64_t updated_at; /* when a sync last saw this row change; ignored on input */
};

/* Frees the strings of a row the store filled and zeroes it. */
void store_directory_user_clear(struct store_directory_user *u);

/*
 * Makes users[0..n) the whole user directory and records now as its sync
 * time, atomically (a transaction of its own, or a savepoint inside the
 * caller's). Users not in the list are removed; rows that did not change
 * are not written (their updated_at stays); a user listed twice takes its
 * last entry. The array and its strings are only read. BOT_EINVAL for an
 * empty or over-long id or name (nothing changed), now <= 0, or users NULL
 * with n > 0; BOT_ETOOBIG for n > STORE_DIRECTORY_MAX.
 */
enum bot_rc store_directory_replace_users(struct store *s, const struct store_directory_user *users,
                                          size_t n, int64_t now,
                                          struct bot_err *err) BOT_MUST_CHECK;

/*
 * Makes user_ids[0..n) the whole membership of group_id and records now as
 * that group's sync time, atomically; duplicates count once, n may be 0 (an
 * empty group). The ids are only read. BOT_EINVAL for an empty or over-long
 * id, a group_id equal to STORE_DIRECTORY_USERS, or now <= 0; BOT_ETOOBIG
 * for n > STORE_DIRECTORY_MAX.
 */
enum bot_rc store_directory_replace_group(struct store *s, const char *group_id,
                                          const char *const *user_ids, size_t n, int64_t now,
                                          struct bot_err *err) BOT_MUST_CHECK;

/*
 * Fills *out (zeroed first; release with store_directory_user_clear()) with
 * user_id's row. BOT_ENOTFOUND when the directory does not know the user:
 * whether that means "no such user" depends on the directory having been
 * synced at all (store_directory_synced_at()). BOT_EINVAL for an empty or
 * over-long id.
 */
enum bot_rc store_directory_user(struct store *s, const char *user_id,
                                 struct store_directory_user *out,
                                 struct bot_err *err) BOT_MUST_CHECK;

/*
 * *at is when directory (STORE_DIRECTORY_USERS or a user group id) was last
 * replaced. BOT_ENOTFOUND (and *at 0) when it never was.
 */
enum bot_rc store_directory_synced_at(struct store *s, const char *directory, int64_t *at,
                                      struct bot_err *err) BOT_MUST_CHECK;

/*
 * *member says whether user_id is in group_id as last synced. BOT_ENOTFOUND
 * (and *member false) when the group was never synced, so "unknown" is never
 * mistaken for "not a member". BOT_EINVAL for an empty or over-long id, or a
 * group_id equal to STORE_DIRECTORY_USERS.
 */
enum bot_rc store_directory_in_group(struct store *s, const char *group_id, const char *user_id,
                                     bool *member, struct bot_err *err) BOT_MUST_CHECK;

#endif
