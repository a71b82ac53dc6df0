/* policy.c — per-transaction taint kernel (see policy.h for the rules).
 *
 * Shape of the code: one validation pass over the inputs and outputs, then a
 * policy-specific pass.  The ordered policies (FIFO, LIFO, TIHO) are one
 * two-pointer merge: "sources" are input runs taken in policy order (shrunk by
 * the pro-rata fee if asked) and "sinks" are the outputs in policy order plus
 * the fee; pour() moves amounts from the current source into the current sink.
 * Haircut is computed from totals only (V, T, u_j, F), so the amount form and
 * the run form share one plan and cannot disagree. */
#include <string.h>

#include "trace/policy.h"

__extension__ typedef unsigned __int128 cs_u128;

/* floor(a * b / c) for c > 0 and a result that fits (callers guarantee a <= c
 * or b <= c).  Most products fit in 64 bits; only those take no 128-bit
 * division, which is a library call on x86-64. */
static inline uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t p;
    if (!__builtin_mul_overflow(a, b, &p)) return p / c;
    return (uint64_t)(((cs_u128)a * b) / c);
}

static int ascii_ieq(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z') x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (unsigned char)(y - 'A' + 'a');
        if (x != y) return 0;
        if (x == 0) return 1;
    }
}

static const char *const policy_names[] = {"poison", "haircut", "fifo", "lifo", "tiho"};

int cs_policy_parse(enum cs_policy *out, const char *name)
{
    if (name)
        for (size_t i = 0; i < sizeof policy_names / sizeof policy_names[0]; i++)
            if (ascii_ieq(name, policy_names[i])) {
                *out = (enum cs_policy)i;
                return 0;
            }
    return cs_error(CS_EUSAGE, "unknown taint policy '%s' (poison, haircut, fifo, lifo, tiho)",
                    name ? name : "(null)");
}

const char *cs_policy_name(enum cs_policy policy)
{
    if ((unsigned)policy < sizeof policy_names / sizeof policy_names[0])
        return policy_names[policy];
    return "unknown";
}

int cs_feeconv_parse(enum cs_feeconv *out, const char *name)
{
    if (name && (ascii_ieq(name, "fee-last") || ascii_ieq(name, "last"))) {
        *out = CS_FEE_LAST;
        return 0;
    }
    if (name && (ascii_ieq(name, "fee-pro-rata") || ascii_ieq(name, "pro-rata") ||
                 ascii_ieq(name, "prorata"))) {
        *out = CS_FEE_PRORATA;
        return 0;
    }
    return cs_error(CS_EUSAGE, "unknown fee convention '%s' (fee-last, fee-pro-rata)",
                    name ? name : "(null)");
}

const char *cs_feeconv_name(enum cs_feeconv feeconv)
{
    switch (feeconv) {
    case CS_FEE_LAST:
        return "fee-last";
    case CS_FEE_PRORATA:
        return "fee-pro-rata";
    }
    return "unknown";
}

/* ---- validation ---------------------------------------------------------- */

static int sum_outputs(uint64_t *total, const uint64_t *out_val, size_t n_out)
{
    uint64_t u = 0;
    if (n_out && !out_val) return cs_error(CS_EUSAGE, "taint: out_val is NULL, n_out %zu", n_out);
    for (size_t j = 0; j < n_out; j++)
        if (__builtin_add_overflow(u, out_val[j], &u))
            return cs_error(CS_ERANGE, "taint: output values overflow uint64 at output %zu", j);
    *total = u;
    return 0;
}

static int check_fee(uint64_t *fee, uint64_t in_total, uint64_t out_total)
{
    if (out_total > in_total)
        return cs_error(CS_EUSAGE,
                        "taint: outputs (%llu sat) exceed inputs (%llu sat); coinbase is the "
                        "walker's business",
                        (unsigned long long)out_total, (unsigned long long)in_total);
    *fee = in_total - out_total;
    return 0;
}

/* Totals of a run-form transaction.  min_label is the lowest non-zero label
 * with a non-zero amount (0 if none); nlabel_runs counts tainted runs. */
struct totals {
    uint64_t in, taint, out, fee;
    uint32_t min_label;
    size_t nlabel_runs;
};

