/* bench.c — chainsleuth benchmarks, one binary, run by name.
 *
 *   chainsleuth-bench ingest [--txs N] [--blocks DIR] [--keep DIR]
 *   chainsleuth-bench snapshot [--txs N] [--depth K] [--work DIR]
 *   chainsleuth-bench evm [--txs N] [--keep DB]
 *   chainsleuth-bench screen [--txs N] [--batches B] [--walks W]
 *   chainsleuth-bench all
 *
 * Each benchmark prints a table with the input size, the throughput, the peak
 * memory and a hash of its results (so a fast but wrong build is caught), and
 * never fails on timing.  Chains come from chainsleuth-gen (cached under
 * build/bench-cache/<txs>-<seed>). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "btc/ingest.h"
#include "btc/store.h"
#include "util/codec.h"
#include "util/hash.h"

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

long bench_peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* directory of the running binary: chainsleuth-gen sits next to it */
static void self_dir(char *out, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", out, cap - 1);
    if (n <= 0) {
        snprintf(out, cap, ".");
        return;
    }
    out[n] = 0;
    char *slash = strrchr(out, '/');
    if (slash) *slash = 0;
}

int bench_chain(unsigned long long txs, char *blocks, size_t cap)
{
    char dir[4200], cmd[9000], done[4300], self[4096];
    snprintf(dir, sizeof dir, "build/bench-cache/%llu-1", txs);
    snprintf(blocks, cap, "%s/blocks", dir);
    snprintf(done, sizeof done, "%s/.complete", dir);
    struct stat st;
    if (stat(done, &st) == 0) return 0;
    self_dir(self, sizeof self);
    snprintf(
        cmd, sizeof cmd,
        "rm -rf '%s' && mkdir -p build/bench-cache && '%s/chainsleuth-gen' --out '%s' --txs %llu "
        "--seed 1 --scenario heist >&2 && touch '%s'",
        dir, self, dir, txs, done);
    fprintf(stderr, "bench: generating a %llu-transaction chain (cached in %s)\n", txs, dir);
    double t0 = bench_now();
    if (system(cmd) != 0) {
        fprintf(stderr, "bench: chainsleuth-gen failed\n");
        return 1;
    }
    fprintf(stderr, "bench: generated in %.1f s\n", bench_now() - t0);
    return 0;
}

int bench_store(const char *blocks_dir, char *db, size_t cap)
{
    char done[4300], cmd[4400];
    snprintf(db, cap, "%s/../db", blocks_dir);
    snprintf(done, sizeof done, "%s/../db.complete", blocks_dir);
    struct stat st;
    if (stat(done, &st) == 0) return 0;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", db);
    if (system(cmd)) return 1;
    fprintf(stderr, "bench: ingesting %s into %s (once)\n", blocks_dir, db);
    struct cs_ingest_opts o;
    cs_ingest_opts_default(&o);
    o.db = db;
    o.commit_seconds = 5;
    struct cs_ingest_stats ist;
    if (cs_ingest_blkdir(blocks_dir, &o, &ist)) {
        fprintf(stderr, "bench: ingest: %s\n", cs_errmsg());
        return 1;
    }
    FILE *f = fopen(done, "w");
    if (f) fclose(f);
    return 0;
}

