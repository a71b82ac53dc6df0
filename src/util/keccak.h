/* keccak.h — Keccak-256 (the pre-standard padding Ethereum uses) and SHA3-256.
 *
 * Invariants: one Keccak-f[1600] sponge with rate 136 bytes (capacity 512
 * bits); Keccak-256 pads with 0x01, FIPS-202 SHA3-256 with 0x06, nothing else
 * differs.  Pure C, no allocation, no global state: safe from any thread.
 * Used for EIP-55 address checksums, event topics (Transfer =
 * keccak256("Transfer(address,address,uint256)")) and Monero address checksums.
 * Cost: one permutation (24 rounds) per 136 input bytes. */
#ifndef CS_UTIL_KECCAK_H
#define CS_UTIL_KECCAK_H

#include <stddef.h>
#include <stdint.h>

/* Incremental sponge. Fill with _init, feed any number of _add, end with _final. */
struct cs_keccak_ctx {
    uint64_t state[25];
    size_t fill;     /* bytes absorbed into the current block, < 136 */
    uint8_t padbyte; /* 0x01 Keccak, 0x06 SHA3 */
};

/* Starts a Keccak-256 (sha3 = 0) or SHA3-256 (sha3 != 0) digest. */
void cs_keccak_init(struct cs_keccak_ctx *ctx, int sha3);
void cs_keccak_add(struct cs_keccak_ctx *ctx, const void *data, size_t len);
/* Writes the 32-byte digest; the context must be re-initialised before reuse. */
void cs_keccak_final(struct cs_keccak_ctx *ctx, uint8_t out[32]);

/* One-shot Keccak-256 (Ethereum's "keccak256"/"sha3" opcode). */
void cs_keccak256(const void *data, size_t len, uint8_t out[32]);
/* One-shot FIPS-202 SHA3-256 (same permutation, different padding). */
void cs_sha3_256(const void *data, size_t len, uint8_t out[32]);

/* Keccak-f[1600] permutation on 25 little-endian lanes (exposed for tests). */
void cs_keccak_f1600(uint64_t state[25]);

#endif
