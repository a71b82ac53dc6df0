/* utf8.c — see utf8.h.  Table-free: the ranges of RFC 3629 section 4 are
 * spelled out for the second byte, where overlongs and surrogates hide. */
#include "util/utf8.h"

size_t cs_utf8_seq_len(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    if (len == 0) return 0;
    unsigned char c = p[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0) lo = 0xa0; /* overlong below U+0800 */
        if (c == 0xed) hi = 0x9f; /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0) lo = 0x90; /* overlong below U+10000 */
        if (c == 0xf4) hi = 0x8f; /* above U+10FFFF */
    } else
        return 0; /* continuation byte, 0xc0/0xc1 overlong lead, 0xf5.. */
    if (len < n || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xc0) != 0x80) return 0;
    return n;
}

size_t cs_utf8_check(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if ((unsigned char)s[i] < 0x80) { /* ASCII runs are the common case */
            i++;
            continue;
        }
        size_t n = cs_utf8_seq_len(s + i, len - i);
        if (!n) return i;
        i += n;
    }
    return len;
}

size_t cs_utf8_cut(const char *s, size_t len, size_t max)
{
    if (max >= len) return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--; /* s[n] starts a character */
    return n;
}
