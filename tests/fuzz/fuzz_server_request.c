/* fuzz_server_request.c — libFuzzer target: the body parser of POST
 * /v1/screen (server/request.c) on arbitrary bytes.
 *
 * Besides "no crash, no hang, no leak": an accepted body has a chain, at most
 * CS_SERVER_MAX_ITEMS items, each a NUL-free string, and one to both
 * directions; a refused one is CS_EFORMAT, CS_ERANGE or CS_ENOMEM with a
 * message naming the request body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cs_json_doc doc;
    struct cs_server_screen_req req;
    int rc = cs_server_screen_parse((const char *)data, size, &doc, &req);
    if (rc) {
        if (rc != CS_EFORMAT && rc != CS_ERANGE && rc != CS_ENOMEM) abort();
        if (!strstr(cs_errmsg(), "request body")) abort();
        return 0;
    }
    if (!req.chain || req.n_items > CS_SERVER_MAX_ITEMS || req.dirs < 1 || req.dirs > 3) abort();
    for (size_t i = 0; i < req.n_items; i++)
        if (!req.items[i]) abort();
    cs_server_screen_req_free(&req);
    cs_json_doc_free(&doc);
    return 0;
}
