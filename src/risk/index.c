/* index.c — the exposure index: per node and direction, the category
 * vector of METHODS §5 over H and H-1 hops, computed for every node at once
 * by H passes over the events (risk.h), stored in DB/CHAIN/risk/exposure.idx
 * and read by screens through mmap.
 *
 * File layout (little-endian host order, like the store; every section
 * 8-byte aligned):
 *   "CSRISKX1"  u32 version (1)  u32 entry size (24)
 *   meta: u64 cluster_tx, 32 B cluster_tip, 32 B tags_sha, u32 max_hops,
 *         u32 attrib_mode, f64 decay
 *   u64 n_nodes, u32 node_ids[n_nodes] (ascending), pad to 8
 *   per direction (in, out): u64 n_entries, u64 off[n_nodes + 1],
 *         f64 w[n_nodes], struct cs_risk_ixcat entries[n_entries]
 *   then the trailer: u64 hash[n_chunks], one per 1 MiB chunk of everything
 *         above (the last chunk shorter), u64 n_chunks, u64 hash of the hash
 *         list.  Hashes are a 64-bit multiply-xor over the 8-byte words (for
 *         corruption, not adversaries).  Open checks the layout, the hash
 *         list, the first and last chunks and two random ones, so it costs
 *         O(nodes) for the offsets plus 4 MiB, never the whole file;
 *         cs_risk_index_verify checks every chunk.
 *
 * Pass h for direction IN (OUT swaps sources and destinations): for each
 * event with source total A > 0, mix = sum_D (a_D / A) g(D) over its
 * sources, g(D) = onehot(category of D) if D is attributed, else decay *
 * f_{h-1}(D) (1 instead of decay for the undecayed T); each destination C
 * adds v_C * (mix - [C is a source] (a_C / A) g(C)), which is the sum over
 * sources other than C without a product of sources by destinations (a
 * CoinJoin of 100 x 100 costs 200 leg visits, not 10,000).  Min hops take
 * the two smallest candidates per category, so that leaving C out is
 * exact.  After the pass every node is divided by its W. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "risk/risk.h"
#include "util/atomic_file.h"

#define IX_CHUNK ((size_t)1 << 20)

static uint64_t chunk_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x243f6a8885a308d3ULL ^ n;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
    }
    return h;
}

/* ---- events ---- */

static int cmp_leg(const void *a, const void *b)
{
    const struct cs_risk_leg *x = a, *y = b;
    return x->node < y->node ? -1 : x->node > y->node;
}

void cs_risk_events_add(struct cs_risk_events *e, const struct cs_risk_leg *src, size_t ns,
                        const struct cs_risk_leg *dst, size_t nd)
{
    if (e->n_events + 2 > e->cap_events) {
        e->cap_events = e->cap_events ? e->cap_events * 2 : 1024;
        e->first = cs_xrealloc(e->first, e->cap_events * sizeof *e->first);
        e->n_src = cs_xrealloc(e->n_src, e->cap_events * sizeof *e->n_src);
    }
    if (e->n_legs + ns + nd > e->cap_legs) {
        while (e->n_legs + ns + nd > e->cap_legs) e->cap_legs = e->cap_legs ? e->cap_legs * 2 : 4096;
        e->legs = cs_xrealloc(e->legs, e->cap_legs * sizeof *e->legs);
    }
    if (!e->n_events) e->first[0] = 0;
    struct cs_risk_leg *l = e->legs + e->n_legs;
    /* no memcpy/qsort on empty lists: their pointers may be NULL */
    if (ns) {
        memcpy(l, src, ns * sizeof *src);
        qsort(l, ns, sizeof *l, cmp_leg);
    }
    if (nd) {
        memcpy(l + ns, dst, nd * sizeof *dst);
        qsort(l + ns, nd, sizeof *l, cmp_leg);
    }
    e->n_src[e->n_events] = (uint32_t)ns;
    e->n_legs += ns + nd;
    e->first[++e->n_events] = e->n_legs;
}

void cs_risk_events_free(struct cs_risk_events *e)
{
    free(e->first);
    free(e->n_src);
    free(e->legs);
    memset(e, 0, sizeof *e);
}

/* ---- the index object ---- */

