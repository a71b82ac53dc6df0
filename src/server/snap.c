/* snap.c — per-thread store snapshots for the server.
 *
 * Each serving thread keeps its own snapshot (the store adapter of
 * risk/risk.h keeps scratch state, so one per thread is the simple way to
 * share nothing).  Before a request the thread stats five files (MANIFEST,
 * the tag table and its validity, the clustering's state, the exposure
 * index): five stat() calls, a few microseconds.  When one changed, it opens
 * a whole new snapshot and drops the old one; a request is answered from
 * one snapshot only.
 *
 * Cost of a refresh: the store open (no sampled check), the risk graph's
 * member lists (O(addresses)), the tag attribution and mapping the index:
 * milliseconds on generated stores, seconds on mainnet, paid once per commit
 * per thread by the first request after it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "chain/chain.h"
#include "tags/tags.h"
#include "server/server_int.h"
#include "trace/trace.h"

static void key_read(const struct srv *sv, struct snap_key *k)
{
    static const char *const files[SNAP_NFILES] = {"btc/MANIFEST", "tags/tags.tsv",
                                                   "tags/validity.tsv", "btc/cluster/CLUSTER_STATE",
                                                   "btc/risk/exposure.idx"};
    memset(k, 0, sizeof *k);
    for (int i = 0; i < SNAP_NFILES; i++) {
        char p[4200];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", sv->o.dbdir, files[i]);
        if (stat(p, &st)) continue;
        k->f[i].exists = 1;
        k->f[i].dev = st.st_dev;
        k->f[i].ino = st.st_ino;
        k->f[i].size = st.st_size;
        k->f[i].mtime_s = (long)st.st_mtim.tv_sec;
        k->f[i].mtime_ns = st.st_mtim.tv_nsec;
    }
}

static int key_eq(const struct snap_key *a, const struct snap_key *b)
{
    for (int i = 0; i < SNAP_NFILES; i++) {
        if (a->f[i].exists != b->f[i].exists) return 0;
        if (!a->f[i].exists) continue;
        if (a->f[i].dev != b->f[i].dev || a->f[i].ino != b->f[i].ino ||
            a->f[i].size != b->f[i].size || a->f[i].mtime_s != b->f[i].mtime_s ||
            a->f[i].mtime_ns != b->f[i].mtime_ns)
            return 0;
    }
    return 1;
}

void cs_srv_snap_free(struct snap *sn)
{
    if (!sn) return;
    cs_risk_index_free(sn->ix);
    cs_risk_store_close(sn->rs);
    cs_attrib_free(sn->at);
    cs_tagdb_close(sn->tags);
    if (sn->cdb) cs_clusterdb_close(sn->cdb);
    cs_store_close(sn->s);
    free(sn);
}

int cs_srv_snap_open(struct srv *sv, int flags, struct snap **out)
{
    *out = NULL;
    struct snap *sn = calloc(1, sizeof *sn);
    if (!sn) return cs_error(CS_ENOMEM, "out of memory");
    /* the key first: a commit between it and the open makes the next request
     * refresh once more, never miss one */
    key_read(sv, &sn->key);
    int rc = cs_store_open(&sn->s, sv->o.dbdir, cs_chain_default()->name, CS_STORE_READ | flags, NULL);
    if (rc) {
        free(sn);
        return rc;
    }
    if ((rc = cs_risk_store_open(&sn->rs, sn->s, sv->o.dbdir, &sv->cfg, -1, sn->risk_note,
                                 sizeof sn->risk_note)))
        goto fail;
    struct cs_trace_opts to;
    cs_trace_opts_default(&to);
    char note[256];
    if ((rc = cs_attrib_open(&sn->at, sn->s, sv->o.dbdir, 1, to.stop_mask, note, sizeof note)))
        goto fail;
    uint64_t behind;
    if (cs_clusterdb_open(&sn->cdb, sv->o.dbdir, cs_store_chain(sn->s)) == 0 &&
        cs_clusterdb_check(sn->cdb, sn->s, &behind) != 0) {
        cs_clusterdb_close(sn->cdb);
        sn->cdb = NULL;
    }
    if (cs_tagdb_open(sv->o.dbdir, 0, &sn->tags)) sn->tags = NULL; /* none: no tags */
    cs_error_clear();
    /* the exposure index, used only while it matches (as `screen` does) */
    char dirp[4200];
    snprintf(dirp, sizeof dirp, "%s/btc/risk", sv->o.dbdir);
    rc = cs_risk_index_open(dirp, &sn->ix);
    if (rc == CS_ENOTFOUND) {
        snprintf(sn->index_state, sizeof sn->index_state, "absent");
    } else if (rc) {
        snprintf(sn->index_state, sizeof sn->index_state, "unreadable");
        snprintf(sn->index_why, sizeof sn->index_why, "%s", cs_errmsg());
        sn->ix = NULL;
    } else {
        struct cs_risk_index_meta want;
        cs_risk_store_meta(sn->rs, &sv->cfg, &want);
        const char *why;
        if (cs_risk_index_meta_match(cs_risk_index_meta(sn->ix), &want, &why)) {
            snprintf(sn->index_state, sizeof sn->index_state, "used");
        } else {
            snprintf(sn->index_state, sizeof sn->index_state, "stale");
            snprintf(sn->index_why, sizeof sn->index_why, "%s", why);
            cs_risk_index_free(sn->ix);
            sn->ix = NULL;
        }
    }
    rc = 0;
    cs_error_clear();
    sn->sc.s = sn->s;
    sn->sc.chain = cs_chain_find(cs_store_chain(sn->s));
    sn->sc.rs = sn->rs;
    sn->sc.g = cs_risk_store_graph(sn->rs);
    sn->sc.ix = sn->ix;
    sn->sc.cfg = sv->cfg;
    sn->sc.dirs = 3;
    sn->sc.explain = 0;
    sn->sc.limit = 10; /* screen's default --limit */
    sn->generation = atomic_fetch_add(&sv->generations, 1) + 1;
    sn->opened = (int64_t)time(NULL);
    *out = sn;
    return 0;
