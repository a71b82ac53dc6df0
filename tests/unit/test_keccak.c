/* test_keccak.c — Keccak-256 against published vectors, SHA3-256 against OpenSSL.
 *
 * The Keccak-256 vectors are the ones every Ethereum library checks (empty
 * string, "abc", the pangram, the ERC-20 Transfer/Approval event topics).
 * SHA3-256 differs from Keccak-256 only in its padding byte, so comparing it
 * with OpenSSL's independent SHA3-256 over every length 0..600 (crossing the
 * 136-byte rate several times, with incremental feeding) checks the
 * permutation and the sponge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <string.h>

#include "util/codec.h"
#include "util/keccak.h"

static void hexof(const uint8_t d[32], char out[65])
{
    cs_hex(out, d, 32);
}

static void check_keccak(const char *msg, const char *want)
{
    uint8_t d[32];
    char hx[65];
    cs_keccak256(msg, strlen(msg), d);
    hexof(d, hx);
    assert_string_equal(hx, want);
}

static void test_keccak_vectors(void **state)
{
    (void)state;
    check_keccak("", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    check_keccak("abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    check_keccak("The quick brown fox jumps over the lazy dog",
                 "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
    check_keccak("Transfer(address,address,uint256)",
                 "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    check_keccak("Approval(address,address,uint256)",
                 "8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925");
}

static void test_sha3_empty(void **state)
{
    (void)state;
    uint8_t d[32];
    char hx[65];
    cs_sha3_256("", 0, d);
    hexof(d, hx);
    /* FIPS 202 example value for the empty message */
    assert_string_equal(hx, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
}

static void test_sha3_matches_openssl(void **state)
{
    (void)state;
    uint8_t msg[600];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 131 + 7);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_non_null(ctx);
    for (size_t len = 0; len <= sizeof msg; len++) {
        uint8_t ours[32], ref[32], inc[32];
        unsigned n = 0;
        assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha3_256(), NULL), 1);
        assert_int_equal(EVP_DigestUpdate(ctx, msg, len), 1);
        assert_int_equal(EVP_DigestFinal_ex(ctx, ref, &n), 1);
        assert_int_equal(n, 32);
        cs_sha3_256(msg, len, ours);
        assert_memory_equal(ours, ref, 32);
        /* the same digest fed in uneven pieces */
        struct cs_keccak_ctx kc;
        cs_keccak_init(&kc, 1);
        size_t off = 0, step = 1;
        while (off < len) {
            size_t take = step < len - off ? step : len - off;
            cs_keccak_add(&kc, msg + off, take);
            off += take;
            step = step * 3 % 17 + 1;
        }
        cs_keccak_final(&kc, inc);
        assert_memory_equal(inc, ref, 32);
    }
    EVP_MD_CTX_free(ctx);
}

static void test_keccak_incremental_equals_oneshot(void **state)
{
    (void)state;
    uint8_t msg[1000], a[32], b[32];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i ^ (i >> 3));
    cs_keccak256(msg, sizeof msg, a);
    struct cs_keccak_ctx kc;
    cs_keccak_init(&kc, 0);
    for (size_t i = 0; i < sizeof msg; i += 7)
        cs_keccak_add(&kc, msg + i, i + 7 <= sizeof msg ? 7 : sizeof msg - i);
    cs_keccak_final(&kc, b);
    assert_memory_equal(a, b, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keccak_vectors),
        cmocka_unit_test(test_sha3_empty),
        cmocka_unit_test(test_sha3_matches_openssl),
        cmocka_unit_test(test_keccak_incremental_equals_oneshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
