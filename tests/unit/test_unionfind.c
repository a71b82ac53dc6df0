/* test_unionfind.c — union-find against METHODS §2.1 and a naive reference.
 *
 * The reference is label propagation (every node takes the smallest label of
 * its neighbours until nothing changes), whose fixed point labels each
 * component with its smallest id: exactly what cs_uf_compress promises. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/coinjoin.h"
#include "cluster/unionfind.h"
#include "btc/script.h"

/* xorshift64: fixed seed, so every run tests the same graphs. */
static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(uint32_t bound)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % bound);
}

struct merge_log {
    size_t count;
    uint32_t a[64], b[64];
    uint64_t tx[64];
};

static void log_merge(void *ctx, uint32_t a, uint32_t b, uint64_t tx)
{
    struct merge_log *log = ctx;
    if (log->count < 64) {
        log->a[log->count] = a;
        log->b[log->count] = b;
        log->tx[log->count] = tx;
    }
    log->count++;
}

/* METHODS §2.1: tx1{A,B}, tx2{B,C}, tx3 = CoinJoin{D,E,F}, tx4{G} -> 5 clusters. */
static void test_methods_2_1(void **state)
{
    (void)state;
    enum { A, B, C, D, E, F, G, N };
    uint32_t parent[N], size[N];
    struct cs_uf uf;
    struct merge_log log = {0};
    assert_int_equal(cs_uf_init(&uf, parent, size, N), 0);
    cs_uf_set_hook(&uf, log_merge, &log);

    const struct cs_txv_in in1[] = {{50000, A, CS_ADDR_P2WPKH, 0}, {60000, B, CS_ADDR_P2WPKH, 0}};
    const struct cs_txv_in in2[] = {{70000, B, CS_ADDR_P2WPKH, 0}, {80000, C, CS_ADDR_P2WPKH, 0}};
    /* tx3: 3 distinct inputs, outputs [10M,10M,10M,5M,3M] -> generic CoinJoin. */
    const struct cs_txv_in in3[] = {{12000000, D, CS_ADDR_P2WPKH, 0},
                                    {11000000, E, CS_ADDR_P2WPKH, 0},
                                    {15000000, F, CS_ADDR_P2WPKH, 0}};
    const struct cs_txv_in in4[] = {{90000, G, CS_ADDR_P2WPKH, 0}};
    struct cs_txv_out pay[1] = {{.value = 1000, .addr = 100, .type = CS_ADDR_P2WPKH}};
    struct cs_txv_out cj_out[5];
    const uint64_t cj_vals[5] = {10000000, 10000000, 10000000, 5000000, 3000000};
    for (int i = 0; i < 5; i++)
        cj_out[i] =
            (struct cs_txv_out){.value = cj_vals[i], .addr = 200 + i, .type = CS_ADDR_P2WPKH};
    struct cs_txv txs[4] = {
        {.in = in1, .n_in = 2, .out = pay, .n_out = 1},
        {.in = in2, .n_in = 2, .out = pay, .n_out = 1},
        {.in = in3, .n_in = 3, .out = cj_out, .n_out = 5},
        {.in = in4, .n_in = 1, .out = pay, .n_out = 1},
    };
    for (int t = 0; t < 4; t++) {
        struct cs_cj_result res;
        cs_coinjoin_classify(&txs[t], CS_CJ_DEFAULT, &res);
        assert_int_equal(res.veto_multi_input, t == 2);
        if (t == 2) /* also JoinMarket-shaped; the generic rule alone suffices */
            assert_true(res.matched & CS_CJP_BIT(CS_CJP_GENERIC));
        if (res.veto_multi_input) continue;
        uint32_t ids[3];
        for (size_t i = 0; i < txs[t].n_in; i++)
            ids[i] = txs[t].in[i].addr;
        assert_true(cs_uf_union_all(&uf, ids, txs[t].n_in, (uint64_t)t + 1) >= 0);
    }
    assert_int_equal(uf.sets, 5);
    cs_uf_compress(&uf);
    const uint32_t want[N] = {A, A, A, D, E, F, G};
    assert_memory_equal(parent, want, sizeof want);
    /* Evidence: tx1 merged A,B; tx2 merged B,C; nothing else. */
    assert_int_equal(log.count, 2);
    assert_int_equal(log.a[0], A);
    assert_int_equal(log.b[0], B);
    assert_int_equal(log.tx[0], 1);
    assert_int_equal(log.a[1], B);
    assert_int_equal(log.b[1], C);
    assert_int_equal(log.tx[1], 2);
}

