/* watch.c — the watcher thread and the alert streams.
 *
 * The watcher polls its own snapshot (snap.c) every 50 ms: that poll is the
 * bound on how late an alert can be after a commit, plus the scan.  When the
 * tip moved past the last block it scanned, it reads each new block: every
 * input spending an output of a watched address ("sent") and every output
 * paying one ("received"), summed per (watchlist, address, transaction), and
 * writes one alert each, with the amount, where the transaction's outputs
 * went and which of them reached a service (an exchange, bridge or mixer by
 * the attribution of trace/attrib.h).  A block's alerts and its "scanned" row
 * commit in one SQLite transaction.  A reorg below the last scanned block
 * marks the alerts above the fork point orphaned and scans the new branch.
 * Cost per block: its inputs and outputs, one binary search each over the
 * watched address ids.
 *
 * Streams (GET /v1/alerts/stream, Server-Sent Events): each stream keeps
 * the last alert id it sent.  With nothing to send it suspends its
 * connection (libmicrohttpd: no thread is held) after checking, under
 * sse_mu, that no alert was committed since it looked; the watcher bumps
 * alert_seq and resumes every suspended stream under the same mutex, so no
 * wake-up is lost.  A heartbeat comment goes out every 15 s; at stop every
 * stream is resumed and ends. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/chain.h"
#include "report/report.h"
#include "server/server_int.h"
#include "tags/tags.h"
#include "util/codec.h"
#include "util/json.h"
#include "util/timefmt.h"

#define POLL_MS 50
#define HEARTBEAT_MS 15000
#define OUTPUTS_LISTED 50

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cs_srv_alert_json(struct cs_json_writer *w, int64_t id, int orphaned, const char *body)
{
    /* body is an object written by scan_block: splice id and orphaned in front */
    size_t n = strlen(body);
    char *buf = malloc(n + 64);
    if (!buf) {
        cs_json_writer_null(w);
        return;
    }
    int k = snprintf(buf, 64, "{\"id\":%lld,\"orphaned\":%s%s", (long long)id,
                     orphaned ? "true" : "false", n > 2 ? "," : "");
    memcpy(buf + k, body + 1, n - 1);
    cs_json_writer_raw(w, buf, (size_t)k + n - 1);
    free(buf);
}

/* ---- the watched set, resolved against one snapshot ---- */

struct witem {
    uint64_t addr; /* address id in the snapshot */
    int64_t wl;
    char text[CS_CHAIN_ADDR_MAX];
};
struct wset {
    struct witem *v;
    size_t n, cap;
    const struct snap *sn;
};

static void wset_add(void *ctx, int64_t wl, const char *addr, int64_t added)
{
    struct wset *ws = ctx;
    struct cs_addr a;
    uint64_t id;
    if (cs_addr_parse(addr, cs_store_net(ws->sn->s), &a) || cs_store_find_addr(ws->sn->s, &a, &id))
        return; /* not on chain yet: looked up again at the next scan */
    if (ws->n == ws->cap) {
        size_t cap = ws->cap ? ws->cap * 2 : 64;
        struct witem *nv = realloc(ws->v, cap * sizeof *nv);
        if (!nv) return;
        ws->v = nv;
        ws->cap = cap;
    }
    struct witem *it = &ws->v[ws->n++];
    it->addr = id;
    it->wl = wl;
    snprintf(it->text, sizeof it->text, "%s", addr);
}

static int cmp_witem(const void *a, const void *b)
{
    const struct witem *x = a, *y = b;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    return x->wl < y->wl ? -1 : x->wl > y->wl;
}

/* first watched item of address id addr, or NULL */
static const struct witem *wset_find(const struct wset *ws, uint64_t addr, size_t *at)
{
    size_t lo = 0, hi = ws->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ws->v[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < ws->n && ws->v[lo].addr == addr) {
        *at = lo;
        return &ws->v[lo];
    }
    return NULL;
}

/* ---- one block ---- */

struct hit {
    size_t item; /* index in the watched set */
    int sent;    /* 1: the address spent, 0: it received */
    uint64_t amount;
};

