/* test_evm_links.c — the Tornado-style linking heuristics (evm/links.h) on
 * small stores written through cs_evm_append_block: each vector of
 * METHODS.md §3.2 (address match at blocks 100/200, a 3.1415926 gwei gas
 * price, >= 3 transfers, a 3 x 1 ETH + 1 x 10 ETH portfolio, 2,000 AP in the
 * 1 ETH pool = 100 blocks from 1,000,000 to 1,000,100), the negatives (a
 * deposit after the withdrawal is never linked, a relayed withdrawal never
 * gets a gas-price link, a shared gas price, two transfers, an ambiguous
 * portfolio, AP that is no multiple of the rate), the anonymity sets worked
 * out by hand and the components. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "evm/links.h"
#include "evm/store.h"
#include "util/hash.h"
#include "util/keccak.h"

#define GWEI 1000000000ull
#define ETH 1000000000000000000ull

enum { T_PLAIN, T_DEP, T_WD, T_CLAIM };
enum { POOL01 = 900, POOL1 = 901, POOL10 = 902, POOL100 = 903, REWARD = 950, RELAYER = 960 };

/* one tx of a test block; accounts are small numbers (addr_of) */
struct ttx {
    int kind;
    int id;                 /* tx id, written into its hash (tx_id reads it back) */
    int from;               /* T_DEP: depositor; T_WD: sender; T_CLAIM: recipient */
    int to;                 /* T_PLAIN: receiver; T_DEP/T_WD: pool; T_CLAIM: reward contract */
    int recipient, relayer; /* T_WD (relayer 0: none) */
    uint64_t value, fee, ap, gas_price;
    uint8_t type; /* 0 legacy, 2 EIP-1559 */
};

static void addr_of(uint8_t a[20], int n)
{
    memset(a, 0, 20);
    a[0] = 0xb0;
    a[18] = (uint8_t)(n >> 8);
    a[19] = (uint8_t)n;
}

static uint64_t denom_of(int pool)
{
    return pool == POOL01 ? ETH / 10 : pool == POOL1 ? ETH : pool == POOL10 ? 10 * ETH : 100 * ETH;
}

static void word_addr(uint8_t w[32], int n)
{
    memset(w, 0, 32);
    if (n) addr_of(w + 12, n);
}

static void word_u64(uint8_t w[32], uint64_t v)
{
    memset(w, 0, 32);
    for (int i = 0; i < 8; i++)
        w[31 - i] = (uint8_t)(v >> (8 * i));
}

static void keccak_str(const char *sig, uint8_t out[32])
{
    cs_keccak256(sig, strlen(sig), out);
}

struct chain {
    struct cs_evm *w;
    char dir[300];
    uint64_t next; /* next block number (0: empty store) */
    uint8_t tip[32];
    uint8_t t_dep[32], t_wd[32], t_claim[32];
};

static void rm_rf(const char *d)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
}

static void chain_open(struct chain *c, const char *name)
{
    memset(c, 0, sizeof *c);
    snprintf(c->dir, sizeof c->dir, "/tmp/cs-test-links-%s.%d", name, (int)getpid());
    rm_rf(c->dir);
    assert_int_equal(cs_evm_open(&c->w, c->dir, "eth", CS_EVM_WRITE), 0);
    keccak_str("Deposit(bytes32,uint32,uint256)", c->t_dep);
    keccak_str("Withdrawal(address,bytes32,address,uint256)", c->t_wd);
    keccak_str("Swap(address,uint256,uint256)", c->t_claim);
}

#define MAXT 16

