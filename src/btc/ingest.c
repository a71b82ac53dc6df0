/* ingest.c — blk*.dat ingest: best chain by cumulative work, fork point with
 * the store, rollback when the files' best chain left ours, then append. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "btc/blkfile.h"
#include "btc/ingest.h"
#include "btc/store.h"
#include "util/codec.h"

void cs_ingest_opts_default(struct cs_ingest_opts *o)
{
    memset(o, 0, sizeof *o);
    o->db = "chainsleuth.db";
    o->commit_seconds = 2.0;
    o->max_reorg = 100;
    o->stop_height = -1;
    o->poll_seconds = 5.0;
    o->rpc_timeout_ms = 60000;
    o->rpc_window = 16;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Shared by blk and RPC ingest: applies one raw block, commits on cadence. */
struct applier {
    struct cs_store *s;
    const struct cs_ingest_opts *o;
    struct cs_ingest_stats *st;
    struct cs_block_arena arena;
    double t0, last_commit, last_progress;
    unsigned since_commit;
    uint64_t total_blocks; /* for progress; 0 if unknown */
};

static int apply_raw(struct applier *ap, const uint8_t *raw, size_t len, const char *label,
                     uint64_t off)
{
    struct cs_block b;
    int rc = cs_block_parse(&b, &ap->arena, raw, len, label, off, CS_PARSE_NO_WTXID);
    if (rc) return rc;
    if (!cs_check_pow(b.hash, b.hdr.bits)) {
        char h[65];
        cs_hex_rev(h, b.hash);
        return cs_error(CS_ECONSENSUS, "%s: byte %llu: block %s: hash above its target (bits %08x)",
                        label, (unsigned long long)off, h, b.hdr.bits);
    }
    if ((rc = cs_store_append_block(ap->s, &b)))
        return cs_error_prefix(rc, "%s: byte %llu: ", label, (unsigned long long)off);
    ap->st->blocks++;
    ap->st->txs += b.n_tx;
    ap->st->bytes += len;
    ap->since_commit++;
    double t = now();
    if ((ap->o->commit_blocks && ap->since_commit >= ap->o->commit_blocks) ||
        t - ap->last_commit >= ap->o->commit_seconds) {
        if ((rc = cs_store_commit(ap->s))) return rc;
        ap->since_commit = 0;
        ap->last_commit = t;
    }
    if (ap->o->progress && t - ap->last_progress >= 1.0) {
        double el = t - ap->t0;
        fprintf(stderr, "ingest: height %lld", (long long)cs_store_height(ap->s));
        if (ap->total_blocks)
            fprintf(stderr, " (%llu/%llu blocks)", (unsigned long long)ap->st->blocks,
                    (unsigned long long)ap->total_blocks);
        fprintf(stderr, ", %llu tx, %.1f MB/s, %.0f tx/s\n", (unsigned long long)ap->st->txs,
                ap->st->bytes / 1e6 / el, ap->st->txs / el);
        ap->last_progress = t;
    }
    return 0;
}

static void applier_init(struct applier *ap, struct cs_store *s, const struct cs_ingest_opts *o,
                         struct cs_ingest_stats *st)
{
    memset(ap, 0, sizeof *ap);
    ap->s = s;
    ap->o = o;
    ap->st = st;
    ap->t0 = ap->last_commit = ap->last_progress = now();
}

static int applier_finish(struct applier *ap, int rc)
{
    /* a failed block has already been undone (appends are atomic): commit the
     * good blocks before it, keeping the error message */
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", cs_errmsg());
    int c = cs_store_commit(ap->s);
    if (c && (!rc || rc == CS_EINTERRUPTED))
        rc = c;
    else if (rc)
        cs_error(rc, "%s", msg);
    cs_block_arena_free(&ap->arena);
    ap->st->seconds = now() - ap->t0;
    ap->st->height_after = cs_store_height(ap->s);
    return rc;
}

/* Resolves heights and cumulative work of every entry, rooted either at a
 * genesis (prev = 0) or at a block the store already has. */
static void resolve(struct cs_blkdir *d, struct cs_store *s)
{
    int32_t *stack = cs_xmalloc(d->n_ent * sizeof *stack);
    for (size_t i = 0; i < d->n_ent; i++) {
        size_t sp = 0;
        int32_t e = (int32_t)i;
        while (e >= 0 && d->ent[e].height == -1) {
            d->ent[e].height = -3; /* on stack: guards against cycles */
            stack[sp++] = e;
            e = d->ent[e].parent;
        }
        int64_t h;
        uint64_t w[4] = {0};
        if (e >= 0) {
            h = d->ent[e].height; /* resolved, or -2 (orphan) or -3 (cycle) */
            if (h >= 0) memcpy(w, d->ent[e].work, 32);
        } else {
            struct cs_blkent *top = &d->ent[stack[sp - 1]];
            uint64_t sh;
            if (!memcmp(top->prev, (uint8_t[32]){0}, 32)) {
                h = -1;
            } else if (cs_store_find_block(s, top->prev, &sh) == 0) {
                h = (int64_t)sh;
                memcpy(w, cs_store_block(s, sh)->work, 32);
            } else {
                h = -2;
            }
        }
        while (sp) {
            struct cs_blkent *x = &d->ent[stack[--sp]];
            if (h == -2 || h == -3) {
                x->height = -2;
                continue;
            }
            h++;
            x->height = h;
            uint64_t bw[4];
            cs_work_from_bits(x->bits, bw);
            cs_work_add(w, bw);
            memcpy(x->work, w, 32);
        }
    }
    free(stack);
}

