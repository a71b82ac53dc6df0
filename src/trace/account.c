/* account.c — the account-model walker of account.h. */
#include <stdlib.h>
#include <string.h>

#include "tags/tags.h"
#include "trace/account.h"
#include "util/error.h"
#include "util/hash.h"

const char *cs_acct_reason_name(int reason)
{
    return reason == CS_ACCT_MAX_HOPS ? "max_hops" : "held";
}

void cs_acct_opts_default(struct cs_acct_opts *o)
{
    memset(o, 0, sizeof *o);
    o->policy = CS_LOTS_HAIRCUT;
    o->max_hops = CS_ACCT_UNLIMITED;
    o->until_block = UINT64_MAX;
    o->stop_mask = (1u << CS_TAG_EXCHANGE) | (1u << CS_TAG_MIXER) | (1u << CS_TAG_BRIDGE) |
                   (1u << CS_TAG_SANCTIONED);
}

int cs_acct_kind_fungible(int kind)
{
    return kind != CS_XK_ERC721 && kind != CS_XK_ERC1155 && kind > 0 && kind < CS_XK_COUNT;
}

static int is_fee(int kind)
{
    return kind == CS_XK_FEE_TIP || kind == CS_XK_FEE_BURN;
}

/* ---- a map from (k1, k2) to an index ---- */

struct map {
    uint64_t *k1, *k2;
    uint32_t *v; /* index + 1; 0 empty */
    size_t cap, n;
};

static size_t map_slot(const struct map *m, uint64_t a, uint64_t b)
{
    uint64_t k[2] = {a, b};
    return (size_t)cs_hash64(k, sizeof k, 0x61636374ULL) & (m->cap - 1);
}

/* index of (a, b), or UINT32_MAX */
static uint32_t map_get(const struct map *m, uint64_t a, uint64_t b)
{
    if (!m->cap) return UINT32_MAX;
    for (size_t j = map_slot(m, a, b);; j = (j + 1) & (m->cap - 1)) {
        if (!m->v[j]) return UINT32_MAX;
        if (m->k1[j] == a && m->k2[j] == b) return m->v[j] - 1;
    }
}

static void map_put(struct map *m, uint64_t a, uint64_t b, uint32_t idx)
{
    if ((m->n + 1) * 2 > m->cap) {
        struct map o = *m;
        m->cap = o.cap ? 2 * o.cap : 256;
        m->k1 = cs_xcalloc(m->cap, sizeof *m->k1);
        m->k2 = cs_xcalloc(m->cap, sizeof *m->k2);
        m->v = cs_xcalloc(m->cap, sizeof *m->v);
        m->n = 0;
        for (size_t i = 0; i < o.cap; i++)
            if (o.v[i]) map_put(m, o.k1[i], o.k2[i], o.v[i] - 1);
        free(o.k1);
        free(o.k2);
        free(o.v);
    }
    size_t j = map_slot(m, a, b);
    while (m->v[j])
        j = (j + 1) & (m->cap - 1);
    m->k1[j] = a;
    m->k2[j] = b;
    m->v[j] = idx + 1;
    m->n++;
}

static void map_free(struct map *m)
{
    free(m->k1);
    free(m->k2);
    free(m->v);
}

/* ---- the walk ---- */

struct holder {
    uint64_t acct;
    uint32_t hop;
    int via_link;
    uint32_t nassets; /* assets it has a balance record in (taint check) */
    uint64_t *assets;
    uint64_t *fut; /* its transfers still to book, ascending */
    size_t nfut, pos;
};

struct qent { /* a queued transfer row and the holder whose cursor it is */
    uint64_t row;
    uint32_t holder; /* UINT32_MAX: a seed */
};

struct assetacc { /* per asset accumulators */
    uint64_t asset;
    struct cs_u256 seed, in, out, fees, burned, dropped, relinked;
};

struct walk {
    const struct cs_evm *s;
    const struct cs_acct_opts *o;
    struct cs_acct_result *r;
    struct cs_lots *lots;
    struct map amap, smap, fmap, tokmarks, seedmap, lookmap;
    struct map linkmap;      /* dep tx -> index of its earliest link */
    struct map wdmap;        /* wd tx -> index + 1 into r->linkhops of the pending one */
    struct cs_acct_link *lk; /* the links, by (dep tx, wd tx) */
    size_t caplh;
    int cur_via;       /* the holder being followed now was reached through a link */
    uint32_t *lh_hops; /* hop of each link's recipient */
    struct holder *h;
    size_t nh, caph;
    struct assetacc *acc;
    size_t nacc, capacc;
    struct qent *heap;
    size_t nheap, capheap;
    uint32_t *hidx;   /* account row -> holder index + 1 (calloc: only touched pages cost) */
    uint64_t row_end; /* rows at and above it are not booked (until_block) */
    uint64_t nacct;
    uint64_t nx;
    size_t capsinks, capfront, capswaps, caplegs;
    uint64_t *scratch;
    size_t nscratch, capscratch;
};

static struct assetacc *acc_of(struct walk *w, uint64_t asset)
{
    uint32_t i = map_get(&w->amap, asset, 0);
    if (i != UINT32_MAX) return &w->acc[i];
    if (w->nacc == w->capacc) {
        w->capacc = w->capacc ? 2 * w->capacc : 16;
        w->acc = cs_xrealloc(w->acc, w->capacc * sizeof *w->acc);
    }
    memset(&w->acc[w->nacc], 0, sizeof w->acc[w->nacc]);
    w->acc[w->nacc].asset = asset;
    map_put(&w->amap, asset, 0, (uint32_t)w->nacc);
    return &w->acc[w->nacc++];
}

static void add(struct cs_u256 *to, const struct cs_u256 *v)
{
    if (cs_u256_add(to, to, v)) BUG("a taint total passes 2^256");
}

