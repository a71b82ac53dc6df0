/* http.h — an HTTP/1.1 and HTTPS client on libcurl for JSON-RPC to nodes
 * (Bitcoin Core, EVM clients), and a JSON-RPC 1.0 caller on top of it that
 * keeps connections, runs a bounded window of calls in flight, sends batch
 * arrays and retries transient failures.
 *
 * Invariants:
 *  - http:// and https:// (IPv4, IPv6 literal "[::1]" or a name).  TLS
 *    verification (peer and host name) is always on: against the system CA
 *    store, or the CA file given as cacert.  There is no switch to turn it off.
 *  - Proxies come from the environment, libcurl's way: http_proxy for http://,
 *    https_proxy (or HTTPS_PROXY) for https://, all_proxy, and no_proxy
 *    ("localhost,127.0.0.1,.example.org" or "*") to bypass them.  Nothing here
 *    disables that; set no_proxy for a local node if a proxy is configured.
 *    The Authorization header never goes to a proxy's CONNECT.
 *  - Replies may be gzip/deflate/br-compressed (Accept-Encoding offers what
 *    the libcurl build can decode); the caps below apply to decoded bytes.
 *  - Every attempt has ONE deadline, timeout_ms after it starts, that covers
 *    name resolution (threaded resolver), connect, TLS, send and receive; a
 *    call never blocks longer per attempt, whatever the server does.  Retries
 *    (cs_rpc_client only) make at most max_tries attempts.
 *  - Response bodies are capped by max_response_bytes: a Content-Length above
 *    the cap is refused before the body is read, and every other body is
 *    checked as it arrives.  The body buffer grows geometrically but never
 *    past cap + 1 bytes, so an endless reply costs at most about the cap in
 *    memory.  Headers are capped at 64 KiB.
 *  - Bodies are returned whatever the status; only the JSON-RPC calls
 *    interpret statuses.
 *  - Errors: CS_ENET for resolve/connect/TLS/send/recv failures, timeouts and
 *    early close ("http://127.0.0.1:8332/: connection refused"); CS_ERPC for
 *    replies that are not HTTP or carry an RPC error ("...: malformed status
 *    line ..."); CS_ERANGE when the response exceeds its cap ("...: response
 *    exceeds 64 MiB"); CS_EUSAGE for bad URLs; CS_ENOMEM.  Messages name the
 *    URL as scheme://host:port/path, never the user name or password.
 *  - SIGPIPE and SIGALRM are never raised (CURLOPT_NOSIGNAL).  No global state
 *    besides libcurl's one-time curl_global_init (done by the first client,
 *    under pthread_once).  A client struct is used by one thread at a time. */
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
#define CS_RPC_WINDOW_MAX 256 /* most calls cs_jsonrpc_calls keeps in flight */

/* A parsed http[s]://[user[:password]@]host[:port][/path] URL. */
struct cs_http_url {
    char host[CS_HTTP_HOST_MAX]; /* without brackets for IPv6 */
    char port_str[6];
    uint16_t port;               /* default 80 (http) or 443 (https) */
    int tls;                     /* https:// */
    char path[CS_HTTP_PATH_MAX]; /* starts with '/', query kept, fragment dropped */
    char user[CS_HTTP_CRED_MAX]; /* from the URL's userinfo, percent-decoded; "" if none */
    char password[CS_HTTP_CRED_MAX];
    int has_userinfo;
    char display[CS_HTTP_HOST_MAX + CS_HTTP_PATH_MAX + 16]; /* "http://host:port/path" */
};

/* Parses url into out.  Returns 0 or CS_EUSAGE (with the reason: another
 * scheme, bad port, over-long part, characters not allowed).  No allocation;
 * O(len).  display is also the URL the request goes to (credentials are
 * sent in a header, never in the URL). */
int cs_http_parse_url(const char *url, struct cs_http_url *out) CS_MUST_CHECK;

/* One POST of body (Content-Type: application/json) on a fresh connection that
 * is closed afterwards ("Connection: close"), no retries.  Basic auth is sent
 * when user or password is non-NULL (else the URL's userinfo if any).  https
 * is verified against the system CA store.  timeout_ms (> 0) bounds the whole
 * call; max_response_bytes caps the body (0: 256 MiB).  On 0, *status is the
 * HTTP status and *resp a malloc'd, NUL-terminated body the caller frees
 * (*resp_len bytes, not counting the NUL).  On error *resp is NULL.  Cost:
 * one connection plus O(response) time and memory. */
int cs_http_post(const char *url, const char *user, const char *password, const char *body,
                 size_t body_len, int timeout_ms, size_t max_response_bytes, int *status,
                 char **resp, size_t *resp_len) CS_MUST_CHECK;

/* Reads a bitcoind-style cookie file ("__cookie__:password", optional
 * trailing newline; at most 4 KiB).  *user and *password are malloc'd for the
 * caller to free.  Returns 0, CS_EIO (cannot open/read, errno in the message)
 * or CS_EFORMAT (no ':' or empty user). */
int cs_http_read_cookie(const char *path, char **user, char **password) CS_MUST_CHECK;

/* --------------------------------------------------------- JSON-RPC -- */

/* A JSON-RPC endpoint.  Fields marked "settable" may be changed between calls;
 * the rest are the client's own. */
