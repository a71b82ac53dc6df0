/* store.c — the EVM schema on the engine (see store.h for the layout).
 *
 * Why the tail can always be undone: within one block the rows are appended
 * before the in-place heads point at them (a transfer's xfer, xnout and xnin
 * rows before aout/ain of its accounts), and no written row is all zero, so
 * the tail is the run of non-zero rows after each committed count and the
 * heads are restored from the tail transfers' own xnout/xnin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "evm/store.h"
#include "store/engine.h"
#include "util/codec.h"
#include "util/hash.h"

enum {
    C_BLK, C_TX, C_TXHASH, C_ACCT, C_AOUT, C_AIN, C_XFER, C_XNOUT, C_XNIN, C_BIG, C_TOK, C_LOG,
    C_LOGD, NC
};
static const struct cs_colspec COLS[NC] = {
    [C_BLK] = {"blk.col", sizeof(struct cs_evm_blockrec), 1},
    [C_TX] = {"tx.col", sizeof(struct cs_evm_txrec), 1},
    [C_TXHASH] = {"txhash.col", 32, 1},
    [C_ACCT] = {"acct.col", sizeof(struct cs_evm_acctrec), 1},
    [C_AOUT] = {"aout.col", 8, 0},
    [C_AIN] = {"ain.col", 8, 0},
    [C_XFER] = {"xfer.col", sizeof(struct cs_evm_xferrec), 1},
    [C_XNOUT] = {"xnout.col", 8, 1},
    [C_XNIN] = {"xnin.col", 8, 1},
    [C_BIG] = {"big.col", 32, 1},
    [C_TOK] = {"tok.col", sizeof(struct cs_evm_tokrec), 1},
    [C_LOG] = {"log.col", sizeof(struct cs_evm_logrec), 1},
    [C_LOGD] = {"logd.col", 1, 1},
};
enum { I_TX, I_ACCT };
static const char *const IDX_NAMES[] = {"txhash.idx", "acct.idx"};

_Static_assert(sizeof(struct cs_evm_xferrec) == 40, "transfer rows are 40 bytes");
_Static_assert(sizeof(struct cs_evm_acctrec) == 24, "account rows are 24 bytes");
_Static_assert(sizeof(struct cs_evm_logrec) == 168, "log rows are 168 bytes");

struct cs_evm {
    struct cs_engine e;
    int mode;
    const struct cs_evm_chain *chain;
    uint64_t chain_id;
    struct cs_evm_counts committed, cur, high;
    const struct cs_evm_counts *vis;
    /* writer: a filter of the look-alike keys (first and last 2 bytes) of the
     * accounts before the current block; 16 bits per account, rebuilt from
     * acct.col when it fills; a set bit may be a false positive, never the
     * other way round */
    uint64_t *lk_bits, lk_nbits, lk_upto;
};

static uint64_t *count_of(struct cs_evm_counts *k, int c)
{
    switch (c) {
    case C_BLK:
        return &k->blocks;
    case C_TX:
    case C_TXHASH:
        return &k->tx;
    case C_ACCT:
    case C_AOUT:
    case C_AIN:
        return &k->acct;
    case C_XFER:
    case C_XNOUT:
    case C_XNIN:
        return &k->xfer;
    case C_BIG:
        return &k->big;
    case C_LOG:
        return &k->log;
    case C_LOGD:
        return &k->logd;
    default:
        return &k->tok;
    }
}

static void rows_of(const struct cs_evm_counts *k, uint64_t *rows)
{
    for (int c = 0; c < NC; c++)
        rows[c] = *count_of((struct cs_evm_counts *)k, c);
}

static inline uint8_t *row(const struct cs_evm *s, int c, uint64_t r)
{
    return cs_engine_row(&s->e, c, r);
}

static void check_row(const struct cs_evm *s, int c, uint64_t r, uint64_t n)
{
    if (r >= n)
        BUG("%s/%s: row %llu of %llu", s->e.dir, COLS[c].name, (unsigned long long)r,
            (unsigned long long)n);
}

/* ---------------- indexes ---------------- */

static void key_hash(const uint8_t *key, size_t len, uint64_t *home, uint32_t *tag)
{
    uint64_t h = cs_hash64(key, len, 0x65766d6b6579ULL);
    *home = h;
    *tag = (uint32_t)(h >> 40);
}

static int idx_rebuild(struct cs_evm *s, int i, uint64_t rows, uint64_t cap)
{
    struct cs_hidx nx;
    int rc = cs_engine_idx_create_tmp(&s->e, i, cap, &nx);
    if (rc) return rc;
    for (uint64_t r = i == I_TX ? 0 : 1; r < rows; r++) {
        uint64_t home;
        uint32_t tag;
        if (i == I_TX)
            key_hash(row(s, C_TXHASH, r), 32, &home, &tag);
        else
            key_hash(row(s, C_ACCT, r), 20, &home, &tag);
        cs_hidx_put(&nx, home, tag, r, r);
    }
    return cs_engine_idx_replace(&s->e, i, &nx);
}

static int idx_grow_for(struct cs_evm *s, int i, uint64_t rows_after)
{
    const struct cs_hidx *x = &s->e.idx[i];
    if (rows_after * 8 <= x->cap * 5) return 0;
    uint64_t cap = x->cap;
    while (rows_after * 8 > cap * 5)
        cap *= 2;
    return idx_rebuild(s, i, i == I_TX ? s->cur.tx : s->cur.acct, cap);
}

