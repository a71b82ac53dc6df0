/* evm_chain.c — the chain layer of the EVM generator: accounts, balances,
 * transactions and blocks, and the ethereum-etl CSV rows they become.
 *
 * evm_tx_commit() is the one place value moves: it books a transaction in
 * the ingest's order (top-level value unless failed, then the inner frames
 * that did not revert, then the token logs by log index, then the fee:
 * gasUsed x effectiveGasPrice from `from`, the base fee burned, the tip to
 * the block's fee recipient) and BUG()s on a negative balance.  The same
 * pass runs the poison propagation of the heist truth (evm_gen.h), writes
 * the heist-flows edges and feeds evm_truth.c (heist.json), which sees each
 * movement before the balances change.  Rows are written as they are committed, so memory
 * stays at the account table whatever the number of transactions. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "evm_gen.h"
#include "util/error.h"
#include "util/keccak.h"
#include "util/u256.h"

/* ---- output buffers ---- */

#define OUT_CAP (1u << 20)

static void out_flush(struct evm_out *o)
{
    if (o->n && fwrite(o->buf, 1, o->n, o->f) != o->n) BUG("write failed: %s", strerror(errno));
    o->n = 0;
}

static inline void out_need(struct evm_out *o, size_t k)
{
    if (o->n + k > o->cap) out_flush(o);
}

void evm_out_ch(struct evm_out *o, char c)
{
    out_need(o, 1);
    o->buf[o->n++] = c;
}

void evm_out_str(struct evm_out *o, const char *s)
{
    size_t k = strlen(s);
    if (k > o->cap) BUG("string longer than the buffer");
    out_need(o, k);
    memcpy(o->buf + o->n, s, k);
    o->n += k;
}

void evm_out_u64(struct evm_out *o, uint64_t v)
{
    char t[24];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    out_need(o, (size_t)n);
    while (n)
        o->buf[o->n++] = t[--n];
}

size_t evm_u128_dec(char out[40], u128 v)
{
    char t[40];
    int n = 0;
    do {
        t[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    size_t k = 0;
    while (n)
        out[k++] = t[--n];
    out[k] = 0;
    return k;
}

void evm_out_u128(struct evm_out *o, u128 v)
{
    char t[40];
    size_t k = evm_u128_dec(t, v);
    out_need(o, k);
    memcpy(o->buf + o->n, t, k);
    o->n += k;
}

void evm_out_hex(struct evm_out *o, const uint8_t *p, size_t n)
{
    static const char H[] = "0123456789abcdef";
    if (2 * n + 2 > o->cap) BUG("hex longer than the buffer");
    out_need(o, 2 * n + 2);
    char *d = o->buf + o->n;
    *d++ = '0';
    *d++ = 'x';
    for (size_t i = 0; i < n; i++) {
        *d++ = H[p[i] >> 4];
        *d++ = H[p[i] & 15];
    }
    o->n += 2 * n + 2;
}

static void out_addr(struct evm_out *o, const struct evm_gen *g, uint32_t a)
{
    out_need(o, 42);
    memcpy(o->buf + o->n, g->acct[a].hex, 42);
    o->n += 42;
}

static int out_open(struct evm_out *o, const char *dir, const char *name, const char *header)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    o->f = fopen(p, "w");
    if (!o->f) return cs_error(CS_EIO, "%s: %s", p, strerror(errno));
    o->buf = cs_xmalloc(OUT_CAP);
    o->cap = OUT_CAP;
    o->n = 0;
    if (header) evm_out_str(o, header);
    return 0;
}

static int out_close(struct evm_out *o)
{
    if (!o->f) return 0;
    out_flush(o);
    int rc = fclose(o->f) ? cs_error(CS_EIO, "close: %s", strerror(errno)) : 0;
    free(o->buf);
    memset(o, 0, sizeof *o);
    return rc;
}

int evm_files_open(struct evm_gen *g)
{
    char truth[4200];
    if (mkdir(g->out, 0755) && errno != EEXIST)
        return cs_error(CS_EIO, "%s: %s", g->out, strerror(errno));
    snprintf(truth, sizeof truth, "%s/truth", g->out);
    if (mkdir(truth, 0755) && errno != EEXIST)
        return cs_error(CS_EIO, "%s: %s", truth, strerror(errno));
    int rc = 0;
    rc = rc ? rc
            : out_open(&g->o_blocks, g->out, "blocks.csv",
                       "number,hash,parent_hash,nonce,sha3_uncles,miner,difficulty,extra_data,"
                       "gas_limit,gas_used,timestamp,transaction_count,base_fee_per_gas,"
                       "withdrawals\n");
    rc = rc ? rc
            : out_open(&g->o_txs, g->out, "transactions.csv",
                       "hash,nonce,block_hash,block_number,transaction_index,from_address,"
                       "to_address,value,gas,gas_price,input,block_timestamp,max_fee_per_gas,"
                       "max_priority_fee_per_gas,transaction_type\n");
    rc = rc ? rc
            : out_open(&g->o_rcpt, g->out, "receipts.csv",
                       "transaction_hash,transaction_index,block_hash,block_number,"
                       "cumulative_gas_used,gas_used,contract_address,root,status,"
                       "effective_gas_price\n");
    rc = rc ? rc
            : out_open(&g->o_logs, g->out, "logs.csv",
                       "log_index,transaction_hash,transaction_index,block_hash,block_number,"
                       "address,data,topics\n");
    rc = rc ? rc
            : out_open(&g->o_tt, g->out, "token_transfers.csv",
                       "token_address,from_address,to_address,value,transaction_hash,log_index,"
                       "block_number\n");
    rc = rc ? rc
            : out_open(&g->o_traces, g->out, "traces.csv",
                       "block_number,transaction_hash,transaction_index,from_address,to_address,"
                       "value,input,output,trace_type,call_type,reward_type,gas,gas_used,"
                       "subtraces,trace_address,error,status,trace_id\n");
    rc = rc ? rc
            : out_open(&g->o_contracts, g->out, "contracts.csv",
                       "address,bytecode,function_sighashes,is_erc20,is_erc721,block_number\n");
    rc = rc ? rc
            : out_open(&g->o_owners, truth, "owners.csv",
                       "address,entity,entity_kind,role,customer\n");
    rc = rc ? rc
            : out_open(&g->o_tags, truth, "tags.csv",
                       "address,label,category,source,confidence,chain\n");
    rc = rc ? rc : out_open(&g->o_flows, truth, "heist-flows.json", NULL);
    return rc;
}

int evm_files_close(struct evm_gen *g)
{
    struct evm_out *all[] = {&g->o_blocks, &g->o_txs,       &g->o_rcpt,   &g->o_logs, &g->o_tt,
                             &g->o_traces, &g->o_contracts, &g->o_owners, &g->o_tags, &g->o_flows};
    int rc = 0;
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        int r = out_close(all[i]);
        if (!rc) rc = r;
    }
    return rc;
}

