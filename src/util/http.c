/* http.c — HTTP/1.1 client (non-blocking sockets + poll, one deadline per
 * call) and the JSON-RPC 1.0 caller.
 *
 * The response reader keeps one receive buffer for the status line, headers
 * and chunk-size lines; body bytes go straight into the caller's body buffer,
 * so an 8 MB getblock reply is copied once from the kernel and once into the
 * JSON arena. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/http.h"

#define DEFAULT_TIMEOUT_MS 60000
#define DEFAULT_MAX_RESPONSE ((size_t)256 << 20)
#define LINE_MAX_BYTES 8192 /* one header or chunk-size line */
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
        return cs_error(CS_EUSAGE, "%s: https is not supported (use http:// to a local node)",
                        shown);
    if (strncasecmp(url, "http://", 7))
        return cs_error(CS_EUSAGE, "%s: must start with http://", shown);
    const char *auth = url + 7;
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
    unsigned long pv = 80;
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
        strcpy(out->path, "/");
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
    snprintf(out->display, sizeof out->display, "http://%s%s%s:%u%s", v6 ? "[" : "", out->host,
             v6 ? "]" : "", (unsigned)out->port, out->path);
    return 0;
}

/* ---------------------------------------------------------- sockets -- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until the deadline. Returns 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) return 0;
        struct pollfd p = {fd, events, 0};
        int r = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
        if (r > 0) return 1;
        if (r == 0) continue; /* re-check the deadline */
        if (errno != EINTR) return -1;
    }
}

/* strerror with a lower-case first letter, for "url: connection refused". */
static const char *err_text(int e, char buf[128])
{
    snprintf(buf, 128, "%s", strerror(e));
    buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}

struct call {
    const struct cs_http_url *url;
    int64_t deadline;
    int timeout_ms;
    int fd;
};

static int connect_any(struct call *c)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int g = getaddrinfo(c->url->host, c->url->port_str, &hints, &res);
    if (g)
        return cs_error(CS_ENET, "%s: cannot resolve host \"%s\": %s", c->url->display,
                        c->url->host, g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
    int last = ECONNREFUSED, timed_out = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last = errno;
            continue;
        }
        int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (r < 0 && errno == EINPROGRESS) {
            int w = wait_fd(fd, POLLOUT, c->deadline);
            if (w == 0) {
                timed_out = 1;
                close(fd);
                break;
            }
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (w < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0) soerr = errno;
            if (soerr) {
                errno = soerr;
                r = -1;
            } else {
                r = 0;
            }
        }
        if (r < 0) {
            last = errno;
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        freeaddrinfo(res);
        c->fd = fd;
        return 0;
    }
    freeaddrinfo(res);
    if (timed_out)
        return cs_error(CS_ENET, "%s: timed out after %d ms while connecting", c->url->display,
                        c->timeout_ms);
    char eb[128];
    return cs_error(CS_ENET, "%s: %s", c->url->display, err_text(last, eb));
}

/* Sends all bytes.  *broken is set when the peer had closed the connection
 * (EPIPE/ECONNRESET), which on a reused connection means "retry". */
static int send_all(struct call *c, const char *p, size_t n, int *broken)
{
    while (n) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int r = wait_fd(c->fd, POLLOUT, c->deadline);
            if (r == 0)
                return cs_error(CS_ENET, "%s: timed out after %d ms while sending the request",
                                c->url->display, c->timeout_ms);
            if (r > 0) continue;
        }
        int e = errno;
        if (e == EPIPE || e == ECONNRESET) *broken = 1;
        char eb[128];
        return cs_error(CS_ENET, "%s: send failed: %s", c->url->display, err_text(e, eb));
    }
    return 0;
}

/* ---------------------------------------------------------- reader -- */

struct reader {
    struct call *c;
    char *buf; /* status line, headers, chunk lines; body bytes pass through */
    size_t len, pos, cap;
    int eof;
    size_t received; /* bytes received on this response */
    const char *phase;
};

