/* ingest_rpc.c — blocks from a Bitcoin Core-compatible node by JSON-RPC
 * (getblockchaininfo, getblockcount, getblockhash, getblock HASH 0).
 *
 * Each round finds the highest height where the node's block hash equals
 * ours (the fork point), rolls the store back to it if the node's chain no
 * longer contains our tip (at most --max-reorg blocks), then appends the
 * node's blocks above it.  A node that reorganises while we fetch shows up as
 * a block that does not extend our tip; the round then starts over.  So the
 * result equals a fresh ingest of the node's chain.
 *
 * Latency: blocks come in groups of --rpc-window heights.  For a group, the
 * getblockhash calls run with up to W in flight, then the getblock calls for
 * those hashes, and the blocks are applied in height order with the same
 * checks as one at a time (hash asked for, PoW, extends our tip).  A remote
 * node's round trip is paid about twice per group instead of twice per block.
 * Memory: up to W parsed getblock replies (hex, twice the block size). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "btc/block.h"
#include "btc/ingest.h"
#include "btc/store.h"
#include "util/codec.h"
#include "util/http.h"
#include "util/json.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct rpc {
    struct cs_rpc_client c;
    struct cs_json_doc doc;
    const struct cs_json *res;
    /* the current group of heights: their hashes and getblock replies */
    unsigned n;
    uint8_t (*hashes)[32];
    struct cs_json_doc *docs;
    const struct cs_json **results;
};

static int call(struct rpc *r, const char *method, const char *params)
{
    cs_json_doc_free(&r->doc);
    r->res = NULL;
    int rc = cs_jsonrpc_call(&r->c, method, params, &r->doc, &r->res);
    if (rc) return cs_error_prefix(rc, "rpc ");
    return 0;
}

static int call_u64(struct rpc *r, const char *method, const char *params, uint64_t *out)
{
    int rc = call(r, method, params);
    if (rc) return rc;
    if (cs_json_get_u64(r->res, out))
        return cs_error(CS_ERPC, "rpc %s: result is not a non-negative integer", method);
    return 0;
}

/* Block hash at height h (internal byte order). */
static int node_hash(struct rpc *r, uint64_t h, uint8_t out[32])
{
    char params[32];
    snprintf(params, sizeof params, "[%llu]", (unsigned long long)h);
    int rc = call(r, "getblockhash", params);
    if (rc) return rc;
    const char *s;
    size_t len;
    if (cs_json_get_str(r->res, &s, &len) || len != 64 || cs_unhex_rev32(out, s))
        return cs_error(CS_ERPC, "rpc getblockhash %llu: result is not a 64-digit hex hash",
                        (unsigned long long)h);
    return 0;
}

static void group_free(struct rpc *r)
{
    for (unsigned i = 0; i < r->n; i++)
        cs_json_doc_free(&r->docs[i]);
    r->n = 0;
}

/* getblockhash for heights base..base+k-1, then getblock HASH 0 for each,
 * up to window calls in flight.  On 0, r->hashes[i] and r->results[i] hold
 * height base+i's hash and raw-block hex reply. */
static int fetch_group(struct rpc *r, uint64_t base, unsigned k, unsigned window)
{
    const char *methods[CS_RPC_WINDOW_MAX];
    char params[CS_RPC_WINDOW_MAX][96];
    const char *pp[CS_RPC_WINDOW_MAX];
    if (!r->docs) {
        r->hashes = cs_xcalloc(CS_RPC_WINDOW_MAX, sizeof *r->hashes);
        r->docs = cs_xcalloc(CS_RPC_WINDOW_MAX, sizeof *r->docs);
        r->results = cs_xcalloc(CS_RPC_WINDOW_MAX, sizeof *r->results);
    }
    group_free(r);
    for (unsigned i = 0; i < k; i++) {
        methods[i] = "getblockhash";
        snprintf(params[i], sizeof params[i], "[%llu]", (unsigned long long)(base + i));
        pp[i] = params[i];
    }
    int rc = cs_jsonrpc_calls(&r->c, k, methods, pp, r->docs, r->results, window);
    if (rc) return cs_error_prefix(rc, "rpc ");
    r->n = k;
    for (unsigned i = 0; i < k && !rc; i++) {
        const char *s;
        size_t len;
        if (cs_json_get_str(r->results[i], &s, &len) || len != 64 ||
            cs_unhex_rev32(r->hashes[i], s))
            rc = cs_error(CS_ERPC, "rpc getblockhash %llu: result is not a 64-digit hex hash",
                          (unsigned long long)(base + i));
    }
    group_free(r);
    if (rc) return rc;
    for (unsigned i = 0; i < k; i++) {
        char hex[65];
        cs_hex_rev(hex, r->hashes[i]);
        methods[i] = "getblock";
        snprintf(params[i], sizeof params[i], "[\"%s\",0]", hex);
    }
    rc = cs_jsonrpc_calls(&r->c, k, methods, pp, r->docs, r->results, window);
    if (rc) return cs_error_prefix(rc, "rpc ");
    r->n = k;
    return 0;
}

