/* server_int.h — private to src/server: the per-thread snapshot and the
 * handlers' reply type. */
#ifndef CS_SERVER_SERVER_INT_H
#define CS_SERVER_SERVER_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "btc/store.h"
#include "cluster/cluster.h"
#include "risk/risk.h"
#include "server/server.h"
#include "trace/attrib.h"

/* What a snapshot was opened from: identity of each file whose change means
 * "open a new one" (a commit renames MANIFEST over the old, so the inode
 * changes; tags, clustering and index files are rewritten atomically too). */
#define SNAP_NFILES 5
struct snap_key {
    struct {
        dev_t dev;
        ino_t ino;
        off_t size;
        long mtime_s, mtime_ns;
        int exists;
    } f[SNAP_NFILES];
};

/* One serving thread's view: the store snapshot and everything derived from
 * it.  Used by one thread only; rebuilt whole when the key changes. */
struct snap {
    struct cs_store *s;
    struct cs_risk_store *rs;
    struct cs_risk_index *ix;
    struct cs_attrib *at;     /* entity per address (trace/attrib.h rules) */
    struct cs_clusterdb *cdb; /* NULL: no clustering matching the store */
    struct cs_tagdb *tags;    /* the tag table (NULL: none), for an address's own tags */
    struct cs_risk_screen_ctx sc;
    struct snap_key key;
    char risk_note[512];
    char index_state[16]; /* "used", "absent", "stale", "unreadable" */
    char index_why[256];
    uint64_t generation; /* server-wide count of snapshots opened */
    int64_t opened;      /* unix time */
};

struct srv {
    struct cs_server_opts o;
    struct cs_risk_config cfg;
    atomic_uint_fast64_t generations;
    atomic_int inflight;
    atomic_uint_fast64_t requests;
    /* every thread's slot, freed at stop */
    pthread_mutex_t mu;
    struct snap_slot {
        struct snap *cur;
        struct snap_slot *next;
    } * slots;
    int64_t started;
    /* state (state.c): one SQLite connection under sql_mu */
    sqlite3 *sql;
    pthread_mutex_t sql_mu;
    atomic_uint_fast64_t wl_version; /* bumped when watchlists change */
    /* the watcher (watch.c) and the alert streams */
    pthread_t watcher;
    int watcher_running;
    atomic_int stopping;
    pthread_mutex_t sse_mu;
    struct cs_srv_sse *suspended;       /* streams waiting for an alert (under sse_mu) */
    atomic_uint_fast64_t alert_seq;     /* bumped after each batch of alerts commits */
    atomic_int_fast64_t watched_height; /* last block the watcher scanned (-1: none yet) */
    int64_t last_heartbeat_ms;
};

/* The calling thread's snapshot, moved to the newest commit first if the
 * store changed.  0, or an error (the store cannot be opened; a failed
 * refresh keeps the old snapshot and is not an error unless there is none). */
int cs_srv_snap_get(struct srv *sv, struct snap **out) CS_MUST_CHECK;
/* Opens a snapshot (flags: CS_STORE_NOCHECK for refreshes). */
int cs_srv_snap_open(struct srv *sv, int flags, struct snap **out) CS_MUST_CHECK;
void cs_srv_snap_free(struct snap *sn);
/* Drops every thread's snapshot (at stop, after the threads ended). */
void cs_srv_snap_free_all(struct srv *sv);

struct reply {
    unsigned status;
    int sse; /* GET /v1/alerts/stream: start a stream after sse_after */
    int64_t sse_after;
    char *body; /* malloc'd */
    size_t len;
    const char *allow; /* 405: the Allow header */
    char allow_buf[64];
    const char *ctype; /* NULL: application/json */
};
void cs_srv_reply_error(struct reply *r, unsigned status, const char *code, const char *fmt, ...)
    CS_PRINTF(4, 5);
/* Finishes a buffer writer into r (500 on a writer error). */
void cs_srv_reply_json(struct reply *r, unsigned status, struct cs_json_writer *w);

