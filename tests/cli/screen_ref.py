#!/usr/bin/python3
"""screen_ref.py — an independent reference for `chainsleuth screen` (METHODS.md §5).

    screen_ref.py BLOCKS_DIR TIP_HEX CLUSTERS_CSV TARGETS OUT_JSON TAGS_CSV...

Reads the blk*.dat files itself (its own block parser, scripts to addresses with
its own Base58Check and Bech32/Bech32m), takes the best chain back from the tip,
groups addresses by the clustering export (address,cluster), attributes each
cluster by the tags (highest weight, then category order, then label), and
computes for every cluster the exposure vectors by the definition, hop by hop:

    f_h(N)[c] = sum over N's flows (D, w) of (w / W(N)) *
                (1 if D is attributed to c, 0 if attributed otherwise,
                 decay * f_{h-1}(D)[c] if D is unattributed)

with the flows of METHODS §5 as risk.h states them (value v_C * a_D / A from
each source D != C of a transaction, for inflows; a_D * v_C / V to each
destination C != D, for outflows; no source or no destination: "origin").
Writes, per target address, the direction/category rows and the level to
OUT_JSON.  No code is shared with chainsleuth."""
import csv, hashlib, json, os, struct, sys

H, DECAY = 6, 0.5
CATS = ["exchange", "mixer", "bridge", "defi", "sanctioned", "stolen_funds", "hacker_group",
        "ransomware", "scam", "darknet", "gambling", "miner", "p2p_otc", "other"]
WEIGHT = {"sanctioned": 1.0, "stolen_funds": 0.9, "ransomware": 0.9, "hacker_group": 0.9,
          "darknet": 0.8, "mixer": 0.7, "scam": 0.7, "p2p_otc": 0.4, "gambling": 0.3}
W = lambda c: WEIGHT.get(c, 0.0)

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
def dsha(b): return hashlib.sha256(hashlib.sha256(b).digest()).digest()
def b58check(ver, payload):
    raw = bytes([ver]) + payload
    raw += dsha(raw)[:4]
    n = int.from_bytes(raw, "big"); s = ""
    while n: n, r = divmod(n, 58); s = B58[r] + s
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + s
BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
def polymod(vals):
    g = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]; chk = 1
    for v in vals:
        b = chk >> 25; chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5): chk ^= g[i] if (b >> i) & 1 else 0
    return chk
