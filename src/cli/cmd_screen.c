/* cmd_screen.c — `chainsleuth screen ADDR|TXID ...`: exposure per category,
 * risk level and reasons for each target (the model is src/risk/risk.h,
 * METHODS §5), and `--build-index`, which writes the exposure index. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/chain.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "risk/risk.h"
#include "tags/tags.h"
#include "util/codec.h"

static const char USAGE[] =
    "usage: chainsleuth screen ADDR|TXID ... [--db DIR] [--chain C] [--direction in|out|both]\n"
    "                          [--as-of YYYY-MM-DD] [--explain] [--config FILE] [--json]\n"
    "       chainsleuth screen --build-index [--db DIR] [--chain C] [--config FILE]\n";

static const char ABOUT[] =
    "Screens addresses and transactions for exposure to tagged entities (METHODS.md\n"
    "§5): from each target the funds are followed backward (inflows: where they came\n"
    "from) and forward (outflows: where they went) through untagged entities, split in\n"
    "proportion to value, for up to max_hops hops; mass that reaches a tagged entity\n"
    "is its category's exposure: direct at hop 1, indirect beyond, and decayed by\n"
    "decay^(hop-1).  The score is the largest weight x decayed exposure; the level is\n"
    "SEVERE (direct sanctions exposure, or score >= 0.5), HIGH (>= 0.2), MEDIUM\n"
    "(>= 0.05) or LOW.  An address stands for its cluster (chainsleuth cluster); a\n"
    "transaction's inflows are its inputs, its outflows its outputs.  The reasons name\n"
    "the entity, the hops, the share and the transactions of the last step;\n"
    "--explain adds the heaviest path to each entity.\n"
    "\n"
    "With an exposure index that matches the store, the clustering, the tags and\n"
    "the config (--build-index writes it; rebuild it after `cluster` or a tags\n"
    "import), a screen is an index lookup plus at most scan_budget store rows read\n"
    "for the target's reasons; otherwise, and always with --as-of, it walks the\n"
    "store (at most walk_budget rows; a walk stopped there says \"truncated\").  Reasons\n"
    "from the index name the counterparty that leads to a category, not the entity.\n";

static const char EPILOG[] =
    "Config file (--config): \"key = value\" lines, '#' comments.  Keys: max_hops (6),\n"
    "decay (0.5), weight.CATEGORY (sanctioned 1, stolen_funds/ransomware/hacker_group\n"
    "0.9, darknet 0.8, mixer/scam 0.7, p2p_otc 0.4, gambling 0.3, others 0),\n"
    "level.severe (0.5), level.high (0.2), level.medium (0.05),\n"
    "severe_on_direct_sanctions (true), walk_budget (1000000), scan_budget (1000).\n"
    "An unknown key or a bad value is an error naming the file and line.\n"
    "--as-of D: sanctioned tags with a listing history (chainsleuth tags history)\n"
    "count only if listed on D; without it, only if on the newest list.\n"
    "JSON: one document per target and line: {\"target\",\"type\",\"risk\",\"score\",\n"
    "\"method\",\"owner\",\"exposure\":[...],\"unknown\",\"reasons\":[...]}.\n"
    "Exit codes: 0 ok, 1 error (an unknown address or transaction, a bad config),\n"
    "2 usage (a bad date or option).\n";

static const char *const DIRS[] = {"both", "in", "out", NULL};

/* the session shared with the server (risk/screen.c); json: --json */
struct ctx {
    struct cs_risk_screen_ctx sc;
    int json;
};
#define target cs_risk_target

static void node_addr(const struct ctx *c, uint64_t node, char out[CS_CHAIN_ADDR_MAX])
{
    uint64_t a = cs_risk_store_node_addr(c->sc.rs, node);
    c->sc.chain->addr_format(cs_store_addr(c->sc.s, a), cs_store_net(c->sc.s), out);
}

static void tx_hex(const struct ctx *c, uint64_t tx, char out[65])
{
    cs_hex_rev(out, cs_store_txid(c->sc.s, tx));
}