/* Appends block `number` with txs t[0..n); empty blocks fill any gap. */
static void chain_block(struct chain *c, uint64_t number, const struct ttx *t, size_t n)
{
    assert_true(n <= MAXT);
    while (c->next && number > c->next) /* empty blocks up to number - 1 */
        chain_block(c, c->next, NULL, 0);
    struct cs_evm_block_in b;
    struct cs_evm_tx_in tx[MAXT];
    struct cs_evm_xfer_in x[2 * MAXT];
    struct cs_evm_log_in lg[MAXT];
    uint8_t data[MAXT][96];
    size_t nx = 0, nl = 0;
    memset(&b, 0, sizeof b);
    memset(tx, 0, sizeof tx);
    memset(x, 0, sizeof x);
    memset(lg, 0, sizeof lg);
    b.number = number;
    memcpy(b.parent, c->tip, 32);
    uint8_t seed[8];
    memcpy(seed, &number, 8);
    cs_sha256(seed, 8, b.hash);
    addr_of(b.miner, 999);
    b.timestamp = 1600000000 + number * 12;
    b.flags = CS_EB_RECEIPTS | CS_EB_INTERNAL;
    for (size_t i = 0; i < n; i++) {
        const struct ttx *s = &t[i];
        struct cs_evm_tx_in *o = &tx[i];
        uint8_t h[8] = {0};
        memcpy(h, &s->id, sizeof s->id);
        cs_sha256(h, 8, o->hash);
        memcpy(o->hash, &s->id, sizeof s->id); /* tx_id reads it back */
        addr_of(o->from, s->from);
        addr_of(o->to, s->to);
        o->has_to = 1;
        o->status = CS_ETX_OK;
        o->type = s->type;
        o->nonce = (uint64_t)s->id;
        o->gas_used = 21000;
        o->gas_price = s->gas_price ? s->gas_price : 30 * GWEI;
        uint64_t value = s->kind == T_DEP ? denom_of(s->to) : s->kind == T_PLAIN ? s->value : 0;
        o->value = cs_u256_from_u64(value);
        if (value) {
            struct cs_evm_xfer_in *v = &x[nx++];
            v->kind = CS_XK_NATIVE;
            v->has_from = v->has_to = v->native = 1;
            v->tx = (uint32_t)i;
            memcpy(v->from, o->from, 20);
            memcpy(v->to, o->to, 20);
            v->amount = cs_u256_from_u64(value);
        }
        if (s->kind == T_PLAIN) continue;
        struct cs_evm_log_in *l = &lg[nl];
        l->tx = (uint32_t)i;
        l->index = (uint32_t)nl;
        addr_of(l->addr, s->to);
        l->ntopics = 2;
        l->data = data[nl];
        if (s->kind == T_DEP) {
            memcpy(l->topic[0], c->t_dep, 32);
            memcpy(l->topic[1], o->hash, 32); /* a commitment */
            word_u64(data[nl], (uint64_t)s->id);
            word_u64(data[nl] + 32, b.timestamp);
            l->data_len = 64;
        } else if (s->kind == T_WD) {
            memcpy(l->topic[0], c->t_wd, 32);
            word_addr(l->topic[1], s->relayer);
            word_addr(data[nl], s->recipient);
            memcpy(data[nl] + 32, o->hash, 32); /* a nullifier */
            word_u64(data[nl] + 64, s->fee);
            l->data_len = 96;
            for (int k = 0; k < 2; k++) {
                uint64_t amt = k ? s->fee : denom_of(s->to) - s->fee;
                if (!amt) continue;
                struct cs_evm_xfer_in *v = &x[nx++];
                v->kind = CS_XK_INTERNAL;
                v->has_from = v->has_to = v->native = 1;
                v->tx = (uint32_t)i;
                addr_of(v->from, s->to);
                addr_of(v->to, k ? s->relayer : s->recipient);
                v->amount = cs_u256_from_u64(amt);
            }
        } else {
            memcpy(l->topic[0], c->t_claim, 32);
            word_addr(l->topic[1], s->from);
            word_u64(data[nl], s->ap);
            word_u64(data[nl] + 32, s->ap * 1000);
            l->data_len = 64;
        }
        nl++;
    }
    b.tx = tx;
    b.n_tx = n;
    b.xfer = x;
    b.n_xfer = nx;
    b.log = lg;
    b.n_log = nl;
    int rc = cs_evm_append_block(c->w, &b);
    if (rc) fprintf(stderr, "append %llu: %s\n", (unsigned long long)number, cs_errmsg());
    assert_int_equal(rc, 0);
    memcpy(c->tip, b.hash, 32);
    c->next = number + 1;
}

/* commits, reopens as a reader and runs the heuristics */
static struct cs_evm *chain_run(struct chain *c, const struct cs_links_params *p,
                                struct cs_links_result *r)
{
    assert_int_equal(cs_evm_commit(c->w), 0);
    cs_evm_close(c->w);
    c->w = NULL;
    struct cs_evm *s;
    assert_int_equal(cs_evm_open(&s, c->dir, "eth", CS_EVM_READ), 0);
    int rc = cs_links_run(s, p, r);
    if (rc) fprintf(stderr, "links: %s\n", cs_errmsg());
    assert_int_equal(rc, 0);
    return s;
}

