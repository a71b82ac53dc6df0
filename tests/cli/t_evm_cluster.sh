#!/bin/sh
# t_evm_cluster.sh — `chainsleuth cluster --chain eth` end to end on a generated
# chain (chainsleuth-gen --chain eth --scenario bybit --txs 30000 --seed 3):
#  1. --help (exit 0, the EVM options), usage errors (exit 2);
#  2. a clustering of the first blocks, then the whole chain ingested: --why
#     on the old clustering says stale, a new run is not; a clustering copied
#     onto a store whose last block is another one (a reorg) is refused;
#  3. pairwise precision and recall against truth/owners.csv
#     (tests/cli/evm_cluster_pr.py) above floors, per heuristic and for the
#     default set, with the exchange tags imported;
#  4. --why for a deposit address and its exchange's hot wallet: one
#     deposit-exchange union whose sweep tx is, in transactions.csv, a
#     transfer from the deposit address to the hot wallet; --why for two EOAs
#     of one user that paid one deposit address (found in the CSV by Python):
#     linked through deposit addresses of the truth;
#     `address --chain eth` shows the export's cluster id;
#  5. the export covers every account; two runs write the same cid file;
#  6. kill -9 at 20 moments of a run leaves a whole clustering.
. "$(dirname "$0")/lib.sh"
: "${GENBIN:?}" "${BIN:?}"
py=/usr/bin/python3
PR="$(dirname "$0")/evm_cluster_pr.py"
G="$T/gen"

# 1. arguments
"$BIN" cluster --chain eth --help >"$T/help" || fail "--help exit $?"
grep -q -- '--deposit-max-diff' "$T/help" && grep -q -- '--why ADDR_A' "$T/help" || fail "--help text"
eq "$(rc "$BIN" cluster --chain eth --db "$T/none" --heuristics deposit,bogus)" 2 "bad heuristic"
eq "$(rc "$BIN" cluster --chain eth --db "$T/none" --deposit-max-gap -1)" 2 "bad number"
eq "$(rc "$BIN" cluster --chain eth --db "$T/none" --why 0x00000000000000000000000000000000000000aa)" 2 "--why one address"
"$BIN" cluster --chain eth --db "$T/none" >/dev/null 2>"$T/err" && fail "no store: exit 0"
grep -q 'no eth store here' "$T/err" || fail "no store message: $(cat "$T/err")"

"$GENBIN" --chain eth --scenario bybit --txs 30000 --seed 3 --out "$G" --quiet || fail "gen"

# the first blocks only: every file cut at block number <= LAST - 300
$py - "$G" "$T/pre" 300 <<'PY' || fail "prefix"
import csv, os, sys
src, dst, back = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(dst)
last = max(int(r["number"]) for r in csv.DictReader(open(os.path.join(src, "blocks.csv"))))
for name in os.listdir(src):
    p = os.path.join(src, name)
    if not name.endswith(".csv"):
        continue
    with open(p, newline="") as f, open(os.path.join(dst, name), "w", newline="") as g:
        r = csv.reader(f)
        w = csv.writer(g, lineterminator="\n")
        head = next(r)
        w.writerow(head)
        col = head.index("number") if name == "blocks.csv" else (head.index("block_number") if "block_number" in head else None)
        for row in r:
            if name == "tokens.csv" or col is None or int(row[col]) <= last - back:
                w.writerow(row)
PY

# 2. stale after the store grows; refused after a reorg
DB="$T/db"
"$BIN" ingest evm --csv "$T/pre" --chain eth --db "$DB" --quiet >/dev/null || fail "ingest prefix"
"$BIN" cluster --chain eth --db "$DB" --json >"$T/pre.json" || fail "cluster prefix"
PRE_TIP=$(jq_ "j['tip_block']" <"$T/pre.json")
"$BIN" ingest evm --csv "$G" --chain eth --db "$DB" --quiet >/dev/null || fail "ingest rest"
HOT=$(awk -F, '$4=="hot_wallet" && $2=="exchange_binance-like_1" {print $1}' "$G/truth/owners.csv")
"$BIN" cluster --chain eth --db "$DB" --why "$HOT" "$HOT" --json >"$T/w0" 2>"$T/w0.err" || fail "--why on a stale clustering: $(cat "$T/w0.err")"
eq "$(jq_ "j['stale']" <"$T/w0")" True "stale flag after the store grew"
grep -q "made at block $PRE_TIP, the store's tip is block" "$T/w0.err" || fail "stale warning: $(cat "$T/w0.err")"
"$BIN" tags import "$G/truth/tags.csv" --db "$DB" >/dev/null || fail "tags import"
"$BIN" cluster --chain eth --db "$DB" --json >"$T/full.json" || fail "cluster"
"$BIN" cluster --chain eth --db "$DB" --why "$HOT" "$HOT" --json >"$T/w1" 2>"$T/w1.err" || fail "--why"
eq "$(jq_ "j['stale']" <"$T/w1")" False "not stale after a new run"
[ -s "$T/w1.err" ] && fail "warning on a fresh clustering: $(cat "$T/w1.err")"
eq "$(jq_ "j['tip_block']" <"$T/full.json")" "$(jq_ "j['last_block']" <"$G/truth/chain.json")" "clustered tip"
eq "$(jq_ "j['exchanges'] >= 4 and j['deposit_addresses'] > 1000" <"$T/full.json")" True "deposits found"
# a reorg: the prefix store with its last block replaced by another one
$py - "$T/pre" "$T/alt" <<'PY' || fail "alt branch"
import csv, os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
shutil.copytree(src, dst)
rows = list(csv.reader(open(os.path.join(src, "blocks.csv"), newline="")))
head, last = rows[0], rows[-1]
h = head.index("hash")
old = last[h]
new = "0x" + ("%064x" % (int(old, 16) ^ 1))
for name in os.listdir(dst):
    p = os.path.join(dst, name)
    text = open(p).read()
    open(p, "w").write(text.replace(old, new))
