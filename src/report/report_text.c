/* report_text.c — the human summary table and the CSV export of a trace.
 * Both show exactly the numbers of the JSON result. */
#include <stdio.h>
#include <string.h>

#include "report/report.h"
#include "tags/tags.h"
#include "util/codec.h"

static const char *category_name(int cat)
{
    const char *n = cs_tag_category_name(cat);
    return n ? n : "unknown";
}

int cs_report_text(FILE *f, const struct cs_report_ctx *c, size_t rows)
{
    const struct cs_trace_result *r = c->r;
    const struct cs_store *s = c->s;
    char b1[CS_AMOUNT_STR_MAX], b2[16], op[80], addr[96], head[64];
    const char *sym = cs_report_unit(c);
    snprintf(head, sizeof head, "amount (%s)", sym);
    int64_t h = cs_store_height(s);
    char tip[65] = "-";
    if (h >= 0) cs_hex_rev(tip, cs_store_block(s, (uint64_t)h)->hash);
    fprintf(f, "trace      %s, %s, %s%s\n", cs_policy_name(r->policy),
            r->backward ? "backward" : "forward", cs_feeconv_name(r->feeconv),
            r->conservative ? "" : " (poison: not conservative, amounts may exceed the seed; max share = min(amount, seed) / seed)");
    char when[CS_TIME_ISO_MAX] = "-";
    if (h >= 0) cs_report_height_time(s, (uint64_t)h, when);
    fprintf(f, "chain tip  %lld %s %s\n", (long long)h, tip, when);
    fprintf(f, "seed       %zu output%s, %s\n", r->n_seeds, r->n_seeds == 1 ? "" : "s",
            cs_report_amount(c, r->seed_amount, 1, b1));
    fprintf(f, "attributed %s (%zu tags)%s%s\n", c->attribution_mode ? c->attribution_mode : "none",
            c->tags_used, c->attribution_note && *c->attribution_note ? ": " : "",
            c->attribution_note ? c->attribution_note : "");
    fprintf(f, "visited    %llu transactions\n\n", (unsigned long long)r->txs_visited);

    fprintf(f, "%-36s %-11s %20s %9s %5s %6s  %-20s  %s\n", r->backward ? "came from" : "reached",
            "category", head, cs_report_share_title(c), "hops", "txs",
            r->backward ? "latest (UTC)" : "first (UTC)", "tag (confidence, source)");
    for (size_t i = 0; i < r->n_sinks; i++) {
        const struct cs_trace_sink *k = &r->sinks[i];
        char t1[CS_TIME_ISO_MAX] = "-";
        if (k->first_tx != CS_NONE64)
            cs_report_height_time(s, cs_store_tx(s, k->first_tx)->height, t1);
        const struct cs_attrib_entity *tag = cs_report_sink_tag(c, k);
        char tg[200] = "-";
        if (tag)
            snprintf(tg, sizeof tg, "%d, %s", tag->confidence,
                     tag->source && *tag->source ? tag->source : "-");
        else if (k->entity == CS_TRACE_COINJOIN)
            snprintf(tg, sizeof tg, "detected CoinJoin");
        fprintf(f, "%-36.36s %-11s %20s %9s %5u %6zu  %-20s  %s\n", k->label,
                category_name(k->category), cs_report_amount(c, k->amount, 0, b1),
                cs_report_share(c, k->amount, b2), k->hops, k->n_txs, t1, tg);
    }
    if (!r->n_sinks) fprintf(f, "(no known entity reached)\n");
    uint64_t ft = cs_trace_frontier_total(r);
    fprintf(f, "%-36s %-11s %20s %9s\n", "frontier (see below)", "", cs_report_amount(c, ft, 0, b1),
            cs_report_share(c, ft, b2));
    fprintf(f, "%-36s %-11s %20s %9s\n", "fees (not followed)", "",
            cs_report_amount(c, r->fees, 0, b1), cs_report_share(c, r->fees, b2));
    fprintf(f, "%-36s %-11s %20s %9s\n", "dropped (below --min-amount)", "",
            cs_report_amount(c, r->dropped, 0, b1), cs_report_share(c, r->dropped, b2));

    if (r->n_frontier) {
        fprintf(f, "\nfrontier: %zu output%s", r->n_frontier, r->n_frontier == 1 ? "" : "s");
        if (r->n_frontier > rows) fprintf(f, " (largest %zu shown; --json lists all)", rows);
        /* an outpoint is 64 hex digits, ':' and up to 10 digits of vout; an
         * address up to 62 characters (P2WSH/P2TR bech32) or 74 for the
         * pseudo-addresses: the columns fit the longest value shown */
        int wop = 8, wad = 7;
        for (size_t i = 0; i < r->n_frontier && i < rows; i++) {
            const struct cs_trace_front *fr = &r->frontier[i];
            cs_addr_format(cs_store_addr(s, cs_store_out(s, fr->out)->addr), cs_store_net(s), addr);
            int l1 = (int)strlen(cs_report_outpoint(s, fr->out, op)), l2 = (int)strlen(addr);
            if (l1 > wop) wop = l1;
            if (l2 > wad) wad = l2;
        }
        fprintf(f, "\n%-*s %-*s %16s %-12s %4s %7s  %s\n", wop, "outpoint", wad, "address", head,
                "reason", "hops", "height", "created (UTC)");
        for (size_t i = 0; i < r->n_frontier && i < rows; i++) {
            const struct cs_trace_front *fr = &r->frontier[i];
            cs_addr_format(cs_store_addr(s, cs_store_out(s, fr->out)->addr), cs_store_net(s), addr);
            uint32_t ht = cs_store_tx(s, cs_store_out_tx(s, fr->out))->height;
            char t1[CS_TIME_ISO_MAX];
            fprintf(f, "%-*s %-*s %16s %-12s %4u %7u  %s", wop, cs_report_outpoint(s, fr->out, op),
                    wad, addr, cs_report_amount(c, fr->amount, 0, b1),
                    cs_trace_reason_name(fr->reason), fr->hops, ht,
                    cs_report_height_time(s, ht, t1));
            int64_t cid = -1;
            const char *nm = c->cluster_name
                                 ? c->cluster_name(c->names_ctx, cs_store_out(s, fr->out)->addr, &cid)
                                 : NULL;
            if (nm && *nm) fprintf(f, "  [cluster %lld \"%s\"]", (long long)cid, nm);
            fputc('\n', f);
        }
    }
    if (fflush(f) || ferror(f)) return cs_error(CS_EIO, "report: write failed");
    return 0;
}

