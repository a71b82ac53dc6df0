/* ingest_csv.c — ethereum-etl export directories into the EVM store (see
 * ingest.h for what is read and what becomes a transfer).
 *
 * Each file is read whole and parsed into typed rows (bounded fields: a
 * field over CSV_FIELD_MAX bytes is an error naming its line), the rows are
 * sorted by (block, position) and then merged block by block.  Transactions
 * are found by hash through a sorted index, so token transfers and traces
 * may come in any order. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "evm/ingest.h"
#include "evm/ledger.h"
#include "evm/store.h"
#include "util/codec.h"
#include "util/csv.h"
#include "util/json.h"

#define CSV_FIELD_MAX (1u << 24) /* a block's withdrawals list, an input blob */
#define CSV_FILE_MAX (64ull << 30)

struct table {
    const char *file; /* "blocks.csv" */
    char path[4200];
    char *data;
    size_t len;
    struct cs_csv v;
    char *f[CS_CSV_MAX_FIELDS];
    int nf;
    unsigned line;
    int col[24]; /* header positions of the wanted columns, -1 = absent */
};

/* ---- reading ---- */

static int table_open(struct table *t, const char *dir, const char *file, int *present)
{
    memset(t, 0, sizeof *t);
    t->file = file;
    snprintf(t->path, sizeof t->path, "%s/%s", dir, file);
    int fd = open(t->path, O_RDONLY | O_CLOEXEC);
    *present = fd >= 0;
    if (fd < 0) return errno == ENOENT ? 0 : cs_error(CS_EIO, "%s: %s", t->path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) || (uint64_t)st.st_size > CSV_FILE_MAX) {
        close(fd);
        return cs_error(CS_EIO, "%s: cannot read (or larger than 64 GiB)", t->path);
    }
    t->len = (size_t)st.st_size;
    t->data = malloc(t->len + 1);
    if (!t->data) {
        close(fd);
        return cs_error(CS_ENOMEM, "%s: %zu bytes", t->path, t->len);
    }
    size_t got = 0;
    while (got < t->len) {
        ssize_t k = read(fd, t->data + got, t->len - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            close(fd);
            return cs_error(CS_EIO, "%s: read: %s", t->path, k ? strerror(errno) : "file shrank");
        }
        got += (size_t)k;
    }
    close(fd);
    cs_csv_init(&t->v, t->data, t->len, CSV_FIELD_MAX);
    return 0;
}

static void table_close(struct table *t)
{
    cs_csv_free(&t->v);
    free(t->data);
    t->data = NULL;
}

/* Reads the header and finds each wanted column; required[i] says whether a
 * missing column i is an error. */
static int table_header(struct table *t, const char *const *names, const int *required, int n)
{
    int rc = cs_csv_next(&t->v, t->path, t->f, &t->nf, &t->line);
    if (rc < 0) return rc;
    if (rc == 0) return cs_error(CS_EFORMAT, "%s: empty (no header line)", t->path);
    for (int i = 0; i < n; i++) {
        t->col[i] = -1;
        for (int j = 0; j < t->nf; j++)
            if (!strcmp(t->f[j], names[i])) t->col[i] = j;
        if (t->col[i] < 0 && required[i])
            return cs_error(CS_EFORMAT, "%s: line 1: no column '%s' in the header", t->path,
                            names[i]);
    }
    return 0;
}

/* Next data row: 1, 0 at the end, or an error naming the line. */
static int table_row(struct table *t)
{
    for (;;) {
        int rc = cs_csv_next(&t->v, t->path, t->f, &t->nf, &t->line);
        if (rc <= 0) return rc;
        if (t->v.bad_field >= 0)
            return cs_error(CS_EFORMAT, "%s: line %u: column %d %s", t->path, t->line,
                            t->v.bad_field + 1,
                            t->v.bad_nul ? "holds a NUL byte" : "is longer than 16 MiB");
        if (t->nf == 1 && !t->f[0][0]) continue; /* blank line */
        return 1;
    }
}

static const char *cell(const struct table *t, int i)
{
    int c = t->col[i];
    return c >= 0 && c < t->nf ? t->f[c] : "";
}

static int bad(const struct table *t, const char *col, const char *what)
{
    return cs_error(CS_EFORMAT, "%s: line %u: column %s: %s", t->path, t->line, col, what);
}

static int get_u64(const struct table *t, int i, const char *col, uint64_t *out)
{
    const char *s = cell(t, i);
    if (!*s) return bad(t, col, "empty");
    if (!strncmp(s, "0x", 2)) {
        struct cs_u256 v;
        if (cs_u256_from_hex(&v, s, strlen(s)) || cs_u256_to_u64(out, &v))
            return bad(t, col, "not a 64-bit number");
        return 0;
    }
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return bad(t, col, "not a 64-bit decimal number");
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    return 0;
}

