#!/usr/bin/python3
"""cluster_accuracy.py — pairwise precision/recall of `chainsleuth cluster`
against a generated chain's ground truth (chainsleuth-gen DIR/truth/owners.csv).

    bench/cluster_accuracy.py --bin bin/chainsleuth --gen DIR [--db DB]
                              [--min-precision 0.99] [--no-coinjoin-merge]

Ingests DIR/blocks into DB (a temp dir unless --db is given), then for each
heuristics spec runs `chainsleuth cluster --heuristics SPEC --export`, and
compares the clusters with the owners:

  precision  = pairs of addresses in one cluster that have one owner
               / pairs of addresses in one cluster
  recall     = pairs in one cluster with one owner / pairs with one owner
  cj-merged  = collaborative transactions (inputs owned by two or more
               entities: the generator's CoinJoins) where addresses of
               different owners among the inputs ended up in one cluster;
               '*' when some are Whirlpool rounds with 5 new entrants, which
               METHODS 2.3 does not call Whirlpool (listed as a known gap and
               not counted by --no-coinjoin-merge)

The block files are parsed here, independently of chainsleuth (best chain
from the tip in truth/chain.json, else the highest block), to find those
collaborative transactions.  --min-precision and --no-coinjoin-merge turn the
default spec's numbers into a check (exit 1 when violated).
"""
import argparse
import csv
import glob
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
NETS = {  # p2pkh version, p2sh version, bech32 hrp
    'main': (0x00, 0x05, 'bc'),
    'testnet3': (0x6f, 0xc4, 'tb'),
    'testnet4': (0x6f, 0xc4, 'tb'),
    'signet': (0x6f, 0xc4, 'tb'),
    'regtest': (0x6f, 0xc4, 'bcrt'),
}


def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def hash160(b):
    return hashlib.new('ripemd160', hashlib.sha256(b).digest()).digest()


def b58check(payload):
    data = payload + sha256d(payload)[:4]
    n = int.from_bytes(data, 'big')
    out = ''
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    pad = len(data) - len(data.lstrip(b'\0'))
    return '1' * pad + out


def polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= gen[i]
    return chk


def segwit_addr(hrp, ver, prog):
    acc, bits, data = 0, 0, [ver]
    for b in prog:  # 8-bit to 5-bit groups
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    const = 1 if ver == 0 else 0x2bc830a3
    exp = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    pm = polymod(exp + data + [0] * 6) ^ const
    chk = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + '1' + ''.join(CHARSET[d] for d in data + chk)


def script_addr(spk, net):
    p2pkh, p2sh, hrp = NETS[net]
    n = len(spk)
    if n == 25 and spk[:3] == b'\x76\xa9\x14' and spk[23:] == b'\x88\xac':
        return b58check(bytes([p2pkh]) + spk[3:23])
    if n == 23 and spk[:2] == b'\xa9\x14' and spk[22] == 0x87:
        return b58check(bytes([p2sh]) + spk[2:22])
    if n in (35, 67) and spk[0] == n - 2 and spk[-1] == 0xac:  # P2PK -> P2PKH of the key
        return b58check(bytes([p2pkh]) + hash160(spk[1:-1]))
    if 4 <= n <= 42 and spk[1] == n - 2 and (spk[0] == 0 or 0x51 <= spk[0] <= 0x60):
        ver = 0 if spk[0] == 0 else spk[0] - 0x50
        if ver != 0 or n - 2 in (20, 32):
            return segwit_addr(hrp, ver, spk[2:])
    return 'script:' + spk.hex()


class Reader:
    def __init__(self, b, off=0):
        self.b, self.o = b, off

    def take(self, n):
        v = self.b[self.o:self.o + n]
        if len(v) != n:
            raise ValueError('truncated')
        self.o += n
        return v

    def u32(self):
        return struct.unpack('<I', self.take(4))[0]

    def varint(self):
        v = self.take(1)[0]
        if v < 0xfd:
            return v
        return int.from_bytes(self.take({0xfd: 2, 0xfe: 4, 0xff: 8}[v]), 'little')


