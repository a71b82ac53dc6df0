/* bench_evm.c — `chainsleuth-bench evm`: ethereum-etl CSV ingest into the
 * EVM store, one core.
 *
 *   chainsleuth-bench evm [--txs N] [--keep DB]
 *
 * The input is generated here, once, into build/bench-cache/evm-<N>/ in
 * ethereum-etl's column layout (blocks.csv with withdrawals, transactions.csv,
 * receipts.csv, token_transfers.csv, traces.csv, tokens.csv): 150
 * transactions a block from a pool of 2^20 accounts with skewed activity; 2%
 * failed; 1% of values above 2^64 wei; a third of the txs move one or two
 * ERC-20 amounts of one of 64 tokens; one in eight has an inner call frame
 * with value.  Every tx books its fee as a tip and a burn, so the default
 * 1,600,000 txs give about 6.4 M transfers.
 *
 * Prints the input size, transfers/s and MB/s of CSV for the whole ingest
 * (reading, parsing, sorting, appending, commits), peak RSS, store bytes per
 * transfer (all columns, the adjacency lists included, and tx hashes counted
 * once per tx) and a SHA-256 of the transfer rows, so a fast but wrong build
 * shows.  Never fails on timing. */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "evm/ingest.h"
#include "evm/store.h"
#include "util/codec.h"
#include "util/hash.h"

int bench_evm(int argc, char **argv);

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void addr_hex(char out[43], uint64_t id)
{
    uint8_t a[20];
    uint8_t seed[8];
    cs_put_le64(seed, id);
    uint8_t h[32];
    cs_sha256(seed, 8, h);
    memcpy(a, h, 20);
    out[0] = '0';
    out[1] = 'x';
    cs_hex(out + 2, a, 20);
}

/* A skewed account: low ids far more often (about a third of the picks hit
 * the first 1% of the pool). */
static uint64_t pick(uint64_t *r, uint64_t pool)
{
    uint64_t u = rnd(r), hot = pool >= 100 ? pool / 100 : 1;
    return (u % 3 == 0) ? (u >> 8) % hot : (u >> 8) % pool;
}