struct ixdir {
    uint64_t n_entries;
    const uint64_t *off;
    const double *w;
    const struct cs_risk_ixcat *cats;
};

struct cs_risk_index {
    struct cs_risk_index_meta meta;
    uint64_t n;
    const uint32_t *ids;
    struct ixdir d[2];
    /* built: owned arrays; opened: the mapping */
    void *map;
    size_t map_len;
    const uint64_t *chunk_hashes;
    uint64_t n_chunks, content_len;
    uint32_t *own_ids;
    uint64_t *own_off[2];
    double *own_w[2];
    struct cs_risk_ixcat *own_cats[2];
};

const struct cs_risk_index_meta *cs_risk_index_meta(const struct cs_risk_index *ix)
{
    return &ix->meta;
}

uint64_t cs_risk_index_nodes(const struct cs_risk_index *ix)
{
    return ix->n;
}

void cs_risk_index_free(struct cs_risk_index *ix)
{
    if (!ix) return;
    if (ix->map) munmap(ix->map, ix->map_len);
    free(ix->own_ids);
    for (int d = 0; d < 2; d++) {
        free(ix->own_off[d]);
        free(ix->own_w[d]);
        free(ix->own_cats[d]);
    }
    free(ix);
}

int cs_risk_index_get(const struct cs_risk_index *ix, uint64_t node, int dir, double *w,
                      const struct cs_risk_ixcat **cats, size_t *n)
{
    if (node > UINT32_MAX) return CS_ENOTFOUND;
    uint64_t lo = 0, hi = ix->n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (ix->ids[mid] < node) lo = mid + 1;
        else hi = mid;
    }
    if (lo == ix->n || ix->ids[lo] != node) return CS_ENOTFOUND;
    const struct ixdir *d = &ix->d[dir];
    *w = d->w[lo];
    *cats = d->cats + d->off[lo];
    *n = (size_t)(d->off[lo + 1] - d->off[lo]);
    return 0;
}

static int ix_chunk_ok(const struct cs_risk_index *ix, uint64_t c)
{
    uint64_t off = c * IX_CHUNK, n = ix->content_len - off < IX_CHUNK ? ix->content_len - off : IX_CHUNK;
    return chunk_hash((const uint8_t *)ix->map + off, (size_t)n) == ix->chunk_hashes[c];
}

int cs_risk_index_verify(const struct cs_risk_index *ix)
{
    if (!ix->map) return 0;
    for (uint64_t c = 0; c < ix->n_chunks; c++)
        if (!ix_chunk_ok(ix, c))
            return cs_error(CS_ECORRUPT, "exposure index: byte %llu: chunk %llu fails its checksum",
                            (unsigned long long)(c * IX_CHUNK), (unsigned long long)c);
    return 0;
}

/* ---- build ---- */

#define NOHOP 255

/* amount of node in the sorted legs [l, l+n), or 0 */
static uint64_t leg_amount(const struct cs_risk_leg *l, size_t n, uint32_t node, size_t *at)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (l[mid].node < node) lo = mid + 1;
        else hi = mid;
    }
    if (lo < n && l[lo].node == node) {
        *at = lo;
        return l[lo].amount;
    }
    return 0;
}

