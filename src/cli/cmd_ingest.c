/* cmd_ingest.c — `chainsleuth ingest btc --blocks DIR | --rpc URL`. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/ingest.h"

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static const char USAGE[] =
    "usage: chainsleuth ingest btc (--blocks DIR | --rpc URL) [options]\n"
    "\n"
    "Reads Bitcoin blocks into the store, best chain only (most cumulative work),\n"
    "appending only blocks the store does not have yet.  Any network (main, testnet3,\n"
    "testnet4, signet, regtest) is recognised from the blk file magic; Core 28+ xor.dat\n"
    "obfuscation, zero padding, out-of-order and stale blocks are handled.  When the\n"
    "best chain no longer contains the store's tip, the store rolls back to the fork\n"
    "point and re-applies the new branch.\n"
    "\n"
    "  --blocks DIR         directory with blk*.dat files (and xor.dat if present)\n"
    "  --rpc URL            Bitcoin Core-compatible JSON-RPC endpoint, http:// or https://,\n"
    "                       e.g. http://127.0.0.1:8332/ (proxies from http_proxy,\n"
    "                       https_proxy and no_proxy in the environment)\n"
    "  --rpc-user USER      RPC user (with --rpc-password)\n"
    "  --rpc-password PW    RPC password\n"
    "  --rpc-cookie FILE    read user:password from a .cookie file\n"
    "  --rpc-cacert FILE    https: verify the node against this PEM CA file instead of the\n"
    "                       system CA store (verification is always on)\n"
    "  --rpc-timeout MS     deadline of each RPC attempt, name lookup included, 1..3600000\n"
    "                       (default 60000); refused/reset connections, HTTP 429 and 5xx\n"
    "                       are retried up to 5 times with backoff\n"
    "  --rpc-window N       RPC calls in flight at once, 1..256 (default 16; 1: one at a\n"
    "                       time), hides a remote node's latency\n"
    "  --network NAME       with --rpc: main, testnet3, testnet4, signet or regtest (default:\n"
    "                       what the node's getblockchaininfo says, else main)\n"
    "  --follow             with --rpc: keep polling for new blocks (Ctrl-C to stop)\n"
    "  --poll SECONDS       polling interval for --follow (default 5)\n"
    "  --db DIR             store directory (default $CHAINSLEUTH_DB or ./chainsleuth.db)\n"
    "  --commit-every N     commit after every N blocks (default: every 2 seconds)\n"
    "  --max-reorg N        refuse rollbacks deeper than N blocks (default 100)\n"
    "  --stop-height H      ingest nothing above height H\n"
    "  --quiet              no progress on stderr\n"
    "  --json               print the result summary as JSON\n"
    "\n"
    "Interrupting (Ctrl-C, SIGTERM) commits what was ingested; kill -9 at any moment\n"
    "leaves the last commit intact, and running the same command again resumes.\n";

int cmd_ingest(int argc, char **argv)
{
    struct cs_ingest_opts o;
    cs_ingest_opts_default(&o);
    o.db = cli_default_db();
    o.progress = 1;
    const char *blocks = NULL;
    int json = 0;
    static const struct option opts[] = {{"blocks", required_argument, 0, 'b'},
                                         {"rpc", required_argument, 0, 'r'},
                                         {"rpc-user", required_argument, 0, 'u'},
                                         {"rpc-password", required_argument, 0, 'p'},
                                         {"rpc-cookie", required_argument, 0, 'c'},
                                         {"rpc-cacert", required_argument, 0, 'A'},
                                         {"rpc-timeout", required_argument, 0, 'T'},
                                         {"rpc-window", required_argument, 0, 'W'},
                                         {"follow", no_argument, 0, 'f'},
                                         {"poll", required_argument, 0, 'P'},
                                         {"db", required_argument, 0, 'd'},
                                         {"commit-every", required_argument, 0, 'C'},
                                         {"max-reorg", required_argument, 0, 'M'},
                                         {"stop-height", required_argument, 0, 'S'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"json", no_argument, 0, 'j'},
                                         {"network", required_argument, 0, 'n'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "btc") != 0)
        return cli_usage(
            "ingest",
            "the first argument is the chain: `ingest btc ...` (EVM ingest is not built yet)");
    argc--;
    argv++;
    optind = 1;
    int c;
    const char *network = NULL;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'b':
            blocks = optarg;
            break;
        case 'r':
            o.rpc_url = optarg;
            break;
        case 'u':
            o.rpc_user = optarg;
            break;
        case 'p':
            o.rpc_password = optarg;
            break;
        case 'c':
            o.rpc_cookie = optarg;
            break;
        case 'A':
            o.rpc_cacert = optarg;
            break;
        case 'T':
        case 'W': {
            /* digits only: no sign, no spaces, no trailing garbage, no overflow */
            unsigned long lo = 1, hi = c == 'T' ? 3600000 : 256, v = 0;
            const char *q = optarg;
            int ok = *q != 0;
            for (; *q && ok; q++) {
                if (*q < '0' || *q > '9' || v > hi)
                    ok = 0;
                else
                    v = v * 10 + (unsigned long)(*q - '0');
            }
            if (!ok || v < lo || v > hi)
                return cli_usage("ingest", "%s: not an integer in %lu..%lu: %s",
                                 c == 'T' ? "--rpc-timeout" : "--rpc-window", lo, hi, optarg);
            if (c == 'T')
                o.rpc_timeout_ms = (unsigned)v;
            else
                o.rpc_window = (unsigned)v;
            break;
        }
        case 'f':
            o.follow = 1;
            break;
        case 'n':
            network = optarg;
            break;
        case 'P':
            o.poll_seconds = strtod(optarg, &end);
            if (*end || o.poll_seconds <= 0)
                return cli_usage("ingest", "--poll: not a positive number: %s", optarg);
            break;
        case 'd':
            o.db = optarg;
            break;
        case 'C':
            o.commit_blocks = (unsigned)strtoul(optarg, &end, 10);
            if (*end || !o.commit_blocks)
                return cli_usage("ingest", "--commit-every: not a positive integer: %s", optarg);
            break;
        case 'M':
            o.max_reorg = (unsigned)strtoul(optarg, &end, 10);
            if (*end) return cli_usage("ingest", "--max-reorg: not an integer: %s", optarg);
            break;
        case 'S':
            o.stop_height = strtoll(optarg, &end, 10);
            if (*end || o.stop_height < 0)
                return cli_usage("ingest", "--stop-height: not a height: %s", optarg);
            break;
        case 'q':
            o.progress = 0;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            fputs(USAGE, stdout);
            return 0;
        default:
            return cli_usage("ingest", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("ingest", "unexpected argument '%s'", argv[optind]);
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
        printf(
            "{\"blocks\":%llu,\"txs\":%llu,\"bytes\":%llu,\"seconds\":%.3f,\"height_before\":%lld,"
            "\"height\":%lld,\"rolled_back\":%llu,\"interrupted\":%s}\n",
            (unsigned long long)st.blocks, (unsigned long long)st.txs, (unsigned long long)st.bytes,
            st.seconds, (long long)st.height_before, (long long)st.height_after,
            (unsigned long long)st.rolled_back, rc == CS_EINTERRUPTED ? "true" : "false");
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
