/* test_coinjoin.c — every CoinJoin rule of METHODS §2.3: the spec's numeric
 * examples, one constructed example per protocol, and for each rule near
 * misses that break exactly one condition (asserting which one failed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "btc/script.h"
#include "cluster/coinjoin.h"

/* A transaction under construction; every input/output gets a fresh address
 * unless one is given. */
struct build {
    struct cs_txv_in in[64];
    struct cs_txv_out out[96];
    struct cs_txv tx;
    uint32_t next_addr;
};

static void b_init(struct build *b)
{
    memset(b, 0, sizeof *b);
    b->tx.in = b->in;
    b->tx.out = b->out;
    b->tx.version = 2;
    b->tx.time = 1600000000; /* 2020-09-13 */
    b->next_addr = 1000;
}

static void in_at(struct build *b, uint64_t value, uint32_t addr)
{
    b->in[b->tx.n_in++] = (struct cs_txv_in){value, addr, CS_ADDR_P2WPKH, 0};
}

static void in_v(struct build *b, uint64_t value)
{
    in_at(b, value, b->next_addr++);
}

static void out_at(struct build *b, uint64_t value, uint32_t addr)
{
    b->out[b->tx.n_out++] =
        (struct cs_txv_out){.value = value, .addr = addr, .type = CS_ADDR_P2WPKH};
}

static void out_v(struct build *b, uint64_t value)
{
    out_at(b, value, b->next_addr++);
}

static void out_opreturn(struct build *b)
{
    b->out[b->tx.n_out++] =
        (struct cs_txv_out){.value = 0, .addr = b->next_addr++, .type = CS_ADDR_OPRETURN};
}

static struct build B; /* large: keep it off the stack */

#define assert_why(d, text) assert_string_equal((d).why, text)

/* ---- generic (BlockSci) ------------------------------------------------- */

static void generic_example(struct build *b)
{
    b_init(b);
    in_v(b, 12000000);
    in_v(b, 11000000);
    in_v(b, 16000000);
    out_v(b, 10000000);
    out_v(b, 10000000);
    out_v(b, 10000000);
    out_v(b, 5000000);
    out_v(b, 3000000);
}

static void test_generic(void **state)
{
    (void)state;
    struct cs_cj_detail d;
    /* METHODS: 3 distinct inputs; outputs [10M,10M,10M,5M,3M] -> CoinJoin. */
    generic_example(&B);
    assert_int_equal(cs_cj_generic(&B.tx, &d), 1);
    assert_why(d, "match");
    assert_int_equal(d.n, 3);
    assert_int_equal(d.denom, 10000000);

    /* two inputs share an address: p = 3 > 2 distinct addresses */
    generic_example(&B);
    B.in[2].addr = B.in[0].addr;
    assert_int_equal(cs_cj_generic(&B.tx, &d), 0);
    assert_why(d, "participants (outputs+1)/2 exceed distinct input addresses");

    /* only 2 inputs: p = 3 > 2 */
    generic_example(&B);
    B.tx.n_in = 2;
    assert_int_equal(cs_cj_generic(&B.tx, &d), 0);
    assert_why(d, "participants (outputs+1)/2 exceed inputs");

    /* most frequent value occurs 2 times, not p = 3 */
    generic_example(&B);
    B.out[2].value = 7000000;
    assert_int_equal(cs_cj_generic(&B.tx, &d), 0);
    assert_why(d, "most frequent output value does not occur exactly (outputs+1)/2 times");

    /* the repeated value is dust 546 */
    generic_example(&B);
    for (int i = 0; i < 3; i++)
        B.out[i].value = 546;
    assert_int_equal(cs_cj_generic(&B.tx, &d), 0);
    assert_why(d, "most frequent output value is dust (546 or 2730)");

    /* only 2 outputs */
    generic_example(&B);
    B.tx.n_out = 2;
    assert_int_equal(cs_cj_generic(&B.tx, &d), 0);
    assert_why(d, "fewer than 2 inputs or 3 outputs");

    generic_example(&B);
    B.tx.coinbase = 1;
    assert_int_equal(cs_cj_generic(&B.tx, &d), 0);
    assert_why(d, "coinbase");
}

/* ---- Whirlpool ---------------------------------------------------------- */

static void whirlpool_example(struct build *b)
{
    b_init(b);
    for (int i = 0; i < 3; i++)
        in_v(b, 1000000);
    in_v(b, 1000170);
    in_v(b, 1000170);
    for (int i = 0; i < 5; i++)
        out_v(b, 1000000);
}

