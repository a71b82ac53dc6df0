/* era1.c — Era1 archive reader: e2store record walk, block index, per-block
 * decode and the checks listed in era1.h, and the SSZ accumulator.
 *
 * Layout is checked once at open from the 8-byte record headers alone, so
 * a truncated file or a bad record length is reported before any block is
 * decoded.  Blocks are decoded lazily, one per cs_era1_next(), into buffers
 * owned by the handle; nothing is copied out of the decompressed RLP (the
 * views in struct cs_era1_block point into it). */
#include "evm/era1.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evm/snappy.h"
#include "evm/trie.h"
#include "util/codec.h"
#include "util/hash.h"
#include "util/keccak.h"

#define E2S_HDR 8

struct tuple {
    uint64_t off[4]; /* record offsets: header, body, receipts, total difficulty */
};

struct cs_era1 {
    char label[256];
    const uint8_t *data;
    size_t len;
    void *map; /* when we mapped the file ourselves */
    unsigned flags;
    uint64_t start, count;
    struct tuple *tuples;
    const uint8_t *acc;
    uint64_t acc_off;
    uint64_t next; /* index of the next block to decode */
    int failed;
    int done;
    struct buf {
        uint8_t *p;
        size_t cap;
    } hbuf, bbuf, rbuf; /* decompressed entries: grow by doubling up to their caps */
    uint8_t ommers[32]; /* keccak of the body's uncle list */
    struct cs_eth_tx *tx;
    struct cs_eth_receipt *rcpt;
    size_t tx_cap;
    struct cs_eth_log *log;
    size_t log_cap;
    struct cs_trie_entry *ent;
    uint8_t prev_hash[32];
    struct cs_u256 prev_td;
    uint8_t (*leaves)[32]; /* HeaderRecord roots, then merkleization scratch */
    struct cs_era1_block blk;
    struct cs_era1_totals tot;
};

/* ---- record layout ---- */

/* Reads the record header at off: it must lie, with its data, inside the file. */
static int record(const struct cs_era1 *e, uint64_t off, uint16_t *type, uint32_t *len)
{
    if (off > e->len || e->len - off < E2S_HDR)
        return cs_error(CS_EFORMAT, "%s: byte %llu: truncated e2store record header", e->label,
                        (unsigned long long)off);
    const uint8_t *h = e->data + off;
    *type = cs_le16(h);
    *len = cs_le32(h + 2);
    if (cs_le16(h + 6) != 0)
        return cs_error(CS_EFORMAT, "%s: byte %llu: e2store reserved field is %u, not 0", e->label,
                        (unsigned long long)off, cs_le16(h + 6));
    if (*len > e->len - off - E2S_HDR)
        return cs_error(CS_EFORMAT,
                        "%s: byte %llu: e2store record of type 0x%04x claims %u bytes, %llu remain",
                        e->label, (unsigned long long)off, *type, *len,
                        (unsigned long long)(e->len - off - E2S_HDR));
    return 0;
}

