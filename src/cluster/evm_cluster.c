/* evm_cluster.c — Victor's three heuristics over an EVM store snapshot
 * (writer), the stored result and its reader.  The rules and files are
 * specified in evm_cluster.h; this file says why where a choice is not
 * obvious.
 *
 * A run is a few sequential passes over the snapshot's rows:
 *   1. flags per account: sent a tx (EOA), created by a tx, miner;
 *   2. deposit: txs in chain order, their transfers in order, a pending
 *      inflow run per account (native) and per (account, token); a sweep
 *      that matches its run is recorded;
 *   3. deposit users: each deposit address's received list (adjacency);
 *   4. airdrop: ERC-20 transfers counted per (token, from, amount), then the
 *      signatures' recipients' sent lists;
 *   5. selfauth: kept Approval logs sorted by (token, owner, spender), then
 *      every tx's token transfers looked up in them;
 *   6. union-find compress, statistics, files.
 * Amounts are compared as 128-bit integers; an amount of 2^128 wei or more
 * (above any real supply) saturates and never matches. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cluster/evm_cluster.h"
#include "util/atomic_file.h"
#include "util/codec.h"
#include "util/hash.h"
#include "util/keccak.h"

typedef unsigned __int128 u128;
#define U128_MAX (~(u128)0)

enum { F_SENT = 1, F_CREATED = 2, F_MINER = 4, F_DEPOSIT = 8, F_EXCH = 16, F_TAGX = 32 };

/* ---------------- parameters ---------------- */

void cs_evmclu_params_default(struct cs_evmclu_params *p)
{
    p->heuristics = CS_EVMCLU_ALL;
    p->deposit_max_diff = 10000000000000000ull; /* 0.01 ETH */
    p->deposit_max_gap = 10000;
    p->token_max_diff = 0;
    p->airdrop_min = 1000;
    p->airdrop_max_gap = 2;
    p->airdrop_min_senders = 2;
    p->exchanges = NULL;
    p->n_exchanges = 0;
    p->deposit_min_forwarders = 20;
    p->deposit_exclusive = 0;
    p->tags_id = "none";
}

int cs_evmclu_heuristics_parse(const char *text, unsigned *out)
{
    unsigned h = 0;
    const char *p = text;
    if (!*p) return cs_error(CS_EUSAGE, "--heuristics: empty list");
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char w[32];
        if (n == 0 || n >= sizeof w)
            return cs_error(CS_EUSAGE, "--heuristics: bad item '%.*s' in '%s'", (int)n, p, text);
        memcpy(w, p, n);
        w[n] = 0;
        if (!strcmp(w, "deposit"))
            h |= CS_EVMCLU_DEPOSIT | CS_EVMCLU_TOKENS;
        else if (!strcmp(w, "deposit-eth"))
            h |= CS_EVMCLU_DEPOSIT;
        else if (!strcmp(w, "airdrop"))
            h |= CS_EVMCLU_AIRDROP;
        else if (!strcmp(w, "selfauth"))
            h |= CS_EVMCLU_SELFAUTH;
        else if (!strcmp(w, "all"))
            h |= CS_EVMCLU_ALL;
        else if (!strcmp(w, "none"))
            h |= 0;
        else
            return cs_error(CS_EUSAGE,
                            "--heuristics: unknown heuristic '%s' (known: deposit, deposit-eth, "
                            "airdrop, selfauth, all, none)",
                            w);
        p += n;
        if (*p == ',') {
            p++;
            if (!*p) return cs_error(CS_EUSAGE, "--heuristics: trailing comma in '%s'", text);
        }
    }
    *out = h;
    return 0;
}

int cs_evmclu_spec_format(const struct cs_evmclu_params *p, char *out, size_t cap)
{
    char h[64] = "";
    size_t n = 0;
#define ADD(w) n += (size_t)snprintf(h + n, sizeof h - n, "%s%s", n ? "+" : "", w)
    if (p->heuristics & CS_EVMCLU_DEPOSIT) ADD(p->heuristics & CS_EVMCLU_TOKENS ? "deposit" : "deposit-eth");
    if (p->heuristics & CS_EVMCLU_AIRDROP) ADD("airdrop");
    if (p->heuristics & CS_EVMCLU_SELFAUTH) ADD("selfauth");
#undef ADD
    int w = snprintf(out, cap,
                     "%s;deposit-max-diff=%llu;deposit-max-gap=%llu;deposit-token-max-diff=%llu;"
                     "airdrop-min=%llu;airdrop-max-gap=%llu;airdrop-min-senders=%llu;"
                     "deposit-min-forwarders=%llu;exchange-tags=%zu%s",
                     n ? h : "none", (unsigned long long)p->deposit_max_diff,
                     (unsigned long long)p->deposit_max_gap, (unsigned long long)p->token_max_diff,
                     (unsigned long long)p->airdrop_min, (unsigned long long)p->airdrop_max_gap,
                     (unsigned long long)p->airdrop_min_senders,
                     (unsigned long long)p->deposit_min_forwarders, p->n_exchanges,
                     p->deposit_exclusive ? ";deposit-exclusive" : "");
    if (w < 0 || (size_t)w >= cap) return cs_error(CS_ERANGE, "evm cluster spec longer than %zu", cap);
    return 0;
}

const char *cs_evmclu_ev_name(int heur)
{
    switch (heur) {
    case CS_EVMCLU_EV_DEPOSIT_EXCHANGE: return "deposit-exchange";
    case CS_EVMCLU_EV_DEPOSIT_USER: return "deposit-user";
    case CS_EVMCLU_EV_AIRDROP: return "airdrop";
    case CS_EVMCLU_EV_SELFAUTH: return "selfauth";
    }
    return "?";
}

/* ---------------- 64-bit union-find ---------------- */

/* Union by size (ties: the smaller row wins), path halving; the final pass
 * re-roots at the smallest row, so the result depends only on the partition. */
struct uf64 {
    uint64_t *parent;
    uint32_t *size;
    uint64_t n;
    struct cs_evmclu_ev *ev; /* rows of unions that joined two sets */
    size_t nev, capev;
};

static uint64_t uf_find(struct uf64 *u, uint64_t x)
{
    while (u->parent[x] != x) {
        u->parent[x] = u->parent[u->parent[x]];
        x = u->parent[x];
    }
    return x;
}

/* Joins a and b; 1 when two sets were joined (and e is recorded), else 0. */
static int uf_union(struct uf64 *u, const struct cs_evmclu_ev *e)
{
    if (e->a >= u->n || e->b >= u->n) BUG("evm cluster: union of rows %llu, %llu past %llu",
                                          (unsigned long long)e->a, (unsigned long long)e->b,
                                          (unsigned long long)u->n);
    uint64_t ra = uf_find(u, e->a), rb = uf_find(u, e->b);
    if (ra == rb) return 0;
    if (u->size[ra] < u->size[rb] || (u->size[ra] == u->size[rb] && rb < ra)) {
        uint64_t t = ra;
        ra = rb;
        rb = t;
    }
    u->parent[rb] = ra;
    u->size[ra] += u->size[rb];
    if (u->nev == u->capev) {
        u->capev = u->capev ? 2 * u->capev : 1024;
        u->ev = cs_xrealloc(u->ev, u->capev * sizeof *u->ev);
    }
    u->ev[u->nev++] = *e;
    return 1;
}

