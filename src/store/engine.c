/* engine.c — columns, chunk checksums, hash indexes, MANIFEST, the writer
 * lock, the reader table and copy-on-rollback, for any chain's schema (see
 * engine.h).  Nothing here knows what a row means. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/engine.h"
#include "util/atomic_file.h"
#include "util/codec.h"
#include "util/hash.h"

void cs_engine_path(const struct cs_engine *e, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", e->dir, name);
}

int cs_engine_io_err(const struct cs_engine *e, const char *what, const char *name)
{
    return cs_error(CS_EIO, "%s/%s: %s: %s", e->dir, name, what, strerror(errno));
}

/* ---------------- columns ---------------- */

static int col_map(struct cs_engine *e, int c, size_t len)
{
    struct cs_column *k = &e->col[c];
    int prot = e->writer ? PROT_READ | PROT_WRITE : PROT_READ;
    if (k->map) {
        if (len == k->maplen) return 0;
        void *m = mremap(k->map, k->maplen, len, MREMAP_MAYMOVE);
        if (m == MAP_FAILED) return cs_engine_io_err(e, "mremap", e->spec[c].name);
        k->map = m;
        k->maplen = len;
        return 0;
    }
    if (len == 0) return 0;
    void *m = mmap(NULL, len, prot, MAP_SHARED, k->fd, 0);
    if (m == MAP_FAILED) return cs_engine_io_err(e, "mmap", e->spec[c].name);
    k->map = m;
    k->maplen = len;
    return 0;
}

int cs_engine_reserve(struct cs_engine *e, int c, uint64_t rows)
{
    struct cs_column *k = &e->col[c];
    size_t need = (size_t)rows * k->recsz;
    if (need <= k->maplen) return 0;
    size_t len = k->maplen + k->maplen / 2;
    if (len < need) len = need;
    len = (len + (1u << 20) - 1) & ~(size_t)((1u << 20) - 1); /* 1 MiB steps */
    if (len < (4u << 20)) len = 4u << 20;
    if (ftruncate(k->fd, (off_t)len)) return cs_engine_io_err(e, "ftruncate", e->spec[c].name);
    return col_map(e, c, len);
}

int cs_engine_row_is_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

int cs_engine_tail_u64(const struct cs_engine *e, int c, uint64_t r, uint64_t *out)
{
    const struct cs_column *k = &e->col[c];
    uint8_t b[8];
    if ((r + 1) * 8 <= k->maplen) {
        uint64_t raw = __atomic_load_n((const uint64_t *)(k->map + r * 8), __ATOMIC_ACQUIRE);
        memcpy(b, &raw, 8);
    } else if (pread(k->fd, b, 8, (off_t)(r * 8)) != 8) {
        return 0;
    }
    *out = cs_le64(b);
    return 1;
}

uint64_t cs_engine_tail_rows(const struct cs_engine *e, int c, uint64_t from)
{
    const struct cs_column *k = &e->col[c];
    uint64_t cap = k->maplen / k->recsz, r = from;
    while (r < cap && !cs_engine_row_is_zero(cs_engine_row(e, c, r), k->recsz))
        r++;
    return r - from;
}

void cs_engine_zero_rows(struct cs_engine *e, int c, uint64_t from, uint64_t to)
{
    const uint64_t step = 4096;
    while (to > from) {
        uint64_t lo = to > from + step ? to - step : from;
        memset(cs_engine_row(e, c, lo), 0, (size_t)((to - lo) * e->col[c].recsz));
        to = lo;
    }
}

/* ---------------- checksums ---------------- */

/* A 4-lane 64-bit hash of a chunk: lanes are independent so the multiplies
 * overlap (about 4x cs_hash64's speed); corruption detection, not a MAC. */
