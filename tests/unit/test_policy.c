/* test_policy.c — the taint kernel (src/trace/policy.*) against METHODS.md
 * §1.3, against a per-satoshi reference (naive_taint.h) on exhaustive and
 * random transactions, and over random transaction graphs (conservation,
 * poison >= haircut, FIFO forward/backward consistency); the wide (u256) form
 * against the u64 form on 10^5 random transactions, on amounts above 2^64
 * (conservation per label; hand-computed haircuts above 2^128, from
 * policy_wide_vectors.py) and on sums past 2^256-1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "trace/policy.h"
#include "naive_taint.h"

#define T_ 1u /* the label used for "tainted" in the §1.3 vectors */

/* ---- helpers ---------------------------------------------------------------- */

static uint64_t rng_state;
static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint64_t rnd_in(uint64_t lo, uint64_t hi) /* inclusive */
{
    return lo + rnd() % (hi - lo + 1);
}

#define RUNCAP (1 << 15)

/* One kernel result, with runs copied per sink for easy checks. */
struct result {
    struct cs_run buf[RUNCAP];
    size_t used, first[NV_MAX_IO], nruns[NV_MAX_IO], fee_first, fee_nruns;
};

static int run_kernel(struct result *r, enum cs_policy p, enum cs_feeconv c, size_t n_in,
                      const uint64_t *in_val, const struct cs_run *const *in_runs,
                      const size_t *in_nruns, size_t n_out, const uint64_t *out_val)
{
    size_t total = 0;
    for (size_t i = 0; i < n_in; i++)
        total += in_nruns[i];
    size_t cap = cs_taint_runs_bound(p, total, n_out);
    assert_true(cap <= RUNCAP);
    memset(r->buf, 0xA5, cap * sizeof r->buf[0]); /* stale garbage must not matter */
    return cs_taint_runs(r->buf, cap, &r->used, r->first, r->nruns, &r->fee_first, &r->fee_nruns, p,
                         c, in_val, in_runs, in_nruns, n_in, out_val, n_out);
}

/* Checks the run-list invariants of one sink and expands it to labels. */
static void sink_expand(const struct result *r, size_t first, size_t n, uint64_t value,
                        uint32_t *lab)
{
    uint64_t sum = 0;
    assert_true(first + n <= r->used);
    for (size_t k = 0; k < n; k++) {
        const struct cs_run *x = &r->buf[first + k];
        assert_true(x->amount > 0);
        if (k) assert_int_not_equal(x->label, r->buf[first + k - 1].label); /* merged */
        for (uint64_t a = 0; a < x->amount; a++) {
            assert_true(sum + a < value);
            if (lab) lab[sum + a] = x->label;
        }
        sum += x->amount;
    }
    assert_int_equal(sum, value);
}

static uint64_t sink_taint(const struct result *r, size_t first, size_t n)
{
    uint64_t t = 0;
    for (size_t k = 0; k < n; k++)
        if (r->buf[first + k].label) t += r->buf[first + k].amount;
    return t;
}

static uint64_t sink_label(const struct result *r, size_t first, size_t n, uint32_t label)
{
    uint64_t t = 0;
    for (size_t k = 0; k < n; k++)
        if (r->buf[first + k].label == label) t += r->buf[first + k].amount;
    return t;
}

/* ---- names ------------------------------------------------------------------ */

static void test_names(void **state)
{
    (void)state;
    enum cs_policy p;
    enum cs_feeconv c;
    const char *names[] = {"poison", "haircut", "fifo", "lifo", "tiho"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(cs_policy_parse(&p, names[i]), 0);
        assert_int_equal(p, i);
        assert_string_equal(cs_policy_name(p), names[i]);
    }
    assert_int_equal(cs_policy_parse(&p, "FIFO"), 0);
    assert_int_equal(p, CS_POLICY_FIFO);
    assert_int_equal(cs_policy_parse(&p, "fifo2"), CS_EUSAGE);
    assert_non_null(strstr(cs_errmsg(), "fifo2"));
    assert_int_equal(cs_policy_parse(&p, NULL), CS_EUSAGE);
    assert_string_equal(cs_policy_name((enum cs_policy)42), "unknown");
    assert_int_equal(cs_feeconv_parse(&c, "fee-pro-rata"), 0);
    assert_int_equal(c, CS_FEE_PRORATA);
    assert_int_equal(cs_feeconv_parse(&c, "prorata"), 0);
    assert_int_equal(c, CS_FEE_PRORATA);
    assert_int_equal(cs_feeconv_parse(&c, "Fee-Last"), 0);
    assert_int_equal(c, CS_FEE_LAST);
    assert_string_equal(cs_feeconv_name(CS_FEE_LAST), "fee-last");
    assert_string_equal(cs_feeconv_name(CS_FEE_PRORATA), "fee-pro-rata");
    assert_int_equal(cs_feeconv_parse(&c, "first"), CS_EUSAGE);
}

/* ---- METHODS §1.3 ----------------------------------------------------------- */

static const uint64_t v13[] = {300, 700}, u13[] = {400, 590};
static const struct cs_run r13a[] = {{T_, 300}}, r13b[] = {{0, 700}};
static const struct cs_run *const rr13[] = {r13a, r13b};
static const size_t n13[] = {1, 1};

static void expect13(enum cs_policy p, enum cs_feeconv c, uint64_t o1, uint64_t o2, uint64_t fee)
{
    static struct result r;
    assert_int_equal(run_kernel(&r, p, c, 2, v13, rr13, n13, 2, u13), 0);
    sink_expand(&r, r.first[0], r.nruns[0], 400, NULL);
    sink_expand(&r, r.first[1], r.nruns[1], 590, NULL);
    sink_expand(&r, r.fee_first, r.fee_nruns, 10, NULL);
    assert_int_equal(sink_taint(&r, r.first[0], r.nruns[0]), o1);
    assert_int_equal(sink_taint(&r, r.first[1], r.nruns[1]), o2);
    assert_int_equal(sink_taint(&r, r.fee_first, r.fee_nruns), fee);
}

static void test_methods_table(void **state)
{
    (void)state;
    uint64_t t13[] = {300, 0}, ot[2], ft;
    /* amount form */
    assert_int_equal(cs_taint_amounts(ot, &ft, CS_POLICY_POISON, v13, t13, 2, u13, 2), 0);
    assert_int_equal(ot[0], 400);
    assert_int_equal(ot[1], 590);
    assert_int_equal(ft, 10);
    assert_int_equal(cs_taint_amounts(ot, &ft, CS_POLICY_HAIRCUT, v13, t13, 2, u13, 2), 0);
    assert_int_equal(ot[0], 120);
    assert_int_equal(ot[1], 177);
    assert_int_equal(ft, 3);
    assert_int_equal(cs_taint_amounts(ot, &ft, CS_POLICY_FIFO, v13, t13, 2, u13, 2), CS_EUSAGE);
    /* run form, both conventions where they apply (poison/haircut ignore them) */
    for (int c = 0; c < 2; c++) {
        expect13(CS_POLICY_POISON, (enum cs_feeconv)c, 400, 590, 10);
        expect13(CS_POLICY_HAIRCUT, (enum cs_feeconv)c, 120, 177, 3);
    }
    expect13(CS_POLICY_FIFO, CS_FEE_LAST, 300, 0, 0);
    expect13(CS_POLICY_LIFO, CS_FEE_LAST, 0, 290, 10);
    expect13(CS_POLICY_TIHO, CS_FEE_LAST, 0, 300, 0);
    /* pro-rata: inputs become 297T + 693C, the fee is 3T + 7C (METHODS leaves
     * the fee column blank; 3 follows from the rule) */
    expect13(CS_POLICY_FIFO, CS_FEE_PRORATA, 297, 0, 3);
    expect13(CS_POLICY_LIFO, CS_FEE_PRORATA, 0, 297, 3);
    expect13(CS_POLICY_TIHO, CS_FEE_PRORATA, 0, 297, 3);

    /* exact run lists for two rows */
    static struct result r;
    assert_int_equal(run_kernel(&r, CS_POLICY_FIFO, CS_FEE_PRORATA, 2, v13, rr13, n13, 2, u13), 0);
    assert_int_equal(r.nruns[0], 2);
    assert_int_equal(r.buf[r.first[0]].label, T_);
    assert_int_equal(r.buf[r.first[0]].amount, 297);
    assert_int_equal(r.buf[r.first[0] + 1].label, 0);
    assert_int_equal(r.buf[r.first[0] + 1].amount, 103);
    assert_int_equal(r.nruns[1], 1);
    assert_int_equal(r.fee_nruns, 2);
    assert_int_equal(r.buf[r.fee_first].label, T_);
    assert_int_equal(r.buf[r.fee_first].amount, 3);
    assert_int_equal(r.buf[r.fee_first + 1].amount, 7);
    assert_int_equal(run_kernel(&r, CS_POLICY_TIHO, CS_FEE_LAST, 2, v13, rr13, n13, 2, u13), 0);
    /* TIHO fills O2 (590) first: 300T + 290C; O1 = 400C; fee 10C */
    assert_int_equal(r.nruns[1], 2);
    assert_int_equal(r.buf[r.first[1]].label, T_);
    assert_int_equal(r.buf[r.first[1]].amount, 300);
    assert_int_equal(r.buf[r.first[1] + 1].amount, 290);
    assert_int_equal(r.nruns[0], 1);
    assert_int_equal(r.buf[r.first[0]].label, 0);
}

