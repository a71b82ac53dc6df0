#!/usr/bin/python3
"""gen_check.py BLOCKSDIR TRUTHDIR — independent check of chainsleuth-gen output.

Uses Debian's python3-bitcoinlib (run with /usr/bin/python3) and hashlib only;
nothing here shares code with the generator.  It:
  * reads every record of blk*.dat in file order (magic, size, zero padding
    only at the tail of the last file, files <= 128 MiB);
  * deserializes each block, checks that it reserializes to the same bytes,
    its merkle root, its BIP141 witness commitment, PoW <= target, BIP34
    height;
  * builds the best chain (most cumulative work) from the prev links and
    reports the out-of-order and stale records it saw;
  * replays the best chain: txids, every input spends an existing UTXO,
    coinbase value == subsidy + fees, input script shapes (P2PKH scriptSig,
    P2WPKH / nested P2SH-P2WPKH witness [sig, pubkey] whose HASH160 matches,
    P2TR key path [64-byte sig]), the UTXO count and total (zero-value
    OP_RETURN outputs are not UTXOs);
  * checks every output address has a row in owners.csv (P2TR addresses
    are encoded with the small bech32m below, python-bitcoinlib cannot);
    tags.csv rows agree with owners.csv;
  * compares chain.json, and with heist.json re-traces the stolen coins
    forward (poison through attacker-only transactions, stopping at exchange /
    mixer / bridge addresses and at the one CoinJoin) and compares
    destinations, unspent outputs and fees with the file exactly.
Prints one JSON line {"height","txs","utxo_count","utxo_total",...}; exits 1
on the first class of mismatch (all mismatches are listed), 2 on usage."""
import csv
import glob
import hashlib
import json
import os
import struct
import sys

import bitcoin
from bitcoin.core import CBlock, b2lx
from bitcoin.wallet import CBitcoinAddress, CBitcoinAddressError

MAGICS = {b'\xf9\xbe\xb4\xd9': 'main', b'\xfa\xbf\xb5\xda': 'regtest'}
MAX_FILE = 128 << 20
errors = []


def err(msg):
    if len(errors) < 50:
        print('gen_check: ' + msg, file=sys.stderr)
    errors.append(msg)


def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def hash160(b):
    h = hashlib.new('ripemd160')
    h.update(hashlib.sha256(b).digest())
    return h.digest()


# --- bech32 / bech32m (BIP173 / BIP350), encoder only ---
CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'


def _polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((top >> i) & 1) else 0
    return chk


def segwit_addr(hrp, ver, prog):
    data = [ver]
    acc = bits = 0
    for b in prog:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    const = 1 if ver == 0 else 0x2bc830a3
    exp = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    pm = _polymod(exp + data + [0] * 6) ^ const
    chk = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + '1' + ''.join(CHARSET[d] for d in data + chk)


def address(spk, hrp):
    spk = bytes(spk)
    if len(spk) == 34 and spk[0] == 0x51 and spk[1] == 0x20:
        return segwit_addr(hrp, 1, spk[2:])
    try:
        return str(CBitcoinAddress.from_scriptPubKey(bitcoin.core.script.CScript(spk)))
    except (CBitcoinAddressError, ValueError):
        return None


def target_of(bits):
    exp = bits >> 24
    mant = bits & 0x7fffff
    return mant << (8 * (exp - 3)) if exp >= 3 else mant >> (8 * (3 - exp))


