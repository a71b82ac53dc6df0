/* api.c — the handlers of the /v1 routes: each takes its thread's snapshot
 * (snap.c), answers from it and writes JSON through util/json.h.  The
 * screening answers are those of `chainsleuth screen --json` (risk/screen.c);
 * the address and tx summaries carry the fields of `address --json` and
 * `tx --json` (without the investigator's cluster names, which live with
 * the CLI) plus, for an address, its screen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "cluster/unionfind.h"
#include "report/report.h"
#include "server/server_int.h"
#include "tags/tags.h"
#include "util/codec.h"
#include "util/json.h"
#include "util/timefmt.h"

static int chain_ok(const char *chain, struct reply *r)
{
    const char *served = cs_chain_default()->name; /* the one chain the server reads */
    if (!strcmp(chain, served)) return 1;
    if (cs_chain_find(chain))
        cs_srv_reply_error(r, 404, "chain_not_served",
                           "chain '%s' is not served here (served: %s)", chain, served);
    else
        cs_srv_reply_error(r, 404, "unknown_chain", "unknown chain '%s' (served: %s)", chain,
                           served);
    return 0;
}

/* 503 with the store's error: no snapshot can be opened */
static int take_snap(struct srv *sv, struct snap **sn, struct reply *r)
{
    int rc = cs_srv_snap_get(sv, sn);
    if (rc) {
        cs_srv_reply_error(r, 503, "store_unavailable", "%s", cs_errmsg());
        return 0;
    }
    return 1;
}

/* after answering: a store that contradicted itself must not be trusted */
static int store_ok(struct snap *sn, struct reply *r)
{
    if (cs_store_status(sn->s)) {
        cs_srv_reply_error(r, 500, "store_corrupt", "%s", cs_errmsg());
        return 0;
    }
    return 1;
}

void cs_srv_api_health(struct srv *sv, struct reply *r)
{
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "status");
    cs_json_writer_string(&w, "ok");
    cs_json_writer_end_object(&w);
    cs_srv_reply_json(r, 200, &w);
}

void cs_srv_api_info(struct srv *sv, struct reply *r)
{
    struct snap *sn;
    if (!take_snap(sv, &sn, r)) return;
    const struct cs_store *s = sn->s;
    const struct cs_counts *k = cs_store_counts(s);
    int64_t h = cs_store_height(s);
    char hex[65], t[CS_TIME_ISO_MAX];
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "version");
    cs_json_writer_string(&w, sv->o.version ? sv->o.version : "");
    cs_json_writer_key(&w, "store");
    cs_json_writer_string(&w, sv->o.dbdir);
    cs_json_writer_key(&w, "started");
    cs_json_writer_string(&w, cs_time_iso(t, (uint32_t)sv->started));
    cs_json_writer_key(&w, "requests");
    cs_json_writer_u64(&w, (uint64_t)atomic_load(&sv->requests));
    cs_json_writer_key(&w, "chains");
    cs_json_writer_begin_array(&w);
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "chain");
    cs_json_writer_string(&w, cs_store_chain(s));
    cs_json_writer_key(&w, "network");
    cs_json_writer_string(&w, cs_store_net(s)->name);
    cs_json_writer_key(&w, "height");
    cs_json_writer_i64(&w, h);
    cs_json_writer_key(&w, "tip");
    if (h >= 0) {
        cs_hex_rev(hex, cs_store_block(s, (uint64_t)h)->hash);
        cs_json_writer_string(&w, hex);
        cs_report_json_time(&w, cs_report_block_time(s, (uint64_t)h));
    } else {
        cs_json_writer_null(&w);
    }
    cs_json_writer_key(&w, "counts");
    cs_json_writer_begin_object(&w);
    const struct {
        const char *key;
        uint64_t v;
    } nums[] = {{"blocks", k->blocks},
                {"txs", k->tx},
                {"inputs", k->in},
                {"outputs", k->out},
                {"addresses", k->addr ? k->addr - 1 : 0}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        cs_json_writer_key(&w, nums[i].key);
        cs_json_writer_u64(&w, nums[i].v);
    }
    cs_json_writer_end_object(&w);
    cs_json_writer_key(&w, "snapshot");
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "generation");
    cs_json_writer_u64(&w, sn->generation);
    cs_json_writer_key(&w, "opened");
    cs_json_writer_string(&w, cs_time_iso(t, (uint32_t)sn->opened));
    cs_json_writer_end_object(&w);
    cs_json_writer_key(&w, "clustering");
    cs_json_writer_bool(&w, sn->cdb != NULL);
    cs_json_writer_key(&w, "attribution");
    cs_json_writer_string(&w, sn->risk_note);
    cs_json_writer_key(&w, "index");
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "state");
    cs_json_writer_string(&w, sn->index_state);
    if (sn->index_why[0]) {
        cs_json_writer_key(&w, "why");
        cs_json_writer_string(&w, sn->index_why);
    }
    if (sn->ix) {
        cs_json_writer_key(&w, "nodes");
        cs_json_writer_u64(&w, cs_risk_index_nodes(sn->ix));
    }
    cs_json_writer_end_object(&w);
    cs_json_writer_end_object(&w);
    cs_json_writer_end_array(&w);
    cs_json_writer_end_object(&w);
    if (!store_ok(sn, r)) {
        cs_json_writer_free(&w);
        return;
    }
    cs_srv_reply_json(r, 200, &w);
}

