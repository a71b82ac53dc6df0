/* atomic_file.h — replace a file so that a crash leaves either the old or the
 * new contents, never a mixture, and report every failure on the way.
 *
 * The protocol: create NAME.tmp in the target's directory (same file system,
 * so the rename is atomic), write it, fsync it, close it (a close error is an
 * error), rename it over NAME, fsync the directory (a failed directory fsync
 * is an error: the rename is not durable).  On any failure before the rename
 * the temp file is removed and the target is untouched.
 *
 * The temp name is fixed (NAME.tmp, opened with O_TRUNC): a leftover from a
 * crash is simply overwritten by the next writer.  So only one writer per
 * target at a time; every caller in chainsleuth already holds its writer lock
 * (store LOCK, cluster lock, tags lock).
 *
 * Two ways to use it:
 *   one shot:   cs_atomic_write(dir, "MANIFEST", buf, len);
 *   streaming:  struct cs_atomic_file af;
 *               cs_atomic_open(&af, dir, "tags.tsv");
 *               ... cs_atomic_write_all(&af, p, n) or write/ftruncate/mmap af.fd ...
 *               cs_atomic_commit(&af);      (or cs_atomic_abort(&af) to give up)
 * Between open and commit/abort the caller may use af.fd directly (write,
 * pwrite, ftruncate, mmap); it must not close it.
 *
 * Error messages name the file ("DIR/NAME.tmp: write: No space left on
 * device", "DIR: fsync of the directory after renaming NAME.tmp: ...").
 * Cost: two fsyncs (file and directory) per commit. */
#ifndef CS_UTIL_ATOMIC_FILE_H
#define CS_UTIL_ATOMIC_FILE_H

#include <stddef.h>

#include "util/error.h"

#define CS_ATOMIC_PATH_MAX 4096

struct cs_atomic_file {
    int fd;    /* the temp file, open O_WRONLY; -1 once synced, committed or aborted */
    int dirfd; /* the target's directory; -1 once committed or aborted */
    int synced;
    char dir[CS_ATOMIC_PATH_MAX]; /* as given, for messages */
    char name[256];               /* NAME */
    char tmp[256 + 4];            /* NAME.tmp */
};

/* Opens dir (a directory path) and creates dir/NAME.tmp (mode 0644, O_TRUNC,
 * O_CLOEXEC, O_NOFOLLOW).  name is one path component (no '/'), at most 250
 * bytes.  Returns 0; CS_EUSAGE for a bad name or a dir longer than
 * CS_ATOMIC_PATH_MAX; CS_EIO when the directory or the file cannot be opened.
 * On failure nothing is left open and no temp file exists. */
int cs_atomic_open(struct cs_atomic_file *af, const char *dir, const char *name) CS_MUST_CHECK;

/* Writes all len bytes at the current offset of the temp file (retrying short
 * writes and EINTR).  Returns 0 or CS_EIO (the temp file stays; call abort). */
int cs_atomic_write_all(struct cs_atomic_file *af, const void *data, size_t len) CS_MUST_CHECK;

/* fsyncs and closes the temp file without renaming it: the new contents are
 * durable under NAME.tmp, ready for a later cs_atomic_commit (e.g. inside a
 * short critical section).  Returns 0 or CS_EIO; on failure the temp file is
 * removed and af is finished (abort is then a no-op). */
int cs_atomic_sync(struct cs_atomic_file *af) CS_MUST_CHECK;

/* sync (if not done yet), rename NAME.tmp over NAME, fsync the directory.
 * Returns 0 or CS_EIO.  On failure before the rename the temp file is
 * removed and NAME is unchanged; if only the directory fsync fails, NAME
 * already has the new contents but they may not survive a crash, and
 * CS_EIO is returned all the same.  af is finished either way. */
int cs_atomic_commit(struct cs_atomic_file *af) CS_MUST_CHECK;

/* Closes and removes the temp file; NAME is untouched.  Safe to call on a
 * finished af (does nothing) and on one zeroed and then set up by a failed
 * cs_atomic_open. */
void cs_atomic_abort(struct cs_atomic_file *af);

/* One shot: open, write_all, commit.  Returns 0 or the first error. */
int cs_atomic_write(const char *dir, const char *name, const void *data, size_t len) CS_MUST_CHECK;

/* fsyncs a directory (after creating, renaming or removing entries in it).
 * Returns 0 or CS_EIO naming dir. */
int cs_fsync_dir(const char *dir) CS_MUST_CHECK;

#endif
