/* block.c — zero-copy block/transaction parser with bounded allocation.
 *
 * The arena is sized once per block from upper bounds derived from the block
 * length (a transaction is at least 60 bytes, an input 41, an output 9), so the
 * views never move while a block is being parsed and a hostile count cannot
 * make us allocate more than those bounds. */
#include <stdlib.h>
#include <string.h>

#include "btc/block.h"
#include "util/codec.h"
#include "util/hash.h"

void cs_block_arena_free(struct cs_block_arena *a)
{
    free(a->mem);
    a->mem = NULL;
    a->cap = a->used = 0;
}

static int arena_reserve(struct cs_block_arena *a, size_t len)
{
    size_t need = sizeof(struct cs_tx) * (len / 60 + 2) + sizeof(struct cs_txin) * (len / 41 + 2) +
                  sizeof(struct cs_txout) * (len / 9 + 2) + 64;
    a->used = 0;
    if (need <= a->cap) return 0;
    void *m = realloc(a->mem, need);
    if (!m) return cs_error(CS_ENOMEM, "cannot allocate %zu bytes for block views", need);
    a->mem = m;
    a->cap = need;
    return 0;
}

static void *arena_take(struct cs_block_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (a->used + n > a->cap) return NULL; /* cannot happen within the bounds */
    void *p = (char *)a->mem + a->used;
    a->used += n;
    return p;
}

struct cur {
    const uint8_t *base, *p, *end;
    const char *label;
    uint64_t off0;
};

static uint64_t at(const struct cur *c)
{
    return c->off0 + (uint64_t)(c->p - c->base);
}

static int trunc_err(const struct cur *c, const char *what)
{
    return cs_error(CS_EFORMAT, "%s: byte %llu: truncated %s", c->label, (unsigned long long)at(c),
                    what);
}

static int need(struct cur *c, size_t n, const char *what)
{
    if ((size_t)(c->end - c->p) < n) return trunc_err(c, what);
    return 0;
}

static int compact(struct cur *c, uint64_t *n, const char *what)
{
    int k = cs_compact_get(c->p, (size_t)(c->end - c->p), n);
    if (k == 0) return trunc_err(c, what);
    if (k < 0)
        return cs_error(CS_EFORMAT, "%s: byte %llu: non-minimal CompactSize for %s", c->label,
                        (unsigned long long)at(c), what);
    c->p += k;
    return 0;
}

/* A count that cannot fit in the remaining bytes at min_each bytes per item. */
static int cap_count(struct cur *c, uint64_t n, size_t min_each, const char *what)
{
    if (n > (uint64_t)(c->end - c->p) / min_each)
        return cs_error(CS_ERANGE,
                        "%s: byte %llu: %s count %llu exceeds what %zu remaining bytes can hold",
                        c->label, (unsigned long long)at(c), what, (unsigned long long)n,
                        (size_t)(c->end - c->p));
    return 0;
}