static void test_whirlpool(void **state)
{
    (void)state;
    struct cs_cj_detail d;
    /* METHODS: pool 1,000,000; inputs 3 x 1,000,000 + 2 x 1,000,170;
     * outputs 5 x 1,000,000 -> detected, fee 340 sat. */
    whirlpool_example(&B);
    assert_int_equal(cs_cj_whirlpool(&B.tx, &d), 1);
    assert_int_equal(d.denom, 1000000);
    assert_int_equal(d.fee, 340);
    struct cs_cj_result r;
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT, &r), CS_CJP_WHIRLPOOL);
    assert_int_equal(r.veto_multi_input, 1);
    assert_int_equal(r.detail.fee, 340);
    assert_false(r.matched & CS_CJP_BIT(CS_CJP_GENERIC)); /* p = 3, mode occurs 5 times */

    /* surge cycle: 7 x 7 with 2 new entrants is still Whirlpool */
    whirlpool_example(&B);
    in_v(&B, 1000000);
    in_v(&B, 1000000);
    out_v(&B, 1000000);
    out_v(&B, 1000000);
    assert_int_equal(cs_cj_whirlpool(&B.tx, &d), 1);

    /* near misses */
    whirlpool_example(&B);
    B.in[3].value = 1000050; /* new entrant pays epsilon 50 < 100 */
    assert_int_equal(cs_cj_whirlpool(&B.tx, &d), 0);
    assert_why(d, "a new entrant pays less than 100 sat");

    whirlpool_example(&B);
    B.in[3].value = B.in[4].value = 1000000; /* no new entrant */
    assert_int_equal(cs_cj_whirlpool(&B.tx, &d), 0);
    assert_why(d, "not 1..4 new entrants");

    whirlpool_example(&B);
    for (int i = 0; i < 5; i++)
        B.in[i].value = 1000170; /* 5 new entrants */
    assert_int_equal(cs_cj_whirlpool(&B.tx, &d), 0);
    assert_why(d, "not 1..4 new entrants");

    whirlpool_example(&B);
    B.in[3].value = 1110001; /* epsilon 110,001 */
    assert_int_equal(cs_cj_whirlpool(&B.tx, &d), 0);
    assert_why(d, "an input outside [d, d + 110,000]");

    whirlpool_example(&B);
    B.in[0].value = 999999; /* below the pool */
    assert_int_equal(cs_cj_whirlpool(&B.tx, &d), 0);
    assert_why(d, "an input outside [d, d + 110,000]");

    whirlpool_example(&B);
    B.out[4].value = 999999;
    assert_int_equal(cs_cj_whirlpool(&B.tx, &d), 0);
    assert_why(d, "outputs not all equal");

    whirlpool_example(&B);
    for (int i = 0; i < 5; i++)
        B.out[i].value = 2000000;
    assert_int_equal(cs_cj_whirlpool(&B.tx, &d), 0);
    assert_why(d, "output value is not a pool denomination");

    whirlpool_example(&B);
    B.in[1].addr = B.in[0].addr;
    assert_int_equal(cs_cj_whirlpool(&B.tx, &d), 0);
    assert_why(d, "scripts not all distinct");

    whirlpool_example(&B);
    B.tx.n_out = 4;
    assert_int_equal(cs_cj_whirlpool(&B.tx, &d), 0);
    assert_why(d, "not 5..8 inputs and as many outputs");
}

/* ---- Whirlpool Tx0 ------------------------------------------------------ */

/* Pool 0.01 BTC (coordinator fee f = 50,000): 5 premix outputs at
 * 1,000,170, one fee output, one change output, one OP_RETURN. */
static void tx0_example(struct build *b)
{
    b_init(b);
    in_v(b, 8000000);
    for (int i = 0; i < 5; i++)
        out_v(b, 1000170);
    out_v(b, 50000);
    out_v(b, 2947000);
    out_opreturn(b);
}

