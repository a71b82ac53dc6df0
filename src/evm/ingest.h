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
int cs_evm_ingest_csv(const char *dir, const char *db, const char *chain, unsigned commit_blocks,
                      int progress, volatile sig_atomic_t *stop,
                      struct cs_evm_ingest_stats *st) CS_MUST_CHECK;

#endif
