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

/* Finishes a node whose RLP was fed to ctx (total bytes len): embedded if
 * short (then the bytes are in small), else hashed. */
static void make_ref(struct ref *r, struct cs_keccak_ctx *ctx, const uint8_t *small, size_t len)
{
    if (len < 32) {
        memcpy(r->b, small, len);
        r->len = (uint8_t)len;
        r->is_hash = 0;
    } else {
        cs_keccak_final(ctx, r->b);
        r->len = 32;
        r->is_hash = 1;
    }
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

/* RLP of a small node into buf (<= 17 * 33 + 3 bytes), then its reference. */
static void finish_small(struct ref *r, const uint8_t *body, size_t body_len)
{
    uint8_t node[17 * 33 + 16];
    size_t n = cs_rlp_put_header(node, body_len, 1);
    memcpy(node + n, body, body_len);
    n += body_len;
    struct cs_keccak_ctx ctx;
    cs_keccak_init(&ctx, 0);
    cs_keccak_add(&ctx, node, n);
    make_ref(r, &ctx, node, n);
}

static void leaf(struct ref *r, const struct cs_trie_entry *e, size_t depth)
{
    uint8_t hp[CS_TRIE_KEY_MAX + 1 + 9], vh[9], lh[9];
    size_t hp_len = hex_prefix(hp + 1, e, depth, (size_t)e->key_len * 2, 1);
    size_t hp_enc;
    if (hp_len == 1 && hp[1] < 0x80) {
        hp_enc = 1;
        memmove(hp, hp + 1, 1);
    } else {
        hp[0] = (uint8_t)(0x80 + hp_len);
        hp_enc = 1 + hp_len;
    }
    size_t vh_len = 0;
    if (!(e->value_len == 1 && e->value[0] < 0x80)) vh_len = cs_rlp_put_header(vh, e->value_len, 0);
    size_t payload = hp_enc + vh_len + e->value_len;
    size_t lh_len = cs_rlp_put_header(lh, payload, 1);
    struct cs_keccak_ctx ctx;
    cs_keccak_init(&ctx, 0);
    cs_keccak_add(&ctx, lh, lh_len);
    cs_keccak_add(&ctx, hp, hp_enc);
    cs_keccak_add(&ctx, vh, vh_len);
    cs_keccak_add(&ctx, e->value, e->value_len);
    size_t total = lh_len + payload;
    uint8_t small[32];
    if (total < 32) {
        size_t k = 0;
        memcpy(small + k, lh, lh_len), k += lh_len;
        memcpy(small + k, hp, hp_enc), k += hp_enc;
        memcpy(small + k, vh, vh_len), k += vh_len;
        memcpy(small + k, e->value, e->value_len);
    }
    make_ref(r, &ctx, small, total);
}

/* Subtree over entries [lo, hi) that share their first depth nibbles. */
static void build(struct ref *r, const struct cs_trie_entry *es, size_t lo, size_t hi, size_t depth)
{
    if (hi - lo == 1) {
        leaf(r, &es[lo], depth);
        return;
    }
    /* sorted: the common prefix of the run is that of its first and last keys */
    size_t end = depth, max = (size_t)es[lo].key_len * 2;
    if ((size_t)es[hi - 1].key_len * 2 < max) max = (size_t)es[hi - 1].key_len * 2;
    while (end < max && nibble(&es[lo], end) == nibble(&es[hi - 1], end))
        end++;
    if (end > depth) { /* extension node */
        struct ref child;
        uint8_t body[2 + CS_TRIE_KEY_MAX + 33];
        build(&child, es, lo, hi, end);
        uint8_t hp[CS_TRIE_KEY_MAX + 1];
        size_t hp_len = hex_prefix(hp, &es[lo], depth, end, 0), n = 0;
        if (hp_len == 1 && hp[0] < 0x80) {
            body[n++] = hp[0];
        } else {
            body[n++] = (uint8_t)(0x80 + hp_len);
            memcpy(body + n, hp, hp_len);
            n += hp_len;
        }
        n += put_ref(body + n, &child);
        finish_small(r, body, n);
        return;
    }
    /* branch: 16 children by the nibble at depth, then an empty value slot
     * (keys are prefix-free, checked by the caller) */
    uint8_t body[17 * 33];
    size_t n = 0, i = lo;
    for (unsigned nib = 0; nib < 16; nib++) {
        size_t j = i;
        while (j < hi && nibble(&es[j], depth) == nib)
            j++;
        struct ref child = {{0}, 0, 0};
        if (j > i) build(&child, es, i, j, depth + 1);
        n += put_ref(body + n, &child);
        i = j;
    }
    body[n++] = 0x80;
    finish_small(r, body, n);
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
    if (n == 0) {
        uint8_t empty = 0x80;
        cs_keccak256(&empty, 1, root);
        return 0;
    }
    qsort(entries, n, sizeof *entries, key_cmp);
    for (size_t i = 0; i < n; i++) {
        if (entries[i].key_len == 0 || entries[i].key_len > CS_TRIE_KEY_MAX)
            return cs_error(CS_EUSAGE, "trie: key %zu has %u bytes (1..%d allowed)", i,
                            entries[i].key_len, CS_TRIE_KEY_MAX);
        if (i && entries[i - 1].key_len <= entries[i].key_len &&
            memcmp(entries[i - 1].key, entries[i].key, entries[i - 1].key_len) == 0)
            return cs_error(CS_EUSAGE, "trie: a key repeats or is a prefix of another");
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
