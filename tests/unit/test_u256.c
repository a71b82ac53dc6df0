/* test_u256.c — 256-bit integers: edge values worked by hand, then 100,000
 * vectors computed by Python's integers.
 *
 * The vectors come from tests/unit/u256_vectors.py (fixed seed), run through
 * popen from the repository root, which is where `make test` runs unit
 * tests.  A missing python3 or script is a failure, not a skip: without the
 * reference the wide arithmetic would go unchecked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "util/codec.h"
#include "util/u256.h"

#define VECTOR_SCRIPT "tests/unit/u256_vectors.py"
#define VECTOR_COUNT 100000

static struct cs_u256 U(uint64_t w3, uint64_t w2, uint64_t w1, uint64_t w0) {
    struct cs_u256 r = {{w0, w1, w2, w3}};
    return r;
}

static struct cs_u256
from_hex(const char *s)
{
    struct cs_u256 r;
    int rc = cs_u256_from_hex(&r, s, strlen(s));
    if (rc) fail_msg("from_hex(%s): %s", s, cs_errmsg());
    return r;
}

static struct cs_u256 from_dec(const char *s)
{
    struct cs_u256 r;
    int rc = cs_u256_from_dec(&r, s, strlen(s));
    if (rc) fail_msg("from_dec(%s): %s", s, cs_errmsg());
    return r;
}

static void assert_u256_equal(const struct cs_u256 *got, const struct cs_u256 *want)
{
    if (cs_u256_cmp(got, want) != 0) {
        char g[CS_U256_HEX_MAX], w[CS_U256_HEX_MAX];
        cs_u256_to_hex(g, got);
        cs_u256_to_hex(w, want);
        fail_msg("got %s, want %s", g, w);
    }
}

static void assert_dec(const struct cs_u256 *a, const char *want)
{
    char buf[CS_U256_DEC_MAX];
    size_t n = cs_u256_to_dec(buf, a);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

static void assert_hex(const struct cs_u256 *a, const char *want)
{
    char buf[CS_U256_HEX_MAX];
    size_t n = cs_u256_to_hex(buf, a);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

#define MAX64 UINT64_MAX
#define TWO64 U(0, 0, 1, 0)
#define TWO128 U(0, 1, 0, 0)

static void test_u64_and_bits(void **state)
{
    (void)state;
    struct cs_u256 z = {{0}}, one = cs_u256_from_u64(1), m64 = cs_u256_from_u64(MAX64);
    struct cs_u256 t64 = TWO64, max = cs_u256_max();
    uint64_t v = 7;
    assert_true(cs_u256_is_zero(&z));
    assert_false(cs_u256_is_zero(&one));
    assert_int_equal(cs_u256_to_u64(&v, &m64), 0);
    assert_true(v == MAX64);
    v = 7;
    assert_int_equal(cs_u256_to_u64(&v, &t64), CS_ERANGE);
    assert_int_equal(v, 7); /* untouched on error */
    assert_int_equal(cs_u256_bits(&z), 0);
    assert_int_equal(cs_u256_bits(&one), 1);
    assert_int_equal(cs_u256_bits(&m64), 64);
    assert_int_equal(cs_u256_bits(&t64), 65);
    assert_int_equal(cs_u256_bits(&max), 256);
    assert_int_equal(cs_u256_cmp(&m64, &t64), -1);
    assert_int_equal(cs_u256_cmp(&t64, &m64), 1);
    assert_int_equal(cs_u256_cmp(&max, &max), 0);
}

