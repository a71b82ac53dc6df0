/* bench_screen.c — exposure screening on a generated chain: build the
 * exposure index, then screen batches of 1,000 addresses (both directions,
 * reasons included) from the index, and a smaller sample by walking.
 *
 *   chainsleuth-bench screen [--txs N] [--batches B] [--walks W]
 *
 * Prints the index build time and size, screens/s, the p50/p99 latency of
 * a 1,000-address batch and of one screen, the largest difference between
 * index and walk on the walked sample, and a hash of the batch results
 * (levels and scores to 1e-6). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "btc/store.h"
#include "cluster/cluster.h"
#include "risk/risk.h"
#include "tags/tags.h"
#include "util/codec.h"
#include "util/hash.h"

int bench_screen(int argc, char **argv);

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, cmp_d);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static int screen_node(struct cs_risk_store *rs, const struct cs_risk_index *ix,
                       const struct cs_risk_config *cfg, uint64_t addr, struct cs_risk_result *r)
{
    const struct cs_risk_graph *g = cs_risk_store_graph(rs);
    uint64_t node = cs_risk_store_node(rs, addr);
    cs_risk_result_init(r);
    int cat = -1;
    r->owner_entity = g->entity(g->ctx, node, &cat);
    r->owner_category = r->owner_entity >= 0 ? cat : -1;
    for (int d = 0; d < 2; d++) {
        int rc;
        if (ix) {
            rc = cs_risk_screen_indexed(ix, g, cfg, d, node, NULL, 0, r);
        } else {
            struct cs_risk_flowbuf fb = {0};
            int more = 0;
            rc = g->flows(g->ctx, node, d, &fb, cfg->walk_budget, &more);
            if (!rc) rc = cs_risk_walk(g, cfg, d, fb.v, fb.n, 0, r);
            cs_risk_flowbuf_free(&fb);
        }
        if (rc) return rc;
    }
    cs_risk_finish(cfg, r);
    return 0;
}

int bench_screen(int argc, char **argv)
{
    unsigned long long txs = 2000000;
    int batches = 20, walks = 200, c;
    static const struct option opts[] = {{"txs", required_argument, 0, 't'},
                                         {"batches", required_argument, 0, 'b'},
                                         {"walks", required_argument, 0, 'w'},
                                         {0, 0, 0, 0}};
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 't') txs = strtoull(optarg, NULL, 10);
        else if (c == 'b') batches = atoi(optarg) > 0 ? atoi(optarg) : 1;
        else if (c == 'w') walks = atoi(optarg) >= 0 ? atoi(optarg) : 0;
        else return 2;
    }
    char bdir[4200], db[4300], tagsf[4400];
    if (bench_chain(txs, bdir, sizeof bdir) || bench_store(bdir, db, sizeof db)) return 1;
    struct cs_store *s;
    if (cs_store_open(&s, db, "btc", CS_STORE_READ, NULL)) {
        fprintf(stderr, "bench screen: %s\n", cs_errmsg());
        return 1;
    }
    struct cs_cluster_state cst;
    if (cs_cluster_state_read(db, "btc", &cst)) {
        struct cs_cluster_opts o = {0};
        struct cs_cluster_report rep;
        fprintf(stderr, "bench screen: clustering the store\n");
        if (cs_cluster_update(s, db, &o, &rep)) {
            fprintf(stderr, "bench screen: %s\n", cs_errmsg());
            cs_store_close(s);
            return 1;
        }
    }
    snprintf(tagsf, sizeof tagsf, "%s/../truth/tags.csv", bdir);
    struct cs_tagdb *tdb;
    struct cs_tag_import_result ir;
    struct cs_tag_import_opts io = {0};
    if (cs_tagdb_open(db, CS_TAGDB_WRITE, &tdb) || cs_tagdb_import_file(tdb, tagsf, &io, &ir) ||
        cs_tagdb_commit(tdb)) {
        fprintf(stderr, "bench screen: tags: %s\n", cs_errmsg());
        cs_store_close(s);
        return 1;
    }
    cs_tag_import_result_free(&ir);
    cs_tagdb_close(tdb);

    struct cs_risk_config cfg;
    cs_risk_config_default(&cfg);
    struct cs_risk_store *rs;
    char note[512];
    double t0 = bench_now();
    if (cs_risk_store_open(&rs, s, db, &cfg, -1, note, sizeof note)) {
        fprintf(stderr, "bench screen: %s\n", cs_errmsg());
        cs_store_close(s);
        return 1;
    }
    double t_open = bench_now() - t0;
    long rss_before = bench_peak_rss_kb();
    t0 = bench_now();
    struct cs_risk_index_meta meta;
    if (cs_risk_store_build_index(rs, db, &cfg, &meta)) {
        fprintf(stderr, "bench screen: %s\n", cs_errmsg());
        return 1;
    }
    double t_build = bench_now() - t0;
    long rss_build = bench_peak_rss_kb();
    char ixdir[4400], ixpath[4500];
    snprintf(ixdir, sizeof ixdir, "%s/btc/risk", db);
    snprintf(ixpath, sizeof ixpath, "%s/exposure.idx", ixdir);
    struct stat st;
    stat(ixpath, &st);
    struct cs_risk_index *ix;
    t0 = bench_now();
    if (cs_risk_index_open(ixdir, &ix)) {
        fprintf(stderr, "bench screen: %s\n", cs_errmsg());
        return 1;
    }
    double t_ixopen = bench_now() - t0;

    /* targets: addresses spread over the chain (a fixed multiplicative walk) */
    uint64_t naddr = cs_store_counts(s)->addr;
    size_t nt = (size_t)batches * 1000;
    double *lat_batch = calloc((size_t)batches, sizeof(double));
    double *lat_one = calloc(nt, sizeof(double));
    struct cs_sha256_ctx hc;
    cs_sha256_begin(&hc);
    size_t levels[4] = {0}, truncated = 0;
    uint64_t x = 12345;
    double t_all = bench_now();
    for (int b = 0; b < batches; b++) {
        double tb = bench_now();
        for (int i = 0; i < 1000; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            uint64_t a = 1 + (x >> 11) % (naddr - 1);
            double t1 = bench_now();
            struct cs_risk_result r;
            if (screen_node(rs, ix, &cfg, a, &r)) {
                fprintf(stderr, "bench screen: %s\n", cs_errmsg());
                return 1;
            }
            lat_one[(size_t)b * 1000 + (size_t)i] = bench_now() - t1;
            levels[r.level]++;
            truncated += r.dir[0].truncated || r.dir[1].truncated;
            char line[96];
            int n = snprintf(line, sizeof line, "%llu %d %.6f\n", (unsigned long long)a, r.level, r.score);
            cs_sha256_add(&hc, line, (size_t)n);
            cs_risk_result_free(&r);
        }
        lat_batch[b] = bench_now() - tb;
    }
    double el = bench_now() - t_all;
    uint8_t h[32];
    char hex[65];
    cs_sha256_end(&hc, 0, h);
    cs_hex(hex, h, 32);

    /* walks on a sample, and their agreement with the index */
    double maxdiff = 0, twalk = 0;
    size_t wtrunc = 0;
    x = 999;
    for (int i = 0; i < walks; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t a = 1 + (x >> 11) % (naddr - 1);
        struct cs_risk_result ri, rw;
        double t1 = bench_now();
        if (screen_node(rs, NULL, &cfg, a, &rw)) return 1;
        twalk += bench_now() - t1;
        if (screen_node(rs, ix, &cfg, a, &ri)) return 1;
        if (rw.dir[0].truncated || rw.dir[1].truncated) {
            wtrunc++;
        } else {
            for (int d = 0; d < 2; d++)
                for (int k = 0; k < CS_RISK_NCAT; k++) {
                    double dd = rw.dir[d].cat[k].decayed - ri.dir[d].cat[k].decayed;
                    double dt = (rw.dir[d].cat[k].direct + rw.dir[d].cat[k].indirect) -
                                (ri.dir[d].cat[k].direct + ri.dir[d].cat[k].indirect);
                    if (dd < 0) dd = -dd;
                    if (dt < 0) dt = -dt;
                    if (dd > maxdiff) maxdiff = dd;
                    if (dt > maxdiff) maxdiff = dt;
                }
        }
        cs_risk_result_free(&ri);
        cs_risk_result_free(&rw);
    }
    const struct cs_counts *k = cs_store_counts(s);
    printf("benchmark  screen (exposure index, METHODS §5, H %u, decay %g; one core)\n", cfg.max_hops,
           cfg.decay);
    printf("input      %llu blocks, %llu tx, %llu addresses; %s\n", (unsigned long long)k->blocks,
           (unsigned long long)k->tx, (unsigned long long)naddr, note);
    printf("graph      open %.2f s (cluster member lists, attribution)\n", t_open);
    printf("index      build %.2f s, %llu nodes, %.1f MB on disk, open %.1f ms; peak RSS %.0f -> %.0f MiB\n",
           t_build, (unsigned long long)cs_risk_index_nodes(ix), (double)st.st_size / 1e6,
           t_ixopen * 1e3, rss_before / 1024.0, rss_build / 1024.0);
    printf("screens    %zu addresses in %d batches of 1,000 (in + out, reasons from <= %llu store rows each)\n",
           nt, batches, (unsigned long long)cfg.scan_budget);
    printf("throughput %.0f screens/s\n", (double)nt / el);
    double b50 = pct(lat_batch, (size_t)batches, 0.5), b99 = pct(lat_batch, (size_t)batches, 0.99);
    double o50 = pct(lat_one, nt, 0.5), o99 = pct(lat_one, nt, 0.99), o999 = pct(lat_one, nt, 0.999);
    printf("batch      1,000 addresses: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", b50 * 1e3, b99 * 1e3,
           lat_batch[batches - 1] * 1e3);
    printf("one screen p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f ms\n", o50 * 1e6, o99 * 1e6,
           o999 * 1e6, lat_one[nt - 1] * 1e3);
    printf("levels     LOW %zu, MEDIUM %zu, HIGH %zu, SEVERE %zu; %zu with reasons truncated at the scan budget\n",
           levels[0], levels[1], levels[2], levels[3], truncated);
    printf("walk       %d addresses walked in %.2f s (%.1f ms each), %zu stopped at the walk budget; "
           "largest |walk - index| %.2g\n",
           walks, twalk, walks ? twalk / walks * 1e3 : 0, wtrunc, maxdiff);
    printf("peak RSS   %.1f MiB\n", bench_peak_rss_kb() / 1024.0);
    printf("hash       %s\n", hex);
    free(lat_batch);
    free(lat_one);
    cs_risk_index_free(ix);
    cs_risk_store_close(rs);
    cs_store_close(s);
    return 0;
}
