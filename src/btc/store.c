/* store.c — the Bitcoin schema on the engine (store/engine.h): its columns
 * and indexes, appending blocks, tail undo, rollback, accessors and verify.
 * Files, checksums, MANIFEST commits, the writer lock and the reader table are
 * the engine's.
 *
 * See store.h for the layout and the commit protocol.  Why the tail can always
 * be undone: for every row the appends happen before any in-place update that
 * refers to it (an input row is written before spent[] of its prevout is set;
 * an output row and its outnext row before addrhead[] points at it), and no
 * written row is all zero (addr ids start at 1, prevouts are stored +1), so the
 * tail is exactly the run of non-zero rows after the committed count. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "btc/store.h"
#include "store/engine.h"
#include "util/codec.h"
#include "util/hash.h"

enum { IDX_TX = 0, IDX_ADDR = 1 };
static const char *const IDX_NAMES[] = {"txid.idx", "addr.idx"};

struct cs_store {
    struct cs_engine e; /* columns, sums, indexes, lock, reader table (store/engine.h) */
    int mode;
    const struct cs_counts *vis; /* what accessors may touch: committed (reader) or cur (writer) */
    int corrupt_set;             /* a reader walk met a link out of range (sticky) */
    char corrupt[640];
    const struct cs_netparams *net;
    struct cs_counts committed; /* as in MANIFEST */
    struct cs_counts cur;       /* writer: including the uncommitted tail */
    struct cs_counts high;      /* per counter, the most any MANIFEST of this writer's life held */
    uint64_t utxo_count, utxo_total;         /* committed */
    uint64_t cur_utxo_count, cur_utxo_total; /* writer, current */
    struct cs_addr *scratch;                 /* per-block classified output addresses */
    size_t scratch_cap;
    uint64_t *pre; /* per-block prevouts resolved ahead (output id + 1, 0 = later) */
    size_t pre_cap;
};

/* The Bitcoin schema: spent.col and addrhead.col are written in place, the
 * others only appended (and checksummed). */
static const struct cs_colspec COLS[CS_COL_COUNT] = {
    [CS_COL_BLK] = {"blk.col", sizeof(struct cs_blockrec), 1},
    [CS_COL_TX] = {"tx.col", sizeof(struct cs_txrec), 1},
    [CS_COL_TXID] = {"txid.col", 32, 1},
    [CS_COL_IN] = {"in.col", sizeof(struct cs_inrec), 1},
    [CS_COL_OUT] = {"out.col", sizeof(struct cs_outrec), 1},
    [CS_COL_SPENT] = {"spent.col", 4, 0},
    [CS_COL_OUTNEXT] = {"outnext.col", 8, 1},
    [CS_COL_ADDR] = {"addr.col", sizeof(struct cs_addr), 1},
    [CS_COL_ADDRHEAD] = {"addrhead.col", 8, 0},
    [CS_COL_MSIG] = {"msig.col", sizeof(struct cs_msigrec), 1},
};

const char *cs_store_col_name(int c)
{
    return c >= 0 && c < CS_COL_COUNT ? COLS[c].name : "?";
}

/* Which counter a column's row count follows. */
static uint64_t *count_of(struct cs_counts *k, int c)
{
    switch (c) {
    case CS_COL_BLK:
        return &k->blocks;
    case CS_COL_TX:
    case CS_COL_TXID:
        return &k->tx;
    case CS_COL_IN:
        return &k->in;
    case CS_COL_OUT:
    case CS_COL_SPENT:
    case CS_COL_OUTNEXT:
        return &k->out;
    case CS_COL_ADDR:
    case CS_COL_ADDRHEAD:
        return &k->addr;
    case CS_COL_MSIG:
        return &k->msig;
    }
    return NULL;
}

/* Row counts per column for the engine. */
static void rows_of(const struct cs_counts *k, uint64_t *rows)
{
    for (int c = 0; c < CS_COL_COUNT; c++)
        rows[c] = *count_of((struct cs_counts *)k, c);
}

static int col_reserve(struct cs_store *s, int c, uint64_t rows)
{
    return cs_engine_reserve(&s->e, c, rows);
}

static inline uint8_t *row(const struct cs_store *s, int c, uint64_t r)
{
    return cs_engine_row(&s->e, c, r);
}

/* ---------------- corruption found by readers ---------------- */

static _Thread_local char first_corrupt[640];
/* Accessors return this for a row id past the snapshot (all zero: no inputs,
 * no outputs, address 0), after recording the corruption. */
static const uint8_t ZERO_ROW[256];
_Static_assert(sizeof(struct cs_blockrec) <= sizeof ZERO_ROW, "ZERO_ROW covers every record");

static void corrupt_at(const struct cs_store *cs, int c, uint64_t r, const char *what)
{
    struct cs_store *s = (struct cs_store *)cs; /* the sticky flag is not snapshot state */
    if (s->corrupt_set) return;
    snprintf(s->corrupt, sizeof s->corrupt, "store corrupt: %s/%s row %llu: %s", s->e.dir,
             COLS[c].name, (unsigned long long)r, what);
    s->corrupt_set = 1;
    if (!first_corrupt[0]) snprintf(first_corrupt, sizeof first_corrupt, "%s", s->corrupt);
}

int cs_store_status(const struct cs_store *s)
{
    if (!s->corrupt_set) return 0;
    return cs_error(CS_ECORRUPT, "%s", s->corrupt);
}

const char *cs_store_corruption(void)
{
    return first_corrupt[0] ? first_corrupt : NULL;
}

/* ---------------- indexes ---------------- */
static inline void txid_hash(const uint8_t *txid, uint64_t *home, uint32_t *tag)
{
    *home = cs_le64(txid + 8);
    *tag = cs_le32(txid);
}

static inline void addr_hash(const struct cs_addr *a, uint64_t *home, uint32_t *tag)
{
    uint64_t h = cs_hash64(a, sizeof *a, 0x63736164647231ULL);
    *home = h;
    *tag = (uint32_t)(h >> 40);
}

/* Index i filled from scratch with the first rows rows, cap slots. */
static int idx_rebuild(struct cs_store *s, int i, uint64_t rows, uint64_t cap)
{
    struct cs_hidx nx;
    int rc = cs_engine_idx_create_tmp(&s->e, i, cap, &nx), is_tx = i == IDX_TX;
    if (rc) return rc;
    for (uint64_t r = is_tx ? 0 : 1; r < rows; r++) {
        uint64_t home;
        uint32_t tag;
        if (is_tx)
            txid_hash(row(s, CS_COL_TXID, r), &home, &tag);
        else
            addr_hash((const struct cs_addr *)row(s, CS_COL_ADDR, r), &home, &tag);
        cs_hidx_put(&nx, home, tag, r, r);
    }
    return cs_engine_idx_replace(&s->e, i, &nx);
}

/* Keeps the load factor under 5/8. */
static int idx_grow_for(struct cs_store *s, int i, uint64_t rows_after)
{
    const struct cs_hidx *x = &s->e.idx[i];
    if (rows_after * 8 <= x->cap * 5) return 0;
    uint64_t cap = x->cap;
    while (rows_after * 8 > cap * 5)
        cap *= 2;
    return idx_rebuild(s, i, i == IDX_TX ? s->cur.tx : s->cur.addr, cap);
}

