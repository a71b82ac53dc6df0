/* script.c — scriptPubKey → address record, and address text forms. */
#include <stdio.h>
#include <string.h>

#include "btc/script.h"
#include "util/amount.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/hash.h"

static const struct cs_netparams NETS[] = {
    {"main", {0xf9, 0xbe, 0xb4, 0xd9}, 0x00, 0x05, "bc"},
    {"testnet3", {0x0b, 0x11, 0x09, 0x07}, 0x6f, 0xc4, "tb"},
    {"testnet4", {0x1c, 0x16, 0x3f, 0x28}, 0x6f, 0xc4, "tb"},
    {"signet", {0x0a, 0x03, 0xcf, 0x40}, 0x6f, 0xc4, "tb"},
    {"regtest", {0xfa, 0xbf, 0xb5, 0xda}, 0x6f, 0xc4, "bcrt"},
};

const struct cs_netparams *cs_net_by_magic(const uint8_t magic[4])
{
    for (size_t i = 0; i < sizeof NETS / sizeof NETS[0]; i++)
        if (memcmp(NETS[i].magic, magic, 4) == 0) return &NETS[i];
    return NULL;
}

const struct cs_netparams *cs_net_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof NETS / sizeof NETS[0]; i++)
        if (strcmp(NETS[i].name, name) == 0) return &NETS[i];
    return NULL;
}

const char *cs_addr_type_name(int type)
{
    switch (type) {
    case CS_ADDR_P2PKH:
        return "p2pkh";
    case CS_ADDR_P2SH:
        return "p2sh";
    case CS_ADDR_P2WPKH:
        return "p2wpkh";
    case CS_ADDR_P2WSH:
        return "p2wsh";
    case CS_ADDR_P2TR:
        return "p2tr";
    case CS_ADDR_WITNESS:
        return "witness_unknown";
    case CS_ADDR_MULTISIG:
        return "multisig";
    case CS_ADDR_OPRETURN:
        return "op_return";
    case CS_ADDR_NONSTD:
        return "nonstandard";
    }
    return "none";
}

static void set(struct cs_addr *a, int type, const uint8_t *data, size_t len)
{
    memset(a, 0, sizeof *a);
    a->type = (uint8_t)type;
    a->len = (uint8_t)len;
    memcpy(a->data, data, len);
}

static void pseudo(struct cs_addr *a, int type, const uint8_t *script, size_t len)
{
    uint8_t h[32];
    cs_sha256(script, len, h);
    set(a, type, h, 32);
}

static int is_pubkey(const uint8_t *p, size_t len)
{
    if (len == 33) return p[0] == 2 || p[0] == 3;
    if (len == 65) return p[0] == 4 || p[0] == 6 || p[0] == 7;
    return 0;
}

/* Parses OP_m <pk>... OP_n OP_CHECKMULTISIG; returns n keys or 0. keyoff/keylen
 * receive the positions of the keys. */
static int multisig_parse(const uint8_t *s, size_t len, size_t *keyoff, uint8_t *keylen, int cap)
{
    if (len < 3 || s[len - 1] != 0xae) return 0;
    int m = s[0], n = s[len - 2];
    if (m < 0x51 || m > 0x60 || n < 0x51 || n > 0x60) return 0;
    m -= 0x50;
    n -= 0x50;
    if (m > n) return 0;
    size_t p = 1;
    int k = 0;
    while (p < len - 2) {
        uint8_t l = s[p];
        if ((l != 33 && l != 65) || p + 1 + l > len - 2) return 0;
        if (k < cap) {
            keyoff[k] = p + 1;
            keylen[k] = l;
        }
        k++;
        p += 1 + l;
    }
    return (p == len - 2 && k == n) ? k : 0;
}

void cs_script_classify(const uint8_t *s, size_t len, struct cs_addr *out)
{
    if (len == 25 && s[0] == 0x76 && s[1] == 0xa9 && s[2] == 0x14 && s[23] == 0x88 &&
        s[24] == 0xac) {
        set(out, CS_ADDR_P2PKH, s + 3, 20);
        return;
    }
    if (len == 23 && s[0] == 0xa9 && s[1] == 0x14 && s[22] == 0x87) {
        set(out, CS_ADDR_P2SH, s + 2, 20);
        return;
    }
    /* witness program: OP_n (0, 1..16) then one push of 2..40 bytes */
    if (len >= 4 && len <= 42 && (s[0] == 0 || (s[0] >= 0x51 && s[0] <= 0x60)) &&
        s[1] + 2u == len && s[1] >= 2 && s[1] <= 40) {
        int ver = s[0] ? s[0] - 0x50 : 0;
        size_t pl = s[1];
        if (ver == 0 && pl == 20) {
            set(out, CS_ADDR_P2WPKH, s + 2, 20);
            return;
        }
        if (ver == 0 && pl == 32) {
            set(out, CS_ADDR_P2WSH, s + 2, 32);
            return;
        }
        if (ver == 1 && pl == 32) {
            set(out, CS_ADDR_P2TR, s + 2, 32);
            out->ver = 1;
            return;
        }
        if (ver != 0) {
            if (pl <= 32) {
                set(out, CS_ADDR_WITNESS, s + 2, pl);
            } else {
                uint8_t h[32];
                cs_sha256(s + 2, pl, h);
                set(out, CS_ADDR_WITNESS, h, 32);
                out->len = 0; /* marks "hashed long program" */
            }
            out->ver = (uint8_t)ver;
            return;
        }
        /* v0 with another length is not a valid program: non-standard */
    }
    if ((len == 35 || len == 67) && s[0] == len - 2 && s[len - 1] == 0xac &&
        is_pubkey(s + 1, len - 2)) {
        uint8_t h[20];
        cs_hash160(s + 1, len - 2, h);
        set(out, CS_ADDR_P2PKH, h, 20);
        out->flags = CS_ADDRF_P2PK;
        return;
    }
    if (len >= 1 && s[0] == 0x6a) {
        pseudo(out, CS_ADDR_OPRETURN, s, len);
        return;
    }
    size_t off[20];
    uint8_t kl[20];
    if (multisig_parse(s, len, off, kl, 20)) {
        pseudo(out, CS_ADDR_MULTISIG, s, len);
        return;
    }
    pseudo(out, CS_ADDR_NONSTD, s, len);
}

