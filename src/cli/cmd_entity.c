/* cmd_entity.c — `chainsleuth entity ADDR|CLUSTER_ID`: what the clustering
 * knows about one entity (size, balance, heights, tags, largest members), and
 * `--why ADDR2`: the transactions that put two addresses in one cluster. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "cluster/cluster.h"
#include "cluster/unionfind.h"
#include "report/report.h"
#include "trace/attrib.h"
#include "util/codec.h"
#include "util/timefmt.h"

#include "tags/tags.h"

static const char USAGE[] =
    "usage: chainsleuth entity ADDR|CLUSTER_ID [--db DIR] [--chain NAME] [--json] [--limit N]\n"
    "       chainsleuth entity ADDR --why ADDR2 [--db DIR] [--chain NAME] [--json]\n";

static const char ABOUT[] =
    "Shows the cluster (entity) of an address, or the cluster with that id (a cluster\n"
    "id is the smallest address id in the cluster, as `cluster --export` prints it):\n"
    "number of addresses, balance (unspent outputs of all members), total received,\n"
    "first and last height at which a member received or spent, the attribution tags\n"
    "of all members (every category with the number of members carrying it;\n"
    "conflicting categories are shown, never resolved), and the largest members by\n"
    "value received.  Needs a clustering: run `chainsleuth cluster` first.\n";

static const char EPILOG[] =
    "Addresses are written as `address` accepts them.  Listing the members of a\n"
    "cluster reads the cluster-id column once (O(addresses)).\n"
    "Exit codes: 0 ok, 1 error, 2 usage.\n";

/* ---- tags of the members (all tag access is behind entity_tags) ---- */

#define MAX_LABELS 64

struct tag_count {
    char name[160]; /* category name, or label */
    char category[32];
    size_t members;
};

struct tag_summary {
    int available;       /* 1: a tag table was read */
    const char *why_not; /* when not available */
    size_t tagged;       /* members with at least one tag */
    struct tag_count cat[32];
    size_t n_cat;
    struct tag_count label[MAX_LABELS];
    size_t n_label, labels_dropped;
};

static void count_in(struct tag_count *arr, size_t *n, size_t cap, const char *name,
                     const char *category, size_t *dropped)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(arr[i].name, name) && !strcmp(arr[i].category, category)) {
            arr[i].members++;
            return;
        }
    if (*n == cap) {
        if (dropped) ++*dropped;
        return;
    }
    snprintf(arr[*n].name, sizeof arr[*n].name, "%s", name);
    snprintf(arr[*n].category, sizeof arr[*n].category, "%s", category);
    arr[*n].members = 1;
    ++*n;
}

