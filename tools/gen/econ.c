/* econ.c — the synthetic economy of chainsleuth-gen: entities and their
 * wallets, addresses and owners.csv/tags.csv, the UTXO pool, transaction
 * emission, block assembly and the activity mix (payments, exchanges,
 * mixer, Whirlpool, Wasabi 2.0, merchants, miners, THORChain-style vault).
 *
 * Bounds: per transaction at most CS_GEN_MAXIN inputs and CS_GEN_MAXOUT
 * outputs; every array grows geometrically (no per-transaction malloc).
 * Determinism: see gen.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/hash.h"

#define COIN 100000000ULL
#define DUST 1000ULL
#define FUND_MIN 30000ULL
#define COINBASE_MATURITY 100
#define HALVING 150
#define BITS 0x207fffffu
#define PENDING (UINT32_MAX - 1)

static const char *kind_names[] = {"user",  "exchange", "mixer",  "coinjoin_coordinator",
                                   "miner", "merchant", "bridge", "attacker",
                                   "victim"};

const char *cs_gen_kind_name(int kind)
{
    return kind_names[kind];
}

/* per-emit scratch: input scripts and output scripts */
struct cs_gen_emitbuf {
    struct cs_gen_txin tin[CS_GEN_MAXIN];
    struct cs_gen_txout tout[CS_GEN_MAXOUT];
    uint8_t sig[CS_GEN_MAXIN][72];
    uint8_t pub[CS_GEN_MAXIN][33];
    uint8_t ss[CS_GEN_MAXIN][112];
    uint8_t spk[CS_GEN_MAXOUT][40];
};

static struct cs_gen_emitbuf *EB; /* one generator per process */

/* ---------------------------------------------------------------- outbuf */

static int ob_open(struct cs_gen_outbuf *ob, const char *path, const char *header)
{
    memset(ob, 0, sizeof *ob);
    ob->f = fopen(path, "wb");
    if (!ob->f) return cs_error(CS_EIO, "%s: cannot create: %s", path, strerror(errno));
    ob->cap = 1u << 20;
    ob->buf = cs_xmalloc(ob->cap);
    size_t n = strlen(header);
    memcpy(ob->buf, header, n);
    ob->len = n;
    return 0;
}

static void ob_flush(struct cs_gen_outbuf *ob)
{
    if (ob->len && fwrite(ob->buf, 1, ob->len, ob->f) != ob->len) ob->err = errno ? errno : EIO;
    ob->len = 0;
}

static void ob_put(struct cs_gen_outbuf *ob, const char *s, size_t n)
{
    if (ob->len + n > ob->cap) ob_flush(ob);
    memcpy(ob->buf + ob->len, s, n);
    ob->len += n;
}

static int ob_close(struct cs_gen_outbuf *ob, const char *what)
{
    ob_flush(ob);
    int rc = 0;
    if (fclose(ob->f) != 0 && !ob->err) ob->err = errno ? errno : EIO;
    if (ob->err) rc = cs_error(CS_EIO, "%s: write failed: %s", what, strerror(ob->err));
    free(ob->buf);
    ob->buf = NULL;
    return rc;
}

/* ------------------------------------------------------------- addresses */

static void derive32(uint64_t seed, uint64_t domain, uint32_t id, uint8_t out[32])
{
    uint64_t st = seed ^ (domain * 0xd6e8feb86659fd93ULL) ^ ((uint64_t)id * 0x9e3779b97f4a7c15ULL);
    for (int i = 0; i < 4; i++) {
        uint64_t w = cs_gen_splitmix64(&st);
        memcpy(out + 8 * i, &w, 8);
    }
}

void cs_gen_pubkey(const struct cs_gen *g, uint32_t addr, uint8_t pub[33])
{
    derive32(g->keyseed, 1, addr, pub + 1);
    pub[0] = (uint8_t)(0x02 | (pub[32] & 1));
}

void cs_gen_addr_str(const struct cs_gen *g, uint32_t addr, char out[96])
{
    const uint8_t *p = g->aprog[addr];
    switch (g->atype[addr]) {
    case CS_GEN_P2PKH:
        cs_base58check_encode(out, g->p2pkh_ver, p, 20);
        break;
    case CS_GEN_P2SH_P2WPKH:
        cs_base58check_encode(out, g->p2sh_ver, p, 20);
        break;
    case CS_GEN_P2WPKH:
        if (cs_segwit_encode(out, g->hrp, 0, p, 20) < 0) BUG("bech32 encode");
        break;
    default:
        if (cs_segwit_encode(out, g->hrp, 1, p, 32) < 0) BUG("bech32m encode");
        break;
    }
}

size_t cs_gen_script(const struct cs_gen *g, uint32_t addr, uint8_t out[40])
{
    const uint8_t *p = g->aprog[addr];
    switch (g->atype[addr]) {
    case CS_GEN_P2PKH:
        out[0] = 0x76, out[1] = 0xa9, out[2] = 0x14;
        memcpy(out + 3, p, 20);
        out[23] = 0x88, out[24] = 0xac;
        return 25;
    case CS_GEN_P2SH_P2WPKH:
        out[0] = 0xa9, out[1] = 0x14;
        memcpy(out + 2, p, 20);
        out[22] = 0x87;
        return 23;
    case CS_GEN_P2WPKH:
        out[0] = 0x00, out[1] = 0x14;
        memcpy(out + 2, p, 20);
        return 22;
    default:
        out[0] = 0x51, out[1] = 0x20;
        memcpy(out + 2, p, 32);
        return 34;
    }
}

static void tag_row(struct cs_gen *g, uint32_t addr, const char *label, const char *category)
{
    char a[96], line[256];
    cs_gen_addr_str(g, addr, a);
    int n = snprintf(line, sizeof line, "%s,%s,%s,chainsleuth-gen\n", a, label, category);
    ob_put(&g->tags, line, (size_t)n);
}

uint32_t cs_gen_addr_new(struct cs_gen *g, uint32_t entity, uint32_t wallet, int atype)
{
    if (g->naddr == g->capaddr) {
        g->capaddr = g->capaddr ? g->capaddr * 2 : 1u << 16;
        g->aprog = cs_xrealloc(g->aprog, (size_t)g->capaddr * 40);
        g->aent = cs_xrealloc(g->aent, (size_t)g->capaddr * 4);
        g->awal = cs_xrealloc(g->awal, (size_t)g->capaddr * 4);
        g->atype = cs_xrealloc(g->atype, (size_t)g->capaddr);
    }
    uint32_t id = g->naddr++;
    g->aent[id] = entity;
    g->awal[id] = wallet;
    g->atype[id] = (uint8_t)atype;
    uint8_t *prog = g->aprog[id];
    if (atype == CS_GEN_P2TR) {
        derive32(g->keyseed, 2, id, prog); /* x-only output key; never validated */
    } else {
        uint8_t pub[33], h[20];
        cs_gen_pubkey(g, id, pub);
        cs_hash160(pub, 33, h);
        memset(prog, 0, 40);
        if (atype == CS_GEN_P2SH_P2WPKH) {
            uint8_t redeem[22] = {0x00, 0x14};
            memcpy(redeem + 2, h, 20);
            cs_hash160(redeem, 22, prog);
            memcpy(prog + 20, h, 20); /* key hash, for the redeem script at spend */
        } else {
            memcpy(prog, h, 20);
        }
    }
    /* owners.csv row */
    const struct cs_gen_entity *e = &g->ent[entity];
    char a[96];
    cs_gen_addr_str(g, id, a);
    size_t al = strlen(a), nl = strlen(e->name), kl = strlen(kind_names[e->kind]);
    char line[200];
    memcpy(line, a, al);
    line[al] = ',';
    memcpy(line + al + 1, e->name, nl);
    line[al + 1 + nl] = ',';
    memcpy(line + al + 2 + nl, kind_names[e->kind], kl);
    line[al + 2 + nl + kl] = '\n';
    ob_put(&g->owners, line, al + 3 + nl + kl);
    if (e->kind == CS_GEN_MIXER) tag_row(g, id, e->name, "mixer");
    return id;
}

uint32_t cs_gen_fixed_addr(struct cs_gen *g, uint32_t entity, int slot, int atype)
{
    struct cs_gen_entity *e = &g->ent[entity];
    if (e->fixed[slot] != CS_GEN_NONE) return e->fixed[slot];
    int wslot = CS_GEN_W_MAIN;
    if (e->kind == CS_GEN_EXCHANGE || e->kind == CS_GEN_VICTIM || e->kind == CS_GEN_MIXER)
        wslot = slot == CS_GEN_A_COLD ? CS_GEN_W_COLD : CS_GEN_W_HOT;
    uint32_t a = cs_gen_addr_new(g, entity, e->wallet[wslot], atype);
    e->fixed[slot] = a;
    if (e->kind == CS_GEN_EXCHANGE || e->kind == CS_GEN_VICTIM) {
        if (slot == CS_GEN_A_COLD && e->kind == CS_GEN_VICTIM) {
            char label[80];
            snprintf(label, sizeof label, "%s cold wallet", e->name);
            tag_row(g, a, label, "other");
        } else if (slot != CS_GEN_A_COLD) {
            tag_row(g, a, e->name, "exchange");
        }
    } else if (e->kind == CS_GEN_BRIDGE) {
        tag_row(g, a, "THORChain-like vault", "bridge");
    }
    return a;
}

/* ---------------------------------------------------------- UTXOs, wallets */

static uint32_t new_wallet(struct cs_gen *g, uint32_t entity)
{
    if (g->nwal == g->capwal) {
        g->capwal = g->capwal ? g->capwal * 2 : 1024;
        g->wal = cs_xrealloc(g->wal, (size_t)g->capwal * sizeof *g->wal);
    }
    struct cs_gen_wallet *w = &g->wal[g->nwal];
    memset(w, 0, sizeof *w);
    w->entity = entity;
    return g->nwal++;
}

/* Users' main wallets with at least FUND_MIN are kept in g->funded so that
 * picking a random funded payer is O(1). */
static void track(struct cs_gen *g, uint32_t wid)
{
    struct cs_gen_wallet *w = &g->wal[wid];
    if (!w->track) return;
    int in = w->fpos != CS_GEN_NONE;
    int should = w->balance >= FUND_MIN;
    if (should && !in) {
        if (g->nfunded == g->capfunded) {
            g->capfunded = g->capfunded ? g->capfunded * 2 : 1024;
            g->funded = cs_xrealloc(g->funded, (size_t)g->capfunded * 4);
        }
        w->fpos = g->nfunded;
        g->funded[g->nfunded++] = wid;
    } else if (!should && in) {
        uint32_t last = g->funded[--g->nfunded];
        g->funded[w->fpos] = last;
        g->wal[last].fpos = w->fpos;
        w->fpos = CS_GEN_NONE;
    }
}

