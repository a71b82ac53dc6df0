/* policy_kernel_int.h — the one copy of the taint kernel's algorithms (private
 * to src/trace; the _int.h ending keeps `make install` from shipping it).
 *
 * policy.c includes this file once with 64-bit amounts (cs_taint_amounts,
 * cs_taint_runs, cs_taint_fifo_*: satoshi) and policy_wide.c once with
 * struct cs_u256 amounts (the same names with _w: wei).  The rules, rounding
 * and error codes are policy.h's; this file only states them once.
 *
 * The includer defines, before the #include:
 *   KN(name)        the public name of this instance (name, or name##_w)
 *   AMT, RUN, SPAN  the amount type and its run and span structs
 *   A_NAME          string literal naming the range ("uint64"), for messages
 *   A_FMT, A_ARG(a) printf conversion and argument for an amount
 *   A_ZERO          the amount 0
 *   A_IS0(a), A_EQ(a, b), A_LT(a, b)            tests
 *   A_ADD(a, b), A_SUB(a, b)   a + b, a - b modulo the type's range, as
 *                   uint64_t's operators are: the algorithms below only use
 *                   them where the result is in range, or where a wrapped
 *                   value is thrown away because an A_ADD_OV on the same
 *                   values reports CS_ERANGE (scan_runs' taint)
 *   A_ADD_OV(dst, a, b)        *dst = a + b; non-zero (and *dst unspecified)
 *                   if the sum leaves the range
 *   A_MULDIV(a, b, c)          floor(a b / c) for c > 0 and a <= c or b <= c
 *                   (so the quotient fits); the product is exact
 *   A_IDX(a), A_OF_IDX(k)      an output index kept in an amount field
 *                   (TIHO's sort scratch lives in the caller's run buffer)
 *
 * With the 64-bit definitions every operation is the plain C operator, so
 * the u64 kernel is the code it was before the wide form existed.
 * Costs: every A_* is O(1); for struct cs_u256 they are a few limb
 * operations, and A_MULDIV is cs_u256_muldiv (one hardware multiply-divide
 * while the operands fit 64 bits). */
#ifndef KN
#error "policy_kernel_int.h: define KN, AMT, RUN, SPAN and the A_* operations first"
#endif

#include <string.h>

#include "trace/policy.h"

/* ---- validation ---------------------------------------------------------- */

static int sum_outputs(AMT *total, const AMT *out_val, size_t n_out)
{
    AMT u = A_ZERO;
    if (n_out && !out_val) return cs_error(CS_EUSAGE, "taint: out_val is NULL, n_out %zu", n_out);
    for (size_t j = 0; j < n_out; j++)
        if (A_ADD_OV(&u, u, out_val[j]))
            return cs_error(CS_ERANGE, "taint: output values overflow " A_NAME " at output %zu", j);
    *total = u;
    return 0;
}

static int check_fee(AMT *fee, AMT in_total, AMT out_total)
{
    if (A_LT(in_total, out_total))
        return cs_error(CS_EUSAGE,
                        "taint: outputs (" A_FMT " sat) exceed inputs (" A_FMT " sat); coinbase "
                        "is the walker's business",
                        A_ARG(out_total), A_ARG(in_total));
    *fee = A_SUB(in_total, out_total);
    return 0;
}

/* Totals of a run-form transaction.  min_label is the lowest non-zero label
 * with a non-zero amount (0 if none); nlabel_runs counts tainted runs. */
struct totals {
    AMT in, taint, out, fee;
    uint32_t min_label;
    size_t nlabel_runs;
};