/* "entity" and "cluster" of an address id, as `address --json` names them */
static void who_json(const struct snap *sn, struct cs_json_writer *w, uint64_t addr)
{
    int32_t e = sn->at ? cs_attrib_lookup(sn->at, addr) : -1;
    cs_json_writer_key(w, "entity");
    if (e < 0) {
        cs_json_writer_null(w);
    } else {
        const struct cs_attrib_entity *x = cs_attrib_entity(sn->at, (uint32_t)e);
        const char *cat = cs_tag_category_name(x->category);
        cs_json_writer_begin_object(w);
        cs_json_writer_key(w, "label");
        cs_json_writer_string(w, x->label);
        cs_json_writer_key(w, "category");
        cs_json_writer_string(w, cat ? cat : "unknown");
        cs_json_writer_key(w, "confidence");
        cs_json_writer_i64(w, x->confidence);
        cs_json_writer_key(w, "source");
        cs_json_writer_string(w, x->source ? x->source : "");
        cs_json_writer_end_object(w);
    }
    cs_json_writer_key(w, "cluster");
    uint32_t c = sn->cdb ? cs_clusterdb_cid(sn->cdb, addr) : CS_UF_NONE;
    if (c == CS_UF_NONE)
        cs_json_writer_null(w);
    else
        cs_json_writer_u64(w, c);
}

