/* addr.c — chain codes and address validation/normalisation for tags.
 *
 * Bitcoin-family Base58Check with a one-byte version and Bech32/Bech32m go
 * through util/codec.h.  A Base58 decoder of our own is still needed: to
 * tell a bad checksum from a bad character (codec.h reports both as
 * CS_EFORMAT), and for the forms codec.h does not cover: Ripple's alphabet,
 * Zcash's two-byte versions and Monero's 8-byte-block Base58.  CashAddr's
 * 40-bit BCH checksum is implemented here too (codec.h has segwit Bech32 only). */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tags/tags.h"
#include "tags/tags_int.h"
#include "util/codec.h"
#include "util/hash.h"
#include "util/keccak.h"

enum family { F_B58, F_EVM, F_BCH, F_ZEC, F_XRP, F_XMR };

struct chain {
    const char *code;
    int family;
    uint8_t ver[6]; /* accepted Base58Check version bytes */
    int nver;
    const char *hrp[3]; /* accepted Bech32 prefixes */
};

static const struct chain chains[] = {
    {"btc", F_B58, {0x00, 0x05, 0x6f, 0xc4}, 4, {"bc", "tb", "bcrt"}},
    {"ltc", F_B58, {0x30, 0x32, 0x05, 0x6f, 0x3a, 0xc4}, 6, {"ltc", "tltc", NULL}},
    {"bch", F_BCH, {0x00, 0x05}, 2, {NULL, NULL, NULL}},
    {"bsv", F_B58, {0x00, 0x05}, 2, {NULL, NULL, NULL}},
    {"btg", F_B58, {38, 23}, 2, {NULL, NULL, NULL}},
    {"dash", F_B58, {76, 16}, 2, {NULL, NULL, NULL}},
    {"doge", F_B58, {30, 22}, 2, {NULL, NULL, NULL}},
    {"xvg", F_B58, {30, 33}, 2, {NULL, NULL, NULL}},
    {"trx", F_B58, {0x41}, 1, {NULL, NULL, NULL}},
    {"zec", F_ZEC, {0}, 0, {NULL, NULL, NULL}},
    {"xrp", F_XRP, {0x00}, 1, {NULL, NULL, NULL}},
    {"xmr", F_XMR, {0}, 0, {NULL, NULL, NULL}},
    {"eth", F_EVM, {0}, 0, {NULL, NULL, NULL}},
    {"etc", F_EVM, {0}, 0, {NULL, NULL, NULL}},
    {"bsc", F_EVM, {0}, 0, {NULL, NULL, NULL}},
    {"arbitrum", F_EVM, {0}, 0, {NULL, NULL, NULL}},
    {"polygon", F_EVM, {0}, 0, {NULL, NULL, NULL}},
    {"avalanche", F_EVM, {0}, 0, {NULL, NULL, NULL}},
    {"ftm", F_EVM, {0}, 0, {NULL, NULL, NULL}},
    {"optimism", F_EVM, {0}, 0, {NULL, NULL, NULL}},
    {"base", F_EVM, {0}, 0, {NULL, NULL, NULL}},
    {"sepolia", F_EVM, {0}, 0, {NULL, NULL, NULL}},
    {"devnet", F_EVM, {0}, 0, {NULL, NULL, NULL}},
};
#define NCHAINS (sizeof chains / sizeof chains[0])

static const struct chain *chain_get(const char *code)
{
    if (!code) return NULL;
    for (size_t i = 0; i < NCHAINS; i++)
        if (!strcmp(chains[i].code, code)) return &chains[i];
    return NULL;
}

int cs_tag_chain_known(const char *chain)
{
    return chain_get(chain) != NULL;
}

int cs_tag_chain_is_evm(const char *chain)
{
    const struct chain *c = chain_get(chain);
    return c && c->family == F_EVM;
}

/* Currency/asset names that denote a chain.  Our own codes match too
 * (compared case-insensitively). */
