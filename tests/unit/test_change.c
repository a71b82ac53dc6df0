/* test_change.c — change heuristics (METHODS §2.2), output-set algebra,
 * consensus and the heuristic spec parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "btc/script.h"
#include "cluster/change.h"

/* Expects cand == exactly the listed outputs (terminated by -1). */
static void expect_set(const struct cs_outset *s, const int *members)
{
    size_t count = 0;
    for (; members[count] >= 0; count++)
        assert_true(cs_outset_has(s, (size_t)members[count]));
    assert_int_equal(cs_outset_count(s), count);
}

static int run(const struct cs_txv *tx, unsigned h, struct cs_outset *s)
{
    return cs_change_run(tx, h, NULL, s);
}

/* METHODS §2.2: 1 x P2WPKH 100,000,000 in; o0 = 25,000,000 to a P2SH address
 * seen before; o1 = 74,984,321 to a fresh P2WPKH address; F = 15,679. */
static struct cs_txv_in m_in[1];
static struct cs_txv_out m_out[3];
static struct cs_txv m_tx;

static void methods_tx(int with_opreturn)
{
    m_in[0] = (struct cs_txv_in){100000000, 1, CS_ADDR_P2WPKH, 0};
    m_out[0] = (struct cs_txv_out){.value = 25000000, .addr = 2, .type = CS_ADDR_P2SH};
    m_out[1] = (struct cs_txv_out){.value = 74984321,
                                   .addr = 3,
                                   .type = CS_ADDR_P2WPKH,
                                   .first_seen = 1,
                                   .addr_in_le1 = 1,
                                   .addr_out_le1 = 1};
    /* OP_RETURN pseudo-address: new, odd value type-wise irrelevant */
    m_out[2] = (struct cs_txv_out){.value = 0,
                                   .addr = 4,
                                   .type = CS_ADDR_OPRETURN,
                                   .first_seen = 1,
                                   .addr_in_le1 = 1,
                                   .addr_out_le1 = 1};
    m_tx = (struct cs_txv){
        .in = m_in, .n_in = 1, .out = m_out, .n_out = with_opreturn ? 3 : 2, .version = 2};
}

static void test_methods_2_2(void **state)
{
    (void)state;
    methods_tx(0);
    assert_int_equal(m_in[0].value - m_out[0].value - m_out[1].value, 15679); /* F */
    struct cs_outset s;
    assert_int_equal(cs_outset_init(&s, 2), 0);

    assert_int_equal(run(&m_tx, CS_CH_TYPE, &s), 0);
    expect_set(&s, (int[]){1, -1});
    assert_int_equal(cs_change_informative(&m_tx, &s), 1);

    assert_int_equal(run(&m_tx, CS_CH_POW10, &s), 0);
    expect_set(&s, (int[]){1, -1});

    assert_int_equal(run(&m_tx, CS_CH_OPTIMAL, &s), 0);
    expect_set(&s, (int[]){0, 1, -1});
    assert_int_equal(cs_change_informative(&m_tx, &s), 0); /* uninformative */

    assert_int_equal(run(&m_tx, CS_CH_FRESH, &s), 0);
    expect_set(&s, (int[]){1, -1});

    /* the others, on the same tx */
    assert_int_equal(run(&m_tx, CS_CH_REUSE, &s), 0); /* no reuse: rules nothing out */
    expect_set(&s, (int[]){0, 1, -1});
    assert_int_equal(run(&m_tx, CS_CH_LOCKTIME, &s), 0); /* no spender known */
    expect_set(&s, (int[]){0, 1, -1});
    assert_int_equal(run(&m_tx, CS_CH_GRAPHSENSE, &s), 0);
    expect_set(&s, (int[]){1, -1});
    assert_int_equal(run(&m_tx, CS_CH_LEGACY, &s), 0);
    expect_set(&s, (int[]){1, -1});
    cs_outset_free(&s);

    size_t change;
    unsigned informative;
    assert_int_equal(cs_change_consensus(&m_tx,
                                         CS_CH_FRESH | CS_CH_TYPE | CS_CH_POW10 | CS_CH_OPTIMAL,
                                         NULL, &change, &informative),
                     0);
    assert_int_equal(change, 1);
    assert_int_equal(informative, CS_CH_FRESH | CS_CH_TYPE | CS_CH_POW10);
    assert_int_equal(cs_change_consensus(&m_tx, CS_CH_ALL, NULL, &change, &informative), 0);
    assert_int_equal(change, 1);
    assert_int_equal(informative,
                     CS_CH_FRESH | CS_CH_TYPE | CS_CH_POW10 | CS_CH_GRAPHSENSE | CS_CH_LEGACY);
    /* only the uninformative rule: no verdict */
    assert_int_equal(cs_change_consensus(&m_tx, CS_CH_OPTIMAL, NULL, &change, &informative), 0);
    assert_int_equal(change, CS_OUTSET_NONE);
    assert_int_equal(informative, 0);
}

