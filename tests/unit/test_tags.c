/* test_tags.c — tag model, address rules, the YAML subset, importers and the store.
 *
 * Expected numbers for the real files in ../shared/data were counted
 * independently (PyYAML, Python's csv module and a hashlib Base58Check check,
 * no chainsleuth code):
 *   lazarus.yaml 21 tags (20 BTC, 1 ETH); hacks.yaml 608 (403 exchange, 178
 *   abuse service_hack, ...); ofac.yaml 572 of which 4 are not addresses of
 *   their currency (a 64-hex "XMR", two XMR cut to 67 characters, a Tron
 *   address listed as BTC); sanctioned_addresses_XBT.txt 483 lines, 482 valid
 *   Base58Check/Bech32, line 362 is the Tron address TUCsTq...; sdn.csv 295
 *   "Digital Currency Address - " entries, 4 repeating (name, chain, address),
 *   8 cut off by sdn.csv's truncated remarks or not an address of their asset;
 *   etherscan tornado-cash.csv 63 rows.
 * Tests needing the data skip when neither $SHARED nor ../shared has it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evm/evm.h"
#include "tags/tags.h"
#include "util/yaml.h"

/* ---- helpers ---- */

static char shared_dir[1024];

static const char *shared(void)
{
    const char *env = getenv("SHARED");
    const char *cands[] = {env, "../shared", "../../shared"};
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
        if (!cands[i]) continue;
        char p[1100];
        struct stat st;
        snprintf(p, sizeof p, "%s/data/sanctions", cands[i]);
        if (stat(p, &st) == 0) {
            snprintf(shared_dir, sizeof shared_dir, "%s/data", cands[i]);
            return shared_dir;
        }
    }
    return NULL;
}

#define NEED_DATA()                                                                                \
    do {                                                                                           \
        if (!shared()) {                                                                           \
            print_message("skip: no shared data ($SHARED or ../shared/data/sanctions)\n");         \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

static void path_of(char *out, size_t cap, const char *rel)
{
    snprintf(out, cap, "%s/%s", shared(), rel);
}

static struct cs_tagdb *mem_db(void)
{
    struct cs_tagdb *db;
    assert_int_equal(cs_tagdb_open(NULL, 0, &db), 0);
    return db;
}

static int norm(const char *chain, const char *addr, char *out)
{
    char why[160];
    return cs_tag_normalize_address(chain, addr, out, CS_TAG_ADDR_MAX, why, sizeof why);
}

/* imports a string as file `name` */
static int import_str(struct cs_tagdb *db, const char *text, const char *name,
                      const struct cs_tag_import_opts *o, struct cs_tag_import_result *r)
{
    return cs_tagdb_import_buf(db, text, strlen(text), name, o, r);
}

static const struct cs_tag *one(struct cs_tagdb *db, const char *chain, const char *addr,
                                struct cs_tag *buf, size_t *n)
{
    *n = cs_tagdb_lookup(db, chain, addr, buf, 8);
    return *n ? &buf[0] : NULL;
}

static void tmpdir(char *out, size_t cap)
{
    const char *t = getenv("TMPDIR");
    snprintf(out, cap, "%s/cs_tags_XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(out));
}

static void rm_rf(const char *dir)
{
    char p[2048];
    const char *subs[] = {"tags/tags.tsv", "tags/tags.tsv.tmp", "tags/LOCK", "tags", ""};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, subs[i]);
        if (remove(p) != 0 && i < 3) unlink(p);
    }
    rmdir(dir);
}

/* ---- text that must not be stored: NUL, invalid UTF-8, over-long fields ---- */

static void test_bad_text_rejected(void **state)
{
    (void)state;
    struct cs_tagdb *db = mem_db();
    struct cs_tag_import_result r;
    static const char hdr[] = "address,label,category,source\n";
    const char *a = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2";
    /* rows: 2 good, 3 NUL in the label, 4 byte 0xFF, 5 overlong '/', 6 surrogate,
     * 7 good with a 4-byte character */
    char csv[1024];
    size_t n = 0;
    n += (size_t)snprintf(csv + n, sizeof csv - n, "%s%s,Good,exchange,s\n", hdr, a);
    n += (size_t)snprintf(csv + n, sizeof csv - n, "%s,ab", a);
    csv[n++] = 0;
    n += (size_t)snprintf(csv + n, sizeof csv - n, "cd,exchange,s\n");
    n += (size_t)snprintf(csv + n, sizeof csv - n, "%s,bad\xffname,exchange,s\n", a);
    n += (size_t)snprintf(csv + n, sizeof csv - n, "%s,x\xc0\xafy,exchange,s\n", a);
    n += (size_t)snprintf(csv + n, sizeof csv - n, "%s,x\xed\xa0\x80y,exchange,s\n", a);
    n += (size_t)snprintf(csv + n, sizeof csv - n,
                          "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy,"
                          "F\xf0\x9f\x90\x8d,exchange,s\n");
    assert_int_equal(cs_tagdb_import_buf(db, csv, n, "t.csv", NULL, &r), 0);
    assert_int_equal(r.rows, 6);
    assert_int_equal(r.added, 2);
    assert_int_equal(r.rejected, 4);
    unsigned lines[] = {3, 4, 5, 6};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(r.rejects[i].line, lines[i]);
        assert_int_equal(r.rejects[i].reason, CS_TAG_BAD_TEXT);
    }
    assert_string_equal(r.rejects[0].detail, "column 2 holds a NUL byte");
    assert_string_equal(r.rejects[1].detail,
                        "label: invalid UTF-8 (byte 0xff at byte 3 of the field)");
    assert_string_equal(cs_tag_reject_name(CS_TAG_BAD_TEXT), "bad text");
    struct cs_tag buf[8];
    size_t k;
    assert_string_equal(one(db, "btc", a, buf, &k)->label, "Good");
    assert_string_equal(one(db, "btc", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", buf, &k)->label,
                        "F\xf0\x9f\x90\x8d");
    cs_tag_import_result_free(&r);

    /* a field over CS_TAG_FIELD_MAX rejects its row and is not buffered whole;
     * the next row still imports */
    size_t big = (size_t)CS_TAG_FIELD_MAX * 4;
    char *text = malloc(big + 256);
    assert_non_null(text);
    n = (size_t)snprintf(text, 256, "%s%s,\"", hdr, a);
    memset(text + n, 'x', big);
    n += big;
    n += (size_t)snprintf(text + n, 256,
                          "\",exchange,s\n3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy,L,"
                          "exchange,s\n");
    assert_int_equal(cs_tagdb_import_buf(db, text, n, "long.csv", NULL, &r), 0);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.rejects[0].line, 2);
    assert_int_equal(r.rejects[0].reason, CS_TAG_BAD_TEXT);
    assert_string_equal(r.rejects[0].detail, "column 2 is longer than 65536 bytes");
    assert_int_equal(r.added + r.updated + r.unchanged, 1);
    cs_tag_import_result_free(&r);
    free(text);

    /* TagPack: a NUL written as an escape in a quoted scalar, in a tag and in
     * the header (which every tag inherits) */
    static const char pack[] = "title: P\ncurrency: BTC\nsource: s\ncategory: exchange\n"
                               "tags:\n"
                               "- address: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2\n" /* 6 */
                               "  label: \"a\\0b\"\n"
                               "- address: 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy\n" /* 8 */
                               "  label: fine\n";
    assert_int_equal(import_str(db, pack, "p.yaml", NULL, &r), 0);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.rejects[0].line, 6);
    assert_string_equal(r.rejects[0].detail, "label holds a NUL byte");
    cs_tag_import_result_free(&r);
    static const char pack2[] = "title: P\ncurrency: BTC\nsource: \"s\\0\"\n"
                                "category: exchange\nlabel: L\ntags:\n"
                                "- address: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2\n";
    assert_int_equal(import_str(db, pack2, "p2.yaml", NULL, &r), 0);
    assert_int_equal(r.rejected, 1);
    assert_string_equal(r.rejects[0].detail, "source holds a NUL byte");
    cs_tag_import_result_free(&r);

    /* a TagPack context cut at a character boundary stays valid UTF-8: a
     * 61-byte actor whose 60th and 61st bytes are one character */
    char pack3[512];
    char actor[64];
    memset(actor, 'a', 59);
    memcpy(actor + 59, "\xc3\xa9", 3); /* 59 + 2 bytes: the cut at 60 falls inside */
    snprintf(pack3, sizeof pack3,
             "title: P\ncurrency: BTC\nsource: s\ncategory: exchange\nlabel: L\nactor: %s\n"
             "tags:\n- address: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2\n",
             actor);
    assert_int_equal(import_str(db, pack3, "p3.yaml", NULL, &r), 0);
    assert_int_equal(r.rejected, 0);
    k = cs_tagdb_lookup(db, "btc", a, buf, 8);
    const struct cs_tag *t = NULL;
    for (size_t i = 0; i < k; i++)
        if (strstr(buf[i].context, "; actor=aaaa")) t = &buf[i];
    assert_non_null(t);
    assert_null(strstr(t->context, "\xc3")); /* the cut dropped the whole character */
    assert_non_null(strstr(t->context, "; actor="
                                       "aaaaaaaaaa"
                                       "aaaaaaaaaa"
                                       "aaaaaaaaaa"
                                       "aaaaaaaaaa"
                                       "aaaaaaaaaa"
                                       "aaaaaaaaa"));
    cs_tag_import_result_free(&r);
    cs_tagdb_close(db);
}

