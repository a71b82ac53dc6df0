/* unionfind.c — union by size with path halving on caller-provided arrays.
 *
 * The hot loop is cache-miss bound: a find on a cold id touches one cache
 * line per tree level, and union by size keeps the levels at most log2(n)
 * (in practice 1-3 after halving).  size[] is only read at the two roots. */
#include "cluster/unionfind.h"

#include <string.h>

/* Union by size bounds every tree height by log2(n) <= 32 (cs_uf_compress
 * leaves height 1), so a walk longer than this means the arrays are corrupt. */
#define UF_MAX_HEIGHT 40

static inline uint32_t uf_root(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        uint32_t grand = parent[parent[x]];
        parent[x] = grand;
        x = grand;
    }
    return x;
}

int cs_uf_init(struct cs_uf *uf, uint32_t *parent, uint32_t *size, uint32_t n)
{
    memset(uf, 0, sizeof *uf);
    if (n > CS_UF_MAX_N)
        return cs_error(CS_EUSAGE, "union-find: %u ids exceed the maximum %u", n, CS_UF_MAX_N);
    if (n > 0 && (!parent || !size))
        return cs_error(CS_EUSAGE, "union-find: no storage for %u ids", n);
    for (uint32_t i = 0; i < n; i++) {
        parent[i] = i;
        size[i] = 1;
    }
    uf->parent = parent;
    uf->size = size;
    uf->n = n;
    uf->sets = n;
    return 0;
}

int cs_uf_attach(struct cs_uf *uf, uint32_t *parent, uint32_t *size, uint32_t n)
{
    memset(uf, 0, sizeof *uf);
    if (n > CS_UF_MAX_N)
        return cs_error(CS_EUSAGE, "union-find: %u ids exceed the maximum %u", n, CS_UF_MAX_N);
    if (n > 0 && (!parent || !size))
        return cs_error(CS_EUSAGE, "union-find: no storage for %u ids", n);
    uint64_t total = 0;
    uint32_t sets = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t x = i;
        int steps = 0;
        while (parent[x] != x) {
            if (parent[x] >= n)
                return cs_error(CS_ECORRUPT, "union-find: parent of id %u is %u, beyond %u ids", x,
                                parent[x], n);
            if (++steps > UF_MAX_HEIGHT)
                return cs_error(CS_ECORRUPT, "union-find: id %u: no root within %d steps (cycle?)",
                                i, UF_MAX_HEIGHT);
            x = parent[x];
        }
        if (x == i) {
            if (size[i] == 0 || size[i] > n)
                return cs_error(CS_ECORRUPT, "union-find: root %u has size %u (n = %u)", i, size[i],
                                n);
            total += size[i];
            sets++;
        }
    }
    if (total != n)
        return cs_error(CS_ECORRUPT, "union-find: root sizes add up to %llu, not %u ids",
                        (unsigned long long)total, n);
    uf->parent = parent;
    uf->size = size;
    uf->n = n;
    uf->sets = sets;
    return 0;
}

int cs_uf_grow(struct cs_uf *uf, uint32_t *parent, uint32_t *size, uint32_t new_n)
{
    if (new_n < uf->n)
        return cs_error(CS_EUSAGE, "union-find: cannot shrink from %u to %u ids", uf->n, new_n);
    if (new_n > CS_UF_MAX_N)
        return cs_error(CS_EUSAGE, "union-find: %u ids exceed the maximum %u", new_n, CS_UF_MAX_N);
    if (new_n > 0 && (!parent || !size))
        return cs_error(CS_EUSAGE, "union-find: no storage for %u ids", new_n);
    for (uint32_t i = uf->n; i < new_n; i++) {
        parent[i] = i;
        size[i] = 1;
    }
    uf->parent = parent;
    uf->size = size;
    uf->sets += new_n - uf->n;
    uf->n = new_n;
    return 0;
}

void cs_uf_set_hook(struct cs_uf *uf, cs_uf_merge_fn fn, void *ctx)
{
    uf->on_merge = fn;
    uf->on_merge_ctx = ctx;
}

uint32_t cs_uf_find(struct cs_uf *uf, uint32_t x)
{
    if (x >= uf->n) return CS_UF_NONE;
    return uf_root(uf->parent, x);
}

