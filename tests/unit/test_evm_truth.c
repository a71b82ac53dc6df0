/* test_evm_truth.c — the generator's per-policy ledger (tools/gen/evm_truth.c)
 * on the worked numbers of docs/METHODS.md §1.6, booked through its hooks on
 * a hand-built account table: receive 5 clean, 1 tainted, send 3 (FIFO 0,
 * LIFO 1, haircut 0.5, poison 3); Paya's case (haircut 1/11 of 1 ETH in
 * wei); the swap of 10 stETH (4 tainted) for 9.98 ETH (3.992 tainted, and
 * FIFO/LIFO keep the pieces' order); a 1:1 wrap; a sink, a fee and a
 * poisoning-marked payment; then heist.json as written, with its
 * conservation check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../tools/gen/evm_chain.c"
#include "../../tools/gen/evm_truth.c"

enum { A_ZERO, A_COLD, A_E, A_B, A_C, A_POOL, A_HOT, A_LOOK, A_MINER, A_TOK0, A_N = A_TOK0 + EA_N };

static struct evm_gen G;
static char DIR[] = "/tmp/cs-evm-truth-XXXXXX";
static struct evm_acct ACCT[A_N];
static struct evm_entity ENT[3];
static const char *SYMS[EA_N] = {"ETH",  "WETH", "stETH", "mETH", "cmETH",
                                 "USDC", "USDT", "AIR",   "USDT", "USDC"};

static void setup_g(void)
{
    memset(&G, 0, sizeof G);
    memset(ACCT, 0, sizeof ACCT);
    memset(ENT, 0, sizeof ENT);
    G.acct = ACCT;
    G.nacct = A_N;
    G.ent = ENT;
    G.nent = 3;
    snprintf(ENT[0].name, sizeof ENT[0].name, "none");
    snprintf(ENT[1].name, sizeof ENT[1].name, "exchange_x");
    ENT[1].sink = SINK_EXCHANGE;
    snprintf(ENT[2].name, sizeof ENT[2].name, "scam");
    for (int i = 0; i < A_N; i++) {
        ACCT[i].addr[0] = (uint8_t)(i * 7 + 1); /* tokens ordered by this byte */
        ACCT[i].addr[19] = (uint8_t)i;
        static const char H[] = "0123456789abcdef";
        ACCT[i].hex[0] = '0';
        ACCT[i].hex[1] = 'x';
        for (int k = 0; k < 20; k++) {
            ACCT[i].hex[2 + 2 * k] = H[ACCT[i].addr[k] >> 4];
            ACCT[i].hex[3 + 2 * k] = H[ACCT[i].addr[k] & 15];
        }
    }
    ACCT[A_HOT].entity = 1;
    ACCT[A_HOT].role = R_HOT;
    ACCT[A_LOOK].entity = 2;
    ACCT[A_LOOK].role = R_LOOKALIKE;
    ACCT[A_POOL].role = R_POOL;
    for (int a = 1; a < EA_N; a++) {
        G.tok[a] = A_TOK0 + (uint32_t)a;
        ACCT[G.tok[a]].role = R_TOKEN;
    }
    for (int a = 0; a < EA_N; a++)
        G.tok_symbol[a] = SYMS[a];
    for (int a = 0; a < EA_N; a++)
        ACCT[A_COLD].bal[a] = 1000000 * (u128)1000000000000000000ull;
    G.out = DIR;
    evm_truth_start(&G);
}

/* one movement: the hook sees it before the balances change */
static void mv(struct evm_tx *t, uint32_t from, uint32_t to, int asset, u128 v, int kind)
{
    evm_truth_move(&G, t, from, to, asset, v, kind);
    if (from) ACCT[from].bal[asset] -= v;
    if (to) ACCT[to].bal[asset] += v;
}

static struct evm_tx TXS[8];

/* a tx from `from`; evm_truth_tx_begin sees its movements from the struct */
static struct evm_tx *tx(int i, uint32_t from, uint32_t to, u128 value)
{
    struct evm_tx *t = &TXS[i];
    memset(t, 0, sizeof *t);
    t->from = from;
    t->to = to;
    t->value = value;
    t->hash[0] = (uint8_t)(i + 1);
    return t;
}