/* ---- entities and accounts ---- */

uint32_t evm_entity_new(struct evm_gen *g, const char *kind, uint8_t sink, const char *fmt, ...)
{
    if (g->nent == g->capent) {
        g->capent = g->capent ? 2 * g->capent : 1024;
        g->ent = cs_xrealloc(g->ent, g->capent * sizeof *g->ent);
        g->sink_by_ent = cs_xrealloc(g->sink_by_ent, (size_t)g->capent * EA_N * sizeof(u128));
        memset(g->sink_by_ent + (size_t)g->nent * EA_N, 0,
               (size_t)(g->capent - g->nent) * EA_N * sizeof(u128));
    }
    struct evm_entity *e = &g->ent[g->nent];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->name, sizeof e->name, fmt, ap);
    va_end(ap);
    e->kind = kind;
    e->sink = sink;
    return g->nent++;
}

static const char *const ROLE[R_N] = {[R_EOA] = "eoa",
                                      [R_HOT] = "hot_wallet",
                                      [R_DEPOSIT] = "deposit",
                                      [R_COLD] = "cold_wallet",
                                      [R_CONTRACT] = "contract",
                                      [R_TOKEN] = "token",
                                      [R_POOL] = "dex_pool",
                                      [R_MIXER] = "mixer_pool",
                                      [R_ROUTER] = "router",
                                      [R_VAULT] = "vault",
                                      [R_BRIDGE] = "bridge",
                                      [R_RELAYER] = "relayer",
                                      [R_LOOKALIKE] = "lookalike",
                                      [R_HEIST] = "heist_wallet",
                                      [R_EXPLOITER] = "exploiter",
                                      [R_VALIDATOR] = "fee_recipient"};

