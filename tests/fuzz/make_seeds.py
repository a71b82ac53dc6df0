#!/usr/bin/python3
"""make_seeds.py — writes the small fuzz seeds under tests/fuzz/seeds/,
among them the tiny synthetic Era1 archives seeds/era1/synthetic3 and
seeds/era1/big_tx that test_era1 also reads.  Everything is built here from scratch, sharing no code with src/evm:
own RLP, Merkle-Patricia trie, snappy framing with a bitwise CRC32C (raw
blocks through python3-snappy), SSZ accumulator (hashlib), Keccak
(python3-pycryptodome) and ECDSA signing (python3-ecdsa, RFC 6979).

The archive has three blocks starting at number 0: an empty genesis, a block
with one transaction of each kind (legacy before EIP-155, legacy EIP-155,
EIP-2930 with an access list, EIP-1559, one a contract creation) and their
receipts with logs, and a block with an uncle.  Transactions are signed with
private key 1, whose address 0x7e5f4552091a69125d5dfcb7b8c2659029395bdf is
publicly known.  Run from the repository root: tests/fuzz/make_seeds.py"""
import hashlib
import os
import struct

import sys

import ecdsa
import snappy
from ecdsa.util import sigencode_strings_canonize

# the RLP encoder and keccak of the other independent script (tests/unit/)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'unit'))
from era1_independent import enc as enc_bytes, hdr, k256  # noqa: E402