/* Receives into dst (up to n bytes); *got 0 means EOF. */
static int recv_some(struct reader *r, char *dst, size_t n, size_t *got)
{
    for (;;) {
        ssize_t k = recv(r->c->fd, dst, n, 0);
        if (k >= 0) {
            *got = (size_t)k;
            r->received += (size_t)k;
            if (!k) r->eof = 1;
            return 0;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int w = wait_fd(r->c->fd, POLLIN, r->c->deadline);
            if (w == 0)
                return cs_error(CS_ENET, "%s: timed out after %d ms %s", r->c->url->display,
                                r->c->timeout_ms, r->phase);
            if (w > 0) continue;
        }
        int e = errno;
        if (e == ECONNRESET && r->received == 0) {
            /* like EOF before the first byte: a kept connection the server dropped */
            *got = 0;
            r->eof = 1;
            return 0;
        }
        char eb[128];
        return cs_error(CS_ENET, "%s: receive failed %s: %s", r->c->url->display, r->phase,
                        err_text(e, eb));
    }
}

/* Appends received bytes to the line buffer (compacting first). */
static int fill(struct reader *r)
{
    if (r->pos) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    if (r->cap - r->len < 4096) {
        size_t cap = r->cap ? r->cap * 2 : 16384;
        char *nb = realloc(r->buf, cap);
        if (!nb) return cs_error(CS_ENOMEM, "%s: out of memory", r->c->url->display);
        r->buf = nb;
        r->cap = cap;
    }
    size_t got;
    int rc = recv_some(r, r->buf + r->len, r->cap - r->len, &got);
    if (rc) return rc;
    r->len += got;
    return 0;
}

/* Next line without its LF (and CR); *line points into r->buf until the next
 * fill.  Lines over LINE_MAX_BYTES are malformed.  EOF sets *line NULL. */
static int read_line(struct reader *r, char **line, size_t *n)
{
    for (;;) {
        char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
        if (nl) {
            size_t k = (size_t)(nl - (r->buf + r->pos));
            *line = r->buf + r->pos;
            r->pos += k + 1;
            if (k && (*line)[k - 1] == '\r') k--;
            (*line)[k] = 0;
            *n = k;
            return 0;
        }
        if (r->len - r->pos > LINE_MAX_BYTES)
            return cs_error(CS_ERPC, "%s: header or chunk line longer than %d bytes",
                            r->c->url->display, LINE_MAX_BYTES);
        if (r->eof) {
            *line = NULL;
            *n = 0;
            return 0;
        }
        int rc = fill(r);
        if (rc) return rc;
        if (r->eof && r->len == r->pos) {
            *line = NULL;
            *n = 0;
            return 0;
        }
    }
}

