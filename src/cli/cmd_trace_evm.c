/* cmd_trace_evm.c — `chainsleuth trace --chain <evm chain>`: seeds, attribution
 * and output around the account-model walker (trace/account.h).  The JSON
 * contract is the Bitcoin one extended per asset (amounts are decimal strings
 * of base units); see docs/METHODS.md §1.6 and cmd_trace.c's --help. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "evm/evm.h"
#include "evm/links.h"
#include "evm/store.h"
#include "tags/tags.h"
#include "trace/account.h"
#include "trace/attrib.h"
#include "report/report_evm.h"
#include "util/amount.h"
#include "util/hash.h"
#include "util/codec.h"
#include "util/json.h"
#include "util/timefmt.h"

#ifdef CS_HAVE_EVMCLU
#include "cluster/evm_cluster.h"
#endif

struct rows {
    uint64_t *v;
    size_t n, cap;
};

static void rows_add(struct rows *r, uint64_t x)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->v = cs_xrealloc(r->v, r->cap * sizeof *r->v);
    }
    r->v[r->n++] = x;
}

static int seedable(const struct cs_evm_xferrec *x)
{
    return x->to && cs_acct_kind_fungible(x->kind) && x->kind != CS_XK_FEE_TIP &&
           x->kind != CS_XK_FEE_BURN;
}

/* every seedable transfer account a received in blocks [from, to] */
static void seeds_of_acct(const struct cs_evm *s, uint64_t a, uint64_t from, uint64_t to,
                          struct rows *out)
{
    for (uint64_t x = cs_evm_in_head(s, a); x != CS_EVM_NONE; x = cs_evm_in_next(s, x)) {
        const struct cs_evm_xferrec *xr = cs_evm_xfer(s, x);
        if (!seedable(xr) || cs_acct_is_poisoning(s, xr)) continue;
        uint64_t n = cs_evm_block(s, cs_evm_xfer_block(s, x))->number;
        if (n < from || n > to) continue;
        rows_add(out, x);
    }
}

/* ---- attribution: tags of the chain, by account row or by cluster ---- */

struct evm_attr {
    struct cs_attrib *a;
#ifdef CS_HAVE_EVMCLU
    struct cs_evmclu *clu;
#endif
    int cluster_mode;
};

static uint64_t attr_key(const struct evm_attr *e, uint64_t acct)
{
#ifdef CS_HAVE_EVMCLU
    if (e->clu) return cs_evmclu_cid(e->clu, acct);
#endif
    return acct;
}

static int32_t attr_lookup(void *ctx, uint64_t acct, int *category)
{
    const struct evm_attr *e = ctx;
    uint64_t k = attr_key(e, acct);
    if (k >= UINT32_MAX) return -1;
    int32_t ent = cs_attrib_lookup(e->a, k);
    if (ent < 0) return -1;
    *category = cs_attrib_entity(e->a, (uint32_t)ent)->category;
    return ent;
}

