/* cmd_cluster_evm.c — `chainsleuth cluster --chain eth` (any EVM chain):
 * Victor's heuristics (src/cluster/evm_cluster.h), the summary, `--why A B`
 * and `--export`.  cmd_cluster.c comes here when --chain names an EVM chain. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "cluster/evm_cluster.h"
#include "evm/store.h"
#include "tags/tags.h"

#include <sys/stat.h>

int cli_evm_cluster(int argc, char **argv);

static const char USAGE[] =
    "usage: chainsleuth cluster --chain eth [--db DIR] [--heuristics LIST] [--json]\n"
    "                           [--deposit-max-diff WEI] [--deposit-max-gap BLOCKS] ...\n"
    "                           [--export FILE.csv]\n"
    "       chainsleuth cluster --chain eth --why ADDR_A ADDR_B [--json]\n";

static const char ABOUT[] =
    "Clusters the accounts of an EVM chain with the three heuristics of Victor 2020\n"
    "(docs/METHODS.md section 3.1) and stores a cluster id per account in\n"
    "DIR/CHAIN/cluster/ (the smallest account row of the cluster), with the store tip\n"
    "it was made at and the evidence of every union.  Every run recomputes from\n"
    "scratch.  --why reads the stored clustering and shows the unions that link two\n"
    "addresses, with their transactions.\n";

static const char HEUR_HELP[] =
    "comma-separated (default deposit,airdrop,selfauth):\n"
    "  deposit      deposit-address reuse: U pays D, D forwards\n"
    "               a' (0 <= a - a' <= --deposit-max-diff) to an\n"
    "               EOA E within --deposit-max-gap blocks: D joins\n"
    "               E, all senders to D form one entity (ETH and\n"
    "               ERC-20 sweeps)\n"
    "  deposit-eth  the same, ETH sweeps only\n"
    "  airdrop      recipients of one airdrop that forward its\n"
    "               amount to a common EOA join it\n"
    "  selfauth     an Approval to an EOA S, then S moving the\n"
    "               owner's tokens itself: owner joins S\n"
    "  all, none";

static const char EPILOG[] =
    "Exchanges E are the chain's exchange-tagged accounts (chainsleuth tags import)\n"
    "and any EOA at least --deposit-min-forwarders accounts forward to.\n"
    "An EOA is an account that sent a transaction; miners (fee recipients, reward\n"
    "receivers) never join a deposit's user entity.  The summary gives accounts,\n"
    "clusters, the largest, per heuristic the unions asked and the joins made, and\n"
    "the time.  Export columns: address,cluster,cluster_address.\n"
    "Exit codes: 0 ok, 1 error, 2 usage, 130 interrupted (nothing committed).\n";

static volatile int stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void jnum(struct cs_json_writer *w, const char *key, uint64_t v)
{
    cs_json_writer_key(w, key);
    cs_json_writer_u64(w, v);
}

static void jaddr(struct cs_json_writer *w, const char *key, const struct cs_evm *s, uint64_t a)
{
    char t[CS_EVM_ADDR_STR];
    cs_json_writer_key(w, key);
    if (!a || a >= cs_evm_counts(s)->acct) {
        cs_json_writer_null(w);
        return;
    }
    cs_evm_addr_lower(cs_evm_acct(s, a), t);
    cs_json_writer_string(w, t);
}

static const char *taddr(const struct cs_evm *s, uint64_t a, char out[CS_EVM_ADDR_STR])
{
    if (!a || a >= cs_evm_counts(s)->acct) return "-";
    cs_evm_addr_format(cs_evm_acct(s, a), out);
    return out;
}

static void txhex(const struct cs_evm *s, uint64_t t, char out[67])
{
    if (t == CS_EVM_NONE || t >= cs_evm_counts(s)->tx) {
        snprintf(out, 67, "-");
        return;
    }
    const uint8_t *h = cs_evm_txhash(s, t);
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 + 2 * i, 3, "%02x", h[i]);
}

static uint64_t txblock(const struct cs_evm *s, uint64_t t)
{
    if (t == CS_EVM_NONE || t >= cs_evm_counts(s)->tx) return 0;
    return cs_evm_block(s, cs_evm_tx(s, t)->block)->number;
}

static int print_summary(const struct cs_evmclu_state *st, const struct cs_evm *s, int json)
{
    uint64_t accts = st->accounts ? st->accounts - 1 : 0;
    double share = accts ? (double)st->largest / (double)accts : 0;
    if (json) {
        char num[64];
        struct cs_json_writer w;
        cli_json_begin(&w);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "chain");
        cs_json_writer_string(&w, st->chain);
        cs_json_writer_key(&w, "heuristics");
        cs_json_writer_string(&w, st->spec);
        jnum(&w, "blocks", st->blocks);
        jnum(&w, "tip_block", st->tip_number);
        jnum(&w, "txs", st->txs);
        jnum(&w, "transfers", st->xfers);
        jnum(&w, "accounts", accts);
        jnum(&w, "eoas", st->eoas);
        jnum(&w, "miners", st->miners);
        jnum(&w, "clusters", st->clusters);
        jnum(&w, "singletons", st->singletons);
        cs_json_writer_key(&w, "largest");
        cs_json_writer_begin_object(&w);
        jnum(&w, "size", st->largest);
        cs_json_writer_key(&w, "share");
        snprintf(num, sizeof num, "%.6f", share);
        cs_json_writer_number_text(&w, num, strlen(num));
        jnum(&w, "cluster", st->largest_id);
        jaddr(&w, "address", s, st->largest_id);
        cs_json_writer_end_object(&w);
        jnum(&w, "deposit_addresses", st->deposits);
        jnum(&w, "deposit_addresses_by_token_sweep", st->deposit_token_deposits);
        jnum(&w, "exchanges", st->exchanges);
        jnum(&w, "airdrops", st->airdrops);
        jnum(&w, "aggregators", st->aggregators);
        jnum(&w, "approvals", st->approvals);
        cs_json_writer_key(&w, "unions");
        cs_json_writer_begin_object(&w);
        for (int i = 1; i < 5; i++) {
            cs_json_writer_key(&w, cs_evmclu_ev_name(i));
            cs_json_writer_begin_object(&w);
            jnum(&w, "asked", st->unions[i]);
            jnum(&w, "joined", st->merges[i]);
            cs_json_writer_end_object(&w);
        }
        cs_json_writer_end_object(&w);
        jnum(&w, "evidence", st->evidence);
        cs_json_writer_key(&w, "seconds");
        snprintf(num, sizeof num, "%.3f", st->seconds);
        cs_json_writer_number_text(&w, num, strlen(num));
        cs_json_writer_end_object(&w);
        return cli_json_end("cluster", &w);
    }
    char a[CS_EVM_ADDR_STR];
    printf("heuristics   %s\n", st->spec);
    printf("chain        %s: %llu blocks (tip block %llu), %llu txs, %llu transfers\n", st->chain,
           (unsigned long long)st->blocks, (unsigned long long)st->tip_number,
           (unsigned long long)st->txs, (unsigned long long)st->xfers);
    printf("accounts     %llu (%llu EOAs, %llu miners)\n", (unsigned long long)accts,
           (unsigned long long)st->eoas, (unsigned long long)st->miners);
    printf("clusters     %llu (%llu singletons)\n", (unsigned long long)st->clusters,
           (unsigned long long)st->singletons);
    if (st->largest)
        printf("largest      %llu accounts (%.2f%%), cluster %llu (%s)\n",
               (unsigned long long)st->largest, 100 * share, (unsigned long long)st->largest_id,
               taddr(s, st->largest_id, a));
    printf("deposit      %llu deposit addresses (%llu by a token sweep), %llu exchange EOAs; "
           "unions deposit-exchange %llu asked / %llu joined, deposit-user %llu / %llu\n",
           (unsigned long long)st->deposits, (unsigned long long)st->deposit_token_deposits,
           (unsigned long long)st->exchanges, (unsigned long long)st->unions[1],
           (unsigned long long)st->merges[1], (unsigned long long)st->unions[2],
           (unsigned long long)st->merges[2]);
    printf("airdrop      %llu airdrops, %llu aggregators; unions %llu / %llu\n",
           (unsigned long long)st->airdrops, (unsigned long long)st->aggregators,
           (unsigned long long)st->unions[3], (unsigned long long)st->merges[3]);
    printf("selfauth     %llu approvals kept; unions %llu / %llu\n",
           (unsigned long long)st->approvals, (unsigned long long)st->unions[4],
           (unsigned long long)st->merges[4]);
    printf("time         %.2f s\n", st->seconds);
    return 0;
}

/* The account rows of the chain's exchange-tagged addresses (malloc'ed), and a
 * fingerprint of the tag table; none when there is no tag table. */
