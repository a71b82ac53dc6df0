/* tags.h — attribution tags: model, address rules, tag store, importers.
 *
 * A tag says "on chain C, address A belongs to / is used by L, which is of
 * category K, according to source S, with confidence N (0..100)", plus a free
 * context string ("program=CYBER2; sdn=26137" for OFAC entries, the raw
 * TagPack actor/category/abuse words for TagPacks).
 *
 * Invariants
 *  - Addresses are stored and looked up in one canonical form per chain
 *    (cs_tag_normalize_address): Base58 forms exactly as written, Bech32 and
 *    CashAddr lower-case without a "bitcoincash:" prefix, EVM "0x" + 40
 *    lower-case hex digits.  Every stored address passed its chain's
 *    checksum: Base58Check, Bech32/Bech32m, CashAddr, EIP-55 (mixed case
 *    only; all-lower/all-upper has no checksum), Monero's Keccak checksum.
 *  - Chains are short codes.  Validated and accepted:
 *      btc            Base58Check P2PKH/P2SH (mainnet 0x00/0x05, testnet
 *                     0x6f/0xc4) and Bech32/Bech32m (bc, tb, bcrt)
 *      ltc            Base58Check 0x30/0x32/0x05 (testnet 0x6f/0x3a/0xc4), Bech32 ltc/tltc
 *      bch            CashAddr (bitcoincash:/bchtest:) and legacy 0x00/0x05
 *      bsv            Base58Check 0x00/0x05
 *      btg            Base58Check 38 ('G') / 23 ('A')
 *      dash           Base58Check 76 ('X') / 16 ('7')
 *      doge           Base58Check 30 ('D') / 22 ('9', 'A')
 *      xvg            Base58Check 30 ('D') / 33 ('E')
 *      zec            transparent t1/t3 (two-byte versions 1cb8/1cbd)
 *      trx            Base58Check 0x41 ('T')
 *      xrp            Ripple alphabet Base58Check, account id (version 0)
 *      xmr            Monero standard, integrated and subaddresses
 *                     (mainnet, testnet, stagenet), Keccak-256 checksum
 *      eth etc bsc arbitrum polygon avalanche ftm optimism base sepolia devnet
 *                                            EVM: 0x + 40 hex, EIP-55
 *    Anything else (EOS, SOL, ADA, XLM, Zcash shielded z-addresses, ...) is
 *    rejected as "unknown chain": we cannot check those addresses, no
 *    ingest module reads those chains, and an unchecked string could never
 *    be matched reliably against chain data.  The import report counts them.
 *  - Token tickers (USDT, USDC, BUSD, DAI, TUSD, USDP, PAX, WBTC, OMNI) name no
 *    chain; the chain is inferred from the address: 0x… -> eth, T… -> trx,
 *    Bitcoin forms -> btc (Omni layer).
 *  - Identity of a tag is (chain, address, category, label, source).  Adding
 *    an identical tag again changes nothing unless it raises the confidence
 *    (kept: the maximum) or supplies a context where there was none, so
 *    importing the same file twice is a no-op ("unchanged").  One address
 *    may carry many tags.
 *  - The store is DIR/tags/tags.tsv (DIR is the database directory).  It is
 *    only ever replaced whole: written to tags.tsv.tmp, fsync'ed, renamed over
 *    tags.tsv, then the directory is fsync'ed, so a crash or kill -9 leaves
 *    either the old or the new table.  A trailer line carries the row count
 *    and a SHA-256 of the body; a table that fails it is refused (CS_ECORRUPT).
 *    Writers hold an flock on DIR/tags/LOCK; readers need no lock.
 *
 * Categories (the taxonomy; close to GraphSense/INTERPOL and the risk
 * engine's weights).  TagPack concept words map as follows:
 *    exchange      exchange
 *    mixer         mixing_service, coinjoin, mixer, tumbler
 *    bridge        bridge
 *    defi          defi, defi_* (defi_dex, defi_lending, defi_derivative, ...)
 *    sanctioned    sanction, sanctioned, sanctions; also TagPacks whose source
 *                  is the OFAC list (treasury.gov .../ofac or sdn) when no other
 *                  concept applies
 *    stolen_funds  service_hack, hack, stolen_funds, theft, exploit
 *    hacker_group  hacker_group, hacker, perpetrator; the actor "lazarusgroup"
 *                  (also "lazarus", "lazarus_group") and the label "Lazarus
 *                  Group" in any case, which also becomes the label
 *    ransomware    ransomware
 *    scam          scam, phishing, sextortion, extortion, ponzi_scheme,
 *                  pyramid_scheme, investment_fraud, fraud
 *    darknet       dark_web, darkweb, darknet, market (market only on non-EVM
 *                  chains: Etherscan's "market" label cloud, imported in
 *                  GraphSense packs with category market, is token and NFT
 *                  contracts, not darknet markets)
 *    gambling      gambling
 *    miner         miner, mining_service, mining_pool, mining
 *    p2p_otc       otc, p2p, p2p_otc, p2p_exchange
 *    other         user, organization, service, wallet_service, black_list,
 *                  terrorism, extremism and the other INTERPOL entity words
 *  In a TagPack the first concept that maps to something other than "other"
 *  wins, in the order: known actor, abuse, category, concepts[], OFAC source.
 *
 * Threads: a struct cs_tagdb is not thread-safe for writing; concurrent
 * readers of an unchanging table are fine. */
