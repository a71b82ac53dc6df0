/* script.h — scriptPubKey classification and the address model.
 *
 * Every output maps to one address record (struct cs_addr): a type, a length
 * and up to 32 bytes of payload.  Standard scripts keep their hash or program;
 * P2PK is folded into the P2PKH address of its key (as explorers show it);
 * bare multisig, OP_RETURN and non-standard scripts become pseudo-addresses
 * keyed by SHA-256 of the script, so that `address` can still look them up.
 * Multisig keys additionally get P2PKH addresses (cs_script_multisig_keys). */
#ifndef CS_BTC_SCRIPT_H
#define CS_BTC_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

enum cs_addr_type {
    CS_ADDR_NONE = 0,
    CS_ADDR_P2PKH = 1,    /* data = hash160 (20); also P2PK outputs */
    CS_ADDR_P2SH = 2,     /* data = hash160 (20) */
    CS_ADDR_P2WPKH = 3,   /* data = program (20) */
    CS_ADDR_P2WSH = 4,    /* data = program (32) */
    CS_ADDR_P2TR = 5,     /* data = program (32) */
    CS_ADDR_WITNESS = 6,  /* other witness version (ver), program 2..32 bytes
                             (33..40-byte programs: SHA-256 of it, len = 0) */
    CS_ADDR_MULTISIG = 7, /* bare multisig pseudo-address: SHA-256(script) */
    CS_ADDR_OPRETURN = 8, /* OP_RETURN pseudo-address: SHA-256(script) */
    CS_ADDR_NONSTD = 9,   /* anything else: SHA-256(script) */
};

/* 36 bytes, stored as is in the address column. Unused payload bytes are zero. */
struct cs_addr {
    uint8_t type;  /* enum cs_addr_type */
    uint8_t ver;   /* witness version for CS_ADDR_WITNESS (and P2TR = 1), else 0 */
    uint8_t len;   /* payload length in data */
    uint8_t flags; /* CS_ADDRF_*: how the script looked (P2PK); zero in the store */
    uint8_t data[32];
};
#define CS_ADDRF_P2PK 1 /* the output was P2PK; the address shown is P2PKH of the key */

/* Address encoding parameters of a network. */
struct cs_netparams {
    const char *name; /* "main", "testnet3", "testnet4", "signet", "regtest" */
    uint8_t magic[4];
    uint8_t p2pkh_ver, p2sh_ver;
    const char *hrp;
};
/* Looks up a network by the 4 magic bytes of a blk file; NULL if unknown. */
const struct cs_netparams *cs_net_by_magic(const uint8_t magic[4]);
const struct cs_netparams *cs_net_by_name(const char *name);

struct cs_asset;
/* The asset of every amount in a Bitcoin store: BTC, 8 decimals, "sat"
 * (util/amount.h).  Layers above btc/ ask this instead of naming the chain;
 * the chain registry of the platform issue will take its place.  Static. */
const struct cs_asset *cs_btc_asset(void);

/* Classifies a scriptPubKey into its address record. Never fails: anything
 * unrecognised is CS_ADDR_NONSTD. Cost: one SHA-256 for pseudo-addresses,
 * one HASH160 for P2PK. */
void cs_script_classify(const uint8_t *script, size_t len, struct cs_addr *out);
/* For a bare multisig script: writes up to cap P2PKH addresses of its keys and
 * returns how many keys it has (0 if the script is not bare multisig). */
int cs_script_multisig_keys(const uint8_t *script, size_t len, struct cs_addr *keys, int cap);
/* Human form of an address: Base58Check, Bech32/m, or "multisig:<hex>",
 * "op_return:<hex>", "nonstandard:<hex>" for pseudo-addresses.  out needs 96 bytes. */
void cs_addr_format(const struct cs_addr *a, const struct cs_netparams *net, char out[96]);
/* Parses any form cs_addr_format writes (for the network; Base58 version and
 * hrp must match). Returns 0 or CS_EFORMAT with a message naming the problem. */
int cs_addr_parse(const char *s, const struct cs_netparams *net, struct cs_addr *out);
/* Short name of a type: "p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr", "witness_unknown",
 * "multisig", "op_return", "nonstandard". */
const char *cs_addr_type_name(int type);

#endif
