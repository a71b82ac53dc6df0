/* ingest_rpc.c — an EVM node's JSON-RPC into the store (see ingest.h).
 *
 * Per window of blocks: the eth_getBlockByNumber calls in flight together,
 * then the receipts calls, then the trace calls; every reply is parsed into
 * the block input, the transfers are booked by evm/ledger.h, and the blocks
 * are appended in order.  Every field read from a reply is checked (type,
 * hex form, range); a bad one fails the ingest with the method and the block
 * named, after committing what came before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evm/ingest.h"
#include "evm/ledger.h"
#include "evm/store.h"
#include "util/codec.h"
#include "util/http.h"
#include "util/json.h"

void cs_evm_rpc_opts_default(struct cs_evm_rpc_opts *o)
{
    memset(o, 0, sizeof *o);
    o->chain = "eth";
    o->from = o->to = -1;
    o->window = 16;
    o->timeout_ms = 60000;
    o->max_reorg = 100;
    o->commit_blocks = 1000;
    o->poll_seconds = 5;
}

/* ---- reply fields ---- */

struct where {
    const char *method;
    uint64_t block;
};

static int fbad(const struct where *w, const char *field, const char *what)
{
    return cs_error(CS_EFORMAT, "%s (block %llu): field %s: %s", w->method,
                    (unsigned long long)w->block, field, what);
}

static int j_str(const struct where *w, const struct cs_json *o, const char *k, const char **s,
                 size_t *n)
{
    const struct cs_json *v = cs_json_get(o, k);
    if (!v || cs_json_get_str(v, s, n)) return fbad(w, k, "missing or not a string");
    return 0;
}

static int j_u256(const struct where *w, const struct cs_json *o, const char *k,
                  struct cs_u256 *out)
{
    const char *s;
    size_t n;
    int rc = j_str(w, o, k, &s, &n);
    if (rc) return rc;
    if (n < 3 || strncmp(s, "0x", 2) || cs_u256_from_hex(out, s, n))
        return fbad(w, k, "not a 0x quantity below 2^256");
    return 0;
}

static int j_u64(const struct where *w, const struct cs_json *o, const char *k, uint64_t *out)
{
    struct cs_u256 v;
    int rc = j_u256(w, o, k, &v);
    if (rc) return rc;
    if (cs_u256_to_u64(out, &v)) return fbad(w, k, "above 2^64");
    return 0;
}

static int j_hash(const struct where *w, const struct cs_json *o, const char *k, uint8_t out[32])
{
    const char *s;
    size_t n;
    int rc = j_str(w, o, k, &s, &n);
    if (rc) return rc;
    if (n != 66 || strncmp(s, "0x", 2) || cs_unhex(out, 32, s + 2, 64))
        return fbad(w, k, "not a 32-byte 0x hash");
    return 0;
}

/* 1 and the address; 0 for JSON null or a missing key (when optional) */
static int j_addr(const struct where *w, const struct cs_json *o, const char *k, uint8_t out[20],
                  int optional, int *present)
{
    const struct cs_json *v = cs_json_get(o, k);
    *present = 0;
    if (!v || v->type == CS_JSON_NULL) return optional ? 0 : fbad(w, k, "missing");
    const char *s;
    size_t n;
    char buf[48];
    if (cs_json_get_str(v, &s, &n) || n >= sizeof buf) return fbad(w, k, "not an address");
    memcpy(buf, s, n);
    buf[n] = 0;
    if (cs_evm_addr_parse(buf, out)) return fbad(w, k, cs_errmsg());
    *present = 1;
    return 0;
}

/* ---- callTracer ---- */

static int frames_rec(const struct cs_json *c, int depth, struct cs_evm_frame **out, size_t *n,
                      size_t *cap)
{
    static const struct where W = {"debug_traceBlockByNumber", 0};
    if (!c || c->type != CS_JSON_OBJECT) return fbad(&W, "calls", "not an object");
    if (cs_json_get(c, "error")) return 0; /* reverted, with everything under it */
    const char *type;
    size_t tn;
    int rc = j_str(&W, c, "type", &type, &tn);
    if (rc) return rc;
    int call = !strcmp(type, "CALL"), create = !strcmp(type, "CREATE") || !strcmp(type, "CREATE2");
    int sd = !strcmp(type, "SELFDESTRUCT");
    const struct cs_json *val = cs_json_get(c, "value");
    if (depth > 0 && (call || create || sd) && val && val->type != CS_JSON_NULL) {
        struct cs_evm_frame f;
        memset(&f, 0, sizeof f);
        int hf, ht;
        if ((rc = j_u256(&W, c, "value", &f.value)) ||
            (rc = j_addr(&W, c, "from", f.from, 0, &hf)) ||
            (rc = j_addr(&W, c, "to", f.to, 0, &ht)))
            return rc;
        if (!cs_u256_is_zero(&f.value)) {
            f.kind = sd ? CS_XK_SELFDESTRUCT : CS_XK_INTERNAL;
            if (*n == *cap) {
                *cap = *cap ? 2 * *cap : 16;
                *out = cs_xrealloc(*out, *cap * sizeof **out);
            }
            (*out)[(*n)++] = f;
        }
    }
    const struct cs_json *calls = cs_json_get(c, "calls");
    if (calls && calls->type != CS_JSON_ARRAY) return fbad(&W, "calls", "not an array");
    for (size_t i = 0; calls && i < calls->len; i++)
        if ((rc = frames_rec(cs_json_at(calls, i), depth + 1, out, n, cap))) return rc;
    return 0;
}

