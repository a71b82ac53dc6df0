/* ethblock.c — Ethereum header and transaction decoding, signing digests and
 * sender recovery (see era1.h).
 *
 * Signing digests are streamed into keccak straight from the encoded
 * transaction: the fields a sender signs are a contiguous run of the
 * transaction's own RLP items (everything before v, r, s), so the digest
 * needs no re-encoding buffer, only a fresh list header for the shorter run
 * (and, for an EIP-155 legacy tx, chainId, 0, 0 appended). */
#include "evm/era1.h"

#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <string.h>

#include "util/keccak.h"

int cs_eth_header_decode(struct cs_eth_header *h, const uint8_t *p, size_t len)
{
    struct cs_rlp_item top, f[20];
    size_t n;
    int rc;
    memset(h, 0, sizeof *h);
    if ((rc = cs_rlp_decode_all(&top, p, len, 0)) ||
        (rc = cs_rlp_list(&top, f, 15, 20, &n, "header")))
        return rc;
    const uint8_t *bloom;
    size_t bloom_len;
    if ((rc = cs_rlp_fixed(&f[0], h->parent_hash, 32, "parentHash")) ||
        (rc = cs_rlp_fixed(&f[1], h->ommers_hash, 32, "ommersHash")) ||
        (rc = cs_rlp_fixed(&f[2], h->coinbase, 20, "coinbase")) ||
        (rc = cs_rlp_fixed(&f[3], h->state_root, 32, "stateRoot")) ||
        (rc = cs_rlp_fixed(&f[4], h->tx_root, 32, "transactionsRoot")) ||
        (rc = cs_rlp_fixed(&f[5], h->receipts_root, 32, "receiptsRoot")) ||
        (rc = cs_rlp_string(&f[6], &bloom, &bloom_len, "logsBloom")) ||
        (rc = cs_rlp_u256(&f[7], &h->difficulty, "difficulty")) ||
        (rc = cs_rlp_u64(&f[8], &h->number, "number")) ||
        (rc = cs_rlp_u64(&f[9], &h->gas_limit, "gasLimit")) ||
        (rc = cs_rlp_u64(&f[10], &h->gas_used, "gasUsed")) ||
        (rc = cs_rlp_u64(&f[11], &h->timestamp, "timestamp")) ||
        (rc = cs_rlp_string(&f[12], &h->extra, &h->extra_len, "extraData")) ||
        (rc = cs_rlp_fixed(&f[13], h->mix_hash, 32, "mixHash")) ||
        (rc = cs_rlp_fixed(&f[14], h->nonce, 8, "nonce")))
        return rc;
    if (bloom_len != 256)
        return cs_error(CS_EFORMAT, "rlp: byte %zu: logsBloom: %zu bytes, expected 256", f[6].off,
                        bloom_len);
    h->bloom = bloom;
    if (n > 15) {
        if ((rc = cs_rlp_u256(&f[15], &h->base_fee, "baseFeePerGas"))) return rc;
        h->has_base_fee = 1;
    }
    h->n_fields = n;
    cs_keccak256(p, len, h->hash);
    return 0;
}

/* r or s: an integer of at most 32 bytes, left-padded. */
static int sig_word(const struct cs_rlp_item *it, uint8_t out[32], const char *what)
{
    struct cs_u256 v;
    int rc = cs_rlp_u256(it, &v, what);
    if (rc) return rc;
    cs_u256_to_be(out, &v);
    return 0;
}

static int access_list(const struct cs_rlp_item *al, uint32_t *count)
{
    struct cs_rlp_iter it, keys;
    struct cs_rlp_item entry, pair[2], key;
    size_t n;
    uint8_t addr[20], slot[32];
    int rc;
    *count = 0;
    if ((rc = cs_rlp_iter_init(&it, al, "accessList"))) return rc;
    while ((rc = cs_rlp_next(&it, &entry)) == 1) {
        if ((rc = cs_rlp_list(&entry, pair, 2, 2, &n, "accessList entry")) ||
            (rc = cs_rlp_fixed(&pair[0], addr, 20, "accessList address")) ||
            (rc = cs_rlp_iter_init(&keys, &pair[1], "accessList storageKeys")))
            return rc;
        while ((rc = cs_rlp_next(&keys, &key)) == 1)
            if ((rc = cs_rlp_fixed(&key, slot, 32, "accessList storage key"))) return rc;
        if (rc < 0) return rc;
        (*count)++;
    }
    return rc;
}

