/* cmd_links.c — `chainsleuth links --chain eth`: Tornado Cash-style
 * deposit -> withdrawal links by the five heuristics of METHODS.md §3.2
 * (evm/links.h), each with its evidence, the reduced anonymity set of every
 * withdrawal and the weakly connected components of the links.  Links are
 * evidence for an investigator; they never merge clusters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "evm/links.h"
#include "evm/store.h"
#include "util/amount.h"
#include "util/codec.h"
#include "util/timefmt.h"

static const char USAGE[] =
    "usage: chainsleuth links [--chain NAME] [--db DIR] [--pool ADDR]... [--heuristics LIST]\n"
    "                         [--json] [--limit N] [--all] [parameters]\n";

static const char ABOUT[] =
    "Links withdrawals from Tornado Cash-style pools to the deposits they probably\n"
    "spend (METHODS.md §3.2; Wang et al. 2023, Tutela's five heuristics).  A pool is\n"
    "every contract emitting the Tornado Deposit and Withdrawal events (or those named\n"
    "by --pool); its denomination is the most common native value its deposits paid.\n"
    "Depositor = the deposit tx's sender; recipient = the Withdrawal event's `to`;\n"
    "self-relayed = no relayer and sender = recipient.  Heuristics:\n"
    "  address  recipient = depositor, same pool (the account's deposits and\n"
    "           withdrawals in a pool are paired first in, first out)\n"
    "  gas      a self-relayed withdrawal at the gas price of a deposit into the same\n"
    "           pool that no other deposit into it used; legacy txs only (unless\n"
    "           --gas-any-type), where the price is the user's own choice\n"
    "  linked   depositor and recipient have >= --min-txs txs moving value between\n"
    "           them outside the pools; their notes in each common pool are paired\n"
    "           FIFO, so a deposit after the last withdrawal is never linked\n"
    "  multi    an account's deposits and another's (or its own) withdrawals, each\n"
    "           within --multi-window blocks (7,200 = 1 day at 12 s, block numbers),\n"
    "           have the same count per pool over >= --multi-min-pools pools, and\n"
    "           that deposit portfolio is the only one within --multi-max-delay\n"
    "           blocks before the withdrawals (or the nearest: --multi-nearest);\n"
    "           notes paired FIFO per pool (which is which cannot be told)\n"
    "  torn     anonymity mining: a claim of AP at the reward swap (its\n"
    "           Swap(address,uint256,uint256) event, kept only when ingested with\n"
    "           --keep-logs 'Swap(address,uint256,uint256)') by a recipient within\n"
    "           --claim-window blocks after a withdrawal in a pool of rate R AP per\n"
    "           block: the only deposit into that pool at block withdrawal - AP/R\n"
    "Anonymity set of a withdrawal: the deposits into its pool before it (chain\n"
    "order); reduced: minus those linked to some other withdrawal.  Components: the\n"
    "weakly connected components of the accounts joined by links (2 or more).\n";

static const char EPILOG[] =
    "Text shows every withdrawal with a link (--all: every withdrawal), addresses\n"
    "in EIP-55, times in UTC, gas prices in gwei.  --limit N shows the first N\n"
    "withdrawals and the N largest components (0: all, the default).\n"
    "JSON (one document): {\"chain\",\"params\":{...},\"pools\":[{\"address\",\"denomination\"\n"
    "(wei, string),\"deposits\",\"withdrawals\",\"deposits_other_value\",\"ap_per_block\"}],\n"
    "\"claims\",\"malformed_events\",\"walks_truncated\",\"links\":{HEURISTIC: count,...},\n"
    "\"withdrawals_total\",\"withdrawals\":[{\"tx\",\"block\",\"time\",\"pool\",\"recipient\",\n"
    "\"relayer\" (null: none),\"sender\",\"self_relayed\",\"fee\" (wei),\"gas_price\" (wei),\n"
    "\"tx_type\",\"anonymity_set\",\"reduced_anonymity_set\",\"links\":[{\"deposit_tx\",\n"
    "\"deposit_block\",\"deposit_time\",\"depositor\",\"heuristic\",\"evidence\":{...}}]}],\n"
    "\"components_total\",\"components\":[{\"size\",\"links\",\"addresses\":[...]}],\n"
    "\"truncated\"}.  Every withdrawal is listed (--limit cuts the list).  Evidence:\n"
    "address_match {\"address\"}; unique_gas_price {\"gas_price\"}; linked_addresses\n"
    "{\"txs_between\"}; multi_denomination {\"pools\",\"notes\",\"first_deposit_block\",\n"
    "\"first_withdrawal_block\",\"candidate_portfolios\"}; torn_mining {\"claim_tx\",\"ap\",\n"
    "\"ap_per_block\",\"blocks\"}.  Addresses lower case, amounts decimal strings of wei.\n"
    "Exit codes: 0 ok, 1 error (no store, a --pool not in the store), 2 usage.\n";

struct out {
    const struct cs_evm *s;
    const struct cs_links_result *r;
    struct cs_asset native;
};

static void native_of(const struct cs_evm *s, struct cs_asset *out)
{
    static const uint8_t NONE[20];
    const struct cs_evm_chain *ch = cs_evm_chain(s);
    const struct cs_asset *n = cs_asset_native(ch->name);
    if (n) {
        *out = *n;
        return;
    }
    if (cs_asset_token(out, ch->name, NONE, ch->symbol, "wei", 18)) BUG("native asset");
    out->native = 1;
}

static const char *eth_text(const struct out *o, const struct cs_u256 *v,
                            char buf[CS_AMOUNT_STR_MAX])
{
    cs_amount_format(buf, &o->native, v, CS_AMOUNT_TRIM | CS_AMOUNT_UNIT);
    return buf;
}

/* wei per gas as gwei, trailing zeros trimmed: "3.1415926" */
static const char *gwei_text(uint64_t wei, char buf[40])
{
    uint64_t whole = wei / 1000000000u, frac = wei % 1000000000u;
    if (!frac) {
        snprintf(buf, 40, "%llu", (unsigned long long)whole);
        return buf;
    }
    char f[16];
    snprintf(f, sizeof f, "%09llu", (unsigned long long)frac);
    size_t n = strlen(f);
    while (n && f[n - 1] == '0')
        f[--n] = 0;
    snprintf(buf, 40, "%llu.%s", (unsigned long long)whole, f);
    return buf;
}