static uint64_t *exchange_rows(const char *db, const struct cs_evm *s, size_t *n, char *id,
                               size_t cap)
{
    *n = 0;
    snprintf(id, cap, "none");
    struct cs_tagdb *tdb = NULL;
    if (cs_tagdb_open(db, 0, &tdb)) {
        cs_error_clear();
        return NULL;
    }
    size_t cursor = 0, k = 0, cp = 16;
    uint64_t *v = cs_xmalloc(cp * sizeof *v);
    struct cs_tag t;
    struct cs_tag_filter f = {CS_TAG_EXCHANGE, cs_evm_chain(s)->name, NULL, NULL, NULL};
    while (cs_tagdb_find(tdb, &f, &cursor, &t)) {
        uint8_t a[20];
        uint64_t row;
        if (cs_evm_addr_parse(t.address, a) || cs_evm_find_acct(s, a, &row)) {
            cs_error_clear();
            continue;
        }
        if (k == cp) v = cs_xrealloc(v, (cp *= 2) * sizeof *v);
        v[k++] = row;
    }
    char p[4200];
    struct stat sb;
    snprintf(p, sizeof p, "%s/tags/tags.tsv", db);
    if (!stat(p, &sb))
        snprintf(id, cap, "tags.tsv:%zu-tags:%lld-bytes:%lld.%09ld:%zu-exchange-accounts",
                 cs_tagdb_count(tdb), (long long)sb.st_size, (long long)sb.st_mtim.tv_sec,
                 sb.st_mtim.tv_nsec, k);
    cs_tagdb_close(tdb);
    *n = k;
    return v;
}

