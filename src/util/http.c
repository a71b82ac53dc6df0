/* http.c — HTTP/HTTPS client on libcurl (one easy handle per call in flight,
 * one multi handle per client holding the connection cache) and the JSON-RPC
 * 1.0 caller with a bounded window of calls in flight and retries.
 *
 * Bodies go into a buffer that grows geometrically but is clamped to cap + 1
 * bytes, so an endless reply peaks near the cap instead of at twice it. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "util/http.h"

#define DEFAULT_TIMEOUT_MS 60000
#define DEFAULT_MAX_RESPONSE ((size_t)256 << 20)
#define MAX_RESPONSE_LIMIT ((size_t)1 << 40)
#define COOKIE_MAX 4096

/* ------------------------------------------------------------- URL -- */

static int hexdigit(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into out (cap bytes incl. NUL). */
static int pct_decode(char *out, size_t cap, const char *s, size_t n, const char *url,
                      const char *what)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n) /* fewer than 2 bytes left */
                return cs_error(CS_EUSAGE, "%s: bad %%-escape in the %s", url, what);
            int a = hexdigit((unsigned char)s[i + 1]), b = hexdigit((unsigned char)s[i + 2]);
            if (a < 0 || b < 0)
                return cs_error(CS_EUSAGE, "%s: bad %%-escape in the %s", url, what);
            c = a << 4 | b;
            i += 2;
        }
        if (k + 1 >= cap)
            return cs_error(CS_EUSAGE, "%s: %s longer than %zu bytes", url, what, cap - 1);
        out[k++] = (char)c;
    }
    out[k] = 0;
    return 0;
}

int cs_http_parse_url(const char *url, struct cs_http_url *out)
{
    memset(out, 0, sizeof *out);
    if (!url) return cs_error(CS_EUSAGE, "no URL given");
    const char *shown = "URL"; /* never echo a URL that may hold a password */
    if (!strncasecmp(url, "https://", 8))
        out->tls = 1;
    else if (strncasecmp(url, "http://", 7))
        return cs_error(CS_EUSAGE, "%s: must start with http:// or https://", shown);
    const char *auth = url + (out->tls ? 8 : 7);
    size_t alen = strcspn(auth, "/?#");
    const char *rest = auth + alen;
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (auth[i] == '@') at = auth + i;
    const char *host = auth;
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        size_t ulen = colon ? (size_t)(colon - auth) : (size_t)(at - auth);
        int rc = pct_decode(out->user, sizeof out->user, auth, ulen, shown, "user name");
        if (rc) return rc;
        if (colon) {
            rc = pct_decode(out->password, sizeof out->password, colon + 1,
                            (size_t)(at - colon - 1), shown, "password");
            if (rc) return rc;
        }
        out->has_userinfo = 1;
        host = at + 1;
    }
    size_t hlen = (size_t)(rest - host);
    const char *port = NULL;
    size_t plen = 0;
    if (hlen && host[0] == '[') {
        const char *close = memchr(host, ']', hlen);
        if (!close) return cs_error(CS_EUSAGE, "%s: missing ']' after IPv6 address", shown);
        size_t n = (size_t)(close - host - 1);
        if (n == 0 || n >= sizeof out->host)
            return cs_error(CS_EUSAGE, "%s: bad IPv6 address length", shown);
        for (size_t i = 0; i < n; i++) {
            char ch = host[1 + i];
            if (!isxdigit((unsigned char)ch) && ch != ':' && ch != '.' && ch != '%')
                return cs_error(CS_EUSAGE, "%s: bad character in IPv6 address", shown);
        }
        memcpy(out->host, host + 1, n);
        const char *after = close + 1;
        if (after < rest) {
            if (*after != ':') return cs_error(CS_EUSAGE, "%s: expected ':' after ']'", shown);
            port = after + 1;
            plen = (size_t)(rest - port);
        }
    } else {
        const char *colon = memchr(host, ':', hlen);
        size_t n = colon ? (size_t)(colon - host) : hlen;
        if (n == 0) return cs_error(CS_EUSAGE, "%s: no host", shown);
        if (n >= sizeof out->host) return cs_error(CS_EUSAGE, "%s: host name too long", shown);
        for (size_t i = 0; i < n; i++) {
            char ch = host[i];
            if (!isalnum((unsigned char)ch) && ch != '-' && ch != '.' && ch != '_')
                return cs_error(CS_EUSAGE, "%s: bad character in host name", shown);
        }
        memcpy(out->host, host, n);
        if (colon) {
            port = colon + 1;
            plen = (size_t)(rest - port);
        }
    }
    unsigned long pv = out->tls ? 443 : 80;
    if (port) {
        if (plen == 0 || plen > 5) return cs_error(CS_EUSAGE, "%s: bad port", shown);
        pv = 0;
        for (size_t i = 0; i < plen; i++) {
            if (!isdigit((unsigned char)port[i])) return cs_error(CS_EUSAGE, "%s: bad port", shown);
            pv = pv * 10 + (unsigned long)(port[i] - '0');
        }
        if (pv == 0 || pv > 65535) return cs_error(CS_EUSAGE, "%s: port out of range", shown);
    }
    out->port = (uint16_t)pv;
    snprintf(out->port_str, sizeof out->port_str, "%lu", pv);
    size_t rlen = strcspn(rest, "#");
    if (rlen == 0) {
        out->path[0] = '/';
        out->path[1] = 0;
    } else {
        if (rlen >= sizeof out->path) return cs_error(CS_EUSAGE, "%s: path too long", shown);
        size_t k = 0;
        if (rest[0] == '?') out->path[k++] = '/';
        if (rlen + k >= sizeof out->path) return cs_error(CS_EUSAGE, "%s: path too long", shown);
        for (size_t i = 0; i < rlen; i++) {
            unsigned char ch = (unsigned char)rest[i];
            if (ch <= 0x20 || ch >= 0x7F)
                return cs_error(CS_EUSAGE, "%s: path holds a space or control character", shown);
            out->path[k++] = (char)ch;
        }
        out->path[k] = 0;
    }
    int v6 = strchr(out->host, ':') != NULL;
    snprintf(out->display, sizeof out->display, "%s://%s%s%s:%u%s", out->tls ? "https" : "http",
             v6 ? "[" : "", out->host, v6 ? "]" : "", (unsigned)out->port, out->path);
    return 0;
}

