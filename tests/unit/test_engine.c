/* test_engine.c — the chain-neutral engine (store/engine.h) under a schema
 * that is not Bitcoin's: an account-style chain with a 20-byte-address
 * column, a 40-byte transfer column (u256-sized amounts), one in-place
 * balance-pointer column and one hash index.  Nothing here includes btc/.
 *
 * Covers: create, append, commit, reopen as reader (MANIFEST body returned
 * unchanged, sums loaded), a flipped byte found by the full and sampled
 * checks naming the file and byte range, a second writer refused naming the
 * holder's pid, an index rebuilt and found, and a rollback with a reader
 * open: the reader's bytes stay, the writer's copy is cut, and the copy is
 * counted. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/engine.h"
#include "util/hash.h"

enum { C_ADDR, C_XFER, C_HEAD, NCOLS };
static const struct cs_colspec SPEC[NCOLS] = {
    [C_ADDR] = {"acct.col", 20, 1},
    [C_XFER] = {"xfer.col", 40, 1},
    [C_HEAD] = {"head.col", 8, 0},
};
static const char *const IDX[] = {"acct.idx"};

static void tmpdir(char *d, size_t cap, const char *tag)
{
    snprintf(d, cap, "/tmp/cs-test-engine-%s.%d", tag, (int)getpid());
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
}

static void rmdir_r(const char *d)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
}

/* Writes n accounts and 3n transfers with values derived from their row. */
static void fill(struct cs_engine *e, uint64_t from, uint64_t n, uint64_t *rows)
{
    assert_int_equal(cs_engine_reserve(e, C_ADDR, from + n), 0);
    assert_int_equal(cs_engine_reserve(e, C_HEAD, from + n), 0);
    assert_int_equal(cs_engine_reserve(e, C_XFER, 3 * (from + n)), 0);
    for (uint64_t r = from; r < from + n; r++) {
        uint8_t *a = cs_engine_row(e, C_ADDR, r);
        for (int i = 0; i < 20; i++)
            a[i] = (uint8_t)(r * 7 + (uint64_t)i + 1);
        memcpy(cs_engine_row(e, C_HEAD, r), &r, 8);
        for (int k = 0; k < 3; k++) {
            uint8_t *x = cs_engine_row(e, C_XFER, 3 * r + (uint64_t)k);
            memset(x, (int)(r + (uint64_t)k + 1), 40);
        }
    }
    rows[C_ADDR] = rows[C_HEAD] = from + n;
    rows[C_XFER] = 3 * (from + n);
}