/* ---------------- run state ---------------- */

struct dmatch {
    uint64_t d, e, sweep_tx, last_in_tx;
    uint8_t token;
};

/* pending inflow run of one (account, token) */
struct tpend {
    uint64_t acct, tok; /* acct 0: empty slot */
    u128 sum;
    uint64_t first_block, last_tx1;
};

struct tmap {
    struct tpend *v;
    size_t cap, n;
};

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static struct tpend *tmap_get(struct tmap *m, uint64_t acct, uint64_t tok)
{
    if (2 * (m->n + 1) > m->cap) {
        size_t nc = m->cap ? 2 * m->cap : 4096;
        struct tpend *nv = cs_xcalloc(nc, sizeof *nv);
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->v[i].acct) continue;
            size_t j = mix64(m->v[i].acct * 31 + m->v[i].tok) & (nc - 1);
            while (nv[j].acct)
                j = (j + 1) & (nc - 1);
            nv[j] = m->v[i];
        }
        free(m->v);
        m->v = nv;
        m->cap = nc;
    }
    size_t j = mix64(acct * 31 + tok) & (m->cap - 1);
    while (m->v[j].acct && (m->v[j].acct != acct || m->v[j].tok != tok))
        j = (j + 1) & (m->cap - 1);
    if (!m->v[j].acct) {
        m->v[j].acct = acct;
        m->v[j].tok = tok;
        m->n++;
    }
    return &m->v[j];
}

struct run {
    const struct cs_evm *s;
    const struct cs_evmclu_params *p;
    const struct cs_evm_counts *k;
    uint8_t *flag; /* per account */
    struct uf64 uf;
    struct cs_evmclu_state *st;
};

static u128 xfer_amount(const struct cs_evm *s, uint64_t x, const struct cs_evm_xferrec *r)
{
    if (!(r->flags & CS_XF_BIG)) return r->amount;
    struct cs_u256 v;
    cs_evm_xfer_amount(s, x, &v);
    if (v.w[2] || v.w[3]) return U128_MAX;
    return ((u128)v.w[1] << 64) | v.w[0];
}

static int marked(const struct cs_evm_xferrec *r)
{
    return (r->flags & (CS_XF_ZERO | CS_XF_LOOKALIKE)) != 0;
}

static int is_eoa(const struct run *R, uint64_t a)
{
    return a && (R->flag[a] & (F_SENT | F_CREATED)) == F_SENT;
}

static void union_req(struct run *R, const struct cs_evmclu_ev *e)
{
    R->st->unions[e->heur]++;
    R->st->merges[e->heur] += (uint64_t)uf_union(&R->uf, e);
}

/* pass 1: who sent a tx, who was created, who mined */
static void pass_flags(struct run *R)
{
    const struct cs_evm *s = R->s;
    for (uint64_t t = 0; t < R->k->tx; t++) {
        const struct cs_evm_txrec *tx = cs_evm_tx(s, t);
        if (tx->from < R->k->acct) R->flag[tx->from] |= F_SENT;
        if (tx->created && tx->created < R->k->acct) R->flag[tx->created] |= F_CREATED;
    }
    for (uint64_t b = 0; b < R->k->blocks; b++) {
        uint64_t m = cs_evm_block(s, b)->miner;
        if (m && m < R->k->acct) R->flag[m] |= F_MINER;
    }
    for (uint64_t x = 0; x < R->k->xfer; x++) {
        const struct cs_evm_xferrec *r = cs_evm_xfer(s, x);
        if (r->kind == CS_XK_REWARD && r->to && r->to < R->k->acct) R->flag[r->to] |= F_MINER;
    }
    for (uint64_t a = 1; a < R->k->acct; a++) {
        if (is_eoa(R, a)) R->st->eoas++;
        if (R->flag[a] & F_MINER) R->st->miners++;
    }
}

/* pass 2: pending inflow runs and sweeps that match them */
static void pass_deposit(struct run *R, struct dmatch **out, size_t *nout)
{
    const struct cs_evm *s = R->s;
    const struct cs_evmclu_params *p = R->p;
    uint64_t na = R->k->acct;
    u128 *psum = cs_xcalloc(na, sizeof *psum);
    uint64_t *pfirst = cs_xcalloc(na, sizeof *pfirst), *plast = cs_xcalloc(na, sizeof *plast);
    struct tmap tm = {0};
    size_t n = 0, cap = 0;
    struct dmatch *m = NULL;
    int tokens = (p->heuristics & CS_EVMCLU_TOKENS) != 0;
    uint64_t cur_brow = UINT64_MAX, bnum = 0;
    for (uint64_t t = 0; t < R->k->tx; t++) {
        const struct cs_evm_txrec *tx = cs_evm_tx(s, t);
        if (tx->block != cur_brow) {
            cur_brow = tx->block;
            bnum = cs_evm_block(s, cur_brow)->number;
        }
        for (uint64_t x = tx->first_xfer; x < tx->first_xfer + tx->n_xfer; x++) {
            const struct cs_evm_xferrec *r = cs_evm_xfer(s, x);
            int native = r->kind == CS_XK_NATIVE || r->kind == CS_XK_INTERNAL ||
                         r->kind == CS_XK_SELFDESTRUCT;
            int erc20 = tokens && r->kind == CS_XK_ERC20;
            if ((!native && !erc20) || r->from == r->to) continue;
            u128 v = xfer_amount(s, x, r);
            if (r->from) {
                /* an outflow: a candidate sweep, and the end of the run */
                u128 *sum;
                uint64_t *first, *last;
                struct tpend *tp = NULL;
                if (native) {
                    sum = &psum[r->from];
                    first = &pfirst[r->from];
                    last = &plast[r->from];
                } else {
                    tp = tmap_get(&tm, r->from, r->asset);
                    sum = &tp->sum;
                    first = &tp->first_block;
                    last = &tp->last_tx1;
                }
                if (*last && (r->kind == CS_XK_NATIVE || erc20) && tx->from == r->from &&
                    r->to && is_eoa(R, r->to) && !marked(r) && v > 0 && *sum >= v &&
                    *sum - v <= (u128)(native ? p->deposit_max_diff : p->token_max_diff) &&
                    *first + p->deposit_max_gap >= bnum) {
                    if (n == cap) {
                        cap = cap ? 2 * cap : 1024;
                        m = cs_xrealloc(m, cap * sizeof *m);
                    }
                    m[n++] = (struct dmatch){r->from, r->to, t, *last - 1, (uint8_t)!native};
                }
                *sum = 0;
                *last = 0;
                *first = 0;
            }
            if (r->to && r->from && v > 0 && !marked(r)) {
                u128 *sum;
                uint64_t *first, *last;
                if (native) {
                    sum = &psum[r->to];
                    first = &pfirst[r->to];
                    last = &plast[r->to];
                } else {
                    struct tpend *tp = tmap_get(&tm, r->to, r->asset);
                    sum = &tp->sum;
                    first = &tp->first_block;
                    last = &tp->last_tx1;
                }
                if (!*last) *first = bnum;
                *sum = *sum > U128_MAX - v ? U128_MAX : *sum + v;
                *last = t + 1;
            }
        }
    }
    free(psum);
    free(pfirst);
    free(plast);
    free(tm.v);
    *out = m;
    *nout = n;
}