/* Raw bytes of the group's block i into *buf (grown as needed). */
static int group_block(struct rpc *r, unsigned i, uint8_t **buf, size_t *cap, size_t *len)
{
    char hex[65];
    cs_hex_rev(hex, r->hashes[i]);
    const char *s;
    size_t sl;
    if (cs_json_get_str(r->results[i], &s, &sl) || sl % 2 || sl < 162)
        return cs_error(CS_ERPC, "rpc getblock %s: result is not the block's hex", hex);
    if (*cap < sl / 2) {
        free(*buf);
        *buf = cs_xmalloc(sl / 2);
        *cap = sl / 2;
    }
    if (cs_unhex(*buf, sl / 2, s, sl))
        return cs_error(CS_ERPC, "rpc getblock %s: invalid hex", hex);
    *len = sl / 2;
    return 0;
}

static const struct cs_netparams *net_of_chain(const char *chain)
{
    if (!strcmp(chain, "main")) return cs_net_by_name("main");
    if (!strcmp(chain, "test") || !strcmp(chain, "testnet") || !strcmp(chain, "testnet3"))
        return cs_net_by_name("testnet3");
    if (!strcmp(chain, "testnet4")) return cs_net_by_name("testnet4");
    if (!strcmp(chain, "signet")) return cs_net_by_name("signet");
    if (!strcmp(chain, "regtest")) return cs_net_by_name("regtest");
    return NULL;
}

