/* cmd_trace.c — `chainsleuth trace`: follow tainted coins forward or backward
 * through the store and write a case report (human table, JSON, CSV, DOT or
 * a self-contained HTML file).  The walk is src/trace/trace.h, attribution
 * src/trace/attrib.h, the writers src/report/report.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "chain/chain.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "report/report.h"
#include "tags/tags.h"
#include "trace/attrib.h"
#include "trace/trace.h"
#include "util/codec.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/timefmt.h"

static const char USAGE[] = "usage: chainsleuth trace [--db DIR] [--chain NAME] SEEDS --policy P "
                            "[options] [--json | --csv | --dot |\n"
                            "                         --html FILE]\n";

static const char ABOUT[] =
    "Follows tainted coins through the chain in the store: forward (where did they\n"
    "go) or, with --backward, where they came from.  Transactions are processed in\n"
    "chain order (docs/METHODS.md section 1, installed in share/doc/chainsleuth);\n"
    "amounts are exact satoshi.  On EVM chains (--chain eth ...) value is followed\n"
    "in the account model (METHODS section 1.6): lots per holder and asset, exact\n"
    "wei and token units, swaps and wraps carrying the taint fraction; seeds are\n"
    "transfers (--tx, --address with --from-block/--to-block, --label).\n"
    "Seeds: --tx, --address, --label in any combination; at least one output must\n"
    "result.  Policy: --policy (required), --fee-convention, --backward.  Limits:\n"
    "--max-hops, --min-amount, --until-height, --stop-at, --no-cluster,\n"
    "--no-sweep-rule.  Output (default: a summary table): --json, --csv, --dot or\n"
    "--html FILE, at most one of them.\n";

static const char EPILOG[] =
    "Attribution: an address belongs to an entity when any address of its cluster\n"
    "(chainsleuth cluster) carries a tag (chainsleuth tags import); without a\n"
    "clustering the address's own tags are used and the report says so.  Sweep rule:\n"
    "an output spent by a multi-input transaction that pays only one stopping\n"
    "entity (an exchange sweeping its deposit addresses) ends at that entity.\n"
    "Fees: tainted value paid as a fee is reported in \"fees\" and not followed into\n"
    "the miner's coinbase.  Poison is not conservative: totals may exceed the seed,\n"
    "so its share column is \"max share\" = min(amount, seed) / seed, the most of\n"
    "the seed's value that can have gone to (come from) that entity.\n"
    "For the other policies seed = sinks + frontier + fees + dropped, exactly.\n"
    "Exit codes: 0 ok, 1 error, 2 usage.\n";

struct seedlist {
    struct cs_trace_seed *v;
    size_t n, cap;
};

static void seed_add(struct seedlist *l, uint64_t out)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = cs_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = (struct cs_trace_seed){out, 0, CS_TRACE_WHOLE};
}

static int all_digits(const char *p)
{
    if (!*p || strlen(p) > 10) return 0;
    for (; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    return 1;
}

/* outputs of address id in [from, to] heights */
static void seeds_of_addr(const struct cs_store *s, uint64_t addr, int64_t from, int64_t to,
                          struct seedlist *l)
{
    for (uint64_t o = cs_store_addr_head(s, addr); o != CS_NONE64; o = cs_store_out_next(s, o)) {
        int64_t h = cs_store_tx(s, cs_store_out_tx(s, o))->height;
        if ((from >= 0 && h < from) || (to >= 0 && h > to)) continue;
        if (cs_store_out(s, o)->value) seed_add(l, o);
    }
}

static int progress(void *ctx, uint64_t visited, uint64_t pending)
{
    double *t0 = ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    if (now - *t0 > 1.0)
        fprintf(stderr, "\rtrace: %llu transactions visited, %llu pending   ",
                (unsigned long long)visited, (unsigned long long)pending);
    return 0;
}

/* the command as it would be run with --json instead of --html/--csv/--dot */
static int skip_valued(const char *a)
{
    static const char *const v[] = {"--html",       "--db",           "--case-id",
                                    "--case-title", "--investigator", "--unit"};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        size_t l = strlen(v[k]);
        if (!strcmp(a, v[k])) return 2;
        if (!strncmp(a, v[k], l) && a[l] == '=') return 1;
    }
    return 0;
}