/* OP_RETURN outputs are never change, whatever their flags say. */
static void test_opreturn_never_change(void **state)
{
    (void)state;
    methods_tx(1);
    struct cs_outset s;
    assert_int_equal(cs_outset_init(&s, 3), 0);
    for (unsigned h = 1; h & CS_CH_ALL; h <<= 1) {
        assert_int_equal(run(&m_tx, h, &s), 0);
        assert_false(cs_outset_has(&s, 2));
    }
    assert_int_equal(cs_change_spendable(&m_tx, &s), 0);
    expect_set(&s, (int[]){0, 1, -1});
    cs_outset_free(&s);
    size_t change;
    assert_int_equal(cs_change_consensus(&m_tx, CS_CH_ALL, NULL, &change, NULL), 0);
    assert_int_equal(change, 1);
    /* even a lone OP_RETURN "fresh" output with a non-round value */
    m_out[2].value = 1234;
    assert_int_equal(cs_change_consensus(&m_tx, CS_CH_POW10, NULL, &change, NULL), 0);
    assert_int_equal(change, 1);
}

static void test_each_rule(void **state)
{
    (void)state;
    struct cs_txv_in in[2] = {{300000, 10, CS_ADDR_P2PKH, 0}, {200000, 11, CS_ADDR_P2PKH, 0}};
    struct cs_txv_out out[3] = {
        {.value = 150000, .addr = 20, .type = CS_ADDR_P2PKH},
        {.value = 123456, .addr = 11, .type = CS_ADDR_P2PKH}, /* back to an input address */
        {.value = 226000, .addr = 21, .type = CS_ADDR_P2SH, .first_seen = 1},
    };
    struct cs_txv tx = {.in = in, .n_in = 2, .out = out, .n_out = 3, .version = 1};
    struct cs_outset s;
    assert_int_equal(cs_outset_init(&s, 3), 0);

    /* address reuse */
    assert_int_equal(cs_change_reuse(&tx, &s), 0);
    expect_set(&s, (int[]){1, -1});
    /* fresh does not apply when an output reuses an input address */
    assert_int_equal(cs_change_fresh(&tx, &s), 0);
    expect_set(&s, (int[]){0, 1, 2, -1});
    out[1].addr = 22;
    assert_int_equal(cs_change_fresh(&tx, &s), 0);
    expect_set(&s, (int[]){2, -1});
    out[0].first_seen = 1; /* two fresh outputs: not exactly one */
    assert_int_equal(cs_change_fresh(&tx, &s), 0);
    expect_set(&s, (int[]){0, 1, 2, -1});
    out[0].first_seen = 0;

    /* address type: P2PKH inputs */
    assert_int_equal(cs_change_type(&tx, &s), 0);
    expect_set(&s, (int[]){0, 1, -1});
    in[1].type = CS_ADDR_P2WPKH; /* mixed input types: no opinion */
    assert_int_equal(cs_change_type(&tx, &s), 0);
    expect_set(&s, (int[]){0, 1, 2, -1});
    in[1].type = CS_ADDR_P2PKH;
    for (int i = 0; i < 3; i++)
        out[i].type = CS_ADDR_P2TR; /* no output of the inputs' type: empty, informative */
    assert_int_equal(cs_change_type(&tx, &s), 0);
    expect_set(&s, (int[]){-1});
    assert_int_equal(cs_change_informative(&tx, &s), 1);
    out[0].type = out[1].type = CS_ADDR_P2PKH;
    out[2].type = CS_ADDR_P2SH;

    /* power of ten, d = 6 (default), 4 and 3 */
    assert_int_equal(cs_change_pow10(&tx, 6, &s), 0);
    expect_set(&s, (int[]){0, 1, 2, -1});
    assert_int_equal(cs_change_pow10(&tx, 4, &s), 0); /* 150,000 = 15 * 10^4 */
    expect_set(&s, (int[]){1, 2, -1});
    assert_int_equal(cs_change_pow10(&tx, 3, &s), 0);
    expect_set(&s, (int[]){1, -1});
    assert_int_equal(cs_change_pow10(&tx, 0, &s), CS_EUSAGE);
    assert_int_equal(cs_change_pow10(&tx, 20, &s), CS_EUSAGE);

    /* optimal change: below the smallest input (200,000) */
    assert_int_equal(cs_change_optimal(&tx, &s), 0);
    expect_set(&s, (int[]){0, 1, -1});

    /* locktime: tx has locktime > 0; o0's spender too, o1's not, o2 unspent */
    tx.locktime = 800000;
    out[0].spender_fp = CS_FP_KNOWN | CS_FP_LOCKTIME;
    out[1].spender_fp = CS_FP_KNOWN | CS_FP_V2;
    assert_int_equal(cs_change_locktime(&tx, CS_FP_LOCKTIME, &s), 0);
    expect_set(&s, (int[]){0, 2, -1});
    /* extended with nVersion: tx is v1, o0's spender v1 -> still o0 */
    assert_int_equal(cs_change_locktime(&tx, CS_FP_LOCKTIME | CS_FP_V2, &s), 0);
    expect_set(&s, (int[]){0, 2, -1});
    tx.version = 2; /* now o0's spender (v1) differs */
    assert_int_equal(cs_change_locktime(&tx, CS_FP_LOCKTIME | CS_FP_V2, &s), 0);
    expect_set(&s, (int[]){2, -1});
    /* through cs_change_run with params */
    struct cs_change_params params;
    cs_change_params_default(&params);
    assert_int_equal(params.pow10_digits, 6);
    assert_int_equal(params.fp_mask, CS_FP_LOCKTIME);
    assert_int_equal(cs_change_run(&tx, CS_CH_LOCKTIME, &params, &s), 0);
    expect_set(&s, (int[]){0, 2, -1});
    params.pow10_digits = 3;
    assert_int_equal(cs_change_run(&tx, CS_CH_POW10, &params, &s), 0);
    expect_set(&s, (int[]){1, -1});
    assert_int_equal(cs_change_run(&tx, CS_CH_POW10 | CS_CH_TYPE, &params, &s), CS_EUSAGE);

    /* coinbase: every rule rules nothing out, consensus says none */
    tx.coinbase = 1;
    for (unsigned h = 1; h & CS_CH_ALL; h <<= 1) {
        assert_int_equal(run(&tx, h, &s), 0);
        expect_set(&s, (int[]){0, 1, 2, -1});
    }
    size_t change;
    assert_int_equal(cs_change_consensus(&tx, CS_CH_ALL, NULL, &change, NULL), 0);
    assert_int_equal(change, CS_OUTSET_NONE);

    /* a set over the wrong number of outputs */
    struct cs_outset wrong;
    assert_int_equal(cs_outset_init(&wrong, 2), 0);
    assert_int_equal(cs_change_fresh(&tx, &wrong), CS_EUSAGE);
    cs_outset_free(&wrong);
    cs_outset_free(&s);
}

