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
    uint64_t block, log_index;
    uint8_t tx_hash[32];
    struct cs_u256 value; /* the token id for ERC-721 */
};

/* A value-moving inner frame (CS_XK_INTERNAL or CS_XK_SELFDESTRUCT). */
struct cs_evm_frame {
    uint8_t kind;
    uint8_t from[20], to[20];
    struct cs_u256 value;
};

/* A raw log, as receipts and logs.csv give it. */
struct cs_evm_log {
    uint8_t addr[20], topic[4][32];
    unsigned ntopics; /* all of them; topic[] holds the first 4 */
    int has_word0;    /* data holds at least one 32-byte word */
    struct cs_u256 word0;
    uint64_t block, log_index;
    uint8_t tx_hash[32];
};

/* The movement a log is, if any: a wrap (Deposit) or unwrap (Withdrawal) of
 * the canonical wrapper weth, and, when transfers is set, an ERC-20 (3
 * topics, amount in data) or ERC-721 (4 topics, token id in topic 3)
 * Transfer.  Returns 1 and fills *m, or 0 for any other log. */
int cs_evm_log_move(const struct cs_evm_log *l, const uint8_t weth[20], int transfers,
                    struct cs_evm_move *m);

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
