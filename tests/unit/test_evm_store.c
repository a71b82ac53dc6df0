/* test_evm_store.c — the EVM schema (evm/store.h) and the EVM address codec.
 *
 * EIP-55 against the four vectors of the EIP's own text; a chain of blocks
 * with native, fee, token and >2^64 transfers appended, committed and read
 * back by a reader (every field, the adjacency lists newest first, a full
 * verify); an append that breaks the chain leaves the store as it was; a
 * rollback with a reader open keeps the reader's view and equals a fresh
 * store of the kept blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "evm/store.h"
#include "util/hash.h"

static void test_eip55(void **st)
{
    (void)st;
    /* the test cases listed in EIP-55 */
    static const char *const V[] = {
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"};
    for (size_t i = 0; i < 4; i++) {
        uint8_t a[20];
        char out[CS_EVM_ADDR_STR];
        assert_int_equal(cs_evm_addr_parse(V[i], a), 0);
        cs_evm_addr_format(a, out);
        assert_string_equal(out, V[i]);
        char low[CS_EVM_ADDR_STR];
        cs_evm_addr_lower(a, low);
        uint8_t b[20];
        assert_int_equal(cs_evm_addr_parse(low, b), 0);
        assert_memory_equal(a, b, 20);
    }
    uint8_t a[20];
    /* one letter's case flipped: the checksum names the digit */
    assert_int_equal(cs_evm_addr_parse("0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", a),
                     CS_EFORMAT);
    assert_non_null(strstr(cs_errmsg(), "EIP-55 checksum mismatch at hex digit 2"));
    assert_int_equal(cs_evm_addr_parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", a), CS_EFORMAT);
    assert_int_equal(cs_evm_addr_parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", a),
                     CS_EFORMAT);
    assert_non_null(strstr(cs_errmsg(), "'g' at position 42"));
    assert_non_null(cs_evm_chain_find("sepolia"));
    assert_int_equal(cs_evm_chain_find("sepolia")->chain_id, 11155111);
    assert_null(cs_evm_chain_find("btc"));
}

static void test_token_marks(void **st)
{
    (void)st;
    const struct cs_evm_chain *eth = cs_evm_chain_find("eth"), *sep = cs_evm_chain_find("sepolia");
    uint8_t usdt[20], other[20];
    assert_int_equal(cs_evm_addr_parse("0xdAC17F958D2ee523a2206206994597C13D831ec7", usdt), 0);
    assert_int_equal(cs_evm_addr_parse("0x00000000000000000000000000000000000000aa", other), 0);
    assert_int_equal(cs_evm_token_marks(eth, usdt, "USDT", "Tether USD"), 0);
    assert_int_equal(cs_evm_token_marks(eth, other, "USDT", "Tether USD"), CS_TOK_IMITATES);
    assert_int_equal(cs_evm_token_marks(eth, other, "usdt", "x"), CS_TOK_IMITATES);
    assert_int_equal(cs_evm_token_marks(eth, other, "ETH", "Ether"), CS_TOK_IMITATES);
    assert_int_equal(cs_evm_token_marks(eth, other, "UNI", "Uniswap"), 0);
    /* a Cyrillic Te (U+0422) in place of the T */
    assert_int_equal(cs_evm_token_marks(eth, other, "USD\xd0\xa2", "Tether"), CS_TOK_NONASCII);
    /* no canonical list for sepolia: only its native symbol and non-ASCII */
    assert_int_equal(cs_evm_token_marks(sep, other, "USDT", "x"), 0);
    assert_int_equal(cs_evm_token_marks(sep, other, "ETH", "x"), CS_TOK_IMITATES);
}

static void addr_of(uint8_t a[20], int n)
{
    memset(a, 0, 20);
    a[0] = 0xa0;
    a[19] = (uint8_t)n;
}

/* Block i of a test chain: tx 0 sends i+1 wei from account 1 to account
 * (i%3)+2 and pays a fee split into tip and burn; tx 1 moves a token amount
 * of 2^70 + i from account 2 to 3; a withdrawal of 7 wei to account 9. */
struct tblock {
    struct cs_evm_block_in b;
    struct cs_evm_tx_in tx[2];
    struct cs_evm_xfer_in x[5];
    struct cs_evm_token_in tok;
    struct cs_evm_log_in log;
    uint8_t data[64];
};

/* the kept log of block number's tx 1: 1 + number % 40 bytes of data */
static size_t log_len(uint64_t number)
{
    return 1 + (size_t)(number % 40);
}
static uint8_t log_byte(uint64_t number, int variant, size_t i)
{
    return (uint8_t)(number * 7 + (uint64_t)variant * 13 + i);
}

static void make_block(struct tblock *t, uint64_t number, const uint8_t parent[32], int variant)
{
    memset(t, 0, sizeof *t);
    struct cs_evm_block_in *b = &t->b;
    b->number = number;
    memcpy(b->parent, parent, 32);
    uint8_t seed[16] = {0};
    memcpy(seed, &number, 8);
    seed[8] = (uint8_t)variant;
    cs_sha256(seed, sizeof seed, b->hash);
    addr_of(b->miner, 100);
    b->timestamp = 1700000000 + number * 12;
    b->base_fee = 7;
    b->flags = CS_EB_BASEFEE | CS_EB_RECEIPTS | CS_EB_TOKENS;
    for (int i = 0; i < 2; i++) {
        struct cs_evm_tx_in *tx = &t->tx[i];
        memcpy(tx->hash, b->hash, 32);
        tx->hash[0] ^= (uint8_t)(i + 1);
        addr_of(tx->from, 1 + i);
        addr_of(tx->to, i ? 50 : (int)(number % 3) + 2);
        tx->has_to = 1;
        tx->status = CS_ETX_OK;
        tx->type = 2;
        tx->nonce = number * 2 + (uint64_t)i;
        tx->gas_used = 21000;
        tx->gas_price = 10;
        tx->value = cs_u256_from_u64(i ? 0 : number + 1);
    }
    struct cs_evm_xfer_in *x = t->x;
    x[0] = (struct cs_evm_xfer_in){.kind = CS_XK_NATIVE,
                                   .has_from = 1,
                                   .has_to = 1,
                                   .native = 1,
                                   .tx = 0,
                                   .amount = cs_u256_from_u64(number + 1)};
    memcpy(x[0].from, t->tx[0].from, 20);
    memcpy(x[0].to, t->tx[0].to, 20);
    x[1] = (struct cs_evm_xfer_in){.kind = CS_XK_FEE_TIP,
                                   .has_from = 1,
                                   .has_to = 1,
                                   .native = 1,
                                   .tx = 0,
                                   .amount = cs_u256_from_u64(21000 * 3)};
    memcpy(x[1].from, t->tx[0].from, 20);
    memcpy(x[1].to, b->miner, 20);
    x[2] = (struct cs_evm_xfer_in){.kind = CS_XK_FEE_BURN,
                                   .has_from = 1,
                                   .native = 1,
                                   .tx = 0,
                                   .amount = cs_u256_from_u64(21000 * 7)};
    memcpy(x[2].from, t->tx[0].from, 20);
    x[3] =
        (struct cs_evm_xfer_in){.kind = CS_XK_ERC20, .has_from = 1, .has_to = 1, .tx = 1, .aux = 3};
    addr_of(x[3].from, 2);
    addr_of(x[3].to, 3);
    addr_of(x[3].asset, 50);
    x[3].amount.w[0] = number;
    x[3].amount.w[1] = 64; /* 2^70 + number */
    x[4] = (struct cs_evm_xfer_in){.kind = CS_XK_WITHDRAWAL,
                                   .has_to = 1,
                                   .native = 1,
                                   .tx = UINT32_MAX,
                                   .amount = cs_u256_from_u64(7)};
    addr_of(x[4].to, 9);
    b->tx = t->tx;
    b->n_tx = 2;
    b->xfer = t->x;
    b->n_xfer = 5;
    t->log.tx = 1;
    t->log.index = 3;
    addr_of(t->log.addr, 50);
    t->log.ntopics = 2;
    memset(t->log.topic[0], 0xa5, 32);
    memcpy(t->log.topic[1], b->hash, 32);
    t->log.data_len = log_len(number);
    for (size_t i = 0; i < t->log.data_len; i++)
        t->data[i] = log_byte(number, variant, i);
    t->log.data = t->data;
    b->log = &t->log;
    b->n_log = 1;
    if (number == 1000) {
        addr_of(t->tok.addr, 50);
        t->tok.kind = CS_XK_ERC20;
        t->tok.decimals = 6;
        t->tok.has_decimals = 1;
        memcpy(t->tok.symbol, "TUSD", 5);
        b->tok = &t->tok;
        b->n_tok = 1;
    }
}

static void build(struct cs_evm *w, uint64_t from, int n, int variant, uint8_t tip[32])
{
    struct tblock t;
    for (int i = 0; i < n; i++) {
        make_block(&t, from + (uint64_t)i, tip, variant);
        int arc = cs_evm_append_block(w, &t.b);
        if (arc) fprintf(stderr, "append: %s\n", cs_errmsg());
        assert_int_equal(arc, 0);
        memcpy(tip, t.b.hash, 32);
    }
    assert_int_equal(cs_evm_commit(w), 0);
}

/* SHA-256 over everything a reader can see. */
static void view_hash(const struct cs_evm *r, uint8_t out[32])
{
    const struct cs_evm_counts *k = cs_evm_counts(r);
    size_t cap = 4096 + (k->blocks * 200 + k->tx * 128 + k->xfer * 100 + k->acct * 40 +
                         k->log * sizeof(struct cs_evm_logrec) + k->logd),
           n = 0;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    memcpy(buf, k, sizeof *k);
    n += sizeof *k;
    for (uint64_t i = 0; i < k->blocks; i++, n += sizeof(struct cs_evm_blockrec))
        memcpy(buf + n, cs_evm_block(r, i), sizeof(struct cs_evm_blockrec));
    for (uint64_t i = 0; i < k->tx; i++, n += 32 + sizeof(struct cs_evm_txrec)) {
        memcpy(buf + n, cs_evm_tx(r, i), sizeof(struct cs_evm_txrec));
        memcpy(buf + n + sizeof(struct cs_evm_txrec), cs_evm_txhash(r, i), 32);
    }
    for (uint64_t x = 0; x < k->xfer; x++, n += 40 + 32 + 16) {
        struct cs_u256 v;
        cs_evm_xfer_amount(r, x, &v);
        memcpy(buf + n, cs_evm_xfer(r, x), 40);
        memcpy(buf + n + 40, &v, 32);
        uint64_t l[2] = {cs_evm_out_next(r, x), cs_evm_in_next(r, x)};
        memcpy(buf + n + 72, l, 16);
    }
    for (uint64_t a = 1; a < k->acct; a++, n += 36) {
        uint64_t h[2] = {cs_evm_out_head(r, a), cs_evm_in_head(r, a)};
        memcpy(buf + n, cs_evm_acct(r, a), 20);
        memcpy(buf + n + 20, h, 16);
    }
    for (uint64_t l = 0; l < k->log; l++) {
        const struct cs_evm_logrec *lr = cs_evm_log(r, l);
        memcpy(buf + n, lr, sizeof *lr);
        n += sizeof *lr;
        memcpy(buf + n, cs_evm_log_data(r, l), lr->data_len);
        n += lr->data_len;
    }
    assert_true(n <= cap);
    cs_sha256(buf, n, out);
    free(buf);
}

static void rm_rf(const char *d)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
}