static const struct {
    const char *name, *chain;
} names[] = {
    {"XBT", "btc"},           {"BTC", "btc"},
    {"BITCOIN", "btc"},       {"ETH", "eth"},
    {"ETHEREUM", "eth"},      {"ETC", "etc"},
    {"BSC", "bsc"},           {"BEP20", "bsc"},
    {"LTC", "ltc"},           {"BCH", "bch"},
    {"BSV", "bsv"},           {"BTG", "btg"},
    {"DASH", "dash"},         {"DOGE", "doge"},
    {"XVG", "xvg"},           {"ZEC", "zec"},
    {"TRX", "trx"},           {"TRON", "trx"},
    {"XRP", "xrp"},           {"RIPPLE", "xrp"},
    {"XMR", "xmr"},           {"MONERO", "xmr"},
    {"ARB", "arbitrum"},      {"ARBITRUM", "arbitrum"},
    {"MATIC", "polygon"},     {"POLYGON", "polygon"},
    {"AVAX", "avalanche"},    {"AVALANCHE", "avalanche"},
    {"FTM", "ftm"},           {"OP", "optimism"},
    {"OPTIMISM", "optimism"}, {"BASE", "base"},
};

/* Tickers of tokens that live on several chains: the address decides. */
static const char *const tokens[] = {"USDT", "USDC", "BUSD", "DAI", "TUSD",
                                     "USDP", "PAX",  "WBTC", "OMNI"};

static int is_hex_digit(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Chain from the address's shape alone: only where the shape is unambiguous
 * enough to be useful (0x + 40 hex: Ethereum; T + 33 Base58: Tron; Bitcoin
 * Base58/Bech32 prefixes). */
static const char *chain_by_shape(const char *a)
{
    if (!a) return NULL;
    while (*a == ' ' || *a == '\t')
        a++;
    size_t n = strlen(a);
    while (n && (a[n - 1] == ' ' || a[n - 1] == '\t' || a[n - 1] == '\r'))
        n--;
    if (n == 42 && a[0] == '0' && a[1] == 'x') {
        for (size_t i = 2; i < 42; i++)
            if (!is_hex_digit((unsigned char)a[i])) return NULL;
        return "eth";
    }
    if (n == 34 && a[0] == 'T') return "trx";
    if ((n >= 26 && n <= 35 && (a[0] == '1' || a[0] == '3')) ||
        (n >= 14 && (!strncasecmp(a, "bc1", 3) || !strncasecmp(a, "tb1", 3))))
        return "btc";
    return NULL;
}

const char *cs_tag_chain_from_name(const char *name, const char *addr)
{
    if (!name || !*name) return chain_by_shape(addr);
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++)
        if (!strcasecmp(name, tokens[i])) return chain_by_shape(addr);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcasecmp(name, names[i].name)) return names[i].chain;
    for (size_t i = 0; i < NCHAINS; i++)
        if (!strcasecmp(name, chains[i].code)) return chains[i].code;
    if (!strcasecmp(name, "BNB")) { /* BNB Smart Chain if 0x, else Beacon Chain (unsupported) */
        const char *c = chain_by_shape(addr);
        return c && !strcmp(c, "eth") ? "bsc" : NULL;
    }
    return NULL;
}

/* ---- reasons ---- */

const char *cs_tag_reject_name(int reason)
{
    switch (reason) {
    case CS_TAG_OK:
        return "ok";
    case CS_TAG_BAD_CHECKSUM:
        return "bad checksum";
    case CS_TAG_UNKNOWN_CHAIN:
        return "unknown chain";
    case CS_TAG_BAD_ADDRESS:
        return "bad address";
    case CS_TAG_MISSING_FIELD:
        return "missing field";
    case CS_TAG_BAD_CATEGORY:
        return "unknown category";
    case CS_TAG_BAD_CONFIDENCE:
        return "bad confidence";
    case CS_TAG_BAD_ENTRY:
        return "bad entry";
    case CS_TAG_BAD_TEXT:
        return "bad text";
    }
    return "?";
}