int cs_store_reserve(struct cs_store *s, uint64_t more_tx, uint64_t more_addr)
{
    int rc = idx_grow_for(s, IDX_TX, s->cur.tx + more_tx);
    if (!rc) rc = idx_grow_for(s, IDX_ADDR, s->cur.addr + more_addr);
    return rc;
}

static int find_tx_below(const struct cs_store *s, const uint8_t txid[32], uint64_t n,
                         uint64_t *tx);

int cs_store_find_tx(const struct cs_store *s, const uint8_t txid[32], uint64_t *tx)
{
    return find_tx_below(s, txid, s->mode == CS_STORE_WRITE ? s->cur.tx : s->committed.tx, tx);
}

/* The newest transaction with this txid among rows below n. */
static int find_tx_below(const struct cs_store *s, const uint8_t txid[32], uint64_t n, uint64_t *tx)
{
    const struct cs_hidx *x = &s->e.idx[IDX_TX];
    uint64_t home, best = CS_NONE64;
    uint32_t tag;
    if (!x->slots) return CS_ENOTFOUND;
    txid_hash(txid, &home, &tag);
    uint64_t mask = x->cap - 1, i = home & mask;
    for (uint64_t probes = 0; probes < x->cap; probes++) {
        uint32_t v = x->slots[2 * i + 1];
        if (v == 0) break;
        uint64_t id = v - 1;
        if (id < n && x->slots[2 * i] == tag && !memcmp(row(s, CS_COL_TXID, id), txid, 32) &&
            (best == CS_NONE64 || id > best))
            best = id;
        i = (i + 1) & mask;
    }
    if (best == CS_NONE64) return CS_ENOTFOUND;
    *tx = best;
    return 0;
}

/* Finds an address; with insert, appends it when missing (writer only). */
static int addr_lookup(struct cs_store *s, const struct cs_addr *a, uint64_t *id, int insert)
{
    struct cs_hidx *x = &s->e.idx[IDX_ADDR];
    uint64_t n = s->mode == CS_STORE_WRITE ? s->cur.addr : s->committed.addr;
    uint64_t home;
    uint32_t tag;
    if (!x->slots) return CS_ENOTFOUND;
    addr_hash(a, &home, &tag);
    uint64_t mask = x->cap - 1, i = home & mask, reuse = CS_NONE64;
    for (uint64_t probes = 0; probes < x->cap; probes++) {
        uint32_t v = x->slots[2 * i + 1];
        if (v == 0) break;
        uint64_t r = v - 1;
        if (r < n) {
            if (x->slots[2 * i] == tag && !memcmp(row(s, CS_COL_ADDR, r), a, sizeof *a)) {
                *id = r;
                return 0;
            }
        } else if (reuse == CS_NONE64) {
            reuse = i;
        }
        i = (i + 1) & mask;
    }
    if (!insert) return CS_ENOTFOUND;
    int rc;
    uint64_t newid = s->cur.addr;
    if ((rc = col_reserve(s, CS_COL_ADDR, newid + 1)) ||
        (rc = col_reserve(s, CS_COL_ADDRHEAD, newid + 1)))
        return rc;
    memcpy(row(s, CS_COL_ADDR, newid), a, sizeof *a);
    memset(row(s, CS_COL_ADDRHEAD, newid), 0, 8);
    s->cur.addr++;
    if (newid + 1 > 1 && (newid + 1) * 8 > x->cap * 5) {
        /* the rebuild inserts every row incl. the new one */
        if ((rc = idx_grow_for(s, IDX_ADDR, newid + 1))) return rc;
    } else if (reuse != CS_NONE64) {
        x->slots[2 * reuse] = tag;
        x->slots[2 * reuse + 1] = (uint32_t)(newid + 1);
    } else {
        cs_hidx_put(x, home, tag, newid, newid);
    }
    *id = newid;
    return 0;
}

int cs_store_find_addr(const struct cs_store *s, const struct cs_addr *a, uint64_t *addr)
{
    return addr_lookup((struct cs_store *)s, a, addr, 0);
}

/* ---------------- open checks ---------------- */

/* The in-place columns are derived data; a sample of their entries is
 * checked against the columns they derive from. */
static int sample_derived(const struct cs_store *s, uint64_t *rng, int samples)
{
    const struct cs_counts *k = s->vis;
    for (int j = 0; j < samples && k->in; j++) {
        uint64_t i = cs_engine_next_rand(rng) % k->in, p = cs_store_in_prevout(s, i);
        if (p == CS_NONE64) continue;
        uint64_t t = cs_store_in_tx(s, i);
        if (cs_store_spent_by(s, p) != t)
            return cs_error(CS_ECORRUPT,
                            "store corrupt: %s/spent.col row %llu: not spent by tx %llu, whose "
                            "input %llu spends it",
                            s->e.dir, (unsigned long long)p, (unsigned long long)t,
                            (unsigned long long)i);
    }
    for (int j = 0; j < samples && k->addr > 1; j++) {
        uint64_t a = 1 + cs_engine_next_rand(rng) % (k->addr - 1), o = cs_store_addr_head(s, a);
        if (o != CS_NONE64 && cs_store_out(s, o)->addr != a)
            return cs_error(CS_ECORRUPT,
                            "store corrupt: %s/addrhead.col row %llu: newest output %llu belongs "
                            "to another address",
                            s->e.dir, (unsigned long long)a, (unsigned long long)o);
    }
    return cs_store_status(s);
}

/* The cheap check every reader open makes: chunk-hash lists against MANIFEST
 * (done by sums_load), each column's partial last chunk, CS_OPEN_SAMPLES
 * random full chunks per column, and a sample of the derived columns.  On a
 * store whose columns are each below one chunk (1 MiB) that is every byte. */
#define CS_OPEN_SAMPLES 2
#define CS_OPEN_FULL_OUTPUTS (1u << 18)
static int check_derived(const struct cs_store *s);
static int open_check(struct cs_store *s)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t rng = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32), rows[CS_COL_COUNT];
    rows_of(&s->committed, rows);
    int rc = cs_engine_check_sums(&s->e, rows, CS_OPEN_SAMPLES, &rng);
    if (rc) return rc;
    /* small stores (the whole derived check costs milliseconds) get all of it */
    if (s->vis->out <= CS_OPEN_FULL_OUTPUTS) return check_derived(s);
    return sample_derived(s, &rng, 64);
}

/* ---------------- MANIFEST ---------------- */

/* Readers may hold a snapshot of any MANIFEST written since this writer
 * opened (or the one it found), so files never shrink below the largest. */
static void raise_high(struct cs_store *s)
{
    for (int c = 0; c < CS_COL_COUNT; c++) {
        uint64_t *h = count_of(&s->high, c), v = *count_of(&s->committed, c);
        if (v > *h) *h = v;
    }
}

