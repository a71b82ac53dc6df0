/* lots.c — the account-model taint of lots.h. */
#include <stdlib.h>
#include <string.h>

#include "trace/lots.h"
#include "util/error.h"
#include "util/hash.h"

#define seg cs_lots_seg

/* One (holder, asset): its balance, its tainted part and, for fifo/lifo,
 * a ring of segments (q[(head + i) & (cap - 1)], i < n), oldest first. */
struct pair {
    uint64_t holder, asset;
    struct cs_u256 bal, taint;
    struct seg *q;
    uint32_t head, n, cap;
    uint8_t poisoned; /* poison: it has received taint of this asset (sticky) */
};

struct cs_lots {
    enum cs_lots_policy pol;
    struct pair *p;
    size_t np, capp;
    uint32_t *slot; /* pair index + 1; 0 empty */
    size_t nslot;
    struct cs_u256 assumed;
    uint64_t segs;
    struct seg *tmp; /* segments in flight during one move */
    size_t ntmp, captmp;
    struct cs_u256 last_amt, last_taint; /* what the last move took */
};

static uint64_t key_hash(uint64_t h, uint64_t a)
{
    uint64_t k[2] = {h, a};
    return cs_hash64(k, sizeof k, 0x6c6f7473ULL);
}

struct cs_lots *cs_lots_new(enum cs_lots_policy p)
{
    struct cs_lots *l = cs_xcalloc(1, sizeof *l);
    l->pol = p;
    l->nslot = 1024;
    l->slot = cs_xcalloc(l->nslot, sizeof *l->slot);
    return l;
}

void cs_lots_free(struct cs_lots *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->np; i++)
        free(l->p[i].q);
    free(l->p);
    free(l->slot);
    free(l->tmp);
    free(l);
}

static struct pair *find(const struct cs_lots *l, uint64_t h, uint64_t a)
{
    size_t m = l->nslot - 1;
    for (size_t j = key_hash(h, a) & m;; j = (j + 1) & m) {
        uint32_t v = l->slot[j];
        if (!v) return NULL;
        struct pair *p = &l->p[v - 1];
        if (p->holder == h && p->asset == a) return p;
    }
}

static void rehash(struct cs_lots *l)
{
    free(l->slot);
    l->nslot *= 2;
    l->slot = cs_xcalloc(l->nslot, sizeof *l->slot);
    size_t m = l->nslot - 1;
    for (size_t i = 0; i < l->np; i++) {
        size_t j = key_hash(l->p[i].holder, l->p[i].asset) & m;
        while (l->slot[j])
            j = (j + 1) & m;
        l->slot[j] = (uint32_t)(i + 1);
    }
}

static struct pair *get(struct cs_lots *l, uint64_t h, uint64_t a)
{
    struct pair *p = find(l, h, a);
    if (p) return p;
    if ((l->np + 1) * 2 > l->nslot) rehash(l);
    if (l->np == UINT32_MAX - 1) BUG("more than 2^32 (holder, asset) pairs");
    if (l->np == l->capp) {
        l->capp = l->capp ? 2 * l->capp : 256;
        l->p = cs_xrealloc(l->p, l->capp * sizeof *l->p);
    }
    p = &l->p[l->np];
    memset(p, 0, sizeof *p);
    p->holder = h;
    p->asset = a;
    size_t m = l->nslot - 1, j = key_hash(h, a) & m;
    while (l->slot[j])
        j = (j + 1) & m;
    l->slot[j] = (uint32_t)(++l->np);
    return p;
}

/* ---- the segment ring ---- */

static struct seg *at(struct pair *p, uint32_t i)
{
    return &p->q[(p->head + i) & (p->cap - 1)];
}

static void grow(struct cs_lots *l, struct pair *p)
{
    if (p->n < p->cap) return;
    uint32_t nc = p->cap ? 2 * p->cap : 4;
    struct seg *q = cs_xmalloc(nc * sizeof *q);
    for (uint32_t i = 0; i < p->n; i++)
        q[i] = *at(p, i);
    free(p->q);
    p->q = q;
    p->cap = nc;
    p->head = 0;
    (void)l;
}