static void heap_push(struct walk *w, uint64_t row, uint32_t holder)
{
    if (w->nheap == w->capheap) {
        w->capheap = w->capheap ? 2 * w->capheap : 1024;
        w->heap = cs_xrealloc(w->heap, w->capheap * sizeof *w->heap);
    }
    size_t i = w->nheap++;
    while (i) {
        size_t p = (i - 1) / 2;
        if (w->heap[p].row <= row) break;
        w->heap[i] = w->heap[p];
        i = p;
    }
    w->heap[i] = (struct qent){row, holder};
    if (w->nheap > w->r->peak_pending) w->r->peak_pending = w->nheap;
}

static struct qent heap_pop(struct walk *w)
{
    struct qent top = w->heap[0], last = w->heap[--w->nheap];
    size_t i = 0, n = w->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && w->heap[c + 1].row < w->heap[c].row) c++;
        if (w->heap[c].row >= last.row) break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    if (n) w->heap[i] = last;
    return top;
}

static struct holder *holder_of(struct walk *w, uint64_t acct)
{
    uint32_t i = acct < w->nacct ? w->hidx[acct] : 0;
    return i ? &w->h[i - 1] : NULL;
}

static void holder_asset(struct holder *h, uint64_t asset)
{
    if (h->nassets && h->assets[h->nassets - 1] == asset) return;
    for (uint32_t i = 0; i < h->nassets; i++)
        if (h->assets[i] == asset) return;
    if (!(h->nassets & (h->nassets - 1)) || !h->nassets)
        h->assets = cs_xrealloc(h->assets, (h->nassets ? 2 * h->nassets : 2) * sizeof *h->assets);
    h->assets[h->nassets++] = asset;
}

static int holder_tainted(const struct walk *w, const struct holder *h)
{
    for (uint32_t i = 0; i < h->nassets; i++) {
        struct cs_u256 t;
        cs_lots_get(w->lots, h->acct, h->assets[i], NULL, &t);
        if (!cs_u256_is_zero(&t)) return 1;
    }
    return 0;
}

/* The first row of the tx of row x (or x for a block-level row) and the
 * row after its last. */
static void tx_span(const struct cs_evm *s, uint64_t x, uint64_t *tx, uint64_t *a, uint64_t *b)
{
    uint64_t t = cs_evm_xfer_tx(s, x);
    *tx = t;
    if (t == CS_EVM_NONE) {
        *a = x;
        *b = x + 1;
        return;
    }
    const struct cs_evm_txrec *tr = cs_evm_tx(s, t);
    *a = tr->first_xfer;
    *b = tr->first_xfer + tr->n_xfer;
}

/* Per asset, what account acct received and sent in its fungible transfers
 * below row `below` (signed: a store that starts after genesis can show more
 * out than in); into *b (malloc'd), returning the count.  With fut, its rows
 * from `from` to the end of the walk are collected too, newest first, per
 * list (fut[0] sent, fut[1] received).  O(its history). */
struct bal {
    uint64_t asset;
    struct cs_u256 in, out;
};

static size_t history(struct walk *w, uint64_t acct, uint64_t below, uint64_t from, struct bal **bp,
                      uint64_t *fut[2], size_t nf[2])
{
    struct bal *b = NULL;
    size_t nb = 0, capb = 0, capf[2] = {0, 0};
    for (int dir = 0; dir < 2; dir++) {
        uint64_t r = dir ? cs_evm_in_head(w->s, acct) : cs_evm_out_head(w->s, acct);
        while (r != CS_EVM_NONE) {
            w->r->history_rows++;
            const struct cs_evm_xferrec *xr = cs_evm_xfer(w->s, r);
            if (fut && r >= from && r < w->row_end) {
                if (nf[dir] == capf[dir])
                    fut[dir] = cs_xrealloc(fut[dir], (capf[dir] = capf[dir] ? 2 * capf[dir] : 16) *
                                                         sizeof *fut[dir]);
                fut[dir][nf[dir]++] = r;
            } else if (r < below && cs_acct_kind_fungible(xr->kind) &&
                       !(xr->from == acct && xr->to == acct)) {
                size_t i = 0;
                while (i < nb && b[i].asset != xr->asset)
                    i++;
                if (i == nb) {
                    if (nb == capb) b = cs_xrealloc(b, (capb = capb ? 2 * capb : 8) * sizeof *b);
                    memset(&b[nb], 0, sizeof b[nb]);
                    b[nb++].asset = xr->asset;
                }
                struct cs_u256 v;
                cs_evm_xfer_amount(w->s, r, &v);
                add(dir ? &b[i].in : &b[i].out, &v);
            }
            r = dir ? cs_evm_in_next(w->s, r) : cs_evm_out_next(w->s, r);
        }
    }
    *bp = b;
    return nb;
}

/* Starts following acct at row x (its balance from its rows below x); its
 * rows at and above `from` are queued. */
static int follow(struct walk *w, uint64_t acct, uint64_t x, uint64_t from, uint32_t hop)
{
    if (w->nh == w->caph) {
        w->caph = w->caph ? 2 * w->caph : 256;
        w->h = cs_xrealloc(w->h, w->caph * sizeof *w->h);
    }
    struct holder *h = &w->h[w->nh];
    memset(h, 0, sizeof *h);
    h->acct = acct;
    h->hop = hop;
    h->via_link = w->cur_via;
    if (w->nh >= UINT32_MAX - 1) BUG("more than 2^32 followed holders");
    uint32_t hi = (uint32_t)w->nh++;
    w->hidx[acct] = hi + 1;
    w->r->holders++;
    /* its balance before x and its rows to come (out-list and in-list,
     * each newest first, merged below) */
    uint64_t *fut[2] = {NULL, NULL};
    size_t nf[2] = {0, 0};
    struct bal *b = NULL;
    size_t nb = history(w, acct, x, from, &b, fut, nf);
    h = &w->h[hi];
    h->fut = cs_xmalloc((nf[0] + nf[1] + 1) * sizeof *h->fut);
    size_t i0 = nf[0], i1 = nf[1];
    while (i0 || i1) { /* ascending: take the smaller of the two oldest */
        uint64_t v;
        if (!i1 || (i0 && fut[0][i0 - 1] < fut[1][i1 - 1]))
            v = fut[0][--i0];
        else if (!i0 || fut[1][i1 - 1] < fut[0][i0 - 1])
            v = fut[1][--i1];
        else /* a transfer to itself is in both lists */
            v = fut[0][--i0], --i1;
        h->fut[h->nfut++] = v;
    }
    free(fut[0]);
    free(fut[1]);
    if (h->nfut) heap_push(w, h->fut[0], hi);
    int rc = 0;
    for (size_t i = 0; i < nb && !rc; i++) {
        struct cs_u256 v;
        holder_asset(&w->h[hi], b[i].asset);
        if (cs_u256_cmp(&b[i].in, &b[i].out) <= 0) continue;
        if (cs_u256_sub(&v, &b[i].in, &b[i].out)) BUG("underflow");
        struct cs_u256 z = {{0}};
        rc = cs_lots_credit(w->lots, acct, b[i].asset, &v, &z);
    }
    free(b);
    return rc;
}

