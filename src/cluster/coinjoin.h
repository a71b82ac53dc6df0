/* coinjoin.h — the transaction view used by clustering, and CoinJoin vetoes
 * (METHODS.md §2.3).
 *
 * Invariants:
 *  - Every detector is a pure function of one struct cs_txv: no store access,
 *    no global state, nothing kept after return.  Detectors never fail; for
 *    large transactions they sort a scratch copy (512 uint64 on the stack,
 *    cs_xmalloc beyond, bounded by the block size), O(k log k) for k in+out.
 *  - Amounts are exact satoshi integers; every ratio rule of §2.3 is
 *    evaluated in integer arithmetic (e.g. n >= (outs-1)/2 as 2n >= outs-1).
 *  - "Outputs" for the protocol detectors (Wasabi, Whirlpool, JoinMarket,
 *    Stonewall) are the spendable outputs: OP_RETURN outputs are left out, as
 *    in the GraphSense reference, which skips outputs without an address.
 *    The generic BlockSci rule counts every output, as BlockSci does.
 *  - "Scripts" are address ids: two inputs with the same address id are the
 *    same script.
 *  - Whirlpool Tx0 is NOT a CoinJoin: it is one user's premix transaction, so
 *    it never vetoes the multi-input rule, and a surviving Tx0 match also lifts
 *    the JoinMarket/generic vetoes its premix outputs can trigger.
 *    cs_coinjoin_classify() marks the premix outputs instead: they are the
 *    n_premix spendable outputs whose value equals detail.premix_value.
 *  - Default behaviour (CS_CJ_DEFAULT): all detectors and both
 *    false-positive controls on, date gates OFF.  Gating is opt-in because a
 *    missed CoinJoin can merge two users (and super-clusters), while a
 *    CoinJoin veto on a non-CoinJoin only loses one link.
 */
#ifndef CS_CLUSTER_COINJOIN_H
#define CS_CLUSTER_COINJOIN_H

#include <stddef.h>
#include <stdint.h>

/* ---- transaction view -------------------------------------------------- */

/* One input, as seen through its prevout. */
struct cs_txv_in {
    uint64_t value;   /* prevout value, satoshi */
    uint32_t addr;    /* prevout address id (dense) */
    uint8_t type;     /* prevout enum cs_addr_type (src/btc/script.h) */
    uint8_t exchange; /* 1 if the prevout address is tagged as an exchange (tags
                         module); only read by CS_CJ_EXCHANGE_CONTROL */
};

/* Wallet-fingerprint bits of a transaction (cs_txv_fingerprint). */
enum {
    CS_FP_KNOWN = 1,    /* fingerprint computed (0 = spender unknown / unspent) */
    CS_FP_LOCKTIME = 2, /* nLockTime > 0 */
    CS_FP_RBF = 4,      /* some input nSequence < 0xfffffffe (BIP125 signal) */
    CS_FP_V2 = 8,       /* nVersion >= 2 */
};

/* One output. Only value/addr/type are needed by the CoinJoin detectors; the
 * other fields feed change heuristics and may be left 0 when unused. */
struct cs_txv_out {
    uint64_t value;
    uint32_t addr;
    uint8_t type;             /* enum cs_addr_type; CS_ADDR_OPRETURN is never change */
    uint8_t first_seen;       /* 1: the address appears for the first time in this tx */
    uint8_t first_seen_block; /* 1: ...first time in this tx's block (GraphSense);
                                 treated as set whenever first_seen is */
    uint8_t addr_in_le1;      /* 1: the address has <= 1 receiving tx, over the
                                 data the caller has (GraphSense one-time) */
    uint8_t addr_out_le1;     /* 1: the address has <= 1 spending tx (ditto) */
    uint8_t spender_fp;       /* CS_FP_* of the tx that spends this output, 0 if
                                 unspent or unknown (locktime heuristic) */
};

/* A transaction. Borrowed pointers; nothing here is owned or kept. */
struct cs_txv {
    const struct cs_txv_in *in;
    size_t n_in;
    const struct cs_txv_out *out;
    size_t n_out;
    int coinbase; /* 1: coinbase (in/n_in ignored) */
    uint32_t height;
    uint32_t time; /* block time, unix seconds (date gates) */
    uint32_t version;
    uint32_t locktime;
    const uint32_t *in_sequence; /* n_in nSequence values, or NULL if unknown */
};

/* CS_FP_* bits of tx itself (always includes CS_FP_KNOWN). O(n_in). */
unsigned cs_txv_fingerprint(const struct cs_txv *tx);

/* ---- detectors ---------------------------------------------------------- */

enum cs_cj_protocol {
    CS_CJP_NONE = 0,
    CS_CJP_GENERIC,   /* BlockSci isCoinjoin */
    CS_CJP_WASABI10,  /* Wasabi 1.0 (ZeroLink, one 0.1 BTC level) */
    CS_CJP_WASABI11,  /* Wasabi 1.1 (mixing levels 2^i * 0.1 BTC) */
    CS_CJP_WASABI20,  /* Wasabi 2.0 (WabiSabi) */
    CS_CJP_WHIRLPOOL, /* Samourai Whirlpool mix */
    CS_CJP_TX0,       /* Whirlpool Tx0 premix tx: single user, not a CoinJoin */
    CS_CJP_JOINMARKET,
    CS_CJP_STONEWALL, /* Stonewall shape (false-positive control) */
    CS_CJP_COUNT
};
#define CS_CJP_BIT(p) (1u << (p))

