/* validity.c — dated sanctions lists turned into per-address listing
 * intervals, stored beside the tag table, so that a screen can ask "was
 * this address sanctioned on D" (tags.h, "validity").
 *
 * The import reads every list through the ordinary ofac-list importer (one
 * memory-only table per list date, so each list's accepted addresses are
 * exactly what `tags import` would accept), walks each asset's lists in date
 * order opening an interval when an address appears and closing it at the
 * first later list without it, then merges the intervals of one (chain,
 * address) over assets. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tags/tags.h"
#include "util/atomic_file.h"
#include "util/codec.h"
#include "util/hash.h"

/* ---- dates ---- */

static int32_t days_from_civil(int y, unsigned m, unsigned d)
{
    /* shift the year to start in March, so the leap day is the year's last */
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void cs_tag_date_format(int32_t day, char out[11])
{
    int z = day + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int y = (int)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(out, 11, "%04d-%02u-%02u", y % 10000, m, d);
}

int cs_tag_date_parse(const char *s, int32_t *day)
{
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int ok = strlen(s) == 10 && s[4] == '-' && s[7] == '-';
    for (int i = 0; ok && i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) ok = 0;
    if (ok) {
        int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        unsigned m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
        unsigned d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (y >= 1970 && m >= 1 && m <= 12 && d >= 1 &&
            d <= mdays[m - 1] + (unsigned)(m == 2 && leap)) {
            *day = days_from_civil(y, m, d);
            return 0;
        }
    }
    return cs_error(CS_EUSAGE, "bad date '%.40s' (want YYYY-MM-DD, 1970 or later)", s);
}

/* ---- string-keyed table of interval lists ---- */

struct ival {
    int32_t from, to; /* to = -1: still listed */
};

struct hrec {
    char *key; /* "chain\taddress" (import: "asset\tchain\taddress") */
    struct ival *iv;
    size_t n, cap;
    int listed;
    size_t seen;
};

struct htab {
    struct hrec *r;
    size_t n, cap;
    size_t *slot; /* index + 1 */
    size_t nslot;
};

static uint64_t hstr(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
    return h;
}

static struct hrec *htab_find(const struct htab *t, const char *key)
{
    if (!t->nslot) return NULL;
    size_t h = hstr(key) & (t->nslot - 1);
    while (t->slot[h]) {
        struct hrec *r = &t->r[t->slot[h] - 1];
        if (!strcmp(r->key, key)) return r;
        h = (h + 1) & (t->nslot - 1);
    }
    return NULL;
}

static struct hrec *htab_get(struct htab *t, const char *key)
{
    struct hrec *r = htab_find(t, key);
    if (r) return r;
    if ((t->n + 1) * 2 > t->nslot) {
        size_t ns = t->nslot ? t->nslot * 2 : 256;
        size_t *sl = cs_xcalloc(ns, sizeof *sl);
        for (size_t i = 0; i < t->n; i++) {
            size_t h = hstr(t->r[i].key) & (ns - 1);
            while (sl[h]) h = (h + 1) & (ns - 1);
            sl[h] = i + 1;
        }
        free(t->slot);
        t->slot = sl;
        t->nslot = ns;
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->r = cs_xrealloc(t->r, t->cap * sizeof *t->r);
    }
    r = &t->r[t->n];
    memset(r, 0, sizeof *r);
    r->key = cs_xstrdup(key);
    r->seen = (size_t)-1;
    size_t h = hstr(key) & (t->nslot - 1);
    while (t->slot[h]) h = (h + 1) & (t->nslot - 1);
    t->slot[h] = ++t->n;
    return r;
}

static void hrec_push(struct hrec *r, int32_t from, int32_t to)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 4;
        r->iv = cs_xrealloc(r->iv, r->cap * sizeof *r->iv);
    }
    r->iv[r->n++] = (struct ival){from, to};
}

static void htab_free(struct htab *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->r[i].key);
        free(t->r[i].iv);
    }
    free(t->r);
    free(t->slot);
    memset(t, 0, sizeof *t);
}

/* ---- the stored table ---- */

struct cs_tag_validity {
    struct htab t;
    size_t intervals;
};

void cs_tag_validity_free(struct cs_tag_validity *v)
{
    if (!v) return;
    htab_free(&v->t);
    free(v);
}

void cs_tag_validity_stats(const struct cs_tag_validity *v, size_t *addresses, size_t *intervals)
{
    *addresses = v ? v->t.n : 0;
    *intervals = v ? v->intervals : 0;
}

