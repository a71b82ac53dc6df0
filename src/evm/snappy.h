/* snappy.h — the snappy *framing* format (the stream format e2store and
 * Era1 use for every compressed entry), decoded with our own framing, CRC32C
 * checks and size caps around libsnappy's raw-block decompressor.
 *
 * Invariants:
 *  - A stream is a sequence of chunks: 1 type byte, a 3-byte little-endian
 *    length, then the body.  It must open with the stream identifier chunk
 *    (0xff, "sNaPpY"); the identifier may repeat later.  0x00 compressed and
 *    0x01 uncompressed chunks start with the masked CRC32C of the
 *    *uncompressed* bytes and each hold at most 65,536 uncompressed bytes;
 *    0xfe padding and 0x80-0xfd skippable chunks are skipped; 0x02-0x7f
 *    (reserved, unskippable) are errors.  An empty stream (no chunks) is an
 *    error, as is a stream that ends inside a chunk.
 *  - Output never exceeds the caller's capacity: the uncompressed size of
 *    each chunk is read from its raw-block preamble and checked against
 *    both the 65,536 cap and the space left before libsnappy writes anything.
 *  - Errors name the byte: "LABEL: byte N: snappy frame: ..." where N is
 *    base_off plus the chunk's offset in the input, so a caller passing the
 *    file offset of the compressed entry gets a file offset.  CS_EFORMAT for
 *    malformed chunks and CRC mismatches, CS_ERANGE when the output would
 *    exceed out_cap.
 *  - No allocation, no global state.
 *
 * Cost: one pass over the input; libsnappy decodes at ~1 GB/s, CRC32C is a
 * slicing-by-8 table loop (~2 GB/s). */
#ifndef CS_EVM_SNAPPY_H
#define CS_EVM_SNAPPY_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define CS_SNAPPY_CHUNK_MAX 65536

/* CRC32C (Castagnoli, reflected, as used by iSCSI and snappy framing). */
uint32_t cs_crc32c(const void *data, size_t len);
/* Snappy's masked CRC: rotate right by 15, add 0xa282ead8. */
static inline uint32_t cs_snappy_mask_crc(uint32_t crc)
{
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

/* Decodes the framed stream in[0..in_len) into out (capacity out_cap);
 * *out_len receives the decoded length.  label and base_off go into
 * messages.  Returns 0, CS_EFORMAT or CS_ERANGE.  Owns nothing. */
int cs_snappy_frame_decode(uint8_t *out, size_t out_cap, size_t *out_len, const uint8_t *in,
                           size_t in_len, const char *label, uint64_t base_off) CS_MUST_CHECK;

/* Bytes cs_snappy_frame_encode() may need for len input bytes. */
size_t cs_snappy_frame_bound(size_t len);
/* Encodes in[0..len) as a framed stream: the identifier, then one chunk per
 * 65,536 input bytes, compressed (0x00) or stored (0x01) whichever is
 * smaller.  out needs cs_snappy_frame_bound(len) bytes.  Returns 0 with
 * *out_len set, or CS_ERANGE if out_cap is too small.  (Used by tests, fuzz
 * seeds and anyone writing e2store files.) */
int cs_snappy_frame_encode(uint8_t *out, size_t out_cap, size_t *out_len, const uint8_t *in,
                           size_t len) CS_MUST_CHECK;

#endif
