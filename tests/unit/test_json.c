/* test_json.c — JSON parser and writer: exact integers, escapes, every error
 * class with its byte offset, limits, duplicate keys, writer bytes, round trips
 * and (when /work/shared/data is present) real Bitcoin Core test-vector files
 * whose shapes were counted with Python's json module. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

static int parse(struct cs_json_doc *doc, const char *s)
{
    return cs_json_parse(doc, s, strlen(s), NULL);
}

static void test_basic_dom(void **state)
{
    (void)state;
    struct cs_json_doc doc;
    const char *text = " {\"b\": [1, true, false, null, \"s\"], \"a\": {\"x\": -2.5e3}, \"\": 0} ";
    assert_int_equal(parse(&doc, text), 0);
    const struct cs_json *r = doc.root;
    assert_int_equal(r->type, CS_JSON_OBJECT);
    assert_int_equal(r->len, 3);
    assert_int_equal(r->offset, 1);
    /* document order kept */
    assert_string_equal(r->u.members[0].key, "b");
    assert_string_equal(r->u.members[1].key, "a");
    assert_int_equal(r->u.members[2].key_len, 0);
    const struct cs_json *b = cs_json_get(r, "b");
    assert_non_null(b);
    assert_int_equal(b->type, CS_JSON_ARRAY);
    assert_int_equal(b->len, 5);
    assert_int_equal(b->offset, 7);
    assert_int_equal(cs_json_at(b, 0)->type, CS_JSON_NUMBER);
    assert_string_equal(cs_json_at(b, 0)->u.num, "1");
    assert_int_equal(cs_json_at(b, 0)->offset, 8);
    assert_int_equal(cs_json_at(b, 1)->boolean, 1);
    assert_int_equal(cs_json_at(b, 2)->type, CS_JSON_BOOL);
    assert_int_equal(cs_json_at(b, 2)->boolean, 0);
    assert_int_equal(cs_json_at(b, 3)->type, CS_JSON_NULL);
    assert_string_equal(cs_json_at(b, 4)->u.str, "s");
    assert_null(cs_json_at(b, 5));
    assert_null(cs_json_at(r, 0));
    const struct cs_json *x = cs_json_get(cs_json_get(r, "a"), "x");
    assert_string_equal(x->u.num, "-2.5e3");
    double d;
    assert_int_equal(cs_json_get_double(x, &d), 0);
    assert_true(d == -2500.0);
    int64_t i;
    assert_int_equal(cs_json_get_i64(x, &i), 0);
    assert_int_equal(i, -2500);
    assert_non_null(cs_json_get(r, ""));
    assert_null(cs_json_get(r, "c"));
    assert_null(cs_json_get(b, "b"));
    assert_true(doc.bytes > 0);
    cs_json_doc_free(&doc);
    assert_null(doc.root);
    cs_json_doc_free(&doc); /* harmless twice */

    /* scalars at the top level; BOM skipped */
    assert_int_equal(parse(&doc, "\xEF\xBB\xBF 42 "), 0);
    assert_string_equal(doc.root->u.num, "42");
    assert_int_equal(doc.root->offset, 4);
    cs_json_doc_free(&doc);
    assert_int_equal(parse(&doc, "\"\""), 0);
    assert_int_equal(doc.root->len, 0);
    assert_string_equal(doc.root->u.str, "");
    cs_json_doc_free(&doc);
}

struct int_case {
    const char *text;
    int rc;
    uint64_t value;
};

