/* cluster.c — the clustering run (writer side of cluster.h) and CLUSTER_STATE.
 *
 * A run walks the store block by block from the first transaction it has not
 * covered, builds a struct cs_txv for each transaction that can matter
 * (>= 2 inputs, or any non-coinbase tx when change heuristics are on),
 * classifies CoinJoins, and collects union requests in an edge buffer that
 * is applied with cs_uf_union_edges.  Evidence rows come from the union-find
 * merge hook.  See cluster.h for the files and the commit protocol; the
 * order of operations in publish() is what makes kill -9 safe. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "util/atomic_file.h"
#include "cluster/unionfind.h"
#include "util/codec.h"
#include "util/hash.h"

#define EDGE_FLUSH (1u << 20)  /* union requests buffered before cs_uf_union_edges */
#define EV_BUF_ROWS (1u << 16) /* evidence rows buffered before write() */
#define OUT_WALK_CAP 1024      /* outputs walked for graphsense's "<= 1 spending tx" */
#define PREFETCH_TXS 8         /* transactions between prefetch_tx and process_tx */

/* ---------------- spec text ---------------- */

static const struct {
    unsigned flag;
    const char *name;
} CJ_FLAG_NAMES[] = {
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
};

struct sbuf {
    char *p;
    size_t cap, len;
    int overflow;
};

