/* test_evm_trace.c — internal transfers from geth's callTracer
 * (cs_evm_calltracer_frames) on geth's own tracer test fixtures
 * ($SHARED/data/eth/geth-tracer-fixtures): the value-moving frames of each
 * expected trace, reverted frames (and everything under them) excluded, the
 * top-level frame left to the tx's own value.  The expected counts and sums
 * were computed independently with a Python walk of the same JSON files
 * (CALL/CREATE/CREATE2/SELFDESTRUCT frames below the top with value > 0, none
 * under a frame carrying "error"), and are written here as literals.  Plus a
 * hand-made tree for DELEGATECALL children and a reverted branch, and the
 * trace_block (parity) form on ethereum-etl's recorded replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "evm/ingest.h"
#include "evm/ledger.h"
#include "util/json.h"

static const char *shared_dir(void)
{
    const char *s = getenv("SHARED");
    return s ? s : "../shared";
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0, k;
    char *b = malloc(cap);
    while ((k = fread(b + n, 1, cap - n, f)) > 0)
        if ((n += k) == cap) b = realloc(b, cap *= 2);
    fclose(f);
    *len = n;
    return b;
}

/* frames of one fixture file: count, and the sum's low and high 64 bits */
static int frames_of(const char *rel, size_t *count, struct cs_u256 *sum)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/data/eth/geth-tracer-fixtures/%s", shared_dir(), rel);
    size_t len;
    char *buf = read_file(p, &len);
    if (!buf) return -1;
    struct cs_json_doc doc = {0};
    assert_int_equal(cs_json_parse(&doc, buf, len, NULL), 0);
    const struct cs_json *res = cs_json_get(doc.root, "result");
    assert_non_null(res);
    struct cs_evm_frame *f = NULL;
    size_t n = 0, cap = 0;
    assert_int_equal(cs_evm_calltracer_frames(res, &f, &n, &cap), 0);
    memset(sum, 0, sizeof *sum);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(cs_u256_add(sum, sum, &f[i].value), 0);
    *count = n;
    free(f);
    cs_json_doc_free(&doc);
    free(buf);
    return 0;
}

static void test_geth_fixtures(void **st)
{
    (void)st;
    static const struct {
        const char *file;
        size_t n;
        const char *sum; /* decimal */
    } E[] = {
        {"call_tracer/blob_tx.json", 0, "0"},
        {"call_tracer/create.json", 0, "0"},
        {"call_tracer/deep_calls.json", 0, "0"},
        {"call_tracer/delegatecall.json", 0, "0"},
        {"call_tracer/inner_create_oog_outer_throw.json", 0, "0"},
        {"call_tracer/inner_instafail.json", 0, "0"},
        {"call_tracer/inner_revert_reason.json", 0, "0"},
        {"call_tracer/inner_throw_outer_revert.json", 0, "0"},
        {"call_tracer/oog.json", 0, "0"},
        {"call_tracer/revert.json", 0, "0"},
        {"call_tracer/revert_reason.json", 0, "0"},
        {"call_tracer/selfdestruct.json", 1, "22882074780407317765077"},
        {"call_tracer/simple.json", 1, "500000000000000000"},
        {"call_tracer/simple_onlytop.json", 0, "0"},
        {"call_tracer/throw.json", 0, "0"},
        /* a frame with value under a failing one: reverted, not counted */
        {"call_tracer_legacy/inner_instafail.json", 0, "0"},
        {"call_tracer_legacy/selfdestruct.json", 1, "22882074780407317765077"},
        {"call_tracer_legacy/simple.json", 1, "500000000000000000"},
        {"call_tracer_withLog/multi_contracts.json", 3, "159999999999999999998"},
        {"call_tracer_withLog/notopic.json", 1, "6646973012399700"},
        {"call_tracer_withLog/tx_failed.json", 0, "0"},
    };
    char d[600];
    snprintf(d, sizeof d, "%s/data/eth/geth-tracer-fixtures/call_tracer", shared_dir());
    FILE *probe = fopen(d, "r");
    if (!probe) {
        print_message("skip: %s absent (shared data is not part of a clone)\n", d);
        skip();
    }
    fclose(probe);
    for (size_t i = 0; i < sizeof E / sizeof E[0]; i++) {
        size_t n;
        struct cs_u256 sum, want;
        assert_int_equal(frames_of(E[i].file, &n, &sum), 0);
        assert_int_equal(cs_u256_from_dec(&want, E[i].sum, strlen(E[i].sum)), 0);
        if (n != E[i].n || cs_u256_cmp(&sum, &want))
            fail_msg("%s: %zu frames, want %zu (or the sum differs)", E[i].file, n, E[i].n);
    }
}