static int attr_open(struct evm_attr *e, const struct cs_evm *s, const char *db, int want_cluster,
                     uint32_t prefer, char *note, size_t cap)
{
    memset(e, 0, sizeof *e);
    e->a = cs_attrib_new(prefer);
    const char *clu_note = "address-level attribution: each address's own tags";
#ifdef CS_HAVE_EVMCLU
    if (want_cluster) {
        int rc = cs_evmclu_open(&e->clu, db, s);
        if (rc == 0) {
            e->cluster_mode = 1;
            clu_note = "cluster-level attribution: a tag on any member of a cluster "
                       "(chainsleuth cluster --chain) attributes the whole cluster";
        } else {
            e->clu = NULL;
            clu_note = rc == CS_ENOTFOUND
                           ? "no clustering found (chainsleuth cluster --chain): attribution "
                             "uses each address's own tags only"
                           : "the clustering does not match the store (run chainsleuth cluster "
                             "--chain): attribution uses each address's own tags only";
        }
        cs_error_clear();
    }
#else
    (void)want_cluster;
    clu_note = "no EVM clustering in this build: attribution uses each address's own tags";
#endif
    struct cs_tagdb *tdb = NULL;
    int rc = cs_tagdb_open(db, 0, &tdb);
    if (rc == CS_ENOTFOUND) {
        cs_error_clear();
        snprintf(note, cap,
                 "no tag store in %s (chainsleuth tags import): nothing stops at an "
                 "entity",
                 db);
        cs_attrib_finish(e->a);
        return 0;
    }
    if (rc) return rc;
    const char *chain = cs_evm_chain(s)->name;
    size_t n = cs_tagdb_count(tdb), used = 0;
    for (size_t i = 0; i < n; i++) {
        struct cs_tag t;
        uint8_t ad[20];
        uint64_t acct;
        cs_tagdb_get(tdb, i, &t);
        if (strcmp(t.chain, chain) || cs_evm_addr_parse(t.address, ad) ||
            cs_evm_find_acct(s, ad, &acct))
            continue;
        uint64_t k = attr_key(e, acct);
        if (k >= UINT32_MAX) continue;
        if (cs_attrib_add(e->a, k, t.label, t.category, t.confidence, t.source)) continue;
        used++;
    }
    cs_error_clear();
    cs_tagdb_close(tdb);
    cs_attrib_finish(e->a);
    snprintf(note, cap, "%s; %zu tags of chain %s used", clu_note, used, chain);
    return 0;
}

static void attr_close(struct evm_attr *e)
{
    cs_attrib_free(e->a);
#ifdef CS_HAVE_EVMCLU
    cs_evmclu_close(e->clu);
#endif
}

/* ---- output ---- */

static void jtx(struct cs_json_writer *w, const char *key, const struct cs_evm *s, uint64_t tx)
{
    cs_json_writer_key(w, key);
    if (tx == CS_EVM_NONE) {
        cs_json_writer_null(w);
        return;
    }
    char h[67] = "0x";
    cs_hex(h + 2, cs_evm_txhash(s, tx), 32);
    cs_json_writer_string(w, h);
}

static void jamount(struct cs_json_writer *w, const char *key, const struct cs_u256 *v)
{
    char d[CS_U256_DEC_MAX];
    cs_u256_to_dec(d, v);
    cs_json_writer_key(w, key);
    cs_json_writer_string(w, d);
}

/* a per-asset list, zero rows left out */
static void jlist(struct cs_json_writer *w, const char *key, const struct cs_evm *s,
                  const struct cs_acct_amount *v, size_t n)
{
    cs_json_writer_key(w, key);
    cs_json_writer_begin_array(w);
    for (size_t i = 0; i < n; i++) {
        if (cs_u256_is_zero(&v[i].amount)) continue;
        cs_json_writer_begin_object(w);
        cli_evm_json_asset(w, s, v[i].asset);
        jamount(w, "amount", &v[i].amount);
        cs_json_writer_end_object(w);
    }
    cs_json_writer_end_array(w);
}

static const char *policy_word(enum cs_lots_policy p)
{
    static const char *const n[] = {"poison", "haircut", "fifo", "lifo"};
    return n[p];
}

