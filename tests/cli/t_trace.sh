# t_trace.sh — `chainsleuth trace` end to end on a small generated chain:
#  - usage errors exit 2, runtime errors exit 1, each with a clear message;
#  - the JSON is byte-identical across two runs and conserves the seed
#    (seed = sinks + frontier + fees + dropped) for the conservative policies;
#  - --html writes a self-contained file that states the SHA-256 of the
#    --json output of the same trace; --csv and --dot agree with the JSON;
#  - --max-hops, --min-amount, --backward give what their definitions say.
. "$(dirname "$0")/lib.sh"
"$BIN" trace --help >/dev/null 2>&1 || fail "$BIN has no trace command"
J() { jq_ "$2" <"$1"; } # J FILE EXPR

# usage errors (exit 2) need no store
Z=$(printf '%064d' 0)
out=$("$BIN" trace --db "$T/none" --tx "$Z" --policy bogus 2>&1); r=$?
eq "$r" 2 "unknown policy: exit code"
echo "$out" | grep -q "unknown taint policy 'bogus'" || fail "unknown policy message: $out"
out=$("$BIN" trace --db "$T/none" --tx 12ab --policy fifo 2>&1); r=$?
eq "$r" 2 "short txid: exit code"
echo "$out" | grep -q "a txid is 64 hex digits" || fail "short txid message: $out"
out=$("$BIN" trace --db "$T/none" --tx "zz${Z#00}" --policy fifo 2>&1); r=$?
eq "$r" 2 "non-hex txid: exit code"
echo "$out" | grep -q "not a hex txid" || fail "non-hex txid message: $out"
eq "$(rc "$BIN" trace --db "$T/none" --tx "$Z")" 2 "missing --policy"
eq "$(rc "$BIN" trace --db "$T/none" --policy fifo)" 2 "no seed"
eq "$(rc "$BIN" trace --db "$T/none" --tx "$Z" --policy tiho --backward)" 2 "tiho backward"
eq "$(rc "$BIN" trace --db "$T/none" --tx "$Z" --policy fifo --backward --fee-convention pro-rata)" 2 \
    "fifo pro-rata backward"
eq "$(rc "$BIN" trace --db "$T/none" --tx "$Z" --policy fifo --stop-at exchange,casino)" 2 "bad --stop-at"
eq "$(rc "$BIN" trace --db "$T/none" --tx "$Z" --policy fifo --json --csv)" 2 "two output modes"
eq "$(rc "$BIN" trace --db "$T/none" --tx "$Z" --policy fifo --max-hops -1)" 2 "negative --max-hops"
# missing store: exit 1
out=$("$BIN" trace --db "$T/none" --tx "$Z" --policy haircut 2>&1); r=$?
eq "$r" 1 "missing db: exit code"
echo "$out" | grep -q "no store" || fail "missing db message: $out"

[ -x "${GENBIN:-}" ] || fail "no chainsleuth-gen at '${GENBIN:-}' (make builds it)"
"$GENBIN" --out "$T/gen" --txs 4000 --seed 11 --scenario heist --quiet || fail "chainsleuth-gen"
"$BIN" ingest btc --blocks "$T/gen/blocks" --db "$T/db" >/dev/null 2>&1 || fail "ingest"
"$BIN" tags import "$T/gen/truth/tags.csv" --db "$T/db" >/dev/null || fail "tags import"
"$BIN" cluster --db "$T/db" >/dev/null 2>&1 || fail "cluster"
DRAIN=$(J "$T/gen/truth/heist.json" "j['drain_txid']")
STOLEN=$(J "$T/gen/truth/heist.json" "j['stolen']")

# a txid that is not in the store: exit 1
out=$("$BIN" trace --db "$T/db" --tx "$Z" --policy haircut 2>&1); r=$?
eq "$r" 1 "unknown txid: exit code"
echo "$out" | grep -q "is not in the store" || fail "unknown txid message: $out"
eq "$(rc "$BIN" trace --db "$T/db" --tx "$DRAIN:9999" --policy haircut)" 1 "vout out of range"

