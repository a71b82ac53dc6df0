/* keccak.c — Keccak-f[1600] and the 256-bit sponge, written from FIPS 202 §3.
 *
 * Lanes are indexed i = x + 5*y.  Bytes are absorbed little-endian into lanes
 * with shifts, so the code does not depend on the host byte order. */
#include <string.h>

#include "util/keccak.h"

#define RATE 136 /* (1600 - 2*256) / 8 */

static const uint64_t round_const[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* rho rotation of lane x + 5*y */
static const unsigned rho_off[25] = {
    0,  1,  62, 28, 27, /* y = 0 */
    36, 44, 6,  55, 20, /* y = 1 */
    3,  10, 43, 25, 39, /* y = 2 */
    41, 45, 15, 21, 8,  /* y = 3 */
    18, 2,  61, 56, 14, /* y = 4 */
};

static inline uint64_t rotl(uint64_t v, unsigned n)
{
    return n ? (v << n) | (v >> (64 - n)) : v;
}

void cs_keccak_f1600(uint64_t a[25])
{
    uint64_t b[25], c[5], d[5];
    for (int round = 0; round < 24; round++) {
        /* theta */
        for (int x = 0; x < 5; x++)
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        for (int x = 0; x < 5; x++)
            d[x] = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
        for (int i = 0; i < 25; i++)
            a[i] ^= d[i % 5];
        /* rho and pi: B[y, 2x+3y] = rot(A[x, y]) */
        for (int x = 0; x < 5; x++)
            for (int y = 0; y < 5; y++)
                b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(a[x + 5 * y], rho_off[x + 5 * y]);
        /* chi */
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 5; x++)
                a[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]);
        /* iota */
        a[0] ^= round_const[round];
    }
}

static inline void xor_byte(uint64_t *state, size_t pos, uint8_t v)
{
    state[pos / 8] ^= (uint64_t)v << (8 * (pos % 8));
}

void cs_keccak_init(struct cs_keccak_ctx *ctx, int sha3)
{
    memset(ctx->state, 0, sizeof ctx->state);
    ctx->fill = 0;
    ctx->padbyte = sha3 ? 0x06 : 0x01;
}

void cs_keccak_add(struct cs_keccak_ctx *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        /* whole lanes when aligned: the common case for long inputs */
        if (ctx->fill % 8 == 0 && len >= 8 && ctx->fill + 8 <= RATE) {
            uint64_t lane = 0;
            for (int k = 0; k < 8; k++)
                lane |= (uint64_t)p[k] << (8 * k);
            ctx->state[ctx->fill / 8] ^= lane;
            ctx->fill += 8;
            p += 8;
            len -= 8;
        } else {
            xor_byte(ctx->state, ctx->fill++, *p++);
            len--;
        }
        if (ctx->fill == RATE) {
            cs_keccak_f1600(ctx->state);
            ctx->fill = 0;
        }
    }
}

void cs_keccak_final(struct cs_keccak_ctx *ctx, uint8_t out[32])
{
    xor_byte(ctx->state, ctx->fill, ctx->padbyte);
    xor_byte(ctx->state, RATE - 1, 0x80);
    cs_keccak_f1600(ctx->state);
    for (int i = 0; i < 32; i++)
        out[i] = (uint8_t)(ctx->state[i / 8] >> (8 * (i % 8)));
}

void cs_keccak256(const void *data, size_t len, uint8_t out[32])
{
    struct cs_keccak_ctx ctx;
    cs_keccak_init(&ctx, 0);
    cs_keccak_add(&ctx, data, len);
    cs_keccak_final(&ctx, out);
}

void cs_sha3_256(const void *data, size_t len, uint8_t out[32])
{
    struct cs_keccak_ctx ctx;
    cs_keccak_init(&ctx, 1);
    cs_keccak_add(&ctx, data, len);
    cs_keccak_final(&ctx, out);
}
