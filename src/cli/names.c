/* names.c — investigator names and notes of entities (clusters):
 * `chainsleuth cluster name ID LABEL`, `cluster note ID TEXT`, shown by
 * `address`, `tx` and `entity`.
 *
 * File DB/CHAIN/names.tsv, replaced whole through util/atomic_file.h under an
 * exclusive flock of DB/CHAIN/names.lock (one writer at a time; readers read
 * the file, which is always a complete old or new version):
 *     # chainsleuth entity names v1
 *     CLUSTER_ID<TAB>NAME<TAB>NOTE
 * one line per cluster id, ascending; NAME and NOTE escape backslash, tab,
 * newline and carriage return as \\ \t \n \r; either may be empty (not both).
 * A record is keyed by the cluster id it was given for, which is an address
 * id (the smallest of its cluster then).  Lookups resolve it through the
 * current clustering: the record applies to whichever cluster that address
 * belongs to now, so a name survives `chainsleuth cluster` merging its
 * cluster into one with a smaller id.  Two records landing on one cluster are
 * both shown (names joined with " / "). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/atomic_file.h"
#include "util/utf8.h"

#define HEADER "# chainsleuth entity names v1\n"

static char *unescape(const char *s, size_t n, int *bad)
{
    char *o = cs_xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            o[k++] = s[i];
            continue;
        }
        if (++i == n) {
            *bad = 1;
            break;
        }
        switch (s[i]) {
        case '\\': o[k++] = '\\'; break;
        case 't': o[k++] = '\t'; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        default: *bad = 1;
        }
    }
    o[k] = 0;
    return o;
}

static void escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '\\': fputs("\\\\", f); break;
        case '\t': fputs("\\t", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        default: fputc(*s, f);
        }
    }
}

void cli_names_free(struct cli_names *nm)
{
    for (size_t i = 0; i < nm->n; i++) {
        free(nm->v[i].name);
        free(nm->v[i].note);
    }
    free(nm->v);
    memset(nm, 0, sizeof *nm);
}

int cli_names_load(struct cli_names *nm, const char *db, const char *chain)
{
    memset(nm, 0, sizeof *nm);
    char p[4096];
    snprintf(p, sizeof p, "%s/%s/names.tsv", db, chain);
    FILE *f = fopen(p, "rb");
    if (!f) {
        if (errno == ENOENT) return 0;
        return cs_error(CS_EIO, "%s: %s", p, strerror(errno));
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0, alloc = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[len - 1] != '\n') {
            rc = cs_error(CS_ECORRUPT, "%s:%zu: line has no end (truncated file)", p, lineno);
            break;
        }
        line[--len] = 0;
        if (lineno == 1) {
            if (strcmp(line, "# chainsleuth entity names v1")) {
                rc = cs_error(CS_ECORRUPT, "%s:1: not a chainsleuth names file", p);
                break;
            }
            continue;
        }
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        char *end;
        errno = 0;
        unsigned long long id = t1 ? strtoull(line, &end, 10) : 0;
        if (!t2 || strchr(t2 + 1, '\t') || end != t1 || line[0] < '1' || line[0] > '9' || errno ||
            id > UINT32_MAX) {
            rc = cs_error(CS_ECORRUPT, "%s:%zu: want CLUSTER_ID<TAB>NAME<TAB>NOTE", p, lineno);
            break;
        }
        int bad = 0;
        char *name = unescape(t1 + 1, (size_t)(t2 - t1 - 1), &bad);
        char *note = unescape(t2 + 1, strlen(t2 + 1), &bad);
        if (bad || (nm->n && nm->v[nm->n - 1].cid >= id)) {
            free(name);
            free(note);
            rc = cs_error(CS_ECORRUPT, "%s:%zu: %s", p, lineno,
                          bad ? "bad escape" : "cluster ids not ascending");
            break;
        }
        if (nm->n == alloc) nm->v = cs_xrealloc(nm->v, (alloc = alloc ? alloc * 2 : 16) * sizeof *nm->v);
        nm->v[nm->n++] = (struct cli_name_rec){(uint32_t)id, name, note};
    }
    if (!rc && ferror(f)) rc = cs_error(CS_EIO, "%s: read failed", p);
    free(line);
    fclose(f);
    if (rc) cli_names_free(nm);
    return rc;
}

const char *cli_names_check(int field, const char *text)
{
    size_t n = strlen(text);
    size_t max = field == 'n' ? CLI_NAME_MAX : CLI_NOTE_MAX;
    if (n > max) return field == 'n' ? "a name is at most 200 bytes" : "a note is at most 4000 bytes";
    if (cs_utf8_check(text, n) != n) return "not valid UTF-8";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c < 0x20 && !(field == 't' && c == '\n')) || c == 0x7f)
            return field == 'n' ? "a name has no control characters (tabs, newlines)"
                                : "a note has no control characters other than newlines";
    }
    return NULL;
}

int cli_names_set(const char *db, const char *chain, uint32_t cid, int field, const char *text)
{
    char dir[4096], lp[4200];
    snprintf(dir, sizeof dir, "%s/%s", db, chain);
    snprintf(lp, sizeof lp, "%s/names.lock", dir);
    int lfd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lfd < 0) return cs_error(CS_EIO, "%s: %s", lp, strerror(errno));
    if (flock(lfd, LOCK_EX)) {
        int e = errno;
        close(lfd);
        return cs_error(CS_EIO, "%s: flock: %s", lp, strerror(e));
    }
    struct cli_names nm;
    int rc = cli_names_load(&nm, db, chain);
    if (rc) {
        close(lfd);
        return rc;
    }
    size_t i = 0;
    while (i < nm.n && nm.v[i].cid < cid)
        i++;
    if (i == nm.n || nm.v[i].cid != cid) {
        nm.v = cs_xrealloc(nm.v, (nm.n + 1) * sizeof *nm.v);
        memmove(nm.v + i + 1, nm.v + i, (nm.n - i) * sizeof *nm.v);
        nm.v[i] = (struct cli_name_rec){cid, cs_xstrdup(""), cs_xstrdup("")};
        nm.n++;
    }
    char **slot = field == 'n' ? &nm.v[i].name : &nm.v[i].note;
    free(*slot);
    *slot = cs_xstrdup(text);
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    fputs(HEADER, f);
    for (size_t k = 0; k < nm.n; k++) {
        if (!nm.v[k].name[0] && !nm.v[k].note[0]) continue; /* both cleared: drop the record */
        fprintf(f, "%u\t", nm.v[k].cid);
        escape(f, nm.v[k].name);
        fputc('\t', f);
        escape(f, nm.v[k].note);
        fputc('\n', f);
    }
    fclose(f);
    rc = cs_atomic_write(dir, "names.tsv", buf, blen);
    free(buf);
    cli_names_free(&nm);
    close(lfd); /* releases the lock */
    return rc;
}