static int find_addr(const char *cmd, const struct cs_evm *s, const char *text, uint64_t *row)
{
    uint8_t a[20];
    if (cs_evm_addr_parse(text, a)) return cli_usage(cmd, "%s", cs_errmsg());
    if (cs_evm_find_acct(s, a, row)) return cli_fail(cmd, "%s: not in the store", text);
    return 0;
}

/* one hop in words */
static void hop_text(const struct cs_evm *s, const struct cs_evmclu *c,
                     const struct cs_evmclu_hop *h)
{
    char a[CS_EVM_ADDR_STR], b[CS_EVM_ADDR_STR], v[CS_EVM_ADDR_STR], t1[67], t2[67], t3[67];
    const struct cs_evmclu_ev *e = &h->ev;
    txhex(s, e->tx, t1);
    txhex(s, e->tx2, t2);
    printf("%s -> %s  %s\n", taddr(s, h->from, a), taddr(s, h->to, b), cs_evmclu_ev_name(e->heur));
    switch (e->heur) {
    case CS_EVMCLU_EV_DEPOSIT_EXCHANGE:
        printf("    %s is a deposit address of %s: it forwarded %s in tx %s (block %llu)\n"
               "    after its last inflow in tx %s (block %llu)\n",
               taddr(s, e->a, a), taddr(s, e->b, b), e->asset_token ? "a token sweep" : "ETH",
               t1, (unsigned long long)txblock(s, e->tx), t2,
               (unsigned long long)txblock(s, e->tx2));
        break;
    case CS_EVMCLU_EV_DEPOSIT_USER: {
        const struct cs_evmclu_ev *d = cs_evmclu_deposit_of(c, e->via);
        txhex(s, d ? d->tx : CS_EVM_NONE, t3);
        printf("    both paid deposit address %s: %s in tx %s (block %llu), %s in tx %s (block "
               "%llu)\n",
               taddr(s, e->via, v), taddr(s, e->a, a), t2, (unsigned long long)txblock(s, e->tx2),
               taddr(s, e->b, b), t1, (unsigned long long)txblock(s, e->tx));
        if (d)
            printf("    a deposit address of %s by its forward in tx %s (block %llu)\n",
                   taddr(s, d->b, b), t3, (unsigned long long)txblock(s, d->tx));
        break;
    }
    case CS_EVMCLU_EV_AIRDROP:
        printf("    %s received token %s in airdrop tx %s (block %llu) and forwarded the same\n"
               "    amount to aggregator %s in tx %s (block %llu)\n",
               taddr(s, e->a, a), taddr(s, e->via, v), t2, (unsigned long long)txblock(s, e->tx2),
               taddr(s, e->b, b), t1, (unsigned long long)txblock(s, e->tx));
        break;
    case CS_EVMCLU_EV_SELFAUTH:
        printf("    %s approved %s on token %s in tx %s (block %llu); the spender moved the\n"
               "    owner's tokens itself in tx %s (block %llu)\n",
               taddr(s, e->a, a), taddr(s, e->b, b), taddr(s, e->via, v), t2,
               (unsigned long long)txblock(s, e->tx2), t1, (unsigned long long)txblock(s, e->tx));
        break;
    }
}