int cs_evm_calltracer_frames(const struct cs_json *call, struct cs_evm_frame **out, size_t *n,
                             size_t *cap)
{
    return frames_rec(call, 0, out, n, cap);
}

static void frame_push(struct cs_evm_frame **out, size_t *n, size_t *cap,
                       const struct cs_evm_frame *f)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        *out = cs_xrealloc(*out, *cap * sizeof **out);
    }
    (*out)[(*n)++] = *f;
}

/* 1 if traceAddress a starts with p */
static int has_prefix(const struct cs_json *a, const struct cs_json *p)
{
    if (p->len > a->len) return 0;
    for (size_t i = 0; i < p->len; i++) {
        uint64_t x, y;
        if (cs_json_get_u64(cs_json_at(a, i), &x) || cs_json_get_u64(cs_json_at(p, i), &y) ||
            x != y)
            return 0;
    }
    return 1;
}

int cs_evm_parity_frames(const struct cs_json *traces, size_t ntx, struct cs_evm_frame **frames,
                         size_t *nframes, size_t *capframes, struct cs_evm_frame **rew,
                         size_t *nrew, size_t *caprew)
{
    static const struct where W = {"trace_block", 0};
    if (!traces || traces->type != CS_JSON_ARRAY) return fbad(&W, "result", "not an array");
    const struct cs_json *failed = NULL; /* traceAddress of the latest failed frame */
    uint64_t failed_tx = UINT64_MAX;
    for (size_t i = 0; i < traces->len; i++) {
        const struct cs_json *t = cs_json_at(traces, i), *a = cs_json_get(t, "action");
        const struct cs_json *pos = cs_json_get(t, "transactionPosition");
        const struct cs_json *ta = cs_json_get(t, "traceAddress");
        const char *type;
        size_t tn;
        int rc, has;
        if (!a || a->type != CS_JSON_OBJECT) return fbad(&W, "action", "not an object");
        if ((rc = j_str(&W, t, "type", &type, &tn))) return rc;
        struct cs_evm_frame f;
        memset(&f, 0, sizeof f);
        if (!strcmp(type, "reward")) {
            if ((rc = j_addr(&W, a, "author", f.to, 0, &has)) ||
                (rc = j_u256(&W, a, "value", &f.value)))
                return rc;
            f.kind = CS_XK_REWARD;
            if (!cs_u256_is_zero(&f.value)) frame_push(rew, nrew, caprew, &f);
            continue;
        }
        uint64_t p;
        if (!pos || cs_json_get_u64(pos, &p) || p >= ntx)
            return fbad(&W, "transactionPosition", "not a transaction of the block");
        if (!ta || ta->type != CS_JSON_ARRAY) return fbad(&W, "traceAddress", "not an array");
        if (failed && failed_tx == p && has_prefix(ta, failed)) continue; /* under a revert */
        if (cs_json_get(t, "error")) {
            failed = ta;
            failed_tx = p;
            continue;
        }
        if (ta->len == 0) continue; /* the top-level frame: the tx's own value */
        if (!strcmp(type, "call")) {
            const char *ct;
            size_t cn;
            if ((rc = j_str(&W, a, "callType", &ct, &cn))) return rc;
            if (strcmp(ct, "call")) continue; /* delegatecall, callcode, staticcall */
            if ((rc = j_addr(&W, a, "from", f.from, 0, &has)) ||
                (rc = j_addr(&W, a, "to", f.to, 0, &has)) ||
                (rc = j_u256(&W, a, "value", &f.value)))
                return rc;
            f.kind = CS_XK_INTERNAL;
        } else if (!strcmp(type, "create")) {
            const struct cs_json *res = cs_json_get(t, "result");
            if ((rc = j_addr(&W, a, "from", f.from, 0, &has)) ||
                (rc = j_u256(&W, a, "value", &f.value)) ||
                (rc = j_addr(&W, res, "address", f.to, 0, &has)))
                return rc;
            f.kind = CS_XK_INTERNAL;
        } else if (!strcmp(type, "suicide")) {
            if ((rc = j_addr(&W, a, "address", f.from, 0, &has)) ||
                (rc = j_addr(&W, a, "refundAddress", f.to, 0, &has)) ||
                (rc = j_u256(&W, a, "balance", &f.value)))
                return rc;
            f.kind = CS_XK_SELFDESTRUCT;
        } else {
            continue;
        }
        if (!cs_u256_is_zero(&f.value)) frame_push(&frames[p], &nframes[p], &capframes[p], &f);
    }
    return 0;
}

/* ---- one block ---- */

struct rblock {
    struct cs_evm_block_in b;
    struct cs_evm_tx_in *tx;
    size_t ntx;
    int *has_receipt;
    struct cs_evm_log *logs; /* of all its receipts, in log order */
    size_t nlogs, caplogs;
    struct cs_evm_frame **frames; /* per tx */
    size_t *nframes, *capframes;
    struct {
        uint8_t to[20];
        struct cs_u256 wei;
    } * wd;
    size_t nwd;
    struct cs_evm_frame *rew; /* trace_block rewards */
    size_t nrew, caprew;
    const struct cs_evm_logsel *sel; /* raw logs kept (NULL: default); their data is owned */
    struct cs_evm_logbuf kb;
    struct cs_evm_token_in *tok; /* tokens described in this block (eth_call) */
    size_t ntok, captok;
};