static int walk(struct cs_era1 *e)
{
    uint16_t type;
    uint32_t len;
    int rc;
    if ((rc = record(e, 0, &type, &len))) return rc;
    if (type != CS_E2S_VERSION || len != 0)
        return cs_error(CS_EFORMAT, "%s: byte 0: not an e2store Version record (type 0x%04x)",
                        e->label, type);
    /* the index's count is the file's last 8 bytes; cap it before allocating */
    if (e->len < E2S_HDR + 24)
        return cs_error(CS_EFORMAT, "%s: byte %zu: file too short for a block index", e->label,
                        e->len);
    uint64_t claimed = cs_le64(e->data + e->len - 8);
    if (claimed == 0 || claimed > CS_ERA1_MAX_BLOCKS)
        return cs_error(CS_ERANGE, "%s: byte %zu: block index count %llu not in 1..%d", e->label,
                        e->len - 8, (unsigned long long)claimed, CS_ERA1_MAX_BLOCKS);
    e->tuples = calloc(claimed, sizeof *e->tuples);
    e->leaves = calloc(claimed + 1, 32);
    if (!e->tuples || !e->leaves) return cs_error(CS_ENOMEM, "%s: out of memory", e->label);
    uint64_t n = 0, off = E2S_HDR, index_off = 0;
    int after_blocks = 0;
    while (off < e->len) {
        if ((rc = record(e, off, &type, &len))) return rc;
        if (type == CS_E2S_HEADER) {
            static const uint16_t order[4] = {CS_E2S_HEADER, CS_E2S_BODY, CS_E2S_RECEIPTS,
                                              CS_E2S_TD};
            static const char *const names[4] = {"CompressedHeader", "CompressedBody",
                                                 "CompressedReceipts", "TotalDifficulty"};
            if (after_blocks)
                return cs_error(CS_EFORMAT, "%s: byte %llu: block tuple after other entries",
                                e->label, (unsigned long long)off);
            if (n == claimed)
                return cs_error(CS_ECORRUPT,
                                "%s: byte %llu: more block tuples than the %llu in "
                                "the block index",
                                e->label, (unsigned long long)off, (unsigned long long)claimed);
            for (int k = 0; k < 4; k++) {
                if (k && (rc = record(e, off, &type, &len))) return rc;
                if (type != order[k])
                    return cs_error(CS_EFORMAT,
                                    "%s: byte %llu: block %llu: expected %s, found "
                                    "record type 0x%04x",
                                    e->label, (unsigned long long)off, (unsigned long long)n,
                                    names[k], type);
                if (k == 3 && len != 32)
                    return cs_error(CS_EFORMAT,
                                    "%s: byte %llu: TotalDifficulty of %u bytes, "
                                    "expected 32",
                                    e->label, (unsigned long long)off, len);
                e->tuples[n].off[k] = off;
                off += E2S_HDR + (uint64_t)len;
            }
            n++;
            continue;
        }
        after_blocks = 1;
        if (type == CS_E2S_ACCUMULATOR) {
            if (len != 32)
                return cs_error(CS_EFORMAT, "%s: byte %llu: Accumulator of %u bytes, expected 32",
                                e->label, (unsigned long long)off, len);
            e->acc = e->data + off + E2S_HDR;
            e->acc_off = off;
        } else if (type == CS_E2S_BLOCK_INDEX) {
            index_off = off;
            if (off + E2S_HDR + len != e->len)
                return cs_error(CS_EFORMAT, "%s: byte %llu: BlockIndex is not the last record",
                                e->label, (unsigned long long)off);
        }
        off += E2S_HDR + (uint64_t)len;
    }
    if (!index_off)
        return cs_error(CS_EFORMAT, "%s: byte %zu: no BlockIndex record", e->label, e->len);
    if (!e->acc)
        return cs_error(CS_EFORMAT, "%s: byte %llu: no Accumulator record before the index",
                        e->label, (unsigned long long)index_off);
    /* the index: start, one offset per block (relative to the index record), count */
    const uint8_t *ix = e->data + index_off + E2S_HDR;
    uint64_t ix_len = e->len - index_off - E2S_HDR;
    if (ix_len != 16 + 8 * claimed)
        return cs_error(CS_EFORMAT,
                        "%s: byte %llu: BlockIndex of %llu bytes, expected %llu for "
                        "%llu blocks",
                        e->label, (unsigned long long)index_off, (unsigned long long)ix_len,
                        (unsigned long long)(16 + 8 * claimed), (unsigned long long)claimed);
    if (n != claimed)
        return cs_error(CS_ECORRUPT,
                        "%s: byte %llu: %llu block tuples but the block index counts "
                        "%llu",
                        e->label, (unsigned long long)index_off, (unsigned long long)n,
                        (unsigned long long)claimed);
    e->start = cs_le64(ix);
    if (e->start > UINT64_MAX - CS_ERA1_MAX_BLOCKS)
        return cs_error(CS_ERANGE, "%s: byte %llu: starting block number %llu out of range",
                        e->label, (unsigned long long)index_off, (unsigned long long)e->start);
    for (uint64_t i = 0; i < n; i++) {
        int64_t rel = (int64_t)cs_le64(ix + 8 + 8 * i);
        uint64_t at = index_off + (uint64_t)rel; /* wraps as two's complement: exact */
        if (at != e->tuples[i].off[0])
            return cs_error(CS_ECORRUPT,
                            "%s: byte %llu: block index entry %llu points to byte "
                            "%lld, but block %llu's header record is at byte %llu",
                            e->label, (unsigned long long)(index_off + E2S_HDR + 8 + 8 * i),
                            (unsigned long long)i, (long long)at,
                            (unsigned long long)(e->start + i),
                            (unsigned long long)e->tuples[i].off[0]);
    }
    e->count = n;
    return 0;
}