static int service_category(int cat)
{
    return cat == CS_TAG_EXCHANGE || cat == CS_TAG_BRIDGE || cat == CS_TAG_MIXER;
}

static int tx_alerts(struct srv *sv, const struct snap *sn, const struct wset *ws, uint64_t tx,
                     uint64_t height, const char *bhash, int64_t committed_ms)
{
    const struct cs_store *s = sn->s;
    const struct cs_netparams *net = cs_store_net(s);
    struct hit hits[64];
    size_t nh = 0;
    uint64_t fi, ni, fo, no;
    cs_store_tx_ins(s, tx, &fi, &ni);
    cs_store_tx_outs(s, tx, &fo, &no);
    for (int pass = 0; pass < 2; pass++) {
        uint64_t first = pass ? fo : fi, n = pass ? no : ni;
        for (uint64_t i = first; i < first + n; i++) {
            const struct cs_outrec *o;
            if (!pass) {
                uint64_t prev = cs_store_in_prevout(s, i);
                if (prev == CS_NONE64) continue;
                o = cs_store_out(s, prev);
            } else {
                o = cs_store_out(s, i);
            }
            size_t at;
            if (!wset_find(ws, o->addr, &at)) continue;
            for (; at < ws->n && ws->v[at].addr == o->addr; at++) {
                size_t k = 0;
                while (k < nh && !(hits[k].item == at && hits[k].sent == !pass))
                    k++;
                if (k == nh) {
                    if (nh == sizeof hits / sizeof hits[0]) continue; /* bounded per tx */
                    hits[nh++] = (struct hit){at, !pass, 0};
                }
                hits[k].amount += o->value;
            }
        }
    }
    if (!nh) return 0;
    char txid[65], addr[CS_CHAIN_ADDR_MAX], t[CS_TIME_ISO_MAX];
    cs_hex_rev(txid, cs_store_txid(s, tx));
    uint32_t btime = cs_report_block_time(s, height);
    for (size_t k = 0; k < nh; k++) {
        const struct witem *it = &ws->v[hits[k].item];
        struct cs_json_writer w;
        cs_json_writer_init_buf(&w, 0);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "watchlist");
        cs_json_writer_i64(&w, it->wl);
        cs_json_writer_key(&w, "chain");
        cs_json_writer_string(&w, cs_chain_default()->name);
        cs_json_writer_key(&w, "address");
        cs_json_writer_string(&w, it->text);
        cs_json_writer_key(&w, "direction");
        cs_json_writer_string(&w, hits[k].sent ? "sent" : "received");
        cs_json_writer_key(&w, "amount");
        cs_json_writer_u64(&w, hits[k].amount);
        cs_json_writer_key(&w, "txid");
        cs_json_writer_string(&w, txid);
        cs_json_writer_key(&w, "height");
        cs_json_writer_u64(&w, height);
        cs_json_writer_key(&w, "block");
        cs_json_writer_string(&w, bhash);
        cs_json_writer_key(&w, "time");
        cs_json_writer_string(&w, cs_time_iso(t, btime));
        /* where the transaction's value went, and the services among them */
        cs_json_writer_key(&w, "outputs");
        cs_json_writer_begin_array(&w);
        struct svc {
            int32_t e;
            uint64_t v;
        } svc[16];
        size_t nsvc = 0;
        for (uint64_t o = fo; o < fo + no; o++) {
            const struct cs_outrec *ro = cs_store_out(s, o);
            int32_t e = sn->at ? cs_attrib_lookup(sn->at, ro->addr) : -1;
            const struct cs_attrib_entity *x =
                e >= 0 ? cs_attrib_entity(sn->at, (uint32_t)e) : NULL;
            if (x && service_category(x->category)) {
                size_t j = 0;
                while (j < nsvc && svc[j].e != e)
                    j++;
                if (j == nsvc && nsvc < 16) svc[nsvc++] = (struct svc){e, 0};
                if (j < nsvc) svc[j].v += ro->value;
            }
            if (o - fo >= OUTPUTS_LISTED) continue;
            cs_addr_format(cs_store_addr(s, ro->addr), net, addr);
            cs_json_writer_begin_object(&w);
            cs_json_writer_key(&w, "address");
            cs_json_writer_string(&w, addr);
            cs_json_writer_key(&w, "value");
            cs_json_writer_u64(&w, ro->value);
            cs_json_writer_key(&w, "entity");
            if (x) {
                cs_json_writer_begin_object(&w);
                cs_json_writer_key(&w, "label");
                cs_json_writer_string(&w, x->label);
                cs_json_writer_key(&w, "category");
                cs_json_writer_string(&w, cs_tag_category_name(x->category));
                cs_json_writer_end_object(&w);
            } else {
                cs_json_writer_null(&w);
            }
            cs_json_writer_end_object(&w);
        }
        cs_json_writer_end_array(&w);
        cs_json_writer_key(&w, "outputs_total");
        cs_json_writer_u64(&w, no);
        cs_json_writer_key(&w, "services");
        cs_json_writer_begin_array(&w);
        for (size_t j = 0; j < nsvc; j++) {
            const struct cs_attrib_entity *x = cs_attrib_entity(sn->at, (uint32_t)svc[j].e);
            cs_json_writer_begin_object(&w);
            cs_json_writer_key(&w, "label");
            cs_json_writer_string(&w, x->label);
            cs_json_writer_key(&w, "category");
            cs_json_writer_string(&w, cs_tag_category_name(x->category));
            cs_json_writer_key(&w, "value");
            cs_json_writer_u64(&w, svc[j].v);
            cs_json_writer_end_object(&w);
        }
        cs_json_writer_end_array(&w);
        int64_t now = now_ms();
        cs_json_writer_key(&w, "committed_ms");
        cs_json_writer_i64(&w, committed_ms);
        cs_json_writer_key(&w, "alerted_ms");
        cs_json_writer_i64(&w, now);
        cs_json_writer_key(&w, "latency_ms");
        cs_json_writer_i64(&w, now - committed_ms);
        cs_json_writer_end_object(&w);
        char *body;
        size_t blen;
        int rc = cs_json_writer_finish(&w, &body, &blen);
        if (rc) return rc;
        rc = cs_srv_alert_add(sv, it->wl, it->text, txid, (int64_t)height, bhash, now, body);
        free(body);
        if (rc) return rc;
    }
    return 0;
}

