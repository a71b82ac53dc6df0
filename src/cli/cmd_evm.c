/* cmd_evm.c — the EVM side of `address`, `tx`, `block`, `info` and `ingest
 * evm`: the commands parse their options and come here when --chain names an
 * EVM chain.  Amounts are exact: JSON carries them as decimal strings of base
 * units (wei, token units); text shows whole units.  Addresses are EIP-55 in
 * text and lower case in JSON. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "cli/cli.h"
#include "cluster/evm_cluster.h"
#include "evm/ingest.h"
#include "evm/ledger.h"
#include "evm/store.h"
#include "report/report_evm.h"
#include "util/amount.h"
#include "util/codec.h"

int cli_chain_is_evm(const char *chain)
{
    const struct cs_chain *c = cs_chain_find(chain);
    return c && c->evm;
}

static int open_evm(const char *cmd, const char *db, const char *chain, struct cs_evm **s)
{
    int rc = cli_check_chain(cmd, chain);
    if (rc) return rc;
    rc = cs_evm_open(s, db, chain, CS_EVM_READ);
    return rc ? cli_fail_err(cmd, rc) : 0;
}

/* The asset of a transfer (0 = native) as a descriptor (report_evm.h). */
static void asset_of(const struct cs_evm *s, uint64_t asset, struct cs_asset *out)
{
    cs_report_evm_asset(s, asset, out);
}

static void json_addr(struct cs_json_writer *w, const char *key, const struct cs_evm *s,
                      uint64_t acct)
{
    cs_json_writer_key(w, key);
    if (!acct) {
        cs_json_writer_null(w);
        return;
    }
    char a[CS_EVM_ADDR_STR];
    cs_evm_addr_lower(cs_evm_acct(s, acct), a);
    cs_json_writer_string(w, a);
}

static const char *text_addr(const struct cs_evm *s, uint64_t acct, char out[CS_EVM_ADDR_STR])
{
    if (!acct) return "-";
    cs_evm_addr_format(cs_evm_acct(s, acct), out);
    return out;
}

static void json_u256(struct cs_json_writer *w, const char *key, const struct cs_u256 *v)
{
    char d[CS_U256_DEC_MAX];
    cs_u256_to_dec(d, v);
    cs_json_writer_key(w, key);
    cs_json_writer_string(w, d);
}

/* Asset key for JSON: the native symbol, or the contract in lower case. */
static void json_asset(struct cs_json_writer *w, const struct cs_evm *s, uint64_t asset)
{
    struct cs_asset a;
    asset_of(s, asset, &a);
    cs_json_writer_key(w, "asset");
    if (!asset) {
        cs_json_writer_string(w, a.symbol);
        return;
    }
    char c[CS_EVM_ADDR_STR];
    cs_evm_addr_lower(cs_evm_acct(s, asset), c);
    cs_json_writer_string(w, c);
    const struct cs_evm_tokrec *t = cs_evm_token(s, asset);
    if (t && t->symbol[0]) {
        cs_json_writer_key(w, "symbol");
        cs_json_writer_string(w, t->symbol);
    }
    if (t && t->marks) {
        cs_json_writer_key(w, "token_marks");
        cs_json_writer_begin_array(w);
        if (t->marks & CS_TOK_IMITATES) cs_json_writer_string(w, "imitates-major-asset");
        if (t->marks & CS_TOK_NONASCII) cs_json_writer_string(w, "non-ascii-name");
        cs_json_writer_end_array(w);
    }
    if (t && t->has_decimals) {
        cs_json_writer_key(w, "decimals");
        cs_json_writer_u64(w, t->decimals);
    }
}

static const char *text_amount(const struct cs_evm *s, uint64_t asset, const struct cs_u256 *v,
                               char out[CS_AMOUNT_STR_MAX + 48])
{
    return cs_report_evm_amount(s, asset, v, out);
}

/* ---------------- address ---------------- */

struct sums {
    uint64_t asset;
    struct cs_u256 in, out;
};

struct cp {
    uint64_t acct, n;
};

