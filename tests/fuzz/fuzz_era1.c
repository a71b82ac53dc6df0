/* fuzz_era1.c — libFuzzer target for an in-memory Era1 parse: any bytes must
 * give 0 or a negative error from cs_era1_open_mem / cs_era1_next, never a
 * crash, a hang, or a read outside the input.  Seeds are tiny valid
 * archives; the input is also tried as a bare header, body item and
 * transaction, so the decoders are reached without a valid container. */
#include <stddef.h>
#include <stdint.h>

#include "evm/era1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cs_era1 *e;
    const struct cs_era1_block *b;
    if (cs_era1_open_mem(&e, data, size, "fuzz", 0) == 0) {
        int rc, guard = 0;
        while ((rc = cs_era1_next(e, &b)) == 1 && guard++ < CS_ERA1_MAX_BLOCKS) {
        }
        cs_era1_close(e);
    }
    struct cs_eth_header h;
    (void)cs_eth_header_decode(&h, data, size);
    struct cs_rlp_item item;
    struct cs_eth_tx tx;
    if (cs_rlp_decode_all(&item, data, size, 0) == 0 && cs_eth_tx_decode(&tx, &item) == 0)
        (void)cs_eth_tx_recover(&tx);
    return 0;
}