static void json_txhash(struct cs_json_writer *w, const char *key, const struct cs_evm *s,
                        uint64_t tx)
{
    char h[67] = "0x";
    cs_hex(h + 2, cs_evm_txhash(s, tx), 32);
    cs_json_writer_key(w, key);
    cs_json_writer_string(w, h);
}

static const char *txhash_text(const struct cs_evm *s, uint64_t tx, char h[67])
{
    h[0] = '0';
    h[1] = 'x';
    cs_hex(h + 2, cs_evm_txhash(s, tx), 32);
    return h;
}

static const char *tx_time(const struct cs_evm *s, uint64_t tx, char buf[CS_TIME_ISO_MAX])
{
    return cs_time_iso(buf, (int64_t)cs_evm_block(s, cs_evm_tx(s, tx)->block)->timestamp);
}

static void json_u256(struct cs_json_writer *w, const char *key, const struct cs_u256 *v)
{
    char d[CS_U256_DEC_MAX];
    cs_u256_to_dec(d, v);
    cs_json_writer_key(w, key);
    cs_json_writer_string(w, d);
}

static void kv(struct cs_json_writer *w, const char *key, uint64_t v)
{
    cs_json_writer_key(w, key);
    cs_json_writer_u64(w, v);
}

static void json_evidence(struct cs_json_writer *w, const struct cs_evm *s,
                          const struct cs_links_link *l)
{
    cs_json_writer_key(w, "evidence");
    cs_json_writer_begin_object(w);
    switch (l->heuristic) {
    case CS_LH_ADDRESS:
        cli_evm_json_addr(w, "address", s, l->ev[0]);
        break;
    case CS_LH_GAS: {
        char d[24];
        snprintf(d, sizeof d, "%llu", (unsigned long long)l->ev[0]);
        cs_json_writer_key(w, "gas_price");
        cs_json_writer_string(w, d);
        break;
    }
    case CS_LH_LINKED:
        kv(w, "txs_between", l->ev[0]);
        break;
    case CS_LH_MULTI:
        kv(w, "pools", l->ev[0]);
        kv(w, "notes", l->ev[1]);
        kv(w, "first_deposit_block", l->ev[2]);
        kv(w, "first_withdrawal_block", l->ev[3]);
        kv(w, "candidate_portfolios", l->ev[4]);
        break;
    case CS_LH_TORN:
        json_txhash(w, "claim_tx", s, l->ev[0]);
        kv(w, "ap", l->ev[1]);
        kv(w, "ap_per_block", l->ev[2]);
        kv(w, "blocks", l->ev[3]);
        break;
    }
    cs_json_writer_end_object(w);
}

