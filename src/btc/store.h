/* store.h — the Bitcoin schema of the chainsleuth store: its columns, indexes
 * and accessors, on the chain-neutral engine of store/engine.h (mmap'd
 * columns, file-backed hash indexes, an atomically committed MANIFEST, the
 * reader table; DESIGN.md "The store").
 *
 * Layout of DB/CHAIN/ (DB/btc/ for Bitcoin): one file per column, fixed-width little-endian
 * records, row ids dense from 0 (tx id, input id, output id, address id): blk.col      struct
 * cs_blockrec   per block, height = row id tx.col       struct cs_txrec      per transaction, chain
 * order txid.col     32 bytes             txid (internal byte order) in.col       struct cs_inrec
 * per input: spent output id, nSequence out.col      struct cs_outrec     per output: value,
 * address id spent.col    u32                  per output: spending tx id + 1, 0 = unspent  (in
 * place) outnext.col  u64                  per output: previous output of its address + 1 (0 =
 * none) addr.col     struct cs_addr       per address (36 bytes); row 0 is reserved (zero)
 *   addrhead.col u64                  per address: its newest output id + 1 (in place)
 *   msig.col     struct cs_msigrec    bare-multisig pseudo-address -> key address links
 *   txid.idx, addr.idx                open-addressing hash indexes (tag, id+1)
 *   COL.sum      u64                  per full 1 MiB chunk of an append-only column: its hash
 *   MANIFEST                          committed row counts, tip, network, utxo totals, and per
 *                                     append-only column its chunk count, hash-chain root and
 *                                     the hash of its partial last chunk
 *
 * Commit protocol: columns are written through shared mappings; a commit
 * fsyncs every column and index, writes MANIFEST.tmp, fsyncs it, renames it over
 * MANIFEST and fsyncs the directory.  Rows past the committed counts are a tail
 * that the next writer undoes (spent and addrhead restored from the tail rows
 * themselves) and cuts off, so kill -9 at any moment leaves the last commit
 * intact.  Index slots whose id is past the committed counts are ignored by
 * lookups and reused by inserts, so indexes need no undo.
 *
 * Widths: output and input ids, and every count, are 64-bit.  Three fields
 * stay 32-bit to keep the rows small (spent.col 4 B/output, out.col 12 B,
 * index slots 8 B): the spending tx id in spent.col and the txid index, and
 * the address id in out.col, msig.col and the address index.  That is safe
 * for Bitcoin because appends refuse to pass them (CS_ERANGE "more than
 * 2^32-2 transactions" / "2^32-1 addresses"; never a silent wrap) and the
 * chain is far below: about 1.2 billion transactions by 2025, under a third
 * of 2^32.  A chain that can pass 2^32 rows (Ethereum: 2.8 billion
 * transactions and more transfers) gets 64-bit ids in its own schema.
 *
 * Readers open a snapshot: the counts in MANIFEST at open time.  Pointers
 * returned by cs_store_* accessors point into mappings and stay valid until
 * cs_store_close(), except in a writer, where any append may move them. */
#ifndef CS_BTC_STORE_H
#define CS_BTC_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "btc/block.h"
#include "btc/script.h"
#include "util/error.h"

#define CS_STORE_FORMAT 2 /* 2: per-column checksums in MANIFEST and COL.sum files */
#define CS_NONE64 UINT64_MAX

#pragma pack(push, 1)
struct cs_blockrec {
    uint8_t hash[32];
    uint8_t header[80];
    uint64_t first_tx;
    uint32_t n_tx;
    uint32_t size;
    uint64_t work[4];  /* cumulative chain work up to and including this block */
    uint64_t addr_end; /* address rows after this block (truncation point for reorgs) */
    uint64_t msig_end; /* multisig link rows after this block */
};
struct cs_txrec {
    uint64_t first_in, first_out;
    uint32_t height;
    int32_t version;
    uint32_t locktime;
    uint32_t size;
    uint32_t weight;
};
struct cs_inrec {
    uint64_t prevout1; /* output id spent + 1; CS_NONE64 for a coinbase input (never 0,
                          so a written row is never all zero: see recovery) */
    uint32_t sequence;
};
struct cs_outrec {
    uint64_t value;
    uint32_t addr;
};
struct cs_msigrec {
    uint32_t msig_addr;
    uint32_t key_addr;
};
#pragma pack(pop)

