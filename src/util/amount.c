/* amount.c — asset descriptors, the amount formatter and the user-amount parser.
 *
 * Formatting places a decimal point in the exact decimal expansion of the
 * base-unit count; parsing builds integer * 10^decimals + fraction * 10^(decimals
 * - digits) in u256 with every step overflow-checked.  No floating point. */
#include <stdio.h>
#include <string.h>

#include "util/amount.h"

static const struct cs_asset native_assets[] = {
    {.chain = "btc", .native = 1, .symbol = "BTC", .base_unit = "sat", .decimals = 8},
    {.chain = "eth", .native = 1, .symbol = "ETH", .base_unit = "wei", .decimals = 18},
    /* the other EVM chains of evm/evm.h */
    {.chain = "sepolia", .native = 1, .symbol = "ETH", .base_unit = "wei", .decimals = 18},
    {.chain = "bsc", .native = 1, .symbol = "BNB", .base_unit = "wei", .decimals = 18},
    {.chain = "polygon", .native = 1, .symbol = "POL", .base_unit = "wei", .decimals = 18},
    {.chain = "arbitrum", .native = 1, .symbol = "ETH", .base_unit = "wei", .decimals = 18},
    {.chain = "optimism", .native = 1, .symbol = "ETH", .base_unit = "wei", .decimals = 18},
    {.chain = "base", .native = 1, .symbol = "ETH", .base_unit = "wei", .decimals = 18},
    {.chain = "avalanche", .native = 1, .symbol = "AVAX", .base_unit = "wei", .decimals = 18},
    {.chain = "devnet", .native = 1, .symbol = "ETH", .base_unit = "wei", .decimals = 18},
};

const struct cs_asset *cs_asset_native(const char *chain)
{
    for (size_t i = 0; i < sizeof native_assets / sizeof native_assets[0]; i++)
        if (strcmp(native_assets[i].chain, chain) == 0) return &native_assets[i];
    return NULL;
}

static int is_chain_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static int is_name_char(char c)
{
    return c > ' ' && c < 0x7f;
}

/* Copies a name of 1..cap-1 bytes that all pass ok(); 0 or CS_EFORMAT. */
static int copy_name(char *dst, size_t cap, const char *src, int (*ok)(char), const char *what)
{
    size_t n = strlen(src);
    if (n == 0 || n >= cap)
        return cs_error(CS_EFORMAT, "asset %s must be 1 to %zu bytes, not %zu", what, cap - 1, n);
    for (size_t i = 0; i < n; i++)
        if (!ok(src[i]))
            return cs_error(CS_EFORMAT, "asset %s: byte %zu (0x%02x) is not allowed", what, i,
                            (unsigned char)src[i]);
    memcpy(dst, src, n + 1);
    return 0;
}

int cs_asset_token(struct cs_asset *out, const char *chain, const uint8_t contract[20],
                   const char *symbol, const char *base_unit, unsigned decimals)
{
    struct cs_asset a;
    memset(&a, 0, sizeof a);
    if (decimals > CS_ASSET_DECIMALS_MAX)
        return cs_error(CS_ERANGE,
                        "asset %s: %u decimals, more than the %d a 256-bit amount allows", symbol,
                        decimals, CS_ASSET_DECIMALS_MAX);
    int rc = copy_name(a.chain, sizeof a.chain, chain, is_chain_char, "chain name");
    if (!rc) rc = copy_name(a.symbol, sizeof a.symbol, symbol, is_name_char, "symbol");
    if (!rc && base_unit && base_unit[0])
        rc = copy_name(a.base_unit, sizeof a.base_unit, base_unit, is_name_char, "base unit");
    if (rc) return rc;
    a.native = 0;
    memcpy(a.contract, contract, 20);
    a.decimals = decimals;
    *out = a;
    return 0;
}

static size_t append(char *out, size_t n, const char *s)
{
    size_t k = strlen(s);
    memcpy(out + n, s, k);
    return n + k;
}

size_t cs_amount_format(char out[CS_AMOUNT_STR_MAX], const struct cs_asset *asset,
                        const struct cs_u256 *amount, unsigned flags)
{
    char digits[CS_U256_DEC_MAX];
    size_t nd = cs_u256_to_dec(digits, amount), d = asset->decimals, n = 0;
    if (d == 0) {
        n = append(out, 0, digits);
    } else {
        if (nd > d) { /* integer part, then the last d digits */
            memcpy(out, digits, nd - d);
            n = nd - d;
            out[n++] = '.';
            memcpy(out + n, digits + nd - d, d);
            n += d;
        } else { /* "0." and zeros up to the digits */
            out[n++] = '0';
            out[n++] = '.';
            memset(out + n, '0', d - nd);
            n += d - nd;
            memcpy(out + n, digits, nd);
            n += nd;
        }
        if (flags & CS_AMOUNT_TRIM) {
            while (out[n - 1] == '0')
                n--;
            if (out[n - 1] == '.') n--;
        }
    }
    if (flags & CS_AMOUNT_UNIT) {
        out[n++] = ' ';
        n = append(out, n, asset->symbol);
    }
    out[n] = 0;
    return n;
}

size_t cs_amount_format_u64(char out[CS_AMOUNT_STR_MAX], const struct cs_asset *asset,
                            uint64_t amount, unsigned flags)
{
    struct cs_u256 v = cs_u256_from_u64(amount);
    return cs_amount_format(out, asset, &v, flags);
}

size_t cs_amount_format_base(char out[CS_AMOUNT_STR_MAX], const struct cs_asset *asset,
                             const struct cs_u256 *amount, unsigned flags)
{
    size_t n = cs_u256_to_dec(out, amount);
    if ((flags & CS_AMOUNT_UNIT) && asset->base_unit[0]) {
        out[n++] = ' ';
        n = append(out, n, asset->base_unit);
    }
    out[n] = 0;
    return n;
}

