/* rlp.c — canonical RLP decoding and encoding (see rlp.h for the rules).
 *
 * The decoder is a single function on the first byte: 0x00-0x7f a byte on
 * its own, 0x80-0xb7 / 0xc0-0xf7 short string / list, 0xb8-0xbf / 0xf8-0xff
 * a big-endian length of 1-8 bytes before the payload.  All arithmetic on
 * lengths is done against the bytes that remain, so a length near 2^64 can
 * never wrap a pointer. */
#include "evm/rlp.h"

#include <string.h>

static int fail(size_t off, const char *msg)
{
    return cs_error(CS_EFORMAT, "rlp: byte %zu: %s", off, msg);
}

int cs_rlp_decode(struct cs_rlp_item *out, const uint8_t *buf, size_t len, size_t base_off)
{
    if (len == 0) return fail(base_off, "truncated: no item");
    uint8_t b = buf[0];
    size_t hdr, plen;
    int is_list = b >= 0xc0;
    if (b < 0x80) {
        out->raw = out->payload = buf;
        out->raw_len = out->len = 1;
        out->off = base_off;
        out->is_list = 0;
        return 0;
    }
    uint8_t base = is_list ? 0xc0 : 0x80;
    if (b - base < 56) {
        hdr = 1;
        plen = (size_t)(b - base);
    } else {
        size_t lenlen = (size_t)(b - base - 55);
        if (len < 1 + lenlen) return fail(base_off, "truncated length of length-prefixed item");
        if (buf[1] == 0) return fail(base_off + 1, "length has a leading zero byte");
        uint64_t v = 0;
        for (size_t i = 0; i < lenlen; i++)
            v = v << 8 | buf[1 + i];
        if (v < 56) return fail(base_off, "long-form length below 56");
        if (v > (uint64_t)(len - 1 - lenlen)) return fail(base_off, "length exceeds the input");
        hdr = 1 + lenlen;
        plen = (size_t)v;
    }
    if (plen > len - hdr) return fail(base_off, "length exceeds the input");
    if (!is_list && plen == 1 && buf[1] < 0x80)
        return fail(base_off, "single byte below 0x80 not encoded as itself");
    out->raw = buf;
    out->raw_len = hdr + plen;
    out->payload = buf + hdr;
    out->len = plen;
    out->off = base_off;
    out->is_list = is_list;
    return 0;
}

int cs_rlp_decode_all(struct cs_rlp_item *out, const uint8_t *buf, size_t len, size_t base_off)
{
    int rc = cs_rlp_decode(out, buf, len, base_off);
    if (rc) return rc;
    if (out->raw_len != len) return fail(base_off + out->raw_len, "trailing bytes after the item");
    return 0;
}

int cs_rlp_iter_init(struct cs_rlp_iter *it, const struct cs_rlp_item *list, const char *what)
{
    if (!list->is_list)
        return cs_error(CS_EFORMAT, "rlp: byte %zu: %s: expected a list, found a string", list->off,
                        what);
    it->p = list->payload;
    it->left = list->len;
    it->off = list->off + (size_t)(list->payload - list->raw);
    return 0;
}

int cs_rlp_next(struct cs_rlp_iter *it, struct cs_rlp_item *out)
{
    if (it->left == 0) return 0;
    int rc = cs_rlp_decode(out, it->p, it->left, it->off);
    if (rc) return rc;
    it->p += out->raw_len;
    it->left -= out->raw_len;
    it->off += out->raw_len;
    return 1;
}

int cs_rlp_list(const struct cs_rlp_item *list, struct cs_rlp_item *items, size_t min, size_t max,
                size_t *n, const char *what)
{
    struct cs_rlp_iter it = {0};
    struct cs_rlp_item tmp;
    size_t count = 0;
    int rc = cs_rlp_iter_init(&it, list, what);
    if (rc) return rc;
    while ((rc = cs_rlp_next(&it, count < max ? &items[count] : &tmp)) == 1)
        count++;
    if (rc < 0) return rc;
    if (count < min || count > max)
        return cs_error(CS_EFORMAT, "rlp: byte %zu: %s: list has %zu items, expected %zu..%zu",
                        list->off, what, count, min, max);
    *n = count;
    return 0;
}

int cs_rlp_string(const struct cs_rlp_item *it, const uint8_t **p, size_t *len, const char *what)
{
    if (it->is_list)
        return cs_error(CS_EFORMAT, "rlp: byte %zu: %s: expected a string, found a list", it->off,
                        what);
    *p = it->payload;
    *len = it->len;
    return 0;
}