static void json_result(struct cs_json_writer *w, const struct cs_evm *s,
                        const struct cs_acct_result *r, const struct evm_attr *at, const char *note,
                        const struct cli_evm_trace_args *a)
{
    cs_json_writer_begin_object(w);
    cs_json_writer_key(w, "chain");
    cs_json_writer_string(w, cs_evm_chain(s)->name);
    cs_json_writer_key(w, "policy");
    cs_json_writer_string(w, policy_word(r->policy));
    cs_json_writer_key(w, "direction");
    cs_json_writer_string(w, "forward");
    cs_json_writer_key(w, "conservative");
    cs_json_writer_bool(w, r->conservative);
    cs_json_writer_key(w, "attribution");
    cs_json_writer_string(w, at->cluster_mode ? "cluster" : "address");
    cs_json_writer_key(w, "attribution_note");
    cs_json_writer_string(w, note);
    jlist(w, "seed", s, r->seed, r->n_assets);
    cs_json_writer_key(w, "seed_transfers");
    cs_json_writer_u64(w, r->seed_transfers);
    cs_json_writer_key(w, "sinks");
    cs_json_writer_begin_array(w);
    for (size_t i = 0; i < r->n_sinks; i++) {
        const struct cs_acct_sink *k = &r->sinks[i];
        const struct cs_attrib_entity *e = cs_attrib_entity(at->a, (uint32_t)k->entity);
        cs_json_writer_begin_object(w);
        cs_json_writer_key(w, "entity");
        cs_json_writer_string(w, e->label);
        cs_json_writer_key(w, "category");
        cs_json_writer_string(w, cs_tag_category_name(k->category));
        cli_evm_json_asset(w, s, k->asset);
        jamount(w, "amount", &k->amount);
        cs_json_writer_key(w, "hops");
        cs_json_writer_u64(w, k->hops);
        cs_json_writer_key(w, "transfers");
        cs_json_writer_u64(w, k->transfers);
        jtx(w, "first_tx", s, k->first_tx);
        cli_evm_json_addr(w, "first_address", s, k->first_acct);
        if (k->via_link) {
            cs_json_writer_key(w, "via_mixer_link");
            cs_json_writer_bool(w, 1);
        }
        cs_json_writer_end_object(w);
    }
    cs_json_writer_end_array(w);
    cs_json_writer_key(w, "frontier");
    cs_json_writer_begin_array(w);
    for (size_t i = 0; i < r->n_frontier; i++) {
        const struct cs_acct_front *f = &r->frontier[i];
        cs_json_writer_begin_object(w);
        cli_evm_json_addr(w, "address", s, f->holder);
        cli_evm_json_asset(w, s, f->asset);
        jamount(w, "amount", &f->amount);
        cs_json_writer_key(w, "hops");
        cs_json_writer_u64(w, f->hops);
        cs_json_writer_key(w, "reason");
        cs_json_writer_string(w, cs_acct_reason_name(f->reason));
        if (f->via_link) {
            cs_json_writer_key(w, "via_mixer_link");
            cs_json_writer_bool(w, 1);
        }
        cs_json_writer_end_object(w);
    }
    cs_json_writer_end_array(w);
    cs_json_writer_key(w, "swaps");
    cs_json_writer_begin_array(w);
    for (size_t i = 0; i < r->n_swaps; i++) {
        const struct cs_acct_swap *sw = &r->swaps[i];
        cs_json_writer_begin_object(w);
        jtx(w, "tx", s, sw->tx);
        cli_evm_json_addr(w, "holder", s, sw->holder);
        for (int side = 0; side < 2; side++) {
            size_t from = sw->first_leg + (side ? sw->n_sent : 0);
            size_t n = side ? sw->n_received : sw->n_sent;
            cs_json_writer_key(w, side ? "received" : "sent");
            cs_json_writer_begin_array(w);
            for (size_t k = from; k < from + n; k++) {
                cs_json_writer_begin_object(w);
                cli_evm_json_asset(w, s, r->legs[k].asset);
                jamount(w, "amount", &r->legs[k].amount);
                jamount(w, "tainted", &r->legs[k].tainted);
                cs_json_writer_end_object(w);
            }
            cs_json_writer_end_array(w);
        }
        cs_json_writer_end_object(w);
    }
    cs_json_writer_end_array(w);
    jlist(w, "swapped_in", s, r->swapped_in, r->n_assets);
    jlist(w, "swapped_out", s, r->swapped_out, r->n_assets);
    jlist(w, "fees", s, r->fees, r->n_assets);
    jlist(w, "burned", s, r->burned, r->n_assets);
    jlist(w, "dropped", s, r->dropped, r->n_assets);
    if (a->mixer_links) {
        jlist(w, "relinked", s, r->relinked, r->n_assets);
        cs_json_writer_key(w, "mixer_links");
        cs_json_writer_begin_array(w);
        for (size_t i = 0; i < r->n_linkhops; i++) {
            const struct cs_acct_linkhop *l = &r->linkhops[i];
            cs_json_writer_begin_object(w);
            jtx(w, "deposit_tx", s, l->dep_tx);
            jtx(w, "withdrawal_tx", s, l->wd_tx);
            cli_evm_json_addr(w, "recipient", s, l->recipient);
            cs_json_writer_key(w, "heuristic");
            cs_json_writer_string(w, cs_links_heuristic_name(l->heuristic));
            cli_evm_json_asset(w, s, l->asset);
            jamount(w, "deposited", &l->deposited);
            jamount(w, "relinked", &l->relinked);
            cs_json_writer_end_object(w);
        }
        cs_json_writer_end_array(w);
    }
    cs_json_writer_key(w, "unavailable");
    cs_json_writer_begin_object(w);
    cs_json_writer_key(w, "txs_without_internal_transfers");
    cs_json_writer_u64(w, r->txs_without_internal);
    cs_json_writer_key(w, "txs_without_token_transfers");
    cs_json_writer_u64(w, r->txs_without_tokens);
    if (r->txs_without_internal || r->txs_without_tokens) {
        cs_json_writer_key(w, "first_block");
        cs_json_writer_u64(w, r->unavailable_first);
        cs_json_writer_key(w, "last_block");
        cs_json_writer_u64(w, r->unavailable_last);
    }
    cs_json_writer_end_object(w);
    cs_json_writer_key(w, "poisoning_ignored");
    cs_json_writer_u64(w, r->poisoning_ignored);
    cs_json_writer_key(w, "txs_visited");
    cs_json_writer_u64(w, r->txs_visited);
    cs_json_writer_key(w, "transfers_visited");
    cs_json_writer_u64(w, r->transfers_visited);
    cs_json_writer_key(w, "holders_followed");
    cs_json_writer_u64(w, r->holders);
    jamount(w, "assumed_clean", &r->assumed);
    cs_json_writer_key(w, "params");
    cs_json_writer_begin_object(w);
    cs_json_writer_key(w, "max_hops");
    if (a->max_hops == UINT64_MAX || a->max_hops >= CS_ACCT_UNLIMITED)
        cs_json_writer_null(w);
    else
        cs_json_writer_u64(w, a->max_hops);
    cs_json_writer_key(w, "until_block");
    cs_json_writer_u64(w, r->last_block);
    cs_json_writer_key(w, "min_amount");
    cs_json_writer_string(w, a->min_amount ? a->min_amount : "0");
    cs_json_writer_end_object(w);
    const struct cs_evm_counts *c = cs_evm_counts(s);
    cs_json_writer_key(w, "tip");
    cs_json_writer_begin_object(w);
    if (c->blocks) {
        const struct cs_evm_blockrec *b = cs_evm_block(s, c->blocks - 1);
        char h[67] = "0x", t[CS_TIME_ISO_MAX];
        cs_hex(h + 2, b->hash, 32);
        cs_json_writer_key(w, "block");
        cs_json_writer_u64(w, b->number);
        cs_json_writer_key(w, "hash");
        cs_json_writer_string(w, h);
        cs_time_iso(t, (int64_t)b->timestamp);
        cs_json_writer_key(w, "time");
        cs_json_writer_string(w, t);
    }
    cs_json_writer_end_object(w);
    cs_json_writer_end_object(w);
}

