/* evm.c — the EVM chain table, EIP-55 addresses and transfer kind names. */
#include <string.h>

#include "evm/evm.h"
#include "util/keccak.h"

static const struct cs_evm_chain CHAINS[] = {
    {"eth", "Ethereum mainnet", 1, "ETH", "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"},
    {"sepolia", "Ethereum Sepolia", 11155111, "ETH", "0xfff9976782d46cc05630d1f6ebab18b2324d6b14"},
    {"bsc", "BNB Smart Chain", 56, "BNB", "0xbb4cdb9cbd36b01bd1cbaebf2de08d9173bc095c"},
    {"polygon", "Polygon PoS", 137, "POL", "0x0d500b1d8e8ef31e21c99d1db9a6444d3adf1270"},
    {"arbitrum", "Arbitrum One", 42161, "ETH", "0x82af49447d8a07e3bd95bd0d56f35241523fbab1"},
    {"optimism", "OP Mainnet", 10, "ETH", "0x4200000000000000000000000000000000000006"},
    {"base", "Base", 8453, "ETH", "0x4200000000000000000000000000000000000006"},
    {"avalanche", "Avalanche C-Chain", 43114, "AVAX", "0xb31f66aa3c1e785363f0875a1b74e27b85fd66c7"},
    /* a local development node (anvil's and hardhat's default chain id); no wrapper */
    {"devnet", "local development node", 31337, "ETH", NULL},
};

const struct cs_evm_chain *cs_evm_chain_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof CHAINS / sizeof *CHAINS; i++)
        if (!strcmp(CHAINS[i].name, name)) return &CHAINS[i];
    return NULL;
}

size_t cs_evm_chain_count(void)
{
    return sizeof CHAINS / sizeof *CHAINS;
}

const struct cs_evm_chain *cs_evm_chain_at(size_t i)
{
    return i < cs_evm_chain_count() ? &CHAINS[i] : NULL;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void cs_evm_addr_lower(const uint8_t a[20], char out[CS_EVM_ADDR_STR])
{
    static const char HEX[] = "0123456789abcdef";
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 20; i++) {
        out[2 + 2 * i] = HEX[a[i] >> 4];
        out[3 + 2 * i] = HEX[a[i] & 15];
    }
    out[42] = 0;
}

/* EIP-55: hex letter i is upper case iff nibble i of keccak(lower hex) >= 8. */
void cs_evm_addr_format(const uint8_t a[20], char out[CS_EVM_ADDR_STR])
{
    uint8_t h[32];
    cs_evm_addr_lower(a, out);
    cs_keccak256(out + 2, 40, h);
    for (int i = 0; i < 40; i++) {
        int nib = (h[i / 2] >> (i % 2 ? 0 : 4)) & 15;
        if (out[2 + i] >= 'a' && nib >= 8) out[2 + i] = (char)(out[2 + i] - 'a' + 'A');
    }
}

int cs_evm_addr_parse(const char *s, uint8_t out[20])
{
    size_t n = strlen(s);
    if (n != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return cs_error(CS_EFORMAT, "'%.60s': not an EVM address (0x and 40 hex digits)", s);
    int lo = 0, up = 0;
    uint8_t a[20];
    for (int i = 0; i < 40; i++) {
        int ch = (unsigned char)s[2 + i], v = hexval(ch);
        if (v < 0)
            return cs_error(CS_EFORMAT, "'%s': '%c' at position %d is not a hex digit", s, ch,
                            i + 3);
        lo |= ch >= 'a' && ch <= 'f';
        up |= ch >= 'A' && ch <= 'F';
        if (i % 2)
            a[i / 2] = (uint8_t)(a[i / 2] | v);
        else
            a[i / 2] = (uint8_t)(v << 4);
    }
    if (lo && up) {
        char want[CS_EVM_ADDR_STR];
        cs_evm_addr_format(a, want);
        for (int i = 2; i < 42; i++)
            if (want[i] != s[i])
                return cs_error(CS_EFORMAT, "'%s': EIP-55 checksum mismatch at hex digit %d", s,
                                i - 1);
    }
    memcpy(out, a, 20);
    return 0;
}

static const char *const KINDS[CS_XK_COUNT] = {
    [CS_XK_NATIVE] = "native",
    [CS_XK_INTERNAL] = "internal",
    [CS_XK_SELFDESTRUCT] = "selfdestruct",
    [CS_XK_FEE_TIP] = "fee-tip",
    [CS_XK_FEE_BURN] = "fee-burn",
    [CS_XK_REWARD] = "reward",
    [CS_XK_WITHDRAWAL] = "withdrawal",
    [CS_XK_ERC20] = "erc20",
    [CS_XK_ERC721] = "erc721",
    [CS_XK_ERC1155] = "erc1155",
    [CS_XK_WETH_DEPOSIT] = "weth-deposit",
    [CS_XK_WETH_WITHDRAWAL] = "weth-withdrawal",
};

const char *cs_evm_kind_name(int kind)
{
    return kind > 0 && kind < CS_XK_COUNT ? KINDS[kind] : "?";
}

int cs_evm_kind_is_native(int kind)
{
    return kind >= CS_XK_NATIVE && kind <= CS_XK_WITHDRAWAL;
}

/* ---- token marks ---- */

static int ascii_upper_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'a' && *a <= 'z' ? (char)(*a - 32) : *a;
        if (x != *b) return 0;
    }
    return !*a && !*b;
}

uint8_t cs_evm_token_marks(const struct cs_evm_chain *chain, const uint8_t contract[20],
                           const char *symbol, const char *name)
{
    /* canonical contracts on Ethereum mainnet */
    static const struct {
        const char *symbol, *contract;
    } MAJOR[] = {
        {"USDT", "0xdac17f958d2ee523a2206206994597c13d831ec7"},
        {"USDC", "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"},
        {"DAI", "0x6b175474e89094c44da98b954eedeac495271d0f"},
        {"WETH", "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"},
        {"WBTC", "0x2260fac5e5542a773aa44fbcfedf7c193bc2c599"},
    };
    uint8_t m = 0;
    for (const char *p = symbol; *p; p++)
        if ((unsigned char)*p >= 0x80) m |= CS_TOK_NONASCII;
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p >= 0x80) m |= CS_TOK_NONASCII;
    if (ascii_upper_eq(symbol, chain->symbol)) m |= CS_TOK_IMITATES;
    if (!strcmp(chain->name, "eth"))
        for (size_t i = 0; i < sizeof MAJOR / sizeof MAJOR[0]; i++) {
            uint8_t c[20];
            if (ascii_upper_eq(symbol, MAJOR[i].symbol) &&
                !cs_evm_addr_parse(MAJOR[i].contract, c) && memcmp(c, contract, 20))
                m |= CS_TOK_IMITATES;
        }
    return m;
}
