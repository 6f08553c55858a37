/*
 * Online backup of incidentd's database to a single file, safe while the
 * daemon runs and writes (WAL mode): SQLite's backup API copies one
 * consistent snapshot through a connection of its own that only reads, so
 * the daemon's writers are never blocked.
 * The copy is made under a temporary name beside the destination, turned
 * into a self-contained rollback-journal database, verified
 * (PRAGMA integrity_check, incidentd's application_id), fsynced and only
 * then renamed over the destination, so the destination is either the old
 * file or a complete, checked backup, never a partial one.
 */
#ifndef INCIDENTD_STORE_BACKUP_H
#define INCIDENTD_STORE_BACKUP_H

#include <stdint.h>

#include "err.h"

#define STORE_BACKUP_BUSY_MS 10000 /* how long to wait for the source when SQLite says busy */

struct store_backup_info {
    int schema_version; /* PRAGMA user_version of the copy */
    int64_t pages;      /* page count of the copy */
    int64_t bytes;      /* its size in bytes (pages * page size) */
};

/*
 * Copies the incidentd database at src_path to dest_path (created with mode
 * 0600, as the temporary file was; an existing file is replaced atomically).
 * src_path is only read: its migrations are left to `incidentd run` (when
 * nobody else has it open, SQLite folds its WAL into the file at close, as
 * the daemon does when it stops, and removes the -wal and -shm files). Errors, each naming the
 * file, with dest_path left as it was and no temporary file behind:
 * - src_path is missing, unreadable, not an SQLite database or not one of
 *   incidentd's (application_id): BOT_EIO / BOT_EDB;
 * - the caller is root and src_path belongs to another user: BOT_EPERM
 *   (SQLite's -wal/-shm files would become root's; run as the owner);
 * - dest_path is empty, a directory, the source itself or its -wal, -shm or
 *   -journal file, or its directory is
 *   missing or not writable: BOT_EINVAL / BOT_EIO;
 * - the source stayed locked for STORE_BACKUP_BUSY_MS: BOT_EBUSY;
 * - the copy fails its integrity check: BOT_EDB;
 * - writing, fsync or rename fails (e.g. disk full): BOT_EIO.
 * info may be NULL; on success it describes the copy.
 */
enum bot_rc store_backup(const char *src_path, const char *dest_path,
                         struct store_backup_info *info, struct bot_err *err) BOT_MUST_CHECK;

#endif