static void test_rounding_case(void **state)
{
    (void)state;
    /* 1T + 2C, outputs 1, 1, 1, F = 0: floors are 0, O1 gets the residue */
    uint64_t v[] = {1, 2}, t[] = {1, 0}, u[] = {1, 1, 1}, ot[3], ft;
    assert_int_equal(cs_taint_amounts(ot, &ft, CS_POLICY_HAIRCUT, v, t, 2, u, 3), 0);
    assert_int_equal(ot[0], 1);
    assert_int_equal(ot[1], 0);
    assert_int_equal(ot[2], 0);
    assert_int_equal(ft, 0);
    /* residue larger than the largest output: spills by (value desc, index asc) */
    uint64_t v2[] = {11}, t2[] = {10}, u2[] = {3, 5, 3}, ot2[3];
    assert_int_equal(cs_taint_amounts(ot2, &ft, CS_POLICY_HAIRCUT, v2, t2, 1, u2, 3), 0);
    assert_int_equal(ot2[0], 3); /* floor 2 + 1 */
    assert_int_equal(ot2[1], 5); /* floor 4 + 1 */
    assert_int_equal(ot2[2], 2);
    assert_int_equal(ft, 0);
    /* fee saturated: F = 1 takes 1, the other 2 of the residue go to outputs */
    uint64_t v3[] = {10}, t3[] = {9}, u3[] = {3, 3, 3}, ot3[3];
    assert_int_equal(cs_taint_amounts(ot3, &ft, CS_POLICY_HAIRCUT, v3, t3, 1, u3, 3), 0);
    assert_int_equal(ot3[0], 3);
    assert_int_equal(ot3[1], 3);
    assert_int_equal(ot3[2], 2);
    assert_int_equal(ft, 1);
    /* 128-bit products; expected values computed with Python integers */
    uint64_t v4[] = {2100000000000000ull, 1999999999999999ull};
    uint64_t t4[] = {1234567890123456ull, 7};
    uint64_t u4[] = {3000000000000000ull, 1099999999999000ull}, ot4[2];
    assert_int_equal(cs_taint_amounts(ot4, &ft, CS_POLICY_HAIRCUT, v4, t4, 2, u4, 2), 0);
    assert_int_equal(ot4[0], 903342358626924ull);
    assert_int_equal(ot4[1], 331225531496237ull);
    assert_int_equal(ft, 302ull);
    assert_int_equal(ot4[0] + ot4[1] + ft, 1234567890123463ull);
}

static void test_errors(void **state)
{
    (void)state;
    static struct result r;
    uint64_t ot[2], ft;
    uint64_t v[] = {10}, tbad[] = {11}, u[] = {4, 5};
    assert_int_equal(cs_taint_amounts(ot, &ft, CS_POLICY_HAIRCUT, v, tbad, 1, u, 2), CS_EUSAGE);
    assert_non_null(strstr(cs_errmsg(), "input 0"));
    uint64_t tok[] = {5}, ubig[] = {6, 5};
    assert_int_equal(cs_taint_amounts(ot, &ft, CS_POLICY_HAIRCUT, v, tok, 1, ubig, 2), CS_EUSAGE);
    assert_non_null(strstr(cs_errmsg(), "exceed inputs"));
    uint64_t vo[] = {UINT64_MAX, 2}, to[] = {0, 0};
    assert_int_equal(cs_taint_amounts(ot, &ft, CS_POLICY_POISON, vo, to, 2, u, 2), CS_ERANGE);
    /* runs that do not cover the input value */
    struct cs_run bad[] = {{1, 4}, {0, 5}};
    const struct cs_run *const rb[] = {bad};
    size_t nb[] = {2};
    assert_int_equal(cs_taint_runs(r.buf, RUNCAP, &r.used, r.first, r.nruns, &r.fee_first,
                                   &r.fee_nruns, CS_POLICY_FIFO, CS_FEE_LAST, v, rb, nb, 1, u, 2),
                     CS_EUSAGE);
    assert_non_null(strstr(cs_errmsg(), "input 0: runs add up to 9"));
    /* capacity: 3 sinks need at least 3 runs here; 2 fails with CS_ERANGE */
    struct cs_run good[] = {{1, 4}, {0, 6}};
    const struct cs_run *const rg[] = {good};
    assert_int_equal(cs_taint_runs(r.buf, 2, &r.used, r.first, r.nruns, &r.fee_first, &r.fee_nruns,
                                   CS_POLICY_FIFO, CS_FEE_LAST, v, rg, nb, 1, u, 2),
                     CS_ERANGE);
    assert_non_null(strstr(cs_errmsg(), "run buffer full"));
    /* O1 = 4T, O2 = 5C, fee 1C: exactly 3 runs fit */
    assert_int_equal(cs_taint_runs(r.buf, 3, &r.used, r.first, r.nruns, &r.fee_first, &r.fee_nruns,
                                   CS_POLICY_FIFO, CS_FEE_LAST, v, rg, nb, 1, u, 2),
                     0);
    assert_int_equal(r.used, 3);
    /* TIHO: O2 = 4T + 1C, O1 = 4C, fee 1C: 4 runs plus 2 of sort scratch */
    assert_int_equal(cs_taint_runs(r.buf, 5, &r.used, r.first, r.nruns, &r.fee_first, &r.fee_nruns,
                                   CS_POLICY_TIHO, CS_FEE_LAST, v, rg, nb, 1, u, 2),
                     CS_ERANGE);
    assert_int_equal(cs_taint_runs(r.buf, 6, &r.used, r.first, r.nruns, &r.fee_first, &r.fee_nruns,
                                   CS_POLICY_TIHO, CS_FEE_LAST, v, rg, nb, 1, u, 2),
                     0);
    /* haircut: 1 label slot + clean/tainted per sink */
    assert_int_equal(cs_taint_runs(r.buf, 1, &r.used, r.first, r.nruns, &r.fee_first, &r.fee_nruns,
                                   CS_POLICY_HAIRCUT, CS_FEE_LAST, v, rg, nb, 1, u, 2),
                     CS_ERANGE);
    assert_int_equal(cs_taint_runs(r.buf, 0, &r.used, r.first, r.nruns, &r.fee_first, &r.fee_nruns,
                                   CS_POLICY_HAIRCUT, CS_FEE_LAST, v, rg, nb, 1, u, 2),
                     CS_ERANGE);
    assert_int_equal(cs_taint_runs(r.buf, RUNCAP, &r.used, r.first, r.nruns, &r.fee_first,
                                   &r.fee_nruns, (enum cs_policy)9, CS_FEE_LAST, v, rg, nb, 1, u,
                                   2),
                     CS_EUSAGE);
    /* backward/forward range checks */
    struct cs_span sp[4];
    size_t ns;
    assert_int_equal(cs_taint_fifo_backward(sp, 4, &ns, v, 1, u, 2, 0, 3, 2), CS_EUSAGE);
    assert_int_equal(cs_taint_fifo_backward(sp, 4, &ns, v, 1, u, 2, 3, 0, 1), CS_EUSAGE);
    assert_int_equal(cs_taint_fifo_backward(sp, 4, &ns, v, 1, u, 2, 2, 0, 1), 0); /* the fee */
    assert_int_equal(ns, 1);
    assert_int_equal(sp[0].index, 0);
    assert_int_equal(sp[0].offset, 9);
    assert_int_equal(cs_taint_fifo_forward(sp, 4, &ns, v, 1, u, 2, 0, 2, 8), 0);
    assert_int_equal(ns, 3);
    assert_int_equal(sp[0].index, 0);
    assert_int_equal(sp[0].offset, 2);
    assert_int_equal(sp[0].amount, 2);
    assert_int_equal(sp[1].index, 1);
    assert_int_equal(sp[1].amount, 5);
    assert_int_equal(sp[2].index, 2); /* fee */
    assert_int_equal(sp[2].amount, 1);
    assert_int_equal(cs_taint_fifo_forward(sp, 2, &ns, v, 1, u, 2, 0, 2, 8), CS_ERANGE);
}

/* Edge shapes: no outputs, zero-value outputs, zero-amount runs, no inputs. */
static void test_edges(void **state)
{
    (void)state;
    static struct result r;
    /* everything to the fee (n_out = 0), pro-rata */
    uint64_t v[] = {3, 4};
    struct cs_run a[] = {{0, 0}, {2, 3}, {0, 0}}, b[] = {{0, 4}};
    const struct cs_run *const rr[] = {a, b};
    size_t nr[] = {3, 1};
    for (int p = 0; p < 5; p++)
        for (int c = 0; c < 2; c++) {
            assert_int_equal(
                run_kernel(&r, (enum cs_policy)p, (enum cs_feeconv)c, 2, v, rr, nr, 0, NULL), 0);
            sink_expand(&r, r.fee_first, r.fee_nruns, 7, NULL);
            assert_int_equal(sink_label(&r, r.fee_first, r.fee_nruns, 2), p == 0 ? 7 : 3);
        }
    /* zero-value outputs (OP_RETURN) get no runs; TIHO places them last */
    uint64_t u[] = {0, 5, 0, 2};
    for (int p = 0; p < 5; p++)
        for (int c = 0; c < 2; c++) {
            assert_int_equal(
                run_kernel(&r, (enum cs_policy)p, (enum cs_feeconv)c, 2, v, rr, nr, 4, u), 0);
            assert_int_equal(r.nruns[0], 0);
            assert_int_equal(r.nruns[2], 0);
            sink_expand(&r, r.first[1], r.nruns[1], 5, NULL);
            sink_expand(&r, r.first[3], r.nruns[3], 2, NULL);
            assert_int_equal(r.fee_nruns, 0);
        }
    /* no inputs, no outputs */
    assert_int_equal(run_kernel(&r, CS_POLICY_TIHO, CS_FEE_PRORATA, 0, NULL, NULL, NULL, 0, NULL),
                     0);
    assert_int_equal(r.used, 0);
    assert_int_equal(r.fee_nruns, 0);
    /* poison uses the lowest (first-theft) label */
    struct cs_run c1[] = {{7, 1}, {0, 2}}, c2[] = {{3, 1}, {5, 3}};
    const struct cs_run *const rc[] = {c1, c2};
    size_t nc[] = {2, 2};
    uint64_t vc[] = {3, 4}, uc[] = {6};
    assert_int_equal(run_kernel(&r, CS_POLICY_POISON, CS_FEE_LAST, 2, vc, rc, nc, 1, uc), 0);
    assert_int_equal(r.nruns[0], 1);
    assert_int_equal(r.buf[r.first[0]].label, 3);
    assert_int_equal(r.buf[r.fee_first].label, 3);
    /* haircut per label: labels 3:1, 5:3, 7:1 of V = 7, one output of 6, F = 1.
     * T = 5; floor(6*5/7) = 4, fee min(1, 1) = 1.  Output: pools 1,3,1 of 5:
     * floors 0,2,0 -> remainder 2 to labels 3 and 5 -> 3:1, 5:3; fee gets 7:1. */
    assert_int_equal(run_kernel(&r, CS_POLICY_HAIRCUT, CS_FEE_LAST, 2, vc, rc, nc, 1, uc), 0);
    assert_int_equal(r.nruns[0], 3);
    assert_int_equal(r.buf[r.first[0]].label, 0);
    assert_int_equal(r.buf[r.first[0]].amount, 2);
    assert_int_equal(sink_label(&r, r.first[0], r.nruns[0], 3), 1);
    assert_int_equal(sink_label(&r, r.first[0], r.nruns[0], 5), 3);
    assert_int_equal(r.fee_nruns, 1);
    assert_int_equal(r.buf[r.fee_first].label, 7);
}

