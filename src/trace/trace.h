/* trace.h — the taint walker: follow tainted satoshis through the store,
 * forward (where did it go) or backward (where did it come from).
 *
 * Model (METHODS.md §1.1-1.3).  Taint lives on outputs.  A transaction is
 * processed once, after every transaction it depends on, by the per-tx
 * kernel of policy.h:
 *  - Forward, transactions are processed strictly in chain order (tx id
 *    order = (height, position) order, so an output spent in its own block is
 *    seen before its spender).  Pending tx ids sit in a monotone min-heap (a
 *    bitmap window in front of a radix heap: pops are non-decreasing, which
 *    chain order guarantees; the window also lets the walker prefetch the
 *    rows of the next transactions);
 *    the taint of every live tainted output sits in an open-addressing hash
 *    map keyed by output id (in front of it, on big forward walks, a fixed
 *    32 MiB ring indexed by id holds the most recent outputs, so that the
 *    common case of spending a young output stays local), and is removed
 *    when its spender is processed.
 *    Memory is therefore proportional to the tainted frontier (live tainted
 *    outputs + pending txs), never to the chain, plus two fixed buffers (the
 *    128 KiB pending bitmap; the 32 MiB ring, only on stores of more than
 *    2^22 outputs); there is no allocation per node: map, heap buckets, run
 *    pool and scratch grow geometrically.
 *  - Backward, the same in reverse tx order: the taint on a transaction's
 *    outputs is mapped onto its inputs and from there onto the outputs those
 *    inputs spent.  POISON: every input fully.  HAIRCUT: the outputs' total
 *    taint A is split over the inputs in proportion to their values,
 *    floor(A v_i / V) with the residue to the largest input (lowest index on
 *    ties), i.e. the forward kernel run on the reversed transaction with the
 *    fee as a clean pseudo-input, so it conserves to the satoshi.  FIFO and
 *    LIFO (fee-last only): exact, through the kernel's satoshi position map
 *    (LIFO is FIFO over the inputs in reverse order).  TIHO backward and
 *    fee-pro-rata backward are rejected (CS_EUSAGE): TIHO's input order
 *    depends on the very taint being reconstructed, and pro-rata mixes every
 *    input into the fee, so neither has a well-defined inverse.
 *  - Seeds are outputs (or satoshi ranges of outputs, FIFO positions).  A
 *    seed that the walk also reaches from another seed is not counted twice:
 *    seed_amount is the taint the seeds ADDED (sum of the seeds minus any
 *    overlap with taint that arrived there).  Seeds are never sinks.
 *  - Sinks: an output (forward) or a spent output (backward) whose address
 *    belongs to an entity (attrib.h) with a category in stop_mask ends its
 *    path; its taint is added to that entity's sink.  With stop_coinjoin a
 *    transaction that cs_coinjoin_classify() reports as a CoinJoin (with the
 *    multi-input veto, so not a Tx0) is a sink too: entity "coinjoin",
 *    category mixer; the taint entering it (forward) or leaving it
 *    (backward) is booked there whole.
 *  - Sweep rule (forward, sweep_rule = 1): an output whose spender has at
 *    least two inputs and pays every output of non-zero value to one
 *    stopping entity E is E's deposit, even when its own cluster carries no
 *    tag: a multi-input consolidation that pays nothing but E is E's sweep
 *    of its deposit addresses (the Bitcoin analogue of the EVM deposit-address
 *    rule, METHODS §3.1).  The taint becomes a sink of E at that output.
 *    False positive: an owner who consolidates several coins straight into
 *    E's wallet is counted one hop early (the sweep's fee share goes to E).
 *  - min_amount: an output whose taint is below it is not followed; its
 *    taint is added to `dropped` (checked after the sink test, so a small
 *    amount that reaches an exchange is still reported there).
 *  - Fees: the taint the kernel gives the fee is added to `fees` and not
 *    followed into the block's coinbase (BlockSci taintFee = false): the
 *    miner is not a suspect.  Backward there is no fee (the whole output
 *    value is mapped onto inputs).
 *  - Frontier: tainted outputs the walk stops at without a sink: "unspent"
 *    (forward: no spender in the snapshot), "until_height" (forward: the
 *    spender is above until_height; backward: the creator is below it),
 *    "max_hops" (the next transaction would be hop max_hops + 1), "coinbase"
 *    (backward: freshly mined coins, the origin).
 *  - Hops: seeds are hop 0; a transaction is hop 1 + the smallest hop of its
 *    tainted inputs (forward) / outputs (backward).
 *  - Conservation: for HAIRCUT, FIFO, LIFO and TIHO
 *        seed_amount == sum(sinks) + sum(frontier) + fees + dropped
 *    exactly; cs_trace_run checks it and calls BUG() on a violation.  POISON
 *    is not conservative (result->conservative = 0).
 *  - Determinism: the result is a pure function of (store snapshot, seeds,
 *    options, attribution); sinks are sorted by amount descending then
 *    entity name, frontier by amount descending then output id, sink tx
 *    lists ascending.
 *
 * Cost: per processed transaction O(inputs + outputs) map probes, store
 * reads and one kernel call (plus O(k log k) for the CoinJoin test when
 * stop_coinjoin and the tx has >= 2 inputs and >= 2 outputs, and an
 * O(log txs) search per input backward).  Labels: the walker uses label 1
 * for every seed. */
