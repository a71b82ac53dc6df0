/* cmd_tx.c — `chainsleuth tx TXID`: a transaction as the store holds it. */
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "report/report.h"
#include "util/codec.h"
#include "util/timefmt.h"

static const char ABOUT[] =
    "Shows the transaction: block (height, hash and UTC time), size, fee, every\n"
    "input (the output it spends, address, value) and every output (address,\n"
    "value, spending transaction), with totals, and for every address the entity\n"
    "its tags (or its cluster's) attribute it to and its cluster id.  Amounts in\n"
    "BTC (--unit base: satoshi); --json gives integer satoshi.\n";

/* one row of the input or output table, formatted before printing so the
 * columns can be as wide as their widest value */
struct row {
    char ref[96]; /* prevout (inputs) or spending txid (outputs) */
    char addr[96];
    char amount[CS_AMOUNT_STR_MAX];
    char who[512];
};

static void print_rows(const char *title, const char *refhead, const struct row *v, size_t n,
                       uint64_t total, int coinbase)
{
    char tot[32];
    int wr = (int)strlen(refhead), wa = 7, wm = 12;
    for (size_t i = 0; i < n; i++) {
        int a = (int)strlen(v[i].ref), b = (int)strlen(v[i].addr), c = (int)strlen(v[i].amount);
        if (a > wr) wr = a;
        if (b > wa) wa = b;
        if (c > wm) wm = c;
    }
    printf("%s (%zu)\n", title, n);
    char head[32];
    snprintf(head, sizeof head, "amount (%s)", cli_unit_name());
    printf("  %4s  %-*s  %-*s  %*s  %s\n", "#", wr, refhead, wa, "address", wm, head, "entity");
    for (size_t i = 0; i < n; i++)
        printf("  %4zu  %-*s  %-*s  %*s  %s\n", i, wr, v[i].ref, wa, v[i].addr, wm, v[i].amount,
               v[i].who);
    if (!coinbase)
        printf("  %4s  %-*s  %-*s  %*s\n", "", wr, "", wa, "total", wm, cli_btc(total, tot));
}

