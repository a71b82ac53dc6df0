/* json.c — RFC 8259 parser (iterative, arena DOM) and deterministic writer.
 *
 * The parser keeps finished values of open containers on one scratch stack;
 * when a container closes its values are copied into a contiguous arena array,
 * so items are O(1) to index and the arena holds no slack.  Strings are
 * scanned twice: once to find the closing quote (which bounds the decoded
 * size), once to validate and decode straight into the arena. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

#define DEFAULT_MAX_DEPTH 256
#define DEFAULT_MAX_BYTES ((size_t)256 << 20)
#define ARENA_MIN_BLOCK ((size_t)4096)
#define ARENA_MAX_BLOCK ((size_t)1 << 20)
#define INDEX_MIN_MEMBERS 8 /* objects above this size get a sorted key index */
#define WRITER_FLUSH ((size_t)64 << 10)

/* ------------------------------------------------------------ arena -- */

struct cs_json_arena_block {
    struct cs_json_arena_block *next;
    size_t used, cap; /* header is 24 bytes, so data stays 8-aligned */
};

static void *arena_alloc(struct cs_json_doc *doc, size_t n)
{
    if (n > SIZE_MAX - 8 - sizeof(struct cs_json_arena_block)) return NULL;
    n = (n + 7) & ~(size_t)7;
    struct cs_json_arena_block *head = doc->blocks;
    if (head && head->cap - head->used >= n) {
        void *p = (char *)(head + 1) + head->used;
        head->used += n;
        return p;
    }
    size_t cap;
    if (n >= ARENA_MAX_BLOCK / 4) {
        cap = n; /* big string or array: a block of its own */
    } else {
        cap = doc->bytes < ARENA_MIN_BLOCK ? ARENA_MIN_BLOCK : doc->bytes;
        if (cap > ARENA_MAX_BLOCK) cap = ARENA_MAX_BLOCK;
        if (cap < n) cap = n;
    }
    struct cs_json_arena_block *b = malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->used = n;
    b->cap = cap;
    doc->bytes += sizeof *b + cap;
    if (cap == n && head) {
        /* dedicated block: keep the current head serving small allocations */
        b->next = head->next;
        head->next = b;
    } else {
        b->next = head;
        doc->blocks = b;
    }
    return b + 1;
}

void cs_json_doc_free(struct cs_json_doc *doc)
{
    if (!doc) return;
    struct cs_json_arena_block *b = doc->blocks;
    while (b) {
        struct cs_json_arena_block *next = b->next;
        free(b);
        b = next;
    }
    doc->blocks = NULL;
    doc->root = NULL;
    doc->bytes = 0;
}

/* ------------------------------------------------------------- UTF-8 -- */

/* Decodes one well-formed UTF-8 sequence (no overlongs, no surrogates, at most
 * U+10FFFF) at s[0..n).  Returns its length (1..4) or 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    uint32_t v;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        v = c & 0x0F;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        v = c & 0x07;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < need + 1) return 0;
    for (size_t i = 1; i <= need; i++) {
        unsigned b = s[i];
        if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
        v = v << 6 | (b & 0x3F);
    }
    *cp = v;
    return need + 1;
}

/* Length (>= 1) of the invalid sequence at s[0..n) that one U+FFFD replaces:
 * the longest prefix that starts a well-formed sequence (Unicode's
 * "substitution of maximal subparts", as Python's and WHATWG's decoders do),
 * or 1 for a byte that can start none (0x80..0xC1, 0xF5..0xFF).  Call only
 * where utf8_decode returned 0. */
static size_t utf8_maximal_subpart(const unsigned char *s, size_t n)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else
        return 1;
    size_t k = 1;
    while (k <= need && k < n) {
        unsigned b = s[k];
        if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) break;
        k++;
    }
    return k;
}

static size_t utf8_encode(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Copies up to 40 bytes of s into out (64 bytes) for an error message,
 * replacing anything but printable ASCII by '?' and marking truncation. */
static const char *snippet(char out[64], const char *s, size_t len)
{
    size_t n = len > 40 ? 40 : len, i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
    }
    if (len > n) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = 0;
    return out;
}

/* ------------------------------------------------------------ parser -- */

struct pending {
    const char *key;
    size_t key_len, key_off;
    struct cs_json value;
};

struct frame {
    int is_obj;
    size_t start;    /* first pending entry of this container */
    size_t offset;   /* byte of '[' or '{' */
    const char *key; /* key waiting for its value (objects) */
    size_t key_len, key_off;
};

struct parser {
    const unsigned char *s;
    size_t len, pos;
    struct cs_json_doc *doc;
    const char *name;
    size_t max_depth;
    struct pending *stack;
    size_t nstack, capstack;
    struct frame *frames;
    size_t nframes, capframes;
    uint32_t *sort_tmp;
    size_t cap_sort_tmp;
};

static int perr(struct parser *p, size_t off, const char *fmt, ...) CS_PRINTF(3, 4);
static int perr(struct parser *p, size_t off, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cs_error(CS_EFORMAT, "%s: byte %zu: %s", p->name, off, msg);
}

static int nomem(struct parser *p)
{
    return cs_error(CS_ENOMEM, "%s: out of memory at byte %zu (document uses %zu bytes)", p->name,
                    p->pos, p->doc->bytes);
}