static void wallet_add(struct cs_gen *g, uint32_t wid, uint32_t u)
{
    struct cs_gen_wallet *w = &g->wal[wid];
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4;
        w->utxo = cs_xrealloc(w->utxo, (size_t)w->cap * 4);
    }
    g->utxo[u].wallet = wid;
    g->utxo[u].slot = w->n;
    w->utxo[w->n++] = u;
    w->balance += g->utxo[u].value;
    track(g, wid);
}

static void wallet_remove(struct cs_gen *g, uint32_t u)
{
    uint32_t wid = g->utxo[u].wallet;
    if (wid == CS_GEN_NONE) return;
    struct cs_gen_wallet *w = &g->wal[wid];
    uint32_t slot = g->utxo[u].slot, last = w->utxo[--w->n];
    w->utxo[slot] = last;
    g->utxo[last].slot = slot;
    w->balance -= g->utxo[u].value;
    g->utxo[u].wallet = CS_GEN_NONE;
    track(g, wid);
}

void cs_gen_wallet_move(struct cs_gen *g, uint32_t u, uint32_t wallet)
{
    wallet_remove(g, u);
    wallet_add(g, wallet, u);
}

static uint32_t utxo_new(struct cs_gen *g, const uint8_t txid[32], uint32_t vout, uint64_t value,
                         uint32_t addr, uint32_t wallet)
{
    uint32_t u;
    if (g->nfree) {
        u = g->freelist[--g->nfree];
    } else {
        if (g->nutxo == g->caputxo) {
            g->caputxo = g->caputxo ? g->caputxo * 2 : 1u << 16;
            g->utxo = cs_xrealloc(g->utxo, (size_t)g->caputxo * sizeof *g->utxo);
        }
        u = g->nutxo++;
    }
    struct cs_gen_utxo *x = &g->utxo[u];
    memcpy(x->txid, txid, 32);
    x->vout = vout;
    x->value = value;
    x->addr = addr;
    x->height = g->height;
    x->live = 1;
    x->wallet = CS_GEN_NONE;
    if (wallet != CS_GEN_NONE) wallet_add(g, wallet, u);
    g->utxo_count++;
    g->utxo_total += value;
    return u;
}

static void utxo_spend(struct cs_gen *g, uint32_t u)
{
    struct cs_gen_utxo *x = &g->utxo[u];
    if (!x->live) BUG("double spend of utxo %u", u);
    wallet_remove(g, u);
    x->live = 0;
    g->utxo_count--;
    g->utxo_total -= x->value;
    if (g->nfree == g->capfree) {
        g->capfree = g->capfree ? g->capfree * 2 : 1u << 16;
        g->freelist = cs_xrealloc(g->freelist, (size_t)g->capfree * 4);
    }
    g->freelist[g->nfree++] = u;
}

/* ------------------------------------------------------------ tx building */

void cs_gen_build_init(struct cs_gen *g, struct cs_gen_build *b, uint32_t entity)
{
    const struct cs_gen_entity *e = &g->ent[entity];
    b->nin = b->nout = 0;
    b->opret_len = 0;
    b->version = e->fp_version;
    b->locktime = e->fp_afs ? g->height - 1 : 0;
    b->seq = e->fp_seq;
    b->lowr = e->fp_lowr;
    b->fee = 0;
}

void cs_gen_add_in(struct cs_gen *g, struct cs_gen_build *b, uint32_t u)
{
    if (b->nin >= CS_GEN_MAXIN) BUG("too many inputs");
    (void)g;
    b->in[b->nin++] = u;
}

void cs_gen_add_out(struct cs_gen *g, struct cs_gen_build *b, uint64_t value, uint32_t addr)
{
    if (b->nout >= CS_GEN_MAXOUT) BUG("too many outputs");
    struct cs_gen_out *o = &b->out[b->nout++];
    o->value = value;
    o->addr = addr;
    o->wallet = addr == CS_GEN_NONE ? CS_GEN_NONE : g->awal[addr];
    o->type = addr == CS_GEN_NONE ? 0 : g->atype[addr];
    o->ent = CS_GEN_NONE;
    o->recv = 0;
}

/* An output to an address created at emit time (only if the tx is emitted). */
void cs_gen_add_fresh(struct cs_gen_build *b, uint64_t value, uint32_t ent, uint32_t wallet,
                      int atype, int recv)
{
    if (b->nout >= CS_GEN_MAXOUT) BUG("too many outputs");
    struct cs_gen_out *o = &b->out[b->nout++];
    o->value = value;
    o->addr = PENDING;
    o->wallet = wallet;
    o->type = (uint8_t)atype;
    o->ent = ent;
    o->recv = (uint8_t)recv;
}

void cs_gen_set_opreturn(struct cs_gen_build *b, const uint8_t *data, size_t len)
{
    if (len > 80) BUG("OP_RETURN data too long");
    uint8_t *p = b->opret;
    *p++ = 0x6a;
    if (len <= 75) {
        *p++ = (uint8_t)len;
    } else {
        *p++ = 0x4c;
        *p++ = (uint8_t)len;
    }
    memcpy(p, data, len);
    b->opret_len = (uint32_t)(p - b->opret + len);
}

static void add_opreturn_out(struct cs_gen *g, struct cs_gen_build *b)
{
    cs_gen_add_out(g, b, 0, CS_GEN_NONE);
}

static const uint32_t in_vb4[4] = {148 * 4, 91 * 4, 68 * 4, 58 * 4}; /* vbytes x4 */
static const uint32_t out_vb[4] = {34, 32, 31, 43};

uint64_t cs_gen_fee(const struct cs_gen *g, const struct cs_gen_build *b, uint32_t rate)
{
    uint64_t vb4 = 11 * 4;
    for (uint32_t i = 0; i < b->nin; i++)
        vb4 += in_vb4[g->atype[g->utxo[b->in[i]].addr]];
    for (uint32_t i = 0; i < b->nout; i++)
        vb4 += 4 * (b->out[i].addr == CS_GEN_NONE ? 9 + b->opret_len : out_vb[b->out[i].type]);
    return (vb4 + 3) / 4 * rate;
}

static uint32_t make_sig(struct cs_gen *g, uint8_t *p, int lowr)
{
    uint8_t rs[64];
    for (int i = 0; i < 8; i++) {
        uint64_t w = cs_gen_rng_next(&g->sigrng);
        memcpy(rs + 8 * i, &w, 8);
    }
    if (lowr)
        rs[0] = (uint8_t)(1 + rs[0] % 0x7f);
    else if (rs[0] == 0)
        rs[0] = 1;
    rs[32] = (uint8_t)(1 + rs[32] % 0x7f); /* low-S */
    uint32_t rlen = rs[0] >= 0x80 ? 33 : 32;
    uint8_t *q = p;
    *q++ = 0x30;
    *q++ = (uint8_t)(36 + rlen);
    *q++ = 0x02;
    *q++ = (uint8_t)rlen;
    if (rlen == 33) *q++ = 0x00;
    memcpy(q, rs, 32);
    q += 32;
    *q++ = 0x02;
    *q++ = 0x20;
    memcpy(q, rs + 32, 32);
    q += 32;
    *q++ = 0x01; /* SIGHASH_ALL */
    return (uint32_t)(q - p);
}

static void block_reserve(struct cs_gen *g, size_t need)
{
    if (g->blklen + need <= g->blkcap) return;
    while (g->blklen + need > g->blkcap)
        g->blkcap *= 2;
    g->blk = cs_xrealloc(g->blk, g->blkcap);
}

static void txlist_reserve(struct cs_gen *g)
{
    if (g->ntx < g->captx) return;
    g->captx *= 2;
    g->txid = cs_xrealloc(g->txid, (size_t)g->captx * 32);
    g->wtxid = cs_xrealloc(g->wtxid, (size_t)g->captx * 32);
    g->scratch = cs_xrealloc(g->scratch, (size_t)g->captx * 32);
}

uint32_t cs_gen_emit(struct cs_gen *g, struct cs_gen_build *b)
{
    struct cs_gen_emitbuf *eb = EB;
    uint64_t in_sum = 0, out_sum = 0;
    if (b->nin == 0 || b->nout == 0) BUG("empty tx");
    /* addresses first: they exist only if the tx does */
    for (uint32_t j = 0; j < b->nout; j++) {
        struct cs_gen_out *o = &b->out[j];
        if (o->addr == PENDING) {
            o->addr = cs_gen_addr_new(g, o->ent, o->wallet, o->type);
            if (o->recv) g->ent[o->ent].last_recv = o->addr;
        }
        out_sum += o->value;
    }
    for (uint32_t i = 0; i < b->nin; i++) {
        const struct cs_gen_utxo *x = &g->utxo[b->in[i]];
        struct cs_gen_txin *in = &eb->tin[i];
        in_sum += x->value;
        in->prev_txid = x->txid;
        in->prev_vout = x->vout;
        in->sequence = b->seq;
        in->script_sig = eb->ss[i];
        in->script_sig_len = 0;
        in->nwit = 0;
        int t = g->atype[x->addr];
        if (t == CS_GEN_P2TR) {
            for (int k = 0; k < 8; k++) {
                uint64_t w = cs_gen_rng_next(&g->sigrng);
                memcpy(eb->ss[i] + 8 * k, &w, 8);
            }
            in->nwit = 1;
            in->wit[0] = eb->ss[i];
            in->wit_len[0] = 64;
            continue;
        }
        uint32_t sl = make_sig(g, eb->sig[i], b->lowr);
        cs_gen_pubkey(g, x->addr, eb->pub[i]);
        if (t == CS_GEN_P2PKH) {
            uint8_t *p = eb->ss[i];
            *p++ = (uint8_t)sl;
            memcpy(p, eb->sig[i], sl);
            p += sl;
            *p++ = 33;
            memcpy(p, eb->pub[i], 33);
            in->script_sig_len = sl + 35;
            continue;
        }
        if (t == CS_GEN_P2SH_P2WPKH) {
            uint8_t *p = eb->ss[i];
            p[0] = 0x16, p[1] = 0x00, p[2] = 0x14;
            memcpy(p + 3, g->aprog[x->addr] + 20, 20);
            in->script_sig_len = 23;
        }
        in->nwit = 2;
        in->wit[0] = eb->sig[i];
        in->wit_len[0] = sl;
        in->wit[1] = eb->pub[i];
        in->wit_len[1] = 33;
    }
    if (in_sum < out_sum)
        BUG("negative fee: in %llu out %llu", (unsigned long long)in_sum,
            (unsigned long long)out_sum);
    for (uint32_t j = 0; j < b->nout; j++) {
        struct cs_gen_txout *to = &eb->tout[j];
        to->value = b->out[j].value;
        if (b->out[j].addr == CS_GEN_NONE) {
            to->script = b->opret;
            to->script_len = b->opret_len;
        } else {
            to->script = eb->spk[j];
            to->script_len = (uint32_t)cs_gen_script(g, b->out[j].addr, eb->spk[j]);
        }
    }
    struct cs_gen_tx tx = {b->version, b->locktime, b->nin, b->nout, eb->tin, eb->tout};
    txlist_reserve(g);
    block_reserve(g, cs_gen_tx_size(&tx, NULL));
    size_t n = cs_gen_tx_write(&tx, g->blk + g->blklen, g->blkcap - g->blklen, g->txid[g->ntx],
                               g->wtxid[g->ntx]);
    if (n == 0) BUG("tx serialization");
    g->blklen += n;
    memcpy(b->txid, g->txid[g->ntx], 32);
    g->ntx++;
    b->fee = in_sum - out_sum;
    g->blkfees += b->fee;
    g->chain_txs++;
    for (uint32_t i = 0; i < b->nin; i++)
        utxo_spend(g, b->in[i]);
    for (uint32_t j = 0; j < b->nout; j++) {
        struct cs_gen_out *o = &b->out[j];
        o->utxo = o->addr == CS_GEN_NONE ? CS_GEN_NONE
                                         : utxo_new(g, b->txid, j, o->value, o->addr, o->wallet);
    }
    return g->ntx - 1;
}

