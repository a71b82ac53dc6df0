/* links.h — Tornado Cash-style deposit -> withdrawal linking on an EVM store
 * (METHODS.md §3.2, Wang et al. 2023; Tutela's five heuristics).
 *
 * Input is only what the store holds: txs (from, to, type, effective gas
 * price, block), value transfers with their per-account adjacency, and the
 * kept raw logs.  A pool is a contract emitting the Tornado events
 *   Deposit(bytes32 indexed commitment, uint32 leafIndex, uint256 timestamp)
 *   Withdrawal(address to, bytes32 nullifierHash, address indexed relayer, uint256 fee)
 * (or one named in params.pools); its denomination is the most common native
 * value its deposit txs paid into it.  An anonymity-mining claim is the
 * reward-swap event Swap(address indexed recipient, uint256 AP, uint256 TORN),
 * which the default ingest does not keep: ingest with
 * `--keep-logs 'Swap(address,uint256,uint256)'` for the TORN heuristic.
 *
 * Records:
 *  - deposit: the tx holding a pool's Deposit log; depositor = tx.from.
 *  - withdrawal: the tx holding a pool's Withdrawal log; recipient = the
 *    event's `to`, relayer = its indexed topic (0 = none), fee from the data,
 *    sender = tx.from.  Self-relayed: no relayer (or relayer = sender) and
 *    sender = recipient.
 *
 * Heuristics (each link is a (withdrawal, deposit) pair with its evidence;
 * a deposit is always before its withdrawal in chain order):
 *  - ADDRESS: recipient = depositor, same pool.  One deposit per withdrawal:
 *    the account's deposits and withdrawals in a pool are paired first in,
 *    first out (the earliest unpaired deposit before the withdrawal).
 *  - GAS: a self-relayed withdrawal whose gas price equals that of a deposit
 *    into the same pool whose price no other deposit into that pool used;
 *    with gas_legacy_only both txs must be legacy (type 0), where the price is
 *    what the user chose (pre-EIP-1559 style).
 *  - LINKED: a depositor D and a recipient R != D with at least
 *    linked_min_txs distinct txs moving value between them (either way, any
 *    asset, fees and txs touching a pool excluded; at most walk_max of R's
 *    transfers read); then for every pool both used, D's deposits and R's
 *    withdrawals are paired FIFO as in ADDRESS, so deposits made after R's
 *    last withdrawal in that pool are never linked.
 *  - MULTI: an account's deposits (as depositor) and withdrawals (as
 *    recipient) are cut into bursts: a burst starts at the first record not in
 *    an earlier burst and takes every later one within multi_window blocks
 *    (7,200 blocks = 1 day at 12 s; block numbers, not timestamps).  A burst's
 *    portfolio is its count per pool; only portfolios over at least
 *    multi_min_pools pools count.  The candidates of a withdrawal burst are
 *    the unmatched deposit bursts with the same portfolio whose last deposit
 *    is before the burst's first withdrawal and at most multi_max_delay
 *    blocks before it (0: no bound).  It is matched when there is exactly one
 *    (the portfolio is unique in that window), or, with multi_nearest, to
 *    the nearest candidate; withdrawal bursts are taken in chain order and a
 *    matched deposit burst is not a candidate again.  Inside a matched pair
 *    each pool's deposits and withdrawals are paired FIFO (which note of a
 *    portfolio is which cannot be told from the chain).
 *  - TORN: a claim of AP by account R at block c; for each withdrawal to R at
 *    block w with c - claim_window <= w <= c, in a pool with a rate r
 *    (AP per block; torn_rate) dividing AP: the deposit into that pool at
 *    block w - AP / r, linked when it is the only one in that block.
 *
 * Order: GAS and TORN (exact evidence) run first.  Unless params.independent,
 * the FIFO pairings of ADDRESS, LINKED and MULTI then skip a deposit that an
 * exact link ties to another withdrawal, and a withdrawal an exact link ties
 * to another deposit gets no FIFO link (a note is withdrawn once).
 *
 * Anonymity set of a withdrawal W in pool P: base = the deposits into P
 * before W in chain order; reduced = base minus the deposits in it linked (by
 * any enabled heuristic) to some withdrawal other than W.
 *
 * Components: the weakly connected components of the graph whose nodes are
 * accounts (depositors and recipients) and whose edges are the links, of two
 * accounts or more.  They are reported, never merged into the clustering.
 *
 * Cost: O(logs + deposits log deposits + withdrawals log withdrawals + the
 * transfers read for LINKED).  Memory: a few dozen bytes per pool event.
 * Everything returned is owned by the result (cs_links_free); account and tx
 * rows refer to the store, which must stay open while they are used. */
#ifndef CS_EVM_LINKS_H
#define CS_EVM_LINKS_H

#include <stddef.h>
#include <stdint.h>

#include "evm/store.h"
#include "util/error.h"
#include "util/u256.h"

enum {
    CS_LH_ADDRESS = 0,
    CS_LH_GAS = 1,
    CS_LH_LINKED = 2,
    CS_LH_MULTI = 3,
    CS_LH_TORN = 4,
    CS_LH_N
};
#define CS_LH_ALL ((1u << CS_LH_N) - 1)