static int scan_runs(struct totals *tot, const uint64_t *in_val,
                     const struct cs_run *const *in_runs, const size_t *in_nruns, size_t n_in,
                     const uint64_t *out_val, size_t n_out)
{
    memset(tot, 0, sizeof *tot);
    if (n_in && (!in_val || !in_runs || !in_nruns))
        return cs_error(CS_EUSAGE, "taint: NULL input arrays with n_in %zu", n_in);
    for (size_t i = 0; i < n_in; i++) {
        const struct cs_run *r = in_runs[i];
        uint64_t sum = 0;
        if (in_nruns[i] && !r) return cs_error(CS_EUSAGE, "taint: input %zu: runs are NULL", i);
        for (size_t k = 0; k < in_nruns[i]; k++) {
            if (__builtin_add_overflow(sum, r[k].amount, &sum))
                return cs_error(CS_ERANGE, "taint: input %zu: run amounts overflow uint64", i);
            if (r[k].label && r[k].amount) {
                tot->taint += r[k].amount; /* <= in total, checked below */
                tot->nlabel_runs++;
                if (!tot->min_label || r[k].label < tot->min_label) tot->min_label = r[k].label;
            }
        }
        if (sum != in_val[i])
            return cs_error(CS_EUSAGE, "taint: input %zu: runs add up to %llu sat, value is %llu",
                            i, (unsigned long long)sum, (unsigned long long)in_val[i]);
        if (__builtin_add_overflow(tot->in, in_val[i], &tot->in))
            return cs_error(CS_ERANGE, "taint: input values overflow uint64 at input %zu", i);
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
    uint64_t in, taint, fee_taint;
    int spill;           /* residue goes to outputs */
    uint64_t level;      /* value level where the spill stops */
    uint64_t level_left; /* residue still to give at that level (running) */
};

static void haircut_plan(struct haircut *h, uint64_t in, uint64_t taint, uint64_t fee,
                         const uint64_t *out_val, size_t n_out)
{
    h->in = in;
    h->taint = taint;
    h->spill = 0;
    h->level = 0;
    h->level_left = 0;
    if (taint == 0 || taint == in) { /* nothing to round: 0 or everything */
        h->fee_taint = taint ? fee : 0;
        return;
    }
    uint64_t assigned = 0;
    for (size_t j = 0; j < n_out; j++)
        assigned += muldiv(out_val[j], taint, in);
    /* assigned <= floor(sum(u) T / V) <= T: the METHODS cap never binds. */
    uint64_t rest = taint - assigned;
    h->fee_taint = rest < fee ? rest : fee;
    rest -= h->fee_taint;
    if (!rest) return;
    /* Walk value levels downward until the residue fits.  Terminates: total
     * room sum(u_j - floor) >= rest because T <= V and the fee is full. */
    int first = 1;
    uint64_t prev = 0;
    for (;;) {
        uint64_t level = 0, room = 0;
        int found = 0;
        for (size_t j = 0; j < n_out; j++) {
            uint64_t u = out_val[j];
            if (!first && u >= prev) continue;
            uint64_t r = u - muldiv(u, taint, in);
            if (!r) continue;
            if (!found || u > level) {
                level = u;
                room = 0;
                found = 1;
            }
            if (u == level) room += r;
        }
        if (!found) BUG("haircut residue %llu does not fit", (unsigned long long)rest);
        if (rest <= room) {
            h->spill = 1;
            h->level = level;
            h->level_left = rest;
            return;
        }
        rest -= room;
        prev = level;
        first = 0;
    }
}

/* Haircut amount of output j; call in increasing j (consumes level_left). */
static inline uint64_t haircut_next(struct haircut *h, uint64_t u)
{
    if (h->taint == 0) return 0;
    if (h->taint == h->in) return u;
    uint64_t a = muldiv(u, h->taint, h->in);
    if (h->spill) {
        if (u > h->level) return u;
        if (u == h->level) {
            uint64_t e = u - a;
            if (e > h->level_left) e = h->level_left;
            h->level_left -= e;
            a += e;
        }
    }
    return a;
}

int cs_taint_amounts(uint64_t *out_taint, uint64_t *fee_taint, enum cs_policy policy,
                     const uint64_t *in_val, const uint64_t *in_taint, size_t n_in,
                     const uint64_t *out_val, size_t n_out)
{
    if (policy != CS_POLICY_POISON && policy != CS_POLICY_HAIRCUT)
        return cs_error(CS_EUSAGE, "taint: policy %s needs run lists (cs_taint_runs)",
                        cs_policy_name(policy));
    if ((n_in && (!in_val || !in_taint)) || (n_out && !out_taint) || !fee_taint)
        return cs_error(CS_EUSAGE, "taint: NULL array argument");
    uint64_t in = 0, taint = 0, out = 0, fee = 0;
    for (size_t i = 0; i < n_in; i++) {
        if (in_taint[i] > in_val[i])
            return cs_error(CS_EUSAGE, "taint: input %zu: taint %llu exceeds value %llu", i,
                            (unsigned long long)in_taint[i], (unsigned long long)in_val[i]);
        if (__builtin_add_overflow(in, in_val[i], &in))
            return cs_error(CS_ERANGE, "taint: input values overflow uint64 at input %zu", i);
        taint += in_taint[i]; /* <= in */
    }
    int rc = sum_outputs(&out, out_val, n_out);
    if (rc) return rc;
    rc = check_fee(&fee, in, out);
    if (rc) return rc;
    if (policy == CS_POLICY_POISON) {
        for (size_t j = 0; j < n_out; j++)
            out_taint[j] = taint ? out_val[j] : 0;
        *fee_taint = taint ? fee : 0;
        return 0;
    }
    struct haircut h;
    haircut_plan(&h, in, taint, fee, out_val, n_out);
    for (size_t j = 0; j < n_out; j++)
        out_taint[j] = haircut_next(&h, out_val[j]);
    *fee_taint = h.fee_taint;
    return 0;
}

size_t cs_taint_runs_bound(enum cs_policy policy, size_t n_in_runs, size_t n_out)
{
    size_t a, b;
    switch (policy) {
    case CS_POLICY_POISON:
        return n_out < SIZE_MAX ? n_out + 1 : SIZE_MAX;
    case CS_POLICY_HAIRCUT:
        if (__builtin_add_overflow(n_out, (size_t)1, &a) ||
            __builtin_add_overflow(n_in_runs, (size_t)1, &b) || __builtin_mul_overflow(a, b, &a) ||
            __builtin_add_overflow(a, n_in_runs, &a))
            return SIZE_MAX;
        return a;
    case CS_POLICY_FIFO:
    case CS_POLICY_LIFO:
    case CS_POLICY_TIHO:
        if (__builtin_mul_overflow(n_in_runs, (size_t)2, &a) ||
            __builtin_add_overflow(a, n_out, &a) || __builtin_add_overflow(a, (size_t)1, &a))
            return SIZE_MAX;
        if (policy == CS_POLICY_TIHO && __builtin_add_overflow(a, n_out, &a)) return SIZE_MAX;
        return a;
    }
    return SIZE_MAX;
}

/* ---- run emission -------------------------------------------------------- */

struct emitter {
    struct cs_run *buf;
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
static inline int emit(struct emitter *e, uint32_t label, uint64_t amount)
{
    if (e->used > e->sink_start && e->buf[e->used - 1].label == label) {
        e->buf[e->used - 1].amount += amount;
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
                       size_t *fee_nruns, const struct totals *tot, const uint64_t *out_val,
                       size_t n_out)
{
    /* first theft label wins: the lowest non-zero label paints everything */
    uint32_t label = tot->taint ? tot->min_label : 0;
    for (size_t j = 0; j <= n_out; j++) {
        uint64_t u = j < n_out ? out_val[j] : tot->fee;
        sink_open(e, j);
        if (u) {
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
    struct cs_run *tab;
    size_t n;
};

static int labels_build(struct labels *lt, struct cs_run *buf, size_t cap,
                        const struct cs_run *const *in_runs, const size_t *in_nruns, size_t n_in)
{
    lt->n = 0;
    lt->tab = cap ? buf + cap : buf; /* no arithmetic on a NULL buffer */
    uint32_t last = 0;               /* fast path: repeated label */
    struct cs_run *hit = NULL;
    for (size_t i = 0; i < n_in; i++)
        for (size_t k = 0; k < in_nruns[i]; k++) {
            const struct cs_run *r = &in_runs[i][k];
            if (!r->label || !r->amount) continue;
            if (hit && r->label == last) {
                hit->amount += r->amount;
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
                hit->amount = 0;
            }
            hit->amount += r->amount;
            last = r->label;
        }
    return 0;
}

/* Writes one haircut sink of value u with tainted amount a, splitting a over
 * the label pools (remaining total `*pool`). */
static int haircut_sink(struct emitter *e, struct labels *lt, uint64_t *pool, uint64_t u,
                        uint64_t a)
{
    int rc;
    if (u > a && (rc = emit(e, 0, u - a))) return rc;
    if (!a) return 0;
    if (lt->n == 1) {
        lt->tab[0].amount -= a;
        *pool -= a;
        return emit(e, lt->tab[0].label, a);
    }
    uint64_t floors = 0;
    for (size_t l = 0; l < lt->n; l++)
        floors += muldiv(a, lt->tab[l].amount, *pool);
    uint64_t rest = a - floors; /* < number of labels */
    for (size_t l = 0; l < lt->n; l++) {
        uint64_t have = lt->tab[l].amount;
        uint64_t x = muldiv(a, have, *pool);
        uint64_t extra = have - x < rest ? have - x : rest;
        x += extra;
        rest -= extra;
        if (x) {
            lt->tab[l].amount = have - x;
            if ((rc = emit(e, lt->tab[l].label, x))) return rc;
        }
    }
    *pool -= a;
    return 0;
}

static int runs_haircut(struct emitter *e, size_t *out_first, size_t *out_nruns, size_t *fee_first,
                        size_t *fee_nruns, const struct totals *tot,
                        const struct cs_run *const *in_runs, const size_t *in_nruns, size_t n_in,
                        const uint64_t *out_val, size_t n_out)
{
    struct labels lt;
    int rc = labels_build(&lt, e->buf, e->limit, in_runs, in_nruns, n_in);
    if (rc) return rc;
    e->limit -= lt.n;
    struct haircut h;
    haircut_plan(&h, tot->in, tot->taint, tot->fee, out_val, n_out);
    uint64_t pool = tot->taint;
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
    if (pool) BUG("haircut left %llu taint unassigned", (unsigned long long)pool);
    return 0;
}

/* ---- ordered policies ------------------------------------------------------- */

struct fill {
    struct emitter em;
    const uint64_t *out_val;
    size_t n_out;
    size_t *out_first, *out_nruns, *fee_first, *fee_nruns;
    const struct cs_run *order; /* TIHO: order[k].amount = output index; else NULL */
    size_t n_sinks;             /* n_out, +1 when the fee is the last sink */
    size_t k;                   /* current sink, in sink order */
    uint64_t need;              /* value the current sink still lacks */
    uint64_t fee;
};

static inline size_t sink_index(const struct fill *f, size_t k)
{
    if (k == f->n_out) return f->n_out; /* the fee */
    return f->order ? (size_t)f->order[k].amount : k;
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

static int pour(struct fill *f, uint32_t label, uint64_t amount)
{
    while (amount) {
        while (!f->need) {
            fill_close(f);
            if (f->k + 1 >= f->n_sinks) BUG("taint: sources exceed sinks");
            fill_open(f, f->k + 1);
        }
        uint64_t take = amount < f->need ? amount : f->need;
        int rc = emit(&f->em, label, take);
        if (rc) return rc;
        amount -= take;
        f->need -= take;
    }
    return 0;
}

/* Pours input (runs, n, value v) after removing its pro-rata fee share fi
 * (0 under fee-last); see policy.h for the rounding. */
static int pour_input(struct fill *f, const struct cs_run *runs, size_t n, uint64_t v, uint64_t fi)
{
    int rc;
    if (!fi) {
        for (size_t k = 0; k < n; k++)
            if (runs[k].amount && (rc = pour(f, runs[k].label, runs[k].amount))) return rc;
        return 0;
    }
    uint64_t cum = 0, prev = 0;
    for (size_t k = 0; k < n; k++) {
        cum += runs[k].amount;
        uint64_t cur = muldiv(cum, fi, v);
        uint64_t keep = runs[k].amount - (cur - prev);
        prev = cur;
        if (keep && (rc = pour(f, runs[k].label, keep))) return rc;
    }
    return 0;
}

/* Emits the fee's share of an input into the current (fee) sink. */
static int fee_input(struct emitter *e, const struct cs_run *runs, size_t n, uint64_t v,
                     uint64_t fi)
{
    uint64_t cum = 0, prev = 0;
    for (size_t k = 0; k < n && prev < fi; k++) {
        cum += runs[k].amount;
        uint64_t cur = muldiv(cum, fi, v);
        int rc;
        if (cur > prev && (rc = emit(e, runs[k].label, cur - prev))) return rc;
        prev = cur;
    }
    return 0;
}

static int input_tainted(const struct cs_run *runs, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (runs[k].label && runs[k].amount) return 1;
    return 0;
}

/* TIHO output order: value descending, index ascending; a strict total order,
 * so any sort gives the same result. */
static inline int out_before(const uint64_t *out_val, uint64_t a, uint64_t b)
{
    return out_val[a] > out_val[b] || (out_val[a] == out_val[b] && a < b);
}

static void sift_down(struct cs_run *o, size_t root, size_t n, const uint64_t *out_val)
{
    for (;;) {
        size_t c = 2 * root + 1;
        if (c >= n) return;
        if (c + 1 < n && out_before(out_val, o[c].amount, o[c + 1].amount)) c++;
        if (!out_before(out_val, o[root].amount, o[c].amount)) return;
        struct cs_run t = o[root];
        o[root] = o[c];
        o[c] = t;
        root = c;
    }
}

static void sort_outputs(struct cs_run *o, size_t n, const uint64_t *out_val)
{
    for (size_t k = 0; k < n; k++) {
        o[k].label = 0;
        o[k].amount = k;
    }
    if (n <= 16) { /* insertion sort; typical transactions have 1-3 outputs */
        for (size_t k = 1; k < n; k++) {
            struct cs_run t = o[k];
            size_t p = k;
            while (p > 0 && out_before(out_val, t.amount, o[p - 1].amount)) {
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
        struct cs_run t = o[0];
        o[0] = o[end];
        o[end] = t;
        sift_down(o, 0, end, out_val);
    }
}

static int runs_ordered(struct fill *f, enum cs_policy policy, enum cs_feeconv feeconv,
                        const struct totals *tot, const uint64_t *in_val,
                        const struct cs_run *const *in_runs, const size_t *in_nruns, size_t n_in)
{
    int rc = 0;
    int prorata = feeconv == CS_FEE_PRORATA && tot->fee;
    uint64_t V = tot->in, F = prorata ? tot->fee : 0;
    f->n_sinks = prorata ? f->n_out : f->n_out + 1;
    if (f->n_sinks) fill_open(f, 0);

    if (policy == CS_POLICY_FIFO) {
        uint64_t cum = 0, prev = 0;
        for (size_t i = 0; i < n_in && !rc; i++) {
            cum += in_val[i];
            uint64_t cur = F ? muldiv(cum, F, V) : 0;
            rc = pour_input(f, in_runs[i], in_nruns[i], in_val[i], cur - prev);
            prev = cur;
        }
    } else if (policy == CS_POLICY_LIFO) {
        uint64_t cum = V, hi = F; /* hi = floor(C_i F / V) for the current i */
        for (size_t i = n_in; i-- > 0 && !rc;) {
            cum -= in_val[i];
            uint64_t lo = F ? muldiv(cum, F, V) : 0;
            rc = pour_input(f, in_runs[i], in_nruns[i], in_val[i], hi - lo);
            hi = lo;
        }
    } else { /* TIHO: tainted inputs first, stable */
        for (int pass = 1; pass >= 0 && !rc; pass--) {
            uint64_t cum = 0, prev = 0;
            for (size_t i = 0; i < n_in && !rc; i++) {
                cum += in_val[i];
                uint64_t cur = F ? muldiv(cum, F, V) : 0;
                if (input_tainted(in_runs[i], in_nruns[i]) == pass)
                    rc = pour_input(f, in_runs[i], in_nruns[i], in_val[i], cur - prev);
                prev = cur;
            }
        }
    }
    if (rc) return rc;
    if (f->n_sinks) {
        fill_close(f);
        for (size_t k = f->k + 1; k < f->n_sinks; k++) { /* trailing zero-value sinks */
            fill_open(f, k);
            if (f->need) BUG("taint: sinks exceed sources");
            fill_close(f);
        }
        if (f->need) BUG("taint: sinks exceed sources");
    }
    if (!prorata) return 0; /* the fee was the last sink */
    /* the fee: every input's share, in original input order */
    sink_open(&f->em, f->n_out);
    uint64_t cum = 0, prev = 0;
    for (size_t i = 0; i < n_in; i++) {
        cum += in_val[i];
        uint64_t cur = muldiv(cum, F, V);
        if (cur > prev && (rc = fee_input(&f->em, in_runs[i], in_nruns[i], in_val[i], cur - prev)))
            return rc;
        prev = cur;
    }
    *f->fee_first = f->em.sink_start;
    *f->fee_nruns = f->em.used - f->em.sink_start;
    return 0;
}

int cs_taint_runs(struct cs_run *runs, size_t runs_cap, size_t *runs_used, size_t *out_first,
                  size_t *out_nruns, size_t *fee_first, size_t *fee_nruns, enum cs_policy policy,
                  enum cs_feeconv feeconv, const uint64_t *in_val,
                  const struct cs_run *const *in_runs, const size_t *in_nruns, size_t n_in,
                  const uint64_t *out_val, size_t n_out)
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
static int map_range(struct cs_span *spans, size_t spans_cap, size_t *n_spans, const uint64_t *seg,
                     size_t n, uint64_t last, int extra_last, uint64_t pos, uint64_t amount)
{
    size_t w = 0;
    uint64_t start = 0, end = pos + amount; /* no overflow: end <= total, checked */
    size_t nseg = n + (extra_last ? 1 : 0);
    for (size_t s = 0; s < nseg && start < end; s++) {
        uint64_t len = s < n ? seg[s] : last;
        uint64_t lo = pos > start ? pos : start;
        uint64_t hi = end < start + len ? end : start + len;
        if (lo < hi) {
            if (w == spans_cap)
                return cs_error(CS_ERANGE, "taint: span buffer full (%zu spans)", spans_cap);
            spans[w].index = s;
            spans[w].offset = lo - start;
            spans[w].amount = hi - lo;
            w++;
        }
        start += len;
    }
    *n_spans = w;
    return 0;
}

static int fifo_totals(uint64_t *in, uint64_t *out, uint64_t *fee, const uint64_t *in_val,
                       size_t n_in, const uint64_t *out_val, size_t n_out)
{
    *in = 0;
    if (n_in && !in_val) return cs_error(CS_EUSAGE, "taint: in_val is NULL, n_in %zu", n_in);
    for (size_t i = 0; i < n_in; i++)
        if (__builtin_add_overflow(*in, in_val[i], in))
            return cs_error(CS_ERANGE, "taint: input values overflow uint64 at input %zu", i);
    int rc = sum_outputs(out, out_val, n_out);
    if (rc) return rc;
    return check_fee(fee, *in, *out);
}

int cs_taint_fifo_backward(struct cs_span *spans, size_t spans_cap, size_t *n_spans,
                           const uint64_t *in_val, size_t n_in, const uint64_t *out_val,
                           size_t n_out, size_t out_index, uint64_t offset, uint64_t amount)
{
    uint64_t in = 0, out = 0, fee = 0;
    int rc = fifo_totals(&in, &out, &fee, in_val, n_in, out_val, n_out);
    if (rc) return rc;
    if (out_index > n_out)
        return cs_error(CS_EUSAGE, "taint: output %zu out of range (%zu outputs + fee)", out_index,
                        n_out);
    uint64_t size = out_index < n_out ? out_val[out_index] : fee;
    if (offset > size || amount > size - offset)
        return cs_error(CS_EUSAGE, "taint: range [%llu, +%llu) outside output %zu of %llu sat",
                        (unsigned long long)offset, (unsigned long long)amount, out_index,
                        (unsigned long long)size);
    uint64_t pos = offset;
    for (size_t j = 0; j < out_index; j++)
        pos += out_val[j];
    return map_range(spans, spans_cap, n_spans, in_val, n_in, 0, 0, pos, amount);
}

int cs_taint_fifo_forward(struct cs_span *spans, size_t spans_cap, size_t *n_spans,
                          const uint64_t *in_val, size_t n_in, const uint64_t *out_val,
                          size_t n_out, size_t in_index, uint64_t offset, uint64_t amount)
{
    uint64_t in = 0, out = 0, fee = 0;
    int rc = fifo_totals(&in, &out, &fee, in_val, n_in, out_val, n_out);
    if (rc) return rc;
    if (in_index >= n_in)
        return cs_error(CS_EUSAGE, "taint: input %zu out of range (%zu inputs)", in_index, n_in);
    uint64_t size = in_val[in_index];
    if (offset > size || amount > size - offset)
        return cs_error(CS_EUSAGE, "taint: range [%llu, +%llu) outside input %zu of %llu sat",
                        (unsigned long long)offset, (unsigned long long)amount, in_index,
                        (unsigned long long)size);
    uint64_t pos = offset;
    for (size_t i = 0; i < in_index; i++)
        pos += in_val[i];
    return map_range(spans, spans_cap, n_spans, out_val, n_out, fee, 1, pos, amount);
}