static int cmp_cp(const void *a, const void *b)
{
    const struct cp *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return x->acct < y->acct ? -1 : x->acct > y->acct;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static struct sums *sums_for(struct sums **v, size_t *n, uint64_t asset)
{
    for (size_t i = 0; i < *n; i++)
        if ((*v)[i].asset == asset) return &(*v)[i];
    *v = cs_xrealloc(*v, (*n + 1) * sizeof **v);
    memset(&(*v)[*n], 0, sizeof **v);
    (*v)[*n].asset = asset;
    return &(*v)[(*n)++];
}

int cli_evm_address(const char *db, const char *chain, const char *arg, int json, uint64_t limit)
{
    uint8_t addr[20];
    if (cs_evm_addr_parse(arg, addr)) return cli_fail("address", "%s", cs_errmsg());
    struct cs_evm *s;
    int rc = open_evm("address", db, chain, &s);
    if (rc) return rc;
    uint64_t a = 0;
    int found = cs_evm_find_acct(s, addr, &a) == 0;
    struct sums *sum = NULL;
    size_t nsum = 0, ncp = 0, ntx = 0, captx = 0;
    struct cp *cps = NULL;
    uint64_t *txs = NULL, first = UINT64_MAX, last = 0, nx = 0;
    for (int dir = 0; found && dir < 2; dir++)
        for (uint64_t x = dir ? cs_evm_in_head(s, a) : cs_evm_out_head(s, a); x != CS_EVM_NONE;
             x = dir ? cs_evm_in_next(s, x) : cs_evm_out_next(s, x)) {
            const struct cs_evm_xferrec *r = cs_evm_xfer(s, x);
            if (dir && r->from == a) continue; /* to self: counted once, on the sent side */
            struct cs_u256 v;
            cs_evm_xfer_amount(s, x, &v);
            struct sums *m = sums_for(&sum, &nsum, r->asset);
            if (r->kind != CS_XK_ERC721) { /* an ERC-721 amount is a token id */
                if (r->from == a && cs_u256_add(&m->out, &m->out, &v))
                    BUG("sent sum overflows 2^256");
                if (r->to == a && cs_u256_add(&m->in, &m->in, &v))
                    BUG("received sum overflows 2^256");
            }
            uint64_t other = r->from == a ? r->to : r->from;
            if (other && other != a) {
                size_t i = 0;
                while (i < ncp && cps[i].acct != other)
                    i++;
                if (i == ncp) {
                    cps = cs_xrealloc(cps, (ncp + 1) * sizeof *cps);
                    cps[ncp++] = (struct cp){other, 0};
                }
                cps[i].n++;
            }
            uint64_t b = cs_evm_block(s, cs_evm_xfer_block(s, x))->number;
            if (b < first) first = b;
            if (b > last) last = b;
            uint64_t tx = cs_evm_xfer_tx(s, x);
            if (tx != CS_EVM_NONE) {
                if (ntx == captx) {
                    captx = captx ? 2 * captx : 64;
                    txs = cs_xrealloc(txs, captx * sizeof *txs);
                }
                txs[ntx++] = tx;
            }
            nx++;
        }
    if (ntx > 1) qsort(txs, ntx, sizeof *txs, cmp_u64);
    size_t distinct = 0;
    for (size_t i = 0; i < ntx; i++)
        if (!i || txs[i] != txs[i - 1]) distinct++;
    if (ncp > 1) qsort(cps, ncp, sizeof *cps, cmp_cp);
    size_t shown = limit && ncp > limit ? (size_t)limit : ncp;
    /* the account's cluster id, when a clustering exists (stale ones say so) */
    int64_t cluster = -1;
    int cl_stale = 0;
    struct cs_evmclu *clu;
    if (found && !cs_evmclu_open_any(&clu, db, s, &cl_stale)) {
        cluster = (int64_t)cs_evmclu_cid(clu, a);
        cs_evmclu_close(clu);
    } else {
        cs_error_clear();
    }
    if (json) {
        struct cs_json_writer w;
        char low[CS_EVM_ADDR_STR];
        cs_evm_addr_lower(addr, low);
        cli_json_begin(&w);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "chain");
        cs_json_writer_string(&w, chain);
        cs_json_writer_key(&w, "address");
        cs_json_writer_string(&w, low);
        cs_json_writer_key(&w, "found");
        cs_json_writer_bool(&w, found);
        cs_json_writer_key(&w, "transfers");
        cs_json_writer_u64(&w, nx);
        cs_json_writer_key(&w, "tx_count");
        cs_json_writer_u64(&w, distinct);
        cs_json_writer_key(&w, "first_block");
        if (nx)
            cs_json_writer_u64(&w, first);
        else
            cs_json_writer_null(&w);
        cs_json_writer_key(&w, "last_block");
        if (nx)
            cs_json_writer_u64(&w, last);
        else
            cs_json_writer_null(&w);
        cs_json_writer_key(&w, "cluster");
        if (cluster >= 0)
            cs_json_writer_u64(&w, (uint64_t)cluster);
        else
            cs_json_writer_null(&w);
        cs_json_writer_key(&w, "cluster_stale");
        cs_json_writer_bool(&w, cluster >= 0 && cl_stale);
        for (int part = 0; part < 3; part++) {
            cs_json_writer_key(&w, part == 0 ? "balances" : part == 1 ? "received" : "sent");
            cs_json_writer_begin_array(&w);
            for (size_t i = 0; i < nsum; i++) {
                cs_json_writer_begin_object(&w);
                json_asset(&w, s, sum[i].asset);
                if (part == 0) {
                    /* the store may not hold the account's whole history (an
                     * export of a block range): a negative balance says so */
                    struct cs_u256 d;
                    char dec[CS_U256_DEC_MAX + 1];
                    int neg = cs_u256_cmp(&sum[i].in, &sum[i].out) < 0;
                    if (neg ? cs_u256_sub(&d, &sum[i].out, &sum[i].in)
                            : cs_u256_sub(&d, &sum[i].in, &sum[i].out))
                        BUG("balance");
                    dec[0] = '-';
                    cs_u256_to_dec(dec + 1, &d);
                    cs_json_writer_key(&w, "amount");
                    cs_json_writer_string(&w, neg ? dec : dec + 1);
                } else {
                    json_u256(&w, "amount", part == 1 ? &sum[i].in : &sum[i].out);
                }
                cs_json_writer_end_object(&w);
            }
            cs_json_writer_end_array(&w);
        }
        cs_json_writer_key(&w, "counterparties");
        cs_json_writer_begin_array(&w);
        for (size_t i = 0; i < shown; i++) {
            cs_json_writer_begin_object(&w);
            json_addr(&w, "address", s, cps[i].acct);
            cs_json_writer_key(&w, "transfers");
            cs_json_writer_u64(&w, cps[i].n);
            cs_json_writer_end_object(&w);
        }
        cs_json_writer_end_array(&w);
        cs_json_writer_end_object(&w);
        rc = cli_json_end("address", &w);
    } else {
        char h[CS_EVM_ADDR_STR], amt[CS_AMOUNT_STR_MAX + 48];
        cs_evm_addr_format(addr, h);
        printf("address    %s (%s)\n", h, chain);
        if (!nx) printf("           no transfers in the store\n");
        printf("transfers  %llu in %zu transactions", (unsigned long long)nx, distinct);
        if (nx)
            printf(", blocks %llu to %llu", (unsigned long long)first, (unsigned long long)last);
        printf("\n");
        if (cluster >= 0)
            printf("cluster    %lld%s\n", (long long)cluster,
                   cl_stale ? " (clustering made at another tip: run chainsleuth cluster)" : "");
        for (size_t i = 0; i < nsum; i++) {
            struct cs_u256 d;
            int neg = cs_u256_cmp(&sum[i].in, &sum[i].out) < 0;
            if (neg ? cs_u256_sub(&d, &sum[i].out, &sum[i].in)
                    : cs_u256_sub(&d, &sum[i].in, &sum[i].out))
                BUG("balance");
            printf("balance    %s%s\n", neg ? "-" : "", text_amount(s, sum[i].asset, &d, amt));
            printf("  received %s\n", text_amount(s, sum[i].asset, &sum[i].in, amt));
            printf("  sent     %s\n", text_amount(s, sum[i].asset, &sum[i].out, amt));
        }
        for (size_t i = 0; i < shown; i++)
            printf("%s %s  %llu transfers\n", i ? "          " : "top with  ",
                   text_addr(s, cps[i].acct, h), (unsigned long long)cps[i].n);
    }
    free(sum);
    free(cps);
    free(txs);
    cs_evm_close(s);
    return rc;
}

