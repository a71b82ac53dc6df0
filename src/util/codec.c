/* codec.c — hex, CompactSize, Base58Check, Bech32/Bech32m. */
#include <ctype.h>
#include <string.h>

#include "util/codec.h"
#include "util/hash.h"

void cs_hex(char *out, const uint8_t *in, size_t len)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
    out[2 * len] = 0;
}

void cs_hex_rev(char out[65], const uint8_t in[32])
{
    uint8_t r[32];
    for (int i = 0; i < 32; i++)
        r[i] = in[31 - i];
    cs_hex(out, r, 32);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int cs_unhex(uint8_t *out, size_t len, const char *hex, size_t hexlen)
{
    if (hexlen != 2 * len) return CS_EFORMAT;
    for (size_t i = 0; i < len; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return CS_EFORMAT;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int cs_unhex_rev32(uint8_t out[32], const char *hex)
{
    uint8_t t[32];
    if (strlen(hex) != 64 || cs_unhex(t, 32, hex, 64)) return CS_EFORMAT;
    for (int i = 0; i < 32; i++)
        out[i] = t[31 - i];
    return 0;
}

size_t cs_compact_put(uint8_t *out, uint64_t n)
{
    if (n < 0xfd) {
        out[0] = (uint8_t)n;
        return 1;
    }
    if (n <= 0xffff) {
        out[0] = 0xfd;
        out[1] = (uint8_t)n;
        out[2] = (uint8_t)(n >> 8);
        return 3;
    }
    if (n <= 0xffffffffu) {
        out[0] = 0xfe;
        cs_put_le32(out + 1, (uint32_t)n);
        return 5;
    }
    out[0] = 0xff;
    cs_put_le64(out + 1, n);
    return 9;
}

int cs_compact_get(const uint8_t *p, size_t avail, uint64_t *n)
{
    if (avail < 1) return 0;
    uint8_t b = p[0];
    if (b < 0xfd) {
        *n = b;
        return 1;
    }
    if (b == 0xfd) {
        if (avail < 3) return 0;
        *n = cs_le16(p + 1);
        return *n < 0xfd ? -1 : 3;
    }
    if (b == 0xfe) {
        if (avail < 5) return 0;
        *n = cs_le32(p + 1);
        return *n <= 0xffff ? -1 : 5;
    }
    if (avail < 9) return 0;
    *n = cs_le64(p + 1);
    return *n <= 0xffffffffu ? -1 : 9;
}

static const char B58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

size_t cs_base58check_encode(char *out, uint8_t ver, const uint8_t *payload, size_t len)
{
    uint8_t buf[1 + 64 + 4], chk[32];
    if (len > 64) len = 64;
    size_t n = 1 + len + 4;
    buf[0] = ver;
    memcpy(buf + 1, payload, len);
    cs_sha256d(buf, 1 + len, chk);
    memcpy(buf + 1 + len, chk, 4);
    size_t zeros = 0;
    while (zeros < n && buf[zeros] == 0)
        zeros++;
    /* The number as big-endian 32-bit words, divided by 58^5 (< 2^32) per
     * pass: five digits per pass instead of one per byte and digit. */
    uint32_t w[18];
    size_t nw = (n + 3) / 4, lead = n - 4 * (nw - 1);
    for (size_t i = 0, b = 0; i < nw; i++) {
        size_t k = i == 0 ? lead : 4;
        uint32_t v = 0;
        while (k--)
            v = v << 8 | buf[b++];
        w[i] = v;
    }
    char digits[128];
    size_t nd = 0, first = 0;
    while (first < nw && w[first] == 0)
        first++;
    while (first < nw) {
        uint64_t rem = 0;
        for (size_t i = first; i < nw; i++) {
            uint64_t cur = rem << 32 | w[i];
            w[i] = (uint32_t)(cur / 656356768u);
            rem = cur % 656356768u;
        }
        for (int d = 0; d < 5; d++) {
            digits[nd++] = B58[rem % 58];
            rem /= 58;
        }
        while (first < nw && w[first] == 0)
            first++;
    }
    while (nd && digits[nd - 1] == '1')
        nd--; /* zero digits above the top */
    size_t o = 0;
    for (size_t i = 0; i < zeros; i++)
        out[o++] = '1';
    while (nd)
        out[o++] = digits[--nd];
    out[o] = 0;
    return o;
}

int cs_base58check_decode(const char *s, uint8_t *ver, uint8_t *payload, size_t cap)
{
    size_t sl = strlen(s);
    if (sl == 0 || sl > 120) return CS_EFORMAT;
    uint8_t bytes[100];
    size_t nb = 0, zeros = 0;
    while (zeros < sl && s[zeros] == '1')
        zeros++;
    for (size_t i = zeros; i < sl; i++) {
        const char *p = strchr(B58, s[i]);
        if (!p || !s[i]) return CS_EFORMAT;
        unsigned carry = (unsigned)(p - B58);
        for (size_t j = 0; j < nb; j++) {
            carry += (unsigned)bytes[j] * 58;
            bytes[j] = (uint8_t)(carry & 0xff);
            carry >>= 8;
        }
        while (carry) {
            if (nb >= sizeof bytes) return CS_EFORMAT;
            bytes[nb++] = (uint8_t)(carry & 0xff);
            carry >>= 8;
        }
    }
    size_t total = zeros + nb;
    if (total < 5 || total > sizeof bytes) return CS_EFORMAT;
    uint8_t full[100];
    memset(full, 0, zeros);
    for (size_t i = 0; i < nb; i++)
        full[zeros + i] = bytes[nb - 1 - i];
    uint8_t chk[32];
    cs_sha256d(full, total - 4, chk);
    if (memcmp(chk, full + total - 4, 4) != 0) return CS_EFORMAT;
    size_t plen = total - 5;
    if (plen > cap) return CS_ERANGE;
    *ver = full[0];
    memcpy(payload, full + 1, plen);
    return (int)plen;
}

/* ---- Bech32 / Bech32m (BIP173, BIP350) ---- */
static const char B32[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod_step(uint32_t pre)
{
    uint8_t b = (uint8_t)(pre >> 25);
    return ((pre & 0x1ffffff) << 5) ^ (-((b >> 0) & 1) & 0x3b6a57b2UL) ^
           (-((b >> 1) & 1) & 0x26508e6dUL) ^ (-((b >> 2) & 1) & 0x1ea119faUL) ^
           (-((b >> 3) & 1) & 0x3d4233ddUL) ^ (-((b >> 4) & 1) & 0x2a1462b3UL);
}

static uint32_t hrp_polymod(const char *hrp)
{
    uint32_t chk = 1;
    size_t n = strlen(hrp);
    for (size_t i = 0; i < n; i++)
        chk = polymod_step(chk) ^ ((unsigned char)hrp[i] >> 5);
    chk = polymod_step(chk);
    for (size_t i = 0; i < n; i++)
        chk = polymod_step(chk) ^ ((unsigned char)hrp[i] & 31);
    return chk;
}

/* Regroups bits; returns number of output groups or -1. */
static int convertbits(uint8_t *out, size_t cap, const uint8_t *in, size_t inlen, int frombits,
                       int tobits, int pad)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    const uint32_t maxv = (1u << tobits) - 1;
    for (size_t i = 0; i < inlen; i++) {
        acc = (acc << frombits) | in[i];
        bits += frombits;
        while (bits >= tobits) {
            bits -= tobits;
            if (o >= cap) return -1;
            out[o++] = (uint8_t)((acc >> bits) & maxv);
        }
    }
    if (pad) {
        if (bits) {
            if (o >= cap) return -1;
            out[o++] = (uint8_t)((acc << (tobits - bits)) & maxv);
        }
    } else if (bits >= frombits || ((acc << (tobits - bits)) & maxv)) {
        return -1;
    }
    return (int)o;
}

int cs_segwit_encode(char *out, const char *hrp, int witver, const uint8_t *prog, size_t proglen)
{
    if (witver < 0 || witver > 16 || proglen < 2 || proglen > 40) return CS_EFORMAT;
    if (witver == 0 && proglen != 20 && proglen != 32) return CS_EFORMAT;
    uint8_t data[1 + 64];
    data[0] = (uint8_t)witver;
    int nd = convertbits(data + 1, sizeof data - 1, prog, proglen, 8, 5, 1);
    if (nd < 0) return CS_EFORMAT;
    size_t dl = (size_t)nd + 1, hl = strlen(hrp);
    if (hl + 1 + dl + 6 > 90) return CS_EFORMAT;
    uint32_t chk = hrp_polymod(hrp);
    size_t o = 0;
    memcpy(out, hrp, hl);
    o = hl;
    out[o++] = '1';
    for (size_t i = 0; i < dl; i++) {
        chk = polymod_step(chk) ^ data[i];
        out[o++] = B32[data[i]];
    }
    for (int i = 0; i < 6; i++)
        chk = polymod_step(chk);
    chk ^= witver == 0 ? 1 : 0x2bc830a3UL;
    for (int i = 0; i < 6; i++)
        out[o++] = B32[(chk >> ((5 - i) * 5)) & 31];
    out[o] = 0;
    return (int)o;
}

int cs_segwit_decode(const char *addr, const char *hrp, char *hrp_out, int *witver,
                     uint8_t prog[40])
{
    size_t len = strlen(addr);
    if (len < 8 || len > 90) return CS_EFORMAT;
    int lower = 0, upper = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)addr[i];
        if (c < 33 || c > 126) return CS_EFORMAT;
        if (c >= 'a' && c <= 'z') lower = 1;
        if (c >= 'A' && c <= 'Z') upper = 1;
    }
    if (lower && upper) return CS_EFORMAT;
    const char *sep = strrchr(addr, '1');
    if (!sep) return CS_EFORMAT;
    size_t hl = (size_t)(sep - addr);
    if (hl < 1 || hl > 83 || len - hl - 1 < 7) return CS_EFORMAT;
    char h[84];
    for (size_t i = 0; i < hl; i++)
        h[i] = (char)tolower((unsigned char)addr[i]);
    h[hl] = 0;
    if (hrp && strcmp(h, hrp) != 0) return CS_EFORMAT;
    if (hrp_out) memcpy(hrp_out, h, hl + 1);
    uint8_t data[90];
    size_t dl = len - hl - 1;
    uint32_t chk = hrp_polymod(h);
    for (size_t i = 0; i < dl; i++) {
        const char *p = strchr(B32, tolower((unsigned char)sep[1 + i]));
        if (!p || !sep[1 + i]) return CS_EFORMAT;
        data[i] = (uint8_t)(p - B32);
        chk = polymod_step(chk) ^ data[i];
    }
    dl -= 6;
    if (dl < 1) return CS_EFORMAT;
    int v = data[0];
    if (v > 16) return CS_EFORMAT;
    if (chk != (v == 0 ? 1u : 0x2bc830a3UL)) return CS_EFORMAT;
    int pl = convertbits(prog, 40, data + 1, dl - 1, 5, 8, 0);
    if (pl < 2 || pl > 40) return CS_EFORMAT;
    if (v == 0 && pl != 20 && pl != 32) return CS_EFORMAT;
    *witver = v;
    return pl;
}
