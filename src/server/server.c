/* server.c — the libmicrohttpd daemon: options and limits, the router over
 * decoded paths, bounded bodies, JSON errors, and the graceful stop.
 *
 * libmicrohttpd parses the request line, headers, chunked bodies and
 * percent-escapes; we see the decoded path, the method and body pieces.
 * Threads: libmicrohttpd's internal thread pool (epoll), o.threads threads;
 * a handler runs on the thread that owns the connection and answers from
 * that thread's snapshot (snap.c). */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/server_int.h"
#include "util/json.h"

#define URL_MAX 2048
#define DISCARD_MAX (64u << 20) /* past this an oversized body is not read on */

void cs_server_opts_default(struct cs_server_opts *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = 8080;
    o->threads = 2;
    o->max_connections = 256;
    o->per_ip_connections = 64;
    o->timeout_s = 30;
    o->max_body = 1u << 20;
    o->drain_ms = 10000;
}

void cs_srv_reply_error(struct reply *r, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "error");
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "code");
    cs_json_writer_string(&w, code);
    cs_json_writer_key(&w, "message");
    cs_json_writer_string(&w, msg);
    cs_json_writer_end_object(&w);
    cs_json_writer_end_object(&w);
    free(r->body);
    r->body = NULL;
    r->status = status;
    if (cs_json_writer_finish(&w, &r->body, &r->len)) {
        r->body = NULL;
        r->len = 0;
    }
}

void cs_srv_reply_json(struct reply *r, unsigned status, struct cs_json_writer *w)
{
    free(r->body);
    r->body = NULL;
    int rc = cs_json_writer_finish(w, &r->body, &r->len);
    if (rc) {
        cs_srv_reply_error(r, 500, "internal", "writing the answer: %s", cs_errmsg());
        return;
    }
    r->status = status;
}

/* ---- one request ---- */

struct req {
    char *body;
    size_t len, cap;
    size_t seen; /* body bytes: the larger of Content-Length and what arrived */
    size_t received;
    int answered; /* a response was queued before the body ended */
    int too_big;
    int oom;
};

/* Routes.  A path that matches a route with another method is 405. */
enum {
    R_HEALTH,
    R_INFO,
    R_OPENAPI,
    R_ADDRESS,
    R_ADDRESS_RISK,
    R_TX,
    R_SCREEN,
    R_WL_CREATE,
    R_WL_LIST,
    R_WL_GET,
    R_WL_DELETE,
    R_WL_ITEMS,
    R_WL_ADD,
    R_WL_REMOVE,
    R_ALERTS,
    R_ALERTS_STREAM
};
static const struct route {
    int id;
    const char *method;
    int nseg;
    const char *seg[4]; /* NULL: a parameter */
} ROUTES[] = {
    {R_HEALTH, "GET", 1, {"health"}},
    {R_INFO, "GET", 1, {"info"}},
    {R_OPENAPI, "GET", 1, {"openapi.json"}},
    {R_ADDRESS, "GET", 3, {"address", NULL, NULL}},
    {R_ADDRESS_RISK, "GET", 4, {"address", NULL, NULL, "risk"}},
    {R_TX, "GET", 3, {"tx", NULL, NULL}},
    {R_SCREEN, "POST", 1, {"screen"}},
    {R_WL_CREATE, "POST", 1, {"watchlists"}},
    {R_WL_LIST, "GET", 1, {"watchlists"}},
    {R_WL_GET, "GET", 2, {"watchlists", NULL}},
    {R_WL_DELETE, "DELETE", 2, {"watchlists", NULL}},
    {R_WL_ITEMS, "GET", 3, {"watchlists", NULL, "items"}},
    {R_WL_ADD, "POST", 3, {"watchlists", NULL, "items"}},
    {R_WL_REMOVE, "DELETE", 4, {"watchlists", NULL, "items", NULL}},
    {R_ALERTS, "GET", 1, {"alerts"}},
    {R_ALERTS_STREAM, "GET", 2, {"alerts", "stream"}},
};

/* a watchlist id segment: decimal, no sign, at most 18 digits */
static int seg_id(const char *seg, int64_t *id)
{
    size_t n = strlen(seg);
    if (!n || n > 18) return 0;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (seg[i] < '0' || seg[i] > '9') return 0;
        v = v * 10 + (seg[i] - '0');
    }
    *id = v;
    return 1;
}