static void text_result(const struct cs_evm *s, const struct cs_acct_result *r,
                        const struct evm_attr *at, const char *note)
{
    char amt[CS_AMOUNT_STR_MAX + 48], a1[CS_EVM_ADDR_STR];
    printf("trace %s, policy %s, forward: %llu txs and %llu transfers booked, %llu holders "
           "followed\n",
           cs_evm_chain(s)->name, policy_word(r->policy), (unsigned long long)r->txs_visited,
           (unsigned long long)r->transfers_visited, (unsigned long long)r->holders);
    printf("attribution: %s\n", note);
    for (size_t i = 0; i < r->n_assets; i++) {
        if (cs_u256_is_zero(&r->seed[i].amount) && cs_u256_is_zero(&r->swapped_in[i].amount))
            continue;
        printf("seed %s", cli_evm_text_amount(s, r->seed[i].asset, &r->seed[i].amount, amt));
        if (!cs_u256_is_zero(&r->swapped_in[i].amount))
            printf(" (+ %s swapped in)",
                   cli_evm_text_amount(s, r->seed[i].asset, &r->swapped_in[i].amount, amt));
        printf("\n");
    }
    printf("\nsinks (%zu)\n", r->n_sinks);
    if (r->n_sinks)
        printf("  %-36s %-10s %30s %5s %6s\n", "entity", "category", "amount", "hops", "xfers");
    for (size_t i = 0; i < r->n_sinks; i++) {
        const struct cs_acct_sink *k = &r->sinks[i];
        const struct cs_attrib_entity *e = cs_attrib_entity(at->a, (uint32_t)k->entity);
        printf("  %-36.36s %-10s %30s %5u %6llu%s\n", e->label, cs_tag_category_name(k->category),
               cli_evm_text_amount(s, k->asset, &k->amount, amt), k->hops,
               (unsigned long long)k->transfers, k->via_link ? "  via mixer link" : "");
    }
    printf("\nfrontier (%zu holders x assets with taint left)\n", r->n_frontier);
    size_t shown = r->n_frontier < 20 ? r->n_frontier : 20;
    for (size_t i = 0; i < shown; i++) {
        const struct cs_acct_front *f = &r->frontier[i];
        cs_evm_addr_format(cs_evm_acct(s, f->holder), a1);
        printf("  %s %30s hop %u %s\n", a1, cli_evm_text_amount(s, f->asset, &f->amount, amt),
               f->hops, cs_acct_reason_name(f->reason));
    }
    if (shown < r->n_frontier) printf("  ... %zu more (--json lists all)\n", r->n_frontier - shown);
    printf("\nswaps and wraps: %zu\n", r->n_swaps);
    for (size_t i = 0; i < r->n_assets; i++) {
        const struct cs_acct_amount *v[] = {&r->fees[i], &r->burned[i], &r->dropped[i],
                                            &r->swapped_out[i]};
        const char *w[] = {"fees", "burned", "dropped", "swapped out"};
        for (int k = 0; k < 4; k++)
            if (!cs_u256_is_zero(&v[k]->amount))
                printf("%s: %s\n", w[k], cli_evm_text_amount(s, v[k]->asset, &v[k]->amount, amt));
    }
    if (r->n_linkhops) {
        size_t used = 0;
        for (size_t i = 0; i < r->n_linkhops; i++)
            used += (size_t)r->linkhops[i].used;
        printf("through mixer links: %zu linked deposits carried taint into a pool, %zu of "
               "their withdrawals were followed (rows marked via link in --json)\n",
               r->n_linkhops, used);
    }
    if (r->poisoning_ignored)
        printf("warning: %llu address-poisoning transfers (zero value, look-alike address or "
               "imitation token) touched followed holders; they are never followed\n",
               (unsigned long long)r->poisoning_ignored);
    if (r->txs_without_internal || r->txs_without_tokens)
        printf("warning: %llu booked txs lie in blocks without internal transfers and %llu in "
               "blocks without token transfers (blocks %llu..%llu: an Era1 range or a node "
               "without a tracer); value contracts moved there is not seen\n",
               (unsigned long long)r->txs_without_internal,
               (unsigned long long)r->txs_without_tokens, (unsigned long long)r->unavailable_first,
               (unsigned long long)r->unavailable_last);
    if (r->conservative)
        printf("conservation: seed + swapped in = sinks + frontier + fees + burned + dropped + "
               "swapped out, per asset (checked)\n");
    else
        printf("poison is not conservative: amounts may exceed the seed\n");
}