static void test_tree(void **st)
{
    (void)st;
    /* top CALL 5 wei (the tx's own value) -> DELEGATECALL (moves nothing) ->
     * CALL 7 wei to B; a reverted CALL 11 with a CALL 13 under it; a
     * SELFDESTRUCT of 17 wei to C; a STATICCALL; a zero-value CALL */
    static const char J[] =
        "{\"type\":\"CALL\",\"from\":\"0x00000000000000000000000000000000000000a1\","
        "\"to\":\"0x00000000000000000000000000000000000000a2\",\"value\":\"0x5\",\"calls\":["
        "{\"type\":\"DELEGATECALL\",\"from\":\"0x00000000000000000000000000000000000000a2\","
        "\"to\":\"0x00000000000000000000000000000000000000a3\",\"calls\":["
        "{\"type\":\"CALL\",\"from\":\"0x00000000000000000000000000000000000000a2\","
        "\"to\":\"0x00000000000000000000000000000000000000b0\",\"value\":\"0x7\"}]},"
        "{\"type\":\"CALL\",\"error\":\"execution reverted\",\"from\":"
        "\"0x00000000000000000000000000000000000000a2\",\"to\":"
        "\"0x00000000000000000000000000000000000000a4\",\"value\":\"0xb\",\"calls\":["
        "{\"type\":\"CALL\",\"from\":\"0x00000000000000000000000000000000000000a4\","
        "\"to\":\"0x00000000000000000000000000000000000000a5\",\"value\":\"0xd\"}]},"
        "{\"type\":\"SELFDESTRUCT\",\"from\":\"0x00000000000000000000000000000000000000a2\","
        "\"to\":\"0x00000000000000000000000000000000000000c0\",\"value\":\"0x11\"},"
        "{\"type\":\"STATICCALL\",\"from\":\"0x00000000000000000000000000000000000000a2\","
        "\"to\":\"0x00000000000000000000000000000000000000a6\"},"
        "{\"type\":\"CALL\",\"from\":\"0x00000000000000000000000000000000000000a2\","
        "\"to\":\"0x00000000000000000000000000000000000000a7\",\"value\":\"0x0\"}]}";
    struct cs_json_doc doc = {0};
    assert_int_equal(cs_json_parse(&doc, J, sizeof J - 1, NULL), 0);
    struct cs_evm_frame *f = NULL;
    size_t n = 0, cap = 0;
    assert_int_equal(cs_evm_calltracer_frames(doc.root, &f, &n, &cap), 0);
    assert_int_equal(n, 2);
    assert_int_equal(f[0].kind, CS_XK_INTERNAL);
    assert_int_equal(f[0].value.w[0], 7);
    assert_int_equal(f[0].to[19], 0xb0);
    assert_int_equal(f[1].kind, CS_XK_SELFDESTRUCT);
    assert_int_equal(f[1].value.w[0], 17);
    assert_int_equal(f[1].to[19], 0xc0);
    free(f);
    cs_json_doc_free(&doc);
    /* a value that is not a quantity is an error naming the field */
    static const char B[] = "{\"type\":\"CALL\",\"calls\":[{\"type\":\"CALL\",\"value\":\"12\","
                            "\"from\":\"0x00000000000000000000000000000000000000a2\",\"to\":"
                            "\"0x00000000000000000000000000000000000000a2\"}]}";
    assert_int_equal(cs_json_parse(&doc, B, sizeof B - 1, NULL), 0);
    f = NULL;
    n = cap = 0;
    assert_int_equal(cs_evm_calltracer_frames(doc.root, &f, &n, &cap), CS_EFORMAT);
    assert_non_null(strstr(cs_errmsg(), "field value"));
    free(f);
    cs_json_doc_free(&doc);
}

/* trace_block (parity traces) replies recorded by ethereum-etl, against its
 * own expected_traces.csv: successful (status 1) non-top-level call frames
 * of call_type "call", creates and suicides with value, and rewards; counts
 * and sums computed from those CSVs with Python, written as literals. */