#ifndef CS_TAGS_TAGS_H
#define CS_TAGS_TAGS_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

enum cs_tag_category {
    CS_TAG_EXCHANGE = 0,
    CS_TAG_MIXER,
    CS_TAG_BRIDGE,
    CS_TAG_DEFI,
    CS_TAG_SANCTIONED,
    CS_TAG_STOLEN_FUNDS,
    CS_TAG_HACKER_GROUP,
    CS_TAG_RANSOMWARE,
    CS_TAG_SCAM,
    CS_TAG_DARKNET,
    CS_TAG_GAMBLING,
    CS_TAG_MINER,
    CS_TAG_P2P_OTC,
    CS_TAG_OTHER,
    CS_TAG_NCATEGORIES
};

/* Name of a category ("exchange", ..., "other"); NULL when out of range. Static. */
const char *cs_tag_category_name(int category);
/* One-line description of a category (for help texts). Static; NULL when out of range. */
const char *cs_tag_category_describe(int category);
/* Category by its exact name (case-insensitive), or -1. */
int cs_tag_category_parse(const char *name);
/* Category for a GraphSense/INTERPOL concept word or one of our names
 * (case-insensitive; see the table above), or -1 for an unknown word.  chain
 * may be NULL; it only matters for "market". */
int cs_tag_category_from_concept(const char *word, const char *chain);
/* Confidence 0..100 of a GraphSense confidence word ("ownership" 100,
 * "authority_data" 60, "forensic" 50, "web_crawl" 20, ...; "ledger_immanent",
 * data read from the ledger itself, 100), or -1. */
int cs_tag_confidence_from_word(const char *word);

/* One tag.  The strings are borrowed: from a cs_tagdb they stay valid until
 * cs_tagdb_close (the table never moves its strings). */
struct cs_tag {
    const char *chain;
    const char *address;
    const char *label;
    const char *source;
    const char *context; /* "" when none */
    int category;        /* enum cs_tag_category */
    int confidence;      /* 0..100 */
};

/* Why a row was rejected. */
enum cs_tag_reject {
    CS_TAG_OK = 0,
    CS_TAG_BAD_CHECKSUM,   /* "bad checksum" */
    CS_TAG_UNKNOWN_CHAIN,  /* "unknown chain" */
    CS_TAG_BAD_ADDRESS,    /* "bad address": syntax, length, version byte */
    CS_TAG_MISSING_FIELD,  /* "missing field" */
    CS_TAG_BAD_CATEGORY,   /* "unknown category" */
    CS_TAG_BAD_CONFIDENCE, /* "bad confidence" */
    CS_TAG_BAD_ENTRY,      /* "bad entry": not a mapping, not an address tag, too long */
    CS_TAG_BAD_TEXT, /* "bad text": invalid UTF-8, a NUL byte, a field over CS_TAG_FIELD_MAX */
};
/* Short reason text ("bad checksum", ...). Static. */
const char *cs_tag_reject_name(int reason);

