/* rlp.h — Recursive Length Prefix (Ethereum's serialisation): a bounded,
 * allocation-free decoder with strict canonical-form checks, and a small
 * encoder into caller-provided storage.
 *
 * Invariants:
 *  - The decoder never reads outside [buf, buf + len) and never allocates.
 *    Decoded items are views: their pointers point into the caller's buffer
 *    and are valid for as long as that buffer is.
 *  - Only canonical encodings are accepted, as the Yellow Paper requires:
 *    a single byte below 0x80 must be encoded as itself (not 0x81 xx); a
 *    length below 56 must use the short form; a long-form length has no
 *    leading zero byte; every length must fit inside its enclosing item.
 *    Integers (cs_rlp_u64, cs_rlp_u256) additionally refuse leading zero
 *    bytes, so zero is only 0x80.
 *  - Every error is CS_EFORMAT (CS_ERANGE for a count or width over a cap)
 *    with a message "rlp: byte N: ..." where N is the offset of the
 *    offending byte from the start of the outermost buffer decoded (items
 *    carry their offset, so nested errors still name the outer offset).
 *  - The encoder writes into a fixed buffer; writing past its capacity sets
 *    a flag instead of overflowing, and cs_rlp_enc_finish() reports it.
 *
 * Cost: decoding one item is O(1) (a header is at most 9 bytes); iterating a
 * list is O(number of items).  Nothing is copied. */
#ifndef CS_EVM_RLP_H
#define CS_EVM_RLP_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/u256.h"

/* One decoded item: a byte string or a list, as a view into the input. */
struct cs_rlp_item {
    const uint8_t *raw;     /* the whole encoding, header included */
    size_t raw_len;         /* header + payload */
    const uint8_t *payload; /* the string's bytes, or the list's concatenated items */
    size_t len;             /* payload length */
    size_t off;             /* offset of raw[0] from the start of the outermost buffer */
    int is_list;
};

/* Decodes the item that starts at buf[0]; it must fit within len bytes (bytes
 * after it are left alone: *out->raw_len says where it ends).  base_off is
 * the offset of buf[0] in the outermost buffer, used in messages and stored
 * in out->off.  Returns 0 or CS_EFORMAT (truncated, non-canonical). */
int cs_rlp_decode(struct cs_rlp_item *out, const uint8_t *buf, size_t len,
                  size_t base_off) CS_MUST_CHECK;
/* The same, but the item must span exactly len bytes (CS_EFORMAT "trailing
 * bytes" otherwise).  base_off is 0 for a whole buffer. */
int cs_rlp_decode_all(struct cs_rlp_item *out, const uint8_t *buf, size_t len,
                      size_t base_off) CS_MUST_CHECK;

/* Walks the items of a list in order.  Borrows the list's buffer. */
struct cs_rlp_iter {
    const uint8_t *p; /* next item */
    size_t left;      /* bytes of the list payload not yet consumed */
    size_t off;       /* offset of p in the outermost buffer */
};
/* Starts at the first item of list, which must be a list (CS_EFORMAT if not;
 * `what` names it in the message). */
int cs_rlp_iter_init(struct cs_rlp_iter *it, const struct cs_rlp_item *list,
                     const char *what) CS_MUST_CHECK;
/* Returns 1 with the next item in *out, 0 at the end, or CS_EFORMAT. O(1). */
int cs_rlp_next(struct cs_rlp_iter *it, struct cs_rlp_item *out) CS_MUST_CHECK;

/* Splits a list into items[0..*n), requiring min <= *n <= max (CS_EFORMAT
 * otherwise, naming `what`; items beyond max are not stored).  O(*n). */
int cs_rlp_list(const struct cs_rlp_item *list, struct cs_rlp_item *items, size_t min, size_t max,
                size_t *n, const char *what) CS_MUST_CHECK;

/* Scalars.  Each returns 0 or CS_EFORMAT naming `what` and the item's offset:
 * a list where a string was expected, a wrong width, a leading zero. */
int cs_rlp_u64(const struct cs_rlp_item *it, uint64_t *out, const char *what) CS_MUST_CHECK;
int cs_rlp_u256(const struct cs_rlp_item *it, struct cs_u256 *out, const char *what) CS_MUST_CHECK;
/* A string of exactly n bytes, copied into out. */
int cs_rlp_fixed(const struct cs_rlp_item *it, uint8_t *out, size_t n,
                 const char *what) CS_MUST_CHECK;
/* Any string; *p borrows the item's buffer. */
int cs_rlp_string(const struct cs_rlp_item *it, const uint8_t **p, size_t *len,
                  const char *what) CS_MUST_CHECK;

/* ---- encoder ---- */

/* Writes the header of a string (is_list = 0) or list of payload_len bytes
 * into out (at most 9 bytes).  For a string the caller handles the one case
 * without a header (a single byte below 0x80); cs_rlp_enc_bytes() does.
 * Returns the header length. */
size_t cs_rlp_put_header(uint8_t out[9], size_t payload_len, int is_list);
/* Length of the header cs_rlp_put_header() would write (1..9). */
size_t cs_rlp_header_len(size_t payload_len);

struct cs_rlp_enc {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int overflow; /* set when a write did not fit; nothing past cap is touched */
};
void cs_rlp_enc_init(struct cs_rlp_enc *e, uint8_t *buf, size_t cap);
/* Appends the encoding of a byte string. */
void cs_rlp_enc_bytes(struct cs_rlp_enc *e, const void *data, size_t len);
/* Appends an integer, big-endian without leading zeros (0 is 0x80). */
void cs_rlp_enc_u64(struct cs_rlp_enc *e, uint64_t v);
void cs_rlp_enc_u256(struct cs_rlp_enc *e, const struct cs_u256 *v);
/* Appends a list header for a payload of payload_len bytes that the caller
 * appends next (items, or raw pre-encoded bytes with cs_rlp_enc_raw). */
void cs_rlp_enc_list(struct cs_rlp_enc *e, size_t payload_len);
void cs_rlp_enc_raw(struct cs_rlp_enc *e, const void *data, size_t len);
/* Returns 0 with *len the bytes written, or CS_ERANGE if anything overflowed. */
int cs_rlp_enc_finish(const struct cs_rlp_enc *e, size_t *len) CS_MUST_CHECK;

#endif