int cs_acct_is_poisoning(const struct cs_evm *s, const struct cs_evm_xferrec *x)
{
    if (x->flags & (CS_XF_ZERO | CS_XF_LOOKALIKE)) return 1;
    if (!x->asset) return 0;
    const struct cs_evm_tokrec *t = cs_evm_token(s, x->asset);
    return t && (t->marks & (CS_TOK_IMITATES | CS_TOK_NONASCII));
}

/* 1 when account a is a look-alike: the ingest marked a transfer of it in
 * the block it was first seen (CS_XF_LOOKALIKE is set only there), so a
 * later payment to it is poisoning too.  O(that block's transfers), cached. */
static int lookalike_acct(struct walk *w, uint64_t a)
{
    if (!a) return 0;
    uint32_t v = map_get(&w->lookmap, a, 0);
    if (v != UINT32_MAX) return (int)v;
    const struct cs_evm_counts *c = cs_evm_counts(w->s);
    uint64_t br = cs_evm_acct_first_block(w->s, a);
    v = 0;
    if (br < c->blocks) {
        uint64_t x0 = cs_evm_block(w->s, br)->first_xfer;
        uint64_t x1 = br + 1 < c->blocks ? cs_evm_block(w->s, br + 1)->first_xfer : c->xfer;
        for (uint64_t x = x0; x < x1 && !v; x++) {
            const struct cs_evm_xferrec *xr = cs_evm_xfer(w->s, x);
            v = (xr->flags & CS_XF_LOOKALIKE) && (xr->from == a || xr->to == a);
        }
    }
    map_put(&w->lookmap, a, 0, v);
    return (int)v;
}

static int poisoning(struct walk *w, const struct cs_evm_xferrec *x)
{
    if (x->flags & (CS_XF_ZERO | CS_XF_LOOKALIKE)) return 1;
    /* a look-alike counterparty, sender or receiver (a victim's mistaken
     * payment to it, or its dust) */
    if (x->to && !holder_of(w, x->to) && lookalike_acct(w, x->to)) return 1;
    if (x->from && !holder_of(w, x->from) && lookalike_acct(w, x->from)) return 1;
    if (!x->asset) return 0;
    uint32_t v = map_get(&w->tokmarks, x->asset, 0);
    if (v == UINT32_MAX) {
        v = (uint32_t)cs_acct_is_poisoning(w->s, x);
        map_put(&w->tokmarks, x->asset, 0, v);
    }
    return (int)v;
}

static void sink_add(struct walk *w, int32_t ent, int cat, uint64_t asset, const struct cs_u256 *t,
                     uint32_t hops, uint64_t tx, uint64_t acct, int via)
{
    struct cs_acct_result *r = w->r;
    uint64_t key = (uint64_t)(uint32_t)ent | ((uint64_t)(via != 0) << 32);
    uint32_t i = map_get(&w->smap, key, asset);
    if (i == UINT32_MAX) {
        if (r->n_sinks == w->capsinks) {
            w->capsinks = w->capsinks ? 2 * w->capsinks : 16;
            r->sinks = cs_xrealloc(r->sinks, w->capsinks * sizeof *r->sinks);
        }
        i = (uint32_t)r->n_sinks++;
        r->sinks[i] = (struct cs_acct_sink){.entity = ent,
                                            .category = cat,
                                            .asset = asset,
                                            .hops = hops,
                                            .first_tx = tx,
                                            .first_acct = acct,
                                            .via_link = via != 0};
        map_put(&w->smap, key, asset, i);
    }
    struct cs_acct_sink *k = &r->sinks[i];
    add(&k->amount, t);
    k->transfers++;
    if (hops < k->hops) k->hops = hops;
}

static void front_add(struct walk *w, uint64_t holder, uint64_t asset, const struct cs_u256 *t,
                      uint32_t hops, int reason, int via)
{
    struct cs_acct_result *r = w->r;
    uint32_t i = map_get(&w->fmap, holder, asset);
    if (i == UINT32_MAX) {
        if (r->n_frontier == w->capfront) {
            w->capfront = w->capfront ? 2 * w->capfront : 64;
            r->frontier = cs_xrealloc(r->frontier, w->capfront * sizeof *r->frontier);
        }
        i = (uint32_t)r->n_frontier++;
        r->frontier[i] = (struct cs_acct_front){
            .holder = holder, .asset = asset, .hops = hops, .reason = reason, .via_link = via};
        map_put(&w->fmap, holder, asset, i);
    }
    add(&r->frontier[i].amount, t);
}

static int32_t entity_of(const struct walk *w, uint64_t acct, int *cat)
{
    if (!w->o->lookup || !acct) return -1;
    int c = -1;
    int32_t e = w->o->lookup(w->o->lookup_ctx, acct, &c);
    if (e < 0 || c < 0 || c >= 32 || !((w->o->stop_mask >> c) & 1u)) return -1;
    *cat = c;
    return e;
}

