#!/usr/bin/python3
"""evm_trace_check.py — checks `chainsleuth trace --chain eth --json` results
against the generator's truth, with Python integers only.

  evm_trace_check.py GENDIR POLICY TRACE.json [--cluster]

  1. conservation per asset, recomputed here from the JSON's own lists:
     seed + swapped_in = sinks + frontier + fees + burned + dropped + swapped_out
     (haircut, fifo, lifo);
  2. the sinks, mapped to owners.csv entities through tags.csv (a sink's
     entity is a tag label; the label's addresses name the owner entity),
     against the truth: truth/heist.json's policy entry when the generator
     wrote one (sinks, frontier, fees, swaps, all exact), else the poison
     truth of truth/heist-flows.json for the sinks a tag alone can see
     (mixer and bridge entities; exchanges need the deposit clustering).
Prints one summary line; exits 1 with the first mismatch."""
import collections, csv, json, os, sys


def die(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def key(a):
    return a["asset"]


def main():
    gen, policy, path = sys.argv[1:4]
    only_conservation = "--conservation-only" in sys.argv
    cluster = "--cluster" in sys.argv
    t = json.load(open(path))
    if t["policy"] != policy:
        die("policy %s, want %s" % (t["policy"], policy))
    # 1. conservation
    if policy != "poison":
        lhs, rhs = collections.Counter(), collections.Counter()
        for f in ("seed", "swapped_in", "relinked"):
            for r in t.get(f, []):
                lhs[key(r)] += int(r["amount"])
        for f in ("sinks", "frontier", "fees", "burned", "dropped", "swapped_out"):
            for r in t[f]:
                rhs[key(r)] += int(r["amount"])
        for a in set(lhs) | set(rhs):
            if lhs[a] != rhs[a]:
                die("asset %s: seed + swapped in %d != out %d" % (a, lhs[a], rhs[a]))
    if only_conservation:
        print("ok: %s conserves per asset (%d sinks, %d frontier rows)" % (policy, len(t["sinks"]), len(t["frontier"])))
        return
    # 2. sinks against the truth
    owners = {r["address"]: r for r in csv.DictReader(open(os.path.join(gen, "truth/owners.csv")))}
    label_ent = {}
    for r in csv.DictReader(open(os.path.join(gen, "truth/tags.csv"))):
        e = owners[r["address"].lower()]["entity"]
        if label_ent.setdefault(r["label"], e) != e:
            die("label %s names two entities" % r["label"])
    got = collections.Counter()
    for s in t["sinks"]:
        if s["entity"] not in label_ent:
            die("sink entity %s is not a tags.csv label" % s["entity"])
        got[(label_ent[s["entity"]], s["asset"])] += int(s["amount"])
    hp = os.path.join(gen, "truth/heist.json")
    if os.path.exists(hp):
        h = json.load(open(hp))["policies"][policy]
        want = collections.Counter()
        for s in h["sinks"]:
            want[(s["entity"], s["asset"])] += int(s["amount"])
        if got != want:
            die("sinks differ from heist.json: extra %s missing %s" %
                (dict(got - want), dict(want - got)))
        for f in ("fees", "burned", "swapped_in", "swapped_out"):
            a = {r["asset"]: int(r["amount"]) for r in t[f] if int(r["amount"])}
            b = {r["asset"]: int(r["amount"]) for r in h[f] if int(r["amount"])}
            if a != b:
                die("%s differ from heist.json: %s vs %s" % (f, a, b))
        a = collections.Counter({(r["address"], r["asset"]): int(r["amount"]) for r in t["frontier"]})
        b = collections.Counter({(r["address"], r["asset"]): int(r["amount"]) for r in h["frontier"]})
        if a != b:
            die("frontier differs from heist.json: %d vs %d rows, e.g. %s" %
                (len(a), len(b), list((a - b).items())[:2] + list((b - a).items())[:2]))
        if len(t["swaps"]) != len(h["swaps"]):
            die("%d swaps, heist.json has %d" % (len(t["swaps"]), len(h["swaps"])))
        legs = lambda v: [(x["asset"], int(x["amount"]), int(x["tainted"])) for x in v]
        for a, b in zip(t["swaps"], h["swaps"]):
            if (a["tx"], a["holder"], legs(a["sent"]), legs(a["received"])) != \
               (b["tx"], b["holder"], legs(b["sent"]), legs(b["received"])):
                die("swap %s differs from heist.json: %s vs %s" % (a["tx"], a, b))
        d1 = {r["asset"]: int(r["amount"]) for r in t["dropped"] if int(r["amount"])}
        d2 = {r["asset"]: int(r["amount"]) for r in h["dropped"] if int(r["amount"])}
        if d1 != d2:
            die("dropped differs from heist.json: %s vs %s" % (d1, d2))
        if t["poisoning_ignored"] != h["poisoning_ignored"]:
            die("poisoning_ignored %d, heist.json %d" % (t["poisoning_ignored"], h["poisoning_ignored"]))
        what = "heist.json (sinks, frontier, fees, burned, dropped, swaps, poisoning count)"
    else:
        fl = json.load(open(os.path.join(gen, "truth/heist-flows.json")))
        if policy != "poison":
            die("no truth/heist.json for %s" % policy)
        want = collections.Counter()
        for s in fl["poison"]["sinks"]:
            if s["category"] in ("mixer", "bridge") or cluster:
                want[(s["entity"], s["asset"])] += int(s["amount"])
        part = collections.Counter({k: v for k, v in got.items()
                                    if k[0] in {e for e, _ in want} or cluster})
        if part != want:
            die("poison sinks differ from heist-flows.json: extra %s missing %s" %
                (dict(part - want), dict(want - part)))
        what = "heist-flows.json poison truth (%d sinks)" % len(want)
    print("ok: %s %d sinks, %d frontier rows, %d swaps match %s" %
          (policy, len(t["sinks"]), len(t["frontier"]), len(t["swaps"]), what))


main()
