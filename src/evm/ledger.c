/* ledger.c — the transfer rules of ledger.h. */
#include <stdlib.h>
#include <string.h>

#include "evm/ledger.h"

static const uint8_t TOPIC_TRANSFER[32] = {
    0xdd, 0xf2, 0x52, 0xad, 0x1b, 0xe2, 0xc8, 0x9b, 0x69, 0xc2, 0xb0, 0x68, 0xfc, 0x37, 0x8d, 0xaa,
    0x95, 0x2b, 0xa7, 0xf1, 0x63, 0xc4, 0xa1, 0x16, 0x28, 0xf5, 0x5a, 0x4d, 0xf5, 0x23, 0xb3, 0xef};
static const uint8_t TOPIC_DEPOSIT[32] = {
    0xe1, 0xff, 0xfc, 0xc4, 0x92, 0x3d, 0x04, 0xb5, 0x59, 0xf4, 0xd2, 0x9a, 0x8b, 0xfc, 0x6c, 0xda,
    0x04, 0xeb, 0x5b, 0x0d, 0x3c, 0x46, 0x07, 0x51, 0xc2, 0x40, 0x2c, 0x5c, 0x5c, 0xc9, 0x10, 0x9c};
static const uint8_t TOPIC_WITHDRAWAL[32] = {
    0x7f, 0xcf, 0x53, 0x2c, 0x15, 0xf0, 0xa6, 0xdb, 0x0b, 0xd6, 0xd0, 0xe0, 0x38, 0xbe, 0xa7, 0x1d,
    0x30, 0xd8, 0x08, 0xc7, 0xd9, 0x8c, 0xb3, 0xbf, 0x72, 0x68, 0xa9, 0x5b, 0xf5, 0x08, 0x1b, 0x65};

/* An indexed address topic: 12 zero bytes, then the address. */
static int topic_is_addr(const uint8_t t[32])
{
    for (int i = 0; i < 12; i++)
        if (t[i]) return 0;
    return 1;
}

int cs_evm_log_move(const struct cs_evm_log *l, const uint8_t weth[20], int transfers,
                    struct cs_evm_move *m)
{
    if (!l->ntopics) return 0;
    int dep = !memcmp(l->topic[0], TOPIC_DEPOSIT, 32);
    int wd = !memcmp(l->topic[0], TOPIC_WITHDRAWAL, 32);
    int tr = transfers && !memcmp(l->topic[0], TOPIC_TRANSFER, 32);
    if ((dep || wd) && (memcmp(l->addr, weth, 20) || l->ntopics != 2 || !l->has_word0 ||
                        !topic_is_addr(l->topic[1])))
        return 0;
    if (tr && (l->ntopics < 3 || l->ntopics > 4 || !topic_is_addr(l->topic[1]) ||
               !topic_is_addr(l->topic[2]) || (l->ntopics == 3 && !l->has_word0)))
        return 0;
    if (!dep && !wd && !tr) return 0;
    memset(m, 0, sizeof *m);
    memcpy(m->tx_hash, l->tx_hash, 32);
    memcpy(m->token, l->addr, 20);
    m->block = l->block;
    m->log_index = l->log_index;
    if (tr) {
        m->kind = l->ntopics == 4 ? CS_XK_ERC721 : CS_XK_ERC20;
        m->has_from = m->has_to = 1;
        memcpy(m->from, l->topic[1] + 12, 20);
        memcpy(m->to, l->topic[2] + 12, 20);
        if (l->ntopics == 4) {
            if (cs_u256_from_be_var(&m->value, l->topic[3], 32)) BUG("32 bytes overflow u256");
        } else {
            m->value = l->word0;
        }
        return 1;
    }
    m->kind = dep ? CS_XK_WETH_DEPOSIT : CS_XK_WETH_WITHDRAWAL;
    m->has_to = dep;
    m->has_from = !dep;
    memcpy(dep ? m->to : m->from, l->topic[1] + 12, 20);
    m->value = l->word0;
    return 1;
}

