/* test_risk.c — the exposure model (src/risk/): METHODS §5's worked example
 * reproduced exactly by the walk and by the index; the walk and the index
 * agreeing on every node, both directions, of random small graphs (the
 * flows computed here from the events by METHODS' rule, independently of
 * the store adapter); the config file (defaults, unknown keys and bad
 * values with file:line); dates for --as-of. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "risk/risk.h"
#include "tags/tags.h"
#include "util/error.h"

/* ---- a toy graph: events among small node ids ---- */

#define MAXN 64
#define MAXE 256
#define MAXL 8

struct tev {
    int ns, nd;
    uint32_t s[MAXL], d[MAXL];
    uint64_t a[MAXL], v[MAXL];
};

struct toy {
    int n;
    int cat[MAXN]; /* -1 unattributed */
    struct tev e[MAXE];
    int ne;
};

static int32_t toy_entity(void *ctx, uint64_t node, int *category)
{
    struct toy *t = ctx;
    if (node >= (uint64_t)t->n || t->cat[node] < 0) return -1;
    *category = t->cat[node];
    return (int32_t)node;
}

static const char *toy_label(void *ctx, int32_t e)
{
    return "toy";
}

/* METHODS §5 flow rule, written out per event (aggregating repeated legs) */
static int toy_flows(void *ctx, uint64_t node, int dir, struct cs_risk_flowbuf *buf, uint64_t max,
                     int *more)
{
    struct toy *t = ctx;
    *more = 0;
    for (int i = 0; i < t->ne; i++) {
        const struct tev *e = &t->e[i];
        const uint32_t *me = dir == CS_RISK_IN ? e->d : e->s, *cp = dir == CS_RISK_IN ? e->s : e->d;
        const uint64_t *mv = dir == CS_RISK_IN ? e->v : e->a, *cv = dir == CS_RISK_IN ? e->a : e->v;
        int nme = dir == CS_RISK_IN ? e->nd : e->ns, ncp = dir == CS_RISK_IN ? e->ns : e->nd;
        double mine = 0, tot = 0;
        for (int j = 0; j < nme; j++)
            if (me[j] == node) mine += (double)mv[j];
        if (mine == 0) continue;
        for (int j = 0; j < ncp; j++) tot += (double)cv[j];
        if (tot == 0) {
            cs_risk_flowbuf_push(buf, CS_RISK_ORIGIN, mine, (uint64_t)i);
            continue;
        }
        for (int j = 0; j < ncp; j++)
            if (cp[j] != node && cv[j]) cs_risk_flowbuf_push(buf, cp[j], mine * (double)cv[j] / tot, (uint64_t)i);
    }
    if (buf->n > max) {
        *more = 1;
        buf->n = (size_t)max;
    }
    return 0;
}

static struct cs_risk_graph toy_graph(struct toy *t)
{
    return (struct cs_risk_graph){t, toy_entity, toy_label, toy_flows};
}

static void toy_event(struct toy *t, int ns, const uint32_t *s, const uint64_t *a, int nd,
                      const uint32_t *d, const uint64_t *v)
{
    struct tev *e = &t->e[t->ne++];
    e->ns = ns;
    e->nd = nd;
    memcpy(e->s, s, ns * sizeof *s);
    memcpy(e->a, a, ns * sizeof *a);
    memcpy(e->d, d, nd * sizeof *d);
    memcpy(e->v, v, nd * sizeof *v);
}

/* events aggregated per node, as the store adapter gives them */
static void toy_events(const struct toy *t, struct cs_risk_events *ev)
{
    memset(ev, 0, sizeof *ev);
    for (int i = 0; i < t->ne; i++) {
        const struct tev *e = &t->e[i];
        struct cs_risk_leg s[MAXL], d[MAXL];
        int ns = 0, nd = 0;
        for (int j = 0; j < e->ns; j++) {
            if (!e->a[j]) continue;
            int k = 0;
            while (k < ns && s[k].node != e->s[j]) k++;
            if (k == ns) s[ns++] = (struct cs_risk_leg){e->s[j], 0};
            s[k].amount += e->a[j];
        }
        for (int j = 0; j < e->nd; j++) {
            if (!e->v[j]) continue;
            int k = 0;
            while (k < nd && d[k].node != e->d[j]) k++;
            if (k == nd) d[nd++] = (struct cs_risk_leg){e->d[j], 0};
            d[k].amount += e->v[j];
        }
        cs_risk_events_add(ev, s, (size_t)ns, d, (size_t)nd);
    }
}

