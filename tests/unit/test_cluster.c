/* test_cluster.c — clustering over a real (tiny) store: METHODS §2.1 and §2.2
 * examples, incremental = full, reorg, spec change, crash and interrupt
 * recovery, --why paths, entity summaries, CSV export.
 *
 * The store is built in a temp dir from blocks serialized here byte by byte
 * (P2PKH/P2WPKH/P2SH scripts with made-up hashes, correct merkle roots) and
 * parsed with cs_block_parse, so the store sees exactly what ingest would.
 *
 *   block 0  coinbase -> A 10 BTC, B 10, B 10, C 10, D/E/F 0.15 each, G 10,
 *            W (p2wpkh) 1 BTC, S (p2sh) 0.5
 *   block 1  tx1 {A, B} -> P1;  tx2 {B, C} -> P2
 *   block 2  tx3 {D, E, F} -> 10M, 10M, 10M, 5M, 3M (CoinJoin);  tx4 {G} -> P4
 *   block 3  tx5 {W} -> S 25,000,000 (seen before), V 74,984,321 (fresh p2wpkh)
 * Expected (§2.1): {A, B, C}, {D}, {E}, {F}, {G}; with change:fresh+type+optimal
 * (§2.2) V joins W. */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "btc/block.h"
#include "cluster/cluster.h"
#include "cluster/unionfind.h"
#include "btc/store.h"
#include "util/codec.h"
#include "util/hash.h"

#define COIN 100000000ull

/* ---- tiny serializer ---- */

struct buf {
    uint8_t b[8192];
    size_t n;
};
static void put(struct buf *x, const void *p, size_t n)
{
    assert_true(x->n + n <= sizeof x->b);
    memcpy(x->b + x->n, p, n);
    x->n += n;
}
static void put8(struct buf *x, uint8_t v)
{
    put(x, &v, 1);
}
static void put32(struct buf *x, uint32_t v)
{
    uint8_t t[4];
    cs_put_le32(t, v);
    put(x, t, 4);
}
static void put64(struct buf *x, uint64_t v)
{
    uint8_t t[8];
    cs_put_le64(t, v);
    put(x, t, 8);
}

enum kind { P2PKH, P2WPKH, P2SH };
struct who {
    enum kind kind;
    uint8_t tag; /* the 20-byte hash is tag repeated */
};
static void put_script(struct buf *x, struct who w)
{
    uint8_t h[20];
    memset(h, w.tag, 20);
    if (w.kind == P2PKH) {
        put8(x, 25);
        put(x, (uint8_t[]){0x76, 0xa9, 0x14}, 3);
        put(x, h, 20);
        put(x, (uint8_t[]){0x88, 0xac}, 2);
    } else if (w.kind == P2WPKH) {
        put8(x, 22);
        put(x, (uint8_t[]){0x00, 0x14}, 2);
        put(x, h, 20);
    } else {
        put8(x, 23);
        put(x, (uint8_t[]){0xa9, 0x14}, 2);
        put(x, h, 20);
        put8(x, 0x87);
    }
}

struct txin {
    const uint8_t *txid; /* NULL: coinbase */
    uint32_t vout;
};
struct txout {
    uint64_t value;
    struct who to;
};

/* Serializes a tx, returns its txid. */
static void mktx(struct buf *x, uint32_t height, const struct txin *in, size_t nin,
                 const struct txout *out, size_t nout, uint8_t txid[32])
{
    size_t start = x->n;
    put32(x, 1);
    put8(x, (uint8_t)nin);
    for (size_t i = 0; i < nin; i++) {
        if (in[i].txid) {
            put(x, in[i].txid, 32);
            put32(x, in[i].vout);
            put8(x, 0); /* empty scriptSig: nobody checks signatures here */
        } else {
            uint8_t z[32] = {0};
            put(x, z, 32);
            put32(x, 0xffffffffu);
            put8(x, 5);
            put8(x, 4);
            put32(x, height); /* unique coinbase per block */
        }
        put32(x, 0xffffffffu);
    }
    put8(x, (uint8_t)nout);
    for (size_t i = 0; i < nout; i++) {
        put64(x, out[i].value);
        put_script(x, out[i].to);
    }
    put32(x, 0);
    cs_sha256d(x->b + start, x->n - start, txid);
}