/* The .json OFAC list goes through the project's JSON parser: escapes are
 * resolved, non-strings and NULs rejected with their line, syntax errors and
 * invalid UTF-8 fail the file naming the byte. */
static void test_ofac_json_list(void **state)
{
    (void)state;
    struct cs_tagdb *db = mem_db();
    struct cs_tag_import_result r;
    static const char list[] = "[\"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2\",\n 7,\n"
                               " \"1Bv\\u0000x\",\n \"3J98t1WpEZ73CNmQv\\u0069ecrnyiWrnqRhWNLy\"]";
    assert_int_equal(import_str(db, list, "sanctioned_addresses_XBT.json", NULL, &r), 0);
    assert_int_equal(r.format, CS_TAGFMT_OFAC_LIST);
    assert_int_equal(r.added, 2);
    assert_int_equal(r.rejected, 2);
    assert_int_equal(r.rejects[0].line, 2);
    assert_int_equal(r.rejects[0].reason, CS_TAG_BAD_ENTRY);
    assert_int_equal(r.rejects[1].line, 3);
    assert_int_equal(r.rejects[1].reason, CS_TAG_BAD_TEXT);
    struct cs_tag buf[8];
    size_t k;
    assert_non_null(one(db, "btc", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", buf, &k));
    cs_tag_import_result_free(&r);
    assert_int_equal(
        import_str(db, "[\"abc\", \"\xff\"]", "sanctioned_addresses_ETH.json", NULL, &r),
        CS_EFORMAT);
    assert_non_null(strstr(cs_errmsg(), "byte 9"));
    assert_int_equal(import_str(db, "[\"abc\",", "sanctioned_addresses_ETH.json", NULL, &r),
                     CS_EFORMAT);
    /* a .txt list whose first lines are blank still counts lines from 1 */
    assert_int_equal(import_str(db, "\n\n1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2x\n",
                                "sanctioned_addresses_XBT.txt", NULL, &r),
                     0);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.rejects[0].line, 3);
    cs_tag_import_result_free(&r);
    cs_tagdb_close(db);
}

/* ---- categories ---- */

static void test_categories(void **state)
{
    (void)state;
    static const char *names[] = {
        "exchange",   "mixer", "bridge",  "defi",     "sanctioned", "stolen_funds", "hacker_group",
        "ransomware", "scam",  "darknet", "gambling", "miner",      "p2p_otc",      "other"};
    assert_int_equal(CS_TAG_NCATEGORIES, 14);
    for (int i = 0; i < CS_TAG_NCATEGORIES; i++) {
        assert_string_equal(cs_tag_category_name(i), names[i]);
        assert_int_equal(cs_tag_category_parse(names[i]), i);
        assert_non_null(cs_tag_category_describe(i));
    }
    assert_null(cs_tag_category_name(14));
    assert_int_equal(cs_tag_category_parse("Mixer"), CS_TAG_MIXER);
    assert_int_equal(cs_tag_category_parse("mixing_service"), -1);
    assert_int_equal(cs_tag_category_from_concept("mixing_service", "btc"), CS_TAG_MIXER);
    assert_int_equal(cs_tag_category_from_concept("coinjoin", "btc"), CS_TAG_MIXER);
    assert_int_equal(cs_tag_category_from_concept("perpetrator", NULL), CS_TAG_HACKER_GROUP);
    assert_int_equal(cs_tag_category_from_concept("sanction", NULL), CS_TAG_SANCTIONED);
    assert_int_equal(cs_tag_category_from_concept("service_hack", NULL), CS_TAG_STOLEN_FUNDS);
    assert_int_equal(cs_tag_category_from_concept("sextortion", NULL), CS_TAG_SCAM);
    assert_int_equal(cs_tag_category_from_concept("ponzi_scheme", NULL), CS_TAG_SCAM);
    assert_int_equal(cs_tag_category_from_concept("market", "btc"), CS_TAG_DARKNET);
    assert_int_equal(cs_tag_category_from_concept("market", "eth"), CS_TAG_OTHER);
    assert_int_equal(cs_tag_category_from_concept("dark_web", "eth"), CS_TAG_DARKNET);
    assert_int_equal(cs_tag_category_from_concept("mining_service", NULL), CS_TAG_MINER);
    assert_int_equal(cs_tag_category_from_concept("defi_lending", NULL), CS_TAG_DEFI);
    assert_int_equal(cs_tag_category_from_concept("defi_dex", NULL), CS_TAG_DEFI);
    assert_int_equal(cs_tag_category_from_concept("otc", NULL), CS_TAG_P2P_OTC);
    assert_int_equal(cs_tag_category_from_concept("p2p", NULL), CS_TAG_P2P_OTC);
    assert_int_equal(cs_tag_category_from_concept("user", NULL), CS_TAG_OTHER);
    assert_int_equal(cs_tag_category_from_concept("no_such_word", NULL), -1);
    assert_int_equal(cs_tag_confidence_from_word("authority_data"), 60);
    assert_int_equal(cs_tag_confidence_from_word("ownership"), 100);
    assert_int_equal(cs_tag_confidence_from_word("web_crawl"), 20);
    assert_int_equal(cs_tag_confidence_from_word("sure"), -1);
    assert_int_equal(cs_tag_format_parse("ofac-sdn-csv"), CS_TAGFMT_OFAC_SDN_CSV);
    assert_string_equal(cs_tag_format_name(CS_TAGFMT_TAGPACK), "tagpack");
}

/* ---- addresses ---- */

static void test_evm_eip55(void **state)
{
    (void)state;
    char out[CS_TAG_ADDR_MAX];
    /* the EIP-55 specification's examples */
    const char *ok[] = {
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        "0x52908400098527886E0F7030069857D2E4169EE7", /* all caps: no checksum */
        "0xde709f2102306220921060314715629080e2fb77"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_int_equal(norm("eth", ok[i], out), CS_TAG_OK);
    assert_int_equal(norm("eth", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", out), CS_TAG_OK);
    assert_string_equal(out, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
    /* one letter's case flipped */
    assert_int_equal(norm("eth", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", out),
                     CS_TAG_BAD_CHECKSUM);
    assert_int_equal(norm("bsc", "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", out),
                     CS_TAG_BAD_CHECKSUM);
    assert_int_equal(norm("eth", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae", out),
                     CS_TAG_BAD_ADDRESS);
    assert_int_equal(norm("eth", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg", out),
                     CS_TAG_BAD_ADDRESS);
    assert_int_equal(norm("eth", "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00", out),
                     CS_TAG_BAD_ADDRESS);
}

static void test_btc_forms(void **state)
{
    (void)state;
    char out[CS_TAG_ADDR_MAX];
    assert_int_equal(norm("btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", out), CS_TAG_OK);
    assert_string_equal(out, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2");
    assert_int_equal(norm("btc", " 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy ", out), CS_TAG_OK);
    assert_string_equal(out, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy");
    assert_int_equal(norm("btc", "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", out),
                     CS_TAG_OK); /* testnet */
    assert_int_equal(norm("btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", out), CS_TAG_BAD_CHECKSUM);
    assert_int_equal(norm("btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN0", out), CS_TAG_BAD_ADDRESS);
    assert_int_equal(norm("btc", "LaizKtS5DUhPuP1nTQcc83MS7HwK6vk85z", out), CS_TAG_BAD_ADDRESS);
    assert_int_equal(norm("ltc", "LaizKtS5DUhPuP1nTQcc83MS7HwK6vk85z", out), CS_TAG_OK);
    /* BIP173 / BIP350 vectors: upper case is valid and stored lower */
    assert_int_equal(norm("btc", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", out), CS_TAG_OK);
    assert_string_equal(out, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
    assert_int_equal(
        norm("btc", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", out),
        CS_TAG_OK);
    assert_int_equal(
        norm("btc", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", out),
        CS_TAG_OK);
    assert_int_equal(norm("btc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", out),
                     CS_TAG_BAD_CHECKSUM);
    /* BIP350: v0 program with a Bech32m checksum */
    assert_int_equal(norm("btc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", out),
                     CS_TAG_BAD_CHECKSUM);
    assert_int_equal(norm("btc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3tb", out),
                     CS_TAG_BAD_ADDRESS);
    assert_int_equal(norm("btc", "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", out),
                     CS_TAG_BAD_ADDRESS);
}

static void test_other_chains(void **state)
{
    (void)state;
    char out[CS_TAG_ADDR_MAX];
    /* CashAddr specification example (legacy 1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu) */
    assert_int_equal(norm("bch", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", out),
                     CS_TAG_OK);
    assert_string_equal(out, "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a");
    assert_int_equal(norm("bch", "QPM2QSZNHKS23Z7629MMS6S4CWEF74VCWVY22GDX6A", out), CS_TAG_OK);
    assert_int_equal(norm("bch", "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6c", out),
                     CS_TAG_BAD_CHECKSUM);
    assert_int_equal(norm("bch", "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", out), CS_TAG_OK);
    /* addresses from OFAC's lists */
    assert_int_equal(norm("xmr",
                          "49HqitRzdnhYjgTEAhgGpCfsjdTeMbUTU6cyR4JV1R7k2Eej9rGT8JpFiYDa4tZM6RZiFrHm"
                          "MzgSrhHEqpDYKBe5B2ufNsL",
                          out),
                     CS_TAG_OK);
    assert_int_equal(norm("xmr",
                          "49HqitRzdnhYjgTEAhgGpCfsjdTeMbUTU6cyR4JV1R7k2Eej9rGT8JpFiYDa4tZM6RZiFrHm"
                          "MzgSrhHEqpDYKBe5B2ufNsM",
                          out),
                     CS_TAG_BAD_CHECKSUM);
    assert_int_equal(
        norm("xmr", "5be5543ff73456ab9f2d207887e2af87322c651ea1a873c5b25b7ffae456c320", out),
        CS_TAG_BAD_ADDRESS);
    assert_int_equal(norm("xrp", "rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh66", out), CS_TAG_OK);
    assert_int_equal(norm("xrp", "rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh67", out), CS_TAG_BAD_CHECKSUM);
    assert_int_equal(norm("zec", "t1MMXtBrSp1XG38Lx9cePcNUCJj5vdWfUWL", out), CS_TAG_OK);
    assert_int_equal(norm("trx", "TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre", out), CS_TAG_OK);
    assert_int_equal(norm("dash", "XnPFsRWTaSgiVauosEwQ6dEitGYXgwznz2", out), CS_TAG_OK);
    assert_int_equal(norm("btg", "GPwg61XoHqQPNmAucFACuQ5H9sGCDv9TpS", out), CS_TAG_OK);
    assert_int_equal(norm("xvg", "DFFJhnQNZf8rf67tYnesPu7MuGUpYtzv7Z", out), CS_TAG_OK);
    assert_int_equal(norm("btc", "TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre", out), CS_TAG_BAD_ADDRESS);
    assert_int_equal(norm("eos", "binancecold1", out), CS_TAG_UNKNOWN_CHAIN);
    assert_int_equal(norm(NULL, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", out), CS_TAG_UNKNOWN_CHAIN);

    assert_string_equal(cs_tag_chain_from_name("XBT", NULL), "btc");
    assert_string_equal(cs_tag_chain_from_name("eth", NULL), "eth");
    assert_string_equal(cs_tag_chain_from_name("BEP20", NULL), "bsc");
    assert_string_equal(cs_tag_chain_from_name("Ripple", NULL), "xrp");
    assert_string_equal(
        cs_tag_chain_from_name("USDT", "0x19aa5fe80d33a56d56c78e82ea5e50e5d80b4dff"), "eth");
    assert_string_equal(cs_tag_chain_from_name("USDT", "TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre"),
                        "trx");
    assert_string_equal(cs_tag_chain_from_name("USDT", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
                        "btc");
    assert_null(cs_tag_chain_from_name("EOS", "binancecold1"));
    assert_null(cs_tag_chain_from_name("USDT", "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU"));
}

/* ---- YAML subset (expected values checked against PyYAML's BaseLoader) ---- */

static void test_yaml_subset(void **state)
{
    (void)state;
    static const char doc[] = "%YAML 1.1\n---\n# pack\n"
                              "title: 'it''s\n  folded'\n"
                              "d: \"tab\\there \\u00e9\"\n"
                              "plain: a\n  b\n\n  c\n"
                              "lit: |\n  x\n   y\n"
                              "flow: {k: [1, \"two\"], e: }\n"
                              "empty:\n"
                              "tags:\n"
                              "- address: 1abc # comment\n"
                              "  currency: BTC\n"
                              "-\n"
                              "  address: '0x01'\n"
                              "- - nested\n"
                              "...\n"
                              "ignored: [\n";
    struct cs_yaml_doc *d;
    assert_int_equal(cs_yaml_parse(doc, sizeof doc - 1, "t", &d), 0);
    const struct cs_yaml_node *r = cs_yaml_root(d);
    assert_int_equal(r->kind, CS_YAML_MAP);
    assert_string_equal(cs_yaml_str(cs_yaml_get(r, "title")), "it's folded");
    assert_string_equal(cs_yaml_str(cs_yaml_get(r, "d")), "tab\there \xc3\xa9");
    assert_string_equal(cs_yaml_str(cs_yaml_get(r, "plain")), "a b\nc");
    assert_string_equal(cs_yaml_str(cs_yaml_get(r, "lit")), "x\n y\n");
    const struct cs_yaml_node *fl = cs_yaml_get(r, "flow");
    assert_int_equal(fl->kind, CS_YAML_MAP);
    const struct cs_yaml_node *k = cs_yaml_get(fl, "k");
    assert_int_equal(k->count, 2);
    assert_string_equal(k->child->next->str, "two");
    assert_int_equal(cs_yaml_get(fl, "e")->kind, CS_YAML_NULL);
    assert_int_equal(cs_yaml_get(r, "empty")->kind, CS_YAML_NULL);
    assert_null(cs_yaml_get(r, "ignored"));
    const struct cs_yaml_node *tags = cs_yaml_get(r, "tags");
    assert_int_equal(tags->kind, CS_YAML_SEQ);
    assert_int_equal(tags->count, 3);
    assert_string_equal(cs_yaml_str(cs_yaml_get(tags->child, "address")), "1abc");
    assert_int_equal(tags->child->line, 17);
    assert_string_equal(cs_yaml_str(cs_yaml_get(tags->child->next, "address")), "0x01");
    assert_int_equal(tags->child->next->next->kind, CS_YAML_SEQ);
    cs_yaml_free(d);

    static const char *bad[] = {"a:\n\tb: 1\n",   "a: &x 1\n",         "a: \"open\n",
                                "a: 1\n  b: 2\n", "a:\n  - x\n - y\n", "a: [1, 2\n",
                                "a: b: c\n",      "? a\n: b\n",        "a: 1\n- b\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cs_yaml_parse(bad[i], strlen(bad[i]), "bad", &d), CS_EFORMAT);
        assert_non_null(strstr(cs_errmsg(), "bad: line "));
    }
    char deep[300];
    memset(deep, '[', 150);
    memset(deep + 150, ']', 150);
    assert_int_equal(cs_yaml_parse(deep, sizeof deep, "deep", &d), CS_ERANGE);
}

/* ---- the table in memory ---- */

static void test_add_lookup_identity(void **state)
{
    (void)state;
    struct cs_tagdb *db = mem_db();
    struct cs_tag t = {"eth",
                       "0x098B716B8Aaf21512996dC57EB0615e2383E2f96",
                       "Lazarus Group",
                       "FBI",
                       "",
                       CS_TAG_HACKER_GROUP,
                       60};
    int out, reason;
    assert_int_equal(cs_tagdb_add(db, &t, &out, &reason), 0);
    assert_int_equal(out, CS_TAG_ADDED);
    assert_int_equal(cs_tagdb_add(db, &t, &out, &reason), 0);
    assert_int_equal(out, CS_TAG_UNCHANGED);
    t.confidence = 40; /* lower: kept at 60 */
    assert_int_equal(cs_tagdb_add(db, &t, &out, &reason), 0);
    assert_int_equal(out, CS_TAG_UNCHANGED);
    t.confidence = 90;
    assert_int_equal(cs_tagdb_add(db, &t, &out, &reason), 0);
    assert_int_equal(out, CS_TAG_UPDATED);
    t.context = "note";
    assert_int_equal(cs_tagdb_add(db, &t, &out, &reason), 0);
    assert_int_equal(out, CS_TAG_UPDATED);
    t.context = "other note"; /* a context is never replaced */
    assert_int_equal(cs_tagdb_add(db, &t, &out, &reason), 0);
    assert_int_equal(out, CS_TAG_UNCHANGED);
    t.category = CS_TAG_SANCTIONED; /* new identity, same address */
    assert_int_equal(cs_tagdb_add(db, &t, &out, &reason), 0);
    assert_int_equal(out, CS_TAG_ADDED);
    struct cs_tag buf[8];
    assert_int_equal(
        cs_tagdb_lookup(db, "eth", "0x098b716b8aaf21512996dc57eb0615e2383e2f96", buf, 8), 2);
    assert_string_equal(buf[0].label, "Lazarus Group");
    assert_int_equal(buf[0].confidence, 90);
    assert_string_equal(buf[0].context, "note");
    assert_int_equal(buf[1].category, CS_TAG_SANCTIONED);
    /* lookups take canonical strings only */
    assert_int_equal(
        cs_tagdb_lookup(db, "eth", "0x098B716B8Aaf21512996dC57EB0615e2383E2f96", buf, 8), 0);
    assert_int_equal(
        cs_tagdb_lookup(db, "bsc", "0x098b716b8aaf21512996dc57eb0615e2383e2f96", buf, 8), 0);
    /* invalid tags */
    struct cs_tag b = {"btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", "x", "y", "", CS_TAG_OTHER, 5};
    assert_int_equal(cs_tagdb_add(db, &b, &out, &reason), CS_EFORMAT);
    assert_int_equal(reason, CS_TAG_BAD_CHECKSUM);
    b.address = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2";
    b.confidence = 101;
    assert_int_equal(cs_tagdb_add(db, &b, &out, &reason), CS_EFORMAT);
    assert_int_equal(reason, CS_TAG_BAD_CONFIDENCE);
    /* find: filters combine */
    struct cs_tag_filter f = {.category = -1,
                              .address = "0x098B716B8AAF21512996DC57EB0615E2383E2F96"};
    size_t cur = 0, n = 0;
    while (cs_tagdb_find(db, &f, &cur, buf))
        n++;
    assert_int_equal(n, 2);
    f.category = CS_TAG_HACKER_GROUP;
    f.label = "lazarus";
    cur = n = 0;
    while (cs_tagdb_find(db, &f, &cur, buf))
        n++;
    assert_int_equal(n, 1);
    f.label = "nobody";
    cur = 0;
    assert_int_equal(cs_tagdb_find(db, &f, &cur, buf), 0);
    cs_tagdb_close(db);
}

/* ---- CSV ---- */

static void test_csv_rejects(void **state)
{
    (void)state;
    static const char csv[] =
        "address,label,category,source,confidence,chain\n"
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2,good btc,exchange,test,80,btc\n"           /* 2 */
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3,bad base58 checksum,scam,test,,btc\n"      /* 3 */
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5,bad bech32 checksum,scam,test,,\n" /* 4 */
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD,bad eip55,scam,test,0.5,eth\n"     /* 5 */
        "binancecold1,eos wallet,exchange,test,,EOS\n"                                 /* 6 */
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed,\"multi\nline "
        "label\",mixing_service,test,0.85,\n"
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2,x,nonsense,test,,\n" /* 9 */
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2,x,scam,test,150,\n"  /* 10 */
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2,,scam,test,,\n"      /* 11 */
        "\n"
        "bitcoin-cash-thing,x,scam,test,,\n"; /* 13 */
    struct cs_tagdb *db = mem_db();
    struct cs_tag_import_result r;
    assert_int_equal(import_str(db, csv, "t.csv", NULL, &r), 0);
    assert_int_equal(r.format, CS_TAGFMT_CSV);
    assert_int_equal(r.rows, 10);
    assert_int_equal(r.added, 2);
    assert_int_equal(r.rejected, 8);
    assert_int_equal(r.nrejects, 8);
    static const struct {
        unsigned line;
        int reason;
    } want[] = {{3, CS_TAG_BAD_CHECKSUM},   {4, CS_TAG_BAD_CHECKSUM},  {5, CS_TAG_BAD_CHECKSUM},
                {6, CS_TAG_UNKNOWN_CHAIN},  {9, CS_TAG_BAD_CATEGORY},  {10, CS_TAG_BAD_CONFIDENCE},
                {11, CS_TAG_MISSING_FIELD}, {13, CS_TAG_UNKNOWN_CHAIN}};
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(r.rejects[i].line, want[i].line);
        assert_int_equal(r.rejects[i].reason, want[i].reason);
    }
    assert_string_equal(cs_tag_reject_name(r.rejects[0].reason), "bad checksum");
    assert_string_equal(cs_tag_reject_name(r.rejects[3].reason), "unknown chain");
    assert_string_equal(r.rejects[0].address, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3");
    /* line 7: chain by shape, mixed-case EIP-55 valid, fraction confidence, concept category */
    struct cs_tag buf[8];
    size_t n;
    const struct cs_tag *t = one(db, "eth", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", buf, &n);
    assert_non_null(t);
    assert_string_equal(t->label, "multi\nline label");
    assert_int_equal(t->category, CS_TAG_MIXER);
    assert_int_equal(t->confidence, 85);
    t = one(db, "btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", buf, &n);
    assert_int_equal(n, 1);
    assert_int_equal(t->confidence, 80);
    cs_tag_import_result_free(&r);
    /* the same file again: nothing changes */
    assert_int_equal(import_str(db, csv, "t.csv", NULL, &r), 0);
    assert_int_equal(r.added, 0);
    assert_int_equal(r.unchanged, 2);
    assert_int_equal(r.rejected, 8);
    cs_tag_import_result_free(&r);
    cs_tagdb_close(db);
}

static void test_csv_optional_columns(void **state)
{
    (void)state;
    struct cs_tagdb *db = mem_db();
    struct cs_tag_import_result r;
    /* only the four required columns, CRLF, a BOM, columns in another order */
    static const char csv[] = "\xef\xbb\xbf"
                              "Source,Address,Label,Category\r\n"
                              "web,1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2,A,exchange\r\n"
                              "web,TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre,B,scam\r\n";
    assert_int_equal(import_str(db, csv, "o.csv", NULL, &r), 0);
    assert_int_equal(r.added, 2);
    struct cs_tag buf[8];
    size_t n;
    const struct cs_tag *t = one(db, "btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", buf, &n);
    assert_non_null(t);
    assert_int_equal(t->confidence, 50);
    assert_string_equal(t->source, "web");
    assert_non_null(one(db, "trx", "TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre", buf, &n));
    cs_tag_import_result_free(&r);

    /* no category column: an error unless a default is given */
    static const char nocat[] = "address,name\n0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed,Thing\n";
    struct cs_tag_import_opts o = {.format = CS_TAGFMT_CSV};
    assert_int_equal(import_str(db, nocat, "n.csv", &o, &r), CS_EFORMAT);
    assert_non_null(strstr(cs_errmsg(), "'category'"));
    cs_tag_import_result_free(&r);
    o.category = "bridge";
    o.source = "manual";
    o.chain = "polygon";
    assert_int_equal(import_str(db, nocat, "n.csv", &o, &r), 0);
    assert_int_equal(r.added, 1);
    t = one(db, "polygon", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", buf, &n);
    assert_non_null(t);
    assert_int_equal(t->category, CS_TAG_BRIDGE);
    assert_string_equal(t->label, "Thing");
    cs_tag_import_result_free(&r);
    assert_int_equal(import_str(db, "a,b\n\"open\n", "q.csv", &o, &r), CS_EFORMAT);
    cs_tag_import_result_free(&r);
    cs_tagdb_close(db);
}

static void test_format_guess(void **state)
{
    (void)state;
    assert_int_equal(cs_tag_format_guess("address,label,category,source\n", 31, "x"),
                     CS_TAGFMT_CSV);
    const char *sdn = "36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- \n";
    assert_int_equal(cs_tag_format_guess(sdn, strlen(sdn), "x"), CS_TAGFMT_OFAC_SDN_CSV);
    const char *list = "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX\n125W5ek3DT6Zqy5S2iPt4FHQdNMCbZA3FU\n";
    assert_int_equal(cs_tag_format_guess(list, strlen(list), "x"), CS_TAGFMT_OFAC_LIST);
    const char *json = "[\n  \"0x01\"\n]\n";
    assert_int_equal(cs_tag_format_guess(json, strlen(json), "x"), CS_TAGFMT_OFAC_LIST);
    const char *pack = "title: t\ncreator: c\ntags:\n- address: 1x\n";
    assert_int_equal(cs_tag_format_guess(pack, strlen(pack), "x"), CS_TAGFMT_TAGPACK);
    const char *junk = "hello world, this is\nnot a tag file\n";
    assert_int_equal(cs_tag_format_guess(junk, strlen(junk), "junk"), CS_EFORMAT);
    assert_non_null(strstr(cs_errmsg(), "--format"));
}

static void test_tagpack_inline(void **state)
{
    (void)state;
    static const char pack[] = "title: Test pack\ncreator: me\nsource: https://example.org\n"
                               "currency: BTC\ncategory: exchange\nconfidence: forensic\n"
                               "label: Some Exchange\n"
                               "tags:\n"
                               "- address: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2\n" /* 9 */
                               "- address: 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy\n" /* 10 */
                               "  abuse: ransomware\n  label: Locker\n  confidence: 77\n"
                               "- address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'\n" /* 14 */
                               "  currency: ETH\n  actor: lazarusgroup\n"
                               "- address: binancecold1\n  currency: EOS\n"       /* 17 */
                               "- tx_hash: '0xabc'\n"                             /* 19 */
                               "- just a string\n"                                /* 20 */
                               "- address: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2\n"; /* 21 */
    struct cs_tagdb *db = mem_db();
    struct cs_tag_import_result r;
    assert_int_equal(import_str(db, pack, "p.yaml", NULL, &r), 0);
    assert_int_equal(r.format, CS_TAGFMT_TAGPACK);
    assert_int_equal(r.rows, 7);
    assert_int_equal(r.added, 3);
    assert_int_equal(r.unchanged, 1);
    assert_int_equal(r.rejected, 3);
    assert_int_equal(r.rejects[0].line, 17);
    assert_int_equal(r.rejects[0].reason, CS_TAG_UNKNOWN_CHAIN);
    assert_int_equal(r.rejects[1].line, 19);
    assert_int_equal(r.rejects[1].reason, CS_TAG_BAD_ENTRY);
    assert_int_equal(r.rejects[2].line, 20);
    struct cs_tag buf[8];
    size_t n;
    const struct cs_tag *t = one(db, "btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", buf, &n);
    assert_string_equal(t->label, "Some Exchange");
    assert_int_equal(t->category, CS_TAG_EXCHANGE);
    assert_int_equal(t->confidence, 50);
    assert_string_equal(t->source, "https://example.org");
    t = one(db, "btc", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", buf, &n);
    assert_string_equal(t->label, "Locker");
    assert_int_equal(t->category, CS_TAG_RANSOMWARE); /* abuse beats the header's category */
    assert_int_equal(t->confidence, 77);
    t = one(db, "eth", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", buf, &n);
    assert_string_equal(t->label, "Lazarus Group");
    assert_int_equal(t->category, CS_TAG_HACKER_GROUP);
    assert_non_null(strstr(t->context, "actor=lazarusgroup"));
    cs_tag_import_result_free(&r);
    /* a YAML syntax error adds nothing */
    size_t before = cs_tagdb_count(db);
    static const char broken[] = "title: x\ntags:\n- address: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2\n"
                                 "  currency: BTC\n  label: [unclosed\n";
    assert_int_equal(import_str(db, broken, "b.yaml", NULL, &r), CS_EFORMAT);
    assert_non_null(strstr(cs_errmsg(), "b.yaml: line"));
    assert_int_equal(cs_tagdb_count(db), before);
    cs_tag_import_result_free(&r);
    assert_int_equal(import_str(db, "title: x\n", "n.yaml",
                                &(struct cs_tag_import_opts){.format = CS_TAGFMT_TAGPACK}, &r),
                     CS_EFORMAT);
    cs_tag_import_result_free(&r);
    cs_tagdb_close(db);
}

/* ---- the store on disk ---- */

static void test_store_files(void **state)
{
    (void)state;
    char dir[1024], dbdir[1100], path[1200];
    tmpdir(dir, sizeof dir);
    snprintf(dbdir, sizeof dbdir, "%s/db", dir);
    struct cs_tagdb *db, *db2;
    assert_int_equal(cs_tagdb_open(dbdir, 0, &db), CS_ENOTFOUND);
    assert_int_equal(cs_tagdb_open(dbdir, CS_TAGDB_WRITE, &db), 0);
    assert_int_equal(cs_tagdb_open(dbdir, CS_TAGDB_WRITE, &db2), CS_ELOCKED);
    struct cs_tag t = {
        "btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "A\tB\\C\nD", "src", "ctx", CS_TAG_SCAM, 70};
    int out;
    assert_int_equal(cs_tagdb_add(db, &t, &out, NULL), 0);
    t.address = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
    assert_int_equal(cs_tagdb_add(db, &t, &out, NULL), 0);
    assert_int_equal(cs_tagdb_commit(db), 0);
    cs_tagdb_close(db);
    snprintf(path, sizeof path, "%s/tags/tags.tsv", dbdir);
    struct stat st1, st2;
    assert_int_equal(stat(path, &st1), 0);

    /* reopen read-only: same content, escapes round-trip */
    assert_int_equal(cs_tagdb_open(dbdir, 0, &db), 0);
    assert_int_equal(cs_tagdb_count(db), 2);
    struct cs_tag buf[4];
    assert_int_equal(
        cs_tagdb_lookup(db, "btc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", buf, 4), 1);
    assert_string_equal(buf[0].label, "A\tB\\C\nD");
    assert_string_equal(buf[0].context, "ctx");
    assert_int_equal(buf[0].confidence, 70);
    cs_tagdb_close(db);

    /* unchanged table: commit does not rewrite the file */
    assert_int_equal(cs_tagdb_open(dbdir, CS_TAGDB_WRITE, &db), 0);
    t.address = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2";
    assert_int_equal(cs_tagdb_add(db, &t, &out, NULL), 0);
    assert_int_equal(out, CS_TAG_UNCHANGED);
    assert_int_equal(cs_tagdb_commit(db), 0);
    cs_tagdb_close(db);
    assert_int_equal(stat(path, &st2), 0);
    assert_int_equal(st1.st_ino, st2.st_ino);

    /* a stale tags.tsv.tmp from a crash is ignored */
    char tmp[1300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs("#chainsleuth-tags\t2\ns\tbtc\nt\t0\t", f); /* half-written */
    fclose(f);
    assert_int_equal(cs_tagdb_open(dbdir, 0, &db), 0);
    assert_int_equal(cs_tagdb_count(db), 2);
    cs_tagdb_close(db);

    /* one changed byte is detected */
    f = fopen(path, "r+");
    assert_non_null(f);
    fseek(f, 25, SEEK_SET);
    int ch = fgetc(f);
    fseek(f, 25, SEEK_SET);
    fputc(ch == 'x' ? 'y' : 'x', f);
    fclose(f);
    assert_int_equal(cs_tagdb_open(dbdir, 0, &db), CS_ECORRUPT);
    assert_non_null(strstr(cs_errmsg(), "checksum"));
    /* truncation too */
    assert_int_equal(truncate(path, st1.st_size / 2), 0);
    assert_int_equal(cs_tagdb_open(dbdir, 0, &db), CS_ECORRUPT);
    rm_rf(dbdir);
    rmdir(dir);
}

/* ---- real files ---- */

static void test_real_lazarus_and_idempotence(void **state)
{
    (void)state;
    NEED_DATA();
    char p[1200], dir[1024], dbdir[1100];
    tmpdir(dir, sizeof dir);
    snprintf(dbdir, sizeof dbdir, "%s/db", dir);
    path_of(p, sizeof p, "tags/graphsense-tagpacks/packs/lazarus.yaml");
    struct cs_tagdb *db;
    struct cs_tag_import_result r;
    assert_int_equal(cs_tagdb_open(dbdir, CS_TAGDB_WRITE, &db), 0);
    assert_int_equal(cs_tagdb_import_file(db, p, NULL, &r), 0);
    assert_int_equal(r.format, CS_TAGFMT_TAGPACK);
    assert_int_equal(r.rows, 21);
    assert_int_equal(r.added, 21);
    assert_int_equal(r.rejected, 0);
    cs_tag_import_result_free(&r);
    assert_int_equal(cs_tagdb_commit(db), 0);
    cs_tagdb_close(db);

    assert_int_equal(cs_tagdb_open(dbdir, CS_TAGDB_WRITE, &db), 0);
    struct cs_tag buf[8];
    size_t n;
    const struct cs_tag *t = one(db, "btc", "134r8iHv69xdT6p5qVKTsHrcUEuBVZAYak", buf, &n);
    assert_int_equal(n, 1);
    assert_string_equal(t->label, "Lazarus Group"); /* the pack says "Lazarus group" */
    assert_int_equal(t->category, CS_TAG_HACKER_GROUP);
    assert_int_equal(t->confidence, 60); /* authority_data */
    t = one(db, "eth", "0x098b716b8aaf21512996dc57eb0615e2383e2f96", buf, &n);
    assert_non_null(t);
    assert_int_equal(t->category, CS_TAG_HACKER_GROUP);
    /* second import: 0 added, 21 unchanged */
    assert_int_equal(cs_tagdb_import_file(db, p, NULL, &r), 0);
    assert_int_equal(r.added, 0);
    assert_int_equal(r.updated, 0);
    assert_int_equal(r.unchanged, 21);
    cs_tag_import_result_free(&r);
    /* the Ronin exploiter is the same ETH address: two tags on it now */
    path_of(p, sizeof p, "tags/graphsense-tagpacks/packs/ronin_bridge.yaml");
    assert_int_equal(cs_tagdb_import_file(db, p, NULL, &r), 0);
    assert_int_equal(r.added, 6);
    cs_tag_import_result_free(&r);
    assert_int_equal(
        cs_tagdb_lookup(db, "eth", "0x098b716b8aaf21512996dc57eb0615e2383e2f96", buf, 8), 2);
    assert_int_equal(buf[1].category, CS_TAG_STOLEN_FUNDS);
    assert_string_equal(buf[1].label, "Ronin bridge exploiter");
    assert_int_equal(cs_tagdb_commit(db), 0);
    cs_tagdb_close(db);
    assert_int_equal(cs_tagdb_open(dbdir, 0, &db), 0);
    assert_int_equal(cs_tagdb_count(db), 27);
    cs_tagdb_close(db);
    rm_rf(dbdir);
    rmdir(dir);
}

static void test_real_ofac_lists(void **state)
{
    (void)state;
    NEED_DATA();
    char p[1200];
    struct cs_tagdb *db = mem_db();
    struct cs_tag_import_result r;
    path_of(p, sizeof p, "sanctions/ofac-latest-2025-06-20/sanctioned_addresses_XBT.txt");
    assert_int_equal(cs_tagdb_import_file(db, p, NULL, &r), 0);
    assert_int_equal(r.format, CS_TAGFMT_OFAC_LIST);
    assert_int_equal(r.rows, 483);
    assert_int_equal(r.added, 482);
    assert_int_equal(r.rejected, 1);
    assert_int_equal(r.rejects[0].line, 362);
    assert_int_equal(r.rejects[0].reason, CS_TAG_BAD_ADDRESS);
    assert_string_equal(r.rejects[0].address, "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq");
    cs_tag_import_result_free(&r);
    struct cs_tag buf[8];
    size_t n;
    const struct cs_tag *t = one(db, "btc", "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h", buf, &n);
    assert_non_null(t);
    assert_int_equal(t->category, CS_TAG_SANCTIONED);
    assert_string_equal(t->source, "OFAC");
    assert_int_equal(t->confidence, 100);
    /* the .json variant holds the same list */
    path_of(p, sizeof p, "sanctions/ofac-latest-2025-06-20/sanctioned_addresses_XBT.json");
    assert_int_equal(cs_tagdb_import_file(db, p, NULL, &r), 0);
    assert_int_equal(r.added, 0);
    assert_int_equal(r.unchanged, 482);
    assert_int_equal(r.rejected, 1);
    cs_tag_import_result_free(&r);
    /* USDT: Ethereum, Tron and Omni (Bitcoin) addresses in one list */
    path_of(p, sizeof p, "sanctions/ofac-latest-2025-06-20/sanctioned_addresses_USDT.txt");
    assert_int_equal(cs_tagdb_import_file(db, p, NULL, &r), 0);
    assert_int_equal(r.rows, 40);
    assert_int_equal(r.rejected, 0);
    cs_tag_import_result_free(&r);
    assert_non_null(one(db, "trx", "TC4VsFHJdZ66BdwobZxkudVZBVmQZgCP65", buf, &n));
    assert_non_null(one(db, "eth", "0x19aa5fe80d33a56d56c78e82ea5e50e5d80b4dff", buf, &n));
    cs_tagdb_close(db);
}

static void test_real_sdn_csv(void **state)
{
    (void)state;
    NEED_DATA();
    char p[1200];
    struct cs_tagdb *db = mem_db();
    struct cs_tag_import_result r;
    path_of(p, sizeof p, "sanctions/ofac-sdn-raw/sdn_2024-05-03.csv");
    assert_int_equal(cs_tagdb_import_file(db, p, NULL, &r), 0);
    assert_int_equal(r.format, CS_TAGFMT_OFAC_SDN_CSV);
    assert_int_equal(r.rows, 295);
    assert_int_equal(r.added, 282);
    assert_int_equal(r.unchanged, 4);
    assert_int_equal(r.rejected, 9);
    size_t cut = 0;
    for (size_t i = 0; i < r.nrejects; i++)
        cut += strstr(r.rejects[i].detail, "cut off") != NULL;
    assert_int_equal(cut, 7);
    cs_tag_import_result_free(&r);
    struct cs_tag buf[8];
    size_t n;
    const struct cs_tag *t = one(db, "btc", "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h", buf, &n);
    assert_non_null(t);
    assert_string_equal(t->label, "YAN, Xiaobing");
    assert_int_equal(t->category, CS_TAG_SANCTIONED);
    assert_string_equal(t->source, "OFAC");
    assert_non_null(strstr(t->context, "program=SDNTK"));
    assert_non_null(strstr(t->context, "sdn=25308"));
    t = one(db, "btc", "134r8iHv69xdT6p5qVKTsHrcUEuBVZAYak", buf, &n);
    assert_non_null(t);
    assert_string_equal(t->label, "TIAN, Yinyin");
    assert_non_null(strstr(t->context, "program=DPRK3, CYBER2"));
    cs_tagdb_close(db);
}

static void test_real_tagpacks(void **state)
{
    (void)state;
    NEED_DATA();
    char p[1200];
    struct cs_tagdb *db = mem_db();
    struct cs_tag_import_result r;
    struct cs_tag buf[8];
    size_t n;
    path_of(p, sizeof p, "tags/graphsense-tagpacks/packs/hacks.yaml");
    assert_int_equal(cs_tagdb_import_file(db, p, NULL, &r), 0);
    assert_int_equal(r.rows, 608);
    assert_int_equal(r.added, 608);
    cs_tag_import_result_free(&r);
    const struct cs_tag *t = one(db, "btc", "1JoktQJhCzuCQkt3GnQ8Xddcq4mUgNyXEa", buf, &n);
    assert_string_equal(t->label, "Bitstamp");
    assert_int_equal(t->category, CS_TAG_EXCHANGE);
    assert_int_equal(t->confidence, 20); /* web_crawl */
    t = one(db, "btc", "1HVi6re6zDr5c5v9Sk2mmL9u7svEHfiBt4", buf, &n);
    assert_string_equal(t->label, "Betco.in hack");
    assert_int_equal(t->category, CS_TAG_STOLEN_FUNDS);
    size_t cur = 0, stolen = 0;
    struct cs_tag_filter f = {.category = CS_TAG_STOLEN_FUNDS};
    while (cs_tagdb_find(db, &f, &cur, buf))
        stolen++;
    assert_int_equal(stolen, 178); /* abuse: service_hack */

    path_of(p, sizeof p, "tags/graphsense-tagpacks/packs/ofac.yaml");
    assert_int_equal(cs_tagdb_import_file(db, p, NULL, &r), 0);
    assert_int_equal(r.rows, 572);
    assert_int_equal(r.added, 568);
    assert_int_equal(r.rejected, 4);
    cs_tag_import_result_free(&r);
    f.category = CS_TAG_SANCTIONED;
    cur = n = 0;
    while (cs_tagdb_find(db, &f, &cur, buf))
        n++;
    assert_int_equal(n, 568); /* category user, source the OFAC list */

    path_of(p, sizeof p, "tags/etherscan-labels/etherscan-accounts/tornado-cash.csv");
    struct cs_tag_import_opts o = {.category = "mixer", .source = "etherscan"};
    assert_int_equal(cs_tagdb_import_file(db, p, &o, &r), 0);
    assert_int_equal(r.format, CS_TAGFMT_CSV);
    assert_int_equal(r.rows, 63);
    assert_int_equal(r.added, 63);
    cs_tag_import_result_free(&r);
    /* ofac.yaml tagged this pool too: the CSV's tag comes second */
    assert_int_equal(
        cs_tagdb_lookup(db, "eth", "0x12d66f87a04a9e220743712ce6d9bb1b5616b8fc", buf, 8), 2);
    assert_int_equal(buf[0].category, CS_TAG_SANCTIONED);
    assert_string_equal(buf[1].label, "Tornado.Cash: 0.1 ETH");
    assert_int_equal(buf[1].category, CS_TAG_MIXER);
    assert_string_equal(buf[1].source, "etherscan");
    cs_tagdb_close(db);
}

/* Every EVM chain chainsleuth can store is a tag chain under the same name,
 * so a tag join with the store's chain name finds its tags; tag-pack names
 * of those chains map to it. */
static void test_evm_chain_names(void **state)
{
    (void)state;
    assert_true(cs_evm_chain_count() >= 9);
    for (size_t i = 0; i < cs_evm_chain_count(); i++) {
        const char *n = cs_evm_chain_at(i)->name;
        if (!cs_tag_chain_known(n) || !cs_tag_chain_is_evm(n)) fail_msg("EVM chain %s is no tag chain", n);
    }
    assert_string_equal(cs_tag_chain_from_name("ARB", NULL), "arbitrum");
    assert_string_equal(cs_tag_chain_from_name("Optimism", NULL), "optimism");
    assert_string_equal(cs_tag_chain_from_name("AVAX", NULL), "avalanche");
    assert_false(cs_tag_chain_known("arb"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_categories),      cmocka_unit_test(test_evm_eip55),
        cmocka_unit_test(test_btc_forms),       cmocka_unit_test(test_other_chains),
        cmocka_unit_test(test_yaml_subset),     cmocka_unit_test(test_add_lookup_identity),
        cmocka_unit_test(test_csv_rejects),     cmocka_unit_test(test_csv_optional_columns),
        cmocka_unit_test(test_format_guess),    cmocka_unit_test(test_tagpack_inline),
        cmocka_unit_test(test_store_files),     cmocka_unit_test(test_real_lazarus_and_idempotence),
        cmocka_unit_test(test_real_ofac_lists), cmocka_unit_test(test_real_sdn_csv),
        cmocka_unit_test(test_real_tagpacks),   cmocka_unit_test(test_bad_text_rejected),
        cmocka_unit_test(test_ofac_json_list),  cmocka_unit_test(test_evm_chain_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