enum cs_col {
    CS_COL_BLK,
    CS_COL_TX,
    CS_COL_TXID,
    CS_COL_IN,
    CS_COL_OUT,
    CS_COL_SPENT,
    CS_COL_OUTNEXT,
    CS_COL_ADDR,
    CS_COL_ADDRHEAD,
    CS_COL_MSIG,
    CS_COL_COUNT
};

struct cs_counts {
    uint64_t blocks, tx, in, out, addr, msig;
};

struct cs_store;

/* CS_STORE_NOCHECK (with READ): skip the sampled checksum check at open. */
enum { CS_STORE_READ = 0, CS_STORE_WRITE = 1, CS_STORE_NOCHECK = 2 };

/* Opens DB/CHAIN (only "btc" today). A writer creates the directory if needed (net must then be
 * given for a new store), takes an exclusive lock, and undoes any uncommitted
 * tail. A reader fails with CS_ENOTFOUND if there is no store; it never
 * repairs anything and can open a store a killed writer left (it sees the
 * last commit).  A reader's open checks the cheap part of the checksums:
 * sizes, every column's chunk-hash list against MANIFEST, each column's
 * partial last chunk (1 MiB at most), 2 random full chunks per column and 64
 * sampled entries of each in-place column (see cs_store_verify); failing that
 * is CS_ECORRUPT "store corrupt: FILE ...". */
int cs_store_open(struct cs_store **out, const char *dbdir, const char *chain, int mode,
                  const struct cs_netparams *net) CS_MUST_CHECK;
void cs_store_close(struct cs_store *s);

/* Readers never crash on a damaged store: every accessor below checks its
 * row id and the links it follows against the snapshot's counts.  A violation
 * is recorded in the store (sticky) and the accessor answers with an all-zero
 * row or CS_NONE64, so walks end; callers must check cs_store_status() before
 * they trust what they computed.  It returns 0 or CS_ECORRUPT with "store
 * corrupt: DB/CHAIN/FILE row N: what" as the message. */
int cs_store_status(const struct cs_store *s) CS_MUST_CHECK;
/* The first such corruption any store met in this thread, or NULL (the CLI
 * checks it once more when a command ends). */
const char *cs_store_corruption(void);
/* 1 when MANIFEST carries column checksums (format 2); a store written by a
 * format-1 build has none until its next commit. */
int cs_store_has_checksums(const struct cs_store *s);

/* Snapshot counts and tip. */
const struct cs_counts *cs_store_counts(const struct cs_store *s);
/* The chain this store holds ("btc"): its folder under DB. */
const char *cs_store_chain(const struct cs_store *s);
const struct cs_netparams *cs_store_net(const struct cs_store *s);
/* Height of the tip, -1 when empty. */
int64_t cs_store_height(const struct cs_store *s);
/* Running UTXO totals (outputs not starting with OP_RETURN, unspent). */
void cs_store_utxo(const struct cs_store *s, uint64_t *count, uint64_t *total);

/* Row accessors (checked against the snapshot; see cs_store_status). */
const struct cs_blockrec *cs_store_block(const struct cs_store *s, uint64_t height);
const struct cs_txrec *cs_store_tx(const struct cs_store *s, uint64_t txid_row);
const uint8_t *cs_store_txid(const struct cs_store *s, uint64_t tx);
const struct cs_inrec *cs_store_in(const struct cs_store *s, uint64_t in);
const struct cs_outrec *cs_store_out(const struct cs_store *s, uint64_t out);
const struct cs_addr *cs_store_addr(const struct cs_store *s, uint64_t addr);
/* Output spent by an input, or CS_NONE64 for a coinbase input. */
uint64_t cs_store_in_prevout(const struct cs_store *s, uint64_t in);
/* Spending tx of an output, or CS_NONE64 if unspent in this snapshot. */
uint64_t cs_store_spent_by(const struct cs_store *s, uint64_t out);
/* Newest output of an address and the previous one of the same address (CS_NONE64 at the end). */
uint64_t cs_store_addr_head(const struct cs_store *s, uint64_t addr);
uint64_t cs_store_out_next(const struct cs_store *s, uint64_t out);
/* Input/output ranges of a transaction: [*first, *first + *n). */
void cs_store_tx_ins(const struct cs_store *s, uint64_t tx, uint64_t *first, uint64_t *n);
void cs_store_tx_outs(const struct cs_store *s, uint64_t tx, uint64_t *first, uint64_t *n);
/* Transaction that created an output / owns an input (binary search, O(log tx)). */
uint64_t cs_store_out_tx(const struct cs_store *s, uint64_t out);
uint64_t cs_store_in_tx(const struct cs_store *s, uint64_t in);
/* Multisig link rows (count in counts.msig). */
const struct cs_msigrec *cs_store_msig(const struct cs_store *s, uint64_t row);