/* "'x'", "byte 0x0a" or "end of input" for the byte at off. */
static const char *describe(const struct parser *p, size_t off, char out[16])
{
    if (off >= p->len) return "end of input";
    unsigned char c = p->s[off];
    if (c >= 0x20 && c < 0x7F)
        snprintf(out, 16, "'%c'", c);
    else
        snprintf(out, 16, "byte 0x%02x", c);
    return out;
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len) {
        unsigned char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int hex4(const unsigned char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* Word-at-a-time string scanning.  Each flag sets the high bit of a byte
 * lane; a lane above a flagged one may be flagged spuriously (borrow), which
 * only sends that word to the byte loop, never skips a special byte. */
#define SWAR_ONES 0x0101010101010101ull
#define SWAR_HIGHS 0x8080808080808080ull
static uint64_t load8(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static uint64_t swar_eq(uint64_t x, unsigned char c)
{
    uint64_t y = x ^ (SWAR_ONES * c);
    return (y - SWAR_ONES) & ~y & SWAR_HIGHS;
}
static uint64_t swar_quote_bs(uint64_t x)
{
    return swar_eq(x, '"') | swar_eq(x, '\\');
}
/* Non-zero if the word holds '"', '\\', a byte < 0x20 or a byte >= 0x80. */
static uint64_t swar_special(uint64_t x)
{
    return swar_eq(x, '"') | swar_eq(x, '\\') | ((x - SWAR_ONES * 0x20) & ~x & SWAR_HIGHS) |
           (x & SWAR_HIGHS);
}

/* p->pos is at the opening quote.  Leaves p->pos after the closing quote. */
static int parse_string(struct parser *p, const char **out, size_t *out_len)
{
    const unsigned char *s = p->s;
    size_t open = p->pos, begin = open + 1, end = begin;
    /* pass 1: the closing quote; an escaped character is skipped whole.
     * Words of 8 plain bytes are skipped at once (hex blobs are megabytes). */
    for (;;) {
        while (end + 8 <= p->len && !swar_quote_bs(load8(s + end))) /* end may be len + 1 */
            end += 8;
        if (end >= p->len || s[end] == '"') break;
        end += s[end] == '\\' ? 2 : 1;
    }
    if (end >= p->len) return perr(p, p->len, "unterminated string (opened at byte %zu)", open);
    if (end == begin) {
        *out = "";
        *out_len = 0;
        p->pos = end + 1;
        return 0;
    }
    /* decoded length <= raw length: every escape shrinks or keeps size */
    char *dst = arena_alloc(p->doc, end - begin + 1);
    if (!dst) return nomem(p);
    size_t n = 0, i = begin;
    while (i < end) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '\\') {
            /* a run of plain ASCII: find its end a word at a time, copy once */
            size_t j = i + 1;
            while (end - j >= 8 && !swar_special(load8(s + j)))
                j += 8;
            while (j < end && s[j] >= 0x20 && s[j] < 0x80 && s[j] != '\\')
                j++;
            memcpy(dst + n, s + i, j - i);
            n += j - i;
            i = j;
            continue;
        }
        if (c < 0x20) return perr(p, i, "control character 0x%02x in string must be escaped", c);
        if (c >= 0x80) {
            uint32_t cp;
            size_t k = utf8_decode(s + i, end - i, &cp);
            if (!k) return perr(p, i, "invalid UTF-8 sequence starting with 0x%02x", c);
            memcpy(dst + n, s + i, k);
            n += k;
            i += k;
            continue;
        }
        /* backslash; pass 1 guarantees i + 1 < end */
        unsigned char e = s[i + 1];
        const char *simple = NULL;
        switch (e) {
        case '"':
            simple = "\"";
            break;
        case '\\':
            simple = "\\";
            break;
        case '/':
            simple = "/";
            break;
        case 'b':
            simple = "\b";
            break;
        case 'f':
            simple = "\f";
            break;
        case 'n':
            simple = "\n";
            break;
        case 'r':
            simple = "\r";
            break;
        case 't':
            simple = "\t";
            break;
        case 'u':
            break;
        default: {
            char d[16];
            return perr(p, i, "invalid escape '\\' followed by %s", describe(p, i + 1, d));
        }
        }
        if (simple) {
            dst[n++] = simple[0];
            i += 2;
            continue;
        }
        uint32_t cp, lo;
        if (end - i < 6 || hex4(s + i + 2, &cp))
            return perr(p, i, "\\u must be followed by 4 hex digits");
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return perr(p, i, "lone low surrogate \\u%04X", (unsigned)cp);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end - i < 12 || s[i + 6] != '\\' || s[i + 7] != 'u' || hex4(s + i + 8, &lo) ||
                lo < 0xDC00 || lo > 0xDFFF)
                return perr(p, i, "high surrogate \\u%04X not followed by a low surrogate",
                            (unsigned)cp);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 12;
        } else {
            i += 6;
        }
        n += utf8_encode(dst + n, cp);
    }
    dst[n] = 0;
    *out = dst;
    *out_len = n;
    p->pos = end + 1;
    return 0;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Number grammar from pos; returns the end or sets *err_off and *err_msg. */
static size_t scan_number(const unsigned char *s, size_t len, size_t pos, size_t *err_off,
                          const char **err_msg)
{
    if (pos < len && s[pos] == '-') pos++;
    if (pos >= len || !is_digit(s[pos])) {
        *err_off = pos;
        *err_msg = "expected a digit";
        return 0;
    }
    if (s[pos] == '0') {
        pos++;
        if (pos < len && is_digit(s[pos])) {
            *err_off = pos;
            *err_msg = "leading zeros are not allowed in numbers";
            return 0;
        }
    } else {
        while (pos < len && is_digit(s[pos]))
            pos++;
    }
    if (pos < len && s[pos] == '.') {
        pos++;
        if (pos >= len || !is_digit(s[pos])) {
            *err_off = pos;
            *err_msg = "expected a digit after the decimal point";
            return 0;
        }
        while (pos < len && is_digit(s[pos]))
            pos++;
    }
    if (pos < len && (s[pos] == 'e' || s[pos] == 'E')) {
        pos++;
        if (pos < len && (s[pos] == '+' || s[pos] == '-')) pos++;
        if (pos >= len || !is_digit(s[pos])) {
            *err_off = pos;
            *err_msg = "expected a digit in the exponent";
            return 0;
        }
        while (pos < len && is_digit(s[pos]))
            pos++;
    }
    *err_msg = NULL;
    return pos;
}