static int scan_runs(struct totals *tot, const AMT *in_val, const RUN *const *in_runs,
                     const size_t *in_nruns, size_t n_in, const AMT *out_val, size_t n_out)
{
    memset(tot, 0, sizeof *tot);
    if (n_in && (!in_val || !in_runs || !in_nruns))
        return cs_error(CS_EUSAGE, "taint: NULL input arrays with n_in %zu", n_in);
    for (size_t i = 0; i < n_in; i++) {
        const RUN *r = in_runs[i];
        AMT sum = A_ZERO;
        if (in_nruns[i] && !r) return cs_error(CS_EUSAGE, "taint: input %zu: runs are NULL", i);
        for (size_t k = 0; k < in_nruns[i]; k++) {
            if (A_ADD_OV(&sum, sum, r[k].amount))
                return cs_error(CS_ERANGE, "taint: input %zu: run amounts overflow " A_NAME, i);
            if (r[k].label && !A_IS0(r[k].amount)) {
                tot->taint = A_ADD(tot->taint, r[k].amount); /* <= in total, checked below */
                tot->nlabel_runs++;
                if (!tot->min_label || r[k].label < tot->min_label) tot->min_label = r[k].label;
            }
        }
        if (!A_EQ(sum, in_val[i]))
            return cs_error(CS_EUSAGE,
                            "taint: input %zu: runs add up to " A_FMT " sat, value is " A_FMT, i,
                            A_ARG(sum), A_ARG(in_val[i]));
        if (A_ADD_OV(&tot->in, tot->in, in_val[i]))
            return cs_error(CS_ERANGE, "taint: input values overflow " A_NAME " at input %zu", i);
    }
    int rc = sum_outputs(&tot->out, out_val, n_out);
    if (rc) return rc;
    return check_fee(&tot->fee, tot->in, tot->out);
}

/* ---- haircut plan ---------------------------------------------------------- */

/* Everything needed to produce the haircut amount of output j in index order:
 * a_j = floor(u_j T / V) plus its share of the rounding residue.  The residue
 * fills outputs in (value desc, index asc) order: all outputs of value >
 * level are filled completely, outputs of value == level take what is left
 * (level_left) in index order. */
struct haircut {
    AMT in, taint, fee_taint;
    int spill;      /* residue goes to outputs */
    AMT level;      /* value level where the spill stops */
    AMT level_left; /* residue still to give at that level (running) */
};

static void haircut_plan(struct haircut *h, AMT in, AMT taint, AMT fee, const AMT *out_val,
                         size_t n_out)
{
    h->in = in;
    h->taint = taint;
    h->spill = 0;
    h->level = A_ZERO;
    h->level_left = A_ZERO;
    if (A_IS0(taint) || A_EQ(taint, in)) { /* nothing to round: 0 or everything */
        h->fee_taint = A_IS0(taint) ? A_ZERO : fee;
        return;
    }
    AMT assigned = A_ZERO;
    for (size_t j = 0; j < n_out; j++)
        assigned = A_ADD(assigned, A_MULDIV(out_val[j], taint, in));
    /* assigned <= floor(sum(u) T / V) <= T: the METHODS cap never binds. */
    AMT rest = A_SUB(taint, assigned);
    h->fee_taint = A_LT(rest, fee) ? rest : fee;
    rest = A_SUB(rest, h->fee_taint);
    if (A_IS0(rest)) return;
    /* Walk value levels downward until the residue fits.  Terminates: total
     * room sum(u_j - floor) >= rest because T <= V and the fee is full. */
    int first = 1;
    AMT prev = A_ZERO;
    for (;;) {
        AMT level = A_ZERO, room = A_ZERO;
        int found = 0;
        for (size_t j = 0; j < n_out; j++) {
            AMT u = out_val[j];
            if (!first && !A_LT(u, prev)) continue;
            AMT r = A_SUB(u, A_MULDIV(u, taint, in));
            if (A_IS0(r)) continue;
            if (!found || A_LT(level, u)) {
                level = u;
                room = A_ZERO;
                found = 1;
            }
            if (A_EQ(u, level)) room = A_ADD(room, r);
        }
        if (!found) BUG("haircut residue " A_FMT " does not fit", A_ARG(rest));
        if (!A_LT(room, rest)) {
            h->spill = 1;
            h->level = level;
            h->level_left = rest;
            return;
        }
        rest = A_SUB(rest, room);
        prev = level;
        first = 0;
    }
}

/* Haircut amount of output j; call in increasing j (consumes level_left). */
static inline AMT haircut_next(struct haircut *h, AMT u)
{
    if (A_IS0(h->taint)) return A_ZERO;
    if (A_EQ(h->taint, h->in)) return u;
    AMT a = A_MULDIV(u, h->taint, h->in);
    if (h->spill) {
        if (A_LT(h->level, u)) return u;
        if (A_EQ(u, h->level)) {
            AMT e = A_SUB(u, a);
            if (A_LT(h->level_left, e)) e = h->level_left;
            h->level_left = A_SUB(h->level_left, e);
            a = A_ADD(a, e);
        }
    }
    return a;
}

