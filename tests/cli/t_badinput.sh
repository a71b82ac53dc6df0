# Bad input: truncated and corrupt blk files, wrong magic, merkle mismatch, garbage
# hex. One clear error naming the file and byte offset, exit 1, and the store keeps
# its last commit.
. "$(dirname "$0")/lib.sh"
need_data
SRC=$DATA/btc-blocks/blk00000_first1MB_h0-4312.dat
height() { "$BIN" info --db "$1" --json | jq_ "j['chains']['btc']['height']"; }
expect_err() { # expect_err PATTERN CMD...: exit 1 and stderr matching PATTERN
    pat=$1; shift
    err=$("$@" 2>&1 >/dev/null); code=$?
    [ $code = 1 ] || fail "exit $code (want 1) from $*: $err"
    echo "$err" | grep -Eq "$pat" || fail "message '$err' does not match /$pat/"
    echo "  ok: $err"
}
mkdir -p "$T/good"; cp "$SRC" "$T/good/blk00000.dat"
"$BIN" ingest btc --blocks "$T/good" --db "$T/db" --stop-height 100 --quiet || fail "good ingest"
eq "$(height "$T/db")" 100 "height after good ingest"
sums=$("$BIN" verify --db "$T/db")
# truncated file (cut in the middle of a record)
mkdir -p "$T/trunc"; head -c 500000 "$SRC" > "$T/trunc/blk00000.dat"
expect_err 'blk00000.dat: byte [0-9]+: truncated block' "$BIN" ingest btc --blocks "$T/trunc" --db "$T/db" --quiet
# wrong magic at the record after byte 300000
off=$(/usr/bin/python3 -c "
import struct; d=open('$SRC','rb').read(); o=0
while o < 300000: o += 8 + struct.unpack_from('<I', d, o+4)[0]
print(o)")
mkdir -p "$T/magic"; cp "$SRC" "$T/magic/blk00000.dat"
printf '\x0b\x11\x09\x06' | dd of="$T/magic/blk00000.dat" bs=1 seek="$off" conv=notrunc 2>/dev/null
expect_err "blk00000.dat: byte $off: bad magic 0b110906" "$BIN" ingest btc --blocks "$T/magic" --db "$T/db" --quiet
eq "$("$BIN" verify --db "$T/db")" "$sums" "store after failed ingests"
# merkle mismatch: change one byte of the coinbase of block 150 (its scriptSig)
off150=$(/usr/bin/python3 -c "
import struct; d=open('$SRC','rb').read(); o=0
for i in range(150): o += 8 + struct.unpack_from('<I', d, o+4)[0]
print(o)")
mkdir -p "$T/merkle"; cp "$SRC" "$T/merkle/blk00000.dat"
printf '\x99' | dd of="$T/merkle/blk00000.dat" bs=1 seek=$((off150 + 8 + 80 + 1 + 4 + 1 + 32 + 4 + 1 + 2)) conv=notrunc 2>/dev/null
expect_err "blk00000.dat: byte $((off150 + 8)): block 0000000.*: merkle root mismatch" \
    "$BIN" ingest btc --blocks "$T/merkle" --db "$T/db" --quiet
# the good blocks before the bad one were committed; nothing after it
eq "$(height "$T/db")" 149 "height after merkle failure"
"$BIN" verify --db "$T/db" | grep -q consistent || fail "store inconsistent after failure"
# an empty directory, a missing directory, garbage for decode, an unknown command
mkdir -p "$T/empty"
expect_err 'no blk\*\.dat files' "$BIN" ingest btc --blocks "$T/empty" --db "$T/db" --quiet
expect_err 'No such file' "$BIN" ingest btc --blocks "$T/missing" --db "$T/db" --quiet
expect_err 'argument: byte 5: transaction has no inputs' "$BIN" decode 0100000000000000000000
expect_err 'neither a readable file nor hex' "$BIN" decode zz-not-hex
head -c 700 "$SRC" | tail -c 500 > "$T/junk.bin"
expect_err 'junk.bin: byte' "$BIN" decode "$T/junk.bin"
eq "$(rc "$BIN" no-such-command)" 2 "exit code for an unknown command"
eq "$(rc "$BIN" ingest btc)" 2 "exit code for missing --blocks"
expect_err 'no store here' "$BIN" info --db "$T/nothing"
expect_err 'not in the store' "$BIN" tx 0000000000000000000000000000000000000000000000000000000000000001 --db "$T/db"
expect_err 'bad checksum|not a valid address' "$BIN" address 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb --db "$T/db"
echo ok
