/* state.c — the server's own state in SQLite (DB/server.sqlite, WAL mode):
 * watchlists, their addresses, alerts and how far the watcher has scanned.
 *
 * One connection, guarded by one mutex (statements are short: a handful of
 * rows per request, one transaction per scanned block).  WAL lets other
 * processes (sqlite3 DB/server.sqlite) read while the server writes; a
 * kill -9 loses at most the transaction in progress, and a block's alerts
 * and its "scanned" row commit together, so a restart neither repeats nor
 * drops a block's alerts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS watchlists("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS watch_items("
    " watchlist INTEGER NOT NULL REFERENCES watchlists(id) ON DELETE CASCADE,"
    " address TEXT NOT NULL, added INTEGER NOT NULL, PRIMARY KEY(watchlist, address));"
    "CREATE TABLE IF NOT EXISTS alerts("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, watchlist INTEGER NOT NULL, address TEXT NOT NULL,"
    " txid TEXT NOT NULL, height INTEGER NOT NULL, block TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL, orphaned INTEGER NOT NULL DEFAULT 0, body TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS scanned(height INTEGER PRIMARY KEY, hash TEXT NOT NULL);";

static int sql_err(struct srv *sv, const char *what)
{
    return cs_error(CS_EIO, "%s/server.sqlite: %s: %s", sv->o.dbdir, what, sqlite3_errmsg(sv->sql));
}

int cs_srv_state_open(struct srv *sv)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/server.sqlite", sv->o.dbdir);
    if (sqlite3_open_v2(p, &sv->sql,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        int rc = cs_error(CS_EIO, "%s: %s", p, sv->sql ? sqlite3_errmsg(sv->sql) : "cannot open");
        sqlite3_close(sv->sql);
        sv->sql = NULL;
        return rc;
    }
    sqlite3_busy_timeout(sv->sql, 5000);
    char *msg = NULL;
    if (sqlite3_exec(sv->sql,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                     NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(sv->sql, SCHEMA, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = cs_error(CS_EIO, "%s: %s", p, msg ? msg : sqlite3_errmsg(sv->sql));
        sqlite3_free(msg);
        sqlite3_close(sv->sql);
        sv->sql = NULL;
        return rc;
    }
    return 0;
}

void cs_srv_state_close(struct srv *sv)
{
    if (sv->sql) sqlite3_close(sv->sql);
    sv->sql = NULL;
}

/* ---- small helpers over one statement ---- */

static sqlite3_stmt *prep(struct srv *sv, const char *q)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(sv->sql, q, -1, &st, NULL) != SQLITE_OK) return NULL;
    return st;
}

int cs_srv_state_exec(struct srv *sv, const char *q)
{
    char *msg = NULL;
    if (sqlite3_exec(sv->sql, q, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = cs_error(CS_EIO, "%s/server.sqlite: %s", sv->o.dbdir,
                          msg ? msg : sqlite3_errmsg(sv->sql));
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

int cs_srv_wl_create(struct srv *sv, const char *name, int64_t now, int64_t *id)
{
    sqlite3_stmt *st = prep(sv, "INSERT INTO watchlists(name, created) VALUES(?, ?)");
    if (!st) return sql_err(sv, "insert watchlist");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, now);
    int ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    if (!ok) return sql_err(sv, "insert watchlist");
    *id = sqlite3_last_insert_rowid(sv->sql);
    return 0;
}

int cs_srv_wl_exists(struct srv *sv, int64_t id, char *name, size_t cap, int64_t *created)
{
    sqlite3_stmt *st = prep(sv, "SELECT name, created FROM watchlists WHERE id = ?");
    if (!st) return sql_err(sv, "select watchlist");
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (name) snprintf(name, cap, "%s", (const char *)sqlite3_column_text(st, 0));
        if (created) *created = sqlite3_column_int64(st, 1);
        sqlite3_finalize(st);
        return 0;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return cs_error(CS_ENOTFOUND, "no watchlist %lld", (long long)id);
    return sql_err(sv, "select watchlist");
}

int cs_srv_wl_delete(struct srv *sv, int64_t id)
{
    sqlite3_stmt *st = prep(sv, "DELETE FROM watchlists WHERE id = ?");
    if (!st) return sql_err(sv, "delete watchlist");
    sqlite3_bind_int64(st, 1, id);
    int ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    if (!ok) return sql_err(sv, "delete watchlist");
    if (!sqlite3_changes(sv->sql))
        return cs_error(CS_ENOTFOUND, "no watchlist %lld", (long long)id);
    return 0;
}

int cs_srv_wl_add(struct srv *sv, int64_t id, const char *addr, int64_t now, int *added)
{
    sqlite3_stmt *st =
        prep(sv, "INSERT OR IGNORE INTO watch_items(watchlist, address, added) VALUES(?, ?, ?)");
    if (!st) return sql_err(sv, "insert item");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, addr, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now);
    int ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    if (!ok) return sql_err(sv, "insert item");
    *added = sqlite3_changes(sv->sql) > 0;
    return 0;
}

int cs_srv_wl_remove(struct srv *sv, int64_t id, const char *addr)
{
    sqlite3_stmt *st = prep(sv, "DELETE FROM watch_items WHERE watchlist = ? AND address = ?");
    if (!st) return sql_err(sv, "delete item");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, addr, -1, SQLITE_TRANSIENT);
    int ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    if (!ok) return sql_err(sv, "delete item");
    if (!sqlite3_changes(sv->sql))
        return cs_error(CS_ENOTFOUND, "address %s is not on watchlist %lld", addr, (long long)id);
    return 0;
}