static uint64_t chunk_hash(const uint8_t *p, size_t len)
{
    const uint64_t K1 = 0x9e3779b97f4a7c15ULL, K2 = 0xc2b2ae3d27d4eb4fULL;
    uint64_t h[4] = {K1, K2, K1 ^ K2, len};
    size_t i = 0;
    for (; i + 32 <= len; i += 32)
        for (int l = 0; l < 4; l++) {
            uint64_t w;
            memcpy(&w, p + i + 8 * l, 8);
            h[l] ^= w * K2;
            h[l] = (h[l] << 31 | h[l] >> 33) * K1;
        }
    uint64_t r = cs_hash64(p + i, len - i, h[0] ^ (h[1] << 1) ^ (h[2] << 2) ^ (h[3] << 3));
    return cs_hash64(h, sizeof h, r);
}

/* The root after one more chunk hash; the root of no chunks is a constant. */
static uint64_t root_step(uint64_t root, uint64_t chunk)
{
    uint64_t pair[2] = {root, chunk};
    return cs_hash64(pair, sizeof pair, 0x726f6f74ULL);
}

static uint64_t sums_root(const uint64_t *h, uint64_t n)
{
    uint64_t root = 0x636873756d73ULL;
    for (uint64_t i = 0; i < n; i++)
        root = root_step(root, h[i]);
    return root;
}

uint64_t cs_engine_next_rand(uint64_t *rng)
{
    *rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return *rng >> 11;
}

static void sum_name(const struct cs_engine *e, int c, char *out, size_t cap)
{
    snprintf(out, cap, "%s.sum", e->spec[c].name);
}

/* Writer: brings every summed column's chunk hashes up to rows[c] (new full
 * chunks hashed once and appended to NAME.sum, fsync'd), shrinking them first
 * when a truncate cut into hashed chunks.  Cost: the bytes added since the
 * last commit plus one partial chunk per column. */
static int sums_update(struct cs_engine *e, const uint64_t *rows)
{
    for (int c = 0; c < e->ncols; c++) {
        if (!e->spec[c].summed) continue;
        struct cs_colsum *m = &e->sum[c];
        uint64_t bytes = rows[c] * e->col[c].recsz, full = bytes / CS_SUM_CHUNK;
        if (m->n > full) {
            m->n = full;
            m->root = sums_root(m->h, m->n);
        }
        uint64_t first = m->n;
        for (; m->n < full; m->n++) {
            if (m->n == m->cap) {
                m->cap = m->cap ? 2 * m->cap : 64;
                m->h = cs_xrealloc(m->h, m->cap * sizeof *m->h);
            }
            m->h[m->n] = chunk_hash(e->col[c].map + m->n * CS_SUM_CHUNK, CS_SUM_CHUNK);
            m->root = root_step(m->root, m->h[m->n]);
        }
        m->tail = chunk_hash(bytes ? e->col[c].map + full * CS_SUM_CHUNK : (const uint8_t *)"",
                             (size_t)(bytes - full * CS_SUM_CHUNK));
        if (m->n > first) {
            char name[64];
            sum_name(e, c, name, sizeof name);
            uint8_t buf[8 * 64];
            for (uint64_t i = first; i < m->n;) {
                uint64_t k = 0;
                for (; k < 64 && i + k < m->n; k++)
                    cs_put_le64(buf + 8 * k, m->h[i + k]);
                if (pwrite(m->fd, buf, (size_t)(8 * k), (off_t)(8 * i)) != (ssize_t)(8 * k))
                    return cs_engine_io_err(e, "write", name);
                i += k;
            }
            if (fdatasync(m->fd)) return cs_engine_io_err(e, "fsync", name);
        }
    }
    return 0;
}