/* ---------------------------------------------------------- helpers -- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* strerror with a lower-case first letter, for "url: connection refused". */
static const char *err_text(int e, char buf[128])
{
    snprintf(buf, 128, "%s", strerror(e));
    buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}

static const char *human_size(char out[32], size_t n)
{
    if (n >= ((size_t)1 << 20) && n % ((size_t)1 << 20) == 0)
        snprintf(out, 32, "%zu MiB", n >> 20);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(out, 32, "%zu KiB", n >> 10);
    else
        snprintf(out, 32, "%zu bytes", n);
    return out;
}

static void snippet(char out[64], const char *s, size_t n)
{
    size_t k = n > 48 ? 48 : n, i;
    for (i = 0; i < k; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7F) ? s[i] : '?';
    if (n > k) memcpy(out + i, "...", 3), i += 3;
    out[i] = 0;
}

static char *basic_auth(const char *user, const char *password)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char pre[] = "Authorization: Basic ";
    size_t ul = user ? strlen(user) : 0, pl = password ? strlen(password) : 0;
    if (ul > CS_HTTP_CRED_MAX * 4 || pl > CS_HTTP_CRED_MAX * 4) return NULL;
    size_t n = ul + 1 + pl;
    char *raw = cs_xmalloc(n + 1);
    memcpy(raw, user ? user : "", ul);
    raw[ul] = ':';
    memcpy(raw + ul + 1, password ? password : "", pl);
    char *out = cs_xmalloc(sizeof pre + (n + 2) / 3 * 4 + 1);
    size_t k = sizeof pre - 1;
    memcpy(out, pre, k);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)raw[i] << 16;
        if (i + 1 < n) v |= (uint32_t)(unsigned char)raw[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)raw[i + 2];
        out[k++] = b64[v >> 18 & 63];
        out[k++] = b64[v >> 12 & 63];
        out[k++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
        out[k++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[k] = 0;
    memset(raw, 0, n);
    free(raw);
    return out;
}

static void free_secret(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}
static int ensure_curl(void)
{
    pthread_once(&curl_once, curl_init);
    return curl_init_rc == CURLE_OK ? 0 : cs_error(CS_ENOMEM, "libcurl failed to initialise");
}

/* ---------------------------------------------------------- transfer -- */

/* One HTTP exchange (and its retries).  The body buffer never exceeds max + 1. */
struct xfer {
    const struct cs_http_url *url;
    CURL *easy;
    const char *req;
    size_t req_len;
    size_t max;
    size_t *peak; /* statistic to update with the body capacity */
    char *body;
    size_t len, cap;
    int over, nomem, header_over;
    long status;
    char reason[64];
    int saw_status, headers_done;
    size_t header_bytes;
    CURLcode result;
    long os_errno;
    char errbuf[CURL_ERROR_SIZE];
    /* JSON-RPC bookkeeping */
    size_t idx;
    const char *method;
    uint64_t id;
    size_t batch_n;                   /* > 0: a batch of batch_n calls, ids id.. */
    const char *const *batch_methods; /* their methods */
    unsigned tries;
    int state; /* X_IDLE, X_ACTIVE, X_WAIT, X_DONE */
    int64_t not_before;
};
enum { X_IDLE, X_ACTIVE, X_WAIT, X_DONE };

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
    struct xfer *x = ud;
    size_t n = sz * nm;
    if (n > x->max - x->len) {
        x->over = 1;
        return 0; /* CURLE_WRITE_ERROR */
    }
    if (x->len + n + 1 > x->cap) {
        size_t want = x->len + n + 1, limit = x->max + 1;
        size_t nc = x->cap ? x->cap : 16384;
        if (!x->cap) {
            curl_off_t cl = -1;
            if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK &&
                cl > 0 && (uint64_t)cl < limit)
                nc = (size_t)cl + 1; /* a hint only: compressed replies grow past it */
        }
        while (nc < want)
            nc = nc > limit / 2 ? limit : nc * 2;
        if (nc > limit) nc = limit;
        char *nb = realloc(x->body, nc);
        if (!nb) {
            x->nomem = 1;
            return 0;
        }
        x->body = nb;
        x->cap = nc;
        if (x->peak && nc > *x->peak) *x->peak = nc;
    }
    memcpy(x->body + x->len, p, n);
    x->len += n;
    return n;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
    struct xfer *x = ud;
    size_t n = sz * nm;
    if (n >= 5 && !memcmp(p, "HTTP/", 5)) { /* a new (possibly interim) response */
        x->saw_status = 1;
        x->headers_done = 0;
        x->header_bytes = 0;
        x->len = 0; /* nothing of an interim response is body */
        size_t i = 5;
        while (i < n && p[i] != ' ')
            i++;
        i += 1 + 3; /* " NNN" */
        while (i < n && p[i] == ' ')
            i++;
        size_t e = n;
        while (e > i && (p[e - 1] == '\r' || p[e - 1] == '\n'))
            e--;
        if (i > e) i = e;
        snippet(x->reason, p + i, e - i);
    } else if (n <= 2 && (n == 0 || p[0] == '\r' || p[0] == '\n')) {
        x->headers_done = 1;
    }
    x->header_bytes += n;
    if (x->header_bytes > CS_HTTP_HEADER_MAX) {
        x->header_over = 1;
        return 0;
    }
    return n;
}