static int cmp_count(const void *a, const void *b)
{
    const struct tag_count *x = a, *y = b;
    if (x->members != y->members) return x->members > y->members ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void entity_tags(const char *db, const struct cs_store *s, const uint32_t *members, size_t n,
                        struct tag_summary *ts)
{
    memset(ts, 0, sizeof *ts);
    struct cs_tagdb *tdb;
    if (cs_tagdb_open(db, 0, &tdb)) {
        ts->why_not = "no tag table; import tags with `chainsleuth tags import`";
        return;
    }
    ts->available = 1;
    struct cs_tag t[64];
    char a[96];
    for (size_t i = 0; i < n; i++) {
        const struct cs_addr *ad = cs_store_addr(s, members[i]);
        if (ad->type == CS_ADDR_MULTISIG || ad->type == CS_ADDR_OPRETURN ||
            ad->type == CS_ADDR_NONSTD)
            continue;
        cs_addr_format(ad, cs_store_net(s), a);
        size_t k = cs_tagdb_lookup(tdb, cs_store_chain(s), a, t, 64);
        if (k > 64) k = 64;
        if (!k) continue;
        ts->tagged++;
        /* each member counts once per category and once per label */
        unsigned seen_cat = 0;
        for (size_t j = 0; j < k; j++) {
            const char *cat = cs_tag_category_name(t[j].category);
            if (!cat) cat = "?";
            if (t[j].category >= 0 && t[j].category < 32 && !(seen_cat & (1u << t[j].category))) {
                seen_cat |= 1u << t[j].category;
                count_in(ts->cat, &ts->n_cat, 32, cat, "", NULL);
            }
            int dup = 0;
            for (size_t q = 0; q < j; q++)
                if (!strcmp(t[q].label, t[j].label) && t[q].category == t[j].category) dup = 1;
            if (!dup)
                count_in(ts->label, &ts->n_label, MAX_LABELS, t[j].label, cat, &ts->labels_dropped);
        }
    }
    cs_tagdb_close(tdb);
    qsort(ts->cat, ts->n_cat, sizeof ts->cat[0], cmp_count);
    qsort(ts->label, ts->n_label, sizeof ts->label[0], cmp_count);
}

/* ---- address / cluster argument ---- */

static int all_digits(const char *p)
{
    if (!*p) return 0;
    for (; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    return 1;
}

/* Resolves an address argument to its id within the clustering; prints the error. */
static int resolve_addr(const struct cs_store *s, const struct cs_clusterdb *c, const char *arg,
                        uint32_t *id)
{
    struct cs_addr a;
    uint64_t x;
    if (cs_addr_parse(arg, cs_store_net(s), &a)) return cli_fail("entity", "%s", cs_errmsg());
    if (cs_store_find_addr(s, &a, &x))
        return cli_fail("entity", "address %s never seen on this chain", arg);
    if (x >= cs_clusterdb_state(c)->addr)
        return cli_fail("entity",
                        "address %s appeared after the last clustering (run chainsleuth cluster)",
                        arg);
    *id = (uint32_t)x;
    return 0;
}

static void fmt_addr(const struct cs_store *s, uint32_t id, char out[96])
{
    cs_addr_format(cs_store_addr(s, id), cs_store_net(s), out);
}

/* Starts the --why --json document: {"from":A,"to":B,"same_cluster":SAME, */
static void why_json_head(struct cs_json_writer *w, const char *from, const char *to, int same)
{
    cli_json_begin(w);
    cs_json_writer_begin_object(w);
    cs_json_writer_key(w, "from");
    cs_json_writer_string(w, from);
    cs_json_writer_key(w, "to");
    cs_json_writer_string(w, to);
    cs_json_writer_key(w, "same_cluster");
    cs_json_writer_bool(w, same);
}

/* ---- --why ---- */

static int do_why(const struct cs_store *s, const struct cs_clusterdb *c, uint32_t a, uint32_t b,
                  int json)
{
    struct cs_cluster_hop *hops;
    size_t n;
    char sa[96], sb[96], x[96], y[96], hex[65];
    fmt_addr(s, a, sa);
    fmt_addr(s, b, sb);
    uint32_t ca = cs_clusterdb_cid(c, a), cb = cs_clusterdb_cid(c, b);
    int rc = cs_clusterdb_why(c, a, b, &hops, &n);
    if (rc == CS_ENOTFOUND) {
        if (json) {
            struct cs_json_writer w;
            why_json_head(&w, sa, sb, 0);
            cs_json_writer_key(&w, "from_cluster");
            cs_json_writer_u64(&w, ca);
            cs_json_writer_key(&w, "to_cluster");
            cs_json_writer_u64(&w, cb);
            cs_json_writer_end_object(&w);
            return cli_json_end("entity", &w);
        }
        printf("%s (cluster %u) and %s (cluster %u) are not in one cluster\n", sa, ca, sb, cb);
        return 0;
    }
    if (rc) return cli_fail_err("entity", rc);
    struct cs_json_writer w;
    if (json) {
        why_json_head(&w, sa, sb, 1);
        cs_json_writer_key(&w, "cluster");
        cs_json_writer_u64(&w, ca);
        cs_json_writer_key(&w, "hops");
        cs_json_writer_begin_array(&w);
    } else {
        printf("%s and %s are in cluster %u, linked in %zu hop%s:\n", sa, sb, ca, n,
               n == 1 ? "" : "s");
    }
    for (size_t i = 0; i < n; i++) {
        fmt_addr(s, hops[i].from, x);
        fmt_addr(s, hops[i].to, y);
        cs_hex_rev(hex, cs_store_txid(s, hops[i].tx));
        uint32_t h = cs_store_tx(s, hops[i].tx)->height;
        if (json) {
            cs_json_writer_begin_object(&w);
            cs_json_writer_key(&w, "from");
            cs_json_writer_string(&w, x);
            cs_json_writer_key(&w, "to");
            cs_json_writer_string(&w, y);
            cs_json_writer_key(&w, "txid");
            cs_json_writer_string(&w, hex);
            cs_json_writer_key(&w, "height");
            cs_json_writer_u64(&w, h);
            cs_json_writer_end_object(&w);
        } else {
            printf("  %s -> %s  via %s at height %u\n", x, y, hex, h);
        }
    }
    free(hops);
    if (json) {
        cs_json_writer_end_array(&w);
        cs_json_writer_end_object(&w);
        return cli_json_end("entity", &w);
    }
    return 0;
}

/* ---- entity ---- */

static int do_entity(const char *db, const struct cs_store *s, const struct cs_clusterdb *c,
                     const struct cli_who *wh, uint32_t cid, size_t limit, int json)
{
    struct cs_entity e;
    int rc = cs_entity_load(c, s, cid, limit, &e);
    if (rc) return cli_fail_err("entity", rc);
    struct tag_summary *ts = cs_xmalloc(sizeof *ts);
    entity_tags(db, s, e.members, e.size, ts);
    const struct cs_cluster_state *st = cs_clusterdb_state(c);
    char a[96], btc[32], btc2[32];
    fmt_addr(s, cid, a);
    if (json) {
        struct cs_json_writer w;
        cli_json_begin(&w);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "cluster");
        cs_json_writer_u64(&w, cid);
        cs_json_writer_key(&w, "first_address");
        cs_json_writer_string(&w, a);
        cs_json_writer_key(&w, "size");
        cs_json_writer_u64(&w, e.size);
        cs_json_writer_key(&w, "balance");
        cs_json_writer_u64(&w, e.balance);
        cs_json_writer_key(&w, "received");
        cs_json_writer_u64(&w, e.received);
        cs_json_writer_key(&w, "outputs");
        cs_json_writer_u64(&w, e.outputs);
        cs_json_writer_key(&w, "utxos");
        cs_json_writer_u64(&w, e.utxos);
        cli_json_seen(&w, s, e.first_height, e.last_height);
        cli_who_json(wh, &w, cid, 0);
        cs_json_writer_key(&w, "tags");
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "available");
        cs_json_writer_bool(&w, ts->available);
        if (!ts->available) {
            cs_json_writer_key(&w, "note");
            cs_json_writer_string(&w, ts->why_not);
        }
        cs_json_writer_key(&w, "tagged_addresses");
        cs_json_writer_u64(&w, ts->tagged);
        cs_json_writer_key(&w, "conflict");
        cs_json_writer_bool(&w, ts->n_cat > 1);
        cs_json_writer_key(&w, "categories");
        cs_json_writer_begin_array(&w);
        for (size_t i = 0; i < ts->n_cat; i++) {
            cs_json_writer_begin_object(&w);
            cs_json_writer_key(&w, "category");
            cs_json_writer_string(&w, ts->cat[i].name);
            cs_json_writer_key(&w, "addresses");
            cs_json_writer_u64(&w, ts->cat[i].members);
            cs_json_writer_end_object(&w);
        }
        cs_json_writer_end_array(&w);
        cs_json_writer_key(&w, "labels");
        cs_json_writer_begin_array(&w);
        for (size_t i = 0; i < ts->n_label; i++) {
            cs_json_writer_begin_object(&w);
            cs_json_writer_key(&w, "label");
            cs_json_writer_string(&w, ts->label[i].name);
            cs_json_writer_key(&w, "category");
            cs_json_writer_string(&w, ts->label[i].category);
            cs_json_writer_key(&w, "addresses");
            cs_json_writer_u64(&w, ts->label[i].members);
            cs_json_writer_end_object(&w);
        }
        cs_json_writer_end_array(&w);
        cs_json_writer_end_object(&w);
        cs_json_writer_key(&w, "top");
        cs_json_writer_begin_array(&w);
        for (size_t i = 0; i < e.n_top; i++) {
            fmt_addr(s, e.top[i].addr, a);
            cs_json_writer_begin_object(&w);
            cs_json_writer_key(&w, "address");
            cs_json_writer_string(&w, a);
            cs_json_writer_key(&w, "received");
            cs_json_writer_u64(&w, e.top[i].received);
            cs_json_writer_key(&w, "balance");
            cs_json_writer_u64(&w, e.top[i].balance);
            cs_json_writer_end_object(&w);
        }
        cs_json_writer_end_array(&w);
        cs_json_writer_key(&w, "clustering");
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "height");
        cs_json_writer_i64(&w, (long long)st->blocks - 1);
        cs_json_writer_key(&w, "heuristics");
        cs_json_writer_string(&w, st->spec);
        cs_json_writer_end_object(&w);
        cs_json_writer_end_object(&w);
        rc = cli_json_end("entity", &w);
    } else {
        char name[CLI_NAME_MAX * 4 + 8], note[CLI_NOTE_MAX * 2 + 8], t1[CS_TIME_ISO_MAX],
            t2[CS_TIME_ISO_MAX];
        cli_who_names(wh, cid, name, sizeof name, note, sizeof note);
        printf("cluster      %u%s%s%s (%zu address%s; first %s)\n", cid, name[0] ? " \"" : "", name,
               name[0] ? "\"" : "", e.size, e.size == 1 ? "" : "es", a);
        if (note[0]) cli_print_note("note         ", note);
        const struct cs_attrib_entity *ae = cli_who_entity(wh, cid);
        if (ae) {
            const char *cat = cs_tag_category_name(ae->category);
            printf("attributed   %s (%s; confidence %d; source %s)\n", ae->label,
                   cat ? cat : "unknown", ae->confidence,
                   ae->source && *ae->source ? ae->source : "-");
        }
        printf("balance      %s %s in %llu unspent output%s\n", cli_btc(e.balance, btc), cli_unit_name(),
               (unsigned long long)e.utxos, e.utxos == 1 ? "" : "s");
        printf("received     %s %s in %llu output%s\n", cli_btc(e.received, btc), cli_unit_name(),
               (unsigned long long)e.outputs, e.outputs == 1 ? "" : "s");
        if (e.first_height >= 0)
            printf("seen         height %lld (%s) .. %lld (%s)\n", (long long)e.first_height,
                   cs_report_height_time(s, (uint64_t)e.first_height, t1),
                   (long long)e.last_height, cs_report_height_time(s, (uint64_t)e.last_height, t2));
        if (!ts->available) {
            printf("tags         none (%s)\n", ts->why_not);
        } else if (!ts->tagged) {
            printf("tags         none of the %zu addresses is tagged\n", e.size);
        } else {
            printf("tags         %zu of %zu addresses tagged; categories:", ts->tagged, e.size);
            for (size_t i = 0; i < ts->n_cat; i++)
                printf("%s %s %zu", i ? "," : "", ts->cat[i].name, ts->cat[i].members);
            printf("%s\n",
                   ts->n_cat > 1 ? "  (CONFLICT: more than one category, not resolved)" : "");
            for (size_t i = 0; i < ts->n_label; i++)
                printf("             %s (%s): %zu address%s\n", ts->label[i].name,
                       ts->label[i].category, ts->label[i].members,
                       ts->label[i].members == 1 ? "" : "es");
            if (ts->labels_dropped)
                printf("             ... and more labels (%zu tag rows not listed)\n",
                       ts->labels_dropped);
        }
        if (e.n_top) {
            printf("largest members by value received:\n");
            for (size_t i = 0; i < e.n_top; i++) {
                fmt_addr(s, e.top[i].addr, a);
                printf("  %-62s %20s %s received %20s %s balance\n", a,
                       cli_btc(e.top[i].received, btc), cli_unit_name(),
                       cli_btc(e.top[i].balance, btc2), cli_unit_name());
            }
            if (e.n_top < e.size) printf("  ... %zu more\n", e.size - e.n_top);
        }
        printf("clustering   height %lld, heuristics %s\n", (long long)st->blocks - 1, st->spec);
    }
    free(ts);
    cs_entity_free(&e);
    return rc;
}

