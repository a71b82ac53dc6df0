# Damaged column files: for every column, byte flips at three places, zeroing
# (size kept), truncation to half of the committed bytes and deletion.  Every
# command either answers exactly as on the sound store or exits 1 with one
# "store corrupt" message naming the damaged file; none crashes (the same
# script runs under ASan/UBSan in `make check`).  `verify` must find every
# damage to the committed bytes.
. "$(dirname "$0")/lib.sh"
"$GENBIN" --out "$T/g" --txs 5000 --seed 7 --scenario heist >/dev/null || fail "generator"
"$BIN" ingest btc --blocks "$T/g/blocks" --db "$T/good" --quiet || fail "ingest"
A=$(sed -n 2p "$T/g/truth/owners.csv" | cut -d, -f1)   # a miner: outputs in many blocks
U=$(sed -n 400p "$T/g/truth/owners.csv" | cut -d, -f1)  # a user
TX=$(jq_ "j['drain_txid']" <"$T/g/truth/heist.json")
base_dir="$T/good/btc"
n_cases=0 n_detected=0
run_case() { # NAME FILE: the damaged copy is in $T/bad
    n_cases=$((n_cases + 1))
    while read -r line; do
        set -- $line
        err=$("$@" --db "$T/bad" 2>&1 >"$T/out"); rc=$?
        [ $rc -lt 128 ] || fail "$case: '$line' died with signal $((rc - 128))"
        if [ $rc = 0 ]; then
            "$@" --db "$T/good" >"$T/want" 2>/dev/null
            cmp -s "$T/out" "$T/want" || fail "$case: '$line' exit 0 with a different answer"
        else
            [ $rc = 1 ] || fail "$case: '$line' exit $rc: $err"
            [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "$case: '$line' printed more than one line: $err"
            case "$err" in *"store corrupt"*"$file"*) ;; *) fail "$case: '$line' says '$err', not 'store corrupt ... $file'" ;; esac
        fi
    done <"$T/cmdlist"
    vout=$("$BIN" verify --db "$T/bad" 2>&1); vrc=$?
    [ $vrc -lt 128 ] || fail "$case: verify died with signal $((vrc - 128))"
    if [ $vrc = 1 ]; then
        case "$vout" in *"store corrupt"*) ;; *) fail "$case: verify exit 1 without 'store corrupt': $vout" ;; esac
        n_detected=$((n_detected + 1))
    elif [ "$must_detect" = 1 ]; then
        fail "$case: verify did not notice: $vout"
    fi
}
cat >"$T/cmdlist" <<EOF
$BIN address $A --json
$BIN address $U --json --txs
$BIN tx $TX --json
$BIN block 17 --json
$BIN info --json
$BIN trace --tx $TX --policy haircut --json
EOF
RANDOM=77
for f in "$base_dir"/*.col; do
    file=$(basename "$f")
    # committed bytes of this column: verify prints them
    bytes=$("$BIN" verify --db "$T/good" --checksums-only | awk -v f="$file" '$1 == f { print $2 }')
    [ -n "$bytes" ] || fail "no size for $file"
    [ "$bytes" -gt 0 ] || continue
    for k in 1 2 3; do
        rm -rf "$T/bad"; cp -a "$T/good" "$T/bad"
        off=$((RANDOM * 32768 % bytes + RANDOM % bytes)); off=$((off % bytes))
        /usr/bin/python3 -c 'import sys; f=open(sys.argv[1],"r+b"); o=int(sys.argv[2]); f.seek(o); b=f.read(1); f.seek(o); f.write(bytes([b[0]^0xff]))' "$T/bad/btc/$file" $off
        case="$file flip at byte $off" must_detect=1
        # an address-head flip of an address without outputs changes no answer
        [ "$file" = addrhead.col ] && must_detect=0
        run_case
    done
    rm -rf "$T/bad"; cp -a "$T/good" "$T/bad"
    size=$(stat -c %s "$T/bad/btc/$file")
    head -c "$size" /dev/zero >"$T/bad/btc/$file"
    case="$file zeroed" must_detect=1; run_case
    rm -rf "$T/bad"; cp -a "$T/good" "$T/bad"
    truncate -s $((bytes / 2)) "$T/bad/btc/$file"
    case="$file truncated to $((bytes / 2)) bytes" must_detect=1; run_case
    rm -rf "$T/bad"; cp -a "$T/good" "$T/bad"
    rm "$T/bad/btc/$file"
    case="$file deleted" must_detect=1; run_case
done
[ $n_cases -ge 50 ] || fail "only $n_cases cases ran"
echo "$n_cases damaged stores: every command answered as before or said 'store corrupt' naming the file; verify found $n_detected"
