/* blkfile.h — reading Bitcoin Core block files (blk*.dat, METHODS §6.5).
 *
 * A directory scan reads only the 8-byte record headers and the 80-byte block
 * headers of every record in every blk?????.dat file (in file-number order),
 * undoing the xor.dat obfuscation of Core 28+, and stops a file at zero padding.
 * It builds an in-memory index of all blocks found (about 100 bytes a block:
 * 90 MB for all of mainnet), from which the caller picks the best chain.
 * Every error names the file and the byte offset. */
#ifndef CS_BTC_BLKFILE_H
#define CS_BTC_BLKFILE_H

#include <stddef.h>
#include <stdint.h>

#include "btc/block.h"
#include "btc/script.h"

struct cs_blkent {
    uint8_t hash[32];
    uint8_t prev[32];
    uint32_t bits;
    uint32_t file; /* index into cs_blkdir.files */
    uint64_t off;  /* byte offset of the block data (after magic and size) */
    uint32_t size;
    int32_t parent; /* index of the parent entry, -1 if not in the files */
    int64_t height; /* -1 until resolved */
    uint64_t work[4];
};

struct cs_blkdir {
    char dir[4096];
    char **files; /* full paths, sorted by file number */
    size_t n_files;
    uint8_t xor_key[8];
    int xored;
    const struct cs_netparams *net;
    struct cs_blkent *ent;
    size_t n_ent, cap_ent;
    uint64_t bytes; /* total block bytes indexed */
    /* hash -> entry index (open addressing, in memory) */
    int32_t *map;
    size_t map_cap;
    int rd_fd; /* cached descriptor for cs_blkdir_read */
    uint32_t rd_file;
};

/* Scans dir. Fails with CS_ENOTFOUND if there is no blk*.dat file, CS_EFORMAT
 * for a wrong magic, a record running past the end of its file, or a mix of
 * networks. */
int cs_blkdir_scan(struct cs_blkdir *d, const char *dir) CS_MUST_CHECK;
void cs_blkdir_free(struct cs_blkdir *d);
/* Entry index of a block hash, or -1. */
int32_t cs_blkdir_find(const struct cs_blkdir *d, const uint8_t hash[32]);
/* Reads the block bytes of entry i into *buf (grown as needed, XOR undone). */
int cs_blkdir_read(struct cs_blkdir *d, size_t i, uint8_t **buf, size_t *cap) CS_MUST_CHECK;
/* Base name of the file of entry i, for messages. */
const char *cs_blkdir_fname(const struct cs_blkdir *d, size_t i);

#endif