static int bench_ingest(int argc, char **argv)
{
    unsigned long long txs = 2000000;
    const char *blocks = NULL, *keep = NULL;
    static const struct option opts[] = {{"txs", required_argument, 0, 't'},
                                         {"blocks", required_argument, 0, 'b'},
                                         {"keep", required_argument, 0, 'k'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 't')
            txs = strtoull(optarg, NULL, 10);
        else if (c == 'b')
            blocks = optarg;
        else if (c == 'k')
            keep = optarg;
        else
            return 2;
    }
    char bdir[4096];
    if (!blocks) {
        if (bench_chain(txs, bdir, sizeof bdir)) return 1;
        blocks = bdir;
    }
    char db[4200];
    if (keep)
        snprintf(db, sizeof db, "%s", keep);
    else
        snprintf(db, sizeof db, "build/bench-cache/ingest-db.%d", (int)getpid());
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p build/bench-cache", db);
    if (system(cmd)) return 1;
    struct cs_ingest_opts o;
    cs_ingest_opts_default(&o);
    o.db = db;
    o.commit_seconds = 5;
    struct cs_ingest_stats st;
    long rss0 = bench_peak_rss_kb();
    double t0 = bench_now();
    int rc = cs_ingest_blkdir(blocks, &o, &st);
    double el = bench_now() - t0;
    if (rc) {
        fprintf(stderr, "bench ingest: %s\n", cs_errmsg());
        return 1;
    }
    struct cs_store *s;
    if (cs_store_open(&s, db, "btc", CS_STORE_READ, NULL)) {
        fprintf(stderr, "bench ingest: %s\n", cs_errmsg());
        return 1;
    }
    const struct cs_counts *k = cs_store_counts(s);
    uint64_t colbytes = 0, adjbytes = 0, addrbytes = 0;
    uint8_t all[32 * CS_COL_COUNT], h[32];
    for (int col = 0; col < CS_COL_COUNT; col++) {
        uint64_t b;
        cs_store_col_checksum(s, col, all + 32 * col, &b);
        if (col == CS_COL_OUTNEXT || col == CS_COL_ADDRHEAD)
            adjbytes += b;
        else
            colbytes += b;
        if (col == CS_COL_ADDR || col == CS_COL_MSIG) addrbytes += b;
    }
    cs_sha256(all, sizeof all, h);
    char hex[65];
    cs_hex(hex, h, 32);
    uint64_t blockbytes = st.bytes;
    printf("benchmark  ingest (blk*.dat -> store, one core)\n");
    printf("input      %llu blocks, %llu tx, %llu inputs, %llu outputs, %.1f MB raw\n",
           (unsigned long long)k->blocks, (unsigned long long)k->tx, (unsigned long long)k->in,
           (unsigned long long)k->out, blockbytes / 1e6);
    printf("time       %.2f s (incl. blk scan and commits)\n", el);
    printf("throughput %.1f MB/s raw block data, %.0f tx/s\n", blockbytes / 1e6 / el, st.txs / el);
    printf("peak RSS   %.1f MiB (process, incl. mapped columns; %.1f MiB before)\n",
           bench_peak_rss_kb() / 1024.0, rss0 / 1024.0);
    printf("store      %.1f B/tx in columns: %.1f transaction graph + %.1f address records (%.1f "
           "B/tx more for address lists)\n",
           (double)colbytes / k->tx, (double)(colbytes - addrbytes) / k->tx,
           (double)addrbytes / k->tx, (double)adjbytes / k->tx);
    double bsci = 76.0 * k->tx + 16.0 * (k->in + k->out);
    printf("blocksci   %.1f B/tx for the transaction graph by its layout (76 B/tx + 16 B per input "
           "and output)\n",
           bsci / k->tx);
    printf("hash       %s\n", hex);
    cs_store_close(s);
    if (!keep) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", db);
        if (system(cmd)) return 1;
    }
    return 0;
}

int bench_cluster(int argc, char **argv);
int bench_trace(int argc, char **argv);
int bench_screen(int argc, char **argv);
int bench_snapshot(int argc, char **argv);
int bench_evm(int argc, char **argv);
int bench_evmclu(int argc, char **argv);

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        printf("usage: chainsleuth-bench ingest [--txs N] [--blocks DIR] [--keep DB] | cluster "
               "[...] | trace [...] | screen [...] | snapshot [...] | evm [...] | evmcluster [...] | all\n");
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "ingest")) return bench_ingest(argc - 1, argv + 1);
    if (!strcmp(argv[1], "cluster")) return bench_cluster(argc - 1, argv + 1);
    if (!strcmp(argv[1], "trace")) return bench_trace(argc - 1, argv + 1);
    if (!strcmp(argv[1], "screen")) return bench_screen(argc - 1, argv + 1);
    if (!strcmp(argv[1], "snapshot")) return bench_snapshot(argc - 1, argv + 1);
    if (!strcmp(argv[1], "evm")) return bench_evm(argc - 1, argv + 1);
    if (!strcmp(argv[1], "evmcluster")) return bench_evmclu(argc - 1, argv + 1);
    if (!strcmp(argv[1], "all")) {
        char *a[] = {"ingest", NULL}, *c[] = {"cluster", NULL}, *t[] = {"trace", NULL};
        int rc = bench_ingest(1, a);
        printf("\n");
        fflush(stdout);
        rc |= bench_cluster(1, c);
        printf("\n");
        fflush(stdout);
        rc |= bench_trace(1, t);
        printf("\n");
        fflush(stdout);
        char *sc[] = {"screen", NULL};
        rc |= bench_screen(1, sc);
        printf("\n");
        fflush(stdout);
        char *n[] = {"snapshot", NULL}, *e[] = {"evm", NULL};
        rc |= bench_snapshot(1, n);
        printf("\n");
        fflush(stdout);
        rc |= bench_evm(1, e);
        printf("\n");
        fflush(stdout);
        char *ec[] = {"evmcluster", NULL};
        return rc | bench_evmclu(1, ec);
    }
    fprintf(stderr, "chainsleuth-bench: unknown benchmark '%s'\n", argv[1]);
    return 2;
}