int cs_json_is_number(const char *text, size_t len)
{
    size_t off;
    const char *msg;
    size_t end = scan_number((const unsigned char *)text, len, 0, &off, &msg);
    return !msg && end == len;
}

static int parse_number(struct parser *p, struct cs_json *v)
{
    size_t start = p->pos, off;
    const char *msg;
    size_t end = scan_number(p->s, p->len, start, &off, &msg);
    if (msg) {
        char d[16];
        return perr(p, off, "%s, got %s", msg, describe(p, off, d));
    }
    char *t = arena_alloc(p->doc, end - start + 1);
    if (!t) return nomem(p);
    memcpy(t, p->s + start, end - start);
    t[end - start] = 0;
    v->type = CS_JSON_NUMBER;
    v->len = end - start;
    v->u.num = t;
    p->pos = end;
    return 0;
}

static int push_pending(struct parser *p, const struct frame *f, const struct cs_json *v)
{
    if (p->nstack == p->capstack) {
        size_t cap = p->capstack ? p->capstack * 2 : 64;
        struct pending *ns = realloc(p->stack, cap * sizeof *ns);
        if (!ns) return nomem(p);
        p->stack = ns;
        p->capstack = cap;
    }
    struct pending *e = &p->stack[p->nstack++];
    e->key = f->key;
    e->key_len = f->key_len;
    e->key_off = f->key_off;
    e->value = *v;
    return 0;
}

static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c) return c;
    return alen < blen ? -1 : alen > blen;
}

/* Stable bottom-up merge sort of member indices by key: O(n log n) whatever
 * the keys, so crafted input cannot make duplicate detection quadratic. */
static void sort_by_key(const struct cs_json_member *m, uint32_t *idx, uint32_t *tmp, size_t n)
{
    uint32_t *src = idx, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi) {
                const struct cs_json_member *x = &m[src[a]], *y = &m[src[b]];
                dst[k++] =
                    key_cmp(y->key, y->key_len, x->key, x->key_len) < 0 ? src[b++] : src[a++];
            }
            while (a < mid)
                dst[k++] = src[a++];
            while (b < hi)
                dst[k++] = src[b++];
        }
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != idx) memcpy(idx, src, n * sizeof *idx);
}

static int close_container(struct parser *p, struct cs_json *v)
{
    struct frame *f = &p->frames[p->nframes - 1];
    size_t n = p->nstack - f->start;
    const struct pending *e = n ? p->stack + f->start : NULL; /* stack may be NULL when empty */
    memset(v, 0, sizeof *v);
    v->offset = f->offset;
    v->len = n;
    if (!f->is_obj) {
        v->type = CS_JSON_ARRAY;
        if (n) {
            if (n > SIZE_MAX / sizeof(struct cs_json)) return nomem(p);
            struct cs_json *items = arena_alloc(p->doc, n * sizeof *items);
            if (!items) return nomem(p);
            for (size_t i = 0; i < n; i++)
                items[i] = e[i].value;
            v->u.items = items;
        }
    } else {
        v->type = CS_JSON_OBJECT;
        if (n) {
            if (n > UINT32_MAX)
                return cs_error(CS_ERANGE, "%s: byte %zu: object has more than 2^32-1 members",
                                p->name, f->offset);
            int indexed = n > INDEX_MIN_MEMBERS;
            size_t bytes = n * sizeof(struct cs_json_member) + (indexed ? n * sizeof(uint32_t) : 0);
            struct cs_json_member *m = arena_alloc(p->doc, bytes);
            if (!m) return nomem(p);
            for (size_t i = 0; i < n; i++) {
                m[i].key = e[i].key;
                m[i].key_len = e[i].key_len;
                m[i].value = e[i].value;
            }
            size_t dup = SIZE_MAX, first = 0; /* earliest second occurrence */
            if (!indexed) {
                for (size_t j = 1; j < n && dup == SIZE_MAX; j++)
                    for (size_t i = 0; i < j; i++)
                        if (!key_cmp(m[i].key, m[i].key_len, m[j].key, m[j].key_len)) {
                            dup = j;
                            first = i;
                            break;
                        }
            } else {
                uint32_t *idx = (uint32_t *)(m + n);
                if (p->cap_sort_tmp < n) {
                    uint32_t *t = realloc(p->sort_tmp, n * sizeof *t);
                    if (!t) return nomem(p);
                    p->sort_tmp = t;
                    p->cap_sort_tmp = n;
                }
                for (size_t i = 0; i < n; i++)
                    idx[i] = (uint32_t)i;
                sort_by_key(m, idx, p->sort_tmp, n);
                /* stable sort: within a run of equal keys the first index is the
                 * first occurrence and the second is its first duplicate */
                for (size_t i = 1; i < n; i++)
                    if (!key_cmp(m[idx[i - 1]].key, m[idx[i - 1]].key_len, m[idx[i]].key,
                                 m[idx[i]].key_len) &&
                        (i < 2 || key_cmp(m[idx[i - 2]].key, m[idx[i - 2]].key_len, m[idx[i]].key,
                                          m[idx[i]].key_len)) &&
                        (dup == SIZE_MAX || idx[i] < dup)) {
                        dup = idx[i];
                        first = idx[i - 1];
                    }
            }
            if (dup != SIZE_MAX) {
                char sn[64];
                return perr(p, e[dup].key_off, "duplicate key \"%s\" (first at byte %zu)",
                            snippet(sn, m[dup].key, m[dup].key_len), e[first].key_off);
            }
            v->u.members = m;
        }
    }
    p->nstack = f->start;
    p->nframes--;
    return 0;
}