static int get_u256(const struct table *t, int i, const char *col, struct cs_u256 *out)
{
    const char *s = cell(t, i);
    size_t n = strlen(s);
    if (!n) return bad(t, col, "empty");
    int rc = !strncmp(s, "0x", 2) ? cs_u256_from_hex(out, s, n) : cs_u256_from_dec(out, s, n);
    return rc ? bad(t, col, "not an amount below 2^256") : 0;
}

static int get_hash(const struct table *t, int i, const char *col, uint8_t out[32])
{
    const char *s = cell(t, i);
    if (strlen(s) != 66 || s[0] != '0' || s[1] != 'x' || cs_unhex(out, 32, s + 2, 64) != 0)
        return bad(t, col, "not a 32-byte 0x hash");
    return 0;
}

static int get_addr(const struct table *t, int i, const char *col, uint8_t out[20])
{
    if (cs_evm_addr_parse(cell(t, i), out)) return bad(t, col, cs_errmsg());
    return 0;
}

/* ---- typed rows ---- */

struct blk {
    struct cs_evm_block_in b;
    char *withdrawals; /* the raw JSON objects, or NULL */
    uint64_t n_tx_declared;
    int has_base_fee;
};

struct tx {
    struct cs_evm_tx_in t;
    uint64_t block, index;
    uint64_t gas_price_declared;
    int has_receipt;
};

struct rcpt {
    uint8_t hash[32], contract[20];
    int has_contract, has_egp, status_known;
    uint64_t block, index, gas_used, egp, status;
};

struct trace {
    struct cs_evm_frame f; /* kind: CS_XK_INTERNAL, _SELFDESTRUCT, _REWARD, or 0 = moves nothing */
    uint8_t hash[32];
    int has_tx, has_from, has_to;
    uint64_t block, row;
};

struct vec {
    void *p;
    size_t n, cap, sz;
};

static void *vec_push(struct vec *v)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 256;
        v->p = cs_xrealloc(v->p, v->cap * v->sz);
    }
    void *e = (char *)v->p + v->n * v->sz;
    memset(e, 0, v->sz);
    v->n++;
    return e;
}

static int cmp_blk(const void *a, const void *b)
{
    uint64_t x = ((const struct blk *)a)->b.number, y = ((const struct blk *)b)->b.number;
    return x < y ? -1 : x > y;
}

