/* risk.h — exposure and risk levels (METHODS.md §5): the chain-neutral model,
 * its configuration, the store adapter that gives it a graph, and the
 * exposure index.
 *
 * The model (walk.c) knows nodes, flows and entities, never a chain:
 *  - A node is an entity candidate: a cluster id (or an address id when the
 *    store has no clustering).  A flow is (counterparty node, amount, tx):
 *    for direction IN the value node N received whose source was the
 *    counterparty, for OUT the value N sent that reached it.  Amounts are in
 *    base units and may be fractional: in a transaction (an "event") with
 *    sources S (amount a_D each, total A) and destinations R (v_C each,
 *    total V), node C's IN flows are v_C * a_D / A for each source D != C,
 *    and node D's OUT flows are a_D * v_C / V for each destination C != D.
 *    Value a node pays to itself is no counterparty (self flows are left
 *    out); value with no source (A = 0: newly mined) or no destination
 *    (V = 0) flows to CS_RISK_ORIGIN, which is unattributed and leads
 *    nowhere.  W(N) is the sum of N's flows in a direction.
 *  - The walk (METHODS §5): from the target with mass 1, at hop h each
 *    unattributed node splits its mass over its flows in proportion to the
 *    amount; mass that reaches a node attributed to an entity of category c
 *    at hop h adds to E[c][h] and stops there; mass still moving at hop H
 *    (max_hops, default 6), on a node without flows, or on ORIGIN is
 *    "unknown".  direct D_c = E[c][1], indirect I_c = sum_{h>=2} E[c][h],
 *    decayed X_c = D_c + sum_{h>=2} decay^(h-1) E[c][h]; min_hops the
 *    smallest h with E[c][h] > 0.  The target itself is always expanded
 *    (an exchange screens its own deposit address); its own attribution is
 *    reported as "ownership" (hop 0).
 *  - Score S = max over directions and categories of weight_c * X_c, with
 *    ownership counting as X_c = 1.  Level: SEVERE if sanctioned exposure
 *    is direct (D_sanctioned > 0 or owned) and severe_on_direct_sanctions
 *    is set, or S >= severe; HIGH if S >= high; MEDIUM if S >= medium;
 *    else LOW.
 *
 * Bounds.  Work is counted in store rows: outputs looked at, flows made and
 * the inputs and outputs of the transactions read.  A walk spends at most
 * walk_budget (default 1,000,000); a node whose flows would pass it is not expanded and
 * its mass is unknown, and the result says "truncated".  A screen served
 * from the index reads, for the target, one index row (binary search over
 * the node ids, O(log nodes)) and, for the reasons, at most scan_budget
 * rows of work on the target's flows (default 1,000: its newest) with one index row per counterparty:
 * O(scan_budget log nodes) whatever the graph looks like.  A hub with a
 * million counterparties costs the same as a node with a thousand.
 *
 * Exposure index (index.c, DB/CHAIN/risk/exposure.idx).  Per node and
 * direction: W and, for every category it is exposed to, D, X and T
 * (= D + I) over H hops and X, T over H-1 hops, with min hops for both,
 * as float32; the H-1 values are what a node contributes when a screen
 * meets it at hop 1.  Built by `chainsleuth screen --build-index` from the
 * clustered, tagged store with the same event rule as the walk (H passes of
 * f_h(N) = sum_D p(N,D) [attr(D) ? onehot(cat D) : decay * f_{h-1}(D)]).
 * It records the clustering's tip and transaction count, the tag table's
 * SHA-256 and H and decay; a screen uses it only while all of them still
 * match (otherwise it walks, and says why).  It is not updated as blocks
 * commit: run --build-index after `chainsleuth cluster`.  --as-of screens
 * always walk (the attribution changes with the date).
 *
 * Floating point: shares are doubles in the walk and float32 in the index;
 * amounts are never rounded (flows carry the exact integer amounts of the
 * store; only their ratios are fractions). */
#ifndef CS_RISK_RISK_H
#define CS_RISK_RISK_H