struct req_opts {
    struct curl_slist *headers;
    int timeout_ms;
    int keep_alive;
    const char *cacert;
};

static int setup_easy(struct xfer *x, const struct req_opts *ro)
{
    CURL *e = x->easy;
    curl_easy_reset(e);
    x->body = NULL;
    x->len = x->cap = 0;
    x->over = x->nomem = x->header_over = 0;
    x->status = 0;
    x->reason[0] = 0;
    x->saw_status = x->headers_done = 0;
    x->header_bytes = 0;
    x->errbuf[0] = 0;
    x->os_errno = 0;
    int bad = 0;
    bad |= curl_easy_setopt(e, CURLOPT_URL, x->url->display) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)ro->timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_POST, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->req) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->req_len) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, ro->headers) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "chainsleuth") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, x) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, x) != CURLE_OK;
    /* a non-HTTP peer (an SSH server on the port) is reported by its first line */
    bad |= curl_easy_setopt(e, CURLOPT_HTTP09_ALLOWED, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L) != CURLE_OK;
    if (!ro->keep_alive) bad |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK;
    if (ro->cacert) bad |= curl_easy_setopt(e, CURLOPT_CAINFO, ro->cacert) != CURLE_OK;
    if (bad) return cs_error(CS_ENOMEM, "%s: libcurl refused an option", x->url->display);
    return 0;
}

/* After a transfer: the transport error of x as a message (without any
 * method prefix), or 0 when an HTTP response arrived.  *retry says whether
 * a new attempt may help. */
static int transport_result(struct xfer *x, int timeout_ms, int *retry)
{
    const char *u = x->url->display;
    char eb[128];
    *retry = 0;
    long oe = 0;
    curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &oe);
    x->os_errno = oe;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
    const char *detail = x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->result);
    switch (x->result) {
    case CURLE_OK:
        if (x->saw_status && !x->headers_done) /* libcurl accepts a reply cut in its headers */
            return cs_error(CS_ENET, "%s: connection closed in the response headers", u);
        if (x->status == 0) { /* HTTP/0.9: no status line at all */
            size_t k = 0;
            while (k < x->len && x->body[k] != '\r' && x->body[k] != '\n')
                k++;
            char sn[64];
            snippet(sn, x->body ? x->body : "", k);
            return cs_error(CS_ERPC, "%s: malformed status line \"%s\"", u, sn);
        }
        return 0;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED: {
        char hs[32];
        if (x->header_over)
            return cs_error(CS_ERPC, "%s: response headers exceed %d KiB", u,
                            CS_HTTP_HEADER_MAX >> 10);
        if (x->nomem) return cs_error(CS_ENOMEM, "%s: out of memory for the response", u);
        return cs_error(CS_ERANGE, "%s: response exceeds %s", u, human_size(hs, x->max));
    }
    case CURLE_OPERATION_TIMEDOUT: {
        curl_off_t ct = 0;
        curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &ct);
        const char *phase = !ct                ? "while connecting"
                            : !x->saw_status   ? "waiting for the response"
                            : !x->headers_done ? "reading the response headers"
                                               : "reading the response body";
        return cs_error(CS_ENET, "%s: timed out after %d ms %s", u, timeout_ms, phase);
    }
    case CURLE_COULDNT_RESOLVE_HOST:
        return cs_error(CS_ENET, "%s: cannot resolve host \"%s\": %s", u, x->url->host, detail);
    case CURLE_COULDNT_RESOLVE_PROXY:
        return cs_error(CS_ENET, "%s: cannot resolve the proxy (http_proxy/https_proxy): %s", u,
                        detail);
    case CURLE_COULDNT_CONNECT:
        *retry = 1;
        return cs_error(CS_ENET, "%s: %s", u, err_text(oe ? (int)oe : ECONNREFUSED, eb));
    case CURLE_GOT_NOTHING:
        *retry = 1;
        return cs_error(CS_ENET, "%s: connection closed without a response", u);
    case CURLE_PARTIAL_FILE: {
        curl_off_t cl = -1;
        curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        if (!x->headers_done)
            return cs_error(CS_ENET, "%s: connection closed in the response headers", u);
        if (cl >= 0)
            return cs_error(CS_ENET, "%s: connection closed after %zu of %lld body bytes", u,
                            x->len, (long long)cl);
        return cs_error(CS_ENET, "%s: connection closed inside the body after %zu bytes", u,
                        x->len);
    }
    case CURLE_RECV_ERROR:
        if (strstr(detail, "hunk"))
            return cs_error(CS_ERPC, "%s: malformed chunked body (%s)", u, detail);
        if (x->saw_status && !x->headers_done)
            return cs_error(CS_ENET, "%s: connection closed in the response headers", u);
        *retry = oe == ECONNRESET || oe == EPIPE;
        return cs_error(CS_ENET, "%s: receive failed: %s", u, oe ? err_text((int)oe, eb) : detail);
    case CURLE_SEND_ERROR:
        *retry = 1;
        return cs_error(CS_ENET, "%s: send failed: %s", u, oe ? err_text((int)oe, eb) : detail);
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
        if (x->saw_status && !x->headers_done && strstr(detail, "eader"))
            return cs_error(CS_ERPC, "%s: malformed header line (%s)", u, detail);
        return cs_error(CS_ERPC, "%s: malformed reply (%s)", u, detail);
    case CURLE_PEER_FAILED_VERIFICATION:
        return cs_error(CS_ENET, "%s: the server's TLS certificate is not trusted: %s", u, detail);
    case CURLE_SSL_CACERT_BADFILE:
        return cs_error(CS_ENET, "%s: cannot use the CA certificate file: %s", u, detail);
    case CURLE_SSL_CONNECT_ERROR:
        return cs_error(CS_ENET, "%s: TLS handshake failed: %s", u, detail);
    case CURLE_OUT_OF_MEMORY:
        return cs_error(CS_ENOMEM, "%s: out of memory", u);
    default:
        return cs_error(CS_ENET, "%s: %s", u, detail);
    }
}

