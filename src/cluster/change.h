/* change.h — change-output heuristics (METHODS.md §2.2) as composable
 * predicates over output sets, the engine consensus rule, and the parser of
 * the heuristic spec string ("multi-input,change:fresh+type+optimal").
 *
 * Invariants:
 *  - A heuristic returns the set of outputs it CANNOT rule out as change.
 *    OP_RETURN outputs are never in any result.  A heuristic whose
 *    precondition does not hold (coinbase, mixed input types, no reused
 *    address, no known spender, ...) rules nothing out: it returns every
 *    spendable output and is then "uninformative".
 *  - Output sets are bitsets over 0 .. n_out-1 of any size: up to 256 outputs
 *    live inside the struct, larger ones allocate once in cs_outset_init.  A
 *    struct cs_outset must not be copied by assignment (use cs_outset_copy).
 *  - Heuristics are pure functions of the struct cs_txv (coinjoin.h), so the
 *    caller decides what "seen before" means by filling first_seen etc.
 *  - Consensus: intersect the informative heuristics; change is accepted only
 *    when exactly one output remains.  Callers must not ask about CoinJoins
 *    (cs_coinjoin_classify first); the BlockSci legacy rule re-checks the
 *    generic CoinJoin rule itself, as BlockSci does.
 *
 * Costs: each heuristic is O(n_in + n_out) except address reuse, which sorts
 * a copy of the input addresses (O(n_in log n_in), cs_xmalloc beyond 256
 * inputs).  Set operations are O(n_out / 64). */
#ifndef CS_CLUSTER_CHANGE_H
#define CS_CLUSTER_CHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "cluster/coinjoin.h"
#include "util/error.h"

/* ---- output sets -------------------------------------------------------- */

#define CS_OUTSET_INLINE_WORDS 4 /* 256 outputs without allocation */
#define CS_OUTSET_MAX (1u << 20) /* far above what a 4M-weight block allows */
#define CS_OUTSET_NONE SIZE_MAX

struct cs_outset {
    size_t n;       /* universe: outputs 0 .. n-1 */
    uint64_t *heap; /* owned; NULL when n <= 64 * CS_OUTSET_INLINE_WORDS */
    uint64_t small[CS_OUTSET_INLINE_WORDS];
};

/* Makes an empty set over n outputs. Returns 0, CS_ERANGE if n > CS_OUTSET_MAX,
 * CS_ENOMEM. Free with cs_outset_free (safe on a zeroed or freed struct). */
int cs_outset_init(struct cs_outset *s, size_t n) CS_MUST_CHECK;
void cs_outset_free(struct cs_outset *s);

void cs_outset_clear(struct cs_outset *s);
void cs_outset_fill(struct cs_outset *s); /* all n outputs */
/* i >= n is ignored by add/del and reads as absent. */
void cs_outset_add(struct cs_outset *s, size_t i);
void cs_outset_del(struct cs_outset *s, size_t i);
int cs_outset_has(const struct cs_outset *s, size_t i);
size_t cs_outset_count(const struct cs_outset *s);
/* Smallest member, or CS_OUTSET_NONE if empty. */
size_t cs_outset_first(const struct cs_outset *s);
/* Set algebra on sets of the same n (CS_EUSAGE otherwise): dst = dst op a. */
int cs_outset_and(struct cs_outset *dst, const struct cs_outset *a);    /* intersection */
int cs_outset_or(struct cs_outset *dst, const struct cs_outset *a);     /* union */
int cs_outset_andnot(struct cs_outset *dst, const struct cs_outset *a); /* difference */
int cs_outset_copy(struct cs_outset *dst, const struct cs_outset *a);
int cs_outset_equal(const struct cs_outset *a, const struct cs_outset *b);

/* ---- heuristics --------------------------------------------------------- */

enum {
    CS_CH_FRESH = 1u << 0,      /* fresh / one-time address (Meiklejohn H2) */
    CS_CH_REUSE = 1u << 1,      /* output address equals an input address */
    CS_CH_TYPE = 1u << 2,       /* same script type as all inputs */
    CS_CH_POW10 = 1u << 3,      /* value not a multiple of 10^d */
    CS_CH_OPTIMAL = 1u << 4,    /* value below the smallest input */
    CS_CH_LOCKTIME = 1u << 5,   /* spender shares the tx's fingerprint */
    CS_CH_GRAPHSENSE = 1u << 6, /* GraphSense one-time change */
    CS_CH_LEGACY = 1u << 7,     /* BlockSci legacy */
    CS_CH_ALL = (1u << 8) - 1,
};

struct cs_change_params {
    unsigned pow10_digits; /* d of the power-of-ten rule, 1..19; default 6 (BlockSci) */
    unsigned fp_mask;      /* CS_FP_* bits the locktime rule compares; default
                              CS_FP_LOCKTIME; add CS_FP_RBF | CS_FP_V2 to extend */
};
void cs_change_params_default(struct cs_change_params *p);