/* hops of a link's recipient: one more than the deposit's */
static uint32_t lh_hop(const struct walk *w, const struct cs_acct_linkhop *lh)
{
    return w->lh_hops[lh - w->r->linkhops];
}

/* Taint t of asset entered a mixer in deposit tx dep: if a link names it,
 * queue its earliest withdrawal, where the taint continues. */
static void link_deposit(struct walk *w, uint64_t dep, uint64_t asset, const struct cs_u256 *t,
                         uint32_t hop, int via)
{
    (void)via;
    uint32_t li = map_get(&w->linkmap, dep, 0);
    if (li == UINT32_MAX) return;
    const struct cs_acct_link *l = &w->lk[li];
    uint32_t k = map_get(&w->wdmap, l->wd_tx, 0);
    struct cs_acct_result *r = w->r;
    if (k != UINT32_MAX) { /* another deposit of this tx, or a second asset: add */
        if (r->linkhops[k].asset == asset) add(&r->linkhops[k].deposited, t);
        return;
    }
    if (r->n_linkhops == w->caplh) {
        w->caplh = w->caplh ? 2 * w->caplh : 16;
        r->linkhops = cs_xrealloc(r->linkhops, w->caplh * sizeof *r->linkhops);
        w->lh_hops = cs_xrealloc(w->lh_hops, w->caplh * sizeof *w->lh_hops);
    }
    k = (uint32_t)r->n_linkhops++;
    r->linkhops[k] = (struct cs_acct_linkhop){.dep_tx = dep,
                                              .wd_tx = l->wd_tx,
                                              .recipient = l->recipient,
                                              .asset = asset,
                                              .heuristic = l->heuristic,
                                              .deposited = *t};
    w->lh_hops[k] = hop + 1;
    map_put(&w->wdmap, l->wd_tx, 0, k);
    const struct cs_evm_txrec *tr = cs_evm_tx(w->s, l->wd_tx);
    if (tr->n_xfer && tr->first_xfer < w->row_end) heap_push(w, tr->first_xfer, UINT32_MAX);
}

/* Marks amount of holder's balance of asset tainted (a seed, or taint coming
 * out of a mixer link); *added gets the taint it added (poison: amount). */
static int mark(struct walk *w, uint64_t holder, uint64_t asset, const struct cs_u256 *amount,
                struct cs_u256 *added)
{
    struct cs_u256 before, after;
    cs_lots_get(w->lots, holder, asset, NULL, &before);
    int rc = cs_lots_seed(w->lots, holder, asset, amount);
    if (rc) return rc;
    cs_lots_get(w->lots, holder, asset, NULL, &after);
    if (w->o->policy == CS_LOTS_POISON)
        *added = *amount;
    else if (cs_u256_sub(added, &after, &before))
        BUG("marking lowered the taint");
    return 0;
}

/* Books transfer x (not part of a swap's replaced legs). */
static int book(struct walk *w, uint64_t x, uint64_t tx, uint64_t tx_end, int is_seed)
{
    const struct cs_evm_xferrec *xr = cs_evm_xfer(w->s, x);
    if (!cs_acct_kind_fungible(xr->kind)) return 0;
    struct holder *f = xr->from ? holder_of(w, xr->from) : NULL;
    struct holder *g = xr->to ? holder_of(w, xr->to) : NULL;
    int rc;
    if (is_seed && !g && xr->to) {
        if ((rc = follow(w, xr->to, x, tx_end, 0))) return rc;
        g = holder_of(w, xr->to);
        f = xr->from ? holder_of(w, xr->from) : NULL; /* the holder array may have moved */
    }
    struct cs_acct_linkhop *lh = NULL;
    if (w->o->n_links && tx != CS_EVM_NONE && xr->to && xr->kind != CS_XK_FEE_TIP &&
        xr->kind != CS_XK_FEE_BURN) {
        uint32_t li = map_get(&w->wdmap, tx, 0);
        if (li != UINT32_MAX && w->r->linkhops[li].recipient == xr->to &&
            w->r->linkhops[li].asset == xr->asset && cs_u256_is_zero(&w->r->linkhops[li].relinked))
            lh = &w->r->linkhops[li];
    }
    if (lh && !g) { /* the withdrawal pays its recipient: follow it, as a scored hop */
        w->cur_via = 1;
        rc = follow(w, xr->to, x, tx_end, lh_hop(w, lh));
        w->cur_via = 0;
        if (rc) return rc;
        g = holder_of(w, xr->to);
        f = xr->from ? holder_of(w, xr->from) : NULL;
    }
    if (!f && !g) return 0;
    w->r->transfers_visited++;
    struct cs_u256 v, t;
    cs_evm_xfer_amount(w->s, x, &v);
    if ((f || g) && poisoning(w, xr)) w->r->poisoning_ignored++;
    if (g) holder_asset(g, xr->asset);
    if (f && g) {
        if ((rc = cs_lots_move(w->lots, xr->from, xr->to, xr->asset, &v, &t))) return rc;
    } else if (g) {
        struct cs_u256 z = {{0}};
        if ((rc = cs_lots_credit(w->lots, xr->to, xr->asset, &v, &z))) return rc;
    } else {
        if ((rc = cs_lots_move(w->lots, xr->from, CS_LOTS_NONE, xr->asset, &v, &t))) return rc;
        if (!cs_u256_is_zero(&t)) {
            struct assetacc *a = acc_of(w, xr->asset);
            int cat = -1;
            int32_t ent;
            uint32_t hop = f->hop + 1;
            if (is_fee(xr->kind)) {
                add(&a->fees, &t);
            } else if (!xr->to) {
                add(&a->burned, &t);
            } else if (poisoning(w, xr)) {
                add(&a->dropped, &t);
            } else if ((ent = entity_of(w, xr->to, &cat)) >= 0) {
                sink_add(w, ent, cat, xr->asset, &t, hop, tx, xr->to, f->via_link);
                if (cat == CS_TAG_MIXER && w->o->n_links && tx != CS_EVM_NONE)
                    link_deposit(w, tx, xr->asset, &t, hop, f->via_link);
            } else if (w->o->max_hops != CS_ACCT_UNLIMITED && hop > w->o->max_hops) {
                front_add(w, xr->to, xr->asset, &t, hop, CS_ACCT_MAX_HOPS, f->via_link);
            } else if (!xr->asset && cs_u256_cmp(&t, &w->o->min_amount) < 0) {
                add(&a->dropped, &t);
            } else {
                uint64_t to = xr->to;
                /* keep what the move took: follow() reads the store only */
                w->cur_via = f->via_link;
                rc = follow(w, to, x, tx_end, hop);
                w->cur_via = 0;
                if (rc) return rc;
                holder_asset(holder_of(w, to), xr->asset);
                if ((rc = cs_lots_credit_taken(w->lots, to, xr->asset))) return rc;
            }
        }
    }
    if (lh) { /* the relinked taint: what was deposited, at most what was paid */
        struct cs_u256 amt = cs_u256_cmp(&lh->deposited, &v) < 0 ? lh->deposited : v;
        if ((rc = mark(w, xr->to, xr->asset, &amt, &lh->relinked))) return rc;
        lh->used = 1;
        add(&acc_of(w, xr->asset)->relinked, &lh->relinked);
    }
    if (is_seed) {
        struct cs_u256 d;
        if ((rc = mark(w, xr->to, xr->asset, &v, &d))) return rc;
        add(&acc_of(w, xr->asset)->seed, &d);
        w->r->seed_transfers++;
    }
    return 0;
}

