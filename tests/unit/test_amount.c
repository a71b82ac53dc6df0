/* test_amount.c — the amount formatter and the user-amount parser, by value.
 *
 * Expected strings are worked out by hand or with Python's integers (the
 * 2^256-1 wei line).  Every rejection is checked for its code and for the
 * words of its message that tell the user what to fix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/amount.h"

static const struct cs_asset *btc, *eth;

static int setup(void **state)
{
    (void)state;
    btc = cs_asset_native("btc");
    eth = cs_asset_native("eth");
    return btc && eth ? 0 : -1;
}

static struct cs_u256 dec(const char *s)
{
    struct cs_u256 r;
    if (cs_u256_from_dec(&r, s, strlen(s))) fail_msg("bad decimal %s", s);
    return r;
}

static void check_fmt(const struct cs_asset *a, const char *amount, unsigned flags,
                      const char *want)
{
    char out[CS_AMOUNT_STR_MAX];
    struct cs_u256 v = dec(amount);
    size_t n = cs_amount_format(out, a, &v, flags);
    if (strcmp(out, want) != 0)
        fail_msg("format %s %s (flags %u): got '%s', want '%s'", amount, a->symbol, flags, out,
                 want);
    assert_int_equal(n, strlen(want));
}

static void test_native_lookup(void **state)
{
    (void)state;
    assert_string_equal(btc->symbol, "BTC");
    assert_string_equal(btc->base_unit, "sat");
    assert_int_equal(btc->decimals, 8);
    assert_int_equal(btc->native, 1);
    assert_string_equal(eth->symbol, "ETH");
    assert_string_equal(eth->base_unit, "wei");
    assert_int_equal(eth->decimals, 18);
    assert_null(cs_asset_native("BTC")); /* chain names are exact */
    assert_null(cs_asset_native("doge"));
    assert_null(cs_asset_native(""));
}

static void test_format_btc(void **state)
{
    (void)state;
    check_fmt(btc, "21565000000000", 0, "215650.00000000");
    check_fmt(btc, "21565000000000", CS_AMOUNT_TRIM, "215650");
    check_fmt(btc, "21565000000000", CS_AMOUNT_UNIT, "215650.00000000 BTC");
    check_fmt(btc, "1234567890", 0, "12.34567890");
    check_fmt(btc, "1234567890", CS_AMOUNT_TRIM | CS_AMOUNT_UNIT, "12.3456789 BTC");
    check_fmt(btc, "0", 0, "0.00000000");
    check_fmt(btc, "0", CS_AMOUNT_TRIM, "0");
    check_fmt(btc, "1", 0, "0.00000001");
    check_fmt(btc, "100000000", 0, "1.00000000");
    check_fmt(btc, "99999999", 0, "0.99999999");
    check_fmt(btc, "2100000000000000", CS_AMOUNT_UNIT, "21000000.00000000 BTC");
    char out[CS_AMOUNT_STR_MAX];
    assert_int_equal(cs_amount_format_u64(out, btc, UINT64_MAX, 0), 21);
    assert_string_equal(out, "184467440737.09551615");
    struct cs_u256 v = dec("1234567890");
    cs_amount_format_base(out, btc, &v, CS_AMOUNT_UNIT);
    assert_string_equal(out, "1234567890 sat");
    cs_amount_format_base(out, btc, &v, 0);
    assert_string_equal(out, "1234567890");
}

