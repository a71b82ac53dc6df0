#!/bin/bash
# evm_node.sh — `ingest evm --rpc` throughput from a real node: anvil (the
# tests' peer, tests/peers/evm-anvil/setup), filled with BLOCKS blocks of TXS
# ETH transfers each (eth_sendTransaction from the 10 dev accounts to 50
# payees, mined with evm_mine), then ingested with each --rpc-window.  Prints
# blocks/s and transfers/s, and the CPU seconds of both sides over the ingest
# (chainsleuth: user+sys of the process; anvil: /proc/PID/stat delta), so the
# side that bounds the rate shows (CPU/wall near 1.0 on this 2-core machine).
# Never fails on timing; exits 0 with "skipped" when node/npm or anvil is absent.
# Usage: bench/evm_node.sh [BLOCKS [TXS [WINDOWS...]]]   (default 200 25 1 32)
cd "$(dirname "$0")/.." || exit 2
BIN=${BIN:-$PWD/bin/chainsleuth}
P=$PWD/tests/peers/evm-anvil
command -v node >/dev/null 2>&1 || { echo "skipped: node not installed"; exit 0; }
"$P/setup" --check >/dev/null 2>&1 || "$P/setup" >/dev/null 2>&1 || { echo "skipped: anvil not installable"; exit 0; }
ANVIL=$("$P/setup" --anvil-path) || { echo "skipped: no anvil"; exit 0; }
N=${1:-200}; K=${2:-25}; shift 2 2>/dev/null
WINDOWS=${*:-1 32}
T=$(mktemp -d "${TMPDIR:-/tmp}/cs-bench.XXXXXX")
PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
"$ANVIL" --host 127.0.0.1 --port "$PORT" --accounts 10 --balance 1000000 </dev/null >"$T/anvil.out" 2>&1 &
APID=$!
trap 'kill $APID 2>/dev/null; wait $APID 2>/dev/null; rm -rf "$T"' EXIT
URL="http://127.0.0.1:$PORT/"
/usr/bin/python3 - "$URL" "$N" "$K" <<'PY' || { echo "filling anvil failed"; tail -5 "$T/anvil.out"; exit 1; }
import json, sys, time, urllib.request
url, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def call(reqs):
    body = json.dumps(reqs).encode()
    return json.load(urllib.request.urlopen(urllib.request.Request(url, body, {"Content-Type": "application/json"}), timeout=60))
for _ in range(200):
    try:
        call({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}); break
    except OSError:
        time.sleep(0.1)
accts = call({"jsonrpc": "2.0", "id": 1, "method": "eth_accounts", "params": []})["result"]
call({"jsonrpc": "2.0", "id": 1, "method": "evm_setAutomine", "params": [False]})
payee = lambda i: "0x%040x" % (0xc5000000 + i)
nonce = {a: 0 for a in accts}
t0 = time.time()
for b in range(n):
    reqs = []
    for j in range(k):
        a = accts[j % len(accts)]
        reqs.append({"jsonrpc": "2.0", "id": j, "method": "eth_sendTransaction",
                     "params": [{"from": a, "to": payee((b * k + j) % 50), "value": hex(10**15 + j), "nonce": hex(nonce[a])}]})
        nonce[a] += 1
    for r in call(reqs):
        if "error" in r: sys.exit("eth_sendTransaction: %r" % r["error"])
    call({"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []})
print("anvil filled: %d blocks x %d txs in %.1f s" % (n, k, time.time() - t0))
PY
ticks() { awk '{print $14 + $15}' "/proc/$APID/stat"; }
HZ=$(getconf CLK_TCK)
printf '%-7s %7s %8s %9s %9s %11s %9s %9s %11s\n' window blocks txs seconds blocks/s transfers/s cs_cpu/s anvil_cpu/s peak_rss_kb
for w in $WINDOWS; do
    a0=$(ticks)
    /usr/bin/time -f '%U %S %M' -o "$T/time" "$BIN" ingest evm --rpc "$URL" --chain devnet --from 0 \
        --db "$T/db$w" --rpc-window "$w" --quiet --json >"$T/out" || { echo "ingest failed (window $w)"; exit 1; }
    a1=$(ticks)
    /usr/bin/python3 - "$T/out" "$w" "$(cat "$T/time")" "$a0" "$a1" "$HZ" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
u, s_, rss = sys.argv[3].split()
wall = j["seconds"]
anvil = (int(sys.argv[5]) - int(sys.argv[4])) / int(sys.argv[6])
print('%-7s %7d %8d %9.2f %9.1f %11.0f %9.2f %9.2f %11s' % (sys.argv[2], j['blocks'], j['txs'], wall,
      j['blocks'] / wall, j['transfers'] / wall, (float(u) + float(s_)) / wall, anvil / wall, rss))
PY
done
echo "(anvil $("$ANVIL" --version | sed -n 's/^anvil Version: //p'), receipts by eth_getBlockReceipts, traces by debug_traceBlockByNumber; CPU columns: CPU seconds per wall second)"