/* The schema's MANIFEST lines (the engine adds the checksums). */
static size_t manifest_body(const struct cs_store *s, char *buf, size_t cap)
{
    char hex[65];
    size_t n = 0;
    const struct cs_counts *k = &s->cur;
    n += (size_t)snprintf(buf + n, cap - n, "chainsleuth-store %d\nnetwork %s\n", CS_STORE_FORMAT,
                          s->net->name);
    n += (size_t)snprintf(
        buf + n, cap - n, "blocks %llu\ntx %llu\nin %llu\nout %llu\naddr %llu\nmsig %llu\n",
        (unsigned long long)k->blocks, (unsigned long long)k->tx, (unsigned long long)k->in,
        (unsigned long long)k->out, (unsigned long long)k->addr, (unsigned long long)k->msig);
    n += (size_t)snprintf(buf + n, cap - n, "utxo_count %llu\nutxo_total %llu\n",
                          (unsigned long long)s->cur_utxo_count,
                          (unsigned long long)s->cur_utxo_total);
    if (k->blocks) {
        cs_hex_rev(hex, ((const struct cs_blockrec *)row(s, CS_COL_BLK, k->blocks - 1))->hash);
        n += (size_t)snprintf(buf + n, cap - n, "tip %llu %s\n",
                              (unsigned long long)(k->blocks - 1), hex);
    }
    return n;
}

/* The current counts become the committed ones; sync first when sync. */
static int manifest_write(struct cs_store *s, int sync)
{
    char buf[1024];
    uint64_t rows[CS_COL_COUNT];
    rows_of(&s->cur, rows);
    size_t n = manifest_body(s, buf, sizeof buf);
    int rc = sync ? cs_engine_commit(&s->e, rows, buf, n)
                  : cs_engine_manifest_write(&s->e, rows, buf, n);
    if (rc) return rc;
    s->committed = s->cur;
    raise_high(s);
    s->utxo_count = s->cur_utxo_count;
    s->utxo_total = s->cur_utxo_total;
    return 0;
}

static int manifest_read(struct cs_store *s)
{
    char buf[4096];
    int rc = cs_engine_manifest_read(&s->e, buf, sizeof buf);
    if (rc) return rc;
    int fmt = 0, sums_seen = s->e.sums_seen;
    char netname[32] = "";
    struct cs_counts k = {0};
    unsigned long long uc = 0, ut = 0;
    char *line, *save;
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned long long v;
        if (sscanf(line, "chainsleuth-store %d", &fmt) == 1) continue;
        if (sscanf(line, "network %31s", netname) == 1) continue;
        if (sscanf(line, "blocks %llu", &v) == 1)
            k.blocks = v;
        else if (sscanf(line, "tx %llu", &v) == 1)
            k.tx = v;
        else if (sscanf(line, "in %llu", &v) == 1)
            k.in = v;
        else if (sscanf(line, "out %llu", &v) == 1)
            k.out = v;
        else if (sscanf(line, "addr %llu", &v) == 1)
            k.addr = v;
        else if (sscanf(line, "msig %llu", &v) == 1)
            k.msig = v;
        else if (sscanf(line, "utxo_count %llu", &v) == 1)
            uc = v;
        else if (sscanf(line, "utxo_total %llu", &v) == 1)
            ut = v;
    }
    if (fmt == 1 && !sums_seen)
        fmt = CS_STORE_FORMAT; /* before checksums; see cs_store_open */
    else if (fmt == CS_STORE_FORMAT && sums_seen != CS_COL_COUNT - 2)
        return cs_error(CS_ECORRUPT, "store corrupt: %s/MANIFEST: %d column checksums, want %d",
                        s->e.dir, sums_seen, CS_COL_COUNT - 2);
    if (fmt != CS_STORE_FORMAT)
        return cs_error(CS_ECORRUPT, "%s/MANIFEST: format %d, this build reads %d", s->e.dir, fmt,
                        CS_STORE_FORMAT);
    s->net = cs_net_by_name(netname);
    if (!s->net)
        return cs_error(CS_ECORRUPT, "store corrupt: %s/MANIFEST: unknown network '%s'", s->e.dir,
                        netname);
    s->committed = s->cur = s->high = k;
    s->utxo_count = s->cur_utxo_count = uc;
    s->utxo_total = s->cur_utxo_total = ut;
    return 0;
}

/* ---------------- recovery ---------------- */

static int is_utxo_out(const struct cs_store *s, uint64_t o)
{
    const struct cs_outrec *r = (const struct cs_outrec *)row(s, CS_COL_OUT, o);
    uint32_t a = r->addr;
    if (a == 0 || a >= s->e.col[CS_COL_ADDR].maplen / sizeof(struct cs_addr)) return 1;
    return ((const struct cs_addr *)row(s, CS_COL_ADDR, a))->type != CS_ADDR_OPRETURN;
}

/* Undoes every row past the counts k (the committed ones, or a savepoint; see
 * the top of this file) and makes k the current counts. */
static int undo_past(struct cs_store *s, const struct cs_counts *k)
{
    uint64_t t_blk = cs_engine_tail_rows(&s->e, CS_COL_BLK, k->blocks);
    uint64_t t_tx = cs_engine_tail_rows(&s->e, CS_COL_TX, k->tx),
             t_txid = cs_engine_tail_rows(&s->e, CS_COL_TXID, k->tx);
    uint64_t t_in = cs_engine_tail_rows(&s->e, CS_COL_IN, k->in),
             t_out = cs_engine_tail_rows(&s->e, CS_COL_OUT, k->out);
    uint64_t t_addr = cs_engine_tail_rows(&s->e, CS_COL_ADDR, k->addr),
             t_msig = cs_engine_tail_rows(&s->e, CS_COL_MSIG, k->msig);
    if (t_txid > t_tx) t_tx = t_txid;
    uint64_t out_rows = s->e.col[CS_COL_SPENT].maplen / 4;
    uint64_t head_rows = s->e.col[CS_COL_ADDRHEAD].maplen / 8;
    if (t_blk | t_tx | t_in | t_out | t_addr | t_msig) {
        for (uint64_t i = k->in; i < k->in + t_in; i++) {
            uint64_t p1 = ((const struct cs_inrec *)row(s, CS_COL_IN, i))->prevout1;
            if (p1 == 0 || p1 == CS_NONE64 || p1 - 1 >= out_rows) continue;
            uint8_t *sp = row(s, CS_COL_SPENT, p1 - 1);
            uint32_t v = cs_le32(sp);
            if (v != 0 && (uint64_t)(v - 1) >= k->tx) memset(sp, 0, 4);
        }
        for (uint64_t o = k->out + t_out; o-- > k->out;) {
            uint32_t a = ((const struct cs_outrec *)row(s, CS_COL_OUT, o))->addr;
            if (a == 0 || a >= head_rows || o >= s->e.col[CS_COL_OUTNEXT].maplen / 8) continue;
            uint8_t *h = row(s, CS_COL_ADDRHEAD, a);
            if (cs_le64(h) == o + 1) memcpy(h, row(s, CS_COL_OUTNEXT, o), 8);
        }
        cs_engine_zero_rows(&s->e, CS_COL_IN, k->in, k->in + t_in);
        cs_engine_zero_rows(&s->e, CS_COL_SPENT, k->out,
                            k->out + t_out > out_rows ? out_rows : k->out + t_out);
        cs_engine_zero_rows(&s->e, CS_COL_OUTNEXT, k->out, k->out + t_out);
        cs_engine_zero_rows(&s->e, CS_COL_OUT, k->out, k->out + t_out);
        cs_engine_zero_rows(&s->e, CS_COL_ADDRHEAD, k->addr,
                            k->addr + t_addr > head_rows ? head_rows : k->addr + t_addr);
        cs_engine_zero_rows(&s->e, CS_COL_ADDR, k->addr, k->addr + t_addr);
        cs_engine_zero_rows(&s->e, CS_COL_MSIG, k->msig, k->msig + t_msig);
        cs_engine_zero_rows(&s->e, CS_COL_TXID, k->tx, k->tx + t_tx);
        cs_engine_zero_rows(&s->e, CS_COL_TX, k->tx, k->tx + t_tx);
        cs_engine_zero_rows(&s->e, CS_COL_BLK, k->blocks, k->blocks + t_blk);
    }
    s->cur = *k;
    return 0;
}