static int sums_open_files(struct cs_engine *e)
{
    for (int c = 0; c < e->ncols; c++) {
        if (!e->spec[c].summed) continue;
        char name[64], p[4200];
        sum_name(e, c, name, sizeof name);
        cs_engine_path(e, name, p, sizeof p);
        e->sum[c].fd = open(p, (e->writer ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0644);
        if (e->sum[c].fd < 0) {
            if (errno == ENOENT)
                return cs_error(CS_ECORRUPT, "store corrupt: %s/%s: missing", e->dir, name);
            return cs_engine_io_err(e, "open", name);
        }
    }
    return 0;
}

/* Loads the committed chunk hashes and checks them against MANIFEST's root. */
static int sums_load(struct cs_engine *e, const uint64_t *rows)
{
    for (int c = 0; c < e->ncols; c++) {
        if (!e->spec[c].summed) continue;
        struct cs_colsum *m = &e->sum[c];
        char name[64];
        sum_name(e, c, name, sizeof name);
        uint64_t bytes = rows[c] * e->col[c].recsz;
        if (m->m_n != bytes / CS_SUM_CHUNK)
            return cs_error(CS_ECORRUPT,
                            "store corrupt: %s/MANIFEST: %s has %llu chunks for %llu bytes", e->dir,
                            e->spec[c].name, (unsigned long long)m->m_n, (unsigned long long)bytes);
        m->cap = m->m_n > 64 ? m->m_n : 64;
        m->h = cs_xrealloc(m->h, m->cap * sizeof *m->h);
        uint8_t buf[8 * 512];
        for (uint64_t i = 0; i < m->m_n;) {
            uint64_t k = m->m_n - i < 512 ? m->m_n - i : 512;
            if (pread(m->fd, buf, (size_t)(8 * k), (off_t)(8 * i)) != (ssize_t)(8 * k))
                return cs_error(CS_ECORRUPT, "store corrupt: %s/%s: shorter than %llu hashes",
                                e->dir, name, (unsigned long long)m->m_n);
            for (uint64_t j = 0; j < k; j++)
                m->h[i + j] = cs_le64(buf + 8 * j);
            i += k;
        }
        m->n = m->m_n;
        m->root = sums_root(m->h, m->n);
        if (m->root != m->m_root)
            return cs_error(CS_ECORRUPT, "store corrupt: %s/%s: chunk hashes do not match MANIFEST",
                            e->dir, name);
        m->tail = m->m_tail;
    }
    return 0;
}

int cs_engine_check_chunk(const struct cs_engine *e, int c, uint64_t i, uint64_t rows)
{
    const struct cs_colsum *m = &e->sum[c];
    uint64_t bytes = rows * e->col[c].recsz;
    uint64_t off = i * CS_SUM_CHUNK, len = i < m->n ? CS_SUM_CHUNK : bytes - off;
    uint64_t h = chunk_hash(len ? e->col[c].map + off : (const uint8_t *)"", (size_t)len);
    if (h != (i < m->n ? m->h[i] : m->m_tail))
        return cs_error(CS_ECORRUPT,
                        "store corrupt: %s/%s: bytes %llu-%llu do not match their checksum", e->dir,
                        e->spec[c].name, (unsigned long long)off, (unsigned long long)(off + len));
    return 0;
}

int cs_engine_check_sums(const struct cs_engine *e, const uint64_t *rows, int samples,
                         uint64_t *rng)
{
    for (int c = 0; c < e->ncols && e->have_sums; c++) {
        if (!e->spec[c].summed) continue;
        int rc = 0;
        if (samples < 0) /* in file order, the partial tail last */
            for (uint64_t i = 0; !rc && i <= e->sum[c].n; i++)
                rc = cs_engine_check_chunk(e, c, i, rows[c]);
        else
            rc = cs_engine_check_chunk(e, c, e->sum[c].n, rows[c]);
        for (int j = 0; !rc && j < samples && e->sum[c].n; j++)
            rc = cs_engine_check_chunk(e, c, cs_engine_next_rand(rng) % e->sum[c].n, rows[c]);
        if (rc) return rc;
    }
    return 0;
}

void cs_engine_col_sha256(const struct cs_engine *e, int c, uint64_t rows, uint8_t out[32])
{
    uint64_t n = rows * e->col[c].recsz;
    cs_sha256(n ? e->col[c].map : (const uint8_t *)"", (size_t)n, out);
}

/* ---------------- indexes ---------------- */
#define IDX_HDR 64
#define IDX_MAGIC "CSIDX1\n"

static int idx_open_path(struct cs_engine *e, struct cs_hidx *x, const char *name, uint64_t cap,
                         int create)
{
    char p[4200];
    cs_engine_path(e, name, p, sizeof p);
    int wr = e->writer;
    if (create) {
        /* made whole under another name, then renamed: a kill -9 before the
         * rename leaves no file of this name (the writer rebuilds a missing
         * index from the columns), never one without its header */
        char q[4220];
        snprintf(q, sizeof q, "%s.part", p);
        x->fd = open(q, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (x->fd < 0) return cs_engine_io_err(e, "open", name);
        size_t len = IDX_HDR + cap * 8;
        if (ftruncate(x->fd, (off_t)len)) return cs_engine_io_err(e, "ftruncate", name);
        uint8_t hdr[IDX_HDR] = {0};
        memcpy(hdr, IDX_MAGIC, 7);
        cs_put_le64(hdr + 8, cap);
        if (pwrite(x->fd, hdr, IDX_HDR, 0) != IDX_HDR) return cs_engine_io_err(e, "write", name);
        if (fsync(x->fd)) return cs_engine_io_err(e, "fsync", name);
        if (rename(q, p)) return cs_engine_io_err(e, "rename", name);
    } else {
        x->fd = open(p, (wr ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0644);
        if (x->fd < 0) return cs_engine_io_err(e, "open", name);
    }
    struct stat st;
    if (fstat(x->fd, &st)) return cs_engine_io_err(e, "fstat", name);
    uint8_t hdr[IDX_HDR];
    if (st.st_size < IDX_HDR || pread(x->fd, hdr, IDX_HDR, 0) != IDX_HDR ||
        memcmp(hdr, IDX_MAGIC, 7) != 0)
        return cs_error(CS_ECORRUPT, "store corrupt: %s/%s: not an index file", e->dir, name);
    x->cap = cs_le64(hdr + 8);
    if (x->cap == 0 || (x->cap & (x->cap - 1)) || (uint64_t)st.st_size != IDX_HDR + x->cap * 8)
        return cs_error(CS_ECORRUPT, "store corrupt: %s/%s: index size does not match its header",
                        e->dir, name);
    x->maplen = (size_t)st.st_size;
    x->map = mmap(NULL, x->maplen, wr ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, x->fd, 0);
    if (x->map == MAP_FAILED) {
        x->map = NULL;
        return cs_engine_io_err(e, "mmap", name);
    }
    x->slots = (uint32_t *)(x->map + IDX_HDR);
    /* probes are random: readahead would only fault in (and zero) pages we never touch */
    madvise(x->map, x->maplen, MADV_RANDOM);
    return 0;
}

void cs_hidx_close(struct cs_hidx *x)
{
    if (x->map) munmap(x->map, x->maplen);
    if (x->fd > 0) close(x->fd);
    memset(x, 0, sizeof *x);
}

int cs_engine_idx_open(struct cs_engine *e, int i, uint64_t cap, int create)
{
    return idx_open_path(e, &e->idx[i], e->idx_names[i], cap, create);
}

int cs_engine_idx_create_tmp(struct cs_engine *e, int i, uint64_t cap, struct cs_hidx *out)
{
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s.tmp", e->idx_names[i]);
    memset(out, 0, sizeof *out);
    int rc = idx_open_path(e, out, tmp, cap, 1);
    if (rc) cs_hidx_close(out);
    return rc;
}

int cs_engine_idx_replace(struct cs_engine *e, int i, struct cs_hidx *fresh)
{
    char tmp[128], p1[4200], p2[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", e->idx_names[i]);
    cs_engine_path(e, tmp, p1, sizeof p1);
    cs_engine_path(e, e->idx_names[i], p2, sizeof p2);
    if (rename(p1, p2)) {
        cs_hidx_close(fresh);
        return cs_engine_io_err(e, "rename", tmp);
    }
    cs_hidx_close(&e->idx[i]);
    e->idx[i] = *fresh;
    return 0;
}

/* ---------------- MANIFEST ---------------- */

int cs_engine_manifest_write(struct cs_engine *e, const uint64_t *rows, const char *body,
                             size_t len)
{
    size_t cap = len + 128 * (size_t)e->ncols + 128, n = len;
    char *buf = cs_xmalloc(cap), hex[65];
    memcpy(buf, body, len);
    int rc = sums_update(e, rows);
    if (rc) goto done;
    for (int c = 0; c < e->ncols; c++)
        if (e->spec[c].summed)
            n += (size_t)snprintf(buf + n, cap - n, "sum %s %llu %016llx %016llx\n",
                                  e->spec[c].name, (unsigned long long)e->sum[c].n,
                                  (unsigned long long)e->sum[c].root,
                                  (unsigned long long)e->sum[c].tail);
    uint8_t h[32];
    cs_sha256(buf, n, h);
    cs_hex(hex, h, 32);
    n += (size_t)snprintf(buf + n, cap - n, "checksum %s\n", hex);
    if ((rc = cs_atomic_write(e->dir, "MANIFEST", buf, n))) goto done;
    e->have_sums = 1;
    for (int c = 0; c < e->ncols; c++) {
        e->sum[c].m_n = e->sum[c].n;
        e->sum[c].m_root = e->sum[c].root;
        e->sum[c].m_tail = e->sum[c].tail;
    }
done:
    free(buf);
    return rc;
}

int cs_engine_commit(struct cs_engine *e, const uint64_t *rows, const char *body, size_t len)
{
    for (int c = 0; c < e->ncols; c++)
        if (e->col[c].fd >= 0 && fdatasync(e->col[c].fd))
            return cs_engine_io_err(e, "fsync", e->spec[c].name);
    for (int i = 0; i < e->nidx; i++)
        if (e->idx[i].fd > 0 && fdatasync(e->idx[i].fd))
            return cs_engine_io_err(e, "fsync", "index");
    return cs_engine_manifest_write(e, rows, body, len);
}

int cs_engine_manifest_read(struct cs_engine *e, char *buf, size_t cap)
{
    char p[4200];
    cs_engine_path(e, "MANIFEST", p, sizeof p);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return CS_ENOTFOUND;
        return cs_engine_io_err(e, "open", "MANIFEST");
    }
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n <= 0) return cs_error(CS_ECORRUPT, "store corrupt: %s/MANIFEST: empty", e->dir);
    buf[n] = 0;
    char *ck = strstr(buf, "checksum ");
    if (!ck) return cs_error(CS_ECORRUPT, "store corrupt: %s/MANIFEST: no checksum line", e->dir);
    uint8_t h[32];
    char hex[65];
    cs_sha256(buf, (size_t)(ck - buf), h);
    cs_hex(hex, h, 32);
    if (strncmp(ck + 9, hex, 64) != 0)
        return cs_error(CS_ECORRUPT, "store corrupt: %s/MANIFEST: checksum mismatch", e->dir);
    e->sums_seen = 0;
    for (char *line = buf; line < ck; line = strchr(line, '\n') + 1) {
        if (!strchr(line, '\n')) break;
        if (strncmp(line, "sum ", 4)) continue;
        char cname[32];
        unsigned long long sn, sr, st;
        int c = 0;
        if (sscanf(line, "sum %31s %llu %llx %llx", cname, &sn, &sr, &st) != 4) {
            int len = (int)(strchr(line, '\n') - line);
            return cs_error(CS_ECORRUPT, "store corrupt: %s/MANIFEST: bad line '%.*s'", e->dir, len,
                            line);
        }
        while (c < e->ncols && strcmp(e->spec[c].name, cname))
            c++;
        if (c == e->ncols || !e->spec[c].summed)
            return cs_error(CS_ECORRUPT, "store corrupt: %s/MANIFEST: unknown column '%s'", e->dir,
                            cname);
        e->sum[c].m_n = sn;
        e->sum[c].m_root = sr;
        e->sum[c].m_tail = st;
        e->sums_seen++;
    }
    e->have_sums = e->sums_seen > 0;
    return 0;
}

/* ---------------- the reader table ---------------- */
#define READERS_GATE 0
#define READERS_HELD 1

static int ofd_lock(int fd, short type, off_t start, off_t len, int wait)
{
    struct flock l;
    memset(&l, 0, sizeof l);
    l.l_type = type;
    l.l_whence = SEEK_SET;
    l.l_start = start;
    l.l_len = len;
    for (;;) {
        if (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &l) == 0) return 0;
        if (errno != EINTR) return -1;
    }
}

/* Reader: joins the reader table and takes the gate (released by
 * cs_engine_open_done).  A store directory the reader can neither open READERS
 * in nor create it in is one no writer can write either: it goes on without. */
static int readers_join(struct cs_engine *e)
{
    char p[4200];
    cs_engine_path(e, "READERS", p, sizeof p);
    e->readfd = open(p, O_RDONLY | O_CLOEXEC);
    if (e->readfd < 0 && errno == ENOENT) e->readfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (e->readfd < 0) {
        if (errno == ENOENT || errno == EACCES || errno == EROFS || errno == EPERM) return 0;
        return cs_engine_io_err(e, "open", "READERS");
    }
    if (ofd_lock(e->readfd, F_RDLCK, READERS_GATE, 1, 1) ||
        ofd_lock(e->readfd, F_RDLCK, READERS_HELD, 1, 1))
        return cs_engine_io_err(e, "lock", "READERS");
    return 0;
}

void cs_engine_open_done(struct cs_engine *e)
{
    if (e->readfd >= 0) ofd_lock(e->readfd, F_UNLCK, READERS_GATE, 1, 0);
}

/* Copies DIR/name (its first copy_len bytes; the copy keeps the original's
 * length, sparse past them) to name.cow, syncs it and renames it over name. */
static int cow_file(struct cs_engine *e, const char *name, uint64_t copy_len)
{
    char src[4200], tmp[4300];
    cs_engine_path(e, name, src, sizeof src);
    snprintf(tmp, sizeof tmp, "%s.cow", src);
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) return errno == ENOENT ? 0 : cs_engine_io_err(e, "open", name);
    int out = -1, rc = 0;
    struct stat st;
    if (fstat(in, &st)) {
        rc = cs_engine_io_err(e, "fstat", name);
        goto done;
    }
    out = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        rc = cs_engine_io_err(e, "open", name);
        goto done;
    }
    if (ioctl(out, FICLONE, in) != 0) {
        if (copy_len > (uint64_t)st.st_size) copy_len = (uint64_t)st.st_size;
        loff_t oi = 0, oo = 0;
        uint64_t left = copy_len;
        while (left) {
            ssize_t k =
                copy_file_range(in, &oi, out, &oo, left > (1u << 30) ? (1u << 30) : left, 0);
            if (k < 0 && errno == EINTR) continue;
            if (k < 0 &&
                (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
                static uint8_t buf[1 << 16];
                ssize_t r = pread(in, buf, left > sizeof buf ? sizeof buf : left, oi);
                if (r <= 0 || pwrite(out, buf, (size_t)r, oo) != r) {
                    rc = cs_engine_io_err(e, "copy", name);
                    goto done;
                }
                k = r;
                oi += r;
                oo += r;
            } else if (k <= 0) {
                rc = k < 0 ? cs_engine_io_err(e, "copy_file_range", name)
                           : cs_error(CS_EIO, "%s/%s: shorter than it was a moment ago", e->dir,
                                      name);
                goto done;
            }
            left -= (uint64_t)k;
        }
        if (ftruncate(out, st.st_size)) {
            rc = cs_engine_io_err(e, "ftruncate", name);
            goto done;
        }
        e->cow_bytes += copy_len;
    }
    if (fdatasync(out)) {
        rc = cs_engine_io_err(e, "fsync", name);
        goto done;
    }
    if (rename(tmp, src)) rc = cs_engine_io_err(e, "rename", name);
done:
    if (out >= 0) close(out);
    close(in);
    if (rc) unlink(tmp);
    return rc;
}

