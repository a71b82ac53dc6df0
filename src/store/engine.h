/* engine.h — the chain-neutral storage engine under every chain's schema
 * (DESIGN.md "The store"): fixed-width columns in mmap'd files, chunk
 * checksums, open-addressing hash indexes, the atomically committed
 * MANIFEST, the writer lock, the reader table and copy-on-rollback.
 *
 * A schema (src/btc/store.c for Bitcoin; an EVM schema next) names its
 * columns and indexes and decides what their rows mean, what a commit's
 * MANIFEST says besides the checksums, and how an uncommitted tail is undone.
 * The engine knows nothing of blocks, transactions or addresses: it works on
 * row counts per column, and it includes nothing from a chain's folder.
 *
 * A store directory DB holds one folder per chain, DB/CHAIN/, opened by
 * cs_engine_open(e, DB, CHAIN, ...).  Chains never share a file, so two chains
 * have two independent writers and MANIFESTs.  Files of DB/CHAIN/:
 *   NAME          one column, rows of recsz bytes, row id r at byte r * recsz
 *   NAME.sum      append-only ("summed") columns: one u64 hash per full
 *                 CS_SUM_CHUNK bytes of committed data
 *   INDEX         a hash index: 64-byte header ("CSIDX1\n", capacity), then
 *                 capacity slots of (u32 tag, u32 id + 1)
 *   MANIFEST      the schema's lines, then "sum NAME CHUNKS ROOT TAIL" per
 *                 summed column, then "checksum SHA256" over everything before
 *   LOCK          the writer's flock and pid
 *   READERS       the reader table (two OFD byte locks, see below)
 *
 * Commit protocol: columns are written through shared mappings; a commit
 * fsyncs every column and index, hashes the bytes added since the last commit,
 * writes MANIFEST.tmp, fsyncs it, renames it over MANIFEST and fsyncs the
 * directory.  Whatever is past the committed counts is the schema's to undo.
 *
 * Snapshots: a reader sees the counts in the MANIFEST it read at open, and
 * the bytes it maps never change while it holds them: appends write past its
 * counts (and in-place columns only gain values the schema's readers filter
 * out), and a rollback while a reader is open replaces every file first
 * (cs_engine_rollback_begin).  READERS carries two one-byte OFD locks (owned
 * by the open file description, dropped by the kernel when the process dies,
 * so a killed reader leaves no stuck slot): byte 0 is the open gate (shared
 * by a reader while it opens, exclusive by a rolling-back writer until the
 * shorter chain is committed), byte 1 is held shared by every open reader.
 *
 * Threads: one struct cs_engine per thread, or external locking. */
#ifndef CS_STORE_ENGINE_H
#define CS_STORE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define CS_ENGINE_MAXCOLS 16
#define CS_ENGINE_MAXIDX 4
#define CS_SUM_CHUNK (1u << 20)

/* What a schema declares for each column. */
struct cs_colspec {
    const char *name; /* file name in DB/CHAIN, e.g. "tx.col" */
    size_t recsz;     /* bytes per row */
    int summed;       /* 1: append-only, chunk-checksummed; 0: written in place */
};

struct cs_column {
    int fd;
    uint8_t *map;
    size_t maplen;
    size_t recsz;
    uint64_t n; /* rows visible: snapshot (reader) or incl. uncommitted (writer) */
};

/* Checksums of an append-only column: one hash per full CS_SUM_CHUNK bytes of
 * committed data (immutable once full, kept in NAME.sum), chained into a root,
 * plus the hash of the partial last chunk.  MANIFEST records the chunk count,
 * the root and the tail hash, so a commit hashes only new bytes. */
struct cs_colsum {
    int fd;
    uint64_t *h; /* writer: every full chunk's hash; reader: loaded at open */
    uint64_t n, cap;
    uint64_t root, tail;          /* over h[0..n) and the partial chunk */
    uint64_t m_n, m_root, m_tail; /* as in MANIFEST */
};

/* An open-addressing hash index: slot i holds (tag, id + 1); 0 = empty.  A
 * slot whose id is past what a lookup may see is ignored, and reused by
 * inserts, so an index needs no undo. */
