/* test_http.c — HTTP client and JSON-RPC caller against an in-process TCP
 * server thread on 127.0.0.1 (port 0 -> getsockname) that answers with
 * Content-Length, chunked, read-to-close, 100-continue, 401, 500 with a JSON
 * error, garbage, truncated replies, oversize replies and silence; retries
 * (429 twice, 503 forever, a 500 RPC error that must not be retried), an
 * endless reply under a small cap (peak buffer <= cap + 1), and a
 * thread-per-connection server that sleeps 50 ms per request to check the
 * window of calls in flight and connection reuse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/http.h"
#include "util/json.h"

/* ------------------------------------------------------ test server -- */

struct server;
typedef void (*respond_fn)(struct server *s, int fd, uint64_t id);

struct server {
    int lfd, port;
    pthread_t thread;
    respond_fn respond;
    int close_after; /* close the connection after each reply */
    pthread_mutex_t mu;
    int connections, requests;
    char last_request[1 << 16];
    size_t last_request_len;
    char url[96];
};

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return; /* the client went away: fine for a test server */
        p += w;
        n -= (size_t)w;
    }
}

static void send_str(int fd, const char *s)
{
    send_all(fd, s, strlen(s));
}

static void sendf(int fd, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    send_all(fd, buf, (size_t)n);
}

/* Reads one request (headers + Content-Length body).  Returns 0 on EOF. */
static int read_request(struct server *s, int fd, char *buf, size_t cap, size_t *len)
{
    size_t n = 0, need = 0;
    for (;;) {
        char *end = n ? memmem(buf, n, "\r\n\r\n", 4) : NULL;
        if (end && !need) {
            size_t head = (size_t)(end - buf) + 4, cl = 0;
            buf[head - 1] = 0;
            const char *h = strcasestr(buf, "\r\nContent-Length:");
            if (h) cl = strtoul(h + 17, NULL, 10);
            buf[head - 1] = '\n';
            need = head + cl;
        }
        if (need && n >= need) break;
        if (n == cap) return 0;
        ssize_t k = recv(fd, buf + n, cap - n, 0);
        if (k <= 0) return 0;
        n += (size_t)k;
    }
    *len = need;
    pthread_mutex_lock(&s->mu);
    memcpy(s->last_request, buf, need);
    s->last_request_len = need;
    s->requests++;
    pthread_mutex_unlock(&s->mu);
    return 1;
}

static uint64_t request_id(const char *req, size_t len)
{
    const char *body = memmem(req, len, "\r\n\r\n", 4);
    struct cs_json_doc doc;
    uint64_t id = 0;
    if (!body) return 0;
    body += 4;
    if (cs_json_parse(&doc, body, len - (size_t)(body - req), NULL)) return 0;
    if (cs_json_obj_u64(doc.root, "id", &id)) id = 0;
    cs_json_doc_free(&doc);
    return id;
}

static void *server_main(void *arg)
{
    struct server *s = arg;
    static _Thread_local char req[1 << 16];
    for (;;) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR) continue;
            return NULL; /* shutdown() of the listening socket ends the thread */
        }
        struct timeval tv = {5, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        pthread_mutex_lock(&s->mu);
        s->connections++;
        pthread_mutex_unlock(&s->mu);
        size_t len;
        while (read_request(s, fd, req, sizeof req, &len)) {
            s->respond(s, fd, request_id(req, len));
            if (s->close_after) break;
        }
        close(fd);
    }
}

static int start_server(struct server *s, respond_fn respond, int close_after, int v6)
{
    memset(s, 0, sizeof *s);
    s->respond = respond;
    s->close_after = close_after;
    pthread_mutex_init(&s->mu, NULL);
    s->lfd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->lfd < 0) return -1;
    int one = 1;
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        sl = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sl = sizeof *a;
    }
    if (bind(s->lfd, (struct sockaddr *)&ss, sl) || listen(s->lfd, 8) ||
        getsockname(s->lfd, (struct sockaddr *)&ss, &sl)) {
        close(s->lfd);
        return -1;
    }
    s->port =
        ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    snprintf(s->url, sizeof s->url, v6 ? "http://[::1]:%d/" : "http://127.0.0.1:%d/", s->port);
    pthread_create(&s->thread, NULL, server_main, s);
    return 0;
}

