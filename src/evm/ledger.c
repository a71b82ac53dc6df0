/* ledger.c — the transfer rules of ledger.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evm/ledger.h"
#include "util/codec.h"
#include "util/keccak.h"

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

/* ---- raw logs kept, and ERC-1155 ---- */

static const char *const DEFAULT_SIGS[] = {
    "Deposit(bytes32,uint32,uint256)",                           /* Tornado Cash pool */
    "Withdrawal(address,bytes32,address,uint256)",               /* Tornado Cash pool */
    "Deposit(address,address,uint256,string)",                   /* THORChain router */
    "Deposit(address,uint256)",                                  /* WETH9 wrap */
    "Withdrawal(address,uint256)",                               /* WETH9 unwrap */
    "Approval(address,address,uint256)",                         /* ERC-20 / ERC-721 */
    "ApprovalForAll(address,address,bool)",                      /* ERC-721 / ERC-1155 */
    "TransferSingle(address,address,address,uint256,uint256)",   /* ERC-1155 */
    "TransferBatch(address,address,address,uint256[],uint256[])" /* ERC-1155 */
};

static void sig_topic(const char *sig, uint8_t out[32])
{
    cs_keccak256(sig, strlen(sig), out);
}

/* topic 0 of ERC-1155 TransferSingle (which = 0) and TransferBatch (1) */
static const uint8_t *topic_1155(int which)
{
    static uint8_t t[2][32];
    static int ready;
    if (!ready) {
        sig_topic(DEFAULT_SIGS[7], t[0]);
        sig_topic(DEFAULT_SIGS[8], t[1]);
        ready = 1;
    }
    return t[which];
}

void cs_evm_logsel_default(struct cs_evm_logsel *sel)
{
    memset(sel, 0, sizeof *sel);
    for (size_t i = 0; i < sizeof DEFAULT_SIGS / sizeof DEFAULT_SIGS[0]; i++)
        if (cs_evm_logsel_add(sel, DEFAULT_SIGS[i])) BUG("default log signature refused");
}

int cs_evm_logsel_add(struct cs_evm_logsel *sel, const char *sig)
{
    uint8_t t[32];
    size_t n = strlen(sig);
    if (n == 66 && sig[0] == '0' && (sig[1] == 'x' || sig[1] == 'X')) {
        if (cs_unhex(t, 32, sig + 2, 64))
            return cs_error(CS_EUSAGE, "event '%s': not a 32-byte 0x topic", sig);
    } else {
        const char *p = strchr(sig, '(');
        if (!p || p == sig || n < 3 || sig[n - 1] != ')' || strchr(sig, ' '))
            return cs_error(CS_EUSAGE,
                            "event '%s': want Name(type,...) without spaces, or a 0x topic", sig);
        for (const char *q = sig; q < p; q++)
            if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
                  (*q >= '0' && *q <= '9') || *q == '_'))
                return cs_error(CS_EUSAGE, "event '%s': the name holds '%c'", sig, *q);
        sig_topic(sig, t);
    }
    if (cs_evm_logsel_has(sel, t)) return 0;
    if (sel->n == CS_EVM_LOGSEL_MAX)
        return cs_error(CS_EUSAGE, "more than %d event signatures to keep", CS_EVM_LOGSEL_MAX);
    memcpy(sel->topic[sel->n], t, 32);
    snprintf(sel->name[sel->n], sizeof sel->name[0], "%s", sig);
    sel->n++;
    return 0;
}

int cs_evm_logsel_has(const struct cs_evm_logsel *sel, const uint8_t topic0[32])
{
    for (size_t i = 0; i < sel->n; i++)
        if (!memcmp(sel->topic[i], topic0, 32)) return 1;
    return 0;
}

int cs_evm_log_wants_data(const struct cs_evm_logsel *sel, unsigned ntopics,
                          const uint8_t topic0[32])
{
    if (!ntopics) return 0;
    if (!memcmp(topic0, topic_1155(0), 32) || !memcmp(topic0, topic_1155(1), 32)) return 1;
    if (!sel) {
        static struct cs_evm_logsel def;
        if (!def.n) cs_evm_logsel_default(&def);
        sel = &def;
    }
    return cs_evm_logsel_has(sel, topic0);
}

void cs_evm_keep_log(struct cs_evm_logbuf *kb, const struct cs_evm_logsel *sel, uint32_t tx,
                     const struct cs_evm_log *l)
{
    if (!l->ntopics || !cs_evm_log_wants_data(sel, l->ntopics, l->topic[0])) return;
    if (kb->n == kb->cap) {
        kb->cap = kb->cap ? 2 * kb->cap : 16;
        kb->v = cs_xrealloc(kb->v, kb->cap * sizeof *kb->v);
    }
    struct cs_evm_log_in *k = &kb->v[kb->n++];
    memset(k, 0, sizeof *k);
    k->tx = tx;
    k->index = l->log_index > UINT32_MAX ? UINT32_MAX : (uint32_t)l->log_index;
    memcpy(k->addr, l->addr, 20);
    k->ntopics = (uint8_t)(l->ntopics > 4 ? 4 : l->ntopics);
    memcpy(k->topic, l->topic, sizeof k->topic);
    k->data = l->data;
    k->data_len = l->data ? l->data_len : 0;
}

void cs_evm_logbuf_free(struct cs_evm_logbuf *kb)
{
    free(kb->v);
    memset(kb, 0, sizeof *kb);
}

