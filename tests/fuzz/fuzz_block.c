/* fuzz_block.c — libFuzzer target for the block and transaction parser and the
 * script classifier: any bytes must give 0 or a negative error, never a crash,
 * a hang, or a read outside the input. */
#include <stddef.h>
#include <stdint.h>

#include "btc/block.h"
#include "btc/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct cs_block_arena arena;
    struct cs_block b;
    struct cs_tx tx;
    size_t used;
    if (cs_block_parse(&b, &arena, data, size, "fuzz", 0, 0) == 0) {
        for (uint32_t t = 0; t < b.n_tx; t++)
            for (uint32_t o = 0; o < b.tx[t].n_out; o++) {
                struct cs_addr a, keys[20];
                char out[96];
                cs_script_classify(b.tx[t].out[o].script, b.tx[t].out[o].script_len, &a);
                cs_addr_format(&a, cs_net_by_name("main"), out);
                cs_script_multisig_keys(b.tx[t].out[o].script, b.tx[t].out[o].script_len, keys, 20);
            }
    }
    if (cs_tx_parse(&tx, &arena, data, size, &used, "fuzz", 0, 0) == 0) {
        for (uint32_t o = 0; o < tx.n_out; o++) {
            struct cs_addr a;
            char out[96];
            cs_script_classify(tx.out[o].script, tx.out[o].script_len, &a);
            cs_addr_format(&a, cs_net_by_name("regtest"), out);
        }
    }
    /* script classifier directly on the raw bytes too */
    struct cs_addr a;
    cs_script_classify(data, size, &a);
    return 0;
}
