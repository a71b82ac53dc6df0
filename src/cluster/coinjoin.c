/* coinjoin.c — CoinJoin detectors of METHODS.md §2.3 over a struct cs_txv.
 *
 * All detectors work from one summary of the transaction (struct cj_stats):
 * sorted copies of the input addresses, the spendable output addresses, the
 * spendable output values and all output values.  cs_coinjoin_classify builds
 * it once; the public single-detector entry points build their own.
 *
 * Choices the spec leaves open (documented here, tested in test_coinjoin.c):
 *  - "Most frequent value": ties go to the LARGER value (as the GraphSense
 *    Tx0 code does), so results never depend on output order.  BlockSci's
 *    generic rule picks an unspecified one among ties.
 *  - Wasabi 1.1 levels: level i (2^i * 0.1 BTC, tolerance 2^i * 0.005 BTC) is
 *    active when >= 2 outputs fall in its window; participants n = the largest
 *    level count; the "n >= (outputs - 1)/2" rule is applied to the number of
 *    outputs on active levels; levels are searched while the window's lower
 *    edge is <= the largest output.
 *  - Stonewall: the GraphSense extra condition "with 4 outputs the other two
 *    differ" is implied by "exactly one value appears exactly twice".
 */
#include "cluster/coinjoin.h"

#include <stdlib.h>
#include <string.h>

#include "btc/script.h"
#include "util/error.h"

#define BTC_SAT 100000000ull

/* Inputs/outputs above these counts cannot occur in a valid block (4M weight
 * units); such a view is treated as "no match" instead of sorting it. */
#define CJ_MAX_IN 200000u
#define CJ_MAX_OUT 200000u
#define CJ_STACK 512 /* uint64 scratch entries on the stack */

/* Generic (BlockSci) dust values that are never a CoinJoin denomination. */
#define GENERIC_DUST_A 546u
#define GENERIC_DUST_B 2730u

#define WASABI1_DENOM 10000000ull /* 0.1 BTC */
#define WASABI1_TOL 500000ull     /* 0.005 BTC */
#define WASABI1_A_MAX 7u
#define WASABI1_MIN_INPUTS 10u
#define WASABI1_MIN_N 3u
#define WASABI1_MAX_LEVEL 40 /* 2^40 * 0.1 BTC exceeds all money */
#define WASABI2_MIN_INPUTS 20u
#define WASABI2_MIN_OUT 5000u
#define WASABI2_MIN_DENOMS 3u
#define TOP_INPUT_SHARE_DIV 10u /* no input script may hold more than 1/10 */

#define WHIRLPOOL_MIN_IO 5u
#define WHIRLPOOL_MAX_IO 8u
#define WHIRLPOOL_EPS_MIN 100u
#define WHIRLPOOL_EPS_MAX 110000u
#define WHIRLPOOL_MAX_NEW 4u
#define TX0_MAX_PREMIX 70u
#define TX0_MAX_OTHER 2u

#define JM_DUST 2730u
#define JM_MIN_N 3u
#define JM_LARGE_ROUND 50u
#define JM_MAX_IN_PER_N 20u

#define STONEWALL_MIN_DENOM 5000u

static const struct {
    uint64_t denom, fee;
} whirlpool_pools[] = {
    {100000, 5000},
    {1000000, 50000},
    {5000000, 175000},
    {50000000, 1750000},
};
#define N_POOLS (sizeof whirlpool_pools / sizeof whirlpool_pools[0])

struct cj_stats {
    const struct cs_txv *tx;
    int too_big;
    size_t n_in, n_out_all, n_out; /* n_out: spendable (non-OP_RETURN) outputs */
    size_t n_opreturn;
    size_t in_scripts;        /* distinct input address ids */
    size_t in_top;            /* inputs sharing the most frequent input address */
    size_t out_scripts;       /* distinct spendable output address ids */
    uint64_t sum_in, sum_out; /* all outputs */
    int sums_ok;              /* 0 if a sum overflowed uint64 (invalid tx) */
    uint64_t *vals;           /* spendable output values, ascending (n_out) */
    uint64_t *vals_all;       /* all output values, ascending (n_out_all) */
    uint64_t stack[CJ_STACK];
    uint64_t *heap;
};

static void sort_u64(uint64_t *v, size_t n);

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void sort_u64(uint64_t *v, size_t n)
{
    if (n > 16) {
        qsort(v, n, sizeof *v, cmp_u64);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        uint64_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* Distinct entries of a sorted array, and the longest run. */
static size_t distinct_sorted(const uint64_t *v, size_t n, size_t *top)
{
    size_t distinct = 0, best = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && v[j] == v[i])
            j++;
        distinct++;
        if (j - i > best) best = j - i;
        i = j;
    }
    if (top) *top = best;
    return distinct;
}

