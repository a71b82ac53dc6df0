/* cmd_block.c — `chainsleuth block HEIGHT|HASH`. */
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "report/report.h"
#include "util/codec.h"
#include "util/timefmt.h"

static const char ABOUT[] =
    "Shows a block of the store's best chain: hash, header fields, size and\n"
    "transaction count; --txs lists its txids.\n";

int cmd_block(int argc, char **argv)
{
    const char *db = cli_default_db(), *chain = cs_chain_default()->name;
    int json = 0, txs = 0, npos;
    const struct cli_opt opts[] = {
        CLI_STRING("db", 0, &db, "DIR", CLI_HELP_DB),
        CLI_STRING("chain", 0, &chain, "NAME", CLI_HELP_CHAIN),
        CLI_FLAG("json", 0, &json, "print the block as JSON"),
        CLI_FLAG("txs", 0, &txs, "list the txids of its transactions"),
        CLI_OPT_TABLE_END,
    };
    const struct cli_cmd cmd = {
        "block",
        "usage: chainsleuth block HEIGHT|HASH [--db DIR] [--chain NAME] [--json] [--txs]\n",
        ABOUT,
        opts,
        NULL,
        NULL};
    int prc = cli_opt_parse(&cmd, argc, argv, &npos);
    if (prc != CLI_OPT_OK) return prc;
    if (npos != 1) return cli_usage("block", "give one HEIGHT or HASH");
    if (cli_chain_is_evm(chain)) return cli_evm_block(db, chain, argv[1], json, txs);
    struct cs_store *s;
    int orc_ = cli_open_store("block", db, chain, &s);
    if (orc_) return orc_;
    const char *arg = argv[1];
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
        struct cs_json_writer w;
        char bits[9];
        snprintf(bits, sizeof bits, "%08x", hd.bits);
        cli_json_begin(&w);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "height");
        cs_json_writer_u64(&w, h);
        cs_json_writer_key(&w, "hash");
        cs_json_writer_string(&w, hex);
        cs_json_writer_key(&w, "prev");
        cs_json_writer_string(&w, prev);
        cs_json_writer_key(&w, "merkle_root");
        cs_json_writer_string(&w, merkle);
        cs_json_writer_key(&w, "version");
        cs_json_writer_i64(&w, hd.version);
        cs_report_json_time(&w, hd.time);
        cs_json_writer_key(&w, "bits");
        cs_json_writer_string(&w, bits);
        cs_json_writer_key(&w, "nonce");
        cs_json_writer_u64(&w, hd.nonce);
        cs_json_writer_key(&w, "size");
        cs_json_writer_u64(&w, b->size);
        cs_json_writer_key(&w, "n_tx");
        cs_json_writer_u64(&w, b->n_tx);
        if (txs) {
            cs_json_writer_key(&w, "txs");
            cs_json_writer_begin_array(&w);
            for (uint32_t i = 0; i < b->n_tx; i++) {
                cs_hex_rev(hex, cs_store_txid(s, b->first_tx + i));
                cs_json_writer_string(&w, hex);
            }
            cs_json_writer_end_array(&w);
        }
        cs_json_writer_end_object(&w);
        rc = cli_json_end("block", &w);
        cs_store_close(s);
        return rc;
    }
    char when[CS_TIME_ISO_MAX];
    printf("block    %llu\nhash     %s\nprev     %s\nmerkle   %s\nversion  0x%08x\ntime     %s "
           "(%u)\nbits     %08x\nnonce    %u\nsize     %u bytes\ntxs      %u\n",
           (unsigned long long)h, hex, prev, merkle, (unsigned)hd.version,
           cs_time_iso(when, hd.time), hd.time, hd.bits, hd.nonce, b->size, b->n_tx);
    if (txs)
        for (uint32_t i = 0; i < b->n_tx; i++) {
            cs_hex_rev(hex, cs_store_txid(s, b->first_tx + i));
            printf("  %s\n", hex);
        }
    cs_store_close(s);
    return 0;
}
