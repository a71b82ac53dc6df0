/* test_rlp.c — the RLP decoder and encoder (src/evm/rlp.h).
 *
 * Valid vectors are the cases of Ethereum's public RLP test suite
 * (ethereum/tests RLPTests/rlptest.json: emptystring, bytestring00/01/7F,
 * shortstring, shortstring2, longstring, zero, smallint*, mediumint1-5,
 * emptylist, stringlist, multilist, shortListMax1, listsoflists, listsoflists2,
 * dictTest1, bigint), written here as literals; each was re-derived with the
 * independent Python encoder in tests/unit/era1_independent.py.  The
 * non-canonical cases follow invalidRLPTest.json (bytesShouldBeSingleByte*,
 * nonOptimalLongLength*, leadingZerosInLongLength*, lessThan*Length*,
 * wrongSizeList*, emptyEncoding) and each asserts the exact message, so the
 * byte offset it names is checked too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "evm/rlp.h"
#include "util/codec.h"

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = strlen(hex) / 2;
    assert_true(n <= cap);
    assert_int_equal(cs_unhex(out, n, hex, strlen(hex)), 0);
    return n;
}

static void expect_enc(const struct cs_rlp_enc *e, const char *want)
{
    size_t len;
    char hx[1024];
    assert_int_equal(cs_rlp_enc_finish(e, &len), 0);
    cs_hex(hx, e->buf, len);
    assert_string_equal(hx, want);
}

/* Encodes a byte string and checks the hex, then decodes it back. */
static void check_string(const char *s, size_t len, const char *want)
{
    uint8_t buf[512];
    struct cs_rlp_enc e;
    cs_rlp_enc_init(&e, buf, sizeof buf);
    cs_rlp_enc_bytes(&e, s, len);
    expect_enc(&e, want);
    struct cs_rlp_item it;
    assert_int_equal(cs_rlp_decode_all(&it, buf, e.len, 0), 0);
    assert_false(it.is_list);
    assert_int_equal(it.len, len);
    assert_memory_equal(it.payload, s, len);
}

static void test_strings(void **state)
{
    (void)state;
    check_string("", 0, "80");
    check_string("\x00", 1, "00");
    check_string("\x01", 1, "01");
    check_string("\x7f", 1, "7f");
    check_string("\x80", 1, "8180");
    check_string("dog", 3, "83646f67");
    const char *lorem55 = "Lorem ipsum dolor sit amet, consectetur adipisicing eli";
    check_string(lorem55, 55,
                 "b74c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572"
                 "206164697069736963696e6720656c69");
    const char *lorem56 = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
    check_string(lorem56, 56,
                 "b8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e73656374657475"
                 "72206164697069736963696e6720656c6974");
}

static void check_int(const char *dec, const char *want)
{
    struct cs_u256 v, back;
    uint8_t buf[64];
    struct cs_rlp_enc e;
    assert_int_equal(cs_u256_from_dec(&v, dec, strlen(dec)), 0);
    cs_rlp_enc_init(&e, buf, sizeof buf);
    cs_rlp_enc_u256(&e, &v);
    expect_enc(&e, want);
    struct cs_rlp_item it;
    assert_int_equal(cs_rlp_decode_all(&it, buf, e.len, 0), 0);
    assert_int_equal(cs_rlp_u256(&it, &back, "int"), 0);
    assert_int_equal(cs_u256_cmp(&v, &back), 0);
    uint64_t small;
    if (cs_u256_fits_u64(&v)) {
        assert_int_equal(cs_rlp_u64(&it, &small, "int"), 0);
        assert_true(small == v.w[0]);
        cs_rlp_enc_init(&e, buf, sizeof buf);
        cs_rlp_enc_u64(&e, small);
        expect_enc(&e, want);
    } else {
        assert_int_equal(cs_rlp_u64(&it, &small, "int"), CS_EFORMAT);
    }
}