static void test_tx0(void **state)
{
    (void)state;
    struct cs_cj_detail d;
    struct cs_cj_result r;
    tx0_example(&B);
    assert_int_equal(cs_cj_tx0(&B.tx, &d), 1);
    assert_int_equal(d.denom, 1000000);
    assert_int_equal(d.premix_value, 1000170);
    assert_int_equal(d.n_premix, 5);
    /* Tx0 is one user's transaction: labelled, premix marked, no veto. */
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT, &r), CS_CJP_TX0);
    assert_int_equal(r.veto_multi_input, 0);
    assert_int_equal(r.detail.premix_value, 1000170);
    assert_int_equal(r.detail.n_premix, 5);

    /* A Tx0 from 3 addresses whose 3 premix outputs also satisfy the generic
     * rule (5 outputs, p = 3) and the JoinMarket rule (n = 3 of 4 spendable):
     * the Tx0 label lifts both vetoes. */
    b_init(&B);
    in_v(&B, 1500000);
    in_v(&B, 1500000);
    in_v(&B, 1500000);
    for (int i = 0; i < 3; i++)
        out_v(&B, 1000170);
    out_v(&B, 50000);
    out_opreturn(&B);
    assert_int_equal(cs_cj_generic(&B.tx, NULL), 1);
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT, &r), CS_CJP_TX0);
    assert_int_equal(r.matched, CS_CJP_BIT(CS_CJP_GENERIC) | CS_CJP_BIT(CS_CJP_JOINMARKET) |
                                    CS_CJP_BIT(CS_CJP_TX0));
    assert_int_equal(r.veto_multi_input, 0);
    /* without the Tx0 detector JoinMarket (and the generic rule) veto */
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT & ~CS_CJ_TX0, &r),
                     CS_CJP_JOINMARKET);
    assert_int_equal(r.veto_multi_input, 1);
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_GENERIC, &r), CS_CJP_GENERIC);
    assert_int_equal(r.veto_multi_input, 1);

    /* near misses */
    tx0_example(&B);
    B.tx.n_out--; /* drop the OP_RETURN */
    assert_int_equal(cs_cj_tx0(&B.tx, &d), 0);
    assert_why(d, "not exactly one OP_RETURN output");

    tx0_example(&B);
    out_opreturn(&B); /* two OP_RETURNs */
    assert_int_equal(cs_cj_tx0(&B.tx, &d), 0);
    assert_why(d, "not exactly one OP_RETURN output");

    tx0_example(&B);
    B.out[5].value = 20000; /* fee below 0.5 f = 25,000 */
    assert_int_equal(cs_cj_tx0(&B.tx, &d), 0);
    assert_why(d, "not exactly one coordinator-fee output in [0.5f, 3f]");

    tx0_example(&B);
    B.out[6].value = 100000; /* change inside the fee band: two fee outputs */
    assert_int_equal(cs_cj_tx0(&B.tx, &d), 0);
    assert_why(d, "not exactly one coordinator-fee output in [0.5f, 3f]");

    tx0_example(&B);
    B.out[4].value = 777777; /* 3 non-premix outputs */
    assert_int_equal(cs_cj_tx0(&B.tx, &d), 0);
    assert_why(d, "more than 2 outputs besides the premix outputs");

    tx0_example(&B);
    for (int i = 0; i < 5; i++)
        B.out[i].value = 1000050; /* epsilon 50 < 100 */
    assert_int_equal(cs_cj_tx0(&B.tx, &d), 0);
    assert_why(d, "no premix outputs at d + [100, 110,000] for any pool");

    b_init(&B); /* 71 premix outputs */
    in_v(&B, 80000000);
    for (int i = 0; i < 71; i++)
        out_v(&B, 1000170);
    out_v(&B, 50000);
    out_opreturn(&B);
    assert_int_equal(cs_cj_tx0(&B.tx, &d), 0);
    assert_why(d, "more than 70 premix outputs");
    B.out[70] = B.out[72]; /* 70 premix + fee */
    B.tx.n_out = 72;
    assert_int_equal(cs_cj_tx0(&B.tx, &d), 1);
    assert_int_equal(d.n_premix, 70);
}

/* ---- Wasabi 1.0 --------------------------------------------------------- */

/* 10 inputs from 10 addresses; 4 outputs of 0.0998 BTC, 4 change outputs and
 * the coordinator fee: 9 outputs, n = 4 >= (9-1)/2. */
static void wasabi10_example(struct build *b)
{
    b_init(b);
    for (int i = 0; i < 10; i++)
        in_v(b, 4000000 + 100000 * (uint64_t)i);
    for (int i = 0; i < 4; i++)
        out_v(b, 9980000);
    out_v(b, 1234567);
    out_v(b, 2345678);
    out_v(b, 3456789);
    out_v(b, 4567890);
    out_v(b, 120000);
}

