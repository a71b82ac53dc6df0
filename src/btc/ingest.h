/* ingest.h — bringing blocks into the store: from a blk*.dat directory or a
 * node's JSON-RPC, choosing the best chain, rolling back reorgs, committing as
 * it goes.  Memory: the header index of the blk files (about 100 bytes a
 * block) plus one block; nothing grows with the number of transactions except
 * the store's own mmap'd indexes. */
#ifndef CS_BTC_INGEST_H
#define CS_BTC_INGEST_H

#include <signal.h>
#include <stdint.h>

#include "util/error.h"

struct cs_ingest_opts {
    const char *db;
    unsigned commit_blocks;      /* commit after this many blocks (0: by time only) */
    double commit_seconds;       /* commit at least this often (default 2 s) */
    int progress;                /* progress lines on stderr */
    unsigned max_reorg;          /* deepest rollback allowed (default 100) */
    int64_t stop_height;         /* ingest no block above this height (-1: no limit) */
    volatile sig_atomic_t *stop; /* set by a signal handler: commit and return */
    /* RPC */
    const char *rpc_url, *rpc_user, *rpc_password, *rpc_cookie;
    const char *network; /* RPC: network name; NULL asks getblockchaininfo */
    int follow;          /* keep polling the node */
    double poll_seconds;
    unsigned rpc_timeout_ms; /* per RPC attempt (default 60000) */
    unsigned rpc_window; /* getblockhash/getblock calls in flight (default 16; 1: one at a time) */
    const char *rpc_cacert; /* https: PEM CA file to verify the node with (NULL: system CAs) */
};

struct cs_ingest_stats {
    uint64_t blocks, txs, bytes;
    double seconds;
    int64_t height_before, height_after;
    uint64_t rolled_back; /* blocks removed by a reorg */
};

void cs_ingest_opts_default(struct cs_ingest_opts *o);
int cs_ingest_blkdir(const char *blocks_dir, const struct cs_ingest_opts *o,
                     struct cs_ingest_stats *st) CS_MUST_CHECK;
int cs_ingest_rpc(const struct cs_ingest_opts *o, struct cs_ingest_stats *st) CS_MUST_CHECK;

#endif
