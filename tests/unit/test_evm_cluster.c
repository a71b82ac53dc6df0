/* test_evm_cluster.c — Victor's heuristics (cluster/evm_cluster.h) on small
 * EVM stores written through cs_evm_append_block.
 *
 * METHODS §3.1's deposit vector (U1 -> D 1.000 ETH at block 100, D -> E 0.999
 * at 150, U2 -> D 2.0 at 300, D -> E 1.995 at 320: {U1, U2} one entity, D
 * with E) and the boundaries of its amount and gap rules (exactly 0.01 ETH
 * short / 1 wei more; a forward larger than the inflow; the gap at the
 * parameter and one past it), E not an EOA, a miner sender, an untagged E
 * found by the forwarder count, a token sweep after a gas top-up; an airdrop
 * with two forwarders to one aggregator (and one to another, not enough),
 * and its median-gap rule; self-authorization, also an approval after the
 * transferFrom (no link); the stored result: reopen, --why path, stale after
 * the store grows and after a reorg to another branch, a damaged file,
 * identical files from two runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cluster/evm_cluster.h"
#include "evm/store.h"
#include "util/hash.h"
#include "util/keccak.h"

#define ETH_MILLI 1000000000000000ull /* 0.001 ETH in wei */

/* ---- a tiny block builder ---- */

struct bb {
    struct cs_evm_block_in b;
    struct cs_evm_tx_in tx[16];
    struct cs_evm_xfer_in x[32];
    struct cs_evm_log_in log[4];
};

static uint64_t g_tx_counter;

static void addr_of(uint8_t a[20], int n)
{
    memset(a, 0, 20);
    a[0] = 0xc1;
    a[18] = (uint8_t)(n >> 8);
    a[19] = (uint8_t)n;
}

static void bb_init(struct bb *t, uint64_t number, const uint8_t parent[32])
{
    memset(t, 0, sizeof *t);
    t->b.number = number;
    memcpy(t->b.parent, parent, 32);
    uint8_t seed[16] = {0};
    memcpy(seed, &number, 8);
    memcpy(seed + 8, parent, 8);
    cs_sha256(seed, sizeof seed, t->b.hash);
    addr_of(t->b.miner, 999);
    t->b.timestamp = 1700000000 + number * 12;
    t->b.flags = CS_EB_RECEIPTS | CS_EB_TOKENS | CS_EB_INTERNAL;
    t->b.tx = t->tx;
    t->b.xfer = t->x;
    t->b.log = t->log;
}

/* a tx from -> to carrying value wei (a native transfer when value > 0) */
static uint32_t bb_tx(struct bb *t, int from, int to, uint64_t value)
{
    uint32_t i = (uint32_t)t->b.n_tx++;
    struct cs_evm_tx_in *tx = &t->tx[i];
    g_tx_counter++;
    cs_sha256(&g_tx_counter, sizeof g_tx_counter, tx->hash);
    addr_of(tx->from, from);
    addr_of(tx->to, to);
    tx->has_to = 1;
    tx->status = CS_ETX_OK;
    tx->type = 2;
    tx->nonce = g_tx_counter;
    tx->gas_used = 21000;
    tx->gas_price = 1;
    tx->value = cs_u256_from_u64(value);
    if (value) {
        struct cs_evm_xfer_in *x = &t->x[t->b.n_xfer++];
        *x = (struct cs_evm_xfer_in){
            .kind = CS_XK_NATIVE, .has_from = 1, .has_to = 1, .native = 1, .tx = i};
        x->amount = cs_u256_from_u64(value);
        memcpy(x->from, tx->from, 20);
        memcpy(x->to, tx->to, 20);
    }
    return i;
}

static void bb_token(struct bb *t, uint32_t txi, int token, int from, int to, uint64_t amount)
{
    struct cs_evm_xfer_in *x = &t->x[t->b.n_xfer++];
    *x = (struct cs_evm_xfer_in){.kind = CS_XK_ERC20, .has_from = from != 0, .has_to = 1,
                                 .tx = txi, .aux = (uint32_t)t->b.n_xfer};
    if (from) addr_of(x->from, from);
    addr_of(x->to, to);
    addr_of(x->asset, token);
    x->amount = cs_u256_from_u64(amount);
}

static void bb_approval(struct bb *t, uint32_t txi, int token, int owner, int spender)
{
    struct cs_evm_log_in *l = &t->log[t->b.n_log++];
    memset(l, 0, sizeof *l);
    l->tx = txi;
    l->index = (uint32_t)t->b.n_log;
    addr_of(l->addr, token);
    l->ntopics = 3;
    static const char SIG[] = "Approval(address,address,uint256)";
    cs_keccak256(SIG, sizeof SIG - 1, l->topic[0]);
    addr_of(l->topic[1] + 12, owner);
    addr_of(l->topic[2] + 12, spender);
    static const uint8_t data[32] = {[31] = 100};
    l->data = data;
    l->data_len = 32;
}