static u128 taint(uint32_t a, int p, int asset)
{
    struct lots *L = lots_of(&G, a, p, asset);
    return L ? L->taint : 0;
}

static const u128 ETHW = (u128)1000000000000000000ull;

/* the seed: the exploiter E receives v of asset from the cold wallet in a
 * drain tx (a frame for ETH, a Transfer log for a token) */
static void seed(int i, int asset, u128 v)
{
    struct evm_tx *t = tx(i, A_E, A_COLD, 0);
    t->seed = 1;
    evm_truth_tx_begin(&G, t);
    mv(t, A_COLD, A_E, asset, v, asset == EA_ETH ? MV_FRAME : MV_LOG);
}

static void test_five_one_three(void **state)
{
    (void)state;
    setup_g();
    mv(NULL, 0, A_E, EA_ETH, 5 * ETHW, MV_WITHDRAWAL); /* 5 clean, before any taint */
    seed(0, EA_ETH, 1 * ETHW);
    struct evm_tx *t = tx(1, A_E, A_B, 3 * ETHW);
    evm_truth_tx_begin(&G, t);
    mv(t, A_E, A_B, EA_ETH, 3 * ETHW, MV_VALUE);
    assert_true(taint(A_B, P_FIFO, EA_ETH) == 0);
    assert_null(lots_of(&G, A_B, P_FIFO, EA_ETH)); /* a clean piece: B is not followed */
    assert_true(taint(A_B, P_LIFO, EA_ETH) == ETHW);
    assert_true(taint(A_B, P_HAIRCUT, EA_ETH) == ETHW / 2);
    assert_true(taint(A_B, P_POISON, EA_ETH) == 3 * ETHW);
    /* E keeps the rest */
    assert_true(taint(A_E, P_FIFO, EA_ETH) == ETHW);
    assert_true(taint(A_E, P_LIFO, EA_ETH) == 0);
    assert_true(taint(A_E, P_HAIRCUT, EA_ETH) == ETHW / 2);
    assert_true(taint(A_E, P_POISON, EA_ETH) == 3 * ETHW);
    assert_int_equal(evm_truth_finish(&G), 0);
}

static void test_paya(void **state)
{
    (void)state;
    setup_g();
    mv(NULL, 0, A_E, EA_ETH, 5 * ETHW, MV_WITHDRAWAL);
    seed(0, EA_ETH, 1 * ETHW);
    mv(NULL, 0, A_E, EA_ETH, 5 * ETHW, MV_WITHDRAWAL);
    struct evm_tx *t = tx(1, A_E, A_B, ETHW);
    evm_truth_tx_begin(&G, t);
    mv(t, A_E, A_B, EA_ETH, ETHW, MV_VALUE);
    assert_true(taint(A_B, P_FIFO, EA_ETH) == 0);
    assert_true(taint(A_B, P_LIFO, EA_ETH) == 0);
    assert_true(taint(A_B, P_HAIRCUT, EA_ETH) == (u128)90909090909090909ull);
    assert_true(taint(A_B, P_POISON, EA_ETH) == ETHW);
    /* E empties its balance (FIFO: the last piece out is clean), then gets
     * 2 clean: the queues start over */
    t = tx(2, A_E, A_C, 10 * ETHW);
    evm_truth_tx_begin(&G, t);
    mv(t, A_E, A_C, EA_ETH, 10 * ETHW, MV_VALUE);
    mv(NULL, 0, A_E, EA_ETH, 2 * ETHW, MV_WITHDRAWAL);
    for (int p = P_FIFO; p <= P_LIFO; p++) {
        struct lots *L = lots_of(&G, A_E, p, EA_ETH);
        assert_true(L->bal == 2 * ETHW && L->taint == 0 && L->q.n - L->head == 1);
    }
    assert_int_equal(evm_truth_finish(&G), 0);
}