static void chain_done(struct chain *c, struct cs_evm *s, struct cs_links_result *r)
{
    cs_links_free(r);
    cs_evm_close(s);
    rm_rf(c->dir);
}

static int tx_id(const struct cs_evm *s, uint64_t tx)
{
    int id;
    memcpy(&id, cs_evm_txhash(s, tx), sizeof id);
    return id;
}

static uint64_t acct_row(const struct cs_evm *s, int n)
{
    uint8_t a[20];
    addr_of(a, n);
    uint64_t row;
    assert_int_equal(cs_evm_find_acct(s, a, &row), 0);
    return row;
}

/* the withdrawal whose tx has id */
static const struct cs_links_wd *wd_by_id(const struct cs_evm *s, const struct cs_links_result *r,
                                          int id)
{
    for (size_t i = 0; i < r->n_wds; i++)
        if (tx_id(s, r->wds[i].tx) == id) return &r->wds[i];
    fail_msg("no withdrawal %d", id);
    return NULL;
}

static void expect_link(const struct cs_evm *s, const struct cs_links_result *r, size_t i, int wd,
                        int dep, int h)
{
    assert_true(i < r->n_links);
    const struct cs_links_link *l = &r->links[i];
    assert_int_equal(tx_id(s, r->wds[l->wd].tx), wd);
    assert_int_equal(tx_id(s, r->deps[l->dep].tx), dep);
    assert_int_equal(l->heuristic, h);
}

#define DEP(id_, who, pool)                                                                        \
    {                                                                                              \
        T_DEP, id_, who, pool, 0, 0, 0, 0, 0, 0, 0                                                 \
    }
#define WD(id_, pool, rcpt, rel)                                                                   \
    {                                                                                              \
        T_WD, id_, (rel) ? (rel) : (rcpt), pool, rcpt, rel, 0, (rel) ? 3000000000000000ull : 0, 0, \
            0, 0                                                                                   \
    }
#define PLAIN(id_, a, b, v)                                                                        \
    {                                                                                              \
        T_PLAIN, id_, a, b, 0, 0, v, 0, 0, 0, 0                                                    \
    }

static void test_topics_and_params(void **st)
{
    (void)st;
    uint8_t t[32];
    /* the topics METHODS §3.2 gives (first and last bytes) */
    keccak_str("Deposit(bytes32,uint32,uint256)", t);
    assert_int_equal(t[0], 0xa9);
    assert_int_equal(t[1], 0x45);
    assert_int_equal(t[2], 0xe5);
    assert_int_equal(t[3], 0x1e);
    assert_int_equal(t[30], 0xf1);
    assert_int_equal(t[31], 0x96);
    keccak_str("Withdrawal(address,bytes32,address,uint256)", t);
    assert_int_equal(t[0], 0xe9);
    assert_int_equal(t[1], 0xe5);
    assert_int_equal(t[2], 0x08);
    assert_int_equal(t[3], 0xba);
    assert_int_equal(t[30], 0x49);
    assert_int_equal(t[31], 0x31);
    unsigned h;
    assert_int_equal(cs_links_parse_heuristics("address,torn", &h), 0);
    assert_int_equal(h, (1u << CS_LH_ADDRESS) | (1u << CS_LH_TORN));
    assert_int_equal(cs_links_parse_heuristics("unique_gas_price,multi", &h), 0);
    assert_int_equal(h, (1u << CS_LH_GAS) | (1u << CS_LH_MULTI));
    assert_int_equal(cs_links_parse_heuristics("all", &h), 0);
    assert_int_equal(h, CS_LH_ALL);
    assert_int_equal(cs_links_parse_heuristics("address,bogus", &h), CS_EUSAGE);
    assert_non_null(strstr(cs_errmsg(), "'bogus'"));
    assert_int_equal(cs_links_parse_heuristics("", &h), CS_EUSAGE);
    struct cs_links_params p;
    cs_links_params_default(&p);
    assert_int_equal(p.n_rate, 4);
    assert_int_equal(p.rate[1].per_block, 20);
    struct cs_u256 one = cs_u256_from_u64(ETH);
    assert_int_equal(cs_u256_cmp(&p.rate[1].denom, &one), 0);
}

