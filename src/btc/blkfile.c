/* blkfile.c — blk*.dat scanning with xor.dat support. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btc/blkfile.h"
#include "util/codec.h"

#define MAX_BLOCK_BYTES (32u << 20) /* far above the 4 MB consensus limit */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void unxor(const struct cs_blkdir *d, uint8_t *p, size_t n, uint64_t off)
{
    if (!d->xored) return;
    for (size_t i = 0; i < n; i++)
        p[i] ^= d->xor_key[(off + i) & 7];
}

static int pread_all(int fd, uint8_t *p, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, p + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

static void map_insert(struct cs_blkdir *d, int32_t idx);

static void map_grow(struct cs_blkdir *d)
{
    size_t cap = d->map_cap ? d->map_cap * 2 : 4096;
    free(d->map);
    d->map = cs_xmalloc(cap * sizeof *d->map);
    for (size_t i = 0; i < cap; i++)
        d->map[i] = -1;
    d->map_cap = cap;
    for (size_t i = 0; i < d->n_ent; i++)
        map_insert(d, (int32_t)i);
}

static void map_insert(struct cs_blkdir *d, int32_t idx)
{
    size_t mask = d->map_cap - 1, i = cs_le64(d->ent[idx].hash) & mask;
    while (d->map[i] >= 0)
        i = (i + 1) & mask;
    d->map[i] = idx;
}

int32_t cs_blkdir_find(const struct cs_blkdir *d, const uint8_t hash[32])
{
    if (!d->map_cap) return -1;
    size_t mask = d->map_cap - 1, i = cs_le64(hash) & mask;
    while (d->map[i] >= 0) {
        if (!memcmp(d->ent[d->map[i]].hash, hash, 32)) return d->map[i];
        i = (i + 1) & mask;
    }
    return -1;
}

const char *cs_blkdir_fname(const struct cs_blkdir *d, size_t i)
{
    const char *p = d->files[d->ent[i].file], *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int scan_file(struct cs_blkdir *d, uint32_t fi)
{
    const char *path = d->files[fi];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cs_error(CS_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st)) {
        close(fd);
        return cs_error(CS_EIO, "%s: %s", path, strerror(errno));
    }
    uint64_t size = (uint64_t)st.st_size, off = 0;
    int rc = 0;
    while (off + 8 <= size) {
        uint8_t h[88];
        size_t want = off + 88 <= size ? 88 : 8;
        if (pread_all(fd, h, want, off)) {
            rc = cs_error(CS_EIO, "%s: byte %llu: read failed", path, (unsigned long long)off);
            break;
        }
        unxor(d, h, want, off);
        if (!memcmp(h, "\0\0\0\0", 4)) break; /* zero padding: end of data */
        const struct cs_netparams *net = cs_net_by_magic(h);
        if (!net) {
            rc = cs_error(CS_EFORMAT, "%s: byte %llu: bad magic %02x%02x%02x%02x", path,
                          (unsigned long long)off, h[0], h[1], h[2], h[3]);
            break;
        }
        if (d->net && net != d->net) {
            rc = cs_error(CS_EFORMAT, "%s: byte %llu: magic of %s in a %s block directory", path,
                          (unsigned long long)off, net->name, d->net->name);
            break;
        }
        d->net = net;
        uint32_t len = cs_le32(h + 4);
        if (len < 81 || len > MAX_BLOCK_BYTES) {
            rc = cs_error(CS_EFORMAT, "%s: byte %llu: implausible block size %u", path,
                          (unsigned long long)(off + 4), len);
            break;
        }
        if (off + 8 + len > size) {
            rc = cs_error(CS_EFORMAT,
                          "%s: byte %llu: truncated block: record says %u bytes, file has %llu",
                          path, (unsigned long long)off, len, (unsigned long long)(size - off - 8));
            break;
        }
        if (d->n_ent == d->cap_ent) {
            d->cap_ent = d->cap_ent ? d->cap_ent * 2 : 1024;
            d->ent = cs_xrealloc(d->ent, d->cap_ent * sizeof *d->ent);
        }
        struct cs_blkent *e = &d->ent[d->n_ent];
        memset(e, 0, sizeof *e);
        struct cs_header hd;
        cs_header_parse(h + 8, &hd, e->hash);
        memcpy(e->prev, hd.prev, 32);
        e->bits = hd.bits;
        e->file = fi;
        e->off = off + 8;
        e->size = len;
        e->parent = -1;
        e->height = -1;
        if (cs_blkdir_find(d, e->hash) < 0) { /* the same block twice: keep the first copy */
            d->n_ent++;
            d->bytes += len;
            if (d->n_ent * 2 > d->map_cap)
                map_grow(d);
            else
                map_insert(d, (int32_t)(d->n_ent - 1));
        }
        off += 8 + len;
    }
    if (!rc && off < size && off + 8 > size) {
        /* fewer than 8 bytes left: fine if zero */
        uint8_t t[8] = {0};
        if (!pread_all(fd, t, (size_t)(size - off), off)) {
            unxor(d, t, (size_t)(size - off), off);
            for (uint64_t i = 0; i < size - off; i++)
                if (t[i]) {
                    rc = cs_error(CS_EFORMAT, "%s: byte %llu: truncated record header", path,
                                  (unsigned long long)off);
                    break;
                }
        }
    }
    close(fd);
    return rc;
}

int cs_blkdir_scan(struct cs_blkdir *d, const char *dir)
{
    memset(d, 0, sizeof *d);
    snprintf(d->dir, sizeof d->dir, "%s", dir);
    DIR *dh = opendir(dir);
    if (!dh) return cs_error(CS_EIO, "%s: %s", dir, strerror(errno));
    struct dirent *de;
    size_t cap = 0;
    while ((de = readdir(dh))) {
        const char *n = de->d_name;
        size_t l = strlen(n);
        if (l < 8 || strncmp(n, "blk", 3) || strcmp(n + l - 4, ".dat")) continue;
        int digits = 1;
        for (size_t i = 3; i < l - 4; i++)
            if (n[i] < '0' || n[i] > '9') digits = 0;
        if (!digits) continue;
        if (d->n_files == cap) {
            cap = cap ? cap * 2 : 64;
            d->files = cs_xrealloc(d->files, cap * sizeof *d->files);
        }
        size_t pl = strlen(dir) + l + 2;
        d->files[d->n_files] = cs_xmalloc(pl);
        snprintf(d->files[d->n_files], pl, "%s/%s", dir, n);
        d->n_files++;
    }
    closedir(dh);
    if (!d->n_files) return cs_error(CS_ENOTFOUND, "%s: no blk*.dat files", dir);
    qsort(d->files, d->n_files, sizeof *d->files, cmp_str);
    char xp[4200];
    snprintf(xp, sizeof xp, "%s/xor.dat", dir);
    int xfd = open(xp, O_RDONLY | O_CLOEXEC);
    if (xfd >= 0) {
        /* read one byte more than the key: a 9- or 16-byte file is not a key */
        uint8_t kb[9];
        ssize_t r = read(xfd, kb, sizeof kb);
        close(xfd);
        if (r != 8)
            return cs_error(CS_EFORMAT, "%s: expected an 8-byte key, file has %s bytes", xp,
                            r < 0   ? "unreadable"
                            : r > 8 ? "more than 8"
                                    : "fewer than 8");
        memcpy(d->xor_key, kb, 8);
        for (int i = 0; i < 8; i++)
            if (d->xor_key[i]) d->xored = 1;
    }
    for (uint32_t f = 0; f < d->n_files; f++) {
        int rc = scan_file(d, f);
        if (rc) return rc;
    }
    if (!d->n_ent) return cs_error(CS_ENOTFOUND, "%s: blk files hold no blocks", dir);
    for (size_t i = 0; i < d->n_ent; i++)
        d->ent[i].parent = cs_blkdir_find(d, d->ent[i].prev);
    return 0;
}

void cs_blkdir_free(struct cs_blkdir *d)
{
    if (d->rd_fd > 0) close(d->rd_fd);
    for (size_t i = 0; i < d->n_files; i++)
        free(d->files[i]);
    free(d->files);
    free(d->ent);
    free(d->map);
    memset(d, 0, sizeof *d);
}

int cs_blkdir_read(struct cs_blkdir *d, size_t i, uint8_t **buf, size_t *cap)
{
    const struct cs_blkent *e = &d->ent[i];
    if (*cap < e->size) {
        free(*buf);
        *buf = cs_xmalloc(e->size);
        *cap = e->size;
    }
    if (d->rd_fd <= 0 || d->rd_file != e->file) {
        if (d->rd_fd > 0) close(d->rd_fd);
        d->rd_fd = open(d->files[e->file], O_RDONLY | O_CLOEXEC);
        d->rd_file = e->file;
        if (d->rd_fd < 0) {
            d->rd_fd = 0;
            return cs_error(CS_EIO, "%s: %s", d->files[e->file], strerror(errno));
        }
    }
    int r = pread_all(d->rd_fd, *buf, e->size, e->off);
    if (r)
        return cs_error(CS_EIO, "%s: byte %llu: read failed", d->files[e->file],
                        (unsigned long long)e->off);
    unxor(d, *buf, e->size, e->off);
    return 0;
}