static int setup(struct cs_era1 *e)
{
    return walk(e);
}

int cs_era1_open_mem(struct cs_era1 **out, const uint8_t *data, size_t len, const char *label,
                     unsigned flags)
{
    struct cs_era1 *e = calloc(1, sizeof *e);
    if (!e) return cs_error(CS_ENOMEM, "%s: out of memory", label);
    snprintf(e->label, sizeof e->label, "%s", label);
    e->data = data;
    e->len = len;
    e->flags = flags;
    int rc = setup(e);
    if (rc) {
        cs_era1_close(e);
        return rc;
    }
    *out = e;
    return 0;
}

int cs_era1_open(struct cs_era1 **out, const char *path, unsigned flags)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cs_error(CS_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return cs_error(CS_EIO, "%s: cannot stat: %s", path, strerror(err));
    }
    size_t len = (size_t)st.st_size;
    void *map = NULL;
    if (len > 0) {
        map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            int err = errno;
            close(fd);
            return cs_error(CS_EIO, "%s: cannot map %zu bytes: %s", path, len, strerror(err));
        }
        madvise(map, len, MADV_SEQUENTIAL);
    }
    close(fd);
    static const uint8_t empty[1];
    struct cs_era1 *e = NULL;
    int rc = cs_era1_open_mem(&e, map ? map : empty, len, path, flags);
    if (rc) {
        if (map) munmap(map, len);
        return rc;
    }
    e->map = map;
    *out = e;
    return 0;
}

void cs_era1_close(struct cs_era1 *e)
{
    if (!e) return;
    if (e->map) munmap(e->map, e->len);
    free(e->tuples);
    free(e->leaves);
    free(e->hbuf.p);
    free(e->bbuf.p);
    free(e->rbuf.p);
    free(e->tx);
    free(e->rcpt);
    free(e->log);
    free(e->ent);
    free(e);
}

uint64_t cs_era1_start(const struct cs_era1 *e)
{
    return e->start;
}
uint64_t cs_era1_count(const struct cs_era1 *e)
{
    return e->count;
}
const uint8_t *cs_era1_accumulator(const struct cs_era1 *e)
{
    return e->acc;
}
void cs_era1_totals(const struct cs_era1 *e, struct cs_era1_totals *out)
{
    *out = e->tot;
}

/* ---- per block ---- */

/* Decompresses the record at off into buf, growing it by doubling (from
 * 64 KiB, and decoding again) until the entry fits or cap is reached; sets
 * *n.  what and num are added to a framing error ("FILE: byte N: snappy
 * frame: ... (block B header)"). */
static int inflate(struct cs_era1 *e, uint64_t off, struct buf *buf, size_t cap, size_t *n,
                   uint64_t num, const char *what)
{
    uint32_t len = cs_le32(e->data + off + 2); /* checked by walk() */
    int rc;
    for (;;) {
        if (buf->cap == 0) {
            size_t first = cap < (64u << 10) ? cap : (64u << 10);
            if (!(buf->p = malloc(first)))
                return cs_error(CS_ENOMEM, "%s: out of memory for a %s", e->label, what);
            buf->cap = first;
        }
        rc = cs_snappy_frame_decode(buf->p, buf->cap, n, e->data + off + E2S_HDR, len, e->label,
                                    off + E2S_HDR);
        if (rc != CS_ERANGE || buf->cap >= cap) break;
        size_t more = buf->cap * 2 < cap ? buf->cap * 2 : cap;
        uint8_t *p = realloc(buf->p, more);
        if (!p)
            return cs_error(CS_ENOMEM, "%s: out of memory for a %zu-byte %s", e->label, more, what);
        buf->p = p;
        buf->cap = more;
    }
    if (rc) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", cs_errmsg());
        return cs_error(rc, "%s (block %llu %s)", msg, (unsigned long long)num, what);
    }
    e->tot.bytes_decompressed += *n;
    return 0;
}

