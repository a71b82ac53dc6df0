#!/usr/bin/python3
"""fingerprints.py - what the real-wallet chain looks like, measured.

Usage: /usr/bin/python3 fingerprints.py OUTDIR

Reads OUTDIR/blocks/blk00000.dat (python3-bitcoinlib) and the ownership truth
(OUTDIR/truth/owners_h160.csv) and prints, as Markdown, the shapes a synthetic
generator might not model: input/output counts, where the change output sits,
whether outputs follow BIP69, nLockTime / nSequence / nVersion values, fee
rates, script-type mix, address reuse, round amounts and how often the usual
change heuristics would be right. "Change" is defined by the truth: an output
paid back to the single entity that owns all inputs, in a tx that also pays
someone else.
"""
import collections
import csv
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check import read_blocks, spend_type  # noqa: E402

from bitcoin.core import CBlock  # noqa: E402


def script_type(spk):
    if len(spk) == 25 and spk[:3] == b"\x76\xa9\x14" and spk[23:] == b"\x88\xac":
        return "p2pkh"
    if len(spk) == 23 and spk[:2] == b"\xa9\x14" and spk[22:] == b"\x87":
        return "p2sh"
    if len(spk) == 22 and spk[:2] == b"\x00\x14":
        return "p2wpkh"
    if len(spk) == 34 and spk[:2] == b"\x00\x20":
        return "p2wsh"
    if spk[:1] == b"\x6a":
        return "op_return"
    return "other"


def bucket(n, edges):
    for lo, hi, name in edges:
        if lo <= n <= hi:
            return name
    return edges[-1][2]


IN_EDGES = [(1, 1, "1"), (2, 2, "2"), (3, 3, "3"), (4, 5, "4-5"), (6, 10, "6-10"), (11, 20, "11-20"),
            (21, 10**9, ">20")]
OUT_EDGES = [(1, 1, "1"), (2, 2, "2"), (3, 3, "3"), (4, 6, "4-6"), (7, 10**9, ">6")]


def pct(a, b):
    return "%.1f%%" % (100.0 * a / b) if b else "-"


def quantiles(xs, qs):
    xs = sorted(xs)
    return [xs[min(len(xs) - 1, int(q * len(xs)))] for q in qs] if xs else [0 for _ in qs]


