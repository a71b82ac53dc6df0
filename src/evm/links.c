/* links.c — the five Tornado Cash linking heuristics over an EVM store (the
 * definitions, parameters and bounds are in links.h).
 *
 * Every lookup is a binary search in an array of (key, key, key, index)
 * tuples sorted once, so the whole run is a handful of sorts plus the LINKED
 * walks, each bounded by walk_max transfers. */
#include "evm/links.h"

#include <stdlib.h>
#include <string.h>

#include "util/keccak.h"

static const char *const HNAME[CS_LH_N] = {"address_match", "unique_gas_price", "linked_addresses",
                                           "multi_denomination", "torn_mining"};
static const char *const HSHORT[CS_LH_N] = {"address", "gas", "linked", "multi", "torn"};

const char *cs_links_heuristic_name(int h)
{
    return h >= 0 && h < CS_LH_N ? HNAME[h] : "?";
}

int cs_links_parse_heuristics(const char *list, unsigned *out)
{
    unsigned set = 0;
    const char *p = list;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        int found = -1;
        if (n == 3 && !memcmp(p, "all", 3)) {
            set |= CS_LH_ALL;
            found = CS_LH_N;
        }
        for (int h = 0; h < CS_LH_N && found < 0; h++)
            if ((strlen(HNAME[h]) == n && !memcmp(p, HNAME[h], n)) ||
                (strlen(HSHORT[h]) == n && !memcmp(p, HSHORT[h], n)))
                found = h;
        if (found < 0)
            return cs_error(
                CS_EUSAGE,
                "unknown heuristic '%.*s' (known: address, gas, linked, multi, torn, all "
                "or their full names)",
                (int)(n > 64 ? 64 : n), p);
        if (found < CS_LH_N) set |= 1u << found;
        if (!e) break;
        p = e + 1;
    }
    *out = set;
    return 0;
}

void cs_links_params_default(struct cs_links_params *p)
{
    memset(p, 0, sizeof *p);
    p->heuristics = CS_LH_ALL;
    p->linked_min_txs = 3;
    p->walk_max = 200000;
    p->gas_legacy_only = 1;
    p->multi_window = 7200;
    p->multi_min_pools = 2;
    p->multi_max_delay = 7200;
    p->claim_window = 7200;
    /* Tornado Cash's anonymity-mining rates (AP per block per note) */
    static const uint64_t MILLI_ETH[4] = {100, 1000, 10000, 100000};
    static const uint64_t RATE[4] = {4, 20, 50, 400};
    for (int i = 0; i < 4; i++) {
        struct cs_u256 m = cs_u256_from_u64(MILLI_ETH[i]),
                       f = cs_u256_from_u64(1000000000000000ull);
        if (cs_u256_mul(&p->rate[i].denom, &m, &f)) BUG("rate overflow");
        p->rate[i].per_block = RATE[i];
    }
    p->n_rate = 4;
}

/* ---- small sorted tuple arrays ---- */

struct key {
    uint64_t a, b, c, idx;
};

static int key_cmp(const void *x, const void *y)
{
    const struct key *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    if (p->b != q->b) return p->b < q->b ? -1 : 1;
    if (p->c != q->c) return p->c < q->c ? -1 : 1;
    return p->idx < q->idx ? -1 : p->idx > q->idx;
}

static void keys_sort(struct key *k, size_t n)
{
    if (n > 1) qsort(k, n, sizeof *k, key_cmp);
}

/* [*lo, *hi) of the keys whose first nfields fields equal (a, b, c). */
static void keys_range(const struct key *k, size_t n, int nfields, uint64_t a, uint64_t b,
                       uint64_t c, size_t *lo, size_t *hi)
{
    const uint64_t want[3] = {a, b, c};
    for (int side = 0; side < 2; side++) {
        size_t l = 0, h = n;
        while (l < h) {
            size_t m = l + (h - l) / 2;
            const uint64_t got[3] = {k[m].a, k[m].b, k[m].c};
            int c2 = 0;
            for (int f = 0; f < nfields && !c2; f++)
                c2 = got[f] < want[f] ? -1 : got[f] > want[f];
            /* side 0: first >= want; side 1: first > want */
            if (c2 < 0 || (side && c2 == 0))
                l = m + 1;
            else
                h = m;
        }
        *(side ? hi : lo) = l;
    }
}

