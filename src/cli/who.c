/* who.c — what is known about an address, for the lookups a person reads
 * (`address`, `tx`): the attributed entity (label, category, confidence,
 * source of the tag chosen, trace/attrib.h rules: cluster-level when a
 * clustering exists) and the address's cluster id. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cluster/cluster.h"
#include "cluster/unionfind.h"
#include "tags/tags.h"
#include "trace/attrib.h"
#include "trace/trace.h"

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
    return 0;
}

void cli_who_close(struct cli_who *w)
{
    cs_attrib_free(w->a);
    if (w->c) cs_clusterdb_close(w->c);
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
        size_t n = strlen(buf);
        snprintf(buf + n, cap - n, "cluster %lld]", (long long)c);
    }
    return buf;
}

void cli_who_json(const struct cli_who *w, struct cs_json_writer *jw, uint64_t addr)
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
    cs_json_writer_key(jw, "cluster");
    if (c < 0)
        cs_json_writer_null(jw);
    else
        cs_json_writer_i64(jw, c);
}