static void rblock_free(struct rblock *r)
{
    for (size_t i = 0; r->frames && i < r->ntx; i++)
        free(r->frames[i]);
    free(r->frames);
    free(r->nframes);
    free(r->capframes);
    free(r->tx);
    free(r->has_receipt);
    for (size_t i = 0; r->logs && i < r->nlogs; i++)
        free((void *)r->logs[i].data);
    free(r->logs);
    cs_evm_logbuf_free(&r->kb);
    free(r->tok);
    free(r->wd);
    free(r->rew);
    const struct cs_evm_logsel *sel = r->sel;
    memset(r, 0, sizeof *r);
    r->sel = sel;
}

static int parse_block(const struct cs_json *res, uint64_t want, struct rblock *r)
{
    struct where w = {"eth_getBlockByNumber", want};
    if (!res || res->type != CS_JSON_OBJECT)
        return cs_error(CS_ERPC, "eth_getBlockByNumber (block %llu): no such block on the node",
                        (unsigned long long)want);
    int rc, has;
    if ((rc = j_u64(&w, res, "number", &r->b.number)) ||
        (rc = j_hash(&w, res, "hash", r->b.hash)) ||
        (rc = j_hash(&w, res, "parentHash", r->b.parent)) ||
        (rc = j_addr(&w, res, "miner", r->b.miner, 0, &has)) ||
        (rc = j_u64(&w, res, "timestamp", &r->b.timestamp)) ||
        (rc = j_u64(&w, res, "gasUsed", &r->b.gas_used)))
        return rc;
    if (r->b.number != want) return fbad(&w, "number", "not the block asked for");
    const struct cs_json *bf = cs_json_get(res, "baseFeePerGas");
    if (bf && bf->type != CS_JSON_NULL) {
        if ((rc = j_u64(&w, res, "baseFeePerGas", &r->b.base_fee))) return rc;
        r->b.flags |= CS_EB_BASEFEE;
    }
    const struct cs_json *txs = cs_json_get(res, "transactions");
    if (!txs || txs->type != CS_JSON_ARRAY) return fbad(&w, "transactions", "not an array");
    r->ntx = txs->len;
    r->tx = cs_xcalloc(r->ntx ? r->ntx : 1, sizeof *r->tx);
    r->has_receipt = cs_xcalloc(r->ntx ? r->ntx : 1, sizeof *r->has_receipt);
    r->frames = cs_xcalloc(r->ntx ? r->ntx : 1, sizeof *r->frames);
    r->nframes = cs_xcalloc(r->ntx ? r->ntx : 1, sizeof *r->nframes);
    r->capframes = cs_xcalloc(r->ntx ? r->ntx : 1, sizeof *r->capframes);
    for (size_t i = 0; i < r->ntx; i++) {
        const struct cs_json *t = cs_json_at(txs, i);
        struct cs_evm_tx_in *x = &r->tx[i];
        uint64_t type = 0, idx;
        if (!t || t->type != CS_JSON_OBJECT)
            return fbad(&w, "transactions", "not transaction objects (full transactions asked)");
        if ((rc = j_hash(&w, t, "hash", x->hash)) || (rc = j_u64(&w, t, "nonce", &x->nonce)) ||
            (rc = j_addr(&w, t, "from", x->from, 0, &has)) ||
            (rc = j_addr(&w, t, "to", x->to, 1, &has)) ||
            (rc = j_u256(&w, t, "value", &x->value)) ||
            (rc = j_u64(&w, t, "transactionIndex", &idx)))
            return rc;
        x->has_to = (uint8_t)has;
        if (idx != i) return fbad(&w, "transactionIndex", "out of order");
        if (cs_json_get(t, "type") && (rc = j_u64(&w, t, "type", &type))) return rc;
        if (type > 255) return fbad(&w, "type", "above 255");
        x->type = (uint8_t)type;
        x->status = CS_ETX_UNKNOWN;
        const struct cs_json *gp = cs_json_get(t, "gasPrice");
        if (gp && gp->type != CS_JSON_NULL && (rc = j_u64(&w, t, "gasPrice", &x->gas_price)))
            return rc;
    }
    const struct cs_json *wds = cs_json_get(res, "withdrawals");
    if (wds && wds->type == CS_JSON_ARRAY && wds->len) {
        r->wd = cs_xcalloc(wds->len, sizeof *r->wd);
        for (size_t i = 0; i < wds->len; i++) {
            const struct cs_json *x = cs_json_at(wds, i);
            uint64_t gwei;
            if ((rc = j_addr(&w, x, "address", r->wd[i].to, 0, &has)) ||
                (rc = j_u64(&w, x, "amount", &gwei)))
                return rc;
            struct cs_u256 g = cs_u256_from_u64(gwei), k = cs_u256_from_u64(1000000000);
            if (cs_u256_mul(&r->wd[i].wei, &g, &k)) BUG("Gwei times 10^9 overflows");
        }
        r->nwd = wds->len;
    }
    return 0;
}