static int recover_tail(struct cs_store *s)
{
    int rc = undo_past(s, &s->committed);
    s->cur_utxo_count = s->utxo_count;
    s->cur_utxo_total = s->utxo_total;
    return rc;
}

/* ---------------- snapshots ---------------- */

uint64_t cs_store_rollback_copied(const struct cs_store *s, uint64_t *rollbacks)
{
    if (rollbacks) *rollbacks = s->e.cow_rollbacks;
    return s->e.cow_bytes;
}

int cs_store_refresh(struct cs_store *s)
{
    if (s->mode == CS_STORE_WRITE)
        return cs_error(CS_EUSAGE, "%s: cs_store_refresh is for readers", s->e.dir);
    struct cs_store *n;
    int rc = cs_store_open(&n, s->e.dbdir, s->e.chain, CS_STORE_READ | CS_STORE_NOCHECK, NULL);
    if (rc) return rc;
    struct cs_store old = *s;
    *s = *n;
    *n = old;
    s->vis = &s->committed;
    n->vis = &n->committed;
    cs_store_close(n);
    return 0;
}

/* ---------------- open / close ---------------- */

static int init_new(struct cs_store *s)
{
    int rc;
    /* address row 0 is reserved so that no written output row is all zero */
    if ((rc = col_reserve(s, CS_COL_ADDR, 1)) || (rc = col_reserve(s, CS_COL_ADDRHEAD, 1)))
        return rc;
    s->cur.addr = 1;
    return manifest_write(s, 0);
}

/* Writer: opens an index, building it from the columns when its file is
 * missing, and grows it to the load factor. */
static int writer_idx(struct cs_store *s, int i)
{
    char p[4200];
    struct stat st;
    cs_engine_path(&s->e, IDX_NAMES[i], p, sizeof p);
    int have = stat(p, &st) == 0, rc;
    uint64_t rows = i == IDX_TX ? s->cur.tx : s->cur.addr;
    if ((rc = cs_engine_idx_open(&s->e, i, 1024, !have))) return rc;
    if (!have && rows > (i == IDX_TX ? 0u : 1u) && (rc = idx_rebuild(s, i, rows, 1024))) return rc;
    return idx_grow_for(s, i, rows);
}

int cs_store_open(struct cs_store **out, const char *dbdir, const char *chain, int mode,
                  const struct cs_netparams *net)
{
    int rc;
    struct cs_store *s = cs_xcalloc(1, sizeof *s);
    s->mode = mode & CS_STORE_WRITE;
    s->vis = mode == CS_STORE_WRITE ? &s->cur : &s->committed;
    if (!chain || strcmp(chain, "btc")) { /* the one chain this schema holds */
        rc = cs_error(CS_EUSAGE, "chain '%s': this build stores only btc", chain ? chain : "");
        cs_engine_init(&s->e);
        goto fail;
    }
    if ((rc = cs_engine_open(&s->e, dbdir, chain, s->mode == CS_STORE_WRITE, COLS, CS_COL_COUNT,
                             IDX_NAMES, 2)))
        goto fail;
    rc = manifest_read(s);
    int fresh = 0;
    if (rc == CS_ENOTFOUND) {
        if (mode != CS_STORE_WRITE) {
            rc =
                cs_error(CS_ENOTFOUND, "%s: no store here (run `chainsleuth ingest` first)", dbdir);
            goto fail;
        }
        if (!net) {
            rc = cs_error(CS_EUSAGE, "%s: new store needs a network", dbdir);
            goto fail;
        }
        s->net = net;
        fresh = 1;
    } else if (rc) {
        goto fail;
    } else if (net && net != s->net) {
        rc = cs_error(CS_EUSAGE, "%s: store holds network %s, input is %s", dbdir, s->net->name,
                      net->name);
        goto fail;
    }
    uint64_t rows[CS_COL_COUNT];
    rows_of(&s->committed, rows);
    if ((rc = cs_engine_open_cols(&s->e, rows))) goto fail;
    if (fresh && (rc = init_new(s))) goto fail;
    if (mode == CS_STORE_WRITE) {
        if ((rc = recover_tail(s)) || (rc = writer_idx(s, IDX_TX)) ||
            (rc = writer_idx(s, IDX_ADDR)))
            goto fail;
    } else {
        if ((rc = cs_engine_idx_open(&s->e, IDX_TX, 0, 0)) ||
            (rc = cs_engine_idx_open(&s->e, IDX_ADDR, 0, 0)))
            goto fail;
        cs_engine_open_done(&s->e); /* every file is open: a rollback may start */
        if (!(mode & CS_STORE_NOCHECK) && (rc = open_check(s))) goto fail;
    }
    *out = s;
    return 0;
fail:
    cs_store_close(s);
    return rc;
}

void cs_store_close(struct cs_store *s)
{
    if (!s) return;
    int wrote = s->mode == CS_STORE_WRITE && s->net;
    if (wrote && memcmp(&s->cur, &s->committed, sizeof s->cur))
        recover_tail(s); /* undo in-place updates of an uncommitted tail */
    uint64_t high[CS_COL_COUNT];
    rows_of(&s->high, high);
    cs_engine_close(&s->e, wrote ? high : NULL);
    free(s->scratch);
    free(s->pre);
    free(s);
}

/* ---------------- accessors ---------------- */

const struct cs_counts *cs_store_counts(const struct cs_store *s)
{
    return s->mode == CS_STORE_WRITE ? &s->cur : &s->committed;
}
const char *cs_store_chain(const struct cs_store *s)
{
    return s->e.chain;
}
const struct cs_netparams *cs_store_net(const struct cs_store *s)
{
    return s->net;
}
int64_t cs_store_height(const struct cs_store *s)
{
    return (int64_t)cs_store_counts(s)->blocks - 1;
}
void cs_store_utxo(const struct cs_store *s, uint64_t *count, uint64_t *total)
{
    *count = s->mode == CS_STORE_WRITE ? s->cur_utxo_count : s->utxo_count;
    *total = s->mode == CS_STORE_WRITE ? s->cur_utxo_total : s->utxo_total;
}
/* Every accessor checks its row id against the snapshot and every link
 * against the row counts it points into; a violation is recorded (sticky, see
 * cs_store_status) and answered with a zero row or "none", so no walk can
 * leave the mapping or loop. */