static void test_append_read_verify(void **st)
{
    (void)st;
    char d[300];
    snprintf(d, sizeof d, "/tmp/cs-test-evm.%d", (int)getpid());
    rm_rf(d);
    struct cs_evm *w, *r;
    uint8_t tip[32] = {0};
    assert_int_equal(cs_evm_open(&r, d, "eth", CS_EVM_READ), CS_ENOTFOUND);
    assert_int_equal(cs_evm_open(&w, d, "eth", CS_EVM_WRITE), 0);
    build(w, 1000, 30, 0, tip);
    /* a block that skips a number is refused and changes nothing */
    struct tblock t;
    make_block(&t, 1031, tip, 0);
    assert_int_equal(cs_evm_append_block(w, &t.b), CS_ECONSENSUS);
    assert_non_null(strstr(cs_errmsg(), "does not extend the tip 1029"));
    assert_int_equal(cs_evm_counts(w)->blocks, 30);

    int orc = cs_evm_open(&r, d, "eth", CS_EVM_READ);
    if (orc) fprintf(stderr, "open: %s\n", cs_errmsg());
    assert_int_equal(orc, 0);
    const struct cs_evm_counts *k = cs_evm_counts(r);
    assert_int_equal(k->blocks, 30);
    assert_int_equal(k->tx, 60);
    assert_int_equal(k->xfer, 150);
    assert_int_equal(k->big, 30); /* one token amount of 2^70 + n per block */
    assert_int_equal(k->tok, 1);
    /* one kept log per block, in tx 1, with 1 + number % 40 data bytes */
    uint64_t want_d = 0;
    for (uint64_t q = 1000; q < 1030; q++)
        want_d += log_len(q);
    assert_int_equal(k->log, 30);
    assert_int_equal(k->logd, want_d);
    for (uint64_t q = 0; q < 60; q++) {
        uint64_t lf, ln;
        cs_evm_tx_logs(r, q, &lf, &ln);
        assert_int_equal(ln, q % 2);
        if (!ln) continue;
        const struct cs_evm_logrec *lr = cs_evm_log(r, lf);
        uint64_t num = 1000 + q / 2;
        assert_int_equal(lr->index, 3);
        assert_int_equal(lr->ntopics, 2);
        assert_int_equal(lr->data_len, log_len(num));
        assert_memory_equal(lr->topic[1], cs_evm_block(r, q / 2)->hash, 32);
        for (size_t i = 0; i < lr->data_len; i++)
            assert_int_equal(cs_evm_log_data(r, lf)[i], log_byte(num, 0, i));
    }
    /* accounts: 1, 2, 3, 4 (to), 50 (token), 100 (miner), 9 (withdrawal) + row 0 */
    assert_int_equal(k->acct, 8);
    uint64_t row;
    assert_int_equal(cs_evm_find_block(r, 1017, &row), 0);
    assert_int_equal(row, 17);
    assert_int_equal(cs_evm_block(r, row)->number, 1017);
    assert_int_equal(cs_evm_find_block(r, 999, &row), CS_ENOTFOUND);
    uint8_t a[20];
    uint64_t acct, t1, x;
    addr_of(a, 1);
    assert_int_equal(cs_evm_find_acct(r, a, &acct), 0);
    /* account 1 sent 3 native transfers per block: newest first */
    uint64_t n = 0, prev = CS_EVM_NONE;
    struct cs_u256 sum = {{0}}, v;
    for (x = cs_evm_out_head(r, acct); x != CS_EVM_NONE; x = cs_evm_out_next(r, x), n++) {
        assert_true(prev == CS_EVM_NONE || x < prev);
        prev = x;
        cs_evm_xfer_amount(r, x, &v);
        assert_int_equal(cs_u256_add(&sum, &sum, &v), 0);
    }
    assert_int_equal(n, 90);
    /* sum over n=1000..1029 of (n+1) + 63000 + 147000 */
    assert_int_equal(sum.w[0], 30465 + 30 * 210000);
    /* the token transfers carry 2^70 + n exactly */
    addr_of(a, 3);
    assert_int_equal(cs_evm_find_acct(r, a, &acct), 0);
    x = cs_evm_in_head(r, acct);
    assert_int_equal(cs_evm_xfer(r, x)->kind, CS_XK_ERC20);
    cs_evm_xfer_amount(r, x, &v);
    assert_int_equal(v.w[0], 1029);
    assert_int_equal(v.w[1], 64);
    const struct cs_evm_tokrec *tk = cs_evm_token(r, cs_evm_xfer(r, x)->asset);
    assert_non_null(tk);
    assert_string_equal(tk->symbol, "TUSD");
    assert_int_equal(tk->decimals, 6);
    /* the withdrawal is block-level: its block found by search */
    addr_of(a, 9);
    assert_int_equal(cs_evm_find_acct(r, a, &acct), 0);
    x = cs_evm_in_head(r, acct);
    assert_int_equal(cs_evm_xfer_tx(r, x), CS_EVM_NONE);
    /* every tx's transfers map back to it */
    for (uint64_t q = 0; q < k->tx; q++) {
        const struct cs_evm_txrec *tr = cs_evm_tx(r, q);
        for (uint64_t y = tr->first_xfer; y < tr->first_xfer + tr->n_xfer; y++)
            assert_int_equal(cs_evm_xfer_tx(r, y), q);
    }
    assert_int_equal(cs_evm_xfer_block(r, x), 29);
    assert_int_equal(cs_evm_acct_first_block(r, acct), 0);
    assert_int_equal(cs_evm_find_tx(r, cs_evm_txhash(r, 41), &t1), 0);
    assert_int_equal(t1, 41);
    assert_int_equal(cs_evm_tx(r, 41)->nonce, 1020 * 2 + 1);
    assert_int_equal(cs_evm_tx(r, 41)->n_xfer, 1);
    assert_int_equal(cs_evm_verify(r), 0);

    /* rollback of 10 blocks with the reader open, then a new branch */
    uint8_t h1[32], h2[32];
    view_hash(r, h1);
    assert_int_equal(cs_evm_truncate(w, 20), 0);
    memcpy(tip, cs_evm_block(w, 19)->hash, 32);
    build(w, 1020, 15, 1, tip);
    view_hash(r, h2);
    assert_memory_equal(h1, h2, 32);
    assert_int_equal(cs_evm_verify(r), 0);
    cs_evm_close(r);
    assert_int_equal(cs_evm_open(&r, d, "eth", CS_EVM_READ), 0);
    assert_int_equal(cs_evm_counts(r)->blocks, 35);
    assert_int_equal(cs_evm_verify(r), 0);
    view_hash(r, h1);
    cs_evm_close(r);
    cs_evm_close(w);

    /* the same chain built fresh gives the same view */
    char d2[320];
    snprintf(d2, sizeof d2, "%s-fresh", d);
    rm_rf(d2);
    memset(tip, 0, 32);
    assert_int_equal(cs_evm_open(&w, d2, "eth", CS_EVM_WRITE), 0);
    build(w, 1000, 20, 0, tip);
    build(w, 1020, 15, 1, tip);
    cs_evm_close(w);
    assert_int_equal(cs_evm_open(&r, d2, "eth", CS_EVM_READ), 0);
    view_hash(r, h2);
    assert_memory_equal(h1, h2, 32);
    cs_evm_close(r);
    rm_rf(d);
    rm_rf(d2);
}

