/* test_lots.c — account-model taint (trace/lots.h): the METHODS.md §1.4
 * vectors for every policy, and random small ledgers against a naive
 * per-wei reference (every wei a marble that is tainted or not, kept in
 * arrival order), for fifo, lifo and poison exactly, and for haircut the
 * conservation of taint to the wei and poison >= haircut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trace/lots.h"

#define ETH 1000000000000000000ULL
#define SRC 100 /* the tainted source holder */
#define ME 1
#define OUT 2

static struct cs_u256 U(uint64_t v)
{
    return cs_u256_from_u64(v);
}

static uint64_t lo(const struct cs_u256 *v)
{
    uint64_t o = 0;
    assert_int_equal(cs_u256_to_u64(&o, v), 0);
    return o;
}

/* a clean credit, or a tainted one from SRC (seeded just before) */
static void recv(struct cs_lots *l, uint64_t who, uint64_t amt, int tainted)
{
    struct cs_u256 a = U(amt);
    if (tainted) {
        assert_int_equal(cs_lots_seed(l, SRC, 0, &a), 0);
        assert_int_equal(cs_lots_move(l, SRC, who, 0, &a, NULL), 0);
    } else {
        assert_int_equal(cs_lots_move(l, CS_LOTS_NONE, who, 0, &a, NULL), 0);
    }
}

static uint64_t send(struct cs_lots *l, uint64_t amt)
{
    struct cs_u256 a = U(amt), t;
    assert_int_equal(cs_lots_move(l, ME, OUT, 0, &a, &t), 0);
    return lo(&t);
}

static void test_methods_vectors(void **st)
{
    (void)st;
    /* receive 5C, then 1T, then send 3: FIFO 0, LIFO 1, haircut 0.5, poison 3 */
    const enum cs_lots_policy P[4] = {CS_LOTS_FIFO, CS_LOTS_LIFO, CS_LOTS_HAIRCUT, CS_LOTS_POISON};
    const uint64_t want1[4] = {0, ETH, ETH / 2, 3 * ETH};
    /* Paya: balance 5C, receive 1T, receive 5C, send 1: FIFO 0, LIFO 0, haircut 1/11 */
    const uint64_t want2[4] = {0, 0, ETH / 11, ETH};
    for (int i = 0; i < 4; i++) {
        struct cs_lots *l = cs_lots_new(P[i]);
        recv(l, ME, 5 * ETH, 0);
        recv(l, ME, ETH, 1);
        assert_int_equal(send(l, 3 * ETH), want1[i]);
        struct cs_u256 b, t, bo, to;
        cs_lots_get(l, ME, 0, &b, &t);
        cs_lots_get(l, OUT, 0, &bo, &to);
        assert_int_equal(lo(&b), 3 * ETH);
        assert_int_equal(lo(&to), want1[i]);
        if (P[i] != CS_LOTS_POISON) assert_int_equal(lo(&t) + lo(&to), ETH); /* conserved */
        cs_lots_free(l);

        l = cs_lots_new(P[i]);
        recv(l, ME, 5 * ETH, 0);
        recv(l, ME, ETH, 1);
        recv(l, ME, 5 * ETH, 0);
        assert_int_equal(send(l, ETH), want2[i]);
        cs_lots_get(l, ME, 0, &b, &t);
        /* haircut: the rounding remainder stays: 1 ETH - floor(1 ETH / 11) */
        if (P[i] == CS_LOTS_HAIRCUT) assert_int_equal(lo(&t), ETH - ETH / 11);
        cs_lots_free(l);
    }
    /* a debit above the balance: the shortfall is clean funds from before */
    struct cs_lots *l = cs_lots_new(CS_LOTS_FIFO);
    recv(l, ME, 2, 1);
    assert_int_equal(send(l, 5), 2); /* 3 assumed clean, older: FIFO sends them first */
    struct cs_lots_stats s;
    cs_lots_stats(l, &s);
    assert_int_equal(lo(&s.assumed), 3);
    cs_lots_free(l);
}

/* ---- the per-wei reference ---- */

#define NH 4
#define MAXW 4096

struct ref {
    int pol;
    uint8_t w[NH][MAXW]; /* arrival order, oldest first: 1 = tainted */
    int n[NH];
    int poisoned[NH];
};

static int ref_taint(const struct ref *r, int h)
{
    if (r->pol == CS_LOTS_POISON) return r->poisoned[h] ? r->n[h] : 0;
    int t = 0;
    for (int i = 0; i < r->n[h]; i++)
        t += r->w[h][i];
    return t;
}

/* moves amt wei from h (-1: mint) to g (-1: burn); returns the tainted wei moved */
static int ref_move(struct ref *r, int h, int g, int amt)
{
    uint8_t took[MAXW];
    int k = 0, t = 0;
    if (h >= 0) {
        if (amt > r->n[h]) { /* clean funds from before, oldest */
            int s = amt - r->n[h];
            memmove(r->w[h] + s, r->w[h], (size_t)r->n[h]);
            memset(r->w[h], 0, (size_t)s);
            r->n[h] += s;
        }
        if (r->pol == CS_LOTS_LIFO) {
            memcpy(took, r->w[h] + r->n[h] - amt, (size_t)amt);
        } else {
            memcpy(took, r->w[h], (size_t)amt);
            memmove(r->w[h], r->w[h] + amt, (size_t)(r->n[h] - amt));
        }
        r->n[h] -= amt;
        k = amt;
        if (r->pol == CS_LOTS_POISON) {
            t = r->poisoned[h] ? amt : 0;
            memset(took, r->poisoned[h], (size_t)k);
        } else {
            for (int i = 0; i < k; i++)
                t += took[i];
        }
    } else {
        memset(took, 0, (size_t)amt);
        k = amt;
    }
    if (g >= 0) {
        assert_true(r->n[g] + k <= MAXW);
        memcpy(r->w[g] + r->n[g], took, (size_t)k);
        r->n[g] += k;
        if (t) r->poisoned[g] = 1;
    }
    return t;
}