/* ---- swaps ---- */

struct net {
    uint64_t asset;
    struct cs_u256 in, out;
    int sign; /* -1 net out, +1 net in, 0 */
    const uint8_t *addr;
};

static int asset_cmp(const struct cs_evm *s, uint64_t a, uint64_t b)
{
    if (a == b) return 0;
    if (!a) return -1;
    if (!b) return 1;
    return memcmp(cs_evm_acct(s, a), cs_evm_acct(s, b), 20);
}

/* a*b vs c*d, exactly (512-bit products) */
static int cmp_products(const struct cs_u256 *a, const struct cs_u256 *b, const struct cs_u256 *c,
                        const struct cs_u256 *d)
{
    uint64_t p[8], q[8];
    const struct cs_u256 *x[2][2] = {{a, b}, {c, d}};
    for (int k = 0; k < 2; k++) {
        uint64_t *o = k ? q : p;
        memset(o, 0, 8 * sizeof *o);
        for (int i = 0; i < 4; i++) {
            unsigned __int128 carry = 0;
            for (int j = 0; j < 4; j++) {
                unsigned __int128 m =
                    (unsigned __int128)x[k][0]->w[i] * x[k][1]->w[j] + o[i + j] + carry;
                o[i + j] = (uint64_t)m;
                carry = m >> 64;
            }
            o[i + 4] += (uint64_t)carry;
        }
    }
    for (int i = 7; i >= 0; i--)
        if (p[i] != q[i]) return p[i] < q[i] ? -1 : 1;
    return 0;
}

static struct cs_acct_leg *leg_new(struct walk *w)
{
    struct cs_acct_result *r = w->r;
    if (r->n_legs == w->caplegs) {
        w->caplegs = w->caplegs ? 2 * w->caplegs : 32;
        r->legs = cs_xrealloc(r->legs, w->caplegs * sizeof *r->legs);
    }
    memset(&r->legs[r->n_legs], 0, sizeof r->legs[0]);
    return &r->legs[r->n_legs++];
}

static int do_swap(struct walk *w, uint64_t tx, uint64_t e, struct net *nt, size_t nn)
{
    struct cs_acct_result *r = w->r;
    if (r->n_swaps == w->capswaps) {
        w->capswaps = w->capswaps ? 2 * w->capswaps : 16;
        r->swaps = cs_xrealloc(r->swaps, w->capswaps * sizeof *r->swaps);
    }
    struct cs_acct_swap *sw = &r->swaps[r->n_swaps++];
    *sw = (struct cs_acct_swap){.tx = tx, .holder = e, .first_leg = r->n_legs};
    struct holder *h = holder_of(w, e);
    int rc;
    /* sent, ascending asset */
    size_t best = SIZE_MAX;
    struct cs_u256 bs = {{0}}, bt = {{0}};
    struct cs_lots_seg *segs = NULL;
    size_t nsegs = 0;
    for (size_t i = 0; i < nn; i++) {
        if (nt[i].sign >= 0) continue;
        struct cs_u256 sv, t;
        if (cs_u256_sub(&sv, &nt[i].out, &nt[i].in)) BUG("underflow");
        if ((rc = cs_lots_move(w->lots, e, CS_LOTS_NONE, nt[i].asset, &sv, &t))) return rc;
        add(&acc_of(w, nt[i].asset)->out, &t);
        struct cs_acct_leg *lg = leg_new(w);
        *lg = (struct cs_acct_leg){nt[i].asset, sv, t};
        sw->n_sent++;
        /* the largest fraction t / sv, the first on ties */
        if (best == SIZE_MAX || cmp_products(&t, &bs, &bt, &sv) > 0) {
            best = i;
            bs = sv;
            bt = t;
            size_t n;
            const struct cs_lots_seg *sg = cs_lots_taken(w->lots, &n);
            segs = cs_xrealloc(segs, (n ? n : 1) * sizeof *segs);
            if (n) memcpy(segs, sg, n * sizeof *segs);
            nsegs = n;
        }
    }
    for (size_t i = 0; i < nn; i++) {
        if (nt[i].sign <= 0) continue;
        struct cs_u256 rv, tb = {{0}};
        if (cs_u256_sub(&rv, &nt[i].in, &nt[i].out)) BUG("underflow");
        holder_asset(h, nt[i].asset);
        if (w->o->policy == CS_LOTS_FIFO || w->o->policy == CS_LOTS_LIFO) {
            /* the sent segments scaled: segment k ends at floor(R C_k / S) */
            struct cs_u256 cum = {{0}}, prev = {{0}};
            for (size_t k = 0; k < nsegs; k++) {
                struct cs_u256 end, part;
                add(&cum, &segs[k].amt);
                if (cs_u256_muldiv(&end, &rv, &cum, &bs)) BUG("swap scale");
                if (cs_u256_sub(&part, &end, &prev)) BUG("underflow");
                prev = end;
                if (cs_u256_is_zero(&part)) continue;
                struct cs_u256 pt = segs[k].tainted ? part : (struct cs_u256){{0}};
                if ((rc = cs_lots_credit(w->lots, e, nt[i].asset, &part, &pt))) goto out;
                if (segs[k].tainted) add(&tb, &part);
            }
        } else {
            if (w->o->policy == CS_LOTS_POISON)
                tb = cs_u256_is_zero(&bt) ? tb : rv;
            else if (!cs_u256_is_zero(&bt) && cs_u256_muldiv(&tb, &rv, &bt, &bs))
                BUG("swap share above the amount");
            if ((rc = cs_lots_credit(w->lots, e, nt[i].asset, &rv, &tb))) goto out;
        }
        add(&acc_of(w, nt[i].asset)->in, &tb);
        struct cs_acct_leg *lg = leg_new(w);
        *lg = (struct cs_acct_leg){nt[i].asset, rv, tb};
        sw = &r->swaps[r->n_swaps - 1];
        sw->n_received++;
    }
    rc = 0;
out:
    free(segs);
    return rc;
}

