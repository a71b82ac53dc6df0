/* test_acct_trace.c — the account-model walker (trace/account.h) on small
 * EVM stores written through cs_evm_append_block.
 *
 * The docs/METHODS.md §1.6 vectors for every policy (5C/1T/send 3; Paya's
 * case; the swap example: 10 stETH of which 4 tainted for 9.98 ETH gives
 * 3.992 tainted ETH under haircut; fee-last), a sink, a WETH-style wrap,
 * and random small account graphs against a naive reference ledger kept
 * here that follows EVERY account from genesis per wei (fifo/lifo as wei
 * queues, haircut with the same floor rule, poison sticky): the walker,
 * which only follows holders from the moment they get taint and sums their
 * earlier balance from the store, must give every account the same taint,
 * conserve it per asset, and poison must cover haircut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "evm/store.h"
#include "trace/account.h"
#include "util/hash.h"

#define ETH 1000000000000000000ull

static void addr_of(uint8_t a[20], int n)
{
    memset(a, 0, 20);
    a[0] = 0xa0;
    a[18] = (uint8_t)(n >> 8);
    a[19] = (uint8_t)n;
}

/* ---- a tiny chain builder: one tx (or none) per block ---- */

struct mv { /* one movement: accounts by number (0 = none), asset 0 = native */
    int from, to, asset, kind;
    uint64_t amount;
};

struct chain {
    char dir[64];
    struct cs_evm *w;
    uint8_t tip[32];
    uint64_t number;
};