static int why_set(char *why, size_t cap, int reason, const char *fmt, ...) CS_PRINTF(4, 5);
static int why_set(char *why, size_t cap, int reason, const char *fmt, ...)
{
    if (why && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return reason;
}

/* ---- Base58 ---- */

static const char B58_BTC[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char B58_XRP[] = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz";

/* Decodes Base58 text s (n chars) with alphabet into out (big-endian,
 * leading zero digits become zero bytes).  Returns the byte length, -1 on a
 * character outside the alphabet (*bad = index), -2 if longer than cap. */
static int b58_decode(const char *s, size_t n, const char *alphabet, uint8_t *out, size_t cap,
                      size_t *bad)
{
    uint8_t tmp[128]; /* little-endian accumulator */
    size_t nb = 0, zeros = 0;
    while (zeros < n && s[zeros] == alphabet[0])
        zeros++;
    for (size_t i = zeros; i < n; i++) {
        const char *p = memchr(alphabet, s[i], 58);
        if (!p || !s[i]) {
            *bad = i;
            return -1;
        }
        unsigned carry = (unsigned)(p - alphabet);
        for (size_t j = 0; j < nb; j++) {
            carry += (unsigned)tmp[j] * 58;
            tmp[j] = (uint8_t)carry;
            carry >>= 8;
        }
        while (carry) {
            if (nb >= sizeof tmp) return -2;
            tmp[nb++] = (uint8_t)carry;
            carry >>= 8;
        }
    }
    if (zeros + nb > cap) return -2;
    memset(out, 0, zeros);
    for (size_t i = 0; i < nb; i++)
        out[zeros + i] = tmp[nb - 1 - i];
    return (int)(zeros + nb);
}

/* Base58Check with an arbitrary alphabet and version length: raw decode,
 * length check, sha256d checksum.  On success copies the version bytes. */
static int b58check(const char *a, size_t n, const char *alphabet, size_t verlen, uint8_t *ver,
                    char *why, size_t whycap)
{
    uint8_t raw[64];
    size_t bad = 0;
    int len = b58_decode(a, n, alphabet, raw, sizeof raw, &bad);
    if (len == -1)
        return why_set(why, whycap, CS_TAG_BAD_ADDRESS,
                       "'%c' at position %zu is not a Base58 digit", a[bad], bad + 1);
    if (len < 0 || (size_t)len != verlen + 20 + 4)
        return why_set(why, whycap, CS_TAG_BAD_ADDRESS,
                       "decodes to %d bytes, a %zu-byte version + 20-byte hash + checksum is %zu",
                       len < 0 ? 64 : len, verlen, verlen + 24);
    uint8_t h[32];
    cs_sha256d(raw, (size_t)len - 4, h);
    if (memcmp(h, raw + len - 4, 4))
        return why_set(why, whycap, CS_TAG_BAD_CHECKSUM, "Base58Check checksum mismatch");
    memcpy(ver, raw, verlen);
    return CS_TAG_OK;
}

/* ---- Bech32 (through codec.h) ---- */

static const char B32[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/* addr failed cs_segwit_decode: find out whether only the checksum is wrong
 * by re-encoding its data part with codec.h and comparing. */
static int bech32_why(const char *lower, size_t n, char *why, size_t whycap)
{
    const char *sep = strrchr(lower, '1');
    size_t hl = (size_t)(sep - lower), dl = n - hl - 1;
    if (n > 90) return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "longer than 90 characters");
    if (dl < 7)
        return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "Bech32 data part has %zu characters", dl);
    uint8_t d5[90];
    for (size_t i = 0; i < dl; i++) {
        const char *p = strchr(B32, sep[1 + i]);
        if (!p || !sep[1 + i])
            return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "'%c' is not a Bech32 character",
                           sep[1 + i]);
        d5[i] = (uint8_t)(p - B32);
    }
    /* regroup the program (without version and checksum) into bytes */
    uint8_t prog[64];
    size_t pl = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 1; i + 6 < dl; i++) {
        acc = acc << 5 | d5[i];
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (pl < sizeof prog) prog[pl++] = (uint8_t)(acc >> bits);
        }
    }
    char hrp[84], re[100];
    memcpy(hrp, lower, hl);
    hrp[hl] = 0;
    int rl = cs_segwit_encode(re, hrp, d5[0], prog, pl);
    if (rl < 0)
        return why_set(why, whycap, CS_TAG_BAD_ADDRESS,
                       "witness version %d with a %zu-byte program is not a segwit address", d5[0],
                       pl);
    if ((size_t)rl == n && !memcmp(re, lower, n - 6))
        return why_set(why, whycap, CS_TAG_BAD_CHECKSUM, "Bech32%s checksum mismatch",
                       d5[0] ? "m" : "");
    return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "malformed Bech32 address");
}

