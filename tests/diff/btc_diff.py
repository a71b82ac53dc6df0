#!/usr/bin/python3
"""Differential test: chainsleuth against python-bitcoinlib, an independent decoder.

Run with Debian's interpreter (/usr/bin/python3), which sees python3-bitcoinlib.

  btc_diff.py decode BIN FILE...     every block in each FILE (raw block, or
                                      blk framing with several records): every
                                      txid, wtxid-less fields, prevout, output
                                      value and address agree
  btc_diff.py store BIN DB BLKFILE   after `ingest`, height/tx count/UTXO count
                                      and total, and received/sent/balance/tx
                                      count of every address agree

Exit 0 when everything agrees, 1 on the first disagreement (printed), 77 when
python-bitcoinlib is missing.
"""
import hashlib
import json
import struct
import subprocess
import sys

try:
    import bitcoin
    from bitcoin.core import CBlock, b2lx
    from bitcoin.core.script import CScript
    from bitcoin.wallet import CBitcoinAddress, CBitcoinAddressError, P2PKHBitcoinAddress
except ImportError:
    print("python3-bitcoinlib is not installed")
    sys.exit(77)

MAGICS = {bytes.fromhex('f9beb4d9'): 'mainnet', bytes.fromhex('0b110907'): 'testnet',
          bytes.fromhex('1c163f28'): 'testnet', bytes.fromhex('0a03cf40'): 'signet',
          bytes.fromhex('fabfb5da'): 'regtest'}

# Bech32m (BIP350) for witness v1+ outputs, which python-bitcoinlib predates.
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
    acc = bits = 0
    data = [ver]
    for b in prog:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    const = 1 if ver == 0 else 0x2bc830a3
    exp = [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]
    pm = _polymod(exp + data + [0] * 6) ^ const
    return hrp + '1' + ''.join(CHARSET[d] for d in data + [(pm >> 5 * (5 - i)) & 31 for i in range(6)])


def address(spk, hrp):
    """Address as explorers show it, or None for pseudo-addresses."""
    s = bytes(spk)
    if len(s) >= 4 and len(s) <= 42 and (s[0] == 0 or 0x51 <= s[0] <= 0x60) and s[1] + 2 == len(s) \
            and 2 <= s[1] <= 40:
        ver = 0 if s[0] == 0 else s[0] - 0x50
        if ver != 0 or s[1] in (20, 32):
            if ver >= 1 and s[1] > 32:
                return None
            return segwit_addr(hrp, ver, s[2:])
    # P2PK is shown as the P2PKH address of its key.  (python-bitcoinlib's own
    # bare-checksig conversion cuts uncompressed keys to 64 bytes, so the key is
    # hashed here and only the Base58 encoding is the library's.)
    if (len(s) == 35 and s[0] == 33 and s[1] in (2, 3) or len(s) == 67 and s[0] == 65 and s[1] in (4, 6, 7)) \
            and s[-1] == 0xac:
        h160 = hashlib.new('ripemd160', hashlib.sha256(s[1:-1]).digest()).digest()
        return str(P2PKHBitcoinAddress.from_bytes(h160))
    try:
        a = CBitcoinAddress.from_scriptPubKey(CScript(s))
        if a.to_scriptPubKey() != CScript(s):
            return None  # the library canonicalised a non-standard script into an address
        return str(a)
    except (CBitcoinAddressError, ValueError):
        return None


def records(path):
    data = open(path, 'rb').read()
    if data[:4] in MAGICS:
        off = 0
        while off + 8 <= len(data) and data[off:off + 4] != b'\0\0\0\0':
            (n,) = struct.unpack_from('<I', data, off + 4)
            yield MAGICS[data[off:off + 4]], data[off + 8:off + 8 + n]
            off += 8 + n
    else:
        yield None, data


def select(params):
    bitcoin.SelectParams(params)
    return {'mainnet': 'bc', 'testnet': 'tb', 'signet': 'tb', 'regtest': 'bcrt'}[params]