static struct curl_slist *make_headers(const char *auth, int close)
{
    struct curl_slist *h = NULL, *t;
    static const char *fixed[] = {"Content-Type: application/json", "Accept: application/json",
                                  "Expect:", NULL};
    for (int i = 0; fixed[i]; i++) {
        if (!(t = curl_slist_append(h, fixed[i]))) goto fail;
        h = t;
    }
    if (close) {
        if (!(t = curl_slist_append(h, "Connection: close"))) goto fail;
        h = t;
    }
    if (auth) {
        if (!(t = curl_slist_append(h, auth))) goto fail;
        h = t;
    }
    return h;
fail:
    curl_slist_free_all(h);
    return NULL;
}

/* Frees a header list that may hold credentials. */
static void free_headers(struct curl_slist *h)
{
    for (struct curl_slist *p = h; p; p = p->next)
        memset(p->data, 0, strlen(p->data));
    curl_slist_free_all(h);
}

/* ------------------------------------------------------------ POST -- */

int cs_http_post(const char *url, const char *user, const char *password, const char *body,
                 size_t body_len, int timeout_ms, size_t max_response_bytes, int *status,
                 char **resp, size_t *resp_len)
{
    *resp = NULL;
    *resp_len = 0;
    struct cs_http_url u;
    int rc = cs_http_parse_url(url, &u);
    if (rc) return rc;
    if (timeout_ms <= 0) return cs_error(CS_EUSAGE, "%s: timeout must be positive", u.display);
    if (!body && body_len) return cs_error(CS_EUSAGE, "%s: NULL body", u.display);
    if ((rc = ensure_curl())) return rc;
    char *auth = NULL;
    if (user || password)
        auth = basic_auth(user, password);
    else if (u.has_userinfo)
        auth = basic_auth(u.user, u.password);
    if ((user || password || u.has_userinfo) && !auth)
        return cs_error(CS_EUSAGE, "%s: credentials too long", u.display);
    if (!max_response_bytes) max_response_bytes = DEFAULT_MAX_RESPONSE;
    if (max_response_bytes > MAX_RESPONSE_LIMIT) max_response_bytes = MAX_RESPONSE_LIMIT;
    struct req_opts ro = {make_headers(auth, 1), timeout_ms, 0, NULL};
    free_secret(auth);
    struct xfer x;
    memset(&x, 0, sizeof x);
    x.url = &u;
    x.req = body ? body : "";
    x.req_len = body_len;
    x.max = max_response_bytes;
    x.easy = curl_easy_init();
    if (!ro.headers || !x.easy) {
        rc = cs_error(CS_ENOMEM, "%s: out of memory", u.display);
    } else if (!(rc = setup_easy(&x, &ro))) {
        int retry;
        x.result = curl_easy_perform(x.easy);
        rc = transport_result(&x, timeout_ms, &retry);
    }
    if (x.easy) curl_easy_cleanup(x.easy);
    free_headers(ro.headers);
    memset(&u, 0, sizeof u);
    if (rc) {
        free(x.body);
        return rc;
    }
    if (!x.body) x.body = cs_xmalloc(1);
    x.body[x.len] = 0;
    *status = (int)x.status;
    *resp = x.body;
    *resp_len = x.len;
    return 0;
}

int cs_http_read_cookie(const char *path, char **user, char **password)
{
    *user = *password = NULL;
    FILE *f = fopen(path, "rb");
    char eb[128];
    if (!f) return cs_error(CS_EIO, "%s: cannot open cookie file: %s", path, err_text(errno, eb));
    char buf[COOKIE_MAX + 1];
    size_t n = fread(buf, 1, sizeof buf, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr) return cs_error(CS_EIO, "%s: cannot read cookie file", path);
    if (n > COOKIE_MAX)
        return cs_error(CS_EFORMAT, "%s: cookie file larger than %d bytes", path, COOKIE_MAX);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    buf[n] = 0;
    char *colon = memchr(buf, ':', n);
    if (!colon || colon == buf) {
        memset(buf, 0, sizeof buf);
        return cs_error(CS_EFORMAT, "%s: byte 0: cookie file is not \"user:password\"", path);
    }
    if (memchr(buf, '\n', n)) {
        memset(buf, 0, sizeof buf);
        return cs_error(CS_EFORMAT, "%s: cookie file holds more than one line", path);
    }
    *colon = 0;
    *user = cs_xstrdup(buf);
    *password = cs_xstrdup(colon + 1);
    memset(buf, 0, sizeof buf);
    return 0;
}

