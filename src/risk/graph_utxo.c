/* graph_utxo.c — the risk model's graph over a store in the UTXO schema
 * (btc/store.h): nodes are clusters (cluster/cluster.h) or, without a
 * clustering, addresses; an event is a transaction, its sources the nodes
 * of the outputs it spends, its destinations the nodes of its outputs.
 *
 * Flows of node N are read from the store on demand: every member address's
 * outputs (the per-address output list), the transaction that created each
 * one (IN; a binary search) or spent it (OUT), and that transaction's
 * composition by node.  So a node's flows cost O(its outputs * (log txs +
 * the size of their transactions)); the caller's max bounds it.
 *
 * Memory: the member lists (8 bytes per address) and the attribution (a
 * hash table over the attributed nodes, the entity labels). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/unionfind.h"
#include "risk/risk.h"
#include "util/hash.h"

struct ent {
    char *label;
    int category;
};

struct aslot {
    uint64_t node1; /* node + 1, 0 empty */
    int32_t entity;
};

struct cs_risk_store {
    const struct cs_store *s;
    struct cs_clusterdb *cdb; /* NULL: address mode */
    uint64_t cluster_addr;    /* addresses the clustering covers */
    uint64_t naddr;
    /* members CSR over node ids (= address ids): mem_off[node] .. mem_off[node+1] */
    uint64_t *mem_off;
    uint32_t *mem;
    struct ent *ents;
    size_t n_ents;
    struct aslot *tab;
    size_t tabmask;
    struct cs_risk_graph g;
    struct cs_risk_config cfg;
    uint8_t tags_sha[32];
    /* scratch: one transaction's composition by node */
    struct cs_risk_leg *comp;
    size_t ncomp, capcomp;
    uint64_t comp_tx;
    int comp_dir;
    uint64_t rows_read; /* inputs/outputs read by tx_comp: the cost a flow scan is bounded by */
    double comp_total;
};

uint64_t cs_risk_store_node(const struct cs_risk_store *rs, uint64_t addr)
{
    if (rs->cdb && addr < rs->cluster_addr) return cs_clusterdb_cid(rs->cdb, addr);
    return addr;
}

uint64_t cs_risk_store_node_addr(const struct cs_risk_store *rs, uint64_t node)
{
    return node; /* a cluster id is its smallest member's address id */
}

static uint64_t hnode(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x9e3779b97f4a7c15ULL;
    x ^= x >> 29;
    return x;
}

static int32_t g_entity(void *ctx, uint64_t node, int *category)
{
    struct cs_risk_store *rs = ctx;
    if (!rs->tab) return -1;
    size_t h = hnode(node) & rs->tabmask;
    for (;;) {
        if (!rs->tab[h].node1) return -1;
        if (rs->tab[h].node1 == node + 1) {
            *category = rs->ents[rs->tab[h].entity].category;
            return rs->tab[h].entity;
        }
        h = (h + 1) & rs->tabmask;
    }
}

static const char *g_label(void *ctx, int32_t e)
{
    struct cs_risk_store *rs = ctx;
    return e >= 0 && (size_t)e < rs->n_ents ? rs->ents[e].label : "?";
}

static int cmp_leg_node(const void *a, const void *b)
{
    const struct cs_risk_leg *x = a, *y = b;
    return x->node < y->node ? -1 : x->node > y->node;
}

/* Nodes of tx's inputs (dir IN: the sources) or outputs (OUT), aggregated,
 * zero amounts left out, into rs->comp; cached for repeated calls. */
