/* walk.c — the exposure walk of METHODS §5 over a cs_risk_graph, and the
 * score and level.  Chain-neutral: everything about a chain is behind the
 * graph's callbacks.
 *
 * The walk is breadth first by hop: level h holds every node reached at hop
 * h with its mass (mass arriving at one node by several paths is summed, so
 * the work is O(distinct nodes per hop * their flows), not O(paths)).  Each
 * level keeps, per node, the predecessor that brought it the most mass, so
 * --explain can print the heaviest path to every entity without a second
 * walk.  Levels are kept until the walk ends: memory O(nodes reached). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "risk/risk.h"

void cs_risk_flowbuf_push(struct cs_risk_flowbuf *b, uint64_t node, double amount, uint64_t tx)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->v = cs_xrealloc(b->v, b->cap * sizeof *b->v);
    }
    b->v[b->n].node = node;
    b->v[b->n].amount = amount;
    b->v[b->n].tx = tx;
    b->n++;
}

void cs_risk_flowbuf_free(struct cs_risk_flowbuf *b)
{
    free(b->v);
    memset(b, 0, sizeof *b);
}

void cs_risk_result_init(struct cs_risk_result *r)
{
    memset(r, 0, sizeof *r);
    r->owner_category = -1;
    r->owner_entity = -1;
}

void cs_risk_result_free(struct cs_risk_result *r)
{
    free(r->reasons);
    cs_risk_result_init(r);
}

/* ---- one hop level ---- */

struct lnode {
    uint64_t node;
    double mass;
    double best;     /* largest single arrival */
    uint32_t pred;   /* index in the previous level of that arrival */
    uint64_t pred_tx;
};

struct level {
    struct lnode *v;
    size_t n, cap;
    uint32_t *slot; /* open addressing: index + 1, 0 empty */
    size_t nslot;
};

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static void level_grow_slots(struct level *l)
{
    size_t ns = l->nslot ? l->nslot * 2 : 64;
    uint32_t *s = cs_xcalloc(ns, sizeof *s);
    for (size_t i = 0; i < l->n; i++) {
        size_t h = mix64(l->v[i].node) & (ns - 1);
        while (s[h]) h = (h + 1) & (ns - 1);
        s[h] = (uint32_t)(i + 1);
    }
    free(l->slot);
    l->slot = s;
    l->nslot = ns;
}

