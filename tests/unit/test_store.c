/* test_store.c — the store's invariants on hand-made blocks: appends are
 * atomic (a failing block leaves every column as it was), a reader's snapshot
 * ignores a writer's uncommitted rows, rollback + re-append equals a fresh
 * store, reopening undoes an uncommitted tail, and the indexes find every row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "btc/block.h"
#include "btc/store.h"
#include "util/codec.h"
#include "util/hash.h"

/* ---- a tiny block builder ---- */
struct buf {
    uint8_t b[1 << 16];
    size_t n;
};
static void put(struct buf *w, const void *p, size_t n)
{
    memcpy(w->b + w->n, p, n);
    w->n += n;
}
static void put32(struct buf *w, uint32_t v)
{
    put(w, &v, 4);
}
static void put64(struct buf *w, uint64_t v)
{
    put(w, &v, 8);
}
static void putcs(struct buf *w, uint64_t v)
{
    w->n += cs_compact_put(w->b + w->n, v);
}

struct in {
    const uint8_t *txid;
    uint32_t vout;
};
/* P2PKH output to key id k (hash160 = k repeated) */
static void p2pkh(struct buf *w, uint64_t value, uint8_t k)
{
    uint8_t s[25] = {0x76, 0xa9, 0x14};
    memset(s + 3, k, 20);
    s[23] = 0x88;
    s[24] = 0xac;
    put64(w, value);
    putcs(w, 25);
    put(w, s, 25);
}
/* Serializes a tx; coinbase when nin == 0 (height in scriptSig). */
static size_t tx(struct buf *w, const struct in *ins, int nin, const uint64_t *vals,
                 const uint8_t *keys, int nout, uint32_t height, uint8_t txid[32])
{
    size_t start = w->n;
    put32(w, 1);
    if (nin == 0) {
        uint8_t z[32] = {0};
        putcs(w, 1);
        put(w, z, 32);
        put32(w, 0xffffffff);
        uint8_t ss[5] = {4, (uint8_t)height, (uint8_t)(height >> 8), 0, 0};
        putcs(w, 5);
        put(w, ss, 5);
        put32(w, 0xffffffff);
    } else {
        putcs(w, (uint64_t)nin);
        for (int i = 0; i < nin; i++) {
            put(w, ins[i].txid, 32);
            put32(w, ins[i].vout);
            putcs(w, 0);
            put32(w, 0xfffffffe);
        }
    }
    putcs(w, (uint64_t)nout);
    for (int o = 0; o < nout; o++)
        p2pkh(w, vals[o], keys[o]);
    put32(w, 0);
    cs_sha256d(w->b + start, w->n - start, txid);
    return w->n - start;
}

struct blk {
    struct buf body;
    uint8_t txids[16][32];
    int ntx;
};
static void blk_begin(struct blk *k, uint32_t height, uint8_t key)
{
    memset(k, 0, sizeof *k);
    uint64_t v = 5000000000ULL;
    tx(&k->body, NULL, 0, &v, &key, 1, height, k->txids[k->ntx++]);
}
/* Finishes: header with prev, merkle; parses into b (arena a). */
static void blk_end(struct blk *k, const uint8_t prev[32], uint32_t nonce, struct buf *raw,
                    struct cs_block *b, struct cs_block_arena *a)
{
    uint8_t root[32], scratch[16 * 64];
    cs_merkle_root(&k->txids[0][0], (size_t)k->ntx, scratch, root);
    raw->n = 0;
    put32(raw, 1);
    put(raw, prev, 32);
    put(raw, root, 32);
    put32(raw, 1700000000 + nonce);
    put32(raw, 0x207fffff);
    put32(raw, nonce);
    putcs(raw, (uint64_t)k->ntx);
    put(raw, k->body.b, k->body.n);
    assert_int_equal(cs_block_parse(b, a, raw->b, raw->n, "test", 0, 0), 0);
}

static char dir[256];

static void sums(struct cs_store *s, uint8_t out[CS_COL_COUNT][32])
{
    for (int c = 0; c < CS_COL_COUNT; c++) {
        uint64_t n;
        cs_store_col_checksum(s, c, out[c], &n);
    }
}

