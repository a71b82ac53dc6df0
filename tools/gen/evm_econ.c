/* evm_econ.c — the economy of `chainsleuth-gen --chain eth` (README.md):
 * who exists, what they do each block, the scripted stages (set-up, the
 * airdrop, the Bybit-style heist) and the truth files written at the end.
 *
 * Actors act through evm_chain.c's transaction builder; an actor without
 * the ETH for value + gas first gets a withdrawal from an exchange hot
 * wallet (as real users fund wallets), so every transaction built can be
 * paid and the ledger never goes negative.  Delayed actions (deposit
 * sweeps, Tornado withdrawals, poisoning, heist steps) wait in a binary heap
 * keyed by (block, sequence number), so their order is deterministic. */
#include <stdlib.h>
#include <string.h>

#include "evm_gen.h"
#include "util/error.h"
#include "util/keccak.h"

#define E(x) ((u128)(x)*WEI) /* whole ETH (or whole 18-decimal tokens) */
#define MILLI(x) ((u128)(x) * (WEI / 1000))
#define USD(x) ((u128)(x)*1000000u) /* whole units of a 6-decimal stablecoin */

enum {
    EV_SWEEP = 1,
    EV_TC_WITHDRAW,
    EV_POISON,
    EV_POISON_FALL,
    EV_SELFAUTH,
    EV_AIR_FORWARD,
    EV_AIRDROP,
    EV_HEIST,
    EV_HEIST_STEP,
    EV_TC_CLAIM,
    EV_GAS,
};

enum { X_BINANCE, X_OKX, X_EXCH, X_N }; /* X_BINANCE..: exchanges; bybit is the victim */
enum { P_STETH, P_METH, P_USDC, P_USDT, P_CM_M, P_UC_UT, P_N };
enum { H_ADDRESS, H_GAS, H_LINKED, H_MULTI, H_TORN, H_CAREFUL, H_ATTACKER, H_N };
static const char *const HABIT[H_N] = {"address_match",      "unique_gas_price", "linked_addresses",
                                       "multi_denomination", "torn_mining",      "careful",
                                       "careful_attacker"};
static const char *const HEUR[H_N] = {"address_match",
                                      "unique_gas_price",
                                      "linked_addresses",
                                      "multi_denomination",
                                      "torn_mining",
                                      "",
                                      ""};
enum { F_ROUTER, F_EXCHANGE, F_TORNADO, F_DORMANT, F_MIXED, F_N };
static const char *const FATE[F_N] = {"router", "exchange_deposits", "tornado_then_router",
                                      "dormant", "mixed_with_clean"};

struct pool {
    uint32_t acct;
    int a, b; /* a == EA_ETH: a V1-style ETH pool; else a V2-style token pair */
};

struct hwallet {
    uint32_t acct, dep[2]; /* deposit addresses at okx-like and exch-like */
    uint32_t look;         /* the look-alike that spammed it, or 0 */
    int fate, steps;
};

struct econ {
    uint32_t nusers;
    uint32_t *user_ent; /* per user: entity */
    uint32_t (*user_eoa)[3];
    uint8_t *user_neoa;
    uint32_t *eoa;      /* every user EOA */
    uint32_t *eoa_user; /* per EOA index: user */
    uint32_t neoa, capeoa;
    uint32_t *dep;                        /* nusers x X_N deposit addresses (0 = none yet) */
    uint32_t xent[X_N + 1], hot[X_N + 1]; /* [X_N] = bybit-like, the victim */
    struct pool pool[P_N];
    uint32_t tc[4]; /* Tornado pools: 0.1, 1, 10, 100 ETH */
    uint32_t tc_ent, relayer[4], reward_swap;
    uint32_t router, vault, th_ent;
    uint32_t bridge, bridge_op;
    uint32_t disperse; /* a batch-payout contract the exchanges use */
    uint64_t bridge_nonce;
    uint32_t deployer, whale, issuer_usdc, issuer_usdt, otc;
    uint32_t distributor, farmer[3], sybil_first[3], sybil_n[3];
    uint32_t poisoner[2];
    uint32_t cold, bybit_deployer, exploiter, attacker_ent, attacker_funder, impl;
    struct hwallet hw[50];
    uint64_t h0, air_block;
    uint64_t commit_no, leaf[4];
    uint64_t unique_gas_ctr;
};

static const u128 DENOM[4] = {MILLI(100), E(1), E(10), E(100)};

/* ---- scheduler ---- */

static int ev_less(const struct evm_event *a, const struct evm_event *b)
{
    return a->block != b->block ? a->block < b->block : a->seq < b->seq;
}

static void ev_push(struct evm_gen *g, uint64_t block, int type, uint32_t a, uint32_t b, uint32_t c,
                    u128 amt)
{
    if (g->nev == g->capev) {
        g->capev = g->capev ? 2 * g->capev : 1024;
        g->ev = cs_xrealloc(g->ev, g->capev * sizeof *g->ev);
    }
    struct evm_event e = {block, g->evseq++, type, a, b, c, amt};
    size_t i = g->nev++;
    while (i && ev_less(&e, &g->ev[(i - 1) / 2])) {
        g->ev[i] = g->ev[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    g->ev[i] = e;
}

static int ev_pop(struct evm_gen *g, uint64_t block, struct evm_event *out)
{
    if (!g->nev || g->ev[0].block > block) return 0;
    *out = g->ev[0];
    struct evm_event last = g->ev[--g->nev];
    size_t i = 0, n = g->nev;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && ev_less(&g->ev[c + 1], &g->ev[c])) c++;
        if (!ev_less(&g->ev[c], &last)) break;
        g->ev[i] = g->ev[c];
        i = c;
    }
    if (n) g->ev[i] = last;
    return 1;
}

/* ---- helpers ---- */

static struct econ *EC(struct evm_gen *g)
{
    return g->econ;
}

static u128 bal(struct evm_gen *g, uint32_t a, int asset)
{
    return g->acct[a].bal[asset];
}

static struct evm_tx TX; /* one transaction is built at a time */

static void topic_hash(uint8_t out[32], const char *sig)
{
    cs_keccak256(sig, strlen(sig), out);
}

static void selector(uint8_t out[4], const char *sig)
{
    uint8_t h[32];
    cs_keccak256(sig, strlen(sig), h);
    memcpy(out, h, 4);
}

static void rand_word(struct evm_gen *g, uint8_t w[32])
{
    for (int i = 0; i < 32; i += 8) {
        uint64_t r = cs_gen_rng_next(&g->rng);
        memcpy(w + i, &r, 8);
    }
}

/* a human-looking amount: 2 significant digits of lo..hi milli-units */
static u128 amount_between(struct evm_gen *g, u128 lo, u128 hi)
{
    /* floor(span x r / 2^64) without overflow: spans above 2^64 (18.4 ETH:
     * the heist's 600-1,800 ETH batches, the OTC's 2,000-6,000) would wrap */
    u128 span = hi - lo, x = cs_gen_rng_next(&g->rng);
    u128 v = lo + (span >> 64) * x + (((span & UINT64_MAX) * x) >> 64);
    u128 p = 1;
    while (v / p >= 100)
        p *= 10;
    u128 r = v / p * p;
    return r ? r : v;
}

static void contract_row(struct evm_gen *g, uint32_t a, int erc20)
{
    struct evm_out *o = &g->o_contracts;
    evm_out_str(o, g->acct[a].hex);
    evm_out_str(o, erc20 ? ",0x,,true,false," : ",0x,,false,false,");
    evm_out_u64(o, g->first_block);
    evm_out_ch(o, '\n');
}

/* a contract created by a transaction of from */
static uint32_t deploy(struct evm_gen *g, uint32_t from, uint32_t entity, int role, uint64_t gas)
{
    uint8_t addr[20];
    evm_create_addr(g->acct[from].addr, g->acct[from].nonce, addr);
    uint32_t c = evm_acct_new(g, entity, role, addr);
    evm_tx_init(g, &TX, from, 0, 0, gas, 0);
    TX.create = 1;
    TX.created = c;
    uint8_t code[64];
    rand_word(g, code);
    rand_word(g, code + 32);
    code[0] = 0x60;
    code[1] = 0x80;
    code[2] = 0x60;
    code[3] = 0x40;
    evm_tx_bytes(&TX, code, 64);
    evm_tx_commit(g, &TX);
    return c;
}

static int block_full(struct evm_gen *g)
{
    return g->block_gas > 24000000;
}

/* An exchange withdrawal that gives `to` at least `need` of asset (and the
 * ETH for gas when asset is a token). */
static void fund(struct evm_gen *g, uint32_t to, int asset, u128 need)
{
    struct econ *e = EC(g);
    int x = (int)cs_gen_below(&g->rng, X_N);
    uint32_t hot = e->hot[x];
    if (asset == EA_ETH) {
        u128 v = need + amount_between(g, MILLI(200), E(20));
        evm_tx_init(g, &TX, hot, to, v, 21000, 0);
        evm_tx_commit(g, &TX);
        return;
    }
    u128 v = need + (asset == EA_USDC || asset == EA_USDT ? amount_between(g, USD(50), USD(20000))
                                                          : amount_between(g, MILLI(100), E(10)));
    /* the exchange drawn first, else the first that still has enough (a run
     * whose first pick had enough is unchanged by this) */
    for (int k = 1; k < X_N && bal(g, hot, asset) < v; k++)
        hot = e->hot[(x + k) % X_N];
    if (bal(g, hot, asset) < v) BUG("every exchange hot wallet is out of %s", g->tok_symbol[asset]);
    evm_tx_init(g, &TX, hot, g->tok[asset], 0, 52000, 0);
    evm_tx_sel(&TX, g->S_TRANSFER);
    evm_tx_word_addr(&TX, to, g);
    evm_tx_word_u128(&TX, v);
    evm_tx_transfer(g, &TX, asset, hot, to, v);
    evm_tx_commit(g, &TX);
}

/* makes sure `a` can pay for a tx of this cost (value + gas limit x max fee) */
static void ensure_eth(struct evm_gen *g, uint32_t a, u128 cost)
{
    if (bal(g, a, EA_ETH) < cost) fund(g, a, EA_ETH, cost - bal(g, a, EA_ETH));
}

/* the most a rebuilt tx of the same shape can cost: evm_tx_init draws the tip
 * anew (up to 2 gwei) and a type-2 max fee is 2 x base + tip */
static u128 cost_max(struct evm_gen *g, const struct evm_tx *t)
{
    u128 a = evm_tx_cost(t), b = t->value + (u128)t->gas_limit * (2 * g->base_fee + 2 * GWEI);
    return a > b ? a : b;
}

static uint32_t pick_eoa(struct evm_gen *g)
{
    struct econ *e = EC(g);
    return e->eoa[cs_gen_below(&g->rng, e->neoa)];
}

static uint32_t eoa_user(struct evm_gen *g, uint32_t a)
{
    struct econ *e = EC(g);
    /* EOAs of users are numbered in creation order; a binary search would
     * need them sorted, which they are (eoa[] grows with account ids) */
    uint32_t lo = 0, hi = e->neoa;
    while (lo < hi) {
        uint32_t m = (lo + hi) / 2;
        if (e->eoa[m] < a)
            lo = m + 1;
        else
            hi = m;
    }
    if (lo >= e->neoa || e->eoa[lo] != a) BUG("not a user EOA");
    return e->eoa_user[lo];
}

static uint32_t new_user(struct evm_gen *g)
{
    struct econ *e = EC(g);
    uint32_t u = e->nusers++;
    e->user_ent = cs_xrealloc(e->user_ent, e->nusers * sizeof *e->user_ent);
    e->user_eoa = cs_xrealloc(e->user_eoa, e->nusers * sizeof *e->user_eoa);
    e->user_neoa = cs_xrealloc(e->user_neoa, e->nusers);
    e->dep = cs_xrealloc(e->dep, (size_t)e->nusers * X_N * sizeof *e->dep);
    memset(&e->dep[(size_t)u * X_N], 0, X_N * sizeof *e->dep);
    e->user_ent[u] = evm_entity_new(g, "user", SINK_NONE, "user_%05u", u + 1);
    e->user_neoa[u] = 0;
    return u;
}