/* -------------------------------------------------------- JSON-RPC -- */

int cs_rpc_client_init(struct cs_rpc_client *c, const char *url, const char *user,
                       const char *password)
{
    memset(c, 0, sizeof *c);
    int rc = cs_http_parse_url(url, &c->url);
    if (rc) return rc;
    c->timeout_ms = DEFAULT_TIMEOUT_MS;
    c->max_response_bytes = DEFAULT_MAX_RESPONSE;
    c->max_depth = 256;
    c->keep_alive = 1;
    c->jsonrpc = "1.0";
    c->next_id = 1;
    c->max_tries = 5;
    c->retry_base_ms = 250;
    c->retry_max_ms = 10000;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c->rng = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)c;
    if (user || password)
        c->auth = basic_auth(user, password);
    else if (c->url.has_userinfo)
        c->auth = basic_auth(c->url.user, c->url.password);
    memset(c->url.password, 0, sizeof c->url.password);
    if ((user || password || c->url.has_userinfo) && !c->auth)
        return cs_error(CS_EUSAGE, "%s: credentials too long", c->url.display);
    if ((rc = ensure_curl())) return rc;
    c->multi = curl_multi_init();
    c->easy = calloc(CS_RPC_WINDOW_MAX, sizeof *c->easy);
    if (!c->multi || !c->easy) return cs_error(CS_ENOMEM, "%s: out of memory", c->url.display);
    return 0;
}

int cs_rpc_client_init_cookie(struct cs_rpc_client *c, const char *url, const char *cookie_path)
{
    char *user, *password;
    memset(c, 0, sizeof *c);
    int rc = cs_http_read_cookie(cookie_path, &user, &password);
    if (rc) return rc;
    rc = cs_rpc_client_init(c, url, user, password);
    free(user);
    free_secret(password);
    return rc;
}

void cs_rpc_client_set_cacert(struct cs_rpc_client *c, const char *path)
{
    free(c->cacert);
    c->cacert = path ? cs_xstrdup(path) : NULL;
}

void cs_rpc_client_close(struct cs_rpc_client *c)
{
    if (c->easy) {
        for (unsigned i = 0; i < c->n_easy; i++)
            curl_easy_cleanup(c->easy[i]);
        free(c->easy);
    }
    c->easy = NULL;
    c->n_easy = 0;
    if (c->multi) curl_multi_cleanup(c->multi);
    c->multi = NULL;
    free_secret(c->auth);
    c->auth = NULL;
    free(c->cacert);
    c->cacert = NULL;
}

/* {"jsonrpc":V,"id":N,"method":...,"params":...} */
static int build_request(const char *version, const char *method, const char *params_json,
                         uint64_t id, char **body, size_t *body_len)
{
    if (!method || !*method) return cs_error(CS_EUSAGE, "JSON-RPC call without a method name");
    const char *params = params_json ? params_json : "[]";
    size_t plen = strlen(params), k = 0;
    while (k < plen && strchr(" \t\r\n", params[k]))
        k++;
    if (k == plen || (params[k] != '[' && params[k] != '{'))
        return cs_error(CS_EUSAGE, "%s: params must be a JSON array or object", method);
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "jsonrpc");
    cs_json_writer_string(&w, version ? version : "1.0");
    cs_json_writer_key(&w, "id");
    cs_json_writer_u64(&w, id);
    cs_json_writer_key(&w, "method");
    cs_json_writer_string(&w, method);
    cs_json_writer_key(&w, "params");
    cs_json_writer_raw(&w, params, plen);
    cs_json_writer_end_object(&w);
    int rc = cs_json_writer_finish(&w, body, body_len);
    if (rc == CS_EFORMAT) return cs_error_prefix(CS_EUSAGE, "%s: params: ", method);
    return rc;
}

/* A 5xx body that is a JSON-RPC error object is the node's answer (Bitcoin
 * Core: HTTP 500 for "Block not found"), not a transient failure. */
static int is_rpc_error_body(const struct xfer *x, size_t max_depth)
{
    struct cs_json_doc doc;
    struct cs_json_limits lim = {max_depth, x->len ? x->len : 1, "reply"};
    if (!x->len || cs_json_parse(&doc, x->body, x->len, &lim)) return 0;
    const struct cs_json *err =
        doc.root->type == CS_JSON_OBJECT ? cs_json_get(doc.root, "error") : NULL;
    int yes = err && err->type != CS_JSON_NULL;
    cs_json_doc_free(&doc);
    return yes;
}

/* "<method>: <node's message> (code N)" for a non-null JSON-RPC error member. */
static int rpc_error(const char *method, const struct cs_json *err)
{
    const char *msg = NULL;
    size_t mlen = 0;
    int64_t code = 0;
    int has_code = 0;
    if (err->type == CS_JSON_OBJECT) {
        const struct cs_json *m = cs_json_get(err, "message");
        if (m && m->type == CS_JSON_STRING) {
            msg = m->u.str;
            mlen = m->len;
        }
        has_code = !cs_json_get_i64(cs_json_get(err, "code"), &code);
    } else if (err->type == CS_JSON_STRING) {
        msg = err->u.str;
        mlen = err->len;
    }
    if (mlen > 400) mlen = 400;
    if (has_code)
        return cs_error(CS_ERPC, "%s: %.*s (code %lld)", method, (int)mlen,
                        msg ? msg : "error without a message", (long long)code);
    return cs_error(CS_ERPC, "%s: %.*s", method, (int)(msg ? mlen : 23),
                    msg ? msg : "error without a message");
}

