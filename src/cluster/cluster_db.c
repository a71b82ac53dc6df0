/* cluster_db.c — the reader side of cluster.h: a snapshot of cid.u32 and
 * evidence.col, member lists, --why paths, CSV export and entity summaries.
 *
 * Snapshot: the state is read and both files are opened and mmap'd while
 * holding PUBLISH.lock shared, so the writer cannot rename new files in
 * between.  The writer never modifies a published cid.u32 (it renames a new
 * one over it) and only appends to evidence.col past the committed rows, so
 * the mappings stay valid and consistent until close. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "cluster/unionfind.h"

struct cs_clusterdb {
    struct cs_cluster_state st;
    const uint32_t *cid; /* st.addr entries */
    size_t cid_len;
    const uint32_t *ev; /* 3 * st.evidence entries */
    size_t ev_len;
};

static int map_file(const char *dbdir, const char *chain, const char *name, size_t want,
                    const void **out, size_t *len)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s/cluster/%s", dbdir, chain, name);
    *out = NULL;
    *len = 0;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cs_error(errno == ENOENT ? CS_ECORRUPT : CS_EIO, "%s: open: %s", p, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb)) {
        close(fd);
        return cs_error(CS_EIO, "%s: fstat: %s", p, strerror(errno));
    }
    if ((uint64_t)sb.st_size < want) {
        close(fd);
        return cs_error(CS_ECORRUPT, "%s: %lld bytes, the cluster state needs %zu", p,
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

int cs_clusterdb_open(struct cs_clusterdb **out, const char *dbdir, const char *chain)
{
    char p[4200];
    *out = NULL;
    snprintf(p, sizeof p, "%s/%s/cluster/PUBLISH.lock", dbdir, chain);
    int lfd = open(p, O_RDONLY | O_CLOEXEC);
    if (lfd < 0) {
        if (errno == ENOENT)
            return cs_error(CS_ENOTFOUND, "%s: no clustering (run chainsleuth cluster first)",
                            dbdir);
        return cs_error(CS_EIO, "%s: open: %s", p, strerror(errno));
    }
    while (flock(lfd, LOCK_SH) && errno == EINTR) {
    }
    struct cs_clusterdb *c = cs_xcalloc(1, sizeof *c);
    int rc = cs_cluster_state_read(dbdir, chain, &c->st);
    if (rc) goto fail;
    if (c->st.publishing) {
        rc = cs_error(CS_ECORRUPT,
                      "%s: a cluster run died while publishing its result (run chainsleuth "
                      "cluster again)",
                      dbdir);
        goto fail;
    }
    const void *m;
    if ((rc = map_file(dbdir, chain, "cid.u32", (size_t)c->st.addr * 4, &m, &c->cid_len)))
        goto fail;
    c->cid = m;
    if ((rc = map_file(dbdir, chain, "evidence.col", (size_t)c->st.evidence * 12, &m, &c->ev_len)))
        goto fail;
    c->ev = m;
    flock(lfd, LOCK_UN);
    close(lfd);
    *out = c;
    return 0;
fail:
    flock(lfd, LOCK_UN);
    close(lfd);
    cs_clusterdb_close(c);
    return rc;
}

void cs_clusterdb_close(struct cs_clusterdb *c)
{
    if (!c) return;
    if (c->cid) munmap((void *)c->cid, c->cid_len);
    if (c->ev) munmap((void *)c->ev, c->ev_len);
    free(c);
}

const struct cs_cluster_state *cs_clusterdb_state(const struct cs_clusterdb *c)
{
    return &c->st;
}

int cs_clusterdb_check(const struct cs_clusterdb *c, const struct cs_store *s, uint64_t *behind)
{
    const struct cs_counts *k = cs_store_counts(s);
    *behind = 0;
    if (strcmp(c->st.network, cs_store_net(s)->name))
        return cs_error(CS_ECORRUPT, "the clustering is for network %s, the store holds %s",
                        c->st.network, cs_store_net(s)->name);
    if (c->st.blocks > k->blocks || c->st.addr > k->addr ||
        (c->st.blocks && memcmp(cs_store_block(s, c->st.blocks - 1)->hash, c->st.tip, 32)))
        return cs_error(CS_ECORRUPT,
                        "the store was rolled back below the clustered tip at height "
                        "%lld (reorg): run chainsleuth cluster",
                        (long long)c->st.blocks - 1);
    *behind = k->blocks - c->st.blocks;
    return 0;
}

uint32_t cs_clusterdb_cid(const struct cs_clusterdb *c, uint64_t addr)
{
    return addr < c->st.addr ? c->cid[addr] : CS_UF_NONE;
}

int cs_clusterdb_members(const struct cs_clusterdb *c, uint32_t cid, uint32_t **members, size_t *n)
{
    *members = NULL;
    *n = 0;
    if (cid == 0 || cid >= c->st.addr || c->cid[cid] != cid)
        return cs_error(CS_ENOTFOUND, "%u is not a cluster id", cid);
    size_t cap = 16, k = 0;
    uint32_t *m = cs_xmalloc(cap * sizeof *m);
    /* members are >= the cluster id (it is the smallest one) */
    for (uint64_t x = cid; x < c->st.addr; x++) {
        if (c->cid[x] != cid) continue;
        if (k == cap) m = cs_xrealloc(m, (cap *= 2) * sizeof *m);
        m[k++] = (uint32_t)x;
    }
    *members = m;
    *n = k;
    return 0;
}

/* ---- --why: BFS over the evidence edges of one cluster ---- */

struct wedge {
    uint32_t node, other, tx;
};

static int cmp_wedge(const void *a, const void *b)
{
    const struct wedge *x = a, *y = b;
    if (x->node != y->node) return x->node < y->node ? -1 : 1;
    return x->other < y->other ? -1 : x->other > y->other;
}

/* First index of node in the sorted half-edge array, or n. */
static size_t wfind(const struct wedge *w, size_t n, uint32_t node)
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

int cs_clusterdb_why(const struct cs_clusterdb *c, uint32_t a, uint32_t b,
                     struct cs_cluster_hop **hops, size_t *n)
{
    *hops = NULL;
    *n = 0;
    uint32_t ca = cs_clusterdb_cid(c, a), cb = cs_clusterdb_cid(c, b);
    if (ca == CS_UF_NONE || cb == CS_UF_NONE || ca != cb || a == 0)
        return cs_error(CS_ENOTFOUND, "addresses %u and %u are not in one cluster", a, b);
    if (a == b) return 0;
    /* half-edges of the cluster, both directions, sorted by node */
    size_t cap = 64, k = 0;
    struct wedge *w = cs_xmalloc(cap * sizeof *w);
    for (uint64_t i = 0; i < c->st.evidence; i++) {
        const uint32_t *r = c->ev + 3 * i;
        if (r[0] >= c->st.addr || r[1] >= c->st.addr) {
            free(w);
            return cs_error(CS_ECORRUPT, "evidence row %llu: address id out of range",
                            (unsigned long long)i);
        }
        if (c->cid[r[0]] != ca) continue;
        if (k + 2 > cap) w = cs_xrealloc(w, (cap *= 2) * sizeof *w);
        w[k++] = (struct wedge){r[0], r[1], r[2]};
        w[k++] = (struct wedge){r[1], r[0], r[2]};
    }
    qsort(w, k, sizeof *w, cmp_wedge);
    /* BFS from a; pred[i] = index of the half-edge that reached w[i].node's group */
    size_t *queue = cs_xmalloc((k + 1) * sizeof *queue);
    size_t *via = cs_xmalloc((k + 1) * sizeof *via); /* per group start: half-edge used */
    uint8_t *seen = cs_xcalloc(k + 1, 1);
    size_t qh = 0, qt = 0, ia = wfind(w, k, a), ib = wfind(w, k, b);
    int rc = 0;
    if (ia == k || ib == k) {
        rc = cs_error(CS_ECORRUPT, "the evidence does not connect %u and %u", a, b);
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
        rc = cs_error(CS_ECORRUPT, "the evidence does not connect %u and %u", a, b);
        goto done;
    }
    size_t len = 0;
    for (size_t g = ib; via[g] != SIZE_MAX; g = wfind(w, k, w[via[g]].node))
        len++;
    struct cs_cluster_hop *out = cs_xmalloc((len ? len : 1) * sizeof *out);
    size_t i = len;
    for (size_t g = ib; via[g] != SIZE_MAX; g = wfind(w, k, w[via[g]].node)) {
        const struct wedge *e = &w[via[g]];
        out[--i] = (struct cs_cluster_hop){e->node, e->other, e->tx};
    }
    *hops = out;
    *n = len;
done:
    free(queue);
    free(via);
    free(seen);
    free(w);
    return rc;
}

/* ---- export ---- */

int cs_clusterdb_export_csv(const struct cs_clusterdb *c, const struct cs_store *s, FILE *f)
{
    const struct cs_netparams *net = cs_store_net(s);
    char a[96];
    if (fputs("address,cluster\n", f) == EOF) return cs_error(CS_EIO, "export: write failed");
    for (uint64_t x = 1; x < c->st.addr; x++) {
        cs_addr_format(cs_store_addr(s, x), net, a);
        if (fprintf(f, "%s,%u\n", a, c->cid[x]) < 0)
            return cs_error(CS_EIO, "export: write failed at address %llu: %s",
                            (unsigned long long)x, strerror(errno));
    }
    if (fflush(f)) return cs_error(CS_EIO, "export: write failed: %s", strerror(errno));
    return 0;
}

/* ---- entities ---- */

static int cmp_member(const void *a, const void *b)
{
    const struct cs_entity_member *x = a, *y = b;
    if (x->received != y->received) return x->received > y->received ? -1 : 1;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int cs_entity_load(const struct cs_clusterdb *c, const struct cs_store *s, uint32_t cid,
                   size_t top_n, struct cs_entity *e)
{
    memset(e, 0, sizeof *e);
    e->first_height = e->last_height = -1;
    int rc = cs_clusterdb_members(c, cid, &e->members, &e->size);
    if (rc) return rc;
    e->cid = cid;
    struct cs_entity_member *all = cs_xmalloc(e->size * sizeof *all);
    const struct cs_counts *k = cs_store_counts(s);
    for (size_t i = 0; i < e->size; i++) {
        struct cs_entity_member *m = &all[i];
        m->addr = e->members[i];
        m->received = m->balance = 0;
        if (m->addr >= k->addr) continue;
        for (uint64_t o = cs_store_addr_head(s, m->addr); o != CS_NONE64;
             o = cs_store_out_next(s, o)) {
            uint64_t v = cs_store_out(s, o)->value, sp = cs_store_spent_by(s, o);
            int64_t h = cs_store_tx(s, cs_store_out_tx(s, o))->height;
            m->received += v;
            e->outputs++;
            if (sp == CS_NONE64) {
                m->balance += v;
                e->utxos++;
            } else {
                int64_t hs = cs_store_tx(s, sp)->height;
                if (hs > e->last_height) e->last_height = hs;
            }
            if (e->first_height < 0 || h < e->first_height) e->first_height = h;
            if (h > e->last_height) e->last_height = h;
        }
        e->received += m->received;
        e->balance += m->balance;
    }
    qsort(all, e->size, sizeof *all, cmp_member);
    e->n_top = top_n < e->size ? top_n : e->size;
    e->top = all;
    if (e->n_top < e->size) {
        e->top = cs_xrealloc(all, (e->n_top ? e->n_top : 1) * sizeof *all);
    }
    return 0;
}

void cs_entity_free(struct cs_entity *e)
{
    free(e->members);
    free(e->top);
    memset(e, 0, sizeof *e);
}
