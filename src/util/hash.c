/* hash.c — OpenSSL-backed digests with one cached EVP context per thread.
 * A thread that ends frees its context (a pthread key destructor), so
 * servers whose worker threads come and go do not leak one per thread. */
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

#include "util/error.h"
#include "util/hash.h"

static _Thread_local EVP_MD_CTX *tctx;
static _Thread_local EVP_MD *md_sha256, *md_rmd160;
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

static void thread_end(void *unused)
{
    (void)unused;
    EVP_MD_CTX_free(tctx);
    EVP_MD_free(md_sha256);
    EVP_MD_free(md_rmd160);
    tctx = NULL;
    md_sha256 = md_rmd160 = NULL;
}

static void thread_key_make(void)
{
    if (pthread_key_create(&thread_key, thread_end)) BUG("pthread_key_create failed");
}

static EVP_MD_CTX *ctx_get(void)
{
    if (!tctx) {
        pthread_once(&thread_key_once, thread_key_make);
        pthread_setspecific(thread_key, &thread_key); /* any non-NULL value: run thread_end */
        tctx = EVP_MD_CTX_new();
        md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
        md_rmd160 = EVP_MD_fetch(NULL, "RIPEMD160", NULL);
        if (!md_rmd160) md_rmd160 = EVP_MD_fetch(NULL, "RIPEMD160", "provider=legacy");
        if (!tctx || !md_sha256 || !md_rmd160) BUG("OpenSSL digests unavailable");
    }
    return tctx;
}

static void digest(EVP_MD *md, const void *data, size_t len, uint8_t *out)
{
    EVP_MD_CTX *c = ctx_get();
    unsigned int n;
    if (md == NULL) md = md_sha256;
    if (!EVP_DigestInit_ex2(c, md, NULL) || !EVP_DigestUpdate(c, data, len) ||
        !EVP_DigestFinal_ex(c, out, &n))
        BUG("EVP digest failed");
}

void cs_sha256(const void *data, size_t len, uint8_t out[32])
{
    ctx_get();
    digest(md_sha256, data, len, out);
}

void cs_sha256d(const void *data, size_t len, uint8_t out[32])
{
    uint8_t t[32];
    ctx_get();
    digest(md_sha256, data, len, t);
    digest(md_sha256, t, 32, out);
}

void cs_sha256_begin(struct cs_sha256_ctx *ctx)
{
    ctx_get();
    ctx->evp = EVP_MD_CTX_new();
    if (!ctx->evp || !EVP_DigestInit_ex2(ctx->evp, md_sha256, NULL)) BUG("EVP init failed");
}

void cs_sha256_add(struct cs_sha256_ctx *ctx, const void *data, size_t len)
{
    if (len && !EVP_DigestUpdate(ctx->evp, data, len)) BUG("EVP update failed");
}

void cs_sha256_end(struct cs_sha256_ctx *ctx, int dbl, uint8_t out[32])
{
    unsigned int n;
    uint8_t t[32];
    if (!EVP_DigestFinal_ex(ctx->evp, t, &n)) BUG("EVP final failed");
    EVP_MD_CTX_free(ctx->evp);
    ctx->evp = NULL;
    if (dbl)
        digest(md_sha256, t, 32, out);
    else
        memcpy(out, t, 32);
}

void cs_sha256d_parts(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32])
{
    EVP_MD_CTX *c = ctx_get();
    unsigned int n;
    uint8_t t[32];
    if (!EVP_DigestInit_ex2(c, md_sha256, NULL) || !EVP_DigestUpdate(c, a, alen) ||
        (blen && !EVP_DigestUpdate(c, b, blen)) || !EVP_DigestFinal_ex(c, t, &n))
        BUG("EVP digest failed");
    digest(md_sha256, t, 32, out);
}

void cs_ripemd160(const void *data, size_t len, uint8_t out[20])
{
    ctx_get();
    digest(md_rmd160, data, len, out);
}

void cs_hash160(const void *data, size_t len, uint8_t out[20])
{
    uint8_t t[32];
    cs_sha256(data, len, t);
    cs_ripemd160(t, 32, out);
}

/* splitmix/wyhash-style mixing; quality is ample for open addressing. */
static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

uint64_t cs_hash64(const void *data, size_t len, uint64_t seed)
{
    const uint8_t *p = data;
    uint64_t h = mix(seed ^ (len * 0x9e3779b97f4a7c15ULL));
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
        p += 8;
        len -= 8;
    }
    if (len) {
        uint64_t w = 0;
        memcpy(&w, p, len);
        h = mix(h ^ w ^ ((uint64_t)len << 56));
    }
    return mix(h);
}
