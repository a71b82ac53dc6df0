/* cluster.h — address clustering over the store: the persistent cluster-id
 * column, its incremental update, and the reader side (`entity`, `--why`).
 *
 * Files in DB/CHAIN/cluster/ (little-endian host order, like the store):
 *   parent.u32      union-find parent per address id (writer state)
 *   size.u32        union-find set size per address id (valid at roots)
 *   cid.u32         cluster id per address id = smallest address id of its
 *                   cluster; what readers mmap (O(1) lookups)
 *   evidence.col    12-byte rows (a u32, b u32, tx u32): one per union that
 *                   joined two sets, in the order they happened; append-only
 *   CLUSTER_STATE   text, SHA-256 checked: network, canonical heuristics spec,
 *                   blocks/tip hash/tx/address/evidence counts covered, stats
 *   LOCK            flock: one writer at a time
 *   PUBLISH.lock    flock: held exclusively by the writer only while it renames
 *                   new files into place and commits the state, and shared by
 *                   readers while they open, so a reader never pairs a new
 *                   cid.u32 with an old state
 *
 * Invariants:
 *  - CLUSTER_STATE is the commit point.  It is written tmp + fsync + rename +
 *    fsync(dir).  cid.u32 (and, after a full recompute, evidence.col) are
 *    written as *.tmp, fsync'ed and renamed into place, never modified in
 *    place, so an open reader keeps a consistent snapshot.  evidence.col grows
 *    in place on incremental runs only past the committed row count.
 *  - A run first commits the state with "dirty 1" before it touches
 *    parent/size; a crash or kill -9 therefore leaves either a clean state
 *    whose files match it, or a dirty one, and the next run recomputes from
 *    scratch (correct, only slower).  An interrupted run (progress callback
 *    returns nonzero) stops at a block boundary and commits what it did.
 *  - Cluster ids do not depend on the order or batching of unions
 *    (unionfind.h), and the evidence rows of an incremental run equal those
 *    of a full run over the same chain: whether a union merges two sets
 *    depends only on the partition.  The tests check both.
 *  - Incremental runs process only transactions after the recorded tx count.
 *    A full recompute happens (and the report says why) when there is no
 *    state, it is damaged or dirty, the files do not match it, the spec or
 *    the tag fingerprint changed, the store no longer holds the recorded tip
 *    (reorg), or the spec uses a change heuristic that reads later
 *    transactions (locktime: the spender; graphsense: <= 1 spending tx), so
 *    that an update always equals a full run.
 *  - Address id 0 is the store's reserved row; it is a singleton that no
 *    count below includes.
 *
 * Costs: a run is O(txs + inputs) reads of the store plus O(addresses) for
 * the compress pass and the cid.u32 rewrite; memory is the two mmap'd
 * union-find columns plus a bounded edge buffer. */
#ifndef CS_CLUSTER_CLUSTER_H
#define CS_CLUSTER_CLUSTER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cluster/change.h"
#include "cluster/coinjoin.h"
#include "btc/store.h"
#include "util/error.h"

#define CS_CLUSTER_DEFAULT_SPEC "multi-input"
#define CS_CLUSTER_FORMAT 1

/* What CLUSTER_STATE records. */
struct cs_cluster_state {
    char network[16];
    char spec[256];    /* canonical spec (cs_cluster_spec_format) */
    char tags[128];    /* fingerprint of the tag data used by the exchange control, "none" */
    uint64_t blocks;   /* blocks covered; the tip is block blocks-1 */
    uint8_t tip[32];   /* hash of block blocks-1 (zero when blocks = 0) */
    uint64_t tx;       /* transactions covered: tx ids 0 .. tx-1 */
    uint64_t addr;     /* address rows covered incl. reserved row 0 (= rows of cid.u32) */
    uint64_t evidence; /* rows of evidence.col */
    int dirty;         /* 1: a run may be modifying parent/size */
    int publishing;    /* 1: a run died while renaming files into place */
    /* statistics over addresses 1 .. addr-1 */
    uint64_t clusters, singletons, largest;
    uint32_t largest_id;      /* cluster id of the largest cluster */
    uint64_t inputs;          /* inputs of non-coinbase transactions examined */
    uint64_t multi_input_txs; /* transactions whose inputs were joined (>= 2 distinct addresses) */
    uint64_t change_links;    /* transactions whose consensus change output was joined */
    uint64_t vetoed[CS_CJP_COUNT]; /* transactions vetoed as CoinJoin, by reported protocol */
};