/* Short name ("generic", "wasabi-1.0", ..., "none"). Static string. */
const char *cs_cj_protocol_name(int protocol);

/* What a detector saw; filled on success and (as far as computed) on failure. */
struct cs_cj_detail {
    uint64_t denom;        /* denomination d (smallest level for Wasabi 1.1,
                              pool size for Whirlpool and Tx0) */
    uint32_t n;            /* outputs at d (participant estimate) */
    uint32_t levels;       /* Wasabi 1.1: bit i set = level 2^i * 0.1 BTC active;
                              Wasabi 2.0: number of denominations */
    uint64_t fee;          /* sum(in) - sum(out) when >= 0 (Whirlpool: the
                              miner fee paid by the new entrants) */
    uint64_t premix_value; /* Tx0: value of each premix output */
    uint32_t n_premix;     /* Tx0: number of premix outputs */
    const char *why;       /* "match" or the first rule that failed; static */
};

/* Each returns 1 if tx matches the rule of METHODS §2.3, else 0; detail may
 * be NULL.  Coinbase transactions never match. */
int cs_cj_generic(const struct cs_txv *tx, struct cs_cj_detail *detail);
int cs_cj_wasabi10(const struct cs_txv *tx, struct cs_cj_detail *detail);
/* Wasabi 1.1 matches only when some level above 0.1 BTC is active; a round
 * with only the 0.1 BTC level is left to cs_cj_wasabi10. */
int cs_cj_wasabi11(const struct cs_txv *tx, struct cs_cj_detail *detail);
int cs_cj_wasabi20(const struct cs_txv *tx, struct cs_cj_detail *detail);
int cs_cj_whirlpool(const struct cs_txv *tx, struct cs_cj_detail *detail);
int cs_cj_tx0(const struct cs_txv *tx, struct cs_cj_detail *detail);
int cs_cj_joinmarket(const struct cs_txv *tx, struct cs_cj_detail *detail);
/* Stonewall shape: >= 2 inputs; 3 or 4 spendable outputs with distinct
 * addresses; exactly one value appears exactly twice and it is >= 5,000 sat;
 * with 4 outputs the other two differ (GraphSense reference). */
int cs_cj_stonewall(const struct cs_txv *tx, struct cs_cj_detail *detail);

/* ---- classification ----------------------------------------------------- */

enum {
    CS_CJ_GENERIC = 1u << 0,
    CS_CJ_WASABI10 = 1u << 1,
    CS_CJ_WASABI11 = 1u << 2,
    CS_CJ_WASABI20 = 1u << 3,
    CS_CJ_WHIRLPOOL = 1u << 4,
    CS_CJ_TX0 = 1u << 5,
    CS_CJ_JOINMARKET = 1u << 6,
    CS_CJ_ALL_DETECTORS = (1u << 7) - 1,
    /* A Stonewall shape suppresses the protocol detectors (not the generic
     * rule) and itself vetoes the multi-input rule (§2.1: STONEWALLx2 has two
     * users' inputs). */
    CS_CJ_STONEWALL_CONTROL = 1u << 8,
    /* JoinMarket and Wasabi 1.x hits are dropped when any input is
     * exchange-tagged (exchange batch payouts look like them). */
    CS_CJ_EXCHANGE_CONTROL = 1u << 9,
    /* Date gates on tx->time: Wasabi 1.x only before the zkSNACKs coordinator
     * shut down, Whirlpool and Tx0 only before the Samourai seizure.  Wasabi
     * 2.0 is not gated: other coordinators kept running it. */
    CS_CJ_DATE_GATE = 1u << 10,
    CS_CJ_DEFAULT = CS_CJ_ALL_DETECTORS | CS_CJ_STONEWALL_CONTROL | CS_CJ_EXCHANGE_CONTROL,
};

#define CS_CJ_ZKSNACKS_END 1717200000u /* 2024-06-01 00:00:00 UTC */
#define CS_CJ_SAMOURAI_END 1713916800u /* 2024-04-24 00:00:00 UTC */

struct cs_cj_result {
    enum cs_cj_protocol protocol; /* reported label, NONE if nothing survived */
    int veto_multi_input;         /* 1: do not union this tx's inputs */
    unsigned matched;             /* CS_CJP_BIT of every enabled detector that fired */
    unsigned suppressed;          /* bits removed by the Stonewall / exchange controls */
    unsigned gated;               /* bits removed by the date gate */
    struct cs_cj_detail detail;   /* of the reported protocol */
};

/* Runs the detectors enabled in flags (CS_CJ_*), applies the controls and
 * reports one label with priority Whirlpool > Wasabi 2.0 > Wasabi 1.1 >
 * Wasabi 1.0 > Stonewall > Tx0 > JoinMarket > generic.  veto_multi_input is
 * set when a Wasabi/Whirlpool hit or a Stonewall shape survived, or when a
 * JoinMarket/generic hit survived and no Tx0 did: a Tx0 has one user's
 * inputs even when its premix outputs also look like a JoinMarket or generic
 * CoinJoin, and its fingerprint (one OP_RETURN, one coordinator-fee output)
 * is the more specific one.  Coinbase: protocol NONE, no veto.  O(k log k)
 * for k = n_in + n_out; allocates only beyond 512 scratch entries.
 * Returns res->protocol. */
enum cs_cj_protocol cs_coinjoin_classify(const struct cs_txv *tx, unsigned flags,
                                         struct cs_cj_result *res);

#endif