/* Index lookup among rows below n: the newest match. */
static uint64_t idx_find(const struct cs_evm *s, int i, const uint8_t *key, size_t len, int col,
                         uint64_t n)
{
    const struct cs_hidx *x = &s->e.idx[i];
    if (!x->slots) return CS_EVM_NONE;
    uint64_t home, best = CS_EVM_NONE;
    uint32_t tag;
    key_hash(key, len, &home, &tag);
    uint64_t mask = x->cap - 1, j = home & mask;
    for (uint64_t probes = 0; probes < x->cap; probes++) {
        uint32_t v = x->slots[2 * j + 1];
        if (v == 0) break;
        uint64_t id = v - 1;
        if (id < n && x->slots[2 * j] == tag && !memcmp(row(s, col, id), key, len) &&
            (best == CS_EVM_NONE || id > best))
            best = id;
        j = (j + 1) & mask;
    }
    return best;
}

int cs_evm_find_tx(const struct cs_evm *s, const uint8_t hash[32], uint64_t *t)
{
    uint64_t r = idx_find(s, I_TX, hash, 32, C_TXHASH, s->vis->tx);
    if (r == CS_EVM_NONE) return CS_ENOTFOUND;
    *t = r;
    return 0;
}

int cs_evm_find_acct(const struct cs_evm *s, const uint8_t addr[20], uint64_t *a)
{
    uint64_t r = idx_find(s, I_ACCT, addr, 20, C_ACCT, s->vis->acct);
    if (r == CS_EVM_NONE || r == 0) return CS_ENOTFOUND;
    *a = r;
    return 0;
}

/* Writer: the account row of addr, appended (first seen in block row blk)
 * when new. */
static int acct_get(struct cs_evm *s, const uint8_t addr[20], uint64_t blk, uint64_t *a)
{
    uint64_t r = idx_find(s, I_ACCT, addr, 20, C_ACCT, s->cur.acct);
    if (r != CS_EVM_NONE && r != 0) {
        *a = r;
        return 0;
    }
    int rc;
    uint64_t id = s->cur.acct;
    if ((rc = cs_engine_reserve(&s->e, C_ACCT, id + 1)) ||
        (rc = cs_engine_reserve(&s->e, C_AOUT, id + 1)) ||
        (rc = cs_engine_reserve(&s->e, C_AIN, id + 1)) || (rc = idx_grow_for(s, I_ACCT, id + 1)))
        return rc;
    struct cs_evm_acctrec *ar = (struct cs_evm_acctrec *)row(s, C_ACCT, id);
    memcpy(ar->addr, addr, 20);
    ar->first_block = blk + 1 >= UINT32_MAX ? UINT32_MAX : (uint32_t)(blk + 1);
    memset(row(s, C_AOUT, id), 0, 8);
    memset(row(s, C_AIN, id), 0, 8);
    s->cur.acct++;
    uint64_t home;
    uint32_t tag;
    key_hash(addr, 20, &home, &tag);
    cs_hidx_put(&s->e.idx[I_ACCT], home, tag, id, id);
    *a = id;
    return 0;
}

/* An amount into a row field: inline below 2^64, else a big.col row. */
static int amount_put(struct cs_evm *s, const struct cs_u256 *v, uint64_t *field, uint8_t *flags)
{
    if (cs_u256_fits_u64(v)) {
        *field = v->w[0];
        return 0;
    }
    int rc = cs_engine_reserve(&s->e, C_BIG, s->cur.big + 1);
    if (rc) return rc;
    uint8_t *b = row(s, C_BIG, s->cur.big);
    for (int i = 0; i < 4; i++)
        cs_put_le64(b + 8 * i, v->w[i]);
    *field = s->cur.big++;
    *flags |= CS_XF_BIG;
    return 0;
}

static void amount_get(const struct cs_evm *s, uint64_t field, uint8_t flags, struct cs_u256 *out)
{
    if (!(flags & CS_XF_BIG)) {
        *out = cs_u256_from_u64(field);
        return;
    }
    check_row(s, C_BIG, field, s->vis->big);
    const uint8_t *b = row(s, C_BIG, field);
    for (int i = 0; i < 4; i++)
        out->w[i] = cs_le64(b + 8 * i);
}

/* ---------------- MANIFEST ---------------- */

static void raise_high(struct cs_evm *s)
{
    for (int c = 0; c < NC; c++) {
        uint64_t *h = count_of(&s->high, c), v = *count_of(&s->committed, c);
        if (v > *h) *h = v;
    }
}

static int manifest_write(struct cs_evm *s, int sync)
{
    char buf[1024], hex[65];
    const struct cs_evm_counts *k = &s->cur;
    size_t n = (size_t)snprintf(
        buf, sizeof buf,
        "chainsleuth-evm-store %d\nchain %s\nchain_id %llu\nblocks %llu\ntx %llu\nxfer "
        "%llu\nacct %llu\nbig %llu\ntok %llu\nlog %llu\nlogd %llu\n",
        CS_EVM_STORE_FORMAT, s->chain->name, (unsigned long long)s->chain_id,
        (unsigned long long)k->blocks, (unsigned long long)k->tx, (unsigned long long)k->xfer,
        (unsigned long long)k->acct, (unsigned long long)k->big, (unsigned long long)k->tok,
        (unsigned long long)k->log, (unsigned long long)k->logd);
    if (k->blocks) {
        const struct cs_evm_blockrec *b = (const void *)row(s, C_BLK, k->blocks - 1);
        cs_hex(hex, b->hash, 32);
        n += (size_t)snprintf(buf + n, sizeof buf - n, "tip %llu 0x%s\n",
                              (unsigned long long)b->number, hex);
    }
    uint64_t rows[NC];
    rows_of(k, rows);
    int rc = sync ? cs_engine_commit(&s->e, rows, buf, n)
                  : cs_engine_manifest_write(&s->e, rows, buf, n);
    if (rc) return rc;
    s->committed = s->cur;
    raise_high(s);
    return 0;
}

