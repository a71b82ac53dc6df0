/* api_watch.c — the handlers of /v1/watchlists and /v1/alerts over the
 * SQLite state (state.c).  Addresses are checked against the served chain
 * and kept in canonical form; an address need not be on chain yet (the
 * watcher looks it up at each scan). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/chain.h"
#include "server/server_int.h"
#include "util/json.h"
#include "util/timefmt.h"

static void body_error(int rc, struct reply *r)
{
    if (rc == CS_ERANGE)
        cs_srv_reply_error(r, 413, "too_many_items", "%s", cs_errmsg());
    else if (rc == CS_ENOMEM)
        cs_srv_reply_error(r, 503, "unavailable", "%s", cs_errmsg());
    else
        cs_srv_reply_error(r, 400, "bad_request", "%s", cs_errmsg());
}

static void state_error(int rc, struct reply *r)
{
    if (rc == CS_ENOTFOUND)
        cs_srv_reply_error(r, 404, "not_found", "%s", cs_errmsg());
    else
        cs_srv_reply_error(r, 500, "state", "%s", cs_errmsg());
}

/* canonical forms of the items into canon (n * CS_CHAIN_ADDR_MAX); 0 or a 400 */
static int canon_items(struct srv *sv, const struct cs_server_watch_req *q, char *canon,
                       struct reply *r)
{
    struct snap *sn;
    if (cs_srv_snap_get(sv, &sn)) {
        cs_srv_reply_error(r, 503, "store_unavailable", "%s", cs_errmsg());
        return 1;
    }
    const struct cs_netparams *net = cs_store_net(sn->s);
    for (size_t i = 0; i < q->n_items; i++) {
        struct cs_addr a;
        if (strlen(q->items[i]) > 200 || cs_addr_parse(q->items[i], net, &a)) {
            cs_srv_reply_error(r, 400, "bad_address",
                               "items[%zu]: '%.200s' is not a Bitcoin address on %s (%s)", i,
                               q->items[i], net->name, cs_errmsg());
            return 1;
        }
        cs_addr_format(&a, net, canon + i * CS_CHAIN_ADDR_MAX);
    }
    return 0;
}

static int add_all(struct srv *sv, int64_t id, const char *canon, size_t n, int64_t now,
                   size_t *added)
{
    int rc = cs_srv_state_exec(sv, "BEGIN IMMEDIATE");
    if (rc) return rc;
    *added = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        int a = 0;
        rc = cs_srv_wl_add(sv, id, canon + i * CS_CHAIN_ADDR_MAX, now, &a);
        *added += (size_t)a;
    }
    if (!rc) return cs_srv_state_exec(sv, "COMMIT");
    (void)!cs_srv_state_exec(sv, "ROLLBACK");
    return rc;
}

struct items_ctx {
    struct cs_json_writer *w;
    int with_added;
};

static void item_row(void *ctx, int64_t wl, const char *addr, int64_t added)
{
    struct items_ctx *c = ctx;
    cs_json_writer_begin_object(c->w);
    cs_json_writer_key(c->w, "address");
    cs_json_writer_string(c->w, addr);
    char t[CS_TIME_ISO_MAX];
    cs_json_writer_key(c->w, "added");
    cs_json_writer_string(c->w, cs_time_iso(t, (uint32_t)added));
    cs_json_writer_end_object(c->w);
}

static void wl_object(struct srv *sv, struct cs_json_writer *w, int64_t id, const char *name,
                      int64_t created, int items, struct reply *r, int *rc)
{
    char t[CS_TIME_ISO_MAX];
    cs_json_writer_begin_object(w);
    cs_json_writer_key(w, "id");
    cs_json_writer_i64(w, id);
    if (name) {
        cs_json_writer_key(w, "name");
        cs_json_writer_string(w, name);
        cs_json_writer_key(w, "created");
        cs_json_writer_string(w, cs_time_iso(t, (uint32_t)created));
    }
    if (items) {
        cs_json_writer_key(w, "items");
        cs_json_writer_begin_array(w);
        struct items_ctx c = {w, 1};
        *rc = cs_srv_wl_items(sv, id, item_row, &c);
        cs_json_writer_end_array(w);
    }
    cs_json_writer_end_object(w);
}