static struct cs_risk_index *toy_index(const struct toy *t, unsigned H, double decay)
{
    struct cs_risk_events ev;
    toy_events(t, &ev);
    uint32_t ids[MAXN];
    int8_t cat[MAXN];
    for (int i = 0; i < t->n; i++) {
        ids[i] = (uint32_t)i;
        cat[i] = (int8_t)t->cat[i];
    }
    struct cs_risk_index_meta m = {0};
    m.max_hops = H;
    m.decay = decay;
    struct cs_risk_index *ix;
    assert_int_equal(cs_risk_index_build(&ev, ids, (size_t)t->n, cat, &m, &ix), 0);
    cs_risk_events_free(&ev);
    return ix;
}

static void walk_node(struct toy *t, const struct cs_risk_config *cfg, uint64_t node, int dir,
                      int explain, struct cs_risk_result *r)
{
    struct cs_risk_graph g = toy_graph(t);
    struct cs_risk_flowbuf fb = {0};
    int more;
    assert_int_equal(toy_flows(t, node, dir, &fb, UINT64_MAX, &more), 0);
    assert_int_equal(cs_risk_walk(&g, cfg, dir, fb.v, fb.n, explain, r), 0);
    cs_risk_flowbuf_free(&fb);
}

#define EPS 1e-12
enum { X = 0, S = 1, U = 2, DK = 3, EX = 4 };

/* X received 10 BTC: 2 from sanctioned S, 8 from unattributed U; U's inflows
 * were half darknet, half regulated exchange. */
static void methods_example(struct toy *t)
{
    memset(t, 0, sizeof *t);
    t->n = 5;
    for (int i = 0; i < t->n; i++) t->cat[i] = -1;
    t->cat[S] = CS_TAG_SANCTIONED;
    t->cat[DK] = CS_TAG_DARKNET;
    t->cat[EX] = CS_TAG_EXCHANGE;
    uint32_t s, d;
    uint64_t a;
    s = S, d = X, a = 200000000;
    toy_event(t, 1, &s, &a, 1, &d, &a);
    s = U, d = X, a = 800000000;
    toy_event(t, 1, &s, &a, 1, &d, &a);
    s = DK, d = U, a = 500000000;
    toy_event(t, 1, &s, &a, 1, &d, &a);
    s = EX, d = U, a = 500000000;
    toy_event(t, 1, &s, &a, 1, &d, &a);
}