uint32_t evm_acct_new(struct evm_gen *g, uint32_t entity, int role, const uint8_t *addr)
{
    if (g->nacct == g->capacct) {
        g->capacct = g->capacct ? 2 * g->capacct : 4096;
        g->acct = cs_xrealloc(g->acct, g->capacct * sizeof *g->acct);
    }
    uint32_t id = g->nacct++;
    struct evm_acct *a = &g->acct[id];
    memset(a, 0, sizeof *a);
    if (addr)
        memcpy(a->addr, addr, 20);
    else if (id)
        for (int i = 0; i < 20; i += 8) {
            uint64_t r = cs_gen_rng_next(&g->rng);
            memcpy(a->addr + i, &r, i + 8 <= 20 ? 8 : 4);
        }
    static const char H[] = "0123456789abcdef";
    a->hex[0] = '0';
    a->hex[1] = 'x';
    for (int i = 0; i < 20; i++) {
        a->hex[2 + 2 * i] = H[a->addr[i] >> 4];
        a->hex[3 + 2 * i] = H[a->addr[i] & 15];
    }
    a->hex[42] = 0;
    a->entity = entity;
    a->role = (uint8_t)role;
    a->sink = g->ent[entity].sink;
    a->is_contract = role == R_CONTRACT || role == R_TOKEN || role == R_POOL || role == R_MIXER ||
                     role == R_ROUTER || role == R_BRIDGE || role == R_COLD;
    if (id) {
        out_addr(&g->o_owners, g, id);
        evm_out_ch(&g->o_owners, ',');
        evm_out_str(&g->o_owners, g->ent[entity].name);
        evm_out_ch(&g->o_owners, ',');
        evm_out_str(&g->o_owners, g->ent[entity].kind);
        evm_out_ch(&g->o_owners, ',');
        evm_out_str(&g->o_owners, ROLE[role]);
        evm_out_ch(&g->o_owners, ',');
        if (g->new_customer) evm_out_str(&g->o_owners, g->ent[g->new_customer].name);
        evm_out_ch(&g->o_owners, '\n');
        a->customer = g->new_customer;
        g->new_customer = 0;
    }
    return id;
}

/* CREATE: keccak(rlp([sender, nonce]))[12:] */
void evm_create_addr(const uint8_t sender[20], uint64_t nonce, uint8_t out[20])
{
    uint8_t r[40], nb[8];
    size_t k = 0, nn = 0;
    for (int i = 7; i >= 0; i--) {
        uint8_t b = (uint8_t)(nonce >> (8 * i));
        if (b || nn) nb[nn++] = b;
    }
    size_t nlen = nonce == 0 ? 1 : (nonce < 0x80 ? 1 : 1 + nn);
    r[k++] = (uint8_t)(0xc0 + 21 + nlen);
    r[k++] = 0x94;
    memcpy(r + k, sender, 20);
    k += 20;
    if (nonce == 0)
        r[k++] = 0x80;
    else if (nonce < 0x80)
        r[k++] = (uint8_t)nonce;
    else {
        r[k++] = (uint8_t)(0x80 + nn);
        memcpy(r + k, nb, nn);
        k += nn;
    }
    uint8_t h[32];
    cs_keccak256(r, k, h);
    memcpy(out, h + 12, 20);
}

/* ---- building a transaction ---- */

void evm_tx_init(struct evm_gen *g, struct evm_tx *t, uint32_t from, uint32_t to, u128 value,
                 uint64_t gas_used, int legacy)
{
    t->from = from;
    t->to = to;
    t->create = 0;
    t->created = 0;
    t->value = value;
    t->gas_used = gas_used;
    t->failed = 0;
    t->ilen = 0;
    t->nfr = t->nlg = 0;
    t->swap_pool = 0;
    t->label = NULL;
    t->seed = 0;
    uint64_t tip = GWEI / 100 * cs_gen_range(&g->rng, 1, 200); /* 0.01 .. 2 gwei */
    t->price = g->base_fee + tip;
    if (legacy) {
        t->type = 0;
        t->max_fee = t->prio = 0;
    } else {
        t->type = 2;
        t->prio = tip;
        t->max_fee = 2 * g->base_fee + tip;
    }
    /* plain transfers set the limit to the cost exactly, calls leave room */
    t->gas_limit = gas_used == 21000 ? 21000 : gas_used + gas_used / 4 + 1000;
}

void evm_tx_sel(struct evm_tx *t, const uint8_t sel[4])
{
    memcpy(t->input, sel, 4);
    t->ilen = 4;
}

void evm_tx_word_bytes(struct evm_tx *t, const uint8_t w[32])
{
    if (t->ilen + 32 > EVM_INPUT_MAX) BUG("tx input too long");
    memcpy(t->input + t->ilen, w, 32);
    t->ilen += 32;
}