/* ------------------------------------------------------------- helpers */

uint32_t cs_gen_rate(struct cs_gen *g)
{
    uint64_t r = g->feerate * cs_gen_range(&g->rng, 50, 200) / 100;
    return r < 1 ? 1 : (uint32_t)r;
}

/* fiat-looking amounts: two significant digits some of the time */
static uint64_t humanize(struct cs_gen *g, uint64_t v)
{
    if (v < 100000 || !cs_gen_chance(&g->rng, 0.4)) return v;
    uint64_t m = 1;
    while (v / m >= 100)
        m *= 10;
    return v / m * m;
}

static uint32_t random_user(struct cs_gen *g)
{
    return g->user0 + (uint32_t)cs_gen_below(&g->rng, g->nuser);
}

static uint32_t pick_funded_user(struct cs_gen *g, uint64_t minbal)
{
    for (int t = 0; t < 12 && g->nfunded; t++) {
        uint32_t w = g->funded[cs_gen_below(&g->rng, g->nfunded)];
        if (g->wal[w].balance >= minbal) return g->wal[w].entity;
    }
    return CS_GEN_NONE;
}

static uint32_t random_exchange(struct cs_gen *g, int allow_victim)
{
    /* the victim is the largest exchange: it gets ~35% of the traffic */
    if (allow_victim && g->victim != CS_GEN_NONE && cs_gen_chance(&g->rng, 0.35)) return g->victim;
    for (;;) {
        uint32_t e = g->ex0 + (uint32_t)cs_gen_below(&g->rng, g->nex);
        if (e != g->victim || allow_victim) return e;
    }
}

static void add_deposit(struct cs_gen *g, struct cs_gen_build *b, uint64_t value, uint32_t ex)
{
    const struct cs_gen_entity *e = &g->ent[ex];
    cs_gen_add_fresh(b, value, ex, e->wallet[CS_GEN_W_DEP], e->atype, 0);
}

static void add_user_recv(struct cs_gen *g, struct cs_gen_build *b, uint64_t value, uint32_t u)
{
    const struct cs_gen_entity *e = &g->ent[u];
    if (e->last_recv != CS_GEN_NONE && cs_gen_chance(&g->rng, 0.08))
        cs_gen_add_out(g, b, value, e->last_recv); /* address reuse */
    else
        cs_gen_add_fresh(b, value, u, e->wallet[CS_GEN_W_MAIN], e->atype, 1);
}

/* Adds inputs from wallet wid (random start, consecutive) until their sum
 * reaches need or maxin inputs; returns the sum. */
static uint64_t select_coins(struct cs_gen *g, struct cs_gen_build *b, uint32_t wid, uint64_t need,
                             uint32_t maxin)
{
    const struct cs_gen_wallet *w = &g->wal[wid];
    uint64_t sum = 0;
    if (!w->n) return 0;
    uint32_t i = (uint32_t)cs_gen_below(&g->rng, w->n);
    for (uint32_t k = 0; k < w->n && sum < need && b->nin < maxin; k++, i++) {
        if (i == w->n) i = 0;
        uint32_t u = w->utxo[i];
        /* the sum test waits on this load: start the next ones early */
        if (i + 2 < w->n) __builtin_prefetch(&g->utxo[w->utxo[i + 2]].value);
        if (i + 1 < w->n) __builtin_prefetch(&g->utxo[w->utxo[i + 1]].value);
        cs_gen_add_in(g, b, u);
        sum += g->utxo[u].value;
    }
    return sum;
}

enum { CH_FRESH, CH_FIXED, CH_NONE };

struct change_spec {
    int mode;
    uint32_t addr;   /* CH_FIXED */
    uint32_t ent;    /* CH_FRESH */
    uint32_t wallet; /* CH_FRESH */
    int atype;       /* CH_FRESH */
    int random_pos;
};

/* Funds the outputs already in b from wallet wid, adds change, emits.
 * Returns 1 when emitted, 0 (nothing changed) when the wallet cannot pay. */
static int fund_and_emit(struct cs_gen *g, struct cs_gen_build *b, uint32_t wid,
                         const struct change_spec *ch, uint32_t maxin)
{
    uint32_t rate = cs_gen_rate(g);
    uint64_t out_sum = 0;
    for (uint32_t j = 0; j < b->nout; j++)
        out_sum += b->out[j].value;
    uint64_t guess = (uint64_t)rate * (150 * 3 + 40 * (b->nout + 1) + 20);
    uint32_t nin0 = b->nin;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < nin0; i++)
        sum += g->utxo[b->in[i]].value;
    sum += select_coins(g, b, wid, out_sum + guess > sum ? out_sum + guess - sum : 0, maxin);
    uint64_t fee_nc = cs_gen_fee(g, b, rate);
    if (sum < out_sum + fee_nc) {
        b->nin = nin0;
        return 0;
    }
    if (ch->mode != CH_NONE) {
        if (ch->mode == CH_FIXED)
            cs_gen_add_out(g, b, 0, ch->addr);
        else
            cs_gen_add_fresh(b, 0, ch->ent, ch->wallet, ch->atype, 0);
        uint64_t fee_c = cs_gen_fee(g, b, rate);
        if (sum >= out_sum + fee_c + DUST) {
            b->out[b->nout - 1].value = sum - out_sum - fee_c;
            if (ch->random_pos && b->nout > 1) {
                uint32_t pos = (uint32_t)cs_gen_below(&g->rng, b->nout);
                struct cs_gen_out t = b->out[pos];
                b->out[pos] = b->out[b->nout - 1];
                b->out[b->nout - 1] = t;
            }
        } else {
            b->nout--; /* change would be dust: it goes to the fee */
        }
    }
    cs_gen_emit(g, b);
    return 1;
}

static struct change_spec change_fresh(struct cs_gen *g, uint32_t ent, int wslot)
{
    struct change_spec c = {CH_FRESH, 0, ent, g->ent[ent].wallet[wslot], g->ent[ent].atype, 1};
    return c;
}

static struct change_spec change_fixed(uint32_t addr)
{
    struct change_spec c = {CH_FIXED, addr, 0, 0, 0, 1};
    return c;
}

static uint64_t pick_amount(struct cs_gen *g, uint64_t bal)
{
    uint64_t a = (uint64_t)((double)bal * (0.03 + 0.6 * cs_gen_unit(&g->rng)));
    a = humanize(g, a);
    return a < 10000 ? 10000 : a;
}

void cs_gen_swap_memo(struct cs_gen *g, char *out, size_t cap, int attacker)
{
    char hex[41];
    uint8_t a[32];
    if (attacker) {
        /* a handful of attacker ETH addresses */
        derive32(g->keyseed, 77, (uint32_t)cs_gen_below(&g->rng, 6), a);
    } else {
        for (int i = 0; i < 20; i++)
            a[i] = (uint8_t)cs_gen_rng_next(&g->rng);
    }
    cs_hex(hex, a, 20);
    unsigned long long limit = cs_gen_range(&g->rng, 1, 999) * 1000000ULL;
    snprintf(out, cap, "SWAP:ETH.ETH:0x%s:%llu", hex, limit);
}

/* ------------------------------------------------------------ activities */

enum {
    A_PAY_USER,
    A_PAY_MERCHANT,
    A_PAY_EXCHANGE,
    A_PAY_MIXER,
    A_PAY_VAULT,
    A_MERCHANT_SPEND,
    A_EX_SWEEP,
    A_EX_WITHDRAW,
    A_EX_COLD,
    A_MIX_SWEEP,
    A_MIX_PAYOUT,
    A_TX0,
    A_WP_MIX,
    A_WASABI,
    A_MERCHANT_SWEEP,
    A_VAULT_PAYOUT,
    A_CONSOLIDATE,
    A_N,
};
static const char *act_names[A_N] = {
    "pay_user", "pay_merchant", "pay_exchange",   "pay_mixer",    "pay_vault",    "merchant_spend",
    "ex_sweep", "ex_withdraw",  "ex_cold",        "mixer_sweep",  "mixer_payout", "wp_tx0",
    "wp_mix",   "wasabi",       "merchant_sweep", "vault_payout", "consolidate"};
/* weights in 1/10 of a percent of random transactions */
static const uint32_t act_weight[A_N] = {300, 100, 140, 25, 20, 20, 50, 15, 6,
                                         6,   25,  12,  30, 1,  20, 15, 10};

/* A payment from entity s's wallet slot to a target of the given kind. */
static int pay_from(struct cs_gen *g, uint32_t s, int wslot, int target)
{
    struct cs_gen_build *b = &g->b;
    const struct cs_gen_entity *e = &g->ent[s];
    uint32_t wid = e->wallet[wslot];
    uint64_t bal = g->wal[wid].balance;
    if (bal < FUND_MIN) return 0;
    cs_gen_build_init(g, b, s);
    int sendmax = cs_gen_chance(&g->rng, 0.05) && g->wal[wid].n <= 20;
    uint64_t amt = sendmax ? bal / 2 : pick_amount(g, bal);
    if (amt + 5000 > bal) amt = bal / 2;
    switch (target) {
    case A_PAY_USER: {
        uint32_t r = random_user(g);
        if (r == s) r = r + 1 < g->user0 + g->nuser ? r + 1 : g->user0;
        add_user_recv(g, b, amt, r);
        break;
    }
    case A_PAY_MERCHANT: {
        uint32_t m = g->merch0 + (uint32_t)cs_gen_below(&g->rng, g->nmerch);
        cs_gen_add_fresh(b, amt, m, g->ent[m].wallet[CS_GEN_W_DEP], g->ent[m].atype, 0);
        break;
    }
    case A_PAY_EXCHANGE:
        add_deposit(g, b, amt, random_exchange(g, 1));
        break;
    case A_PAY_MIXER:
        cs_gen_add_fresh(b, amt, g->mixer, g->ent[g->mixer].wallet[CS_GEN_W_DEP], CS_GEN_P2WPKH, 0);
        break;
    case A_PAY_VAULT: {
        char memo[100];
        cs_gen_swap_memo(g, memo, sizeof memo, 0);
        cs_gen_add_out(g, b, amt, cs_gen_fixed_addr(g, g->bridge, CS_GEN_A_HOT, CS_GEN_P2WPKH));
        cs_gen_set_opreturn(b, (const uint8_t *)memo, strlen(memo));
        add_opreturn_out(g, b);
        break;
    }
    default:
        BUG("bad target");
    }
    if (sendmax) {
        /* spend everything, no change: the payment gets the rest */
        uint32_t rate = cs_gen_rate(g);
        uint64_t sum = select_coins(g, b, wid, UINT64_MAX, 20);
        uint64_t fee = cs_gen_fee(g, b, rate);
        if (sum < fee + 10000) return 0;
        b->out[0].value = sum - fee;
        cs_gen_emit(g, b);
        return 1;
    }
    struct change_spec ch = change_fresh(g, s, wslot);
    if (target == A_PAY_VAULT) ch.random_pos = 0;
    return fund_and_emit(g, b, wid, &ch, 30);
}

