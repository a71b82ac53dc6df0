/* report_json.c — the JSON result of a trace (layout in report.h) and the
 * small formatting helpers the other writers share.  Written with the
 * deterministic streaming writer of util/json.h, so equal inputs give equal
 * bytes. */
#include <stdio.h>
#include <string.h>

#include "report/report.h"
#include "tags/tags.h"
#include "util/codec.h"
#include "util/json.h"
#include "util/timefmt.h"

const struct cs_asset *cs_report_asset(const struct cs_report_ctx *c)
{
    return c->asset ? c->asset : cs_btc_asset(); /* a store holds one chain today: btc */
}

const char *cs_report_unit(const struct cs_report_ctx *c)
{
    const struct cs_asset *a = cs_report_asset(c);
    return !c->unit_base ? a->symbol : *a->base_unit ? a->base_unit : "base";
}

const char *cs_report_amount(const struct cs_report_ctx *c, uint64_t amount, int unit,
                             char buf[CS_AMOUNT_STR_MAX])
{
    if (c->unit_base) {
        struct cs_u256 v = cs_u256_from_u64(amount);
        size_t n = cs_amount_format_base(buf, cs_report_asset(c), &v, 0);
        if (unit) snprintf(buf + n, CS_AMOUNT_STR_MAX - n, " %s", cs_report_unit(c));
        return buf;
    }
    cs_amount_format_u64(buf, cs_report_asset(c), amount, unit ? CS_AMOUNT_UNIT : 0);
    return buf;
}

