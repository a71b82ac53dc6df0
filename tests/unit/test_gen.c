/* test_gen.c — unit tests of chainsleuth-gen's pieces (tools/gen).
 *
 * The generator is a tool, not part of the library, so its sources are
 * compiled into this test directly (main.c excluded).  Expected values come
 * from METHODS.md §6 vectors, real mainnet data (block 170, the genesis
 * header) or an independent Python implementation (hashlib), noted at each
 * constant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../tools/gen/block.c"
#include "../../tools/gen/econ.c"
#include "../../tools/gen/heist.c"
#include "../../tools/gen/txser.c"

static void unhex(uint8_t *out, size_t len, const char *hex)
{
    assert_int_equal(strlen(hex), 2 * len);
    assert_int_equal(cs_unhex(out, len, hex, 2 * len), 0);
}

static void assert_hash_rev(const uint8_t h[32], const char *display)
{
    char s[65];
    cs_hex_rev(s, h);
    assert_string_equal(s, display);
}

/* ---- PRNG ---- */

static void test_prng_reference(void **state)
{
    (void)state;
    /* splitmix64 from state 0 and xoshiro256** seeded with it: values from an
     * independent Python implementation of both reference algorithms */
    uint64_t st = 0;
    assert_true(cs_gen_splitmix64(&st) == 0xe220a8397b1dcdafULL);
    struct cs_gen_rng r;
    cs_gen_rng_seed(&r, 0);
    assert_true(cs_gen_rng_next(&r) == 0x99ec5f36cb75f2b4ULL);
    assert_true(cs_gen_rng_next(&r) == 0xbf6e1f784956452aULL);
    assert_true(cs_gen_rng_next(&r) == 0x1a5f849d4933e6e0ULL);
    cs_gen_rng_seed(&r, 42);
    assert_true(cs_gen_rng_next(&r) == 0x15780b2e0c2ec716ULL);
}

static void test_prng_ranges(void **state)
{
    (void)state;
    struct cs_gen_rng a, b;
    cs_gen_rng_seed(&a, 7);
    cs_gen_rng_seed(&b, 7);
    uint64_t hist[10] = {0};
    for (int i = 0; i < 100000; i++) {
        uint64_t x = cs_gen_below(&a, 10);
        assert_true(x == cs_gen_below(&b, 10)); /* same seed, same stream */
        assert_true(x < 10);
        hist[x]++;
        uint64_t y = cs_gen_range(&a, 5, 7);
        assert_true(y >= 5 && y <= 7);
        cs_gen_range(&b, 5, 7);
        double u = cs_gen_unit(&a);
        assert_true(u >= 0.0 && u < 1.0);
        cs_gen_unit(&b);
    }
    for (int k = 0; k < 10; k++) /* each bucket 10000 +- 5 sigma */
        assert_true(hist[k] > 9500 && hist[k] < 10500);
}

/* ---- transaction serializer ---- */

/* BIP143 native P2WPKH example (METHODS.md §6.3) */
static const char bip143_hex[] =
    "01000000000102fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f000000004948"
    "30450221008b9d1dc26ba6a9cb62127b02742fa9d754cd3bebf337f7a55d114c8e5cdd30be022040529b194ba3"
    "f9281a99f2b1c0a19c0489bc22ede944ccf4ecbab4cc618ef3ed01eeffffffef51e1b804cc89d182d279655c3a"
    "a89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a9148280b37df3"
    "78db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f016"
    "7faa815988ac000247304402203609e17b84f6a7d30c80bfa610b5b4542f32a8a0d5447a12fb1366d7f01cc44a"
    "0220573a954c4518331561406f90300e8f3358f51928d43c212a8caed02de67eebee0121025476c2e83188368d"
    "a1ff3e292e7acafcdb3566bb0ad253f62fc70f07aeee635711000000";

