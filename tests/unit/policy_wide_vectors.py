#!/usr/bin/env python3
"""policy_wide_vectors.py — expected haircut results for test_policy.c's
test_wide_haircut_exact, from Python's integers.

Not run by the tests: its output was pasted into test_policy.c as literals.
It implements the haircut rule of src/trace/policy.h independently of the C
code (floors u_j*T/V, fee = min(residue, F), the rest to outputs by value
descending then index, then the per-label split floor(a*R_L/R) with the
remainder to labels in ascending order, outputs in index order, fee last).
Run it to see the numbers: python3 tests/unit/policy_wide_vectors.py
"""


def haircut(ins, outs):
    """ins: one list of (label, amount) runs per input; outs: output values.
    Returns (T, F, output taints, fee taint, runs per sink with the fee last)."""
    V = sum(a for runs in ins for _, a in runs)
    pools = {}
    for runs in ins:
        for label, a in runs:
            if label and a:
                pools[label] = pools.get(label, 0) + a
    T = sum(pools.values())
    F = V - sum(outs)
    assert F >= 0
    taint = [u * T // V for u in outs]
    rest = T - sum(taint)
    fee = min(rest, F)
    rest -= fee
    for j in sorted(range(len(outs)), key=lambda j: (-outs[j], j)):
        extra = min(outs[j] - taint[j], rest)
        taint[j] += extra
        rest -= extra
    assert rest == 0
    R = T
    sinks = []
    for u, a in list(zip(outs, taint)) + [(F, fee)]:
        runs = [(0, u - a)] if u > a else []
        if a:
            labels = sorted(pools)
            x = {l: a * pools[l] // R for l in labels}
            rem = a - sum(x.values())
            for l in labels:
                extra = min(pools[l] - x[l], rem)
                x[l] += extra
                rem -= extra
            assert rem == 0
            for l in labels:
                pools[l] -= x[l]
                if x[l]:
                    runs.append((l, x[l]))
            R -= a
        sinks.append(runs)
    return T, F, taint, fee, sinks


CASES = {
    # amounts up to ~2^201, a non-zero fee that absorbs the residue
    "A": ([[(1, 2**199 + 7), (0, 2**199 + 12338)],
           [(2, 2**190 + 1), (0, 2**191 + 998)],
           [(1, 10**45 + 3)]],
          [2**199, 5 * 10**58, 3 * 10**59 + 17, 2**195 + 11]),
    # amounts up to ~2^250, no fee: the residue goes to the largest output
    "B": ([[(3, 2**250 - 1), (0, 2**129 + 5)],
           [(1, 7 * 2**130 + 3)]],
          [2**249 - 5, 2**249 + 2**129 + 3, 7 * 2**130 + 9]),
}

if __name__ == "__main__":
    for name, (ins, outs) in CASES.items():
        T, F, taint, fee, sinks = haircut(ins, outs)
        print(f"case {name}: V = {sum(a for r in ins for _, a in r)}, T = {T}, F = {F}")
        for i, runs in enumerate(ins):
            print(f"  input {i}: " + ", ".join(f'{{{l}, "{a}"}}' for l, a in runs))
        print("  outputs: " + ", ".join(f'"{u}"' for u in outs))
        print("  output taint: " + ", ".join(f'"{a}"' for a in taint) + f'; fee taint "{fee}"')
        for j, runs in enumerate(sinks):
            what = f"output {j}" if j < len(outs) else "fee"
            print(f"  {what} runs: " + ", ".join(f'{{{l}, "{a}"}}' for l, a in runs))