static uint32_t user_add_eoa(struct evm_gen *g, uint32_t u)
{
    struct econ *e = EC(g);
    uint32_t a = evm_acct_new(g, e->user_ent[u], R_EOA, NULL);
    if (e->user_neoa[u] < 3) e->user_eoa[u][e->user_neoa[u]++] = a;
    if (e->neoa == e->capeoa) {
        e->capeoa = e->capeoa ? 2 * e->capeoa : 4096;
        e->eoa = cs_xrealloc(e->eoa, e->capeoa * sizeof *e->eoa);
        e->eoa_user = cs_xrealloc(e->eoa_user, e->capeoa * sizeof *e->eoa_user);
    }
    e->eoa[e->neoa] = a;
    e->eoa_user[e->neoa++] = u;
    return a;
}

static uint32_t deposit_addr(struct evm_gen *g, uint32_t u, int x)
{
    struct econ *e = EC(g);
    uint32_t *d = &e->dep[(size_t)u * X_N + (size_t)x];
    if (!*d) {
        g->new_customer = e->user_ent[u];
        *d = evm_acct_new(g, e->xent[x], R_DEPOSIT, NULL);
    }
    return *d;
}

static void token_transfer(struct evm_gen *g, uint32_t from, uint32_t to, int asset, u128 v)
{
    evm_tx_init(g, &TX, from, g->tok[asset], 0, asset == EA_USDT ? 46000 : 52000, 0);
    evm_tx_sel(&TX, g->S_TRANSFER);
    evm_tx_word_addr(&TX, to, g);
    evm_tx_word_u128(&TX, v);
    evm_tx_transfer(g, &TX, asset, from, to, v);
}

static const int USER_TOKENS[] = {EA_USDC, EA_USDT, EA_STETH, EA_WETH, EA_METH};

/* ---- everyday actions ---- */

static void act_eth_pay(struct evm_gen *g)
{
    uint32_t a = pick_eoa(g), b = pick_eoa(g);
    if (a == b) return;
    u128 v = amount_between(g, MILLI(5), E(3));
    int legacy = cs_gen_chance(&g->rng, 0.15);
    evm_tx_init(g, &TX, a, b, v, 21000, legacy);
    ensure_eth(g, a, cost_max(g, &TX));
    evm_tx_init(g, &TX, a, b, v, 21000, legacy);
    evm_tx_commit(g, &TX);
    if (cs_gen_chance(&g->rng, 0.06))
        ev_push(g, g->block + cs_gen_range(&g->rng, 1, 4), EV_POISON, a, b, 0, v);
}

static void act_token_pay(struct evm_gen *g, int fail)
{
    uint32_t a = pick_eoa(g), b = pick_eoa(g);
    if (a == b) return;
    int asset = USER_TOKENS[cs_gen_below(&g->rng, 5)];
    int stable = asset == EA_USDC || asset == EA_USDT;
    u128 v = stable ? amount_between(g, USD(5), USD(5000)) : amount_between(g, MILLI(10), E(2));
    if (bal(g, a, asset) < v && !fail) fund(g, a, asset, v);
    ensure_eth(g, a, (u128)80000 * (3 * g->base_fee + 2 * GWEI));
    token_transfer(g, a, b, asset, fail ? bal(g, a, asset) + v : v);
    if (fail) {
        TX.failed = 1;
        TX.gas_used = 29000 + cs_gen_below(&g->rng, 3000);
    }
    evm_tx_commit(g, &TX);
    if (!fail && stable && cs_gen_chance(&g->rng, 0.08))
        ev_push(g, g->block + cs_gen_range(&g->rng, 1, 4), EV_POISON, a, b, (uint32_t)asset, v);
}

static void act_deposit(struct evm_gen *g, int token)
{
    struct econ *e = EC(g);
    uint32_t a = pick_eoa(g), u = eoa_user(g, a);
    int x = (int)cs_gen_below(&g->rng, X_N);
    /* a third party paying into someone else's exchange account: the case
     * where Victor's deposit rule merges two owners */
    if (cs_gen_chance(&g->rng, 0.01)) u = eoa_user(g, pick_eoa(g));
    uint32_t d = deposit_addr(g, u, x);
    if (!token) {
        u128 v = amount_between(g, MILLI(50), E(8));
        evm_tx_init(g, &TX, a, d, v, 21000, 0);
        ensure_eth(g, a, cost_max(g, &TX));
        evm_tx_init(g, &TX, a, d, v, 21000, 0);
        evm_tx_commit(g, &TX);
    } else {
        int asset = cs_gen_chance(&g->rng, 0.5) ? EA_USDC : EA_USDT;
        u128 v = amount_between(g, USD(20), USD(20000));
        if (bal(g, a, asset) < v) fund(g, a, asset, v);
        ensure_eth(g, a, (u128)80000 * (3 * g->base_fee + 2 * GWEI));
        token_transfer(g, a, d, asset, v);
        evm_tx_commit(g, &TX);
    }
    /* the exchange forwards within Victor's 10,000 blocks, mostly fast; a few
     * late sweeps fall outside the rule */
    uint64_t delay = cs_gen_chance(&g->rng, 0.03) ? cs_gen_range(&g->rng, 10001, 10600)
                                                  : cs_gen_range(&g->rng, 1, 400);
    ev_push(g, g->block + delay, EV_SWEEP, d, (uint32_t)x, 0, 0);
    (void)e;
}

/* The exchange sweeps a deposit address into its hot wallet: ETH as
 * a - fee (legacy tx, gas limit 21000: the address ends at 0), tokens after
 * a gas top-up of exactly the sweep's fee. */
static void ev_sweep(struct evm_gen *g, uint32_t d, int x)
{
    struct econ *e = EC(g);
    uint32_t hot = e->hot[x];
    for (int asset = EA_USDC; asset <= EA_USDT; asset++) {
        u128 v = bal(g, d, asset);
        if (!v) continue;
        uint64_t gas = asset == EA_USDT ? 46000 : 52000;
        uint64_t price = g->base_fee + GWEI / 100 * cs_gen_range(&g->rng, 1, 200);
        u128 need = (u128)gas * price;
        if (bal(g, d, EA_ETH) < need) {
            evm_tx_init(g, &TX, hot, d, need - bal(g, d, EA_ETH), 21000, 1);
            TX.price = price;
            evm_tx_commit(g, &TX);
        }
        token_transfer(g, d, hot, asset, v);
        TX.type = 0;
        TX.max_fee = TX.prio = 0;
        TX.gas_limit = TX.gas_used;
        TX.price = price;
        evm_tx_commit(g, &TX);
    }
    u128 v = bal(g, d, EA_ETH);
    evm_tx_init(g, &TX, d, hot, 0, 21000, 1);
    u128 fee = (u128)21000 * TX.price;
    if (v > fee + MILLI(1)) {
        TX.value = v - fee;
        evm_tx_commit(g, &TX);
    }
}

static void act_withdraw(struct evm_gen *g)
{
    uint32_t a = pick_eoa(g);
    if (cs_gen_chance(&g->rng, 0.6))
        fund(g, a, EA_ETH, 0);
    else
        fund(g, a, USER_TOKENS[cs_gen_below(&g->rng, 5)], 0);
}

/* a WETH9 deposit (wrap: value in, Deposit log) or withdraw (unwrap: an
 * inner call pays the ETH back, Withdrawal log) of v by a */
static void weth_tx(struct evm_gen *g, uint32_t a, u128 v, int unwrap)
{
    uint32_t weth = g->tok[EA_WETH];
    if (!unwrap) {
        evm_tx_init(g, &TX, a, weth, v, 45000, 0);
        ensure_eth(g, a, cost_max(g, &TX));
        evm_tx_init(g, &TX, a, weth, v, 45000, 0);
        evm_tx_sel(&TX, g->S_WDEPOSIT);
        struct evm_log *l = evm_tx_log(&TX, weth, g->T_WDEPOSIT);
        evm_log_topic_addr(l, g, a);
        evm_log_data_u128(l, v);
        l->kind = 2;
        l->to = a;
        l->value = v;
    } else {
        ensure_eth(g, a, (u128)60000 * (3 * g->base_fee + 2 * GWEI));
        evm_tx_init(g, &TX, a, weth, 0, 36000, 0);
        evm_tx_sel(&TX, g->S_WWITHDRAW);
        evm_tx_word_u128(&TX, v);
        evm_tx_frame(&TX, weth, a, v, "call");
        struct evm_log *l = evm_tx_log(&TX, weth, g->T_WWITHDRAWAL);
        evm_log_topic_addr(l, g, a);
        evm_log_data_u128(l, v);
        l->kind = 3;
        l->from = a;
        l->value = v;
    }
    TX.swap_pool = weth; /* heist-flows' poison rule: a wrap is a swap, WETH not a holder */
    evm_tx_commit(g, &TX);
}

static void act_wrap(struct evm_gen *g, int unwrap)
{
    uint32_t a = pick_eoa(g);
    u128 v = amount_between(g, MILLI(10), E(5));
    if (unwrap && bal(g, a, EA_WETH) < v) {
        if (bal(g, a, EA_WETH) == 0)
            unwrap = 0;
        else
            v = bal(g, a, EA_WETH);
    }
    weth_tx(g, a, v, unwrap);
}

/* stake ETH for stETH or mETH (1:1 here: no rebases), or mETH for cmETH */
static void stake(struct evm_gen *g, uint32_t a, int asset, u128 v)
{
    if (asset == EA_CMETH) {
        evm_tx_init(g, &TX, a, g->tok[EA_CMETH], 0, 90000, 0);
        evm_tx_sel(&TX, g->S_WDEPOSIT);
        evm_tx_word_u128(&TX, v);
        evm_tx_transfer(g, &TX, EA_METH, a, g->tok[EA_CMETH], v);
        evm_tx_transfer(g, &TX, EA_CMETH, 0, a, v);
    } else {
        evm_tx_init(g, &TX, a, g->tok[asset], v, 80000, 0);
        evm_tx_sel(&TX, g->S_SUBMIT);
        evm_tx_word_addr(&TX, 0, g);
        evm_tx_transfer(g, &TX, asset, 0, a, v);
    }
    evm_tx_commit(g, &TX);
}

static void act_stake(struct evm_gen *g)
{
    uint32_t a = pick_eoa(g);
    int asset = cs_gen_chance(&g->rng, 0.7) ? EA_STETH : EA_METH;
    u128 v = amount_between(g, MILLI(50), E(10));
    if (cs_gen_chance(&g->rng, 0.2) && bal(g, a, EA_METH)) {
        ensure_eth(g, a, (u128)120000 * (3 * g->base_fee + 2 * GWEI));
        stake(g, a, EA_CMETH, bal(g, a, EA_METH));
        return;
    }
    ensure_eth(g, a, v + (u128)110000 * (3 * g->base_fee + 2 * GWEI));
    stake(g, a, asset, v);
}

/* One swap by `who` of `in` units of asset `sell` on pool p.  V1-style ETH
 * pools: ETH in as the tx value, token out by Transfer; token in by
 * Transfer, ETH out by an internal call.  V2-style pairs: two Transfers. */
static u128 swap(struct evm_gen *g, uint32_t who, int p, int sell, u128 in)
{
    struct econ *e = EC(g);
    struct pool *P = &e->pool[p];
    int buy = sell == P->a ? P->b : P->a;
    u128 out = evm_swap_out(in, bal(g, P->acct, sell), bal(g, P->acct, buy));
    if (!out) return 0;
    if (P->a == EA_ETH) {
        if (sell == EA_ETH) {
            evm_tx_init(g, &TX, who, P->acct, in, 76000, 0);
            evm_tx_sel(&TX, g->S_ETH2TOK);
            evm_tx_word_u128(&TX, out * 99 / 100);
            evm_tx_word_u128(&TX, g->timestamp + 600);
            evm_tx_transfer(g, &TX, buy, P->acct, who, out);
            struct evm_log *l = evm_tx_log(&TX, P->acct, g->T_TOKENPURCHASE);
            evm_log_topic_addr(l, g, who);
            uint8_t w[32] = {0};
            for (int i = 0; i < 16; i++)
                w[31 - i] = (uint8_t)(in >> (8 * i));
            evm_log_topic_word(l, w);
            for (int i = 0; i < 16; i++)
                w[31 - i] = (uint8_t)(out >> (8 * i));
            evm_log_topic_word(l, w);
        } else {
            evm_tx_init(g, &TX, who, P->acct, 0, 98000, 0);
            evm_tx_sel(&TX, g->S_TOK2ETH);
            evm_tx_word_u128(&TX, in);
            evm_tx_word_u128(&TX, out * 99 / 100);
            evm_tx_word_u128(&TX, g->timestamp + 600);
            evm_tx_transfer(g, &TX, sell, who, P->acct, in);
            evm_tx_frame(&TX, P->acct, who, out, "call");
            struct evm_log *l = evm_tx_log(&TX, P->acct, g->T_ETHPURCHASE);
            evm_log_topic_addr(l, g, who);
            uint8_t w[32] = {0};
            for (int i = 0; i < 16; i++)
                w[31 - i] = (uint8_t)(in >> (8 * i));
            evm_log_topic_word(l, w);
            for (int i = 0; i < 16; i++)
                w[31 - i] = (uint8_t)(out >> (8 * i));
            evm_log_topic_word(l, w);
        }
    } else {
        evm_tx_init(g, &TX, who, P->acct, 0, 115000, 0);
        evm_tx_sel(&TX, g->S_TOK2TOK);
        evm_tx_word_u128(&TX, in);
        evm_tx_word_u128(&TX, out * 99 / 100);
        evm_tx_transfer(g, &TX, sell, who, P->acct, in);
        evm_tx_transfer(g, &TX, buy, P->acct, who, out);
        struct evm_log *l = evm_tx_log(&TX, P->acct, g->T_SWAP2);
        evm_log_topic_addr(l, g, who);
        evm_log_topic_addr(l, g, who);
        evm_log_data_u128(l, sell == P->a ? in : 0);
        evm_log_data_u128(l, sell == P->b ? in : 0);
        evm_log_data_u128(l, buy == P->a ? out : 0);
        evm_log_data_u128(l, buy == P->b ? out : 0);
    }
    TX.swap_pool = P->acct;
    return out;
}