/* pass 3: D joins E; the senders to D join each other */
static int cmp_match_ed(const void *a, const void *b)
{
    const struct dmatch *x = a, *y = b;
    if (x->e != y->e) return x->e < y->e ? -1 : 1;
    return x->d < y->d ? -1 : x->d > y->d;
}

/* Keeps the forwards whose E is an exchange (tagged, or forwarded to by
 * enough distinct accounts) and whose D is not one; chain order kept. */
static size_t qualify(struct run *R, struct dmatch *m, size_t n)
{
    struct dmatch *byE = cs_xmalloc((n ? n : 1) * sizeof *byE);
    if (n) {
        memcpy(byE, m, n * sizeof *m);
        qsort(byE, n, sizeof *byE, cmp_match_ed);
    }
    for (size_t i = 0; i < n;) {
        size_t j = i, distinct = 0;
        while (j < n && byE[j].e == byE[i].e) {
            if (j == i || byE[j].d != byE[j - 1].d) distinct++;
            j++;
        }
        if (distinct >= R->p->deposit_min_forwarders) R->flag[byE[i].e] |= F_EXCH;
        i = j;
    }
    free(byE);
    for (uint64_t a = 1; a < R->k->acct; a++)
        if ((R->flag[a] & F_TAGX) && is_eoa(R, a)) R->flag[a] |= F_EXCH;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if ((R->flag[m[i].e] & F_EXCH) && !(R->flag[m[i].d] & F_EXCH)) m[k++] = m[i];
    return k;
}

struct pay_key {
    uint64_t d, u, t, e;
    size_t idx;
    int skip;
};

static int cmp_pay_ued(const void *a, const void *b)
{
    const struct pay_key *x = a, *y = b;
    if (x->u != y->u) return x->u < y->u ? -1 : 1;
    if (x->e != y->e) return x->e < y->e ? -1 : 1;
    if (x->d != y->d) return x->d < y->d ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void pass_deposit_union(struct run *R, struct dmatch *m, size_t n)
{
    const struct cs_evm *s = R->s;
    n = qualify(R, m, n);
    for (size_t i = 0; i < n; i++) {
        if (!(R->flag[m[i].d] & F_DEPOSIT)) {
            R->st->deposits++;
            if (m[i].token) R->st->deposit_token_deposits++;
        }
        R->flag[m[i].d] |= F_DEPOSIT;
    }
    for (size_t i = 0; i < n; i++) {
        struct cs_evmclu_ev e = {m[i].d, m[i].e, 0, m[i].sweep_tx, m[i].last_in_tx,
                                 CS_EVMCLU_EV_DEPOSIT_EXCHANGE, m[i].token, {0}};
        union_req(R, &e);
    }
    for (uint64_t a = 1; a < R->k->acct; a++)
        if (R->flag[a] & F_EXCH) R->st->exchanges++;
    /* deposit addresses in ascending row order: the matches are in chain
     * order, so collect the distinct ones first */
    uint64_t *ds = cs_xmalloc((n ? n : 1) * sizeof *ds);
    uint64_t *first_e = cs_xcalloc(R->k->acct ? R->k->acct : 1, sizeof *first_e);
    for (size_t i = n; i-- > 0;) /* chain order: the first match wins */
        first_e[m[i].d] = m[i].e;
    size_t nd = 0;
    for (uint64_t a = 1; a < R->k->acct && nd < n; a++)
        if (R->flag[a] & F_DEPOSIT) ds[nd++] = a;
    /* the qualifying payments to each D, D ascending, newest first within */
    struct pay_key *pv = NULL;
    size_t npv = 0, cappv = 0;
    for (size_t i = 0; i < nd; i++) {
        uint64_t d = ds[i], e = first_e[d];
        for (uint64_t x = cs_evm_in_head(s, d); x != CS_EVM_NONE; x = cs_evm_in_next(s, x)) {
            const struct cs_evm_xferrec *r = cs_evm_xfer(s, x);
            uint64_t u = r->from;
            if (!u || u == d || marked(r) || r->kind == CS_XK_FEE_TIP ||
                r->kind == CS_XK_FEE_BURN || r->kind == CS_XK_REWARD ||
                r->kind == CS_XK_WITHDRAWAL)
                continue;
            if (!is_eoa(R, u) || (R->flag[u] & (F_MINER | F_DEPOSIT | F_EXCH))) continue;
            if (r->kind != CS_XK_ERC721 && xfer_amount(s, x, r) == 0) continue;
            if (npv == cappv) {
                cappv = cappv ? 2 * cappv : 4096;
                pv = cs_xrealloc(pv, cappv * sizeof *pv);
            }
            pv[npv] = (struct pay_key){d, u, cs_evm_xfer_tx(s, x), e, npv, 0};
            npv++;
        }
    }
    if (R->p->deposit_exclusive && npv) {
        struct pay_key *byu = cs_xmalloc(npv * sizeof *byu);
        memcpy(byu, pv, npv * sizeof *pv);
        qsort(byu, npv, sizeof *byu, cmp_pay_ued);
        for (size_t i = 0; i < npv;) {
            size_t j = i;
            int many = 0;
            while (j < npv && byu[j].u == byu[i].u && byu[j].e == byu[i].e) {
                if (byu[j].d != byu[i].d) many = 1;
                j++;
            }
            if (many)
                for (size_t q = i; q < j; q++)
                    pv[byu[q].idx].skip = 1;
            i = j;
        }
        free(byu);
    }
    for (size_t i = 0; i < npv;) {
        size_t j = i;
        uint64_t anchor = 0, anchor_tx = CS_EVM_NONE;
        while (j < npv && pv[j].d == pv[i].d) {
            const struct pay_key *q = &pv[j++];
            if (q->skip) continue;
            if (!anchor) {
                anchor = q->u;
                anchor_tx = q->t;
                continue;
            }
            if (q->u == anchor) continue;
            struct cs_evmclu_ev e = {anchor, q->u, q->d, q->t, anchor_tx, CS_EVMCLU_EV_DEPOSIT_USER,
                                     0, {0}};
            union_req(R, &e);
        }
        i = j;
    }
    free(pv);
    free(first_e);
    free(ds);
}

/* ---- pass 4: airdrops ---- */

struct akey {
    uint64_t tok, from;
    u128 amount;
    uint64_t count; /* 0: empty slot (count >= 1 when used) */
};

struct amap {
    struct akey *v;
    size_t cap, n;
};

static uint64_t akey_hash(uint64_t tok, uint64_t from, u128 amount)
{
    return mix64(tok * 0x9e3779b97f4a7c15ull ^ mix64(from) ^ mix64((uint64_t)amount) ^
                 (uint64_t)(amount >> 64));
}

static struct akey *amap_get(struct amap *m, uint64_t tok, uint64_t from, u128 amount, int add)
{
    if (add && 2 * (m->n + 1) > m->cap) {
        size_t nc = m->cap ? 2 * m->cap : 4096;
        struct akey *nv = cs_xcalloc(nc, sizeof *nv);
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->v[i].count) continue;
            size_t j = akey_hash(m->v[i].tok, m->v[i].from, m->v[i].amount) & (nc - 1);
            while (nv[j].count)
                j = (j + 1) & (nc - 1);
            nv[j] = m->v[i];
        }
        free(m->v);
        m->v = nv;
        m->cap = nc;
    }
    if (!m->cap) return NULL;
    size_t j = akey_hash(tok, from, amount) & (m->cap - 1);
    while (m->v[j].count &&
           (m->v[j].tok != tok || m->v[j].from != from || m->v[j].amount != amount))
        j = (j + 1) & (m->cap - 1);
    if (!m->v[j].count) {
        if (!add) return NULL;
        m->v[j] = (struct akey){tok, from, amount, 0};
        m->n++;
    }
    return &m->v[j];
}