#include <stddef.h>
#include <stdint.h>

#include "btc/store.h"
#include "tags/tags.h"
#include "util/error.h"

#define CS_RISK_MAX_HOPS 32
#define CS_RISK_ORIGIN UINT64_MAX
#define CS_RISK_NCAT CS_TAG_NCATEGORIES

enum cs_risk_dir { CS_RISK_IN = 0, CS_RISK_OUT = 1 };
enum cs_risk_level { CS_RISK_LOW = 0, CS_RISK_MEDIUM, CS_RISK_HIGH, CS_RISK_SEVERE };
/* "LOW" ... "SEVERE"; "in", "out". Static. */
const char *cs_risk_level_name(int level);
const char *cs_risk_dir_name(int dir);

/* ---- configuration ----
 * File format (text, UTF-8): one "key = value" per line; blank lines and
 * lines starting with '#' are ignored.  Keys:
 *   max_hops = N                 1..32 (H, default 6)
 *   decay = F                    0..1 (lambda, default 0.5)
 *   weight.CATEGORY = F          0..1, CATEGORY a tag category name
 *   level.severe = F             score thresholds (0.5, 0.2, 0.05),
 *   level.high = F               severe >= high >= medium required
 *   level.medium = F
 *   severe_on_direct_sanctions = true|false   (true)
 *   walk_budget = N              store rows a walk may read (1,000,000)
 *   scan_budget = N              store rows read for an indexed screen's reasons (1,000)
 * Default weights (METHODS §5; our taxonomy has no CSAM or terror-financing
 * category): sanctioned 1.0; stolen_funds, ransomware and hacker_group 0.9
 * (engine default: the actor behind stolen funds); darknet 0.8; mixer and scam
 * 0.7; p2p_otc 0.4 (the closest to METHODS' high-risk exchange); gambling 0.3;
 * exchange, bridge, defi, miner, other 0. */
struct cs_risk_config {
    unsigned max_hops;
    double decay;
    double weight[CS_RISK_NCAT];
    double severe, high, medium;
    int severe_on_direct_sanctions;
    uint64_t walk_budget;
    uint64_t scan_budget;
};

void cs_risk_config_default(struct cs_risk_config *c);
/* Reads a config file over the values already in c.  Returns 0, CS_EIO,
 * or CS_EFORMAT "FILE:LINE: unknown key 'k'" / "FILE:LINE: key: bad value
 * 'v' (...)".  Files over 1 MiB are CS_ERANGE. */
int cs_risk_config_load(struct cs_risk_config *c, const char *path) CS_MUST_CHECK;
/* The same on a buffer; name is used in messages. */
int cs_risk_config_parse(struct cs_risk_config *c, const char *buf, size_t len,
                         const char *name) CS_MUST_CHECK;

/* ---- the graph the model walks ---- */

struct cs_risk_flow {
    uint64_t node;  /* counterparty, or CS_RISK_ORIGIN */
    double amount;  /* base units (a share of an exact amount) */
    uint64_t tx;    /* the transaction (event) it went through */
};

struct cs_risk_flowbuf {
    struct cs_risk_flow *v;
    size_t n, cap;
    uint64_t work; /* units of work the graph spent filling it (0: count the flows) */
};
void cs_risk_flowbuf_push(struct cs_risk_flowbuf *b, uint64_t node, double amount, uint64_t tx);
void cs_risk_flowbuf_free(struct cs_risk_flowbuf *b);

struct cs_risk_graph {
    void *ctx;
    /* Entity number (>= 0) of node with its category, or -1. */
    int32_t (*entity)(void *ctx, uint64_t node, int *category);
    const char *(*entity_label)(void *ctx, int32_t entity);
    /* Appends node's flows in direction dir to buf, adding to buf->work what
     * it cost (the store adapter: outputs looked at, flows appended and the
     * inputs and outputs of the transactions it read) and
     * stopping once that reaches max (*more = 1 then).  Returns 0 or an
     * error. */
    int (*flows)(void *ctx, uint64_t node, int dir, struct cs_risk_flowbuf *buf, uint64_t max,
                 int *more);
};