void cs_srv_api_wl_create(struct srv *sv, const char *body, size_t len, struct reply *r)
{
    struct cs_json_doc doc;
    struct cs_server_watch_req q;
    int rc = cs_server_watch_parse(body, len, 1, &doc, &q);
    if (rc) {
        body_error(rc, r);
        return;
    }
    char *canon = malloc((q.n_items ? q.n_items : 1) * CS_CHAIN_ADDR_MAX);
    if (!canon) {
        cs_srv_reply_error(r, 503, "unavailable", "out of memory");
        goto done;
    }
    if (canon_items(sv, &q, canon, r)) goto done;
    int64_t now = (int64_t)time(NULL), id = 0;
    size_t added = 0;
    struct cs_json_writer w;
    pthread_mutex_lock(&sv->sql_mu);
    rc = cs_srv_wl_create(sv, q.name, now, &id);
    if (!rc) rc = add_all(sv, id, canon, q.n_items, now, &added);
    if (!rc) {
        cs_json_writer_init_buf(&w, 0);
        wl_object(sv, &w, id, q.name, now, 1, r, &rc);
        if (rc) cs_json_writer_free(&w);
    }
    pthread_mutex_unlock(&sv->sql_mu);
    atomic_fetch_add(&sv->wl_version, 1);
    if (rc)
        state_error(rc, r);
    else
        cs_srv_reply_json(r, 201, &w);
done:
    free(canon);
    cs_server_watch_req_free(&q);
    cs_json_doc_free(&doc);
}

static void list_row(void *ctx, int64_t id, const char *name, int64_t created, int64_t n)
{
    struct cs_json_writer *w = ctx;
    char t[CS_TIME_ISO_MAX];
    cs_json_writer_begin_object(w);
    cs_json_writer_key(w, "id");
    cs_json_writer_i64(w, id);
    cs_json_writer_key(w, "name");
    cs_json_writer_string(w, name);
    cs_json_writer_key(w, "created");
    cs_json_writer_string(w, cs_time_iso(t, (uint32_t)created));
    cs_json_writer_key(w, "items");
    cs_json_writer_i64(w, n);
    cs_json_writer_end_object(w);
}

void cs_srv_api_wl_list(struct srv *sv, struct reply *r)
{
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "watchlists");
    cs_json_writer_begin_array(&w);
    pthread_mutex_lock(&sv->sql_mu);
    int rc = cs_srv_wl_list(sv, list_row, &w);
    pthread_mutex_unlock(&sv->sql_mu);
    cs_json_writer_end_array(&w);
    cs_json_writer_end_object(&w);
    if (rc) {
        cs_json_writer_free(&w);
        state_error(rc, r);
        return;
    }
    cs_srv_reply_json(r, 200, &w);
}

void cs_srv_api_wl_get(struct srv *sv, int64_t id, int items_only, struct reply *r)
{
    char name[256];
    int64_t created = 0;
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, 0);
    pthread_mutex_lock(&sv->sql_mu);
    int rc = cs_srv_wl_exists(sv, id, name, sizeof name, &created);
    if (!rc) wl_object(sv, &w, id, items_only ? NULL : name, created, 1, r, &rc);
    pthread_mutex_unlock(&sv->sql_mu);
    if (rc) {
        cs_json_writer_free(&w);
        state_error(rc, r);
        return;
    }
    cs_srv_reply_json(r, 200, &w);
}

void cs_srv_api_wl_delete(struct srv *sv, int64_t id, struct reply *r)
{
    pthread_mutex_lock(&sv->sql_mu);
    int rc = cs_srv_wl_delete(sv, id);
    pthread_mutex_unlock(&sv->sql_mu);
    atomic_fetch_add(&sv->wl_version, 1);
    if (rc) {
        state_error(rc, r);
        return;
    }
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "deleted");
    cs_json_writer_i64(&w, id);
    cs_json_writer_end_object(&w);
    cs_srv_reply_json(r, 200, &w);
}