static void test_u64_exact(void **state)
{
    (void)state;
    static const struct int_case cases[] = {
        {"18446744073709551615", 0, UINT64_MAX},
        {"18446744073709551616", CS_ERANGE, 0},
        {"99999999999999999999", CS_ERANGE, 0},
        {"184467440737095516150e-1", 0, UINT64_MAX},
        {"1.8446744073709551615e19", 0, UINT64_MAX},
        {"1.8446744073709551616e19", CS_ERANGE, 0},
        {"0", 0, 0},
        {"-0", 0, 0},
        {"-0.0e5", 0, 0},
        {"0e99999999999999999999", 0, 0},
        {"1e2", 0, 100},
        {"1E+2", 0, 100},
        {"1.0", 0, 1},
        {"100e-2", 0, 1},
        {"0.00000001e8", 0, 1},
        {"1.5", CS_EFORMAT, 0},
        {"1e-1", CS_EFORMAT, 0},
        {"123e-2", CS_EFORMAT, 0},
        {"-1", CS_ERANGE, 0},
        {"1e20", CS_ERANGE, 0},
        {"1e99999999999999999999", CS_ERANGE, 0},
        {"1e-99999999999999999999", CS_EFORMAT, 0},
        {"00000", 0, 0}, /* not valid JSON: parse refuses below, conversion tolerant */
    };
    struct cs_json_doc doc;
    for (size_t k = 0; k + 1 < sizeof cases / sizeof cases[0]; k++) {
        assert_int_equal(parse(&doc, cases[k].text), 0);
        uint64_t v = 7;
        int rc = cs_json_get_u64(doc.root, &v);
        if (rc != cases[k].rc) fail_msg("%s: rc %d, want %d", cases[k].text, rc, cases[k].rc);
        if (!rc) assert_true(v == cases[k].value);
        cs_json_doc_free(&doc);
    }
    assert_int_equal(parse(&doc, "00000"), CS_EFORMAT);

    /* i64 range */
    int64_t i;
    assert_int_equal(parse(&doc, "[-9223372036854775808, 9223372036854775807, "
                                 "9223372036854775808, -9223372036854775809, -5e0]"),
                     0);
    assert_int_equal(cs_json_get_i64(cs_json_at(doc.root, 0), &i), 0);
    assert_true(i == INT64_MIN);
    assert_int_equal(cs_json_get_i64(cs_json_at(doc.root, 1), &i), 0);
    assert_true(i == INT64_MAX);
    assert_int_equal(cs_json_get_i64(cs_json_at(doc.root, 2), &i), CS_ERANGE);
    assert_int_equal(cs_json_get_i64(cs_json_at(doc.root, 3), &i), CS_ERANGE);
    assert_non_null(strstr(cs_errmsg(), "byte 65: -9223372036854775809 out of range"));
    assert_int_equal(cs_json_get_i64(cs_json_at(doc.root, 4), &i), 0);
    assert_int_equal(i, -5);
    uint64_t u;
    assert_int_equal(cs_json_get_u64(cs_json_at(doc.root, 0), &u), CS_ERANGE);
    /* wrong type */
    assert_int_equal(cs_json_get_u64(doc.root, &u), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "byte 0: expected a number, got array");
    cs_json_doc_free(&doc);

    /* satoshi from Bitcoin Core BTC amounts */
    assert_int_equal(parse(&doc, "[0.00100000, 21000000, 20999999.97690000, 0.000000001, "
                                 "184467440737.09551615, 184467440737.09551616, 1e-8]"),
                     0);
    static const struct int_case sats[] = {
        {NULL, 0, 100000},     {NULL, 0, 2100000000000000ull}, {NULL, 0, 2099999997690000ull},
        {NULL, CS_EFORMAT, 0}, {NULL, 0, UINT64_MAX},          {NULL, CS_ERANGE, 0},
        {NULL, 0, 1}};
    for (size_t k = 0; k < 7; k++) {
        int rc = cs_json_get_u64_scaled(cs_json_at(doc.root, k), 8, &u);
        assert_int_equal(rc, sats[k].rc);
        if (!rc) assert_true(u == sats[k].value);
    }
    cs_json_doc_free(&doc);

    /* doubles */
    double d;
    assert_int_equal(parse(&doc, "[0.1, 1e400, -1e-400, 18446744073709551615]"), 0);
    assert_int_equal(cs_json_get_double(cs_json_at(doc.root, 0), &d), 0);
    assert_true(d == 0.1);
    assert_int_equal(cs_json_get_double(cs_json_at(doc.root, 1), &d), CS_ERANGE);
    assert_int_equal(cs_json_get_double(cs_json_at(doc.root, 2), &d), 0);
    assert_true(d == 0.0);
    assert_int_equal(cs_json_get_double(cs_json_at(doc.root, 3), &d), 0);
    assert_true(d == 18446744073709551616.0);
    cs_json_doc_free(&doc);
}