void evm_tx_word_addr(struct evm_tx *t, uint32_t acct, const struct evm_gen *g)
{
    uint8_t w[32] = {0};
    memcpy(w + 12, g->acct[acct].addr, 20);
    evm_tx_word_bytes(t, w);
}

static void u128_word(uint8_t w[32], u128 v)
{
    memset(w, 0, 32);
    for (int i = 31; i >= 16; i--, v >>= 8)
        w[i] = (uint8_t)v;
}

void evm_tx_word_u128(struct evm_tx *t, u128 v)
{
    uint8_t w[32];
    u128_word(w, v);
    evm_tx_word_bytes(t, w);
}

void evm_tx_bytes(struct evm_tx *t, const uint8_t *p, size_t n)
{
    size_t pad = (n + 31) / 32 * 32;
    if (t->ilen + pad > EVM_INPUT_MAX) BUG("tx input too long");
    memcpy(t->input + t->ilen, p, n);
    memset(t->input + t->ilen + n, 0, pad - n);
    t->ilen += pad;
}

struct evm_frame *evm_tx_frame(struct evm_tx *t, uint32_t from, uint32_t to, u128 value,
                               const char *call_type)
{
    if (t->nfr == EVM_MAX_FRAMES) BUG("too many frames");
    struct evm_frame *f = &t->fr[t->nfr];
    f->from = from;
    f->to = to;
    f->value = value;
    f->trace_type = "call";
    f->call_type = call_type;
    snprintf(f->path, sizeof f->path, "%d", t->nfr);
    f->reverted = 0;
    t->nfr++;
    return f;
}

struct evm_log *evm_tx_log(struct evm_tx *t, uint32_t addr, const uint8_t topic0[32])
{
    if (t->nlg == EVM_MAX_LOGS) BUG("too many logs");
    struct evm_log *l = &t->lg[t->nlg++];
    l->addr = addr;
    l->ntopics = 1;
    memcpy(l->topic[0], topic0, 32);
    l->dlen = 0;
    l->asset = -1;
    l->kind = 0;
    l->from = l->to = 0;
    l->value = 0;
    return l;
}

void evm_log_topic_addr(struct evm_log *l, const struct evm_gen *g, uint32_t acct)
{
    memset(l->topic[l->ntopics], 0, 32);
    memcpy(l->topic[l->ntopics] + 12, g->acct[acct].addr, 20);
    l->ntopics++;
}

void evm_log_topic_word(struct evm_log *l, const uint8_t w[32])
{
    memcpy(l->topic[l->ntopics++], w, 32);
}

void evm_log_data_word(struct evm_log *l, const uint8_t w[32])
{
    if (l->dlen + 32 > EVM_LOG_DATA) BUG("log data too long");
    memcpy(l->data + l->dlen, w, 32);
    l->dlen = (uint16_t)(l->dlen + 32);
}

void evm_log_data_u128(struct evm_log *l, u128 v)
{
    uint8_t w[32];
    u128_word(w, v);
    evm_log_data_word(l, w);
}

void evm_log_data_addr(struct evm_log *l, const struct evm_gen *g, uint32_t acct)
{
    uint8_t w[32] = {0};
    memcpy(w + 12, g->acct[acct].addr, 20);
    evm_log_data_word(l, w);
}

struct evm_log *evm_tx_transfer(struct evm_gen *g, struct evm_tx *t, int asset, uint32_t from,
                                uint32_t to, u128 value)
{
    struct evm_log *l = evm_tx_log(t, g->tok[asset], g->T_TRANSFER);
    evm_log_topic_addr(l, g, from);
    evm_log_topic_addr(l, g, to);
    evm_log_data_u128(l, value);
    l->asset = asset;
    l->kind = 1;
    l->from = from;
    l->to = to;
    l->value = value;
    return l;
}

u128 evm_tx_cost(const struct evm_tx *t)
{
    return t->value + (u128)t->gas_limit * (t->type == 2 ? t->max_fee : t->price);
}

u128 evm_swap_out(u128 in, u128 rin, u128 rout)
{
    /* out = in*997*rout / (rin*1000 + in*997), exact in 512 bits */
    struct cs_u256 a, b, c, q, k997 = cs_u256_from_u64(997), k1000 = cs_u256_from_u64(1000);
    struct cs_u256 vin = {{(uint64_t)in, (uint64_t)(in >> 64), 0, 0}};
    struct cs_u256 vri = {{(uint64_t)rin, (uint64_t)(rin >> 64), 0, 0}};
    struct cs_u256 vro = {{(uint64_t)rout, (uint64_t)(rout >> 64), 0, 0}};
    struct cs_u256 x, y;
    if (cs_u256_mul(&a, &vin, &k997) || cs_u256_mul(&x, &vri, &k1000) || cs_u256_add(&c, &x, &a))
        BUG("swap arithmetic");
    b = vro;
    if (cs_u256_muldiv(&q, &a, &b, &c)) BUG("swap arithmetic");
    (void)y;
    return (u128)q.w[0] | ((u128)q.w[1] << 64);
}