static int bech32_check(const struct chain *c, const char *a, size_t n, char *out, char *why,
                        size_t whycap)
{
    char lower[100];
    int lo = 0, up = 0;
    if (n >= sizeof lower) return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "too long for Bech32");
    for (size_t i = 0; i < n; i++) {
        lo |= islower((unsigned char)a[i]);
        up |= isupper((unsigned char)a[i]);
        lower[i] = (char)tolower((unsigned char)a[i]);
    }
    lower[n] = 0;
    if (lo && up) return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "mixed-case Bech32");
    char hrp[84];
    int ver;
    uint8_t prog[40];
    int pl = cs_segwit_decode(lower, NULL, hrp, &ver, prog);
    if (pl < 0) return bech32_why(lower, n, why, whycap);
    int ok = 0;
    for (int i = 0; i < 3; i++)
        ok |= c->hrp[i] && !strcmp(c->hrp[i], hrp);
    if (!ok) return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "prefix '%s' is not %s", hrp, c->code);
    memcpy(out, lower, n + 1);
    return CS_TAG_OK;
}

/* ---- CashAddr (Bitcoin Cash) ---- */

static uint64_t cashaddr_polymod(const uint8_t *v, size_t n)
{
    uint64_t c = 1;
    for (size_t i = 0; i < n; i++) {
        uint8_t c0 = (uint8_t)(c >> 35);
        c = ((c & 0x07ffffffffULL) << 5) ^ v[i];
        if (c0 & 0x01) c ^= 0x98f2bc8e61ULL;
        if (c0 & 0x02) c ^= 0x79b76d99e2ULL;
        if (c0 & 0x04) c ^= 0xf33e5fb3c4ULL;
        if (c0 & 0x08) c ^= 0xae2eabe2a8ULL;
        if (c0 & 0x10) c ^= 0x1e4f43e470ULL;
    }
    return c ^ 1;
}

static int cashaddr_check(const char *a, size_t n, char *out, char *why, size_t whycap)
{
    char s[128];
    int lo = 0, up = 0;
    if (n >= sizeof s) return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "too long for CashAddr");
    for (size_t i = 0; i < n; i++) {
        lo |= islower((unsigned char)a[i]);
        up |= isupper((unsigned char)a[i]);
        s[i] = (char)tolower((unsigned char)a[i]);
    }
    s[n] = 0;
    if (lo && up) return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "mixed-case CashAddr");
    const char *prefix = "bitcoincash", *payload = s;
    const char *colon = strchr(s, ':');
    if (colon) {
        if (strncmp(s, "bitcoincash:", 12) && strncmp(s, "bchtest:", 8))
            return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "unknown CashAddr prefix");
        prefix = s[1] == 'c' ? "bchtest" : "bitcoincash";
        payload = colon + 1;
    }
    size_t pl = strlen(payload), hl = strlen(prefix);
    if (pl != 42 && pl != 61)
        return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "CashAddr payload of %zu characters", pl);
    uint8_t v[128];
    size_t k = 0;
    for (size_t i = 0; i < hl; i++)
        v[k++] = (uint8_t)(prefix[i] & 31);
    v[k++] = 0;
    for (size_t i = 0; i < pl; i++) {
        const char *p = strchr(B32, payload[i]);
        if (!p || !payload[i])
            return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "'%c' is not a CashAddr character",
                           payload[i]);
        v[k++] = (uint8_t)(p - B32);
    }
    if (cashaddr_polymod(v, k) != 0)
        return why_set(why, whycap, CS_TAG_BAD_CHECKSUM, "CashAddr checksum mismatch");
    /* version byte: type (0 P2PKH, 1 P2SH) << 3 | size (0: 160 bits, 3: 256 bits) */
    uint8_t verbyte = (uint8_t)(v[hl + 1] << 3 | v[hl + 2] >> 2);
    int type = verbyte >> 3, size = verbyte & 7;
    if ((verbyte & 0x80) || type > 1 || !((size == 0 && pl == 42) || (size == 3 && pl == 61)))
        return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "CashAddr version byte 0x%02x", verbyte);
    /* canonical: lower case, without the mainnet prefix */
    if (!strcmp(prefix, "bitcoincash"))
        memcpy(out, payload, pl + 1);
    else { /* pl <= 61, checked above */
        memcpy(out, "bchtest:", 8);
        memcpy(out + 8, payload, pl + 1);
    }
    return CS_TAG_OK;
}

/* ---- Monero ---- */

