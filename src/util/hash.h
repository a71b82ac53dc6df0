/* hash.h — SHA-256, double SHA-256, RIPEMD-160 and HASH160 through OpenSSL.
 *
 * OpenSSL picks SHA-NI where the CPU has it.  Each thread keeps one EVP context
 * and digests fetched once, because per-call set-up dominates for 80-byte
 * headers.  All functions are thread-safe; none allocates after first use. */
#ifndef CS_UTIL_HASH_H
#define CS_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

void cs_sha256(const void *data, size_t len, uint8_t out[32]);
/* SHA256(SHA256(data)): txids, block hashes, merkle nodes, Base58 checksums. */
void cs_sha256d(const void *data, size_t len, uint8_t out[32]);
/* SHA256d over two concatenated pieces without copying (txid without witness). */
void cs_sha256d_parts(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32]);
/* Incremental SHA-256 for many discontiguous pieces. */
struct cs_sha256_ctx {
    void *evp;
};
void cs_sha256_begin(struct cs_sha256_ctx *ctx);
void cs_sha256_add(struct cs_sha256_ctx *ctx, const void *data, size_t len);
/* Ends the digest; with dbl != 0 hashes the result once more (SHA256d). */
void cs_sha256_end(struct cs_sha256_ctx *ctx, int dbl, uint8_t out[32]);
void cs_ripemd160(const void *data, size_t len, uint8_t out[20]);
/* RIPEMD160(SHA256(data)): P2PKH/P2SH/P2WPKH hashes. */
void cs_hash160(const void *data, size_t len, uint8_t out[20]);
/* 64-bit non-cryptographic mix of a byte string (hash-table probing). */
uint64_t cs_hash64(const void *data, size_t len, uint64_t seed);

#endif
