/* test_timefmt.c — cs_time_iso by value.  The fixed vectors were computed
 * with Python's datetime (1970-01-01 UTC + timedelta); the sweep compares
 * with the C library's gmtime_r + strftime over 1970..2106 and across the
 * day, month, leap-year and century boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "util/timefmt.h"

static void test_vectors(void **state)
{
    (void)state;
    static const struct {
        int64_t t;
        const char *want;
    } v[] = {
        {0, "1970-01-01T00:00:00Z"},
        {-1, "1969-12-31T23:59:59Z"},
        {1231006505, "2009-01-03T18:15:05Z"}, /* Bitcoin's genesis block */
        {1735760792, "2025-01-01T19:46:32Z"},
        {951782400, "2000-02-29T00:00:00Z"},
        {951868799, "2000-02-29T23:59:59Z"},
        {4294967295, "2106-02-07T06:28:15Z"}, /* the largest nTime */
        {253402300799, "9999-12-31T23:59:59Z"},
        {-62167219200, "0000-01-01T00:00:00Z"},
    };
    char b[CS_TIME_ISO_MAX];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        assert_string_equal(cs_time_iso(b, v[i].t), v[i].want);
    assert_string_equal(cs_time_iso(b, 253402300800), "-");
    assert_string_equal(cs_time_iso(b, -62167219201), "-");
    assert_string_equal(cs_time_iso(b, INT64_MIN), "-");
    assert_string_equal(cs_time_iso(b, INT64_MAX), "-");
}

static void test_sweep(void **state)
{
    (void)state;
    char b[CS_TIME_ISO_MAX], want[64];
    /* every 7777 seconds plus a few around each step: about 560,000 times */
    for (int64_t t = 0; t <= 4294967295LL; t += 7777) {
        for (int64_t d = -1; d <= 1; d++) {
            time_t tt = (time_t)(t + d);
            struct tm tm;
            assert_non_null(gmtime_r(&tt, &tm));
            strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
            assert_string_equal(cs_time_iso(b, t + d), want);
        }
    }
    /* 1900 and 2100 are not leap years, 2000 is */
    assert_string_equal(cs_time_iso(b, 4107542400), "2100-03-01T00:00:00Z");
    assert_string_equal(cs_time_iso(b, -2203891200), "1900-03-01T00:00:00Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
