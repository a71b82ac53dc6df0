/* json.h — RFC 8259 JSON: a DOM parser and a deterministic streaming writer.
 *
 * Used for node RPC replies (a `getblock HASH 0` reply holds 8 MB of hex),
 * tag files, ground-truth files and our own --json output.
 *
 * Parser invariants:
 *  - A document is parsed whole.  Every node, string and number text lives in
 *    one arena owned by struct cs_json_doc; cs_json_doc_free() releases all of
 *    it at once.  Nothing in the DOM points into the input buffer, so the input
 *    may be freed right after cs_json_parse() returns.
 *  - Strings are decoded to UTF-8 (escapes resolved, surrogate pairs joined)
 *    and NUL-terminated; they may contain U+0000, so use the length.  Invalid
 *    UTF-8, raw control characters (< 0x20), invalid escapes and lone
 *    surrogates are errors.
 *  - Numbers keep their original text (validated against the RFC grammar);
 *    cs_json_get_u64/_i64 convert it exactly, cs_json_get_double via strtod.
 *  - Arrays and objects keep document order.  Duplicate keys inside one object
 *    are an ERROR (CS_EFORMAT naming the byte of the second key): a forensic
 *    tool must not silently pick one of two conflicting values.
 *  - Limits: nesting depth (default 256) and input size (default 256 MiB) are
 *    checked before any work; the parser is iterative, so no input can exhaust
 *    the C stack.  Memory: the arena holds ~3x the input for RPC replies and
 *    tag files (8 MB hex reply: 8 MB + 4 KiB); the pathological worst case, a
 *    flat array of one-digit numbers, needs 20x in the arena and ~50x at peak
 *    while parsing (measured: 10 MiB -> 491 MiB max RSS), so size max_bytes
 *    with that in mind.
 *  - A leading UTF-8 byte order mark is skipped; everything else after the top
 *    level value except whitespace is an error.
 *  - Errors: CS_EFORMAT with "<name>: byte N: <what was expected>", CS_ERANGE
 *    for the size limit, CS_ENOMEM when an allocation fails (sizes come from
 *    input, so the parser never aborts on allocation failure).
 *
 * Writer invariants: output is a pure function of the call sequence (same
 * calls, same bytes); API misuse (a value without a key inside an object,
 * unbalanced end) is a BUG(); I/O and allocation failures are sticky and
 * reported by cs_json_writer_finish(). */
#ifndef CS_UTIL_JSON_H
#define CS_UTIL_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

/* ---------------------------------------------------------------- DOM -- */

enum cs_json_type {
    CS_JSON_NULL = 0,
    CS_JSON_BOOL,
    CS_JSON_NUMBER,
    CS_JSON_STRING,
    CS_JSON_ARRAY,
    CS_JSON_OBJECT,
};

struct cs_json_member;

/* One value.  All pointers are into the owning document's arena and stay valid
 * until cs_json_doc_free(). */
struct cs_json {
    enum cs_json_type type;
    int boolean;   /* CS_JSON_BOOL: 0 or 1 */
    size_t offset; /* byte offset of the value's first byte in the input */
    size_t len;    /* STRING: decoded bytes; NUMBER: text bytes; ARRAY: items;
                      OBJECT: members; otherwise 0 */
    union {
        const char *str;                      /* STRING (NUL-terminated, may hold NULs) */
        const char *num;                      /* NUMBER original text, NUL-terminated */
        const struct cs_json *items;          /* ARRAY: len contiguous items */
        const struct cs_json_member *members; /* OBJECT: len members, document order */
    } u;
};

struct cs_json_member {
    const char *key; /* decoded, NUL-terminated */
    size_t key_len;
    struct cs_json value;
};

struct cs_json_arena_block;

/* A parsed document.  Caller-provided storage; fields other than root are
 * private. */
struct cs_json_doc {
    const struct cs_json *root;
    struct cs_json_arena_block *blocks;
    size_t bytes; /* bytes allocated by the arena (for memory reports) */
};

struct cs_json_limits {
    size_t max_depth; /* 0: default 256.  "[]" has depth 1. */
    size_t max_bytes; /* 0: default 256 MiB.  Longer input is CS_ERANGE. */
    const char *name; /* prefix of error messages; NULL: "json" */
};

