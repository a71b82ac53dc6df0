/* evm_truth.c — truth/heist.json: the taint of the Bybit-style drain under
 * the four account-model policies (poison, haircut, FIFO, LIFO) of
 * docs/METHODS.md §1.6, computed by the generator itself, independently of
 * src/trace (tests/cli/evm_heist_ref.py is the third, in Python).
 *
 * evm_chain.c calls evm_truth_move() for every movement it books, in the
 * ingest's order and before the balances change, so a holder's balance here
 * is always the generator's.  Only holders that ever received taint under a
 * policy have lots (a slot: per policy and asset a balance, a tainted part
 * and, for FIFO/LIFO, the queue of pure segments); every other holder is all
 * clean with the generator's balance, and is given lots, one clean segment
 * per asset, the moment taint first reaches it.
 *
 * Readings of §1.6 chosen here (README.md, "heist.json"):
 * - the taken FIFO/LIFO segments keep the sender's arrival order, so the
 *   receiver appends them oldest first, whichever end they were taken from;
 *   a swap scales the chosen sent asset's segments in that same order;
 * - "E holds taint" (the swap condition) is a tainted part > 0 in some asset
 *   before the tx's first movement;
 * - poisoning-marked movements (a zero-value token transfer, a look-alike
 *   sender or receiver, a fake token) are never part of a swap; their
 *   tainted part is dropped, the receiver credited clean, and they are
 *   counted when sender or receiver is a followed holder;
 * - a swap replaces the initiator's movements only: the counterparty (a
 *   pool) is never a followed holder here, so its balance is the ledger's.
 *
 * Cost: O(1) per movement between untracked holders (two flag tests);
 * segment work only on followed holders, of which there are a few hundred. */
#include <stdlib.h>
#include <string.h>

#include "evm_gen.h"
#include "util/error.h"
#include "util/u256.h"

enum { P_POISON, P_HAIRCUT, P_FIFO, P_LIFO, NPOL };
static const char *const POLNAME[NPOL] = {"poison", "haircut", "fifo", "lifo"};

struct seg {
    u128 amt;
    uint8_t tainted;
};

struct segs {
    struct seg *s;
    size_t n, cap;
};

struct lots {
    u128 bal, taint;
    uint8_t poisoned;
    struct segs q; /* fifo/lifo: oldest first, from q.s[head] */
    size_t head;
};

struct slot {
    uint32_t acct;
    struct lots l[NPOL][EA_N];
};

struct buf {
    char *p;
    size_t n, cap;
};

struct swapctx {
    int active, booked;
    u128 net_out[EA_N], net_in[EA_N];
};

struct pol {
    u128 seed[EA_N], sin[EA_N], sout[EA_N], fees[EA_N], burned[EA_N], dropped[EA_N];
    u128 *sink; /* entity x EA_N */
    uint32_t sinkcap;
    uint64_t poisoning;
    struct buf swaps;
    int nswaps;
    struct swapctx sw;
};

struct truth {
    struct slot *slot;
    uint32_t nslot, capslot;
    struct pol pol[NPOL];
    int order[EA_N]; /* assets ETH first, then by contract address */
    struct buf seeds, seed_txs;
    int nseeds, nseed_txs;
    uint8_t last_seed_tx[32];
    struct segs take, sent[EA_N];
};

static struct truth *TR(struct evm_gen *g)
{
    return g->truth;
}

/* ---- small helpers ---- */

static struct cs_u256 w(u128 v)
{
    struct cs_u256 r = {{(uint64_t)v, (uint64_t)(v >> 64), 0, 0}};
    return r;
}

/* floor(a * b / c), exact; the result fits 128 bits whenever a <= c or b <= c */
static u128 muldiv(u128 a, u128 b, u128 c)
{
    struct cs_u256 A = w(a), B = w(b), C = w(c), q;
    if (cs_u256_muldiv(&q, &A, &B, &C) || q.w[2] || q.w[3]) BUG("muldiv out of range");
    return (u128)q.w[0] | ((u128)q.w[1] << 64);
}