static void test_commit_reopen_verify(void **st)
{
    (void)st;
    char d[300], buf[4096];
    tmpdir(d, sizeof d, "a");
    struct cs_engine w, r, w2;
    uint64_t rows[NCOLS] = {0};
    assert_int_equal(cs_engine_open(&w, d, "acct", 1, SPEC, NCOLS, IDX, 1), 0);
    assert_int_equal(cs_engine_manifest_read(&w, buf, sizeof buf), CS_ENOTFOUND);
    assert_int_equal(cs_engine_open_cols(&w, rows), 0);
    assert_int_equal(cs_engine_idx_open(&w, 0, 1024, 1), 0);
    /* 60,000 transfers of 40 B: 2.3 MiB, so two full chunks and a tail */
    fill(&w, 0, 20000, rows);
    const char body[] = "acct-store 1\nrows 20000\n";
    assert_int_equal(cs_engine_commit(&w, rows, body, sizeof body - 1), 0);
    assert_int_equal(w.sum[C_XFER].n, 2);

    /* a second writer is refused with the holder's pid */
    assert_int_equal(cs_engine_open(&w2, d, "acct", 1, SPEC, NCOLS, IDX, 1), CS_ELOCKED);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %d", (int)getpid());
    assert_non_null(strstr(cs_errmsg(), pid));
    cs_engine_close(&w2, NULL);

    assert_int_equal(cs_engine_open(&r, d, "acct", 0, SPEC, NCOLS, IDX, 1), 0);
    assert_int_equal(cs_engine_manifest_read(&r, buf, sizeof buf), 0);
    assert_int_equal(strncmp(buf, body, sizeof body - 1), 0);
    assert_non_null(strstr(buf, "sum xfer.col 2 "));
    assert_null(strstr(buf, "sum head.col")); /* in-place: not checksummed */
    assert_int_equal(r.sums_seen, 2);
    assert_int_equal(cs_engine_open_cols(&r, rows), 0);
    assert_int_equal(cs_engine_idx_open(&r, 0, 0, 0), 0);
    cs_engine_open_done(&r);
    uint64_t rng = 1;
    assert_int_equal(cs_engine_check_sums(&r, rows, -1, &rng), 0);
    uint8_t h1[32], h2[32];
    cs_engine_col_sha256(&r, C_XFER, rows[C_XFER], h1);
    cs_sha256(cs_engine_row(&w, C_XFER, 0), (size_t)rows[C_XFER] * 40, h2);
    assert_memory_equal(h1, h2, 32);
    cs_engine_close(&r, NULL);

    /* one flipped byte in the second full chunk of xfer.col */
    char p[400];
    snprintf(p, sizeof p, "%s/acct/xfer.col", d);
    int fd = open(p, O_RDWR);
    assert_true(fd >= 0);
    uint8_t b;
    off_t off = (off_t)(1u << 20) + 12345;
    assert_int_equal(pread(fd, &b, 1, off), 1);
    b ^= 0x40;
    assert_int_equal(pwrite(fd, &b, 1, off), 1);
    close(fd);
    assert_int_equal(cs_engine_open(&r, d, "acct", 0, SPEC, NCOLS, IDX, 1), 0);
    assert_int_equal(cs_engine_manifest_read(&r, buf, sizeof buf), 0);
    assert_int_equal(cs_engine_open_cols(&r, rows), 0);
    assert_int_equal(cs_engine_check_sums(&r, rows, -1, &rng), CS_ECORRUPT);
    assert_non_null(strstr(cs_errmsg(), "acct/xfer.col: bytes 1048576-2097152"));
    assert_int_equal(cs_engine_check_chunk(&r, C_XFER, 0, rows[C_XFER]), 0);
    assert_int_equal(cs_engine_check_chunk(&r, C_ADDR, 0, rows[C_ADDR]), 0);
    cs_engine_close(&r, NULL);
    cs_engine_close(&w, rows);
    rmdir_r(d);
}

static void test_index_and_manifest_errors(void **st)
{
    (void)st;
    char d[300], buf[4096];
    tmpdir(d, sizeof d, "b");
    struct cs_engine w, r;
    uint64_t rows[NCOLS] = {0};
    assert_int_equal(cs_engine_open(&w, d, "acct", 1, SPEC, NCOLS, IDX, 1), 0);
    assert_int_equal(cs_engine_open_cols(&w, rows), 0);
    assert_int_equal(cs_engine_idx_open(&w, 0, 1024, 1), 0);
    fill(&w, 0, 3000, rows);
    /* rebuild into 8,192 slots: every account found by its first 8 bytes */
    struct cs_hidx nx;
    assert_int_equal(cs_engine_idx_create_tmp(&w, 0, 8192, &nx), 0);
    for (uint64_t a = 0; a < rows[C_ADDR]; a++) {
        uint64_t home;
        memcpy(&home, cs_engine_row(&w, C_ADDR, a), 8);
        cs_hidx_put(&nx, home, (uint32_t)(home >> 40), a, a);
    }
    assert_int_equal(cs_engine_idx_replace(&w, 0, &nx), 0);
    assert_int_equal(w.idx[0].cap, 8192);
    uint64_t found = 0;
    for (uint64_t a = 0; a < rows[C_ADDR]; a++) {
        uint64_t home, i;
        memcpy(&home, cs_engine_row(&w, C_ADDR, a), 8);
        for (i = home & 8191; w.idx[0].slots[2 * i + 1]; i = (i + 1) & 8191)
            if (w.idx[0].slots[2 * i + 1] == a + 1) {
                found++;
                break;
            }
    }
    assert_int_equal(found, 3000);
    assert_int_equal(cs_engine_commit(&w, rows, "x 1\n", 4), 0);
    cs_engine_close(&w, rows);

    /* a MANIFEST whose checksum does not match is refused, naming it */
    char p[400];
    snprintf(p, sizeof p, "%s/acct/MANIFEST", d);
    FILE *f = fopen(p, "r+");
    assert_non_null(f);
    fputc('y', f);
    fclose(f);
    assert_int_equal(cs_engine_open(&r, d, "acct", 0, SPEC, NCOLS, IDX, 1), 0);
    assert_int_equal(cs_engine_manifest_read(&r, buf, sizeof buf), CS_ECORRUPT);
    assert_non_null(strstr(cs_errmsg(), "acct/MANIFEST: checksum mismatch"));
    cs_engine_close(&r, NULL);
    rmdir_r(d);
}

