/* request.c — reading the JSON bodies of the API's POST routes: our own
 * parser (util/json.h: iterative, depth- and size-bounded, duplicate keys
 * refused), then a strict check of the fields, each error naming the field
 * or the byte. */
#include <stdlib.h>
#include <string.h>

#include "server/server.h"
#include "util/json.h"

#define BODY_MAX_DEPTH 64

int cs_server_screen_parse(const char *body, size_t len, struct cs_json_doc *doc,
                           struct cs_server_screen_req *req)
{
    memset(req, 0, sizeof *req);
    memset(doc, 0, sizeof *doc);
    struct cs_json_limits lim = {BODY_MAX_DEPTH, len + 1, "request body"};
    int rc = cs_json_parse(doc, body, len, &lim);
    if (rc) return rc;
    const struct cs_json *root = doc->root, *items = NULL;
    if (root->type != CS_JSON_OBJECT) {
        rc = cs_error(CS_EFORMAT, "request body: byte %zu: expected an object, got %s",
                      root->offset, cs_json_type_name(root->type));
        goto fail;
    }
    req->dirs = 3;
    for (size_t i = 0; i < root->len; i++) {
        const struct cs_json_member *m = &root->u.members[i];
        const struct cs_json *v = &m->value;
        if (!strcmp(m->key, "chain") && strlen(m->key) == m->key_len) {
            if (v->type != CS_JSON_STRING || strlen(v->u.str) != v->len) {
                rc = cs_error(CS_EFORMAT, "request body: byte %zu: \"chain\" must be a string",
                              v->offset);
                goto fail;
            }
            req->chain = v->u.str;
        } else if (!strcmp(m->key, "items") && strlen(m->key) == m->key_len) {
            if (v->type != CS_JSON_ARRAY) {
                rc = cs_error(CS_EFORMAT, "request body: byte %zu: \"items\" must be an array",
                              v->offset);
                goto fail;
            }
            items = v;
        } else if (!strcmp(m->key, "direction") && strlen(m->key) == m->key_len) {
            const char *d = v->type == CS_JSON_STRING ? v->u.str : "";
            if (!strcmp(d, "both"))
                req->dirs = 3;
            else if (!strcmp(d, "in"))
                req->dirs = 1;
            else if (!strcmp(d, "out"))
                req->dirs = 2;
            else {
                rc = cs_error(CS_EFORMAT,
                              "request body: byte %zu: \"direction\" must be \"in\", \"out\" or "
                              "\"both\"",
                              v->offset);
                goto fail;
            }
        } else {
            rc = cs_error(CS_EFORMAT,
                          "request body: byte %zu: unknown field (known: chain, items, direction)",
                          v->offset);
            goto fail;
        }
    }
    if (!req->chain) {
        rc = cs_error(CS_EFORMAT, "request body: \"chain\" is missing");
        goto fail;
    }
    if (!items) {
        rc = cs_error(CS_EFORMAT, "request body: \"items\" is missing");
        goto fail;
    }
    if (items->len > CS_SERVER_MAX_ITEMS) {
        rc = cs_error(CS_ERANGE, "request body: \"items\" has %zu items, at most %d per request",
                      items->len, CS_SERVER_MAX_ITEMS);
        goto fail;
    }
    req->items = malloc((items->len ? items->len : 1) * sizeof *req->items);
    if (!req->items) {
        rc = cs_error(CS_ENOMEM, "request body: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < items->len; i++) {
        const struct cs_json *it = &items->u.items[i];
        if (it->type != CS_JSON_STRING || strlen(it->u.str) != it->len) {
            rc = cs_error(CS_EFORMAT,
                          "request body: byte %zu: items[%zu] must be a string (an address or "
                          "a txid) without NUL",
                          it->offset, i);
            goto fail;
        }
        req->items[i] = it->u.str;
    }
    req->n_items = items->len;
    return 0;
fail:
    cs_server_screen_req_free(req);
    cs_json_doc_free(doc);
    return rc;
}

void cs_server_screen_req_free(struct cs_server_screen_req *req)
{
    free(req->items);
    memset(req, 0, sizeof *req);
}

int cs_server_watch_parse(const char *body, size_t len, int need_name, struct cs_json_doc *doc,
                          struct cs_server_watch_req *req)
{
    memset(req, 0, sizeof *req);
    memset(doc, 0, sizeof *doc);
    struct cs_json_limits lim = {BODY_MAX_DEPTH, len + 1, "request body"};
    int rc = cs_json_parse(doc, body, len, &lim);
    if (rc) return rc;
    const struct cs_json *root = doc->root, *items = NULL;
    if (root->type != CS_JSON_OBJECT) {
        rc = cs_error(CS_EFORMAT, "request body: byte %zu: expected an object, got %s",
                      root->offset, cs_json_type_name(root->type));
        goto fail;
    }
    for (size_t i = 0; i < root->len; i++) {
        const struct cs_json_member *m = &root->u.members[i];
        const struct cs_json *v = &m->value;
        int plain = strlen(m->key) == m->key_len;
        if (need_name && plain && !strcmp(m->key, "name")) {
            if (v->type != CS_JSON_STRING || strlen(v->u.str) != v->len || !v->len ||
                v->len > 200) {
                rc = cs_error(CS_EFORMAT,
                              "request body: byte %zu: \"name\" must be a string of 1 to 200 "
                              "bytes without NUL",
                              v->offset);
                goto fail;
            }
            req->name = v->u.str;
        } else if (plain && !strcmp(m->key, "items")) {
            if (v->type != CS_JSON_ARRAY) {
                rc = cs_error(CS_EFORMAT, "request body: byte %zu: \"items\" must be an array",
                              v->offset);
                goto fail;
            }
            items = v;
        } else {
            rc = cs_error(CS_EFORMAT, "request body: byte %zu: unknown field (known: %s)",
                          v->offset, need_name ? "name, items" : "items");
            goto fail;
        }
    }
    if (need_name && !req->name) {
        rc = cs_error(CS_EFORMAT, "request body: \"name\" is missing");
        goto fail;
    }
    if (!need_name && !items) {
        rc = cs_error(CS_EFORMAT, "request body: \"items\" is missing");
        goto fail;
    }
    size_t n = items ? items->len : 0;
    if (n > CS_SERVER_MAX_WATCH_ITEMS) {
        rc = cs_error(CS_ERANGE, "request body: \"items\" has %zu items, at most %d per request", n,
                      CS_SERVER_MAX_WATCH_ITEMS);
        goto fail;
    }
    req->items = malloc((n ? n : 1) * sizeof *req->items);
    if (!req->items) {
        rc = cs_error(CS_ENOMEM, "request body: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        const struct cs_json *it = &items->u.items[i];
        if (it->type != CS_JSON_STRING || strlen(it->u.str) != it->len) {
            rc = cs_error(CS_EFORMAT,
                          "request body: byte %zu: items[%zu] must be an address string without "
                          "NUL",
                          it->offset, i);
            goto fail;
        }
        req->items[i] = it->u.str;
    }
    req->n_items = n;
    return 0;
fail:
    cs_server_watch_req_free(req);
    cs_json_doc_free(doc);
    return rc;
}

void cs_server_watch_req_free(struct cs_server_watch_req *req)
{
    free(req->items);
    memset(req, 0, sizeof *req);
}