static void act_swap(struct evm_gen *g)
{
    uint32_t a = pick_eoa(g);
    int p = (int)cs_gen_below(&g->rng, P_N);
    struct pool *P = &EC(g)->pool[p];
    int sell = cs_gen_chance(&g->rng, 0.5) ? P->a : P->b;
    int stable = sell == EA_USDC || sell == EA_USDT;
    u128 in = stable ? amount_between(g, USD(10), USD(10000)) : amount_between(g, MILLI(10), E(5));
    u128 gascost = (u128)150000 * (3 * g->base_fee + 2 * GWEI);
    if (sell == EA_ETH)
        ensure_eth(g, a, in + gascost);
    else {
        if (bal(g, a, sell) < in) fund(g, a, sell, in);
        ensure_eth(g, a, gascost);
    }
    if (swap(g, a, p, sell, in)) evm_tx_commit(g, &TX);
}

/* ---- Tornado-style pool ---- */

static void tc_deposit_tx(struct evm_gen *g, uint32_t who, int d, uint64_t unique_price,
                          struct evm_note *n)
{
    struct econ *e = EC(g);
    evm_tx_init(g, &TX, who, e->tc[d], DENOM[d], 980000 + cs_gen_below(&g->rng, 40000),
                unique_price != 0);
    if (unique_price) TX.price = unique_price;
    uint8_t commit[32];
    rand_word(g, commit);
    evm_tx_sel(&TX, g->S_TC_DEPOSIT);
    evm_tx_word_bytes(&TX, commit);
    struct evm_log *l = evm_tx_log(&TX, e->tc[d], g->T_TC_DEPOSIT);
    evm_log_topic_word(l, commit);
    evm_log_data_u128(l, e->leaf[d]++);
    evm_log_data_u128(l, g->timestamp);
    n->pool = e->tc[d];
    n->depositor = who;
    n->denom = d;
    n->dep_block = g->block;
    n->dep_price = TX.price;
    evm_tx_commit(g, &TX);
    memcpy(n->dep_tx, TX.hash, 32);
}

static struct evm_note *note_new(struct evm_gen *g)
{
    if (g->nnote == g->capnote) {
        g->capnote = g->capnote ? 2 * g->capnote : 256;
        g->note = cs_xrealloc(g->note, g->capnote * sizeof *g->note);
    }
    struct evm_note *n = &g->note[g->nnote++];
    memset(n, 0, sizeof *n);
    return n;
}

/* A user deposits with one of the habits; the withdrawal is scheduled. */
static void act_tornado(struct evm_gen *g)
{
    struct econ *e = EC(g);
    uint32_t a = pick_eoa(g), u = eoa_user(g, a);
    uint64_t r = cs_gen_below(&g->rng, 100);
    int habit = r < 15   ? H_ADDRESS
                : r < 25 ? H_GAS
                : r < 40 ? H_LINKED
                : r < 50 ? H_MULTI
                : r < 60 ? H_TORN
                         : H_CAREFUL;
    int d = (int)cs_gen_range(&g->rng, 0, 2); /* 0.1 .. 10 ETH for users */
    int nd = 1, dd[4] = {d, d, d, d};
    if (habit == H_MULTI) { /* a portfolio: 3 x d and 1 x d+1 */
        nd = 4;
        dd[3] = d + 1;
    }
    u128 need = (u128)nd * 1400000 * (2 * g->base_fee + 75 * GWEI) + (habit == H_LINKED ? E(1) : 0);
    for (int i = 0; i < nd; i++)
        need += DENOM[dd[i]];
    ensure_eth(g, a, need);
    uint32_t rcpt = habit == H_ADDRESS ? a : user_add_eoa(g, u);
    if (habit == H_LINKED) /* >= 3 transfers between depositor and recipient */
        for (int i = 0; i < 3; i++) {
            evm_tx_init(g, &TX, a, rcpt, amount_between(g, MILLI(5), MILLI(300)), 21000, 0);
            evm_tx_commit(g, &TX);
        }
    uint64_t wd = g->block + cs_gen_range(&g->rng, 30, 3000);
    for (int i = 0; i < nd; i++) {
        struct evm_note *n = note_new(g);
        uint64_t price = 0;
        if (habit == H_GAS) {
            price = (61 + cs_gen_below(&g->rng, 9)) * GWEI + 100000 + e->unique_gas_ctr++ * 7919;
            /* the base fee walks up to 67.5 gwei: lift the price above it,
             * still unique (10 gwei is no multiple of 7919 wei) */
            if (price <= g->base_fee) price += 10 * GWEI;
        }
        tc_deposit_tx(g, a, dd[i], price, n);
        n->habit = habit;
        n->recipient = rcpt;
        n->relayer = habit == H_GAS ? 0 : e->relayer[cs_gen_below(&g->rng, 4)];
        n->wd_block = habit == H_MULTI ? wd + (uint64_t)i * cs_gen_range(&g->rng, 1, 40) : wd;
        ev_push(g, n->wd_block, EV_TC_WITHDRAW, (uint32_t)(n - g->note), 0, 0, 0);
    }
}

static void ev_tc_withdraw(struct evm_gen *g, uint32_t ni)
{
    struct econ *e = EC(g);
    struct evm_note *n = &g->note[ni];
    u128 v = DENOM[n->denom];
    uint32_t sender = n->relayer ? n->relayer : n->recipient;
    /* self-relayed: legacy, at the deposit's gas price */
    uint64_t gas = 340000 + cs_gen_below(&g->rng, 40000);
    uint64_t price = n->dep_price < g->base_fee ? g->base_fee + GWEI : n->dep_price;
    evm_tx_init(g, &TX, sender, n->pool, 0, gas, !n->relayer);
    if (!n->relayer) TX.price = price;
    ensure_eth(g, sender, cost_max(g, &TX));
    evm_tx_init(g, &TX, sender, n->pool, 0, gas, !n->relayer);
    if (!n->relayer) TX.price = price;
    uint8_t proof[256], root[32], nullifier[32];
    for (int i = 0; i < 256; i += 32)
        rand_word(g, proof + i);
    rand_word(g, root);
    rand_word(g, nullifier);
    u128 fee = n->relayer ? v * 3 / 1000 : 0;
    evm_tx_sel(&TX, g->S_TC_WITHDRAW);
    evm_tx_word_u128(&TX, 7 * 32);
    evm_tx_word_bytes(&TX, root);
    evm_tx_word_bytes(&TX, nullifier);
    evm_tx_word_addr(&TX, n->recipient, g);
    evm_tx_word_addr(&TX, n->relayer, g);
    evm_tx_word_u128(&TX, fee);
    evm_tx_word_u128(&TX, 0);
    evm_tx_word_u128(&TX, 256);
    evm_tx_bytes(&TX, proof, 256);
    evm_tx_frame(&TX, n->pool, n->recipient, v - fee, "call");
    if (fee) evm_tx_frame(&TX, n->pool, n->relayer, fee, "call");
    struct evm_log *l = evm_tx_log(&TX, n->pool, g->T_TC_WITHDRAWAL);
    evm_log_topic_addr(l, g, n->relayer);
    evm_log_data_addr(l, g, n->recipient);
    evm_log_data_word(l, nullifier);
    evm_log_data_u128(l, fee);
    evm_tx_commit(g, &TX);
    memcpy(n->wd_tx, TX.hash, 32);
    n->withdrawn = 1;
    n->wd_block = g->block;
    if (n->habit == H_TORN)
        ev_push(g, g->block + cs_gen_range(&g->rng, 1, 50), EV_TC_CLAIM, ni, 0, 0, 0);
    (void)e;
}

/* anonymity mining: the recipient converts the AP the note earned
 * (rate x blocks in the pool) at the reward swap */
static void ev_tc_claim(struct evm_gen *g, uint32_t ni)
{
    struct econ *e = EC(g);
    struct evm_note *n = &g->note[ni];
    static const uint64_t RATE[4] = {4, 20, 50, 400};
    uint64_t ap = RATE[n->denom] * (n->wd_block - n->dep_block);
    ensure_eth(g, n->recipient, (u128)200000 * (3 * g->base_fee + 2 * GWEI));
    evm_tx_init(g, &TX, n->recipient, e->reward_swap, 0, 150000, 0);
    evm_tx_sel(&TX, g->S_CLAIM);
    evm_tx_word_u128(&TX, ap);
    struct evm_log *l = evm_tx_log(&TX, e->reward_swap, g->T_REWARDSWAP);
    evm_log_topic_addr(l, g, n->recipient);
    evm_log_data_u128(l, ap);
    evm_log_data_u128(l, (u128)ap * 1000000000000000ull);
    evm_tx_commit(g, &TX);
}

/* ---- THORChain-style router and a bridge ---- */