static void seen_json(struct cs_json_writer *w, const struct cs_store *s, int64_t first,
                      int64_t last)
{
    const char *k[3][2] = {{"first_seen", "last_seen"},
                           {"first_seen_time", "last_seen_time"},
                           {"first_seen_timestamp", "last_seen_timestamp"}};
    char b[CS_TIME_ISO_MAX];
    for (int i = 0; i < 2; i++) {
        int64_t h = i ? last : first;
        uint32_t t = first < 0 ? 0 : cs_report_block_time(s, (uint64_t)h);
        for (int j = 0; j < 3; j++) {
            cs_json_writer_key(w, k[j][i]);
            if (first < 0)
                cs_json_writer_null(w);
            else if (j == 0)
                cs_json_writer_i64(w, h);
            else if (j == 1)
                cs_json_writer_string(w, cs_time_iso(b, t));
            else
                cs_json_writer_u64(w, t);
        }
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Screens target text into w as `screen --json` does; 0, or an error code
 * with the message (CS_EUSAGE / CS_ENOTFOUND for the target itself). */
static int screen_json(const struct snap *sn, const struct cs_risk_screen_ctx *sc, const char *text,
                       struct cs_json_writer *w)
{
    struct cs_risk_target t;
    int rc = cs_risk_target_resolve(sc, text, &t);
    if (rc) return rc;
    struct cs_risk_result res;
    rc = cs_risk_screen_target(sc, &t, &res);
    if (!rc) cs_risk_result_json(sc, &t, &res, w);
    cs_risk_result_free(&res);
    return rc;
}

void cs_srv_api_address(struct srv *sv, const char *chain, const char *text, int risk_only,
                        struct reply *r)
{
    if (!chain_ok(chain, r)) return;
    struct snap *sn;
    if (!take_snap(sv, &sn, r)) return;
    const struct cs_store *s = sn->s;
    const struct cs_netparams *net = cs_store_net(s);
    struct cs_addr a;
    if (strlen(text) > 200 || cs_addr_parse(text, net, &a)) {
        cs_srv_reply_error(r, 400, "bad_address", "'%.200s' is not a %s address on %s (%s)", text,
                           sn->sc.chain->title, net->name, cs_errmsg());
        return;
    }
    uint64_t id;
    int found = cs_store_find_addr(s, &a, &id) == 0;
    char canon[CS_CHAIN_ADDR_MAX];
    cs_addr_format(&a, net, canon);
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, 0);
    if (risk_only) {
        if (!found) {
            cs_json_writer_free(&w);
            cs_srv_reply_error(r, 404, "not_found", "address %s never seen on this chain", text);
            return;
        }
        int rc = screen_json(sn, &sn->sc, text, &w);
        if (rc) {
            cs_json_writer_free(&w);
            cs_srv_reply_error(r, rc == CS_ENOTFOUND ? 404 : 500,
                               rc == CS_ENOTFOUND ? "not_found" : "internal", "%s", cs_errmsg());
            return;
        }
        if (!store_ok(sn, r)) {
            cs_json_writer_free(&w);
            return;
        }
        cs_srv_reply_json(r, 200, &w);
        return;
    }
    /* the same sums as `address`: every output of the address, spent or not */
    uint64_t recv = 0, sent = 0, nout = 0, nutxo = 0;
    size_t n = 0, cap = 64;
    uint64_t *txs = malloc(cap * sizeof *txs);
    if (!txs) {
        cs_json_writer_free(&w);
        cs_srv_reply_error(r, 503, "unavailable", "out of memory");
        return;
    }
    for (uint64_t o = found ? cs_store_addr_head(s, id) : CS_NONE64; o != CS_NONE64;
         o = cs_store_out_next(s, o)) {
        uint64_t v = cs_store_out(s, o)->value, sp = cs_store_spent_by(s, o);
        recv += v;
        nout++;
        if (n + 2 > cap) {
            uint64_t *nt = realloc(txs, (cap *= 2) * sizeof *txs);
            if (!nt) {
                free(txs);
                cs_json_writer_free(&w);
                cs_srv_reply_error(r, 503, "unavailable", "out of memory");
                return;
            }
            txs = nt;
        }
        txs[n++] = cs_store_out_tx(s, o);
        if (sp == CS_NONE64)
            nutxo++;
        else {
            sent += v;
            txs[n++] = sp;
        }
    }
    qsort(txs, n, sizeof *txs, cmp_u64);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!m || txs[m - 1] != txs[i]) txs[m++] = txs[i];
    int64_t first = m ? (int64_t)cs_store_tx(s, txs[0])->height : -1;
    int64_t last = m ? (int64_t)cs_store_tx(s, txs[m - 1])->height : -1;
    free(txs);
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "address");
    cs_json_writer_string(&w, canon);
    cs_json_writer_key(&w, "chain");
    cs_json_writer_string(&w, cs_chain_default()->name);
    cs_json_writer_key(&w, "type");
    cs_json_writer_string(&w, cs_addr_type_name(a.type));
    if (found) {
        who_json(sn, &w, id);
    } else {
        cs_json_writer_key(&w, "entity");
        cs_json_writer_null(&w);
        cs_json_writer_key(&w, "cluster");
        cs_json_writer_null(&w);
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
    seen_json(&w, s, first, last);
    /* the tags on the address itself (the entity above may come from its cluster) */
    cs_json_writer_key(&w, "tags");
    cs_json_writer_begin_array(&w);
    struct cs_tag tg[32];
    size_t nt = sn->tags ? cs_tagdb_lookup(sn->tags, cs_chain_default()->name, canon, tg, 32) : 0;
    for (size_t i = 0; i < nt && i < 32; i++) {
        const char *cat = cs_tag_category_name(tg[i].category);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "label");
        cs_json_writer_string(&w, tg[i].label);
        cs_json_writer_key(&w, "category");
        cs_json_writer_string(&w, cat ? cat : "unknown");
        cs_json_writer_key(&w, "confidence");
        cs_json_writer_i64(&w, tg[i].confidence);
        cs_json_writer_key(&w, "source");
        cs_json_writer_string(&w, tg[i].source);
        cs_json_writer_end_object(&w);
    }
    cs_json_writer_end_array(&w);
    cs_json_writer_key(&w, "risk");
    if (found) {
        int rc = screen_json(sn, &sn->sc, canon, &w);
        if (rc) {
            cs_json_writer_free(&w);
            cs_srv_reply_error(r, 500, "internal", "screening %s: %s", canon, cs_errmsg());
            return;
        }
    } else {
        cs_json_writer_null(&w);
    }
    cs_json_writer_end_object(&w);
    if (!store_ok(sn, r)) {
        cs_json_writer_free(&w);
        return;
    }
    cs_srv_reply_json(r, 200, &w);
}