def read_records(blocksdir):
    files = sorted(glob.glob(os.path.join(blocksdir, 'blk[0-9][0-9][0-9][0-9][0-9].dat')))
    if not files:
        err('%s: no blk?????.dat files' % blocksdir)
        return None, []
    recs = []
    magic = None
    for fi, path in enumerate(files):
        data = open(path, 'rb').read()
        if len(data) > MAX_FILE:
            err('%s: %d bytes > 128 MiB' % (path, len(data)))
        off = 0
        while off + 8 <= len(data):
            m = data[off:off + 4]
            if m == b'\0\0\0\0':
                if any(data[off:]):
                    err('%s: non-zero bytes after zero padding at %d' % (path, off))
                if fi != len(files) - 1:
                    err('%s: padding in a file that is not the last' % path)
                break
            if magic is None:
                magic = m
                if m not in MAGICS:
                    err('%s: unknown magic %s' % (path, m.hex()))
                    return None, []
            elif m != magic:
                err('%s: magic %s at byte %d' % (path, m.hex(), off))
                break
            (size,) = struct.unpack_from('<I', data, off + 4)
            if off + 8 + size > len(data):
                err('%s: record at %d runs past the end' % (path, off))
                break
            recs.append((fi, off, data[off + 8:off + 8 + size]))
            off += 8 + size
        else:
            if off != len(data):
                err('%s: %d trailing bytes' % (path, len(data) - off))
        if fi == len(files) - 1 and len(data) % (1 << 20):
            err('%s: last file is not padded to a 1 MiB boundary (%d bytes)' % (path, len(data)))
    return MAGICS.get(magic), recs


def bip34_height(script_sig):
    s = bytes(script_sig)
    if not s:
        return None
    op = s[0]
    if op == 0:
        return 0
    if 0x51 <= op <= 0x60:
        return op - 0x50
    if 1 <= op <= 8 and len(s) > op:
        return int.from_bytes(s[1:1 + op], 'little')
    return None


def check_input_shape(tx, i, spk, where):
    """script shapes: not validated signatures, but the right pieces"""
    spk = bytes(spk)
    ss = bytes(tx.vin[i].scriptSig)
    wit = list(tx.wit.vtxinwit[i].scriptWitness.stack) if i < len(tx.wit.vtxinwit) else []

    def sig_ok(s):
        return len(s) in (71, 72) and s[0] == 0x30 and s[1] == len(s) - 3 and s[-1] == 1

    if len(spk) == 25 and spk[:3] == b'\x76\xa9\x14':
        ok = (len(ss) >= 2 and ss[0] in (71, 72) and sig_ok(ss[1:1 + ss[0]]) and
              ss[1 + ss[0]] == 33 and len(ss) == 2 + ss[0] + 33 and
              hash160(ss[2 + ss[0]:]) == spk[3:23] and not wit)
    elif len(spk) == 22 and spk[:2] == b'\x00\x14':
        ok = (not ss and len(wit) == 2 and sig_ok(wit[0]) and len(wit[1]) == 33 and
              hash160(wit[1]) == spk[2:])
    elif len(spk) == 23 and spk[:2] == b'\xa9\x14' and spk[22] == 0x87:
        ok = (len(ss) == 23 and ss[:3] == b'\x16\x00\x14' and hash160(ss[1:]) == spk[2:22] and
              len(wit) == 2 and sig_ok(wit[0]) and len(wit[1]) == 33 and
              hash160(wit[1]) == ss[3:23])
    elif len(spk) == 34 and spk[:2] == b'\x51\x20':
        ok = not ss and len(wit) == 1 and len(wit[0]) == 64
    else:
        ok = False
    if not ok:
        err('%s input %d: script shape does not match the spent output %s' % (where, i, spk.hex()))


