/* chain.c — the chain registry (see chain.h). */
#include "chain/chain.h"

#include <string.h>

#define NATIVE(name)                                                                               \
    static const struct cs_asset *name##_asset(void)                                               \
    {                                                                                              \
        return cs_asset_native(#name);                                                             \
    }
NATIVE(eth)
NATIVE(sepolia)
NATIVE(bsc)
NATIVE(polygon)
NATIVE(arbitrum)
NATIVE(optimism)
NATIVE(base)
NATIVE(avalanche)
NATIVE(devnet)

static const struct cs_chain CHAINS[] = {
    {"btc", "Bitcoin", 1, 0, cs_btc_asset, cs_addr_format, cs_addr_parse},
    /* the EVM schema; its addresses are 20 bytes (evm/evm.h), not struct cs_addr */
    {"eth", "Ethereum", 1, 1, eth_asset, NULL, NULL},
    {"sepolia", "Ethereum Sepolia", 1, 1, sepolia_asset, NULL, NULL},
    {"bsc", "BNB Smart Chain", 1, 1, bsc_asset, NULL, NULL},
    {"polygon", "Polygon PoS", 1, 1, polygon_asset, NULL, NULL},
    {"arbitrum", "Arbitrum One", 1, 1, arbitrum_asset, NULL, NULL},
    {"optimism", "OP Mainnet", 1, 1, optimism_asset, NULL, NULL},
    {"base", "Base", 1, 1, base_asset, NULL, NULL},
    {"avalanche", "Avalanche C-Chain", 1, 1, avalanche_asset, NULL, NULL},
    {"devnet", "local development node", 1, 1, devnet_asset, NULL, NULL},
};
#define NCHAINS (sizeof CHAINS / sizeof CHAINS[0])

const struct cs_chain *cs_chain_find(const char *name)
{
    for (size_t i = 0; name && i < NCHAINS; i++)
        if (!strcmp(CHAINS[i].name, name)) return &CHAINS[i];
    return NULL;
}

const struct cs_chain *cs_chain_default(void)
{
    return &CHAINS[0];
}

size_t cs_chain_count(void)
{
    return NCHAINS;
}

const struct cs_chain *cs_chain_at(size_t i)
{
    return i < NCHAINS ? &CHAINS[i] : NULL;
}

const char *cs_chain_names(void)
{
    return "btc, eth, sepolia, bsc, polygon, arbitrum, optimism, base, avalanche, devnet";
}

int cs_chain_storable(const char *name, const struct cs_chain **out)
{
    const struct cs_chain *c = cs_chain_find(name);
    if (!c)
        return cs_error(CS_EUSAGE, "unknown chain '%s' (known: %s)", name ? name : "",
                        cs_chain_names());
    if (!c->stored)
        return cs_error(CS_ENOTFOUND, "chain %s: not stored by this build yet", c->name);
    *out = c;
    return 0;
}
