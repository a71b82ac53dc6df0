/* cli.h — shared pieces of the command-line front end (src/cli only).
 *
 * Every command is `int cmd_<name>(int argc, char **argv)` with argv[0] the
 * command name; it returns the process exit code: 0 ok, 1 error (one clear
 * message on stderr), 2 usage.  Only this directory calls exit(). */
#ifndef CS_CLI_CLI_H
#define CS_CLI_CLI_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "btc/store.h"
#include "util/json.h"

int cmd_ingest(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_tx(int argc, char **argv);
int cmd_block(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_address(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_tags(int argc, char **argv);
int cmd_cluster(int argc, char **argv);
int cmd_entity(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_screen(int argc, char **argv);

/* Prints "chainsleuth <cmd>: <message>" and returns 1. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the last cs_errmsg() as a failure of cmd; returns 1. */
int cli_fail_err(const char *cmd, int rc);
/* Usage error: one stderr line, "chainsleuth CMD: MESSAGE (see chainsleuth CMD
 * --help)"; returns 2.  Defined in opt.c with the option parser. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Checks --chain: 0, or prints one message and returns 2 for an unknown
 * name (listing the known ones) and 1 for a chain this build cannot store. */
int cli_check_chain(const char *cmd, const char *chain);
/* Opens DB/CHAIN read-only, printing the error; returns 0, 1, or 2 for a bad
 * --chain (see cli_check_chain). */
int cli_open_store(const char *cmd, const char *db, const char *chain, struct cs_store **s);
/* EVM chains (cmd_evm.c): the commands that read a chain dispatch here when
 * --chain names an EVM chain.  Same exit codes as the commands. */
struct cs_evm;
int cli_chain_is_evm(const char *chain);
int cli_evm_open(const char *cmd, const char *db, const char *chain, struct cs_evm **s);
int cli_evm_address(const char *db, const char *chain, const char *arg, int json, uint64_t limit);
int cli_evm_tx(const char *db, const char *chain, const char *arg, int json);
int cli_evm_block(const char *db, const char *chain, const char *arg, int json, int txs);
void cli_evm_info(struct cs_evm *s, struct cs_json_writer *w);
struct cs_evm_rpc_opts;
int cli_evm_ingest_era1(const char *const *files, size_t n, const char *db, const char *chain,
                        unsigned commit, int progress, int json, volatile sig_atomic_t *stop);
int cli_evm_ingest_rpc(const struct cs_evm_rpc_opts *o, int json);
int cli_evm_ingest(const char *dir, const char *db, const char *chain, unsigned commit,
                   int progress, int json, volatile sig_atomic_t *stop);
/* --json output: every JSON document a command prints goes through the writer
 * (util/json.h), so it is valid JSON and valid UTF-8 whatever the strings
 * hold.  cli_json_begin starts a compact document on stdout (print nothing
 * else on stdout until cli_json_end); cli_json_end finishes it, adds a
 * newline and returns 0, or 1 after printing the error (I/O, misuse). */
void cli_json_begin(struct cs_json_writer *w);
int cli_json_end(const char *cmd, struct cs_json_writer *w);
/* "12.34567890" BTC form of a satoshi amount; buf needs 32 bytes. */
const char *cli_btc(uint64_t sat, char buf[32]);
/* Help line of every --db option. */
#define CLI_HELP_CHAIN                                                                             \
    "chain to read (default btc; known: btc and the EVM chains eth, sepolia,\n"                    \
    "bsc, polygon, arbitrum, optimism, base, avalanche, devnet)"
#define CLI_HELP_DB "store directory (default $CHAINSLEUTH_DB or ./chainsleuth.db)"
/* Default database directory: $CHAINSLEUTH_DB or ./chainsleuth.db */
const char *cli_default_db(void);

#endif