static void test_graphsense_and_legacy(void **state)
{
    (void)state;
    methods_tx(0);
    struct cs_outset s;
    assert_int_equal(cs_outset_init(&s, 2), 0);
    /* GraphSense: each condition broken in turn -> no single candidate */
    m_out[1].addr_out_le1 = 0;
    assert_int_equal(cs_change_graphsense(&m_tx, &s), 0);
    expect_set(&s, (int[]){0, 1, -1});
    m_out[1].addr_out_le1 = 1;
    m_out[1].value = 74984000; /* multiple of 1000 */
    assert_int_equal(cs_change_graphsense(&m_tx, &s), 0);
    expect_set(&s, (int[]){0, 1, -1});
    m_out[1].value = 74984321;
    m_out[1].first_seen = 0;
    assert_int_equal(cs_change_graphsense(&m_tx, &s), 0);
    expect_set(&s, (int[]){0, 1, -1});
    m_out[1].first_seen_block = 1; /* first seen earlier in the same block: fine */
    assert_int_equal(cs_change_graphsense(&m_tx, &s), 0);
    expect_set(&s, (int[]){1, -1});
    /* legacy needs first seen in THIS tx */
    assert_int_equal(cs_change_legacy(&m_tx, &s), 0);
    expect_set(&s, (int[]){0, 1, -1});
    m_out[1].first_seen = 1;
    assert_int_equal(cs_change_legacy(&m_tx, &s), 0);
    expect_set(&s, (int[]){1, -1});
    m_out[0].first_seen = 1; /* both fresh and below the input: ambiguous */
    assert_int_equal(cs_change_legacy(&m_tx, &s), 0);
    expect_set(&s, (int[]){0, 1, -1});
    cs_outset_free(&s);

    /* GraphSense: more than 10 outputs -> not applicable */
    struct cs_txv_out many[11];
    for (int i = 0; i < 11; i++)
        many[i] = (struct cs_txv_out){.value = 1000 + (uint64_t)i,
                                      .addr = 100 + (uint32_t)i,
                                      .type = CS_ADDR_P2WPKH,
                                      .first_seen = i == 4,
                                      .addr_in_le1 = 1,
                                      .addr_out_le1 = 1};
    struct cs_txv tx = {.in = m_in, .n_in = 1, .out = many, .n_out = 11};
    assert_int_equal(cs_outset_init(&s, 11), 0);
    assert_int_equal(cs_change_graphsense(&tx, &s), 0);
    assert_int_equal(cs_outset_count(&s), 11);
    tx.n_out = 10;
    cs_outset_free(&s);
    assert_int_equal(cs_outset_init(&s, 10), 0);
    assert_int_equal(cs_change_graphsense(&tx, &s), 0);
    expect_set(&s, (int[]){4, -1});
    many[7].addr = many[4].addr; /* the candidate's address appears twice */
    assert_int_equal(cs_change_graphsense(&tx, &s), 0);
    assert_int_equal(cs_outset_count(&s), 10);
    cs_outset_free(&s);

    /* legacy does not apply to a generic CoinJoin */
    struct cs_txv_in cin[3] = {{12000000, 1, CS_ADDR_P2WPKH, 0},
                               {11000000, 2, CS_ADDR_P2WPKH, 0},
                               {16000000, 3, CS_ADDR_P2WPKH, 0}};
    struct cs_txv_out cout[5];
    const uint64_t v[5] = {10000000, 10000000, 10000000, 5000000, 3000000};
    for (int i = 0; i < 5; i++)
        cout[i] = (struct cs_txv_out){
            .value = v[i], .addr = 10 + (uint32_t)i, .type = CS_ADDR_P2WPKH, .first_seen = i == 4};
    struct cs_txv cj = {.in = cin, .n_in = 3, .out = cout, .n_out = 5};
    assert_int_equal(cs_outset_init(&s, 5), 0);
    assert_int_equal(cs_change_legacy(&cj, &s), 0);
    assert_int_equal(cs_outset_count(&s), 5);
    cout[1].value = 9999999; /* no longer a CoinJoin: o4 is the one fresh output < 11M */
    assert_int_equal(cs_change_legacy(&cj, &s), 0);
    expect_set(&s, (int[]){4, -1});
    cs_outset_free(&s);
}