static int net_cmp_s(const void *a, const void *b, void *ctx)
{
    const struct net *x = a, *y = b;
    return asset_cmp(ctx, x->asset, y->asset);
}

/* Books the transfers [a, b) of tx (CS_EVM_NONE: one block-level row). */
static int book_tx(struct walk *w, uint64_t tx, uint64_t a, uint64_t b)
{
    const struct cs_evm *s = w->s;
    int rc;
    uint64_t e = 0;
    struct net nt[16];
    size_t nn = 0;
    int swap = 0, swapped = 0;
    if (tx != CS_EVM_NONE) {
        e = cs_evm_tx(s, tx)->from;
        struct holder *h = holder_of(w, e);
        /* a swap needs E to move two assets (fees aside) */
        int two = 0;
        uint64_t first_asset = UINT64_MAX;
        for (uint64_t x = a; h && x < b && !two; x++) {
            const struct cs_evm_xferrec *xr = cs_evm_xfer(s, x);
            if ((xr->from != e && xr->to != e) || !cs_acct_kind_fungible(xr->kind) ||
                is_fee(xr->kind))
                continue;
            if (first_asset == UINT64_MAX)
                first_asset = xr->asset;
            else if (xr->asset != first_asset)
                two = 1;
        }
        if (two && holder_tainted(w, h)) {
            for (uint64_t x = a; x < b; x++) {
                const struct cs_evm_xferrec *xr = cs_evm_xfer(s, x);
                if (!cs_acct_kind_fungible(xr->kind) || is_fee(xr->kind)) continue;
                if (xr->from != e && xr->to != e) continue;
                if (xr->from == e && xr->to == e) continue;
                /* a seed is booked as itself, never netted into a swap */
                if (map_get(&w->seedmap, x, 0) != UINT32_MAX) continue;
                size_t i = 0;
                while (i < nn && nt[i].asset != xr->asset)
                    i++;
                if (i == nn) {
                    if (nn == 16) {
                        nn = 0; /* too many assets for a swap: book as is */
                        break;
                    }
                    memset(&nt[nn], 0, sizeof nt[nn]);
                    nt[nn++].asset = xr->asset;
                }
                struct cs_u256 v;
                cs_evm_xfer_amount(s, x, &v);
                add(xr->from == e ? &nt[i].out : &nt[i].in, &v);
            }
            int outs = 0, ins = 0;
            for (size_t i = 0; i < nn; i++) {
                int c = cs_u256_cmp(&nt[i].in, &nt[i].out);
                nt[i].sign = c;
                outs += c < 0;
                ins += c > 0;
            }
            swap = outs && ins;
            if (swap) qsort_r(nt, nn, sizeof nt[0], net_cmp_s, (void *)s);
        }
    }
    for (uint64_t x = a; x < b; x++) {
        int is_seed = map_get(&w->seedmap, x, 0) != UINT32_MAX;
        if (swap) {
            const struct cs_evm_xferrec *xr = cs_evm_xfer(s, x);
            int leg = cs_acct_kind_fungible(xr->kind) && !is_fee(xr->kind) &&
                      (xr->from == e) != (xr->to == e);
            size_t i = 0;
            while (leg && i < nn && nt[i].asset != xr->asset)
                i++;
            if (leg && i < nn && nt[i].sign && !is_seed) {
                w->r->transfers_visited++;
                if (!swapped) {
                    if ((rc = do_swap(w, tx, e, nt, nn))) return rc;
                    swapped = 1;
                }
                /* a followed counterparty books its own side */
                uint64_t other = xr->from == e ? xr->to : xr->from;
                if (other && holder_of(w, other)) {
                    struct cs_u256 v, t;
                    cs_evm_xfer_amount(s, x, &v);
                    if (xr->to == other) {
                        struct cs_u256 z = {{0}};
                        holder_asset(holder_of(w, other), xr->asset);
                        if ((rc = cs_lots_credit(w->lots, other, xr->asset, &v, &z))) return rc;
                    } else {
                        if ((rc = cs_lots_move(w->lots, other, CS_LOTS_NONE, xr->asset, &v, &t)))
                            return rc;
                        add(&acc_of(w, xr->asset)->out, &t);
                    }
                }
                continue;
            }
        }
        if ((rc = book(w, x, tx, b, is_seed))) return rc;
    }
    return 0;
}