fail:
    cs_srv_snap_free(sn);
    return rc;
}

static _Thread_local struct snap_slot *tls_slot;
static _Thread_local const struct srv *tls_owner;

int cs_srv_snap_get(struct srv *sv, struct snap **out)
{
    if (!tls_slot || tls_owner != sv) {
        struct snap_slot *sl = calloc(1, sizeof *sl);
        if (!sl) return cs_error(CS_ENOMEM, "out of memory");
        pthread_mutex_lock(&sv->mu);
        sl->next = sv->slots;
        sv->slots = sl;
        pthread_mutex_unlock(&sv->mu);
        tls_slot = sl;
        tls_owner = sv;
    }
    struct snap *cur = tls_slot->cur;
    if (cur && cs_store_status(cur->s) == 0) {
        struct snap_key k;
        key_read(sv, &k);
        if (key_eq(&k, &cur->key)) {
            *out = cur;
            return 0;
        }
    }
    struct snap *sn;
    int rc = cs_srv_snap_open(sv, cur ? CS_STORE_NOCHECK : 0, &sn);
    if (rc) {
        /* keep answering from the old snapshot, unless it is damaged */
        if (cur && cs_store_status(cur->s) == 0) {
            *out = cur;
            return 0;
        }
        return rc;
    }
    cs_srv_snap_free(cur);
    tls_slot->cur = sn;
    *out = sn;
    return 0;
}

void cs_srv_snap_free_all(struct srv *sv)
{
    pthread_mutex_lock(&sv->mu);
    for (struct snap_slot *sl = sv->slots, *nx; sl; sl = nx) {
        nx = sl->next;
        cs_srv_snap_free(sl->cur);
        free(sl);
    }
    sv->slots = NULL;
    pthread_mutex_unlock(&sv->mu);
}