struct arec {
    uint64_t sig;       /* index of the signature */
    uint64_t to, block; /* recipient, block number */
    uint64_t x, tx;     /* transfer row, tx row */
};

struct fwd {
    uint64_t agg, rec, tx, air_tx, tok;
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_arec(const void *a, const void *b)
{
    const struct arec *x = a, *y = b;
    if (x->sig != y->sig) return x->sig < y->sig ? -1 : 1;
    return x->x < y->x ? -1 : x->x > y->x;
}

static int cmp_fwd(const void *a, const void *b)
{
    const struct fwd *x = a, *y = b;
    if (x->agg != y->agg) return x->agg < y->agg ? -1 : 1;
    if (x->rec != y->rec) return x->rec < y->rec ? -1 : 1;
    return x->tx < y->tx ? -1 : x->tx > y->tx;
}

static void pass_airdrop(struct run *R)
{
    const struct cs_evm *s = R->s;
    const struct cs_evmclu_params *p = R->p;
    struct amap am = {0};
    for (uint64_t t = 0; t < R->k->tx; t++) {
        const struct cs_evm_txrec *tx = cs_evm_tx(s, t);
        for (uint64_t x = tx->first_xfer; x < tx->first_xfer + tx->n_xfer; x++) {
            const struct cs_evm_xferrec *r = cs_evm_xfer(s, x);
            if (r->kind != CS_XK_ERC20 || !r->from || !r->to || marked(r)) continue;
            amap_get(&am, r->asset, r->from, xfer_amount(s, x, r), 1)->count++;
        }
    }
    /* candidate signatures: enough transfers; number them */
    uint64_t nsig = 0;
    for (size_t i = 0; i < am.cap; i++) {
        if (am.v[i].count >= p->airdrop_min && am.v[i].count) {
            am.v[i].count = UINT64_MAX - nsig; /* mark: signature index */
            nsig++;
        } else {
            am.v[i].count = am.v[i].count ? 1 : 0; /* keep the slot occupied */
        }
    }
    if (!nsig) {
        free(am.v);
        return;
    }
    /* the candidates' transfers */
    struct arec *ar = NULL;
    size_t nar = 0, capar = 0;
    struct akey **sigkey = cs_xcalloc(nsig, sizeof *sigkey);
    uint64_t cur_brow = UINT64_MAX, bnum = 0;
    for (uint64_t t = 0; t < R->k->tx; t++) {
        const struct cs_evm_txrec *tx = cs_evm_tx(s, t);
        for (uint64_t x = tx->first_xfer; x < tx->first_xfer + tx->n_xfer; x++) {
            const struct cs_evm_xferrec *r = cs_evm_xfer(s, x);
            if (r->kind != CS_XK_ERC20 || !r->from || !r->to || marked(r)) continue;
            struct akey *kk = amap_get(&am, r->asset, r->from, xfer_amount(s, x, r), 0);
            if (!kk || kk->count < UINT64_MAX - nsig + 1) continue;
            if (tx->block != cur_brow) {
                cur_brow = tx->block;
                bnum = cs_evm_block(s, cur_brow)->number;
            }
            uint64_t sig = UINT64_MAX - kk->count;
            sigkey[sig] = kk;
            if (nar == capar) {
                capar = capar ? 2 * capar : 4096;
                ar = cs_xrealloc(ar, capar * sizeof *ar);
            }
            ar[nar++] = (struct arec){sig, r->to, bnum, x, t};
        }
    }
    if (nar) qsort(ar, nar, sizeof *ar, cmp_arec);
    struct fwd *fw = NULL;
    size_t nfw = 0, capfw = 0;
    for (size_t i = 0; i < nar;) {
        size_t j = i;
        while (j < nar && ar[j].sig == ar[i].sig)
            j++;
        size_t cnt = j - i;
        /* median block gap, over the transfers in chain order (lower median) */
        uint64_t *gap = cs_xmalloc(cnt * sizeof *gap), *rec = cs_xmalloc(cnt * sizeof *rec);
        for (size_t q = 0; q < cnt; q++) {
            rec[q] = ar[i + q].to;
            if (q) gap[q - 1] = ar[i + q].block - ar[i + q - 1].block;
        }
        qsort(gap, cnt - 1, sizeof *gap, cmp_u64);
        uint64_t median = cnt > 1 ? gap[(cnt - 2) / 2] : 0;
        qsort(rec, cnt, sizeof *rec, cmp_u64);
        size_t distinct = 0;
        for (size_t q = 0; q < cnt; q++)
            if (!q || rec[q] != rec[q - 1]) distinct++;
        free(gap);
        free(rec);
        if (distinct >= p->airdrop_min && median <= p->airdrop_max_gap) {
            const struct akey *kk = sigkey[ar[i].sig];
            R->st->airdrops++;
            for (size_t q = i; q < j; q++) {
                uint64_t rcv = ar[q].to;
                if (!is_eoa(R, rcv)) continue;
                for (uint64_t x = cs_evm_out_head(s, rcv); x != CS_EVM_NONE && x > ar[q].x;
                     x = cs_evm_out_next(s, x)) {
                    const struct cs_evm_xferrec *r = cs_evm_xfer(s, x);
                    if (r->kind != CS_XK_ERC20 || r->asset != kk->tok || marked(r) ||
                        r->to == kk->from || r->to == rcv || !is_eoa(R, r->to) ||
                        xfer_amount(s, x, r) != kk->amount)
                        continue;
                    uint64_t t = cs_evm_xfer_tx(s, x);
                    if (t == CS_EVM_NONE || cs_evm_tx(s, t)->from != rcv) continue;
                    if (nfw == capfw) {
                        capfw = capfw ? 2 * capfw : 1024;
                        fw = cs_xrealloc(fw, capfw * sizeof *fw);
                    }
                    fw[nfw++] = (struct fwd){r->to, rcv, t, ar[q].tx, kk->tok};
                }
            }
        }
        i = j;
    }
    if (nfw) qsort(fw, nfw, sizeof *fw, cmp_fwd);
    for (size_t i = 0; i < nfw;) {
        size_t j = i, senders = 0;
        while (j < nfw && fw[j].agg == fw[i].agg) {
            if (j == i || fw[j].rec != fw[j - 1].rec) senders++;
            j++;
        }
        if (senders >= p->airdrop_min_senders) {
            R->st->aggregators++;
            for (size_t q = i; q < j; q++) {
                if (q > i && fw[q].rec == fw[q - 1].rec) continue;
                struct cs_evmclu_ev e = {fw[q].rec, fw[q].agg,   fw[q].tok, fw[q].tx,
                                         fw[q].air_tx, CS_EVMCLU_EV_AIRDROP, 0, {0}};
                union_req(R, &e);
            }
        }
        i = j;
    }
    free(fw);
    free(ar);
    free(sigkey);
    free(am.v);
}

/* ---- pass 5: self-authorization ---- */

struct appr {
    uint64_t tok, owner, spender, tx;
};

static int cmp_appr(const void *a, const void *b)
{
    const struct appr *x = a, *y = b;
    if (x->tok != y->tok) return x->tok < y->tok ? -1 : 1;
    if (x->owner != y->owner) return x->owner < y->owner ? -1 : 1;
    if (x->spender != y->spender) return x->spender < y->spender ? -1 : 1;
    return x->tx < y->tx ? -1 : x->tx > y->tx;
}

static int topic_addr(const uint8_t topic[32], const struct cs_evm *s, uint64_t *acct)
{
    for (int i = 0; i < 12; i++)
        if (topic[i]) return -1;
    return cs_evm_find_acct(s, topic + 12, acct) ? -1 : 0;
}

static void pass_selfauth(struct run *R)
{
    const struct cs_evm *s = R->s;
    uint8_t topic[32];
    static const char SIG[] = "Approval(address,address,uint256)";
    cs_keccak256(SIG, sizeof SIG - 1, topic);
    struct appr *ap = NULL;
    size_t n = 0, cap = 0;
    for (uint64_t l = 0; l < R->k->log; l++) {
        const struct cs_evm_logrec *lr = cs_evm_log(s, l);
        if (lr->ntopics < 3 || memcmp(lr->topic[0], topic, 32)) continue;
        uint64_t o, sp;
        if (topic_addr(lr->topic[1], s, &o) || topic_addr(lr->topic[2], s, &sp) || o == sp)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            ap = cs_xrealloc(ap, cap * sizeof *ap);
        }
        ap[n++] = (struct appr){lr->acct, o, sp, lr->tx1 - 1};
    }
    R->st->approvals = n;
    if (!n) return;
    qsort(ap, n, sizeof *ap, cmp_appr);
    for (uint64_t t = 0; t < R->k->tx; t++) {
        const struct cs_evm_txrec *tx = cs_evm_tx(s, t);
        if (!tx->to) continue;
        for (uint64_t x = tx->first_xfer; x < tx->first_xfer + tx->n_xfer; x++) {
            const struct cs_evm_xferrec *r = cs_evm_xfer(s, x);
            if ((r->kind != CS_XK_ERC20 && r->kind != CS_XK_ERC721 && r->kind != CS_XK_ERC1155) ||
                r->asset != tx->to || !r->from || r->from == tx->from || marked(r))
                continue;
            /* the earliest approval of (token, owner, spender) */
            struct appr key = {r->asset, r->from, tx->from, 0};
            size_t lo = 0, hi = n;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cmp_appr(&ap[mid], &key) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo == n || ap[lo].tok != key.tok || ap[lo].owner != key.owner ||
                ap[lo].spender != key.spender || ap[lo].tx >= t)
                continue;
            struct cs_evmclu_ev e = {r->from, tx->from,         r->asset, t,
                                     ap[lo].tx, CS_EVMCLU_EV_SELFAUTH, 0, {0}};
            union_req(R, &e);
        }
    }
    free(ap);
}