static void test_wasabi10(void **state)
{
    (void)state;
    struct cs_cj_detail d;
    struct cs_cj_result r;
    wasabi10_example(&B);
    assert_int_equal(cs_cj_wasabi10(&B.tx, &d), 1);
    assert_int_equal(d.denom, 9980000);
    assert_int_equal(d.n, 4);
    assert_int_equal(cs_cj_wasabi11(&B.tx, &d), 0); /* single level: not 1.1 */
    assert_why(d, "only the 0.1 BTC level is active (Wasabi 1.0)");
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT, &r), CS_CJP_WASABI10);
    assert_int_equal(r.veto_multi_input, 1);

    /* near misses */
    wasabi10_example(&B);
    for (int i = 0; i < 4; i++)
        B.out[i].value = 10600000; /* 0.106 BTC: outside 0.1 +- 0.005 */
    assert_int_equal(cs_cj_wasabi10(&B.tx, &d), 0);
    assert_why(d, "no output within 0.005 BTC of 0.1 BTC");

    wasabi10_example(&B);
    B.out[3].value = 9990000; /* only 3 at the mode... still 3 >= 3 but 2n+1 < 9 */
    assert_int_equal(cs_cj_wasabi10(&B.tx, &d), 0);
    assert_why(d, "denomination outputs fewer than (outputs-1)/2");

    wasabi10_example(&B);
    out_v(&B, 5678901); /* 10 outputs: 4 < (10-1)/2 */
    assert_int_equal(cs_cj_wasabi10(&B.tx, &d), 0);
    assert_why(d, "denomination outputs fewer than (outputs-1)/2");

    wasabi10_example(&B);
    B.tx.n_in = 9; /* 9 inputs */
    assert_int_equal(cs_cj_wasabi10(&B.tx, &d), 0);
    assert_why(d, "fewer than 10 inputs");

    wasabi10_example(&B);
    B.in[1].addr = B.in[0].addr; /* one script holds 2 of 10 inputs */
    assert_int_equal(cs_cj_wasabi10(&B.tx, &d), 0);
    assert_why(d, "one input script holds more than 10% of the inputs");

    wasabi10_example(&B);
    B.out[5].addr = B.out[4].addr;
    assert_int_equal(cs_cj_wasabi10(&B.tx, &d), 0);
    assert_why(d, "output scripts not distinct");

    /* 29 distinct input scripts > 7n = 28 */
    wasabi10_example(&B);
    for (int i = 0; i < 19; i++)
        in_v(&B, 1000000);
    assert_int_equal(cs_cj_wasabi10(&B.tx, &d), 0);
    assert_why(d, "distinct input scripts outside [n, 7n]");

    /* 3 outputs at 0.1 BTC, 3 change + fee, 10 inputs: n = 3 is enough */
    b_init(&B);
    for (int i = 0; i < 10; i++)
        in_v(&B, 3100000);
    for (int i = 0; i < 3; i++)
        out_v(&B, 10000000);
    out_v(&B, 11111);
    out_v(&B, 22222);
    out_v(&B, 33333);
    out_v(&B, 90000);
    assert_int_equal(cs_cj_wasabi10(&B.tx, &d), 1);
    B.out[2].value = 10000001; /* two values of 2: mode count 2 < 3 */
    assert_int_equal(cs_cj_wasabi10(&B.tx, &d), 0);
    assert_why(d, "fewer than 3 outputs at the denomination");
}

/* ---- Wasabi 1.1 --------------------------------------------------------- */

/* 12 inputs; levels 0.1 BTC x3, 0.2 BTC x3, 0.4 BTC x2 (8 mixed outputs),
 * 3 change and a fee output: 12 outputs. */
static void wasabi11_example(struct build *b)
{
    b_init(b);
    for (int i = 0; i < 12; i++)
        in_v(b, 30000000 + 1000 * (uint64_t)i);
    for (int i = 0; i < 3; i++)
        out_v(b, 9970000);
    for (int i = 0; i < 3; i++)
        out_v(b, 19940000);
    for (int i = 0; i < 2; i++)
        out_v(b, 39880000);
    out_v(b, 1111111);
    out_v(b, 2222222);
    out_v(b, 3333333);
    out_v(b, 300000);
}

static void test_wasabi11(void **state)
{
    (void)state;
    struct cs_cj_detail d;
    struct cs_cj_result r;
    wasabi11_example(&B);
    assert_int_equal(cs_cj_wasabi11(&B.tx, &d), 1);
    assert_int_equal(d.levels, 0x7); /* levels 0, 1, 2 */
    assert_int_equal(d.n, 3);
    assert_int_equal(d.denom, 10000000);
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT, &r), CS_CJP_WASABI11);
    assert_int_equal(r.veto_multi_input, 1);

    /* the level windows are 2^i * 0.005 BTC wide: 0.4 BTC +- 0.02 BTC */
    wasabi11_example(&B);
    B.out[6].value = 38100000;
    B.out[7].value = 41900000;
    assert_int_equal(cs_cj_wasabi11(&B.tx, &d), 1);
    B.out[7].value = 42100000; /* outside: level 2 keeps 1 output, inactive */
    assert_int_equal(cs_cj_wasabi11(&B.tx, &d), 1);
    assert_int_equal(d.levels, 0x3);

    /* near misses */
    wasabi11_example(&B);
    B.out[3].value = B.out[4].value = B.out[5].value = 15000000; /* no 0.2 level */
    B.out[6].value = B.out[7].value = 55000000;                  /* no 0.4 level */
    assert_int_equal(cs_cj_wasabi11(&B.tx, &d), 0);
    assert_why(d, "only the 0.1 BTC level is active (Wasabi 1.0)");

    wasabi11_example(&B);
    B.out[0].value = B.out[3].value = 5000000; /* levels hold 2, 2, 2 */
    assert_int_equal(cs_cj_wasabi11(&B.tx, &d), 0);
    assert_why(d, "fewer than 3 outputs on every level");

    wasabi11_example(&B);
    for (int i = 0; i < 10; i++)
        in_v(&B, 1000000); /* 22 distinct input scripts > 7n = 21 */
    assert_int_equal(cs_cj_wasabi11(&B.tx, &d), 0);
    assert_why(d, "distinct input scripts outside [n, 7n]");

    wasabi11_example(&B);
    for (int i = 0; i < 6; i++)
        out_v(&B, 4444444 + (uint64_t)i); /* 18 outputs: 8 mixed < 17/2 */
    assert_int_equal(cs_cj_wasabi11(&B.tx, &d), 0);
    assert_why(d, "mixing-level outputs fewer than (outputs-1)/2");

    wasabi11_example(&B);
    B.in[5].addr = B.in[4].addr; /* 2 of 12 inputs > 10% */
    assert_int_equal(cs_cj_wasabi11(&B.tx, &d), 0);
    assert_why(d, "one input script holds more than 10% of the inputs");

    wasabi11_example(&B);
    B.out[8].addr = B.out[0].addr;
    assert_int_equal(cs_cj_wasabi11(&B.tx, &d), 0);
    assert_why(d, "output scripts not distinct");
}