/* with --db DB (absolute) first, and without the report-only options, so it
 * runs as shown from any directory and prints the JSON the report hashes */
static char *command_line(int argc, char **argv, const char *db)
{
    char dbabs[4096];
    if (!realpath(db, dbabs)) snprintf(dbabs, sizeof dbabs, "%s", db);
    char *dbv[] = {"--db", dbabs};
    size_t cap = 256, n = 0;
    char *s = cs_xmalloc(cap);
    n += (size_t)snprintf(s, cap, "chainsleuth trace");
    for (int i = -1; i < argc; i++) {
        const char *a = i < 1 ? (i < 0 ? dbv[0] : dbv[1]) : argv[i];
        if (i == 0) a = dbv[1];
        if (i >= 1) {
            int sk = skip_valued(a);
            if (sk) {
                i += sk - 1;
                continue;
            }
        }
        if (i >= 1 && (!strcmp(a, "--csv") || !strcmp(a, "--dot") || !strcmp(a, "--json")))
            continue;
        size_t need = n + strlen(a) * 4 + 8;
        if (need > cap) s = cs_xrealloc(s, cap = need * 2);
        int quote = !*a || strpbrk(a, " \t'\"$`\\|&;<>()*?[]{}~#!") != NULL;
        s[n++] = ' ';
        if (!quote) {
            memcpy(s + n, a, strlen(a));
            n += strlen(a);
        } else {
            s[n++] = '\'';
            for (; *a; a++) {
                if (*a == '\'') {
                    memcpy(s + n, "'\\''", 4);
                    n += 4;
                } else {
                    s[n++] = *a;
                }
            }
            s[n++] = '\'';
        }
    }
    if (n + 10 > cap) s = cs_xrealloc(s, cap = n + 16);
    memcpy(s + n, " --json", 8);
    return s;
}

/* --stop-at: "none", or comma-separated categories, into a bit mask.
 * Returns NULL, or the word that is no category (in buf). */
static const char *parse_stop(const char *stop_s, uint32_t *mask, char *buf, size_t cap)
{
    *mask = 0;
    snprintf(buf, cap, "%s", stop_s);
    if (!strcasecmp(buf, "none") || !*buf) return NULL;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int cat = cs_tag_category_parse(tok);
        if (cat < 0) return tok;
        *mask |= 1u << cat;
    }
    return NULL;
}

/* the investigator's name of addr's cluster (cluster name ID LABEL) */
static const char *cluster_name_cb(void *ctx, uint64_t addr, int64_t *cid)
{
    static char name[CLI_NAME_MAX * 2 + 8];
    const struct cli_who *w = ctx;
    int64_t c = cli_who_cluster(w, addr);
    if (c < 0) return NULL;
    char note[8];
    cli_who_names(w, c, name, sizeof name, note, sizeof note);
    *cid = c;
    return name;
}