static void sb_add(struct sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        b->overflow = 1;
        return;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

int cs_cluster_spec_format(const struct cs_cluster_spec *spec, char *out, size_t cap)
{
    struct sbuf b = {out, cap, 0, 0};
    char tmp[32];
    if (cap) out[0] = 0;
    if (spec->multi_input) sb_add(&b, "multi-input");
    if (spec->change) {
        sb_add(&b, b.len ? ",change:" : "change:");
        int first = 1;
        for (unsigned bit = 1; bit <= CS_CH_LEGACY; bit <<= 1) {
            if (!(spec->change & bit)) continue;
            if (!first) sb_add(&b, "+");
            first = 0;
            if (bit == CS_CH_POW10 && spec->params.pow10_digits != 6) {
                snprintf(tmp, sizeof tmp, "power10=%u", spec->params.pow10_digits);
                sb_add(&b, tmp);
            } else {
                sb_add(&b, cs_change_name(bit));
            }
        }
    }
    sb_add(&b, b.len ? ",coinjoin:" : "coinjoin:");
    if (spec->coinjoin == CS_CJ_DEFAULT) {
        sb_add(&b, "default");
    } else if (spec->coinjoin == 0) {
        sb_add(&b, "none");
    } else {
        int first = 1;
        for (size_t i = 0; i < sizeof CJ_FLAG_NAMES / sizeof CJ_FLAG_NAMES[0]; i++) {
            if (!(spec->coinjoin & CJ_FLAG_NAMES[i].flag)) continue;
            if (!first) sb_add(&b, "+");
            first = 0;
            sb_add(&b, CJ_FLAG_NAMES[i].name);
        }
    }
    if (b.overflow)
        return cs_error(CS_ERANGE, "heuristic spec: canonical form longer than %zu", cap);
    return 0;
}

/* ---------------- paths, state file ---------------- */

static void cl_path(const char *dbdir, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/cluster%s%s", dbdir, *name ? "/" : "", name);
}

static int io_err(const char *dbdir, const char *name, const char *what)
{
    return cs_error(CS_EIO, "%s/cluster/%s: %s: %s", dbdir, name, what, strerror(errno));
}

static int state_write(const char *dbdir, const struct cs_cluster_state *st)
{
    char buf[4096], hex[65], p[4200];
    size_t n = 0;
#define PUT(...) n += (size_t)snprintf(buf + n, n < sizeof buf ? sizeof buf - n : 0, __VA_ARGS__)
    PUT("chainsleuth-cluster %d\n", CS_CLUSTER_FORMAT);
    PUT("network %s\nspec %s\ntags %s\n", st->network, st->spec, st->tags);
    cs_hex(hex, st->tip, 32);
    PUT("blocks %llu\ntip %s\ntx %llu\naddr %llu\nevidence %llu\n", (unsigned long long)st->blocks,
        hex, (unsigned long long)st->tx, (unsigned long long)st->addr,
        (unsigned long long)st->evidence);
    PUT("dirty %d\npublishing %d\n", st->dirty, st->publishing);
    PUT("clusters %llu\nsingletons %llu\nlargest %llu\nlargest_id %u\n",
        (unsigned long long)st->clusters, (unsigned long long)st->singletons,
        (unsigned long long)st->largest, st->largest_id);
    PUT("inputs %llu\nmulti_input_txs %llu\nchange_links %llu\n", (unsigned long long)st->inputs,
        (unsigned long long)st->multi_input_txs, (unsigned long long)st->change_links);
    for (int i = 1; i < CS_CJP_COUNT; i++)
        PUT("vetoed %s %llu\n", cs_cj_protocol_name(i), (unsigned long long)st->vetoed[i]);
    if (n >= sizeof buf - 80) return cs_error(CS_ERANGE, "%s: cluster state too long", dbdir);
    uint8_t h[32];
    cs_sha256(buf, n, h);
    cs_hex(hex, h, 32);
    PUT("checksum %s\n", hex);
#undef PUT
    cl_path(dbdir, "", p, sizeof p);
    return cs_atomic_write(p, "CLUSTER_STATE", buf, n);
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (end == s || *end || errno || *s == '-') return -1;
    *v = x;
    return 0;
}

static int state_read(const char *dbdir, struct cs_cluster_state *st)
{
    char p[4200], buf[4096];
    memset(st, 0, sizeof *st);
    cl_path(dbdir, "CLUSTER_STATE", p, sizeof p);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return cs_error(CS_ENOTFOUND, "%s: no clustering (run chainsleuth cluster first)",
                            dbdir);
        return io_err(dbdir, "CLUSTER_STATE", "open");
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) return io_err(dbdir, "CLUSTER_STATE", "read");
    buf[n] = 0;
    if ((size_t)n == sizeof buf - 1 || strlen(buf) != (size_t)n)
        return cs_error(CS_ECORRUPT, "%s/cluster/CLUSTER_STATE: not a state file", dbdir);
    char *ck = strstr(buf, "checksum ");
    if (!ck || (ck != buf && ck[-1] != '\n'))
        return cs_error(CS_ECORRUPT, "%s/cluster/CLUSTER_STATE: no checksum line", dbdir);
    uint8_t h[32];
    char hex[65];
    cs_sha256(buf, (size_t)(ck - buf), h);
    cs_hex(hex, h, 32);
    if (strncmp(ck + 9, hex, 64) != 0 || (ck[73] != '\n' && ck[73] != 0))
        return cs_error(CS_ECORRUPT, "%s/cluster/CLUSTER_STATE: checksum mismatch at byte %ld",
                        dbdir, (long)(ck - buf));
    *ck = 0;
    int fmt = -1, have = 0;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *sp = strchr(line, ' ');
        if (!sp) goto bad;
        *sp = 0;
        const char *key = line, *val = sp + 1;
        uint64_t v = 0;
        if (!strcmp(key, "chainsleuth-cluster")) {
            if (parse_u64(val, &v)) goto bad;
            fmt = (int)v;
        } else if (!strcmp(key, "network")) {
            if (strlen(val) >= sizeof st->network) goto bad;
            snprintf(st->network, sizeof st->network, "%s", val);
        } else if (!strcmp(key, "spec")) {
            if (strlen(val) >= sizeof st->spec) goto bad;
            snprintf(st->spec, sizeof st->spec, "%s", val);
        } else if (!strcmp(key, "tags")) {
            if (strlen(val) >= sizeof st->tags) goto bad;
            snprintf(st->tags, sizeof st->tags, "%s", val);
        } else if (!strcmp(key, "tip")) {
            if (strlen(val) != 64 || cs_unhex(st->tip, 32, val, 64)) goto bad;
        } else if (!strcmp(key, "vetoed")) {
            const char *sp2 = strchr(val, ' ');
            int proto = -1;
            if (!sp2 || parse_u64(sp2 + 1, &v)) goto bad;
            for (int i = 1; i < CS_CJP_COUNT; i++) {
                const char *nm = cs_cj_protocol_name(i);
                if (strlen(nm) == (size_t)(sp2 - val) && !memcmp(nm, val, (size_t)(sp2 - val)))
                    proto = i;
            }
            if (proto < 0) goto bad;
            st->vetoed[proto] = v;
        } else {
            if (parse_u64(val, &v)) goto bad;
            if (!strcmp(key, "blocks"))
                st->blocks = v;
            else if (!strcmp(key, "tx"))
                st->tx = v;
            else if (!strcmp(key, "addr"))
                st->addr = v;
            else if (!strcmp(key, "evidence"))
                st->evidence = v;
            else if (!strcmp(key, "dirty"))
                st->dirty = v != 0;
            else if (!strcmp(key, "publishing"))
                st->publishing = v != 0;
            else if (!strcmp(key, "clusters"))
                st->clusters = v;
            else if (!strcmp(key, "singletons"))
                st->singletons = v;
            else if (!strcmp(key, "largest"))
                st->largest = v;
            else if (!strcmp(key, "largest_id"))
                st->largest_id = (uint32_t)v;
            else if (!strcmp(key, "inputs"))
                st->inputs = v;
            else if (!strcmp(key, "multi_input_txs"))
                st->multi_input_txs = v;
            else if (!strcmp(key, "change_links"))
                st->change_links = v;
            else
                goto bad; /* an unknown key means a format we do not understand */
        }
        have++;
    }
    if (fmt != CS_CLUSTER_FORMAT)
        return cs_error(CS_ECORRUPT, "%s/cluster/CLUSTER_STATE: format %d, this build reads %d",
                        dbdir, fmt, CS_CLUSTER_FORMAT);
    if (!st->network[0] || !st->spec[0] || !st->tags[0] || st->addr == 0 ||
        st->addr > (uint64_t)CS_UF_MAX_N || st->evidence >= st->addr)
        return cs_error(CS_ECORRUPT, "%s/cluster/CLUSTER_STATE: missing or impossible fields",
                        dbdir);
    return 0;
bad:
    return cs_error(CS_ECORRUPT, "%s/cluster/CLUSTER_STATE: cannot parse line %d", dbdir, have + 1);
}