/* Name of one CS_CH_* bit ("fresh", "reuse", "type", "power10", "optimal",
 * "locktime", "graphsense", "legacy"); "?" otherwise. */
const char *cs_change_name(unsigned heuristic);

/* Each writes into cand (initialised over tx->n_out outputs, else CS_EUSAGE)
 * the outputs the heuristic cannot rule out, and returns 0.  Rules:
 *  fresh:      non-coinbase, no output address equals an input address, and
 *              exactly one spendable output has first_seen -> {it}.
 *  reuse:      outputs whose address is also an input address, if any.
 *  type:       all inputs share one script type -> outputs of that type
 *              (possibly none).
 *  power10:    outputs with value mod 10^d != 0.
 *  optimal:    outputs with value < the smallest input.
 *  locktime:   if some output has a known spender (spender_fp != 0):
 *              outputs whose spender is unknown or has the same fingerprint
 *              bits (params->fp_mask) as tx.
 *  graphsense: 2..10 spendable outputs; candidates have the inputs' common
 *              script type, value mod 1000 != 0, value < smallest input,
 *              addr_in_le1 and addr_out_le1, first seen in this tx or block,
 *              an address used once among the outputs; exactly one -> {it}.
 *  legacy:     not a generic CoinJoin, >= 2 spendable outputs, exactly one
 *              output with value < smallest input and first_seen -> {it}.
 * params may be NULL (defaults). */
int cs_change_run(const struct cs_txv *tx, unsigned heuristic,
                  const struct cs_change_params *params, struct cs_outset *cand) CS_MUST_CHECK;
int cs_change_fresh(const struct cs_txv *tx, struct cs_outset *cand) CS_MUST_CHECK;
int cs_change_reuse(const struct cs_txv *tx, struct cs_outset *cand) CS_MUST_CHECK;
int cs_change_type(const struct cs_txv *tx, struct cs_outset *cand) CS_MUST_CHECK;
int cs_change_pow10(const struct cs_txv *tx, unsigned digits, struct cs_outset *cand) CS_MUST_CHECK;
int cs_change_optimal(const struct cs_txv *tx, struct cs_outset *cand) CS_MUST_CHECK;
int cs_change_locktime(const struct cs_txv *tx, unsigned fp_mask,
                       struct cs_outset *cand) CS_MUST_CHECK;
int cs_change_graphsense(const struct cs_txv *tx, struct cs_outset *cand) CS_MUST_CHECK;
int cs_change_legacy(const struct cs_txv *tx, struct cs_outset *cand) CS_MUST_CHECK;

/* Every non-OP_RETURN output (the "rules nothing out" result). */
int cs_change_spendable(const struct cs_txv *tx, struct cs_outset *set) CS_MUST_CHECK;
/* 1 if cand rules out at least one spendable output, else 0. */
int cs_change_informative(const struct cs_txv *tx, const struct cs_outset *cand);

/* Engine consensus: runs the heuristics in the CS_CH_* mask, intersects the
 * informative ones and writes the change output index to *change, or
 * CS_OUTSET_NONE when no heuristic is informative, the intersection is not a
 * single output, or tx is a coinbase.  *informative (may be NULL) receives
 * the mask of heuristics that were informative.  Returns 0, CS_EUSAGE for a
 * bad params value, CS_ERANGE/CS_ENOMEM from the sets. Allocates only for
 * more than 256 outputs. */
int cs_change_consensus(const struct cs_txv *tx, unsigned heuristics,
                        const struct cs_change_params *params, size_t *change,
                        unsigned *informative) CS_MUST_CHECK;

/* ---- spec string -------------------------------------------------------- */

struct cs_cluster_spec {
    int multi_input;   /* "multi-input" given */
    unsigned change;   /* CS_CH_* from "change:a+b+..." */
    unsigned coinjoin; /* CS_CJ_* from "coinjoin:a+b+...", CS_CJ_DEFAULT if absent */
    struct cs_change_params params;
};

/* Parses a comma-separated spec: "multi-input", "change:<h>+<h>...",
 * "coinjoin:<c>+<c>...", "none".  Change names: fresh reuse type power10
 * power10=<d> optimal locktime graphsense legacy all.  CoinJoin names: generic
 * wasabi-1.0 wasabi-1.1 wasabi-2.0 whirlpool whirlpool-tx0 joinmarket
 * stonewall-control exchange-control date-gate all default none.  Returns 0,
 * or CS_EUSAGE with a message naming the bad word and listing the valid
 * names. Spaces around items are allowed. */
int cs_cluster_spec_parse(const char *spec, struct cs_cluster_spec *out) CS_MUST_CHECK;

#endif