PY
ALT="$T/altdb"
"$BIN" ingest evm --csv "$T/alt" --chain eth --db "$ALT" --quiet >/dev/null || fail "ingest alt"
"$BIN" cluster --chain eth --db "$T/predb" >/dev/null 2>&1 || true
"$BIN" ingest evm --csv "$T/pre" --chain eth --db "$T/predb" --quiet >/dev/null || fail "ingest pre again"
"$BIN" cluster --chain eth --db "$T/predb" --quiet >/dev/null || fail "cluster pre"
cp -r "$T/predb/eth/cluster" "$ALT/eth/cluster" || fail "copy cluster"
"$BIN" cluster --chain eth --db "$ALT" --why "$HOT" "$HOT" --json >"$T/w2" 2>"$T/w2.err" || fail "--why on the other branch"
eq "$(jq_ "j['stale']" <"$T/w2")" True "stale after a reorg"
grep -q "which the store no longer holds (a reorg)" "$T/w2.err" || fail "reorg warning: $(cat "$T/w2.err")"

# 3. precision / recall (floors set below what was measured: README)
pr() { # heuristics scope min-precision min-recall [exclude]
    "$BIN" cluster --chain eth --db "$DB" --heuristics "$1" --export "$T/ex.csv" --quiet >/dev/null || fail "cluster $1"
    $py "$PR" "$T/ex.csv" "$G/truth/owners.csv" --scope "$2" --min-precision "$3" --min-recall "$4" ${5:+--exclude-entity "$5"} >"$T/pr" 2>&1 ||
        fail "$1 ($2): $(cat "$T/pr")"
    echo "$1 $2: $(cat "$T/pr")"
}
pr deposit,airdrop,selfauth all 0.999 0.80
pr deposit,airdrop,selfauth users 0.99 0.90
pr deposit,airdrop,selfauth users 0.85 0.40 sybil_farmer
pr deposit all 0.999 0.80
pr deposit-eth all 0.999 0.50
pr airdrop users 1.0 0.85
pr selfauth users 1.0 0.01
pr none all 1.0 0.0
# the default set once more (the --why checks read it)
"$BIN" cluster --chain eth --db "$DB" --export "$T/ex.csv" --quiet >/dev/null || fail "cluster default"
eq "$(($(wc -l <"$T/ex.csv") - 1))" "$(jq_ "j['accounts']" <"$T/full.json")" "export rows"

# 4. --why: a deposit address and its hot wallet
$py - "$G" >"$T/pick" <<'PY' || fail "pick"
import csv, os, sys
from collections import defaultdict
g = sys.argv[1]
own = {r["address"]: r for r in csv.DictReader(open(os.path.join(g, "truth/owners.csv")))}
hot = {r["entity"]: a for a, r in own.items() if r["role"] == "hot_wallet"}
sweeps = defaultdict(list)  # (deposit, hot) -> tx hashes
payers = defaultdict(set)   # deposit -> EOAs paying it ETH
for t in csv.DictReader(open(os.path.join(g, "transactions.csv"))):
    f, to = t["from_address"], t["to_address"]
    if f in own and own[f]["role"] == "deposit" and to == hot.get(own[f]["entity"]) and int(t["value"]) > 0:
        sweeps[(f, to)].append(t["hash"])
    if to in own and own[to]["role"] == "deposit" and f in own and own[f]["entity_kind"] == "user" and int(t["value"]) > 0:
        payers[to].add(f)
d, h = sorted(sweeps)[0]
print(d, h, " ".join(sweeps[(d, h)]))
# two EOAs of one user that both paid one deposit address
for dep in sorted(payers):
    by_user = defaultdict(list)
    for a in sorted(payers[dep]):
        by_user[own[a]["entity"]].append(a)
    pair = [v for v in by_user.values() if len(v) >= 2]
    if pair:
        print(pair[0][0], pair[0][1], dep)
        break
