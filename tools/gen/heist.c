/* heist.c — the Bybit-style heist of chainsleuth-gen and its exact ground
 * truth (truth/heist.json).
 *
 * Story: the victim exchange's cold wallet is drained in one transaction to
 * ~40 fresh attacker addresses (the seed).  Each is split 2-5 ways a few
 * blocks later; every piece then gets a fate: a peel chain into exchange
 * deposit addresses (1 input, 2 outputs, small peel, large continuation),
 * a custodial-mixer deposit, a THORChain-style vault deposit with a SWAP
 * memo, dormancy, or — for exactly one piece — a Wasabi 2.0 CoinJoin round.
 *
 * Truth rules (why the numbers are exact under every taint policy):
 * - attacker transactions spend only stolen coins, so poison, haircut,
 *   FIFO, LIFO and TIHO all give every output of them fully tainted;
 * - a stolen satoshi stops at the first exchange / mixer / bridge address
 *   it reaches (destinations, summed per entity), stays at an attacker
 *   address (unspent) or is paid as fee by an attacker tx (fees);
 * - the CoinJoin is the one place stolen and clean coins meet.  We end the
 *   truth at the CoinJoin and book the attacker's whole input amount as a
 *   destination {"entity":"coinjoin","category":"mixer"}; the attacker's
 *   CoinJoin outputs are attacker-owned (owners.csv) but are not listed as
 *   unspent stolen coins (they would be counted twice).
 * So stolen == sum(destinations) + sum(unspent) + fees, checked here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "util/codec.h"
#include "util/error.h"

enum { EV_SPLIT, EV_PEEL, EV_MIX, EV_BRIDGE, EV_CJ };
enum { END_DORMANT, END_MIX, END_BRIDGE };

#define NSEED 40

void cs_gen_heist_plan(struct cs_gen *g)
{
    struct cs_gen_heist *h = &g->h;
    uint32_t off = (uint32_t)(g->act_blocks * 35 / 100);
    h->drain_height = g->boot_blocks + (off < 8 ? 8 : off);
    h->last_height = g->last_height;
    h->cj_utxo = CS_GEN_NONE;
}

static void push_ev(struct cs_gen *g, uint32_t height, uint32_t utxo, int type, int hops, int end)
{
    struct cs_gen_heist *h = &g->h;
    if (h->nev == h->capev) {
        h->capev = h->capev ? h->capev * 2 : 256;
        h->ev = cs_xrealloc(h->ev, (size_t)h->capev * sizeof *h->ev);
    }
    h->ev[h->nev++] =
        (struct cs_gen_hevent){height, utxo, (uint8_t)type, (uint8_t)hops, (uint8_t)end};
}

static void dest_add(struct cs_gen *g, uint32_t ent, uint64_t amount)
{
    struct cs_gen_heist *h = &g->h;
    for (uint32_t i = 0; i < h->ndest; i++)
        if (h->dest[i].entity == ent) {
            h->dest[i].amount += amount;
            return;
        }
    if (h->ndest == sizeof h->dest / sizeof h->dest[0]) BUG("too many heist destinations");
    h->dest[h->ndest++] = (struct cs_gen_dest){ent, amount};
}

/* books an emitted attacker tx: fee, and outputs that reached a sink */
static void book(struct cs_gen *g, const struct cs_gen_build *b)
{
    g->h.fees += b->fee;
    g->h.txs++;
    for (uint32_t j = 0; j < b->nout; j++) {
        if (b->out[j].addr == CS_GEN_NONE) continue;
        uint32_t e = g->aent[b->out[j].addr];
        int k = g->ent[e].kind;
        if (k == CS_GEN_EXCHANGE || k == CS_GEN_MIXER || k == CS_GEN_BRIDGE)
            dest_add(g, e, b->out[j].value);
        else if (k != CS_GEN_ATTACKER)
            BUG("stolen coins reached %s", g->ent[e].name);
    }
}

static uint32_t attacker_wallet(struct cs_gen *g)
{
    return g->ent[g->attacker].wallet[CS_GEN_W_MAIN];
}

static int attacker_type(struct cs_gen *g)
{
    return cs_gen_chance(&g->rng, 0.8) ? CS_GEN_P2WPKH : CS_GEN_P2TR;
}

static uint32_t after(struct cs_gen *g, uint32_t lo, uint32_t hi)
{
    return g->height + (uint32_t)cs_gen_range(&g->rng, lo, hi < lo ? lo : hi);
}