/* ---- checks of one transaction against the reference ------------------------ */

#define TX_MAX_IN_SAT 512

struct txcase {
    int n_in, n_out;
    uint64_t v[NV_MAX_IO], u[NV_MAX_IO];
    uint32_t lab[NV_MAX_IO][TX_MAX_IN_SAT]; /* per-satoshi input labels */
    struct cs_run runs[NV_MAX_IO][TX_MAX_IN_SAT + 8];
    size_t nruns[NV_MAX_IO];
};

static const enum cs_policy ordered[] = {CS_POLICY_FIFO, CS_POLICY_LIFO, CS_POLICY_TIHO};
static const int nv_of[] = {NV_FIFO, NV_LIFO, NV_TIHO};

static long n_checked; /* kernel calls compared with something independent */

/* Builds kernel runs from the per-sat labels: mode 0 maximal runs, mode 1
 * one run per satoshi, mode 2 random cuts plus zero-amount runs. */
static void make_runs(struct txcase *t, int mode)
{
    for (int i = 0; i < t->n_in; i++) {
        size_t n = 0;
        for (uint64_t p = 0; p < t->v[i]; p++) {
            int cut = p == 0 || t->lab[i][p] != t->lab[i][p - 1] || mode == 1 ||
                      (mode == 2 && rnd() % 4 == 0);
            if (cut) {
                if (mode == 2 && rnd() % 8 == 0 && n + 1 < TX_MAX_IN_SAT + 8)
                    t->runs[i][n++] = (struct cs_run){(uint32_t)(rnd() % 3), 0};
                assert_true(n < TX_MAX_IN_SAT + 8);
                t->runs[i][n++] = (struct cs_run){t->lab[i][p], 0};
            }
            t->runs[i][n - 1].amount++;
        }
        t->nruns[i] = n;
    }
}

static void check_tx(const struct txcase *t)
{
    static struct result r;
    const struct cs_run *rp[NV_MAX_IO];
    uint32_t *inl[NV_MAX_IO];
    static uint32_t want[NV_MAX_IO][NV_MAX_SAT], want_fee[NV_MAX_SAT];
    static uint32_t got[NV_MAX_SAT];
    uint32_t *outl[NV_MAX_IO];
    uint64_t V = 0, U = 0, tin[NV_MAX_IO], T = 0;
    for (int i = 0; i < t->n_in; i++) {
        rp[i] = t->runs[i];
        inl[i] = (uint32_t *)t->lab[i];
        V += t->v[i];
        tin[i] = 0;
        for (uint64_t p = 0; p < t->v[i]; p++)
            tin[i] += t->lab[i][p] != 0;
        T += tin[i];
    }
    for (int j = 0; j < t->n_out; j++) {
        outl[j] = want[j];
        U += t->u[j];
    }
    uint64_t F = V - U;

    /* ordered policies against the per-satoshi reference */
    for (int pi = 0; pi < 3; pi++)
        for (int c = 0; c < 2; c++) {
            nv_ordered(nv_of[pi], c, t->n_in, t->v, inl, t->n_out, t->u, outl, want_fee);
            assert_int_equal(run_kernel(&r, ordered[pi], (enum cs_feeconv)c, (size_t)t->n_in, t->v,
                                        rp, t->nruns, (size_t)t->n_out, t->u),
                             0);
            for (int j = 0; j < t->n_out; j++) {
                sink_expand(&r, r.first[j], r.nruns[j], t->u[j], got);
                assert_memory_equal(got, want[j], t->u[j] * sizeof *got);
            }
            sink_expand(&r, r.fee_first, r.fee_nruns, F, got);
            assert_memory_equal(got, want_fee, F * sizeof *got);
            n_checked++;
        }

    /* haircut: amounts vs reference, run form vs amount form, per-label
     * conservation, bounds; poison >= haircut */
    uint64_t ref[NV_MAX_IO], ref_fee, amt[NV_MAX_IO], amt_fee, poi[NV_MAX_IO], poi_fee;
    nv_haircut(t->n_in, t->v, tin, t->n_out, t->u, ref, &ref_fee);
    assert_int_equal(cs_taint_amounts(amt, &amt_fee, CS_POLICY_HAIRCUT, t->v, tin, (size_t)t->n_in,
                                      t->u, (size_t)t->n_out),
                     0);
    assert_int_equal(cs_taint_amounts(poi, &poi_fee, CS_POLICY_POISON, t->v, tin, (size_t)t->n_in,
                                      t->u, (size_t)t->n_out),
                     0);
    uint64_t sum = amt_fee;
    for (int j = 0; j < t->n_out; j++) {
        assert_int_equal(amt[j], ref[j]);
        assert_true(amt[j] <= t->u[j]);
        assert_true(poi[j] >= amt[j]);
        assert_int_equal(poi[j], T ? t->u[j] : 0);
        sum += amt[j];
    }
    assert_int_equal(amt_fee, ref_fee);
    assert_true(amt_fee <= F);
    assert_true(poi_fee >= amt_fee);
    assert_int_equal(sum, T);
    n_checked += 2;

    for (int c = 0; c < 2; c++) {
        assert_int_equal(run_kernel(&r, CS_POLICY_HAIRCUT, (enum cs_feeconv)c, (size_t)t->n_in,
                                    t->v, rp, t->nruns, (size_t)t->n_out, t->u),
                         0);
        for (int j = 0; j < t->n_out; j++) {
            sink_expand(&r, r.first[j], r.nruns[j], t->u[j], NULL);
            assert_int_equal(sink_taint(&r, r.first[j], r.nruns[j]), amt[j]);
        }
        sink_expand(&r, r.fee_first, r.fee_nruns, F, NULL);
        assert_int_equal(sink_taint(&r, r.fee_first, r.fee_nruns), amt_fee);
        for (uint32_t label = 1; label <= 4; label++) {
            uint64_t in_l = 0, out_l = sink_label(&r, r.fee_first, r.fee_nruns, label);
            for (int i = 0; i < t->n_in; i++)
                for (uint64_t p = 0; p < t->v[i]; p++)
                    in_l += t->lab[i][p] == label;
            for (int j = 0; j < t->n_out; j++)
                out_l += sink_label(&r, r.first[j], r.nruns[j], label);
            assert_int_equal(in_l, out_l);
        }
        assert_int_equal(run_kernel(&r, CS_POLICY_POISON, (enum cs_feeconv)c, (size_t)t->n_in, t->v,
                                    rp, t->nruns, (size_t)t->n_out, t->u),
                         0);
        for (int j = 0; j < t->n_out; j++) {
            sink_expand(&r, r.first[j], r.nruns[j], t->u[j], NULL);
            assert_int_equal(sink_taint(&r, r.first[j], r.nruns[j]), poi[j]);
        }
        assert_int_equal(sink_taint(&r, r.fee_first, r.fee_nruns), poi_fee);
        n_checked += 2;
    }

    /* FIFO fee-last position maps: backward then forward is the identity */
    struct cs_span sp[NV_MAX_IO + 1], sp2[NV_MAX_IO + 1];
    size_t ns, ns2;
    for (int j = 0; j <= t->n_out; j++) {
        uint64_t size = j < t->n_out ? t->u[j] : F;
        if (!size) continue;
        uint64_t off = rnd() % size, len = 1 + rnd() % (size - off);
        assert_int_equal(cs_taint_fifo_backward(sp, NV_MAX_IO, &ns, t->v, (size_t)t->n_in, t->u,
                                                (size_t)t->n_out, (size_t)j, off, len),
                         0);
        uint64_t pos = off;
        for (size_t s = 0; s < ns; s++) {
            assert_int_equal(cs_taint_fifo_forward(sp2, NV_MAX_IO + 1, &ns2, t->v, (size_t)t->n_in,
                                                   t->u, (size_t)t->n_out, sp[s].index,
                                                   sp[s].offset, sp[s].amount),
                             0);
            assert_int_equal(ns2, 1);
            assert_int_equal(sp2[0].index, (size_t)j);
            assert_int_equal(sp2[0].offset, pos);
            assert_int_equal(sp2[0].amount, sp[s].amount);
            pos += sp[s].amount;
        }
        assert_int_equal(pos, off + len);
    }
}

/* Every transaction with 1-2 inputs of 1-3 sat labelled from {0,1,2} and 1-3
 * outputs of 0-3 sat (sum <= inputs). */