struct cs_hidx {
    int fd;
    uint8_t *map;
    size_t maplen;
    uint64_t cap;    /* slots, power of two */
    uint32_t *slots; /* pairs: tag, id + 1 */
};

struct cs_engine {
    char dir[4096];   /* DB/CHAIN */
    char dbdir[4096]; /* DB */
    char chain[16];
    int writer;
    int lockfd;
    int readfd; /* READERS */
    int ncols, nidx;
    const struct cs_colspec *spec;
    const char *const *idx_names;
    struct cs_column col[CS_ENGINE_MAXCOLS];
    struct cs_colsum sum[CS_ENGINE_MAXCOLS];
    struct cs_hidx idx[CS_ENGINE_MAXIDX];
    int have_sums;      /* MANIFEST carries checksums */
    int sums_seen;      /* sum lines in the MANIFEST read */
    uint64_t cow_bytes; /* writer: bytes rollbacks copied to keep open readers' snapshots */
    uint64_t cow_rollbacks;
};

/* ---- lifecycle ---- */
/* An engine with nothing open, safe to pass to cs_engine_close. */
void cs_engine_init(struct cs_engine *e);
/* Fills e for DB/CHAIN with the schema's columns and indexes (both arrays must
 * outlive e).  A writer creates DB and DB/CHAIN, takes LOCK (CS_ELOCKED naming
 * the holder's pid when another process has it), removes leftovers of an
 * interrupted index rebuild or copy (NAME.tmp, NAME.cow) and opens READERS.
 * A reader joins READERS and holds the open gate until cs_engine_open_done.
 * Opens no column yet: the schema reads MANIFEST first.  On error e may be
 * passed to cs_engine_close. */
int cs_engine_open(struct cs_engine *e, const char *dbdir, const char *chain, int writer,
                   const struct cs_colspec *spec, int ncols, const char *const *idx_names,
                   int nidx) CS_MUST_CHECK;
/* Reader: every file is open and mapped; a rollback may start. */
void cs_engine_open_done(struct cs_engine *e);
/* Unmaps and closes everything.  A writer (high != NULL) first cuts each
 * column file to high[c] rows: the longest snapshot a reader may still map. */
void cs_engine_close(struct cs_engine *e, const uint64_t *high);

/* ---- MANIFEST ---- */
/* Reads DB/CHAIN/MANIFEST into buf (NUL-terminated) after checking its
 * checksum, and takes its "sum" lines.  Returns 0, CS_ENOTFOUND when there is
 * none, CS_ECORRUPT naming the file and the bad line.  The schema parses the
 * other lines (a "sum" line for a column it did not declare is corrupt). */
int cs_engine_manifest_read(struct cs_engine *e, char *buf, size_t cap) CS_MUST_CHECK;
/* Writer: brings the chunk checksums up to rows[c] rows per column, then
 * writes MANIFEST atomically as body, the sum lines and the checksum.  Does
 * not fsync the columns (cs_engine_commit does). */
int cs_engine_manifest_write(struct cs_engine *e, const uint64_t *rows, const char *body,
                             size_t len) CS_MUST_CHECK;
/* Writer: fsyncs every column and index, then cs_engine_manifest_write. */
int cs_engine_commit(struct cs_engine *e, const uint64_t *rows, const char *body,
                     size_t len) CS_MUST_CHECK;

/* ---- columns ---- */
/* Opens and maps every column: a reader maps rows[c] rows (CS_ECORRUPT when a
 * file is missing or shorter), a writer the whole file.  Then opens the .sum
 * files and, when MANIFEST had sum lines, loads and checks the chunk hashes
 * against it. */
int cs_engine_open_cols(struct cs_engine *e, const uint64_t *rows) CS_MUST_CHECK;
/* Writer: room for at least rows rows in column c (the file grows sparse, in
 * 1 MiB steps and by half its size at least).  May move the mapping. */
int cs_engine_reserve(struct cs_engine *e, int c, uint64_t rows) CS_MUST_CHECK;
static inline uint8_t *cs_engine_row(const struct cs_engine *e, int c, uint64_t r)
{
    return e->col[c].map + r * e->col[c].recsz;
}
/* Reads row r of an 8-byte column that may lie past this process's mapping
 * (an uncommitted tail): through the mapping when it covers the row, else
 * pread.  Returns 1, or 0 when the row is not in the file. */