struct blk {
    struct buf raw;
    uint8_t hash[32];
};

/* Assembles a block from n serialized txs (concatenated in body). */
static void mkblock(struct blk *b, const uint8_t prev[32], uint32_t time, const struct buf *body,
                    const uint8_t (*txids)[32], size_t ntx)
{
    uint8_t scratch[32 * 8], merkle[32];
    assert_true(ntx <= 8);
    cs_merkle_root((const uint8_t *)txids, ntx, scratch, merkle);
    b->raw.n = 0;
    put32(&b->raw, 1);
    put(&b->raw, prev, 32);
    put(&b->raw, merkle, 32);
    put32(&b->raw, time);
    put32(&b->raw, 0x207fffff);
    put32(&b->raw, 0);
    put8(&b->raw, (uint8_t)ntx);
    put(&b->raw, body->b, body->n);
    cs_sha256d(b->raw.b, 80, b->hash);
}

/* the cast of METHODS §2.1/§2.2 */
static const struct who A = {P2PKH, 0xa1}, B = {P2PKH, 0xb2}, C = {P2PKH, 0xc3}, D = {P2PKH, 0xd4},
                        E = {P2PKH, 0xe5}, F = {P2PKH, 0xf6}, G = {P2PKH, 0x17}, W = {P2WPKH, 0x28},
                        S = {P2SH, 0x39}, V = {P2WPKH, 0x4a}, P1 = {P2PKH, 0x51},
                        P2 = {P2PKH, 0x52}, P4 = {P2PKH, 0x54}, M = {P2PKH, 0x60};

struct chain {
    struct blk blk[5];
    int n;
    uint8_t tx1[32], tx2[32], tx3[32], tx4[32], tx5[32];
};

static void build_chain(struct chain *ch, int alt_block2)
{
    uint8_t zero[32] = {0}, t0[32], cb[32], ids[4][32];
    struct buf body;
    /* block 0 */
    body.n = 0;
    const struct txout o0[] = {{10 * COIN, A}, {10 * COIN, B}, {10 * COIN, B}, {10 * COIN, C},
                               {15000000, D},  {15000000, E},  {15000000, F},  {10 * COIN, G},
                               {1 * COIN, W},  {COIN / 2, S}};
    mktx(&body, 0, &(struct txin){NULL, 0}, 1, o0, 10, t0);
    memcpy(ids[0], t0, 32);
    mkblock(&ch->blk[0], zero, 1231006505, &body, (const uint8_t(*)[32])ids, 1);
    /* block 1 */
    body.n = 0;
    mktx(&body, 1, &(struct txin){NULL, 0}, 1, &(struct txout){50 * COIN, M}, 1, cb);
    memcpy(ids[0], cb, 32);
    mktx(&body, 1, (struct txin[]){{t0, 0}, {t0, 1}}, 2, &(struct txout){19 * COIN, P1}, 1,
         ch->tx1);
    memcpy(ids[1], ch->tx1, 32);
    mktx(&body, 1, (struct txin[]){{t0, 2}, {t0, 3}}, 2, &(struct txout){19 * COIN, P2}, 1,
         ch->tx2);
    memcpy(ids[2], ch->tx2, 32);
    mkblock(&ch->blk[1], ch->blk[0].hash, 1231007000, &body, (const uint8_t(*)[32])ids, 3);
    /* block 2: the CoinJoin and tx4 (alt: G and C spent together instead) */
    body.n = 0;
    mktx(&body, 2, &(struct txin){NULL, 0}, 1, &(struct txout){50 * COIN + alt_block2, M}, 1, cb);
    memcpy(ids[0], cb, 32);
    const struct txout cj[] = {{10000000, {P2PKH, 0x71}},
                               {10000000, {P2PKH, 0x72}},
                               {10000000, {P2PKH, 0x73}},
                               {5000000, {P2PKH, 0x74}},
                               {3000000, {P2PKH, 0x75}}};
    mktx(&body, 2, (struct txin[]){{t0, 4}, {t0, 5}, {t0, 6}}, 3, cj, 5, ch->tx3);
    memcpy(ids[1], ch->tx3, 32);
    if (alt_block2)
        mktx(&body, 2, (struct txin[]){{t0, 7}, {t0, 8}}, 2, &(struct txout){9 * COIN, P4}, 1,
             ch->tx4);
    else
        mktx(&body, 2, &(struct txin){t0, 7}, 1, &(struct txout){9 * COIN, P4}, 1, ch->tx4);
    memcpy(ids[2], ch->tx4, 32);
    mkblock(&ch->blk[2], ch->blk[1].hash, 1231008000, &body, (const uint8_t(*)[32])ids, 3);
    /* block 3: METHODS §2.2 change example (input W 1 BTC; S seen before) */
    body.n = 0;
    mktx(&body, 3, &(struct txin){NULL, 0}, 1, &(struct txout){50 * COIN, M}, 1, cb);
    memcpy(ids[0], cb, 32);
    const struct txout chg[] = {{25000000, S}, {74984321, V}};
    mktx(&body, 3, &(struct txin){t0, 8}, 1, chg, 2, ch->tx5);
    memcpy(ids[1], ch->tx5, 32);
    mkblock(&ch->blk[3], ch->blk[2].hash, 1231009000, &body, (const uint8_t(*)[32])ids, 2);
    ch->n = alt_block2 ? 3 : 4;
}