#define CS_TAG_ADDR_MAX 128  /* longest canonical address incl. NUL */
#define CS_TAG_LABEL_MAX 512 /* longer labels are cut at a UTF-8 boundary */
#define CS_TAG_SOURCE_MAX 1024
#define CS_TAG_CONTEXT_MAX 512
/* A field read from a tag file longer than this is not cut but rejected with
 * its line (CS_TAG_BAD_TEXT), and the CSV reader stops buffering it there. */
#define CS_TAG_FIELD_MAX (64 << 10)

/* Chain code for a currency, asset or chain name ("XBT", "BTC", "btc",
 * "Ripple", "BEP20", "MATIC", ...), case-insensitive; for token tickers and
 * when name is NULL the chain is inferred from addr (may be NULL then).
 * Returns a static code or NULL when unknown. */
const char *cs_tag_chain_from_name(const char *name, const char *addr);
/* 1 if chain is one of the codes listed above. */
int cs_tag_chain_known(const char *chain);
/* 1 if chain is an EVM chain (eth, etc, bsc, ...). */
int cs_tag_chain_is_evm(const char *chain);
/* Validates addr (surrounding blanks ignored) for chain and writes its
 * canonical form to out (cap >= CS_TAG_ADDR_MAX).  Returns CS_TAG_OK or a
 * reason (CS_TAG_BAD_CHECKSUM, CS_TAG_BAD_ADDRESS, CS_TAG_UNKNOWN_CHAIN) and,
 * if why is not NULL, a one-line explanation in why.  Cost: one or two
 * SHA-256d or one Keccak-256; no allocation. */
int cs_tag_normalize_address(const char *chain, const char *addr, char *out, size_t cap, char *why,
                             size_t whycap);

/* ---- the tag store ---- */

struct cs_tagdb;

#define CS_TAGDB_WRITE 1 /* create DIR and DIR/tags if missing; take the writer lock */
#define CS_TAGDB_MAX_TAGS 20000000u
#define CS_TAGDB_MAX_FILE ((size_t)2 << 30) /* tags.tsv larger than 2 GiB is refused */

/* Opens the tag table of database directory dir (loading DIR/tags/tags.tsv
 * if it exists; a missing file is an empty table).  dir == NULL opens a
 * memory-only table (tests, fuzzing; commit is then a no-op).  Without
 * CS_TAGDB_WRITE a missing DIR/tags is CS_ENOTFOUND.  Returns 0, CS_EIO,
 * CS_ECORRUPT, CS_ELOCKED (another writer), CS_ENOTFOUND, CS_ERANGE or
 * CS_ENOMEM.  Cost: O(rows) to load and index; 28 bytes per tag and 12 per
 * address in the index, plus each distinct string once (measured: the 525,000
 * tags of all shared TagPacks and OFAC files, a 41 MB file, load in 0.6 s
 * with a 100 MB peak, the file buffer included). */
int cs_tagdb_open(const char *dir, int flags, struct cs_tagdb **out) CS_MUST_CHECK;
/* Frees the table and releases the lock. Uncommitted changes are dropped. NULL is fine. */
void cs_tagdb_close(struct cs_tagdb *db);
/* Number of tags. */
size_t cs_tagdb_count(const struct cs_tagdb *db);
/* Tag number i (0 <= i < count) in insertion order. */
void cs_tagdb_get(const struct cs_tagdb *db, size_t i, struct cs_tag *out);
/* All tags of (chain, canonical address): writes up to cap of them to out
 * and returns how many there are.  O(1) average (two hash probes). */
size_t cs_tagdb_lookup(const struct cs_tagdb *db, const char *chain, const char *address,
                       struct cs_tag *out, size_t cap);

/* Outcome of adding one tag. */
enum { CS_TAG_ADDED = 1, CS_TAG_UPDATED = 2, CS_TAG_UNCHANGED = 3 };
/* Adds a tag.  chain must be a known code, the address is normalised (raw
 * forms are fine), label and source non-empty, category and confidence in
 * range; over-long label/source/context are cut (UTF-8 safe).  On success
 * *outcome is CS_TAG_ADDED, CS_TAG_UPDATED or CS_TAG_UNCHANGED.  An invalid
 * tag returns CS_EFORMAT with the reason in the message and, if reason is not
 * NULL, in *reason.  Cost: O(1) average plus the address check. */
