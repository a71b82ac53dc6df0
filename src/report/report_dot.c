/* report_dot.c — the flow graph of a trace as Graphviz DOT.
 *
 * The walker records edges as "transaction -> where its tainted output
 * went".  Here they become value-flow edges between nodes: the seed, the
 * transactions, the sinks (entities), the frontier outputs and one
 * "dropped" node; fees are left out (their total is in every other form).
 * Arrows always follow the money, so a backward trace ends in the seed.
 *
 * To stay readable the graph is explored from the seed along the flow
 * (against it for backward traces), keeping per node the CS_REPORT_FANOUT-1
 * largest non-sink branches (sinks are always kept) and at most
 * CS_REPORT_GRAPH_NODES transactions overall; everything else a node leads
 * to is folded into one "N more" node with the summed amount. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "tags/tags.h"
#include "util/codec.h"

enum { N_SEED = 1, N_TX, N_SINK, N_FRONT, N_DROP, N_MORE };
#define NODE(kind, id) (((uint64_t)(kind) << 56) | (uint64_t)(id))
#define KIND(code) ((int)((code) >> 56))
#define ID(code) ((code) & ((1ull << 56) - 1))

struct flow {
    uint64_t src, dst, amount;
};

struct sbuf {
    char *b;
    size_t n, cap;
};

static void sb_printf(struct sbuf *x, const char *fmt, ...) CS_PRINTF(2, 3);
static void sb_printf(struct sbuf *x, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        size_t room = x->cap - x->n;
        va_start(ap, fmt);
        int k = vsnprintf(x->b + x->n, room, fmt, ap);
        va_end(ap);
        if (k < 0) return;
        if ((size_t)k < room) {
            x->n += (size_t)k;
            return;
        }
        x->cap = (x->cap + (size_t)k + 1) * 2;
        x->b = cs_xrealloc(x->b, x->cap);
    }
}

/* DOT string contents: escape quotes and backslashes. */
static void sb_esc(struct sbuf *x, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') sb_printf(x, "\\");
        if ((unsigned char)*s < 0x20)
            sb_printf(x, " ");
        else
            sb_printf(x, "%c", *s);
    }
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int flow_cmp(const void *a, const void *b)
{
    const struct flow *x = a, *y = b;
    if (x->src != y->src) return x->src < y->src ? -1 : 1;
    return x->dst < y->dst ? -1 : x->dst > y->dst;
}

static int flow_cmp_dst(const void *a, const void *b)
{
    const struct flow *x = a, *y = b;
    if (x->dst != y->dst) return x->dst < y->dst ? -1 : 1;
    return x->src < y->src ? -1 : x->src > y->src;
}

/* children of a node, largest first; ties by node code */
static int flow_cmp_amount(const void *a, const void *b)
{
    const struct flow *x = a, *y = b;
    if (x->amount != y->amount) return x->amount > y->amount ? -1 : 1;
    if (x->src != y->src) return x->src < y->src ? -1 : 1;
    return x->dst < y->dst ? -1 : x->dst > y->dst;
}

struct fidx {
    uint64_t out;
    size_t i;
};

static int fidx_cmp(const void *a, const void *b)
{
    const struct fidx *x = a, *y = b;
    return x->out < y->out ? -1 : x->out > y->out;
}

static const char *cat_color(int cat)
{
    switch (cat) {
    case CS_TAG_EXCHANGE:
        return "#cfe2ff";
    case CS_TAG_MIXER:
        return "#ffe0b3";
    case CS_TAG_BRIDGE:
        return "#e5d4ff";
    case CS_TAG_SANCTIONED:
        return "#ffc9c9";
    default:
        return "#e9ecef";
    }
}

struct graph {
    const struct cs_report_ctx *c;
    struct flow *f;
    size_t nf;
    uint64_t *txs;   /* processed tx ids, sorted */
    uint32_t *txhop; /* their hops */
    size_t ntxs;
    struct fidx *fr; /* frontier by output id */
    size_t nfr;
};

static int is_tx(const struct graph *g, uint64_t tx)
{
    return tx != CS_NONE64 && bsearch(&tx, g->txs, g->ntxs, sizeof *g->txs, u64_cmp) != NULL;
}

static long front_index(const struct graph *g, uint64_t out)
{
    struct fidx key = {out, 0};
    const struct fidx *p = bsearch(&key, g->fr, g->nfr, sizeof *g->fr, fidx_cmp);
    return p ? (long)p->i : -1;
}

static void add_flow(struct graph *g, size_t *cap, uint64_t src, uint64_t dst, uint64_t amount)
{
    if (g->nf == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        g->f = cs_xrealloc(g->f, *cap * sizeof *g->f);
    }
    g->f[g->nf++] = (struct flow){src, dst, amount};
}