int KN(cs_taint_amounts)(AMT *out_taint, AMT *fee_taint, enum cs_policy policy, const AMT *in_val,
                         const AMT *in_taint, size_t n_in, const AMT *out_val, size_t n_out)
{
    if (policy != CS_POLICY_POISON && policy != CS_POLICY_HAIRCUT)
        return cs_error(CS_EUSAGE, "taint: policy %s needs run lists (cs_taint_runs)",
                        cs_policy_name(policy));
    if ((n_in && (!in_val || !in_taint)) || (n_out && !out_taint) || !fee_taint)
        return cs_error(CS_EUSAGE, "taint: NULL array argument");
    AMT in = A_ZERO, taint = A_ZERO, out = A_ZERO, fee = A_ZERO;
    for (size_t i = 0; i < n_in; i++) {
        if (A_LT(in_val[i], in_taint[i]))
            return cs_error(CS_EUSAGE, "taint: input %zu: taint " A_FMT " exceeds value " A_FMT, i,
                            A_ARG(in_taint[i]), A_ARG(in_val[i]));
        if (A_ADD_OV(&in, in, in_val[i]))
            return cs_error(CS_ERANGE, "taint: input values overflow " A_NAME " at input %zu", i);
        taint = A_ADD(taint, in_taint[i]); /* <= in */
    }
    int rc = sum_outputs(&out, out_val, n_out);
    if (rc) return rc;
    rc = check_fee(&fee, in, out);
    if (rc) return rc;
    if (policy == CS_POLICY_POISON) {
        for (size_t j = 0; j < n_out; j++)
            out_taint[j] = A_IS0(taint) ? A_ZERO : out_val[j];
        *fee_taint = A_IS0(taint) ? A_ZERO : fee;
        return 0;
    }
    struct haircut h;
    haircut_plan(&h, in, taint, fee, out_val, n_out);
    for (size_t j = 0; j < n_out; j++)
        out_taint[j] = haircut_next(&h, out_val[j]);
    *fee_taint = h.fee_taint;
    return 0;
}

/* ---- run emission -------------------------------------------------------- */

struct emitter {
    RUN *buf;
    size_t limit; /* usable entries: capacity minus borrowed scratch */
    size_t used;
    size_t sink_start; /* first run of the sink being written */
    size_t sink;       /* output index of that sink, n_out = fee (messages) */
};

static int emit_full(const struct emitter *e)
{
    return cs_error(CS_ERANGE,
                    "taint: run buffer full (%zu runs usable) while writing sink %zu; size it "
                    "with cs_taint_runs_bound()",
                    e->limit, e->sink);
}

/* Appends (label, amount > 0) to the current sink, merging with its last run. */
static inline int emit(struct emitter *e, uint32_t label, AMT amount)
{
    if (e->used > e->sink_start && e->buf[e->used - 1].label == label) {
        e->buf[e->used - 1].amount = A_ADD(e->buf[e->used - 1].amount, amount);
        return 0;
    }
    if (e->used >= e->limit) return emit_full(e);
    e->buf[e->used].label = label;
    e->buf[e->used].amount = amount;
    e->used++;
    return 0;
}

static inline void sink_open(struct emitter *e, size_t sink)
{
    e->sink = sink;
    e->sink_start = e->used;
}

/* ---- poison ---------------------------------------------------------------- */

static int runs_poison(struct emitter *e, size_t *out_first, size_t *out_nruns, size_t *fee_first,
                       size_t *fee_nruns, const struct totals *tot, const AMT *out_val,
                       size_t n_out)
{
    /* first theft label wins: the lowest non-zero label paints everything */
    uint32_t label = A_IS0(tot->taint) ? 0 : tot->min_label;
    for (size_t j = 0; j <= n_out; j++) {
        AMT u = j < n_out ? out_val[j] : tot->fee;
        sink_open(e, j);
        if (!A_IS0(u)) {
            int rc = emit(e, label, u);
            if (rc) return rc;
        }
        if (j < n_out) {
            out_first[j] = e->sink_start;
            out_nruns[j] = e->used - e->sink_start;
        } else {
            *fee_first = e->sink_start;
            *fee_nruns = e->used - e->sink_start;
        }
    }
    return 0;
}