static void memo_btc(struct evm_gen *g, char *m, size_t cap)
{
    static const char C[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    char a[40];
    for (int i = 0; i < 38; i++)
        a[i] = C[cs_gen_below(&g->rng, 32)];
    a[38] = 0;
    snprintf(m, cap, "SWAP:BTC.BTC:bc1q%s:0", a);
}

static void router_deposit(struct evm_gen *g, uint32_t who, u128 v)
{
    struct econ *e = EC(g);
    char memo[96];
    memo_btc(g, memo, sizeof memo);
    size_t ml = strlen(memo);
    evm_tx_init(g, &TX, who, e->router, v, 62000 + cs_gen_below(&g->rng, 4000), 0);
    evm_tx_sel(&TX, g->S_TH_DEPOSIT);
    evm_tx_word_addr(&TX, e->vault, g);
    evm_tx_word_addr(&TX, 0, g);
    evm_tx_word_u128(&TX, v);
    evm_tx_word_u128(&TX, 5 * 32);
    evm_tx_word_u128(&TX, g->timestamp + 900);
    evm_tx_word_u128(&TX, ml);
    evm_tx_bytes(&TX, (const uint8_t *)memo, ml);
    evm_tx_frame(&TX, e->router, e->vault, v, "call");
    struct evm_log *l = evm_tx_log(&TX, e->router, g->T_TH_DEPOSIT);
    evm_log_topic_addr(l, g, e->vault);
    evm_log_topic_addr(l, g, 0);
    evm_log_data_u128(l, v);
    evm_log_data_u128(l, 64);
    evm_log_data_u128(l, ml);
    uint8_t w[64] = {0};
    memcpy(w, memo, ml);
    evm_log_data_word(l, w);
    if (ml > 32) evm_log_data_word(l, w + 32);
}

static void act_router_in(struct evm_gen *g)
{
    uint32_t a = pick_eoa(g);
    u128 v = amount_between(g, MILLI(100), E(10));
    ensure_eth(g, a, v + (u128)90000 * (3 * g->base_fee + 2 * GWEI));
    router_deposit(g, a, v);
    evm_tx_commit(g, &TX);
}

static void act_router_out(struct evm_gen *g)
{
    struct econ *e = EC(g);
    uint32_t to = pick_eoa(g);
    u128 v = amount_between(g, MILLI(100), E(10));
    if (bal(g, e->vault, EA_ETH) < v + E(1)) return;
    char memo[80], hx[65];
    uint8_t h[32];
    rand_word(g, h);
    static const char H[] = "0123456789ABCDEF";
    for (int i = 0; i < 32; i++) {
        hx[2 * i] = H[h[i] >> 4];
        hx[2 * i + 1] = H[h[i] & 15];
    }
    hx[64] = 0;
    snprintf(memo, sizeof memo, "OUT:%s", hx);
    evm_tx_init(g, &TX, e->vault, e->router, v, 58000, 0);
    evm_tx_sel(&TX, g->S_TH_OUT);
    evm_tx_word_addr(&TX, to, g);
    evm_tx_word_addr(&TX, 0, g);
    evm_tx_word_u128(&TX, v);
    evm_tx_word_u128(&TX, 4 * 32);
    evm_tx_word_u128(&TX, 68);
    evm_tx_bytes(&TX, (const uint8_t *)memo, 68);
    evm_tx_frame(&TX, e->router, to, v, "call");
    struct evm_log *l = evm_tx_log(&TX, e->router, g->T_TH_OUT);
    evm_log_topic_addr(l, g, e->vault);
    evm_log_topic_addr(l, g, to);
    evm_log_data_addr(l, g, 0);
    evm_log_data_u128(l, v);
    evm_log_data_u128(l, 128);
    evm_log_data_u128(l, 68);
    uint8_t w[96] = {0};
    memcpy(w, memo, 68);
    evm_log_data_word(l, w);
    evm_log_data_word(l, w + 32);
    evm_log_data_word(l, w + 64);
    evm_tx_commit(g, &TX);
}

static void act_bridge(struct evm_gen *g, int inbound)
{
    struct econ *e = EC(g);
    uint32_t a = pick_eoa(g);
    u128 v = amount_between(g, MILLI(50), E(5));
    uint8_t id[32], in[16];
    memcpy(in, &g->seed, 8);
    memcpy(in + 8, &e->bridge_nonce, 8);
    e->bridge_nonce++;
    cs_keccak256(in, 16, id);
    if (!inbound) {
        ensure_eth(g, a, v + (u128)90000 * (3 * g->base_fee + 2 * GWEI));
        evm_tx_init(g, &TX, a, e->bridge, v, 71000, 0);
        evm_tx_sel(&TX, g->S_BRIDGE);
        evm_tx_word_addr(&TX, a, g);
        evm_tx_word_u128(&TX, 42161);
        struct evm_log *l = evm_tx_log(&TX, e->bridge, g->T_MSG_SENT);
        evm_log_topic_word(l, id);
        evm_log_topic_addr(l, g, a);
        evm_log_data_addr(l, g, a);
        evm_log_data_u128(l, v);
        evm_log_data_u128(l, 42161);
    } else {
        if (bal(g, e->bridge, EA_ETH) < v) return;
        evm_tx_init(g, &TX, e->bridge_op, e->bridge, 0, 84000, 0);
        evm_tx_sel(&TX, g->S_BRIDGE_FILL);
        evm_tx_word_bytes(&TX, id);
        evm_tx_word_addr(&TX, a, g);
        evm_tx_word_u128(&TX, v);
        evm_tx_frame(&TX, e->bridge, a, v, "call");
        struct evm_log *l = evm_tx_log(&TX, e->bridge, g->T_MSG_EXEC);
        evm_log_topic_word(l, id);
        evm_log_topic_addr(l, g, a);
        evm_log_data_u128(l, v);
    }
    evm_tx_commit(g, &TX);
}

/* ---- self-authorization (Victor): O approves its owner's other EOA S,
 * which later pulls with transferFrom ---- */

/* An exchange pays 3-6 users in one tx through a disperse contract; now and
 * then one recipient is a contract that rejects ETH: that inner call
 * reverts (status 0, moves nothing) while the tx succeeds, and the contract
 * refunds the hot wallet in a last inner call. */
static void act_batch_payout(struct evm_gen *g)
{
    struct econ *e = EC(g);
    uint32_t hot = e->hot[cs_gen_below(&g->rng, X_N)];
    int n = (int)cs_gen_range(&g->rng, 3, 6),
        bad = cs_gen_chance(&g->rng, 0.3) ? (int)cs_gen_below(&g->rng, (uint64_t)n) : -1;
    u128 v[6], total = 0, refund = 0;
    uint32_t to[6];
    for (int i = 0; i < n; i++) {
        v[i] = amount_between(g, MILLI(50), E(5));
        to[i] = i == bad ? e->pool[P_STETH].acct : pick_eoa(g);
        total += v[i];
    }
    evm_tx_init(g, &TX, hot, e->disperse, total, 40000 + 12000ull * (uint64_t)n, 0);
    evm_tx_sel(&TX, g->S_MULTISEND);
    evm_tx_word_u128(&TX, 64);
    evm_tx_word_u128(&TX, 0);
    evm_tx_word_u128(&TX, (u128)n);
    for (int i = 0; i < n; i++) {
        evm_tx_word_addr(&TX, to[i], g);
        struct evm_frame *f = evm_tx_frame(&TX, e->disperse, to[i], v[i], "call");
        if (i == bad) {
            f->reverted = 1;
            refund = v[i];
        }
    }
    if (refund) evm_tx_frame(&TX, e->disperse, hot, refund, "call");
    evm_tx_commit(g, &TX);
}

static void act_approve(struct evm_gen *g)
{
    struct econ *e = EC(g);
    uint32_t a = pick_eoa(g), u = eoa_user(g, a);
    if (e->user_neoa[u] < 2) return;
    uint32_t o = e->user_eoa[u][0], s = e->user_eoa[u][1];
    u128 v = amount_between(g, USD(100), USD(5000));
    if (bal(g, o, EA_USDC) < v) fund(g, o, EA_USDC, v);
    ensure_eth(g, o, (u128)70000 * (3 * g->base_fee + 2 * GWEI));
    evm_tx_init(g, &TX, o, g->tok[EA_USDC], 0, 46000, 0);
    evm_tx_sel(&TX, g->S_APPROVE);
    evm_tx_word_addr(&TX, s, g);
    evm_tx_word_u128(&TX, v);
    struct evm_log *l = evm_tx_log(&TX, g->tok[EA_USDC], g->T_APPROVAL);
    evm_log_topic_addr(l, g, o);
    evm_log_topic_addr(l, g, s);
    evm_log_data_u128(l, v);
    evm_tx_commit(g, &TX);
    ev_push(g, g->block + cs_gen_range(&g->rng, 1, 200), EV_SELFAUTH, o, s, 0, v);
}

static void ev_selfauth(struct evm_gen *g, uint32_t o, uint32_t s, u128 v)
{
    if (bal(g, o, EA_USDC) < v) v = bal(g, o, EA_USDC);
    if (!v) return;
    ensure_eth(g, s, (u128)80000 * (3 * g->base_fee + 2 * GWEI));
    uint32_t to = cs_gen_chance(&g->rng, 0.5) ? s : pick_eoa(g);
    evm_tx_init(g, &TX, s, g->tok[EA_USDC], 0, 58000, 0);
    evm_tx_sel(&TX, g->S_TRANSFERFROM);
    evm_tx_word_addr(&TX, o, g);
    evm_tx_word_addr(&TX, to, g);
    evm_tx_word_u128(&TX, v);
    evm_tx_transfer(g, &TX, EA_USDC, o, to, v);
    evm_tx_commit(g, &TX);
}

/* ---- address poisoning ---- */

static uint32_t lookalike(struct evm_gen *g, uint32_t real, uint32_t poisoner_ent)
{
    uint8_t a[20];
    for (int i = 0; i < 20; i += 8) {
        uint64_t r = cs_gen_rng_next(&g->rng);
        memcpy(a + i, &r, i + 8 <= 20 ? 8 : 4);
    }
    memcpy(a, g->acct[real].addr, 2);
    memcpy(a + 18, g->acct[real].addr + 18, 2);
    return evm_acct_new(g, poisoner_ent, R_LOOKALIKE, a);
}

static void ev_poison(struct evm_gen *g, uint32_t victim, uint32_t real, int asset, u128 amt)
{
    struct econ *e = EC(g);
    int k = (int)cs_gen_below(&g->rng, 2);
    uint32_t pz = e->poisoner[k], pent = g->acct[pz].entity;
    ensure_eth(g, pz, MILLI(50));
    uint32_t look = lookalike(g, real, pent);
    int kind = (int)cs_gen_below(&g->rng, 3);
    if (kind == 0) { /* zero-value transferFrom(victim -> look-alike) on the real token */
        int tk = asset ? asset : EA_USDT;
        evm_tx_init(g, &TX, pz, g->tok[tk], 0, 41000, 0);
        evm_tx_sel(&TX, g->S_TRANSFERFROM);
        evm_tx_word_addr(&TX, victim, g);
        evm_tx_word_addr(&TX, look, g);
        evm_tx_word_u128(&TX, 0);
        evm_tx_transfer(g, &TX, tk, victim, look, 0);
    } else if (kind == 1) { /* a fake token "paid" from the look-alike */
        int tk = cs_gen_chance(&g->rng, 0.5) ? EA_FAKE_USDT : EA_FAKE_USDC;
        u128 v = asset ? amt : USD(1000);
        evm_tx_init(g, &TX, pz, g->tok[tk], 0, 64000, 0);
        evm_tx_sel(&TX, g->S_MINT);
        evm_tx_word_addr(&TX, look, g);
        evm_tx_word_addr(&TX, victim, g);
        evm_tx_word_u128(&TX, v);
        evm_tx_transfer(g, &TX, tk, 0, look, v);
        evm_tx_transfer(g, &TX, tk, look, victim, v);
    } else { /* dust ETH from the look-alike */
        evm_tx_init(g, &TX, pz, look, MILLI(3), 21000, 0);
        evm_tx_commit(g, &TX);
        evm_tx_init(g, &TX, look, victim, (u128)cs_gen_range(&g->rng, 1, 999) * 1000000000ull,
                    21000, 0);
    }
    evm_tx_commit(g, &TX);
    if (cs_gen_chance(&g->rng, 0.05)) /* the victim copies the wrong address */
        ev_push(g, g->block + cs_gen_range(&g->rng, 5, 300), EV_POISON_FALL, victim, look,
                (uint32_t)asset, amt);
}

static void ev_poison_fall(struct evm_gen *g, uint32_t victim, uint32_t look, int asset, u128 amt)
{
    if (asset) {
        if (bal(g, victim, asset) < amt) fund(g, victim, asset, amt);
        ensure_eth(g, victim, (u128)80000 * (3 * g->base_fee + 2 * GWEI));
        token_transfer(g, victim, look, asset, amt);
    } else {
        evm_tx_init(g, &TX, victim, look, amt, 21000, 0);
        ensure_eth(g, victim, cost_max(g, &TX));
        evm_tx_init(g, &TX, victim, look, amt, 21000, 0);
    }
    evm_tx_commit(g, &TX);
}

/* ---- the airdrop (Victor's multi-participation signature) ---- */

static void ev_airdrop(struct evm_gen *g, uint32_t batch)
{
    struct econ *e = EC(g);
    const uint32_t PER = 150;
    u128 amt = E(1000);
    /* recipients: the sybil farms' EOAs first, then users' EOAs */
    uint32_t nsyb = e->sybil_n[0] + e->sybil_n[1] + e->sybil_n[2];
    uint32_t total = nsyb + (e->neoa < 6000 ? e->neoa : 6000);
    ensure_eth(g, e->distributor, E(2));
    uint32_t first = batch * PER;
    if (first >= total) return;
    uint32_t n = total - first < PER ? total - first : PER;
    evm_tx_init(g, &TX, e->distributor, g->tok[EA_AIR], 0, 30000 + 28000ull * n, 0);
    evm_tx_sel(&TX, g->S_MULTISEND);
    evm_tx_word_u128(&TX, 64);
    evm_tx_word_u128(&TX, amt);
    evm_tx_word_u128(&TX, n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = first + i, to;
        if (k < nsyb) {
            int f = 0;
            while (k >= e->sybil_n[f]) {
                k -= e->sybil_n[f];
                f++;
            }
            to = e->sybil_first[f] + k;
            ev_push(g, g->block + cs_gen_range(&g->rng, 5, 600), EV_AIR_FORWARD, to, e->farmer[f],
                    0, amt);
        } else {
            to = e->eoa[k - nsyb];
        }
        evm_tx_word_addr(&TX, to, g);
        evm_tx_transfer(g, &TX, EA_AIR, e->distributor, to, amt);
    }
    evm_tx_commit(g, &TX);
    if (first + n < total)
        ev_push(g, g->block + cs_gen_range(&g->rng, 1, 2), EV_AIRDROP, batch + 1, 0, 0, 0);
}

static void ev_air_forward(struct evm_gen *g, uint32_t s, uint32_t agg, u128 amt)
{
    /* the farm's script: legacy, gas limit = use, topped up to the fee exactly */
    uint64_t price = g->base_fee + GWEI / 100 * cs_gen_range(&g->rng, 1, 200);
    u128 need = (u128)52000 * price;
    if (bal(g, s, EA_ETH) < need) {
        evm_tx_init(g, &TX, agg, s, need - bal(g, s, EA_ETH), 21000, 1);
        TX.price = price;
        ensure_eth(g, agg, cost_max(g, &TX));
        evm_tx_init(g, &TX, agg, s, need - bal(g, s, EA_ETH), 21000, 1);
        TX.price = price;
        evm_tx_commit(g, &TX);
    }
    token_transfer(g, s, agg, EA_AIR, amt);
    TX.type = 0;
    TX.max_fee = TX.prio = 0;
    TX.gas_limit = TX.gas_used;
    TX.price = price;
    evm_tx_commit(g, &TX);
}

/* ---- the Bybit composite ---- */

static void heist_wallet_dep(struct evm_gen *g, struct hwallet *w)
{
    struct econ *e = EC(g);
    for (int k = 0; k < 2; k++) {
        g->new_customer = e->attacker_ent;
        w->dep[k] = evm_acct_new(g, e->xent[X_OKX + k], R_DEPOSIT, NULL);
    }
}

static void safe_exec(struct evm_gen *g, int asset)
{
    struct econ *e = EC(g);
    evm_tx_init(g, &TX, e->exploiter, e->cold, 0, asset == EA_ETH ? 72000 : 86000, 0);
    evm_tx_sel(&TX, g->S_EXEC);
    evm_tx_word_addr(&TX, e->impl, g);
    evm_tx_word_u128(&TX, 0);
    evm_tx_frame(&TX, e->cold, e->impl, 0, "delegatecall");
    u128 v = bal(g, e->cold, asset);
    if (asset == EA_ETH)
        evm_tx_frame(&TX, e->cold, e->exploiter, v, "call");
    else
        evm_tx_transfer(g, &TX, asset, e->cold, e->exploiter, v);
    TX.seed = 1; /* heist.json's seeds: cold wallet -> exploiter */
    struct evm_log *l = evm_tx_log(&TX, e->cold, g->T_EXEC_OK);
    uint8_t w[32];
    rand_word(g, w);
    evm_log_data_word(l, w);
    evm_log_data_u128(l, 0);
    evm_tx_commit(g, &TX);
}

/* stages: 0 prepare (the exploiter funded through the mixer), 1 the drain,
 * 2.. swaps, then the split, then each wallet's drains as EV_HEIST_STEP */
static void ev_heist(struct evm_gen *g, uint32_t stage)
{
    struct econ *e = EC(g);
    if (stage == 0) { /* the exploiter deploys the malicious implementation */
        e->impl = deploy(g, e->exploiter, e->attacker_ent, R_CONTRACT, 420000);
        ev_push(g, e->h0, EV_HEIST, 1, 0, 0, 0);
        return;
    }
    if (stage == 1) {
        g->heist_on = 1;
        g->heist_block = g->block;
        g->acct[e->cold].tainted = 2;
        evm_truth_start(g);
        evm_out_str(&g->o_flows, "{\"edges\":[");
        g->flows_first = 1;
        static const int A[4] = {EA_ETH, EA_STETH, EA_METH, EA_CMETH};
        for (int i = 0; i < 4; i++)
            safe_exec(g, A[i]);
        ev_push(g, g->block + 3, EV_HEIST, 2, 0, 0, 0);
        return;
    }
    if (stage == 2) { /* swaps: stETH and mETH for ETH, cmETH for mETH first */
        uint32_t x = e->exploiter;
        for (int round = 0; round < 12 && !block_full(g); round++) {
            int p, sell;
            if (bal(g, x, EA_CMETH)) {
                p = P_CM_M;
                sell = EA_CMETH;
            } else if (bal(g, x, EA_STETH)) {
                p = P_STETH;
                sell = EA_STETH;
            } else if (bal(g, x, EA_METH)) {
                p = P_METH;
                sell = EA_METH;
            } else
                break;
            u128 chunk = bal(g, x, sell) < E(12000) ? bal(g, x, sell) : E(10000);
            if (swap(g, x, p, sell, chunk)) {
                TX.label = "swap";
                evm_tx_commit(g, &TX);
            }
        }
        int left = bal(g, x, EA_CMETH) || bal(g, x, EA_STETH) || bal(g, x, EA_METH);
        ev_push(g, g->block + cs_gen_range(&g->rng, 1, 4), EV_HEIST, left ? 2 : 3, 0, 0, 0);
        return;
    }
    if (stage == 3) { /* the split: 50 wallets within about two hours */
        u128 total = bal(g, e->exploiter, EA_ETH) - E(50);
        u128 share = total / 50;
        for (int i = 0; i < 50; i++) {
            struct hwallet *w = &e->hw[i];
            w->acct = evm_acct_new(g, e->attacker_ent, R_HEIST, NULL);
            w->fate = i < 30   ? F_ROUTER
                      : i < 36 ? F_EXCHANGE
                      : i < 40 ? F_TORNADO
                      : i < 45 ? F_DORMANT
                               : F_MIXED;
            heist_wallet_dep(g, w);
            u128 v = share - share / 100 * cs_gen_below(&g->rng, 4);
            ev_push(g, g->block + 1 + (uint64_t)i * 11, EV_HEIST, 100 + (uint32_t)i, 0, 0, v);
        }
        return;
    }
    if (stage >= 100 && stage < 150) {
        return; /* handled by ev_heist_amt */
    }
}

/* Address poisoning around a heist wallet, as the real Bybit wallets got:
 * a look-alike of the exploiter (the wallet's one counterparty) sends a
 * zero-value transferFrom(wallet -> look-alike) of USDT, a fake token and
 * dust ETH.  The look-alike is remembered for a later "fall". */
static void ev_heist_spam(struct evm_gen *g, uint32_t i)
{
    struct econ *e = EC(g);
    struct hwallet *w = &e->hw[i];
    uint32_t pz = e->poisoner[i % 2], look = lookalike(g, e->exploiter, g->acct[pz].entity);
    w->look = look;
    ensure_eth(g, pz, MILLI(50));
    evm_tx_init(g, &TX, pz, g->tok[EA_USDT], 0, 41000, 0);
    evm_tx_sel(&TX, g->S_TRANSFERFROM);
    evm_tx_word_addr(&TX, w->acct, g);
    evm_tx_word_addr(&TX, look, g);
    evm_tx_word_u128(&TX, 0);
    evm_tx_transfer(g, &TX, EA_USDT, w->acct, look, 0);
    evm_tx_commit(g, &TX);
    int tk = i % 2 ? EA_FAKE_USDC : EA_FAKE_USDT;
    evm_tx_init(g, &TX, pz, g->tok[tk], 0, 64000, 0);
    evm_tx_sel(&TX, g->S_MINT);
    evm_tx_word_addr(&TX, look, g);
    evm_tx_word_addr(&TX, w->acct, g);
    evm_tx_word_u128(&TX, USD(25000));
    evm_tx_transfer(g, &TX, tk, 0, look, USD(25000));
    evm_tx_transfer(g, &TX, tk, look, w->acct, USD(25000));
    evm_tx_commit(g, &TX);
    evm_tx_init(g, &TX, pz, look, MILLI(3), 21000, 0);
    evm_tx_commit(g, &TX);
    u128 dust = (u128)cs_gen_range(&g->rng, 1, 999) * 1000000000ull;
    evm_tx_init(g, &TX, look, w->acct, dust, 21000, 0);
    evm_tx_commit(g, &TX);
}

static void ev_heist_split(struct evm_gen *g, uint32_t i, u128 v)
{
    struct econ *e = EC(g);
    struct hwallet *w = &e->hw[i];
    evm_tx_init(g, &TX, e->exploiter, w->acct, v, 21000, 0);
    TX.label = "split";
    evm_tx_commit(g, &TX);
    /* poisoning spam at every seventh wallet; two of them fall for it (a
     * test payment to the look-alike); one dormant wallet wraps and unwraps */
    if (i % 7 == 5) {
        ev_push(g, g->block + cs_gen_range(&g->rng, 1, 30), EV_HEIST_STEP, i, 4, 0, 0);
        if (i == 40 || i == 47)
            ev_push(g, g->block + cs_gen_range(&g->rng, 40, 250), EV_HEIST_STEP, i, 5, 0, 0);
    }
    if (i == 41) {
        ev_push(g, g->block + cs_gen_range(&g->rng, 20, 200), EV_HEIST_STEP, i, 2, 0, 0);
        ev_push(g, g->block + cs_gen_range(&g->rng, 300, 900), EV_HEIST_STEP, i, 3, 0, 0);
    }
    if (w->fate == F_DORMANT) return;
    uint64_t start = g->block + cs_gen_range(&g->rng, 300, 1500);
    if (w->fate == F_MIXED) /* clean funds from an OTC desk first */
        ev_push(g, start - 100, EV_HEIST_STEP, i, 1, 0, 0);
    ev_push(g, start, EV_HEIST_STEP, i, 0, 0, 0);
}

static void ev_heist_step(struct evm_gen *g, uint32_t i, uint32_t what)
{
    struct econ *e = EC(g);
    struct hwallet *w = &e->hw[i];
    uint32_t a = w->acct;
    if (what == 1) {
        u128 v = amount_between(g, E(2000), E(6000));
        evm_tx_init(g, &TX, e->otc, a, v, 21000, 0);
        evm_tx_commit(g, &TX);
        return;
    }
    if (what == 2 || what == 3) { /* wrap 1,000 ETH; later unwrap 400 WETH */
        weth_tx(g, a, what == 2 ? E(1000) : E(400), what == 3);
        return;
    }
    if (what == 4) {
        ev_heist_spam(g, i);
        return;
    }
    if (what == 5) { /* a test payment to the look-alike */
        evm_tx_init(g, &TX, a, w->look, amount_between(g, MILLI(500), E(3)), 21000, 0);
        evm_tx_commit(g, &TX);
        return;
    }
    u128 gas = (u128)1200000 * (3 * g->base_fee + 2 * GWEI);
    u128 b = bal(g, a, EA_ETH);
    /* the mixed wallets stop with 10-30% of what they held left over */
    u128 floor_ = w->fate == F_MIXED ? E(2500) : E(3);
    if (b <= floor_ + gas + E(1)) return;
    int last = 0;
    w->steps++;
    if (w->fate == F_TORNADO && w->steps <= 25) { /* 100 ETH notes */
        struct evm_note *n = note_new(g);
        tc_deposit_tx(g, a, 3, 0, n);
        n->habit = H_ATTACKER;
        n->recipient = evm_acct_new(g, e->attacker_ent, R_EOA, NULL);
        n->relayer = e->relayer[cs_gen_below(&g->rng, 4)];
        n->wd_block = g->block + cs_gen_range(&g->rng, 200, 2500);
        ev_push(g, n->wd_block, EV_TC_WITHDRAW, (uint32_t)(n - g->note), 0, 0, 0);
    } else {
        u128 chunk = amount_between(g, E(600), E(1800));
        if (chunk + floor_ + gas >= b) {
            chunk = b - floor_ - gas;
            last = 1;
        }
        int to_exchange =
            w->fate == F_EXCHANGE || (w->fate == F_MIXED && cs_gen_chance(&g->rng, 0.4));
        if (to_exchange) {
            int k = (int)cs_gen_below(&g->rng, 2);
            evm_tx_init(g, &TX, a, w->dep[k], chunk, 21000, 0);
            evm_tx_commit(g, &TX);
            /* swept before this wallet's next step (>= 3 blocks on), so each
             * deposit has its own forward of a - 21000 x price, well inside
             * Victor's rule (<= 10,000 blocks, a - a' <= 0.01 ETH) */
            ev_push(g, g->block + cs_gen_range(&g->rng, 1, 2), EV_SWEEP, w->dep[k],
                    (uint32_t)(X_OKX + k), 0, 0);
        } else {
            router_deposit(g, a, chunk);
            evm_tx_commit(g, &TX);
        }
    }
    if (!last) ev_push(g, g->block + cs_gen_range(&g->rng, 3, 90), EV_HEIST_STEP, i, 0, 0, 0);
}

/* ---- set-up ---- */

static void init_topics(struct evm_gen *g)
{
    topic_hash(g->T_TRANSFER, "Transfer(address,address,uint256)");
    topic_hash(g->T_APPROVAL, "Approval(address,address,uint256)");
    topic_hash(g->T_WDEPOSIT, "Deposit(address,uint256)");
    topic_hash(g->T_WWITHDRAWAL, "Withdrawal(address,uint256)");
    topic_hash(g->T_TC_DEPOSIT, "Deposit(bytes32,uint32,uint256)");
    topic_hash(g->T_TC_WITHDRAWAL, "Withdrawal(address,bytes32,address,uint256)");
    topic_hash(g->T_TH_DEPOSIT, "Deposit(address,address,uint256,string)");
    topic_hash(g->T_TH_OUT, "TransferOut(address,address,address,uint256,string)");
    topic_hash(g->T_TOKENPURCHASE, "TokenPurchase(address,uint256,uint256)");
    topic_hash(g->T_ETHPURCHASE, "EthPurchase(address,uint256,uint256)");
    topic_hash(g->T_SWAP2, "Swap(address,uint256,uint256,uint256,uint256,address)");
    topic_hash(g->T_MSG_SENT, "MessageSent(bytes32,address,address,uint256,uint256)");
    topic_hash(g->T_MSG_EXEC, "MessageExecuted(bytes32,address,uint256)");
    topic_hash(g->T_REWARDSWAP, "Swap(address,uint256,uint256)");
    topic_hash(g->T_EXEC_OK, "ExecutionSuccess(bytes32,uint256)");
    selector(g->S_TRANSFER, "transfer(address,uint256)");
    selector(g->S_TRANSFERFROM, "transferFrom(address,address,uint256)");
    selector(g->S_APPROVE, "approve(address,uint256)");
    selector(g->S_WDEPOSIT, "deposit()");
    selector(g->S_WWITHDRAW, "withdraw(uint256)");
    selector(g->S_TC_DEPOSIT, "deposit(bytes32)");
    selector(g->S_TC_WITHDRAW, "withdraw(bytes,bytes32,bytes32,address,address,uint256,uint256)");
    selector(g->S_TH_DEPOSIT, "depositWithExpiry(address,address,uint256,string,uint256)");
    selector(g->S_TH_OUT, "transferOut(address,address,uint256,string)");
    selector(g->S_ETH2TOK, "ethToTokenSwapInput(uint256,uint256)");
    selector(g->S_TOK2ETH, "tokenToEthSwapInput(uint256,uint256,uint256)");
    selector(g->S_TOK2TOK, "swapExactTokensForTokens(uint256,uint256)");
    selector(g->S_SUBMIT, "submit(address)");
    selector(g->S_BRIDGE, "sendMessage(address,uint256)");
    selector(g->S_BRIDGE_FILL, "executeMessage(bytes32,address,uint256)");
    selector(g->S_EXEC, "execTransaction(address,uint256)");
    selector(g->S_MULTISEND, "multisend(address[],uint256)");
    selector(g->S_MINT, "mintTo(address,address,uint256)");
    selector(g->S_CLAIM, "swap(address,uint256)");
    selector(g->S_ADDLIQ, "addLiquidity(uint256,uint256)");
    (void)g->S_ADDLIQ;
}

static uint32_t fixed_acct(struct evm_gen *g, uint32_t ent, int role, const char *hex)
{
    uint8_t a[20];
    for (int i = 0; i < 20; i++) {
        unsigned v;
        if (sscanf(hex + 2 + 2 * i, "%2x", &v) != 1) BUG("bad fixed address");
        a[i] = (uint8_t)v;
    }
    return evm_acct_new(g, ent, role, a);
}

static void tag(struct evm_gen *g, uint32_t a, const char *label, const char *cat)
{
    struct evm_out *o = &g->o_tags;
    evm_out_str(o, g->acct[a].hex);
    evm_out_ch(o, ',');
    evm_out_str(o, label);
    evm_out_ch(o, ',');
    evm_out_str(o, cat);
    evm_out_str(o, ",chainsleuth-gen,90,eth\n");
}

static void add_liquidity(struct evm_gen *g, uint32_t from, int p, u128 ra, u128 rb)
{
    struct econ *e = EC(g);
    struct pool *P = &e->pool[p];
    int eth = P->a == EA_ETH;
    evm_tx_init(g, &TX, from, P->acct, eth ? ra : 0, 150000, 0);
    evm_tx_sel(&TX, g->S_ADDLIQ);
    evm_tx_word_u128(&TX, ra);
    evm_tx_word_u128(&TX, rb);
    if (!eth) evm_tx_transfer(g, &TX, P->a, from, P->acct, ra);
    evm_tx_transfer(g, &TX, P->b, from, P->acct, rb);
    evm_tx_commit(g, &TX);
}

static void mint(struct evm_gen *g, uint32_t issuer, int asset, uint32_t to, u128 v)
{
    evm_tx_init(g, &TX, issuer, g->tok[asset], 0, 55000, 0);
    evm_tx_sel(&TX, g->S_MINT);
    evm_tx_word_addr(&TX, to, g);
    evm_tx_word_addr(&TX, to, g);
    evm_tx_word_u128(&TX, v);
    evm_tx_transfer(g, &TX, asset, 0, to, v);
    evm_tx_commit(g, &TX);
}

/* block 0: withdrawals fund the big actors; block 1: contracts, mints,
 * staking, liquidity, the victim's cold wallet */
static void setup_entities(struct evm_gen *g)
{
    struct econ *e = EC(g);
    evm_entity_new(g, "none", SINK_NONE, "none"); /* entity 0: the zero address */
    evm_acct_new(g, 0, R_CONTRACT, NULL);         /* account 0: 0x000...0 */
    static const char *const XN[X_N + 1] = {"exchange_binance-like_1", "exchange_okx-like_2",
                                            "exchange_exch-like_3", "exchange_bybit-like_4"};
    for (int x = 0; x <= X_N; x++) {
        e->xent[x] = evm_entity_new(g, x == X_N && g->bybit ? "victim" : "exchange", SINK_EXCHANGE,
                                    "%s", XN[x]);
        e->hot[x] = evm_acct_new(g, e->xent[x], R_HOT, NULL);
    }
    uint32_t vent[16];
    for (int i = 0; i < 16; i++) {
        vent[i] = evm_entity_new(g, "validator", SINK_NONE, "validator_%02d", i + 1);
        g->validators[i] = evm_acct_new(g, vent[i], R_VALIDATOR, NULL);
    }
    uint32_t dep = evm_entity_new(g, "deployer", SINK_NONE, "deployer_1");
    e->deployer = evm_acct_new(g, dep, R_EOA, NULL);
    e->whale = evm_acct_new(g, evm_entity_new(g, "market_maker", SINK_NONE, "market_maker_1"),
                            R_EOA, NULL);
    uint32_t circle = evm_entity_new(g, "issuer", SINK_NONE, "issuer_circle-like");
    uint32_t tether = evm_entity_new(g, "issuer", SINK_NONE, "issuer_tether-like");
    e->issuer_usdc = evm_acct_new(g, circle, R_EOA, NULL);
    e->issuer_usdt = evm_acct_new(g, tether, R_EOA, NULL);
    e->otc = evm_acct_new(g, evm_entity_new(g, "otc", SINK_NONE, "otc_desk_1"), R_EOA, NULL);
    e->tc_ent = evm_entity_new(g, "mixer", SINK_MIXER, "mixer_tornado-like");
    for (int i = 0; i < 4; i++)
        e->relayer[i] = evm_acct_new(
            g, evm_entity_new(g, "relayer", SINK_NONE, "relayer_%d", i + 1), R_RELAYER, NULL);
    e->th_ent = evm_entity_new(g, "bridge", SINK_BRIDGE, "bridge_thorchain-like");
    e->vault = evm_acct_new(g, e->th_ent, R_VAULT, NULL);
    uint32_t bent = evm_entity_new(g, "bridge", SINK_BRIDGE, "bridge_across-like");
    e->bridge_op = evm_acct_new(g, evm_entity_new(g, "relayer", SINK_NONE, "bridge_relayer_1"),
                                R_RELAYER, NULL);
    uint32_t airent = evm_entity_new(g, "airdrop", SINK_NONE, "airdrop_distributor");
    e->distributor = evm_acct_new(g, airent, R_EOA, NULL);
    for (int f = 0; f < 3; f++) {
        uint32_t fe = evm_entity_new(g, "user", SINK_NONE, "sybil_farmer_%d", f + 1);
        e->farmer[f] = evm_acct_new(g, fe, R_EOA, NULL);
        e->sybil_n[f] = (uint32_t)cs_gen_range(&g->rng, 40, 120);
        e->sybil_first[f] = g->nacct;
        for (uint32_t k = 0; k < e->sybil_n[f]; k++)
            evm_acct_new(g, fe, R_EOA, NULL);
    }
    for (int k = 0; k < 2; k++)
        e->poisoner[k] = evm_acct_new(g, evm_entity_new(g, "scam", SINK_NONE, "poisoner_%d", k + 1),
                                      R_EOA, NULL);
    e->attacker_ent = evm_entity_new(g, "attacker", SINK_NONE, "attacker_lazarus-like_1");
    if (g->bybit) {
        e->exploiter = evm_acct_new(g, e->attacker_ent, R_EXPLOITER, NULL);
        e->attacker_funder = evm_acct_new(g, e->attacker_ent, R_EOA, NULL);
    }
    e->bybit_deployer = evm_acct_new(g, e->xent[X_N], R_EOA, NULL);
    /* canonical mainnet contracts, there from the start */
    uint32_t wethent = evm_entity_new(g, "token", SINK_NONE, "token_weth");
    g->tok[EA_WETH] = fixed_acct(g, wethent, R_TOKEN, "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2");
    g->tok[EA_USDC] = fixed_acct(g, circle, R_TOKEN, "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48");
    g->tok[EA_USDT] = fixed_acct(g, tether, R_TOKEN, "0xdac17f958d2ee523a2206206994597c13d831ec7");
    contract_row(g, g->tok[EA_WETH], 1);
    contract_row(g, g->tok[EA_USDC], 1);
    contract_row(g, g->tok[EA_USDT], 1);
    (void)dep;
    (void)bent;
    (void)vent;
}

/* block 0's withdrawals (booked after its (no) transactions) fund the big actors */
static void setup_withdrawals(struct evm_gen *g)
{
    struct econ *e = EC(g);
    for (int x = 0; x < X_N; x++)
        evm_withdrawal(g, e->hot[x], 3000000ull * GWEI);
    evm_withdrawal(g, e->hot[X_N], 900000ull * GWEI);
    evm_withdrawal(g, e->whale, 7000000ull * GWEI);
    evm_withdrawal(g, e->deployer, 1000ull * GWEI);
    evm_withdrawal(g, e->bybit_deployer, 100ull * GWEI);
    evm_withdrawal(g, e->issuer_usdc, 500ull * GWEI);
    evm_withdrawal(g, e->issuer_usdt, 500ull * GWEI);
    evm_withdrawal(g, e->otc, 60000ull * GWEI);
    evm_withdrawal(g, e->distributor, 500ull * GWEI);
    evm_withdrawal(g, e->vault, 20000ull * GWEI);
    evm_withdrawal(g, e->bridge_op, 500ull * GWEI);
    for (int i = 0; i < 4; i++)
        evm_withdrawal(g, e->relayer[i], 50ull * GWEI);
    for (int f = 0; f < 3; f++)
        evm_withdrawal(g, e->farmer[f], 100ull * GWEI);
    for (int k = 0; k < 2; k++)
        evm_withdrawal(g, e->poisoner[k], 200ull * GWEI);
}

static void setup_contracts(struct evm_gen *g)
{
    struct econ *e = EC(g);
    uint32_t d = e->deployer, dent = g->acct[d].entity;
    static const char *const SYM[EA_N] = {"ETH",  "WETH", "stETH", "mETH", "cmETH",
                                          "USDC", "USDT", "AIR",   "USDT", "USD\xd0\xa1"};
    static const char *const NAME[EA_N] = {
        "Ether",    "Wrapped Ether", "Liquid staked Ether 2.0", "mETH",       "cmETH",
        "USD Coin", "Tether USD",    "Airdrop Token",           "Tether USD", "USD Coin"};
    static const uint8_t DEC[EA_N] = {18, 18, 18, 18, 18, 6, 6, 18, 6, 6};
    for (int a = 0; a < EA_N; a++) {
        g->tok_symbol[a] = SYM[a];
        g->tok_name[a] = NAME[a];
        g->tok_decimals[a] = DEC[a];
    }
    uint32_t lido = evm_entity_new(g, "staking", SINK_NONE, "staking_lido-like");
    uint32_t mantle = evm_entity_new(g, "staking", SINK_NONE, "staking_mantle-like");
    g->tok[EA_STETH] = deploy(g, d, lido, R_TOKEN, 2100000);
    g->tok[EA_METH] = deploy(g, d, mantle, R_TOKEN, 2100000);
    g->tok[EA_CMETH] = deploy(g, d, mantle, R_TOKEN, 2100000);
    g->tok[EA_AIR] = deploy(g, e->distributor, g->acct[e->distributor].entity, R_TOKEN, 1200000);
    g->tok[EA_FAKE_USDT] =
        deploy(g, e->poisoner[0], g->acct[e->poisoner[0]].entity, R_TOKEN, 900000);
    g->tok[EA_FAKE_USDC] =
        deploy(g, e->poisoner[1], g->acct[e->poisoner[1]].entity, R_TOKEN, 900000);
    uint32_t dex = evm_entity_new(g, "dex", SINK_NONE, "dex_uniswap-like");
    static const int PA[P_N][2] = {{EA_ETH, EA_STETH}, {EA_ETH, EA_METH},   {EA_ETH, EA_USDC},
                                   {EA_ETH, EA_USDT},  {EA_CMETH, EA_METH}, {EA_USDC, EA_USDT}};
    for (int p = 0; p < P_N; p++) {
        e->pool[p].a = PA[p][0];
        e->pool[p].b = PA[p][1];
        e->pool[p].acct = deploy(g, d, dex, R_POOL, 3200000);
    }
    for (int i = 0; i < 4; i++)
        e->tc[i] = deploy(g, d, e->tc_ent, R_MIXER, 4100000);
    e->reward_swap = deploy(g, d, e->tc_ent, R_CONTRACT, 1500000);
    e->router = deploy(g, d, e->th_ent, R_ROUTER, 2400000);
    uint32_t bent = 0;
    for (uint32_t i = 0; i < g->nent; i++)
        if (!strcmp(g->ent[i].name, "bridge_across-like")) bent = i;
    e->bridge = deploy(g, d, bent, R_BRIDGE, 2800000);
    e->disperse = deploy(g, d, evm_entity_new(g, "dapp", SINK_NONE, "dapp_disperse-like"),
                         R_CONTRACT, 700000);
    (void)dent;
}

static void setup_funds(struct evm_gen *g)
{
    struct econ *e = EC(g);
    uint32_t w = e->whale;
    for (int x = 0; x <= X_N; x++) {
        mint(g, e->issuer_usdc, EA_USDC, e->hot[x], USD(500000000));
        mint(g, e->issuer_usdt, EA_USDT, e->hot[x], USD(500000000));
    }
    mint(g, e->issuer_usdc, EA_USDC, w, USD(800000000));
    mint(g, e->issuer_usdt, EA_USDT, w, USD(800000000));
    mint(g, e->distributor, EA_AIR, e->distributor, E(10000000));
    stake(g, w, EA_STETH, E(2100000));
    stake(g, w, EA_METH, E(800000));
    stake(g, w, EA_CMETH, E(250000));
    add_liquidity(g, w, P_STETH, E(2000000), E(2000000));
    add_liquidity(g, w, P_METH, E(300000), E(300000));
    add_liquidity(g, w, P_USDC, E(100000), USD(300000000));
    add_liquidity(g, w, P_USDT, E(100000), USD(300000000));
    add_liquidity(g, w, P_CM_M, E(200000), E(200000));
    add_liquidity(g, w, P_UC_UT, USD(200000000), USD(200000000));
    /* WETH for the exchanges; LSTs for the exchanges' users */
    for (int x = 0; x < X_N; x++) {
        uint32_t h = e->hot[x];
        /* users withdraw WETH and LSTs in proportion to the run: more above
         * 1 M txs (runs up to 1 M keep these exact amounts) */
        u128 k = g->target_txs > 1000000 ? (g->target_txs + 999999) / 1000000 : 1;
        evm_tx_init(g, &TX, h, g->tok[EA_WETH], k * E(50000), 45000, 0);
        evm_tx_sel(&TX, g->S_WDEPOSIT);
        struct evm_log *l = evm_tx_log(&TX, g->tok[EA_WETH], g->T_WDEPOSIT);
        evm_log_topic_addr(l, g, h);
        evm_log_data_u128(l, k * E(50000));
        l->kind = 2;
        l->to = h;
        l->value = k * E(50000);
        evm_tx_commit(g, &TX);
        stake(g, h, EA_STETH, k * E(100000));
        stake(g, h, EA_METH, k * E(70000));
        stake(g, h, EA_CMETH, k * E(20000));
    }
    /* the bridge's liquidity */
    evm_tx_init(g, &TX, w, e->bridge, E(20000), 21000 + 9000, 0);
    evm_tx_commit(g, &TX);
    /* the victim: a Safe-style cold wallet holding ETH and three LSTs */
    uint32_t bh = e->hot[X_N];
    e->cold = deploy(g, e->bybit_deployer, e->xent[X_N], R_COLD, 260000);
    stake(g, bh, EA_STETH, E(90375));
    stake(g, bh, EA_METH, E(23000));
    stake(g, bh, EA_CMETH, E(15000));
    evm_tx_init(g, &TX, bh, e->cold, E(401347), 21000 + 2300, 0);
    evm_tx_commit(g, &TX);
    token_transfer(g, bh, e->cold, EA_STETH, E(90375));
    evm_tx_commit(g, &TX);
    token_transfer(g, bh, e->cold, EA_METH, E(8000));
    evm_tx_commit(g, &TX);
    token_transfer(g, bh, e->cold, EA_CMETH, E(15000));
    evm_tx_commit(g, &TX);
    /* tags: what public intelligence knows */
    static const char *const XL[X_N + 1] = {"Binance-like", "OKX-like", "eXch-like", "Bybit-like"};
    for (int x = 0; x <= X_N; x++) {
        char l[64];
        snprintf(l, sizeof l, "%s hot wallet", XL[x]);
        tag(g, e->hot[x], l, "exchange");
    }
    static const char *const TD[4] = {"0.1", "1", "10", "100"};
    for (int i = 0; i < 4; i++) {
        char l[64];
        snprintf(l, sizeof l, "Tornado-like %s ETH pool", TD[i]);
        tag(g, e->tc[i], l, "mixer");
    }
    tag(g, e->router, "THORChain-like router", "bridge");
    tag(g, e->vault, "THORChain-like vault", "bridge");
    tag(g, e->bridge, "Across-like bridge", "bridge");
    tag(g, e->cold, "Bybit-like cold wallet", "other");
}

/* ---- truth files ---- */

static void json_hex32(struct evm_out *o, const uint8_t h[32])
{
    evm_out_ch(o, '"');
    evm_out_hex(o, h, 32);
    evm_out_ch(o, '"');
}

static void json_amt(struct evm_out *o, u128 v)
{
    evm_out_ch(o, '"');
    evm_out_u128(o, v);
    evm_out_ch(o, '"');
}

static const char *asset_id(struct evm_gen *g, int a)
{
    return a == EA_ETH ? "ETH" : g->acct[g->tok[a]].hex;
}

static void json_asset(struct evm_gen *g, struct evm_out *o, int a)
{
    evm_out_str(o, "\"asset\":\"");
    evm_out_str(o, asset_id(g, a));
    evm_out_str(o, "\",\"symbol\":\"");
    evm_out_str(o, a == EA_FAKE_USDC ? "USDC(lookalike)" : g->tok_symbol[a]);
    evm_out_str(o, "\",\"decimals\":");
    evm_out_u64(o, a == EA_ETH ? 18 : g->tok_decimals[a]);
}

static int write_links(struct evm_gen *g)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/truth/links.json", g->out);
    struct evm_out o = {0};
    o.f = fopen(p, "w");
    if (!o.f) return cs_error(CS_EIO, "%s: cannot create", p);
    o.buf = cs_xmalloc(1u << 20);
    o.cap = 1u << 20;
    evm_out_str(&o, "{\"links\":[");
    int first = 1;
    uint64_t pending = 0;
    for (size_t i = 0; i < g->nnote; i++) {
        const struct evm_note *n = &g->note[i];
        if (!n->withdrawn) {
            pending++;
            continue;
        }
        evm_out_str(&o, first ? "\n" : ",\n");
        first = 0;
        evm_out_str(&o, "{\"pool\":\"");
        evm_out_str(&o, g->acct[n->pool].hex);
        evm_out_str(&o, "\",\"denomination\":");
        json_amt(&o, DENOM[n->denom]);
        evm_out_str(&o, ",\"deposit_tx\":");
        json_hex32(&o, n->dep_tx);
        evm_out_str(&o, ",\"deposit_block\":");
        evm_out_u64(&o, n->dep_block);
        evm_out_str(&o, ",\"depositor\":\"");
        evm_out_str(&o, g->acct[n->depositor].hex);
        evm_out_str(&o, "\",\"withdrawal_tx\":");
        json_hex32(&o, n->wd_tx);
        evm_out_str(&o, ",\"withdrawal_block\":");
        evm_out_u64(&o, n->wd_block);
        evm_out_str(&o, ",\"recipient\":\"");
        evm_out_str(&o, g->acct[n->recipient].hex);
        evm_out_str(&o, "\",\"relayer\":");
        if (n->relayer) {
            evm_out_ch(&o, '"');
            evm_out_str(&o, g->acct[n->relayer].hex);
            evm_out_ch(&o, '"');
        } else
            evm_out_str(&o, "null");
        evm_out_str(&o, ",\"owner\":\"");
        evm_out_str(&o, g->ent[g->acct[n->depositor].entity].name);
        evm_out_str(&o, "\",\"habit\":\"");
        evm_out_str(&o, HABIT[n->habit]);
        evm_out_str(&o, "\",\"caught_by\":");
        if (*HEUR[n->habit]) {
            evm_out_str(&o, "[\"");
            evm_out_str(&o, HEUR[n->habit]);
            evm_out_str(&o, "\"]");
        } else
            evm_out_str(&o, "[]");
        evm_out_ch(&o, '}');
    }
    evm_out_str(&o, "\n],\"deposits_not_withdrawn\":");
    evm_out_u64(&o, pending);
    evm_out_str(&o, "}\n");
    if (fwrite(o.buf, 1, o.n, o.f) != o.n || fclose(o.f))
        return cs_error(CS_EIO, "%s: write failed", p);
    free(o.buf);
    return 0;
}

