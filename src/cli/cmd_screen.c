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

struct target {
    const char *text;
    int is_tx;
    uint64_t id; /* tx id or address id */
};

struct ctx {
    const struct cs_store *s;
    const struct cs_chain *chain;
    struct cs_risk_store *rs;
    const struct cs_risk_graph *g;
    const struct cs_risk_index *ix;
    struct cs_risk_config cfg;
    int dirs; /* bit per direction */
    int explain, json;
    uint64_t limit;
};

static void node_addr(const struct ctx *c, uint64_t node, char out[CS_CHAIN_ADDR_MAX])
{
    uint64_t a = cs_risk_store_node_addr(c->rs, node);
    c->chain->addr_format(cs_store_addr(c->s, a), cs_store_net(c->s), out);
}

static void tx_hex(const struct ctx *c, uint64_t tx, char out[65])
{
    cs_hex_rev(out, cs_store_txid(c->s, tx));
}

static int screen_one(const struct ctx *c, const struct target *t, struct cs_risk_result *r)
{
    cs_risk_result_init(r);
    uint64_t node = CS_RISK_ORIGIN;
    if (!t->is_tx) {
        node = cs_risk_store_node(c->rs, t->id);
        int cat = -1;
        r->owner_entity = c->g->entity(c->g->ctx, node, &cat);
        r->owner_category = r->owner_entity >= 0 ? cat : -1;
    }
    for (int d = 0; d < 2; d++) {
        if (!(c->dirs & (1 << d))) continue;
        struct cs_risk_flowbuf fb = {0};
        int rc = 0;
        if (t->is_tx) rc = cs_risk_store_tx_flows(c->rs, t->id, d, &fb);
        if (!rc && c->ix && !c->explain) {
            rc = cs_risk_screen_indexed(c->ix, c->g, &c->cfg, d, node, fb.v, fb.n, r);
        } else if (!rc) {
            if (!t->is_tx) {
                int more = 0;
                rc = c->g->flows(c->g->ctx, node, d, &fb, c->cfg.walk_budget, &more);
                if (!rc && more) {
                    /* the target alone passes the budget: nothing can be said */
                    r->dirs |= 1 << d;
                    memset(&r->dir[d], 0, sizeof r->dir[d]);
                    r->dir[d].unknown = 1;
                    r->dir[d].truncated = 1;
                    cs_risk_flowbuf_free(&fb);
                    continue;
                }
            }
            if (!rc) rc = cs_risk_walk(c->g, &c->cfg, d, fb.v, fb.n, c->explain, r);
        }
        cs_risk_flowbuf_free(&fb);
        if (rc) return rc;
    }
    cs_risk_finish(&c->cfg, r);
    return 0;
}

