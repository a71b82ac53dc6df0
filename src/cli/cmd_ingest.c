/* cmd_ingest.c — `chainsleuth ingest btc --blocks DIR | --rpc URL` and
 * `chainsleuth ingest evm --csv DIR [--chain NAME]` (cmd_evm.c). */
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "btc/ingest.h"
#include "evm/evm.h"
#include "evm/ingest.h"
#include "evm/ledger.h"

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static const char ABOUT[] =
    "Reads Bitcoin blocks into the store, best chain only (most cumulative work),\n"
    "appending only blocks the store does not have yet.  Any network (main, testnet3,\n"
    "testnet4, signet, regtest) is recognised from the blk file magic; Core 28+ xor.dat\n"
    "obfuscation, zero padding, out-of-order and stale blocks are handled.  When the\n"
    "best chain no longer contains the store's tip, the store rolls back to the fork\n"
    "point and re-applies the new branch.  One writer at a time: a second ingest on\n"
    "the same store is refused, naming the pid of the one that holds it.\n"
    "\n"
    "`ingest evm --csv DIR [--chain eth]` reads an ethereum-etl export: blocks.csv\n"
    "(required), transactions.csv, receipts.csv, token_transfers.csv, traces.csv,\n"
    "tokens.csv and logs.csv (each used when present; the summary names the missing\n"
    "ones).  Value transfers per tx: its value, successful inner calls, creates and\n"
    "selfdestructs (traces.csv), ERC-20 and ERC-721 transfers and WETH wraps (logs.csv\n"
    "tells ERC-721 from ERC-20), then the fee (gasUsed x\n"
    "effectiveGasPrice: base fee burned, the rest to the fee recipient); per block\n"
    "rewards and withdrawals.  Without receipts.csv a tx's status and fee are\n"
    "unknown and its value is kept as sent, flagged.\n"
    "`ingest evm --rpc URL [--chain eth] [--from N] [--to M] [--follow]` reads a node:\n"
    "eth_chainId must match the chain; blocks by eth_getBlockByNumber, receipts by\n"
    "eth_getBlockReceipts (else eth_getTransactionReceipt per tx), internal transfers\n"
    "by debug_traceBlockByNumber with the callTracer, else trace_block, else none\n"
    "(and the blocks say so); --rpc-window blocks are fetched with their calls in flight "
    "together;\n"
    "--follow polls and rolls back to the fork point on a reorg (a changed tip hash at\n"
    "the same height counts).\n"
    "`ingest evm --era1 FILE...` reads Era1 archives (pre-merge history), checking\n"
    "every header hash, the transaction and receipt roots and the accumulator;\n"
    "senders are recovered from the signatures; Era1 has no traces, so internal\n"
    "transfers and block rewards are unavailable in those blocks.\n"
    "Every EVM source books ERC-1155 TransferSingle/TransferBatch entries, keeps the\n"
    "raw logs of the events --keep-logs lists (and the default set), and marks\n"
    "zero-value transfers, look-alike tokens and transfers to or from a fresh\n"
    "look-alike of an earlier counterparty (address poisoning).  From a node, a\n"
    "token's symbol, name and decimals come from eth_call when it first moves.\n";

static const char EPILOG[] =
    "Interrupting (Ctrl-C, SIGTERM) commits what was ingested; kill -9 at any moment\n"
    "leaves the last commit intact, and running the same command again resumes.\n";