static void write_flows_tail(struct evm_gen *g)
{
    struct econ *e = EC(g);
    struct evm_out *o = &g->o_flows;
    if (!g->bybit) {
        evm_out_str(o, "{\"scenario\":\"none\"}\n");
        return;
    }
    if (!g->heist_on) BUG("the heist never started (chain too short)");
    evm_out_str(o, "\n],\n\"chain\":\"eth\",\"scenario\":\"bybit\",\"victim\":\"");
    evm_out_str(o, g->ent[e->xent[X_N]].name);
    evm_out_str(o, "\",\"cold_wallet\":\"");
    evm_out_str(o, g->acct[e->cold].hex);
    evm_out_str(o, "\",\"exploiter\":\"");
    evm_out_str(o, g->acct[e->exploiter].hex);
    evm_out_str(o, "\",\"attacker\":\"");
    evm_out_str(o, g->ent[e->attacker_ent].name);
    evm_out_str(o, "\",\"drain_block\":");
    evm_out_u64(o, g->heist_block);
    evm_out_str(o, ",\"edges_count\":");
    evm_out_u64(o, g->heist_edges);
    evm_out_str(o, ",\"attacker_txs\":");
    evm_out_u64(o, g->heist_txs);
    evm_out_str(o, ",\n\"wallets\":[");
    for (int i = 0; i < 50; i++) {
        evm_out_str(o, i ? ",\n" : "\n");
        evm_out_str(o, "{\"address\":\"");
        evm_out_str(o, g->acct[e->hw[i].acct].hex);
        evm_out_str(o, "\",\"fate\":\"");
        evm_out_str(o, FATE[e->hw[i].fate]);
        evm_out_str(o, "\"}");
    }
    /* the poison truth: every sink reached, the whole balance of every
     * tainted holder at the tip, every fee a tainted holder paid */
    evm_out_str(o, "],\n\"poison\":{\"sinks\":[");
    int first = 1;
    for (uint32_t en = 0; en < g->nent; en++)
        for (int a = 0; a < EA_N; a++) {
            u128 v = g->sink_by_ent[(size_t)en * EA_N + (size_t)a];
            if (!v) continue;
            evm_out_str(o, first ? "\n" : ",\n");
            first = 0;
            evm_out_str(o, "{\"entity\":\"");
            evm_out_str(o, g->ent[en].name);
            evm_out_str(o, "\",\"category\":\"");
            evm_out_str(o, g->ent[en].sink == SINK_EXCHANGE ? "exchange"
                           : g->ent[en].sink == SINK_MIXER  ? "mixer"
                                                            : "bridge");
            evm_out_str(o, "\",");
            json_asset(g, o, a);
            evm_out_str(o, ",\"amount\":");
            json_amt(o, v);
            evm_out_ch(o, '}');
        }
    evm_out_str(o, "],\n\"frontier\":[");
    first = 1;
    for (uint32_t i = 1; i < g->nacct; i++) {
        if (g->acct[i].tainted != 1) continue;
        for (int a = 0; a < EA_N; a++) {
            if (!g->acct[i].bal[a]) continue;
            evm_out_str(o, first ? "\n" : ",\n");
            first = 0;
            evm_out_str(o, "{\"address\":\"");
            evm_out_str(o, g->acct[i].hex);
            evm_out_str(o, "\",");
            json_asset(g, o, a);
            evm_out_str(o, ",\"amount\":");
            json_amt(o, g->acct[i].bal[a]);
            evm_out_ch(o, '}');
        }
    }
    evm_out_str(o, "],\n\"fees\":[{\"asset\":\"ETH\",\"amount\":");
    json_amt(o, g->poison_fees);
    evm_out_str(o, "}]}}\n");
}

