/* era1.h — Era1 archives (pre-merge Ethereum history) and the EVM block,
 * transaction and receipt decoding under them.
 *
 * An Era1 file is a sequence of e2store records (8-byte header: type u16 LE,
 * length u32 LE, reserved u16 = 0):
 *   Version (0x3265, empty) | block-tuple* | other* | Accumulator (0x0007,
 *   32 bytes) | BlockIndex (0x3266: starting number i64, one i64 offset per
 *   block relative to the BlockIndex record, count i64)
 * where a block-tuple is CompressedHeader (0x03) | CompressedBody (0x04) |
 * CompressedReceipts (0x05) | TotalDifficulty (0x06, u256 LE); the three
 * compressed entries are snappy-framed RLP.
 *
 * Invariants:
 *  - cs_era1_open*() checks the record layout only (cheap: one pass over
 *    8-byte headers); cs_era1_next() decodes one block and checks it
 *    against the archive, so a block handed out has passed:
 *      * its number is the index's starting number + its position;
 *      * keccak(RLP(header)) of the previous block equals its parentHash;
 *      * keccak(RLP(uncles)) equals ommersHash; the recomputed transaction
 *        and receipt trie roots equal transactionsRoot and receiptsRoot;
 *      * one receipt per transaction, of the transaction's type, with
 *        cumulativeGasUsed non-decreasing and ending at gasUsed;
 *      * TotalDifficulty = previous TotalDifficulty + difficulty (and
 *        = difficulty for block 0);
 *      * each sender recovers (ECDSA public-key recovery on secp256k1).
 *    After the last block cs_era1_next() returns 0 only once the
 *    accumulator (SSZ hash_tree_root of List[HeaderRecord(block_hash,
 *    total_difficulty), 8192]) equals the archive's Accumulator record.
 *  - Check failures are CS_ECORRUPT; malformed bytes are CS_EFORMAT; a size
 *    over a cap is CS_ERANGE.  Every message names the file, the byte offset
 *    of the record in the file and, inside a block, the block number:
 *    "FILE: byte N: block B: ...".
 *  - Everything read is bounded: records must lie inside the file, each
 *    decompressed entry is capped (CS_ERA1_*_MAX), and so are the
 *    transactions, logs and topics of a block.
 *  - Ethereum addresses, hashes and roots are byte arrays in their natural
 *    (big-endian, as-hashed) order; amounts are struct cs_u256.
 *
 * Memory: a handle owns its decompression buffers (grown by doubling from
 * 64 KiB to the largest entry seen, never past the caps) and per-block arrays;
 * a struct cs_era1_block and everything it points to are borrowed and valid
 * until the next cs_era1_next() or cs_era1_close() on that handle.  A handle
 * is not thread-safe; separate handles are independent. */
#ifndef CS_EVM_ERA1_H
#define CS_EVM_ERA1_H

#include <stddef.h>
#include <stdint.h>

#include "evm/rlp.h"
#include "util/error.h"
#include "util/u256.h"

#define CS_ERA1_MAX_BLOCKS 8192
#define CS_ERA1_HEADER_MAX (64u << 10)   /* decompressed header */
#define CS_ERA1_BODY_MAX (16u << 20)     /* decompressed body (30 Mgas of calldata ~ 7.5 MB) */
#define CS_ERA1_RECEIPTS_MAX (16u << 20) /* decompressed receipts */
#define CS_ETH_TX_MAX 65536              /* transactions (and receipts) per block */
#define CS_ETH_LOG_MAX (1u << 20)        /* logs per block */
#define CS_ETH_UNCLE_MAX 2               /* Ethash's consensus limit */

/* e2store record types (the two type bytes read as a little-endian u16). */
enum {
    CS_E2S_VERSION = 0x3265,
    CS_E2S_HEADER = 0x0003,
    CS_E2S_BODY = 0x0004,
    CS_E2S_RECEIPTS = 0x0005,
    CS_E2S_TD = 0x0006,
    CS_E2S_ACCUMULATOR = 0x0007,
    CS_E2S_BLOCK_INDEX = 0x3266,
};

struct cs_eth_header {
    uint8_t hash[32]; /* keccak256 of the header's RLP */
    uint8_t parent_hash[32];
    uint8_t ommers_hash[32];
    uint8_t coinbase[20];
    uint8_t state_root[32];
    uint8_t tx_root[32];
    uint8_t receipts_root[32];
    const uint8_t *bloom; /* 256 bytes, borrowed */
    struct cs_u256 difficulty;
    uint64_t number;
    uint64_t gas_limit;
    uint64_t gas_used;
    uint64_t timestamp;
    const uint8_t *extra; /* borrowed */
    size_t extra_len;
    uint8_t mix_hash[32];
    uint8_t nonce[8];
    int has_base_fee; /* London (EIP-1559) and later */
    struct cs_u256 base_fee;
    size_t n_fields; /* 15 before London, 16 from it, more after the merge */
};

enum { CS_ETH_TX_LEGACY = 0, CS_ETH_TX_ACCESS_LIST = 1, CS_ETH_TX_DYNAMIC_FEE = 2 };

