/* chain.h — the chain registry: what every layer above the chain modules
 * (tags, cluster, trace, report, cli) asks about a chain instead of naming
 * Bitcoin or Ethereum itself.
 *
 * Invariants:
 *  - Entries are static and never change; pointers stay valid for the life
 *    of the process.  Nothing allocates.
 *  - A chain's name is what the store uses for its folder (DB/NAME) and what
 *    tags carry in their chain field ("btc", "eth").  Names match exactly.
 *  - stored == 0 means the chain is known (its asset, its tags import) but
 *    this build has no store schema for it: opening it is an error.
 *  - Address codecs are the chain module's own, with its contract:
 *    format writes at most CS_CHAIN_ADDR_MAX bytes incl. NUL; parse returns 0
 *    or a cs_error code with a message naming the input. */
#ifndef CS_CHAIN_CHAIN_H
#define CS_CHAIN_CHAIN_H

#include <stddef.h>

#include "btc/script.h"
#include "util/amount.h"

#define CS_CHAIN_ADDR_MAX 96

struct cs_chain {
    const char *name;  /* "btc" */
    const char *title; /* "Bitcoin", for people */
    int stored;        /* 1 if this build stores and ingests it */
    int evm;           /* 1: an account chain in the EVM schema (evm/store.h) */
    const struct cs_asset *(*asset)(void);
    /* NULL when the chain has no codec in this build */
    void (*addr_format)(const struct cs_addr *a, const struct cs_netparams *net,
                        char out[CS_CHAIN_ADDR_MAX]);
    int (*addr_parse)(const char *s, const struct cs_netparams *net, struct cs_addr *out);
};

/* The chain with this name, or NULL (no message). */
const struct cs_chain *cs_chain_find(const char *name);
/* The chain commands use without --chain: btc. */
const struct cs_chain *cs_chain_default(void);
/* Every known chain, in a fixed order: cs_chain_at(i) for i < cs_chain_count(). */
size_t cs_chain_count(void);
const struct cs_chain *cs_chain_at(size_t i);
/* Looks name up for opening a store: 0 and *out; CS_EUSAGE "unknown chain
 * 'x' (known: btc, eth, ...)" for a name the registry does not know; CS_ENOTFOUND
 * "chain eth: not stored by this build yet" for a known chain without a
 * store schema. */
int cs_chain_storable(const char *name, const struct cs_chain **out) CS_MUST_CHECK;
/* "btc, eth, ...": the known names, for messages and --help. */
const char *cs_chain_names(void);

#endif