/* 6 clean stETH, then 4 tainted, swapped whole for 9.98 ETH at a pool */
static void test_swap(void **state)
{
    (void)state;
    setup_g();
    ACCT[A_POOL].bal[EA_ETH] = 100 * ETHW;
    ACCT[A_C].bal[EA_STETH] = 6 * ETHW;
    struct evm_tx *t = tx(0, A_C, G.tok[EA_STETH], 0);
    evm_truth_tx_begin(&G, t);
    mv(t, A_C, A_E, EA_STETH, 6 * ETHW, MV_LOG); /* C was never followed: clean */
    seed(1, EA_STETH, 4 * ETHW);
    u128 r = 9980 * (ETHW / 1000);
    t = tx(2, A_E, A_POOL, 0);
    evm_tx_transfer(&G, t, EA_STETH, A_E, A_POOL, 10 * ETHW); /* only the log fields are used */
    evm_tx_frame(t, A_POOL, A_E, r, "call");
    evm_truth_tx_begin(&G, t);
    for (int p = 0; p < NPOL; p++)
        assert_true(G.truth && TR(&G)->pol[p].sw.active);
    mv(t, A_E, A_POOL, EA_ETH, 0, MV_VALUE);
    mv(t, A_POOL, A_E, EA_ETH, r, MV_FRAME);
    mv(t, A_E, A_POOL, EA_STETH, 10 * ETHW, MV_LOG);
    u128 want = 3992 * (ETHW / 1000);
    assert_true(taint(A_E, P_HAIRCUT, EA_ETH) == want);
    assert_true(taint(A_E, P_FIFO, EA_ETH) == want);
    assert_true(taint(A_E, P_LIFO, EA_ETH) == want);
    assert_true(taint(A_E, P_POISON, EA_ETH) == r);
    /* FIFO and LIFO keep the order: clean 5.988 first, then tainted 3.992 */
    struct lots *L = lots_of(&G, A_E, P_LIFO, EA_ETH);
    assert_int_equal(L->q.n - L->head, 2);
    assert_true(L->q.s[L->head].amt == r - want && !L->q.s[L->head].tainted);
    /* LIFO sends the newest first: 1 ETH is all tainted; FIFO: all clean */
    t = tx(3, A_E, A_B, ETHW);
    evm_truth_tx_begin(&G, t);
    mv(t, A_E, A_B, EA_ETH, ETHW, MV_VALUE);
    assert_true(taint(A_B, P_LIFO, EA_ETH) == ETHW);
    assert_true(taint(A_B, P_FIFO, EA_ETH) == 0);
    /* the pool is not followed: only E's side of the swap is booked */
    assert_null(lots_of(&G, A_POOL, P_HAIRCUT, EA_STETH));
    for (int p = 0; p < NPOL; p++)
        assert_true(TR(&G)->pol[p].sout[EA_STETH] == (p == P_POISON ? 10 : 4) * ETHW);
    assert_int_equal(evm_truth_finish(&G), 0);
}

