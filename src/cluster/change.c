/* change.c — change heuristics, output bitsets, consensus and spec parsing.
 *
 * Interpretations (METHODS §2.2 leaves these open):
 *  - "Uninformative" = the result contains every spendable output.  An empty
 *    result IS informative (e.g. no output has the inputs' type): it vetoes
 *    any change in the consensus.
 *  - The fresh, GraphSense and legacy rules demand "exactly one" qualifying
 *    output; when that fails they rule nothing out rather than everything.
 *  - GraphSense counts 2..10 spendable outputs (OP_RETURN is never change);
 *    "first seen in this block" is first_seen_block or first_seen.
 *  - Locktime: outputs whose spender is unknown (unspent, or not computed)
 *    cannot be ruled out; the rule is informative only if some spender is
 *    known and differs.
 */
#include "cluster/change.h"

#include <stdlib.h>
#include <string.h>

#include "btc/script.h"

/* ---- output sets -------------------------------------------------------- */

static size_t words_of(size_t n)
{
    return (n + 63) / 64;
}

static uint64_t *set_words(struct cs_outset *s)
{
    return s->heap ? s->heap : s->small;
}

static const uint64_t *set_cwords(const struct cs_outset *s)
{
    return s->heap ? s->heap : s->small;
}

int cs_outset_init(struct cs_outset *s, size_t n)
{
    memset(s, 0, sizeof *s);
    if (n > CS_OUTSET_MAX)
        return cs_error(CS_ERANGE, "output set: %zu outputs exceed the cap %u", n, CS_OUTSET_MAX);
    if (words_of(n) > CS_OUTSET_INLINE_WORDS) {
        s->heap = calloc(words_of(n), sizeof(uint64_t));
        if (!s->heap) return cs_error(CS_ENOMEM, "output set: no memory for %zu outputs", n);
    }
    s->n = n;
    return 0;
}

void cs_outset_free(struct cs_outset *s)
{
    free(s->heap);
    memset(s, 0, sizeof *s);
}

void cs_outset_clear(struct cs_outset *s)
{
    memset(set_words(s), 0, words_of(s->n) * sizeof(uint64_t));
}

void cs_outset_fill(struct cs_outset *s)
{
    uint64_t *w = set_words(s);
    size_t nw = words_of(s->n);
    for (size_t i = 0; i < nw; i++)
        w[i] = ~0ull;
    if (s->n % 64) w[nw - 1] = (1ull << (s->n % 64)) - 1;
}

void cs_outset_add(struct cs_outset *s, size_t i)
{
    if (i < s->n) set_words(s)[i / 64] |= 1ull << (i % 64);
}

void cs_outset_del(struct cs_outset *s, size_t i)
{
    if (i < s->n) set_words(s)[i / 64] &= ~(1ull << (i % 64));
}

int cs_outset_has(const struct cs_outset *s, size_t i)
{
    return i < s->n && (set_cwords(s)[i / 64] >> (i % 64) & 1);
}

size_t cs_outset_count(const struct cs_outset *s)
{
    const uint64_t *w = set_cwords(s);
    size_t c = 0;
    for (size_t i = 0; i < words_of(s->n); i++)
        c += (size_t)__builtin_popcountll(w[i]);
    return c;
}

size_t cs_outset_first(const struct cs_outset *s)
{
    const uint64_t *w = set_cwords(s);
    for (size_t i = 0; i < words_of(s->n); i++)
        if (w[i]) return i * 64 + (size_t)__builtin_ctzll(w[i]);
    return CS_OUTSET_NONE;
}

enum { OP_AND, OP_OR, OP_ANDNOT, OP_COPY };

static int set_op(struct cs_outset *dst, const struct cs_outset *a, int op)
{
    if (dst->n != a->n)
        return cs_error(CS_EUSAGE, "output sets over %zu and %zu outputs", dst->n, a->n);
    uint64_t *d = set_words(dst);
    const uint64_t *s = set_cwords(a);
    for (size_t i = 0; i < words_of(dst->n); i++) {
        switch (op) {
        case OP_AND:
            d[i] &= s[i];
            break;
        case OP_OR:
            d[i] |= s[i];
            break;
        case OP_ANDNOT:
            d[i] &= ~s[i];
            break;
        default:
            d[i] = s[i];
            break;
        }
    }
    return 0;
}

