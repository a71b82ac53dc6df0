/* trace.c — the taint walker (see trace.h for the model and guarantees).
 *
 * Data structures, all owned by one struct walker and grown geometrically:
 *  - map:   open addressing, linear probing, backward-shift deletion; key =
 *           output id + 1; 32-byte entries holding the output's taint, its
 *           hop, flags and (ordered policies) where its run list sits in the
 *           run pool.  Load factor <= 5/8.
 *  - ring:  forward walks on big stores: the entries of the 2^20 most recent
 *           output ids, indexed by id, in front of the map (see ent_find).
 *  - pending: tx ids (forward) or ntx - 1 - tx id (backward), popped in
 *           non-decreasing order (a spender always has a larger tx id than
 *           the creator; backward the reverse).  A bitmap over a window of
 *           2^20 keys (128 KiB) from the last pop takes most pushes in O(1), absorbs
 *           duplicates (a tx with several tainted inputs is pushed once per
 *           input) and lets the walker look ahead to prefetch; keys beyond
 *           the window wait in a radix heap (O(1) push, O(1) amortised pop
 *           plus at most 64 redistributions per key).
 *  - pool:  struct cs_run array; an entry's runs are appended once and die
 *           when the entry is consumed; the pool is compacted when dead runs
 *           outnumber live ones, so it stays O(live runs).
 *  - scratch: per-transaction arrays sized to the largest tx seen.
 * Nothing is allocated per transaction once the scratch and the tables have
 * grown to the working size. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cluster/coinjoin.h"
#include "tags/tags.h"
#include "util/codec.h"
#include "trace/trace.h"

#define NONE CS_NONE64
#define FLAG_MAX_HOPS 1u
#define FLAG_COINBASE 2u
#define PROGRESS_EVERY 65536u

/* ------------------------------------------------------------ map -- */

struct entry {
    uint64_t key1; /* output id + 1; 0 = empty slot */
    uint64_t taint;
    union {
        struct {
            uint32_t run_off; /* ordered policies: first run in the pool */
            uint32_t nruns;
        };
        uint64_t value; /* poison, haircut: the output's value (saves a store read) */
    };
    uint32_t hop;
    uint32_t flags;
};

struct tmap {
    struct entry *e;
    size_t mask; /* capacity - 1 */
    size_t n;
};

static inline size_t hash64(uint64_t k)
{
    return (size_t)((k * 0x9E3779B97F4A7C15ull) >> 29);
}

/* Large tables come from mmap with transparent huge pages requested: the
 * probes are random, and with 4 KiB pages nearly every one of them would
 * also miss the TLB (and software prefetches that miss the TLB may be
 * dropped). */
#define BIG_TABLE ((size_t)2 << 20)

static void *table_alloc(size_t bytes)
{
    if (bytes < BIG_TABLE) return cs_xcalloc(1, bytes);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) BUG("trace: cannot map %zu bytes for the taint map", bytes);
    madvise(p, bytes, MADV_HUGEPAGE);
    return p; /* zero-filled */
}

static void table_free(void *p, size_t bytes)
{
    if (!p) return;
    if (bytes < BIG_TABLE)
        free(p);
    else
        munmap(p, bytes);
}

static void map_init(struct tmap *m, size_t cap)
{
    m->e = table_alloc(cap * sizeof *m->e);
    m->mask = cap - 1;
    m->n = 0;
}

/* Index of key's entry, or of the empty slot where it would go (*found 0). */
static inline size_t map_probe(const struct tmap *m, uint64_t out, int *found)
{
    uint64_t k1 = out + 1;
    size_t i = hash64(k1) & m->mask;
    for (;;) {
        uint64_t x = m->e[i].key1;
        if (x == k1) {
            *found = 1;
            return i;
        }
        if (x == 0) {
            *found = 0;
            return i;
        }
        i = (i + 1) & m->mask;
    }
}

static void map_grow(struct tmap *m)
{
    struct entry *old = m->e;
    size_t oldcap = m->mask + 1;
    map_init(m, oldcap * 2);
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].key1) continue;
        size_t j = hash64(old[i].key1) & m->mask;
        while (m->e[j].key1)
            j = (j + 1) & m->mask;
        m->e[j] = old[i];
        m->n++;
    }
    table_free(old, oldcap * sizeof *old);
}

/* Inserts a new key (not present); returns its slot. */
static size_t map_insert(struct tmap *m, uint64_t out, size_t slot_hint)
{
    if ((m->n + 1) * 8 > (m->mask + 1) * 5) {
        map_grow(m);
        int found;
        slot_hint = map_probe(m, out, &found);
    }
    m->e[slot_hint] = (struct entry){.key1 = out + 1};
    m->n++;
    return slot_hint;
}

static void map_delete(struct tmap *m, size_t i)
{
    /* backward-shift deletion keeps probe sequences intact without tombstones */
    size_t j = i;
    for (;;) {
        j = (j + 1) & m->mask;
        if (!m->e[j].key1) break;
        size_t home = hash64(m->e[j].key1) & m->mask;
        /* move e[j] into the hole at i if its home is not in (i, j] cyclically */
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            m->e[i] = m->e[j];
            i = j;
        }
    }
    m->e[i].key1 = 0;
    m->n--;
}

/* ----------------------------------------------------------- heap -- */

struct bucket {
    uint64_t *v;
    size_t n, cap;
};

struct rheap {
    uint64_t last;
    size_t size;
    struct bucket b[65];
};

static inline void bucket_push(struct bucket *b, uint64_t k)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->v = cs_xrealloc(b->v, b->cap * sizeof *b->v);
    }
    b->v[b->n++] = k;
}

static inline int rh_index(uint64_t k, uint64_t last)
{
    return k == last ? 0 : 64 - __builtin_clzll(k ^ last);
}

static inline void rh_push(struct rheap *h, uint64_t k)
{
    if (k < h->last)
        BUG("radix heap: key %llu below the last pop %llu", (unsigned long long)k,
            (unsigned long long)h->last);
    bucket_push(&h->b[rh_index(k, h->last)], k);
    h->size++;
}

static uint64_t rh_pop(struct rheap *h)
{
    if (h->b[0].n == 0) {
        int i = 1;
        while (h->b[i].n == 0)
            i++;
        struct bucket *b = &h->b[i];
        uint64_t m = b->v[0];
        for (size_t k = 1; k < b->n; k++)
            if (b->v[k] < m) m = b->v[k];
        h->last = m;
        for (size_t k = 0; k < b->n; k++)
            bucket_push(&h->b[rh_index(b->v[k], m)], b->v[k]);
        b->n = 0;
    }
    h->size--;
    return h->b[0].v[--h->b[0].n];
}

/* Smallest key without popping it (the heap must not be empty): pop() would
 * make it the new `last`, which must not happen for a key that later pushes
 * may undercut.  O(size of one bucket). */
static uint64_t rh_peek(const struct rheap *h)
{
    if (h->b[0].n) return h->last;
    int i = 1;
    while (h->b[i].n == 0)
        i++;
    uint64_t m = h->b[i].v[0];
    for (size_t k = 1; k < h->b[i].n; k++)
        if (h->b[i].v[k] < m) m = h->b[i].v[k];
    return m;
}

static void rh_free(struct rheap *h)
{
    for (int i = 0; i < 65; i++)
        free(h->b[i].v);
}

static size_t rh_bytes(const struct rheap *h)
{
    size_t n = 0;
    for (int i = 0; i < 65; i++)
        n += h->b[i].cap * sizeof(uint64_t);
    return n;
}

/* Pending transactions: a bitmap over a window of WIN consecutive keys in
 * front of the last pop, backed by the radix heap for keys beyond it.  The
 * window makes duplicates free and lets the walker look a few transactions
 * ahead (pq_peek) to prefetch their rows; the heap keeps memory bounded by
 * the pending count, not by the span of keys. */
#define WIN_BITS_DEFAULT 20
#define RING_BITS_DEFAULT 20 /* 2^20 recent outputs: 32 MiB, on stores of > 2^22 outputs */

