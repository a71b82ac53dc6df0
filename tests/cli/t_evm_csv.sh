# t_evm_csv.sh — `ingest evm --csv` on real mainnet data from ethereum-etl's
# own test fixtures ($SHARED/data/eth/ethereum-etl), checked against an
# independent reading of the same files in Python (integers, no chainsleuth
# code):
#  1. blocks 47218-47219 (expected_blocks.csv, expected_transactions.csv as
#     ethereum-etl exports them; no receipts): every block and tx field as
#     stored, values flagged status-unknown, no fee booked, info's notes;
#  2. blocks 17173049-17173050 (Shanghai: withdrawals, EIP-1559) and
#     1755634-1755635 (pre-Byzantium receipts without status), from
#     ethereum-etl's stream output (JSON lines; its CSV exporter writes the
#     same fields, so the test writes blocks.csv, transactions.csv,
#     receipts.csv from the receipt_* fields, and token_transfers.csv):
#     for every tx its value, fee, tip and burn; for every account its
#     received, sent and balance per asset (ETH and each token) equal the
#     Python ledger to the wei; the ETH moved out of all accounts equals
#     what came in plus burned fees minus withdrawals (conservation);
#  3. a re-run skips every block and leaves the store as it was; bad input
#     (a missing column, a garbage amount, a block that does not extend the
#     tip) is one error line naming the file and line or block, exit 1, and
#     the store unchanged; `verify` checks the store and names a flipped byte;
#     `cluster` is not built for EVM and says so.
. "$(dirname "$0")/lib.sh"
ETL="$DATA/eth/ethereum-etl"
[ -d "$ETL" ] || skip "skipped: $ETL absent (shared data is not part of a clone)"
py=/usr/bin/python3

# ---- 1. ethereum-etl CSV as exported ----
F="$ETL/test_export_blocks_job/blocks_with_transactions"
mkdir -p "$T/a"
ln -s "$F/expected_blocks.csv" "$T/a/blocks.csv"
ln -s "$F/expected_transactions.csv" "$T/a/transactions.csv"
"$BIN" ingest evm --csv "$T/a" --db "$T/dba" --json >"$T/a.json" 2>"$T/a.err" || fail "ingest a: $(cat "$T/a.err")"
eq "$(jq_ "(j['blocks'], j['txs'], sorted(j['missing']))" <"$T/a.json")" \
    "(2, 4, ['logs.csv', 'receipts.csv', 'token_transfers.csv', 'tokens.csv', 'traces.csv'])" "ingest a summary"
$py - "$BIN" "$T/dba" "$F" <<'PY' || fail "fields of blocks 47218-47219"
import csv, json, subprocess, sys
bin_, db, d = sys.argv[1:]
def run(*a):
    return json.loads(subprocess.run([bin_, *a, "--chain", "eth", "--db", db, "--json"],
                                     check=True, capture_output=True, text=True).stdout)
for b in csv.DictReader(open(d + "/expected_blocks.csv")):
    j = run("block", b["number"], "--txs")
    for k in ("hash", "parent_hash", "miner"):
        assert j[k] == b[k], (k, j[k], b[k])
    for k in ("timestamp", "gas_used", "transaction_count"):
        assert j[k] == int(b[k]), (k, j[k], b[k])
    assert j["base_fee_per_gas"] is None and not j["has_receipts"], j
n = 0
for t in csv.DictReader(open(d + "/expected_transactions.csv")):
    j = run("tx", t["hash"])
    assert j["block"] == int(t["block_number"]) and j["index"] == int(t["transaction_index"]), j
    assert j["from"] == t["from_address"] and j["to"] == (t["to_address"] or None), j
    assert j["nonce"] == int(t["nonce"]) and j["type"] == int(t["transaction_type"] or 0), j
    assert j["value"] == t["value"] and j["status"] == "unknown" and j["fee"] is None, j
    nat = [x for x in j["transfers"] if x["kind"] == "native"]
    assert len(nat) == (int(t["value"]) > 0) and all(x.get("status_unknown") for x in nat), j
    n += 1
assert n == 4, n
PY
"$BIN" info --db "$T/dba" >"$T/info.txt" || fail "info a"
grep -q "^note       2 blocks without receipts" "$T/info.txt" || fail "info notes: $(cat "$T/info.txt")"