/* ---- haircut per label ---------------------------------------------------- */

/* Label table: the distinct non-zero labels, ascending, with their pools
 * (amount still unassigned), kept at the top of the caller's run buffer:
 * buf[cap - n .. cap). */
struct labels {
    RUN *tab;
    size_t n;
};

static int labels_build(struct labels *lt, RUN *buf, size_t cap, const RUN *const *in_runs,
                        const size_t *in_nruns, size_t n_in)
{
    lt->n = 0;
    lt->tab = cap ? buf + cap : buf; /* no arithmetic on a NULL buffer */
    uint32_t last = 0;               /* fast path: repeated label */
    RUN *hit = NULL;
    for (size_t i = 0; i < n_in; i++)
        for (size_t k = 0; k < in_nruns[i]; k++) {
            const RUN *r = &in_runs[i][k];
            if (!r->label || A_IS0(r->amount)) continue;
            if (hit && r->label == last) {
                hit->amount = A_ADD(hit->amount, r->amount);
                continue;
            }
            size_t lo = 0, hi = lt->n; /* first entry with label >= r->label */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (lt->tab[mid].label < r->label)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < lt->n && lt->tab[lo].label == r->label) {
                hit = &lt->tab[lo];
            } else {
                if (lt->n == cap)
                    return cs_error(CS_ERANGE,
                                    "taint: run buffer (%zu) too small for the haircut label "
                                    "table; size it with cs_taint_runs_bound()",
                                    cap);
                /* grow downward: entries below the insertion point move down */
                lt->tab--;
                memmove(lt->tab, lt->tab + 1, lo * sizeof *lt->tab);
                lt->n++;
                hit = &lt->tab[lo];
                hit->label = r->label;
                hit->amount = A_ZERO;
            }
            hit->amount = A_ADD(hit->amount, r->amount);
            last = r->label;
        }
    return 0;
}

/* Writes one haircut sink of value u with tainted amount a, splitting a over
 * the label pools (remaining total `*pool`). */
static int haircut_sink(struct emitter *e, struct labels *lt, AMT *pool, AMT u, AMT a)
{
    int rc;
    if (A_LT(a, u) && (rc = emit(e, 0, A_SUB(u, a)))) return rc;
    if (A_IS0(a)) return 0;
    if (lt->n == 1) {
        lt->tab[0].amount = A_SUB(lt->tab[0].amount, a);
        *pool = A_SUB(*pool, a);
        return emit(e, lt->tab[0].label, a);
    }
    AMT floors = A_ZERO;
    for (size_t l = 0; l < lt->n; l++)
        floors = A_ADD(floors, A_MULDIV(a, lt->tab[l].amount, *pool));
    AMT rest = A_SUB(a, floors); /* < number of labels */
    for (size_t l = 0; l < lt->n; l++) {
        AMT have = lt->tab[l].amount;
        AMT x = A_MULDIV(a, have, *pool);
        AMT room = A_SUB(have, x);
        AMT extra = A_LT(room, rest) ? room : rest;
        x = A_ADD(x, extra);
        rest = A_SUB(rest, extra);
        if (!A_IS0(x)) {
            lt->tab[l].amount = A_SUB(have, x);
            if ((rc = emit(e, lt->tab[l].label, x))) return rc;
        }
    }
    *pool = A_SUB(*pool, a);
    return 0;
}