const struct cs_blockrec *cs_store_block(const struct cs_store *s, uint64_t h)
{
    if (h >= s->vis->blocks) {
        corrupt_at(s, CS_COL_BLK, h, "block past the committed blocks");
        return (const struct cs_blockrec *)ZERO_ROW;
    }
    const struct cs_blockrec *b = (const struct cs_blockrec *)row(s, CS_COL_BLK, h);
    if (b->first_tx > s->vis->tx || b->n_tx > s->vis->tx - b->first_tx) {
        corrupt_at(s, CS_COL_BLK, h, "transaction range past the committed transactions");
        return (const struct cs_blockrec *)ZERO_ROW;
    }
    return b;
}
const struct cs_txrec *cs_store_tx(const struct cs_store *s, uint64_t t)
{
    if (t >= s->vis->tx) {
        corrupt_at(s, CS_COL_TX, t, "transaction past the committed transactions");
        return (const struct cs_txrec *)ZERO_ROW;
    }
    return (const struct cs_txrec *)row(s, CS_COL_TX, t);
}
const uint8_t *cs_store_txid(const struct cs_store *s, uint64_t t)
{
    if (t >= s->vis->tx) {
        corrupt_at(s, CS_COL_TXID, t, "transaction past the committed transactions");
        return ZERO_ROW;
    }
    return row(s, CS_COL_TXID, t);
}
const struct cs_inrec *cs_store_in(const struct cs_store *s, uint64_t i)
{
    if (i >= s->vis->in) {
        corrupt_at(s, CS_COL_IN, i, "input past the committed inputs");
        return (const struct cs_inrec *)ZERO_ROW;
    }
    return (const struct cs_inrec *)row(s, CS_COL_IN, i);
}
uint64_t cs_store_in_prevout(const struct cs_store *s, uint64_t i)
{
    uint64_t p1 = cs_store_in(s, i)->prevout1;
    if (p1 == CS_NONE64) return CS_NONE64;
    if (p1 == 0 || p1 - 1 >= s->vis->out) {
        corrupt_at(s, CS_COL_IN, i, "spent output past the committed outputs");
        return CS_NONE64;
    }
    return p1 - 1;
}
const struct cs_outrec *cs_store_out(const struct cs_store *s, uint64_t o)
{
    if (o >= s->vis->out) {
        corrupt_at(s, CS_COL_OUT, o, "output past the committed outputs");
        return (const struct cs_outrec *)ZERO_ROW;
    }
    const struct cs_outrec *r = (const struct cs_outrec *)row(s, CS_COL_OUT, o);
    if (r->addr >= s->vis->addr) {
        corrupt_at(s, CS_COL_OUT, o, "address past the committed addresses");
        return (const struct cs_outrec *)ZERO_ROW;
    }
    return r;
}
const struct cs_addr *cs_store_addr(const struct cs_store *s, uint64_t a)
{
    if (a >= s->vis->addr) {
        corrupt_at(s, CS_COL_ADDR, a, "address past the committed addresses");
        return (const struct cs_addr *)ZERO_ROW;
    }
    return (const struct cs_addr *)row(s, CS_COL_ADDR, a);
}
const struct cs_msigrec *cs_store_msig(const struct cs_store *s, uint64_t r)
{
    if (r >= s->vis->msig) {
        corrupt_at(s, CS_COL_MSIG, r, "link past the committed multisig links");
        return (const struct cs_msigrec *)ZERO_ROW;
    }
    const struct cs_msigrec *m = (const struct cs_msigrec *)row(s, CS_COL_MSIG, r);
    if (m->msig_addr >= s->vis->addr || m->key_addr >= s->vis->addr) {
        corrupt_at(s, CS_COL_MSIG, r, "address past the committed addresses");
        return (const struct cs_msigrec *)ZERO_ROW;
    }
    return m;
}
uint64_t cs_store_spent_by(const struct cs_store *s, uint64_t o)
{
    if (o >= s->vis->out) {
        corrupt_at(s, CS_COL_SPENT, o, "output past the committed outputs");
        return CS_NONE64;
    }
    uint32_t v = cs_le32(row(s, CS_COL_SPENT, o));
    /* a spend a writer made after this snapshot is not visible in it */
    if (v == 0 || (uint64_t)(v - 1) >= s->vis->tx) return CS_NONE64;
    return v - 1;
}
uint64_t cs_store_addr_head(const struct cs_store *s, uint64_t a)
{
    if (a >= s->vis->addr) {
        corrupt_at(s, CS_COL_ADDRHEAD, a, "address past the committed addresses");
        return CS_NONE64;
    }
    const uint64_t n = s->vis->out;
    uint64_t v = 0, bad = 0;
    int at_head = 0;
    /* A head past the snapshot points into rows a writer appended since (or a
     * killed writer left): follow their links, which always go to older
     * outputs, back into the snapshot.  Those rows lie past this reader's
     * mapping and are read with pread; a writer writes a row's link before
     * the head that points to it (release fence), so a torn view can only
     * come from a concurrent rollback, and is retried. */
    for (int attempt = 0; attempt < 4; attempt++) {
        cs_engine_tail_u64(&s->e, CS_COL_ADDRHEAD, a, &v);
        at_head = 1;
        while (v > n) {
            uint64_t next;
            if (!cs_engine_tail_u64(&s->e, CS_COL_OUTNEXT, v - 1, &next) || next >= v) break;
            v = next;
            at_head = 0;
        }
        if (v <= n) return v ? v - 1 : CS_NONE64;
        bad = v - 1;
    }
    if (at_head)
        corrupt_at(s, CS_COL_ADDRHEAD, a, "newest output past every output written");
    else
        corrupt_at(s, CS_COL_OUTNEXT, bad,
                   "an address's output list does not lead back to committed rows");
    return CS_NONE64;
}
uint64_t cs_store_out_next(const struct cs_store *s, uint64_t o)
{
    if (o >= s->vis->out) {
        corrupt_at(s, CS_COL_OUTNEXT, o, "output past the committed outputs");
        return CS_NONE64;
    }
    uint64_t v = cs_le64(row(s, CS_COL_OUTNEXT, o));
    if (v > o) { /* links always go to an older output */
        corrupt_at(s, CS_COL_OUTNEXT, o, "link to a later output");
        return CS_NONE64;
    }
    return v ? v - 1 : CS_NONE64;
}
static void tx_range(const struct cs_store *s, uint64_t t, int outs, uint64_t *first, uint64_t *n)
{
    const struct cs_counts *k = s->vis;
    const struct cs_txrec *r = cs_store_tx(s, t);
    uint64_t f = outs ? r->first_out : r->first_in, end = outs ? k->out : k->in;
    uint64_t next = end;
    if (t + 1 < k->tx)
        next = outs ? cs_store_tx(s, t + 1)->first_out : cs_store_tx(s, t + 1)->first_in;
    if (f > next || next > end) {
        corrupt_at(s, CS_COL_TX, t,
                   outs ? "output range out of order" : "input range out of order");
        *first = *n = 0;
        return;
    }
    *first = f;
    *n = next - f;
}
void cs_store_tx_ins(const struct cs_store *s, uint64_t t, uint64_t *first, uint64_t *n)
{
    tx_range(s, t, 0, first, n);
}
void cs_store_tx_outs(const struct cs_store *s, uint64_t t, uint64_t *first, uint64_t *n)
{
    tx_range(s, t, 1, first, n);
}
static uint64_t tx_search(const struct cs_store *s, uint64_t id, int outs)
{
    uint64_t lo = 0, hi = cs_store_counts(s)->tx; /* last tx with first <= id */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        const struct cs_txrec *r = cs_store_tx(s, mid);
        if ((outs ? r->first_out : r->first_in) <= id)
            lo = mid;
        else
            hi = mid;
    }
    /* skip transactions without outputs that share the same first_out */
    return lo;
}
uint64_t cs_store_out_tx(const struct cs_store *s, uint64_t o)
{
    return tx_search(s, o, 1);
}
uint64_t cs_store_in_tx(const struct cs_store *s, uint64_t i)
{
    return tx_search(s, i, 0);
}

