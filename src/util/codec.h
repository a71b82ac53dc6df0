/* codec.h — byte-level codecs: hex, little-endian ints, CompactSize,
 * Base58Check and Bech32/Bech32m segwit addresses (BIP173/BIP350).
 *
 * Decoders never read past the given length and report malformed input with
 * CS_EFORMAT; they never allocate. */
#ifndef CS_UTIL_CODEC_H
#define CS_UTIL_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/error.h"

static inline uint16_t cs_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t cs_le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v; /* x86-64 and every target we build for is little-endian */
}
static inline uint64_t cs_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static inline void cs_put_le32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
static inline void cs_put_le64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

/* Lower-case hex of len bytes into out (2*len+1 bytes incl. NUL). */
void cs_hex(char *out, const uint8_t *in, size_t len);
/* Hex of a 32-byte hash in display order (reversed), out needs 65 bytes. */
void cs_hex_rev(char out[65], const uint8_t in[32]);
/* Parses exactly 2*len hex digits (either case). Returns 0 or CS_EFORMAT. */
int cs_unhex(uint8_t *out, size_t len, const char *hex, size_t hexlen) CS_MUST_CHECK;
/* Parses a 64-digit display-order hash (txid, block hash) into internal order. */
int cs_unhex_rev32(uint8_t out[32], const char *hex) CS_MUST_CHECK;

/* CompactSize: writes the minimal encoding, returns its length (1, 3, 5 or 9). */
size_t cs_compact_put(uint8_t *out, uint64_t n);
/* Reads a CompactSize at p (avail bytes). Returns bytes consumed, 0 if truncated,
 * -1 if not minimally encoded. */
int cs_compact_get(const uint8_t *p, size_t avail, uint64_t *n);

/* Base58Check of ver||payload (payload <= 64 bytes). out needs 128 bytes.
 * Returns the string length. */
size_t cs_base58check_encode(char *out, uint8_t ver, const uint8_t *payload, size_t len);
/* Decodes; returns payload length (without version byte) or a negative error
 * (CS_EFORMAT for bad characters or bad checksum). */
int cs_base58check_decode(const char *s, uint8_t *ver, uint8_t *payload, size_t cap);

/* Segwit address: hrp ("bc", "tb", "bcrt"), witness version 0..16, program 2..40
 * bytes; Bech32 for v0, Bech32m for v>=1. out needs 91 bytes. Returns length,
 * or CS_EFORMAT for an invalid version/program combination. */
int cs_segwit_encode(char *out, const char *hrp, int witver, const uint8_t *prog, size_t proglen);
/* Decodes a segwit address, checking hrp (any if hrp_out given and hrp NULL),
 * checksum variant against the version, and program length rules.
 * hrp_out (if not NULL) receives the hrp (needs 84 bytes). Returns program length. */
int cs_segwit_decode(const char *addr, const char *hrp, char *hrp_out, int *witver,
                     uint8_t prog[40]);

#endif