/* ---------------- tx ---------------- */

static const char *status_name(int st)
{
    return st == CS_ETX_OK ? "success" : st == CS_ETX_FAILED ? "failed" : "unknown";
}

/* The token id of an ERC-1155 transfer x of tx t, from its kept raw log. */
static int erc1155_id(const struct cs_evm *s, uint64_t t, const struct cs_evm_xferrec *xr,
                      struct cs_u256 *id)
{
    uint64_t f, n;
    cs_evm_tx_logs(s, t, &f, &n);
    for (uint64_t r = f; r < f + n; r++) {
        const struct cs_evm_logrec *lr = cs_evm_log(s, r);
        if (lr->index == xr->aux && lr->ntopics)
            return cs_evm_erc1155_id(lr->topic[0], cs_evm_log_data(s, r), lr->data_len, xr->pos,
                                     id);
    }
    return 0;
}

static void json_logs(struct cs_json_writer *w, const struct cs_evm *s, uint64_t t)
{
    uint64_t f, n;
    cs_evm_tx_logs(s, t, &f, &n);
    cs_json_writer_key(w, "logs");
    cs_json_writer_begin_array(w);
    for (uint64_t r = f; r < f + n; r++) {
        const struct cs_evm_logrec *lr = cs_evm_log(s, r);
        char hex[67] = "0x";
        cs_json_writer_begin_object(w);
        cs_json_writer_key(w, "log_index");
        cs_json_writer_u64(w, lr->index);
        json_addr(w, "address", s, lr->acct);
        cs_json_writer_key(w, "topics");
        cs_json_writer_begin_array(w);
        for (unsigned i = 0; i < lr->ntopics; i++) {
            cs_hex(hex + 2, lr->topic[i], 32);
            cs_json_writer_string(w, hex);
        }
        cs_json_writer_end_array(w);
        size_t dl = lr->data_len;
        char *dh = cs_xmalloc(2 * dl + 3);
        dh[0] = '0';
        dh[1] = 'x';
        cs_hex(dh + 2, cs_evm_log_data(s, r), dl);
        cs_json_writer_key(w, "data");
        cs_json_writer_string(w, dh);
        free(dh);
        cs_json_writer_end_object(w);
    }
    cs_json_writer_end_array(w);
}