static int cmp_tx(const void *a, const void *b)
{
    const struct tx *x = a, *y = b;
    if (x->block != y->block) return x->block < y->block ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_tok(const void *a, const void *b)
{
    const struct cs_evm_move *x = a, *y = b;
    if (x->block != y->block) return x->block < y->block ? -1 : 1;
    if (x->log_index != y->log_index) return x->log_index < y->log_index ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int cmp_log(const void *a, const void *b)
{
    const struct cs_evm_log *x = a, *y = b;
    if (x->block != y->block) return x->block < y->block ? -1 : 1;
    return x->log_index < y->log_index ? -1 : x->log_index > y->log_index;
}

static int cmp_trace(const void *a, const void *b)
{
    const struct trace *x = a, *y = b;
    if (x->block != y->block) return x->block < y->block ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* tx hash -> position in the sorted tx array */
struct hpos {
    uint8_t hash[32];
    size_t pos;
};

static int cmp_hpos(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static void sort_vec(struct vec *v, int (*cmp)(const void *, const void *));

static const struct hpos *find_hash(const struct vec *idx, const uint8_t hash[32])
{
    return idx->n ? bsearch(hash, idx->p, idx->n, sizeof(struct hpos), cmp_hpos) : NULL;
}

/* qsort of a vector that may be empty (and then NULL) */
static void sort_vec(struct vec *v, int (*cmp)(const void *, const void *))
{
    if (v->n > 1) qsort(v->p, v->n, v->sz, cmp);
}

/* ---- the tables ---- */

static int read_blocks(const char *dir, struct vec *out, uint64_t *bytes)
{
    static const char *const N[] = {
        "number",     "hash",     "parent_hash",      "miner",
        "timestamp",  "gas_used", "base_fee_per_gas", "transaction_count",
        "withdrawals"};
    static const int R[] = {1, 1, 1, 1, 1, 1, 0, 0, 0};
    struct table t;
    int present, rc = table_open(&t, dir, "blocks.csv", &present);
    if (!rc && !present)
        rc = cs_error(CS_ENOTFOUND, "%s/blocks.csv: missing (an ethereum-etl export has it)", dir);
    if (!rc) rc = table_header(&t, N, R, 9);
    while (!rc && (rc = table_row(&t)) > 0) {
        struct blk *b = vec_push(out);
        rc = get_u64(&t, 0, N[0], &b->b.number);
        if (!rc) rc = get_hash(&t, 1, N[1], b->b.hash);
        if (!rc) rc = get_hash(&t, 2, N[2], b->b.parent);
        if (!rc) rc = get_addr(&t, 3, N[3], b->b.miner);
        if (!rc) rc = get_u64(&t, 4, N[4], &b->b.timestamp);
        if (!rc) rc = get_u64(&t, 5, N[5], &b->b.gas_used);
        if (!rc && *cell(&t, 6)) {
            b->has_base_fee = 1;
            rc = get_u64(&t, 6, N[6], &b->b.base_fee);
        }
        if (!rc && *cell(&t, 7)) rc = get_u64(&t, 7, N[7], &b->n_tx_declared);
        if (!rc && *cell(&t, 8)) {
            size_t n = strlen(cell(&t, 8));
            b->withdrawals = cs_xmalloc(n + 3);
            b->withdrawals[0] = '[';
            memcpy(b->withdrawals + 1, cell(&t, 8), n);
            memcpy(b->withdrawals + 1 + n, "]", 2);
        }
    }
    *bytes += t.len;
    table_close(&t);
    return rc < 0 ? rc : 0;
}

static int read_txs(const char *dir, struct vec *out, int *present, uint64_t *bytes)
{
    static const char *const N[] = {
        "hash",       "nonce", "block_number", "transaction_index", "from_address",
        "to_address", "value", "gas_price",    "transaction_type"};
    static const int R[] = {1, 1, 1, 1, 1, 1, 1, 1, 0};
    struct table t;
    int rc = table_open(&t, dir, "transactions.csv", present);
    if (!rc && *present) rc = table_header(&t, N, R, 9);
    while (!rc && *present && (rc = table_row(&t)) > 0) {
        struct tx *x = vec_push(out);
        uint64_t type = 0;
        rc = get_hash(&t, 0, N[0], x->t.hash);
        if (!rc) rc = get_u64(&t, 1, N[1], &x->t.nonce);
        if (!rc) rc = get_u64(&t, 2, N[2], &x->block);
        if (!rc) rc = get_u64(&t, 3, N[3], &x->index);
        if (!rc) rc = get_addr(&t, 4, N[4], x->t.from);
        if (!rc && *cell(&t, 5)) {
            x->t.has_to = 1;
            rc = get_addr(&t, 5, N[5], x->t.to);
        }
        if (!rc) rc = get_u256(&t, 6, N[6], &x->t.value);
        if (!rc) rc = get_u64(&t, 7, N[7], &x->gas_price_declared);
        if (!rc && *cell(&t, 8)) rc = get_u64(&t, 8, N[8], &type);
        if (!rc && type > 255) rc = bad(&t, N[8], "above 255");
        x->t.type = (uint8_t)type;
    }
    *bytes += t.len;
    table_close(&t);
    return rc < 0 ? rc : 0;
}

static int read_receipts(const char *dir, struct vec *out, int *present, uint64_t *bytes)
{
    static const char *const N[] = {"transaction_hash",   "block_number",     "transaction_index",
                                    "gas_used",           "contract_address", "status",
                                    "effective_gas_price"};
    static const int R[] = {1, 1, 1, 1, 1, 1, 0};
    struct table t;
    int rc = table_open(&t, dir, "receipts.csv", present);
    if (!rc && *present) rc = table_header(&t, N, R, 7);
    while (!rc && *present && (rc = table_row(&t)) > 0) {
        struct rcpt *r = vec_push(out);
        rc = get_hash(&t, 0, N[0], r->hash);
        if (!rc) rc = get_u64(&t, 1, N[1], &r->block);
        if (!rc) rc = get_u64(&t, 2, N[2], &r->index);
        if (!rc) rc = get_u64(&t, 3, N[3], &r->gas_used);
        if (!rc && *cell(&t, 4)) {
            r->has_contract = 1;
            rc = get_addr(&t, 4, N[4], r->contract);
        }
        if (!rc && *cell(&t, 5)) { /* empty before Byzantium (a state root instead) */
            r->status_known = 1;
            rc = get_u64(&t, 5, N[5], &r->status);
            if (!rc && r->status > 1) rc = bad(&t, N[5], "neither 0 nor 1");
        }
        if (!rc && *cell(&t, 6)) {
            r->has_egp = 1;
            rc = get_u64(&t, 6, N[6], &r->egp);
        }
    }
    *bytes += t.len;
    table_close(&t);
    return rc < 0 ? rc : 0;
}

static int read_token_transfers(const char *dir, struct vec *out, int *present, uint64_t *bytes)
{
    static const char *const N[] = {"token_address",    "from_address", "to_address",  "value",
                                    "transaction_hash", "log_index",    "block_number"};
    static const int R[] = {1, 1, 1, 1, 1, 1, 1};
    struct table t;
    int rc = table_open(&t, dir, "token_transfers.csv", present);
    if (!rc && *present) rc = table_header(&t, N, R, 7);
    while (!rc && *present && (rc = table_row(&t)) > 0) {
        struct cs_evm_move *x = vec_push(out);
        rc = get_addr(&t, 0, N[0], x->token);
        if (!rc) rc = get_addr(&t, 1, N[1], x->from);
        if (!rc) rc = get_addr(&t, 2, N[2], x->to);
        if (!rc) rc = get_u256(&t, 3, N[3], &x->value);
        if (!rc) rc = get_hash(&t, 4, N[4], x->tx_hash);
        if (!rc) rc = get_u64(&t, 5, N[5], &x->log_index);
        if (!rc) rc = get_u64(&t, 6, N[6], &x->block);
        x->kind = CS_XK_ERC20; /* until logs.csv says it is ERC-721 */
        x->flags = CS_XF_KIND_GUESS;
        x->has_from = x->has_to = 1;
    }
    *bytes += t.len;
    table_close(&t);
    return rc < 0 ? rc : 0;
}

static int read_traces(const char *dir, struct vec *out, int *present, uint64_t *bytes)
{
    static const char *const N[] = {
        "block_number", "transaction_hash", "from_address",  "to_address", "value",
        "trace_type",   "call_type",        "trace_address", "status"};
    static const int R[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    struct table t;
    int rc = table_open(&t, dir, "traces.csv", present);
    if (!rc && *present) rc = table_header(&t, N, R, 9);
    uint64_t rows = 0;
    while (!rc && *present && (rc = table_row(&t)) > 0) {
        struct trace *x = vec_push(out);
        x->row = rows++;
        const char *type = cell(&t, 5), *call = cell(&t, 6), *where = cell(&t, 7);
        uint64_t status = 0;
        rc = get_u64(&t, 0, N[0], &x->block);
        if (!rc && *cell(&t, 1)) {
            x->has_tx = 1;
            rc = get_hash(&t, 1, N[1], x->hash);
        }
        if (!rc && *cell(&t, 2)) {
            x->has_from = 1;
            rc = get_addr(&t, 2, N[2], x->f.from);
        }
        if (!rc && *cell(&t, 3)) {
            x->has_to = 1;
            rc = get_addr(&t, 3, N[3], x->f.to);
        }
        if (!rc && *cell(&t, 4)) rc = get_u256(&t, 4, N[4], &x->f.value);
        if (!rc) rc = get_u64(&t, 8, N[8], &status);
        if (rc) break;
        /* what moves value: successful inner call frames of type call (not
         * delegatecall, callcode or staticcall), creates and selfdestructs,
         * and rewards; the top-level frame (empty trace_address) is the
         * transaction's own value */
        if (status != 1 || cs_u256_is_zero(&x->f.value)) continue;
        if (!strcmp(type, "reward"))
            x->f.kind = CS_XK_REWARD;
        else if (!*where || !x->has_tx)
            continue;
        else if (!strcmp(type, "suicide"))
            x->f.kind = CS_XK_SELFDESTRUCT;
        else if (!strcmp(type, "create") || (!strcmp(type, "call") && !strcmp(call, "call")))
            x->f.kind = CS_XK_INTERNAL;
        if (x->f.kind != CS_XK_REWARD && (!x->has_from || !x->has_to))
            rc = bad(&t, "from_address/to_address", "empty in a value-moving frame");
        if (x->f.kind == CS_XK_REWARD && !x->has_to) rc = bad(&t, N[3], "empty in a reward");
    }
    *bytes += t.len;
    table_close(&t);
    return rc < 0 ? rc : 0;
}

/* topics as ethereum-etl writes them: 0x-words joined by commas */
static int parse_topics(const struct table *t, const char *s, struct cs_evm_log *l)
{
    l->ntopics = 0;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n != 66 || s[0] != '0' || s[1] != 'x')
            return bad(t, "topics", "not a list of 32-byte 0x words");
        if (l->ntopics < 4 && cs_unhex(l->topic[l->ntopics], 32, s + 2, 64))
            return bad(t, "topics", "not hex");
        l->ntopics++;
        s += n + (e != NULL);
    }
    return 0;
}

static int read_logs(const char *dir, const struct cs_evm_logsel *sel, struct vec *out,
                     int *present, uint64_t *bytes)
{
    static const char *const N[] = {
        "log_index", "transaction_hash", "block_number", "address", "data", "topics"};
    static const int R[] = {1, 1, 1, 1, 1, 1};
    struct table t;
    int rc = table_open(&t, dir, "logs.csv", present);
    if (!rc && *present) rc = table_header(&t, N, R, 6);
    while (!rc && *present && (rc = table_row(&t)) > 0) {
        struct cs_evm_log *l = vec_push(out);
        rc = get_u64(&t, 0, N[0], &l->log_index);
        if (!rc) rc = get_hash(&t, 1, N[1], l->tx_hash);
        if (!rc) rc = get_u64(&t, 2, N[2], &l->block);
        if (!rc) rc = get_addr(&t, 3, N[3], l->addr);
        if (!rc) rc = parse_topics(&t, cell(&t, 5), l);
        const char *d = cell(&t, 4);
        size_t n = strlen(d);
        if (!rc && (n < 2 || d[0] != '0' || d[1] != 'x' || n % 2))
            rc = bad(&t, N[4], "not 0x-prefixed hex bytes");
        if (!rc && n >= 66) {
            uint8_t w[32];
            if (cs_unhex(w, 32, d + 2, 64) || cs_u256_from_be_var(&l->word0, w, 32))
                rc = bad(&t, N[4], "not hex");
            l->has_word0 = 1;
        }
        l->data = NULL;
        if (!rc && cs_evm_log_data_hex(l, sel, d, n)) rc = bad(&t, N[4], "not hex");
    }
    *bytes += t.len;
    table_close(&t);
    return rc < 0 ? rc : 0;
}

/* The events logs.csv adds: ERC-721 told apart from ERC-20 in
 * token_transfers.csv (4 topics), wraps and unwraps of the chain's canonical
 * wrapper, and, when token_transfers.csv is absent, the Transfer events. */
static void apply_logs(struct vec *logs, struct vec *toks, int have_tok, const uint8_t weth[20])
{
    sort_vec(logs, cmp_log);
    struct cs_evm_log *L = logs->p;
    size_t ntok = toks->n;
    for (size_t i = 0; i < ntok; i++) {
        struct cs_evm_move *k = (struct cs_evm_move *)toks->p + i;
        struct cs_evm_log key;
        key.block = k->block;
        key.log_index = k->log_index;
        const struct cs_evm_log *l = logs->n ? bsearch(&key, L, logs->n, sizeof *L, cmp_log) : NULL;
        if (!l) continue;
        k->flags &= (uint8_t)~CS_XF_KIND_GUESS;
        if (l->ntopics == 4) k->kind = CS_XK_ERC721;
    }
    struct cs_evm_move *mv = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < logs->n; i++) {
        size_t nm = 0;
        cs_evm_log_moves(&L[i], weth, !have_tok, &mv, &nm, &cap);
        for (size_t j = 0; j < nm; j++)
            *(struct cs_evm_move *)vec_push(toks) = mv[j];
    }
    free(mv);
}

static int read_tokens(const char *dir, struct vec *out, int *present, uint64_t *bytes)
{
    static const char *const N[] = {"address", "symbol", "name", "decimals"};
    static const int R[] = {1, 1, 1, 1};
    struct table t;
    int rc = table_open(&t, dir, "tokens.csv", present);
    if (!rc && *present) rc = table_header(&t, N, R, 4);
    while (!rc && *present && (rc = table_row(&t)) > 0) {
        struct cs_evm_token_in *k = vec_push(out);
        rc = get_addr(&t, 0, N[0], k->addr);
        k->kind = CS_XK_ERC20;
        snprintf(k->symbol, sizeof k->symbol, "%s", cell(&t, 1));
        snprintf(k->name, sizeof k->name, "%s", cell(&t, 2));
        uint64_t d;
        if (!rc && *cell(&t, 3) && get_u64(&t, 3, N[3], &d) == 0 && d <= 77) {
            k->decimals = (uint8_t)d;
            k->has_decimals = 1;
        }
    }
    *bytes += t.len;
    table_close(&t);
    return rc < 0 ? rc : 0;
}

/* ---- assembling one block ---- */

static int withdrawals(const struct blk *b, const char *dir, struct cs_evm_builder *xf)
{
    struct cs_json_doc doc = {0};
    struct cs_json_limits lim = {0, 0, "blocks.csv withdrawals"};
    int rc = cs_json_parse(&doc, b->withdrawals, strlen(b->withdrawals), &lim);
    if (rc)
        return cs_error(CS_EFORMAT, "%s/blocks.csv: block %llu: withdrawals: %s", dir,
                        (unsigned long long)b->b.number, cs_errmsg());
    const struct cs_json *arr = doc.root;
    for (size_t i = 0; !rc && arr->type == CS_JSON_ARRAY && i < arr->len; i++) {
        const struct cs_json *w = cs_json_at(arr, i);
        const char *addr;
        size_t alen;
        uint64_t gwei;
        uint8_t a[20];
        char as[64];
        if (cs_json_obj_str(w, "address", &addr, &alen) || alen >= sizeof as ||
            cs_json_obj_u64(w, "amount", &gwei)) {
            rc = cs_error(CS_EFORMAT,
                          "%s/blocks.csv: block %llu: withdrawal %zu lacks address "
                          "or amount",
                          dir, (unsigned long long)b->b.number, i);
            break;
        }
        memcpy(as, addr, alen);
        as[alen] = 0;
        if (cs_evm_addr_parse(as, a)) {
            rc = cs_error(CS_EFORMAT, "%s/blocks.csv: block %llu: withdrawal %zu: %s", dir,
                          (unsigned long long)b->b.number, i, cs_errmsg());
            break;
        }
        struct cs_u256 g = cs_u256_from_u64(gwei), k = cs_u256_from_u64(1000000000), wei;
        if (cs_u256_mul(&wei, &g, &k)) BUG("Gwei times 10^9 overflows");
        cs_evm_block_transfer(xf, CS_XK_WITHDRAWAL, a, &wei);
    }
    cs_json_doc_free(&doc);
    return rc;
}

int cs_evm_ingest_csv(const char *dir, const char *db, const char *chain,
                      const struct cs_evm_logsel *logsel, unsigned commit_blocks, int progress,
                      volatile sig_atomic_t *stop, struct cs_evm_ingest_stats *st)
{
    struct cs_evm_logbuf kb = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(st, 0, sizeof *st);
    st->first = st->last = -1;
    struct vec blks = {.sz = sizeof(struct blk)}, txs = {.sz = sizeof(struct tx)},
               rcs = {.sz = sizeof(struct rcpt)}, toks = {.sz = sizeof(struct cs_evm_move)},
               trs = {.sz = sizeof(struct trace)}, tokd = {.sz = sizeof(struct cs_evm_token_in)},
               hidx = {.sz = sizeof(struct hpos)}, frames = {.sz = sizeof(struct cs_evm_frame)},
               logs = {.sz = sizeof(struct cs_evm_log)};
    struct cs_evm_builder bld = {0};
    struct vec txin = {.sz = sizeof(struct cs_evm_tx_in)};
    int have_tx = 0, have_rc = 0, have_tok = 0, have_tr = 0, have_tokd = 0, have_logs = 0;
    const struct cs_evm_chain *ch = cs_evm_chain_find(chain);
    uint8_t weth[20] = {0};
    if (!ch || (ch->wrapped && cs_evm_addr_parse(ch->wrapped, weth)))
        return cs_error(CS_EUSAGE, "chain '%s' is not an EVM chain this build knows", chain);
    struct cs_evm *s = NULL;
    int rc = read_blocks(dir, &blks, &st->bytes);
    if (!rc) rc = read_txs(dir, &txs, &have_tx, &st->bytes);
    if (!rc) rc = read_receipts(dir, &rcs, &have_rc, &st->bytes);
    if (!rc) rc = read_token_transfers(dir, &toks, &have_tok, &st->bytes);
    if (!rc) rc = read_traces(dir, &trs, &have_tr, &st->bytes);
    if (!rc) rc = read_tokens(dir, &tokd, &have_tokd, &st->bytes);
    if (!rc) rc = read_logs(dir, logsel, &logs, &have_logs, &st->bytes);
    if (rc) goto done;
    if (have_logs) apply_logs(&logs, &toks, have_tok, weth);
    snprintf(st->missing, sizeof st->missing, "%s%s%s%s%s%s", have_tx ? "" : "transactions.csv,",
             have_rc ? "" : "receipts.csv,", have_tok ? "" : "token_transfers.csv,",
             have_tr ? "" : "traces.csv,", have_tokd ? "" : "tokens.csv,",
             have_logs ? "" : "logs.csv,");
    if (st->missing[0]) st->missing[strlen(st->missing) - 1] = 0;
    struct blk *B = blks.p;
    struct tx *T = txs.p;
    struct rcpt *R = rcs.p;
    struct cs_evm_move *K = toks.p;
    struct trace *X = trs.p;
    sort_vec(&blks, cmp_blk);
    sort_vec(&txs, cmp_tx);
    sort_vec(&toks, cmp_tok);
    sort_vec(&trs, cmp_trace);
    for (size_t i = 0; i < txs.n; i++) {
        struct hpos *h = vec_push(&hidx);
        memcpy(h->hash, T[i].t.hash, 32);
        h->pos = i;
    }
    sort_vec(&hidx, cmp_hpos);
    for (size_t i = 1; i < hidx.n; i++)
        if (!memcmp(((struct hpos *)hidx.p)[i].hash, ((struct hpos *)hidx.p)[i - 1].hash, 32)) {
            char hex[65];
            cs_hex(hex, ((struct hpos *)hidx.p)[i].hash, 32);
            rc = cs_error(CS_EFORMAT, "%s/transactions.csv: transaction 0x%s appears twice", dir,
                          hex);
            goto done;
        }
    /* receipts onto their transactions */
    for (size_t i = 0; i < rcs.n; i++) {
        const struct hpos *h = find_hash(&hidx, R[i].hash);
        char hex[65];
        if (!h) {
            cs_hex(hex, R[i].hash, 32);
            rc = cs_error(CS_EFORMAT,
                          "%s/receipts.csv: receipt of 0x%s, which transactions.csv "
                          "does not hold",
                          dir, hex);
            goto done;
        }
        struct tx *x = &T[h->pos];
        x->has_receipt = 1;
        x->t.gas_used = R[i].gas_used;
        x->t.gas_price = R[i].has_egp ? R[i].egp : x->gas_price_declared;
        x->t.status = R[i].status_known ? (uint8_t)R[i].status : CS_ETX_UNKNOWN;
        if (R[i].has_contract) {
            x->t.has_created = 1;
            memcpy(x->t.created, R[i].contract, 20);
        }
    }
    if ((rc = cs_evm_open(&s, db, chain, CS_EVM_WRITE))) goto done;
    size_t ti = 0, ki = 0, xi = 0, li = 0;
    const struct cs_evm_log *LG = logs.p;
    unsigned since_commit = 0;
    int tokens_added = 0;
    for (size_t bi = 0; bi < blks.n; bi++) {
        struct blk *b = &B[bi];
        uint64_t n = b->b.number;
        size_t t_first = ti;
        while (ti < txs.n && T[ti].block < n)
            ti++;
        if (ti > t_first) {
            char hex[65];
            cs_hex(hex, T[t_first].t.hash, 32);
            rc = cs_error(CS_EFORMAT,
                          "%s/transactions.csv: transaction 0x%s is in block %llu, "
                          "which blocks.csv does not hold",
                          dir, hex, (unsigned long long)T[t_first].block);
            goto done;
        }
        while (ti < txs.n && T[ti].block == n)
            ti++;
        size_t ntx = ti - t_first;
        while (ki < toks.n && K[ki].block < n)
            ki++;
        size_t k_first = ki;
        while (ki < toks.n && K[ki].block == n)
            ki++;
        while (xi < trs.n && X[xi].block < n)
            xi++;
        size_t x_first = xi;
        while (xi < trs.n && X[xi].block == n)
            xi++;
        if (have_tx && b->n_tx_declared != ntx && b->n_tx_declared) {
            rc = cs_error(CS_EFORMAT,
                          "%s/blocks.csv: block %llu declares %llu transactions, "
                          "transactions.csv holds %zu",
                          dir, (unsigned long long)n, (unsigned long long)b->n_tx_declared, ntx);
            goto done;
        }
        /* already in the store: must be the same block */
        const struct cs_evm_counts *k = cs_evm_counts(s);
        uint64_t row;
        if (k->blocks && cs_evm_find_block(s, n, &row) == 0) {
            if (memcmp(cs_evm_block(s, row)->hash, b->b.hash, 32)) {
                rc = cs_error(CS_ECONSENSUS,
                              "%s/blocks.csv: block %llu differs from the stored "
                              "one (CSV ingest does not roll back)",
                              dir, (unsigned long long)n);
                goto done;
            }
            st->skipped++;
            continue;
        }
        txin.n = bld.n = 0;
        int receipts = have_tx && have_rc;
        for (size_t i = t_first; i < ti; i++) {
            struct tx *x = &T[i];
            if (x->index != i - t_first) {
                rc =
                    cs_error(CS_EFORMAT,
                             "%s/transactions.csv: block %llu: transaction_index "
                             "%llu where %zu was expected",
                             dir, (unsigned long long)n, (unsigned long long)x->index, i - t_first);
                goto done;
            }
            if (!x->has_receipt) {
                receipts = 0;
                x->t.status = CS_ETX_UNKNOWN;
            }
            *(struct cs_evm_tx_in *)vec_push(&txin) = x->t;
        }
        b->b.flags = (b->has_base_fee ? CS_EB_BASEFEE : 0) | (receipts ? CS_EB_RECEIPTS : 0) |
                     (have_tr ? CS_EB_INTERNAL : 0) | (have_tok || have_logs ? CS_EB_TOKENS : 0);
        size_t kk = k_first, xx = x_first;
        for (size_t i = t_first; i < ti; i++) {
            const struct tx *x = &T[i];
            uint32_t idx = (uint32_t)(i - t_first);
            frames.n = 0;
            for (; xx < xi; xx++) {
                if (!X[xx].has_tx) continue; /* rewards: after the transactions */
                const struct hpos *h = find_hash(&hidx, X[xx].hash);
                if (!h || h->pos < i) {
                    char hex[65];
                    cs_hex(hex, X[xx].hash, 32);
                    rc = cs_error(CS_EFORMAT,
                                  "%s/traces.csv: block %llu: a trace of 0x%s, not a "
                                  "transaction of this block in order",
                                  dir, (unsigned long long)n, hex);
                    goto done;
                }
                if (h->pos > i) break;
                if (X[xx].f.kind == CS_XK_INTERNAL || X[xx].f.kind == CS_XK_SELFDESTRUCT)
                    *(struct cs_evm_frame *)vec_push(&frames) = X[xx].f;
            }
            size_t k0 = kk;
            for (; kk < ki; kk++) {
                const struct hpos *h = find_hash(&hidx, K[kk].tx_hash);
                if (!h) {
                    char hex[65];
                    cs_hex(hex, K[kk].tx_hash, 32);
                    rc = cs_error(CS_EFORMAT,
                                  "%s/token_transfers.csv: block %llu: a transfer in "
                                  "0x%s, which transactions.csv does not hold",
                                  dir, (unsigned long long)n, hex);
                    goto done;
                }
                if (h->pos != i) break; /* sorted by log index, which follows tx order */
            }
            if ((rc = cs_evm_tx_transfers(&bld, &b->b, &x->t, x->has_receipt, idx, frames.p,
                                          frames.n, kk > k0 ? K + k0 : NULL, kk - k0))) {
                rc = cs_error(rc, "%s/receipts.csv: %s", dir, cs_errmsg());
                goto done;
            }
        }
        if (kk != ki) {
            rc = cs_error(CS_EFORMAT,
                          "%s/token_transfers.csv: block %llu: transfers out of "
                          "transaction order",
                          dir, (unsigned long long)n);
            goto done;
        }
        for (; xx < xi; xx++)
            if (X[xx].has_tx) {
                char hex[65];
                cs_hex(hex, X[xx].hash, 32);
                rc = cs_error(CS_EFORMAT,
                              "%s/traces.csv: block %llu: a trace of 0x%s, not a "
                              "transaction of this block",
                              dir, (unsigned long long)n, hex);
                goto done;
            }
        for (size_t r = x_first; r < xi; r++)
            if (X[r].f.kind == CS_XK_REWARD)
                cs_evm_block_transfer(&bld, CS_XK_REWARD, X[r].f.to, &X[r].f.value);
        if (b->withdrawals && (rc = withdrawals(b, dir, &bld))) goto done;
        /* the kept raw logs of this block's successful txs */
        kb.n = 0;
        while (li < logs.n && LG[li].block < n)
            li++;
        for (; have_tx && li < logs.n && LG[li].block == n; li++) {
            const struct hpos *h = find_hash(&hidx, LG[li].tx_hash);
            if (!h || h->pos < t_first || h->pos >= ti) {
                char hex[65];
                cs_hex(hex, LG[li].tx_hash, 32);
                rc = cs_error(CS_EFORMAT,
                              "%s/logs.csv: block %llu: a log of 0x%s, not a transaction of "
                              "this block",
                              dir, (unsigned long long)n, hex);
                goto done;
            }
            if (T[h->pos].t.status != CS_ETX_FAILED)
                cs_evm_keep_log(&kb, logsel, (uint32_t)(h->pos - t_first), &LG[li]);
        }
        b->b.log = kb.v;
        b->b.n_log = kb.n;
        b->b.tx = txin.p;
        b->b.n_tx = txin.n;
        b->b.xfer = bld.x;
        b->b.n_xfer = bld.n;
        if (!tokens_added) { /* tokens.csv describes its tokens once, with the first new block */
            b->b.tok = tokd.p;
            b->b.n_tok = tokd.n;
            tokens_added = 1;
            st->tokens = tokd.n;
        }
        if ((rc = cs_evm_append_block(s, &b->b))) goto done;
        st->blocks++;
        st->txs += txin.n;
        st->xfers += bld.n;
        if (st->first < 0) st->first = (int64_t)n;
        st->last = (int64_t)n;
        if (commit_blocks && ++since_commit >= commit_blocks) {
            if ((rc = cs_evm_commit(s))) goto done;
            since_commit = 0;
            if (progress)
                fprintf(stderr, "ingest evm: block %llu, %llu transfers\n", (unsigned long long)n,
                        (unsigned long long)st->xfers);
        }
        if (stop && *stop) {
            rc = CS_EINTERRUPTED;
            break;
        }
    }
    if (!rc || rc == CS_EINTERRUPTED) {
        int crc = cs_evm_commit(s);
        if (crc) rc = crc;
    }
done:
    cs_evm_close(s);
    for (size_t i = 0; i < blks.n; i++)
        free(((struct blk *)blks.p)[i].withdrawals);
    free(blks.p);
    free(txs.p);
    free(rcs.p);
    free(toks.p);
    free(trs.p);
    free(tokd.p);
    free(hidx.p);
    for (size_t i = 0; i < logs.n; i++)
        free((void *)((struct cs_evm_log *)logs.p)[i].data);
    free(logs.p);
    cs_evm_logbuf_free(&kb);
    cs_evm_builder_free(&bld);
    free(frames.p);
    free(txin.p);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    st->seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    return rc;
}