static void build_dir(const struct cs_risk_events *ev, size_t n, const int8_t *kat, size_t K,
                      unsigned H, double decay, int dir, struct cs_risk_index *ix)
{
    double *W = cs_xcalloc(n, sizeof *W);
    size_t NK = n * K;
    double *px = cs_xcalloc(NK, sizeof(double)), *pt = cs_xcalloc(NK, sizeof(double));
    double *cx = cs_xcalloc(NK, sizeof(double)), *ct = cs_xcalloc(NK, sizeof(double));
    uint8_t *pm = cs_xmalloc(NK ? NK : 1), *cm = cs_xmalloc(NK ? NK : 1);
    float *dir1 = cs_xcalloc(NK, sizeof(float)), *x1 = cs_xcalloc(NK, sizeof(float)),
          *t1 = cs_xcalloc(NK, sizeof(float));
    uint8_t *m1 = cs_xmalloc(NK ? NK : 1);
    memset(pm, NOHOP, NK);
    memset(m1, NOHOP, NK);
    double gx[CS_RISK_NCAT], gt[CS_RISK_NCAT], mixx[CS_RISK_NCAT], mixt[CS_RISK_NCAT];
    uint8_t min1[CS_RISK_NCAT], min2[CS_RISK_NCAT];
    uint32_t min1n[CS_RISK_NCAT];

    /* W: what each node's flows add up to in this direction */
    for (uint64_t e = 0; e < ev->n_events; e++) {
        const struct cs_risk_leg *l = ev->legs + ev->first[e];
        size_t ns = ev->n_src[e], nl = (size_t)(ev->first[e + 1] - ev->first[e]);
        const struct cs_risk_leg *from = dir == CS_RISK_IN ? l : l + ns;   /* counterparties */
        size_t nfrom = dir == CS_RISK_IN ? ns : nl - ns;
        const struct cs_risk_leg *to = dir == CS_RISK_IN ? l + ns : l;     /* the nodes */
        size_t nto = dir == CS_RISK_IN ? nl - ns : ns;
        double A = 0;
        for (size_t i = 0; i < nfrom; i++) A += (double)from[i].amount;
        for (size_t j = 0; j < nto; j++) {
            size_t at;
            double self = A > 0 ? (double)leg_amount(from, nfrom, to[j].node, &at) : 0;
            W[to[j].node] += A > 0 ? (double)to[j].amount * (A - self) / A : (double)to[j].amount;
        }
    }
    for (unsigned h = 1; h <= H; h++) {
        memset(cx, 0, NK * sizeof(double));
        memset(ct, 0, NK * sizeof(double));
        memset(cm, NOHOP, NK);
        for (uint64_t e = 0; e < ev->n_events; e++) {
            const struct cs_risk_leg *l = ev->legs + ev->first[e];
            size_t ns = ev->n_src[e], nl = (size_t)(ev->first[e + 1] - ev->first[e]);
            const struct cs_risk_leg *from = dir == CS_RISK_IN ? l : l + ns;
            size_t nfrom = dir == CS_RISK_IN ? ns : nl - ns;
            const struct cs_risk_leg *to = dir == CS_RISK_IN ? l + ns : l;
            size_t nto = dir == CS_RISK_IN ? nl - ns : ns;
            double A = 0;
            for (size_t i = 0; i < nfrom; i++) A += (double)from[i].amount;
            if (!(A > 0) || !nto) continue;
            for (size_t k = 0; k < K; k++) {
                mixx[k] = mixt[k] = 0;
                min1[k] = min2[k] = NOHOP;
                min1n[k] = UINT32_MAX;
            }
            for (size_t i = 0; i < nfrom; i++) {
                uint32_t d = from[i].node;
                double p = (double)from[i].amount / A;
                for (size_t k = 0; k < K; k++) {
                    uint8_t m;
                    if (kat[d] >= 0) {
                        gx[k] = gt[k] = (size_t)kat[d] == k;
                        m = (size_t)kat[d] == k ? 1 : NOHOP;
                    } else {
                        gx[k] = decay * px[d * K + k];
                        gt[k] = pt[d * K + k];
                        m = pm[d * K + k] == NOHOP ? NOHOP : (uint8_t)(pm[d * K + k] + 1);
                    }
                    mixx[k] += p * gx[k];
                    mixt[k] += p * gt[k];
                    if (m < min1[k]) {
                        min2[k] = min1[k];
                        min1[k] = m;
                        min1n[k] = d;
                    } else if (m < min2[k]) {
                        min2[k] = m;
                    }
                }
            }
            for (size_t j = 0; j < nto; j++) {
                uint32_t c = to[j].node;
                double v = (double)to[j].amount;
                size_t at;
                uint64_t self = leg_amount(from, nfrom, c, &at);
                for (size_t k = 0; k < K; k++) {
                    double sx = mixx[k], st = mixt[k];
                    if (self) {
                        double p = (double)self / A;
                        if (kat[c] >= 0) {
                            double g = (size_t)kat[c] == k;
                            sx -= p * g;
                            st -= p * g;
                        } else {
                            sx -= p * decay * px[c * K + k];
                            st -= p * pt[c * K + k];
                        }
                        if (sx < 0) sx = 0;
                        if (st < 0) st = 0;
                    }
                    cx[c * K + k] += v * sx;
                    ct[c * K + k] += v * st;
                    uint8_t m = (self && min1n[k] == c) ? min2[k] : min1[k];
                    if (m < cm[c * K + k] && st > 0) cm[c * K + k] = m;
                }
            }
        }
        for (size_t c = 0; c < n; c++)
            for (size_t k = 0; k < K; k++) {
                double w = W[c];
                cx[c * K + k] = w > 0 ? cx[c * K + k] / w : 0;
                ct[c * K + k] = w > 0 ? ct[c * K + k] / w : 0;
                if (!(ct[c * K + k] > 0)) cm[c * K + k] = NOHOP;
            }
        if (h == 1)
            for (size_t i = 0; i < NK; i++) dir1[i] = (float)cx[i];
        if (h + 1 == H)
            for (size_t i = 0; i < NK; i++) {
                x1[i] = (float)cx[i];
                t1[i] = (float)ct[i];
                m1[i] = cm[i];
            }
        double *sw = px;
        px = cx;
        cx = sw;
        sw = pt;
        pt = ct;
        ct = sw;
        uint8_t *sm = pm;
        pm = cm;
        cm = sm;
    }
    /* px/pt/pm now hold level H */
    uint64_t *off = cs_xmalloc((n + 1) * sizeof *off);
    uint64_t ne = 0;
    for (size_t c = 0; c < n; c++)
        for (size_t k = 0; k < K; k++)
            if (pt[c * K + k] > 0) ne++;
    struct cs_risk_ixcat *cats = cs_xmalloc((ne ? ne : 1) * sizeof *cats);
    ne = 0;
    for (size_t c = 0; c < n; c++) {
        off[c] = ne;
        for (size_t k = 0; k < K; k++) {
            size_t i = c * K + k;
            if (!(pt[i] > 0)) continue;
            struct cs_risk_ixcat *q = &cats[ne++];
            memset(q, 0, sizeof *q);
            q->category = (uint8_t)k; /* remapped by the caller */
            q->hops_h = pm[i] == NOHOP ? 0 : pm[i];
            q->hops_h1 = m1[i] == NOHOP ? 0 : m1[i];
            q->direct = dir1[i];
            q->x_h = (float)px[i];
            q->t_h = (float)pt[i];
            q->x_h1 = x1[i];
            q->t_h1 = t1[i];
        }
    }
    off[n] = ne;
    ix->own_off[dir] = off;
    ix->own_w[dir] = W;
    ix->own_cats[dir] = cats;
    ix->d[dir].n_entries = ne;
    ix->d[dir].off = off;
    ix->d[dir].w = W;
    ix->d[dir].cats = cats;
    free(px);
    free(pt);
    free(cx);
    free(ct);
    free(pm);
    free(cm);
    free(dir1);
    free(x1);
    free(t1);
    free(m1);
}