/* At an object key position: parses "key" : and stores the key in the frame. */
static int parse_key(struct parser *p, struct frame *f)
{
    skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != '"') {
        char d[16];
        if (p->pos >= p->len)
            return perr(p, p->pos, "unterminated object (opened at byte %zu)", f->offset);
        return perr(p, p->pos, "expected a string key, got %s", describe(p, p->pos, d));
    }
    f->key_off = p->pos;
    int rc = parse_string(p, &f->key, &f->key_len);
    if (rc) return rc;
    skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != ':') {
        char d[16];
        return perr(p, p->pos, "expected ':' after object key, got %s", describe(p, p->pos, d));
    }
    p->pos++;
    return 0;
}

static int open_container(struct parser *p, int is_obj)
{
    if (p->nframes >= p->max_depth)
        return perr(p, p->pos, "nesting deeper than %zu levels", p->max_depth);
    if (p->nframes == p->capframes) {
        size_t cap = p->capframes ? p->capframes * 2 : 16;
        struct frame *nf = realloc(p->frames, cap * sizeof *nf);
        if (!nf) return nomem(p);
        p->frames = nf;
        p->capframes = cap;
    }
    struct frame *f = &p->frames[p->nframes++];
    memset(f, 0, sizeof *f);
    f->is_obj = is_obj;
    f->start = p->nstack;
    f->offset = p->pos;
    p->pos++;
    return 0;
}

static int match_literal(struct parser *p, const char *word, size_t n)
{
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
        return perr(p, p->pos, "invalid literal (expected true, false or null)");
    p->pos += n;
    return 0;
}

static int parse_doc(struct parser *p)
{
    struct cs_json v;
    int rc;
    for (;;) {
        /* a value is expected here */
        skip_ws(p);
        memset(&v, 0, sizeof v);
        v.offset = p->pos;
        if (p->pos >= p->len) {
            if (p->nframes)
                return perr(p, p->pos, "expected a value, got end of input (%s opened at byte %zu)",
                            p->frames[p->nframes - 1].is_obj ? "object" : "array",
                            p->frames[p->nframes - 1].offset);
            return perr(p, p->pos, "expected a value, got end of input");
        }
        unsigned char c = p->s[p->pos];
        switch (c) {
        case '{':
        case '[':
            if ((rc = open_container(p, c == '{'))) return rc;
            skip_ws(p);
            if (p->pos < p->len && p->s[p->pos] == (c == '{' ? '}' : ']')) {
                p->pos++;
                if ((rc = close_container(p, &v))) return rc;
                break;
            }
            if (c == '{' && (rc = parse_key(p, &p->frames[p->nframes - 1]))) return rc;
            continue;
        case '"':
            v.type = CS_JSON_STRING;
            if ((rc = parse_string(p, &v.u.str, &v.len))) return rc;
            break;
        case 't':
            if ((rc = match_literal(p, "true", 4))) return rc;
            v.type = CS_JSON_BOOL;
            v.boolean = 1;
            break;
        case 'f':
            if ((rc = match_literal(p, "false", 5))) return rc;
            v.type = CS_JSON_BOOL;
            break;
        case 'n':
            if ((rc = match_literal(p, "null", 4))) return rc;
            v.type = CS_JSON_NULL;
            break;
        default:
            if (c == '-' || is_digit(c)) {
                if ((rc = parse_number(p, &v))) return rc;
                break;
            }
            {
                char d[16];
                return perr(p, p->pos, "expected a value, got %s", describe(p, p->pos, d));
            }
        }
        /* v is complete: hand it to the enclosing container, closing as many
         * containers as the input closes */
        for (;;) {
            if (!p->nframes) {
                skip_ws(p);
                if (p->pos != p->len) {
                    char d[16];
                    return perr(p, p->pos, "unexpected %s after the top-level value",
                                describe(p, p->pos, d));
                }
                struct cs_json *root = arena_alloc(p->doc, sizeof *root);
                if (!root) return nomem(p);
                *root = v;
                p->doc->root = root;
                return 0;
            }
            struct frame *f = &p->frames[p->nframes - 1];
            if ((rc = push_pending(p, f, &v))) return rc;
            skip_ws(p);
            char close = f->is_obj ? '}' : ']';
            if (p->pos >= p->len)
                return perr(p, p->pos, "unterminated %s (opened at byte %zu)",
                            f->is_obj ? "object" : "array", f->offset);
            if (p->s[p->pos] == ',') {
                p->pos++;
                if (f->is_obj && (rc = parse_key(p, f))) return rc;
                break; /* next value */
            }
            if (p->s[p->pos] == close) {
                p->pos++;
                if ((rc = close_container(p, &v))) return rc;
                continue;
            }
            char d[16];
            return perr(p, p->pos, "expected ',' or '%c' after %s, got %s", close,
                        f->is_obj ? "object member" : "array item", describe(p, p->pos, d));
        }
    }
}

int cs_json_parse(struct cs_json_doc *doc, const char *buf, size_t len,
                  const struct cs_json_limits *lim)
{
    struct parser p;
    memset(&p, 0, sizeof p);
    doc->root = NULL;
    doc->blocks = NULL;
    doc->bytes = 0;
    p.name = lim && lim->name ? lim->name : "json";
    p.max_depth = lim && lim->max_depth ? lim->max_depth : DEFAULT_MAX_DEPTH;
    size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : DEFAULT_MAX_BYTES;
    if (len > max_bytes)
        return cs_error(CS_ERANGE, "%s: input is %zu bytes, more than the limit of %zu", p.name,
                        len, max_bytes);
    if (!buf && len) return cs_error(CS_EUSAGE, "%s: NULL buffer", p.name);
    p.s = (const unsigned char *)(buf ? buf : "");
    p.len = len;
    p.doc = doc;
    if (len >= 3 && !memcmp(p.s, "\xEF\xBB\xBF", 3)) p.pos = 3;
    int rc = parse_doc(&p);
    free(p.stack);
    free(p.frames);
    free(p.sort_tmp);
    if (rc) cs_json_doc_free(doc);
    return rc;
}

