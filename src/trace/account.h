/* account.h — the account-model step of the taint walker: follow tainted
 * value through an EVM store (docs/METHODS.md §1.6), forward.
 *
 * Model.  Taint lives in lots per (holder, asset) (trace/lots.h, one
 * policy); the asset is the native coin (0) or a token contract's account
 * row.  The store's value transfers are booked in row order, which is the
 * ingest's order (value, inner frames, token moves, fee tip then burn; block
 * rewards and withdrawals after a block's txs).  NFT kinds are not traced.
 *
 * Only followed holders are on the ledger: a seed's receiver, and every
 * holder a followed holder paid taint to (unless it stops there).  A holder
 * starts being followed at the transfer that first brings it taint; its
 * balance before that transfer is summed from its own transfers (the
 * store's per-account adjacency, O(its history)), and from then on every
 * transfer it sends or receives is booked: its later transfers are queued
 * by row in a min-heap, so a step is a slice of its adjacency, never a scan
 * of the chain.  A transaction is booked as one unit when its first queued
 * transfer comes up (the swap rule needs the whole tx).
 *
 * Swaps: in a tx whose sender E is followed and holds taint, E's non-fee
 * fungible movements are netted per asset; one asset out on net and another
 * in makes a swap (METHODS §1.6), booked as debits of the net outflows and
 * credits of the net inflows carrying the taint fraction of what was sent.
 * Sinks: a receiver whose entity (the caller's lookup) has a category in
 * stop_mask.  Fees: the taint of fee transfers; burns: of other debits to no
 * account; poisoning-marked transfers (CS_XF_ZERO, CS_XF_LOOKALIKE, tokens
 * with CS_TOK_* marks) are booked but never followed (their taint dropped).
 *
 * Conservation, per asset a, for haircut, fifo and lifo:
 *   seed[a] + swapped_in[a] + relinked[a] == sinks[a] + frontier[a] + fees[a]
 *                              + burned[a] + dropped[a] + swapped_out[a]
 * cs_acct_trace_run checks it and BUG()s on a violation.
 *
 * Determinism: the result is a pure function of (snapshot, seeds, options,
 * lookup); lists are sorted as each field says. */
#ifndef CS_TRACE_ACCOUNT_H
#define CS_TRACE_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "evm/store.h"
#include "trace/lots.h"
#include "util/error.h"
#include "util/u256.h"

#define CS_ACCT_UNLIMITED UINT32_MAX

enum { CS_ACCT_HELD = 0, CS_ACCT_MAX_HOPS = 1 };
/* "held", "max_hops". Static. */
const char *cs_acct_reason_name(int reason);

struct cs_acct_link {
    uint64_t dep_tx, wd_tx; /* tx rows, dep_tx before wd_tx */
    uint64_t recipient;     /* account row the withdrawal paid */
    int heuristic;          /* the caller's code (evm/links.h CS_LH_*) */
};

struct cs_acct_opts {
    enum cs_lots_policy policy;
    uint32_t max_hops;         /* CS_ACCT_UNLIMITED: none */
    struct cs_u256 min_amount; /* native asset only; 0: follow everything */
    uint64_t until_block;      /* block number; UINT64_MAX: the tip */
    uint32_t stop_mask;        /* bit (1 << enum cs_tag_category) per stopping category */
    /* Entity of account row a: its number (>= 0) and *category, or -1.
     * NULL: nothing is attributed. */
    int32_t (*lookup)(void *ctx, uint64_t a, int *category);
    void *lookup_ctx;
    /* 1: after the walk, check that every followed holder's ledger balance
     * equals its balance in the store at the end of the walk, per asset
     * (O(their history); CS_ECORRUPT naming the first difference) */
    int check_balances;
    /* Mixer links (--through-mixer-links): deposit tx -> withdrawal tx pairs
     * of a linking heuristic (evm/links.h).  Taint paid into a mixer sink by
     * a linked deposit tx continues, as a scored hop, at the withdrawal's
     * payment to its recipient (at most what the withdrawal paid it); each
     * deposit's taint goes to its earliest linked withdrawal.  The mixer sink
     * still shows what entered; what continues is counted as "relinked" on
     * the input side of the conservation, and everything reached after a
     * link is marked via_link.  n_links 0: mixers end paths. */
    const struct cs_acct_link *links;
    size_t n_links;
    /* every 65536 txs booked; nonzero stops with CS_EINTERRUPTED.  May be NULL. */
    int (*progress)(void *ctx, uint64_t txs, uint64_t pending);
    void *progress_ctx;
};
void cs_acct_opts_default(struct cs_acct_opts *o);