static void test_consensus(void **state)
{
    (void)state;
    /* two non-round outputs below the input: pow10 and optimal leave both */
    struct cs_txv_in in[1] = {{1000000, 1, CS_ADDR_P2WPKH, 0}};
    struct cs_txv_out out[2] = {{.value = 123457, .addr = 2, .type = CS_ADDR_P2WPKH},
                                {.value = 765432, .addr = 3, .type = CS_ADDR_P2WPKH}};
    struct cs_txv tx = {.in = in, .n_in = 1, .out = out, .n_out = 2};
    size_t change;
    unsigned inf;
    assert_int_equal(
        cs_change_consensus(&tx, CS_CH_POW10 | CS_CH_OPTIMAL | CS_CH_TYPE, NULL, &change, &inf), 0);
    assert_int_equal(change, CS_OUTSET_NONE);
    assert_int_equal(inf, 0);
    /* informative heuristics that disagree: empty intersection */
    out[0].first_seen = 1; /* fresh says o0 */
    out[1].type = CS_ADDR_P2SH;
    out[0].type = CS_ADDR_P2TR;   /* type says nothing matches P2WPKH */
    out[1].type = CS_ADDR_P2WPKH; /* type says o1 */
    assert_int_equal(cs_change_consensus(&tx, CS_CH_FRESH | CS_CH_TYPE, NULL, &change, &inf), 0);
    assert_int_equal(change, CS_OUTSET_NONE);
    assert_int_equal(inf, CS_CH_FRESH | CS_CH_TYPE);
    assert_int_equal(cs_change_consensus(&tx, CS_CH_FRESH, NULL, &change, &inf), 0);
    assert_int_equal(change, 0);
    assert_int_equal(cs_change_consensus(&tx, 0, NULL, &change, &inf), 0);
    assert_int_equal(change, CS_OUTSET_NONE);
    struct cs_change_params bad = {.pow10_digits = 0, .fp_mask = CS_FP_LOCKTIME};
    assert_int_equal(cs_change_consensus(&tx, CS_CH_POW10, &bad, &change, &inf), CS_EUSAGE);
}