/* Number of entries of sorted v in [lo, hi]. */
static size_t count_range(const uint64_t *v, size_t n, uint64_t lo, uint64_t hi)
{
    size_t a = 0, b = n;
    while (a < b) { /* first >= lo */
        size_t m = a + (b - a) / 2;
        if (v[m] < lo)
            a = m + 1;
        else
            b = m;
    }
    size_t first = a;
    b = n;
    while (a < b) { /* first > hi */
        size_t m = a + (b - a) / 2;
        if (v[m] <= hi)
            a = m + 1;
        else
            b = m;
    }
    return a - first;
}

/* Most frequent value of sorted v among values in [lo, hi]; ties -> larger
 * value. Returns its count (0 if none) and the value in *value. */
static size_t mode_range(const uint64_t *v, size_t n, uint64_t lo, uint64_t hi, uint64_t *value)
{
    size_t best = 0;
    *value = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && v[j] == v[i])
            j++;
        if (v[i] >= lo && v[i] <= hi && j - i >= best) {
            best = j - i;
            *value = v[i];
        }
        i = j;
    }
    return best;
}

static void stats_free(struct cj_stats *st)
{
    free(st->heap);
    st->heap = NULL;
}

static void stats_build(struct cj_stats *st, const struct cs_txv *tx)
{
    memset(st, 0, offsetof(struct cj_stats, stack));
    st->heap = NULL;
    st->tx = tx;
    st->sums_ok = 1;
    if (tx->coinbase) {
        st->n_out_all = tx->n_out;
        return;
    }
    if (tx->n_in > CJ_MAX_IN || tx->n_out > CJ_MAX_OUT) {
        st->too_big = 1;
        return;
    }
    st->n_in = tx->n_in;
    st->n_out_all = tx->n_out;
    size_t need = tx->n_in + 3 * tx->n_out;
    uint64_t *buf = st->stack;
    if (need > CJ_STACK) buf = st->heap = cs_xmalloc(need * sizeof *buf);
    uint64_t *in_addr = buf, *out_addr = buf + tx->n_in;
    st->vals = out_addr + tx->n_out;
    st->vals_all = st->vals + tx->n_out;

    for (size_t i = 0; i < tx->n_in; i++) {
        in_addr[i] = tx->in[i].addr;
        if (st->sum_in + tx->in[i].value < st->sum_in) st->sums_ok = 0;
        st->sum_in += tx->in[i].value;
    }
    size_t k = 0;
    for (size_t i = 0; i < tx->n_out; i++) {
        const struct cs_txv_out *o = &tx->out[i];
        st->vals_all[i] = o->value;
        if (st->sum_out + o->value < st->sum_out) st->sums_ok = 0;
        st->sum_out += o->value;
        if (o->type == CS_ADDR_OPRETURN) {
            st->n_opreturn++;
            continue;
        }
        out_addr[k] = o->addr;
        st->vals[k] = o->value;
        k++;
    }
    st->n_out = k;
    sort_u64(in_addr, st->n_in);
    sort_u64(out_addr, st->n_out);
    sort_u64(st->vals, st->n_out);
    sort_u64(st->vals_all, st->n_out_all);
    st->in_scripts = distinct_sorted(in_addr, st->n_in, &st->in_top);
    st->out_scripts = distinct_sorted(out_addr, st->n_out, NULL);
}

static int fail(struct cs_cj_detail *d, const char *why)
{
    d->why = why;
    return 0;
}

static int ok(struct cs_cj_detail *d)
{
    d->why = "match";
    return 1;
}

static int unusable(const struct cj_stats *st, struct cs_cj_detail *d)
{
    if (st->tx->coinbase) return fail(d, "coinbase"), 1;
    if (st->too_big) return fail(d, "more inputs/outputs than a block can hold"), 1;
    return 0;
}

static int top_share_too_big(const struct cj_stats *st)
{
    return st->in_top * TOP_INPUT_SHARE_DIV > st->n_in;
}

