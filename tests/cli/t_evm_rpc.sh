# t_evm_rpc.sh — `ingest evm --rpc` against recorded mainnet node responses
# (ethereum-etl's own fixtures, served by tests/cli/evm_replay.py exactly as
# the node answered them):
#  1. blocks 1755634-1755635 with their receipts: every tx and every account
#     equal the independent Python ledger (evm_ledger.py) of the same data,
#     and the same `tx --json` as the store the CSV export gives; the node
#     has neither eth_getBlockReceipts nor a tracer, so receipts come per tx
#     and the blocks say internal transfers are unavailable;
#  2. a re-run appends nothing; a node of another chain id is refused naming
#     both ids; a node answering garbage gets one error naming the method,
#     exit 1, and the store keeps its last commit.
. "$(dirname "$0")/lib.sh"
ETL="$DATA/eth/ethereum-etl"
[ -d "$ETL" ] || skip "skipped: $ETL absent (shared data is not part of a clone)"
py=/usr/bin/python3
L="$(dirname "$0")/evm_ledger.py"
F="$ETL/test_stream/blocks_1755634_1755635"
srv() { # PORTFILE ARGS... : starts the replay server, waits for its port
    pf=$1; shift
    $py "$(dirname "$0")/evm_replay.py" --port-file "$pf" "$@" &
    SRV=$!
    for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
    [ -s "$pf" ] || fail "replay server did not start"
}
cleanup() { kill "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null; }
trap 'cleanup; rm -rf "$T"' EXIT

srv "$T/port" --dir "$F" --tip 1755635
URL="http://127.0.0.1:$(cat "$T/port")/"
"$BIN" ingest evm --rpc "$URL" --from 1755634 --db "$T/db" --json >"$T/r.json" 2>"$T/r.err" ||
    fail "ingest --rpc: $(cat "$T/r.err")"
eq "$(jq_ "(j['blocks'], j['txs'], j['receipts_method'], j['trace_method'])" <"$T/r.json")" \
    "(2, 2, 'eth_getTransactionReceipt', None)" "rpc ingest summary"
grep -q "internal transfers unavailable (the node has no tracer)" "$T/r.err" || fail "progress says no tracer: $(cat "$T/r.err")"
"$BIN" info --db "$T/db" | grep -q "^note       2 blocks without internal transfers" || fail "info note"
$py "$L" tocsv "$F" "$T/csv" || fail "tocsv"
out=$($py "$L" check "$BIN" "$T/db" "$T/csv") || fail "ledger of the RPC store"
echo "ok: rpc store: $out"
"$BIN" ingest evm --csv "$T/csv" --db "$T/dbcsv" >/dev/null 2>&1 || fail "csv ingest"
for h in $($py -c 'import csv,sys; [print(r["hash"]) for r in csv.DictReader(open(sys.argv[1]))]' "$T/csv/transactions.csv"); do
    a=$("$BIN" tx "$h" --chain eth --db "$T/db" --json) || fail "tx $h (rpc)"
    b=$("$BIN" tx "$h" --chain eth --db "$T/dbcsv" --json) || fail "tx $h (csv)"
    eq "$a" "$b" "tx $h: RPC store and CSV store"
done
"$BIN" ingest evm --rpc "$URL" --db "$T/db" --json >"$T/r2.json" 2>/dev/null || fail "re-run"
eq "$(jq_ "j['blocks']" <"$T/r2.json")" 0 "re-run appends nothing"
"$BIN" info --db "$T/db" --json >"$T/before.json" || fail "info"

# another chain
"$BIN" ingest evm --rpc "$URL" --chain sepolia --db "$T/db2" >"$T/out" 2>"$T/err"; r=$?
eq "$r" 1 "wrong chain id: exit code"
grep -q "the node's chain id is 1, sepolia is 11155111" "$T/err" || fail "wrong chain message: $(cat "$T/err")"
cleanup

# garbage from the node
rm -f "$T/port"
srv "$T/port" --dir "$F" --tip 1755640 --garbage eth_getBlockByNumber
URL="http://127.0.0.1:$(cat "$T/port")/"
"$BIN" ingest evm --rpc "$URL" --db "$T/db" --quiet >"$T/out" 2>"$T/err"; r=$?
eq "$r" 1 "garbage: exit code"
eq "$(grep -c . "$T/err")" 1 "garbage: one error line ($(cat "$T/err"))"
grep -q "eth_getBlockByNumber" "$T/err" || fail "garbage: message names the method: $(cat "$T/err")"
"$BIN" info --db "$T/db" --json >"$T/after.json" || fail "info after"
cmp -s "$T/before.json" "$T/after.json" || fail "garbage changed the store"
echo "ok: ingest evm --rpc matches the ledger and the CSV store; bad nodes refused"
