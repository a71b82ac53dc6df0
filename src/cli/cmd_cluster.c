/* cmd_cluster.c — `chainsleuth cluster`: compute or update the address
 * clustering (src/cluster/cluster.h), report it, export it as CSV. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chain/chain.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "cluster/cluster.h"
#include "cluster/unionfind.h"

#include "tags/tags.h"

static const char USAGE[] = "usage: chainsleuth cluster [--db DIR] [--chain NAME] [--heuristics "
                            "LIST] [--warn-share F] [--json]\n"
                            "                           [--export FILE.csv] [--full] [--quiet]\n"
                            "       chainsleuth cluster name ID|ADDR LABEL   (see cluster name --help)\n"
                            "       chainsleuth cluster note ID|ADDR TEXT    (see cluster note --help)\n"
                            "       chainsleuth cluster --chain eth ...      (EVM chains: see cluster --chain eth --help)\n";

static const char ABOUT[] =
    "Groups the store's addresses into clusters (entities) with union-find and stores\n"
    "a cluster id per address in DIR/CHAIN/cluster/ (cluster id = the smallest address\n"
    "id in the cluster).  The first run covers the whole chain; later runs process\n"
    "only transactions ingested since, unless the heuristics changed, the store was\n"
    "rolled back below the clustered tip (reorg), or the last run did not finish:\n"
    "then everything is recomputed and the report says why.  Ctrl-C stops at a block\n"
    "boundary and keeps what was done.\n";

static const char HEURISTICS_HELP[] =
    "comma-separated (default: multi-input):\n"
    "  multi-input          join all input addresses of a tx\n"
    "                       (common-input ownership)\n"
    "  change:H+H...        join the change output to the inputs\n"
    "                       when the heuristics H agree on exactly\n"
    "                       one output: fresh reuse type power10\n"
    "                       power10=<d> optimal locktime graphsense\n"
    "                       legacy all (off by default)\n"
    "  coinjoin:R+R...      CoinJoin vetoes (txs matching one are\n"
    "                       never joined): generic wasabi-1.0\n"
    "                       wasabi-1.1 wasabi-2.0 whirlpool\n"
    "                       whirlpool-tx0 joinmarket\n"
    "                       stonewall-control exchange-control\n"
    "                       date-gate all default none (default:\n"
    "                       every detector and both controls, no\n"
    "                       date gate)\n"
    "  none                 nothing: every address alone\n"
    "e.g. multi-input,change:fresh+type+optimal\n"
    "locktime and graphsense look at later transactions, so with\n"
    "them every run recomputes from scratch.";

static const char EPILOG[] =
    "The report gives addresses, clusters, singletons, the largest cluster and its\n"
    "share, transactions vetoed as CoinJoin per protocol and change links.\n"
    "Exit codes: 0 ok, 1 error, 2 usage, 130 interrupted (work so far is kept).\n";

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct progress {
    double start, last;
    int enabled, tty, printed;
};

static int on_progress(void *ctx, uint64_t done, uint64_t total)
{
    struct progress *p = ctx;
    if (stop_flag) return 1;
    if (!p->enabled) return 0;
    double t = now_s();
    if (t - p->start < 1.0 || t - p->last < (p->tty ? 0.25 : 10.0)) return 0;
    p->last = t;
    double pct = total ? 100.0 * (double)done / (double)total : 100.0;
    fprintf(stderr, "%scluster: %5.1f%%  %llu / %llu txs  %.0f s%s", p->tty ? "\r" : "", pct,
            (unsigned long long)done, (unsigned long long)total, t - p->start, p->tty ? "" : "\n");
    p->printed = 1;
    return 0;
}

/* Exchange control: an input is "exchange" when any of its tags says so. */
static int is_exchange(void *ctx, const struct cs_store *s, uint32_t addr)
{
    const struct cs_tagdb *tdb = ctx;
    char a[96];
    struct cs_tag t[16];
    const struct cs_addr *ad = cs_store_addr(s, addr);
    if (ad->type == CS_ADDR_MULTISIG || ad->type == CS_ADDR_OPRETURN || ad->type == CS_ADDR_NONSTD)
        return 0;
    cs_addr_format(ad, cs_store_net(s), a);
    size_t n = cs_tagdb_lookup(tdb, cs_store_chain(s), a, t, 16);
    for (size_t i = 0; i < n && i < 16; i++)
        if (t[i].category == CS_TAG_EXCHANGE) return 1;
    return 0;
}