static int do_generic(const struct cj_stats *st, struct cs_cj_detail *d)
{
    if (unusable(st, d)) return 0;
    if (st->n_in < 2 || st->n_out_all < 3) return fail(d, "fewer than 2 inputs or 3 outputs");
    size_t p = (st->n_out_all + 1) / 2;
    d->n = (uint32_t)p;
    if (p > st->n_in) return fail(d, "participants (outputs+1)/2 exceed inputs");
    if (p > st->in_scripts)
        return fail(d, "participants (outputs+1)/2 exceed distinct input addresses");
    uint64_t v;
    size_t top = mode_range(st->vals_all, st->n_out_all, 0, UINT64_MAX, &v);
    d->denom = v;
    if (top != p)
        return fail(d, "most frequent output value does not occur exactly (outputs+1)/2 times");
    if (v == GENERIC_DUST_A || v == GENERIC_DUST_B)
        return fail(d, "most frequent output value is dust (546 or 2730)");
    return ok(d);
}

static int do_wasabi10(const struct cj_stats *st, struct cs_cj_detail *d)
{
    if (unusable(st, d)) return 0;
    uint64_t v;
    size_t n = mode_range(st->vals, st->n_out, WASABI1_DENOM - WASABI1_TOL,
                          WASABI1_DENOM + WASABI1_TOL, &v);
    d->denom = v;
    d->n = (uint32_t)n;
    if (n == 0) return fail(d, "no output within 0.005 BTC of 0.1 BTC");
    if (n < WASABI1_MIN_N) return fail(d, "fewer than 3 outputs at the denomination");
    if (2 * n + 1 < st->n_out) return fail(d, "denomination outputs fewer than (outputs-1)/2");
    if (st->in_scripts < n || st->in_scripts > WASABI1_A_MAX * n)
        return fail(d, "distinct input scripts outside [n, 7n]");
    if (st->n_in < WASABI1_MIN_INPUTS) return fail(d, "fewer than 10 inputs");
    if (top_share_too_big(st)) return fail(d, "one input script holds more than 10% of the inputs");
    if (st->out_scripts != st->n_out) return fail(d, "output scripts not distinct");
    return ok(d);
}

static int do_wasabi11(const struct cj_stats *st, struct cs_cj_detail *d)
{
    if (unusable(st, d)) return 0;
    if (st->n_out == 0) return fail(d, "no spendable outputs");
    uint64_t max_out = st->vals[st->n_out - 1];
    size_t n = 0, postmix = 0;
    uint32_t levels = 0;
    for (int i = 0; i <= WASABI1_MAX_LEVEL; i++) {
        uint64_t level = WASABI1_DENOM << i, tol = WASABI1_TOL << i;
        if (level - tol > max_out) break;
        size_t c = count_range(st->vals, st->n_out, level - tol, level + tol);
        if (c < 2) continue;
        levels |= 1u << (i < 31 ? i : 31);
        postmix += c;
        if (c > n) {
            n = c;
        }
        if (!d->denom) d->denom = level;
    }
    d->n = (uint32_t)n;
    d->levels = levels;
    if (!levels) return fail(d, "no mixing level with at least 2 outputs");
    if (levels == 1u) return fail(d, "only the 0.1 BTC level is active (Wasabi 1.0)");
    if (n < WASABI1_MIN_N) return fail(d, "fewer than 3 outputs on every level");
    if (2 * postmix + 1 < st->n_out)
        return fail(d, "mixing-level outputs fewer than (outputs-1)/2");
    if (st->in_scripts < n || st->in_scripts > WASABI1_A_MAX * n)
        return fail(d, "distinct input scripts outside [n, 7n]");
    if (st->n_in < WASABI1_MIN_INPUTS) return fail(d, "fewer than 10 inputs");
    if (top_share_too_big(st)) return fail(d, "one input script holds more than 10% of the inputs");
    if (st->out_scripts != st->n_out) return fail(d, "output scripts not distinct");
    return ok(d);
}

static int do_wasabi20(const struct cj_stats *st, struct cs_cj_detail *d)
{
    if (unusable(st, d)) return 0;
    if (st->n_in < WASABI2_MIN_INPUTS) return fail(d, "fewer than 20 inputs");
    if (top_share_too_big(st)) return fail(d, "one input script holds more than 10% of the inputs");
    if (st->n_out == 0 || st->vals[0] < WASABI2_MIN_OUT)
        return fail(d, "an output below 5,000 sat");
    if (st->out_scripts != st->n_out) return fail(d, "output scripts not distinct");
    size_t denoms = 0, denom_outs = 0;
    for (size_t i = 0; i < st->n_out;) {
        size_t j = i + 1;
        while (j < st->n_out && st->vals[j] == st->vals[i])
            j++;
        if (j - i >= 2) {
            if (!denoms) d->denom = st->vals[i];
            denoms++;
            denom_outs += j - i;
        }
        i = j;
    }
    d->levels = (uint32_t)denoms;
    d->n = (uint32_t)denom_outs;
    if (denoms < WASABI2_MIN_DENOMS)
        return fail(d, "fewer than 3 denominations (values occurring twice)");
    if (2 * denom_outs + 1 < st->n_out)
        return fail(d, "denomination outputs fewer than (outputs-1)/2");
    if (denom_outs == st->n_out) return fail(d, "no output outside the denominations");
    return ok(d);
}