/* More outputs than the inline bitset holds. */
static void test_large_outsets(void **state)
{
    (void)state;
    enum { N = 300 };
    struct cs_outset a, b;
    assert_int_equal(cs_outset_init(&a, N), 0);
    assert_int_equal(cs_outset_init(&b, N), 0);
    assert_non_null(a.heap);
    assert_int_equal(cs_outset_count(&a), 0);
    assert_int_equal(cs_outset_first(&a), CS_OUTSET_NONE);
    cs_outset_fill(&a);
    assert_int_equal(cs_outset_count(&a), N);
    assert_false(cs_outset_has(&a, N));
    for (size_t i = 0; i < N; i += 3)
        cs_outset_add(&b, i);
    cs_outset_add(&b, N + 5); /* ignored */
    assert_int_equal(cs_outset_count(&b), 100);
    assert_int_equal(cs_outset_andnot(&a, &b), 0); /* a = not multiple of 3 */
    assert_int_equal(cs_outset_count(&a), 200);
    assert_int_equal(cs_outset_first(&a), 1);
    assert_int_equal(cs_outset_or(&a, &b), 0);
    assert_int_equal(cs_outset_count(&a), N);
    assert_int_equal(cs_outset_and(&a, &b), 0);
    assert_true(cs_outset_equal(&a, &b));
    cs_outset_del(&a, 0);
    assert_int_equal(cs_outset_first(&a), 3);
    assert_false(cs_outset_equal(&a, &b));
    assert_int_equal(cs_outset_copy(&a, &b), 0);
    assert_true(cs_outset_equal(&a, &b));
    struct cs_outset c;
    assert_int_equal(cs_outset_init(&c, 64), 0);
    assert_null(c.heap);
    assert_int_equal(cs_outset_and(&a, &c), CS_EUSAGE);
    cs_outset_fill(&c);
    assert_int_equal(cs_outset_count(&c), 64);
    cs_outset_free(&c);
    assert_int_equal(cs_outset_init(&c, CS_OUTSET_MAX + 1), CS_ERANGE);
    cs_outset_free(&a);
    cs_outset_free(&b);
    cs_outset_free(&a); /* safe twice */

    /* consensus on a 300-output batch payout: only o299 is non-round, fresh
     * and of the input type */
    struct cs_txv_in in[1] = {{100000000000ull, 1, CS_ADDR_P2WPKH, 0}};
    struct cs_txv_out *out = calloc(N, sizeof *out);
    assert_non_null(out);
    for (size_t i = 0; i < N; i++)
        out[i] = (struct cs_txv_out){
            .value = 1000000 * (i + 1), .addr = 10 + (uint32_t)i, .type = CS_ADDR_P2SH};
    out[N - 1] = (struct cs_txv_out){
        .value = 2718281828, .addr = 9, .type = CS_ADDR_P2WPKH, .first_seen = 1};
    struct cs_txv tx = {.in = in, .n_in = 1, .out = out, .n_out = N};
    size_t change;
    unsigned inf;
    assert_int_equal(
        cs_change_consensus(&tx, CS_CH_FRESH | CS_CH_TYPE | CS_CH_POW10, NULL, &change, &inf), 0);
    assert_int_equal(change, N - 1);
    assert_int_equal(inf, CS_CH_FRESH | CS_CH_TYPE | CS_CH_POW10);
    /* address reuse among 300 inputs (sorted-lookup path beyond 256) */
    struct cs_txv_in *many_in = calloc(N, sizeof *many_in);
    assert_non_null(many_in);
    for (size_t i = 0; i < N; i++)
        many_in[i] = (struct cs_txv_in){1000, 5000 + (uint32_t)(N - i), CS_ADDR_P2SH, 0};
    out[17].addr = 5000 + 42;
    tx.in = many_in;
    tx.n_in = N;
    struct cs_outset s;
    assert_int_equal(cs_outset_init(&s, N), 0);
    assert_int_equal(cs_change_reuse(&tx, &s), 0);
    expect_set(&s, (int[]){17, -1});
    cs_outset_free(&s);
    free(many_in);
    free(out);
}