static int manifest_read(struct cs_evm *s)
{
    char buf[4096];
    int rc = cs_engine_manifest_read(&s->e, buf, sizeof buf);
    if (rc) return rc;
    int fmt = 0;
    char chain[32] = "";
    struct cs_evm_counts k = {0};
    unsigned long long cid = 0;
    char *line, *save;
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned long long v;
        if (sscanf(line, "chainsleuth-evm-store %d", &fmt) == 1) continue;
        if (!strncmp(line, "chain ", 6) && sscanf(line + 6, "%31s", chain) == 1) continue;
        if (sscanf(line, "chain_id %llu", &v) == 1)
            cid = v;
        else if (sscanf(line, "blocks %llu", &v) == 1)
            k.blocks = v;
        else if (sscanf(line, "tx %llu", &v) == 1)
            k.tx = v;
        else if (sscanf(line, "xfer %llu", &v) == 1)
            k.xfer = v;
        else if (sscanf(line, "acct %llu", &v) == 1)
            k.acct = v;
        else if (sscanf(line, "big %llu", &v) == 1)
            k.big = v;
        else if (sscanf(line, "tok %llu", &v) == 1)
            k.tok = v;
        else if (sscanf(line, "logd %llu", &v) == 1)
            k.logd = v;
        else if (sscanf(line, "log %llu", &v) == 1)
            k.log = v;
    }
    if (fmt != CS_EVM_STORE_FORMAT)
        return cs_error(CS_ECORRUPT, "%s/MANIFEST: EVM store format %d, this build reads %d",
                        s->e.dir, fmt, CS_EVM_STORE_FORMAT);
    if (strcmp(chain, s->chain->name))
        return cs_error(CS_ECORRUPT, "store corrupt: %s/MANIFEST: holds chain '%s'", s->e.dir,
                        chain);
    if (s->e.sums_seen != 11)
        return cs_error(CS_ECORRUPT, "store corrupt: %s/MANIFEST: %d column checksums, want 11",
                        s->e.dir, s->e.sums_seen);
    s->chain_id = cid;
    s->committed = s->cur = s->high = k;
    return 0;
}

/* ---------------- undo ---------------- */

static void undo_past(struct cs_evm *s, const struct cs_evm_counts *k)
{
    struct cs_engine *e = &s->e;
    uint64_t t_blk = cs_engine_tail_rows(e, C_BLK, k->blocks);
    uint64_t t_tx = cs_engine_tail_rows(e, C_TX, k->tx);
    uint64_t t_th = cs_engine_tail_rows(e, C_TXHASH, k->tx);
    uint64_t t_x = cs_engine_tail_rows(e, C_XFER, k->xfer);
    uint64_t t_a = cs_engine_tail_rows(e, C_ACCT, k->acct);
    uint64_t t_big = cs_engine_tail_rows(e, C_BIG, k->big);
    uint64_t t_tok = cs_engine_tail_rows(e, C_TOK, k->tok);
    /* log rows are written before their data, so the tail rows cover it */
    uint64_t t_log = cs_engine_tail_rows(e, C_LOG, k->log), d_end = k->logd;
    for (uint64_t r = k->log; r < k->log + t_log; r++) {
        const struct cs_evm_logrec *lr = (const void *)row(s, C_LOG, r);
        uint64_t end = lr->data_off + lr->data_len;
        if (lr->data_off >= k->logd && end > d_end && end <= e->col[C_LOGD].maplen) d_end = end;
    }
    if (t_th > t_tx) t_tx = t_th;
    uint64_t heads = e->col[C_AOUT].maplen / 8, links = e->col[C_XNOUT].maplen / 8;
    /* newest first, so each head goes back one step at a time */
    for (uint64_t x = k->xfer + t_x; x-- > k->xfer;) {
        const struct cs_evm_xferrec *r = (const void *)row(s, C_XFER, x);
        if (x >= links) continue;
        if (r->from && r->from < heads && cs_le64(row(s, C_AOUT, r->from)) == x + 1)
            memcpy(row(s, C_AOUT, r->from), row(s, C_XNOUT, x), 8);
        if (r->to && r->to < heads && cs_le64(row(s, C_AIN, r->to)) == x + 1)
            memcpy(row(s, C_AIN, r->to), row(s, C_XNIN, x), 8);
    }
    uint64_t x_end = k->xfer + t_x > links ? links : k->xfer + t_x;
    uint64_t a_end = k->acct + t_a > heads ? heads : k->acct + t_a;
    cs_engine_zero_rows(e, C_XNIN, k->xfer, x_end);
    cs_engine_zero_rows(e, C_XNOUT, k->xfer, x_end);
    cs_engine_zero_rows(e, C_XFER, k->xfer, k->xfer + t_x);
    cs_engine_zero_rows(e, C_AIN, k->acct, a_end);
    cs_engine_zero_rows(e, C_AOUT, k->acct, a_end);
    cs_engine_zero_rows(e, C_ACCT, k->acct, k->acct + t_a);
    cs_engine_zero_rows(e, C_BIG, k->big, k->big + t_big);
    cs_engine_zero_rows(e, C_TOK, k->tok, k->tok + t_tok);
    cs_engine_zero_rows(e, C_LOGD, k->logd, d_end);
    cs_engine_zero_rows(e, C_LOG, k->log, k->log + t_log);
    cs_engine_zero_rows(e, C_TXHASH, k->tx, k->tx + t_tx);
    cs_engine_zero_rows(e, C_TX, k->tx, k->tx + t_tx);
    cs_engine_zero_rows(e, C_BLK, k->blocks, k->blocks + t_blk);
    s->cur = *k;
}

/* ---------------- open / close ---------------- */

static int writer_idx(struct cs_evm *s, int i)
{
    char p[4200];
    struct stat st;
    cs_engine_path(&s->e, IDX_NAMES[i], p, sizeof p);
    int have = stat(p, &st) == 0, rc;
    uint64_t rows = i == I_TX ? s->cur.tx : s->cur.acct;
    if ((rc = cs_engine_idx_open(&s->e, i, 1024, !have))) return rc;
    if (!have && rows > (i == I_TX ? 0u : 1u) && (rc = idx_rebuild(s, i, rows, 1024))) return rc;
    return idx_grow_for(s, i, rows);
}