def parse_tx(r):
    start = r.o
    r.take(4)
    segwit = r.b[r.o] == 0 and r.b[r.o + 1] == 1
    if segwit:
        r.take(2)
    body = r.o
    ins = []
    for _ in range(r.varint()):
        prev = r.take(32)
        vout = r.u32()
        r.take(r.varint())
        r.take(4)
        ins.append((prev, vout))
    outs = []
    for _ in range(r.varint()):
        value = struct.unpack('<q', r.take(8))[0]
        outs.append((value, bytes(r.take(r.varint()))))
    body_end = r.o
    if segwit:
        for _ in ins:
            for _ in range(r.varint()):
                r.take(r.varint())
    r.take(4)
    stripped = r.b[start:start + 4] + r.b[body:body_end] + r.b[r.o - 4:r.o]
    return sha256d(stripped), ins, outs


def read_blocks(blockdir):
    """{hash: (prev, raw)} of every block in the blk*.dat files."""
    blocks = {}
    for path in sorted(glob.glob(os.path.join(blockdir, 'blk*.dat'))):
        d = open(path, 'rb').read()
        off = 0
        while off + 8 <= len(d):
            if d[off:off + 4] == b'\0\0\0\0':
                break
            n = struct.unpack_from('<I', d, off + 4)[0]
            raw = d[off + 8:off + 8 + n]
            off += 8 + n
            blocks[sha256d(raw[:80])] = (raw[4:36], raw)
    return blocks


def best_chain(blocks, tip_hex):
    if tip_hex:
        tip = bytes.fromhex(tip_hex)[::-1]
    else:
        height = {}

        def h(x):
            chain = []
            while x in blocks and x not in height:
                chain.append(x)
                x = blocks[x][0]
            base = height.get(x, -1)
            for y in reversed(chain):
                base += 1
                height[y] = base
            return height.get(chain[0] if chain else x, base)
        tip = max(blocks, key=h)
    chain = []
    while tip in blocks:
        chain.append(tip)
        tip = blocks[tip][0]
    return chain[::-1]


def collaborative_txs(gen, owner):
    """(input addresses, input values, output values) of the main-chain txs
    whose inputs have >= 2 owners."""
    info = {}
    cj = os.path.join(gen, 'truth', 'chain.json')
    if os.path.exists(cj):
        info = json.load(open(cj))
    net = info.get('network', 'main')
    blocks = read_blocks(os.path.join(gen, 'blocks'))
    chain = best_chain(blocks, info.get('tip'))
    addr_of = {}
    result = []
    for bh in chain:
        raw = blocks[bh][1]
        r = Reader(raw, 80)
        for _ in range(r.varint()):
            txid, ins, outs = parse_tx(r)
            prev = [addr_of.get((p, v), (None, 0)) for p, v in ins if p != b'\0' * 32]
            addrs = [a for a, _ in prev]
            for i, (value, spk) in enumerate(outs):
                addr_of[(txid, i)] = (script_addr(spk, net), value)
            owners = {owner.get(a) for a in addrs if a is not None}
            if len(owners) >= 2:
                result.append((addrs, [v for _, v in prev], [v for v, _ in outs]))
    return result, len(chain)


def pairs(n):
    return n * (n - 1) // 2


def evaluate(export, owner):
    cluster = {}
    with open(export) as f:
        rd = csv.reader(f)
        next(rd)
        for a, c in rd:
            cluster[a] = c
    cells, csize, esize = {}, {}, {}
    for a, e in owner.items():
        c = cluster.get(a)
        if c is None:
            continue
        cells[(c, e)] = cells.get((c, e), 0) + 1
        csize[c] = csize.get(c, 0) + 1
        esize[e] = esize.get(e, 0) + 1
    tp = sum(pairs(n) for n in cells.values())
    pred = sum(pairs(n) for n in csize.values())
    true = sum(pairs(n) for n in esize.values())
    missing = sum(1 for a in owner if a not in cluster)
    return (tp / pred if pred else 1.0, tp / true if true else 1.0, cluster, missing)


WHIRLPOOL_POOLS = (100000, 1000000, 5000000, 50000000)


def whirlpool_all_new(ins, outs):
    """A Whirlpool mix in which all 5 inputs are new entrants (d + 100 ..
    d + 110,000).  METHODS 2.3 requires 1-4 new entrants, so the detector
    does not veto it; the generator makes such rounds while a pool has no
    postmix coins yet (its first rounds)."""
    if len(ins) != 5 or len(outs) != 5 or len(set(outs)) != 1 or outs[0] not in WHIRLPOOL_POOLS:
        return False
    return all(outs[0] + 100 <= v <= outs[0] + 110000 for v in ins)