/* marks amt wei of h tainted: the newest clean ones, then new tainted wei */
static void ref_seed(struct ref *r, int h, int amt)
{
    if (r->pol == CS_LOTS_POISON) {
        int clean = r->poisoned[h] ? 0 : r->n[h];
        if (amt > clean) r->n[h] += amt - clean;
        if (amt) r->poisoned[h] = 1;
        return;
    }
    for (int i = r->n[h]; i-- > 0 && amt;)
        if (!r->w[h][i]) r->w[h][i] = 1, amt--;
    for (; amt; amt--)
        r->w[h][r->n[h]++] = 1;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_against_reference(void **st)
{
    (void)st;
    uint64_t seed = 0x5eed1234abcdULL, ops = 0;
    for (int round = 0; round < 3000; round++) {
        int pol = round % 4; /* fifo, lifo, poison exactly; haircut by its invariants */
        static const enum cs_lots_policy P[4] = {CS_LOTS_FIFO, CS_LOTS_LIFO, CS_LOTS_POISON,
                                                 CS_LOTS_HAIRCUT};
        struct cs_lots *l = cs_lots_new(P[pol]), *poison = NULL;
        static struct ref r;
        memset(&r, 0, sizeof r);
        r.pol = (int)P[pol];
        if (P[pol] == CS_LOTS_HAIRCUT) poison = cs_lots_new(CS_LOTS_POISON);
        uint64_t seeded = 0, burned = 0;
        for (int op = 0; op < 60; op++, ops++) {
            int kind = (int)(rng_next(&seed) % 10), h = (int)(rng_next(&seed) % NH),
                g = (int)(rng_next(&seed) % NH), amt = (int)(rng_next(&seed) % 12);
            struct cs_u256 a = U((uint64_t)amt), t;
            if (kind == 0) { /* mint */
                assert_int_equal(cs_lots_move(l, CS_LOTS_NONE, (uint64_t)h, 0, &a, NULL), 0);
                if (poison) assert_int_equal(cs_lots_move(poison, CS_LOTS_NONE, (uint64_t)h, 0, &a, NULL), 0);
                ref_move(&r, -1, h, amt);
            } else if (kind == 1) { /* seed */
                if (P[pol] == CS_LOTS_HAIRCUT) { /* the reference's taint is not haircut's:
                                                    seed within both clean parts */
                    struct cs_u256 b0, t0;
                    cs_lots_get(l, (uint64_t)h, 0, &b0, &t0);
                    int c1 = (int)(lo(&b0) - lo(&t0)), c2 = r.n[h] - ref_taint(&r, h);
                    if (amt > c1) amt = c1;
                    if (amt > c2) amt = c2;
                    a = U((uint64_t)amt);
                }
                assert_int_equal(cs_lots_seed(l, (uint64_t)h, 0, &a), 0);
                if (poison) assert_int_equal(cs_lots_seed(poison, (uint64_t)h, 0, &a), 0);
                ref_seed(&r, h, amt);
                seeded += (uint64_t)amt;
            } else { /* a move, to a holder or burned; sometimes above the balance */
                int to = kind == 2 ? -1 : g;
                if (kind != 3 && r.n[h] && amt > r.n[h]) amt = r.n[h];
                a = U((uint64_t)amt);
                uint64_t hb = (uint64_t)h, tb = to < 0 ? CS_LOTS_NONE : (uint64_t)to;
                assert_int_equal(cs_lots_move(l, hb, tb, 0, &a, &t), 0);
                if (poison) assert_int_equal(cs_lots_move(poison, hb, tb, 0, &a, NULL), 0);
                int rt = ref_move(&r, h, to, amt);
                if (P[pol] != CS_LOTS_HAIRCUT && lo(&t) != (uint64_t)rt)
                    fail_msg("round %d op %d: moved taint %llu, reference %d", round, op,
                             (unsigned long long)lo(&t), rt);
                if (to < 0) burned += lo(&t);
            }
            uint64_t total = 0;
            for (int x = 0; x < NH; x++) {
                struct cs_u256 b, tt;
                cs_lots_get(l, (uint64_t)x, 0, &b, &tt);
                if (lo(&b) != (uint64_t)r.n[x]) fail_msg("round %d op %d kind %d: holder %d balance %llu, reference %d", round, op, kind, x, (unsigned long long)lo(&b), r.n[x]);
                if (P[pol] != CS_LOTS_HAIRCUT && lo(&tt) != (uint64_t)ref_taint(&r, x))
                    fail_msg("round %d op %d: holder %d taint %llu, reference %d", round, op, x,
                             (unsigned long long)lo(&tt), ref_taint(&r, x));
                assert_true(cs_u256_cmp(&tt, &b) <= 0);
                total += lo(&tt);
                if (poison) {
                    struct cs_u256 pt;
                    cs_lots_get(poison, (uint64_t)x, 0, NULL, &pt);
                    assert_true(cs_u256_cmp(&pt, &tt) >= 0); /* poison >= haircut */
                }
            }
            if (P[pol] != CS_LOTS_POISON && total + burned != seeded)
                fail_msg("round %d op %d: taint held %llu + burned %llu != seeded %llu", round,
                         op, (unsigned long long)total, (unsigned long long)burned,
                         (unsigned long long)seeded);
        }
        cs_lots_free(l);
        cs_lots_free(poison);
    }
    print_message("lots: %llu random operations agree with the per-wei reference\n",
                  (unsigned long long)ops);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_methods_vectors),
        cmocka_unit_test(test_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
