/* ingest.h — EVM chains into the store (evm/store.h).
 *
 * From an ethereum-etl export directory (`ethereumetl export_all` and its
 * per-table commands, as analysts pull them from BigQuery): blocks.csv is
 * required; transactions.csv, receipts.csv, token_transfers.csv, traces.csv,
 * tokens.csv and logs.csv are used when present, and the result says which were
 * missing and what that leaves out.  Columns are found by their header
 * names, so order and extra columns do not matter; a missing column that a
 * present file needs is an error naming the file and the column.
 *
 * What becomes a value transfer (METHODS.md §1.4), per transaction in this
 * order: its top-level value (if non-zero and the tx did not fail); the value
 * of every successful inner call, create and selfdestruct from traces.csv
 * (the top-level frame is the tx's own value and is not counted twice;
 * delegatecall and staticcall frames move nothing); its ERC-20 transfers by
 * log index, with the wraps and unwraps of the chain's canonical wrapper
 * (WETH Deposit/Withdrawal events in logs.csv); then its fee (fee-last): gasUsed ×
 * effectiveGasPrice, the base fee share burned and the rest to the block's fee recipient.  Then per
 * block the reward traces and the EIP-4895 withdrawals (Gwei × 10^9).
 *
 * Without receipts.csv a tx's status is unknown: its value is stored as sent,
 * flagged CS_XF_NOSTATUS, and no fee is booked (the block lacks
 * CS_EB_RECEIPTS).  Without traces.csv internal transfers are absent (the
 * block lacks CS_EB_INTERNAL); without token_transfers.csv tokens are
 * (CS_EB_TOKENS).  token_transfers.csv holds ERC-20 and ERC-721 alike;
 * logs.csv tells them apart (4 topics: ERC-721, the amount is the token id);
 * without it they are stored as ERC-20 flagged CS_XF_KIND_GUESS.  With
 * logs.csv and no token_transfers.csv the Transfer events come from the logs.
 * Blocks already in the store with the same hash are
 * skipped, so a re-run resumes; the first block must be the store's tip + 1
 * (any number for an empty store). */
#ifndef CS_EVM_INGEST_H
#define CS_EVM_INGEST_H

#include <signal.h>
#include <stdint.h>

#include "util/error.h"

/* Every source keeps the raw logs of the event signatures logsel names
 * (evm/ledger.h; NULL: the default set) in log.col, and books ERC-1155
 * TransferSingle/TransferBatch entries as CS_XK_ERC1155 transfers. */
struct cs_evm_logsel;

struct cs_evm_ingest_stats {
    uint64_t blocks, skipped, txs, xfers, tokens;
    uint64_t bytes; /* CSV bytes read */
    double seconds;
    int64_t first, last; /* block numbers appended, -1 when none */
    char missing[256];   /* the optional files that were absent, comma-separated */
};

/* Ingests DIR into DB/CHAIN, committing every commit_blocks blocks (0: at the
 * end only) and at the end; stop (may be NULL) interrupts between blocks
 * (CS_EINTERRUPTED, the work so far committed).  progress prints to stderr.
 * Errors name the file and line (CS_EFORMAT), or the block (CS_ECONSENSUS);
 * the store then holds its last commit. */
int cs_evm_ingest_csv(const char *dir, const char *db, const char *chain,
                      const struct cs_evm_logsel *logsel, unsigned commit_blocks, int progress,
                      volatile sig_atomic_t *stop, struct cs_evm_ingest_stats *st) CS_MUST_CHECK;

/* ---- from a node's JSON-RPC (http:// or https://, libcurl) ----
 *
 * eth_chainId must equal the chain's (else CS_EUSAGE naming both).  Blocks
 * come from eth_getBlockByNumber with full transactions; receipts from
 * eth_getBlockReceipts, or eth_getTransactionReceipt per tx where the node
 * lacks it; internal transfers from debug_traceBlockByNumber with the
 * callTracer, else trace_block, else none (the blocks lack CS_EB_INTERNAL and
 * `info` says so).  Which methods the node offers is found once, at the
 * start, and reported in the stats.  window blocks are fetched at a time,
 * their calls in flight together, or, when the node answers a probe batch
 * (and not no_batch), each method's calls of the window in one JSON-RPC
 * batch POST (at most 100 calls a POST).  The first block is the store's tip + 1
 * (from, when the store is empty; 0 by default); the last is to (default: the
 * node's eth_blockNumber).  With follow the node is polled every
 * poll_seconds; a block whose parentHash is not the stored tip's hash rolls
 * the store back to the fork point (at most max_reorg blocks), as on Bitcoin. */