static void evidence_text(const struct cs_evm *s, const struct cs_links_link *l, char *buf,
                          size_t cap)
{
    char a[CS_EVM_ADDR_STR], g[40], h[67];
    switch (l->heuristic) {
    case CS_LH_ADDRESS:
        snprintf(buf, cap, "recipient = depositor");
        break;
    case CS_LH_GAS:
        snprintf(buf, cap, "both at %s gwei, a price no other deposit into the pool used",
                 gwei_text(l->ev[0], g));
        break;
    case CS_LH_LINKED:
        snprintf(buf, cap, "%llu txs between depositor and recipient outside the pools",
                 (unsigned long long)l->ev[0]);
        break;
    case CS_LH_MULTI:
        snprintf(buf, cap,
                 "same portfolio of %llu notes over %llu pools: deposits from block %llu, "
                 "withdrawals from block %llu; %llu candidate portfolio(s)",
                 (unsigned long long)l->ev[1], (unsigned long long)l->ev[0],
                 (unsigned long long)l->ev[2], (unsigned long long)l->ev[3],
                 (unsigned long long)l->ev[4]);
        break;
    case CS_LH_TORN:
        snprintf(buf, cap, "claim %s: %llu AP / %llu per block = %llu blocks in the pool",
                 txhash_text(s, l->ev[0], h), (unsigned long long)l->ev[1],
                 (unsigned long long)l->ev[2], (unsigned long long)l->ev[3]);
        break;
    default:
        snprintf(buf, cap, "?");
    }
    (void)a;
}