/* The look-alike mark (CS_EVM_LOOKALIKE_SCAN): A pays C; later a fresh R
 * with C's first and last 4 hex digits is paid by A (marked), a fresh U is
 * paid by A (not marked), A pays R again (not fresh: not marked), and a
 * fresh R2 (also like C) sends to A (marked). */
static void test_lookalike(void **st)
{
    (void)st;
    char d[300];
    snprintf(d, sizeof d, "/tmp/cs-test-evm-look.%d", (int)getpid());
    rm_rf(d);
    struct cs_evm *w;
    assert_int_equal(cs_evm_open(&w, d, "eth", CS_EVM_WRITE), 0);
    uint8_t A[20], C[20], R[20], U[20], R2[20], tip[32] = {0};
    memset(A, 0x11, 20);
    memset(C, 0x22, 20);
    C[0] = 0xab, C[1] = 0xcd, C[18] = 0x12, C[19] = 0x34;
    memcpy(R, C, 20);
    R[7] = 0x99;
    memcpy(R2, C, 20);
    R2[9] = 0x77;
    memset(U, 0x33, 20);
    const uint8_t *pairs[5][2] = {{A, C}, {A, R}, {A, U}, {A, R}, {R2, A}};
    for (int i = 0; i < 5; i++) {
        struct cs_evm_block_in b;
        struct cs_evm_tx_in tx;
        struct cs_evm_xfer_in x;
        memset(&b, 0, sizeof b);
        memset(&tx, 0, sizeof tx);
        memset(&x, 0, sizeof x);
        b.number = 500 + (uint64_t)i;
        memcpy(b.parent, tip, 32);
        memset(b.hash, 0x40 + i, 32);
        memset(b.miner, 0x55, 20);
        memset(tx.hash, 0x60 + i, 32);
        memcpy(tx.from, pairs[i][0], 20);
        memcpy(tx.to, pairs[i][1], 20);
        tx.has_to = 1;
        tx.status = CS_ETX_OK;
        tx.value = cs_u256_from_u64(1);
        x.kind = CS_XK_NATIVE;
        x.native = x.has_from = x.has_to = 1;
        memcpy(x.from, tx.from, 20);
        memcpy(x.to, tx.to, 20);
        x.amount = tx.value;
        b.tx = &tx;
        b.n_tx = 1;
        b.xfer = &x;
        b.n_xfer = 1;
        assert_int_equal(cs_evm_append_block(w, &b), 0);
        memcpy(tip, b.hash, 32);
    }
    const int want[5] = {0, 1, 0, 0, 1};
    for (uint64_t i = 0; i < 5; i++)
        if (!!(cs_evm_xfer(w, i)->flags & CS_XF_LOOKALIKE) != want[i])
            fail_msg("transfer %llu: look-alike mark %d, want %d", (unsigned long long)i,
                     !want[i], want[i]);
    assert_int_equal(cs_evm_commit(w), 0);
    cs_evm_close(w);
    rm_rf(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eip55),
        cmocka_unit_test(test_token_marks),
        cmocka_unit_test(test_append_read_verify), cmocka_unit_test(test_lookalike),
    };
    return cmocka_run_group_tests_name("evm_store", tests, NULL, NULL);
}
