/* import.c — the four tag importers and format guessing.
 *
 * Each importer turns its file into rows; emit() checks a row (address
 * against its chain, required fields, category, confidence) and either
 * records the rejection or queues a canonical tag.  The queue is applied to
 * the table only after the whole file parsed, so a file that fails as a
 * whole (YAML syntax error, CSV header without the needed columns) adds
 * nothing.  Everything read from the file is bounded: the file by
 * CS_TAG_IMPORT_MAX_FILE, each field by CS_TAG_FIELD_MAX (a longer one rejects
 * its row), stored strings by the CS_TAG_*_MAX caps (cut, UTF-8 safe), kept
 * rejections by CS_TAG_MAX_REJECTS.  Text is checked before it is stored: a
 * row with invalid UTF-8 or a NUL byte in any field is rejected with its line
 * (CS_TAG_BAD_TEXT), so nothing we print later can be invalid UTF-8.
 *
 * Memory: the rows of a TagPack repeat the pack's label, source and context;
 * save() keeps one copy of a string equal to the previous row's, so the queue
 * costs about one address per row (measured on a 21 MB, 422k-tag pack). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tags/tags_int.h"
#include "util/csv.h"
#include "util/json.h"
#include "util/utf8.h"
#include "util/yaml.h"

#define CHUNK ((size_t)1 << 20)
#define DEFAULT_CONFIDENCE 50 /* rows that state none (GraphSense's middle level) */
#define OFAC_CONFIDENCE 100   /* the designation itself */

struct achunk {
    struct achunk *next;
    size_t used, cap;
    char data[];
};

struct pending {
    const char *chain, *addr, *label, *source, *context;
    int category, confidence;
};

struct ictx {
    struct cs_tagdb *db;
    const struct cs_tag_import_opts *opts;
    struct cs_tag_import_result *res;
    const char *name;
    struct achunk *arena;
    struct pending *pend;
    size_t npend, pcap;
    size_t rcap; /* capacity of res->rejects */
    int oom;
    const char *last[4]; /* previous row's saved label, source, context (save()) */
};

struct row {
    unsigned line;
    const char *address;    /* as written */
    const char *chain;      /* resolved code, NULL if unknown */
    const char *chain_word; /* what the file named, for messages */
    const char *label, *source, *context;
    int category; /* -1: unknown category word cat_word */
    const char *cat_word;
    int confidence; /* -1: bad confidence conf_word */
    const char *conf_word;
    int reject; /* preset rejection (not an address row, ...) */
    const char *reject_detail;
};

/* Copies s (cut at cap - 1 bytes, UTF-8 safe) into the arena.  With slot >= 0
 * a string equal to the one saved last in that slot is shared, not copied. */
static const char *save(struct ictx *c, int slot, const char *s, size_t cap)
{
    size_t n = cs_utf8_cut(s, strlen(s), cap - 1);
    if (slot >= 0 && c->last[slot] && !strncmp(c->last[slot], s, n) && !c->last[slot][n])
        return c->last[slot];
    struct achunk *a = c->arena;
    if (!a || a->cap - a->used < n + 1) {
        /* chunks grow from 4 KiB to CHUNK: small files stay cheap */
        size_t sz = a ? a->cap * 2 : 4096;
        if (sz > CHUNK) sz = CHUNK;
        if (sz < n + 1) sz = n + 1;
        if (!(a = malloc(sizeof *a + sz))) {
            c->oom = 1;
            return NULL;
        }
        a->used = 0;
        a->cap = sz;
        a->next = c->arena;
        c->arena = a;
    }
    char *d = a->data + a->used;
    memcpy(d, s, n);
    d[n] = 0;
    a->used += n + 1;
    if (slot >= 0) c->last[slot] = d;
    return d;
}

static void reject(struct ictx *c, unsigned line, int reason, const char *addr, const char *fmt,
                   ...) CS_PRINTF(5, 6);
static void reject(struct ictx *c, unsigned line, int reason, const char *addr, const char *fmt,
                   ...)
{
    struct cs_tag_import_result *r = c->res;
    r->rejected++;
    if (r->nrejects >= CS_TAG_MAX_REJECTS) return;
    if (r->nrejects == c->rcap) {
        size_t cap = c->rcap ? c->rcap * 2 : 16;
        if (cap > CS_TAG_MAX_REJECTS) cap = CS_TAG_MAX_REJECTS;
        struct cs_tag_reject_row *nr = realloc(r->rejects, cap * sizeof *nr);
        if (!nr) {
            c->oom = 1;
            return;
        }
        r->rejects = nr;
        c->rcap = cap;
    }
    struct cs_tag_reject_row *rr = &r->rejects[r->nrejects++];
    rr->line = line;
    rr->reason = reason;
    tag_copy_cut(rr->address, sizeof rr->address, addr ? addr : "");
    rr->address[cs_utf8_check(rr->address, strlen(rr->address))] = 0; /* shown as text later */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rr->detail, sizeof rr->detail, fmt, ap);
    va_end(ap);
}