static int link_cmp(const void *a, const void *b)
{
    const struct cs_acct_link *x = a, *y = b;
    if (x->dep_tx != y->dep_tx) return x->dep_tx < y->dep_tx ? -1 : 1;
    return (x->wd_tx > y->wd_tx) - (x->wd_tx < y->wd_tx);
}

static int sink_cmp(const void *a, const void *b)
{
    const struct cs_acct_sink *x = a, *y = b;
    if (x->asset != y->asset) return x->asset < y->asset ? -1 : 1;
    int c = cs_u256_cmp(&y->amount, &x->amount);
    if (c) return c;
    if (x->entity != y->entity) return (x->entity > y->entity) - (x->entity < y->entity);
    return x->via_link - y->via_link;
}

static int front_cmp(const void *a, const void *b)
{
    const struct cs_acct_front *x = a, *y = b;
    if (x->asset != y->asset) return x->asset < y->asset ? -1 : 1;
    int c = cs_u256_cmp(&y->amount, &x->amount);
    if (c) return c;
    if (x->holder != y->holder) return x->holder < y->holder ? -1 : 1;
    if (x->reason != y->reason) return x->reason - y->reason;
    return x->via_link - y->via_link;
}

static int acc_cmp(const void *a, const void *b)
{
    const struct assetacc *x = a, *y = b;
    return (x->asset > y->asset) - (x->asset < y->asset);
}

static void held_cb(void *ctx, uint64_t holder, uint64_t asset, const struct cs_u256 *bal,
                    const struct cs_u256 *t)
{
    struct walk *w = ctx;
    struct holder *h = holder_of(w, holder);
    front_add(w, holder, asset, t, h ? h->hop : 0, CS_ACCT_HELD, h ? h->via_link : 0);
    (void)bal;
}

/* every followed holder's ledger balance against the store's, per asset */
static int check_balances(struct walk *w)
{
    int rc = 0;
    for (size_t i = 0; i < w->nh && !rc; i++) {
        uint64_t acct = w->h[i].acct;
        struct bal *b = NULL;
        size_t nb = history(w, acct, w->row_end, UINT64_MAX, &b, NULL, NULL);
        for (size_t k = 0; k < nb && !rc; k++) {
            struct cs_u256 want = {{0}}, got;
            if (cs_u256_cmp(&b[k].in, &b[k].out) > 0 && cs_u256_sub(&want, &b[k].in, &b[k].out))
                BUG("underflow");
            cs_lots_get(w->lots, acct, b[k].asset, &got, NULL);
            if (cs_u256_cmp(&want, &got)) {
                char a[CS_EVM_ADDR_STR], x[CS_U256_DEC_MAX], y[CS_U256_DEC_MAX];
                cs_evm_addr_lower(cs_evm_acct(w->s, acct), a);
                cs_u256_to_dec(x, &got);
                cs_u256_to_dec(y, &want);
                rc = cs_error(CS_ECORRUPT,
                              "ledger check: %s holds %s of asset %llu on the trace's ledger but "
                              "%s in the store",
                              a, x, (unsigned long long)b[k].asset, y);
            }
        }
        free(b);
    }
    return rc;
}

static uint64_t u64_of(const struct cs_u256 *v)
{
    uint64_t x = 0;
    if (cs_u256_to_u64(&x, v)) return UINT64_MAX;
    return x;
}