/* ----------------------------------------------------------- access -- */

const char *cs_json_type_name(enum cs_json_type type)
{
    switch (type) {
    case CS_JSON_NULL:
        return "null";
    case CS_JSON_BOOL:
        return "boolean";
    case CS_JSON_NUMBER:
        return "number";
    case CS_JSON_STRING:
        return "string";
    case CS_JSON_ARRAY:
        return "array";
    case CS_JSON_OBJECT:
        return "object";
    }
    return "invalid";
}

const struct cs_json *cs_json_get_n(const struct cs_json *obj, const char *key, size_t key_len)
{
    if (!obj || obj->type != CS_JSON_OBJECT || !obj->len) return NULL;
    const struct cs_json_member *m = obj->u.members;
    size_t n = obj->len;
    if (n <= INDEX_MIN_MEMBERS) {
        for (size_t i = 0; i < n; i++)
            if (!key_cmp(m[i].key, m[i].key_len, key, key_len)) return &m[i].value;
        return NULL;
    }
    const uint32_t *idx = (const uint32_t *)(m + n);
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(m[idx[mid]].key, m[idx[mid]].key_len, key, key_len);
        if (!c) return &m[idx[mid]].value;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct cs_json *cs_json_get(const struct cs_json *obj, const char *key)
{
    return cs_json_get_n(obj, key, strlen(key));
}

const struct cs_json *cs_json_at(const struct cs_json *arr, size_t i)
{
    if (!arr || arr->type != CS_JSON_ARRAY || i >= arr->len) return NULL;
    return &arr->u.items[i];
}

static int wrong_type(const struct cs_json *n, const char *want)
{
    if (!n) return cs_error(CS_EFORMAT, "expected %s, got nothing", want);
    return cs_error(CS_EFORMAT, "byte %zu: expected %s, got %s", n->offset, want,
                    cs_json_type_name(n->type));
}

/* Exact value of number text as mag * 10^decimals.  Returns 0, CS_EFORMAT
 * (not integral after scaling) or CS_ERANGE (above 2^64-1). */
static int number_scaled(const char *t, size_t len, unsigned decimals, int *neg, uint64_t *mag)
{
    size_t i = 0;
    *neg = 0;
    *mag = 0;
    if (i < len && t[i] == '-') {
        *neg = 1;
        i++;
    }
    size_t a = i;
    while (i < len && is_digit((unsigned char)t[i]))
        i++;
    size_t n_int = i - a, c = i, n_frac = 0;
    if (i < len && t[i] == '.') {
        c = ++i;
        while (i < len && is_digit((unsigned char)t[i]))
            i++;
        n_frac = i - c;
    }
    const int64_t clamp = (int64_t)1 << 60; /* far beyond any decision point */
    int64_t e = 0;
    if (i < len && (t[i] == 'e' || t[i] == 'E')) {
        int eneg = 0;
        i++;
        if (i < len && (t[i] == '+' || t[i] == '-')) eneg = t[i++] == '-';
        while (i < len && is_digit((unsigned char)t[i])) {
            e = e < clamp / 10 ? e * 10 + (t[i] - '0') : clamp;
            i++;
        }
        if (eneg) e = -e;
    }
    if (i != len || n_int == 0) return CS_EFORMAT;
    size_t total = n_int + n_frac;
#define DIGIT(k) ((k) < n_int ? t[a + (k)] : t[c + (k)-n_int])
    size_t lead = 0;
    while (lead < total && DIGIT(lead) == '0')
        lead++;
    if (lead == total) return 0; /* zero, in any spelling */
    size_t trail = total - 1;
    while (DIGIT(trail) == '0')
        trail--;
    if (total > (size_t)clamp) return CS_ERANGE;
    /* value = digits[lead..trail] * 10^scale */
    int64_t scale = e - (int64_t)n_frac + (int64_t)decimals + (int64_t)(total - 1 - trail);
    if (scale < 0) return CS_EFORMAT;
    size_t sig = trail - lead + 1;
    if (sig > 20 || (int64_t)sig + scale > 20) return CS_ERANGE;
    uint64_t v = 0;
    for (size_t k = lead; k <= trail; k++) {
        unsigned d = (unsigned)(DIGIT(k) - '0');
        if (v > (UINT64_MAX - d) / 10) return CS_ERANGE;
        v = v * 10 + d;
    }
#undef DIGIT
    for (int64_t k = 0; k < scale; k++) {
        if (v > UINT64_MAX / 10) return CS_ERANGE;
        v *= 10;
    }
    *mag = v;
    return 0;
}

static int convert_error(const struct cs_json *n, int rc, const char *what)
{
    char sn[64];
    if (rc == CS_ERANGE)
        return cs_error(CS_ERANGE, "byte %zu: %s out of range for %s", n->offset,
                        snippet(sn, n->u.num, n->len), what);
    return cs_error(CS_EFORMAT, "byte %zu: expected %s, got %s", n->offset, what,
                    snippet(sn, n->u.num, n->len));
}

int cs_json_get_u64_scaled(const struct cs_json *n, unsigned decimals, uint64_t *out)
{
    if (!n || n->type != CS_JSON_NUMBER) return wrong_type(n, "a number");
    int neg;
    uint64_t mag;
    int rc = number_scaled(n->u.num, n->len, decimals, &neg, &mag);
    const char *what =
        decimals ? "a non-negative amount with that many decimals" : "an unsigned integer";
    if (rc) return convert_error(n, rc, what);
    if (neg && mag) return convert_error(n, CS_ERANGE, what);
    *out = mag;
    return 0;
}

int cs_json_get_u64(const struct cs_json *n, uint64_t *out)
{
    return cs_json_get_u64_scaled(n, 0, out);
}

int cs_json_get_i64(const struct cs_json *n, int64_t *out)
{
    if (!n || n->type != CS_JSON_NUMBER) return wrong_type(n, "a number");
    int neg;
    uint64_t mag;
    int rc = number_scaled(n->u.num, n->len, 0, &neg, &mag);
    if (rc) return convert_error(n, rc, "a 64-bit integer");
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1) return convert_error(n, CS_ERANGE, "a 64-bit integer");
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX) return convert_error(n, CS_ERANGE, "a 64-bit integer");
        *out = (int64_t)mag;
    }
    return 0;
}