static void test_strings(void **state)
{
    (void)state;
    struct cs_json_doc doc;
    assert_int_equal(parse(&doc, "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20AC\""), 0);
    assert_int_equal(doc.root->len, 14);
    assert_memory_equal(doc.root->u.str, "\"\\/\b\f\n\r\tA\xC3\xA9\xE2\x82\xAC", 15);
    cs_json_doc_free(&doc);

    /* U+1F600 as a surrogate pair and as raw UTF-8; highest code point U+10FFFF */
    assert_int_equal(parse(&doc, "[\"\\ud83d\\uDE00\", \"\xF0\x9F\x98\x80\", \"\\uDBFF\\uDFFF\"]"),
                     0);
    assert_int_equal(cs_json_at(doc.root, 0)->len, 4);
    assert_memory_equal(cs_json_at(doc.root, 0)->u.str, "\xF0\x9F\x98\x80", 5);
    assert_true(cs_json_equal(cs_json_at(doc.root, 0), cs_json_at(doc.root, 1)));
    assert_memory_equal(cs_json_at(doc.root, 2)->u.str, "\xF4\x8F\xBF\xBF", 5);
    cs_json_doc_free(&doc);

    /* embedded NUL: length tells */
    assert_int_equal(parse(&doc, "{\"k\\u0000ey\": \"a\\u0000b\"}"), 0);
    assert_int_equal(doc.root->u.members[0].key_len, 4);
    assert_non_null(cs_json_get_n(doc.root, "k\0ey", 4));
    assert_null(cs_json_get(doc.root, "k"));
    const char *s;
    size_t n;
    assert_int_equal(cs_json_obj_str(doc.root, "k", &s, &n), CS_ENOTFOUND);
    assert_int_equal(cs_json_get_str(&doc.root->u.members[0].value, &s, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(s, "a\0b", 4);
    cs_json_doc_free(&doc);

    /* DEL and all non-ASCII planes are fine raw */
    assert_int_equal(
        parse(&doc, "\"\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF\xF0\x90\x80\x80\""), 0);
    assert_int_equal(doc.root->len, 15);
    cs_json_doc_free(&doc);
}

struct err_case {
    const char *text;
    size_t len; /* 0: strlen */
    int rc;
    const char *msg;
};

static void test_errors(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {"", 0, CS_EFORMAT, "json: byte 0: expected a value, got end of input"},
        {"   ", 0, CS_EFORMAT, "json: byte 3: expected a value, got end of input"},
        {"\xEF\xBB\xBF", 0, CS_EFORMAT, "json: byte 3: expected a value, got end of input"},
        {"@", 0, CS_EFORMAT, "json: byte 0: expected a value, got '@'"},
        {"[\x01]", 0, CS_EFORMAT, "json: byte 1: expected a value, got byte 0x01"},
        {"[1,]", 0, CS_EFORMAT, "json: byte 3: expected a value, got ']'"},
        {"[1 2]", 0, CS_EFORMAT, "json: byte 3: expected ',' or ']' after array item, got '2'"},
        {"{\"a\":1 \"b\":2}", 0, CS_EFORMAT,
         "json: byte 7: expected ',' or '}' after object member, got '\"'"},
        {"{\"a\" 1}", 0, CS_EFORMAT, "json: byte 5: expected ':' after object key, got '1'"},
        {"{\"a\":1,}", 0, CS_EFORMAT, "json: byte 7: expected a string key, got '}'"},
        {"{1:2}", 0, CS_EFORMAT, "json: byte 1: expected a string key, got '1'"},
        {"[1", 0, CS_EFORMAT, "json: byte 2: unterminated array (opened at byte 0)"},
        {"{\"a\":1", 0, CS_EFORMAT, "json: byte 6: unterminated object (opened at byte 0)"},
        {"{", 0, CS_EFORMAT, "json: byte 1: unterminated object (opened at byte 0)"},
        {"[[", 0, CS_EFORMAT,
         "json: byte 2: expected a value, got end of input (array opened at byte 1)"},
        {"{\"a\":", 0, CS_EFORMAT,
         "json: byte 5: expected a value, got end of input (object opened at byte 0)"},
        {"[\"abc", 0, CS_EFORMAT, "json: byte 5: unterminated string (opened at byte 1)"},
        {"\"ab\\\"", 0, CS_EFORMAT, "json: byte 5: unterminated string (opened at byte 0)"},
        {"\"a\\", 0, CS_EFORMAT, "json: byte 3: unterminated string (opened at byte 0)"},
        {"[\"1e\\", 0, CS_EFORMAT, "json: byte 5: unterminated string (opened at byte 1)"},
        {"tru", 0, CS_EFORMAT, "json: byte 0: invalid literal (expected true, false or null)"},
        {"[nul]", 0, CS_EFORMAT, "json: byte 1: invalid literal (expected true, false or null)"},
        {"True", 0, CS_EFORMAT, "json: byte 0: expected a value, got 'T'"},
        {"01", 0, CS_EFORMAT, "json: byte 1: leading zeros are not allowed in numbers"},
        {"-", 0, CS_EFORMAT, "json: byte 1: expected a digit, got end of input"},
        {"-a", 0, CS_EFORMAT, "json: byte 1: expected a digit, got 'a'"},
        {"+1", 0, CS_EFORMAT, "json: byte 0: expected a value, got '+'"},
        {".5", 0, CS_EFORMAT, "json: byte 0: expected a value, got '.'"},
        {"1.", 0, CS_EFORMAT, "json: byte 2: expected a digit after the decimal point, got end"},
        {"[1.e5]", 0, CS_EFORMAT,
         "json: byte 3: expected a digit after the decimal point, got 'e'"},
        {"1e+", 0, CS_EFORMAT, "json: byte 3: expected a digit in the exponent, got end of input"},
        {"1 2", 0, CS_EFORMAT, "json: byte 2: unexpected '2' after the top-level value"},
        {"{} x", 0, CS_EFORMAT, "json: byte 3: unexpected 'x' after the top-level value"},
        {"nullx", 0, CS_EFORMAT, "json: byte 4: unexpected 'x' after the top-level value"},
        {"\"a\x01\"", 0, CS_EFORMAT,
         "json: byte 2: control character 0x01 in string must be escaped"},
        {"\"a\tb\"", 0, CS_EFORMAT,
         "json: byte 2: control character 0x09 in string must be escaped"},
        {"\"\\x\"", 0, CS_EFORMAT, "json: byte 1: invalid escape '\\' followed by 'x'"},
        {"\"\\'\"", 0, CS_EFORMAT, "json: byte 1: invalid escape '\\' followed by '''"},
        {"\"\\u12G4\"", 0, CS_EFORMAT, "json: byte 1: \\u must be followed by 4 hex digits"},
        {"\"\\u12\"", 0, CS_EFORMAT, "json: byte 1: \\u must be followed by 4 hex digits"},
        {"\"ab\\ud800\"", 0, CS_EFORMAT,
         "json: byte 3: high surrogate \\uD800 not followed by a low surrogate"},
        {"\"\\ud800\\u0041\"", 0, CS_EFORMAT,
         "json: byte 1: high surrogate \\uD800 not followed by a low surrogate"},
        {"\"\\ud800\\ud800\"", 0, CS_EFORMAT,
         "json: byte 1: high surrogate \\uD800 not followed by a low surrogate"},
        {"\"x\\udc00\"", 0, CS_EFORMAT, "json: byte 2: lone low surrogate \\uDC00"},
        {"\"\xC3\x28\"", 0, CS_EFORMAT, "json: byte 1: invalid UTF-8 sequence starting with 0xc3"},
        {"\"\xED\xA0\x80\"", 0, CS_EFORMAT,
         "json: byte 1: invalid UTF-8 sequence starting with 0xed"},
        {"\"\xC0\xAF\"", 0, CS_EFORMAT, "json: byte 1: invalid UTF-8 sequence starting with 0xc0"},
        {"\"\xE0\x80\xAF\"", 0, CS_EFORMAT,
         "json: byte 1: invalid UTF-8 sequence starting with 0xe0"},
        {"\"\xF4\x90\x80\x80\"", 0, CS_EFORMAT,
         "json: byte 1: invalid UTF-8 sequence starting with 0xf4"},
        {"\"ok\xFF\"", 0, CS_EFORMAT, "json: byte 3: invalid UTF-8 sequence starting with 0xff"},
        {"\"\xE2\x82\"", 0, CS_EFORMAT, "json: byte 1: invalid UTF-8 sequence starting with 0xe2"},
        {"\xC3\xA9", 0, CS_EFORMAT, "json: byte 0: expected a value, got byte 0xc3"},
        {"[1]\0", 4, CS_EFORMAT, "json: byte 3: unexpected byte 0x00 after the top-level value"},
        {"{\"a\":1,\"b\":2,\"a\":3}", 0, CS_EFORMAT,
         "json: byte 13: duplicate key \"a\" (first at byte 1)"},
        {"{\"k\":1,\"k\":{\"k\":2}}", 0, CS_EFORMAT,
         "json: byte 7: duplicate key \"k\" (first at byte 1)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct cs_json_doc doc;
        size_t len = cases[k].len ? cases[k].len : strlen(cases[k].text);
        cs_error_clear();
        int rc = cs_json_parse(&doc, cases[k].text, len, NULL);
        if (rc != cases[k].rc) fail_msg("case %zu: rc %d, want %d", k, rc, cases[k].rc);
        if (strncmp(cs_errmsg(), cases[k].msg, strlen(cases[k].msg)))
            fail_msg("case %zu: message \"%s\", want \"%s\"", k, cs_errmsg(), cases[k].msg);
        assert_null(doc.root);
        cs_json_doc_free(&doc);
    }
    /* a caller-given name prefixes the message */
    struct cs_json_doc doc;
    struct cs_json_limits lim = {0, 0, "getblock reply"};
    assert_int_equal(cs_json_parse(&doc, "[}", 2, &lim), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "getblock reply: byte 1: expected a value, got '}'");
}

/* The string scanner works 8 bytes at a time: put each kind of special byte
 * at every position of a 40-byte string and check offsets and decoding. */
static void test_string_positions(void **state)
{
    (void)state;
    struct cs_json_doc doc;
    char buf[64], want[128];
    for (size_t k = 0; k < 40; k++) {
        /* raw control character */
        memset(buf, 'a', sizeof buf);
        buf[0] = '"';
        buf[41] = '"';
        buf[1 + k] = 0x1f;
        assert_int_equal(cs_json_parse(&doc, buf, 42, NULL), CS_EFORMAT);
        snprintf(want, sizeof want, "json: byte %zu: control character 0x1f", 1 + k);
        assert_true(strncmp(cs_errmsg(), want, strlen(want)) == 0);
        /* invalid UTF-8 byte */
        buf[1 + k] = (char)0xFE;
        assert_int_equal(cs_json_parse(&doc, buf, 42, NULL), CS_EFORMAT);
        snprintf(want, sizeof want, "json: byte %zu: invalid UTF-8 sequence starting with 0xfe",
                 1 + k);
        assert_string_equal(cs_errmsg(), want);
        /* valid 2-byte UTF-8 (when it fits) decodes unchanged */
        if (k < 39) {
            buf[1 + k] = (char)0xC3;
            buf[2 + k] = (char)0xA9;
            assert_int_equal(cs_json_parse(&doc, buf, 42, NULL), 0);
            assert_int_equal(doc.root->len, 40);
            assert_memory_equal(doc.root->u.str, buf + 1, 40);
            cs_json_doc_free(&doc);
            buf[2 + k] = 'a';
        }
        /* escape \n shrinks the string by one */
        if (k < 39) {
            buf[1 + k] = '\\';
            buf[2 + k] = 'n';
            assert_int_equal(cs_json_parse(&doc, buf, 42, NULL), 0);
            assert_int_equal(doc.root->len, 39);
            assert_int_equal(doc.root->u.str[k], '\n');
            if (k + 1 < 39) assert_int_equal(doc.root->u.str[k + 1], 'a');
            cs_json_doc_free(&doc);
            buf[2 + k] = 'a';
        }
        /* an escaped quote does not end the string; a bare one does */
        if (k < 39) {
            buf[1 + k] = '\\';
            buf[2 + k] = '"';
            assert_int_equal(cs_json_parse(&doc, buf, 42, NULL), 0);
            assert_int_equal(doc.root->len, 39);
            assert_int_equal(doc.root->u.str[k], '"');
            cs_json_doc_free(&doc);
            buf[2 + k] = 'a';
        }
        buf[1 + k] = '"';
        assert_int_equal(cs_json_parse(&doc, buf, 42, NULL), CS_EFORMAT);
        snprintf(want, sizeof want, "json: byte %zu: unexpected 'a' after the top-level value",
                 2 + k);
        if (k < 39) assert_string_equal(cs_errmsg(), want);
    }
}

static void test_duplicates_large_object(void **state)
{
    (void)state;
    /* 40 members, indexed lookup; the duplicates are at members 30 (of 5) and 35 (of 2) */
    char buf[2048];
    size_t n = 0;
    size_t off30 = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "{");
    for (int i = 0; i < 40; i++) {
        int key = i == 30 ? 5 : i == 35 ? 2 : i;
        if (i) buf[n++] = ',';
        if (i == 30) off30 = n;
        n += (size_t)snprintf(buf + n, sizeof buf - n, "\"key%d\":%d", key, i);
    }
    n += (size_t)snprintf(buf + n, sizeof buf - n, "}");
    struct cs_json_doc doc;
    assert_int_equal(cs_json_parse(&doc, buf, n, NULL), CS_EFORMAT);
    char want[128];
    snprintf(want, sizeof want, "json: byte %zu: duplicate key \"key5\" (first at byte ", off30);
    assert_true(strncmp(cs_errmsg(), want, strlen(want)) == 0);

    /* no duplicates: every key found through the sorted index, in both orders */
    n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "{");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\"k%d\":%d", i ? "," : "", 99 - i, i);
    n += (size_t)snprintf(buf + n, sizeof buf - n, "}");
    assert_int_equal(cs_json_parse(&doc, buf, n, NULL), 0);
    for (int i = 0; i < 100; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        uint64_t v;
        assert_int_equal(cs_json_obj_u64(doc.root, key, &v), 0);
        assert_int_equal(v, 99 - i);
    }
    assert_null(cs_json_get(doc.root, "k100"));
    assert_null(cs_json_get(doc.root, "k"));
    assert_null(cs_json_get(doc.root, ""));
    assert_string_equal(doc.root->u.members[0].key, "k99"); /* order kept */
    uint64_t v;
    assert_int_equal(cs_json_obj_u64(doc.root, "zz", &v), CS_ENOTFOUND);
    assert_string_equal(cs_errmsg(), "byte 0: object has no field \"zz\"");
    cs_json_doc_free(&doc);

    assert_int_equal(parse(&doc, "{\"h\": \"x\", \"n\": -1, \"b\": 1}"), 0);
    assert_int_equal(cs_json_obj_u64(doc.root, "h", &v), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "field \"h\": byte 6: expected a number, got string");
    assert_int_equal(cs_json_obj_u64(doc.root, "n", &v), CS_ERANGE);
    int bl;
    assert_int_equal(cs_json_obj_bool(doc.root, "b", &bl), CS_EFORMAT);
    cs_json_doc_free(&doc);
}

