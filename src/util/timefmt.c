/* timefmt.c — UTC ISO 8601 of a Unix time (timefmt.h). */
#include "util/timefmt.h"

#include <stdio.h>

const char *cs_time_iso(char buf[CS_TIME_ISO_MAX], int64_t t)
{
    /* 0000-01-01 is day -719528; 9999-12-31T23:59:59 is 253402300799 */
    if (t < -62167219200LL || t > 253402300799LL) {
        snprintf(buf, CS_TIME_ISO_MAX, "-");
        return buf;
    }
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sec = t - days * 86400; /* 0 .. 86399 */
    /* civil from days: eras of 400 years (146097 days) starting 0000-03-01 */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                      /* 0 .. 146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0 .. 399 */
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* 0 .. 365, from March 1 */
    int64_t mp = (5 * doy + 2) / 153;                      /* 0 .. 11, March = 0 */
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) y++;
    snprintf(buf, CS_TIME_ISO_MAX, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, (int)m, (int)d,
             (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60));
    return buf;
}