int cli_evm_tx(const char *db, const char *chain, const char *arg, int json)
{
    uint8_t hash[32];
    const char *digits = strncmp(arg, "0x", 2) ? arg : arg + 2;
    if (strlen(digits) != 64 || cs_unhex(hash, 32, digits, 64))
        return cli_usage("tx", "'%s' is not a 32-byte transaction hash (0x and 64 hex digits)",
                         arg);
    struct cs_evm *s;
    int rc = open_evm("tx", db, chain, &s);
    if (rc) return rc;
    uint64_t t;
    if (cs_evm_find_tx(s, hash, &t)) {
        cs_evm_close(s);
        return cli_fail("tx", "%s: not in the %s store", arg, chain);
    }
    const struct cs_evm_txrec *r = cs_evm_tx(s, t);
    const struct cs_evm_blockrec *b = cs_evm_block(s, r->block);
    struct cs_u256 value, fee = {{0}}, v;
    cs_evm_tx_value(s, t, &value);
    for (uint64_t x = r->first_xfer; x < r->first_xfer + r->n_xfer; x++) {
        int k = cs_evm_xfer(s, x)->kind;
        cs_evm_xfer_amount(s, x, &v);
        if ((k == CS_XK_FEE_TIP || k == CS_XK_FEE_BURN) && cs_u256_add(&fee, &fee, &v))
            BUG("fee overflows");
    }
    int fee_known = (b->flags & CS_EB_RECEIPTS) != 0;
    if (json) {
        struct cs_json_writer w;
        char hex[67] = "0x";
        cs_hex(hex + 2, hash, 32);
        cli_json_begin(&w);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "chain");
        cs_json_writer_string(&w, chain);
        cs_json_writer_key(&w, "hash");
        cs_json_writer_string(&w, hex);
        cs_json_writer_key(&w, "block");
        cs_json_writer_u64(&w, b->number);
        cs_json_writer_key(&w, "index");
        cs_json_writer_u64(&w, r->index);
        json_addr(&w, "from", s, r->from);
        json_addr(&w, "to", s, r->to);
        json_addr(&w, "contract_created", s, r->created);
        cs_json_writer_key(&w, "nonce");
        cs_json_writer_u64(&w, r->nonce);
        cs_json_writer_key(&w, "type");
        cs_json_writer_u64(&w, r->type);
        cs_json_writer_key(&w, "status");
        cs_json_writer_string(&w, status_name(r->status));
        json_u256(&w, "value", &value);
        cs_json_writer_key(&w, "gas_used");
        if (fee_known)
            cs_json_writer_u64(&w, r->gas_used);
        else
            cs_json_writer_null(&w);
        cs_json_writer_key(&w, "effective_gas_price");
        if (fee_known)
            cs_json_writer_u64(&w, r->gas_price);
        else
            cs_json_writer_null(&w);
        if (fee_known) {
            json_u256(&w, "fee", &fee);
        } else {
            cs_json_writer_key(&w, "fee");
            cs_json_writer_null(&w);
        }
        cs_json_writer_key(&w, "transfers");
        cs_json_writer_begin_array(&w);
        for (uint64_t x = r->first_xfer; x < r->first_xfer + r->n_xfer; x++) {
            const struct cs_evm_xferrec *xr = cs_evm_xfer(s, x);
            cs_evm_xfer_amount(s, x, &v);
            cs_json_writer_begin_object(&w);
            cs_json_writer_key(&w, "kind");
            cs_json_writer_string(&w, cs_evm_kind_name(xr->kind));
            json_addr(&w, "from", s, xr->from);
            json_addr(&w, "to", s, xr->to);
            json_asset(&w, s, xr->asset);
            json_u256(&w, "amount", &v);
            if (xr->kind >= CS_XK_ERC20) {
                cs_json_writer_key(&w, "log_index");
                cs_json_writer_u64(&w, xr->aux);
            }
            struct cs_u256 id;
            if (xr->kind == CS_XK_ERC1155 && erc1155_id(s, t, xr, &id))
                json_u256(&w, "token_id", &id);
            if (xr->flags & CS_XF_ZERO) { /* an address-poisoning mark */
                cs_json_writer_key(&w, "zero_value");
                cs_json_writer_bool(&w, 1);
            }
            if (xr->flags & CS_XF_LOOKALIKE) { /* an address-poisoning mark */
                cs_json_writer_key(&w, "lookalike");
                cs_json_writer_bool(&w, 1);
            }
            if (xr->flags & CS_XF_KIND_GUESS) {
                cs_json_writer_key(&w, "kind_uncertain");
                cs_json_writer_bool(&w, 1);
            }
            if (xr->flags & CS_XF_NOSTATUS) {
                cs_json_writer_key(&w, "status_unknown");
                cs_json_writer_bool(&w, 1);
            }
            cs_json_writer_end_object(&w);
        }
        cs_json_writer_end_array(&w);
        json_logs(&w, s, t);
        cs_json_writer_end_object(&w);
        rc = cli_json_end("tx", &w);
    } else {
        char a1[CS_EVM_ADDR_STR], a2[CS_EVM_ADDR_STR], amt[CS_AMOUNT_STR_MAX + 48];
        printf("tx         %s (%s)\n", arg, chain);
        printf("block      %llu, index %u, type %u, nonce %llu\n", (unsigned long long)b->number,
               r->index, r->type, (unsigned long long)r->nonce);
        printf("from       %s\n", text_addr(s, r->from, a1));
        printf("to         %s%s\n", r->to ? text_addr(s, r->to, a2) : "(contract creation) ",
               r->created ? text_addr(s, r->created, a2) : "");
        printf("status     %s\n", status_name(r->status));
        printf("value      %s\n", text_amount(s, 0, &value, amt));
        if (fee_known)
            printf("fee        %s (%llu gas at %llu wei)\n", text_amount(s, 0, &fee, amt),
                   (unsigned long long)r->gas_used, (unsigned long long)r->gas_price);
        else
            printf("fee        unknown (no receipt in the store)\n");
        printf("transfers  %u\n", r->n_xfer);
        for (uint64_t x = r->first_xfer; x < r->first_xfer + r->n_xfer; x++) {
            const struct cs_evm_xferrec *xr = cs_evm_xfer(s, x);
            cs_evm_xfer_amount(s, x, &v);
            const struct cs_evm_tokrec *tk = xr->asset ? cs_evm_token(s, xr->asset) : NULL;
            char idtxt[CS_U256_DEC_MAX + 8] = "";
            struct cs_u256 id;
            if (xr->kind == CS_XK_ERC1155 && erc1155_id(s, t, xr, &id)) {
                char d[CS_U256_DEC_MAX];
                cs_u256_to_dec(d, &id);
                snprintf(idtxt, sizeof idtxt, " id %s", d);
            }
            printf("  %-15s %s -> %s  %s%s%s%s%s\n", cs_evm_kind_name(xr->kind),
                   text_addr(s, xr->from, a1), text_addr(s, xr->to, a2),
                   text_amount(s, xr->asset, &v, amt), idtxt,
                   xr->flags & CS_XF_ZERO ? "  [zero value: an address-poisoning mark]" : "",
                   xr->flags & CS_XF_LOOKALIKE
                       ? "  [look-alike of an earlier counterparty: an address-poisoning mark]"
                       : "",
                   tk && tk->marks ? "  [token looks like another asset]" : "");
        }
        uint64_t lf, ln;
        cs_evm_tx_logs(s, t, &lf, &ln);
        if (ln) printf("logs kept  %llu\n", (unsigned long long)ln);
        for (uint64_t lr = lf; lr < lf + ln; lr++) {
            const struct cs_evm_logrec *g = cs_evm_log(s, lr);
            char tp[65];
            cs_hex(tp, g->topic[0], 32);
            printf("  #%-4u %s  topic0 0x%s, %u data bytes\n", g->index, text_addr(s, g->acct, a1),
                   g->ntopics ? tp : "(none)", g->data_len);
        }
    }
    cs_evm_close(s);
    return rc;
}

