/* cmd_block.c — `chainsleuth block HEIGHT|HASH`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/codec.h"

static const char USAGE[] =
    "usage: chainsleuth block HEIGHT|HASH [--db DIR] [--json] [--txs]\n\n"
    "Shows a block of the store's best chain: hash, header fields, size and\n"
    "transaction count; --txs lists its txids.\n";

int cmd_block(int argc, char **argv)
{
    const char *db = cli_default_db();
    int json = 0, txs = 0, c;
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"json", no_argument, 0, 'j'},
                                         {"txs", no_argument, 0, 't'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'j')
            json = 1;
        else if (c == 't')
            txs = 1;
        else if (c == 'h') {
            fputs(USAGE, stdout);
            return 0;
        } else
            return cli_usage("block", "unknown option");
    }
    if (optind + 1 != argc) return cli_usage("block", "give one HEIGHT or HASH");
    struct cs_store *s;
    if (cli_open_store("block", db, &s)) return 1;
    const char *arg = argv[optind];
    uint64_t h;
    int rc = 0;
    if (strlen(arg) == 64) {
        uint8_t hash[32];
        if (cs_unhex_rev32(hash, arg))
            rc = cli_usage("block", "'%s' is not a hex block hash", arg);
        else if (cs_store_find_block(s, hash, &h))
            rc = cli_fail("block", "%s: not on the store's chain", arg);
    } else {
        char *end;
        h = strtoull(arg, &end, 10);
        if (*end || !*arg)
            rc = cli_usage("block", "'%s' is neither a height nor a 64-digit hash", arg);
        else if (h >= cs_store_counts(s)->blocks)
            rc = cli_fail("block", "height %s is above the tip (%lld)", arg,
                          (long long)cs_store_height(s));
    }
    if (rc) {
        cs_store_close(s);
        return rc;
    }
    const struct cs_blockrec *b = cs_store_block(s, h);
    struct cs_header hd;
    uint8_t hash[32];
    char hex[65], prev[65], merkle[65];
    cs_header_parse(b->header, &hd, hash);
    cs_hex_rev(hex, b->hash);
    cs_hex_rev(prev, hd.prev);
    cs_hex_rev(merkle, hd.merkle);
    if (json) {
        printf("{\"height\":%llu,\"hash\":\"%s\",\"prev\":\"%s\",\"merkle_root\":\"%s\","
               "\"version\":%d,"
               "\"time\":%u,\"bits\":\"%08x\",\"nonce\":%u,\"size\":%u,\"n_tx\":%u",
               (unsigned long long)h, hex, prev, merkle, hd.version, hd.time, hd.bits, hd.nonce,
               b->size, b->n_tx);
    } else {
        printf(
            "block    %llu\nhash     %s\nprev     %s\nmerkle   %s\nversion  0x%08x\ntime     %u\n"
            "bits     %08x\nnonce    %u\nsize     %u bytes\ntxs      %u\n",
            (unsigned long long)h, hex, prev, merkle, (unsigned)hd.version, hd.time, hd.bits,
            hd.nonce, b->size, b->n_tx);
    }
    if (txs) {
        if (json) printf(",\"txs\":[");
        for (uint32_t i = 0; i < b->n_tx; i++) {
            cs_hex_rev(hex, cs_store_txid(s, b->first_tx + i));
            if (json)
                printf("%s\"%s\"", i ? "," : "", hex);
            else
                printf("  %s\n", hex);
        }
        if (json) printf("]");
    }
    if (json) printf("}\n");
    cs_store_close(s);
    return 0;
}