/* Index lookups: 0 and the row id, or CS_ENOTFOUND. For duplicate txids
 * (BIP30) the newest transaction is returned. */
int cs_store_find_tx(const struct cs_store *s, const uint8_t txid[32], uint64_t *tx);
int cs_store_find_addr(const struct cs_store *s, const struct cs_addr *a, uint64_t *addr);
/* Height of a block hash, or CS_ENOTFOUND. O(blocks) scan for readers. */
int cs_store_find_block(const struct cs_store *s, const uint8_t hash[32], uint64_t *height);

/* ---- snapshots ----
 * A reader sees the commit that was newest when it opened (or last
 * refreshed), and that view stays byte-identical for as long as it is open,
 * whatever writers do meanwhile: appends and commits never change a row it
 * can see, and a rollback (a reorg) while any reader is open first replaces
 * the files it rewrites by copies, so open readers keep the old ones
 * (store.c, "readers and copy-on-rollback").  Readers register in
 * DIR/READERS with kernel-released OFD locks: a killed reader leaves no
 * stale entry.  Cost: a rollback with readers open copies the committed
 * bytes of every column and index (free on filesystems with FICLONE, such as
 * XFS and Btrfs), and the old files' space comes back when the last reader
 * that holds them closes; a rollback with no reader open copies nothing. */
/* Moves a reader to the newest commit: a new snapshot, opened without the
 * sampled open check.  Every pointer an accessor returned before is invalid
 * afterwards.  On error the old snapshot stays.  CS_EUSAGE for a writer. */
int cs_store_refresh(struct cs_store *s) CS_MUST_CHECK;
/* Writer: bytes its rollbacks copied to keep open readers' snapshots, and
 * (rollbacks != NULL) how many rollbacks did so. */
uint64_t cs_store_rollback_copied(const struct cs_store *s, uint64_t *rollbacks);

/* ---- writer ---- */
/* Appends a parsed block at height = counts.blocks. Its prev hash must equal the
 * tip's hash. Every input must spend an unspent, earlier output. Atomic: on
 * error the store is exactly as before the call. */
int cs_store_append_block(struct cs_store *s, const struct cs_block *b) CS_MUST_CHECK;
/* Sizes the hash indexes for that many more transactions and addresses, so
 * that a long ingest does not rebuild them as they fill. A hint only. */
int cs_store_reserve(struct cs_store *s, uint64_t more_tx, uint64_t more_addr) CS_MUST_CHECK;
/* Makes everything appended so far durable (see protocol above). */
int cs_store_commit(struct cs_store *s) CS_MUST_CHECK;
/* Removes blocks above height keep_height (keep_height = -1 empties the store)
 * and commits; used for reorgs. */
int cs_store_truncate(struct cs_store *s, int64_t keep_height) CS_MUST_CHECK;

/* SHA-256 of the committed bytes of every column (for `verify` and the crash
 * tests). names[i] / hex[i] for i < CS_COL_COUNT. */
const char *cs_store_col_name(int col);
int cs_store_col_checksum(const struct cs_store *s, int col, uint8_t out[32], uint64_t *bytes);
/* Consistency check.  Full: every byte of the append-only columns against
 * its chunk checksum, every txid and address found through its index, spent
 * pointers equal to what the inputs spend (no more, no fewer), every address's
 * output list strictly descending, its own, and all lists together holding
 * every output.  Cost O(chain).  CS_VERIFY_QUICK: only the partial last
 * chunks and 1,024 sampled entries of each in-place column (milliseconds).
 * Returns 0, CS_ECORRUPT naming the file and row, or CS_EINTERRUPTED. */
enum { CS_VERIFY_QUICK = 1 };
int cs_store_verify(const struct cs_store *s, int flags,
                    int (*progress)(void *, uint64_t, uint64_t), void *ctx) CS_MUST_CHECK;

#endif