/* METHODS: deposit by A at t = 100, withdrawal to A at t = 200: a link */
static void test_address_match(void **st)
{
    (void)st;
    struct chain c;
    chain_open(&c, "addr");
    enum { A = 1, B = 2, C = 3 };
    const struct ttx b100[] = {DEP(1, A, POOL1), DEP(2, B, POOL1)};
    const struct ttx b200[] = {WD(3, POOL1, A, RELAYER)};
    const struct ttx b250[] = {WD(6, POOL1, A, RELAYER)}; /* nothing unpaired before it */
    const struct ttx b300[] = {DEP(4, A, POOL1)};         /* after both withdrawals */
    const struct ttx b400[] = {WD(5, POOL1, C, RELAYER)};
    chain_block(&c, 100, b100, 2);
    chain_block(&c, 200, b200, 1);
    chain_block(&c, 250, b250, 1);
    chain_block(&c, 300, b300, 1);
    chain_block(&c, 400, b400, 1);
    struct cs_links_params p;
    cs_links_params_default(&p);
    struct cs_links_result r;
    struct cs_evm *s = chain_run(&c, &p, &r);
    assert_int_equal(r.n_pools, 1);
    struct cs_u256 one = cs_u256_from_u64(ETH);
    assert_int_equal(cs_u256_cmp(&r.pools[0].denom, &one), 0);
    assert_int_equal(r.pools[0].n_dep, 3);
    assert_int_equal(r.pools[0].n_wd, 3);
    assert_int_equal(r.pools[0].rate, 20);
    assert_int_equal(r.n_links, 1);
    expect_link(s, &r, 0, 3, 1, CS_LH_ADDRESS);
    assert_int_equal(r.links[0].ev[0], acct_row(s, A));
    assert_int_equal(r.per_heuristic[CS_LH_ADDRESS], 1);
    /* withdrawal 3: deposits 1, 2 before it, none linked elsewhere */
    const struct cs_links_wd *w3 = wd_by_id(s, &r, 3), *w6 = wd_by_id(s, &r, 6),
                             *w5 = wd_by_id(s, &r, 5);
    assert_int_equal(w3->anon_base, 2);
    assert_int_equal(w3->anon_reduced, 2);
    /* withdrawal 6: deposits 1, 2; 1 is linked to withdrawal 3 */
    assert_int_equal(w6->n_link, 0);
    assert_int_equal(w6->anon_base, 2);
    assert_int_equal(w6->anon_reduced, 1);
    /* withdrawal 5: deposits 1, 2, 4; 1 linked to 3 */
    assert_int_equal(w5->anon_base, 3);
    assert_int_equal(w5->anon_reduced, 2);
    assert_false(w3->self_relayed);
    assert_int_equal(w3->relayer, acct_row(s, RELAYER));
    assert_int_equal(w3->fee.w[0], 3000000000000000ull);
    /* a self-link is no component of two accounts */
    assert_int_equal(r.n_comps, 0);
    chain_done(&c, s, &r);
}

