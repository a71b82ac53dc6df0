/* cmd_address.c — `chainsleuth address ADDR`: balance and history. */
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "report/report.h"
#include "tags/tags.h"
#include "trace/attrib.h"
#include "util/codec.h"
#include "util/timefmt.h"

static const char ABOUT[] =
    "Balance, total received and sent, number of transactions, first and last\n"
    "height seen. ADDR is any form `tx` prints: Base58, Bech32/Bech32m, or\n"
    "multisig:/op_return:/nonstandard:<sha256 of the script> for pseudo-addresses.\n"
    "A P2PK output counts for the P2PKH address of its key.\n";

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
    const char *db = cli_default_db(), *chain = cs_chain_default()->name;
    int json = 0, txs = 0, npos;
    uint64_t limit = 100;
    const struct cli_opt opts[] = {
        CLI_STRING("db", 0, &db, "DIR", CLI_HELP_DB),
        CLI_STRING("chain", 0, &chain, "NAME", CLI_HELP_CHAIN),
        CLI_FLAG("json", 0, &json, "print the result as JSON"),
        CLI_FLAG("txs", 0, &txs, "list its transactions, newest first, with the net change"),
        CLI_U64("limit", 0, &limit, "N", 0, UINT64_MAX,
                "at most N transactions (default 100, 0 = all)"),
        CLI_UNIT_OPT,
        CLI_OPT_TABLE_END,
    };
    const struct cli_cmd cmd = {
        "address",
        "usage: chainsleuth address ADDR [--db DIR] [--chain NAME] [--json] [--txs] [--limit N]\n",
        ABOUT,
        opts,
        NULL,
        NULL};
    int prc = cli_opt_parse(&cmd, argc, argv, &npos);
    if (prc != CLI_OPT_OK) return prc;
    if (npos != 1) return cli_usage("address", "give one address");
    if (cli_chain_is_evm(chain)) return cli_evm_address(db, chain, argv[1], json, limit);
    struct cs_store *s;
    int orc_ = cli_open_store("address", db, chain, &s);
    if (orc_) return orc_;
    const struct cs_netparams *net = cs_store_net(s);
    struct cs_addr a;
    uint64_t id;
    if (cs_addr_parse(argv[1], net, &a)) {
        cs_store_close(s);
        const char *p = argv[1];
        int evm = (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) && strlen(p) == 42;
        for (size_t i = 2; evm && p[i]; i++)
            if (!strchr("0123456789abcdefABCDEF", p[i])) evm = 0;
        if (evm)
            return cli_fail("address",
                            "%s is an EVM address, and this is the %s store: EVM chains are "
                            "read with --chain (eth, base, ...) once ingested (chainsleuth "
                            "ingest evm)",
                            p, chain);
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
    char canon[96], btc[32], hex[65], t1[CS_TIME_ISO_MAX], t2[CS_TIME_ISO_MAX];
    cs_addr_format(&a, net, canon);
    struct cli_who wh;
    if (cli_who_open(&wh, "address", s, db)) {
        free(e);
        cs_store_close(s);
        return 1;
    }
    if (json) {
        struct cs_json_writer w;
        cli_json_begin(&w);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "address");
        cs_json_writer_string(&w, canon);
        cs_json_writer_key(&w, "type");
        cs_json_writer_string(&w, cs_addr_type_name(a.type));
        if (found)
            cli_who_json(&wh, &w, id, 1);
        else {
            cs_json_writer_key(&w, "entity");
            cs_json_writer_null(&w);
            const char *keys[] = {"cluster", "cluster_name", "cluster_note"};
            for (int k = 0; k < 3; k++) {
                cs_json_writer_key(&w, keys[k]);
                cs_json_writer_null(&w);
            }
        }
        const struct {
            const char *key;
            uint64_t v;
        } nums[] = {{"balance", recv - sent}, {"received", recv}, {"sent", sent},
                    {"tx_count", m},          {"outputs", nout},  {"utxos", nutxo}};
        for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
            cs_json_writer_key(&w, nums[i].key);
            cs_json_writer_u64(&w, nums[i].v);
        }
        cli_json_seen(&w, s, first, last);
        if (txs) {
            cs_json_writer_key(&w, "txs");
            cs_json_writer_begin_array(&w);
            size_t shown = 0;
            for (size_t i = m; i-- > 0 && (!limit || shown < limit); shown++) {
                cs_hex_rev(hex, cs_store_txid(s, e[i].tx));
                cs_json_writer_begin_object(&w);
                cs_json_writer_key(&w, "txid");
                cs_json_writer_string(&w, hex);
                uint32_t ht = cs_store_tx(s, e[i].tx)->height;
                cs_json_writer_key(&w, "height");
                cs_json_writer_u64(&w, ht);
                cs_report_json_time(&w, cs_report_block_time(s, ht));
                cs_json_writer_key(&w, "delta");
                cs_json_writer_i64(&w, e[i].delta);
                cs_json_writer_end_object(&w);
            }
            cs_json_writer_end_array(&w);
        }
        cs_json_writer_end_object(&w);
        int jrc = cli_json_end("address", &w);
        cli_who_close(&wh);
        free(e);
        cs_store_close(s);
        return jrc;
    }
    printf("address    %s (%s)%s\n", canon, cs_addr_type_name(a.type),
           found ? "" : " — never seen on this chain");
    const struct cs_attrib_entity *ent = found ? cli_who_entity(&wh, id) : NULL;
    if (ent) {
        const char *cat = cs_tag_category_name(ent->category);
        printf("entity     %s (%s; confidence %d; source %s)\n", ent->label, cat ? cat : "unknown",
               ent->confidence, ent->source && *ent->source ? ent->source : "-");
    } else if (found) {
        printf("entity     (no tag on it%s)\n", wh.c ? " or its cluster" : "");
    }
    int64_t cid = found ? cli_who_cluster(&wh, id) : -1;
    if (cid >= 0) {
        char name[CLI_NAME_MAX * 4 + 8], note[CLI_NOTE_MAX * 2 + 8];
        cli_who_names(&wh, cid, name, sizeof name, note, sizeof note);
        if (name[0])
            printf("cluster    %lld \"%s\" (chainsleuth entity %lld)\n", (long long)cid, name,
                   (long long)cid);
        else
            printf("cluster    %lld (chainsleuth entity %lld)\n", (long long)cid, (long long)cid);
        if (note[0]) cli_print_note("note       ", note);
    }
    const char *u = cli_unit_name();
    printf("balance    %s %s\n", cli_btc(recv - sent, btc), u);
    printf("received   %s %s in %llu output%s\n", cli_btc(recv, btc), u, (unsigned long long)nout,
           nout == 1 ? "" : "s");
    printf("sent       %s %s\n", cli_btc(sent, btc), u);
    printf("txs        %zu\n", m);
    if (first >= 0)
        printf("seen       height %lld (%s) .. %lld (%s)\n", (long long)first,
               cs_report_height_time(s, (uint64_t)first, t1), (long long)last,
               cs_report_height_time(s, (uint64_t)last, t2));
    if (txs && m) {
        char ch[32];
        snprintf(ch, sizeof ch, "change (%s)", u);
        printf("  %7s  %-20s  %-64s  %20s\n", "height", "time (UTC)", "txid", ch);
        size_t shown = 0;
        for (size_t i = m; i-- > 0 && (!limit || shown < limit); shown++) {
            cs_hex_rev(hex, cs_store_txid(s, e[i].tx));
            uint32_t ht = cs_store_tx(s, e[i].tx)->height;
            uint64_t mag = e[i].delta < 0 ? (uint64_t)0 - (uint64_t)e[i].delta : (uint64_t)e[i].delta;
            char sg[40];
            snprintf(sg, sizeof sg, "%c%s", e[i].delta < 0 ? '-' : '+', cli_btc(mag, btc));
            printf("  %7u  %-20s  %s  %20s\n", ht, cs_report_height_time(s, ht, t1), hex, sg);
        }
    }
    cli_who_close(&wh);
    free(e);
    cs_store_close(s);
    return 0;
}
