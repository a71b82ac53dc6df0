/* bench_cluster.c — `chainsleuth-bench cluster`: a full clustering run over an
 * ingested store (default heuristics unless --heuristics), one core.
 *
 *   chainsleuth-bench cluster [--db DB] [--txs N] [--blocks DIR] [--heuristics SPEC]
 *
 * Without --db it uses the ingest benchmark's generated chain
 * build/bench-cache/<txs>-1/blocks (generating it with chainsleuth-gen if
 * missing) and ingests it once into build/bench-cache/<txs>-1/db, which later
 * runs reuse.  Prints inputs, inputs/s for the whole run and for the
 * union-find part alone, peak RSS, clusters, the largest cluster and a
 * SHA-256 of the cid column (equal hashes = equal clusterings), and never
 * fails on timing. */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cluster/cluster.h"
#include "btc/ingest.h"
#include "btc/store.h"
#include "util/codec.h"
#include "util/hash.h"

int bench_cluster(int argc, char **argv);

/* SHA-256 of a whole file (mmap'd), first 16 hex digits into hex. */
static int cl_file_hash(const char *path, char hex[65])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st)) {
        close(fd);
        return -1;
    }
    uint8_t h[32];
    if (st.st_size == 0) {
        cs_sha256("", 0, h);
    } else {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            close(fd);
            return -1;
        }
        cs_sha256(m, (size_t)st.st_size, h);
        munmap(m, (size_t)st.st_size);
    }
    close(fd);
    cs_hex(hex, h, 32);
    return 0;
}

int bench_cluster(int argc, char **argv)
{
    unsigned long long txs = 2000000;
    const char *db = NULL, *blocks = NULL, *spec = NULL;
    static const struct option opts[] = {{"txs", required_argument, 0, 't'},
                                         {"blocks", required_argument, 0, 'b'},
                                         {"db", required_argument, 0, 'd'},
                                         {"heuristics", required_argument, 0, 'H'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 't')
            txs = strtoull(optarg, NULL, 10);
        else if (c == 'b')
            blocks = optarg;
        else if (c == 'd')
            db = optarg;
        else if (c == 'H')
            spec = optarg;
        else {
            fprintf(stderr, "usage: chainsleuth-bench cluster [--db DB] [--txs N] [--blocks DIR] "
                            "[--heuristics SPEC]\n");
            return 2;
        }
    }
    char bdir[4200], dbdir[4300];
    if (!db) {
        if (!blocks) {
            if (bench_chain(txs, bdir, sizeof bdir)) return 1;
            blocks = bdir;
        }
        if (bench_store(blocks, dbdir, sizeof dbdir)) return 1;
        db = dbdir;
    }
    struct cs_store *s;
    if (cs_store_open(&s, db, "btc", CS_STORE_READ, NULL)) {
        fprintf(stderr, "bench cluster: %s\n", cs_errmsg());
        return 1;
    }
    const struct cs_counts *k = cs_store_counts(s);
    struct cs_cluster_opts o = {0};
    o.spec = spec;
    o.full = 1;
    struct cs_cluster_report r;
    long rss0 = bench_peak_rss_kb();
    double t0 = bench_now();
    int rc = cs_cluster_update(s, db, &o, &r);
    double el = bench_now() - t0;
    if (rc) {
        fprintf(stderr, "bench cluster: %s\n", cs_errmsg());
        cs_store_close(s);
        return 1;
    }
    char path[900], hex[65] = "?";
    snprintf(path, sizeof path, "%s/btc/cluster/cid.u32", db);
    if (cl_file_hash(path, hex)) fprintf(stderr, "bench cluster: cannot hash %s\n", path);
    const struct cs_cluster_state *st = &r.state;
    uint64_t addrs = st->addr - 1;
    printf("benchmark  cluster (full run over the store, one core)\n");
    printf("heuristics %s\n", st->spec);
    printf("input      %llu blocks, %llu tx, %llu inputs, %llu addresses\n",
           (unsigned long long)k->blocks, (unsigned long long)k->tx, (unsigned long long)st->inputs,
           (unsigned long long)addrs);
    printf("time       %.3f s (incl. store reads, CoinJoin checks, compress, cid write, fsyncs)\n",
           el);
    printf("throughput %.2f M inputs/s overall\n", st->inputs / el / 1e6);
    printf("union-find %llu unions (%llu merges) in %.3f s: %.1f M unions/s, %.1f M inputs/s\n",
           (unsigned long long)r.edges, (unsigned long long)r.merges, r.uf_seconds,
           r.uf_seconds > 0 ? r.edges / r.uf_seconds / 1e6 : 0.0,
           r.uf_seconds > 0 ? st->inputs / r.uf_seconds / 1e6 : 0.0);
    printf("peak RSS   %.1f MiB (process, incl. mapped columns; %.1f MiB before)\n",
           bench_peak_rss_kb() / 1024.0, rss0 / 1024.0);
    printf("clusters   %llu (%llu singletons), largest %llu (%.2f%%)\n",
           (unsigned long long)st->clusters, (unsigned long long)st->singletons,
           (unsigned long long)st->largest, addrs ? 100.0 * st->largest / addrs : 0.0);
    uint64_t vetoed = 0;
    for (int i = 0; i < CS_CJP_COUNT; i++)
        vetoed += st->vetoed[i];
    printf("coinjoin   %llu txs vetoed, %llu multi-input txs, %llu change links\n",
           (unsigned long long)vetoed, (unsigned long long)st->multi_input_txs,
           (unsigned long long)st->change_links);
    printf("hash       %s (sha256 of cid.u32)\n", hex);
    cs_store_close(s);
    return 0;
}