/* ---- results ---- */

struct cs_risk_cat {
    double direct, indirect, decayed;
    unsigned min_hops; /* 0: not reached */
};

#define CS_RISK_MAX_TXS 5 /* transactions kept per reason */
#define CS_RISK_MAX_PATH 32

/* One tagged entity the walk reached: why the level is what it is. */
struct cs_risk_reason {
    int32_t entity; /* -1: an indexed screen's indirect exposure (entity not known, see via) */
    uint64_t via;   /* indexed screens: the counterparty it came through (CS_RISK_ORIGIN: none) */
    int category;
    int dir;
    unsigned min_hops;
    double share;   /* mass that reached it (undecayed) */
    double decayed; /* its contribution to X_category */
    uint64_t txs[CS_RISK_MAX_TXS]; /* the transactions of the last step (distinct) */
    unsigned n_txs;
    /* --explain: the heaviest path, target first: nodes[0] is the target's
     * first counterparty ... nodes[n-1] the entity's node; path_txs[i] the
     * transaction into nodes[i]. */
    uint64_t path_nodes[CS_RISK_MAX_PATH];
    uint64_t path_txs[CS_RISK_MAX_PATH];
    unsigned path_len;
    double path_mass;
};

struct cs_risk_exposure {
    struct cs_risk_cat cat[CS_RISK_NCAT];
    double unknown;
    int truncated; /* the walk (or the reasons scan) hit its budget */
    uint64_t flows_read;
};

struct cs_risk_result {
    int dirs;                       /* bit (1 << dir) per direction computed */
    struct cs_risk_exposure dir[2];
    int owner_category;             /* target's own entity's category, or -1 */
    int32_t owner_entity;
    struct cs_risk_reason *reasons; /* sorted: weight*decayed desc, share desc, entity */
    size_t n_reasons, cap_reasons;
    double score;
    int level;
    int from_index;                 /* 1: exposure numbers came from the index */
};

void cs_risk_result_init(struct cs_risk_result *r);
void cs_risk_result_free(struct cs_risk_result *r);

/* Walks from a target in direction dir and adds that direction to r.
 * start (n_start flows) are the target's own flows (what graph->flows gives
 * for a node target; a transaction target's inputs or outputs); they are
 * hop 1.  explain: record the heaviest path to each reason.  Cost: at most
 * cfg->walk_budget flows expanded (see the top); memory O(nodes reached).
 * Returns 0 or an error from graph->flows. */
int cs_risk_walk(const struct cs_risk_graph *g, const struct cs_risk_config *cfg, int dir,
                 const struct cs_risk_flow *start, size_t n_start, int explain,
                 struct cs_risk_result *r) CS_MUST_CHECK;

/* Sorts the reasons and sets score and level from r's directions and
 * owner_category. O(reasons log reasons). */
void cs_risk_finish(const struct cs_risk_config *cfg, struct cs_risk_result *r);

/* ---- the exposure index ---- */

/* One category of one node's vector. */
struct cs_risk_ixcat {
    uint8_t category;
    uint8_t hops_h;  /* min hops within H (0: none) */
    uint8_t hops_h1; /* min hops within H-1 */
    uint8_t pad;
    float direct;   /* D over H hops (= over H-1 when H > 1) */
    float x_h, t_h; /* decayed, total (direct + indirect) within H */
    float x_h1, t_h1;
};

/* Events for the builder: every transaction as its sources and destinations
 * aggregated per node (node ids < n_nodes, dense), amounts > 0. */
struct cs_risk_leg {
    uint32_t node;
    uint64_t amount;
};
struct cs_risk_events {
    uint64_t n_events;
    uint64_t *first; /* n_events + 1 offsets into legs; sources first */
    uint32_t *n_src; /* per event: how many of its legs are sources */
    struct cs_risk_leg *legs;
    uint64_t n_legs, cap_legs, cap_events;
};
/* Appends one event (sources then destinations, each sorted by node here).
 * Never fails (allocation failure aborts). */