static void print_json(const struct ctx *c, const struct target *t, const struct cs_risk_result *r,
                       struct cs_json_writer *w)
{
    char a[CS_CHAIN_ADDR_MAX], h[65];
    cs_json_writer_begin_object(w);
    cs_json_writer_key(w, "target");
    cs_json_writer_string(w, t->text);
    cs_json_writer_key(w, "type");
    cs_json_writer_string(w, t->is_tx ? "tx" : "address");
    cs_json_writer_key(w, "chain");
    cs_json_writer_string(w, c->chain->name);
    cs_json_writer_key(w, "risk");
    cs_json_writer_string(w, cs_risk_level_name(r->level));
    cs_json_writer_key(w, "score");
    cs_json_writer_double(w, r->score);
    cs_json_writer_key(w, "method");
    cs_json_writer_string(w, r->from_index ? "index" : "walk");
    if (!t->is_tx) {
        uint64_t node = cs_risk_store_node(c->rs, t->id);
        cs_json_writer_key(w, "cluster");
        cs_json_writer_u64(w, node);
    }
    cs_json_writer_key(w, "owner");
    if (r->owner_entity >= 0) {
        cs_json_writer_begin_object(w);
        cs_json_writer_key(w, "entity");
        cs_json_writer_string(w, c->g->entity_label(c->g->ctx, r->owner_entity));
        cs_json_writer_key(w, "category");
        cs_json_writer_string(w, cs_tag_category_name(r->owner_category));
        cs_json_writer_end_object(w);
    } else {
        cs_json_writer_null(w);
    }
    cs_json_writer_key(w, "exposure");
    cs_json_writer_begin_array(w);
    for (int d = 0; d < 2; d++) {
        if (!(r->dirs & (1 << d))) continue;
        for (int k = 0; k < CS_RISK_NCAT; k++) {
            const struct cs_risk_cat *x = &r->dir[d].cat[k];
            if (!(x->direct + x->indirect > 0)) continue;
            cs_json_writer_begin_object(w);
            cs_json_writer_key(w, "direction");
            cs_json_writer_string(w, cs_risk_dir_name(d));
            cs_json_writer_key(w, "category");
            cs_json_writer_string(w, cs_tag_category_name(k));
            cs_json_writer_key(w, "direct");
            cs_json_writer_double(w, x->direct);
            cs_json_writer_key(w, "indirect");
            cs_json_writer_double(w, x->indirect);
            cs_json_writer_key(w, "decayed");
            cs_json_writer_double(w, x->decayed);
            cs_json_writer_key(w, "weighted");
            cs_json_writer_double(w, c->cfg.weight[k] * x->decayed);
            cs_json_writer_key(w, "min_hops");
            cs_json_writer_u64(w, x->min_hops);
            cs_json_writer_end_object(w);
        }
    }
    cs_json_writer_end_array(w);
    for (int pass = 0; pass < 2; pass++) {
        cs_json_writer_key(w, pass ? "truncated" : "unknown");
        cs_json_writer_begin_object(w);
        for (int d = 0; d < 2; d++) {
            if (!(r->dirs & (1 << d))) continue;
            cs_json_writer_key(w, cs_risk_dir_name(d));
            if (pass) cs_json_writer_bool(w, r->dir[d].truncated);
            else cs_json_writer_double(w, r->dir[d].unknown);
        }
        cs_json_writer_end_object(w);
    }
    cs_json_writer_key(w, "reasons");
    cs_json_writer_begin_array(w);
    for (size_t i = 0; i < r->n_reasons && i < c->limit; i++) {
        const struct cs_risk_reason *x = &r->reasons[i];
        cs_json_writer_begin_object(w);
        cs_json_writer_key(w, "direction");
        cs_json_writer_string(w, cs_risk_dir_name(x->dir));
        cs_json_writer_key(w, "category");
        cs_json_writer_string(w, cs_tag_category_name(x->category));
        cs_json_writer_key(w, "entity");
        if (x->entity >= 0) cs_json_writer_string(w, c->g->entity_label(c->g->ctx, x->entity));
        else cs_json_writer_null(w);
        cs_json_writer_key(w, "hops");
        cs_json_writer_u64(w, x->min_hops);
        cs_json_writer_key(w, "share");
        cs_json_writer_double(w, x->share);
        cs_json_writer_key(w, "decayed");
        cs_json_writer_double(w, x->decayed);
        cs_json_writer_key(w, "weighted");
        cs_json_writer_double(w, c->cfg.weight[x->category] * x->decayed);
        if (x->via != CS_RISK_ORIGIN) {
            node_addr(c, x->via, a);
            cs_json_writer_key(w, "via");
            cs_json_writer_string(w, a);
        }
        cs_json_writer_key(w, "txs");
        cs_json_writer_begin_array(w);
        for (unsigned j = 0; j < x->n_txs; j++) {
            tx_hex(c, x->txs[j], h);
            cs_json_writer_string(w, h);
        }
        cs_json_writer_end_array(w);
        if (x->path_len) {
            cs_json_writer_key(w, "path");
            cs_json_writer_begin_array(w);
            for (unsigned j = 0; j < x->path_len; j++) {
                cs_json_writer_begin_object(w);
                tx_hex(c, x->path_txs[j], h);
                cs_json_writer_key(w, "tx");
                cs_json_writer_string(w, h);
                node_addr(c, x->path_nodes[j], a);
                cs_json_writer_key(w, "address");
                cs_json_writer_string(w, a);
                cs_json_writer_end_object(w);
            }
            cs_json_writer_end_array(w);
            cs_json_writer_key(w, "path_share");
            cs_json_writer_double(w, x->path_mass);
        }
        cs_json_writer_end_object(w);
    }
    cs_json_writer_end_array(w);
    cs_json_writer_end_object(w);
}