static void test_add_sub(void **state)
{
    (void)state;
    struct cs_u256 one = cs_u256_from_u64(1), m64 = cs_u256_from_u64(MAX64), max = cs_u256_max();
    struct cs_u256 r, keep = U(9, 9, 9, 9), t64 = TWO64, t128 = TWO128;
    /* carry out of limb 0, and through limbs 1 and 2 */
    assert_int_equal(cs_u256_add(&r, &m64, &one), 0);
    assert_u256_equal(&r, &t64);
    struct cs_u256 m128 = U(0, 0, MAX64, MAX64);
    assert_int_equal(cs_u256_add(&r, &m128, &one), 0);
    assert_u256_equal(&r, &t128);
    /* overflow detected, output untouched */
    r = keep;
    assert_int_equal(cs_u256_add(&r, &max, &one), CS_ERANGE);
    assert_u256_equal(&r, &keep);
    assert_int_equal(cs_u256_add(&r, &max, &max), CS_ERANGE);
    struct cs_u256 top = U(1ULL << 63, 0, 0, 0);
    assert_int_equal(cs_u256_add(&r, &top, &top), CS_ERANGE);
    struct cs_u256 max_minus_1 = U(MAX64, MAX64, MAX64, MAX64 - 1);
    assert_int_equal(cs_u256_add(&r, &max_minus_1, &one), 0);
    assert_u256_equal(&r, &max);
    /* borrow across limbs */
    assert_int_equal(cs_u256_sub(&r, &t128, &one), 0);
    assert_u256_equal(&r, &m128);
    assert_int_equal(cs_u256_sub(&r, &max, &max), 0);
    assert_true(cs_u256_is_zero(&r));
    /* underflow detected, output untouched */
    struct cs_u256 z = {{0}};
    r = keep;
    assert_int_equal(cs_u256_sub(&r, &z, &one), CS_ERANGE);
    assert_u256_equal(&r, &keep);
    assert_int_equal(cs_u256_sub(&r, &m64, &t64), CS_ERANGE);
    /* aliasing: x = x + x */
    struct cs_u256 x = t64;
    assert_int_equal(cs_u256_add(&x, &x, &x), 0);
    struct cs_u256 t65 = U(0, 0, 2, 0);
    assert_u256_equal(&x, &t65);
}

static void test_mul(void **state)
{
    (void)state;
    struct cs_u256 r, m64 = cs_u256_from_u64(MAX64), t128 = TWO128, max = cs_u256_max();
    /* (2^64-1)^2 = 2^128 - 2^65 + 1 */
    assert_int_equal(cs_u256_mul(&r, &m64, &m64), 0);
    struct cs_u256 sq = U(0, 0, MAX64 - 1, 1);
    assert_u256_equal(&r, &sq);
    /* 2^128 * 2^128 = 2^256: overflow */
    assert_int_equal(cs_u256_mul(&r, &t128, &t128), CS_ERANGE);
    /* 2^128 * (2^128 - 1) = 2^256 - 2^128 fits */
    struct cs_u256 m128 = U(0, 0, MAX64, MAX64), want = U(MAX64, MAX64, 0, 0);
    assert_int_equal(cs_u256_mul(&r, &t128, &m128), 0);
    assert_u256_equal(&r, &want);
    struct cs_u256 two = cs_u256_from_u64(2), one = cs_u256_from_u64(1), z = {{0}};
    assert_int_equal(cs_u256_mul(&r, &max, &two), CS_ERANGE);
    assert_int_equal(cs_u256_mul(&r, &max, &one), 0);
    assert_u256_equal(&r, &max);
    assert_int_equal(cs_u256_mul(&r, &max, &z), 0);
    assert_true(cs_u256_is_zero(&r));
}

