/* evm.h — what every EVM module shares: the chain table, 20-byte addresses
 * (EIP-55 on output, either case on input), and the kinds of value transfer
 * (METHODS.md §1.4).
 *
 * Invariants:
 *  - Chain entries are static; pointers stay valid for the life of the process.
 *  - Every native asset in the table has 18 decimals (wei).
 *  - An address is 20 bytes; "0x" + 40 hex digits.  Input in all lower or
 *    all upper case is accepted as is; mixed case must carry a valid EIP-55
 *    checksum.  JSON output is lower case, human output EIP-55.
 * Nothing allocates. */
#ifndef CS_EVM_EVM_H
#define CS_EVM_EVM_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct cs_evm_chain {
    const char *name;    /* store folder and --chain name: "eth" */
    const char *title;   /* "Ethereum mainnet" */
    uint64_t chain_id;   /* EIP-155 */
    const char *symbol;  /* native asset: "ETH" */
    const char *wrapped; /* the canonical WETH9-style wrapper (lower case), whose
                            Deposit/Withdrawal events are wraps and unwraps; NULL: none */
};

/* The chain with this --chain name, or NULL. */
const struct cs_evm_chain *cs_evm_chain_find(const char *name);
size_t cs_evm_chain_count(void);
const struct cs_evm_chain *cs_evm_chain_at(size_t i);

/* token marks (address poisoning), set when a token is first stored */
enum {
    CS_TOK_IMITATES = 1, /* its symbol is a major asset's, at a contract that is not that asset */
    CS_TOK_NONASCII = 2, /* its symbol or name holds non-ASCII bytes (look-alike letters) */
};
/* The marks a token with this symbol and name at contract gets on chain
 * (the canonical contracts of USDT, USDC, DAI, WETH, WBTC on eth; the native
 * symbol anywhere, since the native asset is never a token). */
uint8_t cs_evm_token_marks(const struct cs_evm_chain *chain, const uint8_t contract[20],
                           const char *symbol, const char *name);

#define CS_EVM_ADDR_STR 43 /* "0x" + 40 + NUL */

/* Parses "0x" + 40 hex digits (see the invariants for case).  Returns 0, or
 * CS_EFORMAT with a message naming the input and what is wrong. */
int cs_evm_addr_parse(const char *s, uint8_t out[20]) CS_MUST_CHECK;
/* EIP-55 mixed-case form. */
void cs_evm_addr_format(const uint8_t a[20], char out[CS_EVM_ADDR_STR]);
/* Lower-case form (JSON). */
void cs_evm_addr_lower(const uint8_t a[20], char out[CS_EVM_ADDR_STR]);

/* Kinds of value transfer; stored as one byte, never 0. */
enum cs_evm_kind {
    CS_XK_NATIVE = 1,   /* top-level value of a successful transaction */
    CS_XK_INTERNAL = 2, /* value of a successful inner call frame (or create) */
    CS_XK_SELFDESTRUCT = 3,
    CS_XK_FEE_TIP = 4,    /* the part of the fee the fee recipient gets */
    CS_XK_FEE_BURN = 5,   /* the base fee, burned (to = no account) */
    CS_XK_REWARD = 6,     /* block and uncle rewards (from = no account) */
    CS_XK_WITHDRAWAL = 7, /* EIP-4895 (from = no account) */
    CS_XK_ERC20 = 8,
    CS_XK_ERC721 = 9,
    CS_XK_ERC1155 = 10,
    CS_XK_WETH_DEPOSIT = 11,
    CS_XK_WETH_WITHDRAWAL = 12,
    CS_XK_COUNT
};
/* "native", "internal", ... or "?". */
const char *cs_evm_kind_name(int kind);
/* 1 for the kinds that move the chain's native asset. */
int cs_evm_kind_is_native(int kind);

#endif