/* A big-endian integer of at most max bytes without leading zeros. */
static int uint_bytes(const struct cs_rlp_item *it, size_t max, const char *what)
{
    const uint8_t *p = NULL;
    size_t len = 0;
    int rc = cs_rlp_string(it, &p, &len, what);
    if (rc) return rc;
    if (len > max)
        return cs_error(CS_EFORMAT, "rlp: byte %zu: %s: integer of %zu bytes exceeds %zu", it->off,
                        what, len, max);
    if (len > 0 && p[0] == 0)
        return cs_error(CS_EFORMAT, "rlp: byte %zu: %s: integer has a leading zero byte", it->off,
                        what);
    return 0;
}

int cs_rlp_u64(const struct cs_rlp_item *it, uint64_t *out, const char *what)
{
    int rc = uint_bytes(it, 8, what);
    if (rc) return rc;
    uint64_t v = 0;
    for (size_t i = 0; i < it->len; i++)
        v = v << 8 | it->payload[i];
    *out = v;
    return 0;
}

int cs_rlp_u256(const struct cs_rlp_item *it, struct cs_u256 *out, const char *what)
{
    int rc = uint_bytes(it, 32, what);
    if (rc) return rc;
    return cs_u256_from_be_var(out, it->payload, it->len);
}

int cs_rlp_fixed(const struct cs_rlp_item *it, uint8_t *out, size_t n, const char *what)
{
    const uint8_t *p = NULL;
    size_t len = 0;
    int rc = cs_rlp_string(it, &p, &len, what);
    if (rc) return rc;
    if (len != n)
        return cs_error(CS_EFORMAT, "rlp: byte %zu: %s: %zu bytes, expected %zu", it->off, what,
                        len, n);
    memcpy(out, p, n);
    return 0;
}

/* ---- encoder ---- */

size_t cs_rlp_header_len(size_t payload_len)
{
    if (payload_len < 56) return 1;
    size_t n = 0;
    for (size_t v = payload_len; v; v >>= 8)
        n++;
    return 1 + n;
}

size_t cs_rlp_put_header(uint8_t out[9], size_t payload_len, int is_list)
{
    uint8_t base = is_list ? 0xc0 : 0x80;
    if (payload_len < 56) {
        out[0] = (uint8_t)(base + payload_len);
        return 1;
    }
    size_t n = cs_rlp_header_len(payload_len) - 1;
    out[0] = (uint8_t)(base + 55 + n);
    for (size_t i = 0; i < n; i++)
        out[1 + i] = (uint8_t)(payload_len >> (8 * (n - 1 - i)));
    return 1 + n;
}

void cs_rlp_enc_init(struct cs_rlp_enc *e, uint8_t *buf, size_t cap)
{
    e->buf = buf;
    e->cap = cap;
    e->len = 0;
    e->overflow = 0;
}

void cs_rlp_enc_raw(struct cs_rlp_enc *e, const void *data, size_t len)
{
    if (e->overflow || len > e->cap - e->len) {
        e->overflow = 1;
        return;
    }
    if (len) memcpy(e->buf + e->len, data, len);
    e->len += len;
}

static void put_header(struct cs_rlp_enc *e, size_t payload_len, int is_list)
{
    uint8_t h[9];
    cs_rlp_enc_raw(e, h, cs_rlp_put_header(h, payload_len, is_list));
}

void cs_rlp_enc_bytes(struct cs_rlp_enc *e, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (!(len == 1 && p[0] < 0x80)) put_header(e, len, 0);
    cs_rlp_enc_raw(e, data, len);
}

void cs_rlp_enc_u256(struct cs_rlp_enc *e, const struct cs_u256 *v)
{
    uint8_t be[32];
    size_t skip = 0;
    cs_u256_to_be(be, v);
    while (skip < 32 && be[skip] == 0)
        skip++;
    cs_rlp_enc_bytes(e, be + skip, 32 - skip);
}

void cs_rlp_enc_u64(struct cs_rlp_enc *e, uint64_t v)
{
    struct cs_u256 wide = cs_u256_from_u64(v);
    cs_rlp_enc_u256(e, &wide);
}

void cs_rlp_enc_list(struct cs_rlp_enc *e, size_t payload_len)
{
    put_header(e, payload_len, 1);
}

int cs_rlp_enc_finish(const struct cs_rlp_enc *e, size_t *len)
{
    if (e->overflow)
        return cs_error(CS_ERANGE, "rlp: encoding exceeds the %zu-byte buffer", e->cap);
    *len = e->len;
    return 0;
}