/* ---- Wasabi 2.0 --------------------------------------------------------- */

/* 20 inputs; denominations 10,000 x2, 20,000 x2, 50,000 x3 (7 outputs), one
 * change 33,333 and a fee output 7,777: 9 outputs. */
static void wasabi20_example(struct build *b)
{
    b_init(b);
    for (int i = 0; i < 20; i++)
        in_v(b, 20000 + (uint64_t)i);
    out_v(b, 10000);
    out_v(b, 10000);
    out_v(b, 20000);
    out_v(b, 20000);
    out_v(b, 50000);
    out_v(b, 50000);
    out_v(b, 50000);
    out_v(b, 33333);
    out_v(b, 7777);
}

static void test_wasabi20(void **state)
{
    (void)state;
    struct cs_cj_detail d;
    struct cs_cj_result r;
    wasabi20_example(&B);
    assert_int_equal(cs_cj_wasabi20(&B.tx, &d), 1);
    assert_int_equal(d.levels, 3); /* 3 denominations */
    assert_int_equal(d.n, 7);      /* 7 denomination outputs */
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT, &r), CS_CJP_WASABI20);
    assert_int_equal(r.veto_multi_input, 1);
    /* not date-gated: other coordinators run WabiSabi after zkSNACKs */
    B.tx.time = CS_CJ_ZKSNACKS_END + 86400 * 365;
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT | CS_CJ_DATE_GATE, &r),
                     CS_CJP_WASABI20);

    wasabi20_example(&B);
    B.tx.n_in = 19;
    assert_int_equal(cs_cj_wasabi20(&B.tx, &d), 0);
    assert_why(d, "fewer than 20 inputs");

    wasabi20_example(&B);
    B.in[1].addr = B.in[0].addr;
    B.in[2].addr = B.in[0].addr; /* 3 of 20 > 10% */
    assert_int_equal(cs_cj_wasabi20(&B.tx, &d), 0);
    assert_why(d, "one input script holds more than 10% of the inputs");
    B.in[2].addr = 77777; /* 2 of 20 = 10%: allowed */
    assert_int_equal(cs_cj_wasabi20(&B.tx, &d), 1);

    wasabi20_example(&B);
    B.out[8].value = 4999;
    assert_int_equal(cs_cj_wasabi20(&B.tx, &d), 0);
    assert_why(d, "an output below 5,000 sat");

    wasabi20_example(&B);
    B.out[1].addr = B.out[0].addr;
    assert_int_equal(cs_cj_wasabi20(&B.tx, &d), 0);
    assert_why(d, "output scripts not distinct");

    wasabi20_example(&B);
    B.out[3].value = 21000; /* 20,000 now occurs once: 2 denominations */
    assert_int_equal(cs_cj_wasabi20(&B.tx, &d), 0);
    assert_why(d, "fewer than 3 denominations (values occurring twice)");

    wasabi20_example(&B);
    B.out[7].value = 50000;
    B.out[8].value = 50000; /* every output is a denomination */
    assert_int_equal(cs_cj_wasabi20(&B.tx, &d), 0);
    assert_why(d, "no output outside the denominations");

    wasabi20_example(&B);
    for (int i = 0; i < 2; i++)
        out_v(&B, 60001 + (uint64_t)i); /* 11 outputs: 7 >= 5, still fine */
    assert_int_equal(cs_cj_wasabi20(&B.tx, &d), 1);
    out_v(&B, 70001);
    out_v(&B, 70002);
    out_v(&B, 70003);
    out_v(&B, 70004);
    out_v(&B, 70005); /* 16 outputs: 7 < 15/2 */
    assert_int_equal(cs_cj_wasabi20(&B.tx, &d), 0);
    assert_why(d, "denomination outputs fewer than (outputs-1)/2");
}