struct cs_rpc_client {
    struct cs_http_url url;    /* password zeroed after init */
    char *auth;                /* "Basic ..." header value or NULL (owned) */
    char *cacert;              /* settable via cs_rpc_client_set_cacert; NULL: system CAs */
    int timeout_ms;            /* settable: per attempt; default 60000 */
    size_t max_response_bytes; /* settable: 0 or default: 256 MiB */
    size_t max_depth;          /* settable: JSON nesting limit of replies; default 256 */
    int keep_alive;            /* settable: default 1: reuse connections across calls */
    const char *jsonrpc;       /* settable: the "jsonrpc" member sent; default "1.0" (Bitcoin
                                * Core's dialect); EVM nodes (anvil) refuse all but "2.0" */
    unsigned max_tries;        /* settable: attempts per call, >= 1; default 5 */
    unsigned retry_base_ms;    /* settable: first backoff; default 250, doubling */
    unsigned retry_max_ms;     /* settable: cap on one backoff and on Retry-After; default 10000 */
    uint64_t rng;              /* settable: jitter PRNG state (seeded at init from the clock) */
    uint64_t next_id;          /* id of the next request */
    /* libcurl state (opaque): one multi handle holding the connection cache,
     * and a pool of easy handles, one per call in flight. */
    void *multi;
    void **easy;
    unsigned n_easy;
    /* statistics, for tests and progress */
    unsigned long connects;    /* connections opened so far (CURLINFO_NUM_CONNECTS) */
    unsigned long requests;    /* HTTP requests sent, retries included */
    unsigned long retries;     /* attempts that were retried */
    size_t peak_body_capacity; /* largest body buffer ever allocated (<= cap + 1) */
};

/* Sets up a client for url with user/password (NULL: the URL's userinfo, or no
 * auth).  Does not connect.  Returns 0, CS_EUSAGE (bad URL), CS_ENOMEM (libcurl
 * could not start).  Free with cs_rpc_client_close (also after a failed init). */
int cs_rpc_client_init(struct cs_rpc_client *c, const char *url, const char *user,
                       const char *password) CS_MUST_CHECK;
/* Same with the credentials of a cookie file (cs_http_read_cookie). */
int cs_rpc_client_init_cookie(struct cs_rpc_client *c, const char *url,
                              const char *cookie_path) CS_MUST_CHECK;
/* Verifies https peers against the PEM CA file path (NULL: the system store)
 * instead.  The file is read at each new connection; a missing or unreadable
 * file is an error of the call (CS_ENET, naming the file). */
void cs_rpc_client_set_cacert(struct cs_rpc_client *c, const char *path);
/* Closes connections and frees everything.  Safe twice. */
void cs_rpc_client_close(struct cs_rpc_client *c);

/* Calls method with params_json (a JSON array or object as text; NULL means
 * "[]") as {"jsonrpc":"1.0","id":N,"method":...,"params":...}.
 * On 0, doc holds the parsed reply (caller frees with cs_json_doc_free) and
 * *result points to its "result" member (may be a JSON null).  On error doc is
 * empty and *result NULL; the message says:
 *   "<method>: <node's error message> (code N)"      node returned an error (CS_ERPC;
 *                                                     Bitcoin Core sends HTTP 500/404 with it)
 *   "<method>: <url>: HTTP 401 Unauthorized ..."      bad credentials (CS_ERPC)
 *   "<method>: <url>: connection refused (5 tries)"   and other transport errors (CS_ENET)
 * params_json that is not a JSON array/object is CS_EUSAGE.
 * Retries: HTTP 429, 5xx without a JSON-RPC error object, a refused or reset
 * connection and a connection closed without a reply are retried up to
 * max_tries attempts in all, after retry_base_ms * 2^k (capped at
 * retry_max_ms) scaled by a random factor in [0.5, 1], or after the server's
 * Retry-After seconds (capped at retry_max_ms).  Timeouts are not retried (a
 * call that timed out already took its full deadline).  The final error names
 * the method, the URL, the last status or transport error and the tries.
 * Cost: one round trip (plus retries), O(reply) parse. */
int cs_jsonrpc_call(struct cs_rpc_client *c, const char *method, const char *params_json,
                    struct cs_json_doc *doc, const struct cs_json **result) CS_MUST_CHECK;

/* n independent calls (methods[i], params[i] as in cs_jsonrpc_call) with up to
 * window (1..CS_RPC_WINDOW_MAX; 0 means 16) of them in flight at once, each
 * on its own connection, connections kept in the client for the next calls.
 * Calls start in index order; replies may complete in any order.  On 0,
 * docs[i] and results[i] hold call i's reply (free each doc).  On error every
 * doc is freed and every result NULL, calls not yet started are not sent, and
 * the message is that of the first call found failing (same wording as
 * cs_jsonrpc_call).  Each call has its own deadline and retries.
 * Cost: about ceil(n / window) round trips; memory: the n parsed replies plus
 * up to window bodies being received. */
int cs_jsonrpc_calls(struct cs_rpc_client *c, size_t n, const char *const methods[],
                     const char *const params[], struct cs_json_doc docs[],
                     const struct cs_json *results[], unsigned window) CS_MUST_CHECK;

/* n calls in ONE POST carrying a JSON array of requests (JSON-RPC batch, ids
 * consecutive); replies are matched to requests by id, in any order.  On 0,
 * doc holds the whole reply array (free it) and results[i] points to call
 * i's result.  A reply element that carries an error fails the batch with
 * that call's method ("<method>: <message> (code N)"); a missing or duplicate
 * id is CS_ERPC naming the method it belongs to; a reply that is not an array
 * (a node without batch support answers one error object) is CS_ERPC.
 * Retries as for cs_jsonrpc_call, for the whole POST; transport errors are
 * named "<first method> (batch of N): ...".  n is 1..65536.
 * Cost: one round trip; O(total reply) memory, all in one body. */
int cs_jsonrpc_batch(struct cs_rpc_client *c, size_t n, const char *const methods[],
                     const char *const params[], struct cs_json_doc *doc,
                     const struct cs_json *results[]) CS_MUST_CHECK;

#endif
