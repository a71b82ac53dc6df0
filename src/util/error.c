/* error.c — thread-local error messages and checked allocation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static _Thread_local char errbuf[1024];
static _Thread_local int errset;

const char *cs_strerror(int code)
{
    switch (code) {
    case CS_OK:
        return "success";
    case CS_EIO:
        return "I/O error";
    case CS_EFORMAT:
        return "format error";
    case CS_ERANGE:
        return "value out of range";
    case CS_ENOMEM:
        return "out of memory";
    case CS_ENOTFOUND:
        return "not found";
    case CS_EUSAGE:
        return "usage error";
    case CS_ECORRUPT:
        return "store corrupt";
    case CS_ECONSENSUS:
        return "consensus check failed";
    case CS_ERPC:
        return "RPC error";
    case CS_ENET:
        return "network error";
    case CS_ELOCKED:
        return "store locked by another writer";
    case CS_EINTERRUPTED:
        return "interrupted";
    }
    return "unknown error";
}

int cs_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    va_end(ap);
    errset = 1;
    return code;
}

int cs_error_prefix(int code, const char *fmt, ...)
{
    char pre[512], old[sizeof errbuf];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    snprintf(old, sizeof old, "%s", errset ? errbuf : cs_strerror(code));
    size_t pl = strlen(pre);
    if (pl >= sizeof errbuf) pl = sizeof errbuf - 1;
    memcpy(errbuf, pre, pl);
    size_t ol = strlen(old);
    if (ol > sizeof errbuf - 1 - pl) ol = sizeof errbuf - 1 - pl;
    memcpy(errbuf + pl, old, ol);
    errbuf[pl + ol] = 0;
    errset = 1;
    return code;
}

const char *cs_errmsg(void)
{
    return errset ? errbuf : "no error message";
}

void cs_error_clear(void)
{
    errset = 0;
    errbuf[0] = 0;
}

void cs_bug(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "BUG at %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

static void oom(size_t n)
{
    fprintf(stderr, "chainsleuth: out of memory allocating %zu bytes\n", n);
    abort();
}

void *cs_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *cs_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size);
    return p;
}

void *cs_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *cs_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = cs_xmalloc(n);
    memcpy(p, s, n);
    return p;
}