static int u64_cmp(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static int u64_has(const uint64_t *v, size_t n, uint64_t x)
{
    size_t l = 0, h = n;
    while (l < h) {
        size_t m = l + (h - l) / 2;
        if (v[m] == x) return 1;
        if (v[m] < x)
            l = m + 1;
        else
            h = m;
    }
    return 0;
}

/* ---- the run ---- */

struct run {
    const struct cs_evm *s;
    const struct cs_links_params *p;
    struct cs_links_result *r;
    size_t cap_links;
    uint64_t *pool_accts; /* sorted */
    uint32_t *pool_of;    /* pool index of pool_accts[i] */
    struct key *dep_ap;   /* (depositor, pool, tx) */
    struct key *wd_ap;    /* (recipient, pool, tx) */
    struct key *dep_at;   /* (depositor, tx) */
    struct key *wd_at;    /* (recipient, tx) */
    size_t n_wd_keyed;    /* withdrawals with a known recipient */
    uint64_t *dep_exact;  /* per deposit: withdrawal + 1 an exact link ties it to (0: none) */
    uint64_t *wd_exact;   /* per withdrawal: deposit + 1 likewise */
};

static void add_link(struct run *R, uint64_t wd, uint64_t dep, int h, const uint64_t ev[5])
{
    struct cs_links_result *r = R->r;
    if (r->n_links == R->cap_links) {
        R->cap_links = R->cap_links ? 2 * R->cap_links : 256;
        r->links = cs_xrealloc(r->links, R->cap_links * sizeof *r->links);
    }
    struct cs_links_link *l = &r->links[r->n_links++];
    l->wd = wd;
    l->dep = dep;
    l->heuristic = h;
    memcpy(l->ev, ev, sizeof l->ev);
}

static int pool_index(const struct run *R, uint64_t acct, uint32_t *out)
{
    size_t l = 0, h = R->r->n_pools;
    while (l < h) {
        size_t m = l + (h - l) / 2;
        if (R->pool_accts[m] == acct) {
            *out = R->pool_of[m];
            return 1;
        }
        if (R->pool_accts[m] < acct)
            l = m + 1;
        else
            h = m;
    }
    return 0;
}

static uint64_t block_number(const struct cs_evm *s, uint64_t tx)
{
    return cs_evm_block(s, cs_evm_tx(s, tx)->block)->number;
}

static uint64_t acct_of(const struct cs_evm *s, const uint8_t addr[20])
{
    static const uint8_t ZERO[20];
    uint64_t a;
    if (!memcmp(addr, ZERO, 20) || cs_evm_find_acct(s, addr, &a)) return 0;
    return a;
}

static int word_is_addr(const uint8_t w[32])
{
    for (int i = 0; i < 12; i++)
        if (w[i]) return 0;
    return 1;
}

static int word_u64(const uint8_t w[32], uint64_t *out)
{
    for (int i = 0; i < 24; i++)
        if (w[i]) return 0;
    uint64_t v = 0;
    for (int i = 24; i < 32; i++)
        v = v << 8 | w[i];
    *out = v;
    return 1;
}

/* The pool contracts: the named ones, or every emitter of the events. */
static int find_pools(struct run *R, const uint8_t t_dep[32], const uint8_t t_wd[32])
{
    const struct cs_evm *s = R->s;
    struct cs_links_result *r = R->r;
    uint64_t *acc = NULL;
    size_t n = 0;
    if (R->p->n_pools) {
        acc = cs_xmalloc(R->p->n_pools * sizeof *acc);
        for (size_t i = 0; i < R->p->n_pools; i++) {
            uint64_t a;
            if (cs_evm_find_acct(s, R->p->pools[i], &a)) {
                free(acc);
                char h[CS_EVM_ADDR_STR];
                cs_evm_addr_format(R->p->pools[i], h);
                return cs_error(CS_ENOTFOUND, "pool %s is not in the store", h);
            }
            acc[n++] = a;
        }
    } else {
        uint64_t nlog = cs_evm_counts(s)->log;
        size_t cap = 0;
        for (uint64_t i = 0; i < nlog; i++) {
            const struct cs_evm_logrec *l = cs_evm_log(s, i);
            if (l->ntopics < 1 || (memcmp(l->topic[0], t_dep, 32) && memcmp(l->topic[0], t_wd, 32)))
                continue;
            if (n && acc[n - 1] == l->acct) continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 16;
                acc = cs_xrealloc(acc, cap * sizeof *acc);
            }
            acc[n++] = l->acct;
        }
    }
    if (n > 1) qsort(acc, n, sizeof *acc, u64_cmp);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (!u || acc[u - 1] != acc[i]) acc[u++] = acc[i];
    r->pools = cs_xcalloc(u ? u : 1, sizeof *r->pools);
    R->pool_of = cs_xcalloc(u ? u : 1, sizeof *R->pool_of);
    for (size_t i = 0; i < u; i++) {
        r->pools[i].acct = acc[i];
        R->pool_of[i] = (uint32_t)i;
    }
    r->n_pools = u;
    R->pool_accts = acc;
    return 0;
}

/* native value the deposit tx paid into the pool */
static void deposit_value(const struct cs_evm *s, uint64_t tx, uint64_t pool, struct cs_u256 *out)
{
    const struct cs_evm_txrec *t = cs_evm_tx(s, tx);
    *out = cs_u256_from_u64(0);
    for (uint64_t x = t->first_xfer; x < t->first_xfer + t->n_xfer; x++) {
        const struct cs_evm_xferrec *xr = cs_evm_xfer(s, x);
        if (xr->asset || xr->to != pool || (xr->kind != CS_XK_NATIVE && xr->kind != CS_XK_INTERNAL))
            continue;
        struct cs_u256 v;
        cs_evm_xfer_amount(s, x, &v);
        if (cs_u256_add(out, out, &v)) BUG("deposit value overflow");
    }
}

struct depval {
    uint32_t pool;
    struct cs_u256 v;
};

static int depval_cmp(const void *x, const void *y)
{
    const struct depval *a = x, *b = y;
    if (a->pool != b->pool) return a->pool < b->pool ? -1 : 1;
    return cs_u256_cmp(&a->v, &b->v);
}