static void test_integers(void **state)
{
    (void)state;
    check_int("0", "80");
    check_int("1", "01");
    check_int("16", "10");
    check_int("79", "4f");
    check_int("127", "7f");
    check_int("128", "8180");
    check_int("1000", "8203e8");
    check_int("100000", "830186a0");
    check_int("83729609699884896815286331701780722", "8f102030405060708090a0b0c0d0e0f2");
    check_int("105315505618206987246253880190783558935785933862974822347068935681",
              "9c0100020003000400050006000700080009000a000b000c000d000e01");
    check_int("18446744073709551615", "88ffffffffffffffff");
    check_int("18446744073709551616", "89010000000000000000");
    /* bigint (2^256) is a valid RLP string but exceeds 256 bits */
    uint8_t buf[40];
    size_t n = unhex(buf, sizeof buf,
                     "a1010000000000000000000000000000000000000000000000000000000000000000");
    struct cs_rlp_item it;
    struct cs_u256 v;
    assert_int_equal(cs_rlp_decode_all(&it, buf, n, 0), 0);
    assert_int_equal(it.len, 33);
    assert_int_equal(cs_rlp_u256(&it, &v, "bigint"), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "rlp: byte 0: bigint: integer of 33 bytes exceeds 32");
}

/* Helpers to build the list vectors with the encoder. */
static void enc_strs(struct cs_rlp_enc *e, const char *const *s, size_t n)
{
    size_t payload = 0;
    for (size_t i = 0; i < n; i++)
        payload += cs_rlp_header_len(strlen(s[i])) + strlen(s[i]);
    cs_rlp_enc_list(e, payload);
    for (size_t i = 0; i < n; i++)
        cs_rlp_enc_bytes(e, s[i], strlen(s[i]));
}

static void test_lists(void **state)
{
    (void)state;
    uint8_t buf[256];
    struct cs_rlp_enc e;
    cs_rlp_enc_init(&e, buf, sizeof buf);
    cs_rlp_enc_list(&e, 0);
    expect_enc(&e, "c0");

    static const char *const animals[] = {"dog", "god", "cat"};
    cs_rlp_enc_init(&e, buf, sizeof buf);
    enc_strs(&e, animals, 3);
    expect_enc(&e, "cc83646f6783676f6483636174");

    /* multilist ["zw", [4], 1] */
    cs_rlp_enc_init(&e, buf, sizeof buf);
    cs_rlp_enc_list(&e, 6);
    cs_rlp_enc_bytes(&e, "zw", 2);
    cs_rlp_enc_list(&e, 1);
    cs_rlp_enc_u64(&e, 4);
    cs_rlp_enc_u64(&e, 1);
    expect_enc(&e, "c6827a77c10401");

    static const char *const max1[] = {"asdf", "qwer", "zxcv", "asdf", "qwer", "zxcv",
                                       "asdf", "qwer", "zxcv", "asdf", "qwer"};
    cs_rlp_enc_init(&e, buf, sizeof buf);
    enc_strs(&e, max1, 11);
    expect_enc(&e, "f784617364668471776572847a78637684617364668471776572847a78637684617364668471"
                   "776572847a78637684617364668471776572");

    /* listsoflists [[[],[]],[]] and listsoflists2 [[],[[]],[[],[[]]]] */
    static const uint8_t lol[] = {0xc4, 0xc2, 0xc0, 0xc0, 0xc0};
    static const uint8_t lol2[] = {0xc7, 0xc0, 0xc1, 0xc0, 0xc3, 0xc0, 0xc1, 0xc0};
    cs_rlp_enc_init(&e, buf, sizeof buf);
    cs_rlp_enc_list(&e, 4);
    cs_rlp_enc_list(&e, 2);
    cs_rlp_enc_list(&e, 0);
    cs_rlp_enc_list(&e, 0);
    cs_rlp_enc_list(&e, 0);
    assert_int_equal(e.len, sizeof lol);
    assert_memory_equal(buf, lol, sizeof lol);

    /* decode listsoflists2: three items, with offsets 1, 2 and 4 */
    struct cs_rlp_item top, items[4];
    size_t n;
    assert_int_equal(cs_rlp_decode_all(&top, lol2, sizeof lol2, 0), 0);
    assert_true(top.is_list);
    assert_int_equal(cs_rlp_list(&top, items, 3, 3, &n, "lol2"), 0);
    assert_int_equal(n, 3);
    assert_int_equal(items[0].off, 1);
    assert_int_equal(items[1].off, 2);
    assert_int_equal(items[2].off, 4);
    assert_int_equal(items[2].len, 3);
    assert_int_equal(cs_rlp_list(&top, items, 4, 4, &n, "lol2"), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "rlp: byte 0: lol2: list has 3 items, expected 4..4");

    /* dictTest1 */
    uint8_t dict[64];
    size_t dn = unhex(dict, sizeof dict,
                      "ecca846b6579318476616c31ca846b6579328476616c32ca846b6579338476616c33ca846b"
                      "6579348476616c34");
    struct cs_rlp_iter it;
    struct cs_rlp_item pair, kv[2];
    assert_int_equal(cs_rlp_decode_all(&top, dict, dn, 0), 0);
    assert_int_equal(cs_rlp_iter_init(&it, &top, "dict"), 0);
    int k = 0, rc;
    while ((rc = cs_rlp_next(&it, &pair)) == 1) {
        char key[8];
        assert_int_equal(cs_rlp_list(&pair, kv, 2, 2, &n, "pair"), 0);
        snprintf(key, sizeof key, "key%d", ++k);
        assert_int_equal(kv[0].len, 4);
        assert_memory_equal(kv[0].payload, key, 4);
        assert_int_equal(kv[1].off, pair.off + 6);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(k, 4);

    /* the encoder refuses to overflow its buffer */
    uint8_t small[3];
    size_t len;
    cs_rlp_enc_init(&e, small, sizeof small);
    cs_rlp_enc_bytes(&e, "dog", 3);
    assert_int_equal(cs_rlp_enc_finish(&e, &len), CS_ERANGE);
    assert_string_equal(cs_errmsg(), "rlp: encoding exceeds the 3-byte buffer");
}

/* Each non-canonical or malformed input, its exact message. */
static void check_bad(const char *hex, const char *want)
{
    uint8_t buf[128];
    size_t n = strlen(hex) ? unhex(buf, sizeof buf, hex) : 0;
    struct cs_rlp_item it;
    assert_int_equal(cs_rlp_decode_all(&it, buf, n, 0), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), want);
}

