/* test_era1.c — the Era1 stack: CRC32C, snappy framing, the Merkle-Patricia
 * list root, and the Era1 reader on the two Sepolia archives in
 * $SHARED/data/eth/era1 (default ../shared), with corrupted copies.
 *
 * Where the expected values come from:
 *  - CRC32C: RFC 3720 appendix B.4 and the usual "123456789" check value.
 *  - Trie roots: the empty-trie root of the Yellow Paper, and cases of
 *    Ethereum's public trie tests (ethereum/tests TrieTests trieanyorder:
 *    singleItem, dogs, puppy, foo, smallValues, testy, hex) as literals.
 *  - Sepolia: the genesis hash is public (0x25a5cc10...6dd9).  The counts,
 *    the first hashes, the accumulators and the senders were produced by
 *    tests/unit/era1_independent.py, which shares no code with src/evm
 *    (python3-snappy, its own RLP, hashlib, pycryptodome's keccak and
 *    python3-ecdsa's public-key recovery).  The file names carry the first
 *    4 bytes of each accumulator, an independent check of its own.  Every
 *    transactionsRoot and receiptsRoot is checked against the header the
 *    chain committed to, so the roots need no second source.
 * Tests that need the data skip with a message when the directory is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "evm/era1.h"
#include "evm/snappy.h"
#include "evm/trie.h"
#include "util/codec.h"
#include "util/hash.h"
#include "util/keccak.h"

static const char *FILE0 = "sepolia-00000-643a00f7.era1";
static const char *FILE21 = "sepolia-00021-b8814b14.era1";

static const char *era1_dir(void)
{
    static char dir[512];
    const char *s = getenv("SHARED");
    snprintf(dir, sizeof dir, "%s/data/eth/era1", s ? s : "../shared");
    return dir;
}

/* 1 if the Sepolia files are present, else prints why the test skips. */
static int have_data(void)
{
    struct stat st;
    if (stat(era1_dir(), &st) == 0 && S_ISDIR(st.st_mode)) return 1;
    print_message("skip: %s absent (the Sepolia Era1 files)\n", era1_dir());
    return 0;
}

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", era1_dir(), name);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void hex_is(const uint8_t *b, size_t n, const char *want)
{
    char hx[130];
    cs_hex(hx, b, n);
    assert_string_equal(hx, want);
}

/* ---- CRC32C and snappy framing ---- */

static void test_crc32c(void **state)
{
    (void)state;
    uint8_t buf[48];
    assert_int_equal(cs_crc32c("123456789", 9), 0xe3069283u);
    assert_int_equal(cs_crc32c("", 0), 0);
    memset(buf, 0, 32);
    assert_int_equal(cs_crc32c(buf, 32), 0x8a9136aau);
    memset(buf, 0xff, 32);
    assert_int_equal(cs_crc32c(buf, 32), 0x62a8ab43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    assert_int_equal(cs_crc32c(buf, 32), 0x46dd794eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    assert_int_equal(cs_crc32c(buf, 32), 0x113fdb5cu);
}

static void test_snappy_roundtrip(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 100, 65535, 65536, 65537, 200000};
    size_t max = 200000, cap = cs_snappy_frame_bound(max);
    uint8_t *in = malloc(max), *enc = malloc(cap), *out = malloc(max);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < max; i++) { /* half text-like, half random */
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        in[i] = i % 2 ? (uint8_t)("abcab"[i % 5]) : (uint8_t)x;
    }
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t elen, olen;
        assert_int_equal(cs_snappy_frame_encode(enc, cap, &elen, in, sizes[k]), 0);
        assert_int_equal(cs_snappy_frame_decode(out, max, &olen, enc, elen, "t", 0), 0);
        assert_int_equal(olen, sizes[k]);
        assert_memory_equal(out, in, sizes[k]);
    }
    /* random bytes do not compress: stored as an uncompressed chunk */
    for (size_t i = 0; i < 1000; i++)
        x ^= x << 13, x ^= x >> 7, x ^= x << 17, in[i] = (uint8_t)x;
    size_t elen, olen;
    assert_int_equal(cs_snappy_frame_encode(enc, cap, &elen, in, 1000), 0);
    assert_int_equal(enc[10], 0x01);
    assert_int_equal(cs_snappy_frame_decode(out, max, &olen, enc, elen, "t", 0), 0);
    assert_int_equal(olen, 1000);
    /* output cap: the whole thing does not fit in 999 bytes */
    assert_int_equal(cs_snappy_frame_decode(out, 999, &olen, enc, elen, "f.era1", 500), CS_ERANGE);
    assert_string_equal(cs_errmsg(),
                        "f.era1: byte 510: snappy frame: output exceeds the cap of 999 bytes");
    free(in);
    free(enc);
    free(out);
}

