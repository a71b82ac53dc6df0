/* bench_evmclu.c — `chainsleuth-bench evmcluster`: Victor's heuristics
 * (cluster/evm_cluster.h) over a generated EVM chain, one core.
 *
 *   chainsleuth-bench evmcluster [--txs N] [--runs K]
 *
 * The chain is chainsleuth-gen --chain eth --scenario bybit --txs N --seed 1
 * (default N = 1,000,000), generated and ingested once into
 * build/bench-cache/evm-gen-<N>/ by the binaries beside this one, so this
 * process only opens the store and clusters: its peak RSS is the run's (the
 * union-find, the pending runs, the evidence) plus the store pages it maps.
 * Prints the input size, accounts/s and transfers/s of the whole run (every
 * pass and the commit), the peak RSS, the clusters and the SHA-256 of the
 * cluster-id file, so a fast but wrong build shows.  Never fails on timing. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "cluster/evm_cluster.h"
#include "evm/store.h"
#include "util/codec.h"

int bench_evmclu(int argc, char **argv);

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

int bench_evmclu(int argc, char **argv)
{
    unsigned long long txs = 1000000, runs = 3;
    static const struct option lo[] = {
        {"txs", required_argument, NULL, 't'}, {"runs", required_argument, NULL, 'r'}, {0}};
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (ch == 't')
            txs = strtoull(optarg, NULL, 10);
        else if (ch == 'r')
            runs = strtoull(optarg, NULL, 10);
        else
            return 2;
    }
    if (txs < 12000 || !runs) {
        fprintf(stderr, "bench evmcluster: --txs at least 12000, --runs at least 1\n");
        return 2;
    }
    char dir[4200], db[4300], done[4400], self[4096], cmd[16000];
    snprintf(dir, sizeof dir, "build/bench-cache/evm-gen-%llu", txs);
    snprintf(db, sizeof db, "%s/db", dir);
    snprintf(done, sizeof done, "%s/.complete", dir);
    struct stat sb;
    if (stat(done, &sb)) {
        self_dir(self, sizeof self);
        snprintf(cmd, sizeof cmd,
                 "rm -rf '%s' && mkdir -p '%s' && '%s/chainsleuth-gen' --chain eth --scenario bybit "
                 "--txs %llu --seed 1 --out '%s/csv' --quiet >&2 && '%s/chainsleuth' ingest evm "
                 "--csv '%s/csv' --chain eth --db '%s' --quiet >/dev/null && '%s/chainsleuth' tags "
                 "import '%s/csv/truth/tags.csv' --db '%s' >/dev/null && touch '%s'",
                 dir, dir, self, txs, dir, self, dir, db, self, dir, db, done);
        fprintf(stderr, "bench: generating and ingesting a %llu-tx EVM chain (cached in %s)\n",
                txs, dir);
        double t0 = bench_now();
        if (system(cmd) != 0) {
            fprintf(stderr, "bench evmcluster: generating or ingesting failed\n");
            return 1;
        }
        fprintf(stderr, "bench: ready in %.1f s\n", bench_now() - t0);
    }
    long rss0 = bench_peak_rss_kb();
    struct cs_evm *s;
    if (cs_evm_open(&s, db, "eth", CS_EVM_READ)) {
        fprintf(stderr, "bench evmcluster: %s\n", cs_errmsg());
        return 1;
    }
    const struct cs_evm_counts *k = cs_evm_counts(s);
    struct cs_evmclu_params p;
    cs_evmclu_params_default(&p);
    struct cs_evmclu_report r;
    double best = 1e30, worst = 0;
    char hex[65] = "";
    for (unsigned long long i = 0; i < runs; i++) {
        double t0 = bench_now();
        if (cs_evmclu_run(s, db, &p, NULL, &r)) {
            fprintf(stderr, "bench evmcluster: %s\n", cs_errmsg());
            cs_evm_close(s);
            return 1;
        }
        double t = bench_now() - t0;
        if (t < best) best = t;
        if (t > worst) worst = t;
        char h[65];
        cs_hex(h, r.state.cid_sha, 32);
        if (i && strcmp(h, hex)) {
            fprintf(stderr, "bench evmcluster: run %llu gave another result\n", i);
            cs_evm_close(s);
            return 1;
        }
        memcpy(hex, h, 65);
    }
    const struct cs_evmclu_state *st = &r.state;
    printf("evm cluster: chainsleuth-gen --chain eth --scenario bybit --txs %llu --seed 1, tags "
           "imported\n",
           txs);
    printf("input      %llu blocks, %llu txs, %llu transfers, %llu accounts, %llu kept logs\n",
           (unsigned long long)k->blocks, (unsigned long long)k->tx, (unsigned long long)k->xfer,
           (unsigned long long)(k->acct ? k->acct - 1 : 0), (unsigned long long)k->log);
    printf("run        %.3f s best, %.3f s worst of %llu (all passes and the commit)\n", best,
           worst, runs);
    printf("throughput %.2f M transfers/s, %.2f M accounts/s (best run)\n",
           (double)k->xfer / best / 1e6, (double)k->acct / best / 1e6);
    printf("peak RSS   %.1f MiB (%.1f MiB before the first run)\n",
           bench_peak_rss_kb() / 1024.0, rss0 / 1024.0);
    printf("result     %llu clusters, %llu singletons, largest %llu; %llu deposit addresses, "
           "%llu exchanges, %llu airdrops, %llu approvals; %llu evidence rows\n",
           (unsigned long long)st->clusters, (unsigned long long)st->singletons,
           (unsigned long long)st->largest, (unsigned long long)st->deposits,
           (unsigned long long)st->exchanges, (unsigned long long)st->airdrops,
           (unsigned long long)st->approvals, (unsigned long long)st->evidence);
    printf("hash       %.16s… (SHA-256 of the cluster-id file)\n", hex);
    cs_evm_close(s);
    return 0;
}
