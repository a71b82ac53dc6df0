#!/usr/bin/python3
"""check.py - compare a chainsleuth devnet store with the anvil node that built it.

Usage:
  check.py ledger BIN DB FILE        every account of FILE (make-chain.js's chain.json or
                                     reorg.json): stored ETH balance == eth_getBalance(tip)
                                     - eth_getBalance(block 0), stored Pebble balance ==
                                     balanceOf (the zero address, the mint's source: -supply)
  check.py scenarios BIN DB FILE URL per-scenario checks of chain.json against the store and
                                     the node's receipts (URL: the node, JSON-RPC 2.0)
  check.py same BIN DB1 DB2 FILE     `info --json` and `tx --json` of every tx of FILE
                                     (reorg.json) equal in both stores; its old_txs in neither
  check.py heist BIN DB OUTDIR       `trace --chain devnet --tx SEED_ETH --tx SEED_TOKEN --policy P
                                     --json` for poison, haircut, fifo and lifo against
                                     OUTDIR/heist-truth.json (make-chain.js --heist): seeds,
                                     sinks per entity and asset, fees, burned, dropped, the
                                     swap, swapped in/out, frontier; conservation per asset
Exit 0 when all hold, 1 with one line per mismatch otherwise; prints counts.

The heist's expected result (docs/METHODS.md §1.6) comes from the node's numbers in the
truth file. A heist wallet whose every ETH credit came from the seeds, the swap or another
such wallet holds only stolen funds: under every policy all it sends is tainted, so its
sink payments and fees are the node's values and its frontier is its eth_getBalance at
the tip. A wallet that also got clean ETH (the OTC payments) is run through a small ledger
here, policy by policy: credits and debits in chain order (per tx the value moves in
execution order, then the fee: the tip, then the burn), FIFO/LIFO as a queue of tainted
and clean segments, haircut floor(x T / B), poison all of it once tainted.

Why the genesis balance is subtracted: anvil's dev accounts are funded by the genesis
alloc, which is no transfer, so chainsleuth (received - sent over stored transfers) sees
only what moved since block 0: it must equal the change of eth_getBalance since block 0.
"""
import json
import subprocess
import sys
import urllib.request

ZERO = "0x" + "0" * 40
FEES = ("fee-tip", "fee-burn")