static void expect_frame_error(const uint8_t *in, size_t len, int code, const char *want)
{
    uint8_t out[256];
    size_t n;
    assert_int_equal(cs_snappy_frame_decode(out, sizeof out, &n, in, len, "x.era1", 1000), code);
    assert_string_equal(cs_errmsg(), want);
}

static void test_snappy_errors(void **state)
{
    (void)state;
    uint8_t good[128], bad[160];
    size_t n;
    assert_int_equal(
        cs_snappy_frame_encode(good, sizeof good, &n, (const uint8_t *)"hello, hello, hello", 19),
        0);
    expect_frame_error(good, 0, CS_EFORMAT, "x.era1: byte 1000: snappy frame: empty stream");
    expect_frame_error(good + 10, n - 10, CS_EFORMAT,
                       "x.era1: byte 1000: snappy frame: stream does not open with the identifier "
                       "chunk");
    memcpy(bad, good, n);
    bad[5] = 'x';
    expect_frame_error(bad, n, CS_EFORMAT,
                       "x.era1: byte 1000: snappy frame: bad stream identifier");
    char want[160];
    snprintf(want, sizeof want,
             "x.era1: byte 1010: snappy frame: chunk of %zu bytes runs past the end (%zu left)",
             n - 14, n - 15);
    expect_frame_error(good, n - 1, CS_EFORMAT, want);
    expect_frame_error(good, 12, CS_EFORMAT,
                       "x.era1: byte 1010: snappy frame: truncated chunk header");
    memcpy(bad, good, n);
    bad[14] ^= 1; /* the stored CRC */
    snprintf(want, sizeof want,
             "x.era1: byte 1010: snappy frame: CRC32C mismatch (stored %08x, computed %08x)",
             cs_le32(bad + 14), cs_le32(good + 14));
    expect_frame_error(bad, n, CS_EFORMAT, want);
    /* reserved chunks: 0x02..0x7f stop the stream, 0x80..0xfd and 0xfe padding are skipped */
    memcpy(bad, good, 10);
    memcpy(bad + 10, "\x02\x01\x00\x00\x00", 5);
    expect_frame_error(bad, 15, CS_EFORMAT,
                       "x.era1: byte 1010: snappy frame: reserved unskippable chunk type 0x02");
    memcpy(bad, good, 10);
    memcpy(bad + 10, "\x80\x01\x00\x00\x00\xfe\x00\x00\x00", 9);
    memcpy(bad + 19, good + 10, n - 10);
    uint8_t out[64];
    size_t olen;
    assert_int_equal(cs_snappy_frame_decode(out, sizeof out, &olen, bad, n + 9, "t", 0), 0);
    assert_int_equal(olen, 19);
    assert_memory_equal(out, "hello, hello, hello", 19);
    /* a chunk claiming more than 65536 uncompressed bytes */
    memcpy(bad, good, 10);
    uint8_t chunk[] = {0x00, 0x08, 0x00, 0x00, 0, 0, 0, 0, 0x81, 0x80, 0x08, 0x00};
    memcpy(bad + 10, chunk, sizeof chunk);
    expect_frame_error(bad, 10 + sizeof chunk, CS_EFORMAT,
                       "x.era1: byte 1010: snappy frame: chunk of 131073 uncompressed bytes "
                       "exceeds 65536");
    /* garbage where a raw block should be */
    memcpy(bad, good, 10);
    uint8_t junk[] = {0x00, 0x08, 0x00, 0x00, 0, 0, 0, 0, 0x05, 0xff, 0xff, 0xff};
    memcpy(bad + 10, junk, sizeof junk);
    expect_frame_error(bad, 10 + sizeof junk, CS_EFORMAT,
                       "x.era1: byte 1010: snappy frame: corrupt compressed chunk");
}

/* ---- trie ---- */

static void trie_case(const char *const *kv, size_t n, const char *want)
{
    struct cs_trie_entry e[8];
    uint8_t root[32];
    for (size_t i = 0; i < n; i++) {
        const char *k = kv[2 * i], *v = kv[2 * i + 1];
        static uint8_t hexbuf[8][32];
        if (k[0] == '0' && k[1] == 'x') { /* hex keys and values */
            e[i].key_len = (uint8_t)((strlen(k) - 2) / 2);
            assert_int_equal(cs_unhex(e[i].key, e[i].key_len, k + 2, strlen(k) - 2), 0);
            e[i].value_len = (strlen(v) - 2) / 2;
            assert_int_equal(cs_unhex(hexbuf[i], e[i].value_len, v + 2, strlen(v) - 2), 0);
            e[i].value = hexbuf[i];
        } else {
            e[i].key_len = (uint8_t)strlen(k);
            memcpy(e[i].key, k, strlen(k));
            e[i].value = (const uint8_t *)v;
            e[i].value_len = strlen(v);
        }
    }
    assert_int_equal(cs_trie_root(root, e, n), 0);
    hex_is(root, 32, want);
}