int cs_engine_tail_u64(const struct cs_engine *e, int c, uint64_t r, uint64_t *out);
/* Undo helpers: the number of contiguous non-zero rows from row `from` (within
 * the mapping), and zeroing rows [from, to) backwards, so that an interrupted
 * zeroing leaves a contiguous tail. */
uint64_t cs_engine_tail_rows(const struct cs_engine *e, int c, uint64_t from);
void cs_engine_zero_rows(struct cs_engine *e, int c, uint64_t from, uint64_t to);
int cs_engine_row_is_zero(const uint8_t *p, size_t n);

/* ---- checksums ---- */
/* Hashes chunk i of summed column c over rows committed rows (i == the chunk
 * count: the partial tail) and compares with the stored hash.  CS_ECORRUPT
 * names the file and the byte range. */
int cs_engine_check_chunk(const struct cs_engine *e, int c, uint64_t i,
                          uint64_t rows) CS_MUST_CHECK;
/* Every summed column's partial last chunk and `samples` random full chunks
 * (all chunks with samples < 0), from rng.  O(samples MiB) or O(store). */
int cs_engine_check_sums(const struct cs_engine *e, const uint64_t *rows, int samples,
                         uint64_t *rng) CS_MUST_CHECK;
/* SHA-256 of the first rows rows of column c. */
void cs_engine_col_sha256(const struct cs_engine *e, int c, uint64_t rows, uint8_t out[32]);
/* A step of a 64-bit LCG for sample positions (not for anything secret). */
uint64_t cs_engine_next_rand(uint64_t *rng);

/* ---- indexes ---- */
/* Opens index i (create: a new empty file of cap slots, cap a power of two).
 * CS_ECORRUPT when the header or size is wrong. */
int cs_engine_idx_open(struct cs_engine *e, int i, uint64_t cap, int create) CS_MUST_CHECK;
/* Writer: a new, empty index of cap slots in NAME.tmp, to fill with
 * cs_hidx_put and install with cs_engine_idx_replace (rename over NAME). */
int cs_engine_idx_create_tmp(struct cs_engine *e, int i, uint64_t cap,
                             struct cs_hidx *out) CS_MUST_CHECK;
int cs_engine_idx_replace(struct cs_engine *e, int i, struct cs_hidx *fresh) CS_MUST_CHECK;
void cs_hidx_close(struct cs_hidx *x);
/* Inserts id for a key with this hash: takes the first slot that is empty or
 * stale (its id >= valid).  The index must have a free slot. */
static inline void cs_hidx_put(struct cs_hidx *x, uint64_t home, uint32_t tag, uint64_t id,
                               uint64_t valid)
{
    uint64_t mask = x->cap - 1, i = home & mask;
    for (;;) {
        uint32_t v = x->slots[2 * i + 1];
        if (v == 0 || (uint64_t)(v - 1) >= valid) {
            x->slots[2 * i] = tag;
            x->slots[2 * i + 1] = (uint32_t)(id + 1);
            return;
        }
        i = (i + 1) & mask;
    }
}

/* ---- rollback ---- */
/* Writer, before a rollback's first change: closes the open gate, and when a
 * reader is open replaces every column (its first rows[c] rows copied, the
 * file keeping its length) and index by a copy (FICLONE where the filesystem
 * shares extents, else copy_file_range), fsyncs and renames it over the
 * original and reopens it: open readers keep the old inodes, which nobody
 * writes again.  Must be followed by cs_engine_rollback_end after the
 * shorter chain is committed. */
int cs_engine_rollback_begin(struct cs_engine *e, const uint64_t *rows) CS_MUST_CHECK;
void cs_engine_rollback_end(struct cs_engine *e);

/* ---- errors ---- */
void cs_engine_path(const struct cs_engine *e, const char *name, char *out, size_t cap);
/* CS_EIO "DB/CHAIN/NAME: what: strerror(errno)". */
int cs_engine_io_err(const struct cs_engine *e, const char *what, const char *name);

#endif