static int write_tokens(struct evm_gen *g)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/tokens.csv", g->out);
    FILE *f = fopen(p, "w");
    if (!f) return cs_error(CS_EIO, "%s: cannot create", p);
    fprintf(f, "address,symbol,name,decimals,total_supply,block_number\n");
    for (int a = 1; a < EA_N; a++) {
        char s[40];
        evm_u128_dec(s, g->supply[a]);
        fprintf(f, "%s,%s,%s,%u,%s,%llu\n", g->acct[g->tok[a]].hex, g->tok_symbol[a],
                g->tok_name[a], g->tok_decimals[a], s, (unsigned long long)(g->block - 1));
    }
    return fclose(f) ? cs_error(CS_EIO, "%s: write failed", p) : 0;
}

static int write_chain(struct evm_gen *g)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/truth/chain.json", g->out);
    FILE *f = fopen(p, "w");
    if (!f) return cs_error(CS_EIO, "%s: cannot create", p);
    uint64_t nlinks = 0;
    for (size_t i = 0; i < g->nnote; i++)
        nlinks += g->note[i].withdrawn;
    char tip[67];
    static const char H[] = "0123456789abcdef";
    tip[0] = '0';
    tip[1] = 'x';
    for (int i = 0; i < 32; i++) {
        tip[2 + 2 * i] = H[g->parent_hash[i] >> 4];
        tip[3 + 2 * i] = H[g->parent_hash[i] & 15];
    }
    tip[66] = 0;
    fprintf(f,
            "{\"chain\":\"eth\",\"seed\":%llu,\"scenario\":\"%s\",\"first_block\":%llu,"
            "\"last_block\":%llu,\"blocks\":%llu,\"tip\":\"%s\",\"txs\":%llu,\"accounts\":%u,"
            "\"entities\":%u,\"tornado_links\":%llu}\n",
            (unsigned long long)g->seed, g->bybit ? "bybit" : "none",
            (unsigned long long)g->first_block, (unsigned long long)(g->block - 1),
            (unsigned long long)(g->block - g->first_block), tip, (unsigned long long)g->txs,
            g->nacct - 1, g->nent - 1, (unsigned long long)nlinks);
    return fclose(f) ? cs_error(CS_EIO, "%s: write failed", p) : 0;
}