/* a wrap is a swap with R = S: the taint goes across 1:1 */
static void test_wrap_sink_fee_poisoning(void **state)
{
    (void)state;
    setup_g();
    mv(NULL, 0, A_E, EA_ETH, 3 * ETHW, MV_WITHDRAWAL);
    seed(0, EA_ETH, 7 * ETHW);
    struct evm_tx *t = tx(1, A_E, G.tok[EA_WETH], 4 * ETHW);
    struct evm_log *l = evm_tx_log(t, G.tok[EA_WETH], G.T_WDEPOSIT);
    l->kind = 2;
    l->to = A_E;
    l->value = 4 * ETHW;
    evm_truth_tx_begin(&G, t);
    mv(t, A_E, G.tok[EA_WETH], EA_ETH, 4 * ETHW, MV_VALUE);
    mv(t, 0, A_E, EA_WETH, 4 * ETHW, MV_LOG);
    /* haircut 4 x 7/10 = 2.8 both sides; LIFO: the newest 4 are tainted */
    assert_true(taint(A_E, P_HAIRCUT, EA_WETH) == 28 * ETHW / 10);
    assert_true(taint(A_E, P_LIFO, EA_WETH) == 4 * ETHW);
    assert_true(taint(A_E, P_FIFO, EA_WETH) == ETHW);
    assert_true(TR(&G)->pol[P_HAIRCUT].sin[EA_WETH] == TR(&G)->pol[P_HAIRCUT].sout[EA_ETH]);
    /* fee: tip then burn, each its own debit; haircut: 0.1 of 6 holding 4.2
     * is 0.07, then 0.2 of 5.9 holding 4.13 is 0.14 */
    mv(t, A_E, A_MINER, EA_ETH, ETHW / 10, MV_TIP);
    mv(t, A_E, 0, EA_ETH, ETHW / 5, MV_BURN);
    assert_true(TR(&G)->pol[P_HAIRCUT].fees[EA_ETH] == 21 * ETHW / 100);
    assert_true(TR(&G)->pol[P_FIFO].fees[EA_ETH] == 3 * ETHW / 10); /* [6 T] after the wrap */
    assert_null(lots_of(&G, A_MINER, P_HAIRCUT, EA_ETH));
    /* to a hot wallet: a sink, not followed; to a look-alike: dropped */
    t = tx(2, A_E, A_HOT, 2 * ETHW);
    evm_truth_tx_begin(&G, t);
    mv(t, A_E, A_HOT, EA_ETH, 2 * ETHW, MV_VALUE);
    t = tx(3, A_E, A_LOOK, ETHW);
    evm_truth_tx_begin(&G, t);
    mv(t, A_E, A_LOOK, EA_ETH, ETHW, MV_VALUE);
    t = tx(4, A_LOOK, G.tok[EA_USDT], 0); /* zero-value transferFrom(E -> look-alike) */
    evm_truth_tx_begin(&G, t);
    mv(t, A_E, A_LOOK, EA_USDT, 0, MV_LOG);
    /* left before the sink: haircut 5.7 holding 3.99 (2 x 0.7 = 1.4 to the
     * sink); FIFO [5.7 T]; LIFO [3 C, 2.7 T] (the newest 2 to the sink, then
     * 0.7 T + 0.3 C to the look-alike); poison all */
    static const u128 SINK[NPOL] = {2, 14, 2, 2}, DROP[NPOL] = {10, 7, 10, 7}; /* ETH / 10 */
    for (int p = 0; p < NPOL; p++) {
        struct pol *P = &TR(&G)->pol[p];
        assert_true(P->sink[1 * EA_N + EA_ETH] == SINK[p] * (p == P_HAIRCUT ? ETHW / 10 : ETHW));
        assert_true(P->dropped[EA_ETH] == DROP[p] * ETHW / 10);
        assert_int_equal(P->poisoning, 2);
        assert_null(lots_of(&G, A_LOOK, p, EA_ETH));
        assert_null(lots_of(&G, A_HOT, p, EA_ETH));
    }
    assert_int_equal(evm_truth_finish(&G), 0);
    /* heist.json as written */
    char path[64];
    snprintf(path, sizeof path, "%s/truth/heist.json", DIR);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    assert_non_null(strstr(buf, "\"poisoning_ignored\":2"));
    assert_non_null(strstr(buf, "\"amount\":\"1400000000000000000\"}"));
    assert_non_null(strstr(buf,
                           "{\"entity\":\"exchange_x\",\"category\":\"exchange\",\"asset\":\"ETH\","
                           "\"amount\":\"2000000000000000000\"}"));
}

static int make_dir(void **state)
{
    (void)state;
    char p[64];
    if (!mkdtemp(DIR)) return -1;
    snprintf(p, sizeof p, "%s/truth", DIR);
    return mkdir(p, 0755);
}

static int remove_dir(void **state)
{
    (void)state;
    char p[64];
    snprintf(p, sizeof p, "%s/truth/heist.json", DIR);
    unlink(p);
    snprintf(p, sizeof p, "%s/truth", DIR);
    rmdir(p);
    return rmdir(DIR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_five_one_three),
        cmocka_unit_test(test_paya),
        cmocka_unit_test(test_swap),
        cmocka_unit_test(test_wrap_sink_fee_poisoning),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