static int open_col_files(struct cs_engine *e, const uint64_t *rows);

/* Every file a rollback or the appends after it write in place becomes a
 * fresh copy, and the writer reopens the copies. */
static int cow_all(struct cs_engine *e, const uint64_t *rows)
{
    int rc;
    for (int c = 0; c < e->ncols; c++)
        if ((rc = cow_file(e, e->spec[c].name, rows[c] * e->spec[c].recsz))) return rc;
    for (int i = 0; i < e->nidx; i++)
        if ((rc = cow_file(e, e->idx_names[i], UINT64_MAX))) return rc;
    int d = open(e->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0 || fsync(d)) {
        if (d >= 0) close(d);
        return cs_engine_io_err(e, "fsync", ".");
    }
    close(d);
    uint64_t n[CS_ENGINE_MAXCOLS];
    for (int c = 0; c < e->ncols; c++) {
        struct cs_column *k = &e->col[c];
        n[c] = k->n;
        if (k->map) munmap(k->map, k->maplen);
        if (k->fd >= 0) close(k->fd);
        k->map = NULL;
        k->maplen = 0;
        k->fd = -1;
    }
    if ((rc = open_col_files(e, rows))) return rc;
    for (int c = 0; c < e->ncols; c++)
        e->col[c].n = n[c];
    for (int i = 0; i < e->nidx; i++) {
        cs_hidx_close(&e->idx[i]);
        if ((rc = cs_engine_idx_open(e, i, 0, 0))) return rc;
    }
    e->cow_rollbacks++;
    return 0;
}

