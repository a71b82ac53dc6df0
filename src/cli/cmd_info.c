/* cmd_info.c — `chainsleuth info`: what the store holds. */
#include <string.h>
#include <sys/stat.h>

#include "chain/chain.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "evm/store.h"
#include "util/codec.h"

static const char ABOUT[] =
    "Height, tip hash, transaction/input/output/address counts, the UTXO set and\n"
    "the bytes the columns take.\n"
    "utxo_count/utxo_total: every unspent output whose script does not start with\n"
    "OP_RETURN, the genesis coinbase included (it is an unspent output on the chain).\n"
    "core_utxo_count/core_utxo_total: the same without the genesis block's outputs,\n"
    "which Bitcoin Core (and bcoin) never add to their coin database: these equal\n"
    "a node's gettxoutsetinfo.\n";

/* Reports one opened chain: as one member of the "chains" object (w != NULL)
 * or as the text block. */
static void info_chain(struct cs_store *s, struct cs_json_writer *w)
{
    const struct cs_counts *k = cs_store_counts(s);
    uint64_t uc, ut, bytes = 0;
    cs_store_utxo(s, &uc, &ut);
    for (int col = 0; col < CS_COL_COUNT; col++) {
        uint8_t h[32];
        uint64_t b;
        if (col == CS_COL_OUTNEXT || col == CS_COL_ADDRHEAD) continue; /* adjacency index */
        cs_store_col_checksum(s, col, h, &b);
        bytes += b;
    }
    /* the genesis block's outputs, which nodes leave out of their UTXO set */
    uint64_t gc = 0, gt = 0;
    if (k->blocks) {
        const struct cs_blockrec *g = cs_store_block(s, 0);
        for (uint64_t t = g->first_tx; t < g->first_tx + g->n_tx; t++) {
            uint64_t f, n;
            cs_store_tx_outs(s, t, &f, &n);
            for (uint64_t o = f; o < f + n; o++) {
                if (cs_store_spent_by(s, o) != CS_NONE64) continue;
                if (cs_store_addr(s, cs_store_out(s, o)->addr)->type == CS_ADDR_OPRETURN) continue;
                gc++;
                gt += cs_store_out(s, o)->value;
            }
        }
    }
    char tip[65] = "", btc[32];
    if (k->blocks) cs_hex_rev(tip, cs_store_block(s, k->blocks - 1)->hash);
    int64_t height = cs_store_height(s);
    uint64_t naddr = k->addr ? k->addr - 1 : 0;
    if (w) {
        cs_json_writer_key(w, cs_store_chain(s));
        cs_json_writer_begin_object(w);
        cs_json_writer_key(w, "network");
        cs_json_writer_string(w, cs_store_net(s)->name);
        cs_json_writer_key(w, "height");
        cs_json_writer_i64(w, height);
        cs_json_writer_key(w, "tip");
        cs_json_writer_string(w, tip);
        const struct {
            const char *key;
            uint64_t v;
        } nums[] = {{"blocks", k->blocks},
                    {"txs", k->tx},
                    {"inputs", k->in},
                    {"outputs", k->out},
                    {"addresses", naddr},
                    {"utxo_count", uc},
                    {"utxo_total", ut},
                    {"core_utxo_count", uc - gc},
                    {"core_utxo_total", ut - gt},
                    {"column_bytes", bytes}};
        for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
            cs_json_writer_key(w, nums[i].key);
            cs_json_writer_u64(w, nums[i].v);
        }
        cs_json_writer_end_object(w);
    } else {
        printf("chain      %s (%s)\n", cs_store_chain(s), cs_store_net(s)->name);
        printf("height     %lld\n", (long long)height);
        printf("tip        %s\n", k->blocks ? tip : "-");
        printf("txs        %llu\n", (unsigned long long)k->tx);
        printf("inputs     %llu\n", (unsigned long long)k->in);
        printf("outputs    %llu\n", (unsigned long long)k->out);
        printf("addresses  %llu\n", (unsigned long long)naddr);
        char btc2[32];
        printf("utxos      %llu holding %s %s\n", (unsigned long long)uc, cli_btc(ut, btc),
               cli_unit_name());
        printf("           %llu holding %s %s without the genesis outputs (as nodes count)\n",
               (unsigned long long)(uc - gc), cli_btc(ut - gt, btc2), cli_unit_name());
        printf("columns    %llu bytes (%.1f per tx, before indexes)\n", (unsigned long long)bytes,
               k->tx ? (double)bytes / k->tx : 0.0);
    }
}

/* 1 if DB/NAME exists as a directory. */
static int chain_present(const char *db, const char *name)
{
    char path[4096];
    struct stat st;
    int n = snprintf(path, sizeof path, "%s/%s", db, name);
    return n > 0 && (size_t)n < sizeof path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int cmd_info(int argc, char **argv)
{
    const char *db = cli_default_db(), *chain = NULL;
    int json = 0, npos;
    const struct cli_opt opts[] = {
        CLI_STRING("db", 0, &db, "DIR", CLI_HELP_DB),
        CLI_STRING("chain", 0, &chain, "NAME",
                   "report only this chain (default: every chain in DIR)"),
        CLI_FLAG("json", 0, &json, "print the result as JSON"),
        CLI_UNIT_OPT,
        CLI_OPT_TABLE_END,
    };
    const struct cli_cmd cmd = {
        "info", "usage: chainsleuth info [--db DIR] [--chain NAME] [--json]\n", ABOUT, opts, NULL,
        NULL};
    int prc = cli_opt_parse(&cmd, argc, argv, &npos);
    if (prc != CLI_OPT_OK) return prc;
    if (npos) return cli_usage("info", "unexpected argument '%s'", argv[1]);
    /* the chains to report: --chain alone, else every registered chain whose
     * folder is in DIR, else the default chain (whose open error says why) */
    const char *names[16];
    size_t n = 0;
    if (chain) {
        int crc = cli_check_chain("info", chain);
        if (crc) return crc;
        names[n++] = chain;
    } else {
        for (size_t i = 0; i < cs_chain_count() && n < sizeof names / sizeof names[0]; i++)
            if (cs_chain_at(i)->stored && chain_present(db, cs_chain_at(i)->name))
                names[n++] = cs_chain_at(i)->name;
        if (!n) names[n++] = cs_chain_default()->name;
    }
    struct cs_store *s[16] = {0};
    struct cs_evm *e[16] = {0};
    for (size_t i = 0; i < n; i++) {
        int orc = cli_chain_is_evm(names[i]) ? cli_evm_open("info", db, names[i], &e[i])
                                             : cli_open_store("info", db, names[i], &s[i]);
        if (orc) {
            while (i--) {
                cs_store_close(s[i]);
                cs_evm_close(e[i]);
            }
            return orc;
        }
    }
    int rc = 0;
    if (json) {
        struct cs_json_writer w;
        cli_json_begin(&w);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "chains");
        cs_json_writer_begin_object(&w);
        for (size_t i = 0; i < n; i++)
            if (e[i])
                cli_evm_info(e[i], &w);
            else
                info_chain(s[i], &w);
        cs_json_writer_end_object(&w);
        cs_json_writer_end_object(&w);
        rc = cli_json_end("info", &w);
    } else {
        for (size_t i = 0; i < n; i++) {
            if (i) putchar('\n');
            if (e[i])
                cli_evm_info(e[i], NULL);
            else
                info_chain(s[i], NULL);
        }
    }
    for (size_t i = 0; i < n; i++) {
        cs_store_close(s[i]);
        cs_evm_close(e[i]);
    }
    return rc;
}