static int grow_tx(struct cs_era1 *e, size_t need)
{
    if (need <= e->tx_cap) return 0;
    size_t cap = e->tx_cap ? e->tx_cap * 2 : 256;
    while (cap < need)
        cap *= 2;
    struct cs_eth_tx *tx = realloc(e->tx, cap * sizeof *tx);
    if (!tx) return cs_error(CS_ENOMEM, "%s: out of memory for %zu transactions", e->label, cap);
    e->tx = tx;
    struct cs_eth_receipt *r = realloc(e->rcpt, cap * sizeof *r);
    if (!r) return cs_error(CS_ENOMEM, "%s: out of memory for %zu receipts", e->label, cap);
    e->rcpt = r;
    struct cs_trie_entry *t = realloc(e->ent, cap * sizeof *t);
    if (!t) return cs_error(CS_ENOMEM, "%s: out of memory for %zu trie entries", e->label, cap);
    e->ent = t;
    e->tx_cap = cap;
    return 0;
}

static int push_log(struct cs_era1 *e, uint32_t n, struct cs_eth_log **out)
{
    if (n >= CS_ETH_LOG_MAX)
        return cs_error(CS_ERANGE, "more than %u logs in one block", CS_ETH_LOG_MAX);
    if (n == e->log_cap) {
        size_t cap = e->log_cap ? e->log_cap * 2 : 1024;
        struct cs_eth_log *l = realloc(e->log, cap * sizeof *l);
        if (!l) return cs_error(CS_ENOMEM, "out of memory for %zu logs", cap);
        e->log = l;
        e->log_cap = cap;
    }
    *out = &e->log[n];
    return 0;
}

static int decode_log(struct cs_eth_log *lg, const struct cs_rlp_item *item)
{
    struct cs_rlp_item f[3], t;
    struct cs_rlp_iter it;
    size_t n;
    int rc;
    if ((rc = cs_rlp_list(item, f, 3, 3, &n, "log")) ||
        (rc = cs_rlp_fixed(&f[0], lg->address, 20, "log address")) ||
        (rc = cs_rlp_iter_init(&it, &f[1], "log topics")))
        return rc;
    lg->n_topics = 0;
    while ((rc = cs_rlp_next(&it, &t)) == 1) {
        if (lg->n_topics == 4)
            return cs_error(CS_EFORMAT, "rlp: byte %zu: log has more than 4 topics", f[1].off);
        if (t.is_list || t.len != 32)
            return cs_error(CS_EFORMAT, "rlp: byte %zu: log topic is not 32 bytes", t.off);
        lg->topic[lg->n_topics++] = t.payload;
    }
    if (rc < 0) return rc;
    return cs_rlp_string(&f[2], &lg->data, &lg->data_len, "log data");
}

/* One receipt as listed in an Era1 receipts entry (legacy list, or a string
 * holding type || RLP). */
static int decode_receipt(struct cs_era1 *e, struct cs_eth_receipt *r,
                          const struct cs_rlp_item *item, uint32_t *n_log)
{
    struct cs_rlp_item body, f[4], li;
    struct cs_rlp_iter it;
    size_t n;
    int rc;
    memset(r, 0, sizeof *r);
    if (item->is_list) {
        body = *item;
        r->enc = item->raw;
        r->enc_len = item->raw_len;
    } else {
        if (item->len == 0 || item->payload[0] >= 0x7f)
            return cs_error(CS_EFORMAT, "rlp: byte %zu: receipt: bad typed envelope", item->off);
        r->type = item->payload[0];
        size_t hdr = (size_t)(item->payload - item->raw);
        if ((rc = cs_rlp_decode_all(&body, item->payload + 1, item->len - 1, item->off + hdr + 1)))
            return rc;
        r->enc = item->payload;
        r->enc_len = item->len;
    }
    const uint8_t *st, *bloom;
    size_t st_len, bloom_len;
    if ((rc = cs_rlp_list(&body, f, 4, 4, &n, "receipt")) ||
        (rc = cs_rlp_string(&f[0], &st, &st_len, "receipt status")) ||
        (rc = cs_rlp_u64(&f[1], &r->cumulative_gas, "cumulativeGasUsed")) ||
        (rc = cs_rlp_string(&f[2], &bloom, &bloom_len, "receipt logsBloom")) ||
        (rc = cs_rlp_iter_init(&it, &f[3], "receipt logs")))
        return rc;
    if (st_len == 32) {
        memcpy(r->post_state, st, 32);
    } else if (st_len == 0 || (st_len == 1 && st[0] == 1)) {
        r->has_status = 1;
        r->status = (uint8_t)st_len;
    } else {
        return cs_error(CS_EFORMAT, "rlp: byte %zu: receipt status is neither 0, 1 nor a root",
                        f[0].off);
    }
    if (bloom_len != 256)
        return cs_error(CS_EFORMAT, "rlp: byte %zu: receipt logsBloom of %zu bytes", f[2].off,
                        bloom_len);
    r->bloom = bloom;
    r->first_log = *n_log;
    while ((rc = cs_rlp_next(&it, &li)) == 1) {
        struct cs_eth_log *lg = NULL;
        if ((rc = push_log(e, *n_log, &lg)) || (rc = decode_log(lg, &li))) return rc;
        (*n_log)++;
    }
    if (rc < 0) return rc;
    r->n_logs = *n_log - r->first_log;
    return 0;
}

