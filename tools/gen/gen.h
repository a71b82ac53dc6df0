/* gen.h — internals of chainsleuth-gen, the synthetic economy generator.
 *
 * Invariants the pieces rely on:
 * - Everything is a pure function of (--seed, --txs, --scenario, --network):
 *   one xoshiro256** stream drives every economic decision, a second one the
 *   signature bytes; keys derive from the address id.  No clock, no rand(),
 *   no iteration over anything whose order depends on memory addresses.
 * - Every output is created through cs_gen_emit(), which keeps the UTXO pool,
 *   the wallet lists, the block buffer and the running UTXO count/total in
 *   step.  A UTXO is in exactly one wallet list (its slot field says where).
 * - Every address is created through cs_gen_addr_new(), which writes its
 *   owners.csv row (and tags.csv row when tagged) at creation; addresses are
 *   only created when an output to them is about to be emitted, so owners.csv
 *   lists exactly the addresses that appear in outputs.
 * - Amounts are uint64 satoshi; fees are in - out of each emitted tx and a
 *   negative fee is a BUG.
 * - The heist's stolen coins live only in the attacker's heist wallet; only
 *   heist.c spends them, never together with clean coins (except the single
 *   CoinJoin it joins, which ends the ground truth at "coinjoin").
 * Costs: a transaction costs two or three SHA-256d (txid, wtxid) plus one
 * HASH160 per fresh P2PKH/P2WPKH address (two for P2SH-P2WPKH) and one
 * Base58Check or Bech32 encoding for its owners.csv row. */
#ifndef CS_TOOLS_GEN_H
#define CS_TOOLS_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- PRNG: xoshiro256** seeded through splitmix64 ---- */

struct cs_gen_rng {
    uint64_t s[4];
};

/* One splitmix64 step: advances *state, returns the mixed value. */
uint64_t cs_gen_splitmix64(uint64_t *state);
/* Seeds all 256 bits of state from a 64-bit seed (four splitmix64 draws). */
void cs_gen_rng_seed(struct cs_gen_rng *r, uint64_t seed);

static inline uint64_t cs_gen_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* Next 64 random bits (xoshiro256**). O(1), no allocation. */
static inline uint64_t cs_gen_rng_next(struct cs_gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = cs_gen_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = cs_gen_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n) for n >= 1 (multiply-shift; bias below 2^-40 for our n). */
static inline uint64_t cs_gen_below(struct cs_gen_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)cs_gen_rng_next(r) * n) >> 64);
}