static int drain(struct cs_gen *g)
{
    struct cs_gen_heist *h = &g->h;
    uint32_t cold = g->ent[g->victim].wallet[CS_GEN_W_COLD];
    const struct cs_gen_wallet *w = &g->wal[cold];
    if (w->n == 0 || w->balance < 4000000) return 0;
    struct cs_gen_build *b = &g->b;
    cs_gen_build_init(g, b, g->victim);
    uint64_t sum = 0;
    for (uint32_t k = 0; k < w->n && k < 200; k++) {
        cs_gen_add_in(g, b, w->utxo[k]);
        sum += g->utxo[w->utxo[k]].value;
    }
    uint32_t n = NSEED;
    if (sum / n < 2000000) n = (uint32_t)(sum / 2000000);
    if (n < 2) return 0;
    double wt[NSEED], ws = 0;
    for (uint32_t j = 0; j < n; j++) {
        ws += wt[j] = 0.6 + 0.8 * cs_gen_unit(&g->rng);
        cs_gen_add_fresh(b, 0, g->attacker, attacker_wallet(g), attacker_type(g), 0);
    }
    uint64_t fee = cs_gen_fee(g, b, cs_gen_rate(g));
    uint64_t total = sum - fee, given = 0;
    for (uint32_t j = 0; j < n; j++) {
        uint64_t v = j + 1 == n ? total - given : (uint64_t)((double)total * wt[j] / ws);
        b->out[j].value = v;
        given += v;
    }
    cs_gen_emit(g, b);
    memcpy(h->drain_txid, b->txid, 32);
    h->nseed = n;
    for (uint32_t j = 0; j < n; j++) {
        h->seed_vout[j] = j;
        h->stolen += b->out[j].value;
        push_ev(g, after(g, 1, 3), b->out[j].utxo, EV_SPLIT, (int)j, 0);
    }
    return 1;
}

static void split(struct cs_gen *g, const struct cs_gen_hevent *ev)
{
    struct cs_gen_heist *h = &g->h;
    uint32_t span = h->last_height > g->height ? h->last_height - g->height : 1;
    uint64_t v = g->utxo[ev->utxo].value;
    uint32_t k = (uint32_t)cs_gen_range(&g->rng, 2, 5);
    struct cs_gen_build *b = &g->b;
    cs_gen_build_init(g, b, g->attacker);
    cs_gen_add_in(g, b, ev->utxo);
    double wt[5], ws = 0;
    for (uint32_t j = 0; j < k; j++) {
        ws += wt[j] = 0.3 + cs_gen_unit(&g->rng);
        cs_gen_add_fresh(b, 0, g->attacker, attacker_wallet(g), attacker_type(g), 0);
    }
    uint64_t fee = cs_gen_fee(g, b, cs_gen_rate(g) * 2);
    if (v < fee + 100000 * k) return; /* too small to split: stays dormant */
    uint64_t total = v - fee, given = 0;
    for (uint32_t j = 0; j < k; j++) {
        uint64_t x = j + 1 == k ? total - given : (uint64_t)((double)total * wt[j] / ws);
        b->out[j].value = x;
        given += x;
    }
    cs_gen_emit(g, b);
    book(g, b);
    int cj_here = ev->hops == (h->nseed > 7 ? 7 : h->nseed - 1);
    for (uint32_t j = 0; j < k; j++) {
        uint32_t u = b->out[j].utxo;
        if (cj_here && j == 0) {
            push_ev(g, after(g, 2, 6), u, EV_CJ, 0, 0);
            continue;
        }
        double r = cs_gen_unit(&g->rng);
        if (r < 0.32) {
            double e = cs_gen_unit(&g->rng);
            int end = e < 0.5 ? END_DORMANT : e < 0.75 ? END_MIX : END_BRIDGE;
            push_ev(g, after(g, 1, 4), u, EV_PEEL, (int)cs_gen_range(&g->rng, 3, 8), end);
        } else if (r < 0.50) {
            push_ev(g, after(g, 1, span * 6 / 10), u, EV_MIX, 0, 0);
        } else if (r < 0.78) {
            push_ev(g, after(g, 1, span * 8 / 10), u, EV_BRIDGE, 0, 0);
        } /* else dormant */
    }
}

static void end_fate(struct cs_gen *g, uint32_t u, int end)
{
    if (end == END_MIX) push_ev(g, after(g, 1, 5), u, EV_MIX, 0, 0);
    if (end == END_BRIDGE) push_ev(g, after(g, 1, 5), u, EV_BRIDGE, 0, 0);
}