static int runs_haircut(struct emitter *e, size_t *out_first, size_t *out_nruns, size_t *fee_first,
                        size_t *fee_nruns, const struct totals *tot, const RUN *const *in_runs,
                        const size_t *in_nruns, size_t n_in, const AMT *out_val, size_t n_out)
{
    struct labels lt;
    int rc = labels_build(&lt, e->buf, e->limit, in_runs, in_nruns, n_in);
    if (rc) return rc;
    e->limit -= lt.n;
    struct haircut h;
    haircut_plan(&h, tot->in, tot->taint, tot->fee, out_val, n_out);
    AMT pool = tot->taint;
    for (size_t j = 0; j < n_out; j++) {
        sink_open(e, j);
        if ((rc = haircut_sink(e, &lt, &pool, out_val[j], haircut_next(&h, out_val[j])))) return rc;
        out_first[j] = e->sink_start;
        out_nruns[j] = e->used - e->sink_start;
    }
    sink_open(e, n_out);
    if ((rc = haircut_sink(e, &lt, &pool, tot->fee, h.fee_taint))) return rc;
    *fee_first = e->sink_start;
    *fee_nruns = e->used - e->sink_start;
    if (!A_IS0(pool)) BUG("haircut left " A_FMT " taint unassigned", A_ARG(pool));
    return 0;
}

/* ---- ordered policies ------------------------------------------------------- */

struct fill {
    struct emitter em;
    const AMT *out_val;
    size_t n_out;
    size_t *out_first, *out_nruns, *fee_first, *fee_nruns;
    const RUN *order; /* TIHO: A_IDX(order[k].amount) = output index; else NULL */
    size_t n_sinks;   /* n_out, +1 when the fee is the last sink */
    size_t k;         /* current sink, in sink order */
    AMT need;         /* value the current sink still lacks */
    AMT fee;
};

static inline size_t sink_index(const struct fill *f, size_t k)
{
    if (k == f->n_out) return f->n_out; /* the fee */
    return f->order ? A_IDX(f->order[k].amount) : k;
}

static void fill_open(struct fill *f, size_t k)
{
    size_t idx = sink_index(f, k);
    f->k = k;
    sink_open(&f->em, idx);
    f->need = idx < f->n_out ? f->out_val[idx] : f->fee;
}

static void fill_close(struct fill *f)
{
    size_t idx = f->em.sink, n = f->em.used - f->em.sink_start;
    if (idx < f->n_out) {
        f->out_first[idx] = f->em.sink_start;
        f->out_nruns[idx] = n;
    } else {
        *f->fee_first = f->em.sink_start;
        *f->fee_nruns = n;
    }
}

static int pour(struct fill *f, uint32_t label, AMT amount)
{
    while (!A_IS0(amount)) {
        while (A_IS0(f->need)) {
            fill_close(f);
            if (f->k + 1 >= f->n_sinks) BUG("taint: sources exceed sinks");
            fill_open(f, f->k + 1);
        }
        AMT take = A_LT(amount, f->need) ? amount : f->need;
        int rc = emit(&f->em, label, take);
        if (rc) return rc;
        amount = A_SUB(amount, take);
        f->need = A_SUB(f->need, take);
    }
    return 0;
}

/* Pours input (runs, n, value v) after removing its pro-rata fee share fi
 * (0 under fee-last); see policy.h for the rounding. */
static int pour_input(struct fill *f, const RUN *runs, size_t n, AMT v, AMT fi)
{
    int rc;
    if (A_IS0(fi)) {
        for (size_t k = 0; k < n; k++)
            if (!A_IS0(runs[k].amount) && (rc = pour(f, runs[k].label, runs[k].amount))) return rc;
        return 0;
    }
    AMT cum = A_ZERO, prev = A_ZERO;
    for (size_t k = 0; k < n; k++) {
        cum = A_ADD(cum, runs[k].amount);
        AMT cur = A_MULDIV(cum, fi, v);
        AMT keep = A_SUB(runs[k].amount, A_SUB(cur, prev));
        prev = cur;
        if (!A_IS0(keep) && (rc = pour(f, runs[k].label, keep))) return rc;
    }
    return 0;
}

/* Emits the fee's share of an input into the current (fee) sink. */
static int fee_input(struct emitter *e, const RUN *runs, size_t n, AMT v, AMT fi)
{
    AMT cum = A_ZERO, prev = A_ZERO;
    for (size_t k = 0; k < n && A_LT(prev, fi); k++) {
        cum = A_ADD(cum, runs[k].amount);
        AMT cur = A_MULDIV(cum, fi, v);
        int rc;
        if (A_LT(prev, cur) && (rc = emit(e, runs[k].label, A_SUB(cur, prev)))) return rc;
        prev = cur;
    }
    return 0;
}