static int scan_block(struct srv *sv, const struct snap *sn, const struct wset *ws, uint64_t h)
{
    const struct cs_blockrec *b = cs_store_block(sn->s, h);
    char bh[65];
    cs_hex_rev(bh, b->hash);
    int64_t committed = (int64_t)sn->key.f[0].mtime_s * 1000 + sn->key.f[0].mtime_ns / 1000000;
    int rc = cs_srv_state_exec(sv, "BEGIN IMMEDIATE");
    if (rc) return rc;
    for (uint64_t t = b->first_tx; !rc && ws->n && t < b->first_tx + b->n_tx; t++)
        rc = tx_alerts(sv, sn, ws, t, h, bh, committed);
    if (!rc) rc = cs_srv_scanned_set(sv, (int64_t)h, bh);
    if (!rc) rc = cs_store_status(sn->s);
    if (!rc) return cs_srv_state_exec(sv, "COMMIT");
    (void)!cs_srv_state_exec(sv, "ROLLBACK");
    return rc;
}

static void block_hex(const struct snap *sn, int64_t h, char out[65])
{
    cs_hex_rev(out, cs_store_block(sn->s, (uint64_t)h)->hash);
}

/* One round: reorg check, then every new block.  0 or an error (logged by
 * the caller, retried next round). */
