/* u256.c — 256-bit unsigned arithmetic on four 64-bit limbs.
 *
 * The multiply and divide loops run over significant limbs only, so the
 * common amounts (below 2^64) cost one hardware multiply or divide.  Long
 * division is Knuth's algorithm D (TAOCP vol. 2, 4.3.1) on 64-bit digits,
 * with unsigned __int128 for the two-digit steps; the dividend is at most
 * 8 limbs (a 512-bit product in muldiv). */
#include <string.h>

#include "util/u256.h"

__extension__ typedef unsigned __int128 u128;

/* 10^0 .. 10^77, generated with Python's integers. */
static const struct cs_u256 pow10_table[CS_U256_POW10_MAX + 1] = {
    {{0x1ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                                  /* 10^0 */
    {{0xaULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                                  /* 10^1 */
    {{0x64ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                                 /* 10^2 */
    {{0x3e8ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                                /* 10^3 */
    {{0x2710ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                               /* 10^4 */
    {{0x186a0ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                              /* 10^5 */
    {{0xf4240ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                              /* 10^6 */
    {{0x989680ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                             /* 10^7 */
    {{0x5f5e100ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                            /* 10^8 */
    {{0x3b9aca00ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                           /* 10^9 */
    {{0x2540be400ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                          /* 10^10 */
    {{0x174876e800ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                         /* 10^11 */
    {{0xe8d4a51000ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                         /* 10^12 */
    {{0x9184e72a000ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                        /* 10^13 */
    {{0x5af3107a4000ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                       /* 10^14 */
    {{0x38d7ea4c68000ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                      /* 10^15 */
    {{0x2386f26fc10000ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                     /* 10^16 */
    {{0x16345785d8a0000ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                    /* 10^17 */
    {{0xde0b6b3a7640000ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                    /* 10^18 */
    {{0x8ac7230489e80000ULL, 0x0ULL, 0x0ULL, 0x0ULL}},                                   /* 10^19 */
    {{0x6bc75e2d63100000ULL, 0x5ULL, 0x0ULL, 0x0ULL}},                                   /* 10^20 */
    {{0x35c9adc5dea00000ULL, 0x36ULL, 0x0ULL, 0x0ULL}},                                  /* 10^21 */
    {{0x19e0c9bab2400000ULL, 0x21eULL, 0x0ULL, 0x0ULL}},                                 /* 10^22 */
    {{0x2c7e14af6800000ULL, 0x152dULL, 0x0ULL, 0x0ULL}},                                 /* 10^23 */
    {{0x1bcecceda1000000ULL, 0xd3c2ULL, 0x0ULL, 0x0ULL}},                                /* 10^24 */
    {{0x161401484a000000ULL, 0x84595ULL, 0x0ULL, 0x0ULL}},                               /* 10^25 */
    {{0xdcc80cd2e4000000ULL, 0x52b7d2ULL, 0x0ULL, 0x0ULL}},                              /* 10^26 */
    {{0x9fd0803ce8000000ULL, 0x33b2e3cULL, 0x0ULL, 0x0ULL}},                             /* 10^27 */
    {{0x3e25026110000000ULL, 0x204fce5eULL, 0x0ULL, 0x0ULL}},                            /* 10^28 */
    {{0x6d7217caa0000000ULL, 0x1431e0faeULL, 0x0ULL, 0x0ULL}},                           /* 10^29 */
    {{0x4674edea40000000ULL, 0xc9f2c9cd0ULL, 0x0ULL, 0x0ULL}},                           /* 10^30 */
    {{0xc0914b2680000000ULL, 0x7e37be2022ULL, 0x0ULL, 0x0ULL}},                          /* 10^31 */
    {{0x85acef8100000000ULL, 0x4ee2d6d415bULL, 0x0ULL, 0x0ULL}},                         /* 10^32 */
    {{0x38c15b0a00000000ULL, 0x314dc6448d93ULL, 0x0ULL, 0x0ULL}},                        /* 10^33 */
    {{0x378d8e6400000000ULL, 0x1ed09bead87c0ULL, 0x0ULL, 0x0ULL}},                       /* 10^34 */
    {{0x2b878fe800000000ULL, 0x13426172c74d82ULL, 0x0ULL, 0x0ULL}},                      /* 10^35 */
    {{0xb34b9f1000000000ULL, 0xc097ce7bc90715ULL, 0x0ULL, 0x0ULL}},                      /* 10^36 */
    {{0xf436a000000000ULL, 0x785ee10d5da46d9ULL, 0x0ULL, 0x0ULL}},                       /* 10^37 */
    {{0x98a224000000000ULL, 0x4b3b4ca85a86c47aULL, 0x0ULL, 0x0ULL}},                     /* 10^38 */
    {{0x5f65568000000000ULL, 0xf050fe938943acc4ULL, 0x2ULL, 0x0ULL}},                    /* 10^39 */
    {{0xb9f5610000000000ULL, 0x6329f1c35ca4bfabULL, 0x1dULL, 0x0ULL}},                   /* 10^40 */
    {{0x4395ca0000000000ULL, 0xdfa371a19e6f7cb5ULL, 0x125ULL, 0x0ULL}},                  /* 10^41 */
    {{0xa3d9e40000000000ULL, 0xbc627050305adf14ULL, 0xb7aULL, 0x0ULL}},                  /* 10^42 */
    {{0x6682e80000000000ULL, 0x5bd86321e38cb6ceULL, 0x72cbULL, 0x0ULL}},                 /* 10^43 */
    {{0x11d100000000000ULL, 0x9673df52e37f2410ULL, 0x47bf1ULL, 0x0ULL}},                 /* 10^44 */
    {{0xb22a00000000000ULL, 0xe086b93ce2f768a0ULL, 0x2cd76fULL, 0x0ULL}},                /* 10^45 */
    {{0x6f5a400000000000ULL, 0xc5433c60ddaa1640ULL, 0x1c06a5eULL, 0x0ULL}},              /* 10^46 */
    {{0x5986800000000000ULL, 0xb4a05bc8a8a4de84ULL, 0x118427b3ULL, 0x0ULL}},             /* 10^47 */
    {{0x7f41000000000000ULL, 0xe4395d69670b12bULL, 0xaf298d05ULL, 0x0ULL}},              /* 10^48 */
    {{0xf88a000000000000ULL, 0x8ea3da61e066ebb2ULL, 0x6d79f8232ULL, 0x0ULL}},            /* 10^49 */
    {{0xb564000000000000ULL, 0x926687d2c40534fdULL, 0x446c3b15f9ULL, 0x0ULL}},           /* 10^50 */
    {{0x15e8000000000000ULL, 0xb8014e3ba83411e9ULL, 0x2ac3a4edbbfULL, 0x0ULL}},          /* 10^51 */
    {{0xdb10000000000000ULL, 0x300d0e549208b31aULL, 0x1aba4714957dULL, 0x0ULL}},         /* 10^52 */
    {{0x8ea0000000000000ULL, 0xe0828f4db456ff0cULL, 0x10b46c6cdd6e3ULL, 0x0ULL}},        /* 10^53 */
    {{0x9240000000000000ULL, 0xc51999090b65f67dULL, 0xa70c3c40a64e6ULL, 0x0ULL}},        /* 10^54 */
    {{0xb680000000000000ULL, 0xb2fffa5a71fba0e7ULL, 0x6867a5a867f103ULL, 0x0ULL}},       /* 10^55 */
    {{0x2100000000000000ULL, 0xfdffc78873d4490dULL, 0x4140c78940f6a24ULL, 0x0ULL}},      /* 10^56 */
    {{0x4a00000000000000ULL, 0xebfdcb54864ada83ULL, 0x28c87cb5c89a2571ULL, 0x0ULL}},     /* 10^57 */
    {{0xe400000000000000ULL, 0x37e9f14d3eec8920ULL, 0x97d4df19d6057673ULL, 0x1ULL}},     /* 10^58 */
    {{0xe800000000000000ULL, 0x2f236d04753d5b48ULL, 0xee50b7025c36a080ULL, 0xfULL}},     /* 10^59 */
    {{0x1000000000000000ULL, 0xd762422c946590d9ULL, 0x4f2726179a224501ULL, 0x9fULL}},    /* 10^60 */
    {{0xa000000000000000ULL, 0x69d695bdcbf7a87aULL, 0x17877cec0556b212ULL, 0x639ULL}},   /* 10^61 */
    {{0x4000000000000000ULL, 0x2261d969f7ac94caULL, 0xeb4ae1383562f4b8ULL, 0x3e3aULL}},  /* 10^62 */
    {{0x8000000000000000ULL, 0x57d27e23acbdcfe6ULL, 0x30eccc3215dd8f31ULL, 0x26e4dULL}}, /* 10^63 */
    {{0x0ULL, 0x6e38ed64bf6a1f01ULL, 0xe93ff9f4daa797edULL, 0x184f03ULL}},               /* 10^64 */
    {{0x0ULL, 0x4e3945ef7a25360aULL, 0x1c7fc3908a8bef46ULL, 0xf31627ULL}},               /* 10^65 */
    {{0x0ULL, 0xe3cbb5ac5741c64ULL, 0x1cfda3a5697758bfULL, 0x97edd87ULL}},               /* 10^66 */
    {{0x0ULL, 0x8e5f518bb6891be8ULL, 0x21e864761ea97776ULL, 0x5ef4a747ULL}},             /* 10^67 */
    {{0x0ULL, 0x8fb92f75215b1710ULL, 0x5313ec9d329eaaa1ULL, 0x3b58e88c7ULL}},            /* 10^68 */
    {{0x0ULL, 0x9d3bda934d8ee6a0ULL, 0x3ec73e23fa32aa4fULL, 0x25179157c9ULL}},           /* 10^69 */
    {{0x0ULL, 0x245689c107950240ULL, 0x73c86d67c5faa71cULL, 0x172ebad6ddcULL}},          /* 10^70 */
    {{0x0ULL, 0x6b61618a4bd21680ULL, 0x85d4460dbbca8719ULL, 0xe7d34c64a9cULL}},          /* 10^71 */
    {{0x0ULL, 0x31cdcf66f634e100ULL, 0x3a4abc8955e946feULL, 0x90e40fbeea1dULL}},         /* 10^72 */
    {{0x0ULL, 0xf20a1a059e10ca00ULL, 0x46eb5d5d5b1cc5edULL, 0x5a8e89d752524ULL}},        /* 10^73 */
    {{0x0ULL, 0x746504382ca7e400ULL, 0xc531a5a58f1fbb4bULL, 0x3899162693736aULL}},       /* 10^74 */
    {{0x0ULL, 0x8bf22a31be8ee800ULL, 0xb3f07877973d50f2ULL, 0x235fadd81c2822bULL}},      /* 10^75 */
    {{0x0ULL, 0x7775a5f171951000ULL, 0x764b4abe8652979ULL, 0x161bcca7119915b5ULL}},      /* 10^76 */
    {{0x0ULL, 0xaa987b6e6fd2a000ULL, 0x49ef0eb713f39ebeULL, 0xdd15fe86affad912ULL}},     /* 10^77 */
};

/* Significant limbs of x[0..n-1]: 0 for zero. */
static inline int nlimbs(const uint64_t *x, int n)
{
    while (n > 0 && x[n - 1] == 0)
        n--;
    return n;
}

/* (hi*2^64 + lo) / d with hi < d, so the quotient fits one limb; the
 * remainder goes to *rem.  One `div` instruction on x86-64. */
static inline uint64_t div128_64(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
#if defined(__x86_64__)
    uint64_t q, r;
    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
    *rem = r;
    return q;
#else
    u128 n = (u128)hi << 64 | lo;
    *rem = (uint64_t)(n % d);
    return (uint64_t)(n / d);
#endif
}

int cs_u256_bits(const struct cs_u256 *a)
{
    int n = nlimbs(a->w, 4);
    if (n == 0) return 0;
    return 64 * n - __builtin_clzll(a->w[n - 1]);
}

int cs_u256_add(struct cs_u256 *out, const struct cs_u256 *a, const struct cs_u256 *b)
{
    struct cs_u256 r;
    unsigned carry = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t s = a->w[i] + b->w[i];
        unsigned c1 = s < a->w[i];
        r.w[i] = s + carry;
        carry = c1 | (r.w[i] < s);
    }
    if (carry) return CS_ERANGE;
    *out = r;
    return 0;
}

int cs_u256_sub(struct cs_u256 *out, const struct cs_u256 *a, const struct cs_u256 *b)
{
    struct cs_u256 r;
    unsigned borrow = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t d = a->w[i] - b->w[i];
        unsigned b1 = a->w[i] < b->w[i];
        r.w[i] = d - borrow;
        borrow = b1 | (d < borrow);
    }
    if (borrow) return CS_ERANGE;
    *out = r;
    return 0;
}

/* r[0..na+nb-1] = a * b (schoolbook); r must not overlap a or b. */
static void mul_limbs(uint64_t *r, const uint64_t *a, int na, const uint64_t *b, int nb)
{
    memset(r, 0, (size_t)(na + nb) * sizeof *r);
    for (int i = 0; i < na; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < nb; j++) {
            u128 t = (u128)a[i] * b[j] + r[i + j] + carry; /* < 2^128: no overflow */
            r[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        r[i + nb] = carry;
    }
}

int cs_u256_mul(struct cs_u256 *out, const struct cs_u256 *a, const struct cs_u256 *b)
{
    int na = nlimbs(a->w, 4), nb = nlimbs(b->w, 4);
    if (na == 0 || nb == 0) {
        *out = cs_u256_from_u64(0);
        return 0;
    }
    if (na + nb > 5) return CS_ERANGE; /* product >= 2^(64*(na+nb-2)) >= 2^256 */
    uint64_t p[8];
    mul_limbs(p, a->w, na, b->w, nb);
    if (na + nb == 5 && p[4] != 0) return CS_ERANGE;
    for (int i = na + nb; i < 4; i++)
        p[i] = 0;
    memcpy(out->w, p, sizeof out->w);
    return 0;
}

/* Knuth D: u[0..m-1] / v[0..n-1] with m >= n >= 1, v[n-1] != 0, m <= 8,
 * n <= 4.  q gets m-n+1 limbs, r gets n limbs; either may be NULL. */
static void divmod_limbs(uint64_t *q, uint64_t *r, const uint64_t *u, int m, const uint64_t *v,
                         int n)
{
    if (n == 1) {
        uint64_t rem = 0;
        for (int i = m - 1; i >= 0; i--) {
            uint64_t d = div128_64(rem, u[i], v[0], &rem);
            if (q) q[i] = d;
        }
        if (r) r[0] = rem;
        return;
    }
    /* Normalise so the divisor's top bit is set: then each estimated digit
     * qhat is at most 2 too large, and the v[n-2] test below makes it exact
     * except in rare cases fixed by one add-back. */
    int s = __builtin_clzll(v[n - 1]);
    uint64_t vn[4], un[9];
    for (int i = n - 1; i > 0; i--)
        vn[i] = v[i] << s | (s ? v[i - 1] >> (64 - s) : 0);
    vn[0] = v[0] << s;
    un[m] = s ? u[m - 1] >> (64 - s) : 0;
    for (int i = m - 1; i > 0; i--)
        un[i] = u[i] << s | (s ? u[i - 1] >> (64 - s) : 0);
    un[0] = u[0] << s;

    const uint64_t vtop = vn[n - 1], vnext = vn[n - 2];
    for (int j = m - n; j >= 0; j--) {
        uint64_t qhat, rhat;
        int rhat_big; /* rhat >= 2^64: the refinement test can no longer succeed */
        if (un[j + n] >= vtop) {
            /* un[j+n] == vtop (the loop keeps un[j+n] <= vtop): the digit is at
             * most 2^64-1, and rhat = un[j+n-1] + vtop. */
            qhat = UINT64_MAX;
            rhat = un[j + n - 1] + vtop;
            rhat_big = rhat < vtop;
        } else {
            qhat = div128_64(un[j + n], un[j + n - 1], vtop, &rhat);
            rhat_big = 0;
        }
        while (!rhat_big && (u128)qhat * vnext > ((u128)rhat << 64 | un[j + n - 2])) {
            qhat--;
            rhat += vtop;
            rhat_big = rhat < vtop;
        }
        /* un[j..j+n] -= qhat * vn */
        uint64_t carry = 0;
        unsigned borrow = 0;
        for (int i = 0; i < n; i++) {
            u128 p = (u128)qhat * vn[i] + carry;
            carry = (uint64_t)(p >> 64);
            uint64_t lo = (uint64_t)p, x = un[i + j];
            uint64_t d = x - lo;
            unsigned b1 = x < lo;
            un[i + j] = d - borrow;
            borrow = b1 | (d < borrow);
        }
        uint64_t x = un[j + n];
        uint64_t d = x - carry;
        unsigned negative = (x < carry) | (d < borrow);
        un[j + n] = d - borrow;
        if (negative) { /* qhat was one too large: add vn back once */
            qhat--;
            uint64_t c = 0;
            for (int i = 0; i < n; i++) {
                u128 t = (u128)un[i + j] + vn[i] + c;
                un[i + j] = (uint64_t)t;
                c = (uint64_t)(t >> 64);
            }
            un[j + n] += c; /* wraps to the true (small) top digit */
        }
        if (q) q[j] = qhat;
    }
    if (r) {
        for (int i = 0; i < n - 1; i++)
            r[i] = un[i] >> s | (s ? un[i + 1] << (64 - s) : 0);
        r[n - 1] = un[n - 1] >> s;
    }
}

int cs_u256_muldiv(struct cs_u256 *out, const struct cs_u256 *a, const struct cs_u256 *b,
                   const struct cs_u256 *c)
{
    int nc = nlimbs(c->w, 4);
    if (nc == 0) return CS_EUSAGE;
    int na = nlimbs(a->w, 4), nb = nlimbs(b->w, 4);
    if (na == 0 || nb == 0) {
        *out = cs_u256_from_u64(0);
        return 0;
    }
    if (na == 1 && nb == 1 && nc == 1) { /* the common case: everything in 64 bits */
        u128 p = (u128)a->w[0] * b->w[0];
        uint64_t hi = (uint64_t)(p >> 64), lo = (uint64_t)p, d = c->w[0], rem;
        struct cs_u256 r = {{0, 0, 0, 0}};
        if (hi < d) { /* quotient fits 64 bits: one divide */
            r.w[0] = div128_64(hi, lo, d, &rem);
        } else { /* two 128/64 steps keep each quotient digit in one limb */
            r.w[1] = hi / d;
            r.w[0] = div128_64(hi % d, lo, d, &rem);
        }
        *out = r;
        return 0;
    }
    uint64_t p[8], q[8];
    mul_limbs(p, a->w, na, b->w, nb);
    int np = nlimbs(p, na + nb);
    /* floor(P / c) >= 2^256  <=>  P >= c * 2^256  <=>  floor(P / 2^256) >= c */
    if (np > 4) {
        int nh = np - 4;
        if (nh > nc) return CS_ERANGE;
        if (nh == nc) {
            int i = nh - 1;
            while (i >= 0 && p[4 + i] == c->w[i])
                i--;
            if (i < 0 || p[4 + i] > c->w[i]) return CS_ERANGE;
        }
    }
    struct cs_u256 r = {{0, 0, 0, 0}};
    if (np >= nc) {
        divmod_limbs(q, NULL, p, np, c->w, nc);
        int nq = np - nc + 1; /* the check above guarantees q[4..] are zero */
        memcpy(r.w, q, (size_t)(nq < 4 ? nq : 4) * sizeof q[0]);
    }
    *out = r;
    return 0;
}

int cs_u256_divmod(struct cs_u256 *quot, struct cs_u256 *rem, const struct cs_u256 *a,
                   const struct cs_u256 *b)
{
    int nb = nlimbs(b->w, 4);
    if (nb == 0) return CS_EUSAGE;
    int na = nlimbs(a->w, 4);
    struct cs_u256 q = {{0, 0, 0, 0}}, r = {{0, 0, 0, 0}};
    if (na < nb || (na == nb && cs_u256_cmp(a, b) < 0)) {
        r = *a;
    } else if (na == 1) {
        q.w[0] = a->w[0] / b->w[0];
        r.w[0] = a->w[0] % b->w[0];
    } else {
        divmod_limbs(q.w, r.w, a->w, na, b->w, nb);
    }
    if (quot) *quot = q;
    if (rem) *rem = r;
    return 0;
}

int cs_u256_divmod_u64(struct cs_u256 *quot, uint64_t *rem, const struct cs_u256 *a, uint64_t b)
{
    if (b == 0) return CS_EUSAGE;
    struct cs_u256 q = {{0, 0, 0, 0}};
    uint64_t r = 0;
    int na = nlimbs(a->w, 4);
    if (na <= 1) {
        q.w[0] = a->w[0] / b;
        r = a->w[0] % b;
    } else {
        divmod_limbs(q.w, &r, a->w, na, &b, 1);
    }
    if (quot) *quot = q;
    if (rem) *rem = r;
    return 0;
}

int cs_u256_pow10(struct cs_u256 *out, unsigned n)
{
    if (n > CS_U256_POW10_MAX) return CS_ERANGE;
    *out = pow10_table[n];
    return 0;
}

#define POW10_19 10000000000000000000ULL /* largest power of ten in a limb */

/* Writes v in decimal, zero-padded to exactly width digits when width > 0;
 * returns the digit count. */
static size_t put_u64_dec(char *out, uint64_t v, size_t width)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

size_t cs_u256_to_dec(char out[CS_U256_DEC_MAX], const struct cs_u256 *a)
{
    if (cs_u256_fits_u64(a)) {
        size_t n = put_u64_dec(out, a->w[0], 0);
        out[n] = 0;
        return n;
    }
    /* 19-digit chunks, least significant first; 2^256 < 10^(19*5). */
    uint64_t chunk[5];
    int nchunk = 0;
    struct cs_u256 v = *a;
    while (!cs_u256_is_zero(&v)) {
        int na = nlimbs(v.w, 4);
        if (na == 1) {
            chunk[nchunk++] = v.w[0] % POW10_19;
            v.w[0] /= POW10_19;
            continue;
        }
        const uint64_t d = POW10_19;
        divmod_limbs(v.w, &chunk[nchunk++], v.w, na, &d, 1);
        for (int i = na; i < 4; i++) /* divmod_limbs wrote na limbs of quotient */
            v.w[i] = 0;
    }
    size_t n = put_u64_dec(out, chunk[nchunk - 1], 0);
    for (int i = nchunk - 2; i >= 0; i--)
        n += put_u64_dec(out + n, chunk[i], 19);
    out[n] = 0;
    return n;
}

/* acc = acc * m + add; returns 1 if the result left 256 bits (acc then garbage). */
static int mul_add_u64(struct cs_u256 *acc, uint64_t m, uint64_t add)
{
    uint64_t carry = add;
    for (int i = 0; i < 4; i++) {
        u128 t = (u128)acc->w[i] * m + carry;
        acc->w[i] = (uint64_t)t;
        carry = (uint64_t)(t >> 64);
    }
    return carry != 0;
}

/* Quotes at most 80 bytes of s in messages. */
#define QUOTE_LEN(len) ((int)((len) < 80 ? (len) : 80))

int cs_u256_from_dec(struct cs_u256 *out, const char *s, size_t len)
{
    if (len == 0) return cs_error(CS_EFORMAT, "empty number where decimal digits were expected");
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return cs_error(CS_EFORMAT, "'%.*s%s': byte %zu is not a decimal digit", QUOTE_LEN(len),
                            s, len > 80 ? "..." : "", i);
    size_t i = 0;
    while (i < len && s[i] == '0')
        i++;
    if (len - i > 78)
        return cs_error(CS_ERANGE, "'%.*s%s': more than 78 digits, above 2^256-1", QUOTE_LEN(len),
                        s, len > 80 ? "..." : "");
    struct cs_u256 acc = {{0, 0, 0, 0}};
    while (i < len) {
        size_t take = len - i < 19 ? len - i : 19;
        uint64_t chunk = 0;
        for (size_t k = 0; k < take; k++)
            chunk = chunk * 10 + (uint64_t)(s[i + k] - '0');
        if (mul_add_u64(&acc, pow10_table[take].w[0], chunk))
            return cs_error(CS_ERANGE, "'%.*s': above 2^256-1", QUOTE_LEN(len), s);
        i += take;
    }
    *out = acc;
    return 0;
}

static const char hexdigits[] = "0123456789abcdef";

size_t cs_u256_to_hex(char out[CS_U256_HEX_MAX], const struct cs_u256 *a)
{
    out[0] = '0';
    out[1] = 'x';
    int bits = cs_u256_bits(a);
    int ndig = bits == 0 ? 1 : (bits + 3) / 4;
    for (int k = 0; k < ndig; k++) {
        int pos = ndig - 1 - k; /* nibble index, 0 = least significant */
        out[2 + k] = hexdigits[(a->w[pos / 16] >> (4 * (pos % 16))) & 0xf];
    }
    out[2 + ndig] = 0;
    return (size_t)(2 + ndig);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int cs_u256_from_hex(struct cs_u256 *out, const char *s, size_t len)
{
    if (len < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return cs_error(CS_EFORMAT, "'%.*s%s': a hex quantity starts with 0x", QUOTE_LEN(len), s,
                        len > 80 ? "..." : "");
    if (len == 2) return cs_error(CS_EFORMAT, "'0x': no hex digits after 0x");
    for (size_t i = 2; i < len; i++)
        if (hexval(s[i]) < 0)
            return cs_error(CS_EFORMAT, "'%.*s%s': byte %zu is not a hex digit", QUOTE_LEN(len), s,
                            len > 80 ? "..." : "", i);
    size_t i = 2;
    while (i < len && s[i] == '0')
        i++;
    if (len - i > 64)
        return cs_error(CS_ERANGE, "'%.*s%s': more than 64 significant hex digits, above 2^256-1",
                        QUOTE_LEN(len), s, len > 80 ? "..." : "");
    struct cs_u256 r = {{0, 0, 0, 0}};
    for (size_t k = 0; i + k < len; k++) { /* k-th digit from the right */
        uint64_t d = (uint64_t)hexval(s[len - 1 - k]);
        r.w[k / 16] |= d << (4 * (k % 16));
    }
    *out = r;
    return 0;
}

void cs_u256_to_be(uint8_t out[32], const struct cs_u256 *a)
{
    for (int i = 0; i < 32; i++)
        out[31 - i] = (uint8_t)(a->w[i / 8] >> (8 * (i % 8)));
}

void cs_u256_from_be(struct cs_u256 *out, const uint8_t in[32])
{
    struct cs_u256 r = {{0, 0, 0, 0}};
    for (int i = 0; i < 32; i++)
        r.w[i / 8] |= (uint64_t)in[31 - i] << (8 * (i % 8));
    *out = r;
}

int cs_u256_from_be_var(struct cs_u256 *out, const uint8_t *in, size_t len)
{
    if (len > 32) return cs_error(CS_ERANGE, "big-endian integer of %zu bytes, more than 32", len);
    struct cs_u256 r = {{0, 0, 0, 0}};
    for (size_t i = 0; i < len; i++)
        r.w[i / 8] |= (uint64_t)in[len - 1 - i] << (8 * (i % 8));
    *out = r;
    return 0;
}