static void test_exhaustive(void **state)
{
    (void)state;
    static struct txcase t;
    long cases = 0;
    rng_state = 1;
    n_checked = 0;
    for (int n_in = 1; n_in <= 2; n_in++) {
        /* input shapes: per input, value 1..3 and 3^value labelings */
        int shapes = 3 + 9 + 27;
        int combos = n_in == 1 ? shapes : shapes * shapes;
        for (int ci = 0; ci < combos; ci++) {
            int rest = ci;
            t.n_in = n_in;
            uint64_t V = 0;
            for (int i = 0; i < n_in; i++) {
                int s = rest % shapes, v;
                rest /= shapes;
                if (s < 3)
                    v = 1;
                else if (s < 12) {
                    v = 2;
                    s -= 3;
                } else {
                    v = 3;
                    s -= 12;
                }
                t.v[i] = (uint64_t)v;
                for (int p = 0; p < v; p++, s /= 3)
                    t.lab[i][p] = (uint32_t)(s % 3);
                V += t.v[i];
            }
            for (int n_out = 1; n_out <= 3; n_out++) {
                int ocombos = n_out == 1 ? 4 : n_out == 2 ? 16 : 64;
                for (int oc = 0; oc < ocombos; oc++) {
                    uint64_t U = 0;
                    int r2 = oc;
                    t.n_out = n_out;
                    for (int j = 0; j < n_out; j++, r2 /= 4) {
                        t.u[j] = (uint64_t)(r2 % 4);
                        U += t.u[j];
                    }
                    if (U > V) continue;
                    make_runs(&t, cases % 3);
                    check_tx(&t);
                    cases++;
                }
            }
        }
    }
    printf("policy: exhaustive: %ld transactions, %ld kernel results checked\n", cases, n_checked);
    assert_true(cases > 30000);
}

static void random_tx(struct txcase *t)
{
    t->n_in = (int)rnd_in(1, 5);
    t->n_out = (int)rnd_in(1, 5);
    uint64_t V = 0;
    for (int i = 0; i < t->n_in; i++) {
        t->v[i] = rnd_in(1, 50);
        V += t->v[i];
        /* 1-4 stretches, labels biased to clean */
        uint32_t lab = 0;
        for (uint64_t p = 0; p < t->v[i]; p++) {
            if (p == 0 || rnd() % 12 == 0) {
                uint64_t x = rnd() % 6;
                lab = x < 3 ? 0 : (uint32_t)(x - 2);
            }
            t->lab[i][p] = lab;
        }
    }
    /* fee: 0 a third of the time, else up to everything */
    uint64_t F = 0;
    switch (rnd() % 3) {
    case 0:
        break;
    case 1:
        F = rnd_in(1, V < 10 ? V : 10);
        break;
    default:
        F = rnd() % (V + 1);
    }
    /* split V - F into n_out outputs (values 0..50), sometimes with a 0 */
    uint64_t left = V - F;
    for (int j = 0; j < t->n_out; j++) {
        uint64_t x = j == t->n_out - 1 ? left : (rnd() % 5 == 0 ? 0 : rnd() % (left + 1));
        if (x > 50) x = 50;
        t->u[j] = x;
        left -= x;
    }
    /* what did not fit under 50 per output stays with the fee */
}

static void test_random(void **state)
{
    (void)state;
    static struct txcase t;
    rng_state = 20240601;
    n_checked = 0;
    const long cases = 20000;
    for (long c = 0; c < cases; c++) {
        random_tx(&t);
        make_runs(&t, (int)(c % 3));
        check_tx(&t);
    }
    printf("policy: random (seed 20240601): %ld transactions, %ld kernel results checked\n", cases,
           n_checked);
}

/* Wide transactions: 17-60 outputs with many equal values (TIHO's heap sort,
 * haircut spills across levels), 1-8 inputs. */
static void test_wide(void **state)
{
    (void)state;
    static struct txcase t;
    rng_state = 4242;
    n_checked = 0;
    const long cases = 400;
    for (long c = 0; c < cases; c++) {
        t.n_out = (int)rnd_in(17, 60);
        uint64_t U = 0;
        for (int j = 0; j < t.n_out; j++) {
            t.u[j] = rnd() % 7;
            U += t.u[j];
        }
        uint64_t V = U + (rnd() % 2 ? 0 : rnd() % 6);
        if (!V) V = 1;
        t.n_in = (int)rnd_in(1, V < 8 ? V : 8);
        uint64_t left = V;
        for (int i = 0; i < t.n_in; i++) {
            uint64_t room = left - (uint64_t)(t.n_in - 1 - i); /* keep 1 for each later input */
            t.v[i] =
                i == t.n_in - 1 ? left : rnd_in(1, room < TX_MAX_IN_SAT ? room : TX_MAX_IN_SAT);
            left -= t.v[i];
            /* mostly tainted inputs, so that haircut taint is close to value */
            uint32_t base = rnd() % 4 ? (uint32_t)rnd_in(1, 3) : 0;
            for (uint64_t p = 0; p < t.v[i]; p++)
                t.lab[i][p] = rnd() % 16 == 0 ? (uint32_t)(rnd() % 4) : base;
        }
        assert_true(t.v[t.n_in - 1] <= TX_MAX_IN_SAT);
        make_runs(&t, (int)(c % 3));
        check_tx(&t);
    }
    printf("policy: wide (seed 4242): %ld transactions, %ld kernel results checked\n", cases,
           n_checked);
}

/* ---- graphs ----------------------------------------------------------------- */

#define G_ROOTS 8
#define G_MAXTX 30
#define G_MAXOUT (G_ROOTS + G_MAXTX * 5)
#define G_MAXSAT (G_ROOTS * 50)

struct gtx {
    int n_in, n_out;
    int in[5], out[5]; /* output ids */
};

struct graph {
    int n_tx, n_outs;
    uint64_t val[G_MAXOUT];
    int spent[G_MAXOUT], producer[G_MAXOUT], prod_index[G_MAXOUT];
    struct gtx tx[G_MAXTX];
    uint32_t seed[G_ROOTS][50]; /* per-satoshi seed labels of the roots */
};

static void random_graph(struct graph *g)
{
    memset(g, 0, sizeof *g);
    for (int r = 0; r < G_ROOTS; r++) {
        g->val[r] = rnd_in(1, 50);
        g->producer[r] = -1;
        /* about a third of the roots carry a seed stretch with label 1..3 */
        uint64_t a = 0, b = 0;
        uint32_t label = 0;
        if (rnd() % 3 == 0) {
            a = rnd() % g->val[r];
            b = a + 1 + rnd() % (g->val[r] - a);
            label = (uint32_t)rnd_in(1, 3);
        }
        for (uint64_t p = 0; p < g->val[r]; p++)
            g->seed[r][p] = (p >= a && p < b) ? label : 0;
    }
    g->n_outs = G_ROOTS;
    int n_tx = (int)rnd_in(5, G_MAXTX);
    for (int k = 0; k < n_tx; k++) {
        int utxo[G_MAXOUT], nu = 0;
        for (int o = 0; o < g->n_outs; o++)
            if (!g->spent[o]) utxo[nu++] = o;
        if (!nu) break;
        struct gtx *t = &g->tx[g->n_tx++];
        t->n_in = (int)rnd_in(1, nu < 5 ? (uint64_t)nu : 5);
        uint64_t V = 0;
        for (int i = 0; i < t->n_in; i++) {
            int pick = (int)(rnd() % (uint64_t)nu);
            t->in[i] = utxo[pick];
            utxo[pick] = utxo[--nu];
            g->spent[t->in[i]] = 1;
            V += g->val[t->in[i]];
        }
        uint64_t F = rnd() % 3 == 0 ? 0 : rnd() % (V / 4 + 1);
        t->n_out = (int)rnd_in(1, 5);
        uint64_t left = V - F;
        for (int j = 0; j < t->n_out; j++) {
            uint64_t x = j == t->n_out - 1 ? left : rnd() % (left + 1);
            left -= x;
            int o = g->n_outs++;
            g->val[o] = x;
            g->producer[o] = g->n_tx - 1;
            g->prod_index[o] = j;
            t->out[j] = o;
        }
    }
}

/* Per-output state under the kernel (runs) and the reference (labels). */
struct gstate {
    struct cs_run runs[G_MAXOUT][G_MAXSAT];
    size_t nruns[G_MAXOUT];
    uint32_t lab[G_MAXOUT][G_MAXSAT];
    struct cs_run fee_runs[G_MAXTX][G_MAXSAT];
    size_t fee_nruns[G_MAXTX];
    uint32_t fee_lab[G_MAXTX][G_MAXSAT];
    uint64_t fee[G_MAXTX];
};

static void graph_seed(struct gstate *s, const struct graph *g)
{
    for (int r = 0; r < G_ROOTS; r++) {
        size_t n = 0;
        for (uint64_t p = 0; p < g->val[r]; p++) {
            s->lab[r][p] = g->seed[r][p];
            if (!n || s->runs[r][n - 1].label != g->seed[r][p])
                s->runs[r][n++] = (struct cs_run){g->seed[r][p], 0};
            s->runs[r][n - 1].amount++;
        }
        s->nruns[r] = n;
    }
}

/* Propagates with the kernel (and, for ordered policies, the reference);
 * asserts equality at every transaction. */
