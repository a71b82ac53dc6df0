/* test_btc.c — METHODS §6 vectors: CompactSize, Base58Check, Bech32/Bech32m,
 * script classification, BIP143 txid/wtxid/weight, genesis block, work. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "btc/block.h"
#include "btc/script.h"
#include "util/codec.h"
#include "util/hash.h"

static const char GENESIS[] = "01000000000000000000000000000000000000000000000000000000000000000000"
                              "00003ba3edfd7a7b12b27ac72c3e67768f617fc81bc388"
                              "8a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c0101000000010000000000"
                              "0000000000000000000000000000000000000000000000"
                              "00000000ffffffff4d04ffff001d0104455468652054696d65732030332f4a616e2f"
                              "32303039204368616e63656c6c6f72206f6e206272696e"
                              "6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff01"
                              "00f2052a01000000434104678afdb0fe5548271967f1a6"
                              "7130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec1"
                              "12de5c384df7ba0b8d578a4c702b6bf11d5fac00000000";

/* BIP143 native P2WPKH example (signed) */
static const char BIP143[] = "01000000000102fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db"
                             "4e4ad969f00000000494830450221008b9d1dc26ba6a9"
                             "cb62127b02742fa9d754cd3bebf337f7a55d114c8e5cdd30be022040529b194ba3f92"
                             "81a99f2b1c0a19c0489bc22ede944ccf4ecbab4cc618e"
                             "f3ed01eeffffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d5"
                             "7b90ec68a0100000000ffffffff02202cb20600000000"
                             "1976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001"
                             "976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa81"
                             "5988ac000247304402203609e17b84f6a7d30c80bfa610b5b4542f32a8a0d5447a12f"
                             "b1366d7f01cc44a0220573a954c4518331561406f9030"
                             "0e8f3358f51928d43c212a8caed02de67eebee0121025476c2e83188368da1ff3e292"
                             "e7acafcdb3566bb0ad253f62fc70f07aeee635711000000";

static uint8_t *unhex_alloc(const char *h, size_t *len)
{
    *len = strlen(h) / 2;
    uint8_t *p = malloc(*len);
    assert_int_equal(cs_unhex(p, *len, h, strlen(h)), 0);
    return p;
}

