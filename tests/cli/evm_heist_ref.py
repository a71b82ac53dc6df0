"""evm_heist_ref.py — a second, independent computation of truth/heist.json
(docs/METHODS.md §1.6, tools/gen/README.md "heist.json") from the CSV export
and truth/owners.csv alone, with Python integers.  evm_gen_check.py feeds it
every movement of the replay, in the ingest's order, before the balance
changes, and compares result() with the file.

State: only holders that have had taint under a policy are "followed" and
have lots; any other holder is all clean with the replay's balance, which is
copied in (one clean lot per asset) when taint first reaches it."""
import collections

STOP_KINDS = {"exchange", "victim", "mixer", "bridge"}
STOP_ROLES = {"hot_wallet", "deposit", "mixer_pool", "router", "vault", "bridge"}
CATEGORY = {"exchange": "exchange", "victim": "exchange", "mixer": "mixer", "bridge": "bridge"}
POLICIES = ("poison", "haircut", "fifo", "lifo")
FEE_KINDS = ("tip", "burn")
ZERO = "0x" + "0" * 40


def asset_rank(a):
    return (0, "") if a == "ETH" else (1, a)


class Lots:
    """One (holder, asset) under one policy."""
    __slots__ = ("bal", "taint", "poisoned", "q")

    def __init__(self, pol, bal):
        self.bal, self.taint, self.poisoned = bal, 0, False
        self.q = collections.deque([[bal, False]] if bal and pol in ("fifo", "lifo") else [])


def add_piece(pieces, amt, tainted):
    if amt == 0: return
    if pieces and pieces[-1][1] == tainted: pieces[-1][0] += amt
    else: pieces.append([amt, tainted])


class Policy:
    def __init__(self, name):
        self.name = name
        self.lots = {}  # holder -> {asset: Lots}
        self.counters = {k: collections.Counter() for k in
                         ("seed", "fees", "burned", "dropped", "swapped_in", "swapped_out")}
        self.sinks = collections.Counter()
        self.swaps = []
        self.poisoning = 0
        self.swap = None  # this tx: (nets, booked) when the sender's tx is a swap

    def follow(self, holder, balance_of):
        if holder in self.lots: return
        self.lots[holder] = {}
        self.balance_of = balance_of

    def get(self, holder, asset):
        d = self.lots.get(holder)
        if d is None: return None
        if asset not in d: d[asset] = Lots(self.name, self.balance_of(holder, asset))
        return d[asset]

    def holds_taint(self, holder):
        d = self.lots.get(holder)
        return d is not None and any(l.taint for l in d.values())

    # the taken pieces come back in the sender's arrival order
    def take(self, lots, x):
        if lots is None: return 0, [[x, False]]
        assert lots.bal >= x, "debit above the balance"
        p = self.name
        if p == "poison":
            t = x if lots.poisoned else 0
            lots.bal -= x
            lots.taint = lots.bal if lots.poisoned else 0
            return t, [[x, bool(t)]]
        if p == "haircut":
            t = x * lots.taint // lots.bal if lots.bal else 0
            lots.bal -= x
            lots.taint -= t
            return t, None
        pieces, left, t = [], x, 0
        while left:
            seg = lots.q[0] if p == "fifo" else lots.q[-1]
            part = min(seg[0], left)
            pieces.append([part, seg[1]])
            if seg[1]: t += part
            seg[0] -= part
            left -= part
            if seg[0] == 0:
                if p == "fifo": lots.q.popleft()
                else: lots.q.pop()
        if p == "lifo": pieces.reverse()
        lots.bal -= x
        lots.taint -= t
        return t, pieces

    def give(self, lots, x, t, pieces):
        lots.bal += x
        p = self.name
        if p == "poison":
            if t: lots.poisoned = True
            lots.taint = lots.bal if lots.poisoned else 0
        elif p == "haircut":
            lots.taint += t
        else:
            if pieces is None: pieces = [[x - t, False], [t, True]]
            assert sum(a for a, _ in pieces) == x and sum(a for a, z in pieces if z) == t
            for amt, z in pieces:
                if amt == 0: continue
                if lots.q and lots.q[-1][1] == z: lots.q[-1][0] += amt
                else: lots.q.append([amt, z])
            lots.taint += t


