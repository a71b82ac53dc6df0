#!/usr/bin/env python3
"""evm_ledger.py — the independent side of the EVM ingest tests (t_evm_csv.sh,
t_evm_rpc.sh), in Python integers, sharing no code with chainsleuth.

  evm_ledger.py tocsv SRC OUT   ethereum-etl stream output (expected_*.json,
                                JSON lines) written as its CSV export would
                                write it: blocks.csv, transactions.csv,
                                receipts.csv (from the receipt_* fields),
                                token_transfers.csv, logs.csv
  evm_ledger.py check BIN DB DIR  the ledger of the CSV export in DIR (value,
                                fee tip and burn, ERC-20, ERC-721 told by its
                                log, WETH wraps, withdrawals) against what
                                `BIN tx/address --chain eth --db DB --json`
                                say, for every tx and every account; prints a
                                summary line, exits non-zero on a mismatch."""
import collections, csv, json, os, subprocess, sys


def tocsv(src, out):
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


def check(bin_, db, d):
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
    # ERC-1155 TransferSingle(address,address,address,uint256,uint256) and TransferBatch(...,uint256[],uint256[])
    SINGLE = "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62"
    BATCH = "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb"
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
    for l in LOGS.values():
        t = l["topics"].split(",")
        if len(t) != 4 or t[0] not in (SINGLE, BATCH): continue
        d = bytes.fromhex(l["data"][2:])
        word = lambda o: int.from_bytes(d[o:o + 32], "big")
        if t[0] == SINGLE:
            vals = [word(32)]
        else:
            ids_at, vals_at = word(0), word(32)
            vals = [word(vals_at + 32 + 32 * i) for i in range(word(vals_at))]
            assert word(ids_at) == len(vals), l
        for v in vals:
            move("0x" + t[2][-40:], "0x" + t[3][-40:], l["address"], v)
            kinds["erc1155"] += 1
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
    for k in ("erc20", "erc721", "erc1155", "weth-deposit", "weth-withdrawal"):
        assert stored[k] == kinds[k], (k, stored[k], kinds[k])
    tot_in = sum(v for (a, s), v in recv.items() if s == "ETH")
    tot_out = sum(v for (a, s), v in sent.items() if s == "ETH")
    assert tot_out == tot_in + burned - withdrawn, (tot_in, tot_out, burned, withdrawn)
    print("txs %d accounts %d burned %d withdrawn %d %s" % (txs, checked, burned, withdrawn,
          " ".join("%s %d" % kv for kv in sorted(kinds.items()))))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "tocsv":
        tocsv(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "check":
        check(*sys.argv[2:])
    else:
        sys.exit(__doc__)
