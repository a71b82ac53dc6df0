#!/usr/bin/python3
"""evm_gen_check.py — the independent side of t_evm_gen.sh: reads an export
written by `chainsleuth-gen --chain eth` with Python integers and the csv
module only (no chainsleuth code), and checks

  1. the export is consistent: every receipt has its tx and the reverse;
     nonces count up per sender; type-2 effective price = min(max fee, base +
     tip) and never below the base fee; gas used <= gas limit; cumulative gas
     and each block's gas_used and transaction_count add up; every ERC-20
     Transfer log has its token_transfers.csv row (same token, from, to,
     value) and every row its log; a failed tx has no logs;
  2. the ledger, replayed in the ingest's order (value unless failed, inner
     frames that moved value, token moves by log index with WETH
     Deposit/Withdrawal, then fee: tip to the fee recipient, base fee burned;
     withdrawals after the block's txs), never takes a balance below zero;
  3. owners.csv names every address that appears, tags.csv parses
     (address,label,category,source,confidence,chain) and names owned ones;
  4. the poison truth of heist-flows.json, recomputed here from the CSV and
     owners.csv: sinks per entity and asset, the frontier and the fees; and
     truth/heist.json whole (four policies: sinks, frontier, fees, burned,
     dropped, swaps, poisoning count), recomputed by evm_heist_ref.py from
     the same replay and compared field by field;
  5. with --bin/--db: every account's balance per asset equals
     `chainsleuth address A --chain eth --json` (the store after ingest).

  evm_gen_check.py DIR [--bin BIN --db DB]
Prints one summary line; exits 1 with the first mismatch."""
import collections, csv, json, os, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evm_heist_ref  # noqa: E402  (the second implementation of truth/heist.json)

TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
WDEP = "0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c"
WWD = "0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65"
WETH = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
ZERO = "0x" + "0" * 40
SINK_KINDS = {"exchange", "victim", "mixer", "bridge"}
SINK_ROLES = {"hot_wallet", "deposit", "mixer_pool", "router", "vault", "bridge"}


