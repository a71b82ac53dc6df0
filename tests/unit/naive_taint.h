/* naive_taint.h — a deliberately dumb per-satoshi reference for test_policy.c.
 *
 * Every satoshi is one array element holding its label; policies move the
 * elements one at a time.  No runs, no merging, no 128-bit arithmetic: values
 * are tiny (a few hundred satoshis), so the plain products fit easily.  It
 * shares nothing with src/trace/policy.c except the written rules of
 * policy.h / METHODS.md §1.2, so agreement is evidence that the kernel
 * implements those rules. */
#ifndef NAIVE_TAINT_H
#define NAIVE_TAINT_H

#include <stdint.h>
#include <string.h>

#define NV_MAX_IO 64    /* inputs or outputs per transaction */
#define NV_MAX_SAT 2048 /* satoshis per transaction */

enum { NV_FIFO, NV_LIFO, NV_TIHO };

/* Ordered policies.  in_lab[i] holds in_val[i] labels.  Writes out_lab[j]
 * (out_val[j] labels each) and fee_lab (F labels). */
static void nv_ordered(int policy, int prorata, int n_in, const uint64_t *in_val,
                       uint32_t *const *in_lab, int n_out, const uint64_t *out_val,
                       uint32_t **out_lab, uint32_t *fee_lab)
{
    uint64_t total_in = 0, total_out = 0;
    for (int i = 0; i < n_in; i++)
        total_in += in_val[i];
    for (int j = 0; j < n_out; j++)
        total_out += out_val[j];
    uint64_t fee = total_in - total_out;

    /* 1. what each input keeps, and the pro-rata fee satoshis */
    static uint32_t kept[NV_MAX_IO][NV_MAX_SAT];
    uint64_t nkept[NV_MAX_IO];
    uint64_t nfee = 0;
    uint64_t cum = 0;
    for (int i = 0; i < n_in; i++) {
        uint64_t share = 0;
        if (prorata && fee > 0) share = (cum + in_val[i]) * fee / total_in - cum * fee / total_in;
        cum += in_val[i];
        nkept[i] = 0;
        /* walk maximal stretches of one label */
        uint64_t s = 0, upto = 0;
        while (s < in_val[i]) {
            uint64_t e = s;
            while (e < in_val[i] && in_lab[i][e] == in_lab[i][s])
                e++;
            uint64_t give = 0;
            if (share > 0) give = e * share / in_val[i] - upto;
            if (share > 0) upto = e * share / in_val[i];
            for (uint64_t p = s; p < e; p++) {
                if (p < e - give)
                    kept[i][nkept[i]++] = in_lab[i][p];
                else
                    fee_lab[nfee++] = in_lab[i][p];
            }
            s = e;
        }
    }

    /* 2. input order */
    int order_in[NV_MAX_IO], k = 0;
    if (policy == NV_FIFO) {
        for (int i = 0; i < n_in; i++)
            order_in[k++] = i;
    } else if (policy == NV_LIFO) {
        for (int i = n_in - 1; i >= 0; i--)
            order_in[k++] = i;
    } else {
        for (int want = 1; want >= 0; want--)
            for (int i = 0; i < n_in; i++) {
                int tainted = 0;
                for (uint64_t p = 0; p < in_val[i]; p++)
                    if (in_lab[i][p] != 0) tainted = 1;
                if (tainted == want) order_in[k++] = i;
            }
    }
    static uint32_t stream[NV_MAX_SAT];
    uint64_t len = 0;
    for (int a = 0; a < n_in; a++)
        for (uint64_t p = 0; p < nkept[order_in[a]]; p++)
            stream[len++] = kept[order_in[a]][p];

    /* 3. output order: TIHO picks the largest remaining output each time */
    int order_out[NV_MAX_IO], used[NV_MAX_IO] = {0};
    for (int a = 0; a < n_out; a++) {
        if (policy != NV_TIHO) {
            order_out[a] = a;
            continue;
        }
        int best = -1;
        for (int j = 0; j < n_out; j++)
            if (!used[j] && (best < 0 || out_val[j] > out_val[best])) best = j;
        used[best] = 1;
        order_out[a] = best;
    }

    /* 4. move satoshis one by one */
    uint64_t pos = 0;
    for (int a = 0; a < n_out; a++)
        for (uint64_t c = 0; c < out_val[order_out[a]]; c++)
            out_lab[order_out[a]][c] = stream[pos++];
    if (!prorata || fee == 0)
        for (uint64_t c = 0; c < fee; c++)
            fee_lab[c] = stream[pos++];
}

/* Haircut on total taint, the METHODS rule with the spill extension of
 * policy.h, giving the residue away one satoshi at a time. */
static void nv_haircut(int n_in, const uint64_t *in_val, const uint64_t *in_taint, int n_out,
                       const uint64_t *out_val, uint64_t *out_taint, uint64_t *fee_taint)
{
    uint64_t V = 0, T = 0, U = 0;
    for (int i = 0; i < n_in; i++) {
        V += in_val[i];
        T += in_taint[i];
    }
    for (int j = 0; j < n_out; j++)
        U += out_val[j];
    uint64_t F = V - U, assigned = 0;
    for (int j = 0; j < n_out; j++) {
        out_taint[j] = V ? out_val[j] * T / V : 0;
        if (out_taint[j] > T - assigned) out_taint[j] = T - assigned;
        assigned += out_taint[j];
    }
    *fee_taint = T - assigned < F ? T - assigned : F;
    uint64_t residue = T - assigned - *fee_taint;
    while (residue > 0) {
        int best = -1;
        for (int j = 0; j < n_out; j++)
            if (out_taint[j] < out_val[j] && (best < 0 || out_val[j] > out_val[best])) best = j;
        out_taint[best]++;
        residue--;
    }
}

#endif