static void print_json(const struct out *o, const struct cs_links_params *p, uint64_t limit,
                       struct cs_json_writer *w)
{
    const struct cs_evm *s = o->s;
    const struct cs_links_result *r = o->r;
    cs_json_writer_begin_object(w);
    cs_json_writer_key(w, "chain");
    cs_json_writer_string(w, cs_evm_chain(s)->name);
    cs_json_writer_key(w, "params");
    cs_json_writer_begin_object(w);
    cs_json_writer_key(w, "heuristics");
    cs_json_writer_begin_array(w);
    for (int h = 0; h < CS_LH_N; h++)
        if (p->heuristics & (1u << h)) cs_json_writer_string(w, cs_links_heuristic_name(h));
    cs_json_writer_end_array(w);
    kv(w, "min_txs", p->linked_min_txs);
    kv(w, "walk_max", p->walk_max);
    cs_json_writer_key(w, "gas_legacy_only");
    cs_json_writer_bool(w, p->gas_legacy_only);
    kv(w, "multi_window_blocks", p->multi_window);
    kv(w, "multi_min_pools", p->multi_min_pools);
    kv(w, "multi_max_delay_blocks", p->multi_max_delay);
    cs_json_writer_key(w, "independent");
    cs_json_writer_bool(w, p->independent);
    cs_json_writer_key(w, "multi_nearest");
    cs_json_writer_bool(w, p->multi_nearest);
    kv(w, "claim_window_blocks", p->claim_window);
    cs_json_writer_key(w, "ap_rates");
    cs_json_writer_begin_array(w);
    for (size_t i = 0; i < p->n_rate; i++) {
        cs_json_writer_begin_object(w);
        json_u256(w, "denomination", &p->rate[i].denom);
        kv(w, "ap_per_block", p->rate[i].per_block);
        cs_json_writer_end_object(w);
    }
    cs_json_writer_end_array(w);
    cs_json_writer_end_object(w);
    cs_json_writer_key(w, "pools");
    cs_json_writer_begin_array(w);
    for (size_t i = 0; i < r->n_pools; i++) {
        const struct cs_links_pool *P = &r->pools[i];
        cs_json_writer_begin_object(w);
        cli_evm_json_addr(w, "address", s, P->acct);
        json_u256(w, "denomination", &P->denom);
        kv(w, "deposits", P->n_dep);
        kv(w, "withdrawals", P->n_wd);
        kv(w, "deposits_other_value", P->n_dep_other_value);
        kv(w, "ap_per_block", P->rate);
        cs_json_writer_end_object(w);
    }
    cs_json_writer_end_array(w);
    kv(w, "claims", r->n_claims);
    kv(w, "malformed_events", r->malformed);
    kv(w, "walks_truncated", r->walk_truncated);
    cs_json_writer_key(w, "links");
    cs_json_writer_begin_object(w);
    for (int h = 0; h < CS_LH_N; h++)
        kv(w, cs_links_heuristic_name(h), r->per_heuristic[h]);
    cs_json_writer_end_object(w);
    kv(w, "withdrawals_total", r->n_wds);
    cs_json_writer_key(w, "withdrawals");
    cs_json_writer_begin_array(w);
    int truncated = 0;
    char tb[CS_TIME_ISO_MAX];
    for (size_t i = 0; i < r->n_wds; i++) {
        if (limit && i >= limit) {
            truncated = 1;
            break;
        }
        const struct cs_links_wd *wd = &r->wds[i];
        cs_json_writer_begin_object(w);
        json_txhash(w, "tx", s, wd->tx);
        kv(w, "block", wd->block);
        cs_json_writer_key(w, "time");
        cs_json_writer_string(w, tx_time(s, wd->tx, tb));
        cli_evm_json_addr(w, "pool", s, r->pools[wd->pool].acct);
        cs_json_writer_key(w, "recipient");
        char a[CS_EVM_ADDR_STR];
        cs_evm_addr_lower(wd->recipient_addr, a);
        cs_json_writer_string(w, a);
        cli_evm_json_addr(w, "relayer", s, wd->relayer);
        cli_evm_json_addr(w, "sender", s, wd->sender);
        cs_json_writer_key(w, "self_relayed");
        cs_json_writer_bool(w, wd->self_relayed);
        json_u256(w, "fee", &wd->fee);
        char gp[24];
        snprintf(gp, sizeof gp, "%llu", (unsigned long long)wd->gas_price);
        cs_json_writer_key(w, "gas_price");
        cs_json_writer_string(w, gp);
        kv(w, "tx_type", wd->tx_type);
        kv(w, "anonymity_set", wd->anon_base);
        kv(w, "reduced_anonymity_set", wd->anon_reduced);
        cs_json_writer_key(w, "links");
        cs_json_writer_begin_array(w);
        for (uint64_t k = wd->first_link; k < wd->first_link + wd->n_link; k++) {
            const struct cs_links_link *l = &r->links[k];
            const struct cs_links_dep *d = &r->deps[l->dep];
            cs_json_writer_begin_object(w);
            json_txhash(w, "deposit_tx", s, d->tx);
            kv(w, "deposit_block", d->block);
            cs_json_writer_key(w, "deposit_time");
            cs_json_writer_string(w, tx_time(s, d->tx, tb));
            cli_evm_json_addr(w, "depositor", s, d->depositor);
            cs_json_writer_key(w, "heuristic");
            cs_json_writer_string(w, cs_links_heuristic_name(l->heuristic));
            json_evidence(w, s, l);
            cs_json_writer_end_object(w);
        }
        cs_json_writer_end_array(w);
        cs_json_writer_end_object(w);
    }
    cs_json_writer_end_array(w);
    kv(w, "components_total", r->n_comps);
    cs_json_writer_key(w, "components");
    cs_json_writer_begin_array(w);
    for (size_t i = 0; i < r->n_comps; i++) {
        if (limit && i >= limit) {
            truncated = 1;
            break;
        }
        const struct cs_links_comp *c = &r->comps[i];
        cs_json_writer_begin_object(w);
        kv(w, "size", c->n);
        kv(w, "links", c->n_links);
        cs_json_writer_key(w, "addresses");
        cs_json_writer_begin_array(w);
        for (uint64_t k = c->first; k < c->first + c->n; k++) {
            char a[CS_EVM_ADDR_STR];
            cs_evm_addr_lower(cs_evm_acct(s, r->members[k]), a);
            cs_json_writer_string(w, a);
        }
        cs_json_writer_end_array(w);
        cs_json_writer_end_object(w);
    }
    cs_json_writer_end_array(w);
    cs_json_writer_key(w, "truncated");
    cs_json_writer_bool(w, truncated);
    cs_json_writer_end_object(w);
}