int cs_evm_open(struct cs_evm **out, const char *db, const char *chain, int mode)
{
    struct cs_evm *s = cs_xcalloc(1, sizeof *s);
    int rc, wr = (mode & CS_EVM_WRITE) != 0;
    s->mode = wr;
    s->vis = wr ? &s->cur : &s->committed;
    cs_engine_init(&s->e);
    s->chain = cs_evm_chain_find(chain);
    if (!s->chain) {
        rc = cs_error(CS_EUSAGE, "chain '%s' is not an EVM chain this build knows", chain);
        goto fail;
    }
    if ((rc = cs_engine_open(&s->e, db, chain, wr, COLS, NC, IDX_NAMES, 2))) goto fail;
    rc = manifest_read(s);
    int fresh = 0;
    if (rc == CS_ENOTFOUND) {
        if (!wr) {
            rc = cs_error(CS_ENOTFOUND, "%s: no %s store here (run `chainsleuth ingest evm` first)",
                          db, chain);
            goto fail;
        }
        s->chain_id = s->chain->chain_id;
        fresh = 1;
    } else if (rc) {
        goto fail;
    }
    uint64_t rows[NC];
    rows_of(&s->committed, rows);
    if ((rc = cs_engine_open_cols(&s->e, rows))) goto fail;
    if (fresh) {
        /* account row 0 is "no account" */
        if ((rc = cs_engine_reserve(&s->e, C_ACCT, 1)) ||
            (rc = cs_engine_reserve(&s->e, C_AOUT, 1)) || (rc = cs_engine_reserve(&s->e, C_AIN, 1)))
            goto fail;
        s->cur.acct = 1;
        if ((rc = manifest_write(s, 0))) goto fail;
    }
    if (wr) {
        undo_past(s, &s->committed);
        if ((rc = writer_idx(s, I_TX)) || (rc = writer_idx(s, I_ACCT))) goto fail;
    } else {
        if ((rc = cs_engine_idx_open(&s->e, I_TX, 0, 0)) ||
            (rc = cs_engine_idx_open(&s->e, I_ACCT, 0, 0)))
            goto fail;
        cs_engine_open_done(&s->e);
        if (!(mode & CS_EVM_NOCHECK)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            uint64_t rng = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
            if ((rc = cs_engine_check_sums(&s->e, rows, 2, &rng))) goto fail;
        }
    }
    *out = s;
    return 0;
fail:
    cs_evm_close(s);
    return rc;
}

void cs_evm_close(struct cs_evm *s)
{
    if (!s) return;
    int wrote = s->mode && s->e.ncols;
    if (wrote && memcmp(&s->cur, &s->committed, sizeof s->cur)) undo_past(s, &s->committed);
    uint64_t high[NC];
    rows_of(&s->high, high);
    cs_engine_close(&s->e, wrote ? high : NULL);
    free(s->lk_bits);
    free(s);
}

const struct cs_evm_chain *cs_evm_chain(const struct cs_evm *s)
{
    return s->chain;
}

const struct cs_evm_counts *cs_evm_counts(const struct cs_evm *s)
{
    return s->vis;
}

/* ---------------- append ---------------- */

static int link_xfer(struct cs_evm *s, uint64_t x, uint64_t from, uint64_t to)
{
    uint8_t prev[8];
    memcpy(prev, from ? row(s, C_AOUT, from) : (const uint8_t *)"\0\0\0\0\0\0\0\0", 8);
    memcpy(row(s, C_XNOUT, x), prev, 8);
    memcpy(prev, to ? row(s, C_AIN, to) : (const uint8_t *)"\0\0\0\0\0\0\0\0", 8);
    memcpy(row(s, C_XNIN, x), prev, 8);
    if (from) cs_put_le64(row(s, C_AOUT, from), x + 1);
    if (to) cs_put_le64(row(s, C_AIN, to), x + 1);
    return 0;
}

static int same_key(const uint8_t *a, const uint8_t *b)
{
    return a[0] == b[0] && a[1] == b[1] && a[18] == b[18] && a[19] == b[19];
}

/* 1 when account a dealt, in its newest transfers, with an account other
 * than r whose address looks like r's (see CS_EVM_LOOKALIKE_SCAN). */
static int lookalike_of(const struct cs_evm *s, uint64_t a, uint64_t r)
{
    const uint8_t *ra = row(s, C_ACCT, r);
    for (int dir = 0; dir < 2; dir++) {
        uint64_t v = cs_le64(row(s, dir ? C_AIN : C_AOUT, a));
        for (int k = 0; v && k < CS_EVM_LOOKALIKE_SCAN; k++) {
            uint64_t x = v - 1;
            const struct cs_evm_xferrec *xr = (const void *)row(s, C_XFER, x);
            uint64_t c = dir ? xr->from : xr->to;
            if (c && c != r && same_key(row(s, C_ACCT, c), ra)) return 1;
            v = cs_le64(row(s, dir ? C_XNIN : C_XNOUT, x));
        }
    }
    return 0;
}

static uint64_t lk_bit(const struct cs_evm *s, const uint8_t *a)
{
    uint64_t k = (uint64_t)a[0] << 24 | (uint64_t)a[1] << 16 | (uint64_t)a[18] << 8 | a[19];
    return (k * 0x9e3779b97f4a7c15ULL >> 20) & (s->lk_nbits - 1);
}

/* Brings the filter up to accounts [1, upto). */
static void lk_update(struct cs_evm *s, uint64_t upto)
{
    if (!s->lk_bits || upto * 16 > s->lk_nbits) {
        uint64_t nb = 1u << 16;
        while (nb < upto * 32 && nb < (1ull << 32))
            nb <<= 1;
        free(s->lk_bits);
        s->lk_bits = cs_xcalloc(nb / 64, 8);
        s->lk_nbits = nb;
        s->lk_upto = 1;
    }
    for (uint64_t a = s->lk_upto; a < upto; a++) {
        uint64_t i = lk_bit(s, row(s, C_ACCT, a));
        s->lk_bits[i / 64] |= 1ull << (i % 64);
    }
    if (upto > s->lk_upto) s->lk_upto = upto;
}

