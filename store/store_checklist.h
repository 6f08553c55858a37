/*
 * The nine steps of the incident response plan (PLAN.md) as a checklist per
 * incident: which step was done or skipped, by whom and when. The step
 * pointer itself is a field of the incident (store_incident.h); skipping
 * ahead is recorded here as skipped steps.
 */
#ifndef INCIDENTD_STORE_CHECKLIST_H
#define INCIDENTD_STORE_CHECKLIST_H

#include <stdint.h>

#include "err.h"
#include "store.h"

#define STORE_CHECKLIST_STEPS 9

struct store_checklist_item {
    int step;        /* 1..9 */
    int done;        /* 0/1: done or skipped */
    int skipped;     /* 0/1: passed over rather than done */
    char *done_by;   /* who did or skipped it; owned */
    int64_t done_at; /* 0 while open */
};

/*
 * Marks step (1..9) done by `by` at `at`, replacing an earlier mark or skip.
 * BOT_EINVAL for a step outside 1..9 or at <= 0, BOT_ENOTFOUND for no such incident.
 */
enum bot_rc store_checklist_mark(struct store *s, int64_t incident_id, int step, const char *by,
                                 int64_t at, struct bot_err *err) BOT_MUST_CHECK;
/* Like store_checklist_mark() but records the step as skipped. */
enum bot_rc store_checklist_skip(struct store *s, int64_t incident_id, int step, const char *by,
                                 int64_t at, struct bot_err *err) BOT_MUST_CHECK;
/* Opens the step again (undoes a mark or skip); BOT_ENOTFOUND when it was open. */
enum bot_rc store_checklist_reopen(struct store *s, int64_t incident_id, int step,
                                   struct bot_err *err) BOT_MUST_CHECK;
/*
 * Fills items[0..8] for steps 1..9, open steps included (done = 0). The
 * strings are the caller's: release with store_checklist_clear(), which is
 * also safe after an error.
 */
enum bot_rc store_checklist_get(struct store *s, int64_t incident_id,
                                struct store_checklist_item items[STORE_CHECKLIST_STEPS],
                                struct bot_err *err) BOT_MUST_CHECK;
void store_checklist_clear(struct store_checklist_item items[STORE_CHECKLIST_STEPS]);

#endif