int cs_json_get_double(const struct cs_json *n, double *out)
{
    if (!n || n->type != CS_JSON_NUMBER) return wrong_type(n, "a number");
    errno = 0;
    char *end;
    double d = strtod(n->u.num, &end);
    if (end != n->u.num + n->len) return convert_error(n, CS_EFORMAT, "a number");
    if (errno == ERANGE && isinf(d)) return convert_error(n, CS_ERANGE, "a double");
    *out = d;
    return 0;
}

int cs_json_get_str(const struct cs_json *n, const char **s, size_t *len)
{
    if (!n || n->type != CS_JSON_STRING) return wrong_type(n, "a string");
    *s = n->u.str;
    if (len) *len = n->len;
    return 0;
}

int cs_json_get_bool(const struct cs_json *n, int *out)
{
    if (!n || n->type != CS_JSON_BOOL) return wrong_type(n, "a boolean");
    *out = n->boolean;
    return 0;
}

static const struct cs_json *field(const struct cs_json *obj, const char *key, int *rc)
{
    *rc = 0;
    if (!obj || obj->type != CS_JSON_OBJECT) {
        if (obj)
            *rc = cs_error(CS_ENOTFOUND, "byte %zu: field \"%s\": expected an object, got %s",
                           obj->offset, key, cs_json_type_name(obj->type));
        else
            *rc = cs_error(CS_ENOTFOUND, "field \"%s\": no object", key);
        return NULL;
    }
    const struct cs_json *v = cs_json_get(obj, key);
    if (!v) *rc = cs_error(CS_ENOTFOUND, "byte %zu: object has no field \"%s\"", obj->offset, key);
    return v;
}

#define FIELD_GETTER(call)                                                                         \
    int rc;                                                                                        \
    const struct cs_json *v = field(obj, key, &rc);                                                \
    if (!v) return rc;                                                                             \
    rc = call;                                                                                     \
    if (rc) return cs_error_prefix(rc, "field \"%s\": ", key);                                     \
    return 0

int cs_json_obj_u64(const struct cs_json *obj, const char *key, uint64_t *out)
{
    FIELD_GETTER(cs_json_get_u64(v, out));
}

int cs_json_obj_i64(const struct cs_json *obj, const char *key, int64_t *out)
{
    FIELD_GETTER(cs_json_get_i64(v, out));
}

int cs_json_obj_str(const struct cs_json *obj, const char *key, const char **s, size_t *len)
{
    FIELD_GETTER(cs_json_get_str(v, s, len));
}

int cs_json_obj_bool(const struct cs_json *obj, const char *key, int *out)
{
    FIELD_GETTER(cs_json_get_bool(v, out));
}

int cs_json_equal(const struct cs_json *a, const struct cs_json *b)
{
    if (!a || !b) return a == b;
    if (a->type != b->type || a->len != b->len) return 0;
    switch (a->type) {
    case CS_JSON_NULL:
        return 1;
    case CS_JSON_BOOL:
        return a->boolean == b->boolean;
    case CS_JSON_NUMBER:
        return !memcmp(a->u.num, b->u.num, a->len);
    case CS_JSON_STRING:
        return !memcmp(a->u.str, b->u.str, a->len);
    case CS_JSON_ARRAY:
        for (size_t i = 0; i < a->len; i++)
            if (!cs_json_equal(&a->u.items[i], &b->u.items[i])) return 0;
        return 1;
    case CS_JSON_OBJECT:
        for (size_t i = 0; i < a->len; i++) {
            const struct cs_json_member *x = &a->u.members[i], *y = &b->u.members[i];
            if (x->key_len != y->key_len || memcmp(x->key, y->key, x->key_len) ||
                !cs_json_equal(&x->value, &y->value))
                return 0;
        }
        return 1;
    }
    return 0;
}

/* ----------------------------------------------------------- writer -- */

static void w_init(struct cs_json_writer *w, FILE *fp, int flags)
{
    memset(w, 0, sizeof *w);
    w->fp = fp;
    w->flags = flags;
}

void cs_json_writer_init_buf(struct cs_json_writer *w, int flags)
{
    w_init(w, NULL, flags);
}

void cs_json_writer_init_file(struct cs_json_writer *w, FILE *fp, int flags)
{
    w_init(w, fp, flags);
}

static void w_flush(struct cs_json_writer *w)
{
    if (!w->fp || !w->len || w->err) return;
    if (fwrite(w->buf, 1, w->len, w->fp) != w->len) {
        w->err = cs_error(CS_EIO, "json writer: write failed after %zu bytes: %s", w->flushed,
                          strerror(errno));
        return;
    }
    w->flushed += w->len;
    w->len = 0;
}

