/* policy.h — the per-transaction taint kernel: poison, haircut, FIFO, LIFO, TIHO.
 *
 * One call maps the taint on a transaction's inputs to its outputs and its fee
 * (METHODS.md §1.1-1.3).  The graph walker calls it once per transaction, so it
 * is built for that loop:
 *
 *  - No allocation, no global state.  Every result goes into caller storage;
 *    the only side effect is the thread-local cs_error() message on failure.
 *    Scratch space, when a policy needs any, is borrowed from the top of the
 *    caller's run buffer (see cs_taint_runs_bound()).
 *  - Exact integer arithmetic.  Amounts are uint64 satoshi; products u*T/V are
 *    taken in 128 bits and floored.  Value is conserved to the satoshi: the
 *    output runs of output j add up to out_val[j] and the fee runs to
 *    F = sum(in_val) - sum(out_val).  For every policy except poison taint is
 *    conserved too: sum(output taint) + fee taint == input taint, per label.
 *  - Poison is not conservative: it paints every output and the fee with the
 *    whole of its value as soon as one input satoshi is tainted, so poisoned
 *    value can be far larger than the seed.  Reports must say so.
 *  - The transaction is read as given: the walker decides coinbase handling
 *    (a coinbase has no inputs here) and supplies the input values it read.
 *    sum(out_val) > sum(in_val) is rejected (CS_EUSAGE); sums that overflow
 *    uint64 are rejected (CS_ERANGE).
 *
 * Labels.  A run is (label, amount); label 0 is clean, every other label is a
 * taint source (a theft, a sanctioned wallet, ...).  Callers number labels in
 * the order the thefts happened, so the lowest non-zero label is the first
 * theft.  In a run list every satoshi sits in exactly one run and carries one
 * label, and FIFO, LIFO, TIHO and haircut only move satoshis (or, for haircut,
 * amounts per label), never merge two of them, so the METHODS §1.2 collision
 * rule "first theft label wins" cannot arise inside the kernel.  It arises in
 * two places only: (1) poison paints whole outputs and then uses the lowest
 * non-zero input label; (2) when the walker seeds a later theft on coins that
 * already carry a label it must keep the existing label — that is the walker's
 * job, not the kernel's.
 *
 * Policies (METHODS §1.2), for inputs I_1..I_n with values v_i, taint t_i,
 * V = sum v_i, T = sum t_i, outputs u_1..u_m, fee F = V - sum u_j:
 *  - POISON: if T > 0 every output j gets u_j and the fee gets F, else 0.
 *  - HAIRCUT: output j gets floor(u_j*T/V) (the METHODS cap "at most the
 *    taint still unassigned" never binds, since sum floor(u_j T/V) <=
 *    floor(sum(u) T/V) <= T); the fee gets min(T - assigned, F); any residue
 *    left after that (only when F = 0 or the fee is fully tainted) goes to the
 *    largest output, lowest index on ties.  Extension where METHODS is silent:
 *    if the residue exceeds that output's clean room u_j - floor(u_j T/V), the
 *    output is filled and the rest spills to the next output in the same
 *    order (value descending, index ascending), so no output carries more
 *    taint than value.  The total always fits, because T <= V.
 *    Per label (run form): the outputs take their haircut amounts in index
 *    order, then the fee.  A sink with tainted amount a, while R taint is
 *    still unassigned and R_L of it carries label L, gives label L
 *    floor(a R_L / R); the remainder goes to the labels in ascending label
 *    order, each taking at most R_L minus its floor.  Every label is thus
 *    conserved exactly and each sink's total equals the amount-only result.
 *  - FIFO (Clayton's rule): concatenate the input runs in input order, keeping
 *    each input's run order; pour them into the outputs in output order.
 *  - LIFO: as FIFO, but the inputs are taken in reverse input order (each
 *    input's own run order is kept: LIFO reorders inputs, not satoshis).
 *  - TIHO: inputs stable-sorted so that tainted inputs (any run with a
 *    non-zero label and a non-zero amount, judged BEFORE any fee removal) come
 *    first; outputs sorted by value descending, lower index first on ties;
 *    then as FIFO.  Results are reported per original output index.
 *
 * Fee conventions for the ordered policies (ignored by poison and haircut,
 * which have their own fee rule above):
 *  - CS_FEE_LAST: the fee is a pseudo-output after the last real output (after
 *    all outputs in TIHO order too), i.e. it takes the last F satoshis.
 *  - CS_FEE_PRORATA: before matching, input i gives up f_i satoshis of value,
 *    with cumulative rounding over the inputs in ORIGINAL input order:
 *        C_i = v_1 + ... + v_i,   f_i = floor(C_i F / V) - floor(C_{i-1} F / V)
 *    so sum f_i = F exactly and 0 <= f_i <= v_i.  Within input i the f_i
 *    satoshis are taken from its runs by the same cumulative rounding over the
 *    runs in order: with D_k the running sum of the input's run amounts,
 *        g_k = floor(D_k f_i / v_i) - floor(D_{k-1} f_i / v_i),
 *    run k shrinks to a_k - g_k and the fee receives (label_k, g_k).  The taint
 *    removed from input i therefore differs from t_i F/V by less than one
 *    satoshi per maximal stretch of tainted runs (by less than one when the
 *    taint is one run).  The fee's runs are listed in original input order.
 *    METHODS §1.3: 300T + 700C, F = 10 -> f = 3, 7: inputs become 297T + 693C
 *    and the fee is 3T + 7C.
 *
 * Run lists.  Adjacent runs of one sink with equal labels are merged, and no
 * zero-amount run is ever written (input runs of amount 0 are allowed and
 * skipped).  A zero-value output gets no runs.  Haircut and poison sinks list
 * their runs in ascending label order (clean first); the ordered policies keep
 * the satoshi order, which FIFO's backward trace relies on.
 *
 * Wide form (wei).  Every function has a _w twin on struct cs_u256 amounts
 * (struct cs_run_w, struct cs_span_w) with the same rules, the same rounding
 * (every floor above is taken on the exact product, kept in 512 bits), the
 * same run lists and the same error codes; "satoshi" reads "unit" and the
 * "overflows uint64" cases become "overflows 2^256-1": a sum past 2^256-1 is
 * CS_ERANGE, and nothing below that is.  On amounts below 2^64 the two forms
 * give identical results (tested on 10^5 random transactions).  Both forms are
 * built from one copy of each algorithm (policy_kernel_int.h), so they cannot
 * drift apart.  Value and taint are conserved to the unit, per label, exactly
 * as above.  cs_taint_runs_bound() serves both (it counts runs, not bytes).
 * Cost: as the 64-bit form, times the cost of a 256-bit add or compare (a few
 * instructions) and of cs_u256_muldiv (one hardware multiply-divide while the
 * operands fit 64 bits, a 4x4-limb multiply and a 512/256 division at full
 * width).  The 64-bit form stays the fast path for Bitcoin. */