struct cs_evm_rpc_opts {
    const char *url, *user, *password, *cacert;
    const char *db, *chain;
    int64_t from, to; /* -1: default */
    unsigned window, timeout_ms, max_reorg, commit_blocks;
    int follow, progress;
    int no_batch; /* 1: never send JSON-RPC batches (default: when a probe batch works) */
    double poll_seconds;
    const struct cs_evm_logsel *logsel; /* raw logs kept; NULL: the default set */
    volatile sig_atomic_t *stop;
};

struct cs_evm_rpc_stats {
    uint64_t blocks, txs, xfers, rolled_back, calls;
    double seconds;
    int64_t first, last;
    char receipts_method[40], trace_method[40]; /* "" for none */
    int batch; /* the node answered a JSON-RPC batch: calls went in batches */
    uint64_t posts; /* HTTP POSTs sent for block, receipt and trace calls */
};

void cs_evm_rpc_opts_default(struct cs_evm_rpc_opts *o);

/* ---- from Era1 archives (evm/era1.h: every hash, root and the accumulator
 * checked while reading) ----
 * The files are read in the order given; a block already stored with the
 * same hash is skipped, and the first new one must extend the tip (or start
 * an empty store).  Value, ERC-20/721 transfers, wraps and fees are booked
 * by evm/ledger.h from the bodies and receipts; the sender of each tx is
 * recovered from its signature, the address of a created contract is
 * keccak(rlp([sender, nonce]))[12:].  Era1 holds no traces, so internal
 * transfers (and the block rewards, which only traces give) are unavailable
 * in these blocks (no CS_EB_INTERNAL), as `info` says.  Era1 does not name its
 * chain: chain is taken as given.  Commits every commit_blocks blocks and at
 * the end of each file. */
struct cs_evm_era1_stats {
    uint64_t files, blocks, skipped, txs, xfers;
    double seconds;
};
int cs_evm_ingest_era1(const char *const *files, size_t n, const char *db, const char *chain,
                       const struct cs_evm_logsel *logsel, unsigned commit_blocks, int progress,
                       volatile sig_atomic_t *stop, struct cs_evm_era1_stats *st) CS_MUST_CHECK;
int cs_evm_ingest_rpc(const struct cs_evm_rpc_opts *o, struct cs_evm_rpc_stats *st) CS_MUST_CHECK;

struct cs_json;
struct cs_evm_frame;
/* The value-moving frames of one transaction's callTracer result, appended to
 * (*out, *n, *cap): CALL and CREATE/CREATE2 frames with value, SELFDESTRUCT
 * frames (from the contract to the beneficiary); a frame with an error is
 * reverted with everything under it; the top-level frame is the tx's own
 * value and is not listed; DELEGATECALL, CALLCODE and STATICCALL move nothing
 * themselves but their children may.  Returns 0 or CS_EFORMAT naming the
 * field.  Depth is bounded by the JSON parser's limit. */
int cs_evm_calltracer_frames(const struct cs_json *call, struct cs_evm_frame **out, size_t *n,
                             size_t *cap) CS_MUST_CHECK;
/* The same from a trace_block reply (OpenEthereum/Erigon "parity" traces, the
 * array for a whole block): per tx position t < ntx, its frames appended to
 * (frames[t], nframes[t], capframes[t]); reward traces to (*rew, *nrew,
 * *caprew) as CS_XK_REWARD frames (from unset).  call frames of callType
 * "call", create (to = the created address) and suicide (from the contract
 * to the refund address, the balance); a trace with "error" is reverted with
 * every trace under its traceAddress.  Returns 0 or CS_EFORMAT. */
int cs_evm_parity_frames(const struct cs_json *traces, size_t ntx, struct cs_evm_frame **frames,
                         size_t *nframes, size_t *capframes, struct cs_evm_frame **rew,
                         size_t *nrew, size_t *caprew) CS_MUST_CHECK;

#endif