/* Handlers (api.c).  seg: the path's segments after /v1/ (decoded). */
void cs_srv_api_health(struct srv *sv, struct reply *r);
void cs_srv_api_info(struct srv *sv, struct reply *r);
void cs_srv_api_address(struct srv *sv, const char *chain, const char *addr, int risk_only,
                        struct reply *r);
void cs_srv_api_tx(struct srv *sv, const char *chain, const char *txid, struct reply *r);
void cs_srv_api_screen(struct srv *sv, const char *body, size_t len, struct reply *r);

/* ---- state (state.c); callers hold sv->sql_mu ---- */
int cs_srv_state_open(struct srv *sv) CS_MUST_CHECK;
void cs_srv_state_close(struct srv *sv);
int cs_srv_state_exec(struct srv *sv, const char *q) CS_MUST_CHECK;
int cs_srv_wl_create(struct srv *sv, const char *name, int64_t now, int64_t *id) CS_MUST_CHECK;
/* 0, CS_ENOTFOUND, CS_EIO */
int cs_srv_wl_exists(struct srv *sv, int64_t id, char *name, size_t cap, int64_t *created);
int cs_srv_wl_delete(struct srv *sv, int64_t id);
int cs_srv_wl_add(struct srv *sv, int64_t id, const char *addr, int64_t now, int *added);
int cs_srv_wl_remove(struct srv *sv, int64_t id, const char *addr);
int cs_srv_wl_items(struct srv *sv, int64_t id, void (*fn)(void *, int64_t, const char *, int64_t),
                    void *ctx);
int cs_srv_wl_list(struct srv *sv, void (*fn)(void *, int64_t, const char *, int64_t, int64_t),
                   void *ctx);
int cs_srv_alert_add(struct srv *sv, int64_t wl, const char *addr, const char *txid, int64_t height,
                     const char *block, int64_t created_ms, const char *body);
/* alerts with id > after (of watchlist wl, or all when wl < 0), at most limit,
 * ascending; *last the last id given (-1: none) */
int cs_srv_alerts(struct srv *sv, int64_t after, int64_t wl, unsigned limit,
                  void (*fn)(void *, int64_t, int, const char *), void *ctx, int64_t *last);
int cs_srv_scanned_top(struct srv *sv, int64_t *height, char hash[65]);
int cs_srv_scanned_hash(struct srv *sv, int64_t height, char hash[65]);
int cs_srv_scanned_set(struct srv *sv, int64_t height, const char *hash);
int cs_srv_unscan_above(struct srv *sv, int64_t fork);

/* ---- the watcher and the alert streams (watch.c) ---- */
int cs_srv_watch_start(struct srv *sv) CS_MUST_CHECK;
/* wakes every stream (new alerts, heartbeat, stop) */
void cs_srv_sse_wake(struct srv *sv);
void cs_srv_watch_stop(struct srv *sv);
struct MHD_Connection;
struct MHD_Response;
/* the response of GET /v1/alerts/stream for conn, from alert id after */
struct MHD_Response *cs_srv_sse_response(struct srv *sv, struct MHD_Connection *conn,
                                         int64_t after);
/* {"id":N,"orphaned":B, ...body} into w */
void cs_srv_alert_json(struct cs_json_writer *w, int64_t id, int orphaned, const char *body);

/* ---- watchlist and alert handlers (api_watch.c) ---- */
void cs_srv_api_wl_create(struct srv *sv, const char *body, size_t len, struct reply *r);
void cs_srv_api_wl_list(struct srv *sv, struct reply *r);
void cs_srv_api_wl_get(struct srv *sv, int64_t id, int items_only, struct reply *r);
void cs_srv_api_wl_delete(struct srv *sv, int64_t id, struct reply *r);
void cs_srv_api_wl_add(struct srv *sv, int64_t id, const char *body, size_t len, struct reply *r);
void cs_srv_api_wl_remove(struct srv *sv, int64_t id, const char *addr, struct reply *r);
void cs_srv_api_alerts(struct srv *sv, const char *cursor, const char *limit, const char *wl,
                       struct reply *r);

#endif
