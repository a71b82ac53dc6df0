/* test_trace.c — the taint walker over real (tiny) stores.
 *
 * Stores are built in a temp dir from blocks serialized here byte by byte
 * (P2PKH outputs to numbered addresses, correct merkle roots) and parsed
 * with cs_block_parse, so the walker reads exactly what ingest would write.
 *
 *  - METHODS §1.3 through the walker, every policy and fee convention, and
 *    the rounding case; sinks, min-amount drops, max-hops and until-height
 *    frontiers, CoinJoin sinks, seed overlap, backward TIHO rejection.
 *  - Random transaction graphs (fixed seed) against a naive reference walker
 *    written here: it visits every transaction in chain order (reverse order
 *    backward), keeps taint per satoshi in plain arrays and uses the
 *    per-satoshi kernel reference of naive_taint.h; the walker under test
 *    uses a heap, a hash map and run lists.  Everything must agree exactly:
 *    sinks, frontier (with the tainted satoshi positions for the ordered
 *    policies), fees, dropped, hops, visited counts.  Plus: conservation for
 *    the conservative policies, poison >= haircut on every output, FIFO
 *    backward then forward lands exactly on the traced output.
 *  - The JSON report is byte-identical across two runs and carries what the
 *    contract promises. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "btc/block.h"
#include "naive_taint.h"
#include "report/report.h"
#include "btc/store.h"
#include "tags/tags.h"
#include "trace/attrib.h"
#include "trace/trace.h"
#include "util/codec.h"
#include "util/hash.h"
#include "util/json.h"

/* ------------------------------------------------------------------ serializer -- */

struct dbuf {
    uint8_t *b;
    size_t n, cap;
};

static void dput(struct dbuf *x, const void *p, size_t n)
{
    if (x->n + n > x->cap) {
        x->cap = (x->n + n) * 2 + 256;
        x->b = realloc(x->b, x->cap);
        assert_non_null(x->b);
    }
    memcpy(x->b + x->n, p, n);
    x->n += n;
}
static void dput8(struct dbuf *x, uint8_t v)
{
    dput(x, &v, 1);
}
static void dput32(struct dbuf *x, uint32_t v)
{
    uint8_t t[4];
    cs_put_le32(t, v);
    dput(x, t, 4);
}
static void dput64(struct dbuf *x, uint64_t v)
{
    uint8_t t[8];
    cs_put_le64(t, v);
    dput(x, t, 8);
}
static void dvar(struct dbuf *x, uint64_t v)
{
    uint8_t t[9];
    dput(x, t, cs_compact_put(t, v));
}

/* Address k: P2PKH with hash160 = k (LE, 4 bytes) followed by 0x5a bytes. */
static void addr_hash(uint32_t k, uint8_t h[20])
{
    memset(h, 0x5a, 20);
    cs_put_le32(h, k);
}

/* ------------------------------------------------------------------ model -- */

#define MAXIO 12

struct mtx {
    uint32_t height;
    int coinbase;
    uint32_t nin, nout;
    uint64_t in[MAXIO]; /* global output ids spent */
    uint64_t first_out;
    uint64_t val[MAXIO];
    uint32_t addr[MAXIO];
    uint8_t txid[32];
};

struct model {
    struct mtx *tx;
    size_t ntx, captx;
    uint64_t nout;
    uint64_t *oval, *otx, *ospender; /* ospender: tx id or UINT64_MAX */
    uint32_t *oaddr;
    size_t capout;
    uint32_t nblocks;
};

static void model_free(struct model *m)
{
    free(m->tx);
    free(m->oval);
    free(m->otx);
    free(m->ospender);
    free(m->oaddr);
    memset(m, 0, sizeof *m);
}

/* Adds a tx to the model (in chain order); returns its id. */
static uint64_t model_add(struct model *m, uint32_t height, int coinbase, const uint64_t *in,
                          uint32_t nin, const uint64_t *val, const uint32_t *addr, uint32_t nout)
{
    if (m->ntx == m->captx) {
        m->captx = m->captx ? m->captx * 2 : 64;
        m->tx = realloc(m->tx, m->captx * sizeof *m->tx);
    }
    struct mtx *t = &m->tx[m->ntx];
    memset(t, 0, sizeof *t);
    t->height = height;
    t->coinbase = coinbase;
    t->nin = nin;
    t->nout = nout;
    assert_true(nin <= MAXIO && nout <= MAXIO);
    if (nin) memcpy(t->in, in, nin * sizeof *in);
    memcpy(t->val, val, nout * sizeof *val);
    memcpy(t->addr, addr, nout * sizeof *addr);
    t->first_out = m->nout;
    if (m->nout + nout > m->capout) {
        m->capout = (m->nout + nout) * 2 + 64;
        m->oval = realloc(m->oval, m->capout * 8);
        m->otx = realloc(m->otx, m->capout * 8);
        m->ospender = realloc(m->ospender, m->capout * 8);
        m->oaddr = realloc(m->oaddr, m->capout * 4);
    }
    for (uint32_t j = 0; j < nout; j++) {
        m->oval[m->nout] = val[j];
        m->otx[m->nout] = m->ntx;
        m->ospender[m->nout] = UINT64_MAX;
        m->oaddr[m->nout] = addr[j];
        m->nout++;
    }
    for (uint32_t i = 0; i < nin; i++) {
        assert_true(m->ospender[in[i]] == UINT64_MAX);
        m->ospender[in[i]] = m->ntx;
    }
    return m->ntx++;
}

