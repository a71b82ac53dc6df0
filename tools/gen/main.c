/* main.c — command line of chainsleuth-gen (see --help).  Parses and checks
 * the arguments, then hands over to cs_gen_run() in econ.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evm_gen.h"
#include "gen.h"
#include "util/error.h"

static const char usage[] =
    "usage: chainsleuth-gen --out DIR --txs N --seed S [--scenario heist|none]\n"
    "                       [--network main|regtest] [--quiet]\n"
    "       chainsleuth-gen --chain eth --out DIR --txs N --seed S [--scenario bybit|none]\n"
    "                       [--quiet]\n"
    "\n"
    "Writes a synthetic Bitcoin economy with ground truth:\n"
    "  DIR/blocks/blk00000.dat ...  Bitcoin Core block files (128 MiB each at most;\n"
    "                               some blocks out of order, one stale block,\n"
    "                               the last file zero-padded to 1 MiB)\n"
    "  DIR/truth/owners.csv         address,entity,entity_kind of every output address\n"
    "  DIR/truth/tags.csv           what an investigator would publicly know\n"
    "  DIR/truth/chain.json         height, tip, txs, utxo_count, utxo_total of the best chain\n"
    "  DIR/truth/heist.json         with --scenario heist: where every stolen satoshi went\n"
    "\n"
    "  --out DIR        output directory (created; our files in it are overwritten,\n"
    "                   higher-numbered blk files and a stale heist.json removed)\n"
    "  --txs N          transactions in the best chain incl. genesis and coinbases\n"
    "                   (1000 .. 10^8; memory ~150 bytes per tx); met exactly\n"
    "                   unless heist steps due in the last blocks overshoot\n"
    "                   (chain.json has the real count)\n"
    "  --seed S         seed (unsigned 64-bit); same arguments => identical bytes\n"
    "  --scenario X     heist: a Bybit-style theft from an exchange's cold wallet;\n"
    "                   none (default): the economy only\n"
    "  --network X      main (default; magic f9beb4d9, 1/3/bc1 addresses) or\n"
    "                   regtest (magic fabfb5da, m/n/2/bcrt1 addresses)\n"
    "  --quiet          no progress or summary on stderr\n"
    "  --help           this text\n"
    "\n"
    "With --chain eth (default: btc) it writes a synthetic Ethereum economy as an\n"
    "ethereum-etl CSV export that `chainsleuth ingest evm --csv DIR` reads:\n"
    "  DIR/blocks.csv transactions.csv receipts.csv logs.csv token_transfers.csv\n"
    "      traces.csv tokens.csv contracts.csv\n"
    "  DIR/truth/owners.csv         address,entity,entity_kind,role,customer of every account\n"
    "  DIR/truth/tags.csv           hot wallets, mixer pools, router, vault, bridge, cold wallet\n"
    "  DIR/truth/links.json         the true Tornado-style deposit -> withdrawal pairs\n"
    "  DIR/truth/heist-flows.json   with --scenario bybit: every wei moved along the heist\n"
    "                               and the poison policy's truth per sink\n"
    "  DIR/truth/heist.json         with --scenario bybit: per policy (poison, haircut,\n"
    "                               fifo, lifo) the tainted wei per sink and asset, the\n"
    "                               frontier, fees, swaps (METHODS 1.6)\n"
    "  DIR/truth/chain.json         blocks, txs, accounts, tip\n"
    "  --txs N          5000 .. 10^8 transactions (met exactly unless scripted steps\n"
    "                   in the last blocks overshoot; chain.json has the real count)\n"
    "  --scenario X     bybit (default): a Bybit-style drain of a cold-wallet contract;\n"
    "                   none: the economy only\n";

static int bad(const char *fmt, const char *arg)
{
    fprintf(stderr, "chainsleuth-gen: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see chainsleuth-gen --help)\n");
    return 2;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    struct cs_gen_opts o = {0};
    int have_txs = 0, have_seed = 0, eth = 0, bybit = 1, have_net = 0, have_scen = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--quiet")) {
            o.quiet = 1;
            continue;
        }
        if (strcmp(a, "--out") && strcmp(a, "--txs") && strcmp(a, "--seed") &&
            strcmp(a, "--scenario") && strcmp(a, "--network") && strcmp(a, "--chain"))
            return bad("unknown argument '%s'", a);
        if (!v) return bad("%s needs a value", a);
        i++;
        if (!strcmp(a, "--chain")) {
            if (!strcmp(v, "eth"))
                eth = 1;
            else if (!strcmp(v, "btc"))
                eth = 0;
            else
                return bad("--chain: unknown chain '%s' (btc, eth)", v);
        } else if (!strcmp(a, "--out")) {
            if (!*v) return bad("--out: empty path%s", "");
            o.out = v;
        } else if (!strcmp(a, "--txs")) {
            if (parse_u64(v, &o.txs) || o.txs < 1000 || o.txs > 100000000ULL)
                return bad("--txs: '%s' is not a number from 1000 to 100000000", v);
            have_txs = 1;
        } else if (!strcmp(a, "--seed")) {
            if (parse_u64(v, &o.seed)) return bad("--seed: '%s' is not an unsigned integer", v);
            have_seed = 1;
        } else if (!strcmp(a, "--scenario")) {
            have_scen = 1;
            if (!strcmp(v, "heist"))
                o.heist = 1, bybit = 2;
            else if (!strcmp(v, "bybit"))
                bybit = 3;
            else if (!strcmp(v, "none"))
                o.heist = 0, bybit = 0;
            else
                return bad("--scenario: unknown scenario '%s' (heist, bybit, none)", v);
        } else {
            have_net = 1;
            if (!strcmp(v, "main"))
                o.regtest = 0;
            else if (!strcmp(v, "regtest"))
                o.regtest = 1;
            else
                return bad("--network: unknown network '%s' (main, regtest)", v);
        }
    }
    if (!o.out) return bad("--out DIR is required%s", "");
    if (!have_txs) return bad("--txs N is required%s", "");
    if (!have_seed) return bad("--seed S is required%s", "");
    if (eth && have_net) return bad("--network is for --chain btc%s", "");
    if (eth && bybit == 2) return bad("--scenario heist is for --chain btc (eth: bybit)%s", "");
    if (!eth && bybit == 3) return bad("--scenario bybit is for --chain eth (btc: heist)%s", "");
    if (eth && o.txs < 5000) return bad("--txs: '%s' is below 5000 for --chain eth", "N");
    (void)have_scen;
    int rc = eth ? cs_gen_evm_run(&o, bybit != 0) : cs_gen_run(&o);
    if (rc) {
        fprintf(stderr, "chainsleuth-gen: %s\n", cs_errmsg());
        return rc == CS_EUSAGE ? 2 : 1;
    }
    return 0;
}