static void test_methods_example_walk(void **state)
{
    struct toy t;
    methods_example(&t);
    struct cs_risk_config cfg;
    cs_risk_config_default(&cfg);
    struct cs_risk_result r;
    cs_risk_result_init(&r);
    walk_node(&t, &cfg, X, CS_RISK_IN, 1, &r);
    cs_risk_finish(&cfg, &r);
    const struct cs_risk_exposure *e = &r.dir[CS_RISK_IN];
    assert_true(fabs(e->cat[CS_TAG_SANCTIONED].direct - 0.2) < EPS);      /* D_sanctions = 0.2 */
    assert_true(fabs(e->cat[CS_TAG_SANCTIONED].indirect) < EPS);
    assert_int_equal(e->cat[CS_TAG_SANCTIONED].min_hops, 1);
    assert_true(fabs(e->cat[CS_TAG_DARKNET].direct) < EPS);
    assert_true(fabs(e->cat[CS_TAG_DARKNET].indirect - 0.4) < EPS);       /* E_darknet,2 = 0.4 */
    assert_true(fabs(e->cat[CS_TAG_DARKNET].decayed - 0.2) < EPS);        /* X_darknet = 0.2 */
    assert_int_equal(e->cat[CS_TAG_DARKNET].min_hops, 2);
    assert_true(fabs(e->cat[CS_TAG_EXCHANGE].indirect - 0.4) < EPS);
    assert_true(fabs(e->unknown) < EPS);
    /* scores: sanctions 1.0 * 0.2, darknet 0.8 * 0.2 = 0.16; S = 0.2 */
    assert_true(fabs(cfg.weight[CS_TAG_DARKNET] * e->cat[CS_TAG_DARKNET].decayed - 0.16) < EPS);
    assert_true(fabs(r.score - 0.2) < EPS);
    assert_int_equal(r.level, CS_RISK_SEVERE); /* because of the direct sanctions exposure */
    /* reasons: sanctioned (0.2), darknet (0.16), exchange (weight 0) */
    assert_int_equal(r.n_reasons, 3);
    assert_int_equal(r.reasons[0].category, CS_TAG_SANCTIONED);
    assert_int_equal(r.reasons[0].entity, S);
    assert_int_equal(r.reasons[0].min_hops, 1);
    assert_int_equal(r.reasons[0].n_txs, 1);
    assert_int_equal(r.reasons[0].txs[0], 0);
    assert_int_equal(r.reasons[1].category, CS_TAG_DARKNET);
    assert_true(fabs(r.reasons[1].share - 0.4) < EPS);
    /* --explain: X <- U (tx 1) <- DK (tx 2) */
    assert_int_equal(r.reasons[1].path_len, 2);
    assert_int_equal(r.reasons[1].path_nodes[0], U);
    assert_int_equal(r.reasons[1].path_txs[0], 1);
    assert_int_equal(r.reasons[1].path_nodes[1], DK);
    assert_int_equal(r.reasons[1].path_txs[1], 2);
    assert_int_equal(r.reasons[2].category, CS_TAG_EXCHANGE);
    cs_risk_result_free(&r);

    /* without the direct-sanctions rule S = 0.2 is HIGH (>= 0.2, < 0.5) */
    cfg.severe_on_direct_sanctions = 0;
    cs_risk_result_init(&r);
    walk_node(&t, &cfg, X, CS_RISK_IN, 0, &r);
    cs_risk_finish(&cfg, &r);
    assert_int_equal(r.level, CS_RISK_HIGH);
    cs_risk_result_free(&r);
    /* outflows: X sent nothing */
    cs_risk_result_init(&r);
    walk_node(&t, &cfg, X, CS_RISK_OUT, 0, &r);
    assert_true(fabs(r.dir[CS_RISK_OUT].unknown - 1) < EPS);
    cs_risk_result_free(&r);
    /* one hop: only the direct part is seen; U's mass is unknown */
    cfg.max_hops = 1;
    cs_risk_result_init(&r);
    walk_node(&t, &cfg, X, CS_RISK_IN, 0, &r);
    assert_true(fabs(r.dir[CS_RISK_IN].unknown - 0.8) < EPS);
    assert_true(r.dir[CS_RISK_IN].cat[CS_TAG_DARKNET].indirect == 0);
    cs_risk_result_free(&r);
}