class HeistRef:
    def __init__(self, owners, tokens, cold, exploiter, balance_of, tx_from):
        self.owners, self.cold, self.expl = owners, cold, exploiter
        self.balance_of = balance_of
        self.tx_from = tx_from
        self.fake = {a for a in tokens if owners.get(a, {}).get("entity_kind") == "scam"}
        self.symbol = {a: tokens[a]["symbol"] for a in tokens}
        self.symbol["ETH"] = "ETH"
        self.pol = [Policy(p) for p in POLICIES]
        self.seeds, self.seed_txs = [], []

    def stop(self, a):
        r = self.owners.get(a)
        return r is not None and r["entity_kind"] in STOP_KINDS and r["role"] in STOP_ROLES

    def poisoning(self, f, t, asset, v, kind):
        if kind in FEE_KINDS or kind == "withdrawal": return False
        if v == 0: return kind == "log"
        if asset in self.fake: return True
        return any(x and self.owners.get(x, {}).get("role") == "lookalike" for x in (f, t))

    def begin_tx(self, h, sender, to, moves):
        """moves: the tx's non-fee movements (from, to, asset, value, kind).
        The seeds: what the drain txs (exploiter -> cold wallet) move."""
        self.is_seed_tx = sender == self.expl and to == self.cold
        for P in self.pol:
            P.swap = None
            if not P.holds_taint(sender): continue
            net = collections.Counter()
            for f, t, a, v, k in moves:
                if v == 0 or k in FEE_KINDS or self.poisoning(f, t, a, v, k): continue
                if t == sender: net[a] += v
                if f == sender: net[a] -= v
            if any(v > 0 for v in net.values()) and any(v < 0 for v in net.values()):
                P.swap = {"net": {a: v for a, v in net.items() if v}, "booked": False}

    def book_swap(self, P, h, E):
        net = P.swap["net"]
        outs = sorted((a for a in net if net[a] < 0), key=asset_rank)
        ins = sorted((a for a in net if net[a] > 0), key=asset_rank)
        sent, best = [], None
        for a in outs:
            S = -net[a]
            t, pieces = P.take(P.get(E, a), S)
            P.counters["swapped_out"][a] += t
            sent.append({"asset": a, "amount": str(S), "tainted": str(t)})
            # largest tainted fraction, the first on ties: t/S > tb/Sb <=> t*Sb > tb*S
            if best is None or t * best[1] > best[0] * S: best = (t, S, pieces)
        got = []
        for b in ins:
            R = net[b]
            t, S, pieces = best
            if P.name == "poison": tb, scaled = (R if t else 0), None
            elif P.name == "haircut": tb, scaled = R * t // S, None
            else:
                scaled, c, prev, tb = [], 0, 0, 0
                for amt, z in pieces:
                    c += amt
                    end = R * c // S
                    add_piece(scaled, end - prev, z)
                    if z: tb += end - prev
                    prev = end
            P.give(P.get(E, b), R, tb, scaled)
            P.counters["swapped_in"][b] += tb
            got.append({"asset": b, "amount": str(R), "tainted": str(tb)})
        P.swaps.append({"tx": h, "holder": E, "sent": sent, "received": got})
        P.swap["booked"] = True

    def move(self, h, sender, f, t, asset, v, kind):
        """One movement, before the replay's balances change.  f or t may be
        None/ZERO (mint, burn); kind: value, frame, log, tip, burn, withdrawal."""
        f = None if f in (None, ZERO) else f
        t = None if t in (None, ZERO) else t
        pz = self.poisoning(f, t, asset, v, kind)
        if v == 0 and not pz: return
        seed = kind in ("value", "frame", "log") and self.is_seed_tx and t is not None and v > 0 and kind != "withdrawal"
        if seed:
            assert not self.stop(t)
            self.seeds.append({"tx": h, "to": t, "asset": asset, "symbol": self.symbol[asset], "amount": str(v)})
            if h not in self.seed_txs: self.seed_txs.append(h)
        for P in self.pol:
            ffol, tfol = f in P.lots, t in P.lots
            if pz:
                if ffol or tfol: P.poisoning += 1
                if v == 0: continue
            if (P.swap and not pz and kind in ("value", "frame", "log") and sender in (f, t)
                    and asset in P.swap["net"]):
                if not P.swap["booked"]: self.book_swap(P, h, sender)
                continue
            if not (ffol or tfol or seed): continue
            tp, pieces = P.take(P.get(f, asset) if ffol else None, v)
            if seed:
                P.follow(t, self.balance_of)
                L = P.get(t, asset)
                P.give(L, v, 0, None)
                if P.name == "poison": L.poisoned, L.taint = True, L.bal
                elif P.name == "haircut": L.taint += v
                else:  # the newest clean funds, just received, become tainted
                    last = L.q[-1]
                    assert not last[1] and last[0] >= v
                    last[0] -= v
                    if last[0] == 0: L.q.pop()
                    L.q.append([v, True])
                    L.taint += v
                P.counters["seed"][asset] += v
                continue
            if kind in FEE_KINDS:
                P.counters["fees"][asset] += tp
                if tfol: P.give(P.get(t, asset), v, 0, None)
            elif pz:
                P.counters["dropped"][asset] += tp
                if tfol: P.give(P.get(t, asset), v, 0, None)
            elif t is None:
                P.counters["burned"][asset] += tp
            elif self.stop(t):
                P.sinks[(self.owners[t]["entity"], asset)] += tp
            else:
                if tp and not tfol: P.follow(t, self.balance_of)
                if t in P.lots: P.give(P.get(t, asset), v, tp, pieces)

    def result(self, balance_of):
        """The heist.json document, and a list of invariant violations."""
        bad = []
        out = {"chain": "eth", "seeds": self.seeds, "seed_txs": self.seed_txs, "policies": {}}
        for P in self.pol:
            front = collections.Counter()
            rows = []
            for hld, d in P.lots.items():
                for a, L in d.items():
                    if L.bal != balance_of(hld, a): bad.append("%s %s %s: lots %d, balance %d" % (P.name, hld, a, L.bal, balance_of(hld, a)))
                    if L.taint:
                        rows.append({"address": hld, "asset": a, "amount": str(L.taint)})
                        front[a] += L.taint
            rows.sort(key=lambda r: (r["address"], asset_rank(r["asset"])))
            sinks = collections.Counter()
            srows = []
            for (ent, a), v in P.sinks.items():
                if not v: continue
                sinks[a] += v
                kind = next(r["entity_kind"] for r in self.owners.values() if r["entity"] == ent)
                srows.append({"entity": ent, "category": CATEGORY[kind], "asset": a, "amount": str(v)})
            srows.sort(key=lambda r: (r["entity"], asset_rank(r["asset"])))

            def lst(c):
                return [{"asset": a, "amount": str(c[a])} for a in sorted(c, key=asset_rank) if c[a]]
            C = P.counters
            out["policies"][P.name] = {
                "sinks": srows, "frontier": rows, "fees": lst(C["fees"]), "burned": lst(C["burned"]),
                "dropped": lst(C["dropped"]), "swapped_in": lst(C["swapped_in"]),
                "swapped_out": lst(C["swapped_out"]), "swaps": P.swaps, "poisoning_ignored": P.poisoning}
            if P.name != "poison":
                for a in set(C["seed"]) | set(C["swapped_in"]) | set(front) | set(sinks) | set(C["swapped_out"]):
                    lhs = C["seed"][a] + C["swapped_in"][a]
                    rhs = sinks[a] + front[a] + C["fees"][a] + C["burned"][a] + C["dropped"][a] + C["swapped_out"][a]
                    if lhs != rhs: bad.append("%s %s: seed + swapped_in %d != %d" % (P.name, a, lhs, rhs))
        return out, bad