static char *nested(size_t depth, size_t *len)
{
    char *s = malloc(2 * depth + 1);
    for (size_t i = 0; i < depth; i++) {
        s[i] = '[';
        s[2 * depth - 1 - i] = ']';
    }
    s[2 * depth] = 0;
    *len = 2 * depth;
    return s;
}

static void test_limits(void **state)
{
    (void)state;
    struct cs_json_doc doc;
    size_t len;
    char *s = nested(256, &len);
    assert_int_equal(cs_json_parse(&doc, s, len, NULL), 0);
    const struct cs_json *n = doc.root;
    size_t depth = 0;
    while (n->type == CS_JSON_ARRAY && n->len) {
        n = cs_json_at(n, 0);
        depth++;
    }
    assert_int_equal(depth, 255);
    cs_json_doc_free(&doc);
    free(s);

    s = nested(257, &len);
    assert_int_equal(cs_json_parse(&doc, s, len, NULL), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "json: byte 256: nesting deeper than 256 levels");
    free(s);

    /* configurable depth; objects count too */
    struct cs_json_limits lim = {3, 0, NULL};
    assert_int_equal(cs_json_parse(&doc, "[{\"a\":[]}]", 10, &lim), 0);
    cs_json_doc_free(&doc);
    assert_int_equal(cs_json_parse(&doc, "[{\"a\":[{}]}]", 12, &lim), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "json: byte 7: nesting deeper than 3 levels");

    /* a deep but legal document with a raised limit parses without recursion */
    lim.max_depth = 100000;
    s = nested(100000, &len);
    assert_int_equal(cs_json_parse(&doc, s, len, &lim), 0);
    cs_json_doc_free(&doc);
    free(s);

    /* size limit is checked before parsing */
    lim = (struct cs_json_limits){0, 10, "tags.json"};
    assert_int_equal(cs_json_parse(&doc, "[1,2,3,4,5,6]", 13, &lim), CS_ERANGE);
    assert_string_equal(cs_errmsg(), "tags.json: input is 13 bytes, more than the limit of 10");
    assert_int_equal(cs_json_parse(&doc, "[1,2,3,4]", 9, &lim), 0);
    cs_json_doc_free(&doc);
}