static int blank(const char *s)
{
    if (!s) return 1;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return *s == 0;
}

/* 0 if every text field of r is valid UTF-8 and at most CS_TAG_FIELD_MAX
 * bytes; else rejects the row naming the field and returns -1. */
static int check_text(struct ictx *c, const struct row *r)
{
    const struct {
        const char *name, *text;
    } f[] = {{"address", r->address},     {"label", r->label},      {"source", r->source},
             {"context", r->context},     {"chain", r->chain_word}, {"category", r->cat_word},
             {"confidence", r->conf_word}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (!f[i].text) continue;
        size_t n = strlen(f[i].text), bad;
        if (n > CS_TAG_FIELD_MAX) {
            reject(c, r->line, CS_TAG_BAD_TEXT, "", "%s is longer than %d bytes", f[i].name,
                   CS_TAG_FIELD_MAX);
            return -1;
        }
        if ((bad = cs_utf8_check(f[i].text, n)) < n) {
            reject(c, r->line, CS_TAG_BAD_TEXT, i ? r->address : "",
                   "%s: invalid UTF-8 (byte 0x%02x at byte %zu of the field)", f[i].name,
                   (unsigned char)f[i].text[bad], bad);
            return -1;
        }
    }
    return 0;
}

static void emit(struct ictx *c, const struct row *r)
{
    c->res->rows++;
    const char *a = r->address ? r->address : "";
    if (r->reject) {
        reject(c, r->line, r->reject, a, "%s", r->reject_detail ? r->reject_detail : "");
        return;
    }
    if (check_text(c, r)) return;
    if (blank(r->address)) {
        reject(c, r->line, CS_TAG_MISSING_FIELD, a, "no address");
        return;
    }
    if (!r->chain) {
        if (r->chain_word && *r->chain_word)
            reject(c, r->line, CS_TAG_UNKNOWN_CHAIN, a, "currency/chain '%.60s' is not supported",
                   r->chain_word);
        else
            reject(c, r->line, CS_TAG_UNKNOWN_CHAIN, a,
                   "the address does not show its chain; name one (chain column or --chain)");
        return;
    }
    char canon[CS_TAG_ADDR_MAX], why[160];
    int rc = cs_tag_normalize_address(r->chain, r->address, canon, sizeof canon, why, sizeof why);
    if (rc != CS_TAG_OK) {
        reject(c, r->line, rc, a, "%s: %s", r->chain, why);
        return;
    }
    if (blank(r->label)) {
        reject(c, r->line, CS_TAG_MISSING_FIELD, a, "no label");
        return;
    }
    if (blank(r->source)) {
        reject(c, r->line, CS_TAG_MISSING_FIELD, a, "no source");
        return;
    }
    if (r->category < 0) {
        reject(c, r->line, CS_TAG_BAD_CATEGORY, a, "'%.60s' is not a category",
               r->cat_word ? r->cat_word : "");
        return;
    }
    if (r->confidence < 0 || r->confidence > 100) {
        reject(c, r->line, CS_TAG_BAD_CONFIDENCE, a,
               "'%.40s' is not 0..100, 0.0..1.0 or a GraphSense level",
               r->conf_word ? r->conf_word : "");
        return;
    }
    if (c->npend == c->pcap) {
        size_t cap = c->pcap ? c->pcap * 2 : 1024;
        struct pending *np = realloc(c->pend, cap * sizeof *np);
        if (!np) {
            c->oom = 1;
            return;
        }
        c->pend = np;
        c->pcap = cap;
    }
    struct pending *p = &c->pend[c->npend];
    p->chain = r->chain; /* static code */
    p->addr = save(c, -1, canon, CS_TAG_ADDR_MAX);
    p->label = save(c, 0, r->label, CS_TAG_LABEL_MAX);
    p->source = save(c, 1, r->source, CS_TAG_SOURCE_MAX);
    p->context = save(c, 2, r->context ? r->context : "", CS_TAG_CONTEXT_MAX);
    p->category = r->category;
    p->confidence = r->confidence;
    if (p->addr && p->label && p->source && p->context) c->npend++;
}

