/* db.c — the tag table: interned strings, an address hash index, and the
 * crash-safe tags.tsv file.
 *
 * Every string (chain, address, label, source, context) is interned once in
 * an arena that never moves, so a tag is six 32-bit ids and two bytes, and
 * identity checks compare integers.  The index maps (chain id, address id) to
 * the first tag of that address; the tags of one address are linked in
 * insertion order through `next`.
 *
 * tags.tsv layout (text, LF line ends, fields separated by TAB):
 *     #chainsleuth-tags<TAB>2
 *     s<TAB>string                      every interned string, its id = its order (0, 1, ...)
 *     t<TAB>chain<TAB>address<TAB>category<TAB>confidence<TAB>source<TAB>label<TAB>context
 *                                       one tag; chain/address/source/label/context are
 *                                       string ids, category a name, confidence 0..100
 *     #end<TAB><tags><TAB><sha256 hex of every byte before this line>
 * TAB, LF, CR and backslash inside strings are written as \t \n \r \\.  The string
 * table keeps the file about a third of a row-per-line text (BitMEX packs repeat one
 * label, source and context 336,000 times) and makes loading cheaper. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tags/tags_int.h"
#include "util/atomic_file.h"
#include "util/codec.h"
#include "util/hash.h"

#define STR_CHUNK ((size_t)1 << 20)
#define NONE UINT32_MAX
/* every stored string is shorter than the largest field cap */
#define CS_TAGDB_MAX_STRING CS_TAG_SOURCE_MAX

struct strchunk {
    struct strchunk *next;
    size_t used, cap;
    char data[];
};

struct tagrec {
    uint32_t chain, addr, label, source, context;
    uint32_t next; /* next tag of the same address, NONE at the end */
    uint8_t category, confidence;
};

struct islot {
    uint32_t chain, addr, head;
};

struct cs_tagdb {
    char *dir, *tagdir;
    int lockfd;
    int writable, dirty;
    /* string pool */
    struct strchunk *chunks;
    const char **str;
    uint32_t *slen;
    uint32_t nstr, strcap;
    uint32_t *stab; /* id + 1, 0 = empty */
    uint32_t smask;
    /* tags and address index */
    struct tagrec *tags;
    uint32_t ntags, tagcap;
    struct islot *itab; /* head == NONE: empty */
    uint32_t imask, iused;
};

/* ---- string pool ---- */

static uint64_t str_hash(const char *s, size_t n)
{
    return cs_hash64(s, n, 0x7461677364623031ULL);
}

static uint32_t pool_find(const struct cs_tagdb *db, const char *s, size_t n)
{
    if (!db->stab) return NONE;
    for (uint64_t i = str_hash(s, n) & db->smask;; i = (i + 1) & db->smask) {
        uint32_t v = db->stab[i];
        if (!v) return NONE;
        uint32_t id = v - 1;
        if (db->slen[id] == n && !memcmp(db->str[id], s, n)) return id;
    }
}

static int pool_grow_table(struct cs_tagdb *db)
{
    uint32_t size = db->stab ? (db->smask + 1) * 2 : 1024;
    if (size == 0 || size > (1u << 30))
        return cs_error(CS_ERANGE, "tags: too many distinct strings");
    uint32_t *t = calloc(size, sizeof *t);
    if (!t) return cs_error(CS_ENOMEM, "tags: out of memory (string table)");
    for (uint32_t id = 0; id < db->nstr; id++) {
        uint64_t i = str_hash(db->str[id], db->slen[id]) & (size - 1);
        while (t[i])
            i = (i + 1) & (size - 1);
        t[i] = id + 1;
    }
    free(db->stab);
    db->stab = t;
    db->smask = size - 1;
    return 0;
}

