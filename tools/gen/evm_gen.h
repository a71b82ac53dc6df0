/* evm_gen.h — internals of `chainsleuth-gen --chain eth`: a synthetic EVM
 * economy written as an ethereum-etl CSV export, with its ground truth
 * (README.md beside this file describes the output).
 *
 * Invariants the pieces rely on:
 * - Everything is a pure function of (--seed, --txs, --scenario): one
 *   xoshiro256** stream (gen.h) drives every decision; no clock, no rand(),
 *   no iteration over anything whose order depends on memory addresses.
 * - Every movement of value goes through evm_tx_commit() (per tx) or
 *   evm_withdrawal() (per block), which apply it to the balances in the order
 *   the ingest books it (value, inner frames, token logs by log index, fee;
 *   withdrawals after the block's txs) and BUG() if any balance would go
 *   negative.  So the CSV is consistent by construction, and the same pass
 *   feeds the heist bookkeeping (poison propagation, heist-flows edges) and
 *   evm_truth.c's per-policy ledger of truth/heist.json.
 * - Balances are unsigned __int128 base units (wei, token units): the
 *   largest holding (a few million ETH = 10^25 wei) is far below 2^128.
 * - Accounts are created through evm_acct_new() only, which writes their
 *   owners.csv row; an address is 20 PRNG bytes (EOAs and the canonical
 *   mainnet contracts aside), or keccak(rlp([sender, nonce]))[12:] for a
 *   contract created by a transaction. */
#ifndef CS_TOOLS_EVM_GEN_H
#define CS_TOOLS_EVM_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gen.h"

typedef unsigned __int128 u128;

#define WEI ((u128)1000000000000000000ull)
#define GWEI 1000000000ull

/* assets: native ETH and the tokens, one balance slot each */
enum {
    EA_ETH,
    EA_WETH,
    EA_STETH,
    EA_METH,
    EA_CMETH,
    EA_USDC,
    EA_USDT,
    EA_AIR,       /* the airdrop token */
    EA_FAKE_USDT, /* look-alike: symbol USDT at a non-canonical contract */
    EA_FAKE_USDC, /* look-alike: symbol with a Cyrillic letter */
    EA_N
};

/* account roles (owners.csv "role") */
enum {
    R_EOA,
    R_HOT,
    R_DEPOSIT,
    R_COLD,
    R_CONTRACT,
    R_TOKEN,
    R_POOL,
    R_MIXER,
    R_ROUTER,
    R_VAULT,
    R_BRIDGE,
    R_RELAYER,
    R_LOOKALIKE,
    R_HEIST,
    R_EXPLOITER,
    R_VALIDATOR,
    R_N
};

/* sink categories of the poison truth (0: not a sink) */
enum { SINK_NONE, SINK_EXCHANGE, SINK_MIXER, SINK_BRIDGE };

struct evm_acct {
    uint8_t addr[20];
    char hex[43];
    uint32_t entity;
    uint32_t customer; /* deposit address: the user entity it credits; else 0 */
    uint8_t role, is_contract, sink, tainted;
    uint64_t nonce;
    uint64_t last_lookalike_src; /* poisoning: 0 or acct+1 imitated */
    uint8_t tmask;               /* evm_truth.c: bit p set once it held taint under policy p */
    uint32_t tslot;              /* evm_truth.c: its lots slot + 1, or 0 */
    u128 bal[EA_N];
};

struct evm_entity {
    char name[48];
    const char *kind; /* user, exchange, mixer, bridge, ... */
    uint8_t sink;     /* SINK_* for the poison truth */
};

/* one inner call frame (traces.csv row below the top-level frame) */
struct evm_frame {
    uint32_t from, to;
    u128 value;
    const char *trace_type; /* call, create, suicide */
    const char *call_type;  /* call, delegatecall, staticcall, "" */
    char path[16];          /* trace_address: "0", "1", "0,0" */
    int reverted;           /* status 0, error "Reverted": moves nothing */
};

#define EVM_MAX_FRAMES 8
#define EVM_MAX_LOGS 256
#define EVM_LOG_DATA 256
#define EVM_INPUT_MAX 16384

struct evm_log {
    uint32_t addr;
    uint8_t ntopics;
    uint8_t topic[4][32];
    uint8_t data[EVM_LOG_DATA];
    uint16_t dlen;
    /* the movement it is, for the ledger: EA_* asset or -1 */
    int asset;
    int kind;          /* 1 Transfer, 2 WETH Deposit (mint), 3 WETH Withdrawal (burn) */
    uint32_t from, to; /* 0 = the zero address (mint/burn) */
    u128 value;
};

