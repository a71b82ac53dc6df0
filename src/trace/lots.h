/* lots.h — account-model taint (METHODS.md §1.4): what part of each
 * (holder, asset) balance is tainted, under one policy, as value moves.
 * Chain-neutral: holders and assets are opaque 64-bit ids (an EVM store's
 * account rows; asset 0 is the native coin); amounts are exact u256.
 *
 * Policies:
 *  - poison: a holder that ever received taint in an asset sends only taint
 *    of it; not conservative (what it reports can exceed what was seeded).
 *  - haircut: a debit of x from a balance B holding taint T carries
 *    floor(x * T / B); the rounding remainder stays with the holder, so taint
 *    is conserved to the unit, and a debit of the whole balance carries all T.
 *  - fifo / lifo: the balance is a queue of pure segments (each all tainted or
 *    all clean) in arrival order; a debit takes from the oldest (fifo) or
 *    newest (lifo) end, and the receiver appends what it took, segment by
 *    segment, so a transfer that spans segments stays split (Clayton's case).
 *
 * Balances the ledger does not cover (a store that starts after genesis, an
 * airdrop's pre-existing holders) show as a debit above the balance: the
 * shortfall is taken to be clean funds the holder had before, and counted in
 * cs_lots_stats.assumed.  Credits from no holder (mint, reward, withdrawal)
 * are clean; debits to no holder (burn) leave the ledger.  Nothing here knows
 * about transactions or fees: the walker books a tx's transfers in order,
 * which is fee-last because the ledger stores the fee after the value. */
#ifndef CS_TRACE_LOTS_H
#define CS_TRACE_LOTS_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/u256.h"

enum cs_lots_policy { CS_LOTS_POISON, CS_LOTS_HAIRCUT, CS_LOTS_FIFO, CS_LOTS_LIFO };

struct cs_lots;

struct cs_lots_stats {
    uint64_t holders;       /* (holder, asset) pairs tracked */
    uint64_t segments;      /* fifo/lifo segments held, all pairs */
    struct cs_u256 assumed; /* clean balance assumed for debits above the balance, per
                               asset summed (a diagnostic, in base units) */
};

struct cs_lots *cs_lots_new(enum cs_lots_policy p);
void cs_lots_free(struct cs_lots *l);

/* Moves amount of asset from holder `from` to holder `to` (either may be
 * CS_LOTS_NONE: mint or burn); *tainted (may be NULL) gets the tainted part
 * of what moved.  CS_ERANGE only if a balance would pass 2^256 - 1. */
#define CS_LOTS_NONE UINT64_MAX
int cs_lots_move(struct cs_lots *l, uint64_t from, uint64_t to, uint64_t asset,
                 const struct cs_u256 *amount, struct cs_u256 *tainted) CS_MUST_CHECK;
/* Marks amount of holder's current balance of asset as tainted (a seed); what
 * exceeds the clean part of the balance is credited as new tainted funds (a
 * seed at a holder the ledger saw none of).  Under fifo/lifo the newest clean
 * funds are marked first. */
int cs_lots_seed(struct cs_lots *l, uint64_t holder, uint64_t asset,
                 const struct cs_u256 *amount) CS_MUST_CHECK;

/* Credits amount of asset to holder from no one, of which `tainted` is
 * tainted (a swap's received asset).  Under fifo/lifo a credit is one
 * segment: tainted must be 0 or the whole amount (BUG otherwise); under
 * poison any taint makes the holder's whole balance of the asset tainted.
 * CS_ERANGE only if the balance would pass 2^256 - 1. */
int cs_lots_credit(struct cs_lots *l, uint64_t holder, uint64_t asset, const struct cs_u256 *amount,
                   const struct cs_u256 *tainted) CS_MUST_CHECK;
/* Credits to holder `to` exactly what the last cs_lots_move(from, CS_LOTS_NONE,
 * ...) took: the same amount, taint and (fifo/lifo) segments, so that a move
 * to no one followed by this equals a move from `from` to `to`.  Lets a
 * walker decide where the value goes after seeing its taint. */
int cs_lots_credit_taken(struct cs_lots *l, uint64_t to, uint64_t asset) CS_MUST_CHECK;
/* The segments the last cs_lots_move took from its sender, in the sender's
 * arrival order (fifo/lifo; *n = 0 for poison and haircut).  Valid until the
 * next call that moves value. */
struct cs_lots_seg {
    struct cs_u256 amt;
    uint8_t tainted;
};
const struct cs_lots_seg *cs_lots_taken(const struct cs_lots *l, size_t *n);

/* Balance and tainted part of (holder, asset); zeros when never seen. */
void cs_lots_get(const struct cs_lots *l, uint64_t holder, uint64_t asset, struct cs_u256 *balance,
                 struct cs_u256 *tainted);
void cs_lots_stats(const struct cs_lots *l, struct cs_lots_stats *st);

/* Visits every (holder, asset) with a tainted part, in no fixed order. */
void cs_lots_each_tainted(const struct cs_lots *l,
                          void (*fn)(void *ctx, uint64_t holder, uint64_t asset,
                                     const struct cs_u256 *balance, const struct cs_u256 *tainted),
                          void *ctx);

#endif