static int act_pay(struct cs_gen *g, int target)
{
    uint32_t s = pick_funded_user(g, FUND_MIN);
    if (s == CS_GEN_NONE) return 0;
    return pay_from(g, s, CS_GEN_W_MAIN, target);
}

static int act_merchant_spend(struct cs_gen *g)
{
    uint32_t m = g->merch0 + (uint32_t)cs_gen_below(&g->rng, g->nmerch);
    if (g->wal[g->ent[m].wallet[CS_GEN_W_MAIN]].balance < FUND_MIN) return 0;
    double r = cs_gen_unit(&g->rng);
    int target = r < 0.6 ? A_PAY_USER : r < 0.8 ? A_PAY_MERCHANT : A_PAY_EXCHANGE;
    return pay_from(g, m, CS_GEN_W_MAIN, target);
}

static int act_consolidate(struct cs_gen *g)
{
    uint32_t s = pick_funded_user(g, FUND_MIN);
    if (s == CS_GEN_NONE) return 0;
    uint32_t wid = g->ent[s].wallet[CS_GEN_W_MAIN];
    if (g->wal[wid].n < 12) return 0;
    struct cs_gen_build *b = &g->b;
    cs_gen_build_init(g, b, s);
    uint64_t sum = select_coins(g, b, wid, UINT64_MAX, 40);
    cs_gen_add_fresh(b, 0, s, wid, g->ent[s].atype, 0);
    uint64_t fee = cs_gen_fee(g, b, cs_gen_rate(g));
    if (sum < fee + 10000) return 0;
    b->out[0].value = sum - fee;
    cs_gen_emit(g, b);
    return 1;
}

static int act_ex_sweep(struct cs_gen *g)
{
    uint32_t start = (uint32_t)cs_gen_below(&g->rng, g->nex);
    for (uint32_t k = 0; k < g->nex; k++) {
        uint32_t ex = g->ex0 + (start + k) % g->nex;
        struct cs_gen_entity *e = &g->ent[ex];
        uint32_t dep = e->wallet[CS_GEN_W_DEP], hot = e->wallet[CS_GEN_W_HOT];
        if (g->wal[dep].n < 3) continue;
        struct cs_gen_build *b = &g->b;
        cs_gen_build_init(g, b, ex);
        uint64_t sum = select_coins(g, b, dep, UINT64_MAX, (uint32_t)cs_gen_range(&g->rng, 5, 40));
        if (g->wal[hot].n && cs_gen_chance(&g->rng, 0.3)) {
            uint32_t u = g->wal[hot].utxo[cs_gen_below(&g->rng, g->wal[hot].n)];
            cs_gen_add_in(g, b, u);
            sum += g->utxo[u].value;
        }
        cs_gen_add_out(g, b, 0, cs_gen_fixed_addr(g, ex, CS_GEN_A_HOT, e->atype));
        uint64_t fee = cs_gen_fee(g, b, cs_gen_rate(g));
        if (sum < fee + DUST) return 0;
        b->out[0].value = sum - fee;
        cs_gen_emit(g, b);
        return 1;
    }
    return 0;
}

static int act_ex_withdraw(struct cs_gen *g)
{
    uint32_t ex = random_exchange(g, 1);
    struct cs_gen_entity *e = &g->ent[ex];
    uint32_t hot = e->wallet[CS_GEN_W_HOT];
    uint64_t bal = g->wal[hot].balance;
    if (bal < 2000000) return 0;
    struct cs_gen_build *b = &g->b;
    cs_gen_build_init(g, b, ex);
    uint32_t nout = (uint32_t)cs_gen_range(&g->rng, 10, 50);
    uint64_t total = 0;
    for (uint32_t j = 0; j < nout; j++) {
        uint64_t v = humanize(g, (uint64_t)((double)bal * (0.001 + 0.019 * cs_gen_unit(&g->rng))));
        if (v < 10000) v = 10000;
        if (total + v > bal / 10 * 6) break;
        total += v;
        double r = cs_gen_unit(&g->rng);
        if (r < 0.92) {
            add_user_recv(g, b, v, random_user(g));
        } else if (r < 0.97) {
            uint32_t other = random_exchange(g, 1);
            if (other == ex) other = g->ex0 + (other - g->ex0 + 1) % g->nex;
            add_deposit(g, b, v, other);
        } else {
            uint32_t m = g->merch0 + (uint32_t)cs_gen_below(&g->rng, g->nmerch);
            cs_gen_add_fresh(b, v, m, g->ent[m].wallet[CS_GEN_W_DEP], g->ent[m].atype, 0);
        }
    }
    if (b->nout == 0) return 0;
    int slot = cs_gen_chance(&g->rng, 0.5) ? CS_GEN_A_HOT : CS_GEN_A_HOT2;
    struct change_spec ch = change_fixed(cs_gen_fixed_addr(g, ex, slot, e->atype));
    return fund_and_emit(g, b, hot, &ch, 60);
}

/* hot -> cold when the hot wallet holds too much; cold -> hot refill */
int cs_gen_ex_cold_move(struct cs_gen *g, uint32_t ex, int force)
{
    struct cs_gen_entity *e = &g->ent[ex];
    uint32_t hot = e->wallet[CS_GEN_W_HOT], cold = e->wallet[CS_GEN_W_COLD];
    uint64_t hb = g->wal[hot].balance, cb = g->wal[cold].balance;
    struct cs_gen_build *b = &g->b;
    cs_gen_build_init(g, b, ex);
    int victim = ex == g->victim;
    if (force || hb > cb || (victim && hb > 1000000)) {
        if (hb < 1000000) return 0;
        uint64_t amt = humanize(g, (uint64_t)((double)hb * (0.4 + 0.3 * cs_gen_unit(&g->rng))));
        cs_gen_add_out(g, b, amt, cs_gen_fixed_addr(g, ex, CS_GEN_A_COLD, e->atype));
        struct change_spec ch = change_fixed(cs_gen_fixed_addr(g, ex, CS_GEN_A_HOT, e->atype));
        return fund_and_emit(g, b, hot, &ch, 60);
    }
    if (!victim && hb * 10 < cb && cb > 1000000) {
        uint64_t amt = humanize(g, cb / 3);
        cs_gen_add_out(g, b, amt, cs_gen_fixed_addr(g, ex, CS_GEN_A_HOT, e->atype));
        struct change_spec ch = change_fixed(cs_gen_fixed_addr(g, ex, CS_GEN_A_COLD, e->atype));
        return fund_and_emit(g, b, cold, &ch, 20);
    }
    return 0;
}

static int act_ex_cold(struct cs_gen *g)
{
    return cs_gen_ex_cold_move(g, random_exchange(g, 1), 0);
}

static int act_mix_sweep(struct cs_gen *g)
{
    struct cs_gen_entity *e = &g->ent[g->mixer];
    uint32_t dep = e->wallet[CS_GEN_W_DEP];
    if (g->wal[dep].n < 3) return 0;
    struct cs_gen_build *b = &g->b;
    cs_gen_build_init(g, b, g->mixer);
    uint64_t sum = select_coins(g, b, dep, UINT64_MAX, (uint32_t)cs_gen_range(&g->rng, 3, 25));
    static const int slots[3] = {CS_GEN_A_HOT, CS_GEN_A_HOT2, CS_GEN_A_POOL3};
    cs_gen_add_out(g, b, 0,
                   cs_gen_fixed_addr(g, g->mixer, slots[cs_gen_below(&g->rng, 3)], CS_GEN_P2WPKH));
    uint64_t fee = cs_gen_fee(g, b, cs_gen_rate(g));
    if (sum < fee + DUST) return 0;
    b->out[0].value = sum - fee;
    cs_gen_emit(g, b);
    return 1;
}

static int act_mix_payout(struct cs_gen *g)
{
    struct cs_gen_entity *e = &g->ent[g->mixer];
    uint32_t pool = e->wallet[CS_GEN_W_HOT];
    uint64_t bal = g->wal[pool].balance;
    if (bal < 1000000) return 0;
    struct cs_gen_build *b = &g->b;
    cs_gen_build_init(g, b, g->mixer);
    uint32_t n = (uint32_t)cs_gen_range(&g->rng, 1, 3);
    for (uint32_t j = 0; j < n; j++) {
        uint64_t v = (uint64_t)((double)bal * (0.02 + 0.1 * cs_gen_unit(&g->rng)));
        uint32_t u = random_user(g);
        cs_gen_add_fresh(b, v < 10000 ? 10000 : v, u, g->ent[u].wallet[CS_GEN_W_MAIN],
                         g->ent[u].atype, 1);
    }
    static const int slots[3] = {CS_GEN_A_HOT, CS_GEN_A_HOT2, CS_GEN_A_POOL3};
    struct change_spec ch = change_fixed(
        cs_gen_fixed_addr(g, g->mixer, slots[cs_gen_below(&g->rng, 3)], CS_GEN_P2WPKH));
    return fund_and_emit(g, b, pool, &ch, 10);
}

static const uint64_t wp_denom[CS_GEN_WP_POOLS] = {100000, 1000000, 5000000, 50000000};
static const uint64_t wp_fee[CS_GEN_WP_POOLS] = {5000, 50000, 175000, 1750000};