static void build_flows(struct graph *g)
{
    const struct cs_trace_result *r = g->c->r;
    int back = r->backward;
    size_t cap = 0;
    /* (tx << 32 | hop) pairs: every edge of one tx carries the same hop */
    uint64_t *pairs = cs_xmalloc((r->n_edges + 1) * sizeof *pairs);
    size_t np = 0;
    for (size_t i = 0; i < r->n_edges; i++)
        if (r->edges[i].kind != CS_TRACE_E_SEED)
            pairs[np++] = r->edges[i].tx << 32 | r->edges[i].hop;
    qsort(pairs, np, sizeof *pairs, u64_cmp);
    g->txs = cs_xmalloc((np + 1) * sizeof *g->txs);
    g->txhop = cs_xmalloc((np + 1) * sizeof *g->txhop);
    size_t u = 0;
    for (size_t i = 0; i < np; i++) {
        uint64_t tx = pairs[i] >> 32;
        if (u && g->txs[u - 1] == tx) continue;
        g->txs[u] = tx;
        g->txhop[u++] = (uint32_t)pairs[i];
    }
    g->ntxs = u;
    free(pairs);
    g->fr = cs_xmalloc((r->n_frontier + 1) * sizeof *g->fr);
    for (size_t i = 0; i < r->n_frontier; i++)
        g->fr[g->nfr++] = (struct fidx){r->frontier[i].out, i};
    qsort(g->fr, g->nfr, sizeof *g->fr, fidx_cmp);

    for (size_t i = 0; i < r->n_edges; i++) {
        const struct cs_trace_edge *e = &r->edges[i];
        long fi = e->out != CS_NONE64 ? front_index(g, e->out) : -1;
        uint64_t other = CS_NONE64; /* the node at the far end of e->out */
        if (fi >= 0)
            other = NODE(N_FRONT, fi);
        else if (is_tx(g, e->to))
            other = NODE(N_TX, e->to);
        switch (e->kind) {
        case CS_TRACE_E_SEED:
            if (!back && other != CS_NONE64) add_flow(g, &cap, NODE(N_SEED, 0), other, e->amount);
            if (back) {
                uint64_t src = fi >= 0           ? NODE(N_FRONT, fi)
                               : is_tx(g, e->tx) ? NODE(N_TX, e->tx)
                                                 : CS_NONE64;
                if (src != CS_NONE64) add_flow(g, &cap, src, NODE(N_SEED, 0), e->amount);
            }
            break;
        case CS_TRACE_E_OUTPUT:
            if (other == CS_NONE64) break;
            if (back)
                add_flow(g, &cap, other, NODE(N_TX, e->tx), e->amount);
            else
                add_flow(g, &cap, NODE(N_TX, e->tx), other, e->amount);
            break;
        case CS_TRACE_E_SINK:
            if (back)
                add_flow(g, &cap, NODE(N_SINK, e->to), NODE(N_TX, e->tx), e->amount);
            else
                add_flow(g, &cap, NODE(N_TX, e->tx), NODE(N_SINK, e->to), e->amount);
            break;
        case CS_TRACE_E_DROP:
            if (back)
                add_flow(g, &cap, NODE(N_DROP, 0), NODE(N_TX, e->tx), e->amount);
            else
                add_flow(g, &cap, NODE(N_TX, e->tx), NODE(N_DROP, 0), e->amount);
            break;
        default: /* fees: totals only */
            break;
        }
    }
    /* merge parallel edges */
    if (g->nf) qsort(g->f, g->nf, sizeof *g->f, flow_cmp);
    u = 0;
    for (size_t i = 0; i < g->nf; i++) {
        if (u && g->f[u - 1].src == g->f[i].src && g->f[u - 1].dst == g->f[i].dst)
            g->f[u - 1].amount += g->f[i].amount;
        else
            g->f[u++] = g->f[i];
    }
    g->nf = u;
}

struct nodeset {
    uint64_t *v;
    size_t n, cap;
};

static int ns_has(const struct nodeset *s, uint64_t code)
{
    for (size_t i = 0; i < s->n; i++) /* small: <= a few thousand, checked per kept edge */
        if (s->v[i] == code) return 1;
    return 0;
}

static void ns_add(struct nodeset *s, uint64_t code)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = cs_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = code;
}

