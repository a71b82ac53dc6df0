# kill -9 at random moments during ingest (at least 20 times), resuming each
# time with the same command: the final store is identical, column checksum for
# column checksum, to an uninterrupted run, and consistent.
. "$(dirname "$0")/lib.sh"
need_data
mkdir -p "$T/blocks"; cp "$DATA/btc-blocks/blk00000_first1MB_h0-4312.dat" "$T/blocks/blk00000.dat"
"$BIN" ingest btc --blocks "$T/blocks" --db "$T/clean" --quiet || fail "clean ingest"
want=$("$BIN" verify --db "$T/clean")
kills=0 runs=0 seed=${KILL_SEED:-$$}
RANDOM=$seed
echo "seed $seed"
while :; do
    runs=$((runs + 1))
    [ $runs -le 200 ] || fail "ingest did not finish after 200 runs"
    # alternate commit cadences so that kills land in appends as well as in commits
    every=$(( runs % 4 == 0 ? 5 : 1 + runs % 2 ))
    "$BIN" ingest btc --blocks "$T/blocks" --db "$T/db" --quiet --commit-every $every &
    pid=$!
    if [ $kills -lt 25 ]; then
        sleep "0.$(printf '%03d' $((RANDOM % 150 + 10)))"
        if kill -9 $pid 2>/dev/null; then
            wait $pid 2>/dev/null
            kills=$((kills + 1))
            h=$("$BIN" info --db "$T/db" --json 2>/dev/null | jq_ "j['chains']['btc']['height']" 2>/dev/null || echo none)
            echo "kill $kills after run $runs (commit every $every): committed height $h"
            continue
        fi
    fi
    wait $pid || fail "ingest run $runs failed"
    break
done
[ $kills -ge 20 ] || fail "only $kills kills landed"
got=$("$BIN" verify --db "$T/db") || fail "store inconsistent after kills"
[ "$got" = "$want" ] || fail "store after $kills kills differs: $(diff <(echo "$want") <(echo "$got"))"
echo "identical after $kills kills and $runs runs"
