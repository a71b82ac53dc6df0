/* bench_snapshot.c — `chainsleuth-bench snapshot`: what a reader's snapshot
 * costs.  On a copy of the ingest benchmark's store it times
 *   - opening a reader (with the sampled open check) and cs_store_refresh;
 *   - a rollback of --depth blocks with no reader open (in place);
 *   - the same rollback while a reader holds its snapshot (copy-on-rollback:
 *     every column file is cloned or copied before it is cut), and the bytes
 *     it copied.
 *
 *   chainsleuth-bench snapshot [--txs N] [--depth K] [--work DIR]
 *
 * The copy goes to --work (default build/bench-cache/snapshot-work), made with
 * cp --reflink=auto and removed at the end.  Never fails on timing. */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "btc/store.h"
#include "util/error.h"

int bench_snapshot(int argc, char **argv);

/* Bytes in the *.col files of dir (what a copy-on-rollback may copy). */
static uint64_t col_file_bytes(const char *dir)
{
    uint64_t sum = 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".col")) continue;
        char p[4400];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &st) == 0) sum += (uint64_t)st.st_size;
    }
    closedir(d);
    return sum;
}

static int fail(const char *what)
{
    fprintf(stderr, "bench snapshot: %s: %s\n", what, cs_errmsg());
    return 1;
}

/* Rolls the writer back by depth blocks and commits; returns seconds or -1. */
static double rollback(struct cs_store *w, uint64_t depth)
{
    uint64_t h = cs_store_counts(w)->blocks;
    double t0 = bench_now();
    if (cs_store_truncate(w, (int64_t)h - 1 - (int64_t)depth)) return -1;
    if (cs_store_commit(w)) return -1;
    return bench_now() - t0;
}

int bench_snapshot(int argc, char **argv)
{
    unsigned long long txs = 2000000, depth = 6;
    const char *work = "build/bench-cache/snapshot-work";
    static const struct option opts[] = {{"txs", required_argument, 0, 't'},
                                         {"depth", required_argument, 0, 'd'},
                                         {"work", required_argument, 0, 'w'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 't')
            txs = strtoull(optarg, NULL, 10);
        else if (c == 'd')
            depth = strtoull(optarg, NULL, 10);
        else if (c == 'w')
            work = optarg;
        else
            return 2;
    }
    char blocks[4300], db[4400], cmd[9200];
    if (bench_chain(txs, blocks, sizeof blocks)) return 1;
    if (bench_store(blocks, db, sizeof db)) return 1;
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp -r --reflink=auto '%s' '%s/db'",
             work, work, db, work);
    double t0 = bench_now();
    if (system(cmd)) return 1;
    double tcopy = bench_now() - t0;
    char wdb[4200];
    snprintf(wdb, sizeof wdb, "%s/db", work);

    struct cs_store *w, *r;
    if (cs_store_open(&w, wdb, "btc", CS_STORE_WRITE, NULL)) return fail("open writer");
    char cdir[4300];
    snprintf(cdir, sizeof cdir, "%s/btc", wdb);
    uint64_t colbytes = col_file_bytes(cdir);
    const struct cs_counts k0 = *cs_store_counts(w);

    t0 = bench_now();
    if (cs_store_open(&r, wdb, "btc", CS_STORE_READ, NULL)) return fail("open reader");
    double topen = bench_now() - t0;
    enum { REFRESHES = 20 };
    t0 = bench_now();
    for (int i = 0; i < REFRESHES; i++)
        if (cs_store_refresh(r)) return fail("refresh");
    double trefresh = (bench_now() - t0) / REFRESHES;
    cs_store_close(r);

    double tplain = rollback(w, depth);
    if (tplain < 0) return fail("rollback without reader");
    const struct cs_counts k1 = *cs_store_counts(w);

    if (cs_store_open(&r, wdb, "btc", CS_STORE_READ, NULL)) return fail("open reader");
    uint64_t held = cs_store_counts(r)->tx;
    double tcow = rollback(w, depth);
    if (tcow < 0) return fail("rollback with reader");
    uint64_t nroll = 0, copied = cs_store_rollback_copied(w, &nroll);
    int same =
        cs_store_counts(r)->tx == held && cs_store_verify(r, CS_VERIFY_QUICK, NULL, NULL) == 0;
    cs_store_close(r);
    const struct cs_counts k2 = *cs_store_counts(w);
    cs_store_close(w);

    printf("benchmark  snapshot (readers against a rolling-back writer, one core)\n");
    printf("input      %llu blocks, %llu tx, %.1f MiB of column files (copy made in %.2f s)\n",
           (unsigned long long)k0.blocks, (unsigned long long)k0.tx, colbytes / 1048576.0, tcopy);
    printf("open       %.2f ms reader open with the sampled check\n", topen * 1e3);
    printf("refresh    %.3f ms per cs_store_refresh (mean of %d)\n", trefresh * 1e3, REFRESHES);
    printf("rollback   %llu blocks (%llu tx) with no reader: %.3f s\n", depth,
           (unsigned long long)(k0.tx - k1.tx), tplain);
    printf("rollback   %llu blocks (%llu tx) with a reader: %.3f s, %.1f MiB copied in %llu "
           "rollback(s)\n",
           depth, (unsigned long long)(k1.tx - k2.tx), tcow, copied / 1048576.0,
           (unsigned long long)nroll);
    printf("snapshot   %s (reader kept %llu tx and verified after the rollback)\n",
           same ? "held" : "CHANGED", (unsigned long long)held);
    printf("peak RSS   %.1f MiB\n", bench_peak_rss_kb() / 1024.0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", work);
    if (system(cmd)) return 1;
    return same ? 0 : 1;
}
