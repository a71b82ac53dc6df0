/* trie.c — Merkle-Patricia root from a sorted key list (see trie.h).
 *
 * With the keys sorted, every subtree is a contiguous run of entries that
 * share a nibble prefix, so the trie never needs to exist in memory: build()
 * recurses on runs and returns each node's reference (its RLP if shorter
 * than 32 bytes, else its keccak).  A leaf's RLP is streamed into keccak so
 * a 100 kB transaction is hashed in place; only leaves under 32 bytes (which
 * must be embedded) are materialised, in a 32-byte buffer. */
#include "evm/trie.h"

#include <stdlib.h>
#include <string.h>

#include "evm/rlp.h"
#include "util/keccak.h"

/* A node reference: the node's RLP when shorter than 32 bytes, else its hash
 * as a 32-byte string (is_hash). */
struct ref {
    uint8_t b[32];
    uint8_t len;
    uint8_t is_hash;
};

static unsigned nibble(const struct cs_trie_entry *e, size_t i)
{
    uint8_t b = e->key[i / 2];
    return i % 2 ? b & 0x0f : b >> 4;
}

/* Hex-prefix encoding of nibbles [from, to) of e's key with the leaf flag. */
static size_t hex_prefix(uint8_t *out, const struct cs_trie_entry *e, size_t from, size_t to,
                         int leaf)
{
    size_t count = to - from, n = 0;
    unsigned flag = (leaf ? 2u : 0u) + (count % 2);
    size_t i = from;
    if (count % 2)
        out[n++] = (uint8_t)(flag << 4 | nibble(e, i++));
    else
        out[n++] = (uint8_t)(flag << 4);
    for (; i < to; i += 2)
        out[n++] = (uint8_t)(nibble(e, i) << 4 | nibble(e, i + 1));
    return n;
}

static size_t put_ref(uint8_t *out, const struct ref *r)
{
    if (r->is_hash) {
        out[0] = 0xa0;
        memcpy(out + 1, r->b, 32);
        return 33;
    }
    if (r->len == 0) {
        out[0] = 0x80; /* empty slot */
        return 1;
    }
    memcpy(out, r->b, r->len);
    return r->len;
}

/* Hex-prefixed path as an RLP string into out (at most 2 + CS_TRIE_KEY_MAX bytes). */
static size_t put_path(uint8_t *out, const struct cs_trie_entry *e, size_t from, size_t to,
                       int leaf)
{
    uint8_t hp[CS_TRIE_KEY_MAX + 1];
    size_t n = hex_prefix(hp, e, from, to, leaf);
    if (n == 1 && hp[0] < 0x80) {
        out[0] = hp[0];
        return 1;
    }
    out[0] = (uint8_t)(0x80 + n);
    memcpy(out + 1, hp, n);
    return 1 + n;
}

/* The node RLP-list(head || string(value)) (value omitted when !value),
 * streamed into keccak; materialised only when shorter than 32 bytes, as
 * it must then be embedded in its parent. */
static void finish(struct ref *r, const uint8_t *head, size_t head_len, const uint8_t *value,
                   size_t value_len)
{
    uint8_t lh[9], vh[9];
    size_t vh_len = 0;
    if (value && !(value_len == 1 && value[0] < 0x80)) vh_len = cs_rlp_put_header(vh, value_len, 0);
    if (!value) value_len = 0;
    size_t payload = head_len + vh_len + value_len;
    size_t lh_len = cs_rlp_put_header(lh, payload, 1), total = lh_len + payload;
    if (total < 32) {
        size_t k = 0;
        memcpy(r->b + k, lh, lh_len), k += lh_len;
        memcpy(r->b + k, head, head_len), k += head_len;
        memcpy(r->b + k, vh, vh_len), k += vh_len;
        if (value_len) memcpy(r->b + k, value, value_len);
        r->len = (uint8_t)total;
        r->is_hash = 0;
        return;
    }
    struct cs_keccak_ctx ctx;
    cs_keccak_init(&ctx, 0);
    cs_keccak_add(&ctx, lh, lh_len);
    cs_keccak_add(&ctx, head, head_len);
    cs_keccak_add(&ctx, vh, vh_len);
    if (value_len) cs_keccak_add(&ctx, value, value_len);
    cs_keccak_final(&ctx, r->b);
    r->len = 32;
    r->is_hash = 1;
}