int cs_store_find_block(const struct cs_store *s, const uint8_t hash[32], uint64_t *height)
{
    uint64_t n = cs_store_counts(s)->blocks;
    for (uint64_t h = n; h-- > 0;)
        if (!memcmp(cs_store_block(s, h)->hash, hash, 32)) {
            *height = h;
            return 0;
        }
    return CS_ENOTFOUND;
}

/* ---------------- writer: append ---------------- */

static int reserve_rows(struct cs_store *s, int c, uint64_t extra)
{
    return col_reserve(s, c, *count_of(&s->cur, c) + extra);
}

static int append_block(struct cs_store *s, const struct cs_block *b)
{
    int rc;
    char bh[65];
    if (s->mode != CS_STORE_WRITE) BUG("append on a read-only store");
    uint64_t height = s->cur.blocks;
    uint64_t work[4] = {0};
    if (height) {
        const struct cs_blockrec *tip = cs_store_block(s, height - 1);
        if (memcmp(tip->hash, b->hdr.prev, 32)) {
            cs_hex_rev(bh, b->hash);
            return cs_error(CS_ECONSENSUS, "block %s does not extend the tip at height %llu", bh,
                            (unsigned long long)(height - 1));
        }
        memcpy(work, tip->work, 32);
    } else if (!cs_engine_row_is_zero(b->hdr.prev, 32)) {
        cs_hex_rev(bh, b->hash);
        return cs_error(CS_ECONSENSUS, "block %s cannot start a chain: its prev hash is not zero",
                        bh);
    }
    uint64_t w[4];
    cs_work_from_bits(b->hdr.bits, w);
    cs_work_add(work, w);

    /* bounds for this block's rows, reserved up front so pointers stay put */
    uint64_t nin = 0, nout = 0;
    for (uint32_t t = 0; t < b->n_tx; t++) {
        nin += b->tx[t].n_in;
        nout += b->tx[t].n_out;
    }
    if ((rc = reserve_rows(s, CS_COL_BLK, 1)) || (rc = reserve_rows(s, CS_COL_TX, b->n_tx)) ||
        (rc = reserve_rows(s, CS_COL_TXID, b->n_tx)) || (rc = reserve_rows(s, CS_COL_IN, nin)) ||
        (rc = reserve_rows(s, CS_COL_OUT, nout)) || (rc = reserve_rows(s, CS_COL_SPENT, nout)) ||
        (rc = reserve_rows(s, CS_COL_OUTNEXT, nout)))
        return rc;
    if ((rc = idx_grow_for(s, IDX_TX, s->cur.tx + b->n_tx))) return rc;

    /* First pass: classify every output and touch the index slots that the
     * second pass will probe, so that the cache misses of a whole block
     * overlap instead of coming one at a time. */
    if (nout > s->scratch_cap) {
        s->scratch_cap = nout + nout / 2;
        s->scratch = cs_xrealloc(s->scratch, s->scratch_cap * sizeof *s->scratch);
    }
    {
        uint64_t k = 0, tmask = s->e.idx[IDX_TX].cap - 1, amask = s->e.idx[IDX_ADDR].cap - 1;
        for (uint32_t t = 0; t < b->n_tx; t++) {
            const struct cs_tx *tx = &b->tx[t];
            for (uint32_t i = 0; t > 0 && i < tx->n_in; i++) {
                uint64_t home;
                uint32_t tag;
                txid_hash(tx->in[i].prev_txid, &home, &tag);
                __builtin_prefetch(&s->e.idx[IDX_TX].slots[2 * (home & tmask)]);
            }
            for (uint32_t o = 0; o < tx->n_out; o++, k++) {
                struct cs_addr *a = &s->scratch[k];
                uint64_t home;
                uint32_t tag;
                cs_script_classify(tx->out[o].script, tx->out[o].script_len, a);
                a->flags = 0; /* a P2PK output belongs to the P2PKH address of its key */
                addr_hash(a, &home, &tag);
                __builtin_prefetch(&s->e.idx[IDX_ADDR].slots[2 * (home & amask)]);
            }
        }
    }
    /* Second pass: resolve the prevouts that lie before this block and touch
     * the rows the main loop will read and write (spent, value). Prevouts in
     * this block are resolved in the main loop, once their tx is indexed. */
    if (nin > s->pre_cap) {
        s->pre_cap = nin + nin / 2;
        s->pre = cs_xrealloc(s->pre, s->pre_cap * sizeof *s->pre);
    }
    {
        uint64_t k = 0, first_tx = s->cur.tx;
        for (uint32_t t = 0; t < b->n_tx; t++) {
            const struct cs_tx *tx = &b->tx[t];
            for (uint32_t i = 0; i < tx->n_in; i++, k++) {
                uint64_t ptx, f, n;
                s->pre[k] = 0;
                if (t == 0 || cs_store_find_tx(s, tx->in[i].prev_txid, &ptx) || ptx >= first_tx)
                    continue;
                cs_store_tx_outs(s, ptx, &f, &n);
                if (tx->in[i].prev_vout >= n) continue; /* reported by the main loop */
                uint64_t o = f + tx->in[i].prev_vout;
                __builtin_prefetch(row(s, CS_COL_SPENT, o), 1);
                __builtin_prefetch(row(s, CS_COL_OUT, o));
                s->pre[k] = o + 1;
            }
        }
    }
    uint64_t scratch_k = 0, pre_k = 0;

    for (uint32_t t = 0; t < b->n_tx; t++) {
        const struct cs_tx *tx = &b->tx[t];
        uint64_t txrow = s->cur.tx;
        if (txrow >= 0xfffffffeu) return cs_error(CS_ERANGE, "more than 2^32-2 transactions");
        struct cs_txrec tr = {s->cur.in,    s->cur.out, (uint32_t)height, tx->version,
                              tx->locktime, tx->size,   cs_tx_weight(tx)};
        memcpy(row(s, CS_COL_TX, txrow), &tr, sizeof tr);
        memcpy(row(s, CS_COL_TXID, txrow), tx->txid, 32);
        s->cur.tx++;
        /* inputs: rows first, then the spent pointers (recovery relies on this order) */
        uint64_t first_in = s->cur.in;
        for (uint32_t i = 0; i < tx->n_in; i++) {
            struct cs_inrec ir = {CS_NONE64, tx->in[i].sequence};
            uint64_t pre1 = s->pre[pre_k++];
            if (pre1) {
                ir.prevout1 = pre1;
            } else if (t > 0) {
                uint64_t ptx;
                char id[65];
                if (cs_store_find_tx(s, tx->in[i].prev_txid, &ptx) || ptx >= txrow) {
                    cs_hex_rev(id, tx->in[i].prev_txid);
                    cs_hex_rev(bh, tx->txid);
                    return cs_error(CS_ECONSENSUS, "tx %s input %u spends unknown tx %s", bh, i,
                                    id);
                }
                uint64_t f, n;
                cs_store_tx_outs(s, ptx, &f, &n);
                if (tx->in[i].prev_vout >= n) {
                    cs_hex_rev(id, tx->in[i].prev_txid);
                    cs_hex_rev(bh, tx->txid);
                    return cs_error(CS_ECONSENSUS,
                                    "tx %s input %u spends %s:%u, which does not exist", bh, i, id,
                                    tx->in[i].prev_vout);
                }
                ir.prevout1 = f + tx->in[i].prev_vout + 1;
            }
            memcpy(row(s, CS_COL_IN, s->cur.in), &ir, sizeof ir);
            s->cur.in++;
        }
        for (uint64_t i = first_in; i < s->cur.in; i++) {
            uint64_t p1 = cs_store_in(s, i)->prevout1;
            if (p1 == CS_NONE64) continue;
            uint8_t *sp = row(s, CS_COL_SPENT, p1 - 1);
            if (cs_le32(sp) != 0) {
                char id[65];
                cs_hex_rev(bh, tx->txid);
                cs_hex_rev(id, cs_store_txid(s, cs_store_out_tx(s, p1 - 1)));
                return cs_error(CS_ECONSENSUS, "tx %s input %llu double-spends an output of tx %s",
                                bh, (unsigned long long)(i - first_in), id);
            }
            cs_put_le32(sp, (uint32_t)(txrow + 1));
            /* a spendable output is never OP_RETURN (its script fails), so every
             * spend leaves the UTXO set */
            s->cur_utxo_count--;
            s->cur_utxo_total -= cs_store_out(s, p1 - 1)->value;
        }
        /* A txid seen before (the two BIP30 coinbase pairs on mainnet): the
         * new transaction's outputs replace the old one's unspent outputs, as
         * in Bitcoin Core, so those leave the UTXO set. */
        uint64_t dup;
        if (find_tx_below(s, tx->txid, txrow, &dup) == 0) {
            uint64_t f, n;
            cs_store_tx_outs(s, dup, &f, &n);
            for (uint64_t o = f; o < f + n; o++) {
                if (cs_store_spent_by(s, o) != CS_NONE64 || !is_utxo_out(s, o)) continue;
                s->cur_utxo_count--;
                s->cur_utxo_total -= cs_store_out(s, o)->value;
            }
        }
        /* now the txid becomes findable: a tx cannot spend its own outputs */
        uint64_t home;
        uint32_t tag;
        txid_hash(tx->txid, &home, &tag);
        cs_hidx_put(&s->e.idx[IDX_TX], home, tag, txrow, txrow);
        for (uint32_t o = 0; o < tx->n_out; o++) {
            struct cs_addr a = s->scratch[scratch_k++];
            uint64_t aid;
            uint64_t addrs_before = s->cur.addr;
            if ((rc = addr_lookup(s, &a, &aid, 1))) return rc;
            if (aid > 0xffffffffu) return cs_error(CS_ERANGE, "more than 2^32-1 addresses");
            if (a.type == CS_ADDR_MULTISIG && aid >= addrs_before) {
                /* link rows are written once, when the multisig script is first seen */
                struct cs_addr keys[20];
                int nk =
                    cs_script_multisig_keys(tx->out[o].script, tx->out[o].script_len, keys, 20);
                for (int k = 0; k < nk && k < 20; k++) {
                    uint64_t kid;
                    if ((rc = addr_lookup(s, &keys[k], &kid, 1))) return rc;
                    if ((rc = reserve_rows(s, CS_COL_MSIG, 1))) return rc;
                    struct cs_msigrec mr = {(uint32_t)aid, (uint32_t)kid};
                    memcpy(row(s, CS_COL_MSIG, s->cur.msig), &mr, sizeof mr);
                    s->cur.msig++;
                }
            }
            uint64_t orow = s->cur.out;
            struct cs_outrec r = {(uint64_t)tx->out[o].value, (uint32_t)aid};
            memcpy(row(s, CS_COL_OUT, orow), &r, sizeof r);
            uint8_t *head = row(s, CS_COL_ADDRHEAD, aid);
            memcpy(row(s, CS_COL_OUTNEXT, orow), head, 8);
            s->cur.out++;
            /* readers follow head -> outnext of rows past their snapshot: the
             * link must be visible before the head that points to it */
            {
                uint8_t hb[8];
                uint64_t hv;
                cs_put_le64(hb, orow + 1);
                memcpy(&hv, hb, 8);
                __atomic_store_n((uint64_t *)head, hv, __ATOMIC_RELEASE);
            }
            if (a.type != CS_ADDR_OPRETURN) {
                s->cur_utxo_count++;
                s->cur_utxo_total += (uint64_t)tx->out[o].value;
            }
        }
    }
    struct cs_blockrec br;
    memset(&br, 0, sizeof br);
    memcpy(br.hash, b->hash, 32);
    memcpy(br.header, b->raw, 80);
    br.first_tx = s->cur.tx - b->n_tx;
    br.n_tx = b->n_tx;
    br.size = b->size;
    memcpy(br.work, work, 32);
    br.addr_end = s->cur.addr;
    br.msig_end = s->cur.msig;
    memcpy(row(s, CS_COL_BLK, height), &br, sizeof br);
    s->cur.blocks++;
    return 0;
}