def main():
    if len(sys.argv) != 3:
        print(__doc__.split('\n')[0], file=sys.stderr)
        return 2
    blocksdir, truthdir = sys.argv[1], sys.argv[2]
    net, recs = read_records(blocksdir)
    if net is None:
        return 1
    bitcoin.SelectParams('mainnet' if net == 'main' else 'regtest')
    hrp = 'bc' if net == 'main' else 'bcrt'

    # --- blocks ---
    index = {}  # hash -> (order, block)
    order_of = {}
    for n, (fi, off, raw) in enumerate(recs):
        where = 'blk%05d.dat@%d' % (fi, off)
        try:
            blk = CBlock.deserialize(raw)
        except Exception as e:  # noqa: BLE001 - report any decoder failure
            err('%s: does not deserialize: %s' % (where, e))
            continue
        if blk.serialize() != raw:
            err('%s: does not reserialize to the same bytes' % where)
        h = blk.GetHash()
        if blk.hashMerkleRoot != blk.calc_merkle_root():
            err('%s: merkle root mismatch' % where)
        if int.from_bytes(h, 'little') > target_of(blk.nBits):
            err('%s: proof of work above target' % where)
        cb = blk.vtx[0]
        if any(tx.has_witness() for tx in blk.vtx):
            try:
                ci = blk.get_witness_commitment_index()
                commit = bytes(cb.vout[ci].scriptPubKey)[6:38]
                reserved = bytes(cb.wit.vtxinwit[0].scriptWitness.stack[0])
                if sha256d(blk.calc_witness_merkle_root() + reserved) != commit:
                    err('%s: witness commitment mismatch' % where)
            except (ValueError, IndexError) as e:
                err('%s: witness commitment missing: %s' % (where, e))
        for tx in blk.vtx:
            if tx.has_witness():
                for i, w in enumerate(tx.wit.vtxinwit):
                    pass
                if all(len(w.scriptWitness.stack) == 0 for w in tx.wit.vtxinwit):
                    err('%s: tx %s has only empty witnesses' % (where, b2lx(tx.GetTxid())))
        if h in index:
            err('%s: duplicate block %s' % (where, b2lx(h)))
        index[h] = blk
        order_of[h] = n

    # --- best chain by cumulative work ---
    zero = b'\0' * 32
    work, height = {}, {}

    def resolve(h):
        stack = []
        while h not in work:
            blk = index.get(h)
            if blk is None:
                return False
            stack.append(h)
            h = blk.hashPrevBlock
            if h == zero:
                break
        for x in reversed(stack):
            blk = index[x]
            p = blk.hashPrevBlock
            w = (1 << 256) // (target_of(blk.nBits) + 1)
            if p == zero:
                work[x], height[x] = w, 0
            elif p in work:
                work[x], height[x] = work[p] + w, height[p] + 1
            else:
                return False
        return True

    for h in index:
        if not resolve(h):
            err('block %s does not connect to genesis' % b2lx(h))
    if not work:
        return 1
    tip = max(work, key=lambda x: (work[x], -order_of[x]))
    chain = []
    h = tip
    while True:
        chain.append(h)
        p = index[h].hashPrevBlock
        if p == zero:
            break
        h = p
    chain.reverse()
    on_chain = set(chain)
    stale = len(index) - len(chain)
    out_of_order = sum(1 for x in chain[1:] if order_of[x] < order_of[index[x].hashPrevBlock])

    # --- replay ---
    owners = {}
    with open(os.path.join(truthdir, 'owners.csv'), newline='') as f:
        rd = csv.reader(f)
        if next(rd, None) != ['address', 'entity', 'entity_kind']:
            err('owners.csv: bad header')
        kinds = {'user', 'exchange', 'mixer', 'coinjoin_coordinator', 'miner', 'merchant',
                 'bridge', 'attacker', 'victim'}
        for row in rd:
            if len(row) != 3 or row[2] not in kinds:
                err('owners.csv: bad row %r' % row)
                continue
            if row[0] in owners:
                err('owners.csv: %s listed twice' % row[0])
            owners[row[0]] = (row[1], row[2])
    shape_count = {}
    utxo = {}  # (txid, n) -> (value, spk, addr)
    spender = {}
    txinfo = {}  # txid -> (ins [(txid,n,value,addr)], outs [(value, addr)])
    ntx = 0
    seen_addrs = set()
    for hh, bh in enumerate(chain):
        blk = index[bh]
        where = 'block %d' % hh
        bh34 = bip34_height(blk.vtx[0].vin[0].scriptSig)
        if hh > 0 and bh34 != hh:
            err('%s: BIP34 height %r' % (where, bh34))
        fees = 0
        for ti, tx in enumerate(blk.vtx):
            txid = tx.GetTxid()
            ntx += 1
            ins = []
            if ti > 0:
                vin_sum = 0
                for i, txin in enumerate(tx.vin):
                    key = (txin.prevout.hash, txin.prevout.n)
                    prev = utxo.pop(key, None)
                    if prev is None:
                        err('%s tx %s input %d: spends a missing output' % (where, b2lx(txid), i))
                        continue
                    vin_sum += prev[0]
                    spender[key] = txid
                    ins.append((key[0], key[1], prev[0], prev[2]))
                    check_input_shape(tx, i, prev[1], '%s tx %s' % (where, b2lx(txid)))
                vout_sum = sum(o.nValue for o in tx.vout)
                if vout_sum > vin_sum:
                    err('%s tx %s: outputs exceed inputs' % (where, b2lx(txid)))
                fees += vin_sum - vout_sum
            outs = []
            for n, o in enumerate(tx.vout):
                spk = bytes(o.scriptPubKey)
                if spk[:1] == b'\x6a':
                    if o.nValue != 0:
                        err('%s: OP_RETURN with value' % where)
                    outs.append((0, None))
                    continue
                a = address(spk, hrp)
                if a is None:
                    err('%s tx %s out %d: no standard address' % (where, b2lx(txid), n))
                elif a not in owners:
                    err('%s tx %s out %d: address %s not in owners.csv' % (where, b2lx(txid), n, a))
                seen_addrs.add(a)
                utxo[(txid, n)] = (o.nValue, spk, a)
                outs.append((o.nValue, a))
            txinfo[txid] = (ins, outs)
            if ti > 0:
                shapes(tx, ins, outs, shape_count)
        if hh > 0:
            sub = (50 * 100000000) >> (hh // 150) if hh // 150 < 64 else 0
            cbv = sum(o.nValue for o in blk.vtx[0].vout)
            if cbv != sub + fees:
                err('%s: coinbase pays %d, subsidy+fees %d' % (where, cbv, sub + fees))
    # addresses of off-chain (stale) blocks count as "appearing in outputs" too
    for bh, blk in index.items():
        if bh in on_chain:
            continue
        for tx in blk.vtx:
            for o in tx.vout:
                a = address(o.scriptPubKey, hrp)
                if a:
                    seen_addrs.add(a)
                    if a not in owners:
                        err('stale block output address %s not in owners.csv' % a)
    unused = [a for a in owners if a not in seen_addrs]
    if unused:
        err('owners.csv: %d addresses never appear in an output (e.g. %s)' % (len(unused), unused[0]))
    utxo_count = len(utxo)
    utxo_total = sum(v[0] for v in utxo.values())
    summary = {'height': len(chain) - 1, 'txs': ntx, 'utxo_count': utxo_count,
               'utxo_total': utxo_total, 'tip': b2lx(tip), 'records': len(recs),
               'stale': stale, 'out_of_order': out_of_order, 'network': net,
               'addresses': len(owners), 'shapes': shape_count}
    if ntx >= 5000:
        for k in ('whirlpool', 'whirlpool_tx0', 'wasabi2', 'swap_memo', 'out_memo'):
            if not shape_count.get(k):
                err('no %s transaction found by the METHODS rules' % k)
    if stale < 1 or out_of_order < 1:
        err('expected at least one stale block and one out-of-order pair (got %d, %d)'
            % (stale, out_of_order))

    # --- tags ---
    tpath = os.path.join(truthdir, 'tags.csv')
    if os.path.exists(tpath):
        with open(tpath, newline='') as f:
            rd = csv.reader(f)
            hdr = next(rd, None)
            if not hdr or hdr[:4] != ['address', 'label', 'category', 'source']:
                err('tags.csv: bad header %r' % hdr)
            want = {'exchange': ('exchange', 'victim'), 'mixer': ('mixer',),
                    'bridge': ('bridge',), 'other': ('victim',)}
            for row in rd:
                o = owners.get(row[0])
                if o is None or row[2] not in want or o[1] not in want[row[2]]:
                    err('tags.csv: row %r disagrees with owners.csv %r' % (row, o))
                elif row[2] in ('exchange', 'mixer') and row[1] != o[0]:
                    err('tags.csv: label %s for an address of %s' % (row[1], o[0]))
                elif row[2] == 'other' and row[1] != o[0] + ' cold wallet':
                    err('tags.csv: label %s' % row[1])

    # --- chain.json ---
    with open(os.path.join(truthdir, 'chain.json')) as f:
        cj = json.load(f)
    for k in ('height', 'txs', 'utxo_count', 'utxo_total', 'tip'):
        if cj.get(k) != summary[k]:
            err('chain.json %s = %r, recomputed %r' % (k, cj.get(k), summary[k]))

    # --- heist.json ---
    hpath = os.path.join(truthdir, 'heist.json')
    if os.path.exists(hpath):
        with open(hpath) as f:
            hj = json.load(f)
        check_heist(hj, owners, utxo, spender, txinfo, summary)
    print(json.dumps(summary, sort_keys=True))
    return 1 if errors else 0


WP = {100000: 5000, 1000000: 50000, 5000000: 175000, 50000000: 1750000}


def shapes(tx, ins, outs, count):
    """METHODS.md 2.3 / 4.3 detectors, independently written, to count shapes"""
    vals = [o.nValue for o in tx.vout]
    spks = [bytes(o.scriptPubKey) for o in tx.vout]
    opret = [s for s in spks if s[:1] == b'\x6a']
    real = [(v, s) for v, s in zip(vals, spks) if s[:1] != b'\x6a']
    in_addrs = [a for (t, n, v, a) in ins]
    # Whirlpool mix: 5 in / 5 out at a pool denomination, scripts distinct
    if len(ins) == 5 and len(vals) == 5 and len(set(vals)) == 1 and vals[0] in WP:
        d = vals[0]
        if (all(d <= v <= d + 110000 for (t, n, v, a) in ins) and len(set(in_addrs)) == 5 and
                len(set(spks)) == 5):
            count['whirlpool'] = count.get('whirlpool', 0) + 1
    # Tx0: one OP_RETURN, 1-70 premix outputs in [d+100, d+110000], one fee output
    if len(opret) == 1:
        for d, f in WP.items():
            pre = [v for v, s in real if d + 100 <= v <= d + 110000]
            fee = [v for v, s in real if 0.5 * f <= v <= 3 * f and not d + 100 <= v <= d + 110000]
            if 1 <= len(pre) <= 70 and len(fee) == 1 and len(real) - len(pre) - 1 <= 2:
                count['whirlpool_tx0'] = count.get('whirlpool_tx0', 0) + 1
                break
        m = opret[0]
        data = m[2:] if len(m) > 1 and m[1] <= 75 else m[3:]
        if data.startswith(b'SWAP:ETH.ETH:0x'):
            count['swap_memo'] = count.get('swap_memo', 0) + 1
        if data.startswith(b'OUT:') and len(data) == 68:
            count['out_memo'] = count.get('out_memo', 0) + 1
    # Wasabi 2.0
    if len(ins) >= 20:
        per = {}
        for a in in_addrs:
            per[a] = per.get(a, 0) + 1
        vc = {}
        for v in vals:
            vc[v] = vc.get(v, 0) + 1
        denoms = [v for v, c in vc.items() if c >= 2]
        nden = sum(vc[v] for v in denoms)
        if (max(per.values()) <= 0.1 * len(ins) and min(vals) >= 5000 and
                len(set(spks)) == len(spks) and len(denoms) >= 3 and
                nden >= (len(vals) - 1) / 2 and nden < len(vals)):
            count['wasabi2'] = count.get('wasabi2', 0) + 1
    # peel shape: 1 input, 2 outputs
    if len(ins) == 1 and len(real) == 2 and not opret:
        count['one_in_two_out'] = count.get('one_in_two_out', 0) + 1
    # address reuse in outputs: an output paying one of the tx's input addresses
    if any(a in set(in_addrs) for v, a in outs if a):
        count['pays_input_address'] = count.get('pays_input_address', 0) + 1


def check_heist(hj, owners, utxo, spender, txinfo, summary):
    from bitcoin.core import lx
    seeds = [(lx(s['txid']), s['vout']) for s in hj['seed']]
    stolen = 0
    tainted = {}
    for key in seeds:
        info = txinfo.get(key[0])
        if info is None or key[1] >= len(info[1]):
            err('heist.json: seed %s:%d does not exist' % (b2lx(key[0]), key[1]))
            continue
        v, a = info[1][key[1]]
        if owners.get(a, ('', ''))[1] != 'attacker':
            err('heist.json: seed %s:%d pays %s, not the attacker' % (b2lx(key[0]), key[1], a))
        stolen += v
        tainted[key] = (v, a)
    if stolen != hj['stolen']:
        err('heist.json: stolen %d, seed outputs sum to %d' % (hj['stolen'], stolen))
    dsum = sum(d['amount'] for d in hj['destinations'])
    usum = sum(u['amount'] for u in hj['unspent'])
    if hj['stolen'] != dsum + usum + hj['fees']:
        err('heist.json: stolen %d != destinations %d + unspent %d + fees %d'
            % (hj['stolen'], dsum, usum, hj['fees']))
    # forward trace in chain order (txinfo keeps insertion = chain order)
    dest, fees, unspent = {}, 0, {}
    sinks = {'exchange': 'exchange', 'mixer': 'mixer', 'bridge': 'bridge'}
    for txid, (ins, outs) in txinfo.items():
        tin = [(t, n, v) for (t, n, v, a) in ins if (t, n) in tainted]
        if not tin:
            continue
        for t, n, v in tin:
            tainted.pop((t, n))
        if len(tin) < len(ins):  # clean coins meet stolen coins: the CoinJoin
            if len(ins) < 20:
                err('heist: tx %s mixes clean and stolen coins and is no CoinJoin' % b2lx(txid))
            dest[('coinjoin', 'mixer')] = dest.get(('coinjoin', 'mixer'), 0) + sum(x[2] for x in tin)
            continue
        fees += sum(x[2] for x in tin) - sum(v for v, a in outs)
        for n, (v, a) in enumerate(outs):
            if a is None:
                continue
            ent, kind = owners.get(a, ('?', '?'))
            if kind in sinks:
                dest[(ent, sinks[kind])] = dest.get((ent, sinks[kind]), 0) + v
            elif kind == 'attacker':
                tainted[(txid, n)] = (v, a)
            else:
                err('heist: stolen coins reach %s (%s) in tx %s' % (ent, kind, b2lx(txid)))
    for key, (v, a) in tainted.items():
        if key not in utxo:
            err('heist: tainted output %s:%d neither spent nor unspent' % (b2lx(key[0]), key[1]))
        unspent['%s:%d' % (b2lx(key[0]), key[1])] = (a, v)
    got = {(d['entity'], d['category']): d['amount'] for d in hj['destinations']}
    if len(got) != len(hj['destinations']):
        err('heist.json: an entity is listed twice in destinations')
    if got != dest:
        err('heist.json destinations %r, traced %r' % (sorted(got.items()), sorted(dest.items())))
    hu = {u['outpoint']: (u['address'], u['amount']) for u in hj['unspent']}
    if hu != unspent:
        err('heist.json unspent (%d) differs from the traced unspent (%d)' % (len(hu), len(unspent)))
    for op, (a, v) in hu.items():
        t, n = op.split(':')
        if (lx(t), int(n)) not in utxo:
            err('heist.json: unspent %s is spent or missing' % op)
    if fees != hj['fees']:
        err('heist.json fees %d, traced %d' % (hj['fees'], fees))
    summary['heist'] = {'stolen': stolen, 'destinations': len(dest), 'unspent': len(unspent),
                        'fees': fees}


if __name__ == '__main__':
    sys.exit(main())