def selftest():
    """The worked numbers of METHODS §1.6 through HeistRef's own hooks (the
    same cases as tests/unit/test_evm_truth.c for the C side)."""
    E, COLD, B, C, POOL, HOT, LOOK, MINER = ("0x%040x" % i for i in range(1, 9))
    STETH, WETH_, USDT = "0x" + "5" * 40, "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2", "0x" + "6" * 40
    owners = {a: {"entity": "u", "entity_kind": "user", "role": "eoa"} for a in (E, COLD, B, C, POOL, MINER)}
    owners[HOT] = {"entity": "exchange_x", "entity_kind": "exchange", "role": "hot_wallet"}
    owners[LOOK] = {"entity": "scam", "entity_kind": "scam", "role": "lookalike"}
    tokens = {STETH: {"symbol": "stETH"}, WETH_: {"symbol": "WETH"}, USDT: {"symbol": "USDT"}}
    W = 10**18

    def fresh():
        bal = collections.defaultdict(int)
        r = HeistRef(owners, tokens, COLD, E, lambda a, s: bal[(a, s)], {})
        for a in (ETH_, STETH): bal[(COLD, a)] = 10**6 * W

        def tx(h, sender, to, moves):
            r.begin_tx(h, sender, to, [m[:5] for m in moves])
            for m in moves:
                r.move(h, sender, *m)
                f, t, a, v = m[:4]
                if f and f != ZERO: bal[(f, a)] -= v
                if t and t != ZERO: bal[(t, a)] += v
        return r, bal, tx
    ETH_ = "ETH"

    def taint(r, p, a, s):
        P = r.pol[POLICIES.index(p)]
        return P.lots[a][s].taint if a in P.lots and s in P.lots[a] else 0
    # receive 5 clean, then 1 tainted, send 3: FIFO 0, LIFO 1, haircut 0.5, poison 3
    r, bal, tx = fresh()
    bal[(E, "ETH")] += 5 * W
    tx("0x1", E, COLD, [(COLD, E, "ETH", W, "frame")])
    tx("0x2", E, B, [(E, B, "ETH", 3 * W, "value")])
    got = [taint(r, p, B, "ETH") for p in POLICIES]
    assert got == [3 * W, W // 2, 0, W] and B not in r.pol[2].lots, got
    # Paya: 5 clean, 1 tainted, 5 clean, send 1: haircut floor(10^18 / 11)
    r, bal, tx = fresh()
    bal[(E, "ETH")] += 5 * W
    tx("0x1", E, COLD, [(COLD, E, "ETH", W, "frame")])
    r.move(None, None, None, E, "ETH", 5 * W, "withdrawal")  # through the ledger: E is followed
    bal[(E, "ETH")] += 5 * W
    tx("0x2", E, B, [(E, B, "ETH", W, "value")])
    got = [taint(r, p, B, "ETH") for p in POLICIES]
    assert got == [W, 90909090909090909, 0, 0], got
    # 10 stETH of which 4 tainted (6 clean first) for 9.98 ETH: 3.992 tainted
    r, bal, tx = fresh()
    bal[(C, STETH)], bal[(POOL, "ETH")] = 6 * W, 100 * W
    tx("0x1", C, STETH, [(C, E, STETH, 6 * W, "log")])
    tx("0x2", E, COLD, [(COLD, E, STETH, 4 * W, "log")])
    R = 9980 * W // 1000
    tx("0x3", E, POOL, [(E, POOL, "ETH", 0, "value"), (POOL, E, "ETH", R, "frame"), (E, POOL, STETH, 10 * W, "log")])
    got = [taint(r, p, E, "ETH") for p in POLICIES]
    assert got == [R, 3992 * W // 1000, 3992 * W // 1000, 3992 * W // 1000], got
    assert list(r.pol[3].lots[E]["ETH"].q) == [[R - 3992 * W // 1000, False], [3992 * W // 1000, True]]
    tx("0x4", E, B, [(E, B, "ETH", W, "value")])  # LIFO: the newest (tainted) first
    assert [taint(r, p, B, "ETH") for p in ("fifo", "lifo")] == [0, W]
    # a wrap 1:1, fees tip then burn, a sink, a look-alike payment, a zero-value transfer
    r, bal, tx = fresh()
    bal[(E, "ETH")] += 3 * W
    tx("0x1", E, COLD, [(COLD, E, "ETH", 7 * W, "frame")])
    tx("0x2", E, WETH_, [(E, WETH_, "ETH", 4 * W, "value"), (ZERO, E, WETH_, 4 * W, "log"),
                         (E, MINER, "ETH", W // 10, "tip"), (E, ZERO, "ETH", W // 5, "burn")])
    got = [taint(r, p, E, WETH_) for p in POLICIES]
    assert got == [4 * W, 28 * W // 10, W, 4 * W], got
    assert [r.pol[i].counters["fees"]["ETH"] for i in range(4)] == [3 * W // 10, 21 * W // 100, 3 * W // 10, 3 * W // 10]
    tx("0x3", E, HOT, [(E, HOT, "ETH", 2 * W, "value")])
    tx("0x4", E, LOOK, [(E, LOOK, "ETH", W, "value")])
    tx("0x5", LOOK, USDT, [(E, LOOK, USDT, 0, "log")])
    assert [P.sinks[("exchange_x", "ETH")] for P in r.pol] == [2 * W, 14 * W // 10, 2 * W, 2 * W]
    assert [P.counters["dropped"]["ETH"] for P in r.pol] == [W, 7 * W // 10, W, 7 * W // 10]
    assert [P.poisoning for P in r.pol] == [2] * 4 and all(LOOK not in P.lots and HOT not in P.lots for P in r.pol)
    doc, bad = r.result(lambda a, s: bal[(a, s)])
    assert not bad, bad
    return "ok: evm_heist_ref selftest: METHODS §1.6 worked numbers (5C/1T/send 3, Paya, stETH swap, wrap, fees, sink, poisoning)"


if __name__ == "__main__":
    print(selftest())