static void csv_result(const struct cs_evm *s, const struct cs_acct_result *r,
                       const struct evm_attr *at)
{
    char a1[CS_EVM_ADDR_STR], d[CS_U256_DEC_MAX], nm[64];
    printf("kind,name,category,asset,symbol,amount_base_units,hops\n");
    for (size_t i = 0; i < r->n_sinks; i++) {
        const struct cs_acct_sink *k = &r->sinks[i];
        const struct cs_attrib_entity *e = cs_attrib_entity(at->a, (uint32_t)k->entity);
        cs_u256_to_dec(d, &k->amount);
        char asset[CS_EVM_ADDR_STR] = "native";
        if (k->asset) cs_evm_addr_lower(cs_evm_acct(s, k->asset), asset);
        int q = strpbrk(e->label, ",\"\n") != NULL;
        printf("sink,%s%s%s,%s,%s,%s,%s,%u\n", q ? "\"" : "", e->label, q ? "\"" : "",
               cs_tag_category_name(k->category), asset, cli_evm_asset_name(s, k->asset, nm), d,
               k->hops);
    }
    for (size_t i = 0; i < r->n_frontier; i++) {
        const struct cs_acct_front *f = &r->frontier[i];
        cs_u256_to_dec(d, &f->amount);
        cs_evm_addr_lower(cs_evm_acct(s, f->holder), a1);
        char asset[CS_EVM_ADDR_STR] = "native";
        if (f->asset) cs_evm_addr_lower(cs_evm_acct(s, f->asset), asset);
        printf("frontier,%s,%s,%s,%s,%s,%u\n", a1, cs_acct_reason_name(f->reason), asset,
               cli_evm_asset_name(s, f->asset, nm), d, f->hops);
    }
}