int cs_tagdb_add(struct cs_tagdb *db, const struct cs_tag *tag, int *outcome,
                 int *reason) CS_MUST_CHECK;
/* Writes the table if it changed since open/last commit (atomically, see
 * above).  Returns 0, CS_EIO or CS_EUSAGE (opened read-only). */
int cs_tagdb_commit(struct cs_tagdb *db) CS_MUST_CHECK;

/* Filter for cs_tagdb_find; zero/NULL fields match everything. */
struct cs_tag_filter {
    int category;        /* -1 for any */
    const char *chain;   /* exact code */
    const char *label;   /* case-insensitive substring of the label */
    const char *address; /* raw address, normalised per chain before comparing */
    const char *source;  /* case-insensitive substring of the source */
};
/* Finds the next tag at index >= *cursor that matches f; returns 1 and sets
 * *out and *cursor (to one past it), or 0 at the end.  Start with *cursor = 0.
 * Cost: O(rows) for a full scan. */
int cs_tagdb_find(const struct cs_tagdb *db, const struct cs_tag_filter *f, size_t *cursor,
                  struct cs_tag *out);

/* ---- importers ---- */

enum cs_tag_format {
    CS_TAGFMT_AUTO = 0,
    CS_TAGFMT_CSV,          /* header address,label,category,source[,confidence][,chain] */
    CS_TAGFMT_OFAC_LIST,    /* sanctioned_addresses_<ASSET>.txt (.json) */
    CS_TAGFMT_OFAC_SDN_CSV, /* OFAC sdn.csv, addresses in the remarks */
    CS_TAGFMT_TAGPACK,      /* GraphSense TagPack YAML */
};
/* "csv", "ofac-list", "ofac-sdn-csv", "tagpack" ("auto" for 0). Static. */
const char *cs_tag_format_name(int format);
/* Format by name, or -1. */
int cs_tag_format_parse(const char *name);
/* Guesses the format from the first bytes of data (and the file name for
 * nothing but messages).  Returns a CS_TAGFMT_* or CS_EFORMAT with a message. */
int cs_tag_format_guess(const char *data, size_t len, const char *name);

struct cs_tag_import_opts {
    int format;           /* CS_TAGFMT_AUTO to guess */
    const char *chain;    /* chain for rows that name none (csv, ofac-list); NULL: infer */
    const char *category; /* csv: category for rows/files without one */
    const char *source;   /* csv: source for rows/files without one */
};

struct cs_tag_reject_row {
    unsigned line;                 /* 1-based line of the row in the file */
    int reason;                    /* enum cs_tag_reject */
    char address[CS_TAG_ADDR_MAX]; /* as written (cut if longer) */
    char detail[160];              /* why, one line */
};

#define CS_TAG_MAX_REJECTS 20000 /* rejected rows kept in detail; more are only counted */

struct cs_tag_import_result {
    int format;  /* format used */
    size_t rows; /* address rows seen */
    size_t added, updated, unchanged, rejected;
    struct cs_tag_reject_row *rejects; /* first CS_TAG_MAX_REJECTS rejected rows, file order */
    size_t nrejects;
};

/* Imports a file into db (not committed: call cs_tagdb_commit).  Rows that
 * fail a check are rejected and reported, the others added; the call fails
 * (CS_EIO, CS_EFORMAT, CS_ERANGE, CS_ENOMEM) only when the file as a whole
 * cannot be read: unreadable, not the format, a YAML syntax error, a CSV
 * header without the needed columns.  Then nothing was added.  The file is
 * read whole; files over 256 MiB are CS_ERANGE.  res must be freed with
 * cs_tag_import_result_free (also after a failure). */
int cs_tagdb_import_file(struct cs_tagdb *db, const char *path,
                         const struct cs_tag_import_opts *opts,
                         struct cs_tag_import_result *res) CS_MUST_CHECK;
/* The same on a buffer; name is the file name (for messages and for the
 * asset code of ofac-list files: sanctioned_addresses_<ASSET>.txt). */
