/* yaml.h — a YAML 1.2 subset parser: enough for GraphSense TagPacks and
 * ActorPacks, strict about everything else.
 *
 * Invariants:
 *  - The whole document is parsed into a tree owned by one struct cs_yaml_doc;
 *    every node and string stays valid and unchanged until cs_yaml_free().
 *  - Scalars are decoded (quotes removed, escapes and line folding applied) and
 *    NUL-terminated; `len` is their byte length (a scalar may contain NUL only
 *    if the input escaped one with "\0").  No scalar is typed: "12", "true" and
 *    "2022-04-15" stay strings.  Empty values and plain null/Null/NULL/~ are
 *    CS_YAML_NULL nodes.
 *  - Supported: block mappings and sequences (including "- key: v" compact
 *    forms and sequences at their parent key's indentation), plain scalars
 *    over several lines, single- and double-quoted scalars (all YAML escapes,
 *    multi-line folding), literal '|' and folded '>' block scalars with
 *    chomping/indentation indicators, flow sequences and mappings ([a, b],
 *    {k: v}) over one or more lines with single-line plain scalars inside,
 *    comments, a BOM, %-directives and a leading "---".  Only the first
 *    document of a stream is read.
 *  - Rejected with CS_EFORMAT and "name: line L col C: why": anchors, aliases,
 *    tags (&a *a !t), complex keys (?), tabs in indentation, NUL bytes, bad
 *    indentation, unterminated quotes or brackets.  Nesting deeper than
 *    CS_YAML_MAX_DEPTH and inputs over CS_YAML_MAX_INPUT are CS_ERANGE.
 *  - Duplicate keys are kept in order; cs_yaml_get() returns the last one
 *    (what PyYAML does).
 * Cost: one pass over the input, O(n) time; memory about 64 bytes per node
 * plus the decoded text. */
#ifndef CS_UTIL_YAML_H
#define CS_UTIL_YAML_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define CS_YAML_MAX_INPUT ((size_t)256 << 20) /* 256 MiB */
#define CS_YAML_MAX_DEPTH 64

enum cs_yaml_kind {
    CS_YAML_NULL = 0,
    CS_YAML_SCALAR = 1,
    CS_YAML_SEQ = 2,
    CS_YAML_MAP = 3,
};

/* 56 bytes (a TagPack has two per tag, so the size matters): lengths and
 * counts are 32-bit because the input is capped at CS_YAML_MAX_INPUT. */
struct cs_yaml_node {
    uint8_t kind;    /* enum cs_yaml_kind */
    uint8_t quoted;  /* scalar was written in quotes or as a block scalar */
    uint32_t line;   /* 1-based line where the node (or its key) starts */
    const char *key; /* set on the members of a mapping, else NULL */
    const char *str; /* CS_YAML_SCALAR: decoded text; else NULL */
    uint32_t key_len;
    uint32_t len;               /* byte length of str */
    uint32_t count;             /* number of children (SEQ, MAP) */
    struct cs_yaml_node *child; /* first child (SEQ items, MAP members) */
    struct cs_yaml_node *next;  /* next sibling */
};

struct cs_yaml_doc;

/* Parses text[0..len) (need not be NUL-terminated).  name is used in error
 * messages only.  On success *out owns the tree; returns 0, CS_EFORMAT,
 * CS_ERANGE or CS_ENOMEM (message set with cs_error). */
int cs_yaml_parse(const char *text, size_t len, const char *name,
                  struct cs_yaml_doc **out) CS_MUST_CHECK;
/* Frees the document and every node and string in it. NULL is fine. */
void cs_yaml_free(struct cs_yaml_doc *doc);
/* Root node of the document (a CS_YAML_NULL node for an empty stream). */
const struct cs_yaml_node *cs_yaml_root(const struct cs_yaml_doc *doc);
/* Member of a mapping by key (exact, case-sensitive), or NULL if map is not a
 * mapping or has no such key.  O(members). */
const struct cs_yaml_node *cs_yaml_get(const struct cs_yaml_node *map, const char *key);
/* The text of a scalar node, NULL for NULL/SEQ/MAP nodes or node == NULL. */
const char *cs_yaml_str(const struct cs_yaml_node *node);

#endif