/* Opens the tag table when it holds exchange tags; fingerprints it. */
static struct cs_tagdb *open_exchange_tags(const char *db, const char *chain, char *id, size_t cap)
{
    struct cs_tagdb *tdb = NULL;
    if (cs_tagdb_open(db, 0, &tdb)) return NULL;
    size_t cursor = 0;
    struct cs_tag t;
    struct cs_tag_filter f = {CS_TAG_EXCHANGE, chain, NULL, NULL, NULL};
    if (!cs_tagdb_find(tdb, &f, &cursor, &t)) {
        cs_tagdb_close(tdb);
        return NULL;
    }
    char p[4200];
    struct stat sb;
    snprintf(p, sizeof p, "%s/tags/tags.tsv", db);
    if (stat(p, &sb)) {
        cs_tagdb_close(tdb);
        return NULL;
    }
    snprintf(id, cap, "tags.tsv:%zu-tags:%lld-bytes:%lld.%09ld", cs_tagdb_count(tdb),
             (long long)sb.st_size, (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
    return tdb;
}

static int print_report(const struct cs_cluster_report *r, const struct cs_store *s, int json,
                        int interrupted)
{
    const struct cs_cluster_state *st = &r->state;
    uint64_t addrs = st->addr ? st->addr - 1 : 0, vetoed = 0;
    for (int i = 0; i < CS_CJP_COUNT; i++)
        vetoed += st->vetoed[i];
    double share = addrs ? (double)st->largest / (double)addrs : 0;
    char largest_addr[96] = "";
    if (st->largest_id)
        cs_addr_format(cs_store_addr(s, st->largest_id), cs_store_net(s), largest_addr);
    if (json) {
        char num[64];
        struct cs_json_writer w;
        cli_json_begin(&w);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "heuristics");
        cs_json_writer_string(&w, st->spec);
        cs_json_writer_key(&w, "run");
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "mode");
        cs_json_writer_string(&w, r->full ? "full" : r->txs ? "update" : "up-to-date");
        cs_json_writer_key(&w, "reason");
        cs_json_writer_string(&w, r->reason);
        cs_json_writer_key(&w, "txs");
        cs_json_writer_u64(&w, r->txs);
        cs_json_writer_key(&w, "inputs");
        cs_json_writer_u64(&w, r->inputs);
        cs_json_writer_key(&w, "unions");
        cs_json_writer_u64(&w, r->edges);
        cs_json_writer_key(&w, "merges");
        cs_json_writer_u64(&w, r->merges);
        cs_json_writer_key(&w, "seconds");
        snprintf(num, sizeof num, "%.3f", r->seconds);
        cs_json_writer_number_text(&w, num, strlen(num));
        cs_json_writer_key(&w, "interrupted");
        cs_json_writer_bool(&w, interrupted);
        cs_json_writer_end_object(&w);
        cs_json_writer_key(&w, "blocks");
        cs_json_writer_u64(&w, st->blocks);
        cs_json_writer_key(&w, "height");
        cs_json_writer_i64(&w, (long long)st->blocks - 1);
        cs_json_writer_key(&w, "txs");
        cs_json_writer_u64(&w, st->tx);
        cs_json_writer_key(&w, "addresses");
        cs_json_writer_u64(&w, addrs);
        cs_json_writer_key(&w, "clusters");
        cs_json_writer_u64(&w, st->clusters);
        cs_json_writer_key(&w, "singletons");
        cs_json_writer_u64(&w, st->singletons);
        cs_json_writer_key(&w, "largest");
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "size");
        cs_json_writer_u64(&w, st->largest);
        cs_json_writer_key(&w, "share");
        snprintf(num, sizeof num, "%.6f", share);
        cs_json_writer_number_text(&w, num, strlen(num));
        cs_json_writer_key(&w, "cluster");
        cs_json_writer_u64(&w, st->largest_id);
        cs_json_writer_key(&w, "address");
        cs_json_writer_string(&w, largest_addr);
        cs_json_writer_end_object(&w);
        cs_json_writer_key(&w, "coinjoin_vetoed");
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "total");
        cs_json_writer_u64(&w, vetoed);
        for (int i = 1; i < CS_CJP_COUNT; i++)
            if (i != CS_CJP_TX0) {
                cs_json_writer_key(&w, cs_cj_protocol_name(i));
                cs_json_writer_u64(&w, st->vetoed[i]);
            }
        cs_json_writer_end_object(&w);
        cs_json_writer_key(&w, "multi_input_txs");
        cs_json_writer_u64(&w, st->multi_input_txs);
        cs_json_writer_key(&w, "change_links");
        cs_json_writer_u64(&w, st->change_links);
        cs_json_writer_key(&w, "inputs");
        cs_json_writer_u64(&w, st->inputs);
        cs_json_writer_key(&w, "tags");
        cs_json_writer_string(&w, st->tags);
        cs_json_writer_end_object(&w);
        return cli_json_end("cluster", &w);
    }
    printf("heuristics   %s\n", st->spec);
    if (r->full)
        printf("run          full recompute (%s): %llu txs, %llu inputs in %.2f s%s\n", r->reason,
               (unsigned long long)r->txs, (unsigned long long)r->inputs, r->seconds,
               interrupted ? ", interrupted" : "");
    else if (r->txs)
        printf("run          update: %llu new txs, %llu inputs in %.2f s%s\n",
               (unsigned long long)r->txs, (unsigned long long)r->inputs, r->seconds,
               interrupted ? ", interrupted" : "");
    else
        printf("run          up to date\n");
    printf("chain        %llu blocks (tip height %lld), %llu txs\n", (unsigned long long)st->blocks,
           (long long)st->blocks - 1, (unsigned long long)st->tx);
    printf("addresses    %llu\n", (unsigned long long)addrs);
    printf("clusters     %llu (%llu singletons)\n", (unsigned long long)st->clusters,
           (unsigned long long)st->singletons);
    if (st->largest)
        printf("largest      %llu addresses (%.2f%% of all), cluster %u (%s)\n",
               (unsigned long long)st->largest, 100 * share, st->largest_id, largest_addr);
    printf("coinjoin     %llu txs vetoed", (unsigned long long)vetoed);
    int first = 1;
    for (int i = 1; i < CS_CJP_COUNT; i++) {
        if (!st->vetoed[i]) continue;
        printf("%s%s %llu", first ? " (" : ", ", cs_cj_protocol_name(i),
               (unsigned long long)st->vetoed[i]);
        first = 0;
    }
    printf("%s\n", first ? "" : ")");
    printf("multi-input  %llu txs joined their inputs\n", (unsigned long long)st->multi_input_txs);
    printf("change links %llu\n", (unsigned long long)st->change_links);
    return 0;
}