/* Body bytes: first those already buffered, then straight from the socket. */
static int read_exact(struct reader *r, char *dst, size_t n, size_t *got_total)
{
    size_t have = r->len - r->pos, k = have < n ? have : n;
    memcpy(dst, r->buf + r->pos, k);
    r->pos += k;
    *got_total = k;
    while (*got_total < n) {
        size_t got;
        if (r->eof) return 0;
        int rc = recv_some(r, dst + *got_total, n - *got_total, &got);
        if (rc) return rc;
        *got_total += got;
    }
    return 0;
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

static int too_big(struct reader *r, size_t max)
{
    char hs[32];
    return cs_error(CS_ERANGE, "%s: response exceeds %s", r->c->url->display, human_size(hs, max));
}

/* Grows the body buffer to hold need bytes plus a NUL. */
static int body_reserve(struct reader *r, char **body, size_t *cap, size_t need)
{
    if (need + 1 <= *cap) return 0;
    size_t nc = *cap ? *cap : 4096;
    while (nc < need + 1)
        nc = nc > SIZE_MAX / 2 ? need + 1 : nc * 2;
    char *nb = realloc(*body, nc);
    if (!nb)
        return cs_error(CS_ENOMEM, "%s: out of memory for a %zu-byte response", r->c->url->display,
                        need);
    *body = nb;
    *cap = nc;
    return 0;
}

static void snippet(char out[64], const char *s, size_t n)
{
    size_t k = n > 48 ? 48 : n, i;
    for (i = 0; i < k; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7F) ? s[i] : '?';
    if (n > k) memcpy(out + i, "...", 3), i += 3;
    out[i] = 0;
}

struct response {
    int status;
    char reason[64];
    char *body;
    size_t body_len;
    int keep; /* connection may be reused */
    int nothing_received;
};

static int parse_status_line(struct reader *r, const char *line, size_t n, struct response *resp,
                             int *minor)
{
    char sn[64];
    if (n < 12 || memcmp(line, "HTTP/1.", 7) || (line[7] != '0' && line[7] != '1') ||
        line[8] != ' ' || !isdigit((unsigned char)line[9]) || !isdigit((unsigned char)line[10]) ||
        !isdigit((unsigned char)line[11]) || (n > 12 && line[12] != ' ') || line[9] == '0') {
        snippet(sn, line, n);
        return cs_error(CS_ERPC, "%s: malformed status line \"%s\"", r->c->url->display, sn);
    }
    *minor = line[7] - '0';
    resp->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    snippet(resp->reason, n > 13 ? line + 13 : "", n > 13 ? n - 13 : 0);
    return 0;
}

static int has_token(const char *v, const char *tok)
{
    size_t tl = strlen(tok);
    while (*v) {
        while (*v == ' ' || *v == '\t' || *v == ',')
            v++;
        size_t k = strcspn(v, ", \t");
        if (k == tl && !strncasecmp(v, tok, tl)) return 1;
        v += k;
    }
    return 0;
}

/* Reads one full response. */
static int read_response(struct call *c, size_t max, struct response *resp)
{
    struct reader r;
    memset(&r, 0, sizeof r);
    r.c = c;
    r.phase = "waiting for the response";
    memset(resp, 0, sizeof *resp);
    r.cap = 16384;
    r.buf = malloc(r.cap);
    if (!r.buf) return cs_error(CS_ENOMEM, "%s: out of memory", c->url->display);
    char *line;
    size_t n;
    int rc, minor = 1;
    int chunked, have_cl, conn_close, conn_keep;
    uint64_t cl;
    size_t header_bytes;
    int interim = 0;
    for (;;) { /* loops over interim 1xx responses */
        chunked = have_cl = conn_close = conn_keep = 0;
        cl = 0;
        header_bytes = 0;
        if ((rc = read_line(&r, &line, &n))) goto out;
        if (!line) {
            if (r.received == 0) {
                resp->nothing_received = 1;
                rc = cs_error(CS_ENET, "%s: connection closed without a response", c->url->display);
            } else {
                rc = cs_error(CS_ENET,
                              "%s: connection closed in the status line (%zu bytes received)",
                              c->url->display, r.received);
            }
            goto out;
        }
        if ((rc = parse_status_line(&r, line, n, resp, &minor))) goto out;
        r.phase = "reading the response headers";
        for (;;) {
            if ((rc = read_line(&r, &line, &n))) goto out;
            if (!line) {
                rc = cs_error(CS_ENET, "%s: connection closed in the response headers",
                              c->url->display);
                goto out;
            }
            header_bytes += n + 2;
            if (header_bytes > CS_HTTP_HEADER_MAX) {
                rc = cs_error(CS_ERPC, "%s: response headers exceed %d KiB", c->url->display,
                              CS_HTTP_HEADER_MAX >> 10);
                goto out;
            }
            if (n == 0) break;
            char *colon = memchr(line, ':', n);
            char sn[64];
            if (!colon || colon == line || line[0] == ' ' || line[0] == '\t' ||
                memchr(line, ' ', (size_t)(colon - line)) ||
                memchr(line, '\t', (size_t)(colon - line))) {
                snippet(sn, line, n);
                rc = cs_error(CS_ERPC, "%s: malformed header line \"%s\"", c->url->display, sn);
                goto out;
            }
            *colon = 0;
            char *v = colon + 1, *end = line + n;
            while (*v == ' ' || *v == '\t')
                v++;
            while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
                *--end = 0;
            if (!strcasecmp(line, "Content-Length")) {
                uint64_t x = 0;
                if (!*v) goto bad_cl;
                for (const char *q = v; *q; q++) {
                    if (!isdigit((unsigned char)*q) || x > (UINT64_MAX - 9) / 10) goto bad_cl;
                    x = x * 10 + (uint64_t)(*q - '0');
                }
                if (have_cl && x != cl) goto bad_cl;
                have_cl = 1;
                cl = x;
                continue;
            bad_cl:
                snippet(sn, v, strlen(v));
                rc = cs_error(CS_ERPC, "%s: bad Content-Length \"%s\"", c->url->display, sn);
                goto out;
            } else if (!strcasecmp(line, "Transfer-Encoding")) {
                /* only "chunked" (possibly with "identity") is understood */
                char tmp[256];
                snprintf(tmp, sizeof tmp, "%s", v);
                char *save = NULL;
                for (char *t = strtok_r(tmp, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
                    if (!strcasecmp(t, "chunked"))
                        chunked = 1;
                    else if (strcasecmp(t, "identity")) {
                        snippet(sn, v, strlen(v));
                        rc = cs_error(CS_ERPC, "%s: unsupported Transfer-Encoding \"%s\"",
                                      c->url->display, sn);
                        goto out;
                    }
                }
            } else if (!strcasecmp(line, "Connection")) {
                if (has_token(v, "close")) conn_close = 1;
                if (has_token(v, "keep-alive")) conn_keep = 1;
            }
        }
        if (resp->status >= 100 && resp->status < 200) {
            if (resp->status == 101) {
                rc = cs_error(CS_ERPC, "%s: server switched protocols (HTTP 101)", c->url->display);
                goto out;
            }
            if (++interim > 16) {
                rc = cs_error(CS_ERPC, "%s: more than 16 interim 1xx responses", c->url->display);
                goto out;
            }
            r.phase = "waiting for the response";
            continue;
        }
        break;
    }

    r.phase = "reading the response body";
    size_t cap = 0;
    int framed = 1;
    if (resp->status == 204 || resp->status == 304) {
        /* no body */
    } else if (chunked) {
        for (;;) {
            if ((rc = read_line(&r, &line, &n))) goto out;
            if (!line) {
                rc = cs_error(CS_ENET,
                              "%s: connection closed inside the chunked body after %zu bytes",
                              c->url->display, resp->body_len);
                goto out;
            }
            uint64_t sz = 0;
            size_t i = 0;
            for (; i < n && hexdigit((unsigned char)line[i]) >= 0; i++) {
                if (sz > (UINT64_MAX >> 4)) break;
                sz = sz << 4 | (uint64_t)hexdigit((unsigned char)line[i]);
            }
            while (i < n && (line[i] == ' ' || line[i] == '\t'))
                i++;
            if (i == 0 || (i < n && line[i] != ';')) {
                char sn[64];
                snippet(sn, line, n);
                rc = cs_error(CS_ERPC, "%s: malformed chunk size line \"%s\"", c->url->display, sn);
                goto out;
            }
            if (sz == 0) break;
            if (sz > max || resp->body_len > max - sz) {
                rc = too_big(&r, max);
                goto out;
            }
            if ((rc = body_reserve(&r, &resp->body, &cap, resp->body_len + (size_t)sz))) goto out;
            size_t got;
            if ((rc = read_exact(&r, resp->body + resp->body_len, (size_t)sz, &got))) goto out;
            resp->body_len += got;
            if (got < sz) {
                rc = cs_error(CS_ENET,
                              "%s: connection closed inside the chunked body after %zu bytes",
                              c->url->display, resp->body_len);
                goto out;
            }
            if ((rc = read_line(&r, &line, &n))) goto out;
            if (!line || n) {
                rc = line
                         ? cs_error(CS_ERPC, "%s: chunk data not followed by CRLF", c->url->display)
                         : cs_error(CS_ENET,
                                    "%s: connection closed inside the chunked body after %zu bytes",
                                    c->url->display, resp->body_len);
                goto out;
            }
        }
        for (;;) { /* trailer section */
            if ((rc = read_line(&r, &line, &n))) goto out;
            if (!line) {
                rc = cs_error(CS_ENET, "%s: connection closed in the chunked trailer",
                              c->url->display);
                goto out;
            }
            if (n == 0) break;
        }
    } else if (have_cl) {
        if (cl > max) {
            rc = too_big(&r, max);
            goto out;
        }
        if ((rc = body_reserve(&r, &resp->body, &cap, (size_t)cl))) goto out;
        size_t got;
        if ((rc = read_exact(&r, resp->body, (size_t)cl, &got))) goto out;
        resp->body_len = got;
        if (got < cl) {
            rc = cs_error(CS_ENET, "%s: connection closed after %zu of %llu body bytes",
                          c->url->display, got, (unsigned long long)cl);
            goto out;
        }
    } else {
        framed = 0; /* body runs to connection close */
        size_t have = r.len - r.pos;
        if (have > max) {
            rc = too_big(&r, max);
            goto out;
        }
        if ((rc = body_reserve(&r, &resp->body, &cap, have))) goto out;
        memcpy(resp->body, r.buf + r.pos, have);
        resp->body_len = have;
        r.pos = r.len;
        while (!r.eof) {
            if (resp->body_len == max) {
                /* one more byte would exceed the cap: probe for it */
                char probe;
                size_t got;
                if ((rc = recv_some(&r, &probe, 1, &got))) goto out;
                if (got) {
                    rc = too_big(&r, max);
                    goto out;
                }
                break;
            }
            size_t want = max - resp->body_len < 65536 ? max - resp->body_len : 65536;
            if ((rc = body_reserve(&r, &resp->body, &cap, resp->body_len + want))) goto out;
            size_t got;
            if ((rc = recv_some(&r, resp->body + resp->body_len, want, &got))) goto out;
            resp->body_len += got;
        }
    }
    if ((rc = body_reserve(&r, &resp->body, &cap, resp->body_len))) goto out;
    resp->body[resp->body_len] = 0;
    resp->keep = framed && !conn_close && (minor == 1 || conn_keep) && r.pos == r.len && !r.eof;
    rc = 0;
out:
    free(r.buf);
    if (rc) {
        free(resp->body);
        resp->body = NULL;
        resp->body_len = 0;
        resp->keep = 0;
    }
    return rc;
}

/* ------------------------------------------------------------ POST -- */

static char *basic_auth(const char *user, const char *password)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t ul = user ? strlen(user) : 0, pl = password ? strlen(password) : 0;
    if (ul > CS_HTTP_CRED_MAX * 4 || pl > CS_HTTP_CRED_MAX * 4) return NULL;
    size_t n = ul + 1 + pl;
    char *raw = cs_xmalloc(n + 1);
    memcpy(raw, user ? user : "", ul);
    raw[ul] = ':';
    memcpy(raw + ul + 1, password ? password : "", pl);
    char *out = cs_xmalloc(6 + (n + 2) / 3 * 4 + 1);
    size_t k = (size_t)sprintf(out, "Basic ");
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

/* Sends one request on c->fd and reads the response. */
static int exchange(struct call *c, const char *auth, const char *body, size_t body_len,
                    int keep_alive, size_t max, struct response *resp, int *retryable)
{
    *retryable = 0;
    const struct cs_http_url *u = c->url;
    int v6 = strchr(u->host, ':') != NULL;
    size_t hcap = strlen(u->path) + strlen(u->host) + (auth ? strlen(auth) : 0) + 256;
    char *head = cs_xmalloc(hcap);
    int hn = snprintf(head, hcap,
                      "POST %s HTTP/1.1\r\n"
                      "Host: %s%s%s:%u\r\n"
                      "User-Agent: chainsleuth\r\n"
                      "%s%s%s"
                      "Content-Type: application/json\r\n"
                      "Accept: application/json\r\n"
                      "Content-Length: %zu\r\n"
                      "Connection: %s\r\n"
                      "\r\n",
                      u->path, v6 ? "[" : "", u->host, v6 ? "]" : "", (unsigned)u->port,
                      auth ? "Authorization: " : "", auth ? auth : "", auth ? "\r\n" : "", body_len,
                      keep_alive ? "keep-alive" : "close");
    int broken = 0;
    int rc = hn < 0 || (size_t)hn >= hcap ? cs_error(CS_EUSAGE, "request header too long")
                                          : send_all(c, head, (size_t)hn, &broken);
    memset(head, 0, hcap); /* holds the credentials */
    free(head);
    if (!rc && body_len) rc = send_all(c, body, body_len, &broken);
    if (rc) {
        *retryable = broken;
        return rc;
    }
    rc = read_response(c, max, resp);
    if (rc) *retryable = resp->nothing_received;
    return rc;
}

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
    char *auth = NULL;
    if (user || password)
        auth = basic_auth(user, password);
    else if (u.has_userinfo)
        auth = basic_auth(u.user, u.password);
    if ((user || password || u.has_userinfo) && !auth)
        return cs_error(CS_EUSAGE, "%s: credentials too long", u.display);
    if (!max_response_bytes) max_response_bytes = DEFAULT_MAX_RESPONSE;
    struct call c = {&u, now_ms() + timeout_ms, timeout_ms, -1};
    struct response r;
    int retryable;
    rc = connect_any(&c);
    if (!rc) rc = exchange(&c, auth, body, body_len, 0, max_response_bytes, &r, &retryable);
    if (c.fd >= 0) close(c.fd);
    if (auth) {
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    memset(&u, 0, sizeof u);
    if (rc) return rc;
    *status = r.status;
    *resp = r.body;
    *resp_len = r.body_len;
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
    c->fd = -1;
    int rc = cs_http_parse_url(url, &c->url);
    if (rc) return rc;
    c->timeout_ms = DEFAULT_TIMEOUT_MS;
    c->max_response_bytes = DEFAULT_MAX_RESPONSE;
    c->max_depth = 256;
    c->keep_alive = 1;
    c->next_id = 1;
    if (user || password)
        c->auth = basic_auth(user, password);
    else if (c->url.has_userinfo)
        c->auth = basic_auth(c->url.user, c->url.password);
    memset(c->url.password, 0, sizeof c->url.password);
    if ((user || password || c->url.has_userinfo) && !c->auth)
        return cs_error(CS_EUSAGE, "%s: credentials too long", c->url.display);
    return 0;
}

int cs_rpc_client_init_cookie(struct cs_rpc_client *c, const char *url, const char *cookie_path)
{
    char *user, *password;
    memset(c, 0, sizeof *c);
    c->fd = -1;
    int rc = cs_http_read_cookie(cookie_path, &user, &password);
    if (rc) return rc;
    rc = cs_rpc_client_init(c, url, user, password);
    memset(password, 0, strlen(password));
    free(user);
    free(password);
    return rc;
}

void cs_rpc_client_close(struct cs_rpc_client *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    if (c->auth) {
        memset(c->auth, 0, strlen(c->auth));
        free(c->auth);
    }
    c->auth = NULL;
}

/* A kept connection is usable if nothing is readable on it: readable means
 * the server closed it (EOF) or sent something unsolicited. */
static int conn_alive(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, 0);
    return r == 0;
}

static int rpc_transport(struct cs_rpc_client *c, const char *body, size_t body_len,
                         struct response *resp)
{
    struct call call = {&c->url, now_ms() + c->timeout_ms, c->timeout_ms, -1};
    for (int attempt = 0;; attempt++) {
        int reused = 0;
        if (c->fd >= 0 && c->keep_alive && conn_alive(c->fd)) {
            call.fd = c->fd;
            reused = 1;
        } else {
            if (c->fd >= 0) close(c->fd);
            c->fd = -1;
            int rc = connect_any(&call);
            if (rc) return rc;
            c->connects++;
        }
        c->fd = -1;
        int retryable;
        int rc = exchange(&call, c->auth, body, body_len, c->keep_alive, c->max_response_bytes,
                          resp, &retryable);
        if (!rc && resp->keep && c->keep_alive)
            c->fd = call.fd;
        else
            close(call.fd);
        call.fd = -1;
        if (rc && reused && retryable && attempt == 0) continue; /* stale kept connection */
        return rc;
    }
}

int cs_jsonrpc_call(struct cs_rpc_client *c, const char *method, const char *params_json,
                    struct cs_json_doc *doc, const struct cs_json **result)
{
    memset(doc, 0, sizeof *doc);
    *result = NULL;
    if (!method || !*method) return cs_error(CS_EUSAGE, "JSON-RPC call without a method name");
    if (!c->max_response_bytes) c->max_response_bytes = DEFAULT_MAX_RESPONSE;
    if (c->timeout_ms <= 0) return cs_error(CS_EUSAGE, "%s: timeout must be positive", method);
    const char *params = params_json ? params_json : "[]";
    size_t plen = strlen(params), k = 0;
    while (k < plen && strchr(" \t\r\n", params[k]))
        k++;
    if (k == plen || (params[k] != '[' && params[k] != '{'))
        return cs_error(CS_EUSAGE, "%s: params must be a JSON array or object", method);
    uint64_t id = c->next_id++;
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "jsonrpc");
    cs_json_writer_string(&w, "1.0");
    cs_json_writer_key(&w, "id");
    cs_json_writer_u64(&w, id);
    cs_json_writer_key(&w, "method");
    cs_json_writer_string(&w, method);
    cs_json_writer_key(&w, "params");
    cs_json_writer_raw(&w, params, plen);
    cs_json_writer_end_object(&w);
    char *body;
    size_t body_len;
    int rc = cs_json_writer_finish(&w, &body, &body_len);
    if (rc == CS_EFORMAT) return cs_error_prefix(CS_EUSAGE, "%s: params: ", method);
    if (rc) return rc;

    struct response resp;
    rc = rpc_transport(c, body, body_len, &resp);
    free(body);
    if (rc) return cs_error_prefix(rc, "%s: ", method);

    if (resp.status == 401 || resp.status == 403) {
        rc = cs_error(CS_ERPC, "%s: %s: HTTP %d %s (%s)", method, c->url.display, resp.status,
                      resp.reason,
                      resp.status == 401 ? "wrong rpcuser/rpcpassword or a stale cookie file"
                                         : "is rpcallowip set for this host?");
        free(resp.body);
        return rc;
    }
    char name[128];
    snprintf(name, sizeof name, "%s reply", method);
    struct cs_json_limits lim = {c->max_depth, resp.body_len ? resp.body_len : 1, name};
    rc = cs_json_parse(doc, resp.body, resp.body_len, &lim);
    if (rc) {
        if (resp.status != 200) {
            char sn[64];
            snippet(sn, resp.body, resp.body_len);
            rc = cs_error(CS_ERPC, "%s: %s: HTTP %d %s: \"%s\"", method, c->url.display,
                          resp.status, resp.reason, sn);
        } else {
            rc = cs_error_prefix(CS_ERPC, "%s: reply is not valid JSON: ", method);
        }
        free(resp.body);
        return rc;
    }
    free(resp.body);
    const struct cs_json *root = doc->root;
    if (root->type != CS_JSON_OBJECT) {
        rc = cs_error(CS_ERPC, "%s: reply is a JSON %s, not an object (HTTP %d)", method,
                      cs_json_type_name(root->type), resp.status);
        goto fail;
    }
    const struct cs_json *err = cs_json_get(root, "error");
    if (err && err->type != CS_JSON_NULL) {
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
            rc = cs_error(CS_ERPC, "%s: %.*s (code %lld)", method, (int)mlen,
                          msg ? msg : "error without a message", (long long)code);
        else
            rc = cs_error(CS_ERPC, "%s: %.*s", method, (int)(msg ? mlen : 23),
                          msg ? msg : "error without a message");
        goto fail;
    }
    if (resp.status != 200) {
        rc = cs_error(CS_ERPC, "%s: %s: HTTP %d %s", method, c->url.display, resp.status,
                      resp.reason);
        goto fail;
    }
    const struct cs_json *rid = cs_json_get(root, "id");
    uint64_t got_id;
    if (rid && rid->type != CS_JSON_NULL && (cs_json_get_u64(rid, &got_id) || got_id != id)) {
        char sn[64];
        snippet(sn, rid->type == CS_JSON_NUMBER ? rid->u.num : cs_json_type_name(rid->type),
                rid->type == CS_JSON_NUMBER ? rid->len : strlen(cs_json_type_name(rid->type)));
        rc = cs_error(CS_ERPC, "%s: reply id %s does not match request id %llu", method, sn,
                      (unsigned long long)id);
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
