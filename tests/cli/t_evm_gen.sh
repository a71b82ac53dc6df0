#!/bin/sh
# t_evm_gen.sh — `chainsleuth-gen --chain eth` end to end:
#  1. arguments: --help names the EVM files; mixing the chains' options and
#     too few transactions are usage errors (exit 2, one message);
#  2. determinism: the same arguments twice give byte-identical files
#     (sha256sum of every file), another seed gives other files;
#  3. `chainsleuth ingest evm --csv` reads the export with nothing missing
#     and the tx count of truth/chain.json;
#  4. tests/cli/evm_gen_check.py, an independent Python ledger: the export is
#     consistent (receipts, nonces, gas, logs <-> token_transfers), no
#     balance ever goes negative in the ingest's booking order, owners.csv
#     names every address, tags.csv parses, the poison truth of
#     heist-flows.json and all of truth/heist.json (tests/cli/evm_heist_ref.py)
#     equal a recomputation from the CSV, and every
#     account's balance per asset equals `chainsleuth address --json`;
#  5. `chainsleuth tags import` accepts truth/tags.csv, every row;
#  6. the economy holds what the issue lists (counted from the files);
#  7. truth/heist.json (per policy, METHODS §1.6): seeds = the drain, per-asset
#     conservation, WETH wraps 1:1, the poisoning count, policies disagree,
#     and a 1-wei damage caught by evm_gen_check.py's own recomputation.
. "$(dirname "$0")/lib.sh"
: "${GENBIN:?}" "${BIN:?}"
py=/usr/bin/python3
CHECK="$(dirname "$0")/evm_gen_check.py"

# 1. arguments
"$GENBIN" --help >"$T/help" || fail "--help exit $?"
grep -q -- '--chain eth' "$T/help" && grep -q 'heist-flows.json' "$T/help" && grep -q 'truth/heist.json .*bybit' "$T/help" ||
    fail "--help text"
for bad in "--chain eth --txs 100 --seed 1 --out $T/x" "--chain eth --txs 9000 --seed 1 --out $T/x --network regtest" \
    "--chain eth --txs 9000 --seed 1 --out $T/x --scenario heist" "--chain sol --txs 9000 --seed 1 --out $T/x" \
    "--txs 9000 --seed 1 --out $T/x --scenario bybit"; do
    # shellcheck disable=SC2086 # word splitting of the argument list is intended
    "$GENBIN" $bad >/dev/null 2>"$T/err"
    r=$?
    [ $r = 2 ] || fail "'$bad' exited $r, want 2"
    [ "$(wc -l <"$T/err")" -ge 1 ] || fail "'$bad' printed no message"
done

# 2. determinism
"$GENBIN" --chain eth --scenario bybit --txs 16000 --seed 7 --out "$T/a" --quiet || fail "gen a"
"$GENBIN" --chain eth --scenario bybit --txs 16000 --seed 7 --out "$T/b" --quiet || fail "gen b"
"$GENBIN" --chain eth --scenario bybit --txs 16000 --seed 8 --out "$T/c" --quiet || fail "gen c"
(cd "$T/a" && find . -type f | sort | xargs sha256sum) >"$T/a.sum"
(cd "$T/b" && find . -type f | sort | xargs sha256sum) >"$T/b.sum"
(cd "$T/c" && find . -type f | sort | xargs sha256sum) >"$T/c.sum"
eq "$(wc -l <"$T/a.sum")" 14 "files written"
cmp -s "$T/a.sum" "$T/b.sum" || fail "same arguments, different files: $(diff "$T/a.sum" "$T/b.sum" | head -4)"
[ "$(cut -c1-64 "$T/a.sum" | sort -u | wc -l)" = 14 ] || fail "two files with the same bytes"
same=$(cut -c1-64 "$T/a.sum" "$T/c.sum" | sort | uniq -d | wc -l)
[ "$same" -le 1 ] || fail "seed 8 repeats $same files of seed 7" # contracts.csv may coincide
echo "ok: deterministic ($(cut -c1-16 "$T/a.sum" | head -1)… for blocks.csv), another seed differs"

# 3. ingest
"$BIN" ingest evm --csv "$T/a" --db "$T/db" --json >"$T/ing.json" 2>"$T/ing.err" || fail "ingest: $(tail -3 "$T/ing.err")"
want=$(jq_ "j['txs']" <"$T/a/truth/chain.json")
eq "$(jq_ "(j['txs'], j['blocks'], j['missing'])" <"$T/ing.json")" "($want, 12000, [])" "ingest summary"
[ "$want" -ge 16000 ] && [ "$want" -le 16100 ] || fail "chain.json txs $want for --txs 16000"

# 4. the independent ledger against the store (its heist.json part first on
#    METHODS §1.6's worked numbers)
out=$($py "$(dirname "$0")/evm_heist_ref.py") || fail "evm_heist_ref selftest: $out"
echo "$out"
out=$($py "$CHECK" "$T/a" --bin "$BIN" --db "$T/db") || fail "evm_gen_check: $out"
echo "$out"

