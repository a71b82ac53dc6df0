/* policy_wide.c — the 256-bit instance of the taint kernel (policy.h, "Wide
 * form"): cs_taint_amounts_w, cs_taint_runs_w and cs_taint_fifo_*_w, for wei
 * and token amounts.  The algorithms are policy_kernel_int.h's, the same
 * copy the 64-bit kernel is built from; this file only says what the amount
 * operations mean on struct cs_u256. */
#include "trace/policy.h"
#include "util/u256.h"

/* a + (b ^ flip) + carry modulo 2^256, limb by limb: add is (0, 0), subtract
 * is (~0, 1), i.e. a + ~b + 1.  Modular like uint64_t's + and -, which is
 * what the kernel template's A_ADD and A_SUB promise. */
static inline struct cs_u256 w_addc(struct cs_u256 a, struct cs_u256 b, uint64_t flip,
                                    unsigned carry)
{
    __extension__ typedef unsigned __int128 u128;
    struct cs_u256 r;
    u128 acc = carry;
    for (int i = 0; i < 4; i++) {
        acc += (u128)a.w[i] + (b.w[i] ^ flip);
        r.w[i] = (uint64_t)acc;
        acc >>= 64;
    }
    return r;
}

static inline int w_add_ov(struct cs_u256 *out, struct cs_u256 a, struct cs_u256 b)
{
    return cs_u256_add(out, &a, &b) != 0;
}

static inline int w_is0(struct cs_u256 a)
{
    return cs_u256_is_zero(&a);
}

static inline int w_lt(struct cs_u256 a, struct cs_u256 b)
{
    return cs_u256_cmp(&a, &b) < 0;
}

static inline int w_eq(struct cs_u256 a, struct cs_u256 b)
{
    return ((a.w[0] ^ b.w[0]) | (a.w[1] ^ b.w[1]) | (a.w[2] ^ b.w[2]) | (a.w[3] ^ b.w[3])) == 0;
}

/* floor(a b / c); the kernel calls it only with c > 0 and a <= c or b <= c,
 * so cs_u256_muldiv cannot fail (quotient <= max(a, b)). */
static inline struct cs_u256 w_muldiv(struct cs_u256 a, struct cs_u256 b, struct cs_u256 c)
{
    struct cs_u256 r;
    int rc = cs_u256_muldiv(&r, &a, &b, &c);
    if (rc) BUG("taint: u256 muldiv failed (%d)", rc);
    return r;
}

/* Decimal text of an amount for messages: w_dec(a).s lives until the end of
 * the full expression (C11 6.2.4p8), i.e. through the cs_error() call. */
struct w_dec_buf {
    char s[CS_U256_DEC_MAX];
};
static struct w_dec_buf w_dec(struct cs_u256 a)
{
    struct w_dec_buf b;
    cs_u256_to_dec(b.s, &a);
    return b;
}

#define KN(name) name##_w
#define AMT struct cs_u256
#define RUN struct cs_run_w
#define SPAN struct cs_span_w
#define A_NAME "uint256"
#define A_FMT "%s"
#define A_ARG(a) (w_dec(a).s)
#define A_ZERO ((struct cs_u256){{0, 0, 0, 0}})
#define A_IS0(a) w_is0(a)
#define A_EQ(a, b) w_eq((a), (b))
#define A_LT(a, b) w_lt((a), (b))
#define A_ADD(a, b) w_addc((a), (b), 0, 0)
#define A_SUB(a, b) w_addc((a), (b), ~(uint64_t)0, 1)
#define A_ADD_OV(dst, a, b) w_add_ov((dst), (a), (b))
#define A_MULDIV(a, b, c) w_muldiv((a), (b), (c))
#define A_IDX(a) ((size_t)(a).w[0])
#define A_OF_IDX(k) cs_u256_from_u64((uint64_t)(k))
#include "trace/policy_kernel_int.h"