static int act_tx0(struct cs_gen *g)
{
    uint32_t s = pick_funded_user(g, 300000);
    if (s == CS_GEN_NONE) return 0;
    uint32_t wid = g->ent[s].wallet[CS_GEN_W_MAIN];
    uint64_t bal = g->wal[wid].balance;
    int p = -1;
    for (int k = CS_GEN_WP_POOLS - 1; k >= 0; k--)
        if (bal >= 2 * (wp_denom[k] + 1000) + wp_fee[k] + 50000) {
            p = k;
            break;
        }
    if (p < 0 || g->wal[g->wp_pre[p]].n > 300) return 0;
    uint64_t d = wp_denom[p], eps = cs_gen_range(&g->rng, 120, 900);
    uint64_t nmax = (bal - wp_fee[p] - 50000) / (d + eps);
    uint64_t n = cs_gen_range(&g->rng, 1, 10);
    if (n > nmax) n = nmax;
    if (n > 70) n = 70;
    struct cs_gen_build *b = &g->b;
    cs_gen_build_init(g, b, s);
    b->version = 1;
    b->locktime = 0;
    b->seq = 0xffffffffu;
    uint8_t data[46];
    for (int i = 0; i < 46; i++)
        data[i] = (uint8_t)cs_gen_rng_next(&g->rng);
    cs_gen_set_opreturn(b, data, sizeof data);
    add_opreturn_out(g, b);
    cs_gen_add_fresh(b, wp_fee[p], g->coord_wp, g->ent[g->coord_wp].wallet[CS_GEN_W_MAIN],
                     CS_GEN_P2WPKH, 0);
    for (uint64_t i = 0; i < n; i++)
        cs_gen_add_fresh(b, d + eps, s, g->wp_pre[p], CS_GEN_P2WPKH, 0);
    struct change_spec ch = change_fresh(g, s, CS_GEN_W_MAIN);
    ch.random_pos = 0;
    return fund_and_emit(g, b, wid, &ch, 20);
}

static int act_wp_mix(struct cs_gen *g)
{
    int p = (int)cs_gen_below(&g->rng, CS_GEN_WP_POOLS);
    uint32_t pre = g->wp_pre[p], post = g->wp_post[p];
    /* postmix coins that stay too long are spent by their owners */
    while (g->wal[post].n > 80) {
        uint32_t u = g->wal[post].utxo[cs_gen_below(&g->rng, g->wal[post].n)];
        uint32_t owner = g->aent[g->utxo[u].addr];
        cs_gen_wallet_move(g, u, g->ent[owner].wallet[CS_GEN_W_MAIN]);
    }
    if (g->wal[pre].n == 0) return 0;
    if (g->wal[post].n == 0) {
        /* Every mix has 1-4 new entrants (METHODS §2.3): a pool without
         * postmix coins is first given one by the coordinator, paid from its
         * Tx0 fees, so the first mix has a remixer too. */
        uint32_t cw = g->ent[g->coord_wp].wallet[CS_GEN_W_MAIN];
        if (g->wal[cw].balance < wp_denom[p] + 50000) return 0;
        struct cs_gen_build *b = &g->b;
        cs_gen_build_init(g, b, g->coord_wp);
        cs_gen_add_fresh(b, wp_denom[p], g->coord_wp, post, CS_GEN_P2WPKH, 0);
        struct change_spec ch = change_fresh(g, g->coord_wp, CS_GEN_W_MAIN);
        return fund_and_emit(g, b, cw, &ch, 20);
    }
    uint32_t want_new = (uint32_t)cs_gen_range(&g->rng, 1, 4);
    uint32_t picked[5], owners[5], np = 0, nnew = 0;
    for (int t = 0; t < 40 && np < 5; t++) {
        int from_pre = nnew < want_new || g->wal[post].n == 0 || t >= 25;
        uint32_t wl = from_pre ? pre : post;
        if (g->wal[wl].n == 0) continue;
        uint32_t u = g->wal[wl].utxo[cs_gen_below(&g->rng, g->wal[wl].n)];
        uint32_t owner = g->aent[g->utxo[u].addr];
        int dup = 0;
        for (uint32_t k = 0; k < np; k++)
            if (owners[k] == owner || picked[k] == u) dup = 1;
        if (dup) continue;
        picked[np] = u;
        owners[np++] = owner;
        if (from_pre) nnew++;
    }
    if (np < 5 || nnew == 0 || nnew == 5) return 0;
    struct cs_gen_build *b = &g->b;
    cs_gen_build_init(g, b, g->coord_wp);
    b->version = 1;
    b->locktime = 0;
    b->seq = 0xffffffffu;
    for (int k = 4; k > 0; k--) { /* shuffle inputs */
        uint32_t j = (uint32_t)cs_gen_below(&g->rng, (uint64_t)k + 1), t = picked[k];
        picked[k] = picked[j], picked[j] = t;
    }
    for (int k = 0; k < 5; k++) {
        owners[k] = g->aent[g->utxo[picked[k]].addr];
        cs_gen_add_in(g, b, picked[k]);
    }
    uint32_t order[5] = {0, 1, 2, 3, 4};
    for (int k = 4; k > 0; k--) {
        uint32_t j = (uint32_t)cs_gen_below(&g->rng, (uint64_t)k + 1), t = order[k];
        order[k] = order[j], order[j] = t;
    }
    for (int k = 0; k < 5; k++) {
        uint32_t o = owners[order[k]];
        uint32_t wl = cs_gen_chance(&g->rng, 0.7) ? post : g->ent[o].wallet[CS_GEN_W_MAIN];
        cs_gen_add_fresh(b, wp_denom[p], o, wl, CS_GEN_P2WPKH, 0);
    }
    cs_gen_emit(g, b);
    return 1;
}