static void test_format_eth(void **state)
{
    (void)state;
    check_fmt(eth, "1", 0, "0.000000000000000001");
    check_fmt(eth, "1", CS_AMOUNT_UNIT, "0.000000000000000001 ETH");
    check_fmt(eth, "1000000000000000000", 0, "1.000000000000000000");
    check_fmt(eth, "1500000000000000000", CS_AMOUNT_TRIM | CS_AMOUNT_UNIT, "1.5 ETH");
    /* a heist-sized amount (about 401,347 ETH) keeps every wei */
    check_fmt(eth, "401346768858012345678901", CS_AMOUNT_TRIM, "401346.768858012345678901");
    check_fmt(eth, "115792089237316195423570985008687907853269984665640564039457584007913129639935",
              0, "115792089237316195423570985008687907853269984665640564039457.584007913129639935");
    char out[CS_AMOUNT_STR_MAX];
    struct cs_u256 max = cs_u256_max();
    cs_amount_format_base(out, eth, &max, CS_AMOUNT_UNIT);
    assert_string_equal(
        out, "115792089237316195423570985008687907853269984665640564039457584007913129639935 wei");
}

static void test_tokens(void **state)
{
    (void)state;
    uint8_t usdc_addr[20] = {0xa0, 0xb8, 0x69, 0x91, 0xc6, 0x21, 0x8b, 0x36, 0xc1, 0xd1,
                             0x9d, 0x4a, 0x2e, 0x9e, 0xb0, 0xce, 0x36, 0x06, 0xeb, 0x48};
    struct cs_asset usdc, whole, tiny, keep;
    assert_int_equal(cs_asset_token(&usdc, "eth", usdc_addr, "USDC", NULL, 6), 0);
    assert_int_equal(usdc.native, 0);
    assert_memory_equal(usdc.contract, usdc_addr, 20);
    assert_string_equal(usdc.base_unit, "");
    check_fmt(&usdc, "1000000", CS_AMOUNT_UNIT, "1.000000 USDC");
    check_fmt(&usdc, "123", 0, "0.000123");
    /* no base-unit name: the count is written bare */
    char out[CS_AMOUNT_STR_MAX];
    struct cs_u256 v = dec("123");
    cs_amount_format_base(out, &usdc, &v, CS_AMOUNT_UNIT);
    assert_string_equal(out, "123");
    /* 0 decimals: no point at all */
    assert_int_equal(cs_asset_token(&whole, "eth", usdc_addr, "NFT-1", "piece", 0), 0);
    check_fmt(&whole, "42", 0, "42");
    check_fmt(&whole, "42", CS_AMOUNT_TRIM | CS_AMOUNT_UNIT, "42 NFT-1");
    /* 77 decimals, the most: 2^256-1 is 1.157... and 1 is 0.<76 zeros>1 */
    assert_int_equal(
        cs_asset_token(&tiny, "eth", usdc_addr, "TINYLONGSYMBOLOFTHIRTYONEBYTES1", "atto", 77), 0);
    check_fmt(&tiny,
              "115792089237316195423570985008687907853269984665640564039457584007913129639935", 0,
              "1.15792089237316195423570985008687907853269984665640564039457584007913129639935");
    char want[CS_AMOUNT_STR_MAX] = "0.";
    memset(want + 2, '0', 76);
    strcpy(want + 78, "1 TINYLONGSYMBOLOFTHIRTYONEBYTES1");
    check_fmt(&tiny, "1", CS_AMOUNT_UNIT, want);
    assert_int_equal(strlen(want), 111); /* the longest output fits CS_AMOUNT_STR_MAX */
    /* bad descriptors leave *out alone */
    memset(&keep, 0x5a, sizeof keep);
    struct cs_asset t = keep;
    assert_int_equal(cs_asset_token(&t, "eth", usdc_addr, "USDC", NULL, 78), CS_ERANGE);
    assert_int_equal(cs_asset_token(&t, "eth", usdc_addr, "US DC", NULL, 6), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "asset symbol: byte 2 (0x20) is not allowed");
    assert_int_equal(cs_asset_token(&t, "ETH", usdc_addr, "USDC", NULL, 6), CS_EFORMAT);
    assert_int_equal(cs_asset_token(&t, "eth", usdc_addr, "", NULL, 6), CS_EFORMAT);
    assert_int_equal(
        cs_asset_token(&t, "eth", usdc_addr, "THIRTYTWOBYTESYMBOLXXXXXXXXXXXXX", NULL, 6),
        CS_EFORMAT);
    assert_int_equal(cs_asset_token(&t, "eth", usdc_addr, "USD\xe2\x82\xae", NULL, 6), CS_EFORMAT);
    assert_memory_equal(&t, &keep, sizeof t);
}