static void test_non_canonical(void **state)
{
    (void)state;
    check_bad("", "rlp: byte 0: truncated: no item");
    check_bad("8100", "rlp: byte 0: single byte below 0x80 not encoded as itself");
    check_bad("8101", "rlp: byte 0: single byte below 0x80 not encoded as itself");
    check_bad("817f", "rlp: byte 0: single byte below 0x80 not encoded as itself");
    check_bad("b81000112233445566778899aabbccddeeff", "rlp: byte 0: long-form length below 56");
    check_bad("f810000102030405060708090a0b0c0d0e0f", "rlp: byte 0: long-form length below 56");
    check_bad("b900400000", "rlp: byte 1: length has a leading zero byte");
    check_bad("fb00000040000000", "rlp: byte 1: length has a leading zero byte");
    check_bad("81", "rlp: byte 0: length exceeds the input");
    check_bad("a0000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
              "rlp: byte 0: length exceeds the input");
    check_bad("c5010203", "rlp: byte 0: length exceeds the input");
    check_bad("ba010000aabbccdd", "rlp: byte 0: length exceeds the input");
    check_bad("f90180", "rlp: byte 0: length exceeds the input");
    check_bad("f901", "rlp: byte 0: truncated length of length-prefixed item");
    check_bad("bf0f000000000000021111", "rlp: byte 0: length exceeds the input");
    check_bad("8080", "rlp: byte 1: trailing bytes after the item");
    /* wrongSizeList: the list claims 1 byte but its item needs more */
    check_bad("f80180", "rlp: byte 0: long-form length below 56");
    uint8_t wrong[] = {0xc2, 0x82, 0x01};
    struct cs_rlp_item top, items[2];
    size_t n;
    assert_int_equal(cs_rlp_decode_all(&top, wrong, sizeof wrong, 0), 0);
    assert_int_equal(cs_rlp_list(&top, items, 0, 2, &n, "wrongSizeList"), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "rlp: byte 1: length exceeds the input");

    /* a non-canonical item deep inside a list names its own offset */
    uint8_t nested[] = {0xc5, 0x01, 0xc3, 0x02, 0x81, 0x05};
    assert_int_equal(cs_rlp_decode_all(&top, nested, sizeof nested, 100), 0);
    struct cs_rlp_iter it, inner;
    struct cs_rlp_item x;
    assert_int_equal(cs_rlp_iter_init(&it, &top, "outer"), 0);
    assert_int_equal(cs_rlp_next(&it, &x), 1);
    assert_int_equal(cs_rlp_next(&it, &x), 1);
    assert_int_equal(x.off, 102);
    assert_int_equal(cs_rlp_iter_init(&inner, &x, "inner"), 0);
    assert_int_equal(cs_rlp_next(&inner, &x), 1);
    assert_int_equal(cs_rlp_next(&inner, &x), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "rlp: byte 104: single byte below 0x80 not encoded as itself");
}

