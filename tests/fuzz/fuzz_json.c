/* fuzz_json.c — libFuzzer target: cs_json_parse on arbitrary bytes.
 *
 * Besides "no crash, no hang, no leak", every accepted document must survive
 * write -> parse with an equal DOM, writing must be idempotent, and the number
 * helpers must run on every number.  The first input byte picks the writer
 * flags and a small depth limit so that the limit paths are reached too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

static void touch_numbers(const struct cs_json *n)
{
    uint64_t u;
    int64_t i;
    double d;
    switch (n->type) {
    case CS_JSON_NUMBER:
        (void)!cs_json_get_u64(n, &u);
        (void)!cs_json_get_i64(n, &i);
        (void)!cs_json_get_u64_scaled(n, 8, &u);
        (void)!cs_json_get_double(n, &d);
        break;
    case CS_JSON_ARRAY:
        for (size_t k = 0; k < n->len; k++)
            touch_numbers(&n->u.items[k]);
        break;
    case CS_JSON_OBJECT:
        for (size_t k = 0; k < n->len; k++) {
            const struct cs_json_member *m = &n->u.members[k];
            if (cs_json_get_n(n, m->key, m->key_len) == NULL) abort(); /* index finds every key */
            touch_numbers(&m->value);
        }
        break;
    default:
        break;
    }
}

static char *write_node(const struct cs_json *n, int flags, size_t *len)
{
    struct cs_json_writer w;
    char *out;
    cs_json_writer_init_buf(&w, flags);
    cs_json_writer_node(&w, n);
    if (cs_json_writer_finish(&w, &out, len)) abort();
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    int flags = data[0] & 7;
    struct cs_json_limits lim = {(data[0] & 0x80) ? 8 : 200, 1 << 20, "fuzz"};
    struct cs_json_doc doc, again;
    if (cs_json_parse(&doc, (const char *)data + 1, size - 1, &lim)) return 0;
    touch_numbers(doc.root);
    size_t n1, n2;
    char *out1 = write_node(doc.root, flags, &n1);
    struct cs_json_limits lim2 = {200, 0, "fuzz rewrite"};
    if (cs_json_parse(&again, out1, n1, &lim2)) abort();
    if (!cs_json_equal(doc.root, again.root)) abort();
    char *out2 = write_node(again.root, flags, &n2);
    if (n1 != n2 || memcmp(out1, out2, n1)) abort();
    free(out1);
    free(out2);
    cs_json_doc_free(&again);
    cs_json_doc_free(&doc);
    return 0;
}