static void test_spec_parse(void **state)
{
    (void)state;
    struct cs_cluster_spec sp;
    assert_int_equal(cs_cluster_spec_parse("multi-input,change:fresh+type+optimal", &sp), 0);
    assert_int_equal(sp.multi_input, 1);
    assert_int_equal(sp.change, CS_CH_FRESH | CS_CH_TYPE | CS_CH_OPTIMAL);
    assert_int_equal(sp.coinjoin, CS_CJ_DEFAULT);
    assert_int_equal(sp.params.pow10_digits, 6);

    assert_int_equal(cs_cluster_spec_parse(" change: power10=3 + legacy , multi-input ", &sp), 0);
    assert_int_equal(sp.change, CS_CH_POW10 | CS_CH_LEGACY);
    assert_int_equal(sp.params.pow10_digits, 3);
    assert_int_equal(sp.multi_input, 1);

    assert_int_equal(cs_cluster_spec_parse("multi-input,coinjoin:generic+date-gate", &sp), 0);
    assert_int_equal(sp.coinjoin, CS_CJ_GENERIC | CS_CJ_DATE_GATE);
    assert_int_equal(sp.change, 0);
    assert_int_equal(cs_cluster_spec_parse("coinjoin:default+date-gate,change:all", &sp), 0);
    assert_int_equal(sp.coinjoin, CS_CJ_DEFAULT | CS_CJ_DATE_GATE);
    assert_int_equal(sp.change, CS_CH_ALL);
    assert_int_equal(sp.multi_input, 0);
    assert_int_equal(cs_cluster_spec_parse("none", &sp), 0);
    assert_int_equal(sp.multi_input, 0);
    assert_int_equal(sp.change, 0);
    assert_int_equal(cs_cluster_spec_parse("coinjoin:none", &sp), 0);
    assert_int_equal(sp.coinjoin, 0);

    assert_int_equal(cs_cluster_spec_parse("multi-input,change:fresh+bogus", &sp), CS_EUSAGE);
    assert_non_null(strstr(cs_errmsg(), "'bogus'"));
    assert_non_null(strstr(cs_errmsg(), "fresh, reuse, type, power10"));
    assert_int_equal(cs_cluster_spec_parse("multiinput", &sp), CS_EUSAGE);
    assert_non_null(strstr(cs_errmsg(), "'multiinput'"));
    assert_non_null(strstr(cs_errmsg(), "multi-input"));
    assert_int_equal(cs_cluster_spec_parse("coinjoin:wasabi", &sp), CS_EUSAGE);
    assert_non_null(strstr(cs_errmsg(), "wasabi-1.0"));
    assert_int_equal(cs_cluster_spec_parse("change:power10=0", &sp), CS_EUSAGE);
    assert_int_equal(cs_cluster_spec_parse("change:power10=20", &sp), CS_EUSAGE);
    assert_int_equal(cs_cluster_spec_parse("change:power10=99999999999", &sp), CS_EUSAGE);
    assert_int_equal(cs_cluster_spec_parse("change:power10=", &sp), CS_EUSAGE);
    assert_int_equal(cs_cluster_spec_parse("change:", &sp), CS_EUSAGE);
    assert_int_equal(cs_cluster_spec_parse("change:fresh+", &sp), CS_EUSAGE);
    assert_int_equal(cs_cluster_spec_parse("multi-input,", &sp), CS_EUSAGE);
    assert_int_equal(cs_cluster_spec_parse("", &sp), CS_EUSAGE);
    assert_int_equal(cs_cluster_spec_parse(NULL, &sp), CS_EUSAGE);
    assert_string_equal(cs_change_name(CS_CH_GRAPHSENSE), "graphsense");
    assert_string_equal(cs_change_name(3), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_methods_2_2), cmocka_unit_test(test_opreturn_never_change),
        cmocka_unit_test(test_each_rule),   cmocka_unit_test(test_graphsense_and_legacy),
        cmocka_unit_test(test_consensus),   cmocka_unit_test(test_large_outsets),
        cmocka_unit_test(test_spec_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