static int parse_receipt(const struct cs_json *res, struct rblock *r, size_t i, const char *method)
{
    struct where w = {method, r->b.number};
    if (!res || res->type != CS_JSON_OBJECT) return fbad(&w, "result", "no receipt");
    struct cs_evm_tx_in *x = &r->tx[i];
    uint8_t h[32];
    int rc, has;
    if ((rc = j_hash(&w, res, "transactionHash", h))) return rc;
    if (memcmp(h, x->hash, 32)) return fbad(&w, "transactionHash", "not the block's tx in order");
    if ((rc = j_u64(&w, res, "gasUsed", &x->gas_used))) return rc;
    const struct cs_json *eg = cs_json_get(res, "effectiveGasPrice");
    if (eg && eg->type != CS_JSON_NULL && (rc = j_u64(&w, res, "effectiveGasPrice", &x->gas_price)))
        return rc;
    const struct cs_json *st = cs_json_get(res, "status");
    if (st && st->type != CS_JSON_NULL) {
        uint64_t v;
        if ((rc = j_u64(&w, res, "status", &v))) return rc;
        if (v > 1) return fbad(&w, "status", "neither 0x0 nor 0x1");
        x->status = (uint8_t)v;
    } else {
        x->status = CS_ETX_UNKNOWN; /* before Byzantium: a state root instead */
    }
    if ((rc = j_addr(&w, res, "contractAddress", x->created, 1, &has))) return rc;
    x->has_created = (uint8_t)has;
    r->has_receipt[i] = 1;
    const struct cs_json *logs = cs_json_get(res, "logs");
    if (!logs || logs->type != CS_JSON_ARRAY) return fbad(&w, "logs", "not an array");
    for (size_t k = 0; k < logs->len; k++) {
        const struct cs_json *l = cs_json_at(logs, k);
        if (r->nlogs == r->caplogs) {
            r->caplogs = r->caplogs ? 2 * r->caplogs : 64;
            r->logs = cs_xrealloc(r->logs, r->caplogs * sizeof *r->logs);
        }
        struct cs_evm_log *g = &r->logs[r->nlogs];
        memset(g, 0, sizeof *g);
        memcpy(g->tx_hash, x->hash, 32);
        g->block = r->b.number;
        if ((rc = j_addr(&w, l, "address", g->addr, 0, &has)) ||
            (rc = j_u64(&w, l, "logIndex", &g->log_index)))
            return rc;
        const struct cs_json *tp = cs_json_get(l, "topics");
        if (!tp || tp->type != CS_JSON_ARRAY) return fbad(&w, "topics", "not an array");
        g->ntopics = (unsigned)tp->len;
        for (size_t t = 0; t < tp->len && t < 4; t++) {
            const char *s;
            size_t n;
            if (cs_json_get_str(cs_json_at(tp, t), &s, &n) || n != 66 ||
                cs_unhex(g->topic[t], 32, s + 2, 64))
                return fbad(&w, "topics", "not 32-byte 0x words");
        }
        const char *d;
        size_t dn;
        if ((rc = j_str(&w, l, "data", &d, &dn))) return rc;
        if (dn < 2 || strncmp(d, "0x", 2) || dn % 2) return fbad(&w, "data", "not 0x hex");
        if (dn >= 66) {
            uint8_t word[32];
            if (cs_unhex(word, 32, d + 2, 64) || cs_u256_from_be_var(&g->word0, word, 32))
                return fbad(&w, "data", "not hex");
            g->has_word0 = 1;
        }
        if (cs_evm_log_data_hex(g, r->sel, d, dn)) return fbad(&w, "data", "not hex");
        r->nlogs++;
    }
    return 0;
}

/* ---- the node ---- */

struct node {
    struct cs_rpc_client c;
    unsigned window;
    int receipts; /* 2: eth_getBlockReceipts, 1: eth_getTransactionReceipt */
    int traces;   /* 2: debug_traceBlockByNumber callTracer, 1: trace_block, 0: none */
    int no_call;  /* the node has no eth_call: no token metadata */
    int batch;    /* the node answers JSON-RPC batches */
    uint64_t calls, posts;
};

static void qhex(char *out, size_t cap, uint64_t v)
{
    snprintf(out, cap, "0x%llx", (unsigned long long)v);
}

/* 1 if the method exists (a reply, or an error other than "method not found"
 * or "not supported"), else 0. */
static int probe(struct node *n, const char *method, const char *params)
{
    struct cs_json_doc doc = {0};
    const struct cs_json *res;
    int rc = cs_jsonrpc_call(&n->c, method, params, &doc, &res);
    n->calls++;
    n->posts++;
    cs_json_doc_free(&doc);
    if (!rc) return 1;
    const char *m = cs_errmsg();
    return !(strstr(m, "-32601") || strstr(m, "not found") || strstr(m, "does not exist") ||
             strstr(m, "not supported") || strstr(m, "not available") || rc == CS_ENET);
}

static void free_docs(struct cs_json_doc *d, size_t k);

/* n calls of one method with params[i]; docs/results as cs_jsonrpc_calls. */
static int calls(struct node *n, size_t k, const char *method, char **params,
                 struct cs_json_doc *docs, const struct cs_json **res)
{
    const char **m = cs_xmalloc((k ? k : 1) * sizeof *m);
    for (size_t i = 0; i < k; i++)
        m[i] = method;
    int rc = 0;
    if (n->batch && k > 1) {
        /* batches of at most 100; call i's result lives in its batch's doc,
         * kept in docs[first of the batch] (the other docs stay empty) */
        for (size_t i = 0; i < k; i++)
            memset(&docs[i], 0, sizeof docs[i]);
        for (size_t i = 0; i < k && !rc; i += 100) {
            size_t b = k - i < 100 ? k - i : 100;
            rc = cs_jsonrpc_batch(&n->c, b, m + i, (const char *const *)params + i, &docs[i],
                                  res + i);
            n->posts++;
        }
        if (rc) {
            free_docs(docs, k);
            for (size_t i = 0; i < k; i++)
                res[i] = NULL;
        }
    } else {
        rc = cs_jsonrpc_calls(&n->c, k, m, (const char *const *)params, docs, res, n->window);
        n->posts += k;
    }
    n->calls += k;
    free(m);
    return rc;
}

static void free_docs(struct cs_json_doc *d, size_t k)
{
    for (size_t i = 0; i < k; i++)
        cs_json_doc_free(&d[i]);
}

