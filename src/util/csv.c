/* csv.c — the RFC 4180 reader of csv.h. */
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"

void cs_csv_init(struct cs_csv *v, const char *s, size_t len, size_t field_max)
{
    memset(v, 0, sizeof *v);
    v->s = s;
    v->len = len;
    v->line = 1;
    v->field_max = field_max;
    v->bad_field = -1;
}

void cs_csv_free(struct cs_csv *v)
{
    free(v->buf);
    v->buf = NULL;
    v->bcap = 0;
}

static int csv_put(struct cs_csv *v, size_t *o, char ch);

/* Appends ch to the field that starts at start (field number n); a NUL or a
 * byte past field_max marks the record bad and is not stored. */
static int csv_char(struct cs_csv *v, size_t *o, size_t start, int n, char ch)
{
    if (ch == 0 || *o - start >= v->field_max) {
        if (v->bad_field < 0) {
            v->bad_field = n;
            v->bad_nul = ch == 0;
        }
        return 0;
    }
    return csv_put(v, o, ch);
}

static int csv_put(struct cs_csv *v, size_t *o, char ch)
{
    if (*o + 1 >= v->bcap) {
        size_t cap = v->bcap ? v->bcap * 2 : 4096;
        char *nb = realloc(v->buf, cap);
        if (!nb) return -1;
        v->buf = nb;
        v->bcap = cap;
    }
    v->buf[(*o)++] = ch;
    return 0;
}

int cs_csv_next(struct cs_csv *v, const char *name, char **fields, int *nf, unsigned *line)
{
    if (v->pos >= v->len) return 0;
    *line = v->line;
    *nf = 0;
    v->bad_field = -1;
    size_t o = 0;
    int n = 0;
    for (;;) {
        size_t start = o;
        if (v->pos < v->len && v->s[v->pos] == '"') {
            unsigned qline = v->line;
            v->pos++;
            for (;;) {
                if (v->pos >= v->len)
                    return cs_error(CS_EFORMAT, "%s: line %u: quote never closed", name, qline);
                char ch = v->s[v->pos];
                if (ch == '"') {
                    if (v->pos + 1 < v->len && v->s[v->pos + 1] == '"') {
                        if (csv_char(v, &o, start, n, '"')) return CS_ENOMEM;
                        v->pos += 2;
                        continue;
                    }
                    v->pos++;
                    break;
                }
                if (ch == '\n') v->line++;
                if (csv_char(v, &o, start, n, ch)) return CS_ENOMEM;
                v->pos++;
            }
        }
        /* unquoted text, or stray text after a closing quote (kept) */
        while (v->pos < v->len && v->s[v->pos] != ',' && v->s[v->pos] != '\n') {
            char ch = v->s[v->pos++];
            if (ch == '\r' && (v->pos >= v->len || v->s[v->pos] == '\n')) continue;
            if (csv_char(v, &o, start, n, ch)) return CS_ENOMEM;
        }
        if (csv_put(v, &o, 0)) return CS_ENOMEM;
        if (n < CS_CSV_MAX_FIELDS) v->off[n++] = start;
        if (v->pos < v->len && v->s[v->pos] == ',') {
            v->pos++;
            continue;
        }
        if (v->pos < v->len) { /* '\n' */
            v->pos++;
            v->line++;
        }
        break;
    }
    for (int i = 0; i < n; i++)
        fields[i] = v->buf + v->off[i];
    *nf = n;
    return 1;
}