struct pq {
    uint64_t win;    /* window size in keys, a power of two >= 64 */
    uint64_t base;   /* the window covers keys [base, base + win) */
    uint64_t cursor; /* every key below it has been popped */
    uint64_t *bits;  /* win / 64 words */
    size_t nwin;     /* keys in the window */
    struct rheap far;
};

static void pq_init(struct pq *q, unsigned bits)
{
    memset(q, 0, sizeof *q);
    q->win = 1ull << (bits < 6 ? 6 : bits > 24 ? 24 : bits);
    q->bits = cs_xcalloc(q->win / 64, sizeof *q->bits);
}

static void pq_free(struct pq *q)
{
    free(q->bits);
    rh_free(&q->far);
}

static inline size_t pq_size(const struct pq *q)
{
    return q->nwin + q->far.size;
}

static inline void pq_push(struct pq *q, uint64_t k)
{
    if (k < q->cursor)
        BUG("trace: pending key %llu below the cursor %llu", (unsigned long long)k,
            (unsigned long long)q->cursor);
    if (k - q->base < q->win) {
        uint64_t bit = 1ull << ((k - q->base) & 63), *word = &q->bits[(k - q->base) >> 6];
        if (!(*word & bit)) {
            *word |= bit;
            q->nwin++;
        }
    } else {
        rh_push(&q->far, k);
    }
}

/* next set bit at or after key `from` inside the window, or NONE */
static inline uint64_t pq_scan(const struct pq *q, uint64_t from)
{
    if (from - q->base >= q->win) return NONE;
    uint64_t off = from - q->base;
    size_t wi = (size_t)(off >> 6);
    uint64_t word = q->bits[wi] & (~0ull << (off & 63));
    for (;;) {
        if (word) return q->base + ((uint64_t)wi << 6) + (uint64_t)__builtin_ctzll(word);
        if (++wi == q->win / 64) return NONE;
        word = q->bits[wi];
    }
}

/* Pops the smallest pending key into *k; 0 when empty. */
static int pq_pop(struct pq *q, uint64_t *k)
{
    if (!q->nwin) {
        if (!q->far.size) return 0;
        /* re-anchor the window at the smallest far key and pull in its range */
        uint64_t m = rh_pop(&q->far);
        q->base = q->cursor = m;
        pq_push(q, m);
        while (q->far.size && rh_peek(&q->far) - q->base < q->win)
            pq_push(q, rh_pop(&q->far));
    }
    uint64_t x = pq_scan(q, q->cursor);
    if (x == NONE) BUG("trace: pending window lost %zu keys", q->nwin);
    q->bits[(x - q->base) >> 6] &= ~(1ull << ((x - q->base) & 63));
    q->nwin--;
    q->cursor = x + 1;
    *k = x;
    return 1;
}

/* Up to n keys that follow the last pop inside the window (for prefetching
 * only: later pushes may still come before them). */
static size_t pq_peek(const struct pq *q, uint64_t *out, size_t n)
{
    size_t got = 0;
    uint64_t from = q->cursor;
    while (got < n) {
        uint64_t x = pq_scan(q, from);
        if (x == NONE) break;
        out[got++] = x;
        from = x + 1;
    }
    return got;
}

/* --------------------------------------------------------- walker -- */

struct sinkacc {
    uint64_t amount, outputs;
    uint32_t hops;
    int used;
    uint64_t *txs;
    size_t n_txs, cap_txs;
};

struct hopacc {
    struct cs_trace_hop *h;
    size_t n, cap;
};

struct walker {
    const struct cs_store *s;
    const struct cs_trace_opts *o;
    struct cs_trace_result *res;
    int ordered; /* FIFO, LIFO, TIHO: keep run lists */
    uint64_t ntx;
    struct tmap map;
    uint64_t map_max1; /* largest key1 ever inserted into map (0: none) */
    /* recent outputs (forward, big walks): entry of output o at ring[o & mask]
     * while o is in [ring_base, ring_base + mask]; NULL when off */
    struct entry *ring;
    uint64_t ring_base, ring_mask;
    size_t ring_n;
    struct pq heap;
    /* run pool */
    struct cs_run *pool;
    size_t pool_used, pool_cap, pool_live;
    /* attribution */
    const struct cs_attrib *attrib;
    uint8_t *stop_ent; /* per entity: 1 if its category stops the walk */
    size_t nent;
    struct sinkacc *sink; /* nent + 1 (the last is the CoinJoin pseudo-entity) */
    /* per hop */
    struct hopacc hops;
    /* edges */
    size_t edges_cap;
    /* scratch, sized to the largest transaction */
    size_t cap_in, cap_out;
    uint64_t *in_val, *in_taint, *in_key, *in_val_rev;
    const struct cs_run **in_runs;
    size_t *in_nruns;
    struct cs_run *clean;
    size_t *in_first;
    uint64_t *out_val, *out_taint;
    size_t *out_first, *out_nruns;
    const struct cs_run **out_runs;
    uint32_t *in_hop;
    struct cs_txv_in *txv_in;
    struct cs_txv_out *txv_out;
    struct cs_run *runbuf;
    size_t runbuf_cap;
    struct cs_span *spans;
    size_t spans_cap;
    struct cs_run *merge; /* union of two run lists */
    size_t merge_cap;
};

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    *cap = c;
    return cs_xrealloc(p, c * elem);
}

static void ensure_in(struct walker *w, size_t n)
{
    if (n <= w->cap_in) return;
    size_t c = w->cap_in ? w->cap_in : 16;
    while (c < n)
        c *= 2;
    w->cap_in = c;
    w->in_val = cs_xrealloc(w->in_val, c * sizeof *w->in_val);
    w->in_val_rev = cs_xrealloc(w->in_val_rev, c * sizeof *w->in_val_rev);
    w->in_taint = cs_xrealloc(w->in_taint, c * sizeof *w->in_taint);
    w->in_key = cs_xrealloc(w->in_key, c * sizeof *w->in_key);
    w->in_runs = cs_xrealloc(w->in_runs, c * sizeof *w->in_runs);
    w->in_nruns = cs_xrealloc(w->in_nruns, c * sizeof *w->in_nruns);
    w->clean = cs_xrealloc(w->clean, c * sizeof *w->clean);
    w->in_hop = cs_xrealloc(w->in_hop, c * sizeof *w->in_hop);
    w->txv_in = cs_xrealloc(w->txv_in, c * sizeof *w->txv_in);
    w->in_first = cs_xrealloc(w->in_first, c * sizeof *w->in_first);
}

static void ensure_out(struct walker *w, size_t n)
{
    if (n <= w->cap_out) return;
    size_t c = w->cap_out ? w->cap_out : 16;
    while (c < n)
        c *= 2;
    w->cap_out = c;
    w->out_val = cs_xrealloc(w->out_val, c * sizeof *w->out_val);
    w->out_taint = cs_xrealloc(w->out_taint, c * sizeof *w->out_taint);
    w->out_first = cs_xrealloc(w->out_first, c * sizeof *w->out_first);
    w->out_nruns = cs_xrealloc(w->out_nruns, c * sizeof *w->out_nruns);
    w->txv_out = cs_xrealloc(w->txv_out, c * sizeof *w->txv_out);
    w->out_runs = cs_xrealloc(w->out_runs, c * sizeof *w->out_runs);
}

static struct cs_trace_hop *hop_at(struct walker *w, uint32_t hop)
{
    if (hop >= w->hops.n) {
        w->hops.h = grow(w->hops.h, &w->hops.cap, (size_t)hop + 1, sizeof *w->hops.h);
        memset(w->hops.h + w->hops.n, 0, ((size_t)hop + 1 - w->hops.n) * sizeof *w->hops.h);
        w->hops.n = (size_t)hop + 1;
    }
    return &w->hops.h[hop];
}

static void edge_add(struct walker *w, uint64_t tx, uint64_t out, uint64_t to, uint64_t amount,
                     uint32_t hop, int kind)
{
    struct cs_trace_result *r = w->res;
    if (r->n_edges >= w->o->graph_max_edges) {
        if (w->o->graph_max_edges) r->graph_truncated = 1;
        return;
    }
    r->edges = grow(r->edges, &w->edges_cap, r->n_edges + 1, sizeof *r->edges);
    r->edges[r->n_edges++] = (struct cs_trace_edge){tx, out, to, amount, hop, kind};
}