static int do_whirlpool(const struct cj_stats *st, struct cs_cj_detail *d)
{
    if (unusable(st, d)) return 0;
    const struct cs_txv *tx = st->tx;
    if (st->n_in < WHIRLPOOL_MIN_IO || st->n_in > WHIRLPOOL_MAX_IO || st->n_out != st->n_in)
        return fail(d, "not 5..8 inputs and as many outputs");
    if (st->in_scripts != st->n_in || st->out_scripts != st->n_out)
        return fail(d, "scripts not all distinct");
    uint64_t dv = st->vals[0];
    if (st->vals[st->n_out - 1] != dv) return fail(d, "outputs not all equal");
    size_t pool = 0;
    while (pool < N_POOLS && whirlpool_pools[pool].denom != dv)
        pool++;
    if (pool == N_POOLS) return fail(d, "output value is not a pool denomination");
    d->denom = dv;
    d->n = (uint32_t)st->n_out;
    size_t fresh = 0;
    for (size_t i = 0; i < tx->n_in; i++) {
        uint64_t v = tx->in[i].value;
        if (v < dv || v - dv > WHIRLPOOL_EPS_MAX)
            return fail(d, "an input outside [d, d + 110,000]");
        if (v > dv) {
            if (v - dv < WHIRLPOOL_EPS_MIN) return fail(d, "a new entrant pays less than 100 sat");
            fresh++;
        }
    }
    if (fresh < 1 || fresh > WHIRLPOOL_MAX_NEW) return fail(d, "not 1..4 new entrants");
    if (st->sums_ok && st->sum_in >= st->sum_out) d->fee = st->sum_in - st->sum_out;
    return ok(d);
}

static int do_tx0(const struct cj_stats *st, struct cs_cj_detail *d)
{
    if (unusable(st, d)) return 0;
    if (st->n_opreturn != 1) return fail(d, "not exactly one OP_RETURN output");
    if (st->n_out < 2) return fail(d, "fewer than 2 spendable outputs");
    const char *why = "no premix outputs at d + [100, 110,000] for any pool";
    for (size_t p = 0; p < N_POOLS; p++) {
        uint64_t dv = whirlpool_pools[p].denom, f = whirlpool_pools[p].fee, v;
        size_t n =
            mode_range(st->vals, st->n_out, dv + WHIRLPOOL_EPS_MIN, dv + WHIRLPOOL_EPS_MAX, &v);
        if (n == 0) continue;
        d->denom = dv;
        d->premix_value = v;
        d->n_premix = (uint32_t)n;
        if (n > TX0_MAX_PREMIX) {
            why = "more than 70 premix outputs";
            continue;
        }
        if (st->n_out - n > TX0_MAX_OTHER) {
            why = "more than 2 outputs besides the premix outputs";
            continue;
        }
        if (count_range(st->vals, st->n_out, f / 2, 3 * f) != 1) {
            why = "not exactly one coordinator-fee output in [0.5f, 3f]";
            continue;
        }
        d->n = (uint32_t)n;
        return ok(d);
    }
    return fail(d, why);
}

static int do_joinmarket(const struct cj_stats *st, struct cs_cj_detail *d)
{
    if (unusable(st, d)) return 0;
    uint64_t v;
    size_t n = mode_range(st->vals, st->n_out, JM_DUST + 1, UINT64_MAX, &v);
    d->denom = v;
    d->n = (uint32_t)n;
    if (n == 0) return fail(d, "no output above 2,730 sat");
    if (2 * n < st->n_out) return fail(d, "denomination outputs fewer than outputs/2");
    if (n < JM_MIN_N) return fail(d, "fewer than 3 outputs at the denomination");
    if (n > st->in_scripts) return fail(d, "more denomination outputs than distinct input scripts");
    if (st->out_scripts != st->n_out) return fail(d, "output scripts not distinct");
    if (n == st->n_out) return fail(d, "no output besides the denomination");
    if (st->n_in >= JM_LARGE_ROUND) {
        if (st->n_in > JM_MAX_IN_PER_N * n)
            return fail(d, "large round: more than 20 inputs per participant");
        if (10 * st->n_out < 17 * n)
            return fail(d, "large round: fewer than 1.7 outputs per participant");
    }
    return ok(d);
}

