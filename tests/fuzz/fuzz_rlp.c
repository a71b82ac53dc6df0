/* fuzz_rlp.c — libFuzzer target for the RLP decoder: any bytes must give 0
 * or CS_EFORMAT, never a crash or a read outside the input; whatever decodes
 * must re-encode to the same bytes (canonical form is unique), and the
 * scalar readers must agree with the item's width. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evm/rlp.h"

/* Walks items recursively (depth-capped), re-encoding into out. */
static void walk(const struct cs_rlp_item *it, struct cs_rlp_enc *out, int depth)
{
    uint64_t u;
    struct cs_u256 w;
    uint8_t fixed[32];
    if (!it->is_list) {
        cs_rlp_enc_bytes(out, it->payload, it->len);
        if (cs_rlp_u64(it, &u, "u64") == 0 && (it->len > 8 || (it->len && !it->payload[0])))
            abort();
        if (cs_rlp_u256(it, &w, "u256") == 0 && it->len > 32) abort();
        if (it->len <= 32 && cs_rlp_fixed(it, fixed, it->len, "fixed") != 0) abort();
        return;
    }
    cs_rlp_enc_list(out, it->len);
    if (depth > 64) {
        cs_rlp_enc_raw(out, it->payload, it->len);
        return;
    }
    struct cs_rlp_iter iter;
    struct cs_rlp_item child;
    int rc;
    if (cs_rlp_iter_init(&iter, it, "list")) abort();
    while ((rc = cs_rlp_next(&iter, &child)) == 1)
        walk(&child, out, depth + 1);
    if (rc < 0) out->overflow = 1; /* a bad child: the whole item does not round-trip */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cs_rlp_item top;
    if (cs_rlp_decode_all(&top, data, size, 0) != 0) return 0;
    uint8_t *buf = malloc(size + 16);
    struct cs_rlp_enc e;
    size_t len;
    cs_rlp_enc_init(&e, buf, size + 16);
    walk(&top, &e, 0);
    if (cs_rlp_enc_finish(&e, &len) == 0 && (len != size || memcmp(buf, data, size) != 0)) abort();
    free(buf);
    return 0;
}