static int watch_round(struct srv *sv, struct wset *ws, uint64_t *ws_version, uint64_t *ws_gen)
{
    struct snap *sn;
    int rc = cs_srv_snap_get(sv, &sn);
    if (rc) return rc;
    int64_t tip = cs_store_height(sn->s);
    if (tip < 0) return 0;
    char saved[65], cur[65];
    int64_t h;
    pthread_mutex_lock(&sv->sql_mu);
    rc = cs_srv_scanned_top(sv, &h, saved);
    if (rc == CS_ENOTFOUND) { /* first start: watch from the tip on */
        block_hex(sn, tip, cur);
        rc = cs_srv_scanned_set(sv, tip, cur);
        h = tip;
        goto unlock;
    }
    if (rc) goto unlock;
    if (h > tip || (block_hex(sn, h, cur), strcmp(cur, saved))) {
        /* a reorg: the highest scanned block still on the chain is the fork */
        int64_t k = h > tip ? tip : h;
        for (; k >= 0 && k > h - 1000; k--) {
            if (cs_srv_scanned_hash(sv, k, saved)) continue;
            block_hex(sn, k, cur);
            if (!strcmp(cur, saved)) break;
        }
        if (k < 0 || k <= h - 1000) k = tip; /* too deep: start again at the tip */
        fprintf(stderr,
                "chainsleuth serve: watcher: reorg below height %lld; alerts above %lld "
                "orphaned\n",
                (long long)h, (long long)k);
        if ((rc = cs_srv_unscan_above(sv, k))) goto unlock;
        if (k == tip) {
            block_hex(sn, tip, cur);
            rc = cs_srv_scanned_set(sv, tip, cur);
        }
        h = k;
    }
    if (rc || h >= tip) goto unlock;
    uint64_t ver = atomic_load(&sv->wl_version);
    if (ver != *ws_version || sn->generation != *ws_gen) {
        ws->n = 0;
        ws->sn = sn;
        if ((rc = cs_srv_wl_items(sv, -1, wset_add, ws))) goto unlock;
        qsort(ws->v, ws->n, sizeof *ws->v, cmp_witem);
        *ws_version = ver;
        *ws_gen = sn->generation;
    }
    int any = 0;
    for (int64_t b = h + 1; b <= tip && !rc && !atomic_load(&sv->stopping); b++) {
        rc = scan_block(sv, sn, ws, (uint64_t)b);
        any = 1;
        if (!rc) atomic_store(&sv->watched_height, b);
    }
    pthread_mutex_unlock(&sv->sql_mu);
    if (any) {
        pthread_mutex_lock(&sv->sse_mu);
        atomic_fetch_add(&sv->alert_seq, 1);
        pthread_mutex_unlock(&sv->sse_mu);
        cs_srv_sse_wake(sv);
    }
    return rc;
unlock:
    if (!rc) atomic_store(&sv->watched_height, h);
    pthread_mutex_unlock(&sv->sql_mu);
    return rc;
}