static int xmr_check(const char *a, size_t n, char *why, size_t whycap)
{
    static const int enc_size[9] = {0, 2, 3, 5, 6, 7, 9, 10, 11}; /* chars for 0..8 bytes */
    uint8_t data[80];
    size_t dl = 0;
    if (n != 95 && n != 106)
        return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "%zu characters, Monero uses 95 or 106", n);
    for (size_t off = 0; off < n; off += 11) {
        size_t bl = n - off < 11 ? n - off : 11, bytes = 0;
        while (bytes <= 8 && enc_size[bytes] != (int)bl)
            bytes++;
        if (bytes > 8)
            return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "bad Monero Base58 block length");
        uint64_t num = 0;
        for (size_t i = 0; i < bl; i++) {
            const char *p = memchr(B58_BTC, a[off + i], 58);
            if (!p || !a[off + i])
                return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "'%c' is not a Base58 digit",
                               a[off + i]);
            uint64_t d = (uint64_t)(p - B58_BTC);
            if (num > (UINT64_MAX - d) / 58)
                return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "Monero Base58 block overflows");
            num = num * 58 + d;
        }
        if (bytes < 8 && (num >> (8 * bytes)))
            return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "Monero Base58 block overflows");
        for (size_t i = 0; i < bytes; i++)
            data[dl + i] = (uint8_t)(num >> (8 * (bytes - 1 - i)));
        dl += bytes;
    }
    static const uint8_t nets[] = {18, 19, 42, 53, 54, 63, 24, 25, 36};
    if (!memchr(nets, data[0], sizeof nets))
        return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "Monero network byte %u", data[0]);
    int integrated = data[0] == 19 || data[0] == 54 || data[0] == 25;
    if (dl != (integrated ? 77u : 69u))
        return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "Monero address of %zu bytes", dl);
    uint8_t h[32];
    cs_keccak256(data, dl - 4, h);
    if (memcmp(h, data + dl - 4, 4))
        return why_set(why, whycap, CS_TAG_BAD_CHECKSUM, "Monero Keccak checksum mismatch");
    return CS_TAG_OK;
}

/* ---- EVM ---- */

static int evm_check(const char *a, size_t n, char *out, char *why, size_t whycap)
{
    if (n != 42 || a[0] != '0' || a[1] != 'x')
        return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "not 0x followed by 40 hex digits");
    int lo = 0, up = 0;
    char lower[41];
    for (size_t i = 0; i < 40; i++) {
        int ch = (unsigned char)a[2 + i];
        if (!is_hex_digit(ch))
            return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "'%c' is not a hex digit", ch);
        lo |= ch >= 'a' && ch <= 'f';
        up |= ch >= 'A' && ch <= 'F';
        lower[i] = (char)tolower(ch);
    }
    lower[40] = 0;
    if (lo && up) { /* EIP-55: letter i upper-case iff nibble i of keccak(lower hex) >= 8 */
        uint8_t h[32];
        cs_keccak256(lower, 40, h);
        for (int i = 0; i < 40; i++) {
            int ch = (unsigned char)a[2 + i];
            if (ch <= '9') continue;
            int nib = (h[i / 2] >> (i % 2 ? 0 : 4)) & 15;
            if ((nib >= 8) != (ch <= 'F'))
                return why_set(why, whycap, CS_TAG_BAD_CHECKSUM,
                               "EIP-55 checksum mismatch at hex digit %d", i + 1);
        }
    }
    out[0] = '0';
    out[1] = 'x';
    memcpy(out + 2, lower, 41);
    return CS_TAG_OK;
}

/* ---- entry point ---- */

