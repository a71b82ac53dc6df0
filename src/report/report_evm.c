/* report_evm.c — EVM amounts and the account-model case report (report_evm.h). */
#include <stdio.h>
#include <string.h>

#include "evm/evm.h"
#include "report/report.h"
#include "report/report_evm.h"
#include "tags/tags.h"
#include "util/codec.h"
#include "util/hash.h"
#include "util/timefmt.h"

void cs_report_evm_asset(const struct cs_evm *s, uint64_t asset, struct cs_asset *out)
{
    static const uint8_t NONE[20];
    const struct cs_evm_chain *ch = cs_evm_chain(s);
    if (!asset) {
        const struct cs_asset *n = cs_asset_native(ch->name);
        if (n) {
            *out = *n;
            return;
        }
        if (cs_asset_token(out, ch->name, NONE, ch->symbol, "wei", 18)) BUG("native asset");
        out->native = 1;
        return;
    }
    const struct cs_evm_tokrec *t = cs_evm_token(s, asset);
    unsigned dec = t && t->has_decimals ? t->decimals : 0;
    const uint8_t *c = cs_evm_acct(s, asset);
    if (!t || !t->symbol[0] || cs_asset_token(out, ch->name, c, t->symbol, "", dec))
        if (cs_asset_token(out, ch->name, c, "token", "", dec)) BUG("token asset");
}

const char *cs_report_evm_amount(const struct cs_evm *s, uint64_t asset, const struct cs_u256 *v,
                                 char out[CS_REPORT_EVM_AMOUNT_MAX])
{
    struct cs_asset a;
    cs_report_evm_asset(s, asset, &a);
    const struct cs_evm_tokrec *t = asset ? cs_evm_token(s, asset) : NULL;
    if (asset && !(t && t->has_decimals)) { /* unknown decimals: raw units and the contract */
        char d[CS_U256_DEC_MAX], c[CS_EVM_ADDR_STR];
        cs_u256_to_dec(d, v);
        cs_evm_addr_format(cs_evm_acct(s, asset), c);
        snprintf(out, CS_REPORT_EVM_AMOUNT_MAX, "%s units of %s", d, c);
        return out;
    }
    cs_amount_format(out, &a, v, CS_AMOUNT_TRIM | CS_AMOUNT_UNIT);
    return out;
}

static void e(FILE *f, const char *s)
{
    cs_report_html_escape(f, s ? s : "");
}

static const char *sym(const struct cs_evm *s, uint64_t asset, char out[64])
{
    struct cs_asset a;
    cs_report_evm_asset(s, asset, &a);
    snprintf(out, 64, "%s", a.symbol);
    return out;
}

static void addr_cell(FILE *f, const struct cs_evm *s, uint64_t a)
{
    char b[CS_EVM_ADDR_STR];
    cs_evm_addr_format(cs_evm_acct(s, a), b);
    fprintf(f, "<code>%s</code>", b);
}

static void tx_cell(FILE *f, const struct cs_evm *s, uint64_t tx)
{
    char h[67] = "0x";
    cs_hex(h + 2, cs_evm_txhash(s, tx), 32);
    const struct cs_evm_blockrec *b = cs_evm_block(s, cs_evm_tx(s, tx)->block);
    char t[CS_TIME_ISO_MAX];
    cs_time_iso(t, (int64_t)b->timestamp);
    fprintf(f, "<code>%s</code><br><span class=\"note\">block %llu, %s</span>", h,
            (unsigned long long)b->number, t);
}

static const char *POLICY[] = {"poison", "haircut", "FIFO", "LIFO"};

static void sum_asset(const struct cs_acct_result *r, uint64_t asset, struct cs_u256 *sinks,
                      struct cs_u256 *front, size_t *nsinks, size_t *nfront)
{
    *sinks = *front = (struct cs_u256){{0}};
    *nsinks = *nfront = 0;
    for (size_t i = 0; i < r->n_sinks; i++)
        if (r->sinks[i].asset == asset) {
            if (cs_u256_add(sinks, sinks, &r->sinks[i].amount)) BUG("overflow");
            (*nsinks)++;
        }
    for (size_t i = 0; i < r->n_frontier; i++)
        if (r->frontier[i].asset == asset) {
            if (cs_u256_add(front, front, &r->frontier[i].amount)) BUG("overflow");
            (*nfront)++;
        }
}