static const char *label_cb(void *ctx, int32_t e)
{
    const struct evm_attr *at = ctx;
    return cs_attrib_entity(at->a, (uint32_t)e)->label;
}

static int write_html(const struct cli_evm_trace_args *a, const struct cs_evm *s,
                      const struct cs_acct_result *r, const struct evm_attr *at, const char *note)
{
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, 0);
    json_result(&w, s, r, at, note, a);
    char *json = NULL;
    size_t len = 0;
    int rc = cs_json_writer_finish(&w, &json, &len);
    if (rc) return cli_fail_err("trace", rc);
    /* the --json output ends with a newline: hash the same bytes */
    json = cs_xrealloc(json, len + 2);
    json[len++] = '\n';
    json[len] = 0;
    char gen[CS_TIME_ISO_MAX], params[1024], tmp[4200];
    cs_time_iso(gen, (int64_t)time(NULL));
    snprintf(params, sizeof params,
             "chain: %s\npolicy: %s\ndirection: forward\nmax hops: %s\nmin amount: %s\n"
             "until block: %llu\nstop at: %s\nattribution: %s",
             a->chain, a->policy, a->max_hops >= CS_ACCT_UNLIMITED ? "none" : "given",
             a->min_amount ? a->min_amount : "0", (unsigned long long)r->last_block,
             a->stop_s ? a->stop_s : "exchange,mixer,bridge,sanctioned", note);
    struct cs_report_evm_ctx c = {.s = s,
                                  .r = r,
                                  .entity_label = label_cb,
                                  .entity_ctx = (void *)at,
                                  .attribution_note = note,
                                  .case_id = a->case_id,
                                  .case_title = a->case_title,
                                  .investigator = a->investigator,
                                  .generated = gen,
                                  .tool_version = cli_version(),
                                  .git_commit = cli_git_commit(),
                                  .command_line = a->cmdline ? a->cmdline : "",
                                  .json = json,
                                  .json_len = len,
                                  .params = params};
    snprintf(tmp, sizeof tmp, "%s.tmp", a->html);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        free(json);
        return cli_fail("trace", "%s: cannot create: %s", tmp, strerror(errno));
    }
    rc = cs_report_evm_html(f, &c);
    if (fclose(f) && !rc) rc = cs_error(CS_EIO, "%s: write failed: %s", tmp, strerror(errno));
    if (!rc && rename(tmp, a->html))
        rc = cs_error(CS_EIO, "%s: cannot rename to %s: %s", tmp, a->html, strerror(errno));
    if (rc) {
        unlink(tmp);
        free(json);
        return cli_fail_err("trace", rc);
    }
    text_result(s, r, at, note);
    uint8_t d[32];
    char hex[65];
    cs_sha256(json, len, d);
    cs_hex(hex, d, 32);
    printf("\nreport     %s\njson hash  %s (sha256 of the --json output)\n", a->html, hex);
    free(json);
    return 0;
}

static int progress_cb(void *ctx, uint64_t txs, uint64_t pending)
{
    (void)ctx;
    fprintf(stderr, "\rtrace: %llu txs booked, %llu transfers queued", (unsigned long long)txs,
            (unsigned long long)pending);
    return 0;
}

