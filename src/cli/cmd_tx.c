/* cmd_tx.c — `chainsleuth tx TXID`: a transaction as the store holds it. */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"
#include "util/codec.h"

static const char USAGE[] =
    "usage: chainsleuth tx TXID [--db DIR] [--json]\n\n"
    "Shows the transaction: block, size, fee, every input (the output it spends,\n"
    "address and value) and every output (address, value, spending transaction).\n";

int cmd_tx(int argc, char **argv)
{
    const char *db = cli_default_db();
    int json = 0, c;
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'j')
            json = 1;
        else if (c == 'h') {
            fputs(USAGE, stdout);
            return 0;
        } else
            return cli_usage("tx", "unknown option");
    }
    if (optind + 1 != argc) return cli_usage("tx", "give one TXID");
    uint8_t id[32];
    if (cs_unhex_rev32(id, argv[optind]))
        return cli_usage("tx", "'%s' is not a 64-digit hex txid", argv[optind]);
    struct cs_store *s;
    if (cli_open_store("tx", db, &s)) return 1;
    uint64_t t;
    if (cs_store_find_tx(s, id, &t)) {
        cs_store_close(s);
        return cli_fail("tx", "%s: not in the store", argv[optind]);
    }
    const struct cs_netparams *net = cs_store_net(s);
    const struct cs_txrec *r = cs_store_tx(s, t);
    char bh[65], hex[65], addr[96], btc[32];
    cs_hex_rev(bh, cs_store_block(s, r->height)->hash);
    uint64_t fi, ni, fo, no, vin = 0, vout = 0;
    cs_store_tx_ins(s, t, &fi, &ni);
    cs_store_tx_outs(s, t, &fo, &no);
    int coinbase = cs_store_in_prevout(s, fi) == CS_NONE64;
    for (uint64_t i = fi; i < fi + ni; i++) {
        uint64_t p = cs_store_in_prevout(s, i);
        if (p != CS_NONE64) vin += cs_store_out(s, p)->value;
    }
    for (uint64_t o = fo; o < fo + no; o++)
        vout += cs_store_out(s, o)->value;
    uint64_t fee = coinbase ? 0 : vin - vout;
    if (json) {
        printf("{\"txid\":\"%s\",\"height\":%u,\"block\":\"%s\",\"version\":%d,\"locktime\":%u,"
               "\"size\":%u,\"weight\":%u,\"vsize\":%u,\"coinbase\":%s,\"fee\":%llu,\"inputs\":[",
               argv[optind], r->height, bh, r->version, r->locktime, r->size, r->weight,
               (r->weight + 3) / 4, coinbase ? "true" : "false", (unsigned long long)fee);
    } else {
        printf("tx       %s\nblock    %u (%s)\nversion  %d  locktime %u\nsize     %u bytes, weight "
               "%u, vsize %u\n",
               argv[optind], r->height, bh, r->version, r->locktime, r->size, r->weight,
               (r->weight + 3) / 4);
        printf("fee      %s BTC%s\ninputs   %llu\n", cli_btc(fee, btc),
               coinbase ? " (coinbase)" : "", (unsigned long long)ni);
    }
    for (uint64_t i = fi; i < fi + ni; i++) {
        uint64_t p = cs_store_in_prevout(s, i);
        uint32_t seq = cs_store_in(s, i)->sequence;
        if (p == CS_NONE64) {
            if (json)
                printf("%s{\"coinbase\":true,\"sequence\":%u}", i > fi ? "," : "", seq);
            else
                printf("  #%llu coinbase\n", (unsigned long long)(i - fi));
            continue;
        }
        uint64_t pt = cs_store_out_tx(s, p), pf, pn;
        cs_store_tx_outs(s, pt, &pf, &pn);
        cs_hex_rev(hex, cs_store_txid(s, pt));
        const struct cs_outrec *o = cs_store_out(s, p);
        cs_addr_format(cs_store_addr(s, o->addr), net, addr);
        if (json)
            printf("%s{\"prevout\":\"%s:%llu\",\"address\":\"%s\",\"value\":%llu,\"sequence\":%u}",
                   i > fi ? "," : "", hex, (unsigned long long)(p - pf), addr,
                   (unsigned long long)o->value, seq);
        else
            printf("  #%llu %s:%llu  %s  %s BTC\n", (unsigned long long)(i - fi), hex,
                   (unsigned long long)(p - pf), addr, cli_btc(o->value, btc));
    }
    if (json)
        printf("],\"outputs\":[");
    else
        printf("outputs  %llu\n", (unsigned long long)no);
    for (uint64_t o = fo; o < fo + no; o++) {
        const struct cs_outrec *r2 = cs_store_out(s, o);
        const struct cs_addr *a = cs_store_addr(s, r2->addr);
        cs_addr_format(a, net, addr);
        uint64_t sp = cs_store_spent_by(s, o);
        if (sp != CS_NONE64) cs_hex_rev(hex, cs_store_txid(s, sp));
        if (json) {
            printf("%s{\"n\":%llu,\"value\":%llu,\"address\":\"%s\",\"type\":\"%s\",\"spent_by\":",
                   o > fo ? "," : "", (unsigned long long)(o - fo), (unsigned long long)r2->value,
                   addr, cs_addr_type_name(a->type));
            if (sp == CS_NONE64)
                printf("null}");
            else
                printf("\"%s\"}", hex);
        } else {
            printf("  #%llu %s  %s BTC  %s\n", (unsigned long long)(o - fo), addr,
                   cli_btc(r2->value, btc), sp == CS_NONE64 ? "unspent" : hex);
        }
    }
    if (json) printf("]}\n");
    cs_store_close(s);
    return 0;
}
