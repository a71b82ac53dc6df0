/* policy.c — per-transaction taint kernel (see policy.h for the rules): the
 * names, the shared run-buffer bound, and the 64-bit (satoshi) instance of
 * the kernel, whose one copy is policy_kernel_int.h; policy_wide.c is the
 * 256-bit (wei) instance.
 *
 * Shape of the kernel: one validation pass over the inputs and outputs, then a
 * policy-specific pass.  The ordered policies (FIFO, LIFO, TIHO) are one
 * two-pointer merge: "sources" are input runs taken in policy order (shrunk by
 * the pro-rata fee if asked) and "sinks" are the outputs in policy order plus
 * the fee; pour() moves amounts from the current source into the current sink.
 * Haircut is computed from totals only (V, T, u_j, F), so the amount form and
 * the run form share one plan and cannot disagree. */
#include <string.h>

#include "trace/policy.h"

__extension__ typedef unsigned __int128 cs_u128;

/* floor(a * b / c) for c > 0 and a result that fits (callers guarantee a <= c
 * or b <= c).  Most products fit in 64 bits; only those take no 128-bit
 * division, which is a library call on x86-64. */
static inline uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t p;
    if (!__builtin_mul_overflow(a, b, &p)) return p / c;
    return (uint64_t)(((cs_u128)a * b) / c);
}

static int ascii_ieq(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z') x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (unsigned char)(y - 'A' + 'a');
        if (x != y) return 0;
        if (x == 0) return 1;
    }
}

static const char *const policy_names[] = {"poison", "haircut", "fifo", "lifo", "tiho"};

int cs_policy_parse(enum cs_policy *out, const char *name)
{
    if (name)
        for (size_t i = 0; i < sizeof policy_names / sizeof policy_names[0]; i++)
            if (ascii_ieq(name, policy_names[i])) {
                *out = (enum cs_policy)i;
                return 0;
            }
    return cs_error(CS_EUSAGE, "unknown taint policy '%s' (poison, haircut, fifo, lifo, tiho)",
                    name ? name : "(null)");
}

const char *cs_policy_name(enum cs_policy policy)
{
    if ((unsigned)policy < sizeof policy_names / sizeof policy_names[0])
        return policy_names[policy];
    return "unknown";
}

int cs_feeconv_parse(enum cs_feeconv *out, const char *name)
{
    if (name && (ascii_ieq(name, "fee-last") || ascii_ieq(name, "last"))) {
        *out = CS_FEE_LAST;
        return 0;
    }
    if (name && (ascii_ieq(name, "fee-pro-rata") || ascii_ieq(name, "pro-rata") ||
                 ascii_ieq(name, "prorata"))) {
        *out = CS_FEE_PRORATA;
        return 0;
    }
    return cs_error(CS_EUSAGE, "unknown fee convention '%s' (fee-last, fee-pro-rata)",
                    name ? name : "(null)");
}

const char *cs_feeconv_name(enum cs_feeconv feeconv)
{
    switch (feeconv) {
    case CS_FEE_LAST:
        return "fee-last";
    case CS_FEE_PRORATA:
        return "fee-pro-rata";
    }
    return "unknown";
}

size_t cs_taint_runs_bound(enum cs_policy policy, size_t n_in_runs, size_t n_out)
{
    size_t a, b;
    switch (policy) {
    case CS_POLICY_POISON:
        return n_out < SIZE_MAX ? n_out + 1 : SIZE_MAX;
    case CS_POLICY_HAIRCUT:
        if (__builtin_add_overflow(n_out, (size_t)1, &a) ||
            __builtin_add_overflow(n_in_runs, (size_t)1, &b) || __builtin_mul_overflow(a, b, &a) ||
            __builtin_add_overflow(a, n_in_runs, &a))
            return SIZE_MAX;
        return a;
    case CS_POLICY_FIFO:
    case CS_POLICY_LIFO:
    case CS_POLICY_TIHO:
        if (__builtin_mul_overflow(n_in_runs, (size_t)2, &a) ||
            __builtin_add_overflow(a, n_out, &a) || __builtin_add_overflow(a, (size_t)1, &a))
            return SIZE_MAX;
        if (policy == CS_POLICY_TIHO && __builtin_add_overflow(a, n_out, &a)) return SIZE_MAX;
        return a;
    }
    return SIZE_MAX;
}

/* ---- the 64-bit instance ---------------------------------------------------
 * Every operation is the plain operator on uint64_t, so the compiled kernel
 * is the one written directly on uint64_t. */
#define KN(name) name
#define AMT uint64_t
#define RUN struct cs_run
#define SPAN struct cs_span
#define A_NAME "uint64"
#define A_FMT "%llu"
#define A_ARG(a) ((unsigned long long)(a))
#define A_ZERO ((uint64_t)0)
#define A_IS0(a) ((a) == 0)
#define A_EQ(a, b) ((a) == (b))
#define A_LT(a, b) ((a) < (b))
#define A_ADD(a, b) ((a) + (b))
#define A_SUB(a, b) ((a) - (b))
#define A_ADD_OV(dst, a, b) __builtin_add_overflow((a), (b), (dst))
#define A_MULDIV(a, b, c) muldiv((a), (b), (c))
#define A_IDX(a) ((size_t)(a))
#define A_OF_IDX(k) ((uint64_t)(k))
#include "trace/policy_kernel_int.h"