static void collect(struct run *R, const uint8_t t_dep[32], const uint8_t t_wd[32],
                    const uint8_t t_claim[32])
{
    const struct cs_evm *s = R->s;
    struct cs_links_result *r = R->r;
    uint64_t nlog = cs_evm_counts(s)->log, reward = 0;
    int reward_known = 1;
    if (R->p->reward_swap) reward_known = !cs_evm_find_acct(s, R->p->reward_swap, &reward);
    size_t cd = 0, cw = 0, cc = 0;
    struct depval *dv = NULL;
    for (uint64_t i = 0; i < nlog; i++) {
        const struct cs_evm_logrec *l = cs_evm_log(s, i);
        if (l->ntopics < 1) continue;
        int is_dep = !memcmp(l->topic[0], t_dep, 32), is_wd = !memcmp(l->topic[0], t_wd, 32);
        int is_claim = !memcmp(l->topic[0], t_claim, 32);
        if (!is_dep && !is_wd && !is_claim) continue;
        uint64_t tx = l->tx1 - 1;
        const uint8_t *d = cs_evm_log_data(s, i);
        const struct cs_evm_txrec *t = cs_evm_tx(s, tx);
        if (is_claim) {
            uint64_t ap;
            if (!reward_known || (R->p->reward_swap && l->acct != reward)) continue;
            if (l->ntopics != 2 || l->data_len != 64 || !word_is_addr(l->topic[1]) ||
                !word_u64(d, &ap)) {
                r->malformed++;
                continue;
            }
            if (r->n_claims == cc) {
                cc = cc ? 2 * cc : 64;
                r->claims = cs_xrealloc(r->claims, cc * sizeof *r->claims);
            }
            r->claims[r->n_claims++] =
                (struct cs_links_claim){.tx = tx,
                                        .recipient = acct_of(s, l->topic[1] + 12),
                                        .block = block_number(s, tx),
                                        .ap = ap};
            continue;
        }
        uint32_t pool;
        if (!pool_index(R, l->acct, &pool)) continue;
        if (is_dep) {
            if (l->ntopics != 2 || l->data_len != 64) {
                r->malformed++;
                continue;
            }
            if (r->n_deps == cd) {
                cd = cd ? 2 * cd : 256;
                r->deps = cs_xrealloc(r->deps, cd * sizeof *r->deps);
                dv = cs_xrealloc(dv, cd * sizeof *dv);
            }
            dv[r->n_deps].pool = pool;
            deposit_value(s, tx, l->acct, &dv[r->n_deps].v);
            r->deps[r->n_deps++] = (struct cs_links_dep){.tx = tx,
                                                         .depositor = t->from,
                                                         .block = block_number(s, tx),
                                                         .gas_price = t->gas_price,
                                                         .pool = pool,
                                                         .tx_type = t->type};
            r->pools[pool].n_dep++;
        } else {
            if (l->ntopics != 2 || l->data_len != 96 || !word_is_addr(l->topic[1]) ||
                !word_is_addr(d)) {
                r->malformed++;
                continue;
            }
            if (r->n_wds == cw) {
                cw = cw ? 2 * cw : 256;
                r->wds = cs_xrealloc(r->wds, cw * sizeof *r->wds);
            }
            struct cs_links_wd *w = &r->wds[r->n_wds++];
            memset(w, 0, sizeof *w);
            w->tx = tx;
            memcpy(w->recipient_addr, d + 12, 20);
            w->recipient = acct_of(s, d + 12);
            w->relayer = acct_of(s, l->topic[1] + 12);
            w->sender = t->from;
            w->block = block_number(s, tx);
            w->gas_price = t->gas_price;
            cs_u256_from_be(&w->fee, d + 64);
            w->pool = pool;
            w->tx_type = t->type;
            w->self_relayed = (!w->relayer || w->relayer == w->sender) && w->recipient &&
                              w->sender == w->recipient;
            r->pools[pool].n_wd++;
        }
    }
    /* denominations: the most common deposit value per pool (ties: the smaller) */
    if (r->n_deps > 1) qsort(dv, r->n_deps, sizeof *dv, depval_cmp);
    uint64_t *best = cs_xcalloc(r->n_pools + 1, sizeof *best);
    for (size_t i = 0; i < r->n_deps;) {
        size_t j = i;
        while (j < r->n_deps && dv[j].pool == dv[i].pool && !cs_u256_cmp(&dv[j].v, &dv[i].v))
            j++;
        if (j - i > best[dv[i].pool]) {
            best[dv[i].pool] = j - i;
            r->pools[dv[i].pool].denom = dv[i].v;
        }
        i = j;
    }
    for (size_t i = 0; i < r->n_pools; i++)
        r->pools[i].n_dep_other_value = r->pools[i].n_dep - best[i];
    free(best);
    free(dv);
    for (size_t i = 0; i < r->n_pools; i++) {
        struct cs_links_pool *P = &r->pools[i];
        for (size_t k = 0; k < R->p->n_rate; k++)
            if (!cs_u256_is_zero(&P->denom) && !cs_u256_cmp(&P->denom, &R->p->rate[k].denom))
                P->rate = R->p->rate[k].per_block;
    }
}

/* Pairs deposits dk[0..nd) and withdrawals wk[0..nw) (each in chain order)
 * first in, first out: each withdrawal takes the earliest unpaired deposit
 * before it.  Unless the heuristics run independently, a deposit an exact
 * heuristic (gas, torn) tied to another withdrawal is no candidate, and a
 * withdrawal an exact heuristic tied to another deposit takes none: a note
 * is withdrawn once. */