static int takes_body(int id)
{
    return id == R_SCREEN || id == R_WL_CREATE || id == R_WL_ADD;
}

static void route(struct srv *sv, struct MHD_Connection *conn, const char *url, const char *method,
                  const struct req *rq, struct reply *r)
{
    size_t ulen = strlen(url);
    if (ulen > URL_MAX) {
        cs_srv_reply_error(r, 414, "uri_too_long", "the path has %zu bytes, at most %d", ulen,
                           URL_MAX);
        return;
    }
    if (strncmp(url, "/v1/", 4)) {
        cs_srv_reply_error(r, 404, "not_found", "no route %s (the API is under /v1/)", url);
        return;
    }
    /* split after /v1/; an empty segment (// or a trailing /) matches nothing */
    char buf[URL_MAX + 1];
    memcpy(buf, url + 4, ulen - 4 + 1);
    char *seg[5];
    int n = 0;
    for (char *p = buf;;) {
        if (n == 5) {
            n = -1;
            break;
        }
        seg[n++] = p;
        char *sl = strchr(p, '/');
        if (!sl) break;
        *sl = 0;
        p = sl + 1;
    }
    const struct route *hit = NULL;
    char allow[64] = "";
    for (size_t i = 0; n > 0 && i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
        const struct route *ro = &ROUTES[i];
        if (ro->nseg != n) continue;
        int ok = 1;
        for (int k = 0; k < n && ok; k++)
            ok = ro->seg[k] ? !strcmp(ro->seg[k], seg[k]) : seg[k][0] != 0;
        if (!ok) continue;
        if (!strcmp(ro->method, method) ||
            (!strcmp(method, "HEAD") && !strcmp(ro->method, "GET"))) {
            hit = ro;
            break;
        }
        size_t al = strlen(allow);
        snprintf(allow + al, sizeof allow - al, "%s%s", al ? ", " : "", ro->method);
    }
    if (!hit) {
        if (allow[0]) {
            cs_srv_reply_error(r, 405, "method_not_allowed", "%s %s: use %s", method, url, allow);
            snprintf(r->allow_buf, sizeof r->allow_buf, "%s", allow);
            r->allow = r->allow_buf;
        } else {
            cs_srv_reply_error(r, 404, "not_found", "no route %s", url);
        }
        return;
    }
    int64_t wl = -1;
    if (hit->nseg >= 2 && !strcmp(hit->seg[0], "watchlists") && !seg_id(seg[1], &wl)) {
        cs_srv_reply_error(r, 404, "not_found", "no watchlist '%.40s' (ids are numbers)", seg[1]);
        return;
    }
    if (takes_body(hit->id)) {
        if (rq->oom) {
            cs_srv_reply_error(r, 503, "unavailable", "out of memory reading the body");
            return;
        }
        if (rq->too_big) {
            cs_srv_reply_error(r, 413, "payload_too_large",
                               "the body has %zu bytes or more, at most %zu", rq->seen,
                               sv->o.max_body);
            return;
        }
    } else if (rq->seen) {
        cs_srv_reply_error(r, 400, "bad_request", "%s %s takes no body", method, url);
        return;
    }
    switch (hit->id) {
    case R_HEALTH:
        cs_srv_api_health(sv, r);
        break;
    case R_INFO:
        cs_srv_api_info(sv, r);
        break;
    case R_OPENAPI:
        free(r->body);
        r->body = malloc(sv->o.openapi_len ? sv->o.openapi_len : 1);
        if (!r->body) {
            cs_srv_reply_error(r, 503, "unavailable", "out of memory");
            break;
        }
        memcpy(r->body, sv->o.openapi, sv->o.openapi_len);
        r->len = sv->o.openapi_len;
        r->status = 200;
        break;
    case R_ADDRESS:
        cs_srv_api_address(sv, seg[1], seg[2], 0, r);
        break;
    case R_ADDRESS_RISK:
        cs_srv_api_address(sv, seg[1], seg[2], 1, r);
        break;
    case R_TX:
        cs_srv_api_tx(sv, seg[1], seg[2], r);
        break;
    case R_SCREEN:
        cs_srv_api_screen(sv, rq->body ? rq->body : "", rq->len, r);
        break;
    case R_WL_CREATE:
        cs_srv_api_wl_create(sv, rq->body ? rq->body : "", rq->len, r);
        break;
    case R_WL_LIST:
        cs_srv_api_wl_list(sv, r);
        break;
    case R_WL_GET:
        cs_srv_api_wl_get(sv, wl, 0, r);
        break;
    case R_WL_DELETE:
        cs_srv_api_wl_delete(sv, wl, r);
        break;
    case R_WL_ITEMS:
        cs_srv_api_wl_get(sv, wl, 1, r);
        break;
    case R_WL_ADD:
        cs_srv_api_wl_add(sv, wl, rq->body ? rq->body : "", rq->len, r);
        break;
    case R_WL_REMOVE:
        cs_srv_api_wl_remove(sv, wl, seg[3], r);
        break;
    case R_ALERTS:
        cs_srv_api_alerts(sv, MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "cursor"),
                          MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit"),
                          MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "watchlist"), r);
        break;
    case R_ALERTS_STREAM: {
        /* resume after Last-Event-ID (a reconnecting EventSource) or ?cursor= */
        const char *le = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
        const char *cu = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "cursor");
        const char *t = le ? le : cu;
        int64_t after = 0;
        if (t && !seg_id(t, &after)) {
            cs_srv_reply_error(r, 400, "bad_request", "%s: '%.40s' is not an alert id",
                               le ? "Last-Event-ID" : "cursor", t);
            break;
        }
        r->sse = 1;
        r->sse_after = after;
        break;
    }
    }
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct reply *r)
{
    if (!r->body) { /* the error writer itself failed: a fixed answer */
        static const char oom[] =
            "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
        r->status = 500;
        r->body = malloc(sizeof oom);
        if (!r->body) return MHD_NO;
        memcpy(r->body, oom, sizeof oom - 1);
        r->len = sizeof oom - 1;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(r->body);
        return MHD_NO;
    }
    r->body = NULL;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            r->ctype ? r->ctype : "application/json");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (r->allow) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    enum MHD_Result ret = MHD_queue_response(conn, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct srv *sv = cls;
    struct req *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq) return MHD_NO;
        *con_cls = rq;
        atomic_fetch_add(&sv->inflight, 1);
        atomic_fetch_add(&sv->requests, 1);
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            unsigned long long v = strtoull(cl, NULL, 10);
            if (v > sv->o.max_body) {
                rq->too_big = 1;
                rq->seen = (size_t)v;
                if (v > DISCARD_MAX) { /* not worth reading: answer now, the connection closes */
                    struct reply r = {0};
                    cs_srv_reply_error(&r, 413, "payload_too_large",
                                       "the body has %llu bytes, at most %zu", v, sv->o.max_body);
                    rq->answered = 1;
                    return send_reply(conn, &r);
                }
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        rq->received += n;
        if (rq->received > rq->seen) rq->seen = rq->received;
        if (rq->answered) return MHD_YES;
        if (rq->too_big && rq->received > DISCARD_MAX) {
            /* an endless (chunked) body: answer now; the connection closes */
            struct reply r = {0};
            cs_srv_reply_error(&r, 413, "payload_too_large",
                               "the body has more than %zu bytes, at most %zu", (size_t)DISCARD_MAX,
                               sv->o.max_body);
            rq->answered = 1;
            return send_reply(conn, &r);
        }
        if (rq->too_big || rq->oom) return MHD_YES; /* read and dropped */
        if (rq->len + n > sv->o.max_body) {
            rq->too_big = 1;
            free(rq->body);
            rq->body = NULL;
            rq->len = rq->cap = 0;
            return MHD_YES;
        }
        if (rq->len + n + 1 > rq->cap) {
            size_t cap = rq->cap ? rq->cap : 4096;
            while (cap < rq->len + n + 1)
                cap *= 2;
            char *nb = realloc(rq->body, cap);
            if (!nb) {
                rq->oom = 1;
                return MHD_YES;
            }
            rq->body = nb;
            rq->cap = cap;
        }
        memcpy(rq->body + rq->len, upload_data, n);
        rq->len += n;
        rq->body[rq->len] = 0;
        return MHD_YES;
    }
    if (rq->answered) return MHD_YES;
    struct reply r = {0};
    route(sv, conn, url, method, rq, &r);
    if (r.sse) {
        struct MHD_Response *resp = cs_srv_sse_response(sv, conn, r.sse_after);
        if (!resp) return MHD_NO;
        enum MHD_Result ret = MHD_queue_response(conn, 200, resp);
        MHD_destroy_response(resp);
        return ret;
    }
    return send_reply(conn, &r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct srv *sv = cls;
    struct req *rq = *con_cls;
    if (!rq) return;
    free(rq->body);
    free(rq);
    *con_cls = NULL;
    atomic_fetch_sub(&sv->inflight, 1);
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
    fputs("chainsleuth serve: libmicrohttpd: ", stderr);
    vfprintf(stderr, fmt, ap);
}

