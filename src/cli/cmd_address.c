/* cmd_address.c — `chainsleuth address ADDR`: balance and history. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/codec.h"

static const char USAGE[] =
    "usage: chainsleuth address ADDR [--db DIR] [--json] [--txs] [--limit N]\n\n"
    "Balance, total received and sent, number of transactions, first and last\n"
    "height seen. ADDR is any form `tx` prints: Base58, Bech32/Bech32m, or\n"
    "multisig:/op_return:/nonstandard:<sha256 of the script> for pseudo-addresses.\n"
    "A P2PK output counts for the P2PKH address of its key.\n"
    "  --txs        list its transactions, newest first, with the net change\n"
    "  --limit N    at most N transactions (default 100, 0 = all)\n";

struct txe {
    uint64_t tx;
    int64_t delta;
};

static int cmp_txe(const void *a, const void *b)
{
    const struct txe *x = a, *y = b;
    return x->tx < y->tx ? -1 : x->tx > y->tx;
}

int cmd_address(int argc, char **argv)
{
    const char *db = cli_default_db();
    int json = 0, txs = 0, c;
    unsigned long long limit = 100;
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'}, {"json", no_argument, 0, 'j'},
        {"txs", no_argument, 0, 't'},      {"limit", required_argument, 0, 'l'},
        {"help", no_argument, 0, 'h'},     {0, 0, 0, 0}};
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        if (c == 'd')
            db = optarg;
        else if (c == 'j')
            json = 1;
        else if (c == 't')
            txs = 1;
        else if (c == 'l') {
            limit = strtoull(optarg, &end, 10);
            if (*end) return cli_usage("address", "--limit: not a number: %s", optarg);
        } else if (c == 'h') {
            fputs(USAGE, stdout);
            return 0;
        } else
            return cli_usage("address", "unknown option");
    }
    if (optind + 1 != argc) return cli_usage("address", "give one address");
    struct cs_store *s;
    if (cli_open_store("address", db, &s)) return 1;
    const struct cs_netparams *net = cs_store_net(s);
    struct cs_addr a;
    uint64_t id;
    if (cs_addr_parse(argv[optind], net, &a)) {
        cs_store_close(s);
        return cli_fail("address", "%s", cs_errmsg());
    }
    int found = cs_store_find_addr(s, &a, &id) == 0;
    uint64_t recv = 0, sent = 0, nout = 0, nutxo = 0;
    int64_t first = -1, last = -1;
    size_t n = 0, cap = 64;
    struct txe *e = cs_xmalloc(cap * sizeof *e);
    for (uint64_t o = found ? cs_store_addr_head(s, id) : CS_NONE64; o != CS_NONE64;
         o = cs_store_out_next(s, o)) {
        uint64_t v = cs_store_out(s, o)->value, t = cs_store_out_tx(s, o),
                 sp = cs_store_spent_by(s, o);
        recv += v;
        nout++;
        if (n + 2 > cap) e = cs_xrealloc(e, (cap *= 2) * sizeof *e);
        e[n++] = (struct txe){t, (int64_t)v};
        if (sp == CS_NONE64)
            nutxo++;
        else {
            sent += v;
            e[n++] = (struct txe){sp, -(int64_t)v};
        }
    }
    qsort(e, n, sizeof *e, cmp_txe);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && e[m - 1].tx == e[i].tx)
            e[m - 1].delta += e[i].delta;
        else
            e[m++] = e[i];
    }
    if (m) {
        first = cs_store_tx(s, e[0].tx)->height;
        last = cs_store_tx(s, e[m - 1].tx)->height;
    }
    char canon[96], btc[32], hex[65];
    cs_addr_format(&a, net, canon);
    if (json) {
        printf(
            "{\"address\":\"%s\",\"type\":\"%s\",\"balance\":%llu,\"received\":%llu,\"sent\":%llu,"
            "\"tx_count\":%zu,\"outputs\":%llu,\"utxos\":%llu,\"first_seen\":",
            canon, cs_addr_type_name(a.type), (unsigned long long)(recv - sent),
            (unsigned long long)recv, (unsigned long long)sent, m, (unsigned long long)nout,
            (unsigned long long)nutxo);
        if (first < 0)
            printf("null,\"last_seen\":null");
        else
            printf("%lld,\"last_seen\":%lld", (long long)first, (long long)last);
    } else {
        printf("address    %s (%s)%s\n", canon, cs_addr_type_name(a.type),
               found ? "" : " — never seen on this chain");
        printf("balance    %s BTC (%llu sat)\n", cli_btc(recv - sent, btc),
               (unsigned long long)(recv - sent));
        printf("received   %s BTC in %llu outputs\n", cli_btc(recv, btc), (unsigned long long)nout);
        printf("sent       %s BTC\n", cli_btc(sent, btc));
        printf("txs        %zu\n", m);
        if (first >= 0)
            printf("seen       heights %lld .. %lld\n", (long long)first, (long long)last);
    }
    if (txs) {
        if (json) printf(",\"txs\":[");
        size_t shown = 0;
        for (size_t i = m; i-- > 0 && (!limit || shown < limit); shown++) {
            cs_hex_rev(hex, cs_store_txid(s, e[i].tx));
            uint32_t h = cs_store_tx(s, e[i].tx)->height;
            if (json)
                printf("%s{\"txid\":\"%s\",\"height\":%u,\"delta\":%lld}", shown ? "," : "", hex, h,
                       (long long)e[i].delta);
            else
                printf("  %7u  %s  %+lld sat\n", h, hex, (long long)e[i].delta);
        }
        if (json) printf("]");
    }
    if (json) printf("}\n");
    free(e);
    cs_store_close(s);
    return 0;
}