/* 0 when no account before this block has r's look-alike key. */
static int lk_maybe(const struct cs_evm *s, uint64_t r)
{
    uint64_t i = lk_bit(s, row(s, C_ACCT, r));
    return (s->lk_bits[i / 64] >> (i % 64)) & 1;
}

static int append_block(struct cs_evm *s, const struct cs_evm_block_in *b)
{
    int rc;
    uint64_t h = s->cur.blocks;
    uint64_t fresh = s->cur.acct; /* accounts from here on are first seen in this block */
    if (s->lk_upto > fresh) s->lk_upto = fresh; /* after a rollback: bits stay, harmless */
    lk_update(s, fresh);
    if (h) {
        const struct cs_evm_blockrec *tip = (const void *)row(s, C_BLK, h - 1);
        if (b->number != tip->number + 1 || memcmp(b->parent, tip->hash, 32)) {
            char a[65], p[65];
            cs_hex(a, b->hash, 32);
            cs_hex(p, tip->hash, 32);
            return cs_error(CS_ECONSENSUS,
                            "block %llu (0x%s) does not extend the tip %llu (0x%s): %s",
                            (unsigned long long)b->number, a, (unsigned long long)tip->number, p,
                            b->number != tip->number + 1 ? "number" : "parentHash");
        }
    }
    if (b->n_tx > UINT32_MAX || b->n_xfer > UINT32_MAX * 4ull)
        return cs_error(CS_ERANGE, "block %llu: too many transactions",
                        (unsigned long long)b->number);
    if ((rc = cs_engine_reserve(&s->e, C_BLK, h + 1)) ||
        (rc = cs_engine_reserve(&s->e, C_TX, s->cur.tx + b->n_tx)) ||
        (rc = cs_engine_reserve(&s->e, C_TXHASH, s->cur.tx + b->n_tx)) ||
        (rc = cs_engine_reserve(&s->e, C_XFER, s->cur.xfer + b->n_xfer)) ||
        (rc = cs_engine_reserve(&s->e, C_XNOUT, s->cur.xfer + b->n_xfer)) ||
        (rc = cs_engine_reserve(&s->e, C_XNIN, s->cur.xfer + b->n_xfer)) ||
        (rc = cs_engine_reserve(&s->e, C_TOK, s->cur.tok + b->n_tok)) ||
        (rc = cs_engine_reserve(&s->e, C_LOG, s->cur.log + b->n_log)) ||
        (rc = idx_grow_for(s, I_TX, s->cur.tx + b->n_tx)))
        return rc;
    uint64_t logd = 0;
    for (size_t i = 0; i < b->n_log; i++) {
        const struct cs_evm_log_in *li = &b->log[i];
        if (li->tx >= b->n_tx || (i && li->tx < b->log[i - 1].tx) || li->ntopics > 4 ||
            li->data_len > UINT32_MAX || (li->data_len && !li->data))
            return cs_error(CS_EUSAGE, "block %llu: kept log %zu is malformed or out of order",
                            (unsigned long long)b->number, i);
        logd += li->data_len;
    }
    if ((rc = cs_engine_reserve(&s->e, C_LOGD, s->cur.logd + logd))) return rc;
    struct cs_evm_blockrec br;
    memset(&br, 0, sizeof br);
    memcpy(br.hash, b->hash, 32);
    memcpy(br.parent, b->parent, 32);
    br.number = b->number;
    br.timestamp = b->timestamp;
    br.base_fee = b->base_fee;
    br.gas_used = b->gas_used;
    br.flags = b->flags;
    br.first_tx = s->cur.tx;
    br.first_xfer = s->cur.xfer;
    br.n_tx = (uint32_t)b->n_tx;
    if ((rc = acct_get(s, b->miner, h, &br.miner))) return rc;
    for (size_t i = 0; i < b->n_tok; i++) {
        const struct cs_evm_token_in *ti = &b->tok[i];
        struct cs_evm_tokrec tr;
        memset(&tr, 0, sizeof tr);
        if ((rc = acct_get(s, ti->addr, h, &tr.acct))) return rc;
        tr.kind = ti->kind;
        tr.decimals = ti->decimals;
        tr.has_decimals = ti->has_decimals;
        tr.marks = cs_evm_token_marks(s->chain, ti->addr, ti->symbol, ti->name);
        memcpy(tr.symbol, ti->symbol, sizeof tr.symbol - 1);
        memcpy(tr.name, ti->name, sizeof tr.name - 1);
        memcpy(row(s, C_TOK, s->cur.tok++), &tr, sizeof tr);
    }
    uint64_t tx0 = s->cur.tx;
    for (size_t i = 0; i < b->n_tx; i++) {
        const struct cs_evm_tx_in *ti = &b->tx[i];
        uint64_t t = s->cur.tx;
        struct cs_evm_txrec tr;
        memset(&tr, 0, sizeof tr);
        tr.block = h;
        tr.index = (uint32_t)i;
        tr.nonce = ti->nonce;
        tr.gas_used = ti->gas_used;
        tr.gas_price = ti->gas_price;
        tr.type = ti->type;
        tr.status = ti->status;
        if ((rc = acct_get(s, ti->from, h, &tr.from))) return rc;
        if (ti->has_to && (rc = acct_get(s, ti->to, h, &tr.to))) return rc;
        if (ti->has_created && (rc = acct_get(s, ti->created, h, &tr.created))) return rc;
        if ((rc = amount_put(s, &ti->value, &tr.value, &tr.flags))) return rc;
        tr.first_xfer = s->cur.xfer; /* set again below, once its transfers are in */
        memcpy(row(s, C_TX, t), &tr, sizeof tr);
        memcpy(row(s, C_TXHASH, t), ti->hash, 32);
        uint64_t home;
        uint32_t tag;
        key_hash(ti->hash, 32, &home, &tag);
        cs_hidx_put(&s->e.idx[I_TX], home, tag, t, t);
        s->cur.tx++;
    }
    uint32_t last_tx = 0;
    for (size_t j = 0; j < b->n_xfer; j++) {
        const struct cs_evm_xfer_in *xi = &b->xfer[j];
        if (xi->kind == 0 || xi->kind >= CS_XK_COUNT)
            return cs_error(CS_EUSAGE, "block %llu: transfer %zu has no kind",
                            (unsigned long long)b->number, j);
        if (xi->tx != UINT32_MAX && (xi->tx >= b->n_tx || xi->tx < last_tx))
            return cs_error(CS_EUSAGE, "block %llu: transfer %zu names tx %u out of order",
                            (unsigned long long)b->number, j, xi->tx);
        if (xi->tx == UINT32_MAX)
            last_tx = UINT32_MAX;
        else
            last_tx = xi->tx;
        uint64_t x = s->cur.xfer;
        struct cs_evm_xferrec xr;
        memset(&xr, 0, sizeof xr);
        xr.kind = xi->kind;
        xr.flags = xi->flags & (CS_XF_NOSTATUS | CS_XF_KIND_GUESS);
        xr.aux = xi->aux;
        xr.pos = xi->pos;
        if (xi->has_from && (rc = acct_get(s, xi->from, h, &xr.from))) return rc;
        if (xi->has_to && (rc = acct_get(s, xi->to, h, &xr.to))) return rc;
        if (!xi->native && (rc = acct_get(s, xi->asset, h, &xr.asset))) return rc;
        if (cs_u256_is_zero(&xi->amount)) xr.flags |= CS_XF_ZERO;
        if ((rc = amount_put(s, &xi->amount, &xr.amount, &xr.flags))) return rc;
        int party = xr.kind == CS_XK_NATIVE || xr.kind == CS_XK_INTERNAL ||
                    xr.kind == CS_XK_SELFDESTRUCT || xr.kind == CS_XK_ERC20 ||
                    xr.kind == CS_XK_ERC721 || xr.kind == CS_XK_ERC1155;
        if (party && xr.from && xr.to && xr.from != xr.to &&
            ((xr.to >= fresh && xr.from < fresh && lk_maybe(s, xr.to) &&
              lookalike_of(s, xr.from, xr.to)) ||
             (xr.from >= fresh && xr.to < fresh && lk_maybe(s, xr.from) &&
              lookalike_of(s, xr.to, xr.from))))
            xr.flags |= CS_XF_LOOKALIKE;
        memcpy(row(s, C_XFER, x), &xr, sizeof xr);
        link_xfer(s, x, xr.from, xr.to);
        s->cur.xfer++;
        if (xi->tx != UINT32_MAX) {
            struct cs_evm_txrec *tr = (struct cs_evm_txrec *)row(s, C_TX, tx0 + xi->tx);
            if (tr->n_xfer == 0) tr->first_xfer = x;
            tr->n_xfer++;
        }
    }
    /* a tx without transfers sits where its transfers would be, so that
     * first_xfer never decreases and cs_evm_xfer_tx can search it */
    for (uint64_t t = tx0, pos = br.first_xfer; t < s->cur.tx; t++) {
        struct cs_evm_txrec *tr = (struct cs_evm_txrec *)row(s, C_TX, t);
        if (tr->n_xfer == 0)
            tr->first_xfer = pos;
        else
            pos = tr->first_xfer + tr->n_xfer;
    }
    for (size_t i = 0; i < b->n_log; i++) {
        const struct cs_evm_log_in *li = &b->log[i];
        struct cs_evm_logrec lr;
        memset(&lr, 0, sizeof lr);
        lr.tx1 = tx0 + li->tx + 1;
        if ((rc = acct_get(s, li->addr, h, &lr.acct))) return rc;
        lr.data_off = s->cur.logd;
        lr.data_len = (uint32_t)li->data_len;
        lr.index = li->index;
        lr.ntopics = li->ntopics;
        memcpy(lr.topic, li->topic, sizeof lr.topic);
        memcpy(row(s, C_LOG, s->cur.log++), &lr, sizeof lr); /* the row first: see undo_past */
        if (li->data_len) memcpy(row(s, C_LOGD, s->cur.logd), li->data, li->data_len);
        s->cur.logd += li->data_len;
    }
    br.acct_end = s->cur.acct;
    br.big_end = s->cur.big;
    br.tok_end = s->cur.tok;
    memcpy(row(s, C_BLK, h), &br, sizeof br);
    s->cur.blocks++;
    return 0;
}