int cs_tag_validity_in_force(const struct cs_tag_validity *v, const char *chain,
                             const char *address, int32_t day)
{
    if (!v) return -1;
    char key[CS_TAG_ADDR_MAX + 64];
    snprintf(key, sizeof key, "%s\t%s", chain, address);
    const struct hrec *r = htab_find(&v->t, key);
    if (!r) return -1;
    for (size_t i = 0; i < r->n; i++) {
        if (day == INT32_MAX) {
            if (r->iv[i].to < 0) return 1;
        } else if (r->iv[i].from <= day && (r->iv[i].to < 0 || day < r->iv[i].to)) {
            return 1;
        }
    }
    return 0;
}

static const char VHEAD[] = "#chainsleuth-validity\t1\n";

int cs_tag_validity_open(const char *dbdir, struct cs_tag_validity **out)
{
    *out = NULL;
    char path[4200];
    snprintf(path, sizeof path, "%s/tags/validity.tsv", dbdir);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) return cs_error(CS_ENOTFOUND, "%s: no sanctions history", path);
        return cs_error(CS_EIO, "%s: %s", path, strerror(errno));
    }
    struct cs_tag_validity *v = cs_xcalloc(1, sizeof *v);
    struct cs_sha256_ctx hc;
    cs_sha256_begin(&hc);
    char line[CS_TAG_ADDR_MAX + 128];
    unsigned ln = 0;
    int rc = 0, ended = 0;
    size_t rows = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        size_t n = strlen(line);
        if (!n || line[n - 1] != '\n') {
            rc = cs_error(CS_ECORRUPT, "%s:%u: line cut or too long", path, ln);
            break;
        }
        if (ended) {
            rc = cs_error(CS_ECORRUPT, "%s:%u: data after the trailer", path, ln);
            break;
        }
        if (ln == 1) {
            if (strcmp(line, VHEAD)) {
                rc = cs_error(CS_ECORRUPT, "%s:1: not a chainsleuth validity table", path);
                break;
            }
            cs_sha256_add(&hc, line, n);
            continue;
        }
        if (!strncmp(line, "#end\t", 5)) {
            unsigned long long cnt;
            char hex[65];
            uint8_t h[32];
            char got[65];
            cs_sha256_end(&hc, 0, h);
            cs_hex(got, h, 32);
            if (sscanf(line + 5, "%llu\t%64s", &cnt, hex) != 2 || cnt != rows || strcmp(hex, got)) {
                rc = cs_error(CS_ECORRUPT, "%s:%u: trailer does not match the table (damaged)",
                              path, ln);
                break;
            }
            ended = 1;
            continue;
        }
        cs_sha256_add(&hc, line, n);
        line[n - 1] = 0;
        char *f1 = line, *f2 = strchr(f1, '\t'), *f3 = f2 ? strchr(f2 + 1, '\t') : NULL,
             *f4 = f3 ? strchr(f3 + 1, '\t') : NULL;
        int32_t from, to = -1;
        if (!f4) {
            rc = cs_error(CS_ECORRUPT, "%s:%u: want chain, address, from, to", path, ln);
            break;
        }
        *f3++ = 0;
        *f4++ = 0;
        if (cs_tag_date_parse(f3, &from) || (strcmp(f4, "-") && cs_tag_date_parse(f4, &to)) ||
            (to >= 0 && to <= from)) {
            rc = cs_error(CS_ECORRUPT, "%s:%u: bad interval '%s' .. '%s'", path, ln, f3, f4);
            break;
        }
        hrec_push(htab_get(&v->t, f1), from, to);
        v->intervals++;
        rows++;
    }
    if (!rc && ferror(f)) rc = cs_error(CS_EIO, "%s: read error", path);
    if (!rc && !ended) rc = cs_error(CS_ECORRUPT, "%s: no trailer (cut short)", path);
    fclose(f);
    if (rc) {
        cs_tag_validity_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

/* ---- import ---- */

struct lfile {
    char path[1024];
    char asset[16];
    int32_t day;
};

/* "[YYYY-MM-DD_]sanctioned_addresses_ASSET.(txt|json)": 1 with asset and, if
 * the name has one, *day (else *day untouched) */
static int list_name(const char *base, char asset[16], int32_t *day)
{
    const char *p = base;
    char d[11];
    if (strlen(base) > 11 && base[10] == '_') {
        memcpy(d, base, 10);
        d[10] = 0;
        int32_t x;
        if (!cs_tag_date_parse(d, &x)) {
            *day = x;
            p = base + 11;
        }
    }
    cs_error_clear();
    if (strncmp(p, "sanctioned_addresses_", 21)) return 0;
    p += 21;
    const char *dot = strrchr(p, '.');
    if (!dot || (strcmp(dot, ".txt") && strcmp(dot, ".json"))) return 0;
    size_t n = (size_t)(dot - p);
    if (!n || n > 15) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9'))) return 0;
    memcpy(asset, p, n);
    asset[n] = 0;
    return 1;
}

/* date at the end of a directory name ("ofac-latest-2025-06-20") */
static int dir_date(const char *dir, int32_t *day)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    if (n < 10) return 0;
    char d[11];
    memcpy(d, dir + n - 10, 10);
    d[10] = 0;
    int ok = !cs_tag_date_parse(d, day);
    cs_error_clear();
    return ok;
}