/* keccak(prefix || RLP-list-header || items[first..last]) with extra raw
 * bytes appended inside the list. */
static void digest_run(uint8_t out[32], int type_byte, const struct cs_rlp_item *first,
                       const struct cs_rlp_item *last, const uint8_t *extra, size_t extra_len)
{
    size_t run = (size_t)(last->raw + last->raw_len - first->raw);
    uint8_t hdr[9];
    struct cs_keccak_ctx ctx;
    cs_keccak_init(&ctx, 0);
    if (type_byte >= 0) {
        uint8_t t = (uint8_t)type_byte;
        cs_keccak_add(&ctx, &t, 1);
    }
    cs_keccak_add(&ctx, hdr, cs_rlp_put_header(hdr, run + extra_len, 1));
    cs_keccak_add(&ctx, first->raw, run);
    cs_keccak_add(&ctx, extra, extra_len);
    cs_keccak_final(&ctx, out);
}

int cs_eth_tx_decode(struct cs_eth_tx *tx, const struct cs_rlp_item *item)
{
    struct cs_rlp_item body, f[12];
    size_t n;
    int rc;
    memset(tx, 0, sizeof *tx);
    if (item->is_list) {
        body = *item;
        tx->type = CS_ETH_TX_LEGACY;
    } else {
        /* EIP-2718 envelope: the payload is type || RLP list; a byte >= 0xc0
         * here would be a legacy list wrapped in a string, which is invalid */
        if (item->len == 0 || item->payload[0] >= 0x7f)
            return cs_error(CS_EFORMAT, "rlp: byte %zu: transaction: bad typed envelope",
                            item->off);
        tx->type = item->payload[0];
        if (tx->type != CS_ETH_TX_ACCESS_LIST && tx->type != CS_ETH_TX_DYNAMIC_FEE)
            return cs_error(CS_EFORMAT, "rlp: byte %zu: transaction: unsupported type 0x%02x",
                            item->off, tx->type);
        size_t hdr = (size_t)(item->payload - item->raw);
        if ((rc = cs_rlp_decode_all(&body, item->payload + 1, item->len - 1, item->off + hdr + 1)))
            return rc;
    }
    const char *what = tx->type == 0 ? "legacy tx" : tx->type == 1 ? "EIP-2930 tx" : "EIP-1559 tx";
    size_t want = tx->type == 0 ? 9 : tx->type == 1 ? 11 : 12;
    if ((rc = cs_rlp_list(&body, f, want, want, &n, what))) return rc;
    /* the fields in a common order: i indexes f after chainId */
    size_t i = 0;
    if (tx->type != CS_ETH_TX_LEGACY && (rc = cs_rlp_u64(&f[i++], &tx->chain_id, "chainId")))
        return rc;
    if ((rc = cs_rlp_u64(&f[i++], &tx->nonce, "nonce"))) return rc;
    if (tx->type == CS_ETH_TX_DYNAMIC_FEE) {
        if ((rc = cs_rlp_u256(&f[i++], &tx->max_priority, "maxPriorityFeePerGas")) ||
            (rc = cs_rlp_u256(&f[i++], &tx->max_fee, "maxFeePerGas")))
            return rc;
        tx->gas_price = tx->max_fee;
    } else {
        if ((rc = cs_rlp_u256(&f[i++], &tx->gas_price, "gasPrice"))) return rc;
        tx->max_fee = tx->max_priority = tx->gas_price;
    }
    const uint8_t *to;
    size_t to_len;
    if ((rc = cs_rlp_u64(&f[i++], &tx->gas, "gas")) ||
        (rc = cs_rlp_string(&f[i], &to, &to_len, "to")))
        return rc;
    if (to_len == 20) {
        tx->has_to = 1;
        memcpy(tx->to, to, 20);
    } else if (to_len != 0) {
        return cs_error(CS_EFORMAT, "rlp: byte %zu: to: %zu bytes, expected 0 or 20", f[i].off,
                        to_len);
    }
    i++;
    if ((rc = cs_rlp_u256(&f[i++], &tx->value, "value")) ||
        (rc = cs_rlp_string(&f[i++], &tx->data, &tx->data_len, "data")))
        return rc;
    if (tx->type != CS_ETH_TX_LEGACY && (rc = access_list(&f[i++], &tx->n_access))) return rc;
    size_t last_signed = i - 1;
    if ((rc = cs_rlp_u64(&f[i++], &tx->v, "v")) || (rc = sig_word(&f[i++], tx->r, "r")) ||
        (rc = sig_word(&f[i++], tx->s, "s")))
        return rc;

    if (tx->type == CS_ETH_TX_LEGACY) {
        tx->enc = item->raw;
        tx->enc_len = item->raw_len;
        if (tx->v == 27 || tx->v == 28) {
            tx->recid = (uint8_t)(tx->v - 27);
            digest_run(tx->sighash, -1, &f[0], &f[last_signed], NULL, 0);
        } else if (tx->v >= 35) {
            tx->chain_id = (tx->v - 35) / 2;
            tx->recid = (uint8_t)((tx->v - 35) % 2);
            uint8_t extra[16];
            struct cs_rlp_enc e;
            size_t elen;
            cs_rlp_enc_init(&e, extra, sizeof extra);
            cs_rlp_enc_u64(&e, tx->chain_id);
            cs_rlp_enc_u64(&e, 0);
            cs_rlp_enc_u64(&e, 0);
            if (cs_rlp_enc_finish(&e, &elen)) BUG("EIP-155 suffix exceeds 16 bytes");
            digest_run(tx->sighash, -1, &f[0], &f[last_signed], extra, elen);
        } else {
            return cs_error(CS_EFORMAT, "rlp: byte %zu: v: %llu is neither 27/28 nor EIP-155",
                            f[6].off, (unsigned long long)tx->v);
        }
    } else {
        tx->enc = item->payload;
        tx->enc_len = item->len;
        if (tx->v > 1)
            return cs_error(CS_EFORMAT, "rlp: byte %zu: yParity %llu is not 0 or 1", f[i - 3].off,
                            (unsigned long long)tx->v);
        tx->recid = (uint8_t)tx->v;
        digest_run(tx->sighash, tx->type, &f[0], &f[last_signed], NULL, 0);
    }
    cs_keccak256(tx->enc, tx->enc_len, tx->hash);
    return 0;
}