static int pool_intern(struct cs_tagdb *db, const char *s, uint32_t *id)
{
    size_t n = strlen(s);
    if (n >= CS_TAGDB_MAX_STRING)
        return cs_error(CS_ERANGE, "tags: string of %zu bytes exceeds %d", n, CS_TAGDB_MAX_STRING);
    uint32_t found = pool_find(db, s, n);
    if (found != NONE) {
        *id = found;
        return 0;
    }
    int rc;
    if (!db->stab || (uint64_t)(db->nstr + 1) * 2 > (uint64_t)db->smask + 1)
        if ((rc = pool_grow_table(db))) return rc;
    if (db->nstr == db->strcap) {
        uint32_t cap = db->strcap ? db->strcap * 2 : 1024;
        const char **ns = realloc(db->str, cap * sizeof *ns);
        if (ns) db->str = ns;
        uint32_t *nl = realloc(db->slen, cap * sizeof *nl);
        if (nl) db->slen = nl;
        if (!ns || !nl) return cs_error(CS_ENOMEM, "tags: out of memory (strings)");
        db->strcap = cap;
    }
    struct strchunk *c = db->chunks;
    if (!c || c->cap - c->used < n + 1) {
        size_t cap = c ? c->cap * 2 : 4096; /* 4 KiB growing to STR_CHUNK */
        if (cap > STR_CHUNK) cap = STR_CHUNK;
        if (cap < n + 1) cap = n + 1;
        if (!(c = malloc(sizeof *c + cap)))
            return cs_error(CS_ENOMEM, "tags: out of memory (text)");
        c->used = 0;
        c->cap = cap;
        c->next = db->chunks;
        db->chunks = c;
    }
    char *d = c->data + c->used;
    memcpy(d, s, n + 1);
    c->used += n + 1;
    uint32_t nid = db->nstr++;
    db->str[nid] = d;
    db->slen[nid] = (uint32_t)n;
    uint64_t i = str_hash(d, n) & db->smask;
    while (db->stab[i])
        i = (i + 1) & db->smask;
    db->stab[i] = nid + 1;
    *id = nid;
    return 0;
}

/* ---- address index ---- */

static uint64_t pair_hash(uint32_t chain, uint32_t addr)
{
    uint64_t k = (uint64_t)chain << 32 | addr;
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    return k ^ (k >> 33);
}

static struct islot *index_slot(const struct cs_tagdb *db, uint32_t chain, uint32_t addr)
{
    if (!db->itab) return NULL;
    for (uint64_t i = pair_hash(chain, addr) & db->imask;; i = (i + 1) & db->imask) {
        struct islot *s = &db->itab[i];
        if (s->head == NONE || (s->chain == chain && s->addr == addr)) return s;
    }
}

static int index_grow(struct cs_tagdb *db)
{
    uint32_t size = db->itab ? (db->imask + 1) * 2 : 1024;
    if (size == 0 || size > (1u << 30)) return cs_error(CS_ERANGE, "tags: address index too large");
    struct islot *t = malloc((size_t)size * sizeof *t);
    if (!t) return cs_error(CS_ENOMEM, "tags: out of memory (address index)");
    for (uint32_t i = 0; i < size; i++)
        t[i].head = NONE;
    for (uint32_t j = 0; db->itab && j <= db->imask; j++) {
        struct islot *s = &db->itab[j];
        if (s->head == NONE) continue;
        uint64_t i = pair_hash(s->chain, s->addr) & (size - 1);
        while (t[i].head != NONE)
            i = (i + 1) & (size - 1);
        t[i] = *s;
    }
    free(db->itab);
    db->itab = t;
    db->imask = size - 1;
    return 0;
}

static void fill(const struct cs_tagdb *db, const struct tagrec *r, struct cs_tag *out)
{
    out->chain = db->str[r->chain];
    out->address = db->str[r->addr];
    out->label = db->str[r->label];
    out->source = db->str[r->source];
    out->context = db->str[r->context];
    out->category = r->category;
    out->confidence = r->confidence;
}

