/* banned.h — C library functions chainsleuth's sources must not call.
 *
 * Force-included into every src/ .c file by the Makefile (-include, after
 * the standard headers below, so their declarations are already seen and
 * only later calls are rewritten).  A call to a banned function becomes a
 * reference to an undeclared identifier, so the build stops with an error
 * naming the function ("sorry_strcpy_is_banned...").
 *
 * Why each is banned, and what to use instead:
 *   strcpy, strcat, sprintf, vsprintf: no bound on the destination; use
 *       snprintf / vsnprintf (or memcpy with a checked length).
 *   strncpy, strncat: silently truncate, and strncpy does not terminate;
 *       snprintf says how long the result would have been.
 *   gets: cannot be used safely at all; fgets.
 *   gmtime, localtime, ctime, asctime: return static storage (not thread
 *       safe); gmtime_r, localtime_r, strftime.
 *   strtok: hidden static state; strtok_r or strchr.
 * Code that genuinely needs one (none today) says why and #undefs it after
 * including this file. */
#ifndef CS_UTIL_BANNED_H
#define CS_UTIL_BANNED_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#define CS_BANNED(func) sorry_##func##_is_banned_in_chainsleuth_see_util_banned_h

#undef strcpy
#define strcpy(x, y) CS_BANNED(strcpy)
#undef strcat
#define strcat(x, y) CS_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) CS_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) CS_BANNED(strncat)
#undef sprintf
#define sprintf(...) CS_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) CS_BANNED(vsprintf)
#undef gets
#define gets(x) CS_BANNED(gets)
#undef gmtime
#define gmtime(t) CS_BANNED(gmtime)
#undef localtime
#define localtime(t) CS_BANNED(localtime)
#undef ctime
#define ctime(t) CS_BANNED(ctime)
#undef asctime
#define asctime(t) CS_BANNED(asctime)
#undef strtok
#define strtok(s, d) CS_BANNED(strtok)

#endif