def segwit(hrp, ver, prog):
    acc = bits = 0; data = [ver]
    for x in prog:
        acc = (acc << 8) | x; bits += 8
        while bits >= 5: bits -= 5; data.append((acc >> bits) & 31)
    if bits: data.append((acc << (5 - bits)) & 31)
    const = 1 if ver == 0 else 0x2bc830a3
    pm = polymod([ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + data + [0] * 6) ^ const
    return hrp + "1" + "".join(BECH[d] for d in data + [(pm >> 5 * (5 - i)) & 31 for i in range(6)])
def h160(b): return hashlib.new("ripemd160", hashlib.sha256(b).digest()).digest()

def address(s):
    if len(s) == 25 and s[:3] == b"\x76\xa9\x14" and s[23:] == b"\x88\xac": return b58check(0, s[3:23])
    if len(s) == 23 and s[:2] == b"\xa9\x14" and s[22] == 0x87: return b58check(5, s[2:22])
    if len(s) == 22 and s[:2] == b"\x00\x14": return segwit("bc", 0, s[2:])
    if len(s) == 34 and s[:2] == b"\x00\x20": return segwit("bc", 0, s[2:])
    if len(s) == 34 and s[:2] == b"\x51\x20": return segwit("bc", 1, s[2:])
    if len(s) in (35, 67) and s[0] == len(s) - 2 and s[-1] == 0xac: return b58check(0, h160(s[1:-1]))
    return "script:" + s.hex()  # anything else: its own node (never tagged)

def varint(b, o):
    x = b[o]
    if x < 0xfd: return x, o + 1
    n = {0xfd: 2, 0xfe: 4, 0xff: 8}[x]
    return int.from_bytes(b[o + 1:o + 1 + n], "little"), o + 1 + n

def parse_block(b):
    o = 80; n, o = varint(b, o); txs = []
    for _ in range(n):
        start = o; o += 4; seg = b[o] == 0 and b[o + 1] == 1
        if seg: o += 2
        body_start = o
        nin, o = varint(b, o); ins = []
        for _ in range(nin):
            prev = b[o:o + 32]; idx = struct.unpack_from("<I", b, o + 32)[0]; o += 36
            l, o = varint(b, o); o += l + 4
            ins.append((prev, idx))
        nout, o = varint(b, o); outs = []
        for _ in range(nout):
            v = struct.unpack_from("<Q", b, o)[0]; o += 8
            l, o = varint(b, o); outs.append((v, b[o:o + l])); o += l
        body_end = o
        if seg:
            for _ in range(nin):
                k, o = varint(b, o)
                for _ in range(k): l, o = varint(b, o); o += l
        o += 4
        txid = dsha(b[start:start + 4] + b[body_start:body_end] + b[o - 4:o])
        txs.append((txid, ins, outs))
    return txs

def main():
    blocks_dir, tip_hex, clusters_csv, targets_file, out_json = sys.argv[1:6]
    tag_files = sys.argv[6:]
    blocks = {}
    for name in sorted(os.listdir(blocks_dir)):
        if not (name.startswith("blk") and name.endswith(".dat")): continue
        d = open(os.path.join(blocks_dir, name), "rb").read(); o = 0
        while o + 8 <= len(d) and d[o:o + 4] == bytes.fromhex("f9beb4d9"):
            n = struct.unpack_from("<I", d, o + 4)[0]; raw = d[o + 8:o + 8 + n]; o += 8 + n
            blocks[dsha(raw[:80])] = raw
    chain, h = [], bytes.fromhex(tip_hex)[::-1]
    while h in blocks:
        chain.append(blocks[h]); h = blocks[h][4:36]
    chain.reverse()
    cl = {r["address"]: r["cluster"] for r in csv.DictReader(open(clusters_csv))}
    node = lambda a: cl.get(a, "addr:" + a)
    # attribution: best tag per node
    best = {}
    for f in tag_files:
        for r in csv.DictReader(open(f)):
            if r.get("chain", "btc") not in ("", "btc"): continue
            n = node(r["address"]); k = (-W(r["category"]), CATS.index(r["category"]), r["label"])
            if n not in best or k < best[n][0]: best[n] = (k, r["category"], r["label"])
    attr = {n: v[1] for n, v in best.items()}
    # events: per transaction, sources and destinations by node
    utxo, events = {}, []
    for raw in chain:
        for txid, ins, outs in parse_block(raw):
            src = {}
            for prev, idx in ins:
                if prev == b"\0" * 32: continue
                v, a = utxo.pop((prev, idx))
                if v: src[node(a)] = src.get(node(a), 0) + v
            dst = {}
            for i, (v, s) in enumerate(outs):
                a = address(s); utxo[(txid, i)] = (v, a)
                if v: dst[node(a)] = dst.get(node(a), 0) + v
            events.append((src, dst))
    # flows per node and direction: list of (counterparty or None, weight)
    flows = [{}, {}]
    for src, dst in events:
        A, V = sum(src.values()), sum(dst.values())
        for c, v in dst.items():
            fl = flows[0].setdefault(c, [])
            if A == 0: fl.append((None, float(v)))
            for d, a in src.items():
                if d != c: fl.append((d, v * a / A))
        for d, a in src.items():
            fl = flows[1].setdefault(d, [])
            if V == 0: fl.append((None, float(a)))
            for c, v in dst.items():
                if c != d: fl.append((c, a * v / V))
    wsum = [{n: sum(w for _, w in fl) for n, fl in flows[k].items()} for k in (0, 1)]
    # f_h for every node, h = 1..H: (X decayed, T total, min hops) per category
    res = []
    for k in (0, 1):
        prevX, prevT, prevM, direct = {}, {}, {}, {}
        for h in range(1, H + 1):
            X, T, M = {}, {}, {}
            for n, fl in flows[k].items():
                tot = wsum[k][n]
                if tot <= 0: continue
                x, t, m = {}, {}, {}
                for d, w in fl:
                    if d is None: continue
                    p = w / tot
                    if d in attr:
                        c = attr[d]; x[c] = x.get(c, 0) + p; t[c] = t.get(c, 0) + p; m[c] = 1
                    else:
                        for c, v in prevX.get(d, {}).items(): x[c] = x.get(c, 0) + p * DECAY * v
                        for c, v in prevT.get(d, {}).items():
                            if v > 0:
                                t[c] = t.get(c, 0) + p * v
                                m[c] = min(m.get(c, 99), prevM[d][c] + 1)
                X[n], T[n], M[n] = x, t, m
            if h == 1: direct = X
            prevX, prevT, prevM = X, T, M
        res.append((prevX, prevT, prevM, direct))
    out = {}
    for line in open(targets_file):
        a = line.strip()
        if not a or a.startswith("#"): continue
        n = node(a); rows = []; score = 0.0; dsanc = False
        for k in (0, 1):
            X, T, M, D = (r.get(n, {}) for r in res[k])
            for c in CATS:
                if T.get(c, 0) > 0:
                    rows.append({"direction": ["in", "out"][k], "category": c, "direct": D.get(c, 0.0),
                                 "indirect": T[c] - D.get(c, 0.0), "decayed": X.get(c, 0.0),
                                 "min_hops": M[c]})
                    score = max(score, W(c) * X.get(c, 0.0))
                    if c == "sanctioned" and D.get(c, 0) > 0: dsanc = True
        owner = attr.get(n)
        if owner:
            score = max(score, W(owner)); dsanc |= owner == "sanctioned"
        level = ("SEVERE" if dsanc or score >= 0.5 else "HIGH" if score >= 0.2 else
                 "MEDIUM" if score >= 0.05 else "LOW")
        out[a] = {"risk": level, "score": score, "owner": owner, "exposure": rows}
    json.dump(out, open(out_json, "w"), indent=0, sort_keys=True)

main()