static void test_tx_bip143(void **state)
{
    (void)state;
    uint8_t want[343];
    unhex(want, sizeof want, bip143_hex);
    /* rebuild the tx from its fields */
    uint8_t prev0[32], prev1[32], ss0[73], spk0[25], spk1[25], sig[71], pub[33];
    memcpy(prev0, want + 7, 32);
    unhex(ss0, 73,
          "4830450221008b9d1dc26ba6a9cb62127b02742fa9d754cd3bebf337f7a55d114c8e5cdd30b"
          "e022040529b194ba3f9281a99f2b1c0a19c0489bc22ede944ccf4ecbab4cc618ef3ed01");
    memcpy(prev1, want + 7 + 32 + 4 + 1 + 73 + 4, 32);
    unhex(spk0, 25, "76a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac");
    unhex(spk1, 25, "76a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac");
    unhex(sig, 71,
          "304402203609e17b84f6a7d30c80bfa610b5b4542f32a8a0d5447a12fb1366d7f01cc44a02"
          "20573a954c4518331561406f90300e8f3358f51928d43c212a8caed02de67eebee01");
    unhex(pub, 33, "025476c2e83188368da1ff3e292e7acafcdb3566bb0ad253f62fc70f07aeee6357");
    struct cs_gen_txin in[2] = {
        {.prev_txid = prev0,
         .prev_vout = 0,
         .script_sig = ss0,
         .script_sig_len = 73,
         .sequence = 0xffffffee},
        {.prev_txid = prev1,
         .prev_vout = 1,
         .sequence = 0xffffffff,
         .nwit = 2,
         .wit = {sig, pub},
         .wit_len = {71, 33}},
    };
    struct cs_gen_txout out[2] = {{112340000, spk0, 25}, {223450000, spk1, 25}};
    struct cs_gen_tx tx = {1, 0x11, 2, 2, in, out};
    size_t stripped;
    assert_int_equal(cs_gen_tx_size(&tx, &stripped), 343);
    assert_int_equal(stripped, 233);
    uint8_t buf[400], txid[32], wtxid[32];
    assert_int_equal(cs_gen_tx_write(&tx, buf, sizeof buf, txid, wtxid), 343);
    assert_memory_equal(buf, want, 343);
    assert_hash_rev(txid, "e8151a2af31c368a35053ddd4bdb285a8595c769a3ad83e0fa02314a602d4609");
    assert_hash_rev(wtxid, "c36c38370907df2324d9ce9d149d191192f338b37665a82e78e76a12c909b762");
    /* too small a buffer is refused */
    assert_int_equal(cs_gen_tx_write(&tx, buf, 342, txid, wtxid), 0);
}

/* mainnet block 170, tx 1: the first bitcoin payment (no witness) */
static const char tx170_hex[] =
    "0100000001c997a5e56e104102fa209c6a852dd90660a20b2d9c352423edce25857fcd37040000000048473044"
    "02204e45e16932b8af514961a1d3a1a25fdf3f4f7732e9d624c6c61548ab5fb8cd410220181522ec8eca07de48"
    "60a4acdd12909d831cc56cbbac4622082221a8768d1d0901ffffffff0200ca9a3b00000000434104ae1a62fe09"
    "c5f51b13905f07f06b99a2f7159b2225f374cd378d71302fa28414e7aab37397f554a7df5f142c21c1b7303b8a"
    "0626f1baded5c72a704f7e6cd84cac00286bee0000000043410411db93e1dcdb8a016b49840f8c53bc1eb68a38"
    "2e97b1482ecad7b148a6909a5cb2e0eaddfb84ccf9744464f82e160bfa9b8b64f9d4c03f999b8643f656b412a3"
    "ac00000000";