static int input_tainted(const RUN *runs, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (runs[k].label && !A_IS0(runs[k].amount)) return 1;
    return 0;
}

/* TIHO output order: value descending, index ascending; a strict total order,
 * so any sort gives the same result. */
static inline int out_before(const AMT *out_val, size_t a, size_t b)
{
    return A_LT(out_val[b], out_val[a]) || (A_EQ(out_val[a], out_val[b]) && a < b);
}

static void sift_down(RUN *o, size_t root, size_t n, const AMT *out_val)
{
    for (;;) {
        size_t c = 2 * root + 1;
        if (c >= n) return;
        if (c + 1 < n && out_before(out_val, A_IDX(o[c].amount), A_IDX(o[c + 1].amount))) c++;
        if (!out_before(out_val, A_IDX(o[root].amount), A_IDX(o[c].amount))) return;
        RUN t = o[root];
        o[root] = o[c];
        o[c] = t;
        root = c;
    }
}

static void sort_outputs(RUN *o, size_t n, const AMT *out_val)
{
    for (size_t k = 0; k < n; k++) {
        o[k].label = 0;
        o[k].amount = A_OF_IDX(k);
    }
    if (n <= 16) { /* insertion sort; typical transactions have 1-3 outputs */
        for (size_t k = 1; k < n; k++) {
            RUN t = o[k];
            size_t p = k;
            while (p > 0 && out_before(out_val, A_IDX(t.amount), A_IDX(o[p - 1].amount))) {
                o[p] = o[p - 1];
                p--;
            }
            o[p] = t;
        }
        return;
    }
    for (size_t k = n / 2; k-- > 0;)
        sift_down(o, k, n, out_val); /* heap: last on top */
    for (size_t end = n; end-- > 1;) {
        RUN t = o[0];
        o[0] = o[end];
        o[end] = t;
        sift_down(o, 0, end, out_val);
    }
}

/* floor(C F / V), input i's cumulative pro-rata fee; 0 under fee-last (F = 0). */
static inline AMT fee_cum(AMT cum, AMT F, AMT V)
{
    return A_IS0(F) ? A_ZERO : A_MULDIV(cum, F, V);
}

static int runs_ordered(struct fill *f, enum cs_policy policy, enum cs_feeconv feeconv,
                        const struct totals *tot, const AMT *in_val, const RUN *const *in_runs,
                        const size_t *in_nruns, size_t n_in)
{
    int rc = 0;
    int prorata = feeconv == CS_FEE_PRORATA && !A_IS0(tot->fee);
    AMT V = tot->in, F = prorata ? tot->fee : A_ZERO;
    f->n_sinks = prorata ? f->n_out : f->n_out + 1;
    if (f->n_sinks) fill_open(f, 0);

    if (policy == CS_POLICY_FIFO) {
        AMT cum = A_ZERO, prev = A_ZERO;
        for (size_t i = 0; i < n_in && !rc; i++) {
            cum = A_ADD(cum, in_val[i]);
            AMT cur = fee_cum(cum, F, V);
            rc = pour_input(f, in_runs[i], in_nruns[i], in_val[i], A_SUB(cur, prev));
            prev = cur;
        }
    } else if (policy == CS_POLICY_LIFO) {
        AMT cum = V, hi = F; /* hi = floor(C_i F / V) for the current i */
        for (size_t i = n_in; i-- > 0 && !rc;) {
            cum = A_SUB(cum, in_val[i]);
            AMT lo = fee_cum(cum, F, V);
            rc = pour_input(f, in_runs[i], in_nruns[i], in_val[i], A_SUB(hi, lo));
            hi = lo;
        }
    } else { /* TIHO: tainted inputs first, stable */
        for (int pass = 1; pass >= 0 && !rc; pass--) {
            AMT cum = A_ZERO, prev = A_ZERO;
            for (size_t i = 0; i < n_in && !rc; i++) {
                cum = A_ADD(cum, in_val[i]);
                AMT cur = fee_cum(cum, F, V);
                if (input_tainted(in_runs[i], in_nruns[i]) == pass)
                    rc = pour_input(f, in_runs[i], in_nruns[i], in_val[i], A_SUB(cur, prev));
                prev = cur;
            }
        }
    }
    if (rc) return rc;
    if (f->n_sinks) {
        fill_close(f);
        for (size_t k = f->k + 1; k < f->n_sinks; k++) { /* trailing zero-value sinks */
            fill_open(f, k);
            if (!A_IS0(f->need)) BUG("taint: sinks exceed sources");
            fill_close(f);
        }
        if (!A_IS0(f->need)) BUG("taint: sinks exceed sources");
    }
    if (!prorata) return 0; /* the fee was the last sink */
    /* the fee: every input's share, in original input order */
    sink_open(&f->em, f->n_out);
    AMT cum = A_ZERO, prev = A_ZERO;
    for (size_t i = 0; i < n_in; i++) {
        cum = A_ADD(cum, in_val[i]);
        AMT cur = A_MULDIV(cum, F, V);
        if (A_LT(prev, cur) &&
            (rc = fee_input(&f->em, in_runs[i], in_nruns[i], in_val[i], A_SUB(cur, prev))))
            return rc;
        prev = cur;
    }
    *f->fee_first = f->em.sink_start;
    *f->fee_nruns = f->em.used - f->em.sink_start;
    return 0;
}