int cs_engine_rollback_begin(struct cs_engine *e, const uint64_t *rows)
{
    if (e->readfd < 0) return 0;
    if (ofd_lock(e->readfd, F_WRLCK, READERS_GATE, 1, 1))
        return cs_engine_io_err(e, "lock", "READERS");
    int alone = ofd_lock(e->readfd, F_WRLCK, READERS_HELD, 1, 0) == 0;
    int rc = alone ? 0 : cow_all(e, rows);
    if (rc) cs_engine_rollback_end(e);
    return rc;
}

void cs_engine_rollback_end(struct cs_engine *e)
{
    if (e->readfd >= 0) ofd_lock(e->readfd, F_UNLCK, READERS_GATE, 2, 0);
}

/* ---------------- open / close ---------------- */

static int open_col_files(struct cs_engine *e, const uint64_t *rows)
{
    for (int c = 0; c < e->ncols; c++) {
        char p[4200];
        const char *name = e->spec[c].name;
        cs_engine_path(e, name, p, sizeof p);
        struct cs_column *k = &e->col[c];
        k->recsz = e->spec[c].recsz;
        k->fd = open(p, (e->writer ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0644);
        uint64_t want = rows[c] * k->recsz;
        if (k->fd < 0 && errno == ENOENT && !e->writer)
            return cs_error(CS_ECORRUPT, "store corrupt: %s/%s: missing (MANIFEST says %llu bytes)",
                            e->dir, name, (unsigned long long)want);
        if (k->fd < 0) return cs_engine_io_err(e, "open", name);
        struct stat st;
        if (fstat(k->fd, &st)) return cs_engine_io_err(e, "fstat", name);
        if ((uint64_t)st.st_size < want)
            return cs_error(CS_ECORRUPT, "store corrupt: %s/%s: %llu bytes, MANIFEST says %llu",
                            e->dir, name, (unsigned long long)st.st_size, (unsigned long long)want);
        int rc = col_map(e, c, e->writer ? (size_t)st.st_size : (size_t)want);
        if (rc) return rc;
        k->n = rows[c];
    }
    return 0;
}

int cs_engine_open_cols(struct cs_engine *e, const uint64_t *rows)
{
    int rc;
    if ((rc = open_col_files(e, rows)) || (rc = sums_open_files(e))) return rc;
    if (e->have_sums) return sums_load(e, rows);
    /* a new store, or one written before checksums: the writer's next commit
     * hashes every column from the start */
    for (int c = 0; c < e->ncols; c++)
        e->sum[c].root = sums_root(NULL, 0);
    return 0;
}

static int take_lock(struct cs_engine *e)
{
    char p[4200];
    cs_engine_path(e, "LOCK", p, sizeof p);
    e->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (e->lockfd < 0) return cs_error(CS_EIO, "%s: %s", p, strerror(errno));
    if (flock(e->lockfd, LOCK_EX | LOCK_NB)) {
        /* the holder wrote its pid into LOCK after it took the lock */
        char pid[24] = {0};
        ssize_t k = pread(e->lockfd, pid, sizeof pid - 1, 0);
        long holder = k > 0 ? strtol(pid, NULL, 10) : 0;
        /* a pid left by a dead holder (the new one has not written yet) is not named */
        if (holder > 0 && (kill((pid_t)holder, 0) == 0 || errno == EPERM))
            return cs_error(CS_ELOCKED,
                            "%s: another chainsleuth process (pid %ld) is writing this store",
                            e->dir, holder);
        return cs_error(CS_ELOCKED, "%s: another chainsleuth process is writing this store",
                        e->dir);
    }
    char pid[24];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(e->lockfd, 0) || pwrite(e->lockfd, pid, (size_t)n, 0) != n)
        return cs_error(CS_EIO, "%s: %s", p, strerror(errno));
    return 0;
}