int tagdb_put(struct cs_tagdb *db, const struct cs_tag *t, int *outcome)
{
    uint32_t ch, ad, lb, so, cx;
    int rc;
    if ((rc = pool_intern(db, t->chain, &ch)) || (rc = pool_intern(db, t->address, &ad)) ||
        (rc = pool_intern(db, t->label, &lb)) || (rc = pool_intern(db, t->source, &so)) ||
        (rc = pool_intern(db, t->context ? t->context : "", &cx)))
        return rc;
    if (!db->itab || (uint64_t)(db->iused + 1) * 2 > (uint64_t)db->imask + 1)
        if ((rc = index_grow(db))) return rc;
    struct islot *slot = index_slot(db, ch, ad);
    uint32_t last = NONE;
    for (uint32_t i = slot->head; slot->head != NONE && i != NONE; i = db->tags[i].next) {
        struct tagrec *r = &db->tags[i];
        last = i;
        if (r->category != t->category || r->label != lb || r->source != so) continue;
        int changed = 0;
        if (t->confidence > r->confidence) {
            r->confidence = (uint8_t)t->confidence;
            changed = 1;
        }
        if (db->slen[r->context] == 0 && db->slen[cx] != 0) {
            r->context = cx;
            changed = 1;
        }
        db->dirty |= changed;
        *outcome = changed ? CS_TAG_UPDATED : CS_TAG_UNCHANGED;
        return 0;
    }
    if (db->ntags >= CS_TAGDB_MAX_TAGS)
        return cs_error(CS_ERANGE, "tags: table full (%u tags)", CS_TAGDB_MAX_TAGS);
    if (db->ntags == db->tagcap) {
        uint32_t cap = db->tagcap ? db->tagcap * 2 : 4096;
        struct tagrec *nt = realloc(db->tags, (size_t)cap * sizeof *nt);
        if (!nt) return cs_error(CS_ENOMEM, "tags: out of memory (tags)");
        db->tags = nt;
        db->tagcap = cap;
    }
    uint32_t id = db->ntags++;
    db->tags[id] =
        (struct tagrec){ch, ad, lb, so, cx, NONE, (uint8_t)t->category, (uint8_t)t->confidence};
    if (slot->head == NONE) {
        slot->chain = ch;
        slot->addr = ad;
        slot->head = id;
        db->iused++;
    } else {
        db->tags[last].next = id;
    }
    db->dirty = 1;
    *outcome = CS_TAG_ADDED;
    return 0;
}

/* ---- public queries ---- */

size_t cs_tagdb_count(const struct cs_tagdb *db)
{
    return db->ntags;
}

void cs_tagdb_get(const struct cs_tagdb *db, size_t i, struct cs_tag *out)
{
    if (i >= db->ntags) BUG("tag %zu of %u", i, db->ntags);
    fill(db, &db->tags[i], out);
}

size_t cs_tagdb_lookup(const struct cs_tagdb *db, const char *chain, const char *address,
                       struct cs_tag *out, size_t cap)
{
    uint32_t ch = pool_find(db, chain, strlen(chain));
    uint32_t ad = ch == NONE ? NONE : pool_find(db, address, strlen(address));
    if (ad == NONE) return 0;
    struct islot *s = index_slot(db, ch, ad);
    if (!s || s->head == NONE) return 0;
    size_t n = 0;
    for (uint32_t i = s->head; i != NONE; i = db->tags[i].next, n++)
        if (n < cap) fill(db, &db->tags[i], &out[n]);
    return n;
}

static int addr_matches(const char *chain, const char *canonical, const char *q, size_t qn)
{
    if (strlen(canonical) == qn && !memcmp(canonical, q, qn)) return 1;
    return tag_addr_caseless(chain, canonical) && strlen(canonical) == qn &&
           !strncasecmp(canonical, q, qn);
}