/* ---------------- block ---------------- */

int cli_evm_block(const char *db, const char *chain, const char *arg, int json, int txs)
{
    struct cs_evm *s;
    int rc = open_evm("block", db, chain, &s);
    if (rc) return rc;
    uint64_t row = 0, n = 0;
    const struct cs_evm_counts *k = cs_evm_counts(s);
    if (strlen(arg) == 66 && !strncmp(arg, "0x", 2)) {
        uint8_t h[32];
        rc = cs_unhex(h, 32, arg + 2, 64) ? cli_usage("block", "'%s' is not a block hash", arg)
                                          : cli_fail("block", "%s: not in the store", arg);
        for (uint64_t i = 0; rc == 1 && i < k->blocks; i++)
            if (!memcmp(cs_evm_block(s, i)->hash, h, 32)) {
                row = i;
                rc = 0;
            }
    } else {
        char *end;
        n = strtoull(arg, &end, 10);
        if (!*arg || *end || *arg == '-')
            rc = cli_usage("block", "'%s' is neither a block number nor a 0x hash", arg);
        else if (cs_evm_find_block(s, n, &row))
            rc = cli_fail("block", "block %s: not in the %s store", arg, chain);
    }
    if (rc) {
        cs_evm_close(s);
        return rc;
    }
    const struct cs_evm_blockrec *b = cs_evm_block(s, row);
    uint64_t xend = row + 1 < k->blocks ? cs_evm_block(s, row + 1)->first_xfer : k->xfer;
    char hex[67] = "0x", par[67] = "0x";
    cs_hex(hex + 2, b->hash, 32);
    cs_hex(par + 2, b->parent, 32);
    static const struct {
        uint32_t flag;
        const char *name;
    } HAVE[] = {
        {CS_EB_RECEIPTS, "receipts"}, {CS_EB_INTERNAL, "internal"}, {CS_EB_TOKENS, "tokens"}};
    if (json) {
        struct cs_json_writer w;
        cli_json_begin(&w);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "chain");
        cs_json_writer_string(&w, chain);
        cs_json_writer_key(&w, "number");
        cs_json_writer_u64(&w, b->number);
        cs_json_writer_key(&w, "hash");
        cs_json_writer_string(&w, hex);
        cs_json_writer_key(&w, "parent_hash");
        cs_json_writer_string(&w, par);
        cs_json_writer_key(&w, "timestamp");
        cs_json_writer_u64(&w, b->timestamp);
        json_addr(&w, "miner", s, b->miner);
        cs_json_writer_key(&w, "gas_used");
        cs_json_writer_u64(&w, b->gas_used);
        cs_json_writer_key(&w, "base_fee_per_gas");
        if (b->flags & CS_EB_BASEFEE)
            cs_json_writer_u64(&w, b->base_fee);
        else
            cs_json_writer_null(&w);
        cs_json_writer_key(&w, "transaction_count");
        cs_json_writer_u64(&w, b->n_tx);
        cs_json_writer_key(&w, "transfers");
        cs_json_writer_u64(&w, xend - b->first_xfer);
        for (size_t i = 0; i < 3; i++) {
            char key[32];
            snprintf(key, sizeof key, "has_%s", HAVE[i].name);
            cs_json_writer_key(&w, key);
            cs_json_writer_bool(&w, (b->flags & HAVE[i].flag) != 0);
        }
        if (txs) {
            cs_json_writer_key(&w, "txs");
            cs_json_writer_begin_array(&w);
            for (uint64_t t = b->first_tx; t < b->first_tx + b->n_tx; t++) {
                char th[67] = "0x";
                cs_hex(th + 2, cs_evm_txhash(s, t), 32);
                cs_json_writer_string(&w, th);
            }
            cs_json_writer_end_array(&w);
        }
        cs_json_writer_end_object(&w);
        rc = cli_json_end("block", &w);
    } else {
        char m[CS_EVM_ADDR_STR];
        printf("block      %llu (%s)\n", (unsigned long long)b->number, chain);
        printf("hash       %s\n", hex);
        printf("parent     %s\n", par);
        printf("timestamp  %llu\n", (unsigned long long)b->timestamp);
        printf("miner      %s\n", text_addr(s, b->miner, m));
        printf("txs        %u, %llu transfers\n", b->n_tx,
               (unsigned long long)(xend - b->first_xfer));
        for (size_t i = 0; i < 3; i++)
            if (!(b->flags & HAVE[i].flag))
                printf("note       no %s for this block: %s\n", HAVE[i].name,
                       i == 0   ? "status and fees unknown"
                       : i == 1 ? "internal transfers unavailable"
                                : "token transfers unavailable");
        for (uint64_t t = b->first_tx; txs && t < b->first_tx + b->n_tx; t++) {
            char th[67] = "0x";
            cs_hex(th + 2, cs_evm_txhash(s, t), 32);
            printf("  %s\n", th);
        }
    }
    cs_evm_close(s);
    return rc;
}

