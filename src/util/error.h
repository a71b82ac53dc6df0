/* error.h — error codes and the error/die/BUG discipline for all of chainsleuth.
 *
 * Fallible functions return int: 0 on success or a negative CS_E* code, with
 * results through out-parameters.  Details (file, byte offset, field) go into
 * a thread-local message set by cs_error(); cs_errmsg() returns it.  Only
 * src/cli/ calls exit().  BUG() is for broken internal invariants, never for
 * bytes that came from outside. */
#ifndef CS_UTIL_ERROR_H
#define CS_UTIL_ERROR_H

#include <stdarg.h>
#include <stddef.h>

enum {
    CS_OK = 0,
    CS_EIO = -1,        /* read/write/mmap failed (errno kept in the message) */
    CS_EFORMAT = -2,    /* malformed input: block, tx, JSON, CSV, YAML */
    CS_ERANGE = -3,     /* a size or count read from input exceeds its cap */
    CS_ENOMEM = -4,     /* allocation failed */
    CS_ENOTFOUND = -5,  /* lookup found nothing */
    CS_EUSAGE = -6,     /* bad argument from the user */
    CS_ECORRUPT = -7,   /* the store contradicts itself */
    CS_ECONSENSUS = -8, /* a block breaks a chain rule we check (merkle, PoW, prevout) */
    CS_ERPC = -9,       /* a node answered an error or garbage */
    CS_ENET = -10,      /* connect/send/recv failed */
    CS_ELOCKED = -11,   /* another writer holds the store */
    CS_EINTERRUPTED = -12,
};

#define CS_MUST_CHECK __attribute__((warn_unused_result))
#define CS_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Name of an error code ("format error", ...). Static string. */
const char *cs_strerror(int code);

/* Records a message for the current thread and returns code, so that
 * `return cs_error(CS_EFORMAT, "%s: byte %llu: ...", ...)` reads naturally. */
int cs_error(int code, const char *fmt, ...) CS_PRINTF(2, 3);
/* Prefixes the current message with more context ("ingest: " ...). Returns code. */
int cs_error_prefix(int code, const char *fmt, ...) CS_PRINTF(2, 3);
/* The last message recorded on this thread, or cs_strerror of nothing. Valid until
 * the next cs_error() on this thread. */
const char *cs_errmsg(void);
void cs_error_clear(void);

/* Internal invariant broken: prints file:line and aborts. */
#define BUG(...) cs_bug(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void cs_bug(const char *file, int line, const char *fmt, ...) CS_PRINTF(3, 4);

/* Allocation that never returns NULL (aborts with a message on exhaustion);
 * used for bounded, internal sizes only. */
void *cs_xmalloc(size_t n);
void *cs_xcalloc(size_t n, size_t size);
void *cs_xrealloc(void *p, size_t n);
char *cs_xstrdup(const char *s);

#endif
