/* trie.h — the root of a Merkle-Patricia trie built from scratch over a
 * list, as Ethereum computes transactionsRoot and receiptsRoot: keys are
 * RLP(index) for index 0..n-1, values are the items' canonical encodings
 * (a legacy tx's RLP list, a typed tx's type byte || RLP payload).
 *
 * Invariants:
 *  - The root is keccak256 of the root node's RLP; a child node whose RLP is
 *    shorter than 32 bytes is embedded in its parent, otherwise referenced
 *    by its keccak256 (Yellow Paper, appendix D).  Empty trie: keccak(0x80)
 *    = 56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421.
 *  - Nothing is allocated and values are never copied: a leaf is hashed by
 *    streaming its RLP header, key and value into keccak.  The caller's
 *    entries array doubles as the sort scratch.
 *  - The builder is general: any set of distinct keys of up to
 *    CS_TRIE_KEY_MAX bytes, a key that is a prefix of another included (its
 *    value goes in a branch node's 17th slot); cs_trie_index_root() fills in
 *    RLP(index) keys.
 *
 * Cost: O(n log n) to sort the keys, then each value is hashed once (plus
 * one keccak per node of 32 bytes or more); recursion depth <= 2 * key bytes. */
#ifndef CS_EVM_TRIE_H
#define CS_EVM_TRIE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define CS_TRIE_KEY_MAX 32

/* One key/value pair.  value is borrowed for the duration of the call. */
struct cs_trie_entry {
    uint8_t key[CS_TRIE_KEY_MAX];
    uint8_t key_len;
    const uint8_t *value;
    size_t value_len;
};

/* Root over entries[0..n): keys must be distinct (CS_EUSAGE otherwise) and
 * values non-empty (an empty value means "absent" in a trie).  Sorts entries
 * in place.  Returns 0 or CS_EUSAGE. */
int cs_trie_root(uint8_t root[32], struct cs_trie_entry *entries, size_t n) CS_MUST_CHECK;

/* Root over the list values: entry i gets key RLP(i) (its value and
 * value_len must be set by the caller, in list order); then as cs_trie_root. */
int cs_trie_index_root(uint8_t root[32], struct cs_trie_entry *entries, size_t n) CS_MUST_CHECK;

#endif