static void test_compactsize(void **st)
{
    (void)st;
    struct {
        uint64_t n;
        const char *hex;
    } v[] = {{252, "fc"},
             {253, "fdfd00"},
             {65535, "fdffff"},
             {65536, "fe00000100"},
             {4294967296ULL, "ff0000000001000000"}};
    for (size_t i = 0; i < 5; i++) {
        uint8_t b[9];
        char h[19];
        size_t n = cs_compact_put(b, v[i].n);
        cs_hex(h, b, n);
        assert_string_equal(h, v[i].hex);
        uint64_t back;
        assert_int_equal(cs_compact_get(b, n, &back), (int)n);
        assert_true(back == v[i].n);
        assert_int_equal(cs_compact_get(b, n - 1, &back), 0); /* truncated */
    }
    /* non-minimal encodings are rejected */
    uint8_t nm1[] = {0xfd, 0xfc, 0x00}, nm2[] = {0xfe, 0xff, 0xff, 0x00, 0x00},
            nm3[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    uint64_t x;
    assert_int_equal(cs_compact_get(nm1, 3, &x), -1);
    assert_int_equal(cs_compact_get(nm2, 5, &x), -1);
    assert_int_equal(cs_compact_get(nm3, 9, &x), -1);
}

static void test_base58(void **st)
{
    (void)st;
    uint8_t zero[20] = {0}, h[20], ver, back[64];
    char out[128];
    cs_base58check_encode(out, 0x00, zero, 20);
    assert_string_equal(out, "1111111111111111111114oLvT2");
    cs_base58check_encode(out, 0x05, zero, 20);
    assert_string_equal(out, "31h1vYVSYuKP6AhS86fbRdMw9XHieotbST");
    assert_int_equal(cs_base58check_decode("31h1vYVSYuKP6AhS86fbRdMw9XHieotbST", &ver, back, 64),
                     20);
    assert_int_equal(ver, 5);
    assert_memory_equal(back, zero, 20);
    assert_int_equal(cs_base58check_decode("31h1vYVSYuKP6AhS86fbRdMw9XHieotbSU", &ver, back, 64),
                     CS_EFORMAT);
    assert_int_equal(cs_base58check_decode("0OIl", &ver, back, 64), CS_EFORMAT);
    /* genesis P2PK key -> 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa */
    size_t n;
    uint8_t *g = unhex_alloc(GENESIS, &n);
    cs_hash160(g + n - 4 - 1 - 65, 65, h);
    cs_base58check_encode(out, 0x00, h, 20);
    assert_string_equal(out, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
    free(g);
}

/* Base58 by the textbook byte-at-a-time method, to check the fast encoder. */
static void b58_slow(char *out, const uint8_t *buf, size_t n)
{
    static const char A[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    uint8_t d[140];
    size_t nd = 0, z = 0, o = 0;
    while (z < n && buf[z] == 0)
        z++;
    for (size_t i = z; i < n; i++) {
        unsigned carry = buf[i];
        for (size_t j = 0; j < nd; j++) {
            carry += (unsigned)d[j] << 8;
            d[j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        while (carry) {
            d[nd++] = (uint8_t)(carry % 58);
            carry /= 58;
        }
    }
    for (size_t i = 0; i < z; i++)
        out[o++] = '1';
    while (nd)
        out[o++] = A[d[--nd]];
    out[o] = 0;
}

static void test_base58_random(void **st)
{
    (void)st;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int iter = 0; iter < 20000; iter++) {
        uint8_t payload[64], buf[69], chk[32], ver, back[64];
        size_t len = (size_t)(iter % 65);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            payload[i] = (uint8_t)(x >> 24);
            if (iter % 7 == 0 && i < 3) payload[i] = 0; /* leading zero bytes */
        }
        ver = (uint8_t)(iter % 5 == 0 ? 0 : x);
        char fast[128], slow[140];
        cs_base58check_encode(fast, ver, payload, len);
        buf[0] = ver;
        memcpy(buf + 1, payload, len);
        cs_sha256d(buf, 1 + len, chk);
        memcpy(buf + 1 + len, chk, 4);
        b58_slow(slow, buf, len + 5);
        assert_string_equal(fast, slow);
        uint8_t v2;
        assert_int_equal(cs_base58check_decode(fast, &v2, back, 64), (int)len);
        assert_int_equal(v2, ver);
        if (len) assert_memory_equal(back, payload, len);
    }
}

static void test_bech32(void **st)
{
    (void)st;
    char out[91], hrp[84];
    uint8_t p20[20], p32[32], prog[40];
    int ver;
    assert_int_equal(cs_unhex(p20, 20, "751e76e8199196d454941c45d1b3a323f1433bd6", 40), 0);
    assert_true(cs_segwit_encode(out, "bc", 0, p20, 20) > 0);
    assert_string_equal(out, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
    assert_int_equal(
        cs_unhex(p32, 32, "1863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262", 64),
        0);
    assert_true(cs_segwit_encode(out, "bc", 0, p32, 32) > 0);
    assert_string_equal(out, "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3");
    assert_int_equal(
        cs_unhex(p32, 32, "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", 64),
        0);
    assert_true(cs_segwit_encode(out, "bc", 1, p32, 32) > 0);
    assert_string_equal(out, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0");
    assert_int_equal(cs_segwit_decode(out, "bc", hrp, &ver, prog), 32);
    assert_int_equal(ver, 1);
    assert_memory_equal(prog, p32, 32);
    /* v1 with the Bech32 (v0) checksum constant is invalid (BIP350) */
    assert_int_equal(
        cs_segwit_decode("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj1", "bc",
                         NULL, &ver, prog),
        CS_EFORMAT);
    assert_int_equal(
        cs_segwit_decode("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bc", NULL, &ver, prog), 20);
    assert_int_equal(
        cs_segwit_decode("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "bc", NULL, &ver, prog),
        CS_EFORMAT);
    assert_int_equal(
        cs_segwit_decode("Bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "bc", NULL, &ver, prog),
        CS_EFORMAT);
}

static void check_class(const char *script_hex, int type, const char *addr)
{
    uint8_t s[80];
    size_t n = strlen(script_hex) / 2;
    char out[96];
    struct cs_addr a, back;
    assert_int_equal(cs_unhex(s, n, script_hex, strlen(script_hex)), 0);
    cs_script_classify(s, n, &a);
    assert_int_equal(a.type, type);
    cs_addr_format(&a, cs_net_by_name("main"), out);
    if (addr) assert_string_equal(out, addr);
    assert_int_equal(cs_addr_parse(out, cs_net_by_name("main"), &back), 0);
    a.flags = 0;
    assert_memory_equal(&a, &back, sizeof a);
}

static void test_scripts(void **st)
{
    (void)st;
    check_class("76a914751e76e8199196d454941c45d1b3a323f1433bd688ac", CS_ADDR_P2PKH, NULL);
    check_class("a914000000000000000000000000000000000000000087", CS_ADDR_P2SH,
                "31h1vYVSYuKP6AhS86fbRdMw9XHieotbST");
    check_class("0014751e76e8199196d454941c45d1b3a323f1433bd6", CS_ADDR_P2WPKH,
                "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
    check_class("00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
                CS_ADDR_P2WSH, "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3");
    check_class("512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
                CS_ADDR_P2TR, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0");
    check_class("51024e73", CS_ADDR_WITNESS, NULL); /* P2A anchor */
    check_class("6a0568656c6c6f", CS_ADDR_OPRETURN, NULL);
    check_class("ac", CS_ADDR_NONSTD, NULL);
    /* 1-of-2 bare multisig: pseudo-address plus one P2PKH per key */
    const char *ms = "5121"
                     "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
                     "21"
                     "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
                     "52ae";
    check_class(ms, CS_ADDR_MULTISIG, NULL);
    uint8_t s[80];
    struct cs_addr keys[4];
    assert_int_equal(cs_unhex(s, strlen(ms) / 2, ms, strlen(ms)), 0);
    assert_int_equal(cs_script_multisig_keys(s, strlen(ms) / 2, keys, 4), 2);
    char out[96];
    cs_addr_format(&keys[0], cs_net_by_name("main"), out);
    assert_string_equal(out, "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"); /* P2PKH of generator point G */
    /* network prefixes: testnet P2PKH starts with m/n, regtest bech32 with bcrt1 */
    struct cs_addr a;
    assert_int_equal(
        cs_addr_parse("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", cs_net_by_name("regtest"), &a),
        CS_EFORMAT);
}

static void test_bip143(void **st)
{
    (void)st;
    size_t n, used = 0;
    uint8_t *raw = unhex_alloc(BIP143, &n);
    struct cs_block_arena ar = {0};
    struct cs_tx tx;
    char id[65];
    assert_int_equal(cs_tx_parse(&tx, &ar, raw, n, &used, "bip143", 0, 0), 0);
    assert_int_equal(used, 343);
    assert_int_equal(tx.size, 343);
    assert_int_equal(tx.stripped_size, 233);
    assert_int_equal(cs_tx_weight(&tx), 1042);
    assert_int_equal((cs_tx_weight(&tx) + 3) / 4, 261);
    cs_hex_rev(id, tx.txid);
    assert_string_equal(id, "e8151a2af31c368a35053ddd4bdb285a8595c769a3ad83e0fa02314a602d4609");
    cs_hex_rev(id, tx.wtxid);
    assert_string_equal(id, "c36c38370907df2324d9ce9d149d191192f338b37665a82e78e76a12c909b762");
    assert_int_equal(tx.n_in, 2);
    assert_int_equal(tx.n_out, 2);
    assert_int_equal(tx.out[0].value, 112340000);
    assert_int_equal(tx.in[1].witness_items, 2);
    /* every truncation is an error naming a byte offset, never a crash */
    for (size_t cut = 0; cut < n; cut++) {
        int rc = cs_tx_parse(&tx, &ar, raw, cut, &used, "bip143", 0, 0);
        assert_true(rc == CS_EFORMAT || rc == CS_ERANGE);
    }
    /* flag byte other than 1 */
    raw[5] = 2;
    assert_int_equal(cs_tx_parse(&tx, &ar, raw, n, &used, "bip143", 0, 0), CS_EFORMAT);
    cs_block_arena_free(&ar);
    free(raw);
}

static void test_genesis(void **st)
{
    (void)st;
    size_t n;
    uint8_t *raw = unhex_alloc(GENESIS, &n);
    struct cs_block_arena ar = {0};
    struct cs_block b;
    char h[65];
    assert_int_equal(n, 285);
    assert_int_equal(cs_block_parse(&b, &ar, raw, n, "genesis", 8, 0), 0);
    cs_hex_rev(h, b.hash);
    assert_string_equal(h, "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
    cs_hex_rev(h, b.tx[0].txid);
    assert_string_equal(h, "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
    assert_memory_equal(b.tx[0].txid, b.hdr.merkle, 32);
    assert_int_equal(b.tx[0].size, 204);
    assert_true(cs_check_pow(b.hash, b.hdr.bits));
    uint64_t w[4];
    cs_work_from_bits(0x1d00ffff, w);
    assert_true(w[0] == 4295032833ULL && !w[1] && !w[2] && !w[3]);
    cs_work_from_bits(0x207fffff, w); /* regtest */
    assert_true(w[0] == 2 && !w[1]);
    /* a flipped byte in the coinbase breaks the merkle root */
    raw[80 + 1 + 4 + 1 + 36 + 1 + 5] ^= 1;
    assert_int_equal(cs_block_parse(&b, &ar, raw, n, "genesis", 8, 0), CS_ECONSENSUS);
    raw[80 + 1 + 4 + 1 + 36 + 1 + 5] ^= 1;
    /* a trailing byte is an error, as is a truncation anywhere */
    uint8_t *longer = malloc(n + 1);
    memcpy(longer, raw, n);
    longer[n] = 0;
    assert_int_equal(cs_block_parse(&b, &ar, longer, n + 1, "genesis", 8, 0), CS_EFORMAT);
    for (size_t cut = 0; cut < n; cut++)
        assert_true(cs_block_parse(&b, &ar, raw, cut, "genesis", 8, 0) < 0);
    free(longer);
    cs_block_arena_free(&ar);
    free(raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compactsize),   cmocka_unit_test(test_base58),
        cmocka_unit_test(test_base58_random), cmocka_unit_test(test_bech32),
        cmocka_unit_test(test_scripts),       cmocka_unit_test(test_bip143),
        cmocka_unit_test(test_genesis),
    };
    return cmocka_run_group_tests_name("btc", tests, NULL, NULL);
}