PY
read -r DEP DHOT SWEEPS <<EOF
$(sed -n 1p "$T/pick")
EOF
"$BIN" cluster --chain eth --db "$DB" --why "$DEP" "$DHOT" --json >"$T/w3" || fail "--why deposit"
eq "$(jq_ "len(j['hops'])" <"$T/w3")" 1 "deposit hops"
eq "$(jq_ "j['hops'][0]['heuristic']" <"$T/w3")" deposit-exchange "deposit heuristic"
eq "$(jq_ "j['hops'][0]['a'] + ' ' + j['hops'][0]['b']" <"$T/w3")" "$DEP $DHOT" "deposit union ends"
SW=$(jq_ "j['hops'][0]['tx']" <"$T/w3")
case " $SWEEPS " in *" $SW "*) ;; *) fail "the union's sweep $SW is not a transfer $DEP -> $DHOT ($SWEEPS)" ;; esac
"$BIN" cluster --chain eth --db "$DB" --why "$DEP" "$DHOT" >"$T/w3.txt" || fail "--why text"
grep -q "is a deposit address of" "$T/w3.txt" && grep -q "$SW" "$T/w3.txt" || fail "--why text: $(cat "$T/w3.txt")"
# `address --chain eth` shows the same cluster id as the export, for D and its hot wallet
CD=$("$BIN" address "$DEP" --chain eth --db "$DB" --json | jq_ "j['cluster']")
eq "$CD" "$(awk -F, -v a="$DEP" '$1==a {print $2}' "$T/ex.csv")" "address --json cluster of $DEP"
eq "$("$BIN" address "$DHOT" --chain eth --db "$DB" --json | jq_ "j['cluster']")" "$CD" "cluster of $DHOT"
read -r UA UB UDEP <<EOF
$(sed -n 2p "$T/pick")
EOF
[ -n "$UDEP" ] || fail "no user paid one deposit address from two EOAs"
"$BIN" cluster --chain eth --db "$DB" --why "$UA" "$UB" --json >"$T/w4" || fail "--why user"
eq "$(jq_ "j['linked']" <"$T/w4")" True "two EOAs of one user that paid $UDEP"
$py - "$T/w4" "$G/truth/owners.csv" <<'PY' || fail "user path: $(cat "$T/w4")"
import csv, json, sys
j = json.load(open(sys.argv[1]))
own = {r["address"]: r for r in csv.DictReader(open(sys.argv[2]))}
assert j["hops"], "no hops"
for h in j["hops"]:
    if h["heuristic"] == "deposit-user":
        assert own[h["via"]]["role"] == "deposit", h
        assert own[h["exchange"]]["role"] == "hot_wallet", h
    assert own[h["from"]]["entity"] == own[h["to"]]["entity"], h
PY

# 5. determinism
C1=$(ls "$DB/eth/cluster/"evm.*.cid)
sha1=$(sha256sum <"$C1")
"$BIN" cluster --chain eth --db "$DB" --quiet >/dev/null || fail "cluster again"
C2=$(ls "$DB/eth/cluster/"evm.*.cid)
[ "$C1" != "$C2" ] || fail "no new generation"
eq "$(sha256sum <"$C2")" "$sha1" "same cid bytes"
[ "$(ls "$DB/eth/cluster/" | grep -c '^evm\.')" = 2 ] || fail "old generation left: $(ls "$DB/eth/cluster/")"

# 6. kill -9 at 20 moments of a run: the stored clustering is always the old
# one or the new one, whole (open checks both files against the state)
for i in $(seq 1 20); do
    "$BIN" cluster --chain eth --db "$DB" --heuristics "$( [ $((i % 2)) = 0 ] && echo deposit || echo all)" --quiet >/dev/null 2>&1 &
    pid=$!
    sleep "0.00$((i % 10))$((i * 7 % 10))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    "$BIN" cluster --chain eth --db "$DB" --why "$DEP" "$DHOT" --json >"$T/k" 2>"$T/k.err" || fail "after kill -9 #$i: $(cat "$T/k.err")"
    eq "$(jq_ "j['stale']" <"$T/k")" False "after kill -9 #$i: stale"
done
[ "$(ls "$DB/eth/cluster/" | grep -c '^evm\.[0-9]*\.\(cid\|ev\)$')" -le 4 ] || fail "generations pile up: $(ls "$DB/eth/cluster/")"
"$BIN" cluster --chain eth --db "$DB" --quiet >/dev/null || fail "cluster after the kills"
[ "$(ls "$DB/eth/cluster/" | grep -c '^evm\.[0-9]*\.\(cid\|ev\)$')" = 2 ] || fail "old generations left after a clean run: $(ls "$DB/eth/cluster/")"
echo "ok"