/* Turns a complete HTTP response into doc/result or an error naming the method. */
static int interpret(struct cs_rpc_client *c, struct xfer *x, const char *tries,
                     struct cs_json_doc *doc, const struct cs_json **result)
{
    const char *method = x->method;
    int status = (int)x->status, rc;
    if (status == 401 || status == 403)
        return cs_error(CS_ERPC, "%s: %s: HTTP %d %s (%s)", method, c->url.display, status,
                        x->reason,
                        status == 401 ? "wrong rpcuser/rpcpassword or a stale cookie file"
                                      : "is rpcallowip set for this host?");
    char name[128];
    snprintf(name, sizeof name, "%s reply", method);
    struct cs_json_limits lim = {c->max_depth, x->len ? x->len : 1, name};
    rc = cs_json_parse(doc, x->body ? x->body : "", x->len, &lim);
    if (rc) {
        if (status != 200) {
            char sn[64];
            snippet(sn, x->body ? x->body : "", x->len);
            return cs_error(CS_ERPC, "%s: %s: HTTP %d %s: \"%s\"%s", method, c->url.display, status,
                            x->reason, sn, tries);
        }
        return cs_error_prefix(CS_ERPC, "%s: reply is not valid JSON: ", method);
    }
    const struct cs_json *root = doc->root;
    if (root->type != CS_JSON_OBJECT) {
        rc = cs_error(CS_ERPC, "%s: reply is a JSON %s, not an object (HTTP %d)", method,
                      cs_json_type_name(root->type), status);
        goto fail;
    }
    const struct cs_json *err = cs_json_get(root, "error");
    if (err && err->type != CS_JSON_NULL) {
        rc = rpc_error(method, err);
        goto fail;
    }
    if (status != 200) {
        rc = cs_error(CS_ERPC, "%s: %s: HTTP %d %s%s", method, c->url.display, status, x->reason,
                      tries);
        goto fail;
    }
    const struct cs_json *rid = cs_json_get(root, "id");
    uint64_t got_id;
    if (rid && rid->type != CS_JSON_NULL && (cs_json_get_u64(rid, &got_id) || got_id != x->id)) {
        char sn[64];
        snippet(sn, rid->type == CS_JSON_NUMBER ? rid->u.num : cs_json_type_name(rid->type),
                rid->type == CS_JSON_NUMBER ? rid->len : strlen(cs_json_type_name(rid->type)));
        rc = cs_error(CS_ERPC, "%s: reply id %s does not match request id %llu", method, sn,
                      (unsigned long long)x->id);
        goto fail;
    }
    *result = cs_json_get(root, "result");
    if (!*result) {
        rc = cs_error(CS_ERPC, "%s: reply has neither result nor error", method);
        goto fail;
    }
    return 0;
fail:
    cs_json_doc_free(doc);
    *result = NULL;
    return rc;
}

/* A batch reply: an array of replies matched to the requests by id. */
static int interpret_batch(struct cs_rpc_client *c, struct xfer *x, const char *tries,
                           struct cs_json_doc *doc, const struct cs_json *results[])
{
    const char *label = x->method;
    int status = (int)x->status, rc;
    if (status == 401 || status == 403)
        return cs_error(CS_ERPC, "%s: %s: HTTP %d %s (%s)", label, c->url.display, status,
                        x->reason,
                        status == 401 ? "wrong rpcuser/rpcpassword or a stale cookie file"
                                      : "is rpcallowip set for this host?");
    struct cs_json_limits lim = {c->max_depth, x->len ? x->len : 1, "batch reply"};
    rc = cs_json_parse(doc, x->body ? x->body : "", x->len, &lim);
    if (rc) {
        if (status != 200) {
            char sn[64];
            snippet(sn, x->body ? x->body : "", x->len);
            return cs_error(CS_ERPC, "%s: %s: HTTP %d %s: \"%s\"%s", label, c->url.display, status,
                            x->reason, sn, tries);
        }
        return cs_error_prefix(CS_ERPC, "%s: reply is not valid JSON: ", label);
    }
    const struct cs_json *root = doc->root;
    if (root->type != CS_JSON_ARRAY) {
        const struct cs_json *err =
            root->type == CS_JSON_OBJECT ? cs_json_get(root, "error") : NULL;
        if (err && err->type != CS_JSON_NULL)
            rc = rpc_error(label, err);
        else
            rc = cs_error(CS_ERPC, "%s: batch reply is a JSON %s, not an array (HTTP %d)", label,
                          cs_json_type_name(root->type), status);
        goto fail;
    }
    for (size_t k = 0; k < root->len; k++) {
        const struct cs_json *it = &root->u.items[k];
        uint64_t id;
        if (it->type != CS_JSON_OBJECT || cs_json_get_u64(cs_json_get(it, "id"), &id) ||
            id < x->id || id - x->id >= x->batch_n) {
            rc = cs_error(CS_ERPC, "%s: batch reply item %zu has no id of this batch", label, k);
            goto fail;
        }
        size_t i = (size_t)(id - x->id);
        const char *m = x->batch_methods[i];
        if (results[i]) {
            rc = cs_error(CS_ERPC, "%s: duplicate reply id %llu in the batch", m,
                          (unsigned long long)id);
            goto fail;
        }
        const struct cs_json *err = cs_json_get(it, "error");
        if (err && err->type != CS_JSON_NULL) {
            rc = rpc_error(m, err);
            goto fail;
        }
        if (!(results[i] = cs_json_get(it, "result"))) {
            rc = cs_error(CS_ERPC, "%s: reply has neither result nor error", m);
            goto fail;
        }
    }
    for (size_t i = 0; i < x->batch_n; i++)
        if (!results[i]) {
            rc = cs_error(CS_ERPC, "%s: no reply in the batch (id %llu)", x->batch_methods[i],
                          (unsigned long long)(x->id + i));
            goto fail;
        }
    return 0;
fail:
    cs_json_doc_free(doc);
    for (size_t i = 0; i < x->batch_n; i++)
        results[i] = NULL;
    return rc;
}