static int parse_tx(struct cur *c, struct cs_tx *tx, struct cs_block_arena *a, unsigned flags)
{
    int rc;
    uint64_t n;
    const uint8_t *start = c->p;
    memset(tx, 0, sizeof *tx);
    tx->raw = start;
    if ((rc = need(c, 4, "tx version"))) return rc;
    tx->version = (int32_t)cs_le32(c->p);
    c->p += 4;
    const uint8_t *body = c->p; /* start of vin count in the stripped serialization */
    if (c->end - c->p >= 2 && c->p[0] == 0 && c->p[1] != 0) {
        if (c->p[1] != 1)
            return cs_error(CS_EFORMAT, "%s: byte %llu: segwit flag %u is not 1", c->label,
                            (unsigned long long)(at(c) + 1), c->p[1]);
        tx->segwit = 1;
        c->p += 2;
        body = c->p;
    }
    if ((rc = compact(c, &n, "input count"))) return rc;
    if ((rc = cap_count(c, n, 41, "input"))) return rc;
    if (n == 0)
        return cs_error(CS_EFORMAT, "%s: byte %llu: transaction has no inputs", c->label,
                        (unsigned long long)at(c));
    tx->n_in = (uint32_t)n;
    tx->in = arena_take(a, sizeof(struct cs_txin) * n);
    if (!tx->in)
        return cs_error(CS_ERANGE, "%s: byte %llu: too many inputs", c->label,
                        (unsigned long long)at(c));
    for (uint32_t i = 0; i < tx->n_in; i++) {
        struct cs_txin *in = &tx->in[i];
        if ((rc = need(c, 36, "outpoint"))) return rc;
        in->prev_txid = c->p;
        in->prev_vout = cs_le32(c->p + 32);
        c->p += 36;
        if ((rc = compact(c, &n, "scriptSig length"))) return rc;
        if ((rc = need(c, n, "scriptSig"))) return rc;
        in->script = c->p;
        in->script_len = (uint32_t)n;
        c->p += n;
        if ((rc = need(c, 4, "nSequence"))) return rc;
        in->sequence = cs_le32(c->p);
        c->p += 4;
    }
    if ((rc = compact(c, &n, "output count"))) return rc;
    if ((rc = cap_count(c, n, 9, "output"))) return rc;
    tx->n_out = (uint32_t)n;
    tx->out = arena_take(a, sizeof(struct cs_txout) * (n ? n : 1));
    if (!tx->out)
        return cs_error(CS_ERANGE, "%s: byte %llu: too many outputs", c->label,
                        (unsigned long long)at(c));
    for (uint32_t i = 0; i < tx->n_out; i++) {
        struct cs_txout *o = &tx->out[i];
        if ((rc = need(c, 8, "output value"))) return rc;
        o->value = (int64_t)cs_le64(c->p);
        if (o->value < 0 || o->value > 2100000000000000LL)
            return cs_error(CS_EFORMAT, "%s: byte %llu: output value %lld out of range", c->label,
                            (unsigned long long)at(c), (long long)o->value);
        c->p += 8;
        if ((rc = compact(c, &n, "scriptPubKey length"))) return rc;
        if ((rc = need(c, n, "scriptPubKey"))) return rc;
        o->script = c->p;
        o->script_len = (uint32_t)n;
        c->p += n;
    }
    const uint8_t *body_end = c->p;
    if (tx->segwit) {
        int any = 0;
        for (uint32_t i = 0; i < tx->n_in; i++) {
            struct cs_txin *in = &tx->in[i];
            const uint8_t *ws = c->p;
            if ((rc = compact(c, &n, "witness item count"))) return rc;
            if ((rc = cap_count(c, n, 1, "witness item"))) return rc;
            in->witness_items = (uint32_t)n;
            for (uint64_t k = 0; k < in->witness_items; k++) {
                uint64_t l;
                if ((rc = compact(c, &l, "witness item length"))) return rc;
                if ((rc = need(c, l, "witness item"))) return rc;
                c->p += l;
                if (l) any = 1;
            }
            in->witness = ws;
            in->witness_len = (uint32_t)(c->p - ws);
            if (in->witness_items) any = 1;
        }
        if (!any)
            return cs_error(CS_EFORMAT,
                            "%s: byte %llu: segwit transaction with all witnesses empty", c->label,
                            (unsigned long long)(c->off0 + (uint64_t)(start - c->base)));
    }
    if ((rc = need(c, 4, "locktime"))) return rc;
    tx->locktime = cs_le32(c->p);
    c->p += 4;
    tx->size = (uint32_t)(c->p - start);
    if (tx->segwit) {
        tx->stripped_size = (uint32_t)(4 + (body_end - body) + 4);
        struct cs_sha256_ctx h;
        cs_sha256_begin(&h);
        cs_sha256_add(&h, start, 4);
        cs_sha256_add(&h, body, (size_t)(body_end - body));
        cs_sha256_add(&h, c->p - 4, 4);
        cs_sha256_end(&h, 1, tx->txid);
        if (!(flags & CS_PARSE_NO_WTXID)) cs_sha256d(start, tx->size, tx->wtxid);
    } else {
        tx->stripped_size = tx->size;
        cs_sha256d(start, tx->size, tx->txid);
        memcpy(tx->wtxid, tx->txid, 32);
    }
    return 0;
}