static void chain_open(struct chain *c)
{
    snprintf(c->dir, sizeof c->dir, "/tmp/cs_acct_XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    assert_int_equal(cs_evm_open(&c->w, c->dir, "eth", CS_EVM_WRITE), 0);
    memset(c->tip, 0, 32);
    c->number = 100;
}

/* Appends a block holding one tx from `sender` (0: no tx, block-level
 * movements only) with movements mv[0..n).  Returns the first transfer row. */
static uint64_t chain_block(struct chain *c, int sender, const struct mv *mv, size_t n)
{
    struct cs_evm_block_in b;
    struct cs_evm_tx_in tx;
    struct cs_evm_xfer_in x[16];
    memset(&b, 0, sizeof b);
    memset(&tx, 0, sizeof tx);
    memset(x, 0, sizeof x);
    assert_true(n <= 16);
    b.number = c->number++;
    memcpy(b.parent, c->tip, 32);
    uint8_t seed[8];
    memcpy(seed, &b.number, 8);
    cs_sha256(seed, 8, b.hash);
    addr_of(b.miner, 999);
    b.timestamp = 1700000000 + b.number * 12;
    b.flags = CS_EB_RECEIPTS | CS_EB_TOKENS | CS_EB_INTERNAL;
    if (sender) {
        memcpy(tx.hash, b.hash, 32);
        tx.hash[0] ^= 0x5a;
        addr_of(tx.from, sender);
        addr_of(tx.to, 998);
        tx.has_to = 1;
        tx.status = CS_ETX_OK;
        tx.nonce = b.number;
        b.tx = &tx;
        b.n_tx = 1;
    }
    for (size_t i = 0; i < n; i++) {
        x[i].kind = (uint8_t)(mv[i].kind    ? mv[i].kind
                              : mv[i].asset ? CS_XK_ERC20
                              : sender      ? CS_XK_INTERNAL
                                            : CS_XK_WITHDRAWAL);
        x[i].has_from = mv[i].from != 0;
        x[i].has_to = mv[i].to != 0;
        x[i].native = mv[i].asset == 0;
        x[i].tx = sender ? 0 : UINT32_MAX;
        if (mv[i].from) addr_of(x[i].from, mv[i].from);
        if (mv[i].to) addr_of(x[i].to, mv[i].to);
        if (mv[i].asset) addr_of(x[i].asset, mv[i].asset);
        x[i].amount = cs_u256_from_u64(mv[i].amount);
    }
    b.xfer = x;
    b.n_xfer = n;
    const struct cs_evm_counts *k = cs_evm_counts(c->w);
    uint64_t first = k->xfer;
    int rc = cs_evm_append_block(c->w, &b);
    if (rc) fprintf(stderr, "append: %s\n", cs_errmsg());
    assert_int_equal(rc, 0);
    memcpy(c->tip, b.hash, 32);
    return first;
}

static void chain_done(struct chain *c, struct cs_evm **r)
{
    assert_int_equal(cs_evm_commit(c->w), 0);
    cs_evm_close(c->w);
    c->w = NULL;
    assert_int_equal(cs_evm_open(r, c->dir, "eth", CS_EVM_READ), 0);
}

static void chain_rm(struct chain *c, struct cs_evm *r)
{
    cs_evm_close(r);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", c->dir);
    assert_int_equal(system(cmd), 0);
}

static uint64_t acct_id(const struct cs_evm *s, int n)
{
    uint8_t a[20];
    uint64_t id = 0;
    addr_of(a, n);
    assert_int_equal(cs_evm_find_acct(s, a, &id), 0);
    return id;
}

/* taint the result leaves at account n in asset (frontier + sinks first reached there) */
static uint64_t taint_at(const struct cs_evm *s, const struct cs_acct_result *r, int n, int asset)
{
    uint64_t a = acct_id(s, n), as = asset ? acct_id(s, asset) : 0, t = 0, v = 0;
    for (size_t i = 0; i < r->n_frontier; i++)
        if (r->frontier[i].holder == a && r->frontier[i].asset == as) {
            assert_int_equal(cs_u256_to_u64(&v, &r->frontier[i].amount), 0);
            t += v;
        }
    return t;
}

static const enum cs_lots_policy POL[4] = {CS_LOTS_POISON, CS_LOTS_HAIRCUT, CS_LOTS_FIFO,
                                           CS_LOTS_LIFO};

static void run(struct cs_acct_result *r, const struct cs_evm *s, enum cs_lots_policy p,
                const uint64_t *seeds, size_t n)
{
    struct cs_acct_opts o;
    cs_acct_opts_default(&o);
    o.policy = p;
    int rc = cs_acct_trace_run(r, s, &o, seeds, n);
    if (rc) fprintf(stderr, "trace: %s\n", cs_errmsg());
    assert_int_equal(rc, 0);
}

/* METHODS §1.6: receive 5 clean, then 1 tainted, then send 3 */
static void test_five_one_three(void **st)
{
    (void)st;
    struct chain c;
    struct cs_evm *s;
    chain_open(&c);
    chain_block(&c, 0, (struct mv[]){{0, 1, 0, 0, 5 * ETH}}, 1);
    uint64_t seed = chain_block(&c, 7, (struct mv[]){{7, 1, 0, CS_XK_NATIVE, 1 * ETH}}, 1);
    chain_block(&c, 1, (struct mv[]){{1, 2, 0, CS_XK_NATIVE, 3 * ETH}}, 1);
    chain_done(&c, &s);
    const uint64_t want[4] = {3 * ETH, ETH / 2, 0, 1 * ETH}; /* poison haircut fifo lifo */
    for (int p = 0; p < 4; p++) {
        struct cs_acct_result r;
        run(&r, s, POL[p], &seed, 1);
        assert_int_equal(taint_at(s, &r, 2, 0), want[p]);
        if (POL[p] != CS_LOTS_POISON) /* what B did not get stays with A */
            assert_int_equal(taint_at(s, &r, 1, 0), ETH - want[p]);
        uint64_t sd;
        assert_int_equal(cs_u256_to_u64(&sd, &r.seed[0].amount), 0);
        assert_int_equal(sd, ETH);
        cs_acct_result_free(&r);
    }
    chain_rm(&c, s);
}

/* Paya's case: 5C, receive 1T, receive 5C, send 1 */
static void test_paya(void **st)
{
    (void)st;
    struct chain c;
    struct cs_evm *s;
    chain_open(&c);
    chain_block(&c, 0, (struct mv[]){{0, 1, 0, 0, 5 * ETH}}, 1);
    uint64_t seed = chain_block(&c, 7, (struct mv[]){{7, 1, 0, CS_XK_NATIVE, 1 * ETH}}, 1);
    chain_block(&c, 8, (struct mv[]){{8, 1, 0, CS_XK_NATIVE, 5 * ETH}}, 1);
    chain_block(&c, 1, (struct mv[]){{1, 2, 0, CS_XK_NATIVE, 1 * ETH}}, 1);
    chain_done(&c, &s);
    const uint64_t want[4] = {1 * ETH, 90909090909090909ull, 0, 0};
    for (int p = 0; p < 4; p++) {
        struct cs_acct_result r;
        run(&r, s, POL[p], &seed, 1);
        assert_int_equal(taint_at(s, &r, 2, 0), want[p]);
        cs_acct_result_free(&r);
    }
    chain_rm(&c, s);
}

/* The swap example: A holds 10 stETH (6 clean, then 4 tainted), swaps them
 * at pool P for 9.98 ETH (3.992 tainted), then pays B 1 ETH.  Token 300 is
 * stETH, account 50 the pool. */
static void test_swap(void **st)
{
    (void)st;
    struct chain c;
    struct cs_evm *s;
    chain_open(&c);
    chain_block(&c, 0, (struct mv[]){{0, 50, 0, 0, 15 * ETH}}, 1); /* the pool's ETH */
    chain_block(&c, 9, (struct mv[]){{0, 1, 300, 0, 6 * ETH}}, 1); /* a mint: clean */
    uint64_t seed = chain_block(&c, 7, (struct mv[]){{7, 1, 300, 0, 4 * ETH}}, 1);
    uint64_t sw = chain_block(&c, 1,
                              (struct mv[]){{1, 50, 300, 0, 10 * ETH},
                                            {50, 1, 0, CS_XK_INTERNAL, 9980000000000000000ull}},
                              2);
    chain_block(&c, 1, (struct mv[]){{1, 2, 0, CS_XK_NATIVE, 1 * ETH}}, 1);
    chain_done(&c, &s);
    /* ETH tainted at A after the swap, then what B gets of the 1 ETH */
    const uint64_t got[4] = {9980000000000000000ull, 3992000000000000000ull, 3992000000000000000ull,
                             3992000000000000000ull};
    const uint64_t to_b[4] = {1 * ETH, 400000000000000000ull, 0, 1 * ETH};
    for (int p = 0; p < 4; p++) {
        struct cs_acct_result r;
        run(&r, s, POL[p], &seed, 1);
        assert_int_equal(r.n_swaps, 1);
        assert_int_equal(r.swaps[0].tx, cs_evm_xfer_tx(s, sw));
        assert_int_equal(r.swaps[0].n_sent, 1);
        assert_int_equal(r.swaps[0].n_received, 1);
        const struct cs_acct_leg *in = &r.legs[r.swaps[0].first_leg + 1];
        uint64_t v;
        assert_int_equal(cs_u256_to_u64(&v, &in->tainted), 0);
        assert_int_equal(v, got[p]);
        assert_int_equal(taint_at(s, &r, 2, 0), to_b[p]);
        if (POL[p] != CS_LOTS_POISON) assert_int_equal(taint_at(s, &r, 1, 0) + to_b[p], got[p]);
        /* the pool is never followed: it did not get the stETH's taint */
        assert_int_equal(taint_at(s, &r, 50, 300), 0);
        cs_acct_result_free(&r);
    }
    chain_rm(&c, s);
}

/* fee-last: A holds 1C then 1T and sends 1 ETH with a 0.1 ETH fee (0.04 tip,
 * 0.06 burned): FIFO pays B the clean ether and the fee from the taint;
 * LIFO the other way round. */
static void test_fee_last(void **st)
{
    (void)st;
    struct chain c;
    struct cs_evm *s;
    chain_open(&c);
    chain_block(&c, 0, (struct mv[]){{0, 1, 0, 0, 1 * ETH}}, 1);
    uint64_t seed = chain_block(&c, 7, (struct mv[]){{7, 1, 0, CS_XK_NATIVE, 1 * ETH}}, 1);
    chain_block(&c, 1,
                (struct mv[]){{1, 2, 0, CS_XK_NATIVE, 1 * ETH},
                              {1, 999, 0, CS_XK_FEE_TIP, 40000000000000000ull},
                              {1, 0, 0, CS_XK_FEE_BURN, 60000000000000000ull}},
                3);
    chain_done(&c, &s);
    struct cs_acct_result r;
    uint64_t fee;
    run(&r, s, CS_LOTS_FIFO, &seed, 1);
    assert_int_equal(taint_at(s, &r, 2, 0), 0);
    assert_int_equal(cs_u256_to_u64(&fee, &r.fees[0].amount), 0);
    assert_int_equal(fee, 100000000000000000ull);
    assert_int_equal(taint_at(s, &r, 999, 0), 0); /* the fee recipient is not followed */
    cs_acct_result_free(&r);
    run(&r, s, CS_LOTS_LIFO, &seed, 1);
    assert_int_equal(taint_at(s, &r, 2, 0), 1 * ETH);
    assert_int_equal(cs_u256_to_u64(&fee, &r.fees[0].amount), 0);
    assert_int_equal(fee, 0);
    cs_acct_result_free(&r);
    /* haircut: 1 of 2 tainted; the value carries 0.5, the tip 0.02, the burn
     * floor(0.06 x 0.5 / 0.96)... of what is left: (0.5 ETH taint in 1 ETH) */
    run(&r, s, CS_LOTS_HAIRCUT, &seed, 1);
    assert_int_equal(taint_at(s, &r, 2, 0), ETH / 2);
    assert_int_equal(cs_u256_to_u64(&fee, &r.fees[0].amount), 0);
    /* tip: floor(0.04 x 0.5 / 1) = 0.02; burn: floor(0.06 x 0.48 / 0.96) = 0.03 */
    assert_int_equal(fee, 50000000000000000ull);
    cs_acct_result_free(&r);
    chain_rm(&c, s);
}

/* a seed that is also a swap leg: A holds tainted stETH (seed 1) and swaps
 * it at pool P for ETH, and that ETH receipt is a seed too (an --address
 * seed takes everything A received).  The seed is booked as itself, not
 * netted into the swap a second time: every ledger balance equals the
 * store's (check_balances) under every policy. */
static void test_seed_in_swap(void **st)
{
    (void)st;
    struct chain c;
    struct cs_evm *s;
    chain_open(&c);
    chain_block(&c, 0, (struct mv[]){{0, 50, 0, 0, 15 * ETH}}, 1);
    chain_block(&c, 0, (struct mv[]){{0, 1, 0, 0, 1 * ETH}}, 1);
    uint64_t s1 = chain_block(&c, 7, (struct mv[]){{7, 1, 300, 0, 4 * ETH}}, 1);
    uint64_t sw = chain_block(
        &c, 1, (struct mv[]){{1, 50, 300, 0, 4 * ETH}, {50, 1, 0, CS_XK_INTERNAL, 3 * ETH}}, 2);
    chain_block(&c, 1, (struct mv[]){{1, 2, 0, CS_XK_NATIVE, 2 * ETH}}, 1);
    chain_done(&c, &s);
    uint64_t seeds[2] = {s1, sw + 1};
    for (int p = 0; p < 4; p++) {
        struct cs_acct_opts o;
        cs_acct_opts_default(&o);
        o.policy = POL[p];
        o.check_balances = 1;
        struct cs_acct_result r;
        int rc = cs_acct_trace_run(&r, s, &o, seeds, 2);
        if (rc) fail_msg("policy %d: %s", p, cs_errmsg());
        assert_int_equal(r.seed_transfers, 2);
        cs_acct_result_free(&r);
    }
    chain_rm(&c, s);
}

static int32_t lookup_exchange(void *ctx, uint64_t a, int *category)
{
    if (a != *(const uint64_t *)ctx) return -1;
    *category = 0; /* CS_TAG_EXCHANGE */
    return 0;
}

/* a sink ends the path: B is an exchange; what reaches it is booked there
 * and B's own later payments carry nothing */
static void test_sink(void **st)
{
    (void)st;
    struct chain c;
    struct cs_evm *s;
    chain_open(&c);
    uint64_t seed = chain_block(&c, 7, (struct mv[]){{7, 1, 0, CS_XK_NATIVE, 2 * ETH}}, 1);
    chain_block(&c, 1, (struct mv[]){{1, 2, 0, CS_XK_NATIVE, 2 * ETH}}, 1);
    chain_block(&c, 2, (struct mv[]){{2, 3, 0, CS_XK_NATIVE, 2 * ETH}}, 1);
    chain_done(&c, &s);
    uint64_t b = acct_id(s, 2), v;
    struct cs_acct_opts o;
    cs_acct_opts_default(&o);
    o.lookup = lookup_exchange;
    o.lookup_ctx = &b;
    struct cs_acct_result r;
    assert_int_equal(cs_acct_trace_run(&r, s, &o, &seed, 1), 0);
    assert_int_equal(r.n_sinks, 1);
    assert_int_equal(cs_u256_to_u64(&v, &r.sinks[0].amount), 0);
    assert_int_equal(v, 2 * ETH);
    assert_int_equal(r.sinks[0].hops, 1);
    assert_int_equal(r.n_frontier, 0);
    cs_acct_result_free(&r);
    chain_rm(&c, s);
}

/* ---- random small graphs against a naive ledger of every account ---- */

#define NA 6 /* accounts 1..NA; account NA is an exchange (a sink) */
#define MAXW 64

struct naive {
    uint8_t q[NA + 1][MAXW * 4]; /* fifo/lifo: each wei's label, oldest first */
    uint64_t n[NA + 1];          /* balance */
    uint64_t t[NA + 1];          /* haircut / poison taint */
    int poisoned[NA + 1];
    uint64_t sink, fees;
};

/* debit x from a (a != 0); returns its taint; fills lab[] (fifo/lifo) */
static uint64_t naive_take(struct naive *z, enum cs_lots_policy p, int a, uint64_t x, uint8_t *lab)
{
    uint64_t t = 0;
    if (p == CS_LOTS_FIFO || p == CS_LOTS_LIFO) {
        for (uint64_t i = 0; i < x; i++) {
            uint64_t k = p == CS_LOTS_FIFO ? i : z->n[a] - x + i;
            lab[i] = z->q[a][k];
            t += lab[i];
        }
        if (p == CS_LOTS_FIFO) memmove(z->q[a], z->q[a] + x, z->n[a] - x);
    } else if (p == CS_LOTS_HAIRCUT) {
        t = x == z->n[a] ? z->t[a] : x * z->t[a] / z->n[a];
        z->t[a] -= t;
    } else {
        t = z->poisoned[a] ? x : 0;
    }
    z->n[a] -= x;
    if (p == CS_LOTS_POISON && z->poisoned[a]) z->t[a] = z->n[a];
    return t;
}

static void naive_give(struct naive *z, enum cs_lots_policy p, int b, uint64_t x, uint64_t t,
                       const uint8_t *lab)
{
    if (p == CS_LOTS_FIFO || p == CS_LOTS_LIFO) {
        for (uint64_t i = 0; i < x; i++)
            z->q[b][z->n[b] + i] = lab ? lab[i] : 0;
    } else if (p == CS_LOTS_HAIRCUT) {
        z->t[b] += t;
    } else if (t) {
        z->poisoned[b] = 1;
    }
    z->n[b] += x;
    if (p == CS_LOTS_POISON && z->poisoned[b]) z->t[b] = z->n[b];
}

static uint64_t naive_taint(const struct naive *z, enum cs_lots_policy p, int a)
{
    if (p == CS_LOTS_FIFO || p == CS_LOTS_LIFO) {
        uint64_t t = 0;
        for (uint64_t i = 0; i < z->n[a]; i++)
            t += z->q[a][i];
        return t;
    }
    return z->t[a];
}

static void test_random_graphs(void **st)
{
    (void)st;
    uint64_t rng = 0x9e3779b97f4a7c15ull;
#define RND(n) ((rng = rng * 6364136223846793005ull + 1442695040888963407ull), (rng >> 33) % (n))
    for (int round = 0; round < 60; round++) {
        struct chain c;
        struct cs_evm *s;
        chain_open(&c);
        /* the plan: funding, then random payments (amount <= balance), one of
         * them (or a funding) the seed; balances tracked to keep them valid */
        struct step {
            int from, to, fee;
            uint64_t amount;
            uint64_t row;
        } plan[40];
        uint64_t bal[NA + 1] = {0};
        int nst = 0, seed_at = (int)RND(10) + 2;
        for (int i = 0; i < 40; i++) {
            struct step *p = &plan[nst];
            memset(p, 0, sizeof *p);
            if (i < 3 || RND(5) == 0) { /* withdrawal funding */
                p->to = 1 + (int)RND(NA - 1);
                p->amount = 1 + RND(12);
            } else {
                p->from = 1 + (int)RND(NA - 1);
                if (!bal[p->from]) continue;
                p->to = 1 + (int)RND(NA);
                if (p->to == p->from) continue;
                p->amount = RND(bal[p->from]) + 1;
                p->fee = p->amount > 1 && RND(3) == 0;
            }
            if (p->from) bal[p->from] -= p->amount;
            bal[p->to] += p->amount - (uint64_t)p->fee; /* the fee is burned */
            if (bal[p->to] > MAXW) {                    /* keep the wei queues small */
                bal[p->to] -= p->amount - (uint64_t)p->fee;
                if (p->from) bal[p->from] += p->amount;
                continue;
            }
            if (p->from) {
                struct mv m[2] = {{p->from, p->to, 0, CS_XK_NATIVE, p->amount - (uint64_t)p->fee},
                                  {p->from, 0, 0, CS_XK_FEE_BURN, 1}};
                p->row = chain_block(&c, p->from, m, p->fee ? 2 : 1);
            } else {
                p->row = chain_block(&c, 0, (struct mv[]){{0, p->to, 0, 0, p->amount}}, 1);
            }
            nst++;
        }
        chain_done(&c, &s);
        if (seed_at >= nst) seed_at = nst - 1;
        while (seed_at > 0 && plan[seed_at].to == NA) /* seeds are never sinks */
            seed_at--;
        uint64_t seed = plan[seed_at].row, sinkacct = UINT64_MAX;
        uint8_t sad[20];
        addr_of(sad, NA);
        if (cs_evm_find_acct(s, sad, &sinkacct)) sinkacct = UINT64_MAX; /* never paid */
        uint64_t walker_taint[4][NA + 1];
        memset(walker_taint, 0, sizeof walker_taint);
        for (int pi = 0; pi < 4; pi++) {
            enum cs_lots_policy p = POL[pi];
            struct naive z;
            memset(&z, 0, sizeof z);
            uint64_t seeded = 0;
            for (int i = 0; i < nst; i++) {
                const struct step *q = &plan[i];
                uint64_t v = q->amount - (uint64_t)q->fee, t = 0;
                uint8_t lab[MAXW];
                if (q->from) {
                    t = naive_take(&z, p, q->from, v, lab);
                } else {
                    memset(lab, 0, sizeof lab);
                }
                if (q->to == NA) { /* the exchange: taint ends there */
                    z.sink += t;
                    naive_give(&z, p, q->to, v, 0, NULL);
                } else {
                    naive_give(&z, p, q->to, v, t, lab);
                }
                if (i == seed_at) { /* seed: the lot just received becomes tainted */
                    uint64_t before = naive_taint(&z, p, q->to);
                    if (p == CS_LOTS_FIFO || p == CS_LOTS_LIFO)
                        memset(z.q[q->to] + z.n[q->to] - v, 1, v);
                    else if (p == CS_LOTS_HAIRCUT)
                        z.t[q->to] += v - (t < v ? t : v); /* the clean part of the lot */
                    else
                        z.poisoned[q->to] = 1, z.t[q->to] = z.n[q->to];
                    seeded = naive_taint(&z, p, q->to) - before;
                    if (p == CS_LOTS_POISON) seeded = v;
                }
                if (q->fee) z.fees += naive_take(&z, p, q->from, 1, lab);
            }
            struct cs_acct_opts o;
            cs_acct_opts_default(&o);
            o.policy = p;
            o.lookup = lookup_exchange;
            o.lookup_ctx = &sinkacct;
            struct cs_acct_result r;
            assert_int_equal(cs_acct_trace_run(&r, s, &o, &seed, 1), 0);
            uint64_t total = 0, sk = 0, fe = 0, sd = 0;
            for (int a = 1; a < NA; a++) {
                uint64_t got = 0;
                uint8_t ad[20];
                uint64_t id;
                addr_of(ad, a);
                if (!cs_evm_find_acct(s, ad, &id)) got = taint_at(s, &r, a, 0);
                walker_taint[pi][a] = got;
                if (got != naive_taint(&z, p, a))
                    fail_msg("round %d policy %d account %d: walker %llu, reference %llu", round,
                             pi, a, (unsigned long long)got,
                             (unsigned long long)naive_taint(&z, p, a));
                total += got;
            }
            for (size_t i = 0; i < r.n_sinks; i++) {
                uint64_t v = 0;
                assert_int_equal(cs_u256_to_u64(&v, &r.sinks[i].amount), 0);
                sk += v;
            }
            if (r.n_assets) {
                assert_int_equal(cs_u256_to_u64(&fe, &r.fees[0].amount), 0);
                assert_int_equal(cs_u256_to_u64(&sd, &r.seed[0].amount), 0);
            }
            assert_int_equal(sk, z.sink);
            assert_int_equal(fe, z.fees);
            if (p != CS_LOTS_POISON) {
                assert_int_equal(sd, seeded);
                assert_int_equal(sd, total + sk + fe); /* conservation */
            }
            cs_acct_result_free(&r);
        }
        /* poison covers haircut (and every policy) account by account */
        for (int a = 1; a < NA; a++)
            for (int pi = 1; pi < 4; pi++)
                if (walker_taint[0][a] < walker_taint[pi][a])
                    fail_msg("round %d account %d: poison %llu below policy %d's %llu", round, a,
                             (unsigned long long)walker_taint[0][a], pi,
                             (unsigned long long)walker_taint[pi][a]);
        chain_rm(&c, s);
    }
#undef RND
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_five_one_three), cmocka_unit_test(test_paya),
        cmocka_unit_test(test_swap),           cmocka_unit_test(test_fee_last),
        cmocka_unit_test(test_sink),           cmocka_unit_test(test_random_graphs),
        cmocka_unit_test(test_seed_in_swap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