/* A store being written, with the tip to append to. */
struct chain {
    char dir[256];
    struct cs_evm *w;
    uint64_t next; /* next block number */
    uint8_t tip[32];
};

static void chain_open(struct chain *c, uint64_t first)
{
    snprintf(c->dir, sizeof c->dir, "/tmp/test_evm_cluster.%d.XXXXXX", (int)getpid());
    assert_non_null(mkdtemp(c->dir));
    assert_int_equal(cs_evm_open(&c->w, c->dir, "eth", CS_EVM_WRITE), 0);
    c->next = first;
    memset(c->tip, 0, 32);
}

static void chain_append(struct chain *c, struct bb *t)
{
    if (t->b.n_tx) /* the block's hash depends on its txs, so branches differ */
        for (int i = 0; i < 32; i++)
            t->b.hash[i] ^= t->tx[0].hash[i];
    int rc = cs_evm_append_block(c->w, &t->b);
    if (rc) fprintf(stderr, "append %llu: %s\n", (unsigned long long)t->b.number, cs_errmsg());
    assert_int_equal(rc, 0);
    memcpy(c->tip, t->b.hash, 32);
    c->next = t->b.number + 1;
}

/* empty blocks up to (not including) number */
static void chain_fill(struct chain *c, uint64_t number)
{
    struct bb t;
    while (c->next < number) {
        bb_init(&t, c->next, c->tip);
        chain_append(c, &t);
    }
}

/* the block at number, started (call chain_append after adding to it) */
static void chain_block(struct chain *c, struct bb *t, uint64_t number)
{
    chain_fill(c, number);
    bb_init(t, number, c->tip);
}

static void chain_close(struct chain *c)
{
    if (c->w) cs_evm_close(c->w);
    c->w = NULL;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", c->dir);
    assert_int_equal(system(cmd), 0);
}

static uint64_t row(const struct cs_evm *s, int n)
{
    uint8_t a[20];
    uint64_t r;
    addr_of(a, n);
    assert_int_equal(cs_evm_find_acct(s, a, &r), 0);
    return r;
}

/* commit, open a reader, cluster it with p (E's rows tagged when tag > 0) */
static struct cs_evm *run_on(struct chain *c, struct cs_evmclu_params *p, int tag,
                             struct cs_evmclu_report *r)
{
    assert_int_equal(cs_evm_commit(c->w), 0);
    struct cs_evm *s;
    assert_int_equal(cs_evm_open(&s, c->dir, "eth", CS_EVM_READ), 0);
    uint64_t x[1];
    if (tag > 0) {
        x[0] = row(s, tag);
        p->exchanges = x;
        p->n_exchanges = 1;
    }
    int rc = cs_evmclu_run(s, c->dir, p, NULL, r);
    if (rc) fprintf(stderr, "run: %s\n", cs_errmsg());
    assert_int_equal(rc, 0);
    p->exchanges = NULL;
    p->n_exchanges = 0;
    return s;
}

static struct cs_evmclu *open_ok(const struct chain *c, const struct cs_evm *s)
{
    struct cs_evmclu *k;
    int rc = cs_evmclu_open(&k, c->dir, s);
    if (rc) fprintf(stderr, "open: %s\n", cs_errmsg());
    assert_int_equal(rc, 0);
    return k;
}

enum { U1 = 1, U2 = 2, D = 3, E = 4, X = 5, U3_ = 6, M = 999 };

/* The METHODS vector, with E an EOA (it pays X at block 330). Amount a2 at
 * 300, forward f2 at block b2. */
static void vector_chain(struct chain *c, uint64_t a2, uint64_t f2, uint64_t b2)
{
    struct bb t;
    chain_open(c, 100);
    chain_block(c, &t, 100);
    bb_tx(&t, U1, D, 1000 * ETH_MILLI);
    chain_append(c, &t);
    chain_block(c, &t, 150);
    bb_tx(&t, D, E, 999 * ETH_MILLI);
    chain_append(c, &t);
    chain_block(c, &t, 300);
    bb_tx(&t, U2, D, a2);
    chain_append(c, &t);
    chain_block(c, &t, b2);
    bb_tx(&t, D, E, f2);
    chain_append(c, &t);
    chain_block(c, &t, b2 + 10);
    bb_tx(&t, E, X, 5 * ETH_MILLI);
    chain_append(c, &t);
}