def cmd_decode(binary, files, network):
    nblk = ntx = nout = naddr = 0
    for path in files:
        out = subprocess.run([binary, 'decode', '--json', '--network', network, path],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print('FAIL: chainsleuth decode %s: %s' % (path, out.stderr.strip()))
            return 1
        ours = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
        theirs = list(records(path))
        if len(ours) != len(theirs):
            print('FAIL: %s: %d blocks decoded, reference has %d' % (path, len(ours), len(theirs)))
            return 1
        for mine, (params, raw) in zip(ours, theirs):
            hrp = select(params or {'main': 'mainnet', 'testnet3': 'testnet', 'testnet4': 'testnet',
                                    'signet': 'signet', 'regtest': 'regtest'}[network])
            b = CBlock.deserialize(raw)
            if b2lx(b.GetHash()) != mine['hash'] or len(b.vtx) != mine['n_tx']:
                print('FAIL: %s: block %s / %d txs vs %s / %d' % (path, b2lx(b.GetHash()), len(b.vtx),
                                                                 mine['hash'], mine['n_tx']))
                return 1
            if b2lx(b.hashMerkleRoot) != mine['merkle_root']:
                print('FAIL: merkle root of %s' % mine['hash'])
                return 1
            for tx, t in zip(b.vtx, mine['txs']):
                if b2lx(tx.GetTxid()) != t['txid']:
                    print('FAIL: txid %s vs %s' % (b2lx(tx.GetTxid()), t['txid']))
                    return 1
                if len(tx.vin) != len(t['inputs']) or len(tx.vout) != len(t['outputs']):
                    print('FAIL: %s: input/output counts' % t['txid'])
                    return 1
                for i, (vin, mi) in enumerate(zip(tx.vin, t['inputs'])):
                    if b2lx(vin.prevout.hash) != mi['prev_txid'] or vin.prevout.n != mi['vout'] \
                            or vin.nSequence != mi['sequence']:
                        print('FAIL: %s input %d prevout %s:%d vs %s:%d' % (
                            t['txid'], i, b2lx(vin.prevout.hash), vin.prevout.n, mi['prev_txid'], mi['vout']))
                        return 1
                for j, (vout, mo) in enumerate(zip(tx.vout, t['outputs'])):
                    nout += 1
                    if vout.nValue != mo['value']:
                        print('FAIL: %s:%d value %d vs %d' % (t['txid'], j, vout.nValue, mo['value']))
                        return 1
                    a = address(vout.scriptPubKey, hrp)
                    if a is not None:
                        naddr += 1
                        if a != mo['address']:
                            print('FAIL: %s:%d address %s vs %s (%s)' % (t['txid'], j, a, mo['address'], mo['type']))
                            return 1
                    elif mo['type'] in ('p2pkh', 'p2sh', 'p2wpkh', 'p2wsh', 'p2tr'):
                        print('FAIL: %s:%d: reference finds no address, we say %s' % (t['txid'], j, mo['type']))
                        return 1
                ntx += 1
            nblk += 1
    print('agree: %d blocks, %d txs, %d outputs, %d addresses' % (nblk, ntx, nout, naddr))
    return 0


def cmd_store(binary, db, blkfile):
    utxo = {}
    recv, sent, txs = {}, {}, {}
    height = -1
    ntx = 0
    hrp = None
    for params, raw in records(blkfile):
        hrp = select(params)
        b = CBlock.deserialize(raw)
        height += 1
        for tx in b.vtx:
            txid = tx.GetTxid()
            ntx += 1
            if not tx.is_coinbase():
                for vin in tx.vin:
                    key = (vin.prevout.hash, vin.prevout.n)
                    a, v = utxo.pop(key)
                    sent[a] = sent.get(a, 0) + v
                    txs.setdefault(a, set()).add(txid)
            for n, vout in enumerate(tx.vout):
                a = address(vout.scriptPubKey, hrp) or ('script:' + bytes(vout.scriptPubKey).hex())
                if len(vout.scriptPubKey) and vout.scriptPubKey[0] == 0x6a:
                    continue  # OP_RETURN: not a UTXO
                utxo[(txid, n)] = (a, vout.nValue)
                recv[a] = recv.get(a, 0) + vout.nValue
                txs.setdefault(a, set()).add(txid)
    info = json.loads(subprocess.run([binary, 'info', '--db', db, '--json'], capture_output=True,
                                     text=True, check=True).stdout)['chains']['btc']
    want = {'height': height, 'txs': ntx, 'utxo_count': len(utxo),
            'utxo_total': sum(v for _, v in utxo.values())}
    for k, v in want.items():
        if info[k] != v:
            print('FAIL: info %s = %s, reference %s' % (k, info[k], v))
            return 1
    checked = 0
    for a in sorted(recv):
        if a.startswith('script:'):
            continue
        out = subprocess.run([binary, 'address', a, '--db', db, '--json'], capture_output=True, text=True)
        if out.returncode:
            print('FAIL: address %s: %s' % (a, out.stderr.strip()))
            return 1
        got = json.loads(out.stdout)
        exp = {'received': recv[a], 'sent': sent.get(a, 0), 'balance': recv[a] - sent.get(a, 0),
               'tx_count': len(txs[a])}
        for k, v in exp.items():
            if got[k] != v:
                print('FAIL: address %s %s = %s, reference %s' % (a, k, got[k], v))
                return 1
        checked += 1
    print('agree: height %d, %d txs, %d utxos, %d sat; %d address balances' % (
        height, ntx, want['utxo_count'], want['utxo_total'], checked))
    return 0


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == 'decode':
        net = 'main'
        files = sys.argv[3:]
        if files[0].startswith('--network='):
            net = files[0].split('=', 1)[1]
            files = files[1:]
        return cmd_decode(sys.argv[2], files, net)
    if len(sys.argv) == 5 and sys.argv[1] == 'store':
        return cmd_store(sys.argv[2], sys.argv[3], sys.argv[4])
    print(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main())
