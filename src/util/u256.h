/* u256.h — exact 256-bit unsigned integers: EVM amounts, balances and taint
 * shares, and their decimal, hex ("0x..." JSON-RPC quantity) and 32-byte
 * big-endian (RLP/ABI) forms.
 *
 * Invariants:
 *  - struct cs_u256 holds four 64-bit limbs, least significant first:
 *    value = w[0] + w[1]*2^64 + w[2]*2^128 + w[3]*2^192.  Every bit pattern
 *    is a valid value; zero is all limbs 0, so `= {0}` initialises to zero.
 *  - Nothing wraps silently.  Arithmetic that can leave [0, 2^256-1] returns
 *    CS_ERANGE (overflow, underflow) or CS_EUSAGE (division by zero) and then
 *    leaves every output untouched.  Arithmetic records no error message
 *    (so a caller may use a failed add as cheap control flow); the parsers do
 *    record one (cs_errmsg()).
 *  - Outputs may alias inputs (cs_u256_add(&x, &x, &y) is fine).
 *  - Nothing allocates; nothing reads past a given length.
 *
 * Cost: add, sub and compare are a few instructions.  Multiplication and
 * division only walk the significant limbs, so values that fit in 64 bits
 * (every satoshi amount, most wei amounts below 18.4 ETH) take the one-limb
 * path: muldiv of 64-bit operands is one 64x64->128 multiply and one
 * 128/64 divide.  Full-width muldiv is a 4x4-limb multiply and a 512/256
 * schoolbook (Knuth algorithm D) division. */
#ifndef CS_UTIL_U256_H
#define CS_UTIL_U256_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct cs_u256 {
    uint64_t w[4]; /* little-endian limbs: w[0] is the least significant */
};

/* Buffer sizes, NUL included: 2^256-1 has 78 decimal digits; "0x" + 64 hex digits. */
#define CS_U256_DEC_MAX 79
#define CS_U256_HEX_MAX 67
/* The largest power of ten below 2^256 is 10^77. */
#define CS_U256_POW10_MAX 77

static inline struct cs_u256 cs_u256_from_u64(uint64_t v)
{
    struct cs_u256 r = {{v, 0, 0, 0}};
    return r;
}

/* 2^256-1. */
static inline struct cs_u256 cs_u256_max(void)
{
    struct cs_u256 r = {{UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX}};
    return r;
}

static inline int cs_u256_is_zero(const struct cs_u256 *a)
{
    return (a->w[0] | a->w[1] | a->w[2] | a->w[3]) == 0;
}

/* 1 if the value is below 2^64 (then it is a->w[0]). */
static inline int cs_u256_fits_u64(const struct cs_u256 *a)
{
    return (a->w[1] | a->w[2] | a->w[3]) == 0;
}

/* *out = a if a < 2^64. Returns 0, or CS_ERANGE (no message) leaving *out unchanged. */
static inline int cs_u256_to_u64(uint64_t *out, const struct cs_u256 *a)
{
    if (!cs_u256_fits_u64(a)) return CS_ERANGE;
    *out = a->w[0];
    return 0;
}

/* -1, 0 or 1 as a <, ==, > b. */
static inline int cs_u256_cmp(const struct cs_u256 *a, const struct cs_u256 *b)
{
    for (int i = 3; i >= 0; i--)
        if (a->w[i] != b->w[i]) return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

/* Number of significant bits (0 for zero, 256 for 2^255 and above). */
int cs_u256_bits(const struct cs_u256 *a);

/* out = a + b. Returns 0, or CS_ERANGE if the sum exceeds 2^256-1. */
int cs_u256_add(struct cs_u256 *out, const struct cs_u256 *a,
                const struct cs_u256 *b) CS_MUST_CHECK;
/* out = a - b. Returns 0, or CS_ERANGE if b > a. */
int cs_u256_sub(struct cs_u256 *out, const struct cs_u256 *a,
                const struct cs_u256 *b) CS_MUST_CHECK;
/* out = a * b. Returns 0, or CS_ERANGE if the product exceeds 2^256-1. */
int cs_u256_mul(struct cs_u256 *out, const struct cs_u256 *a,
                const struct cs_u256 *b) CS_MUST_CHECK;

/* out = floor(a * b / c), the product kept exact in 512 bits (so a haircut
 * share value * part / whole never overflows in the middle).  Returns 0,
 * CS_EUSAGE if c is 0, or CS_ERANGE if the quotient exceeds 2^256-1 (which
 * happens exactly when floor(a*b / 2^256) >= c). */
int cs_u256_muldiv(struct cs_u256 *out, const struct cs_u256 *a, const struct cs_u256 *b,
                   const struct cs_u256 *c) CS_MUST_CHECK;

/* quot = floor(a / b), rem = a mod b; either output may be NULL.  Returns 0, or
 * CS_EUSAGE if b is 0. */
int cs_u256_divmod(struct cs_u256 *quot, struct cs_u256 *rem, const struct cs_u256 *a,
                   const struct cs_u256 *b) CS_MUST_CHECK;
/* The same with a 64-bit divisor (cheaper: one 128/64 divide per limb);
 * either output may be NULL. */
int cs_u256_divmod_u64(struct cs_u256 *quot, uint64_t *rem, const struct cs_u256 *a,
                       uint64_t b) CS_MUST_CHECK;

/* out = 10^n. Returns 0, or CS_ERANGE if n > CS_U256_POW10_MAX. Table lookup. */
int cs_u256_pow10(struct cs_u256 *out, unsigned n) CS_MUST_CHECK;

/* Decimal digits of a, no sign, no leading zeros ("0" for zero), NUL
 * terminated.  Returns the length (1..78).  Cost: one pass per 19 digits. */
size_t cs_u256_to_dec(char out[CS_U256_DEC_MAX], const struct cs_u256 *a);
/* Parses exactly len bytes of ASCII decimal digits (leading zeros allowed).
 * Rejects, with CS_EFORMAT and a message quoting the text: an empty string,
 * any other byte (sign, space, '.', 'e'); with CS_ERANGE: a value above
 * 2^256-1.  *out is unchanged on error. */
int cs_u256_from_dec(struct cs_u256 *out, const char *s, size_t len) CS_MUST_CHECK;

/* Ethereum JSON-RPC quantity: "0x" then lower-case hex without leading zeros
 * ("0x0" for zero), NUL terminated.  Returns the length (3..66). */
size_t cs_u256_to_hex(char out[CS_U256_HEX_MAX], const struct cs_u256 *a);
/* Parses len bytes of "0x" or "0X" followed by at least one hex digit of
 * either case.  Leading zeros are accepted (some nodes send them although the
 * JSON-RPC spec forbids it), so "0x0001" is 1 and a string may be longer than
 * 66 bytes if the extra digits are zeros.  CS_EFORMAT for a missing prefix,
 * no digits or a non-hex byte, CS_ERANGE above 2^256-1; *out unchanged then. */
int cs_u256_from_hex(struct cs_u256 *out, const char *s, size_t len) CS_MUST_CHECK;

/* 32-byte big-endian (ABI word, uint256 storage slot). */
void cs_u256_to_be(uint8_t out[32], const struct cs_u256 *a);
void cs_u256_from_be(struct cs_u256 *out, const uint8_t in[32]);
/* Big-endian of any length 0..32, as RLP writes integers (0 bytes = zero).
 * Returns 0, or CS_ERANGE (with a message) if len > 32. Leading zero bytes
 * are accepted here; RLP canonical-form checks belong to the RLP decoder. */
int cs_u256_from_be_var(struct cs_u256 *out, const uint8_t *in, size_t len) CS_MUST_CHECK;

#endif