/* Fetches blocks [first, first + k) into r[]. */
static int fetch(struct node *n, uint64_t first, size_t k, struct rblock *r)
{
    char **p = cs_xcalloc(k, sizeof *p);
    struct cs_json_doc *d = cs_xcalloc(k, sizeof *d);
    const struct cs_json **res = cs_xcalloc(k, sizeof *res);
    int rc;
    for (size_t i = 0; i < k; i++) {
        char q[32];
        qhex(q, sizeof q, first + i);
        p[i] = cs_xmalloc(64);
        snprintf(p[i], 64, "[\"%s\",true]", q);
    }
    rc = calls(n, k, "eth_getBlockByNumber", p, d, res);
    for (size_t i = 0; !rc && i < k; i++)
        rc = parse_block(res[i], first + i, &r[i]);
    if (!rc) free_docs(d, k);
    /* receipts */
    if (!rc && n->receipts == 2) {
        for (size_t i = 0; i < k; i++)
            snprintf(p[i], 64, "[\"0x%llx\"]", (unsigned long long)(first + i));
        rc = calls(n, k, "eth_getBlockReceipts", p, d, res);
        for (size_t i = 0; !rc && i < k; i++) {
            if (!res[i] || res[i]->type != CS_JSON_ARRAY || res[i]->len != r[i].ntx)
                rc = cs_error(CS_EFORMAT,
                              "eth_getBlockReceipts (block %llu): not one receipt per "
                              "transaction",
                              (unsigned long long)(first + i));
            for (size_t t = 0; !rc && t < r[i].ntx; t++)
                rc = parse_receipt(cs_json_at(res[i], t), &r[i], t, "eth_getBlockReceipts");
        }
        if (!rc) free_docs(d, k);
    } else if (!rc) {
        for (size_t i = 0; !rc && i < k; i++) {
            size_t m = r[i].ntx;
            if (!m) continue;
            char **tp = cs_xcalloc(m, sizeof *tp);
            struct cs_json_doc *td = cs_xcalloc(m, sizeof *td);
            const struct cs_json **tr = cs_xcalloc(m, sizeof *tr);
            for (size_t t = 0; t < m; t++) {
                char hex[65];
                cs_hex(hex, r[i].tx[t].hash, 32);
                tp[t] = cs_xmalloc(80);
                snprintf(tp[t], 80, "[\"0x%s\"]", hex);
            }
            rc = calls(n, m, "eth_getTransactionReceipt", tp, td, tr);
            for (size_t t = 0; !rc && t < m; t++)
                rc = parse_receipt(tr[t], &r[i], t, "eth_getTransactionReceipt");
            if (!rc) free_docs(td, m);
            for (size_t t = 0; t < m; t++)
                free(tp[t]);
            free(tp);
            free(td);
            free(tr);
        }
    }
    /* traces */
    if (!rc && n->traces == 2) {
        for (size_t i = 0; i < k; i++) {
            free(p[i]);
            p[i] = cs_xmalloc(96);
            snprintf(p[i], 96, "[\"0x%llx\",{\"tracer\":\"callTracer\"}]",
                     (unsigned long long)(first + i));
        }
        rc = calls(n, k, "debug_traceBlockByNumber", p, d, res);
        for (size_t i = 0; !rc && i < k; i++) {
            if (!res[i] || res[i]->type != CS_JSON_ARRAY || res[i]->len != r[i].ntx) {
                rc = cs_error(CS_EFORMAT,
                              "debug_traceBlockByNumber (block %llu): not one trace "
                              "per transaction",
                              (unsigned long long)(first + i));
                break;
            }
            for (size_t t = 0; !rc && t < r[i].ntx; t++) {
                const struct cs_json *e = cs_json_at(res[i], t), *c = cs_json_get(e, "result");
                rc = cs_evm_calltracer_frames(c ? c : e, &r[i].frames[t], &r[i].nframes[t],
                                              &r[i].capframes[t]);
            }
            r[i].b.flags |= CS_EB_INTERNAL;
        }
        if (!rc) free_docs(d, k);
    } else if (!rc && n->traces == 1) {
        for (size_t i = 0; i < k; i++)
            snprintf(p[i], 64, "[\"0x%llx\"]", (unsigned long long)(first + i));
        rc = calls(n, k, "trace_block", p, d, res);
        for (size_t i = 0; !rc && i < k; i++) {
            rc = cs_evm_parity_frames(res[i], r[i].ntx, r[i].frames, r[i].nframes, r[i].capframes,
                                      &r[i].rew, &r[i].nrew, &r[i].caprew);
            r[i].b.flags |= CS_EB_INTERNAL;
        }
        if (!rc) free_docs(d, k);
    }
    for (size_t i = 0; i < k; i++)
        free(p[i]);
    free(p);
    free(d);
    free(res);
    return rc;
}

/* Books the transfers of a fetched block and appends it. */
/* An ABI-encoded string result (or a bytes32 one, as old tokens return),
 * cut to fit out; "" when it is neither. */
static void abi_string(const uint8_t *d, size_t n, char *out, size_t cap)
{
    out[0] = 0;
    const uint8_t *p = NULL;
    size_t len = 0;
    if (n >= 64) {
        uint64_t off = 0, l = 0;
        for (int i = 0; i < 32; i++)
            if (i < 24 && d[i]) return;
        for (int i = 24; i < 32; i++)
            off = off << 8 | d[i];
        if (off > n || n - off < 32) return;
        for (int i = 0; i < 24; i++)
            if (d[off + i]) return;
        for (int i = 24; i < 32; i++)
            l = l << 8 | d[off + i];
        if (l > n - off - 32) return;
        p = d + off + 32;
        len = (size_t)l;
    } else if (n == 32) {
        p = d;
        len = 32;
    } else {
        return;
    }
    size_t k = 0;
    while (k < len && k + 1 < cap && p[k])
        k++;
    memcpy(out, p, k);
    out[k] = 0;
}