static void test_parity_fixtures(void **st)
{
    (void)st;
    static const struct {
        const char *dir, *file;
        size_t n;
        const char *sum;
        size_t nrew;
        const char *rew;
    } E[] = {
        {"block_with_create", "trace_block_0xf44f2", 0, "0", 1, "5000000000000000000"},
        {"block_with_error", "trace_block_0xf45bf", 0, "0", 1, "5000000000000000000"},
        {"block_with_subtraces", "trace_block_0xf4240", 0, "0", 1, "5000000000000000000"},
        {"block_with_suicide", "trace_block_0xf7105", 1, "50000000000000000", 1,
         "5000000000000000000"},
        {"block_without_transactions", "trace_block_0x0", 0, "0", 0, "0"},
    };
    for (size_t i = 0; i < sizeof E / sizeof E[0]; i++) {
        char p[1024];
        snprintf(p, sizeof p,
                 "%s/data/eth/ethereum-etl/test_export_traces_job/%s/web3_response.%s.json",
                 shared_dir(), E[i].dir, E[i].file);
        size_t len;
        char *buf = read_file(p, &len);
        if (!buf) {
            print_message("skip: %s absent (shared data is not part of a clone)\n", p);
            skip();
        }
        struct cs_json_doc doc = {0};
        assert_int_equal(cs_json_parse(&doc, buf, len, NULL), 0);
        const struct cs_json *res = cs_json_get(doc.root, "result");
        size_t ntx = 0;
        for (size_t k = 0; k < res->len; k++) {
            uint64_t pos;
            const struct cs_json *tp = cs_json_get(cs_json_at(res, k), "transactionPosition");
            if (tp && cs_json_get_u64(tp, &pos) == 0 && pos + 1 > ntx) ntx = (size_t)pos + 1;
        }
        struct cs_evm_frame **fr = calloc(ntx + 1, sizeof *fr), *rew = NULL;
        size_t *nf = calloc(ntx + 1, sizeof *nf), *cf = calloc(ntx + 1, sizeof *cf), nr = 0, cr = 0;
        assert_int_equal(cs_evm_parity_frames(res, ntx, fr, nf, cf, &rew, &nr, &cr), 0);
        struct cs_u256 sum = {{0}}, rs = {{0}}, want;
        size_t n = 0;
        for (size_t t = 0; t < ntx; t++)
            for (size_t k = 0; k < nf[t]; k++, n++)
                assert_int_equal(cs_u256_add(&sum, &sum, &fr[t][k].value), 0);
        for (size_t k = 0; k < nr; k++)
            assert_int_equal(cs_u256_add(&rs, &rs, &rew[k].value), 0);
        assert_int_equal(n, E[i].n);
        assert_int_equal(nr, E[i].nrew);
        assert_int_equal(cs_u256_from_dec(&want, E[i].sum, strlen(E[i].sum)), 0);
        assert_true(cs_u256_cmp(&sum, &want) == 0);
        assert_int_equal(cs_u256_from_dec(&want, E[i].rew, strlen(E[i].rew)), 0);
        assert_true(cs_u256_cmp(&rs, &want) == 0);
        for (size_t t = 0; t < ntx; t++)
            free(fr[t]);
        free(fr);
        free(nf);
        free(cf);
        free(rew);
        cs_json_doc_free(&doc);
        free(buf);
    }
}