/* Canonical text of a parsed spec: "multi-input", "change:fresh+type",
 * "power10=<d>" when d != 6, "coinjoin:default|none|<names>", comma-separated
 * in that order; "none" when nothing is enabled.  Two specs that parse to the
 * same struct format identically.  Returns 0 or CS_ERANGE if cap is too small. */
int cs_cluster_spec_format(const struct cs_cluster_spec *spec, char *out, size_t cap) CS_MUST_CHECK;

/* Reads DB/CHAIN/cluster/CLUSTER_STATE.  Returns 0, CS_ENOTFOUND (no state:
 * "run chainsleuth cluster first"), CS_ECORRUPT (bad checksum or syntax) or
 * CS_EIO.  O(1). */
int cs_cluster_state_read(const char *dbdir, const char *chain,
                          struct cs_cluster_state *st) CS_MUST_CHECK;

/* ---- writer ---- */

struct cs_cluster_opts {
    const char *spec; /* heuristics (change.h syntax); NULL = CS_CLUSTER_DEFAULT_SPEC */
    int full;         /* 1: recompute from scratch even if an update would do */
    /* Exchange control (coinjoin.h CS_CJ_EXCHANGE_CONTROL): when set, called
     * for the input addresses of transactions that matched JoinMarket or
     * Wasabi 1.x; returns 1 if the address is exchange-tagged.  tags_id must
     * then fingerprint the tag data (it goes into the state, and a change
     * forces a full recompute). NULL: no input counts as an exchange. */
    int (*is_exchange)(void *ctx, const struct cs_store *s, uint32_t addr);
    void *exchange_ctx;
    const char *tags_id;
    /* Called after every block with (done, total) transactions of this run,
     * so it must be cheap (rate-limit any output).  A nonzero return stops
     * the run at that block boundary, commits what was done and makes
     * cs_cluster_update return CS_EINTERRUPTED.  May be NULL. */
    int (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
};

struct cs_cluster_report {
    struct cs_cluster_state state; /* as committed by this run */
    int full;                      /* 1: recomputed from scratch */
    char reason[640];              /* why a full recompute ("" for an update) */
    uint64_t txs, inputs;          /* processed by this run */
    uint64_t edges, merges;        /* union requests / unions that joined two sets */
    double seconds;                /* whole run */
    double uf_seconds;             /* inside cs_uf_union_edges only */
};

/* Brings the clustering of the store snapshot s (open for reading or
 * writing) at dbdir up to date with the heuristics in o, as described at the
 * top.  Returns 0, CS_EINTERRUPTED (progress asked to stop; what was done is
 * committed), CS_EUSAGE (bad spec), CS_ELOCKED (another cluster run),
 * CS_ERANGE, CS_EIO or CS_ECORRUPT, with a message.  r receives the report
 * (also on CS_EINTERRUPTED).  Allocates the edge buffer (bounded: flushed
 * every 1M edges) and per-transaction scratch; the union-find columns are
 * mmap'd files. */
int cs_cluster_update(struct cs_store *s, const char *dbdir, const struct cs_cluster_opts *o,
                      struct cs_cluster_report *r) CS_MUST_CHECK;

/* ---- reader ---- */

struct cs_clusterdb;

/* Opens the committed clustering of chain in dbdir (DB/CHAIN/cluster/): reads the state and mmaps
 * cid.u32 and evidence.col (a consistent snapshot, see PUBLISH.lock).
 * Returns 0, CS_ENOTFOUND with "run chainsleuth cluster first" when there is
 * none, CS_ECORRUPT when the state is damaged, dirty-while-publishing or does
 * not match the files, CS_EIO. */
int cs_clusterdb_open(struct cs_clusterdb **out, const char *dbdir,
                      const char *chain) CS_MUST_CHECK;
void cs_clusterdb_close(struct cs_clusterdb *c);
/* The state the snapshot belongs to; valid until close. */
const struct cs_cluster_state *cs_clusterdb_state(const struct cs_clusterdb *c);

/* Checks that store snapshot s still contains the clustered chain (same tip
 * hash at the recorded height).  Returns 0 and sets *behind to the number of
 * blocks the store has beyond the clustering, or CS_ECORRUPT ("run
 * chainsleuth cluster") after a reorg below the clustered tip. O(1). */
int cs_clusterdb_check(const struct cs_clusterdb *c, const struct cs_store *s,
                       uint64_t *behind) CS_MUST_CHECK;

/* Cluster id of an address id, or CS_UF_NONE if addr >= state.addr. O(1). */
uint32_t cs_clusterdb_cid(const struct cs_clusterdb *c, uint64_t addr);

/* Every address of cluster cid, ascending, in a malloc'ed array the caller
 * frees.  Returns 0 (n >= 1), CS_ENOTFOUND if cid is not a cluster id (not
 * the smallest member of its cluster).  O(addresses - cid): one sequential
 * pass over cid.u32 from cid on. */
int cs_clusterdb_members(const struct cs_clusterdb *c, uint32_t cid, uint32_t **members,
                         size_t *n) CS_MUST_CHECK;

/* One step of a --why path: from and to were joined by a union on tx. */
struct cs_cluster_hop {
    uint32_t from, to;
    uint32_t tx;
};

/* The chain of unions that connects addresses a and b: hops[0].from = a,
 * hops[n-1].to = b, hops[i].to = hops[i+1].from (n = 0 when a == b).  The
 * evidence rows form a spanning forest of the clusters, so the path is
 * unique.  Returns 0 with a malloc'ed array the caller frees, CS_ENOTFOUND
 * if a and b are not in one cluster, CS_ECORRUPT if the evidence does not
 * connect them.  O(evidence rows) sequential scan plus O(k log k) for the k
 * rows of the cluster. */
int cs_clusterdb_why(const struct cs_clusterdb *c, uint32_t a, uint32_t b,
                     struct cs_cluster_hop **hops, size_t *n) CS_MUST_CHECK;

/* Writes "address,cluster\n" and one line per address id 1 .. state.addr-1
 * (address in cs_addr_format form for the store's network, cluster id).
 * The store snapshot must contain the clustering (cs_clusterdb_check).
 * Returns 0 or CS_EIO. O(addresses). */
int cs_clusterdb_export_csv(const struct cs_clusterdb *c, const struct cs_store *s,
                            FILE *f) CS_MUST_CHECK;

/* ---- entities ---- */

struct cs_entity_member {
    uint32_t addr;
    uint64_t received; /* sum of its outputs, satoshi */
    uint64_t balance;  /* sum of its unspent outputs */
};

struct cs_entity {
    uint32_t cid;
    size_t size;                  /* members */
    uint32_t *members;            /* owned, ascending address ids */
    struct cs_entity_member *top; /* owned: largest members by received, descending
                                     (ties: smaller address id first) */
    size_t n_top;
    uint64_t received, balance;        /* sums over members */
    uint64_t outputs, utxos;           /* outputs received, of which unspent */
    int64_t first_height, last_height; /* heights of the first and last tx touching
                                          a member (receive or spend); -1 if none */
};

/* Summarises cluster cid over store snapshot s, keeping the top_n largest
 * members.  Returns 0, CS_ENOTFOUND (cid is not a cluster id) or an error
 * from cs_clusterdb_members.  Costs one pass over each member's outputs
 * (O(outputs log txs) for the heights); owns e's arrays until
 * cs_entity_free. */
int cs_entity_load(const struct cs_clusterdb *c, const struct cs_store *s, uint32_t cid,
                   size_t top_n, struct cs_entity *e) CS_MUST_CHECK;
void cs_entity_free(struct cs_entity *e);

#endif
