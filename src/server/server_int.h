/* server_int.h — private to src/server: the per-thread snapshot and the
 * handlers' reply type. */
#ifndef CS_SERVER_SERVER_INT_H
#define CS_SERVER_SERVER_INT_H

#include <pthread.h>
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
    char *body; /* malloc'd */
    size_t len;
    const char *allow; /* 405: the Allow header */
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

#endif