static void print_text(const struct ctx *c, const struct target *t, const struct cs_risk_result *r)
{
    char a[CS_CHAIN_ADDR_MAX], h[65];
    printf("%s  %s  score %.4f  (%s%s)\n", t->text, cs_risk_level_name(r->level), r->score,
           t->is_tx ? "transaction, " : "", r->from_index ? "index" : "walk");
    if (r->owner_entity >= 0)
        printf("  owner: %s (%s)\n", c->sc.g->entity_label(c->sc.g->ctx, r->owner_entity),
               cs_tag_category_name(r->owner_category));
    for (int d = 0; d < 2; d++) {
        if (!(r->dirs & (1 << d))) continue;
        printf("  %s: unknown %.2f%%%s\n", d ? "outflows" : "inflows", 100 * r->dir[d].unknown,
               r->dir[d].truncated ? "  (truncated at the budget)" : "");
        for (int k = 0; k < CS_RISK_NCAT; k++) {
            const struct cs_risk_cat *x = &r->dir[d].cat[k];
            if (!(x->direct + x->indirect > 0)) continue;
            printf("    %-13s direct %7.3f%%  indirect %7.3f%%  decayed %.4f  weighted %.4f  "
                   "min hops %u\n",
                   cs_tag_category_name(k), 100 * x->direct, 100 * x->indirect, x->decayed,
                   c->sc.cfg.weight[k] * x->decayed, x->min_hops);
        }
    }
    if (r->n_reasons) printf("  reasons:\n");
    for (size_t i = 0; i < r->n_reasons && i < c->sc.limit; i++) {
        const struct cs_risk_reason *x = &r->reasons[i];
        printf("    %-3s %-13s %s, %u hop%s, share %.3f%%, weighted %.4f", cs_risk_dir_name(x->dir),
               cs_tag_category_name(x->category),
               x->entity >= 0 ? c->sc.g->entity_label(c->sc.g->ctx, x->entity) : "(indexed)",
               x->min_hops, x->min_hops == 1 ? "" : "s", 100 * x->share,
               c->sc.cfg.weight[x->category] * x->decayed);
        if (x->via != CS_RISK_ORIGIN) {
            node_addr(c, x->via, a);
            printf(", via %s", a);
        }
        if (x->n_txs) {
            tx_hex(c, x->txs[0], h);
            printf(", tx %s%s", h, x->n_txs > 1 ? " ..." : "");
        }
        putchar('\n');
        for (unsigned j = 0; j < x->path_len; j++) {
            tx_hex(c, x->path_txs[j], h);
            node_addr(c, x->path_nodes[j], a);
            printf("        %u: tx %s -> %s\n", j + 1, h, a);
        }
    }
}

