#!/usr/bin/python3
"""Pairwise precision and recall of an EVM clustering against the generator's truth.

    evm_cluster_pr.py EXPORT.csv OWNERS.csv [--min-precision P] [--min-recall R]
                      [--scope all|users] [--exclude-entity PREFIX] [--json]

EXPORT.csv is `chainsleuth cluster --chain eth --export FILE` (address,cluster,...);
OWNERS.csv is chainsleuth-gen's truth/owners.csv (address,entity,entity_kind,role,customer).

Definitions (the README's table uses them):
  universe   the addresses present in both files (accounts of the store that the
             truth names); with --scope users only those whose entity_kind is
             "user" (users' EOAs, sybil farms), so the exchanges' big true
             clusters do not dominate the counts; --exclude-entity PREFIX also
             drops the accounts of entities whose name starts with PREFIX (e.g.
             sybil_farmer, whose 40-120 EOAs each dominate the user pairs).
  predicted  unordered pairs {x, y} of the universe with the same cluster id.
  true       unordered pairs of the universe with the same owners.csv entity.
  precision  |predicted and true| / |predicted|   (1.0 when nothing is predicted)
  recall     |predicted and true| / |true|
Counted exactly from the cluster x entity contingency table: sum of C(n, 2).

Exits 1 when a floor given with --min-precision / --min-recall is not met, 2 on bad
input.  Standard library only.
"""
import csv
import json
import sys
from collections import Counter


def pairs(n):
    return n * (n - 1) // 2


def main(argv):
    args = argv[1:]
    opts = {"--min-precision": None, "--min-recall": None, "--scope": "all",
            "--exclude-entity": None}
    as_json = False
    pos = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--json":
            as_json = True
        elif a in opts:
            if i + 1 >= len(args):
                print(f"evm_cluster_pr: {a} needs a value", file=sys.stderr)
                return 2
            opts[a] = args[i + 1]
            i += 1
        else:
            pos.append(a)
        i += 1
    if len(pos) != 2 or opts["--scope"] not in ("all", "users"):
        print(__doc__, file=sys.stderr)
        return 2
    export, owners = pos
    truth = {}
    with open(owners, newline="") as f:
        for row in csv.DictReader(f):
            truth[row["address"].lower()] = (row["entity"], row["entity_kind"])
    clusters = {}
    with open(export, newline="") as f:
        r = csv.DictReader(f)
        if "address" not in r.fieldnames or "cluster" not in r.fieldnames:
            print(f"{export}: no address,cluster header", file=sys.stderr)
            return 2
        for row in r:
            clusters[row["address"].lower()] = row["cluster"]
    universe = [a for a in clusters if a in truth]
    if opts["--scope"] == "users":
        universe = [a for a in universe if truth[a][1] == "user"]
    if opts["--exclude-entity"]:
        universe = [a for a in universe if not truth[a][0].startswith(opts["--exclude-entity"])]
    by_c = Counter(clusters[a] for a in universe)
    by_e = Counter(truth[a][0] for a in universe)
    by_ce = Counter((clusters[a], truth[a][0]) for a in universe)
    pred = sum(pairs(n) for n in by_c.values())
    true = sum(pairs(n) for n in by_e.values())
    tp = sum(pairs(n) for n in by_ce.values())
    precision = tp / pred if pred else 1.0
    recall = tp / true if true else 1.0
    # the largest false merge: the cluster with the most pairs across entities
    worst, worst_fp = None, 0
    for c, n in by_c.items():
        fp = pairs(n) - sum(pairs(m) for (cc, _), m in by_ce.items() if cc == c) if n > 1 else 0
        if fp > worst_fp:
            worst, worst_fp = c, fp
    out = {
        "scope": opts["--scope"],
        "excluded_entities": opts["--exclude-entity"],
        "accounts": len(universe),
        "predicted_pairs": pred,
        "true_pairs": true,
        "true_positive_pairs": tp,
        "precision": round(precision, 6),
        "recall": round(recall, 6),
        "clusters": len(by_c),
        "entities": len(by_e),
        "worst_cluster": worst,
        "worst_cluster_false_pairs": worst_fp,
    }
    if as_json:
        print(json.dumps(out, sort_keys=True))
    else:
        print(
            f"scope {out['scope']}: {len(universe)} accounts, precision {precision:.4f} "
            f"({tp}/{pred} pairs), recall {recall:.4f} ({tp}/{true})"
        )
    bad = []
    if opts["--min-precision"] is not None and precision < float(opts["--min-precision"]):
        bad.append(f"precision {precision:.4f} < {opts['--min-precision']}")
    if opts["--min-recall"] is not None and recall < float(opts["--min-recall"]):
        bad.append(f"recall {recall:.4f} < {opts['--min-recall']}")
    if bad:
        print("evm_cluster_pr: " + "; ".join(bad), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
