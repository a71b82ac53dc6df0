/* yaml.c — recursive-descent parser for the block/flow YAML subset in yaml.h.
 *
 * Convention that keeps the block structure simple: every node parser returns
 * with the cursor on the first content character of the next content line
 * (blank and comment-only lines skipped), or at the end of the document.  The
 * column of that character is its indentation, which is all a block mapping
 * or sequence needs to decide whether the next line belongs to it.
 *
 * The cursor only moves forward (move_to), which keeps line counting O(n).
 * Nodes and strings live in chunked arenas so pointers never move. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/yaml.h"

#define NODES_PER_CHUNK 1024
#define STR_CHUNK ((size_t)1 << 20)

struct strchunk {
    struct strchunk *next;
    size_t used, cap;
    char data[];
};

struct nodechunk {
    struct nodechunk *next;
    size_t used;
    struct cs_yaml_node nodes[NODES_PER_CHUNK];
};

struct cs_yaml_doc {
    struct strchunk *strs;
    struct nodechunk *nodes;
    struct cs_yaml_node *root;
};

struct parser {
    const char *s;
    size_t end; /* end of the first document */
    size_t pos;
    size_t line_start;
    unsigned line;
    int depth;
    const char *name;
    struct cs_yaml_doc *doc;
    char *buf; /* scratch for decoding one scalar */
    size_t blen, bcap;
    int oom;
    const char *last_key; /* last plain key saved (shared by equal keys) */
    size_t last_key_len;
};

/* ---- errors ---- */

static int perr(struct parser *p, int code, size_t at, const char *fmt, ...) CS_PRINTF(4, 5);
static int perr(struct parser *p, int code, size_t at, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* errors are rare: recount the line from the start */
    unsigned line = 1;
    size_t ls = 0;
    for (size_t i = 0; i < at && i < p->end; i++)
        if (p->s[i] == '\n') {
            line++;
            ls = i + 1;
        }
    return cs_error(code, "%s: line %u col %zu: %s", p->name, line, at - ls + 1, msg);
}

/* ---- arenas ---- */

static struct cs_yaml_node *new_node(struct parser *p, int kind, unsigned line)
{
    struct nodechunk *c = p->doc->nodes;
    if (!c || c->used == NODES_PER_CHUNK) {
        c = calloc(1, sizeof *c);
        if (!c) {
            p->oom = 1;
            return NULL;
        }
        c->next = p->doc->nodes;
        p->doc->nodes = c;
    }
    struct cs_yaml_node *n = &c->nodes[c->used++];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->line = line;
    return n;
}

static const char *save_str(struct parser *p, const char *s, size_t len)
{
    struct strchunk *c = p->doc->strs;
    if (!c || c->cap - c->used < len + 1) {
        size_t cap = c ? c->cap * 2 : 4096; /* 4 KiB growing to STR_CHUNK */
        if (cap > STR_CHUNK) cap = STR_CHUNK;
        if (cap < len + 1) cap = len + 1;
        c = malloc(sizeof *c + cap);
        if (!c) {
            p->oom = 1;
            return NULL;
        }
        c->used = 0;
        c->cap = cap;
        c->next = p->doc->strs;
        p->doc->strs = c;
    }
    char *d = c->data + c->used;
    memcpy(d, s, len);
    d[len] = 0;
    c->used += len + 1;
    return d;
}

static void buf_put(struct parser *p, const char *s, size_t n)
{
    if (n == 0) return;
    if (p->blen + n > p->bcap) {
        size_t cap = p->bcap ? p->bcap : 256;
        while (cap < p->blen + n)
            cap *= 2;
        char *nb = realloc(p->buf, cap);
        if (!nb) {
            p->oom = 1;
            return;
        }
        p->buf = nb;
        p->bcap = cap;
    }
    memcpy(p->buf + p->blen, s, n);
    p->blen += n;
}

static void buf_putc(struct parser *p, char c)
{
    buf_put(p, &c, 1);
}

static void buf_repeat(struct parser *p, char c, size_t n)
{
    while (n--)
        buf_putc(p, c);
}

/* ---- cursor ---- */

static inline int is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static inline int eol_at(const struct parser *p, size_t i)
{
    return i >= p->end || p->s[i] == '\n' ||
           (p->s[i] == '\r' && (i + 1 >= p->end || p->s[i + 1] == '\n'));
}

static inline int at_end(const struct parser *p)
{
    return p->pos >= p->end;
}