static void csv_field(FILE *f, const char *v)
{
    if (!strpbrk(v, ",\"\r\n")) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (; *v; v++) {
        if (*v == '"') fputc('"', f);
        fputc(*v, f);
    }
    fputc('"', f);
}

int cs_report_csv(FILE *f, const struct cs_report_ctx *c)
{
    const struct cs_trace_result *r = c->r;
    const struct cs_store *s = c->s;
    char op[80], addr[96], id[65];
    char t1[CS_TIME_ISO_MAX];
    fprintf(f, "kind,entity,category,address,outpoint,amount_%s,hops,reason,first_tx,height,time,"
               "timestamp\n",
            *cs_report_asset(c)->base_unit ? cs_report_asset(c)->base_unit : "base");
    for (size_t i = 0; i < r->n_sinks; i++) {
        const struct cs_trace_sink *k = &r->sinks[i];
        fputs("sink,", f);
        csv_field(f, k->label);
        fprintf(f, ",%s,,,%llu,%u,,", category_name(k->category), (unsigned long long)k->amount,
                k->hops);
        if (k->first_tx != CS_NONE64) {
            cs_hex_rev(id, cs_store_txid(s, k->first_tx));
            uint32_t ht = cs_store_tx(s, k->first_tx)->height;
            fprintf(f, "%s,%u,%s,%u", id, ht, cs_report_height_time(s, ht, t1),
                    cs_report_block_time(s, ht));
        } else {
            fputs(",,", f);
        }
        fputc('\n', f);
    }
    for (size_t i = 0; i < r->n_frontier; i++) {
        const struct cs_trace_front *fr = &r->frontier[i];
        cs_addr_format(cs_store_addr(s, cs_store_out(s, fr->out)->addr), cs_store_net(s), addr);
        fputs("frontier,,,", f);
        csv_field(f, addr);
        uint32_t ht = cs_store_tx(s, cs_store_out_tx(s, fr->out))->height;
        fprintf(f, ",%s,%llu,%u,%s,,%u,%s,%u\n", cs_report_outpoint(s, fr->out, op),
                (unsigned long long)fr->amount, fr->hops, cs_trace_reason_name(fr->reason), ht,
                cs_report_height_time(s, ht, t1), cs_report_block_time(s, ht));
    }
    if (fflush(f) || ferror(f)) return cs_error(CS_EIO, "report: write failed");
    return 0;
}