static void test_tx_legacy_and_merkle170(void **state)
{
    (void)state;
    uint8_t want[275];
    unhex(want, sizeof want, tx170_hex);
    uint8_t ss[72], spk0[67], spk1[67];
    memcpy(ss, want + 42, 72);
    memcpy(spk0, want + 42 + 72 + 4 + 1 + 8 + 1, 67);
    memcpy(spk1, want + 42 + 72 + 4 + 1 + 8 + 1 + 67 + 8 + 1, 67);
    struct cs_gen_txin in = {.prev_txid = want + 5,
                             .prev_vout = 0,
                             .script_sig = ss,
                             .script_sig_len = 72,
                             .sequence = 0xffffffff};
    struct cs_gen_txout out[2] = {{1000000000, spk0, 67}, {4000000000, spk1, 67}};
    struct cs_gen_tx tx = {1, 0, 1, 2, &in, out};
    uint8_t buf[300], txid[2][32], wtxid[32], scratch[2][32], root[32];
    assert_int_equal(cs_gen_tx_write(&tx, buf, sizeof buf, txid[1], wtxid), 275);
    assert_memory_equal(buf, want, 275);
    assert_memory_equal(txid[1], wtxid, 32); /* no witness: wtxid == txid */
    assert_hash_rev(txid[1], "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16");
    assert_int_equal(
        cs_unhex_rev32(txid[0], "b1fea52486ce0c62bb442b530a3f0132b826c74e473d1f2c220bfa78111c5082"),
        0);
    cs_gen_merkle_root((const uint8_t(*)[32])txid, 2, scratch, root);
    assert_hash_rev(root, "7dac2c5666815c17a3b36427de37bb9d2e2c5ccec3f8633eb91a4205cb4c10ff");
    cs_gen_merkle_root((const uint8_t(*)[32])txid, 1, scratch, root);
    assert_memory_equal(root, txid[0], 32);
}

static void test_merkle_odd_and_commitment(void **state)
{
    (void)state;
    uint8_t leaf[3][32], scratch[3][32], root[32], commit[32], want[32], reserved[32] = {0};
    for (int i = 0; i < 3; i++) {
        uint8_t b = (uint8_t)i;
        cs_sha256(&b, 1, leaf[i]);
    }
    /* expected values: Python hashlib, duplicating the odd last node */
    cs_gen_merkle_root((const uint8_t(*)[32])leaf, 3, scratch, root);
    unhex(want, 32, "50fde71c451737ad83c79d791dfda614eeed7e4440971b7a92691919a06ba52b");
    assert_memory_equal(root, want, 32);
    /* witness root over [0^32 (coinbase), leaf1, leaf2], then with reserved 0^32 */
    cs_gen_witness_commitment((const uint8_t(*)[32])leaf, 3, scratch, reserved, commit);
    unhex(want, 32, "07c125f2e2489dcbb92b7dbaa095c02bdb124bdf5fedffe3a6cb7b5ddae2a294");
    assert_memory_equal(commit, want, 32);
    /* a coinbase-only block: SHA256d(0^64) */
    cs_gen_witness_commitment((const uint8_t(*)[32])leaf, 1, scratch, reserved, commit);
    unhex(want, 32, "e2f61c3f71d1defd3fa999dfa36953755c690689799962b48bebd836974e8cf9");
    assert_memory_equal(commit, want, 32);
}

