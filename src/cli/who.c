/* who.c — what is known about an address, for the lookups a person reads
 * (`address`, `tx`): the attributed entity (label, category, confidence,
 * source of the tag chosen, trace/attrib.h rules: cluster-level when a
 * clustering exists) and the address's cluster id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cluster/cluster.h"
#include "report/report.h"
#include "cluster/unionfind.h"
#include "tags/tags.h"
#include "trace/attrib.h"
#include "trace/trace.h"

static int cmp_byc(const void *a, const void *b)
{
    const struct cli_who_name *x = a, *y = b;
    if (x->cid != y->cid) return x->cid < y->cid ? -1 : 1;
    return x->rec->cid < y->rec->cid ? -1 : x->rec->cid > y->rec->cid;
}

int cli_who_open(struct cli_who *w, const char *cmd, const struct cs_store *s, const char *db)
{
    memset(w, 0, sizeof *w);
    struct cs_trace_opts o;
    cs_trace_opts_default(&o);
    char note[256];
    int rc = cs_attrib_open(&w->a, s, db, 1, o.stop_mask, note, sizeof note);
    if (rc) return cli_fail_err(cmd, rc);
    /* the cluster id only from a clustering that still matches the store */
    uint64_t behind;
    if (cs_clusterdb_open(&w->c, db, cs_store_chain(s)) == 0 &&
        cs_clusterdb_check(w->c, s, &behind) != 0) {
        cs_clusterdb_close(w->c);
        w->c = NULL;
    }
    cs_error_clear();
    if ((rc = cli_names_load(&w->names, db, cs_store_chain(s)))) {
        cli_who_close(w);
        return cli_fail_err(cmd, rc);
    }
    w->byc = cs_xmalloc((w->names.n + 1) * sizeof *w->byc);
    for (size_t i = 0; i < w->names.n; i++) {
        uint32_t id = w->names.v[i].cid, c = CS_UF_NONE;
        if (w->c && id < cs_clusterdb_state(w->c)->addr) c = cs_clusterdb_cid(w->c, id);
        w->byc[w->n_byc++] = (struct cli_who_name){c == CS_UF_NONE ? id : c, &w->names.v[i]};
    }
    qsort(w->byc, w->n_byc, sizeof *w->byc, cmp_byc);
    return 0;
}

void cli_who_names(const struct cli_who *w, int64_t cid, char *name, size_t ncap, char *note,
                   size_t tcap)
{
    name[0] = note[0] = 0;
    if (cid < 0) return;
    size_t nn = 0, nt = 0;
    for (size_t i = 0; i < w->n_byc; i++) {
        if (w->byc[i].cid != (uint64_t)cid) continue;
        const struct cli_name_rec *r = w->byc[i].rec;
        if (r->name[0] && nn < ncap)
            nn += (size_t)snprintf(name + nn, ncap - nn, "%s%s", nn ? " / " : "", r->name);
        if (r->note[0] && nt < tcap)
            nt += (size_t)snprintf(note + nt, tcap - nt, "%s%s", nt ? " / " : "", r->note);
    }
}

void cli_who_close(struct cli_who *w)
{
    cs_attrib_free(w->a);
    if (w->c) cs_clusterdb_close(w->c);
    cli_names_free(&w->names);
    free(w->byc);
    memset(w, 0, sizeof *w);
}

const struct cs_attrib_entity *cli_who_entity(const struct cli_who *w, uint64_t addr)
{
    int32_t e = w->a ? cs_attrib_lookup(w->a, addr) : -1;
    return e < 0 ? NULL : cs_attrib_entity(w->a, (uint32_t)e);
}

int64_t cli_who_cluster(const struct cli_who *w, uint64_t addr)
{
    if (!w->c) return -1;
    uint32_t c = cs_clusterdb_cid(w->c, addr);
    return c == CS_UF_NONE ? -1 : (int64_t)c;
}

