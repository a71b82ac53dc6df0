#!/usr/bin/python3
"""evm_links_pr.py — precision and recall of `chainsleuth links --json`
against the generator's truth (DIR/truth/links.json of chainsleuth-gen
--chain eth), standard library only.

A link is a (withdrawal tx, deposit tx) pair.  For heuristic H:
  precision     = reported pairs of H that are true notes / pairs H reported
  recall_target = true pairs H found among the notes whose truth says H
                  should catch them (caught_by holds H) / those notes
  recall_all    = true pairs H found / every withdrawn note
"overall" is the union of the pairs of every heuristic, its targeted recall
over the notes some heuristic should catch.

  evm_links_pr.py LINKS_JSON TRUTH_JSON [--json] [--floor NAME:P:R]...

Prints the table (or one JSON line with --json).  Each --floor NAME:P:R
(NAME a heuristic or "overall", P and R fractions) demands precision >= P
and recall_target >= R; exit 1 naming the first that fails."""
import json, sys

HEUR = ["address_match", "unique_gas_price", "linked_addresses", "multi_denomination", "torn_mining"]


def main(argv):
    args, floors, as_json = [], [], False
    i = 1
    while i < len(argv):
        if argv[i] == "--json":
            as_json = True
        elif argv[i] == "--floor" and i + 1 < len(argv):
            name, p, r = argv[i + 1].split(":")
            floors.append((name, float(p), float(r)))
            i += 1
        else:
            args.append(argv[i])
        i += 1
    if len(args) != 2:
        sys.exit(__doc__)
    with open(args[0]) as f:
        rep = json.load(f)
    with open(args[1]) as f:
        truth = json.load(f)["links"]
    true_pairs = {(t["withdrawal_tx"], t["deposit_tx"]) for t in truth}
    should = {h: {(t["withdrawal_tx"], t["deposit_tx"]) for t in truth if h in t["caught_by"]}
              for h in HEUR}
    should_any = set().union(*should.values())
    found = {h: set() for h in HEUR}
    nrep = {h: 0 for h in HEUR}
    for w in rep["withdrawals"]:
        for l in w["links"]:
            found[l["heuristic"]].add((w["tx"], l["deposit_tx"]))
    for h in HEUR:
        nrep[h] = len(found[h])
    union = set().union(*found.values())
    rows = []
    for name, got, target in [(h, found[h], should[h]) for h in HEUR] + [("overall", union, should_any)]:
        tp = got & true_pairs
        rows.append({
            "heuristic": name,
            "reported": len(got),
            "true": len(tp),
            "precision": len(tp) / len(got) if got else None,
            "target_notes": len(target),
            "recall_target": len(tp & target) / len(target) if target else None,
            "recall_all": len(tp) / len(true_pairs) if true_pairs else None,
        })
    if as_json:
        print(json.dumps({"notes": len(true_pairs), "rows": rows}))
    else:
        f = lambda v: "-" if v is None else "%.3f" % v
        print("%-20s %9s %6s %9s %7s %13s %10s" % ("heuristic", "reported", "true", "precision",
                                                     "target", "recall_target", "recall_all"))
        for r in rows:
            print("%-20s %9d %6d %9s %7d %13s %10s" % (r["heuristic"], r["reported"], r["true"],
                                                         f(r["precision"]), r["target_notes"],
                                                         f(r["recall_target"]), f(r["recall_all"])))
        print("withdrawn notes in the truth: %d" % len(true_pairs))
    by = {r["heuristic"]: r for r in rows}
    for name, p, r in floors:
        row = by.get(name)
        if row is None:
            sys.exit("FAIL: --floor names an unknown heuristic %r" % name)
        if row["precision"] is None or row["precision"] < p:
            sys.exit("FAIL: %s precision %s below the floor %.3f" % (name, row["precision"], p))
        if row["recall_target"] is None or row["recall_target"] < r:
            sys.exit("FAIL: %s recall %s below the floor %.3f" % (name, row["recall_target"], r))


if __name__ == "__main__":
    main(sys.argv)
