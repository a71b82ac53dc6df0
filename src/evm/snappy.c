/* snappy.c — snappy framing (chunks, masked CRC32C, caps) around libsnappy's
 * raw-block codec.  See snappy.h for the format rules we enforce.
 *
 * Why our own framing: libsnappy's C API only does raw blocks; the framing
 * is small, and owning it is what lets us cap every size before libsnappy
 * touches memory and name the byte offset of a bad chunk. */
#include "evm/snappy.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <snappy-c.h>
#include <string.h>

#include "util/codec.h"

/* ---- CRC32C ---- */

#define CRC32C_POLY 0x82f63b78u /* reflected Castagnoli polynomial */

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static int crc_hw;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
#if defined(__x86_64__) && !defined(CS_CRC32C_NO_HW)
    crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

/* Slicing-by-8: eight table lookups per 8 input bytes. */
static uint32_t crc_soft(uint32_t c, const uint8_t *p, size_t len)
{
    while (len >= 8) {
        uint64_t w = cs_le64(p) ^ c;
        c = crc_table[7][w & 0xff] ^ crc_table[6][(w >> 8) & 0xff] ^
            crc_table[5][(w >> 16) & 0xff] ^ crc_table[4][(w >> 24) & 0xff] ^
            crc_table[3][(w >> 32) & 0xff] ^ crc_table[2][(w >> 40) & 0xff] ^
            crc_table[1][(w >> 48) & 0xff] ^ crc_table[0][w >> 56];
        p += 8;
        len -= 8;
    }
    while (len--)
        c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xff];
    return c;
}

#if defined(__x86_64__)
/* The SSE4.2 crc32 instruction computes exactly this CRC, 8 bytes a cycle. */
__attribute__((target("sse4.2"))) static uint32_t crc_sse42(uint32_t c, const uint8_t *p,
                                                            size_t len)
{
    uint64_t c64 = c;
    while (len >= 8) {
        c64 = __builtin_ia32_crc32di(c64, cs_le64(p));
        p += 8;
        len -= 8;
    }
    c = (uint32_t)c64;
    while (len--)
        c = __builtin_ia32_crc32qi(c, *p++);
    return c;
}
#endif

uint32_t cs_crc32c(const void *data, size_t len)
{
    pthread_once(&crc_once, crc_init);
#if defined(__x86_64__)
    if (crc_hw) return ~crc_sse42(~0u, data, len);
#endif
    return ~crc_soft(~0u, data, len);
}

/* ---- framing ---- */

enum {
    CHUNK_COMPRESSED = 0x00,
    CHUNK_UNCOMPRESSED = 0x01,
    CHUNK_PADDING = 0xfe,
    CHUNK_STREAM_ID = 0xff,
};
static const uint8_t stream_id[6] = {'s', 'N', 'a', 'P', 'p', 'Y'};