/* (asset, amount) */
struct cs_acct_amount {
    uint64_t asset;
    struct cs_u256 amount;
};

struct cs_acct_sink {
    int32_t entity;
    int category;
    uint64_t asset;
    struct cs_u256 amount;
    uint64_t transfers;  /* transfers through which it arrived */
    uint32_t hops;       /* smallest hop of the paying holder + 1 */
    uint64_t first_tx;   /* tx row of the first of them */
    uint64_t first_acct; /* the account it first arrived at */
    int via_link;        /* reached through a mixer link (a separate row) */
};

struct cs_acct_front {
    uint64_t holder, asset;
    struct cs_u256 amount;
    uint32_t hops;
    int reason;   /* CS_ACCT_HELD, CS_ACCT_MAX_HOPS */
    int via_link; /* the holder was reached through a mixer link */
};

/* A mixer link the walk went through. */
struct cs_acct_linkhop {
    uint64_t dep_tx, wd_tx, recipient, asset;
    int heuristic;
    struct cs_u256 deposited, relinked; /* taint paid in; taint that continued */
    int used;                           /* the withdrawal's payment was reached */
};

struct cs_acct_leg {
    uint64_t asset;
    struct cs_u256 amount, tainted;
};

struct cs_acct_swap {
    uint64_t tx, holder;
    size_t first_leg, n_sent, n_received; /* legs[first_leg ..]: sent, then received */
};

struct cs_acct_result {
    enum cs_lots_policy policy;
    int conservative; /* 0 for poison */
    /* per asset, ascending asset row; every asset that appears anywhere is in
     * every list (amount 0 where it is not used), so a caller can add them up */
    struct cs_acct_amount *seed, *swapped_in, *swapped_out, *fees, *burned, *dropped, *relinked;
    size_t n_assets;
    struct cs_acct_sink *sinks; /* by asset, amount descending, entity */
    size_t n_sinks;
    struct cs_acct_front *frontier; /* by asset, amount descending, holder */
    size_t n_frontier;
    struct cs_acct_swap *swaps; /* chain order */
    size_t n_swaps;
    struct cs_acct_leg *legs;
    size_t n_legs;
    struct cs_acct_linkhop *linkhops; /* chain order of the deposit */
    size_t n_linkhops;
    uint64_t poisoning_ignored; /* poisoning-marked transfers touching a followed holder */
    uint64_t txs_visited, transfers_visited, holders, history_rows;
    uint64_t seed_transfers;
    /* txs booked in blocks whose internal transfers (traces) or token
     * transfers the store does not hold (an Era1 range, a node without a
     * tracer): value moved there by contracts is not seen.  The block numbers
     * of the first and last such block. */
    uint64_t txs_without_internal, txs_without_tokens;
    uint64_t unavailable_first, unavailable_last;
    uint64_t last_block;    /* block number the walk ended at (until_block or the tip) */
    struct cs_u256 assumed; /* clean funds assumed for debits above a balance */
    uint64_t peak_pending, bytes;
};

/* Runs a forward trace from the transfer rows seeds[0..n) (CS_EUSAGE when
 * one is out of range, has no receiver, is a fee or an NFT, or none is
 * left).  *res is caller storage; free with cs_acct_result_free, also after
 * an error.  CS_EINTERRUPTED from progress. */
int cs_acct_trace_run(struct cs_acct_result *res, const struct cs_evm *s,
                      const struct cs_acct_opts *o, const uint64_t *seeds, size_t n) CS_MUST_CHECK;
void cs_acct_result_free(struct cs_acct_result *res);

/* 1 when transfer x of s is an address-poisoning mark (see above). */
int cs_acct_is_poisoning(const struct cs_evm *s, const struct cs_evm_xferrec *x);
/* 1 for the kinds the walker books (fungible: native, internal,
 * selfdestruct, fees, rewards, withdrawals, ERC-20, WETH wraps). */
int cs_acct_kind_fungible(int kind);

#endif