/* Union by size, ties to the smaller root id, before any compress. */
static void test_representatives(void **state)
{
    (void)state;
    uint32_t parent[8], size[8];
    struct cs_uf uf;
    assert_int_equal(cs_uf_init(&uf, parent, size, 8), 0);
    assert_int_equal(cs_uf_union(&uf, 5, 3, 0), 1);
    assert_int_equal(cs_uf_find(&uf, 5), 3); /* tie -> smaller id */
    assert_int_equal(cs_uf_union(&uf, 7, 6, 0), 1);
    assert_int_equal(cs_uf_find(&uf, 7), 6);
    assert_int_equal(cs_uf_union(&uf, 1, 6, 0), 1);
    assert_int_equal(cs_uf_find(&uf, 1), 6); /* larger set wins over smaller id */
    assert_int_equal(size[6], 3);
    assert_int_equal(cs_uf_union(&uf, 3, 7, 0), 1);
    assert_int_equal(cs_uf_find(&uf, 5), 6); /* size 3 beats size 2 */
    assert_int_equal(cs_uf_union(&uf, 3, 1, 0), 0);
    assert_int_equal(cs_uf_same(&uf, 5, 1), 1);
    assert_int_equal(cs_uf_same(&uf, 0, 1), 0);
    assert_int_equal(uf.sets, 4); /* {1,3,5,6,7} {0} {2} {4} */
    cs_uf_compress(&uf);
    const uint32_t want[8] = {0, 1, 2, 1, 4, 1, 1, 1};
    assert_memory_equal(parent, want, sizeof want);
    assert_int_equal(size[1], 5);
    /* Still a valid structure: keep going after compress. */
    assert_int_equal(cs_uf_union(&uf, 4, 2, 0), 1);
    assert_int_equal(cs_uf_find(&uf, 4), 2);
    assert_int_equal(uf.sets, 3);
}

static void test_errors(void **state)
{
    (void)state;
    uint32_t parent[4], size[4];
    struct cs_uf uf;
    assert_int_equal(cs_uf_init(&uf, parent, size, 4), 0);
    assert_int_equal(cs_uf_find(&uf, 4), CS_UF_NONE);
    assert_int_equal(cs_uf_union(&uf, 1, 4, 9), CS_ERANGE);
    assert_non_null(strstr(cs_errmsg(), "tx 9"));
    assert_int_equal(cs_uf_same(&uf, 7, 0), CS_ERANGE);
    const uint32_t one_bad = 4;
    assert_int_equal(cs_uf_union_all(&uf, &one_bad, 1, 0), CS_ERANGE);
    struct cs_uf_edge edges[3] = {{0, 1, 1}, {2, 5, 2}, {2, 3, 3}};
    assert_int_equal(cs_uf_union_edges(&uf, edges, 3), CS_ERANGE);
    assert_int_equal(cs_uf_same(&uf, 0, 1), 1); /* edges before the bad one applied */
    assert_int_equal(cs_uf_same(&uf, 2, 3), 0);
    assert_int_equal(cs_uf_grow(&uf, parent, size, 3), CS_EUSAGE);
    assert_int_equal(cs_uf_init(&uf, NULL, NULL, 3), CS_EUSAGE);
}

static void test_attach(void **state)
{
    (void)state;
    uint32_t parent[6], size[6];
    struct cs_uf uf, again;
    assert_int_equal(cs_uf_init(&uf, parent, size, 6), 0);
    assert_int_equal(cs_uf_union(&uf, 0, 4, 0), 1);
    assert_int_equal(cs_uf_union(&uf, 4, 5, 0), 1);
    assert_int_equal(cs_uf_attach(&again, parent, size, 6), 0);
    assert_int_equal(again.sets, 4);
    cs_uf_compress(&uf);
    assert_int_equal(cs_uf_attach(&again, parent, size, 6), 0);
    assert_int_equal(again.sets, 4);
    assert_int_equal(cs_uf_find(&again, 5), 0);

    uint32_t saved = parent[5];
    parent[5] = 6; /* beyond n */
    assert_int_equal(cs_uf_attach(&again, parent, size, 6), CS_ECORRUPT);
    parent[5] = saved;
    parent[1] = 2; /* cycle 1 -> 2 -> 1, no root */
    parent[2] = 1;
    assert_int_equal(cs_uf_attach(&again, parent, size, 6), CS_ECORRUPT);
    parent[1] = 1;
    parent[2] = 2;
    size[3] = 2; /* sizes no longer add up to n */
    assert_int_equal(cs_uf_attach(&again, parent, size, 6), CS_ECORRUPT);
}

/* Naive reference: label propagation to the smallest id of each component. */
static void reference_labels(uint32_t n, const struct cs_uf_edge *e, size_t m, uint32_t *label)
{
    for (uint32_t i = 0; i < n; i++)
        label[i] = i;
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t k = 0; k < m; k++) {
            uint32_t l = label[e[k].a] < label[e[k].b] ? label[e[k].a] : label[e[k].b];
            if (label[e[k].a] != l || label[e[k].b] != l) {
                label[e[k].a] = label[e[k].b] = l;
                changed = 1;
            }
        }
    }
}

static void count_merges(void *ctx, uint32_t a, uint32_t b, uint64_t tx)
{
    (void)a;
    (void)b;
    (void)tx;
    (*(size_t *)ctx)++;
}

#define MAXN 48
#define MAXM 120