def enc(x):
    """era1_independent.enc, with integers as well."""
    if isinstance(x, int):
        x = x.to_bytes((x.bit_length() + 7) // 8, 'big')
    if isinstance(x, list):
        return rlp_list(b''.join(enc(y) for y in x))
    return enc_bytes(x)


def rlp_list(payload):
    return hdr(len(payload), 0xc0) + payload


# ---- Merkle-Patricia trie (dict of bytes keys -> bytes values) ----
def nibbles(b):
    return [n for c in b for n in (c >> 4, c & 15)]


def hp(nib, leaf):
    flag = 2 if leaf else 0
    if len(nib) % 2:
        nib = [flag + 1] + nib
    else:
        nib = [flag, 0] + nib
    return bytes(nib[i] * 16 + nib[i + 1] for i in range(0, len(nib), 2))


def node(items):  # items: list of (nibbles, value); returns the node as a python structure
    if len(items) == 1:
        k, v = items[0]
        return [hp(k, True), v]
    common = os.path.commonprefix([k for k, _ in items])
    if common:
        return [hp(list(common), False), ref(node([(k[len(common):], v) for k, v in items]))]
    slots, value = [b''] * 16, b''
    for n in range(16):
        sub = [(k[1:], v) for k, v in items if k and k[0] == n]
        if sub:
            slots[n] = ref(node(sub))
    for k, v in items:
        if not k:
            value = v
    return slots + [value]


class Raw(bytes):
    pass


def ref(n):
    e = enc_node(n)
    return Raw(e) if len(e) < 32 else k256(e)


def enc_node(n):
    return rlp_list(b''.join(bytes(x) if isinstance(x, Raw) else enc(x) for x in n))


def trie_root(values):
    if not values:
        return k256(b'\x80')
    items = sorted((nibbles(enc(i)), v) for i, v in enumerate(values))
    return k256(enc_node(node(items)))


# ---- snappy framing ----
def crc32c(b):
    c = 0xffffffff
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ 0x82f63b78 if c & 1 else c >> 1
    return c ^ 0xffffffff


def frame(data):
    out = b'\xff\x06\x00\x00sNaPpY'
    for i in range(0, len(data), 65536):
        chunk = data[i:i + 65536]
        c = crc32c(chunk)
        masked = (((c >> 15) | (c << 17)) + 0xa282ead8) & 0xffffffff
        body = struct.pack('<I', masked) + snappy.compress(chunk)
        out += b'\x00' + len(body).to_bytes(3, 'little') + body
    return out


# ---- transactions ----
KEY = ecdsa.SigningKey.from_secret_exponent(1, curve=ecdsa.SECP256k1)
SENDER = k256(KEY.get_verifying_key().to_string())[12:]
assert SENDER.hex() == '7e5f4552091a69125d5dfcb7b8c2659029395bdf'
CHAIN = 11155111


def sign(digest):
    r, s = KEY.sign_digest_deterministic(digest, sigencode=sigencode_strings_canonize,
                                         hashfunc=hashlib.sha256)
    # recovery id: which of the two candidate keys is ours
    keys = ecdsa.VerifyingKey.from_public_key_recovery_with_digest(
        r + s, digest, ecdsa.SECP256k1, sigdecode=ecdsa.util.sigdecode_string)
    rec = [k.to_string() for k in keys].index(KEY.get_verifying_key().to_string())
    return rec, int.from_bytes(r, 'big'), int.from_bytes(s, 'big')


def legacy(nonce, to, value, data, chain):
    f = [nonce, 10**9, 21000 + 16 * len(data), to, value, data]
    rec, r, s = sign(k256(enc(f + ([chain, 0, 0] if chain else []))))
    v = 27 + rec if not chain else 35 + 2 * chain + rec
    return enc(f + [v, r, s])


def typed(t, nonce, to, value, data, access):
    if t == 1:
        f = [CHAIN, nonce, 10**9, 50000, to, value, data, access]
    else:
        f = [CHAIN, nonce, 10**9, 2 * 10**9, 50000, to, value, data, access]
    rec, r, s = sign(k256(bytes([t]) + enc(f)))
    return bytes([t]) + enc(f + [rec, r, s])


def receipt(t, cumulative, logs):
    body = enc([1, cumulative, b'\0' * 256, logs])
    return body if t == 0 else bytes([t]) + body


def header(parent, ommers, number, txr, rr, gas_used, extra, difficulty=0x20000):
    return enc([parent, ommers, b'\x11' * 20, b'\x22' * 32, txr, rr, b'\0' * 256, difficulty,
                number, 30000000, gas_used, 1700000000 + 12 * number, extra, b'\0' * 32,
                b'\0' * 8, 10**9])


def build():
    to = bytes.fromhex('00000000000000000000000000000000deadbeef')
    txs = [legacy(0, to, 1, b'', 0),
           legacy(1, b'', 0, b'\x60\x00\x60\x00', CHAIN),  # contract creation
           typed(1, 2, to, 5, b'\x01\x02', [[to, [b'\0' * 31 + b'\x01']]]),
           typed(2, 3, to, 10**18, b'', [])]
    types = [0, 0, 1, 2]
    gas = [21000, 21064, 30000, 21000]
    log = [to, [b'\xaa' * 32, b'\xbb' * 32], b'hello']
    cum, rcpts = 0, []
    for i, t in enumerate(types):
        cum += gas[i]
        rcpts.append(receipt(t, cum, [log] * (i % 3)))
    empty_ommers = k256(enc([]))
    blocks = []
    h0 = header(b'\0' * 32, empty_ommers, 0, trie_root([]), trie_root([]), 0, b'synthetic')
    blocks.append((h0, enc([[], []]), enc([]), 0x20000))
    h1 = header(k256(h0), empty_ommers, 1, trie_root(txs), trie_root(rcpts), cum, b'')
    # typed transactions and receipts sit in their lists as byte strings
    tx_list = rlp_list(b''.join(t if t[0] >= 0xc0 else enc(t) for t in txs))
    r_list = rlp_list(b''.join(r if r[0] >= 0xc0 else enc(r) for r in rcpts))
    body1 = rlp_list(tx_list + enc([]))
    blocks.append((h1, body1, r_list, 0x40000))
    uncle = header(k256(h0), empty_ommers, 1, trie_root([]), trie_root([]), 0, b'uncle')
    uncles = rlp_list(uncle)
    h2 = header(k256(h1), k256(uncles), 2, trie_root([]), trie_root([]), 0, b'')
    blocks.append((h2, rlp_list(enc([]) + uncles), enc([]), 0x60000))
    return blocks


def big_tx_block():
    """One block whose body decompresses to over 128 KiB (150,000 bytes of
    calldata), so the reader's buffers must grow twice from 64 KiB."""
    tx = legacy(0, b'\x01' * 20, 0, b'\0' * 150000, CHAIN)
    rc = receipt(0, 21000 + 16 * 150000, [])
    empty_ommers = k256(enc([]))
    h = header(b'\0' * 32, empty_ommers, 0, trie_root([tx]), trie_root([rc]), 21000 + 16 * 150000,
               b'big')
    return [(h, rlp_list(rlp_list(tx) + enc([])), rlp_list(rc), 0x20000)]


def e2s(t, data):
    return struct.pack('<HIH', t, len(data), 0) + data


def era1(blocks):
    out = e2s(0x3265, b'')
    offsets, leaves = [], []
    for h, body, rcpts, td in blocks:
        offsets.append(len(out))
        td_le = td.to_bytes(32, 'little')
        out += e2s(3, frame(h)) + e2s(4, frame(body)) + e2s(5, frame(rcpts)) + e2s(6, td_le)
        leaves.append(hashlib.sha256(k256(h) + td_le).digest())
    layer = leaves + [b'\0' * 32] * (8192 - len(leaves))
    while len(layer) > 1:
        layer = [hashlib.sha256(layer[i] + layer[i + 1]).digest() for i in range(0, len(layer), 2)]
    acc = hashlib.sha256(layer[0] + len(leaves).to_bytes(32, 'little')).digest()
    out += e2s(7, acc)
    index_off = len(out)
    ix = struct.pack('<q', 0) + b''.join(struct.pack('<q', o - index_off) for o in offsets)
    out += e2s(0x3266, ix + struct.pack('<q', len(blocks)))
    return out, acc


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


def main():
    blocks = build()
    archive, acc = era1(blocks)
    write('tests/fuzz/seeds/era1/synthetic3', archive)
    write('tests/fuzz/seeds/era1/one_block', era1(blocks[:1])[0])
    big, big_acc = era1(big_tx_block())
    write('tests/fuzz/seeds/era1/big_tx', big)
    h1, body1 = blocks[1][0], blocks[1][1]
    write('tests/fuzz/seeds/era1/header', h1)
    write('tests/fuzz/seeds/rlp/header', h1)
    write('tests/fuzz/seeds/rlp/body', body1)
    write('tests/fuzz/seeds/rlp/nested', enc([[], [[]], [[], [[]]], b'dog', 1000, b'x' * 60]))
    write('tests/fuzz/seeds/snappy_frame/body', frame(body1))
    write('tests/fuzz/seeds/snappy_frame/text', frame(b'hello, hello, hello, snappy ' * 40))
    # the values test_era1 asserts
    print('accumulator', acc.hex())
    for i, (h, _, _, _) in enumerate(blocks):
        print('block', i, k256(h).hex())
    print('sender', SENDER.hex())
    print('big_tx accumulator', big_acc.hex(), 'bytes', len(big))


if __name__ == '__main__':
    main()