static inline size_t col(const struct parser *p)
{
    return p->pos - p->line_start;
}

static void move_to(struct parser *p, size_t np)
{
    if (np > p->end) np = p->end;
    for (size_t i = p->pos; i < np; i++)
        if (p->s[i] == '\n') {
            p->line++;
            p->line_start = i + 1;
        }
    p->pos = np;
}

/* index just past the line break that ends the line containing i */
static size_t after_eol(const struct parser *p, size_t i)
{
    while (i < p->end && p->s[i] != '\n')
        i++;
    return i < p->end ? i + 1 : p->end;
}

static void skip_ws(struct parser *p)
{
    size_t i = p->pos;
    while (i < p->end && is_ws(p->s[i]))
        i++;
    move_to(p, i);
}

/* From a line start: skip blank and comment-only lines; stop on the first
 * content character.  Tabs before content are an error (YAML forbids them as
 * indentation). */
static int next_content(struct parser *p)
{
    while (p->pos < p->end) {
        size_t i = p->pos, spaces;
        while (i < p->end && p->s[i] == ' ')
            i++;
        spaces = i - p->pos;
        size_t j = i;
        while (j < p->end && is_ws(p->s[j]))
            j++;
        if (eol_at(p, j) || p->s[j] == '#') {
            move_to(p, after_eol(p, j));
            continue;
        }
        if (j != i) return perr(p, CS_EFORMAT, i, "tab in indentation");
        move_to(p, p->pos + spaces);
        return 0;
    }
    return 0;
}

/* After a node's last character on a line: allow spaces and a comment, then
 * go to the next content line. */
static int end_line(struct parser *p)
{
    skip_ws(p);
    if (p->pos < p->end && p->s[p->pos] == '#' &&
        (p->pos == p->line_start || is_ws(p->s[p->pos - 1]))) {
        size_t e = p->pos;
        while (!eol_at(p, e))
            e++;
        move_to(p, e);
    }
    if (!eol_at(p, p->pos)) {
        char c = p->s[p->pos];
        if (c == ':') return perr(p, CS_EFORMAT, p->pos, "mapping value not allowed here");
        return perr(p, CS_EFORMAT, p->pos, "unexpected character '%c'", c);
    }
    move_to(p, after_eol(p, p->pos));
    return next_content(p);
}

static int is_seq_dash(const struct parser *p)
{
    return p->pos < p->end && p->s[p->pos] == '-' &&
           (p->pos + 1 >= p->end || is_ws(p->s[p->pos + 1]) || eol_at(p, p->pos + 1));
}

/* Does the text at pos (on this line) start an implicit mapping key "k: "? */
static int looks_like_key(const struct parser *p)
{
    size_t i = p->pos;
    if (i >= p->end) return 0;
    char c = p->s[i];
    if (c == '\'' || c == '"') {
        i++;
        while (!eol_at(p, i)) {
            if (c == '\'' && p->s[i] == '\'') {
                if (i + 1 < p->end && p->s[i + 1] == '\'') {
                    i += 2;
                    continue;
                }
                break;
            }
            if (c == '"' && p->s[i] == '\\') {
                if (eol_at(p, i + 1)) return 0;
                i += 2;
                continue;
            }
            if (c == '"' && p->s[i] == '"') break;
            i++;
        }
        if (eol_at(p, i)) return 0;
        i++;
        while (i < p->end && is_ws(p->s[i]))
            i++;
        return i < p->end && p->s[i] == ':' &&
               (i + 1 >= p->end || is_ws(p->s[i + 1]) || eol_at(p, i + 1));
    }
    if (strchr("[]{}#&*!|>%@`,", c)) return 0;
    if ((c == '-' || c == '?') && (i + 1 >= p->end || is_ws(p->s[i + 1]) || eol_at(p, i + 1)))
        return 0;
    for (; !eol_at(p, i); i++) {
        if (p->s[i] == ':' && (i + 1 >= p->end || is_ws(p->s[i + 1]) || eol_at(p, i + 1))) return 1;
        if (p->s[i] == '#' && i > p->pos && is_ws(p->s[i - 1])) return 0;
    }
    return 0;
}