int cs_tagdb_find(const struct cs_tagdb *db, const struct cs_tag_filter *f, size_t *cursor,
                  struct cs_tag *out)
{
    const char *q = NULL;
    size_t qn = 0;
    if (f && f->address) {
        q = f->address;
        while (*q == ' ' || *q == '\t')
            q++;
        if (!strncasecmp(q, "bitcoincash:", 12)) q += 12;
        qn = strlen(q);
        while (qn && (q[qn - 1] == ' ' || q[qn - 1] == '\t' || q[qn - 1] == '\r'))
            qn--;
    }
    for (size_t i = *cursor; i < db->ntags; i++) {
        const struct tagrec *r = &db->tags[i];
        if (f) {
            if (f->category >= 0 && r->category != f->category) continue;
            if (f->chain && strcmp(db->str[r->chain], f->chain)) continue;
            if (f->label && !strcasestr(db->str[r->label], f->label)) continue;
            if (f->source && !strcasestr(db->str[r->source], f->source)) continue;
            if (q && !addr_matches(db->str[r->chain], db->str[r->addr], q, qn)) continue;
        }
        fill(db, r, out);
        *cursor = i + 1;
        return 1;
    }
    *cursor = db->ntags;
    return 0;
}

int cs_tagdb_add(struct cs_tagdb *db, const struct cs_tag *tag, int *outcome, int *reason)
{
    char addr[CS_TAG_ADDR_MAX], why[160];
    char label[CS_TAG_LABEL_MAX], source[CS_TAG_SOURCE_MAX], context[CS_TAG_CONTEXT_MAX];
    int r = CS_TAG_OK;
    if (reason) *reason = CS_TAG_OK;
    if (!tag->label || !*tag->label || !tag->source || !*tag->source) {
        r = CS_TAG_MISSING_FIELD;
        snprintf(why, sizeof why, "label and source are required");
    } else if (tag->category < 0 || tag->category >= CS_TAG_NCATEGORIES) {
        r = CS_TAG_BAD_CATEGORY;
        snprintf(why, sizeof why, "category %d", tag->category);
    } else if (tag->confidence < 0 || tag->confidence > 100) {
        r = CS_TAG_BAD_CONFIDENCE;
        snprintf(why, sizeof why, "confidence %d is not 0..100", tag->confidence);
    } else {
        r = cs_tag_normalize_address(tag->chain, tag->address, addr, sizeof addr, why, sizeof why);
    }
    if (r != CS_TAG_OK) {
        if (reason) *reason = r;
        return cs_error(CS_EFORMAT, "tag %s: %s: %s", tag->address ? tag->address : "(null)",
                        cs_tag_reject_name(r), why);
    }
    tag_copy_cut(label, sizeof label, tag->label);
    tag_copy_cut(source, sizeof source, tag->source);
    tag_copy_cut(context, sizeof context, tag->context ? tag->context : "");
    struct cs_tag t = {tag->chain, addr, label, source, context, tag->category, tag->confidence};
    return tagdb_put(db, &t, outcome);
}

/* ---- file I/O ---- */

static const char HEADER[] = "#chainsleuth-tags\t2\n";

static int unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r != '\\') {
            *w++ = *r;
            continue;
        }
        switch (*++r) {
        case 't':
            *w++ = '\t';
            break;
        case 'n':
            *w++ = '\n';
            break;
        case 'r':
            *w++ = '\r';
            break;
        case '\\':
            *w++ = '\\';
            break;
        default:
            return -1;
        }
    }
    *w = 0;
    return 0;
}