int cs_ingest_blkdir(const char *blocks_dir, const struct cs_ingest_opts *o,
                     struct cs_ingest_stats *st)
{
    struct cs_blkdir d;
    struct cs_store *s = NULL;
    int rc;
    memset(st, 0, sizeof *st);
    double t0 = now();
    if ((rc = cs_blkdir_scan(&d, blocks_dir))) {
        cs_blkdir_free(&d);
        return rc;
    }
    if (o->progress)
        fprintf(stderr,
                "ingest: %zu blocks (%.1f MB) in %zu files of %s, network %s, scanned in %.2f s\n",
                d.n_ent, d.bytes / 1e6, d.n_files, blocks_dir, d.net->name, now() - t0);
    if ((rc = cs_store_open(&s, o->db, "btc", CS_STORE_WRITE, d.net))) {
        cs_blkdir_free(&d);
        return rc;
    }
    st->height_before = cs_store_height(s);
    resolve(&d, s);
    /* best tip: most work; first seen wins ties */
    int32_t best = -1;
    for (size_t i = 0; i < d.n_ent; i++) {
        if (d.ent[i].height < 0) continue;
        if (o->stop_height >= 0 && d.ent[i].height > o->stop_height) continue;
        if (best < 0 || cs_work_cmp(d.ent[i].work, d.ent[best].work) > 0) best = (int32_t)i;
    }
    int64_t tip = cs_store_height(s);
    if (best < 0) {
        rc = tip >= 0
                 ? 0
                 : cs_error(CS_ENOTFOUND,
                            "%s: no block connects to a genesis block or to the store", blocks_dir);
        cs_store_close(s);
        cs_blkdir_free(&d);
        return rc;
    }
    if (tip >= 0 && cs_work_cmp(d.ent[best].work, cs_store_block(s, (uint64_t)tip)->work) <= 0) {
        /* nothing with more work than what we have */
        st->height_after = tip;
        st->seconds = now() - t0;
        cs_store_close(s);
        cs_blkdir_free(&d);
        return 0;
    }
    /* path from best back to the fork with the store */
    size_t np = 0, capp = 1024;
    int32_t *path = cs_xmalloc(capp * sizeof *path);
    int32_t e = best;
    int64_t fork = -1;
    while (e >= 0) {
        int64_t h = d.ent[e].height;
        if (h <= tip && !memcmp(cs_store_block(s, (uint64_t)h)->hash, d.ent[e].hash, 32)) {
            fork = h;
            break;
        }
        if (np == capp) path = cs_xrealloc(path, (capp *= 2) * sizeof *path);
        path[np++] = e;
        e = d.ent[e].parent;
    }
    if (e < 0 && np) {
        /* the path's root: genesis (fork -1) or a store block */
        int64_t h0 = d.ent[path[np - 1]].height;
        fork = h0 - 1;
    }
    if (fork < tip) {
        uint64_t depth = (uint64_t)(tip - fork);
        if (depth > o->max_reorg) {
            rc = cs_error(CS_ECONSENSUS,
                          "the best chain in %s forks %llu blocks below our tip (height %lld); "
                          "refusing to roll back more than %u (--max-reorg)",
                          blocks_dir, (unsigned long long)depth, (long long)tip, o->max_reorg);
            goto out;
        }
        if (o->progress)
            fprintf(stderr, "ingest: reorg: rolling back %llu blocks to height %lld\n",
                    (unsigned long long)depth, (long long)fork);
        if ((rc = cs_store_truncate(s, fork))) goto out;
        st->rolled_back = depth;
    }
    /* index sizes from the bytes to come: real chains run 250-600 bytes a
     * transaction and 150-600 bytes per new address; a rebuild costs more
     * than a somewhat larger table */
    uint64_t path_bytes = 0;
    for (size_t i = 0; i < np; i++)
        path_bytes += d.ent[path[i]].size;
    if ((rc = cs_store_reserve(s, path_bytes / 400, path_bytes / 200))) goto out;
    struct applier ap;
    applier_init(&ap, s, o, st);
    ap.total_blocks = np;
    uint8_t *buf = NULL;
    size_t bcap = 0;
    rc = 0;
    for (size_t i = np; i-- > 0;) {
        if (o->stop && *o->stop) {
            rc = CS_EINTERRUPTED;
            break;
        }
        size_t ei = (size_t)path[i];
        if ((rc = cs_blkdir_read(&d, ei, &buf, &bcap))) break;
        if ((rc = apply_raw(&ap, buf, d.ent[ei].size, d.files[d.ent[ei].file], d.ent[ei].off)))
            break;
    }
    free(buf);
    rc = applier_finish(&ap, rc);
out:
    free(path);
    if (!st->height_after) st->height_after = cs_store_height(s);
    cs_store_close(s);
    cs_blkdir_free(&d);
    return rc;
}