/* ---- JoinMarket --------------------------------------------------------- */

/* taker with 2 inputs + 2 makers: 4 input scripts; 3 x 5,000,000 and 2
 * change outputs. */
static void joinmarket_example(struct build *b)
{
    b_init(b);
    in_v(b, 3000000);
    in_v(b, 2600000);
    in_v(b, 6234567);
    in_v(b, 7345678);
    out_v(b, 5000000);
    out_v(b, 5000000);
    out_v(b, 5000000);
    out_v(b, 1234567);
    out_v(b, 2345678);
}

static void test_joinmarket(void **state)
{
    (void)state;
    struct cs_cj_detail d;
    struct cs_cj_result r;
    joinmarket_example(&B);
    assert_int_equal(cs_cj_joinmarket(&B.tx, &d), 1);
    assert_int_equal(d.denom, 5000000);
    assert_int_equal(d.n, 3);
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT, &r), CS_CJP_JOINMARKET);
    assert_int_equal(r.veto_multi_input, 1);

    joinmarket_example(&B);
    B.in[2].addr = B.in[0].addr;
    B.in[3].addr = B.in[1].addr; /* 2 distinct input scripts < n = 3 */
    assert_int_equal(cs_cj_joinmarket(&B.tx, &d), 0);
    assert_why(d, "more denomination outputs than distinct input scripts");

    joinmarket_example(&B);
    B.out[4].addr = B.out[3].addr;
    assert_int_equal(cs_cj_joinmarket(&B.tx, &d), 0);
    assert_why(d, "output scripts not distinct");

    joinmarket_example(&B);
    B.tx.n_out = 3; /* no change at all */
    assert_int_equal(cs_cj_joinmarket(&B.tx, &d), 0);
    assert_why(d, "no output besides the denomination");

    joinmarket_example(&B);
    out_v(&B, 3456789);
    out_v(&B, 4567890); /* 7 outputs: 3 < 7/2 */
    assert_int_equal(cs_cj_joinmarket(&B.tx, &d), 0);
    assert_why(d, "denomination outputs fewer than outputs/2");

    joinmarket_example(&B);
    B.out[2].value = 5000001; /* mode occurs twice */
    B.tx.n_out = 4;
    assert_int_equal(cs_cj_joinmarket(&B.tx, &d), 0);
    assert_why(d, "fewer than 3 outputs at the denomination");

    /* dust is never the denomination: 3 x 2,730 + 2 others */
    joinmarket_example(&B);
    for (int i = 0; i < 3; i++)
        B.out[i].value = 2730;
    assert_int_equal(cs_cj_joinmarket(&B.tx, &d), 0);
    assert_int_equal(d.denom, 2345678); /* tie of singletons -> larger value */

    /* large round: 50 inputs, n = 3 -> 16.7 inputs/participant is fine but
     * 5 outputs / 3 = 1.67 < 1.7 outputs per participant */
    joinmarket_example(&B);
    for (int i = 0; i < 46; i++)
        in_v(&B, 100000);
    assert_int_equal(B.tx.n_in, 50);
    assert_int_equal(cs_cj_joinmarket(&B.tx, &d), 0);
    assert_why(d, "large round: fewer than 1.7 outputs per participant");
    /* with 49 inputs the large-round rules do not apply */
    B.tx.n_in = 49;
    assert_int_equal(cs_cj_joinmarket(&B.tx, &d), 1);

    /* large round, 61 inputs for n = 3 > 20 per participant */
    b_init(&B);
    for (int i = 0; i < 61; i++)
        in_v(&B, 200000);
    for (int i = 0; i < 3; i++)
        out_v(&B, 3000000);
    out_v(&B, 111111);
    out_v(&B, 222222);
    out_v(&B, 333333);
    assert_int_equal(cs_cj_joinmarket(&B.tx, &d), 0);
    assert_why(d, "large round: more than 20 inputs per participant");
    B.tx.n_in = 60;
    assert_int_equal(cs_cj_joinmarket(&B.tx, &d), 1);
}

/* ---- Stonewall and the controls ---------------------------------------- */

static void stonewall_example(struct build *b)
{
    b_init(b);
    in_v(b, 1500000);
    in_v(b, 900000);
    out_v(b, 1000000);
    out_v(b, 1000000);
    out_v(b, 345678);
    out_v(b, 52000);
}