static void hex32(uint8_t out[32], const char *h)
{
    for (int i = 0; i < 32; i++) {
        unsigned v;
        assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static void put_word(uint8_t *d, uint64_t v)
{
    memset(d, 0, 32);
    for (int i = 0; i < 8; i++)
        d[31 - i] = (uint8_t)(v >> (8 * i));
}

/* ERC-1155 events as movements, and the kept-log selection.  The topic
 * hashes are the published ones (EIP-1155; Etherscan's event signatures). */
static void test_erc1155_and_logsel(void **st)
{
    (void)st;
    struct cs_evm_logsel sel;
    cs_evm_logsel_default(&sel);
    assert_int_equal(sel.n, 9);
    uint8_t single[32], batch[32], weth_dep[32], approval[32], tornado_dep[32];
    hex32(single, "c3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62");
    hex32(batch, "4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb");
    hex32(weth_dep, "e1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c");
    hex32(approval, "8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925");
    hex32(tornado_dep, "a945e51eec50ab98c161376f0db4cf2aeba3ec92755fe2fcd388bdbbb80ff196");
    assert_true(cs_evm_logsel_has(&sel, single));
    assert_true(cs_evm_logsel_has(&sel, batch));
    assert_true(cs_evm_logsel_has(&sel, weth_dep));
    assert_true(cs_evm_logsel_has(&sel, approval));
    assert_true(cs_evm_logsel_has(&sel, tornado_dep));
    uint8_t transfer[32];
    hex32(transfer, "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    assert_false(cs_evm_logsel_has(&sel, transfer));
    assert_int_equal(cs_evm_logsel_add(&sel, "Transfer(address,address,uint256)"), 0);
    assert_true(cs_evm_logsel_has(&sel, transfer));
    assert_int_equal(cs_evm_logsel_add(&sel, "Transfer(address,address,uint256)"), 0);
    assert_int_equal(sel.n, 10); /* not twice */
    assert_int_equal(cs_evm_logsel_add(&sel, "Transfer (address)"), CS_EUSAGE);
    assert_int_equal(cs_evm_logsel_add(&sel, "0x12"), CS_EUSAGE);
    assert_int_equal(cs_evm_logsel_add(&sel, "no-parens"), CS_EUSAGE);

    /* TransferBatch(operator, from 0xf1, to 0xf2, ids [7, 2^64], values [5, 9]) */
    struct cs_evm_log l;
    memset(&l, 0, sizeof l);
    l.ntopics = 4;
    memcpy(l.topic[0], batch, 32);
    l.topic[2][31] = 0xf1;
    l.topic[3][31] = 0xf2;
    l.addr[0] = 0xcc;
    l.log_index = 12;
    uint8_t d[32 * 8];
    put_word(d, 64);       /* ids at 64 */
    put_word(d + 32, 160); /* values at 160 */
    put_word(d + 64, 2);
    put_word(d + 96, 7);
    memset(d + 128, 0, 32);
    d[128 + 23] = 1; /* 2^64 */
    put_word(d + 160, 2);
    put_word(d + 192, 5);
    put_word(d + 224, 9);
    l.data = d;
    l.data_len = sizeof d;
    struct cs_evm_move *mv = NULL;
    size_t n = 0, cap = 0;
    uint8_t weth[20] = {0};
    assert_int_equal(cs_evm_log_moves(&l, weth, 1, &mv, &n, &cap), 2);
    assert_int_equal(n, 2);
    assert_int_equal(mv[0].kind, CS_XK_ERC1155);
    assert_int_equal(mv[0].pos, 0);
    assert_int_equal(mv[1].pos, 1);
    assert_int_equal(mv[0].value.w[0], 5);
    assert_int_equal(mv[1].value.w[0], 9);
    assert_int_equal(mv[0].from[19], 0xf1);
    assert_int_equal(mv[1].to[19], 0xf2);
    assert_int_equal(mv[1].token[0], 0xcc);
    assert_int_equal(mv[1].log_index, 12);
    struct cs_u256 id;
    assert_int_equal(cs_evm_erc1155_id(batch, d, sizeof d, 0, &id), 1);
    assert_int_equal(id.w[0], 7);
    assert_int_equal(cs_evm_erc1155_id(batch, d, sizeof d, 1, &id), 1);
    assert_int_equal(id.w[0], 0);
    assert_int_equal(id.w[1], 1); /* 2^64 */
    assert_int_equal(cs_evm_erc1155_id(batch, d, sizeof d, 2, &id), 0);
    assert_int_equal(cs_evm_erc1155_id(transfer, d, sizeof d, 0, &id), 0);
    /* lengths that disagree, an array past the data, no data: no movement */
    put_word(d + 160, 3);
    assert_int_equal(cs_evm_log_moves(&l, weth, 1, &mv, &n, &cap), 0);
    put_word(d + 160, 2);
    l.data_len = sizeof d - 1;
    assert_int_equal(cs_evm_log_moves(&l, weth, 1, &mv, &n, &cap), 0);
    l.data = NULL;
    assert_int_equal(cs_evm_log_moves(&l, weth, 1, &mv, &n, &cap), 0);
    /* TransferSingle(id 7, value 2^64) */
    memcpy(l.topic[0], single, 32);
    put_word(d, 7);
    memset(d + 32, 0, 32);
    d[32 + 23] = 1;
    l.data = d;
    l.data_len = 64;
    n = 0;
    assert_int_equal(cs_evm_log_moves(&l, weth, 1, &mv, &n, &cap), 1);
    assert_int_equal(mv[0].value.w[0], 0);
    assert_int_equal(mv[0].value.w[1], 1);
    assert_true(cs_evm_log_wants_data(NULL, 4, single));
    assert_false(cs_evm_log_wants_data(NULL, 3, transfer));
    free(mv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_geth_fixtures),
        cmocka_unit_test(test_parity_fixtures),
        cmocka_unit_test(test_tree),
        cmocka_unit_test(test_erc1155_and_logsel),
    };
    return cmocka_run_group_tests_name("evm_trace", tests, NULL, NULL);
}