def die(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def rd(d, name):
    with open(os.path.join(d, name), newline="") as f:
        return list(csv.DictReader(f))


def main():
    d = sys.argv[1]
    args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
    B = rd(d, "blocks.csv")
    TX = rd(d, "transactions.csv")
    RC = {r["transaction_hash"]: r for r in rd(d, "receipts.csv")}
    TR = collections.defaultdict(list)
    for t in rd(d, "traces.csv"):
        TR[t["transaction_hash"]].append(t)
    LG = collections.defaultdict(list)
    for l in rd(d, "logs.csv"):
        LG[l["transaction_hash"]].append(l)
    TT = {(r["transaction_hash"], int(r["log_index"])): r for r in rd(d, "token_transfers.csv")}
    owners = {r["address"]: r for r in rd(d, "truth/owners.csv")}
    tags = rd(d, "truth/tags.csv")

    # ---- 1. consistency ----
    if len(RC) != len(TX): die("receipts %d, transactions %d" % (len(RC), len(TX)))
    by_block = collections.defaultdict(list)
    for t in TX:
        if t["hash"] not in RC: die("tx %s has no receipt" % t["hash"])
        by_block[int(t["block_number"])].append(t)
    nonce = collections.Counter()
    seen_tt = set()
    bal = collections.defaultdict(int)
    steps = 0
    seen_addr = set()
    poison = None
    fl = json.load(open(os.path.join(d, "truth/heist-flows.json")))
    if fl.get("scenario") == "bybit":
        cold, expl = fl["cold_wallet"], fl["exploiter"]
        poison = {"tainted": set(), "sinks": collections.Counter(), "fees": 0}
    pools = {a for a, r in owners.items() if r["role"] == "dex_pool"} | {WETH}  # a wrap is a swap
    tx_from = {}
    ref = None
    if poison is not None:
        toks = {r["address"]: r for r in rd(d, "tokens.csv")}
        ref = evm_heist_ref.HeistRef(owners, toks, cold, expl, lambda a, s: bal[(a, s)], tx_from)

    def sink_of(a):
        r = owners[a]
        return r["entity"] if r["entity_kind"] in SINK_KINDS and r["role"] in SINK_ROLES else None

    def move(f, t, asset, v, tx, pool):
        nonlocal steps
        if v == 0: return
        if f != ZERO or asset == "ETH":
            if f == ZERO: die("ETH from the zero address")
            bal[(f, asset)] -= v
            steps += 1
            if bal[(f, asset)] < 0: die("%s goes negative in %s at tx %s" % (f, asset, tx))
        if t is not None and t != ZERO: bal[(t, asset)] += v
        if poison is None: return
        T = poison["tainted"]
        if f == cold and t == expl and owners[tx_from[tx]]["entity_kind"] == "attacker":
            T.add(t)
        elif f in T:
            if pool and t == pool: return
            if t is None or t == ZERO: return
            s = sink_of(t)
            if s: poison["sinks"][(s, asset)] += v
            else: T.add(t)

    cum_blocks = 0
    for b in sorted(B, key=lambda b: int(b["number"])):
        n = int(b["number"])
        base = int(b["base_fee_per_gas"])
        txs = sorted(by_block.get(n, []), key=lambda t: int(t["transaction_index"]))
        if int(b["transaction_count"]) != len(txs): die("block %d tx count" % n)
        gas_sum = 0
        miner = b["miner"]
        seen_addr.add(miner)
        for i, t in enumerate(txs):
            h = t["hash"]
            r = RC[h]
            tx_from[h] = t["from_address"]
            if int(t["transaction_index"]) != i: die("tx index in block %d" % n)
            f = t["from_address"]
            if int(t["nonce"]) != nonce[f]: die("nonce of %s: %s, want %d" % (f, t["nonce"], nonce[f]))
            nonce[f] += 1
            gu, price = int(r["gas_used"]), int(r["effective_gas_price"])
            if gu > int(t["gas"]): die("gas used above the limit in %s" % h)
            if price < base: die("price below base fee in %s" % h)
            if price != int(t["gas_price"]): die("gas_price column in %s" % h)
            if t["transaction_type"] == "2":
                mf, tip = int(t["max_fee_per_gas"]), int(t["max_priority_fee_per_gas"])
                if price != min(mf, base + tip): die("effective price of type-2 %s" % h)
            gas_sum += gu
            if int(r["cumulative_gas_used"]) != gas_sum: die("cumulative gas in %s" % h)
            ok = r["status"] == "1"
            logs = sorted(LG.get(h, []), key=lambda l: int(l["log_index"]))
            if not ok and logs: die("failed tx %s has logs" % h)
            to = t["to_address"] or r["contract_address"]
            seen_addr.update([f, to])
            pool = to if to in pools else None
            # poison: the fee is booked last, but taint is decided on the
            # sender's state before the tx (it was tainted or becomes so here)
            mv = []  # the tx's non-fee movements, in the ingest's order
            if ok:
                mv.append((f, to, "ETH", int(t["value"]), "value"))
                for x in TR.get(h, []):
                    if not x["trace_address"] or x["status"] != "1" or int(x["value"] or 0) == 0: continue
                    if x["trace_type"] in ("create", "suicide") or (x["trace_type"] == "call" and x["call_type"] == "call"):
                        seen_addr.update([x["from_address"], x["to_address"]])
                        mv.append((x["from_address"], x["to_address"], "ETH", int(x["value"]), "frame"))
                for l in logs:
                    tp = l["topics"].split(",")
                    li = int(l["log_index"])
                    if tp[0] == TRANSFER and len(tp) == 3:
                        row = TT.get((h, li))
                        fr, tt = "0x" + tp[1][-40:], "0x" + tp[2][-40:]
                        v = int(l["data"][2:66], 16)
                        if not row or (row["token_address"], row["from_address"], row["to_address"], int(row["value"])) != (l["address"], fr, tt, v):
                            die("log %s/%d has no matching token_transfers row" % (h, li))
                        seen_tt.add((h, li))
                        seen_addr.update([fr, tt, l["address"]])
                        mv.append((fr, tt, l["address"], v, "log"))
                    elif l["address"] == WETH and tp[0] in (WDEP, WWD) and len(tp) == 2:
                        who, v = "0x" + tp[1][-40:], int(l["data"][2:66], 16)
                        mv.append((ZERO, who, WETH, v, "log") if tp[0] == WDEP else (who, ZERO, WETH, v, "log"))
            if ref: ref.begin_tx(h, f, to, mv)
            for m in mv:
                if ref: ref.move(h, f, *m)
                move(m[0], m[1], m[2], m[3], h, pool)
            fee, burn = gu * price, gu * base
            if poison is not None and f in poison["tainted"]: poison["fees"] += fee
            if ref:
                ref.move(h, f, f, miner, "ETH", fee - burn, "tip")
                ref.move(h, f, f, ZERO, "ETH", burn, "burn")
            pz, poison_ = poison, None
            poison = None
            move(f, miner, "ETH", fee - burn, h, None)
            move(f, ZERO, "ETH", burn, h, None)
            poison = pz
        if int(b["gas_used"]) != gas_sum: die("block %d gas_used" % n)
        if b["withdrawals"]:
            for w in json.loads("[" + b["withdrawals"] + "]"):
                if ref: ref.move(None, None, None, w["address"], "ETH", int(w["amount"]) * 10**9, "withdrawal")
                bal[(w["address"], "ETH")] += int(w["amount"]) * 10**9
                seen_addr.add(w["address"])
        cum_blocks += 1
    if len(seen_tt) != len(TT): die("%d token_transfers rows without a log" % (len(TT) - len(seen_tt)))

    # ---- 3. owners and tags ----
    seen_addr.discard("")
    seen_addr.discard(None)
    missing = [a for a in seen_addr if a not in owners and a != ZERO]
    if missing: die("%d addresses not in owners.csv, e.g. %s" % (len(missing), missing[0]))
    cats = {"exchange", "mixer", "bridge", "other", "hacker_group", "stolen_funds"}
    for t in tags:
        if set(t) != {"address", "label", "category", "source", "confidence", "chain"}: die("tags.csv header")
        if t["address"] not in owners or t["category"] not in cats or t["chain"] != "eth": die("tag %s" % t)

    # ---- 4. poison truth ----
    heist = ""
    if poison is not None:
        P = fl["poison"]
        got = {(s["entity"], s["asset"]): int(s["amount"]) for s in P["sinks"]}
        want = {k: v for k, v in poison["sinks"].items() if v}
        if got != want: die("poison sinks differ: file %s, recomputed %s" % (sorted(got.items())[:5], sorted(want.items())[:5]))
        front = {(x["address"], x["asset"]): int(x["amount"]) for x in P["frontier"]}
        wantf = {(a, s): v for (a, s), v in bal.items() if a in poison["tainted"] and v}
        if front != wantf: die("poison frontier differs (%d vs %d entries)" % (len(front), len(wantf)))
        if int(P["fees"][0]["amount"]) != poison["fees"]: die("poison fees %s vs %d" % (P["fees"], poison["fees"]))
        heist = " poison: %d sinks, %d tainted holders" % (len(want), len(poison["tainted"]))
        # ---- 4b. truth/heist.json, all four policies, recomputed ----
        mine, bad = ref.result(lambda a, s: bal[(a, s)])
        if bad: die("heist reference: " + bad[0])
        filed = json.load(open(os.path.join(d, "truth/heist.json")))
        if filed != mine:
            for k in ("chain", "seeds", "seed_txs"):
                if filed.get(k) != mine[k]: die("heist.json %s differs: file %s, recomputed %s" % (k, str(filed.get(k))[:300], str(mine[k])[:300]))
            for p, P in mine["policies"].items():
                F = filed.get("policies", {}).get(p, {})
                for k, v in P.items():
                    if F.get(k) != v:
                        if isinstance(v, list):
                            fs, ms = F.get(k) or [], v
                            i = next((i for i in range(max(len(fs), len(ms))) if i >= len(fs) or i >= len(ms) or fs[i] != ms[i]), 0)
                            die("heist.json %s %s differs at row %d (file %d rows, recomputed %d): file %s, recomputed %s" %
                                (p, k, i, len(fs), len(ms), fs[i] if i < len(fs) else None, ms[i] if i < len(ms) else None))
                        die("heist.json %s %s: file %s, recomputed %s" % (p, k, F.get(k), v))
            die("heist.json differs (keys)")
        hc = mine["policies"]["haircut"]
        heist += "; heist.json equal to the reference: %d seeds, per policy %s sinks, %d swaps, %s poisoning ignored" % (
            len(mine["seeds"]), "/".join(str(len(P["sinks"])) for P in mine["policies"].values()), len(hc["swaps"]),
            "/".join(str(P["poisoning_ignored"]) for P in mine["policies"].values()))

    # ---- 5. the store ----
    checked = 0
    if "--bin" in args:
        accts = sorted({a for a, _ in bal if a != ZERO})
        mine = collections.defaultdict(dict)
        for (a, s), v in bal.items():
            mine[a][s] = v
        def ask(a):
            return a, json.loads(subprocess.run([args["--bin"], "address", a, "--chain", "eth", "--db", args["--db"], "--json"],
                                                check=True, capture_output=True, text=True).stdout)
        import concurrent.futures
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            answers = list(ex.map(ask, accts))
        for a, j in answers:
            got = {x["asset"]: int(x["amount"]) for x in j["balances"] if int(x["amount"]) != 0}
            want = {s: v for s, v in mine[a].items() if v}
            if got != want: die("%s: store %s, ledger %s" % (a, got, want))
            checked += 1
    print("ok: %d blocks, %d txs, %d debits never negative, %d token transfers matched to logs, "
          "%d addresses owned, %d tags, %d accounts equal to the store%s" %
          (cum_blocks, len(TX), steps, len(TT), len(owners), len(tags), checked, heist))


main()
