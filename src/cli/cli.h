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
#include "util/amount.h"
#include "util/json.h"
#include "util/u256.h"

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
int cmd_completion(int argc, char **argv);
int cmd_man(int argc, char **argv);
/* The command table of main.c: its size, and entry i's name, function and
 * one-line description. */
size_t cli_command_count(void);
const char *cli_command_name(size_t i, int (**fn)(int, char **), const char **help);
int cmd_links(int argc, char **argv);
int cmd_serve(int argc, char **argv);

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
struct cs_evm_logsel;
int cli_evm_ingest_era1(const char *const *files, size_t n, const char *db, const char *chain,
                        const struct cs_evm_logsel *sel, unsigned commit, int progress, int json,
                        volatile sig_atomic_t *stop);
int cli_evm_ingest_rpc(const struct cs_evm_rpc_opts *o, int json);
int cli_evm_ingest(const char *dir, const char *db, const char *chain,
                   const struct cs_evm_logsel *sel, unsigned commit, int progress, int json,
                   volatile sig_atomic_t *stop);
/* Pieces of cmd_evm.c that cmd_trace_evm.c shares: an asset's JSON keys
 * ("asset", "symbol", "decimals"), an amount in its unit for text, the
 * asset's symbol. */
void cli_evm_json_asset(struct cs_json_writer *w, const struct cs_evm *s, uint64_t asset);
/* key: the account's address in lower case, or null for account 0 */
void cli_evm_json_addr(struct cs_json_writer *w, const char *key, const struct cs_evm *s,
                       uint64_t acct);
/* the EIP-55 address of acct, or "-" for account 0 (out: 43 bytes) */
const char *cli_evm_text_addr(const struct cs_evm *s, uint64_t acct, char out[43]);
const char *cli_evm_text_amount(const struct cs_evm *s, uint64_t asset, const struct cs_u256 *v,
                                char out[CS_AMOUNT_STR_MAX + 48]);
const char *cli_evm_asset_name(const struct cs_evm *s, uint64_t asset, char out[64]);
/* `trace --chain <evm>`: cmd_trace parses the options and comes here. */
struct cli_evm_trace_args {
    const char *db, *chain, *policy, *address, *label, *min_amount, *html;
    const char *const *txs;
    size_t ntxs;
    uint64_t from_block, to_block, until_block; /* UINT64_MAX: not given */
    uint64_t max_hops;
    uint32_t stop_mask;
    int backward, no_cluster, mode; /* mode: 0 text, 'j' json, 'c' csv, 'd' dot, 'h' html */
    int unit_base;
    int check_ledger;
    const char *case_id, *case_title, *investigator;
    const char *cmdline; /* the rerun command, for --html */
    const char *stop_s;  /* --stop-at as given */
    int mixer_links;     /* --through-mixer-links */
};
int cli_evm_trace(const struct cli_evm_trace_args *a);
/* --json output: every JSON document a command prints goes through the writer
 * (util/json.h), so it is valid JSON and valid UTF-8 whatever the strings
 * hold.  cli_json_begin starts a compact document on stdout (print nothing
 * else on stdout until cli_json_end); cli_json_end finishes it, adds a
 * newline and returns 0, or 1 after printing the error (I/O, misuse). */
void cli_json_begin(struct cs_json_writer *w);
int cli_json_end(const char *cmd, struct cs_json_writer *w);
/* Investigator names and notes of entities (names.c; file format there):
 * one record per cluster id given, resolved through the current clustering. */
#define CLI_NAME_MAX 200
#define CLI_NOTE_MAX 4000
struct cli_name_rec {
    uint32_t cid; /* the cluster id the record was given for (an address id) */
    char *name, *note;
};
struct cli_names {
    struct cli_name_rec *v; /* ascending cid */
    size_t n;
};
/* Reads DB/CHAIN/names.tsv (missing: no records).  Returns 0, CS_EIO, or
 * CS_ECORRUPT naming the file and line. */
int cli_names_load(struct cli_names *nm, const char *db, const char *chain);
void cli_names_free(struct cli_names *nm);
/* NULL when text is acceptable as a name (field 'n') or note ('t'), else why not. */
const char *cli_names_check(int field, const char *text);
/* Sets (text "" clears) the name or note of cluster cid, atomically, under
 * the names lock.  Returns 0 or the error (recorded). */
int cli_names_set(const char *db, const char *chain, uint32_t cid, int field, const char *text);