/* Parses len bytes at buf into doc (previous contents are not freed: call
 * cs_json_doc_free first when reusing).  lim may be NULL for the defaults.
 * Returns 0, CS_EFORMAT, CS_ERANGE or CS_ENOMEM; on error doc is empty (root
 * NULL) and needs no free, though freeing it is harmless.
 * Cost: O(len) time (duplicate-key checks add O(n log n) per object of n > 8
 * members); memory as described in the header comment. */
int cs_json_parse(struct cs_json_doc *doc, const char *buf, size_t len,
                  const struct cs_json_limits *lim) CS_MUST_CHECK;
/* Releases the arena; doc becomes empty.  Safe on an empty or zeroed doc. */
void cs_json_doc_free(struct cs_json_doc *doc);

/* "null", "boolean", "number", "string", "array", "object". */
const char *cs_json_type_name(enum cs_json_type type);

/* Member lookup by NUL-terminated key (cs_json_get) or by bytes (cs_json_get_n).
 * Returns the value or NULL when obj is NULL, not an object, or lacks the key.
 * Cost: O(log n) via a sorted index the parser builds for objects of more than
 * 8 members, O(n) below that. */
const struct cs_json *cs_json_get(const struct cs_json *obj, const char *key);
const struct cs_json *cs_json_get_n(const struct cs_json *obj, const char *key, size_t key_len);
/* Item i of an array, or NULL when arr is not an array or i is out of range. */
const struct cs_json *cs_json_at(const struct cs_json *arr, size_t i);

/* Exact integer conversion of a NUMBER node.  Accepts any spelling whose value
 * is an integer ("100", "1e2", "1.0", "-0"), rejects non-integral values
 * ("1.5", "1e-1") with CS_EFORMAT and out-of-range values with CS_ERANGE; a
 * node that is not a number is CS_EFORMAT.  Messages name the node's byte
 * offset.  Cost: O(number text length). */
int cs_json_get_u64(const struct cs_json *n, uint64_t *out) CS_MUST_CHECK;
int cs_json_get_i64(const struct cs_json *n, int64_t *out) CS_MUST_CHECK;
/* value * 10^decimals as an exact unsigned integer: Bitcoin Core amounts in BTC
 * ("0.00100000") with decimals 8 give satoshi.  More significant decimal places
 * than `decimals` is CS_EFORMAT. */
int cs_json_get_u64_scaled(const struct cs_json *n, unsigned decimals, uint64_t *out) CS_MUST_CHECK;
/* strtod of the text (assumes LC_NUMERIC "C", which the CLI never changes);
 * overflow to infinity is CS_ERANGE, underflow rounds toward 0. */
int cs_json_get_double(const struct cs_json *n, double *out) CS_MUST_CHECK;
/* The string of a STRING node (borrowed from the doc); len may be NULL. */
int cs_json_get_str(const struct cs_json *n, const char **s, size_t *len) CS_MUST_CHECK;
int cs_json_get_bool(const struct cs_json *n, int *out) CS_MUST_CHECK;

/* Field shortcuts: look key up in obj, then convert.  A missing key (or obj
 * not an object) is CS_ENOTFOUND; a wrong type or value is CS_EFORMAT /
 * CS_ERANGE.  Messages name the key and the byte offset. */
int cs_json_obj_u64(const struct cs_json *obj, const char *key, uint64_t *out) CS_MUST_CHECK;
int cs_json_obj_i64(const struct cs_json *obj, const char *key, int64_t *out) CS_MUST_CHECK;
int cs_json_obj_str(const struct cs_json *obj, const char *key, const char **s,
                    size_t *len) CS_MUST_CHECK;
int cs_json_obj_bool(const struct cs_json *obj, const char *key, int *out) CS_MUST_CHECK;

/* Structural equality: same types, same numbers (by text), same strings, same
 * items in order, same members in order.  Cost: O(size of both trees). */
int cs_json_equal(const struct cs_json *a, const struct cs_json *b);

/* ------------------------------------------------------------- writer -- */

enum {
    CS_JSON_W_PRETTY = 1,    /* newline + 2-space indent per level, ": " after keys */
    CS_JSON_W_ASCII = 2,     /* escape every non-ASCII character as \uXXXX */
    CS_JSON_W_HTML_SAFE = 4, /* also escape < > & U+2028 U+2029 (for <script> embedding) */
};

#define CS_JSON_WRITER_MAX_DEPTH 256

/* A streaming writer into a growable buffer or a FILE*.  Caller-provided
 * storage; fields are private. */