static struct cs_evm_move *move_push(struct cs_evm_move **mv, size_t *n, size_t *cap)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *mv = cs_xrealloc(*mv, *cap * sizeof **mv);
    }
    struct cs_evm_move *m = &(*mv)[(*n)++];
    memset(m, 0, sizeof *m);
    return m;
}

/* The 32-byte word at byte off of d as a u64, or -1 when it does not fit or
 * lies outside. */
static int64_t word_u64(const uint8_t *d, size_t len, uint64_t off)
{
    if (off > len || len - off < 32) return -1;
    for (int i = 0; i < 24; i++)
        if (d[off + i]) return -1;
    uint64_t v = 0;
    for (int i = 24; i < 32; i++)
        v = v << 8 | d[off + i];
    return v > (uint64_t)INT64_MAX ? -1 : (int64_t)v;
}

/* Where the ids and values of an ERC-1155 event's data lie: TransferSingle
 * is (id, value); TransferBatch is (ids[], values[]), ABI-encoded, of equal
 * length, both inside the data.  0 when malformed. */
static int layout_1155(const uint8_t *d, size_t len, int batch, uint64_t *ids, uint64_t *vals,
                       uint64_t *cnt)
{
    if (!d) return 0;
    if (!batch) {
        *ids = 0, *vals = 32, *cnt = 1;
        return len >= 64;
    }
    int64_t oi = word_u64(d, len, 0), ov = word_u64(d, len, 32);
    if (oi < 0 || ov < 0) return 0;
    int64_t ni = word_u64(d, len, (uint64_t)oi), nv = word_u64(d, len, (uint64_t)ov);
    if (ni < 0 || ni != nv || ni > UINT16_MAX + 1) return 0;
    *cnt = (uint64_t)ni;
    *ids = (uint64_t)oi + 32;
    *vals = (uint64_t)ov + 32;
    return *ids + *cnt * 32 <= len && *vals + *cnt * 32 <= len;
}

int cs_evm_erc1155_id(const uint8_t topic0[32], const uint8_t *data, size_t len, unsigned pos,
                      struct cs_u256 *id)
{
    int batch = !memcmp(topic0, topic_1155(1), 32);
    uint64_t ids, vals, cnt;
    if ((!batch && memcmp(topic0, topic_1155(0), 32)) ||
        !layout_1155(data, len, batch, &ids, &vals, &cnt) || pos >= cnt)
        return 0;
    if (cs_u256_from_be_var(id, data + ids + 32ull * pos, 32)) BUG("32 bytes overflow u256");
    return 1;
}

int cs_evm_log_data_hex(struct cs_evm_log *l, const struct cs_evm_logsel *sel, const char *hex,
                        size_t n)
{
    l->data = NULL;
    l->data_len = 0;
    if (!l->ntopics || !cs_evm_log_wants_data(sel, l->ntopics, l->topic[0])) return 0;
    if (n < 2 || hex[0] != '0' || hex[1] != 'x' || n % 2) return CS_EFORMAT;
    size_t dl = (n - 2) / 2;
    uint8_t *buf = cs_xmalloc(dl ? dl : 1);
    if (cs_unhex(buf, dl, hex + 2, n - 2)) {
        free(buf);
        return CS_EFORMAT;
    }
    l->data = buf;
    l->data_len = dl;
    return 0;
}

/* ERC-1155 TransferSingle(operator, from, to, id, value) and
 * TransferBatch(operator, from, to, ids[], values[]): the indexed operator,
 * from and to in topics 1-3; the rest ABI-encoded in data. */
static size_t moves_1155(const struct cs_evm_log *l, int batch, struct cs_evm_move **mv,
                         size_t *n, size_t *cap)
{
    uint64_t ids, vals, cnt;
    if (l->ntopics != 4 || !topic_is_addr(l->topic[2]) || !topic_is_addr(l->topic[3]) ||
        !layout_1155(l->data, l->data_len, batch, &ids, &vals, &cnt))
        return 0;
    for (uint64_t i = 0; i < cnt; i++) {
        struct cs_evm_move *m = move_push(mv, n, cap);
        memcpy(m->tx_hash, l->tx_hash, 32);
        memcpy(m->token, l->addr, 20);
        m->block = l->block;
        m->log_index = l->log_index;
        m->kind = CS_XK_ERC1155;
        m->pos = (uint16_t)i;
        m->has_from = m->has_to = 1;
        memcpy(m->from, l->topic[2] + 12, 20);
        memcpy(m->to, l->topic[3] + 12, 20);
        if (cs_u256_from_be_var(&m->value, l->data + vals + 32 * i, 32))
            BUG("32 bytes overflow u256");
    }
    return (size_t)cnt;
}

size_t cs_evm_log_moves(const struct cs_evm_log *l, const uint8_t weth[20], int transfers,
                        struct cs_evm_move **mv, size_t *n, size_t *cap)
{
    if (!l->ntopics) return 0;
    if (!memcmp(l->topic[0], topic_1155(0), 32)) return moves_1155(l, 0, mv, n, cap);
    if (!memcmp(l->topic[0], topic_1155(1), 32)) return moves_1155(l, 1, mv, n, cap);
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
    struct cs_evm_move *m = move_push(mv, n, cap);
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
        x->pos = m->pos;
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
