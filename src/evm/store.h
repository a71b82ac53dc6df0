/* store.h — the EVM schema of the chainsleuth store, on the chain-neutral
 * engine of store/engine.h.  One folder per chain: DB/eth/, DB/sepolia/ ...
 *
 * Layout of DB/CHAIN/ (fixed-width little-endian rows, row ids dense from 0):
 *   blk.col      struct cs_evm_blockrec  per block, in chain order from the
 *                                        first block ingested (any number)
 *   tx.col       struct cs_evm_txrec     per transaction, chain order
 *   txhash.col   32 bytes                its hash
 *   acct.col     struct cs_evm_acctrec   per account (20-byte address); row 0
 *                                        is reserved: "no account"
 *   aout.col     u64 (in place)          per account: newest transfer it sent + 1
 *   ain.col      u64 (in place)          per account: newest transfer it received + 1
 *   xfer.col     struct cs_evm_xferrec   per value transfer (METHODS §1.4), 40 bytes
 *   xnout.col    u64                     per transfer: the sender's previous one + 1
 *   xnin.col     u64                     per transfer: the receiver's previous one + 1
 *   big.col      32 bytes                amounts of 2^64 wei or more (u256, LE limbs)
 *   tok.col      struct cs_evm_tokrec    tokens: contract, kind, decimals, symbol, name
 *   log.col      struct cs_evm_logrec    raw logs of the event signatures kept
 *                                        (evm/ledger.h: cs_evm_logsel), chain order
 *   logd.col     1 byte                  their data, back to back
 *   txhash.idx, acct.idx                 hash indexes (engine)
 *
 * Amounts are exact: a transfer or a tx value below 2^64 sits in its row;
 * a larger one is a row of big.col (CS_XF_BIG).  Row ids are 64-bit.
 *
 * A transfer's adjacency (xnout, xnin) makes "everything account A sent or
 * received" a walk of its own transfers, newest first, never a scan.
 *
 * Commit, recovery and snapshots are the engine's (store/engine.h); the
 * schema undoes an uncommitted tail from the tail rows themselves, as the
 * Bitcoin schema does: every written row is non-zero (kinds start at 1,
 * senders of transactions are accounts >= 1, accounts carry a non-zero
 * first-seen field), and the heads are restored from xnout/xnin.
 *
 * Pointers returned by accessors point into the mappings and stay valid until
 * cs_evm_close(), except in a writer, where an append may move them. */
#ifndef CS_EVM_STORE_H
#define CS_EVM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "evm/evm.h"
#include "util/error.h"
#include "util/u256.h"

#define CS_EVM_STORE_FORMAT 2 /* 2: log.col, logd.col; ERC-1155 entries */
#define CS_EVM_NONE UINT64_MAX

enum { CS_EVM_READ = 0, CS_EVM_WRITE = 1, CS_EVM_NOCHECK = 2 };

/* block flags */
enum {
    CS_EB_BASEFEE = 1,  /* base_fee is set (London and later) */
    CS_EB_RECEIPTS = 2, /* status and gas used of every tx are known: fees are stored */
    CS_EB_INTERNAL = 4, /* internal transfers (traces) are stored */
    CS_EB_TOKENS = 8,   /* token transfers are stored */
};

/* transfer and tx flags */
enum {
    CS_XF_BIG = 1,       /* amount is a row of big.col */
    CS_XF_ZERO = 2,      /* zero amount (an address-poisoning mark) */
    CS_XF_NOSTATUS = 4,  /* the tx's status is unknown (no receipt): value as sent */
    CS_XF_KIND_GUESS = 8, /* ERC-20 by default: no logs.csv to tell it from ERC-721 */
    CS_XF_LOOKALIKE = 16  /* to or from a look-alike address (an address-poisoning mark):
                           * see CS_EVM_LOOKALIKE_SCAN */
};

/* The look-alike mark, set at append: a value or token transfer between A
 * and an account R first seen in this block, where R has the same first 4
 * and last 4 hex digits as another account C that A already dealt with,
 * among A's CS_EVM_LOOKALIKE_SCAN newest sent and as many newest received
 * transfers.  Bounded, so a hot wallet costs the same as any account; a
 * look-alike reused after its first block is not marked again. */
#define CS_EVM_LOOKALIKE_SCAN 64

struct cs_evm_blockrec {
    uint8_t hash[32], parent[32];
    uint64_t number, timestamp;
    uint64_t miner;    /* account row of the fee recipient */
    uint64_t base_fee; /* wei per gas (CS_EB_BASEFEE) */
    uint64_t gas_used;
    uint64_t first_tx, first_xfer;
    uint64_t acct_end, big_end, tok_end; /* counts after this block */
    uint32_t n_tx;
    uint32_t flags;
};