int KN(cs_taint_runs)(RUN *runs, size_t runs_cap, size_t *runs_used, size_t *out_first,
                      size_t *out_nruns, size_t *fee_first, size_t *fee_nruns,
                      enum cs_policy policy, enum cs_feeconv feeconv, const AMT *in_val,
                      const RUN *const *in_runs, const size_t *in_nruns, size_t n_in,
                      const AMT *out_val, size_t n_out)
{
    if ((unsigned)policy > CS_POLICY_TIHO)
        return cs_error(CS_EUSAGE, "taint: unknown policy %d", (int)policy);
    if (feeconv != CS_FEE_LAST && feeconv != CS_FEE_PRORATA)
        return cs_error(CS_EUSAGE, "taint: unknown fee convention %d", (int)feeconv);
    if ((runs_cap && !runs) || !runs_used || !fee_first || !fee_nruns ||
        (n_out && (!out_first || !out_nruns)))
        return cs_error(CS_EUSAGE, "taint: NULL result argument");
    struct totals tot;
    int rc = scan_runs(&tot, in_val, in_runs, in_nruns, n_in, out_val, n_out);
    if (rc) return rc;

    struct emitter em = {.buf = runs, .limit = runs_cap};
    switch (policy) {
    case CS_POLICY_POISON:
        rc = runs_poison(&em, out_first, out_nruns, fee_first, fee_nruns, &tot, out_val, n_out);
        break;
    case CS_POLICY_HAIRCUT:
        rc = runs_haircut(&em, out_first, out_nruns, fee_first, fee_nruns, &tot, in_runs, in_nruns,
                          n_in, out_val, n_out);
        break;
    default: {
        struct fill f = {.out_val = out_val,
                         .n_out = n_out,
                         .out_first = out_first,
                         .out_nruns = out_nruns,
                         .fee_first = fee_first,
                         .fee_nruns = fee_nruns,
                         .fee = tot.fee};
        f.em = em;
        if (policy == CS_POLICY_TIHO && n_out > 1) {
            if (runs_cap < n_out)
                return cs_error(CS_ERANGE,
                                "taint: run buffer (%zu) smaller than TIHO's %zu-output sort "
                                "scratch",
                                runs_cap, n_out);
            f.em.limit = runs_cap - n_out;
            sort_outputs(runs + f.em.limit, n_out, out_val);
            f.order = runs + f.em.limit;
        }
        rc = runs_ordered(&f, policy, feeconv, &tot, in_val, in_runs, in_nruns, n_in);
        em = f.em;
        break;
    }
    }
    if (rc) return rc;
    *runs_used = em.used;
    return 0;
}

/* ---- FIFO position maps --------------------------------------------------- */

/* Maps the stream range [pos, pos + amount) onto consecutive segments of
 * sizes seg[0..n) (plus, when extra_last is set, a final segment of size
 * `last`), writing (segment, offset within it, amount) spans. */