static void test_methods_example_index(void **state)
{
    struct toy t;
    methods_example(&t);
    struct cs_risk_config cfg;
    cs_risk_config_default(&cfg);
    struct cs_risk_index *ix = toy_index(&t, cfg.max_hops, cfg.decay);
    double w;
    const struct cs_risk_ixcat *c;
    size_t n;
    assert_int_equal(cs_risk_index_get(ix, X, CS_RISK_IN, &w, &c, &n), 0);
    assert_true(fabs(w - 1e9) < 1e-3);
    assert_int_equal(n, 3); /* exchange, sanctioned, darknet (enum order) */
    for (size_t i = 0; i < n; i++) {
        if (c[i].category == CS_TAG_SANCTIONED) {
            assert_true(fabs(c[i].direct - 0.2) < 1e-7);
            assert_true(fabs(c[i].x_h - 0.2) < 1e-7);
            assert_int_equal(c[i].hops_h, 1);
        } else if (c[i].category == CS_TAG_DARKNET) {
            assert_true(fabs(c[i].direct) < 1e-7);
            assert_true(fabs(c[i].t_h - 0.4) < 1e-7);
            assert_true(fabs(c[i].x_h - 0.2) < 1e-7);
            assert_int_equal(c[i].hops_h, 2);
        } else {
            assert_int_equal(c[i].category, CS_TAG_EXCHANGE);
        }
    }
    /* U: its H-1 row is what X sees at hop 1 */
    assert_int_equal(cs_risk_index_get(ix, U, CS_RISK_IN, &w, &c, &n), 0);
    assert_int_equal(n, 2);
    /* the indexed screen gives the same level and the reasons add up */
    struct cs_risk_graph g = toy_graph(&t);
    struct cs_risk_result r;
    cs_risk_result_init(&r);
    assert_int_equal(cs_risk_screen_indexed(ix, &g, &cfg, CS_RISK_IN, X, NULL, 0, &r), 0);
    cs_risk_finish(&cfg, &r);
    assert_int_equal(r.level, CS_RISK_SEVERE);
    assert_true(fabs(r.score - 0.2) < 1e-7);
    double dk = 0;
    for (size_t i = 0; i < r.n_reasons; i++)
        if (r.reasons[i].category == CS_TAG_DARKNET) {
            dk += r.reasons[i].decayed;
            assert_int_equal(r.reasons[i].entity, -1);
            assert_int_equal(r.reasons[i].via, U);
            assert_int_equal(r.reasons[i].min_hops, 2);
        }
    assert_true(fabs(dk - 0.2) < 1e-7);
    cs_risk_result_free(&r);
    /* a save/open round trip keeps every row; a flipped byte is caught */
    char dir[] = "/tmp/test_risk_XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(cs_risk_index_save(ix, dir), 0);
    struct cs_risk_index *ix2;
    assert_int_equal(cs_risk_index_open(dir, &ix2), 0);
    assert_int_equal(cs_risk_index_nodes(ix2), 5);
    assert_int_equal(cs_risk_index_verify(ix2), 0);
    const struct cs_risk_ixcat *c2;
    size_t n2;
    double w2;
    for (uint64_t node = 0; node < 5; node++)
        for (int d = 0; d < 2; d++) {
            assert_int_equal(cs_risk_index_get(ix, node, d, &w, &c, &n), 0);
            assert_int_equal(cs_risk_index_get(ix2, node, d, &w2, &c2, &n2), 0);
            assert_int_equal(n, n2);
            assert_true(w == w2);
            assert_memory_equal(c, c2, n * sizeof *c);
        }
    assert_int_equal(cs_risk_index_get(ix2, 77, 0, &w2, &c2, &n2), CS_ENOTFOUND);
    cs_risk_index_free(ix2);
    char path[64];
    snprintf(path, sizeof path, "%s/exposure.idx", dir);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 200, SEEK_SET);
    int ch = fgetc(f);
    fseek(f, 200, SEEK_SET);
    fputc(ch ^ 1, f);
    fclose(f);
    assert_int_equal(cs_risk_index_open(dir, &ix2), CS_ECORRUPT);
    remove(path);
    rmdir(dir);
    cs_risk_index_free(ix);
}

/* ---- random graphs: walk == index for every node and direction ---- */