/* ASCII case-insensitive equality of s[0..len-1] and the NUL-terminated name. */
static int unit_is(const char *s, size_t len, const char *name)
{
    if (!name[0] || strlen(name) != len) return 0;
    for (size_t i = 0; i < len; i++) {
        char a = s[i], b = name[i];
        if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
        if (a != b) return 0;
    }
    return 1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Messages quote at most this much of the user's text. */
#define Q(t) (int)(strlen(t) < 60 ? strlen(t) : 60), (t), (strlen(t) > 60 ? "..." : "")

static int units_hint(const struct cs_asset *a, char *buf, size_t cap)
{
    if (a->base_unit[0]) return snprintf(buf, cap, "%s (or %s)", a->symbol, a->base_unit);
    return snprintf(buf, cap, "%s", a->symbol);
}

int cs_amount_parse(struct cs_u256 *out, const struct cs_asset *asset, const char *text)
{
    const char *p = text;
    char hint[64];
    units_hint(asset, hint, sizeof hint);
    if (!*p)
        return cs_error(CS_EUSAGE, "empty amount: expected a number such as 0.5 or 0.5%s",
                        asset->symbol);
    if (*p == '-') return cs_error(CS_EUSAGE, "'%.*s%s': amounts cannot be negative", Q(text));
    if (*p == '+') return cs_error(CS_EUSAGE, "'%.*s%s': write the amount without a sign", Q(text));
    if (*p == '.')
        return cs_error(CS_EUSAGE, "'%.*s%s': write a digit before the point (0.5, not .5)",
                        Q(text));
    if (!is_digit(*p))
        return cs_error(CS_EUSAGE, "'%.*s%s': expected a number such as 0.5 or 0.5%s", Q(text),
                        asset->symbol);
    const char *int_start = p;
    while (is_digit(*p))
        p++;
    const char *int_end = p, *frac_start = p, *frac_end = p;
    if (*p == '.') {
        frac_start = ++p;
        while (is_digit(*p))
            p++;
        frac_end = p;
        if (frac_end == frac_start)
            return cs_error(CS_EUSAGE, "'%.*s%s': expected digits after the point", Q(text));
    }
    if ((*p == 'e' || *p == 'E') && (is_digit(p[1]) || p[1] == '-' || p[1] == '+'))
        return cs_error(CS_EUSAGE,
                        "'%.*s%s': exponent notation is not accepted; write the digits out",
                        Q(text));
    if (*p == ',' || *p == '_' || *p == '\'' || (*p == '.' && frac_end != int_end))
        return cs_error(CS_EUSAGE,
                        "'%.*s%s': digit group separators are not accepted; write 1000000, "
                        "not 1,000,000",
                        Q(text));
    while (*p == ' ')
        p++;
    const char *unit = p;
    size_t unit_len = strlen(unit);
    size_t nfrac = (size_t)(frac_end - frac_start);
    int base = 0;
    if (unit_len == 0 || unit_is(unit, unit_len, asset->symbol)) {
        base = 0;
    } else if (unit_is(unit, unit_len, asset->base_unit)) {
        base = 1;
    } else {
        return cs_error(CS_EUSAGE, "'%.*s%s': unit '%.*s' is not one of %s's units: use %s",
                        Q(text), (int)(unit_len < 20 ? unit_len : 20), unit, asset->chain, hint);
    }
    unsigned scale = 0;
    if (base) {
        if (nfrac)
            return cs_error(CS_EUSAGE,
                            "'%.*s%s': %s is the smallest unit of %s; it has no fraction", Q(text),
                            asset->base_unit, asset->symbol);
    } else {
        if (nfrac > asset->decimals)
            return cs_error(CS_EUSAGE,
                            "'%.*s%s': %s has %u decimals, and %zu fractional digits were given",
                            Q(text), asset->symbol, asset->decimals, nfrac);
        scale = asset->decimals;
    }
    /* value = integer * 10^scale + fraction * 10^(scale - nfrac) */
    struct cs_u256 ip, fp = {{0}}, p10, v;
    int rc = cs_u256_from_dec(&ip, int_start, (size_t)(int_end - int_start));
    if (rc == 0 && nfrac) rc = cs_u256_from_dec(&fp, frac_start, nfrac);
    if (rc == 0 && cs_u256_pow10(&p10, scale)) BUG("decimals %u above the cap", scale);
    if (rc == 0) rc = cs_u256_mul(&v, &ip, &p10);
    if (rc == 0 && nfrac) {
        if (cs_u256_pow10(&p10, scale - (unsigned)nfrac)) BUG("fraction scale");
        if (cs_u256_mul(&fp, &fp, &p10)) BUG("fraction below 10^decimals overflowed");
        rc = cs_u256_add(&v, &v, &fp);
    }
    if (rc != 0)
        return cs_error(CS_ERANGE, "'%.*s%s': more than 2^256-1 %s", Q(text),
                        asset->base_unit[0] ? asset->base_unit : "base units");
    *out = v;
    return 0;
}

int cs_amount_parse_u64(uint64_t *out, const struct cs_asset *asset, const char *text)
{
    struct cs_u256 v;
    int rc = cs_amount_parse(&v, asset, text);
    if (rc) return rc;
    if (cs_u256_to_u64(out, &v))
        return cs_error(CS_ERANGE, "'%.*s%s': more than 2^64-1 %s", Q(text),
                        asset->base_unit[0] ? asset->base_unit : "base units");
    return 0;
}