int cs_report_evm_html(FILE *f, const struct cs_report_evm_ctx *c)
{
    const struct cs_evm *s = c->s;
    const struct cs_acct_result *r = c->r;
    char a1[CS_REPORT_EVM_AMOUNT_MAX], a2[CS_REPORT_EVM_AMOUNT_MAX], sy[64];
    uint8_t dg[32];
    char hex[65];
    cs_sha256(c->json, c->json_len, dg);
    cs_hex(hex, dg, 32);
    const struct cs_evm_counts *k = cs_evm_counts(s);
    const struct cs_evm_chain *ch = cs_evm_chain(s);
    const char *title = c->case_title && *c->case_title ? c->case_title : "Trace report";
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          f);
    e(f, title);
    fprintf(f, "</title>\n<style>%s</style></head><body>\n", cs_report_css());
    fputs("<section class=\"title-page\">\n<p class=\"note\">chainsleuth case report</p>\n<h1>", f);
    e(f, title);
    fputs("</h1>\n<p>Where the funds went (forward trace, account model)</p>\n<table>\n", f);
    const char *hk[] = {"Case ID", "Investigator", "Generated (UTC)"};
    const char *hv[] = {c->case_id, c->investigator, c->generated};
    for (int i = 0; i < 3; i++) {
        fprintf(f, "<tr><th>%s</th><td>", hk[i]);
        e(f, hv[i] && *hv[i] ? hv[i] : "not given");
        fputs("</td></tr>\n", f);
    }
    fputs("<tr><th>Tool</th><td>chainsleuth ", f);
    e(f, c->tool_version);
    fputs(", git commit <code>", f);
    e(f, c->git_commit ? c->git_commit : "unknown");
    fputs("</code></td></tr>\n", f);
    if (k->blocks) {
        const struct cs_evm_blockrec *b = cs_evm_block(s, k->blocks - 1);
        char h[65], t[CS_TIME_ISO_MAX];
        cs_hex(h, b->hash, 32);
        cs_time_iso(t, (int64_t)b->timestamp);
        fprintf(f, "<tr><th>Chain</th><td>");
        e(f, ch->title);
        fprintf(f, " (chain id %llu), tip block %llu, %s<br><code>0x%s</code></td></tr>\n",
                (unsigned long long)ch->chain_id, (unsigned long long)b->number, t, h);
    }
    fprintf(f,
            "<tr><th>Method</th><td>%s policy per (holder, asset), fee booked after the "
            "value, swaps carry the taint fraction (docs/METHODS.md &sect;1.6)</td></tr>\n",
            POLICY[r->policy]);
    fprintf(f,
            "<tr><th>Result SHA-256</th><td><code class=\"hash\">%s</code></td></tr>\n"
            "</table>\n",
            hex);
    fputs("<p class=\"note\">Produced by chainsleuth from its own copy of the chain. Times are "
          "UTC (ISO 8601). Amounts are exact counts of each asset's smallest unit, shown in the "
          "asset's units (ETH with 18 decimals; tokens with their own). Anyone can re-check the "
          "result: run the command under &ldquo;Rerun&rdquo; on a store of the same chain and "
          "compare the SHA-256 of its output with the one above.</p>\n</section>\n",
          f);

    /* summary */
    fputs("<h2>Summary</h2>\n<p class=\"summary\">The seed is ", f);
    int first = 1;
    for (size_t i = 0; i < r->n_assets; i++) {
        if (cs_u256_is_zero(&r->seed[i].amount)) continue;
        fprintf(f, "%s%s", first ? "" : ", ",
                cs_report_evm_amount(s, r->seed[i].asset, &r->seed[i].amount, a1));
        first = 0;
    }
    fprintf(f,
            " in %llu transfer%s. Followed forward under the %s policy through %llu "
            "transactions and %llu holders",
            (unsigned long long)r->seed_transfers, r->seed_transfers == 1 ? "" : "s",
            POLICY[r->policy], (unsigned long long)r->txs_visited, (unsigned long long)r->holders);
    if (r->n_swaps) fprintf(f, "; %zu swaps or wraps converted tainted assets", r->n_swaps);
    fputs(". ", f);
    for (size_t i = 0; i < r->n_assets; i++) {
        struct cs_u256 sk, fr;
        size_t ns, nf;
        uint64_t as = r->seed[i].asset;
        sum_asset(r, as, &sk, &fr, &ns, &nf);
        if (cs_u256_is_zero(&sk) && cs_u256_is_zero(&fr)) continue;
        fprintf(f, "In %s: %s reached %zu known entit%s and %s is still held by %zu address%s. ",
                sym(s, as, sy), cs_report_evm_amount(s, as, &sk, a1), ns, ns == 1 ? "y" : "ies",
                cs_report_evm_amount(s, as, &fr, a2), nf, nf == 1 ? "" : "es");
    }
    if (!r->conservative)
        fputs("Poison marks everything a tainted holder sends: its amounts can exceed the seed "
              "and are an upper bound of exposure, not a split of the stolen value.",
              f);
    fputs("</p>\n", f);
    if (r->poisoning_ignored)
        fprintf(f,
                "<p><strong>Warning:</strong> %llu address-poisoning transfers (zero value, a "
                "look-alike address, or a token imitating another) touched the followed "
                "holders. They were booked for balances and never followed.</p>\n",
                (unsigned long long)r->poisoning_ignored);
    if (r->txs_without_internal || r->txs_without_tokens)
        fprintf(f,
                "<p><strong>Warning:</strong> %llu of the transactions followed lie in blocks "
                "whose internal transfers the store does not hold, and %llu in blocks without "
                "token transfers (blocks %llu to %llu: an Era1 archive range or a node without "
                "a tracer). Value that contracts moved there is not seen by this trace.</p>\n",
                (unsigned long long)r->txs_without_internal,
                (unsigned long long)r->txs_without_tokens, (unsigned long long)r->unavailable_first,
                (unsigned long long)r->unavailable_last);
    fprintf(f, "<p class=\"note\">Attribution: ");
    e(f, c->attribution_note);
    fputs(".</p>\n", f);

    /* flow per asset: one column per asset, one row per measure */
    fputs("<h2>Flow per asset</h2>\n<table><tr><th></th>", f);
    for (size_t i = 0; i < r->n_assets; i++) {
        fprintf(f, "<th>%s", sym(s, r->seed[i].asset, sy));
        if (r->seed[i].asset) {
            char b[CS_EVM_ADDR_STR];
            cs_evm_addr_format(cs_evm_acct(s, r->seed[i].asset), b);
            fprintf(f, "<br><span class=\"note mono\">%.10s&hellip;%s</span>", b, b + 36);
        }
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    static const char *const rows[] = {"seed", "swapped in", "to sinks", "still held",
                                       "fees", "burned",     "dropped",  "swapped out"};
    for (int j = 0; j < 8; j++) {
        fprintf(f, "<tr><th>%s</th>", rows[j]);
        for (size_t i = 0; i < r->n_assets; i++) {
            struct cs_u256 sk, fr;
            size_t ns, nf;
            uint64_t as = r->seed[i].asset;
            sum_asset(r, as, &sk, &fr, &ns, &nf);
            const struct cs_u256 *v[] = {&r->seed[i].amount,
                                         &r->swapped_in[i].amount,
                                         &sk,
                                         &fr,
                                         &r->fees[i].amount,
                                         &r->burned[i].amount,
                                         &r->dropped[i].amount,
                                         &r->swapped_out[i].amount};
            fprintf(f, "<td class=\"n\">%s</td>",
                    cs_u256_is_zero(v[j]) ? "-" : cs_report_evm_amount(s, as, v[j], a1));
        }
        fputs("</tr>\n", f);
    }
    fprintf(f, "</table>\n<p class=\"note\">%s</p>\n",
            r->conservative ? "Each column adds up exactly: seed + swapped in = to sinks + still "
                              "held + fees + burned + dropped + swapped out (checked before "
                              "writing)."
                            : "Poison is not conservative: columns need not add up.");

    /* sinks */
    fprintf(f, "<h2>Known entities reached (%zu)</h2>\n", r->n_sinks);
    if (r->n_sinks) {
        fputs("<table><tr><th>#</th><th>entity</th><th>category</th><th>amount</th>"
              "<th>hops</th><th>transfers</th><th>first arrival</th></tr>\n",
              f);
        for (size_t i = 0; i < r->n_sinks; i++) {
            const struct cs_acct_sink *sk = &r->sinks[i];
            const char *cat = cs_tag_category_name(sk->category);
            fprintf(f, "<tr class=\"cat-%s\"><td>E%zu</td><td>", cat, i + 1);
            e(f, c->entity_label ? c->entity_label(c->entity_ctx, sk->entity) : "?");
            fputs("<br>", f);
            addr_cell(f, s, sk->first_acct);
            fprintf(f,
                    "</td><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%u</td>"
                    "<td class=\"n\">%llu</td><td>",
                    cat, cs_report_evm_amount(s, sk->asset, &sk->amount, a1), sk->hops,
                    (unsigned long long)sk->transfers);
            tx_cell(f, s, sk->first_tx);
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }

    /* swaps */
    fprintf(f, "<h2>Swaps and wraps (%zu)</h2>\n", r->n_swaps);
    if (r->n_swaps) {
        fputs("<table><tr><th>#</th><th>transaction and holder</th><th>sent (tainted part)</th>"
              "<th>received (tainted part)</th></tr>\n",
              f);
        for (size_t i = 0; i < r->n_swaps; i++) {
            const struct cs_acct_swap *sw = &r->swaps[i];
            fprintf(f, "<tr><td>S%zu</td><td>", i + 1);
            tx_cell(f, s, sw->tx);
            fputs("<br>by ", f);
            addr_cell(f, s, sw->holder);
            for (int side = 0; side < 2; side++) {
                size_t from = sw->first_leg + (side ? sw->n_sent : 0);
                size_t n = side ? sw->n_received : sw->n_sent;
                fputs("</td><td class=\"n\">", f);
                for (size_t j = from; j < from + n; j++)
                    fprintf(f, "%s%s<br><span class=\"note\">(%s)</span>", j > from ? "<br>" : "",
                            cs_report_evm_amount(s, r->legs[j].asset, &r->legs[j].amount, a1),
                            cs_report_evm_amount(s, r->legs[j].asset, &r->legs[j].tainted, a2));
            }
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }

    /* frontier */
    size_t show = r->n_frontier < 200 ? r->n_frontier : 200;
    fprintf(f, "<h2>Still held (%zu holder and asset pairs%s)</h2>\n", r->n_frontier,
            show < r->n_frontier ? ", the 200 largest per asset order shown" : "");
    if (show) {
        fputs("<table><tr><th>address</th><th>amount</th><th>hop</th><th>why it stops</th>"
              "</tr>\n",
              f);
        for (size_t i = 0; i < show; i++) {
            const struct cs_acct_front *fr = &r->frontier[i];
            fputs("<tr><td>", f);
            addr_cell(f, s, fr->holder);
            fprintf(f, "</td><td class=\"n\">%s</td><td class=\"n\">%u</td><td>%s</td></tr>\n",
                    cs_report_evm_amount(s, fr->asset, &fr->amount, a1), fr->hops,
                    fr->reason == CS_ACCT_MAX_HOPS ? "max hops reached" : "held at the tip");
        }
        fputs("</table>\n", f);
    }

    fputs("<h2>Parameters</h2>\n<pre>", f);
    e(f, c->params);
    fputs("</pre>\n<h2>Rerun</h2>\n<pre class=\"cmd\">", f);
    e(f, c->command_line);
    fputs("</pre>\n<footer class=\"note\">chainsleuth; methods in docs/METHODS.md (installed "
          "in share/doc/chainsleuth).</footer>\n</body></html>\n",
          f);
    return ferror(f) ? cs_error(CS_EIO, "writing the report failed") : 0;
}
