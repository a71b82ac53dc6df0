/* amount.h — assets and the one way chainsleuth writes and reads amounts.
 *
 * Every amount is an exact count of base units (satoshi, wei, a token's
 * smallest unit) in a struct cs_u256.  An asset descriptor says how to show
 * it: the unit symbol ("BTC") is 10^decimals base units.  Every report and
 * command formats amounts with cs_amount_format*() and reads user amounts
 * (--min-amount) with cs_amount_parse*(), so all of them print the same digits
 * and accept the same spellings.
 *
 * Invariants:
 *  - No floating point anywhere: formatting is digit placement on the exact
 *    decimal expansion; parsing is exact decimal arithmetic on u256.
 *  - decimals is 0..CS_ASSET_DECIMALS_MAX (77): 10^77 is the largest power of
 *    ten below 2^256, so one whole unit is always representable.
 *  - Descriptors are plain values (fixed arrays, no pointers), safe to copy.
 *    Built-in native descriptors are static and live for the program.
 *  - Formatting never fails and never allocates; output always fits
 *    CS_AMOUNT_STR_MAX bytes.  Parsing records a message naming the text and
 *    the reason (cs_errmsg()). */
#ifndef CS_UTIL_AMOUNT_H
#define CS_UTIL_AMOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/u256.h"

#define CS_ASSET_DECIMALS_MAX CS_U256_POW10_MAX
#define CS_ASSET_CHAIN_MAX 16  /* "btc", "eth": bytes incl. NUL */
#define CS_ASSET_SYMBOL_MAX 32 /* "BTC", "USDT": bytes incl. NUL */
#define CS_ASSET_UNIT_MAX 16   /* "sat", "wei": bytes incl. NUL */

struct cs_asset {
    char chain[CS_ASSET_CHAIN_MAX];    /* chain name as the store uses it: "btc", "eth" */
    int native;                        /* 1: the chain's own coin; 0: a token contract */
    uint8_t contract[20];              /* token contract address; all zero when native */
    char symbol[CS_ASSET_SYMBOL_MAX];  /* the whole unit: "BTC", "ETH", "USDC" */
    char base_unit[CS_ASSET_UNIT_MAX]; /* the smallest unit: "sat", "wei"; "" = unnamed */
    unsigned decimals;                 /* base units per whole unit = 10^decimals */
};

/* The native asset of a chain ("btc": BTC, 8 decimals, sat; "eth": ETH, 18
 * decimals, wei), or NULL (no message) for a chain without a built-in
 * descriptor.  The name is matched exactly.  Static storage. */
const struct cs_asset *cs_asset_native(const char *chain);

/* Fills *out for a token contract.  chain: 1..15 bytes of [a-z0-9-];
 * symbol: 1..31 printable ASCII bytes without spaces (token symbols come from
 * the chain, so anything else is refused rather than printed); base_unit:
 * NULL or "" for none, else like symbol up to 15 bytes.  Returns 0,
 * CS_EFORMAT for a bad name, or CS_ERANGE for decimals above 77. */
int cs_asset_token(struct cs_asset *out, const char *chain, const uint8_t contract[20],
                   const char *symbol, const char *base_unit, unsigned decimals) CS_MUST_CHECK;

/* Longest output incl. NUL: 78 digits, a point, "0." padding for 77
 * decimals, a space and a 31-byte symbol fit with room to spare. */
#define CS_AMOUNT_STR_MAX 128

enum {
    CS_AMOUNT_TRIM =
        1, /* drop trailing fractional zeros (and a bare point): "0.5" not "0.50000000" */
    CS_AMOUNT_UNIT = 2, /* append " " and the symbol (or the base unit for _base) */
};

/* Writes amount (in base units) in whole units with exactly asset->decimals
 * fractional digits: 1234567890 sat -> "12.34567890", 1 wei ->
 * "0.000000000000000001", 0 -> "0.00000000"; with decimals 0 there is no point.
 * Flags: CS_AMOUNT_TRIM ("12.3456789", "0"), CS_AMOUNT_UNIT (" BTC").
 * Returns the length.  Cost: one u256-to-decimal conversion. */
size_t cs_amount_format(char out[CS_AMOUNT_STR_MAX], const struct cs_asset *asset,
                        const struct cs_u256 *amount, unsigned flags);
/* The same for a 64-bit amount (satoshi). */
size_t cs_amount_format_u64(char out[CS_AMOUNT_STR_MAX], const struct cs_asset *asset,
                            uint64_t amount, unsigned flags);
/* Writes the base-unit count: "1234567890", with CS_AMOUNT_UNIT "1234567890 sat"
 * (nothing is appended for an asset without a base-unit name).  Returns the length. */
size_t cs_amount_format_base(char out[CS_AMOUNT_STR_MAX], const struct cs_asset *asset,
                             const struct cs_u256 *amount, unsigned flags);

/* Parses a user amount into base units of asset.  Accepted:
 *   NUMBER [spaces] [UNIT]
 * NUMBER is digits with an optional point and at least one digit on each side
 * of it; UNIT is the asset's symbol or its base unit, any case.  Without a
 * unit the number is in whole units, so for BTC "0.001", "0.001BTC",
 * "0.001 btc" and "100000sat" are all 100000.  A base-unit amount takes no
 * fraction.  Refused with CS_EUSAGE and a message saying why: empty text, a
 * sign, exponent notation ("1e5"), digit separators, a missing digit around
 * the point, more fractional digits than the asset's decimals (extra zeros
 * included, since a stray digit usually means a mistyped amount), a unit that
 * is not this asset's, any other byte.  CS_ERANGE above 2^256-1 base units.
 * *out is unchanged on error. */
int cs_amount_parse(struct cs_u256 *out, const struct cs_asset *asset,
                    const char *text) CS_MUST_CHECK;
/* The same, and also CS_ERANGE when the amount exceeds 2^64-1 base units. */
int cs_amount_parse_u64(uint64_t *out, const struct cs_asset *asset,
                        const char *text) CS_MUST_CHECK;

#endif