int cs_store_append_block(struct cs_store *s, const struct cs_block *b)
{
    struct cs_counts before = s->cur;
    uint64_t uc = s->cur_utxo_count, ut = s->cur_utxo_total;
    int rc = append_block(s, b);
    if (rc) {
        /* leave the store exactly as before the call */
        undo_past(s, &before);
        s->cur_utxo_count = uc;
        s->cur_utxo_total = ut;
    }
    return rc;
}

int cs_store_commit(struct cs_store *s)
{
    return manifest_write(s, 1);
}

static int truncate_to(struct cs_store *s, uint64_t keep);

int cs_store_truncate(struct cs_store *s, int64_t keep_height)
{
    int rc;
    if ((rc = recover_tail(s))) return rc; /* start from the committed state */
    uint64_t keep = (uint64_t)(keep_height + 1);
    if (keep >= s->cur.blocks) return 0;
    /* no reader may open until the shorter chain is committed; if one is
     * open, the files it maps are set aside first (engine.h "Snapshots") */
    uint64_t rows[CS_COL_COUNT];
    rows_of(&s->cur, rows);
    if ((rc = cs_engine_rollback_begin(&s->e, rows))) return rc;
    rc = truncate_to(s, keep);
    cs_engine_rollback_end(&s->e);
    return rc;
}