static int map_range(SPAN *spans, size_t spans_cap, size_t *n_spans, const AMT *seg, size_t n,
                     AMT last, int extra_last, AMT pos, AMT amount)
{
    size_t w = 0;
    AMT start = A_ZERO, end = A_ADD(pos, amount); /* no overflow: end <= total, checked */
    size_t nseg = n + (extra_last ? 1 : 0);
    for (size_t s = 0; s < nseg && A_LT(start, end); s++) {
        AMT len = s < n ? seg[s] : last;
        AMT stop = A_ADD(start, len);
        AMT lo = A_LT(start, pos) ? pos : start;
        AMT hi = A_LT(end, stop) ? end : stop;
        if (A_LT(lo, hi)) {
            if (w == spans_cap)
                return cs_error(CS_ERANGE, "taint: span buffer full (%zu spans)", spans_cap);
            spans[w].index = s;
            spans[w].offset = A_SUB(lo, start);
            spans[w].amount = A_SUB(hi, lo);
            w++;
        }
        start = stop;
    }
    *n_spans = w;
    return 0;
}

static int fifo_totals(AMT *in, AMT *out, AMT *fee, const AMT *in_val, size_t n_in,
                       const AMT *out_val, size_t n_out)
{
    *in = A_ZERO;
    if (n_in && !in_val) return cs_error(CS_EUSAGE, "taint: in_val is NULL, n_in %zu", n_in);
    for (size_t i = 0; i < n_in; i++)
        if (A_ADD_OV(in, *in, in_val[i]))
            return cs_error(CS_ERANGE, "taint: input values overflow " A_NAME " at input %zu", i);
    int rc = sum_outputs(out, out_val, n_out);
    if (rc) return rc;
    return check_fee(fee, *in, *out);
}

/* The one body of both maps: forward maps the range of input `index` onto
 * the outputs and the fee, backward the range of output `index` (n_out = the
 * fee) onto the inputs. */
static int fifo_map(SPAN *spans, size_t spans_cap, size_t *n_spans, const AMT *in_val, size_t n_in,
                    const AMT *out_val, size_t n_out, int forward, size_t index, AMT offset,
                    AMT amount)
{
    AMT in = A_ZERO, out = A_ZERO, fee = A_ZERO;
    int rc = fifo_totals(&in, &out, &fee, in_val, n_in, out_val, n_out);
    if (rc) return rc;
    if (forward && index >= n_in)
        return cs_error(CS_EUSAGE, "taint: input %zu out of range (%zu inputs)", index, n_in);
    if (!forward && index > n_out)
        return cs_error(CS_EUSAGE, "taint: output %zu out of range (%zu outputs + fee)", index,
                        n_out);
    const AMT *from = forward ? in_val : out_val;
    AMT size = forward || index < n_out ? from[index] : fee;
    if (A_LT(size, offset) || A_LT(A_SUB(size, offset), amount))
        return cs_error(
            CS_EUSAGE, "taint: range [" A_FMT ", +" A_FMT ") outside %s %zu of " A_FMT " sat",
            A_ARG(offset), A_ARG(amount), forward ? "input" : "output", index, A_ARG(size));
    AMT pos = offset;
    for (size_t k = 0; k < index; k++)
        pos = A_ADD(pos, from[k]);
    if (forward) return map_range(spans, spans_cap, n_spans, out_val, n_out, fee, 1, pos, amount);
    return map_range(spans, spans_cap, n_spans, in_val, n_in, A_ZERO, 0, pos, amount);
}

int KN(cs_taint_fifo_backward)(SPAN *spans, size_t spans_cap, size_t *n_spans, const AMT *in_val,
                               size_t n_in, const AMT *out_val, size_t n_out, size_t out_index,
                               AMT offset, AMT amount)
{
    return fifo_map(spans, spans_cap, n_spans, in_val, n_in, out_val, n_out, 0, out_index, offset,
                    amount);
}

int KN(cs_taint_fifo_forward)(SPAN *spans, size_t spans_cap, size_t *n_spans, const AMT *in_val,
                              size_t n_in, const AMT *out_val, size_t n_out, size_t in_index,
                              AMT offset, AMT amount)
{
    return fifo_map(spans, spans_cap, n_spans, in_val, n_in, out_val, n_out, 1, in_index, offset,
                    amount);
}