struct cs_json_writer {
    FILE *fp;  /* NULL: output stays in buf */
    char *buf; /* output (buffer mode) or staging before fwrite (FILE mode) */
    size_t len, cap;
    size_t flushed; /* bytes already written to fp */
    int flags;
    int err; /* first error, sticky */
    size_t depth;
    int need_value;                                /* a key was written, its value is pending */
    unsigned char count[CS_JSON_WRITER_MAX_DEPTH]; /* 0: empty so far, 1: has items */
    unsigned char is_obj[CS_JSON_WRITER_MAX_DEPTH];
    int done; /* a complete top-level value was written */
};

/* Buffer mode: output accumulates in memory; take it with cs_json_writer_finish. */
void cs_json_writer_init_buf(struct cs_json_writer *w, int flags);
/* FILE mode: output goes to fp through a 64 KiB staging buffer; fp stays the
 * caller's (not closed, fflush'ed by finish). */
void cs_json_writer_init_file(struct cs_json_writer *w, FILE *fp, int flags);

/* Structure.  Each call is O(1) amortised apart from the bytes written. */
void cs_json_writer_begin_object(struct cs_json_writer *w);
void cs_json_writer_end_object(struct cs_json_writer *w);
void cs_json_writer_begin_array(struct cs_json_writer *w);
void cs_json_writer_end_array(struct cs_json_writer *w);
/* Object key; must be followed by exactly one value. */
void cs_json_writer_key(struct cs_json_writer *w, const char *key);
void cs_json_writer_key_n(struct cs_json_writer *w, const char *key, size_t len);

/* Values.  Strings (and keys) are escaped: " and \ always; control
 * characters below 0x20 as \b \f \n \r \t or \u00XX.  Output is always
 * valid UTF-8: each invalid sequence in s — a stray continuation byte, a byte
 * 0xC0/0xC1/0xF5..0xFF, an overlong form, a UTF-16 surrogate (ED A0..BF), a
 * code point above U+10FFFF, a sequence cut short — is replaced by one U+FFFD
 * per maximal subpart (Unicode ch. 3 "U+FFFD substitution of maximal
 * subparts", what Python's bytes.decode("utf-8", "replace") does): written as
 * the three bytes EF BF BD, or as \ufffd with CS_JSON_W_ASCII.  So "\xE2\x82"
 * becomes one U+FFFD and "\xFF\xFE" two.  The replacement is lossy: a
 * caller that must keep the bytes encodes them itself (hex, base64). */
void cs_json_writer_string(struct cs_json_writer *w, const char *s);
void cs_json_writer_string_n(struct cs_json_writer *w, const char *s, size_t len);
void cs_json_writer_u64(struct cs_json_writer *w, uint64_t v);
void cs_json_writer_i64(struct cs_json_writer *w, int64_t v);
/* Shortest of %.15g/%.16g/%.17g that reads back as v; NaN/inf are an error
 * (CS_ERANGE at finish) and write null. */
void cs_json_writer_double(struct cs_json_writer *w, double v);
void cs_json_writer_bool(struct cs_json_writer *w, int v);
void cs_json_writer_null(struct cs_json_writer *w);
/* Number given as text; text that is not an RFC 8259 number is an error
 * (CS_EFORMAT at finish) and writes null. */
void cs_json_writer_number_text(struct cs_json_writer *w, const char *text, size_t len);
/* A whole JSON value given as text (e.g. already-serialised params), validated
 * by cs_json_parse (CS_EFORMAT at finish when invalid).  Inserted verbatim,
 * so pretty-printing does not re-indent it. */
void cs_json_writer_raw(struct cs_json_writer *w, const char *json, size_t len);
/* Serialises a DOM node (numbers by their original text).  Recursion depth is
 * the node's depth, which the parser bounded. */
void cs_json_writer_node(struct cs_json_writer *w, const struct cs_json *n);

/* Ends writing: checks that exactly one complete value was written, flushes
 * FILE mode.  Buffer mode: *out (may be NULL to discard) receives a malloc'd,
 * NUL-terminated string that the caller frees, *out_len its length.  Returns 0
 * or the first error (CS_EIO, CS_ENOMEM, CS_EFORMAT, CS_ERANGE).  Always
 * releases the writer's memory. */
int cs_json_writer_finish(struct cs_json_writer *w, char **out, size_t *out_len) CS_MUST_CHECK;
/* Releases the writer without producing output (error paths). */
void cs_json_writer_free(struct cs_json_writer *w);

/* Checks the RFC 8259 number grammar on exactly len bytes. */
int cs_json_is_number(const char *text, size_t len);

#endif