static int export_csv(const char *db, const struct cs_store *s, const char *path)
{
    struct cs_clusterdb *c;
    int rc = cs_clusterdb_open(&c, db, cs_store_chain(s));
    if (rc) return cli_fail_err("cluster", rc);
    uint64_t behind;
    if ((rc = cs_clusterdb_check(c, s, &behind))) {
        cs_clusterdb_close(c);
        return cli_fail_err("cluster", rc);
    }
    FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
    if (!f) {
        cs_clusterdb_close(c);
        return cli_fail("cluster", "--export %s: cannot create: %s", path, strerror(errno));
    }
    rc = cs_clusterdb_export_csv(c, s, f);
    if (f != stdout && fclose(f) && !rc) rc = cs_error(CS_EIO, "--export %s: close failed", path);
    cs_clusterdb_close(c);
    return rc ? cli_fail_err("cluster", rc) : 0;
}

/* `cluster name ID|ADDR LABEL` and `cluster note ID|ADDR TEXT` */
static int cluster_label(int argc, char **argv)
{
    const char *db = cli_default_db(), *chain = cs_chain_default()->name;
    int npos, field = !strcmp(argv[0], "name") ? 'n' : 't';
    const struct cli_opt opts[] = {
        CLI_STRING("db", 0, &db, "DIR", CLI_HELP_DB),
        CLI_STRING("chain", 0, &chain, "NAME", CLI_HELP_CHAIN),
        CLI_OPT_TABLE_END,
    };
    const struct cli_cmd cmd = {
        field == 'n' ? "cluster name" : "cluster note",
        field == 'n' ? "usage: chainsleuth cluster name ID|ADDR LABEL [--db DIR] [--chain NAME]\n"
                     : "usage: chainsleuth cluster note ID|ADDR TEXT [--db DIR] [--chain NAME]\n",
        field == 'n'
            ? "Names the entity (cluster) with id ID, or the cluster of address ADDR, for\n"
              "`address`, `tx` and `entity` to show beside it.  LABEL is 1 to 200 bytes of\n"
              "UTF-8 without control characters; \"\" removes the name.\n"
            : "Stores a note on the entity (cluster) with id ID, or the cluster of ADDR, that\n"
              "`address` and `entity` show.  TEXT is up to 4000 bytes of UTF-8 (newlines\n"
              "allowed); \"\" removes the note.\n",
        opts,
        "Names and notes live in DB/CHAIN/names.tsv, replaced atomically.  A record\n"
        "follows its cluster when a later `chainsleuth cluster` merges it into another.\n"
        "Exit codes: 0 ok, 1 error, 2 usage.\n",
        NULL};
    int prc = cli_opt_parse(&cmd, argc, argv, &npos);
    if (prc != CLI_OPT_OK) return prc;
    if (npos != 2)
        return cli_usage(cmd.name, "give the cluster id (or an address) and the %s",
                         field == 'n' ? "name" : "note");
    const char *why = cli_names_check(field, argv[2]);
    if (why) return cli_usage(cmd.name, "%s: %s", field == 'n' ? "LABEL" : "TEXT", why);
    struct cs_store *s;
    int rc = cli_open_store("cluster", db, chain, &s);
    if (rc) return rc;
    struct cs_clusterdb *c;
    if ((rc = cs_clusterdb_open(&c, db, chain))) {
        cs_store_close(s);
        if (rc == CS_ENOTFOUND)
            return cli_fail("cluster", "%s: no clustering: run chainsleuth cluster first", db);
        return cli_fail_err("cluster", rc);
    }
    const char *arg = argv[1];
    uint64_t n = cs_clusterdb_state(c)->addr, id = 0;
    uint32_t cid = CS_UF_NONE;
    int digits = *arg != 0;
    for (const char *q = arg; *q; q++)
        if (*q < '0' || *q > '9') digits = 0;
    if (digits) {
        id = strlen(arg) <= 10 ? strtoull(arg, NULL, 10) : UINT64_MAX;
        if (id && id < n) cid = cs_clusterdb_cid(c, id);
        if (cid == CS_UF_NONE)
            rc = cli_fail("cluster", "no cluster %s (cluster ids run from 1 to %llu)", arg,
                          (unsigned long long)n - 1);
        else if (cid != id)
            rc = cli_fail("cluster",
                          "%s is not a cluster id: address %s belongs to cluster %u (a cluster "
                          "id is the smallest address id of its cluster)",
                          arg, arg, cid);
    } else {
        struct cs_addr a;
        if (cs_addr_parse(arg, cs_store_net(s), &a))
            rc = cli_fail("cluster", "%s", cs_errmsg());
        else if (cs_store_find_addr(s, &a, &id) || id >= n)
            rc = cli_fail("cluster", "%s: not in the clustering (never seen, or newer than the "
                                     "last chainsleuth cluster)",
                          arg);
        else
            cid = cs_clusterdb_cid(c, id);
    }
    if (!rc && (rc = cli_names_set(db, cs_store_chain(s), cid, field, argv[2])))
        rc = cli_fail_err("cluster", rc);
    else if (!rc)
        printf("cluster %u: %s %s\n", cid, field == 'n' ? "name" : "note",
               argv[2][0] ? "set" : "removed");
    cs_clusterdb_close(c);
    cs_store_close(s);
    return rc;
}

