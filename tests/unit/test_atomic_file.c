/* test_atomic_file.c — util/atomic_file: the target is replaced as a whole,
 * the temp file is gone after a success and after every injected failure
 * (file fsync, directory fsync, rename, a bad name), the target keeps its old
 * contents when the failure comes before the rename, and every message names
 * the file.
 *
 * Failures are injected by defining fsync() here: the executable's definition
 * takes the place of libc's for the library objects linked into it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/atomic_file.h"

static int fail_file_fsync, fail_dir_fsync, fsync_calls;

int fsync(int fd)
{
    struct stat st;
    fsync_calls++;
    if (fstat(fd, &st) == 0) {
        if ((S_ISDIR(st.st_mode) && fail_dir_fsync) || (S_ISREG(st.st_mode) && fail_file_fsync)) {
            errno = EIO;
            return -1;
        }
    }
    return (int)syscall(SYS_fsync, fd);
}

static char dir[256];

static int setup(void **st)
{
    (void)st;
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/cs-atomic.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(dir)) return -1;
    fail_file_fsync = fail_dir_fsync = fsync_calls = 0;
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *name)
{
    static char buf[4096];
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

static int exists(const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static void test_write_replaces(void **st)
{
    (void)st;
    assert_int_equal(cs_atomic_write(dir, "STATE", "first\n", 6), 0);
    assert_string_equal(slurp("STATE"), "first\n");
    assert_int_equal(cs_atomic_write(dir, "STATE", "second, longer\n", 15), 0);
    assert_string_equal(slurp("STATE"), "second, longer\n");
    assert_int_equal(cs_atomic_write(dir, "STATE", "x", 1), 0); /* shorter: no old tail */
    assert_string_equal(slurp("STATE"), "x");
    assert_false(exists("STATE.tmp"));
    /* file fsync and directory fsync of each commit */
    assert_int_equal(fsync_calls, 6);
}

static void test_streaming(void **st)
{
    (void)st;
    struct cs_atomic_file af;
    assert_int_equal(cs_atomic_write(dir, "col", "old", 3), 0);
    assert_int_equal(cs_atomic_open(&af, dir, "col"), 0);
    assert_true(exists("col.tmp"));
    assert_int_equal(cs_atomic_write_all(&af, "ab", 2), 0);
    assert_int_equal(write(af.fd, "cd", 2), 2); /* the fd is the caller's to use */
    assert_int_equal(cs_atomic_write_all(&af, "ef", 2), 0);
    assert_string_equal(slurp("col"), "old"); /* nothing visible before commit */
    assert_int_equal(cs_atomic_sync(&af), 0);
    assert_string_equal(slurp("col"), "old");
    assert_int_equal(cs_atomic_commit(&af), 0);
    assert_string_equal(slurp("col"), "abcdef");
    assert_false(exists("col.tmp"));
    cs_atomic_abort(&af); /* finished: a no-op, the new file stays */
    assert_string_equal(slurp("col"), "abcdef");

    assert_int_equal(cs_atomic_open(&af, dir, "col"), 0);
    assert_int_equal(cs_atomic_write_all(&af, "zzz", 3), 0);
    cs_atomic_abort(&af);
    assert_false(exists("col.tmp"));
    assert_string_equal(slurp("col"), "abcdef");
}

static void test_file_fsync_fails(void **st)
{
    (void)st;
    assert_int_equal(cs_atomic_write(dir, "MANIFEST", "v1", 2), 0);
    fail_file_fsync = 1;
    assert_int_equal(cs_atomic_write(dir, "MANIFEST", "v2", 2), CS_EIO);
    char want[400];
    snprintf(want, sizeof want, "%s/MANIFEST.tmp: fsync: %s", dir, strerror(EIO));
    assert_string_equal(cs_errmsg(), want);
    assert_false(exists("MANIFEST.tmp"));
    assert_string_equal(slurp("MANIFEST"), "v1");
}

static void test_dir_fsync_fails(void **st)
{
    (void)st;
    fail_dir_fsync = 1;
    assert_int_equal(cs_atomic_write(dir, "MANIFEST", "v1", 2), CS_EIO);
    char want[500];
    snprintf(want, sizeof want,
             "%s: fsync of the directory after renaming MANIFEST.tmp to MANIFEST: %s", dir,
             strerror(EIO));
    assert_string_equal(cs_errmsg(), want);
    assert_false(exists("MANIFEST.tmp"));
    assert_int_equal(cs_fsync_dir(dir), CS_EIO);
    snprintf(want, sizeof want, "%s: fsync of the directory: %s", dir, strerror(EIO));
    assert_string_equal(cs_errmsg(), want);
    fail_dir_fsync = 0;
    assert_int_equal(cs_fsync_dir(dir), 0);
}

static void test_rename_fails(void **st)
{
    (void)st;
    /* a non-empty directory in the target's place: rename(2) refuses */
    char p[512];
    snprintf(p, sizeof p, "%s/tags.tsv", dir);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/tags.tsv/keep", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(cs_atomic_write(dir, "tags.tsv", "row\n", 4), CS_EIO);
    char want[400];
    snprintf(want, sizeof want, "%s/tags.tsv.tmp: rename to tags.tsv: ", dir);
    assert_memory_equal(cs_errmsg(), want, strlen(want));
    assert_false(exists("tags.tsv.tmp"));
    assert_true(exists("tags.tsv/keep"));
}

static void test_bad_arguments(void **st)
{
    (void)st;
    struct cs_atomic_file af;
    assert_int_equal(cs_atomic_open(&af, dir, "a/b"), CS_EUSAGE);
    assert_non_null(strstr(cs_errmsg(), "bad file name 'a/b'"));
    cs_atomic_abort(&af); /* after a failed open: a no-op */
    assert_int_equal(cs_atomic_open(&af, dir, ""), CS_EUSAGE);
    char p[512];
    snprintf(p, sizeof p, "%s/missing", dir);
    assert_int_equal(cs_atomic_write(p, "x", "1", 1), CS_EIO);
    char want[600];
    snprintf(want, sizeof want, "%s: cannot open directory for x: %s", p, strerror(ENOENT));
    assert_string_equal(cs_errmsg(), want);
    /* a leftover temp file from a crash is overwritten, not appended to */
    snprintf(p, sizeof p, "%s/STATE.tmp", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("stale leftover of a crashed writer\n", f);
    fclose(f);
    assert_int_equal(cs_atomic_write(dir, "STATE", "new", 3), 0);
    assert_string_equal(slurp("STATE"), "new");
    assert_false(exists("STATE.tmp"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streaming, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_fsync_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dir_fsync_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