/* ---------------- files ---------------- */

static void clu_dir(const char *dbdir, const char *chain, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s/cluster", dbdir, chain);
}

static int state_write(const char *dir, const struct cs_evmclu_state *st)
{
    char buf[4096], hex[65];
    size_t n = 0;
#define PUT(...) n += (size_t)snprintf(buf + n, n < sizeof buf ? sizeof buf - n : 0, __VA_ARGS__)
#define U(x) (unsigned long long)(x)
    PUT("chainsleuth-evm-cluster %d\n", CS_EVMCLU_FORMAT);
    PUT("chain %s\nspec %s\ntags %s\n", st->chain, st->spec, st->tags);
    cs_hex(hex, st->tip, 32);
    PUT("blocks %llu\ntip_number %llu\ntip %s\n", U(st->blocks), U(st->tip_number), hex);
    PUT("accounts %llu\ntxs %llu\nxfers %llu\nlogs %llu\nevidence %llu\ngeneration %llu\n",
        U(st->accounts), U(st->txs), U(st->xfers), U(st->logs), U(st->evidence),
        U(st->generation));
    cs_hex(hex, st->cid_sha, 32);
    PUT("cid_sha256 %s\n", hex);
    cs_hex(hex, st->ev_sha, 32);
    PUT("ev_sha256 %s\n", hex);
    PUT("clusters %llu\nsingletons %llu\nlargest %llu\nlargest_id %llu\n", U(st->clusters),
        U(st->singletons), U(st->largest), U(st->largest_id));
    PUT("eoas %llu\nminers %llu\ndeposits %llu\ndeposit_token_deposits %llu\nexchanges %llu\n",
        U(st->eoas), U(st->miners), U(st->deposits), U(st->deposit_token_deposits),
        U(st->exchanges));
    PUT("airdrops %llu\naggregators %llu\napprovals %llu\n", U(st->airdrops), U(st->aggregators),
        U(st->approvals));
    for (int i = 1; i < 5; i++)
        PUT("unions %s %llu %llu\n", cs_evmclu_ev_name(i), U(st->unions[i]), U(st->merges[i]));
    PUT("seconds %.3f\n", st->seconds);
#undef U
    if (n >= sizeof buf - 80) return cs_error(CS_ERANGE, "%s: cluster state too long", dir);
    uint8_t h[32];
    cs_sha256(buf, n, h);
    cs_hex(hex, h, 32);
    PUT("checksum %s\n", hex);
#undef PUT
    return cs_atomic_write(dir, "EVM_CLUSTER_STATE", buf, n);
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9') return -1;
    unsigned long long x = strtoull(s, &end, 10);
    if (*end || errno) return -1;
    *v = x;
    return 0;
}

static int parse_hex32(const char *s, uint8_t out[32])
{
    if (strlen(s) != 64) return -1;
    for (int i = 0; i < 32; i++) {
        int v = 0;
        for (int j = 0; j < 2; j++) {
            char c = s[2 * i + j];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0) return -1;
            v = v * 16 + d;
        }
        out[i] = (uint8_t)v;
    }
    return 0;
}