/* Serializes tx t (txids of earlier txs known); sets its txid. */
static void ser_tx(struct model *m, size_t t, struct dbuf *x)
{
    struct mtx *tx = &m->tx[t];
    size_t start = x->n;
    dput32(x, 1);
    dvar(x, tx->coinbase ? 1 : tx->nin);
    if (tx->coinbase) {
        uint8_t z[32] = {0};
        dput(x, z, 32);
        dput32(x, 0xffffffffu);
        dput8(x, 6);
        dput8(x, 4);
        dput32(x, tx->height);
        dput8(x, 0x51);
        dput32(x, 0xffffffffu);
    } else {
        for (uint32_t i = 0; i < tx->nin; i++) {
            uint64_t o = tx->in[i];
            const struct mtx *p = &m->tx[m->otx[o]];
            dput(x, p->txid, 32);
            dput32(x, (uint32_t)(o - p->first_out));
            dput8(x, 0);
            dput32(x, 0xfffffffeu);
        }
    }
    dvar(x, tx->nout);
    for (uint32_t j = 0; j < tx->nout; j++) {
        uint8_t h[20];
        addr_hash(tx->addr[j], h);
        dput64(x, tx->val[j]);
        dput8(x, 25);
        dput(x, (uint8_t[]){0x76, 0xa9, 0x14}, 3);
        dput(x, h, 20);
        dput(x, (uint8_t[]){0x88, 0xac}, 2);
    }
    dput32(x, 0);
    cs_sha256d(x->b + start, x->n - start, tx->txid);
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

struct db {
    char dir[256];
};

static void db_new(struct db *d)
{
    const char *base = getenv("TMPDIR");
    struct stat st;
    if (!base) base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
    snprintf(d->dir, sizeof d->dir, "%s/cs-test-trace.XXXXXX", base);
    assert_non_null(mkdtemp(d->dir));
}

static void db_free(struct db *d)
{
    nftw(d->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Serializes every block of the model and appends them to a new store. */
static void model_store(struct model *m, struct db *d)
{
    db_new(d);
    struct cs_store *s;
    assert_int_equal(cs_store_open(&s, d->dir, "btc", CS_STORE_WRITE, cs_net_by_name("main")), 0);
    struct cs_block_arena arena = {0};
    uint8_t prev[32] = {0};
    size_t t = 0;
    struct dbuf body = {0}, raw = {0};
    uint8_t *ids = NULL, *scratch = NULL;
    for (uint32_t h = 0; h < m->nblocks; h++) {
        size_t t0 = t;
        body.n = 0;
        while (t < m->ntx && m->tx[t].height == h)
            ser_tx(m, t++, &body);
        size_t ntx = t - t0;
        assert_true(ntx >= 1 && m->tx[t0].coinbase);
        ids = realloc(ids, ntx * 32);
        scratch = realloc(scratch, ntx * 32 + 64);
        for (size_t k = 0; k < ntx; k++)
            memcpy(ids + 32 * k, m->tx[t0 + k].txid, 32);
        uint8_t merkle[32];
        cs_merkle_root(ids, ntx, scratch, merkle);
        raw.n = 0;
        dput32(&raw, 1);
        dput(&raw, prev, 32);
        dput(&raw, merkle, 32);
        dput32(&raw, 1600000000u + h * 600);
        dput32(&raw, 0x207fffff);
        dput32(&raw, 0);
        dvar(&raw, ntx);
        dput(&raw, body.b, body.n);
        struct cs_block blk;
        int rc = cs_block_parse(&blk, &arena, raw.b, raw.n, "test", 0, CS_PARSE_NO_WTXID);
        if (rc) fail_msg("block %u: %s", h, cs_errmsg());
        rc = cs_store_append_block(s, &blk);
        if (rc) fail_msg("append %u: %s", h, cs_errmsg());
        cs_sha256d(raw.b, 80, prev);
    }
    assert_int_equal(cs_store_commit(s), 0);
    cs_block_arena_free(&arena);
    cs_store_close(s);
    free(body.b);
    free(raw.b);
    free(ids);
    free(scratch);
}

static struct cs_store *open_ro(const struct db *d)
{
    struct cs_store *s;
    assert_int_equal(cs_store_open(&s, d->dir, "btc", CS_STORE_READ, NULL), 0);
    return s;
}

static uint64_t store_addr_id(const struct cs_store *s, uint32_t k)
{
    struct cs_addr a;
    memset(&a, 0, sizeof a);
    a.type = CS_ADDR_P2PKH;
    a.len = 20;
    addr_hash(k, a.data);
    uint64_t id;
    assert_int_equal(cs_store_find_addr(s, &a, &id), 0);
    return id;
}

static const struct cs_trace_front *front_of(const struct cs_trace_result *r, uint64_t out)
{
    for (size_t i = 0; i < r->n_frontier; i++)
        if (r->frontier[i].out == out) return &r->frontier[i];
    return NULL;
}

static const struct cs_trace_sink *sink_of(const struct cs_trace_result *r, const char *label)
{
    for (size_t i = 0; i < r->n_sinks; i++)
        if (!strcmp(r->sinks[i].label, label)) return &r->sinks[i];
    return NULL;
}

static uint64_t front_amount(const struct cs_trace_result *r, uint64_t out)
{
    const struct cs_trace_front *f = front_of(r, out);
    return f ? f->amount : 0;
}

static void check_conservation(const struct cs_trace_result *r)
{
    if (!r->conservative) return;
    assert_int_equal(r->seed_amount,
                     cs_trace_sinks_total(r) + cs_trace_frontier_total(r) + r->fees + r->dropped);
}

/* ------------------------------------------------- METHODS §1.3 chain -- */

/* block 0: coinbase -> I1 = 300 (addr 1), I2 = 700 (addr 2), R1 = 1 (3), R2 = 2 (4),
 *          CJ inputs 15M x 3 (addrs 10, 11, 12), P = 1000 (addr 20)
 * block 1: coinbase -> 50 (addr 9)
 *          tx_v {I1, I2} -> O1 = 400 (addr 5), O2 = 590 (addr 6)          METHODS §1.3
 *          tx_r {R1, R2} -> 1 (7), 1 (8), 1 (13)                           rounding case
 *          tx_cj {CJ x3} -> 10M, 10M, 10M, 5M, 3M (addrs 14..18)          generic CoinJoin
 *          tx_p1 {P} -> 600 (21), 390 (22)
 *          tx_q {Q} -> D1 = 790 (27)           (block 0 also pays Q = 800 (25), W = 100 (26))
 * block 2: coinbase -> 50 (addr 9)
 *          tx_p2 {P.600} -> 590 (23)
 *          tx_p3 {tx_p2:0} -> 580 (24)                                     peel chain
 *          tx_sw {D1, W} -> 880 (5)                  a sweep into address 5 */
struct vchain {
    struct model m;
    struct db d;
    uint64_t i1, i2, o1, o2, r1, r2, ro[3], cj_in[3], p, p1a, p1b, p2, p3, q, w, d1;
    uint64_t tx_v, tx_cj, tx_p1, tx_p2, tx_p3, tx_sw;
};

static void vchain_build(struct vchain *v)
{
    memset(v, 0, sizeof *v);
    struct model *m = &v->m;
    m->nblocks = 3;
    uint64_t cbv[] = {300, 700, 1, 2, 15000000, 15000000, 15000000, 1000, 800, 100};
    uint32_t cba[] = {1, 2, 3, 4, 10, 11, 12, 20, 25, 26};
    model_add(m, 0, 1, NULL, 0, cbv, cba, 10);
    v->q = 8, v->w = 9;
    v->i1 = 0, v->i2 = 1, v->r1 = 2, v->r2 = 3;
    v->cj_in[0] = 4, v->cj_in[1] = 5, v->cj_in[2] = 6, v->p = 7;
    model_add(m, 1, 1, NULL, 0, (uint64_t[]){50}, (uint32_t[]){9}, 1);
    v->tx_v = model_add(m, 1, 0, (uint64_t[]){v->i1, v->i2}, 2, (uint64_t[]){400, 590},
                        (uint32_t[]){5, 6}, 2);
    v->o1 = m->tx[v->tx_v].first_out, v->o2 = v->o1 + 1;
    uint64_t t = model_add(m, 1, 0, (uint64_t[]){v->r1, v->r2}, 2, (uint64_t[]){1, 1, 1},
                           (uint32_t[]){7, 8, 13}, 3);
    for (int k = 0; k < 3; k++)
        v->ro[k] = m->tx[t].first_out + (uint64_t)k;
    v->tx_cj = model_add(m, 1, 0, v->cj_in, 3,
                         (uint64_t[]){10000000, 10000000, 10000000, 5000000, 3000000},
                         (uint32_t[]){14, 15, 16, 17, 18}, 5);
    v->tx_p1 = model_add(m, 1, 0, &v->p, 1, (uint64_t[]){600, 390}, (uint32_t[]){21, 22}, 2);
    v->p1a = m->tx[v->tx_p1].first_out, v->p1b = v->p1a + 1;
    uint64_t tq = model_add(m, 1, 0, &v->q, 1, (uint64_t[]){790}, (uint32_t[]){27}, 1);
    v->d1 = m->tx[tq].first_out;
    model_add(m, 2, 1, NULL, 0, (uint64_t[]){50}, (uint32_t[]){9}, 1);
    v->tx_p2 = model_add(m, 2, 0, &v->p1a, 1, (uint64_t[]){590}, (uint32_t[]){23}, 1);
    v->p2 = m->tx[v->tx_p2].first_out;
    v->tx_p3 = model_add(m, 2, 0, &v->p2, 1, (uint64_t[]){580}, (uint32_t[]){24}, 1);
    v->p3 = m->tx[v->tx_p3].first_out;
    v->tx_sw =
        model_add(m, 2, 0, (uint64_t[]){v->d1, v->w}, 2, (uint64_t[]){880}, (uint32_t[]){5}, 1);
    model_store(m, &v->d);
}

static void vchain_free(struct vchain *v)
{
    db_free(&v->d);
    model_free(&v->m);
}

static int run1(struct cs_trace_result *r, const struct cs_store *s, struct cs_trace_opts *o,
                uint64_t seed_out)
{
    struct cs_trace_seed sd = {seed_out, 0, CS_TRACE_WHOLE};
    return cs_trace_run(r, s, o, &sd, 1);
}

static void test_methods_vector(void **state)
{
    (void)state;
    struct vchain v;
    vchain_build(&v);
    struct cs_store *s = open_ro(&v.d);
    /* the model's ids are the store's ids */
    assert_int_equal(cs_store_counts(s)->out, v.m.nout);
    assert_int_equal(cs_store_counts(s)->tx, v.m.ntx);
    assert_int_equal(cs_store_out(s, v.o2)->value, 590);
    static const struct {
        enum cs_policy p;
        enum cs_feeconv f;
        uint64_t o1, o2, fee;
    } want[] = {
        {CS_POLICY_POISON, CS_FEE_LAST, 400, 590, 10},
        {CS_POLICY_HAIRCUT, CS_FEE_LAST, 120, 177, 3},
        {CS_POLICY_FIFO, CS_FEE_LAST, 300, 0, 0},
        {CS_POLICY_LIFO, CS_FEE_LAST, 0, 290, 10},
        {CS_POLICY_TIHO, CS_FEE_LAST, 0, 300, 0},
        {CS_POLICY_FIFO, CS_FEE_PRORATA, 297, 0, 3},
        {CS_POLICY_LIFO, CS_FEE_PRORATA, 0, 297, 3},
        {CS_POLICY_TIHO, CS_FEE_PRORATA, 0, 297, 3},
        {CS_POLICY_HAIRCUT, CS_FEE_PRORATA, 120, 177, 3},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        struct cs_trace_opts o;
        cs_trace_opts_default(&o);
        o.policy = want[k].p;
        o.feeconv = want[k].f;
        struct cs_trace_result r;
        assert_int_equal(run1(&r, s, &o, v.i1), 0);
        assert_int_equal(r.seed_amount, 300);
        assert_int_equal(front_amount(&r, v.o1), want[k].o1);
        assert_int_equal(front_amount(&r, v.o2), want[k].o2);
        assert_int_equal(r.fees, want[k].fee);
        assert_int_equal(r.txs_visited, 1);
        assert_int_equal(r.n_frontier, (want[k].o1 > 0) + (want[k].o2 > 0));
        for (size_t i = 0; i < r.n_frontier; i++) {
            assert_int_equal(r.frontier[i].reason, CS_TRACE_UNSPENT);
            assert_int_equal(r.frontier[i].hops, 1);
        }
        assert_int_equal(r.conservative, want[k].p != CS_POLICY_POISON);
        check_conservation(&r);
        /* FIFO fee-last: O1's first 300 satoshis; LIFO: O2's last 290 */
        if (want[k].p == CS_POLICY_FIFO && want[k].f == CS_FEE_LAST) {
            const struct cs_trace_front *f = front_of(&r, v.o1);
            assert_int_equal(f->nruns, 2);
            assert_int_equal(r.runs[f->run_first].label, 1);
            assert_int_equal(r.runs[f->run_first].amount, 300);
            assert_int_equal(r.runs[f->run_first + 1].amount, 100);
        }
        if (want[k].p == CS_POLICY_LIFO && want[k].f == CS_FEE_LAST) {
            const struct cs_trace_front *f = front_of(&r, v.o2);
            assert_int_equal(f->nruns, 2);
            assert_int_equal(r.runs[f->run_first].label, 0);
            assert_int_equal(r.runs[f->run_first].amount, 300);
            assert_int_equal(r.runs[f->run_first + 1].amount, 290);
        }
        cs_trace_result_free(&r);
    }
    /* rounding: 1T + 2C -> 1, 1, 1, F = 0: haircut floors all to 0, O1 gets the residue */
    struct cs_trace_opts o;
    cs_trace_opts_default(&o);
    struct cs_trace_result r;
    assert_int_equal(run1(&r, s, &o, v.r1), 0);
    assert_int_equal(front_amount(&r, v.ro[0]), 1);
    assert_int_equal(front_amount(&r, v.ro[1]), 0);
    assert_int_equal(front_amount(&r, v.ro[2]), 0);
    assert_int_equal(r.fees, 0);
    cs_trace_result_free(&r);
    cs_store_close(s);
    vchain_free(&v);
}

static void test_stops(void **state)
{
    (void)state;
    struct vchain v;
    vchain_build(&v);
    struct cs_store *s = open_ro(&v.d);
    struct cs_attrib *a = cs_attrib_new((1u << CS_TAG_EXCHANGE));
    assert_int_equal(
        cs_attrib_add(a, store_addr_id(s, 5), "Exchange X", CS_TAG_EXCHANGE, 90, "test"), 0);
    assert_int_equal(cs_attrib_add(a, store_addr_id(s, 6), "Mystery", CS_TAG_OTHER, 50, "test"), 0);
    assert_int_equal(
        cs_attrib_add(a, store_addr_id(s, 22), "Exchange X", CS_TAG_EXCHANGE, 60, "test2"), 0);
    cs_attrib_finish(a);
    assert_int_equal(cs_attrib_count(a), 2);
    struct cs_trace_opts o;
    struct cs_trace_result r;

    /* a sink ends the path: FIFO, O1 (tagged exchange) takes all 300 */
    cs_trace_opts_default(&o);
    o.policy = CS_POLICY_FIFO;
    o.attrib = a;
    assert_int_equal(run1(&r, s, &o, v.i1), 0);
    assert_int_equal(r.n_sinks, 1);
    assert_string_equal(r.sinks[0].label, "Exchange X");
    assert_int_equal(r.sinks[0].category, CS_TAG_EXCHANGE);
    assert_int_equal(r.sinks[0].amount, 300);
    assert_int_equal(r.sinks[0].hops, 1);
    assert_int_equal(r.sinks[0].n_txs, 1);
    assert_int_equal(r.sinks[0].txs[0], v.tx_v);
    assert_int_equal(r.sinks[0].first_tx, v.tx_v);
    assert_int_equal(r.n_frontier, 0);
    check_conservation(&r);
    cs_trace_result_free(&r);

    /* haircut: 120 to the exchange, 177 on "Mystery" (category other: not a stop) */
    o.policy = CS_POLICY_HAIRCUT;
    assert_int_equal(run1(&r, s, &o, v.i1), 0);
    assert_int_equal(sink_of(&r, "Exchange X")->amount, 120);
    assert_int_equal(front_amount(&r, v.o2), 177);
    assert_int_equal(r.fees, 3);
    cs_trace_result_free(&r);

    /* two addresses of one entity aggregate into one sink; the peel chain:
     * P (1000) -> 600 + 390 (exchange addr 22) */
    assert_int_equal(run1(&r, s, &o, v.p), 0);
    assert_int_equal(r.n_sinks, 1);
    assert_int_equal(r.sinks[0].amount, 390);
    assert_int_equal(front_amount(&r, v.p3), 580);
    assert_int_equal(r.fees, 10 + 10 + 10);
    assert_int_equal(r.txs_visited, 3);
    assert_int_equal(r.n_hops, 4);
    assert_int_equal(r.hops[3].to_frontier, 580);
    assert_int_equal(r.hops[1].to_sinks, 390);
    check_conservation(&r);
    cs_trace_result_free(&r);

    /* min-amount 150: haircut's 120 on O1 is dropped, 177 on O2 is followed */
    cs_trace_opts_default(&o);
    o.min_amount = 150;
    assert_int_equal(run1(&r, s, &o, v.i1), 0);
    assert_int_equal(r.dropped, 120);
    assert_int_equal(front_amount(&r, v.o2), 177);
    check_conservation(&r);
    cs_trace_result_free(&r);
    /* ... but a small amount that reaches a sink is still reported there */
    o.attrib = a;
    assert_int_equal(run1(&r, s, &o, v.i1), 0);
    assert_int_equal(r.dropped, 0);
    assert_int_equal(sink_of(&r, "Exchange X")->amount, 120);
    cs_trace_result_free(&r);

    /* max-hops: the peel chain stops after hop 1 with the 590 output pending */
    cs_trace_opts_default(&o);
    o.max_hops = 1;
    assert_int_equal(run1(&r, s, &o, v.p), 0);
    assert_int_equal(r.txs_visited, 1);
    const struct cs_trace_front *f = front_of(&r, v.p1a);
    assert_non_null(f);
    assert_int_equal(f->reason, CS_TRACE_MAX_HOPS);
    assert_int_equal(f->amount, 600);
    assert_int_equal(front_of(&r, v.p1b)->reason, CS_TRACE_UNSPENT);
    check_conservation(&r);
    cs_trace_result_free(&r);
    /* max-hops 0: the seed itself is the frontier */
    o.max_hops = 0;
    assert_int_equal(run1(&r, s, &o, v.p), 0);
    assert_int_equal(r.txs_visited, 0);
    assert_int_equal(front_of(&r, v.p)->reason, CS_TRACE_MAX_HOPS);
    cs_trace_result_free(&r);

    /* until-height 1: tx_p2 (height 2) is not followed */
    cs_trace_opts_default(&o);
    o.until_height = 1;
    assert_int_equal(run1(&r, s, &o, v.p), 0);
    assert_int_equal(front_of(&r, v.p1a)->reason, CS_TRACE_UNTIL_HEIGHT);
    assert_int_equal(r.txs_visited, 1);
    cs_trace_result_free(&r);

    /* CoinJoin: tx_cj (3 x 15M -> 3 x 10M + 5M + 3M) is a generic CoinJoin */
    cs_trace_opts_default(&o);
    assert_int_equal(run1(&r, s, &o, v.cj_in[1]), 0);
    assert_int_equal(r.n_sinks, 1);
    assert_string_equal(r.sinks[0].label, "coinjoin");
    assert_int_equal(r.sinks[0].category, CS_TAG_MIXER);
    assert_int_equal(r.sinks[0].amount, 15000000);
    assert_int_equal(r.sinks[0].first_tx, v.tx_cj);
    assert_int_equal(r.n_frontier, 0);
    cs_trace_result_free(&r);
    o.stop_coinjoin = 0;
    assert_int_equal(run1(&r, s, &o, v.cj_in[1]), 0);
    assert_int_equal(r.n_sinks, 0);
    assert_int_equal(r.n_frontier, 5);
    cs_trace_result_free(&r);

    /* backward from O1 (400): haircut splits by input value 300 : 700 */
    cs_trace_opts_default(&o);
    o.backward = 1;
    assert_int_equal(run1(&r, s, &o, v.o1), 0);
    assert_int_equal(front_amount(&r, v.i1), 120);
    assert_int_equal(front_amount(&r, v.i2), 280);
    assert_int_equal(front_of(&r, v.i1)->reason, CS_TRACE_COINBASE);
    assert_int_equal(r.txs_visited, 2);
    check_conservation(&r);
    cs_trace_result_free(&r);
    /* FIFO backward: O1 = I1 (300) + the first 100 of I2; O2 = the rest of I2 */
    o.policy = CS_POLICY_FIFO;
    assert_int_equal(run1(&r, s, &o, v.o1), 0);
    assert_int_equal(front_amount(&r, v.i1), 300);
    assert_int_equal(front_amount(&r, v.i2), 100);
    cs_trace_result_free(&r);
    o.policy = CS_POLICY_LIFO;
    assert_int_equal(run1(&r, s, &o, v.o2), 0);
    assert_int_equal(front_amount(&r, v.i1), 290);
    assert_int_equal(front_amount(&r, v.i2), 300);
    cs_trace_result_free(&r);
    o.policy = CS_POLICY_POISON;
    assert_int_equal(run1(&r, s, &o, v.o2), 0);
    assert_int_equal(front_amount(&r, v.i1), 300);
    assert_int_equal(front_amount(&r, v.i2), 700);
    assert_int_equal(r.conservative, 0);
    cs_trace_result_free(&r);
    o.policy = CS_POLICY_TIHO;
    assert_int_equal(run1(&r, s, &o, v.o2), CS_EUSAGE);
    cs_trace_result_free(&r);
    o.policy = CS_POLICY_FIFO;
    o.feeconv = CS_FEE_PRORATA;
    assert_int_equal(run1(&r, s, &o, v.o2), CS_EUSAGE);
    cs_trace_result_free(&r);

    /* sweep rule: D1 (untagged) is swept with W into address 5 (Exchange X) by a
     * 2-input tx paying nothing else: D1 is the exchange's deposit */
    cs_trace_opts_default(&o);
    o.attrib = a;
    assert_int_equal(run1(&r, s, &o, v.q), 0);
    assert_int_equal(r.n_sinks, 1);
    assert_int_equal(r.sinks[0].amount, 790);
    assert_int_equal(r.sinks[0].hops, 1);
    assert_int_equal(r.sinks[0].first_tx, v.m.otx[v.d1]); /* tx_q paid the deposit */
    assert_int_equal(r.fees, 10);
    cs_trace_result_free(&r);
    o.sweep_rule = 0; /* followed into the sweep: floor(880 * 790 / 890) = 781, fee 9 */
    assert_int_equal(run1(&r, s, &o, v.q), 0);
    assert_int_equal(r.sinks[0].amount, 781);
    assert_int_equal(r.sinks[0].hops, 2);
    assert_int_equal(r.sinks[0].first_tx, v.tx_sw);
    assert_int_equal(r.fees, 10 + 9);
    check_conservation(&r);
    cs_trace_result_free(&r);

    /* overlapping seeds: I1 and O1 (which I1 pays into) — the overlap is not counted twice */
    cs_trace_opts_default(&o);
    o.policy = CS_POLICY_FIFO;
    struct cs_trace_seed two[] = {{v.i1, 0, CS_TRACE_WHOLE}, {v.o1, 0, CS_TRACE_WHOLE}};
    assert_int_equal(cs_trace_run(&r, s, &o, two, 2), 0);
    assert_int_equal(r.seed_amount, 400); /* 300 flowing in + the 100 clean the seed added */
    assert_int_equal(front_amount(&r, v.o1), 400);
    check_conservation(&r);
    cs_trace_result_free(&r);
    /* a seed range: satoshis 250..350 of O1 backward under FIFO = I1[250,300) + I2[0,50) */
    o.backward = 1;
    o.feeconv = CS_FEE_LAST;
    struct cs_trace_seed part = {v.o1, 250, 100};
    assert_int_equal(cs_trace_run(&r, s, &o, &part, 1), 0);
    assert_int_equal(front_amount(&r, v.i1), 50);
    assert_int_equal(front_amount(&r, v.i2), 50);
    f = front_of(&r, v.i1);
    assert_int_equal(f->nruns, 2);
    assert_int_equal(r.runs[f->run_first].amount, 250);
    assert_int_equal(r.runs[f->run_first].label, 0);
    cs_trace_result_free(&r);
    /* bad seeds */
    struct cs_trace_seed bad = {v.m.nout + 5, 0, CS_TRACE_WHOLE};
    assert_int_equal(cs_trace_run(&r, s, &o, &bad, 1), CS_EUSAGE);
    cs_trace_result_free(&r);
    bad = (struct cs_trace_seed){v.o1, 300, 101};
    assert_int_equal(cs_trace_run(&r, s, &o, &bad, 1), CS_EUSAGE);
    cs_trace_result_free(&r);

    cs_attrib_free(a);
    cs_store_close(s);
    vchain_free(&v);
}

/* ------------------------------------------------------ random graphs -- */

#define NADDR 24 /* 20, 21: "ExA" exchange; 22: "MixB" mixer; 23: "Misc" other (no stop) */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint64_t rbelow(uint64_t n)
{
    return n ? rnd() % n : 0;
}

/* stop entity of a model address under the test tags: 0 ExA, 1 MixB, -1 none */
static int ref_stop(uint32_t addr)
{
    return addr == 20 || addr == 21 ? 0 : addr == 22 ? 1 : -1;
}
static const char *const ref_labels[2] = {"ExA", "MixB"};

static void random_model(struct model *m, uint32_t nblocks, uint32_t txs_per_block)
{
    memset(m, 0, sizeof *m);
    m->nblocks = nblocks;
    uint64_t *pool = NULL;
    size_t npool = 0, cappool = 0;
    for (uint32_t h = 0; h < nblocks; h++) {
        uint64_t val[MAXIO], in[MAXIO];
        uint32_t addr[MAXIO];
        uint32_t k = 1 + (uint32_t)rbelow(4);
        for (uint32_t j = 0; j < k; j++) {
            val[j] = 1 + rbelow(60);
            addr[j] = (uint32_t)rbelow(NADDR);
        }
        uint64_t cb = model_add(m, h, 1, NULL, 0, val, addr, k);
        for (uint32_t t = 0; t <= txs_per_block; t++) {
            /* outputs of the previous tx (or the coinbase) become spendable */
            const struct mtx *last = &m->tx[m->ntx - 1];
            if (t == 0) last = &m->tx[cb];
            for (uint32_t j = 0; j < last->nout; j++) {
                if (npool == cappool) {
                    cappool = cappool ? cappool * 2 : 64;
                    pool = realloc(pool, cappool * sizeof *pool);
                }
                pool[npool++] = last->first_out + j;
            }
            if (t == txs_per_block || npool == 0) continue;
            uint32_t nin = 1 + (uint32_t)rbelow(npool < 3 ? npool : 3);
            uint64_t V = 0;
            uint32_t got = 0;
            for (uint32_t i = 0; i < nin; i++) {
                size_t pick = rbelow(npool);
                if (V + m->oval[pool[pick]] > 1500) continue;
                in[got++] = pool[pick];
                V += m->oval[pool[pick]];
                pool[pick] = pool[--npool];
                if (!npool) break;
            }
            if (!got) {
                t--; /* every pool output was too large: cannot happen with values <= 1500 */
                continue;
            }
            uint64_t F = rbelow(3) == 0 ? 0 : rbelow(V / 4 + 1);
            uint32_t nout = 1 + (uint32_t)rbelow(4);
            uint64_t left = V - F;
            for (uint32_t j = 0; j < nout; j++) {
                uint64_t x = j + 1 == nout ? left : rbelow(left + 1);
                if (rbelow(10) == 0 && j + 1 < nout) x = 0;
                val[j] = x;
                left -= x;
                addr[j] = (uint32_t)rbelow(NADDR);
            }
            model_add(m, h, 0, in, got, val, addr, nout);
        }
    }
    free(pool);
}

struct tcase {
    enum cs_policy policy;
    enum cs_feeconv feeconv;
    int backward;
    uint32_t max_hops;
    uint64_t min_amount;
    int64_t until;
    int use_attrib;
    struct cs_trace_seed seeds[16];
    size_t nseeds;
};

struct ref {
    uint64_t nout;
    uint8_t *present, *flag;
    uint64_t *taint;
    uint32_t *hop;
    uint32_t **lab; /* ordered policies: per-satoshi labels of present outputs */
    uint64_t seed_amount, fees, dropped, visited;
    int sink_used[2];
    uint64_t sink_amount[2], sink_outputs[2];
    uint32_t sink_hops[2];
    uint8_t *sink_tx[2]; /* per model tx: paid / drew from the sink */
};

enum { RF_MAX = 1, RF_CB = 2 };

static void ref_init(struct ref *R, const struct model *m)
{
    memset(R, 0, sizeof *R);
    R->nout = m->nout;
    R->present = calloc(m->nout, 1);
    R->flag = calloc(m->nout, 1);
    R->taint = calloc(m->nout, 8);
    R->hop = calloc(m->nout, 4);
    R->lab = calloc(m->nout, sizeof *R->lab);
    for (int k = 0; k < 2; k++)
        R->sink_tx[k] = calloc(m->ntx, 1);
}

static void ref_free(struct ref *R)
{
    for (uint64_t o = 0; o < R->nout; o++)
        free(R->lab[o]);
    free(R->present);
    free(R->flag);
    free(R->taint);
    free(R->hop);
    free(R->lab);
    for (int k = 0; k < 2; k++)
        free(R->sink_tx[k]);
}

static uint32_t *labs_new(uint64_t n)
{
    return calloc(n + 1, sizeof(uint32_t));
}

static void ref_seed(struct ref *R, const struct model *m, const struct tcase *c, int ordered)
{
    for (size_t k = 0; k < c->nseeds; k++) {
        uint64_t o = c->seeds[k].out, v = m->oval[o];
        uint64_t a = c->seeds[k].offset, n = c->seeds[k].amount;
        if (n == CS_TRACE_WHOLE) n = v - a;
        if (!R->lab[o]) R->lab[o] = labs_new(v);
        for (uint64_t p = a; p < a + n; p++)
            R->lab[o][p] = 1;
    }
    for (uint64_t o = 0; o < m->nout; o++) {
        if (!R->lab[o]) continue;
        uint64_t t = 0;
        for (uint64_t p = 0; p < m->oval[o]; p++)
            t += R->lab[o][p];
        if (!t) {
            free(R->lab[o]);
            R->lab[o] = NULL;
            continue;
        }
        R->present[o] = 1;
        R->taint[o] = t;
        R->seed_amount += t;
        if (!ordered) {
            free(R->lab[o]);
            R->lab[o] = NULL;
        }
    }
}

/* taint t (labels lab, NULL for amount policies) arrives on output o at hop */
static void ref_arrive(struct ref *R, const struct model *m, const struct tcase *c, uint64_t o,
                       uint64_t t, const uint32_t *lab, uint32_t hop, uint64_t sink_tx)
{
    uint64_t v = m->oval[o];
    if (R->present[o]) { /* a seed */
        uint64_t before = R->taint[o] + t, after = 0;
        if (lab) {
            for (uint64_t p = 0; p < v; p++) {
                R->lab[o][p] = R->lab[o][p] | lab[p];
                after += R->lab[o][p];
            }
        } else {
            after = before < v ? before : v;
        }
        R->taint[o] = after;
        R->seed_amount -= before - after;
        if (hop < R->hop[o]) R->hop[o] = hop;
        return;
    }
    int st = c->use_attrib ? ref_stop(m->oaddr[o]) : -1;
    if (st >= 0) {
        if (!R->sink_used[st] || hop < R->sink_hops[st]) R->sink_hops[st] = hop;
        R->sink_used[st] = 1;
        R->sink_amount[st] += t;
        R->sink_outputs[st]++;
        R->sink_tx[st][sink_tx] = 1;
        return;
    }
    if (t < c->min_amount) {
        R->dropped += t;
        return;
    }
    R->present[o] = 1;
    R->taint[o] = t;
    R->hop[o] = hop;
    if (lab) {
        R->lab[o] = labs_new(v);
        memcpy(R->lab[o], lab, v * sizeof *lab);
    }
}

static void ref_forward(struct ref *R, const struct model *m, const struct tcase *c)
{
    int ordered = c->policy >= CS_POLICY_FIFO;
    ref_seed(R, m, c, ordered);
    static uint32_t inlab[MAXIO][NV_MAX_SAT], outlab[MAXIO][NV_MAX_SAT], feelab[NV_MAX_SAT];
    for (uint64_t t = 0; t < m->ntx; t++) {
        const struct mtx *tx = &m->tx[t];
        if (tx->coinbase) continue;
        if (c->until >= 0 && tx->height > c->until) continue;
        uint32_t minhop = UINT32_MAX;
        for (uint32_t i = 0; i < tx->nin; i++)
            if (R->present[tx->in[i]] && R->hop[tx->in[i]] < minhop) minhop = R->hop[tx->in[i]];
        if (minhop == UINT32_MAX) continue;
        uint32_t hop = minhop + 1;
        if (hop > c->max_hops) {
            for (uint32_t i = 0; i < tx->nin; i++)
                if (R->present[tx->in[i]]) R->flag[tx->in[i]] |= RF_MAX;
            continue;
        }
        R->visited++;
        uint64_t in_val[MAXIO], in_taint[MAXIO], out_taint[MAXIO], fee_taint = 0, V = 0, U = 0;
        uint32_t *inp[MAXIO], *outp[MAXIO];
        for (uint32_t i = 0; i < tx->nin; i++) {
            uint64_t o = tx->in[i];
            in_val[i] = m->oval[o];
            V += in_val[i];
            in_taint[i] = R->present[o] ? R->taint[o] : 0;
            inp[i] = inlab[i];
            for (uint64_t p = 0; p < in_val[i]; p++)
                inlab[i][p] = R->present[o] && ordered ? R->lab[o][p] : 0;
        }
        for (uint32_t j = 0; j < tx->nout; j++) {
            U += tx->val[j];
            outp[j] = outlab[j];
        }
        if (c->policy == CS_POLICY_POISON) {
            for (uint32_t j = 0; j < tx->nout; j++)
                out_taint[j] = tx->val[j];
            fee_taint = V - U;
        } else if (c->policy == CS_POLICY_HAIRCUT) {
            nv_haircut((int)tx->nin, in_val, in_taint, (int)tx->nout, tx->val, out_taint,
                       &fee_taint);
        } else {
            int pol = c->policy == CS_POLICY_FIFO   ? NV_FIFO
                      : c->policy == CS_POLICY_LIFO ? NV_LIFO
                                                    : NV_TIHO;
            nv_ordered(pol, c->feeconv == CS_FEE_PRORATA, (int)tx->nin, in_val, inp, (int)tx->nout,
                       tx->val, outp, feelab);
            for (uint32_t j = 0; j < tx->nout; j++) {
                out_taint[j] = 0;
                for (uint64_t p = 0; p < tx->val[j]; p++)
                    out_taint[j] += outlab[j][p];
            }
            for (uint64_t p = 0; p < V - U; p++)
                fee_taint += feelab[p];
        }
        for (uint32_t i = 0; i < tx->nin; i++) {
            uint64_t o = tx->in[i];
            if (!R->present[o]) continue;
            R->present[o] = 0;
            free(R->lab[o]);
            R->lab[o] = NULL;
        }
        R->fees += fee_taint;
        for (uint32_t j = 0; j < tx->nout; j++)
            if (out_taint[j])
                ref_arrive(R, m, c, tx->first_out + j, out_taint[j], ordered ? outlab[j] : NULL,
                           hop, t);
    }
}

static void ref_backward(struct ref *R, const struct model *m, const struct tcase *c)
{
    int ordered = c->policy >= CS_POLICY_FIFO;
    ref_seed(R, m, c, ordered);
    static uint32_t inlab[MAXIO][NV_MAX_SAT];
    for (uint64_t t = m->ntx; t-- > 0;) {
        const struct mtx *tx = &m->tx[t];
        if (c->until >= 0 && tx->height < c->until) continue;
        uint32_t minhop = UINT32_MAX;
        uint64_t out_taint[MAXIO + 1];
        for (uint32_t j = 0; j < tx->nout; j++) {
            uint64_t o = tx->first_out + j;
            out_taint[j] = R->present[o] ? R->taint[o] : 0;
            if (R->present[o] && R->hop[o] < minhop) minhop = R->hop[o];
        }
        if (minhop == UINT32_MAX) continue;
        uint32_t hop = minhop + 1;
        if (hop > c->max_hops || tx->coinbase) {
            for (uint32_t j = 0; j < tx->nout; j++)
                if (R->present[tx->first_out + j])
                    R->flag[tx->first_out + j] |= hop > c->max_hops ? RF_MAX : RF_CB;
            if (hop <= c->max_hops) R->visited++;
            continue;
        }
        R->visited++;
        uint64_t in_val[MAXIO], in_taint[MAXIO], V = 0, U = 0, out_val[MAXIO + 1];
        for (uint32_t i = 0; i < tx->nin; i++) {
            in_val[i] = m->oval[tx->in[i]];
            V += in_val[i];
            for (uint64_t p = 0; p < in_val[i]; p++)
                inlab[i][p] = 0;
        }
        for (uint32_t j = 0; j < tx->nout; j++) {
            out_val[j] = tx->val[j];
            U += tx->val[j];
        }
        if (c->policy == CS_POLICY_POISON) {
            for (uint32_t i = 0; i < tx->nin; i++)
                in_taint[i] = in_val[i];
        } else if (c->policy == CS_POLICY_HAIRCUT) {
            uint64_t fee0;
            out_val[tx->nout] = V - U;
            out_taint[tx->nout] = 0;
            nv_haircut((int)tx->nout + 1, out_val, out_taint, (int)tx->nin, in_val, in_taint,
                       &fee0);
            assert_int_equal(fee0, 0);
        } else {
            /* satoshi at stream position P belongs to the input that covers P in
             * FIFO (LIFO: reversed) input order */
            uint64_t P = 0;
            for (uint32_t j = 0; j < tx->nout; j++) {
                uint64_t o = tx->first_out + j;
                for (uint64_t p = 0; p < tx->val[j]; p++, P++) {
                    if (!R->present[o] || !R->lab[o][p]) continue;
                    uint64_t q = P;
                    for (uint32_t a = 0; a < tx->nin; a++) {
                        uint32_t i = c->policy == CS_POLICY_LIFO ? tx->nin - 1 - a : a;
                        if (q < in_val[i]) {
                            inlab[i][q] = 1;
                            break;
                        }
                        q -= in_val[i];
                    }
                }
            }
            for (uint32_t i = 0; i < tx->nin; i++) {
                in_taint[i] = 0;
                for (uint64_t p = 0; p < in_val[i]; p++)
                    in_taint[i] += inlab[i][p];
            }
        }
        for (uint32_t j = 0; j < tx->nout; j++) {
            uint64_t o = tx->first_out + j;
            if (!R->present[o]) continue;
            R->present[o] = 0;
            free(R->lab[o]);
            R->lab[o] = NULL;
        }
        for (uint32_t i = 0; i < tx->nin; i++)
            if (in_taint[i])
                ref_arrive(R, m, c, tx->in[i], in_taint[i], ordered ? inlab[i] : NULL, hop,
                           m->otx[tx->in[i]]);
    }
}

/* Compares the walker's result with the reference, field by field. */
static void compare(const struct ref *R, const struct cs_trace_result *r, const struct model *m,
                    const struct tcase *c)
{
    assert_int_equal(r->seed_amount, R->seed_amount);
    assert_int_equal(r->fees, R->fees);
    assert_int_equal(r->dropped, R->dropped);
    assert_int_equal(r->txs_visited, R->visited);
    size_t npresent = 0;
    for (uint64_t o = 0; o < m->nout; o++)
        npresent += R->present[o];
    assert_int_equal(r->n_frontier, npresent);
    for (size_t i = 0; i < r->n_frontier; i++) {
        const struct cs_trace_front *f = &r->frontier[i];
        assert_true(R->present[f->out]);
        assert_int_equal(f->amount, R->taint[f->out]);
        assert_int_equal(f->hops, R->hop[f->out]);
        int want = R->flag[f->out] & RF_MAX                            ? CS_TRACE_MAX_HOPS
                   : R->flag[f->out] & RF_CB                           ? CS_TRACE_COINBASE
                   : !c->backward && m->ospender[f->out] == UINT64_MAX ? CS_TRACE_UNSPENT
                                                                       : CS_TRACE_UNTIL_HEIGHT;
        assert_int_equal(f->reason, want);
        if (c->policy >= CS_POLICY_FIFO) {
            uint64_t p = 0;
            for (size_t k = 0; k < f->nruns; k++) {
                const struct cs_run *run = &r->runs[f->run_first + k];
                for (uint64_t q = 0; q < run->amount; q++, p++)
                    assert_int_equal(R->lab[f->out][p], run->label ? 1 : 0);
            }
            assert_int_equal(p, m->oval[f->out]);
        } else {
            assert_int_equal(f->nruns, 0);
        }
        if (i) /* sorted: amount descending, then output id */
            assert_true(
                r->frontier[i - 1].amount > f->amount ||
                (r->frontier[i - 1].amount == f->amount && r->frontier[i - 1].out < f->out));
    }
    size_t nsinks = 0;
    for (int k = 0; k < 2; k++) {
        if (!R->sink_used[k]) continue;
        nsinks++;
        const struct cs_trace_sink *sk = sink_of(r, ref_labels[k]);
        assert_non_null(sk);
        assert_int_equal(sk->amount, R->sink_amount[k]);
        assert_int_equal(sk->outputs, R->sink_outputs[k]);
        assert_int_equal(sk->hops, R->sink_hops[k]);
        size_t q = 0;
        for (uint64_t t = 0; t < m->ntx; t++)
            if (R->sink_tx[k][t]) {
                assert_true(q < sk->n_txs);
                assert_int_equal(sk->txs[q++], t);
            }
        assert_int_equal(q, sk->n_txs);
        assert_int_equal(sk->first_tx, c->backward ? sk->txs[sk->n_txs - 1] : sk->txs[0]);
    }
    assert_int_equal(r->n_sinks, nsinks);
    check_conservation(r);
}

static void random_case(struct tcase *c, const struct model *m)
{
    memset(c, 0, sizeof *c);
    c->backward = rbelow(3) == 0;
    static const enum cs_policy fwd[] = {CS_POLICY_POISON, CS_POLICY_HAIRCUT, CS_POLICY_FIFO,
                                         CS_POLICY_LIFO, CS_POLICY_TIHO};
    c->policy = fwd[rbelow(c->backward ? 4 : 5)];
    c->feeconv = !c->backward && rbelow(2) ? CS_FEE_PRORATA : CS_FEE_LAST;
    c->max_hops = rbelow(4) == 0 ? (uint32_t)rbelow(4) : CS_TRACE_UNLIMITED;
    c->min_amount = rbelow(4) == 0 ? rbelow(20) : 0;
    c->until = rbelow(4) == 0 ? (int64_t)rbelow(m->nblocks) : -1;
    c->use_attrib = rbelow(2);
    c->nseeds = 1 + rbelow(3);
    for (size_t k = 0; k < c->nseeds; k++) {
        uint64_t o;
        do
            o = rbelow(m->nout);
        while (m->oval[o] == 0);
        c->seeds[k] = (struct cs_trace_seed){o, 0, CS_TRACE_WHOLE};
        if (rbelow(4) == 0) {
            uint64_t a = rbelow(m->oval[o]);
            c->seeds[k].offset = a;
            c->seeds[k].amount = 1 + rbelow(m->oval[o] - a);
        }
    }
}

static void opts_of(struct cs_trace_opts *o, const struct tcase *c, const struct cs_attrib *a)
{
    cs_trace_opts_default(o);
    o->policy = c->policy;
    o->feeconv = c->feeconv;
    o->backward = c->backward;
    o->max_hops = c->max_hops;
    o->min_amount = c->min_amount;
    o->until_height = c->until;
    o->stop_coinjoin = 0;
    o->sweep_rule = 0;
    o->attrib = c->use_attrib ? a : NULL;
    o->graph_max_edges = 1000;
    /* a 64-key pending window makes most graphs overflow into the heap */
    o->pending_window_bits = rbelow(2) ? 6 : 0;
    /* a 64-output ring: most forward walks evict entries into the map */
    o->ring_bits = rbelow(2) ? 6 : 0;
}

static struct cs_attrib *test_attrib(const struct cs_store *s, const struct model *m)
{
    struct cs_attrib *a = cs_attrib_new(0);
    struct cs_addr ad;
    for (uint32_t k = 20; k < NADDR; k++) {
        memset(&ad, 0, sizeof ad);
        ad.type = CS_ADDR_P2PKH;
        ad.len = 20;
        addr_hash(k, ad.data);
        uint64_t id;
        if (cs_store_find_addr(s, &ad, &id)) continue; /* never used in this graph */
        const char *label = k < 22 ? "ExA" : k == 22 ? "MixB" : "Misc";
        int cat = k < 22 ? CS_TAG_EXCHANGE : k == 22 ? CS_TAG_MIXER : CS_TAG_OTHER;
        assert_int_equal(cs_attrib_add(a, id, label, cat, 100, "test"), 0);
    }
    (void)m;
    cs_attrib_finish(a);
    return a;
}

static void test_random_graphs(void **state)
{
    (void)state;
    const int graphs = 200, cases = 12;
    uint64_t traces = 0, nonempty = 0, backward_checks = 0;
    for (int g = 0; g < graphs; g++) {
        struct model m;
        random_model(&m, 3 + (uint32_t)rbelow(14), 1 + (uint32_t)rbelow(9));
        struct db d;
        model_store(&m, &d);
        struct cs_store *s = open_ro(&d);
        assert_int_equal(cs_store_counts(s)->out, m.nout);
        struct cs_attrib *a = test_attrib(s, &m);
        for (int k = 0; k < cases; k++) {
            struct tcase c;
            random_case(&c, &m);
            struct cs_trace_opts o;
            opts_of(&o, &c, a);
            struct cs_trace_result r;
            int rc = cs_trace_run(&r, s, &o, c.seeds, c.nseeds);
            if (rc) fail_msg("graph %d case %d: %s", g, k, cs_errmsg());
            struct ref R;
            ref_init(&R, &m);
            if (c.backward)
                ref_backward(&R, &m, &c);
            else
                ref_forward(&R, &m, &c);
            compare(&R, &r, &m, &c);
            traces++;
            nonempty += r.txs_visited > 0;
            ref_free(&R);
            cs_trace_result_free(&r);
        }
        /* poison >= haircut on every output, same seeds, no stops or limits */
        {
            struct tcase c;
            random_case(&c, &m);
            c.backward = 0, c.max_hops = CS_TRACE_UNLIMITED, c.min_amount = 0, c.until = -1;
            c.use_attrib = 0;
            struct cs_trace_opts o;
            struct cs_trace_result rp, rh;
            c.policy = CS_POLICY_POISON;
            opts_of(&o, &c, a);
            assert_int_equal(cs_trace_run(&rp, s, &o, c.seeds, c.nseeds), 0);
            c.policy = CS_POLICY_HAIRCUT;
            opts_of(&o, &c, a);
            assert_int_equal(cs_trace_run(&rh, s, &o, c.seeds, c.nseeds), 0);
            for (size_t i = 0; i < rh.n_frontier; i++)
                assert_true(front_amount(&rp, rh.frontier[i].out) >= rh.frontier[i].amount);
            assert_true(rp.fees >= rh.fees);
            assert_true(cs_trace_frontier_total(&rp) + rp.fees >=
                        cs_trace_frontier_total(&rh) + rh.fees);
            cs_trace_result_free(&rp);
            cs_trace_result_free(&rh);
        }
        /* FIFO backward from an unspent output X, then forward from the satoshis
         * found: they all land on X again, nothing else gets any */
        for (uint64_t x = m.nout; x-- > 0;) {
            if (m.oval[x] == 0 || m.ospender[x] != UINT64_MAX || m.tx[m.otx[x]].coinbase) continue;
            struct cs_trace_opts o;
            cs_trace_opts_default(&o);
            o.policy = CS_POLICY_FIFO;
            o.backward = 1;
            o.stop_coinjoin = 0;
            struct cs_trace_result rb, rf;
            assert_int_equal(run1(&rb, s, &o, x), 0);
            assert_int_equal(rb.seed_amount, m.oval[x]);
            struct cs_trace_seed *sd = calloc(rb.n_runs + 1, sizeof *sd);
            size_t nsd = 0;
            uint64_t back_total = 0;
            for (size_t i = 0; i < rb.n_frontier; i++) {
                const struct cs_trace_front *f = &rb.frontier[i];
                assert_int_equal(f->reason, CS_TRACE_COINBASE);
                uint64_t pos = 0;
                for (size_t q = 0; q < f->nruns; q++) {
                    const struct cs_run *run = &rb.runs[f->run_first + q];
                    if (run->label) sd[nsd++] = (struct cs_trace_seed){f->out, pos, run->amount};
                    pos += run->amount;
                }
                back_total += f->amount;
            }
            assert_int_equal(back_total, m.oval[x]);
            o.backward = 0;
            assert_int_equal(cs_trace_run(&rf, s, &o, sd, nsd), 0);
            assert_int_equal(rf.seed_amount, m.oval[x]);
            assert_int_equal(rf.n_frontier, 1);
            assert_int_equal(rf.frontier[0].out, x);
            assert_int_equal(rf.frontier[0].amount, m.oval[x]);
            assert_int_equal(rf.fees, 0);
            free(sd);
            cs_trace_result_free(&rb);
            cs_trace_result_free(&rf);
            backward_checks++;
            break;
        }
        cs_attrib_free(a);
        cs_store_close(s);
        db_free(&d);
        model_free(&m);
    }
    print_message("random graphs: %d stores, %llu traces checked against the reference (%llu "
                  "visited a transaction), %llu FIFO backward/forward round trips\n",
                  graphs, (unsigned long long)traces, (unsigned long long)nonempty,
                  (unsigned long long)backward_checks);
    assert_true(nonempty > traces / 2);
    assert_true(backward_checks > graphs / 2);
}

/* A fan-out tree with over 4096 unspent leaves: the frontier takes the radix
 * sort, the walk the ring and the pending window with many keys; checked
 * against the reference like the random graphs. */
static void test_big_frontier(void **state)
{
    (void)state;
    struct model m;
    memset(&m, 0, sizeof m);
    m.nblocks = 4;
    static uint64_t frontier[16384], next[16384];
    size_t nf = MAXIO, nn;
    uint64_t cbv[MAXIO];
    uint32_t cba[MAXIO];
    for (uint32_t j = 0; j < MAXIO; j++) {
        cbv[j] = 900;
        cba[j] = j;
        frontier[j] = j;
    }
    model_add(&m, 0, 1, NULL, 0, cbv, cba, MAXIO);
    for (uint32_t level = 1; level < 4; level++) {
        model_add(&m, level, 1, NULL, 0, (uint64_t[]){50}, (uint32_t[]){2}, 1);
        nn = 0;
        for (size_t k = 0; k < nf; k++) {
            uint64_t v = m.oval[frontier[k]], fee = level < 3 ? rbelow(3) : 0, val[MAXIO];
            uint32_t addr[MAXIO];
            uint32_t no = v - fee < MAXIO ? (uint32_t)(v - fee) : MAXIO;
            if (!no) continue;
            uint64_t left = v - fee;
            for (uint32_t j = 0; j < no; j++) {
                val[j] = j + 1 == no ? left : left / no;
                left -= val[j];
                addr[j] = (uint32_t)rbelow(NADDR);
            }
            uint64_t t = model_add(&m, level, 0, &frontier[k], 1, val, addr, no);
            for (uint32_t j = 0; j < no; j++)
                next[nn++] = m.tx[t].first_out + j;
        }
        memcpy(frontier, next, nn * sizeof *next);
        nf = nn;
    }
    assert_true(nf > 4096);
    struct db d;
    model_store(&m, &d);
    struct cs_store *s = open_ro(&d);
    struct cs_attrib *a = test_attrib(s, &m);
    static const enum cs_policy pols[] = {CS_POLICY_HAIRCUT, CS_POLICY_FIFO, CS_POLICY_POISON};
    for (size_t k = 0; k < 3; k++) {
        struct tcase c;
        memset(&c, 0, sizeof c);
        c.policy = pols[k];
        c.max_hops = CS_TRACE_UNLIMITED;
        c.until = -1;
        c.use_attrib = k == 1;
        c.nseeds = MAXIO; /* every coinbase output */
        for (uint32_t j = 0; j < MAXIO; j++)
            c.seeds[j] = (struct cs_trace_seed){j, 0, CS_TRACE_WHOLE};
        struct cs_trace_opts o;
        opts_of(&o, &c, a);
        o.ring_bits = 7;
        o.pending_window_bits = 6;
        struct cs_trace_result r;
        assert_int_equal(cs_trace_run(&r, s, &o, c.seeds, c.nseeds), 0);
        assert_true(r.n_frontier > 4096 || c.use_attrib);
        struct ref R;
        ref_init(&R, &m);
        ref_forward(&R, &m, &c);
        compare(&R, &r, &m, &c);
        ref_free(&R);
        cs_trace_result_free(&r);
    }
    cs_attrib_free(a);
    cs_store_close(s);
    db_free(&d);
    model_free(&m);
}

/* ------------------------------------------------------------- reports -- */

static char *report_once(const struct cs_store *s, const struct cs_attrib *a, uint64_t seed,
                         size_t *len, struct cs_trace_result *keep)
{
    struct cs_trace_opts o;
    cs_trace_opts_default(&o);
    o.attrib = a;
    o.graph_max_edges = 100;
    struct cs_trace_result r;
    assert_int_equal(run1(&r, s, &o, seed), 0);
    struct cs_report_ctx c = {.s = s,
                              .r = &r,
                              .parameters_json = "{\"policy\":\"haircut\",\"max_hops\":null}",
                              .attribution_mode = "address",
                              .attribution_note = "test tags",
                              .tags_used = 1};
    char *json;
    assert_int_equal(cs_report_json(&c, &json, len), 0);
    if (keep)
        *keep = r;
    else
        cs_trace_result_free(&r);
    return json;
}

static void test_reports(void **state)
{
    (void)state;
    struct vchain v;
    vchain_build(&v);
    struct cs_store *s = open_ro(&v.d);
    struct cs_attrib *a = cs_attrib_new(1u << CS_TAG_EXCHANGE);
    assert_int_equal(
        cs_attrib_add(a, store_addr_id(s, 5), "Exchange \"X\", Ltd", CS_TAG_EXCHANGE, 90, "test"),
        0);
    cs_attrib_finish(a);
    size_t n1, n2;
    struct cs_trace_result r;
    char *j1 = report_once(s, a, v.i1, &n1, &r);
    char *j2 = report_once(s, a, v.i1, &n2, NULL);
    assert_int_equal(n1, n2);
    assert_memory_equal(j1, j2, n1); /* byte-identical across runs */
    assert_int_equal(j1[n1 - 1], '\n');

    /* the contract's fields, with the METHODS §1.3 haircut numbers */
    struct cs_json_doc doc = {0};
    assert_int_equal(cs_json_parse(&doc, j1, n1, NULL), 0);
    const struct cs_json *root = doc.root;
    const char *str;
    uint64_t u;
    int b;
    assert_int_equal(cs_json_obj_str(root, "policy", &str, NULL), 0);
    assert_string_equal(str, "haircut");
    assert_int_equal(cs_json_obj_str(root, "direction", &str, NULL), 0);
    assert_string_equal(str, "forward");
    assert_int_equal(cs_json_obj_bool(root, "conservative", &b), 0);
    assert_true(b);
    assert_int_equal(cs_json_obj_u64(root, "seed_amount", &u), 0);
    assert_int_equal(u, 300);
    const struct cs_json *sinks = cs_json_get(root, "sinks");
    assert_int_equal(sinks->len, 1);
    assert_int_equal(cs_json_obj_str(cs_json_at(sinks, 0), "entity", &str, NULL), 0);
    assert_string_equal(str, "Exchange \"X\", Ltd");
    assert_int_equal(cs_json_obj_str(cs_json_at(sinks, 0), "category", &str, NULL), 0);
    assert_string_equal(str, "exchange");
    assert_int_equal(cs_json_obj_u64(cs_json_at(sinks, 0), "amount", &u), 0);
    assert_int_equal(u, 120);
    assert_int_equal(cs_json_obj_u64(cs_json_at(sinks, 0), "hops", &u), 0);
    assert_int_equal(u, 1);
    char txv[65], want_op[80];
    cs_hex_rev(txv, v.m.tx[v.tx_v].txid);
    assert_int_equal(cs_json_obj_str(cs_json_at(sinks, 0), "first_tx", &str, NULL), 0);
    assert_string_equal(str, txv);
    assert_int_equal(
        cs_json_obj_str(cs_json_at(cs_json_get(cs_json_at(sinks, 0), "txs"), 0), NULL, &str, NULL),
        CS_ENOTFOUND);
    assert_int_equal(
        cs_json_get_str(cs_json_at(cs_json_get(cs_json_at(sinks, 0), "txs"), 0), &str, NULL), 0);
    assert_string_equal(str, txv);
    const struct cs_json *fr = cs_json_get(root, "frontier");
    assert_int_equal(fr->len, 1);
    snprintf(want_op, sizeof want_op, "%s:1", txv);
    assert_int_equal(cs_json_obj_str(cs_json_at(fr, 0), "outpoint", &str, NULL), 0);
    assert_string_equal(str, want_op);
    assert_int_equal(cs_json_obj_u64(cs_json_at(fr, 0), "amount", &u), 0);
    assert_int_equal(u, 177);
    assert_int_equal(cs_json_obj_str(cs_json_at(fr, 0), "reason", &str, NULL), 0);
    assert_string_equal(str, "unspent");
    assert_int_equal(cs_json_obj_u64(root, "fees", &u), 0);
    assert_int_equal(u, 3);
    assert_int_equal(cs_json_obj_u64(root, "dropped", &u), 0);
    assert_int_equal(u, 0);
    assert_int_equal(cs_json_obj_u64(root, "txs_visited", &u), 0);
    assert_int_equal(u, 1);
    assert_int_equal(cs_json_obj_u64(cs_json_get(root, "tip"), "height", &u), 0);
    assert_int_equal(u, 2);
    assert_non_null(cs_json_get(cs_json_get(root, "parameters"), "max_hops"));
    assert_int_equal(cs_json_get(root, "per_hop")->len, 2);
    cs_json_doc_free(&doc);

    /* text, CSV, DOT and HTML carry the same numbers */
    struct cs_report_ctx c = {.s = s,
                              .r = &r,
                              .parameters_json = "{\"policy\":\"haircut\"}",
                              .attribution_mode = "address",
                              .attribution_note = "",
                              .tags_used = 1};
    char *buf;
    size_t blen;
    FILE *f = open_memstream(&buf, &blen);
    assert_int_equal(cs_report_csv(f, &c), 0);
    fclose(f);
    assert_non_null(
        strstr(buf, "kind,entity,category,address,outpoint,amount_sat,hops,reason,first_tx,height,"
                    "time,timestamp\n"));
    char row[300];
    snprintf(row, sizeof row,
             "sink,\"Exchange \"\"X\"\", Ltd\",exchange,,,120,1,,%s,1,2020-09-13T12:36:40Z,"
             "1600000600\n",
             txv);
    assert_non_null(strstr(buf, row));
    /* tx_v is in block 1, whose nTime is 1600000000 + 600 (model_store) */
    snprintf(row, sizeof row, ",%s,177,1,unspent,,1,2020-09-13T12:36:40Z,1600000600\n", want_op);
    assert_non_null(strstr(buf, row));
    free(buf);
    f = open_memstream(&buf, &blen);
    assert_int_equal(cs_report_text(f, &c, 10), 0);
    fclose(f);
    assert_non_null(strstr(buf, "0.00000120"));
    assert_non_null(strstr(buf, "40.00%")); /* 120 of 300 */
    free(buf);
    char *dot;
    size_t dlen;
    assert_int_equal(cs_report_dot(&c, &dot, &dlen), 0);
    assert_non_null(strstr(dot, "digraph trace {"));
    assert_non_null(strstr(dot, "Exchange \\\"X\\\", Ltd"));
    assert_non_null(strstr(dot, "0.00000177"));
    f = open_memstream(&buf, &blen);
    assert_int_equal(cs_report_html(f, &c, j1, n1, NULL, 0, "dot not run in unit tests", "cmd"), 0);
    fclose(f);
    uint8_t d[32];
    char hex[65];
    cs_sha256(j1, n1, d);
    cs_hex(hex, d, 32);
    assert_non_null(strstr(buf, hex));
    assert_non_null(strstr(buf, "Exchange &quot;X&quot;, Ltd"));
    assert_non_null(strstr(buf, "dot not run in unit tests"));
    assert_null(strstr(buf, "<script"));
    assert_null(strstr(buf, "<link"));
    assert_null(strstr(buf, "src="));
    free(buf);
    free(dot);
    free(j1);
    free(j2);
    cs_trace_result_free(&r);
    cs_attrib_free(a);
    cs_store_close(s);
    vchain_free(&v);
}

/* The share column (report.h, cs_report_share).  Backward from O2 (590 sat)
 * of tx_v {I1 300, I2 700} -> {O1 400, O2 590}, fee 10, I2's address tagged
 * as an exchange.  By hand:
 *  - haircut: I1 floor(590*300/1000) = 177 -> 30.00%, I2 413 -> 70.00%;
 *  - poison: I1 and I2 in full, 300 and 700.  Shares of the target's value:
 *    min(300, 590)/590 = 50.84% (50.847...), min(700, 590)/590 = 100.00%;
 *    the old plain ratio 700/590 = 118.64% must not appear. */
static void share_report(const struct cs_store *s, const struct cs_attrib *a, enum cs_policy p,
                         uint64_t seed, char **text, char **html)
{
    struct cs_trace_opts o;
    cs_trace_opts_default(&o);
    o.attrib = a;
    o.policy = p;
    o.backward = 1;
    struct cs_trace_result r;
    assert_int_equal(run1(&r, s, &o, seed), 0);
    struct cs_report_ctx c = {.s = s, .r = &r, .parameters_json = "{}", .tags_used = 1};
    size_t n;
    FILE *f = open_memstream(text, &n);
    assert_int_equal(cs_report_text(f, &c, 10), 0);
    fclose(f);
    f = open_memstream(html, &n);
    assert_int_equal(cs_report_html(f, &c, "{}\n", 3, NULL, 0, "no graph", NULL), 0);
    fclose(f);
    cs_trace_result_free(&r);
}

static void test_report_shares(void **state)
{
    (void)state;
    struct vchain v;
    vchain_build(&v);
    struct cs_store *s = open_ro(&v.d);
    struct cs_attrib *a = cs_attrib_new(1u << CS_TAG_EXCHANGE);
    assert_int_equal(cs_attrib_add(a, store_addr_id(s, 2), "Ex", CS_TAG_EXCHANGE, 90, "test"), 0);
    cs_attrib_finish(a);
    char *text, *html;
    share_report(s, a, CS_POLICY_HAIRCUT, v.o2, &text, &html);
    assert_non_null(strstr(text, "came from                            category            "
                                 "amount (BTC)     share  hops    txs  latest (UTC)  "));
    assert_non_null(strstr(text, "Ex                                   exchange              "
                                 "0.00000413    70.00%     1      1  2020-09-13T12:26:40Z  -\n"));
    assert_non_null(strstr(text, "frontier (see below)                                       "
                                 "0.00000177    30.00%\n"));
    assert_non_null(strstr(html, "<th>Share</th>"));
    free(text);
    free(html);
    share_report(s, a, CS_POLICY_POISON, v.o2, &text, &html);
    assert_non_null(strstr(text, "amount (BTC) max share  hops    txs  latest (UTC)  "));
    assert_non_null(strstr(text, "Ex                                   exchange              "
                                 "0.00000700   100.00%     1      1  2020-09-13T12:26:40Z  -\n"));
    assert_non_null(strstr(text, "frontier (see below)                                       "
                                 "0.00000300    50.84%\n"));
    assert_null(strstr(text, "118.64%"));
    assert_non_null(strstr(html, "<th>Max share</th>"));
    assert_non_null(strstr(html, "<td class=\"n\">0.00000700</td><td class=\"n\">100.00%</td>"));
    assert_null(strstr(html, "118.64%"));
    free(text);
    free(html);
    cs_attrib_free(a);
    cs_store_close(s);
    vchain_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_methods_vector), cmocka_unit_test(test_stops),
        cmocka_unit_test(test_random_graphs),  cmocka_unit_test(test_big_frontier),
        cmocka_unit_test(test_reports),
        cmocka_unit_test(test_report_shares),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