/* chain: b0 coinbase->k1; b1 coinbase->k2, tx spends b0:0 -> k3 (3e9), k1 (2e9 - 1000 fee) */
static void build_two(struct cs_store *s, uint8_t tip[32], uint8_t cb0[32], uint8_t spend[32])
{
    struct blk k;
    struct buf raw;
    struct cs_block b;
    struct cs_block_arena a = {0};
    uint8_t zero[32] = {0};
    blk_begin(&k, 0, 1);
    blk_end(&k, zero, 0, &raw, &b, &a);
    memcpy(cb0, k.txids[0], 32);
    assert_int_equal(cs_store_append_block(s, &b), 0);
    uint8_t h0[32];
    memcpy(h0, b.hash, 32);
    blk_begin(&k, 1, 2);
    struct in in = {cb0, 0};
    uint64_t vals[2] = {3000000000ULL, 1999999000ULL};
    uint8_t keys[2] = {3, 1};
    tx(&k.body, &in, 1, vals, keys, 2, 1, k.txids[k.ntx++]);
    memcpy(spend, k.txids[1], 32);
    blk_end(&k, h0, 1, &raw, &b, &a);
    assert_int_equal(cs_store_append_block(s, &b), 0);
    memcpy(tip, b.hash, 32);
    cs_block_arena_free(&a);
}

static void test_append_query(void **st)
{
    (void)st;
    struct cs_store *s;
    uint8_t tip[32], cb0[32], spend[32];
    snprintf(dir, sizeof dir, "/tmp/cs-test-store.%d", (int)getpid());
    assert_int_equal(cs_store_open(&s, dir, "btc", CS_STORE_WRITE, cs_net_by_name("regtest")), 0);
    build_two(s, tip, cb0, spend);
    assert_int_equal(cs_store_commit(s), 0);
    const struct cs_counts *k = cs_store_counts(s);
    assert_int_equal(k->blocks, 2);
    assert_int_equal(k->tx, 3);
    assert_int_equal(k->out, 4);
    assert_int_equal(k->addr, 4); /* row 0 reserved + keys 1, 2, 3 */
    uint64_t t, uc, ut;
    assert_int_equal(cs_store_find_tx(s, spend, &t), 0);
    assert_int_equal(t, 2);
    assert_int_equal(cs_store_spent_by(s, 0), 2); /* b0's coinbase output spent by tx 2 */
    assert_int_equal(cs_store_in_prevout(s, 2), 0);
    cs_store_utxo(s, &uc, &ut);
    assert_int_equal(uc, 3);
    assert_int_equal(ut, 5000000000ULL + 3000000000ULL + 1999999000ULL);
    /* key 1 received the first coinbase and the change: two outputs, newest first */
    struct cs_addr a = {.type = CS_ADDR_P2PKH, .len = 20};
    memset(a.data, 1, 20);
    uint64_t id;
    assert_int_equal(cs_store_find_addr(s, &a, &id), 0);
    uint64_t o = cs_store_addr_head(s, id);
    assert_int_equal(o, 3);
    assert_int_equal(cs_store_out_next(s, o), 0);
    assert_int_equal(cs_store_out_next(s, 0), CS_NONE64);
    assert_int_equal(cs_store_out_tx(s, 3), 2);
    assert_int_equal(cs_store_verify(s, 0, NULL, NULL), 0);
    cs_store_close(s);
}