static void hex32(char out[65], const uint8_t h[32])
{
    cs_hex(out, h, 32);
}

static int root_mismatch(struct cs_era1 *e, uint64_t off, uint64_t num, const char *what,
                         const uint8_t want[32], const uint8_t have[32])
{
    char w[65], h[65];
    hex32(w, want);
    hex32(h, have);
    return cs_error(CS_ECORRUPT, "%s: byte %llu: block %llu: %s: header says %s, recomputed %s",
                    e->label, (unsigned long long)off, (unsigned long long)num, what, w, h);
}

static int decode_body(struct cs_era1 *e, struct cs_era1_block *b, size_t blen)
{
    struct cs_rlp_item top, parts[3], item;
    struct cs_rlp_iter it;
    size_t n;
    int rc;
    if ((rc = cs_rlp_decode_all(&top, e->bbuf.p, blen, 0)) ||
        (rc = cs_rlp_list(&top, parts, 2, 3, &n, "body")) ||
        (rc = cs_rlp_iter_init(&it, &parts[0], "transactions")))
        return rc;
    uint32_t ntx = 0;
    while ((rc = cs_rlp_next(&it, &item)) == 1) {
        if (ntx == CS_ETH_TX_MAX)
            return cs_error(CS_ERANGE, "more than %d transactions", CS_ETH_TX_MAX);
        if ((rc = grow_tx(e, ntx + 1))) return rc;
        if ((rc = cs_eth_tx_decode(&e->tx[ntx], &item)))
            return cs_error_prefix(rc, "transaction %u: ", ntx);
        ntx++;
    }
    if (rc < 0) return rc;
    b->n_tx = ntx;
    /* uncles: each a full header; the list's keccak is ommersHash */
    if ((rc = cs_rlp_iter_init(&it, &parts[1], "uncles"))) return rc;
    b->n_uncles = 0;
    while ((rc = cs_rlp_next(&it, &item)) == 1) {
        struct cs_eth_header uh;
        if (b->n_uncles == CS_ETH_UNCLE_MAX)
            return cs_error(CS_EFORMAT, "more than %d uncles", CS_ETH_UNCLE_MAX);
        if ((rc = cs_eth_header_decode(&uh, item.raw, item.raw_len)))
            return cs_error_prefix(rc, "uncle %u (body byte %zu): ", b->n_uncles, item.off);
        memcpy(b->uncle_hash[b->n_uncles++], uh.hash, 32);
    }
    if (rc < 0) return rc;
    cs_keccak256(parts[1].raw, parts[1].raw_len, e->ommers);
    return 0;
}

static int decode_receipts(struct cs_era1 *e, struct cs_era1_block *b, size_t rlen)
{
    struct cs_rlp_item top, item;
    struct cs_rlp_iter it;
    int rc;
    if ((rc = cs_rlp_decode_all(&top, e->rbuf.p, rlen, 0)) ||
        (rc = cs_rlp_iter_init(&it, &top, "receipts")))
        return rc;
    uint32_t nr = 0, nlog = 0;
    while ((rc = cs_rlp_next(&it, &item)) == 1) {
        if (nr == b->n_tx)
            return cs_error(CS_ECORRUPT, "more receipts than the %u transactions", b->n_tx);
        if ((rc = decode_receipt(e, &e->rcpt[nr], &item, &nlog)))
            return cs_error_prefix(rc, "receipt %u: ", nr);
        nr++;
    }
    if (rc < 0) return rc;
    if (nr != b->n_tx) return cs_error(CS_ECORRUPT, "%u receipts for %u transactions", nr, b->n_tx);
    b->n_log = nlog;
    return 0;
}