/* eth_call of a no-argument view function (4-byte selector) at block; its
 * return data in out (*n bytes, at most cap).  1 when it answered, 0 when it
 * reverted or the node refused; a network failure is returned as its error
 * through *rc. */
static int view_call(struct node *n, const uint8_t addr[20], const char *selector,
                     uint64_t block, uint8_t *out, size_t cap, size_t *len, int *rc)
{
    char a[CS_EVM_ADDR_STR], p[160];
    cs_evm_addr_lower(addr, a);
    snprintf(p, sizeof p, "[{\"to\":\"%s\",\"data\":\"%s\"},\"0x%llx\"]", a, selector,
             (unsigned long long)block);
    struct cs_json_doc doc = {0};
    const struct cs_json *res;
    int r = cs_jsonrpc_call(&n->c, "eth_call", p, &doc, &res);
    n->calls++;
    n->posts++;
    int ok = 0;
    if (r == 0) {
        const char *h;
        size_t hl;
        if (!cs_json_get_str(res, &h, &hl) && hl >= 2 && !strncmp(h, "0x", 2) && hl % 2 == 0 &&
            (hl - 2) / 2 <= cap && !cs_unhex(out, (hl - 2) / 2, h + 2, hl - 2)) {
            *len = (hl - 2) / 2;
            ok = 1;
        }
    } else if (r == CS_ERPC) {
        const char *m = cs_errmsg();
        if (strstr(m, "-32601") || strstr(m, "does not exist") || strstr(m, "not available"))
            n->no_call = 1;
    } else {
        *rc = r;
    }
    cs_json_doc_free(&doc);
    return ok;
}

/* symbol(), name() and decimals() of a token contract first moved in this
 * block.  1 when any of them answered. */
static int token_meta(struct node *n, const uint8_t addr[20], uint8_t kind, uint64_t block,
                      struct cs_evm_token_in *t, int *rc)
{
    uint8_t buf[4096];
    size_t len;
    memset(t, 0, sizeof *t);
    memcpy(t->addr, addr, 20);
    t->kind = kind;
    int any = 0;
    if (view_call(n, addr, "0x95d89b41", block, buf, sizeof buf, &len, rc)) {
        abi_string(buf, len, t->symbol, sizeof t->symbol);
        any |= t->symbol[0] != 0;
    }
    if (!*rc && !n->no_call && view_call(n, addr, "0x06fdde03", block, buf, sizeof buf, &len, rc)) {
        abi_string(buf, len, t->name, sizeof t->name);
        any |= t->name[0] != 0;
    }
    if (!*rc && !n->no_call && kind == CS_XK_ERC20 &&
        view_call(n, addr, "0x313ce567", block, buf, sizeof buf, &len, rc) && len == 32) {
        int small = 1;
        for (int i = 0; i < 31; i++)
            small &= buf[i] == 0;
        if (small) {
            t->decimals = buf[31];
            t->has_decimals = 1;
            any = 1;
        }
    }
    return any && !*rc;
}

/* Token records for the contracts whose tokens move for the first time in
 * this block (none when the node has no eth_call). */
static int new_tokens(struct node *n, const struct cs_evm *s, struct rblock *r,
                      const struct cs_evm_builder *bld)
{
    r->ntok = 0;
    for (size_t i = 0; !n->no_call && i < bld->n; i++) {
        const struct cs_evm_xfer_in *x = &bld->x[i];
        if (x->native || x->kind == CS_XK_WETH_DEPOSIT || x->kind == CS_XK_WETH_WITHDRAWAL)
            continue;
        uint64_t acct;
        if (!cs_evm_find_acct(s, x->asset, &acct) && cs_evm_token(s, acct)) continue;
        size_t j = 0;
        while (j < r->ntok && memcmp(r->tok[j].addr, x->asset, 20))
            j++;
        if (j < r->ntok) continue;
        if (r->ntok == r->captok) {
            r->captok = r->captok ? 2 * r->captok : 8;
            r->tok = cs_xrealloc(r->tok, r->captok * sizeof *r->tok);
        }
        int rc = 0;
        if (token_meta(n, x->asset, x->kind, r->b.number, &r->tok[r->ntok], &rc)) r->ntok++;
        if (rc) return rc;
    }
    r->b.tok = r->tok;
    r->b.n_tok = r->ntok;
    return 0;
}