static void fifo_pair(struct run *R, const struct key *dk, size_t nd, const struct key *wk,
                      size_t nw, int h, const uint64_t ev[5])
{
    size_t i = 0;
    for (size_t j = 0; j < nw; j++) {
        uint64_t w = wk[j].idx;
        while (i < nd && R->dep_exact && R->dep_exact[dk[i].idx] &&
               R->dep_exact[dk[i].idx] != w + 1)
            i++;
        if (i >= nd) break;
        uint64_t d = dk[i].idx;
        if (R->wd_exact && R->wd_exact[w] && R->wd_exact[w] != d + 1) continue;
        if (R->r->deps[d].tx < R->r->wds[w].tx) {
            add_link(R, w, d, h, ev);
            i++;
        }
    }
}

static void h_address(struct run *R)
{
    size_t n = R->n_wd_keyed;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && R->wd_ap[j].a == R->wd_ap[i].a && R->wd_ap[j].b == R->wd_ap[i].b)
            j++;
        size_t lo, hi;
        keys_range(R->dep_ap, R->r->n_deps, 2, R->wd_ap[i].a, R->wd_ap[i].b, 0, &lo, &hi);
        const uint64_t ev[5] = {R->wd_ap[i].a};
        fifo_pair(R, R->dep_ap + lo, hi - lo, R->wd_ap + i, j - i, CS_LH_ADDRESS, ev);
        i = j;
    }
}

static void h_gas(struct run *R)
{
    struct cs_links_result *r = R->r;
    int legacy = R->p->gas_legacy_only;
    struct key *dk = cs_xmalloc((r->n_deps + 1) * sizeof *dk);
    struct key *wk = cs_xmalloc((r->n_wds + 1) * sizeof *wk);
    size_t nw = 0;
    for (size_t i = 0; i < r->n_deps; i++)
        dk[i] = (struct key){r->deps[i].pool, r->deps[i].gas_price, r->deps[i].tx, i};
    for (size_t i = 0; i < r->n_wds; i++) {
        const struct cs_links_wd *w = &r->wds[i];
        if (w->self_relayed && (!legacy || w->tx_type == 0))
            wk[nw++] = (struct key){w->pool, w->gas_price, w->tx, i};
    }
    keys_sort(dk, r->n_deps);
    keys_sort(wk, nw);
    for (size_t i = 0; i < r->n_deps;) {
        size_t j = i;
        while (j < r->n_deps && dk[j].a == dk[i].a && dk[j].b == dk[i].b)
            j++;
        const struct cs_links_dep *d = &r->deps[dk[i].idx];
        if (j - i == 1 && d->gas_price && (!legacy || d->tx_type == 0)) {
            size_t lo, hi;
            keys_range(wk, nw, 2, dk[i].a, dk[i].b, 0, &lo, &hi);
            const uint64_t ev[5] = {d->gas_price};
            for (size_t k = lo; k < hi; k++)
                if (wk[k].c > d->tx) add_link(R, wk[k].idx, dk[i].idx, CS_LH_GAS, ev);
        }
        i = j;
    }
    free(dk);
    free(wk);
}

/* Does tx t touch a pool (its to or from is a pool contract)? */
static int tx_touches_pool(const struct run *R, uint64_t t)
{
    const struct cs_evm_txrec *tx = cs_evm_tx(R->s, t);
    uint32_t p;
    return pool_index(R, tx->to, &p) || pool_index(R, tx->from, &p);
}

static void h_linked(struct run *R)
{
    const struct cs_evm *s = R->s;
    struct cs_links_result *r = R->r;
    /* distinct depositors */
    uint64_t *depositors = cs_xmalloc((r->n_deps + 1) * sizeof *depositors);
    size_t nd = 0;
    for (size_t i = 0; i < r->n_deps; i++)
        if (!nd || depositors[nd - 1] != R->dep_at[i].a) depositors[nd++] = R->dep_at[i].a;
    struct key *pairs = NULL; /* (counterparty, tx) */
    size_t cap = 0;
    for (size_t i = 0; i < R->n_wd_keyed;) {
        uint64_t rcpt = R->wd_at[i].a;
        size_t j = i;
        while (j < R->n_wd_keyed && R->wd_at[j].a == rcpt)
            j++;
        size_t np = 0;
        uint64_t read = 0;
        for (int dir = 0; dir < 2; dir++) {
            uint64_t x = dir ? cs_evm_in_head(s, rcpt) : cs_evm_out_head(s, rcpt);
            for (; x != CS_EVM_NONE; x = dir ? cs_evm_in_next(s, x) : cs_evm_out_next(s, x)) {
                if (read++ >= R->p->walk_max) {
                    r->walk_truncated++;
                    goto walked;
                }
                const struct cs_evm_xferrec *xr = cs_evm_xfer(s, x);
                if (xr->kind == CS_XK_FEE_TIP || xr->kind == CS_XK_FEE_BURN ||
                    xr->kind == CS_XK_REWARD || xr->kind == CS_XK_WITHDRAWAL)
                    continue;
                uint64_t cp = dir ? xr->from : xr->to;
                if (!cp || cp == rcpt || !u64_has(depositors, nd, cp)) continue;
                uint64_t t = cs_evm_xfer_tx(s, x);
                if (t == CS_EVM_NONE || tx_touches_pool(R, t)) continue;
                if (np == cap) {
                    cap = cap ? 2 * cap : 64;
                    pairs = cs_xrealloc(pairs, cap * sizeof *pairs);
                }
                pairs[np++] = (struct key){cp, t, 0, 0};
            }
        }
    walked:
        keys_sort(pairs, np);
        for (size_t k = 0; k < np;) {
            size_t m = k;
            uint64_t ntx = 0;
            while (m < np && pairs[m].a == pairs[k].a) {
                if (m == k || pairs[m].b != pairs[m - 1].b) ntx++;
                m++;
            }
            if (ntx >= R->p->linked_min_txs) {
                uint64_t dep_acct = pairs[k].a;
                const uint64_t ev[5] = {ntx};
                /* every pool both used: the recipient's withdrawals by pool */
                size_t wlo, whi;
                keys_range(R->wd_ap, R->n_wd_keyed, 1, rcpt, 0, 0, &wlo, &whi);
                for (size_t a = wlo; a < whi;) {
                    size_t b = a;
                    while (b < whi && R->wd_ap[b].b == R->wd_ap[a].b)
                        b++;
                    size_t lo, hi;
                    keys_range(R->dep_ap, r->n_deps, 2, dep_acct, R->wd_ap[a].b, 0, &lo, &hi);
                    fifo_pair(R, R->dep_ap + lo, hi - lo, R->wd_ap + a, b - a, CS_LH_LINKED, ev);
                    a = b;
                }
            }
            k = m;
        }
        i = j;
    }
    free(pairs);
    free(depositors);
}