int cmd_trace(int argc, char **argv)
{
    const char *db = cli_default_db(), *chain = cs_chain_default()->name, *address = NULL,
               *label = NULL, *html = NULL, *case_id = NULL, *case_title = NULL,
               *investigator = NULL;
    const char *policy_s = NULL, *fee_s = "fee-last", *stop_s = "exchange,mixer,bridge,sanctioned";
    struct cli_strlist txlist = {0};
    int backward = 0, check_ledger = 0, mixer_links = 0, no_cluster = 0, no_sweep = 0,
        mode = 0; /* 0 table, 'j', 'c', 'd', 'h' */
    int want_json = 0, want_csv = 0, want_dot = 0, npos;
    uint64_t from_v = UINT64_MAX, to_v = UINT64_MAX, until_v = UINT64_MAX; /* MAX: not given */
    const char *min_amount_s = NULL;
    uint64_t min_amount = 0, max_hops = CS_TRACE_UNLIMITED, v;
    const struct cli_opt opts[] = {
        CLI_STRING("db", 0, &db, "DIR", CLI_HELP_DB),
        CLI_STRING("chain", 0, &chain, "NAME", CLI_HELP_CHAIN),
        CLI_LIST("tx", 0, &txlist, "TXID[:VOUT]",
                 "seed: that output, or without :VOUT every output of the\n"
                 "transaction (forward: all it paid out; backward: where all\n"
                 "of it came from); repeatable"),
        CLI_STRING("address", 0, &address, "ADDR",
                   "seed: every output ADDR received, within --from-height and\n"
                   "--to-height when given"),
        CLI_STRING("label", 0, &label, "LABEL",
                   "seed: every output received by an address tagged LABEL (exact\n"
                   "label, case-insensitive; chainsleuth tags list), same range"),
        CLI_U64("from-height", 0, &from_v, "H1", 0, INT64_MAX,
                "lowest height of --address/--label seeds"),
        CLI_U64("to-height", 0, &to_v, "H2", 0, INT64_MAX,
                "highest height of --address/--label seeds"),
        CLI_U64("from-block", 0, &from_v, "N", 0, INT64_MAX,
                "EVM chains: lowest block of --address/--label seeds"),
        CLI_U64("to-block", 0, &to_v, "N", 0, INT64_MAX,
                "EVM chains: highest block of --address/--label seeds"),
        CLI_U64("until-block", 0, &until_v, "N", 0, INT64_MAX,
                "EVM chains: do not follow into blocks above N"),
        CLI_STRING("policy", 0, &policy_s, "P", "poison | haircut | fifo | lifo | tiho (required)"),
        CLI_STRING("fee-convention", 0, &fee_s, "C",
                   "fee-last (default) | fee-pro-rata, for fifo/lifo/tiho"),
        CLI_FLAG("backward", 0, &backward,
                 "trace back to the origins.  poison: every input fully;\n"
                 "haircut: split over the inputs by value (exact rounding);\n"
                 "fifo, lifo: exact satoshi positions (fee-last only);\n"
                 "tiho cannot run backward (its order needs the answer)."),
        CLI_U64("max-hops", 0, &max_hops, "N", 0, CS_TRACE_UNLIMITED - 1,
                "stop after N transactions from the seed (default: none)"),
        CLI_STRING("min-amount", 0, &min_amount_s, "AMOUNT",
                   "do not follow outputs carrying less taint; their taint is\n"
                   "reported as \"dropped\" (default 0).  " CLI_HELP_AMOUNT),
        CLI_UNIT_OPT,
        CLI_U64("until-height", 0, &until_v, "H", 0, INT64_MAX,
                "forward: do not follow into blocks above H; backward: not\n"
                "below H (default: the whole store)"),
        CLI_STRING("stop-at", 0, &stop_s, "CATS",
                   "categories that end a path, comma-separated, or none\n"
                   "(default exchange,mixer,bridge,sanctioned).  With mixer, a\n"
                   "detected CoinJoin transaction is a sink too (\"coinjoin\")."),
        CLI_FLAG("through-mixer-links", 0, &mixer_links,
                 "EVM chains: continue through Tornado-style pools along the\n"
                 "deposit -> withdrawal links of chainsleuth links (its five\n"
                 "heuristics), as scored hops marked via_mixer_link"),
        CLI_FLAG("check-ledger", 0, &check_ledger,
                 "EVM chains: after the walk, check every followed holder's\n"
                 "ledger balance against the store (O(their history))"),
        CLI_FLAG("no-cluster", 0, &no_cluster, "attribute by each address's own tags only"),
        CLI_FLAG("no-sweep-rule", 0, &no_sweep,
                 "do not treat an output as an entity's deposit when its\n"
                 "spender (2+ inputs) pays nothing but that entity"),
        CLI_FLAG("json", 0, &want_json, "the JSON result (stable: same inputs, same bytes)"),
        CLI_FLAG("csv", 0, &want_csv, "one row per sink and per frontier output"),
        CLI_FLAG("dot", 0, &want_dot, "the flow graph for Graphviz"),
        CLI_STRING("case-id", 0, &case_id, "ID", "case id on the --html title page"),
        CLI_STRING("case-title", 0, &case_title, "TEXT", "case title on the --html title page"),
        CLI_STRING("investigator", 0, &investigator, "NAME",
                   "investigator named on the --html title page"),
        CLI_STRING("html", 0, &html, "FILE",
                   "a self-contained HTML case report (inline SVG graph made\n"
                   "with Graphviz dot when installed, SHA-256 of the JSON);\n"
                   "the summary is printed too"),
        CLI_OPT_TABLE_END,
    };
    const struct cli_cmd cmd = {"trace", USAGE, ABOUT, opts, EPILOG, NULL};
    int rc = 0;
    uint8_t(*txid)[32] = NULL;
    int64_t *vout = NULL;
#define USAGE_ERR(...)                                                                             \
    do {                                                                                           \
        int urc_ = cli_usage("trace", __VA_ARGS__);                                                \
        free(txlist.v);                                                                            \
        free(txid);                                                                                \
        free(vout);                                                                                \
        return urc_;                                                                               \
    } while (0)
    int prc = cli_opt_parse(&cmd, argc, argv, &npos);
    if (prc != CLI_OPT_OK) {
        free(txlist.v);
        return prc;
    }
    const char **txs = txlist.v;
    size_t ntxs = txlist.n;
    int64_t from_h = from_v == UINT64_MAX ? -1 : (int64_t)from_v;
    int64_t to_h = to_v == UINT64_MAX ? -1 : (int64_t)to_v;
    int64_t until_h = until_v == UINT64_MAX ? -1 : (int64_t)until_v;
    if (want_json + want_csv + want_dot + (html != NULL) > 1)
        USAGE_ERR("--json, --csv, --dot and --html exclude each other");
    mode = want_json ? 'j' : want_csv ? 'c' : want_dot ? 'd' : html ? 'h' : 0;
    if (npos) USAGE_ERR("unexpected argument '%s'", argv[1]);
    if (cli_chain_is_evm(chain)) {
        if (!policy_s) USAGE_ERR("--policy is required (poison, haircut, fifo, lifo)");
        uint32_t mask = 0;
        char sb[512];
        const char *bad = parse_stop(stop_s, &mask, sb, sizeof sb);
        if (bad) USAGE_ERR("--stop-at: '%s' is not a category (chainsleuth tags categories)", bad);
        struct cli_evm_trace_args ea = {.db = db,
                                        .chain = chain,
                                        .policy = policy_s,
                                        .address = address,
                                        .label = label,
                                        .min_amount = min_amount_s,
                                        .html = html,
                                        .txs = txs,
                                        .ntxs = ntxs,
                                        .from_block = from_v,
                                        .to_block = to_v,
                                        .until_block = until_v,
                                        .max_hops = max_hops,
                                        .stop_mask = mask,
                                        .backward = backward,
                                        .no_cluster = no_cluster,
                                        .mode = mode,
                                        .unit_base = cli_unit_base,
                                        .check_ledger = check_ledger,
                                        .case_id = case_id,
                                        .case_title = case_title,
                                        .investigator = investigator,
                                        .stop_s = stop_s,
                                        .mixer_links = mixer_links};
        char *cl = html ? command_line(argc, argv, db) : NULL;
        ea.cmdline = cl;
        rc = cli_evm_trace(&ea);
        free(cl);
        free(txlist.v);
        return rc;
    }
    if (mixer_links)
        USAGE_ERR("--through-mixer-links is for EVM chains (Tornado-style pools); on Bitcoin "
                  "a detected CoinJoin is a sink");
    if (min_amount_s && cs_amount_parse_u64(&min_amount, cs_btc_asset(), min_amount_s))
        USAGE_ERR("--min-amount: %s", cs_errmsg());
    if (!policy_s) USAGE_ERR("--policy is required (poison, haircut, fifo, lifo, tiho)");
    struct cs_trace_opts o;
    cs_trace_opts_default(&o);
    if (cs_policy_parse(&o.policy, policy_s)) USAGE_ERR("%s", cs_errmsg());
    if (cs_feeconv_parse(&o.feeconv, fee_s)) USAGE_ERR("%s", cs_errmsg());
    o.backward = backward;
    o.max_hops = (uint32_t)max_hops;
    o.min_amount = min_amount;
    o.until_height = until_h;
    if (backward && o.policy == CS_POLICY_TIHO)
        USAGE_ERR("tiho cannot trace backward: its input order depends on which inputs are "
                  "tainted, which is what a backward trace looks for (use fifo or haircut)");
    if (backward && o.feeconv == CS_FEE_PRORATA && o.policy >= CS_POLICY_FIFO)
        USAGE_ERR("backward %s needs --fee-convention fee-last", cs_policy_name(o.policy));
    /* --stop-at */
    char stop_buf[512];
    const char *bad_stop = parse_stop(stop_s, &o.stop_mask, stop_buf, sizeof stop_buf);
    if (bad_stop)
        USAGE_ERR("--stop-at: '%s' is not a category (chainsleuth tags categories)", bad_stop);
    o.stop_coinjoin = (o.stop_mask >> CS_TAG_MIXER) & 1u;
    o.sweep_rule = !no_sweep;
    if (!ntxs && !address && !label) USAGE_ERR("nothing to trace: give --tx, --address or --label");
    if ((from_h >= 0 || to_h >= 0) && !address && !label)
        USAGE_ERR("--from-height/--to-height apply to --address and --label seeds");

    /* tx seeds: check their syntax before touching the store */
    txid = cs_xmalloc((ntxs + 1) * 32);
    vout = cs_xmalloc((ntxs + 1) * sizeof *vout);
    for (size_t i = 0; i < ntxs; i++) {
        char hex[65];
        const char *colon = strchr(txs[i], ':');
        size_t hl = colon ? (size_t)(colon - txs[i]) : strlen(txs[i]);
        vout[i] = -1;
        if (colon) {
            if (!all_digits(colon + 1) || (v = strtoull(colon + 1, NULL, 10)) > UINT32_MAX)
                USAGE_ERR("--tx %s: the output index after ':' is not a number", txs[i]);
            vout[i] = (int64_t)v;
        }
        if (hl != 64) USAGE_ERR("--tx %s: a txid is 64 hex digits", txs[i]);
        memcpy(hex, txs[i], 64);
        hex[64] = 0;
        if (cs_unhex_rev32(txid[i], hex)) USAGE_ERR("--tx %s: not a hex txid", txs[i]);
    }

    struct cs_store *s = NULL;
    struct cs_attrib *attrib = NULL;
    struct seedlist seeds = {0};
    struct cs_trace_result res;
    memset(&res, 0, sizeof res);
    char *json = NULL, *params = NULL, *dot = NULL, *svg = NULL, *cmdline = NULL;
    size_t json_len = 0, params_len = 0, dot_len = 0, svg_len = 0;
    char note[600] = "";
    FILE *hf = NULL;
    struct cli_who who;
    int have_who = 0;
    if ((rc = cli_open_store("trace", db, chain, &s))) {
        goto out;
    }
    for (size_t i = 0; i < ntxs; i++) {
        uint64_t tx, first, n;
        if (cs_store_find_tx(s, txid[i], &tx)) {
            rc = cli_fail("trace", "transaction %.64s is not in the store %s (tip height %lld)",
                          txs[i], db, (long long)cs_store_height(s));
            goto out;
        }
        cs_store_tx_outs(s, tx, &first, &n);
        if (vout[i] >= 0 && (uint64_t)vout[i] >= n) {
            rc = cli_fail("trace", "%s: the transaction has %llu outputs (0..%llu)", txs[i],
                          (unsigned long long)n, (unsigned long long)(n ? n - 1 : 0));
            goto out;
        }
        for (uint64_t j = 0; j < n; j++)
            if ((vout[i] < 0 || (uint64_t)vout[i] == j) &&
                (cs_store_out(s, first + j)->value || vout[i] >= 0))
                seed_add(&seeds, first + j);
    }
    if (address) {
        struct cs_addr a;
        uint64_t id;
        if (cs_addr_parse(address, cs_store_net(s), &a)) {
            rc = cli_fail("trace", "--address: %s", cs_errmsg());
            goto out;
        }
        if (cs_store_find_addr(s, &a, &id)) {
            rc = cli_fail("trace", "address %s never received anything in this store", address);
            goto out;
        }
        seeds_of_addr(s, id, from_h, to_h, &seeds);
    }
    if (label) {
        struct cs_tagdb *tdb;
        if (cs_tagdb_open(db, 0, &tdb)) {
            rc = cli_fail("trace", "--label: %s (import tags with chainsleuth tags import)",
                          cs_errmsg());
            goto out;
        }
        size_t ntag = cs_tagdb_count(tdb), matched = 0;
        for (size_t i = 0; i < ntag; i++) {
            struct cs_tag t;
            cs_tagdb_get(tdb, i, &t);
            if (strcasecmp(t.label, label) || strcmp(t.chain, cs_store_chain(s))) continue;
            matched++;
            struct cs_addr a;
            uint64_t id;
            if (cs_addr_parse(t.address, cs_store_net(s), &a) || cs_store_find_addr(s, &a, &id))
                continue;
            seeds_of_addr(s, id, from_h, to_h, &seeds);
        }
        cs_tagdb_close(tdb);
        if (!matched) {
            rc = cli_fail("trace",
                          "no Bitcoin address is tagged '%s' (chainsleuth tags list "
                          "--label ...)",
                          label);
            goto out;
        }
    }
    if (!seeds.n) {
        rc = cli_fail("trace", "the seeds select no output with a value in this store");
        goto out;
    }

    if ((rc = cs_attrib_open(&attrib, s, db, !no_cluster, o.stop_mask, note, sizeof note))) {
        rc = cli_fail_err("trace", rc);
        goto out;
    }
    o.attrib = attrib;
    if (mode == 'd' || mode == 'h') o.graph_max_edges = 2000000;
    double t0;
    {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        t0 = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    }
    if (isatty(2)) {
        o.progress = progress;
        o.progress_ctx = &t0;
    }
    if ((rc = cs_trace_run(&res, s, &o, seeds.v, seeds.n))) {
        if (o.progress) fputc('\n', stderr);
        rc = cli_fail_err("trace", rc);
        goto out;
    }
    if (o.progress && res.txs_visited >= 65536) fputc('\n', stderr);

    /* parameters: every option, defaults included (no paths, no output mode,
     * so that --json and --html describe the same result) */
    {
        struct cs_json_writer w;
        cs_json_writer_init_buf(&w, 0);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "policy");
        cs_json_writer_string(&w, cs_policy_name(o.policy));
        cs_json_writer_key(&w, "fee_convention");
        cs_json_writer_string(&w, cs_feeconv_name(o.feeconv));
        cs_json_writer_key(&w, "direction");
        cs_json_writer_string(&w, backward ? "backward" : "forward");
        cs_json_writer_key(&w, "tx");
        cs_json_writer_begin_array(&w);
        for (size_t i = 0; i < ntxs; i++) {
            char hex[65], one[96];
            cs_hex_rev(hex, txid[i]);
            if (vout[i] >= 0)
                snprintf(one, sizeof one, "%s:%lld", hex, (long long)vout[i]);
            else
                snprintf(one, sizeof one, "%s", hex);
            cs_json_writer_string(&w, one);
        }
        cs_json_writer_end_array(&w);
        cs_json_writer_key(&w, "address");
        if (address)
            cs_json_writer_string(&w, address);
        else
            cs_json_writer_null(&w);
        cs_json_writer_key(&w, "label");
        if (label)
            cs_json_writer_string(&w, label);
        else
            cs_json_writer_null(&w);
        cs_json_writer_key(&w, "from_height");
        if (from_h >= 0)
            cs_json_writer_i64(&w, from_h);
        else
            cs_json_writer_null(&w);
        cs_json_writer_key(&w, "to_height");
        if (to_h >= 0)
            cs_json_writer_i64(&w, to_h);
        else
            cs_json_writer_null(&w);
        cs_json_writer_key(&w, "max_hops");
        if (o.max_hops != CS_TRACE_UNLIMITED)
            cs_json_writer_u64(&w, o.max_hops);
        else
            cs_json_writer_null(&w);
        cs_json_writer_key(&w, "min_amount");
        cs_json_writer_u64(&w, o.min_amount);
        cs_json_writer_key(&w, "until_height");
        if (until_h >= 0)
            cs_json_writer_i64(&w, until_h);
        else
            cs_json_writer_null(&w);
        cs_json_writer_key(&w, "stop_at");
        cs_json_writer_begin_array(&w);
        for (int k = 0; k < CS_TAG_NCATEGORIES; k++)
            if ((o.stop_mask >> k) & 1u) cs_json_writer_string(&w, cs_tag_category_name(k));
        cs_json_writer_end_array(&w);
        cs_json_writer_key(&w, "coinjoin_stop");
        cs_json_writer_bool(&w, o.stop_coinjoin);
        cs_json_writer_key(&w, "sweep_rule");
        cs_json_writer_bool(&w, o.sweep_rule && !backward);
        cs_json_writer_key(&w, "cluster_attribution");
        cs_json_writer_bool(&w, !no_cluster);
        cs_json_writer_key(&w, "fees_followed_into_coinbase");
        cs_json_writer_bool(&w, 0);
        cs_json_writer_end_object(&w);
        if ((rc = cs_json_writer_finish(&w, &params, &params_len))) {
            rc = cli_fail_err("trace", rc);
            goto out;
        }
    }
    size_t tags_used = 0;
    cs_attrib_stats(attrib, NULL, &tags_used, NULL);
    struct cs_report_ctx ctx = {.s = s,
                                .r = &res,
                                .parameters_json = params,
                                .attribution_mode = cs_attrib_mode_name(cs_attrib_mode(attrib)),
                                .attribution_note = note,
                                .tags_used = tags_used,
                                .attrib = attrib,
                                .unit_base = cli_unit_base};
    /* investigator names of clusters, beside frontier addresses */
    {
        struct cli_names nm = {0};
        if (!cli_names_load(&nm, db, chain) && nm.n && !cli_who_open(&who, "trace", s, db)) {
            have_who = 1;
            ctx.cluster_name = cluster_name_cb;
            ctx.names_ctx = &who;
        }
        cs_error_clear();
        cli_names_free(&nm);
    }
    switch (mode) {
    case 'j':
        if ((rc = cs_report_json(&ctx, &json, &json_len))) break;
        if (fwrite(json, 1, json_len, stdout) != json_len || fflush(stdout))
            rc = cs_error(CS_EIO, "writing the JSON failed");
        break;
    case 'c':
        rc = cs_report_csv(stdout, &ctx);
        break;
    case 'd':
        if ((rc = cs_report_dot(&ctx, &dot, &dot_len))) break;
        if (fwrite(dot, 1, dot_len, stdout) != dot_len || fflush(stdout))
            rc = cs_error(CS_EIO, "writing the DOT failed");
        break;
    case 'h': {
        if ((rc = cs_report_json(&ctx, &json, &json_len))) break;
        if ((rc = cs_report_dot(&ctx, &dot, &dot_len))) break;
        char svg_note[300] = "";
        int src = cs_report_svg(dot, dot_len, &svg, &svg_len);
        if (src) {
            snprintf(svg_note, sizeof svg_note, "%s", cs_errmsg());
            fprintf(stderr, "chainsleuth trace: no flow graph in the HTML: %s\n", svg_note);
        }
        cmdline = command_line(argc, argv, db);
        char gen[CS_TIME_ISO_MAX];
        cs_time_iso(gen, (int64_t)time(NULL));
        ctx.case_id = case_id;
        ctx.case_title = case_title;
        ctx.investigator = investigator;
        ctx.generated = gen;
        ctx.tool_version = cli_version();
        ctx.git_commit = cli_git_commit();
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.tmp", html);
        hf = fopen(tmp, "wb");
        if (!hf) {
            rc = cs_error(CS_EIO, "%s: cannot create: %s", tmp, strerror(errno));
            break;
        }
        rc = cs_report_html(hf, &ctx, json, json_len, svg, svg_len, svg_note, cmdline);
        if (fclose(hf) && !rc) rc = cs_error(CS_EIO, "%s: write failed: %s", tmp, strerror(errno));
        hf = NULL;
        if (!rc && rename(tmp, html))
            rc = cs_error(CS_EIO, "%s: cannot rename to %s: %s", tmp, html, strerror(errno));
        if (rc) {
            unlink(tmp);
            break;
        }
        if ((rc = cs_report_text(stdout, &ctx, 20))) break;
        uint8_t d[32];
        char hex[65];
        cs_sha256(json, json_len, d);
        cs_hex(hex, d, 32);
        printf("\nreport     %s\njson hash  %s (sha256 of the --json output)\n", html, hex);
        break;
    }
    default:
        rc = cs_report_text(stdout, &ctx, 20);
        break;
    }
    if (rc) rc = cli_fail_err("trace", rc);
out:
    if (have_who) cli_who_close(&who);
    cs_trace_result_free(&res);
    cs_attrib_free(attrib);
    if (s) cs_store_close(s);
    free(seeds.v);
    free(txid);
    free(vout);
    free(txlist.v);
    free(json);
    free(params);
    free(dot);
    free(svg);
    free(cmdline);
    return rc;
#undef USAGE_ERR
}