static struct lnode *level_get(struct level *l, uint64_t node)
{
    if ((l->n + 1) * 2 > l->nslot) level_grow_slots(l);
    size_t h = mix64(node) & (l->nslot - 1);
    while (l->slot[h]) {
        struct lnode *x = &l->v[l->slot[h] - 1];
        if (x->node == node) return x;
        h = (h + 1) & (l->nslot - 1);
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = cs_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    struct lnode *x = &l->v[l->n];
    memset(x, 0, sizeof *x);
    x->node = node;
    x->best = -1;
    l->slot[h] = (uint32_t)(++l->n);
    return x;
}

static void level_free(struct level *l)
{
    free(l->v);
    free(l->slot);
}

/* ---- reasons ---- */

static struct cs_risk_reason *reason_get(struct cs_risk_result *r, int32_t entity, int category,
                                         int dir)
{
    for (size_t i = r->n_reasons; i-- > 0;)
        if (r->reasons[i].entity == entity && r->reasons[i].dir == dir) return &r->reasons[i];
    if (r->n_reasons == r->cap_reasons) {
        r->cap_reasons = r->cap_reasons ? r->cap_reasons * 2 : 16;
        r->reasons = cs_xrealloc(r->reasons, r->cap_reasons * sizeof *r->reasons);
    }
    struct cs_risk_reason *x = &r->reasons[r->n_reasons++];
    memset(x, 0, sizeof *x);
    x->entity = entity;
    x->category = category;
    x->dir = dir;
    x->path_mass = -1;
    x->via = CS_RISK_ORIGIN;
    return x;
}

static void reason_tx(struct cs_risk_reason *x, uint64_t tx)
{
    for (unsigned i = 0; i < x->n_txs; i++)
        if (x->txs[i] == tx) return;
    if (x->n_txs < CS_RISK_MAX_TXS) x->txs[x->n_txs++] = tx;
}

/* Adds the mass q that reached an entity at hop h to exposure and reason. */
static void hit(const struct cs_risk_config *cfg, struct cs_risk_result *r, int dir, int32_t ent,
                int cat, unsigned h, double q, uint64_t tx)
{
    struct cs_risk_cat *c = &r->dir[dir].cat[cat];
    double dec = q * pow(cfg->decay, (double)h - 1);
    if (h == 1) c->direct += q;
    else c->indirect += q;
    c->decayed += dec;
    if (!c->min_hops || h < c->min_hops) c->min_hops = h;
    struct cs_risk_reason *x = reason_get(r, ent, cat, dir);
    x->share += q;
    x->decayed += dec;
    if (!x->min_hops || h < x->min_hops) x->min_hops = h;
    reason_tx(x, tx);
}

int cs_risk_walk(const struct cs_risk_graph *g, const struct cs_risk_config *cfg, int dir,
                 const struct cs_risk_flow *start, size_t n_start, int explain,
                 struct cs_risk_result *r)
{
    struct cs_risk_exposure *ex = &r->dir[dir];
    memset(ex, 0, sizeof *ex);
    r->dirs |= 1 << dir;
    unsigned H = cfg->max_hops;
    struct level lv[CS_RISK_MAX_HOPS + 1];
    memset(lv, 0, sizeof lv);
    /* the explain bookkeeping: per reason, the hop and level node of its
     * heaviest arrival (kept beside the reasons, resolved at the end) */
    struct pending {
        size_t reason;
        unsigned hop;
        uint32_t pred;
        uint64_t tx, node;
        double q;
    } *pend = NULL;
    size_t n_pend = 0, cap_pend = 0;
    size_t first_reason = r->n_reasons;
    uint64_t budget = cfg->walk_budget;
    struct cs_risk_flowbuf fb = {0};
    int rc = 0;