static void tx_comp(struct cs_risk_store *rs, uint64_t tx, int sources)
{
    if (rs->comp_tx == tx + 1 && rs->comp_dir == sources) return;
    rs->ncomp = 0;
    rs->comp_total = 0;
    uint64_t first, n;
    if (sources) cs_store_tx_ins(rs->s, tx, &first, &n);
    else cs_store_tx_outs(rs->s, tx, &first, &n);
    rs->rows_read += n;
    for (uint64_t i = first; i < first + n; i++) {
        const struct cs_outrec *o;
        if (sources) {
            uint64_t prev = cs_store_in_prevout(rs->s, i);
            if (prev == CS_NONE64) continue;
            o = cs_store_out(rs->s, prev);
        } else {
            o = cs_store_out(rs->s, i);
        }
        if (!o->value) continue;
        if (rs->ncomp == rs->capcomp) {
            rs->capcomp = rs->capcomp ? rs->capcomp * 2 : 64;
            rs->comp = cs_xrealloc(rs->comp, rs->capcomp * sizeof *rs->comp);
        }
        rs->comp[rs->ncomp].node = (uint32_t)cs_risk_store_node(rs, o->addr);
        rs->comp[rs->ncomp].amount = o->value;
        rs->ncomp++;
        rs->comp_total += (double)o->value;
    }
    if (rs->ncomp > 1) {
        qsort(rs->comp, rs->ncomp, sizeof *rs->comp, cmp_leg_node);
        size_t w = 0;
        for (size_t i = 0; i < rs->ncomp; i++) {
            if (w && rs->comp[w - 1].node == rs->comp[i].node) rs->comp[w - 1].amount += rs->comp[i].amount;
            else rs->comp[w++] = rs->comp[i];
        }
        rs->ncomp = w;
    }
    rs->comp_tx = tx + 1;
    rs->comp_dir = sources;
}

static int g_flows(void *ctx, uint64_t node, int dir, struct cs_risk_flowbuf *buf, uint64_t max,
                   int *more)
{
    struct cs_risk_store *rs = ctx;
    *more = 0;
    if (node >= rs->naddr) return 0;
    /* work = outputs looked at + flows appended + rows of the transactions read */
    uint64_t added = 0, rows0 = rs->rows_read;
#define WORK() (added + (rs->rows_read - rows0))
    for (uint64_t m = rs->mem_off[node]; m < rs->mem_off[node + 1]; m++) {
        uint64_t a = rs->mem[m];
        for (uint64_t o = cs_store_addr_head(rs->s, a); o != CS_NONE64;
             o = cs_store_out_next(rs->s, o)) {
            /* every output looked at counts against max, flow or not, so
             * that a cluster of unspent or zero outputs is bounded too */
            if (WORK() >= max) goto full;
            added++;
            uint64_t val = cs_store_out(rs->s, o)->value;
            if (!val) continue;
            uint64_t tx;
            if (dir == CS_RISK_IN) {
                tx = cs_store_out_tx(rs->s, o);
            } else {
                tx = cs_store_spent_by(rs->s, o);
                if (tx == CS_NONE64) continue; /* unspent: not gone anywhere yet */
            }
            if (tx == CS_NONE64) continue;
            tx_comp(rs, tx, dir == CS_RISK_IN);
            double A = rs->comp_total;
            if (!(A > 0)) {
                cs_risk_flowbuf_push(buf, CS_RISK_ORIGIN, (double)val, tx);
                continue;
            }
            for (size_t i = 0; i < rs->ncomp; i++) {
                if (rs->comp[i].node == node) continue;
                if (WORK() >= max) goto full;
                added++;
                cs_risk_flowbuf_push(buf, rs->comp[i].node,
                                     (double)val * ((double)rs->comp[i].amount / A), tx);
            }
        }
    }
    buf->work += WORK();
    return cs_store_status(rs->s);
full:
    buf->work += WORK();
    *more = 1;
    return cs_store_status(rs->s);
#undef WORK
}

int cs_risk_store_tx_flows(struct cs_risk_store *rs, uint64_t tx, int dir,
                           struct cs_risk_flowbuf *buf)
{
    tx_comp(rs, tx, dir == CS_RISK_IN);
    if (!(rs->comp_total > 0)) {
        cs_risk_flowbuf_push(buf, CS_RISK_ORIGIN, 1, tx); /* coinbase: newly mined */
        return cs_store_status(rs->s);
    }
    for (size_t i = 0; i < rs->ncomp; i++)
        cs_risk_flowbuf_push(buf, rs->comp[i].node, (double)rs->comp[i].amount, tx);
    return cs_store_status(rs->s);
}

const struct cs_risk_graph *cs_risk_store_graph(struct cs_risk_store *rs)
{
    return &rs->g;
}

