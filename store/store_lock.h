/*
 * One process per database: `incidentd run` and `incidentd console` hold an
 * exclusive lock on "<database>.lock" for their whole life, so a second
 * daemon (or a console) started on the same file stops at once with the
 * first one's process id, instead of both sending every effect (SQLite's WAL
 * lets two processes write one file without complaint). The lock is
 * flock(2) on a file of its own: SQLite's POSIX locks on the database are
 * unaffected, the kernel drops it when the process ends however it ends
 * (kill -9 included), and `incidentd backup` and read-only tools still open
 * the database while the daemon runs.
 */
#ifndef INCIDENTD_STORE_LOCK_H
#define INCIDENTD_STORE_LOCK_H

#include "err.h"

struct store_lock;

/*
 * Takes the lock of the database at db_path (creating "<db_path>.lock",
 * mode 0600, and writing this process's id into it). BOT_EBUSY, naming the
 * holder's process id when it wrote one, when another process holds it;
 * BOT_EIO when the lock file cannot be created or locked.
 */
enum bot_rc store_lock_take(const char *db_path, struct store_lock **out,
                            struct bot_err *err) BOT_MUST_CHECK;
/* Releases the lock and frees l (NULL is fine); the lock file stays. */
void store_lock_release(struct store_lock *l);

#endif