int cmd_tx(int argc, char **argv)
{
    const char *db = cli_default_db(), *chain = cs_chain_default()->name;
    int json = 0, npos;
    const struct cli_opt opts[] = {
        CLI_STRING("db", 0, &db, "DIR", CLI_HELP_DB),
        CLI_STRING("chain", 0, &chain, "NAME", CLI_HELP_CHAIN),
        CLI_FLAG("json", 0, &json, "print the transaction as JSON"),
        CLI_UNIT_OPT,
        CLI_OPT_TABLE_END,
    };
    const struct cli_cmd cmd = {
        "tx", "usage: chainsleuth tx TXID [--db DIR] [--chain NAME] [--json]\n", ABOUT, opts, NULL,
        NULL};
    int prc = cli_opt_parse(&cmd, argc, argv, &npos);
    if (prc != CLI_OPT_OK) return prc;
    if (npos != 1) return cli_usage("tx", "give one TXID");
    if (cli_chain_is_evm(chain)) return cli_evm_tx(db, chain, argv[1], json);
    uint8_t id[32];
    if (cs_unhex_rev32(id, argv[1]))
        return cli_usage("tx", "'%s' is not a 64-digit hex txid", argv[1]);
    struct cs_store *s;
    int orc_ = cli_open_store("tx", db, chain, &s);
    if (orc_) return orc_;
    uint64_t t;
    if (cs_store_find_tx(s, id, &t)) {
        cs_store_close(s);
        return cli_fail("tx", "%s: not in the store", argv[1]);
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
    struct cs_json_writer w;
    struct cli_who wh;
    if (cli_who_open(&wh, "tx", s, db)) {
        cs_store_close(s);
        return 1;
    }
    uint32_t btime = cs_report_block_time(s, r->height);
    char when[CS_TIME_ISO_MAX];
    cs_time_iso(when, btime);
    struct row *rows = cs_xmalloc((size_t)(ni > no ? ni : no) * sizeof *rows);
    if (json) {
        cli_json_begin(&w);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "txid");
        cs_json_writer_string(&w, argv[1]);
        cs_json_writer_key(&w, "height");
        cs_json_writer_u64(&w, r->height);
        cs_json_writer_key(&w, "block");
        cs_json_writer_string(&w, bh);
        cs_report_json_time(&w, btime);
        cs_json_writer_key(&w, "version");
        cs_json_writer_i64(&w, r->version);
        cs_json_writer_key(&w, "locktime");
        cs_json_writer_u64(&w, r->locktime);
        cs_json_writer_key(&w, "size");
        cs_json_writer_u64(&w, r->size);
        cs_json_writer_key(&w, "weight");
        cs_json_writer_u64(&w, r->weight);
        cs_json_writer_key(&w, "vsize");
        cs_json_writer_u64(&w, (r->weight + 3) / 4);
        cs_json_writer_key(&w, "coinbase");
        cs_json_writer_bool(&w, coinbase);
        cs_json_writer_key(&w, "fee");
        cs_json_writer_u64(&w, fee);
        cs_json_writer_key(&w, "inputs");
        cs_json_writer_begin_array(&w);
    } else {
        printf("tx       %s\nblock    %u (%s)\ntime     %s\nversion  %d  locktime %u\nsize     "
               "%u bytes, weight %u, vsize %u\n",
               argv[1], r->height, bh, when, r->version, r->locktime, r->size, r->weight,
               (r->weight + 3) / 4);
        printf("fee      %s %s%s\n\n", cli_btc(fee, btc), cli_unit_name(),
               coinbase ? " (coinbase)" : "");
    }
    for (uint64_t i = fi; i < fi + ni; i++) {
        uint64_t p = cs_store_in_prevout(s, i);
        uint32_t seq = cs_store_in(s, i)->sequence;
        if (p == CS_NONE64) {
            if (json) {
                cs_json_writer_begin_object(&w);
                cs_json_writer_key(&w, "coinbase");
                cs_json_writer_bool(&w, 1);
                cs_json_writer_key(&w, "sequence");
                cs_json_writer_u64(&w, seq);
                cs_json_writer_end_object(&w);
            } else {
                struct row *rw = &rows[i - fi];
                snprintf(rw->ref, sizeof rw->ref, "coinbase");
                rw->addr[0] = rw->amount[0] = rw->who[0] = 0;
            }
            continue;
        }
        uint64_t pt = cs_store_out_tx(s, p), pf, pn;
        cs_store_tx_outs(s, pt, &pf, &pn);
        cs_hex_rev(hex, cs_store_txid(s, pt));
        const struct cs_outrec *o = cs_store_out(s, p);
        cs_addr_format(cs_store_addr(s, o->addr), net, addr);
        if (json) {
            char prevout[96];
            snprintf(prevout, sizeof prevout, "%s:%llu", hex, (unsigned long long)(p - pf));
            cs_json_writer_begin_object(&w);
            cs_json_writer_key(&w, "prevout");
            cs_json_writer_string(&w, prevout);
            cs_json_writer_key(&w, "address");
            cs_json_writer_string(&w, addr);
            cs_json_writer_key(&w, "value");
            cs_json_writer_u64(&w, o->value);
            cs_json_writer_key(&w, "sequence");
            cs_json_writer_u64(&w, seq);
            cli_who_json(&wh, &w, o->addr, 1);
            cs_json_writer_end_object(&w);
        } else {
            struct row *rw = &rows[i - fi];
            snprintf(rw->ref, sizeof rw->ref, "%s:%llu", hex, (unsigned long long)(p - pf));
            snprintf(rw->addr, sizeof rw->addr, "%s", addr);
            cli_btc(o->value, rw->amount);
            cli_who_text(&wh, o->addr, rw->who, sizeof rw->who);
        }
    }
    if (json) {
        cs_json_writer_end_array(&w);
        cs_json_writer_key(&w, "outputs");
        cs_json_writer_begin_array(&w);
    } else {
        print_rows("inputs", "spends", rows, (size_t)ni, vin, coinbase);
        putchar('\n');
    }
    for (uint64_t o = fo; o < fo + no; o++) {
        const struct cs_outrec *r2 = cs_store_out(s, o);
        const struct cs_addr *a = cs_store_addr(s, r2->addr);
        cs_addr_format(a, net, addr);
        uint64_t sp = cs_store_spent_by(s, o);
        if (sp != CS_NONE64) cs_hex_rev(hex, cs_store_txid(s, sp));
        if (json) {
            cs_json_writer_begin_object(&w);
            cs_json_writer_key(&w, "n");
            cs_json_writer_u64(&w, o - fo);
            cs_json_writer_key(&w, "value");
            cs_json_writer_u64(&w, r2->value);
            cs_json_writer_key(&w, "address");
            cs_json_writer_string(&w, addr);
            cs_json_writer_key(&w, "type");
            cs_json_writer_string(&w, cs_addr_type_name(a->type));
            cs_json_writer_key(&w, "spent_by");
            if (sp == CS_NONE64)
                cs_json_writer_null(&w);
            else
                cs_json_writer_string(&w, hex);
            cli_who_json(&wh, &w, r2->addr, 1);
            cs_json_writer_end_object(&w);
        } else {
            struct row *rw = &rows[o - fo];
            snprintf(rw->ref, sizeof rw->ref, "%s", sp == CS_NONE64 ? "unspent" : hex);
            snprintf(rw->addr, sizeof rw->addr, "%s", addr);
            cli_btc(r2->value, rw->amount);
            cli_who_text(&wh, r2->addr, rw->who, sizeof rw->who);
        }
    }
    int rc = 0;
    if (json) {
        cs_json_writer_end_array(&w);
        cs_json_writer_end_object(&w);
        rc = cli_json_end("tx", &w);
    } else {
        print_rows("outputs", "spent by", rows, (size_t)no, vout, 0);
    }
    free(rows);
    cli_who_close(&wh);
    cs_store_close(s);
    return rc;
}