static void stop_server(struct server *s)
{
    shutdown(s->lfd, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    close(s->lfd);
    pthread_mutex_destroy(&s->mu);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------- responders -- */

static void reply_json(int fd, int status, const char *reason, const char *json, int keep)
{
    sendf(fd, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n%s",
          status, reason, strlen(json), keep ? "" : "Connection: close\r\n", json);
}

static void r_count(struct server *s, int fd, uint64_t id)
{
    (void)s;
    char body[128];
    snprintf(body, sizeof body, "{\"result\":871234,\"error\":null,\"id\":%llu}\n",
             (unsigned long long)id);
    reply_json(fd, 200, "OK", body, 1);
}

/* Bitcoin Core style chunked reply, split into pieces of 1, 2, 3... bytes with
 * upper-case hex sizes, a chunk extension and a trailer. */
static void r_chunked(struct server *s, int fd, uint64_t id)
{
    (void)s;
    char body[256];
    int n = snprintf(body, sizeof body,
                     "{\"result\":{\"chain\":\"main\",\"blocks\":871234,\"pruned\":false},"
                     "\"error\":null,\"id\":%llu}",
                     (unsigned long long)id);
    send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n");
    int off = 0, k = 1;
    while (off < n) {
        int len = n - off < k ? n - off : k;
        sendf(fd, "%X%s\r\n", len, k == 3 ? ";name=value" : "");
        send_all(fd, body + off, (size_t)len);
        send_str(fd, "\r\n");
        off += len;
        k++;
    }
    send_str(fd, "0\r\nX-Trailer: yes\r\n\r\n");
}

static void r_401(struct server *s, int fd, uint64_t id)
{
    (void)s;
    (void)id;
    send_str(fd, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"jsonrpc\"\r\n"
                 "Content-Length: 0\r\n\r\n");
}

static void r_500(struct server *s, int fd, uint64_t id)
{
    (void)s;
    char body[256];
    snprintf(
        body, sizeof body,
        "{\"result\":null,\"error\":{\"code\":-5,\"message\":\"Block not found\"},\"id\":%llu}\n",
        (unsigned long long)id);
    reply_json(fd, 500, "Internal Server Error", body, 1);
}

static void r_404_method(struct server *s, int fd, uint64_t id)
{
    (void)s;
    char body[256];
    snprintf(body, sizeof body,
             "{\"result\":null,\"error\":{\"code\":-32601,\"message\":\"Method not found\"},"
             "\"id\":%llu}\n",
             (unsigned long long)id);
    reply_json(fd, 404, "Not Found", body, 1);
}

static void r_502_html(struct server *s, int fd, uint64_t id)
{
    (void)s;
    (void)id;
    reply_json(fd, 502, "Bad Gateway", "<html>bad gateway</html>", 0);
}

static void r_garbage(struct server *s, int fd, uint64_t id)
{
    (void)s;
    (void)id;
    send_str(fd, "SSH-2.0-OpenSSH_9.2\r\n\r\n");
}

static void r_truncated(struct server *s, int fd, uint64_t id)
{
    (void)s;
    (void)id;
    send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"result\":");
}

static void r_truncated_headers(struct server *s, int fd, uint64_t id)
{
    (void)s;
    (void)id;
    send_str(fd, "HTTP/1.1 200 OK\r\nContent-Len");
}

static void r_silent(struct server *s, int fd, uint64_t id)
{
    (void)s;
    (void)id;
    struct pollfd p = {fd, POLLIN, 0};
    poll(&p, 1, 5000); /* until the client gives up and closes */
}

static void r_close_delimited(struct server *s, int fd, uint64_t id)
{
    (void)s;
    (void)id;
    send_str(fd, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nno length, ends at close");
}

static void r_continue(struct server *s, int fd, uint64_t id)
{
    send_str(fd, "HTTP/1.1 100 Continue\r\n\r\n");
    r_count(s, fd, id);
}

static void r_big_cl(struct server *s, int fd, uint64_t id)
{
    (void)s;
    (void)id;
    send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1025\r\n\r\n");
    char pad[1025];
    memset(pad, ' ', sizeof pad);
    send_all(fd, pad, sizeof pad);
}

static void r_big_chunked(struct server *s, int fd, uint64_t id)
{
    (void)s;
    (void)id;
    char pad[600];
    memset(pad, 'x', sizeof pad);
    send_str(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 2; i++) {
        send_str(fd, "258\r\n");
        send_all(fd, pad, sizeof pad);
        send_str(fd, "\r\n");
    }
    send_str(fd, "0\r\n\r\n");
}

static void r_big_close(struct server *s, int fd, uint64_t id)
{
    (void)s;
    (void)id;
    char pad[2000];
    memset(pad, 'y', sizeof pad);
    send_str(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
    send_all(fd, pad, sizeof pad);
}

static void r_wrong_id(struct server *s, int fd, uint64_t id)
{
    (void)s;
    char body[128];
    snprintf(body, sizeof body, "{\"result\":1,\"error\":null,\"id\":%llu}",
             (unsigned long long)id + 1);
    reply_json(fd, 200, "OK", body, 1);
}

static void r_bad_chunk(struct server *s, int fd, uint64_t id)
{
    (void)s;
    (void)id;
    send_str(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
}

/* a getblock HASH 0 reply: an 8 MiB hex string, chunked in 64 KiB pieces */
#define BIG_HEX ((size_t)8 << 20)
static void r_getblock(struct server *s, int fd, uint64_t id)
{
    (void)s;
    char *body = malloc(BIG_HEX + 128);
    int pre = sprintf(body, "{\"result\":\"");
    for (size_t i = 0; i < BIG_HEX; i++)
        body[pre + i] = "0123456789abcdef"[(i * 13) & 15];
    size_t n = (size_t)pre + BIG_HEX;
    n += (size_t)sprintf(body + n, "\",\"error\":null,\"id\":%llu}", (unsigned long long)id);
    send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n");
    for (size_t off = 0; off < n; off += 65536) {
        size_t len = n - off < 65536 ? n - off : 65536;
        sendf(fd, "%zx\r\n", len);
        send_all(fd, body + off, len);
        send_str(fd, "\r\n");
    }
    send_str(fd, "0\r\n\r\n");
    free(body);
}

/* ------------------------------------------------------------ tests -- */

static void test_parse_url(void **state)
{
    (void)state;
    struct cs_http_url u;
    assert_int_equal(cs_http_parse_url("http://127.0.0.1:8332", &u), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 8332);
    assert_string_equal(u.path, "/");
    assert_string_equal(u.display, "http://127.0.0.1:8332/");
    assert_int_equal(u.has_userinfo, 0);

    assert_int_equal(cs_http_parse_url("HTTP://user:p%40ss@[::1]:18443/wallet/w1?x=1#frag", &u), 0);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 18443);
    assert_string_equal(u.path, "/wallet/w1?x=1");
    assert_string_equal(u.user, "user");
    assert_string_equal(u.password, "p@ss");
    assert_string_equal(u.display, "http://[::1]:18443/wallet/w1?x=1"); /* no credentials */

    assert_int_equal(cs_http_parse_url("http://localhost", &u), 0);
    assert_int_equal(u.port, 80);
    assert_string_equal(u.display, "http://localhost:80/");

    assert_int_equal(cs_http_parse_url("https://rpc:secret@node.example:8443/x", &u), 0);
    assert_int_equal(u.tls, 1);
    assert_int_equal(u.port, 8443);
    assert_string_equal(u.display, "https://node.example:8443/x");
    assert_int_equal(cs_http_parse_url("HTTPS://node.example", &u), 0);
    assert_int_equal(u.port, 443);
    assert_string_equal(u.display, "https://node.example:443/");

    static const char *bad[] = {"ftp://x/",        "http://",        "http://:80/",  "http://h:0/",
                                "http://h:65536/", "http://h:8a/",   "http://[::1/", "http://h/a b",
                                "http://h:/",      "http://u:%4@h/", "http://h o/",  NULL};
    for (int i = 0; bad[i]; i++)
        if (cs_http_parse_url(bad[i], &u) != CS_EUSAGE) fail_msg("accepted %s", bad[i]);
    assert_int_equal(cs_http_parse_url("ftp://u:pw@x/", &u), CS_EUSAGE);
    assert_string_equal(cs_errmsg(), "URL: must start with http:// or https://");
}

static void test_post_content_length_and_auth(void **state)
{
    (void)state;
    struct server s;
    assert_int_equal(start_server(&s, r_count, 0, 0), 0);
    const char *body = "{\"jsonrpc\":\"1.0\",\"id\":7,\"method\":\"getblockcount\",\"params\":[]}";
    int status = 0;
    char *resp;
    size_t len;
    assert_int_equal(cs_http_post(s.url, "user", "pass", body, strlen(body), 2000, 1 << 20, &status,
                                  &resp, &len),
                     0);
    assert_int_equal(status, 200);
    assert_string_equal(resp, "{\"result\":871234,\"error\":null,\"id\":7}\n");
    assert_int_equal(len, strlen(resp));
    free(resp);
    pthread_mutex_lock(&s.mu);
    s.last_request[s.last_request_len] = 0;
    assert_non_null(strstr(s.last_request, "POST / HTTP/1.1\r\n"));
    assert_non_null(strstr(s.last_request, "\r\nAuthorization: Basic dXNlcjpwYXNz\r\n"));
    assert_non_null(strstr(s.last_request, "\r\nContent-Type: application/json\r\n"));
    assert_non_null(strstr(s.last_request, "\r\nConnection: close\r\n"));
    char hostline[64];
    snprintf(hostline, sizeof hostline, "\r\nHost: 127.0.0.1:%d\r\n", s.port);
    assert_non_null(strstr(s.last_request, hostline));
    char clline[64];
    snprintf(clline, sizeof clline, "\r\nContent-Length: %zu\r\n", strlen(body));
    assert_non_null(strstr(s.last_request, clline));
    assert_string_equal(strstr(s.last_request, "\r\n\r\n") + 4, body);
    pthread_mutex_unlock(&s.mu);

    /* credentials from the URL's userinfo, none otherwise */
    char url[128];
    snprintf(url, sizeof url, "http://u%%20s:p%%25@127.0.0.1:%d/", s.port);
    assert_int_equal(cs_http_post(url, NULL, NULL, "{}", 2, 2000, 1 << 20, &status, &resp, &len),
                     0);
    free(resp);
    pthread_mutex_lock(&s.mu);
    s.last_request[s.last_request_len] = 0;
    assert_non_null(strstr(s.last_request, "\r\nAuthorization: Basic dSBzOnAl\r\n"));
    pthread_mutex_unlock(&s.mu);
    assert_int_equal(cs_http_post(s.url, NULL, NULL, "{}", 2, 2000, 1 << 20, &status, &resp, &len),
                     0);
    free(resp);
    pthread_mutex_lock(&s.mu);
    s.last_request[s.last_request_len] = 0;
    assert_null(strstr(s.last_request, "Authorization"));
    assert_int_equal(s.connections, 3);
    pthread_mutex_unlock(&s.mu);
    stop_server(&s);
}

static void test_post_framings(void **state)
{
    (void)state;
    struct server s;
    int status;
    char *resp;
    size_t len;
    const char *req =
        "{\"jsonrpc\":\"1.0\",\"id\":3,\"method\":\"getblockchaininfo\",\"params\":[]}";

    assert_int_equal(start_server(&s, r_chunked, 0, 0), 0);
    assert_int_equal(
        cs_http_post(s.url, NULL, NULL, req, strlen(req), 2000, 1 << 20, &status, &resp, &len), 0);
    assert_string_equal(resp, "{\"result\":{\"chain\":\"main\",\"blocks\":871234,\"pruned\":false},"
                              "\"error\":null,\"id\":3}");
    free(resp);
    stop_server(&s);

    assert_int_equal(start_server(&s, r_close_delimited, 1, 0), 0);
    assert_int_equal(
        cs_http_post(s.url, NULL, NULL, req, strlen(req), 2000, 1 << 20, &status, &resp, &len), 0);
    assert_int_equal(status, 200);
    assert_string_equal(resp, "no length, ends at close");
    free(resp);
    stop_server(&s);

    assert_int_equal(start_server(&s, r_continue, 0, 0), 0);
    assert_int_equal(
        cs_http_post(s.url, NULL, NULL, req, strlen(req), 2000, 1 << 20, &status, &resp, &len), 0);
    assert_int_equal(status, 200);
    assert_string_equal(resp, "{\"result\":871234,\"error\":null,\"id\":3}\n");
    free(resp);
    stop_server(&s);

    /* cs_http_post returns non-2xx bodies as they are */
    assert_int_equal(start_server(&s, r_500, 0, 0), 0);
    assert_int_equal(
        cs_http_post(s.url, NULL, NULL, req, strlen(req), 2000, 1 << 20, &status, &resp, &len), 0);
    assert_int_equal(status, 500);
    assert_non_null(strstr(resp, "Block not found"));
    free(resp);
    stop_server(&s);
}

struct fail_case {
    respond_fn fn;
    int close_after;
    size_t max;
    int rc;
    const char *msg; /* after "<url>: " */
};

static void test_post_failures(void **state)
{
    (void)state;
    static const struct fail_case cases[] = {
        {r_garbage, 1, 1 << 20, CS_ERPC, "malformed status line \"SSH-2.0-OpenSSH_9.2\""},
        {r_truncated, 1, 1 << 20, CS_ENET, "connection closed after 10 of 100 body bytes"},
        {r_truncated_headers, 1, 1 << 20, CS_ENET, "connection closed in the response headers"},
        {r_big_cl, 1, 1024, CS_ERANGE, "response exceeds 1 KiB"},
        {r_big_chunked, 1, 1024, CS_ERANGE, "response exceeds 1 KiB"},
        {r_big_close, 1, 1024, CS_ERANGE, "response exceeds 1 KiB"},
        {r_bad_chunk, 1, 1 << 20, CS_ERPC,
         "malformed chunked body (Illegal or missing hexadecimal sequence in chunked-encoding)"},
        {r_big_cl, 1, (size_t)64 << 20, 0, NULL}, /* fits a larger cap */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct server s;
        assert_int_equal(start_server(&s, cases[k].fn, cases[k].close_after, 0), 0);
        int status = 0;
        char *resp = (char *)1;
        size_t len;
        int rc = cs_http_post(s.url, NULL, NULL, "[]", 2, 2000, cases[k].max, &status, &resp, &len);
        if (rc != cases[k].rc) fail_msg("case %zu: rc %d (%s)", k, rc, cs_errmsg());
        if (rc) {
            char want[256];
            snprintf(want, sizeof want, "%s: %s", s.url, cases[k].msg);
            if (strcmp(cs_errmsg(), want))
                fail_msg("case %zu: \"%s\", want \"%s\"", k, cs_errmsg(), want);
            assert_null(resp);
        } else {
            assert_int_equal(len, 1025);
            free(resp);
        }
        stop_server(&s);
    }
}

static void test_refused_and_timeout(void **state)
{
    (void)state;
    /* a port nobody listens on: bind, read the port, close */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
    close(fd);
    char url[64], want[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
    int status;
    char *resp;
    size_t len;
    assert_int_equal(cs_http_post(url, NULL, NULL, "[]", 2, 2000, 1 << 20, &status, &resp, &len),
                     CS_ENET);
    snprintf(want, sizeof want, "http://127.0.0.1:%d/: connection refused", ntohs(a.sin_port));
    assert_string_equal(cs_errmsg(), want);

    struct cs_rpc_client c;
    struct cs_json_doc doc;
    const struct cs_json *result;
    assert_int_equal(cs_rpc_client_init(&c, url, "u", "p"), 0);
    c.retry_base_ms = 5; /* a refused connection is retried, max_tries (5) attempts in all */
    assert_int_equal(cs_jsonrpc_call(&c, "getblockcount", NULL, &doc, &result), CS_ENET);
    snprintf(want, sizeof want, "getblockcount: http://127.0.0.1:%d/: connection refused (5 tries)",
             ntohs(a.sin_port));
    assert_string_equal(cs_errmsg(), want);
    assert_int_equal(c.requests, 5);
    assert_int_equal(c.retries, 4);
    assert_null(result);
    cs_rpc_client_close(&c);

    /* a server that accepts and never answers: the deadline is honoured */
    struct server s;
    assert_int_equal(start_server(&s, r_silent, 1, 0), 0);
    int64_t t0 = now_ms();
    assert_int_equal(cs_http_post(s.url, NULL, NULL, "[]", 2, 300, 1 << 20, &status, &resp, &len),
                     CS_ENET);
    int64_t elapsed = now_ms() - t0;
    snprintf(want, sizeof want, "%s: timed out after 300 ms waiting for the response", s.url);
    assert_string_equal(cs_errmsg(), want);
    print_message("silent server: gave up after %lld ms (timeout 300 ms)\n", (long long)elapsed);
    assert_true(elapsed >= 295);
    assert_true(elapsed < 1300);
    stop_server(&s);
}

static void test_jsonrpc_keepalive(void **state)
{
    (void)state;
    struct server s;
    assert_int_equal(start_server(&s, r_count, 0, 0), 0);
    struct cs_rpc_client c;
    assert_int_equal(cs_rpc_client_init(&c, s.url, "user", "pass"), 0);
    c.timeout_ms = 2000;
    for (int i = 1; i <= 5; i++) {
        struct cs_json_doc doc;
        const struct cs_json *result;
        assert_int_equal(cs_jsonrpc_call(&c, "getblockcount", NULL, &doc, &result), 0);
        uint64_t height;
        assert_int_equal(cs_json_get_u64(result, &height), 0);
        assert_int_equal(height, 871234);
        cs_json_doc_free(&doc);
        pthread_mutex_lock(&s.mu);
        s.last_request[s.last_request_len] = 0;
        char body[128];
        snprintf(
            body, sizeof body,
            "\r\n\r\n{\"jsonrpc\":\"1.0\",\"id\":%d,\"method\":\"getblockcount\",\"params\":[]}",
            i);
        assert_non_null(strstr(s.last_request, body));
        assert_null(strstr(s.last_request, "\r\nConnection: close\r\n")); /* HTTP/1.1 persistent */
        pthread_mutex_unlock(&s.mu);
    }
    /* params passed through verbatim */
    struct cs_json_doc doc;
    const struct cs_json *result;
    assert_int_equal(cs_jsonrpc_call(&c, "getblockhash", " [0, \"x\"] ", &doc, &result), 0);
    cs_json_doc_free(&doc);
    pthread_mutex_lock(&s.mu);
    s.last_request[s.last_request_len] = 0;
    assert_non_null(strstr(s.last_request, "\"method\":\"getblockhash\",\"params\":[0, \"x\"]}"));
    assert_int_equal(s.connections, 1); /* one connection for six calls */
    assert_int_equal(s.requests, 6);
    pthread_mutex_unlock(&s.mu);
    assert_int_equal(c.connects, 1);
    /* bad params never reach the wire */
    assert_int_equal(cs_jsonrpc_call(&c, "getblockhash", "0", &doc, &result), CS_EUSAGE);
    assert_int_equal(cs_jsonrpc_call(&c, "getblockhash", "[0", &doc, &result), CS_EUSAGE);
    assert_non_null(strstr(cs_errmsg(), "getblockhash: params: "));
    assert_int_equal(s.requests, 6);
    cs_rpc_client_close(&c);
    cs_rpc_client_close(&c);
    stop_server(&s);

    /* the server closes after every reply without saying so: the stale kept
     * connection is detected and each call still succeeds */
    assert_int_equal(start_server(&s, r_count, 1, 0), 0);
    assert_int_equal(cs_rpc_client_init(&c, s.url, NULL, NULL), 0);
    c.timeout_ms = 2000;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cs_jsonrpc_call(&c, "getblockcount", "[]", &doc, &result), 0);
        cs_json_doc_free(&doc);
        usleep(20000); /* let the server's close arrive */
    }
    assert_int_equal(c.connects, 3);
    cs_rpc_client_close(&c);
    stop_server(&s);

    /* keep_alive off: a connection per call */
    assert_int_equal(start_server(&s, r_chunked, 0, 0), 0);
    assert_int_equal(cs_rpc_client_init(&c, s.url, NULL, NULL), 0);
    c.keep_alive = 0;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(cs_jsonrpc_call(&c, "getblockchaininfo", NULL, &doc, &result), 0);
        const char *chain;
        assert_int_equal(cs_json_obj_str(result, "chain", &chain, NULL), 0);
        assert_string_equal(chain, "main");
        cs_json_doc_free(&doc);
    }
    assert_int_equal(c.connects, 2);
    cs_rpc_client_close(&c);
    stop_server(&s);
}

struct rpc_fail {
    respond_fn fn;
    int close_after;
    int rc;
    const char *msg; /* %s: url */
};

static void test_jsonrpc_errors(void **state)
{
    (void)state;
    static const struct rpc_fail cases[] = {
        {r_401, 0, CS_ERPC,
         "getblock: %sHTTP 401 Unauthorized (wrong rpcuser/rpcpassword or a stale cookie file)"},
        {r_500, 0, CS_ERPC, "getblock: Block not found (code -5)"},
        {r_404_method, 0, CS_ERPC, "getblock: Method not found (code -32601)"},
        {r_502_html, 1, CS_ERPC,
         "getblock: %sHTTP 502 Bad Gateway: \"<html>bad gateway</html>\" (5 tries)"},
        {r_garbage, 1, CS_ERPC, "getblock: %smalformed status line \"SSH-2.0-OpenSSH_9.2\""},
        {r_truncated, 1, CS_ENET, "getblock: %sconnection closed after 10 of 100 body bytes"},
        {r_wrong_id, 0, CS_ERPC, "getblock: reply id 2 does not match request id 1"},
        {r_close_delimited, 1, CS_ERPC,
         "getblock: reply is not valid JSON: getblock reply: byte 0: "
         "invalid literal (expected true, false or null)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct server s;
        assert_int_equal(start_server(&s, cases[k].fn, cases[k].close_after, 0), 0);
        struct cs_rpc_client c;
        assert_int_equal(cs_rpc_client_init(&c, s.url, "user", "wrong"), 0);
        c.timeout_ms = 2000;
        c.retry_base_ms = 1;
        struct cs_json_doc doc;
        const struct cs_json *result = (const struct cs_json *)1;
        int rc = cs_jsonrpc_call(&c, "getblock", "[\"00\", 0]", &doc, &result);
        char urlp[128], want[512];
        snprintf(urlp, sizeof urlp, "%s: ", s.url);
        snprintf(want, sizeof want, cases[k].msg, urlp);
        if (rc != cases[k].rc) fail_msg("case %zu: rc %d (%s)", k, rc, cs_errmsg());
        if (strcmp(cs_errmsg(), want))
            fail_msg("case %zu: \"%s\", want \"%s\"", k, cs_errmsg(), want);
        assert_null(result);
        assert_null(doc.root);
        cs_json_doc_free(&doc);
        cs_rpc_client_close(&c);
        stop_server(&s);
    }

    /* silent server through the RPC client */
    struct server s;
    assert_int_equal(start_server(&s, r_silent, 1, 0), 0);
    struct cs_rpc_client c;
    assert_int_equal(cs_rpc_client_init(&c, s.url, NULL, NULL), 0);
    c.timeout_ms = 250;
    struct cs_json_doc doc;
    const struct cs_json *result;
    int64_t t0 = now_ms();
    assert_int_equal(cs_jsonrpc_call(&c, "getblockcount", NULL, &doc, &result), CS_ENET);
    int64_t elapsed = now_ms() - t0;
    assert_true(elapsed >= 245 && elapsed < 1250);
    assert_non_null(strstr(cs_errmsg(), "timed out after 250 ms waiting for the response"));
    cs_rpc_client_close(&c);
    stop_server(&s);
}

static void test_big_reply(void **state)
{
    (void)state;
    struct server s;
    assert_int_equal(start_server(&s, r_getblock, 0, 0), 0);
    struct cs_rpc_client c;
    assert_int_equal(cs_rpc_client_init(&c, s.url, "user", "pass"), 0);
    c.timeout_ms = 20000;
    struct cs_json_doc doc;
    const struct cs_json *result;
    int64_t t0 = now_ms();
    assert_int_equal(cs_jsonrpc_call(&c, "getblock", "[\"00\",0]", &doc, &result), 0);
    int64_t elapsed = now_ms() - t0;
    assert_int_equal(result->type, CS_JSON_STRING);
    assert_int_equal(result->len, BIG_HEX);
    assert_int_equal(result->u.str[1], "0123456789abcdef"[13]);
    assert_int_equal(result->u.str[BIG_HEX - 1], "0123456789abcdef"[((BIG_HEX - 1) * 13) & 15]);
    print_message("getblock reply of %zu bytes (chunked) in %lld ms\n", BIG_HEX + 40,
                  (long long)elapsed);
    cs_json_doc_free(&doc);
    /* the cap applies to RPC replies too */
    c.max_response_bytes = (size_t)4 << 20;
    assert_int_equal(cs_jsonrpc_call(&c, "getblock", "[\"00\",0]", &doc, &result), CS_ERANGE);
    char want[256];
    snprintf(want, sizeof want, "getblock: %s: response exceeds 4 MiB", s.url);
    assert_string_equal(cs_errmsg(), want);
    cs_rpc_client_close(&c);
    stop_server(&s);
}

static void test_ipv6(void **state)
{
    (void)state;
    struct server s;
    if (start_server(&s, r_count, 0, 1)) {
        print_message("skip: no IPv6 loopback on this machine\n");
        skip();
    }
    struct cs_rpc_client c;
    assert_int_equal(cs_rpc_client_init(&c, s.url, NULL, NULL), 0);
    c.timeout_ms = 2000;
    struct cs_json_doc doc;
    const struct cs_json *result;
    assert_int_equal(cs_jsonrpc_call(&c, "getblockcount", NULL, &doc, &result), 0);
    uint64_t h;
    assert_int_equal(cs_json_get_u64(result, &h), 0);
    assert_int_equal(h, 871234);
    cs_json_doc_free(&doc);
    pthread_mutex_lock(&s.mu);
    s.last_request[s.last_request_len] = 0;
    char hostline[64];
    snprintf(hostline, sizeof hostline, "\r\nHost: [::1]:%d\r\n", s.port);
    assert_non_null(strstr(s.last_request, hostline));
    pthread_mutex_unlock(&s.mu);
    cs_rpc_client_close(&c);
    stop_server(&s);
}

static void test_cookie(void **state)
{
    (void)state;
    char path[] = "/tmp/cs_cookie_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "__cookie__:abc123\n", 18), 18);
    close(fd);
    char *user, *password;
    assert_int_equal(cs_http_read_cookie(path, &user, &password), 0);
    assert_string_equal(user, "__cookie__");
    assert_string_equal(password, "abc123");
    free(user);
    free(password);

    /* the client sends it as Basic auth */
    struct server s;
    assert_int_equal(start_server(&s, r_count, 0, 0), 0);
    struct cs_rpc_client c;
    assert_int_equal(cs_rpc_client_init_cookie(&c, s.url, path), 0);
    struct cs_json_doc doc;
    const struct cs_json *result;
    assert_int_equal(cs_jsonrpc_call(&c, "getblockcount", NULL, &doc, &result), 0);
    cs_json_doc_free(&doc);
    pthread_mutex_lock(&s.mu);
    s.last_request[s.last_request_len] = 0;
    assert_non_null(
        strstr(s.last_request, "\r\nAuthorization: Basic X19jb29raWVfXzphYmMxMjM=\r\n"));
    pthread_mutex_unlock(&s.mu);
    cs_rpc_client_close(&c);
    stop_server(&s);

    FILE *f = fopen(path, "w");
    fputs("no colon here\n", f);
    fclose(f);
    assert_int_equal(cs_http_read_cookie(path, &user, &password), CS_EFORMAT);
    assert_null(user);
    unlink(path);
    assert_int_equal(cs_http_read_cookie(path, &user, &password), CS_EIO);
    assert_non_null(strstr(cs_errmsg(), "cannot open cookie file: no such file or directory"));
}

/* 429 on the first two requests, then the count */
static void r_429_twice(struct server *s, int fd, uint64_t id)
{
    pthread_mutex_lock(&s->mu);
    int n = s->requests;
    pthread_mutex_unlock(&s->mu);
    if (n <= 2)
        send_str(
            fd,
            "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 4\r\n\r\nslow");
    else
        r_count(s, fd, id);
}

static void r_503(struct server *s, int fd, uint64_t id)
{
    (void)s;
    (void)id;
    send_str(fd, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy");
}

/* a body that never ends: 64 KiB pieces until the client hangs up */
static void r_endless(struct server *s, int fd, uint64_t id)
{
    (void)s;
    (void)id;
    static char pad[65536];
    memset(pad, 'z', sizeof pad);
    send_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n");
    for (int i = 0; i < 4096; i++) {
        ssize_t w = send(fd, pad, sizeof pad, MSG_NOSIGNAL);
        if (w <= 0) return;
    }
}

static void test_retries(void **state)
{
    (void)state;
    struct server s;
    assert_int_equal(start_server(&s, r_429_twice, 0, 0), 0);
    struct cs_rpc_client c;
    assert_int_equal(cs_rpc_client_init(&c, s.url, NULL, NULL), 0);
    c.timeout_ms = 2000;
    c.retry_base_ms = 5;
    c.rng = 42;
    struct cs_json_doc doc;
    const struct cs_json *result;
    assert_int_equal(cs_jsonrpc_call(&c, "getblockcount", NULL, &doc, &result), 0);
    uint64_t h;
    assert_int_equal(cs_json_get_u64(result, &h), 0);
    assert_int_equal(h, 871234);
    cs_json_doc_free(&doc);
    pthread_mutex_lock(&s.mu);
    assert_int_equal(s.requests, 3);
    pthread_mutex_unlock(&s.mu);
    assert_int_equal(c.retries, 2);
    assert_int_equal(c.connects, 1); /* 429 keeps the connection */
    cs_rpc_client_close(&c);
    stop_server(&s);

    /* 503 forever: bounded tries, then an error naming method, URL and status */
    assert_int_equal(start_server(&s, r_503, 0, 0), 0);
    assert_int_equal(cs_rpc_client_init(&c, s.url, "user", "secret-pw"), 0);
    c.timeout_ms = 2000;
    c.retry_base_ms = 5;
    c.max_tries = 4;
    assert_int_equal(cs_jsonrpc_call(&c, "getblockhash", "[7]", &doc, &result), CS_ERPC);
    char want[256];
    snprintf(want, sizeof want,
             "getblockhash: %s: HTTP 503 Service Unavailable: \"busy\" (4 tries)", s.url);
    assert_string_equal(cs_errmsg(), want);
    assert_null(strstr(cs_errmsg(), "secret-pw"));
    pthread_mutex_lock(&s.mu);
    assert_int_equal(s.requests, 4);
    pthread_mutex_unlock(&s.mu);
    cs_rpc_client_close(&c);
    stop_server(&s);

    /* a 500 carrying a JSON-RPC error is an answer: exactly one request */
    assert_int_equal(start_server(&s, r_500, 0, 0), 0);
    assert_int_equal(cs_rpc_client_init(&c, s.url, NULL, NULL), 0);
    c.retry_base_ms = 5;
    assert_int_equal(cs_jsonrpc_call(&c, "getblock", "[\"00\",0]", &doc, &result), CS_ERPC);
    assert_string_equal(cs_errmsg(), "getblock: Block not found (code -5)");
    pthread_mutex_lock(&s.mu);
    assert_int_equal(s.requests, 1);
    pthread_mutex_unlock(&s.mu);
    cs_rpc_client_close(&c);
    stop_server(&s);
}

static void test_endless_reply_capped(void **state)
{
    (void)state;
    struct server s;
    assert_int_equal(start_server(&s, r_endless, 1, 0), 0);
    struct cs_rpc_client c;
    assert_int_equal(cs_rpc_client_init(&c, s.url, NULL, NULL), 0);
    c.timeout_ms = 10000;
    size_t cap = (size_t)1 << 20;
    c.max_response_bytes = cap;
    struct cs_json_doc doc;
    const struct cs_json *result;
    assert_int_equal(cs_jsonrpc_call(&c, "getblock", "[\"00\",0]", &doc, &result), CS_ERANGE);
    char want[256];
    snprintf(want, sizeof want, "getblock: %s: response exceeds 1 MiB", s.url);
    assert_string_equal(cs_errmsg(), want);
    print_message("endless reply, cap %zu: peak body capacity %zu\n", cap, c.peak_body_capacity);
    assert_true(c.peak_body_capacity <= cap + 1);
    assert_true(c.peak_body_capacity >= cap / 2); /* it did grow towards the cap */
    cs_rpc_client_close(&c);
    stop_server(&s);
}

/* thread-per-connection server that sleeps 50 ms per request and records
 * how many requests were being handled at once */
struct conc_server {
    int lfd, port;
    char url[96];
    pthread_t thread;
    pthread_mutex_t mu;
    int inflight, max_inflight, requests, connections;
};
struct conc_conn {
    struct conc_server *s;
    int fd;
};

static void *conc_conn_main(void *arg)
{
    struct conc_conn *cc = arg;
    struct conc_server *s = cc->s;
    static _Thread_local char req[1 << 16];
    struct server dummy; /* read_request records into a struct server */
    memset(&dummy, 0, sizeof dummy);
    pthread_mutex_init(&dummy.mu, NULL);
    size_t len;
    while (read_request(&dummy, cc->fd, req, sizeof req, &len)) {
        uint64_t id = request_id(req, len);
        pthread_mutex_lock(&s->mu);
        s->requests++;
        if (++s->inflight > s->max_inflight) s->max_inflight = s->inflight;
        pthread_mutex_unlock(&s->mu);
        usleep(50000);
        pthread_mutex_lock(&s->mu);
        s->inflight--;
        pthread_mutex_unlock(&s->mu);
        char body[128];
        snprintf(body, sizeof body, "{\"result\":%llu,\"error\":null,\"id\":%llu}",
                 (unsigned long long)id * 10, (unsigned long long)id);
        reply_json(cc->fd, 200, "OK", body, 1);
    }
    pthread_mutex_destroy(&dummy.mu);
    close(cc->fd);
    free(cc);
    return NULL;
}

static void *conc_main(void *arg)
{
    struct conc_server *s = arg;
    for (;;) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR) continue;
            return NULL;
        }
        struct timeval tv = {5, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        pthread_mutex_lock(&s->mu);
        s->connections++;
        pthread_mutex_unlock(&s->mu);
        struct conc_conn *cc = malloc(sizeof *cc);
        cc->s = s;
        cc->fd = fd;
        pthread_t t;
        pthread_create(&t, NULL, conc_conn_main, cc);
        pthread_detach(t);
    }
}

static void test_window(void **state)
{
    (void)state;
    struct conc_server s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.mu, NULL);
    s.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof a;
    assert_int_equal(bind(s.lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s.lfd, 64), 0);
    assert_int_equal(getsockname(s.lfd, (struct sockaddr *)&a, &sl), 0);
    snprintf(s.url, sizeof s.url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
    pthread_create(&s.thread, NULL, conc_main, &s);

    enum { N = 64 };
    const char *methods[N], *params[N];
    char pbuf[N][16];
    struct cs_json_doc docs[N];
    const struct cs_json *results[N];
    for (int i = 0; i < N; i++) {
        methods[i] = "getblockhash";
        snprintf(pbuf[i], sizeof pbuf[i], "[%d]", i);
        params[i] = pbuf[i];
    }
    struct cs_rpc_client c;
    assert_int_equal(cs_rpc_client_init(&c, s.url, NULL, NULL), 0);
    c.timeout_ms = 5000;
    int64_t t0 = now_ms();
    assert_int_equal(cs_jsonrpc_calls(&c, N, methods, params, docs, results, 16), 0);
    int64_t t16 = now_ms() - t0;
    for (int i = 0; i < N; i++) {
        uint64_t v;
        assert_int_equal(cs_json_get_u64(results[i], &v), 0);
        assert_int_equal(v, (uint64_t)(i + 1) * 10); /* ids 1..64 in index order */
        cs_json_doc_free(&docs[i]);
    }
    pthread_mutex_lock(&s.mu);
    int max16 = s.max_inflight, conns = s.connections;
    s.max_inflight = 0;
    pthread_mutex_unlock(&s.mu);
    assert_int_equal(max16, 16);
    assert_int_equal(conns, 16);
    assert_int_equal(c.connects, 16);
    /* the same client again: connections are kept, none opened */
    t0 = now_ms();
    assert_int_equal(cs_jsonrpc_calls(&c, 16, methods, params, docs, results, 4), 0);
    int64_t t4 = now_ms() - t0;
    for (int i = 0; i < 16; i++)
        cs_json_doc_free(&docs[i]);
    pthread_mutex_lock(&s.mu);
    assert_int_equal(s.max_inflight, 4);
    assert_int_equal(s.connections, 16);
    assert_int_equal(s.requests, N + 16);
    pthread_mutex_unlock(&s.mu);
    print_message("window 16: 64 calls in %lld ms; window 4: 16 calls in %lld ms (50 ms each)\n",
                  (long long)t16, (long long)t4);
    cs_rpc_client_close(&c);
    shutdown(s.lfd, SHUT_RDWR);
    pthread_join(s.thread, NULL);
    close(s.lfd);
    usleep(100000); /* let the connection threads see EOF */
}

/* batch: replies in reverse order; batch_mode 1 drops the last reply, 2
 * repeats the first, 3 answers the second call with an error */
static int batch_mode;
static void r_batch(struct server *s, int fd, uint64_t id)
{
    (void)id;
    pthread_mutex_lock(&s->mu);
    const char *body = memmem(s->last_request, s->last_request_len, "\r\n\r\n", 4) + 4;
    struct cs_json_doc doc;
    int rc =
        cs_json_parse(&doc, body, s->last_request_len - (size_t)(body - s->last_request), NULL);
    pthread_mutex_unlock(&s->mu);
    if (rc || doc.root->type != CS_JSON_ARRAY) {
        reply_json(fd, 400, "Bad Request", "{}", 1);
        return;
    }
    char out[4096];
    size_t n = 0, items = doc.root->len;
    n += (size_t)snprintf(out + n, sizeof out - n, "[");
    int first = 1;
    for (size_t k = items; k-- > 0;) {
        uint64_t rid;
        if (cs_json_obj_u64(&doc.root->u.items[k], "id", &rid)) rid = 0;
        if (batch_mode == 1 && k == items - 1) continue;
        for (int rep = 0; rep < (batch_mode == 2 && k == 0 ? 2 : 1); rep++) {
            if (batch_mode == 3 && k == 1)
                n += (size_t)snprintf(out + n, sizeof out - n,
                                      "%s{\"result\":null,\"error\":{\"code\":-8,\"message\":"
                                      "\"Block height out of range\"},\"id\":%llu}",
                                      first ? "" : ",", (unsigned long long)rid);
            else
                n += (size_t)snprintf(
                    out + n, sizeof out - n, "%s{\"result\":%llu,\"error\":null,\"id\":%llu}",
                    first ? "" : ",", (unsigned long long)rid * 100, (unsigned long long)rid);
            first = 0;
        }
    }
    n += (size_t)snprintf(out + n, sizeof out - n, "]");
    cs_json_doc_free(&doc);
    reply_json(fd, 200, "OK", out, 1);
}

static void test_batch(void **state)
{
    (void)state;
    struct server s;
    assert_int_equal(start_server(&s, r_batch, 0, 0), 0);
    struct cs_rpc_client c;
    assert_int_equal(cs_rpc_client_init(&c, s.url, NULL, NULL), 0);
    c.timeout_ms = 2000;
    const char *methods[4] = {"getblockhash", "getblockhash", "getblockcount", "getblockhash"};
    const char *params[4] = {"[0]", "[1]", NULL, "[3]"};
    struct cs_json_doc doc;
    const struct cs_json *results[4];
    batch_mode = 0;
    assert_int_equal(cs_jsonrpc_batch(&c, 4, methods, params, &doc, results), 0);
    for (int i = 0; i < 4; i++) {
        uint64_t v;
        assert_int_equal(cs_json_get_u64(results[i], &v), 0);
        assert_int_equal(v, (uint64_t)(i + 1) * 100); /* ids 1..4, replies reversed */
    }
    cs_json_doc_free(&doc);
    pthread_mutex_lock(&s.mu);
    assert_int_equal(s.requests, 1); /* one POST */
    pthread_mutex_unlock(&s.mu);
    batch_mode = 1; /* ids 5..8: the reply for the last call (id 8) is missing */
    assert_int_equal(cs_jsonrpc_batch(&c, 4, methods, params, &doc, results), CS_ERPC);
    assert_string_equal(cs_errmsg(), "getblockhash: no reply in the batch (id 8)");
    assert_null(doc.root);
    assert_null(results[0]);
    batch_mode = 2; /* ids 9..12: the first one twice */
    assert_int_equal(cs_jsonrpc_batch(&c, 4, methods, params, &doc, results), CS_ERPC);
    assert_string_equal(cs_errmsg(), "getblockhash: duplicate reply id 9 in the batch");
    batch_mode = 3; /* ids 13..16: the second call fails */
    assert_int_equal(cs_jsonrpc_batch(&c, 4, methods, params, &doc, results), CS_ERPC);
    assert_string_equal(cs_errmsg(), "getblockhash: Block height out of range (code -8)");
    batch_mode = 1;
    const char *m3[3] = {"getblockhash", "getblockhash", "getblockcount"};
    assert_int_equal(cs_jsonrpc_batch(&c, 3, m3, params, &doc, results), CS_ERPC);
    assert_string_equal(cs_errmsg(), "getblockcount: no reply in the batch (id 19)");
    cs_rpc_client_close(&c);
    stop_server(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_url),
        cmocka_unit_test(test_post_content_length_and_auth),
        cmocka_unit_test(test_post_framings),
        cmocka_unit_test(test_post_failures),
        cmocka_unit_test(test_refused_and_timeout),
        cmocka_unit_test(test_jsonrpc_keepalive),
        cmocka_unit_test(test_jsonrpc_errors),
        cmocka_unit_test(test_big_reply),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_cookie),
        cmocka_unit_test(test_retries),
        cmocka_unit_test(test_endless_reply_capped),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
