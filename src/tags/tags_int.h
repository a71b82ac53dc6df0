/* tags_int.h — internals shared by the files of src/tags (not for other modules).
 *
 * db.c owns the table; import.c validates rows and hands canonical tags to
 * tagdb_put(), which neither re-validates nor copies more than the interned
 * strings. */
#ifndef CS_TAGS_TAGS_INT_H
#define CS_TAGS_TAGS_INT_H

#include <stddef.h>

#include "tags/tags.h"

/* Adds a tag whose chain and address are already canonical and whose strings
 * are within their caps.  *outcome as cs_tagdb_add.  Returns 0, CS_ENOMEM or
 * CS_ERANGE (CS_TAGDB_MAX_TAGS reached). */
int tagdb_put(struct cs_tagdb *db, const struct cs_tag *t, int *outcome);

/* 1 if canonical addresses of this chain/address form compare without case
 * (EVM hex, Bech32, CashAddr), 0 for case-sensitive Base58 forms. */
int tag_addr_caseless(const char *chain, const char *canonical);

/* 1 if name is a chain/currency cs_tag_chain_from_name knows, or a token
 * ticker whose chain comes from the address. */
int tag_chain_name_ok(const char *name);

/* Copies s into out (cap bytes incl. NUL), cut at a UTF-8 character boundary. */
void tag_copy_cut(char *out, size_t cap, const char *s);

#endif