/* Links two distinct roots; the larger set's root (smaller id on a tie) stays. */
static inline void uf_link(struct cs_uf *uf, uint32_t ra, uint32_t rb)
{
    uint32_t sa = uf->size[ra], sb = uf->size[rb];
    if (sa < sb || (sa == sb && rb < ra)) {
        uint32_t t = ra;
        ra = rb;
        rb = t;
    }
    uf->parent[rb] = ra;
    uf->size[ra] = sa + sb; /* <= n <= CS_UF_MAX_N: no overflow */
    uf->sets--;
}

int cs_uf_union(struct cs_uf *uf, uint32_t a, uint32_t b, uint64_t tx)
{
    if (a >= uf->n || b >= uf->n)
        return cs_error(CS_ERANGE, "union-find: tx %llu: address id %u beyond %u ids",
                        (unsigned long long)tx, a >= uf->n ? a : b, uf->n);
    uint32_t ra = uf_root(uf->parent, a), rb = uf_root(uf->parent, b);
    if (ra == rb) return 0;
    uf_link(uf, ra, rb);
    if (uf->on_merge) uf->on_merge(uf->on_merge_ctx, a, b, tx);
    return 1;
}

long cs_uf_union_all(struct cs_uf *uf, const uint32_t *ids, size_t count, uint64_t tx)
{
    long merges = 0;
    for (size_t i = 1; i < count; i++) {
        int rc = cs_uf_union(uf, ids[0], ids[i], tx);
        if (rc < 0) return rc;
        merges += rc;
    }
    if (count == 1 && ids[0] >= uf->n)
        return cs_error(CS_ERANGE, "union-find: tx %llu: address id %u beyond %u ids",
                        (unsigned long long)tx, ids[0], uf->n);
    return merges;
}

/* Prefetch distances (in edges) of the two stages: the ids' own parent slots
 * far ahead, their parents (usually the roots) and root sizes nearer, once the
 * first stage has had time to arrive.  Tuned on 4M..16M random ids. */
#define UF_PREFETCH_FAR 16
#define UF_PREFETCH_NEAR 8

long cs_uf_union_edges(struct cs_uf *uf, const struct cs_uf_edge *edges, size_t count)
{
    uint32_t *parent = uf->parent, *size = uf->size, n = uf->n;
    long merges = 0;
    for (size_t i = 0; i < count; i++) {
        if (i + UF_PREFETCH_FAR < count) {
            const struct cs_uf_edge *e = &edges[i + UF_PREFETCH_FAR];
            if (e->a < n && e->b < n) {
                __builtin_prefetch(&parent[e->a], 1);
                __builtin_prefetch(&parent[e->b], 1);
            }
        }
        if (i + UF_PREFETCH_NEAR < count) {
            const struct cs_uf_edge *e = &edges[i + UF_PREFETCH_NEAR];
            if (e->a < n && e->b < n) {
                uint32_t pa = parent[e->a], pb = parent[e->b];
                __builtin_prefetch(&parent[pa], 1);
                __builtin_prefetch(&parent[pb], 1);
                __builtin_prefetch(&size[pa], 1);
                __builtin_prefetch(&size[pb], 1);
            }
        }
        int rc = cs_uf_union(uf, edges[i].a, edges[i].b, edges[i].tx);
        if (rc < 0) return rc;
        merges += rc;
    }
    return merges;
}

int cs_uf_same(struct cs_uf *uf, uint32_t a, uint32_t b)
{
    if (a >= uf->n || b >= uf->n)
        return cs_error(CS_ERANGE, "union-find: address id %u beyond %u ids", a >= uf->n ? a : b,
                        uf->n);
    return uf_root(uf->parent, a) == uf_root(uf->parent, b);
}

void cs_uf_compress(struct cs_uf *uf)
{
    uint32_t *parent = uf->parent;
    /* Ascending order: the first member of a set we meet is its smallest.  If
     * the root is larger, that member becomes the root (taking over the size)
     * and the old root hangs below it; later members then resolve to it. */
    for (uint32_t i = 0; i < uf->n; i++) {
        uint32_t r = uf_root(parent, i);
        if (r > i) {
            parent[r] = i;
            parent[i] = i;
            uf->size[i] = uf->size[r];
            r = i;
        }
        parent[i] = r;
    }
}