/* Uniform in [lo, hi], lo <= hi. */
static inline uint64_t cs_gen_range(struct cs_gen_rng *r, uint64_t lo, uint64_t hi)
{
    return lo + cs_gen_below(r, hi - lo + 1);
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double cs_gen_unit(struct cs_gen_rng *r)
{
    return (double)(cs_gen_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static inline int cs_gen_chance(struct cs_gen_rng *r, double p)
{
    return cs_gen_unit(r) < p;
}

/* ---- raw transaction serialization (txser.c) ---- */

#define CS_GEN_MAXWIT 2

struct cs_gen_txin {
    const uint8_t *prev_txid; /* 32 bytes, internal order */
    uint32_t prev_vout;
    const uint8_t *script_sig;
    uint32_t script_sig_len;
    uint32_t sequence;
    uint32_t nwit; /* witness items, 0..CS_GEN_MAXWIT */
    const uint8_t *wit[CS_GEN_MAXWIT];
    uint32_t wit_len[CS_GEN_MAXWIT];
};

struct cs_gen_txout {
    uint64_t value;
    const uint8_t *script;
    uint32_t script_len;
};

struct cs_gen_tx {
    int32_t version;
    uint32_t locktime;
    uint32_t nin, nout;
    const struct cs_gen_txin *in;
    const struct cs_gen_txout *out;
};

/* Exact serialized size with witness (BIP144 when any input has witness
 * items); *stripped (if not NULL) receives the size without witness. */
size_t cs_gen_tx_size(const struct cs_gen_tx *tx, size_t *stripped);
/* Writes the serialization into out (cap bytes) and the txid and wtxid
 * (internal byte order; wtxid == txid without witness).  Returns the length
 * written, or 0 when cap is too small (nothing useful written then).
 * Cost: one SHA-256d over the stripped form, one more over the full form
 * for segwit; no allocation (the stripped form is hashed in place before
 * being widened by memmove). */
size_t cs_gen_tx_write(const struct cs_gen_tx *tx, uint8_t *out, size_t cap, uint8_t txid[32],
                       uint8_t wtxid[32]);

/* ---- blocks (block.c) ---- */

/* Merkle root over n >= 1 hashes (Bitcoin rule: duplicate the last of an
 * odd level).  scratch holds n hashes; hashes is not modified. */
void cs_gen_merkle_root(const uint8_t (*hashes)[32], size_t n, uint8_t (*scratch)[32],
                        uint8_t root[32]);
/* BIP141 commitment: SHA256d(witness merkle root || reserved), where the
 * witness root is taken over wtxids with wtxids[0] (the coinbase) replaced by
 * zeros.  scratch holds n hashes. */
void cs_gen_witness_commitment(const uint8_t (*wtxids)[32], size_t n, uint8_t (*scratch)[32],
                               const uint8_t reserved[32], uint8_t commit[32]);
/* 256-bit little-endian target of compact bits (no negative/overflow forms). */
void cs_gen_target(uint32_t bits, uint8_t target[32]);
/* 1 when the hash (internal order = little-endian number) is <= target. */
int cs_gen_hash_meets(const uint8_t hash[32], const uint8_t target[32]);
/* Grinds the nonce field (bytes 76..79) of header until SHA256d(header) meets
 * bits; writes the block hash.  Returns 0, or -1 if all 2^32 nonces fail. */
int cs_gen_grind(uint8_t header[80], uint32_t bits, uint8_t hash[32]);

/* Core-style blk?????.dat writer: records magic|size|block, a new file when
 * the next record would pass 128 MiB, the last file zero-padded to 1 MiB. */
#define CS_GEN_BLKFILE_MAX (128u << 20)
#define CS_GEN_BLKFILE_PAD (1u << 20)

struct cs_gen_blkwriter {
    char dir[4096];
    uint8_t magic[4];
    int file_no;       /* number of the open file */
    uint64_t file_pos; /* bytes in the open file, buffered or not */
    FILE *f;
    uint8_t *buf; /* write buffer */
    size_t len, cap;
    uint64_t total; /* bytes of records over all files (no padding) */
    uint64_t records;
    uint64_t max_file; /* CS_GEN_BLKFILE_MAX; tests lower it */
    uint64_t pad;      /* CS_GEN_BLKFILE_PAD; tests lower it */
};

/* Opens dir/blk00000.dat for writing (truncating).  Returns 0 or CS_EIO. */
int cs_gen_blk_open(struct cs_gen_blkwriter *w, const char *dir, const uint8_t magic[4]);
/* Appends one block record.  Returns 0 or CS_EIO (message names the file). */
int cs_gen_blk_write(struct cs_gen_blkwriter *w, const uint8_t *block, size_t len);
/* The same for a record made of two pieces a||b (header+coinbase, then the
 * other transactions), without joining them first. */
int cs_gen_blk_write2(struct cs_gen_blkwriter *w, const uint8_t *a, size_t alen, const uint8_t *b,
                      size_t blen);
/* Pads the last file to the 1 MiB boundary, closes it and frees buffers;
 * removes stale blk?????.dat files numbered after it.  Returns 0 or CS_EIO. */
int cs_gen_blk_close(struct cs_gen_blkwriter *w);

/* ---- the economy (econ.c, heist.c) ---- */

enum cs_gen_kind {
    CS_GEN_USER,
    CS_GEN_EXCHANGE,
    CS_GEN_MIXER,
    CS_GEN_COORD,
    CS_GEN_MINER,
    CS_GEN_MERCHANT,
    CS_GEN_BRIDGE,
    CS_GEN_ATTACKER,
    CS_GEN_VICTIM,
};

enum cs_gen_atype { CS_GEN_P2PKH, CS_GEN_P2SH_P2WPKH, CS_GEN_P2WPKH, CS_GEN_P2TR };

#define CS_GEN_NONE UINT32_MAX
#define CS_GEN_MAXIN 256
#define CS_GEN_MAXOUT 512
#define CS_GEN_WP_POOLS 4

/* Wallet slots of an entity (meaning by kind):
 * user/merchant: MAIN spendable, DEP merchant invoices;
 * exchange: DEP deposits, HOT hot wallet, COLD cold wallet;
 * mixer: DEP deposits, HOT pool;  miner/bridge/coordinator: MAIN;
 * attacker: MAIN = stolen coins (heist.c only), DEP = CoinJoin outputs. */
enum { CS_GEN_W_MAIN, CS_GEN_W_DEP, CS_GEN_W_HOT, CS_GEN_W_COLD, CS_GEN_NWSLOT };
/* Fixed (reused) address slots: hot/pool/vault/coinbase, second hot, cold. */
enum { CS_GEN_A_HOT, CS_GEN_A_HOT2, CS_GEN_A_COLD, CS_GEN_A_POOL3, CS_GEN_NASLOT };

struct cs_gen_entity {
    char name[40];
    uint8_t kind;
    uint8_t atype;      /* address type of its fresh addresses */
    uint8_t fp_version; /* tx version it writes */
    uint8_t fp_afs;     /* anti-fee-sniping locktime */
    uint8_t fp_lowr;    /* grinds low-R signatures (always 71 bytes) */
    uint32_t fp_seq;    /* nSequence it writes */
    uint32_t wallet[CS_GEN_NWSLOT];
    uint32_t fixed[CS_GEN_NASLOT]; /* lazily created reused addresses */
    uint32_t last_recv;            /* last receive address (for reuse) */
    uint32_t tagged;               /* its fixed addresses go to tags.csv */
};

struct cs_gen_wallet {
    uint32_t entity;
    uint32_t n, cap;
    uint32_t *utxo;
    uint64_t balance;
    uint32_t track; /* kept in cs_gen.funded while balance >= FUND_MIN */
    uint32_t fpos;  /* position in cs_gen.funded or CS_GEN_NONE */
};

struct cs_gen_utxo {
    uint8_t txid[32];
    uint64_t value;
    uint32_t vout;
    uint32_t addr;
    uint32_t wallet; /* CS_GEN_NONE: held outside wallets (immature coinbase) */
    uint32_t slot;
    uint32_t height;
    uint32_t live;
};

/* One output of a transaction being built. addr == CS_GEN_NONE: the OP_RETURN
 * in cs_gen_build.opret; addr == pending (UINT32_MAX-1): a fresh address of
 * (ent, type) created by emit.  After emit, addr is set and utxo is the new
 * UTXO id. */
struct cs_gen_out {
    uint64_t value;
    uint32_t addr;
    uint32_t wallet;
    uint32_t utxo;
    uint32_t ent;
    uint8_t type;
    uint8_t recv; /* a receive address: remembered for reuse */
};

struct cs_gen_build {
    uint32_t nin, nout;
    uint32_t in[CS_GEN_MAXIN];
    struct cs_gen_out out[CS_GEN_MAXOUT];
    uint8_t opret[84]; /* full OP_RETURN script */
    uint32_t opret_len;
    int32_t version;
    uint32_t locktime, seq;
    int lowr;
    uint64_t fee;     /* set by emit */
    uint8_t txid[32]; /* set by emit */
};

struct cs_gen_opts {
    const char *out;
    uint64_t txs;
    uint64_t seed;
    int heist;
    int regtest;
    int quiet;
};

struct cs_gen_dest {
    uint32_t entity; /* CS_GEN_NONE = "coinjoin" */
    uint64_t amount;
};

struct cs_gen_hevent {
    uint32_t height;
    uint32_t utxo;
    uint8_t type;
    uint8_t hops;
    uint8_t end;
};

struct cs_gen_heist {
    uint32_t drain_height, last_height;
    uint8_t drain_txid[32];
    uint32_t nseed;
    uint32_t seed_vout[64];
    uint64_t stolen, fees;
    struct cs_gen_dest dest[16];
    uint32_t ndest;
    struct cs_gen_hevent *ev;
    uint32_t nev, capev;
    uint32_t cj_utxo; /* stolen UTXO waiting for a CoinJoin round */
    uint64_t cj_amount;
    uint32_t cj_height;
    uint32_t done;
    uint32_t txs;
};

struct cs_gen_outbuf {
    FILE *f;
    char *buf;
    size_t len, cap;
    int err;
};

struct cs_gen {
    struct cs_gen_opts o;
    struct cs_gen_rng rng, sigrng;
    uint64_t keyseed;
    /* network */
    uint8_t magic[4];
    uint8_t p2pkh_ver, p2sh_ver;
    const char *hrp;
    /* entities */
    struct cs_gen_entity *ent;
    uint32_t nent, capent;
    uint32_t user0, nuser, merch0, nmerch, ex0, nex, miner0, nminer;
    uint32_t mixer, coord_wp, coord_ws, bridge, attacker, victim; /* entity ids or NONE */
    /* wallets */
    struct cs_gen_wallet *wal;
    uint32_t nwal, capwal;
    uint32_t wp_pre[CS_GEN_WP_POOLS], wp_post[CS_GEN_WP_POOLS];
    uint32_t *funded; /* user main wallets with spendable funds */
    uint32_t nfunded, capfunded;
    /* UTXO pool */
    struct cs_gen_utxo *utxo;
    uint32_t nutxo, caputxo;
    uint32_t *freelist;
    uint32_t nfree, capfree;
    /* addresses */
    uint8_t (*aprog)[40]; /* program (20 or 32 bytes); P2SH-P2WPKH: + key hash at 20 */
    uint32_t *aent, *awal;
    uint8_t *atype;
    uint32_t naddr, capaddr;
    /* immature coinbase UTXO per height */
    uint32_t *cb_utxo;
    /* chain plan */
    uint32_t boot_blocks, act_blocks, last_height;
    uint32_t stale_height;
    /* current block */
    uint32_t height;
    uint32_t time;
    uint32_t feerate; /* base sat/vB of this block */
    uint8_t *blk;     /* serialized non-coinbase txs of the block */
    size_t blklen, blkcap;
    uint8_t (*txid)[32], (*wtxid)[32], (*scratch)[32];
    uint32_t ntx, captx;
    uint64_t blkfees;
    uint8_t prev_hash[32];
    uint8_t prev2_hash[32]; /* parent of prev (for the stale block) */
    /* output of whole blocks */
    uint8_t *rec;
    size_t reccap;
    uint8_t *held; /* block held back to be written after its child */
    size_t heldlen, heldcap;
    struct cs_gen_blkwriter bw;
    uint32_t swapped, stale_written;
    /* totals of the best chain */
    uint64_t chain_txs, utxo_count, utxo_total;
    uint8_t tip[32];
    /* wasabi denominations, descending */
    uint64_t denom[128];
    uint32_t ndenom;
    /* files */
    struct cs_gen_outbuf owners, tags;
    /* build scratch */
    struct cs_gen_build b, b2;
    uint64_t act_count[32];
    struct cs_gen_heist h;
};

/* econ.c */

/* Generates the whole output under o->out (see main.c --help).  Returns 0,
 * CS_EIO (a file could not be written; message names it) or CS_EUSAGE (the
 * heist could not happen in so short a chain).  Owns all its memory and
 * frees it before returning; one run at a time per process.  Cost: ~5 us of
 * CPU and ~150 bytes of peak memory per transaction. */
int cs_gen_run(const struct cs_gen_opts *o);
/* New address id of the given type owned by entity, its UTXOs going to
 * wallet by default; writes its owners.csv row (and tags.csv for mixers).
 * Cost: 0-2 HASH160 and one address encoding. */
uint32_t cs_gen_addr_new(struct cs_gen *g, uint32_t entity, uint32_t wallet, int atype);
/* The entity's reused address in slot (CS_GEN_A_*), created on first use
 * with its tags.csv row (exchange hot wallets, vault, victim's cold wallet). */
uint32_t cs_gen_fixed_addr(struct cs_gen *g, uint32_t entity, int slot, int atype);
/* Network encoding of an address (Base58Check or Bech32/Bech32m). */
void cs_gen_addr_str(const struct cs_gen *g, uint32_t addr, char out[96]);
/* scriptPubKey of an address; returns its length (22..34). */
size_t cs_gen_script(const struct cs_gen *g, uint32_t addr, uint8_t out[40]);
/* The compressed public key behind a P2PKH / P2WPKH / P2SH-P2WPKH address,
 * derived from (seed, id); HASH160 of it is the address hash.  No hashing. */
void cs_gen_pubkey(const struct cs_gen *g, uint32_t addr, uint8_t pub[33]);
/* Empties b and sets version, locktime, nSequence, low-R from the entity's
 * wallet fingerprint. */
void cs_gen_build_init(struct cs_gen *g, struct cs_gen_build *b, uint32_t entity);
/* Creates the pending addresses, serializes b into the current block,
 * spends its inputs and creates its outputs (out[].utxo, b->txid, b->fee
 * are set).  Returns the tx's index in the block.  BUG on a negative fee. */
uint32_t cs_gen_emit(struct cs_gen *g, struct cs_gen_build *b);
/* Fee of b at rate sat/vB on its estimated vsize (72-byte signatures). */
uint64_t cs_gen_fee(const struct cs_gen *g, const struct cs_gen_build *b, uint32_t rate);
/* Appends an input (a live UTXO id) / an output to an existing address
 * (CS_GEN_NONE: the OP_RETURN set by cs_gen_set_opreturn). */
void cs_gen_add_in(struct cs_gen *g, struct cs_gen_build *b, uint32_t utxo);
void cs_gen_add_out(struct cs_gen *g, struct cs_gen_build *b, uint64_t value, uint32_t addr);
/* Sets b's OP_RETURN script to one push of data (at most 80 bytes). */
void cs_gen_set_opreturn(struct cs_gen_build *b, const uint8_t *data, size_t len);
/* One Wasabi 2.0 round among distinct funded users (>= 20 inputs, >= 3
 * denominations used twice or more, change outputs, coordinator fee); with
 * extra_utxo != CS_GEN_NONE that UTXO joins as one more participant whose
 * outputs go to extra_entity / extra_wallet.  Returns 1 if emitted, 0 when
 * no valid round could be formed (nothing changed but the PRNG). */
int cs_gen_wasabi_round(struct cs_gen *g, uint32_t extra_utxo, uint32_t extra_entity,
                        uint32_t extra_wallet);
/* Moves a live UTXO into another wallet list. O(1). */
void cs_gen_wallet_move(struct cs_gen *g, uint32_t utxo, uint32_t wallet);
/* owners.csv name of an entity kind (static string). */
const char *cs_gen_kind_name(int kind);
/* A THORChain swap memo "SWAP:ETH.ETH:0x<40 hex>:<limit>" into out; the
 * attacker uses a handful of fixed destination addresses. */
void cs_gen_swap_memo(struct cs_gen *g, char *out, size_t cap, int attacker);
/* Appends an output to a fresh address of (ent, atype) that emit creates,
 * its UTXO going to wallet; recv marks a receive address kept for reuse. */
void cs_gen_add_fresh(struct cs_gen_build *b, uint64_t value, uint32_t ent, uint32_t wallet,
                      int atype, int recv);
/* Exchange hot -> cold move (forced, or when hot holds more than cold) or a
 * cold -> hot refill; returns 1 if a tx was emitted. */
int cs_gen_ex_cold_move(struct cs_gen *g, uint32_t ex, int force);
/* Fee rate of the next tx: the block's base rate x 0.5..2, at least 1. */
uint32_t cs_gen_rate(struct cs_gen *g);

/* heist.c */
/* Fixes the drain height from the chain plan. */
void cs_gen_heist_plan(struct cs_gen *g);
/* Runs the heist steps due at the current height (drain, splits, peels,
 * mixer and bridge deposits, the CoinJoin); returns the txs emitted. */
uint32_t cs_gen_heist_step(struct cs_gen *g);
/* Checks stolen == destinations + unspent + fees (BUG otherwise) and writes
 * heist.json.  Returns 0 or CS_EIO. */
int cs_gen_heist_write(struct cs_gen *g, const char *path);

#endif
