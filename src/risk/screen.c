/* screen.c — one target screened and written as JSON: what `chainsleuth
 * screen --json` prints per line and what the server's POST /v1/screen puts
 * in its results, from the same code (moved here from cli/cmd_screen.c so
 * that both callers share it; the model itself is walk.c and index.c). */
#include <stdio.h>
#include <string.h>

#include "chain/chain.h"
#include "risk/risk.h"
#include "tags/tags.h"
#include "util/codec.h"
#include "util/json.h"

static void node_addr(const struct cs_risk_screen_ctx *c, uint64_t node,
                      char out[CS_CHAIN_ADDR_MAX])
{
    uint64_t a = cs_risk_store_node_addr(c->rs, node);
    c->chain->addr_format(cs_store_addr(c->s, a), cs_store_net(c->s), out);
}

static void tx_hex(const struct cs_risk_screen_ctx *c, uint64_t tx, char out[65])
{
    cs_hex_rev(out, cs_store_txid(c->s, tx));
}

int cs_risk_target_resolve(const struct cs_risk_screen_ctx *c, const char *text,
                           struct cs_risk_target *t)
{
    t->text = text;
    uint8_t id[32];
    if (strlen(text) == 64 && !cs_unhex_rev32(id, text)) {
        t->is_tx = 1;
        if (cs_store_find_tx(c->s, id, &t->id))
            return cs_error(CS_ENOTFOUND, "transaction %s not found in the store", text);
        return 0;
    }
    cs_error_clear();
    struct cs_addr a;
    if (!c->chain->addr_parse || c->chain->addr_parse(text, cs_store_net(c->s), &a)) {
        char why[256];
        snprintf(why, sizeof why, "%s", cs_errmsg());
        return cs_error(CS_EUSAGE, "'%s' is neither a txid nor a %s address (%s)", text,
                        c->chain->title, why);
    }
    if (cs_store_find_addr(c->s, &a, &t->id))
        return cs_error(CS_ENOTFOUND, "address %s never seen on this chain", text);
    t->is_tx = 0;
    return 0;
}

int cs_risk_screen_target(const struct cs_risk_screen_ctx *c, const struct cs_risk_target *t,
                          struct cs_risk_result *r)
{
    cs_risk_result_init(r);
    uint64_t node = CS_RISK_ORIGIN;
    if (!t->is_tx) {
        node = cs_risk_store_node(c->rs, t->id);
        int cat = -1;
        r->owner_entity = c->g->entity(c->g->ctx, node, &cat);
        r->owner_category = r->owner_entity >= 0 ? cat : -1;
    }
    for (int d = 0; d < 2; d++) {
        if (!(c->dirs & (1 << d))) continue;
        struct cs_risk_flowbuf fb = {0};
        int rc = 0;
        if (t->is_tx) rc = cs_risk_store_tx_flows(c->rs, t->id, d, &fb);
        if (!rc && c->ix && !c->explain) {
            rc = cs_risk_screen_indexed(c->ix, c->g, &c->cfg, d, node, fb.v, fb.n, r);
        } else if (!rc) {
            if (!t->is_tx) {
                int more = 0;
                rc = c->g->flows(c->g->ctx, node, d, &fb, c->cfg.walk_budget, &more);
                if (!rc && more) {
                    /* the target alone passes the budget: nothing can be said */
                    r->dirs |= 1 << d;
                    memset(&r->dir[d], 0, sizeof r->dir[d]);
                    r->dir[d].unknown = 1;
                    r->dir[d].truncated = 1;
                    cs_risk_flowbuf_free(&fb);
                    continue;
                }
            }
            if (!rc) rc = cs_risk_walk(c->g, &c->cfg, d, fb.v, fb.n, c->explain, r);
        }
        cs_risk_flowbuf_free(&fb);
        if (rc) return rc;
    }
    cs_risk_finish(&c->cfg, r);
    return 0;
}

