/* test_json_suite.c — the JSON parser on every JSONTestSuite parsing case
 * ($SHARED/data/json-test-suite/test_parsing, Nicolas Seriot's suite) and the
 * writer on invalid UTF-8.
 *
 * Expected: all 95 y_ files accepted except the two with duplicate keys, which
 * the parser rejects on purpose (json.h: a forensic tool must not pick one of
 * two conflicting values); all 188 n_ files rejected; i_ files (either answer
 * is allowed) parse or fail without crashing, and the counts are printed.
 * Without the directory the suite test is skipped with a message.
 * Writer: each maximal invalid subpart becomes one U+FFFD, the counts checked
 * against Python's bytes.decode("utf-8", "replace"), and the output always
 * parses again. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

static const char *const DUPLICATE_KEY_FILES[] = {
    "y_object_duplicated_key.json",
    "y_object_duplicated_key_and_value.json",
};

static const char *shared_dir(void)
{
    const char *s = getenv("SHARED");
    return s ? s : "../shared";
}

static int read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    for (;;) {
        if (n == cap) b = realloc(b, cap *= 2);
        size_t k = fread(b + n, 1, cap - n, f);
        if (!k) break;
        n += k;
    }
    fclose(f);
    *buf = b;
    *len = n;
    return 0;
}

static int is_duplicate_key_file(const char *name)
{
    for (size_t i = 0; i < sizeof DUPLICATE_KEY_FILES / sizeof DUPLICATE_KEY_FILES[0]; i++)
        if (!strcmp(name, DUPLICATE_KEY_FILES[i])) return 1;
    return 0;
}

static void test_json_test_suite(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/data/json-test-suite/test_parsing", shared_dir());
    DIR *d = opendir(dir);
    if (!d) {
        print_message("skip: %s absent (shared data is not part of a clone)\n", dir);
        skip();
    }
    size_t y = 0, y_ok = 0, y_dup_rejected = 0, n = 0, n_rejected = 0, i = 0, i_ok = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        size_t nl = strlen(name);
        if (nl < 7 || strcmp(name + nl - 5, ".json") || name[1] != '_') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        char *buf = NULL;
        size_t len = 0;
        assert_int_equal(read_file(path, &buf, &len), 0);
        struct cs_json_doc doc;
        int rc = cs_json_parse(&doc, buf, len, NULL);
        if (!rc) cs_json_doc_free(&doc);
        switch (name[0]) {
        case 'y':
            y++;
            if (is_duplicate_key_file(name)) {
                if (rc)
                    y_dup_rejected++;
                else
                    print_message("duplicate keys accepted: %s\n", name);
            } else if (!rc) {
                y_ok++;
            } else {
                print_message("y_ file rejected: %s: %s\n", name, cs_errmsg());
            }
            break;
        case 'n':
            n++;
            if (rc)
                n_rejected++;
            else
                print_message("n_ file accepted: %s\n", name);
            break;
        case 'i':
            i++;
            if (!rc) i_ok++;
            break;
        }
        free(buf);
    }
    closedir(d);
    print_message("JSONTestSuite: y_ %zu files: %zu accepted, %zu rejected for duplicate keys "
                  "(%s, %s); n_ %zu files: %zu rejected; i_ %zu files: %zu accepted, %zu "
                  "rejected\n",
                  y, y_ok, y_dup_rejected, DUPLICATE_KEY_FILES[0], DUPLICATE_KEY_FILES[1], n,
                  n_rejected, i, i_ok, i - i_ok);
    assert_int_equal(y, 95);
    assert_int_equal(y_ok, 93);
    assert_int_equal(y_dup_rejected, 2);
    assert_int_equal(n, 188);
    assert_int_equal(n_rejected, 188);
    assert_true(i > 0);
}

/* writes s[0..len) as one JSON string (buffer mode, flags) */
static char *write_string(int flags, const char *s, size_t len, size_t *out_len)
{
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, flags);
    cs_json_writer_string_n(&w, s, len);
    char *out;
    assert_int_equal(cs_json_writer_finish(&w, &out, out_len), 0);
    return out;
}