static int append(struct node *n, struct cs_evm *s, struct rblock *r, const uint8_t weth[20],
                  struct cs_evm_builder *bld, struct cs_evm_move **mv, size_t *capmv,
                  struct cs_evm_rpc_stats *st)
{
    bld->n = 0;
    int all = 1;
    for (size_t t = 0; t < r->ntx; t++)
        all &= r->has_receipt[t];
    if (all) r->b.flags |= CS_EB_RECEIPTS | CS_EB_TOKENS;
    size_t li = 0;
    r->kb.n = 0;
    for (size_t t = 0; t < r->ntx; t++) {
        size_t nm = 0;
        for (; li < r->nlogs && !memcmp(r->logs[li].tx_hash, r->tx[t].hash, 32); li++) {
            cs_evm_log_moves(&r->logs[li], weth, 1, mv, &nm, capmv);
            if (r->tx[t].status != CS_ETX_FAILED)
                cs_evm_keep_log(&r->kb, r->sel, (uint32_t)t, &r->logs[li]);
        }
        int rc = cs_evm_tx_transfers(bld, &r->b, &r->tx[t], r->has_receipt[t], (uint32_t)t,
                                     r->frames[t], r->nframes[t], *mv, nm);
        if (rc) return rc;
    }
    for (size_t i = 0; i < r->nrew; i++)
        cs_evm_block_transfer(bld, CS_XK_REWARD, r->rew[i].to, &r->rew[i].value);
    for (size_t i = 0; i < r->nwd; i++)
        cs_evm_block_transfer(bld, CS_XK_WITHDRAWAL, r->wd[i].to, &r->wd[i].wei);
    r->b.tx = r->tx;
    r->b.n_tx = r->ntx;
    r->b.xfer = bld->x;
    r->b.n_xfer = bld->n;
    r->b.log = r->kb.v;
    r->b.n_log = r->kb.n;
    int rc = new_tokens(n, s, r, bld);
    if (rc) return rc;
    rc = cs_evm_append_block(s, &r->b);
    if (rc) return rc;
    st->blocks++;
    st->txs += r->ntx;
    st->xfers += bld->n;
    if (st->first < 0) st->first = (int64_t)r->b.number;
    st->last = (int64_t)r->b.number;
    return 0;
}

static int node_u64(struct node *n, const char *method, uint64_t *out)
{
    struct cs_json_doc doc = {0};
    const struct cs_json *res;
    int rc = cs_jsonrpc_call(&n->c, method, NULL, &doc, &res);
    n->calls++;
    n->posts++;
    if (rc) return rc;
    struct where w = {method, 0};
    const char *s;
    size_t len;
    struct cs_u256 v;
    if (cs_json_get_str(res, &s, &len) || len < 3 || cs_u256_from_hex(&v, s, len) ||
        cs_u256_to_u64(out, &v))
        rc = fbad(&w, "result", "not a 0x quantity");
    cs_json_doc_free(&doc);
    return rc;
}

/* The node's hash of block number h, for the fork search. */
static int node_hash(struct node *n, uint64_t h, uint8_t out[32])
{
    char p[64];
    snprintf(p, sizeof p, "[\"0x%llx\",false]", (unsigned long long)h);
    struct cs_json_doc doc = {0};
    const struct cs_json *res;
    int rc = cs_jsonrpc_call(&n->c, "eth_getBlockByNumber", p, &doc, &res);
    n->calls++;
    n->posts++;
    struct where w = {"eth_getBlockByNumber", h};
    if (!rc)
        rc = res && res->type == CS_JSON_OBJECT ? j_hash(&w, res, "hash", out)
                                                : fbad(&w, "result", "no such block");
    cs_json_doc_free(&doc);
    return rc;
}

/* A reorg: back to the last stored block the node still has; *next becomes
 * the block after it.  Counts the blocks removed in st->rolled_back. */
static int to_fork(struct node *n, struct cs_evm *s, unsigned max_reorg, uint64_t *next,
                   struct cs_evm_rpc_stats *st)
{
    uint64_t had = cs_evm_counts(s)->blocks, keep = had;
    uint64_t first = had ? cs_evm_block(s, 0)->number : *next;
    uint8_t h[32];
    while (keep > 0) {
        const struct cs_evm_blockrec *sb = cs_evm_block(s, keep - 1);
        int rc = node_hash(n, sb->number, h);
        if (rc) return rc;
        if (!memcmp(h, sb->hash, 32)) break;
        keep--;
        if (had - keep > max_reorg)
            return cs_error(CS_ECONSENSUS, "reorg deeper than %u blocks at %llu", max_reorg,
                            (unsigned long long)sb->number);
    }
    int rc = cs_evm_truncate(s, keep);
    if (rc) return rc;
    st->rolled_back += had - keep;
    *next = keep ? cs_evm_block(s, keep - 1)->number + 1 : first;
    return 0;
}