static inline void edge(struct walker *w, uint64_t tx, uint64_t out, uint64_t to, uint64_t amount,
                        uint32_t hop, int kind)
{
    if (w->o->graph_max_edges) edge_add(w, tx, out, to, amount, hop, kind);
}

/* ---- entries: the ring of recent outputs in front of the hash map ----
 *
 * Forward, outputs are created in increasing id order and most are spent
 * soon, so the entries of the latest 2^20 output ids live in a ring indexed
 * by id: inserts are sequential, lookups of recent prevouts are local.
 * Older live entries are moved to the hash map when the ring advances over
 * them.  A key is looked up in the ring when it lies in the ring's range,
 * then in the map unless it is above every key the map ever held. */

static inline int in_ring(const struct walker *w, uint64_t out)
{
    return w->ring && out - w->ring_base <= w->ring_mask;
}

static struct entry *ent_find(struct walker *w, uint64_t out)
{
    if (in_ring(w, out)) {
        struct entry *e = &w->ring[out & w->ring_mask];
        if (e->key1 == out + 1) return e;
    }
    if (out + 1 > w->map_max1) return NULL;
    int found;
    size_t slot = map_probe(&w->map, out, &found);
    return found ? &w->map.e[slot] : NULL;
}

/* Removes the entry e of out (from ent_find; no insert in between). */
static void ent_remove(struct walker *w, const struct entry *e)
{
    if (w->ring && e >= w->ring && e <= w->ring + w->ring_mask) {
        w->ring[e - w->ring].key1 = 0;
        w->ring_n--;
    } else {
        map_delete(&w->map, (size_t)(e - w->map.e));
    }
}

static struct entry *map_new(struct walker *w, uint64_t out)
{
    int found;
    size_t slot = map_probe(&w->map, out, &found);
    if (found) BUG("trace: output %llu entered twice", (unsigned long long)out);
    slot = map_insert(&w->map, out, slot);
    if (out + 1 > w->map_max1) w->map_max1 = out + 1;
    return &w->map.e[slot];
}

/* Moves the ring's range up so that it starts at nb, evicting live entries
 * below nb into the map.  O(nb - ring_base) up to the ring size. */
static void ring_advance(struct walker *w, uint64_t nb)
{
    uint64_t end = nb - w->ring_base > w->ring_mask ? w->ring_base + w->ring_mask + 1 : nb;
    for (uint64_t id = w->ring_base; id < end; id++) {
        struct entry *e = &w->ring[id & w->ring_mask];
        if (e->key1 != id + 1) continue;
        struct entry copy = *e;
        e->key1 = 0;
        w->ring_n--;
        *map_new(w, id) = copy;
    }
    w->ring_base = nb;
}

/* A new, zeroed entry for out (which has none); valid until the next insert
 * or removal. */
static struct entry *ent_new(struct walker *w, uint64_t out)
{
    if (w->ring && out >= w->ring_base) {
        if (out - w->ring_base > w->ring_mask) /* keep 1/8 of the ring free ahead */
            ring_advance(w, out - w->ring_mask + (w->ring_mask >> 3));
        struct entry *e = &w->ring[out & w->ring_mask];
        if (e->key1) BUG("trace: ring slot of output %llu taken", (unsigned long long)out);
        memset(e, 0, sizeof *e);
        e->key1 = out + 1;
        w->ring_n++;
        return e;
    }
    return map_new(w, out);
}

static inline size_t live(const struct walker *w)
{
    return w->map.n + w->ring_n;
}

/* Address of the slot a lookup of out reads first (for prefetching). */
static inline const void *ent_slot(const struct walker *w, uint64_t out)
{
    if (in_ring(w, out)) return &w->ring[out & w->ring_mask];
    return &w->map.e[hash64(out + 1) & w->map.mask];
}

/* Runs the statement block (the variadic part) for every live entry e. */
#define FOR_EACH_ENTRY(w, e, ...)                                                                  \
    do {                                                                                           \
        for (size_t i_ = 0; i_ <= (w)->map.mask; i_++) {                                           \
            struct entry *e = &(w)->map.e[i_];                                                     \
            if (e->key1) __VA_ARGS__                                                               \
        }                                                                                          \
        if ((w)->ring)                                                                             \
            for (size_t i_ = 0; i_ <= (w)->ring_mask; i_++) {                                      \
                struct entry *e = &(w)->ring[i_];                                                  \
                if (e->key1) __VA_ARGS__                                                           \
            }                                                                                      \
    } while (0)

/* Appends runs to the pool; returns their offset. */
static uint32_t pool_add(struct walker *w, const struct cs_run *runs, size_t n)
{
    if (w->pool_used + n > UINT32_MAX) BUG("trace: run pool above 2^32 runs");
    w->pool = grow(w->pool, &w->pool_cap, w->pool_used + n, sizeof *w->pool);
    memcpy(w->pool + w->pool_used, runs, n * sizeof *runs);
    uint32_t off = (uint32_t)w->pool_used;
    w->pool_used += n;
    w->pool_live += n;
    return off;
}

/* Rewrites the pool with the live entries' runs only.  O(map capacity). */
static void pool_compact(struct walker *w)
{
    struct cs_run *np = cs_xmalloc((w->pool_live + 1) * sizeof *np);
    size_t used = 0;
    FOR_EACH_ENTRY(w, e, {
        if (e->nruns) {
            memcpy(np + used, w->pool + e->run_off, e->nruns * sizeof *np);
            e->run_off = (uint32_t)used;
            used += e->nruns;
        }
    });
    if (used != w->pool_live) BUG("trace: run pool accounting %zu != %zu", used, w->pool_live);
    free(w->pool);
    w->pool = np;
    w->pool_cap = w->pool_live + 1;
    w->pool_used = used;
}

static void sink_add(struct walker *w, size_t idx, uint64_t amount, uint32_t hop, uint64_t tx)
{
    struct sinkacc *k = &w->sink[idx];
    if (!k->used || hop < k->hops) k->hops = hop;
    k->used = 1;
    k->amount += amount;
    k->outputs++;
    if (!k->n_txs || k->txs[k->n_txs - 1] != tx) {
        k->txs = grow(k->txs, &k->cap_txs, k->n_txs + 1, sizeof *k->txs);
        k->txs[k->n_txs++] = tx;
    }
    hop_at(w, hop)->to_sinks += amount;
}

/* Union of two run lists over the same value (labels 0 = clean, else 1).
 * Writes into w->merge; returns the run count; *tainted = satoshis tainted. */
static size_t runs_union(struct walker *w, const struct cs_run *a, size_t na,
                         const struct cs_run *b, size_t nb, uint64_t *tainted)
{
    size_t ia = 0, ib = 0, n = 0;
    uint64_t ra = na ? a[0].amount : 0, rb = nb ? b[0].amount : 0, t = 0;
    w->merge = grow(w->merge, &w->merge_cap, na + nb + 1, sizeof *w->merge);
    while (ia < na && ib < nb) {
        if (ra == 0) {
            if (++ia < na) ra = a[ia].amount;
            continue;
        }
        if (rb == 0) {
            if (++ib < nb) rb = b[ib].amount;
            continue;
        }
        uint64_t step = ra < rb ? ra : rb;
        uint32_t label = (a[ia].label || b[ib].label) ? 1u : 0u;
        if (n && w->merge[n - 1].label == label)
            w->merge[n - 1].amount += step;
        else
            w->merge[n++] = (struct cs_run){label, step};
        if (label) t += step;
        ra -= step;
        rb -= step;
    }
    *tainted = t;
    return n;
}

/* The output (forward) / spent output (backward) `out` of value `value`
 * already has an entry: it is a seed.  Merge the new taint into it without
 * counting the overlap twice. */
static void merge_seed(struct walker *w, struct entry *e, uint64_t value, uint64_t t,
                       const struct cs_run *runs, size_t nruns, uint32_t hop)
{
    uint64_t before = e->taint + t, after;
    if (w->ordered) {
        size_t n = runs_union(w, w->pool + e->run_off, e->nruns, runs, nruns, &after);
        w->pool_live -= e->nruns;
        e->nruns = 0;
        e->run_off = pool_add(w, w->merge, n);
        e->nruns = (uint32_t)n;
    } else {
        after = before < value ? before : value;
    }
    e->taint = after;
    w->res->seed_amount -= before - after;
    if (hop < e->hop) e->hop = hop;
}