/* ---- the ledger ---- */

static void flow_amount(struct evm_out *o, u128 v)
{
    evm_out_ch(o, '"');
    evm_out_u128(o, v);
    evm_out_ch(o, '"');
}

static const char *const ASSET_KEY[EA_N] = {"ETH",  "WETH", "stETH", "mETH",  "cmETH",
                                            "USDC", "USDT", "AIR",   "fUSDT", "fUSDC"};

void evm_flow_edge(struct evm_gen *g, const struct evm_tx *t, const char *kind, uint32_t from,
                   uint32_t to, int asset, u128 amount)
{
    struct evm_out *o = &g->o_flows;
    evm_out_str(o, g->flows_first ? "\n" : ",\n");
    g->flows_first = 0;
    evm_out_str(o, "{\"tx\":\"");
    if (t) {
        static const char H[] = "0123456789abcdef";
        char h[67];
        h[0] = '0';
        h[1] = 'x';
        for (int i = 0; i < 32; i++) {
            h[2 + 2 * i] = H[t->hash[i] >> 4];
            h[3 + 2 * i] = H[t->hash[i] & 15];
        }
        h[66] = 0;
        evm_out_str(o, h);
    }
    evm_out_str(o, "\",\"block\":");
    evm_out_u64(o, g->block);
    evm_out_str(o, ",\"kind\":\"");
    evm_out_str(o, kind);
    evm_out_str(o, "\",\"from\":\"");
    if (from) out_addr(o, g, from);
    evm_out_str(o, "\",\"to\":\"");
    if (to) out_addr(o, g, to);
    evm_out_str(o, "\",\"asset\":\"");
    evm_out_str(o, asset == EA_ETH ? "ETH" : g->acct[g->tok[asset]].hex);
    evm_out_str(o, "\",\"symbol\":\"");
    evm_out_str(o, ASSET_KEY[asset]);
    evm_out_str(o, "\",\"amount\":");
    flow_amount(o, amount);
    if (to && g->acct[to].sink) {
        evm_out_str(o, ",\"sink\":\"");
        evm_out_str(o, g->ent[g->acct[to].entity].name);
        evm_out_ch(o, '"');
    }
    evm_out_ch(o, '}');
    g->heist_edges++;
}

/* Moves amount of asset; from/to 0 = mint/burn.  The heist bookkeeping:
 * once the heist has started, a holder is tainted (poison) when it receives
 * from a tainted holder outside a swap's pool legs; a tainted holder paying
 * a sink (exchange, mixer, bridge account) books the amount to that sink's
 * entity and stops there. */
static void move(struct evm_gen *g, const struct evm_tx *t, uint32_t from, uint32_t to, int asset,
                 u128 amount, int kind)
{
    if (g->truth) evm_truth_move(g, t, from, to, asset, amount, kind);
    if (!amount) return;
    if (from) {
        struct evm_acct *f = &g->acct[from];
        if (f->bal[asset] < amount)
            BUG("block %llu: %s would go negative in %s (has %llu.., pays %llu..)",
                (unsigned long long)g->block, f->hex, ASSET_KEY[asset],
                (unsigned long long)(f->bal[asset] >> 40), (unsigned long long)(amount >> 40));
        f->bal[asset] -= amount;
    } else if (asset != EA_ETH) {
        g->supply[asset] += amount;
    }
    if (to)
        g->acct[to].bal[asset] += amount;
    else if (asset != EA_ETH) {
        if (g->supply[asset] < amount) BUG("burn above supply");
        g->supply[asset] -= amount;
    }
    if (!g->heist_on) return;
    struct evm_acct *f = from ? &g->acct[from] : NULL, *d = to ? &g->acct[to] : NULL;
    if (f && f->tainted) {
        if (f->tainted == 2) { /* the victim's cold wallet: the drain */
            if (d && !d->tainted) d->tainted = 1;
            evm_flow_edge(g, t, "drain", from, to, asset, amount);
        } else if (t && t->swap_pool && to == t->swap_pool) {
            evm_flow_edge(g, t, "swap_sent", from, to, asset, amount);
        } else if (!d) {
            evm_flow_edge(g, t, "burn", from, 0, asset, amount);
        } else if (d->sink) {
            g->sink_by_ent[(size_t)d->entity * EA_N + (size_t)asset] += amount;
            evm_flow_edge(g, t, "sink", from, to, asset, amount);
        } else {
            if (!d->tainted) d->tainted = 1;
            evm_flow_edge(g, t, t && t->label ? t->label : "transfer", from, to, asset, amount);
        }
    } else if (d && d->tainted == 1) {
        evm_flow_edge(g, t,
                      t && t->swap_pool && from == t->swap_pool ? "swap_received" : "clean_in",
                      from, to, asset, amount);
    }
}

