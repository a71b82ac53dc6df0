#!/usr/bin/python3
"""era1_independent.py — an independent second reading of the Sepolia Era1
files, used to get the expected values that tests/unit/test_era1.c asserts.

Shares no code with src/evm: its own e2store walk, snappy framing (raw blocks
through python3-snappy), RLP decoder, SSZ accumulator (hashlib sha256),
Keccak (python3-pycryptodome) and ECDSA public-key recovery (python3-ecdsa).
Prints, per file: blocks, transactions by type, receipts, logs, uncles, the
first block's hash, whether the accumulator matches, and the senders of the
first three transactions of each type (block given as an index into the file),
the number of distinct senders and a SHA-256 over every (tx hash, sender).  Run: tests/unit/era1_independent.py [--dump FILE] FILE...
(--dump writes every "0xtxhash 0xsender" line, for tests/cli/t_evm_era1.sh)."""
import hashlib
import struct
import sys

import ecdsa
import snappy
from Cryptodome.Hash import keccak
from ecdsa.util import sigdecode_string


def k256(b):
    return keccak.new(digest_bits=256, data=b).digest()


def rlp(b, i=0):
    """(item, end): bytes for a string, list of items for a list."""
    x = b[i]
    if x < 0x80:
        return b[i:i + 1], i + 1
    if x < 0xb8:
        n = x - 0x80
        return b[i + 1:i + 1 + n], i + 1 + n
    if x < 0xc0:
        ll = x - 0xb7
        n = int.from_bytes(b[i + 1:i + 1 + ll], 'big')
        return b[i + 1 + ll:i + 1 + ll + n], i + 1 + ll + n
    if x < 0xf8:
        n, s = x - 0xc0, i + 1
    else:
        ll = x - 0xf7
        n, s = int.from_bytes(b[i + 1:i + 1 + ll], 'big'), i + 1 + ll
    out, j = [], s
    while j < s + n:
        it, j = rlp(b, j)
        out.append(it)
    assert j == s + n
    return out, s + n


def enc(x):
    if isinstance(x, list):
        p = b''.join(enc(y) for y in x)
        return hdr(len(p), 0xc0) + p
    if len(x) == 1 and x[0] < 0x80:
        return x
    return hdr(len(x), 0x80) + x


def hdr(n, base):
    if n < 56:
        return bytes([base + n])
    nb = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([base + 55 + len(nb)]) + nb


def ienc(v):
    return v.to_bytes((v.bit_length() + 7) // 8, 'big')


def unframe(b):
    out, i = b'', 0
    assert b[:10] == b'\xff\x06\x00\x00sNaPpY'
    while i < len(b):
        t, n = b[i], int.from_bytes(b[i + 1:i + 4], 'little')
        body = b[i + 4:i + 4 + n]
        if t == 0:
            out += snappy.uncompress(body[4:])
        elif t == 1:
            out += body[4:]
        i += 4 + n
    return out


def sender(tx):
    if isinstance(tx, list):  # legacy
        v = int.from_bytes(tx[6], 'big')
        if v in (27, 28):
            msg, rec = enc(tx[:6]), v - 27
        else:
            cid = (v - 35) // 2
            msg, rec = enc(tx[:6] + [ienc(cid), b'', b'']), (v - 35) % 2
        r, s = tx[7], tx[8]
    else:
        typ, f = tx[0], rlp(tx, 1)[0]
        msg, rec, r, s = bytes([typ]) + enc(f[:-3]), int.from_bytes(f[-3], 'big'), f[-2], f[-1]
    digest = k256(msg)
    sig = r.rjust(32, b'\0') + s.rjust(32, b'\0')
    keys = ecdsa.VerifyingKey.from_public_key_recovery_with_digest(
        sig, digest, ecdsa.SECP256k1, sigdecode=sigdecode_string)
    # recovery order follows the recid (the R point with even y first)
    vk = keys[rec] if len(keys) > 1 else keys[0]
    return k256(vk.to_string())[12:].hex()


DUMP = None  # --dump FILE: one "tx hash sender" line per tx, in chain order


def main(path):
    d = open(path, 'rb').read()
    recs, p = [], 0
    while p < len(d):
        t, n, _ = struct.unpack_from('<HIH', d, p)
        recs.append((t, d[p + 8:p + 8 + n]))
        p += 8 + n
    blocks = txs = receipts = logs = uncles = 0
    types = {}
    leaves, first, senders = [], None, []
    all_senders = hashlib.sha256()  # over tx hash || sender, every tx in order
    distinct = set()
    hdr_hash = None
    for t, data in recs:
        if t == 3:
            raw = unframe(data)
            hdr_hash = k256(raw)
            first = first or hdr_hash.hex()
            blocks += 1
        elif t == 4:
            body = rlp(unframe(data))[0]
            for tx in body[0]:
                typ = 0 if isinstance(tx, list) else tx[0]
                types[typ] = types.get(typ, 0) + 1
                txs += 1
                h, frm = k256(enc(tx) if isinstance(tx, list) else tx).hex(), sender(tx)
                all_senders.update(bytes.fromhex(h + frm))
                if DUMP:
                    DUMP.write('0x%s 0x%s\n' % (h, frm))
                distinct.add(frm)
                if sum(1 for x in senders if x[0] == typ) < 3:  # three of each type
                    senders.append((typ, blocks - 1, h, frm))
            uncles += len(body[1])
        elif t == 5:
            rs = rlp(unframe(data))[0]
            receipts += len(rs)
            for r in rs:
                f = r if isinstance(r, list) else rlp(r, 1)[0]
                logs += len(f[3])
        elif t == 6:
            leaves.append(hashlib.sha256(hdr_hash + data).digest())
        elif t == 7:
            acc = data
    n = len(leaves)
    layer = leaves + [b'\0' * 32] * (8192 - n)
    while len(layer) > 1:
        layer = [hashlib.sha256(layer[i] + layer[i + 1]).digest() for i in range(0, len(layer), 2)]
    root = hashlib.sha256(layer[0] + n.to_bytes(32, 'little')).digest()
    print(f'{path}: blocks {blocks} txs {txs} types {sorted(types.items())} receipts {receipts} '
          f'logs {logs} uncles {uncles}')
    print(f'  first block {first}; accumulator {"matches" if root == acc else "DIFFERS"} {acc.hex()}')
    print(f'  {len(distinct)} distinct senders; sha256(tx hash || sender ...) {all_senders.hexdigest()}')
    for typ, num, h, s in senders:
        print(f'  block {num} (+ first) type {typ} tx {h} from 0x{s}')


if __name__ == '__main__':
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == '--dump':
        DUMP = open(args[1], 'w')
        args = args[2:]
    for a in args:
        main(a)