static void init_denoms(struct cs_gen *g)
{
    uint64_t v[160];
    uint32_t n = 0;
    const uint64_t lo = 5000, hi = 1ULL << 40;
    for (uint64_t x = 1; x <= hi; x *= 2)
        if (x >= lo) v[n++] = x;
    for (uint64_t x = 1; x <= hi; x *= 3) {
        if (x >= lo) v[n++] = x;
        if (2 * x >= lo && 2 * x <= hi) v[n++] = 2 * x;
    }
    for (uint64_t x = 1; x <= hi; x *= 10) {
        if (x >= lo) v[n++] = x;
        if (2 * x >= lo && 2 * x <= hi) v[n++] = 2 * x;
        if (5 * x >= lo && 5 * x <= hi) v[n++] = 5 * x;
    }
    /* sort descending, dedup */
    for (uint32_t i = 1; i < n; i++)
        for (uint32_t j = i; j > 0 && v[j] > v[j - 1]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    g->ndenom = 0;
    for (uint32_t i = 0; i < n; i++)
        if (g->ndenom == 0 || g->denom[g->ndenom - 1] != v[i]) g->denom[g->ndenom++] = v[i];
}

struct ws_part {
    uint32_t ent, wallet, in0, nin;
    uint64_t insum, avail;
    uint8_t nout;
    uint8_t out[16]; /* denomination indexes */
};

struct ws_slot {
    uint64_t value;
    uint32_t part;
    uint32_t idx; /* tie-break: creation order */
    uint32_t utxo;
};

static int ws_cmp(const void *a, const void *b)
{
    const struct ws_slot *x = a, *y = b;
    if (x->value != y->value) return x->value > y->value ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

#define WS_MAXPART 64

int cs_gen_wasabi_round(struct cs_gen *g, uint32_t xu, uint32_t xent, uint32_t xwal)
{
    static struct ws_part part[WS_MAXPART];
    static struct ws_slot ins[CS_GEN_MAXIN], outs[CS_GEN_MAXOUT];
    uint32_t inaddr[CS_GEN_MAXIN];
    uint32_t npart = 0, nin = 0;
    uint32_t rate = g->feerate;
    uint32_t target = (uint32_t)cs_gen_range(&g->rng, 20, 60);
    if (xu != CS_GEN_NONE) {
        struct ws_part *p = &part[npart++];
        memset(p, 0, sizeof *p);
        p->ent = xent;
        p->wallet = xwal;
        p->in0 = nin;
        p->nin = 1;
        p->insum = g->utxo[xu].value;
        inaddr[nin] = g->utxo[xu].addr;
        ins[nin].utxo = xu;
        ins[nin].value = g->utxo[xu].value;
        ins[nin].idx = nin;
        ins[nin].part = 0;
        nin++;
    }
    for (int t = 0; t < 300 && nin < target && npart < WS_MAXPART; t++) {
        uint32_t s = pick_funded_user(g, 100000);
        if (s == CS_GEN_NONE) break;
        int dup = 0;
        for (uint32_t k = 0; k < npart; k++)
            if (part[k].ent == s) dup = 1;
        if (dup) continue;
        uint32_t wid = g->ent[s].wallet[CS_GEN_W_MAIN];
        const struct cs_gen_wallet *w = &g->wal[wid];
        uint32_t want = (uint32_t)cs_gen_range(&g->rng, 1, 3), got = 0;
        uint32_t start = (uint32_t)cs_gen_below(&g->rng, w->n);
        uint64_t sum = 0;
        for (uint32_t k = 0; k < w->n && k < 8 && got < want && nin < CS_GEN_MAXIN; k++) {
            uint32_t u = w->utxo[(start + k) % w->n];
            if (g->utxo[u].value < 20000) continue;
            int seen = 0;
            for (uint32_t q = 0; q < nin; q++)
                if (inaddr[q] == g->utxo[u].addr) seen = 1;
            if (seen) continue;
            inaddr[nin] = g->utxo[u].addr;
            ins[nin].utxo = u;
            ins[nin].value = g->utxo[u].value;
            ins[nin].idx = nin;
            ins[nin].part = npart;
            nin++;
            got++;
            sum += g->utxo[u].value;
        }
        if (!got) continue;
        struct ws_part *p = &part[npart];
        memset(p, 0, sizeof *p);
        p->ent = s;
        p->wallet = wid;
        p->in0 = nin - got;
        p->nin = got;
        p->insum = sum;
        npart++;
    }
    if (nin < 20) return 0;
    uint64_t ocost = 31ULL * rate, coord = 0;
    uint32_t maxper = (CS_GEN_MAXOUT - 2 - npart) / npart;
    if (maxper > 8) maxper = 8;
    for (uint32_t k = 0; k < npart; k++) {
        struct ws_part *p = &part[k];
        uint64_t cost = 0;
        for (uint32_t i = p->in0; i < p->in0 + p->nin; i++)
            cost += (uint64_t)in_vb4[g->atype[inaddr[i]]] / 4 * rate;
        uint64_t cf = p->insum >= 1000000 ? p->insum * 3 / 1000 : 0; /* 0.3% */
        coord += cf;
        p->avail = p->insum > cost + cf ? p->insum - cost - cf : 0;
    }
    /* greedy decomposition into denominations; keep only denominations that
     * at least two outputs of the round use (iterated to a fixed point) */
    uint8_t allowed[128];
    uint32_t cnt[128];
    memset(allowed, 1, sizeof allowed);
    for (int pass = 0; pass < 4; pass++) {
        memset(cnt, 0, sizeof cnt);
        for (uint32_t k = 0; k < npart; k++) {
            struct ws_part *p = &part[k];
            uint64_t r = p->avail;
            p->nout = 0;
            for (uint32_t di = 0; di < g->ndenom && p->nout < maxper; di++) {
                if (!allowed[di]) continue;
                while (p->nout < maxper && r >= g->denom[di] + ocost) {
                    p->out[p->nout++] = (uint8_t)di;
                    r -= g->denom[di] + ocost;
                    cnt[di]++;
                }
            }
        }
        int changed = 0;
        for (uint32_t di = 0; di < g->ndenom; di++) {
            uint8_t a = cnt[di] >= 2;
            if (allowed[di] && !a) changed = 1;
            allowed[di] = allowed[di] && a;
        }
        if (!changed) break;
    }
    /* final: singletons go back into change */
    uint32_t nout = 0, ndenomout = 0, ndistinct = 0;
    for (uint32_t di = 0; di < g->ndenom; di++)
        if (cnt[di] >= 2) ndistinct++;
    for (uint32_t k = 0; k < npart; k++) {
        struct ws_part *p = &part[k];
        uint64_t r = p->avail;
        for (uint32_t q = 0; q < p->nout; q++) {
            uint64_t dv = g->denom[p->out[q]];
            r -= dv + ocost;
            if (cnt[p->out[q]] >= 2) {
                outs[nout].value = dv;
                outs[nout].part = k;
                outs[nout].idx = nout;
                nout++;
                ndenomout++;
            } else {
                r += dv + ocost;
            }
        }
        if (r >= 5000 + ocost) {
            outs[nout].value = r - ocost;
            outs[nout].part = k;
            outs[nout].idx = nout;
            nout++;
        }
    }
    if (coord >= 5000) {
        outs[nout].value = coord;
        outs[nout].part = UINT32_MAX;
        outs[nout].idx = nout;
        nout++;
    }
    if (ndistinct < 3 || nout == ndenomout || 2 * ndenomout < nout - 1) return 0;
    /* Wasabi orders inputs and outputs by value, largest first */
    qsort(ins, nin, sizeof ins[0], ws_cmp);
    qsort(outs, nout, sizeof outs[0], ws_cmp);
    struct cs_gen_build *b = &g->b;
    cs_gen_build_init(g, b, g->coord_ws);
    b->version = 1;
    b->locktime = 0;
    b->seq = 0xffffffffu;
    for (uint32_t i = 0; i < nin; i++)
        cs_gen_add_in(g, b, ins[i].utxo);
    for (uint32_t j = 0; j < nout; j++) {
        if (outs[j].part == UINT32_MAX)
            cs_gen_add_fresh(b, outs[j].value, g->coord_ws,
                             g->ent[g->coord_ws].wallet[CS_GEN_W_MAIN], CS_GEN_P2WPKH, 0);
        else
            cs_gen_add_fresh(b, outs[j].value, part[outs[j].part].ent, part[outs[j].part].wallet,
                             CS_GEN_P2WPKH, 0);
    }
    cs_gen_emit(g, b);
    return 1;
}

static int act_wasabi(struct cs_gen *g)
{
    return cs_gen_wasabi_round(g, CS_GEN_NONE, 0, 0);
}

static int act_merchant_sweep(struct cs_gen *g)
{
    uint32_t m = g->merch0 + (uint32_t)cs_gen_below(&g->rng, g->nmerch);
    struct cs_gen_entity *e = &g->ent[m];
    uint32_t inv = e->wallet[CS_GEN_W_DEP];
    if (g->wal[inv].n < 3) return 0;
    struct cs_gen_build *b = &g->b;
    cs_gen_build_init(g, b, m);
    uint64_t sum = select_coins(g, b, inv, UINT64_MAX, (uint32_t)cs_gen_range(&g->rng, 3, 30));
    if (cs_gen_chance(&g->rng, 0.7))
        cs_gen_add_fresh(b, 0, m, e->wallet[CS_GEN_W_MAIN], e->atype, 0);
    else
        add_deposit(g, b, 0, random_exchange(g, 1));
    uint64_t fee = cs_gen_fee(g, b, cs_gen_rate(g));
    if (sum < fee + DUST) return 0;
    b->out[0].value = sum - fee;
    cs_gen_emit(g, b);
    return 1;
}

static int act_vault_payout(struct cs_gen *g)
{
    uint32_t wid = g->ent[g->bridge].wallet[CS_GEN_W_MAIN];
    uint64_t bal = g->wal[wid].balance;
    if (bal < 1000000) return 0;
    struct cs_gen_build *b = &g->b;
    cs_gen_build_init(g, b, g->bridge);
    uint64_t v = humanize(g, (uint64_t)((double)bal * (0.01 + 0.09 * cs_gen_unit(&g->rng))));
    uint32_t u = random_user(g);
    cs_gen_add_fresh(b, v < 10000 ? 10000 : v, u, g->ent[u].wallet[CS_GEN_W_MAIN], g->ent[u].atype,
                     1);
    char memo[80];
    uint8_t inbound[32];
    for (int i = 0; i < 4; i++) {
        uint64_t w = cs_gen_rng_next(&g->rng);
        memcpy(inbound + 8 * i, &w, 8);
    }
    memcpy(memo, "OUT:", 4);
    cs_hex(memo + 4, inbound, 32);
    for (int i = 4; i < 68; i++)
        if (memo[i] >= 'a' && memo[i] <= 'f') memo[i] = (char)(memo[i] - 'a' + 'A');
    cs_gen_set_opreturn(b, (const uint8_t *)memo, 68);
    add_opreturn_out(g, b);
    struct change_spec ch =
        change_fixed(cs_gen_fixed_addr(g, g->bridge, CS_GEN_A_HOT, CS_GEN_P2WPKH));
    ch.random_pos = 0;
    return fund_and_emit(g, b, wid, &ch, 10);
}

static int run_activity(struct cs_gen *g, int a)
{
    switch (a) {
    case A_PAY_USER:
    case A_PAY_MERCHANT:
    case A_PAY_EXCHANGE:
    case A_PAY_MIXER:
    case A_PAY_VAULT:
        return act_pay(g, a);
    case A_MERCHANT_SPEND:
        return act_merchant_spend(g);
    case A_EX_SWEEP:
        return act_ex_sweep(g);
    case A_EX_WITHDRAW:
        return act_ex_withdraw(g);
    case A_EX_COLD:
        return act_ex_cold(g);
    case A_MIX_SWEEP:
        return act_mix_sweep(g);
    case A_MIX_PAYOUT:
        return act_mix_payout(g);
    case A_TX0:
        return act_tx0(g);
    case A_WP_MIX:
        return act_wp_mix(g);
    case A_WASABI:
        return act_wasabi(g);
    case A_MERCHANT_SWEEP:
        return act_merchant_sweep(g);
    case A_VAULT_PAYOUT:
        return act_vault_payout(g);
    case A_CONSOLIDATE:
        return act_consolidate(g);
    }
    return 0;
}

/* Mining pool payout from the coinbase that matures at this height. */
static int miner_payout(struct cs_gen *g)
{
    if (g->height < COINBASE_MATURITY + 1) return 0;
    uint32_t cb = g->cb_utxo[g->height - COINBASE_MATURITY];
    if (cb == CS_GEN_NONE) return 0;
    uint32_t pool = g->aent[g->utxo[cb].addr];
    struct cs_gen_entity *e = &g->ent[pool];
    struct cs_gen_build *b = &g->b;
    cs_gen_build_init(g, b, pool);
    cs_gen_add_in(g, b, cb);
    uint64_t sum = g->utxo[cb].value;
    uint32_t mw = e->wallet[CS_GEN_W_MAIN];
    for (uint32_t k = 0; k < 2 && g->wal[mw].n > k; k++) {
        uint32_t u = g->wal[mw].utxo[k];
        cs_gen_add_in(g, b, u);
        sum += g->utxo[u].value;
    }
    uint32_t n = (uint32_t)cs_gen_range(&g->rng, 10, 40);
    uint64_t pay = (uint64_t)((double)sum * (0.75 + 0.2 * cs_gen_unit(&g->rng)));
    double wsum = 0, wts[40];
    for (uint32_t j = 0; j < n; j++)
        wsum += wts[j] = 0.2 + cs_gen_unit(&g->rng);
    for (uint32_t j = 0; j < n; j++) {
        uint64_t v = (uint64_t)((double)pay * wts[j] / wsum);
        if (v < 10000) continue;
        if (cs_gen_chance(&g->rng, 0.8))
            add_user_recv(g, b, v, random_user(g));
        else
            add_deposit(g, b, v, random_exchange(g, 1));
    }
    cs_gen_add_out(g, b, 0, cs_gen_fixed_addr(g, pool, CS_GEN_A_HOT2, e->atype));
    uint64_t out = 0;
    for (uint32_t j = 0; j + 1 < b->nout; j++)
        out += b->out[j].value;
    uint64_t fee = cs_gen_fee(g, b, cs_gen_rate(g));
    if (sum < out + fee + DUST) BUG("payout does not fit");
    b->out[b->nout - 1].value = sum - out - fee;
    cs_gen_emit(g, b);
    return 1;
}

/* ----------------------------------------------------------------- blocks */

static uint64_t subsidy(uint32_t h)
{
    uint32_t halvings = h / HALVING;
    return halvings >= 64 ? 0 : (50 * COIN) >> halvings;
}

static size_t push_height(uint8_t *p, uint32_t h)
{
    if (h == 0) {
        p[0] = 0x00;
        return 1;
    }
    if (h <= 16) { /* CScript() << n uses OP_1..OP_16 */
        p[0] = (uint8_t)(0x50 + h);
        return 1;
    }
    uint8_t num[5];
    size_t n = 0;
    for (uint32_t v = h; v; v >>= 8)
        num[n++] = (uint8_t)v;
    if (num[n - 1] & 0x80) num[n++] = 0;
    p[0] = (uint8_t)n;
    memcpy(p + 1, num, n);
    return 1 + n;
}

static uint32_t pick_pool(struct cs_gen *g)
{
    static const uint32_t w[4] = {35, 25, 20, 20};
    uint64_t r = cs_gen_below(&g->rng, 100);
    for (uint32_t k = 0; k < g->nminer; k++) {
        if (r < w[k]) return g->miner0 + k;
        r -= w[k];
    }
    return g->miner0;
}

static void rec_reserve(struct cs_gen *g, size_t need)
{
    if (need <= g->reccap) return;
    while (g->reccap < need)
        g->reccap *= 2;
    g->rec = cs_xrealloc(g->rec, g->reccap);
}

/* Builds the header, tx count and coinbase in g->rec (the other ntx-1
 * transactions follow from g->blk when written); returns that length and
 * writes the block hash and the coinbase txid. */
static size_t assemble(struct cs_gen *g, uint32_t height, uint32_t time, uint32_t pool_addr,
                       uint64_t value, const char *tag, uint32_t ntx, int witness, uint8_t hash[32],
                       uint8_t cbtxid[32])
{
    uint8_t ss[100], commit_spk[38], pool_spk[40], reserved[32] = {0};
    size_t sl = push_height(ss, height);
    if (height > 0) ss[sl++] = 0x00; /* extranonce: Core's "<< OP_0" */
    size_t tl = strlen(tag);
    ss[sl++] = (uint8_t)tl;
    memcpy(ss + sl, tag, tl);
    sl += tl;
    struct cs_gen_txin in = {0};
    static const uint8_t zero[32];
    in.prev_txid = zero;
    in.prev_vout = 0xffffffffu;
    in.script_sig = ss;
    in.script_sig_len = (uint32_t)sl;
    in.sequence = 0xffffffffu;
    struct cs_gen_txout out[2];
    uint32_t nout = 0;
    if (pool_addr == CS_GEN_NONE) { /* genesis: an unspendable OP_RETURN */
        static const uint8_t g_spk[] = {0x6a, 0x0f, 'c', 'h', 'a', 'i', 'n', 's', 'l',
                                        'e',  'u',  't', 'h', '-', 'g', 'e', 'n'};
        out[nout++] = (struct cs_gen_txout){0, g_spk, sizeof g_spk};
    } else {
        out[nout++] =
            (struct cs_gen_txout){value, pool_spk, (uint32_t)cs_gen_script(g, pool_addr, pool_spk)};
    }
    if (witness) {
        uint8_t commit[32];
        memset(g->wtxid[0], 0, 32);
        cs_gen_witness_commitment((const uint8_t(*)[32])g->wtxid, ntx, g->scratch, reserved,
                                  commit);
        static const uint8_t magic[6] = {0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed};
        memcpy(commit_spk, magic, 6);
        memcpy(commit_spk + 6, commit, 32);
        out[nout++] = (struct cs_gen_txout){0, commit_spk, 38};
        in.nwit = 1;
        in.wit[0] = reserved;
        in.wit_len[0] = 32;
    }
    struct cs_gen_tx cb = {height == 0 ? 1 : 2, 0, 1, nout, &in, out};
    size_t cbsize = cs_gen_tx_size(&cb, NULL);
    rec_reserve(g, 80 + 9 + cbsize);
    uint8_t *hdr = g->rec;
    size_t off = 80;
    off += cs_compact_put(g->rec + off, ntx);
    uint8_t wtx[32];
    size_t n = cs_gen_tx_write(&cb, g->rec + off, g->reccap - off, cbtxid, wtx);
    if (!n) BUG("coinbase serialization");
    off += n;
    memcpy(g->txid[0], cbtxid, 32);
    uint8_t root[32];
    cs_gen_merkle_root((const uint8_t(*)[32])g->txid, ntx, g->scratch, root);
    cs_put_le32(hdr, height == 0 ? 1 : 0x20000000u);
    if (height == 0)
        memset(hdr + 4, 0, 32);
    else
        memcpy(hdr + 4, g->prev_hash, 32);
    memcpy(hdr + 36, root, 32);
    cs_put_le32(hdr + 68, time);
    cs_put_le32(hdr + 72, BITS);
    if (cs_gen_grind(hdr, BITS, hash) != 0) BUG("no nonce meets the target");
    return off;
}

static int put_record(struct cs_gen *g, const uint8_t *rec, size_t len)
{
    return cs_gen_blk_write(&g->bw, rec, len);
}

static void block_begin(struct cs_gen *g, uint32_t height)
{
    g->height = height;
    g->ntx = 1; /* slot 0: the coinbase, built last */
    g->blklen = 0;
    g->blkfees = 0;
    if (height > 0) g->time += (uint32_t)cs_gen_range(&g->rng, 60, 1140);
    g->feerate = (uint32_t)cs_gen_range(&g->rng, 1, 25);
}

static int block_end(struct cs_gen *g)
{
    uint32_t h = g->height;
    uint8_t hash[32], cbtxid[32];
    uint32_t pool = CS_GEN_NONE, paddr = CS_GEN_NONE;
    uint64_t value = 0;
    char tag[48];
    if (h > 0) {
        pool = pick_pool(g);
        paddr = cs_gen_fixed_addr(g, pool, CS_GEN_A_HOT, g->ent[pool].atype);
        value = subsidy(h) + g->blkfees;
        snprintf(tag, sizeof tag, "/%s/", g->ent[pool].name + 6);
    } else {
        snprintf(tag, sizeof tag, "chainsleuth-gen genesis seed %llu",
                 (unsigned long long)g->o.seed);
    }
    size_t len = assemble(g, h, g->time, paddr, value, tag, g->ntx, h > 0, hash, cbtxid);
    g->chain_txs++;
    if (h > 0) {
        uint32_t u = utxo_new(g, cbtxid, 0, value, paddr, CS_GEN_NONE);
        g->cb_utxo[h] = u;
    }
    int rc = 0;
    /* Core writes blocks as they arrive: with headers-first download a child
     * may land before its parent.  Hold some blocks back one step. */
    int hold = h >= 2 && h + 1 < g->last_height && h != g->stale_height &&
               h + 1 != g->stale_height && g->heldlen == 0 &&
               (cs_gen_chance(&g->rng, 0.02) || h == 5 || h == g->boot_blocks + 3);
    if (g->heldlen) {
        rc = cs_gen_blk_write2(&g->bw, g->rec, len, g->blk, g->blklen);
        if (!rc) rc = put_record(g, g->held, g->heldlen);
        g->heldlen = 0;
        g->swapped++;
    } else if (hold) {
        if (g->heldcap < len + g->blklen) {
            g->heldcap = (len + g->blklen) * 2;
            g->held = cs_xrealloc(g->held, g->heldcap);
        }
        memcpy(g->held, g->rec, len);
        if (g->blklen) memcpy(g->held + len, g->blk, g->blklen);
        g->heldlen = len + g->blklen;
    } else {
        rc = cs_gen_blk_write2(&g->bw, g->rec, len, g->blk, g->blklen);
    }
    if (!rc && h == g->stale_height) {
        /* a competing block at the same height from another pool: only a
         * coinbase; the main chain builds on the other one */
        uint32_t other = g->miner0 + (pool - g->miner0 + 1) % g->nminer;
        uint32_t oaddr = cs_gen_fixed_addr(g, other, CS_GEN_A_HOT, g->ent[other].atype);
        uint8_t shash[32], stx[32];
        char stag[48];
        snprintf(stag, sizeof stag, "/%s/", g->ent[other].name + 6);
        g->ntx = 1;
        size_t slen = assemble(g, h, g->time + (uint32_t)cs_gen_range(&g->rng, 1, 60), oaddr,
                               subsidy(h), stag, 1, 1, shash, stx);
        rc = put_record(g, g->rec, slen);
        g->stale_written = 1;
    }
    memcpy(g->prev_hash, hash, 32);
    memcpy(g->tip, hash, 32);
    return rc;
}

/* ------------------------------------------------------------ set-up */

/* wallet slots each kind uses (the others stay CS_GEN_NONE: users are most
 * entities, and one wallet each keeps their records dense in the cache) */
static unsigned wallet_mask(int kind)
{
    switch (kind) {
    case CS_GEN_USER:
    case CS_GEN_COORD:
    case CS_GEN_MINER:
    case CS_GEN_BRIDGE:
        return 1u << CS_GEN_W_MAIN;
    case CS_GEN_MERCHANT:
    case CS_GEN_ATTACKER:
        return 1u << CS_GEN_W_MAIN | 1u << CS_GEN_W_DEP;
    case CS_GEN_MIXER:
        return 1u << CS_GEN_W_DEP | 1u << CS_GEN_W_HOT;
    default: /* exchanges */
        return 1u << CS_GEN_W_DEP | 1u << CS_GEN_W_HOT | 1u << CS_GEN_W_COLD;
    }
}

static uint32_t new_entity(struct cs_gen *g, int kind, const char *name, int atype)
{
    if (g->nent == g->capent) BUG("entity table full");
    struct cs_gen_entity *e = &g->ent[g->nent];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->kind = (uint8_t)kind;
    e->atype = (uint8_t)atype;
    e->fp_version = 2;
    e->fp_afs = 0;
    e->fp_lowr = 1;
    e->fp_seq = 0xfffffffdu;
    for (int s = 0; s < CS_GEN_NWSLOT; s++)
        e->wallet[s] = wallet_mask(kind) >> s & 1 ? new_wallet(g, g->nent) : CS_GEN_NONE;
    for (int s = 0; s < CS_GEN_NASLOT; s++)
        e->fixed[s] = CS_GEN_NONE;
    e->last_recv = CS_GEN_NONE;
    return g->nent++;
}

static int user_atype(struct cs_gen *g)
{
    uint64_t r = cs_gen_below(&g->rng, 100);
    return r < 15   ? CS_GEN_P2PKH
           : r < 35 ? CS_GEN_P2SH_P2WPKH
           : r < 80 ? CS_GEN_P2WPKH
                    : CS_GEN_P2TR;
}

static void setup_entities(struct cs_gen *g)
{
    uint64_t n = g->o.txs;
    char name[40];
    g->victim = g->attacker = CS_GEN_NONE;
    g->nuser = (uint32_t)(n / 40 < 200 ? 200 : n / 40 > 60000 ? 60000 : n / 40);
    g->nmerch = (uint32_t)(n / 4000 < 5 ? 5 : n / 4000 > 500 ? 500 : n / 4000);
    g->capent = g->nuser + g->nmerch + 64;
    g->ent = cs_xmalloc((size_t)g->capent * sizeof *g->ent);
    g->user0 = g->nent;
    for (uint32_t i = 0; i < g->nuser; i++) {
        snprintf(name, sizeof name, "user_%05u", i + 1);
        uint32_t e = new_entity(g, CS_GEN_USER, name, user_atype(g));
        struct cs_gen_entity *u = &g->ent[e];
        u->fp_version = cs_gen_chance(&g->rng, 0.8) ? 2 : 1;
        u->fp_afs = cs_gen_chance(&g->rng, 0.5);
        u->fp_lowr = cs_gen_chance(&g->rng, 0.7);
        if (u->fp_afs)
            u->fp_seq = cs_gen_chance(&g->rng, 0.7) ? 0xfffffffdu : 0xfffffffeu;
        else
            u->fp_seq = cs_gen_chance(&g->rng, 0.6) ? 0xffffffffu : 0xfffffffdu;
        g->wal[u->wallet[CS_GEN_W_MAIN]].track = 1;
        g->wal[u->wallet[CS_GEN_W_MAIN]].fpos = CS_GEN_NONE;
    }
    g->merch0 = g->nent;
    for (uint32_t i = 0; i < g->nmerch; i++) {
        snprintf(name, sizeof name, "merchant_%04u", i + 1);
        new_entity(g, CS_GEN_MERCHANT, name,
                   cs_gen_chance(&g->rng, 0.7) ? CS_GEN_P2WPKH : CS_GEN_P2TR);
    }
    static const char *exn[4] = {"binance-like", "coinbase-like", "kraken-like", "bybit-like"};
    static const int ext[4] = {CS_GEN_P2WPKH, CS_GEN_P2SH_P2WPKH, CS_GEN_P2PKH, CS_GEN_P2WPKH};
    g->nex = 4;
    g->ex0 = g->nent;
    for (uint32_t i = 0; i < g->nex; i++) {
        snprintf(name, sizeof name, "exchange_%s_%u", exn[i], i + 1);
        int kind = (g->o.heist && i == 3) ? CS_GEN_VICTIM : CS_GEN_EXCHANGE;
        uint32_t e = new_entity(g, kind, name, ext[i]);
        g->ent[e].fp_version = i == 2 ? 1 : 2;
        g->ent[e].fp_seq = 0xffffffffu;
        g->ent[e].fp_lowr = i % 2;
        if (kind == CS_GEN_VICTIM) g->victim = e;
    }
    g->mixer = new_entity(g, CS_GEN_MIXER, "mixer_cryptomixer-like_1", CS_GEN_P2WPKH);
    g->coord_wp = new_entity(g, CS_GEN_COORD, "coordinator_whirlpool-like_1", CS_GEN_P2WPKH);
    g->coord_ws = new_entity(g, CS_GEN_COORD, "coordinator_wasabi-like_2", CS_GEN_P2WPKH);
    static const char *mn[4] = {"foundry-like", "antpool-like", "viabtc-like", "f2pool-like"};
    static const int mt[4] = {CS_GEN_P2WPKH, CS_GEN_P2PKH, CS_GEN_P2WPKH, CS_GEN_P2PKH};
    g->nminer = 4;
    g->miner0 = g->nent;
    for (uint32_t i = 0; i < g->nminer; i++) {
        snprintf(name, sizeof name, "miner_%s_%u", mn[i], i + 1);
        new_entity(g, CS_GEN_MINER, name, mt[i]);
    }
    g->bridge = new_entity(g, CS_GEN_BRIDGE, "bridge_thorchain-like_1", CS_GEN_P2WPKH);
    if (g->o.heist) {
        g->attacker = new_entity(g, CS_GEN_ATTACKER, "attacker_lazarus-like_1", CS_GEN_P2WPKH);
        g->ent[g->attacker].fp_seq = 0xfffffffdu;
    }
    for (int p = 0; p < CS_GEN_WP_POOLS; p++) {
        g->wp_pre[p] = new_wallet(g, g->coord_wp);
        g->wp_post[p] = new_wallet(g, g->coord_wp);
    }
    for (uint32_t w = 0; w < g->nwal; w++)
        if (!g->wal[w].track) g->wal[w].fpos = CS_GEN_NONE;
}

static int mkdir_p(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return cs_error(CS_EIO, "%s: cannot create directory: %s", path, strerror(errno));
    return 0;
}

static int write_chain_json(struct cs_gen *g, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) return cs_error(CS_EIO, "%s: cannot create: %s", path, strerror(errno));
    char tip[65];
    cs_hex_rev(tip, g->tip);
    fprintf(f,
            "{\"height\":%u,\"tip\":\"%s\",\"txs\":%llu,\"utxo_count\":%llu,\"utxo_total\":%llu,"
            "\"network\":\"%s\",\"seed\":%llu,\"scenario\":\"%s\",\"addresses\":%u,"
            "\"blocks_written\":%llu,\"stale_blocks\":%u,\"stale_height\":%u,"
            "\"out_of_order_pairs\":%u,\"blk_files\":%d,\"subsidy\":\"50 BTC halving every %d "
            "blocks\"}\n",
            g->last_height, tip, (unsigned long long)g->chain_txs,
            (unsigned long long)g->utxo_count, (unsigned long long)g->utxo_total,
            g->o.regtest ? "regtest" : "main", (unsigned long long)g->o.seed,
            g->o.heist ? "heist" : "none", g->naddr, (unsigned long long)g->bw.records,
            g->stale_written, g->stale_height, g->swapped, g->bw.file_no + 1, HALVING);
    if (fclose(f) != 0) return cs_error(CS_EIO, "%s: write failed: %s", path, strerror(errno));
    return 0;
}

static void free_all(struct cs_gen *g)
{
    for (uint32_t w = 0; w < g->nwal; w++)
        free(g->wal[w].utxo);
    free(g->wal);
    free(g->ent);
    free(g->utxo);
    free(g->freelist);
    free(g->aprog);
    free(g->aent);
    free(g->awal);
    free(g->atype);
    free(g->cb_utxo);
    free(g->blk);
    free(g->txid);
    free(g->wtxid);
    free(g->scratch);
    free(g->rec);
    free(g->held);
    free(g->funded);
    free(g->h.ev);
    free(EB);
    EB = NULL;
}

static void pick_and_run(struct cs_gen *g)
{
    static uint32_t cum[A_N], total;
    if (!total)
        for (int a = 0; a < A_N; a++)
            cum[a] = total += act_weight[a];
    uint64_t r = cs_gen_below(&g->rng, total);
    int a = 0;
    while (r >= cum[a])
        a++;
    if (run_activity(g, a)) {
        g->act_count[a]++;
        return;
    }
    for (int t = 0; t < 4; t++)
        if (act_pay(g, A_PAY_USER)) {
            g->act_count[A_PAY_USER]++;
            return;
        }
}

int cs_gen_run(const struct cs_gen_opts *o)
{
    static struct cs_gen G;
    struct cs_gen *g = &G;
    memset(g, 0, sizeof *g);
    g->o = *o;
    int rc;
    cs_gen_rng_seed(&g->rng, o->seed);
    cs_gen_rng_seed(&g->sigrng, o->seed ^ 0x5349474e41545552ULL);
    uint64_t ks = o->seed ^ 0x4b45595345454421ULL;
    g->keyseed = cs_gen_splitmix64(&ks);
    if (o->regtest) {
        memcpy(g->magic, "\xfa\xbf\xb5\xda", 4);
        g->p2pkh_ver = 0x6f, g->p2sh_ver = 0xc4, g->hrp = "bcrt";
    } else {
        memcpy(g->magic, "\xf9\xbe\xb4\xd9", 4);
        g->p2pkh_ver = 0x00, g->p2sh_ver = 0x05, g->hrp = "bc";
    }
    EB = cs_xmalloc(sizeof *EB);
    char path[4200];
    if ((rc = mkdir_p(o->out)) != 0) return rc;
    snprintf(path, sizeof path, "%s/blocks", o->out);
    if ((rc = mkdir_p(path)) != 0) return rc;
    if ((rc = cs_gen_blk_open(&g->bw, path, g->magic)) != 0) return rc;
    snprintf(path, sizeof path, "%s/truth", o->out);
    if ((rc = mkdir_p(path)) != 0) return rc;
    snprintf(path, sizeof path, "%s/truth/heist.json", o->out);
    if (!o->heist && unlink(path) != 0 && errno != ENOENT)
        return cs_error(CS_EIO, "%s: cannot remove: %s", path, strerror(errno));
    snprintf(path, sizeof path, "%s/truth/owners.csv", o->out);
    if ((rc = ob_open(&g->owners, path, "address,entity,entity_kind\n")) != 0) return rc;
    snprintf(path, sizeof path, "%s/truth/tags.csv", o->out);
    if ((rc = ob_open(&g->tags, path, "address,label,category,source\n")) != 0) return rc;

    /* plan: genesis, 100 coinbase-only blocks (maturity), then activity */
    g->boot_blocks = COINBASE_MATURITY;
    uint64_t rest = o->txs - 1 - g->boot_blocks;
    uint64_t act = rest / 1500 < 60 ? 60 : rest / 1500;
    g->act_blocks = (uint32_t)act;
    g->last_height = g->boot_blocks + g->act_blocks;
    g->stale_height = g->boot_blocks + g->act_blocks / 2 + 1;
    g->cb_utxo = cs_xmalloc((size_t)(g->last_height + 1) * 4);
    for (uint32_t h = 0; h <= g->last_height; h++)
        g->cb_utxo[h] = CS_GEN_NONE;
    g->blkcap = 1u << 20;
    g->blk = cs_xmalloc(g->blkcap);
    g->captx = 4096;
    g->txid = cs_xmalloc((size_t)g->captx * 32);
    g->wtxid = cs_xmalloc((size_t)g->captx * 32);
    g->scratch = cs_xmalloc((size_t)g->captx * 32);
    g->reccap = 2u << 20;
    g->rec = cs_xmalloc(g->reccap);
    g->time = 1735689600u; /* 2025-01-01T00:00:00Z */
    init_denoms(g);
    setup_entities(g);
    if (o->heist) cs_gen_heist_plan(g);

    for (uint32_t h = 0; h <= g->last_height && rc == 0; h++) {
        block_begin(g, h);
        if (h > g->boot_blocks) {
            /* txs in this block incl. its coinbase: what keeps the running
             * total on the line to N, so heist bursts are paid back later */
            uint64_t i = h - g->boot_blocks - 1, start = g->chain_txs;
            uint64_t goal = 1 + g->boot_blocks + rest * (i + 1) / act;
            uint64_t want = goal > start ? goal - start : 1;
            miner_payout(g);
            if (o->heist) cs_gen_heist_step(g);
            uint32_t fails = 0;
            while (g->ntx < want && fails < 200) {
                uint32_t before = g->ntx;
                pick_and_run(g);
                fails = g->ntx == before ? fails + 1 : 0;
            }
        }
        rc = block_end(g);
        if (!o->quiet && o->txs >= 200000 && (h % 100 == 0 || h == g->last_height))
            fprintf(stderr, "chainsleuth-gen: block %u/%u, %llu txs\n", h, g->last_height,
                    (unsigned long long)g->chain_txs);
    }
    if (rc == 0 && g->heldlen) rc = put_record(g, g->held, g->heldlen);
    int rc2 = cs_gen_blk_close(&g->bw);
    if (!rc) rc = rc2;
    snprintf(path, sizeof path, "%s/truth/owners.csv", o->out);
    rc2 = ob_close(&g->owners, path);
    if (!rc) rc = rc2;
    snprintf(path, sizeof path, "%s/truth/tags.csv", o->out);
    rc2 = ob_close(&g->tags, path);
    if (!rc) rc = rc2;
    snprintf(path, sizeof path, "%s/truth/chain.json", o->out);
    if (!rc) rc = write_chain_json(g, path);
    snprintf(path, sizeof path, "%s/truth/heist.json", o->out);
    if (!rc && o->heist) rc = cs_gen_heist_write(g, path);
    if (!rc && !o->quiet) {
        fprintf(stderr,
                "chainsleuth-gen: height %u, %llu txs, %u addresses, %llu UTXOs, %llu bytes in "
                "%d blk files\n",
                g->last_height, (unsigned long long)g->chain_txs, g->naddr,
                (unsigned long long)g->utxo_count, (unsigned long long)g->bw.total,
                g->bw.file_no + 1);
        if (getenv("CS_GEN_STATS"))
            for (int a = 0; a < A_N; a++)
                fprintf(stderr, "  %-16s %llu\n", act_names[a],
                        (unsigned long long)g->act_count[a]);
    }
    free_all(g);
    return rc;
}