int cs_evmclu_state_read(const char *dbdir, const char *chain, struct cs_evmclu_state *st)
{
    char dir[4200], p[4300], buf[4096];
    memset(st, 0, sizeof *st);
    clu_dir(dbdir, chain, dir, sizeof dir);
    snprintf(p, sizeof p, "%s/EVM_CLUSTER_STATE", dir);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return cs_error(CS_ENOTFOUND,
                            "%s: no clustering of chain %s (run chainsleuth cluster --chain %s)",
                            dbdir, chain, chain);
        return cs_error(CS_EIO, "%s: open: %s", p, strerror(errno));
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) return cs_error(CS_EIO, "%s: read: %s", p, strerror(errno));
    buf[n] = 0;
    if ((size_t)n == sizeof buf - 1 || strlen(buf) != (size_t)n)
        return cs_error(CS_ECORRUPT, "%s: not a cluster state file", p);
    char *ck = strstr(buf, "checksum ");
    while (ck && ck != buf && ck[-1] != '\n')
        ck = strstr(ck + 1, "checksum ");
    if (!ck) return cs_error(CS_ECORRUPT, "%s: no checksum line", p);
    uint8_t h[32];
    char hex[65];
    cs_sha256(buf, (size_t)(ck - buf), h);
    cs_hex(hex, h, 32);
    if (strncmp(ck + 9, hex, 64) != 0 || ck[73] != '\n' || ck[74] != 0)
        return cs_error(CS_ECORRUPT, "%s: checksum mismatch (byte %ld): the file is damaged", p,
                        (long)(ck - buf));
    *ck = 0;
    int fmt = -1;
    unsigned have = 0;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *sp = strchr(line, ' ');
        if (!sp) goto bad;
        *sp = 0;
        const char *key = line, *val = sp + 1;
        uint64_t v = 0;
        struct {
            const char *name;
            uint64_t *dst;
        } nums[] = {
            {"blocks", &st->blocks},     {"tip_number", &st->tip_number},
            {"accounts", &st->accounts}, {"txs", &st->txs},
            {"xfers", &st->xfers},       {"logs", &st->logs},
            {"evidence", &st->evidence}, {"generation", &st->generation},
            {"clusters", &st->clusters}, {"singletons", &st->singletons},
            {"largest", &st->largest},   {"largest_id", &st->largest_id},
            {"eoas", &st->eoas},         {"miners", &st->miners},
            {"deposits", &st->deposits}, {"deposit_token_deposits", &st->deposit_token_deposits},
            {"exchanges", &st->exchanges}, {"airdrops", &st->airdrops},
            {"aggregators", &st->aggregators}, {"approvals", &st->approvals},
        };
        int done = 0;
        for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
            if (!strcmp(key, nums[i].name)) {
                if (parse_u64(val, nums[i].dst)) goto bad;
                done = 1;
            }
        if (done) continue;
        if (!strcmp(key, "chainsleuth-evm-cluster")) {
            if (parse_u64(val, &v)) goto bad;
            fmt = (int)v;
        } else if (!strcmp(key, "chain")) {
            if (strlen(val) >= sizeof st->chain) goto bad;
            snprintf(st->chain, sizeof st->chain, "%s", val);
            have |= 1;
        } else if (!strcmp(key, "tags")) {
            if (strlen(val) >= sizeof st->tags) goto bad;
            snprintf(st->tags, sizeof st->tags, "%s", val);
        } else if (!strcmp(key, "spec")) {
            if (strlen(val) >= sizeof st->spec) goto bad;
            snprintf(st->spec, sizeof st->spec, "%s", val);
            have |= 2;
        } else if (!strcmp(key, "tip")) {
            if (parse_hex32(val, st->tip)) goto bad;
            have |= 4;
        } else if (!strcmp(key, "cid_sha256")) {
            if (parse_hex32(val, st->cid_sha)) goto bad;
            have |= 8;
        } else if (!strcmp(key, "ev_sha256")) {
            if (parse_hex32(val, st->ev_sha)) goto bad;
            have |= 16;
        } else if (!strcmp(key, "unions")) {
            char name[32];
            unsigned long long u, m;
            if (sscanf(val, "%31s %llu %llu", name, &u, &m) != 3) goto bad;
            for (int i = 1; i < 5; i++)
                if (!strcmp(name, cs_evmclu_ev_name(i))) {
                    st->unions[i] = u;
                    st->merges[i] = m;
                }
        } else if (!strcmp(key, "seconds")) {
            st->seconds = strtod(val, NULL);
        } /* unknown keys: a newer writer's statistics */
    }
    if (fmt != CS_EVMCLU_FORMAT)
        return cs_error(CS_ECORRUPT, "%s/EVM_CLUSTER_STATE: format %d, this build reads %d", dir,
                        fmt, CS_EVMCLU_FORMAT);
    if (have != 31 || !st->generation)
        return cs_error(CS_ECORRUPT, "%s/EVM_CLUSTER_STATE: a field is missing", dir);
    return 0;
bad:
    return cs_error(CS_ECORRUPT, "%s/EVM_CLUSTER_STATE: bad line '%s'", dir, buf);
}

static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
    return cs_atomic_write(dir, name, data, len);
}

/* Removes evm.G.cid / evm.G.ev of every generation but keep, and any
 * evm.*.tmp a killed run left. */
static void remove_other_generations(const char *dir, uint64_t keep)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    int removed = 0;
    while ((de = readdir(d))) {
        unsigned long long g;
        char ext[8], tail[8] = "";
        int k = sscanf(de->d_name, "evm.%llu.%3[a-z]%7s", &g, ext, tail);
        if (k < 2 || (strcmp(ext, "cid") && strcmp(ext, "ev"))) continue;
        int tmp = k == 3 && !strcmp(tail, ".tmp"); /* a crashed writer's; we hold the lock */
        if (k == 3 && !tmp) continue;
        if (g == keep && !tmp) continue;
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (!unlink(p)) removed = 1;
    }
    closedir(d);
    if (removed && cs_fsync_dir(dir)) cs_error_clear(); /* garbage only: not an error */
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int cs_evmclu_run(const struct cs_evm *s, const char *dbdir, const struct cs_evmclu_params *p,
                  volatile int *stop, struct cs_evmclu_report *rep)
{
    double t0 = now_s();
    memset(rep, 0, sizeof *rep);
    struct cs_evmclu_state *st = &rep->state;
    const struct cs_evm_chain *ch = cs_evm_chain(s);
    const struct cs_evm_counts *k = cs_evm_counts(s);
    char dir[4200], lockp[4300];
    clu_dir(dbdir, ch->name, dir, sizeof dir);
    if (mkdir(dir, 0755) && errno != EEXIST)
        return cs_error(CS_EIO, "%s: mkdir: %s", dir, strerror(errno));
    snprintf(lockp, sizeof lockp, "%s/EVM_CLUSTER_LOCK", dir);
    int lfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lfd < 0) return cs_error(CS_EIO, "%s: open: %s", lockp, strerror(errno));
    if (flock(lfd, LOCK_EX | LOCK_NB)) {
        close(lfd);
        return cs_error(CS_ELOCKED, "%s: another chainsleuth cluster run holds it", lockp);
    }
    int rc = 0;
    snprintf(st->chain, sizeof st->chain, "%s", ch->name);
    if ((rc = cs_evmclu_spec_format(p, st->spec, sizeof st->spec))) goto out_lock;
    snprintf(st->tags, sizeof st->tags, "%s", p->tags_id && *p->tags_id ? p->tags_id : "none");
    st->blocks = k->blocks;
    if (k->blocks) {
        const struct cs_evm_blockrec *b = cs_evm_block(s, k->blocks - 1);
        st->tip_number = b->number;
        memcpy(st->tip, b->hash, 32);
    }
    st->accounts = k->acct ? k->acct : 1;
    st->txs = k->tx;
    st->xfers = k->xfer;
    st->logs = k->log;
    {
        struct cs_evmclu_state old;
        st->generation = cs_evmclu_state_read(dbdir, ch->name, &old) ? 1 : old.generation + 1;
        cs_error_clear();
    }
    struct run R = {s, p, k, NULL, {0}, st};
    uint64_t na = st->accounts;
    R.flag = cs_xcalloc(na, 1);
    R.uf.n = na;
    R.uf.parent = cs_xmalloc(na * sizeof *R.uf.parent);
    R.uf.size = cs_xmalloc(na * sizeof *R.uf.size);
    for (uint64_t a = 0; a < na; a++) {
        R.uf.parent[a] = a;
        R.uf.size[a] = 1;
    }
    uint64_t *cid = NULL;
    pass_flags(&R);
    for (size_t i = 0; i < p->n_exchanges; i++)
        if (p->exchanges[i] && p->exchanges[i] < na) R.flag[p->exchanges[i]] |= F_TAGX;
    if (p->heuristics & CS_EVMCLU_DEPOSIT) {
        struct dmatch *m;
        size_t nm;
        if (stop && *stop) goto interrupted;
        pass_deposit(&R, &m, &nm);
        if (stop && *stop) {
            free(m);
            goto interrupted;
        }
        /* group the matches by deposit address, chain order within */
        pass_deposit_union(&R, m, nm);
        free(m);
    }
    if (p->heuristics & CS_EVMCLU_AIRDROP) {
        if (stop && *stop) goto interrupted;
        pass_airdrop(&R);
    }
    if (p->heuristics & CS_EVMCLU_SELFAUTH) {
        if (stop && *stop) goto interrupted;
        pass_selfauth(&R);
    }
    if (stop && *stop) goto interrupted;
    /* compress: cid = smallest row of the cluster (see the top of uf64) */
    cid = cs_xmalloc(na * sizeof *cid);
    for (uint64_t a = 0; a < na; a++)
        cid[a] = UINT64_MAX;
    for (uint64_t a = 0; a < na; a++) {
        uint64_t r = uf_find(&R.uf, a);
        if (cid[r] == UINT64_MAX) cid[r] = a;
        cid[a] = cid[r];
    }
    /* statistics: sizes counted per cluster id in the freed size array */
    memset(R.uf.size, 0, na * sizeof *R.uf.size);
    for (uint64_t a = 1; a < na; a++)
        R.uf.size[cid[a]]++;
    for (uint64_t a = 1; a < na; a++) {
        uint32_t sz = R.uf.size[a];
        if (!sz) continue;
        st->clusters++;
        if (sz == 1) st->singletons++;
        if (sz > st->largest) {
            st->largest = sz;
            st->largest_id = a;
        }
    }
    st->evidence = R.uf.nev;
    cs_sha256(cid, na * sizeof *cid, st->cid_sha);
    cs_sha256(R.uf.ev ? (const void *)R.uf.ev : (const void *)"", R.uf.nev * sizeof *R.uf.ev,
              st->ev_sha);
    st->seconds = now_s() - t0;
    {
        char name[64];
        snprintf(name, sizeof name, "evm.%llu.cid", (unsigned long long)st->generation);
        if ((rc = write_file(dir, name, cid, na * sizeof *cid))) goto out;
        snprintf(name, sizeof name, "evm.%llu.ev", (unsigned long long)st->generation);
        if ((rc = write_file(dir, name, R.uf.ev ? (const void *)R.uf.ev : (const void *)"",
                             R.uf.nev * sizeof *R.uf.ev)))
            goto out;
        if ((rc = state_write(dir, st))) goto out; /* the commit point */
        remove_other_generations(dir, st->generation);
    }
    rep->seconds = now_s() - t0;
    goto out;
