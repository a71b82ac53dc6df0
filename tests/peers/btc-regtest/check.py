#!/usr/bin/python3
"""check.py - verify a make-chain export independently of bcoin.

Usage: /usr/bin/python3 check.py OUTDIR

Decodes OUTDIR/blocks/blk00000.dat with Debian's python3-bitcoinlib (run it
with /usr/bin/python3: another python3 first on PATH may not see that package)
and checks, failing on the first kind of mismatch it finds:
  - framing: regtest magic fabfb5da, u32 LE size, blocks back to back, no tail;
  - each block re-serializes to the exact bytes read; bitcoinlib's CheckBlock
    (proof of work against nBits, merkle root, witness commitment, tx sanity)
    passes; the merkle root recomputed here with hashlib matches the header;
  - prev links: block 0 is bcoin/Core's regtest genesis, every later block
    points to the hash of the one before it;
  - block hashes, heights and txids, output values and scripts agree with the
    node's own decoding (truth/node-decoding.jsonl);
  - the UTXO set rebuilt here (genesis coinbase and OP_RETURN outputs excluded,
    every spend must find its coin) gives chain.json's height, tip, txs,
    utxo_count and utxo_total; no tx creates value; coinbases claim at most
    subsidy + fees (regtest halving every 150 blocks);
  - every output script after genesis is in truth/owners_h160.csv, and
    owners.csv has the same rows (address form);
  - spends of every wallet type the fixture promises occur: P2PKH, P2WPKH,
    P2SH-P2WPKH, 2-of-3 P2SH multisig, 2-of-3 P2WSH multisig.
Prints the counts; exit 0 when everything matches, 1 otherwise, 2 on usage.
"""
import csv
import hashlib
import json
import os
import struct
import sys

try:
    import bitcoin
    from bitcoin.core import CBlock, CheckBlock, b2lx, lx
    from bitcoin.core.script import CScript
except ImportError as err:  # pragma: no cover - environment problem
    sys.exit("check.py: python3-bitcoinlib missing (%s); run with /usr/bin/python3" % err)

MAGIC = bytes.fromhex("fabfb5da")
MAX_BLOCK_BYTES = 4_000_000 + 1000  # weight limit bounds the serialized size
REGTEST_GENESIS = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
HALVING = 150  # bcoin and Core regtest
COIN = 100_000_000
REQUIRED_SPENDS = ("p2pkh", "p2wpkh", "p2sh-p2wpkh", "p2sh-multisig", "p2wsh-multisig")


class Mismatch(Exception):
    pass


def sha256d(data):
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def merkle_root(txids):
    """Merkle root over internal-order txids; odd levels duplicate the last."""
    level = list(txids)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def read_blocks(path):
    """Yield (offset, raw) per record; sizes are capped before reading."""
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        if len(data) - pos < 8:
            raise Mismatch("%s: %d trailing bytes at offset %d" % (path, len(data) - pos, pos))
        if data[pos:pos + 4] != MAGIC:
            raise Mismatch("%s: bad magic %s at offset %d" % (path, data[pos:pos + 4].hex(), pos))
        (size,) = struct.unpack_from("<I", data, pos + 4)
        if size < 81 or size > MAX_BLOCK_BYTES or pos + 8 + size > len(data):
            raise Mismatch("%s: block size %d at offset %d out of range" % (path, size, pos))
        yield pos, data[pos + 8:pos + 8 + size]
        pos += 8 + size


def subsidy(height):
    halvings = height // HALVING
    return 0 if halvings >= 64 else (50 * COIN) >> halvings