static uint64_t rng = 1;
static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void random_toy(struct toy *t)
{
    memset(t, 0, sizeof *t);
    t->n = 4 + (int)(rnd() % 28);
    static const int cats[] = {CS_TAG_SANCTIONED, CS_TAG_MIXER, CS_TAG_EXCHANGE, CS_TAG_DARKNET};
    for (int i = 0; i < t->n; i++) t->cat[i] = rnd() % 4 == 0 ? cats[rnd() % 4] : -1;
    t->ne = 0;
    int ne = 1 + (int)(rnd() % 60);
    for (int i = 0; i < ne; i++) {
        uint32_t s[MAXL], d[MAXL];
        uint64_t a[MAXL], v[MAXL];
        int ns = (int)(rnd() % 4), nd = 1 + (int)(rnd() % 4); /* ns = 0: newly mined */
        for (int j = 0; j < ns; j++) {
            s[j] = (uint32_t)(rnd() % (uint64_t)t->n);
            a[j] = 1 + rnd() % 1000;
        }
        for (int j = 0; j < nd; j++) {
            d[j] = (uint32_t)(rnd() % (uint64_t)t->n);
            v[j] = rnd() % 5 ? 1 + rnd() % 1000 : 0;
        }
        toy_event(t, ns, s, a, nd, d, v);
    }
}

static void test_walk_equals_index(void **state)
{
    size_t checked = 0, nonzero = 0;
    for (int round = 0; round < 300; round++) {
        struct toy t;
        random_toy(&t);
        struct cs_risk_config cfg;
        cs_risk_config_default(&cfg);
        cfg.max_hops = 1 + (unsigned)(rnd() % 7);
        cfg.decay = (double)(rnd() % 5) / 4;
        struct cs_risk_index *ix = toy_index(&t, cfg.max_hops, cfg.decay);
        for (int node = 0; node < t.n; node++)
            for (int dir = 0; dir < 2; dir++) {
                struct cs_risk_result r;
                cs_risk_result_init(&r);
                walk_node(&t, &cfg, (uint64_t)node, dir, 0, &r);
                double w;
                const struct cs_risk_ixcat *c;
                size_t n;
                assert_int_equal(cs_risk_index_get(ix, (uint64_t)node, dir, &w, &c, &n), 0);
                for (int k = 0; k < CS_RISK_NCAT; k++) {
                    const struct cs_risk_cat *wc = &r.dir[dir].cat[k];
                    const struct cs_risk_ixcat *ic = NULL;
                    for (size_t i = 0; i < n; i++)
                        if (c[i].category == k) ic = &c[i];
                    double idir = ic ? ic->direct : 0, it = ic ? ic->t_h : 0, ix_ = ic ? ic->x_h : 0;
                    unsigned ih = ic ? ic->hops_h : 0;
                    if (fabs(wc->direct - idir) > 1e-5 || fabs(wc->direct + wc->indirect - it) > 1e-5 ||
                        fabs(wc->decayed - ix_) > 1e-5 || wc->min_hops != ih) {
                        fail_msg("round %d node %d dir %d cat %d H %u decay %g: walk D %g T %g X %g "
                                 "hops %u, index D %g T %g X %g hops %u",
                                 round, node, dir, k, cfg.max_hops, cfg.decay, wc->direct,
                                 wc->direct + wc->indirect, wc->decayed, wc->min_hops, idir, it, ix_, ih);
                    }
                    checked++;
                    nonzero += it > 0;
                }
                /* the indexed screen of the node equals its row; the reasons it
                 * lists (one hop, counterparties' H-1 rows) add up to it */
                struct cs_risk_result q;
                cs_risk_result_init(&q);
                struct cs_risk_graph g = toy_graph(&t);
                assert_int_equal(cs_risk_screen_indexed(ix, &g, &cfg, dir, (uint64_t)node, NULL, 0, &q), 0);
                for (int k = 0; k < CS_RISK_NCAT; k++) {
                    double sum = 0;
                    for (size_t i = 0; i < q.n_reasons; i++)
                        if (q.reasons[i].category == k) sum += q.reasons[i].share;
                    const struct cs_risk_cat *qc = &q.dir[dir].cat[k];
                    assert_true(fabs(sum - (qc->direct + qc->indirect)) < 1e-5);
                }
                cs_risk_result_free(&q);
                cs_risk_result_free(&r);
            }
        cs_risk_index_free(ix);
    }
    print_message("walk == index on %zu (node, direction, category) triples, %zu non-zero\n",
                  checked, nonzero);
    assert_true(nonzero > 1000);
}