int cli_evm_cluster(int argc, char **argv); /* cmd_cluster_evm.c */

/* 1 when the options name an EVM chain (--chain NAME or --chain=NAME) */
static int wants_evm(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        if (!strcmp(argv[i], "--chain") && i + 1 < argc) return cli_chain_is_evm(argv[i + 1]);
        if (!strncmp(argv[i], "--chain=", 8)) return cli_chain_is_evm(argv[i] + 8);
    }
    return 0;
}

int cmd_cluster(int argc, char **argv)
{
    if (wants_evm(argc, argv)) return cli_evm_cluster(argc, argv);
    if (argc >= 2 && (!strcmp(argv[1], "name") || !strcmp(argv[1], "note")))
        return cluster_label(argc - 1, argv + 1);
    const char *db = cli_default_db(), *chain = cs_chain_default()->name, *spec = NULL,
               *export_path = NULL, *share_s = NULL;
    int json = 0, quiet = 0, full = 0, npos;
    double warn_share = 0.05;
    const struct cli_opt opts[] = {
        CLI_STRING("heuristics", 0, &spec, "LIST", HEURISTICS_HELP),
        CLI_STRING("warn-share", 0, &share_s, "F",
                   "warn on stderr when one cluster holds more than the share F\n"
                   "of all addresses (default 0.05; a super-cluster usually\n"
                   "means one false link merged unrelated entities)"),
        CLI_STRING("export", 0, &export_path, "FILE.csv",
                   "also write address,cluster for every address ('-' = stdout)"),
        CLI_FLAG("full", 0, &full, "recompute from scratch"),
        CLI_FLAG("json", 0, &json, "print the report as JSON"),
        CLI_FLAG("quiet", 0, &quiet, "no progress on stderr"),
        CLI_STRING("db", 0, &db, "DIR", CLI_HELP_DB),
        CLI_STRING("chain", 0, &chain, "NAME", CLI_HELP_CHAIN),
        CLI_OPT_TABLE_END,
    };
    const struct cli_cmd cmd = {"cluster", USAGE, ABOUT, opts, EPILOG, NULL};
    int prc = cli_opt_parse(&cmd, argc, argv, &npos);
    if (prc != CLI_OPT_OK) return prc;
    if (npos) return cli_usage("cluster", "unexpected argument '%s'", argv[1]);
    if (share_s) {
        char *end;
        warn_share = strtod(share_s, &end);
        if (*end || end == share_s || !(warn_share >= 0 && warn_share <= 1))
            return cli_usage("cluster", "--warn-share: not a share between 0 and 1: %s", share_s);
    }
    if (spec) {
        struct cs_cluster_spec sp;
        if (cs_cluster_spec_parse(spec, &sp)) return cli_usage("cluster", "%s", cs_errmsg());
    }
    if (export_path && json && !strcmp(export_path, "-"))
        return cli_usage("cluster", "--export - and --json both write to stdout");
    struct cs_store *s;
    int orc_ = cli_open_store("cluster", db, chain, &s);
    if (orc_) return orc_;

    struct cs_cluster_opts o = {0};
    o.spec = spec;
    o.full = full;
    struct progress pr = {now_s(), 0, !quiet, isatty(2), 0};
    o.progress = on_progress;
    o.progress_ctx = &pr;
    char tags_id[128];
    struct cs_tagdb *tdb = open_exchange_tags(db, chain, tags_id, sizeof tags_id);
    if (tdb) {
        o.is_exchange = is_exchange;
        o.exchange_ctx = tdb;
        o.tags_id = tags_id;
    }
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    struct cs_cluster_report r;
    int rc = cs_cluster_update(s, db, &o, &r);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    cs_tagdb_close(tdb);
    if (pr.printed && pr.tty) fputc('\n', stderr);
    if (rc && rc != CS_EINTERRUPTED) {
        cs_store_close(s);
        return cli_fail_err("cluster", rc);
    }
    int interrupted = rc == CS_EINTERRUPTED;
    const struct cs_cluster_state *st = &r.state;
    uint64_t addrs = st->addr ? st->addr - 1 : 0;
    if (!(export_path && !strcmp(export_path, "-")) && print_report(&r, s, json, interrupted)) {
        cs_store_close(s);
        return 1;
    }
    if (addrs && (double)st->largest > warn_share * (double)addrs)
        fprintf(stderr,
                "chainsleuth cluster: warning: cluster %u holds %llu of %llu addresses (%.2f%% > "
                "%.2f%%): a super-cluster; one false link (a missed CoinJoin, a PayJoin, a "
                "custodial co-signer) can merge unrelated entities\n",
                st->largest_id, (unsigned long long)st->largest, (unsigned long long)addrs,
                100.0 * (double)st->largest / (double)addrs, 100 * warn_share);
    if (!quiet && r.seconds > 1.0 && !json)
        fprintf(stderr, "cluster: %.1f s (union-find %.2f s for %llu unions)\n", r.seconds,
                r.uf_seconds, (unsigned long long)r.edges);
    if (interrupted) {
        fprintf(stderr,
                "chainsleuth cluster: interrupted at height %lld; progress is kept, run "
                "again to continue\n",
                (long long)st->blocks - 1);
        cs_store_close(s);
        return 130;
    }
    if (export_path) {
        rc = export_csv(db, s, export_path);
        if (rc) {
            cs_store_close(s);
            return rc;
        }
    }
    cs_store_close(s);
    return 0;
}