/* METHODS: 3.1415926 gwei on both sides: a link; never for a relayed one */
static void test_unique_gas_price(void **st)
{
    (void)st;
    const uint64_t PI = 3141592600ull;
    for (int any_type = 0; any_type < 2; any_type++) {
        struct chain c;
        chain_open(&c, "gas");
        enum { D = 1, E = 2, F = 3, G = 4, R = 10, S = 11, T = 12, U = 13 };
        struct ttx b10[] = {DEP(1, D, POOL1), DEP(2, E, POOL1), DEP(3, F, POOL1), DEP(4, G, POOL1)};
        b10[0].gas_price = PI;
        b10[1].gas_price = b10[2].gas_price = 20 * GWEI; /* shared: not unique */
        b10[3].gas_price = 7 * GWEI;                     /* unique, but EIP-1559 */
        b10[3].type = 2;
        struct ttx b20[] = {WD(5, POOL1, R, 0)};
        b20[0].gas_price = PI;
        struct ttx b30[] = {WD(6, POOL1, S, RELAYER)}; /* relayed, same price */
        b30[0].gas_price = PI;
        struct ttx b40[] = {WD(7, POOL1, T, 0)};
        b40[0].gas_price = 20 * GWEI;
        struct ttx b50[] = {WD(8, POOL1, U, 0)};
        b50[0].gas_price = 7 * GWEI;
        b50[0].type = 2;
        chain_block(&c, 10, b10, 4);
        chain_block(&c, 20, b20, 1);
        chain_block(&c, 30, b30, 1);
        chain_block(&c, 40, b40, 1);
        chain_block(&c, 50, b50, 1);
        struct cs_links_params p;
        cs_links_params_default(&p);
        p.gas_legacy_only = !any_type;
        struct cs_links_result r;
        struct cs_evm *s = chain_run(&c, &p, &r);
        assert_int_equal(r.n_links, any_type ? 2 : 1);
        expect_link(s, &r, 0, 5, 1, CS_LH_GAS);
        assert_int_equal(r.links[0].ev[0], PI);
        if (any_type) expect_link(s, &r, 1, 8, 4, CS_LH_GAS);
        assert_true(wd_by_id(s, &r, 5)->self_relayed);
        assert_false(wd_by_id(s, &r, 6)->self_relayed);
        assert_int_equal(wd_by_id(s, &r, 6)->n_link, 0);
        /* components: D - R */
        assert_int_equal(r.n_comps, any_type ? 2 : 1);
        assert_int_equal(r.comps[0].n, 2);
        assert_int_equal(r.comps[0].n_links, 1);
        chain_done(&c, s, &r);
    }
}

/* A note tied by an exact link (gas) is no FIFO candidate of address match:
 * A's first deposit went to R at A's unique price, so A's withdrawal takes
 * the second; with the heuristics independent, FIFO takes the first. */
static void test_exact_first(void **st)
{
    (void)st;
    for (int independent = 0; independent < 2; independent++) {
        struct chain c;
        chain_open(&c, "exact");
        enum { A = 1, R = 10 };
        struct ttx b100[] = {DEP(1, A, POOL1)};
        b100[0].gas_price = 3141592600ull;
        const struct ttx b120[] = {DEP(2, A, POOL1)};
        struct ttx b150[] = {WD(3, POOL1, R, 0)};
        b150[0].gas_price = 3141592600ull;
        const struct ttx b200[] = {WD(4, POOL1, A, RELAYER)};
        chain_block(&c, 100, b100, 1);
        chain_block(&c, 120, b120, 1);
        chain_block(&c, 150, b150, 1);
        chain_block(&c, 200, b200, 1);
        struct cs_links_params p;
        cs_links_params_default(&p);
        p.independent = independent;
        struct cs_links_result r;
        struct cs_evm *s = chain_run(&c, &p, &r);
        assert_int_equal(r.n_links, 2);
        expect_link(s, &r, 0, 3, 1, CS_LH_GAS);
        expect_link(s, &r, 1, 4, independent ? 1 : 2, CS_LH_ADDRESS);
        /* withdrawal 4: deposits 1 and 2 before it; 1 is linked to 3 (in both modes) */
        assert_int_equal(wd_by_id(s, &r, 4)->anon_base, 2);
        assert_int_equal(wd_by_id(s, &r, 4)->anon_reduced, 1);
        chain_done(&c, s, &r);
    }
}

/* METHODS: >= 3 transfers between depositor and withdrawer: a link */
static void test_linked_addresses(void **st)
{
    (void)st;
    struct chain c;
    chain_open(&c, "linked");
    enum { D = 1, R = 2, X = 3, Y = 4 };
    const struct ttx b5[] = {PLAIN(1, D, R, 5 * ETH / 100), PLAIN(2, R, D, 1000), PLAIN(3, D, R, 7),
                             PLAIN(4, X, Y, 100), PLAIN(5, Y, X, 100)};
    const struct ttx b10[] = {DEP(6, D, POOL1), DEP(7, X, POOL1), DEP(8, D, POOL10)};
    const struct ttx b20[] = {WD(9, POOL1, R, RELAYER), WD(10, POOL1, Y, RELAYER)};
    const struct ttx b30[] = {DEP(11, D, POOL1)}; /* after R's last withdrawal */
    chain_block(&c, 5, b5, 5);
    chain_block(&c, 10, b10, 3);
    chain_block(&c, 20, b20, 2);
    chain_block(&c, 30, b30, 1);
    struct cs_links_params p;
    cs_links_params_default(&p);
    struct cs_links_result r;
    struct cs_evm *s = chain_run(&c, &p, &r);
    /* D's 10 ETH note: R never withdrew from that pool; X-Y: 2 txs only */
    assert_int_equal(r.n_links, 1);
    expect_link(s, &r, 0, 9, 6, CS_LH_LINKED);
    assert_int_equal(r.links[0].ev[0], 3);
    assert_int_equal(r.n_comps, 1);
    assert_int_equal(r.comps[0].n, 2);
    assert_int_equal(r.members[r.comps[0].first], acct_row(s, D));
    assert_int_equal(r.members[r.comps[0].first + 1], acct_row(s, R));
    /* with 4 required, nothing */
    cs_links_free(&r);
    p.linked_min_txs = 4;
    assert_int_equal(cs_links_run(s, &p, &r), 0);
    assert_int_equal(r.n_links, 0);
    chain_done(&c, s, &r);
}