interrupted:
    rc = cs_error(CS_EINTERRUPTED, "cluster: interrupted; nothing was committed");
out:
    free(cid);
    free(R.flag);
    free(R.uf.parent);
    free(R.uf.size);
    free(R.uf.ev);
out_lock:
    flock(lfd, LOCK_UN);
    close(lfd);
    return rc;
}

/* ---------------- reader ---------------- */

struct cs_evmclu {
    struct cs_evmclu_state st;
    const uint64_t *cid;
    size_t cid_len;
    const struct cs_evmclu_ev *ev;
    size_t ev_len;
};

static int map_gen(const char *dir, uint64_t gen, const char *ext, size_t want, const void **out,
                   size_t *len)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/evm.%llu.%s", dir, (unsigned long long)gen, ext);
    *out = NULL;
    *len = 0;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return cs_error(CS_ENOTFOUND, "%s: missing", p);
        return cs_error(CS_EIO, "%s: open: %s", p, strerror(errno));
    }
    struct stat sb;
    if (fstat(fd, &sb)) {
        close(fd);
        return cs_error(CS_EIO, "%s: fstat: %s", p, strerror(errno));
    }
    if ((uint64_t)sb.st_size != want) {
        close(fd);
        return cs_error(CS_ECORRUPT, "%s: %lld bytes, the cluster state says %zu", p,
                        (long long)sb.st_size, want);
    }
    if (want) {
        void *m = mmap(NULL, want, PROT_READ, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) {
            close(fd);
            return cs_error(CS_EIO, "%s: mmap: %s", p, strerror(errno));
        }
        *out = m;
        *len = want;
    }
    close(fd);
    return 0;
}

static int open_files(struct cs_evmclu *c, const char *dir)
{
    const void *m;
    int rc = map_gen(dir, c->st.generation, "cid", c->st.accounts * sizeof(uint64_t), &m,
                     &c->cid_len);
    if (rc) return rc;
    c->cid = m;
    rc = map_gen(dir, c->st.generation, "ev", c->st.evidence * sizeof(struct cs_evmclu_ev), &m,
                 &c->ev_len);
    if (rc) return rc;
    c->ev = m;
    uint8_t h[32];
    cs_sha256(c->cid_len ? (const void *)c->cid : (const void *)"", c->cid_len, h);
    if (memcmp(h, c->st.cid_sha, 32))
        return cs_error(CS_ECORRUPT, "%s/evm.%llu.cid: SHA-256 does not match the cluster state",
                        dir, (unsigned long long)c->st.generation);
    cs_sha256(c->ev_len ? (const void *)c->ev : (const void *)"", c->ev_len, h);
    if (memcmp(h, c->st.ev_sha, 32))
        return cs_error(CS_ECORRUPT, "%s/evm.%llu.ev: SHA-256 does not match the cluster state",
                        dir, (unsigned long long)c->st.generation);
    /* every cid and evidence row in range, so lookups never leave the map */
    for (uint64_t a = 0; a < c->st.accounts; a++)
        if (c->cid[a] > a || c->cid[c->cid[a]] != c->cid[a])
            return cs_error(CS_ECORRUPT, "%s/evm.%llu.cid: row %llu: bad cluster id", dir,
                            (unsigned long long)c->st.generation, (unsigned long long)a);
    for (uint64_t i = 0; i < c->st.evidence; i++)
        if (c->ev[i].a >= c->st.accounts || c->ev[i].b >= c->st.accounts)
            return cs_error(CS_ECORRUPT, "%s/evm.%llu.ev: row %llu: account out of range", dir,
                            (unsigned long long)c->st.generation, (unsigned long long)i);
    return 0;
}

static void unmap(struct cs_evmclu *c)
{
    if (c->cid) munmap((void *)c->cid, c->cid_len);
    if (c->ev) munmap((void *)c->ev, c->ev_len);
    c->cid = NULL;
    c->ev = NULL;
    c->cid_len = c->ev_len = 0;
}