static void emit(struct cs_json_writer *w, const char *s, size_t n)
{
    if (w->err || !n) return;
    if (w->cap - w->len < n + 1) {
        if (w->fp && w->len) {
            w_flush(w);
            if (w->err) return;
        }
        if (w->cap - w->len < n + 1) {
            size_t cap = w->cap ? w->cap : 256;
            while (cap - w->len < n + 1) {
                if (cap > SIZE_MAX / 2) {
                    w->err = cs_error(CS_ENOMEM, "json writer: output too large");
                    return;
                }
                cap *= 2;
            }
            char *nb = realloc(w->buf, cap);
            if (!nb) {
                w->err = cs_error(CS_ENOMEM, "json writer: out of memory at %zu bytes", w->len);
                return;
            }
            w->buf = nb;
            w->cap = cap;
        }
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    if (w->fp && w->len >= WRITER_FLUSH) w_flush(w);
}

static void emit_c(struct cs_json_writer *w, char c)
{
    emit(w, &c, 1);
}

static void newline_indent(struct cs_json_writer *w, size_t depth)
{
    static const char spaces[] = "                                ";
    emit_c(w, '\n');
    size_t n = depth * 2;
    while (n) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        emit(w, spaces, k);
        n -= k;
    }
}

static int tracked(const struct cs_json_writer *w)
{
    return w->depth >= 1 && w->depth <= CS_JSON_WRITER_MAX_DEPTH;
}

static void before_value(struct cs_json_writer *w)
{
    if (w->depth == 0) {
        if (w->done) BUG("json writer: second top-level value");
        return;
    }
    if (!tracked(w)) return;
    size_t t = w->depth - 1;
    if (w->is_obj[t]) {
        if (!w->need_value) BUG("json writer: value inside an object without a key");
        w->need_value = 0;
        return;
    }
    if (w->count[t]) emit_c(w, ',');
    if (w->flags & CS_JSON_W_PRETTY) newline_indent(w, w->depth);
    w->count[t] = 1;
}

static void after_value(struct cs_json_writer *w)
{
    if (w->depth == 0) w->done = 1;
}

static void begin(struct cs_json_writer *w, int is_obj)
{
    before_value(w);
    emit_c(w, is_obj ? '{' : '[');
    if (w->depth >= CS_JSON_WRITER_MAX_DEPTH && !w->err)
        w->err = cs_error(CS_ERANGE, "json writer: nesting deeper than %d levels",
                          CS_JSON_WRITER_MAX_DEPTH);
    w->depth++;
    if (tracked(w)) {
        w->count[w->depth - 1] = 0;
        w->is_obj[w->depth - 1] = (unsigned char)is_obj;
    }
}

static void end(struct cs_json_writer *w, int is_obj)
{
    if (w->depth == 0) BUG("json writer: end without begin");
    if (tracked(w)) {
        size_t t = w->depth - 1;
        if (w->is_obj[t] != is_obj) BUG("json writer: mismatched end");
        if (w->need_value) BUG("json writer: key without a value");
        if (w->count[t] && (w->flags & CS_JSON_W_PRETTY)) newline_indent(w, w->depth - 1);
    }
    emit_c(w, is_obj ? '}' : ']');
    w->depth--;
    after_value(w);
}

void cs_json_writer_begin_object(struct cs_json_writer *w)
{
    begin(w, 1);
}
void cs_json_writer_end_object(struct cs_json_writer *w)
{
    end(w, 1);
}
void cs_json_writer_begin_array(struct cs_json_writer *w)
{
    begin(w, 0);
}
void cs_json_writer_end_array(struct cs_json_writer *w)
{
    end(w, 0);
}

static void emit_u16_escape(struct cs_json_writer *w, unsigned v)
{
    static const char hx[] = "0123456789abcdef";
    char b[6] = {'\\', 'u', hx[v >> 12 & 15], hx[v >> 8 & 15], hx[v >> 4 & 15], hx[v & 15]};
    emit(w, b, 6);
}

static void emit_string(struct cs_json_writer *w, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    int ascii = w->flags & CS_JSON_W_ASCII, html = w->flags & CS_JSON_W_HTML_SAFE;
    emit_c(w, '"');
    size_t run = 0; /* start of bytes that need no escaping */
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\' &&
            !(html && (c == '<' || c == '>' || c == '&'))) {
            i++;
            continue;
        }
        uint32_t cp = 0;
        size_t k = 1;
        if (c >= 0x80) {
            k = utf8_decode(s + i, len - i, &cp);
            if (k && !ascii && !(html && (cp == 0x2028 || cp == 0x2029))) {
                i += k; /* valid UTF-8 passes through */
                continue;
            }
        }
        emit(w, (const char *)s + run, i - run);
        if (c < 0x80) {
            switch (c) {
            case '"':
                emit(w, "\\\"", 2);
                break;
            case '\\':
                emit(w, "\\\\", 2);
                break;
            case '\b':
                emit(w, "\\b", 2);
                break;
            case '\f':
                emit(w, "\\f", 2);
                break;
            case '\n':
                emit(w, "\\n", 2);
                break;
            case '\r':
                emit(w, "\\r", 2);
                break;
            case '\t':
                emit(w, "\\t", 2);
                break;
            default:
                emit_u16_escape(w, c);
            }
        } else if (!k) {
            k = utf8_maximal_subpart(s + i, len - i); /* one U+FFFD for it */
            if (ascii)
                emit_u16_escape(w, 0xFFFD);
            else
                emit(w, "\xEF\xBF\xBD", 3);
        } else if (cp >= 0x10000) {
            emit_u16_escape(w, 0xD800 + ((cp - 0x10000) >> 10));
            emit_u16_escape(w, 0xDC00 + ((cp - 0x10000) & 0x3FF));
        } else {
            emit_u16_escape(w, cp);
        }
        i += k;
        run = i;
    }
    emit(w, (const char *)s + run, len - run);
    emit_c(w, '"');
}