void cs_srv_api_tx(struct srv *sv, const char *chain, const char *txid, struct reply *r)
{
    if (!chain_ok(chain, r)) return;
    uint8_t id[32];
    if (strlen(txid) != 64 || cs_unhex_rev32(id, txid)) {
        cs_srv_reply_error(r, 400, "bad_txid", "'%.100s' is not a 64-digit hex txid", txid);
        return;
    }
    struct snap *sn;
    if (!take_snap(sv, &sn, r)) return;
    const struct cs_store *s = sn->s;
    uint64_t t;
    if (cs_store_find_tx(s, id, &t)) {
        cs_srv_reply_error(r, 404, "not_found", "transaction %s not found in the store", txid);
        return;
    }
    const struct cs_netparams *net = cs_store_net(s);
    const struct cs_txrec *tr = cs_store_tx(s, t);
    char bh[65], hex[65], addr[CS_CHAIN_ADDR_MAX], canon[65];
    cs_hex_rev(canon, cs_store_txid(s, t));
    cs_hex_rev(bh, cs_store_block(s, tr->height)->hash);
    uint64_t fi, ni, fo, no, vin = 0, vout = 0;
    cs_store_tx_ins(s, t, &fi, &ni);
    cs_store_tx_outs(s, t, &fo, &no);
    int coinbase = ni && cs_store_in_prevout(s, fi) == CS_NONE64;
    for (uint64_t i = fi; i < fi + ni; i++) {
        uint64_t p = cs_store_in_prevout(s, i);
        if (p != CS_NONE64) vin += cs_store_out(s, p)->value;
    }
    for (uint64_t o = fo; o < fo + no; o++)
        vout += cs_store_out(s, o)->value;
    uint64_t fee = coinbase || vin < vout ? 0 : vin - vout;
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "txid");
    cs_json_writer_string(&w, canon);
    cs_json_writer_key(&w, "chain");
    cs_json_writer_string(&w, cs_chain_default()->name);
    cs_json_writer_key(&w, "height");
    cs_json_writer_u64(&w, tr->height);
    cs_json_writer_key(&w, "block");
    cs_json_writer_string(&w, bh);
    cs_report_json_time(&w, cs_report_block_time(s, tr->height));
    cs_json_writer_key(&w, "version");
    cs_json_writer_i64(&w, tr->version);
    cs_json_writer_key(&w, "locktime");
    cs_json_writer_u64(&w, tr->locktime);
    cs_json_writer_key(&w, "size");
    cs_json_writer_u64(&w, tr->size);
    cs_json_writer_key(&w, "weight");
    cs_json_writer_u64(&w, tr->weight);
    cs_json_writer_key(&w, "vsize");
    cs_json_writer_u64(&w, (tr->weight + 3) / 4);
    cs_json_writer_key(&w, "coinbase");
    cs_json_writer_bool(&w, coinbase);
    cs_json_writer_key(&w, "fee");
    cs_json_writer_u64(&w, fee);
    cs_json_writer_key(&w, "inputs");
    cs_json_writer_begin_array(&w);
    for (uint64_t i = fi; i < fi + ni; i++) {
        uint64_t p = cs_store_in_prevout(s, i);
        uint32_t seq = cs_store_in(s, i)->sequence;
        cs_json_writer_begin_object(&w);
        if (p == CS_NONE64) {
            cs_json_writer_key(&w, "coinbase");
            cs_json_writer_bool(&w, 1);
            cs_json_writer_key(&w, "sequence");
            cs_json_writer_u64(&w, seq);
            cs_json_writer_end_object(&w);
            continue;
        }
        uint64_t pt = cs_store_out_tx(s, p), pf, pn;
        cs_store_tx_outs(s, pt, &pf, &pn);
        cs_hex_rev(hex, cs_store_txid(s, pt));
        const struct cs_outrec *o = cs_store_out(s, p);
        cs_addr_format(cs_store_addr(s, o->addr), net, addr);
        char prevout[96];
        snprintf(prevout, sizeof prevout, "%s:%llu", hex, (unsigned long long)(p - pf));
        cs_json_writer_key(&w, "prevout");
        cs_json_writer_string(&w, prevout);
        cs_json_writer_key(&w, "address");
        cs_json_writer_string(&w, addr);
        cs_json_writer_key(&w, "value");
        cs_json_writer_u64(&w, o->value);
        cs_json_writer_key(&w, "sequence");
        cs_json_writer_u64(&w, seq);
        who_json(sn, &w, o->addr);
        cs_json_writer_end_object(&w);
    }
    cs_json_writer_end_array(&w);
    cs_json_writer_key(&w, "outputs");
    cs_json_writer_begin_array(&w);
    for (uint64_t o = fo; o < fo + no; o++) {
        const struct cs_outrec *ro = cs_store_out(s, o);
        const struct cs_addr *ad = cs_store_addr(s, ro->addr);
        cs_addr_format(ad, net, addr);
        uint64_t sp = cs_store_spent_by(s, o);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "n");
        cs_json_writer_u64(&w, o - fo);
        cs_json_writer_key(&w, "value");
        cs_json_writer_u64(&w, ro->value);
        cs_json_writer_key(&w, "address");
        cs_json_writer_string(&w, addr);
        cs_json_writer_key(&w, "type");
        cs_json_writer_string(&w, cs_addr_type_name(ad->type));
        cs_json_writer_key(&w, "spent_by");
        if (sp == CS_NONE64) {
            cs_json_writer_null(&w);
        } else {
            cs_hex_rev(hex, cs_store_txid(s, sp));
            cs_json_writer_string(&w, hex);
        }
        who_json(sn, &w, ro->addr);
        cs_json_writer_end_object(&w);
    }
    cs_json_writer_end_array(&w);
    cs_json_writer_end_object(&w);
    if (!store_ok(sn, r)) {
        cs_json_writer_free(&w);
        return;
    }
    cs_srv_reply_json(r, 200, &w);
}