/* Subtree over entries [lo, hi) that share their first depth nibbles. */
static void build(struct ref *r, const struct cs_trie_entry *es, size_t lo, size_t hi, size_t depth)
{
    uint8_t head[16 * 33 + 2 + CS_TRIE_KEY_MAX];
    if (hi - lo == 1) { /* leaf: [path, value] */
        size_t n = put_path(head, &es[lo], depth, (size_t)es[lo].key_len * 2, 1);
        finish(r, head, n, es[lo].value, es[lo].value_len);
        return;
    }
    /* sorted: the common prefix of the run is that of its first and last keys */
    size_t end = depth, max = (size_t)es[lo].key_len * 2;
    if ((size_t)es[hi - 1].key_len * 2 < max) max = (size_t)es[hi - 1].key_len * 2;
    while (end < max && nibble(&es[lo], end) == nibble(&es[hi - 1], end))
        end++;
    if (end > depth) { /* extension: [path, child] */
        struct ref child;
        build(&child, es, lo, hi, end);
        size_t n = put_path(head, &es[lo], depth, end, 0);
        n += put_ref(head + n, &child);
        finish(r, head, n, NULL, 0);
        return;
    }
    /* branch: [16 children by the nibble at depth, value].  A key that ends
     * here sorts first in the run and is the branch's value. */
    const uint8_t *value = (const uint8_t *)"";
    size_t value_len = 0, n = 0, i = lo;
    if ((size_t)es[lo].key_len * 2 == depth) {
        value = es[lo].value;
        value_len = es[lo].value_len;
        i++;
    }
    for (unsigned nib = 0; nib < 16; nib++) {
        size_t j = i;
        while (j < hi && nibble(&es[j], depth) == nib)
            j++;
        struct ref child = {{0}, 0, 0};
        if (j > i) build(&child, es, i, j, depth + 1);
        n += put_ref(head + n, &child);
        i = j;
    }
    finish(r, head, n, value, value_len);
}

static int key_cmp(const void *a, const void *b)
{
    const struct cs_trie_entry *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c) return c;
    return (int)x->key_len - (int)y->key_len;
}

int cs_trie_root(uint8_t root[32], struct cs_trie_entry *entries, size_t n)
{
    if (n == 0) { /* keccak256(0x80), most blocks' roots: not worth a permutation */
        static const uint8_t empty[32] = {0x56, 0xe8, 0x1f, 0x17, 0x1b, 0xcc, 0x55, 0xa6,
                                          0xff, 0x83, 0x45, 0xe6, 0x92, 0xc0, 0xf8, 0x6e,
                                          0x5b, 0x48, 0xe0, 0x1b, 0x99, 0x6c, 0xad, 0xc0,
                                          0x01, 0x62, 0x2f, 0xb5, 0xe3, 0x63, 0xb4, 0x21};
        memcpy(root, empty, 32);
        return 0;
    }
    qsort(entries, n, sizeof *entries, key_cmp);
    for (size_t i = 0; i < n; i++) {
        if (entries[i].key_len > CS_TRIE_KEY_MAX)
            return cs_error(CS_EUSAGE, "trie: key %zu has %u bytes (at most %d)", i,
                            entries[i].key_len, CS_TRIE_KEY_MAX);
        if (i && key_cmp(&entries[i - 1], &entries[i]) == 0)
            return cs_error(CS_EUSAGE, "trie: a key repeats");
    }
    struct ref r;
    build(&r, entries, 0, n, 0);
    if (r.is_hash) {
        memcpy(root, r.b, 32);
    } else {
        cs_keccak256(r.b, r.len, root);
    }
    return 0;
}

int cs_trie_index_root(uint8_t root[32], struct cs_trie_entry *entries, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct cs_rlp_enc e;
        size_t len;
        cs_rlp_enc_init(&e, entries[i].key, sizeof entries[i].key);
        cs_rlp_enc_u64(&e, i);
        if (cs_rlp_enc_finish(&e, &len)) BUG("RLP of an index exceeds %d bytes", CS_TRIE_KEY_MAX);
        entries[i].key_len = (uint8_t)len;
    }
    return cs_trie_root(root, entries, n);
}
