/* atomic_file.c — write-temp, fsync, rename, fsync-directory (atomic_file.h).
 *
 * Everything is relative to one directory descriptor (openat, renameat), so
 * the temp file and the target are always in the same directory even if the
 * path is renamed meanwhile, and the directory fsynced is the one the rename
 * happened in. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/atomic_file.h"

static int fail(const struct cs_atomic_file *af, const char *file, const char *what, int e)
{
    return cs_error(CS_EIO, "%s/%s: %s: %s", af->dir, file, what, strerror(e));
}

/* closes and unlinks the temp file, keeping errno as it was */
static void drop_tmp(struct cs_atomic_file *af)
{
    int e = errno;
    if (af->fd >= 0) close(af->fd);
    af->fd = -1;
    if (af->dirfd >= 0) {
        unlinkat(af->dirfd, af->tmp, 0);
        close(af->dirfd);
    }
    af->dirfd = -1;
    errno = e;
}

int cs_atomic_open(struct cs_atomic_file *af, const char *dir, const char *name)
{
    af->fd = -1;
    af->dirfd = -1;
    af->synced = 0;
    af->dir[0] = af->name[0] = af->tmp[0] = 0;
    size_t dl = strlen(dir), nl = strlen(name);
    if (dl == 0 || dl >= sizeof af->dir)
        return cs_error(CS_EUSAGE, "atomic write: directory path of %zu bytes", dl);
    memcpy(af->dir, dir, dl + 1);
    if (nl == 0 || nl > 250 || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
        return cs_error(CS_EUSAGE, "%s: atomic write: bad file name '%.260s'", dir, name);
    memcpy(af->name, name, nl + 1);
    memcpy(af->tmp, name, nl);
    memcpy(af->tmp + nl, ".tmp", 5);
    af->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (af->dirfd < 0)
        return cs_error(CS_EIO, "%s: cannot open directory for %s: %s", dir, name, strerror(errno));
    af->fd =
        openat(af->dirfd, af->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (af->fd < 0) {
        int rc = fail(af, af->tmp, "create", errno);
        close(af->dirfd);
        af->dirfd = -1;
        return rc;
    }
    return 0;
}

int cs_atomic_write_all(struct cs_atomic_file *af, const void *data, size_t len)
{
    if (af->fd < 0)
        return cs_error(CS_EUSAGE, "%s/%s: write after commit or abort", af->dir, af->tmp);
    const char *p = data;
    while (len) {
        /* bounded chunks: Linux writes at most ~2 GiB per call anyway */
        size_t chunk = len > (1u << 30) ? (1u << 30) : len;
        ssize_t k = write(af->fd, p, chunk);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return fail(af, af->tmp, "write", errno);
        if (k == 0) return fail(af, af->tmp, "write", EIO);
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

int cs_atomic_sync(struct cs_atomic_file *af)
{
    if (af->synced) return 0;
    if (af->fd < 0)
        return cs_error(CS_EUSAGE, "%s/%s: sync after commit or abort", af->dir, af->tmp);
    int rc = 0;
    if (fsync(af->fd)) rc = fail(af, af->tmp, "fsync", errno);
    /* close reports delayed write errors on some file systems (NFS) */
    int c = close(af->fd);
    af->fd = -1;
    if (!rc && c) rc = fail(af, af->tmp, "close", errno);
    if (rc) {
        drop_tmp(af);
        return rc;
    }
    af->synced = 1;
    return 0;
}

int cs_atomic_commit(struct cs_atomic_file *af)
{
    int rc = cs_atomic_sync(af);
    if (rc) return rc;
    if (af->dirfd < 0) return cs_error(CS_EUSAGE, "%s/%s: commit after abort", af->dir, af->tmp);
    if (renameat(af->dirfd, af->tmp, af->dirfd, af->name)) {
        char what[300];
        snprintf(what, sizeof what, "rename to %s", af->name);
        rc = fail(af, af->tmp, what, errno);
        drop_tmp(af);
        return rc;
    }
    if (fsync(af->dirfd))
        rc = cs_error(CS_EIO, "%s: fsync of the directory after renaming %s to %s: %s", af->dir,
                      af->tmp, af->name, strerror(errno));
    close(af->dirfd);
    af->dirfd = -1;
    return rc;
}

void cs_atomic_abort(struct cs_atomic_file *af)
{
    if (af->fd < 0 && af->dirfd < 0) return;
    drop_tmp(af);
}

int cs_atomic_write(const char *dir, const char *name, const void *data, size_t len)
{
    struct cs_atomic_file af;
    int rc = cs_atomic_open(&af, dir, name);
    if (rc) return rc;
    if ((rc = cs_atomic_write_all(&af, data, len))) {
        cs_atomic_abort(&af);
        return rc;
    }
    return cs_atomic_commit(&af);
}

int cs_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return cs_error(CS_EIO, "%s: cannot open directory to fsync it: %s", dir, strerror(errno));
    int rc = 0;
    if (fsync(fd)) rc = cs_error(CS_EIO, "%s: fsync of the directory: %s", dir, strerror(errno));
    close(fd);
    return rc;
}