void cs_json_writer_key_n(struct cs_json_writer *w, const char *key, size_t len)
{
    if (w->depth == 0) BUG("json writer: key outside an object");
    if (tracked(w)) {
        size_t t = w->depth - 1;
        if (!w->is_obj[t]) BUG("json writer: key inside an array");
        if (w->need_value) BUG("json writer: two keys in a row");
        if (w->count[t]) emit_c(w, ',');
        if (w->flags & CS_JSON_W_PRETTY) newline_indent(w, w->depth);
        w->count[t] = 1;
        w->need_value = 1;
    }
    emit_string(w, key, len);
    if (w->flags & CS_JSON_W_PRETTY)
        emit(w, ": ", 2);
    else
        emit_c(w, ':');
}

void cs_json_writer_key(struct cs_json_writer *w, const char *key)
{
    cs_json_writer_key_n(w, key, strlen(key));
}

void cs_json_writer_string_n(struct cs_json_writer *w, const char *s, size_t len)
{
    before_value(w);
    emit_string(w, s, len);
    after_value(w);
}

void cs_json_writer_string(struct cs_json_writer *w, const char *s)
{
    cs_json_writer_string_n(w, s, strlen(s));
}

static size_t u64_text(char out[21], uint64_t v)
{
    char tmp[21];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = 0;
    return n;
}

void cs_json_writer_u64(struct cs_json_writer *w, uint64_t v)
{
    char b[21];
    size_t n = u64_text(b, v);
    before_value(w);
    emit(w, b, n);
    after_value(w);
}

void cs_json_writer_i64(struct cs_json_writer *w, int64_t v)
{
    char b[22];
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v; /* exact for INT64_MIN */
    size_t n = 0;
    if (v < 0) b[n++] = '-';
    n += u64_text(b + n, mag);
    before_value(w);
    emit(w, b, n);
    after_value(w);
}

void cs_json_writer_double(struct cs_json_writer *w, double v)
{
    if (!isfinite(v)) {
        if (!w->err) w->err = cs_error(CS_ERANGE, "json writer: %f has no JSON form", v);
        cs_json_writer_null(w);
        return;
    }
    char b[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(b, sizeof b, "%.*g", prec, v);
        if (strtod(b, NULL) == v) break;
    }
    before_value(w);
    emit(w, b, strlen(b));
    after_value(w);
}

void cs_json_writer_bool(struct cs_json_writer *w, int v)
{
    before_value(w);
    if (v)
        emit(w, "true", 4);
    else
        emit(w, "false", 5);
    after_value(w);
}

void cs_json_writer_null(struct cs_json_writer *w)
{
    before_value(w);
    emit(w, "null", 4);
    after_value(w);
}

void cs_json_writer_number_text(struct cs_json_writer *w, const char *text, size_t len)
{
    if (!cs_json_is_number(text, len)) {
        char sn[64];
        if (!w->err)
            w->err = cs_error(CS_EFORMAT, "json writer: \"%s\" is not a JSON number",
                              snippet(sn, text, len));
        cs_json_writer_null(w);
        return;
    }
    before_value(w);
    emit(w, text, len);
    after_value(w);
}

void cs_json_writer_raw(struct cs_json_writer *w, const char *json, size_t len)
{
    struct cs_json_doc doc;
    struct cs_json_limits lim = {0, SIZE_MAX, "json writer: raw value"};
    int rc = len >= 3 && !memcmp(json, "\xEF\xBB\xBF", 3)
                 ? cs_error(CS_EFORMAT, "json writer: raw value starts with a byte order mark")
                 : cs_json_parse(&doc, json, len, &lim);
    if (rc) {
        if (!w->err) w->err = rc;
        cs_json_writer_null(w);
        return;
    }
    cs_json_doc_free(&doc);
    size_t a = 0, b = len;
    while (a < b && strchr(" \t\r\n", json[a]))
        a++;
    while (b > a && strchr(" \t\r\n", json[b - 1]))
        b--;
    before_value(w);
    emit(w, json + a, b - a);
    after_value(w);
}

void cs_json_writer_node(struct cs_json_writer *w, const struct cs_json *n)
{
    switch (n->type) {
    case CS_JSON_NULL:
        cs_json_writer_null(w);
        break;
    case CS_JSON_BOOL:
        cs_json_writer_bool(w, n->boolean);
        break;
    case CS_JSON_NUMBER:
        cs_json_writer_number_text(w, n->u.num, n->len);
        break;
    case CS_JSON_STRING:
        cs_json_writer_string_n(w, n->u.str, n->len);
        break;
    case CS_JSON_ARRAY:
        cs_json_writer_begin_array(w);
        for (size_t i = 0; i < n->len; i++)
            cs_json_writer_node(w, &n->u.items[i]);
        cs_json_writer_end_array(w);
        break;
    case CS_JSON_OBJECT:
        cs_json_writer_begin_object(w);
        for (size_t i = 0; i < n->len; i++) {
            cs_json_writer_key_n(w, n->u.members[i].key, n->u.members[i].key_len);
            cs_json_writer_node(w, &n->u.members[i].value);
        }
        cs_json_writer_end_object(w);
        break;
    }
}

void cs_json_writer_free(struct cs_json_writer *w)
{
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

int cs_json_writer_finish(struct cs_json_writer *w, char **out, size_t *out_len)
{
    if (out) *out = NULL;
    if (out_len) *out_len = 0;
    if (!w->err && (w->depth || !w->done)) BUG("json writer: finish before the value is complete");
    if (w->fp) {
        w_flush(w);
        if (!w->err && (fflush(w->fp) || ferror(w->fp)))
            w->err = cs_error(CS_EIO, "json writer: flush failed: %s", strerror(errno));
    }
    int rc = w->err;
    if (!rc && !w->fp) {
        w->buf[w->len] = 0;
        if (out) {
            *out = w->buf;
            w->buf = NULL;
        }
        if (out_len) *out_len = w->len;
    }
    cs_json_writer_free(w);
    return rc;
}