static void check_parse(const struct cs_asset *a, const char *text, const char *want)
{
    struct cs_u256 v, w = dec(want);
    int rc = cs_amount_parse(&v, a, text);
    if (rc) fail_msg("parse '%s' (%s): %s", text, a->symbol, cs_errmsg());
    if (cs_u256_cmp(&v, &w) != 0) {
        char got[CS_U256_DEC_MAX];
        cs_u256_to_dec(got, &v);
        fail_msg("parse '%s' (%s): got %s, want %s", text, a->symbol, got, want);
    }
}

static void check_reject(const struct cs_asset *a, const char *text, int code, const char *words)
{
    struct cs_u256 v = cs_u256_from_u64(777);
    int rc = cs_amount_parse(&v, a, text);
    if (rc != code) fail_msg("parse '%s' (%s): rc %d, want %d", text, a->symbol, rc, code);
    if (!strstr(cs_errmsg(), words))
        fail_msg("parse '%s': message '%s' lacks '%s'", text, cs_errmsg(), words);
    assert_int_equal(v.w[0], 777); /* untouched */
}

static void test_parse_accepts(void **state)
{
    (void)state;
    check_parse(btc, "0.001BTC", "100000");
    check_parse(btc, "0.001 BTC", "100000");
    check_parse(btc, "0.001   btc", "100000");
    check_parse(btc, "0.001", "100000");
    check_parse(btc, "100000sat", "100000");
    check_parse(btc, "100000 SAT", "100000");
    check_parse(btc, "0", "0");
    check_parse(btc, "0.00000001", "1");
    check_parse(btc, "00.5", "50000000");
    check_parse(btc, "21000000", "2100000000000000");
    check_parse(btc, "215650.00000000", "21565000000000");
    check_parse(eth, "1.5ETH", "1500000000000000000");
    check_parse(eth, "1000000000wei", "1000000000");
    check_parse(eth, "0.000000000000000001", "1");
    check_parse(eth, "401346.768858012345678901 eth", "401346768858012345678901");
    /* exactly 2^256-1 wei, in ETH and in wei */
    check_parse(eth,
                "115792089237316195423570985008687907853269984665640564039457.584007913129639935",
                "115792089237316195423570985008687907853269984665640564039457584007913129639935");
    check_parse(eth,
                "115792089237316195423570985008687907853269984665640564039457584007913129639935wei",
                "115792089237316195423570985008687907853269984665640564039457584007913129639935");
    uint64_t s = 0;
    assert_int_equal(cs_amount_parse_u64(&s, btc, "184467440737.09551615"), 0);
    assert_true(s == UINT64_MAX);
    assert_int_equal(cs_amount_parse_u64(&s, btc, "0.001BTC"), 0);
    assert_true(s == 100000);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    check_reject(btc, "1e5", CS_EUSAGE, "exponent notation is not accepted");
    check_reject(btc, "1E-3BTC", CS_EUSAGE, "exponent notation");
    check_reject(btc, "0.000000001BTC", CS_EUSAGE, "BTC has 8 decimals");
    assert_string_equal(cs_errmsg(),
                        "'0.000000001BTC': BTC has 8 decimals, and 9 fractional digits were given");
    check_reject(btc, "0.100000000", CS_EUSAGE, "9 fractional digits");
    check_reject(eth, "0.0000000000000000001", CS_EUSAGE, "ETH has 18 decimals");
    check_reject(btc, "-1", CS_EUSAGE, "cannot be negative");
    check_reject(btc, "-0.5BTC", CS_EUSAGE, "cannot be negative");
    check_reject(btc, "+1", CS_EUSAGE, "without a sign");
    check_reject(btc, "", CS_EUSAGE, "empty amount");
    check_reject(btc, "abc", CS_EUSAGE, "expected a number");
    check_reject(btc, " 1", CS_EUSAGE, "expected a number");
    check_reject(btc, "BTC", CS_EUSAGE, "expected a number");
    check_reject(btc, ".5", CS_EUSAGE, "digit before the point");
    check_reject(btc, "1.", CS_EUSAGE, "digits after the point");
    check_reject(btc, "1.BTC", CS_EUSAGE, "digits after the point");
    check_reject(btc, "1,000", CS_EUSAGE, "separators");
    check_reject(btc, "1_000", CS_EUSAGE, "separators");
    check_reject(btc, "1.000.000", CS_EUSAGE, "separators");
    check_reject(btc, "1.5sat", CS_EUSAGE, "sat is the smallest unit of BTC");
    check_reject(btc, "1.5ETH", CS_EUSAGE,
                 "unit 'ETH' is not one of btc's units: use BTC (or sat)");
    check_reject(eth, "100000sat", CS_EUSAGE, "unit 'sat' is not one of eth's units");
    check_reject(btc, "0.1 BTC x", CS_EUSAGE, "unit 'BTC x'");
    check_reject(btc, "0.1 BTC ", CS_EUSAGE, "unit 'BTC '");
    check_reject(btc, "0x10", CS_EUSAGE, "unit 'x10'");
    check_reject(btc, "1/2", CS_EUSAGE, "unit '/2'");
    /* one wei above 2^256-1, in both spellings, and a huge integer part */
    check_reject(eth,
                 "115792089237316195423570985008687907853269984665640564039457.584007913129639936",
                 CS_ERANGE, "more than 2^256-1 wei");
    check_reject(
        eth, "115792089237316195423570985008687907853269984665640564039457584007913129639936wei",
        CS_ERANGE, "more than 2^256-1 wei");
    check_reject(
        btc, "1000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        CS_ERANGE, "more than 2^256-1 sat");
    uint64_t s = 5;
    assert_int_equal(cs_amount_parse_u64(&s, btc, "184467440737.09551616"), CS_ERANGE);
    assert_string_equal(cs_errmsg(), "'184467440737.09551616': more than 2^64-1 sat");
    assert_true(s == 5);
}

/* What the formatter writes, the parser reads back to the same base units. */
static void test_round_trip(void **state)
{
    (void)state;
    const char *values[] = {
        "0",
        "1",
        "9",
        "10",
        "99999999",
        "100000000",
        "123456789012345678",
        "18446744073709551615",
        "18446744073709551616",
        "1000000000000000000",
        "340282366920938463463374607431768211456",
        "115792089237316195423570985008687907853269984665640564039457584007913129639935"};
    const struct cs_asset *assets[] = {btc, eth};
    const unsigned modes[] = {0, CS_AMOUNT_TRIM, CS_AMOUNT_UNIT, CS_AMOUNT_TRIM | CS_AMOUNT_UNIT};
    int checked = 0;
    for (size_t a = 0; a < 2; a++)
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
            for (size_t m = 0; m < 4; m++) {
                char out[CS_AMOUNT_STR_MAX];
                struct cs_u256 v = dec(values[i]), back;
                cs_amount_format(out, assets[a], &v, modes[m]);
                if (cs_amount_parse(&back, assets[a], out))
                    fail_msg("'%s' does not parse back: %s", out, cs_errmsg());
                if (cs_u256_cmp(&back, &v) != 0) fail_msg("'%s' parses to another value", out);
                cs_amount_format_base(out, assets[a], &v, CS_AMOUNT_UNIT);
                if (cs_amount_parse(&back, assets[a], out) || cs_u256_cmp(&back, &v) != 0)
                    fail_msg("'%s' does not parse back", out);
                checked++;
            }
    assert_int_equal(checked, 96);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_native_lookup), cmocka_unit_test(test_format_btc),
        cmocka_unit_test(test_format_eth),    cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_parse_accepts), cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
