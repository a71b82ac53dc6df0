/* attrib.c — address -> entity table for the trace (see attrib.h).
 *
 * Build: every usable tag becomes a record (key, label, category, ...) where
 * the key is the address's cluster id (cluster mode) or the address id.
 * finish() sorts the records by key and by preference, keeps the best one per
 * key, folds equal (label, category) pairs into one entity and fills an
 * open-addressing table key -> entity.  Lookups then cost one cid read and
 * one probe, which is what the walker's inner loop can afford. */
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/unionfind.h"
#include "tags/tags.h"
#include "trace/attrib.h"

struct tagrec {
    uint32_t key;
    int category;
    int confidence;
    char *label;
    char *source;
};

struct slot {
    uint32_t key1; /* key + 1; 0 = empty */
    int32_t entity;
};

struct cs_attrib {
    enum cs_attrib_mode mode;
    uint32_t prefer_mask;
    struct cs_clusterdb *cdb; /* cluster mode only */
    struct tagrec *rec;
    size_t nrec, caprec;
    struct cs_attrib_entity *ent;
    char **owned; /* strings the entities point to */
    size_t nent;
    struct slot *tab;
    size_t tabmask; /* capacity - 1; tab NULL when empty */
    int finished;
    size_t tags_read, tags_used, tags_skipped;
};

static int category_rank(uint32_t prefer, int cat)
{
    int base;
    switch (cat) {
    case CS_TAG_SANCTIONED:
        base = 0;
        break;
    case CS_TAG_MIXER:
        base = 1;
        break;
    case CS_TAG_BRIDGE:
        base = 2;
        break;
    case CS_TAG_EXCHANGE:
        base = 3;
        break;
    default:
        base = 4 + cat;
        break;
    }
    return ((prefer >> cat) & 1u ? 0 : 100) + base;
}

static _Thread_local uint32_t
    g_sort_prefer; /* qsort has no context argument; set under finish() only */

static int rec_cmp(const void *pa, const void *pb)
{
    const struct tagrec *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    int ra = category_rank(g_sort_prefer, a->category),
        rb = category_rank(g_sort_prefer, b->category);
    if (ra != rb) return ra < rb ? -1 : 1;
    if (a->confidence != b->confidence) return a->confidence > b->confidence ? -1 : 1;
    int c = strcmp(a->label, b->label);
    if (c) return c;
    return strcmp(a->source, b->source);
}

/* chosen (label, category) per key, to be folded into entities */
struct choice {
    uint32_t key;
    uint32_t rec; /* index into rec[] */
    int32_t entity;
};

static _Thread_local const struct tagrec *g_choice_rec;

static int choice_cmp(const void *pa, const void *pb)
{
    const struct choice *a = pa, *b = pb;
    const struct tagrec *x = &g_choice_rec[a->rec], *y = &g_choice_rec[b->rec];
    int c = strcmp(x->label, y->label);
    if (c) return c;
    if (x->category != y->category) return x->category < y->category ? -1 : 1;
    return a->key < b->key ? -1 : a->key > b->key;
}

static inline size_t hash32(uint32_t k)
{
    return (size_t)(((uint64_t)k * 0x9E3779B97F4A7C15ull) >> 32);
}

struct cs_attrib *cs_attrib_new(uint32_t prefer_mask)
{
    struct cs_attrib *a = cs_xcalloc(1, sizeof *a);
    a->mode = CS_ATTRIB_ADDRESS;
    a->prefer_mask = prefer_mask;
    return a;
}

static void add_rec(struct cs_attrib *a, uint32_t key, const char *label, int category,
                    int confidence, const char *source)
{
    if (a->nrec == a->caprec) {
        a->caprec = a->caprec ? a->caprec * 2 : 64;
        a->rec = cs_xrealloc(a->rec, a->caprec * sizeof *a->rec);
    }
    a->rec[a->nrec++] = (struct tagrec){key, category, confidence, cs_xstrdup(label),
                                        cs_xstrdup(source ? source : "")};
}

static uint32_t key_of(const struct cs_attrib *a, uint64_t addr)
{
    if (a->cdb) {
        uint32_t cid = cs_clusterdb_cid(a->cdb, addr);
        if (cid != CS_UF_NONE) return cid;
    }
    return (uint32_t)addr;
}