static void test_atomic_append(void **st)
{
    (void)st;
    struct cs_store *s;
    struct blk k;
    struct buf raw;
    struct cs_block b;
    struct cs_block_arena a = {0};
    uint8_t before[CS_COL_COUNT][32], after[CS_COL_COUNT][32];
    assert_int_equal(cs_store_open(&s, dir, "btc", CS_STORE_WRITE, NULL), 0);
    sums(s, before);
    const uint8_t *tip = cs_store_block(s, 1)->hash;
    uint8_t cb0[32];
    memcpy(cb0, cs_store_txid(s, 0), 32);
    /* block 2: a valid spend of b1's coinbase, then a double spend of b0:0 (spent in b1) */
    blk_begin(&k, 2, 9);
    struct in in1 = {cs_store_txid(s, 1), 0}, in2 = {cb0, 0};
    uint64_t v = 100;
    uint8_t key = 7;
    tx(&k.body, &in1, 1, &v, &key, 1, 2, k.txids[k.ntx++]);
    tx(&k.body, &in2, 1, &v, &key, 1, 2, k.txids[k.ntx++]);
    uint8_t tipc[32];
    memcpy(tipc, tip, 32);
    blk_end(&k, tipc, 2, &raw, &b, &a);
    assert_int_equal(cs_store_append_block(s, &b), CS_ECONSENSUS);
    assert_non_null(strstr(cs_errmsg(), "double-spends"));
    sums(s, after);
    assert_memory_equal(before, after, sizeof before);
    assert_int_equal(cs_store_counts(s)->tx, 3);
    assert_int_equal(cs_store_spent_by(s, 1), CS_NONE64); /* the valid spend was undone too */
    /* a block spending an output that does not exist */
    blk_begin(&k, 2, 9);
    struct in in3 = {cb0, 5};
    tx(&k.body, &in3, 1, &v, &key, 1, 2, k.txids[k.ntx++]);
    blk_end(&k, tipc, 3, &raw, &b, &a);
    assert_int_equal(cs_store_append_block(s, &b), CS_ECONSENSUS);
    assert_non_null(strstr(cs_errmsg(), "does not exist"));
    /* a block that does not extend the tip */
    blk_begin(&k, 2, 9);
    blk_end(&k, cb0, 4, &raw, &b, &a);
    assert_int_equal(cs_store_append_block(s, &b), CS_ECONSENSUS);
    sums(s, after);
    assert_memory_equal(before, after, sizeof before);
    assert_int_equal(cs_store_verify(s, 0, NULL, NULL), 0);
    cs_store_close(s);
    cs_block_arena_free(&a);
}

static void test_snapshot_and_tail(void **st)
{
    (void)st;
    struct cs_store *w, *r;
    struct blk k;
    struct buf raw;
    struct cs_block b;
    struct cs_block_arena a = {0};
    uint8_t committed[CS_COL_COUNT][32], now[CS_COL_COUNT][32];
    assert_int_equal(cs_store_open(&w, dir, "btc", CS_STORE_WRITE, NULL), 0);
    sums(w, committed);
    /* the writer spends key 3's output (b1 tx 1:0) without committing */
    blk_begin(&k, 2, 4);
    struct in in = {cs_store_txid(w, 2), 0};
    uint64_t v = 2999990000ULL;
    uint8_t key = 5, tip[32];
    tx(&k.body, &in, 1, &v, &key, 1, 2, k.txids[k.ntx++]);
    memcpy(tip, cs_store_block(w, 1)->hash, 32);
    blk_end(&k, tip, 5, &raw, &b, &a);
    assert_int_equal(cs_store_append_block(w, &b), 0);
    assert_int_equal(cs_store_spent_by(w, 2), 4);
    /* a reader sees the committed snapshot: output 2 unspent, 3 txs */
    assert_int_equal(cs_store_open(&r, dir, "btc", CS_STORE_READ, NULL), 0);
    assert_int_equal(cs_store_counts(r)->tx, 3);
    assert_int_equal(cs_store_spent_by(r, 2), CS_NONE64);
    uint64_t t;
    assert_int_equal(cs_store_find_tx(r, k.txids[1], &t), CS_ENOTFOUND);
    cs_store_close(r);
    /* the writer goes away without committing: the tail is undone */
    cs_store_close(w);
    assert_int_equal(cs_store_open(&r, dir, "btc", CS_STORE_READ, NULL), 0);
    sums(r, now);
    assert_memory_equal(committed, now, sizeof now);
    assert_int_equal(cs_store_verify(r, 0, NULL, NULL), 0);
    cs_store_close(r);
    cs_block_arena_free(&a);
}