static void test_scalars(void **state)
{
    (void)state;
    struct cs_rlp_item it;
    uint64_t v;
    uint8_t buf[16];
    size_t n = unhex(buf, sizeof buf, "820001");
    assert_int_equal(cs_rlp_decode_all(&it, buf, n, 7), 0); /* fine as a byte string */
    assert_int_equal(cs_rlp_u64(&it, &v, "nonce"), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "rlp: byte 7: nonce: integer has a leading zero byte");
    n = unhex(buf, sizeof buf, "00"); /* the byte 0x00: a string, but not the integer 0 */
    assert_int_equal(cs_rlp_decode_all(&it, buf, n, 0), 0);
    assert_int_equal(cs_rlp_u64(&it, &v, "gas"), CS_EFORMAT);
    n = unhex(buf, sizeof buf, "89010000000000000000");
    assert_int_equal(cs_rlp_decode_all(&it, buf, n, 0), 0);
    assert_int_equal(cs_rlp_u64(&it, &v, "gas"), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "rlp: byte 0: gas: integer of 9 bytes exceeds 8");
    n = unhex(buf, sizeof buf, "c0");
    assert_int_equal(cs_rlp_decode_all(&it, buf, n, 0), 0);
    assert_int_equal(cs_rlp_u64(&it, &v, "gas"), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "rlp: byte 0: gas: expected a string, found a list");
    uint8_t addr[20];
    n = unhex(buf, sizeof buf, "83010203");
    assert_int_equal(cs_rlp_decode_all(&it, buf, n, 0), 0);
    assert_int_equal(cs_rlp_fixed(&it, addr, 20, "to"), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "rlp: byte 0: to: 3 bytes, expected 20");
    struct cs_rlp_iter iter;
    assert_int_equal(cs_rlp_iter_init(&iter, &it, "txs"), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "rlp: byte 0: txs: expected a list, found a string");
}

/* Every header length round-trips and the decoder agrees on where items end. */
static void test_header_lengths(void **state)
{
    (void)state;
    static uint8_t buf[70000];
    static const size_t lens[] = {0, 1, 55, 56, 255, 256, 65535, 65536};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        for (int is_list = 0; is_list < 2; is_list++) {
            size_t h = cs_rlp_put_header(buf, lens[i], is_list);
            assert_int_equal(h, cs_rlp_header_len(lens[i]));
            memset(buf + h, 0x80, lens[i]);              /* as a list: lens[i] empty strings */
            if (!is_list && lens[i] == 1) buf[h] = 0x80; /* 0x81 0x80 is canonical */
            struct cs_rlp_item it;
            assert_int_equal(cs_rlp_decode_all(&it, buf, h + lens[i], 0), 0);
            assert_int_equal(it.len, lens[i]);
            assert_int_equal(it.is_list, is_list);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings), cmocka_unit_test(test_integers),
        cmocka_unit_test(test_lists),   cmocka_unit_test(test_non_canonical),
        cmocka_unit_test(test_scalars), cmocka_unit_test(test_header_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
