/* cmd_verify.c — `chainsleuth verify`: consistency check and column checksums. */
#include <string.h>

#include "chain/chain.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "evm/store.h"
#include "util/codec.h"

static const char ABOUT[] =
    "Prints the SHA-256 of the committed bytes of every column (two stores holding\n"
    "the same chain print the same lines), then checks that every txid and address\n"
    "is found through its index, that spent pointers and inputs agree, and that\n"
    "every address's output list is well formed. Exit 1 on the first inconsistency.\n"
    "Every byte of the append-only columns is checked against the per-chunk\n"
    "checksums in MANIFEST, so a flipped byte in any column is found.\n";

/* the --json document's tail: "consistent", "error" (null or the message) */
static int json_end(struct cs_json_writer *w, int rc)
{
    cs_json_writer_key(w, "consistent");
    cs_json_writer_bool(w, rc == 0);
    cs_json_writer_key(w, "error");
    if (rc)
        cs_json_writer_string(w, cs_errmsg());
    else
        cs_json_writer_null(w);
    cs_json_writer_end_object(w);
    int jrc = cli_json_end("verify", w);
    if (rc) return cli_fail_err("verify", rc);
    return jrc;
}

int cmd_verify(int argc, char **argv)
{
    const char *db = cli_default_db(), *chain = cs_chain_default()->name;
    int only = 0, quick = 0, json = 0, npos;
    const struct cli_opt opts[] = {
        CLI_STRING("db", 0, &db, "DIR", CLI_HELP_DB),
        CLI_STRING("chain", 0, &chain, "NAME", CLI_HELP_CHAIN),
        CLI_FLAG("checksums-only", 0, &only, "print the column checksums, check nothing"),
        CLI_FLAG("quick", 0, &quick,
                 "only the sampled checks (partial last chunks, 1,024 entries of the\n"
                 "in-place columns): milliseconds on any store"),
        CLI_FLAG("json", 0, &json,
                 "print {chain, columns[{name, bytes, sha256}], checks, consistent,\n"
                 "error} (EVM: counts instead of columns); on an inconsistency the\n"
                 "document has consistent false and the message, and the exit code is 1"),
        CLI_OPT_TABLE_END,
    };
    const struct cli_cmd cmd = {
        "verify",
        "usage: chainsleuth verify [--db DIR] [--chain NAME] [--checksums-only] [--quick] "
        "[--json]\n",
        ABOUT,
        opts,
        NULL,
        NULL};
    int prc = cli_opt_parse(&cmd, argc, argv, &npos);
    if (prc != CLI_OPT_OK) return prc;
    if (npos) return cli_usage("verify", "unexpected argument '%s'", argv[1]);
    struct cs_store *s;
    struct cs_json_writer w;
    const char *checks = only ? "none" : quick ? "sampled" : "full";
    /* verify makes the full check itself, so open skips the sampled one */
    int orc = cli_check_chain("verify", chain);
    if (orc) return orc;
    if (cli_chain_is_evm(chain)) { /* every checksum, index entry and account list */
        struct cs_evm *e;
        if ((orc = cs_evm_open(&e, db, chain, CS_EVM_READ | CS_EVM_NOCHECK)))
            return cli_fail_err("verify", orc);
        const struct cs_evm_counts *k = cs_evm_counts(e);
        if (json) {
            cli_json_begin(&w);
            cs_json_writer_begin_object(&w);
            cs_json_writer_key(&w, "chain");
            cs_json_writer_string(&w, chain);
            const struct {
                const char *key;
                uint64_t v;
            } nums[] = {{"blocks", k->blocks},
                        {"txs", k->tx},
                        {"transfers", k->xfer},
                        {"accounts", k->acct ? k->acct - 1 : 0}};
            for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
                cs_json_writer_key(&w, nums[i].key);
                cs_json_writer_u64(&w, nums[i].v);
            }
            cs_json_writer_key(&w, "checks");
            cs_json_writer_string(&w, "full");
        } else {
            printf("%s: %llu blocks, %llu txs, %llu transfers, %llu accounts\n", chain,
                   (unsigned long long)k->blocks, (unsigned long long)k->tx,
                   (unsigned long long)k->xfer, (unsigned long long)(k->acct ? k->acct - 1 : 0));
        }
        int rc = cs_evm_verify(e);
        cs_evm_close(e);
        if (json) return json_end(&w, rc);
        if (rc) return cli_fail_err("verify", rc);
        printf("consistent\n");
        return 0;
    }
    orc = cs_store_open(&s, db, chain, CS_STORE_READ | CS_STORE_NOCHECK, NULL);
    if (orc) return cli_fail_err("verify", orc);
    if (json) {
        cli_json_begin(&w);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "chain");
        cs_json_writer_string(&w, chain);
        cs_json_writer_key(&w, "height");
        cs_json_writer_i64(&w, cs_store_height(s));
        cs_json_writer_key(&w, "columns");
        cs_json_writer_begin_array(&w);
    }
    for (int col = 0; col < CS_COL_COUNT; col++) {
        uint8_t h[32];
        char hex[65];
        uint64_t b;
        cs_store_col_checksum(s, col, h, &b);
        cs_hex(hex, h, 32);
        if (json) {
            cs_json_writer_begin_object(&w);
            cs_json_writer_key(&w, "name");
            cs_json_writer_string(&w, cs_store_col_name(col));
            cs_json_writer_key(&w, "bytes");
            cs_json_writer_u64(&w, b);
            cs_json_writer_key(&w, "sha256");
            cs_json_writer_string(&w, hex);
            cs_json_writer_end_object(&w);
        } else {
            printf("%-13s %12llu %s\n", cs_store_col_name(col), (unsigned long long)b, hex);
        }
    }
    int rc = 0;
    if (json) {
        cs_json_writer_end_array(&w);
        cs_json_writer_key(&w, "checks");
        cs_json_writer_string(&w, checks);
        cs_json_writer_key(&w, "column_checksums");
        cs_json_writer_bool(&w, cs_store_has_checksums(s));
    }
    if (!only) rc = cs_store_verify(s, quick ? CS_VERIFY_QUICK : 0, NULL, NULL);
    if (json) {
        rc = json_end(&w, rc);
        cs_store_close(s);
        return rc;
    }
    if (rc) {
        cs_store_close(s);
        return cli_fail_err("verify", rc);
    }
    if (!only)
        printf("%s\n", quick ? "consistent (sampled checks)"
                       : cs_store_has_checksums(s)
                           ? "consistent"
                           : "consistent (no column checksums: the store was "
                             "written before format 2; the next ingest adds them)");
    cs_store_close(s);
    return 0;
}