static void graph_run(struct gstate *s, const struct graph *g, enum cs_policy p, enum cs_feeconv c,
                      int nv)
{
    static struct result r;
    graph_seed(s, g);
    for (int k = 0; k < g->n_tx; k++) {
        const struct gtx *t = &g->tx[k];
        uint64_t v[5], u[5];
        const struct cs_run *rp[5];
        uint32_t *inl[5], *outl[5];
        size_t nr[5];
        uint64_t V = 0, U = 0;
        for (int i = 0; i < t->n_in; i++) {
            v[i] = g->val[t->in[i]];
            rp[i] = s->runs[t->in[i]];
            nr[i] = s->nruns[t->in[i]];
            inl[i] = s->lab[t->in[i]];
            V += v[i];
        }
        for (int j = 0; j < t->n_out; j++) {
            u[j] = g->val[t->out[j]];
            outl[j] = s->lab[t->out[j]];
            U += u[j];
        }
        s->fee[k] = V - U;
        assert_int_equal(run_kernel(&r, p, c, (size_t)t->n_in, v, rp, nr, (size_t)t->n_out, u), 0);
        for (int j = 0; j < t->n_out; j++) {
            int o = t->out[j];
            assert_true(r.nruns[j] <= G_MAXSAT);
            memcpy(s->runs[o], r.buf + r.first[j], r.nruns[j] * sizeof r.buf[0]);
            s->nruns[o] = r.nruns[j];
        }
        memcpy(s->fee_runs[k], r.buf + r.fee_first, r.fee_nruns * sizeof r.buf[0]);
        s->fee_nruns[k] = r.fee_nruns;
        if (nv < 0) continue;
        static uint32_t got[G_MAXSAT];
        nv_ordered(nv, c, t->n_in, v, inl, t->n_out, u, outl, s->fee_lab[k]);
        for (int j = 0; j < t->n_out; j++) {
            sink_expand(&r, r.first[j], r.nruns[j], u[j], got);
            assert_memory_equal(got, outl[j], u[j] * sizeof *got);
        }
        sink_expand(&r, r.fee_first, r.fee_nruns, s->fee[k], got);
        assert_memory_equal(got, s->fee_lab[k], s->fee[k] * sizeof *got);
        n_checked++;
    }
}

static uint64_t runs_label(const struct cs_run *runs, size_t n, uint32_t label)
{
    uint64_t t = 0;
    for (size_t k = 0; k < n; k++)
        if (label ? runs[k].label == label : runs[k].label != 0) t += runs[k].amount;
    return t;
}

/* Conservation per label: seed == unspent + fees. */
static void graph_conservation(const struct gstate *s, const struct graph *g)
{
    for (uint32_t label = 1; label <= 3; label++) {
        uint64_t seed = 0, end = 0;
        for (int r = 0; r < G_ROOTS; r++)
            for (uint64_t p = 0; p < g->val[r]; p++)
                seed += g->seed[r][p] == label;
        for (int o = 0; o < g->n_outs; o++)
            if (!g->spent[o]) end += runs_label(s->runs[o], s->nruns[o], label);
        for (int k = 0; k < g->n_tx; k++)
            end += runs_label(s->fee_runs[k], s->fee_nruns[k], label);
        assert_int_equal(seed, end);
    }
}

/* FIFO backward: labels of [off, off+len) of output o (or fee of tx `fee_tx`)
 * recovered from the seeds through cs_taint_fifo_backward, into dst. */
static void trace_back(const struct graph *g, int o, int fee_tx, uint64_t off, uint64_t len,
                       uint32_t *dst)
{
    if (fee_tx < 0 && g->producer[o] < 0) {
        memcpy(dst, &g->seed[o][off], len * sizeof *dst);
        return;
    }
    int k = fee_tx >= 0 ? fee_tx : g->producer[o];
    const struct gtx *t = &g->tx[k];
    uint64_t v[5], u[5];
    for (int i = 0; i < t->n_in; i++)
        v[i] = g->val[t->in[i]];
    for (int j = 0; j < t->n_out; j++)
        u[j] = g->val[t->out[j]];
    struct cs_span sp[5];
    size_t ns;
    size_t index = fee_tx >= 0 ? (size_t)t->n_out : (size_t)g->prod_index[o];
    assert_int_equal(cs_taint_fifo_backward(sp, 5, &ns, v, (size_t)t->n_in, u, (size_t)t->n_out,
                                            index, off, len),
                     0);
    uint64_t done = 0;
    for (size_t x = 0; x < ns; x++) {
        assert_int_equal(sp[x].offset + sp[x].amount <= v[sp[x].index], 1);
        trace_back(g, t->in[sp[x].index], -1, sp[x].offset, sp[x].amount, dst + done);
        done += sp[x].amount;
    }
    assert_int_equal(done, len);
}

static void test_graphs(void **state)
{
    (void)state;
    static struct graph g;
    static struct gstate s, hair, poison;
    static uint32_t fwd[G_MAXSAT], back[G_MAXSAT];
    rng_state = 77;
    n_checked = 0;
    const int graphs = 300;
    long txs = 0, traced = 0;
    for (int gi = 0; gi < graphs; gi++) {
        random_graph(&g);
        txs += g.n_tx;
        for (int pi = 0; pi < 3; pi++)
            for (int c = 0; c < 2; c++) {
                graph_run(&s, &g, ordered[pi], (enum cs_feeconv)c, nv_of[pi]);
                graph_conservation(&s, &g);
                if (ordered[pi] != CS_POLICY_FIFO || c != CS_FEE_LAST) continue;
                /* every unspent output and every fee, traced back to the seeds */
                for (int o = 0; o < g.n_outs + g.n_tx; o++) {
                    int fee_tx = o >= g.n_outs ? o - g.n_outs : -1;
                    if (fee_tx < 0 && g.spent[o]) continue;
                    uint64_t size = fee_tx >= 0 ? s.fee[fee_tx] : g.val[o];
                    const struct cs_run *runs = fee_tx >= 0 ? s.fee_runs[fee_tx] : s.runs[o];
                    size_t nr = fee_tx >= 0 ? s.fee_nruns[fee_tx] : s.nruns[o];
                    uint64_t p = 0;
                    for (size_t k = 0; k < nr; k++)
                        for (uint64_t a = 0; a < runs[k].amount; a++)
                            fwd[p++] = runs[k].label;
                    assert_int_equal(p, size);
                    if (!size) continue;
                    trace_back(&g, o < g.n_outs ? o : 0, fee_tx, 0, size, back);
                    assert_memory_equal(fwd, back, size * sizeof *fwd);
                    /* a random sub-range too */
                    uint64_t off = rnd() % size, len = 1 + rnd() % (size - off);
                    trace_back(&g, o < g.n_outs ? o : 0, fee_tx, off, len, back);
                    assert_memory_equal(fwd + off, back, len * sizeof *fwd);
                    traced++;
                }
            }
        /* haircut: conservation per label; poison >= haircut on every output */
        graph_run(&hair, &g, CS_POLICY_HAIRCUT, CS_FEE_LAST, -1);
        graph_conservation(&hair, &g);
        graph_run(&poison, &g, CS_POLICY_POISON, CS_FEE_LAST, -1);
        for (int o = 0; o < g.n_outs; o++) {
            uint64_t h = runs_label(hair.runs[o], hair.nruns[o], 0);
            uint64_t q = runs_label(poison.runs[o], poison.nruns[o], 0);
            assert_true(q >= h);
            if (o >= G_ROOTS) assert_true(q == 0 || q == g.val[o]); /* roots keep their seed */
        }
        /* haircut amounts over the graph = the reference on total taint */
        static uint64_t taint[G_MAXOUT];
        for (int r = 0; r < G_ROOTS; r++)
            taint[r] = runs_label(hair.runs[r], hair.nruns[r], 0);
        for (int k = 0; k < g.n_tx; k++) {
            const struct gtx *t = &g.tx[k];
            uint64_t v[5], ti[5], u[5], ot[5], ft;
            for (int i = 0; i < t->n_in; i++) {
                v[i] = g.val[t->in[i]];
                ti[i] = taint[t->in[i]];
            }
            for (int j = 0; j < t->n_out; j++)
                u[j] = g.val[t->out[j]];
            nv_haircut(t->n_in, v, ti, t->n_out, u, ot, &ft);
            for (int j = 0; j < t->n_out; j++) {
                taint[t->out[j]] = ot[j];
                assert_int_equal(runs_label(hair.runs[t->out[j]], hair.nruns[t->out[j]], 0), ot[j]);
            }
            assert_int_equal(runs_label(hair.fee_runs[k], hair.fee_nruns[k], 0), ft);
        }
    }
    printf("policy: graphs (seed 77): %d graphs, %ld transactions, %ld kernel results vs "
           "reference, %ld FIFO backward traces\n",
           graphs, txs, n_checked, traced);
}

/* ---- wide form (struct cs_u256 amounts) --------------------------------------- */

#define WX_IO 6   /* inputs or outputs of a wide-test transaction */
#define WX_RUNS 4 /* runs per input */

struct result_w {
    struct cs_run_w buf[RUNCAP];
    size_t used, first[NV_MAX_IO], nruns[NV_MAX_IO], fee_first, fee_nruns;
};

/* got (a struct cs_u256 lvalue) equals the decimal string want. */
#define assert_u256_dec(got, want)                                                                 \
    do {                                                                                           \
        char got_dec_[CS_U256_DEC_MAX];                                                            \
        cs_u256_to_dec(got_dec_, &(got));                                                          \
        assert_string_equal(got_dec_, (want));                                                     \
    } while (0)

static struct cs_u256 wdec(const char *s)
{
    struct cs_u256 x;
    assert_int_equal(cs_u256_from_dec(&x, s, strlen(s)), 0);
    return x;
}

static struct cs_u256 wadd(struct cs_u256 a, struct cs_u256 b)
{
    struct cs_u256 r;
    assert_int_equal(cs_u256_add(&r, &a, &b), 0);
    return r;
}

static struct cs_u256 wsub(struct cs_u256 a, struct cs_u256 b)
{
    struct cs_u256 r;
    assert_int_equal(cs_u256_sub(&r, &a, &b), 0);
    return r;
}

/* a random share of x: floor(x * r / (2^64-1)) for a random 64-bit r, so 0..x */
static struct cs_u256 wshare(struct cs_u256 x)
{
    struct cs_u256 r = cs_u256_from_u64(rnd()), d = cs_u256_from_u64(UINT64_MAX), q;
    assert_int_equal(cs_u256_muldiv(&q, &x, &r, &d), 0);
    return q;
}

static int weq(struct cs_u256 a, struct cs_u256 b)
{
    return cs_u256_cmp(&a, &b) == 0;
}