/* METHODS: 3 x 1 ETH + 1 x 10 ETH on both sides: a link (four note pairs) */
static void test_multi_denomination(void **st)
{
    (void)st;
    for (int ambiguous = 0; ambiguous < 2; ambiguous++) {
        struct chain c;
        chain_open(&c, "multi");
        enum { D = 1, E = 2, F = 3, R = 10 };
        const struct ttx b1000[] = {DEP(1, D, POOL1), DEP(2, D, POOL1), DEP(3, D, POOL10),
                                    DEP(4, D, POOL1)};
        const struct ttx b1200[] = {DEP(20, F, POOL1), DEP(21, F, POOL1), DEP(22, F, POOL1),
                                    DEP(23, F, POOL10)};
        const struct ttx b1500[] = {DEP(5, E, POOL1), DEP(6, E, POOL1), DEP(7, E, POOL10)};
        const struct ttx b2000[] = {WD(8, POOL1, R, RELAYER)};
        const struct ttx b2001[] = {WD(9, POOL10, R, RELAYER)};
        const struct ttx b2002[] = {WD(10, POOL1, R, RELAYER)};
        const struct ttx b3000[] = {WD(11, POOL1, R, RELAYER)}; /* 1,000 blocks later: in the day */
        chain_block(&c, 1000, b1000, 4);
        if (ambiguous) chain_block(&c, 1200, b1200, 4);
        chain_block(&c, 1500, b1500, 3);
        chain_block(&c, 2000, b2000, 1);
        chain_block(&c, 2001, b2001, 1);
        chain_block(&c, 2002, b2002, 1);
        chain_block(&c, 3000, b3000, 1);
        struct cs_links_params p;
        cs_links_params_default(&p);
        struct cs_links_result r;
        struct cs_evm *s = chain_run(&c, &p, &r);
        if (ambiguous) { /* two deposit portfolios 3 x 1 + 1 x 10 before: no link */
            assert_int_equal(r.n_links, 0);
            cs_links_free(&r);
            p.multi_nearest = 1; /* the nearest is F's */
            assert_int_equal(cs_links_run(s, &p, &r), 0);
            assert_int_equal(r.n_links, 4);
            expect_link(s, &r, 0, 8, 20, CS_LH_MULTI);
            assert_int_equal(r.links[0].ev[4], 2);
            chain_done(&c, s, &r);
            continue;
        }
        assert_int_equal(r.n_links, 4);
        /* FIFO per pool: 1 ETH 1->8, 2->10, 4->11; 10 ETH 3->9 */
        expect_link(s, &r, 0, 8, 1, CS_LH_MULTI);
        expect_link(s, &r, 1, 9, 3, CS_LH_MULTI);
        expect_link(s, &r, 2, 10, 2, CS_LH_MULTI);
        expect_link(s, &r, 3, 11, 4, CS_LH_MULTI);
        const uint64_t *ev = r.links[0].ev;
        assert_int_equal(ev[0], 2);    /* pools */
        assert_int_equal(ev[1], 4);    /* notes */
        assert_int_equal(ev[2], 1000); /* first deposit block */
        assert_int_equal(ev[3], 2000); /* first withdrawal block */
        assert_int_equal(ev[4], 1);    /* one candidate */
        /* a 500-block window: R's portfolio is 2 x 1 + 1 x 10 (blocks 2000-2002),
         * which is E's */
        cs_links_free(&r);
        p.multi_window = 500;
        assert_int_equal(cs_links_run(s, &p, &r), 0);
        assert_int_equal(r.n_links, 3);
        expect_link(s, &r, 0, 8, 5, CS_LH_MULTI);
        expect_link(s, &r, 1, 9, 7, CS_LH_MULTI);
        expect_link(s, &r, 2, 10, 6, CS_LH_MULTI);
        chain_done(&c, s, &r);
    }
}