int cmd_ingest(int argc, char **argv)
{
    struct cs_ingest_opts o;
    cs_ingest_opts_default(&o);
    o.db = cli_default_db();
    const char *blocks = NULL, *network = NULL, *poll = NULL, *csv = NULL,
               *chain = cs_evm_chain_at(0)->name;
    int json = 0, quiet = 0, npos, era1 = 0, no_batch = 0;
    uint64_t timeout = o.rpc_timeout_ms, window = o.rpc_window, commit = 0, max_reorg = o.max_reorg,
             stop = UINT64_MAX, from = UINT64_MAX, to = UINT64_MAX; /* untouched: not given */
    struct cli_strlist keep = {0};
    const struct cli_opt opts[] = {
        CLI_STRING("csv", 0, &csv, "DIR", "evm: an ethereum-etl export directory"),
        CLI_FLAG("era1", 0, &era1, "evm: read the Era1 archives named after the options"),
        CLI_STRING("chain", 0, &chain, "NAME", "evm: the chain (default eth)"),
        CLI_LIST("keep-logs", 0, &keep, "EVENT",
                 "evm: also store the raw logs of EVENT, given as Name(type,...)\n"
                 "or a 0x topic; repeatable.  Always stored: Tornado Cash\n"
                 "Deposit/Withdrawal, THORChain router Deposit, WETH\n"
                 "Deposit/Withdrawal, Approval, ApprovalForAll and ERC-1155\n"
                 "TransferSingle/TransferBatch"),
        CLI_U64("from", 0, &from, "N", 0, INT64_MAX,
                "evm --rpc: the first block of an empty store (default 0)"),
        CLI_U64("to", 0, &to, "N", 0, INT64_MAX,
                "evm --rpc: the last block (default: the node's latest)"),
        CLI_STRING("blocks", 0, &blocks, "DIR",
                   "directory with blk*.dat files (and xor.dat if present)"),
        CLI_STRING("rpc", 0, &o.rpc_url, "URL",
                   "Bitcoin Core-compatible JSON-RPC endpoint (an EVM node's with\n"
                   "`ingest evm`), http:// or https://,\n"
                   "e.g. http://127.0.0.1:8332/ (proxies from http_proxy,\n"
                   "https_proxy and no_proxy in the environment)"),
        CLI_STRING("rpc-user", 0, &o.rpc_user, "USER", "RPC user (with --rpc-password)"),
        CLI_STRING("rpc-password", 0, &o.rpc_password, "PW", "RPC password"),
        CLI_STRING("rpc-cookie", 0, &o.rpc_cookie, "FILE",
                   "read user:password from a .cookie file"),
        CLI_STRING("rpc-cacert", 0, &o.rpc_cacert, "FILE",
                   "https: verify the node against this PEM CA file instead of the\n"
                   "system CA store (verification is always on)"),
        CLI_U64("rpc-timeout", 0, &timeout, "MS", 1, 3600000,
                "deadline of each RPC attempt, name lookup included (default\n"
                "60000); refused/reset connections, HTTP 429 and 5xx are retried\n"
                "up to 5 times with backoff"),
        CLI_U64("rpc-window", 0, &window, "N", 1, 256,
                "RPC calls in flight at once (default 16; 1: one at a time),\n"
                "hides a remote node's latency"),
        CLI_FLAG("rpc-no-batch", 0, &no_batch,
                 "evm --rpc: one call per POST even when the node accepts\n"
                 "JSON-RPC batches (by default a window's calls of one method go\n"
                 "in batch POSTs when a probe batch is answered)"),
        CLI_STRING("network", 0, &network, "NAME",
                   "with --rpc: main, testnet3, testnet4, signet or regtest (default:\n"
                   "what the node's getblockchaininfo says)"),
        CLI_FLAG("follow", 0, &o.follow,
                 "with --rpc: keep polling for new blocks (Ctrl-C to stop)"),
        CLI_STRING("poll", 0, &poll, "SECONDS", "polling interval for --follow (default 5)"),
        CLI_STRING("db", 0, &o.db, "DIR", CLI_HELP_DB),
        CLI_U64("commit-every", 0, &commit, "N", 1, UINT32_MAX,
                "commit after every N blocks (default: every 2 seconds)"),
        CLI_U64("max-reorg", 0, &max_reorg, "N", 0, UINT32_MAX,
                "refuse rollbacks deeper than N blocks (default 100)"),
        CLI_U64("stop-height", 0, &stop, "H", 0, INT32_MAX, "ingest nothing above height H"),
        CLI_FLAG("quiet", 0, &quiet, "no progress on stderr"),
        CLI_FLAG("json", 0, &json, "print the result summary as JSON"),
        CLI_OPT_TABLE_END,
    };
    const struct cli_cmd cmd = {
        "ingest",
        "usage: chainsleuth ingest btc (--blocks DIR | --rpc URL) [options]\n"
        "       chainsleuth ingest evm --csv DIR [--chain NAME] [--db DIR] [--json]\n"
        "       chainsleuth ingest evm --rpc URL [--chain NAME] [--from N] [--to M] [--follow]\n"
        "       chainsleuth ingest evm --era1 FILE... [--chain NAME] [--db DIR]\n",
        ABOUT,
        opts,
        EPILOG,
        NULL};
    int prc = cli_opt_parse(&cmd, argc, argv, &npos);
    if (prc != CLI_OPT_OK) return prc;
    if (npos < 1)
        return cli_usage("ingest", "the first argument is the kind: `ingest btc ...` or "
                                   "`ingest evm ...`");
    if (!strcmp(argv[1], "evm")) {
        if (npos > 1 && !era1) return cli_usage("ingest", "unexpected argument '%s'", argv[2]);
        if ((csv != NULL) + (o.rpc_url != NULL) + era1 != 1)
            return cli_usage(
                "ingest", "ingest evm needs exactly one of --csv DIR, --rpc URL or --era1 FILE...");
        if (era1 && npos < 2) return cli_usage("ingest", "--era1 needs the archive files");
        if (blocks || network || o.rpc_cookie || stop != UINT64_MAX)
            return cli_usage("ingest", "--blocks, --network, --rpc-cookie and --stop-height are "
                                       "for `ingest btc`");
        if (!o.rpc_url && (o.follow || from != UINT64_MAX || to != UINT64_MAX))
            return cli_usage("ingest", "--follow, --from and --to are for --rpc");
        int crc = cli_check_chain("ingest", chain);
        if (crc) return crc;
        if (!cli_chain_is_evm(chain))
            return cli_usage("ingest", "--chain %s is not an EVM chain", chain);
        static struct cs_evm_logsel sel;
        cs_evm_logsel_default(&sel);
        for (size_t i = 0; i < keep.n; i++)
            if (cs_evm_logsel_add(&sel, keep.v[i])) {
                free(keep.v);
                return cli_usage("ingest", "--keep-logs: %s", cs_errmsg());
            }
        free(keep.v);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        if (era1)
            return cli_evm_ingest_era1((const char *const *)argv + 2, (size_t)(npos - 1), o.db,
                                       chain, &sel, commit ? (unsigned)commit : 1000, !quiet, json,
                                       &stop_flag);
        if (csv)
            return cli_evm_ingest(csv, o.db, chain, &sel, commit ? (unsigned)commit : 1000, !quiet,
                                  json, &stop_flag);
        struct cs_evm_rpc_opts ro;
        cs_evm_rpc_opts_default(&ro);
        ro.url = o.rpc_url;
        ro.user = o.rpc_user;
        ro.password = o.rpc_password;
        ro.cacert = o.rpc_cacert;
        ro.db = o.db;
        ro.chain = chain;
        ro.from = from == UINT64_MAX ? -1 : (int64_t)from;
        ro.to = to == UINT64_MAX ? -1 : (int64_t)to;
        ro.window = (unsigned)window;
        ro.timeout_ms = (unsigned)timeout;
        ro.max_reorg = (unsigned)max_reorg;
        if (commit) ro.commit_blocks = (unsigned)commit;
        ro.follow = o.follow;
        ro.progress = !quiet;
        if (poll) ro.poll_seconds = o.poll_seconds;
        ro.stop = &stop_flag;
        ro.logsel = &sel;
        ro.no_batch = no_batch;
        return cli_evm_ingest_rpc(&ro, json);
    }
    if (csv) return cli_usage("ingest", "--csv is for `ingest evm`");
    if (keep.n) {
        free(keep.v);
        return cli_usage("ingest", "--keep-logs is for `ingest evm`");
    }
    int crc = cli_check_chain("ingest", argv[1]);
    if (crc) return crc;
    if (npos > 1) return cli_usage("ingest", "unexpected argument '%s'", argv[2]);
    o.rpc_timeout_ms = (unsigned)timeout;
    o.rpc_window = (unsigned)window;
    if (commit) o.commit_blocks = (unsigned)commit;
    o.max_reorg = (unsigned)max_reorg;
    if (stop != UINT64_MAX) o.stop_height = (int64_t)stop;
    o.progress = !quiet;
    if (poll) {
        char *end;
        o.poll_seconds = strtod(poll, &end);
        if (*end || !(o.poll_seconds > 0) || o.poll_seconds > 86400)
            return cli_usage("ingest", "--poll: not a number of seconds in (0, 86400]: '%s'", poll);
    }
    if (!blocks == !o.rpc_url)
        return cli_usage("ingest", "give exactly one of --blocks DIR or --rpc URL");
    if (o.follow && !o.rpc_url) return cli_usage("ingest", "--follow needs --rpc");
    if (o.rpc_cacert && !o.rpc_url) return cli_usage("ingest", "--rpc-cacert needs --rpc");
    if (network && !o.rpc_url)
        return cli_usage("ingest", "--network is for --rpc (blk files name their network)");
    o.network = network;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    o.stop = &stop_flag;
    struct cs_ingest_stats st;
    int rc;
    if (blocks)
        rc = cs_ingest_blkdir(blocks, &o, &st);
    else
        rc = cs_ingest_rpc(&o, &st);
    if (rc && rc != CS_EINTERRUPTED) return cli_fail_err("ingest", rc);
    double mbs = st.seconds > 0 ? st.bytes / 1e6 / st.seconds : 0;
    if (json) {
        struct cs_json_writer w;
        char secs[32];
        snprintf(secs, sizeof secs, "%.3f", st.seconds);
        cli_json_begin(&w);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "blocks");
        cs_json_writer_u64(&w, st.blocks);
        cs_json_writer_key(&w, "txs");
        cs_json_writer_u64(&w, st.txs);
        cs_json_writer_key(&w, "bytes");
        cs_json_writer_u64(&w, st.bytes);
        cs_json_writer_key(&w, "seconds");
        cs_json_writer_number_text(&w, secs, strlen(secs));
        cs_json_writer_key(&w, "height_before");
        cs_json_writer_i64(&w, st.height_before);
        cs_json_writer_key(&w, "height");
        cs_json_writer_i64(&w, st.height_after);
        cs_json_writer_key(&w, "rolled_back");
        cs_json_writer_u64(&w, st.rolled_back);
        cs_json_writer_key(&w, "interrupted");
        cs_json_writer_bool(&w, rc == CS_EINTERRUPTED);
        cs_json_writer_end_object(&w);
        if (cli_json_end("ingest", &w)) return 1;
    } else if (o.progress) {
        fprintf(
            stderr,
            "ingest: %llu blocks, %llu tx, %.1f MB in %.2f s (%.1f MB/s)%s; height %lld -> %lld",
            (unsigned long long)st.blocks, (unsigned long long)st.txs, st.bytes / 1e6, st.seconds,
            mbs, rc == CS_EINTERRUPTED ? ", interrupted" : "", (long long)st.height_before,
            (long long)st.height_after);
        if (st.rolled_back)
            fprintf(stderr, ", rolled back %llu", (unsigned long long)st.rolled_back);
        fputc('\n', stderr);
    }
    return rc == CS_EINTERRUPTED ? 130 : 0;
}
