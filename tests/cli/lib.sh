# lib.sh — helpers for the end-to-end tests (sourced; not a test itself).
set -u
T=$(mktemp -d "${TMPDIR:-/tmp}/cs-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
DATA="$SHARED/data"
skip() { echo "$*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
need_data() { [ -d "$DATA/btc-blocks" ] || skip "skipped: $DATA/btc-blocks absent (shared data is not part of a clone)"; }
need_bitcoinlib() { /usr/bin/python3 -c 'import bitcoin' 2>/dev/null || skip "skipped: python3-bitcoinlib missing"; }
eq() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; }
# json FILE-or-STRING EXPR: evaluates a Python expression on the parsed JSON as `j`
jq_() { /usr/bin/python3 -c 'import json,sys; j=json.loads(sys.stdin.read()); print(eval(sys.argv[1]))' "$1"; }
# exit code of a command, output discarded
rc() { "$@" >/dev/null 2>&1; echo $?; }
# writes blk-framed records: mkblk OUT RAWFILE... (raw block files, mainnet magic)
mkblk() {
    out=$1; shift
    /usr/bin/python3 - "$out" "$@" <<'PY'
import struct, sys
with open(sys.argv[1], 'wb') as f:
    for p in sys.argv[2:]:
        b = open(p, 'rb').read()
        f.write(bytes.fromhex('f9beb4d9') + struct.pack('<I', len(b)) + b)
PY
}
# splits a blk file into one raw file per record: splitblk FILE OUTDIR -> OUTDIR/0000.raw ...
splitblk() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import os, struct, sys
d = open(sys.argv[1], 'rb').read(); os.makedirs(sys.argv[2], exist_ok=True); off = i = 0
while off + 8 <= len(d) and d[off:off+4] != b'\0\0\0\0':
    n = struct.unpack_from('<I', d, off + 4)[0]
    open(os.path.join(sys.argv[2], '%04d.raw' % i), 'wb').write(d[off + 8:off + 8 + n]); off += 8 + n; i += 1
PY
}