/* A run-form transaction.  The wide arrays are always filled; the 64-bit
 * twins too when every amount fits (scales 0-3). */
struct wtx {
    size_t n_in, n_out, nruns[WX_IO];
    struct cs_u256 v[WX_IO], u[WX_IO];
    struct cs_run_w runs[WX_IO][WX_RUNS];
    uint64_t v64[WX_IO], u64[WX_IO];
    struct cs_run runs64[WX_IO][WX_RUNS];
};

enum { WX_TINY, WX_U32, WX_U59, WX_U63, WX_WEI, WX_TOP, WX_SCALES };

/* One run amount.  TINY (0-40: ties, zero runs, rounding residues), U32,
 * U59 (products need 128 bits), U63 (input 0's first run near 2^63, others
 * below 2^56): at most 24 runs, so every sum stays below 2^64.  WEI: up to
 * 10^6 ETH (~10^24 wei) plus random low wei.  TOP: up to 2^200 each; the
 * caller then sizes input 0's first run so that V is within 1000 of 2^256-1. */
static struct cs_u256 wx_amount(int scale, size_t i, size_t k)
{
    switch (scale) {
    case WX_TINY:
        return cs_u256_from_u64(rnd() % 41);
    case WX_U32:
        return cs_u256_from_u64(rnd() >> 32);
    case WX_U59:
        return cs_u256_from_u64(rnd() >> 5);
    case WX_U63:
        return cs_u256_from_u64(i == 0 && k == 0 ? rnd() >> 1 : rnd() >> 8);
    case WX_WEI: {
        struct cs_u256 eth = cs_u256_from_u64(rnd() % 1000000), wei_per_eth, x;
        assert_int_equal(cs_u256_pow10(&wei_per_eth, 18), 0);
        assert_int_equal(cs_u256_mul(&x, &eth, &wei_per_eth), 0);
        return wadd(x, cs_u256_from_u64(rnd() % 3 ? rnd() : 0));
    }
    default: {
        struct cs_u256 x = {{rnd(), rnd(), rnd(), rnd() & 0xff}};
        return x;
    }
    }
}

static void wx_random(struct wtx *t, int scale)
{
    memset(t, 0, sizeof *t);
    t->n_in = (size_t)rnd_in(1, WX_IO);
    struct cs_u256 V = {{0}};
    for (size_t i = 0; i < t->n_in; i++) {
        t->nruns[i] = (size_t)rnd_in(1, WX_RUNS);
        for (size_t k = 0; k < t->nruns[i]; k++) {
            uint64_t x = rnd() % 7; /* labels biased to clean */
            t->runs[i][k].label = x < 4 ? 0 : (uint32_t)(x - 3);
            t->runs[i][k].amount = wx_amount(scale, i, k);
            V = wadd(V, t->runs[i][k].amount);
        }
    }
    if (scale == WX_TOP) { /* V := 2^256-1 - (0..999) */
        struct cs_u256 target = wsub(cs_u256_max(), cs_u256_from_u64(rnd() % 4 ? rnd() % 1000 : 0));
        struct cs_u256 *first = &t->runs[0][0].amount;
        *first = wadd(wsub(target, V), *first);
        V = target;
    }
    for (size_t i = 0; i < t->n_in; i++)
        for (size_t k = 0; k < t->nruns[i]; k++)
            t->v[i] = wadd(t->v[i], t->runs[i][k].amount);
    /* fee: 0, small, or a random share; everything when there are no outputs */
    t->n_out = (size_t)rnd_in(0, WX_IO);
    struct cs_u256 F = {{0}}, small = cs_u256_from_u64(rnd() % 41);
    switch (rnd() % 3) {
    case 0:
        break;
    case 1:
        F = cs_u256_cmp(&small, &V) < 0 ? small : V;
        break;
    default:
        F = wshare(V);
    }
    if (!t->n_out) F = V;
    struct cs_u256 left = wsub(V, F);
    for (size_t j = 0; j < t->n_out; j++) {
        struct cs_u256 x = wshare(left);
        if (j == t->n_out - 1)
            x = left;
        else if (rnd() % 5 == 0)
            x = cs_u256_from_u64(0);
        else if (j && rnd() % 4 == 0 && cs_u256_cmp(&t->u[j - 1], &left) <= 0)
            x = t->u[j - 1]; /* equal values: TIHO ties, haircut spill levels */
        t->u[j] = x;
        left = wsub(left, x);
    }
    if (scale > WX_U63) return;
    for (size_t i = 0; i < t->n_in; i++) {
        assert_int_equal(cs_u256_to_u64(&t->v64[i], &t->v[i]), 0);
        for (size_t k = 0; k < t->nruns[i]; k++) {
            t->runs64[i][k].label = t->runs[i][k].label;
            assert_int_equal(cs_u256_to_u64(&t->runs64[i][k].amount, &t->runs[i][k].amount), 0);
        }
    }
    for (size_t j = 0; j < t->n_out; j++)
        assert_int_equal(cs_u256_to_u64(&t->u64[j], &t->u[j]), 0);
}

static struct cs_u256 wx_taint(const struct wtx *t, size_t i)
{
    struct cs_u256 s = {{0}};
    for (size_t k = 0; k < t->nruns[i]; k++)
        if (t->runs[i][k].label) s = wadd(s, t->runs[i][k].amount);
    return s;
}

static size_t wx_total_runs(const struct wtx *t)
{
    size_t total = 0;
    for (size_t i = 0; i < t->n_in; i++)
        total += t->nruns[i];
    return total;
}

static int run_w(struct result_w *r, size_t cap, const struct wtx *t, enum cs_policy p,
                 enum cs_feeconv c)
{
    const struct cs_run_w *rp[WX_IO];
    for (size_t i = 0; i < t->n_in; i++)
        rp[i] = t->runs[i];
    return cs_taint_runs_w(r->buf, cap, &r->used, r->first, r->nruns, &r->fee_first, &r->fee_nruns,
                           p, c, t->v, rp, t->nruns, t->n_in, t->u, t->n_out);
}

static long n_pairs, n_pairs_err; /* u64 and wide results compared; of them, equal errors */

/* Both kernels on one transaction whose amounts fit 64 bits: the same return
 * code and, on success, the very same run buffer, sink blocks and spans.  A
 * random capacity (sometimes too small) checks that the errors agree too. */
static void diff_tx(const struct wtx *t)
{
    static struct result r;
    static struct result_w rw;
    const struct cs_run *rp[WX_IO];
    for (size_t i = 0; i < t->n_in; i++)
        rp[i] = t->runs64[i];
    for (int p = 0; p < 5; p++)
        for (int c = 0; c < 2; c++) {
            size_t cap = cs_taint_runs_bound((enum cs_policy)p, wx_total_runs(t), t->n_out);
            assert_true(cap <= RUNCAP);
            int tight = rnd() % 8 == 0;
            if (tight) cap = (size_t)(rnd() % (cap + 1));
            int rc = cs_taint_runs(r.buf, cap, &r.used, r.first, r.nruns, &r.fee_first,
                                   &r.fee_nruns, (enum cs_policy)p, (enum cs_feeconv)c, t->v64, rp,
                                   t->nruns, t->n_in, t->u64, t->n_out);
            assert_int_equal(run_w(&rw, cap, t, (enum cs_policy)p, (enum cs_feeconv)c), rc);
            if (!tight) assert_int_equal(rc, 0);
            n_pairs++;
            n_pairs_err += rc != 0;
            if (rc) continue;
            assert_int_equal(rw.used, r.used);
            for (size_t k = 0; k < r.used; k++) {
                assert_int_equal(rw.buf[k].label, r.buf[k].label);
                assert_true(weq(rw.buf[k].amount, cs_u256_from_u64(r.buf[k].amount)));
            }
            for (size_t j = 0; j < t->n_out; j++) {
                assert_int_equal(rw.first[j], r.first[j]);
                assert_int_equal(rw.nruns[j], r.nruns[j]);
            }
            assert_int_equal(rw.fee_first, r.fee_first);
            assert_int_equal(rw.fee_nruns, r.fee_nruns);
        }
    /* amount form */
    uint64_t ti[WX_IO], ot[WX_IO], ft;
    struct cs_u256 tiw[WX_IO], otw[WX_IO], ftw;
    for (size_t i = 0; i < t->n_in; i++) {
        tiw[i] = wx_taint(t, i);
        ti[i] = tiw[i].w[0];
    }
    for (int p = 0; p < 2; p++) {
        assert_int_equal(
            cs_taint_amounts(ot, &ft, (enum cs_policy)p, t->v64, ti, t->n_in, t->u64, t->n_out), 0);
        assert_int_equal(
            cs_taint_amounts_w(otw, &ftw, (enum cs_policy)p, t->v, tiw, t->n_in, t->u, t->n_out),
            0);
        for (size_t j = 0; j < t->n_out; j++)
            assert_true(weq(otw[j], cs_u256_from_u64(ot[j])));
        assert_true(weq(ftw, cs_u256_from_u64(ft)));
        n_pairs++;
    }
    /* FIFO position maps, a random range of a random output (or the fee) and input */
    struct cs_span sp[WX_IO + 1];
    struct cs_span_w spw[WX_IO + 1];
    size_t ns = 0, nsw = 0;
    uint64_t F = 0;
    for (size_t i = 0; i < t->n_in; i++)
        F += t->v64[i];
    for (size_t j = 0; j < t->n_out; j++)
        F -= t->u64[j];
    for (int forward = 0; forward < 2; forward++) {
        size_t idx = (size_t)(forward ? rnd() % t->n_in : rnd() % (t->n_out + 1));
        uint64_t size = forward ? t->v64[idx] : idx < t->n_out ? t->u64[idx] : F;
        uint64_t off = rnd() % (size + 2); /* sometimes outside, as is the length */
        uint64_t len = off > size ? 1 : rnd() % (size - off + 2);
        struct cs_u256 offw = cs_u256_from_u64(off), lenw = cs_u256_from_u64(len);
        size_t cap = (size_t)rnd_in(0, WX_IO + 1);
        int rc = forward ? cs_taint_fifo_forward(sp, cap, &ns, t->v64, t->n_in, t->u64, t->n_out,
                                                 idx, off, len)
                         : cs_taint_fifo_backward(sp, cap, &ns, t->v64, t->n_in, t->u64, t->n_out,
                                                  idx, off, len);
        int rcw = forward ? cs_taint_fifo_forward_w(spw, cap, &nsw, t->v, t->n_in, t->u, t->n_out,
                                                    idx, offw, lenw)
                          : cs_taint_fifo_backward_w(spw, cap, &nsw, t->v, t->n_in, t->u, t->n_out,
                                                     idx, offw, lenw);
        assert_int_equal(rcw, rc);
        n_pairs++;
        n_pairs_err += rc != 0;
        if (rc) continue;
        assert_int_equal(nsw, ns);
        for (size_t s = 0; s < ns; s++) {
            assert_int_equal(spw[s].index, sp[s].index);
            assert_true(weq(spw[s].offset, cs_u256_from_u64(sp[s].offset)));
            assert_true(weq(spw[s].amount, cs_u256_from_u64(sp[s].amount)));
        }
    }
}