#ifndef CS_TRACE_POLICY_H
#define CS_TRACE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/u256.h"

enum cs_policy {
    CS_POLICY_POISON = 0,
    CS_POLICY_HAIRCUT = 1,
    CS_POLICY_FIFO = 2,
    CS_POLICY_LIFO = 3,
    CS_POLICY_TIHO = 4,
};

enum cs_feeconv {
    CS_FEE_LAST = 0,    /* fee = pseudo-output after all outputs [TaintChain] */
    CS_FEE_PRORATA = 1, /* fee taken from every input in proportion [TaintedTX] */
};

/* One fragment of value: `amount` satoshis carrying `label` (0 = clean). */
struct cs_run {
    uint32_t label;
    uint64_t amount;
};

/* The wide run: `amount` units (wei, token base units) carrying `label`. */
struct cs_run_w {
    uint32_t label;
    struct cs_u256 amount;
};

/* A satoshi range of one input or output: `amount` satoshis starting at
 * position `offset` (0-based, in the FIFO order of that input or output).
 * For outputs, index == n_out names the fee. */
struct cs_span {
    size_t index;
    uint64_t offset;
    uint64_t amount;
};

/* The wide span: as struct cs_span, with 256-bit offset and amount. */
struct cs_span_w {
    size_t index;
    struct cs_u256 offset;
    struct cs_u256 amount;
};