static int load(struct cs_tagdb *db, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return 0;
        return cs_error(CS_EIO, "%s: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return cs_error(CS_EIO, "%s: %s", path, strerror(e));
    }
    if ((uint64_t)st.st_size > CS_TAGDB_MAX_FILE) {
        close(fd);
        return cs_error(CS_ERANGE, "%s: %lld bytes exceeds the %zu-byte cap", path,
                        (long long)st.st_size, CS_TAGDB_MAX_FILE);
    }
    size_t len = (size_t)st.st_size;
    char *buf = malloc(len + 1);
    if (!buf) {
        close(fd);
        return cs_error(CS_ENOMEM, "%s: out of memory", path);
    }
    size_t got = 0;
    while (got < len) {
        ssize_t k = read(fd, buf + got, len - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fd);
    buf[got] = 0;
    int rc = 0;
    if (got != len) {
        rc = cs_error(CS_EIO, "%s: short read (%zu of %zu bytes)", path, got, len);
        goto out;
    }
    /* header, trailer and checksum before trusting any row */
    if (len < sizeof HEADER - 1 || memcmp(buf, HEADER, sizeof HEADER - 1)) {
        rc = cs_error(CS_ECORRUPT, "%s: byte 0: not a chainsleuth tag table", path);
        goto out;
    }
    if (len == 0 || buf[len - 1] != '\n') {
        rc = cs_error(CS_ECORRUPT, "%s: byte %zu: truncated (no final newline)", path, len);
        goto out;
    }
    size_t tr = len - 1;
    while (tr > 0 && buf[tr - 1] != '\n')
        tr--;
    unsigned long long rows = 0;
    char hex[65] = {0};
    if (strncmp(buf + tr, "#end\t", 5) ||
        sscanf(buf + tr + 5, "%llu\t%64[0-9a-f]", &rows, hex) != 2 || strlen(hex) != 64) {
        rc = cs_error(CS_ECORRUPT, "%s: byte %zu: missing '#end' trailer (file damaged)", path, tr);
        goto out;
    }
    uint8_t want[32], got_sum[32];
    if (cs_unhex(want, 32, hex, 64)) {
        rc = cs_error(CS_ECORRUPT, "%s: byte %zu: bad checksum field", path, tr);
        goto out;
    }
    cs_sha256(buf, tr, got_sum);
    if (memcmp(want, got_sum, 32)) {
        rc = cs_error(CS_ECORRUPT, "%s: checksum mismatch: the table was damaged or edited", path);
        goto out;
    }
    if (rows > CS_TAGDB_MAX_TAGS) {
        rc = cs_error(CS_ERANGE, "%s: %llu rows exceeds the cap of %u", path, rows,
                      CS_TAGDB_MAX_TAGS);
        goto out;
    }
    buf[tr] = 0;
    size_t lineno = 1, nrows = 0;
    for (char *line = buf + sizeof HEADER - 1; *line;) {
        char *nl = strchr(line, '\n');
        *nl = 0;
        lineno++;
        if (line[0] == 's' && line[1] == '\t') {
            uint32_t id, want_id = db->nstr;
            if (unescape(line + 2)) {
                rc = cs_error(CS_ECORRUPT, "%s: line %zu: bad escape", path, lineno);
                goto out;
            }
            if ((rc = pool_intern(db, line + 2, &id))) goto out;
            if (id != want_id) {
                rc = cs_error(CS_ECORRUPT, "%s: line %zu: string listed twice", path, lineno);
                goto out;
            }
        } else if (line[0] == 't' && line[1] == '\t') {
            char *f[7];
            int nf = 0;
            for (char *p = line + 2; nf < 7;) {
                f[nf++] = p;
                char *tab = strchr(p, '\t');
                if (!tab) break;
                *tab = 0;
                p = tab + 1;
            }
            unsigned long v[7] = {0};
            int ok = nf == 7;
            for (int k = 0; ok && k < 7; k++) {
                if (k == 2) continue;
                char *end;
                v[k] = strtoul(f[k], &end, 10);
                ok = *f[k] && !*end && (k == 3 ? v[k] <= 100 : v[k] < db->nstr);
            }
            int cat = ok ? cs_tag_category_parse(f[2]) : -1;
            if (!ok || cat < 0 || !cs_tag_chain_known(db->str[v[0]]) || !db->slen[v[1]]) {
                rc = cs_error(CS_ECORRUPT, "%s: line %zu: malformed tag row", path, lineno);
                goto out;
            }
            struct cs_tag t = {db->str[v[0]], db->str[v[1]], db->str[v[5]], db->str[v[4]],
                               db->str[v[6]], cat,           (int)v[3]};
            int outcome;
            if ((rc = tagdb_put(db, &t, &outcome))) goto out;
            nrows++;
        } else {
            rc = cs_error(CS_ECORRUPT, "%s: line %zu: unknown line type", path, lineno);
            goto out;
        }
        line = nl + 1;
    }
    if (nrows != rows) {
        rc = cs_error(CS_ECORRUPT, "%s: %zu rows, trailer says %llu", path, nrows, rows);
        goto out;
    }
    db->dirty = 0;
out:
    free(buf);
    return rc;
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0755) == 0) {
        /* make the new entry durable in its parent */
        char parent[4096];
        snprintf(parent, sizeof parent, "%s", path);
        char *slash = strrchr(parent, '/');
        if (slash == parent)
            slash[1] = 0;
        else if (slash)
            *slash = 0;
        else
            snprintf(parent, sizeof parent, ".");
        return cs_fsync_dir(parent);
    }
    struct stat st;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return 0;
    if (errno == EEXIST) return cs_error(CS_EIO, "%s: exists and is not a directory", path);
    return cs_error(CS_EIO, "%s: cannot create directory: %s", path, strerror(errno));
}