static void peel(struct cs_gen *g, const struct cs_gen_hevent *ev)
{
    uint64_t v = g->utxo[ev->utxo].value;
    if (v < 1000000) {
        end_fate(g, ev->utxo, ev->end);
        return;
    }
    uint64_t p = (uint64_t)((double)v * (0.03 + 0.12 * cs_gen_unit(&g->rng)));
    if (p > 100000) { /* look like a payment: three significant digits */
        uint64_t m = 1;
        while (p / m >= 1000)
            m *= 10;
        p = p / m * m;
    }
    uint32_t ex;
    do
        ex = g->ex0 + (uint32_t)cs_gen_below(&g->rng, g->nex);
    while (ex == g->victim);
    struct cs_gen_build *b = &g->b;
    cs_gen_build_init(g, b, g->attacker);
    cs_gen_add_in(g, b, ev->utxo);
    int cont_first = cs_gen_chance(&g->rng, 0.5);
    int t = g->atype[g->utxo[ev->utxo].addr]; /* stable script type along the chain */
    const struct cs_gen_entity *e = &g->ent[ex];
    if (cont_first) cs_gen_add_fresh(b, 0, g->attacker, attacker_wallet(g), t, 0);
    cs_gen_add_fresh(b, p, ex, e->wallet[CS_GEN_W_DEP], e->atype, 0);
    if (!cont_first) cs_gen_add_fresh(b, 0, g->attacker, attacker_wallet(g), t, 0);
    uint32_t ci = cont_first ? 0 : 1;
    uint64_t fee = cs_gen_fee(g, b, cs_gen_rate(g) * 2);
    if (v < p + fee + 100000) return; /* cannot happen for v >= 1M; stays dormant */
    b->out[ci].value = v - p - fee;
    cs_gen_emit(g, b);
    book(g, b);
    uint32_t cont = b->out[ci].utxo;
    if (ev->hops > 1)
        push_ev(g, after(g, 1, 3), cont, EV_PEEL, ev->hops - 1, ev->end);
    else
        end_fate(g, cont, ev->end);
}

static void to_mixer(struct cs_gen *g, const struct cs_gen_hevent *ev)
{
    struct cs_gen_build *b = &g->b;
    cs_gen_build_init(g, b, g->attacker);
    cs_gen_add_in(g, b, ev->utxo);
    cs_gen_add_fresh(b, 0, g->mixer, g->ent[g->mixer].wallet[CS_GEN_W_DEP], CS_GEN_P2WPKH, 0);
    uint64_t fee = cs_gen_fee(g, b, cs_gen_rate(g) * 2);
    if (g->utxo[ev->utxo].value < fee + 10000) return; /* dust: stays dormant */
    b->out[0].value = g->utxo[ev->utxo].value - fee;
    cs_gen_emit(g, b);
    book(g, b);
}

static void to_bridge(struct cs_gen *g, const struct cs_gen_hevent *ev)
{
    uint64_t v = g->utxo[ev->utxo].value;
    struct cs_gen_build *b = &g->b;
    cs_gen_build_init(g, b, g->attacker);
    cs_gen_add_in(g, b, ev->utxo);
    char memo[100];
    cs_gen_swap_memo(g, memo, sizeof memo, 1);
    cs_gen_add_out(g, b, 0, cs_gen_fixed_addr(g, g->bridge, CS_GEN_A_HOT, CS_GEN_P2WPKH));
    cs_gen_set_opreturn(b, (const uint8_t *)memo, strlen(memo));
    cs_gen_add_out(g, b, 0, CS_GEN_NONE);
    int change = cs_gen_chance(&g->rng, 0.2);
    if (change) cs_gen_add_fresh(b, 0, g->attacker, attacker_wallet(g), attacker_type(g), 0);
    uint64_t fee = cs_gen_fee(g, b, cs_gen_rate(g) * 2);
    if (v < 2 * fee + 40000) return; /* dust: stays dormant */
    if (change) {
        uint64_t keep = (uint64_t)((double)v * (0.1 + 0.3 * cs_gen_unit(&g->rng)));
        b->out[2].value = keep;
        b->out[0].value = v - keep - fee;
    } else {
        b->out[0].value = v - fee;
    }
    cs_gen_emit(g, b);
    book(g, b);
}