struct evm_tx {
    uint32_t from, to; /* to = 0 with create: contract creation */
    int create;
    uint32_t created;
    u128 value;
    uint8_t type; /* 0 legacy, 2 EIP-1559 */
    uint64_t gas_limit, gas_used;
    uint64_t price;         /* effective gas price (legacy: the gas price) */
    uint64_t max_fee, prio; /* type 2 */
    int failed;
    uint8_t input[EVM_INPUT_MAX];
    size_t ilen;
    struct evm_frame fr[EVM_MAX_FRAMES];
    int nfr;
    struct evm_log lg[EVM_MAX_LOGS];
    int nlg;
    uint32_t swap_pool; /* a swap: the pool the initiator traded with (poison rule) */
    const char *label;  /* heist-flows edge kind of its movements ("drain" ...), or NULL */
    int seed;           /* a drain tx: its non-fee movements are heist.json's seeds */
    /* filled by commit */
    uint8_t hash[32];
    uint64_t block, index;
};

struct evm_out {
    FILE *f;
    char *buf;
    size_t n, cap;
};

struct evm_event {
    uint64_t block, seq;
    int type;
    uint32_t a, b, c;
    u128 amt;
};

struct evm_note { /* a Tornado deposit and its planned withdrawal */
    uint32_t pool, depositor, recipient, relayer;
    int denom, habit;
    uint64_t dep_block, wd_block, dep_price;
    uint8_t dep_tx[32], wd_tx[32];
    int withdrawn;
};

struct evm_gen;