static int height_ok_fwd(const struct walker *w, uint64_t tx)
{
    return w->o->until_height < 0 || (int64_t)cs_store_tx(w->s, tx)->height <= w->o->until_height;
}

static int height_ok_back(const struct walker *w, uint64_t tx)
{
    return w->o->until_height < 0 || (int64_t)cs_store_tx(w->s, tx)->height >= w->o->until_height;
}

/* Entity index of an address if it stops the walk, else -1. */
static inline int32_t stop_entity(const struct walker *w, uint32_t addr)
{
    if (!w->attrib) return -1;
    int32_t e = cs_attrib_lookup(w->attrib, addr);
    return e >= 0 && w->stop_ent[e] ? e : -1;
}

/* Stopping entity that every valued output of tx pays, if tx has >= 2
 * inputs (the sweep rule, trace.h), else -1. */
static int32_t sweep_entity(const struct walker *w, uint64_t tx)
{
    uint64_t fi, ni, fo, no;
    cs_store_tx_ins(w->s, tx, &fi, &ni);
    if (ni < 2) return -1;
    cs_store_tx_outs(w->s, tx, &fo, &no);
    int32_t ent = -1;
    for (uint64_t j = 0; j < no; j++) {
        const struct cs_outrec *r = cs_store_out(w->s, fo + j);
        if (!r->value) continue;
        int32_t e = stop_entity(w, r->addr);
        if (e < 0 || (ent >= 0 && e != ent)) return -1;
        ent = e;
    }
    return ent;
}

/* Taint below --min-amount is counted as dropped (returns 0); otherwise a live
 * entry holds it for the next step of the walk (returns 1). */
static inline __attribute__((always_inline)) int hold(struct walker *w, uint64_t tx, uint64_t out,
                                                      uint64_t value, uint64_t t,
                                                      const struct cs_run *runs, size_t nruns,
                                                      uint32_t hop)
{
    if (t < w->o->min_amount) {
        w->res->dropped += t;
        hop_at(w, hop)->dropped += t;
        edge(w, tx, out, NONE, t, hop, CS_TRACE_E_DROP);
        return 0;
    }
    uint32_t run_off = w->ordered ? pool_add(w, runs, nruns) : 0;
    struct entry *e = ent_new(w, out);
    e->taint = t;
    e->hop = hop;
    if (w->ordered) {
        e->run_off = run_off;
        e->nruns = (uint32_t)nruns;
    } else {
        e->value = value;
    }
    if (live(w) > w->res->peak_live) w->res->peak_live = live(w);
    return 1;
}

/* A tainted output created by tx (forward). */
static void store_fwd(struct walker *w, uint64_t tx, uint64_t out, uint64_t t,
                      const struct cs_run *runs, size_t nruns, uint32_t hop)
{
    const struct cs_outrec *orec = cs_store_out(w->s, out);
    struct entry *e = ent_find(w, out);
    if (e) {
        merge_seed(w, e, orec->value, t, runs, nruns, hop);
        edge(w, tx, out, cs_store_spent_by(w->s, out), t, hop, CS_TRACE_E_OUTPUT);
        return;
    }
    int32_t ent = stop_entity(w, orec->addr);
    uint64_t spender = cs_store_spent_by(w->s, out);
    if (ent < 0 && w->attrib && w->o->sweep_rule && spender != NONE) ent = sweep_entity(w, spender);
    if (ent >= 0) {
        sink_add(w, (size_t)ent, t, hop, tx);
        edge(w, tx, out, (uint64_t)ent, t, hop, CS_TRACE_E_SINK);
        return;
    }
    if (!hold(w, tx, out, orec->value, t, runs, nruns, hop)) return;
    edge(w, tx, out, spender, t, hop, CS_TRACE_E_OUTPUT);
    if (spender != NONE && height_ok_fwd(w, spender)) pq_push(&w->heap, spender);
}

/* A tainted output spent by tx (backward). */
static void store_back(struct walker *w, uint64_t tx, uint64_t out, uint64_t t,
                       const struct cs_run *runs, size_t nruns, uint32_t hop)
{
    const struct cs_outrec *orec = cs_store_out(w->s, out);
    struct entry *e = ent_find(w, out);
    uint64_t creator = cs_store_out_tx(w->s, out);
    if (e) {
        merge_seed(w, e, orec->value, t, runs, nruns, hop);
        edge(w, tx, out, creator, t, hop, CS_TRACE_E_OUTPUT);
        return;
    }
    int32_t ent = stop_entity(w, orec->addr);
    if (ent >= 0) {
        sink_add(w, (size_t)ent, t, hop, creator);
        edge(w, tx, out, (uint64_t)ent, t, hop, CS_TRACE_E_SINK);
        return;
    }
    if (!hold(w, tx, out, orec->value, t, runs, nruns, hop)) return;
    edge(w, tx, out, creator, t, hop, CS_TRACE_E_OUTPUT);
    if (height_ok_back(w, creator)) pq_push(&w->heap, w->ntx - 1 - creator);
}

/* CoinJoin test on a transaction whose inputs/outputs values are loaded. */
static int is_coinjoin(struct walker *w, uint64_t tx, uint64_t fi, uint64_t ni, uint64_t fo,
                       uint64_t no)
{
    if (ni < 2 || no < 2) return 0;
    ensure_in(w, ni);
    ensure_out(w, no);
    for (uint64_t i = 0; i < ni; i++) {
        uint64_t p = cs_store_in_prevout(w->s, fi + i);
        if (p == NONE) return 0;
        const struct cs_outrec *r = cs_store_out(w->s, p);
        int32_t ent = w->attrib ? cs_attrib_lookup(w->attrib, r->addr) : -1;
        w->txv_in[i] = (struct cs_txv_in){
            .value = r->value,
            .addr = r->addr,
            .type = cs_store_addr(w->s, r->addr)->type,
            .exchange = ent >= 0 &&
                        cs_attrib_entity(w->attrib, (uint32_t)ent)->category == CS_TAG_EXCHANGE};
    }
    for (uint64_t j = 0; j < no; j++) {
        const struct cs_outrec *r = cs_store_out(w->s, fo + j);
        memset(&w->txv_out[j], 0, sizeof w->txv_out[j]);
        w->txv_out[j].value = r->value;
        w->txv_out[j].addr = r->addr;
        w->txv_out[j].type = cs_store_addr(w->s, r->addr)->type;
    }
    const struct cs_txrec *tr = cs_store_tx(w->s, tx);
    const struct cs_blockrec *br = cs_store_block(w->s, tr->height);
    struct cs_txv v = {.in = w->txv_in,
                       .n_in = ni,
                       .out = w->txv_out,
                       .n_out = no,
                       .height = tr->height,
                       .time = cs_le32(br->header + 68),
                       .version = (uint32_t)tr->version,
                       .locktime = tr->locktime};
    struct cs_cj_result res;
    enum cs_cj_protocol p = cs_coinjoin_classify(&v, CS_CJ_DEFAULT, &res);
    return p != CS_CJP_NONE && p != CS_CJP_TX0 && res.veto_multi_input;
}

/* Tainted satoshis of a run list. */
static inline uint64_t runs_taint(const struct cs_run *r, size_t n)
{
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++)
        if (r[i].label) t += r[i].amount;
    return t;
}

static void consume(struct walker *w, uint64_t out)
{
    struct entry *e = ent_find(w, out);
    if (!e) BUG("trace: output %llu vanished from the map", (unsigned long long)out);
    if (w->ordered) w->pool_live -= e->nruns;
    ent_remove(w, e);
}

static void flag(struct walker *w, uint64_t out, uint32_t f)
{
    struct entry *e = ent_find(w, out);
    if (!e) BUG("trace: output %llu vanished from the map", (unsigned long long)out);
    e->flags |= f;
}

static inline uint32_t next_hop(uint32_t minhop)
{
    return minhop >= UINT32_MAX - 1 ? UINT32_MAX - 1 : minhop + 1;
}