int cs_evm_append_block(struct cs_evm *s, const struct cs_evm_block_in *b)
{
    if (!s->mode) BUG("append on a read-only store");
    struct cs_evm_counts before = s->cur;
    int rc = append_block(s, b);
    if (rc) undo_past(s, &before);
    return rc;
}

int cs_evm_commit(struct cs_evm *s)
{
    return manifest_write(s, 1);
}

int cs_evm_truncate(struct cs_evm *s, uint64_t keep)
{
    undo_past(s, &s->committed);
    if (keep >= s->cur.blocks) return 0;
    uint64_t rows[NC];
    rows_of(&s->cur, rows);
    int rc = cs_engine_rollback_begin(&s->e, rows);
    if (rc) return rc;
    const struct cs_evm_blockrec *br = (const void *)row(s, C_BLK, keep);
    struct cs_evm_counts k = s->cur;
    k.blocks = keep;
    k.tx = br->first_tx;
    k.xfer = br->first_xfer;
    if (keep) {
        const struct cs_evm_blockrec *pb = (const void *)row(s, C_BLK, keep - 1);
        k.acct = pb->acct_end;
        k.big = pb->big_end;
        k.tok = pb->tok_end;
    } else {
        k.acct = 1;
        k.big = k.tok = 0;
    }
    /* the kept logs of the txs that stay */
    uint64_t lo = 0, hi = s->cur.log;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (((const struct cs_evm_logrec *)(const void *)row(s, C_LOG, mid))->tx1 <= k.tx)
            lo = mid + 1;
        else
            hi = mid;
    }
    k.log = lo;
    k.logd = lo < s->cur.log ? ((const struct cs_evm_logrec *)(const void *)row(s, C_LOG, lo))->data_off
                             : s->cur.logd;
    s->cur = k;
    /* commit the shorter chain; the removed rows are then a tail to undo */
    if (!(rc = cs_evm_commit(s))) undo_past(s, &k);
    cs_engine_rollback_end(&s->e);
    return rc;
}