/* One context for the process: recovery only reads it, and libsecp256k1
 * documents a context as safe for concurrent use by const functions. */
static secp256k1_context *secp_ctx;
static pthread_once_t secp_once = PTHREAD_ONCE_INIT;

static void secp_init(void)
{
    secp_ctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
}

int cs_eth_tx_recover(struct cs_eth_tx *tx)
{
    pthread_once(&secp_once, secp_init);
    if (!secp_ctx) return cs_error(CS_ENOMEM, "secp256k1: cannot create a context");
    uint8_t compact[64], pub[65];
    secp256k1_ecdsa_recoverable_signature sig;
    secp256k1_pubkey key;
    size_t pub_len = sizeof pub;
    memcpy(compact, tx->r, 32);
    memcpy(compact + 32, tx->s, 32);
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(secp_ctx, &sig, compact, tx->recid))
        return cs_error(CS_EFORMAT, "signature: r or s is zero or not below the curve order");
    if (!secp256k1_ecdsa_recover(secp_ctx, &key, &sig, tx->sighash))
        return cs_error(CS_EFORMAT, "signature: no public key recovers from it");
    secp256k1_ec_pubkey_serialize(secp_ctx, pub, &pub_len, &key, SECP256K1_EC_UNCOMPRESSED);
    uint8_t h[32];
    cs_keccak256(pub + 1, 64, h);
    memcpy(tx->from, h + 12, 20);
    tx->has_from = 1;
    return 0;
}