int cs_outset_and(struct cs_outset *dst, const struct cs_outset *a)
{
    return set_op(dst, a, OP_AND);
}
int cs_outset_or(struct cs_outset *dst, const struct cs_outset *a)
{
    return set_op(dst, a, OP_OR);
}
int cs_outset_andnot(struct cs_outset *dst, const struct cs_outset *a)
{
    return set_op(dst, a, OP_ANDNOT);
}
int cs_outset_copy(struct cs_outset *dst, const struct cs_outset *a)
{
    return set_op(dst, a, OP_COPY);
}

int cs_outset_equal(const struct cs_outset *a, const struct cs_outset *b)
{
    return a->n == b->n && !memcmp(set_cwords(a), set_cwords(b), words_of(a->n) * sizeof(uint64_t));
}

/* ---- helpers ------------------------------------------------------------ */

static int spendable(const struct cs_txv_out *o)
{
    return o->type != CS_ADDR_OPRETURN;
}

static size_t count_spendable(const struct cs_txv *tx)
{
    size_t c = 0;
    for (size_t i = 0; i < tx->n_out; i++)
        c += spendable(&tx->out[i]);
    return c;
}

static int check_set(const struct cs_txv *tx, const struct cs_outset *cand)
{
    if (cand->n != tx->n_out)
        return cs_error(CS_EUSAGE, "change: output set over %zu outputs for a tx with %zu", cand->n,
                        tx->n_out);
    return 0;
}

int cs_change_spendable(const struct cs_txv *tx, struct cs_outset *set)
{
    int rc = check_set(tx, set);
    if (rc) return rc;
    cs_outset_clear(set);
    for (size_t i = 0; i < tx->n_out; i++)
        if (spendable(&tx->out[i])) cs_outset_add(set, i);
    return 0;
}

int cs_change_informative(const struct cs_txv *tx, const struct cs_outset *cand)
{
    for (size_t i = 0; i < tx->n_out; i++)
        if (spendable(&tx->out[i]) && !cs_outset_has(cand, i)) return 1;
    return 0;
}

/* Smallest input value; UINT64_MAX without inputs. */
static uint64_t min_input(const struct cs_txv *tx)
{
    uint64_t m = UINT64_MAX;
    for (size_t i = 0; i < tx->n_in; i++)
        if (tx->in[i].value < m) m = tx->in[i].value;
    return m;
}