def table(rows, head):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def main(outdir):
    owners = {}
    with open(os.path.join(outdir, "truth", "owners_h160.csv"), newline="") as f:
        for row in list(csv.reader(f))[1:]:
            owners[bytes.fromhex(row[0])] = row[1]

    coins = {}
    shape = collections.Counter()
    n_in_hist = collections.Counter()
    n_out_hist = collections.Counter()
    locktimes = collections.Counter()
    sequences = collections.Counter()
    versions = collections.Counter()
    block_versions = collections.Counter()
    spend_types = collections.Counter()
    out_types = collections.Counter()
    change_pos = collections.defaultdict(collections.Counter)  # entity -> first/middle/last
    kinds = collections.Counter()  # payment with change / changeless / self-transfer / mixed
    bip69 = [0, 0]
    feerates = []
    seen_scripts = collections.Counter()
    reuse_outputs = 0
    pay_outputs = 0
    pay_round = 0
    change_total = 0
    change_round = 0
    change_lt_min_in = 0
    change_same_type = 0
    change_fresh = 0
    n_tx = 0
    blocks = 0
    for height, (_, raw) in enumerate(read_blocks(os.path.join(outdir, "blocks", "blk00000.dat"))):
        block = CBlock.deserialize(raw)
        blocks += 1
        block_versions["0x%08x" % (block.nVersion & 0xffffffff)] += 1
        for i, tx in enumerate(block.vtx):
            txid = bytes(tx.GetTxid())
            if i > 0 and height > 0:
                n_tx += 1
                versions[tx.nVersion] += 1
                locktimes["0" if tx.nLockTime == 0 else
                          ("height-like" if tx.nLockTime < 500000000 else "time-like")] += 1
                in_vals, in_owner, in_types = [], set(), set()
                for k, txin in enumerate(tx.vin):
                    sequences["0x%08x" % txin.nSequence] += 1
                    v, spk = coins.pop((bytes(txin.prevout.hash), txin.prevout.n))
                    in_vals.append(v)
                    in_owner.add(owners.get(spk))
                    in_types.add(script_type(spk))
                    stack = list(tx.wit.vtxinwit[k].scriptWitness.stack) if tx.has_witness() else []
                    spend_types[spend_type(spk, txin, stack)] += 1
                n_in, n_out = len(tx.vin), len(tx.vout)
                shape[(n_in, n_out)] += 1
                n_in_hist[bucket(n_in, IN_EDGES)] += 1
                n_out_hist[bucket(n_out, OUT_EDGES)] += 1
                ins = [(bytes(t.prevout.hash)[::-1], t.prevout.n) for t in tx.vin]
                outs = [(o.nValue, bytes(o.scriptPubKey)) for o in tx.vout]
                if n_in > 1 or n_out > 1:
                    bip69[1] += 1
                    if ins == sorted(ins) and outs == sorted(outs):
                        bip69[0] += 1
                fee = sum(in_vals) - sum(o.nValue for o in tx.vout)
                stripped = len(tx.serialize({"include_witness": False}))
                vsize = math.ceil((3 * stripped + len(tx.serialize())) / 4)
                feerates.append(fee / vsize)
                spendable = [(n, o) for n, o in enumerate(tx.vout) if o.scriptPubKey[:1] != b"\x6a"]
                if len(in_owner) == 1:
                    me = next(iter(in_owner))
                    mine = [n for n, o in spendable if owners.get(bytes(o.scriptPubKey)) == me]
                    theirs = [n for n, o in spendable if owners.get(bytes(o.scriptPubKey)) != me]
                    if mine and theirs:
                        kinds["payment with change"] += 1
                        for n in mine:
                            o = tx.vout[n]
                            spk = bytes(o.scriptPubKey)
                            pos = "first" if n == 0 else ("last" if n == n_out - 1 else "middle")
                            change_pos[me][pos] += 1
                            change_total += 1
                            change_round += o.nValue % 100000 == 0
                            change_lt_min_in += o.nValue < min(in_vals)
                            change_same_type += in_types == {script_type(spk)}
                            change_fresh += seen_scripts[spk] == 0
                    elif theirs:
                        kinds["changeless payment"] += 1
                    else:
                        kinds["self-transfer (consolidation)"] += 1
                    for n in theirs:
                        pay_outputs += 1
                        pay_round += tx.vout[n].nValue % 100000 == 0
                else:
                    kinds["inputs of several entities"] += 1
            for n, o in enumerate(tx.vout):
                spk = bytes(o.scriptPubKey)
                if height > 0:
                    out_types[script_type(spk)] += 1
                if spk[:1] == b"\x6a" or height == 0:
                    continue
                if seen_scripts[spk] and i > 0:
                    reuse_outputs += 1
                seen_scripts[spk] += 1
                coins[(txid, n)] = (o.nValue, spk)

    print("### Measured on this chain: %d blocks, %d non-coinbase transactions\n" % (blocks, n_tx))
    print("**Inputs per tx** (coin selection shape)\n")
    print(table([(k, n_in_hist[k], pct(n_in_hist[k], n_tx)) for _, _, k in IN_EDGES if n_in_hist[k]],
                ["inputs", "txs", "share"]))
    print("\n**Outputs per tx**\n")
    print(table([(k, n_out_hist[k], pct(n_out_hist[k], n_tx)) for _, _, k in OUT_EDGES if n_out_hist[k]],
                ["outputs", "txs", "share"]))
    print("\n**Most common (inputs, outputs) shapes**\n")
    print(table([("%d-in %d-out" % s, c, pct(c, n_tx)) for s, c in shape.most_common(10)],
                ["shape", "txs", "share"]))
    print("\n**Kinds of tx by ownership truth**\n")
    print(table([(k, c, pct(c, n_tx)) for k, c in kinds.most_common()], ["kind", "txs", "share"]))
    print("\n**Change output position** (per paying entity)\n")
    rows = []
    for ent in sorted(change_pos):
        c = change_pos[ent]
        tot = sum(c.values())
        rows.append((ent, tot, pct(c["first"], tot), pct(c["middle"], tot), pct(c["last"], tot)))
    print(table(rows, ["entity", "change outputs", "first", "middle", "last"]))
    print("\n**Change heuristics against the truth** (%d change outputs)\n" % change_total)
    print(table([
        ("change < smallest input (optimal change)", pct(change_lt_min_in, change_total)),
        ("change has the inputs' script type", pct(change_same_type, change_total)),
        ("change script never seen before (fresh address)", pct(change_fresh, change_total)),
        ("change value a multiple of 100,000 sat", pct(change_round, change_total)),
        ("payment value a multiple of 100,000 sat (%d payments)" % pay_outputs, pct(pay_round, pay_outputs)),
    ], ["property", "share"]))
    print("\n**Ordering, versions, locktime, sequence**\n")
    print(table([
        ("inputs and outputs in BIP69 order (txs with >1 input or output)", "%d of %d (%s)"
         % (bip69[0], bip69[1], pct(bip69[0], bip69[1]))),
        ("tx nVersion", ", ".join("%d: %d" % kv for kv in sorted(versions.items()))),
        ("nLockTime", ", ".join("%s: %d" % kv for kv in locktimes.most_common())),
        ("nSequence", ", ".join("%s: %d" % kv for kv in sequences.most_common())),
        ("block nVersion", ", ".join("%s: %d" % kv for kv in sorted(block_versions.items()))),
    ], ["field", "values"]))
    q = quantiles(feerates, [0.0, 0.1, 0.5, 0.9, 1.0])
    print("\n**Fee rate** (sat/vB): min %.1f, p10 %.1f, median %.1f, p90 %.1f, max %.1f\n" % tuple(q))
    print("**Spends by type**: " + ", ".join("%s %d" % kv for kv in spend_types.most_common()) + "\n")
    print("**Outputs by script type**: " + ", ".join("%s %d" % kv for kv in out_types.most_common()) + "\n")
    total_out = sum(seen_scripts.values())
    print("**Address reuse**: %d of %d non-coinbase outputs pay a script seen before (%s); "
          "%d of %d scripts received more than once\n"
          % (reuse_outputs, total_out, pct(reuse_outputs, total_out),
             sum(1 for c in seen_scripts.values() if c > 1), len(seen_scripts)))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: fingerprints.py OUTDIR")
    main(sys.argv[1])