/* ---------------- accessors ---------------- */

const struct cs_evm_blockrec *cs_evm_block(const struct cs_evm *s, uint64_t r)
{
    check_row(s, C_BLK, r, s->vis->blocks);
    return (const void *)row(s, C_BLK, r);
}

int cs_evm_find_block(const struct cs_evm *s, uint64_t number, uint64_t *r)
{
    if (!s->vis->blocks) return CS_ENOTFOUND;
    uint64_t first = cs_evm_block(s, 0)->number;
    if (number < first || number - first >= s->vis->blocks) return CS_ENOTFOUND;
    *r = number - first;
    return 0;
}

const struct cs_evm_txrec *cs_evm_tx(const struct cs_evm *s, uint64_t t)
{
    check_row(s, C_TX, t, s->vis->tx);
    return (const void *)row(s, C_TX, t);
}

const uint8_t *cs_evm_txhash(const struct cs_evm *s, uint64_t t)
{
    check_row(s, C_TXHASH, t, s->vis->tx);
    return row(s, C_TXHASH, t);
}

const uint8_t *cs_evm_acct(const struct cs_evm *s, uint64_t a)
{
    check_row(s, C_ACCT, a, s->vis->acct);
    return row(s, C_ACCT, a);
}

uint64_t cs_evm_acct_first_block(const struct cs_evm *s, uint64_t a)
{
    const struct cs_evm_acctrec *r = (const void *)cs_evm_acct(s, a);
    return r->first_block ? r->first_block - 1 : 0;
}

const struct cs_evm_xferrec *cs_evm_xfer(const struct cs_evm *s, uint64_t x)
{
    check_row(s, C_XFER, x, s->vis->xfer);
    return (const void *)row(s, C_XFER, x);
}

void cs_evm_xfer_amount(const struct cs_evm *s, uint64_t x, struct cs_u256 *out)
{
    const struct cs_evm_xferrec *r = cs_evm_xfer(s, x);
    amount_get(s, r->amount, r->flags, out);
}

void cs_evm_tx_value(const struct cs_evm *s, uint64_t t, struct cs_u256 *out)
{
    const struct cs_evm_txrec *r = cs_evm_tx(s, t);
    amount_get(s, r->value, r->flags, out);
}

uint64_t cs_evm_xfer_block(const struct cs_evm *s, uint64_t x)
{
    uint64_t t = cs_evm_xfer_tx(s, x);
    if (t != CS_EVM_NONE) return cs_evm_tx(s, t)->block;
    uint64_t lo = 0, hi = s->vis->blocks; /* the last block whose first_xfer <= x */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (cs_evm_block(s, mid)->first_xfer <= x)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

uint64_t cs_evm_xfer_tx(const struct cs_evm *s, uint64_t x)
{
    check_row(s, C_XFER, x, s->vis->xfer);
    uint64_t lo = 0, hi = s->vis->tx; /* the last tx whose first_xfer <= x */
    if (!hi || cs_evm_tx(s, 0)->first_xfer > x) return CS_EVM_NONE;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (cs_evm_tx(s, mid)->first_xfer <= x)
            lo = mid;
        else
            hi = mid;
    }
    const struct cs_evm_txrec *r = cs_evm_tx(s, lo);
    return x < r->first_xfer + r->n_xfer ? lo : CS_EVM_NONE;
}

/* A list link or head (x + 1, 0 = end) followed back until it lies in this
 * snapshot: a writer's newer transfers are skipped through their own links,
 * read with pread when they lie past this reader's mapping. */
static uint64_t in_snapshot(const struct cs_evm *s, int link_col, uint64_t v)
{
    for (uint64_t steps = 0; v && v - 1 >= s->vis->xfer; steps++) {
        if (steps > (1u << 20) || !cs_engine_tail_u64(&s->e, link_col, v - 1, &v))
            return CS_EVM_NONE;
    }
    return v ? v - 1 : CS_EVM_NONE;
}

static uint64_t head_of(const struct cs_evm *s, int head_col, int link_col, uint64_t a)
{
    check_row(s, head_col, a, s->vis->acct);
    uint64_t v;
    if (!cs_engine_tail_u64(&s->e, head_col, a, &v)) return CS_EVM_NONE;
    return in_snapshot(s, link_col, v);
}

uint64_t cs_evm_out_head(const struct cs_evm *s, uint64_t a)
{
    return head_of(s, C_AOUT, C_XNOUT, a);
}

uint64_t cs_evm_in_head(const struct cs_evm *s, uint64_t a)
{
    return head_of(s, C_AIN, C_XNIN, a);
}

uint64_t cs_evm_out_next(const struct cs_evm *s, uint64_t x)
{
    check_row(s, C_XNOUT, x, s->vis->xfer);
    return in_snapshot(s, C_XNOUT, cs_le64(row(s, C_XNOUT, x)));
}

uint64_t cs_evm_in_next(const struct cs_evm *s, uint64_t x)
{
    check_row(s, C_XNIN, x, s->vis->xfer);
    return in_snapshot(s, C_XNIN, cs_le64(row(s, C_XNIN, x)));
}

