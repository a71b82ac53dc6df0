/* evm_cluster.h — account clustering on an EVM store (docs/METHODS.md §3.1,
 * Victor 2020): deposit-address reuse, airdrop multi-participation and
 * self-authorization, over one snapshot of evm/store.h, with a 64-bit
 * union-find over account rows, a stored result and the evidence of every
 * union for `cluster --chain eth --why A B`.
 *
 * The rules, exactly (parameters in struct cs_evmclu_params, defaults from
 * METHODS §3.1):
 *
 *  EOA.  An account is taken for an externally owned account when it is the
 *    sender of at least one transaction of the snapshot (only a key can sign
 *    one) and it was never created by one.  Contracts never send transactions,
 *    so this errs only on the side of missing an EOA that has not sent yet.
 *  Miner.  The fee recipient of any block, and any receiver of a block reward.
 *
 *  deposit.  Per account D, the native inflows since D's last native outflow
 *    are pending (value and successful inner-call transfers into D, amount > 0,
 *    no poisoning mark).  A top-level native transfer D -> E of a' > 0 in a tx
 *    that D sent, E an EOA other than D, with pending inflows summing to a, all
 *    of them at most max_gap blocks before the transfer's block, and
 *    0 <= a - a' <= max_diff wei, is a forward of D to E.  E is an exchange
 *    when it is tagged as one (params.exchanges) or when at least
 *    deposit_min_forwarders distinct accounts forward to it; a forward to an
 *    exchange, D not an exchange itself, makes D a deposit address of E.  The same for
 *    an ERC-20 token when `deposit` covers tokens (token_max_diff, in the
 *    token's base units, default 0: a token sweep forwards the whole amount;
 *    the gas it needs was topped up in ETH and only ever touches the native
 *    pending sum).  Any native outflow (any outflow of that token) ends the
 *    pending run, matched or not.  Then D joins E (the exchange entity), and
 *    every sender of value or tokens to D (amount > 0, no poisoning mark) that
 *    is an EOA, not a miner, not itself a deposit address and not an E of any
 *    deposit address (an exchange paying into another's deposit address is
 *    not its customer) joins one entity: the user.  With deposit_exclusive,
 *    a sender that paid two or more deposit addresses of one E joins none.
 *  airdrop.  An airdrop is a (token, distributor, amount) of ERC-20 transfers
 *    to at least airdrop_min distinct recipients whose median block gap (over
 *    the transfers in chain order) is at most airdrop_max_gap.  A recipient R
 *    that is an EOA and later sends exactly that amount of that token, in a tx
 *    it sent, to an EOA A other than the distributor forwards to A; every A
 *    with at least airdrop_min_senders such recipients joins them.
 *  selfauth.  An Approval log (topic 8c5be1e5..., owner O, spender S in
 *    topics 1 and 2) emitted by contract T in tx t0, and a later tx t1 sent by
 *    S to T that moves T's tokens from O (amount > 0, no poisoning mark):
 *    S called transferFrom(O, ...) under its own allowance; O joins S.  S is
 *    an EOA by construction (it sent t1); approvals to contracts (DEX routers)
 *    never match.
 *
 * Files in DB/CHAIN/cluster/ (next to the Bitcoin clustering's, which uses
 * other names):
 *   EVM_CLUSTER_STATE  text, SHA-256 checked: chain, parameters, the store
 *                      tip it was made at (block rows, number, hash), counts,
 *                      statistics, the generation G and the SHA-256 of the
 *                      two files below.  The commit point.
 *   evm.G.cid          u64 per account row: cluster id = smallest account row
 *                      of the cluster (row 0, "no account", is 0)
 *   evm.G.ev           struct cs_evmclu_ev per union that joined two sets
 *   EVM_CLUSTER_LOCK   flock: one run at a time
 *
 * Invariants:
 *  - A run computes everything in memory, writes evm.G.* (G = the old one + 1)
 *    through util/atomic_file.h (tmp, fsync, rename, fsync of the directory),
 *    then replaces EVM_CLUSTER_STATE the same way, then removes the files of
 *    other generations.  kill -9 anywhere leaves the old state with its files
 *    or the new one with its; a reader that lost a race with the removal
 *    re-reads the state.  An open reader keeps its mappings.
 *  - Cluster ids do not depend on the order of unions (the final pass roots
 *    every set at its smallest row), and a run is deterministic: the same
 *    snapshot and parameters give byte-identical files.
 *  - Every run recomputes from scratch (the EOA and deposit rules look at
 *    later transactions, so an update could not equal a full run); it costs
 *    O(transfers + logs) and memory O(accounts + token (account, token) pairs).
 *  - A clustering belongs to the tip it was made at: cs_evmclu_open refuses a
 *    snapshot whose tip differs (CS_ESTALE), whether the store grew or rolled
 *    back to another branch. */