/* METHODS: 1 ETH pool, 2,000 AP -> 100 blocks: deposit at 1,000,000 <->
 * withdrawal at 1,000,100 */
static void test_torn_mining(void **st)
{
    (void)st;
    struct chain c;
    chain_open(&c, "torn");
    enum { D = 1, E = 2, R = 10, S = 11, U = 12 };
    const struct ttx b0[] = {DEP(1, D, POOL1)};
    const struct ttx b50[] = {DEP(2, E, POOL1)};
    const struct ttx b100[] = {WD(3, POOL1, R, RELAYER)};
    const struct ttx b110[] = {WD(4, POOL1, S, RELAYER), WD(5, POOL1, U, RELAYER)};
    struct ttx b120[] = {
        {T_CLAIM, 6, R, REWARD, 0, 0, 0, 0, 2000, 0, 0},
        {T_CLAIM, 7, S, REWARD, 0, 0, 0, 0, 1000, 0, 0},  /* 50 blocks: none there */
        {T_CLAIM, 8, U, REWARD, 0, 0, 0, 0, 1210, 0, 0}}; /* not a multiple of 20 */
    chain_block(&c, 999990, NULL, 0);
    chain_block(&c, 1000000, b0, 1);
    chain_block(&c, 1000050, b50, 1);
    chain_block(&c, 1000100, b100, 1);
    chain_block(&c, 1000110, b110, 2);
    chain_block(&c, 1000120, b120, 3);
    struct cs_links_params p;
    cs_links_params_default(&p);
    p.heuristics = 1u << CS_LH_TORN;
    struct cs_links_result r;
    struct cs_evm *s = chain_run(&c, &p, &r);
    assert_int_equal(r.n_claims, 3);
    assert_int_equal(r.n_links, 1);
    expect_link(s, &r, 0, 3, 1, CS_LH_TORN);
    const uint64_t *ev = r.links[0].ev;
    assert_int_equal(tx_id(s, ev[0]), 6);
    assert_int_equal(ev[1], 2000);
    assert_int_equal(ev[2], 20);
    assert_int_equal(ev[3], 100);
    assert_int_equal(r.deps[r.links[0].dep].block, 1000000);
    assert_int_equal(r.wds[r.links[0].wd].block, 1000100);
    /* a claim window shorter than the 20 blocks from withdrawal to claim */
    cs_links_free(&r);
    p.claim_window = 19;
    assert_int_equal(cs_links_run(s, &p, &r), 0);
    assert_int_equal(r.n_links, 0);
    /* another rate table: 1 ETH at 40 AP per block -> 50 blocks -> deposit 2 */
    cs_links_free(&r);
    p.claim_window = 7200;
    p.n_rate = 1;
    p.rate[0].denom = cs_u256_from_u64(ETH);
    p.rate[0].per_block = 40;
    assert_int_equal(cs_links_run(s, &p, &r), 0);
    assert_int_equal(r.n_links, 1);
    expect_link(s, &r, 0, 3, 2, CS_LH_TORN);
    /* a named pool that is not in the store */
    cs_links_free(&r);
    uint8_t nopool[1][20];
    addr_of(nopool[0], 4242);
    p.pools = (const uint8_t(*)[20])nopool;
    p.n_pools = 1;
    assert_int_equal(cs_links_run(s, &p, &r), CS_ENOTFOUND);
    assert_non_null(strstr(cs_errmsg(), "is not in the store"));
    /* the real pool named: the same result as discovery */
    addr_of(nopool[0], POOL1);
    assert_int_equal(cs_links_run(s, &p, &r), 0);
    assert_int_equal(r.n_links, 1);
    chain_done(&c, s, &r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topics_and_params), cmocka_unit_test(test_address_match),
        cmocka_unit_test(test_unique_gas_price),  cmocka_unit_test(test_linked_addresses),
        cmocka_unit_test(test_exact_first),       cmocka_unit_test(test_multi_denomination),
        cmocka_unit_test(test_torn_mining),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