int cs_tx_parse(struct cs_tx *tx, struct cs_block_arena *a, const uint8_t *p, size_t avail,
                size_t *used, const char *label, uint64_t base_off, unsigned flags)
{
    int rc = arena_reserve(a, avail);
    if (rc) return rc;
    struct cur c = {p, p, p + avail, label, base_off};
    rc = parse_tx(&c, tx, a, flags);
    if (rc == 0) *used = (size_t)(c.p - p);
    return rc;
}

void cs_header_parse(const uint8_t *p, struct cs_header *h, uint8_t hash[32])
{
    h->version = (int32_t)cs_le32(p);
    memcpy(h->prev, p + 4, 32);
    memcpy(h->merkle, p + 36, 32);
    h->time = cs_le32(p + 68);
    h->bits = cs_le32(p + 72);
    h->nonce = cs_le32(p + 76);
    cs_sha256d(p, 80, hash);
}

void cs_merkle_root(const uint8_t *hashes, size_t n, uint8_t *scratch, uint8_t out[32])
{
    if (n == 0) {
        memset(out, 0, 32);
        return;
    }
    memcpy(scratch, hashes, n * 32);
    while (n > 1) {
        size_t m = 0;
        for (size_t i = 0; i < n; i += 2) {
            const uint8_t *l = scratch + i * 32;
            const uint8_t *r = i + 1 < n ? l + 32 : l;
            uint8_t pair[64];
            memcpy(pair, l, 32);
            memcpy(pair + 32, r, 32);
            cs_sha256d(pair, 64, scratch + m * 32);
            m++;
        }
        n = m;
    }
    memcpy(out, scratch, 32);
}

int cs_block_parse(struct cs_block *b, struct cs_block_arena *a, const uint8_t *p, size_t len,
                   const char *label, uint64_t base_off, unsigned flags)
{
    int rc;
    struct cur c = {p, p, p + len, label, base_off};
    memset(b, 0, sizeof *b);
    if (len < 81) return trunc_err(&c, "block header");
    cs_header_parse(p, &b->hdr, b->hash);
    b->raw = p;
    b->size = (uint32_t)len;
    c.p += 80;
    if ((rc = arena_reserve(a, len))) return rc;
    uint64_t n;
    if ((rc = compact(&c, &n, "transaction count"))) return rc;
    if ((rc = cap_count(&c, n, 60, "transaction"))) return rc;
    if (n == 0)
        return cs_error(CS_EFORMAT, "%s: byte %llu: block has no transactions", label,
                        (unsigned long long)(base_off + 80));
    b->n_tx = (uint32_t)n;
    b->tx = arena_take(a, sizeof(struct cs_tx) * n);
    if (!b->tx) return cs_error(CS_ERANGE, "%s: too many transactions", label);
    for (uint32_t i = 0; i < b->n_tx; i++) {
        if ((rc = parse_tx(&c, &b->tx[i], a, flags))) return rc;
        int cb = b->tx[i].n_in == 1 && b->tx[i].in[0].prev_vout == 0xffffffffu &&
                 !memcmp(b->tx[i].in[0].prev_txid, (const uint8_t[32]){0}, 32);
        if ((i == 0) != cb)
            return cs_error(CS_EFORMAT, "%s: byte %llu: %s", label,
                            (unsigned long long)(base_off + (uint64_t)(b->tx[i].raw - p)),
                            i == 0 ? "first transaction is not a coinbase"
                                   : "coinbase transaction after the first position");
    }
    if (c.p != c.end)
        return cs_error(CS_EFORMAT, "%s: byte %llu: %zu bytes after the last transaction", label,
                        (unsigned long long)at(&c), (size_t)(c.end - c.p));
    if (!(flags & CS_PARSE_NO_MERKLE)) {
        size_t nt = b->n_tx;
        uint8_t *buf = malloc(nt * 64);
        if (!buf) return cs_error(CS_ENOMEM, "merkle scratch");
        for (size_t i = 0; i < nt; i++)
            memcpy(buf + i * 32, b->tx[i].txid, 32);
        uint8_t root[32];
        cs_merkle_root(buf, nt, buf + nt * 32, root);
        free(buf);
        if (memcmp(root, b->hdr.merkle, 32) != 0) {
            char want[65], got[65], bh[65];
            cs_hex_rev(want, b->hdr.merkle);
            cs_hex_rev(got, root);
            cs_hex_rev(bh, b->hash);
            return cs_error(
                CS_ECONSENSUS,
                "%s: byte %llu: block %s: merkle root mismatch (header %s, computed %s)", label,
                (unsigned long long)base_off, bh, want, got);
        }
    }
    return 0;
}