def spend_type(prev_script, txin, witness_stack):
    """Classify a spend by the coin's scriptPubKey and the spending data."""
    spk = bytes(prev_script)
    if len(spk) == 25 and spk[:3] == b"\x76\xa9\x14" and spk[23:] == b"\x88\xac":
        return "p2pkh"
    if len(spk) == 22 and spk[:2] == b"\x00\x14":
        return "p2wpkh"
    if len(spk) == 34 and spk[:2] == b"\x00\x20":
        return "p2wsh-multisig" if witness_stack and witness_stack[-1][-1:] == b"\xae" else "p2wsh"
    if len(spk) == 23 and spk[:2] == b"\xa9\x14" and spk[22:] == b"\x87":
        pushes = list(CScript(txin.scriptSig))
        redeem = bytes(pushes[-1]) if pushes and isinstance(pushes[-1], bytes) else b""
        if len(redeem) == 22 and redeem[:2] == b"\x00\x14":
            return "p2sh-p2wpkh"
        if len(redeem) == 34 and redeem[:2] == b"\x00\x20":
            return "p2sh-p2wsh-multisig" if witness_stack and witness_stack[-1][-1:] == b"\xae" else "p2sh-p2wsh"
        if redeem[-1:] == b"\xae":
            return "p2sh-multisig"
        return "p2sh-other"
    return "other"


def load_owners(truth):
    with open(os.path.join(truth, "owners_h160.csv"), newline="") as f:
        rows = list(csv.reader(f))
    with open(os.path.join(truth, "owners.csv"), newline="") as f:
        addr_rows = list(csv.reader(f))
    if rows[0] != ["script_hex", "entity", "entity_kind"]:
        raise Mismatch("owners_h160.csv header is %r" % rows[0])
    if addr_rows[0] != ["address", "entity", "entity_kind"]:
        raise Mismatch("owners.csv header is %r" % addr_rows[0])
    if len(rows) != len(addr_rows):
        raise Mismatch("owners.csv has %d rows, owners_h160.csv %d" % (len(addr_rows), len(rows)))
    owners = {}
    for (script, ent, kind), (_, ent2, kind2) in zip(rows[1:], addr_rows[1:]):
        if (ent, kind) != (ent2, kind2):
            raise Mismatch("owners.csv and owners_h160.csv disagree on row order")
        if kind not in ("user", "multisig", "miner"):
            raise Mismatch("owners_h160.csv: entity_kind %r" % kind)
        if script in owners and owners[script] != ent:
            raise Mismatch("script %s owned by %s and %s" % (script, owners[script], ent))
        owners[script] = ent
    return owners