/* ---- multi-denomination ---- */

struct burst {
    uint64_t acct, first_tx, last_tx, first_block, last_block, hash;
    size_t first, n;     /* keys[first .. + n) of the account's (acct, tx) array */
    size_t port, n_port; /* portfolio: (pool, count) pairs in ports[] */
    int used;
};

struct portent {
    uint32_t pool, count;
};

static int portent_cmp(const void *x, const void *y)
{
    const struct portent *a = x, *b = y;
    return a->pool < b->pool ? -1 : a->pool > b->pool;
}

/* Cuts one account-sorted (acct, tx) key array into bursts.  isdep selects
 * the records (deps or wds) the indices refer to. */
static struct burst *make_bursts(struct run *R, const struct key *k, size_t n, int isdep,
                                 size_t *nb_out, struct portent **ports, size_t *nports,
                                 size_t *capports)
{
    const struct cs_links_result *r = R->r;
    struct burst *b = NULL;
    size_t nb = 0, cb = 0;
    for (size_t i = 0; i < n;) {
        uint64_t acct = k[i].a;
        uint64_t b0 = isdep ? r->deps[k[i].idx].block : r->wds[k[i].idx].block;
        size_t j = i;
        while (j < n && k[j].a == acct &&
               (isdep ? r->deps[k[j].idx].block : r->wds[k[j].idx].block) - b0 <=
                   R->p->multi_window)
            j++;
        /* the portfolio */
        size_t start = *nports;
        for (size_t m = i; m < j; m++) {
            uint32_t pool = isdep ? r->deps[k[m].idx].pool : r->wds[k[m].idx].pool;
            size_t e = start;
            while (e < *nports && (*ports)[e].pool != pool)
                e++;
            if (e == *nports) {
                if (*nports == *capports) {
                    *capports = *capports ? 2 * *capports : 256;
                    *ports = cs_xrealloc(*ports, *capports * sizeof **ports);
                }
                (*ports)[(*nports)++] = (struct portent){pool, 0};
            }
            (*ports)[e].count++;
        }
        size_t np = *nports - start;
        if (np >= R->p->multi_min_pools) {
            qsort(*ports + start, np, sizeof **ports, portent_cmp);
            uint64_t h = 1469598103934665603ull; /* FNV-1a over the pairs */
            for (size_t e = start; e < *nports; e++) {
                uint32_t v[2] = {(*ports)[e].pool, (*ports)[e].count};
                const uint8_t *p = (const uint8_t *)v;
                for (size_t q = 0; q < sizeof v; q++)
                    h = (h ^ p[q]) * 1099511628211ull;
            }
            if (nb == cb) {
                cb = cb ? 2 * cb : 64;
                b = cs_xrealloc(b, cb * sizeof *b);
            }
            uint64_t last = k[j - 1].idx;
            b[nb++] = (struct burst){
                .acct = acct,
                .first_tx = k[i].b,
                .last_tx = k[j - 1].b,
                .first_block = b0,
                .last_block = isdep ? r->deps[last].block : r->wds[last].block,
                .hash = h,
                .first = i,
                .n = j - i,
                .port = start,
                .n_port = np,
            };
        } else {
            *nports = start; /* not a portfolio: drop its entries */
        }
        i = j;
    }
    *nb_out = nb;
    return b;
}

static int same_port(const struct portent *ports, const struct burst *a, const struct burst *b)
{
    return a->n_port == b->n_port &&
           !memcmp(ports + a->port, ports + b->port, a->n_port * sizeof *ports);
}