static void node_decl(struct sbuf *x, const struct graph *g, uint64_t code, const char *more_label)
{
    const struct cs_trace_result *r = g->c->r;
    const struct cs_store *s = g->c->s;
    char b[CS_AMOUNT_STR_MAX], id[65], addr[96];
    switch (KIND(code)) {
    case N_SEED:
        sb_printf(x,
                  "  n%llx [label=\"seed\\n%zu output%s\\n%s\", shape=doubleoctagon, "
                  "style=filled, fillcolor=\"#fff3bf\"];\n",
                  (unsigned long long)code, r->n_seeds, r->n_seeds == 1 ? "" : "s",
                  cs_report_amount(g->c, r->seed_amount, 1, b));
        break;
    case N_TX: {
        uint64_t tx = ID(code);
        cs_hex_rev(id, cs_store_txid(s, tx));
        id[12] = 0;
        sb_printf(x, "  n%llx [label=\"tx %s…\\nheight %u\", shape=box, style=rounded];\n",
                  (unsigned long long)code, id, cs_store_tx(s, tx)->height);
        break;
    }
    case N_SINK: {
        const struct cs_trace_sink *k = &r->sinks[ID(code)];
        const char *cat = cs_tag_category_name(k->category);
        sb_printf(x, "  n%llx [label=\"", (unsigned long long)code);
        sb_esc(x, k->label);
        sb_printf(x, "\\n%s\\n%s\", shape=box, style=\"filled,bold\", fillcolor=\"%s\"];\n",
                  cat ? cat : "", cs_report_amount(g->c, k->amount, 1, b), cat_color(k->category));
        break;
    }
    case N_FRONT: {
        const struct cs_trace_front *fr = &r->frontier[ID(code)];
        cs_addr_format(cs_store_addr(s, cs_store_out(s, fr->out)->addr), cs_store_net(s), addr);
        if (strlen(addr) > 18) memcpy(addr + 15, "…", sizeof "…");
        sb_printf(x, "  n%llx [label=\"", (unsigned long long)code);
        sb_esc(x, addr);
        sb_printf(x, "\\n%s\\n%s\", shape=note, style=filled, fillcolor=\"#f8f9fa\"];\n",
                  cs_report_amount(g->c, fr->amount, 1, b), cs_trace_reason_name(fr->reason));
        break;
    }
    case N_DROP:
        sb_printf(x, "  n%llx [label=\"dropped\\n(below --min-amount)\\n%s\", shape=plaintext];\n",
                  (unsigned long long)code, cs_report_amount(g->c, r->dropped, 1, b));
        break;
    default:
        sb_printf(x, "  n%llx [label=\"%s\", shape=ellipse, style=dashed];\n",
                  (unsigned long long)code, more_label);
        break;
    }
}