static int do_stonewall(const struct cj_stats *st, struct cs_cj_detail *d)
{
    if (unusable(st, d)) return 0;
    if (st->n_in < 2) return fail(d, "fewer than 2 inputs");
    if (st->n_out != 3 && st->n_out != 4) return fail(d, "not 3 or 4 spendable outputs");
    if (st->out_scripts != st->n_out) return fail(d, "output scripts not distinct");
    size_t pairs = 0;
    for (size_t i = 0; i < st->n_out;) {
        size_t j = i + 1;
        while (j < st->n_out && st->vals[j] == st->vals[i])
            j++;
        if (j - i == 2) {
            pairs++;
            d->denom = st->vals[i];
        }
        i = j;
    }
    if (pairs != 1) return fail(d, "not exactly one value appearing exactly twice");
    d->n = 2;
    if (d->denom < STONEWALL_MIN_DENOM) return fail(d, "the paired value is below 5,000 sat");
    return ok(d);
}

typedef int (*cj_fn)(const struct cj_stats *, struct cs_cj_detail *);

static int run_one(const struct cs_txv *tx, struct cs_cj_detail *detail, cj_fn fn)
{
    struct cj_stats st;
    struct cs_cj_detail scratch;
    if (!detail) detail = &scratch;
    memset(detail, 0, sizeof *detail);
    stats_build(&st, tx);
    int r = fn(&st, detail);
    stats_free(&st);
    return r;
}

int cs_cj_generic(const struct cs_txv *tx, struct cs_cj_detail *d)
{
    return run_one(tx, d, do_generic);
}
int cs_cj_wasabi10(const struct cs_txv *tx, struct cs_cj_detail *d)
{
    return run_one(tx, d, do_wasabi10);
}
int cs_cj_wasabi11(const struct cs_txv *tx, struct cs_cj_detail *d)
{
    return run_one(tx, d, do_wasabi11);
}
int cs_cj_wasabi20(const struct cs_txv *tx, struct cs_cj_detail *d)
{
    return run_one(tx, d, do_wasabi20);
}
int cs_cj_whirlpool(const struct cs_txv *tx, struct cs_cj_detail *d)
{
    return run_one(tx, d, do_whirlpool);
}
int cs_cj_tx0(const struct cs_txv *tx, struct cs_cj_detail *d)
{
    return run_one(tx, d, do_tx0);
}
int cs_cj_joinmarket(const struct cs_txv *tx, struct cs_cj_detail *d)
{
    return run_one(tx, d, do_joinmarket);
}
int cs_cj_stonewall(const struct cs_txv *tx, struct cs_cj_detail *d)
{
    return run_one(tx, d, do_stonewall);
}

unsigned cs_txv_fingerprint(const struct cs_txv *tx)
{
    unsigned fp = CS_FP_KNOWN;
    if (tx->locktime > 0) fp |= CS_FP_LOCKTIME;
    if (tx->version >= 2) fp |= CS_FP_V2;
    if (tx->in_sequence && !tx->coinbase) {
        for (size_t i = 0; i < tx->n_in; i++) {
            if (tx->in_sequence[i] < 0xfffffffeu) {
                fp |= CS_FP_RBF;
                break;
            }
        }
    }
    return fp;
}

const char *cs_cj_protocol_name(int protocol)
{
    static const char *const names[CS_CJP_COUNT] = {
        "none",      "generic",       "wasabi-1.0", "wasabi-1.1", "wasabi-2.0",
        "whirlpool", "whirlpool-tx0", "joinmarket", "stonewall",
    };
    if (protocol < 0 || protocol >= CS_CJP_COUNT) return "unknown";
    return names[protocol];
}

/* Label priority: most specific protocol first. */
static const enum cs_cj_protocol priority[] = {
    CS_CJP_WHIRLPOOL, CS_CJP_WASABI20, CS_CJP_WASABI11,   CS_CJP_WASABI10,
    CS_CJP_STONEWALL, CS_CJP_TX0,      CS_CJP_JOINMARKET, CS_CJP_GENERIC,
};