static void h_multi(struct run *R)
{
    struct cs_links_result *r = R->r;
    struct portent *ports = NULL;
    size_t nports = 0, capports = 0, ndb, nwb;
    struct burst *db = make_bursts(R, R->dep_at, r->n_deps, 1, &ndb, &ports, &nports, &capports);
    struct burst *wb = make_bursts(R, R->wd_at, R->n_wd_keyed, 0, &nwb, &ports, &nports, &capports);
    /* deposit bursts by (hash, last tx); withdrawal bursts in chain order */
    struct key *dk = cs_xmalloc((ndb + 1) * sizeof *dk), *wk = cs_xmalloc((nwb + 1) * sizeof *wk);
    for (size_t i = 0; i < ndb; i++)
        dk[i] = (struct key){db[i].hash, db[i].last_tx, 0, i};
    for (size_t i = 0; i < nwb; i++)
        wk[i] = (struct key){wb[i].first_tx, 0, 0, i};
    keys_sort(dk, ndb);
    keys_sort(wk, nwb);
    for (size_t i = 0; i < nwb; i++) {
        const struct burst *w = &wb[wk[i].idx];
        size_t lo, hi;
        keys_range(dk, ndb, 1, w->hash, 0, 0, &lo, &hi);
        struct burst *best = NULL;
        uint64_t cand = 0;
        for (size_t k = lo; k < hi; k++) {
            struct burst *d = &db[dk[k].idx];
            if (d->used || d->last_tx >= w->first_tx || !same_port(ports, d, w)) continue;
            if (R->p->multi_max_delay && w->first_block - d->last_block > R->p->multi_max_delay)
                continue;
            cand++;
            if (!best || d->last_tx > best->last_tx) best = d;
        }
        if (!best || (!R->p->multi_nearest && cand != 1)) continue;
        best->used = 1;
        const uint64_t ev[5] = {w->n_port, w->n, best->first_block, w->first_block, cand};
        /* pool by pool, in chain order on each side */
        for (size_t e = 0; e < w->n_port; e++) {
            uint32_t pool = ports[w->port + e].pool;
            struct key *dsel = cs_xmalloc(best->n * sizeof *dsel),
                       *wsel = cs_xmalloc(w->n * sizeof *wsel);
            size_t nds = 0, nws = 0;
            for (size_t m = best->first; m < best->first + best->n; m++)
                if (r->deps[R->dep_at[m].idx].pool == pool) dsel[nds++] = R->dep_at[m];
            for (size_t m = w->first; m < w->first + w->n; m++)
                if (r->wds[R->wd_at[m].idx].pool == pool) wsel[nws++] = R->wd_at[m];
            fifo_pair(R, dsel, nds, wsel, nws, CS_LH_MULTI, ev);
            free(dsel);
            free(wsel);
        }
    }
    free(dk);
    free(wk);
    free(db);
    free(wb);
    free(ports);
}

static void h_torn(struct run *R)
{
    struct cs_links_result *r = R->r;
    struct key *pb = cs_xmalloc((r->n_deps + 1) * sizeof *pb); /* (pool, block, tx) */
    for (size_t i = 0; i < r->n_deps; i++)
        pb[i] = (struct key){r->deps[i].pool, r->deps[i].block, r->deps[i].tx, i};
    keys_sort(pb, r->n_deps);
    for (size_t c = 0; c < r->n_claims; c++) {
        const struct cs_links_claim *cl = &r->claims[c];
        if (!cl->recipient) continue;
        size_t lo, hi;
        keys_range(R->wd_at, R->n_wd_keyed, 1, cl->recipient, 0, 0, &lo, &hi);
        for (size_t k = lo; k < hi; k++) {
            uint64_t wi = R->wd_at[k].idx;
            const struct cs_links_wd *w = &r->wds[wi];
            if (w->tx >= cl->tx || cl->block - w->block > R->p->claim_window) continue;
            uint64_t rate = r->pools[w->pool].rate;
            if (!rate || cl->ap % rate) continue;
            uint64_t blocks = cl->ap / rate;
            if (blocks > w->block) continue;
            size_t dlo, dhi;
            keys_range(pb, r->n_deps, 2, w->pool, w->block - blocks, 0, &dlo, &dhi);
            if (dhi - dlo != 1 || pb[dlo].c >= w->tx) continue;
            const uint64_t ev[5] = {cl->tx, cl->ap, rate, blocks};
            add_link(R, wi, pb[dlo].idx, CS_LH_TORN, ev);
        }
    }
    free(pb);
}

static int link_cmp(const void *x, const void *y)
{
    const struct cs_links_link *a = x, *b = y;
    if (a->wd != b->wd) return a->wd < b->wd ? -1 : 1;
    if (a->heuristic != b->heuristic) return a->heuristic < b->heuristic ? -1 : 1;
    if (a->dep != b->dep) return a->dep < b->dep ? -1 : 1;
    return memcmp(a->ev, b->ev, sizeof a->ev);
}

/* Sorts, drops repeats of (withdrawal, heuristic, deposit), indexes the
 * links per withdrawal and computes the anonymity sets. */