#ifndef CS_TRACE_TRACE_H
#define CS_TRACE_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "btc/store.h"
#include "trace/attrib.h"
#include "trace/policy.h"
#include "util/error.h"

#define CS_TRACE_UNLIMITED UINT32_MAX
#define CS_TRACE_WHOLE UINT64_MAX
/* Sink entity number of the CoinJoin pseudo-entity (cs_trace_sink.entity). */
#define CS_TRACE_COINJOIN (-2)

enum cs_trace_reason {
    CS_TRACE_UNSPENT = 0,
    CS_TRACE_MAX_HOPS = 1,
    CS_TRACE_UNTIL_HEIGHT = 2,
    CS_TRACE_COINBASE = 3,
};
/* "unspent", "max_hops", "until_height", "coinbase". Static. */
const char *cs_trace_reason_name(int reason);

/* Satoshis [offset, offset + amount) of output `out`; amount CS_TRACE_WHOLE
 * (with offset 0) is the whole output.  Ranges past the output's value are
 * CS_EUSAGE. */
struct cs_trace_seed {
    uint64_t out;
    uint64_t offset;
    uint64_t amount;
};

struct cs_trace_opts {
    enum cs_policy policy;
    enum cs_feeconv feeconv;
    int backward;
    uint32_t max_hops;    /* CS_TRACE_UNLIMITED: no limit */
    uint64_t min_amount;  /* 0: follow every satoshi */
    int64_t until_height; /* -1: no limit */
    uint32_t stop_mask;   /* bit (1 << enum cs_tag_category) per stopping category */
    int stop_coinjoin;    /* 1: detected CoinJoins are sinks ("coinjoin", mixer) */
    int sweep_rule;       /* 1: forward, an output swept into a stopping entity is its deposit */
    const struct cs_attrib *attrib; /* NULL: nothing is attributed */
    /* Flow graph for DOT/HTML: at most graph_max_edges edges are recorded
     * (0: none); beyond that graph_truncated is set. */
    size_t graph_max_edges;
    /* Called every 65536 processed transactions; nonzero stops the walk with
     * CS_EINTERRUPTED.  May be NULL. */
    int (*progress)(void *ctx, uint64_t txs_visited, uint64_t pending);
    void *progress_ctx;
    /* log2 of the pending-transaction window (0: 20, i.e. 2^20 tx ids in a
     * 128 KiB bitmap).  Only the tests change it, to drive the overflow heap. */
    unsigned pending_window_bits;
    /* log2 of the ring of recent outputs (forward walks only; 0: 20, i.e.
     * 32 MiB, on stores of more than 2^22 outputs, none below).  Only the
     * tests set it, to drive evictions from a tiny ring. */
    unsigned ring_bits;
};

/* Defaults: haircut, fee-last, forward, no hop/height/amount limits, stop at
 * exchange, mixer, bridge, sanctioned, CoinJoins stop, sweep rule on, no
 * attribution, no graph. */
void cs_trace_opts_default(struct cs_trace_opts *o);

struct cs_trace_sink {
    int32_t entity;    /* attrib entity number, or CS_TRACE_COINJOIN */
    const char *label; /* borrowed from the attrib table, or "coinjoin" (static) */
    int category;      /* enum cs_tag_category */
    uint64_t amount;   /* tainted satoshis that reached it */
    uint64_t outputs;  /* outputs (or CoinJoin txs) through which it arrived */
    uint32_t hops;     /* smallest hop at which it was reached */
    /* forward: the transactions that paid the entity (created the sink
     * outputs), first_tx the earliest; backward: the entity's transactions
     * whose outputs the traced coins came from, first_tx the latest (the
     * first one met going back); for "coinjoin" the CoinJoin transactions.
     * Distinct, ascending. */
    uint64_t first_tx;
    uint64_t *txs;
    size_t n_txs;
};