void cs_srv_api_wl_add(struct srv *sv, int64_t id, const char *body, size_t len, struct reply *r)
{
    struct cs_json_doc doc;
    struct cs_server_watch_req q;
    int rc = cs_server_watch_parse(body, len, 0, &doc, &q);
    if (rc) {
        body_error(rc, r);
        return;
    }
    char *canon = malloc((q.n_items ? q.n_items : 1) * CS_CHAIN_ADDR_MAX);
    if (!canon) {
        cs_srv_reply_error(r, 503, "unavailable", "out of memory");
        goto done;
    }
    if (canon_items(sv, &q, canon, r)) goto done;
    size_t added = 0;
    pthread_mutex_lock(&sv->sql_mu);
    rc = cs_srv_wl_exists(sv, id, NULL, 0, NULL);
    if (!rc) rc = add_all(sv, id, canon, q.n_items, (int64_t)time(NULL), &added);
    pthread_mutex_unlock(&sv->sql_mu);
    atomic_fetch_add(&sv->wl_version, 1);
    if (rc) {
        state_error(rc, r);
        goto done;
    }
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "id");
    cs_json_writer_i64(&w, id);
    cs_json_writer_key(&w, "added");
    cs_json_writer_u64(&w, added);
    cs_json_writer_key(&w, "already");
    cs_json_writer_u64(&w, q.n_items - added);
    cs_json_writer_end_object(&w);
    cs_srv_reply_json(r, 200, &w);
done:
    free(canon);
    cs_server_watch_req_free(&q);
    cs_json_doc_free(&doc);
}

void cs_srv_api_wl_remove(struct srv *sv, int64_t id, const char *addr, struct reply *r)
{
    struct cs_server_watch_req q = {NULL, &addr, 1};
    char canon[CS_CHAIN_ADDR_MAX];
    if (canon_items(sv, &q, canon, r)) return;
    pthread_mutex_lock(&sv->sql_mu);
    int rc = cs_srv_wl_exists(sv, id, NULL, 0, NULL);
    if (!rc) rc = cs_srv_wl_remove(sv, id, canon);
    pthread_mutex_unlock(&sv->sql_mu);
    atomic_fetch_add(&sv->wl_version, 1);
    if (rc) {
        state_error(rc, r);
        return;
    }
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "id");
    cs_json_writer_i64(&w, id);
    cs_json_writer_key(&w, "removed");
    cs_json_writer_string(&w, canon);
    cs_json_writer_end_object(&w);
    cs_srv_reply_json(r, 200, &w);
}

/* a decimal query argument in [lo, hi]; NULL text keeps *out */
static int query_num(const char *name, const char *text, int64_t lo, int64_t hi, int64_t *out,
                     struct reply *r)
{
    if (!text) return 0;
    int64_t v = 0;
    size_t n = strlen(text);
    int ok = n > 0 && n <= 18;
    for (size_t i = 0; ok && i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            ok = 0;
        else
            v = v * 10 + (text[i] - '0');
    }
    if (!ok || v < lo || v > hi) {
        cs_srv_reply_error(r, 400, "bad_request", "%s: '%.40s' is not a number in %lld..%lld", name,
                           text, (long long)lo, (long long)hi);
        return 1;
    }
    *out = v;
    return 0;
}

struct alerts_ctx {
    struct cs_json_writer *w;
};

static void alert_row(void *ctx, int64_t id, int orphaned, const char *body)
{
    struct alerts_ctx *c = ctx;
    cs_srv_alert_json(c->w, id, orphaned, body);
}

void cs_srv_api_alerts(struct srv *sv, const char *cursor, const char *limit, const char *wl,
                       struct reply *r)
{
    int64_t after = 0, lim = 100, w_id = -1;
    if (query_num("cursor", cursor, 0, INT64_MAX / 2, &after, r) ||
        query_num("limit", limit, 1, 1000, &lim, r) ||
        query_num("watchlist", wl, 0, INT64_MAX / 2, &w_id, r))
        return;
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "alerts");
    cs_json_writer_begin_array(&w);
    struct alerts_ctx c = {&w};
    int64_t last;
    pthread_mutex_lock(&sv->sql_mu);
    int rc = cs_srv_alerts(sv, after, w_id, (unsigned)lim, alert_row, &c, &last);
    pthread_mutex_unlock(&sv->sql_mu);
    cs_json_writer_end_array(&w);
    cs_json_writer_key(&w, "next_cursor");
    cs_json_writer_i64(&w, last >= 0 ? last : after);
    cs_json_writer_key(&w, "watched_height");
    cs_json_writer_i64(&w, atomic_load(&sv->watched_height));
    cs_json_writer_end_object(&w);
    if (rc) {
        cs_json_writer_free(&w);
        state_error(rc, r);
        return;
    }
    cs_srv_reply_json(r, 200, &w);
}