static void finish_links(struct run *R)
{
    struct cs_links_result *r = R->r;
    if (r->n_links > 1) qsort(r->links, r->n_links, sizeof *r->links, link_cmp);
    size_t u = 0;
    for (size_t i = 0; i < r->n_links; i++) {
        const struct cs_links_link *l = &r->links[i];
        if (u && r->links[u - 1].wd == l->wd && r->links[u - 1].dep == l->dep &&
            r->links[u - 1].heuristic == l->heuristic)
            continue;
        r->links[u++] = *l;
    }
    r->n_links = u;
    for (size_t i = 0; i < r->n_links; i++) {
        struct cs_links_wd *w = &r->wds[r->links[i].wd];
        if (!w->n_link) w->first_link = i;
        w->n_link++;
        r->per_heuristic[r->links[i].heuristic]++;
    }
    /* per deposit: how many distinct withdrawals it is linked to */
    uint64_t *dep_nwd = cs_xcalloc(r->n_deps + 1, sizeof *dep_nwd);
    uint64_t *dep_last = cs_xmalloc((r->n_deps + 1) * sizeof *dep_last);
    for (size_t i = 0; i < r->n_deps; i++)
        dep_last[i] = UINT64_MAX;
    for (size_t i = 0; i < r->n_links; i++) { /* sorted by withdrawal */
        uint64_t d = r->links[i].dep;
        if (dep_last[d] != r->links[i].wd) {
            dep_nwd[d]++;
            dep_last[d] = r->links[i].wd;
        }
    }
    /* per pool: its deposits in chain order with a running count of linked ones */
    struct key *pk = cs_xmalloc((r->n_deps + 1) * sizeof *pk); /* (pool, tx, linked before) */
    for (size_t i = 0; i < r->n_deps; i++)
        pk[i] = (struct key){r->deps[i].pool, r->deps[i].tx, 0, i};
    keys_sort(pk, r->n_deps);
    for (size_t i = 0; i < r->n_deps; i++) {
        int same = i && pk[i - 1].a == pk[i].a;
        pk[i].c = (same ? pk[i - 1].c + (dep_nwd[pk[i - 1].idx] > 0) : 0);
    }
    for (size_t i = 0; i < r->n_wds; i++) {
        struct cs_links_wd *w = &r->wds[i];
        size_t plo, phi, lo, hi;
        keys_range(pk, r->n_deps, 1, w->pool, 0, 0, &plo, &phi);
        keys_range(pk + plo, phi - plo, 2, w->pool, w->tx, 0, &lo, &hi);
        /* lo: deposits of the pool before w (tx rows differ: a tx is not both) */
        w->anon_base = lo;
        uint64_t linked_before = 0;
        if (lo) linked_before = pk[plo + lo - 1].c + (dep_nwd[pk[plo + lo - 1].idx] > 0);
        /* those linked only to w stay in its set */
        uint64_t only_w = 0;
        for (uint64_t k = w->first_link; k < w->first_link + w->n_link; k++) {
            uint64_t d = r->links[k].dep;
            int seen = 0;
            for (uint64_t q = w->first_link; q < k; q++)
                if (r->links[q].dep == d) seen = 1;
            if (!seen && dep_nwd[d] == 1) only_w++;
        }
        w->anon_reduced = lo - (linked_before - only_w);
    }
    free(pk);
    free(dep_nwd);
    free(dep_last);
}

/* A small union-find over the linked accounts (cluster/unionfind.h is a
 * layer above the chains): path halving, union by size. */