struct cs_trace_front {
    uint64_t out;
    uint64_t amount;
    uint32_t hops;
    int reason; /* enum cs_trace_reason */
    /* FIFO, LIFO, TIHO: which satoshis of the output are tainted, as the run
     * list result->runs[run_first .. run_first + nruns) (label 0 clean, 1
     * tainted, in satoshi order, adding up to the output's value); nruns = 0
     * for poison and haircut. */
    size_t run_first, nruns;
};

/* Per hop k (index): what happened at transactions of hop k. */
struct cs_trace_hop {
    uint64_t txs;         /* transactions processed */
    uint64_t amount_in;   /* taint entering them */
    uint64_t to_sinks;    /* of which reached a sink */
    uint64_t fees;        /* went to fees */
    uint64_t dropped;     /* below min_amount */
    uint64_t to_frontier; /* ended on frontier outputs created at this hop */
};

/* Flow-graph edge: from transaction `tx` through output `out` (CS_NONE64:
 * the fee, or the whole tx for a CoinJoin sink) carrying `amount`.
 * Forward: tx created out; backward: tx spent out.  kind says where it went:
 *   CS_TRACE_E_OUTPUT  a tainted output kept by the walk: it leads to
 *                      `to` (forward: its spender, CS_NONE64 if unspent;
 *                      backward: its creator) unless the frontier lists it
 *   CS_TRACE_E_SINK    to sink number `to` (index into result->sinks)
 *   CS_TRACE_E_FEE     to the fee
 *   CS_TRACE_E_DROP    dropped (below min_amount)
 *   CS_TRACE_E_SEED    a seed output of tx (hop 0; `to` as for OUTPUT) */
enum { CS_TRACE_E_OUTPUT, CS_TRACE_E_SINK, CS_TRACE_E_FEE, CS_TRACE_E_DROP, CS_TRACE_E_SEED };
struct cs_trace_edge {
    uint64_t tx;
    uint64_t out;
    uint64_t to;
    uint64_t amount;
    uint32_t hop; /* hop of tx (0 for seeds) */
    int kind;
};

struct cs_trace_seedinfo {
    uint64_t out;
    uint64_t amount; /* satoshis seeded on it */
};

struct cs_trace_result {
    enum cs_policy policy;
    enum cs_feeconv feeconv;
    int backward;
    int conservative; /* 0 for poison */
    uint64_t seed_amount;
    uint64_t fees, dropped;
    uint64_t txs_visited;
    struct cs_trace_sink *sinks;
    size_t n_sinks;
    struct cs_trace_front *frontier;
    size_t n_frontier;
    struct cs_run *runs; /* frontier run lists (ordered policies) */
    size_t n_runs;
    struct cs_trace_hop *hops;
    size_t n_hops;
    struct cs_trace_seedinfo *seeds; /* distinct seed outputs, ascending */
    size_t n_seeds;
    struct cs_trace_edge *edges;
    size_t n_edges;
    int graph_truncated;
    /* resources */
    uint64_t peak_live;    /* largest number of live tainted outputs held */
    uint64_t peak_pending; /* largest heap size */
    uint64_t bytes;        /* peak bytes of the walker's own structures */
};

/* Runs a trace over store snapshot s.  Writes *res (caller storage; free
 * with cs_trace_result_free, also after an error).  Seeds with amount 0 or
 * a zero-value output are ignored; none left is CS_EUSAGE.
 * Returns 0; CS_EUSAGE for unusable options (TIHO or fee-pro-rata
 * backward, a seed out of range); CS_EINTERRUPTED from progress;
 * CS_ECORRUPT when the store contradicts the kernel (outputs above inputs).
 * Cost: see the header comment; memory O(peak live outputs + pending txs +
 * recorded graph + sink tx lists). */
int cs_trace_run(struct cs_trace_result *res, const struct cs_store *s,
                 const struct cs_trace_opts *o, const struct cs_trace_seed *seeds,
                 size_t n_seeds) CS_MUST_CHECK;

void cs_trace_result_free(struct cs_trace_result *res);

/* Sum of the frontier amounts and of the sink amounts. O(n). */
uint64_t cs_trace_frontier_total(const struct cs_trace_result *res);
uint64_t cs_trace_sinks_total(const struct cs_trace_result *res);

#endif