def cs(bin_, *args):
    p = subprocess.run([bin_, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def stored(bin_, db, addr):
    rc, out, err = cs(bin_, "address", addr, "--chain", "devnet", "--db", db, "--json")
    if rc:
        raise SystemExit(f"address {addr}: exit {rc}: {err.strip()}")
    j = json.loads(out)
    return {b["asset"]: int(b["amount"]) for b in j.get("balances", [])}


def tx(bin_, db, h):
    rc, out, err = cs(bin_, "tx", h, "--chain", "devnet", "--db", db, "--json")
    if rc:
        raise SystemExit(f"tx {h}: exit {rc}: {err.strip()}")
    return json.loads(out)


def rpc(url, method, params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    j = json.load(urllib.request.urlopen(req, timeout=30))
    if "error" in j:
        raise SystemExit(f"{method}: {j['error']}")
    return j["result"]


def ledger(bin_, db, path):
    c = json.load(open(path))
    bad = []
    n_tok = 0
    for a, v in c["accounts"].items():
        bal = stored(bin_, db, a)
        want_eth = int(v["eth"]) - int(v["eth_genesis"])
        got_eth = bal.get("ETH", 0)
        if got_eth != want_eth:
            bad.append(f"account {a}: stored ETH {got_eth}, node {v['eth']} - genesis {v['eth_genesis']} = "
                       f"{want_eth} (stored - expected = {got_eth - want_eth})")
        want_tok = int(v["token"]) - (int(c["token_total_supply"]) if a == ZERO else 0)
        got_tok = bal.get(c["token"], 0)
        if got_tok != want_tok:
            bad.append(f"account {a}: stored Pebble {got_tok}, balanceOf says {want_tok}")
        if want_tok:
            n_tok += 1
        # ERC-1155 Gem: units of all ids (the zero address, the mints' source, at -minted)
        want_gem = int(v["gem"]) - (int(c["gem_minted"]) if a == ZERO else 0)
        got_gem = bal.get(c["gem"], 0)
        if got_gem != want_gem:
            bad.append(f"account {a}: stored Gem units {got_gem}, balanceOf over the ids says {want_gem}")
        other = set(bal) - {"ETH", c["token"], c["gem"]}
        if other:
            bad.append(f"account {a}: balances in assets no contract here issues: {sorted(other)}")
    for b in bad:
        print("MISMATCH " + b)
    print(f"ledger {path}: {len(c['accounts'])} accounts (tip {c['tip']}), {n_tok} with Pebble; "
          f"{len(bad)} mismatches")
    return not bad


def scenarios(bin_, db, path, url):
    c = json.load(open(path))
    S, D = c["scenarios"], c["details"]
    bad = []

    def check(cond, what):
        if not cond:
            bad.append(what)

    def nonfee(t):
        return [x for x in t["transfers"] if x["kind"] not in FEES]

    # every tx: in the store, fee = gasUsed x effectiveGasPrice of the node's receipt,
    # status and type as the node says, burn = gasUsed x baseFee, tip to the block's miner
    base = {}
    for h in c["txs"]:
        t = tx(bin_, db, h)
        r = rpc(url, "eth_getTransactionReceipt", [h])
        n = int(r["blockNumber"], 16)
        if n not in base:
            b = rpc(url, "eth_getBlockByNumber", [hex(n), False])
            base[n] = (int(b["baseFeePerGas"], 16), b["miner"].lower())
        gas, price = int(r["gasUsed"], 16), int(r["effectiveGasPrice"], 16)
        check(t["block"] == n, f"tx {h}: block {t['block']}, node {n}")
        check(int(t["fee"]) == gas * price, f"tx {h}: fee {t['fee']}, node gasUsed*effectiveGasPrice {gas * price}")
        check(t["status"] == ("success" if r["status"] == "0x1" else "failed"), f"tx {h}: status {t['status']}, node {r['status']}")
        check(t["type"] == int(r["type"], 16), f"tx {h}: type {t['type']}, node {r['type']}")
        fees = {x["kind"]: x for x in t["transfers"] if x["kind"] in FEES}
        burn = gas * base[n][0]
        check(int(fees.get("fee-burn", {}).get("amount", 0)) == burn, f"tx {h}: burn {fees.get('fee-burn')}, want {burn}")
        tipx = fees.get("fee-tip")
        check(tipx is not None and tipx["to"] == base[n][1] and int(tipx["amount"]) == gas * price - burn,
              f"tx {h}: tip {tipx}, want {gas * price - burn} to {base[n][1]}")
    print(f"scenarios: {len(c['txs'])} txs: fee, burn, tip, status, type as the node's receipts")

    for name, typ in (("legacy", 0), ("eip2930", 1), ("eip1559", 2)):
        t = tx(bin_, db, S[name][0])
        check(t["type"] == typ, f"{name}: type {t['type']}")
        nf = nonfee(t)
        check(len(nf) == 1 and nf[0]["kind"] == "native" and nf[0]["amount"] == t["value"], f"{name}: transfers {nf}")

    for h in S["erc20_transfer"] + S["erc20_transferFrom"]:
        nf = nonfee(tx(bin_, db, h))
        check(len(nf) == 1 and nf[0]["kind"] == "erc20" and nf[0]["asset"] == c["token"], f"erc20 {h}: transfers {nf}")
    check(nonfee(tx(bin_, db, S["erc20_approve"][0])) == [], "approve moves nothing")

    for h in S["weth_deposit"]:
        nf = nonfee(tx(bin_, db, h))
        check([x["kind"] for x in nf] == ["native"] and nf[0]["to"] == c["weth"], f"weth_deposit {h}: {nf}")
    nf = nonfee(tx(bin_, db, S["weth_withdraw"][0]))
    check([x["kind"] for x in nf] == ["internal"] and nf[0]["from"] == c["weth"], f"weth_withdraw: {nf}")

    # Router -> Hop (depth 1) and Hop -> payee (depth 2) for each payee
    t = tx(bin_, db, S["route"][0])
    R = D["route"]
    inner = [x for x in nonfee(t) if x["kind"] == "internal"]
    each = (int(t["value"]) // len(R["payees"])) - 1000
    want = []
    for p in R["payees"]:
        want += [(R["router"], R["hop"], each), (R["hop"], p, each)]
    check([(x["from"], x["to"], int(x["amount"])) for x in inner] == want, f"route: internal {inner}, want {want}")

    t = tx(bin_, db, S["create_with_value"][0])
    nf = nonfee(t)
    check(t["to"] is None and t["contract_created"] and nf and nf[0]["to"] == t["contract_created"] and
          nf[0]["amount"] == "2000000000000000000", f"create_with_value: {t['contract_created']} {nf}")
    nf = nonfee(tx(bin_, db, S["inner_create_with_value"][0]))
    check([x["kind"] for x in nf] == ["native", "internal"] and nf[1]["amount"] == nf[0]["amount"],
          f"inner_create_with_value: {nf}")

    # SELFDESTRUCT: kind "selfdestruct", from the Piggy to its owner
    for h, pig, owner in zip(S["selfdestruct"], D["selfdestruct"]["piggies"], D["selfdestruct"]["owners"]):
        nf = nonfee(tx(bin_, db, h))
        check(len(nf) == 1 and nf[0]["kind"] == "selfdestruct" and nf[0]["from"] == pig and nf[0]["to"] == owner
              and int(nf[0]["amount"]) > 0, f"selfdestruct {h}: {nf}")
    nf = nonfee(tx(bin_, db, S["create_selfdestruct"][0]))
    check([x["kind"] for x in nf] == ["native", "internal", "selfdestruct"] and
          nf[2]["to"] == D["selfdestruct"]["beneficiary_at_creation"], f"create_selfdestruct: {nf}")

    # reverted: status failed, nothing moved but the fee
    for h in S["reverted"]:
        t = tx(bin_, db, h)
        check(t["status"] == "failed", f"reverted {h}: status {t['status']}")
        check(nonfee(t) == [], f"reverted {h}: moved {nonfee(t)}")
        check(int(t["fee"]) > 0 and all(x["from"] == t["from"] for x in t["transfers"]), f"reverted {h}: fee {t['transfers']}")

    # inner revert: only the outer payment to the Router; nothing to the Hop or the payee
    t = tx(bin_, db, S["inner_revert"][0])
    I = D["inner_revert"]
    nf = nonfee(t)
    check(t["status"] == "success", f"inner_revert: status {t['status']}")
    check([(x["kind"], x["from"], x["to"]) for x in nf] == [("native", t["from"], I["router"])],
          f"inner_revert: transfers {nf}")
    check(not any(I["payee"] in (x["from"], x["to"]) or I["hop"] in (x["from"], x["to"]) for x in t["transfers"]),
          "inner_revert: the reverted inner transfer is in the store")

    # ERC-1155: one erc1155 transfer per entry, with its token id from the kept raw log
    E = D["erc1155"]
    single = "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62"
    batch = "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb"
    for h, want in ((S["erc1155_single"][0], [E["single"]]), (S["erc1155_batch"][0], E["batch"])):
        t = tx(bin_, db, h)
        got = [[x["from"], x["to"], x.get("token_id"), x["amount"]] for x in nonfee(t)]
        check(got == want and all(x["kind"] == "erc1155" and x["asset"] == E["gem"] for x in nonfee(t)),
              f"erc1155 {h}: transfers {got}, want {want}")
        r = rpc(url, "eth_getTransactionReceipt", [h])
        kept = [(l["address"], l["topics"], l["data"]) for l in t["logs"]]
        node = [(l["address"].lower(), [x.lower() for x in l["topics"]], l["data"].lower()) for l in r["logs"]]
        check(kept == node and node and node[0][1][0] in (single, batch), f"erc1155 {h}: kept logs {kept}, node {node}")
    # raw logs kept by default: Approval and WETH Deposit, exactly as the node's receipt
    for h in S["erc20_approve"] + S["weth_deposit"][:1]:
        t = tx(bin_, db, h)
        r = rpc(url, "eth_getTransactionReceipt", [h])
        node = [(l["address"].lower(), [x.lower() for x in l["topics"]], l["data"].lower()) for l in r["logs"]]
        kept = [(l["address"], l["topics"], l["data"]) for l in t["logs"]]
        check(kept == node and len(node) == 1, f"kept logs of {h}: {kept}, node {node}")
    # Pebble Transfer events are not in the default set: booked, not kept
    check(tx(bin_, db, S["erc20_transfer"][0])["logs"] == [], "a Transfer log was kept by default")

    # token metadata by eth_call: Pebble's symbol, name and decimals
    rc, out, err = cs(bin_, "address", c["contracts"]["Pebble"] if "contracts" in c else c["token"], "--chain", "devnet", "--db", db, "--json")
    j = json.loads(out) if not rc else {}
    holder = json.loads(cs(bin_, "address", D["lookalike"]["real"], "--chain", "devnet", "--db", db, "--json")[1])
    peb = [b for b in holder["balances"] if b["asset"] == c["token"]]
    check(peb and peb[0].get("symbol") == "PBL" and peb[0].get("decimals") == 18,
          f"Pebble metadata by eth_call: {peb}")

    # address poisoning: the payment to the look-alike of an earlier counterparty is marked
    L = D["lookalike"]
    nf = nonfee(tx(bin_, db, S["lookalike"][0]))
    check(len(nf) == 1 and nf[0]["to"] == L["fake"] and nf[0].get("lookalike") is True, f"lookalike: {nf}")
    nf = nonfee(tx(bin_, db, S["not_lookalike"][0]))
    check(len(nf) == 1 and nf[0]["to"] == L["real"] and "lookalike" not in nf[0], f"not_lookalike: {nf}")
    check(all("lookalike" not in x for h in c["txs"] if h != S["lookalike"][0] for x in tx(bin_, db, h)["transfers"]),
          "a transfer other than the look-alike payment is marked")

    # the batch: one block, several senders
    blocks = {tx(bin_, db, h)["block"] for h in S["batch"]}
    check(len(blocks) == 1, f"batch: in blocks {blocks}")

    for b in bad:
        print("MISMATCH " + b)
    print(f"scenarios: {sum(len(v) for v in S.values())} scenario txs of {len(S)} kinds; {len(bad)} mismatches")
    return not bad


def same(bin_, db1, db2, path):
    c = json.load(open(path))
    bad = []
    i1 = cs(bin_, "info", "--db", db1, "--json")
    i2 = cs(bin_, "info", "--db", db2, "--json")
    if i1 != i2:
        bad.append(f"info --json differs:\n  re-ingested {i1[1]}\n  fresh       {i2[1]}")
    info = json.loads(i1[1])["chains"]["devnet"]
    if info["tip"] != c["tip_hash"] or info["height"] != c["tip"]:
        bad.append(f"store tip {info['height']} {info['tip']}, node {c['tip']} {c['tip_hash']}")
    for h in c["txs"]:
        a = cs(bin_, "tx", h, "--chain", "devnet", "--db", db1, "--json")
        b = cs(bin_, "tx", h, "--chain", "devnet", "--db", db2, "--json")
        if a != b or a[0]:
            bad.append(f"tx {h}: re-ingested {a}, fresh {b}")
    gone = 0
    for h in c["old_txs"]:
        for db in (db1, db2):
            rc, out, err = cs(bin_, "tx", h, "--chain", "devnet", "--db", db, "--json")
            if rc == 0 or "not in the devnet store" not in err:
                bad.append(f"old-branch tx {h} in {db}: exit {rc} {out.strip()} {err.strip()}")
            else:
                gone += 1
    for b in bad:
        print("MISMATCH " + b)
    print(f"same: info and {len(c['txs'])} txs equal ({len(c['new_txs'])} of the new branch), "
          f"{len(c['old_txs'])} old-branch txs in neither store ({gone} lookups); {len(bad)} mismatches")
    return not bad


ETH = "ETH"


class Ledger:
    """One holder's ETH under one policy: balance, taint, segments (oldest first)."""

    def __init__(self, policy):
        self.pol, self.bal, self.taint, self.segs, self.poisoned = policy, 0, 0, [], False

    def credit(self, amount, tainted):
        if amount <= 0:
            return
        if tainted not in (0, amount):
            raise ValueError("a credit here is all tainted or all clean")
        self.bal += amount
        if self.pol == "poison":
            self.poisoned = self.poisoned or tainted > 0
            self.taint = self.bal if self.poisoned else 0
            return
        self.taint += tainted
        self.segs.append([amount, tainted > 0])

    def debit(self, x):
        """the tainted part of a debit of x"""
        if x > self.bal:
            raise ValueError(f"debit {x} above the balance {self.bal}")
        if self.pol == "poison":
            t = x if self.poisoned else 0
            self.bal -= x
            self.taint = self.bal if self.poisoned else 0
            return t
        if self.pol == "haircut":
            t = self.taint if x == self.bal else x * self.taint // self.bal
        else:
            t, left = 0, x
            while left:
                i = 0 if self.pol == "fifo" else -1
                seg = self.segs[i]
                take = min(left, seg[0])
                t += take if seg[1] else 0
                seg[0] -= take
                left -= take
                if not seg[0]:
                    self.segs.pop(i)
        self.bal -= x
        self.taint -= t
        return t


def heist_expected(t, policy):
    """the trace JSON's numbers for one policy, from the truth; raises ValueError on a
    heist shape this check does not model"""
    tok = t["token"]
    heist = t["heist_wallets"]
    expl = t["roles"]["exploiter"]
    label = {g["address"]: g["label"] for g in t["tags"]}
    txs = sorted(t["txs"], key=lambda x: (x["block"], x["index"]))
    seeds = {t["seeds"]["eth"]["tx"], t["seeds"]["token"]["tx"]}
    # which heist wallets hold only stolen ETH: credits only from seeds, the swap's
    # pool payment, or (transitively) wallets already known pure
    pure = set()
    credits = {h: [] for h in heist}
    for x in txs:
        for f in x["frames"]:
            if f["to"] in credits:
                credits[f["to"]].append((x["hash"], f["from"]))
    changed = True
    while changed:
        changed = False
        for h in heist:
            if h in pure or t["balances"][h]["eth_genesis"] != "0":
                continue
            if all(tx in seeds or (tx == t["swap"]["tx"] and fr == t["contracts"]["Pool"]) or fr in pure
                   for tx, fr in credits[h]):
                pure.add(h)
                changed = True
    if expl not in pure:
        raise ValueError("the exploiter does not hold only stolen ETH")
    mixed = [h for h in heist if h not in pure]
    sinks, fees, front = {}, 0, {}

    def sink(addr, amount):
        if amount:
            k = (label[addr], ETH)
            sinks[k] = sinks.get(k, 0) + amount

    for h in sorted(pure):
        for key, s in t["sinks"].items():
            sink(s["address"], int(s["from"].get(h, "0")))
        fees += int(t["fees"][h])
        if int(t["balances"][h]["eth"]):
            front[(h, ETH)] = int(t["balances"][h]["eth"])
        if int(t["balances"][h]["token"]):
            front[(h, tok)] = int(t["balances"][h]["token"])
        # where a pure wallet's ETH went: a sink, another heist wallet, or nowhere else
        for x in txs:
            for f in x["frames"]:
                if f["from"] == h and f["to"] not in label and f["to"] not in heist:
                    raise ValueError(f"{h} pays {f['to']} (untagged, not a heist wallet) in {x['hash']}")
    for h in mixed:
        L = Ledger(policy)
        for x in txs:
            if any(h in (m["from"], m["to"]) for m in x["token_transfers"]):
                raise ValueError(f"mixed wallet {h} moves tokens in {x['hash']}: not modelled here")
            for f in x["frames"]:
                if f["to"] == h:
                    v = int(f["value"])
                    L.credit(v, v if f["from"] in pure else 0)
                if f["from"] == h:
                    if f["to"] not in label:
                        raise ValueError(f"mixed wallet {h} pays {f['to']}, untagged, in {x['hash']}")
                    sink(f["to"], L.debit(int(f["value"])))
            if x["from"] == h:
                fees += L.debit(int(x["tip"])) + L.debit(int(x["burn"]))
        if L.bal != int(t["balances"][h]["eth"]) - int(t["balances"][h]["eth_genesis"]):
            raise ValueError(f"ledger of {h}: balance {L.bal}, node says {t['balances'][h]['eth']}")
        if L.taint:
            front[(h, ETH)] = L.taint
    tin, eout = int(t["swap"]["token_in"]), int(t["swap"]["eth_out_event"])
    return {
        "pure": sorted(pure), "mixed": mixed,
        "seed": {ETH: int(t["seeds"]["eth"]["value"]), tok: int(t["seeds"]["token"]["value"])},
        "sinks": sinks, "fees": {ETH: fees} if fees else {}, "burned": {}, "dropped": {},
        "swapped_in": {ETH: eout}, "swapped_out": {tok: tin}, "frontier": front,
        "swaps": [(t["swap"]["tx"], expl, ((tok, tin, tin),), ((ETH, eout, eout),))],
    }


def heist(bin_, db, outdir):
    try:
        t = json.load(open(f"{outdir}/heist-truth.json"))
    except (OSError, ValueError) as x:
        raise SystemExit(f"check.py heist: {outdir}/heist-truth.json: {x}")
    bad = []
    # the store first: every heist account's ETH (change since block 0) and Pebble as the node
    for a, v in t["balances"].items():
        bal = stored(bin_, db, a)
        for asset, want in ((ETH, int(v["eth"]) - int(v["eth_genesis"])), (t["token"], int(v["token"]))):
            if bal.get(asset, 0) != want:
                bad.append(f"store: {a} {asset} balance {bal.get(asset, 0)}, node {want}")
    # the truth's own two readings of the swap's ETH out agree
    if t["swap"]["eth_out_event"] != t["swap"]["eth_out_call"] or t["swap"]["eth_out_call_to"] != t["swap"]["holder"]:
        bad.append(f"truth: swap ETH out by event {t['swap']['eth_out_event']}, by the pool's CALL "
                   f"{t['swap']['eth_out_call']} to {t['swap']['eth_out_call_to']}")
    lst = lambda rows: {r["asset"]: int(r["amount"]) for r in rows}
    summary = []
    for pol in ("poison", "haircut", "fifo", "lifo"):
        try:
            e = heist_expected(t, pol)
        except ValueError as x:
            bad.append(f"{pol}: expected result: {x}")
            continue
        rc, out, err = cs(bin_, "trace", "--chain", "devnet", "--db", db, "--tx", t["seeds"]["eth"]["tx"],
                          "--tx", t["seeds"]["token"]["tx"], "--policy", pol, "--json")
        if rc:
            bad.append(f"{pol}: trace exit {rc}: {err.strip()}")
            continue
        j = json.loads(out)
        got = {
            "seed": lst(j["seed"]), "fees": lst(j["fees"]), "burned": lst(j["burned"]),
            "dropped": lst(j["dropped"]), "swapped_in": lst(j["swapped_in"]), "swapped_out": lst(j["swapped_out"]),
            "sinks": {(k["entity"], k["asset"]): int(k["amount"]) for k in j["sinks"]},
            "frontier": {(f["address"], f["asset"]): int(f["amount"]) for f in j["frontier"]},
            "swaps": [(s["tx"], s["holder"], tuple((l["asset"], int(l["amount"]), int(l["tainted"])) for l in s["sent"]),
                       tuple((l["asset"], int(l["amount"]), int(l["tainted"])) for l in s["received"])) for s in j["swaps"]],
        }
        for k in got:
            if got[k] != e[k]:
                if isinstance(e[k], dict):
                    for kk in sorted(set(got[k]) | set(e[k]), key=str):
                        if got[k].get(kk) != e[k].get(kk):
                            bad.append(f"{pol}: {k} {kk}: trace {got[k].get(kk)}, node truth {e[k].get(kk)}")
                else:
                    bad.append(f"{pol}: {k}: trace {got[k]}, node truth {e[k]}")
        if j["policy"] != pol or j["conservative"] != (pol != "poison"):
            bad.append(f"{pol}: policy/conservative fields {j['policy']} {j['conservative']}")
        # frontier hops: the exploiter 0, the split wallets 1
        for f in j["frontier"]:
            want = 0 if f["address"] == t["roles"]["exploiter"] else 1
            if f["hops"] != want:
                bad.append(f"{pol}: frontier {f['address']} hops {f['hops']}, want {want}")
        if pol != "poison":  # conservation per asset (METHODS §1.6), from the trace's own numbers
            for a in set(got["seed"]) | set(got["swapped_in"]) | set(got["swapped_out"]):
                lhs = got["seed"].get(a, 0) + got["swapped_in"].get(a, 0)
                rhs = (sum(v for (n, s), v in got["sinks"].items() if s == a)
                       + sum(v for (h, s), v in got["frontier"].items() if s == a)
                       + sum(got[k].get(a, 0) for k in ("fees", "burned", "dropped", "swapped_out")))
                if lhs != rhs:
                    bad.append(f"{pol}: conservation of {a}: seed + swapped in {lhs}, out {rhs}")
        m = e["mixed"][0] if e["mixed"] else None
        summary.append(f"{pol}: sinks {', '.join(f'{n} {v}' for (n, _), v in sorted(e['sinks'].items()))}; "
                       f"fees {e['fees'].get(ETH, 0)}" + (f"; mixed wallet {m} frontier {e['frontier'].get((m, ETH), 0)}" if m else ""))
    for b in bad:
        print("MISMATCH " + b)
    for s in summary:
        print("heist " + s)
    print(f"heist: store balances of {len(t['balances'])} accounts checked; 4 policies traced from {t['seeds']['eth']['tx']} and {t['seeds']['token']['tx']}; {len(bad)} mismatches")
    return not bad


def main():
    a = sys.argv[1:]
    if a and a[0] == "ledger" and len(a) == 4:
        ok = ledger(*a[1:])
    elif a and a[0] == "scenarios" and len(a) == 5:
        ok = scenarios(*a[1:])
    elif a and a[0] == "heist" and len(a) == 4:
        ok = heist(*a[1:])
    elif a and a[0] == "same" and len(a) == 5:
        ok = same(*a[1:])
    else:
        sys.exit(__doc__)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