/* 0..100; "0.85" style fractions; GraphSense words.  -1 if none fits. */
static int parse_confidence(const char *s)
{
    while (*s == ' ')
        s++;
    int w = cs_tag_confidence_from_word(s);
    if (w >= 0) return w;
    if (!isdigit((unsigned char)*s)) return -1;
    long ip = 0;
    const char *p = s;
    while (isdigit((unsigned char)*p) && ip <= 1000)
        ip = ip * 10 + (*p++ - '0');
    if (*p == '.') { /* a fraction of one: round to a percentage */
        if (ip > 1) return -1;
        p++;
        long frac = 0, scale = 1;
        while (isdigit((unsigned char)*p)) {
            if (scale < 100000) {
                frac = frac * 10 + (*p - '0');
                scale *= 10;
            }
            p++;
        }
        while (*p == ' ')
            p++;
        if (*p) return -1;
        long pct = (ip * scale + frac) * 100;
        pct = (pct + scale / 2) / scale;
        return pct <= 100 ? (int)pct : -1;
    }
    while (*p == ' ')
        p++;
    return *p || ip > 100 ? -1 : (int)ip;
}

/* A record cs_csv_next marked bad (NUL byte or over-long field) counts as a
 * rejected row. */
static void reject_bad_record(struct ictx *c, const struct cs_csv *v, unsigned line)
{
    c->res->rows++;
    if (v->bad_nul)
        reject(c, line, CS_TAG_BAD_TEXT, "", "column %d holds a NUL byte", v->bad_field + 1);
    else
        reject(c, line, CS_TAG_BAD_TEXT, "", "column %d is longer than %d bytes", v->bad_field + 1,
               CS_TAG_FIELD_MAX);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

/* ---- csv ---- */

enum { COL_ADDRESS, COL_LABEL, COL_CATEGORY, COL_SOURCE, COL_CONFIDENCE, COL_CHAIN, NCOLS };

static int column_role(const char *h)
{
    static const struct {
        const char *name;
        int role;
    } alias[] = {
        {"address", COL_ADDRESS},  {"addr", COL_ADDRESS},
        {"wallet", COL_ADDRESS},   {"wallet_address", COL_ADDRESS},
        {"label", COL_LABEL},      {"name", COL_LABEL},
        {"name tag", COL_LABEL},   {"name_tag", COL_LABEL},
        {"entity", COL_LABEL},     {"category", COL_CATEGORY},
        {"source", COL_SOURCE},    {"confidence", COL_CONFIDENCE},
        {"chain", COL_CHAIN},      {"network", COL_CHAIN},
        {"blockchain", COL_CHAIN}, {"currency", COL_CHAIN},
        {"asset", COL_CHAIN},
    };
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (!strcasecmp(h, alias[i].name)) return alias[i].role;
    return -1;
}

static int import_csv(struct ictx *c, const char *data, size_t len)
{
    struct cs_csv v;
    cs_csv_init(&v, data, len, CS_TAG_FIELD_MAX);
    char *f[CS_CSV_MAX_FIELDS];
    int nf, rc;
    unsigned line;
    int col[NCOLS];
    for (int i = 0; i < NCOLS; i++)
        col[i] = -1;
    if ((rc = cs_csv_next(&v, c->name, f, &nf, &line)) <= 0) {
        cs_csv_free(&v);
        return rc < 0 ? rc : cs_error(CS_EFORMAT, "%s: empty CSV file", c->name);
    }
    if (v.bad_field >= 0) {
        cs_csv_free(&v);
        return cs_error(CS_EFORMAT, "%s: line 1: header column %d %s", c->name, v.bad_field + 1,
                        v.bad_nul ? "holds a NUL byte" : "is too long");
    }
    for (int i = 0; i < nf; i++) {
        char *h = trim(f[i]);
        if (i == 0 && !strncmp(h, "\xef\xbb\xbf", 3)) h = trim(h + 3);
        int role = column_role(h);
        if (role >= 0 && col[role] < 0) col[role] = i;
    }
    const char *missing = col[COL_ADDRESS] < 0                            ? "address"
                          : col[COL_LABEL] < 0                            ? "label"
                          : (col[COL_CATEGORY] < 0 && !c->opts->category) ? "category"
                          : (col[COL_SOURCE] < 0 && !c->opts->source)     ? "source"
                                                                          : NULL;
    if (missing) {
        cs_csv_free(&v);
        return cs_error(CS_EFORMAT,
                        "%s: line 1: the CSV header has no '%s' column (expected "
                        "address,label,category,source[,confidence][,chain]%s)",
                        c->name, missing,
                        !strcmp(missing, "category") || !strcmp(missing, "source")
                            ? "; --category/--source set one for every row"
                            : "");
    }
    int default_cat = -1;
    if (c->opts->category &&
        (default_cat = cs_tag_category_from_concept(c->opts->category, NULL)) < 0) {
        cs_csv_free(&v);
        return cs_error(CS_EUSAGE, "'%s' is not a category", c->opts->category);
    }
    while ((rc = cs_csv_next(&v, c->name, f, &nf, &line)) > 0) {
        int empty = 1;
        for (int i = 0; i < nf; i++)
            empty &= blank(f[i]);
        if (empty && v.bad_field < 0) continue;
        if (v.bad_field >= 0) {
            reject_bad_record(c, &v, line);
            continue;
        }
        const char *cell[NCOLS];
        for (int k = 0; k < NCOLS; k++)
            cell[k] = col[k] >= 0 && col[k] < nf ? trim(f[col[k]]) : "";
        struct row r = {.line = line, .address = cell[COL_ADDRESS], .label = cell[COL_LABEL]};
        const char *cw = *cell[COL_CHAIN] ? cell[COL_CHAIN] : c->opts->chain;
        r.chain_word = cw;
        r.chain = cs_tag_chain_from_name(cw, r.address);
        if (*cell[COL_CATEGORY]) {
            r.cat_word = cell[COL_CATEGORY];
            r.category = cs_tag_category_from_concept(r.cat_word, r.chain);
        } else {
            r.cat_word = "";
            r.category = default_cat;
        }
        r.source = *cell[COL_SOURCE] ? cell[COL_SOURCE] : c->opts->source;
        r.conf_word = cell[COL_CONFIDENCE];
        r.confidence = *r.conf_word ? parse_confidence(r.conf_word) : DEFAULT_CONFIDENCE;
        emit(c, &r);
        if (c->oom) break;
    }
    cs_csv_free(&v);
    return rc < 0 ? rc : 0;
}

/* ---- ofac-list ---- */

/* "…sanctioned_addresses_XBT.txt" -> "XBT" (into out), else "" */
static void asset_from_name(const char *name, char *out, size_t cap)
{
    out[0] = 0;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    const char *p = strstr(base, "sanctioned_addresses_");
    if (!p) return;
    p += strlen("sanctioned_addresses_");
    size_t n = 0;
    while (p[n] && isalnum((unsigned char)p[n]) && n + 1 < cap)
        n++;
    memcpy(out, p, n);
    out[n] = 0;
}

static void ofac_list_row(struct ictx *c, unsigned line, const char *addr, const char *asset,
                          const char *context)
{
    const char *cw = c->opts->chain ? c->opts->chain : (*asset ? asset : NULL);
    struct row r = {.line = line,
                    .address = addr,
                    .chain_word = cw,
                    .chain = cs_tag_chain_from_name(cw, addr),
                    .label = "OFAC SDN list",
                    .source = "OFAC",
                    .context = context,
                    .category = CS_TAG_SANCTIONED,
                    .confidence = OFAC_CONFIDENCE};
    emit(c, &r);
}

/* The .json variant of the per-asset lists: an array of address strings,
 * read with the project's JSON parser (escapes resolved, invalid UTF-8 and
 * syntax errors reported with their byte). */
static int import_ofac_json(struct ictx *c, const char *data, size_t len, const char *asset,
                            const char *context)
{
    struct cs_json_doc doc = {0};
    struct cs_json_limits lim = {
        .max_depth = 4, .max_bytes = CS_TAG_IMPORT_MAX_FILE, .name = c->name};
    int rc = cs_json_parse(&doc, data, len, &lim);
    if (rc) return rc;
    const struct cs_json *arr = doc.root;
    if (arr->type != CS_JSON_ARRAY) {
        cs_json_doc_free(&doc);
        return cs_error(CS_EFORMAT, "%s: expected a JSON array of address strings", c->name);
    }
    unsigned line = 1;
    size_t at = 0; /* lines counted up to here */
    for (size_t k = 0; k < arr->len && !c->oom; k++) {
        const struct cs_json *it = &arr->u.items[k];
        for (; at < it->offset && at < len; at++)
            line += data[at] == '\n';
        if (it->type != CS_JSON_STRING) {
            struct row r = {.line = line, .reject = CS_TAG_BAD_ENTRY};
            char why[64];
            snprintf(why, sizeof why, "a JSON %s, not an address string",
                     cs_json_type_name(it->type));
            r.reject_detail = why;
            emit(c, &r);
            continue;
        }
        if (strlen(it->u.str) != it->len) {
            struct row r = {.line = line,
                            .reject = CS_TAG_BAD_TEXT,
                            .reject_detail = "the address holds a NUL byte"};
            emit(c, &r);
            continue;
        }
        ofac_list_row(c, line, it->u.str, asset, context);
    }
    cs_json_doc_free(&doc);
    return c->oom ? CS_ENOMEM : 0;
}

static int import_ofac_list(struct ictx *c, const char *data, size_t len)
{
    char asset[16], context[64];
    asset_from_name(c->name, asset, sizeof asset);
    if (*asset)
        snprintf(context, sizeof context, "list=%s", asset);
    else
        context[0] = 0;
    char item[CS_TAG_ADDR_MAX * 2];
    size_t i = 0;
    while (i < len && isspace((unsigned char)data[i]))
        i++;
    if (i < len && data[i] == '[') return import_ofac_json(c, data, len, asset, context);
    unsigned line = 1;
    for (size_t ls = 0; ls < len; line++) {
        size_t le = ls;
        while (le < len && data[le] != '\n')
            le++;
        size_t a = ls, b = le;
        while (a < b && isspace((unsigned char)data[a]))
            a++;
        while (b > a && isspace((unsigned char)data[b - 1]))
            b--;
        if (b > a && data[a] != '#') {
            if (b - a > sizeof item - 1 || memchr(data + a, 0, b - a)) {
                struct row r = {.line = line,
                                .reject = CS_TAG_BAD_TEXT,
                                .reject_detail = b - a > sizeof item - 1
                                                     ? "line too long for an address"
                                                     : "the line holds a NUL byte"};
                emit(c, &r);
            } else {
                memcpy(item, data + a, b - a);
                item[b - a] = 0;
                ofac_list_row(c, line, item, asset, context);
            }
            if (c->oom) return CS_ENOMEM;
        }
        ls = le + 1;
    }
    return 0;
}

/* ---- ofac-sdn-csv ---- */

static int import_sdn(struct ictx *c, const char *data, size_t len)
{
    struct cs_csv v;
    cs_csv_init(&v, data, len, CS_TAG_FIELD_MAX);
    char *f[CS_CSV_MAX_FIELDS];
    int nf, rc;
    unsigned line;
    static const char key[] = "Digital Currency Address - ";
    while ((rc = cs_csv_next(&v, c->name, f, &nf, &line)) > 0) {
        if (v.bad_field >= 0) {
            reject_bad_record(c, &v, line);
            continue;
        }
        if (nf < 12) continue; /* the 0x1a end mark, blank lines */
        char *name = trim(f[1]), *remarks = f[11];
        char program[256], context[CS_TAG_CONTEXT_MAX];
        size_t po = 0;
        for (const char *p = trim(f[3]); *p && po + 3 < sizeof program; p++) {
            if (!strncmp(p, "] [", 3)) { /* "DPRK3] [CYBER2" lists several programs */
                program[po++] = ',';
                program[po++] = ' ';
                p += 2;
            } else {
                program[po++] = *p;
            }
        }
        program[po] = 0;
        const char *type = trim(f[2]);
        snprintf(context, sizeof context, "program=%s; sdn=%s%s%s", program, trim(f[0]),
                 strcmp(type, "-0-") ? "; type=" : "", strcmp(type, "-0-") ? type : "");
        size_t rlen = strlen(remarks);
        int cut = rlen && remarks[rlen - 1] != '.'; /* sdn.csv truncates long remarks */
        for (char *p = strstr(remarks, key); p; p = strstr(p, key)) {
            p += sizeof key - 1;
            char asset[16], addr[CS_TAG_ADDR_MAX * 2];
            size_t n = 0;
            while (isalnum((unsigned char)*p) && n + 1 < sizeof asset)
                asset[n++] = *p++;
            asset[n] = 0;
            while (*p == ' ')
                p++;
            n = 0;
            while (*p && *p != ';' && *p != ' ' && n + 1 < sizeof addr)
                addr[n++] = *p++;
            while (n && (addr[n - 1] == '.' || addr[n - 1] == ','))
                n--;
            addr[n] = 0;
            int at_end = *p == 0 && cut;
            struct row r = {.line = line,
                            .address = addr,
                            .chain_word = asset,
                            .chain = cs_tag_chain_from_name(asset, addr),
                            .label = name,
                            .source = "OFAC",
                            .context = context,
                            .category = CS_TAG_SANCTIONED,
                            .confidence = OFAC_CONFIDENCE};
            if (n == 0 || at_end) {
                /* cut off by the truncated remarks field: say so rather than "bad checksum" */
                char canon[CS_TAG_ADDR_MAX];
                if (n == 0 || !r.chain ||
                    cs_tag_normalize_address(r.chain, addr, canon, sizeof canon, NULL, 0) !=
                        CS_TAG_OK) {
                    r.reject = n == 0 ? CS_TAG_MISSING_FIELD : CS_TAG_BAD_ADDRESS;
                    r.reject_detail = "address cut off where sdn.csv truncates the remarks";
                }
            }
            emit(c, &r);
            if (c->oom) break;
        }
        if (c->oom) break;
    }
    cs_csv_free(&v);
    return rc < 0 ? rc : 0;
}

/* ---- GraphSense TagPack ---- */

static const char *scalar_of(const struct cs_yaml_node *map, const char *key)
{
    const char *s = cs_yaml_str(cs_yaml_get(map, key));
    return s && *s ? s : NULL;
}

/* tag value, else the pack's header value (TagPack inheritance) */
static const char *inherit(const struct cs_yaml_node *tag, const struct cs_yaml_node *hdr,
                           const char *key)
{
    const char *s = scalar_of(tag, key);
    return s ? s : scalar_of(hdr, key);
}

static int is_lazarus(const char *actor, const char *label)
{
    return (actor && (!strcasecmp(actor, "lazarusgroup") || !strcasecmp(actor, "lazarus") ||
                      !strcasecmp(actor, "lazarus_group"))) ||
           (label && !strcasecmp(label, "lazarus group"));
}

static int is_ofac_source(const char *source, const char *title)
{
    if (source && strcasestr(source, "treasury.gov") &&
        (strcasestr(source, "ofac") || strcasestr(source, "sdn")))
        return 1;
    return title && strstr(title, "OFAC") != NULL;
}

static int tagpack_category(const char *abuse, const char *category,
                            const struct cs_yaml_node *concepts, const char *chain,
                            const char *source, const char *title)
{
    int cat;
    if ((cat = cs_tag_category_from_concept(abuse, chain)) >= 0 && cat != CS_TAG_OTHER) return cat;
    if ((cat = cs_tag_category_from_concept(category, chain)) >= 0 && cat != CS_TAG_OTHER)
        return cat;
    if (concepts && concepts->kind == CS_YAML_SEQ)
        for (const struct cs_yaml_node *n = concepts->child; n; n = n->next)
            if ((cat = cs_tag_category_from_concept(cs_yaml_str(n), chain)) >= 0 &&
                cat != CS_TAG_OTHER)
                return cat;
    if (is_ofac_source(source, title)) return CS_TAG_SANCTIONED;
    return CS_TAG_OTHER; /* TagPack words we do not map are kept in the context */
}

/* The key of the first scalar member of map whose text holds a NUL byte
 * (written as "\0" or "\x00" in a quoted YAML scalar), or NULL. */
static const char *nul_member(const struct cs_yaml_node *map)
{
    if (!map || map->kind != CS_YAML_MAP) return NULL;
    for (const struct cs_yaml_node *m = map->child; m; m = m->next)
        if (m->kind == CS_YAML_SCALAR && m->str && strlen(m->str) != m->len)
            return m->key ? m->key : "?";
    return NULL;
}

/* Appends key and at most max bytes of value (cut at a UTF-8 boundary, so a
 * valid value stays valid) to ctx[CS_TAG_CONTEXT_MAX] at *len; NULL value:
 * nothing. */
static void ctx_add(char *ctx, size_t *len, const char *key, const char *value, size_t max)
{
    if (!value) return;
    size_t kl = strlen(key), vl = cs_utf8_cut(value, strlen(value), max);
    if (*len + kl + vl + 1 > CS_TAG_CONTEXT_MAX) return; /* 200 + 3 * 60 + 120 + keys fit */
    memcpy(ctx + *len, key, kl);
    memcpy(ctx + *len + kl, value, vl);
    *len += kl + vl;
    ctx[*len] = 0;
}

static int import_tagpack(struct ictx *c, const char *data, size_t len)
{
    struct cs_yaml_doc *doc;
    int rc = cs_yaml_parse(data, len, c->name, &doc);
    if (rc) return rc;
    const struct cs_yaml_node *root = cs_yaml_root(doc);
    const struct cs_yaml_node *tags = cs_yaml_get(root, "tags");
    if (!tags || (tags->kind != CS_YAML_SEQ && tags->kind != CS_YAML_NULL)) {
        cs_yaml_free(doc);
        return cs_error(CS_EFORMAT, "%s: not a TagPack (no 'tags:' list at the top level)",
                        c->name);
    }
    const char *title = scalar_of(root, "title");
    const char *hdr_nul = nul_member(root); /* header values are inherited by every tag */
    for (const struct cs_yaml_node *t = tags->child; t && !c->oom; t = t->next) {
        struct row r = {.line = t->line};
        if (t->kind != CS_YAML_MAP) {
            r.reject = CS_TAG_BAD_ENTRY;
            r.reject_detail = "tags entry is not a mapping";
            emit(c, &r);
            continue;
        }
        const struct cs_yaml_node *an = cs_yaml_get(t, "address");
        r.address = cs_yaml_str(an);
        const char *nul_key = nul_member(t);
        if (!nul_key) nul_key = hdr_nul;
        char nul_why[96];
        if (nul_key) {
            snprintf(nul_why, sizeof nul_why, "%.60s holds a NUL byte", nul_key);
            r.reject = CS_TAG_BAD_TEXT;
            r.reject_detail = nul_why;
        } else if (!r.address && scalar_of(t, "tx_hash")) {
            r.reject = CS_TAG_BAD_ENTRY;
            r.reject_detail = "transaction tag (tx_hash), not an address";
        } else if (an && an->kind != CS_YAML_SCALAR && an->kind != CS_YAML_NULL) {
            r.reject = CS_TAG_BAD_ENTRY;
            r.reject_detail = "address is not a string";
        }
        const char *network = inherit(t, root, "network"), *currency = inherit(t, root, "currency");
        r.chain_word = network ? network : currency;
        r.chain = cs_tag_chain_from_name(r.chain_word, r.address);
        const char *actor = inherit(t, root, "actor"), *abuse = inherit(t, root, "abuse");
        const char *category = inherit(t, root, "category");
        const struct cs_yaml_node *concepts = cs_yaml_get(t, "concepts");
        if (!concepts) concepts = cs_yaml_get(root, "concepts");
        r.label = inherit(t, root, "label");
        r.source = inherit(t, root, "source");
        const char *orig_label = r.label;
        if (is_lazarus(actor, r.label)) {
            r.label = "Lazarus Group";
            r.category = CS_TAG_HACKER_GROUP;
        } else {
            r.category = tagpack_category(abuse, category, concepts, r.chain, r.source, title);
        }
        if (!r.label) r.label = title;
        const char *conf = inherit(t, root, "confidence");
        r.conf_word = conf;
        r.confidence = conf ? parse_confidence(conf) : DEFAULT_CONFIDENCE;
        if (r.confidence < 0) r.confidence = DEFAULT_CONFIDENCE; /* level we do not know */
        char context[CS_TAG_CONTEXT_MAX];
        /* the pack's own words, and a label we replaced by the actor's name */
        int relabelled = orig_label && strcasecmp(orig_label, r.label ? r.label : "");
        size_t cl = 0;
        context[0] = 0;
        ctx_add(context, &cl, "tagpack=", title ? title : "", 200);
        ctx_add(context, &cl, "; actor=", actor, 60);
        ctx_add(context, &cl, "; category=", category, 60);
        ctx_add(context, &cl, "; abuse=", abuse, 60);
        ctx_add(context, &cl, "; label=", relabelled ? orig_label : NULL, 120);
        r.context = context;
        emit(c, &r);
    }
    cs_yaml_free(doc);
    return c->oom ? CS_ENOMEM : 0;
}

/* ---- guessing ---- */

static int line_is_csv_header(const char *s, size_t n)
{
    char cell[64];
    size_t k = 0;
    int cells = 0, addr = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == ',') {
            cell[k] = 0;
            char *h = cell;
            if (!strncmp(h, "\xef\xbb\xbf", 3)) h += 3;
            h = trim(h);
            size_t hl = strlen(h);
            if (hl >= 2 && h[0] == '"' && h[hl - 1] == '"') {
                h[hl - 1] = 0;
                h++;
            }
            addr |= column_role(h) == COL_ADDRESS;
            cells++;
            k = 0;
        } else if (k + 1 < sizeof cell) {
            cell[k++] = s[i] == '\r' ? ' ' : s[i];
        }
    }
    return cells >= 2 && addr;
}