/* SSZ hash_tree_root(List[HeaderRecord, 8192]) over the leaves gathered. */
static void accumulator_root(struct cs_era1 *e, uint8_t out[32])
{
    uint8_t zero[32] = {0}, pair[64];
    size_t n = (size_t)e->count;
    uint8_t(*lv)[32] = e->leaves; /* count + 1 slots: room for an odd level's pad */
    for (unsigned depth = 0; (1u << depth) < CS_ERA1_MAX_BLOCKS; depth++) {
        if (n % 2) memcpy(lv[n++], zero, 32);
        for (size_t i = 0; i < n / 2; i++) {
            memcpy(pair, lv[2 * i], 32);
            memcpy(pair + 32, lv[2 * i + 1], 32);
            cs_sha256(pair, 64, lv[i]);
        }
        n /= 2;
        memcpy(pair, zero, 32);
        memcpy(pair + 32, zero, 32);
        cs_sha256(pair, 64, zero); /* the zero subtree one level up */
    }
    memcpy(pair, lv[0], 32);
    memset(pair + 32, 0, 32);
    cs_put_le64(pair + 32, e->count); /* mix_in_length: uint256 little-endian */
    cs_sha256(pair, 64, out);
}

static int finish(struct cs_era1 *e)
{
    uint8_t root[32];
    accumulator_root(e, root);
    if (memcmp(root, e->acc, 32) != 0) {
        char w[65], h[65];
        hex32(w, e->acc);
        hex32(h, root);
        return cs_error(
            CS_ECORRUPT, "%s: byte %llu: accumulator: the file says %s, the %llu blocks give %s",
            e->label, (unsigned long long)e->acc_off, w, (unsigned long long)e->count, h);
    }
    if (e->tot.blocks != e->count)
        BUG("%llu blocks decoded, %llu indexed", (unsigned long long)e->tot.blocks,
            (unsigned long long)e->count);
    return 0;
}