static void test_stonewall(void **state)
{
    (void)state;
    struct cs_cj_detail d;
    struct cs_cj_result r;
    stonewall_example(&B);
    assert_int_equal(cs_cj_stonewall(&B.tx, &d), 1);
    assert_int_equal(d.denom, 1000000);
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT, &r), CS_CJP_STONEWALL);
    assert_int_equal(r.veto_multi_input, 1);
    B.tx.n_out = 3; /* simplified Stonewall */
    assert_int_equal(cs_cj_stonewall(&B.tx, &d), 1);

    stonewall_example(&B);
    B.tx.n_in = 1;
    assert_int_equal(cs_cj_stonewall(&B.tx, &d), 0);
    assert_why(d, "fewer than 2 inputs");

    stonewall_example(&B);
    out_v(&B, 77777);
    assert_int_equal(cs_cj_stonewall(&B.tx, &d), 0);
    assert_why(d, "not 3 or 4 spendable outputs");

    stonewall_example(&B);
    B.out[3].value = 1000000; /* three equal */
    assert_int_equal(cs_cj_stonewall(&B.tx, &d), 0);
    assert_why(d, "not exactly one value appearing exactly twice");

    stonewall_example(&B);
    B.out[3].value = 345678; /* two pairs */
    assert_int_equal(cs_cj_stonewall(&B.tx, &d), 0);
    assert_why(d, "not exactly one value appearing exactly twice");

    stonewall_example(&B);
    B.out[0].value = B.out[1].value = 4000;
    assert_int_equal(cs_cj_stonewall(&B.tx, &d), 0);
    assert_why(d, "the paired value is below 5,000 sat");

    stonewall_example(&B);
    B.out[1].addr = B.out[0].addr;
    assert_int_equal(cs_cj_stonewall(&B.tx, &d), 0);
    assert_why(d, "output scripts not distinct");

    /* The veto: a 2-input Tx0 with 2 premix outputs has the Stonewall shape.
     * Without the control it is a Tx0 (no veto); with it the Tx0 label is
     * suppressed and the Stonewall shape vetoes the multi-input rule. */
    b_init(&B);
    in_v(&B, 1500000);
    in_v(&B, 1000000);
    out_v(&B, 1000170);
    out_v(&B, 1000170);
    out_v(&B, 50000);
    out_opreturn(&B);
    assert_int_equal(cs_cj_tx0(&B.tx, NULL), 1);
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT & ~CS_CJ_STONEWALL_CONTROL, &r),
                     CS_CJP_TX0);
    assert_int_equal(r.veto_multi_input, 0);
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT, &r), CS_CJP_STONEWALL);
    assert_int_equal(r.suppressed, CS_CJP_BIT(CS_CJP_TX0));
    assert_true(r.matched & CS_CJP_BIT(CS_CJP_TX0));
    assert_int_equal(r.veto_multi_input, 1);
}

static void test_exchange_control(void **state)
{
    (void)state;
    struct cs_cj_result r;
    joinmarket_example(&B);
    B.in[2].exchange = 1;
    /* JoinMarket suppressed; the generic rule (p = 3) still fires */
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT, &r), CS_CJP_GENERIC);
    assert_int_equal(r.suppressed, CS_CJP_BIT(CS_CJP_JOINMARKET));
    assert_int_equal(r.veto_multi_input, 1);
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT & ~CS_CJ_GENERIC, &r), CS_CJP_NONE);
    assert_int_equal(r.veto_multi_input, 0);
    /* control off: JoinMarket again */
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT & ~CS_CJ_EXCHANGE_CONTROL, &r),
                     CS_CJP_JOINMARKET);

    wasabi10_example(&B);
    B.in[9].exchange = 1;
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT & ~CS_CJ_GENERIC, &r), CS_CJP_NONE);
    assert_true(r.suppressed & CS_CJP_BIT(CS_CJP_WASABI10));

    /* Wasabi 2.0 and Whirlpool are not subject to the exchange control */
    wasabi20_example(&B);
    B.in[0].exchange = 1;
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT, &r), CS_CJP_WASABI20);
    whirlpool_example(&B);
    B.in[0].exchange = 1;
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT, &r), CS_CJP_WHIRLPOOL);
}

static void test_date_gates(void **state)
{
    (void)state;
    struct cs_cj_result r;
    const unsigned gated = CS_CJ_DEFAULT | CS_CJ_DATE_GATE;
    whirlpool_example(&B);
    B.tx.time = CS_CJ_SAMOURAI_END - 1;
    assert_int_equal(cs_coinjoin_classify(&B.tx, gated, &r), CS_CJP_WHIRLPOOL);
    B.tx.time = CS_CJ_SAMOURAI_END;
    assert_int_equal(cs_coinjoin_classify(&B.tx, gated, &r), CS_CJP_NONE);
    assert_int_equal(r.gated, CS_CJP_BIT(CS_CJP_WHIRLPOOL));
    assert_int_equal(r.veto_multi_input, 0);
    /* default: no gating */
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT, &r), CS_CJP_WHIRLPOOL);

    tx0_example(&B);
    B.tx.time = CS_CJ_SAMOURAI_END + 1;
    assert_int_equal(cs_coinjoin_classify(&B.tx, gated, &r), CS_CJP_NONE);
    assert_int_equal(r.gated, CS_CJP_BIT(CS_CJP_TX0));

    wasabi10_example(&B);
    B.tx.time = CS_CJ_ZKSNACKS_END - 1;
    assert_int_equal(cs_coinjoin_classify(&B.tx, gated & ~CS_CJ_GENERIC, &r), CS_CJP_WASABI10);
    B.tx.time = CS_CJ_ZKSNACKS_END;
    assert_int_equal(cs_coinjoin_classify(&B.tx, gated & ~CS_CJ_GENERIC, &r), CS_CJP_NONE);
    assert_int_equal(r.gated, CS_CJP_BIT(CS_CJP_WASABI10));

    /* JoinMarket has no gate */
    joinmarket_example(&B);
    B.tx.time = 2000000000;
    assert_int_equal(cs_coinjoin_classify(&B.tx, gated, &r), CS_CJP_JOINMARKET);
}