static void test_truncate_equals_fresh(void **st)
{
    (void)st;
    struct cs_store *s, *f;
    uint8_t a1[CS_COL_COUNT][32], a2[CS_COL_COUNT][32], tip[32], cb0[32], spend[32];
    char fresh[300];
    assert_int_equal(cs_store_open(&s, dir, "btc", CS_STORE_WRITE, NULL), 0);
    assert_int_equal(cs_store_truncate(s, 0), 0);
    assert_int_equal(cs_store_counts(s)->blocks, 1);
    assert_int_equal(cs_store_spent_by(s, 0), CS_NONE64);
    uint64_t uc, ut;
    cs_store_utxo(s, &uc, &ut);
    assert_int_equal(uc, 1);
    assert_int_equal(ut, 5000000000ULL);
    assert_int_equal(cs_store_truncate(s, -1), 0);
    assert_int_equal(cs_store_counts(s)->blocks, 0);
    build_two(s, tip, cb0, spend);
    assert_int_equal(cs_store_commit(s), 0);
    sums(s, a1);
    cs_store_close(s);
    snprintf(fresh, sizeof fresh, "%s.fresh", dir);
    assert_int_equal(cs_store_open(&f, fresh, "btc", CS_STORE_WRITE, cs_net_by_name("regtest")), 0);
    build_two(f, tip, cb0, spend);
    assert_int_equal(cs_store_commit(f), 0);
    sums(f, a2);
    cs_store_close(f);
    assert_memory_equal(a1, a2, sizeof a1);
    /* a rollback does not shrink files under a reader's longer snapshot: the
     * rows past the commit are zero, the file keeps its committed-before length */
    assert_int_equal(cs_store_open(&s, dir, "btc", CS_STORE_WRITE, NULL), 0);
    assert_int_equal(cs_store_truncate(s, 0), 0);
    cs_store_close(s);
    char path[400];
    struct stat stt;
    snprintf(path, sizeof path, "%s/btc/tx.col", dir);
    assert_int_equal(stat(path, &stt), 0);
    assert_int_equal(stt.st_size, 3 * (off_t)sizeof(struct cs_txrec));
    assert_int_equal(cs_store_open(&s, dir, "btc", CS_STORE_READ, NULL), 0);
    assert_int_equal(cs_store_counts(s)->tx, 1);
    assert_int_equal(cs_store_verify(s, 0, NULL, NULL), 0);
    cs_store_close(s);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", dir, fresh);
    assert_int_equal(system(cmd), 0);
}

/* Two coinbases with the same txid (mainnet's BIP30 pairs, blocks 91722/91880
 * and 91812/91842): the newer one replaces the older one's unspent output in
 * the UTXO set, lookups find the newer one, and a rollback restores the old. */
static void test_duplicate_txid(void **st)
{
    (void)st;
    struct cs_store *s;
    struct blk k;
    struct buf raw;
    struct cs_block b;
    struct cs_block_arena a = {0};
    char d2[300];
    uint8_t zero[32] = {0}, tip[32];
    snprintf(d2, sizeof d2, "%s.dup", dir);
    assert_int_equal(cs_store_open(&s, d2, "btc", CS_STORE_WRITE, cs_net_by_name("regtest")), 0);
    blk_begin(&k, 0, 1); /* height 0, key 1 */
    blk_end(&k, zero, 0, &raw, &b, &a);
    assert_int_equal(cs_store_append_block(s, &b), 0);
    memcpy(tip, b.hash, 32);
    blk_begin(&k, 7, 2); /* coinbase A: "height 7", key 2 */
    uint8_t cb[32];
    memcpy(cb, k.txids[0], 32);
    blk_end(&k, tip, 1, &raw, &b, &a);
    assert_int_equal(cs_store_append_block(s, &b), 0);
    memcpy(tip, b.hash, 32);
    uint64_t uc, ut, t;
    cs_store_utxo(s, &uc, &ut);
    assert_int_equal(uc, 2);
    blk_begin(&k, 7, 2); /* the same coinbase bytes again: the same txid */
    assert_memory_equal(k.txids[0], cb, 32);
    blk_end(&k, tip, 2, &raw, &b, &a);
    assert_int_equal(cs_store_append_block(s, &b), 0);
    cs_store_utxo(s, &uc, &ut);
    assert_int_equal(uc, 2); /* not 3: the old output was overwritten */
    assert_int_equal(ut, 2 * 5000000000ULL);
    assert_int_equal(cs_store_find_tx(s, cb, &t), 0);
    assert_int_equal(t, 2); /* the newest */
    assert_int_equal(cs_store_commit(s), 0);
    assert_int_equal(cs_store_truncate(s, 1), 0);
    cs_store_utxo(s, &uc, &ut);
    assert_int_equal(uc, 2);
    assert_int_equal(ut, 2 * 5000000000ULL);
    assert_int_equal(cs_store_find_tx(s, cb, &t), 0);
    assert_int_equal(t, 1);
    assert_int_equal(cs_store_verify(s, 0, NULL, NULL), 0);
    cs_store_close(s);
    cs_block_arena_free(&a);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d2);
    assert_int_equal(system(cmd), 0);
}