int cs_script_multisig_keys(const uint8_t *s, size_t len, struct cs_addr *keys, int cap)
{
    size_t off[20];
    uint8_t kl[20];
    int n = multisig_parse(s, len, off, kl, 20);
    for (int i = 0; i < n && i < cap && i < 20; i++) {
        uint8_t h[20];
        cs_hash160(s + off[i], kl[i], h);
        set(&keys[i], CS_ADDR_P2PKH, h, 20);
    }
    return n;
}

void cs_addr_format(const struct cs_addr *a, const struct cs_netparams *net, char out[96])
{
    char hex[65];
    switch (a->type) {
    case CS_ADDR_P2PKH:
        cs_base58check_encode(out, net->p2pkh_ver, a->data, 20);
        return;
    case CS_ADDR_P2SH:
        cs_base58check_encode(out, net->p2sh_ver, a->data, 20);
        return;
    case CS_ADDR_P2WPKH:
    case CS_ADDR_P2WSH:
        if (cs_segwit_encode(out, net->hrp, 0, a->data, a->len) > 0) return;
        break;
    case CS_ADDR_P2TR:
        if (cs_segwit_encode(out, net->hrp, 1, a->data, 32) > 0) return;
        break;
    case CS_ADDR_WITNESS:
        if (a->len && cs_segwit_encode(out, net->hrp, a->ver, a->data, a->len) > 0) return;
        cs_hex(hex, a->data, 32);
        snprintf(out, 96, "witness%u:%s", a->ver, hex);
        return;
    case CS_ADDR_MULTISIG:
    case CS_ADDR_OPRETURN:
    case CS_ADDR_NONSTD:
        cs_hex(hex, a->data, 32);
        snprintf(out, 96, "%s:%s", cs_addr_type_name(a->type), hex);
        return;
    }
    snprintf(out, 96, "invalid");
}

int cs_addr_parse(const char *s, const struct cs_netparams *net, struct cs_addr *out)
{
    memset(out, 0, sizeof *out);
    const char *colon = strchr(s, ':');
    if (colon) {
        size_t pl = (size_t)(colon - s);
        static const int types[] = {CS_ADDR_MULTISIG, CS_ADDR_OPRETURN, CS_ADDR_NONSTD};
        for (size_t i = 0; i < 3; i++) {
            const char *n = cs_addr_type_name(types[i]);
            if (strlen(n) == pl && strncmp(s, n, pl) == 0) {
                if (cs_unhex(out->data, 32, colon + 1, strlen(colon + 1)))
                    return cs_error(CS_EFORMAT, "%s: expected 64 hex digits after '%s:'", s, n);
                out->type = (uint8_t)types[i];
                out->len = 32;
                return 0;
            }
        }
        unsigned ver;
        if (sscanf(s, "witness%u:", &ver) == 1 && ver >= 1 && ver <= 16) {
            if (cs_unhex(out->data, 32, colon + 1, strlen(colon + 1)))
                return cs_error(CS_EFORMAT, "%s: expected 64 hex digits", s);
            out->type = CS_ADDR_WITNESS;
            out->ver = (uint8_t)ver;
            return 0;
        }
        return cs_error(CS_EFORMAT, "%s: unknown address form", s);
    }
    char hrp[84];
    int ver;
    uint8_t prog[40];
    int pl = cs_segwit_decode(s, NULL, hrp, &ver, prog);
    if (pl > 0) {
        if (strcmp(hrp, net->hrp) != 0)
            return cs_error(CS_EFORMAT, "%s: prefix '%s' is not this store's network (%s, '%s')", s,
                            hrp, net->name, net->hrp);
        if (ver == 0 && pl == 20)
            set(out, CS_ADDR_P2WPKH, prog, 20);
        else if (ver == 0)
            set(out, CS_ADDR_P2WSH, prog, 32);
        else if (ver == 1 && pl == 32) {
            set(out, CS_ADDR_P2TR, prog, 32);
            out->ver = 1;
        } else if (pl <= 32) {
            set(out, CS_ADDR_WITNESS, prog, (size_t)pl);
            out->ver = (uint8_t)ver;
        } else {
            uint8_t h[32];
            cs_sha256(prog, (size_t)pl, h);
            set(out, CS_ADDR_WITNESS, h, 32);
            out->len = 0;
            out->ver = (uint8_t)ver;
        }
        return 0;
    }
    uint8_t v, payload[64];
    int n = cs_base58check_decode(s, &v, payload, sizeof payload);
    if (n == 20 && v == net->p2pkh_ver) {
        set(out, CS_ADDR_P2PKH, payload, 20);
        return 0;
    }
    if (n == 20 && v == net->p2sh_ver) {
        set(out, CS_ADDR_P2SH, payload, 20);
        return 0;
    }
    if (n == 20)
        return cs_error(CS_EFORMAT, "%s: version byte 0x%02x is not this store's network (%s)", s,
                        v, net->name);
    return cs_error(CS_EFORMAT, "%s: not a valid address (bad checksum or characters)", s);
}

const struct cs_asset *cs_btc_asset(void)
{
    return cs_asset_native("btc");
}
