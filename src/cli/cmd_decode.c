/* cmd_decode.c — `chainsleuth decode FILE|HEX`: raw block or transaction,
 * no store needed.  Also reads whole blk*.dat files (one JSON line a block). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "btc/block.h"
#include "btc/script.h"
#include "cli/cli.h"
#include "util/codec.h"

static const char USAGE[] =
    "usage: chainsleuth decode FILE|HEX [--json] [--network NAME] [--scripts]\n\n"
    "Decodes a raw block or transaction given as a file (binary or hex text) or as\n"
    "a hex argument. A file in blk*.dat framing (magic, size, block) is decoded\n"
    "record by record, one JSON line per block with --json.\n"
    "  --network NAME  main (default), testnet3, testnet4, signet, regtest: address\n"
    "                  encoding (blk framing names its own network)\n"
    "  --scripts       include scriptSig/scriptPubKey hex\n"
    "The merkle root of a block is checked; a mismatch is an error.\n";

#define MAX_INPUT (256u << 20)

static void print_tx(const struct cs_tx *t, const struct cs_netparams *net, int json, int scripts,
                     int coinbase)
{
    char id[65], wid[65], addr[96];
    cs_hex_rev(id, t->txid);
    cs_hex_rev(wid, t->wtxid);
    uint32_t w = cs_tx_weight(t);
    if (json)
        printf("{\"txid\":\"%s\",\"wtxid\":\"%s\",\"version\":%d,\"locktime\":%u,\"size\":%u,"
               "\"weight\":%u,"
               "\"vsize\":%u,\"inputs\":[",
               id, wid, t->version, t->locktime, t->size, w, (w + 3) / 4);
    else
        printf("tx %s\n  wtxid %s\n  version %d, locktime %u, size %u, weight %u, vsize %u\n", id,
               wid, t->version, t->locktime, t->size, w, (w + 3) / 4);
    for (uint32_t i = 0; i < t->n_in; i++) {
        const struct cs_txin *in = &t->in[i];
        char pid[65];
        cs_hex_rev(pid, in->prev_txid);
        if (json) {
            printf("%s{", i ? "," : "");
            if (coinbase) printf("\"coinbase\":true,");
            printf("\"prev_txid\":\"%s\",\"vout\":%u,\"sequence\":%u,\"witness_items\":%u", pid,
                   in->prev_vout, in->sequence, in->witness_items);
            if (scripts) {
                char *h = cs_xmalloc(2 * (size_t)in->script_len + 1);
                cs_hex(h, in->script, in->script_len);
                printf(",\"script_sig\":\"%s\"", h);
                free(h);
            }
            printf("}");
        } else {
            if (coinbase)
                printf("  in  #%u coinbase (%u-byte scriptSig)\n", i, in->script_len);
            else
                printf("  in  #%u %s:%u seq %08x%s\n", i, pid, in->prev_vout, in->sequence,
                       in->witness_items ? " (witness)" : "");
        }
    }
    if (json) printf("],\"outputs\":[");
    for (uint32_t o = 0; o < t->n_out; o++) {
        struct cs_addr a;
        cs_script_classify(t->out[o].script, t->out[o].script_len, &a);
        cs_addr_format(&a, net, addr);
        if (json) {
            printf("%s{\"n\":%u,\"value\":%lld,\"type\":\"%s\",\"address\":\"%s\"", o ? "," : "", o,
                   (long long)t->out[o].value, cs_addr_type_name(a.type), addr);
            if (a.flags & CS_ADDRF_P2PK) printf(",\"p2pk\":true");
            if (scripts) {
                char *h = cs_xmalloc(2 * (size_t)t->out[o].script_len + 1);
                cs_hex(h, t->out[o].script, t->out[o].script_len);
                printf(",\"script\":\"%s\"", h);
                free(h);
            }
            printf("}");
        } else {
            char btc[32];
            printf("  out #%u %s BTC  %s (%s%s)\n", o, cli_btc((uint64_t)t->out[o].value, btc),
                   addr, cs_addr_type_name(a.type), a.flags & CS_ADDRF_P2PK ? ", p2pk" : "");
        }
    }
    if (json) printf("]}");
}

static void print_block(const struct cs_block *b, const struct cs_netparams *net, int json,
                        int scripts)
{
    char h[65], prev[65], mr[65];
    cs_hex_rev(h, b->hash);
    cs_hex_rev(prev, b->hdr.prev);
    cs_hex_rev(mr, b->hdr.merkle);
    uint64_t weight = 0;
    for (uint32_t i = 0; i < b->n_tx; i++)
        weight += cs_tx_weight(&b->tx[i]);
    if (json)
        printf("{\"hash\":\"%s\",\"prev\":\"%s\",\"merkle_root\":\"%s\",\"version\":%d,\"time\":%u,"
               "\"bits\":\"%08x\",\"nonce\":%u,\"size\":%u,\"n_tx\":%u,\"txs\":[",
               h, prev, mr, b->hdr.version, b->hdr.time, b->hdr.bits, b->hdr.nonce, b->size,
               b->n_tx);
    else
        printf("block %s\n  prev %s\n  merkle root %s (checked)\n  version 0x%08x, time %u, bits "
               "%08x, nonce %u\n"
               "  size %u bytes, %u transactions\n",
               h, prev, mr, (unsigned)b->hdr.version, b->hdr.time, b->hdr.bits, b->hdr.nonce,
               b->size, b->n_tx);
    for (uint32_t i = 0; i < b->n_tx; i++) {
        if (json && i) printf(",");
        print_tx(&b->tx[i], net, json, scripts, i == 0);
    }
    if (json) printf("]}\n");
}

static int all_hex(const uint8_t *p, size_t n)
{
    if (!n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit(p[i]) && !isspace(p[i])) return 0;
    return 1;
}

int cmd_decode(int argc, char **argv)
{
    int json = 0, scripts = 0, c;
    const struct cs_netparams *net = cs_net_by_name("main");
    static const struct option opts[] = {{"json", no_argument, 0, 'j'},
                                         {"network", required_argument, 0, 'n'},
                                         {"scripts", no_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else if (c == 's')
            scripts = 1;
        else if (c == 'n') {
            net = cs_net_by_name(optarg);
            if (!net) return cli_usage("decode", "unknown network '%s'", optarg);
        } else if (c == 'h') {
            fputs(USAGE, stdout);
            return 0;
        } else
            return cli_usage("decode", "unknown option");
    }
    if (optind + 1 != argc) return cli_usage("decode", "give one FILE or HEX string");
    const char *arg = argv[optind], *label = arg;
    uint8_t *data = NULL;
    size_t len = 0;
    struct stat st;
    if (stat(arg, &st) == 0) {
        if (st.st_size > MAX_INPUT)
            return cli_fail("decode", "%s: larger than %u MiB", arg, MAX_INPUT >> 20);
        FILE *f = fopen(arg, "rb");
        if (!f) return cli_fail("decode", "%s: %s", arg, strerror(errno));
        data = cs_xmalloc((size_t)st.st_size + 1);
        len = fread(data, 1, (size_t)st.st_size, f);
        fclose(f);
    } else {
        len = strlen(arg);
        data = cs_xmalloc(len + 1);
        memcpy(data, arg, len);
        label = "argument";
        if (!all_hex(data, len)) {
            free(data);
            return cli_fail("decode", "'%.40s%s' is neither a readable file nor hex", arg,
                            len > 40 ? "..." : "");
        }
    }
    if (all_hex(data, len)) { /* hex text: strip whitespace and decode */
        size_t m = 0;
        for (size_t i = 0; i < len; i++)
            if (!isspace(data[i])) data[m++] = data[i];
        if (m % 2) {
            free(data);
            return cli_fail("decode", "%s: odd number of hex digits (%zu)", label, m);
        }
        if (cs_unhex(data, m / 2, (const char *)data, m)) {
            free(data);
            return cli_fail("decode", "%s: invalid hex", label);
        }
        len = m / 2;
    }
    struct cs_block_arena arena = {0};
    int rc = 0;
    const struct cs_netparams *framed = len >= 8 ? cs_net_by_magic(data) : NULL;
    if (framed) { /* blk*.dat framing */
        size_t off = 0;
        while (off + 8 <= len && rc == 0) {
            if (!memcmp(data + off, "\0\0\0\0", 4)) break;
            if (!cs_net_by_magic(data + off)) {
                rc = cs_error(CS_EFORMAT, "%s: byte %zu: bad magic", label, off);
                break;
            }
            uint32_t bl = cs_le32(data + off + 4);
            if (bl > len - off - 8) {
                rc = cs_error(CS_EFORMAT,
                              "%s: byte %zu: truncated block: record says %u bytes, %zu remain",
                              label, off, bl, len - off - 8);
                break;
            }
            struct cs_block b;
            rc = cs_block_parse(&b, &arena, data + off + 8, bl, label, off + 8, 0);
            if (!rc) print_block(&b, framed, json, scripts);
            off += 8 + (size_t)bl;
        }
    } else {
        struct cs_block b;
        struct cs_tx t;
        size_t used = 0;
        char blockmsg[1024] = "";
        int brc = len >= 81 ? cs_block_parse(&b, &arena, data, len, label, 0, 0) : CS_EFORMAT;
        if (brc == 0) {
            print_block(&b, net, json, scripts);
        } else {
            if (len >= 81) snprintf(blockmsg, sizeof blockmsg, "%s", cs_errmsg());
            rc = cs_tx_parse(&t, &arena, data, len, &used, label, 0, 0);
            if (rc == 0 && used != len)
                rc = cs_error(CS_EFORMAT, "%s: byte %zu: %zu bytes after the transaction", label,
                              used, len - used);
            if (rc == 0) {
                print_tx(&t, net, json, scripts, 0);
                if (json) printf("\n");
            } else if (brc == CS_ECONSENSUS) {
                rc = cs_error(brc, "%s", blockmsg); /* a block whose merkle root fails */
            } else if (blockmsg[0]) {
                char txmsg[1024];
                snprintf(txmsg, sizeof txmsg, "%s", cs_errmsg());
                rc = cs_error(rc, "not a block (%s) nor a transaction (%s)", blockmsg, txmsg);
            }
        }
    }
    cs_block_arena_free(&arena);
    free(data);
    if (rc) return cli_fail_err("decode", rc);
    return 0;
}