/* (1) differential: 100,000 random transactions, amounts below 2^64 */
static void test_wide_vs_u64(void **state)
{
    (void)state;
    static struct wtx t;
    rng_state = 256;
    n_pairs = n_pairs_err = 0;
    const long cases = 100000;
    for (long c = 0; c < cases; c++) {
        wx_random(&t, (int)(c % (WX_U63 + 1)));
        diff_tx(&t);
    }
    printf("policy: wide vs u64 (seed 256): %ld transactions, %ld result pairs identical (%ld of "
           "them the same error)\n",
           cases, n_pairs, n_pairs_err);
    assert_int_equal(n_pairs, cases * 14);
}

/* Wide run invariants and conservation on one transaction: every sink's runs
 * (non-zero, merged) add up to its value; per label (clean included), inputs
 * = outputs + fee, except poison, which paints each sink with one label; the
 * amount form equals the runs' tainted sums; FIFO fee-last backward then
 * forward is the identity. */
static void wide_conserved(const struct wtx *t, enum cs_policy p, enum cs_feeconv c)
{
    static struct result_w r;
    assert_int_equal(run_w(&r, RUNCAP, t, p, c), 0);
    struct cs_u256 in_l[4] = {{{0}}}, out_l[4] = {{{0}}}, V = {{0}}, F, zero = {{0}};
    uint32_t min_label = 0;
    for (size_t i = 0; i < t->n_in; i++) {
        V = wadd(V, t->v[i]);
        for (size_t k = 0; k < t->nruns[i]; k++) {
            const struct cs_run_w *x = &t->runs[i][k];
            in_l[x->label] = wadd(in_l[x->label], x->amount);
            if (x->label && !cs_u256_is_zero(&x->amount) && (!min_label || x->label < min_label))
                min_label = x->label;
        }
    }
    F = V;
    for (size_t j = 0; j < t->n_out; j++)
        F = wsub(F, t->u[j]);
    struct cs_u256 sink_t[WX_IO + 1];
    for (size_t j = 0; j <= t->n_out; j++) {
        size_t first = j < t->n_out ? r.first[j] : r.fee_first;
        size_t n = j < t->n_out ? r.nruns[j] : r.fee_nruns;
        struct cs_u256 value = j < t->n_out ? t->u[j] : F, sum = {{0}};
        sink_t[j] = zero;
        assert_true(first + n <= r.used);
        if (p == CS_POLICY_POISON) assert_true(n <= 1);
        for (size_t k = 0; k < n; k++) {
            const struct cs_run_w *x = &r.buf[first + k];
            assert_false(cs_u256_is_zero(&x->amount));
            assert_true(x->label < 4);
            if (k) assert_int_not_equal(x->label, r.buf[first + k - 1].label);
            if (p == CS_POLICY_POISON) assert_int_equal(x->label, min_label);
            sum = wadd(sum, x->amount);
            out_l[x->label] = wadd(out_l[x->label], x->amount);
            if (x->label) sink_t[j] = wadd(sink_t[j], x->amount);
        }
        assert_true(weq(sum, value));
    }
    if (p != CS_POLICY_POISON)
        for (int l = 0; l < 4; l++)
            assert_true(weq(out_l[l], in_l[l]));
    if (p <= CS_POLICY_HAIRCUT) {
        struct cs_u256 ti[WX_IO], ot[WX_IO], ft;
        for (size_t i = 0; i < t->n_in; i++)
            ti[i] = wx_taint(t, i);
        assert_int_equal(cs_taint_amounts_w(ot, &ft, p, t->v, ti, t->n_in, t->u, t->n_out), 0);
        for (size_t j = 0; j < t->n_out; j++)
            assert_true(weq(ot[j], sink_t[j]));
        assert_true(weq(ft, sink_t[t->n_out]));
    }
    if (p != CS_POLICY_FIFO || c != CS_FEE_LAST) return;
    struct cs_span_w sp[WX_IO], sp2[WX_IO + 1];
    size_t ns, ns2, j = (size_t)(rnd() % (t->n_out + 1));
    struct cs_u256 size = j < t->n_out ? t->u[j] : F;
    struct cs_u256 off = wshare(size), len = wshare(wsub(size, off)), pos = off;
    assert_int_equal(
        cs_taint_fifo_backward_w(sp, WX_IO, &ns, t->v, t->n_in, t->u, t->n_out, j, off, len), 0);
    for (size_t s = 0; s < ns; s++) {
        assert_int_equal(cs_taint_fifo_forward_w(sp2, WX_IO + 1, &ns2, t->v, t->n_in, t->u,
                                                 t->n_out, sp[s].index, sp[s].offset, sp[s].amount),
                         0);
        assert_int_equal(ns2, 1);
        assert_int_equal(sp2[0].index, j);
        assert_true(weq(sp2[0].offset, pos));
        assert_true(weq(sp2[0].amount, sp[s].amount));
        pos = wadd(pos, sp[s].amount);
    }
    assert_true(weq(pos, wadd(off, len)));
}

/* (2) amounts above 2^64: ~10^24 wei, and totals within 1000 of 2^256-1 */
static void test_wide_big(void **state)
{
    (void)state;
    static struct wtx t;
    rng_state = 1024;
    const long cases = 4000;
    long above64 = 0;
    for (long n = 0; n < cases; n++) {
        wx_random(&t, n % 2 ? WX_TOP : WX_WEI);
        for (size_t i = 0; i < t.n_in; i++)
            above64 += !cs_u256_fits_u64(&t.v[i]);
        for (int p = 0; p < 5; p++)
            for (int c = 0; c < 2; c++)
                wide_conserved(&t, (enum cs_policy)p, (enum cs_feeconv)c);
    }
    printf("policy: wide big amounts (seed 1024): %ld transactions (%ld inputs above 2^64), "
           "value and taint conserved per label\n",
           cases, above64);
    assert_true(above64 > cases);
}

/* One hand-computed haircut: decimal amounts, up to 3 inputs of 2 runs, 4
 * outputs, sinks of up to 3 runs (outputs, then the fee). */
struct wcase_run {
    uint32_t label;
    const char *amount;
};

struct wcase {
    size_t n_in, n_out, in_nruns[3];
    struct wcase_run in[3][2];
    const char *out[4], *out_taint[4], *fee_taint;
    size_t sink_nruns[5];
    struct wcase_run sink[5][3];
};

/* Computed with Python's integers by tests/unit/policy_wide_vectors.py, which
 * implements policy.h's haircut rule independently of the C code. */
static const struct wcase wide_haircut_cases[] = {
    {/* A: amounts up to ~2^201 (2^199 + 7, 2^190 + 1, 10^45 + 3, ...) and a fee
      * that takes the whole rounding residue */
     .n_in = 3,
     .n_out = 4,
     .in_nruns = {2, 2, 1},
     .in = {{{1, "803469022129495137770981046170581301261101496891396417650695"},
             {0, "803469022129495137770981046170581301261101496891396417663026"}},
            {{2, "1569275433846670190958947355801916604025588861116008628225"},
             {0, "3138550867693340381917894711603833208051177722232017257446"}},
            {{1, "1000000000000000000000000000000000000000000003"}}},
     .out = {"803469022129495137770981046170581301261101496891396417650688",
             "50000000000000000000000000000000000000000000000000000000000",
             "300000000000000000000000000000000000000000000000000000000017",
             "50216813883093446110686315385661331328818843555712276103179"},
     .out_taint = {"401343338220478346568435242755109262848735823900371600454863",
                   "24975657254138282323691532556324180149275805671291935550733",
                   "149853943524829693942149195337945080895654834027751613304407",
                   "25083958638779896660527202672194328928045988993773225028434"},
     .fee_taint = "203781399925116588467136820204810365043414633159324051940486",
     .sink_nruns = {3, 3, 3, 3, 3},
     .sink = {{{0, "402125683909016791202545803415472038412365672991024817195825"},
               {1, "400560992531939403394889433799048033202019159166926026880565"},
               {2, "782345688538943173545808956061229646716664733445573574298"}},
              {{0, "25024342745861717676308467443675819850724194328708064449267"},
               {1, "24926971762414815946889376004877340032834708016955927643245"},
               {2, "48685491723466376802156551446840116441097654336007907488"}},
              {{0, "150146056475170306057850804662054919104345165972248386695610"},
               {1, "149561830574488895681336256029264040197008248101735565859479"},
               {2, "292112950340798260812939308681040698646585926016047444928"}},
              {{0, "25132855244313549450159112713467002400772854561939051074745"},
               {1, "25035062033246212712180589612440502075126197447932876680041"},
               {2, "48896605533683948346613059753826852919791545840348348393"}},
              {{0, "204178634622826113766034752647515354700944786759708115505025"},
               {1, "203384165227406810035685390724951385754113184157846020587368"},
               {2, "397234697709778431451429479858979289301449001478031353118"}}}},
    {/* B: amounts up to ~2^250 (2^250 - 1, 2^249 - 5, ...), no fee: the
      * residue of 1 goes to the largest output, output 1 */
     .n_in = 2,
     .n_out = 3,
     .in_nruns = {2, 1},
     .in = {{{3, "1809251394333065553493296640760748560207343510400633813116524750123642650623"},
             {0, "680564733841876926926749214863536422917"}},
            {{1, "9527906273786276976974489008089509920771"}}},
     .out = {"904625697166532776746648320380374280103671755200316906558262375061821325307",
             "904625697166532776746648320380374280784236489042193833485011589925357748227",
             "9527906273786276976974489008089509920777"},
     .out_taint = {"904625697166532776746648320380374279763389388279378443094887767630053115768",
                   "904625697166532776746648320380374280443954122121255370021636982493589538433",
                   "9527906273786276976974489008089509917193"},
     .fee_taint = "0",
     .sink_nruns = {3, 3, 3, 0},
     .sink = {{{0, "340282366920938463463374607431768209539"},
               {1, "4763953136893138488487244504044754933506"},
               {3, "904625697166532776746648320380374274999436251386239954607643263585298182262"}},
              {{0, "340282366920938463463374607431768209794"},
               {1, "4763953136893138488487244504044754937090"},
               {3, "904625697166532776746648320380374275680000985228116881534392478448834601343"}},
              {{0, "3584"}, {1, "50175"}, {3, "9527906273786276976974489008089509867018"}}}},
};