uint32_t cs_report_block_time(const struct cs_store *s, uint64_t height)
{
    const uint8_t *p = cs_store_block(s, height)->header + 68; /* nTime, little-endian */
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

const char *cs_report_height_time(const struct cs_store *s, uint64_t height,
                                  char buf[CS_TIME_ISO_MAX])
{
    return cs_time_iso(buf, cs_report_block_time(s, height));
}

void cs_report_json_time(struct cs_json_writer *w, uint32_t t)
{
    char b[CS_TIME_ISO_MAX];
    cs_json_writer_key(w, "time");
    cs_json_writer_string(w, cs_time_iso(b, t));
    cs_json_writer_key(w, "timestamp");
    cs_json_writer_u64(w, t);
}

static void w_height_time(struct cs_json_writer *w, const struct cs_store *s, uint64_t height)
{
    cs_json_writer_key(w, "height");
    cs_json_writer_u64(w, height);
    cs_report_json_time(w, cs_report_block_time(s, height));
}

const char *cs_report_outpoint(const struct cs_store *s, uint64_t out, char buf[80])
{
    uint64_t tx = cs_store_out_tx(s, out), first, n;
    cs_store_tx_outs(s, tx, &first, &n);
    char id[65];
    cs_hex_rev(id, cs_store_txid(s, tx));
    snprintf(buf, 80, "%s:%llu", id, (unsigned long long)(out - first));
    return buf;
}

__extension__ typedef unsigned __int128 u128;

const char *cs_report_share_title(const struct cs_report_ctx *c)
{
    return c->r->conservative ? "share" : "max share";
}

const char *cs_report_share(const struct cs_report_ctx *c, uint64_t part, char buf[16])
{
    uint64_t whole = c->r->seed_amount;
    if (!whole) {
        snprintf(buf, 16, "-");
        return buf;
    }
    if (!c->r->conservative && part > whole) part = whole; /* poison: the bound min(part, seed) */
    u128 x = (u128)part * 10000u / whole;
    snprintf(buf, 16, "%llu.%02llu%%", (unsigned long long)(x / 100),
             (unsigned long long)(x % 100));
    return buf;
}

const struct cs_attrib_entity *cs_report_sink_tag(const struct cs_report_ctx *c,
                                                  const struct cs_trace_sink *k)
{
    if (!c->attrib || k->entity < 0 || (size_t)k->entity >= cs_attrib_count(c->attrib)) return NULL;
    return cs_attrib_entity(c->attrib, (uint32_t)k->entity);
}

static void w_txid(struct cs_json_writer *w, const struct cs_store *s, uint64_t tx)
{
    char id[65];
    cs_hex_rev(id, cs_store_txid(s, tx));
    cs_json_writer_string(w, id);
}

static void w_address(struct cs_json_writer *w, const struct cs_store *s, uint64_t out)
{
    char a[96];
    cs_addr_format(cs_store_addr(s, cs_store_out(s, out)->addr), cs_store_net(s), a);
    cs_json_writer_string(w, a);
}

static const char *category_name(int cat)
{
    const char *n = cs_tag_category_name(cat);
    return n ? n : "unknown";
}

int cs_report_json(const struct cs_report_ctx *c, char **out, size_t *len)
{
    const struct cs_trace_result *r = c->r;
    const struct cs_store *s = c->s;
    struct cs_json_writer w;
    char buf[80];
    *out = NULL;
    *len = 0;
    if (!c->parameters_json || c->parameters_json[0] != '{')
        return cs_error(CS_EFORMAT, "report: parameters must be a JSON object");
    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "policy");
    cs_json_writer_string(&w, cs_policy_name(r->policy));
    cs_json_writer_key(&w, "direction");
    cs_json_writer_string(&w, r->backward ? "backward" : "forward");
    cs_json_writer_key(&w, "fee_convention");
    cs_json_writer_string(&w, cs_feeconv_name(r->feeconv));
    cs_json_writer_key(&w, "conservative");
    cs_json_writer_bool(&w, r->conservative);
    cs_json_writer_key(&w, "seed_amount");
    cs_json_writer_u64(&w, r->seed_amount);

    cs_json_writer_key(&w, "sinks");
    cs_json_writer_begin_array(&w);
    for (size_t i = 0; i < r->n_sinks; i++) {
        const struct cs_trace_sink *k = &r->sinks[i];
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "entity");
        cs_json_writer_string(&w, k->label);
        cs_json_writer_key(&w, "category");
        cs_json_writer_string(&w, category_name(k->category));
        cs_json_writer_key(&w, "amount");
        cs_json_writer_u64(&w, k->amount);
        cs_json_writer_key(&w, "hops");
        cs_json_writer_u64(&w, k->hops);
        cs_json_writer_key(&w, "first_tx");
        if (k->first_tx == CS_NONE64) {
            cs_json_writer_null(&w);
            const char *keys[] = {"height", "time", "timestamp"};
            for (int q = 0; q < 3; q++) {
                cs_json_writer_key(&w, keys[q]);
                cs_json_writer_null(&w);
            }
        } else {
            w_txid(&w, s, k->first_tx);
            w_height_time(&w, s, cs_store_tx(s, k->first_tx)->height);
        }
        cs_json_writer_key(&w, "outputs");
        cs_json_writer_u64(&w, k->outputs);
        cs_json_writer_key(&w, "txs");
        cs_json_writer_begin_array(&w);
        for (size_t q = 0; q < k->n_txs; q++)
            w_txid(&w, s, k->txs[q]);
        cs_json_writer_end_array(&w);
        const struct cs_attrib_entity *tag = cs_report_sink_tag(c, k);
        if (tag) {
            cs_json_writer_key(&w, "source");
            cs_json_writer_string(&w, tag->source ? tag->source : "");
            cs_json_writer_key(&w, "confidence");
            cs_json_writer_i64(&w, tag->confidence);
        }
        cs_json_writer_end_object(&w);
    }
    cs_json_writer_end_array(&w);

    cs_json_writer_key(&w, "frontier");
    cs_json_writer_begin_array(&w);
    for (size_t i = 0; i < r->n_frontier; i++) {
        const struct cs_trace_front *f = &r->frontier[i];
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "address");
        w_address(&w, s, f->out);
        cs_json_writer_key(&w, "outpoint");
        cs_json_writer_string(&w, cs_report_outpoint(s, f->out, buf));
        cs_json_writer_key(&w, "amount");
        cs_json_writer_u64(&w, f->amount);
        cs_json_writer_key(&w, "reason");
        cs_json_writer_string(&w, cs_trace_reason_name(f->reason));
        cs_json_writer_key(&w, "hops");
        cs_json_writer_u64(&w, f->hops);
        w_height_time(&w, s, cs_store_tx(s, cs_store_out_tx(s, f->out))->height);
        int64_t cid = -1;
        const char *nm = c->cluster_name
                             ? c->cluster_name(c->names_ctx, cs_store_out(s, f->out)->addr, &cid)
                             : NULL;
        if (nm && *nm) { /* only when the investigator named it: the bytes stay the same otherwise */
            cs_json_writer_key(&w, "cluster");
            cs_json_writer_i64(&w, cid);
            cs_json_writer_key(&w, "cluster_name");
            cs_json_writer_string(&w, nm);
        }
        if (f->nruns && f->amount != cs_store_out(s, f->out)->value) {
            cs_json_writer_key(&w, "ranges");
            cs_json_writer_begin_array(&w);
            uint64_t pos = 0;
            for (size_t q = 0; q < f->nruns; q++) {
                const struct cs_run *run = &r->runs[f->run_first + q];
                if (run->label) {
                    cs_json_writer_begin_array(&w);
                    cs_json_writer_u64(&w, pos);
                    cs_json_writer_u64(&w, run->amount);
                    cs_json_writer_end_array(&w);
                }
                pos += run->amount;
            }
            cs_json_writer_end_array(&w);
        }
        cs_json_writer_end_object(&w);
    }
    cs_json_writer_end_array(&w);

    cs_json_writer_key(&w, "fees");
    cs_json_writer_u64(&w, r->fees);
    cs_json_writer_key(&w, "dropped");
    cs_json_writer_u64(&w, r->dropped);
    cs_json_writer_key(&w, "txs_visited");
    cs_json_writer_u64(&w, r->txs_visited);

    cs_json_writer_key(&w, "tip");
    cs_json_writer_begin_object(&w);
    int64_t h = cs_store_height(s);
    cs_json_writer_key(&w, "height");
    cs_json_writer_i64(&w, h);
    cs_json_writer_key(&w, "hash");
    if (h >= 0) {
        char hash[65];
        cs_hex_rev(hash, cs_store_block(s, (uint64_t)h)->hash);
        cs_json_writer_string(&w, hash);
        cs_report_json_time(&w, cs_report_block_time(s, (uint64_t)h));
    } else {
        cs_json_writer_null(&w);
        cs_json_writer_key(&w, "time");
        cs_json_writer_null(&w);
        cs_json_writer_key(&w, "timestamp");
        cs_json_writer_null(&w);
    }
    cs_json_writer_end_object(&w);

    cs_json_writer_key(&w, "seeds");
    cs_json_writer_begin_array(&w);
    for (size_t i = 0; i < r->n_seeds; i++) {
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "outpoint");
        cs_json_writer_string(&w, cs_report_outpoint(s, r->seeds[i].out, buf));
        cs_json_writer_key(&w, "address");
        w_address(&w, s, r->seeds[i].out);
        cs_json_writer_key(&w, "amount");
        cs_json_writer_u64(&w, r->seeds[i].amount);
        w_height_time(&w, s, cs_store_tx(s, cs_store_out_tx(s, r->seeds[i].out))->height);
        cs_json_writer_end_object(&w);
    }
    cs_json_writer_end_array(&w);

    cs_json_writer_key(&w, "per_hop");
    cs_json_writer_begin_array(&w);
    for (size_t i = 0; i < r->n_hops; i++) {
        const struct cs_trace_hop *hp = &r->hops[i];
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "hop");
        cs_json_writer_u64(&w, i);
        cs_json_writer_key(&w, "txs");
        cs_json_writer_u64(&w, hp->txs);
        cs_json_writer_key(&w, "amount_in");
        cs_json_writer_u64(&w, hp->amount_in);
        cs_json_writer_key(&w, "to_sinks");
        cs_json_writer_u64(&w, hp->to_sinks);
        cs_json_writer_key(&w, "to_frontier");
        cs_json_writer_u64(&w, hp->to_frontier);
        cs_json_writer_key(&w, "fees");
        cs_json_writer_u64(&w, hp->fees);
        cs_json_writer_key(&w, "dropped");
        cs_json_writer_u64(&w, hp->dropped);
        cs_json_writer_end_object(&w);
    }
    cs_json_writer_end_array(&w);

    cs_json_writer_key(&w, "attribution");
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "mode");
    cs_json_writer_string(&w, c->attribution_mode ? c->attribution_mode : "none");
    cs_json_writer_key(&w, "tags_used");
    cs_json_writer_u64(&w, c->tags_used);
    cs_json_writer_key(&w, "note");
    cs_json_writer_string(&w, c->attribution_note ? c->attribution_note : "");
    cs_json_writer_end_object(&w);

    cs_json_writer_key(&w, "parameters");
    cs_json_writer_raw(&w, c->parameters_json, strlen(c->parameters_json));
    cs_json_writer_end_object(&w);

    char *text;
    size_t n;
    int rc = cs_json_writer_finish(&w, &text, &n);
    if (rc) return rc;
    char *t2 = cs_xrealloc(text, n + 2);
    t2[n] = '\n';
    t2[n + 1] = 0;
    *out = t2;
    *len = n + 1;
    return 0;
}
