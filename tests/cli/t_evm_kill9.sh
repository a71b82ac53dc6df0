# t_evm_kill9.sh — the EVM store survives kill -9 at any moment of an ingest:
# an ethereum-etl export of 400 blocks (20,000 txs with receipts, ERC-20
# transfers and fees) is ingested with a commit every 5 blocks and killed
# with SIGKILL at a random moment, 6 times from an empty store; after each
# kill a reader sees a store that verifies, and the next run resumes to the
# same store as an ingest in one go (info each time; 60 txs and 40 accounts
# queried after the last).
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
$py - "$T/x" <<'PY' || fail "generating the export"
import csv, hashlib, os, random, sys
out = sys.argv[1]; os.makedirs(out)
r = random.Random(7)
h = lambda *a: "0x" + hashlib.sha256(repr(a).encode()).hexdigest()
ad = lambda n: "0x" + hashlib.sha256(b"a%d" % n).hexdigest()[:40]
B = csv.writer(open(os.path.join(out, "blocks.csv"), "w", newline=""))
T = csv.writer(open(os.path.join(out, "transactions.csv"), "w", newline=""))
R = csv.writer(open(os.path.join(out, "receipts.csv"), "w", newline=""))
K = csv.writer(open(os.path.join(out, "token_transfers.csv"), "w", newline=""))
B.writerow(["number", "hash", "parent_hash", "miner", "timestamp", "gas_used", "base_fee_per_gas", "transaction_count"])
T.writerow(["hash", "nonce", "block_number", "transaction_index", "from_address", "to_address", "value", "gas", "gas_price", "transaction_type"])
R.writerow(["transaction_hash", "block_number", "transaction_index", "gas_used", "contract_address", "status", "effective_gas_price"])
K.writerow(["token_address", "from_address", "to_address", "value", "transaction_hash", "log_index", "block_number"])
parent = "0x" + "00" * 32
for b in range(400):
    n = 20000000 + b; bh = h("b", b); base = 10**9 + b
    B.writerow([n, bh, parent, ad(r.randrange(5)), 1700000000 + 12 * b, 50 * 21000, base, 50]); parent = bh
    for i in range(50):
        t = h("t", b, i); v = r.randrange(10**20) if r.random() < 0.8 else 0
        T.writerow([t, i, n, i, ad(r.randrange(3000)), ad(r.randrange(3000)), v, 30000, base + 7, 2])
        R.writerow([t, n, i, 21000, "", 0 if r.random() < 0.02 else 1, base + 7])
        if r.random() < 0.3:
            K.writerow([ad(100000 + r.randrange(5)), ad(r.randrange(3000)), ad(r.randrange(3000)), r.randrange(10**30), t, i, n])
PY
"$BIN" ingest evm --csv "$T/x" --db "$T/ref" --quiet || fail "reference ingest"
for k in 1 2 3 4 5 6; do # each round from an empty store, so the kill lands mid-ingest
    rm -rf "$T/db"
    "$BIN" ingest evm --csv "$T/x" --db "$T/db" --commit-every 5 --quiet >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(printf %02d $(( (RANDOM % 30) + 8 )))" # the whole ingest takes about 0.4 s
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ -f "$T/db/eth/MANIFEST" ]; then # killed before the first commit: nothing to see
        n=$("$BIN" info --db "$T/db" --json | $py -c 'import json,sys; print(json.load(sys.stdin)["chains"]["eth"]["blocks"])')
        echo "kill $k: $n blocks committed"
        "$BIN" verify --db "$T/db" --chain eth >"$T/v" 2>&1 || fail "after kill $k the store does not verify: $(cat "$T/v")"
    fi
    "$BIN" ingest evm --csv "$T/x" --db "$T/db" --quiet || fail "resume after kill $k"
    eq "$("$BIN" info --db "$T/db" --json)" "$("$BIN" info --db "$T/ref" --json)" "info after kill $k"
done
"$BIN" verify --db "$T/db" --chain eth >/dev/null || fail "final verify"
$py - "$BIN" "$T/db" "$T/ref" "$T/x" <<'PY' || fail "queries differ from the one-go store"
import csv, random, subprocess, sys
bin_, db, ref, x = sys.argv[1:]
rows = list(csv.DictReader(open(x + "/transactions.csv")))
r = random.Random(3)
q = lambda d, *a: subprocess.run([bin_, *a, "--chain", "eth", "--db", d, "--json"], check=True, capture_output=True, text=True).stdout
for t in r.sample(rows, 60):
    assert q(db, "tx", t["hash"]) == q(ref, "tx", t["hash"]), t["hash"]
for t in r.sample(rows, 40):
    assert q(db, "address", t["from_address"]) == q(ref, "address", t["from_address"]), t["from_address"]
PY
echo "ok: 6 kills at random moments; every intermediate store verifies; the result equals a one-go ingest"