# JSON: byte-identical, conserving, the seed is the stolen amount
for p in haircut fifo lifo tiho poison; do
    "$BIN" trace --db "$T/db" --tx "$DRAIN" --policy "$p" --json >"$T/$p.1.json" || fail "$p trace"
    "$BIN" trace --db "$T/db" --tx "$DRAIN" --policy "$p" --json >"$T/$p.2.json" || fail "$p trace (2)"
    cmp -s "$T/$p.1.json" "$T/$p.2.json" || fail "$p: JSON differs between two runs"
    eq "$(J "$T/$p.1.json" "j['seed_amount']")" "$STOLEN" "$p: seed_amount"
    eq "$(J "$T/$p.1.json" "j['policy']")" "$p" "$p: policy field"
    if [ "$p" != poison ]; then
        eq "$(J "$T/$p.1.json" "sum(s['amount'] for s in j['sinks']) + sum(f['amount'] for f in j['frontier']) + j['fees'] + j['dropped'] == j['seed_amount']")" True "$p: conservation"
        eq "$(J "$T/$p.1.json" "j['conservative']")" True "$p: conservative flag"
    else
        eq "$(J "$T/$p.1.json" "j['conservative']")" False "poison: conservative flag"
    fi
done
eq "$(J "$T/haircut.1.json" "j['txs_visited'] > 10")" True "the heist trace visits transactions"
eq "$(J "$T/haircut.1.json" "sorted(j['parameters'].keys()) == sorted(['policy','fee_convention','direction','tx','address','label','from_height','to_height','max_hops','min_amount','until_height','stop_at','coinjoin_stop','sweep_rule','cluster_attribution','fees_followed_into_coinbase'])")" True "parameters list every option"

# --html: exists, self-contained, states the hash of the --json bytes
hash=$(sha256sum <"$T/haircut.1.json" | cut -d' ' -f1)
"$BIN" trace --db "$T/db" --tx "$DRAIN" --policy haircut --html "$T/report.html" >"$T/summary.txt" 2>"$T/html.err" ||
    fail "--html: $(cat "$T/html.err")"
[ -s "$T/report.html" ] || fail "--html wrote nothing"
grep -q "$hash" "$T/report.html" || fail "the HTML does not contain the JSON hash $hash"
grep -q "$hash" "$T/summary.txt" || fail "the summary does not print the JSON hash"
grep -qi '<script\|<link\|src="http\|url(http' "$T/report.html" && fail "the HTML loads external resources"
# Graphviz is a dependency (scripts/install-deps): the graph must be there
command -v dot >/dev/null 2>&1 || fail "Graphviz dot is not installed (run scripts/install-deps)"
grep -q '<svg' "$T/report.html" || fail "the HTML has no inline SVG from Graphviz dot"
grep -q 'No flow graph' "$T/report.html" && fail "the HTML says there is no graph although dot ran"

# without Graphviz the HTML is still written and says why there is no graph
PATH=/nonexistent "$BIN" trace --db "$T/db" --tx "$DRAIN" --policy haircut --html "$T/nodot.html" \
    >/dev/null 2>"$T/nodot.err" || fail "--html without dot: $(cat "$T/nodot.err")"
grep -q 'No flow graph' "$T/nodot.html" || fail "without dot the HTML must say there is no graph"
grep -q "$hash" "$T/nodot.html" || fail "without dot the HTML still carries the JSON hash"
grep -qi 'dot' "$T/nodot.err" || fail "without dot the command must say so on stderr"

# a dot that hangs is killed at the timeout; the HTML is still written, says
# why there is no graph, and no dot is left running
mkdir -p "$T/slowdot"
printf '#!/bin/sh\necho $$ >"%s"\nexec sleep 120\n' "$T/slowdot/pid" >"$T/slowdot/dot"
chmod +x "$T/slowdot/dot"
t0=$(date +%s)
PATH="$T/slowdot:$PATH" CHAINSLEUTH_DOT_TIMEOUT=1 "$BIN" trace --db "$T/db" --tx "$DRAIN" --policy haircut \
    --html "$T/slow.html" >/dev/null 2>"$T/slow.err" || fail "--html with a hanging dot: $(cat "$T/slow.err")"
took=$(( $(date +%s) - t0 ))
[ "$took" -lt 20 ] || fail "a hanging dot held trace for ${took}s with CHAINSLEUTH_DOT_TIMEOUT=1"
grep -q "dot did not finish within 1.0 s and was killed" "$T/slow.err" || fail "hanging dot message: $(cat "$T/slow.err")"
grep -q 'No flow graph' "$T/slow.html" || fail "with a hanging dot the HTML must say there is no graph"
grep -q "$hash" "$T/slow.html" || fail "with a hanging dot the HTML still carries the JSON hash"
[ -s "$T/slowdot/pid" ] || fail "the fake dot never ran"
kill -0 "$(cat "$T/slowdot/pid")" 2>/dev/null && fail "the hanging dot is still running after the timeout"