/* ---- evm_chain.c: accounts, balances, transactions, blocks, CSV ---- */
uint32_t evm_entity_new(struct evm_gen *g, const char *kind, uint8_t sink, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A new account of entity with role; addr NULL: 20 PRNG bytes. */
uint32_t evm_acct_new(struct evm_gen *g, uint32_t entity, int role, const uint8_t *addr);
/* A contract created by a transaction of `from` at its current nonce. */
void evm_create_addr(const uint8_t sender[20], uint64_t nonce, uint8_t out[20]);
void evm_tx_init(struct evm_gen *g, struct evm_tx *t, uint32_t from, uint32_t to, u128 value,
                 uint64_t gas_used, int legacy);
void evm_tx_sel(struct evm_tx *t, const uint8_t sel[4]);
void evm_tx_word_addr(struct evm_tx *t, uint32_t acct, const struct evm_gen *g);
void evm_tx_word_u128(struct evm_tx *t, u128 v);
void evm_tx_word_bytes(struct evm_tx *t, const uint8_t w[32]);
void evm_tx_bytes(struct evm_tx *t, const uint8_t *p, size_t n); /* raw, padded to 32 */
struct evm_frame *evm_tx_frame(struct evm_tx *t, uint32_t from, uint32_t to, u128 value,
                               const char *call_type);
struct evm_log *evm_tx_log(struct evm_tx *t, uint32_t addr, const uint8_t topic0[32]);
void evm_log_topic_addr(struct evm_log *l, const struct evm_gen *g, uint32_t acct);
void evm_log_topic_word(struct evm_log *l, const uint8_t w[32]);
void evm_log_data_u128(struct evm_log *l, u128 v);
void evm_log_data_addr(struct evm_log *l, const struct evm_gen *g, uint32_t acct);
void evm_log_data_word(struct evm_log *l, const uint8_t w[32]);
/* An ERC-20 Transfer log of asset from -> to (0 = zero address). */
struct evm_log *evm_tx_transfer(struct evm_gen *g, struct evm_tx *t, int asset, uint32_t from,
                                uint32_t to, u128 value);
/* ETH the sender needs for value + gas_limit x max fee. */
u128 evm_tx_cost(const struct evm_tx *t);
/* Books the tx (balances, heist bookkeeping) and writes its rows.  BUG()
 * on a negative balance: the economy must only build what can be paid. */
void evm_tx_commit(struct evm_gen *g, struct evm_tx *t);
/* An EIP-4895 withdrawal (Gwei) at the end of the current block. */
void evm_withdrawal(struct evm_gen *g, uint32_t to, uint64_t gwei);
void evm_block_open(struct evm_gen *g);
void evm_block_close(struct evm_gen *g);
int evm_files_open(struct evm_gen *g);
int evm_files_close(struct evm_gen *g);
void evm_out_str(struct evm_out *o, const char *s);
void evm_out_u64(struct evm_out *o, uint64_t v);
void evm_out_u128(struct evm_out *o, u128 v);
void evm_out_ch(struct evm_out *o, char c);
void evm_out_hex(struct evm_out *o, const uint8_t *p, size_t n); /* with 0x */
size_t evm_u128_dec(char out[40], u128 v);
u128 evm_swap_out(u128 in, u128 rin, u128 rout); /* x*y=k with a 0.3% fee */

/* ---- evm_truth.c: the per-policy ledger of truth/heist.json ----
 * Movement kinds, in the ingest's order within a tx. */
enum { MV_VALUE, MV_FRAME, MV_LOG, MV_TIP, MV_BURN, MV_WITHDRAWAL };
/* Starts the four ledgers (at the drain, before its first tx). */
void evm_truth_start(struct evm_gen *g);
/* Before the tx's first movement: decides, per policy, whether it is a swap. */
void evm_truth_tx_begin(struct evm_gen *g, const struct evm_tx *t);
/* One movement, called before the balances change (amount 0 included:
 * zero-value token transfers are address poisoning). */
void evm_truth_move(struct evm_gen *g, const struct evm_tx *t, uint32_t from, uint32_t to,
                    int asset, u128 amount, int kind);
/* Checks conservation and the ledgers against the balances, writes
 * DIR/truth/heist.json, frees the ledgers.  BUG() on a violation. */
int evm_truth_finish(struct evm_gen *g);

/* ---- evm_econ.c ---- */
struct cs_gen_opts;
int cs_gen_evm_run(const struct cs_gen_opts *o, int scenario_bybit);

/* the generator's whole state */
struct evm_gen {
    uint64_t seed, target_txs;
    uint32_t new_customer; /* owners.csv customer of the next account (deposit addresses) */
    int bybit, quiet;
    const char *out;
    struct cs_gen_rng rng;
    /* accounts and entities */
    struct evm_acct *acct;
    uint32_t nacct, capacct;
    struct evm_entity *ent;
    uint32_t nent, capent;
    uint32_t tok[EA_N]; /* token contract accounts (tok[EA_ETH] = 0) */
    const char *tok_symbol[EA_N], *tok_name[EA_N];
    uint8_t tok_decimals[EA_N];
    u128 supply[EA_N];
    /* chain */
    uint64_t first_block, block, nblocks, timestamp, base_fee;
    uint64_t block_gas, block_txs, log_index, txs, xfers_hint;
    uint8_t block_hash[32], parent_hash[32];
    uint32_t miner;
    uint32_t validators[16];
    uint64_t wd_index;
    char *wd_buf; /* this block's withdrawals column */
    size_t wd_len, wd_cap;
    /* output */
    struct evm_out o_blocks, o_txs, o_rcpt, o_logs, o_tt, o_traces, o_owners, o_tags, o_flows,
        o_contracts;
    uint64_t cum_gas;
    int flows_first;
    /* heist bookkeeping */
    int heist_on;
    uint64_t heist_block;
    u128 *sink_by_ent; /* nent x EA_N, grown with entities */
    uint32_t sink_cap;
    u128 poison_fees;
    uint64_t heist_edges, heist_txs;
    void *truth; /* evm_truth.c state, from the drain on */
    /* topics and selectors */
    uint8_t T_TRANSFER[32], T_APPROVAL[32], T_WDEPOSIT[32], T_WWITHDRAWAL[32], T_TC_DEPOSIT[32],
        T_TC_WITHDRAWAL[32], T_TH_DEPOSIT[32], T_TH_OUT[32], T_TOKENPURCHASE[32], T_ETHPURCHASE[32],
        T_SWAP2[32], T_MSG_SENT[32], T_MSG_EXEC[32], T_REWARDSWAP[32], T_EXEC_OK[32];
    uint8_t S_TRANSFER[4], S_TRANSFERFROM[4], S_APPROVE[4], S_WDEPOSIT[4], S_WWITHDRAW[4],
        S_TC_DEPOSIT[4], S_TC_WITHDRAW[4], S_TH_DEPOSIT[4], S_TH_OUT[4], S_ETH2TOK[4], S_TOK2ETH[4],
        S_TOK2TOK[4], S_SUBMIT[4], S_BRIDGE[4], S_BRIDGE_FILL[4], S_EXEC[4], S_MULTISEND[4],
        S_MINT[4], S_CLAIM[4], S_ADDLIQ[4];
    /* scheduler */
    struct evm_event *ev;
    size_t nev, capev;
    uint64_t evseq;
    /* Tornado notes */
    struct evm_note *note;
    size_t nnote, capnote;
    /* economy state lives in evm_econ.c (opaque pointer) */
    void *econ;
};

void evm_flow_edge(struct evm_gen *g, const struct evm_tx *t, const char *kind, uint32_t from,
                   uint32_t to, int asset, u128 amount);

#endif
