/* utf8.h — strict UTF-8 checking for text that comes from outside (tag
 * files, node replies) before it is stored or written as JSON.
 *
 * Invariants:
 *  - "Valid" is RFC 3629: no overlong forms, no surrogates (U+D800..DFFF),
 *    nothing above U+10FFFF, no truncated sequence.  NUL is a valid code point
 *    here; callers that store C strings check for it separately.
 *  - No allocation, no state; O(len). */
#ifndef CS_UTIL_UTF8_H
#define CS_UTIL_UTF8_H

#include <stddef.h>

/* Offset of the first byte of s[0..len) that does not start a valid UTF-8
 * sequence, or len when all of it is valid. */
size_t cs_utf8_check(const char *s, size_t len);

/* Length of the next valid sequence at s[0..len) (1..4), or 0 if the bytes
 * there are not one (len == 0 included). */
size_t cs_utf8_seq_len(const char *s, size_t len);

/* The largest n <= max such that s[0..n) does not end inside a multi-byte
 * sequence (s[0..len) assumed valid; max >= len gives len). */
size_t cs_utf8_cut(const char *s, size_t len, size_t max);

#endif