#ifndef CS_CLUSTER_EVM_CLUSTER_H
#define CS_CLUSTER_EVM_CLUSTER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "evm/store.h"
#include "util/error.h"

/* The clustering was made at another tip or branch than the snapshot's.
 * util/error.h has no such code yet; until it does this is an alias of
 * CS_ECONSENSUS ("the chain is not the one the data was made for"), so
 * callers must compare with CS_ESTALE, never with the number. */
#ifndef CS_ESTALE
#define CS_ESTALE CS_ECONSENSUS
#endif

#define CS_EVMCLU_FORMAT 1

enum {
    CS_EVMCLU_DEPOSIT = 1,  /* deposit-address reuse (native and, with _TOKENS, ERC-20) */
    CS_EVMCLU_AIRDROP = 2,  /* airdrop multi-participation */
    CS_EVMCLU_SELFAUTH = 4, /* self-authorization */
    CS_EVMCLU_TOKENS = 8,   /* the deposit rule also follows ERC-20 sweeps */
    CS_EVMCLU_ALL = 15,
};

/* Kinds of union, as stored in cs_evmclu_ev.heur. */
enum {
    CS_EVMCLU_EV_DEPOSIT_EXCHANGE = 1, /* a = D, b = E; tx = the sweep, tx2 = D's last inflow */
    CS_EVMCLU_EV_DEPOSIT_USER = 2,     /* a, b senders to D = via; tx = b's payment to D,
                                          tx2 = a's (D's sweep is D's _EXCHANGE row) */
    CS_EVMCLU_EV_AIRDROP = 3,          /* a = R, b = A; via = token; tx = R's forward,
                                          tx2 = the airdrop tx that paid R */
    CS_EVMCLU_EV_SELFAUTH = 4,         /* a = O, b = S; via = token; tx = the transferFrom,
                                          tx2 = the approval */
};

struct cs_evmclu_params {
    unsigned heuristics;        /* CS_EVMCLU_* bits */
    uint64_t deposit_max_diff;  /* wei, default 10^16 (0.01 ETH) */
    uint64_t deposit_max_gap;   /* blocks, default 10,000 */
    uint64_t token_max_diff;    /* token base units, default 0 */
    uint64_t airdrop_min;       /* distinct recipients, default 1,000 */
    uint64_t airdrop_max_gap;   /* median block gap, default 2 */
    uint64_t airdrop_min_senders; /* default 2 */
    /* Which EOAs count as exchanges E: the accounts listed here (the caller
     * resolves the chain's exchange tags), and any EOA that at least
     * deposit_min_forwarders distinct accounts forward to by the amount and
     * time rule (default 20; UINT64_MAX: tagged exchanges only). */
    const uint64_t *exchanges;
    size_t n_exchanges;
    uint64_t deposit_min_forwarders;
    /* 1: a sender that paid two or more deposit addresses of one exchange
     * joins none of their users (a person keeps one deposit address per
     * exchange, so one of them is someone else's).  Not in Victor's rule;
     * off by default. */
    int deposit_exclusive;
    const char *tags_id; /* fingerprint of the tags used, for the state ("none") */
};

/* The defaults (every heuristic on, tokens included). */
void cs_evmclu_params_default(struct cs_evmclu_params *p);
/* Parses "deposit,airdrop,selfauth" (also "deposit-eth": the deposit rule
 * without tokens, "all", "none") into p->heuristics.  Returns 0 or CS_EUSAGE
 * naming the bad word. */
int cs_evmclu_heuristics_parse(const char *text, unsigned *out) CS_MUST_CHECK;
/* Canonical text of p ("deposit,airdrop,selfauth;max-diff=...;...").
 * Returns 0 or CS_ERANGE if cap is too small. */
int cs_evmclu_spec_format(const struct cs_evmclu_params *p, char *out, size_t cap) CS_MUST_CHECK;

/* One union that joined two sets, in the order they happened.  48 bytes. */
struct cs_evmclu_ev {
    uint64_t a, b;   /* account rows */
    uint64_t via;    /* deposit address (user unions), token contract, or 0 */
    uint64_t tx;     /* tx rows (CS_EVM_NONE: none), see the kinds above */
    uint64_t tx2;
    uint8_t heur;    /* CS_EVMCLU_EV_* */
    uint8_t asset_token; /* deposit: 1 when the matching sweep was a token sweep */
    uint8_t pad[6];
};