/* ---------------- info ---------------- */

void cli_evm_info(struct cs_evm *s, struct cs_json_writer *w)
{
    const struct cs_evm_counts *k = cs_evm_counts(s);
    const struct cs_evm_chain *ch = cs_evm_chain(s);
    uint64_t lack[3] = {0, 0, 0};
    static const uint32_t F[3] = {CS_EB_RECEIPTS, CS_EB_INTERNAL, CS_EB_TOKENS};
    for (uint64_t i = 0; i < k->blocks; i++)
        for (int j = 0; j < 3; j++)
            lack[j] += !(cs_evm_block(s, i)->flags & F[j]);
    char tip[67] = "0x";
    if (k->blocks) cs_hex(tip + 2, cs_evm_block(s, k->blocks - 1)->hash, 32);
    uint64_t first = k->blocks ? cs_evm_block(s, 0)->number : 0;
    uint64_t last = k->blocks ? cs_evm_block(s, k->blocks - 1)->number : 0;
    if (w) {
        cs_json_writer_key(w, ch->name);
        cs_json_writer_begin_object(w);
        cs_json_writer_key(w, "chain_id");
        cs_json_writer_u64(w, ch->chain_id);
        cs_json_writer_key(w, "first_block");
        if (k->blocks)
            cs_json_writer_u64(w, first);
        else
            cs_json_writer_null(w);
        cs_json_writer_key(w, "height");
        if (k->blocks)
            cs_json_writer_u64(w, last);
        else
            cs_json_writer_i64(w, -1);
        cs_json_writer_key(w, "tip");
        cs_json_writer_string(w, k->blocks ? tip : "");
        const struct {
            const char *key;
            uint64_t v;
        } nums[] = {{"blocks", k->blocks},
                    {"txs", k->tx},
                    {"transfers", k->xfer},
                    {"accounts", k->acct ? k->acct - 1 : 0},
                    {"tokens", k->tok},
                    {"raw_logs", k->log},
                    {"blocks_without_receipts", lack[0]},
                    {"blocks_without_internal_transfers", lack[1]},
                    {"blocks_without_token_transfers", lack[2]}};
        for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
            cs_json_writer_key(w, nums[i].key);
            cs_json_writer_u64(w, nums[i].v);
        }
        cs_json_writer_end_object(w);
        return;
    }
    printf("chain      %s (%s, chain id %llu)\n", ch->name, ch->title,
           (unsigned long long)ch->chain_id);
    if (k->blocks)
        printf("blocks     %llu: %llu to %llu\n", (unsigned long long)k->blocks,
               (unsigned long long)first, (unsigned long long)last);
    else
        printf("blocks     0\n");
    printf("tip        %s\n", k->blocks ? tip : "-");
    printf("txs        %llu\n", (unsigned long long)k->tx);
    printf("transfers  %llu\n", (unsigned long long)k->xfer);
    printf("accounts   %llu\n", (unsigned long long)(k->acct ? k->acct - 1 : 0));
    printf("tokens     %llu\n", (unsigned long long)k->tok);
    printf("raw logs   %llu kept (%llu data bytes)\n", (unsigned long long)k->log,
           (unsigned long long)k->logd);
    static const char *const WHAT[3] = {"receipts (status and fees unknown)",
                                        "internal transfers (unavailable)",
                                        "token transfers (unavailable)"};
    for (int j = 0; j < 3; j++)
        if (lack[j])
            printf("note       %llu blocks without %s\n", (unsigned long long)lack[j], WHAT[j]);
}