static void test_big_hex_string(void **state)
{
    (void)state;
    /* a getblock HASH 0 reply: 4 MB block as 8 MB of hex */
    size_t hexlen = (size_t)8 << 20;
    const char *pre = "{\"result\":\"", *post = "\",\"error\":null,\"id\":1}";
    size_t len = strlen(pre) + hexlen + strlen(post);
    char *buf = malloc(len);
    memcpy(buf, pre, strlen(pre));
    for (size_t i = 0; i < hexlen; i++)
        buf[strlen(pre) + i] = "0123456789abcdef"[i * 7 % 16];
    memcpy(buf + strlen(pre) + hexlen, post, strlen(post));
    struct cs_json_doc doc;
    assert_int_equal(cs_json_parse(&doc, buf, len, NULL), 0);
    free(buf); /* the DOM does not point into the input */
    const char *hex;
    size_t n;
    assert_int_equal(cs_json_obj_str(doc.root, "result", &hex, &n), 0);
    assert_int_equal(n, hexlen);
    assert_int_equal(hex[7], "0123456789abcdef"[49 % 16]);
    assert_int_equal(cs_json_get(doc.root, "error")->type, CS_JSON_NULL);
    /* one dedicated block for the string plus small blocks */
    assert_true(doc.bytes < hexlen + (64 << 10));
    cs_json_doc_free(&doc);
}

