/* block.h — Bitcoin block and transaction parser (METHODS §6).
 *
 * Parses a raw block (80-byte header, CompactSize tx count, transactions) into
 * views that point into the caller's buffer: nothing is copied, so every
 * pointer in struct cs_block stays valid exactly as long as that buffer and the
 * struct cs_block_arena the arrays were carved from.  Every count read from the
 * input is capped by the bytes that remain, so a hostile block cannot make the
 * parser allocate more than a small multiple of its own size.  Errors carry the
 * caller's label (file name) and the absolute byte offset of the bad field. */
#ifndef CS_BTC_BLOCK_H
#define CS_BTC_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct cs_txin {
    const uint8_t *prev_txid; /* 32 bytes, internal order; all zero for coinbase */
    uint32_t prev_vout;
    uint32_t sequence;
    const uint8_t *script;
    uint32_t script_len;
    uint32_t witness_items;
    const uint8_t *witness; /* serialized witness stack of this input (items), or NULL */
    uint32_t witness_len;
};

struct cs_txout {
    int64_t value;
    const uint8_t *script;
    uint32_t script_len;
};

struct cs_tx {
    uint8_t txid[32];  /* internal order (display reversed) */
    uint8_t wtxid[32]; /* == txid when there is no witness */
    int32_t version;
    uint32_t locktime;
    uint32_t size;          /* full serialization */
    uint32_t stripped_size; /* without marker, flag and witnesses */
    uint32_t n_in, n_out;
    struct cs_txin *in;
    struct cs_txout *out;
    const uint8_t *raw;
    uint8_t segwit;
};

struct cs_header {
    int32_t version;
    uint8_t prev[32];
    uint8_t merkle[32];
    uint32_t time, bits, nonce;
};

struct cs_block {
    const uint8_t *raw; /* the 80-byte header at the start of the block bytes */
    uint8_t hash[32];
    struct cs_header hdr;
    uint32_t size;
    uint32_t n_tx;
    struct cs_tx *tx;
};

/* Reusable storage for parsed views; grows to the largest block seen. */
struct cs_block_arena {
    void *mem;
    size_t cap, used;
};
void cs_block_arena_free(struct cs_block_arena *a);

enum {
    CS_PARSE_NO_WTXID = 1,  /* skip wtxid computation (ingest does not store it) */
    CS_PARSE_NO_MERKLE = 2, /* skip the merkle-root check */
};

/* Parses the header at p (80 bytes) and computes the block hash. */
void cs_header_parse(const uint8_t *p, struct cs_header *h, uint8_t hash[32]);

/* Parses a whole block of exactly len bytes. label/base_off name the source in
 * errors ("blk00003.dat", offset of p in that file). Checks that the bytes end
 * exactly with the last transaction and that the merkle root matches (unless
 * CS_PARSE_NO_MERKLE). Returns 0, CS_EFORMAT or CS_ECONSENSUS. */
int cs_block_parse(struct cs_block *b, struct cs_block_arena *a, const uint8_t *p, size_t len,
                   const char *label, uint64_t base_off, unsigned flags) CS_MUST_CHECK;

/* Parses one transaction at p (avail bytes); *used receives its length. */
int cs_tx_parse(struct cs_tx *tx, struct cs_block_arena *a, const uint8_t *p, size_t avail,
                size_t *used, const char *label, uint64_t base_off, unsigned flags) CS_MUST_CHECK;

/* Merkle root over n hashes (METHODS §6.2); scratch needs n*32 bytes. */
void cs_merkle_root(const uint8_t *hashes, size_t n, uint8_t *scratch, uint8_t out[32]);

/* Proof-of-work helpers: target from bits (256-bit little-endian words),
 * work = floor(2^256 / (target + 1)). Returns -1 if bits is negative/overflowing. */
int cs_bits_to_target(uint32_t bits, uint64_t target[4]);
void cs_work_from_bits(uint32_t bits, uint64_t work[4]);
/* a += b (256-bit); cmp returns -1/0/1. */
void cs_work_add(uint64_t a[4], const uint64_t b[4]);
int cs_work_cmp(const uint64_t a[4], const uint64_t b[4]);
/* Checks hash (internal byte order = little-endian number) <= target from bits. */
int cs_check_pow(const uint8_t hash[32], uint32_t bits);
/* weight = 3*stripped + total */
static inline uint32_t cs_tx_weight(const struct cs_tx *t)
{
    return 3 * t->stripped_size + t->size;
}

#endif