/* Parses "poison", "haircut", "fifo", "lifo", "tiho" (ASCII case-insensitive).
 * Returns 0, or CS_EUSAGE with a message listing the names. O(1). */
int cs_policy_parse(enum cs_policy *out, const char *name) CS_MUST_CHECK;
/* Lower-case name of a policy ("fifo"), or "unknown". Static string. */
const char *cs_policy_name(enum cs_policy policy);

/* Parses "fee-last"/"last" and "fee-pro-rata"/"pro-rata"/"prorata"
 * (case-insensitive). Returns 0 or CS_EUSAGE. O(1). */
int cs_feeconv_parse(enum cs_feeconv *out, const char *name) CS_MUST_CHECK;
/* "fee-last", "fee-pro-rata" or "unknown". Static string. */
const char *cs_feeconv_name(enum cs_feeconv feeconv);

/* Amount-only form, POISON and HAIRCUT only (the ordered policies need to
 * know where the tainted satoshis sit: use cs_taint_runs).
 * Reads in_val[n_in], in_taint[n_in] (in_taint[i] <= in_val[i]) and
 * out_val[n_out]; writes out_taint[n_out] and *fee_taint.
 * Returns 0; CS_EUSAGE for another policy, a taint above its value, outputs
 * above inputs or a NULL array with a non-zero count; CS_ERANGE if a sum
 * overflows uint64.  On error the outputs are unspecified.
 * Agrees exactly with cs_taint_runs (sum of non-zero-label runs per sink).
 * Cost: O(n_in + n_out) 64-bit (occasionally 128-bit) multiply-divides; a
 * haircut whose rounding residue overflows the largest output (T close to V)
 * costs O(n_out) more per distinct output value it spills into. */
int cs_taint_amounts(uint64_t *out_taint, uint64_t *fee_taint, enum cs_policy policy,
                     const uint64_t *in_val, const uint64_t *in_taint, size_t n_in,
                     const uint64_t *out_val, size_t n_out) CS_MUST_CHECK;

/* A run-buffer capacity that always suffices for cs_taint_runs (and
 * cs_taint_runs_w: the count is in runs of either width) with this
 * policy, n_in_runs input runs in total (all inputs together) and n_out
 * outputs, under either fee convention (saturates at SIZE_MAX):
 *   POISON  n_out + 1
 *   HAIRCUT (n_out + 1)(K + 1) + K with K = n_in_runs (bound on the labels)
 *   FIFO, LIFO  2 n_in_runs + n_out + 1
 *   TIHO    2 n_in_runs + 2 n_out + 1 (n_out entries are sort scratch)
 * Real use is usually far lower (equal labels merge). O(1). */
size_t cs_taint_runs_bound(enum cs_policy policy, size_t n_in_runs, size_t n_out);

/* Run form, every policy.
 * Input i has value in_val[i] and runs in_runs[i][0 .. in_nruns[i]) whose
 * amounts add up to exactly in_val[i] (in_runs[i] may be NULL when
 * in_nruns[i] == 0).  Outputs have values out_val[n_out].
 * Writes the result runs into runs[0 .. *runs_used): output j's runs are
 * runs[out_first[j] .. out_first[j] + out_nruns[j]) and the fee's are
 * runs[*fee_first .. *fee_first + *fee_nruns); the order of these blocks in
 * runs[] is unspecified.  runs[*runs_used .. runs_cap) may be overwritten
 * (scratch: TIHO's output order, haircut's label table).  Nothing is kept:
 * the input arrays are only read during the call.
 * Returns 0; CS_ERANGE when runs_cap is too small (message names the sink;
 * cs_taint_runs_bound() gives a capacity that always works) or a sum
 * overflows; CS_EUSAGE for runs that do not add up to their input's value,
 * outputs above inputs, an unknown policy/convention or NULL arrays with
 * non-zero counts.  On error the outputs are unspecified.
 * Cost: O(total input runs + n_out) for POISON/FIFO/LIFO, plus O(n_out log
 * n_out) for TIHO's sort, plus O(K (runs + n_out)) for HAIRCUT with K distinct
 * labels; each fee-pro-rata run costs two multiply-divides. */
