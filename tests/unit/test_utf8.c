/* test_utf8.c — the strict UTF-8 checker against RFC 3629's edges and an
 * exhaustive walk of every 1-, 2- and 3-byte sequence compared with a
 * decoder written from the definition (code point ranges, not byte ranges). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/utf8.h"

static size_t chk(const char *s)
{
    return cs_utf8_check(s, strlen(s));
}

static void test_edges(void **state)
{
    (void)state;
    assert_int_equal(chk(""), 0);
    assert_int_equal(chk("plain ascii"), 11);
    assert_int_equal(chk("caf\xc3\xa9"), 5);
    assert_int_equal(chk("\xe2\x82\xac"), 3);             /* U+20AC */
    assert_int_equal(chk("\xf0\x9f\x90\x8d"), 4);         /* U+1F40D */
    assert_int_equal(chk("\xf4\x8f\xbf\xbf"), 4);         /* U+10FFFF */
    assert_int_equal(chk("ab\xff"), 2);                   /* never valid */
    assert_int_equal(chk("a\xc0\xaf"), 1);                /* overlong '/' */
    assert_int_equal(chk("a\xe0\x80\xaf"), 1);            /* overlong, 3 bytes */
    assert_int_equal(chk("a\xf0\x80\x80\xaf"), 1);        /* overlong, 4 bytes */
    assert_int_equal(chk("\xed\xa0\x80"), 0);             /* U+D800 surrogate */
    assert_int_equal(chk("\xed\x9f\xbf"), 3);             /* U+D7FF */
    assert_int_equal(chk("\xf4\x90\x80\x80"), 0);         /* U+110000 */
    assert_int_equal(chk("ok\xe2\x82"), 2);               /* truncated */
    assert_int_equal(chk("\x80"), 0);                     /* lone continuation */
    assert_int_equal(cs_utf8_check("a\0b", 3), 3);        /* NUL is a code point */
    assert_int_equal(cs_utf8_cut("ab\xc3\xa9", 4, 3), 2); /* inside é: before it */
    assert_int_equal(cs_utf8_cut("ab\xc3\xa9", 4, 2), 2);
    assert_int_equal(cs_utf8_cut("ab\xc3\xa9", 4, 9), 4);
    assert_int_equal(cs_utf8_cut("\xf0\x9f\x90\x8d", 4, 3), 0);
}

/* reference: decode by the definition, then re-encode and compare */
static int ref_len(const unsigned char *p, size_t n)
{
    uint32_t cp;
    int k;
    if (p[0] < 0x80) return 1;
    if ((p[0] & 0xe0) == 0xc0)
        k = 2, cp = p[0] & 0x1f;
    else if ((p[0] & 0xf0) == 0xe0)
        k = 3, cp = p[0] & 0x0f;
    else if ((p[0] & 0xf8) == 0xf0)
        k = 4, cp = p[0] & 0x07;
    else
        return 0;
    if ((size_t)k > n) return 0;
    for (int i = 1; i < k; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return k;
}

static void test_exhaustive(void **state)
{
    (void)state;
    unsigned char b[4];
    unsigned long checked = 0, valid = 0;
    for (uint32_t v = 0; v < (1u << 24); v++) { /* every 3-byte string */
        b[0] = (unsigned char)(v >> 16), b[1] = (unsigned char)(v >> 8), b[2] = (unsigned char)v;
        int r = ref_len(b, 3);
        size_t got = cs_utf8_seq_len((const char *)b, 3);
        if ((size_t)r != got) fail_msg("%02x %02x %02x: %zu, want %d", b[0], b[1], b[2], got, r);
        checked++;
        valid += r == 3;
    }
    /* 3-byte code points: U+0800..U+FFFF minus 2048 surrogates */
    assert_int_equal(valid, 0x10000 - 0x800 - 0x800);
    for (uint32_t lead = 0xf0; lead <= 0xff; lead++) /* 4-byte leads, second byte range */
        for (uint32_t s2 = 0; s2 < 256; s2++) {
            b[0] = (unsigned char)lead, b[1] = (unsigned char)s2, b[2] = 0x80, b[3] = 0xbf;
            assert_int_equal(cs_utf8_seq_len((const char *)b, 4), (size_t)ref_len(b, 4));
        }
    assert_true(checked == (1ul << 24));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_edges),
                                       cmocka_unit_test(test_exhaustive)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
