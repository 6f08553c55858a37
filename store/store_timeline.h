/*
 * The incident's record: every action (declare, role change, severity or
 * status change, note, publish, reminder) as one timeline entry with actor
 * and time. Entries marked public are the incident's public updates on the
 * status page; each carries the status the incident had when it was written.
 * Conventions (times in Unix ms, owned strings) are in store.h.
 */
#ifndef INCIDENTD_STORE_TIMELINE_H
#define INCIDENTD_STORE_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

struct store_timeline_entry {
    int64_t id; /* assigned by append */
    int64_t incident_id;
    int64_t at;   /* required, > 0 */
    char *actor;  /* Slack user id, or NULL for the bot itself */
    char *kind;   /* required: "declare", "note", "status", "severity", ... */
    char *text;   /* NULL stored as "" */
    int public;   /* 0/1: shown on the status page as an update */
    char *status; /* the incident's status at that moment, or NULL */
};

/* Frees an array of n entries returned by store_timeline_list(). */
void store_timeline_list_free(struct store_timeline_entry *rows, size_t n);

/*
 * Appends e (its id is ignored) and sets e->id. The store only reads the
 * strings. BOT_ENOTFOUND when the incident does not exist, BOT_EINVAL for a
 * missing kind, at <= 0 or an unknown status.
 */
enum bot_rc store_timeline_append(struct store *s, struct store_timeline_entry *e,
                                  struct bot_err *err) BOT_MUST_CHECK;
/*
 * The incident's entries in time order (ties by id); only the public ones
 * when public_only is set. *rows is NULL when there are none.
 */
enum bot_rc store_timeline_list(struct store *s, int64_t incident_id, int public_only,
                                struct store_timeline_entry **rows, size_t *n,
                                struct bot_err *err) BOT_MUST_CHECK;

#endif