static void test_muldiv(void **state)
{
    (void)state;
    struct cs_u256 r, keep = U(5, 5, 5, 5);
    struct cs_u256 max = cs_u256_max(), one = cs_u256_from_u64(1), z = {{0}};
    /* the haircut case: 7 * 10 / 3 = 23.33 -> 23 (floor) */
    struct cs_u256 a = cs_u256_from_u64(7), b = cs_u256_from_u64(10), c = cs_u256_from_u64(3);
    assert_int_equal(cs_u256_muldiv(&r, &a, &b, &c), 0);
    assert_int_equal(r.w[0], 23);
    /* 64-bit operands with a product above 2^64 and a quotient above 2^64:
     * (2^64-1)^2 / 1 */
    struct cs_u256 m64 = cs_u256_from_u64(MAX64), sq = U(0, 0, MAX64 - 1, 1);
    assert_int_equal(cs_u256_muldiv(&r, &m64, &m64, &one), 0);
    assert_u256_equal(&r, &sq);
    /* (2^64-1)^2 / (2^64-1) = 2^64-1 exactly */
    assert_int_equal(cs_u256_muldiv(&r, &m64, &m64, &m64), 0);
    assert_u256_equal(&r, &m64);
    /* the 512-bit middle: (2^256-1)*(2^256-1)/(2^256-1) = 2^256-1 */
    assert_int_equal(cs_u256_muldiv(&r, &max, &max, &max), 0);
    assert_u256_equal(&r, &max);
    /* (2^256-1)*(2^256-2)/(2^256-1) = 2^256-2 */
    struct cs_u256 max1 = U(MAX64, MAX64, MAX64, MAX64 - 1);
    assert_int_equal(cs_u256_muldiv(&r, &max, &max1, &max), 0);
    assert_u256_equal(&r, &max1);
    /* (2^256-1)^2 / 2^255 = 2^257 - 4 + 2^-255: overflow, output untouched */
    struct cs_u256 t255 = U(1ULL << 63, 0, 0, 0);
    r = keep;
    assert_int_equal(cs_u256_muldiv(&r, &max, &max, &t255), CS_ERANGE);
    assert_u256_equal(&r, &keep);
    /* at the edge: (2^256-1)(2^128+1) / (2^128+1) = 2^256-1 fits ... */
    struct cs_u256 b2 = U(0, 1, 0, 1);
    assert_int_equal(cs_u256_muldiv(&r, &max, &b2, &b2), 0);
    assert_u256_equal(&r, &max);
    /* ... and divided by 2^128 instead it is 2^256-1 + floor((2^256-1)/2^128): overflow */
    struct cs_u256 c2 = U(0, 1, 0, 0);
    assert_int_equal(cs_u256_muldiv(&r, &max, &b2, &c2), CS_ERANGE);
    /* 10^30 wei * 3 / 7 = floor(428571428571428571428571428571.43) */
    struct cs_u256 e30 = from_dec("1000000000000000000000000000000"), three = cs_u256_from_u64(3),
                   seven = cs_u256_from_u64(7);
    assert_int_equal(cs_u256_muldiv(&r, &e30, &three, &seven), 0);
    assert_dec(&r, "428571428571428571428571428571");
    /* zero operand and zero divisor */
    assert_int_equal(cs_u256_muldiv(&r, &z, &max, &one), 0);
    assert_true(cs_u256_is_zero(&r));
    r = keep;
    assert_int_equal(cs_u256_muldiv(&r, &one, &one, &z), CS_EUSAGE);
    assert_u256_equal(&r, &keep);
    /* a divisor larger than the product */
    assert_int_equal(cs_u256_muldiv(&r, &a, &b, &max), 0);
    assert_true(cs_u256_is_zero(&r));
}

static void test_divmod(void **state)
{
    (void)state;
    struct cs_u256 q, r, max = cs_u256_max(), z = {{0}};
    struct cs_u256 ten19 = cs_u256_from_u64(10000000000000000000ULL);
    assert_int_equal(cs_u256_divmod(&q, &r, &max, &ten19), 0);
    /* 2^256-1 = 11579208923731619542357098500868790785326998466564056403945 * 10^19
     *           + 7584007913129639935 */
    assert_dec(&q, "11579208923731619542357098500868790785326998466564056403945");
    assert_dec(&r, "7584007913129639935");
    uint64_t rem = 0;
    assert_int_equal(cs_u256_divmod_u64(&q, &rem, &max, 10), 0);
    assert_true(rem == 5);
    assert_int_equal(cs_u256_divmod(&q, &r, &max, &z), CS_EUSAGE);
    assert_int_equal(cs_u256_divmod_u64(&q, &rem, &max, 0), CS_EUSAGE);
    /* dividend below divisor: quotient 0, remainder the dividend */
    struct cs_u256 t128 = TWO128, m128 = U(0, 0, MAX64, MAX64);
    assert_int_equal(cs_u256_divmod(&q, &r, &m128, &t128), 0);
    assert_true(cs_u256_is_zero(&q));
    assert_u256_equal(&r, &m128);
    /* NULL outputs */
    assert_int_equal(cs_u256_divmod(NULL, &r, &max, &t128), 0);
    assert_u256_equal(&r, &m128);
}

