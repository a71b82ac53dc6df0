/* unionfind.h — disjoint sets over dense uint32 address ids, on caller storage.
 *
 * Invariants:
 *  - The structure owns no memory.  The caller hands in two arrays of n uint32
 *    (parent[], size[]), typically two mmap'd column files, and may remap or
 *    extend them between calls (cs_uf_grow).  Nothing else is kept, so the
 *    arrays alone are the whole state and can be persisted and reopened
 *    (cs_uf_attach).
 *  - parent[x] == x exactly when x is a root.  size[r] is the member count of
 *    the set rooted at r; size[] of non-roots is stale and never read.
 *  - Ids are 0 .. n-1 with n <= CS_UF_MAX_N, so CS_UF_NONE is never an id.
 *    32 bits are enough because ids are the store's address ids, which the
 *    Bitcoin schema caps below 2^32 (its appends refuse to pass it: see the
 *    widths note in btc/store.h).  Halving
 *    the arrays matters here: clustering is bound by their cache misses.
 *  - Determinism.  Union is by size; on equal sizes the root with the smaller
 *    id wins, so the same sequence of unions always gives the same forest.
 *    cs_uf_compress() then re-roots every set at its SMALLEST member id, which
 *    makes the stored cluster id (= that smallest address id) independent of
 *    the order or batching of the unions: a full rebuild, an incremental run
 *    and a run with the heuristics applied in another order all agree as long
 *    as they produce the same partition.
 *  - find uses path halving (one pass, no recursion, no stack).
 *
 * Costs: find and union are amortised O(alpha(n)) array accesses; grow is
 * O(new ids); compress is O(n). No function allocates. */
#ifndef CS_CLUSTER_UNIONFIND_H
#define CS_CLUSTER_UNIONFIND_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define CS_UF_NONE UINT32_MAX
#define CS_UF_MAX_N (UINT32_MAX - 1u)

/* Evidence hook: called once per union that really joins two different sets,
 * with the two ids the caller passed (not the roots) and the caller's tx id,
 * so `entity --why` can show which transaction linked two addresses.  The
 * merges form a spanning forest of the clusters: exactly (n - clusters) calls. */
typedef void (*cs_uf_merge_fn)(void *ctx, uint32_t a, uint32_t b, uint64_t tx);

struct cs_uf {
    uint32_t *parent; /* borrowed, n entries */
    uint32_t *size;   /* borrowed, n entries (meaningful at roots) */
    uint32_t n;
    uint32_t sets;           /* current number of disjoint sets */
    cs_uf_merge_fn on_merge; /* optional, may be NULL */
    void *on_merge_ctx;
};

/* Initialises n singletons in parent/size (writes both arrays). Returns 0, or
 * CS_EUSAGE if n > CS_UF_MAX_N or the arrays are NULL while n > 0. O(n). */
int cs_uf_init(struct cs_uf *uf, uint32_t *parent, uint32_t *size, uint32_t n) CS_MUST_CHECK;

/* Adopts arrays written by an earlier run (e.g. reopened columns) without
 * touching them, after checking that every parent is < n and that the root
 * sizes add up to n. Returns 0 or CS_ECORRUPT naming the first bad id. O(n). */
int cs_uf_attach(struct cs_uf *uf, uint32_t *parent, uint32_t *size, uint32_t n) CS_MUST_CHECK;

/* Switches to (possibly remapped) arrays holding new_n >= uf->n entries whose
 * first uf->n entries are the current state, and makes ids uf->n .. new_n-1
 * singletons. Returns 0, or CS_EUSAGE if new_n shrinks or exceeds CS_UF_MAX_N.
 * O(new_n - old n). */
int cs_uf_grow(struct cs_uf *uf, uint32_t *parent, uint32_t *size, uint32_t new_n) CS_MUST_CHECK;

/* Sets (or clears with fn = NULL) the evidence hook. */
void cs_uf_set_hook(struct cs_uf *uf, cs_uf_merge_fn fn, void *ctx);

/* Root of x's set, halving the path on the way (so it writes parent[]).
 * Returns CS_UF_NONE if x >= n. */
uint32_t cs_uf_find(struct cs_uf *uf, uint32_t x);

/* Joins the sets of a and b; tx is only passed to the hook. Returns 1 if two
 * sets were merged, 0 if a and b were already together, CS_ERANGE (with a
 * message) if an id is >= n. */
int cs_uf_union(struct cs_uf *uf, uint32_t a, uint32_t b, uint64_t tx);

/* Joins all ids[0..count) into one set (the multi-input rule for one tx).
 * Returns the number of merges done (>= 0) or CS_ERANGE. */
long cs_uf_union_all(struct cs_uf *uf, const uint32_t *ids, size_t count, uint64_t tx);

/* One union request: join a and b, crediting tx (for the evidence hook). */
struct cs_uf_edge {
    uint32_t a, b;
    uint64_t tx;
};

/* Applies edges[0..count) in order, exactly as count calls of cs_uf_union
 * would (same forest, same hook calls), but with software prefetching of the
 * ids a few edges ahead, which roughly doubles throughput on random-access
 * workloads larger than the cache.  Callers that walk transactions should
 * collect the multi-input edges of a chunk of txs and apply them here.
 * Returns the number of merges, or CS_ERANGE at the first bad id (the edges
 * before it have been applied). */
long cs_uf_union_edges(struct cs_uf *uf, const struct cs_uf_edge *edges, size_t count);

/* 1 if a and b are in the same set, 0 if not, CS_ERANGE for a bad id. */
int cs_uf_same(struct cs_uf *uf, uint32_t a, uint32_t b);

/* Final pass: re-roots every set at its smallest member and writes that root
 * into parent[x] for every x, so parent[] becomes the cluster-id column
 * (cluster id = smallest address id in the cluster). size[] stays valid, so
 * union/grow may continue afterwards. O(n) with ascending, sequential writes. */
void cs_uf_compress(struct cs_uf *uf);

#endif