int cmd_screen(int argc, char **argv)
{
    const char *db = cli_default_db(), *chain = NULL, *as_of = NULL, *config = NULL;
    const char *file = NULL;
    int dir = 0, explain = 0, json = 0, build = 0, no_index = 0;
    uint64_t limit = 10;
    const struct cli_opt opts[] = {
        CLI_STRING("db", 0, &db, "DIR", CLI_HELP_DB),
        CLI_STRING("chain", 0, &chain, "C", CLI_HELP_CHAIN),
        CLI_ENUM("direction", 0, &dir, "in|out|both", DIRS,
                 "inflows (where the funds came from), outflows (where they went)\n"
                 "or both (default)"),
        CLI_STRING("as-of", 0, &as_of, "YYYY-MM-DD",
                   "screen against the sanctions in force on that day (walks)"),
        CLI_FLAG("explain", 0, &explain, "add the heaviest path to each entity (walks)"),
        CLI_STRING("config", 0, &config, "FILE", "model parameters (see below)"),
        CLI_STRING("file", 0, &file, "FILE", "more targets, one per line ('#' comments)"),
        CLI_U64("limit", 0, &limit, "N", 0, 1000000, "reasons printed per target (default 10)"),
        CLI_FLAG("no-index", 0, &no_index, "walk even when an exposure index matches"),
        CLI_FLAG("build-index", 0, &build,
                 "compute the exposure index of the whole store and write\n"
                 "DB/CHAIN/risk/exposure.idx"),
        CLI_FLAG("json", 0, &json, "one JSON document per target"),
        CLI_OPT_TABLE_END,
    };
    const struct cli_cmd cmd = {"screen", USAGE, ABOUT, opts, EPILOG, NULL};
    int npos, rc = cli_opt_parse(&cmd, argc, argv, &npos);
    if (rc != CLI_OPT_OK) return rc;
    struct ctx c;
    memset(&c, 0, sizeof c);
    c.sc.explain = explain;
    c.json = json;
    c.sc.limit = limit;
    c.sc.dirs = dir == 1 ? 1 : dir == 2 ? 2 : 3;
    int32_t day = -1;
    if (as_of && cs_tag_date_parse(as_of, &day)) return cli_usage("screen", "--as-of: %s", cs_errmsg());
    if (!npos && !file && !build) return cli_usage("screen", "give an address or txid to screen");
    if (!chain) chain = cs_chain_default()->name;
    cs_risk_config_default(&c.sc.cfg);
    if (config && (rc = cs_risk_config_load(&c.sc.cfg, config))) return cli_fail_err("screen", rc);
    struct cs_store *s;
    if ((rc = cli_open_store("screen", db, chain, &s))) return rc;
    c.sc.s = s;
    c.sc.chain = cs_chain_find(cs_store_chain(s));
    char note[512] = "";
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((rc = cs_risk_store_open(&c.sc.rs, s, db, &c.sc.cfg, day, note, sizeof note))) {
        cs_store_close(s);
        return cli_fail_err("screen", rc);
    }
    c.sc.g = cs_risk_store_graph(c.sc.rs);
    int ret = 0;
    struct cs_risk_index *ix = NULL;
    struct target *tg = NULL;
    size_t nt = 0;
    char **lines = NULL;
    size_t nlines = 0;
    if (build) {
        struct cs_risk_index_meta m;
        if ((rc = cs_risk_store_build_index(c.sc.rs, db, &c.sc.cfg, &m))) {
            ret = cli_fail_err("screen", rc);
            goto done;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        char dirp[4200];
        snprintf(dirp, sizeof dirp, "%s/%s/risk", db, cs_store_chain(s));
        if ((rc = cs_risk_index_open(dirp, &ix))) {
            ret = cli_fail_err("screen", rc);
            goto done;
        }
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        fprintf(json && (npos || file) ? stderr : stdout,
                "exposure index: %llu nodes, max_hops %u, decay %g, %.2f s (%s) -> %s/exposure.idx\n",
                (unsigned long long)cs_risk_index_nodes(ix), m.max_hops, m.decay, secs, note, dirp);
        if (!npos && !file) goto done;
    }
    if (file) {
        FILE *f = fopen(file, "r");
        if (!f) {
            ret = cli_fail("screen", "%s: cannot open", file);
            goto done;
        }
        char buf[256];
        unsigned ln = 0;
        while (fgets(buf, sizeof buf, f)) {
            ln++;
            size_t n = strlen(buf);
            if (n && buf[n - 1] != '\n' && !feof(f)) {
                fclose(f);
                ret = cli_fail("screen", "%s:%u: line too long for a target", file, ln);
                goto done;
            }
            while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) buf[--n] = 0;
            char *p = buf;
            while (*p == ' ' || *p == '\t') p++;
            if (!*p || *p == '#') continue;
            lines = realloc(lines, (nlines + 1) * sizeof *lines);
            lines[nlines++] = cs_xstrdup(p);
        }
        fclose(f);
    }
    nt = (size_t)npos + nlines;
    tg = cs_xcalloc(nt ? nt : 1, sizeof *tg);
    for (size_t i = 0; i < nt; i++)
        if ((rc = cs_risk_target_resolve(&c.sc, i < (size_t)npos ? argv[1 + i] : lines[i - (size_t)npos],
                                         &tg[i]))) {
            ret = cli_fail_err("screen", rc);
            goto done;
        }
    if (!no_index && day < 0) {
        if (!ix) {
            char dirp[4200];
            snprintf(dirp, sizeof dirp, "%s/%s/risk", db, cs_store_chain(s));
            rc = cs_risk_index_open(dirp, &ix);
            if (rc && rc != CS_ENOTFOUND)
                fprintf(stderr, "chainsleuth screen: %s; walking instead\n", cs_errmsg());
        }
        if (ix) {
            struct cs_risk_index_meta want;
            cs_risk_store_meta(c.sc.rs, &c.sc.cfg, &want);
            const char *why;
            if (!cs_risk_index_meta_match(cs_risk_index_meta(ix), &want, &why)) {
                fprintf(stderr, "chainsleuth screen: the exposure index is stale (%s; run "
                                "chainsleuth screen --build-index); walking instead\n", why);
                cs_risk_index_free(ix);
                ix = NULL;
            }
        }
    }
    c.sc.ix = ix;
    for (size_t i = 0; i < nt; i++) {
        struct cs_risk_result r;
        if ((rc = cs_risk_screen_target(&c.sc, &tg[i], &r))) {
            cs_risk_result_free(&r);
            ret = cli_fail_err("screen", rc);
            goto done;
        }
        if (json) {
            struct cs_json_writer w;
            cli_json_begin(&w);
            cs_risk_result_json(&c.sc, &tg[i], &r, &w);
            if ((ret = cli_json_end("screen", &w))) {
                cs_risk_result_free(&r);
                goto done;
            }
        } else {
            print_text(&c, &tg[i], &r);
        }
        cs_risk_result_free(&r);
    }
    if ((rc = cs_store_status(s))) ret = cli_fail_err("screen", rc);
done:
    for (size_t i = 0; i < nlines; i++) free(lines[i]);
    free(lines);
    free(tg);
    cs_risk_index_free(ix);
    cs_risk_store_close(c.sc.rs);
    cs_store_close(s);
    return ret;
}