static uint64_t next_rand(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Delay before attempt number x->tries + 1. */
static int64_t backoff_ms(struct cs_rpc_client *c, struct xfer *x)
{
    uint64_t cap = c->retry_max_ms ? c->retry_max_ms : 1;
    curl_off_t ra = 0;
    if (curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
        return (uint64_t)ra * 1000 < cap ? (int64_t)ra * 1000 : (int64_t)cap;
    uint64_t d = c->retry_base_ms;
    for (unsigned k = 1; k < x->tries && d < cap; k++)
        d *= 2;
    if (d > cap) d = cap;
    return (int64_t)(d / 2 + next_rand(&c->rng) % (d / 2 + 1)); /* [d/2, d] */
}

/* Puts x on an idle easy handle (a new one if none) into the multi handle. */
static int start_xfer(struct cs_rpc_client *c, struct xfer *x, const struct req_opts *ro,
                      CURL **idle, unsigned *n_idle, unsigned *active)
{
    if (!*n_idle) {
        CURL *e = curl_easy_init();
        if (!e) return cs_error(CS_ENOMEM, "%s: out of memory", c->url.display);
        c->easy[c->n_easy++] = e;
        idle[(*n_idle)++] = e;
    }
    x->easy = idle[--*n_idle];
    int rc = setup_easy(x, ro);
    if (rc) {
        idle[(*n_idle)++] = x->easy;
        x->easy = NULL;
        return rc;
    }
    if (curl_multi_add_handle(c->multi, x->easy) != CURLM_OK) {
        idle[(*n_idle)++] = x->easy;
        x->easy = NULL;
        return cs_error(CS_ENOMEM, "%s: libcurl cannot add a transfer", c->url.display);
    }
    x->state = X_ACTIVE;
    x->tries++;
    c->requests++;
    (*active)++;
    return 0;
}

/* Runs the n transfers with up to window in flight; on success every call's
 * reply is in docs/results.  Stops at the first call that fails for good. */
static int run_calls(struct cs_rpc_client *c, struct xfer *xs, size_t n, unsigned window,
                     struct cs_json_doc docs[], const struct cs_json *results[])
{
    struct req_opts ro = {make_headers(c->auth, 0), c->timeout_ms, c->keep_alive, c->cacert};
    if (!ro.headers) return cs_error(CS_ENOMEM, "out of memory");
    CURLM *m = c->multi;
    /* never shrink the cache: connections opened by a wider window stay usable */
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)CS_RPC_WINDOW_MAX);
    CURL *idle[CS_RPC_WINDOW_MAX];
    unsigned n_idle = 0;
    for (unsigned i = 0; i < c->n_easy; i++)
        idle[n_idle++] = c->easy[i];
    size_t next = 0, done = 0;
    unsigned active = 0;
    int rc = 0;
    char tries[32];
    while (done < n && !rc) {
        int64_t t = now_ms(), wake = t + 1000;
        /* start due retries first, then new calls in index order */
        for (size_t i = 0; i < next && active < window && !rc; i++) {
            if (xs[i].state != X_WAIT) continue;
            if (xs[i].not_before > t) {
                if (xs[i].not_before < wake) wake = xs[i].not_before;
                continue;
            }
            rc = start_xfer(c, &xs[i], &ro, idle, &n_idle, &active);
        }
        while (!rc && next < n && active < window)
            rc = start_xfer(c, &xs[next++], &ro, idle, &n_idle, &active);
        if (rc) break;
        int running;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while (!rc && (msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            struct xfer *x = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            x->result = msg->data.result;
            curl_multi_remove_handle(m, x->easy);
            active--;
            long nc = 0;
            curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &nc);
            c->connects += (unsigned long)nc;
            int retry;
            int trc = transport_result(x, c->timeout_ms, &retry);
            if (!trc &&
                (x->status == 429 || (x->status >= 500 && !is_rpc_error_body(x, c->max_depth))))
                retry = 1;
            else if (!trc)
                retry = 0;
            if (retry && x->tries < c->max_tries) {
                x->not_before = now_ms() + backoff_ms(c, x);
                x->state = X_WAIT;
                c->retries++;
                free(x->body);
                x->body = NULL;
                idle[n_idle++] = x->easy;
                x->easy = NULL;
                continue;
            }
            snprintf(tries, sizeof tries, x->tries > 1 ? " (%u tries)" : "", x->tries);
            if (trc) {
                rc = trc;
                char prev[1024];
                snprintf(prev, sizeof prev, "%s", cs_errmsg());
                cs_error(rc, "%s: %s%s", x->method, prev, tries);
            } else {
                rc = x->batch_n ? interpret_batch(c, x, tries, &docs[0], results)
                                : interpret(c, x, tries, &docs[x->idx], &results[x->idx]);
            }
            free(x->body);
            x->body = NULL;
            idle[n_idle++] = x->easy;
            x->easy = NULL;
            x->state = X_DONE;
            done++;
        }
        if (rc || done == n) break;
        int64_t wait = wake - now_ms();
        if (wait < 0) wait = 0;
        /* short naps: a transfer put on a kept connection by an earlier, wider
         * window was seen to stall until this timeout (whole seconds in
         * test_window) when libcurl offered no timer for it */
        if (wait > 20) wait = 20;
        curl_multi_poll(m, NULL, 0, (int)wait, NULL);
    }
    for (size_t i = 0; i < n; i++) { /* after an error: abandon what is in flight */
        if (xs[i].state == X_ACTIVE) {
            curl_multi_remove_handle(m, xs[i].easy);
            free(xs[i].body);
        }
    }
    free_headers(ro.headers);
    return rc;
}