int cs_tag_format_guess(const char *data, size_t len, const char *name)
{
    size_t i = 0;
    if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3)) i = 3;
    while (i < len && isspace((unsigned char)data[i]))
        i++;
    if (i < len && data[i] == '[') return CS_TAGFMT_OFAC_LIST;
    size_t le = i;
    while (le < len && data[le] != '\n')
        le++;
    /* sdn.csv: ent_num,"SDN name",... */
    size_t d = i;
    while (d < le && isdigit((unsigned char)data[d]))
        d++;
    if (d > i && d + 1 < le && data[d] == ',' && data[d + 1] == '"') return CS_TAGFMT_OFAC_SDN_CSV;
    if (line_is_csv_header(data + i, le - i)) return CS_TAGFMT_CSV;
    /* YAML: a top-level "tags:" key, "---", or "key: value" lines */
    int lines = 0, single = 0, yaml = 0;
    for (size_t ls = i; ls < len && lines < 200;) {
        size_t e = ls;
        while (e < len && data[e] != '\n')
            e++;
        size_t a = ls, b = e;
        while (b > a && isspace((unsigned char)data[b - 1]))
            b--;
        if (b > a && data[a] != '#') {
            lines++;
            if (a == ls && b - a >= 5 && !memcmp(data + a, "tags:", 5) &&
                (b - a == 5 || data[a + 5] == ' ' || data[a + 5] == '#'))
                yaml = 1;
            if (a == ls && b - a >= 3 && !memcmp(data + a, "---", 3)) yaml = 1;
            int tok = 1, colon = 0;
            for (size_t k = a; k < b; k++) {
                if (isspace((unsigned char)data[k]) || data[k] == ',') tok = 0;
                if (data[k] == ':' && k + 1 < b && data[k + 1] == ' ') colon = 1;
            }
            single += tok;
            if (colon && isalpha((unsigned char)data[a])) yaml |= 2;
        }
        ls = e + 1;
    }
    if (yaml & 1 || (yaml & 2 && single < lines)) return CS_TAGFMT_TAGPACK;
    if (lines > 0 && single == lines) return CS_TAGFMT_OFAC_LIST;
    return cs_error(CS_EFORMAT,
                    "%s: cannot tell the format (not a TagPack, an OFAC list, OFAC sdn.csv or a "
                    "CSV with an address column); give --format",
                    name ? name : "input");
}