static void print_text(const struct out *o, const struct cs_links_params *p, uint64_t limit,
                       int all)
{
    const struct cs_evm *s = o->s;
    const struct cs_links_result *r = o->r;
    char a[CS_EVM_ADDR_STR], b[CS_EVM_ADDR_STR], amt[CS_AMOUNT_STR_MAX], g[40], h[67],
        tb[CS_TIME_ISO_MAX], ev[400];
    printf("Tornado-style pools on %s: %zu\n", cs_evm_chain(s)->name, r->n_pools);
    for (size_t i = 0; i < r->n_pools; i++) {
        const struct cs_links_pool *P = &r->pools[i];
        printf("  %s  %-10s deposits %llu, withdrawals %llu", cli_evm_text_addr(s, P->acct, a),
               eth_text(o, &P->denom, amt), (unsigned long long)P->n_dep,
               (unsigned long long)P->n_wd);
        if (P->rate) printf(", %llu AP per block", (unsigned long long)P->rate);
        if (P->n_dep_other_value)
            printf(", %llu deposits of another value", (unsigned long long)P->n_dep_other_value);
        printf("\n");
    }
    size_t with = 0;
    for (size_t i = 0; i < r->n_wds; i++)
        with += r->wds[i].n_link > 0;
    printf("withdrawals: %zu, %zu with a link; links: %zu (", r->n_wds, with, r->n_links);
    int first = 1;
    for (int hh = 0; hh < CS_LH_N; hh++)
        if (p->heuristics & (1u << hh)) {
            printf("%s%s %llu", first ? "" : ", ", cs_links_heuristic_name(hh),
                   (unsigned long long)r->per_heuristic[hh]);
            first = 0;
        }
    printf(")\n");
    printf("anonymity-mining claims: %zu%s\n", r->n_claims,
           r->n_claims ? ""
                       : " (none kept: ingest with --keep-logs 'Swap(address,uint256,uint256)' "
                         "for torn_mining)");
    if (r->malformed)
        printf("note: %llu pool events of an unexpected shape were skipped\n",
               (unsigned long long)r->malformed);
    if (r->walk_truncated)
        printf("note: %llu recipients had more than %llu transfers; linked_addresses read only "
               "their newest\n",
               (unsigned long long)r->walk_truncated, (unsigned long long)p->walk_max);
    uint64_t shown = 0;
    for (size_t i = 0; i < r->n_wds; i++) {
        const struct cs_links_wd *wd = &r->wds[i];
        if (!all && !wd->n_link) continue;
        if (limit && shown >= limit) {
            printf("\n(more withdrawals not shown: --limit %llu)\n", (unsigned long long)limit);
            break;
        }
        shown++;
        const struct cs_links_pool *P = &r->pools[wd->pool];
        cs_evm_addr_format(wd->recipient_addr, b);
        printf("\nwithdrawal %s  block %llu  %s  %s pool %s\n", txhash_text(s, wd->tx, h),
               (unsigned long long)wd->block, tx_time(s, wd->tx, tb), eth_text(o, &P->denom, amt),
               cli_evm_text_addr(s, P->acct, a));
        printf("  recipient %s", b);
        if (wd->self_relayed)
            printf(", self-relayed");
        else if (wd->relayer)
            printf(", relayer %s (fee %s)", cli_evm_text_addr(s, wd->relayer, a),
                   eth_text(o, &wd->fee, amt));
        else
            printf(", sent by %s", cli_evm_text_addr(s, wd->sender, a));
        printf(", gas price %s gwei%s\n", gwei_text(wd->gas_price, g),
               wd->tx_type == 0 ? " (legacy)" : "");
        printf("  anonymity set: %llu earlier deposits into the pool, %llu after removing those "
               "linked to other withdrawals\n",
               (unsigned long long)wd->anon_base, (unsigned long long)wd->anon_reduced);
        for (uint64_t k = wd->first_link; k < wd->first_link + wd->n_link; k++) {
            const struct cs_links_link *l = &r->links[k];
            const struct cs_links_dep *d = &r->deps[l->dep];
            evidence_text(s, l, ev, sizeof ev);
            printf("  <- deposit %s  block %llu  %s  by %s\n", txhash_text(s, d->tx, h),
                   (unsigned long long)d->block, tx_time(s, d->tx, tb),
                   cli_evm_text_addr(s, d->depositor, a));
            printf("     %s: %s\n", cs_links_heuristic_name(l->heuristic), ev);
        }
    }
    printf("\ncomponents (accounts joined by links; never merged into clusters): %zu\n",
           r->n_comps);
    for (size_t i = 0; i < r->n_comps; i++) {
        if (limit && i >= limit) {
            printf("  (more components not shown: --limit %llu)\n", (unsigned long long)limit);
            break;
        }
        const struct cs_links_comp *c = &r->comps[i];
        printf("  %llu accounts, %llu links:", (unsigned long long)c->n,
               (unsigned long long)c->n_links);
        for (uint64_t k = c->first; k < c->first + c->n && k < c->first + 6; k++)
            printf(" %s", cli_evm_text_addr(s, r->members[k], a));
        if (c->n > 6) printf(" ...");
        printf("\n");
    }
}