static void w_sep(struct evm_out *o)
{
    evm_out_ch(o, ',');
}

void evm_tx_commit(struct evm_gen *g, struct evm_tx *t)
{
    struct evm_acct *fa = &g->acct[t->from];
    if (t->from == 0 || fa->is_contract) BUG("a transaction from a contract or from nobody");
    if (t->price < g->base_fee) BUG("gas price below the base fee");
    if (t->type == 2 && t->price > t->max_fee) BUG("effective price above the max fee");
    if (fa->bal[EA_ETH] < evm_tx_cost(t)) BUG("%s cannot pay value + gas limit x max fee", fa->hex);
    uint8_t hin[24];
    memcpy(hin, "csgenevm", 8);
    memcpy(hin + 8, &g->seed, 8);
    memcpy(hin + 16, &g->txs, 8);
    cs_keccak256(hin, sizeof hin, t->hash);
    t->block = g->block;
    t->index = g->block_txs++;
    uint64_t nonce = fa->nonce++;
    g->txs++;
    g->block_gas += t->gas_used;
    g->cum_gas += t->gas_used;
    uint32_t dest = t->create ? t->created : t->to;
    /* the ledger, in the ingest's order */
    if (g->truth) evm_truth_tx_begin(g, t);
    if (!t->failed) {
        move(g, t, t->from, dest, EA_ETH, t->value, MV_VALUE);
        for (int i = 0; i < t->nfr; i++) {
            const struct evm_frame *f = &t->fr[i];
            int moves = !f->reverted &&
                        (!strcmp(f->trace_type, "create") || !strcmp(f->trace_type, "suicide") ||
                         !strcmp(f->call_type, "call"));
            if (moves)
                move(g, t, f->from, f->to, EA_ETH, f->value, MV_FRAME);
            else if (f->value && strcmp(f->call_type, "delegatecall") && !f->reverted)
                BUG("value on a frame that moves nothing");
        }
        for (int i = 0; i < t->nlg; i++) {
            const struct evm_log *l = &t->lg[i];
            if (l->kind == 1) move(g, t, l->from, l->to, l->asset, l->value, MV_LOG);
            if (l->kind == 2) move(g, t, 0, l->to, EA_WETH, l->value, MV_LOG);
            if (l->kind == 3) move(g, t, l->from, 0, EA_WETH, l->value, MV_LOG);
        }
    }
    u128 fee = (u128)t->gas_used * t->price, burn = (u128)t->gas_used * g->base_fee;
    if (g->heist_on && fa->tainted == 1) g->poison_fees += fee;
    {
        int on = g->heist_on;
        g->heist_on = 0; /* the fee is booked as a fee, not followed */
        move(g, t, t->from, g->miner, EA_ETH, fee - burn, MV_TIP);
        move(g, t, t->from, 0, EA_ETH, burn, MV_BURN);
        g->heist_on = on;
    }
    if (g->heist_on && fa->tainted == 1) {
        evm_flow_edge(g, t, "fee", t->from, 0, EA_ETH, fee);
        g->heist_txs++;
    }

    /* transactions.csv */
    struct evm_out *o = &g->o_txs;
    evm_out_hex(o, t->hash, 32);
    w_sep(o);
    evm_out_u64(o, nonce);
    w_sep(o);
    evm_out_hex(o, g->block_hash, 32);
    w_sep(o);
    evm_out_u64(o, g->block);
    w_sep(o);
    evm_out_u64(o, t->index);
    w_sep(o);
    out_addr(o, g, t->from);
    w_sep(o);
    if (!t->create) out_addr(o, g, t->to);
    w_sep(o);
    evm_out_u128(o, t->value);
    w_sep(o);
    evm_out_u64(o, t->gas_limit);
    w_sep(o);
    evm_out_u64(o, t->price);
    w_sep(o);
    evm_out_hex(o, t->input, t->ilen);
    w_sep(o);
    evm_out_u64(o, g->timestamp);
    w_sep(o);
    if (t->type == 2) evm_out_u64(o, t->max_fee);
    w_sep(o);
    if (t->type == 2) evm_out_u64(o, t->prio);
    w_sep(o);
    evm_out_u64(o, t->type);
    evm_out_ch(o, '\n');

    /* receipts.csv */
    o = &g->o_rcpt;
    evm_out_hex(o, t->hash, 32);
    w_sep(o);
    evm_out_u64(o, t->index);
    w_sep(o);
    evm_out_hex(o, g->block_hash, 32);
    w_sep(o);
    evm_out_u64(o, g->block);
    w_sep(o);
    evm_out_u64(o, g->block_gas);
    w_sep(o);
    evm_out_u64(o, t->gas_used);
    w_sep(o);
    if (t->create) out_addr(o, g, t->created);
    w_sep(o);
    w_sep(o); /* root: none after Byzantium */
    evm_out_ch(o, t->failed ? '0' : '1');
    w_sep(o);
    evm_out_u64(o, t->price);
    evm_out_ch(o, '\n');

    /* traces.csv: the top-level frame, then the inner ones */
    o = &g->o_traces;
    for (int i = -1; i < t->nfr; i++) {
        const struct evm_frame *f = i >= 0 ? &t->fr[i] : NULL;
        evm_out_u64(o, g->block);
        w_sep(o);
        evm_out_hex(o, t->hash, 32);
        w_sep(o);
        evm_out_u64(o, t->index);
        w_sep(o);
        out_addr(o, g, f ? f->from : t->from);
        w_sep(o);
        out_addr(o, g, f ? f->to : dest);
        w_sep(o);
        evm_out_u128(o, f ? f->value : t->value);
        w_sep(o);
        if (f)
            evm_out_str(o, "0x");
        else
            evm_out_hex(o, t->create ? (const uint8_t *)"" : t->input, t->create ? 0 : t->ilen);
        w_sep(o);
        evm_out_str(o, "0x");
        w_sep(o);
        const char *tt = f ? f->trace_type : (t->create ? "create" : "call");
        evm_out_str(o, tt);
        w_sep(o);
        if (!strcmp(tt, "call")) evm_out_str(o, f ? f->call_type : "call");
        w_sep(o);
        w_sep(o); /* reward_type */
        evm_out_u64(o, f ? t->gas_limit / 2 : t->gas_limit);
        w_sep(o);
        evm_out_u64(o, f ? t->gas_used / 4 : t->gas_used);
        w_sep(o);
        evm_out_u64(o, f ? 0 : (uint64_t)t->nfr);
        w_sep(o);
        if (f) {
            if (strchr(f->path, ',')) evm_out_ch(o, '"');
            evm_out_str(o, f->path);
            if (strchr(f->path, ',')) evm_out_ch(o, '"');
        }
        w_sep(o);
        int bad = t->failed || (f && f->reverted);
        if (bad) evm_out_str(o, "Reverted");
        w_sep(o);
        evm_out_ch(o, bad ? '0' : '1');
        w_sep(o);
        evm_out_str(o, tt);
        evm_out_ch(o, '_');
        evm_out_hex(o, t->hash, 32);
        evm_out_ch(o, '_');
        if (f)
            for (const char *p = f->path; *p; p++)
                evm_out_ch(o, *p == ',' ? '_' : *p);
        evm_out_ch(o, '\n');
    }

    /* logs.csv and token_transfers.csv (a failed tx has no logs) */
    for (int i = 0; !t->failed && i < t->nlg; i++) {
        const struct evm_log *l = &t->lg[i];
        uint64_t li = g->log_index++;
        o = &g->o_logs;
        evm_out_u64(o, li);
        w_sep(o);
        evm_out_hex(o, t->hash, 32);
        w_sep(o);
        evm_out_u64(o, t->index);
        w_sep(o);
        evm_out_hex(o, g->block_hash, 32);
        w_sep(o);
        evm_out_u64(o, g->block);
        w_sep(o);
        out_addr(o, g, l->addr);
        w_sep(o);
        evm_out_hex(o, l->data, l->dlen);
        w_sep(o);
        if (l->ntopics > 1) evm_out_ch(o, '"');
        for (int k = 0; k < l->ntopics; k++) {
            if (k) evm_out_ch(o, ',');
            evm_out_hex(o, l->topic[k], 32);
        }
        if (l->ntopics > 1) evm_out_ch(o, '"');
        evm_out_ch(o, '\n');
        if (l->kind == 1) {
            o = &g->o_tt;
            out_addr(o, g, l->addr);
            w_sep(o);
            out_addr(o, g, l->from);
            w_sep(o);
            out_addr(o, g, l->to);
            w_sep(o);
            evm_out_u128(o, l->value);
            w_sep(o);
            evm_out_hex(o, t->hash, 32);
            w_sep(o);
            evm_out_u64(o, li);
            w_sep(o);
            evm_out_u64(o, g->block);
            evm_out_ch(o, '\n');
        }
    }
    if (t->create) {
        o = &g->o_contracts;
        out_addr(o, g, t->created);
        evm_out_str(o, ",0x,,");
        evm_out_str(o, g->acct[t->created].role == R_TOKEN ? "true,false," : "false,false,");
        evm_out_u64(o, g->block);
        evm_out_ch(o, '\n');
    }
}