void cs_risk_result_json(const struct cs_risk_screen_ctx *c, const struct cs_risk_target *t,
                         const struct cs_risk_result *r, struct cs_json_writer *w)
{
    char a[CS_CHAIN_ADDR_MAX], h[65];
    cs_json_writer_begin_object(w);
    cs_json_writer_key(w, "target");
    cs_json_writer_string(w, t->text);
    cs_json_writer_key(w, "type");
    cs_json_writer_string(w, t->is_tx ? "tx" : "address");
    cs_json_writer_key(w, "chain");
    cs_json_writer_string(w, c->chain->name);
    cs_json_writer_key(w, "risk");
    cs_json_writer_string(w, cs_risk_level_name(r->level));
    cs_json_writer_key(w, "score");
    cs_json_writer_double(w, r->score);
    cs_json_writer_key(w, "method");
    cs_json_writer_string(w, r->from_index ? "index" : "walk");
    if (!t->is_tx) {
        uint64_t node = cs_risk_store_node(c->rs, t->id);
        cs_json_writer_key(w, "cluster");
        cs_json_writer_u64(w, node);
    }
    cs_json_writer_key(w, "owner");
    if (r->owner_entity >= 0) {
        cs_json_writer_begin_object(w);
        cs_json_writer_key(w, "entity");
        cs_json_writer_string(w, c->g->entity_label(c->g->ctx, r->owner_entity));
        cs_json_writer_key(w, "category");
        cs_json_writer_string(w, cs_tag_category_name(r->owner_category));
        cs_json_writer_end_object(w);
    } else {
        cs_json_writer_null(w);
    }
    cs_json_writer_key(w, "exposure");
    cs_json_writer_begin_array(w);
    for (int d = 0; d < 2; d++) {
        if (!(r->dirs & (1 << d))) continue;
        for (int k = 0; k < CS_RISK_NCAT; k++) {
            const struct cs_risk_cat *x = &r->dir[d].cat[k];
            if (!(x->direct + x->indirect > 0)) continue;
            cs_json_writer_begin_object(w);
            cs_json_writer_key(w, "direction");
            cs_json_writer_string(w, cs_risk_dir_name(d));
            cs_json_writer_key(w, "category");
            cs_json_writer_string(w, cs_tag_category_name(k));
            cs_json_writer_key(w, "direct");
            cs_json_writer_double(w, x->direct);
            cs_json_writer_key(w, "indirect");
            cs_json_writer_double(w, x->indirect);
            cs_json_writer_key(w, "decayed");
            cs_json_writer_double(w, x->decayed);
            cs_json_writer_key(w, "weighted");
            cs_json_writer_double(w, c->cfg.weight[k] * x->decayed);
            cs_json_writer_key(w, "min_hops");
            cs_json_writer_u64(w, x->min_hops);
            cs_json_writer_end_object(w);
        }
    }
    cs_json_writer_end_array(w);
    for (int pass = 0; pass < 2; pass++) {
        cs_json_writer_key(w, pass ? "truncated" : "unknown");
        cs_json_writer_begin_object(w);
        for (int d = 0; d < 2; d++) {
            if (!(r->dirs & (1 << d))) continue;
            cs_json_writer_key(w, cs_risk_dir_name(d));
            if (pass)
                cs_json_writer_bool(w, r->dir[d].truncated);
            else
                cs_json_writer_double(w, r->dir[d].unknown);
        }
        cs_json_writer_end_object(w);
    }
    cs_json_writer_key(w, "reasons");
    cs_json_writer_begin_array(w);
    for (size_t i = 0; i < r->n_reasons && i < c->limit; i++) {
        const struct cs_risk_reason *x = &r->reasons[i];
        cs_json_writer_begin_object(w);
        cs_json_writer_key(w, "direction");
        cs_json_writer_string(w, cs_risk_dir_name(x->dir));
        cs_json_writer_key(w, "category");
        cs_json_writer_string(w, cs_tag_category_name(x->category));
        cs_json_writer_key(w, "entity");
        if (x->entity >= 0)
            cs_json_writer_string(w, c->g->entity_label(c->g->ctx, x->entity));
        else
            cs_json_writer_null(w);
        cs_json_writer_key(w, "hops");
        cs_json_writer_u64(w, x->min_hops);
        cs_json_writer_key(w, "share");
        cs_json_writer_double(w, x->share);
        cs_json_writer_key(w, "decayed");
        cs_json_writer_double(w, x->decayed);
        cs_json_writer_key(w, "weighted");
        cs_json_writer_double(w, c->cfg.weight[x->category] * x->decayed);
        if (x->via != CS_RISK_ORIGIN) {
            node_addr(c, x->via, a);
            cs_json_writer_key(w, "via");
            cs_json_writer_string(w, a);
        }
        cs_json_writer_key(w, "txs");
        cs_json_writer_begin_array(w);
        for (unsigned j = 0; j < x->n_txs; j++) {
            tx_hex(c, x->txs[j], h);
            cs_json_writer_string(w, h);
        }
        cs_json_writer_end_array(w);
        if (x->path_len) {
            cs_json_writer_key(w, "path");
            cs_json_writer_begin_array(w);
            for (unsigned j = 0; j < x->path_len; j++) {
                cs_json_writer_begin_object(w);
                tx_hex(c, x->path_txs[j], h);
                cs_json_writer_key(w, "tx");
                cs_json_writer_string(w, h);
                node_addr(c, x->path_nodes[j], a);
                cs_json_writer_key(w, "address");
                cs_json_writer_string(w, a);
                cs_json_writer_end_object(w);
            }
            cs_json_writer_end_array(w);
            cs_json_writer_key(w, "path_share");
            cs_json_writer_double(w, x->path_mass);
        }
        cs_json_writer_end_object(w);
    }
    cs_json_writer_end_array(w);
    cs_json_writer_end_object(w);
}

int cs_risk_index_meta_match(const struct cs_risk_index_meta *a, const struct cs_risk_index_meta *b,
                             const char **why)
{
    if (a->attrib_mode != b->attrib_mode || a->cluster_tx != b->cluster_tx ||
        memcmp(a->cluster_tip, b->cluster_tip, 32)) {
        *why = "the clustering (or the store) changed since it was built";
        return 0;
    }
    if (memcmp(a->tags_sha, b->tags_sha, 32)) {
        *why = "the tags changed since it was built";
        return 0;
    }
    if (a->max_hops != b->max_hops || a->decay != b->decay) {
        *why = "it was built with another max_hops or decay";
        return 0;
    }
    return 1;
}