int cs_evmclu_open_any(struct cs_evmclu **out, const char *dbdir, const struct cs_evm *s,
                       int *stale)
{
    *out = NULL;
    *stale = 0;
    const struct cs_evm_chain *ch = cs_evm_chain(s);
    char dir[4200];
    clu_dir(dbdir, ch->name, dir, sizeof dir);
    struct cs_evmclu *c = cs_xcalloc(1, sizeof *c);
    int rc = 0;
    /* a writer removes the old generation after committing the new state:
     * a reader that read the old state just before retries */
    for (int attempt = 0; attempt < 8; attempt++) {
        unmap(c);
        if ((rc = cs_evmclu_state_read(dbdir, ch->name, &c->st))) goto fail;
        rc = open_files(c, dir);
        if (rc != CS_ENOTFOUND) break;
    }
    if (rc == CS_ENOTFOUND) rc = cs_error(CS_ECORRUPT, "%s", cs_errmsg());
    if (rc) goto fail;
    if (strcmp(c->st.chain, ch->name)) {
        rc = cs_error(CS_ECORRUPT, "%s: the clustering is of chain %s, the store holds %s", dir,
                      c->st.chain, ch->name);
        goto fail;
    }
    const struct cs_evm_counts *k = cs_evm_counts(s);
    if (c->st.blocks > k->blocks || c->st.accounts > (k->acct ? k->acct : 1) ||
        (c->st.blocks && memcmp(cs_evm_block(s, c->st.blocks - 1)->hash, c->st.tip, 32))) {
        *stale = 1;
        cs_error(CS_ESTALE,
                 "%s: the clustering was made at block %llu, which the store no longer holds "
                 "(a reorg): run chainsleuth cluster --chain %s",
                 dir, (unsigned long long)c->st.tip_number, ch->name);
    } else if (c->st.blocks != k->blocks) {
        *stale = 1;
        cs_error(CS_ESTALE,
                 "%s: the clustering was made at block %llu, the store's tip is block %llu: run "
                 "chainsleuth cluster --chain %s",
                 dir, (unsigned long long)c->st.tip_number,
                 (unsigned long long)cs_evm_block(s, k->blocks - 1)->number, ch->name);
    }
    *out = c;
    return 0;
fail:
    cs_evmclu_close(c);
    return rc;
}

int cs_evmclu_open(struct cs_evmclu **out, const char *dbdir, const struct cs_evm *s)
{
    int stale;
    int rc = cs_evmclu_open_any(out, dbdir, s, &stale);
    if (rc) return rc;
    if (stale) {
        cs_evmclu_close(*out);
        *out = NULL;
        return CS_ESTALE; /* the message is set */
    }
    return 0;
}

void cs_evmclu_close(struct cs_evmclu *c)
{
    if (!c) return;
    unmap(c);
    free(c);
}

const struct cs_evmclu_state *cs_evmclu_state(const struct cs_evmclu *c)
{
    return &c->st;
}

uint64_t cs_evmclu_cid(const struct cs_evmclu *c, uint64_t a)
{
    return a < c->st.accounts ? c->cid[a] : a;
}

const struct cs_evmclu_ev *cs_evmclu_deposit_of(const struct cs_evmclu *c, uint64_t d)
{
    for (uint64_t i = 0; i < c->st.evidence; i++)
        if (c->ev[i].heur == CS_EVMCLU_EV_DEPOSIT_EXCHANGE && c->ev[i].a == d) return &c->ev[i];
    return NULL;
}

/* --why: BFS over the half-edges of one cluster */
struct wedge {
    uint64_t node, other, row;
};

static int cmp_wedge(const void *a, const void *b)
{
    const struct wedge *x = a, *y = b;
    if (x->node != y->node) return x->node < y->node ? -1 : 1;
    return x->other < y->other ? -1 : x->other > y->other;
}

static size_t wfind(const struct wedge *w, size_t n, uint64_t node)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w[mid].node < node)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && w[lo].node == node ? lo : n;
}

int cs_evmclu_why(const struct cs_evmclu *c, uint64_t a, uint64_t b, struct cs_evmclu_hop **hops,
                  size_t *n)
{
    *hops = NULL;
    *n = 0;
    uint64_t ca = cs_evmclu_cid(c, a), cb = cs_evmclu_cid(c, b);
    if (!a || !b || ca != cb)
        return cs_error(CS_ENOTFOUND, "accounts %llu and %llu are not in one cluster",
                        (unsigned long long)a, (unsigned long long)b);
    if (a == b) return 0;
    size_t cap = 64, k = 0;
    struct wedge *w = cs_xmalloc(cap * sizeof *w);
    for (uint64_t i = 0; i < c->st.evidence; i++) {
        const struct cs_evmclu_ev *e = &c->ev[i];
        if (c->cid[e->a] != ca) continue;
        if (k + 2 > cap) w = cs_xrealloc(w, (cap *= 2) * sizeof *w);
        w[k++] = (struct wedge){e->a, e->b, i};
        w[k++] = (struct wedge){e->b, e->a, i};
    }
    qsort(w, k, sizeof *w, cmp_wedge);
    size_t *queue = cs_xmalloc((k + 1) * sizeof *queue), *via = cs_xmalloc((k + 1) * sizeof *via);
    uint8_t *seen = cs_xcalloc(k + 1, 1);
    size_t qh = 0, qt = 0, ia = wfind(w, k, a), ib = wfind(w, k, b);
    int rc = 0;
    if (ia == k || ib == k) {
        rc = cs_error(CS_ECORRUPT, "the evidence does not connect accounts %llu and %llu",
                      (unsigned long long)a, (unsigned long long)b);
        goto done;
    }
    seen[ia] = 1;
    via[ia] = SIZE_MAX;
    queue[qt++] = ia;
    while (qh < qt && !seen[ib]) {
        size_t g = queue[qh++];
        for (size_t e = g; e < k && w[e].node == w[g].node; e++) {
            size_t h = wfind(w, k, w[e].other);
            if (h == k || seen[h]) continue;
            seen[h] = 1;
            via[h] = e;
            queue[qt++] = h;
        }
    }
    if (!seen[ib]) {
        rc = cs_error(CS_ECORRUPT, "the evidence does not connect accounts %llu and %llu",
                      (unsigned long long)a, (unsigned long long)b);
        goto done;
    }
    size_t len = 0;
    for (size_t g = ib; via[g] != SIZE_MAX; g = wfind(w, k, w[via[g]].node))
        len++;
    struct cs_evmclu_hop *o = cs_xmalloc((len ? len : 1) * sizeof *o);
    size_t i = len;
    for (size_t g = ib; via[g] != SIZE_MAX; g = wfind(w, k, w[via[g]].node)) {
        const struct wedge *e = &w[via[g]];
        o[--i] = (struct cs_evmclu_hop){e->node, e->other, c->ev[e->row]};
    }
    *hops = o;
    *n = len;
done:
    free(queue);
    free(via);
    free(seen);
    free(w);
    return rc;
}

int cs_evmclu_export_csv(const struct cs_evmclu *c, const struct cs_evm *s, FILE *f)
{
    char a[CS_EVM_ADDR_STR], ca[CS_EVM_ADDR_STR];
    uint64_t na = cs_evm_counts(s)->acct;
    if (fputs("address,cluster,cluster_address\n", f) == EOF)
        return cs_error(CS_EIO, "export: write failed");
    for (uint64_t x = 1; x < c->st.accounts && x < na; x++) {
        uint64_t id = c->cid[x];
        cs_evm_addr_lower(cs_evm_acct(s, x), a);
        cs_evm_addr_lower(cs_evm_acct(s, id), ca);
        if (fprintf(f, "%s,%llu,%s\n", a, (unsigned long long)id, ca) < 0)
            return cs_error(CS_EIO, "export: write failed at account %llu: %s",
                            (unsigned long long)x, strerror(errno));
    }
    if (fflush(f)) return cs_error(CS_EIO, "export: write failed: %s", strerror(errno));
    return 0;
}