static void push_back(struct cs_lots *l, struct pair *p, const struct cs_u256 *amt, int tainted)
{
    if (cs_u256_is_zero(amt)) return;
    if (p->n && at(p, p->n - 1)->tainted == tainted) { /* merge with the newest */
        struct seg *s = at(p, p->n - 1);
        if (cs_u256_add(&s->amt, &s->amt, amt)) BUG("segment above the balance");
        return;
    }
    grow(l, p);
    *at(p, p->n) = (struct seg){*amt, (uint8_t)tainted};
    p->n++;
    l->segs++;
}

static void push_front(struct cs_lots *l, struct pair *p, const struct cs_u256 *amt, int tainted)
{
    if (cs_u256_is_zero(amt)) return;
    if (p->n && at(p, 0)->tainted == tainted) {
        struct seg *s = at(p, 0);
        if (cs_u256_add(&s->amt, &s->amt, amt)) BUG("segment above the balance");
        return;
    }
    grow(l, p);
    p->head = (p->head - 1) & (p->cap - 1);
    *at(p, 0) = (struct seg){*amt, (uint8_t)tainted};
    p->n++;
    l->segs++;
}

static void tmp_push(struct cs_lots *l, const struct cs_u256 *amt, int tainted)
{
    if (l->ntmp == l->captmp) {
        l->captmp = l->captmp ? 2 * l->captmp : 16;
        l->tmp = cs_xrealloc(l->tmp, l->captmp * sizeof *l->tmp);
    }
    l->tmp[l->ntmp++] = (struct seg){*amt, (uint8_t)tainted};
}

/* Takes x (<= p->bal) from the oldest (fifo) or newest (lifo) end into
 * l->tmp, in the sender's arrival order; returns the tainted part. */
static struct cs_u256 take(struct cs_lots *l, struct pair *p, struct cs_u256 x, int fifo)
{
    struct cs_u256 t = {{0}};
    l->ntmp = 0;
    while (!cs_u256_is_zero(&x)) {
        if (!p->n) BUG("segments below the balance");
        struct seg *s = fifo ? at(p, 0) : at(p, p->n - 1);
        struct cs_u256 part = cs_u256_cmp(&s->amt, &x) <= 0 ? s->amt : x;
        tmp_push(l, &part, s->tainted);
        if (s->tainted && cs_u256_add(&t, &t, &part)) BUG("taint overflow");
        if (cs_u256_sub(&x, &x, &part) || cs_u256_sub(&s->amt, &s->amt, &part)) BUG("underflow");
        if (cs_u256_is_zero(&s->amt)) {
            if (fifo) p->head = (p->head + 1) & (p->cap - 1);
            p->n--;
            l->segs--;
        }
    }
    if (!fifo) /* taken newest first: back to arrival order */
        for (size_t i = 0, j = l->ntmp ? l->ntmp - 1 : 0; i < j; i++, j--) {
            struct seg s = l->tmp[i];
            l->tmp[i] = l->tmp[j];
            l->tmp[j] = s;
        }
    return t;
}