static int is_null_plain(const char *s, size_t n)
{
    return n == 0 || (n == 1 && s[0] == '~') ||
           (n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

static int make_scalar(struct parser *p, unsigned line, int quoted, struct cs_yaml_node **out)
{
    int kind = (!quoted && is_null_plain(p->buf, p->blen)) ? CS_YAML_NULL : CS_YAML_SCALAR;
    struct cs_yaml_node *n = new_node(p, kind, line);
    if (!n) return CS_ENOMEM;
    if (kind == CS_YAML_SCALAR) {
        n->str = save_str(p, p->blen ? p->buf : "", p->blen);
        if (!n->str) return CS_ENOMEM;
        n->len = p->blen;
        n->quoted = quoted;
    }
    *out = n;
    return p->oom ? CS_ENOMEM : 0;
}

/* ---- scalars ---- */

static void put_utf8(struct parser *p, uint32_t cp)
{
    char u[4];
    if (cp < 0x80) {
        buf_putc(p, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3f));
        buf_put(p, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12);
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        buf_put(p, u, 3);
    } else {
        u[0] = (char)(0xf0 | cp >> 18);
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        buf_put(p, u, 4);
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Quoted scalar starting at pos (the quote).  Folds line breaks: one break
 * becomes a space, n blank lines become n newlines; whitespace around breaks
 * is dropped.  Leaves pos just after the closing quote. */
static int parse_quoted(struct parser *p, struct cs_yaml_node **out)
{
    const char q = p->s[p->pos];
    const unsigned line = p->line;
    const size_t start = p->pos;
    size_t i = p->pos + 1, keep = 0; /* keep: buffer length without trailing raw blanks */
    p->blen = 0;
    for (;;) {
        if (i >= p->end) return perr(p, CS_EFORMAT, start, "unterminated quoted scalar");
        char c = p->s[i];
        if (c == q) {
            if (q == '\'' && i + 1 < p->end && p->s[i + 1] == '\'') {
                buf_putc(p, '\'');
                keep = p->blen;
                i += 2;
                continue;
            }
            i++;
            break;
        }
        if (c == '\n' || (c == '\r' && i + 1 < p->end && p->s[i + 1] == '\n')) {
            p->blen = keep;
            i = after_eol(p, i);
            size_t blanks = 0;
            for (;;) { /* count following blank lines */
                size_t j = i;
                while (j < p->end && is_ws(p->s[j]))
                    j++;
                if (j < p->end && eol_at(p, j)) {
                    blanks++;
                    i = after_eol(p, j);
                    continue;
                }
                i = j;
                break;
            }
            if (blanks)
                buf_repeat(p, '\n', blanks);
            else
                buf_putc(p, ' ');
            keep = p->blen;
            continue;
        }
        if (q == '"' && c == '\\') {
            if (i + 1 >= p->end) return perr(p, CS_EFORMAT, i, "unterminated escape");
            char e = p->s[i + 1];
            i += 2;
            int hexdigits = 0;
            switch (e) {
            case '0':
                buf_putc(p, '\0');
                break;
            case 'a':
                buf_putc(p, '\a');
                break;
            case 'b':
                buf_putc(p, '\b');
                break;
            case 't':
            case '\t':
                buf_putc(p, '\t');
                break;
            case 'n':
                buf_putc(p, '\n');
                break;
            case 'v':
                buf_putc(p, '\v');
                break;
            case 'f':
                buf_putc(p, '\f');
                break;
            case 'r':
                buf_putc(p, '\r');
                break;
            case 'e':
                buf_putc(p, 0x1b);
                break;
            case ' ':
                buf_putc(p, ' ');
                break;
            case '"':
                buf_putc(p, '"');
                break;
            case '/':
                buf_putc(p, '/');
                break;
            case '\\':
                buf_putc(p, '\\');
                break;
            case 'N':
                put_utf8(p, 0x85);
                break;
            case '_':
                put_utf8(p, 0xa0);
                break;
            case 'L':
                put_utf8(p, 0x2028);
                break;
            case 'P':
                put_utf8(p, 0x2029);
                break;
            case 'x':
                hexdigits = 2;
                break;
            case 'u':
                hexdigits = 4;
                break;
            case 'U':
                hexdigits = 8;
                break;
            case '\r':
            case '\n': /* escaped line break: join without a space */
                i = after_eol(p, i - 1);
                while (i < p->end && is_ws(p->s[i]))
                    i++;
                break;
            default:
                return perr(p, CS_EFORMAT, i - 2, "unknown escape '\\%c'", e);
            }
            if (hexdigits) {
                uint32_t cp = 0;
                for (int k = 0; k < hexdigits; k++) {
                    int v = i < p->end ? hexval(p->s[i]) : -1;
                    if (v < 0) return perr(p, CS_EFORMAT, i, "bad hex digit in escape");
                    cp = cp << 4 | (uint32_t)v;
                    i++;
                }
                if (cp > 0x10ffff) return perr(p, CS_EFORMAT, i, "escape beyond Unicode");
                put_utf8(p, cp);
            }
            keep = p->blen;
            continue;
        }
        buf_putc(p, c);
        if (!is_ws(c)) keep = p->blen;
        i++;
    }
    move_to(p, i);
    return make_scalar(p, line, 1, out);
}

/* End of plain text on one line from i: stops before ": ", " #" or the line
 * end (flow adds , [ ] { }).  Returns the end, trailing blanks trimmed; sets
 * *stop_comment when a comment ended it. */
static size_t plain_line_end(const struct parser *p, size_t i, int flow, size_t *scan_end,
                             int *stop_comment)
{
    size_t e = i;
    *stop_comment = 0;
    for (; !eol_at(p, e); e++) {
        char c = p->s[e];
        if (c == ':' && (e + 1 >= p->end || is_ws(p->s[e + 1]) || eol_at(p, e + 1) ||
                         (flow && strchr(",[]{}", p->s[e + 1]))))
            break;
        if (c == '#' && e > i && is_ws(p->s[e - 1])) {
            *stop_comment = 1;
            break;
        }
        if (flow && strchr(",[]{}", c)) break;
    }
    *scan_end = e;
    while (e > i && is_ws(p->s[e - 1]))
        e--;
    if (e > i && p->s[e - 1] == '\r') e--;
    return e;
}

/* Plain scalar; continuation lines must be indented deeper than parent. */
static int parse_plain(struct parser *p, long parent, int flow, struct cs_yaml_node **out)
{
    const unsigned line = p->line;
    char c = p->s[p->pos];
    if (strchr("]},@`%", c))
        return perr(p, CS_EFORMAT, p->pos, "a plain scalar cannot start with '%c'", c);
    size_t scan_end;
    int stop_comment;
    size_t e = plain_line_end(p, p->pos, flow, &scan_end, &stop_comment);
    p->blen = 0;
    buf_put(p, p->s + p->pos, e - p->pos);
    size_t last = e; /* cursor goes here: after the last text taken */
    if (!flow && !stop_comment && eol_at(p, scan_end)) {
        /* multi-line plain scalar: fold deeper-indented lines */
        size_t i = after_eol(p, scan_end);
        for (;;) {
            size_t blanks = 0, ls, ind;
            for (;;) {
                ls = i;
                while (i < p->end && p->s[i] == ' ')
                    i++;
                ind = i - ls;
                size_t j = i;
                while (j < p->end && is_ws(p->s[j]))
                    j++;
                if (j < p->end && eol_at(p, j)) {
                    blanks++;
                    i = after_eol(p, j);
                    continue;
                }
                i = j;
                break;
            }
            if (i >= p->end || (long)ind <= parent || p->s[i] == '#') break;
            e = plain_line_end(p, i, 0, &scan_end, &stop_comment);
            if (e == i) break;
            if (blanks)
                buf_repeat(p, '\n', blanks);
            else
                buf_putc(p, ' ');
            buf_put(p, p->s + i, e - i);
            last = e;
            if (stop_comment || !eol_at(p, scan_end)) break;
            i = after_eol(p, scan_end);
        }
    }
    move_to(p, last);
    return make_scalar(p, line, 0, out);
}

/* Literal (|) or folded (>) block scalar; pos at the indicator.  Content lines
 * are those indented at least as deep as the first non-empty one (or parent +
 * the explicit indentation digit).  Ends in the lookahead state. */
static int parse_block_scalar(struct parser *p, long parent, struct cs_yaml_node **out)
{
    const unsigned line = p->line;
    const int folded = p->s[p->pos] == '>';
    int chomp = 0; /* -1 strip, 0 clip, +1 keep */
    long explicit_ind = 0;
    size_t i = p->pos + 1;
    for (int k = 0; k < 2 && i < p->end; k++, i++) {
        char c = p->s[i];
        if (c == '-' && !chomp)
            chomp = -1;
        else if (c == '+' && !chomp)
            chomp = 1;
        else if (c >= '1' && c <= '9' && !explicit_ind)
            explicit_ind = c - '0';
        else
            break;
    }
    move_to(p, i);
    skip_ws(p);
    if (p->pos < p->end && p->s[p->pos] == '#' && is_ws(p->s[p->pos - 1])) {
        size_t e = p->pos;
        while (!eol_at(p, e))
            e++;
        move_to(p, e);
    }
    if (!eol_at(p, p->pos)) return perr(p, CS_EFORMAT, p->pos, "text after block scalar indicator");
    move_to(p, after_eol(p, p->pos));

    long base = parent < 0 ? 0 : parent;
    long bi;
    if (explicit_ind) {
        bi = base + explicit_ind;
    } else { /* indentation of the first non-empty line */
        size_t j = p->pos;
        bi = -1;
        while (j < p->end) {
            size_t ls = j;
            while (j < p->end && p->s[j] == ' ')
                j++;
            if (eol_at(p, j)) {
                j = after_eol(p, j);
                continue;
            }
            bi = (long)(j - ls);
            break;
        }
        if (bi <= parent) bi = -1; /* empty scalar */
    }

    p->blen = 0;
    size_t pending = 0; /* empty lines since the last content line */
    int have = 0, prev_more = 0;
    while (bi > 0 && p->pos < p->end) {
        size_t ls = p->pos, j = ls;
        while (j < p->end && p->s[j] == ' ' && (long)(j - ls) < bi)
            j++;
        if ((long)(j - ls) < bi) {
            size_t k = j;
            while (k < p->end && is_ws(p->s[k]))
                k++;
            if (eol_at(p, k)) { /* blank (less indented) line */
                pending++;
                move_to(p, after_eol(p, k));
                continue;
            }
            break; /* less indented content ends the scalar */
        }
        size_t e = j;
        while (!eol_at(p, e))
            e++;
        if (e == j) { /* only indentation */
            pending++;
            move_to(p, after_eol(p, e));
            continue;
        }
        int more = is_ws(p->s[j]);
        if (have) {
            if (!folded || more || prev_more)
                buf_repeat(p, '\n', 1 + pending);
            else if (pending)
                buf_repeat(p, '\n', pending);
            else
                buf_putc(p, ' ');
        } else {
            buf_repeat(p, '\n', pending);
        }
        buf_put(p, p->s + j, e - j);
        have = 1;
        pending = 0;
        prev_more = more;
        move_to(p, after_eol(p, e));
    }
    if (have) {
        if (chomp == 0)
            buf_putc(p, '\n');
        else if (chomp > 0)
            buf_repeat(p, '\n', 1 + pending);
    } else if (chomp > 0) {
        buf_repeat(p, '\n', pending);
    }
    int rc = make_scalar(p, line, 1, out);
    if (rc) return rc;
    return next_content(p);
}

static int parse_flow(struct parser *p, struct cs_yaml_node **out);

/* Whitespace, line breaks and comments between flow tokens. */
static void skip_flow_ws(struct parser *p)
{
    size_t i = p->pos;
    for (;;) {
        while (i < p->end && (is_ws(p->s[i]) || p->s[i] == '\n' || p->s[i] == '\r'))
            i++;
        if (i < p->end && p->s[i] == '#' && (i == 0 || is_ws(p->s[i - 1]) || p->s[i - 1] == '\n')) {
            while (i < p->end && p->s[i] != '\n')
                i++;
            continue;
        }
        break;
    }
    move_to(p, i);
}

static int flow_item(struct parser *p, struct cs_yaml_node **out)
{
    if (at_end(p)) return perr(p, CS_EFORMAT, p->pos, "unterminated flow collection");
    char c = p->s[p->pos];
    if (c == '[' || c == '{') return parse_flow(p, out);
    if (c == '\'' || c == '"') return parse_quoted(p, out);
    if (strchr("&*!", c))
        return perr(p, CS_EFORMAT, p->pos, "anchors, aliases and tags are not supported");
    if (c == '#' || c == ':' || c == '?')
        return perr(p, CS_EFORMAT, p->pos, "unexpected '%c' in flow collection", c);
    return parse_plain(p, 0, 1, out);
}

/* [a, b] or {k: v}; leaves pos just after the closing bracket. */
static int parse_flow(struct parser *p, struct cs_yaml_node **out)
{
    const char open = p->s[p->pos], close = open == '[' ? ']' : '}';
    const size_t start = p->pos;
    if (++p->depth > CS_YAML_MAX_DEPTH)
        return perr(p, CS_ERANGE, p->pos, "nesting deeper than %d", CS_YAML_MAX_DEPTH);
    struct cs_yaml_node *n = new_node(p, open == '[' ? CS_YAML_SEQ : CS_YAML_MAP, p->line),
                        *tail = NULL;
    if (!n) return CS_ENOMEM;
    move_to(p, p->pos + 1);
    for (;;) {
        skip_flow_ws(p);
        if (at_end(p)) return perr(p, CS_EFORMAT, start, "unterminated flow collection");
        if (p->s[p->pos] == close) {
            move_to(p, p->pos + 1);
            break;
        }
        struct cs_yaml_node *item = NULL;
        int rc;
        if (open == '[') {
            if ((rc = flow_item(p, &item))) return rc;
            skip_flow_ws(p);
            if (!at_end(p) && p->s[p->pos] == ':')
                return perr(p, CS_EFORMAT, p->pos,
                            "mappings inside flow sequences are not supported");
        } else {
            struct cs_yaml_node *key;
            if (p->s[p->pos] == '[' || p->s[p->pos] == '{')
                return perr(p, CS_EFORMAT, p->pos, "complex keys are not supported");
            if ((rc = flow_item(p, &key))) return rc;
            skip_flow_ws(p);
            if (!at_end(p) && p->s[p->pos] == ':') {
                move_to(p, p->pos + 1);
                skip_flow_ws(p);
                if (!at_end(p) && (p->s[p->pos] == ',' || p->s[p->pos] == '}')) {
                    if (!(item = new_node(p, CS_YAML_NULL, p->line))) return CS_ENOMEM;
                } else if ((rc = flow_item(p, &item))) {
                    return rc;
                }
            } else if (!(item = new_node(p, CS_YAML_NULL, key->line))) {
                return CS_ENOMEM;
            }
            item->key = key->str ? key->str : "";
            item->key_len = key->len;
            item->line = key->line;
            skip_flow_ws(p);
        }
        if (tail)
            tail->next = item;
        else
            n->child = item;
        tail = item;
        n->count++;
        if (at_end(p)) return perr(p, CS_EFORMAT, start, "unterminated flow collection");
        if (p->s[p->pos] == ',') {
            move_to(p, p->pos + 1);
        } else if (p->s[p->pos] != close) {
            return perr(p, CS_EFORMAT, p->pos, "expected ',' or '%c'", close);
        }
    }
    p->depth--;
    *out = n;
    return 0;
}

static int parse_inline(struct parser *p, long parent, int allow_block, struct cs_yaml_node **out);

/* Value that starts on a following line: deeper than parent, or a sequence
 * at the parent's own indentation when seq_same_ok (YAML's "key:\n- a"). */
static int parse_block_value(struct parser *p, long parent, int seq_same_ok, unsigned line,
                             struct cs_yaml_node **out)
{
    if (!at_end(p) &&
        ((long)col(p) > parent || (seq_same_ok && (long)col(p) == parent && is_seq_dash(p))))
        return parse_inline(p, parent, 1, out);
    *out = new_node(p, CS_YAML_NULL, line);
    return *out ? 0 : CS_ENOMEM;
}

static int parse_seq(struct parser *p, struct cs_yaml_node **out)
{
    const long c0 = (long)col(p);
    if (++p->depth > CS_YAML_MAX_DEPTH)
        return perr(p, CS_ERANGE, p->pos, "nesting deeper than %d", CS_YAML_MAX_DEPTH);
    struct cs_yaml_node *n = new_node(p, CS_YAML_SEQ, p->line), *tail = NULL;
    if (!n) return CS_ENOMEM;
    for (;;) {
        const unsigned line = p->line;
        struct cs_yaml_node *item;
        int rc;
        move_to(p, p->pos + 1); /* the dash */
        skip_ws(p);
        if (eol_at(p, p->pos) || p->s[p->pos] == '#') {
            if ((rc = end_line(p))) return rc;
            rc = parse_block_value(p, c0, 0, line, &item);
        } else {
            rc = parse_inline(p, c0, 1, &item);
        }
        if (rc) return rc;
        item->line = line;
        if (tail)
            tail->next = item;
        else
            n->child = item;
        tail = item;
        n->count++;
        if (at_end(p) || (long)col(p) < c0) break;
        if ((long)col(p) > c0) return perr(p, CS_EFORMAT, p->pos, "bad indentation");
        if (!is_seq_dash(p)) break;
    }
    p->depth--;
    *out = n;
    return 0;
}

static int parse_key(struct parser *p, const char **key, size_t *key_len)
{
    if (p->s[p->pos] == '\'' || p->s[p->pos] == '"') {
        struct cs_yaml_node *k;
        int rc = parse_quoted(p, &k);
        if (rc) return rc;
        *key = k->str;
        *key_len = k->len;
        skip_ws(p);
    } else {
        size_t i = p->pos;
        while (!eol_at(p, i) &&
               !(p->s[i] == ':' && (i + 1 >= p->end || is_ws(p->s[i + 1]) || eol_at(p, i + 1))))
            i++;
        size_t e = i;
        while (e > p->pos && is_ws(p->s[e - 1]))
            e--;
        if (e == p->pos) return perr(p, CS_EFORMAT, p->pos, "empty key");
        size_t kl = e - p->pos;
        /* a list of mappings repeats its keys: share the text of the last one */
        if (p->last_key && p->last_key_len == kl && !memcmp(p->last_key, p->s + p->pos, kl)) {
            *key = p->last_key;
        } else {
            if (!(*key = save_str(p, p->s + p->pos, kl))) return CS_ENOMEM;
            p->last_key = *key;
            p->last_key_len = kl;
        }
        *key_len = kl;
        move_to(p, i);
    }
    if (at_end(p) || p->s[p->pos] != ':')
        return perr(p, CS_EFORMAT, p->pos, "expected ':' after key");
    move_to(p, p->pos + 1);
    return 0;
}

static int parse_map(struct parser *p, struct cs_yaml_node **out)
{
    const long c0 = (long)col(p);
    if (++p->depth > CS_YAML_MAX_DEPTH)
        return perr(p, CS_ERANGE, p->pos, "nesting deeper than %d", CS_YAML_MAX_DEPTH);
    struct cs_yaml_node *n = new_node(p, CS_YAML_MAP, p->line), *tail = NULL;
    if (!n) return CS_ENOMEM;
    for (;;) {
        const unsigned line = p->line;
        const char *key = NULL;
        size_t key_len = 0;
        struct cs_yaml_node *val = NULL;
        int rc = parse_key(p, &key, &key_len);
        if (rc) return rc;
        skip_ws(p);
        if (eol_at(p, p->pos) || p->s[p->pos] == '#') {
            if ((rc = end_line(p))) return rc;
            rc = parse_block_value(p, c0, 1, line, &val);
        } else {
            rc = parse_inline(p, c0, 0, &val);
        }
        if (rc) return rc;
        val->key = key;
        val->key_len = key_len;
        val->line = line;
        if (tail)
            tail->next = val;
        else
            n->child = val;
        tail = val;
        n->count++;
        if (at_end(p) || (long)col(p) < c0) break;
        if ((long)col(p) > c0) return perr(p, CS_EFORMAT, p->pos, "bad indentation");
        if (is_seq_dash(p)) return perr(p, CS_EFORMAT, p->pos, "sequence entry inside a mapping");
        if (!looks_like_key(p)) return perr(p, CS_EFORMAT, p->pos, "expected 'key: value'");
    }
    p->depth--;
    *out = n;
    return 0;
}

/* A node starting at pos, in the middle of a line (after "- " or "key: ") or
 * at the start of a line's content.  allow_block: a block mapping or sequence
 * may start here (not after "key: "). */
static int parse_inline(struct parser *p, long parent, int allow_block, struct cs_yaml_node **out)
{
    char c = p->s[p->pos];
    int rc;
    if (is_seq_dash(p)) {
        if (!allow_block) return perr(p, CS_EFORMAT, p->pos, "sequence not allowed here");
        return parse_seq(p, out);
    }
    if (c == '&' || c == '*' || c == '!')
        return perr(p, CS_EFORMAT, p->pos, "anchors, aliases and tags are not supported");
    if (c == '?' && (p->pos + 1 >= p->end || is_ws(p->s[p->pos + 1]) || eol_at(p, p->pos + 1)))
        return perr(p, CS_EFORMAT, p->pos, "complex keys are not supported");
    if (c == '|' || c == '>') return parse_block_scalar(p, parent, out);
    if (allow_block && looks_like_key(p)) return parse_map(p, out);
    if (c == '[' || c == '{')
        rc = parse_flow(p, out);
    else if (c == '\'' || c == '"')
        rc = parse_quoted(p, out);
    else
        rc = parse_plain(p, parent, 0, out);
    if (rc) return rc;
    return end_line(p);
}

/* ---- entry points ---- */

static void doc_free(struct cs_yaml_doc *doc)
{
    while (doc->strs) {
        struct strchunk *c = doc->strs;
        doc->strs = c->next;
        free(c);
    }
    while (doc->nodes) {
        struct nodechunk *c = doc->nodes;
        doc->nodes = c->next;
        free(c);
    }
    free(doc);
}

static int is_marker(const char *s, size_t len, size_t i, const char *m)
{
    return len - i >= 3 && !memcmp(s + i, m, 3) &&
           (len - i == 3 || s[i + 3] == ' ' || s[i + 3] == '\t' || s[i + 3] == '\n' ||
            s[i + 3] == '\r');
}

int cs_yaml_parse(const char *text, size_t len, const char *name, struct cs_yaml_doc **out)
{
    *out = NULL;
    if (!name) name = "yaml";
    if (len > CS_YAML_MAX_INPUT)
        return cs_error(CS_ERANGE, "%s: %zu bytes exceeds the YAML cap of %zu", name, len,
                        CS_YAML_MAX_INPUT);
    const char *nul = memchr(text, 0, len);
    if (nul) {
        size_t line = 1;
        for (const char *q = text; q < nul; q++)
            line += *q == '\n';
        return cs_error(CS_EFORMAT, "%s: line %zu: NUL byte", name, line);
    }
    struct parser p = {.s = text, .end = len, .name = name, .line = 1};
    if (!(p.doc = calloc(1, sizeof *p.doc))) return cs_error(CS_ENOMEM, "%s: out of memory", name);

    /* BOM, directives, then "---"; the document ends at the next "---"/"..." */
    size_t i = 0;
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) i = 3;
    size_t body = i;
    int seen_marker = 0;
    while (i < len) {
        if (text[i] == '%' || text[i] == '#') {
            while (i < len && text[i] != '\n')
                i++;
            i += i < len;
            continue;
        }
        size_t j = i;
        while (j < len && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r'))
            j++;
        if (j >= len || text[j] == '\n') {
            i = j + (j < len);
            continue;
        }
        if (is_marker(text, len, i, "---")) {
            seen_marker = 1;
            i += 3;
        }
        break;
    }
    body = seen_marker ? i : body;
    size_t scan = body;
    if (seen_marker) { /* rest of the "---" line belongs to the document */
        while (scan < len && text[scan] != '\n')
            scan++;
        scan += scan < len;
    }
    for (size_t ls = scan; ls < len;) {
        if (is_marker(text, len, ls, "---") || is_marker(text, len, ls, "...")) {
            p.end = ls;
            break;
        }
        while (ls < len && text[ls] != '\n')
            ls++;
        ls += ls < len;
    }

    int rc = 0;
    struct cs_yaml_node *root = NULL;
    /* start on the first content: a line start, or text after "--- " */
    move_to(&p, body);
    if (seen_marker) {
        skip_ws(&p);
        if (eol_at(&p, p.pos) || p.s[p.pos] == '#') {
            rc = end_line(&p);
        }
    } else {
        p.line_start = p.pos; /* pos is at a line start (or after a BOM) */
        rc = next_content(&p);
    }
    if (!rc) {
        if (at_end(&p)) {
            root = new_node(&p, CS_YAML_NULL, p.line);
            if (!root) rc = CS_ENOMEM;
        } else {
            rc = parse_inline(&p, -1, 1, &root);
            if (!rc && !at_end(&p))
                rc = perr(&p, CS_EFORMAT, p.pos,
                          "unexpected content after the document's root node");
        }
    }
    if (!rc && p.oom) rc = CS_ENOMEM;
    free(p.buf);
    if (rc) {
        if (rc == CS_ENOMEM) cs_error(CS_ENOMEM, "%s: out of memory", name);
        doc_free(p.doc);
        return rc;
    }
    p.doc->root = root;
    *out = p.doc;
    return 0;
}

void cs_yaml_free(struct cs_yaml_doc *doc)
{
    if (doc) doc_free(doc);
}

const struct cs_yaml_node *cs_yaml_root(const struct cs_yaml_doc *doc)
{
    return doc->root;
}

const struct cs_yaml_node *cs_yaml_get(const struct cs_yaml_node *map, const char *key)
{
    if (!map || map->kind != CS_YAML_MAP) return NULL;
    const struct cs_yaml_node *found = NULL;
    size_t kl = strlen(key);
    for (const struct cs_yaml_node *c = map->child; c; c = c->next)
        if (c->key_len == kl && !memcmp(c->key, key, kl)) found = c;
    return found;
}

const char *cs_yaml_str(const struct cs_yaml_node *node)
{
    return node && node->kind == CS_YAML_SCALAR ? node->str : NULL;
}