int cs_attrib_add(struct cs_attrib *a, uint64_t addr, const char *label, int category,
                  int confidence, const char *source)
{
    if (a->finished) return cs_error(CS_EUSAGE, "attrib: add after finish");
    if (category < 0 || category >= CS_TAG_NCATEGORIES || !label || !*label)
        return cs_error(CS_EUSAGE, "attrib: bad tag for address id %llu", (unsigned long long)addr);
    if (addr >= UINT32_MAX) return cs_error(CS_EUSAGE, "attrib: address id out of range");
    add_rec(a, key_of(a, addr), label, category, confidence, source);
    a->tags_used++;
    return 0;
}

void cs_attrib_finish(struct cs_attrib *a)
{
    if (a->finished) return;
    a->finished = 1;
    if (a->nrec == 0) return;
    g_sort_prefer = a->prefer_mask;
    qsort(a->rec, a->nrec, sizeof *a->rec, rec_cmp);
    /* best record per key */
    size_t nch = 0;
    struct choice *ch = cs_xmalloc(a->nrec * sizeof *ch);
    for (size_t i = 0; i < a->nrec; i++)
        if (i == 0 || a->rec[i].key != a->rec[i - 1].key)
            ch[nch++] = (struct choice){a->rec[i].key, (uint32_t)i, -1};
    /* fold equal (label, category) into entities, numbered in label order */
    g_choice_rec = a->rec;
    qsort(ch, nch, sizeof *ch, choice_cmp);
    a->ent = cs_xcalloc(nch, sizeof *a->ent);
    a->owned = cs_xcalloc(2 * nch, sizeof *a->owned);
    for (size_t i = 0; i < nch; i++) {
        const struct tagrec *r = &a->rec[ch[i].rec];
        struct cs_attrib_entity *e = a->nent ? &a->ent[a->nent - 1] : NULL;
        if (!e || strcmp(e->label, r->label) || e->category != r->category) {
            e = &a->ent[a->nent++];
            e->label = a->owned[2 * (a->nent - 1)] = cs_xstrdup(r->label);
            e->source = a->owned[2 * (a->nent - 1) + 1] = cs_xstrdup(r->source);
            e->category = r->category;
            e->confidence = r->confidence;
        } else if (r->confidence > e->confidence ||
                   (r->confidence == e->confidence && strcmp(r->source, e->source) < 0)) {
            free(a->owned[2 * (a->nent - 1) + 1]);
            e->source = a->owned[2 * (a->nent - 1) + 1] = cs_xstrdup(r->source);
            e->confidence = r->confidence;
        }
        e->keys++;
        ch[i].entity = (int32_t)(a->nent - 1);
    }
    /* key -> entity, load <= 1/2 */
    size_t cap = 16;
    while (cap < 2 * nch)
        cap *= 2;
    a->tab = cs_xcalloc(cap, sizeof *a->tab);
    a->tabmask = cap - 1;
    for (size_t i = 0; i < nch; i++) {
        size_t h = hash32(ch[i].key) & a->tabmask;
        while (a->tab[h].key1)
            h = (h + 1) & a->tabmask;
        a->tab[h] = (struct slot){ch[i].key + 1, ch[i].entity};
    }
    free(ch);
    for (size_t i = 0; i < a->nrec; i++) {
        free(a->rec[i].label);
        free(a->rec[i].source);
    }
    free(a->rec);
    a->rec = NULL;
    a->nrec = a->caprec = 0;
}

int32_t cs_attrib_lookup(const struct cs_attrib *a, uint64_t addr)
{
    if (!a->tab) return -1;
    uint32_t key = key_of(a, addr);
    size_t h = hash32(key) & a->tabmask;
    for (;;) {
        uint32_t k1 = a->tab[h].key1;
        if (k1 == key + 1) return a->tab[h].entity;
        if (k1 == 0) return -1;
        h = (h + 1) & a->tabmask;
    }
}