/* What EVM_CLUSTER_STATE records. */
struct cs_evmclu_state {
    char chain[32];
    char spec[256];
    char tags[128];         /* the caller's tags fingerprint, "none" */
    uint64_t blocks;        /* block rows covered; the tip is row blocks-1 */
    uint64_t tip_number;    /* its block number */
    uint8_t tip[32];        /* its hash (zero when blocks = 0) */
    uint64_t accounts;      /* account rows covered incl. row 0 (= entries of evm.G.cid) */
    uint64_t txs, xfers, logs;
    uint64_t evidence;      /* rows of evm.G.ev */
    uint64_t generation;
    uint8_t cid_sha[32], ev_sha[32];
    /* statistics over account rows 1 .. accounts-1 */
    uint64_t clusters, singletons, largest, largest_id;
    uint64_t eoas, miners;
    uint64_t deposits, deposit_token_deposits, exchanges; /* deposit addresses, of which found by
                                                             a token sweep; distinct E */
    uint64_t airdrops, aggregators, approvals;
    uint64_t unions[5], merges[5]; /* per CS_EVMCLU_EV_* kind: requests, joins */
    double seconds;
};

struct cs_evmclu_report {
    struct cs_evmclu_state state;
    double seconds;
};

/* Clusters snapshot s (open for reading) with parameters p and commits the
 * result under dbdir/CHAIN/cluster/ as described at the top.  Returns 0,
 * CS_ELOCKED (another run), CS_EIO, CS_ERANGE, CS_EINTERRUPTED (stop, polled
 * between passes, set to nonzero: nothing committed) with a message.  Memory:
 * about 60 bytes per account plus the token pending table and the evidence. */
int cs_evmclu_run(const struct cs_evm *s, const char *dbdir, const struct cs_evmclu_params *p,
                  volatile int *stop, struct cs_evmclu_report *r) CS_MUST_CHECK;

/* ---- reader ---- */

struct cs_evmclu;

/* Opens DB/<chain>/cluster for EVM store snapshot s: reads the state, maps
 * evm.G.cid and evm.G.ev and checks their sizes and SHA-256 against it
 * (O(accounts + evidence) once).  CS_ENOTFOUND: none; CS_ESTALE: made at
 * another tip/branch (the message says which: the store grew past it, or no
 * longer holds the clustered tip); CS_ECORRUPT: damaged files or another
 * chain's; CS_EIO. */
int cs_evmclu_open(struct cs_evmclu **out, const char *dbdir, const struct cs_evm *s) CS_MUST_CHECK;
/* The same, but a stale clustering is opened too (*stale = 1, the message of
 * CS_ESTALE kept in cs_errmsg): for reports that say so. */
int cs_evmclu_open_any(struct cs_evmclu **out, const char *dbdir, const struct cs_evm *s,
                       int *stale) CS_MUST_CHECK;
/* Cluster id of account row a: the smallest account row of its cluster
 * (a itself for a singleton or a row the clustering does not cover). O(1). */
uint64_t cs_evmclu_cid(const struct cs_evmclu *c, uint64_t a);
void cs_evmclu_close(struct cs_evmclu *c);
/* Valid until close. */
const struct cs_evmclu_state *cs_evmclu_state(const struct cs_evmclu *c);
/* Reads only the state file of chain in dbdir: 0, CS_ENOTFOUND, CS_ECORRUPT, CS_EIO. */
int cs_evmclu_state_read(const char *dbdir, const char *chain,
                         struct cs_evmclu_state *st) CS_MUST_CHECK;

/* One step of a --why path: from and to (the row's a and b, in either
 * order) were joined by the union ev. */
struct cs_evmclu_hop {
    uint64_t from, to;
    struct cs_evmclu_ev ev;
};

/* The unions connecting a and b: hops[0].from = a, hops[n-1].to = b,
 * hops[i].to = hops[i+1].from (n = 0 when a == b).  The evidence rows form
 * a spanning forest of the clusters, so the path is unique.  Returns 0 with
 * a malloc'ed array the caller frees, CS_ENOTFOUND when they are not in one
 * cluster, CS_ECORRUPT when the evidence does not connect them.
 * O(evidence + k log k) for the k rows of the cluster. */
int cs_evmclu_why(const struct cs_evmclu *c, uint64_t a, uint64_t b,
                  struct cs_evmclu_hop **hops, size_t *n) CS_MUST_CHECK;
/* The evidence row that made D a deposit address (kind _DEPOSIT_EXCHANGE
 * with a = D), or NULL.  O(evidence). */
const struct cs_evmclu_ev *cs_evmclu_deposit_of(const struct cs_evmclu *c, uint64_t d);

/* Writes "address,cluster,cluster_address\n" and a line per covered account
 * row 1 .. accounts-1 (lower-case address, cluster id, the cluster id's
 * address).  s must be the snapshot c was opened for.  0 or CS_EIO. */
int cs_evmclu_export_csv(const struct cs_evmclu *c, const struct cs_evm *s,
                         FILE *f) CS_MUST_CHECK;

/* Name of an evidence kind: "deposit-exchange", "deposit-user", "airdrop", "selfauth". */
const char *cs_evmclu_ev_name(int heur);

#endif