int cli_evm_open(const char *cmd, const char *db, const char *chain, struct cs_evm **s)
{
    return open_evm(cmd, db, chain, s);
}

/* ---------------- ingest summaries ---------------- */

struct count {
    const char *key;
    uint64_t v;
};

/* Starts an ingest's --json summary: the counts and the seconds. */
static void summary_begin(struct cs_json_writer *w, const struct count *c, size_t n, double seconds)
{
    char secs[32];
    snprintf(secs, sizeof secs, "%.3f", seconds);
    cli_json_begin(w);
    cs_json_writer_begin_object(w);
    for (size_t i = 0; i < n; i++) {
        cs_json_writer_key(w, c[i].key);
        cs_json_writer_u64(w, c[i].v);
    }
    cs_json_writer_key(w, "seconds");
    cs_json_writer_number_text(w, secs, strlen(secs));
}

/* Ends it; returns the exit code of the command. */
static int summary_end(struct cs_json_writer *w, int rc)
{
    cs_json_writer_key(w, "interrupted");
    cs_json_writer_bool(w, rc == CS_EINTERRUPTED);
    cs_json_writer_end_object(w);
    if (cli_json_end("ingest", w)) return 1;
    return rc == CS_EINTERRUPTED ? 130 : 0;
}

/* ---------------- ingest evm ---------------- */

int cli_evm_ingest(const char *dir, const char *db, const char *chain,
                   const struct cs_evm_logsel *sel, unsigned commit, int progress, int json,
                   volatile sig_atomic_t *stop)
{
    struct cs_evm_ingest_stats st;
    int rc = cs_evm_ingest_csv(dir, db, chain, sel, commit, progress, stop, &st);
    if (rc && rc != CS_EINTERRUPTED) return cli_fail_err("ingest", rc);
    if (json) {
        struct cs_json_writer w;
        const struct count nums[] = {{"blocks", st.blocks}, {"skipped", st.skipped},
                                     {"txs", st.txs},       {"transfers", st.xfers},
                                     {"tokens", st.tokens}, {"bytes", st.bytes}};
        summary_begin(&w, nums, sizeof nums / sizeof nums[0], st.seconds);
        cs_json_writer_key(&w, "missing");
        cs_json_writer_begin_array(&w);
        for (char *p = st.missing; *p;) {
            char *c = strchr(p, ',');
            size_t n = c ? (size_t)(c - p) : strlen(p);
            cs_json_writer_string_n(&w, p, n);
            p += n + (c != NULL);
        }
        cs_json_writer_end_array(&w);
        return summary_end(&w, rc);
    } else if (progress) {
        fprintf(stderr,
                "ingest evm: %llu blocks (%llu already stored), %llu tx, %llu transfers, %.1f MB "
                "of CSV in %.2f s%s\n",
                (unsigned long long)st.blocks, (unsigned long long)st.skipped,
                (unsigned long long)st.txs, (unsigned long long)st.xfers, st.bytes / 1e6,
                st.seconds, rc == CS_EINTERRUPTED ? ", interrupted" : "");
        if (st.missing[0])
            fprintf(stderr, "ingest evm: not in %s: %s (see `chainsleuth ingest --help`)\n", dir,
                    st.missing);
    }
    return rc == CS_EINTERRUPTED ? 130 : 0;
}