void cs_risk_events_add(struct cs_risk_events *e, const struct cs_risk_leg *src, size_t ns,
                        const struct cs_risk_leg *dst, size_t nd);
void cs_risk_events_free(struct cs_risk_events *e);

struct cs_risk_index;

/* What an index was built from; a screen compares it with the live state. */
struct cs_risk_index_meta {
    uint64_t cluster_tx;       /* transactions the clustering covered (0: no clustering) */
    uint8_t cluster_tip[32];
    uint8_t tags_sha[32];      /* SHA-256 of tags.tsv (zero: none) */
    uint32_t max_hops;
    double decay;
    uint32_t attrib_mode;      /* 1 address, 2 cluster */
};

/* Computes the vectors of n_nodes dense nodes (node_ids[i] is the graph's
 * node id of dense node i, ascending) from the events and the attribution
 * (cat_of[i]: category of dense node i's entity, or -1), and builds an
 * in-memory index.  Cost: H+1 passes over the legs, O(legs * categories
 * used) each; memory 4 doubles and 2 bytes per node and category used. */
int cs_risk_index_build(const struct cs_risk_events *ev, const uint32_t *node_ids, size_t n_nodes,
                        const int8_t *cat_of, const struct cs_risk_index_meta *meta,
                        struct cs_risk_index **out) CS_MUST_CHECK;
/* Writes it to DIR/exposure.idx atomically (util/atomic_file.h). */
int cs_risk_index_save(const struct cs_risk_index *ix, const char *dir) CS_MUST_CHECK;
/* Maps DIR/exposure.idx.  CS_ENOTFOUND when absent, CS_ECORRUPT naming the
 * file and the offset when its layout is wrong. */
int cs_risk_index_open(const char *dir, struct cs_risk_index **out) CS_MUST_CHECK;
void cs_risk_index_free(struct cs_risk_index *ix);
/* Checks every chunk of an opened index against its checksum (open checks
 * four): 0 or CS_ECORRUPT naming the byte.  O(file). */
int cs_risk_index_verify(const struct cs_risk_index *ix) CS_MUST_CHECK;
const struct cs_risk_index_meta *cs_risk_index_meta(const struct cs_risk_index *ix);
uint64_t cs_risk_index_nodes(const struct cs_risk_index *ix);
/* Row of node in direction dir: 0 with *w, the categories (*cats, *n; valid
 * until free), or CS_ENOTFOUND.  O(log nodes). */
int cs_risk_index_get(const struct cs_risk_index *ix, uint64_t node, int dir, double *w,
                      const struct cs_risk_ixcat **cats, size_t *n);

/* Screens with the index: the target's own numbers (node target: its row;
 * start flows for a transaction target: from its counterparties' H-1 rows),
 * reasons from at most cfg->scan_budget flows of the target, each valued
 * with its counterparty's H-1 row.  node == CS_RISK_ORIGIN for a
 * transaction target (start given).  Adds direction dir to r. */
int cs_risk_screen_indexed(const struct cs_risk_index *ix, const struct cs_risk_graph *g,
                           const struct cs_risk_config *cfg, int dir, uint64_t node,
                           const struct cs_risk_flow *start, size_t n_start,
                           struct cs_risk_result *r) CS_MUST_CHECK;

/* ---- the store adapter (UTXO schema: btc/store.h) ---- */

struct cs_risk_store;

/* Opens the graph over store snapshot s at dbdir: the clustering if one
 * matches the store (else every address is its own node), the tag table
 * (tags of the store's chain that occur in it; a cluster with tags of
 * several categories takes the highest-weighted one, then the lowest enum,
 * then the smallest label), and, with as_of_day >= 0, the validity of each
 * tag (tags/tags.h cs_tag_validity): a tag with a validity record counts only
 * if in force on that day.  Builds the member lists of every cluster
 * (O(addresses)).  note receives one sentence on what was used. */
