/*
 * The daemon's lock on its database (see store_lock.h): flock(LOCK_EX |
 * LOCK_NB) on "<database>.lock", which then holds the holder's pid as text.
 * The file is truncated and written only after the lock is ours, so a
 * refused second process reads the first one's pid, never half of its own.
 */
#include "store_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "xmalloc.h"

struct store_lock {
    int fd;
};

/* The pid written in the lock file, 0 when it holds none. */
static long holder_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end;
    long pid = strtol(buf, &end, 10);
    return pid > 0 && (*end == '\n' || *end == '\0') ? pid : 0;
}

enum bot_rc store_lock_take(const char *db_path, struct store_lock **out, struct bot_err *err)
{
    *out = NULL;
    if (db_path == NULL || db_path[0] == '\0')
        return bot_err_set(err, BOT_EINVAL, "database lock: no database path");
    char *path = xasprintf("%s.lock", db_path);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        enum bot_rc rc = bot_err_set(err, BOT_EIO, "cannot open the database's lock file %s: %s",
                                     path, strerror(errno));
        free(path);
        return rc;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        long pid = holder_pid(fd);
        enum bot_rc rc;
        if (e == EWOULDBLOCK && pid > 0)
            rc = bot_err_set(err, BOT_EBUSY, "database %s is in use by another incidentd "
                             "(process %ld, lock %s); one process per database", db_path, pid,
                             path);
        else if (e == EWOULDBLOCK)
            rc = bot_err_set(err, BOT_EBUSY, "database %s is in use by another incidentd "
                             "(lock %s); one process per database", db_path, path);
        else
            rc = bot_err_set(err, BOT_EIO, "cannot lock %s: %s", path, strerror(e));
        close(fd);
        free(path);
        return rc;
    }
    char pid[32];
    int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        enum bot_rc rc = bot_err_set(err, BOT_EIO, "cannot write %s: %s", path, strerror(errno));
        close(fd);
        free(path);
        return rc;
    }
    free(path);
    struct store_lock *l = xcalloc(1, sizeof(*l));
    l->fd = fd;
    *out = l;
    return BOT_OK;
}

void store_lock_release(struct store_lock *l)
{
    if (l == NULL)
        return;
    if (ftruncate(l->fd, 0) != 0) { /* no stale pid for the next reader; harmless if kept */
    }
    close(l->fd);
    free(l);
}