static int cmp_lfile(const void *a, const void *b)
{
    const struct lfile *x = a, *y = b;
    int c = strcmp(x->asset, y->asset);
    if (c) return c;
    if (x->day != y->day) return x->day < y->day ? -1 : 1;
    return strcmp(x->path, y->path);
}

static int cmp_ival(const void *a, const void *b)
{
    const struct ival *x = a, *y = b;
    return x->from < y->from ? -1 : x->from > y->from;
}

void cs_tag_history_result_free(struct cs_tag_history_result *res)
{
    free(res->lists);
    memset(res, 0, sizeof *res);
}

static void sum_import(struct cs_tag_import_result *to, const struct cs_tag_import_result *r)
{
    to->rows += r->rows;
    to->added += r->added;
    to->updated += r->updated;
    to->unchanged += r->unchanged;
    to->rejected += r->rejected;
}

int cs_tag_history_import(struct cs_tagdb *db, const char *dbdir, const char *const *paths,
                          size_t n_paths, struct cs_tag_history_result *res)
{
    memset(res, 0, sizeof *res);
    struct lfile *lf = NULL;
    size_t nl = 0, cl = 0;
    int rc = 0;
    for (size_t i = 0; i < n_paths && !rc; i++) {
        struct stat st;
        if (stat(paths[i], &st)) {
            rc = cs_error(CS_EIO, "%s: %s", paths[i], strerror(errno));
            break;
        }
        char **names = NULL;
        size_t nn = 0;
        int32_t dday = -1;
        const char *dir = NULL;
        if (S_ISDIR(st.st_mode)) {
            dir = paths[i];
            if (!dir_date(dir, &dday)) dday = -1;
            DIR *d = opendir(dir);
            if (!d) {
                rc = cs_error(CS_EIO, "%s: %s", dir, strerror(errno));
                break;
            }
            struct dirent *e;
            while ((e = readdir(d))) {
                if (e->d_name[0] == '.') continue;
                names = cs_xrealloc(names, (nn + 1) * sizeof *names);
                names[nn++] = cs_xstrdup(e->d_name);
            }
            closedir(d);
        } else {
            names = cs_xmalloc(sizeof *names);
            names[nn++] = cs_xstrdup(paths[i]);
            const char *sl = strrchr(paths[i], '/');
            if (sl) {
                char dn[1024];
                snprintf(dn, sizeof dn, "%.*s", (int)(sl - paths[i]), paths[i]);
                if (!dir_date(dn, &dday)) dday = -1;
            }
        }
        for (size_t k = 0; k < nn; k++) {
            const char *base = strrchr(names[k], '/');
            base = base ? base + 1 : names[k];
            struct lfile x;
            memset(&x, 0, sizeof x);
            x.day = dday;
            if (!rc && list_name(base, x.asset, &x.day) && x.day >= 0) {
                if (dir) snprintf(x.path, sizeof x.path, "%s/%s", dir, names[k]);
                else snprintf(x.path, sizeof x.path, "%s", names[k]);
                if (nl == cl) {
                    cl = cl ? cl * 2 : 64;
                    lf = cs_xrealloc(lf, cl * sizeof *lf);
                }
                lf[nl++] = x;
            } else if (!rc && !dir) {
                rc = cs_error(CS_EUSAGE,
                              "%s: not a dated list (want YYYY-MM-DD_sanctioned_addresses_ASSET.txt, "
                              "or a directory whose name ends in the date)",
                              names[k]);
            } else {
                res->skipped_files++;
            }
            free(names[k]);
        }
        free(names);
    }
    if (!rc && !nl) rc = cs_error(CS_EUSAGE, "no dated sanctions list found");
    if (rc) {
        free(lf);
        return rc;
    }
    qsort(lf, nl, sizeof *lf, cmp_lfile);
    res->lists = cs_xcalloc(nl, sizeof *res->lists);
    res->n_lists = nl;
    struct htab recs = {0};
    size_t gen = 0;
    for (size_t i = 0; i < nl && !rc;) {
        /* one asset's lists of one date: their union is that day's list */
        size_t j = i;
        struct cs_tagdb *mem;
        rc = cs_tagdb_open(NULL, 0, &mem);
        if (rc) break;
        gen++;
        for (; j < nl && !strcmp(lf[j].asset, lf[i].asset) && lf[j].day == lf[i].day; j++) {
            struct cs_tag_import_opts o = {.format = CS_TAGFMT_OFAC_LIST};
            struct cs_tag_import_result r1, r2;
            rc = cs_tagdb_import_file(mem, lf[j].path, &o, &r1);
            if (!rc) rc = cs_tagdb_import_file(db, lf[j].path, &o, &r2);
            else memset(&r2, 0, sizeof r2);
            if (!rc) sum_import(&res->imported, &r2);
            struct cs_tag_history_list *L = &res->lists[j];
            snprintf(L->path, sizeof L->path, "%s", lf[j].path);
            snprintf(L->asset, sizeof L->asset, "%s", lf[j].asset);
            L->day = lf[j].day;
            L->addresses = rc ? 0 : r1.added + r1.updated + r1.unchanged;
            cs_tag_import_result_free(&r1);
            cs_tag_import_result_free(&r2);
            if (rc) break;
        }
        if (!rc) {
            size_t n = cs_tagdb_count(mem);
            char key[CS_TAG_ADDR_MAX + 64];
            for (size_t k = 0; k < n; k++) {
                struct cs_tag t;
                cs_tagdb_get(mem, k, &t);
                snprintf(key, sizeof key, "%s\t%s\t%s", lf[i].asset, t.chain, t.address);
                struct hrec *r = htab_get(&recs, key);
                r->seen = gen;
                if (!r->listed) {
                    hrec_push(r, lf[i].day, -1);
                    r->listed = 1;
                }
            }
            /* the asset's addresses missing from this day's list are delisted today */
            size_t al = strlen(lf[i].asset);
            for (size_t k = 0; k < recs.n; k++) {
                struct hrec *r = &recs.r[k];
                if (r->listed && r->seen != gen && !strncmp(r->key, lf[i].asset, al) &&
                    r->key[al] == '\t') {
                    r->iv[r->n - 1].to = lf[i].day;
                    r->listed = 0;
                }
            }
        }
        cs_tagdb_close(mem);
        i = j;
    }
    if (rc) {
        htab_free(&recs);
        free(lf);
        return rc;
    }
    /* merge over assets: key "chain\taddress" */
    struct htab merged = {0};
    for (size_t k = 0; k < recs.n; k++) {
        const char *ca = strchr(recs.r[k].key, '\t') + 1;
        struct hrec *m = htab_get(&merged, ca);
        for (size_t q = 0; q < recs.r[k].n; q++) hrec_push(m, recs.r[k].iv[q].from, recs.r[k].iv[q].to);
    }
    htab_free(&recs);
    size_t cap = 4096, len = 0;
    char *buf = cs_xmalloc(cap);
#define APPEND(...)                                                                                \
    do {                                                                                           \
        int w_;                                                                                    \
        while ((size_t)(w_ = snprintf(buf + len, cap - len, __VA_ARGS__)) >= cap - len)            \
            buf = cs_xrealloc(buf, cap *= 2);                                                      \
        len += (size_t)w_;                                                                         \
    } while (0)
    APPEND("%s", VHEAD);
    size_t rows = 0;
    for (size_t k = 0; k < merged.n; k++) {
        struct hrec *m = &merged.r[k];
        qsort(m->iv, m->n, sizeof *m->iv, cmp_ival);
        size_t w = 0;
        for (size_t q = 0; q < m->n; q++) {
            if (w && (m->iv[w - 1].to < 0 || m->iv[q].from <= m->iv[w - 1].to)) {
                if (m->iv[w - 1].to >= 0 && (m->iv[q].to < 0 || m->iv[q].to > m->iv[w - 1].to))
                    m->iv[w - 1].to = m->iv[q].to;
            } else {
                m->iv[w++] = m->iv[q];
            }
        }
        m->n = w;
        for (size_t q = 0; q < w; q++) {
            char f[11], t[11] = "-";
            cs_tag_date_format(m->iv[q].from, f);
            if (m->iv[q].to >= 0) cs_tag_date_format(m->iv[q].to, t);
            APPEND("%s\t%s\t%s\n", m->key, f, t);
            rows++;
        }
        res->intervals += w;
        if (w && m->iv[w - 1].to < 0) res->listed_now++;
        else res->delisted_now++;
    }
    res->addresses = merged.n;
    htab_free(&merged);
    uint8_t h[32];
    char hex[65];
    cs_sha256(buf, len, h);
    cs_hex(hex, h, 32);
    APPEND("#end\t%zu\t%s\n", rows, hex);
#undef APPEND
    char tdir[4200];
    snprintf(tdir, sizeof tdir, "%s/tags", dbdir);
    rc = cs_atomic_write(tdir, "validity.tsv", buf, len);
    free(buf);
    free(lf);
    return rc;
}