/* a transaction target: the walk from its flows equals the indexed screen */
static void test_tx_target(void **state)
{
    for (int round = 0; round < 100; round++) {
        struct toy t;
        random_toy(&t);
        struct cs_risk_config cfg;
        cs_risk_config_default(&cfg);
        struct cs_risk_index *ix = toy_index(&t, cfg.max_hops, cfg.decay);
        struct cs_risk_graph g = toy_graph(&t);
        const struct tev *e = &t.e[rnd() % (uint64_t)t.ne];
        struct cs_risk_flow fl[MAXL];
        size_t nf = 0;
        for (int j = 0; j < e->ns; j++)
            fl[nf++] = (struct cs_risk_flow){e->s[j], (double)e->a[j], 0};
        struct cs_risk_result a, b;
        cs_risk_result_init(&a);
        cs_risk_result_init(&b);
        assert_int_equal(cs_risk_walk(&g, &cfg, CS_RISK_IN, fl, nf, 0, &a), 0);
        assert_int_equal(cs_risk_screen_indexed(ix, &g, &cfg, CS_RISK_IN, CS_RISK_ORIGIN, fl, nf, &b), 0);
        for (int k = 0; k < CS_RISK_NCAT; k++) {
            const struct cs_risk_cat *x = &a.dir[0].cat[k], *y = &b.dir[0].cat[k];
            assert_true(fabs(x->direct - y->direct) < 1e-5);
            assert_true(fabs(x->indirect - y->indirect) < 1e-5);
            assert_true(fabs(x->decayed - y->decayed) < 1e-5);
            assert_int_equal(x->min_hops, y->min_hops);
        }
        assert_true(fabs(a.dir[0].unknown - b.dir[0].unknown) < 1e-5);
        cs_risk_result_free(&a);
        cs_risk_result_free(&b);
        cs_risk_index_free(ix);
    }
}

/* the budget: a hub whose flows pass it is not expanded, and it is said */
static void test_budget(void **state)
{
    struct toy t;
    memset(&t, 0, sizeof t);
    t.n = 40;
    for (int i = 0; i < t.n; i++) t.cat[i] = -1;
    t.cat[39] = CS_TAG_MIXER;
    uint32_t s, d;
    uint64_t a = 10;
    s = 1, d = 0;
    toy_event(&t, 1, &s, &a, 1, &d, &a); /* 0 <- hub 1 */
    for (uint32_t i = 2; i < 39; i++) {
        s = i, d = 1;
        toy_event(&t, 1, &s, &a, 1, &d, &a); /* hub 1 <- 37 nodes */
    }
    s = 39, d = 2;
    toy_event(&t, 1, &s, &a, 1, &d, &a); /* 2 <- mixer */
    struct cs_risk_config cfg;
    cs_risk_config_default(&cfg);
    struct cs_risk_result r;
    cs_risk_result_init(&r);
    walk_node(&t, &cfg, 0, CS_RISK_IN, 0, &r);
    assert_int_equal(r.dir[0].truncated, 0);
    assert_true(fabs(r.dir[0].cat[CS_TAG_MIXER].indirect - 1.0 / 37) < EPS);
    assert_int_equal(r.dir[0].cat[CS_TAG_MIXER].min_hops, 3);
    cs_risk_result_free(&r);
    cfg.walk_budget = 20; /* the hub has 37 flows */
    cs_risk_result_init(&r);
    walk_node(&t, &cfg, 0, CS_RISK_IN, 0, &r);
    assert_int_equal(r.dir[0].truncated, 1);
    assert_true(fabs(r.dir[0].unknown - 1) < EPS);
    assert_true(r.dir[0].flows_read <= 20);
    cs_risk_result_free(&r);
}

/* ---- config ---- */