/* ---- snapshots through appends, rollbacks and re-applies ---- */
struct rawblk {
    uint8_t b[1024];
    size_t n;
};

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Appends one block at w's tip: a coinbase to a random key and, above the
 * genesis, a tx spending the tip's coinbase output to two random keys.  The
 * serialized block goes to out (for a later re-apply). */
static void append_next(struct cs_store *w, uint64_t *rng, struct rawblk *out)
{
    uint64_t h = cs_store_counts(w)->blocks;
    struct blk k;
    struct buf raw;
    struct cs_block b;
    struct cs_block_arena a = {0};
    uint8_t prev[32] = {0};
    blk_begin(&k, (uint32_t)h, (uint8_t)(1 + rnd(rng) % 40));
    if (h > 0) {
        const struct cs_blockrec *tip = cs_store_block(w, h - 1);
        memcpy(prev, tip->hash, 32);
        struct in in = {cs_store_txid(w, tip->first_tx), 0};
        uint64_t v1 = 1 + rnd(rng) % 4000000000ULL;
        uint64_t vals[2] = {v1, 5000000000ULL - 1000 - v1};
        uint8_t keys[2] = {(uint8_t)(1 + rnd(rng) % 40), (uint8_t)(1 + rnd(rng) % 40)};
        tx(&k.body, &in, 1, vals, keys, 2, (uint32_t)h, k.txids[k.ntx++]);
    }
    blk_end(&k, prev, (uint32_t)rnd(rng), &raw, &b, &a);
    assert_int_equal(cs_store_append_block(w, &b), 0);
    assert_true(raw.n <= sizeof out->b);
    memcpy(out->b, raw.b, raw.n);
    out->n = raw.n;
    cs_block_arena_free(&a);
}

static void append_raw(struct cs_store *w, const struct rawblk *r)
{
    struct cs_block b;
    struct cs_block_arena a = {0};
    assert_int_equal(cs_block_parse(&b, &a, r->b, r->n, "test", 0, 0), 0);
    assert_int_equal(cs_store_append_block(w, &b), 0);
    cs_block_arena_free(&a);
}

/* What a reader can see, hashed: the bytes of every append-only column, and
 * for the in-place ones what the accessors answer (spent.col and addrhead.col
 * also hold a writer's later spends, which the accessors leave out), every
 * txid's index lookup, and the UTXO totals. */
static void view_hash(struct cs_store *r, uint8_t out[32])
{
    const struct cs_counts *k = cs_store_counts(r);
    size_t cap = sizeof *k + CS_COL_COUNT * 32 + 16 + (k->out + k->addr + k->tx) * 8, n = 0;
    uint8_t *b = malloc(cap);
    assert_non_null(b);
    memcpy(b, k, sizeof *k);
    n += sizeof *k;
    for (int c = 0; c < CS_COL_COUNT; c++) {
        uint64_t bytes;
        if (c == CS_COL_SPENT || c == CS_COL_ADDRHEAD) continue;
        cs_store_col_checksum(r, c, b + n, &bytes);
        n += 32;
    }
    for (uint64_t o = 0; o < k->out; o++, n += 8)
        cs_put_le64(b + n, cs_store_spent_by(r, o));
    for (uint64_t a = 0; a < k->addr; a++, n += 8)
        cs_put_le64(b + n, cs_store_addr_head(r, a));
    for (uint64_t t = 0; t < k->tx; t++, n += 8) {
        uint64_t id = CS_NONE64;
        if (cs_store_find_tx(r, cs_store_txid(r, t), &id)) id = CS_NONE64;
        cs_put_le64(b + n, id);
    }
    uint64_t uc, ut;
    cs_store_utxo(r, &uc, &ut);
    cs_put_le64(b + n, uc);
    cs_put_le64(b + n + 8, ut);
    n += 16;
    assert_true(n <= cap);
    cs_sha256(b, n, out);
    free(b);
    assert_int_equal(cs_store_status(r), 0);
}

