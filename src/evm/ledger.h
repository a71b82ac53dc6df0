/* ledger.h — what becomes a value transfer on an EVM chain (METHODS.md §1.4),
 * in one place for every EVM source (ethereum-etl CSV now, node RPC next).
 *
 * Per transaction, in this order: its top-level value (if non-zero and the tx
 * did not fail); the value-moving inner frames the source found (successful
 * call, create and selfdestruct frames; the top-level frame is the value
 * itself and is never passed here); its token movements by log index (ERC-20,
 * ERC-721, wraps and unwraps of the chain's canonical wrapper); then its fee,
 * last: gasUsed x effectiveGasPrice, the base fee share burned (to no
 * account) and the rest to the block's fee recipient.  A failed tx books its
 * fee only.  A tx without a receipt books its value flagged CS_XF_NOSTATUS
 * and no fee.  Per block, after the txs: rewards and EIP-4895 withdrawals.
 *
 * Nothing here reads files or the network; results go into a growing array
 * the caller owns. */
#ifndef CS_EVM_LEDGER_H
#define CS_EVM_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "evm/store.h"

/* A token movement of one log. */
struct cs_evm_move {
    uint8_t token[20], from[20], to[20];
    uint8_t kind, flags, has_from, has_to; /* kind: CS_XK_ERC20 ... _WETH_WITHDRAWAL */
    uint16_t pos;                          /* ERC-1155 TransferBatch: the entry; else 0 */
    uint64_t block, log_index;
    uint8_t tx_hash[32];
    struct cs_u256 value; /* the token id for ERC-721; the amount for ERC-1155 (its id
                             is in the stored raw log, entry pos) */
};

/* A value-moving inner frame (CS_XK_INTERNAL or CS_XK_SELFDESTRUCT). */
struct cs_evm_frame {
    uint8_t kind;
    uint8_t from[20], to[20];
    struct cs_u256 value;
};

/* A raw log, as receipts and logs.csv give it.  data is set (and data_len)
 * only for the logs cs_evm_log_wants_data says need it; the source owns it. */
struct cs_evm_log {
    uint8_t addr[20], topic[4][32];
    unsigned ntopics; /* all of them; topic[] holds the first 4 */
    int has_word0;    /* data holds at least one 32-byte word */
    struct cs_u256 word0;
    uint64_t block, log_index;
    uint8_t tx_hash[32];
    const uint8_t *data;
    size_t data_len;
};

/* The event signatures whose raw logs are stored (topic 0 = keccak of the
 * signature).  The default set is the one METHODS names for tracing and
 * linking: Tornado Cash Deposit and Withdrawal, THORChain router Deposit,
 * WETH Deposit and Withdrawal, ERC-20/721 Approval and ApprovalForAll, and
 * ERC-1155 TransferSingle and TransferBatch (their token ids live only
 * there).  At most CS_EVM_LOGSEL_MAX signatures. */
#define CS_EVM_LOGSEL_MAX 64
struct cs_evm_logsel {
    size_t n;
    uint8_t topic[CS_EVM_LOGSEL_MAX][32];
    char name[CS_EVM_LOGSEL_MAX][48]; /* the signature as given, cut to fit */
};
void cs_evm_logsel_default(struct cs_evm_logsel *sel);
/* Adds "Name(type,...)" (hashed) or a 0x-prefixed 32-byte topic.  CS_EUSAGE
 * for anything else or a full set.  An entry already present is not added twice. */
int cs_evm_logsel_add(struct cs_evm_logsel *sel, const char *sig) CS_MUST_CHECK;
/* 1 when a log with this topic 0 is stored. */
int cs_evm_logsel_has(const struct cs_evm_logsel *sel, const uint8_t topic0[32]);
/* 1 when a source must hand over the log's whole data: stored (sel may be
 * NULL: the default set), or an ERC-1155 event (its amounts are in data). */
int cs_evm_log_wants_data(const struct cs_evm_logsel *sel, unsigned ntopics,
                          const uint8_t topic0[32]);

/* The token id of entry pos of an ERC-1155 TransferSingle/TransferBatch
 * with this topic 0 and data: 1, or 0 when it is no such event, malformed,
 * or has no entry pos.  The one decoder of that layout (cs_evm_log_moves
 * reads the amounts through it). */
int cs_evm_erc1155_id(const uint8_t topic0[32], const uint8_t *data, size_t len, unsigned pos,
                      struct cs_u256 *id);
/* Sets l->data from the "0x..." hex of its data when cs_evm_log_wants_data
 * says it is needed (malloc'd: the caller frees l->data), else leaves it
 * NULL.  CS_EFORMAT (no message) when the hex is malformed. */
int cs_evm_log_data_hex(struct cs_evm_log *l, const struct cs_evm_logsel *sel, const char *hex,
                        size_t n) CS_MUST_CHECK;

/* The movements a log is, appended to *mv (grown as needed; *n counts them):
 * a wrap (Deposit) or unwrap (Withdrawal) of the canonical wrapper weth; an
 * ERC-1155 TransferSingle or TransferBatch (one movement per entry, from
 * data, which must be present); and, when transfers is set, an ERC-20 (3
 * topics, amount in data) or ERC-721 (4 topics, token id in topic 3)
 * Transfer.  Returns how many it appended; a malformed event is no movement. */
size_t cs_evm_log_moves(const struct cs_evm_log *l, const uint8_t weth[20], int transfers,
                        struct cs_evm_move **mv, size_t *n, size_t *cap);

/* The kept logs of one block, as cs_evm_block_in takes them. */
struct cs_evm_logbuf {
    struct cs_evm_log_in *v;
    size_t n, cap;
};
/* Appends l (of the block's tx number tx) when sel (NULL: the default set)
 * keeps its topic 0; its data pointer is copied, not the bytes. */
void cs_evm_keep_log(struct cs_evm_logbuf *kb, const struct cs_evm_logsel *sel, uint32_t tx,
                     const struct cs_evm_log *l);
void cs_evm_logbuf_free(struct cs_evm_logbuf *kb);

struct cs_evm_builder {
    struct cs_evm_xfer_in *x;
    size_t n, cap;
};

/* Appends the transfers of the block's tx number idx.  blk gives the fee
 * recipient, the base fee (when CS_EB_BASEFEE) and the number for messages.
 * Returns 0, or CS_EFORMAT when the effective gas price is below the base fee. */
int cs_evm_tx_transfers(struct cs_evm_builder *b, const struct cs_evm_block_in *blk,
                        const struct cs_evm_tx_in *tx, int has_receipt, uint32_t idx,
                        const struct cs_evm_frame *frames, size_t n_frames,
                        const struct cs_evm_move *moves, size_t n_moves) CS_MUST_CHECK;
/* A block-level transfer (CS_XK_REWARD, CS_XK_WITHDRAWAL) of native value to to. */
void cs_evm_block_transfer(struct cs_evm_builder *b, uint8_t kind, const uint8_t to[20],
                           const struct cs_u256 *amount);
void cs_evm_builder_free(struct cs_evm_builder *b);

#endif