int cs_tagdb_open(const char *dir, int flags, struct cs_tagdb **out)
{
    *out = NULL;
    struct cs_tagdb *db = calloc(1, sizeof *db);
    if (!db) return cs_error(CS_ENOMEM, "tags: out of memory");
    db->lockfd = -1;
    db->writable = (flags & CS_TAGDB_WRITE) != 0;
    int rc = 0;
    if (dir) {
        size_t n = strlen(dir);
        if (n == 0 || n > 3000) {
            rc = cs_error(CS_EUSAGE, "tags: bad database directory name");
            goto fail;
        }
        db->dir = malloc(n + 1);
        db->tagdir = malloc(n + 6);
        if (!db->dir || !db->tagdir) {
            rc = cs_error(CS_ENOMEM, "tags: out of memory");
            goto fail;
        }
        memcpy(db->dir, dir, n + 1);
        snprintf(db->tagdir, n + 6, "%s/tags", dir);
        struct stat st;
        if (db->writable) {
            if ((rc = make_dir(db->dir)) || (rc = make_dir(db->tagdir))) goto fail;
            char lock[3100];
            snprintf(lock, sizeof lock, "%s/LOCK", db->tagdir);
            db->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
            if (db->lockfd < 0) {
                rc = cs_error(CS_EIO, "%s: %s", lock, strerror(errno));
                goto fail;
            }
            if (flock(db->lockfd, LOCK_EX | LOCK_NB) < 0) {
                rc =
                    errno == EWOULDBLOCK
                        ? cs_error(CS_ELOCKED, "%s: another process is writing the tag table", lock)
                        : cs_error(CS_EIO, "%s: flock: %s", lock, strerror(errno));
                goto fail;
            }
        } else if (stat(db->tagdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            rc = cs_error(CS_ENOTFOUND, "%s: no tag table (import tags first)", db->tagdir);
            goto fail;
        }
        char path[3100];
        snprintf(path, sizeof path, "%s/tags.tsv", db->tagdir);
        if ((rc = load(db, path))) goto fail;
    }
    db->dirty = 0;
    *out = db;
    return 0;
fail:
    cs_tagdb_close(db);
    return rc;
}

void cs_tagdb_close(struct cs_tagdb *db)
{
    if (!db) return;
    if (db->lockfd >= 0) close(db->lockfd); /* releases the flock */
    while (db->chunks) {
        struct strchunk *c = db->chunks;
        db->chunks = c->next;
        free(c);
    }
    free(db->str);
    free(db->slen);
    free(db->stab);
    free(db->tags);
    free(db->itab);
    free(db->dir);
    free(db->tagdir);
    free(db);
}

/* Appends s escaped to out (capacity checked by the caller: 2*len+1). */
static size_t escape_into(char *out, const char *s)
{
    size_t o = 0;
    for (; *s; s++) {
        switch (*s) {
        case '\t':
            out[o++] = '\\', out[o++] = 't';
            break;
        case '\n':
            out[o++] = '\\', out[o++] = 'n';
            break;
        case '\r':
            out[o++] = '\\', out[o++] = 'r';
            break;
        case '\\':
            out[o++] = '\\', out[o++] = '\\';
            break;
        default:
            out[o++] = *s;
        }
    }
    return o;
}

/* a write to the temp file through the helper, hashed on the way */
static int put(struct cs_atomic_file *af, struct cs_sha256_ctx *h, const char *s, size_t n)
{
    cs_sha256_add(h, s, n);
    return cs_atomic_write_all(af, s, n);
}

int cs_tagdb_commit(struct cs_tagdb *db)
{
    if (!db->dir || !db->dirty) return 0;
    if (!db->writable) return cs_error(CS_EUSAGE, "tags: table opened read-only");
    /* longest line: a string escaped (at most doubled) or seven ids */
    size_t rowcap = 2 * CS_TAGDB_MAX_STRING + 64;
    char *row = malloc(rowcap);
    if (!row) return cs_error(CS_ENOMEM, "tags: out of memory");
    /* rows are gathered into a buffer and written in large pieces */
    size_t bufcap = 1 << 16, bn = 0;
    char *buf = malloc(bufcap);
    if (!buf) {
        free(row);
        return cs_error(CS_ENOMEM, "tags: out of memory");
    }
    struct cs_atomic_file af;
    int rc = cs_atomic_open(&af, db->tagdir, "tags.tsv");
    if (rc) goto out;
    struct cs_sha256_ctx h;
    cs_sha256_begin(&h);
#define EMIT(p, n)                                                                                 \
    do {                                                                                           \
        size_t n_ = (n);                                                                           \
        if (bn + n_ > bufcap) {                                                                    \
            if ((rc = put(&af, &h, buf, bn))) goto abort;                                          \
            bn = 0;                                                                                \
        }                                                                                          \
        if (n_ > bufcap) {                                                                         \
            if ((rc = put(&af, &h, (p), n_))) goto abort;                                          \
        } else {                                                                                   \
            memcpy(buf + bn, (p), n_);                                                             \
            bn += n_;                                                                              \
        }                                                                                          \
    } while (0)
    EMIT(HEADER, sizeof HEADER - 1);
    for (uint32_t i = 0; i < db->nstr; i++) {
        row[0] = 's';
        row[1] = '\t';
        size_t o = 2 + escape_into(row + 2, db->str[i]);
        row[o++] = '\n';
        EMIT(row, o);
    }
    for (uint32_t i = 0; i < db->ntags; i++) {
        const struct tagrec *r = &db->tags[i];
        int o = snprintf(row, rowcap, "t\t%u\t%u\t%s\t%u\t%u\t%u\t%u\n", r->chain, r->addr,
                         cs_tag_category_name(r->category), r->confidence, r->source, r->label,
                         r->context);
        EMIT(row, (size_t)o);
    }
#undef EMIT
    if (bn && (rc = put(&af, &h, buf, bn))) goto abort;
    uint8_t sum[32];
    char hex[65], trailer[128];
    cs_sha256_end(&h, 0, sum);
    cs_hex(hex, sum, 32);
    int tl = snprintf(trailer, sizeof trailer, "#end\t%u\t%s\n", db->ntags, hex);
    if ((rc = cs_atomic_write_all(&af, trailer, (size_t)tl))) goto abort;
    rc = cs_atomic_commit(&af);
    if (!rc) db->dirty = 0;
    goto out;
abort:
    cs_atomic_abort(&af);
out:
    free(buf);
    free(row);
    return rc;
}