/* "address_match", "unique_gas_price", "linked_addresses",
 * "multi_denomination", "torn_mining". */
const char *cs_links_heuristic_name(int h);
/* Parses a comma-separated list of those names (or address, gas, linked,
 * multi, torn; "all") into a bit set.  CS_EUSAGE naming the bad word. */
int cs_links_parse_heuristics(const char *list, unsigned *out) CS_MUST_CHECK;

#define CS_LINKS_MAX_RATES 16

struct cs_links_rate {
    struct cs_u256 denom; /* wei */
    uint64_t per_block;   /* AP per block in the pool */
};

struct cs_links_params {
    unsigned heuristics;        /* bit (1 << CS_LH_*) per heuristic run */
    const uint8_t (*pools)[20]; /* n_pools pool contracts; 0: every contract emitting the events */
    size_t n_pools;
    const uint8_t *reward_swap; /* 20 bytes: the only claim contract; NULL: any emitter */
    uint64_t linked_min_txs;    /* 3 */
    uint64_t walk_max;          /* 200000 transfers per recipient */
    int gas_legacy_only;        /* 1 */
    uint64_t multi_window;      /* 7200 blocks */
    uint64_t multi_min_pools;   /* 2 */
    uint64_t multi_max_delay;   /* 7200 blocks; 0 = unbounded */
    int multi_nearest;          /* 0: only a unique candidate portfolio; 1: the nearest */
    int independent;            /* 1: the FIFO pairings ignore the exact links (see below) */
    uint64_t claim_window;      /* 7200 blocks */
    struct cs_links_rate rate[CS_LINKS_MAX_RATES]; /* 0.1:4, 1:20, 10:50, 100:400 ETH */
    size_t n_rate;
};
/* Fills the defaults above. */
void cs_links_params_default(struct cs_links_params *p);

struct cs_links_pool {
    uint64_t acct;
    struct cs_u256 denom; /* most common deposit value (0 when no deposit paid value) */
    uint64_t n_dep, n_wd;
    uint64_t n_dep_other_value; /* deposits whose value differs from denom */
    uint64_t rate;              /* AP per block (0: no rate for this denomination) */
};

struct cs_links_dep {
    uint64_t tx, depositor, block; /* block number */
    uint64_t gas_price;
    uint32_t pool; /* index into pools */
    uint8_t tx_type;
};

struct cs_links_wd {
    uint64_t tx, recipient, relayer, sender, block; /* relayer 0: none */
    uint64_t gas_price;
    struct cs_u256 fee;
    uint32_t pool;
    uint8_t tx_type, self_relayed;
    uint8_t recipient_addr[20]; /* as the event names it (recipient is 0 if never stored) */
    uint64_t anon_base, anon_reduced;
    uint64_t first_link, n_link; /* its links: links[first_link .. + n_link) */
};

/* Evidence, by heuristic:
 *  ADDRESS: ev[0] = the account.
 *  GAS:     ev[0] = the gas price, wei.
 *  LINKED:  ev[0] = txs between depositor and recipient.
 *  MULTI:   ev[0] = pools in the portfolio, ev[1] = notes on each side,
 *           ev[2] = first deposit block, ev[3] = first withdrawal block,
 *           ev[4] = candidate deposit bursts with that portfolio.
 *  TORN:    ev[0] = claim tx row, ev[1] = AP, ev[2] = rate, ev[3] = blocks
 *           (AP / rate). */
struct cs_links_link {
    uint64_t wd, dep; /* indices into wds, deps */
    int heuristic;
    uint64_t ev[5];
};

struct cs_links_claim {
    uint64_t tx, recipient, block, ap;
};

struct cs_links_comp {
    uint64_t first, n; /* members[first .. + n) (account rows, ascending) */
    uint64_t n_links;
};

struct cs_links_result {
    struct cs_links_pool *pools;
    size_t n_pools;
    struct cs_links_dep *deps; /* chain order */
    size_t n_deps;
    struct cs_links_wd *wds; /* chain order */
    size_t n_wds;
    struct cs_links_link *links; /* by withdrawal, then heuristic, then deposit */
    size_t n_links;
    struct cs_links_claim *claims;
    size_t n_claims;
    struct cs_links_comp *comps; /* largest first, then by smallest member */
    size_t n_comps;
    uint64_t *members;
    size_t n_members;
    uint64_t per_heuristic[CS_LH_N]; /* links per heuristic */
    uint64_t malformed;              /* pool events of an unexpected shape, skipped */
    uint64_t walk_truncated;         /* recipients whose LINKED walk stopped at walk_max */
};

/* Runs the enabled heuristics over the store.  Returns 0, CS_EUSAGE for bad
 * params (naming the field), CS_ENOTFOUND when a named pool is not in the
 * store.  On error *r is empty. */
int cs_links_run(const struct cs_evm *s, const struct cs_links_params *p,
                 struct cs_links_result *r) CS_MUST_CHECK;
void cs_links_free(struct cs_links_result *r);

#endif
