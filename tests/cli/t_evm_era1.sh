# t_evm_era1.sh — `ingest evm --era1` on the two Sepolia archives
# ($SHARED/data/eth/era1): the counts, the first block's hash, and every
# transaction's hash and recovered sender (one SHA-256 over them, in chain
# order) equal what tests/unit/era1_independent.py reads from the same files
# with its own e2store, snappy, RLP, keccak and ECDSA code; every tx books
# its fee and, unless it failed, its value; blocks say internal transfers are
# unavailable; a re-run skips every block; a flipped byte in a compressed
# record is one error naming the file and byte offset, exit 1, and the store
# keeps its last commit.
. "$(dirname "$0")/lib.sh"
E="$DATA/eth/era1"
[ -d "$E" ] || skip "skipped: $E absent (shared data is not part of a clone)"
py=/usr/bin/python3
$py -c 'import ecdsa, snappy, Cryptodome' 2>/dev/null || fail "python3-ecdsa, python3-snappy, python3-pycryptodome missing (scripts/install-deps installs them)"
IND="$(dirname "$0")/../unit/era1_independent.py"
for f in sepolia-00000-643a00f7 sepolia-00021-b8814b14; do
    "$BIN" ingest evm --era1 "$E/$f.era1" --chain sepolia --db "$T/$f" --json >"$T/$f.json" 2>"$T/$f.err" ||
        fail "ingest $f: $(cat "$T/$f.err")"
    $py "$IND" --dump "$T/$f.txs" "$E/$f.era1" >"$T/$f.ind" || fail "independent reader on $f"
    $py - "$BIN" "$T/$f" "$T/$f.ind" "$T/$f.json" "$T/$f.txs" <<'PY' || fail "$f against the independent reader"
import hashlib, json, re, subprocess, sys
bin_, db, ind, summary, dump = sys.argv[1:]
t = open(ind).read()
blocks, txs = map(int, re.search(r"blocks (\d+) txs (\d+)", t).groups())
first = re.search(r"first block ([0-9a-f]{64})", t).group(1)
want = re.search(r"sha256\(tx hash \|\| sender \.\.\.\) ([0-9a-f]{64})", t).group(1)
q = lambda *a: json.loads(subprocess.run([bin_, *a, "--chain", "sepolia", "--db", db, "--json"],
                                         check=True, capture_output=True, text=True).stdout)
s = json.load(open(summary))
assert (s["blocks"], s["txs"]) == (blocks, txs), (s, blocks, txs)
info = q("info")["chains"]["sepolia"]
assert info["blocks"] == blocks and info["txs"] == txs, info
assert info["blocks_without_internal_transfers"] == blocks, info
b0 = q("block", str(info["first_block"]), "--txs")
assert b0["hash"] == "0x" + first, (b0["hash"], first)
h = hashlib.sha256()
n = fees = 0
prev = (0, -1)
for line in open(dump):
    th, sender = line.split()
    j = q("tx", th)  # found by the hash the independent reader computed
    assert j["from"] == sender, (th, j["from"], sender)
    assert (j["block"], j["index"]) > prev, (th, prev)  # chain order
    prev = (j["block"], j["index"])
    h.update(bytes.fromhex(th[2:] + j["from"][2:]))
    kinds = [x["kind"] for x in j["transfers"]]
    fee = sum(int(x["amount"]) for x in j["transfers"] if x["kind"].startswith("fee"))
    assert fee == j["gas_used"] * j["effective_gas_price"] == int(j["fee"]), j
    assert ("native" in kinds) == (j["status"] != "failed" and int(j["value"]) > 0), j
    n += 1; fees += fee
assert n == txs, (n, txs)
assert h.hexdigest() == want, (h.hexdigest(), want)
print("%s: %d blocks, %d txs, senders hash %s, fees %d wei" % (db.split("/")[-1], blocks, txs, want[:16], fees))
PY
done
F="$T/sepolia-00021-b8814b14"
"$BIN" ingest evm --era1 "$E/sepolia-00021-b8814b14.era1" --chain sepolia --db "$F" --json >"$T/again.json" 2>/dev/null || fail "re-run"
eq "$(jq_ "(j['blocks'], j['skipped'])" <"$T/again.json")" "(0, 8192)" "re-run skips"
# a flipped byte in the middle of the file: one error naming it and the offset
cp "$E/sepolia-00021-b8814b14.era1" "$T/bad.era1"
$py -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=0x20; open(p,"wb").write(bytes(b))' "$T/bad.era1"
"$BIN" ingest evm --era1 "$T/bad.era1" --chain sepolia --db "$T/dbbad" --quiet >"$T/out" 2>"$T/err"; r=$?
eq "$r" 1 "corrupt archive: exit code"
eq "$(grep -c . "$T/err")" 1 "corrupt archive: one line ($(cat "$T/err"))"
grep -q "bad.era1: byte [0-9]" "$T/err" || fail "corrupt archive: names file and byte: $(cat "$T/err")"
# a flipped byte inside the compressed header of the 5,000th block (found by
# walking the e2store records here): blocks before it are read, the error
# names the file, the offset and the block, and the store holds its last
# commit (a multiple of --commit-every 1000), which verifies
cp "$E/sepolia-00021-b8814b14.era1" "$T/bad2.era1"
$py - "$T/bad2.era1" <<'PY' || fail "corrupting"
import struct, sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); off = 0; seen = 0
while off + 8 <= len(b):
    t, n, _ = struct.unpack_from("<HIH", b, off)
    if t == 3:  # CompressedHeader
        seen += 1
        if seen == 5000:
            b[off + 8 + n // 2] ^= 0x01
            break
    off += 8 + n
open(p, "wb").write(bytes(b))
PY
"$BIN" ingest evm --era1 "$T/bad2.era1" --chain sepolia --db "$T/dbbad2" --commit-every 1000 --quiet >"$T/out" 2>"$T/err"; r=$?
eq "$r" 1 "corrupt block: exit code"
eq "$(grep -c . "$T/err")" 1 "corrupt block: one line ($(cat "$T/err"))"
grep -q "bad2.era1: byte [0-9]*: .*block 177031" "$T/err" || fail "corrupt block: names file, byte and block: $(cat "$T/err")"
n=$("$BIN" info --db "$T/dbbad2" --json | jq_ "j['chains']['sepolia']['blocks']")
eq "$n" 4000 "corrupt block: the store holds the last commit before block 5,000"
"$BIN" verify --db "$T/dbbad2" --chain sepolia >/dev/null || fail "corrupt block: the store does not verify"
echo "ok: both Sepolia Era1 archives match the independent reader; a corrupt record length and a corrupt block are refused naming the offset; the store keeps its last commit ($n blocks)"