int cs_risk_index_build(const struct cs_risk_events *ev, const uint32_t *node_ids, size_t n_nodes,
                        const int8_t *cat_of, const struct cs_risk_index_meta *meta,
                        struct cs_risk_index **out)
{
    if (meta->max_hops < 1 || meta->max_hops > CS_RISK_MAX_HOPS)
        return cs_error(CS_EUSAGE, "exposure index: max_hops %u out of 1..%d", meta->max_hops,
                        CS_RISK_MAX_HOPS);
    for (size_t i = 1; i < n_nodes; i++)
        if (node_ids[i] <= node_ids[i - 1]) BUG("exposure index: node ids not ascending");
    /* only the categories some node is attributed to can be reached */
    int used[CS_RISK_NCAT] = {0};
    for (size_t i = 0; i < n_nodes; i++)
        if (cat_of[i] >= 0) used[(int)cat_of[i]] = 1;
    int8_t k_of_cat[CS_RISK_NCAT];
    uint8_t cat_of_k[CS_RISK_NCAT];
    size_t K = 0;
    for (int c = 0; c < CS_RISK_NCAT; c++) {
        k_of_cat[c] = used[c] ? (int8_t)K : -1;
        if (used[c]) cat_of_k[K++] = (uint8_t)c;
    }
    int8_t *kat = cs_xmalloc(n_nodes ? n_nodes : 1);
    for (size_t i = 0; i < n_nodes; i++) kat[i] = cat_of[i] >= 0 ? k_of_cat[(int)cat_of[i]] : -1;
    struct cs_risk_index *ix = cs_xcalloc(1, sizeof *ix);
    ix->meta = *meta;
    ix->n = n_nodes;
    ix->own_ids = cs_xmalloc((n_nodes ? n_nodes : 1) * sizeof *ix->own_ids);
    if (n_nodes) memcpy(ix->own_ids, node_ids, n_nodes * sizeof *node_ids);
    ix->ids = ix->own_ids;
    for (int d = 0; d < 2; d++) {
        build_dir(ev, n_nodes, kat, K, meta->max_hops, meta->decay, d, ix);
        for (uint64_t i = 0; i < ix->d[d].n_entries; i++)
            ix->own_cats[d][i].category = cat_of_k[ix->own_cats[d][i].category];
    }
    free(kat);
    *out = ix;
    return 0;
}