# 5. tags import
"$BIN" tags import "$T/a/truth/tags.csv" --db "$T/db" --json >"$T/tags.json" 2>"$T/tags.err" || fail "tags import: $(cat "$T/tags.err")"
rows=$(($(wc -l <"$T/a/truth/tags.csv") - 1))
$py - "$T/tags.json" "$rows" <<'PY' || fail "tags import summary: $(cat "$T/tags.json")"
import json, sys
j = json.loads(open(sys.argv[1]).read().splitlines()[-1])
n = int(sys.argv[2])
f = j["files"][0]
assert j["tags"] == n and f["rows"] == n and f["added"] == n and f["rejected"] == 0, (j, n)
PY

# 6. what the economy holds, counted from the files
$py - "$T/a" <<'PY' || fail "economy contents"
import collections, csv, json, sys
d = sys.argv[1]
own = list(csv.DictReader(open(d + "/truth/owners.csv")))
roles = collections.Counter(r["role"] for r in own)
kinds = collections.Counter(r["entity_kind"] for r in own)
ex = {r["entity"] for r in own if r["role"] == "hot_wallet"}
assert len(ex) == 4 and roles["deposit"] > 300, (ex, roles)           # 3 exchanges + the victim
assert roles["dex_pool"] == 6 and roles["mixer_pool"] == 4 and roles["router"] == 1, roles
assert roles["lookalike"] > 20 and roles["heist_wallet"] == 50, roles
toks = {r["address"]: r for r in csv.DictReader(open(d + "/tokens.csv"))}
sym = collections.Counter(t["symbol"] for t in toks.values())
assert sym["USDT"] == 2 and toks["0xdac17f958d2ee523a2206206994597c13d831ec7"]["decimals"] == "6", sym
assert toks["0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"]["decimals"] == "6"
tt = list(csv.DictReader(open(d + "/token_transfers.csv")))
zero = sum(1 for t in tt if t["value"] == "0")
air = [t for t in tt if toks[t["token_address"]]["symbol"] == "AIR" and t["from_address"] != "0x" + "0" * 40]
dist = collections.Counter((t["from_address"], t["value"]) for t in air).most_common(1)[0]
assert zero > 5 and dist[1] >= 1000, (zero, dist)                     # poisoning; the airdrop signature
links = json.load(open(d + "/truth/links.json"))["links"]
habits = collections.Counter(l["habit"] for l in links)
assert all(habits[h] > 0 for h in ("address_match", "unique_gas_price", "linked_addresses",
                                   "multi_denomination", "torn_mining", "careful")), habits
for l in links:
    if l["habit"] == "address_match": assert l["recipient"] == l["depositor"], l
    if l["habit"] == "unique_gas_price": assert l["relayer"] is None, l
fl = json.load(open(d + "/truth/heist-flows.json"))
drained = collections.Counter()
for e in fl["edges"]:
    if e["kind"] == "drain": drained[e["symbol"]] += int(e["amount"])
assert drained == {"ETH": 401347 * 10**18, "stETH": 90375 * 10**18, "mETH": 8000 * 10**18,
                   "cmETH": 15000 * 10**18}, drained