/* (watchlist, address) rows of one list (id >= 0) or of all (id < 0) */
int cs_srv_wl_items(struct srv *sv, int64_t id, void (*fn)(void *, int64_t, const char *, int64_t),
                    void *ctx)
{
    sqlite3_stmt *st =
        prep(sv, id >= 0 ? "SELECT watchlist, address, added FROM watch_items WHERE watchlist = ? "
                           "ORDER BY address"
                         : "SELECT watchlist, address, added FROM watch_items ORDER BY watchlist, "
                           "address");
    if (!st) return sql_err(sv, "select items");
    if (id >= 0) sqlite3_bind_int64(st, 1, id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
           sqlite3_column_int64(st, 2));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sql_err(sv, "select items");
}

int cs_srv_wl_list(struct srv *sv, void (*fn)(void *, int64_t, const char *, int64_t, int64_t),
                   void *ctx)
{
    sqlite3_stmt *st = prep(sv, "SELECT w.id, w.name, w.created, (SELECT count(*) FROM "
                                "watch_items i WHERE i.watchlist = w.id) FROM watchlists w "
                                "ORDER BY w.id");
    if (!st) return sql_err(sv, "select watchlists");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
           sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sql_err(sv, "select watchlists");
}

int cs_srv_alert_add(struct srv *sv, int64_t wl, const char *addr, const char *txid, int64_t height,
                     const char *block, int64_t created_ms, const char *body)
{
    sqlite3_stmt *st = prep(sv, "INSERT INTO alerts(watchlist, address, txid, height, block, "
                                "created_ms, body) VALUES(?, ?, ?, ?, ?, ?, ?)");
    if (!st) return sql_err(sv, "insert alert");
    sqlite3_bind_int64(st, 1, wl);
    sqlite3_bind_text(st, 2, addr, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, txid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, height);
    sqlite3_bind_text(st, 5, block, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, created_ms);
    sqlite3_bind_text(st, 7, body, -1, SQLITE_TRANSIENT);
    int ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok ? 0 : sql_err(sv, "insert alert");
}

int cs_srv_alerts(struct srv *sv, int64_t after, int64_t wl, unsigned limit,
                  void (*fn)(void *, int64_t, int, const char *), void *ctx, int64_t *last)
{
    sqlite3_stmt *st = prep(sv, wl >= 0 ? "SELECT id, orphaned, body FROM alerts WHERE id > ? AND "
                                          "watchlist = ? ORDER BY id LIMIT ?"
                                        : "SELECT id, orphaned, body FROM alerts WHERE id > ? "
                                          "AND ? < 0 ORDER BY id LIMIT ?");
    if (!st) return sql_err(sv, "select alerts");
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, wl);
    sqlite3_bind_int64(st, 3, limit);
    int rc;
    *last = -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *last = sqlite3_column_int64(st, 0);
        fn(ctx, *last, sqlite3_column_int(st, 1), (const char *)sqlite3_column_text(st, 2));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sql_err(sv, "select alerts");
}

int cs_srv_scanned_top(struct srv *sv, int64_t *height, char hash[65])
{
    sqlite3_stmt *st = prep(sv, "SELECT height, hash FROM scanned ORDER BY height DESC LIMIT 1");
    if (!st) return sql_err(sv, "select scanned");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *height = sqlite3_column_int64(st, 0);
        snprintf(hash, 65, "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return 0;
    return rc == SQLITE_DONE ? CS_ENOTFOUND : sql_err(sv, "select scanned");
}

int cs_srv_scanned_hash(struct srv *sv, int64_t height, char hash[65])
{
    sqlite3_stmt *st = prep(sv, "SELECT hash FROM scanned WHERE height = ?");
    if (!st) return sql_err(sv, "select scanned");
    sqlite3_bind_int64(st, 1, height);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) snprintf(hash, 65, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return 0;
    return rc == SQLITE_DONE ? CS_ENOTFOUND : sql_err(sv, "select scanned");
}

int cs_srv_scanned_set(struct srv *sv, int64_t height, const char *hash)
{
    sqlite3_stmt *st = prep(sv, "INSERT OR REPLACE INTO scanned(height, hash) VALUES(?, ?)");
    if (!st) return sql_err(sv, "insert scanned");
    sqlite3_bind_int64(st, 1, height);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
    int ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    if (!ok) return sql_err(sv, "insert scanned");
    /* keep the last 1,000: enough to find a fork point */
    st = prep(sv, "DELETE FROM scanned WHERE height <= ?");
    if (!st) return sql_err(sv, "prune scanned");
    sqlite3_bind_int64(st, 1, height - 1000);
    ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok ? 0 : sql_err(sv, "prune scanned");
}

int cs_srv_unscan_above(struct srv *sv, int64_t fork)
{
    sqlite3_stmt *st = prep(sv, "UPDATE alerts SET orphaned = 1 WHERE height > ?");
    if (!st) return sql_err(sv, "orphan alerts");
    sqlite3_bind_int64(st, 1, fork);
    int ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    if (!ok) return sql_err(sv, "orphan alerts");
    st = prep(sv, "DELETE FROM scanned WHERE height > ?");
    if (!st) return sql_err(sv, "unscan");
    sqlite3_bind_int64(st, 1, fork);
    ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok ? 0 : sql_err(sv, "unscan");
}