static int generate(const char *dir, uint64_t txs)
{
    char p[4300];
    FILE *fb, *ft, *fr, *fk, *fx, *fo;
    mkdir("build", 0755);
    mkdir("build/bench-cache", 0755);
    mkdir(dir, 0755);
#define OPEN(f, name)                                                                              \
    snprintf(p, sizeof p, "%s/%s", dir, name);                                                     \
    if (!(f = fopen(p, "w"))) return 1
    OPEN(fb, "blocks.csv");
    OPEN(ft, "transactions.csv");
    OPEN(fr, "receipts.csv");
    OPEN(fk, "token_transfers.csv");
    OPEN(fx, "traces.csv");
    OPEN(fo, "tokens.csv");
    fprintf(fb, "number,hash,parent_hash,miner,timestamp,gas_used,base_fee_per_gas,"
                "transaction_count,withdrawals\n");
    fprintf(ft, "hash,nonce,block_number,transaction_index,from_address,to_address,value,gas,"
                "gas_price,transaction_type\n");
    fprintf(fr, "transaction_hash,block_number,transaction_index,gas_used,contract_address,"
                "status,effective_gas_price\n");
    fprintf(fk, "token_address,from_address,to_address,value,transaction_hash,log_index,"
                "block_number\n");
    fprintf(fx, "block_number,transaction_hash,from_address,to_address,value,trace_type,"
                "call_type,trace_address,status\n");
    fprintf(fo, "address,symbol,name,decimals\n");
    const uint64_t POOL = 1u << 20, NTOK = 64, PER = 150, FIRST = 17000000;
    for (uint64_t k = 0; k < NTOK; k++) {
        char a[43];
        addr_hex(a, (1ull << 40) + k);
        fprintf(fo, "%s,TK%llu,Token %llu,%llu\n", a, (unsigned long long)k, (unsigned long long)k,
                (unsigned long long)(k % 3 ? 18 : 6));
    }
    uint64_t r = 0x9e3779b97f4a7c15ULL, t = 0;
    uint8_t parent[32] = {0};
    for (uint64_t b = 0; t < txs; b++) {
        uint64_t n = txs - t < PER ? txs - t : PER, num = FIRST + b, base = 10000000000ULL + b;
        uint8_t hash[32], seed[16];
        cs_put_le64(seed, num);
        cs_put_le64(seed + 8, 0xb10c);
        cs_sha256(seed, 16, hash);
        char hh[65], ph[65], miner[43], tx[65], from[43], to[43], a1[43];
        cs_hex(hh, hash, 32);
        cs_hex(ph, parent, 32);
        addr_hex(miner, pick(&r, 64));
        addr_hex(a1, pick(&r, POOL));
        fprintf(
            fb,
            "%llu,0x%s,0x%s,%s,%llu,%llu,%llu,%llu,\"{\"\"index\"\":%llu,\"\"validator_index\"\":"
            "%llu,\"\"address\"\":\"\"%s\"\",\"\"amount\"\":%llu}\"\n",
            (unsigned long long)num, hh, ph, miner, (unsigned long long)(1700000000 + 12 * b),
            (unsigned long long)(n * 50000), (unsigned long long)base, (unsigned long long)n,
            (unsigned long long)b, (unsigned long long)(b % 500000), a1,
            (unsigned long long)(rnd(&r) % 50000000));
        memcpy(parent, hash, 32);
        uint64_t log = 0;
        for (uint64_t i = 0; i < n; i++, t++) {
            uint8_t th[32], ts[8];
            cs_put_le64(ts, t);
            cs_sha256(ts, 8, th);
            cs_hex(tx, th, 32);
            addr_hex(from, pick(&r, POOL));
            addr_hex(to, pick(&r, POOL));
            uint64_t v = rnd(&r) % 4 ? rnd(&r) % 5000000000000000000ULL : 0;
            char val[48];
            if (rnd(&r) % 100 == 0) /* above 2^64 */
                snprintf(val, sizeof val, "%llu%06llu", (unsigned long long)(v % 1000000000000ULL),
                         (unsigned long long)(rnd(&r) % 1000000));
            else
                snprintf(val, sizeof val, "%llu", (unsigned long long)v);
            uint64_t gas = 21000 + rnd(&r) % 150000, tip = rnd(&r) % 3000000000ULL;
            int ok = rnd(&r) % 50 != 0;
            fprintf(ft, "0x%s,%llu,%llu,%llu,%s,%s,%s,%llu,%llu,2\n", tx,
                    (unsigned long long)(t & 0xffff), (unsigned long long)num,
                    (unsigned long long)i, from, to, val, (unsigned long long)(gas + 1000),
                    (unsigned long long)(base + tip));
            fprintf(fr, "0x%s,%llu,%llu,%llu,,%d,%llu\n", tx, (unsigned long long)num,
                    (unsigned long long)i, (unsigned long long)gas, ok,
                    (unsigned long long)(base + tip));
            if (rnd(&r) % 3 == 0)
                for (uint64_t k = 0, m = 1 + rnd(&r) % 2; k < m; k++) {
                    char tk[43], f2[43], t2[43];
                    addr_hex(tk, (1ull << 40) + rnd(&r) % NTOK);
                    addr_hex(f2, pick(&r, POOL));
                    addr_hex(t2, pick(&r, POOL));
                    fprintf(fk, "%s,%s,%s,%llu,0x%s,%llu,%llu\n", tk, f2, t2,
                            (unsigned long long)(rnd(&r) % 1000000000000000ULL), tx,
                            (unsigned long long)log++, (unsigned long long)num);
                }
            if (rnd(&r) % 8 == 0) {
                fprintf(fx, "%llu,0x%s,%s,%s,%s,call,call,,%d\n", (unsigned long long)num, tx, from,
                        to, val, ok);
                char t3[43];
                addr_hex(t3, pick(&r, POOL));
                fprintf(fx, "%llu,0x%s,%s,%s,%llu,call,call,0,%d\n", (unsigned long long)num, tx,
                        to, t3, (unsigned long long)(rnd(&r) % 100000000000000000ULL), ok);
            }
        }
    }
    int bad = 0;
    FILE *all[] = {fb, ft, fr, fk, fx, fo};
    for (int i = 0; i < 6; i++)
        bad |= fclose(all[i]) != 0;
    return bad;
}