static size_t uf_find(size_t *parent, size_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static void uf_union(size_t *parent, size_t *size, size_t a, size_t b)
{
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    if (a == b) return;
    if (size[a] < size[b] || (size[a] == size[b] && b < a)) {
        size_t t = a;
        a = b;
        b = t;
    }
    parent[b] = a;
    size[a] += size[b];
}

struct compent {
    size_t root;
    uint64_t acct;
};

static int compent_cmp(const void *x, const void *y)
{
    const struct compent *a = x, *b = y;
    if (a->root != b->root) return a->root < b->root ? -1 : 1;
    return a->acct < b->acct ? -1 : a->acct > b->acct;
}

static int components(struct run *R)
{
    struct cs_links_result *r = R->r;
    size_t m = 0;
    uint64_t *nodes = cs_xmalloc((2 * r->n_links + 1) * sizeof *nodes);
    for (size_t i = 0; i < r->n_links; i++) {
        nodes[m++] = r->deps[r->links[i].dep].depositor;
        nodes[m++] = r->wds[r->links[i].wd].recipient;
    }
    if (m > 1) qsort(nodes, m, sizeof *nodes, u64_cmp);
    size_t u = 0;
    for (size_t i = 0; i < m; i++)
        if (!u || nodes[u - 1] != nodes[i]) nodes[u++] = nodes[i];
    size_t *parent = cs_xmalloc((u + 1) * sizeof *parent),
           *size = cs_xmalloc((u + 1) * sizeof *size);
    for (size_t i = 0; i < u; i++) {
        parent[i] = i;
        size[i] = 1;
    }
    uint64_t *edges_of = cs_xcalloc(u + 1, sizeof *edges_of);
#define NODE(x) ((size_t)((uint64_t *)bsearch(&(x), nodes, u, sizeof *nodes, u64_cmp) - nodes))
    for (size_t i = 0; i < r->n_links; i++) {
        uint64_t a = r->deps[r->links[i].dep].depositor, b = r->wds[r->links[i].wd].recipient;
        uf_union(parent, size, NODE(a), NODE(b));
    }
    for (size_t i = 0; i < r->n_links; i++) {
        uint64_t a = r->deps[r->links[i].dep].depositor;
        edges_of[uf_find(parent, NODE(a))]++;
    }
#undef NODE
    struct compent *ce = cs_xmalloc((u + 1) * sizeof *ce);
    for (size_t i = 0; i < u; i++)
        ce[i] = (struct compent){uf_find(parent, i), nodes[i]};
    if (u > 1) qsort(ce, u, sizeof *ce, compent_cmp);
    r->members = cs_xmalloc((u + 1) * sizeof *r->members);
    r->comps = cs_xmalloc((u / 2 + 1) * sizeof *r->comps);
    for (size_t i = 0; i < u;) {
        size_t j = i;
        while (j < u && ce[j].root == ce[i].root)
            j++;
        if (j - i >= 2) {
            struct cs_links_comp *c = &r->comps[r->n_comps++];
            c->first = r->n_members;
            c->n = j - i;
            c->n_links = edges_of[ce[i].root];
            for (size_t k = i; k < j; k++)
                r->members[r->n_members++] = ce[k].acct;
        }
        i = j;
    }
    /* largest first, then by smallest member */
    if (r->n_comps > 1) {
        struct key *ck = cs_xmalloc(r->n_comps * sizeof *ck);
        for (size_t i = 0; i < r->n_comps; i++)
            ck[i] = (struct key){UINT64_MAX - r->comps[i].n, r->members[r->comps[i].first], 0, i};
        keys_sort(ck, r->n_comps);
        struct cs_links_comp *sorted = cs_xmalloc(r->n_comps * sizeof *sorted);
        for (size_t i = 0; i < r->n_comps; i++)
            sorted[i] = r->comps[ck[i].idx];
        free(r->comps);
        r->comps = sorted;
        free(ck);
    }
    free(ce);
    free(edges_of);
    free(parent);
    free(size);
    free(nodes);
    return 0;
}

int cs_links_run(const struct cs_evm *s, const struct cs_links_params *p, struct cs_links_result *r)
{
    memset(r, 0, sizeof *r);
    if (p->heuristics & ~CS_LH_ALL) return cs_error(CS_EUSAGE, "heuristics: unknown bits");
    if (p->n_rate > CS_LINKS_MAX_RATES) return cs_error(CS_EUSAGE, "rate: too many entries");
    for (size_t i = 0; i < p->n_rate; i++)
        if (!p->rate[i].per_block) return cs_error(CS_EUSAGE, "rate: a rate of 0 AP per block");
    if (!p->multi_min_pools) return cs_error(CS_EUSAGE, "multi_min_pools: must be at least 1");
    uint8_t t_dep[32], t_wd[32], t_claim[32];
    static const char SD[] = "Deposit(bytes32,uint32,uint256)",
                      SW[] = "Withdrawal(address,bytes32,address,uint256)",
                      SC[] = "Swap(address,uint256,uint256)";
    cs_keccak256(SD, sizeof SD - 1, t_dep);
    cs_keccak256(SW, sizeof SW - 1, t_wd);
    cs_keccak256(SC, sizeof SC - 1, t_claim);
    struct run R = {.s = s, .p = p, .r = r};
    int rc = find_pools(&R, t_dep, t_wd);
    if (rc) {
        cs_links_free(r);
        return rc;
    }
    collect(&R, t_dep, t_wd, t_claim);
    /* the account indexes */
    R.dep_ap = cs_xmalloc((r->n_deps + 1) * sizeof *R.dep_ap);
    R.dep_at = cs_xmalloc((r->n_deps + 1) * sizeof *R.dep_at);
    for (size_t i = 0; i < r->n_deps; i++) {
        const struct cs_links_dep *d = &r->deps[i];
        R.dep_ap[i] = (struct key){d->depositor, d->pool, d->tx, i};
        R.dep_at[i] = (struct key){d->depositor, d->tx, 0, i};
    }
    R.wd_ap = cs_xmalloc((r->n_wds + 1) * sizeof *R.wd_ap);
    R.wd_at = cs_xmalloc((r->n_wds + 1) * sizeof *R.wd_at);
    for (size_t i = 0; i < r->n_wds; i++) {
        const struct cs_links_wd *w = &r->wds[i];
        if (!w->recipient) continue;
        R.wd_ap[R.n_wd_keyed] = (struct key){w->recipient, w->pool, w->tx, i};
        R.wd_at[R.n_wd_keyed++] = (struct key){w->recipient, w->tx, 0, i};
    }
    keys_sort(R.dep_ap, r->n_deps);
    keys_sort(R.dep_at, r->n_deps);
    keys_sort(R.wd_ap, R.n_wd_keyed);
    keys_sort(R.wd_at, R.n_wd_keyed);
    /* the exact heuristics first: their links constrain the FIFO pairings */
    if (p->heuristics & (1u << CS_LH_GAS)) h_gas(&R);
    if (p->heuristics & (1u << CS_LH_TORN)) h_torn(&R);
    if (!p->independent) {
        R.dep_exact = cs_xcalloc(r->n_deps + 1, sizeof *R.dep_exact);
        R.wd_exact = cs_xcalloc(r->n_wds + 1, sizeof *R.wd_exact);
        for (size_t i = 0; i < r->n_links; i++) {
            const struct cs_links_link *l = &r->links[i];
            if (!R.dep_exact[l->dep]) R.dep_exact[l->dep] = l->wd + 1;
            if (!R.wd_exact[l->wd]) R.wd_exact[l->wd] = l->dep + 1;
        }
    }
    if (p->heuristics & (1u << CS_LH_ADDRESS)) h_address(&R);
    if (p->heuristics & (1u << CS_LH_LINKED)) h_linked(&R);
    if (p->heuristics & (1u << CS_LH_MULTI)) h_multi(&R);
    free(R.dep_exact);
    free(R.wd_exact);
    finish_links(&R);
    rc = components(&R);
    free(R.pool_accts);
    free(R.pool_of);
    free(R.dep_ap);
    free(R.dep_at);
    free(R.wd_ap);
    free(R.wd_at);
    if (rc) cs_links_free(r);
    return rc;
}

void cs_links_free(struct cs_links_result *r)
{
    free(r->pools);
    free(r->deps);
    free(r->wds);
    free(r->links);
    free(r->claims);
    free(r->comps);
    free(r->members);
    memset(r, 0, sizeof *r);
}