/* Software pipeline over the next pending transactions (forward): the
 * fifth one's tx row, the third one's input rows and output slots, the
 * second one's prevout slots (tainted prevouts carry their value in the
 * entry; the few clean ones are read from the store when needed).  Only
 * hints: later pushes may still come first, and nothing is read that the
 * processing would not read anyway.  Distances measured on the 2M-tx bench. */
static void prefetch_ahead(const struct walker *w)
{
    uint64_t a[5];
    size_t n = pq_peek(&w->heap, a, 5);
    const struct cs_store *s = w->s;
    uint64_t fi, ni, fo, no;
    if (n > 4) {
        __builtin_prefetch(cs_store_tx(s, a[4]));
        if (a[4] + 1 < w->ntx) __builtin_prefetch(cs_store_tx(s, a[4] + 1));
    }
    if (n > 2) {
        cs_store_tx_ins(s, a[2], &fi, &ni);
        cs_store_tx_outs(s, a[2], &fo, &no);
        for (uint64_t i = 0; i < ni; i += 4)
            __builtin_prefetch(cs_store_in(s, fi + i));
        __builtin_prefetch(cs_store_out(s, fo));
        for (uint64_t j = 0; j < no && j < 16; j++)
            __builtin_prefetch(ent_slot(w, fo + j), 1);
    }
    if (n > 1) {
        cs_store_tx_ins(s, a[1], &fi, &ni);
        for (uint64_t i = 0; i < ni && i < 16; i++) {
            uint64_t p = cs_store_in_prevout(s, fi + i);
            if (p != NONE) __builtin_prefetch(ent_slot(w, p));
        }
    }
}

/* Forward: one transaction, all of whose tainted inputs are final. */
static int fwd_tx(struct walker *w, uint64_t tx)
{
    const struct cs_store *s = w->s;
    uint64_t fi, ni, fo, no;
    cs_store_tx_ins(s, tx, &fi, &ni);
    cs_store_tx_outs(s, tx, &fo, &no);
    ensure_in(w, ni);
    /* Issue the independent random reads of this transaction (the
     * prevouts' map slots, the outputs' slots) before using any of them;
     * prefetch_ahead() has usually started them one transaction earlier. */
    for (uint64_t i = 0; i < ni; i++) {
        uint64_t p = cs_store_in_prevout(s, fi + i);
        w->in_key[i] = p;
        if (p != NONE) __builtin_prefetch(ent_slot(w, p));
    }
    for (uint64_t j = 0; j < no; j++)
        __builtin_prefetch(ent_slot(w, fo + j));
    /* Gather the inputs and take their entries out of the map at once (the
     * spender is the only reader of an entry); max-hops puts them back. */
    uint32_t minhop = UINT32_MAX;
    uint64_t tin = 0;
    size_t total_runs = 0;
    for (uint64_t i = 0; i < ni; i++) {
        uint64_t p = w->in_key[i];
        if (p == NONE)
            return cs_error(CS_ECORRUPT, "trace: coinbase tx %llu reached as a spender",
                            (unsigned long long)tx);
        const struct entry *e = ent_find(w, p);
        if (e) {
            uint64_t v;
            w->in_taint[i] = e->taint;
            w->in_hop[i] = e->hop;
            tin += e->taint;
            if (e->hop < minhop) minhop = e->hop;
            if (w->ordered) {
                w->in_first[i] = e->run_off;
                w->in_runs[i] = w->pool + e->run_off;
                w->in_nruns[i] = e->nruns;
                v = 0;
                for (uint32_t k = 0; k < e->nruns; k++)
                    v += w->in_runs[i][k].amount;
                w->pool_live -= e->nruns;
            } else {
                v = e->value;
            }
            w->in_val[i] = v;
            ent_remove(w, e);
        } else {
            uint64_t v = cs_store_out(s, p)->value;
            w->in_val[i] = v;
            w->in_taint[i] = 0;
            w->in_key[i] = NONE;
            if (w->ordered) {
                w->clean[i] = (struct cs_run){0, v};
                w->in_runs[i] = &w->clean[i];
                w->in_nruns[i] = v ? 1 : 0;
            }
        }
        total_runs += w->ordered ? w->in_nruns[i] : 0;
    }
    if (minhop == UINT32_MAX) return 0; /* nothing tainted left (defensive) */
    uint32_t hop = next_hop(minhop);
    if (hop > w->o->max_hops) {
        /* not processed: the tainted inputs stay on the frontier as they were */
        for (uint64_t i = 0; i < ni; i++) {
            if (w->in_key[i] == NONE) continue;
            struct entry *e = ent_new(w, w->in_key[i]);
            e->taint = w->in_taint[i];
            e->hop = w->in_hop[i];
            e->flags = FLAG_MAX_HOPS;
            if (w->ordered) {
                e->run_off = (uint32_t)w->in_first[i];
                e->nruns = (uint32_t)w->in_nruns[i];
                w->pool_live += e->nruns;
            } else {
                e->value = w->in_val[i];
            }
        }
        return 0;
    }
    w->res->txs_visited++;
    struct cs_trace_hop *hs = hop_at(w, hop);
    hs->txs++;
    hs->amount_in += tin;
    if (w->o->stop_coinjoin && ni >= 2 && no >= 2 && is_coinjoin(w, tx, fi, ni, fo, no)) {
        sink_add(w, w->nent, tin, hop, tx);
        edge(w, tx, NONE, w->nent, tin, hop, CS_TRACE_E_SINK);
        return 0;
    }
    ensure_out(w, no);
    for (uint64_t j = 0; j < no; j++)
        w->out_val[j] = cs_store_out(s, fo + j)->value;
    uint64_t fee_taint = 0;
    int rc;
    if (!w->ordered) {
        rc = cs_taint_amounts(w->out_taint, &fee_taint, w->o->policy, w->in_val, w->in_taint, ni,
                              w->out_val, no);
    } else {
        size_t need = cs_taint_runs_bound(w->o->policy, total_runs, no);
        w->runbuf = grow(w->runbuf, &w->runbuf_cap, need, sizeof *w->runbuf);
        size_t used, ff, fn;
        rc = cs_taint_runs(w->runbuf, w->runbuf_cap, &used, w->out_first, w->out_nruns, &ff, &fn,
                           w->o->policy, w->o->feeconv, w->in_val, w->in_runs, w->in_nruns, ni,
                           w->out_val, no);
        if (!rc) {
            for (uint64_t j = 0; j < no; j++)
                w->out_taint[j] = runs_taint(w->runbuf + w->out_first[j], w->out_nruns[j]);
            fee_taint = runs_taint(w->runbuf + ff, fn);
        }
    }
    if (rc) {
        char id[65];
        cs_hex_rev(id, cs_store_txid(s, tx));
        return cs_error_prefix(CS_ECORRUPT, "trace: tx %s: ", id);
    }
    if (fee_taint) {
        w->res->fees += fee_taint;
        hs = hop_at(w, hop);
        hs->fees += fee_taint;
        edge(w, tx, NONE, NONE, fee_taint, hop, CS_TRACE_E_FEE);
    }
    for (uint64_t j = 0; j < no; j++)
        if (w->out_taint[j])
            store_fwd(w, tx, fo + j, w->out_taint[j],
                      w->ordered ? w->runbuf + w->out_first[j] : NULL,
                      w->ordered ? w->out_nruns[j] : 0, hop);
    return 0;
}