enum { CS_ETX_FAILED = 0, CS_ETX_OK = 1, CS_ETX_UNKNOWN = 2 };

struct cs_evm_txrec {
    uint64_t block;    /* block row */
    uint64_t from, to; /* account rows; to = 0: contract creation */
    uint64_t created;  /* account row of the contract created, or 0 */
    uint64_t nonce;
    uint64_t gas_used;   /* 0 when unknown */
    uint64_t gas_price;  /* effective gas price, wei (0 when unknown) */
    uint64_t value;      /* wei, or a big.col row with CS_XF_BIG in flags */
    uint64_t first_xfer; /* its transfers are rows first_xfer .. + n_xfer; non-decreasing */
    uint32_t n_xfer;
    uint32_t index; /* position in its block */
    uint8_t type, status, flags, pad;
    uint32_t pad2;
};

struct cs_evm_acctrec {
    uint8_t addr[20];
    uint32_t first_block; /* block row + 1 where first seen (saturates at 2^32-1) */
};

/* A transfer row does not name its tx: a tx's transfers are the rows
 * first_xfer .. first_xfer + n_xfer of its tx row (first_xfer non-decreasing
 * over the chain), and cs_evm_xfer_tx finds it in O(log txs); the rows after
 * a block's last tx transfer are block-level. */
struct cs_evm_xferrec {
    uint64_t from, to;   /* account rows; 0 = none (mint, burn, reward) */
    uint64_t asset;      /* 0 = the native asset, else the token contract's account row */
    uint64_t amount;     /* or a big.col row (CS_XF_BIG); token id for ERC-721 */
    uint8_t kind, flags; /* enum cs_evm_kind, CS_XF_* */
    uint16_t pos; /* ERC-1155: the entry of its TransferBatch (0 for TransferSingle) */
    uint32_t aux; /* log index (tokens), trace position (internal), else 0 */
};

/* A kept raw log.  Rows are in chain order; tx1 (never 0) is non-decreasing. */
struct cs_evm_logrec {
    uint64_t tx1;      /* tx row + 1 */
    uint64_t acct;     /* the emitting contract's account row */
    uint64_t data_off; /* its data: logd.col bytes data_off .. + data_len */
    uint32_t data_len;
    uint32_t index; /* log index in its block */
    uint8_t ntopics, pad[7];
    uint8_t topic[4][32];
};

struct cs_evm_tokrec {
    uint64_t acct;    /* the contract's account row */
    uint8_t kind;     /* CS_XK_ERC20, _ERC721, _ERC1155 */
    uint8_t decimals; /* valid when has_decimals */
    uint8_t has_decimals;
    uint8_t marks; /* CS_TOK_*: address-poisoning marks set at ingest */
    uint32_t pad2;
    char symbol[24], name[24]; /* NUL-terminated, cut to fit */
};

struct cs_evm_counts {
    uint64_t blocks, tx, xfer, acct, big, tok, log, logd;
};

/* ---- what ingest appends: one block, addresses by value ---- */
struct cs_evm_xfer_in {
    uint8_t kind, flags; /* flags: CS_XF_NOSTATUS, CS_XF_KIND_GUESS; the rest is derived */
    uint8_t has_from, has_to, native;
    uint16_t pos; /* ERC-1155 batch entry */
    uint32_t tx; /* index into the block's txs, or UINT32_MAX: block-level */
    uint32_t aux;
    uint8_t from[20], to[20], asset[20]; /* asset: token contract unless native */
    struct cs_u256 amount;
};

struct cs_evm_tx_in {
    uint8_t hash[32], from[20], to[20], created[20];
    uint8_t has_to, has_created, type, status;
    uint64_t nonce, gas_used, gas_price;
    struct cs_u256 value;
};

struct cs_evm_token_in {
    uint8_t addr[20];
    uint8_t kind, decimals, has_decimals;
    char symbol[24], name[24];
};

/* A raw log to keep.  Logs of failed txs are never kept (nodes drop them). */
struct cs_evm_log_in {
    uint32_t tx;    /* index into the block's txs */
    uint32_t index; /* log index in the block */
    uint8_t addr[20];
    uint8_t ntopics; /* at most 4 */
    uint8_t topic[4][32];
    const uint8_t *data;
    size_t data_len; /* below 2^32 */
};