void evm_withdrawal(struct evm_gen *g, uint32_t to, uint64_t gwei)
{
    char tmp[200];
    int n =
        snprintf(tmp, sizeof tmp,
                 "%s{\"\"index\"\":%llu,\"\"validator_index\"\":%llu,\"\"address\"\":\"\"%s\"\","
                 "\"\"amount\"\":%llu}",
                 g->wd_len ? "," : "", (unsigned long long)g->wd_index,
                 (unsigned long long)(100000 + g->wd_index % 900000), g->acct[to].hex,
                 (unsigned long long)gwei);
    if (g->wd_len + (size_t)n + 1 > g->wd_cap) {
        g->wd_cap = (g->wd_cap + (size_t)n + 1) * 2;
        g->wd_buf = cs_xrealloc(g->wd_buf, g->wd_cap);
    }
    memcpy(g->wd_buf + g->wd_len, tmp, (size_t)n + 1);
    g->wd_len += (size_t)n;
    g->wd_index++;
    if (g->truth) evm_truth_move(g, NULL, 0, to, EA_ETH, (u128)gwei * GWEI, MV_WITHDRAWAL);
    g->acct[to].bal[EA_ETH] += (u128)gwei * GWEI;
}

void evm_block_open(struct evm_gen *g)
{
    uint8_t in[48];
    memcpy(in, "csgenblk", 8);
    memcpy(in + 8, &g->seed, 8);
    memcpy(in + 16, &g->block, 8);
    memcpy(in + 24, g->parent_hash, 24);
    cs_keccak256(in, sizeof in, g->block_hash);
    g->block_gas = 0;
    g->block_txs = 0;
    g->log_index = 0;
    g->wd_len = 0;
    g->miner = g->validators[cs_gen_below(&g->rng, 16)];
}