int cs_lots_move(struct cs_lots *l, uint64_t from, uint64_t to, uint64_t asset,
                 const struct cs_u256 *amount, struct cs_u256 *tainted)
{
    struct cs_u256 t = {{0}}, x = *amount;
    int seg = l->pol == CS_LOTS_FIFO || l->pol == CS_LOTS_LIFO;
    l->ntmp = 0;
    l->last_amt = l->last_taint = t;
    if (tainted) *tainted = t;
    if (cs_u256_is_zero(&x)) return 0;
    if (from != CS_LOTS_NONE) {
        struct pair *p = get(l, from, asset);
        if (cs_u256_cmp(&x, &p->bal) > 0) { /* funds from before the ledger: clean */
            struct cs_u256 s;
            if (cs_u256_sub(&s, &x, &p->bal)) BUG("underflow");
            if (cs_u256_add(&l->assumed, &l->assumed, &s)) l->assumed = cs_u256_max();
            p->bal = x;
            if (seg) push_front(l, p, &s, 0);
        }
        switch (l->pol) {
        case CS_LOTS_POISON:
            if (p->poisoned) t = x;
            break;
        case CS_LOTS_HAIRCUT:
            if (!cs_u256_cmp(&x, &p->bal))
                t = p->taint;
            else if (!cs_u256_is_zero(&p->taint) && cs_u256_muldiv(&t, &x, &p->taint, &p->bal))
                BUG("haircut share above the amount");
            break;
        default:
            t = take(l, p, x, l->pol == CS_LOTS_FIFO);
        }
        if (cs_u256_sub(&p->bal, &p->bal, &x)) BUG("balance underflow");
        if (l->pol == CS_LOTS_POISON) {
            if (p->poisoned) p->taint = p->bal;
        } else if (cs_u256_sub(&p->taint, &p->taint, &t)) {
            BUG("taint underflow");
        }
    }
    if (to != CS_LOTS_NONE) {
        struct pair *q = get(l, to, asset);
        if (cs_u256_add(&q->bal, &q->bal, &x)) return cs_error(CS_ERANGE, "a balance passes 2^256");
        if (l->pol == CS_LOTS_POISON) {
            if (!cs_u256_is_zero(&t)) q->poisoned = 1;
            if (q->poisoned) q->taint = q->bal;
        } else {
            if (cs_u256_add(&q->taint, &q->taint, &t)) BUG("taint above the balance");
            if (seg && from == CS_LOTS_NONE)
                push_back(l, q, &x, 0);
            else if (seg)
                for (size_t i = 0; i < l->ntmp; i++)
                    push_back(l, q, &l->tmp[i].amt, l->tmp[i].tainted);
        }
    }
    if (tainted) *tainted = t;
    l->last_amt = x;
    l->last_taint = t;
    return 0;
}

/* a move from no one took no segments: its value arrives clean */
static int from_none_segs(const struct cs_lots *l, const struct cs_u256 *amount)
{
    return l->ntmp == 0 && !cs_u256_is_zero(amount);
}

static int credit(struct cs_lots *l, uint64_t holder, uint64_t asset, const struct cs_u256 *amount,
                  const struct cs_u256 *tainted, int segs)
{
    if (cs_u256_is_zero(amount)) return 0;
    struct pair *q = get(l, holder, asset);
    if (cs_u256_add(&q->bal, &q->bal, amount)) return cs_error(CS_ERANGE, "a balance passes 2^256");
    if (l->pol == CS_LOTS_POISON) {
        if (!cs_u256_is_zero(tainted)) q->poisoned = 1;
        if (q->poisoned) q->taint = q->bal;
        return 0;
    }
    if (cs_u256_add(&q->taint, &q->taint, tainted)) BUG("taint above the balance");
    if (l->pol == CS_LOTS_HAIRCUT) return 0;
    if (segs && from_none_segs(l, amount)) {
        push_back(l, q, amount, 0);
        return 0;
    }
    if (segs) {
        for (size_t i = 0; i < l->ntmp; i++)
            push_back(l, q, &l->tmp[i].amt, l->tmp[i].tainted);
        return 0;
    }
    int all = !cs_u256_cmp(tainted, amount);
    if (!all && !cs_u256_is_zero(tainted)) BUG("a fifo/lifo credit is one segment");
    push_back(l, q, amount, all);
    return 0;
}

int cs_lots_credit(struct cs_lots *l, uint64_t holder, uint64_t asset, const struct cs_u256 *amount,
                   const struct cs_u256 *tainted)
{
    return credit(l, holder, asset, amount, tainted, 0);
}

int cs_lots_credit_taken(struct cs_lots *l, uint64_t to, uint64_t asset)
{
    struct cs_u256 a = l->last_amt, t = l->last_taint;
    return credit(l, to, asset, &a, &t, 1);
}