int cmd_entity(int argc, char **argv)
{
    const char *db = cli_default_db(), *chain = cs_chain_default()->name, *why = NULL;
    int json = 0, npos;
    uint64_t limit = 10;
    const struct cli_opt opts[] = {
        CLI_STRING("db", 0, &db, "DIR", CLI_HELP_DB),
        CLI_STRING("chain", 0, &chain, "NAME", CLI_HELP_CHAIN),
        CLI_FLAG("json", 0, &json, "machine-readable output"),
        CLI_UNIT_OPT,
        CLI_U64("limit", 0, &limit, "N", 0, UINT32_MAX,
                "largest members to list (default 10, 0 = none)"),
        CLI_STRING("why", 0, &why, "ADDR2",
                   "print the chain of transactions whose input (or change) links\n"
                   "joined ADDR and ADDR2, hop by hop (address -> address via txid at\n"
                   "height), or say that they are not in one cluster (exit 0 either\n"
                   "way)"),
        CLI_OPT_TABLE_END,
    };
    const struct cli_cmd cmd = {"entity", USAGE, ABOUT, opts, EPILOG, NULL};
    int prc = cli_opt_parse(&cmd, argc, argv, &npos);
    if (prc != CLI_OPT_OK) return prc;
    if (npos != 1) return cli_usage("entity", "give one address or cluster id");
    const char *arg = argv[1];
    if (why && all_digits(arg))
        return cli_usage("entity", "--why needs an address, not a cluster id");
    struct cs_store *s;
    int orc_ = cli_open_store("entity", db, chain, &s);
    if (orc_) return orc_;
    struct cs_clusterdb *cdb;
    int rc = cs_clusterdb_open(&cdb, db, chain);
    if (rc) {
        cs_store_close(s);
        if (rc == CS_ENOTFOUND)
            return cli_fail("entity", "%s: no clustering: run chainsleuth cluster first", db);
        return cli_fail_err("entity", rc);
    }
    uint64_t behind;
    if ((rc = cs_clusterdb_check(cdb, s, &behind))) {
        cs_clusterdb_close(cdb);
        cs_store_close(s);
        return cli_fail_err("entity", rc);
    }
    if (behind)
        fprintf(stderr,
                "chainsleuth entity: note: the clustering covers height %lld; the store has %llu "
                "newer blocks (run chainsleuth cluster to include them)\n",
                (long long)cs_clusterdb_state(cdb)->blocks - 1, (unsigned long long)behind);
    int ret;
    uint32_t id, id2;
    struct cli_who wh;
    if (cli_who_open(&wh, "entity", s, db)) {
        cs_clusterdb_close(cdb);
        cs_store_close(s);
        return 1;
    }
    if (why) {
        if ((ret = resolve_addr(s, cdb, arg, &id)) == 0 &&
            (ret = resolve_addr(s, cdb, why, &id2)) == 0)
            ret = do_why(s, cdb, id, id2, json);
    } else if (all_digits(arg)) {
        unsigned long long v = strtoull(arg, NULL, 10);
        uint32_t cid = v < cs_clusterdb_state(cdb)->addr ? cs_clusterdb_cid(cdb, v) : CS_UF_NONE;
        if (cid == CS_UF_NONE || v == 0)
            ret = cli_fail("entity", "no cluster %s (cluster ids run from 1 to %llu)", arg,
                           (unsigned long long)cs_clusterdb_state(cdb)->addr - 1);
        else if (cid != v)
            ret = cli_fail("entity",
                           "%s is not a cluster id: cluster ids are the smallest address id "
                           "of their cluster, and address %s belongs to cluster %u",
                           arg, arg, cid);
        else
            ret = do_entity(db, s, cdb, &wh, cid, (size_t)limit, json);
    } else {
        if ((ret = resolve_addr(s, cdb, arg, &id)) == 0)
            ret = do_entity(db, s, cdb, &wh, cs_clusterdb_cid(cdb, id), (size_t)limit, json);
    }
    cli_who_close(&wh);
    cs_clusterdb_close(cdb);
    cs_store_close(s);
    return ret;
}
