/* fuzz_snappy_frame.c — libFuzzer target for the snappy framing decoder: any
 * bytes must give 0, CS_EFORMAT or CS_ERANGE, never a write past the output
 * cap; what decodes must survive encode + decode unchanged. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evm/snappy.h"

#define CAP (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[CAP], back[CAP];
    size_t n, m, elen;
    /* a small cap too, so the cap check is exercised at every size */
    (void)cs_snappy_frame_decode(out, 100, &n, data, size, "fuzz", 0);
    if (cs_snappy_frame_decode(out, CAP, &n, data, size, "fuzz", 0) != 0) return 0;
    size_t bound = cs_snappy_frame_bound(n);
    uint8_t *enc = malloc(bound);
    if (cs_snappy_frame_encode(enc, bound, &elen, out, n) != 0) abort();
    if (cs_snappy_frame_decode(back, CAP, &m, enc, elen, "fuzz", 0) != 0) abort();
    if (m != n || memcmp(back, out, n) != 0) abort();
    free(enc);
    return 0;
}