/* ---- attribution ---- */

struct cand {
    uint64_t node;
    int category;
    const char *label; /* borrowed from the tag table while open */
};

static int cand_cmp(const void *a, const void *b, void *arg)
{
    const struct cs_risk_config *cfg = arg;
    const struct cand *x = a, *y = b;
    if (x->node != y->node) return x->node < y->node ? -1 : 1;
    double wx = cfg->weight[x->category], wy = cfg->weight[y->category];
    if (wx != wy) return wx > wy ? -1 : 1;
    if (x->category != y->category) return x->category - y->category;
    return strcmp(x->label, y->label);
}

static int ent_cmp(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    int c = strcmp(x->label, y->label);
    if (c) return c;
    if (x->category != y->category) return x->category - y->category;
    return x->node < y->node ? -1 : x->node > y->node;
}

/* SHA-256 over tags.tsv and validity.tsv: what the attribution depends on */
static void tags_fingerprint(const char *dbdir, uint8_t out[32])
{
    struct cs_sha256_ctx c;
    cs_sha256_begin(&c);
    static const char *const files[] = {"tags.tsv", "validity.tsv"};
    for (int i = 0; i < 2; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/tags/%s", dbdir, files[i]);
        cs_sha256_add(&c, files[i], strlen(files[i]) + 1);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        char buf[1 << 16];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) cs_sha256_add(&c, buf, n);
        fclose(f);
    }
    cs_sha256_end(&c, 0, out);
}

static int load_attrib(struct cs_risk_store *rs, const char *dbdir, int32_t as_of, size_t *used,
                       size_t *off_date)
{
    struct cs_tagdb *db = NULL;
    int rc = cs_tagdb_open(dbdir, 0, &db);
    if (rc == CS_ENOTFOUND) return 0;
    if (rc) return cs_error_prefix(rc, "screen: tags: ");
    struct cs_tag_validity *val = NULL;
    rc = cs_tag_validity_open(dbdir, &val);
    if (rc && rc != CS_ENOTFOUND) {
        cs_tagdb_close(db);
        return rc;
    }
    const struct cs_store *s = rs->s;
    const struct cs_netparams *net = cs_store_net(s);
    size_t n = cs_tagdb_count(db), nc = 0;
    struct cand *c = cs_xmalloc((n ? n : 1) * sizeof *c);
    for (size_t i = 0; i < n; i++) {
        struct cs_tag t;
        cs_tagdb_get(db, i, &t);
        struct cs_addr ad;
        uint64_t id;
        if (strcmp(t.chain, cs_store_chain(s)) || !net || cs_addr_parse(t.address, net, &ad) ||
            cs_store_find_addr(s, &ad, &id) || id == 0 || id >= rs->naddr)
            continue;
        /* a sanctioned tag with a listing history counts only while listed: on
         * the --as-of day, or (without one) on the newest list */
        if (val && t.category == CS_TAG_SANCTIONED &&
            cs_tag_validity_in_force(val, t.chain, t.address, as_of >= 0 ? as_of : INT32_MAX) == 0) {
            ++*off_date;
            continue;
        }
        c[nc++] = (struct cand){cs_risk_store_node(rs, id), t.category, t.label};
    }
    *used = nc;
    cs_tag_validity_free(val);
    qsort_r(c, nc, sizeof *c, cand_cmp, &rs->cfg);
    /* best tag per node */
    size_t nb = 0;
    for (size_t i = 0; i < nc; i++)
        if (!nb || c[nb - 1].node != c[i].node) c[nb++] = c[i];
    /* entities: distinct (label, category), numbered in label order */
    qsort(c, nb, sizeof *c, ent_cmp);
    size_t cap = 16;
    while (cap < 2 * nb) cap *= 2;
    rs->tab = cs_xcalloc(cap, sizeof *rs->tab);
    rs->tabmask = cap - 1;
    rs->ents = cs_xmalloc((nb ? nb : 1) * sizeof *rs->ents);
    for (size_t i = 0; i < nb; i++) {
        if (!rs->n_ents || strcmp(rs->ents[rs->n_ents - 1].label, c[i].label) ||
            rs->ents[rs->n_ents - 1].category != c[i].category) {
            rs->ents[rs->n_ents].label = cs_xstrdup(c[i].label);
            rs->ents[rs->n_ents].category = c[i].category;
            rs->n_ents++;
        }
        size_t h = hnode(c[i].node) & rs->tabmask;
        while (rs->tab[h].node1) h = (h + 1) & rs->tabmask;
        rs->tab[h] = (struct aslot){c[i].node + 1, (int32_t)(rs->n_ents - 1)};
    }
    free(c);
    cs_tagdb_close(db);
    return 0;
}