static void print_text(const struct ctx *c, const struct target *t, const struct cs_risk_result *r)
{
    char a[CS_CHAIN_ADDR_MAX], h[65];
    printf("%s  %s  score %.4f  (%s%s)\n", t->text, cs_risk_level_name(r->level), r->score,
           t->is_tx ? "transaction, " : "", r->from_index ? "index" : "walk");
    if (r->owner_entity >= 0)
        printf("  owner: %s (%s)\n", c->g->entity_label(c->g->ctx, r->owner_entity),
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
                   c->cfg.weight[k] * x->decayed, x->min_hops);
        }
    }
    if (r->n_reasons) printf("  reasons:\n");
    for (size_t i = 0; i < r->n_reasons && i < c->limit; i++) {
        const struct cs_risk_reason *x = &r->reasons[i];
        printf("    %-3s %-13s %s, %u hop%s, share %.3f%%, weighted %.4f", cs_risk_dir_name(x->dir),
               cs_tag_category_name(x->category),
               x->entity >= 0 ? c->g->entity_label(c->g->ctx, x->entity) : "(indexed)",
               x->min_hops, x->min_hops == 1 ? "" : "s", 100 * x->share,
               c->cfg.weight[x->category] * x->decayed);
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

static int resolve(const struct ctx *c, const char *text, struct target *t)
{
    t->text = text;
    uint8_t id[32];
    if (strlen(text) == 64 && !cs_unhex_rev32(id, text)) {
        t->is_tx = 1;
        if (cs_store_find_tx(c->s, id, &t->id))
            return cli_fail("screen", "transaction %s not found in the store", text);
        return 0;
    }
    cs_error_clear();
    struct cs_addr a;
    if (!c->chain->addr_parse || c->chain->addr_parse(text, cs_store_net(c->s), &a))
        return cli_fail("screen", "'%s' is neither a txid nor a %s address (%s)", text,
                        c->chain->title, cs_errmsg());
    if (cs_store_find_addr(c->s, &a, &t->id))
        return cli_fail("screen", "address %s never seen on this chain", text);
    t->is_tx = 0;
    return 0;
}

static int meta_match(const struct cs_risk_index_meta *a, const struct cs_risk_index_meta *b,
                      const char **why)
{
    if (a->attrib_mode != b->attrib_mode || a->cluster_tx != b->cluster_tx ||
        memcmp(a->cluster_tip, b->cluster_tip, 32)) {
        *why = "the clustering (or the store) changed since it was built";
        return 0;
    }
    if (memcmp(a->tags_sha, b->tags_sha, 32)) {
        *why = "the tags changed since it was built";
        return 0;
    }
    if (a->max_hops != b->max_hops || a->decay != b->decay) {
        *why = "it was built with another max_hops or decay";
        return 0;
    }
    return 1;
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
    c.explain = explain;
    c.json = json;
    c.limit = limit;
    c.dirs = dir == 1 ? 1 : dir == 2 ? 2 : 3;
    int32_t day = -1;
    if (as_of && cs_tag_date_parse(as_of, &day)) return cli_usage("screen", "--as-of: %s", cs_errmsg());
    if (!npos && !file && !build) return cli_usage("screen", "give an address or txid to screen");
    if (!chain) chain = cs_chain_default()->name;
    cs_risk_config_default(&c.cfg);
    if (config && (rc = cs_risk_config_load(&c.cfg, config))) return cli_fail_err("screen", rc);
    struct cs_store *s;
    if ((rc = cli_open_store("screen", db, chain, &s))) return rc;
    c.s = s;
    c.chain = cs_chain_find(cs_store_chain(s));
    char note[512] = "";
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((rc = cs_risk_store_open(&c.rs, s, db, &c.cfg, day, note, sizeof note))) {
        cs_store_close(s);
        return cli_fail_err("screen", rc);
    }
    c.g = cs_risk_store_graph(c.rs);
    int ret = 0;
    struct cs_risk_index *ix = NULL;
    struct target *tg = NULL;
    size_t nt = 0;
    char **lines = NULL;
    size_t nlines = 0;
    if (build) {
        struct cs_risk_index_meta m;
        if ((rc = cs_risk_store_build_index(c.rs, db, &c.cfg, &m))) {
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
        if ((ret = resolve(&c, i < (size_t)npos ? argv[1 + i] : lines[i - (size_t)npos], &tg[i])))
            goto done;
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
            cs_risk_store_meta(c.rs, &c.cfg, &want);
            const char *why;
            if (!meta_match(cs_risk_index_meta(ix), &want, &why)) {
                fprintf(stderr, "chainsleuth screen: the exposure index is stale (%s; run "
                                "chainsleuth screen --build-index); walking instead\n", why);
                cs_risk_index_free(ix);
                ix = NULL;
            }
        }
    }
    c.ix = ix;
    for (size_t i = 0; i < nt; i++) {
        struct cs_risk_result r;
        if ((rc = screen_one(&c, &tg[i], &r))) {
            cs_risk_result_free(&r);
            ret = cli_fail_err("screen", rc);
            goto done;
        }
        if (json) {
            struct cs_json_writer w;
            cli_json_begin(&w);
            print_json(&c, &tg[i], &r, &w);
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
    cs_risk_store_close(c.rs);
    cs_store_close(s);
    return ret;
}