static void test_random_graphs(void **state)
{
    (void)state;
    uint32_t p1[MAXN], s1[MAXN], p2[MAXN], s2[MAXN], p3[MAXN], s3[MAXN], p4[MAXN], s4[MAXN];
    uint32_t label[MAXN];
    struct cs_uf_edge e[MAXM], shuffled[MAXM];
    for (int g = 0; g < 5000; g++) {
        uint32_t n = 1 + rnd(MAXN);
        size_t m = rnd(MAXM + 1);
        if (m > 3 * (size_t)n) m = 3 * (size_t)n;
        for (size_t k = 0; k < m; k++) {
            e[k].a = rnd(n);
            e[k].b = rnd(n);
            e[k].tx = k;
        }
        reference_labels(n, e, m, label);
        size_t components = 0;
        for (uint32_t i = 0; i < n; i++)
            components += label[i] == i;

        /* 1: one union at a time, with the evidence hook counting merges. */
        struct cs_uf u1, u2, u3, u4;
        size_t merges = 0;
        assert_int_equal(cs_uf_init(&u1, p1, s1, n), 0);
        cs_uf_set_hook(&u1, count_merges, &merges);
        long merged = 0;
        for (size_t k = 0; k < m; k++)
            merged += cs_uf_union(&u1, e[k].a, e[k].b, e[k].tx);
        assert_int_equal(merged, (long)(n - components));
        assert_int_equal(merges, n - components);
        assert_int_equal(u1.sets, components);

        /* 2: the batch entry point builds the identical forest. */
        assert_int_equal(cs_uf_init(&u2, p2, s2, n), 0);
        assert_int_equal(cs_uf_union_edges(&u2, e, m), (long)(n - components));
        assert_memory_equal(p1, p2, n * sizeof *p1);
        for (uint32_t i = 0; i < n; i++)
            if (p1[i] == i) assert_int_equal(s1[i], s2[i]);

        /* 3: shuffled order, and 4: incremental growth; after compress all
         * agree with the reference, representative = smallest id. */
        memcpy(shuffled, e, m * sizeof *e);
        for (size_t k = m; k > 1; k--) {
            size_t j = rnd((uint32_t)k);
            struct cs_uf_edge t = shuffled[k - 1];
            shuffled[k - 1] = shuffled[j];
            shuffled[j] = t;
        }
        assert_int_equal(cs_uf_init(&u3, p3, s3, n), 0);
        assert_int_equal(cs_uf_union_edges(&u3, shuffled, m), (long)(n - components));

        uint32_t half = n / 2;
        assert_int_equal(cs_uf_init(&u4, p4, s4, half), 0);
        for (size_t k = 0; k < m; k++)
            if (e[k].a < half && e[k].b < half)
                assert_true(cs_uf_union(&u4, e[k].a, e[k].b, 0) >= 0);
        cs_uf_compress(&u4); /* a stored snapshot, then more blocks arrive */
        assert_int_equal(cs_uf_grow(&u4, p4, s4, n), 0);
        for (size_t k = 0; k < m; k++)
            if (!(e[k].a < half && e[k].b < half))
                assert_true(cs_uf_union(&u4, e[k].a, e[k].b, 0) >= 0);

        cs_uf_compress(&u1);
        cs_uf_compress(&u3);
        cs_uf_compress(&u4);
        assert_memory_equal(p1, label, n * sizeof *p1);
        assert_memory_equal(p3, label, n * sizeof *p3);
        assert_memory_equal(p4, label, n * sizeof *p4);
        assert_int_equal(u4.sets, components);
        for (uint32_t i = 0; i < n; i++) {
            if (label[i] != i) continue;
            uint32_t members = 0;
            for (uint32_t j = 0; j < n; j++)
                members += label[j] == i;
            assert_int_equal(s1[i], members);
            assert_int_equal(s4[i], members);
        }
        struct cs_uf check;
        assert_int_equal(cs_uf_attach(&check, p4, s4, n), 0);
        assert_int_equal(check.sets, components);
    }
}

/* A larger instance with long chains: heights stay small, sizes add up. */
static void test_large(void **state)
{
    (void)state;
    const uint32_t n = 200000;
    uint32_t *parent = malloc(n * sizeof *parent), *size = malloc(n * sizeof *size);
    assert_non_null(parent);
    assert_non_null(size);
    struct cs_uf uf;
    assert_int_equal(cs_uf_init(&uf, parent, size, n), 0);
    /* ids i and i+1 joined for all i not divisible by 1000: 200 chains */
    for (uint32_t i = 0; i + 1 < n; i++)
        if ((i + 1) % 1000) assert_int_equal(cs_uf_union(&uf, i + 1, i, i), 1);
    assert_int_equal(uf.sets, 200);
    struct cs_uf check;
    assert_int_equal(cs_uf_attach(&check, parent, size, n), 0);
    cs_uf_compress(&uf);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(parent[i], i - i % 1000);
    assert_int_equal(size[199000], 1000);
    free(parent);
    free(size);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_methods_2_1),   cmocka_unit_test(test_representatives),
        cmocka_unit_test(test_errors),        cmocka_unit_test(test_attach),
        cmocka_unit_test(test_random_graphs), cmocka_unit_test(test_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