/* ---- file ---- */

static const char MAGIC[8] = {'C', 'S', 'R', 'I', 'S', 'K', 'X', '1'};
#define IX_VERSION 1

/* the content goes through a 1 MiB staging chunk, hashed as it is flushed */
struct wbuf {
    struct cs_atomic_file *af;
    uint8_t *chunk;
    size_t fill;
    uint64_t *hashes;
    size_t n_hashes, cap_hashes;
    uint64_t pos;
    int rc;
};

static void wflush(struct wbuf *b)
{
    if (!b->fill) return;
    if (b->n_hashes == b->cap_hashes) {
        b->cap_hashes = b->cap_hashes ? b->cap_hashes * 2 : 64;
        b->hashes = cs_xrealloc(b->hashes, b->cap_hashes * sizeof *b->hashes);
    }
    b->hashes[b->n_hashes++] = chunk_hash(b->chunk, b->fill);
    if (!b->rc) b->rc = cs_atomic_write_all(b->af, b->chunk, b->fill);
    b->fill = 0;
}

static void wr(struct wbuf *b, const void *p, size_t n)
{
    const uint8_t *q = p;
    b->pos += n;
    while (n) {
        size_t k = IX_CHUNK - b->fill < n ? IX_CHUNK - b->fill : n;
        memcpy(b->chunk + b->fill, q, k);
        b->fill += k;
        q += k;
        n -= k;
        if (b->fill == IX_CHUNK) wflush(b);
    }
}

static void wr_pad(struct wbuf *b)
{
    static const uint8_t z[8];
    if (b->pos % 8) wr(b, z, 8 - b->pos % 8);
}

int cs_risk_index_save(const struct cs_risk_index *ix, const char *dir)
{
    if (mkdir(dir, 0755) && errno != EEXIST) return cs_error(CS_EIO, "%s: %s", dir, strerror(errno));
    struct cs_atomic_file af;
    int rc = cs_atomic_open(&af, dir, "exposure.idx");
    if (rc) return rc;
    struct wbuf b = {0};
    b.af = &af;
    b.chunk = cs_xmalloc(IX_CHUNK);
    uint32_t v = IX_VERSION, es = sizeof(struct cs_risk_ixcat);
    wr(&b, MAGIC, 8);
    wr(&b, &v, 4);
    wr(&b, &es, 4);
    wr(&b, &ix->meta.cluster_tx, 8);
    wr(&b, ix->meta.cluster_tip, 32);
    wr(&b, ix->meta.tags_sha, 32);
    wr(&b, &ix->meta.max_hops, 4);
    wr(&b, &ix->meta.attrib_mode, 4);
    wr(&b, &ix->meta.decay, 8);
    wr(&b, &ix->n, 8);
    wr(&b, ix->ids, ix->n * 4);
    wr_pad(&b);
    for (int d = 0; d < 2; d++) {
        wr(&b, &ix->d[d].n_entries, 8);
        wr(&b, ix->d[d].off, (ix->n + 1) * 8);
        wr(&b, ix->d[d].w, ix->n * 8);
        wr(&b, ix->d[d].cats, ix->d[d].n_entries * sizeof(struct cs_risk_ixcat));
        wr_pad(&b);
    }
    wflush(&b);
    uint64_t nh = b.n_hashes, th = chunk_hash((const uint8_t *)b.hashes, nh * 8);
    if (!b.rc && nh) b.rc = cs_atomic_write_all(&af, b.hashes, nh * 8);
    if (!b.rc) b.rc = cs_atomic_write_all(&af, &nh, 8);
    if (!b.rc) b.rc = cs_atomic_write_all(&af, &th, 8);
    free(b.chunk);
    free(b.hashes);
    if (b.rc) {
        cs_atomic_abort(&af);
        return b.rc;
    }
    return cs_atomic_commit(&af);
}