int cs_server_run(const struct cs_server_opts *o, volatile sig_atomic_t *stop,
                  void (*ready)(void *ctx, unsigned port), void *ctx)
{
    struct srv *sv = calloc(1, sizeof *sv);
    if (!sv) return cs_error(CS_ENOMEM, "out of memory");
    sv->o = *o;
    pthread_mutex_init(&sv->mu, NULL);
    pthread_mutex_init(&sv->sql_mu, NULL);
    pthread_mutex_init(&sv->sse_mu, NULL);
    sv->started = (int64_t)time(NULL);
    int rc;
    cs_risk_config_default(&sv->cfg);
    if (o->config && (rc = cs_risk_config_load(&sv->cfg, o->config))) goto out;
    /* the first snapshot, on this thread, with the full open check: an
     * unservable store fails here rather than on the first request */
    struct snap *first;
    if ((rc = cs_srv_snap_open(sv, 0, &first))) goto out;
    cs_srv_snap_free(first);
    if ((rc = cs_srv_state_open(sv))) goto out;

    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
    } addr;
    memset(&addr, 0, sizeof addr);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (inet_pton(AF_INET, o->host, &addr.in4.sin_addr) == 1) {
        addr.in4.sin_family = AF_INET;
        addr.in4.sin_port = htons((uint16_t)o->port);
    } else if (inet_pton(AF_INET6, o->host, &addr.in6.sin6_addr) == 1) {
        addr.in6.sin6_family = AF_INET6;
        addr.in6.sin6_port = htons((uint16_t)o->port);
        flags |= MHD_USE_IPv6;
    } else {
        rc = cs_error(CS_EUSAGE, "--listen: '%s' is not a numeric IPv4 or IPv6 address", o->host);
        goto out;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, sv, MHD_OPTION_EXTERNAL_LOGGER, on_log,
        NULL, /* first, so that every message goes there */
        MHD_OPTION_SOCK_ADDR, &addr.sa, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)(o->threads ? o->threads : 1), MHD_OPTION_CONNECTION_LIMIT, o->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->per_ip_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        o->timeout_s,
        /* request line and headers must fit here; more is refused by
         * libmicrohttpd itself (414 / 431) */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, sv, MHD_OPTION_LISTEN_BACKLOG_SIZE, 128u, MHD_OPTION_END);
    if (!d) {
        rc = cs_error(CS_ENET, "cannot listen on %s:%u (address in use, or not allowed)", o->host,
                      o->port);
        goto out;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = di ? di->port : o->port;
    if ((rc = cs_srv_watch_start(sv))) {
        MHD_stop_daemon(d);
        goto out;
    }
    if (ready) ready(ctx, port);
    for (unsigned ticks = 0; !*stop; ticks++) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (ticks % 300 == 299) cs_srv_sse_wake(sv); /* every 15 s: streams send a heartbeat */
    }
    /* stop: no new connections; the watcher ends, alert streams end, requests
     * in flight finish (bounded by drain_ms) */
    MHD_socket ls = MHD_quiesce_daemon(d);
    if (ls != MHD_INVALID_SOCKET) close(ls);
    cs_srv_watch_stop(sv);
    for (unsigned waited = 0; atomic_load(&sv->inflight) > 0 && waited < o->drain_ms;
         waited += 10) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(d);
    rc = 0;
out:
    cs_srv_watch_stop(sv);
    cs_srv_state_close(sv);
    cs_srv_snap_free_all(sv);
    pthread_mutex_destroy(&sv->sse_mu);
    pthread_mutex_destroy(&sv->sql_mu);
    pthread_mutex_destroy(&sv->mu);
    free(sv);
    return rc;
}
