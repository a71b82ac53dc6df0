/* test_chain.c — the chain registry: lookups, the storable check and its two
 * messages, the names list against the table, and Bitcoin's address codec
 * through the registry on a BIP-173 vector. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "chain/chain.h"
#include "util/error.h"

static void test_find(void **state)
{
    (void)state;
    const struct cs_chain *b = cs_chain_find("btc"), *e = cs_chain_find("eth");
    assert_non_null(b);
    assert_non_null(e);
    assert_ptr_equal(cs_chain_default(), b);
    assert_string_equal(b->title, "Bitcoin");
    assert_int_equal(b->stored, 1);
    assert_int_equal(e->stored, 1); /* in the EVM schema */
    assert_int_equal(b->evm, 0);
    assert_int_equal(e->evm, 1);
    assert_null(cs_chain_find("BTC")); /* names match exactly */
    assert_null(cs_chain_find("bt"));
    assert_null(cs_chain_find(""));
    assert_null(cs_chain_find(NULL));
    assert_string_equal(b->asset()->symbol, "BTC");
    assert_int_equal(b->asset()->decimals, 8);
    assert_string_equal(e->asset()->symbol, "ETH");
    assert_int_equal(e->asset()->decimals, 18);
}

static void test_names_match_table(void **state)
{
    (void)state;
    char want[256] = "";
    size_t n = cs_chain_count();
    assert_true(n >= 2);
    for (size_t i = 0; i < n; i++) {
        if (i) strncat(want, ", ", sizeof want - strlen(want) - 1);
        strncat(want, cs_chain_at(i)->name, sizeof want - strlen(want) - 1);
    }
    assert_string_equal(cs_chain_names(), want);
    assert_null(cs_chain_at(n));
}

static void test_storable(void **state)
{
    (void)state;
    const struct cs_chain *c = NULL;
    assert_int_equal(cs_chain_storable("btc", &c), 0);
    assert_ptr_equal(c, cs_chain_find("btc"));
    c = NULL;
    assert_int_equal(cs_chain_storable("doge", &c), CS_EUSAGE);
    assert_null(c);
    assert_string_equal(cs_errmsg(), "unknown chain 'doge' (known: btc, eth, sepolia, bsc, "
                                     "polygon, arbitrum, optimism, base, avalanche, devnet)");
    assert_int_equal(cs_chain_storable("eth", &c), 0);
    assert_ptr_equal(c, cs_chain_find("eth"));
}

static void test_btc_codec(void **state)
{
    (void)state;
    /* BIP-173: P2WPKH of 0279BE66...F81798 */
    const char *a = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
    const struct cs_chain *b = cs_chain_find("btc");
    const struct cs_netparams *main = cs_net_by_name("main");
    assert_non_null(main);
    struct cs_addr addr;
    assert_int_equal(b->addr_parse(a, main, &addr), 0);
    char out[CS_CHAIN_ADDR_MAX];
    b->addr_format(&addr, main, out);
    assert_string_equal(out, a);
    assert_int_not_equal(b->addr_parse("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", main, &addr),
                         0);
    assert_null(cs_chain_find("eth")->addr_parse);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_names_match_table),
        cmocka_unit_test(test_storable),
        cmocka_unit_test(test_btc_codec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
