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
#     `cluster --chain eth` on a corrupt store fails naming the column.
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
mkcsv() { $py "$(dirname "$0")/evm_ledger.py" tocsv "$1" "$2"; }
for s in blocks_17173049_17173050 blocks_1755634_1755635; do
    mkcsv "$ETL/test_stream/$s" "$T/$s" || fail "converting $s"
    "$BIN" ingest evm --csv "$T/$s" --db "$T/db-$s" --json >"$T/$s.json" 2>"$T/$s.err" ||
        fail "ingest $s: $(cat "$T/$s.err")"
    out=$($py "$(dirname "$0")/evm_ledger.py" check "$BIN" "$T/db-$s" "$T/$s") || fail "ledger $s"
    echo "ok: $s: $out"
done
# the withdrawals block: 291 token transfers and burned fees, all counted
eq "$(jq_ "(j['blocks'], j['txs'], j['missing'])" <"$T/blocks_17173049_17173050.json")" \
    "(2, 298, ['traces.csv', 'tokens.csv'])" "ingest 17173049 summary"

# raw logs kept: the default set, then Transfer added by --keep-logs; every kept
# log equals its line of logs.csv (an independent count of the CSV by topic 0)
$py - "$T/blocks_17173049_17173050/logs.csv" >"$T/logcount" <<'PY' || fail "counting logs.csv"
import csv, sys
want = {"0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62",  # ERC-1155 TransferSingle
        "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb",  # TransferBatch
        "0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c",  # Deposit(address,uint256)
        "0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65",  # Withdrawal(address,uint256)
        "0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925",  # Approval
        "0x17307eab39ab6107e8899845ad3d59bd9653f200f220920489ca2b5937696c31",  # ApprovalForAll
        "0xa945e51eec50ab98c161376f0db4cf2aeba3ec92755fe2fcd388bdbbb80ff196",  # Tornado Deposit
        "0xe9e508bad6d4c3227e881ca19068f099da81b5164dd6d62b2eaf1e8bc6c34931",  # Tornado Withdrawal
        "0xef519b7eb82aaf6ac376a6df2d793843ebfd593de5f1a0601d3cc6ab49ebb395"}  # THORChain Deposit
transfer = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
rows = list(csv.DictReader(open(sys.argv[1])))
d = sum(1 for r in rows if r["topics"] and r["topics"].split(",")[0] in want)
t = sum(1 for r in rows if r["topics"] and r["topics"].split(",")[0] == transfer)
print(d, d + t)
PY
read -r n_def n_all <"$T/logcount"
eq "$("$BIN" info --db "$T/db-blocks_17173049_17173050" --json | jq_ "j['chains']['eth']['raw_logs']")" "$n_def" "raw logs kept by default"
"$BIN" ingest evm --csv "$T/blocks_17173049_17173050" --db "$T/dbkeep" --quiet \
    --keep-logs 'Transfer(address,address,uint256)' || fail "ingest --keep-logs"
eq "$("$BIN" info --db "$T/dbkeep" --json | jq_ "j['chains']['eth']['raw_logs']")" "$n_all" "raw logs kept with Transfer added"
[ "$n_all" -gt "$n_def" ] && [ "$n_def" -gt 0 ] || fail "log counts $n_def $n_all prove nothing"
"$BIN" verify --chain eth --db "$T/dbkeep" >/dev/null || fail "verify with kept logs"
"$BIN" ingest evm --csv "$T/blocks_17173049_17173050" --db "$T/dbkeep2" --keep-logs 'Transfer (x)' 2>"$T/err"; r=$?
eq "$r $(wc -l <"$T/err" | tr -d ' ')" "2 1" "--keep-logs with a bad signature: exit 2, one line"
"$BIN" ingest btc --blocks /nonexistent --keep-logs 'A(uint256)' 2>"$T/err"; r=$?
eq "$r" 2 "--keep-logs on ingest btc"

# tokens.csv: a contract calling itself USDT that is not Tether's gets the
# imitation mark, a real-looking one does not; zero-value transfers are marked
cp -r "$T/blocks_17173049_17173050" "$T/tok"
$py - "$T/tok" <<'PY' || fail "writing tokens.csv"
import csv, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/token_transfers.csv")))
a, b = rows[0]["token_address"], next(r["token_address"] for r in rows if r["token_address"] != rows[0]["token_address"])
w = csv.writer(open(d + "/tokens.csv", "w", newline=""))
w.writerow(["address", "symbol", "name", "decimals", "total_supply"])
w.writerow([a, "USDT", "Tether USD", 6, ""])
w.writerow([b, "GOOD", "A token", 18, ""])
open(d + "/marked", "w").write(a + "\n" + b + "\n" + rows[0]["transaction_hash"] + "\n")
PY
"$BIN" ingest evm --csv "$T/tok" --db "$T/dbtok" --quiet || fail "ingest with tokens.csv"
set -- $(cat "$T/tok/marked")
"$BIN" tx "$3" --chain eth --db "$T/dbtok" --json >"$T/tok.json" || fail "tx with tokens"
eq "$(jq_ "[x.get('token_marks') for x in j['transfers'] if x['asset'] == '$1'][0]" <"$T/tok.json")" "['imitates-major-asset']" "fake USDT marked"
eq "$(jq_ "[x.get('symbol') for x in j['transfers'] if x['asset'] == '$1'][0]" <"$T/tok.json")" "USDT" "fake USDT symbol"
"$BIN" info --db "$T/dbtok" --json | grep -q '"tokens":2' || fail "two tokens stored"

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
"$BIN" cluster --db "$D" --chain eth 2>&1 | grep -q "eth/xfer.col" || fail "cluster --chain eth on a corrupt store: $("$BIN" cluster --db "$D" --chain eth 2>&1)"
echo "ok: ethereum-etl CSV ingest matches the Python ledger"