int cs_tag_normalize_address(const char *chain, const char *addr, char *out, size_t cap, char *why,
                             size_t whycap)
{
    if (why && whycap) why[0] = 0;
    if (cap < CS_TAG_ADDR_MAX) BUG("address buffer of %zu bytes", cap);
    out[0] = 0;
    const struct chain *c = chain_get(chain);
    if (!c)
        return why_set(why, whycap, CS_TAG_UNKNOWN_CHAIN, "chain '%s' is not supported",
                       chain ? chain : "(none)");
    if (!addr) return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "empty address");
    while (*addr == ' ' || *addr == '\t')
        addr++;
    size_t n = strlen(addr);
    while (n && (addr[n - 1] == ' ' || addr[n - 1] == '\t' || addr[n - 1] == '\r' ||
                 addr[n - 1] == '\n'))
        n--;
    if (n == 0) return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "empty address");
    if (n >= CS_TAG_ADDR_MAX)
        return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "%zu characters is too long", n);
    char a[CS_TAG_ADDR_MAX];
    memcpy(a, addr, n);
    a[n] = 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)a[i] <= ' ' || (unsigned char)a[i] >= 0x7f)
            return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "byte 0x%02x at position %zu",
                           (unsigned char)a[i], i + 1);

    int rc;
    uint8_t ver[2];
    switch (c->family) {
    case F_EVM:
        return evm_check(a, n, out, why, whycap);
    case F_BCH:
        if (strchr(a, ':') || a[0] == 'q' || a[0] == 'p' || a[0] == 'Q' || a[0] == 'P')
            return cashaddr_check(a, n, out, why, whycap);
        break; /* legacy Base58 below */
    case F_XMR:
        if ((rc = xmr_check(a, n, why, whycap))) return rc;
        memcpy(out, a, n + 1);
        return CS_TAG_OK;
    case F_XRP:
        if ((rc = b58check(a, n, B58_XRP, 1, ver, why, whycap))) return rc;
        if (ver[0] != 0)
            return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "XRP version byte 0x%02x", ver[0]);
        memcpy(out, a, n + 1);
        return CS_TAG_OK;
    case F_ZEC:
        if (n >= 2 && (a[0] == 'z' || a[0] == 'Z'))
            return why_set(why, whycap, CS_TAG_UNKNOWN_CHAIN,
                           "shielded Zcash addresses are not supported");
        if ((rc = b58check(a, n, B58_BTC, 2, ver, why, whycap))) return rc;
        /* t1 (P2PKH) 1cb8, t3 (P2SH) 1cbd; testnet tm 1d25, t2 1cba */
        unsigned zv = (unsigned)ver[0] << 8 | ver[1];
        if (zv != 0x1cb8 && zv != 0x1cbd && zv != 0x1d25 && zv != 0x1cba)
            return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "Zcash version bytes %02x%02x", ver[0],
                           ver[1]);
        memcpy(out, a, n + 1);
        return CS_TAG_OK;
    default:
        break;
    }

    /* Bitcoin family: Bech32 when the text starts with one of the chain's prefixes + '1' */
    for (int i = 0; i < 3 && c->hrp[i]; i++) {
        size_t hl = strlen(c->hrp[i]);
        if (n > hl + 1 && !strncasecmp(a, c->hrp[i], hl) && a[hl] == '1')
            return bech32_check(c, a, n, out, why, whycap);
    }
    uint8_t payload[64], v = 0;
    int pl = cs_base58check_decode(a, &v, payload, sizeof payload);
    if (pl < 0) { /* say why: bad digit, length or checksum */
        rc = b58check(a, n, B58_BTC, 1, ver, why, whycap);
        return rc ? rc : why_set(why, whycap, CS_TAG_BAD_ADDRESS, "invalid Base58Check");
    }
    if (pl != 20)
        return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "payload of %d bytes, expected 20", pl);
    if (!memchr(c->ver, v, (size_t)c->nver))
        return why_set(why, whycap, CS_TAG_BAD_ADDRESS, "version byte 0x%02x is not a %s address",
                       v, c->code);
    memcpy(out, a, n + 1);
    return CS_TAG_OK;
}

int tag_addr_caseless(const char *chain, const char *canonical)
{
    const struct chain *c = chain_get(chain);
    if (!c) return 0;
    if (c->family == F_EVM) return 1;
    if (c->family == F_BCH)
        return canonical[0] == 'q' || canonical[0] == 'p' || canonical[0] == 'b';
    for (int i = 0; i < 3 && c->hrp[i]; i++) {
        size_t hl = strlen(c->hrp[i]);
        if (!strncmp(canonical, c->hrp[i], hl) && canonical[hl] == '1') return 1;
    }
    return 0;
}

void tag_copy_cut(char *out, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--; /* s[n] starts a char */
    }
    memcpy(out, s, n);
    out[n] = 0;
}

int tag_chain_name_ok(const char *name)
{
    if (!name || !*name) return 0;
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++)
        if (!strcasecmp(name, tokens[i])) return 1;
    return cs_tag_chain_from_name(name, "0x0000000000000000000000000000000000000000") != NULL;
}