static int sleep_interruptible(double secs, volatile sig_atomic_t *stop)
{
    double end = now() + secs;
    while (now() < end) {
        if (stop && *stop) return 1;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return stop && *stop;
}

int cs_ingest_rpc(const struct cs_ingest_opts *o, struct cs_ingest_stats *st)
{
    struct rpc r;
    int rc;
    memset(&r, 0, sizeof r);
    memset(st, 0, sizeof *st);
    double t0 = now(), last_commit = t0, last_progress = t0;
    if (o->rpc_cookie)
        rc = cs_rpc_client_init_cookie(&r.c, o->rpc_url, o->rpc_cookie);
    else
        rc = cs_rpc_client_init(&r.c, o->rpc_url, o->rpc_user, o->rpc_password);
    if (rc) {
        cs_rpc_client_close(&r.c);
        return rc;
    }
    if (o->rpc_timeout_ms) r.c.timeout_ms = (int)o->rpc_timeout_ms;
    if (o->rpc_cacert) cs_rpc_client_set_cacert(&r.c, o->rpc_cacert);
    if (o->rpc_window > CS_RPC_WINDOW_MAX) {
        cs_rpc_client_close(&r.c);
        return cs_error(CS_EUSAGE, "rpc window %u above %d", o->rpc_window, CS_RPC_WINDOW_MAX);
    }
    const struct cs_netparams *net = NULL;
    if (o->network) {
        net = cs_net_by_name(o->network);
        if (!net) {
            cs_rpc_client_close(&r.c);
            return cs_error(CS_EUSAGE, "unknown network '%s'", o->network);
        }
    } else {
        if ((rc = call(&r, "getblockchaininfo", NULL))) goto out_client;
        const char *chain;
        size_t cl;
        if (cs_json_obj_str(r.res, "chain", &chain, &cl) || !(net = net_of_chain(chain))) {
            rc = cs_error(CS_ERPC,
                          "rpc getblockchaininfo: no known \"chain\" in the reply (use --network)");
            goto out_client;
        }
    }
    struct cs_store *s;
    if ((rc = cs_store_open(&s, o->db, "btc", CS_STORE_WRITE, net))) goto out_client;
    st->height_before = cs_store_height(s);
    struct cs_block_arena arena = {0};
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0;
    unsigned since_commit = 0;
    for (;;) {
        uint64_t count;
        if ((rc = call_u64(&r, "getblockcount", NULL, &count))) break;
        int64_t top = (int64_t)count;
        if (o->stop_height >= 0 && top > o->stop_height) top = o->stop_height;
        /* fork point: highest height where the node and we agree */
        int64_t h = cs_store_height(s);
        if (h > top) h = top;
        uint8_t nh[32];
        while (h >= 0) {
            if ((rc = node_hash(&r, (uint64_t)h, nh))) break;
            if (!memcmp(nh, cs_store_block(s, (uint64_t)h)->hash, 32)) break;
            h--;
        }
        if (rc) break;
        int64_t tip = cs_store_height(s);
        if (h < tip) {
            uint64_t depth = (uint64_t)(tip - h);
            if (depth > o->max_reorg) {
                rc = cs_error(CS_ECONSENSUS,
                              "the node's chain forks %llu blocks below our tip (height %lld); "
                              "refusing to roll back more than %u (--max-reorg)",
                              (unsigned long long)depth, (long long)tip, o->max_reorg);
                break;
            }
            if (o->progress)
                fprintf(stderr, "ingest: reorg: rolling back %llu blocks to height %lld\n",
                        (unsigned long long)depth, (long long)h);
            if ((rc = cs_store_truncate(s, h))) break;
            st->rolled_back += depth;
        }
        int restart = 0;
        unsigned W = o->rpc_window ? o->rpc_window : 16;
        for (int64_t base = h + 1; base <= top && !restart && !rc;) {
            unsigned k = (unsigned)(top - base + 1 < (int64_t)W ? top - base + 1 : W);
            if ((rc = fetch_group(&r, (uint64_t)base, k, W))) break;
            for (unsigned i = 0; i < k; i++) {
                int64_t height = base + (int64_t)i;
                if (o->stop && *o->stop) {
                    rc = CS_EINTERRUPTED;
                    break;
                }
                const uint8_t *bh = r.hashes[i];
                if ((rc = group_block(&r, i, &buf, &cap, &len))) break;
                char label[96], hx[65];
                cs_hex_rev(hx, bh);
                snprintf(label, sizeof label, "rpc getblock %s", hx);
                struct cs_block b;
                if ((rc = cs_block_parse(&b, &arena, buf, len, label, 0, CS_PARSE_NO_WTXID))) break;
                if (memcmp(b.hash, bh, 32)) {
                    rc = cs_error(CS_ERPC,
                                  "%s: the node sent a block whose hash is not the one asked for",
                                  label);
                    break;
                }
                if (!cs_check_pow(b.hash, b.hdr.bits)) {
                    rc = cs_error(CS_ECONSENSUS, "%s: hash above its target", label);
                    break;
                }
                rc = cs_store_append_block(s, &b);
                if (rc == CS_ECONSENSUS && height > 0 &&
                    memcmp(b.hdr.prev, cs_store_block(s, (uint64_t)height - 1)->hash, 32)) {
                    /* the node reorganised while we were fetching: start the round over */
                    rc = 0;
                    restart = 1;
                    break;
                }
                if (rc) {
                    cs_error_prefix(rc, "%s: ", label);
                    break;
                }
                st->blocks++;
                st->txs += b.n_tx;
                st->bytes += len;
                since_commit++;
                double t = now();
                if ((o->commit_blocks && since_commit >= o->commit_blocks) ||
                    t - last_commit >= o->commit_seconds) {
                    if ((rc = cs_store_commit(s))) break;
                    since_commit = 0;
                    last_commit = t;
                }
                if (o->progress && t - last_progress >= 1.0) {
                    fprintf(stderr, "ingest: height %lld of %lld, %llu tx, %.1f MB/s\n",
                            (long long)height, (long long)top, (unsigned long long)st->txs,
                            st->bytes / 1e6 / (t - t0));
                    last_progress = t;
                }
            }
            group_free(&r);
            base += k;
        }
        if (rc) break;
        if (restart) continue;
        int c2 = cs_store_commit(s);
        if (c2) {
            rc = c2;
            break;
        }
        since_commit = 0;
        if (!o->follow) break;
        if (sleep_interruptible(o->poll_seconds, o->stop)) {
            rc = CS_EINTERRUPTED;
            break;
        }
    }
    {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", cs_errmsg());
        int c2 = cs_store_commit(s); /* good blocks before an error are kept */
        if (c2 && (!rc || rc == CS_EINTERRUPTED))
            rc = c2;
        else if (rc && rc != CS_EINTERRUPTED)
            cs_error(rc, "%s", msg);
    }
    st->height_after = cs_store_height(s);
    st->seconds = now() - t0;
    free(buf);
    cs_block_arena_free(&arena);
    cs_store_close(s);
out_client:
    group_free(&r);
    free(r.hashes);
    free(r.docs);
    free(r.results);
    cs_json_doc_free(&r.doc);
    cs_rpc_client_close(&r.c);
    return rc;
}