const struct cs_evm_logrec *cs_evm_log(const struct cs_evm *s, uint64_t r)
{
    check_row(s, C_LOG, r, s->vis->log);
    return (const void *)row(s, C_LOG, r);
}

const uint8_t *cs_evm_log_data(const struct cs_evm *s, uint64_t r)
{
    const struct cs_evm_logrec *lr = cs_evm_log(s, r);
    static const uint8_t none[1];
    if (!lr->data_len) return none;
    check_row(s, C_LOGD, lr->data_off + lr->data_len - 1, s->vis->logd);
    return row(s, C_LOGD, lr->data_off);
}

void cs_evm_tx_logs(const struct cs_evm *s, uint64_t t, uint64_t *first, uint64_t *n)
{
    uint64_t lo = 0, hi = s->vis->log; /* the first row with tx1 > t */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (cs_evm_log(s, mid)->tx1 <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint64_t e = lo;
    while (e < s->vis->log && cs_evm_log(s, e)->tx1 == t + 1)
        e++;
    *first = lo;
    *n = e - lo;
}

const struct cs_evm_tokrec *cs_evm_token(const struct cs_evm *s, uint64_t acct)
{
    for (uint64_t i = s->vis->tok; i-- > 0;) {
        const struct cs_evm_tokrec *t = (const void *)row(s, C_TOK, i);
        if (t->acct == acct) return t;
    }
    return NULL;
}

int cs_evm_verify(const struct cs_evm *s)
{
    const struct cs_evm_counts *k = s->vis;
    uint64_t rows[NC], rng = 1;
    rows_of(&s->committed, rows);
    int rc = cs_engine_check_sums(&s->e, rows, -1, &rng);
    if (rc) return rc;
    for (uint64_t t = 0, end = 0; t < k->tx; t++) {
        const struct cs_evm_txrec *tr = cs_evm_tx(s, t);
        if (tr->first_xfer < end || tr->first_xfer + tr->n_xfer > k->xfer || tr->block >= k->blocks)
            return cs_error(CS_ECORRUPT,
                            "store corrupt: %s/tx.col row %llu: its transfers or block are out "
                            "of order",
                            s->e.dir, (unsigned long long)t);
        end = tr->first_xfer + tr->n_xfer;
    }
    for (uint64_t t = 0; t < k->tx; t++) {
        uint64_t f;
        if (cs_evm_find_tx(s, cs_evm_txhash(s, t), &f) || f < t)
            return cs_error(CS_ECORRUPT, "store corrupt: %s/txhash.idx: tx %llu not found",
                            s->e.dir, (unsigned long long)t);
    }
    for (uint64_t a = 1; a < k->acct; a++) {
        uint64_t f;
        if (cs_evm_find_acct(s, cs_evm_acct(s, a), &f) || f != a)
            return cs_error(CS_ECORRUPT, "store corrupt: %s/acct.idx: account %llu not found",
                            s->e.dir, (unsigned long long)a);
    }
    for (uint64_t r = 0, tx1 = 0, off = 0; r < k->log; r++) {
        const struct cs_evm_logrec *lr = cs_evm_log(s, r);
        if (!lr->tx1 || lr->tx1 < tx1 || lr->tx1 > k->tx || lr->acct >= k->acct ||
            lr->data_off != off || lr->ntopics > 4 || off + lr->data_len > k->logd)
            return cs_error(CS_ECORRUPT,
                            "store corrupt: %s/log.col row %llu: tx, account or data out of order",
                            s->e.dir, (unsigned long long)r);
        tx1 = lr->tx1;
        off += lr->data_len;
        if (r + 1 == k->log && off != k->logd)
            return cs_error(CS_ECORRUPT, "store corrupt: %s/logd.col: %llu bytes, the logs use %llu",
                            s->e.dir, (unsigned long long)k->logd, (unsigned long long)off);
    }
    /* every transfer with a sender is on exactly its sender's list, newest first */
    uint64_t nout = 0, nin = 0, want_out = 0, want_in = 0;
    for (uint64_t x = 0; x < k->xfer; x++) {
        const struct cs_evm_xferrec *r = cs_evm_xfer(s, x);
        if (r->from >= k->acct || r->to >= k->acct || r->asset >= k->acct || !r->kind)
            return cs_error(CS_ECORRUPT, "store corrupt: %s/xfer.col row %llu: id out of range",
                            s->e.dir, (unsigned long long)x);
        want_out += r->from != 0;
        want_in += r->to != 0;
    }
    for (uint64_t a = 1; a < k->acct; a++)
        for (int dir = 0; dir < 2; dir++) {
            uint64_t prev = CS_EVM_NONE;
            for (uint64_t x = dir ? cs_evm_in_head(s, a) : cs_evm_out_head(s, a); x != CS_EVM_NONE;
                 x = dir ? cs_evm_in_next(s, x) : cs_evm_out_next(s, x)) {
                const struct cs_evm_xferrec *r = cs_evm_xfer(s, x);
                if ((dir ? r->to : r->from) != a || (prev != CS_EVM_NONE && x >= prev))
                    return cs_error(CS_ECORRUPT,
                                    "store corrupt: %s/%s row %llu: on the list of account %llu, "
                                    "belongs elsewhere",
                                    s->e.dir, dir ? "xnin.col" : "xnout.col", (unsigned long long)x,
                                    (unsigned long long)a);
                prev = x;
                if (dir)
                    nin++;
                else
                    nout++;
            }
        }
    if (nout != want_out || nin != want_in)
        return cs_error(CS_ECORRUPT,
                        "store corrupt: %s: account lists hold %llu sent and %llu received "
                        "transfers, the store has %llu and %llu",
                        s->e.dir, (unsigned long long)nout, (unsigned long long)nin,
                        (unsigned long long)want_out, (unsigned long long)want_in);
    return 0;
}
