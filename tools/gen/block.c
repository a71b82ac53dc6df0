/* block.c — merkle roots, the BIP141 witness commitment, regtest proof of
 * work and the Core-style blk?????.dat writer of chainsleuth-gen. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/hash.h"

void cs_gen_merkle_root(const uint8_t (*hashes)[32], size_t n, uint8_t (*scratch)[32],
                        uint8_t root[32])
{
    if (n == 1) {
        memcpy(root, hashes[0], 32);
        return;
    }
    memcpy(scratch, hashes, n * 32);
    while (n > 1) {
        size_t m = 0;
        for (size_t i = 0; i < n; i += 2) {
            uint8_t pair[64];
            memcpy(pair, scratch[i], 32);
            memcpy(pair + 32, scratch[i + 1 < n ? i + 1 : i], 32);
            cs_sha256d(pair, 64, scratch[m++]);
        }
        n = m;
    }
    memcpy(root, scratch[0], 32);
}

void cs_gen_witness_commitment(const uint8_t (*wtxids)[32], size_t n, uint8_t (*scratch)[32],
                               const uint8_t reserved[32], uint8_t commit[32])
{
    uint8_t buf[64];
    if (n == 1) {
        memset(buf, 0, 32);
    } else {
        /* merkle over wtxids with the coinbase's taken as zero */
        memcpy(scratch, wtxids, n * 32);
        memset(scratch[0], 0, 32);
        size_t k = n;
        while (k > 1) {
            size_t m = 0;
            for (size_t i = 0; i < k; i += 2) {
                uint8_t pair[64];
                memcpy(pair, scratch[i], 32);
                memcpy(pair + 32, scratch[i + 1 < k ? i + 1 : i], 32);
                cs_sha256d(pair, 64, scratch[m++]);
            }
            k = m;
        }
        memcpy(buf, scratch[0], 32);
    }
    memcpy(buf + 32, reserved, 32);
    cs_sha256d(buf, 64, commit);
}

void cs_gen_target(uint32_t bits, uint8_t target[32])
{
    memset(target, 0, 32);
    uint32_t mant = bits & 0x7fffff;
    int exp = (int)(bits >> 24);
    /* target = mant * 256^(exp-3), stored little-endian */
    if (exp <= 3) {
        mant >>= 8 * (3 - exp);
        exp = 3;
    }
    for (int i = 0; i < 3; i++) {
        int pos = exp - 3 + i;
        if (pos < 32) target[pos] = (uint8_t)(mant >> (8 * i));
    }
}

int cs_gen_hash_meets(const uint8_t hash[32], const uint8_t target[32])
{
    for (int i = 31; i >= 0; i--) {
        if (hash[i] < target[i]) return 1;
        if (hash[i] > target[i]) return 0;
    }
    return 1;
}

int cs_gen_grind(uint8_t header[80], uint32_t bits, uint8_t hash[32])
{
    uint8_t target[32];
    cs_gen_target(bits, target);
    for (uint64_t nonce = 0; nonce <= 0xffffffffu; nonce++) {
        cs_put_le32(header + 76, (uint32_t)nonce);
        cs_sha256d(header, 80, hash);
        if (cs_gen_hash_meets(hash, target)) return 0;
    }
    return -1;
}

/* ---- blk file writer ---- */

static int open_file(struct cs_gen_blkwriter *w)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/blk%05d.dat", w->dir, w->file_no);
    w->f = fopen(path, "wb");
    if (!w->f) return cs_error(CS_EIO, "%s: cannot create: %s", path, strerror(errno));
    w->file_pos = 0;
    return 0;
}

static int flush_buf(struct cs_gen_blkwriter *w)
{
    if (w->len && fwrite(w->buf, 1, w->len, w->f) != w->len)
        return cs_error(CS_EIO, "%s/blk%05d.dat: write failed: %s", w->dir, w->file_no,
                        strerror(errno));
    w->len = 0;
    return 0;
}

static int close_file(struct cs_gen_blkwriter *w)
{
    int rc = flush_buf(w);
    if (fclose(w->f) != 0 && rc == 0)
        rc = cs_error(CS_EIO, "%s/blk%05d.dat: close failed: %s", w->dir, w->file_no,
                      strerror(errno));
    w->f = NULL;
    return rc;
}

int cs_gen_blk_open(struct cs_gen_blkwriter *w, const char *dir, const uint8_t magic[4])
{
    memset(w, 0, sizeof *w);
    if (strlen(dir) >= sizeof w->dir) return cs_error(CS_EUSAGE, "%s: path too long", dir);
    strcpy(w->dir, dir);
    memcpy(w->magic, magic, 4);
    w->cap = 8u << 20;
    w->max_file = CS_GEN_BLKFILE_MAX;
    w->pad = CS_GEN_BLKFILE_PAD;
    w->buf = cs_xmalloc(w->cap);
    return open_file(w);
}

int cs_gen_blk_write2(struct cs_gen_blkwriter *w, const uint8_t *a, size_t alen, const uint8_t *b,
                      size_t blen)
{
    int rc;
    size_t len = alen + blen;
    if (w->file_pos > 0 && w->file_pos + 8 + len > w->max_file) {
        if ((rc = close_file(w)) != 0) return rc;
        w->file_no++;
        if ((rc = open_file(w)) != 0) return rc;
    }
    uint8_t head[8];
    memcpy(head, w->magic, 4);
    cs_put_le32(head + 4, (uint32_t)len);
    const uint8_t *part[3] = {head, a, b};
    size_t plen[3] = {8, alen, blen};
    for (int i = 0; i < 3; i++) {
        if (plen[i] == 0) continue;
        if (w->len + plen[i] > w->cap || plen[i] >= (256u << 10)) {
            if ((rc = flush_buf(w)) != 0) return rc;
        }
        if (plen[i] >= (256u << 10)) { /* large: straight to the file, one copy less */
            if (fwrite(part[i], 1, plen[i], w->f) != plen[i])
                return cs_error(CS_EIO, "%s/blk%05d.dat: write failed: %s", w->dir, w->file_no,
                                strerror(errno));
        } else {
            memcpy(w->buf + w->len, part[i], plen[i]);
            w->len += plen[i];
        }
    }
    w->file_pos += 8 + len;
    w->total += 8 + len;
    w->records++;
    return 0;
}

int cs_gen_blk_write(struct cs_gen_blkwriter *w, const uint8_t *block, size_t len)
{
    return cs_gen_blk_write2(w, block, len, NULL, 0);
}

int cs_gen_blk_close(struct cs_gen_blkwriter *w)
{
    int rc = 0;
    if (w->f) {
        uint64_t pad = (w->pad - w->file_pos % w->pad) % w->pad;
        while (pad && rc == 0) {
            if (w->len == w->cap) rc = flush_buf(w);
            size_t n = w->cap - w->len < pad ? w->cap - w->len : (size_t)pad;
            memset(w->buf + w->len, 0, n);
            w->len += n;
            pad -= n;
        }
        int rc2 = close_file(w);
        if (rc == 0) rc = rc2;
    }
    free(w->buf);
    w->buf = NULL;
    /* A previous, longer run into the same directory may have left files
     * with higher numbers; a parser would read them as part of this chain. */
    DIR *d = opendir(w->dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            int no;
            char tail;
            if (strlen(e->d_name) == 12 && sscanf(e->d_name, "blk%5d.da%c", &no, &tail) == 2 &&
                tail == 't' && no > w->file_no) {
                char path[4400];
                snprintf(path, sizeof path, "%s/%s", w->dir, e->d_name);
                unlink(path);
            }
        }
        closedir(d);
    }
    return rc;
}
