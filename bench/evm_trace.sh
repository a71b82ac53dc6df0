#!/bin/bash
# evm_trace.sh — `trace --chain eth` throughput (the account-model walker,
# docs/METHODS.md §1.6) on a generated chain: chainsleuth-gen --chain eth
# --scenario bybit --txs N (default 1,600,000: about 5.1 M transfers; seed 5, SEED=S for another), ingested
# once into build/bench-cache/evmgen-N/db.  Two walks:
#   wide:  everything the Binance-like hot wallet received in the first 100
#          blocks, --stop-at none, so haircut taint spreads through the whole
#          economy (most transfers of the chain are booked);
#   heist: the four Bybit-style drains, default stops.
# For each policy (haircut, fifo) prints transfers booked, holders followed,
# wall and user seconds of the whole command (open, walk, JSON to /dev/null)
# and peak RSS (GNU time).  Never fails on timing.
# Usage: bench/evm_trace.sh [N]
cd "$(dirname "$0")/.." || exit 2
BIN=${BIN:-$PWD/bin/chainsleuth}
GEN=${GENBIN:-$PWD/bin/chainsleuth-gen}
N=${1:-1600000}
D=build/bench-cache/evmgen-$N
if [ ! -f "$D/.complete" ]; then
    rm -rf "$D"; mkdir -p "$D"
    echo "bench: generating and ingesting $N txs in $D" >&2
    "$GEN" --chain eth --scenario bybit --txs "$N" --seed "${SEED:-5}" --out "$D/csv" --quiet || exit 1
    "$BIN" ingest evm --csv "$D/csv" --chain eth --db "$D/db" >/dev/null 2>"$D/ingest.log" || { tail -3 "$D/ingest.log"; exit 1; }
    "$BIN" tags import --db "$D/db" "$D/csv/truth/tags.csv" >/dev/null || exit 1
    touch "$D/.complete"
fi
X=$("$BIN" info --db "$D/db" --chain eth --json 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["chains"]["eth"]["transfers"])' 2>/dev/null)
first=$(head -2 "$D/csv/blocks.csv" | tail -1 | cut -d, -f1)
seeds=$(/usr/bin/python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
print(" ".join("--tx "+e["tx"] for e in d["edges"] if e["kind"]=="drain"))' "$D/csv/truth/heist-flows.json")
echo "benchmark  trace --chain eth (account model), chain of $N txs, ${X} transfers"
run() { # name policy args...
    local name=$1 pol=$2
    shift 2
    /usr/bin/time -f "%e %U %M" -o "$D/time" "$BIN" trace --db "$D/db" --chain eth --policy "$pol" "$@" --json >"$D/out.json" || { echo "$name $pol failed"; return; }
    read -r wall user rss <"$D/time"
    /usr/bin/python3 - "$D/out.json" "$name" "$pol" "$wall" "$user" "$rss" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
name, pol, wall, user, rss = sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
x = j["transfers_visited"]
print("%-6s %-8s %9d transfers booked, %7d holders, %6d frontier rows: %.2f s wall, %.2f s user, "
      "%.2f M transfers/s (user), peak RSS %.1f MiB" %
      (name, pol, x, j["holders_followed"], len(j["frontier"]), wall, user, x / max(user, 1e-3) / 1e6, rss / 1024))
PY
}
for p in haircut fifo; do
    run wide $p --label "Binance-like hot wallet" --from-block "$first" --to-block $((first + 100)) --stop-at none
done
for p in haircut fifo; do
    # shellcheck disable=SC2086
    run heist $p $seeds
done