fates = collections.Counter(w["fate"] for w in fl["wallets"])
cats = {s["category"] for s in fl["poison"]["sinks"]}
assert len(fl["wallets"]) == 50 and cats == {"exchange", "mixer", "bridge"}, (fates, cats)
ok = {r["transaction_hash"] for r in csv.DictReader(open(d + "/receipts.csv")) if r["status"] == "1"}
failed = sum(1 for r in csv.DictReader(open(d + "/receipts.csv")) if r["status"] == "0")
tr = list(csv.DictReader(open(d + "/traces.csv")))
inner_rev = sum(1 for t in tr if t["trace_address"] and t["status"] == "0" and t["transaction_hash"] in ok and int(t["value"]))
deleg = sum(1 for t in tr if t["call_type"] == "delegatecall")
assert inner_rev > 0 and failed > 0 and deleg >= 4, (inner_rev, failed, deleg)
memo = sum(1 for l in csv.DictReader(open(d + "/logs.csv")) if "53574150" in l["data"])  # "SWAP"
print("ok: economy: %d deposit addresses, %d look-alikes, %d zero-value transfers, airdrop of %d, "
      "%d Tornado links %s, %d SWAP memos, %d failed txs, %d reverted inner frames with value in "
      "successful txs, drain %s, fates %s" %
      (roles["deposit"], roles["lookalike"], zero, dist[1], len(links), dict(habits), memo, failed, inner_rev,
       {k: v // 10**18 for k, v in drained.items()}, dict(fates)))
PY
# 7. truth/heist.json: what can be said of it by hand (evm_gen_check.py above
#    already recomputed it whole with its own Python ledger)
$py - "$T/a" <<'PY' || fail "heist.json contents"
import collections, json, sys
d = sys.argv[1]
h = json.load(open(d + "/truth/heist.json"))
fl = json.load(open(d + "/truth/heist-flows.json"))
drained = collections.Counter()
for e in fl["edges"]:
    if e["kind"] == "drain": drained[e["asset"]] += int(e["amount"])
seed = collections.Counter()
for s in h["seeds"]:
    seed[s["asset"]] += int(s["amount"])
    assert s["to"] == fl["exploiter"], s
assert seed == drained and len(h["seed_txs"]) == 4, (seed, drained)
P = h["policies"]
WETH = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
for name, p in P.items():
    # 7 spammed wallets x (zero-value transferFrom, fake token, dust) + 2 test payments
    assert p["poisoning_ignored"] == 23, (name, p["poisoning_ignored"])
    assert [x["asset"] for x in p["dropped"]] == ["ETH"] and p["burned"] == [], (name, p["dropped"], p["burned"])
    wraps = [s for s in p["swaps"] if WETH in (s["sent"][0]["asset"], s["received"][0]["asset"])]
    assert len(wraps) == 2, (name, wraps)
    for s in wraps:  # R = S, and the taint goes across 1:1
        assert s["sent"][0]["amount"] == s["received"][0]["amount"], s
        assert s["sent"][0]["tainted"] == s["received"][0]["tainted"], (name, s)
    assert {x["category"] for x in p["sinks"]} == {"exchange", "mixer", "bridge"}, p["sinks"]
    if name == "poison": continue
    tot = collections.Counter()
    for k, sign in (("swapped_in", 1), ("sinks", -1), ("frontier", -1), ("fees", -1), ("burned", -1),
                    ("dropped", -1), ("swapped_out", -1)):
        for x in p[k]: tot[x["asset"]] += sign * int(x["amount"])
    for a, v in seed.items(): tot[a] += v
    assert not any(tot.values()), (name, tot)
# every heist deposit is forwarded by Victor's rule (its own sweep to the hot
# wallet within 10,000 blocks, 0 <= a - a' <= 0.01 ETH), so a tracer that sees
# deposits through that clustering stops exactly where owners.csv says
import csv
own = {r["address"]: r for r in csv.DictReader(open(d + "/truth/owners.csv"))}
txs = list(csv.DictReader(open(d + "/transactions.csv")))
by_from, by_to = collections.defaultdict(list), collections.defaultdict(list)
for t in txs:
    by_from[t["from_address"]].append(t)
    by_to[t["to_address"]].append(t)
deps = [t for t in txs if own[t["from_address"]]["role"] == "heist_wallet" and own.get(t["to_address"], {}).get("role") == "deposit"]
for t in deps:
    D, a, b = t["to_address"], int(t["value"]), int(t["block_number"])
    out = [u for u in by_from[D] if int(u["block_number"]) >= b]
    assert out, ("never swept", t["hash"])
    u = min(out, key=lambda u: (int(u["block_number"]), int(u["transaction_index"])))
    assert own[u["to_address"]]["role"] == "hot_wallet" and own[u["to_address"]]["entity"] == own[D]["entity"], u
    assert int(u["block_number"]) - b <= 10000 and 0 <= a - int(u["value"]) <= 10**16, (t["hash"], u["hash"])
    between = [v for v in by_to[D] if b <= int(v["block_number"]) <= int(u["block_number"]) and v["hash"] != t["hash"]]
    assert not between, ("a second deposit before the sweep", t["hash"])
assert len(deps) >= 20, len(deps)
bridge = {n: sum(int(x["amount"]) for x in p["sinks"] if x["category"] == "bridge") for n, p in P.items()}
assert len(set(bridge.values())) == 4, bridge  # the mixed wallets make the policies disagree
assert all(bridge["poison"] >= v for v in bridge.values()), bridge
print("ok: heist.json: seeds = the drain, conserved per asset (haircut, fifo, lifo), wraps 1:1, "
      "23 poisoning transfers ignored, %d heist deposits each swept by Victor's rule, bridge sinks %s ETH" %
      (len(deps), {n: v // 10**18 for n, v in bridge.items()}))
PY
# a damaged heist.json is caught by the independent recomputation
cp -r "$T/a" "$T/dmg"
$py - "$T/dmg/truth/heist.json" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
r = h["policies"]["lifo"]["sinks"][0]
r["amount"] = str(int(r["amount"]) + 1)
open(sys.argv[1], "w").write(json.dumps(h))
PY
out=$($py "$CHECK" "$T/dmg") && fail "a heist.json sink 1 wei off passed: $out"
case $out in *"heist.json lifo sinks"*) ;; *) fail "damage not named: $out" ;; esac
echo "ok: a lifo sink 1 wei off is caught ($(echo "$out" | cut -c1-60)...)"
echo "ok: t_evm_gen"
