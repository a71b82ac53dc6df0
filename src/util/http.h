/* http.h — a minimal HTTP/1.1 client over plain TCP for JSON-RPC to nodes
 * (Bitcoin Core, EVM clients) on localhost or a trusted network, and a
 * JSON-RPC 1.0 caller on top of it.
 *
 * Invariants:
 *  - http:// only (no TLS); IPv4 and IPv6 (literal "[::1]" or a name that
 *    resolves to either; every address is tried in order).  Name resolution
 *    uses getaddrinfo and is not covered by the timeout.
 *  - Every call has ONE deadline, timeout_ms after it starts, that covers
 *    connect, send and receive (poll-based, non-blocking sockets); a call never
 *    blocks longer, whatever the server does.
 *  - Response bodies are capped by max_response_bytes before they are
 *    allocated (Content-Length checked up front, chunked and read-to-close
 *    bodies checked as they grow); headers are capped at 64 KiB.
 *  - Framing: Content-Length, chunked transfer-encoding, or read to close.
 *    Interim 1xx responses are skipped.  Bodies are returned whatever the
 *    status; only cs_jsonrpc_call interprets statuses.
 *  - Errors: CS_ENET for connect/send/recv failures, timeouts and early close
 *    ("http://127.0.0.1:8332/: connection refused"); CS_ERPC for replies that
 *    are not HTTP or carry an RPC error ("...: malformed status line");
 *    CS_ERANGE when the response exceeds its cap ("...: response exceeds 64
 *    MiB"); CS_EUSAGE for bad URLs; CS_ENOMEM.  Messages name the URL without
 *    credentials, never the password.
 *  - SIGPIPE is never raised (MSG_NOSIGNAL); no global state; a client struct
 *    is used by one thread at a time. */
#ifndef CS_UTIL_HTTP_H
#define CS_UTIL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/json.h"

#define CS_HTTP_HOST_MAX 256
#define CS_HTTP_PATH_MAX 2048
#define CS_HTTP_CRED_MAX 256
#define CS_HTTP_HEADER_MAX (64 << 10)

/* A parsed http://[user[:password]@]host[:port][/path] URL. */
struct cs_http_url {
    char host[CS_HTTP_HOST_MAX]; /* without brackets for IPv6 */
    char port_str[6];
    uint16_t port;               /* default 80 */
    char path[CS_HTTP_PATH_MAX]; /* starts with '/', query kept, fragment dropped */
    char user[CS_HTTP_CRED_MAX]; /* from the URL's userinfo, percent-decoded; "" if none */
    char password[CS_HTTP_CRED_MAX];
    int has_userinfo;
    char display[CS_HTTP_HOST_MAX + CS_HTTP_PATH_MAX + 16]; /* "http://host:port/path" */
};

/* Parses url into out.  Returns 0 or CS_EUSAGE (with the reason: https, bad
 * port, over-long part, characters not allowed).  No allocation; O(len). */
int cs_http_parse_url(const char *url, struct cs_http_url *out) CS_MUST_CHECK;

/* One POST of body (Content-Type: application/json) on a fresh connection that
 * is closed afterwards.  Basic auth is sent when user or password is non-NULL
 * (else the URL's userinfo if any).  timeout_ms (> 0) bounds the whole call;
 * max_response_bytes caps the body (0: 256 MiB).  On 0, *status is the HTTP status and
 * *resp a malloc'd, NUL-terminated body the caller frees (*resp_len bytes, not
 * counting the NUL).  On error *resp is NULL.  Cost: one TCP connection plus
 * O(response) time and memory. */
int cs_http_post(const char *url, const char *user, const char *password, const char *body,
                 size_t body_len, int timeout_ms, size_t max_response_bytes, int *status,
                 char **resp, size_t *resp_len) CS_MUST_CHECK;

/* Reads a bitcoind-style cookie file ("__cookie__:password", optional
 * trailing newline; at most 4 KiB).  *user and *password are malloc'd for the
 * caller to free.  Returns 0, CS_EIO (cannot open/read, errno in the message)
 * or CS_EFORMAT (no ':' or empty user). */
int cs_http_read_cookie(const char *path, char **user, char **password) CS_MUST_CHECK;

/* --------------------------------------------------------- JSON-RPC -- */

/* A JSON-RPC endpoint.  Fields after `url` may be changed between calls. */
struct cs_rpc_client {
    struct cs_http_url url;
    char *auth;                /* "Basic ..." header value or NULL (owned) */
    int timeout_ms;            /* per call; default 60000 */
    size_t max_response_bytes; /* 0 or default: 256 MiB (getblock verbosity 2/3, 4 MB block) */
    size_t max_depth;          /* JSON nesting limit of replies; default 256 */
    int keep_alive;            /* default 1: reuse one connection across calls */
    uint64_t next_id;          /* id of the next request */
    int fd;                    /* open kept-alive connection or -1 */
    unsigned long connects;    /* TCP connections opened so far (statistics, tests) */
};

/* Sets up a client for url with user/password (NULL: the URL's userinfo, or no
 * auth).  Does not connect.  Returns 0, CS_EUSAGE (bad URL).  Free with
 * cs_rpc_client_close. */
int cs_rpc_client_init(struct cs_rpc_client *c, const char *url, const char *user,
                       const char *password) CS_MUST_CHECK;
/* Same with the credentials of a cookie file (cs_http_read_cookie). */
int cs_rpc_client_init_cookie(struct cs_rpc_client *c, const char *url,
                              const char *cookie_path) CS_MUST_CHECK;
/* Closes the connection and frees the auth string.  Safe twice. */
void cs_rpc_client_close(struct cs_rpc_client *c);

/* Calls method with params_json (a JSON array or object as text; NULL means
 * "[]") as {"jsonrpc":"1.0","id":N,"method":...,"params":...}.
 * On 0, doc holds the parsed reply (caller frees with cs_json_doc_free) and
 * *result points to its "result" member (may be a JSON null).  On error doc is
 * empty and *result NULL; the message says:
 *   "<method>: <node's error message> (code N)"      node returned an error (CS_ERPC;
 *                                                     Bitcoin Core sends HTTP 500/404 with it)
 *   "<method>: <url>: HTTP 401 Unauthorized ..."      bad credentials (CS_ERPC)
 *   "<method>: <url>: connection refused"             and other transport errors (CS_ENET)
 * params_json that is not a JSON array/object is CS_EUSAGE.
 * Connections: with keep_alive the connection is reused; a kept connection
 * the server has closed meanwhile is detected (before sending, or by a reply
 * that never starts) and the request is retried once on a fresh connection.
 * Cost: one round trip, O(reply) parse. */
int cs_jsonrpc_call(struct cs_rpc_client *c, const char *method, const char *params_json,
                    struct cs_json_doc *doc, const struct cs_json **result) CS_MUST_CHECK;

#endif