/* ---------------- mmap'd u32 columns ---------------- */

int cs_cluster_state_read(const char *dbdir, const char *chain, struct cs_cluster_state *st)
{
    char cdir[4200];
    snprintf(cdir, sizeof cdir, "%s/%s", dbdir, chain);
    return state_read(cdir, st);
}

struct u32col {
    int fd;
    uint32_t *map;
    size_t maplen;
};

static int u32col_open(struct u32col *c, const char *dbdir, const char *name, int truncate)
{
    char p[4200];
    cl_path(dbdir, name, p, sizeof p);
    c->map = NULL;
    c->maplen = 0;
    c->fd = open(p, O_RDWR | O_CREAT | (truncate ? O_TRUNC : 0) | O_CLOEXEC, 0644);
    if (c->fd < 0) return io_err(dbdir, name, "open");
    struct stat sb;
    if (fstat(c->fd, &sb)) return io_err(dbdir, name, "fstat");
    if (sb.st_size > 0) {
        void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
        if (m == MAP_FAILED) return io_err(dbdir, name, "mmap");
        c->map = m;
        c->maplen = (size_t)sb.st_size;
    }
    return 0;
}

/* Makes the file hold at least rows entries (grown in 1 MiB steps, 1.5x). */
static int u32col_reserve(struct u32col *c, const char *dbdir, const char *name, uint64_t rows)
{
    size_t need = (size_t)rows * 4;
    if (need <= c->maplen) return 0;
    size_t len = c->maplen + c->maplen / 2;
    if (len < need) len = need;
    len = (len + (1u << 20) - 1) & ~(size_t)((1u << 20) - 1);
    if (ftruncate(c->fd, (off_t)len)) return io_err(dbdir, name, "ftruncate");
    void *m = c->map ? mremap(c->map, c->maplen, len, MREMAP_MAYMOVE)
                     : mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
    if (m == MAP_FAILED) return io_err(dbdir, name, c->map ? "mremap" : "mmap");
    c->map = m;
    c->maplen = len;
    return 0;
}

static void u32col_close(struct u32col *c)
{
    if (c->map) munmap(c->map, c->maplen);
    if (c->fd >= 0) close(c->fd);
    c->map = NULL;
    c->fd = -1;
}

static off_t file_size(const char *dbdir, const char *name)
{
    char p[4200];
    struct stat sb;
    cl_path(dbdir, name, p, sizeof p);
    return stat(p, &sb) ? -1 : sb.st_size;
}

/* ---------------- the run ---------------- */

struct evlog {
    int fd;                   /* af.fd on a full run, evidence.col opened for append on an update */
    struct cs_atomic_file af; /* evidence.col.tmp on a full run */
    int atomic;
    const char *dbdir, *name;
    uint32_t buf[EV_BUF_ROWS * 3];
    size_t rows;    /* buffered */
    uint64_t total; /* rows written + buffered */
    int err;
};