int cs_risk_index_open(const char *dir, struct cs_risk_index **out)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/exposure.idx", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return cs_error(CS_ENOTFOUND, "%s: no exposure index (run chainsleuth screen "
                                          "--build-index)", path);
        return cs_error(CS_EIO, "%s: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st)) {
        close(fd);
        return cs_error(CS_EIO, "%s: %s", path, strerror(errno));
    }
    size_t len = (size_t)st.st_size;
    if (len < 144) {
        close(fd);
        return cs_error(CS_ECORRUPT, "%s: byte 0: file too short (%zu bytes)", path, len);
    }
    void *map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return cs_error(CS_EIO, "%s: mmap: %s", path, strerror(errno));
    const uint8_t *p = map;
    struct cs_risk_index *ix = cs_xcalloc(1, sizeof *ix);
    ix->map = map;
    ix->map_len = len;
    uint64_t pos = 0, nch, th;
    memcpy(&nch, p + len - 16, 8);
    memcpy(&th, p + len - 8, 8);
    if (nch == 0 || nch > (len - 16) / 8 || len - 16 - nch * 8 < 144 ||
        (len - 16 - nch * 8 + IX_CHUNK - 1) / IX_CHUNK != nch ||
        chunk_hash(p + len - 16 - nch * 8, nch * 8) != th) {
        cs_risk_index_free(ix);
        return cs_error(CS_ECORRUPT, "%s: byte %zu: trailer does not match the file (damaged or "
                                     "cut short)", path, len - 16);
    }
    ix->chunk_hashes = (const uint64_t *)(p + len - 16 - nch * 8);
    ix->n_chunks = nch;
    ix->content_len = len - 16 - nch * 8;
    /* the first and last chunks, and two random ones */
    uint64_t pick[4] = {0, nch - 1, 0, 0};
    uint64_t rs = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)time(NULL);
    pick[2] = (rs >> 7) % nch;
    pick[3] = (rs >> 31) % nch;
    for (int i = 0; i < 4; i++)
        if (!ix_chunk_ok(ix, pick[i])) {
            cs_risk_index_free(ix);
            return cs_error(CS_ECORRUPT, "%s: byte %llu: chunk %llu fails its checksum", path,
                            (unsigned long long)(pick[i] * IX_CHUNK), (unsigned long long)pick[i]);
        }
    len = (size_t)ix->content_len + 8; /* the section checks below end at the content */