static char *write_sample(int flags, size_t *len)
{
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, flags);
    cs_json_writer_begin_object(&w);
    cs_json_writer_key(&w, "a");
    cs_json_writer_u64(&w, UINT64_MAX);
    cs_json_writer_key(&w, "b");
    cs_json_writer_begin_array(&w);
    cs_json_writer_i64(&w, INT64_MIN);
    cs_json_writer_bool(&w, 1);
    cs_json_writer_null(&w);
    cs_json_writer_string(&w, "x\"\n");
    cs_json_writer_end_array(&w);
    cs_json_writer_key(&w, "c");
    cs_json_writer_begin_object(&w);
    cs_json_writer_end_object(&w);
    cs_json_writer_key(&w, "d");
    cs_json_writer_begin_array(&w);
    cs_json_writer_end_array(&w);
    cs_json_writer_key(&w, "e");
    cs_json_writer_number_text(&w, "-1.5e-7", 7);
    cs_json_writer_key(&w, "f");
    cs_json_writer_double(&w, 0.1);
    cs_json_writer_end_object(&w);
    char *out;
    assert_int_equal(cs_json_writer_finish(&w, &out, len), 0);
    return out;
}

static void test_writer_bytes(void **state)
{
    (void)state;
    size_t len;
    char *out = write_sample(0, &len);
    const char *want = "{\"a\":18446744073709551615,\"b\":[-9223372036854775808,true,null,"
                       "\"x\\\"\\n\"],\"c\":{},\"d\":[],\"e\":-1.5e-7,\"f\":0.1}";
    assert_string_equal(out, want);
    assert_int_equal(len, strlen(want));
    /* determinism: same calls, same bytes */
    char *again = write_sample(0, &len);
    assert_string_equal(out, again);
    free(again);
    /* and it parses back to what was written */
    struct cs_json_doc doc;
    assert_int_equal(cs_json_parse(&doc, out, len, NULL), 0);
    uint64_t u;
    int64_t i;
    assert_int_equal(cs_json_obj_u64(doc.root, "a", &u), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(cs_json_get_i64(cs_json_at(cs_json_get(doc.root, "b"), 0), &i), 0);
    assert_true(i == INT64_MIN);
    cs_json_doc_free(&doc);
    free(out);

    out = write_sample(CS_JSON_W_PRETTY, &len);
    assert_string_equal(out, "{\n"
                             "  \"a\": 18446744073709551615,\n"
                             "  \"b\": [\n"
                             "    -9223372036854775808,\n"
                             "    true,\n"
                             "    null,\n"
                             "    \"x\\\"\\n\"\n"
                             "  ],\n"
                             "  \"c\": {},\n"
                             "  \"d\": [],\n"
                             "  \"e\": -1.5e-7,\n"
                             "  \"f\": 0.1\n"
                             "}");
    free(out);

    /* doubles: shortest round-trip form */
    static const struct {
        double v;
        const char *text;
    } dbl[] = {{0.1, "0.1"}, {1.0 / 3, "0.3333333333333333"},   {1e300, "1e+300"},
               {-0.0, "-0"}, {5e-324, "4.94065645841247e-324"}, {123456789.0, "123456789"}};
    for (size_t k = 0; k < sizeof dbl / sizeof dbl[0]; k++) {
        struct cs_json_writer w;
        cs_json_writer_init_buf(&w, 0);
        cs_json_writer_double(&w, dbl[k].v);
        assert_int_equal(cs_json_writer_finish(&w, &out, NULL), 0);
        assert_string_equal(out, dbl[k].text);
        free(out);
    }
}

static char *write_string(int flags, const char *s, size_t n)
{
    struct cs_json_writer w;
    char *out;
    cs_json_writer_init_buf(&w, flags);
    cs_json_writer_string_n(&w, s, n);
    assert_int_equal(cs_json_writer_finish(&w, &out, NULL), 0);
    return out;
}

static void test_writer_escapes(void **state)
{
    (void)state;
    const char in[] = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f<&>\xC3\xA9\xE2\x80\xA8\xF0\x9F\x98\x80"
                      "\xFF\xC3(";
    size_t n = sizeof in - 1;
    char *out = write_string(0, in, n);
    assert_string_equal(out,
                        "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f<&>\xC3\xA9\xE2\x80\xA8"
                        "\xF0\x9F\x98\x80\xEF\xBF\xBD\xEF\xBF\xBD(\"");
    free(out);
    out = write_string(CS_JSON_W_ASCII, in, n);
    assert_string_equal(out, "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f<&>\\u00e9\\u2028"
                             "\\ud83d\\ude00\\ufffd\\ufffd(\"");
    free(out);
    out = write_string(CS_JSON_W_HTML_SAFE, in, n);
    assert_string_equal(out, "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\\u003c\\u0026\\u003e"
                             "\xC3\xA9\\u2028\xF0\x9F\x98\x80\xEF\xBF\xBD\xEF\xBF\xBD(\"");
    free(out);
    /* embedded NUL */
    out = write_string(0, "a\0b", 3);
    assert_string_equal(out, "\"a\\u0000b\"");
    free(out);

    /* every escaped output decodes back to the original (valid parts) */
    struct cs_json_doc doc;
    const char valid[] = "\x01\"\\\xC3\xA9\xF0\x9F\x98\x80\xE2\x80\xA9<";
    for (int flags = 0; flags < 8; flags++) {
        out = write_string(flags, valid, sizeof valid - 1);
        assert_int_equal(parse(&doc, out), 0);
        assert_int_equal(doc.root->len, sizeof valid - 1);
        assert_memory_equal(doc.root->u.str, valid, sizeof valid - 1);
        cs_json_doc_free(&doc);
        free(out);
    }
}

static void test_writer_errors_and_raw(void **state)
{
    (void)state;
    struct cs_json_writer w;
    char *out;
    size_t len;
    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_begin_array(&w);
    cs_json_writer_raw(&w, " {\"a\": [1, 2]}\n", 15);
    cs_json_writer_raw(&w, "[]", 2);
    cs_json_writer_end_array(&w);
    assert_int_equal(cs_json_writer_finish(&w, &out, &len), 0);
    assert_string_equal(out, "[{\"a\": [1, 2]},[]]");
    free(out);

    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_begin_array(&w);
    cs_json_writer_raw(&w, "[1,", 3);
    cs_json_writer_end_array(&w);
    assert_int_equal(cs_json_writer_finish(&w, &out, &len), CS_EFORMAT);
    assert_null(out);
    assert_non_null(strstr(cs_errmsg(), "raw value: byte 3"));

    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_number_text(&w, "01", 2);
    assert_int_equal(cs_json_writer_finish(&w, &out, &len), CS_EFORMAT);
    assert_string_equal(cs_errmsg(), "json writer: \"01\" is not a JSON number");

    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_double(&w, 1.0 / 0.0);
    assert_int_equal(cs_json_writer_finish(&w, &out, &len), CS_ERANGE);

    /* nesting beyond the writer's depth is an error, not a crash */
    cs_json_writer_init_buf(&w, 0);
    for (int i = 0; i < 300; i++)
        cs_json_writer_begin_array(&w);
    for (int i = 0; i < 300; i++)
        cs_json_writer_end_array(&w);
    assert_int_equal(cs_json_writer_finish(&w, &out, &len), CS_ERANGE);

    assert_true(cs_json_is_number("-0.5E+10", 8));
    assert_false(cs_json_is_number("0x10", 4));
    assert_false(cs_json_is_number("1 ", 2));
    assert_false(cs_json_is_number("", 0));
}

static void test_writer_file(void **state)
{
    (void)state;
    /* FILE mode streams through the 64 KiB staging buffer */
    char *mem = NULL;
    size_t memlen = 0;
    FILE *fp = open_memstream(&mem, &memlen);
    assert_non_null(fp);
    struct cs_json_writer w;
    cs_json_writer_init_file(&w, fp, CS_JSON_W_PRETTY);
    cs_json_writer_begin_array(&w);
    for (uint64_t i = 0; i < 50000; i++)
        cs_json_writer_u64(&w, i * 1000003);
    cs_json_writer_end_array(&w);
    assert_int_equal(cs_json_writer_finish(&w, NULL, NULL), 0);
    fclose(fp);
    /* the same calls into a buffer give the same bytes */
    cs_json_writer_init_buf(&w, CS_JSON_W_PRETTY);
    cs_json_writer_begin_array(&w);
    for (uint64_t i = 0; i < 50000; i++)
        cs_json_writer_u64(&w, i * 1000003);
    cs_json_writer_end_array(&w);
    char *out;
    size_t len;
    assert_int_equal(cs_json_writer_finish(&w, &out, &len), 0);
    assert_int_equal(memlen, len);
    assert_memory_equal(mem, out, len);
    assert_true(len > (200 << 10));
    struct cs_json_doc doc;
    assert_int_equal(cs_json_parse(&doc, mem, memlen, NULL), 0);
    assert_int_equal(doc.root->len, 50000);
    uint64_t v;
    assert_int_equal(cs_json_get_u64(cs_json_at(doc.root, 49999), &v), 0);
    assert_true(v == 49999ull * 1000003);
    cs_json_doc_free(&doc);
    free(out);
    free(mem);
}

/* parse -> write -> parse gives an equal DOM, and writing is idempotent */
static void roundtrip(const char *text, size_t len)
{
    struct cs_json_doc a, b;
    assert_int_equal(cs_json_parse(&a, text, len, NULL), 0);
    for (int flags = 0; flags < 8; flags++) {
        struct cs_json_writer w;
        char *out, *out2;
        size_t n, n2;
        cs_json_writer_init_buf(&w, flags);
        cs_json_writer_node(&w, a.root);
        assert_int_equal(cs_json_writer_finish(&w, &out, &n), 0);
        assert_int_equal(cs_json_parse(&b, out, n, NULL), 0);
        assert_true(cs_json_equal(a.root, b.root));
        cs_json_writer_init_buf(&w, flags);
        cs_json_writer_node(&w, b.root);
        assert_int_equal(cs_json_writer_finish(&w, &out2, &n2), 0);
        assert_int_equal(n, n2);
        assert_memory_equal(out, out2, n);
        cs_json_doc_free(&b);
        free(out);
        free(out2);
    }
    cs_json_doc_free(&a);
}

static void test_roundtrip(void **state)
{
    (void)state;
    static const char *docs[] = {
        "null",
        "true",
        "-0.0e-0",
        "\"\\u0000\\ud83d\\ude00\\u2028\xFF\"",
        "{\"a\":[1,2,{\"b\":null}],\"c\":\"\\n\",\"\":{}}",
        "[[[[[]]]],{},[{}],\"x\",1e999]",
    };
    for (size_t k = 0; k < sizeof docs / sizeof docs[0]; k++) {
        /* the \xFF one is invalid UTF-8: it must be rejected, not round-tripped */
        struct cs_json_doc doc;
        if (strchr(docs[k], '\xFF')) {
            assert_int_equal(parse(&doc, docs[k]), CS_EFORMAT);
            continue;
        }
        roundtrip(docs[k], strlen(docs[k]));
    }
    /* compact writer output of a canonical document is the document itself */
    const char *canon = "{\"k\":[1,-2,3.5e10,\"s\\\"\\\\\\u001f\"],\"o\":{\"x\":true,\"y\":false}}";
    struct cs_json_doc doc;
    assert_int_equal(parse(&doc, canon), 0);
    struct cs_json_writer w;
    char *out;
    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_node(&w, doc.root);
    assert_int_equal(cs_json_writer_finish(&w, &out, NULL), 0);
    assert_string_equal(out, canon);
    free(out);
    cs_json_doc_free(&doc);
}

/* Every prefix and every single-byte mutation of a document must parse or fail
 * cleanly (ASan/UBSan watch); only the full text and the scalar prefix "1" of
 * "12" style numbers can succeed. */
static void test_prefixes_and_mutations(void **state)
{
    (void)state;
    const char *text =
        "{\"a\":[12,-3.5e+2,\"\\ud83d\\ude00\\u00e9x\",true,null],\"b\":{\"c\":\"\xC3\xA9\"}}";
    size_t len = strlen(text);
    struct cs_json_doc doc;
    for (size_t k = 0; k < len; k++) {
        assert_int_equal(cs_json_parse(&doc, text, k, NULL), CS_EFORMAT);
        /* the error offset never points past the end */
        const char *m = strstr(cs_errmsg(), "byte ");
        assert_non_null(m);
        assert_true(strtoul(m + 5, NULL, 10) <= k);
    }
    char *mut = malloc(len);
    uint32_t x = 12345;
    int ok = 0;
    for (size_t k = 0; k < len; k++) {
        for (int t = 0; t < 24; t++) {
            memcpy(mut, text, len);
            x = x * 1103515245 + 12345;
            mut[k] = (char)(x >> 16);
            if (cs_json_parse(&doc, mut, len, NULL) == 0) {
                ok++;
                cs_json_doc_free(&doc);
            }
        }
    }
    free(mut);
    assert_true(ok > 0); /* e.g. a digit replaced by another digit */
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static const char *shared_dir(void)
{
    const char *s = getenv("SHARED");
    return s ? s : "/work/shared";
}

/* Shapes counted with Python 3's json module (an independent parser). */
static void test_real_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        enum cs_json_type type;
        size_t len;
    } files[] = {
        {"btc-vectors/script_tests.json", CS_JSON_ARRAY, 1005},
        {"btc-vectors/tx_valid.json", CS_JSON_ARRAY, 135},
        {"btc-vectors/bip341_tests.json", CS_JSON_OBJECT, 3},
    };
    char path[512];
    snprintf(path, sizeof path, "%s/data/btc-vectors", shared_dir());
    FILE *probe = fopen(path, "r");
    if (!probe) {
        print_message("skip: %s absent\n", path);
        skip();
    }
    fclose(probe);
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        size_t len;
        snprintf(path, sizeof path, "%s/data/%s", shared_dir(), files[k].file);
        char *buf = slurp(path, &len);
        assert_non_null(buf);
        struct cs_json_doc doc;
        struct cs_json_limits lim = {0, 0, files[k].file};
        if (cs_json_parse(&doc, buf, len, &lim)) fail_msg("%s", cs_errmsg());
        assert_int_equal(doc.root->type, files[k].type);
        assert_int_equal(doc.root->len, files[k].len);
        cs_json_doc_free(&doc);
        roundtrip(buf, len);
        free(buf);
    }
    /* a spot check inside script_tests.json: first entry is a comment array */
    size_t len;
    snprintf(path, sizeof path, "%s/data/btc-vectors/bip341_tests.json", shared_dir());
    char *buf = slurp(path, &len);
    struct cs_json_doc doc;
    assert_int_equal(cs_json_parse(&doc, buf, len, NULL), 0);
    const struct cs_json *spk = cs_json_get(doc.root, "scriptPubKey");
    assert_non_null(spk);
    assert_int_equal(spk->type, CS_JSON_ARRAY);
    assert_int_equal(spk->len, 7);
    cs_json_doc_free(&doc);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_dom),
        cmocka_unit_test(test_u64_exact),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_string_positions),
        cmocka_unit_test(test_duplicates_large_object),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_big_hex_string),
        cmocka_unit_test(test_writer_bytes),
        cmocka_unit_test(test_writer_escapes),
        cmocka_unit_test(test_writer_errors_and_raw),
        cmocka_unit_test(test_writer_file),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_prefixes_and_mutations),
        cmocka_unit_test(test_real_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