static void test_snapshot_through_rollbacks(void **st)
{
    (void)st;
    char d[300];
    snprintf(d, sizeof d, "/tmp/cs-test-snap.%d", (int)getpid());
    struct cs_store *w, *held, *moving, *fresh;
    static struct rawblk chain[512], removed[64];
    size_t nremoved = 0;
    uint64_t rng = 0x5eed5eedULL;
    assert_int_equal(cs_store_open(&w, d, "btc", CS_STORE_WRITE, cs_net_by_name("regtest")), 0);
    for (int i = 0; i < 12; i++)
        append_next(w, &rng, &chain[i]);
    assert_int_equal(cs_store_commit(w), 0);
    assert_int_equal(cs_store_open(&held, d, "btc", CS_STORE_READ, NULL), 0);
    assert_int_equal(cs_store_open(&moving, d, "btc", CS_STORE_READ, NULL), 0);
    uint8_t want[32], want_moving[32], now[32];
    view_hash(held, want);
    view_hash(moving, want_moving);
    const uint64_t held_tx = cs_store_counts(held)->tx;
    int rollbacks = 0, reapplies = 0, appends = 0;
    for (int op = 0; op < 100; op++) {
        uint64_t h = cs_store_counts(w)->blocks, what = rnd(&rng) % 3;
        if (what == 1 && h > 2) { /* a reorg: drop 1..6 blocks, keep them for a re-apply */
            uint64_t drop = 1 + rnd(&rng) % 6;
            if (drop > h - 1) drop = h - 1;
            for (uint64_t i = 0; i < drop; i++)
                removed[i] = chain[h - drop + i];
            nremoved = (size_t)drop;
            assert_int_equal(cs_store_truncate(w, (int64_t)(h - drop) - 1), 0);
            rollbacks++;
        } else if (what == 2 && nremoved) { /* back to the branch just dropped */
            for (size_t i = 0; i < nremoved; i++) {
                append_raw(w, &removed[i]);
                chain[h + i] = removed[i];
            }
            nremoved = 0;
            assert_int_equal(cs_store_commit(w), 0);
            reapplies++;
        } else if (h + 4 < sizeof chain / sizeof chain[0]) { /* a new branch or tip */
            uint64_t more = 1 + rnd(&rng) % 4;
            for (uint64_t i = 0; i < more; i++)
                append_next(w, &rng, &chain[h + i]);
            nremoved = 0;
            assert_int_equal(cs_store_commit(w), 0);
            appends++;
        }
        /* the held snapshot never changes, nor does the moving one between refreshes */
        view_hash(held, now);
        if (memcmp(now, want, 32)) fail_msg("held snapshot changed after op %d", op);
        assert_int_equal(cs_store_counts(held)->tx, held_tx);
        view_hash(moving, now);
        if (memcmp(now, want_moving, 32)) fail_msg("moving snapshot changed after op %d", op);
        if (op % 10 == 9) {
            assert_int_equal(cs_store_refresh(moving), 0);
            assert_memory_equal(cs_store_counts(moving), cs_store_counts(w),
                                sizeof(struct cs_counts));
            view_hash(moving, want_moving);
        }
        /* what a new reader sees is the writer's commit, consistent in full */
        assert_int_equal(cs_store_open(&fresh, d, "btc", CS_STORE_READ, NULL), 0);
        assert_memory_equal(cs_store_counts(fresh), cs_store_counts(w), sizeof(struct cs_counts));
        assert_int_equal(cs_store_verify(fresh, 0, NULL, NULL), 0);
        cs_store_close(fresh);
    }
    assert_true(rollbacks >= 20 && reapplies >= 10 && appends >= 20);
    uint64_t copies;
    assert_true(cs_store_rollback_copied(w, &copies) > 0);
    assert_int_equal(copies, (uint64_t)rollbacks); /* readers were open at every one */
    assert_int_equal(cs_store_refresh(w), CS_EUSAGE);
    cs_store_close(held);
    cs_store_close(moving);
    /* no reader left: a rollback rewrites in place and copies nothing */
    uint64_t before = cs_store_rollback_copied(w, NULL);
    assert_int_equal(cs_store_truncate(w, 3), 0);
    assert_int_equal(cs_store_rollback_copied(w, NULL), before);
    cs_store_close(w);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
}