const char *cli_who_text(const struct cli_who *w, uint64_t addr, char *buf, size_t cap)
{
    const struct cs_attrib_entity *e = cli_who_entity(w, addr);
    int64_t c = cli_who_cluster(w, addr);
    buf[0] = 0;
    if (e) {
        const char *cat = cs_tag_category_name(e->category);
        snprintf(buf, cap, "[%s; %s; confidence %d; source %s%s", e->label, cat ? cat : "unknown",
                 e->confidence, e->source && *e->source ? e->source : "-", c >= 0 ? "; " : "]");
    } else if (c >= 0) {
        snprintf(buf, cap, "[");
    }
    if (c >= 0) {
        char name[256], note[8];
        cli_who_names(w, c, name, sizeof name, note, sizeof note);
        size_t n = strlen(buf);
        if (name[0])
            snprintf(buf + n, cap - n, "cluster %lld \"%s\"]", (long long)c, name);
        else
            snprintf(buf + n, cap - n, "cluster %lld]", (long long)c);
    }
    return buf;
}

void cli_who_json(const struct cli_who *w, struct cs_json_writer *jw, uint64_t addr,
                  int with_cluster)
{
    const struct cs_attrib_entity *e = cli_who_entity(w, addr);
    int64_t c = cli_who_cluster(w, addr);
    cs_json_writer_key(jw, "entity");
    if (!e) {
        cs_json_writer_null(jw);
    } else {
        const char *cat = cs_tag_category_name(e->category);
        cs_json_writer_begin_object(jw);
        cs_json_writer_key(jw, "label");
        cs_json_writer_string(jw, e->label);
        cs_json_writer_key(jw, "category");
        cs_json_writer_string(jw, cat ? cat : "unknown");
        cs_json_writer_key(jw, "confidence");
        cs_json_writer_i64(jw, e->confidence);
        cs_json_writer_key(jw, "source");
        cs_json_writer_string(jw, e->source ? e->source : "");
        cs_json_writer_end_object(jw);
    }
    if (with_cluster) {
        cs_json_writer_key(jw, "cluster");
        if (c < 0)
            cs_json_writer_null(jw);
        else
            cs_json_writer_i64(jw, c);
    }
    char name[CLI_NAME_MAX * 4 + 8], note[CLI_NOTE_MAX * 2 + 8];
    cli_who_names(w, c, name, sizeof name, note, sizeof note);
    cs_json_writer_key(jw, "cluster_name");
    if (name[0])
        cs_json_writer_string(jw, name);
    else
        cs_json_writer_null(jw);
    cs_json_writer_key(jw, "cluster_note");
    if (note[0])
        cs_json_writer_string(jw, note);
    else
        cs_json_writer_null(jw);
}

void cli_json_seen(struct cs_json_writer *w, const struct cs_store *s, int64_t first, int64_t last)
{
    const char *k[3][2] = {{"first_seen", "last_seen"},
                           {"first_seen_time", "last_seen_time"},
                           {"first_seen_timestamp", "last_seen_timestamp"}};
    char b[CS_TIME_ISO_MAX];
    for (int i = 0; i < 2; i++) {
        int64_t h = i ? last : first;
        uint32_t t = first < 0 ? 0 : cs_report_block_time(s, (uint64_t)h);
        for (int j = 0; j < 3; j++) {
            cs_json_writer_key(w, k[j][i]);
            if (first < 0)
                cs_json_writer_null(w);
            else if (j == 0)
                cs_json_writer_i64(w, h);
            else if (j == 1)
                cs_json_writer_string(w, cs_time_iso(b, t));
            else
                cs_json_writer_u64(w, t);
        }
    }
}

void cli_print_note(const char *head, const char *note)
{
    size_t indent = strlen(head);
    fputs(head, stdout);
    for (const char *p = note; *p; p++) {
        putchar(*p);
        if (*p == '\n') printf("%*s", (int)indent, "");
    }
    putchar('\n');
}