static void test_misc(void **state)
{
    (void)state;
    struct cs_cj_result r;
    whirlpool_example(&B);
    B.tx.coinbase = 1;
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT, &r), CS_CJP_NONE);
    assert_int_equal(r.veto_multi_input, 0);
    /* nothing enabled: nothing matches */
    whirlpool_example(&B);
    assert_int_equal(cs_coinjoin_classify(&B.tx, 0, &r), CS_CJP_NONE);
    assert_int_equal(r.matched, 0);
    /* an ordinary payment */
    b_init(&B);
    in_v(&B, 100000);
    in_v(&B, 200000);
    out_v(&B, 150000);
    out_v(&B, 140000);
    out_v(&B, 9000);
    assert_int_equal(cs_coinjoin_classify(&B.tx, CS_CJ_DEFAULT, &r), CS_CJP_NONE);
    assert_int_equal(r.veto_multi_input, 0);
    assert_string_equal(cs_cj_protocol_name(CS_CJP_WASABI11), "wasabi-1.1");
    assert_string_equal(cs_cj_protocol_name(CS_CJP_TX0), "whirlpool-tx0");
    assert_string_equal(cs_cj_protocol_name(99), "unknown");

    struct cs_txv tx = {.version = 2, .locktime = 840000};
    const uint32_t seq[2] = {0xffffffffu, 0xfffffffdu};
    struct cs_txv_in in[2] = {{1, 1, CS_ADDR_P2WPKH, 0}, {1, 2, CS_ADDR_P2WPKH, 0}};
    tx.in = in;
    tx.n_in = 2;
    tx.in_sequence = seq;
    assert_int_equal(cs_txv_fingerprint(&tx), CS_FP_KNOWN | CS_FP_LOCKTIME | CS_FP_RBF | CS_FP_V2);
    tx.in_sequence = NULL;
    tx.locktime = 0;
    tx.version = 1;
    assert_int_equal(cs_txv_fingerprint(&tx), CS_FP_KNOWN);
}

/* Larger than the stack scratch (512 entries): the heap path. */
static void test_big_tx(void **state)
{
    (void)state;
    enum { NI = 300, NO = 400 };
    static struct cs_txv_in in[NI];
    static struct cs_txv_out out[NO];
    for (int i = 0; i < NI; i++)
        in[i] = (struct cs_txv_in){100000 + (uint64_t)i, (uint32_t)i, CS_ADDR_P2WPKH, 0};
    /* 200 outputs at 5,000,000 and 200 distinct change: JoinMarket-like,
     * n = 200 <= 300 scripts, 300/200 <= 20, 400/200 = 2 >= 1.7 */
    for (int i = 0; i < NO; i++)
        out[i] = (struct cs_txv_out){.value = i < 200 ? 5000000 : 10000 + (uint64_t)i,
                                     .addr = 1000 + (uint32_t)i,
                                     .type = CS_ADDR_P2WPKH};
    struct cs_txv tx = {.in = in, .n_in = NI, .out = out, .n_out = NO};
    struct cs_cj_detail d;
    assert_int_equal(cs_cj_joinmarket(&tx, &d), 1);
    assert_int_equal(d.n, 200);
    struct cs_cj_result r;
    assert_int_equal(cs_coinjoin_classify(&tx, CS_CJ_DEFAULT, &r), CS_CJP_JOINMARKET);
    assert_true(r.matched & CS_CJP_BIT(CS_CJP_GENERIC)); /* p = 200 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generic),
        cmocka_unit_test(test_whirlpool),
        cmocka_unit_test(test_tx0),
        cmocka_unit_test(test_wasabi10),
        cmocka_unit_test(test_wasabi11),
        cmocka_unit_test(test_wasabi20),
        cmocka_unit_test(test_joinmarket),
        cmocka_unit_test(test_stonewall),
        cmocka_unit_test(test_exchange_control),
        cmocka_unit_test(test_date_gates),
        cmocka_unit_test(test_misc),
        cmocka_unit_test(test_big_tx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