static int next_block(struct cs_era1 *e, struct cs_era1_block *b)
{
    const struct tuple *t = &e->tuples[e->next];
    uint64_t num = e->start + e->next;
    size_t hlen, blen, rlen;
    int rc;
    memset(b, 0, sizeof *b);
    b->file_off = t->off[0];
#define PREFIX(k, what)                                                                            \
    cs_error_prefix(rc, "%s: byte %llu: block %llu: %s: ", e->label,                               \
                    (unsigned long long)(t->off[k] + E2S_HDR), (unsigned long long)num, what)
    /* header */
    if ((rc = inflate(e, t->off[0], &e->hbuf, CS_ERA1_HEADER_MAX, &hlen, num, "header"))) return rc;
    if ((rc = cs_eth_header_decode(&b->header, e->hbuf.p, hlen)))
        return PREFIX(0, "decompressed header");
    const struct cs_eth_header *h = &b->header;
    if (h->number != num)
        return cs_error(CS_ECORRUPT, "%s: byte %llu: block %llu: header number is %llu", e->label,
                        (unsigned long long)t->off[0], (unsigned long long)num,
                        (unsigned long long)h->number);
    if (e->next > 0 && memcmp(h->parent_hash, e->prev_hash, 32) != 0)
        return root_mismatch(e, t->off[0], num, "parentHash vs keccak(previous header)",
                             h->parent_hash, e->prev_hash);
    /* body */
    if ((rc = inflate(e, t->off[1], &e->bbuf, CS_ERA1_BODY_MAX, &blen, num, "body"))) return rc;
    if ((rc = decode_body(e, b, blen))) return PREFIX(1, "decompressed body");
    const uint8_t *ommers = e->ommers;
    if (memcmp(ommers, h->ommers_hash, 32) != 0)
        return root_mismatch(e, t->off[1], num, "ommersHash", h->ommers_hash, ommers);
    uint8_t root[32];
    for (uint32_t i = 0; i < b->n_tx; i++) {
        e->ent[i].value = e->tx[i].enc;
        e->ent[i].value_len = e->tx[i].enc_len;
    }
    if ((rc = cs_trie_index_root(root, e->ent, b->n_tx))) return PREFIX(1, "transactions trie");
    if (memcmp(root, h->tx_root, 32) != 0)
        return root_mismatch(e, t->off[1], num, "transactionsRoot", h->tx_root, root);
    /* receipts */
    if ((rc = inflate(e, t->off[2], &e->rbuf, CS_ERA1_RECEIPTS_MAX, &rlen, num, "receipts")))
        return rc;
    if ((rc = decode_receipts(e, b, rlen))) return PREFIX(2, "decompressed receipts");
    uint64_t prev_gas = 0;
    for (uint32_t i = 0; i < b->n_tx; i++) {
        struct cs_eth_receipt *r = &e->rcpt[i];
        if (r->type != e->tx[i].type || r->cumulative_gas < prev_gas)
            return cs_error(CS_ECORRUPT, "%s: byte %llu: block %llu: receipt %u: %s", e->label,
                            (unsigned long long)t->off[2], (unsigned long long)num, i,
                            r->type != e->tx[i].type ? "type differs from its transaction's"
                                                     : "cumulativeGasUsed decreases");
        r->gas_used = r->cumulative_gas - prev_gas;
        prev_gas = r->cumulative_gas;
        e->ent[i].value = r->enc;
        e->ent[i].value_len = r->enc_len;
    }
    if (prev_gas != h->gas_used)
        return cs_error(CS_ECORRUPT,
                        "%s: byte %llu: block %llu: receipts use %llu gas, header "
                        "says %llu",
                        e->label, (unsigned long long)t->off[2], (unsigned long long)num,
                        (unsigned long long)prev_gas, (unsigned long long)h->gas_used);
    if ((rc = cs_trie_index_root(root, e->ent, b->n_tx))) return PREFIX(2, "receipts trie");
    if (memcmp(root, h->receipts_root, 32) != 0)
        return root_mismatch(e, t->off[2], num, "receiptsRoot", h->receipts_root, root);
    /* total difficulty: little-endian u256 */
    uint8_t td_le[32], td_be[32], leaf[64];
    memcpy(td_le, e->data + t->off[3] + E2S_HDR, 32);
    for (int i = 0; i < 32; i++)
        td_be[i] = td_le[31 - i];
    cs_u256_from_be(&b->total_difficulty, td_be);
    struct cs_u256 want = h->difficulty;
    if ((e->next > 0 || num == 0) &&
        ((e->next > 0 && cs_u256_add(&want, &e->prev_td, &h->difficulty) != 0) ||
         cs_u256_cmp(&want, &b->total_difficulty) != 0)) {
        char w[CS_U256_DEC_MAX], s[CS_U256_DEC_MAX];
        cs_u256_to_dec(w, &want);
        cs_u256_to_dec(s, &b->total_difficulty);
        return cs_error(CS_ECORRUPT,
                        "%s: byte %llu: block %llu: total difficulty %s, expected "
                        "%s (previous + difficulty)",
                        e->label, (unsigned long long)t->off[3], (unsigned long long)num, s, w);
    }
    /* senders */
    if (!(e->flags & CS_ERA1_NO_SENDERS))
        for (uint32_t i = 0; i < b->n_tx; i++)
            if ((rc = cs_eth_tx_recover(&e->tx[i])))
                return cs_error_prefix(rc, "%s: byte %llu: block %llu: transaction %u: ", e->label,
                                       (unsigned long long)t->off[1], (unsigned long long)num, i);
#undef PREFIX
    memcpy(leaf, h->hash, 32);
    memcpy(leaf + 32, td_le, 32);
    cs_sha256(leaf, 64, e->leaves[e->next]);
    memcpy(e->prev_hash, h->hash, 32);
    e->prev_td = b->total_difficulty;
    b->tx = e->tx;
    b->receipt = e->rcpt;
    b->log = e->log;
    e->tot.blocks++;
    e->tot.txs += b->n_tx;
    e->tot.receipts += b->n_tx;
    e->tot.logs += b->n_log;
    e->tot.uncles += b->n_uncles;
    if (!(e->flags & CS_ERA1_NO_SENDERS)) e->tot.senders += b->n_tx;
    return 0;
}

int cs_era1_next(struct cs_era1 *e, const struct cs_era1_block **out)
{
    if (e->failed) return cs_error(CS_EUSAGE, "%s: an earlier error stopped this reader", e->label);
    if (e->done) return 0;
    int rc;
    if (e->next == e->count) {
        if ((rc = finish(e))) {
            e->failed = 1;
            return rc;
        }
        e->done = 1;
        return 0;
    }
    if ((rc = next_block(e, &e->blk))) {
        e->failed = 1;
        return rc;
    }
    e->next++;
    *out = &e->blk;
    return 1;
}
