/* server.h — `chainsleuth serve`: the screening HTTP API (HTTP/1.1, JSON,
 * under /v1) on libmicrohttpd.  docs/openapi.json describes every route.
 *
 * Invariants:
 *  - libmicrohttpd parses HTTP; this module only routes decoded paths and
 *    reads bodies that it has bounded (max_body bytes; more is 413).
 *  - Every answer the handlers make is JSON; every error is
 *    {"error":{"code":"...","message":"..."}} with a 4xx/5xx status.
 *  - Each request is answered from one store snapshot (btc/store.h): the
 *    serving thread keeps its own snapshot and, before a request, moves it to
 *    the newest commit when MANIFEST (or the tags, the clustering or the
 *    exposure index) changed since it was opened.  A request never sees two
 *    commits; ingest may write the store meanwhile.
 *  - Bounds: connections (max_connections, and per IP), an idle/slow-client
 *    timeout, the body size, 1,000 items per screen, the URL length.
 *  - State (watchlists, alerts, how far the watcher scanned) is in
 *    DB/server.sqlite, WAL mode (state.c); a watcher thread turns new blocks
 *    into alerts and pushes them to Server-Sent Event streams (watch.c).
 *  - cs_server_run returns when *stop becomes non-zero: it stops accepting,
 *    ends the watcher and the alert streams, lets requests in flight finish
 *    (at most drain_ms), then closes.
 *
 * Not built yet: API keys, POST /v1/trace, GET /v1/entity, webhooks,
 * watchlists of clusters or traces. */
#ifndef CS_SERVER_SERVER_H
#define CS_SERVER_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define CS_SERVER_MAX_ITEMS 1000

struct cs_server_opts {
    const char *dbdir;
    const char *host;   /* numeric IPv4 or IPv6 address to bind */
    unsigned port;      /* 0: an ephemeral port (see cs_server_run's ready) */
    const char *config; /* risk model config file (risk/risk.h), or NULL */
    unsigned threads;   /* serving threads (each with its own snapshot) */
    unsigned max_connections;
    unsigned per_ip_connections;
    unsigned timeout_s;  /* idle / slow client timeout */
    size_t max_body;     /* request body limit (bytes) */
    unsigned drain_ms;   /* how long a stop waits for requests in flight */
    const char *openapi; /* the OpenAPI document served at /v1/openapi.json */
    size_t openapi_len;
    const char *version; /* reported by /v1/info */
};

/* Defaults: 127.0.0.1:8080, 2 threads, 256 connections (64 per IP), 30 s,
 * 1 MiB bodies, 10 s drain. */
void cs_server_opts_default(struct cs_server_opts *o);

/* Opens the store (the first snapshot, which also checks that it can be
 * served), binds, calls ready(ctx, port) once listening, and serves until
 * *stop.  Returns 0 after a clean stop, or an error (the store cannot be
 * opened, the config is bad, the address cannot be bound) with the message
 * recorded. */
int cs_server_run(const struct cs_server_opts *o, volatile sig_atomic_t *stop,
                  void (*ready)(void *ctx, unsigned port), void *ctx) CS_MUST_CHECK;

/* ---- request bodies (request.c; pure, fuzzed by tests/fuzz/fuzz_server_request.c) ---- */

struct cs_json_doc;

/* POST /v1/screen: {"chain":"btc","items":["...",...],"direction":"in|out|both"}
 * ("direction" optional, default both; no other member allowed). */
struct cs_server_screen_req {
    const char *chain;
    const char **items; /* n_items strings, borrowed from doc; malloc'd array */
    size_t n_items;
    int dirs; /* bit (1 << dir) per direction */
};

/* Parses body (len bytes, at most max_body) into doc and req.  Returns 0, or
 * CS_EFORMAT (malformed JSON: "request body: byte N: ..."; a missing, wrong
 * or unknown field, named; JSON nested deeper than 64), CS_ERANGE (more
 * than CS_SERVER_MAX_ITEMS items), CS_ENOMEM.  On error nothing needs freeing; on
 * success call cs_server_screen_req_free and cs_json_doc_free. */
int cs_server_screen_parse(const char *body, size_t len, struct cs_json_doc *doc,
                           struct cs_server_screen_req *req) CS_MUST_CHECK;
void cs_server_screen_req_free(struct cs_server_screen_req *req);

#define CS_SERVER_MAX_WATCH_ITEMS 10000

/* POST /v1/watchlists {"name":"...","items":[...]} (need_name: name required;
 * items optional, default none) and POST /v1/watchlists/{id}/items
 * {"items":[...]} (need_name 0: no name allowed).  Same errors as
 * cs_server_screen_parse (CS_ERANGE past CS_SERVER_MAX_WATCH_ITEMS items);
 * a name is 1..200 bytes.  Free as there. */
struct cs_server_watch_req {
    const char *name;
    const char **items;
    size_t n_items;
};
int cs_server_watch_parse(const char *body, size_t len, int need_name, struct cs_json_doc *doc,
                          struct cs_server_watch_req *req) CS_MUST_CHECK;
void cs_server_watch_req_free(struct cs_server_watch_req *req);

#endif