/* "LABEL: byte N: snappy frame: <detail>" */
CS_PRINTF(4, 5)
static int frame_error(int code, const char *label, uint64_t at, const char *fmt, ...)
{
    char detail[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return cs_error(code, "%s: byte %llu: snappy frame: %s", label, (unsigned long long)at, detail);
}

int cs_snappy_frame_decode(uint8_t *out, size_t out_cap, size_t *out_len, const uint8_t *in,
                           size_t in_len, const char *label, uint64_t base_off)
{
#define FAIL(code, at, ...) frame_error(code, label, base_off + (at), __VA_ARGS__)
    size_t pos = 0, n = 0;
    int seen_id = 0;
    if (in_len == 0) return FAIL(CS_EFORMAT, 0, "empty stream");
    while (pos < in_len) {
        if (in_len - pos < 4) return FAIL(CS_EFORMAT, pos, "truncated chunk header");
        uint8_t type = in[pos];
        size_t clen = (size_t)in[pos + 1] | (size_t)in[pos + 2] << 8 | (size_t)in[pos + 3] << 16;
        const uint8_t *body = in + pos + 4;
        if (clen > in_len - pos - 4)
            return FAIL(CS_EFORMAT, pos, "chunk of %zu bytes runs past the end (%zu left)", clen,
                        in_len - pos - 4);
        if (!seen_id && type != CHUNK_STREAM_ID)
            return FAIL(CS_EFORMAT, pos, "stream does not open with the identifier chunk");
        if (type == CHUNK_STREAM_ID) {
            if (clen != 6 || memcmp(body, stream_id, 6) != 0)
                return FAIL(CS_EFORMAT, pos, "bad stream identifier");
            seen_id = 1;
        } else if (type == CHUNK_COMPRESSED || type == CHUNK_UNCOMPRESSED) {
            if (clen < 4) return FAIL(CS_EFORMAT, pos, "data chunk shorter than its CRC");
            uint32_t want = cs_le32(body);
            const uint8_t *data = body + 4;
            size_t dlen = clen - 4, ulen;
            if (type == CHUNK_UNCOMPRESSED) {
                ulen = dlen;
            } else if (snappy_uncompressed_length((const char *)data, dlen, &ulen) != SNAPPY_OK) {
                return FAIL(CS_EFORMAT, pos, "bad raw-block length preamble");
            }
            if (ulen > CS_SNAPPY_CHUNK_MAX)
                return FAIL(CS_EFORMAT, pos, "chunk of %zu uncompressed bytes exceeds %d", ulen,
                            CS_SNAPPY_CHUNK_MAX);
            if (ulen > out_cap - n)
                return FAIL(CS_ERANGE, pos, "output exceeds the cap of %zu bytes", out_cap);
            if (type == CHUNK_UNCOMPRESSED) {
                memcpy(out + n, data, ulen);
            } else {
                size_t got = ulen;
                if (snappy_uncompress((const char *)data, dlen, (char *)out + n, &got) !=
                        SNAPPY_OK ||
                    got != ulen)
                    return FAIL(CS_EFORMAT, pos, "corrupt compressed chunk");
            }
            uint32_t have = cs_snappy_mask_crc(cs_crc32c(out + n, ulen));
            if (have != want)
                return FAIL(CS_EFORMAT, pos, "CRC32C mismatch (stored %08x, computed %08x)", want,
                            have);
            n += ulen;
        } else if (type < 0x80) {
            return FAIL(CS_EFORMAT, pos, "reserved unskippable chunk type 0x%02x", type);
        } /* padding and reserved skippable chunks: skipped */
        pos += 4 + clen;
    }
    *out_len = n;
    return 0;
#undef FAIL
}

size_t cs_snappy_frame_bound(size_t len)
{
    size_t full = len / CS_SNAPPY_CHUNK_MAX, rest = len % CS_SNAPPY_CHUNK_MAX;
    size_t n = 10 + full * (8 + snappy_max_compressed_length(CS_SNAPPY_CHUNK_MAX));
    return rest ? n + 8 + snappy_max_compressed_length(rest) : n;
}

int cs_snappy_frame_encode(uint8_t *out, size_t out_cap, size_t *out_len, const uint8_t *in,
                           size_t len)
{
    if (out_cap < cs_snappy_frame_bound(len))
        return cs_error(CS_ERANGE, "snappy frame: %zu-byte buffer below the bound %zu", out_cap,
                        cs_snappy_frame_bound(len));
    size_t n = 0;
    out[n++] = CHUNK_STREAM_ID;
    out[n++] = 6;
    out[n++] = 0;
    out[n++] = 0;
    memcpy(out + n, stream_id, 6);
    n += 6;
    for (size_t pos = 0; pos < len;) {
        size_t take = len - pos < CS_SNAPPY_CHUNK_MAX ? len - pos : CS_SNAPPY_CHUNK_MAX;
        uint8_t *hdr = out + n;
        size_t clen = out_cap - n - 8;
        if (snappy_compress((const char *)in + pos, take, (char *)hdr + 8, &clen) != SNAPPY_OK)
            return cs_error(CS_ERANGE, "snappy frame: compression failed");
        if (clen >= take) { /* incompressible: store it */
            hdr[0] = CHUNK_UNCOMPRESSED;
            memcpy(hdr + 8, in + pos, take);
            clen = take;
        } else {
            hdr[0] = CHUNK_COMPRESSED;
        }
        size_t body = clen + 4;
        hdr[1] = (uint8_t)body;
        hdr[2] = (uint8_t)(body >> 8);
        hdr[3] = (uint8_t)(body >> 16);
        cs_put_le32(hdr + 4, cs_snappy_mask_crc(cs_crc32c(in + pos, take)));
        n += 8 + clen;
        pos += take;
    }
    *out_len = n;
    return 0;
}
