/* ingest_era1.c — Era1 archives into the EVM store (see ingest.h): each
 * block as evm/era1.h decodes and verifies it, its transfers booked by
 * evm/ledger.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evm/era1.h"
#include "evm/ingest.h"
#include "evm/ledger.h"
#include "evm/rlp.h"
#include "evm/store.h"
#include "util/keccak.h"

/* keccak(rlp([sender, nonce]))[12:], the address a creation deploys to */
static int created_address(const uint8_t from[20], uint64_t nonce, uint8_t out[20])
{
    uint8_t body[40], buf[48], h[32];
    struct cs_rlp_enc e;
    size_t n, m;
    cs_rlp_enc_init(&e, body, sizeof body);
    cs_rlp_enc_bytes(&e, from, 20);
    cs_rlp_enc_u64(&e, nonce);
    if (cs_rlp_enc_finish(&e, &n)) return CS_ERANGE;
    cs_rlp_enc_init(&e, buf, sizeof buf);
    cs_rlp_enc_list(&e, n);
    cs_rlp_enc_raw(&e, body, n);
    if (cs_rlp_enc_finish(&e, &m)) return CS_ERANGE;
    cs_keccak256(buf, m, h);
    memcpy(out, h + 12, 20);
    return 0;
}

/* The price the sender paid per gas: the legacy/2930 gas price, or for
 * EIP-1559 min(max fee, base fee + max priority fee). */
static int effective_price(const struct cs_eth_tx *t, const struct cs_eth_header *h, uint64_t *out)
{
    struct cs_u256 p = t->gas_price;
    if (t->type == 2 && h->has_base_fee) {
        struct cs_u256 sum;
        if (cs_u256_add(&sum, &h->base_fee, &t->max_priority)) return CS_ERANGE;
        p = cs_u256_cmp(&sum, &t->max_fee) < 0 ? sum : t->max_fee;
    }
    return cs_u256_to_u64(out, &p) ? CS_ERANGE : 0;
}

static int one_block(struct cs_evm *s, const struct cs_era1_block *eb, const char *file,
                     const uint8_t weth[20], const struct cs_evm_logsel *sel,
                     struct cs_evm_logbuf *kb, struct cs_evm_builder *bld,
                     struct cs_evm_tx_in **tx, size_t *captx, struct cs_evm_move **mv,
                     size_t *capmv)
{
    kb->n = 0;
    const struct cs_eth_header *h = &eb->header;
    struct cs_evm_block_in b;
    memset(&b, 0, sizeof b);
    memcpy(b.hash, h->hash, 32);
    memcpy(b.parent, h->parent_hash, 32);
    memcpy(b.miner, h->coinbase, 20);
    b.number = h->number;
    b.timestamp = h->timestamp;
    b.gas_used = h->gas_used;
    b.flags = CS_EB_RECEIPTS | CS_EB_TOKENS;
    if (h->has_base_fee) {
        if (cs_u256_to_u64(&b.base_fee, &h->base_fee))
            return cs_error(CS_EFORMAT, "%s: block %llu: base fee above 2^64", file,
                            (unsigned long long)h->number);
        b.flags |= CS_EB_BASEFEE;
    }
    if (eb->n_tx > *captx) {
        *captx = eb->n_tx;
        *tx = cs_xrealloc(*tx, *captx * sizeof **tx);
    }
    bld->n = 0;
    for (uint32_t i = 0; i < eb->n_tx; i++) {
        const struct cs_eth_tx *t = &eb->tx[i];
        const struct cs_eth_receipt *r = &eb->receipt[i];
        struct cs_evm_tx_in *x = &(*tx)[i];
        memset(x, 0, sizeof *x);
        if (!t->has_from)
            return cs_error(CS_EFORMAT, "%s: block %llu tx %u: no sender recovered", file,
                            (unsigned long long)h->number, i);
        memcpy(x->hash, t->hash, 32);
        memcpy(x->from, t->from, 20);
        x->has_to = (uint8_t)t->has_to;
        if (t->has_to) memcpy(x->to, t->to, 20);
        if (!t->has_to) {
            if (created_address(t->from, t->nonce, x->created)) BUG("rlp of 20 bytes and a u64");
            x->has_created = 1;
        }
        x->nonce = t->nonce;
        x->type = t->type;
        x->value = t->value;
        x->gas_used = r->gas_used;
        x->status = r->has_status ? r->status : CS_ETX_UNKNOWN;
        if (effective_price(t, h, &x->gas_price))
            return cs_error(CS_EFORMAT, "%s: block %llu tx %u: gas price above 2^64", file,
                            (unsigned long long)h->number, i);
        size_t nm = 0;
        for (uint32_t l = r->first_log; l < r->first_log + r->n_logs; l++) {
            const struct cs_eth_log *g = &eb->log[l];
            struct cs_evm_log lg;
            memset(&lg, 0, sizeof lg);
            memcpy(lg.addr, g->address, 20);
            lg.ntopics = g->n_topics;
            for (uint32_t k = 0; k < g->n_topics && k < 4; k++)
                memcpy(lg.topic[k], g->topic[k], 32);
            if (g->data_len >= 32) {
                if (cs_u256_from_be_var(&lg.word0, g->data, 32)) BUG("32 bytes overflow u256");
                lg.has_word0 = 1;
            }
            if (g->n_topics && cs_evm_log_wants_data(sel, g->n_topics, g->topic[0])) {
                lg.data = g->data; /* lives as long as eb */
                lg.data_len = g->data_len;
            }
            lg.block = h->number;
            lg.log_index = l; /* logs are numbered across the block */
            memcpy(lg.tx_hash, t->hash, 32);
            cs_evm_log_moves(&lg, weth, 1, mv, &nm, capmv);
            if (x->status != CS_ETX_FAILED) cs_evm_keep_log(kb, sel, i, &lg);
        }
        int rc = cs_evm_tx_transfers(bld, &b, x, 1, i, NULL, 0, *mv, nm);
        if (rc) return cs_error(rc, "%s: %s", file, cs_errmsg());
    }
    b.tx = *tx;
    b.n_tx = eb->n_tx;
    b.xfer = bld->x;
    b.n_xfer = bld->n;
    b.log = kb->v;
    b.n_log = kb->n;
    return cs_evm_append_block(s, &b);
}

