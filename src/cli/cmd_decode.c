/* cmd_decode.c — `chainsleuth decode FILE|HEX`: raw block or transaction,
 * no store needed.  Also reads whole blk*.dat files (one JSON line a block). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "btc/block.h"
#include "btc/script.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "util/codec.h"

static const char ABOUT[] =
    "Decodes a raw block or transaction given as a file (binary or hex text) or as\n"
    "a hex argument. A file in blk*.dat framing (magic, size, block) is decoded\n"
    "record by record, one JSON line per block with --json.\n";

static const char EPILOG[] = "The merkle root of a block is checked; a mismatch is an error.\n";

#define MAX_INPUT (256u << 20)

static void json_hex(struct cs_json_writer *w, const char *key, const uint8_t *p, uint32_t n)
{
    char *h = cs_xmalloc(2 * (size_t)n + 1);
    cs_hex(h, p, n);
    cs_json_writer_key(w, key);
    cs_json_writer_string(w, h);
    free(h);
}

static void json_tx(struct cs_json_writer *w, const struct cs_tx *t, const struct cs_netparams *net,
                    int scripts, int coinbase)
{
    char id[65], wid[65], addr[96];
    cs_hex_rev(id, t->txid);
    cs_hex_rev(wid, t->wtxid);
    uint32_t wt = cs_tx_weight(t);
    cs_json_writer_begin_object(w);
    cs_json_writer_key(w, "txid");
    cs_json_writer_string(w, id);
    cs_json_writer_key(w, "wtxid");
    cs_json_writer_string(w, wid);
    cs_json_writer_key(w, "version");
    cs_json_writer_i64(w, t->version);
    cs_json_writer_key(w, "locktime");
    cs_json_writer_u64(w, t->locktime);
    cs_json_writer_key(w, "size");
    cs_json_writer_u64(w, t->size);
    cs_json_writer_key(w, "weight");
    cs_json_writer_u64(w, wt);
    cs_json_writer_key(w, "vsize");
    cs_json_writer_u64(w, (wt + 3) / 4);
    cs_json_writer_key(w, "inputs");
    cs_json_writer_begin_array(w);
    for (uint32_t i = 0; i < t->n_in; i++) {
        const struct cs_txin *in = &t->in[i];
        char pid[65];
        cs_hex_rev(pid, in->prev_txid);
        cs_json_writer_begin_object(w);
        if (coinbase) {
            cs_json_writer_key(w, "coinbase");
            cs_json_writer_bool(w, 1);
        }
        cs_json_writer_key(w, "prev_txid");
        cs_json_writer_string(w, pid);
        cs_json_writer_key(w, "vout");
        cs_json_writer_u64(w, in->prev_vout);
        cs_json_writer_key(w, "sequence");
        cs_json_writer_u64(w, in->sequence);
        cs_json_writer_key(w, "witness_items");
        cs_json_writer_u64(w, in->witness_items);
        if (scripts) json_hex(w, "script_sig", in->script, in->script_len);
        cs_json_writer_end_object(w);
    }
    cs_json_writer_end_array(w);
    cs_json_writer_key(w, "outputs");
    cs_json_writer_begin_array(w);
    for (uint32_t o = 0; o < t->n_out; o++) {
        struct cs_addr a;
        cs_script_classify(t->out[o].script, t->out[o].script_len, &a);
        cs_addr_format(&a, net, addr);
        cs_json_writer_begin_object(w);
        cs_json_writer_key(w, "n");
        cs_json_writer_u64(w, o);
        cs_json_writer_key(w, "value");
        cs_json_writer_i64(w, t->out[o].value);
        cs_json_writer_key(w, "type");
        cs_json_writer_string(w, cs_addr_type_name(a.type));
        cs_json_writer_key(w, "address");
        cs_json_writer_string(w, addr);
        if (a.flags & CS_ADDRF_P2PK) {
            cs_json_writer_key(w, "p2pk");
            cs_json_writer_bool(w, 1);
        }
        if (scripts) json_hex(w, "script", t->out[o].script, t->out[o].script_len);
        cs_json_writer_end_object(w);
    }
    cs_json_writer_end_array(w);
    cs_json_writer_end_object(w);
}

static void print_tx(const struct cs_tx *t, const struct cs_netparams *net, int coinbase)
{
    char id[65], wid[65], addr[96];
    cs_hex_rev(id, t->txid);
    cs_hex_rev(wid, t->wtxid);
    uint32_t w = cs_tx_weight(t);
    printf("tx %s\n  wtxid %s\n  version %d, locktime %u, size %u, weight %u, vsize %u\n", id, wid,
           t->version, t->locktime, t->size, w, (w + 3) / 4);
    for (uint32_t i = 0; i < t->n_in; i++) {
        const struct cs_txin *in = &t->in[i];
        char pid[65];
        cs_hex_rev(pid, in->prev_txid);
        if (coinbase)
            printf("  in  #%u coinbase (%u-byte scriptSig)\n", i, in->script_len);
        else
            printf("  in  #%u %s:%u seq %08x%s\n", i, pid, in->prev_vout, in->sequence,
                   in->witness_items ? " (witness)" : "");
    }
    for (uint32_t o = 0; o < t->n_out; o++) {
        struct cs_addr a;
        char btc[32];
        cs_script_classify(t->out[o].script, t->out[o].script_len, &a);
        cs_addr_format(&a, net, addr);
        printf("  out #%u %s BTC  %s (%s%s)\n", o, cli_btc((uint64_t)t->out[o].value, btc), addr,
               cs_addr_type_name(a.type), a.flags & CS_ADDRF_P2PK ? ", p2pk" : "");
    }
}

/* One block: a JSON document of its own (one line), or the text form.
 * Returns 0 or 1 (JSON output failed, message printed). */