void cs_srv_api_screen(struct srv *sv, const char *body, size_t len, struct reply *r)
{
    struct cs_json_doc doc;
    struct cs_server_screen_req q;
    int rc = cs_server_screen_parse(body, len, &doc, &q);
    if (rc) {
        if (rc == CS_ERANGE)
            cs_srv_reply_error(r, 413, "too_many_items", "%s", cs_errmsg());
        else if (rc == CS_ENOMEM)
            cs_srv_reply_error(r, 503, "unavailable", "%s", cs_errmsg());
        else
            cs_srv_reply_error(r, 400, "bad_request", "%s", cs_errmsg());
        return;
    }
    if (!chain_ok(q.chain, r)) goto done;
    struct snap *sn;
    if (!take_snap(sv, &sn, r)) goto done;
    struct cs_risk_screen_ctx sc = sn->sc;
    sc.dirs = q.dirs;
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "results");
    cs_json_writer_begin_array(&w);
    for (size_t i = 0; i < q.n_items; i++) {
        struct cs_risk_target t;
        rc = cs_risk_target_resolve(&sc, q.items[i], &t);
        if (rc) {
            /* one bad item does not sink the batch: it gets its own error */
            cs_json_writer_begin_object(&w);
            cs_json_writer_key(&w, "target");
            cs_json_writer_string(&w, q.items[i]);
            cs_json_writer_key(&w, "error");
            cs_json_writer_begin_object(&w);
            cs_json_writer_key(&w, "code");
            cs_json_writer_string(&w, rc == CS_ENOTFOUND ? "not_found" : "bad_item");
            cs_json_writer_key(&w, "message");
            cs_json_writer_string(&w, cs_errmsg());
            cs_json_writer_end_object(&w);
            cs_json_writer_end_object(&w);
            continue;
        }
        struct cs_risk_result res;
        rc = cs_risk_screen_target(&sc, &t, &res);
        if (rc) {
            cs_risk_result_free(&res);
            cs_json_writer_free(&w);
            cs_srv_reply_error(r, 500, "internal", "screening items[%zu]: %s", i, cs_errmsg());
            goto done;
        }
        cs_risk_result_json(&sc, &t, &res, &w);
        cs_risk_result_free(&res);
    }
    cs_json_writer_end_array(&w);
    cs_json_writer_key(&w, "height");
    cs_json_writer_i64(&w, cs_store_height(sn->s));
    cs_json_writer_end_object(&w);
    if (!store_ok(sn, r)) {
        cs_json_writer_free(&w);
        goto done;
    }
    cs_srv_reply_json(r, 200, &w);
done:
    cs_server_screen_req_free(&q);
    cs_json_doc_free(&doc);
}