static size_t count(const char *hay, const char *needle)
{
    size_t k = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        k++;
    return k;
}

static void test_writer_invalid_utf8(void **state)
{
    (void)state;
    /* replacement counts from Python: bytes.decode("utf-8", "replace") */
    static const struct {
        const char *in;
        size_t fffd;
        const char *what;
    } cases[] = {
        {"\xC0\xAF", 2, "overlong 2-byte (C0 never starts a sequence)"},
        {"\xE0\x80\xAF", 3, "overlong 3-byte"},
        {"\xF0\x80\x80\xAF", 4, "overlong 4-byte"},
        {"\xED\xA0\x80", 3, "UTF-16 surrogate D800"},
        {"\xED\xBF\xBF", 3, "UTF-16 surrogate DFFF"},
        {"\xE2\x82", 1, "truncated at the end"},
        {"\xE2\x82"
         "A",
         1, "truncated before ASCII"},
        {"\xF0\x9F\x98", 1, "truncated 4-byte"},
        {"\xFF", 1, "0xFF"},
        {"\xFE\xFF", 2, "0xFE 0xFF"},
        {"\xF4\x90\x80\x80", 4, "above U+10FFFF"},
        {"\xF8\x88\x80\x80\x80", 5, "5-byte form"},
        {"a\x80"
         "b",
         1, "stray continuation byte"},
        {"\xC3\xA9\xFF\xC3(", 2, "valid, invalid, truncated"},
        {"\xED\x9F\xBF", 0, "U+D7FF is valid"},
        {"\xF4\x8F\xBF\xBF", 0, "U+10FFFF is valid"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t len = strlen(cases[k].in), n;
        char *out = write_string(0, cases[k].in, len, &n);
        if (count(out, "\xEF\xBF\xBD") != cases[k].fffd)
            fail_msg("%s: %zu U+FFFD, want %zu", cases[k].what, count(out, "\xEF\xBF\xBD"),
                     cases[k].fffd);
        /* the output is valid JSON (the parser rejects invalid UTF-8) */
        struct cs_json_doc doc;
        assert_int_equal(cs_json_parse(&doc, out, n, NULL), 0);
        assert_int_equal(doc.root->type, CS_JSON_STRING);
        cs_json_doc_free(&doc);
        free(out);
        out = write_string(CS_JSON_W_ASCII, cases[k].in, len, &n);
        assert_int_equal(count(out, "\\ufffd"), cases[k].fffd);
        for (size_t b = 0; b < n; b++)
            assert_true((unsigned char)out[b] < 0x80);
        free(out);
    }
    /* exact bytes of one mixed case; the byte after an invalid prefix is kept */
    size_t n;
    char *out = write_string(0, "x\xE2\x82y\xFFz", 6, &n);
    assert_string_equal(out, "\"x\xEF\xBF\xBDy\xEF\xBF\xBDz\"");
    free(out);
    /* control characters: short escapes or \u00XX, never raw */
    out = write_string(0, "\x01\n\x1f\t", 4, &n);
    assert_string_equal(out, "\"\\u0001\\n\\u001f\\t\"");
    free(out);
    /* keys go through the same escaping */
    struct cs_json_writer w;
    cs_json_writer_init_buf(&w, 0);
    cs_json_writer_begin_object(&w);
    cs_json_writer_key_n(&w, "k\xFF", 2);
    cs_json_writer_null(&w);
    cs_json_writer_end_object(&w);
    assert_int_equal(cs_json_writer_finish(&w, &out, &n), 0);
    assert_string_equal(out, "{\"k\xEF\xBF\xBD\":null}");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_test_suite),
        cmocka_unit_test(test_writer_invalid_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