static int print_block(const struct cs_block *b, const struct cs_netparams *net, int json,
                       int scripts)
{
    char h[65], prev[65], mr[65];
    cs_hex_rev(h, b->hash);
    cs_hex_rev(prev, b->hdr.prev);
    cs_hex_rev(mr, b->hdr.merkle);
    if (json) {
        struct cs_json_writer w;
        char bits[9];
        snprintf(bits, sizeof bits, "%08x", b->hdr.bits);
        cli_json_begin(&w);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "hash");
        cs_json_writer_string(&w, h);
        cs_json_writer_key(&w, "prev");
        cs_json_writer_string(&w, prev);
        cs_json_writer_key(&w, "merkle_root");
        cs_json_writer_string(&w, mr);
        cs_json_writer_key(&w, "version");
        cs_json_writer_i64(&w, b->hdr.version);
        cs_json_writer_key(&w, "time");
        cs_json_writer_u64(&w, b->hdr.time);
        cs_json_writer_key(&w, "bits");
        cs_json_writer_string(&w, bits);
        cs_json_writer_key(&w, "nonce");
        cs_json_writer_u64(&w, b->hdr.nonce);
        cs_json_writer_key(&w, "size");
        cs_json_writer_u64(&w, b->size);
        cs_json_writer_key(&w, "n_tx");
        cs_json_writer_u64(&w, b->n_tx);
        cs_json_writer_key(&w, "txs");
        cs_json_writer_begin_array(&w);
        for (uint32_t i = 0; i < b->n_tx; i++)
            json_tx(&w, &b->tx[i], net, scripts, i == 0);
        cs_json_writer_end_array(&w);
        cs_json_writer_end_object(&w);
        return cli_json_end("decode", &w);
    }
    printf("block %s\n  prev %s\n  merkle root %s (checked)\n  version 0x%08x, time %u, bits "
           "%08x, nonce %u\n"
           "  size %u bytes, %u transactions\n",
           h, prev, mr, (unsigned)b->hdr.version, b->hdr.time, b->hdr.bits, b->hdr.nonce, b->size,
           b->n_tx);
    for (uint32_t i = 0; i < b->n_tx; i++)
        print_tx(&b->tx[i], net, i == 0);
    return 0;
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
    int json = 0, scripts = 0, npos;
    const char *net_s = NULL;
    const struct cli_opt opts[] = {
        CLI_FLAG("json", 0, &json, "print JSON (one line per block)"),
        CLI_STRING("network", 0, &net_s, "NAME",
                   "main (default), testnet3, testnet4, signet, regtest: address\n"
                   "encoding (blk framing names its own network)"),
        CLI_FLAG("scripts", 0, &scripts, "include scriptSig/scriptPubKey hex"),
        CLI_OPT_TABLE_END,
    };
    const struct cli_cmd cmd = {
        "decode", "usage: chainsleuth decode FILE|HEX [--json] [--network NAME] [--scripts]\n",
        ABOUT,    opts,
        EPILOG,   NULL};
    int prc = cli_opt_parse(&cmd, argc, argv, &npos);
    if (prc != CLI_OPT_OK) return prc;
    const struct cs_netparams *net = cs_net_by_name(net_s ? net_s : "main");
    if (!net) return cli_usage("decode", "unknown network '%s'", net_s);
    if (npos != 1) return cli_usage("decode", "give one FILE or HEX string");
    const char *arg = argv[1], *label = arg;
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
    int rc = 0, out_failed = 0;
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
            if (!rc && print_block(&b, framed, json, scripts)) out_failed = 1;
            off += 8 + (size_t)bl;
        }
    } else {
        struct cs_block b;
        struct cs_tx t;
        size_t used = 0;
        char blockmsg[1024] = "";
        int brc = len >= 81 ? cs_block_parse(&b, &arena, data, len, label, 0, 0) : CS_EFORMAT;
        if (brc == 0) {
            if (print_block(&b, net, json, scripts)) out_failed = 1;
        } else {
            if (len >= 81) snprintf(blockmsg, sizeof blockmsg, "%s", cs_errmsg());
            rc = cs_tx_parse(&t, &arena, data, len, &used, label, 0, 0);
            if (rc == 0 && used != len)
                rc = cs_error(CS_EFORMAT, "%s: byte %zu: %zu bytes after the transaction", label,
                              used, len - used);
            if (rc == 0 && json) {
                struct cs_json_writer w;
                cli_json_begin(&w);
                json_tx(&w, &t, net, scripts, 0);
                if (cli_json_end("decode", &w)) out_failed = 1;
            } else if (rc == 0) {
                print_tx(&t, net, 0);
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
    return out_failed;
}
