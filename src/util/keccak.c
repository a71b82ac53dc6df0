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

/* The rho offsets, by lane x + 5*y (0 1 62 28 27 / 36 44 6 55 20 /
 * 3 10 43 25 39 / 41 45 15 21 8 / 18 2 61 56 14), are written into the code. */
/* n is never 0 or 64 where used, so both shifts are defined. */
#define ROTL(v, n) (((v) << (n)) | ((v) >> (64 - (n))))

/* Why straight-line code: with the 25 lanes in locals and no index
 * arithmetic, the compiler keeps the state in registers.  The textbook
 * loops it replaces (same steps, same order) cost about 5 us a permutation
 * on the project machine, this about 0.6 us (OpenSSL's assembly SHA3 takes
 * the same); Era1 decoding is mostly keccak
 * (header hashes and trie nodes).  Generated once from the FIPS 202 step
 * definitions: theta C/D, rho+pi B[y, 2x+3y] = rot(A[x,y] ^ D[x]), chi, iota. */
void cs_keccak_f1600(uint64_t a[25])
{
    uint64_t a00 = a[0], a01 = a[1], a02 = a[2], a03 = a[3], a04 = a[4], a05 = a[5], a06 = a[6],
             a07 = a[7], a08 = a[8], a09 = a[9], a10 = a[10], a11 = a[11], a12 = a[12], a13 = a[13],
             a14 = a[14], a15 = a[15], a16 = a[16], a17 = a[17], a18 = a[18], a19 = a[19],
             a20 = a[20], a21 = a[21], a22 = a[22], a23 = a[23], a24 = a[24];
    uint64_t c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;
    uint64_t b00, b01, b02, b03, b04, b05, b06, b07, b08, b09, b10, b11, b12, b13, b14, b15, b16,
        b17, b18, b19, b20, b21, b22, b23, b24;
    for (int round = 0; round < 24; round++) {
        /* theta */
        c0 = a00 ^ a05 ^ a10 ^ a15 ^ a20;
        c1 = a01 ^ a06 ^ a11 ^ a16 ^ a21;
        c2 = a02 ^ a07 ^ a12 ^ a17 ^ a22;
        c3 = a03 ^ a08 ^ a13 ^ a18 ^ a23;
        c4 = a04 ^ a09 ^ a14 ^ a19 ^ a24;
        d0 = c4 ^ ROTL(c1, 1);
        d1 = c0 ^ ROTL(c2, 1);
        d2 = c1 ^ ROTL(c3, 1);
        d3 = c2 ^ ROTL(c4, 1);
        d4 = c3 ^ ROTL(c0, 1);
        /* rho and pi: B[y, 2x + 3y] = rot(A[x, y] ^ D[x], rho[x, y]) */
        b00 = a00 ^ d0;
        b10 = ROTL(a01 ^ d1, 1);
        b20 = ROTL(a02 ^ d2, 62);
        b05 = ROTL(a03 ^ d3, 28);
        b15 = ROTL(a04 ^ d4, 27);
        b16 = ROTL(a05 ^ d0, 36);
        b01 = ROTL(a06 ^ d1, 44);
        b11 = ROTL(a07 ^ d2, 6);
        b21 = ROTL(a08 ^ d3, 55);
        b06 = ROTL(a09 ^ d4, 20);
        b07 = ROTL(a10 ^ d0, 3);
        b17 = ROTL(a11 ^ d1, 10);
        b02 = ROTL(a12 ^ d2, 43);
        b12 = ROTL(a13 ^ d3, 25);
        b22 = ROTL(a14 ^ d4, 39);
        b23 = ROTL(a15 ^ d0, 41);
        b08 = ROTL(a16 ^ d1, 45);
        b18 = ROTL(a17 ^ d2, 15);
        b03 = ROTL(a18 ^ d3, 21);
        b13 = ROTL(a19 ^ d4, 8);
        b14 = ROTL(a20 ^ d0, 18);
        b24 = ROTL(a21 ^ d1, 2);
        b09 = ROTL(a22 ^ d2, 61);
        b19 = ROTL(a23 ^ d3, 56);
        b04 = ROTL(a24 ^ d4, 14);
        /* chi */
        a00 = b00 ^ (~b01 & b02);
        a01 = b01 ^ (~b02 & b03);
        a02 = b02 ^ (~b03 & b04);
        a03 = b03 ^ (~b04 & b00);
        a04 = b04 ^ (~b00 & b01);
        a05 = b05 ^ (~b06 & b07);
        a06 = b06 ^ (~b07 & b08);
        a07 = b07 ^ (~b08 & b09);
        a08 = b08 ^ (~b09 & b05);
        a09 = b09 ^ (~b05 & b06);
        a10 = b10 ^ (~b11 & b12);
        a11 = b11 ^ (~b12 & b13);
        a12 = b12 ^ (~b13 & b14);
        a13 = b13 ^ (~b14 & b10);
        a14 = b14 ^ (~b10 & b11);
        a15 = b15 ^ (~b16 & b17);
        a16 = b16 ^ (~b17 & b18);
        a17 = b17 ^ (~b18 & b19);
        a18 = b18 ^ (~b19 & b15);
        a19 = b19 ^ (~b15 & b16);
        a20 = b20 ^ (~b21 & b22);
        a21 = b21 ^ (~b22 & b23);
        a22 = b22 ^ (~b23 & b24);
        a23 = b23 ^ (~b24 & b20);
        a24 = b24 ^ (~b20 & b21);
        /* iota */
        a00 ^= round_const[round];
    }
    a[0] = a00;
    a[1] = a01;
    a[2] = a02;
    a[3] = a03;
    a[4] = a04;
    a[5] = a05;
    a[6] = a06;
    a[7] = a07;
    a[8] = a08;
    a[9] = a09;
    a[10] = a10;
    a[11] = a11;
    a[12] = a12;
    a[13] = a13;
    a[14] = a14;
    a[15] = a15;
    a[16] = a16;
    a[17] = a17;
    a[18] = a18;
    a[19] = a19;
    a[20] = a20;
    a[21] = a21;
    a[22] = a22;
    a[23] = a23;
    a[24] = a24;
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
