/* bench.h — helpers the benchmarks share (bench/ only).
 *
 * Generated chains and their stores are cached under build/bench-cache so
 * that each benchmark pays for generation and ingest once. */
#ifndef CS_BENCH_BENCH_H
#define CS_BENCH_BENCH_H

#include <stddef.h>

double bench_now(void);       /* monotonic seconds */
long bench_peak_rss_kb(void); /* peak resident set of this process */
/* The chainsleuth-gen chain of txs transactions (seed 1, heist), generated once
 * into build/bench-cache/<txs>-1; writes its blocks directory. Returns 0 or 1. */
int bench_chain(unsigned long long txs, char *blocks, size_t cap);
/* A store of the blocks in blocks_dir, ingested once into <blocks_dir>/../db
 * and reused; writes the store directory. Returns 0 or 1. */
int bench_store(const char *blocks_dir, char *db, size_t cap);

#endif