int cs_taint_runs(struct cs_run *runs, size_t runs_cap, size_t *runs_used, size_t *out_first,
                  size_t *out_nruns, size_t *fee_first, size_t *fee_nruns, enum cs_policy policy,
                  enum cs_feeconv feeconv, const uint64_t *in_val,
                  const struct cs_run *const *in_runs, const size_t *in_nruns, size_t n_in,
                  const uint64_t *out_val, size_t n_out) CS_MUST_CHECK;

/* FIFO fee-last position maps.  FIFO is lossless: output j's satoshi at
 * position p is the satoshi at position P = u_1 + ... + u_{j-1} + p of the
 * concatenated inputs (the fee, index n_out, starts at sum(out_val)).
 *
 * cs_taint_fifo_backward: the satoshis [offset, offset + amount) of output
 * out_index (n_out = the fee) came from the input spans written to
 * spans[0 .. *n_spans), in input order; each span is (input, offset within
 * that input, amount).  At most n_in spans are needed.
 * cs_taint_fifo_forward: the reverse, for the satoshis [offset, offset +
 * amount) of input in_index; spans name outputs (index n_out = the fee).  At
 * most n_out + 1 spans are needed.
 * Both return 0; CS_EUSAGE if the range lies outside its input/output, the
 * index is out of range or outputs exceed inputs; CS_ERANGE if spans_cap is
 * too small or a sum overflows.  amount == 0 gives no spans.
 * Cost: O(n_in + n_out), no multiply-divides. */
int cs_taint_fifo_backward(struct cs_span *spans, size_t spans_cap, size_t *n_spans,
                           const uint64_t *in_val, size_t n_in, const uint64_t *out_val,
                           size_t n_out, size_t out_index, uint64_t offset,
                           uint64_t amount) CS_MUST_CHECK;
int cs_taint_fifo_forward(struct cs_span *spans, size_t spans_cap, size_t *n_spans,
                          const uint64_t *in_val, size_t n_in, const uint64_t *out_val,
                          size_t n_out, size_t in_index, uint64_t offset,
                          uint64_t amount) CS_MUST_CHECK;

/* ---- wide form: the same functions on 256-bit amounts -------------------------
 * Each takes and returns what its 64-bit namesake does, with every uint64_t
 * amount a struct cs_u256 (counts, indexes and positions in the run buffer
 * stay size_t).  Semantics, rounding, run order, error codes and costs are
 * the 64-bit form's (see "Wide form" at the top); only the overflow bound is
 * 2^256-1.  Results for amounts below 2^64 equal the 64-bit form's. */
int cs_taint_amounts_w(struct cs_u256 *out_taint, struct cs_u256 *fee_taint, enum cs_policy policy,
                       const struct cs_u256 *in_val, const struct cs_u256 *in_taint, size_t n_in,
                       const struct cs_u256 *out_val, size_t n_out) CS_MUST_CHECK;
int cs_taint_runs_w(struct cs_run_w *runs, size_t runs_cap, size_t *runs_used, size_t *out_first,
                    size_t *out_nruns, size_t *fee_first, size_t *fee_nruns, enum cs_policy policy,
                    enum cs_feeconv feeconv, const struct cs_u256 *in_val,
                    const struct cs_run_w *const *in_runs, const size_t *in_nruns, size_t n_in,
                    const struct cs_u256 *out_val, size_t n_out) CS_MUST_CHECK;
int cs_taint_fifo_backward_w(struct cs_span_w *spans, size_t spans_cap, size_t *n_spans,
                             const struct cs_u256 *in_val, size_t n_in,
                             const struct cs_u256 *out_val, size_t n_out, size_t out_index,
                             struct cs_u256 offset, struct cs_u256 amount) CS_MUST_CHECK;
int cs_taint_fifo_forward_w(struct cs_span_w *spans, size_t spans_cap, size_t *n_spans,
                            const struct cs_u256 *in_val, size_t n_in,
                            const struct cs_u256 *out_val, size_t n_out, size_t in_index,
                            struct cs_u256 offset, struct cs_u256 amount) CS_MUST_CHECK;

#endif