int cs_risk_store_open(struct cs_risk_store **out, const struct cs_store *s, const char *dbdir,
                       const struct cs_risk_config *cfg, int32_t as_of_day, char *note,
                       size_t notecap) CS_MUST_CHECK;
void cs_risk_store_close(struct cs_risk_store *rs);
const struct cs_risk_graph *cs_risk_store_graph(struct cs_risk_store *rs);
/* Node of an address id. */
uint64_t cs_risk_store_node(const struct cs_risk_store *rs, uint64_t addr);
/* A transaction target's flows: IN its inputs' nodes by value, OUT its
 * outputs' nodes by value. */
int cs_risk_store_tx_flows(struct cs_risk_store *rs, uint64_t tx, int dir,
                           struct cs_risk_flowbuf *buf) CS_MUST_CHECK;
/* One address of node (its smallest address id, the cluster id), for
 * printing. */
uint64_t cs_risk_store_node_addr(const struct cs_risk_store *rs, uint64_t node);
/* Builds the index over the whole store and writes DB/CHAIN/risk/exposure.idx. */
int cs_risk_store_build_index(struct cs_risk_store *rs, const char *dbdir,
                              const struct cs_risk_config *cfg,
                              struct cs_risk_index_meta *meta_out) CS_MUST_CHECK;
/* The meta an index must carry to be used with this store and config. */
void cs_risk_store_meta(const struct cs_risk_store *rs, const struct cs_risk_config *cfg,
                        struct cs_risk_index_meta *m);

/* ---- one target, screened and written (screen.c): what `screen --json`
 * prints per line and the server's POST /v1/screen answers per item ---- */

struct cs_chain;
struct cs_json_writer;

/* A screening session over one store snapshot.  Not safe to share between
 * threads (the store adapter keeps scratch state): one per thread. */
struct cs_risk_screen_ctx {
    const struct cs_store *s;
    const struct cs_chain *chain;
    struct cs_risk_store *rs;
    const struct cs_risk_graph *g;
    const struct cs_risk_index *ix; /* a matching exposure index, or NULL: walk */
    struct cs_risk_config cfg;
    int dirs;       /* bit (1 << dir) per direction screened */
    int explain;    /* record paths (forces the walk) */
    uint64_t limit; /* reasons written per target */
};

struct cs_risk_target {
    const char *text; /* as given (borrowed) */
    int is_tx;
    uint64_t id; /* tx row or address id */
};

/* A txid (64 hex digits) or an address of c's chain.  Returns 0, CS_EUSAGE
 * "'x' is neither a txid nor a Bitcoin address (...)" or CS_ENOTFOUND
 * "transaction X not found in the store" / "address X never seen on this
 * chain".  O(1) index lookups. */
int cs_risk_target_resolve(const struct cs_risk_screen_ctx *c, const char *text,
                           struct cs_risk_target *t) CS_MUST_CHECK;
/* Screens t (index or walk, as c says) into r (initialised here; free it
 * with cs_risk_result_free whatever the result).  Cost: see the top. */
int cs_risk_screen_target(const struct cs_risk_screen_ctx *c, const struct cs_risk_target *t,
                          struct cs_risk_result *r) CS_MUST_CHECK;
/* Writes r as one JSON object: {"target","type","chain","risk","score",
 * "method","cluster" (address targets),"owner","exposure","unknown",
 * "truncated","reasons"}. */
void cs_risk_result_json(const struct cs_risk_screen_ctx *c, const struct cs_risk_target *t,
                         const struct cs_risk_result *r, struct cs_json_writer *w);
/* 1 when an index built with meta a can serve a store and config whose
 * meta (cs_risk_store_meta) is b; else 0 and *why says what changed. */
int cs_risk_index_meta_match(const struct cs_risk_index_meta *a,
                             const struct cs_risk_index_meta *b, const char **why);

#endif