enum cs_cj_protocol cs_coinjoin_classify(const struct cs_txv *tx, unsigned flags,
                                         struct cs_cj_result *res)
{
    static const struct {
        unsigned flag;
        enum cs_cj_protocol proto;
        cj_fn fn;
    } detectors[] = {
        {CS_CJ_GENERIC, CS_CJP_GENERIC, do_generic},
        {CS_CJ_WASABI10, CS_CJP_WASABI10, do_wasabi10},
        {CS_CJ_WASABI11, CS_CJP_WASABI11, do_wasabi11},
        {CS_CJ_WASABI20, CS_CJP_WASABI20, do_wasabi20},
        {CS_CJ_WHIRLPOOL, CS_CJP_WHIRLPOOL, do_whirlpool},
        {CS_CJ_TX0, CS_CJP_TX0, do_tx0},
        {CS_CJ_JOINMARKET, CS_CJP_JOINMARKET, do_joinmarket},
    };
    struct cs_cj_detail details[CS_CJP_COUNT];
    memset(res, 0, sizeof *res);
    /* Every rule needs >= 3 outputs (Tx0: 2 spendable + OP_RETURN). */
    if (tx->coinbase || tx->n_out < 3) {
        res->detail.why = tx->coinbase ? "coinbase" : "fewer than 3 outputs";
        return res->protocol = CS_CJP_NONE;
    }
    memset(details, 0, sizeof details);
    struct cj_stats st;
    stats_build(&st, tx);
    for (size_t i = 0; i < sizeof detectors / sizeof detectors[0]; i++) {
        if ((flags & detectors[i].flag) && detectors[i].fn(&st, &details[detectors[i].proto]))
            res->matched |= CS_CJP_BIT(detectors[i].proto);
    }
    const unsigned wasabi1 = CS_CJP_BIT(CS_CJP_WASABI10) | CS_CJP_BIT(CS_CJP_WASABI11);
    const unsigned samourai = CS_CJP_BIT(CS_CJP_WHIRLPOOL) | CS_CJP_BIT(CS_CJP_TX0);
    if (flags & CS_CJ_DATE_GATE) {
        if (tx->time >= CS_CJ_ZKSNACKS_END) res->gated |= res->matched & wasabi1;
        if (tx->time >= CS_CJ_SAMOURAI_END) res->gated |= res->matched & samourai;
    }
    if (flags & CS_CJ_EXCHANGE_CONTROL) {
        unsigned hit = res->matched & (wasabi1 | CS_CJP_BIT(CS_CJP_JOINMARKET));
        for (size_t i = 0; hit && i < tx->n_in; i++) {
            if (tx->in[i].exchange) {
                res->suppressed |= hit;
                break;
            }
        }
    }
    if ((flags & CS_CJ_STONEWALL_CONTROL) && do_stonewall(&st, &details[CS_CJP_STONEWALL])) {
        res->matched |= CS_CJP_BIT(CS_CJP_STONEWALL);
        res->suppressed |=
            res->matched & ~(CS_CJP_BIT(CS_CJP_GENERIC) | CS_CJP_BIT(CS_CJP_STONEWALL));
    }
    stats_free(&st);

    unsigned live = res->matched & ~res->suppressed & ~res->gated;
    for (size_t i = 0; i < sizeof priority / sizeof priority[0]; i++) {
        if (live & CS_CJP_BIT(priority[i])) {
            res->protocol = priority[i];
            break;
        }
    }
    res->detail = details[res->protocol];
    if (res->protocol == CS_CJP_NONE) res->detail.why = "no detector matched";
    /* Tx0 outranks JoinMarket and the generic rule: its exact fingerprint
     * (one OP_RETURN, one output in the coordinator-fee band, premix values
     * at d + epsilon) is more specific than "many equal outputs", and a Tx0
     * spends one user's coins.  The mixes and Stonewall always veto. */
    const unsigned mixes = CS_CJP_BIT(CS_CJP_WASABI10) | CS_CJP_BIT(CS_CJP_WASABI11) |
                           CS_CJP_BIT(CS_CJP_WASABI20) | CS_CJP_BIT(CS_CJP_WHIRLPOOL) |
                           CS_CJP_BIT(CS_CJP_STONEWALL);
    const unsigned weak = CS_CJP_BIT(CS_CJP_JOINMARKET) | CS_CJP_BIT(CS_CJP_GENERIC);
    if (live & mixes)
        res->veto_multi_input = 1;
    else if ((live & weak) && !(live & CS_CJP_BIT(CS_CJP_TX0)))
        res->veto_multi_input = 1;
    return res->protocol;
}