int cs_risk_store_open(struct cs_risk_store **out, const struct cs_store *s, const char *dbdir,
                       const struct cs_risk_config *cfg, int32_t as_of_day, char *note,
                       size_t notecap)
{
    *out = NULL;
    struct cs_risk_store *rs = cs_xcalloc(1, sizeof *rs);
    rs->s = s;
    rs->cfg = *cfg;
    rs->naddr = cs_store_counts(s)->addr;
    rs->g = (struct cs_risk_graph){rs, g_entity, g_label, g_flows};
    char how[256];
    int rc = cs_clusterdb_open(&rs->cdb, dbdir, cs_store_chain(s));
    if (rc == 0) {
        uint64_t behind;
        if (cs_clusterdb_check(rs->cdb, s, &behind)) {
            cs_clusterdb_close(rs->cdb);
            rs->cdb = NULL;
            snprintf(how, sizeof how, "the clustering does not match the store (run chainsleuth "
                                      "cluster): nodes are addresses");
        } else {
            rs->cluster_addr = cs_clusterdb_state(rs->cdb)->addr;
            if (rs->cluster_addr > rs->naddr) rs->cluster_addr = rs->naddr;
            snprintf(how, sizeof how, "nodes are clusters%s",
                     behind ? " (the clustering is behind the store: newer addresses are "
                              "singletons)"
                            : "");
        }
    } else if (rc == CS_ENOTFOUND) {
        snprintf(how, sizeof how, "no clustering (chainsleuth cluster): nodes are addresses");
    } else {
        snprintf(how, sizeof how, "the clustering could not be opened (%s): nodes are addresses",
                 cs_errmsg());
        rs->cdb = NULL;
    }
    /* member lists */
    rs->mem_off = cs_xcalloc(rs->naddr + 1, sizeof *rs->mem_off);
    for (uint64_t a = 1; a < rs->naddr; a++) rs->mem_off[cs_risk_store_node(rs, a) + 1]++;
    for (uint64_t i = 0; i < rs->naddr; i++) rs->mem_off[i + 1] += rs->mem_off[i];
    rs->mem = cs_xmalloc((rs->naddr ? rs->naddr : 1) * sizeof *rs->mem);
    uint64_t *fill = cs_xmalloc((rs->naddr + 1) * sizeof *fill);
    memcpy(fill, rs->mem_off, (rs->naddr + 1) * sizeof *fill);
    for (uint64_t a = 1; a < rs->naddr; a++) rs->mem[fill[cs_risk_store_node(rs, a)]++] = (uint32_t)a;
    free(fill);
    size_t used = 0, off_date = 0;
    tags_fingerprint(dbdir, rs->tags_sha);
    rc = load_attrib(rs, dbdir, as_of_day, &used, &off_date);
    if (rc) {
        cs_risk_store_close(rs);
        return rc;
    }
    if (note) {
        if (as_of_day >= 0)
            snprintf(note, notecap, "%s; %zu tags used, %zu not in force on the --as-of date, %zu entities",
                     how, used, off_date, rs->n_ents);
        else
            snprintf(note, notecap, "%s; %zu tags used, %zu entities", how, used, rs->n_ents);
    }
    *out = rs;
    return 0;
}

void cs_risk_store_close(struct cs_risk_store *rs)
{
    if (!rs) return;
    if (rs->cdb) cs_clusterdb_close(rs->cdb);
    free(rs->mem_off);
    free(rs->mem);
    for (size_t i = 0; i < rs->n_ents; i++) free(rs->ents[i].label);
    free(rs->ents);
    free(rs->tab);
    free(rs->comp);
    free(rs);
}