static void test_config(void **state)
{
    struct cs_risk_config c;
    cs_risk_config_default(&c);
    assert_int_equal(c.max_hops, 6);
    assert_true(c.decay == 0.5);
    assert_true(c.weight[CS_TAG_SANCTIONED] == 1.0 && c.weight[CS_TAG_STOLEN_FUNDS] == 0.9 &&
                c.weight[CS_TAG_RANSOMWARE] == 0.9 && c.weight[CS_TAG_DARKNET] == 0.8 &&
                c.weight[CS_TAG_MIXER] == 0.7 && c.weight[CS_TAG_SCAM] == 0.7 &&
                c.weight[CS_TAG_GAMBLING] == 0.3 && c.weight[CS_TAG_EXCHANGE] == 0);
    assert_true(c.severe == 0.5 && c.high == 0.2 && c.medium == 0.05);
    const char ok[] = "# comment\n\nmax_hops = 3\ndecay=0.25\n weight.exchange = 0.1 \n"
                      "level.medium = 0.01\nsevere_on_direct_sanctions = false\nscan_budget = 7\n";
    assert_int_equal(cs_risk_config_parse(&c, ok, strlen(ok), "a.conf"), 0);
    assert_int_equal(c.max_hops, 3);
    assert_true(c.decay == 0.25 && c.weight[CS_TAG_EXCHANGE] == 0.1 && c.medium == 0.01);
    assert_int_equal(c.severe_on_direct_sanctions, 0);
    assert_int_equal(c.scan_budget, 7);
    struct {
        const char *text, *msg;
    } bad[] = {
        {"max_hops = 6\nmax_hop = 5\n", "b.conf:2: unknown key 'max_hop'"},
        {"weight.darkweb = 0.5\n", "b.conf:1: unknown key 'weight.darkweb' (no category 'darkweb')"},
        {"\n\ndecay = 1.5\n", "b.conf:3: decay: bad value '1.5' (want a number 0..1)"},
        {"max_hops = 0\n", "b.conf:1: max_hops: bad value '0' (want a whole number 1..32)"},
        {"max_hops = 6x\n", "b.conf:1: max_hops: bad value '6x' (want a whole number 1..32)"},
        {"weight.mixer\n", "b.conf:1: expected 'key = value'"},
        {"severe_on_direct_sanctions = yes\n",
         "b.conf:1: severe_on_direct_sanctions: bad value 'yes' (want true or false)"},
        {"level.high = 0.6\n", "b.conf: level.severe >= level.high >= level.medium is required"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cs_risk_config d;
        cs_risk_config_default(&d);
        assert_int_equal(cs_risk_config_parse(&d, bad[i].text, strlen(bad[i].text), "b.conf"),
                         CS_EFORMAT);
        assert_string_equal(cs_errmsg(), bad[i].msg);
        assert_int_equal(d.max_hops, 6); /* unchanged on error */
    }
    assert_int_equal(cs_risk_config_load(&c, "/nonexistent/x.conf"), CS_EIO);
}

/* ---- dates ---- */

static void test_dates(void **state)
{
    int32_t d;
    assert_int_equal(cs_tag_date_parse("1970-01-01", &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(cs_tag_date_parse("2022-08-08", &d), 0);
    assert_int_equal(d, 19212); /* (2022-08-08 - 1970-01-01).days */
    assert_int_equal(cs_tag_date_parse("2024-02-29", &d), 0);
    assert_int_equal(d, 19782);
    assert_int_equal(cs_tag_date_parse("2000-03-01", &d), 0);
    assert_int_equal(d, 11017);
    char buf[11];
    for (int32_t x = 0; x < 40000; x += 7) {
        cs_tag_date_format(x, buf);
        assert_int_equal(cs_tag_date_parse(buf, &d), 0);
        assert_int_equal(d, x);
    }
    const char *bad[] = {"2023-02-29", "2022-13-01", "2022-8-8", "2022-08-08x", "", "1969-12-31",
                         "2022-00-10", "2022-04-31", "2100-02-29"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(cs_tag_date_parse(bad[i], &d), CS_EUSAGE);
    assert_int_equal(cs_tag_date_parse("2000-02-29", &d), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_methods_example_walk),
        cmocka_unit_test(test_methods_example_index),
        cmocka_unit_test(test_walk_equals_index),
        cmocka_unit_test(test_tx_target),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