/* ---- store helpers ---- */

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

struct db {
    char dir[256];
};

static void db_new(struct db *d)
{
    snprintf(d->dir, sizeof d->dir, "%s/cs-test-cluster.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(d->dir));
}

static void db_free(struct db *d)
{
    nftw(d->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Appends blocks [from, to) of ch to the store at d, committing. */
static void append(struct db *d, const struct chain *ch, int from, int to)
{
    struct cs_store *s;
    assert_int_equal(cs_store_open(&s, d->dir, "btc", CS_STORE_WRITE, cs_net_by_name("main")), 0);
    struct cs_block_arena arena = {0};
    for (int i = from; i < to; i++) {
        struct cs_block blk;
        int rc = cs_block_parse(&blk, &arena, ch->blk[i].raw.b, ch->blk[i].raw.n, "test", 0,
                                CS_PARSE_NO_WTXID);
        if (rc) fail_msg("block %d: %s", i, cs_errmsg());
        rc = cs_store_append_block(s, &blk);
        if (rc) fail_msg("append %d: %s", i, cs_errmsg());
    }
    assert_int_equal(cs_store_commit(s), 0);
    cs_block_arena_free(&arena);
    cs_store_close(s);
}

static void truncate_to(struct db *d, int64_t keep_height)
{
    struct cs_store *s;
    assert_int_equal(cs_store_open(&s, d->dir, "btc", CS_STORE_WRITE, NULL), 0);
    assert_int_equal(cs_store_truncate(s, keep_height), 0);
    cs_store_close(s);
}

static int cluster(struct db *d, const char *spec, struct cs_cluster_report *r)
{
    struct cs_store *s;
    assert_int_equal(cs_store_open(&s, d->dir, "btc", CS_STORE_READ, NULL), 0);
    struct cs_cluster_opts o = {0};
    o.spec = spec;
    int rc = cs_cluster_update(s, d->dir, &o, r);
    cs_store_close(s);
    return rc;
}

static uint32_t addr_id(const struct cs_store *s, struct who w)
{
    struct cs_addr a;
    memset(&a, 0, sizeof a);
    a.type = w.kind == P2PKH ? CS_ADDR_P2PKH : w.kind == P2WPKH ? CS_ADDR_P2WPKH : CS_ADDR_P2SH;
    a.len = 20;
    memset(a.data, w.tag, 20);
    uint64_t id;
    assert_int_equal(cs_store_find_addr(s, &a, &id), 0);
    return (uint32_t)id;
}

static uint64_t tx_row(const struct cs_store *s, const uint8_t txid[32])
{
    uint64_t t;
    assert_int_equal(cs_store_find_tx(s, txid, &t), 0);
    return t;
}

/* Reads a whole file of the clustering into a malloc'ed buffer. */
static uint8_t *slurp(const struct db *d, const char *name, size_t *len)
{
    char p[512];
    snprintf(p, sizeof p, "%s/btc/cluster/%s", d->dir, name);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void assert_same_file(const struct db *x, const struct db *y, const char *name)
{
    size_t n1, n2;
    uint8_t *a = slurp(x, name, &n1), *b = slurp(y, name, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    free(a);
    free(b);
}

/* Rewrites CLUSTER_STATE after replacing `from` by `to` (checksum recomputed). */
static void edit_state(const struct db *d, const char *from, const char *to)
{
    size_t n;
    uint8_t *b = slurp(d, "CLUSTER_STATE", &n);
    char text[4096];
    assert_true(n < sizeof text);
    memcpy(text, b, n);
    text[n] = 0;
    free(b);
    char *ck = strstr(text, "checksum ");
    assert_non_null(ck);
    *ck = 0;
    char *at = strstr(text, from), out[4200];
    assert_non_null(at);
    *at = 0;
    int len = snprintf(out, sizeof out, "%s%s%s", text, to, at + strlen(from));
    uint8_t h[32];
    char hex[65];
    cs_sha256(out, (size_t)len, h);
    cs_hex(hex, h, 32);
    snprintf(out + len, sizeof out - (size_t)len, "checksum %s\n", hex);
    char p[512];
    snprintf(p, sizeof p, "%s/btc/cluster/CLUSTER_STATE", d->dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(out, f);
    fclose(f);
}

/* ---- tests ---- */

static void test_spec_format(void **state)
{
    (void)state;
    struct cs_cluster_spec sp;
    char out[256];
    assert_int_equal(cs_cluster_spec_parse(" change:optimal+fresh , multi-input", &sp), 0);
    assert_int_equal(cs_cluster_spec_format(&sp, out, sizeof out), 0);
    assert_string_equal(out, "multi-input,change:fresh+optimal,coinjoin:default");
    assert_int_equal(cs_cluster_spec_parse("multi-input,coinjoin:none", &sp), 0);
    assert_int_equal(cs_cluster_spec_format(&sp, out, sizeof out), 0);
    assert_string_equal(out, "multi-input,coinjoin:none");
    assert_int_equal(cs_cluster_spec_parse("change:power10=3+type,coinjoin:generic+date-gate", &sp),
                     0);
    assert_int_equal(cs_cluster_spec_format(&sp, out, sizeof out), 0);
    assert_string_equal(out, "change:type+power10=3,coinjoin:generic+date-gate");
    assert_int_equal(cs_cluster_spec_format(&sp, out, 10), CS_ERANGE);
}

static void test_no_clustering(void **state)
{
    (void)state;
    struct db d;
    struct chain ch;
    build_chain(&ch, 0);
    db_new(&d);
    append(&d, &ch, 0, 2);
    struct cs_clusterdb *c;
    assert_int_equal(cs_clusterdb_open(&c, d.dir, "btc"), CS_ENOTFOUND);
    assert_non_null(strstr(cs_errmsg(), "run chainsleuth cluster first"));
    struct cs_cluster_state st;
    assert_int_equal(cs_cluster_state_read(d.dir, "btc", &st), CS_ENOTFOUND);
    db_free(&d);
}

/* METHODS §2.1 on the store: 5 clusters among A..G, CoinJoin vetoed, --why. */
static void test_methods_2_1(void **state)
{
    (void)state;
    struct db d;
    struct chain ch;
    build_chain(&ch, 0);
    db_new(&d);
    append(&d, &ch, 0, 3);
    struct cs_cluster_report r;
    assert_int_equal(cluster(&d, NULL, &r), 0);
    assert_int_equal(r.full, 1);
    assert_string_equal(r.reason, "no clustering yet");
    assert_string_equal(r.state.spec, "multi-input,coinjoin:default");

    struct cs_store *s;
    assert_int_equal(cs_store_open(&s, d.dir, "btc", CS_STORE_READ, NULL), 0);
    struct cs_clusterdb *c;
    assert_int_equal(cs_clusterdb_open(&c, d.dir, "btc"), 0);
    uint64_t behind;
    assert_int_equal(cs_clusterdb_check(c, s, &behind), 0);
    assert_int_equal(behind, 0);
    const struct cs_cluster_state *st = cs_clusterdb_state(c);
    uint32_t a = addr_id(s, A), b = addr_id(s, B), cc = addr_id(s, C);
    uint32_t dd = addr_id(s, D), e = addr_id(s, E), f = addr_id(s, F), g = addr_id(s, G);
    /* {A, B, C}: cluster id = smallest member id = A (first output of block 0) */
    assert_int_equal(cs_clusterdb_cid(c, a), a);
    assert_int_equal(cs_clusterdb_cid(c, b), a);
    assert_int_equal(cs_clusterdb_cid(c, cc), a);
    /* {D}, {E}, {F}, {G} */
    assert_int_equal(cs_clusterdb_cid(c, dd), dd);
    assert_int_equal(cs_clusterdb_cid(c, e), e);
    assert_int_equal(cs_clusterdb_cid(c, f), f);
    assert_int_equal(cs_clusterdb_cid(c, g), g);
    /* 5 clusters among the 7 input addresses; every other address alone */
    uint64_t addrs = cs_store_counts(s)->addr - 1;
    assert_int_equal(st->addr, addrs + 1);
    assert_int_equal(st->clusters, addrs - 2);
    assert_int_equal(st->singletons, addrs - 3);
    assert_int_equal(st->largest, 3);
    assert_int_equal(st->largest_id, a);
    assert_int_equal(st->evidence, 2);
    assert_int_equal(st->multi_input_txs, 2);
    uint64_t vetoed = 0;
    for (int i = 0; i < CS_CJP_COUNT; i++)
        vetoed += st->vetoed[i];
    assert_int_equal(vetoed, 1);
    /* generic and JoinMarket both match [10M x3, 5M, 3M]; JoinMarket is the
     * more specific label */
    assert_int_equal(st->vetoed[CS_CJP_JOINMARKET], 1);
    assert_int_equal(st->inputs, 2 + 2 + 3 + 1);
    assert_int_equal(st->tx, 7);
    assert_int_equal(st->blocks, 3);
    assert_memory_equal(st->tip, ch.blk[2].hash, 32);

    /* --why A C: tx1 (A-B) then tx2 (B-C) */
    struct cs_cluster_hop *hops;
    size_t n;
    assert_int_equal(cs_clusterdb_why(c, a, cc, &hops, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(hops[0].from, a);
    assert_int_equal(hops[0].to, b);
    assert_int_equal(hops[0].tx, tx_row(s, ch.tx1));
    assert_int_equal(hops[1].from, b);
    assert_int_equal(hops[1].to, cc);
    assert_int_equal(hops[1].tx, tx_row(s, ch.tx2));
    free(hops);
    /* reverse direction walks the same edges backwards */
    assert_int_equal(cs_clusterdb_why(c, cc, a, &hops, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(hops[0].from, cc);
    assert_int_equal(hops[0].to, b);
    assert_int_equal(hops[0].tx, tx_row(s, ch.tx2));
    assert_int_equal(hops[1].to, a);
    free(hops);
    assert_int_equal(cs_clusterdb_why(c, a, a, &hops, &n), 0);
    assert_int_equal(n, 0);
    free(hops);
    assert_int_equal(cs_clusterdb_why(c, a, dd, &hops, &n), CS_ENOTFOUND);
    assert_int_equal(cs_clusterdb_why(c, dd, e, &hops, &n), CS_ENOTFOUND);

    /* members and entity summary of {A, B, C}: 40 BTC received, all spent */
    uint32_t *mem;
    assert_int_equal(cs_clusterdb_members(c, a, &mem, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(mem[0], a);
    assert_int_equal(mem[1], b);
    assert_int_equal(mem[2], cc);
    free(mem);
    assert_int_equal(cs_clusterdb_members(c, b, &mem, &n), CS_ENOTFOUND);
    struct cs_entity ent;
    assert_int_equal(cs_entity_load(c, s, a, 2, &ent), 0);
    assert_int_equal(ent.size, 3);
    assert_int_equal(ent.received, 40 * COIN);
    assert_int_equal(ent.balance, 0);
    assert_int_equal(ent.outputs, 4);
    assert_int_equal(ent.utxos, 0);
    assert_int_equal(ent.first_height, 0);
    assert_int_equal(ent.last_height, 1);
    assert_int_equal(ent.n_top, 2);
    assert_int_equal(ent.top[0].addr, b); /* 20 BTC */
    assert_int_equal(ent.top[0].received, 20 * COIN);
    assert_int_equal(ent.top[1].addr, a); /* 10 BTC, tie with C: smaller id first */
    cs_entity_free(&ent);
    /* a singleton with an unspent output: G spent in block 2, P4 holds 9 BTC */
    uint32_t p4 = addr_id(s, P4);
    assert_int_equal(cs_entity_load(c, s, p4, 10, &ent), 0);
    assert_int_equal(ent.size, 1);
    assert_int_equal(ent.balance, 9 * COIN);
    assert_int_equal(ent.first_height, 2);
    assert_int_equal(ent.last_height, 2);
    cs_entity_free(&ent);

    /* export: header + one line per address, A's line names cluster A */
    char p[512];
    snprintf(p, sizeof p, "%s/export.csv", d.dir);
    FILE *fx = fopen(p, "w+");
    assert_int_equal(cs_clusterdb_export_csv(c, s, fx), 0);
    rewind(fx);
    char line[256], want[256], astr[96];
    size_t lines = 0;
    int found_c = 0;
    cs_addr_format(cs_store_addr(s, cc), cs_store_net(s), astr);
    snprintf(want, sizeof want, "%s,%u\n", astr, a);
    while (fgets(line, sizeof line, fx)) {
        if (lines == 0) assert_string_equal(line, "address,cluster\n");
        if (!strcmp(line, want)) found_c = 1;
        lines++;
    }
    fclose(fx);
    assert_int_equal(lines, addrs + 1);
    assert_true(found_c);

    cs_clusterdb_close(c);
    cs_store_close(s);
    /* nothing new: an update that changes nothing */
    assert_int_equal(cluster(&d, NULL, &r), 0);
    assert_int_equal(r.full, 0);
    assert_int_equal(r.txs, 0);
    assert_int_equal(r.state.clusters, addrs - 2);
    db_free(&d);
}

/* Incremental over added blocks equals a full run, byte for byte. */
static void test_incremental_equals_full(void **state)
{
    (void)state;
    struct chain ch;
    build_chain(&ch, 0);
    struct db inc, full;
    db_new(&inc);
    db_new(&full);
    struct cs_cluster_report r;
    append(&inc, &ch, 0, 1);
    assert_int_equal(cluster(&inc, NULL, &r), 0);
    assert_int_equal(r.full, 1);
    append(&inc, &ch, 1, 2);
    assert_int_equal(cluster(&inc, NULL, &r), 0);
    assert_int_equal(r.full, 0);
    assert_int_equal(r.txs, 3);
    assert_int_equal(r.merges, 2);
    append(&inc, &ch, 2, 4);
    assert_int_equal(cluster(&inc, NULL, &r), 0);
    assert_int_equal(r.full, 0);
    assert_int_equal(r.txs, 5);
    assert_int_equal(r.merges, 0);
    struct cs_cluster_state si = r.state;

    append(&full, &ch, 0, 4);
    assert_int_equal(cluster(&full, NULL, &r), 0);
    assert_int_equal(r.full, 1);
    assert_int_equal(r.txs, 9);
    assert_same_file(&inc, &full, "cid.u32");
    assert_same_file(&inc, &full, "evidence.col");
    assert_int_equal(si.clusters, r.state.clusters);
    assert_int_equal(si.inputs, r.state.inputs);
    assert_int_equal(si.multi_input_txs, r.state.multi_input_txs);
    assert_memory_equal(si.vetoed, r.state.vetoed, sizeof si.vetoed);
    assert_int_equal(si.evidence, r.state.evidence);
    db_free(&inc);
    db_free(&full);
}

/* Reorg below the clustered tip, a spec change, and the §2.2 change link. */
static void test_reorg_and_spec(void **state)
{
    (void)state;
    struct chain ch, alt;
    build_chain(&ch, 0);
    build_chain(&alt, 1); /* block 2': G and W spent together */
    struct db d, ref;
    db_new(&d);
    db_new(&ref);
    struct cs_cluster_report r;
    append(&d, &ch, 0, 4);
    assert_int_equal(cluster(&d, NULL, &r), 0);
    uint64_t clusters_main = r.state.clusters;
    truncate_to(&d, 1);
    append(&d, &alt, 2, 3);
    assert_int_equal(cluster(&d, NULL, &r), 0);
    assert_int_equal(r.full, 1);
    assert_non_null(strstr(r.reason, "rolled back"));
    assert_int_equal(r.state.blocks, 3);
    append(&ref, &alt, 0, 3);
    struct cs_cluster_report rr;
    assert_int_equal(cluster(&ref, NULL, &rr), 0);
    assert_same_file(&d, &ref, "cid.u32");
    assert_same_file(&d, &ref, "evidence.col");
    assert_int_equal(r.state.clusters, rr.state.clusters);
    (void)clusters_main;

    /* §2.2: default heuristics leave V alone; change:fresh+type+optimal joins it to W */
    struct db c2;
    db_new(&c2);
    append(&c2, &ch, 0, 4);
    assert_int_equal(cluster(&c2, NULL, &r), 0);
    uint64_t before = r.state.clusters;
    assert_int_equal(r.state.change_links, 0);
    assert_int_equal(cluster(&c2, "multi-input,change:fresh+type+optimal", &r), 0);
    assert_int_equal(r.full, 1);
    assert_non_null(strstr(r.reason, "heuristics changed"));
    assert_string_equal(r.state.spec, "multi-input,change:fresh+type+optimal,coinjoin:default");
    struct cs_store *s;
    assert_int_equal(cs_store_open(&s, c2.dir, "btc", CS_STORE_READ, NULL), 0);
    struct cs_clusterdb *c;
    assert_int_equal(cs_clusterdb_open(&c, c2.dir, "btc"), 0);
    uint32_t w = addr_id(s, W), v = addr_id(s, V);
    assert_int_equal(cs_clusterdb_cid(c, v), w);
    /* tx1/tx2/tx4 have one output: fresh and type cannot rule anything out
     * and optimal leaves nothing or everything, so tx5 is the only link */
    struct cs_cluster_hop *hops;
    size_t n;
    assert_int_equal(cs_clusterdb_why(c, w, v, &hops, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(hops[0].tx, tx_row(s, ch.tx5));
    free(hops);
    assert_int_equal(r.state.change_links, 1);
    assert_int_equal(r.state.clusters, before - 1);
    cs_clusterdb_close(c);
    cs_store_close(s);
    db_free(&c2);
    db_free(&d);
    db_free(&ref);
}

static int stop_after_two(void *ctx, uint64_t done, uint64_t total)
{
    (void)done;
    (void)total;
    int *calls = ctx;
    return ++*calls >= 2;
}

/* Dirty, damaged or mismatched state -> full recompute; interrupt -> resume. */
static void test_recovery(void **state)
{
    (void)state;
    struct chain ch;
    build_chain(&ch, 0);
    struct db d, ref;
    db_new(&d);
    db_new(&ref);
    append(&ref, &ch, 0, 4);
    struct cs_cluster_report r;
    assert_int_equal(cluster(&ref, NULL, &r), 0);

    append(&d, &ch, 0, 4);
    /* interrupted after block 1: blocks 0-1 committed, the rest resumes */
    struct cs_store *s;
    assert_int_equal(cs_store_open(&s, d.dir, "btc", CS_STORE_READ, NULL), 0);
    int calls = 0;
    struct cs_cluster_opts o = {0};
    o.progress = stop_after_two;
    o.progress_ctx = &calls;
    assert_int_equal(cs_cluster_update(s, d.dir, &o, &r), CS_EINTERRUPTED);
    assert_int_equal(r.state.blocks, 2);
    assert_int_equal(r.state.tx, 4);
    assert_int_equal(r.state.dirty, 0);
    cs_store_close(s);
    struct cs_cluster_state st;
    assert_int_equal(cs_cluster_state_read(d.dir, "btc", &st), 0);
    assert_int_equal(st.blocks, 2);
    assert_int_equal(cluster(&d, NULL, &r), 0);
    assert_int_equal(r.full, 0);
    assert_int_equal(r.txs, 5);
    assert_same_file(&d, &ref, "cid.u32");
    assert_same_file(&d, &ref, "evidence.col");

    /* a run that died after marking the state dirty */
    edit_state(&d, "dirty 0", "dirty 1");
    assert_int_equal(cluster(&d, NULL, &r), 0);
    assert_int_equal(r.full, 1);
    assert_non_null(strstr(r.reason, "did not finish"));
    assert_same_file(&d, &ref, "cid.u32");

    /* ... or while publishing: readers refuse, the writer recomputes */
    edit_state(&d, "publishing 0", "publishing 1");
    struct cs_clusterdb *c;
    assert_int_equal(cs_clusterdb_open(&c, d.dir, "btc"), CS_ECORRUPT);
    edit_state(&d, "dirty 0", "dirty 1");
    assert_int_equal(cluster(&d, NULL, &r), 0);
    assert_int_equal(r.full, 1);
    assert_int_equal(cs_clusterdb_open(&c, d.dir, "btc"), 0);
    cs_clusterdb_close(c);

    /* a flipped byte: checksum mismatch */
    char p[512];
    snprintf(p, sizeof p, "%s/btc/cluster/CLUSTER_STATE", d.dir);
    int fd = open(p, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "X", 1, 25), 1);
    close(fd);
    assert_int_equal(cs_cluster_state_read(d.dir, "btc", &st), CS_ECORRUPT);
    assert_int_equal(cluster(&d, NULL, &r), 0);
    assert_int_equal(r.full, 1);
    assert_non_null(strstr(r.reason, "unreadable"));
    assert_same_file(&d, &ref, "cid.u32");

    /* a missing cid column */
    snprintf(p, sizeof p, "%s/btc/cluster/cid.u32", d.dir);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(cluster(&d, NULL, &r), 0);
    assert_int_equal(r.full, 1);
    assert_non_null(strstr(r.reason, "do not match"));
    assert_same_file(&d, &ref, "cid.u32");

    /* damaged union-find arrays on an update: parent of A points past the end */
    truncate_to(&d, 1);
    assert_int_equal(cluster(&d, NULL, &r), 0); /* full: rolled back */
    append(&d, &ch, 2, 4);
    snprintf(p, sizeof p, "%s/btc/cluster/parent.u32", d.dir);
    fd = open(p, O_RDWR);
    uint32_t bad = 0x7fffffff;
    assert_int_equal(pwrite(fd, &bad, 4, 4), 4);
    close(fd);
    assert_int_equal(cluster(&d, NULL, &r), 0);
    assert_int_equal(r.full, 1);
    assert_non_null(strstr(r.reason, "damaged"));
    assert_same_file(&d, &ref, "cid.u32");
    assert_same_file(&d, &ref, "evidence.col");

    /* a second writer is refused while the lock is held */
    snprintf(p, sizeof p, "%s/btc/cluster/LOCK", d.dir);
    fd = open(p, O_RDWR);
    assert_int_equal(flock(fd, LOCK_EX), 0);
    assert_int_equal(cluster(&d, NULL, &r), CS_ELOCKED);
    close(fd);

    /* bad spec */
    assert_int_equal(cluster(&d, "multi-input,chnage:fresh", &r), CS_EUSAGE);
    db_free(&d);
    db_free(&ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_format),    cmocka_unit_test(test_no_clustering),
        cmocka_unit_test(test_methods_2_1),    cmocka_unit_test(test_incremental_equals_full),
        cmocka_unit_test(test_reorg_and_spec), cmocka_unit_test(test_recovery),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