    double w0 = 0;
    for (size_t i = 0; i < n_start; i++) w0 += start[i].amount;
    if (!(w0 > 0)) {
        ex->unknown = 1;
        goto out;
    }
    for (unsigned h = 1; h <= H; h++) {
        /* the flows arriving at hop h: from the start (h = 1) or from level h-1 */
        size_t n_src = h == 1 ? 1 : lv[h - 1].n;
        for (size_t si = 0; si < n_src; si++) {
            const struct cs_risk_flow *fl;
            size_t nf;
            double mass, w;
            if (h == 1) {
                fl = start;
                nf = n_start;
                mass = 1;
                w = w0;
            } else {
                uint64_t node = lv[h - 1].v[si].node;
                mass = lv[h - 1].v[si].mass;
                fb.n = 0;
                fb.work = 0;
                int more = 0;
                rc = g->flows(g->ctx, node, dir, &fb, budget, &more);
                if (rc) goto out;
                ex->flows_read += fb.n;
                uint64_t spent = fb.work ? fb.work : fb.n;
                budget = spent >= budget ? 0 : budget - spent;
                if (more) {
                    ex->truncated = 1;
                    ex->unknown += mass;
                    continue;
                }
                fl = fb.v;
                nf = fb.n;
                w = 0;
                for (size_t i = 0; i < nf; i++) w += fl[i].amount;
                if (!(w > 0)) {
                    ex->unknown += mass;
                    continue;
                }
            }
            for (size_t i = 0; i < nf; i++) {
                double q = mass * (fl[i].amount / w);
                if (!(q > 0)) continue;
                uint64_t d = fl[i].node;
                int cat = -1;
                int32_t ent = d == CS_RISK_ORIGIN ? -1 : g->entity(g->ctx, d, &cat);
                if (d == CS_RISK_ORIGIN) {
                    ex->unknown += q;
                } else if (ent >= 0) {
                    hit(cfg, r, dir, ent, cat, h, q, fl[i].tx);
                    if (explain) {
                        struct cs_risk_reason *x = reason_get(r, ent, cat, dir);
                        size_t ri = (size_t)(x - r->reasons);
                        size_t k = 0;
                        while (k < n_pend && pend[k].reason != ri) k++;
                        if (k == n_pend) {
                            if (n_pend == cap_pend) {
                                cap_pend = cap_pend ? cap_pend * 2 : 16;
                                pend = cs_xrealloc(pend, cap_pend * sizeof *pend);
                            }
                            pend[n_pend++] = (struct pending){ri, 0, 0, 0, 0, -1};
                        }
                        if (q > pend[k].q) {
                            pend[k].q = q;
                            pend[k].hop = h;
                            pend[k].pred = (uint32_t)si;
                            pend[k].tx = fl[i].tx;
                            pend[k].node = d;
                        }
                    }
                } else if (h == H) {
                    ex->unknown += q;
                } else {
                    struct lnode *x = level_get(&lv[h], d);
                    x->mass += q;
                    if (q > x->best) {
                        x->best = q;
                        x->pred = (uint32_t)si;
                        x->pred_tx = fl[i].tx;
                    }
                }
            }
        }
    }
    /* heaviest paths: walk the predecessors back from each entity's arrival */
    for (size_t k = 0; k < n_pend; k++) {
        struct cs_risk_reason *x = &r->reasons[pend[k].reason];
        unsigned h = pend[k].hop;
        if (h > CS_RISK_MAX_PATH) continue;
        x->path_len = h;
        x->path_mass = pend[k].q;
        x->path_nodes[h - 1] = pend[k].node;
        x->path_txs[h - 1] = pend[k].tx;
        uint32_t p = pend[k].pred;
        for (unsigned j = h - 1; j >= 1; j--) {
            const struct lnode *y = &lv[j].v[p];
            x->path_nodes[j - 1] = y->node;
            x->path_txs[j - 1] = y->pred_tx;
            p = y->pred;
        }
    }
    (void)first_reason;
out:
    for (unsigned h = 0; h <= CS_RISK_MAX_HOPS; h++) level_free(&lv[h]);
    free(pend);
    cs_risk_flowbuf_free(&fb);
    return rc;
}

static int cmp_reason(const void *a, const void *b, void *arg)
{
    const struct cs_risk_config *cfg = arg;
    const struct cs_risk_reason *x = a, *y = b;
    double sx = cfg->weight[x->category] * x->decayed;
    double sy = cfg->weight[y->category] * y->decayed;
    if (sx != sy) return sx > sy ? -1 : 1;
    if (x->share != y->share) return x->share > y->share ? -1 : 1;
    if (x->entity != y->entity) return x->entity < y->entity ? -1 : 1;
    if (x->category != y->category) return x->category - y->category;
    if (x->via != y->via) return x->via < y->via ? -1 : 1;
    return x->dir - y->dir;
}

void cs_risk_finish(const struct cs_risk_config *cfg, struct cs_risk_result *r)
{
    double s = 0;
    int direct_sanctions = 0;
    for (int d = 0; d < 2; d++) {
        if (!(r->dirs & (1 << d))) continue;
        for (int c = 0; c < CS_RISK_NCAT; c++) {
            double v = cfg->weight[c] * r->dir[d].cat[c].decayed;
            if (v > s) s = v;
        }
        if (r->dir[d].cat[CS_TAG_SANCTIONED].direct > 0) direct_sanctions = 1;
    }
    if (r->owner_category >= 0) {
        if (cfg->weight[r->owner_category] > s) s = cfg->weight[r->owner_category];
        if (r->owner_category == CS_TAG_SANCTIONED) direct_sanctions = 1;
    }
    r->score = s;
    if ((direct_sanctions && cfg->severe_on_direct_sanctions) || s >= cfg->severe)
        r->level = CS_RISK_SEVERE;
    else if (s >= cfg->high)
        r->level = CS_RISK_HIGH;
    else if (s >= cfg->medium)
        r->level = CS_RISK_MEDIUM;
    else
        r->level = CS_RISK_LOW;
    if (r->n_reasons > 1)
        qsort_r(r->reasons, r->n_reasons, sizeof *r->reasons, cmp_reason, (void *)cfg);
}