/* A reader in another process: while it lives, its view survives a rollback
 * and a new branch; once it is killed with SIGKILL, the next rollback finds
 * no reader (nothing left registered) and copies nothing. */
static void test_reader_process(void **st)
{
    (void)st;
    char d[300];
    snprintf(d, sizeof d, "/tmp/cs-test-snapp.%d", (int)getpid());
    struct cs_store *w;
    static struct rawblk chain[64];
    uint64_t rng = 77;
    assert_int_equal(cs_store_open(&w, d, "btc", CS_STORE_WRITE, cs_net_by_name("regtest")), 0);
    for (int i = 0; i < 20; i++)
        append_next(w, &rng, &chain[i]);
    assert_int_equal(cs_store_commit(w), 0);
    for (int round = 0; round < 2; round++) {
        int up[2], down[2];
        assert_int_equal(pipe(up), 0);
        assert_int_equal(pipe(down), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) { /* the reader: open, hash, tell, wait, hash again */
            struct cs_store *r;
            uint8_t h1[32], h2[32], c = 0;
            /* Only the parent may hold the ends this child waits on, so a
             * failed parent assertion ends the child with EOF, never a hang. */
            close(up[0]);
            close(down[1]);
            alarm(60);
            if (cs_store_open(&r, d, "btc", CS_STORE_READ, NULL)) _exit(3);
            view_hash(r, h1);
            if (write(up[1], "r", 1) != 1 || read(down[0], &c, 1) != 1) _exit(4);
            view_hash(r, h2);
            _exit(memcmp(h1, h2, 32) ? 5 : 0);
        }
        close(up[1]);
        close(down[0]);
        char c;
        assert_int_equal(read(up[0], &c, 1), 1);
        uint64_t before = cs_store_rollback_copied(w, NULL);
        if (round == 1) { /* killed: its locks go with it */
            assert_int_equal(kill(pid, SIGKILL), 0);
            int status;
            assert_int_equal(waitpid(pid, &status, 0), pid);
            assert_true(WIFSIGNALED(status));
        }
        uint64_t h = cs_store_counts(w)->blocks;
        assert_int_equal(cs_store_truncate(w, (int64_t)h - 4), 0);
        for (int i = 0; i < 5; i++)
            append_next(w, &rng, &chain[h - 3 + (uint64_t)i]);
        assert_int_equal(cs_store_commit(w), 0);
        if (round == 0) {
            assert_true(cs_store_rollback_copied(w, NULL) > before);
            assert_int_equal(write(down[1], "g", 1), 1);
            int status;
            assert_int_equal(waitpid(pid, &status, 0), pid);
            assert_true(WIFEXITED(status));
            assert_int_equal(WEXITSTATUS(status), 0);
        } else {
            assert_int_equal(cs_store_rollback_copied(w, NULL), before);
        }
        close(up[0]);
        close(down[1]);
    }
    cs_store_close(w);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_query),      cmocka_unit_test(test_atomic_append),
        cmocka_unit_test(test_snapshot_and_tail), cmocka_unit_test(test_truncate_equals_fresh),
        cmocka_unit_test(test_duplicate_txid),    cmocka_unit_test(test_snapshot_through_rollbacks),
        cmocka_unit_test(test_reader_process),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