static int do_why(const char *db, const char *chain, const char *sa, const char *sb, int json)
{
    struct cs_evm *s;
    int rc = cli_evm_open("cluster", db, chain, &s);
    if (rc) return rc;
    uint64_t a, b;
    if ((rc = find_addr("cluster", s, sa, &a)) || (rc = find_addr("cluster", s, sb, &b))) {
        cs_evm_close(s);
        return rc;
    }
    struct cs_evmclu *c;
    int stale;
    if ((rc = cs_evmclu_open_any(&c, db, s, &stale))) {
        cs_evm_close(s);
        return cli_fail_err("cluster", rc);
    }
    if (stale) fprintf(stderr, "chainsleuth cluster: warning: %s\n", cs_errmsg());
    struct cs_evmclu_hop *h = NULL;
    size_t n = 0;
    uint64_t ca = cs_evmclu_cid(c, a), cb = cs_evmclu_cid(c, b);
    int linked = ca == cb;
    if (linked && (rc = cs_evmclu_why(c, a, b, &h, &n))) {
        cs_evmclu_close(c);
        cs_evm_close(s);
        return cli_fail_err("cluster", rc);
    }
    if (json) {
        struct cs_json_writer w;
        cli_json_begin(&w);
        cs_json_writer_begin_object(&w);
        jaddr(&w, "a", s, a);
        jaddr(&w, "b", s, b);
        jnum(&w, "cluster_a", ca);
        jnum(&w, "cluster_b", cb);
        cs_json_writer_key(&w, "linked");
        cs_json_writer_bool(&w, linked);
        cs_json_writer_key(&w, "stale");
        cs_json_writer_bool(&w, stale);
        cs_json_writer_key(&w, "hops");
        cs_json_writer_begin_array(&w);
        for (size_t i = 0; i < n; i++) {
            const struct cs_evmclu_ev *e = &h[i].ev;
            char t[67];
            cs_json_writer_begin_object(&w);
            jaddr(&w, "from", s, h[i].from);
            jaddr(&w, "to", s, h[i].to);
            cs_json_writer_key(&w, "heuristic");
            cs_json_writer_string(&w, cs_evmclu_ev_name(e->heur));
            jaddr(&w, "a", s, e->a);
            jaddr(&w, "b", s, e->b);
            jaddr(&w, "via", s, e->via);
            if (e->heur == CS_EVMCLU_EV_DEPOSIT_USER) {
                const struct cs_evmclu_ev *d = cs_evmclu_deposit_of(c, e->via);
                jaddr(&w, "exchange", s, d ? d->b : 0);
                txhex(s, d ? d->tx : CS_EVM_NONE, t);
                cs_json_writer_key(&w, "sweep_tx");
                cs_json_writer_string(&w, t);
            }
            txhex(s, e->tx, t);
            cs_json_writer_key(&w, "tx");
            cs_json_writer_string(&w, t);
            jnum(&w, "block", txblock(s, e->tx));
            txhex(s, e->tx2, t);
            cs_json_writer_key(&w, "tx2");
            cs_json_writer_string(&w, t);
            jnum(&w, "block2", txblock(s, e->tx2));
            cs_json_writer_end_object(&w);
        }
        cs_json_writer_end_array(&w);
        cs_json_writer_end_object(&w);
        rc = cli_json_end("cluster", &w);
    } else if (!linked) {
        char x[CS_EVM_ADDR_STR], y[CS_EVM_ADDR_STR];
        printf("%s (cluster %llu) and %s (cluster %llu) are not in one cluster\n",
               taddr(s, a, x), (unsigned long long)ca, taddr(s, b, y), (unsigned long long)cb);
    } else {
        printf("cluster %llu: %zu union%s\n", (unsigned long long)ca, n, n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++)
            hop_text(s, c, &h[i]);
    }
    free(h);
    cs_evmclu_close(c);
    cs_evm_close(s);
    return rc;
}