int cs_tagdb_import_buf(struct cs_tagdb *db, const char *data, size_t len, const char *name,
                        const struct cs_tag_import_opts *opts,
                        struct cs_tag_import_result *res) CS_MUST_CHECK;
void cs_tag_import_result_free(struct cs_tag_import_result *res);

#define CS_TAG_IMPORT_MAX_FILE ((size_t)256 << 20)

/* ---- validity: which sanctions were in force on a date ----
 *
 * Dated lists (OFAC's sanctioned_addresses_<ASSET>.txt as published on a
 * day) give each address of a list a history: listed from the date of the
 * first list that has it, delisted at the date of the first later list of
 * the same asset without it (the day the delisting was first seen, not the
 * day it was decided), listed again if it comes back.  The dates are those
 * of the lists in hand: an address already on the earliest list counts as
 * listed from that list's date.
 *
 * DIR/tags/validity.tsv (written whole and atomically, like tags.tsv):
 *   "#chainsleuth-validity\t1\n", then per interval
 *   "chain\taddress\tFROM\tTO\n" (YYYY-MM-DD; TO "-" while still listed,
 *   else the first day it was no longer), then "#end\tN\tSHA256\n" over
 *   the lines before it.  Several lists of one (chain, address) (ETH and
 *   USDT, say) are merged: in force when any of them lists it.
 *
 * Days are counted from 1970-01-01 (day 0), proleptic Gregorian. */

/* "YYYY-MM-DD" (exactly) to a day number; 0 or CS_EUSAGE "bad date 'x' (want
 * YYYY-MM-DD)" for anything else, 2023-02-29 included. */
int cs_tag_date_parse(const char *s, int32_t *day) CS_MUST_CHECK;
/* Writes YYYY-MM-DD (11 bytes with the NUL). */
void cs_tag_date_format(int32_t day, char out[11]);

struct cs_tag_validity;

/* Reads DIR/tags/validity.tsv: 0, CS_ENOTFOUND (none), CS_ECORRUPT with the
 * line, CS_EIO.  O(rows). */
int cs_tag_validity_open(const char *dbdir, struct cs_tag_validity **out) CS_MUST_CHECK;
void cs_tag_validity_free(struct cs_tag_validity *v);
/* 1 if (chain, canonical address) was listed on day (day = INT32_MAX: on the
 * newest list in the history), 0 if it has a history and was not, -1 if it
 * has no history (the caller decides; screens keep such tags).  O(1)
 * average plus its intervals. */
int cs_tag_validity_in_force(const struct cs_tag_validity *v, const char *chain,
                             const char *address, int32_t day);
/* Number of (chain, address) histories, and of intervals. */
void cs_tag_validity_stats(const struct cs_tag_validity *v, size_t *addresses, size_t *intervals);

struct cs_tag_history_list {
    char path[1024];
    char asset[16];
    int32_t day;
    size_t addresses; /* accepted addresses of the list */
};

struct cs_tag_history_result {
    struct cs_tag_history_list *lists; /* in (asset, date) order */
    size_t n_lists;
    size_t skipped_files;            /* names that are not a dated list */
    size_t addresses, intervals;     /* histories written */
    size_t listed_now, delisted_now; /* on the newest list of their asset, or not */
    struct cs_tag_import_result imported; /* the tags added to db (summed over the lists) */
};

/* Imports dated lists: each path is a list file or a directory of them.  A
 * list's date comes from its file name ("2022-08-08_sanctioned_addresses_ETH.txt")
 * or else from its directory's name ending in a date
 * ("ofac-latest-2025-06-20/sanctioned_addresses_ETH.txt"); other files in a
 * directory are skipped and counted; a file named on its own without a date
 * is CS_EUSAGE.  Every list's addresses are added to db as sanctioned tags
 * (the ofac-list importer; commit db yourself) and the histories are written
 * to DIR/tags/validity.tsv, replacing it (dbdir must be db's directory).
 * Returns 0 or the first error (a list that cannot be read: nothing is
 * written).  res is freed with cs_tag_history_result_free. */
int cs_tag_history_import(struct cs_tagdb *db, const char *dbdir, const char *const *paths,
                          size_t n_paths, struct cs_tag_history_result *res) CS_MUST_CHECK;
void cs_tag_history_result_free(struct cs_tag_history_result *res);

#endif