def cj_merged(collab, owner, cluster):
    """(collaborative txs whose inputs of different owners share a cluster,
    of which Whirlpool rounds with 5 new entrants)"""
    bad = known = 0
    for addrs, ins, outs in collab:
        seen = {}
        hit = False
        for a in addrs:
            if a is None or a not in cluster or a not in owner:
                continue
            c = cluster[a]
            if c in seen and seen[c] != owner[a]:
                hit = True
            seen.setdefault(c, owner[a])
        bad += hit
        known += hit and whirlpool_all_new(ins, outs)
    return bad, known


SPECS = [
    ('multi-input,coinjoin:none', 'multi-input alone'),
    ('multi-input', 'multi-input + CoinJoin vetoes (default)'),
] + [('multi-input,change:%s' % h, 'default + change:%s' % h)
     for h in ('fresh', 'reuse', 'type', 'power10', 'optimal', 'locktime', 'graphsense',
               'legacy', 'fresh+type+optimal')]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--bin', required=True)
    ap.add_argument('--gen', required=True, help='chainsleuth-gen output directory')
    ap.add_argument('--db')
    ap.add_argument('--specs', help='comma-free list separated by ";" (default: all)')
    ap.add_argument('--min-precision', type=float)
    ap.add_argument('--no-coinjoin-merge', action='store_true')
    a = ap.parse_args()
    owner = {}
    with open(os.path.join(a.gen, 'truth', 'owners.csv')) as f:
        rd = csv.reader(f)
        next(rd)
        for row in rd:
            owner[row[0]] = row[1]
    collab, nblocks = collaborative_txs(a.gen, owner)
    tmp = None
    db = a.db
    if not db:
        tmp = tempfile.mkdtemp(prefix='cs-accuracy.')
        db = os.path.join(tmp, 'db')
    try:
        subprocess.run([a.bin, 'ingest', 'btc', '--blocks', os.path.join(a.gen, 'blocks'), '--db',
                        db, '--quiet'], check=True, stdout=subprocess.DEVNULL)
        export = os.path.join(tmp or os.path.dirname(os.path.abspath(db)), 'accuracy-export.csv')
        specs = SPECS
        if a.specs:
            specs = [(s, s) for s in a.specs.split(';')]
        print('chain: %d blocks, %d owned addresses, %d entities, %d collaborative txs '
              '(inputs of >= 2 owners)' % (nblocks, len(owner), len(set(owner.values())),
                                           len(collab)))
        print('%-42s %8s %8s %9s %9s %7s %9s' % ('heuristics', 'clusters', 'largest', 'precision',
                                                 'recall', 'vetoed', 'cj-merged'))
        notes = []
        default_prec = None
        failed = []
        for spec, name in specs:
            out = subprocess.run([a.bin, 'cluster', '--db', db, '--heuristics', spec, '--export',
                                  export, '--json', '--quiet', '--warn-share', '1'],
                                 check=True, stdout=subprocess.PIPE).stdout
            rep = json.loads(out)
            prec, rec, cluster, missing = evaluate(export, owner)
            bad, known = cj_merged(collab, owner, cluster)
            print('%-42s %8d %8d %9.4f %9.4f %7d %9s' % (
                name, rep['clusters'], rep['largest']['size'], prec, rec,
                rep['coinjoin_vetoed']['total'], '%d%s' % (bad, '*' if known else '')))
            if missing:
                failed.append('%s: %d owned addresses missing from the export' % (name, missing))
            if spec == 'multi-input':
                default_prec = prec
                if a.min_precision is not None and prec < a.min_precision:
                    failed.append('default precision %.4f < %.4f' % (prec, a.min_precision))
                if a.no_coinjoin_merge and bad > known:
                    failed.append('default: %d collaborative txs merged different owners'
                                  % (bad - known))
                if known:
                    notes.append('KNOWN GAP: %d of the merged collaborative txs are Whirlpool '
                                 'rounds with 5 new entrants (all inputs d+100..d+110000), which '
                                 'METHODS 2.3 (1-4 new entrants) does not call Whirlpool' % known)
        print('precision %.6f for the default spec (pairwise, unrounded)' % default_prec
              if default_prec is not None else '', end='')
        print()
        for n in notes:
            print(n)
        for f in failed:
            print('FAIL: ' + f)
        return 1 if failed else 0
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