static void test_target_and_pow(void **state)
{
    (void)state;
    uint8_t t[32], want[32] = {0};
    cs_gen_target(0x207fffff, t); /* regtest: 0x7fffff * 256^29 */
    want[31] = 0x7f, want[30] = 0xff, want[29] = 0xff;
    assert_memory_equal(t, want, 32);
    cs_gen_target(0x1d00ffff, t); /* mainnet genesis: 0xffff * 256^26 */
    memset(want, 0, 32);
    want[27] = 0xff, want[26] = 0xff;
    assert_memory_equal(t, want, 32);
    /* the real genesis header meets its target, and misses it by one bit */
    uint8_t hdr[80] = {1}, hash[32];
    uint8_t mr[32];
    assert_int_equal(
        cs_unhex_rev32(mr, "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"), 0);
    memcpy(hdr + 36, mr, 32);
    cs_put_le32(hdr + 68, 1231006505);
    cs_put_le32(hdr + 72, 0x1d00ffff);
    cs_put_le32(hdr + 76, 2083236893);
    cs_sha256d(hdr, 80, hash);
    assert_hash_rev(hash, "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
    assert_true(cs_gen_hash_meets(hash, t));
    cs_gen_target(0x1b00ffff, t); /* 256x harder: 0x0000..19d6 > target */
    assert_false(cs_gen_hash_meets(hash, t));
    assert_true(cs_gen_hash_meets(t, t)); /* equal counts */
    /* grinding at regtest difficulty: the result meets the target */
    memset(hdr, 0, sizeof hdr);
    cs_put_le32(hdr + 72, 0x207fffff);
    assert_int_equal(cs_gen_grind(hdr, 0x207fffff, hash), 0);
    uint8_t check[32];
    cs_sha256d(hdr, 80, check);
    assert_memory_equal(check, hash, 32);
    cs_gen_target(0x207fffff, t);
    assert_true(cs_gen_hash_meets(hash, t));
}

/* ---- addresses, scripts, signatures ---- */

static void test_addresses(void **state)
{
    (void)state;
    static struct cs_gen g;
    static uint8_t prog[4][40];
    static uint8_t type[4];
    memset(&g, 0, sizeof g);
    memset(prog, 0, sizeof prog);
    g.aprog = prog;
    g.atype = type;
    g.p2pkh_ver = 0x00, g.p2sh_ver = 0x05, g.hrp = "bc";
    type[0] = CS_GEN_P2PKH;
    type[1] = CS_GEN_P2SH_P2WPKH;
    type[2] = CS_GEN_P2WPKH;
    unhex(prog[2], 20, "751e76e8199196d454941c45d1b3a323f1433bd6");
    type[3] = CS_GEN_P2TR;
    unhex(prog[3], 32, "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    char a[96];
    uint8_t spk[40];
    /* METHODS.md §6.4 vectors */
    cs_gen_addr_str(&g, 0, a);
    assert_string_equal(a, "1111111111111111111114oLvT2");
    cs_gen_addr_str(&g, 1, a);
    assert_string_equal(a, "31h1vYVSYuKP6AhS86fbRdMw9XHieotbST");
    cs_gen_addr_str(&g, 2, a);
    assert_string_equal(a, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
    cs_gen_addr_str(&g, 3, a);
    assert_string_equal(a, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0");
    assert_int_equal(cs_gen_script(&g, 0, spk), 25);
    assert_true(spk[0] == 0x76 && spk[1] == 0xa9 && spk[2] == 0x14 && spk[23] == 0x88 &&
                spk[24] == 0xac);
    assert_int_equal(cs_gen_script(&g, 1, spk), 23);
    assert_true(spk[0] == 0xa9 && spk[1] == 0x14 && spk[22] == 0x87);
    assert_int_equal(cs_gen_script(&g, 2, spk), 22);
    assert_true(spk[0] == 0x00 && spk[1] == 0x14 && !memcmp(spk + 2, prog[2], 20));
    assert_int_equal(cs_gen_script(&g, 3, spk), 34);
    assert_true(spk[0] == 0x51 && spk[1] == 0x20 && !memcmp(spk + 2, prog[3], 32));
    /* regtest encodings */
    g.p2pkh_ver = 0x6f, g.p2sh_ver = 0xc4, g.hrp = "bcrt";
    cs_gen_addr_str(&g, 2, a);
    assert_true(!strncmp(a, "bcrt1q", 6));
    cs_gen_addr_str(&g, 0, a);
    assert_true(a[0] == 'm' || a[0] == 'n');
    cs_gen_addr_str(&g, 1, a);
    assert_true(a[0] == '2');
}

static void test_sig_shape(void **state)
{
    (void)state;
    static struct cs_gen g;
    memset(&g, 0, sizeof g);
    cs_gen_rng_seed(&g.sigrng, 9);
    int n71 = 0, n72 = 0;
    for (int i = 0; i < 2000; i++) {
        uint8_t s[72];
        int lowr = i & 1;
        uint32_t n = make_sig(&g, s, lowr);
        assert_true(n == 71 || n == 72);
        if (lowr) assert_int_equal(n, 71); /* low-R grinding: always 71 bytes */
        n == 71 ? n71++ : n72++;
        /* DER: 30 len 02 rlen r 02 20 s, then SIGHASH_ALL */
        assert_int_equal(s[0], 0x30);
        assert_int_equal(s[1], n - 3);
        assert_int_equal(s[2], 0x02);
        uint32_t rlen = s[3];
        assert_int_equal(rlen, n - 39);
        if (rlen == 33) assert_true(s[4] == 0 && s[5] >= 0x80);
        if (rlen == 32) assert_true(s[4] > 0 && s[4] < 0x80);
        assert_int_equal(s[4 + rlen], 0x02);
        assert_int_equal(s[5 + rlen], 0x20);
        assert_true(s[6 + rlen] > 0 && s[6 + rlen] < 0x80); /* low S */
        assert_int_equal(s[n - 1], 0x01);
    }
    assert_true(n72 > 300 && n71 > 1000); /* high-R half of the non-ground ones */
}

/* ---- blk file writer ---- */

static char tmpdir[256];

static void make_tmp(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_gen_XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(tmpdir));
}

static void rm_tree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n ? (size_t)n : 1);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void test_blk_writer(void **state)
{
    (void)state;
    make_tmp();
    char path[400];
    /* a leftover from a longer earlier run must disappear */
    snprintf(path, sizeof path, "%s/blk00007.dat", tmpdir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fclose(f);
    struct cs_gen_blkwriter w;
    static const uint8_t magic[4] = {0xfa, 0xbf, 0xb5, 0xda};
    assert_int_equal(cs_gen_blk_open(&w, tmpdir, magic), 0);
    w.max_file = 1000; /* small files, small padding for the test */
    w.pad = 256;
    uint8_t block[300];
    for (int i = 0; i < 7; i++) { /* 7 records of 308 bytes: 3 per file at most */
        memset(block, i + 1, sizeof block);
        assert_int_equal(cs_gen_blk_write(&w, block, sizeof block), 0);
    }
    assert_int_equal(cs_gen_blk_close(&w), 0);
    size_t len;
    uint8_t *p;
    for (int fno = 0; fno < 3; fno++) {
        snprintf(path, sizeof path, "%s/blk%05d.dat", tmpdir, fno);
        p = slurp(path, &len);
        assert_non_null(p);
        /* 924 bytes = 3 x 308; the last file: 308 padded to 512 */
        assert_int_equal(len, fno < 2 ? 924 : 512);
        assert_memory_equal(p, magic, 4);
        assert_int_equal(cs_le32(p + 4), 300);
        assert_int_equal(p[8], 3 * fno + 1);
        if (fno == 2)
            for (size_t k = 308; k < len; k++)
                assert_int_equal(p[k], 0);
        free(p);
    }
    snprintf(path, sizeof path, "%s/blk00003.dat", tmpdir);
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/blk00007.dat", tmpdir);
    assert_int_not_equal(access(path, F_OK), 0);
    rm_tree(tmpdir);
}

/* ---- the whole generator, small ---- */

static int run_gen(const char *dir, uint64_t txs, uint64_t seed, int heist, int regtest)
{
    struct cs_gen_opts o = {dir, txs, seed, heist, regtest, 1};
    return cs_gen_run(&o);
}

static long json_int(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    assert_non_null(p);
    return strtol(p + strlen(pat), NULL, 10);
}

static void test_run_small(void **state)
{
    (void)state;
    make_tmp();
    char a[400], b[400], path[500];
    snprintf(a, sizeof a, "%s/a", tmpdir);
    snprintf(b, sizeof b, "%s/b", tmpdir);
    assert_int_equal(run_gen(a, 2000, 5, 1, 0), 0);
    assert_int_equal(run_gen(b, 2000, 5, 1, 0), 0);
    static const char *files[] = {"blocks/blk00000.dat", "truth/owners.csv", "truth/tags.csv",
                                  "truth/chain.json", "truth/heist.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t la, lb;
        snprintf(path, sizeof path, "%s/%s", a, files[i]);
        uint8_t *pa = slurp(path, &la);
        snprintf(path, sizeof path, "%s/%s", b, files[i]);
        uint8_t *pb = slurp(path, &lb);
        assert_non_null(pa);
        assert_non_null(pb);
        assert_int_equal(la, lb); /* byte-identical for the same arguments */
        assert_memory_equal(pa, pb, la);
        free(pa);
        free(pb);
    }
    size_t len;
    snprintf(path, sizeof path, "%s/truth/chain.json", a);
    char *cj = (char *)slurp(path, &len);
    cj = realloc(cj, len + 1);
    cj[len] = 0;
    /* genesis + 100 maturity blocks + 60 activity blocks */
    assert_int_equal(json_int(cj, "height"), 160);
    assert_int_equal(json_int(cj, "txs"), 2000);
    /* every fee returns to a coinbase and genesis pays an OP_RETURN: the UTXO
     * total is the sum of subsidies, 149 x 50 BTC + 11 x 25 BTC */
    assert_int_equal(json_int(cj, "utxo_total"), 772500000000L);
    assert_int_equal(json_int(cj, "stale_blocks"), 1);
    assert_true(json_int(cj, "out_of_order_pairs") >= 2);
    free(cj);
    /* walk the records: magic, sizes, genesis first, 161 + 1 stale blocks,
     * zero padding to 1 MiB */
    snprintf(path, sizeof path, "%s/blocks/blk00000.dat", a);
    uint8_t *p = slurp(path, &len);
    assert_int_equal(len % (1u << 20), 0);
    size_t off = 0, nrec = 0;
    while (off + 8 <= len && cs_le32(p + off) != 0) {
        assert_true(!memcmp(p + off, "\xf9\xbe\xb4\xd9", 4));
        uint32_t n = cs_le32(p + off + 4);
        if (nrec == 0) {
            static const uint8_t zero[32];
            assert_memory_equal(p + off + 12, zero, 32); /* genesis: prev = 0 */
        }
        off += 8 + n;
        nrec++;
    }
    assert_int_equal(nrec, 162);
    for (; off < len; off++)
        assert_int_equal(p[off], 0);
    free(p);
    /* a different seed gives a different chain */
    assert_int_equal(run_gen(b, 2000, 6, 1, 0), 0);
    size_t la, lb;
    snprintf(path, sizeof path, "%s/blocks/blk00000.dat", a);
    uint8_t *pa = slurp(path, &la);
    snprintf(path, sizeof path, "%s/blocks/blk00000.dat", b);
    uint8_t *pb = slurp(path, &lb);
    assert_true(la != lb || memcmp(pa, pb, la) != 0);
    free(pa);
    free(pb);
    /* regtest: magic and address prefixes */
    assert_int_equal(run_gen(b, 1000, 5, 0, 1), 0);
    snprintf(path, sizeof path, "%s/blocks/blk00000.dat", b);
    pb = slurp(path, &lb);
    assert_true(!memcmp(pb, "\xfa\xbf\xb5\xda", 4));
    free(pb);
    snprintf(path, sizeof path, "%s/truth/owners.csv", b);
    char *ow = (char *)slurp(path, &lb);
    ow = realloc(ow, lb + 1);
    ow[lb] = 0;
    assert_non_null(strstr(ow, "\nbcrt1q"));
    assert_null(strstr(ow, "\nbc1q"));
    free(ow);
    rm_tree(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prng_reference),
        cmocka_unit_test(test_prng_ranges),
        cmocka_unit_test(test_tx_bip143),
        cmocka_unit_test(test_tx_legacy_and_merkle170),
        cmocka_unit_test(test_merkle_odd_and_commitment),
        cmocka_unit_test(test_target_and_pow),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_sig_shape),
        cmocka_unit_test(test_blk_writer),
        cmocka_unit_test(test_run_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
