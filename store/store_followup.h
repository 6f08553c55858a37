/*
 * Follow-up actions of an incident (plan step 9): numbered 1, 2, 3... per
 * incident in the order they were added, with an owner, a due date and who
 * closed them. Conventions (times in Unix ms, 0 = unset) are in store.h.
 */
#ifndef INCIDENTD_STORE_FOLLOWUP_H
#define INCIDENTD_STORE_FOLLOWUP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

struct store_followup {
    int64_t incident_id;
    int n; /* 1-based number within the incident */
    char *text;
    char *owner;    /* Slack user id or NULL */
    int64_t due_at; /* 0: no due date */
    char *created_by;
    int64_t created_at;
    char *done_by;
    int64_t done_at; /* 0 while open */
};

/* Frees an array of n follow-ups returned by store_followup_list(). */
void store_followup_list_free(struct store_followup *rows, size_t n);

/*
 * Adds a follow-up numbered one past the incident's highest and returns the
 * number in *n. owner and due_at (0) are optional. BOT_EINVAL for empty text
 * or at <= 0, BOT_ENOTFOUND for no such incident.
 */
enum bot_rc store_followup_add(struct store *s, int64_t incident_id, const char *text,
                               const char *owner, int64_t due_at, const char *by, int64_t at,
                               int *n, struct bot_err *err) BOT_MUST_CHECK;
/* The incident's follow-ups by number. */
enum bot_rc store_followup_list(struct store *s, int64_t incident_id, struct store_followup **rows,
                                size_t *n, struct bot_err *err) BOT_MUST_CHECK;
/*
 * Closes follow-up n. BOT_ENOTFOUND when the incident has no follow-up n,
 * BOT_ESTATE when it is already done (nothing changes).
 */
enum bot_rc store_followup_done(struct store *s, int64_t incident_id, int n, const char *by,
                                int64_t at, struct bot_err *err) BOT_MUST_CHECK;
/* How many of the incident's follow-ups are still open. */
enum bot_rc store_followup_count_open(struct store *s, int64_t incident_id, int64_t *count,
                                      struct bot_err *err) BOT_MUST_CHECK;

#endif