static void test_methods_vector(void **st)
{
    (void)st;
    struct chain c;
    vector_chain(&c, 2000 * ETH_MILLI, 1995 * ETH_MILLI, 320);
    struct cs_evmclu_params p;
    cs_evmclu_params_default(&p);
    struct cs_evmclu_report r;
    struct cs_evm *s = run_on(&c, &p, E, &r);
    struct cs_evmclu *k = open_ok(&c, s);
    uint64_t u1 = row(s, U1), u2 = row(s, U2), d = row(s, D), e = row(s, E), x = row(s, X);
    /* {U1, U2} one entity; D with E; the two apart */
    assert_int_equal(cs_evmclu_cid(k, u1), cs_evmclu_cid(k, u2));
    assert_int_equal(cs_evmclu_cid(k, d), cs_evmclu_cid(k, e));
    assert_true(cs_evmclu_cid(k, u1) != cs_evmclu_cid(k, d));
    assert_int_equal(cs_evmclu_cid(k, x), x);
    /* cluster id = the smallest row */
    assert_int_equal(cs_evmclu_cid(k, u2), u1 < u2 ? u1 : u2);
    assert_int_equal(cs_evmclu_cid(k, e), d < e ? d : e);
    /* a row past the clustering is its own id */
    assert_int_equal(cs_evmclu_cid(k, 12345), 12345);
    const struct cs_evmclu_state *S = cs_evmclu_state(k);
    assert_int_equal(S->deposits, 1);
    assert_int_equal(S->unions[CS_EVMCLU_EV_DEPOSIT_EXCHANGE], 2); /* both sweeps matched */
    assert_int_equal(S->merges[CS_EVMCLU_EV_DEPOSIT_EXCHANGE], 1);
    assert_int_equal(S->merges[CS_EVMCLU_EV_DEPOSIT_USER], 1);
    assert_int_equal(S->clusters, 4); /* {U1,U2}, {D,E}, {X} and the blocks' fee recipient */
    assert_int_equal(S->singletons, 2);
    assert_int_equal(S->largest, 2);
    /* --why: one hop, through D, the payments of U1 and U2 */
    struct cs_evmclu_hop *h;
    size_t n;
    assert_int_equal(cs_evmclu_why(k, u1, u2, &h, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(h[0].from, u1);
    assert_int_equal(h[0].to, u2);
    assert_int_equal(h[0].ev.heur, CS_EVMCLU_EV_DEPOSIT_USER);
    assert_int_equal(h[0].ev.via, d);
    uint64_t blocks[2] = {cs_evm_block(s, cs_evm_tx(s, h[0].ev.tx)->block)->number,
                          cs_evm_block(s, cs_evm_tx(s, h[0].ev.tx2)->block)->number};
    assert_true((blocks[0] == 300 && blocks[1] == 100) || (blocks[0] == 100 && blocks[1] == 300));
    free(h);
    const struct cs_evmclu_ev *dep = cs_evmclu_deposit_of(k, d);
    assert_non_null(dep);
    assert_int_equal(dep->b, e);
    assert_int_equal(cs_evm_block(s, cs_evm_tx(s, dep->tx)->block)->number, 150);
    assert_int_equal(cs_evmclu_why(k, u1, d, &h, &n), CS_ENOTFOUND);
    cs_evmclu_close(k);
    cs_evm_close(s);
    chain_close(&c);
}

/* U1 and U2 pay D a2 / 2 each at block 300, D forwards f2 to E at block
 * b2, E pays X: 1 when U1 and U2 end up linked (D a deposit address). */
static int vector_links(uint64_t a2, uint64_t f2, uint64_t b2, uint64_t gap, int tag)
{
    struct chain c;
    struct bb t;
    chain_open(&c, 300);
    chain_block(&c, &t, 300);
    bb_tx(&t, U1, D, a2 / 2);
    bb_tx(&t, U2, D, a2 - a2 / 2);
    chain_append(&c, &t);
    chain_block(&c, &t, b2);
    bb_tx(&t, D, E, f2);
    chain_append(&c, &t);
    chain_block(&c, &t, b2 + 1);
    bb_tx(&t, E, X, 5);
    chain_append(&c, &t);
    struct cs_evmclu_params p;
    cs_evmclu_params_default(&p);
    p.deposit_max_gap = gap;
    struct cs_evmclu_report r;
    struct cs_evm *s = run_on(&c, &p, tag, &r);
    struct cs_evmclu *k = open_ok(&c, s);
    int linked = cs_evmclu_cid(k, row(s, U1)) == cs_evmclu_cid(k, row(s, U2));
    assert_int_equal(cs_evmclu_cid(k, row(s, D)) == cs_evmclu_cid(k, row(s, E)), linked);
    cs_evmclu_close(k);
    cs_evm_close(s);
    chain_close(&c);
    return linked;
}

static void test_deposit_boundaries(void **st)
{
    (void)st;
    const uint64_t two = 2000 * ETH_MILLI;
    /* exactly 0.01 ETH short: still a forward; one wei more: not */
    assert_true(vector_links(two, two - 10 * ETH_MILLI, 320, 10000, E));
    assert_false(vector_links(two, two - 10 * ETH_MILLI - 1, 320, 10000, E));
    /* a forward of the whole amount, and of one wei more than received */
    assert_true(vector_links(two, two, 320, 10000, E));
    assert_false(vector_links(two, two + 1, 320, 10000, E));
    /* the block gap: inflow at 300, forward at 300 + gap */
    assert_true(vector_links(two, 1995 * ETH_MILLI, 350, 50, E));
    assert_false(vector_links(two, 1995 * ETH_MILLI, 351, 50, E));
    /* E untagged: one forwarder is below the default of 20 */
    assert_false(vector_links(two, 1995 * ETH_MILLI, 320, 10000, 0));
}

static void test_deposit_default_gap(void **st)
{
    (void)st;
    /* METHODS' 10,000 blocks: inflow at 300, forward at 10,300 and 10,301 */
    assert_true(vector_links(2000 * ETH_MILLI, 1995 * ETH_MILLI, 10300, 10000, E));
    assert_false(vector_links(2000 * ETH_MILLI, 1995 * ETH_MILLI, 10301, 10000, E));
}

static void test_deposit_rules(void **st)
{
    (void)st;
    struct cs_evmclu_params p;
    struct cs_evmclu_report r;
    struct bb t;
    struct chain c;
    /* E never sends a tx: not an EOA, so D is no deposit address */
    chain_open(&c, 100);
    chain_block(&c, &t, 100);
    bb_tx(&t, U1, D, 1000 * ETH_MILLI);
    bb_tx(&t, U2, D, 1000 * ETH_MILLI);
    chain_append(&c, &t);
    chain_block(&c, &t, 101);
    bb_tx(&t, D, E, 1999 * ETH_MILLI);
    chain_append(&c, &t);
    cs_evmclu_params_default(&p);
    struct cs_evm *s = run_on(&c, &p, E, &r);
    struct cs_evmclu *k = open_ok(&c, s);
    assert_int_equal(cs_evmclu_state(k)->deposits, 0);
    assert_true(cs_evmclu_cid(k, row(s, U1)) != cs_evmclu_cid(k, row(s, U2)));
    cs_evmclu_close(k);
    cs_evm_close(s);
    chain_close(&c);

    /* a miner paying a deposit address stays out of the user entity; the
     * two users (one payment summed with the other) join */
    chain_open(&c, 100);
    chain_block(&c, &t, 100);
    bb_tx(&t, U1, D, 1000 * ETH_MILLI);
    bb_tx(&t, U2, D, 1000 * ETH_MILLI);
    bb_tx(&t, M, D, 500 * ETH_MILLI); /* M is every block's fee recipient */
    chain_append(&c, &t);
    chain_block(&c, &t, 101);
    bb_tx(&t, D, E, 2499 * ETH_MILLI);
    bb_tx(&t, E, X, 1);
    chain_append(&c, &t);
    s = run_on(&c, &p, E, &r);
    k = open_ok(&c, s);
    assert_int_equal(cs_evmclu_state(k)->deposits, 1);
    assert_int_equal(cs_evmclu_cid(k, row(s, U1)), cs_evmclu_cid(k, row(s, U2)));
    assert_int_equal(cs_evmclu_cid(k, row(s, M)), row(s, M));
    assert_int_equal(cs_evmclu_cid(k, row(s, D)), cs_evmclu_cid(k, row(s, E)));
    cs_evmclu_close(k);
    cs_evm_close(s);
    chain_close(&c);

    /* an untagged exchange: 3 deposit addresses (10, 11, 12) forward to E 40;
     * --deposit-min-forwarders 3 makes it one, 4 does not */
    for (int minf = 3; minf <= 4; minf++) {
        chain_open(&c, 100);
        chain_block(&c, &t, 100);
        for (int i = 0; i < 3; i++)
            bb_tx(&t, 20 + i, 10 + i, 100 * ETH_MILLI);
        bb_tx(&t, 23, 12, 100 * ETH_MILLI); /* a second user of deposit 12 */
        chain_append(&c, &t);
        chain_block(&c, &t, 101);
        for (int i = 0; i < 2; i++)
            bb_tx(&t, 10 + i, 40, 99 * ETH_MILLI);
        bb_tx(&t, 12, 40, 199 * ETH_MILLI);
        bb_tx(&t, 40, X, 1);
        chain_append(&c, &t);
        cs_evmclu_params_default(&p);
        p.deposit_min_forwarders = (uint64_t)minf;
        s = run_on(&c, &p, 0, &r);
        k = open_ok(&c, s);
        assert_int_equal(cs_evmclu_state(k)->deposits, minf == 3 ? 3 : 0);
        int together = cs_evmclu_cid(k, row(s, 10)) == cs_evmclu_cid(k, row(s, 11)) &&
                       cs_evmclu_cid(k, row(s, 11)) == cs_evmclu_cid(k, row(s, 40));
        assert_int_equal(together, minf == 3);
        assert_int_equal(cs_evmclu_cid(k, row(s, 22)) == cs_evmclu_cid(k, row(s, 23)), minf == 3);
        /* users of different deposit addresses stay apart */
        assert_true(cs_evmclu_cid(k, row(s, 20)) != cs_evmclu_cid(k, row(s, 21)));
        cs_evmclu_close(k);
        cs_evm_close(s);
        chain_close(&c);
    }

    /* U1 pays deposit addresses 10 and 11 of one exchange E, U2 pays 10, U3
     * pays 11: Victor's rule joins all three; --deposit-exclusive leaves U1
     * out of both, so U2 and U3 stay apart */
    for (int excl = 0; excl <= 1; excl++) {
        chain_open(&c, 100);
        chain_block(&c, &t, 100);
        bb_tx(&t, U1, 10, 100 * ETH_MILLI);
        bb_tx(&t, U2, 10, 100 * ETH_MILLI);
        bb_tx(&t, U1, 11, 100 * ETH_MILLI);
        bb_tx(&t, U3_, 11, 100 * ETH_MILLI);
        chain_append(&c, &t);
        chain_block(&c, &t, 101);
        bb_tx(&t, 10, E, 199 * ETH_MILLI);
        bb_tx(&t, 11, E, 199 * ETH_MILLI);
        bb_tx(&t, E, X, 1);
        chain_append(&c, &t);
        cs_evmclu_params_default(&p);
        p.deposit_exclusive = excl;
        s = run_on(&c, &p, E, &r);
        k = open_ok(&c, s);
        assert_int_equal(cs_evmclu_state(k)->deposits, 2);
        uint64_t c1 = cs_evmclu_cid(k, row(s, U1)), c2 = cs_evmclu_cid(k, row(s, U2)),
                 c3 = cs_evmclu_cid(k, row(s, U3_));
        assert_int_equal(c1 == c2 && c2 == c3, !excl);
        if (excl) {
            assert_int_equal(c1, row(s, U1));
            assert_true(c2 != c3);
        }
        cs_evmclu_close(k);
        cs_evm_close(s);
        chain_close(&c);
    }

    /* a token deposit swept after a gas top-up from E: an exact forward
     * links; with deposit-eth only it does not */
    for (int tokens = 1; tokens >= 0; tokens--) {
        enum { TOK = 60 };
        chain_open(&c, 100);
        chain_block(&c, &t, 100);
        uint32_t i1 = bb_tx(&t, U1, TOK, 0);
        bb_token(&t, i1, TOK, U1, D, 5000000);
        uint32_t i2 = bb_tx(&t, U2, TOK, 0);
        bb_token(&t, i2, TOK, U2, D, 7000000);
        chain_append(&c, &t);
        chain_block(&c, &t, 110);
        bb_tx(&t, E, D, 46000); /* the gas top-up */
        chain_append(&c, &t);
        chain_block(&c, &t, 111);
        uint32_t i3 = bb_tx(&t, D, TOK, 0);
        bb_token(&t, i3, TOK, D, E, 12000000);
        chain_append(&c, &t);
        cs_evmclu_params_default(&p);
        if (!tokens) p.heuristics = CS_EVMCLU_DEPOSIT;
        s = run_on(&c, &p, E, &r);
        k = open_ok(&c, s);
        assert_int_equal(cs_evmclu_state(k)->deposits, (uint64_t)tokens);
        assert_int_equal(cs_evmclu_state(k)->deposit_token_deposits, (uint64_t)tokens);
        assert_int_equal(cs_evmclu_cid(k, row(s, U1)) == cs_evmclu_cid(k, row(s, U2)), tokens);
        assert_int_equal(cs_evmclu_cid(k, row(s, D)) == cs_evmclu_cid(k, row(s, E)), tokens);
        cs_evmclu_close(k);
        cs_evm_close(s);
        chain_close(&c);
    }
}

/* Airdrop of 100 units of token 70 from distributor 71 to recipients
 * 100..105 (one per block from 200, or every `spacing` blocks); 100 and 101
 * forward 100 to aggregator 80, 102 to 81, 103 forwards 99 to 80. */
static void airdrop_chain(struct chain *c, uint64_t spacing)
{
    enum { TOK = 70, DIST = 71 };
    struct bb t;
    chain_open(c, 200);
    for (int i = 0; i < 6; i++) {
        chain_block(c, &t, 200 + spacing * (uint64_t)i);
        uint32_t ti = bb_tx(&t, DIST, TOK, 0);
        bb_token(&t, ti, TOK, DIST, 100 + i, 100);
        chain_append(c, &t);
    }
    chain_block(c, &t, c->next + 5);
    static const int FROM[4] = {100, 101, 102, 103}, TO[4] = {80, 80, 81, 80};
    static const uint64_t AMT[4] = {100, 100, 100, 99};
    for (int i = 0; i < 4; i++) {
        uint32_t ti = bb_tx(&t, FROM[i], TOK, 0);
        bb_token(&t, ti, TOK, FROM[i], TO[i], AMT[i]);
    }
    bb_tx(&t, 80, X, 1); /* the aggregators are EOAs */
    bb_tx(&t, 81, X, 1);
    chain_append(c, &t);
}

static void test_airdrop(void **st)
{
    (void)st;
    for (uint64_t spacing = 2; spacing <= 3; spacing++) {
        struct chain c;
        airdrop_chain(&c, spacing);
        struct cs_evmclu_params p;
        cs_evmclu_params_default(&p);
        p.heuristics = CS_EVMCLU_AIRDROP;
        p.airdrop_min = 6;
        struct cs_evmclu_report r;
        struct cs_evm *s = run_on(&c, &p, 0, &r);
        struct cs_evmclu *k = open_ok(&c, s);
        int on = spacing == 2; /* median gap 2 is an airdrop, 3 is not */
        assert_int_equal(cs_evmclu_state(k)->airdrops, (uint64_t)on);
        uint64_t agg = cs_evmclu_cid(k, row(s, 80));
        assert_int_equal(cs_evmclu_cid(k, row(s, 100)) == agg, on);
        assert_int_equal(cs_evmclu_cid(k, row(s, 101)) == agg, on);
        assert_true(cs_evmclu_cid(k, row(s, 102)) != agg);
        assert_int_equal(cs_evmclu_cid(k, row(s, 102)), row(s, 102)); /* 81 has one sender */
        assert_true(cs_evmclu_cid(k, row(s, 103)) != agg);            /* another amount */
        assert_true(cs_evmclu_cid(k, row(s, 71)) != agg);             /* not the distributor */
        if (on) {
            struct cs_evmclu_hop *h;
            size_t n;
            assert_int_equal(cs_evmclu_why(k, row(s, 100), row(s, 101), &h, &n), 0);
            assert_int_equal(n, 2);
            assert_int_equal(h[0].ev.heur, CS_EVMCLU_EV_AIRDROP);
            assert_int_equal(h[0].to, row(s, 80));
            assert_int_equal(h[1].from, row(s, 80));
            free(h);
        }
        cs_evmclu_close(k);
        cs_evm_close(s);
        chain_close(&c);
        /* 6 recipients are not enough for the default of 1,000 */
        airdrop_chain(&c, spacing);
        cs_evmclu_params_default(&p);
        s = run_on(&c, &p, 0, &r);
        k = open_ok(&c, s);
        assert_int_equal(cs_evmclu_state(k)->airdrops, 0);
        cs_evmclu_close(k);
        cs_evm_close(s);
        chain_close(&c);
    }
}

static void test_selfauth(void **st)
{
    (void)st;
    enum { TOK = 90, O = 91, S = 92, O2 = 93, S2 = 94, DEX = 95 };
    struct chain c;
    struct bb t;
    chain_open(&c, 500);
    chain_block(&c, &t, 500);
    uint32_t a = bb_tx(&t, O, TOK, 0);
    bb_approval(&t, a, TOK, O, S);
    bb_token(&t, a, TOK, 0, O, 1000); /* a mint, so O holds some */
    /* O2 approves a contract (never sends): no link possible */
    uint32_t b = bb_tx(&t, O2, TOK, 0);
    bb_approval(&t, b, TOK, O2, DEX);
    chain_append(&c, &t);
    chain_block(&c, &t, 501);
    uint32_t f = bb_tx(&t, S, TOK, 0); /* S calls transferFrom(O, X, 100) */
    bb_token(&t, f, TOK, O, X, 100);
    uint32_t g = bb_tx(&t, S2, TOK, 0); /* S2 moves O2's tokens before any approval */
    bb_token(&t, g, TOK, O2, X, 5);
    chain_append(&c, &t);
    chain_block(&c, &t, 502);
    uint32_t h2 = bb_tx(&t, O2, TOK, 0);
    bb_approval(&t, h2, TOK, O2, S2);
    chain_append(&c, &t);
    struct cs_evmclu_params p;
    cs_evmclu_params_default(&p);
    struct cs_evmclu_report r;
    struct cs_evm *s = run_on(&c, &p, 0, &r);
    struct cs_evmclu *k = open_ok(&c, s);
    /* DEX never appears in a transfer: no account, so its approval is not kept */
    assert_int_equal(cs_evmclu_state(k)->approvals, 2);
    assert_int_equal(cs_evmclu_cid(k, row(s, O)), cs_evmclu_cid(k, row(s, S)));
    assert_true(cs_evmclu_cid(k, row(s, O2)) != cs_evmclu_cid(k, row(s, S2)));
    assert_int_equal(cs_evmclu_state(k)->merges[CS_EVMCLU_EV_SELFAUTH], 1);
    struct cs_evmclu_hop *h;
    size_t n;
    assert_int_equal(cs_evmclu_why(k, row(s, S), row(s, O), &h, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(h[0].from, row(s, S));
    assert_int_equal(h[0].ev.a, row(s, O));
    assert_int_equal(h[0].ev.via, row(s, TOK));
    assert_int_equal(cs_evm_block(s, cs_evm_tx(s, h[0].ev.tx)->block)->number, 501);
    assert_int_equal(cs_evm_block(s, cs_evm_tx(s, h[0].ev.tx2)->block)->number, 500);
    free(h);
    cs_evmclu_close(k);
    cs_evm_close(s);
    /* selfauth off: no link */
    p.heuristics = CS_EVMCLU_DEPOSIT | CS_EVMCLU_AIRDROP;
    s = run_on(&c, &p, 0, &r);
    k = open_ok(&c, s);
    assert_true(cs_evmclu_cid(k, row(s, O)) != cs_evmclu_cid(k, row(s, S)));
    cs_evmclu_close(k);
    cs_evm_close(s);
    chain_close(&c);
}

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = malloc((size_t)n + 1);
    *len = fread(*buf, 1, (size_t)n, f);
    fclose(f);
    return 0;
}

static void test_stored_state(void **st)
{
    (void)st;
    struct chain c;
    vector_chain(&c, 2000 * ETH_MILLI, 1995 * ETH_MILLI, 320);
    struct cs_evmclu_params p;
    cs_evmclu_params_default(&p);
    struct cs_evmclu_report r1, r2;
    struct cs_evm *s = run_on(&c, &p, E, &r1);
    struct cs_evmclu *k;
    /* no clustering of another store */
    struct chain other;
    chain_open(&other, 1);
    struct bb t;
    chain_block(&other, &t, 1);
    bb_tx(&t, 1, 2, 5);
    chain_append(&other, &t);
    assert_int_equal(cs_evm_commit(other.w), 0);
    assert_int_equal(cs_evmclu_open(&k, other.dir, other.w), CS_ENOTFOUND);
    chain_close(&other);
    /* two runs: the same bytes, generation 2 */
    char p1[400], p2[400];
    snprintf(p1, sizeof p1, "%s/eth/cluster/evm.1.cid", c.dir);
    uint8_t *b1, *b2;
    size_t l1, l2;
    assert_int_equal(read_file(p1, &b1, &l1), 0);
    cs_evm_close(s);
    s = run_on(&c, &p, E, &r2);
    assert_int_equal(r2.state.generation, 2);
    snprintf(p2, sizeof p2, "%s/eth/cluster/evm.2.cid", c.dir);
    assert_int_equal(read_file(p2, &b2, &l2), 0);
    assert_int_equal(l1, l2);
    assert_memory_equal(b1, b2, l1);
    assert_memory_equal(r1.state.ev_sha, r2.state.ev_sha, 32);
    free(b1);
    free(b2);
    assert_int_equal(access(p1, F_OK), -1); /* the old generation is gone */
    k = open_ok(&c, s);
    uint64_t u2 = row(s, U2), cid_u2 = cs_evmclu_cid(k, u2);
    cs_evmclu_close(k);
    /* the store grows: stale, but open_any still opens it */
    struct bb nb;
    chain_block(&c, &nb, c.next);
    bb_tx(&nb, X, U1, 7);
    chain_append(&c, &nb);
    assert_int_equal(cs_evm_commit(c.w), 0);
    struct cs_evm *s2;
    assert_int_equal(cs_evm_open(&s2, c.dir, "eth", CS_EVM_READ), 0);
    assert_int_equal(cs_evmclu_open(&k, c.dir, s2), CS_ESTALE);
    assert_non_null(strstr(cs_errmsg(), "the store's tip is block"));
    int stale;
    assert_int_equal(cs_evmclu_open_any(&k, c.dir, s2, &stale), 0);
    assert_int_equal(stale, 1);
    assert_int_equal(cs_evmclu_cid(k, u2), cid_u2);
    cs_evmclu_close(k);
    cs_evm_close(s2);
    /* a reorg: back to the clustered tip's parent, then another block at
     * the clustered height */
    uint64_t blocks = r2.state.blocks;
    assert_int_equal(cs_evm_truncate(c.w, blocks - 1), 0);
    const struct cs_evm_blockrec *pb = cs_evm_block(c.w, blocks - 2);
    memcpy(c.tip, pb->hash, 32);
    c.next = pb->number + 1;
    chain_block(&c, &nb, c.next);
    bb_tx(&nb, X, U2, 9); /* another branch: another hash */
    chain_append(&c, &nb);
    assert_int_equal(cs_evm_commit(c.w), 0);
    assert_int_equal(cs_evm_counts(c.w)->blocks, blocks);
    assert_int_equal(cs_evm_open(&s2, c.dir, "eth", CS_EVM_READ), 0);
    assert_int_equal(cs_evmclu_open(&k, c.dir, s2), CS_ESTALE);
    assert_non_null(strstr(cs_errmsg(), "no longer holds"));
    /* the snapshot opened before still matches */
    k = open_ok(&c, s);
    cs_evmclu_close(k);
    cs_evm_close(s2);
    FILE *f;
    /* what a killed run leaves (another generation's files, a temp file)
     * changes nothing for readers, and the next run removes it */
    static const char *const LEFT[] = {"evm.77.cid", "evm.77.ev", "evm.3.cid.tmp"};
    for (int i = 0; i < 3; i++) {
        char pl[400];
        snprintf(pl, sizeof pl, "%s/eth/cluster/%s", c.dir, LEFT[i]);
        f = fopen(pl, "wb");
        assert_non_null(f);
        fputs("junk", f);
        fclose(f);
    }
    k = open_ok(&c, s);
    assert_int_equal(cs_evmclu_cid(k, u2), cid_u2);
    cs_evmclu_close(k);
    cs_evm_close(s);
    assert_int_equal(cs_evm_truncate(c.w, blocks), 0); /* (a no-op: same tip) */
    s = run_on(&c, &p, E, &r2);
    assert_int_equal(r2.state.generation, 3);
    for (int i = 0; i < 3; i++) {
        char pl[400];
        snprintf(pl, sizeof pl, "%s/eth/cluster/%s", c.dir, LEFT[i]);
        assert_int_equal(access(pl, F_OK), -1);
    }
    snprintf(p2, sizeof p2, "%s/eth/cluster/evm.3.cid", c.dir);
    /* a flipped byte in the cid file */
    f = fopen(p2, "r+b");
    assert_non_null(f);
    fseek(f, 9, SEEK_SET);
    fputc(0x55, f);
    fclose(f);
    assert_int_equal(cs_evmclu_open(&k, c.dir, s), CS_ECORRUPT);
    assert_non_null(strstr(cs_errmsg(), "SHA-256"));
    /* a damaged state file */
    char ps[400];
    snprintf(ps, sizeof ps, "%s/eth/cluster/EVM_CLUSTER_STATE", c.dir);
    f = fopen(ps, "r+b");
    assert_non_null(f);
    fseek(f, 30, SEEK_SET);
    fputc('#', f);
    fclose(f);
    assert_int_equal(cs_evmclu_open(&k, c.dir, s), CS_ECORRUPT);
    assert_non_null(strstr(cs_errmsg(), "checksum"));
    cs_evm_close(s);
    chain_close(&c);
}

static void test_spec(void **st)
{
    (void)st;
    unsigned h;
    assert_int_equal(cs_evmclu_heuristics_parse("deposit,airdrop,selfauth", &h), 0);
    assert_int_equal(h, CS_EVMCLU_ALL);
    assert_int_equal(cs_evmclu_heuristics_parse("deposit-eth", &h), 0);
    assert_int_equal(h, CS_EVMCLU_DEPOSIT);
    assert_int_equal(cs_evmclu_heuristics_parse("none", &h), 0);
    assert_int_equal(h, 0);
    assert_int_equal(cs_evmclu_heuristics_parse("deposit,bogus", &h), CS_EUSAGE);
    assert_non_null(strstr(cs_errmsg(), "'bogus'"));
    assert_int_equal(cs_evmclu_heuristics_parse("deposit,", &h), CS_EUSAGE);
    struct cs_evmclu_params p;
    cs_evmclu_params_default(&p);
    char buf[256];
    assert_int_equal(cs_evmclu_spec_format(&p, buf, sizeof buf), 0);
    assert_non_null(strstr(buf, "deposit+airdrop+selfauth;deposit-max-diff=10000000000000000;"
                                "deposit-max-gap=10000;"));
    assert_int_equal(cs_evmclu_spec_format(&p, buf, 20), CS_ERANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_methods_vector), cmocka_unit_test(test_deposit_boundaries),
        cmocka_unit_test(test_deposit_default_gap), cmocka_unit_test(test_deposit_rules),
        cmocka_unit_test(test_airdrop),         cmocka_unit_test(test_selfauth),
        cmocka_unit_test(test_stored_state),    cmocka_unit_test(test_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