struct cs_evm_block_in {
    uint8_t hash[32], parent[32], miner[20];
    uint64_t number, timestamp, gas_used, base_fee;
    uint32_t flags; /* CS_EB_* */
    size_t n_tx, n_xfer, n_tok, n_log;
    const struct cs_evm_tx_in *tx;
    const struct cs_evm_xfer_in *xfer; /* in order: per tx (by tx index), block-level last */
    const struct cs_evm_token_in *tok; /* tokens first described in this block */
    const struct cs_evm_log_in *log;   /* kept logs, by tx index then log index */
};

struct cs_evm;

/* Opens DB/CHAIN (chain from the EVM chain table).  A writer creates it;
 * chain_id, when not 0, must equal the stored one.  A reader sees the last
 * commit.  CS_ENOTFOUND "no store", CS_ELOCKED naming the writer's pid,
 * CS_ECORRUPT naming the file. */
int cs_evm_open(struct cs_evm **out, const char *db, const char *chain, int mode) CS_MUST_CHECK;
void cs_evm_close(struct cs_evm *s);
const struct cs_evm_chain *cs_evm_chain(const struct cs_evm *s);
const struct cs_evm_counts *cs_evm_counts(const struct cs_evm *s);

/* Appends one block.  The first block of an empty store may have any number;
 * after it, number must be the tip's + 1 and parent the tip's hash
 * (CS_ECONSENSUS).  Transfers must name txs of this block.  Atomic: on error
 * the store is as before the call. */
int cs_evm_append_block(struct cs_evm *s, const struct cs_evm_block_in *b) CS_MUST_CHECK;
int cs_evm_commit(struct cs_evm *s) CS_MUST_CHECK;
/* Keeps block rows [0, keep) and commits; readers keep their snapshots. */
int cs_evm_truncate(struct cs_evm *s, uint64_t keep) CS_MUST_CHECK;

/* ---- accessors (row ids must be below the counts; BUG otherwise) ---- */
const struct cs_evm_blockrec *cs_evm_block(const struct cs_evm *s, uint64_t row);
/* The block row holding block number n: 0 or CS_ENOTFOUND. O(1). */
int cs_evm_find_block(const struct cs_evm *s, uint64_t number, uint64_t *row) CS_MUST_CHECK;
const struct cs_evm_txrec *cs_evm_tx(const struct cs_evm *s, uint64_t t);
const uint8_t *cs_evm_txhash(const struct cs_evm *s, uint64_t t);
int cs_evm_find_tx(const struct cs_evm *s, const uint8_t hash[32], uint64_t *t) CS_MUST_CHECK;
const uint8_t *cs_evm_acct(const struct cs_evm *s, uint64_t a);
uint64_t cs_evm_acct_first_block(const struct cs_evm *s, uint64_t a);
int cs_evm_find_acct(const struct cs_evm *s, const uint8_t addr[20], uint64_t *a) CS_MUST_CHECK;
const struct cs_evm_xferrec *cs_evm_xfer(const struct cs_evm *s, uint64_t x);
void cs_evm_xfer_amount(const struct cs_evm *s, uint64_t x, struct cs_u256 *out);
void cs_evm_tx_value(const struct cs_evm *s, uint64_t t, struct cs_u256 *out);
/* The block row of a transfer (block-level ones included). O(log blocks). */
uint64_t cs_evm_xfer_block(const struct cs_evm *s, uint64_t x);
/* The tx row of a transfer, or CS_EVM_NONE for a block-level one (reward,
 * withdrawal).  O(log txs). */
uint64_t cs_evm_xfer_tx(const struct cs_evm *s, uint64_t x);
/* Newest transfer account a sent (out) or received (in), and the one before
 * transfer x of the same account; CS_EVM_NONE at the end.  Only transfers of
 * this snapshot are returned. */
uint64_t cs_evm_out_head(const struct cs_evm *s, uint64_t a);
uint64_t cs_evm_in_head(const struct cs_evm *s, uint64_t a);
uint64_t cs_evm_out_next(const struct cs_evm *s, uint64_t x);
uint64_t cs_evm_in_next(const struct cs_evm *s, uint64_t x);
/* Kept raw logs: row r, its data, and the rows of tx t (*first, *n). O(log logs). */
const struct cs_evm_logrec *cs_evm_log(const struct cs_evm *s, uint64_t r);
const uint8_t *cs_evm_log_data(const struct cs_evm *s, uint64_t r);
void cs_evm_tx_logs(const struct cs_evm *s, uint64_t t, uint64_t *first, uint64_t *n);
/* The token record of a contract account, or NULL.  O(tokens). */
const struct cs_evm_tokrec *cs_evm_token(const struct cs_evm *s, uint64_t acct);
/* Every checksum, index entry and adjacency list.  O(store). */
int cs_evm_verify(const struct cs_evm *s) CS_MUST_CHECK;

#endif