void cs_engine_init(struct cs_engine *e)
{
    memset(e, 0, sizeof *e);
    e->lockfd = e->readfd = -1;
    for (int c = 0; c < CS_ENGINE_MAXCOLS; c++)
        e->col[c].fd = e->sum[c].fd = -1;
}

int cs_engine_open(struct cs_engine *e, const char *dbdir, const char *chain, int writer,
                   const struct cs_colspec *spec, int ncols, const char *const *idx_names, int nidx)
{
    cs_engine_init(e);
    if (ncols > CS_ENGINE_MAXCOLS || nidx > CS_ENGINE_MAXIDX) BUG("schema too large");
    e->writer = writer;
    e->spec = spec;
    e->ncols = ncols;
    e->idx_names = idx_names;
    e->nidx = nidx;
    snprintf(e->chain, sizeof e->chain, "%s", chain);
    snprintf(e->dir, sizeof e->dir, "%s/%s", dbdir, chain);
    snprintf(e->dbdir, sizeof e->dbdir, "%s", dbdir);
    if (!writer) return readers_join(e);
    if (mkdir(dbdir, 0755) && errno != EEXIST)
        return cs_error(CS_EIO, "%s: mkdir: %s", dbdir, strerror(errno));
    if (mkdir(e->dir, 0755) && errno != EEXIST)
        return cs_error(CS_EIO, "%s: mkdir: %s", e->dir, strerror(errno));
    int rc = take_lock(e);
    if (rc) return rc;
    /* leftovers of an interrupted index rebuild or copy-on-rollback */
    char p[4200], q[4300];
    for (int i = 0; i < nidx + ncols; i++) {
        cs_engine_path(e, i < nidx ? idx_names[i] : spec[i - nidx].name, p, sizeof p);
        snprintf(q, sizeof q, "%s.cow", p);
        unlink(q);
        if (i >= nidx) continue;
        snprintf(q, sizeof q, "%s.tmp", p);
        unlink(q);
    }
    cs_engine_path(e, "READERS", p, sizeof p);
    e->readfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (e->readfd < 0) return cs_error(CS_EIO, "%s: %s", p, strerror(errno));
    return 0;
}

void cs_engine_close(struct cs_engine *e, const uint64_t *high)
{
    for (int c = 0; c < e->ncols; c++) {
        struct cs_column *k = &e->col[c];
        if (k->map) munmap(k->map, k->maplen);
        /* a clean close leaves files as long as the longest snapshot a reader
         * may still map (after a reorg, longer than what is committed: the
         * rows past it are zero) */
        if (e->writer && high && k->fd >= 0 && ftruncate(k->fd, (off_t)(high[c] * k->recsz))) {
        }
        if (k->fd >= 0) close(k->fd);
        k->map = NULL;
        k->fd = -1;
    }
    for (int i = 0; i < e->nidx; i++)
        cs_hidx_close(&e->idx[i]);
    for (int c = 0; c < CS_ENGINE_MAXCOLS; c++) {
        if (e->sum[c].fd >= 0) close(e->sum[c].fd);
        free(e->sum[c].h);
        e->sum[c].h = NULL;
        e->sum[c].fd = -1;
    }
    if (e->lockfd >= 0) close(e->lockfd);
    if (e->readfd >= 0) close(e->readfd);
    e->lockfd = e->readfd = -1;
}
