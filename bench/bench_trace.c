/* bench_trace.c — forward haircut trace over a generated chain.
 *
 *   chainsleuth-bench trace [--txs N] [--blocks DIR] [--db DIR] [--policy P] [--runs K]
 *
 * The chain is chainsleuth-gen's (cached in build/bench-cache/<txs>-1, like
 * the ingest benchmark); it is ingested once into build/bench-cache/<txs>-1/db,
 * shared with the cluster benchmark (bench.h).  The seed is the heist's drain transaction (all
 * its outputs), traced with no stopping category: the stolen coins reach the
 * exchanges, whose sweeps, cold-wallet moves and batch payouts spread the
 * taint over most of the later economy, so a 2M-transaction chain gives a
 * walk of over a million transactions.  Prints transactions visited per
 * second (best of --runs, default 3; the first run also pages the store in),
 * peak RSS, the walker's own memory and a SHA-256 of the JSON result, which
 * must be the same on every machine and build. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "report/report.h"
#include "btc/ingest.h"
#include "btc/store.h"
#include "trace/trace.h"
#include "util/codec.h"
#include "util/hash.h"
#include "util/json.h"

int bench_trace(int argc, char **argv);

/* CPU time of this thread: the machine may be shared, and the benchmark
 * is about one core's work, not about how long the scheduler let it run */
static double bt_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *bt_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    for (;;) {
        if (n == cap) b = realloc(b, cap *= 2);
        size_t k = fread(b + n, 1, cap - n, f);
        if (!k) break;
        n += k;
    }
    fclose(f);
    *len = n;
    return b;
}