static struct cs_evm_xfer_in *push(struct cs_evm_builder *b)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 256;
        b->x = cs_xrealloc(b->x, b->cap * sizeof *b->x);
    }
    struct cs_evm_xfer_in *x = &b->x[b->n++];
    memset(x, 0, sizeof *x);
    return x;
}

static void native(struct cs_evm_builder *b, uint8_t kind, uint32_t tx, const uint8_t *from,
                   const uint8_t *to, const struct cs_u256 *amount, uint8_t flags)
{
    struct cs_evm_xfer_in *x = push(b);
    x->kind = kind;
    x->flags = flags;
    x->native = 1;
    x->tx = tx;
    if (from) {
        x->has_from = 1;
        memcpy(x->from, from, 20);
    }
    if (to) {
        x->has_to = 1;
        memcpy(x->to, to, 20);
    }
    x->amount = *amount;
}

int cs_evm_tx_transfers(struct cs_evm_builder *b, const struct cs_evm_block_in *blk,
                        const struct cs_evm_tx_in *tx, int has_receipt, uint32_t idx,
                        const struct cs_evm_frame *frames, size_t n_frames,
                        const struct cs_evm_move *moves, size_t n_moves)
{
    int failed = has_receipt && tx->status == CS_ETX_FAILED;
    uint8_t nostatus = !has_receipt || tx->status == CS_ETX_UNKNOWN ? CS_XF_NOSTATUS : 0;
    if (!failed && !cs_u256_is_zero(&tx->value))
        native(b, CS_XK_NATIVE, idx, tx->from,
               tx->has_to ? tx->to : (tx->has_created ? tx->created : NULL), &tx->value, nostatus);
    for (size_t i = 0; !failed && i < n_frames; i++)
        native(b, frames[i].kind, idx, frames[i].from, frames[i].to, &frames[i].value, 0);
    for (size_t i = 0; !failed && i < n_moves; i++) {
        const struct cs_evm_move *m = &moves[i];
        struct cs_evm_xfer_in *x = push(b);
        x->kind = m->kind;
        x->flags = nostatus | m->flags;
        x->tx = idx;
        x->aux = m->log_index > UINT32_MAX ? UINT32_MAX : (uint32_t)m->log_index;
        x->has_from = m->has_from;
        x->has_to = m->has_to;
        memcpy(x->from, m->from, 20);
        memcpy(x->to, m->to, 20);
        memcpy(x->asset, m->token, 20);
        x->amount = m->value;
    }
    if (!has_receipt) return 0;
    struct cs_u256 gas = cs_u256_from_u64(tx->gas_used), price = cs_u256_from_u64(tx->gas_price);
    struct cs_u256 fee, burn = {{0}}, tip;
    if (cs_u256_mul(&fee, &gas, &price)) BUG("u64 times u64 overflows u256");
    if (blk->flags & CS_EB_BASEFEE) {
        if (tx->gas_price < blk->base_fee)
            return cs_error(CS_EFORMAT,
                            "block %llu tx %u: effective gas price %llu below the base fee %llu",
                            (unsigned long long)blk->number, idx, (unsigned long long)tx->gas_price,
                            (unsigned long long)blk->base_fee);
        struct cs_u256 base = cs_u256_from_u64(blk->base_fee);
        if (cs_u256_mul(&burn, &gas, &base)) BUG("u64 times u64 overflows u256");
    }
    if (cs_u256_sub(&tip, &fee, &burn)) BUG("burn above fee");
    if (!cs_u256_is_zero(&tip)) native(b, CS_XK_FEE_TIP, idx, tx->from, blk->miner, &tip, 0);
    if (!cs_u256_is_zero(&burn)) native(b, CS_XK_FEE_BURN, idx, tx->from, NULL, &burn, 0);
    return 0;
}

void cs_evm_block_transfer(struct cs_evm_builder *b, uint8_t kind, const uint8_t to[20],
                           const struct cs_u256 *amount)
{
    native(b, kind, UINT32_MAX, NULL, to, amount, 0);
}

void cs_evm_builder_free(struct cs_evm_builder *b)
{
    free(b->x);
    b->x = NULL;
    b->n = b->cap = 0;
}