int cli_evm_ingest_rpc(const struct cs_evm_rpc_opts *o, int json)
{
    struct cs_evm_rpc_stats st;
    int rc = cs_evm_ingest_rpc(o, &st);
    if (rc && rc != CS_EINTERRUPTED) return cli_fail_err("ingest", rc);
    if (json) {
        struct cs_json_writer w;
        const struct count nums[] = {{"blocks", st.blocks},   {"txs", st.txs},
                                     {"transfers", st.xfers}, {"rolled_back", st.rolled_back},
                                     {"calls", st.calls},     {"posts", st.posts}};
        summary_begin(&w, nums, sizeof nums / sizeof nums[0], st.seconds);
        cs_json_writer_key(&w, "batch");
        cs_json_writer_bool(&w, st.batch);
        cs_json_writer_key(&w, "receipts_method");
        cs_json_writer_string(&w, st.receipts_method);
        cs_json_writer_key(&w, "trace_method");
        if (st.trace_method[0])
            cs_json_writer_string(&w, st.trace_method);
        else
            cs_json_writer_null(&w);
        return summary_end(&w, rc);
    } else if (o->progress) {
        fprintf(stderr,
                "ingest evm: %llu blocks, %llu tx, %llu transfers in %.2f s (%llu calls in %llu "
                "POSTs)%s\n",
                (unsigned long long)st.blocks, (unsigned long long)st.txs,
                (unsigned long long)st.xfers, st.seconds, (unsigned long long)st.calls,
                (unsigned long long)st.posts, rc == CS_EINTERRUPTED ? ", interrupted" : "");
    }
    return rc == CS_EINTERRUPTED ? 130 : 0;
}

int cli_evm_ingest_era1(const char *const *files, size_t n, const char *db, const char *chain,
                        const struct cs_evm_logsel *sel, unsigned commit, int progress, int json,
                        volatile sig_atomic_t *stop)
{
    struct cs_evm_era1_stats st;
    int rc = cs_evm_ingest_era1(files, n, db, chain, sel, commit, progress, stop, &st);
    if (rc && rc != CS_EINTERRUPTED) return cli_fail_err("ingest", rc);
    if (json) {
        struct cs_json_writer w;
        const struct count nums[] = {{"files", st.files},
                                     {"blocks", st.blocks},
                                     {"skipped", st.skipped},
                                     {"txs", st.txs},
                                     {"transfers", st.xfers}};
        summary_begin(&w, nums, sizeof nums / sizeof nums[0], st.seconds);
        return summary_end(&w, rc);
    } else if (progress) {
        fprintf(stderr,
                "ingest evm: %llu Era1 files, %llu blocks (%llu already stored), %llu tx, %llu "
                "transfers in %.2f s%s; internal transfers and rewards are not in Era1\n",
                (unsigned long long)st.files, (unsigned long long)st.blocks,
                (unsigned long long)st.skipped, (unsigned long long)st.txs,
                (unsigned long long)st.xfers, st.seconds,
                rc == CS_EINTERRUPTED ? ", interrupted" : "");
    }
    return rc == CS_EINTERRUPTED ? 130 : 0;
}

/* ---- shared with cmd_trace_evm.c and cmd_links.c ---- */

void cli_evm_json_addr(struct cs_json_writer *w, const char *key, const struct cs_evm *s,
                       uint64_t acct)
{
    json_addr(w, key, s, acct);
}

const char *cli_evm_text_addr(const struct cs_evm *s, uint64_t acct, char out[43])
{
    return text_addr(s, acct, out);
}

void cli_evm_json_asset(struct cs_json_writer *w, const struct cs_evm *s, uint64_t asset)
{
    json_asset(w, s, asset);
}

const char *cli_evm_text_amount(const struct cs_evm *s, uint64_t asset, const struct cs_u256 *v,
                                char out[CS_AMOUNT_STR_MAX + 48])
{
    return text_amount(s, asset, v, out);
}

const char *cli_evm_asset_name(const struct cs_evm *s, uint64_t asset, char out[64])
{
    struct cs_asset a;
    asset_of(s, asset, &a);
    snprintf(out, 64, "%s", a.symbol);
    return out;
}