int cs_report_dot(const struct cs_report_ctx *c, char **out, size_t *len)
{
    const struct cs_trace_result *r = c->r;
    int back = r->backward;
    struct graph g = {.c = c};
    build_flows(&g);
    /* adjacency in exploration direction: forward by src, backward by dst */
    if (back && g.nf) qsort(g.f, g.nf, sizeof *g.f, flow_cmp_dst);
    struct flow *kept = cs_xmalloc((g.nf + 1) * sizeof *kept);
    size_t nkept = 0;
    struct nodeset seen = {0}, queue = {0};
    struct flow *more = NULL; /* aggregated "N more" per parent: src/dst = parent, amount */
    size_t nmore = 0, capmore = 0;
    uint64_t *more_count = NULL;
    size_t ntx_nodes = 0;
    struct flow *kids = cs_xmalloc((g.nf + 1) * sizeof *kids);
    ns_add(&seen, NODE(N_SEED, 0));
    ns_add(&queue, NODE(N_SEED, 0));
    for (size_t qi = 0; qi < queue.n; qi++) {
        uint64_t node = queue.v[qi];
        /* children: flows leaving node (forward) / entering it (backward) */
        size_t nk = 0, lo = 0, hi = g.nf;
        while (lo < hi) { /* first flow from node (flows are sorted by it) */
            size_t mid = lo + (hi - lo) / 2;
            if ((back ? g.f[mid].dst : g.f[mid].src) < node)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t i = lo; i < g.nf && (back ? g.f[i].dst : g.f[i].src) == node; i++)
            kids[nk++] = g.f[i];
        if (!nk) continue;
        qsort(kids, nk, sizeof *kids, flow_cmp_amount);
        size_t nonsink = 0, folded = 0;
        uint64_t folded_amount = 0;
        for (size_t i = 0; i < nk; i++) {
            uint64_t child = back ? kids[i].src : kids[i].dst;
            int keep = KIND(child) == N_SINK || KIND(child) == N_DROP;
            if (!keep) {
                nonsink++;
                /* the seed shows up to 64 first-hop branches: they are the case */
                size_t fan = KIND(node) == N_SEED ? 64 : CS_REPORT_FANOUT;
                keep = nonsink < fan || nk <= fan;
                if (keep && KIND(child) == N_TX && !ns_has(&seen, child) &&
                    ntx_nodes >= CS_REPORT_GRAPH_NODES)
                    keep = 0;
            }
            if (!keep) {
                folded++;
                folded_amount += kids[i].amount;
                continue;
            }
            kept[nkept++] = kids[i];
            if (!ns_has(&seen, child)) {
                ns_add(&seen, child);
                if (KIND(child) == N_TX) {
                    ntx_nodes++;
                    ns_add(&queue, child);
                }
            }
        }
        if (folded) {
            if (nmore == capmore) {
                capmore = capmore ? capmore * 2 : 16;
                more = cs_xrealloc(more, capmore * sizeof *more);
                more_count = cs_xrealloc(more_count, capmore * sizeof *more_count);
            }
            more[nmore] = (struct flow){node, NODE(N_MORE, nmore), folded_amount};
            more_count[nmore++] = folded;
        }
    }

    struct sbuf x = {0};
    sb_printf(&x, "digraph trace {\n  rankdir=LR;\n  newrank=true;\n"
                  "  node [fontname=\"Helvetica\", fontsize=10];\n"
                  "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n");
    char b[CS_AMOUNT_STR_MAX], lab[CS_AMOUNT_STR_MAX + 32];
    for (size_t i = 0; i < seen.n; i++)
        node_decl(&x, &g, seen.v[i], "");
    for (size_t i = 0; i < nmore; i++) {
        snprintf(lab, sizeof lab, "%llu more\\n%s", (unsigned long long)more_count[i],
                 cs_report_amount(g.c, more[i].amount, 1, b));
        node_decl(&x, &g, more[i].dst, lab);
    }
    /* one rank per hop: (hop << 32 | index into seen) sorted */
    uint64_t *rk = cs_xmalloc((seen.n + 1) * sizeof *rk);
    size_t nrk = 0;
    for (size_t i = 0; i < seen.n; i++) {
        if (KIND(seen.v[i]) != N_TX) continue;
        uint64_t tx = ID(seen.v[i]);
        const uint64_t *p = bsearch(&tx, g.txs, g.ntxs, sizeof *g.txs, u64_cmp);
        rk[nrk++] = (uint64_t)g.txhop[p - g.txs] << 32 | i;
    }
    if (nrk) qsort(rk, nrk, sizeof *rk, u64_cmp);
    for (size_t i = 0; i < nrk; i++) {
        if (!i || rk[i] >> 32 != rk[i - 1] >> 32)
            sb_printf(&x, "%s  { rank=same;", i ? " }\n" : "");
        sb_printf(&x, " n%llx;", (unsigned long long)seen.v[(uint32_t)rk[i]]);
    }
    if (nrk) sb_printf(&x, " }\n");
    free(rk);
    uint64_t maxamt = 1;
    for (size_t i = 0; i < nkept; i++)
        if (kept[i].amount > maxamt) maxamt = kept[i].amount;
    for (size_t i = 0; i < nkept; i++) {
        double w = 1.0 + 4.0 * (double)kept[i].amount / (double)maxamt;
        sb_printf(&x, "  n%llx -> n%llx [label=\"%s\", penwidth=%.2f];\n",
                  (unsigned long long)kept[i].src, (unsigned long long)kept[i].dst,
                  cs_report_amount(g.c, kept[i].amount, 0, b), w);
    }
    for (size_t i = 0; i < nmore; i++) {
        if (back)
            sb_printf(&x, "  n%llx -> n%llx [label=\"%s\", style=dashed];\n",
                      (unsigned long long)more[i].dst, (unsigned long long)more[i].src,
                      cs_report_amount(g.c, more[i].amount, 0, b));
        else
            sb_printf(&x, "  n%llx -> n%llx [label=\"%s\", style=dashed];\n",
                      (unsigned long long)more[i].src, (unsigned long long)more[i].dst,
                      cs_report_amount(g.c, more[i].amount, 0, b));
    }
    if (r->graph_truncated)
        sb_printf(&x, "  truncated [label=\"graph truncated: too many edges recorded\", "
                      "shape=plaintext];\n");
    sb_printf(&x, "}\n");
    free(kids);
    free(kept);
    free(more);
    free(more_count);
    free(seen.v);
    free(queue.v);
    free(g.f);
    free(g.txs);
    free(g.txhop);
    free(g.fr);
    *out = x.b;
    *len = x.n;
    return 0;
}
