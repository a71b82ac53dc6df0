/* txser.c — the PRNG seeding and the raw transaction serializer of
 * chainsleuth-gen: BIP144 layout, txid over the stripped form, wtxid over
 * the full one.  Pure functions of their arguments. */
#include <string.h>

#include "gen.h"
#include "util/codec.h"
#include "util/hash.h"

uint64_t cs_gen_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void cs_gen_rng_seed(struct cs_gen_rng *r, uint64_t seed)
{
    uint64_t st = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = cs_gen_splitmix64(&st);
    /* xoshiro must not start from all zeros; splitmix64 never yields four. */
}

static size_t compact_len(uint64_t n)
{
    return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffffu ? 5 : 9;
}

static int has_witness(const struct cs_gen_tx *tx)
{
    for (uint32_t i = 0; i < tx->nin; i++)
        if (tx->in[i].nwit) return 1;
    return 0;
}

size_t cs_gen_tx_size(const struct cs_gen_tx *tx, size_t *stripped)
{
    size_t n = 4 + compact_len(tx->nin) + compact_len(tx->nout) + 4;
    for (uint32_t i = 0; i < tx->nin; i++)
        n += 36 + compact_len(tx->in[i].script_sig_len) + tx->in[i].script_sig_len + 4;
    for (uint32_t i = 0; i < tx->nout; i++)
        n += 8 + compact_len(tx->out[i].script_len) + tx->out[i].script_len;
    if (stripped) *stripped = n;
    if (has_witness(tx)) {
        n += 2;
        for (uint32_t i = 0; i < tx->nin; i++) {
            n += compact_len(tx->in[i].nwit);
            for (uint32_t k = 0; k < tx->in[i].nwit; k++)
                n += compact_len(tx->in[i].wit_len[k]) + tx->in[i].wit_len[k];
        }
    }
    return n;
}

size_t cs_gen_tx_write(const struct cs_gen_tx *tx, uint8_t *out, size_t cap, uint8_t txid[32],
                       uint8_t wtxid[32])
{
    size_t stripped, total = cs_gen_tx_size(tx, &stripped);
    if (total > cap) return 0;
    uint8_t *p = out;
    cs_put_le32(p, (uint32_t)tx->version);
    p += 4;
    p += cs_compact_put(p, tx->nin);
    for (uint32_t i = 0; i < tx->nin; i++) {
        const struct cs_gen_txin *in = &tx->in[i];
        memcpy(p, in->prev_txid, 32);
        cs_put_le32(p + 32, in->prev_vout);
        p += 36;
        p += cs_compact_put(p, in->script_sig_len);
        if (in->script_sig_len) memcpy(p, in->script_sig, in->script_sig_len);
        p += in->script_sig_len;
        cs_put_le32(p, in->sequence);
        p += 4;
    }
    p += cs_compact_put(p, tx->nout);
    for (uint32_t i = 0; i < tx->nout; i++) {
        cs_put_le64(p, tx->out[i].value);
        p += 8;
        p += cs_compact_put(p, tx->out[i].script_len);
        if (tx->out[i].script_len) memcpy(p, tx->out[i].script, tx->out[i].script_len);
        p += tx->out[i].script_len;
    }
    cs_put_le32(p, tx->locktime);
    p += 4;
    cs_sha256d(out, stripped, txid);
    if (total == stripped) {
        memcpy(wtxid, txid, 32);
        return total;
    }
    /* Widen in place: insert marker+flag after the version, then witnesses
     * before the locktime. */
    size_t mid = stripped - 8;
    memmove(out + 6, out + 4, mid);
    out[4] = 0x00;
    out[5] = 0x01;
    p = out + 6 + mid;
    for (uint32_t i = 0; i < tx->nin; i++) {
        const struct cs_gen_txin *in = &tx->in[i];
        p += cs_compact_put(p, in->nwit);
        for (uint32_t k = 0; k < in->nwit; k++) {
            p += cs_compact_put(p, in->wit_len[k]);
            memcpy(p, in->wit[k], in->wit_len[k]);
            p += in->wit_len[k];
        }
    }
    cs_put_le32(p, tx->locktime);
    p += 4;
    if ((size_t)(p - out) != total) return 0; /* cannot happen: sizes agree */
    cs_sha256d(out, total, wtxid);
    return total;
}