/* a/b > c/d, exactly (b, d > 0) */
static int frac_gt(u128 a, u128 b, u128 c, u128 d)
{
    struct cs_u256 A = w(a), B = w(b), C = w(c), D = w(d), x, y;
    if (cs_u256_mul(&x, &A, &D) || cs_u256_mul(&y, &C, &B)) BUG("fraction overflow");
    return cs_u256_cmp(&x, &y) > 0;
}

static void buf_add(struct buf *b, const char *s, size_t k)
{
    if (b->n + k + 1 > b->cap) {
        b->cap = (b->n + k + 1) * 2;
        b->p = cs_xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, k);
    b->n += k;
    b->p[b->n] = 0;
}

static void buf_str(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void buf_amt(struct buf *b, u128 v)
{
    char t[40];
    size_t k = evm_u128_dec(t, v);
    buf_add(b, "\"", 1);
    buf_add(b, t, k);
    buf_add(b, "\"", 1);
}

static void buf_hex32(struct buf *b, const uint8_t h[32])
{
    static const char H[] = "0123456789abcdef";
    char t[69];
    t[0] = '"';
    t[1] = '0';
    t[2] = 'x';
    for (int i = 0; i < 32; i++) {
        t[3 + 2 * i] = H[h[i] >> 4];
        t[4 + 2 * i] = H[h[i] & 15];
    }
    t[67] = '"';
    buf_add(b, t, 68);
}

static const char *asset_key(struct evm_gen *g, int a)
{
    return a == EA_ETH ? "ETH" : g->acct[g->tok[a]].hex;
}

static void segs_push(struct segs *q, u128 amt, int tainted)
{
    if (!amt) return;
    if (q->n && q->s[q->n - 1].tainted == tainted) {
        q->s[q->n - 1].amt += amt;
        return;
    }
    if (q->n == q->cap) {
        q->cap = q->cap ? 2 * q->cap : 8;
        q->s = cs_xrealloc(q->s, q->cap * sizeof *q->s);
    }
    q->s[q->n].amt = amt;
    q->s[q->n].tainted = (uint8_t)tainted;
    q->n++;
}

/* ---- lots ---- */

static int holds_taint(struct truth *T, const struct evm_acct *a, int p)
{
    if (!(a->tmask & (1u << p))) return 0;
    const struct slot *s = &T->slot[a->tslot - 1];
    for (int k = 0; k < EA_N; k++)
        if (s->l[p][k].taint) return 1;
    return 0;
}

static struct lots *lots_of(struct evm_gen *g, uint32_t acct, int p, int asset)
{
    struct evm_acct *a = &g->acct[acct];
    if (!acct || !(a->tmask & (1u << p))) return NULL;
    return &TR(g)->slot[a->tslot - 1].l[p][asset];
}

/* acct starts being followed under p: its current balances are clean lots */
static void track(struct evm_gen *g, uint32_t acct, int p)
{
    struct truth *T = TR(g);
    struct evm_acct *a = &g->acct[acct];
    if (a->tmask & (1u << p)) return;
    if (!a->tslot) {
        if (T->nslot == T->capslot) {
            T->capslot = T->capslot ? 2 * T->capslot : 64;
            T->slot = cs_xrealloc(T->slot, T->capslot * sizeof *T->slot);
        }
        memset(&T->slot[T->nslot], 0, sizeof *T->slot);
        T->slot[T->nslot].acct = acct;
        a->tslot = ++T->nslot;
    }
    a->tmask |= (uint8_t)(1u << p);
    for (int k = 0; k < EA_N; k++) {
        struct lots *L = &T->slot[a->tslot - 1].l[p][k];
        L->bal = a->bal[k];
        if (p >= P_FIFO) segs_push(&L->q, a->bal[k], 0);
    }
}

/* Debits x from L (NULL: an all-clean holder); the taken segments (fifo,
 * lifo) go to *out in the sender's arrival order.  Returns the tainted part. */
static u128 debit(struct lots *L, int p, u128 x, struct segs *out)
{
    out->n = 0;
    if (!L) {
        segs_push(out, x, 0);
        return 0;
    }
    if (L->bal < x) BUG("truth ledger: debit above the balance");
    u128 t = 0;
    if (p == P_POISON) {
        t = L->poisoned ? x : 0;
        L->bal -= x;
        L->taint = L->poisoned ? L->bal : 0;
        segs_push(out, x, t != 0);
        return t;
    }
    if (p == P_HAIRCUT) {
        t = L->bal ? muldiv(x, L->taint, L->bal) : 0;
        L->bal -= x;
        L->taint -= t;
        segs_push(out, x - t, 0); /* segments are not used under haircut */
        return t;
    }
    struct segs *q = &L->q;
    u128 left = x;
    if (p == P_FIFO) {
        while (left) {
            if (L->head >= q->n) BUG("truth ledger: segments below the balance");
            struct seg *s = &q->s[L->head];
            u128 part = s->amt < left ? s->amt : left;
            segs_push(out, part, s->tainted);
            if (s->tainted) t += part;
            s->amt -= part;
            left -= part;
            if (!s->amt) L->head++;
        }
        if (L->head == q->n) /* emptied: a later credit must not merge into a spent slot */
            L->head = q->n = 0;
        if (L->head > 64 && L->head * 2 > q->n) { /* compact */
            memmove(q->s, q->s + L->head, (q->n - L->head) * sizeof *q->s);
            q->n -= L->head;
            L->head = 0;
        }
    } else {
        size_t first = out->n;
        while (left) {
            if (q->n <= L->head) BUG("truth ledger: segments below the balance");
            struct seg *s = &q->s[q->n - 1];
            u128 part = s->amt < left ? s->amt : left;
            /* pushed newest first, reversed below; no merging across */
            if (out->n == out->cap) {
                out->cap = out->cap ? 2 * out->cap : 8;
                out->s = cs_xrealloc(out->s, out->cap * sizeof *out->s);
            }
            out->s[out->n].amt = part;
            out->s[out->n].tainted = s->tainted;
            out->n++;
            if (s->tainted) t += part;
            s->amt -= part;
            left -= part;
            if (!s->amt) q->n--;
        }
        for (size_t i = first, j = out->n ? out->n - 1 : 0; i < j; i++, j--) {
            struct seg tmp = out->s[i];
            out->s[i] = out->s[j];
            out->s[j] = tmp;
        }
    }
    L->bal -= x;
    L->taint -= t;
    return t;
}

/* Credits x of which t tainted (segs: the pieces, fifo/lifo) */
static void credit(struct lots *L, int p, u128 x, u128 t, const struct segs *in)
{
    L->bal += x;
    if (p == P_POISON) {
        if (t) L->poisoned = 1;
        L->taint = L->poisoned ? L->bal : 0;
    } else if (p == P_HAIRCUT) {
        L->taint += t;
    } else {
        u128 sum = 0, ts = 0;
        for (size_t i = 0; in && i < in->n; i++) {
            segs_push(&L->q, in->s[i].amt, in->s[i].tainted);
            sum += in->s[i].amt;
            if (in->s[i].tainted) ts += in->s[i].amt;
        }
        if (!in) {
            segs_push(&L->q, x - t, 0);
            segs_push(&L->q, t, 1);
            sum = x;
            ts = t;
        }
        if (sum != x || ts != t) BUG("truth ledger: credit segments do not add up");
        L->taint += t;
    }
}

/* ---- classification ---- */

static int is_stop(const struct evm_gen *g, uint32_t a)
{
    const struct evm_acct *x = &g->acct[a];
    if (!a || g->ent[x->entity].sink == SINK_NONE) return 0;
    return x->role == R_HOT || x->role == R_DEPOSIT || x->role == R_MIXER || x->role == R_ROUTER ||
           x->role == R_VAULT || x->role == R_BRIDGE;
}

static int is_poisoning(const struct evm_gen *g, uint32_t from, uint32_t to, int asset, u128 amount,
                        int kind)
{
    if (kind == MV_TIP || kind == MV_BURN || kind == MV_WITHDRAWAL) return 0;
    if (!amount) return kind == MV_LOG; /* a zero-value token transfer; zero ETH moves nothing */
    if (asset == EA_FAKE_USDT || asset == EA_FAKE_USDC) return 1;
    return (from && g->acct[from].role == R_LOOKALIKE) || (to && g->acct[to].role == R_LOOKALIKE);
}

static void sink_add(struct evm_gen *g, struct pol *P, uint32_t ent, int asset, u128 v)
{
    if (ent >= P->sinkcap) {
        uint32_t nc = g->nent + 64;
        P->sink = cs_xrealloc(P->sink, (size_t)nc * EA_N * sizeof(u128));
        memset(P->sink + (size_t)P->sinkcap * EA_N, 0,
               (size_t)(nc - P->sinkcap) * EA_N * sizeof(u128));
        P->sinkcap = nc;
    }
    P->sink[(size_t)ent * EA_N + (size_t)asset] += v;
}

/* ---- the swap of one tx under one policy ---- */

static void book_swap(struct evm_gen *g, const struct evm_tx *t, int p)
{
    struct truth *T = TR(g);
    struct pol *P = &T->pol[p];
    struct swapctx *S = &P->sw;
    uint32_t E = t->from;
    u128 ta[EA_N] = {0}, ra[EA_N] = {0};
    int best = -1;
    for (int i = 0; i < EA_N; i++) {
        int a = T->order[i];
        if (!S->net_out[a]) continue;
        ta[a] = debit(lots_of(g, E, p, a), p, S->net_out[a], &T->sent[a]);
        P->sout[a] += ta[a];
        if (best < 0 || frac_gt(ta[a], S->net_out[a], ta[best], S->net_out[best])) best = a;
    }
    for (int i = 0; i < EA_N; i++) {
        int b = T->order[i];
        u128 R = S->net_in[b];
        if (!R) continue;
        u128 sa = S->net_out[best], tb;
        struct lots *L = lots_of(g, E, p, b);
        if (!L) BUG("swap by a holder without lots");
        if (p == P_POISON || p == P_HAIRCUT) {
            tb = p == P_POISON ? (ta[best] ? R : 0) : muldiv(R, ta[best], sa);
            credit(L, p, R, tb, NULL);
        } else {
            struct segs *in = &T->take;
            in->n = 0;
            u128 c = 0, prev = 0;
            tb = 0;
            for (size_t k = 0; k < T->sent[best].n; k++) {
                c += T->sent[best].s[k].amt;
                u128 end = muldiv(R, c, sa);
                segs_push(in, end - prev, T->sent[best].s[k].tainted);
                if (T->sent[best].s[k].tainted) tb += end - prev;
                prev = end;
            }
            credit(L, p, R, tb, in);
        }
        ra[b] = tb;
        P->sin[b] += tb;
    }
    /* the record */
    struct buf *o = &P->swaps;
    buf_str(o, P->nswaps++ ? ",\n{\"tx\":" : "\n{\"tx\":");
    buf_hex32(o, t->hash);
    buf_str(o, ",\"holder\":\"");
    buf_str(o, g->acct[E].hex);
    buf_str(o, "\",\"sent\":[");
    for (int pass = 0; pass < 2; pass++) {
        int first = 1;
        for (int i = 0; i < EA_N; i++) {
            int a = T->order[i];
            u128 v = pass ? S->net_in[a] : S->net_out[a];
            if (!v) continue;
            buf_str(o, first ? "{\"asset\":\"" : ",{\"asset\":\"");
            first = 0;
            buf_str(o, asset_key(g, a));
            buf_str(o, "\",\"amount\":");
            buf_amt(o, v);
            buf_str(o, ",\"tainted\":");
            buf_amt(o, pass ? ra[a] : ta[a]);
            buf_str(o, "}");
        }
        buf_str(o, pass ? "]}" : "],\"received\":[");
    }
    S->booked = 1;
}

/* ---- the hooks ---- */

void evm_truth_start(struct evm_gen *g)
{
    struct truth *T = cs_xcalloc(1, sizeof *T);
    g->truth = T;
    /* asset order: ETH, then the token contracts by address */
    int n = 0;
    T->order[n++] = EA_ETH;
    for (int a = 1; a < EA_N; a++) {
        int i = n++;
        while (i > 1 &&
               memcmp(g->acct[g->tok[T->order[i - 1]]].addr, g->acct[g->tok[a]].addr, 20) > 0) {
            T->order[i] = T->order[i - 1];
            i--;
        }
        T->order[i] = a;
    }
}

/* the non-fee movements of t, as evm_tx_commit books them */
static void net_of(const struct evm_gen *g, const struct evm_tx *t, uint32_t E, u128 *in, u128 *out)
{
    u128 rcv[EA_N] = {0}, snt[EA_N] = {0};
#define NET(f_, t_, a_, v_, k_)                                                                    \
    do {                                                                                           \
        if ((v_) && !is_poisoning(g, f_, t_, a_, v_, k_)) {                                        \
            if ((f_) == E) snt[a_] += (v_);                                                        \
            if ((t_) == E) rcv[a_] += (v_);                                                        \
        }                                                                                          \
    } while (0)
    if (!t->failed) {
        NET(t->from, t->create ? t->created : t->to, EA_ETH, t->value, MV_VALUE);
        for (int i = 0; i < t->nfr; i++) {
            const struct evm_frame *f = &t->fr[i];
            if (!f->reverted &&
                (!strcmp(f->trace_type, "create") || !strcmp(f->trace_type, "suicide") ||
                 !strcmp(f->call_type, "call")))
                NET(f->from, f->to, EA_ETH, f->value, MV_FRAME);
        }
        for (int i = 0; i < t->nlg; i++) {
            const struct evm_log *l = &t->lg[i];
            if (l->kind == 1) NET(l->from, l->to, l->asset, l->value, MV_LOG);
            if (l->kind == 2) NET(0u, l->to, EA_WETH, l->value, MV_LOG);
            if (l->kind == 3) NET(l->from, 0u, EA_WETH, l->value, MV_LOG);
        }
    }
#undef NET
    for (int a = 0; a < EA_N; a++) {
        in[a] = rcv[a] > snt[a] ? rcv[a] - snt[a] : 0;
        out[a] = snt[a] > rcv[a] ? snt[a] - rcv[a] : 0;
    }
}

void evm_truth_tx_begin(struct evm_gen *g, const struct evm_tx *t)
{
    struct truth *T = TR(g);
    const struct evm_acct *E = &g->acct[t->from];
    int computed = 0;
    u128 in[EA_N], out[EA_N];
    for (int p = 0; p < NPOL; p++) {
        struct swapctx *S = &T->pol[p].sw;
        S->active = S->booked = 0;
        if (!holds_taint(T, E, p)) continue;
        if (!computed) {
            net_of(g, t, t->from, in, out);
            computed = 1;
        }
        int nin = 0, nout = 0;
        for (int a = 0; a < EA_N; a++) {
            nin += in[a] != 0;
            nout += out[a] != 0;
        }
        if (!nin || !nout) continue;
        S->active = 1;
        memcpy(S->net_in, in, sizeof in);
        memcpy(S->net_out, out, sizeof out);
    }
}

static void seed_record(struct evm_gen *g, const struct evm_tx *t, uint32_t to, int asset, u128 v)
{
    struct truth *T = TR(g);
    buf_str(&T->seeds, T->nseeds++ ? ",\n{\"tx\":" : "\n{\"tx\":");
    buf_hex32(&T->seeds, t->hash);
    buf_str(&T->seeds, ",\"to\":\"");
    buf_str(&T->seeds, g->acct[to].hex);
    buf_str(&T->seeds, "\",\"asset\":\"");
    buf_str(&T->seeds, asset_key(g, asset));
    buf_str(&T->seeds, "\",\"symbol\":\"");
    buf_str(&T->seeds, g->tok_symbol[asset]);
    buf_str(&T->seeds, "\",\"amount\":");
    buf_amt(&T->seeds, v);
    buf_str(&T->seeds, "}");
    if (!T->nseed_txs || memcmp(T->last_seed_tx, t->hash, 32)) {
        buf_str(&T->seed_txs, T->nseed_txs++ ? "," : "");
        buf_hex32(&T->seed_txs, t->hash);
        memcpy(T->last_seed_tx, t->hash, 32);
    }
}

void evm_truth_move(struct evm_gen *g, const struct evm_tx *t, uint32_t from, uint32_t to,
                    int asset, u128 amount, int kind)
{
    struct truth *T = TR(g);
    const struct evm_acct *fa = &g->acct[from], *da = &g->acct[to];
    int poisoning = is_poisoning(g, from, to, asset, amount, kind);
    int seed = t && t->seed && to && amount && kind <= MV_LOG;
    if (!amount && !poisoning) return;
    if (!seed && !(from && fa->tmask) && !(to && da->tmask)) {
        /* nobody followed: all clean, nothing to book, unless a swap's
         * initiator (followed, so never here) */
        return;
    }
    if (seed) {
        if (is_stop(g, to)) BUG("a seed at a stopping account");
        seed_record(g, t, to, asset, amount);
    }
    for (int p = 0; p < NPOL; p++) {
        struct pol *P = &T->pol[p];
        int ffol = from && (fa->tmask & (1u << p)), tfol = to && (da->tmask & (1u << p));
        if (poisoning) {
            if (ffol || tfol) P->poisoning++;
            if (!amount) continue;
        }
        if (P->sw.active && !poisoning && kind <= MV_LOG &&
            ((from == t->from && from) || (to == t->from && to)) &&
            (P->sw.net_in[asset] || P->sw.net_out[asset])) {
            if (!P->sw.booked) book_swap(g, t, p);
            continue; /* replaced by the swap booking */
        }
        if (!ffol && !tfol && !seed) continue;
        u128 tp = debit(ffol ? lots_of(g, from, p, asset) : NULL, p, amount, &T->take);
        if (seed) {
            track(g, to, p);
            struct lots *L = lots_of(g, to, p, asset);
            credit(L, p, amount, 0, &T->take);
            /* mark the newest funds, the amount just received, tainted */
            if (p == P_POISON) {
                L->poisoned = 1;
                L->taint = L->bal;
            } else if (p == P_HAIRCUT) {
                L->taint += amount;
                if (L->taint > L->bal) BUG("seed above the balance");
            } else {
                struct segs *q = &L->q;
                if (!q->n || q->s[q->n - 1].tainted || q->s[q->n - 1].amt < amount)
                    BUG("seed segment");
                q->s[q->n - 1].amt -= amount;
                if (!q->s[q->n - 1].amt) q->n--;
                segs_push(q, amount, 1);
                L->taint += amount;
            }
            P->seed[asset] += amount;
            continue;
        }
        if (kind == MV_TIP || kind == MV_BURN) {
            P->fees[asset] += tp;
            if (tfol) credit(lots_of(g, to, p, asset), p, amount, 0, NULL);
        } else if (poisoning) {
            P->dropped[asset] += tp;
            if (tfol) credit(lots_of(g, to, p, asset), p, amount, 0, NULL);
        } else if (!to) {
            P->burned[asset] += tp;
        } else if (is_stop(g, to)) {
            sink_add(g, P, da->entity, asset, tp);
        } else {
            if (tp && !tfol) track(g, to, p);
            struct lots *L = lots_of(g, to, p, asset);
            if (L) credit(L, p, amount, tp, p >= P_FIFO ? &T->take : NULL);
        }
    }
}

/* ---- the end: checks and heist.json ---- */

struct row {
    const char *k1;
    int asset;
    u128 v;
    uint32_t ent;
};

static const int *ORDER_RANK;

static int row_cmp(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    int c = strcmp(x->k1, y->k1);
    if (c) return c;
    return ORDER_RANK[x->asset] - ORDER_RANK[y->asset];
}

static void out_list(struct evm_gen *g, struct evm_out *o, const char *name, const u128 *v)
{
    struct truth *T = TR(g);
    evm_out_str(o, ",\n  \"");
    evm_out_str(o, name);
    evm_out_str(o, "\":[");
    int first = 1;
    for (int i = 0; i < EA_N; i++) {
        int a = T->order[i];
        if (!v[a]) continue;
        evm_out_str(o, first ? "{\"asset\":\"" : ",{\"asset\":\"");
        first = 0;
        evm_out_str(o, asset_key(g, a));
        evm_out_str(o, "\",\"amount\":\"");
        evm_out_u128(o, v[a]);
        evm_out_str(o, "\"}");
    }
    evm_out_ch(o, ']');
}

int evm_truth_finish(struct evm_gen *g)
{
    struct truth *T = TR(g);
    char path[4400];
    snprintf(path, sizeof path, "%s/truth/heist.json", g->out);
    struct evm_out o = {0};
    o.f = fopen(path, "w");
    if (!o.f) return cs_error(CS_EIO, "%s: cannot create", path);
    o.buf = cs_xmalloc(1u << 20);
    o.cap = 1u << 20;
    if (!T) {
        evm_out_str(&o, "{\"chain\":\"eth\",\"scenario\":\"none\"}\n");
        goto done;
    }
    int rank[EA_N];
    for (int i = 0; i < EA_N; i++)
        rank[T->order[i]] = i;
    ORDER_RANK = rank;
    /* every followed holder's lots equal its balance */
    for (uint32_t s = 0; s < T->nslot; s++) {
        const struct evm_acct *a = &g->acct[T->slot[s].acct];
        for (int p = 0; p < NPOL; p++) {
            if (!(a->tmask & (1u << p))) continue;
            for (int k = 0; k < EA_N; k++) {
                const struct lots *L = &T->slot[s].l[p][k];
                if (L->bal != a->bal[k])
                    BUG("truth ledger: %s %s balance differs", a->hex, POLNAME[p]);
                if (p >= P_FIFO) {
                    u128 sum = 0, ts = 0;
                    for (size_t i = L->head; i < L->q.n; i++) {
                        sum += L->q.s[i].amt;
                        if (L->q.s[i].tainted) ts += L->q.s[i].amt;
                    }
                    if (sum != L->bal || ts != L->taint)
                        BUG("truth ledger: segments of %s", a->hex);
                }
                if (L->taint > L->bal) BUG("truth ledger: taint above the balance");
            }
        }
    }
    evm_out_str(&o, "{\"chain\":\"eth\",\"seeds\":[");
    evm_out_str(&o, T->seeds.p ? T->seeds.p : "");
    evm_out_str(&o, "],\n\"seed_txs\":[");
    evm_out_str(&o, T->seed_txs.p ? T->seed_txs.p : "");
    evm_out_str(&o, "],\n\"policies\":{");
    size_t cap = (size_t)T->nslot * EA_N + (size_t)g->nent * EA_N + 1;
    struct row *rows = cs_xmalloc(cap * sizeof *rows);
    for (int p = 0; p < NPOL; p++) {
        struct pol *P = &T->pol[p];
        u128 sinks[EA_N] = {0}, front[EA_N] = {0};
        evm_out_str(&o, p ? ",\n\"" : "\n\"");
        evm_out_str(&o, POLNAME[p]);
        evm_out_str(&o, "\":{\n  \"sinks\":[");
        size_t n = 0;
        for (uint32_t e = 0; e < P->sinkcap && e < g->nent; e++)
            for (int a = 0; a < EA_N; a++)
                if (P->sink[(size_t)e * EA_N + (size_t)a]) {
                    rows[n].k1 = g->ent[e].name;
                    rows[n].ent = e;
                    rows[n].asset = a;
                    rows[n++].v = P->sink[(size_t)e * EA_N + (size_t)a];
                    sinks[a] += P->sink[(size_t)e * EA_N + (size_t)a];
                }
        qsort(rows, n, sizeof *rows, row_cmp);
        for (size_t i = 0; i < n; i++) {
            uint8_t sk = g->ent[rows[i].ent].sink;
            evm_out_str(&o, i ? ",\n    {\"entity\":\"" : "\n    {\"entity\":\"");
            evm_out_str(&o, rows[i].k1);
            evm_out_str(&o, "\",\"category\":\"");
            evm_out_str(&o, sk == SINK_EXCHANGE ? "exchange"
                            : sk == SINK_MIXER  ? "mixer"
                                                : "bridge");
            evm_out_str(&o, "\",\"asset\":\"");
            evm_out_str(&o, asset_key(g, rows[i].asset));
            evm_out_str(&o, "\",\"amount\":\"");
            evm_out_u128(&o, rows[i].v);
            evm_out_str(&o, "\"}");
        }
        evm_out_str(&o, "],\n  \"frontier\":[");
        n = 0;
        for (uint32_t s = 0; s < T->nslot; s++) {
            const struct evm_acct *a = &g->acct[T->slot[s].acct];
            if (!(a->tmask & (1u << p))) continue;
            for (int k = 0; k < EA_N; k++)
                if (T->slot[s].l[p][k].taint) {
                    rows[n].k1 = a->hex;
                    rows[n].asset = k;
                    rows[n++].v = T->slot[s].l[p][k].taint;
                    front[k] += T->slot[s].l[p][k].taint;
                }
        }
        qsort(rows, n, sizeof *rows, row_cmp);
        for (size_t i = 0; i < n; i++) {
            evm_out_str(&o, i ? ",\n    {\"address\":\"" : "\n    {\"address\":\"");
            evm_out_str(&o, rows[i].k1);
            evm_out_str(&o, "\",\"asset\":\"");
            evm_out_str(&o, asset_key(g, rows[i].asset));
            evm_out_str(&o, "\",\"amount\":\"");
            evm_out_u128(&o, rows[i].v);
            evm_out_str(&o, "\"}");
        }
        evm_out_ch(&o, ']');
        out_list(g, &o, "fees", P->fees);
        out_list(g, &o, "burned", P->burned);
        out_list(g, &o, "dropped", P->dropped);
        out_list(g, &o, "swapped_in", P->sin);
        out_list(g, &o, "swapped_out", P->sout);
        evm_out_str(&o, ",\n  \"swaps\":[");
        evm_out_str(&o, P->swaps.p ? P->swaps.p : "");
        evm_out_str(&o, "],\n  \"poisoning_ignored\":");
        evm_out_u64(&o, P->poisoning);
        evm_out_ch(&o, '}');
        /* conservation, per asset, for the conservative policies */
        for (int a = 0; p != P_POISON && a < EA_N; a++) {
            u128 lhs = P->seed[a] + P->sin[a];
            u128 rhs = sinks[a] + front[a] + P->fees[a] + P->burned[a] + P->dropped[a] + P->sout[a];
            if (lhs != rhs) {
                char l[40], r[40];
                evm_u128_dec(l, lhs);
                evm_u128_dec(r, rhs);
                BUG("heist.json %s %s: seed + swapped_in %s != %s", POLNAME[p], asset_key(g, a), l,
                    r);
            }
        }
    }
    free(rows);
    evm_out_str(&o, "}}\n");
done:;
    int rc = 0;
    if (o.n && fwrite(o.buf, 1, o.n, o.f) != o.n) rc = cs_error(CS_EIO, "%s: write failed", path);
    if (fclose(o.f) && !rc) rc = cs_error(CS_EIO, "%s: write failed", path);
    free(o.buf);
    if (T) {
        for (uint32_t s = 0; s < T->nslot; s++)
            for (int p = 0; p < NPOL; p++)
                for (int k = 0; k < EA_N; k++)
                    free(T->slot[s].l[p][k].q.s);
        free(T->slot);
        for (int p = 0; p < NPOL; p++) {
            free(T->pol[p].sink);
            free(T->pol[p].swaps.p);
        }
        free(T->seeds.p);
        free(T->seed_txs.p);
        free(T->take.s);
        for (int a = 0; a < EA_N; a++)
            free(T->sent[a].s);
        free(T);
        g->truth = NULL;
    }
    return rc;
}