static int truncate_to(struct cs_store *s, uint64_t keep)
{
    int rc;
    struct cs_counts k = s->cur;
    const struct cs_blockrec *br = cs_store_block(s, keep);
    uint64_t tx0 = br->first_tx;
    const struct cs_txrec *tr = cs_store_tx(s, tx0);
    uint64_t in0 = tr->first_in, out0 = tr->first_out;
    /* utxo totals without the removed blocks, mirroring append_block: every
     * spend left the set, every new non-OP_RETURN output entered it, and a
     * duplicate txid pushed its predecessor's unspent outputs out */
    for (uint64_t t = tx0; t < k.tx; t++) {
        uint64_t dup, f, n;
        if (find_tx_below(s, cs_store_txid(s, t), t, &dup) || dup >= tx0) continue;
        cs_store_tx_outs(s, dup, &f, &n);
        for (uint64_t o = f; o < f + n; o++) {
            if (cs_store_spent_by(s, o) != CS_NONE64 || !is_utxo_out(s, o)) continue;
            s->cur_utxo_count++;
            s->cur_utxo_total += cs_store_out(s, o)->value;
        }
    }
    for (uint64_t i = in0; i < k.in; i++) {
        uint64_t p = cs_store_in_prevout(s, i);
        if (p != CS_NONE64 && p < out0) {
            s->cur_utxo_count++;
            s->cur_utxo_total += cs_store_out(s, p)->value;
        }
    }
    for (uint64_t t = tx0; t < k.tx; t++) {
        uint64_t newest, f, n;
        /* outputs a later duplicate already pushed out are not in the set */
        if (find_tx_below(s, cs_store_txid(s, t), k.tx, &newest) == 0 && newest != t) continue;
        cs_store_tx_outs(s, t, &f, &n);
        for (uint64_t o = f; o < f + n; o++) {
            if (!is_utxo_out(s, o) || cs_store_spent_by(s, o) != CS_NONE64) continue;
            s->cur_utxo_count--;
            s->cur_utxo_total -= cs_store_out(s, o)->value;
        }
    }
    uint64_t addr_keep = keep ? cs_store_block(s, keep - 1)->addr_end : 1;
    uint64_t msig_keep = keep ? cs_store_block(s, keep - 1)->msig_end : 0;
    s->cur.blocks = keep;
    s->cur.tx = tx0;
    s->cur.in = in0;
    s->cur.out = out0;
    s->cur.addr = addr_keep;
    s->cur.msig = msig_keep;
    /* commit the shorter chain first; the removed rows are then an uncommitted
     * tail that recover_tail undoes, and redoes after a crash */
    if ((rc = cs_store_commit(s))) return rc;
    return recover_tail(s);
}

/* ---------------- checksums and verification ---------------- */

int cs_store_col_checksum(const struct cs_store *s, int c, uint8_t out[32], uint64_t *bytes)
{
    uint64_t n = *count_of((struct cs_counts *)cs_store_counts(s), c) * s->e.col[c].recsz;
    cs_sha256(n ? s->e.col[c].map : (const uint8_t *)"", (size_t)n, out);
    *bytes = n;
    return 0;
}

/* Every entry of the in-place columns against the columns they derive from:
 * spent pointers equal what the inputs spend (no more, no fewer) and the
 * address lists are strictly descending, each address's own, and hold every
 * output together.  O(tx + in + out + addr). */
static int check_derived(const struct cs_store *s)
{
    const struct cs_counts *k = s->vis;
    int rc;
    uint64_t spends = 0;
    for (uint64_t t = 0; t < k->tx; t++) {
        uint64_t fi, ni;
        cs_store_tx_ins(s, t, &fi, &ni);
        for (uint64_t i = fi; i < fi + ni; i++) {
            uint64_t p = cs_store_in_prevout(s, i);
            if (p == CS_NONE64) continue;
            spends++;
            if (cs_store_spent_by(s, p) != t)
                return cs_error(
                    CS_ECORRUPT,
                    "store corrupt: %s/spent.col row %llu: input %llu of tx %llu spends "
                    "it, the column disagrees",
                    s->e.dir, (unsigned long long)p, (unsigned long long)(i - fi),
                    (unsigned long long)t);
        }
    }
    /* each spend was seen above; any other set pointer is corruption (a value
     * past the snapshot is a later writer's spend, or garbage past the file) */
    uint64_t set = 0;
    for (uint64_t o = 0; o < k->out; o++) {
        uint32_t v = cs_le32(row(s, CS_COL_SPENT, o));
        if (!v) continue;
        if ((uint64_t)(v - 1) < k->tx) {
            set++;
            continue;
        }
        uint8_t txrow[sizeof(struct cs_txrec)];
        if (s->mode == CS_STORE_WRITE ||
            pread(s->e.col[CS_COL_TX].fd, txrow, sizeof txrow,
                  (off_t)((uint64_t)(v - 1) * sizeof txrow)) != (ssize_t)sizeof txrow ||
            cs_engine_row_is_zero(txrow, sizeof txrow))
            return cs_error(CS_ECORRUPT,
                            "store corrupt: %s/spent.col row %llu: spent by tx %llu, which does "
                            "not exist",
                            s->e.dir, (unsigned long long)o, (unsigned long long)(v - 1));
    }
    if (set != spends)
        return cs_error(CS_ECORRUPT,
                        "store corrupt: %s/spent.col: %llu outputs marked spent, inputs spend %llu",
                        s->e.dir, (unsigned long long)set, (unsigned long long)spends);
    uint64_t linked = 0;
    for (uint64_t a = 1; a < k->addr; a++) {
        uint64_t prev = CS_NONE64;
        for (uint64_t o = cs_store_addr_head(s, a); o != CS_NONE64; o = cs_store_out_next(s, o)) {
            if (cs_store_out(s, o)->addr != a || (prev != CS_NONE64 && o >= prev))
                return cs_error(CS_ECORRUPT,
                                "store corrupt: %s/outnext.col row %llu: in the output list of "
                                "address %llu, belongs elsewhere",
                                s->e.dir, (unsigned long long)o, (unsigned long long)a);
            prev = o;
            linked++;
        }
        if ((rc = cs_store_status(s))) return rc;
    }
    if (linked != k->out)
        return cs_error(CS_ECORRUPT,
                        "store corrupt: %s/addrhead.col: address lists hold %llu outputs, store "
                        "has %llu",
                        s->e.dir, (unsigned long long)linked, (unsigned long long)k->out);
    return cs_store_status(s);
}

int cs_store_verify(const struct cs_store *s, int flags,
                    int (*progress)(void *, uint64_t, uint64_t), void *ctx)
{
    const struct cs_counts *k = cs_store_counts(s);
    int rc;
    uint64_t rows[CS_COL_COUNT], rng = 0x5eed;
    rows_of(&s->committed, rows);
    if (flags & CS_VERIFY_QUICK) {
        if ((rc = cs_engine_check_sums(&s->e, rows, 0, &rng))) return rc;
        return sample_derived(s, &rng, 1024);
    }
    /* 1. every byte of the append-only columns against its checksum */
    uint64_t total = k->tx + k->addr + k->out, done = 0;
    if ((rc = cs_engine_check_sums(&s->e, rows, -1, &rng))) return rc;
    /* 2. indexes, then the derived columns against the primary ones */
    for (uint64_t t = 0; t < k->tx; t++, done++) {
        uint64_t f;
        if (cs_store_find_tx(s, cs_store_txid(s, t), &f))
            return cs_error(CS_ECORRUPT, "store corrupt: %s/txid.idx: tx %llu not found", s->e.dir,
                            (unsigned long long)t);
        if (progress && (t & 0xffff) == 0 && progress(ctx, done, total)) return CS_EINTERRUPTED;
    }
    for (uint64_t a = 1; a < k->addr; a++, done++) {
        uint64_t f;
        if (cs_store_find_addr(s, cs_store_addr(s, a), &f) || f != a)
            return cs_error(CS_ECORRUPT, "store corrupt: %s/addr.idx: address %llu not found",
                            s->e.dir, (unsigned long long)a);
        if (progress && (a & 0xffff) == 0 && progress(ctx, done, total)) return CS_EINTERRUPTED;
    }
    return check_derived(s);
}

int cs_store_has_checksums(const struct cs_store *s)
{
    return s->e.have_sums;
}
