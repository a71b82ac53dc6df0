/* attrib.h — who owns an address, as far as the trace is concerned.
 *
 * The walker asks one question per tainted output: "is this address part of
 * a known entity, and which?"  This module answers it in O(1) from a table
 * it builds once, before the walk:
 *
 *  - An entity is a (label, category) pair taken from the tag store
 *    (tags/tags.h).  Two clusters tagged with the same label and category are
 *    one entity, so the trace reports one sink per exchange however many
 *    wallets of it were found.
 *  - Cluster mode (a clustering exists, cluster/cluster.h): an address is
 *    attributed when ANY address of its cluster carries a tag.  This is how
 *    an exchange deposit address is recognised before the exchange has swept
 *    it into a tagged hot wallet.  Addresses the clustering does not cover
 *    yet (the store grew since `chainsleuth cluster` ran) count as singletons.
 *  - Address mode (no clustering, or a stale one after a reorg): only the
 *    address's own tags count.  The report says which mode was used.
 *  - When a cluster carries several tags the choice is deterministic: first
 *    a category in the caller's preference mask (in the order sanctioned,
 *    mixer, bridge, exchange, then enum order), then the others in that
 *    order; then the higher confidence; then the smaller label (bytewise);
 *    then the smaller source.
 *  - Only tags of the store's chain (cs_store_chain) whose address parses for
 *    the store's network
 *    and that occur in the store are used; the others are counted as skipped.
 *
 * Ownership: a struct cs_attrib owns copies of every string it reports and
 * keeps the cluster snapshot mapped until cs_attrib_free(); it borrows
 * nothing from the tag store after cs_attrib_open() returns.  Lookups are
 * read-only and safe from several threads. */
#ifndef CS_TRACE_ATTRIB_H
#define CS_TRACE_ATTRIB_H

#include <stddef.h>
#include <stdint.h>

#include "btc/store.h"
#include "util/error.h"

enum cs_attrib_mode {
    CS_ATTRIB_NONE = 0,    /* no tags at all */
    CS_ATTRIB_ADDRESS = 1, /* tags of the address itself */
    CS_ATTRIB_CLUSTER = 2, /* tags of any member of the address's cluster */
};

struct cs_attrib_entity {
    const char *label;
    int category;       /* enum cs_tag_category */
    int confidence;     /* of the tag chosen (highest among equal choices) */
    const char *source; /* of the tag chosen */
    uint32_t keys;      /* clusters (or addresses) attributed to this entity */
};

struct cs_attrib;

/* Builds the attribution table for store snapshot s in database directory
 * dbdir: reads DIR/tags/tags.tsv (missing: mode NONE) and, if want_cluster
 * and a committed clustering exists and still matches the store, maps
 * DIR/CHAIN/cluster (mode CLUSTER); otherwise mode ADDRESS.  prefer_mask has
 * bit (1 << category) set for the categories that should win inside a
 * cluster (normally the --stop-at set).  note (may be NULL) receives one
 * human sentence on what was used and why ("no clustering found: run
 * chainsleuth cluster; attribution uses each address's own tags").
 * Returns 0, or CS_EIO / CS_ECORRUPT / CS_ENOMEM from the tag store.
 * Cost: O(tags) address decodes and index probes, plus O(1) per tag for
 * the cluster id; memory about 40 bytes per attributed key plus the labels. */
int cs_attrib_open(struct cs_attrib **out, const struct cs_store *s, const char *dbdir,
                   int want_cluster, uint32_t prefer_mask, char *note,
                   size_t notecap) CS_MUST_CHECK;

/* An empty table in address mode, for callers that bring their own tags
 * (tests, embedders): add tags with cs_attrib_add, then cs_attrib_finish.
 * Never fails (allocation failure aborts: sizes are the caller's). */
struct cs_attrib *cs_attrib_new(uint32_t prefer_mask);
/* Records that address id addr carries the tag (label, category, confidence,
 * source); strings are copied.  Returns 0 or CS_EUSAGE (bad category, after
 * finish).  O(1) amortised. */
int cs_attrib_add(struct cs_attrib *a, uint64_t addr, const char *label, int category,
                  int confidence, const char *source) CS_MUST_CHECK;
/* Resolves the recorded tags into entities.  Idempotent.  O(n log n). */
void cs_attrib_finish(struct cs_attrib *a);

void cs_attrib_free(struct cs_attrib *a);

/* Entity of address id addr, or -1.  O(1): one cluster-id read (cluster
 * mode) and one hash probe. */
int32_t cs_attrib_lookup(const struct cs_attrib *a, uint64_t addr);
/* Entity number i < cs_attrib_count(a); valid until cs_attrib_free. */
const struct cs_attrib_entity *cs_attrib_entity(const struct cs_attrib *a, uint32_t i);
size_t cs_attrib_count(const struct cs_attrib *a);
enum cs_attrib_mode cs_attrib_mode(const struct cs_attrib *a);
/* "none", "address", "cluster". Static. */
const char *cs_attrib_mode_name(enum cs_attrib_mode mode);
/* Tags read / used (matched an address of the store) / skipped. */
void cs_attrib_stats(const struct cs_attrib *a, size_t *tags_read, size_t *tags_used,
                     size_t *tags_skipped);

#endif