int cli_evm_trace(const struct cli_evm_trace_args *a)
{
    static const char CMD[] = "trace";
    struct cs_acct_opts o;
    cs_acct_opts_default(&o);
    if (!strcasecmp(a->policy, "poison"))
        o.policy = CS_LOTS_POISON;
    else if (!strcasecmp(a->policy, "haircut"))
        o.policy = CS_LOTS_HAIRCUT;
    else if (!strcasecmp(a->policy, "fifo"))
        o.policy = CS_LOTS_FIFO;
    else if (!strcasecmp(a->policy, "lifo"))
        o.policy = CS_LOTS_LIFO;
    else if (!strcasecmp(a->policy, "tiho"))
        return cli_usage(CMD,
                         "tiho has no account-model meaning: an account has no outputs to "
                         "order by value (use fifo, lifo, haircut or poison on %s)",
                         a->chain);
    else
        return cli_usage(CMD, "--policy: '%s' is not a policy (poison, haircut, fifo, lifo)",
                         a->policy);
    if (a->backward)
        return cli_usage(CMD,
                         "--backward is not available on account-model chains yet (%s): "
                         "trace forward from the theft",
                         a->chain);
    if (a->mode == 'd')
        return cli_usage(CMD,
                         "--dot is not available on account-model chains yet (%s): use "
                         "--html, --json or --csv",
                         a->chain);
    if (!a->ntxs && !a->address && !a->label)
        return cli_usage(CMD, "nothing to trace: give --tx, --address or --label");
    if ((a->from_block != UINT64_MAX || a->to_block != UINT64_MAX) && !a->address && !a->label)
        return cli_usage(CMD, "--from-block/--to-block apply to --address and --label seeds");
    o.max_hops = a->max_hops >= CS_ACCT_UNLIMITED ? CS_ACCT_UNLIMITED : (uint32_t)a->max_hops;
    o.until_block = a->until_block;
    o.stop_mask = a->stop_mask;
    const struct cs_asset *native = cs_asset_native(a->chain);
    if (a->min_amount) {
        if (!native) return cli_usage(CMD, "--min-amount: no native asset for chain %s", a->chain);
        if (cs_amount_parse(&o.min_amount, native, a->min_amount))
            return cli_usage(CMD, "--min-amount: %s", cs_errmsg());
    }
    uint8_t(*txh)[32] = cs_xmalloc((a->ntxs + 1) * 32);
    for (size_t i = 0; i < a->ntxs; i++) {
        const char *t = a->txs[i];
        if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) t += 2;
        if (strlen(t) != 64 || cs_unhex(txh[i], 32, t, 64)) {
            free(txh);
            return cli_usage(CMD, "--tx %s: a transaction hash is 0x and 64 hex digits", a->txs[i]);
        }
    }
    uint8_t addr[20];
    if (a->address && cs_evm_addr_parse(a->address, addr)) {
        free(txh);
        return cli_usage(CMD, "--address: %s", cs_errmsg());
    }
    struct cs_evm *s = NULL;
    int rc = cli_evm_open(CMD, a->db, a->chain, &s);
    if (rc) {
        free(txh);
        return rc;
    }
    struct rows seeds = {0};
    struct evm_attr at = {0};
    struct cs_links_result lr;
    memset(&lr, 0, sizeof lr);
    struct cs_acct_link *lk = NULL;
    struct cs_acct_result res;
    memset(&res, 0, sizeof res);
    char note[400] = "";
    uint64_t from = a->from_block == UINT64_MAX ? 0 : a->from_block;
    uint64_t to = a->to_block == UINT64_MAX ? UINT64_MAX - 1 : a->to_block;
    for (size_t i = 0; i < a->ntxs; i++) {
        uint64_t t;
        if (cs_evm_find_tx(s, txh[i], &t)) {
            rc = cli_fail(CMD, "transaction %s is not in the store %s (chain %s)", a->txs[i], a->db,
                          a->chain);
            goto out;
        }
        const struct cs_evm_txrec *tr = cs_evm_tx(s, t);
        size_t before = seeds.n;
        for (uint64_t x = tr->first_xfer; x < tr->first_xfer + tr->n_xfer; x++)
            if (seedable(cs_evm_xfer(s, x))) rows_add(&seeds, x);
        if (seeds.n == before) {
            rc = cli_fail(CMD,
                          "transaction %s moved no value (only its fee, or it failed): "
                          "nothing to seed",
                          a->txs[i]);
            goto out;
        }
    }
    if (a->address) {
        uint64_t acct;
        if (cs_evm_find_acct(s, addr, &acct)) {
            rc = cli_fail(CMD, "address %s is not in the store %s (chain %s)", a->address, a->db,
                          a->chain);
            goto out;
        }
        size_t before = seeds.n;
        seeds_of_acct(s, acct, from, to, &seeds);
        if (seeds.n == before) {
            rc = cli_fail(CMD, "address %s received nothing in blocks %llu..%llu", a->address,
                          (unsigned long long)from, (unsigned long long)to);
            goto out;
        }
    }
    if (a->label) {
        struct cs_tagdb *tdb = NULL;
        if ((rc = cs_tagdb_open(a->db, 0, &tdb))) {
            rc = cli_fail(CMD, "--label: %s (import tags with chainsleuth tags import)",
                          cs_errmsg());
            goto out;
        }
        size_t n = cs_tagdb_count(tdb), hits = 0, before = seeds.n;
        for (size_t i = 0; i < n; i++) {
            struct cs_tag t;
            uint8_t ad[20];
            uint64_t acct;
            cs_tagdb_get(tdb, i, &t);
            if (strcasecmp(t.label, a->label) || strcmp(t.chain, a->chain) ||
                cs_evm_addr_parse(t.address, ad) || cs_evm_find_acct(s, ad, &acct))
                continue;
            hits++;
            seeds_of_acct(s, acct, from, to, &seeds);
        }
        cs_error_clear();
        cs_tagdb_close(tdb);
        if (!hits || seeds.n == before) {
            rc = cli_fail(CMD, "no %s address in the store is tagged '%s'%s", a->chain, a->label,
                          hits ? " with transfers received in that range" : "");
            goto out;
        }
    }
    if ((rc = attr_open(&at, s, a->db, !a->no_cluster, a->stop_mask, note, sizeof note))) {
        rc = cli_fail_err(CMD, rc);
        goto out;
    }
    if (a->mixer_links) {
        struct cs_links_params lp;
        cs_links_params_default(&lp);
        if ((rc = cs_links_run(s, &lp, &lr))) {
            rc = cli_fail_err(CMD, rc);
            goto out;
        }
        lk = cs_xcalloc(lr.n_links ? lr.n_links : 1, sizeof *lk);
        for (size_t i = 0; i < lr.n_links; i++) {
            const struct cs_links_link *l = &lr.links[i];
            lk[i] = (struct cs_acct_link){lr.deps[l->dep].tx, lr.wds[l->wd].tx,
                                          lr.wds[l->wd].recipient, l->heuristic};
        }
        o.links = lk;
        o.n_links = lr.n_links;
    }
    o.lookup = attr_lookup;
    o.check_balances = a->check_ledger;
    o.lookup_ctx = &at;
    if (isatty(2)) o.progress = progress_cb;
    if ((rc = cs_acct_trace_run(&res, s, &o, seeds.v, seeds.n))) {
        rc = rc == CS_EUSAGE ? cli_usage(CMD, "%s", cs_errmsg()) : cli_fail_err(CMD, rc);
        goto out;
    }
    if (o.progress && res.txs_visited >= 0x10000) fprintf(stderr, "\n");
    if (a->mode == 'j') {
        struct cs_json_writer w;
        cli_json_begin(&w);
        json_result(&w, s, &res, &at, note, a);
        rc = cli_json_end(CMD, &w);
    } else if (a->mode == 'h') {
        rc = write_html(a, s, &res, &at, note);
    } else if (a->mode == 'c') {
        csv_result(s, &res, &at);
    } else {
        text_result(s, &res, &at, note);
    }
out:
    free(lk);
    cs_links_free(&lr);
    cs_acct_result_free(&res);
    if (at.a) attr_close(&at);
    free(seeds.v);
    free(txh);
    cs_evm_close(s);
    return rc;
}