static void test_pow10(void **state)
{
    (void)state;
    struct cs_u256 p;
    assert_int_equal(cs_u256_pow10(&p, 0), 0);
    assert_dec(&p, "1");
    assert_int_equal(cs_u256_pow10(&p, 18), 0);
    assert_dec(&p, "1000000000000000000");
    assert_int_equal(cs_u256_pow10(&p, 77), 0);
    assert_int_equal(cs_u256_bits(&p), 256);
    char want[79];
    want[0] = '1';
    memset(want + 1, '0', 77);
    want[78] = 0;
    assert_dec(&p, want);
    assert_int_equal(cs_u256_pow10(&p, 78), CS_ERANGE);
}

static void test_decimal(void **state)
{
    (void)state;
    struct cs_u256 z = {{0}}, max = cs_u256_max(), t64 = TWO64, t128 = TWO128, r;
    struct cs_u256 m64 = cs_u256_from_u64(MAX64);
    assert_dec(&z, "0");
    assert_dec(&m64, "18446744073709551615");
    assert_dec(&t64, "18446744073709551616");
    assert_dec(&t128, "340282366920938463463374607431768211456");
    const char *maxdec =
        "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    assert_dec(&max, maxdec);
    r = from_dec(maxdec);
    assert_u256_equal(&r, &max);
    r = from_dec("000000000000000000000000000000000000000000000000000000000000000000000000000000"
                 "00018446744073709551616");
    assert_u256_equal(&r, &t64);
    r = from_dec("0");
    assert_true(cs_u256_is_zero(&r));
    /* errors: *out untouched, message set */
    struct cs_u256 keep = U(1, 2, 3, 4);
    r = keep;
    const char *bad[] = {"", "-1", "+1", " 1", "1 ", "1.0", "1e5", "0x10", "12a"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cs_u256_from_dec(&r, bad[i], strlen(bad[i])), CS_EFORMAT);
        assert_u256_equal(&r, &keep);
    }
    assert_int_equal(cs_u256_from_dec(&r, "12a", 3), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "'12a': byte 2 is not a decimal digit");
    /* 2^256 and 10^78 overflow */
    const char *two256 =
        "115792089237316195423570985008687907853269984665640564039457584007913129639936";
    assert_int_equal(cs_u256_from_dec(&r, two256, strlen(two256)), CS_ERANGE);
    char e78[80] = "1";
    memset(e78 + 1, '0', 78);
    e78[79] = 0;
    assert_int_equal(cs_u256_from_dec(&r, e78, strlen(e78)), CS_ERANGE);
    assert_u256_equal(&r, &keep);
    /* length is honoured: "123456" read as 3 bytes */
    assert_int_equal(cs_u256_from_dec(&r, "123456", 3), 0);
    assert_int_equal(r.w[0], 123);
}

static void test_hex(void **state)
{
    (void)state;
    struct cs_u256 z = {{0}}, max = cs_u256_max(), t64 = TWO64, r, keep = U(1, 2, 3, 4);
    assert_hex(&z, "0x0");
    assert_hex(&t64, "0x10000000000000000");
    assert_hex(&max, "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    r = from_hex("0x0");
    assert_true(cs_u256_is_zero(&r));
    r = from_hex("0X00010000000000000000");
    assert_u256_equal(&r, &t64);
    r = from_hex("0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFffffffffffffffffffffffffffffffff");
    assert_u256_equal(&r, &max);
    /* leading zeros beyond 64 digits are still the same value */
    r = from_hex("0x00000ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    assert_u256_equal(&r, &max);
    struct cs_u256 wei = from_hex("0xde0b6b3a7640000"); /* 1 ether */
    assert_dec(&wei, "1000000000000000000");
    r = keep;
    const char *bad[] = {"", "0", "0x", "x10", "10", "0x1g", " 0x1", "0x1 ", "0x-1", "00x1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = cs_u256_from_hex(&r, bad[i], strlen(bad[i]));
        if (rc != CS_EFORMAT) fail_msg("'%s': rc %d, want CS_EFORMAT", bad[i], rc);
        assert_u256_equal(&r, &keep);
    }
    assert_int_equal(cs_u256_from_hex(&r, "0x", 2), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "'0x': no hex digits after 0x");
    const char *over = "0x10000000000000000000000000000000000000000000000000000000000000000";
    assert_int_equal(cs_u256_from_hex(&r, over, strlen(over)), CS_ERANGE);
    assert_u256_equal(&r, &keep);
}

static void test_bytes(void **state)
{
    (void)state;
    uint8_t be[32], want[32] = {0};
    struct cs_u256 t64 = TWO64, r, max = cs_u256_max();
    cs_u256_to_be(be, &t64);
    want[23] = 1; /* 2^64: byte 8 from the right */
    assert_memory_equal(be, want, 32);
    cs_u256_from_be(&r, want);
    assert_u256_equal(&r, &t64);
    memset(want, 0xff, 32);
    cs_u256_from_be(&r, want);
    assert_u256_equal(&r, &max);
    /* RLP-style minimal big-endian: 0x0400 = 1024, empty = 0 */
    const uint8_t rlp[2] = {0x04, 0x00};
    assert_int_equal(cs_u256_from_be_var(&r, rlp, 2), 0);
    assert_int_equal(r.w[0], 1024);
    assert_int_equal(cs_u256_from_be_var(&r, rlp, 0), 0);
    assert_true(cs_u256_is_zero(&r));
    uint8_t b33[33] = {0};
    assert_int_equal(cs_u256_from_be_var(&r, b33, 33), CS_ERANGE);
    assert_int_equal(cs_u256_from_be_var(&r, want, 32), 0);
    assert_u256_equal(&r, &max);
}

/* --- the Python reference vectors --- */

#define MAX_FIELDS 6

/* Splits line at spaces into at most MAX_FIELDS fields; returns the count. */
static int split(char *line, char *field[MAX_FIELDS])
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
        if (n == MAX_FIELDS) return -1;
        field[n++] = t;
    }
    return n;
}

