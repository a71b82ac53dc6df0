#!/bin/sh
# t_gen.sh — chainsleuth-gen end to end:
#  1. argument handling (--help, bad arguments exit 2);
#  2. the same arguments twice give byte-identical files (sha256sum);
#  3. `chainsleuth ingest btc`: its `info --json` counts equal chain.json;
#  4. tests/gen_check.py (python-bitcoinlib) checks blocks, chain.json,
#     owners/tags and heist.json independently, on main and regtest output.
# Every step runs; a missing chainsleuth, python3 or python3-bitcoinlib is a
# failure (scripts/install-deps installs them).
set -u
cd "$(dirname "$0")/../.." || exit 2
: "${GENBIN:=$PWD/bin/chainsleuth-gen}" "${BIN:=$PWD/bin/chainsleuth}"
T=$(mktemp -d "${TMPDIR:-/tmp}/t_gen.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }

[ -x "$GENBIN" ] || fail "chainsleuth-gen not built: $GENBIN"

# 1. arguments
"$GENBIN" --help >"$T/help" || fail "--help exit $?"
grep -q -- '--scenario' "$T/help" && grep -q -- '--network' "$T/help" || fail "--help text"
for bad in "--txs 10 --seed 1 --out $T/x" "--txs abc --seed 1 --out $T/x" \
    "--txs 5000 --out $T/x" "--txs 5000 --seed 1" "--txs 5000 --seed 1 --out $T/x --network foo" \
    "--txs 5000 --seed 1 --out $T/x --scenario foo" "--bogus"; do
    # shellcheck disable=SC2086 # word splitting of the argument list is intended
    "$GENBIN" $bad >/dev/null 2>"$T/err"
    rc=$?
    [ $rc = 2 ] || fail "'$bad' exited $rc, want 2"
    [ -s "$T/err" ] || fail "'$bad' printed no message"
done

# 2. determinism
"$GENBIN" --out "$T/a" --txs 20000 --seed 7 --scenario heist --quiet || fail "generation a"
"$GENBIN" --out "$T/b" --txs 20000 --seed 7 --scenario heist --quiet || fail "generation b"
(cd "$T/a" && sha256sum blocks/* truth/*) >"$T/a.sum"
(cd "$T/b" && sha256sum blocks/* truth/*) >"$T/b.sum"
cmp -s "$T/a.sum" "$T/b.sum" || { diff "$T/a.sum" "$T/b.sum"; fail "outputs differ for the same seed"; }
for f in blocks/blk00000.dat truth/owners.csv truth/tags.csv truth/chain.json truth/heist.json; do
    [ -s "$T/a/$f" ] || fail "missing $f"
done
echo "deterministic: $(wc -l <"$T/a.sum") files identical"
"$GENBIN" --out "$T/c" --txs 20000 --seed 8 --scenario heist --quiet || fail "generation c"
cmp -s "$T/a/blocks/blk00000.dat" "$T/c/blocks/blk00000.dat" && fail "seed 8 equals seed 7"

PY=/usr/bin/python3
jget() { # jget FILE EXPR  (EXPR over the parsed JSON object d)
    "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# 3. ingest comparison
[ -x "$PY" ] || fail "no /usr/bin/python3 to read JSON (scripts/install-deps installs it)"
[ -x "$BIN" ] && "$BIN" ingest btc --help >/dev/null 2>&1 || fail "no chainsleuth with 'ingest btc' at $BIN"
{
    "$BIN" ingest btc --blocks "$T/a/blocks" --db "$T/db" >"$T/ingest.log" 2>&1 ||
        { tail -5 "$T/ingest.log"; fail "ingest btc"; }
    "$BIN" info --db "$T/db" --json >"$T/info.json" || fail "info --json"
    for k in height txs utxo_count utxo_total; do
        got=$(jget "$T/info.json" "d['chains']['btc']['$k']") || fail "info.json has no chains.btc.$k"
        want=$(jget "$T/a/truth/chain.json" "d['$k']")
        [ "$got" = "$want" ] || fail "ingest: $k = $got, chain.json says $want"
    done
    echo "ingest: height/txs/utxo_count/utxo_total agree with chain.json"
}

# 4. independent check
"$PY" -c 'import bitcoin' 2>/dev/null ||
    fail "/usr/bin/python3 cannot import bitcoin (python3-bitcoinlib; scripts/install-deps installs it): gen_check.py cannot run"
"$PY" tests/gen_check.py "$T/a/blocks" "$T/a/truth" || fail "gen_check.py (main, heist)"
"$GENBIN" --out "$T/r" --txs 3000 --seed 3 --network regtest --scenario heist --quiet ||
    fail "regtest generation"
"$PY" tests/gen_check.py "$T/r/blocks" "$T/r/truth" || fail "gen_check.py (regtest)"
[ "$(jget "$T/r/truth/chain.json" "d['network']")" = regtest ] || fail "regtest chain.json"
"$GENBIN" --out "$T/n" --txs 1000 --seed 3 --quiet || fail "generation without scenario"
[ -e "$T/n/truth/heist.json" ] && fail "heist.json without --scenario heist"

# the checker must catch damage: a flipped block bit, a wrong fee total in
# heist.json, an address missing from owners.csv
for m in flip fees owners; do
    rm -rf "$T/m"
    cp -r "$T/r" "$T/m"
    case $m in
    flip) "$PY" -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[700000]^=1
open(p,"wb").write(b)' "$T/m/blocks/blk00000.dat" ;;
    fees) sed -i 's/"fees":\([0-9]*\)/"fees":1\1/' "$T/m/truth/heist.json" ;;
    owners) sed -i '500d' "$T/m/truth/owners.csv" ;;
    esac
    "$PY" tests/gen_check.py "$T/m/blocks" "$T/m/truth" >/dev/null 2>"$T/m.err" &&
        fail "gen_check.py accepted damage '$m'"
    echo "damage '$m' caught: $(head -n 1 "$T/m.err")"
done
echo "ok"