uint32_t cs_gen_heist_step(struct cs_gen *g)
{
    struct cs_gen_heist *h = &g->h;
    uint64_t before = g->chain_txs;
    if (!h->done && (g->height + 2 == h->drain_height || g->height + 6 == h->drain_height))
        cs_gen_ex_cold_move(g, g->victim, 1);
    if (!h->done && g->height >= h->drain_height && g->height + 5 < h->last_height) {
        if (drain(g)) {
            h->done = 1;
            h->drain_height = g->height;
        } else {
            cs_gen_ex_cold_move(g, g->victim, 1);
        }
    }
    uint32_t keep = 0, n = h->nev;
    for (uint32_t i = 0; i < n; i++) {
        struct cs_gen_hevent ev = h->ev[i];
        if (ev.height > g->height) {
            h->ev[keep++] = ev;
            continue;
        }
        switch (ev.type) {
        case EV_SPLIT:
            split(g, &ev);
            break;
        case EV_PEEL:
            peel(g, &ev);
            break;
        case EV_MIX:
            to_mixer(g, &ev);
            break;
        case EV_BRIDGE:
            to_bridge(g, &ev);
            break;
        case EV_CJ:
            h->cj_utxo = ev.utxo;
            h->cj_height = g->height;
            break;
        }
    }
    /* events pushed while processing sit after index n: keep them too */
    for (uint32_t i = n; i < h->nev; i++)
        h->ev[keep++] = h->ev[i];
    h->nev = keep;
    if (h->cj_utxo != CS_GEN_NONE) {
        uint64_t v = g->utxo[h->cj_utxo].value;
        uint32_t dep = g->ent[g->attacker].wallet[CS_GEN_W_DEP];
        if (cs_gen_wasabi_round(g, h->cj_utxo, g->attacker, dep)) {
            dest_add(g, CS_GEN_NONE, v);
            h->cj_amount = v;
            h->cj_utxo = CS_GEN_NONE;
            h->txs++;
        }
    }
    return (uint32_t)(g->chain_txs - before);
}

int cs_gen_heist_write(struct cs_gen *g, const char *path)
{
    struct cs_gen_heist *h = &g->h;
    if (!h->done)
        return cs_error(CS_EUSAGE, "heist: the victim's cold wallet was never drained (chain too "
                                   "short; use a larger --txs)");
    const struct cs_gen_wallet *w = &g->wal[attacker_wallet(g)];
    uint64_t dsum = 0, usum = 0;
    for (uint32_t i = 0; i < h->ndest; i++)
        dsum += h->dest[i].amount;
    for (uint32_t k = 0; k < w->n; k++)
        usum += g->utxo[w->utxo[k]].value;
    if (h->stolen != dsum + usum + h->fees)
        BUG("heist truth does not add up: stolen %llu != %llu + %llu + %llu",
            (unsigned long long)h->stolen, (unsigned long long)dsum, (unsigned long long)usum,
            (unsigned long long)h->fees);
    FILE *f = fopen(path, "wb");
    if (!f) return cs_error(CS_EIO, "%s: cannot create: %s", path, strerror(errno));
    char txid[65], addr[96];
    cs_hex_rev(txid, h->drain_txid);
    fprintf(f, "{\"victim\":\"%s\",\"drain_txid\":\"%s\",\"drain_height\":%u,\"seed\":[",
            g->ent[g->victim].name, txid, h->drain_height);
    for (uint32_t j = 0; j < h->nseed; j++)
        fprintf(f, "%s{\"txid\":\"%s\",\"vout\":%u}", j ? "," : "", txid, h->seed_vout[j]);
    fprintf(f, "],\"stolen\":%llu,\"destinations\":[", (unsigned long long)h->stolen);
    for (uint32_t i = 0; i < h->ndest; i++) {
        const char *name = "coinjoin", *cat = "mixer";
        if (h->dest[i].entity != CS_GEN_NONE) {
            const struct cs_gen_entity *e = &g->ent[h->dest[i].entity];
            name = e->name;
            cat = e->kind == CS_GEN_EXCHANGE ? "exchange"
                  : e->kind == CS_GEN_MIXER  ? "mixer"
                                             : "bridge";
        }
        fprintf(f, "%s{\"entity\":\"%s\",\"category\":\"%s\",\"amount\":%llu}", i ? "," : "", name,
                cat, (unsigned long long)h->dest[i].amount);
    }
    fprintf(f, "],\"unspent\":[");
    for (uint32_t k = 0; k < w->n; k++) {
        const struct cs_gen_utxo *x = &g->utxo[w->utxo[k]];
        cs_hex_rev(txid, x->txid);
        cs_gen_addr_str(g, x->addr, addr);
        fprintf(f, "%s{\"address\":\"%s\",\"outpoint\":\"%s:%u\",\"amount\":%llu}", k ? "," : "",
                addr, txid, x->vout, (unsigned long long)x->value);
    }
    fprintf(f, "],\"fees\":%llu,\"attacker\":\"%s\",\"attacker_txs\":%u}\n",
            (unsigned long long)h->fees, g->ent[g->attacker].name, h->txs);
    if (fclose(f) != 0) return cs_error(CS_EIO, "%s: write failed: %s", path, strerror(errno));
    return 0;
}