static void test_trie_vectors(void **state)
{
    (void)state;
    uint8_t root[32];
    assert_int_equal(cs_trie_index_root(root, NULL, 0), 0);
    hex_is(root, 32, "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");
    static const char *const single[] = {"A", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    trie_case(single, 1, "d23786fb4a010da3ce639d66d5e904a11dbc02746d1ce25029e53290cabf28ab");
    static const char *const dogs[] = {"doe", "reindeer", "dog", "puppy", "dogglesworth", "cat"};
    trie_case(dogs, 3, "8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3");
    static const char *const puppy[] = {"do",   "verb", "horse", "stallion",
                                        "doge", "coin", "dog",   "puppy"};
    trie_case(puppy, 4, "5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84");
    static const char *const foo[] = {"foo", "bar", "food", "bass"};
    trie_case(foo, 2, "17beaa1648bafa633cda809c90c04af50fc8aed3cb40d16efbddee6fdf63c4c3");
    static const char *const small[] = {"be", "e", "dog", "puppy", "bed", "d"};
    trie_case(small, 3, "3f67c7a47520f79faa29255d2d3c084a7a6df0453116ed7232ff10277a8be68b");
    static const char *const testy[] = {"test", "test", "te", "testy"};
    trie_case(testy, 2, "8452568af70d8d140f58d941338542f645fcca50094b20f3c3d8c3df49337928");
    static const char *const hex[] = {"0x0045", "0x0123456789", "0x4500", "0x9876543210"};
    trie_case(hex, 2, "285505fcabe84badc8aa310e2aae17eddc7d120aabec8a476902c8184b3a3503");
    /* a repeated key is refused */
    static const char *const twice[] = {"a", "1", "a", "2"};
    struct cs_trie_entry e[2] = {{{'a'}, 1, (const uint8_t *)"1", 1},
                                 {{'a'}, 1, (const uint8_t *)"2", 1}};
    (void)twice;
    assert_int_equal(cs_trie_root(root, e, 2), CS_EUSAGE);
    assert_string_equal(cs_errmsg(), "trie: a key repeats");
}

/* ---- the real archives ---- */

struct summary {
    struct cs_era1_totals t;
    uint64_t by_type[3];
    uint64_t nonempty_tx_roots;
    uint64_t eip155, pre155;
    uint8_t first_hash[32];
    uint8_t senders_digest[32];
    int rc;
    char err[512];
    double seconds;
};

/* Decodes every block; the sample tx (block number, index) gets copied out. */
static void run_file(const char *path, unsigned flags, struct summary *s, uint64_t sample_block,
                     struct cs_eth_tx *sample)
{
    struct cs_era1 *e;
    const struct cs_era1_block *b;
    struct cs_sha256_ctx senders;
    struct timespec t0, t1;
    memset(s, 0, sizeof *s);
    cs_sha256_begin(&senders);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    s->rc = cs_era1_open(&e, path, flags);
    if (s->rc) {
        snprintf(s->err, sizeof s->err, "%s", cs_errmsg());
        return;
    }
    static const uint8_t empty_root[32] = {0x56, 0xe8, 0x1f, 0x17, 0x1b, 0xcc, 0x55, 0xa6,
                                           0xff, 0x83, 0x45, 0xe6, 0x92, 0xc0, 0xf8, 0x6e,
                                           0x5b, 0x48, 0xe0, 0x1b, 0x99, 0x6c, 0xad, 0xc0,
                                           0x01, 0x62, 0x2f, 0xb5, 0xe3, 0x63, 0xb4, 0x21};
    int rc;
    while ((rc = cs_era1_next(e, &b)) == 1) {
        if (s->t.blocks == 0 && b->header.number == cs_era1_start(e))
            memcpy(s->first_hash, b->header.hash, 32);
        s->t.blocks++;
        if (memcmp(b->header.tx_root, empty_root, 32) != 0) s->nonempty_tx_roots++;
        for (uint32_t i = 0; i < b->n_tx; i++) {
            const struct cs_eth_tx *tx = &b->tx[i];
            s->by_type[tx->type]++;
            if (tx->type == 0) tx->chain_id ? s->eip155++ : s->pre155++;
            if (tx->has_from) {
                cs_sha256_add(&senders, tx->hash, 32);
                cs_sha256_add(&senders, tx->from, 20);
            }
            if (sample && b->header.number == sample_block && i == 0) *sample = *tx;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    s->rc = rc;
    if (rc) snprintf(s->err, sizeof s->err, "%s", cs_errmsg());
    cs_era1_totals(e, &s->t);
    cs_sha256_end(&senders, 0, s->senders_digest);
    cs_era1_close(e);
}

static void print_summary(const char *name, const struct summary *s, size_t file_len)
{
    print_message("%s: %llu blocks, %llu txs (legacy %llu [EIP-155 %llu], 2930 %llu, 1559 %llu), "
                  "%llu receipts, %llu logs, %llu uncles, %llu senders; %llu non-empty tx roots; "
                  "%.3f s = %.0f blocks/s, %.1f MB/s of file, %.1f MB/s decompressed\n",
                  name, (unsigned long long)s->t.blocks, (unsigned long long)s->t.txs,
                  (unsigned long long)s->by_type[0], (unsigned long long)s->eip155,
                  (unsigned long long)s->by_type[1], (unsigned long long)s->by_type[2],
                  (unsigned long long)s->t.receipts, (unsigned long long)s->t.logs,
                  (unsigned long long)s->t.uncles, (unsigned long long)s->t.senders,
                  (unsigned long long)s->nonempty_tx_roots, s->seconds, s->t.blocks / s->seconds,
                  file_len / s->seconds / 1e6, s->t.bytes_decompressed / s->seconds / 1e6);
}

/* Decodes one Sepolia archive end to end (flags as for cs_era1_open),
 * asserts it verified, and prints its counts and speed. */
static void decode_sepolia(const char *name, unsigned flags, struct summary *s,
                           uint64_t sample_block, struct cs_eth_tx *sample)
{
    char path[600];
    struct stat st;
    path_of(path, sizeof path, name);
    assert_int_equal(stat(path, &st), 0);
    run_file(path, flags, s, sample_block, sample);
    if (s->rc) print_message("%s\n", s->err);
    assert_int_equal(s->rc, 0);
    if (flags & CS_ERA1_NO_SENDERS) print_message("no sender recovery: ");
    print_summary(name, s, (size_t)st.st_size);
}

/* The counts era1_independent.py printed. */
static void expect_counts(const struct summary *s, uint64_t txs, uint64_t logs, uint64_t uncles)
{
    assert_int_equal(s->t.blocks, 8192);
    assert_int_equal(s->t.txs, txs);
    assert_int_equal(s->t.receipts, txs);
    assert_int_equal(s->t.logs, logs);
    assert_int_equal(s->t.uncles, uncles);
}

/* Opens an archive and checks its index and stored accumulator; returns it open. */
static struct cs_era1 *open_checked(const char *name, uint64_t start, const char *accumulator)
{
    char path[600];
    struct cs_era1 *e;
    path_of(path, sizeof path, name);
    assert_int_equal(cs_era1_open(&e, path, CS_ERA1_NO_SENDERS), 0);
    assert_int_equal(cs_era1_start(e), start);
    assert_int_equal(cs_era1_count(e), 8192);
    hex_is(cs_era1_accumulator(e), 32, accumulator);
    return e;
}

static void test_sepolia_genesis_era(void **state)
{
    (void)state;
    if (!have_data()) skip();
    struct summary s;
    decode_sepolia(FILE0, 0, &s, 0, NULL);
    hex_is(s.first_hash, 32, "25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9");
    expect_counts(&s, 0, 0, 0);
    assert_int_equal(s.nonempty_tx_roots, 0);
    struct cs_era1 *e =
        open_checked(FILE0, 0, "643a00f78fd6a304a29c80b2f2f946e9e57494597600262b378b2754d34dff41");
    /* genesis fields (Sepolia's published genesis) */
    const struct cs_era1_block *b;
    assert_int_equal(cs_era1_next(e, &b), 1);
    assert_int_equal(b->header.number, 0);
    assert_int_equal(b->header.gas_limit, 30000000);
    assert_int_equal(b->header.timestamp, 1633267481);
    assert_true(b->header.has_base_fee);
    assert_int_equal(b->header.base_fee.w[0], 1000000000);
    assert_int_equal(b->header.difficulty.w[0], 0x20000);
    assert_int_equal(b->total_difficulty.w[0], 0x20000);
    assert_int_equal(b->header.extra_len, 32);
    assert_memory_equal(b->header.extra, "Sepolia, Athens, Attica, Greece!", 32);
    cs_era1_close(e);
}

static void test_sepolia_era_21(void **state)
{
    (void)state;
    if (!have_data()) skip();
    struct summary s;
    struct cs_eth_tx tx;
    decode_sepolia(FILE21, 0, &s, 172032 + 1978, &tx);
    hex_is(s.first_hash, 32, "eb20db3e285c22f189aae88e1044aed08997b35675cfb5db3e60fe8a0daee218");
    expect_counts(&s, 93, 0, 1273);
    assert_int_equal(s.by_type[0], 28);
    assert_int_equal(s.by_type[1], 0);
    assert_int_equal(s.by_type[2], 65);
    assert_int_equal(s.t.senders, 93);
    /* every (tx hash, sender) pair, as era1_independent.py recovered them */
    hex_is(s.senders_digest, 32,
           "df273a5d87285c210c9899914728bdf438e66a306a950a639936ac6944c05812");
    /* the first EIP-1559 transaction of the file */
    hex_is(tx.hash, 32, "1e7dbef1d524d7fc09b2cffe011ef7b7196b9308e2c392c0bc97d8d3edc16cc6");
    hex_is(tx.from, 20, "ea1b261fb7ec1c4f2beea2476f17017537b4b507");
    assert_int_equal(tx.type, 2);
    assert_int_equal(tx.chain_id, 11155111);

    cs_era1_close(open_checked(FILE21, 172032,
                               "b8814b146889489efd392d80c7ca4e418d39302e25323a55882ca8cc0ef013e3"));
}

/* Decoding is the same with and without sender recovery, and timing both
 * shows what recovery costs. */
static void test_sepolia_speed(void **state)
{
    (void)state;
    if (!have_data()) skip();
    const char *names[2] = {FILE0, FILE21};
    for (int k = 0; k < 2; k++) {
        struct summary s;
        decode_sepolia(names[k], CS_ERA1_NO_SENDERS, &s, 0, NULL);
        assert_int_equal(s.t.senders, 0);
    }
}

/* The synthetic archive that tests/fuzz/make_seeds.py wrote (also a fuzz
 * seed): one transaction of every supported kind, signed with private key 1,
 * whose address is public; logs, an uncle, a contract creation.  Every value
 * asserted here was printed by that script. */
static void test_synthetic_archive(void **state)
{
    (void)state;
    const char *path = "tests/fuzz/seeds/era1/synthetic3";
    struct cs_era1 *e;
    const struct cs_era1_block *b;
    assert_int_equal(cs_era1_open(&e, path, 0), 0);
    assert_int_equal(cs_era1_count(e), 3);
    hex_is(cs_era1_accumulator(e), 32,
           "b431996bfa2f29de11880c4a73730a86798ab728f01d2abfbd263c50d1673e1f");
    static const char *const hashes[3] = {
        "125fa3b032acf5cca42dfb4bbf13578a8e95bb33159846ebb45e6b0a4d6022b2",
        "53fec6f025778eb1baf1a8e7ce7543e6466989b1623f26e390a135e9390d8cf6",
        "c658a3926b18458e08f2e5a069df66cc386dddf313f96d1cdc664957e02ad3a8"};
    for (int i = 0; i < 3; i++) {
        int rc = cs_era1_next(e, &b);
        if (rc != 1) print_message("%s\n", cs_errmsg());
        assert_int_equal(rc, 1);
        hex_is(b->header.hash, 32, hashes[i]);
        if (i == 1) {
            assert_int_equal(b->n_tx, 4);
            static const uint8_t types[4] = {0, 0, 1, 2};
            static const uint64_t chains[4] = {0, 11155111, 11155111, 11155111};
            for (int k = 0; k < 4; k++) {
                assert_int_equal(b->tx[k].type, types[k]);
                assert_int_equal(b->tx[k].chain_id, chains[k]);
                assert_int_equal(b->tx[k].nonce, k);
                assert_true(b->tx[k].has_from);
                hex_is(b->tx[k].from, 20, "7e5f4552091a69125d5dfcb7b8c2659029395bdf");
                assert_int_equal(b->receipt[k].n_logs, k % 3);
                assert_int_equal(b->receipt[k].status, 1);
            }
            assert_false(b->tx[1].has_to);
            assert_int_equal(b->tx[1].data_len, 4);
            assert_int_equal(b->tx[2].n_access, 1);
            char dec[CS_U256_DEC_MAX];
            cs_u256_to_dec(dec, &b->tx[3].value);
            assert_string_equal(dec, "1000000000000000000");
            cs_u256_to_dec(dec, &b->tx[3].max_fee);
            assert_string_equal(dec, "2000000000");
            assert_int_equal(b->receipt[3].cumulative_gas, 93064);
            assert_int_equal(b->receipt[2].gas_used, 30000);
            assert_int_equal(b->n_log, 3);
            assert_int_equal(b->log[2].n_topics, 2);
            assert_int_equal(b->log[2].data_len, 5);
            assert_memory_equal(b->log[2].data, "hello", 5);
            hex_is(b->log[0].address, 20, "00000000000000000000000000000000deadbeef");
        }
        if (i == 2) assert_int_equal(b->n_uncles, 1);
    }
    assert_int_equal(cs_era1_next(e, &b), 0);
    struct cs_era1_totals t;
    cs_era1_totals(e, &t);
    assert_int_equal(t.blocks, 3);
    assert_int_equal(t.txs, 4);
    assert_int_equal(t.logs, 3);
    assert_int_equal(t.uncles, 1);
    cs_era1_close(e);
}

/* A body of 150,000+ bytes: the handle's 64 KiB buffer grows (twice) and
 * the entry is decoded again; also made by make_seeds.py. */
static void test_buffer_growth(void **state)
{
    (void)state;
    struct cs_era1 *e;
    const struct cs_era1_block *b;
    assert_int_equal(cs_era1_open(&e, "tests/fuzz/seeds/era1/big_tx", 0), 0);
    hex_is(cs_era1_accumulator(e), 32,
           "4939fe292623e3301f66b05d6e081a453ca39b62b411cde534ad65ec1300a904");
    int rc = cs_era1_next(e, &b);
    if (rc != 1) print_message("%s\n", cs_errmsg());
    assert_int_equal(rc, 1);
    assert_int_equal(b->n_tx, 1);
    assert_int_equal(b->tx[0].data_len, 150000);
    assert_int_equal(b->tx[0].chain_id, 11155111);
    hex_is(b->tx[0].from, 20, "7e5f4552091a69125d5dfcb7b8c2659029395bdf");
    assert_int_equal(b->receipt[0].gas_used, 2421000);
    assert_int_equal(cs_era1_next(e, &b), 0);
    struct cs_era1_totals t;
    cs_era1_totals(e, &t);
    assert_true(t.bytes_decompressed > 150000);
    cs_era1_close(e);
}

/* ---- corrupted copies ---- */

struct rec {
    uint16_t type;
    uint32_t len;
    const uint8_t *data;
    uint8_t *owned; /* replaced data */
    uint64_t off;   /* in the assembled file */
};

static size_t parse_recs(const uint8_t *d, size_t n, struct rec *r, size_t cap)
{
    size_t k = 0;
    for (size_t p = 0; p < n; k++) {
        assert_true(k < cap);
        r[k].type = cs_le16(d + p);
        r[k].len = cs_le32(d + p + 2);
        r[k].data = d + p + 8;
        r[k].owned = NULL;
        p += 8 + r[k].len;
    }
    return k;
}

/* Writes the records to path, the block index rebuilt to point at the
 * header records wherever they now are; sets each r[].off. */
static void assemble(struct rec *r, size_t n, const char *path)
{
    uint64_t off = 0;
    for (size_t i = 0; i < n; i++)
        r[i].off = off, off += 8 + r[i].len;
    struct rec *ix = &r[n - 1];
    assert_int_equal(ix->type, CS_E2S_BLOCK_INDEX);
    uint8_t *idx = malloc(ix->len);
    memcpy(idx, ix->data, ix->len);
    uint64_t b = 0;
    for (size_t i = 0; i < n; i++)
        if (r[i].type == CS_E2S_HEADER)
            cs_put_le64(idx + 8 + 8 * b++, (uint64_t)((int64_t)r[i].off - (int64_t)ix->off));
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) {
        uint8_t h[8] = {0};
        h[0] = (uint8_t)r[i].type;
        h[1] = (uint8_t)(r[i].type >> 8);
        cs_put_le32(h + 2, r[i].len);
        fwrite(h, 1, 8, f);
        fwrite(i == n - 1 ? idx : r[i].data, 1, r[i].len, f);
    }
    fclose(f);
    free(idx);
}

/* Decompresses record k, flips bit 0 of byte at (at < 0: from the end), recompresses. */
static void flip_inside(struct rec *r, size_t k, long at)
{
    size_t cap = CS_ERA1_BODY_MAX, n, elen;
    uint8_t *raw = malloc(cap);
    assert_int_equal(cs_snappy_frame_decode(raw, cap, &n, r[k].data, r[k].len, "t", 0), 0);
    size_t pos = at < 0 ? n - (size_t)(-at) : (size_t)at;
    raw[pos] ^= 1;
    uint8_t *enc = malloc(cs_snappy_frame_bound(n));
    assert_int_equal(cs_snappy_frame_encode(enc, cs_snappy_frame_bound(n), &elen, raw, n), 0);
    free(raw);
    r[k].owned = enc;
    r[k].data = enc;
    r[k].len = (uint32_t)elen;
}

/* Opens path and decodes to the end: returns the first error and its message. */
static int decode_all(const char *path, char *msg, size_t cap)
{
    struct cs_era1 *e;
    const struct cs_era1_block *b;
    int rc = cs_era1_open(&e, path, 0);
    if (rc == 0) {
        while ((rc = cs_era1_next(e, &b)) == 1) {
        }
        snprintf(msg, cap, "%s", rc ? cs_errmsg() : "");
        if (rc) assert_int_equal(cs_era1_next(e, &b), CS_EUSAGE); /* stays stopped */
        cs_era1_close(e);
        return rc;
    }
    snprintf(msg, cap, "%s", cs_errmsg());
    return rc;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void expect_error(const char *path, int code, const char *want_prefix)
{
    char msg[1024];
    int rc = decode_all(path, msg, sizeof msg);
    print_message("  %s\n", msg);
    assert_int_equal(rc, code);
    if (!starts_with(msg, want_prefix)) {
        print_message("want prefix: %s\n", want_prefix);
        fail();
    }
}

#define MAXREC (4 * 8192 + 8)

/* Record k's second-to-last decompressed byte flipped (and recompressed):
 * the root named `what` of block num must no longer match. */
static void expect_root_flip(const uint8_t *orig, size_t len, struct rec *r, size_t k,
                             const char *path, const char *what, uint64_t num)
{
    char want[800];
    size_t n = parse_recs(orig, len, r, MAXREC);
    flip_inside(r, k, -2);
    assemble(r, n, path);
    snprintf(want, sizeof want, "%s: byte %llu: block %llu: %s: header says ", path,
             (unsigned long long)r[k].off, (unsigned long long)num, what);
    expect_error(path, CS_ECORRUPT, want);
    free(r[k].owned);
}

static void test_corrupt_copies(void **state)
{
    (void)state;
    if (!have_data()) skip();
    char src[600], dir[] = "/tmp/cs_era1_XXXXXX", path[700], want[800];
    path_of(src, sizeof src, FILE21);
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/bad.era1", dir);
    size_t len;
    uint8_t *orig = slurp(src, &len), *copy = malloc(len);
    struct rec *r = calloc(MAXREC, sizeof *r);
    size_t n = parse_recs(orig, len, r, MAXREC);
    assert_int_equal(n, 4 * 8192 + 3);
    /* block i's records are r[1 + 4i ...]; block 1978 (172032 + 1978 = 174010) has a tx */
    const size_t blk = 1978, H = 1 + 4 * blk, B = H + 1, R = H + 2, T = H + 3;

    /* 0. the copy, unchanged, passes (the rebuild itself is faithful) */
    assemble(r, n, path);
    char msg[1024];
    assert_int_equal(decode_all(path, msg, sizeof msg), 0);

    /* 1. a flipped byte inside a snappy chunk of a body: the CRC (or the raw
     *    block) catches it, at the chunk after the 10-byte stream identifier */
    memcpy(copy, orig, len);
    uint64_t body_off = (uint64_t)(r[B].data - orig);
    copy[body_off + 20] ^= 0x40;
    FILE *f = fopen(path, "wb");
    fwrite(copy, 1, len, f);
    fclose(f);
    snprintf(want, sizeof want, "%s: byte %llu: snappy frame: ", path,
             (unsigned long long)(body_off + 10));
    expect_error(path, CS_EFORMAT, want);

    /* 2. a header changed (timestamp's last byte) and recompressed: its hash
     *    changes, so the next block's parentHash no longer chains */
    n = parse_recs(orig, len, r, MAXREC);
    {
        size_t cap = CS_ERA1_HEADER_MAX, hn;
        uint8_t *raw = malloc(cap);
        assert_int_equal(cs_snappy_frame_decode(raw, cap, &hn, r[H].data, r[H].len, "t", 0), 0);
        struct cs_rlp_item top, fld[20];
        size_t nf;
        assert_int_equal(cs_rlp_decode_all(&top, raw, hn, 0), 0);
        assert_int_equal(cs_rlp_list(&top, fld, 15, 20, &nf, "h"), 0);
        long at = (long)(fld[11].payload + fld[11].len - 1 - raw);
        free(raw);
        flip_inside(r, H, at);
    }
    assemble(r, n, path);
    snprintf(want, sizeof want,
             "%s: byte %llu: block %llu: parentHash vs keccak(previous header): ", path,
             (unsigned long long)r[H + 4].off, 172032ull + blk + 1);
    expect_error(path, CS_ECORRUPT, want);
    free(r[H].owned);

    /* 3. a transaction's last byte (the end of s; the body ends with the tx,
     *    then the empty uncle list 0xc0): transactionsRoot differs */
    expect_root_flip(orig, len, r, B, path, "transactionsRoot", 172032ull + blk);
    /* 4. a receipt's bloom (its last byte, before the empty log list) */
    expect_root_flip(orig, len, r, R, path, "receiptsRoot", 172032ull + blk);

    /* 5. total difficulty off by one */
    n = parse_recs(orig, len, r, MAXREC);
    uint8_t td[32];
    memcpy(td, r[T].data, 32);
    td[0] ^= 1;
    r[T].data = td;
    assemble(r, n, path);
    snprintf(want, sizeof want, "%s: byte %llu: block %llu: total difficulty ", path,
             (unsigned long long)r[T].off, 172032ull + blk);
    expect_error(path, CS_ECORRUPT, want);

    /* 6. the accumulator record */
    n = parse_recs(orig, len, r, MAXREC);
    uint8_t acc[32];
    memcpy(acc, r[n - 2].data, 32);
    acc[31] ^= 0x80;
    r[n - 2].data = acc;
    assemble(r, n, path);
    snprintf(want, sizeof want, "%s: byte %llu: accumulator: the file says ", path,
             (unsigned long long)r[n - 2].off);
    expect_error(path, CS_ECORRUPT, want);

    /* 7. an e2store record header's reserved field */
    memcpy(copy, orig, len);
    uint64_t hdr_off = (uint64_t)(r[R].data - orig) - 8;
    copy[hdr_off + 7] = 1;
    f = fopen(path, "wb");
    fwrite(copy, 1, len, f);
    fclose(f);
    snprintf(want, sizeof want, "%s: byte %llu: e2store reserved field is 256, not 0", path,
             (unsigned long long)hdr_off);
    expect_error(path, CS_EFORMAT, want);

    /* 8. a bad record length */
    memcpy(copy, orig, len);
    cs_put_le32(copy + hdr_off + 2, 0x7fffffff);
    f = fopen(path, "wb");
    fwrite(copy, 1, len, f);
    fclose(f);
    snprintf(want, sizeof want,
             "%s: byte %llu: e2store record of type 0x0005 claims 2147483647 "
             "bytes",
             path, (unsigned long long)hdr_off);
    expect_error(path, CS_EFORMAT, want);

    /* 9. truncated: at half, and just the index's last byte missing */
    const size_t cuts[] = {len / 2, len - 1, 9};
    for (size_t c = 0; c < 3; c++) {
        f = fopen(path, "wb");
        fwrite(orig, 1, cuts[c], f);
        fclose(f);
        int rc = decode_all(path, msg, sizeof msg);
        print_message("  truncated to %zu: %s\n", cuts[c], msg);
        assert_true(rc == CS_EFORMAT || rc == CS_ERANGE);
        snprintf(want, sizeof want, "%s: byte ", path);
        assert_true(starts_with(msg, want));
    }

    /* 10. the index pointing one record off */
    memcpy(copy, orig, len);
    uint64_t ix_off = len - r[n - 1].len - 8;
    uint8_t *slot = copy + ix_off + 8 + 8 + 8 * 5;
    cs_put_le64(slot, cs_le64(slot) + 1);
    f = fopen(path, "wb");
    fwrite(copy, 1, len, f);
    fclose(f);
    snprintf(want, sizeof want, "%s: byte %llu: block index entry 5 points to byte ", path,
             (unsigned long long)(ix_off + 8 + 8 + 8 * 5));
    expect_error(path, CS_ECORRUPT, want);

    unlink(path);
    rmdir(dir);
    free(r);
    free(copy);
    free(orig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test(test_snappy_roundtrip),
        cmocka_unit_test(test_snappy_errors),
        cmocka_unit_test(test_trie_vectors),
        cmocka_unit_test(test_synthetic_archive),
        cmocka_unit_test(test_buffer_growth),
        cmocka_unit_test(test_sepolia_genesis_era),
        cmocka_unit_test(test_sepolia_era_21),
        cmocka_unit_test(test_sepolia_speed),
        cmocka_unit_test(test_corrupt_copies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