/* ---- the run ---- */

static void run_event(struct evm_gen *g, const struct evm_event *ev)
{
    switch (ev->type) {
    case EV_SWEEP:
        ev_sweep(g, ev->a, (int)ev->b);
        break;
    case EV_TC_WITHDRAW:
        ev_tc_withdraw(g, ev->a);
        break;
    case EV_TC_CLAIM:
        ev_tc_claim(g, ev->a);
        break;
    case EV_POISON:
        ev_poison(g, ev->a, ev->b, (int)ev->c, ev->amt);
        break;
    case EV_POISON_FALL:
        ev_poison_fall(g, ev->a, ev->b, (int)ev->c, ev->amt);
        break;
    case EV_SELFAUTH:
        ev_selfauth(g, ev->a, ev->b, ev->amt);
        break;
    case EV_AIRDROP:
        ev_airdrop(g, ev->a);
        break;
    case EV_AIR_FORWARD:
        ev_air_forward(g, ev->a, ev->b, ev->amt);
        break;
    case EV_HEIST:
        if (ev->a >= 100 && ev->a < 150)
            ev_heist_split(g, ev->a - 100, ev->amt);
        else
            ev_heist(g, ev->a);
        break;
    case EV_HEIST_STEP:
        ev_heist_step(g, ev->a, ev->b);
        break;
    default:
        BUG("event type %d", ev->type);
    }
}