int cs_acct_trace_run(struct cs_acct_result *res, const struct cs_evm *s,
                      const struct cs_acct_opts *o, const uint64_t *seeds, size_t n)
{
    memset(res, 0, sizeof *res);
    res->policy = o->policy;
    res->conservative = o->policy != CS_LOTS_POISON;
    const struct cs_evm_counts *c = cs_evm_counts(s);
    struct walk w = {.s = s, .o = o, .r = res, .nx = c->xfer, .nacct = c->acct};
    w.hidx = cs_xcalloc(c->acct ? c->acct : 1, sizeof *w.hidx);
    int rc = 0;
    /* until_block: the first row of the block after it */
    w.row_end = c->xfer;
    res->last_block = c->blocks ? cs_evm_block(s, c->blocks - 1)->number : 0;
    if (o->until_block != UINT64_MAX && c->blocks) {
        uint64_t br;
        if (o->until_block < cs_evm_block(s, 0)->number) {
            w.row_end = 0;
        } else if (!cs_evm_find_block(s, o->until_block + 1, &br)) {
            w.row_end = cs_evm_block(s, br)->first_xfer;
            res->last_block = o->until_block;
        }
        cs_error_clear();
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (seeds[i] >= c->xfer)
            return cs_error(CS_EUSAGE, "seed transfer %llu is not in the store",
                            (unsigned long long)seeds[i]);
        const struct cs_evm_xferrec *xr = cs_evm_xfer(s, seeds[i]);
        if (!xr->to || is_fee(xr->kind) || !cs_acct_kind_fungible(xr->kind) ||
            seeds[i] >= w.row_end)
            continue;
        if (map_get(&w.seedmap, seeds[i], 0) != UINT32_MAX) continue;
        map_put(&w.seedmap, seeds[i], 0, 0);
        heap_push(&w, seeds[i], UINT32_MAX);
        kept++;
    }
    if (!kept) {
        rc = cs_error(CS_EUSAGE, "no seed left: every seed transfer is a fee, an NFT, has no "
                                 "receiver or lies above --until-block");
        goto done;
    }
    if (o->n_links) { /* by (deposit, withdrawal): a deposit's earliest link first */
        w.lk = cs_xmalloc(o->n_links * sizeof *w.lk);
        memcpy(w.lk, o->links, o->n_links * sizeof *w.lk);
        qsort(w.lk, o->n_links, sizeof *w.lk, link_cmp);
        for (size_t i = 0; i < o->n_links; i++)
            if (map_get(&w.linkmap, w.lk[i].dep_tx, 0) == UINT32_MAX)
                map_put(&w.linkmap, w.lk[i].dep_tx, 0, (uint32_t)i);
    }
    w.lots = cs_lots_new(o->policy);
    uint64_t wm = 0; /* rows below it are booked */
    while (w.nheap) {
        struct qent q = heap_pop(&w);
        uint64_t x = q.row;
        if (q.holder != UINT32_MAX) { /* advance that holder's cursor */
            struct holder *h = &w.h[q.holder];
            if (++h->pos < h->nfut) heap_push(&w, h->fut[h->pos], q.holder);
        }
        if (x < wm) continue;
        uint64_t tx, a, b;
        tx_span(s, x, &tx, &a, &b);
        if (a < wm) a = wm; /* never happens: a tx is booked whole */
        if ((rc = book_tx(&w, tx, a, b))) goto done;
        wm = b;
        res->txs_visited++;
        if (tx != CS_EVM_NONE) {
            const struct cs_evm_blockrec *br = cs_evm_block(s, cs_evm_tx(s, tx)->block);
            int ni = !(br->flags & CS_EB_INTERNAL), nt = !(br->flags & CS_EB_TOKENS);
            if (ni || nt) {
                res->txs_without_internal += (uint64_t)ni;
                res->txs_without_tokens += (uint64_t)nt;
                if (!res->unavailable_first) res->unavailable_first = br->number;
                res->unavailable_last = br->number;
            }
        }
        if (o->progress && !(res->txs_visited & 0xffff) &&
            o->progress(o->progress_ctx, res->txs_visited, w.nheap)) {
            rc = cs_error(CS_EINTERRUPTED, "trace interrupted");
            goto done;
        }
    }
    cs_lots_each_tainted(w.lots, held_cb, &w);
    struct cs_lots_stats st;
    cs_lots_stats(w.lots, &st);
    if (o->check_balances && cs_u256_is_zero(&st.assumed) && (rc = check_balances(&w))) goto done;
    res->assumed = st.assumed;
    /* every asset in every list */
    for (size_t i = 0; i < res->n_sinks; i++)
        acc_of(&w, res->sinks[i].asset);
    for (size_t i = 0; i < res->n_frontier; i++)
        acc_of(&w, res->frontier[i].asset);
    if (w.nacc) qsort(w.acc, w.nacc, sizeof *w.acc, acc_cmp); /* never qsort(NULL, 0) */
    if (res->n_sinks) qsort(res->sinks, res->n_sinks, sizeof *res->sinks, sink_cmp);
    if (res->n_frontier) qsort(res->frontier, res->n_frontier, sizeof *res->frontier, front_cmp);
    res->n_assets = w.nacc;
    struct cs_acct_amount **lists[7] = {&res->seed,    &res->swapped_in, &res->swapped_out,
                                        &res->fees,    &res->burned,     &res->dropped,
                                        &res->relinked};
    for (int k = 0; k < 7; k++)
        *lists[k] = cs_xcalloc(w.nacc ? w.nacc : 1, sizeof **lists[k]);
    for (size_t i = 0; i < w.nacc; i++) {
        const struct assetacc *q = &w.acc[i];
        const struct cs_u256 *v[7] = {&q->seed,   &q->in,      &q->out,     &q->fees,
                                      &q->burned, &q->dropped, &q->relinked};
        for (int k = 0; k < 7; k++)
            (*lists[k])[i] = (struct cs_acct_amount){q->asset, *v[k]};
    }
    /* conservation, per asset */
    if (res->conservative) {
        for (size_t i = 0; i < w.nacc; i++) {
            const struct assetacc *q = &w.acc[i];
            struct cs_u256 lhs = q->seed, rhs = q->fees;
            add(&lhs, &q->in);
            add(&lhs, &q->relinked);
            add(&rhs, &q->burned);
            add(&rhs, &q->dropped);
            add(&rhs, &q->out);
            for (size_t k = 0; k < res->n_sinks; k++)
                if (res->sinks[k].asset == q->asset) add(&rhs, &res->sinks[k].amount);
            for (size_t k = 0; k < res->n_frontier; k++)
                if (res->frontier[k].asset == q->asset) add(&rhs, &res->frontier[k].amount);
            if (cs_u256_cmp(&lhs, &rhs))
                BUG("account trace: taint not conserved for asset %llu (in %llu, out %llu)",
                    (unsigned long long)q->asset, (unsigned long long)u64_of(&lhs),
                    (unsigned long long)u64_of(&rhs));
        }
    }
    uint64_t futb = 0;
    for (size_t i = 0; i < w.nh; i++)
        futb += w.h[i].nfut * sizeof(uint64_t);
    res->bytes = futb + w.capheap * sizeof *w.heap + w.caph * sizeof *w.h +
                 (w.amap.cap + w.smap.cap + w.fmap.cap) * 20 +
                 (size_t)st.segments * sizeof(struct cs_lots_seg) + st.holders * 96;
done:
    for (size_t i = 0; i < w.nh; i++) {
        free(w.h[i].assets);
        free(w.h[i].fut);
    }
    free(w.hidx);
    free(w.h);
    free(w.acc);
    free(w.heap);
    free(w.scratch);
    free(w.lk);
    free(w.lh_hops);
    map_free(&w.linkmap);
    map_free(&w.wdmap);
    map_free(&w.amap);
    map_free(&w.smap);
    map_free(&w.fmap);
    map_free(&w.tokmarks);
    map_free(&w.lookmap);
    map_free(&w.seedmap);
    cs_lots_free(w.lots);
    return rc;
}

void cs_acct_result_free(struct cs_acct_result *r)
{
    if (!r) return;
    free(r->seed);
    free(r->swapped_in);
    free(r->swapped_out);
    free(r->fees);
    free(r->burned);
    free(r->dropped);
    free(r->sinks);
    free(r->frontier);
    free(r->swaps);
    free(r->legs);
    free(r->relinked);
    free(r->linkhops);
    memset(r, 0, sizeof *r);
}