/* ---- 256-bit arithmetic for targets and chain work ---- */
int cs_bits_to_target(uint32_t bits, uint64_t t[4])
{
    memset(t, 0, 32);
    uint32_t mant = bits & 0x7fffff;
    int exp = (int)(bits >> 24);
    if ((bits & 0x800000) && mant) return -1;
    if (exp <= 3) {
        mant >>= 8 * (3 - exp);
        t[0] = mant;
        return 0;
    }
    int shift = 8 * (exp - 3);
    if (shift > 255 - 23 && mant) {
        /* overflow unless the high bits are zero */
        if (shift >= 256) return -1;
    }
    for (int i = 0; i < 4; i++) {
        int lo = i * 64;
        /* bits of mant placed at [shift, shift+24) */
        if (shift + 24 <= lo || shift >= lo + 64) continue;
        if (shift >= lo)
            t[i] |= (uint64_t)mant << (shift - lo);
        else
            t[i] |= (uint64_t)mant >> (lo - shift);
    }
    return 0;
}

static int u256_is_zero(const uint64_t a[4])
{
    return !(a[0] | a[1] | a[2] | a[3]);
}

void cs_work_add(uint64_t a[4], const uint64_t b[4])
{
    unsigned __int128 carry = 0;
    for (int i = 0; i < 4; i++) {
        carry += (unsigned __int128)a[i] + b[i];
        a[i] = (uint64_t)carry;
        carry >>= 64;
    }
}

int cs_work_cmp(const uint64_t a[4], const uint64_t b[4])
{
    for (int i = 3; i >= 0; i--) {
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return 0;
}

/* work = floor(2^256 / (target+1)) = floor(~target / (target+1)) + 1 (as Core does),
 * by binary long division. */
void cs_work_from_bits(uint32_t bits, uint64_t work[4])
{
    uint64_t t[4], d[4], num[4], q[4] = {0}, r[4] = {0};
    memset(work, 0, 32);
    if (cs_bits_to_target(bits, t) || u256_is_zero(t)) return;
    memcpy(d, t, 32);
    uint64_t one[4] = {1, 0, 0, 0};
    cs_work_add(d, one); /* target + 1 (target < 2^256 - 1 in practice) */
    for (int i = 0; i < 4; i++)
        num[i] = ~t[i];
    for (int bit = 255; bit >= 0; bit--) {
        /* r = (r << 1) | bit of num */
        for (int i = 3; i > 0; i--)
            r[i] = (r[i] << 1) | (r[i - 1] >> 63);
        r[0] = (r[0] << 1) | ((num[bit / 64] >> (bit % 64)) & 1);
        if (cs_work_cmp(r, d) >= 0) {
            unsigned __int128 borrow = 0;
            for (int i = 0; i < 4; i++) {
                unsigned __int128 x = (unsigned __int128)r[i] - d[i] - (uint64_t)borrow;
                r[i] = (uint64_t)x;
                borrow = (x >> 64) ? 1 : 0;
            }
            q[bit / 64] |= 1ULL << (bit % 64);
        }
    }
    cs_work_add(q, one);
    memcpy(work, q, 32);
}

int cs_check_pow(const uint8_t hash[32], uint32_t bits)
{
    uint64_t t[4], h[4];
    if (cs_bits_to_target(bits, t)) return 0;
    for (int i = 0; i < 4; i++)
        h[i] = cs_le64(hash + 8 * i);
    return cs_work_cmp(h, t) <= 0;
}
