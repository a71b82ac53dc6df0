/* test_hash.c — the SHA-256 helpers (one-shot, double, streaming in pieces,
 * two-part) against a plain EVP digest on every length 0..1100, plus FIPS 180
 * vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "util/codec.h"
#include "util/hash.h"

static void ref(const uint8_t *p, size_t n, uint8_t out[32])
{
    unsigned len;
    EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

static void test_vectors(void **st)
{
    (void)st;
    uint8_t h[32];
    char hex[65];
    cs_sha256("abc", 3, h);
    cs_hex(hex, h, 32);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cs_sha256("", 0, h);
    cs_hex(hex, h, 32);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    cs_sha256(m, strlen(m), h);
    cs_hex(hex, h, 32);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_against_openssl(void **st)
{
    (void)st;
    static uint8_t buf[1100];
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
    for (size_t n = 0; n <= sizeof buf; n++) {
        uint8_t a[32], b[32], d1[32], d2[32];
        cs_sha256(buf, n, a);
        ref(buf, n, b);
        assert_memory_equal(a, b, 32);
        cs_sha256d(buf, n, d1);
        ref(b, 32, d2);
        assert_memory_equal(d1, d2, 32);
        /* streaming in three uneven pieces gives the same digest */
        struct cs_sha256_ctx c;
        size_t k1 = n / 3, k2 = (n * 5) / 7;
        if (k2 < k1) k2 = k1;
        cs_sha256_begin(&c);
        cs_sha256_add(&c, buf, k1);
        cs_sha256_add(&c, buf + k1, k2 - k1);
        cs_sha256_add(&c, buf + k2, n - k2);
        cs_sha256_end(&c, 0, a);
        assert_memory_equal(a, b, 32);
        cs_sha256d_parts(buf, k1, buf + k1, n - k1, a);
        assert_memory_equal(a, d2, 32);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_vectors),
                                       cmocka_unit_test(test_against_openssl)};
    return cmocka_run_group_tests_name("hash", tests, NULL, NULL);
}
