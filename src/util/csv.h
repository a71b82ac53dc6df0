/* csv.h — an RFC 4180 CSV reader over a buffer in memory: quoted fields,
 * doubled quotes, CRLF, line breaks inside quotes.  Used by the tag importers
 * and the ethereum-etl ingest.
 *
 * Invariants:
 *  - The input is never modified and never read past len.
 *  - Fields are copied NUL-terminated into one growing buffer owned by the
 *    reader; the pointers cs_csv_next returns stay valid until the next call.
 *  - A field longer than field_max bytes, or one holding a NUL byte, is not
 *    stored: the record is returned with bad_field set (0-based) and bad_nul
 *    saying which, so the caller can reject that line by number.
 *  - At most CS_CSV_MAX_FIELDS fields per record are returned; more are
 *    dropped (the caller sees nf == CS_CSV_MAX_FIELDS).
 * Cost: one pass over the input, O(1) per byte. */
#ifndef CS_UTIL_CSV_H
#define CS_UTIL_CSV_H

#include <stddef.h>

#include "util/error.h"

#define CS_CSV_MAX_FIELDS 256

struct cs_csv {
    const char *s;
    size_t len, pos;
    unsigned line; /* 1-based line of the next record */
    char *buf;
    size_t bcap;
    size_t field_max;
    size_t off[CS_CSV_MAX_FIELDS];
    int bad_field; /* first field (0-based) of the record with a NUL or over the cap, or -1 */
    int bad_nul;   /* 1: that field holds a NUL byte; 0: it is longer than field_max */
};

void cs_csv_init(struct cs_csv *v, const char *s, size_t len, size_t field_max);
/* Next record into fields[0 .. *nf) (fields must hold CS_CSV_MAX_FIELDS), its
 * first line number in *line.  Returns 1, 0 at the end, CS_ENOMEM, or
 * CS_EFORMAT "NAME: line N: quote never closed". */
int cs_csv_next(struct cs_csv *v, const char *name, char **fields, int *nf, unsigned *line);
void cs_csv_free(struct cs_csv *v);

#endif