static int do_export(const char *db, const struct cs_evm *s, const char *path)
{
    struct cs_evmclu *c;
    int rc = cs_evmclu_open(&c, db, s);
    if (rc) return cli_fail_err("cluster", rc);
    FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
    if (!f) {
        cs_evmclu_close(c);
        return cli_fail("cluster", "--export %s: cannot create: %s", path, strerror(errno));
    }
    rc = cs_evmclu_export_csv(c, s, f);
    if (f != stdout && fclose(f) && !rc) rc = cs_error(CS_EIO, "--export %s: close failed", path);
    cs_evmclu_close(c);
    return rc ? cli_fail_err("cluster", rc) : 0;
}

int cli_evm_cluster(int argc, char **argv)
{
    const char *db = cli_default_db(), *chain = cs_evm_chain_at(0)->name, *heur = NULL, *why = NULL,
               *export_path = NULL;
    int json = 0, quiet = 0, npos;
    struct cs_evmclu_params p;
    cs_evmclu_params_default(&p);
    const struct cli_opt opts[] = {
        CLI_STRING("heuristics", 0, &heur, "LIST", HEUR_HELP),
        CLI_U64("deposit-max-diff", 0, &p.deposit_max_diff, "WEI", 0, UINT64_MAX,
                "most a deposit's forward may fall short of what D\n"
                "received (default 10000000000000000 = 0.01 ETH)"),
        CLI_U64("deposit-max-gap", 0, &p.deposit_max_gap, "BLOCKS", 0, UINT64_MAX,
                "most blocks between D's inflows and the forward\n"
                "(default 10000)"),
        CLI_U64("deposit-token-max-diff", 0, &p.token_max_diff, "UNITS", 0, UINT64_MAX,
                "the same for ERC-20 sweeps, in the token's base units\n"
                "(default 0: the whole amount is forwarded)"),
        CLI_U64("deposit-min-forwarders", 0, &p.deposit_min_forwarders, "N", 1, UINT64_MAX,
                "an untagged EOA counts as an exchange once N distinct\n"
                "accounts forward to it (default 20; exchange-tagged\n"
                "accounts always count)"),
        CLI_FLAG("deposit-exclusive", 0, &p.deposit_exclusive,
                 "a sender that paid two or more deposit addresses of one\n"
                 "exchange joins none of their users (not in Victor's rule;\n"
                 "off by default)"),
        CLI_U64("airdrop-min", 0, &p.airdrop_min, "N", 1, UINT64_MAX,
                "recipients of one (token, distributor, amount) that make\n"
                "an airdrop (default 1000)"),
        CLI_U64("airdrop-max-gap", 0, &p.airdrop_max_gap, "BLOCKS", 0, UINT64_MAX,
                "largest median block gap between its transfers (default 2)"),
        CLI_U64("airdrop-min-senders", 0, &p.airdrop_min_senders, "N", 1, UINT64_MAX,
                "recipients that must forward to one aggregator (default 2)"),
        CLI_STRING("why", 0, &why, "ADDR_A",
                   "with a second address ADDR_B after it: show the unions that\n"
                   "link them in the stored clustering (no run)"),
        CLI_STRING("export", 0, &export_path, "FILE.csv",
                   "also write address,cluster,cluster_address ('-' = stdout)"),
        CLI_FLAG("json", 0, &json, "print the summary (or --why) as JSON"),
        CLI_FLAG("quiet", 0, &quiet, "nothing on stderr but errors"),
        CLI_STRING("db", 0, &db, "DIR", CLI_HELP_DB),
        CLI_STRING("chain", 0, &chain, "NAME", CLI_HELP_CHAIN),
        CLI_OPT_TABLE_END,
    };
    const struct cli_cmd cmd = {"cluster", USAGE, ABOUT, opts, EPILOG, NULL};
    int prc = cli_opt_parse(&cmd, argc, argv, &npos);
    if (prc != CLI_OPT_OK) return prc;
    if (heur && cs_evmclu_heuristics_parse(heur, &p.heuristics))
        return cli_usage("cluster", "%s", cs_errmsg());
    if (why) {
        if (npos != 1) return cli_usage("cluster", "--why takes two addresses: --why ADDR_A ADDR_B");
        if (export_path) return cli_usage("cluster", "--why and --export do not go together");
        return do_why(db, chain, why, argv[1], json);
    }
    if (npos) return cli_usage("cluster", "unexpected argument '%s'", argv[1]);
    if (export_path && json && !strcmp(export_path, "-"))
        return cli_usage("cluster", "--export - and --json both write to stdout");
    struct cs_evm *s;
    int rc = cli_evm_open("cluster", db, chain, &s);
    if (rc) return rc;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    char tags_id[160];
    size_t nx;
    uint64_t *xs = exchange_rows(db, s, &nx, tags_id, sizeof tags_id);
    p.exchanges = xs;
    p.n_exchanges = nx;
    p.tags_id = tags_id;
    struct cs_evmclu_report r;
    rc = cs_evmclu_run(s, db, &p, &stop_flag, &r);
    free(xs);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rc == CS_EINTERRUPTED) {
        fprintf(stderr, "chainsleuth cluster: interrupted; nothing was committed\n");
        cs_evm_close(s);
        return 130;
    }
    if (rc) {
        cs_evm_close(s);
        return cli_fail_err("cluster", rc);
    }
    if (!(export_path && !strcmp(export_path, "-")) && print_summary(&r.state, s, json)) {
        cs_evm_close(s);
        return 1;
    }
    uint64_t accts = r.state.accounts ? r.state.accounts - 1 : 0;
    if (!quiet && accts && r.state.largest > accts / 4)
        fprintf(stderr,
                "chainsleuth cluster: warning: cluster %llu holds %llu of %llu accounts (%.2f%%): "
                "a super-cluster often means a false link (an exchange paying into deposit "
                "addresses, a shared forwarder)\n",
                (unsigned long long)r.state.largest_id, (unsigned long long)r.state.largest,
                (unsigned long long)accts, 100.0 * (double)r.state.largest / (double)accts);
    if (export_path) rc = do_export(db, s, export_path);
    cs_evm_close(s);
    return rc;
}