static int span_cmp(const void *pa, const void *pb)
{
    const struct cs_span *a = pa, *b = pb;
    if (a->index != b->index) return a->index < b->index ? -1 : 1;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

/* Backward FIFO/LIFO: maps the tainted runs of the outputs onto the inputs;
 * writes each input's run list into runbuf at in_first[i] (in_nruns[i] runs)
 * and its taint into in_taint[i]. */
static int back_ordered(struct walker *w, uint64_t ni, uint64_t no)
{
    int lifo = w->o->policy == CS_POLICY_LIFO;
    const uint64_t *ordval = w->in_val;
    if (lifo) {
        for (uint64_t i = 0; i < ni; i++)
            w->in_val_rev[i] = w->in_val[ni - 1 - i];
        ordval = w->in_val_rev;
    }
    size_t nsp = 0;
    for (uint64_t j = 0; j < no; j++) {
        if (!w->out_taint[j]) continue;
        uint64_t pos = 0;
        for (size_t k = 0; k < w->out_nruns[j]; k++) {
            const struct cs_run *r = &w->out_runs[j][k];
            if (r->label && r->amount) {
                w->spans = grow(w->spans, &w->spans_cap, nsp + ni + 1, sizeof *w->spans);
                size_t got;
                int rc = cs_taint_fifo_backward(w->spans + nsp, w->spans_cap - nsp, &got, ordval,
                                                ni, w->out_val, no, j, pos, r->amount);
                if (rc) return rc;
                if (lifo)
                    for (size_t q = 0; q < got; q++)
                        w->spans[nsp + q].index = ni - 1 - w->spans[nsp + q].index;
                nsp += got;
            }
            pos += r->amount;
        }
    }
    if (nsp > 1) qsort(w->spans, nsp, sizeof *w->spans, span_cmp);
    w->runbuf = grow(w->runbuf, &w->runbuf_cap, 2 * nsp + ni + 1, sizeof *w->runbuf);
    size_t used = 0, q = 0;
    for (uint64_t i = 0; i < ni; i++) {
        w->in_first[i] = used;
        w->in_taint[i] = 0;
        uint64_t pos = 0;
        for (; q < nsp && w->spans[q].index == i; q++) {
            const struct cs_span *sp = &w->spans[q];
            if (sp->offset > pos) w->runbuf[used++] = (struct cs_run){0, sp->offset - pos};
            if (used > w->in_first[i] && w->runbuf[used - 1].label)
                w->runbuf[used - 1].amount += sp->amount;
            else
                w->runbuf[used++] = (struct cs_run){1, sp->amount};
            w->in_taint[i] += sp->amount;
            pos = sp->offset + sp->amount;
        }
        if (pos < w->in_val[i]) w->runbuf[used++] = (struct cs_run){0, w->in_val[i] - pos};
        w->in_nruns[i] = used - w->in_first[i];
    }
    return 0;
}

/* Backward: one transaction, all of whose tainted outputs are final. */
static int back_tx(struct walker *w, uint64_t tx)
{
    const struct cs_store *s = w->s;
    uint64_t fi, ni, fo, no;
    cs_store_tx_outs(s, tx, &fo, &no);
    ensure_out(w, no + 1);
    uint32_t minhop = UINT32_MAX;
    uint64_t tout = 0, usum = 0;
    for (uint64_t j = 0; j < no; j++) {
        uint64_t o = fo + j;
        w->out_val[j] = cs_store_out(s, o)->value;
        usum += w->out_val[j];
        const struct entry *e = ent_find(w, o);
        w->out_taint[j] = 0;
        w->out_nruns[j] = 0;
        if (e) {
            w->out_taint[j] = e->taint;
            tout += e->taint;
            if (e->hop < minhop) minhop = e->hop;
            if (w->ordered) {
                w->out_runs[j] = w->pool + e->run_off;
                w->out_nruns[j] = e->nruns;
            }
        }
    }
    if (minhop == UINT32_MAX) return 0;
    uint32_t hop = next_hop(minhop);
    if (hop > w->o->max_hops) {
        for (uint64_t j = 0; j < no; j++)
            if (w->out_taint[j]) flag(w, fo + j, FLAG_MAX_HOPS);
        return 0;
    }
    w->res->txs_visited++;
    struct cs_trace_hop *hs = hop_at(w, hop);
    hs->txs++;
    hs->amount_in += tout;
    cs_store_tx_ins(s, tx, &fi, &ni);
    if (ni == 0 || cs_store_in_prevout(s, fi) == NONE) {
        for (uint64_t j = 0; j < no; j++)
            if (w->out_taint[j]) flag(w, fo + j, FLAG_COINBASE);
        return 0;
    }
    ensure_in(w, ni);
    uint64_t vsum = 0;
    for (uint64_t i = 0; i < ni; i++) {
        w->in_key[i] = cs_store_in_prevout(s, fi + i);
        w->in_val[i] = cs_store_out(s, w->in_key[i])->value;
        vsum += w->in_val[i];
    }
    if (vsum < usum) {
        char id[65];
        cs_hex_rev(id, cs_store_txid(s, tx));
        return cs_error(CS_ECORRUPT, "trace: tx %s pays out more than its inputs", id);
    }
    if (w->o->stop_coinjoin && ni >= 2 && no >= 2 && is_coinjoin(w, tx, fi, ni, fo, no)) {
        for (uint64_t j = 0; j < no; j++)
            if (w->out_taint[j]) consume(w, fo + j);
        sink_add(w, w->nent, tout, hop, tx);
        edge(w, tx, NONE, w->nent, tout, hop, CS_TRACE_E_SINK);
        return 0;
    }
    int rc = 0;
    switch (w->o->policy) {
    case CS_POLICY_POISON:
        for (uint64_t i = 0; i < ni; i++)
            w->in_taint[i] = w->in_val[i];
        break;
    case CS_POLICY_HAIRCUT: {
        /* the reversed transaction: outputs (+ the fee as a clean input) pay the inputs */
        uint64_t fee0;
        w->out_val[no] = vsum - usum;
        w->out_taint[no] = 0;
        rc = cs_taint_amounts(w->in_taint, &fee0, CS_POLICY_HAIRCUT, w->out_val, w->out_taint,
                              no + 1, w->in_val, ni);
        break;
    }
    default:
        rc = back_ordered(w, ni, no);
        break;
    }
    if (rc) {
        char id[65];
        cs_hex_rev(id, cs_store_txid(s, tx));
        return cs_error_prefix(CS_ECORRUPT, "trace: tx %s: ", id);
    }
    for (uint64_t j = 0; j < no; j++)
        if (w->out_taint[j]) consume(w, fo + j);
    for (uint64_t i = 0; i < ni; i++)
        if (w->in_taint[i])
            store_back(w, tx, w->in_key[i], w->in_taint[i],
                       w->ordered ? w->runbuf + w->in_first[i] : NULL,
                       w->ordered ? w->in_nruns[i] : 0, hop);
    return 0;
}

/* ------------------------------------------------------ seeds, end -- */

static int seed_cmp(const void *pa, const void *pb)
{
    const struct cs_trace_seed *a = pa, *b = pb;
    if (a->out != b->out) return a->out < b->out ? -1 : 1;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

static int plant_seeds(struct walker *w, const struct cs_trace_seed *seeds, size_t n)
{
    const struct cs_store *s = w->s;
    uint64_t nout = cs_store_counts(s)->out;
    for (size_t i = 0; i < n; i++) {
        if (seeds[i].out >= nout)
            return cs_error(CS_EUSAGE, "trace: seed output id %llu is not in the store",
                            (unsigned long long)seeds[i].out);
        uint64_t v = cs_store_out(s, seeds[i].out)->value;
        if (seeds[i].amount != CS_TRACE_WHOLE &&
            (seeds[i].offset > v || seeds[i].amount > v - seeds[i].offset))
            return cs_error(
                CS_EUSAGE, "trace: seed range %llu+%llu lies outside output %llu (%llu sat)",
                (unsigned long long)seeds[i].offset, (unsigned long long)seeds[i].amount,
                (unsigned long long)seeds[i].out, (unsigned long long)v);
    }
    struct cs_trace_seed *sd = cs_xmalloc((n + 1) * sizeof *sd);
    for (size_t i = 0; i < n; i++) {
        sd[i] = seeds[i];
        uint64_t v = cs_store_out(s, sd[i].out)->value;
        if (sd[i].amount == CS_TRACE_WHOLE) {
            if (sd[i].offset > v) sd[i].offset = v;
            sd[i].amount = v - sd[i].offset;
        }
    }
    qsort(sd, n, sizeof *sd, seed_cmp);
    struct cs_trace_result *r = w->res;
    size_t cap_seeds = 0;
    for (size_t i = 0; i < n;) {
        uint64_t out = sd[i].out, v = cs_store_out(s, out)->value;
        /* union of the ranges on this output, as runs */
        size_t nr = 0;
        w->runbuf = grow(w->runbuf, &w->runbuf_cap, 2 * n + 2, sizeof *w->runbuf);
        uint64_t pos = 0, tainted = 0;
        for (; i < n && sd[i].out == out; i++) {
            uint64_t a = sd[i].offset, b = sd[i].offset + sd[i].amount;
            if (b <= pos || a == b) continue;
            if (a < pos) a = pos;
            if (a > pos) w->runbuf[nr++] = (struct cs_run){0, a - pos};
            if (nr && w->runbuf[nr - 1].label)
                w->runbuf[nr - 1].amount += b - a;
            else
                w->runbuf[nr++] = (struct cs_run){1, b - a};
            tainted += b - a;
            pos = b;
        }
        if (!tainted) continue;
        if (pos < v) w->runbuf[nr++] = (struct cs_run){0, v - pos};
        uint32_t run_off = w->ordered ? pool_add(w, w->runbuf, nr) : 0;
        struct entry *e = ent_new(w, out);
        e->taint = tainted;
        e->hop = 0;
        if (w->ordered) {
            e->run_off = run_off;
            e->nruns = (uint32_t)nr;
        } else {
            e->value = v;
        }
        r->seed_amount += tainted;
        r->seeds = grow(r->seeds, &cap_seeds, r->n_seeds + 1, sizeof *r->seeds);
        r->seeds[r->n_seeds++] = (struct cs_trace_seedinfo){out, tainted};
        uint64_t creator = cs_store_out_tx(s, out);
        if (!w->o->backward) {
            uint64_t spender = cs_store_spent_by(s, out);
            edge(w, creator, out, spender, tainted, 0, CS_TRACE_E_SEED);
            if (spender != NONE && height_ok_fwd(w, spender)) pq_push(&w->heap, spender);
        } else {
            edge(w, creator, out, creator, tainted, 0, CS_TRACE_E_SEED);
            if (height_ok_back(w, creator)) pq_push(&w->heap, w->ntx - 1 - creator);
        }
    }
    free(sd);
    if (live(w) > r->peak_live) r->peak_live = live(w);
    if (!r->n_seeds) return cs_error(CS_EUSAGE, "trace: no seed carries any satoshi");
    return 0;
}

static int front_cmp(const void *pa, const void *pb)
{
    const struct cs_trace_front *a = pa, *b = pb;
    if (a->amount != b->amount) return a->amount > b->amount ? -1 : 1;
    return a->out < b->out ? -1 : a->out > b->out;
}

/* Stable LSD radix pass over byte `shift / 8` of the key (the output id, or
 * the complemented amount); returns 0, doing nothing, when every element has
 * the same digit there. */
static int radix_pass(struct cs_trace_front *dst, const struct cs_trace_front *src, size_t n,
                      int by_amount, unsigned shift)
{
    size_t count[256] = {0};
    for (size_t i = 0; i < n; i++) {
        uint64_t k = by_amount ? ~src[i].amount : src[i].out;
        count[(k >> shift) & 255]++;
    }
    for (int d = 0; d < 256; d++)
        if (count[d] == n) return 0;
    size_t pos = 0;
    for (int d = 0; d < 256; d++) {
        size_t c = count[d];
        count[d] = pos;
        pos += c;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t k = by_amount ? ~src[i].amount : src[i].out;
        dst[count[(k >> shift) & 255]++] = src[i];
    }
    return 1;
}

/* Frontier order (amount descending, then output id): qsort for small
 * frontiers, else an LSD radix sort (output id bytes first, then amount
 * bytes; each pass is stable), O(n) per byte that differs. */
static void sort_frontier(struct cs_trace_front *f, size_t n)
{
    if (n < 4096) {
        qsort(f, n, sizeof *f, front_cmp);
        return;
    }
    struct cs_trace_front *tmp = cs_xmalloc(n * sizeof *tmp), *a = f, *b = tmp;
    for (int by_amount = 0; by_amount < 2; by_amount++)
        for (unsigned shift = 0; shift < 64; shift += 8)
            if (radix_pass(b, a, n, by_amount, shift)) {
                struct cs_trace_front *t = a;
                a = b;
                b = t;
            }
    if (a != f) memcpy(f, a, n * sizeof *f);
    free(tmp);
}

static int sink_cmp(const void *pa, const void *pb)
{
    const struct cs_trace_sink *a = pa, *b = pb;
    if (a->amount != b->amount) return a->amount > b->amount ? -1 : 1;
    int c = strcmp(a->label, b->label);
    if (c) return c;
    if (a->category != b->category) return a->category < b->category ? -1 : 1;
    return a->entity < b->entity ? -1 : a->entity > b->entity;
}

static int u64_cmp(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

static void finish(struct walker *w)
{
    struct cs_trace_result *r = w->res;
    const struct cs_store *s = w->s;
    /* frontier: whatever is left in the map */
    size_t runs_cap = 0;
    r->frontier = cs_xmalloc((live(w) + 1) * sizeof *r->frontier);
    FOR_EACH_ENTRY(w, e, {
        uint64_t out = e->key1 - 1;
        int reason;
        if (e->flags & FLAG_MAX_HOPS) {
            reason = CS_TRACE_MAX_HOPS;
        } else if (e->flags & FLAG_COINBASE) {
            reason = CS_TRACE_COINBASE;
        } else if (!w->o->backward) {
            uint64_t sp = cs_store_spent_by(s, out);
            if (sp == NONE) {
                reason = CS_TRACE_UNSPENT;
            } else {
                if (height_ok_fwd(w, sp))
                    BUG("trace: output %llu left behind with a pending spender",
                        (unsigned long long)out);
                reason = CS_TRACE_UNTIL_HEIGHT;
            }
        } else {
            if (height_ok_back(w, cs_store_out_tx(s, out)))
                BUG("trace: output %llu left behind with a pending creator",
                    (unsigned long long)out);
            reason = CS_TRACE_UNTIL_HEIGHT;
        }
        struct cs_trace_front *f = &r->frontier[r->n_frontier++];
        *f = (struct cs_trace_front){out, e->taint, e->hop, reason, 0, 0};
        if (w->ordered && e->nruns) {
            r->runs = grow(r->runs, &runs_cap, r->n_runs + e->nruns, sizeof *r->runs);
            memcpy(r->runs + r->n_runs, w->pool + e->run_off, e->nruns * sizeof *r->runs);
            f->run_first = r->n_runs;
            f->nruns = e->nruns;
            r->n_runs += e->nruns;
        }
        hop_at(w, e->hop)->to_frontier += e->taint;
    });
    sort_frontier(r->frontier, r->n_frontier);
    /* sinks */
    size_t *remap = cs_xcalloc(w->nent + 1, sizeof *remap);
    r->sinks = cs_xcalloc(w->nent + 1, sizeof *r->sinks);
    for (size_t i = 0; i <= w->nent; i++) {
        struct sinkacc *k = &w->sink[i];
        if (!k->used) continue;
        struct cs_trace_sink *t = &r->sinks[r->n_sinks++];
        if (i == w->nent) {
            t->entity = CS_TRACE_COINJOIN;
            t->label = "coinjoin";
            t->category = CS_TAG_MIXER;
        } else {
            const struct cs_attrib_entity *e = cs_attrib_entity(w->attrib, (uint32_t)i);
            t->entity = (int32_t)i;
            t->label = e->label;
            t->category = e->category;
        }
        t->amount = k->amount;
        t->outputs = k->outputs;
        t->hops = k->hops;
        if (k->n_txs > 1) qsort(k->txs, k->n_txs, sizeof *k->txs, u64_cmp);
        size_t u = 0;
        for (size_t q = 0; q < k->n_txs; q++)
            if (!u || k->txs[u - 1] != k->txs[q]) k->txs[u++] = k->txs[q];
        t->txs = k->txs;
        t->n_txs = u;
        k->txs = NULL;
        t->first_tx = u ? (w->o->backward ? t->txs[u - 1] : t->txs[0]) : NONE;
    }
    qsort(r->sinks, r->n_sinks, sizeof *r->sinks, sink_cmp);
    for (size_t q = 0; q < r->n_sinks; q++) {
        int32_t e = r->sinks[q].entity;
        remap[e == CS_TRACE_COINJOIN ? w->nent : (size_t)e] = q;
    }
    for (size_t q = 0; q < r->n_edges; q++)
        if (r->edges[q].kind == CS_TRACE_E_SINK) r->edges[q].to = remap[r->edges[q].to];
    free(remap);
    r->hops = w->hops.h;
    r->n_hops = w->hops.n;
    w->hops.h = NULL;
    if (r->conservative) {
        uint64_t total =
            cs_trace_sinks_total(r) + cs_trace_frontier_total(r) + r->fees + r->dropped;
        if (total != r->seed_amount)
            BUG("trace: taint not conserved: seed %llu != sinks %llu + frontier %llu + fees %llu "
                "+ dropped %llu",
                (unsigned long long)r->seed_amount, (unsigned long long)cs_trace_sinks_total(r),
                (unsigned long long)cs_trace_frontier_total(r), (unsigned long long)r->fees,
                (unsigned long long)r->dropped);
    }
}

static void walker_free(struct walker *w)
{
    table_free(w->map.e, (w->map.mask + 1) * sizeof *w->map.e);
    if (w->ring) table_free(w->ring, (w->ring_mask + 1) * sizeof *w->ring);
    pq_free(&w->heap);
    free(w->pool);
    free(w->stop_ent);
    if (w->sink)
        for (size_t i = 0; i <= w->nent; i++)
            free(w->sink[i].txs);
    free(w->sink);
    free(w->hops.h);
    free(w->in_val);
    free(w->in_val_rev);
    free(w->in_taint);
    free(w->in_key);
    free(w->in_runs);
    free(w->in_nruns);
    free(w->in_first);
    free(w->clean);
    free(w->in_hop);
    free(w->txv_in);
    free(w->out_val);
    free(w->out_taint);
    free(w->out_first);
    free(w->out_nruns);
    free(w->out_runs);
    free(w->txv_out);
    free(w->runbuf);
    free(w->spans);
    free(w->merge);
}

void cs_trace_opts_default(struct cs_trace_opts *o)
{
    memset(o, 0, sizeof *o);
    o->policy = CS_POLICY_HAIRCUT;
    o->feeconv = CS_FEE_LAST;
    o->max_hops = CS_TRACE_UNLIMITED;
    o->until_height = -1;
    o->stop_mask = (1u << CS_TAG_EXCHANGE) | (1u << CS_TAG_MIXER) | (1u << CS_TAG_BRIDGE) |
                   (1u << CS_TAG_SANCTIONED);
    o->stop_coinjoin = 1;
    o->sweep_rule = 1;
}

const char *cs_trace_reason_name(int reason)
{
    switch (reason) {
    case CS_TRACE_UNSPENT:
        return "unspent";
    case CS_TRACE_MAX_HOPS:
        return "max_hops";
    case CS_TRACE_UNTIL_HEIGHT:
        return "until_height";
    case CS_TRACE_COINBASE:
        return "coinbase";
    }
    return "unknown";
}

int cs_trace_run(struct cs_trace_result *res, const struct cs_store *s,
                 const struct cs_trace_opts *o, const struct cs_trace_seed *seeds, size_t n_seeds)
{
    memset(res, 0, sizeof *res);
    res->policy = o->policy;
    res->feeconv = o->feeconv;
    res->backward = o->backward;
    res->conservative = o->policy != CS_POLICY_POISON;
    if ((unsigned)o->policy > CS_POLICY_TIHO || (unsigned)o->feeconv > CS_FEE_PRORATA)
        return cs_error(CS_EUSAGE, "trace: unknown policy or fee convention");
    if (o->backward && o->policy == CS_POLICY_TIHO)
        return cs_error(CS_EUSAGE,
                        "trace: TIHO cannot run backward: its input order depends on which "
                        "inputs are tainted, which is what a backward trace is looking for");
    if (o->backward && o->feeconv == CS_FEE_PRORATA &&
        (o->policy == CS_POLICY_FIFO || o->policy == CS_POLICY_LIFO))
        return cs_error(CS_EUSAGE,
                        "trace: backward FIFO/LIFO needs --fee-convention fee-last (fee-pro-rata "
                        "spreads every input into the fee, so it has no exact inverse)");
    if (!n_seeds) return cs_error(CS_EUSAGE, "trace: no seeds");
    struct walker w;
    memset(&w, 0, sizeof w);
    w.s = s;
    w.o = o;
    w.res = res;
    w.ordered =
        o->policy == CS_POLICY_FIFO || o->policy == CS_POLICY_LIFO || o->policy == CS_POLICY_TIHO;
    w.ntx = cs_store_counts(s)->tx;
    w.attrib = o->attrib && cs_attrib_count(o->attrib) && (o->stop_mask || o->stop_coinjoin)
                   ? o->attrib
                   : NULL;
    w.nent = w.attrib ? cs_attrib_count(w.attrib) : 0;
    w.stop_ent = cs_xcalloc(w.nent + 1, 1);
    for (size_t i = 0; i < w.nent; i++)
        w.stop_ent[i] = (o->stop_mask >> cs_attrib_entity(w.attrib, (uint32_t)i)->category) & 1u;
    /* the exchange control of the CoinJoin test wants attribution even when
     * nothing stops; stop_entity() then finds no stopping entity */
    w.sink = cs_xcalloc(w.nent + 1, sizeof *w.sink);
    map_init(&w.map, 1024);
    unsigned rb = o->ring_bits;
    /* the ring is a fixed cost: worth it only where the store itself is big */
    if (!rb && cs_store_counts(s)->out > (4ull << RING_BITS_DEFAULT)) rb = RING_BITS_DEFAULT;
    if (!o->backward && rb) {
        rb = rb < 6 ? 6 : rb > 26 ? 26 : rb;
        w.ring_mask = (1ull << rb) - 1;
        w.ring = table_alloc((w.ring_mask + 1) * sizeof *w.ring);
    }
    pq_init(&w.heap, o->pending_window_bits ? o->pending_window_bits : WIN_BITS_DEFAULT);
    int rc = plant_seeds(&w, seeds, n_seeds);
    uint64_t since = 0, k;
    while (!rc && pq_size(&w.heap)) {
        if (pq_size(&w.heap) > res->peak_pending) res->peak_pending = pq_size(&w.heap);
        if (!pq_pop(&w.heap, &k)) break;
        if (!o->backward) prefetch_ahead(&w);
        if (w.ordered && w.pool_used > 2 * w.pool_live + 65536) pool_compact(&w);
        rc = o->backward ? back_tx(&w, w.ntx - 1 - k) : fwd_tx(&w, k);
        if (!rc && o->progress && ++since >= PROGRESS_EVERY) {
            since = 0;
            if (o->progress(o->progress_ctx, res->txs_visited, pq_size(&w.heap)))
                rc = cs_error(CS_EINTERRUPTED, "trace: interrupted");
        }
    }
    if (!rc) {
        finish(&w);
        res->bytes = (w.map.mask + 1) * sizeof(struct entry) +
                     (w.ring ? (w.ring_mask + 1) * sizeof(struct entry) : 0) +
                     rh_bytes(&w.heap.far) + w.heap.win / 8 + w.pool_cap * sizeof(struct cs_run) +
                     w.runbuf_cap * sizeof(struct cs_run) +
                     w.edges_cap * sizeof(struct cs_trace_edge);
    }
    walker_free(&w);
    return rc;
}

void cs_trace_result_free(struct cs_trace_result *res)
{
    if (!res) return;
    for (size_t i = 0; i < res->n_sinks; i++)
        free(res->sinks[i].txs);
    free(res->sinks);
    free(res->frontier);
    free(res->runs);
    free(res->hops);
    free(res->seeds);
    free(res->edges);
    memset(res, 0, sizeof *res);
}

uint64_t cs_trace_frontier_total(const struct cs_trace_result *res)
{
    uint64_t t = 0;
    for (size_t i = 0; i < res->n_frontier; i++)
        t += res->frontier[i].amount;
    return t;
}

uint64_t cs_trace_sinks_total(const struct cs_trace_result *res)
{
    uint64_t t = 0;
    for (size_t i = 0; i < res->n_sinks; i++)
        t += res->sinks[i].amount;
    return t;
}
