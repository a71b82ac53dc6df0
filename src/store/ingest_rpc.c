/* ingest_rpc.c — placeholder until the JSON-RPC client lands (see below). */
#include "store/ingest.h"

const char *cs_ingest_rpc_network;

int cs_ingest_rpc(const struct cs_ingest_opts *o, struct cs_ingest_stats *st)
{
    (void)o;
    (void)st;
    return cs_error(CS_EUSAGE, "--rpc: not available in this build yet");
}