# --address and --label seeds: what the address (or the tagged addresses) received
VAULT=$(awk -F, '$3 == "bridge" { print $1; exit }' "$T/gen/truth/tags.csv")
VLABEL=$(awk -F, '$3 == "bridge" { print $2; exit }' "$T/gen/truth/tags.csv")
[ -n "$VAULT" ] || fail "the generator's tags.csv has no bridge (vault) tag"
{
    "$BIN" trace --db "$T/db" --address "$VAULT" --policy fifo --max-hops 0 --json >"$T/a.json" || fail "--address"
    "$BIN" trace --db "$T/db" --label "$VLABEL" --policy fifo --max-hops 0 --json >"$T/l.json" || fail "--label"
    eq "$(J "$T/a.json" "len(j['seeds']) > 0 and all(s['address'] == '$VAULT' for s in j['seeds'])")" True \
        "--address seeds are the address's outputs"
    eq "$(J "$T/l.json" "[s['outpoint'] for s in j['seeds']]")" "$(J "$T/a.json" "[s['outpoint'] for s in j['seeds']]")" \
        "--label of the vault = --address of the vault"
    eq "$(J "$T/a.json" "j['seed_amount'] == sum(f['amount'] for f in j['frontier'])")" True "--max-hops 0 keeps the seed"
    H=$(J "$T/a.json" "sorted(f['height'] for f in j['frontier'])[len(j['frontier']) // 2]")
    "$BIN" trace --db "$T/db" --address "$VAULT" --from-height "$H" --policy fifo --max-hops 0 --json >"$T/a2.json" ||
        fail "--from-height"
    eq "$(J "$T/a2.json" "0 < len(j['seeds']) <= len(json.load(open('$T/a.json'))['seeds']) and all(f['height'] >= $H for f in j['frontier'])")" True "--from-height"
    eq "$(rc "$BIN" trace --db "$T/db" --label 'no such label' --policy fifo)" 1 "unknown label"
}

# --csv: one row per sink and frontier output; --dot: a digraph naming the sinks
"$BIN" trace --db "$T/db" --tx "$DRAIN" --policy haircut --csv >"$T/h.csv" || fail "--csv"
want=$(J "$T/haircut.1.json" "len(j['sinks']) + len(j['frontier']) + 1")
eq "$(wc -l <"$T/h.csv" | tr -d ' ')" "$want" "--csv rows"
"$BIN" trace --db "$T/db" --tx "$DRAIN" --policy haircut --dot >"$T/h.dot" || fail "--dot"
head -n 1 "$T/h.dot" | grep -q '^digraph trace {' || fail "--dot output is not a digraph"
dot -Tsvg "$T/h.dot" >/dev/null || fail "dot rejects our DOT"

# --max-hops 1: only the drain's spenders are processed, the rest waits at hop 1
"$BIN" trace --db "$T/db" --tx "$DRAIN" --policy fifo --max-hops 1 --json >"$T/h1.json" || fail "--max-hops"
eq "$(J "$T/h1.json" "max(p['hop'] for p in j['per_hop'] if p['txs']) <= 1")" True "--max-hops 1 processes hop 1 only"
eq "$(J "$T/h1.json" "all(f['reason'] in ('max_hops','unspent') and f['hops'] <= 1 for f in j['frontier'])")" True "--max-hops frontier"
# --min-amount above every output (1000 BTC = 10^11 sat; a bare number is BTC):
# everything past the seed is dropped or a sink
"$BIN" trace --db "$T/db" --tx "$DRAIN" --policy haircut --min-amount 1000BTC --json >"$T/hm.json" || fail "--min-amount"
eq "$(J "$T/hm.json" "j['dropped'] > 0 and all(f['hops'] == 0 for f in j['frontier'])")" True "--min-amount drops"
# backward from the drain's first output: it all comes from the victim's cold wallet history
"$BIN" trace --db "$T/db" --tx "$DRAIN:0" --policy fifo --backward --stop-at none --json >"$T/b.json" || fail "--backward"
eq "$(J "$T/b.json" "j['direction']")" backward "backward direction"
eq "$(J "$T/b.json" "sum(f['amount'] for f in j['frontier']) == j['seed_amount']")" True "backward FIFO conserves"
eq "$(J "$T/b.json" "all(f['reason'] == 'coinbase' for f in j['frontier'])")" True "backward ends at coinbases"
echo "ok: $(J "$T/haircut.1.json" "len(j['sinks'])") sinks, $(J "$T/haircut.1.json" "len(j['frontier'])") frontier outputs, $(J "$T/haircut.1.json" "j['txs_visited']") txs visited"