#define NEED(nbytes)                                                                               \
    do {                                                                                           \
        if ((nbytes) > len - 8 || pos > len - 8 - (nbytes)) {                                      \
            cs_risk_index_free(ix);                                                                \
            return cs_error(CS_ECORRUPT, "%s: byte %llu: truncated", path,                         \
                            (unsigned long long)pos);                                              \
        }                                                                                          \
    } while (0)
    uint32_t v, es;
    if (memcmp(p, MAGIC, 8)) {
        cs_risk_index_free(ix);
        return cs_error(CS_ECORRUPT, "%s: byte 0: not an exposure index", path);
    }
    memcpy(&v, p + 8, 4);
    memcpy(&es, p + 12, 4);
    if (v != IX_VERSION || es != sizeof(struct cs_risk_ixcat)) {
        cs_risk_index_free(ix);
        return cs_error(CS_ECORRUPT, "%s: byte 8: version %u entry size %u (want %u, %zu)", path,
                        v, es, IX_VERSION, sizeof(struct cs_risk_ixcat));
    }
    pos = 16;
    memcpy(&ix->meta.cluster_tx, p + pos, 8);
    memcpy(ix->meta.cluster_tip, p + pos + 8, 32);
    memcpy(ix->meta.tags_sha, p + pos + 40, 32);
    memcpy(&ix->meta.max_hops, p + pos + 72, 4);
    memcpy(&ix->meta.attrib_mode, p + pos + 76, 4);
    memcpy(&ix->meta.decay, p + pos + 80, 8);
    pos += 88;
    memcpy(&ix->n, p + pos, 8);
    pos += 8;
    if (ix->n > UINT32_MAX) {
        cs_risk_index_free(ix);
        return cs_error(CS_ECORRUPT, "%s: byte %llu: node count %llu", path,
                        (unsigned long long)(pos - 8), (unsigned long long)ix->n);
    }
    NEED(ix->n * 4);
    ix->ids = (const uint32_t *)(p + pos);
    pos += ix->n * 4;
    pos = (pos + 7) & ~(uint64_t)7;
    for (int d = 0; d < 2; d++) {
        NEED(8);
        memcpy(&ix->d[d].n_entries, p + pos, 8);
        pos += 8;
        NEED((ix->n + 1) * 8);
        ix->d[d].off = (const uint64_t *)(p + pos);
        pos += (ix->n + 1) * 8;
        NEED(ix->n * 8);
        ix->d[d].w = (const double *)(p + pos);
        pos += ix->n * 8;
        if (ix->d[d].n_entries > len / sizeof(struct cs_risk_ixcat)) NEED(len);
        NEED(ix->d[d].n_entries * sizeof(struct cs_risk_ixcat));
        ix->d[d].cats = (const struct cs_risk_ixcat *)(p + pos);
        uint64_t at = pos;
        pos += ix->d[d].n_entries * sizeof(struct cs_risk_ixcat);
        pos = (pos + 7) & ~(uint64_t)7;
        /* offsets must be monotone and end at n_entries: every later read is then in range */
        if (ix->d[d].off[0] != 0 || ix->d[d].off[ix->n] != ix->d[d].n_entries) {
            cs_risk_index_free(ix);
            return cs_error(CS_ECORRUPT, "%s: byte %llu: offsets do not cover the entries", path,
                            (unsigned long long)at);
        }
        for (uint64_t i = 0; i < ix->n; i++)
            if (ix->d[d].off[i] > ix->d[d].off[i + 1]) {
                cs_risk_index_free(ix);
                return cs_error(CS_ECORRUPT, "%s: offset %llu of direction %s decreases", path,
                                (unsigned long long)i, cs_risk_dir_name(d));
            }
    }
#undef NEED
    if (pos + 8 != len) {
        cs_risk_index_free(ix);
        return cs_error(CS_ECORRUPT, "%s: byte %llu: %llu bytes between the sections and the "
                        "trailer", path, (unsigned long long)pos, (unsigned long long)(len - 8 - pos));
    }
    for (uint64_t i = 1; i < ix->n; i++)
        if (ix->ids[i] <= ix->ids[i - 1]) {
            cs_risk_index_free(ix);
            return cs_error(CS_ECORRUPT, "%s: node ids not ascending at %llu", path,
                            (unsigned long long)i);
        }
    *out = ix;
    return 0;
}

/* ---- screening with the index ---- */

struct item {
    int32_t entity;
    int category;
    uint64_t via;
    unsigned hops;
    double share, decayed;
    uint64_t tx;
};

static int cmp_item(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->entity != y->entity) return x->entity < y->entity ? -1 : 1;
    if (x->category != y->category) return x->category - y->category;
    if (x->via != y->via) return x->via < y->via ? -1 : 1;
    return 0;
}

static void push_item(struct item **v, size_t *n, size_t *cap, struct item it)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = cs_xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[(*n)++] = it;
}