static void test_wide_haircut_exact(void **state)
{
    (void)state;
    static struct wtx t;
    static struct result_w r;
    for (size_t ci = 0; ci < sizeof wide_haircut_cases / sizeof wide_haircut_cases[0]; ci++) {
        const struct wcase *w = &wide_haircut_cases[ci];
        memset(&t, 0, sizeof t);
        t.n_in = w->n_in;
        t.n_out = w->n_out;
        for (size_t i = 0; i < w->n_in; i++) {
            t.nruns[i] = w->in_nruns[i];
            for (size_t k = 0; k < t.nruns[i]; k++) {
                t.runs[i][k].label = w->in[i][k].label;
                t.runs[i][k].amount = wdec(w->in[i][k].amount);
                t.v[i] = wadd(t.v[i], t.runs[i][k].amount);
            }
        }
        for (size_t j = 0; j < w->n_out; j++)
            t.u[j] = wdec(w->out[j]);
        /* amount form */
        struct cs_u256 ti[3], ot[4], ft;
        for (size_t i = 0; i < t.n_in; i++)
            ti[i] = wx_taint(&t, i);
        assert_int_equal(
            cs_taint_amounts_w(ot, &ft, CS_POLICY_HAIRCUT, t.v, ti, t.n_in, t.u, t.n_out), 0);
        for (size_t j = 0; j < t.n_out; j++)
            assert_u256_dec(ot[j], w->out_taint[j]);
        assert_u256_dec(ft, w->fee_taint);
        /* run form, both conventions (haircut ignores them) */
        for (int c = 0; c < 2; c++) {
            assert_int_equal(run_w(&r, RUNCAP, &t, CS_POLICY_HAIRCUT, (enum cs_feeconv)c), 0);
            for (size_t j = 0; j <= t.n_out; j++) {
                size_t first = j < t.n_out ? r.first[j] : r.fee_first;
                size_t n = j < t.n_out ? r.nruns[j] : r.fee_nruns;
                assert_int_equal(n, w->sink_nruns[j]);
                for (size_t k = 0; k < n; k++) {
                    assert_int_equal(r.buf[first + k].label, w->sink[j][k].label);
                    assert_u256_dec(r.buf[first + k].amount, w->sink[j][k].amount);
                }
            }
            wide_conserved(&t, CS_POLICY_HAIRCUT, (enum cs_feeconv)c);
        }
    }
}

/* (3) sums past 2^256-1 are CS_ERANGE; exactly 2^256-1 is fine */
static void test_wide_overflow(void **state)
{
    (void)state;
    static struct result_w r;
    const struct cs_u256 max = cs_u256_max(), one = cs_u256_from_u64(1), two = cs_u256_from_u64(2);
    const struct cs_u256 zero = {{0}};
    struct cs_u256 ot[2], ft;
    struct cs_span_w sp[4];
    size_t ns;
    /* inputs past 2^256-1, amount form, run form and both position maps */
    struct cs_u256 v[] = {max, one}, t0[] = {zero, one}, u[] = {one};
    assert_int_equal(cs_taint_amounts_w(ot, &ft, CS_POLICY_HAIRCUT, v, t0, 2, u, 1), CS_ERANGE);
    assert_non_null(strstr(cs_errmsg(), "input values overflow uint256 at input 1"));
    assert_int_equal(cs_taint_amounts_w(ot, &ft, CS_POLICY_POISON, v, t0, 2, u, 1), CS_ERANGE);
    struct cs_run_w ra[] = {{0, max}}, rb[] = {{1, one}};
    const struct cs_run_w *const rr[] = {ra, rb};
    size_t nr[] = {1, 1};
    for (int p = 0; p < 5; p++)
        assert_int_equal(cs_taint_runs_w(r.buf, RUNCAP, &r.used, r.first, r.nruns, &r.fee_first,
                                         &r.fee_nruns, (enum cs_policy)p, CS_FEE_PRORATA, v, rr, nr,
                                         2, u, 1),
                         CS_ERANGE);
    assert_int_equal(cs_taint_fifo_backward_w(sp, 4, &ns, v, 2, u, 1, 0, zero, one), CS_ERANGE);
    assert_int_equal(cs_taint_fifo_forward_w(sp, 4, &ns, v, 2, u, 1, 0, zero, one), CS_ERANGE);
    /* one input's runs past 2^256-1 */
    struct cs_run_w rc2[] = {{1, max}, {0, two}};
    const struct cs_run_w *const rr2[] = {rc2};
    size_t nr2[] = {2};
    struct cs_u256 v1[] = {one};
    assert_int_equal(cs_taint_runs_w(r.buf, RUNCAP, &r.used, r.first, r.nruns, &r.fee_first,
                                     &r.fee_nruns, CS_POLICY_FIFO, CS_FEE_LAST, v1, rr2, nr2, 1, u,
                                     1),
                     CS_ERANGE);
    assert_non_null(strstr(cs_errmsg(), "input 0: run amounts overflow uint256"));
    /* outputs past 2^256-1 */
    struct cs_u256 vm[] = {max}, tm[] = {max}, uo[] = {max, one};
    assert_int_equal(cs_taint_amounts_w(ot, &ft, CS_POLICY_HAIRCUT, vm, tm, 1, uo, 2), CS_ERANGE);
    assert_non_null(strstr(cs_errmsg(), "output values overflow uint256 at output 1"));
    /* exactly 2^256-1 in: no error.  V = (2^256-2) + 1, T = 2^255 in input 0,
     * outputs 2^256-3 and 1, F = 1.  Python integers: floor((2^256-3) 2^255 / V)
     * = 2^255 - 2 and 0, residue 2: 1 to the fee, 1 to the largest output. */
    struct cs_u256 half =
        wdec("57896044618658097711785492504343953926634992332820282019728792003956"
             "564819968"); /* 2^255 */
    struct cs_u256 vx[] = {wsub(max, one), one}, tx[] = {half, zero}, ux[] = {wsub(max, two), one};
    assert_int_equal(cs_taint_amounts_w(ot, &ft, CS_POLICY_HAIRCUT, vx, tx, 2, ux, 2), 0);
    assert_u256_dec(ot[0], "57896044618658097711785492504343953926634992332820282019728792003956"
                           "564819967");
    assert_u256_dec(ot[1], "0");
    assert_u256_dec(ft, "1");
    /* the u64 kernel refuses 2^64 - 1 + 2 in; the wide one takes it */
    uint64_t v64[] = {UINT64_MAX, 2}, t64[] = {UINT64_MAX, 0}, u64[] = {UINT64_MAX}, ot64[1], ft64;
    assert_int_equal(cs_taint_amounts(ot64, &ft64, CS_POLICY_HAIRCUT, v64, t64, 2, u64, 1),
                     CS_ERANGE);
    struct cs_u256 vw[] = {cs_u256_from_u64(UINT64_MAX), two}, tw[] = {vw[0], zero}, uw[] = {vw[0]};
    assert_int_equal(cs_taint_amounts_w(ot, &ft, CS_POLICY_HAIRCUT, vw, tw, 2, uw, 1), 0);
    /* T = u = 2^64 - 1, V = 2^64 + 1, F = 2 (Python integers): floor(u T / V)
     * = 18446744073709551613 and the residue 2 fills the fee */
    assert_u256_dec(ot[0], "18446744073709551613");
    assert_u256_dec(ft, "2");
    /* wide messages print amounts in decimal */
    struct cs_u256 ub[] = {max};
    assert_int_equal(cs_taint_amounts_w(ot, &ft, CS_POLICY_HAIRCUT, vx + 1, tx + 1, 1, ub, 1),
                     CS_EUSAGE);
    assert_non_null(strstr(cs_errmsg(),
                           "outputs (11579208923731619542357098500868790785326998466"
                           "5640564039457584007913129639935 sat) exceed inputs (1 sat)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_methods_table),
        cmocka_unit_test(test_rounding_case),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_exhaustive),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_wide),
        cmocka_unit_test(test_graphs),
        cmocka_unit_test(test_wide_vs_u64),
        cmocka_unit_test(test_wide_haircut_exact),
        cmocka_unit_test(test_wide_big),
        cmocka_unit_test(test_wide_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
