#!/bin/bash
# rpc_window.sh — RPC ingest throughput against a remote-like node: mainnet
# blocks 0..N-1 (default 1000) from the shared blk file, served by
# tests/cli/rpc_replay.py with --latency-ms (default 50) per call, ingested
# with --rpc-window 1 and 16.  Prints input size, blocks/s, peak RSS and a hash
# of `chainsleuth verify` (equal rows = equal stores).  Never fails on timing.
# Usage: bench/rpc_window.sh [BLOCKS [LATENCY_MS [WINDOWS...]]]
# Environment: BIN (default bin/chainsleuth), SHARED (default ../shared).
cd "$(dirname "$0")/.." || exit 2
BIN=${BIN:-$PWD/bin/chainsleuth}
SHARED=${SHARED:-$PWD/../shared}
BLK=$SHARED/data/btc-blocks/blk00000_first1MB_h0-4312.dat
[ -f "$BLK" ] || { echo "skipped: $BLK absent"; exit 0; }
N=${1:-1000}; LAT=${2:-50}; shift 2 2>/dev/null
WINDOWS=${*:-1 16}
T=$(mktemp -d "${TMPDIR:-/tmp}/cs-bench.XXXXXX")
/usr/bin/python3 tests/cli/rpc_replay.py --blocks "$BLK" --port-file "$T/port" --stop-height $((N - 1)) \
    --latency-ms "$LAT" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$T"' EXIT
for i in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$T/port")/"
printf '%-8s %8s %10s %10s %10s %12s  %s\n' window blocks bytes seconds blocks/s peak_rss_kb verify_sha256
for w in $WINDOWS; do
    /usr/bin/time -f %M -o "$T/rss" "$BIN" ingest btc --rpc "$URL" --db "$T/db$w" --quiet --json \
        --rpc-window "$w" >"$T/out" || { echo "ingest failed (window $w)"; exit 1; }
    /usr/bin/python3 - "$T/out" "$w" "$(cat "$T/rss")" "$("$BIN" verify --db "$T/db$w" | sha256sum | cut -c1-16)" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print('%-8s %8d %10d %10.2f %10.1f %12s  %s' % (sys.argv[2], j['blocks'], j['bytes'], j['seconds'],
      j['blocks'] / j['seconds'], sys.argv[3], sys.argv[4]))
PY
done
echo "(latency ${LAT} ms per call at the server; input: mainnet blocks 0..$((N - 1)))"