/* ---- entry points ---- */

void cs_tag_import_result_free(struct cs_tag_import_result *res)
{
    if (!res) return;
    free(res->rejects);
    res->rejects = NULL;
    res->nrejects = 0;
}

int cs_tagdb_import_buf(struct cs_tagdb *db, const char *data, size_t len, const char *name,
                        const struct cs_tag_import_opts *opts, struct cs_tag_import_result *res)
{
    static const struct cs_tag_import_opts none = {0};
    memset(res, 0, sizeof *res);
    if (!opts) opts = &none;
    if (!name) name = "input";
    if (len > CS_TAG_IMPORT_MAX_FILE)
        return cs_error(CS_ERANGE, "%s: %zu bytes exceeds the import cap of %zu", name, len,
                        CS_TAG_IMPORT_MAX_FILE);
    while (len && data[len - 1] == 0x1a)
        len--; /* DOS end-of-file mark (OFAC's sdn.csv) */
    int fmt = opts->format;
    if (fmt == CS_TAGFMT_AUTO && (fmt = cs_tag_format_guess(data, len, name)) < 0) return fmt;
    if (fmt < CS_TAGFMT_CSV || fmt > CS_TAGFMT_TAGPACK)
        return cs_error(CS_EUSAGE, "unknown import format %d", fmt);
    if (opts->chain && !tag_chain_name_ok(opts->chain))
        return cs_error(CS_EUSAGE, "'%s' is not a chain or currency we support", opts->chain);
    res->format = fmt;
    struct ictx c = {.db = db, .opts = opts, .res = res, .name = name};
    int rc;
    switch (fmt) {
    case CS_TAGFMT_CSV:
        rc = import_csv(&c, data, len);
        break;
    case CS_TAGFMT_OFAC_LIST:
        rc = import_ofac_list(&c, data, len);
        break;
    case CS_TAGFMT_OFAC_SDN_CSV:
        rc = import_sdn(&c, data, len);
        break;
    default:
        rc = import_tagpack(&c, data, len);
        break;
    }
    if (!rc && c.oom) rc = cs_error(CS_ENOMEM, "%s: out of memory", name);
    for (size_t i = 0; !rc && i < c.npend; i++) {
        const struct pending *p = &c.pend[i];
        struct cs_tag t = {p->chain,   p->addr,     p->label,     p->source,
                           p->context, p->category, p->confidence};
        int outcome;
        if ((rc = tagdb_put(db, &t, &outcome))) break;
        if (outcome == CS_TAG_ADDED)
            res->added++;
        else if (outcome == CS_TAG_UPDATED)
            res->updated++;
        else
            res->unchanged++;
    }
    if (rc) { /* report nothing as imported */
        res->rows = res->added = res->updated = res->unchanged = 0;
    }
    free(c.pend);
    while (c.arena) {
        struct achunk *a = c.arena;
        c.arena = a->next;
        free(a);
    }
    return rc;
}

int cs_tagdb_import_file(struct cs_tagdb *db, const char *path,
                         const struct cs_tag_import_opts *opts, struct cs_tag_import_result *res)
{
    memset(res, 0, sizeof *res);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cs_error(CS_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return cs_error(CS_EIO, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return cs_error(CS_EIO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > CS_TAG_IMPORT_MAX_FILE) {
        close(fd);
        return cs_error(CS_ERANGE, "%s: %lld bytes exceeds the import cap of %zu", path,
                        (long long)st.st_size, CS_TAG_IMPORT_MAX_FILE);
    }
    size_t len = (size_t)st.st_size, got = 0;
    char *buf = malloc(len ? len : 1);
    if (!buf) {
        close(fd);
        return cs_error(CS_ENOMEM, "%s: out of memory", path);
    }
    while (got < len) {
        ssize_t k = read(fd, buf + got, len - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    int e = errno;
    close(fd);
    if (got != len) {
        free(buf);
        return cs_error(CS_EIO, "%s: read failed: %s", path, strerror(e));
    }
    int rc = cs_tagdb_import_buf(db, buf, len, path, opts, res);
    free(buf);
    return rc;
}