int cs_jsonrpc_calls(struct cs_rpc_client *c, size_t n, const char *const methods[],
                     const char *const params[], struct cs_json_doc docs[],
                     const struct cs_json *results[], unsigned window)
{
    for (size_t i = 0; i < n; i++) {
        memset(&docs[i], 0, sizeof docs[i]);
        results[i] = NULL;
    }
    if (!c->multi) return cs_error(CS_EUSAGE, "JSON-RPC client not initialised");
    if (!window) window = 16;
    if (window > CS_RPC_WINDOW_MAX)
        return cs_error(CS_EUSAGE, "window %u above %d", window, CS_RPC_WINDOW_MAX);
    if (!c->max_response_bytes) c->max_response_bytes = DEFAULT_MAX_RESPONSE;
    if (c->max_response_bytes > MAX_RESPONSE_LIMIT) c->max_response_bytes = MAX_RESPONSE_LIMIT;
    if (!c->max_tries) c->max_tries = 1;
    if (c->timeout_ms <= 0)
        return cs_error(CS_EUSAGE, "%s: timeout must be positive", n ? methods[0] : "rpc");
    if (n == 0) return 0;
    struct xfer *xs = calloc(n, sizeof *xs);
    char **bodies = calloc(n, sizeof *bodies);
    int rc = 0;
    if (!xs || !bodies) {
        rc = cs_error(CS_ENOMEM, "out of memory for %zu calls", n);
        goto out;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        size_t len;
        uint64_t id = c->next_id;
        if ((rc = build_request(c->jsonrpc, methods[i], params ? params[i] : NULL, id, &bodies[i], &len)))
            break;
        c->next_id++;
        xs[i].url = &c->url;
        xs[i].req = bodies[i];
        xs[i].req_len = len;
        xs[i].max = c->max_response_bytes;
        xs[i].peak = &c->peak_body_capacity;
        xs[i].idx = i;
        xs[i].method = methods[i];
        xs[i].id = id;
        xs[i].state = X_IDLE;
    }
    if (!rc) rc = run_calls(c, xs, n, window, docs, results);
out:
    if (rc)
        for (size_t i = 0; i < n; i++) {
            cs_json_doc_free(&docs[i]);
            results[i] = NULL;
        }
    if (bodies)
        for (size_t i = 0; i < n; i++)
            free(bodies[i]);
    free(bodies);
    free(xs);
    return rc;
}

int cs_jsonrpc_call(struct cs_rpc_client *c, const char *method, const char *params_json,
                    struct cs_json_doc *doc, const struct cs_json **result)
{
    const char *m[1] = {method}, *p[1] = {params_json};
    return cs_jsonrpc_calls(c, 1, m, p, doc, result, 1);
}

int cs_jsonrpc_batch(struct cs_rpc_client *c, size_t n, const char *const methods[],
                     const char *const params[], struct cs_json_doc *doc,
                     const struct cs_json *results[])
{
    memset(doc, 0, sizeof *doc);
    for (size_t i = 0; i < n; i++)
        results[i] = NULL;
    if (!c->multi) return cs_error(CS_EUSAGE, "JSON-RPC client not initialised");
    if (n == 0 || n > 65536) return cs_error(CS_EUSAGE, "a batch holds 1..65536 calls, not %zu", n);
    if (!c->max_response_bytes) c->max_response_bytes = DEFAULT_MAX_RESPONSE;
    if (c->max_response_bytes > MAX_RESPONSE_LIMIT) c->max_response_bytes = MAX_RESPONSE_LIMIT;
    if (!c->max_tries) c->max_tries = 1;
    if (c->timeout_ms <= 0) return cs_error(CS_EUSAGE, "%s: timeout must be positive", methods[0]);
    uint64_t first = c->next_id;
    size_t len = 1, cap = 256;
    char *body = cs_xmalloc(cap);
    body[0] = '[';
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char *one;
        size_t ol;
        if ((rc = build_request(c->jsonrpc, methods[i], params ? params[i] : NULL, first + i, &one, &ol)))
            break;
        while (len + ol + 2 > cap)
            cap *= 2;
        body = cs_xrealloc(body, cap);
        if (i) body[len++] = ',';
        memcpy(body + len, one, ol);
        len += ol;
        free(one);
    }
    if (rc) {
        free(body);
        return rc;
    }
    body[len++] = ']';
    c->next_id += n;
    char label[160];
    snprintf(label, sizeof label, "%s (batch of %zu)", methods[0], n);
    struct xfer x;
    memset(&x, 0, sizeof x);
    x.url = &c->url;
    x.req = body;
    x.req_len = len;
    x.max = c->max_response_bytes;
    x.peak = &c->peak_body_capacity;
    x.method = label;
    x.id = first;
    x.batch_n = n;
    x.batch_methods = methods;
    x.state = X_IDLE;
    rc = run_calls(c, &x, 1, 1, doc, results);
    free(body);
    return rc;
}