int bench_trace(int argc, char **argv)
{
    unsigned long long txs = 2000000;
    const char *blocks = NULL, *db = NULL, *policy = "haircut";
    int runs = 3, c;
    static const struct option opts[] = {
        {"txs", required_argument, 0, 't'},  {"blocks", required_argument, 0, 'b'},
        {"db", required_argument, 0, 'd'},   {"policy", required_argument, 0, 'p'},
        {"runs", required_argument, 0, 'r'}, {0, 0, 0, 0}};
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 't')
            txs = strtoull(optarg, NULL, 10);
        else if (c == 'b')
            blocks = optarg;
        else if (c == 'd')
            db = optarg;
        else if (c == 'p')
            policy = optarg;
        else if (c == 'r')
            runs = atoi(optarg) > 0 ? atoi(optarg) : 1;
        else
            return 2;
    }
    enum cs_policy pol;
    if (cs_policy_parse(&pol, policy)) {
        fprintf(stderr, "bench trace: %s\n", cs_errmsg());
        return 2;
    }
    char bdir[4200], dbdir[4300], heist[4300];
    if (!blocks) {
        if (bench_chain(txs, bdir, sizeof bdir)) return 1;
        blocks = bdir;
    }
    snprintf(heist, sizeof heist, "%s/../truth/heist.json", blocks);
    if (!db) {
        if (bench_store(blocks, dbdir, sizeof dbdir)) return 1;
        db = dbdir;
    }
    struct cs_store *s;
    if (cs_store_open(&s, db, "btc", CS_STORE_READ, NULL)) {
        fprintf(stderr, "bench trace: %s\n", cs_errmsg());
        return 1;
    }
    const struct cs_counts *k = cs_store_counts(s);

    /* seed: the drain transaction of the heist, else a transaction at 10% of the chain */
    uint64_t seed_tx = k->tx / 10;
    size_t jl;
    char *jt = bt_slurp(heist, &jl);
    if (jt) {
        struct cs_json_doc doc = {0};
        const char *hex;
        uint8_t id[32];
        if (!cs_json_parse(&doc, jt, jl, NULL) &&
            !cs_json_obj_str(doc.root, "drain_txid", &hex, NULL) && !cs_unhex_rev32(id, hex) &&
            !cs_store_find_tx(s, id, &seed_tx)) {
        } else {
            fprintf(stderr, "bench trace: %s has no usable drain_txid; seeding tx %llu\n", heist,
                    (unsigned long long)seed_tx);
        }
        cs_json_doc_free(&doc);
        free(jt);
    }
    uint64_t first, nout;
    cs_store_tx_outs(s, seed_tx, &first, &nout);
    struct cs_trace_seed *seeds = calloc(nout + 1, sizeof *seeds);
    for (uint64_t j = 0; j < nout; j++)
        seeds[j] = (struct cs_trace_seed){first + j, 0, CS_TRACE_WHOLE};

    struct cs_trace_opts o;
    cs_trace_opts_default(&o);
    o.policy = pol;
    o.stop_mask = 0;
    o.stop_coinjoin = 0;
    double best = 1e300, first_run = 0, best_wall = 1e300;
    struct cs_trace_result r;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < runs; i++) {
        cs_trace_result_free(&r);
        double t0 = bt_cpu(), w0 = bench_now();
        if (cs_trace_run(&r, s, &o, seeds, nout)) {
            fprintf(stderr, "bench trace: %s\n", cs_errmsg());
            cs_store_close(s);
            free(seeds);
            return 1;
        }
        double el = bt_cpu() - t0, wall = bench_now() - w0;
        if (i == 0) first_run = el;
        if (el < best) best = el;
        if (wall < best_wall) best_wall = wall;
    }
    double t0 = bench_now();
    struct cs_report_ctx ctx = {.s = s,
                                .r = &r,
                                .parameters_json = "{\"bench\":\"trace\"}",
                                .attribution_mode = "none",
                                .attribution_note = "",
                                .tags_used = 0};
    char *json;
    size_t json_len;
    if (cs_report_json(&ctx, &json, &json_len)) {
        fprintf(stderr, "bench trace: %s\n", cs_errmsg());
        return 1;
    }
    double tj = bench_now() - t0;
    uint8_t h[32];
    char hex[65], b1[CS_AMOUNT_STR_MAX];
    cs_sha256(json, json_len, h);
    cs_hex(hex, h, 32);
    printf("benchmark  trace (forward %s, fee-last, no stops, one core)\n", cs_policy_name(pol));
    printf("input      %llu blocks, %llu tx, %llu outputs; seed tx %llu (%llu outputs, %s)\n",
           (unsigned long long)k->blocks, (unsigned long long)k->tx, (unsigned long long)k->out,
           (unsigned long long)seed_tx, (unsigned long long)nout,
           (cs_amount_format_u64(b1, cs_btc_asset(), r.seed_amount, CS_AMOUNT_UNIT), b1));
    printf("visited    %llu transactions (%.1f%% of the chain), %zu hops, %zu frontier outputs\n",
           (unsigned long long)r.txs_visited, 100.0 * (double)r.txs_visited / (double)k->tx,
           r.n_hops, r.n_frontier);
    printf("time       %.3f s CPU best of %d (first run %.3f s, paging the store in); "
           "%.3f s wall\n",
           best, runs, first_run, best_wall);
    printf("throughput %.2f M tx/s visited per CPU second (first run %.2f M tx/s)\n",
           (double)r.txs_visited / best / 1e6, (double)r.txs_visited / first_run / 1e6);
    printf("walker     peak %llu live tainted outputs, %llu pending txs, %.1f MiB own structures\n",
           (unsigned long long)r.peak_live, (unsigned long long)r.peak_pending,
           (double)r.bytes / 1048576.0);
    printf("peak RSS   %.1f MiB (process, incl. the mapped store columns it touched)\n",
           bench_peak_rss_kb() / 1024.0);
    printf("json       %.1f MB in %.3f s\n", (double)json_len / 1e6, tj);
    printf("hash       %s\n", hex);
    free(json);
    cs_trace_result_free(&r);
    free(seeds);
    cs_store_close(s);
    return 0;
}