static int ev_flush(struct evlog *e)
{
    size_t bytes = e->rows * 12, off = 0;
    const uint8_t *p = (const uint8_t *)e->buf;
    while (off < bytes) {
        ssize_t w = write(e->fd, p + off, bytes - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return e->err = io_err(e->dbdir, e->name, "write");
        off += (size_t)w;
    }
    e->rows = 0;
    return 0;
}

static void on_merge(void *ctx, uint32_t a, uint32_t b, uint64_t tx)
{
    struct evlog *e = ctx;
    uint32_t *r = e->buf + 3 * e->rows;
    r[0] = a;
    r[1] = b;
    r[2] = (uint32_t)tx;
    e->rows++;
    e->total++;
    if (e->rows == EV_BUF_ROWS && !e->err) ev_flush(e);
}

struct run {
    struct cs_store *s;
    const char *dbdir;
    const struct cs_cluster_opts *o;
    struct cs_cluster_spec spec;
    struct cs_cluster_state *st;
    struct cs_cluster_report *r;
    struct cs_uf uf;
    struct cs_uf_edge *edges;
    size_t n_edges, cap_edges;
    /* per-transaction scratch, grown to the largest tx seen */
    struct cs_txv_in *in;
    struct cs_txv_out *out;
    uint32_t *seq;
    size_t cap_in, cap_out;
    unsigned need; /* NEED_* bits: which cs_txv fields the spec reads */
};

enum {
    NEED_IN_TYPE = 1,
    NEED_FIRST_SEEN = 2,
    NEED_GRAPHSENSE = 4, /* first_seen_block, addr_in_le1, addr_out_le1 */
    NEED_SPENDER_FP = 8,
    NEED_SEQ = 16,
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int flush_edges(struct run *R)
{
    if (!R->n_edges) return 0;
    double t0 = now_s();
    long m = cs_uf_union_edges(&R->uf, R->edges, R->n_edges);
    R->r->uf_seconds += now_s() - t0;
    if (m < 0) return (int)m;
    R->r->merges += (uint64_t)m;
    R->r->edges += R->n_edges;
    R->n_edges = 0;
    return 0;
}

static void add_edge(struct run *R, uint32_t a, uint32_t b, uint64_t tx)
{
    if (R->n_edges == R->cap_edges) {
        R->cap_edges = R->cap_edges ? R->cap_edges * 2 : 4096;
        R->edges = cs_xrealloc(R->edges, R->cap_edges * sizeof *R->edges);
    }
    R->edges[R->n_edges++] = (struct cs_uf_edge){a, b, tx};
}

static void scratch_reserve(struct run *R, size_t n_in, size_t n_out)
{
    if (n_in > R->cap_in) {
        R->cap_in = n_in > 2 * R->cap_in ? n_in : 2 * R->cap_in;
        R->in = cs_xrealloc(R->in, R->cap_in * sizeof *R->in);
        R->seq = cs_xrealloc(R->seq, R->cap_in * sizeof *R->seq);
    }
    if (n_out > R->cap_out) {
        R->cap_out = n_out > 2 * R->cap_out ? n_out : 2 * R->cap_out;
        R->out = cs_xrealloc(R->out, R->cap_out * sizeof *R->out);
    }
}

/* CS_FP_* bits of stored transaction t (cs_txv_fingerprint on the store). */
static uint8_t tx_fingerprint(const struct cs_store *s, uint64_t t)
{
    const struct cs_txrec *tr = cs_store_tx(s, t);
    uint8_t fp = CS_FP_KNOWN;
    if (tr->locktime > 0) fp |= CS_FP_LOCKTIME;
    if (tr->version >= 2) fp |= CS_FP_V2;
    uint64_t fi, ni;
    cs_store_tx_ins(s, t, &fi, &ni);
    for (uint64_t i = fi; i < fi + ni; i++) {
        if (cs_store_in_prevout(s, i) == CS_NONE64) break; /* coinbase */
        if (cs_store_in(s, i)->sequence < 0xfffffffeu) {
            fp |= CS_FP_RBF;
            break;
        }
    }
    return fp;
}

/* Fills the change-heuristic fields of output o (row id) of a tx whose
 * outputs are [fo, fo + no), in a block whose outputs start at block_fo. */
static void fill_out_extra(struct run *R, struct cs_txv_out *v, uint64_t o, uint64_t fo,
                           uint64_t no, uint64_t block_fo)
{
    const struct cs_store *s = R->s;
    if (R->need & (NEED_FIRST_SEEN | NEED_GRAPHSENSE)) {
        /* out_next is the PREVIOUS output of the address: first seen in this
         * tx when there is none or it belongs to this tx (ids below o in it) */
        uint64_t prev = cs_store_out_next(s, o);
        v->first_seen = prev == CS_NONE64 || prev >= fo;
        v->first_seen_block = prev == CS_NONE64 || prev >= block_fo;
    }
    if ((R->need & NEED_GRAPHSENSE) && v->addr) {
        /* <= 1 receiving tx: every output of the address lies in this tx */
        uint8_t in_le1 = 1;
        for (uint64_t x = cs_store_addr_head(s, v->addr); x != CS_NONE64;
             x = cs_store_out_next(s, x))
            if (x < fo || x >= fo + no) {
                in_le1 = 0;
                break;
            }
        /* <= 1 spending tx (an address with more than OUT_WALK_CAP outputs
         * is treated as reused: it is no one-time change address) */
        uint8_t out_le1 = 1;
        uint64_t spender = CS_NONE64, walked = 0;
        for (uint64_t x = cs_store_addr_head(s, v->addr); x != CS_NONE64;
             x = cs_store_out_next(s, x)) {
            if (++walked > OUT_WALK_CAP) {
                out_le1 = 0;
                break;
            }
            uint64_t sp = cs_store_spent_by(s, x);
            if (sp == CS_NONE64) continue;
            if (spender != CS_NONE64 && sp != spender) {
                out_le1 = 0;
                break;
            }
            spender = sp;
        }
        v->addr_in_le1 = in_le1;
        v->addr_out_le1 = out_le1;
    }
    if (R->need & NEED_SPENDER_FP) {
        uint64_t sp = cs_store_spent_by(s, o);
        v->spender_fp = sp == CS_NONE64 ? 0 : tx_fingerprint(s, sp);
    }
}

/* Prefetches what process_tx(t) will read at random: the prevout rows of a
 * multi-input tx and the address rows of its outputs.  Called PREFETCH_TXS
 * transactions ahead: those two loads were three quarters of the gather
 * loop's samples (perf), and the prefetch cut the user CPU time of a full run
 * over the 2M-tx bench chain from about 0.50 s to 0.40 s. */
static void prefetch_tx(const struct run *R, uint64_t t)
{
    const struct cs_store *s = R->s;
    const struct cs_counts *k = cs_store_counts(s);
    if (t >= k->tx) return;
    uint64_t fi, ni, fo, no;
    cs_store_tx_ins(s, t, &fi, &ni);
    if (ni < 2 && !R->spec.change) return;
    for (uint64_t i = 0; i < ni && i < 16; i++) {
        uint64_t p = cs_store_in_prevout(s, fi + i);
        if (p < k->out) __builtin_prefetch(cs_store_out(s, p));
    }
    if (ni < 2 || !R->spec.coinjoin) return;
    cs_store_tx_outs(s, t, &fo, &no);
    if (no < 3 && !R->spec.change) return;
    for (uint64_t j = 0; j < no && j < 16; j++)
        __builtin_prefetch(cs_store_addr(s, cs_store_out(s, fo + j)->addr));
}

static int process_tx(struct run *R, uint64_t t, uint32_t height, uint32_t time, uint64_t block_fo)
{
    const struct cs_store *s = R->s;
    uint64_t fi, ni, fo, no;
    cs_store_tx_ins(s, t, &fi, &ni);
    if (ni == 0 || cs_store_in_prevout(s, fi) == CS_NONE64) return 0; /* coinbase */
    R->st->inputs += ni;
    R->r->inputs += ni;
    int use_change = R->spec.change != 0;
    if (ni < 2 && !use_change) return 0;
    if (ni > (uint64_t)SIZE_MAX / 64)
        return cs_error(CS_ECORRUPT, "tx %llu: %llu inputs", (unsigned long long)t,
                        (unsigned long long)ni);
    cs_store_tx_outs(s, t, &fo, &no);
    scratch_reserve(R, (size_t)ni, (size_t)no);
    size_t distinct = 1;
    for (uint64_t i = 0; i < ni; i++) {
        uint64_t p = cs_store_in_prevout(s, fi + i);
        if (p >= cs_store_counts(s)->out)
            return cs_error(CS_ECORRUPT, "tx %llu input %llu: prevout %llu out of range",
                            (unsigned long long)t, (unsigned long long)i, (unsigned long long)p);
        const struct cs_outrec *pr = cs_store_out(s, p);
        struct cs_txv_in *v = &R->in[i];
        v->value = pr->value;
        v->addr = pr->addr;
        v->type = (R->need & NEED_IN_TYPE) ? cs_store_addr(s, pr->addr)->type : 0;
        v->exchange = 0;
        if (R->need & NEED_SEQ) R->seq[i] = cs_store_in(s, fi + i)->sequence;
        if (i && v->addr != R->in[0].addr) distinct = 2;
    }
    const struct cs_txrec *tr = cs_store_tx(s, t);
    struct cs_txv tv = {R->in,
                        (size_t)ni,
                        R->out,
                        (size_t)no,
                        0,
                        height,
                        time,
                        (uint32_t)tr->version,
                        tr->locktime,
                        (R->need & NEED_SEQ) ? R->seq : NULL};
    int veto = 0;
    int classify = R->spec.coinjoin && ni >= 2 && no >= 3;
    if (classify || use_change) {
        for (uint64_t j = 0; j < no; j++) {
            const struct cs_outrec *orow = cs_store_out(s, fo + j);
            struct cs_txv_out *v = &R->out[j];
            memset(v, 0, sizeof *v);
            v->value = orow->value;
            v->addr = orow->addr;
            v->type = cs_store_addr(s, orow->addr)->type;
        }
    }
    if (classify) {
        struct cs_cj_result res;
        cs_coinjoin_classify(&tv, R->spec.coinjoin, &res);
        const unsigned excheck = CS_CJP_BIT(CS_CJP_WASABI10) | CS_CJP_BIT(CS_CJP_WASABI11) |
                                 CS_CJP_BIT(CS_CJP_JOINMARKET);
        if ((res.matched & excheck) && (R->spec.coinjoin & CS_CJ_EXCHANGE_CONTROL) &&
            R->o->is_exchange) {
            int any = 0;
            for (uint64_t i = 0; i < ni; i++) {
                R->in[i].exchange = R->o->is_exchange(R->o->exchange_ctx, s, R->in[i].addr) == 1;
                any |= R->in[i].exchange;
            }
            if (any) cs_coinjoin_classify(&tv, R->spec.coinjoin, &res);
        }
        if (res.veto_multi_input) {
            veto = 1;
            R->st->vetoed[res.protocol]++;
        }
    }
    if (veto) return 0;
    if (R->spec.multi_input && distinct > 1) {
        uint32_t a0 = R->in[0].addr, last = a0;
        for (uint64_t i = 1; i < ni; i++) {
            uint32_t a = R->in[i].addr;
            if (a == a0 || a == last || a == 0) continue;
            add_edge(R, a0, a, t);
            last = a;
        }
        R->st->multi_input_txs++;
    }
    if (use_change) {
        for (uint64_t j = 0; j < no; j++)
            fill_out_extra(R, &R->out[j], fo + j, fo, no, block_fo);
        size_t chg;
        int rc = cs_change_consensus(&tv, R->spec.change, &R->spec.params, &chg, NULL);
        if (rc) return rc;
        if (chg != CS_OUTSET_NONE && R->out[chg].addr && R->in[0].addr &&
            R->out[chg].addr != R->in[0].addr) {
            add_edge(R, R->out[chg].addr, R->in[0].addr, t);
            R->st->change_links++;
        }
    }
    return 0;
}

/* Compresses, writes cid.u32 and the state (see cluster.h for the order). */
static int publish(struct run *R, struct evlog *ev, struct u32col *par, struct u32col *siz,
                   int full, const struct cs_cluster_state *old, int have_old)
{
    const char *dbdir = R->dbdir;
    int rc;
    if ((rc = flush_edges(R))) return rc;
    if (ev->err) return ev->err;
    if ((rc = ev_flush(ev))) return rc;
    if (ev->atomic) {
        ev->fd = -1; /* the helper closes it */
        if ((rc = cs_atomic_sync(&ev->af))) return rc;
    } else if (fdatasync(ev->fd)) {
        return io_err(dbdir, ev->name, "fsync");
    }
    cs_uf_compress(&R->uf);
    struct cs_cluster_state *st = R->st;
    uint32_t n = R->uf.n;
    st->addr = n;
    st->evidence = ev->total;
    st->clusters = R->uf.sets - 1; /* without reserved id 0 */
    st->singletons = 0;
    st->largest = 0;
    st->largest_id = 0;
    for (uint32_t x = 1; x < n; x++) {
        if (R->uf.parent[x] != x) continue;
        uint32_t sz = R->uf.size[x];
        if (sz == 1) st->singletons++;
        if (sz > st->largest) {
            st->largest = sz;
            st->largest_id = x;
        }
    }
    if (st->evidence + st->clusters + 1 != n)
        return cs_error(CS_ECORRUPT,
                        "cluster: %llu evidence rows for %u addresses in %llu clusters",
                        (unsigned long long)st->evidence, n, (unsigned long long)st->clusters);
    if (fdatasync(par->fd) || fdatasync(siz->fd)) return io_err(dbdir, "parent.u32", "fsync");
    /* cid.u32.tmp: after cs_uf_compress parent[] is the cluster-id column */
    char p[4200], cdir[4200];
    cl_path(dbdir, "", cdir, sizeof cdir);
    struct cs_atomic_file cid;
    if ((rc = cs_atomic_open(&cid, cdir, "cid.u32"))) return rc;
    if ((rc = cs_atomic_write_all(&cid, R->uf.parent, (size_t)n * 4))) {
        cs_atomic_abort(&cid);
        return rc;
    }
    if ((rc = cs_atomic_sync(&cid))) return rc;

    /* the publish window: readers wait on PUBLISH.lock (shared) meanwhile */
    cl_path(dbdir, "PUBLISH.lock", p, sizeof p);
    int lfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lfd < 0) {
        rc = io_err(dbdir, "PUBLISH.lock", "open");
        cs_atomic_abort(&cid);
        return rc;
    }
    while (flock(lfd, LOCK_EX) && errno == EINTR) {
    }
    struct cs_cluster_state mark = have_old ? *old : *st;
    mark.dirty = 1;
    mark.publishing = 1;
    st->dirty = 0;
    st->publishing = 0;
    if ((rc = state_write(dbdir, &mark))) goto out;
    /* each commit renames and fsyncs the directory */
    if ((rc = cs_atomic_commit(&cid))) goto out;
    if (ev->atomic && (rc = cs_atomic_commit(&ev->af))) goto out;
    rc = state_write(dbdir, st);
out:
    cs_atomic_abort(&cid); /* a no-op once committed */
    flock(lfd, LOCK_UN);
    close(lfd);
    return rc;
}

/* Decides between an update and a full recompute; on update, attaches the
 * union-find arrays.  Writes the reason for a full run into r->reason. */
static int decide(struct run *R, const struct cs_cluster_state *old, int old_rc, const char *errmsg,
                  int future, struct u32col *par, struct u32col *siz, int *full, int *uptodate)
{
    struct cs_cluster_report *r = R->r;
    const struct cs_store *s = R->s;
    const struct cs_counts *k = cs_store_counts(s);
    const char *dbdir = R->dbdir;
    char *why = r->reason;
    size_t wcap = sizeof r->reason;
    *full = 1;
    *uptodate = 0;
    if (R->o->full) return snprintf(why, wcap, "--full given"), 0;
    if (old_rc == CS_ENOTFOUND) return snprintf(why, wcap, "no clustering yet"), 0;
    if (old_rc) return snprintf(why, wcap, "the cluster state is unreadable (%s)", errmsg), 0;
    if (old->dirty || old->publishing)
        return snprintf(why, wcap,
                        "the previous cluster run did not finish (interrupted or crashed)"),
               0;
    if (strcmp(old->network, cs_store_net(s)->name))
        return snprintf(why, wcap, "the clustering is for network %s, the store is %s",
                        old->network, cs_store_net(s)->name),
               0;
    if (strcmp(old->spec, R->st->spec))
        return snprintf(why, wcap, "heuristics changed from '%s' to '%s'", old->spec, R->st->spec),
               0;
    if (strcmp(old->tags, R->st->tags))
        return snprintf(why, wcap, "the tag data used by the exchange control changed"), 0;
    if (old->blocks > k->blocks || old->tx > k->tx || old->addr > k->addr ||
        (old->blocks && memcmp(cs_store_block(s, old->blocks - 1)->hash, old->tip, 32)))
        return snprintf(why, wcap, "the store was rolled back below the clustered tip (reorg)"), 0;
    if (old->blocks &&
        cs_store_block(s, old->blocks - 1)->first_tx + cs_store_block(s, old->blocks - 1)->n_tx !=
            old->tx)
        return snprintf(why, wcap, "the state's tx count does not match the store"), 0;
    if (old->evidence + old->clusters + 1 != old->addr)
        return snprintf(why, wcap, "the state's counts contradict each other"), 0;
    off_t cid_sz = file_size(dbdir, "cid.u32"), ev_sz = file_size(dbdir, "evidence.col");
    off_t par_sz = file_size(dbdir, "parent.u32"), siz_sz = file_size(dbdir, "size.u32");
    if (cid_sz != (off_t)(old->addr * 4) || ev_sz < (off_t)(old->evidence * 12) ||
        par_sz < (off_t)(old->addr * 4) || siz_sz < (off_t)(old->addr * 4))
        return snprintf(why, wcap, "the cluster files do not match the state"), 0;
    if (old->blocks == k->blocks) {
        *full = 0;
        *uptodate = 1;
        return 0;
    }
    if (future)
        return snprintf(why, wcap,
                        "change heuristics locktime/graphsense read later transactions, so an "
                        "update recomputes everything to equal a full run"),
               0;
    int rc;
    if ((rc = u32col_open(par, dbdir, "parent.u32", 0)) ||
        (rc = u32col_open(siz, dbdir, "size.u32", 0)))
        return rc;
    if (cs_uf_attach(&R->uf, par->map, siz->map, (uint32_t)old->addr) ||
        R->uf.sets != old->clusters + 1) {
        snprintf(why, wcap, "the union-find files are damaged (%s)",
                 R->uf.sets != old->clusters + 1 ? "cluster count differs" : cs_errmsg());
        u32col_close(par);
        u32col_close(siz);
        memset(&R->uf, 0, sizeof R->uf);
        return 0;
    }
    why[0] = 0;
    *full = 0;
    return 0;
}

int cs_cluster_update(struct cs_store *s, const char *db, const struct cs_cluster_opts *o,
                      struct cs_cluster_report *r)
{
    struct cs_cluster_opts defaults = {0};
    if (!o) o = &defaults;
    memset(r, 0, sizeof *r);
    double t_start = now_s();
    char dbdir[4200]; /* DB/CHAIN: cluster state lives in its cluster/ folder */
    snprintf(dbdir, sizeof dbdir, "%s/%s", db, cs_store_chain(s));
    struct run R;
    memset(&R, 0, sizeof R);
    R.s = s;
    R.dbdir = dbdir;
    R.o = o;
    R.r = r;
    R.st = &r->state;
    int rc;
    if ((rc = cs_cluster_spec_parse(o->spec ? o->spec : CS_CLUSTER_DEFAULT_SPEC, &R.spec)))
        return rc;
    struct cs_cluster_state *st = R.st;
    if ((rc = cs_cluster_spec_format(&R.spec, st->spec, sizeof st->spec))) return rc;
    const char *tags = o->is_exchange && o->tags_id && *o->tags_id ? o->tags_id : "none";
    if (strlen(tags) >= sizeof st->tags || strpbrk(tags, "\n\r"))
        return cs_error(CS_EUSAGE, "cluster: tag fingerprint too long or not one line");
    snprintf(st->tags, sizeof st->tags, "%s", tags);
    snprintf(st->network, sizeof st->network, "%s", cs_store_net(s)->name);
    unsigned ch = R.spec.change;
    if (ch & (CS_CH_TYPE | CS_CH_GRAPHSENSE)) R.need |= NEED_IN_TYPE;
    if (ch & (CS_CH_FRESH | CS_CH_LEGACY | CS_CH_GRAPHSENSE)) R.need |= NEED_FIRST_SEEN;
    if (ch & CS_CH_GRAPHSENSE) R.need |= NEED_GRAPHSENSE;
    if (ch & CS_CH_LOCKTIME) R.need |= NEED_SPENDER_FP | NEED_SEQ;
    int future = (ch & (CS_CH_LOCKTIME | CS_CH_GRAPHSENSE)) != 0;

    const struct cs_counts *k = cs_store_counts(s);
    if (k->addr == 0 || k->addr > (uint64_t)CS_UF_MAX_N)
        return cs_error(CS_ERANGE, "cluster: %llu addresses (the union-find holds at most %u)",
                        (unsigned long long)k->addr, CS_UF_MAX_N);

    char p[4200];
    cl_path(dbdir, "", p, sizeof p);
    if (mkdir(p, 0755) && errno != EEXIST) return io_err(dbdir, "", "mkdir");
    cl_path(dbdir, "LOCK", p, sizeof p);
    int lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lockfd < 0) return io_err(dbdir, "LOCK", "open");
    if (flock(lockfd, LOCK_EX | LOCK_NB)) {
        close(lockfd);
        return cs_error(CS_ELOCKED, "%s/cluster: another chainsleuth cluster is running", dbdir);
    }

    struct cs_cluster_state old;
    int old_rc = state_read(dbdir, &old);
    char errmsg[200];
    snprintf(errmsg, sizeof errmsg, "%s", old_rc ? cs_errmsg() : "");
    if (old_rc && old_rc != CS_ENOTFOUND && old_rc != CS_ECORRUPT) goto fail_early;
    struct u32col par = {-1, NULL, 0}, siz = {-1, NULL, 0};
    struct evlog *ev = cs_xcalloc(1, sizeof *ev);
    ev->fd = -1;
    int full, uptodate;
    if ((rc = decide(&R, &old, old_rc, errmsg, future, &par, &siz, &full, &uptodate))) goto out;
    r->full = full;
    if (uptodate) {
        *st = old;
        goto out;
    }
    /* from here on parent/size change: mark the old state dirty first */
    if (old_rc == 0) {
        struct cs_cluster_state d = old;
        d.dirty = 1;
        if ((rc = state_write(dbdir, &d))) goto out;
    }
    uint64_t b0 = 0;
    ev->dbdir = dbdir;
    if (full) {
        u32col_close(&par);
        u32col_close(&siz);
        if ((rc = u32col_open(&par, dbdir, "parent.u32", 1)) ||
            (rc = u32col_open(&siz, dbdir, "size.u32", 1)) ||
            (rc = u32col_reserve(&par, dbdir, "parent.u32", k->addr)) ||
            (rc = u32col_reserve(&siz, dbdir, "size.u32", k->addr)) ||
            (rc = cs_uf_init(&R.uf, par.map, siz.map, (uint32_t)k->addr)))
            goto out;
        ev->name = "evidence.col.tmp";
        cl_path(dbdir, "", p, sizeof p);
        if ((rc = cs_atomic_open(&ev->af, p, "evidence.col"))) goto out;
        ev->atomic = 1;
        ev->fd = ev->af.fd;
    } else {
        /* carry over the cumulative statistics */
        memcpy(st->vetoed, old.vetoed, sizeof st->vetoed);
        st->inputs = old.inputs;
        st->multi_input_txs = old.multi_input_txs;
        st->change_links = old.change_links;
        b0 = old.blocks;
        if ((rc = u32col_reserve(&par, dbdir, "parent.u32", k->addr)) ||
            (rc = u32col_reserve(&siz, dbdir, "size.u32", k->addr)) ||
            (rc = cs_uf_grow(&R.uf, par.map, siz.map, (uint32_t)k->addr)))
            goto out;
        ev->name = "evidence.col";
        cl_path(dbdir, ev->name, p, sizeof p);
        ev->fd = open(p, O_WRONLY | O_CLOEXEC);
        if (ev->fd < 0 || ftruncate(ev->fd, (off_t)(old.evidence * 12)) ||
            lseek(ev->fd, 0, SEEK_END) != (off_t)(old.evidence * 12)) {
            rc = io_err(dbdir, ev->name, "open/truncate");
            goto out;
        }
        ev->total = old.evidence;
    }
    cs_uf_set_hook(&R.uf, on_merge, ev);

    uint64_t tx_begin = b0 < k->blocks ? cs_store_block(s, b0)->first_tx : k->tx;
    uint64_t total = k->tx - tx_begin;
    int stop = 0;
    uint64_t h;
    for (h = b0; h < k->blocks && !stop; h++) {
        const struct cs_blockrec *br = cs_store_block(s, h);
        uint32_t btime = cs_le32(br->header + 68);
        uint64_t block_fo = br->n_tx ? cs_store_tx(s, br->first_tx)->first_out : 0;
        for (uint64_t t = br->first_tx; t < br->first_tx + br->n_tx; t++) {
            prefetch_tx(&R, t + PREFETCH_TXS);
            if ((rc = process_tx(&R, t, (uint32_t)h, btime, block_fo))) goto out;
        }
        r->txs += br->n_tx;
        if (R.n_edges >= EDGE_FLUSH && (rc = flush_edges(&R))) goto out;
        if (ev->err) {
            rc = ev->err;
            goto out;
        }
        if (o->progress && o->progress(o->progress_ctx, r->txs, total)) stop = 1;
    }
    st->blocks = h;
    if (h) memcpy(st->tip, cs_store_block(s, h - 1)->hash, 32);
    st->tx = h ? cs_store_block(s, h - 1)->first_tx + cs_store_block(s, h - 1)->n_tx : 0;
    /* addresses: all of the store when the run went to the end, else those
     * that exist after the last processed block */
    if (h < k->blocks) {
        uint64_t addr_end = h ? cs_store_block(s, h - 1)->addr_end : 1;
        if ((rc = flush_edges(&R))) goto out;
        /* the union-find was grown to k->addr; ids above addr_end are
         * untouched singletons and are simply not published */
        R.uf.sets -= (uint32_t)(R.uf.n - addr_end);
        R.uf.n = (uint32_t)addr_end;
    }
    if ((rc = publish(&R, ev, &par, &siz, full, &old, old_rc == 0))) goto out;
    if (stop)
        rc = cs_error(CS_EINTERRUPTED, "cluster: interrupted at height %llu; committed",
                      (unsigned long long)(h ? h - 1 : 0));
out:
    if (ev->atomic)
        cs_atomic_abort(&ev->af); /* closes and removes evidence.col.tmp unless committed */
    else if (ev->fd >= 0)
        close(ev->fd);
    free(ev);
    u32col_close(&par);
    u32col_close(&siz);
    free(R.edges);
    free(R.in);
    free(R.out);
    free(R.seq);
    r->seconds = now_s() - t_start;
    flock(lockfd, LOCK_UN);
    close(lockfd);
    return rc;
fail_early:
    flock(lockfd, LOCK_UN);
    close(lockfd);
    return old_rc;
}