def check(outdir):
    truth = os.path.join(outdir, "truth")
    with open(os.path.join(truth, "chain.json")) as f:
        chain = json.load(f)
    decoding = []
    with open(os.path.join(truth, "node-decoding.jsonl")) as f:
        for line in f:
            decoding.append(json.loads(line))
    owners = load_owners(truth)

    bitcoin.SelectParams("regtest")
    utxo = {}  # (txid bytes, n) -> (value, script bytes)
    n_blocks = n_txs = n_inputs = n_outputs = n_opreturn = n_witness_txs = 0
    spends = {}
    unowned = 0
    owned_entities = set()
    prev_hash = None
    tip = None
    for height, (offset, raw) in enumerate(read_blocks(os.path.join(outdir, "blocks", "blk00000.dat"))):
        where = "block %d (blk offset %d)" % (height, offset)
        block = CBlock.deserialize(raw)
        if block.serialize() != raw:
            raise Mismatch("%s: re-serialization differs" % where)
        try:
            CheckBlock(block, fCheckPoW=True, fCheckMerkleRoot=True, cur_time=2**32)
        except Exception as err:
            raise Mismatch("%s: CheckBlock: %s" % (where, err))
        txids = [tx.GetTxid() for tx in block.vtx]
        if merkle_root(txids) != block.hashMerkleRoot:
            raise Mismatch("%s: merkle root mismatch" % where)
        bhash = block.GetHash()
        if height == 0:
            if b2lx(bhash) != REGTEST_GENESIS:
                raise Mismatch("block 0 is %s, not the regtest genesis" % b2lx(bhash))
        elif block.hashPrevBlock != prev_hash:
            raise Mismatch("%s: prev %s != %s" % (where, b2lx(block.hashPrevBlock), b2lx(prev_hash)))
        if height >= len(decoding):
            raise Mismatch("%s: not in node-decoding.jsonl" % where)
        node = decoding[height]
        if node["hash"] != b2lx(bhash) or node["height"] != height:
            raise Mismatch("%s: node says %s at %s" % (where, node["hash"], node["height"]))
        if [t["txid"] for t in node["tx"]] != [b2lx(t) for t in txids]:
            raise Mismatch("%s: txids differ from the node's" % where)

        fees = 0
        for i, tx in enumerate(block.vtx):
            ntx = node["tx"][i]
            if len(ntx["vout"]) != len(tx.vout):
                raise Mismatch("%s tx %s: output count" % (where, b2lx(txids[i])))
            for n, out in enumerate(tx.vout):
                nv = ntx["vout"][n]
                if round(nv["value"] * COIN) != out.nValue or nv["scriptPubKey"]["hex"] != bytes(out.scriptPubKey).hex():
                    raise Mismatch("%s tx %s output %d differs from the node's" % (where, b2lx(txids[i]), n))
            if tx.has_witness():
                n_witness_txs += 1
            if height == 0:
                continue  # genesis coinbase is unspendable
            value_in = 0
            if i > 0:
                for k, txin in enumerate(tx.vin):
                    key = (bytes(txin.prevout.hash), txin.prevout.n)
                    coin = utxo.pop(key, None)
                    if coin is None:
                        raise Mismatch("%s tx %s spends missing %s:%d" % (where, b2lx(txids[i]), b2lx(key[0]), key[1]))
                    value_in += coin[0]
                    stack = list(tx.wit.vtxinwit[k].scriptWitness.stack) if tx.has_witness() else []
                    t = spend_type(coin[1], txin, stack)
                    spends[t] = spends.get(t, 0) + 1
                n_inputs += len(tx.vin)
            value_out = 0
            for n, out in enumerate(tx.vout):
                n_outputs += 1
                value_out += out.nValue
                spk = bytes(out.scriptPubKey)
                if spk[:1] == b"\x6a":
                    n_opreturn += 1
                    continue
                utxo[(bytes(txids[i]), n)] = (out.nValue, spk)
                ent = owners.get(spk.hex())
                if ent is None:
                    unowned += 1
                else:
                    owned_entities.add(ent)
            if i > 0:
                if value_out > value_in:
                    raise Mismatch("%s tx %s creates %d sat" % (where, b2lx(txids[i]), value_out - value_in))
                fees += value_in - value_out
        if height > 0:
            cb_out = sum(o.nValue for o in block.vtx[0].vout)
            if cb_out > subsidy(height) + fees:
                raise Mismatch("%s: coinbase claims %d > subsidy %d + fees %d" % (where, cb_out, subsidy(height), fees))
        n_blocks += 1
        n_txs += len(block.vtx)
        prev_hash = bhash
        tip = height

    if tip is None:
        raise Mismatch("no blocks")
    utxo_total = sum(v for v, _ in utxo.values())
    mine = {"height": tip, "tip": b2lx(prev_hash), "txs": n_txs, "utxo_count": len(utxo), "utxo_total": utxo_total}
    print("check: %d blocks (tip %d %s), %d txs (%d with witness), %d inputs, %d outputs (%d OP_RETURN)"
          % (n_blocks, tip, mine["tip"], n_txs, n_witness_txs, n_inputs, n_outputs, n_opreturn))
    print("check: utxo set %d coins, %d sat" % (len(utxo), utxo_total))
    print("check: spends by type: " + ", ".join("%s %d" % kv for kv in sorted(spends.items())))
    print("check: %d owner scripts, %d entities seen in outputs, %d unowned outputs"
          % (len(owners), len(owned_entities), unowned))
    bad = [k for k in mine if chain.get(k) != mine[k]]
    if bad:
        raise Mismatch("chain.json differs on %s: file %s, recomputed %s"
                       % (", ".join(bad), {k: chain.get(k) for k in bad}, {k: mine[k] for k in bad}))
    if len(decoding) != n_blocks:
        raise Mismatch("node-decoding.jsonl has %d blocks, blk file %d" % (len(decoding), n_blocks))
    if unowned:
        raise Mismatch("%d outputs pay scripts missing from owners_h160.csv" % unowned)
    missing = [t for t in REQUIRED_SPENDS if not spends.get(t)]
    if missing:
        raise Mismatch("no spends of type %s" % ", ".join(missing))
    print("check: OK (chain.json, node decoding and owners all match)")


def main(argv):
    if len(argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        check(argv[1])
    except (Mismatch, OSError, ValueError, KeyError) as err:
        print("check: FAIL: %s" % err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