struct cs_eth_tx {
    uint8_t hash[32];    /* keccak256 of the canonical encoding */
    uint8_t sighash[32]; /* the digest the sender signed */
    uint8_t type;        /* CS_ETH_TX_* */
    uint64_t chain_id;   /* 0 for a legacy tx signed before EIP-155 */
    uint64_t nonce;
    struct cs_u256 gas_price;    /* legacy and 0x01; for 0x02 = max_fee */
    struct cs_u256 max_priority; /* 0x02 only (else = gas_price) */
    struct cs_u256 max_fee;      /* 0x02 only (else = gas_price) */
    uint64_t gas;
    int has_to; /* 0: contract creation */
    uint8_t to[20];
    struct cs_u256 value;
    const uint8_t *data; /* borrowed */
    size_t data_len;
    uint32_t n_access; /* access-list entries (0x01, 0x02) */
    uint64_t v;        /* as encoded: 27/28, 35+2*chain_id+parity, or y-parity 0/1 */
    uint8_t recid;     /* 0 or 1 */
    uint8_t r[32], s[32];
    const uint8_t *enc; /* canonical encoding (legacy RLP list, or type || RLP), borrowed */
    size_t enc_len;
    int has_from;
    uint8_t from[20]; /* recovered sender (when has_from) */
};

struct cs_eth_log {
    uint8_t address[20];
    uint32_t n_topics;       /* 0..4 */
    const uint8_t *topic[4]; /* 32 bytes each, borrowed */
    const uint8_t *data;     /* borrowed */
    size_t data_len;
};

struct cs_eth_receipt {
    uint8_t type;
    int has_status;         /* Byzantium and later: status; before: post-state root */
    uint8_t status;         /* 1 success, 0 failure */
    uint8_t post_state[32]; /* when !has_status */
    uint64_t cumulative_gas;
    uint64_t gas_used;    /* cumulative_gas minus the previous receipt's */
    const uint8_t *bloom; /* 256 bytes, borrowed */
    uint32_t first_log;   /* index into the block's log array */
    uint32_t n_logs;
    const uint8_t *enc; /* canonical encoding (receipt trie value), borrowed */
    size_t enc_len;
};

/* One decoded, verified block.  Borrowed from the handle (see above). */
struct cs_era1_block {
    struct cs_eth_header header;
    struct cs_u256 total_difficulty;
    const struct cs_eth_tx *tx; /* n_tx */
    uint32_t n_tx;
    const struct cs_eth_receipt *receipt; /* n_tx */
    const struct cs_eth_log *log;         /* n_log, in receipt order */
    uint32_t n_log;
    uint32_t n_uncles;
    uint8_t uncle_hash[CS_ETH_UNCLE_MAX][32];
    uint64_t file_off; /* offset of the CompressedHeader record */
};

/* Running totals over the blocks handed out so far. */
struct cs_era1_totals {
    uint64_t blocks, txs, receipts, logs, uncles, senders;
    uint64_t bytes_decompressed;
};

struct cs_era1;

enum { CS_ERA1_NO_SENDERS = 1 }; /* skip sender recovery (one ECDSA recovery per tx) */

/* Opens and maps path; checks the record layout and the block index.
 * Returns 0 with *out owned by the caller (cs_era1_close), or CS_EIO,
 * CS_EFORMAT, CS_ERANGE, CS_ECORRUPT, CS_ENOMEM.  Cost: one pass over the
 * record headers. */
int cs_era1_open(struct cs_era1 **out, const char *path, unsigned flags) CS_MUST_CHECK;
/* The same over bytes in memory, borrowed until cs_era1_close; label names
 * them in messages. */
int cs_era1_open_mem(struct cs_era1 **out, const uint8_t *data, size_t len, const char *label,
                     unsigned flags) CS_MUST_CHECK;
void cs_era1_close(struct cs_era1 *e);

uint64_t cs_era1_start(const struct cs_era1 *e);             /* first block number */
uint64_t cs_era1_count(const struct cs_era1 *e);             /* blocks in the index */
const uint8_t *cs_era1_accumulator(const struct cs_era1 *e); /* 32 bytes, from the file */
void cs_era1_totals(const struct cs_era1 *e, struct cs_era1_totals *out);

/* Decodes and verifies the next block.  Returns 1 with *out set, 0 after
 * the last block once the accumulator has matched, or a negative code (and
 * then every later call returns CS_EUSAGE).  Cost: decompression, keccak of
 * each header, uncle, tx and trie node of 32 bytes or more (keccak is over
 * half the time), and one ECDSA recovery per tx unless CS_ERA1_NO_SENDERS.
 * Measured on the two Sepolia archives: 120,000-180,000 blocks/s. */
int cs_era1_next(struct cs_era1 *e, const struct cs_era1_block **out) CS_MUST_CHECK;

/* ---- decoding on its own (also for blocks from elsewhere) ---- */

/* Decodes a header that spans exactly len bytes; hash is computed.  Borrows
 * p.  Returns 0 or CS_EFORMAT ("rlp: byte N: ..." relative to p). */
int cs_eth_header_decode(struct cs_eth_header *h, const uint8_t *p, size_t len) CS_MUST_CHECK;
/* Decodes one transaction as it appears in a block body's list: an RLP list
 * (legacy) or a string holding type || RLP (0x01, 0x02).  Computes hash and
 * sighash; does not recover the sender.  Borrows the item's buffer. */
int cs_eth_tx_decode(struct cs_eth_tx *tx, const struct cs_rlp_item *item) CS_MUST_CHECK;
/* Recovers tx->from from (sighash, r, s, recid) and sets has_from.  Returns
 * 0 or CS_EFORMAT (signature out of range or not recoverable).  Thread-safe
 * (one read-only secp256k1 context for the process). */
int cs_eth_tx_recover(struct cs_eth_tx *tx) CS_MUST_CHECK;

#endif