/* The script type shared by all inputs, or -1 (none or mixed). */
static int common_input_type(const struct cs_txv *tx)
{
    if (tx->coinbase || tx->n_in == 0) return -1;
    for (size_t i = 1; i < tx->n_in; i++)
        if (tx->in[i].type != tx->in[0].type) return -1;
    return tx->in[0].type;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Adds to set (if not NULL) the spendable outputs paying an input address;
 * returns how many there are. */
static size_t reused_outputs(const struct cs_txv *tx, struct cs_outset *set)
{
    if (tx->coinbase || tx->n_in == 0) return 0;
    uint32_t stack[256], *addrs = stack;
    if (tx->n_in > 256)
        addrs = cs_xmalloc(tx->n_in * sizeof *addrs); /* n_in bounded by the block */
    for (size_t i = 0; i < tx->n_in; i++)
        addrs[i] = tx->in[i].addr;
    qsort(addrs, tx->n_in, sizeof *addrs, cmp_u32);
    size_t hits = 0;
    for (size_t i = 0; i < tx->n_out; i++) {
        if (!spendable(&tx->out[i])) continue;
        if (bsearch(&tx->out[i].addr, addrs, tx->n_in, sizeof *addrs, cmp_u32)) {
            hits++;
            if (set) cs_outset_add(set, i);
        }
    }
    if (addrs != stack) free(addrs);
    return hits;
}

/* Leaves the single member i in cand, or every spendable output if i is NONE. */
static int single_or_all(const struct cs_txv *tx, size_t i, struct cs_outset *cand)
{
    if (i == CS_OUTSET_NONE) return cs_change_spendable(tx, cand);
    cs_outset_clear(cand);
    cs_outset_add(cand, i);
    return 0;
}

/* ---- heuristics --------------------------------------------------------- */

int cs_change_fresh(const struct cs_txv *tx, struct cs_outset *cand)
{
    int rc = check_set(tx, cand);
    if (rc) return rc;
    if (tx->coinbase || reused_outputs(tx, NULL) > 0) return cs_change_spendable(tx, cand);
    size_t found = CS_OUTSET_NONE, count = 0;
    for (size_t i = 0; i < tx->n_out; i++) {
        if (spendable(&tx->out[i]) && tx->out[i].first_seen) {
            found = i;
            count++;
        }
    }
    return single_or_all(tx, count == 1 ? found : CS_OUTSET_NONE, cand);
}

int cs_change_reuse(const struct cs_txv *tx, struct cs_outset *cand)
{
    int rc = check_set(tx, cand);
    if (rc) return rc;
    cs_outset_clear(cand);
    if (reused_outputs(tx, cand) == 0) return cs_change_spendable(tx, cand);
    return 0;
}

int cs_change_type(const struct cs_txv *tx, struct cs_outset *cand)
{
    int rc = check_set(tx, cand);
    if (rc) return rc;
    int type = common_input_type(tx);
    if (type < 0) return cs_change_spendable(tx, cand);
    cs_outset_clear(cand);
    for (size_t i = 0; i < tx->n_out; i++)
        if (spendable(&tx->out[i]) && tx->out[i].type == type) cs_outset_add(cand, i);
    return 0;
}

int cs_change_pow10(const struct cs_txv *tx, unsigned digits, struct cs_outset *cand)
{
    int rc = check_set(tx, cand);
    if (rc) return rc;
    if (digits < 1 || digits > 19)
        return cs_error(CS_EUSAGE, "change: power-of-ten digits %u outside 1..19", digits);
    if (tx->coinbase) return cs_change_spendable(tx, cand);
    uint64_t mod = 1;
    for (unsigned i = 0; i < digits; i++)
        mod *= 10; /* 10^19 < 2^64 */
    cs_outset_clear(cand);
    for (size_t i = 0; i < tx->n_out; i++)
        if (spendable(&tx->out[i]) && tx->out[i].value % mod != 0) cs_outset_add(cand, i);
    return 0;
}

int cs_change_optimal(const struct cs_txv *tx, struct cs_outset *cand)
{
    int rc = check_set(tx, cand);
    if (rc) return rc;
    if (tx->coinbase || tx->n_in == 0) return cs_change_spendable(tx, cand);
    uint64_t min_in = min_input(tx);
    cs_outset_clear(cand);
    for (size_t i = 0; i < tx->n_out; i++)
        if (spendable(&tx->out[i]) && tx->out[i].value < min_in) cs_outset_add(cand, i);
    return 0;
}

int cs_change_locktime(const struct cs_txv *tx, unsigned fp_mask, struct cs_outset *cand)
{
    int rc = check_set(tx, cand);
    if (rc) return rc;
    fp_mask &= ~(unsigned)CS_FP_KNOWN;
    if (tx->coinbase) return cs_change_spendable(tx, cand);
    unsigned own = cs_txv_fingerprint(tx) & fp_mask;
    cs_outset_clear(cand);
    for (size_t i = 0; i < tx->n_out; i++) {
        const struct cs_txv_out *o = &tx->out[i];
        if (!spendable(o)) continue;
        if (!(o->spender_fp & CS_FP_KNOWN) || (o->spender_fp & fp_mask) == own)
            cs_outset_add(cand, i);
    }
    return 0;
}

int cs_change_graphsense(const struct cs_txv *tx, struct cs_outset *cand)
{
    int rc = check_set(tx, cand);
    if (rc) return rc;
    size_t n_sp = count_spendable(tx);
    int type = common_input_type(tx);
    if (tx->coinbase || n_sp < 2 || n_sp > 10 || type < 0) return cs_change_spendable(tx, cand);
    uint64_t min_in = min_input(tx);
    size_t found = CS_OUTSET_NONE, count = 0;
    for (size_t i = 0; i < tx->n_out; i++) {
        const struct cs_txv_out *o = &tx->out[i];
        if (!spendable(o) || o->type != type || o->value % 1000 == 0 || o->value >= min_in ||
            !o->addr_in_le1 || !o->addr_out_le1 || !(o->first_seen || o->first_seen_block))
            continue;
        int once = 1; /* <= 10 outputs: a quadratic scan is cheapest */
        for (size_t j = 0; j < tx->n_out && once; j++)
            if (j != i && spendable(&tx->out[j]) && tx->out[j].addr == o->addr) once = 0;
        if (!once) continue;
        found = i;
        count++;
    }
    return single_or_all(tx, count == 1 ? found : CS_OUTSET_NONE, cand);
}

int cs_change_legacy(const struct cs_txv *tx, struct cs_outset *cand)
{
    int rc = check_set(tx, cand);
    if (rc) return rc;
    if (tx->coinbase || tx->n_in == 0 || count_spendable(tx) < 2 || cs_cj_generic(tx, NULL))
        return cs_change_spendable(tx, cand);
    uint64_t min_in = min_input(tx);
    size_t found = CS_OUTSET_NONE, count = 0;
    for (size_t i = 0; i < tx->n_out; i++) {
        const struct cs_txv_out *o = &tx->out[i];
        if (spendable(o) && o->value < min_in && o->first_seen) {
            found = i;
            count++;
        }
    }
    return single_or_all(tx, count == 1 ? found : CS_OUTSET_NONE, cand);
}

void cs_change_params_default(struct cs_change_params *p)
{
    p->pow10_digits = 6;
    p->fp_mask = CS_FP_LOCKTIME;
}

static const struct {
    unsigned bit;
    const char *name;
} change_names[] = {
    {CS_CH_FRESH, "fresh"},           {CS_CH_REUSE, "reuse"},     {CS_CH_TYPE, "type"},
    {CS_CH_POW10, "power10"},         {CS_CH_OPTIMAL, "optimal"}, {CS_CH_LOCKTIME, "locktime"},
    {CS_CH_GRAPHSENSE, "graphsense"}, {CS_CH_LEGACY, "legacy"},
};
#define N_CHANGE (sizeof change_names / sizeof change_names[0])

const char *cs_change_name(unsigned heuristic)
{
    for (size_t i = 0; i < N_CHANGE; i++)
        if (change_names[i].bit == heuristic) return change_names[i].name;
    return "?";
}

int cs_change_run(const struct cs_txv *tx, unsigned heuristic,
                  const struct cs_change_params *params, struct cs_outset *cand)
{
    struct cs_change_params def;
    if (!params) {
        cs_change_params_default(&def);
        params = &def;
    }
    switch (heuristic) {
    case CS_CH_FRESH:
        return cs_change_fresh(tx, cand);
    case CS_CH_REUSE:
        return cs_change_reuse(tx, cand);
    case CS_CH_TYPE:
        return cs_change_type(tx, cand);
    case CS_CH_POW10:
        return cs_change_pow10(tx, params->pow10_digits, cand);
    case CS_CH_OPTIMAL:
        return cs_change_optimal(tx, cand);
    case CS_CH_LOCKTIME:
        return cs_change_locktime(tx, params->fp_mask, cand);
    case CS_CH_GRAPHSENSE:
        return cs_change_graphsense(tx, cand);
    case CS_CH_LEGACY:
        return cs_change_legacy(tx, cand);
    default:
        return cs_error(CS_EUSAGE, "change: 0x%x is not one heuristic", heuristic);
    }
}

int cs_change_consensus(const struct cs_txv *tx, unsigned heuristics,
                        const struct cs_change_params *params, size_t *change,
                        unsigned *informative)
{
    *change = CS_OUTSET_NONE;
    if (informative) *informative = 0;
    if (tx->coinbase || !(heuristics & CS_CH_ALL)) return 0;
    struct cs_outset acc, cand;
    int rc = cs_outset_init(&acc, tx->n_out);
    if (rc) return rc;
    rc = cs_outset_init(&cand, tx->n_out);
    if (rc) {
        cs_outset_free(&acc);
        return rc;
    }
    unsigned used = 0;
    cs_outset_fill(&acc);
    for (size_t i = 0; i < N_CHANGE && rc == 0; i++) {
        if (!(heuristics & change_names[i].bit)) continue;
        rc = cs_change_run(tx, change_names[i].bit, params, &cand);
        if (rc == 0 && cs_change_informative(tx, &cand)) {
            used |= change_names[i].bit;
            rc = cs_outset_and(&acc, &cand);
        }
    }
    if (rc == 0) {
        if (used && cs_outset_count(&acc) == 1) *change = cs_outset_first(&acc);
        if (informative) *informative = used;
    }
    cs_outset_free(&acc);
    cs_outset_free(&cand);
    return rc;
}

/* ---- spec string -------------------------------------------------------- */

static const struct {
    unsigned flags;
    const char *name;
} cj_names[] = {
    {CS_CJ_GENERIC, "generic"},
    {CS_CJ_WASABI10, "wasabi-1.0"},
    {CS_CJ_WASABI11, "wasabi-1.1"},
    {CS_CJ_WASABI20, "wasabi-2.0"},
    {CS_CJ_WHIRLPOOL, "whirlpool"},
    {CS_CJ_TX0, "whirlpool-tx0"},
    {CS_CJ_JOINMARKET, "joinmarket"},
    {CS_CJ_STONEWALL_CONTROL, "stonewall-control"},
    {CS_CJ_EXCHANGE_CONTROL, "exchange-control"},
    {CS_CJ_DATE_GATE, "date-gate"},
    {CS_CJ_ALL_DETECTORS, "all"},
    {CS_CJ_DEFAULT, "default"},
    {0, "none"},
};
#define N_CJ (sizeof cj_names / sizeof cj_names[0])

static int word_is(const char *w, size_t len, const char *name)
{
    return strlen(name) == len && !memcmp(w, name, len);
}

static int bad_change_word(const char *w, size_t len)
{
    return cs_error(CS_EUSAGE,
                    "heuristic spec: unknown change heuristic '%.*s' (valid: fresh, reuse, "
                    "type, power10, power10=<1..19>, optimal, locktime, graphsense, legacy, all)",
                    (int)len, w);
}

static int parse_change_word(const char *w, size_t len, struct cs_cluster_spec *out)
{
    if (word_is(w, len, "all")) {
        out->change |= CS_CH_ALL;
        return 0;
    }
    for (size_t i = 0; i < N_CHANGE; i++) {
        if (word_is(w, len, change_names[i].name)) {
            out->change |= change_names[i].bit;
            return 0;
        }
    }
    if (len > 8 && !memcmp(w, "power10=", 8)) {
        unsigned d = 0;
        for (size_t i = 8; i < len; i++) {
            if (w[i] < '0' || w[i] > '9' || d > 19) return bad_change_word(w, len);
            d = d * 10 + (unsigned)(w[i] - '0');
        }
        if (d < 1 || d > 19) return bad_change_word(w, len);
        out->change |= CS_CH_POW10;
        out->params.pow10_digits = d;
        return 0;
    }
    return bad_change_word(w, len);
}

static int parse_cj_word(const char *w, size_t len, struct cs_cluster_spec *out)
{
    for (size_t i = 0; i < N_CJ; i++) {
        if (word_is(w, len, cj_names[i].name)) {
            out->coinjoin |= cj_names[i].flags;
            return 0;
        }
    }
    return cs_error(CS_EUSAGE,
                    "heuristic spec: unknown coinjoin rule '%.*s' (valid: generic, wasabi-1.0, "
                    "wasabi-1.1, wasabi-2.0, whirlpool, whirlpool-tx0, joinmarket, "
                    "stonewall-control, exchange-control, date-gate, all, default, none)",
                    (int)len, w);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Parses "a+b+c" in [p, end) with one word parser. */
static int parse_list(const char *p, const char *end, struct cs_cluster_spec *out,
                      int (*word)(const char *, size_t, struct cs_cluster_spec *))
{
    if (p == end) return cs_error(CS_EUSAGE, "heuristic spec: empty list after ':'");
    while (p <= end) {
        const char *q = p;
        while (q < end && *q != '+')
            q++;
        const char *a = p, *b = q;
        while (a < b && is_space(*a))
            a++;
        while (b > a && is_space(b[-1]))
            b--;
        if (a == b) return cs_error(CS_EUSAGE, "heuristic spec: empty name in a '+' list");
        int rc = word(a, (size_t)(b - a), out);
        if (rc) return rc;
        p = q + 1;
    }
    return 0;
}

int cs_cluster_spec_parse(const char *spec, struct cs_cluster_spec *out)
{
    memset(out, 0, sizeof *out);
    cs_change_params_default(&out->params);
    out->coinjoin = CS_CJ_DEFAULT;
    if (!spec) return cs_error(CS_EUSAGE, "heuristic spec: missing");
    int cj_seen = 0;
    const char *p = spec, *end = spec + strlen(spec);
    while (p <= end) {
        const char *q = p;
        while (q < end && *q != ',')
            q++;
        const char *a = p, *b = q;
        while (a < b && is_space(*a))
            a++;
        while (b > a && is_space(b[-1]))
            b--;
        p = q + 1;
        if (a == b) return cs_error(CS_EUSAGE, "heuristic spec '%s': empty item", spec);
        size_t len = (size_t)(b - a);
        int rc = 0;
        if (word_is(a, len, "multi-input")) {
            out->multi_input = 1;
        } else if (word_is(a, len, "none")) {
            /* nothing enabled by this item */
        } else if (len >= 7 && !memcmp(a, "change:", 7)) {
            rc = parse_list(a + 7, b, out, parse_change_word);
        } else if (len >= 9 && !memcmp(a, "coinjoin:", 9)) {
            if (!cj_seen) out->coinjoin = 0; /* an explicit list replaces the default */
            cj_seen = 1;
            rc = parse_list(a + 9, b, out, parse_cj_word);
        } else {
            rc = cs_error(CS_EUSAGE,
                          "heuristic spec: unknown item '%.*s' (valid: multi-input, "
                          "change:<fresh+reuse+type+power10+optimal+locktime+graphsense+legacy|"
                          "all>, coinjoin:<rules>, none)",
                          (int)len, a);
        }
        if (rc) return rc;
    }
    return 0;
}