void cs_risk_store_meta(const struct cs_risk_store *rs, const struct cs_risk_config *cfg,
                        struct cs_risk_index_meta *m)
{
    memset(m, 0, sizeof *m);
    if (rs->cdb) {
        const struct cs_cluster_state *st = cs_clusterdb_state(rs->cdb);
        m->cluster_tx = st->tx;
        memcpy(m->cluster_tip, st->tip, 32);
        m->attrib_mode = 2;
    } else {
        m->attrib_mode = 1;
        m->cluster_tx = cs_store_counts(rs->s)->tx;
        const struct cs_blockrec *b =
            cs_store_counts(rs->s)->blocks ? cs_store_block(rs->s, cs_store_counts(rs->s)->blocks - 1) : NULL;
        if (b) memcpy(m->cluster_tip, b->hash, 32);
    }
    memcpy(m->tags_sha, rs->tags_sha, 32);
    m->max_hops = cfg->max_hops;
    m->decay = cfg->decay;
}

int cs_risk_store_build_index(struct cs_risk_store *rs, const char *dbdir,
                              const struct cs_risk_config *cfg, struct cs_risk_index_meta *meta_out)
{
    const struct cs_store *s = rs->s;
    /* dense node numbers: the nodes in ascending id order */
    uint32_t *dense = cs_xmalloc((rs->naddr ? rs->naddr : 1) * sizeof *dense);
    size_t n = 0;
    for (uint64_t a = 1; a < rs->naddr; a++)
        if (rs->mem_off[a + 1] > rs->mem_off[a]) dense[a] = (uint32_t)n++;
    uint32_t *ids = cs_xmalloc((n ? n : 1) * sizeof *ids);
    int8_t *cat = cs_xmalloc(n ? n : 1);
    for (uint64_t a = 1, k = 0; a < rs->naddr; a++)
        if (rs->mem_off[a + 1] > rs->mem_off[a]) {
            ids[k] = (uint32_t)a;
            int c = -1;
            cat[k] = g_entity(rs, a, &c) >= 0 ? (int8_t)c : -1;
            k++;
        }
    struct cs_risk_events ev = {0};
    struct cs_risk_leg *src = NULL, *dst = NULL;
    size_t capl = 0;
    uint64_t ntx = cs_store_counts(s)->tx;
    for (uint64_t t = 0; t < ntx; t++) {
        tx_comp(rs, t, 1);
        size_t ns = rs->ncomp;
        if (ns + 1 > capl) {
            capl = (ns + 1) * 2;
            src = cs_xrealloc(src, capl * sizeof *src);
            dst = cs_xrealloc(dst, capl * sizeof *dst);
        }
        for (size_t i = 0; i < ns; i++) src[i] = (struct cs_risk_leg){dense[rs->comp[i].node], rs->comp[i].amount};
        tx_comp(rs, t, 0);
        size_t nd = rs->ncomp;
        if (nd > capl) {
            capl = nd * 2;
            src = cs_xrealloc(src, capl * sizeof *src);
            dst = cs_xrealloc(dst, capl * sizeof *dst);
        }
        for (size_t i = 0; i < nd; i++) dst[i] = (struct cs_risk_leg){dense[rs->comp[i].node], rs->comp[i].amount};
        if (nd || ns) cs_risk_events_add(&ev, src, ns, dst, nd);
    }
    free(src);
    free(dst);
    free(dense);
    int rc = cs_store_status(s);
    struct cs_risk_index_meta meta;
    cs_risk_store_meta(rs, cfg, &meta);
    struct cs_risk_index *ix = NULL;
    if (!rc) rc = cs_risk_index_build(&ev, ids, n, cat, &meta, &ix);
    cs_risk_events_free(&ev);
    free(ids);
    free(cat);
    if (!rc) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/%s/risk", dbdir, cs_store_chain(s));
        rc = cs_risk_index_save(ix, dir);
    }
    cs_risk_index_free(ix);
    if (!rc && meta_out) *meta_out = meta;
    return rc;
}
