/* fuzz_evm_csv.c — libFuzzer target: `ingest evm --csv` on arbitrary files.
 *
 * The input is split at 0xff bytes into blocks.csv, transactions.csv,
 * receipts.csv, token_transfers.csv and traces.csv (a valid header line is
 * prepended to each when the first input byte is even, so the row parsers
 * are reached), written to a directory under /dev/shm and ingested into a
 * fresh store.  Besides "no crash, no leak": an ingest that fails must leave
 * no committed block, and one that succeeds must give a store that verifies
 * and whose transfer count equals what the ingest reported. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evm/ingest.h"
#include "evm/store.h"

static const char *const FILES[] = {"blocks.csv", "transactions.csv", "receipts.csv",
                                    "token_transfers.csv", "traces.csv"};
static const char *const HEADERS[] = {
    "number,hash,parent_hash,miner,timestamp,gas_used,base_fee_per_gas,transaction_count,"
    "withdrawals\n",
    "hash,nonce,block_number,transaction_index,from_address,to_address,value,gas,gas_price,"
    "transaction_type\n",
    "transaction_hash,block_number,transaction_index,gas_used,contract_address,status,"
    "effective_gas_price\n",
    "token_address,from_address,to_address,value,transaction_hash,log_index,block_number\n",
    "block_number,transaction_hash,from_address,to_address,value,trace_type,call_type,"
    "trace_address,status\n"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[128], db[160], p[256], cmd[400];
    snprintf(dir, sizeof dir, "/dev/shm/cs-fuzz-evm.%d", (int)getpid());
    snprintf(db, sizeof db, "%s/db", dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s/in'", dir, dir);
    if (system(cmd)) abort();
    int headers = size && !(data[0] & 1);
    size_t off = size ? 1 : 0;
    for (int f = 0; f < 5; f++) {
        size_t end = off;
        while (end < size && data[end] != 0xff)
            end++;
        if (off >= size && f > 0) break; /* the rest of the files are absent */
        snprintf(p, sizeof p, "%s/in/%s", dir, FILES[f]);
        FILE *fp = fopen(p, "wb");
        if (!fp) abort();
        if (headers) fputs(HEADERS[f], fp);
        fwrite(data + off, 1, end - off, fp);
        fclose(fp);
        off = end + 1;
    }
    snprintf(p, sizeof p, "%s/in", dir);
    struct cs_evm_ingest_stats st;
    int rc = cs_evm_ingest_csv(p, db, "eth", NULL, 0, 0, NULL, &st);
    struct cs_evm *s;
    if (cs_evm_open(&s, db, "eth", CS_EVM_READ) == 0) {
        const struct cs_evm_counts *k = cs_evm_counts(s);
        if (rc && k->blocks) abort(); /* a failed ingest committed nothing */
        if (!rc && (k->xfer != st.xfers || cs_evm_verify(s))) abort();
        cs_evm_close(s);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) abort();
    return 0;
}