int cs_evm_ingest_rpc(const struct cs_evm_rpc_opts *o, struct cs_evm_rpc_stats *st)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(st, 0, sizeof *st);
    st->first = st->last = -1;
    const struct cs_evm_chain *ch = cs_evm_chain_find(o->chain);
    uint8_t weth[20] = {0}; /* zero: no wrapper (no log comes from address 0) */
    if (!ch || (ch->wrapped && cs_evm_addr_parse(ch->wrapped, weth)))
        return cs_error(CS_EUSAGE, "chain '%s' is not an EVM chain this build knows", o->chain);
    struct node n;
    memset(&n, 0, sizeof n);
    n.window = o->window ? o->window : 16;
    struct cs_evm *s = NULL;
    struct cs_evm_builder bld = {0};
    struct cs_evm_move *mv = NULL;
    size_t capmv = 0, k = 0;
    struct rblock *r = NULL;
    int rc = cs_rpc_client_init(&n.c, o->url, o->user, o->password);
    if (rc) goto done;
    n.c.jsonrpc = "2.0";
    if (o->cacert) cs_rpc_client_set_cacert(&n.c, o->cacert);
    if (o->timeout_ms) n.c.timeout_ms = (int)o->timeout_ms;
    uint64_t id, tip;
    if ((rc = node_u64(&n, "eth_chainId", &id))) goto done;
    if (id != ch->chain_id) {
        rc = cs_error(CS_ERPC, "%s: the node's chain id is %llu, %s is %llu", o->url,
                      (unsigned long long)id, ch->name, (unsigned long long)ch->chain_id);
        goto done;
    }
    if ((rc = cs_evm_open(&s, o->db, ch->name, CS_EVM_WRITE))) goto done;
    const struct cs_evm_counts *kc = cs_evm_counts(s);
    uint64_t next = kc->blocks ? cs_evm_block(s, kc->blocks - 1)->number + 1
                               : (o->from >= 0 ? (uint64_t)o->from : 0);
    /* probe at a block the node has: a block past its tip gets "not found",
     * which would read as "no such method" */
    uint64_t node_tip;
    if ((rc = node_u64(&n, "eth_blockNumber", &node_tip))) goto done;
    if (!o->no_batch) { /* does the node answer a batch? */
        const char *bm[2] = {"eth_chainId", "eth_blockNumber"};
        struct cs_json_doc bd = {0};
        const struct cs_json *br[2];
        n.batch = cs_jsonrpc_batch(&n.c, 2, bm, NULL, &bd, br) == 0;
        cs_json_doc_free(&bd);
        cs_error_clear();
        n.calls += 2;
        n.posts++;
    }
    uint64_t pb = next <= node_tip ? next : node_tip;
    char q[64];
    snprintf(q, sizeof q, "[\"0x%llx\"]", (unsigned long long)pb);
    n.receipts = probe(&n, "eth_getBlockReceipts", q) ? 2 : 1;
    snprintf(q, sizeof q, "[\"0x%llx\",{\"tracer\":\"callTracer\"}]", (unsigned long long)pb);
    n.traces = probe(&n, "debug_traceBlockByNumber", q) ? 2 : 0;
    if (!n.traces) {
        snprintf(q, sizeof q, "[\"0x%llx\"]", (unsigned long long)pb);
        n.traces = probe(&n, "trace_block", q) ? 1 : 0;
    }
    snprintf(st->receipts_method, sizeof st->receipts_method, "%s",
             n.receipts == 2 ? "eth_getBlockReceipts" : "eth_getTransactionReceipt");
    snprintf(st->trace_method, sizeof st->trace_method, "%s",
             n.traces == 2   ? "debug_traceBlockByNumber"
             : n.traces == 1 ? "trace_block"
                             : "");
    if (o->progress)
        fprintf(stderr,
                "ingest evm: %s chain id %llu; %s; receipts by %s; internal transfers %s\n",
                o->url, (unsigned long long)id,
                n.batch ? "JSON-RPC batches" : "one call per POST (no batches)",
                st->receipts_method,
                n.traces == 2   ? "by debug_traceBlockByNumber (callTracer)"
                : n.traces == 1 ? "by trace_block"
                                : "unavailable (the node has no tracer)");
    r = cs_xcalloc(n.window, sizeof *r);
    for (size_t i = 0; i < n.window; i++)
        r[i].sel = o->logsel;
    unsigned since = 0;
    for (;;) {
        if (o->to >= 0)
            tip = (uint64_t)o->to;
        else if ((rc = node_u64(&n, "eth_blockNumber", &tip)))
            goto done;
        /* a reorg that replaced our tip without making the chain longer shows
         * only as a different hash at our own height */
        kc = cs_evm_counts(s);
        if (kc->blocks && cs_evm_block(s, kc->blocks - 1)->number <= tip) {
            uint8_t h[32];
            const struct cs_evm_blockrec *sb = cs_evm_block(s, kc->blocks - 1);
            if ((rc = node_hash(&n, sb->number, h))) goto done;
            if (memcmp(h, sb->hash, 32) && (rc = to_fork(&n, s, o->max_reorg, &next, st)))
                goto done;
        }
        while (next <= tip) {
            k = tip - next + 1 < n.window ? (size_t)(tip - next + 1) : n.window;
            if ((rc = fetch(&n, next, k, r))) goto done;
            for (size_t i = 0; i < k; i++) {
                kc = cs_evm_counts(s);
                if (kc->blocks &&
                    memcmp(r[i].b.parent, cs_evm_block(s, kc->blocks - 1)->hash, 32)) {
                    if ((rc = to_fork(&n, s, o->max_reorg, &next, st))) goto done;
                    break;
                }
                if ((rc = append(&n, s, &r[i], weth, &bld, &mv, &capmv, st))) goto done;
                next++;
                if (o->commit_blocks && ++since >= o->commit_blocks) {
                    if ((rc = cs_evm_commit(s))) goto done;
                    since = 0;
                }
            }
            for (size_t i = 0; i < k; i++)
                rblock_free(&r[i]);
            k = 0;
            if (o->progress)
                fprintf(stderr, "ingest evm: block %llu, %llu transfers\n",
                        (unsigned long long)(next - 1), (unsigned long long)st->xfers);
            if (o->stop && *o->stop) {
                rc = CS_EINTERRUPTED;
                goto done;
            }
        }
        if ((rc = cs_evm_commit(s))) goto done;
        if (!o->follow || (o->stop && *o->stop)) break;
        for (double slept = 0; slept < o->poll_seconds && !(o->stop && *o->stop); slept += 0.1)
            usleep(100000);
        if (o->stop && *o->stop) {
            rc = CS_EINTERRUPTED;
            break;
        }
    }
done:
    if (s && (!rc || rc == CS_EINTERRUPTED || rc == CS_EFORMAT || rc == CS_ERPC || rc == CS_ENET)) {
        int crc = cs_evm_commit(s); /* what came before the failure stays */
        if (crc && !rc) rc = crc;
    }
    for (size_t i = 0; r && i < n.window; i++)
        rblock_free(&r[i]);
    free(r);
    free(mv);
    cs_evm_builder_free(&bld);
    cs_evm_close(s);
    st->calls = n.calls;
    st->posts = n.posts;
    st->batch = n.batch;
    cs_rpc_client_close(&n.c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    st->seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    return rc;
}