struct vec_ctx {
    long lineno;
    const char *line;
};

static void vec_fail(const struct vec_ctx *v, const char *what)
{
    fail_msg("%s line %ld: %s: %s", VECTOR_SCRIPT, v->lineno, what, v->line);
}

static void check_value(const struct vec_ctx *v, int rc, const struct cs_u256 *got,
                        const char *want, const char *err_word, int err_code)
{
    if (strcmp(want, err_word) == 0) {
        if (rc != err_code) vec_fail(v, "expected an error");
        return;
    }
    if (rc != 0) vec_fail(v, "unexpected error");
    struct cs_u256 w = from_hex(want);
    if (cs_u256_cmp(got, &w) != 0) vec_fail(v, "wrong value");
}

static void test_python_vectors(void **state)
{
    (void)state;
    FILE *p = popen("python3 " VECTOR_SCRIPT, "r");
    if (!p) fail_msg("cannot run python3 " VECTOR_SCRIPT);
    char buf[1024], copy[1024];
    long count = 0, end_count = -1;
    long per_op[9] = {0};
    const char *ops[9] = {"add", "sub", "mul", "muldiv", "divmod", "cmp", "dec", "hex", "be"};
    struct vec_ctx v = {0, copy};
    while (fgets(buf, sizeof buf, p)) {
        v.lineno++;
        memcpy(copy, buf, sizeof copy);
        copy[strcspn(copy, "\n")] = 0;
        char *f[MAX_FIELDS];
        int nf = split(buf, f);
        if (nf < 2) vec_fail(&v, "malformed line");
        if (strcmp(f[0], "end") == 0) {
            end_count = atol(f[1]);
            continue;
        }
        if (end_count >= 0) vec_fail(&v, "line after end");
        int op = -1;
        for (int i = 0; i < 9; i++)
            if (strcmp(f[0], ops[i]) == 0) op = i;
        static const int arity[9] = {4, 4, 4, 5, 5, 4, 3, 3, 3};
        if (op < 0 || (nf != arity[op] && !(op == 4 && nf == 4))) vec_fail(&v, "malformed line");
        per_op[op]++;
        count++;
        struct cs_u256 a = from_hex(f[1]), r, q;
        switch (op) {
        case 0: {
            struct cs_u256 b = from_hex(f[2]);
            check_value(&v, cs_u256_add(&r, &a, &b), &r, f[3], "overflow", CS_ERANGE);
            break;
        }
        case 1: {
            struct cs_u256 b = from_hex(f[2]);
            check_value(&v, cs_u256_sub(&r, &a, &b), &r, f[3], "underflow", CS_ERANGE);
            break;
        }
        case 2: {
            struct cs_u256 b = from_hex(f[2]);
            check_value(&v, cs_u256_mul(&r, &a, &b), &r, f[3], "overflow", CS_ERANGE);
            break;
        }
        case 3: {
            struct cs_u256 b = from_hex(f[2]), c = from_hex(f[3]);
            int rc = cs_u256_muldiv(&r, &a, &b, &c);
            if (strcmp(f[4], "divzero") == 0)
                check_value(&v, rc, &r, f[4], "divzero", CS_EUSAGE);
            else
                check_value(&v, rc, &r, f[4], "overflow", CS_ERANGE);
            break;
        }
        case 4: {
            struct cs_u256 b = from_hex(f[2]);
            int rc = cs_u256_divmod(&q, &r, &a, &b);
            if (nf == 4) {
                if (strcmp(f[3], "divzero") != 0) vec_fail(&v, "malformed line");
                if (rc != CS_EUSAGE) vec_fail(&v, "expected CS_EUSAGE");
                break;
            }
            check_value(&v, rc, &q, f[3], "", 0);
            check_value(&v, rc, &r, f[4], "", 0);
            if (cs_u256_fits_u64(&b)) { /* the one-limb divisor path agrees */
                uint64_t rem;
                struct cs_u256 q64, r64;
                if (cs_u256_divmod_u64(&q64, &rem, &a, b.w[0])) vec_fail(&v, "divmod_u64");
                r64 = cs_u256_from_u64(rem);
                check_value(&v, 0, &q64, f[3], "", 0);
                check_value(&v, 0, &r64, f[4], "", 0);
            }
            break;
        }
        case 5: {
            struct cs_u256 b = from_hex(f[2]);
            if (cs_u256_cmp(&a, &b) != atoi(f[3])) vec_fail(&v, "wrong comparison");
            break;
        }
        case 6: {
            char d[CS_U256_DEC_MAX], h[CS_U256_HEX_MAX];
            cs_u256_to_dec(d, &a);
            if (strcmp(d, f[2]) != 0) vec_fail(&v, "wrong decimal");
            r = from_dec(f[2]);
            if (cs_u256_cmp(&r, &a) != 0) vec_fail(&v, "decimal does not parse back");
            cs_u256_to_hex(h, &a);
            if (strcmp(h, f[1]) != 0) vec_fail(&v, "hex does not round-trip");
            break;
        }
        case 7: {
            char h[CS_U256_HEX_MAX];
            struct cs_u256 want = from_hex(f[2]);
            if (cs_u256_cmp(&a, &want) != 0) vec_fail(&v, "wrong hex value");
            cs_u256_to_hex(h, &a);
            if (strcmp(h, f[2]) != 0) vec_fail(&v, "wrong minimal hex");
            break;
        }
        case 8: {
            uint8_t be[32], want[32];
            if (cs_unhex(want, 32, f[2], strlen(f[2]))) vec_fail(&v, "malformed bytes");
            cs_u256_to_be(be, &a);
            if (memcmp(be, want, 32) != 0) vec_fail(&v, "wrong big-endian bytes");
            cs_u256_from_be(&r, want);
            if (cs_u256_cmp(&r, &a) != 0) vec_fail(&v, "bytes do not parse back");
            break;
        }
        }
    }
    int status = pclose(p);
    if (status != 0)
        fail_msg("python3 " VECTOR_SCRIPT " failed (exit %d); it must run from the "
                 "repository root with python3 on PATH",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    assert_int_equal(end_count, VECTOR_COUNT);
    assert_int_equal(count, VECTOR_COUNT);
    print_message("u256: %ld Python vectors checked:", count);
    for (int i = 0; i < 9; i++)
        print_message(" %s %ld", ops[i], per_op[i]);
    print_message("\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u64_and_bits), cmocka_unit_test(test_add_sub),
        cmocka_unit_test(test_mul),          cmocka_unit_test(test_muldiv),
        cmocka_unit_test(test_divmod),       cmocka_unit_test(test_pow10),
        cmocka_unit_test(test_decimal),      cmocka_unit_test(test_hex),
        cmocka_unit_test(test_bytes),        cmocka_unit_test(test_python_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