# ---- 2. stream output (JSON lines) written as the CSV export ----
mkcsv() { # SRC OUT
    $py - "$1" "$2" <<'PY'
import csv, json, os, sys
src, out = sys.argv[1:]
os.makedirs(out, exist_ok=True)
def rows(name):
    p = os.path.join(src, "expected_%s.json" % name)
    return [json.loads(l) for l in open(p)] if os.path.exists(p) else []
def cell(v):
    return "" if v is None else str(v)
def write(name, cols, items):
    with open(os.path.join(out, name), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in items:
            w.writerow([cell(r.get(c)) for c in cols])
B = rows("blocks")
for b in B:  # the CSV export writes withdrawals as the objects, comma-joined
    b["withdrawals"] = ",".join(json.dumps(x, separators=(",", ":")) for x in b.get("withdrawals") or [])
write("blocks.csv", ["number", "hash", "parent_hash", "miner", "timestamp", "gas_used",
                     "base_fee_per_gas", "transaction_count", "withdrawals"], B)
TX = rows("transactions")
write("transactions.csv", ["hash", "nonce", "block_number", "transaction_index", "from_address",
                           "to_address", "value", "gas", "gas_price", "transaction_type"], TX)
R = [{"transaction_hash": t["hash"], "block_number": t["block_number"],
      "transaction_index": t["transaction_index"], "gas_used": t["receipt_gas_used"],
      "contract_address": t["receipt_contract_address"], "status": t["receipt_status"],
      "effective_gas_price": t["receipt_effective_gas_price"]} for t in TX]
write("receipts.csv", ["transaction_hash", "block_number", "transaction_index", "gas_used",
                       "contract_address", "status", "effective_gas_price"], R)
write("token_transfers.csv", ["token_address", "from_address", "to_address", "value",
                              "transaction_hash", "log_index", "block_number"], rows("token_transfers"))
L = rows("logs")
for l in L:  # the CSV export joins the topics with commas
    l["topics"] = ",".join(l["topics"])
write("logs.csv", ["log_index", "transaction_hash", "transaction_index", "block_hash",
                   "block_number", "address", "data", "topics"], L)
PY
}
# the Python ledger: what every account received and sent per asset
cat >"$T/ledger.py" <<'PY'
import collections, csv, json, os, subprocess, sys
bin_, db, d = sys.argv[1:]
def rd(n):
    p = os.path.join(d, n)
    return list(csv.DictReader(open(p))) if os.path.exists(p) else []
B = {int(b["number"]): b for b in rd("blocks.csv")}
R = {r["transaction_hash"]: r for r in rd("receipts.csv")}
recv, sent = collections.defaultdict(int), collections.defaultdict(int)
WETH = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
DEPOSIT = "0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c"
WITHDRAWAL = "0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65"
LOGS = {(l["transaction_hash"], int(l["log_index"])): l for l in rd("logs.csv")}
kinds = collections.Counter()
txs = 0; burned = 0; withdrawn = 0
stored = collections.Counter()
def move(f, t, asset, v):
    if f: sent[(f, asset)] += v
    if t: recv[(t, asset)] += v
for t in rd("transactions.csv"):
    r = R[t["hash"]]; b = B[int(t["block_number"])]
    ok = r["status"] != "0"
    gas, price = int(r["gas_used"]), int(r["effective_gas_price"] or t["gas_price"])
    base = int(b["base_fee_per_gas"]) if b["base_fee_per_gas"] else 0
    fee, burn = gas * price, gas * base
    if ok: move(t["from_address"], t["to_address"] or r["contract_address"], "ETH", int(t["value"]))
    move(t["from_address"], b["miner"], "ETH", fee - burn)
    move(t["from_address"], None, "ETH", burn)
    burned += burn
    j = json.loads(subprocess.run([bin_, "tx", t["hash"], "--chain", "eth", "--db", db, "--json"],
                                  check=True, capture_output=True, text=True).stdout)
    assert j["value"] == t["value"] and j["fee"] == str(fee), (j, fee)
    assert j["gas_used"] == gas and j["effective_gas_price"] == price, j
    k = {x["kind"]: int(x["amount"]) for x in j["transfers"] if x["kind"].startswith("fee")}
    assert k.get("fee-tip", 0) == fee - burn and k.get("fee-burn", 0) == burn, (j, fee, burn)
    st = {"0": "failed", "1": "success", "": "unknown"}[r["status"]]
    assert j["status"] == st, (j["status"], r["status"])
    for x in j["transfers"]:
        stored[x["kind"]] += 1
        assert not x.get("kind_uncertain"), x
    txs += 1
for x in rd("token_transfers.csv"):
    st = R[x["transaction_hash"]]["status"]
    l = LOGS[(x["transaction_hash"], int(x["log_index"]))]
    nft = len(l["topics"].split(",")) == 4  # ERC-721: the value is a token id
    kinds["erc721" if nft else "erc20"] += 1
    if st != "0" and not nft: move(x["from_address"], x["to_address"], x["token_address"], int(x["value"]))
for l in LOGS.values():
    t = l["topics"].split(",")
    if l["address"] != WETH or len(t) != 2 or t[0] not in (DEPOSIT, WITHDRAWAL): continue
    who, v = "0x" + t[1][-40:], int(l["data"][2:66], 16)
    if t[0] == DEPOSIT: move(None, who, WETH, v); kinds["weth-deposit"] += 1
    else: move(who, None, WETH, v); kinds["weth-withdrawal"] += 1
for b in B.values():
    for w in json.loads("[" + b["withdrawals"] + "]") if b["withdrawals"] else []:
        move(None, w["address"], "ETH", int(w["amount"]) * 10**9)
        withdrawn += int(w["amount"]) * 10**9
accts = {a for a, _ in recv} | {a for a, _ in sent}
checked = 0
for a in sorted(accts):
    j = json.loads(subprocess.run([bin_, "address", a, "--chain", "eth", "--db", db, "--json"],
                                  check=True, capture_output=True, text=True).stdout)
    for part, want in (("received", recv), ("sent", sent)):
        got = {x["asset"]: int(x["amount"]) for x in j[part]}
        for asset in {s for (x, s) in list(recv) + list(sent) if x == a}:
            assert got.get(asset, 0) == want.get((a, asset), 0), (a, part, asset, got, want.get((a, asset)))
    for x in j["balances"]:
        assert int(x["amount"]) == recv.get((a, x["asset"]), 0) - sent.get((a, x["asset"]), 0), (a, x)
    checked += 1
for k in ("erc20", "erc721", "weth-deposit", "weth-withdrawal"):
    assert stored[k] == kinds[k], (k, stored[k], kinds[k])
tot_in = sum(v for (a, s), v in recv.items() if s == "ETH")
tot_out = sum(v for (a, s), v in sent.items() if s == "ETH")
assert tot_out == tot_in + burned - withdrawn, (tot_in, tot_out, burned, withdrawn)
print("txs %d accounts %d burned %d withdrawn %d %s" % (txs, checked, burned, withdrawn,
      " ".join("%s %d" % kv for kv in sorted(kinds.items()))))
PY
for s in blocks_17173049_17173050 blocks_1755634_1755635; do
    mkcsv "$ETL/test_stream/$s" "$T/$s" || fail "converting $s"
    "$BIN" ingest evm --csv "$T/$s" --db "$T/db-$s" --json >"$T/$s.json" 2>"$T/$s.err" ||
        fail "ingest $s: $(cat "$T/$s.err")"
    out=$($py "$T/ledger.py" "$BIN" "$T/db-$s" "$T/$s") || fail "ledger $s"
    echo "ok: $s: $out"
done
# the withdrawals block: 291 token transfers and burned fees, all counted
eq "$(jq_ "(j['blocks'], j['txs'], j['missing'])" <"$T/blocks_17173049_17173050.json")" \
    "(2, 298, ['traces.csv', 'tokens.csv'])" "ingest 17173049 summary"

# ---- 3. resume and bad input ----
D="$T/db-blocks_17173049_17173050"
"$BIN" info --db "$D" --json >"$T/before.json" || fail "info"
"$BIN" ingest evm --csv "$T/blocks_17173049_17173050" --db "$D" --json >"$T/again.json" 2>/dev/null || fail "re-run"
eq "$(jq_ "(j['blocks'], j['skipped'])" <"$T/again.json")" "(0, 2)" "re-run skips"
bad() { # NAME EXPECTED-MESSAGE-PART
    "$BIN" ingest evm --csv "$T/bad" --db "$D" >"$T/out" 2>"$T/err"; r=$?
    eq "$r" 1 "$1: exit code"
    eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "$1: one stderr line ($(cat "$T/err"))"
    grep -qF -- "$2" "$T/err" || fail "$1: message: $(cat "$T/err")"
    "$BIN" info --db "$D" --json >"$T/after.json" || fail "$1: info"
    cmp -s "$T/before.json" "$T/after.json" || fail "$1: the store changed"
}
cp -r "$T/blocks_17173049_17173050" "$T/bad"
sed -i '1s/,gas_used,/,gasUsed,/' "$T/bad/blocks.csv"
bad "missing column" "bad/blocks.csv: line 1: no column 'gas_used' in the header"
cp "$T/blocks_17173049_17173050/blocks.csv" "$T/bad/blocks.csv"
$py - "$T/bad/transactions.csv" <<'PY'
import sys
p = sys.argv[1]; l = open(p).read().split("\n")
c = l[5].split(","); c[6] = "12x4"; l[5] = ",".join(c)
open(p, "w").write("\n".join(l))
PY
bad "garbage amount" "bad/transactions.csv: line 6: column value: not an amount below 2^256"
rm -rf "$T/bad" && mkdir "$T/bad" && cp "$T/a/blocks.csv" "$T/bad/blocks.csv"
bad "block that does not extend" "block 47218"
"$BIN" verify --db "$D" --chain eth >"$T/v" 2>&1 || fail "verify --chain eth: $(cat "$T/v")"
eq "$(tail -n 1 "$T/v")" "consistent" "verify --chain eth"
# a flipped byte in a transfer row is found, naming the file and bytes
$py -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[100]^=1; open(p,"wb").write(bytes(b))' "$D/eth/xfer.col"
eq "$(rc "$BIN" verify --db "$D" --chain eth)" 1 "verify of a corrupt store: exit code"
"$BIN" verify --db "$D" --chain eth 2>&1 | grep -q "eth/xfer.col: bytes 0-" || fail "verify corrupt: $("$BIN" verify --db "$D" --chain eth 2>&1)"
eq "$(rc "$BIN" cluster --db "$D" --chain eth)" 1 "cluster --chain eth exit code"
"$BIN" cluster --db "$D" --chain eth 2>&1 | grep -q "not built for EVM chains yet" || fail "cluster --chain eth message"
echo "ok: ethereum-etl CSV ingest matches the Python ledger"
