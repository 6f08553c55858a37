/*
 * Reminders that survive restarts: "IRM not claimed after N minutes", "no
 * public update for N minutes", the postmortem deadline, the breach clock.
 * The scheduler reads the due ones and, in one transaction, marks each done
 * and enqueues its effect, so a reminder that fell due while the bot was down
 * is sent once on start: not lost, not repeated. States: pending -> done |
 * cancelled. Times are Unix ms (store.h).
 */
#ifndef INCIDENTD_STORE_REMINDER_H
#define INCIDENTD_STORE_REMINDER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

struct store_reminder {
    int64_t id;
    int64_t incident_id; /* 0 when none */
    char *kind;          /* e.g. "irm_unclaimed", "postmortem_due", "breach_clock" */
    int64_t due_at;
    char *state;   /* "pending" | "done" | "cancelled" */
    char *payload; /* JSON text, "{}" by default */
    int64_t created_at;
    int64_t done_at; /* when done or cancelled */
};

void store_reminder_list_free(struct store_reminder *rows, size_t n);

/*
 * Schedules a reminder (incident_id 0 for none, payload NULL for "{}");
 * *id may be NULL. BOT_ENOTFOUND for an unknown incident, BOT_EINVAL for an
 * empty kind or due_at <= 0.
 */
enum bot_rc store_reminder_add(struct store *s, int64_t incident_id, const char *kind,
                               int64_t due_at, const char *payload, int64_t now, int64_t *id,
                               struct bot_err *err) BOT_MUST_CHECK;
/* Pending reminders due at or before now, earliest first, at most limit (1..STORE_LIST_MAX). */
enum bot_rc store_reminder_due(struct store *s, int64_t now, size_t limit,
                               struct store_reminder **rows, size_t *n,
                               struct bot_err *err) BOT_MUST_CHECK;
/* pending -> done. BOT_ESTATE when it is not pending (already sent or cancelled). */
enum bot_rc store_reminder_done(struct store *s, int64_t id, int64_t now,
                                struct bot_err *err) BOT_MUST_CHECK;
/*
 * Cancels the incident's pending reminders of kind (every kind when kind is
 * NULL); *cancelled (may be NULL) counts them. Cancelling none is not an error.
 */
enum bot_rc store_reminder_cancel(struct store *s, int64_t incident_id, const char *kind,
                                  int64_t now, int64_t *cancelled,
                                  struct bot_err *err) BOT_MUST_CHECK;
/* The earliest pending due time; BOT_ENOTFOUND when nothing is pending. */
enum bot_rc store_reminder_next_due_at(struct store *s, int64_t *at,
                                       struct bot_err *err) BOT_MUST_CHECK;
/* The incident's pending reminders, earliest first. */
enum bot_rc store_reminder_list(struct store *s, int64_t incident_id, struct store_reminder **rows,
                                size_t *n, struct bot_err *err) BOT_MUST_CHECK;

#endif