void evm_block_close(struct evm_gen *g)
{
    /* the header rows: the withdrawals were booked as they were added, after
     * every tx of the block, as the ingest books them */
    struct evm_out *o = &g->o_blocks;
    evm_out_u64(o, g->block);
    w_sep(o);
    evm_out_hex(o, g->block_hash, 32);
    w_sep(o);
    evm_out_hex(o, g->parent_hash, 32);
    evm_out_str(o, ",0x0000000000000000,0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd"
                   "40d49347,");
    out_addr(o, g, g->miner);
    evm_out_str(o, ",0,0x637367656e,30000000,");
    evm_out_u64(o, g->block_gas);
    w_sep(o);
    evm_out_u64(o, g->timestamp);
    w_sep(o);
    evm_out_u64(o, g->block_txs);
    w_sep(o);
    evm_out_u64(o, g->base_fee);
    w_sep(o);
    if (g->wd_len) {
        evm_out_ch(o, '"');
        if (g->wd_len > o->cap) BUG("withdrawals too long");
        out_need(o, g->wd_len);
        memcpy(o->buf + o->n, g->wd_buf, g->wd_len);
        o->n += g->wd_len;
        evm_out_ch(o, '"');
    }
    evm_out_ch(o, '\n');
    memcpy(g->parent_hash, g->block_hash, 32);
    /* EIP-1559 bounds a step at 1/8; a bounded random walk inside it */
    uint64_t step = g->base_fee / 8 * cs_gen_below(&g->rng, 1000) / 1000;
    if (cs_gen_chance(&g->rng, 0.5) && g->base_fee > 3 * GWEI)
        g->base_fee -= step;
    else if (g->base_fee < 60 * GWEI)
        g->base_fee += step;
    g->block++;
    g->timestamp += 12;
}