/* What is known about an address (who.c), for `address` and `tx`: the
 * entity attributed to it by the trace's rules (trace/attrib.h: cluster-level
 * when a clustering matches the store, else the address's own tags) and its
 * cluster id (the smallest address id of its cluster, as `entity` takes it;
 * none without a matching clustering). */
struct cs_attrib;
struct cs_attrib_entity;
struct cs_clusterdb;
struct cli_who {
    struct cs_attrib *a;
    struct cs_clusterdb *c;
    struct cli_names names;
    /* the names resolved through the clustering: (current cluster id, record) */
    struct cli_who_name {
        uint32_t cid;
        const struct cli_name_rec *rec;
    } *byc;
    size_t n_byc;
};
/* Reads the tags and maps the clustering of db.  Returns 0, or 1 after
 * printing the error (a damaged tag table); a missing or stale clustering is
 * not an error (no cluster ids). */
int cli_who_open(struct cli_who *w, const char *cmd, const struct cs_store *s, const char *db);
void cli_who_close(struct cli_who *w);
/* Entity of address id addr, or NULL. */
const struct cs_attrib_entity *cli_who_entity(const struct cli_who *w, uint64_t addr);
/* Cluster id of address id addr, or -1. */
int64_t cli_who_cluster(const struct cli_who *w, uint64_t addr);
/* Name and note of cluster cid (" / "-joined when several records land on
 * it) into name/note (empty when none). */
void cli_who_names(const struct cli_who *w, int64_t cid, char *name, size_t ncap, char *note,
                   size_t tcap);
/* "[LABEL; CATEGORY; confidence N; source S; cluster C "NAME"]", "[cluster C]" or "". */
const char *cli_who_text(const struct cli_who *w, uint64_t addr, char *buf, size_t cap);
/* Members "entity": {label, category, confidence, source} or null,
 * "cluster": id or null (unless with_cluster is 0), "cluster_name" and
 * "cluster_note": strings or null, into the open object of jw. */
void cli_who_json(const struct cli_who *w, struct cs_json_writer *jw, uint64_t addr,
                  int with_cluster);
/* Members first_seen, last_seen (heights), first_seen_time, last_seen_time
 * (ISO 8601 UTC), first_seen_timestamp, last_seen_timestamp (seconds), all
 * null when first < 0. */
void cli_json_seen(struct cs_json_writer *w, const struct cs_store *s, int64_t first, int64_t last);
/* Prints head and the note, continuation lines indented under the first. */
void cli_print_note(const char *head, const char *note);
/* "0.1.0"; the git commit the binary was built from ("1a2b3c4d5e6f",
 * "...-dirty" with uncommitted changes under src/, "unknown" outside git). */
const char *cli_version(void);
const char *cli_git_commit(void);
/* Unit of human output (--unit btc|base, CLI_UNIT_OPT): 0 BTC with all
 * eight decimals (default), 1 integer satoshi.  JSON is always satoshi. */
extern int cli_unit_base;
extern const char *const cli_unit_words[];
#define CLI_UNIT_OPT                                                                               \
    CLI_ENUM("unit", 0, &cli_unit_base, "U", cli_unit_words,                                       \
             "unit of amounts in text output: btc (default, 8 decimals) or\n"                      \
             "base (integer satoshi); --json is always integer satoshi")
/* "BTC" or "sat", as cli_unit_base says. Static. */
const char *cli_unit_name(void);
/* A satoshi amount in the unit of cli_unit_base, through the one formatter
 * (util/amount.h): "12.34567890" or "1234567890"; buf needs 32 bytes. */
const char *cli_btc(uint64_t sat, char buf[32]);
/* Parses an amount option (util/amount.h cs_amount_parse_u64: "0.001BTC",
 * "100000sat", a bare number in BTC) into satoshi.  Returns 0, or 2 after
 * printing the usage error naming --opt. */
#define CLI_HELP_AMOUNT "AMOUNT is 0.001BTC, 100000sat, or a bare number in BTC"
int cli_parse_amount(const char *cmd, const char *opt, const char *text, uint64_t *out);
/* Help line of every --db option. */
#define CLI_HELP_CHAIN                                                                             \
    "chain to read (default btc; known: btc and the EVM chains eth, sepolia,\n"                    \
    "bsc, polygon, arbitrum, optimism, base, avalanche, devnet)"
#define CLI_HELP_DB "store directory (default $CHAINSLEUTH_DB or ./chainsleuth.db)"
/* Default database directory: $CHAINSLEUTH_DB or ./chainsleuth.db */
const char *cli_default_db(void);

#endif