/* Bytes of the files in DIR whose names end in suffix. */
static uint64_t dir_bytes(const char *dir, const char *suffix, const char *only)
{
    uint64_t sum = 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name), k = strlen(suffix);
        if (n < k || strcmp(e->d_name + n - k, suffix)) continue;
        if (only && strcmp(e->d_name, only)) continue;
        char p[4400];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &st) == 0) sum += (uint64_t)st.st_size;
    }
    closedir(d);
    return sum;
}

int bench_evm(int argc, char **argv)
{
    unsigned long long txs = 1600000;
    const char *keep = NULL;
    static const struct option opts[] = {
        {"txs", required_argument, 0, 't'}, {"keep", required_argument, 0, 'k'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 't')
            txs = strtoull(optarg, NULL, 10);
        else if (c == 'k')
            keep = optarg;
        else
            return 2;
    }
    char dir[256], done[300], db[300], cmd[700];
    snprintf(dir, sizeof dir, "build/bench-cache/evm-%llu", txs);
    snprintf(done, sizeof done, "%s/.complete", dir);
    struct stat st;
    if (stat(done, &st) != 0) {
        fprintf(stderr, "bench: generating an ethereum-etl export of %llu txs in %s\n", txs, dir);
        double t0 = bench_now();
        if (generate(dir, txs)) {
            fprintf(stderr, "bench evm: cannot write %s\n", dir);
            return 1;
        }
        FILE *f = fopen(done, "w");
        if (f) fclose(f);
        fprintf(stderr, "bench: generated in %.1f s\n", bench_now() - t0);
    }
    snprintf(db, sizeof db, "%s", keep ? keep : "build/bench-cache/evm-db");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", db);
    if (system(cmd)) return 1;
    long rss0 = bench_peak_rss_kb();
    struct cs_evm_ingest_stats is;
    double t0 = bench_now();
    int rc = cs_evm_ingest_csv(dir, db, "eth", NULL, 0, 0, NULL, &is);
    double el = bench_now() - t0;
    if (rc) {
        fprintf(stderr, "bench evm: %s\n", cs_errmsg());
        return 1;
    }
    struct cs_evm *s;
    if (cs_evm_open(&s, db, "eth", CS_EVM_READ)) {
        fprintf(stderr, "bench evm: %s\n", cs_errmsg());
        return 1;
    }
    const struct cs_evm_counts *k = cs_evm_counts(s);
    uint8_t h[32];
    cs_sha256(k->xfer ? (const void *)cs_evm_xfer(s, 0) : "",
              k->xfer * sizeof(struct cs_evm_xferrec), h);
    char hex[65], cdir[400];
    cs_hex(hex, h, 32);
    snprintf(cdir, sizeof cdir, "%s/eth", db);
    uint64_t cols = dir_bytes(cdir, ".col", NULL), idx = dir_bytes(cdir, ".idx", NULL);
    uint64_t hashes = dir_bytes(cdir, ".col", "txhash.col") + dir_bytes(cdir, ".col", "tx.col");
    printf("benchmark  evm ingest (ethereum-etl CSV -> EVM store, one core)\n");
    printf("input      %llu blocks, %llu txs, %llu transfers, %llu accounts, %.1f MB of CSV\n",
           (unsigned long long)k->blocks, (unsigned long long)k->tx, (unsigned long long)k->xfer,
           (unsigned long long)(k->acct - 1), is.bytes / 1e6);
    printf("time       %.2f s (read, parse, sort, append, commit)\n", el);
    printf("throughput %.0f transfers/s, %.1f MB/s of CSV\n", k->xfer / el, is.bytes / 1e6 / el);
    printf("peak RSS   %.1f MiB (%.1f MiB before)\n", bench_peak_rss_kb() / 1024.0, rss0 / 1024.0);
    printf("store      %.1f B/transfer in columns without tx rows and hashes (%.1f B/tx for "
           "those); indexes %.1f B/transfer more\n",
           (double)(cols - hashes) / k->xfer, (double)hashes / k->tx, (double)idx / k->xfer);
    printf("hash       %s\n", hex);
    cs_evm_close(s);
    if (!keep) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", db);
        if (system(cmd)) return 1;
    }
    return 0;
}