const struct cs_lots_seg *cs_lots_taken(const struct cs_lots *l, size_t *n)
{
    *n = l->pol == CS_LOTS_FIFO || l->pol == CS_LOTS_LIFO ? l->ntmp : 0;
    return l->tmp;
}

int cs_lots_seed(struct cs_lots *l, uint64_t holder, uint64_t asset, const struct cs_u256 *amount)
{
    struct pair *p = get(l, holder, asset);
    struct cs_u256 clean, mark = *amount, extra = {{0}};
    if (cs_u256_sub(&clean, &p->bal, &p->taint)) BUG("taint above the balance");
    if (cs_u256_cmp(&mark, &clean) > 0) {
        if (cs_u256_sub(&extra, &mark, &clean)) BUG("underflow");
        mark = clean;
    }
    if (cs_u256_add(&p->bal, &p->bal, &extra)) return cs_error(CS_ERANGE, "a balance passes 2^256");
    if (l->pol == CS_LOTS_POISON) {
        if (!cs_u256_is_zero(amount)) p->poisoned = 1;
        if (p->poisoned) p->taint = p->bal;
        return 0;
    }
    if (cs_u256_add(&p->taint, &p->taint, &mark) || cs_u256_add(&p->taint, &p->taint, &extra))
        BUG("taint above the balance");
    if (l->pol == CS_LOTS_HAIRCUT) return 0;
    /* the newest clean funds become tainted, then the extra arrives tainted */
    struct cs_u256 left = mark;
    for (uint32_t i = p->n; i-- > 0 && !cs_u256_is_zero(&left);) {
        struct seg *s = at(p, i);
        if (s->tainted) continue;
        if (cs_u256_cmp(&s->amt, &left) <= 0) {
            s->tainted = 1;
            if (cs_u256_sub(&left, &left, &s->amt)) BUG("underflow");
            continue;
        }
        /* split: the older part stays clean, the newer part becomes tainted */
        struct cs_u256 older;
        if (cs_u256_sub(&older, &s->amt, &left)) BUG("underflow");
        s->amt = left;
        s->tainted = 1;
        grow(l, p);
        s = NULL;
        p->head = (p->head - 1) & (p->cap - 1);
        for (uint32_t k = 0; k < i; k++) /* shift the older ones one down */
            *at(p, k) = *at(p, k + 1);
        *at(p, i) = (struct seg){older, 0};
        p->n++;
        l->segs++;
        left = (struct cs_u256){{0}};
    }
    push_back(l, p, &extra, 1);
    /* merge neighbours of equal taint that the marking made */
    uint32_t w = 0;
    for (uint32_t r = 0; r < p->n; r++) {
        struct seg s = *at(p, r);
        if (w && at(p, w - 1)->tainted == s.tainted) {
            if (cs_u256_add(&at(p, w - 1)->amt, &at(p, w - 1)->amt, &s.amt)) BUG("overflow");
            l->segs--;
        } else {
            *at(p, w++) = s;
        }
    }
    p->n = w;
    return 0;
}

void cs_lots_get(const struct cs_lots *l, uint64_t holder, uint64_t asset, struct cs_u256 *balance,
                 struct cs_u256 *tainted)
{
    const struct pair *p = find(l, holder, asset);
    struct cs_u256 z = {{0}};
    if (balance) *balance = p ? p->bal : z;
    if (tainted) *tainted = p ? p->taint : z;
}

void cs_lots_stats(const struct cs_lots *l, struct cs_lots_stats *st)
{
    st->holders = l->np;
    st->segments = l->segs;
    st->assumed = l->assumed;
}

void cs_lots_each_tainted(const struct cs_lots *l,
                          void (*fn)(void *ctx, uint64_t holder, uint64_t asset,
                                     const struct cs_u256 *balance, const struct cs_u256 *tainted),
                          void *ctx)
{
    for (size_t i = 0; i < l->np; i++)
        if (!cs_u256_is_zero(&l->p[i].taint))
            fn(ctx, l->p[i].holder, l->p[i].asset, &l->p[i].bal, &l->p[i].taint);
}