int cs_evm_ingest_era1(const char *const *files, size_t n, const char *db, const char *chain,
                       const struct cs_evm_logsel *sel, unsigned commit_blocks, int progress,
                       volatile sig_atomic_t *stop, struct cs_evm_era1_stats *st)
{
    struct cs_evm_logbuf kb = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(st, 0, sizeof *st);
    const struct cs_evm_chain *ch = cs_evm_chain_find(chain);
    uint8_t weth[20] = {0};
    if (!ch || (ch->wrapped && cs_evm_addr_parse(ch->wrapped, weth)))
        return cs_error(CS_EUSAGE, "chain '%s' is not an EVM chain this build knows", chain);
    struct cs_evm *s = NULL;
    struct cs_evm_builder bld = {0};
    struct cs_evm_tx_in *tx = NULL;
    struct cs_evm_move *mv = NULL;
    size_t captx = 0, capmv = 0;
    unsigned since = 0;
    int rc = cs_evm_open(&s, db, chain, CS_EVM_WRITE);
    for (size_t f = 0; !rc && f < n; f++) {
        struct cs_era1 *e;
        if ((rc = cs_era1_open(&e, files[f], 0))) break;
        const struct cs_era1_block *eb;
        int more;
        while ((more = cs_era1_next(e, &eb)) == 1) {
            uint64_t row;
            const struct cs_evm_counts *k = cs_evm_counts(s);
            if (k->blocks && cs_evm_find_block(s, eb->header.number, &row) == 0) {
                if (memcmp(cs_evm_block(s, row)->hash, eb->header.hash, 32)) {
                    rc = cs_error(CS_ECONSENSUS, "%s: block %llu differs from the stored one",
                                  files[f], (unsigned long long)eb->header.number);
                    break;
                }
                st->skipped++;
                continue;
            }
            if ((rc = one_block(s, eb, files[f], weth, sel, &kb, &bld, &tx, &captx, &mv, &capmv))) break;
            st->blocks++;
            st->txs += eb->n_tx;
            st->xfers += bld.n;
            if (commit_blocks && ++since >= commit_blocks) {
                if ((rc = cs_evm_commit(s))) break;
                since = 0;
            }
            if (stop && *stop) {
                rc = CS_EINTERRUPTED;
                break;
            }
        }
        if (!rc && more < 0) rc = more; /* a check failed: the message names file, offset, block */
        cs_era1_close(e);
        if (!rc || rc == CS_EINTERRUPTED) {
            int crc = cs_evm_commit(s);
            if (crc) rc = crc;
        }
        if (!rc) {
            st->files++;
            if (progress)
                fprintf(stderr, "ingest evm: %s: %llu blocks so far, %llu transfers\n", files[f],
                        (unsigned long long)st->blocks, (unsigned long long)st->xfers);
        }
    }
    cs_evm_close(s); /* an uncommitted tail (after a failed check) is undone */
    cs_evm_builder_free(&bld);
    cs_evm_logbuf_free(&kb);
    free(tx);
    free(mv);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    st->seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    return rc;
}
