/* main.c — the chainsleuth command table (git-style: one cmd_<name>.c each). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "cli/cli.h"
#include "util/amount.h"
#include "util/error.h"

#define CS_VERSION "0.1.0"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} COMMANDS[] = {
    {"ingest", cmd_ingest, "read Bitcoin blocks (blk*.dat or node RPC) into the store"},
    {"info", cmd_info, "chain height, tip, counts and UTXO totals of the store"},
    {"block", cmd_block, "show a block by height or hash"},
    {"tx", cmd_tx, "show a transaction with its inputs, outputs and spenders"},
    {"address", cmd_address, "balance, history and transactions of an address"},
    {"decode", cmd_decode, "decode a raw block or transaction (file or hex) without a store"},
    {"verify", cmd_verify, "check the store's consistency and print column checksums"},
    {"tags", cmd_tags, "import and list attribution tags (OFAC lists and SDN, TagPacks, CSV)"},
    {"cluster", cmd_cluster,
     "group addresses into entities (multi-input, CoinJoin vetoes, change)"},
    {"trace", cmd_trace,
     "follow stolen funds forward or backward under a taint policy; case reports"},
    {"entity", cmd_entity,
     "size, balance, tags and members of a cluster; --why links two addresses"},
    {"screen", cmd_screen,
     "exposure to tagged entities and a risk level per address or transaction"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: chainsleuth <command> [options]\n\n"
               "chainsleuth " CS_VERSION " — blockchain forensics on one machine, offline.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(f, "  %-9s %s\n", COMMANDS[i].name, COMMANDS[i].help);
    fprintf(f, "\n`chainsleuth <command> --help` describes a command.\n"
               "Exit codes: 0 ok, 1 error, 2 usage.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *c = argv[1];
    if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(c, "--version") || !strcmp(c, "version")) {
        printf("chainsleuth %s\n", CS_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (!strcmp(c, COMMANDS[i].name)) {
            int rc = COMMANDS[i].fn(argc - 1, argv + 1);
            /* a store walk that met a damaged link ended early: whatever the
             * command printed is not to be trusted */
            const char *bad = cs_store_corruption();
            if (bad && rc == 0) {
                fprintf(stderr, "chainsleuth %s: %s\n", c, bad);
                rc = 1;
            }
            return rc;
        }
    fprintf(stderr, "chainsleuth: '%s' is not a command; see chainsleuth --help\n", c);
    return 2;
}

int cli_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "chainsleuth %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int cli_fail_err(const char *cmd, int rc)
{
    return cli_fail(cmd, "%s", rc ? cs_errmsg() : "failed");
}

int cli_check_chain(const char *cmd, const char *chain)
{
    const struct cs_chain *c;
    int rc = cs_chain_storable(chain, &c);
    if (rc == CS_EUSAGE) return cli_usage(cmd, "%s", cs_errmsg());
    if (rc) return cli_fail_err(cmd, rc);
    return 0;
}

int cli_open_store(const char *cmd, const char *db, const char *chain, struct cs_store **s)
{
    int rc = cli_check_chain(cmd, chain);
    if (rc) return rc;
    if (cli_chain_is_evm(chain))
        return cli_fail(cmd, "chain %s: `%s` is not built for EVM chains yet", chain, cmd);
    rc = cs_store_open(s, db, chain, CS_STORE_READ, NULL);
    if (rc) return cli_fail_err(cmd, rc);
    return 0;
}

void cli_json_begin(struct cs_json_writer *w)
{
    cs_json_writer_init_file(w, stdout, 0);
}

int cli_json_end(const char *cmd, struct cs_json_writer *w)
{
    int rc = cs_json_writer_finish(w, NULL, NULL);
    if (rc) return cli_fail_err(cmd, rc);
    if (putchar('\n') == EOF || fflush(stdout)) return cli_fail(cmd, "writing the JSON failed");
    return 0;
}

const char *cli_btc(uint64_t sat, char buf[32])
{
    /* the one amount formatter; a u64 of satoshi needs at most 21 bytes */
    char t[CS_AMOUNT_STR_MAX];
    size_t n = cs_amount_format_u64(t, cs_btc_asset(), sat, 0);
    memcpy(buf, t, n + 1);
    return buf;
}

const char *cli_default_db(void)
{
    const char *e = getenv("CHAINSLEUTH_DB");
    return e && *e ? e : "chainsleuth.db";
}
