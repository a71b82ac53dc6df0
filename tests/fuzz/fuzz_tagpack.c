/* fuzz_tagpack.c — libFuzzer target for the tag importers: the YAML subset
 * parser, the TagPack/CSV/OFAC readers and the per-chain address checks.
 *
 * The first byte picks the format (auto, csv, ofac-list, ofac-sdn-csv,
 * tagpack) and the rest is the file.  Beyond "no crash, no hang, no leak":
 * an accepted import must account for every row (added + updated + unchanged
 * + rejected = rows), every stored address must normalise to itself and be
 * found by lookup, and the bytes are also tried directly as an address on
 * every chain. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tags/tags.h"
#include "util/yaml.h"

static const char *const chains[] = {"btc", "ltc", "bch", "bsv", "btg", "dash", "doge", "xvg",
                                     "zec", "trx", "xrp", "xmr", "eth", "bsc",  "eos"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int fmt = data[0] % 5;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    struct cs_yaml_doc *doc;
    if (cs_yaml_parse(text, len, "fuzz", &doc) == 0) {
        if (!cs_yaml_root(doc)) abort();
        cs_yaml_free(doc);
    }

    struct cs_tagdb *db;
    if (cs_tagdb_open(NULL, 0, &db)) abort();
    struct cs_tag_import_opts o = {.format = fmt,
                                   .category = data[0] & 8 ? "scam" : NULL,
                                   .source = data[0] & 16 ? "fuzz" : NULL};
    struct cs_tag_import_result r;
    int rc = cs_tagdb_import_buf(db, text, len, "sanctioned_addresses_XBT.txt", &o, &r);
    if (rc == 0) {
        if (r.added + r.updated + r.unchanged + r.rejected != r.rows) abort();
        if (cs_tagdb_count(db) != r.added) abort();
        for (size_t i = 0; i < cs_tagdb_count(db); i++) {
            struct cs_tag t, found[4];
            char canon[CS_TAG_ADDR_MAX];
            cs_tagdb_get(db, i, &t);
            if (cs_tag_normalize_address(t.chain, t.address, canon, sizeof canon, NULL, 0) ||
                strcmp(canon, t.address))
                abort();
            if (cs_tagdb_lookup(db, t.chain, t.address, found, 4) == 0) abort();
        }
    }
    cs_tag_import_result_free(&r);
    cs_tagdb_close(db);

    char addr[256], canon[CS_TAG_ADDR_MAX], why[160];
    size_t n = len < sizeof addr - 1 ? len : sizeof addr - 1;
    memcpy(addr, text, n);
    addr[n] = 0;
    for (size_t i = 0; i < sizeof chains / sizeof chains[0]; i++)
        if (cs_tag_normalize_address(chains[i], addr, canon, sizeof canon, why, sizeof why) == 0 &&
            strlen(canon) >= CS_TAG_ADDR_MAX)
            abort();
    return 0;
}