int cs_attrib_open(struct cs_attrib **out, const struct cs_store *s, const char *dbdir,
                   int want_cluster, uint32_t prefer_mask, char *note, size_t notecap)
{
    *out = NULL;
    char buf[512] = "";
    struct cs_attrib *a = cs_attrib_new(prefer_mask);
    struct cs_tagdb *db = NULL;
    int rc = cs_tagdb_open(dbdir, 0, &db);
    if (rc == CS_ENOTFOUND) {
        a->mode = CS_ATTRIB_NONE;
        snprintf(buf, sizeof buf,
                 "no tag store in %s (chainsleuth tags import): no address is attributed, so "
                 "nothing stops at an entity",
                 dbdir);
        cs_attrib_finish(a);
        goto done;
    }
    if (rc) {
        cs_attrib_free(a);
        return cs_error_prefix(rc, "attribution: ");
    }
    if (want_cluster) {
        rc = cs_clusterdb_open(&a->cdb, dbdir, cs_store_chain(s));
        if (rc == 0) {
            uint64_t behind = 0;
            if (cs_clusterdb_check(a->cdb, s, &behind)) {
                cs_clusterdb_close(a->cdb);
                a->cdb = NULL;
                snprintf(buf, sizeof buf,
                         "the clustering does not match the store (reorg below its tip: run "
                         "chainsleuth cluster); attribution uses each address's own tags only");
            } else {
                a->mode = CS_ATTRIB_CLUSTER;
                if (behind)
                    snprintf(buf, sizeof buf,
                             "cluster-level attribution (a tag on any member attributes the "
                             "whole cluster); the clustering is %llu blocks behind the store, "
                             "addresses first seen since then count as singletons",
                             (unsigned long long)behind);
                else
                    snprintf(buf, sizeof buf,
                             "cluster-level attribution: a tag on any member attributes the "
                             "whole cluster");
            }
        } else if (rc == CS_ENOTFOUND) {
            snprintf(buf, sizeof buf,
                     "no clustering found (chainsleuth cluster): attribution uses each "
                     "address's own tags only");
        } else {
            snprintf(buf, sizeof buf,
                     "the clustering could not be opened (%s): attribution uses each address's "
                     "own tags only",
                     cs_errmsg());
        }
    } else {
        snprintf(buf, sizeof buf, "address-level attribution (clustering not used)");
    }
    const struct cs_netparams *net = cs_store_net(s);
    size_t n = cs_tagdb_count(db);
    uint64_t naddr = cs_store_counts(s)->addr;
    for (size_t i = 0; i < n; i++) {
        struct cs_tag t;
        cs_tagdb_get(db, i, &t);
        a->tags_read++;
        struct cs_addr ad;
        uint64_t id;
        if (strcmp(t.chain, cs_store_chain(s)) || !net || cs_addr_parse(t.address, net, &ad) ||
            cs_store_find_addr(s, &ad, &id) || id == 0 || id >= naddr || id >= UINT32_MAX) {
            a->tags_skipped++;
            continue;
        }
        add_rec(a, key_of(a, id), t.label, t.category, t.confidence, t.source);
        a->tags_used++;
    }
    cs_error_clear();
    cs_tagdb_close(db);
    cs_attrib_finish(a);
done:
    if (note && notecap) snprintf(note, notecap, "%s", buf);
    *out = a;
    return 0;
}

void cs_attrib_free(struct cs_attrib *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->nrec; i++) {
        free(a->rec[i].label);
        free(a->rec[i].source);
    }
    free(a->rec);
    for (size_t i = 0; i < 2 * a->nent; i++)
        free(a->owned[i]);
    free(a->owned);
    free(a->ent);
    free(a->tab);
    if (a->cdb) cs_clusterdb_close(a->cdb);
    free(a);
}

const struct cs_attrib_entity *cs_attrib_entity(const struct cs_attrib *a, uint32_t i)
{
    return i < a->nent ? &a->ent[i] : NULL;
}

size_t cs_attrib_count(const struct cs_attrib *a)
{
    return a->nent;
}

enum cs_attrib_mode cs_attrib_mode(const struct cs_attrib *a)
{
    return a->mode;
}

const char *cs_attrib_mode_name(enum cs_attrib_mode mode)
{
    switch (mode) {
    case CS_ATTRIB_NONE:
        return "none";
    case CS_ATTRIB_ADDRESS:
        return "address";
    case CS_ATTRIB_CLUSTER:
        return "cluster";
    }
    return "unknown";
}

void cs_attrib_stats(const struct cs_attrib *a, size_t *tags_read, size_t *tags_used,
                     size_t *tags_skipped)
{
    if (tags_read) *tags_read = a->tags_read;
    if (tags_used) *tags_used = a->tags_used;
    if (tags_skipped) *tags_skipped = a->tags_skipped;
}