static void random_action(struct evm_gen *g)
{
    uint64_t r = cs_gen_below(&g->rng, 1000);
    if (r < 260)
        act_eth_pay(g);
    else if (r < 370)
        act_token_pay(g, 0);
    else if (r < 460)
        act_deposit(g, 0);
    else if (r < 500)
        act_deposit(g, 1);
    else if (r < 600)
        act_withdraw(g);
    else if (r < 630)
        act_wrap(g, 0);
    else if (r < 655)
        act_wrap(g, 1);
    else if (r < 680)
        act_stake(g);
    else if (r < 780)
        act_swap(g);
    else if (r < 805)
        act_tornado(g);
    else if (r < 825)
        act_router_in(g);
    else if (r < 840)
        act_router_out(g);
    else if (r < 860)
        act_bridge(g, 0);
    else if (r < 875)
        act_bridge(g, 1);
    else if (r < 890)
        act_approve(g);
    else if (r < 900)
        act_token_pay(g, 1);
    else if (r < 910)
        act_batch_payout(g);
    else
        act_eth_pay(g);
}

int cs_gen_evm_run(const struct cs_gen_opts *o, int bybit)
{
    struct evm_gen G, *g = &G;
    struct econ E_;
    memset(g, 0, sizeof *g);
    memset(&E_, 0, sizeof E_);
    g->econ = &E_;
    g->seed = o->seed;
    g->target_txs = o->txs;
    g->bybit = bybit;
    g->quiet = o->quiet;
    g->out = o->out;
    cs_gen_rng_seed(&g->rng, o->seed ^ 0x65766d67656eull);
    init_topics(g);
    int rc = evm_files_open(g);
    if (rc) return rc;
    struct econ *e = EC(g);
    g->first_block = g->block = 21000000;
    g->timestamp = 1735689611; /* 2025-01-01 */
    g->base_fee = 12 * GWEI;
    uint64_t nblocks = o->txs / 120 > 12000 ? o->txs / 120 : 12000;
    g->nblocks = nblocks;
    setup_entities(g);
    /* users: N/40 of them, 1-3 EOAs each */
    uint64_t nu = o->txs / 40;
    nu = nu < 300 ? 300 : nu > 60000 ? 60000 : nu;
    for (uint64_t i = 0; i < nu; i++) {
        uint32_t u = new_user(g);
        uint64_t r = cs_gen_below(&g->rng, 10);
        int k = r < 6 ? 1 : r < 9 ? 2 : 3;
        for (int j = 0; j < k; j++)
            user_add_eoa(g, u);
    }
    /* the airdrop needs 1,000 recipients or more */
    uint32_t nsyb = e->sybil_n[0] + e->sybil_n[1] + e->sybil_n[2];
    while (e->neoa + nsyb < 1100)
        user_add_eoa(g, new_user(g));
    evm_block_open(g);
    setup_withdrawals(g);
    evm_block_close(g);
    evm_block_open(g);
    setup_contracts(g);
    setup_funds(g);
    evm_block_close(g);
    uint64_t last = g->first_block + nblocks - 1;
    e->air_block = g->first_block + nblocks / 5;
    ev_push(g, e->air_block, EV_AIRDROP, 0, 0, 0, 0);
    /* the sybil farms fund their EOAs' gas before the airdrop */
    for (int f = 0; f < 3; f++)
        for (uint32_t k = 0; k < e->sybil_n[f]; k++)
            ev_push(g, e->air_block - 200 + cs_gen_below(&g->rng, 150), EV_GAS, e->farmer[f],
                    e->sybil_first[f] + k, 0, 0);
    if (bybit) {
        e->h0 = g->first_block + nblocks * 35 / 100;
        ev_push(g, e->h0 - 20, EV_HEIST, 0, 0, 0, 0);
    }
    int funded = 0;
    while (g->block <= last) {
        evm_block_open(g);
        if (bybit && !funded && g->block >= e->h0 - 2600) { /* the exploiter's gas, via the mixer */
            funded = 1;
            uint32_t fnd = e->attacker_funder;
            fund(g, fnd, EA_ETH, E(3));
            for (int i = 0; i < 2; i++) {
                struct evm_note *n = note_new(g);
                tc_deposit_tx(g, fnd, 1, 0, n);
                n->habit = H_ATTACKER;
                n->recipient = e->exploiter;
                n->relayer = e->relayer[i];
                n->wd_block = e->h0 - 400 + 100 * (uint64_t)i;
                ev_push(g, n->wd_block, EV_TC_WITHDRAW, (uint32_t)(n - g->note), 0, 0, 0);
            }
        }
        struct evm_event ev;
        while (!block_full(g) && ev_pop(g, g->block, &ev)) {
            if (ev.type == EV_GAS) { /* a sybil's gas */
                evm_tx_init(g, &TX, ev.a, ev.b, MILLI(8), 21000, 1);
                evm_tx_commit(g, &TX);
            } else
                run_event(g, &ev);
        }
        uint64_t left_blocks = last - g->block + 1;
        uint64_t left = g->txs < o->txs ? o->txs - g->txs : 0;
        uint64_t quota = left / left_blocks;
        if (left % left_blocks > cs_gen_below(&g->rng, left_blocks)) quota++;
        if (g->block == last) quota = left;
        uint64_t t0 = g->block_txs;
        while (g->block_txs - t0 < quota && !block_full(g))
            random_action(g);
        /* consensus-layer withdrawals: a few small skims per block */
        uint64_t nw = cs_gen_below(&g->rng, 4);
        for (uint64_t i = 0; i < nw; i++)
            evm_withdrawal(g, e->eoa[cs_gen_below(&g->rng, e->neoa)],
                           cs_gen_range(&g->rng, 10000000, 60000000));
        evm_block_close(g);
        if (!g->quiet && (g->block - g->first_block) % 2000 == 0)
            fprintf(stderr, "chainsleuth-gen: block %llu, %llu txs\n", (unsigned long long)g->block,
                    (unsigned long long)g->txs);
    }
    write_flows_tail(g);
    rc = evm_truth_finish(g);
    if (!rc) rc = write_tokens(g);
    if (!rc) rc = write_links(g);
    if (!rc) rc = write_chain(g);
    int rc2 = evm_files_close(g);
    if (!rc) rc = rc2;
    if (!rc && !g->quiet)
        fprintf(stderr,
                "chainsleuth-gen: %llu blocks, %llu txs, %u accounts, %zu Tornado notes, %zu "
                "events left\n",
                (unsigned long long)(g->block - g->first_block), (unsigned long long)g->txs,
                g->nacct - 1, g->nnote, g->nev);
    free(g->acct);
    free(g->ent);
    free(g->sink_by_ent);
    free(g->ev);
    free(g->note);
    free(g->wd_buf);
    free(e->user_ent);
    free(e->user_eoa);
    free(e->user_neoa);
    free(e->eoa);
    free(e->eoa_user);
    free(e->dep);
    return rc;
}