static void test_rollback_with_reader(void **st)
{
    (void)st;
    char d[300], buf[4096];
    tmpdir(d, sizeof d, "c");
    struct cs_engine w, r;
    uint64_t rows[NCOLS] = {0}, rrows[NCOLS];
    assert_int_equal(cs_engine_open(&w, d, "acct", 1, SPEC, NCOLS, IDX, 1), 0);
    assert_int_equal(cs_engine_open_cols(&w, rows), 0);
    assert_int_equal(cs_engine_idx_open(&w, 0, 1024, 1), 0);
    fill(&w, 0, 500, rows);
    assert_int_equal(cs_engine_commit(&w, rows, "n 500\n", 6), 0);

    /* no reader: the rollback copies nothing */
    assert_int_equal(cs_engine_rollback_begin(&w, rows), 0);
    cs_engine_rollback_end(&w);
    assert_int_equal(w.cow_rollbacks, 0);

    memcpy(rrows, rows, sizeof rows);
    assert_int_equal(cs_engine_open(&r, d, "acct", 0, SPEC, NCOLS, IDX, 1), 0);
    assert_int_equal(cs_engine_manifest_read(&r, buf, sizeof buf), 0);
    assert_int_equal(cs_engine_open_cols(&r, rrows), 0);
    assert_int_equal(cs_engine_idx_open(&r, 0, 0, 0), 0);
    cs_engine_open_done(&r);
    uint8_t before[NCOLS][32], after[32];
    for (int c = 0; c < NCOLS; c++)
        cs_engine_col_sha256(&r, c, rrows[c], before[c]);

    /* rollback to 200 accounts with the reader open, then a new branch */
    assert_int_equal(cs_engine_rollback_begin(&w, rows), 0);
    assert_int_equal(w.cow_rollbacks, 1);
    /* the committed bytes of each column and the whole index file; nothing
     * where the filesystem shares extents (FICLONE) */
    assert_true(w.cow_bytes == 500 * 20 + 1500 * 40 + 500 * 8 + (64 + 1024 * 8) ||
                w.cow_bytes == 0);
    cs_engine_zero_rows(&w, C_ADDR, 200, 500);
    cs_engine_zero_rows(&w, C_HEAD, 200, 500);
    cs_engine_zero_rows(&w, C_XFER, 600, 1500);
    uint64_t keep[NCOLS] = {200, 600, 200};
    assert_int_equal(cs_engine_commit(&w, keep, "n 200\n", 6), 0);
    cs_engine_rollback_end(&w);
    assert_int_equal(cs_engine_tail_rows(&w, C_ADDR, 200), 0);
    uint64_t grown[NCOLS];
    fill(&w, 200, 400, grown);
    for (uint64_t a = 200; a < 600; a++)
        memset(cs_engine_row(&w, C_ADDR, a), 0xee, 20);
    assert_int_equal(cs_engine_commit(&w, grown, "n 600\n", 6), 0);

    for (int c = 0; c < NCOLS; c++) {
        cs_engine_col_sha256(&r, c, rrows[c], after);
        assert_memory_equal(before[c], after, 32);
    }
    uint64_t rng = 9;
    assert_int_equal(cs_engine_check_sums(&r, rrows, -1, &rng), 0);
    cs_engine_close(&r, NULL);
    cs_engine_close(&w, grown);
    rmdir_r(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_reopen_verify),
        cmocka_unit_test(test_index_and_manifest_errors),
        cmocka_unit_test(test_rollback_with_reader),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
