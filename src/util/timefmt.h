/* timefmt.h — UTC ISO 8601 text of a Unix time, for every block-bound record
 * a person reads (block, tx, address, trace rows, reports).
 *
 * Form: "YYYY-MM-DDTHH:MM:SSZ" (20 characters), proleptic Gregorian calendar,
 * no leap seconds (POSIX time), always UTC.  Pure arithmetic on the integer
 * (Howard Hinnant's days-from-civil inverse): no time zone database, no
 * locale, no static storage, so the same time gives the same bytes on every
 * machine.  Years 0000..9999 are written; a time outside them (Bitcoin's
 * 32-bit nTime ends in 2106) gives "-". */
#ifndef CS_UTIL_TIMEFMT_H
#define CS_UTIL_TIMEFMT_H

#include <stdint.h>

#define CS_TIME_ISO_MAX 24

/* Writes the ISO form of t (seconds since 1970-01-01T00:00:00Z) into buf and
 * returns buf. */
const char *cs_time_iso(char buf[CS_TIME_ISO_MAX], int64_t t);

#endif