/* "DENOM:RATE", DENOM in whole native units ("0.1", "1ETH") */
static int parse_rate(const char *text, const struct cs_asset *native, struct cs_links_rate *out)
{
    const char *colon = strchr(text, ':');
    if (!colon || colon == text || strlen(colon + 1) > 20)
        return cli_usage("links", "--torn-rate '%s': expected DENOM:RATE, e.g. 0.1:4", text);
    char d[64];
    size_t n = (size_t)(colon - text);
    if (n >= sizeof d) return cli_usage("links", "--torn-rate '%s': denomination too long", text);
    memcpy(d, text, n);
    d[n] = 0;
    if (cs_amount_parse(&out->denom, native, d))
        return cli_usage("links", "--torn-rate '%s': %s", text, cs_errmsg());
    if (cli_opt_u64("links", "--torn-rate", colon + 1, 1, UINT64_MAX, &out->per_block)) return 2;
    return 0;
}

int cmd_links(int argc, char **argv)
{
    const char *db = cli_default_db(), *chain = cs_evm_chain_at(0)->name, *heur = NULL, *reward = NULL;
    int json = 0, all = 0, any_type = 0, npos;
    uint64_t limit = 0;
    struct cs_links_params p;
    cs_links_params_default(&p);
    struct cli_strlist pools = {0}, rates = {0};
    const struct cli_opt opts[] = {
        CLI_STRING("chain", 0, &chain, "NAME", "the EVM chain (default eth)"),
        CLI_STRING("db", 0, &db, "DIR", CLI_HELP_DB),
        CLI_LIST("pool", 0, &pools, "ADDR",
                 "a pool contract; repeatable (default: every contract emitting\n"
                 "the Tornado Deposit/Withdrawal events)"),
        CLI_STRING("heuristics", 0, &heur, "LIST",
                   "comma-separated: address, gas, linked, multi, torn (or their\n"
                   "full names, or all; default all)"),
        CLI_FLAG("json", 0, &json, "print the result as one JSON document"),
        CLI_U64("limit", 0, &limit, "N", 0, UINT64_MAX,
                "show at most N withdrawals and N components (0: all)"),
        CLI_FLAG("all", 0, &all, "text: also withdrawals without a link"),
        CLI_U64("min-txs", 0, &p.linked_min_txs, "N", 1, UINT64_MAX,
                "linked: txs between depositor and recipient (default 3)"),
        CLI_U64("walk-max", 0, &p.walk_max, "N", 1, UINT64_MAX,
                "linked: transfers read per recipient (default 200000)"),
        CLI_FLAG("gas-any-type", 0, &any_type, "gas: also EIP-1559 txs (default: legacy txs only)"),
        CLI_U64("multi-window", 0, &p.multi_window, "BLOCKS", 0, UINT64_MAX,
                "multi: span of a portfolio on each side (default 7200 = 1 day)"),
        CLI_U64("multi-min-pools", 0, &p.multi_min_pools, "N", 1, 64,
                "multi: pools a portfolio must cover (default 2)"),
        CLI_U64("multi-max-delay", 0, &p.multi_max_delay, "BLOCKS", 0, UINT64_MAX,
                "multi: most blocks from the last deposit to the first\n"
                "withdrawal (default 7200; 0: no bound)"),
        CLI_FLAG("multi-nearest", 0, &p.multi_nearest,
                 "multi: take the nearest candidate portfolio, not only a unique one"),
        CLI_U64("claim-window", 0, &p.claim_window, "BLOCKS", 0, UINT64_MAX,
                "torn: most blocks from a withdrawal to its AP claim (default 7200)"),
        CLI_LIST("torn-rate", 0, &rates, "DENOM:RATE",
                 "torn: AP per block of the pool of DENOM ETH; repeatable, replaces\n"
                 "the defaults 0.1:4, 1:20, 10:50, 100:400"),
        CLI_FLAG("independent", 0, &p.independent,
                 "run every heuristic on its own (default: the FIFO pairings of\n"
                 "address, linked and multi skip notes tied by gas or torn links)"),
        CLI_STRING("reward-swap", 0, &reward, "ADDR",
                   "torn: the reward-swap contract (default: any emitter of the claim\n"
                   "event)"),
        CLI_OPT_TABLE_END,
    };
    const struct cli_cmd cmd = {"links", USAGE, ABOUT, opts, EPILOG, NULL};
    int rc = cli_opt_parse(&cmd, argc, argv, &npos);
    if (rc != CLI_OPT_OK) goto out_lists;
    rc = 2;
    if (npos) {
        rc = cli_usage("links", "unexpected argument '%s'", argv[1]);
        goto out_lists;
    }
    if (!cli_chain_is_evm(chain)) {
        rc = cli_check_chain("links", chain);
        if (!rc) rc = cli_usage("links", "--chain %s: links needs an EVM chain", chain);
        goto out_lists;
    }
    if (heur && cs_links_parse_heuristics(heur, &p.heuristics)) {
        rc = cli_usage("links", "--heuristics: %s", cs_errmsg());
        goto out_lists;
    }
    p.gas_legacy_only = !any_type;
    uint8_t(*pool_addr)[20] = NULL;
    uint8_t reward_addr[20];
    if (pools.n) {
        pool_addr = cs_xmalloc(pools.n * sizeof *pool_addr);
        for (size_t i = 0; i < pools.n; i++)
            if (cs_evm_addr_parse(pools.v[i], pool_addr[i])) {
                rc = cli_usage("links", "--pool: %s", cs_errmsg());
                goto out_pools;
            }
        p.pools = (const uint8_t(*)[20])pool_addr;
        p.n_pools = pools.n;
    }
    if (reward) {
        if (cs_evm_addr_parse(reward, reward_addr)) {
            rc = cli_usage("links", "--reward-swap: %s", cs_errmsg());
            goto out_pools;
        }
        p.reward_swap = reward_addr;
    }
    struct cs_evm *s = NULL;
    rc = cli_evm_open("links", db, chain, &s);
    if (rc) goto out_pools;
    struct out o = {.s = s};
    native_of(s, &o.native);
    if (rates.n) {
        if (rates.n > CS_LINKS_MAX_RATES) {
            rc = cli_usage("links", "--torn-rate: at most %d", CS_LINKS_MAX_RATES);
            goto out_store;
        }
        for (size_t i = 0; i < rates.n; i++)
            if ((rc = parse_rate(rates.v[i], &o.native, &p.rate[i]))) goto out_store;
        p.n_rate = rates.n;
    }
    struct cs_links_result r;
    int lrc = cs_links_run(s, &p, &r);
    if (lrc) {
        rc = cli_fail_err("links", lrc);
        goto out_store;
    }
    o.r = &r;
    if (json) {
        struct cs_json_writer w;
        cli_json_begin(&w);
        print_json(&o, &p, limit, &w);
        rc = cli_json_end("links", &w);
    } else {
        print_text(&o, &p, limit, all);
        rc = fflush(stdout) ? cli_fail("links", "writing the output failed") : 0;
    }
    cs_links_free(&r);
out_store:
    cs_evm_close(s);
out_pools:
    free(pool_addr);
out_lists:
    free(pools.v);
    free(rates.v);
    return rc;
}