static void *watcher_main(void *arg)
{
    struct srv *sv = arg;
    struct wset ws = {0};
    uint64_t ver = UINT64_MAX, gen = 0;
    char last_err[512] = "";
    while (!atomic_load(&sv->stopping)) {
        int rc = watch_round(sv, &ws, &ver, &gen);
        if (rc && strcmp(last_err, cs_errmsg())) { /* each distinct error once */
            snprintf(last_err, sizeof last_err, "%s", cs_errmsg());
            fprintf(stderr, "chainsleuth serve: watcher: %s (retrying)\n", last_err);
        } else if (!rc) {
            last_err[0] = 0;
        }
        struct timespec ts = {0, POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    free(ws.v);
    return NULL;
}

int cs_srv_watch_start(struct srv *sv)
{
    atomic_store(&sv->watched_height, -1);
    if (pthread_create(&sv->watcher, NULL, watcher_main, sv))
        return cs_error(CS_ENOMEM, "cannot start the watcher thread");
    sv->watcher_running = 1;
    return 0;
}

void cs_srv_watch_stop(struct srv *sv)
{
    atomic_store(&sv->stopping, 1);
    if (sv->watcher_running) pthread_join(sv->watcher, NULL);
    sv->watcher_running = 0;
    cs_srv_sse_wake(sv);
}

/* ---- Server-Sent Events ---- */

struct cs_srv_sse {
    struct srv *sv;
    struct MHD_Connection *conn;
    int64_t last; /* last alert id sent */
    char *pend;   /* bytes not yet handed to libmicrohttpd */
    size_t plen, poff, pcap;
    int64_t last_write_ms;
    int suspended;
    struct cs_srv_sse *next;
};

void cs_srv_sse_wake(struct srv *sv)
{
    pthread_mutex_lock(&sv->sse_mu);
    for (struct cs_srv_sse *x = sv->suspended; x; x = x->next) {
        x->suspended = 0;
        MHD_resume_connection(x->conn);
    }
    sv->suspended = NULL;
    sv->last_heartbeat_ms = now_ms();
    pthread_mutex_unlock(&sv->sse_mu);
}

static void pend_add(struct cs_srv_sse *x, const char *s, size_t n)
{
    if (x->plen + n > x->pcap) {
        size_t cap = x->pcap ? x->pcap : 4096;
        while (cap < x->plen + n)
            cap *= 2;
        char *nb = realloc(x->pend, cap);
        if (!nb) return;
        x->pend = nb;
        x->pcap = cap;
    }
    memcpy(x->pend + x->plen, s, n);
    x->plen += n;
}

static void sse_event(void *ctx, int64_t id, int orphaned, const char *body)
{
    struct cs_srv_sse *x = ctx;
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, 0);
    cs_srv_alert_json(&w, id, orphaned, body);
    char *j;
    size_t n;
    if (cs_json_writer_finish(&w, &j, &n)) return;
    char head[64];
    int k = snprintf(head, sizeof head, "id: %lld\nevent: alert\ndata: ", (long long)id);
    pend_add(x, head, (size_t)k);
    pend_add(x, j, n);
    pend_add(x, "\n\n", 2);
    free(j);
    x->last = id;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct cs_srv_sse *x = cls;
    struct srv *sv = x->sv;
    for (;;) {
        if (x->poff < x->plen) {
            size_t n = x->plen - x->poff < max ? x->plen - x->poff : max;
            memcpy(buf, x->pend + x->poff, n);
            x->poff += n;
            if (x->poff == x->plen) x->poff = x->plen = 0;
            x->last_write_ms = now_ms();
            return (ssize_t)n;
        }
        if (atomic_load(&sv->stopping)) return MHD_CONTENT_READER_END_OF_STREAM;
        uint64_t seq = atomic_load(&sv->alert_seq);
        int64_t last;
        pthread_mutex_lock(&sv->sql_mu);
        int rc = cs_srv_alerts(sv, x->last, -1, 100, sse_event, x, &last);
        pthread_mutex_unlock(&sv->sql_mu);
        if (rc) return MHD_CONTENT_READER_END_WITH_ERROR;
        if (x->plen) continue;
        if (now_ms() - x->last_write_ms >= HEARTBEAT_MS) {
            static const char beat[] = ": keepalive\n\n";
            pend_add(x, beat, sizeof beat - 1);
            continue;
        }
        pthread_mutex_lock(&sv->sse_mu);
        if (atomic_load(&sv->alert_seq) != seq || atomic_load(&sv->stopping)) {
            pthread_mutex_unlock(&sv->sse_mu);
            continue;
        }
        x->suspended = 1;
        x->next = sv->suspended;
        sv->suspended = x;
        MHD_suspend_connection(x->conn);
        pthread_mutex_unlock(&sv->sse_mu);
        return 0;
    }
}

static void sse_free(void *cls)
{
    struct cs_srv_sse *x = cls;
    struct srv *sv = x->sv;
    pthread_mutex_lock(&sv->sse_mu);
    for (struct cs_srv_sse **p = &sv->suspended; *p; p = &(*p)->next)
        if (*p == x) {
            *p = x->next;
            break;
        }
    pthread_mutex_unlock(&sv->sse_mu);
    free(x->pend);
    free(x);
}

struct MHD_Response *cs_srv_sse_response(struct srv *sv, struct MHD_Connection *conn, int64_t after)
{
    struct cs_srv_sse *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    x->sv = sv;
    x->conn = conn;
    x->last = after;
    x->last_write_ms = now_ms();
    /* "retry" tells EventSource clients how soon to reconnect; the comment
     * makes the headers and a first byte go out at once */
    static const char hello[] = "retry: 1000\n: stream of alerts\n\n";
    pend_add(x, hello, sizeof hello - 1);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, x, sse_free);
    if (!r) {
        free(x->pend);
        free(x);
        return NULL;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    /* the stream is long-lived: no idle timeout (heartbeats find dead peers) */
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned int)0);
    return r;
}