int cs_risk_screen_indexed(const struct cs_risk_index *ix, const struct cs_risk_graph *g,
                           const struct cs_risk_config *cfg, int dir, uint64_t node,
                           const struct cs_risk_flow *start, size_t n_start,
                           struct cs_risk_result *r)
{
    struct cs_risk_exposure *ex = &r->dir[dir];
    memset(ex, 0, sizeof *ex);
    r->dirs |= 1 << dir;
    r->from_index = 1;
    double lam = cfg->decay;
    struct cs_risk_flowbuf fb = {0};
    const struct cs_risk_flow *fl = start;
    size_t nf = n_start;
    double W = 0;
    int rc = 0;
    if (node != CS_RISK_ORIGIN) {
        const struct cs_risk_ixcat *cats;
        size_t nc;
        if (cs_risk_index_get(ix, node, dir, &W, &cats, &nc)) {
            ex->unknown = 1; /* a node the index has never seen: no flows when it was built */
        } else {
            double tot = 0;
            for (size_t i = 0; i < nc; i++) {
                struct cs_risk_cat *c = &ex->cat[cats[i].category];
                c->direct = cats[i].direct;
                c->indirect = cats[i].t_h - cats[i].direct;
                if (c->indirect < 0) c->indirect = 0;
                c->decayed = cats[i].x_h;
                c->min_hops = cats[i].hops_h;
                tot += cats[i].t_h;
            }
            ex->unknown = tot < 1 ? 1 - tot : 0;
        }
        int more = 0;
        rc = g->flows(g->ctx, node, dir, &fb, cfg->scan_budget, &more);
        if (rc) goto out;
        if (more) ex->truncated = 1;
        fl = fb.v;
        nf = fb.n;
        ex->flows_read = fb.n;
    } else {
        for (size_t i = 0; i < nf; i++) W += fl[i].amount;
    }
    if (!(W > 0)) {
        if (node == CS_RISK_ORIGIN) ex->unknown = 1;
        goto out;
    }
    struct item *items = NULL;
    size_t ni = 0, ci = 0;
    double known = 0;
    for (size_t i = 0; i < nf; i++) {
        double p = fl[i].amount / W;
        if (!(p > 0) || fl[i].node == CS_RISK_ORIGIN) continue;
        int cat = -1;
        int32_t ent = g->entity(g->ctx, fl[i].node, &cat);
        if (ent >= 0) {
            push_item(&items, &ni, &ci, (struct item){ent, cat, CS_RISK_ORIGIN, 1, p, p, fl[i].tx});
            if (node == CS_RISK_ORIGIN) {
                struct cs_risk_cat *c = &ex->cat[cat];
                c->direct += p;
                c->decayed += p;
                c->min_hops = 1;
                known += p;
            }
            continue;
        }
        double w;
        const struct cs_risk_ixcat *cats;
        size_t nc;
        if (cfg->max_hops < 2 || cs_risk_index_get(ix, fl[i].node, dir, &w, &cats, &nc)) continue;
        for (size_t k = 0; k < nc; k++) {
            if (!(cats[k].t_h1 > 0)) continue;
            double sh = p * cats[k].t_h1, dec = p * lam * cats[k].x_h1;
            unsigned hops = 1u + cats[k].hops_h1;
            push_item(&items, &ni, &ci,
                      (struct item){-1, cats[k].category, fl[i].node, hops, sh, dec, fl[i].tx});
            if (node == CS_RISK_ORIGIN) {
                struct cs_risk_cat *c = &ex->cat[cats[k].category];
                c->indirect += sh;
                c->decayed += dec;
                if (!c->min_hops || hops < c->min_hops) c->min_hops = hops;
                known += sh;
            }
        }
    }
    if (node == CS_RISK_ORIGIN) ex->unknown = known < 1 ? 1 - known : 0;
    if (ni) qsort(items, ni, sizeof *items, cmp_item);
    for (size_t i = 0; i < ni;) {
        size_t j = i;
        if (r->n_reasons == r->cap_reasons) {
            r->cap_reasons = r->cap_reasons ? r->cap_reasons * 2 : 16;
            r->reasons = cs_xrealloc(r->reasons, r->cap_reasons * sizeof *r->reasons);
        }
        struct cs_risk_reason *x = &r->reasons[r->n_reasons++];
        memset(x, 0, sizeof *x);
        x->entity = items[i].entity;
        x->category = items[i].category;
        x->via = items[i].via;
        x->dir = dir;
        x->path_mass = -1;
        for (; j < ni && !cmp_item(&items[i], &items[j]); j++) {
            x->share += items[j].share;
            x->decayed += items[j].decayed;
            if (!x->min_hops || items[j].hops < x->min_hops) x->min_hops = items[j].hops;
            int dup = 0;
            for (unsigned t = 0; t < x->n_txs; t++) dup |= x->txs[t] == items[j].tx;
            if (!dup && x->n_txs < CS_RISK_MAX_TXS) x->txs[x->n_txs++] = items[j].tx;
        }
        i = j;
    }
    free(items);
out:
    cs_risk_flowbuf_free(&fb);
    return rc;
}
